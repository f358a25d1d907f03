//! Lookup benchmark: one `GET /api/v1/lots/{lot}` decision on a set of 10,000 lots,
//! without HTTP — an exact match, a match after trimming and ignoring case, and a miss,
//! once with suggestions (a lot number typed with an `O` for a `0`) and once with none
//! close. Suggestions are only computed on a miss; this measures what a miss costs.
//!
//! Run: `cargo bench --bench lookup`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lotgate::lot::search::Index;
use lotgate::receiver::lookup::{self, Found};
use lotgate::sample;
use lotgate::vaccine::VaccineCode;
use std::hint::black_box;

fn lookups(c: &mut Criterion) {
    let set = sample::lot_set(10_000);
    let index = Index::new(&set);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    let vaccine = VaccineCode::parse("08").ok();
    let mut group = c.benchmark_group("lookup-10000");
    for (name, asked, suggested) in [
        ("exact", "LG004242", false),
        ("normalized", " lg004242 ", false),
        ("miss-with-suggestions", "LG0O4242", true),
        ("miss-nothing-close", "QWERTYUIOP", false),
    ] {
        // What each case must find, checked once before it is timed.
        match lookup::find(&set, &index, asked, vaccine, today) {
            Found::Lot(..) => assert!(!suggested, "{name}: found"),
            Found::Unknown(suggestions) => {
                assert_eq!(
                    !suggestions.is_empty(),
                    suggested,
                    "{name}: {suggestions:?}"
                )
            }
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
