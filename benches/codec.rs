//! Codec benchmarks: decode + validate and encode of 100, 10,000 and 100,000-lot
//! messages, and `xmllint --schema` with the official schemas on the same 10,000-lot
//! document, measured in the same run for comparison.
//!
//! Run: `cargo bench --bench codec`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lotgate::sample;
use lotgate::validate::{self, Options, Verdict};
use lotgate::wire::{self, soap};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn decode_and_validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode+validate");
    for n in [100usize, 10_000, 100_000] {
        let envelope = soap::message_envelope(&sample::message(n));
        let options = Options::default();
        assert_eq!(
            validate::check(envelope.as_bytes(), &options).verdict(),
            Verdict::Accept
        );
        group.throughput(Throughput::Bytes(envelope.len() as u64));
        if n == 100_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), &envelope, |b, envelope| {
            b.iter(|| validate::check(black_box(envelope.as_bytes()), &options))
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for n in [100usize, 10_000, 100_000] {
        let message = sample::message(n);
        if n == 100_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), &message, |b, message| {
            b.iter(|| soap::message_envelope(black_box(message)))
        });
    }
    group.finish();
}

/// The same 10,000-lot document through `xmllint --noout --schema` with the official
/// schemas (the bare document: xmllint validates the HL7 part, not the envelope).
fn xmllint_official(c: &mut Criterion) {
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/nictiz-hl7v3/hl7v3_schemas/PRMM_IN010043NL.xsd");
    if Command::new("xmllint").arg("--version").output().is_err() || !schema.exists() {
        eprintln!("xmllint or the official schemas are missing: skipping the comparison");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("message-10000.xml");
    std::fs::write(&file, wire::encode_message(&sample::message(10_000))).expect("write");
    let mut group = c.benchmark_group("xmllint --schema (official)");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function(BenchmarkId::from_parameter(10_000), |b| {
        b.iter(|| {
            let status = Command::new("xmllint")
                .args(["--noout", "--nonet", "--schema"])
                .arg(&schema)
                .arg(&file)
                .output()
                .expect("xmllint runs");
            assert!(status.status.success());
        })
    });
    group.finish();
}

criterion_group!(benches, decode_and_validate, encode, xmllint_official);
criterion_main!(benches);
