//! The gateway's Prometheus metrics, in the OpenMetrics text format.
//!
//! Two kinds: what happened since the process started — attempts, deliveries, requests,
//! lookups, mails sent, with their durations — counted here as the roles report it
//! ([`Metrics`]); and what stands now — the set in place, escalations, the outbox,
//! certificates, store sizes — read from the roles at each scrape and added as gauges
//! ([`Scrape`]). Only this module knows prometheus-client.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// A metric's labels: name and value pairs.
pub type Labels = Vec<(&'static str, String)>;

/// The media type of what [`Scrape::render`] writes.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The media type of what [`Scrape::render_prometheus`] writes.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The buckets of the duration histograms, in seconds: 5 ms to about 82 s.
fn duration_buckets() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.005, 2.0, 15,
    ))
}

/// The counters and histograms, shared by every part that reports to them; cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Events>,
}

#[derive(Debug)]
struct Events {
    sender_attempts: Family<Labels, Counter>,
    sender_deliveries: Family<Labels, Counter>,
    sender_attempt_duration: Family<Labels, Histogram, fn() -> Histogram>,
    sender_source_lots: Gauge,
    sender_source_failures: Counter,
    receiver_requests: Family<Labels, Counter>,
    receiver_request_duration: Histogram,
    receiver_lookups: Family<Labels, Counter>,
    mail_sent: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            inner: Arc::new(Events {
                sender_attempts: Family::default(),
                sender_deliveries: Family::default(),
                sender_attempt_duration: Family::new_with_constructor(duration_buckets),
                sender_source_lots: Gauge::default(),
                sender_source_failures: Counter::default(),
                receiver_requests: Family::default(),
                receiver_request_duration: duration_buckets(),
                receiver_lookups: Family::default(),
                mail_sent: Family::default(),
            }),
        }
    }
}

