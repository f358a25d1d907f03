//! Lookup benchmark: one `GET /api/v1/lots/{lot}` decision on a set of 10,000 lots,
//! without HTTP — an exact match, a match after trimming and ignoring case, and a miss,
//! once with suggestions (a lot number typed with an `O` for a `0`) and once with none
//! close. Suggestions are only computed on a miss; this measures what a miss costs.
//!
//! Run: `cargo bench --bench lookup`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lotgate::api::Match;
use lotgate::lot::search::Index;
use lotgate::receiver::lookup::{self, Found};
use lotgate::sample;
use lotgate::vaccine::VaccineCode;
use std::hint::black_box;

/// What a benchmarked lookup must answer.
enum Expect {
    /// Lot `LG004242`, matched so.
    Found(Match),
    /// Unknown, with `LG004242` among the suggestions.
    Suggested,
    /// Unknown, with nothing suggested.
    Nothing,
}

fn lookups(c: &mut Criterion) {
    let set = sample::lot_set(10_000);
    let index = Index::new(&set);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    let vaccine = VaccineCode::parse("08").ok();
    let mut group = c.benchmark_group("lookup-10000");
    // What each case must find, checked once before it is timed.
    for (name, asked, expected) in [
        ("exact", "LG004242", Expect::Found(Match::Exact)),
        ("normalized", " lg004242 ", Expect::Found(Match::Normalized)),
        ("miss-with-suggestions", "LG0O4242", Expect::Suggested),
        ("miss-nothing-close", "QWERTYUIOP", Expect::Nothing),
    ] {
        match (lookup::find(&set, &index, asked, vaccine, today), expected) {
            (Found::Lot(lot, how), Expect::Found(expected)) => {
                assert_eq!((lot.lot.as_str(), how), ("LG004242", expected), "{name}")
            }
            (Found::Unknown(offered), Expect::Suggested) => assert!(
                offered.iter().any(|l| l.lot == "LG004242"),
                "{name}: {offered:?}"
            ),
            (Found::Unknown(offered), Expect::Nothing) => {
                assert!(offered.is_empty(), "{name}: {offered:?}")
            }
            (found, _) => panic!("{name}: {asked:?} gave {found:?}"),
        }
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| lookup::find(&set, &index, black_box(asked), vaccine, today))
        });
    }
    group.finish();
    c.bench_function("index-10000", |b| b.iter(|| Index::new(black_box(&set))));
}

criterion_group!(benches, lookups);
criterion_main!(benches);
