//! Receiver benchmark: a delivery of 100, 1,000 and 10,000 lots end to end — HTTP POST
//! over a keep-alive connection, transport checks, decode and validation, the durable
//! apply (sled transaction and flush), the swap of the lookup snapshot, and the `CA`
//! acknowledgement back — against a receiver started in-process on loopback.
//!
//! Every iteration posts a new message (its own id, a later `creationTime`), so each is
//! applied, never answered as a duplicate. The messages are built before the timer starts.
//!
//! Run: `cargo bench --bench receiver`

mod support;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use lotgate::config::Config;
use lotgate::sample;
use lotgate::startup;
use std::time::{Duration, Instant};
use support::Client;

fn receive(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::parse(&support::receiver_config(dir.path()), dir.path())
        .unwrap_or_else(|e| panic!("benchmark configuration: {e}"));
    let gateway = runtime
        .block_on(startup::start(&config))
        .expect("the receiver starts");
    let exchange = gateway.exchange.expect("the receiver role runs");
    let mut client = Client::connect(exchange).expect("connect to the receiver");
    let mut sequence = 0u32;

    let mut group = c.benchmark_group("receive");
    // An iteration takes milliseconds to tens of milliseconds: few, equal samples.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    for n in [100usize, 1_000, 10_000] {
        let lots = sample::lot_set(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter_custom(|iters| {
                let messages: Vec<Vec<u8>> = (0..iters)
                    .map(|_| {
                        sequence += 1;
                        support::delivery(&lots, "BENCH", sequence)
                    })
                    .collect();
                let start = Instant::now();
                for message in &messages {
                    let response = client.post_message(message).expect("an answer");
                    assert!(
                        response.status == 200 && support::is_ca(response.body),
                        "not applied: HTTP {} {}",
                        response.status,
                        String::from_utf8_lossy(response.body)
                    );
                }
                start.elapsed()
            })
        });
    }
    group.finish();
    drop(client);
    runtime.block_on(gateway.shutdown());
}

criterion_group!(benches, receive);
criterion_main!(benches);