impl Metrics {
    /// An attempt to `destination` ended with `outcome` (`delivered`, `rejected`,
    /// `failed`) after `seconds`.
    pub fn attempt(&self, destination: &str, outcome: &str, seconds: f64) {
        let i = &self.inner;
        i.sender_attempts
            .get_or_create(&vec![
                ("destination", destination.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .inc();
        i.sender_attempt_duration
            .get_or_create(&vec![("destination", destination.to_owned())])
            .observe(seconds);
    }

    /// A delivery to `destination` ended: `delivered`, `rejected`, or `exhausted` (no
    /// attempt left).
    pub fn delivery(&self, destination: &str, outcome: &str) {
        self.inner
            .sender_deliveries
            .get_or_create(&vec![
                ("destination", destination.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .inc();
    }

    /// The sender read its source: `lots` lot numbers.
    pub fn source_read(&self, lots: usize) {
        self.inner
            .sender_source_lots
            .set(i64::try_from(lots).unwrap_or(i64::MAX));
    }

    /// The sender's source could not be read, or was invalid.
    pub fn source_failed(&self) {
        self.inner.sender_source_failures.inc();
    }

    /// The receiver answered a request with `verdict` after `seconds`.
    pub fn request(&self, verdict: &str, seconds: f64) {
        let i = &self.inner;
        i.receiver_requests
            .get_or_create(&vec![("verdict", verdict.to_owned())])
            .inc();
        i.receiver_request_duration.observe(seconds);
    }

    /// The receiver answered a lookup with `status`.
    pub fn lookup(&self, status: &str) {
        self.inner
            .receiver_lookups
            .get_or_create(&vec![("status", status.to_owned())])
            .inc();
    }

    /// `role`'s mail worker handed `count` mails to the transport.
    pub fn mails_sent(&self, role: &str, count: usize) {
        self.inner
            .mail_sent
            .get_or_create(&vec![("role", role.to_owned())])
            .inc_by(count as u64);
    }
}

/// One scrape: the counters and histograms, and the gauges of this moment.
#[derive(Debug)]
pub struct Scrape {
    registry: Registry,
    gauges: BTreeMap<&'static str, Family<Labels, Gauge<f64, AtomicU64>>>,
    plain: BTreeMap<&'static str, Gauge<f64, AtomicU64>>,
}

impl Scrape {
    /// A scrape of `metrics`, with `lotgate_build_info{version}` and the event metrics of
    /// the roles that run (`sender`, `receiver`).
    pub fn new(metrics: &Metrics, sender: bool, receiver: bool) -> Self {
        let mut registry = Registry::default();
        registry.register(
            "lotgate_build",
            "The lotgate that answers, by version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION").to_owned())]),
        );
        let i = &metrics.inner;
        if sender {
            registry.register(
                "lotgate_sender_attempts",
                "Attempts of deliveries, by destination and outcome (delivered, rejected, failed)",
                i.sender_attempts.clone(),
            );
            registry.register(
                "lotgate_sender_deliveries",
                "Deliveries that ended, by destination and outcome (delivered, rejected, exhausted)",
                i.sender_deliveries.clone(),
            );
            registry.register(
                "lotgate_sender_attempt_duration_seconds",
                "How long attempts took, by destination",
                i.sender_attempt_duration.clone(),
            );
            registry.register(
                "lotgate_sender_source_lots",
                "Lot numbers in the source when it was last read",
                i.sender_source_lots.clone(),
            );
            registry.register(
                "lotgate_sender_source_failures",
                "Reads of the source that failed or found it invalid",
                i.sender_source_failures.clone(),
            );
        }
        if receiver {
            registry.register(
                "lotgate_receiver_requests",
                "Requests to the exchange endpoint, by verdict (ca, ce, cr, fault, too_large, timeout, broken, refused)",
                i.receiver_requests.clone(),
            );
            registry.register(
                "lotgate_receiver_request_duration_seconds",
                "How long the exchange endpoint took to answer",
                i.receiver_request_duration.clone(),
            );
            registry.register(
                "lotgate_receiver_lookups",
                "Lookups of lot numbers, by status (valid, expired, other_vaccine, unknown, bad_request)",
                i.receiver_lookups.clone(),
            );
        }
        registry.register(
            "lotgate_mail_sent",
            "Alert emails the transport accepted, by role",
            i.mail_sent.clone(),
        );
        Self {
            registry,
            gauges: BTreeMap::new(),
            plain: BTreeMap::new(),
        }
    }

    /// Sets gauge `name` (with `help`) to `value` for `labels`; no labels: a plain gauge.
    pub fn gauge(&mut self, name: &'static str, help: &'static str, labels: Labels, value: f64) {
        if labels.is_empty() {
            let gauge = self.plain.entry(name).or_insert_with(|| {
                let gauge = Gauge::<f64, AtomicU64>::default();
                self.registry.register(name, help, gauge.clone());
                gauge
            });
            gauge.set(value);
            return;
        }
        let family = self.gauges.entry(name).or_insert_with(|| {
            let family = Family::<Labels, Gauge<f64, AtomicU64>>::default();
            self.registry.register(name, help, family.clone());
            family
        });
        family.get_or_create(&labels).set(value);
    }

    /// The scrape in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// The scrape in Prometheus's older text format (0.0.4), for clients that do not
    /// ask for OpenMetrics: see [`prometheus_text`].
    pub fn render_prometheus(&self) -> String {
        prometheus_text(&self.render())
    }
}

/// OpenMetrics text as Prometheus text 0.0.4: a counter's family is named with its
/// `_total`, an info metric is a gauge named with its `_info`, and there is no `# EOF`.
/// The samples are the same. Pure.
pub fn prometheus_text(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    // The metadata lines of a family come before its samples: rename them as they go.
    let mut lines = openmetrics.lines().peekable();
    while let Some(line) = lines.next() {
        if line == "# EOF" {
            continue;
        }
        let (is_help, rest) = match (line.strip_prefix("# HELP "), line.strip_prefix("# TYPE ")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            (None, None) => {
                out.push_str(line);
                out.push('\n');
                continue;
            }
        };
        let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        // The family's type: this line's, or the TYPE line after a HELP line.
        let kind = if is_help {
            lines
                .peek()
                .and_then(|next| next.strip_prefix("# TYPE "))
                .and_then(|t| t.split_once(' '))
                .filter(|(n, _)| *n == name)
                .map(|(_, kind)| kind)
                .unwrap_or("")
        } else {
            tail
        };
        let (name, tail) = match (kind, is_help) {
            ("counter", _) => (format!("{name}_total"), tail),
            ("info", true) => (format!("{name}_info"), tail),
            ("info", false) => (format!("{name}_info"), "gauge"),
            _ => (name.to_owned(), tail),
        };
        let prefix = if is_help { "# HELP" } else { "# TYPE" };
        out.push_str(&format!("{prefix} {name} {tail}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_gauges_come_out_in_the_openmetrics_format() {
        let metrics = Metrics::default();
        metrics.attempt("ggd", "failed", 0.02);
        metrics.attempt("ggd", "delivered", 0.01);
        metrics.delivery("ggd", "delivered");
        metrics.request("ca", 0.003);
        metrics.lookup("valid");
        metrics.mails_sent("sender", 2);
        let mut scrape = Scrape::new(&metrics, true, true);
        scrape.gauge(
            "lotgate_receiver_set_version",
            "The version of the set in place",
            Vec::new(),
            4.0,
        );
        scrape.gauge(
            "lotgate_receiver_set_lots",
            "Lots in the set in place, by vaccine type",
            vec![("vaccine", "08".into())],
            12.0,
        );
        let text = scrape.render();
        for line in [
            "lotgate_build_info{version=\"",
            "lotgate_sender_attempts_total{destination=\"ggd\",outcome=\"failed\"} 1",
            "lotgate_sender_deliveries_total{destination=\"ggd\",outcome=\"delivered\"} 1",
            "lotgate_sender_attempt_duration_seconds_count{destination=\"ggd\"} 2",
            "lotgate_receiver_requests_total{verdict=\"ca\"} 1",
            "lotgate_receiver_request_duration_seconds_count 1",
            "lotgate_receiver_lookups_total{status=\"valid\"} 1",
            "lotgate_mail_sent_total{role=\"sender\"} 2",
            "lotgate_receiver_set_version 4.0",
            "lotgate_receiver_set_lots{vaccine=\"08\"} 12.0",
            "# EOF",
        ] {
            assert!(text.contains(line), "{line:?} not in:\n{text}");
        }
        // The older Prometheus format names families as their samples, has no EOF.
        let prometheus = prometheus_text(&text);
        for line in [
            "# TYPE lotgate_build_info gauge",
            "# HELP lotgate_sender_attempts_total Attempts",
            "# TYPE lotgate_sender_attempts_total counter",
            "# TYPE lotgate_receiver_set_lots gauge",
            "lotgate_mail_sent_total{role=\"sender\"} 2",
        ] {
            assert!(prometheus.contains(line), "{line:?} not in:\n{prometheus}");
        }
        assert!(!prometheus.contains("# EOF"), "{prometheus}");
        assert_eq!(
            prometheus.lines().filter(|l| !l.starts_with('#')).count(),
            text.lines().filter(|l| !l.starts_with('#')).count(),
            "the same samples"
        );
        // A receiver-only gateway shows no sender metrics.
        let text = Scrape::new(&metrics, false, true).render();
        assert!(!text.contains("lotgate_sender_"), "{text}");
    }
}
