//! Prometheus metrics of the endpoint, served as text on `GET /metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Event names Bold documents; any other name is labelled `other` unless the
/// plugin subscribes to it, so label values stay bounded.
pub const KNOWN_EVENTS: &[&str] = &[
    "initialize_checkout",
    "order_submitted",
    "app_hook",
    "received_shipping_lines",
    "order_changed",
];

/// Labels of a request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// Plugin id (only configured ids: unknown plugins are `unknown`).
    pub plugin: String,
    /// Event name, `override:<kind>`, `webhook:<topic>`, or `other`.
    pub event: String,
    /// HTTP status answered.
    pub status: u16,
}

/// Labels of a per-plugin series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    /// Plugin id.
    pub plugin: String,
}

/// Labels of a fault.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FaultLabels {
    /// Plugin id.
    pub plugin: String,
    /// Fault kind (`fuel_exhausted`, …).
    pub kind: String,
}

/// Labels of a reload.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// Plugin id.
    pub plugin: String,
    /// `ok` or `failed`.
    pub result: String,
}

/// Labels of a delivery attempt to Bold.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    /// Plugin id.
    pub plugin: String,
    /// `delivered`, `retry`, `dead` or `superseded`.
    pub outcome: String,
}

fn delay_histogram() -> Histogram {
    // 1 ms … ~9 h
    Histogram::new(exponential_buckets(0.001, 3.0, 16))
}

fn latency_histogram() -> Histogram {
    // 50 µs … ~1.6 s
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

fn fuel_histogram() -> Histogram {
    // 10 k … ~2.6 G fuel
    Histogram::new(exponential_buckets(10_000.0, 4.0, 14))
}

/// Every metric of the host.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by plugin, event and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Request latency in seconds, by plugin.
    pub latency: Family<PluginLabels, Histogram, fn() -> Histogram>,
    /// Fuel used per invocation, by plugin.
    pub fuel: Family<PluginLabels, Histogram, fn() -> Histogram>,
    /// Seconds a call waited for its sandbox (admission queue, then a
    /// sandbox thread), by plugin.
    pub sandbox_wait: Family<PluginLabels, Histogram, fn() -> Histogram>,
    /// Seconds of the guest's own time spent instantiating, by plugin.
    pub instantiation: Family<PluginLabels, Histogram, fn() -> Histogram>,
    /// Seconds of the guest's own time spent in the call, by plugin.
    pub execution: Family<PluginLabels, Histogram, fn() -> Histogram>,
    /// Handler faults, by plugin and kind.
    pub faults: Family<FaultLabels, Counter>,
    /// Reloads, by plugin and result.
    pub reloads: Family<ReloadLabels, Counter>,
    /// Sandboxes running now, by plugin.
    pub sandboxes_in_use: Family<PluginLabels, Gauge>,
    /// Signature rejections, by plugin.
    pub signature_failures: Family<PluginLabels, Counter>,
    /// Notification delivery attempts, by plugin and outcome.
    pub deliveries: Family<DeliveryLabels, Counter>,
    /// Seconds from a notification's commit to its delivery, by plugin.
    pub delivery_delay: Family<PluginLabels, Histogram, fn() -> Histogram>,
    /// Log lines dropped because the log writer fell behind.
    log_lines_dropped: Counter,
    /// Where that count is read from, when logs go through a writer thread.
    dropped_source: std::sync::OnceLock<fn() -> u64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("plugin_host");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<PluginLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let fuel = Family::<PluginLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            fuel_histogram,
        );
        let [sandbox_wait, instantiation, execution] = [(); 3].map(|()| {
            Family::<PluginLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            )
        });
        let faults = Family::<FaultLabels, Counter>::default();
        let reloads = Family::<ReloadLabels, Counter>::default();
        let sandboxes_in_use = Family::<PluginLabels, Gauge>::default();
        let signature_failures = Family::<PluginLabels, Counter>::default();
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let delivery_delay =
            Family::<PluginLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                delay_histogram,
            );
        registry.register(
            "notification_attempts",
            "Notification delivery attempts to Bold, by outcome",
            deliveries.clone(),
        );
        registry.register(
            "notification_delivery_delay_seconds",
            "Time from a notification's commit to its delivery to Bold",
            delivery_delay.clone(),
        );
        registry.register("requests", "Requests answered", requests.clone());
        let log_lines_dropped = Counter::default();
        registry.register(
            "log_lines_dropped",
            "Log lines dropped because the log writer fell behind",
            log_lines_dropped.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from request to answer",
            latency.clone(),
        );
        registry.register("fuel_used", "Fuel used per invocation", fuel.clone());
        registry.register(
            "sandbox_wait_seconds",
            "Time a call waited for its sandbox: admission queue, then a sandbox thread",
            sandbox_wait.clone(),
        );
        registry.register(
            "instantiation_seconds",
            "Guest time spent instantiating its sandbox (none when a spare was ready)",
            instantiation.clone(),
        );
        registry.register(
            "execution_seconds",
            "Guest time spent in the call itself",
            execution.clone(),
        );
        registry.register("faults", "Handler faults by kind", faults.clone());
        registry.register("reloads", "Plugin reloads by result", reloads.clone());
        registry.register(
            "sandboxes_in_use",
            "Sandboxes running now",
            sandboxes_in_use.clone(),
        );
        registry.register(
            "signature_failures",
            "Requests refused for their signature",
            signature_failures.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            fuel,
            sandbox_wait,
            instantiation,
            execution,
            faults,
            reloads,
            sandboxes_in_use,
            signature_failures,
            deliveries,
            delivery_delay,
            log_lines_dropped,
            dropped_source: std::sync::OnceLock::new(),
        }
    }

    /// Reports, from now on, the dropped log lines that `source` counts.
    pub fn count_dropped_log_lines(&self, source: fn() -> u64) {
        let _ = self.dropped_source.set(source);
    }

    /// The metrics in Prometheus text format.
    pub fn render(&self) -> String {
        if let Some(source) = self.dropped_source.get() {
            let dropped = source();
            self.log_lines_dropped
                .inc_by(dropped.saturating_sub(self.log_lines_dropped.get()));
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts a signature rejection.
    pub fn signature_failures_inc(&self, plugin: &str) {
        self.signature_failures
            .get_or_create(&PluginLabels {
                plugin: plugin.to_owned(),
            })
            .inc();
    }

    /// Counts a reload.
    pub fn reload(&self, plugin: &str, ok: bool) {
        self.reloads
            .get_or_create(&ReloadLabels {
                plugin: plugin.to_owned(),
                result: if ok { "ok" } else { "failed" }.to_owned(),
            })
            .inc();
    }
}

impl Metrics {
    /// Records where one sandboxed call's time went: `admission` (time in
    /// the plugin's queue) plus the invocation's own waits, its
    /// instantiation (unless a spare was ready) and its execution.
    pub fn sandbox_timings(
        &self,
        plugin: &str,
        admission: std::time::Duration,
        timings: &crate::runtime::Timings,
        prewarmed: bool,
    ) {
        let labels = PluginLabels {
            plugin: plugin.to_owned(),
        };
        self.sandbox_wait
            .get_or_create(&labels)
            .observe((admission + timings.waited).as_secs_f64());
        if !prewarmed {
            self.instantiation
                .get_or_create(&labels)
                .observe(timings.instantiation.as_secs_f64());
        }
        self.execution
            .get_or_create(&labels)
            .observe(timings.execution.as_secs_f64());
    }
}

/// Override kinds, topics and paths come from the URL: a label value is the
/// segment when it is short and plain, else `other`.
pub fn bounded_label(segment: &str) -> &str {
    let plain = !segment.is_empty()
        && segment.len() <= 32
        && segment
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if plain { segment } else { "other" }
}

/// The label for an event name: known names and the plugin's subscribed
/// events as they are, anything else `other`.
pub fn event_label(name: &str, subscribed: Option<&std::collections::BTreeSet<String>>) -> String {
    if KNOWN_EVENTS.contains(&name) || subscribed.is_some_and(|s| s.contains(name)) {
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

impl crate::outbox::DeliveryObserver for Metrics {
    fn attempt(&self, event: &crate::outbox::AttemptEvent<'_>) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                plugin: event.plugin.to_owned(),
                outcome: event.outcome.as_str().to_owned(),
            })
            .inc();
        if event.outcome == crate::outbox::AttemptKind::Delivered {
            self.delivery_delay
                .get_or_create(&PluginLabels {
                    plugin: event.plugin.to_owned(),
                })
                .observe(event.delay.as_secs_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let metrics = Metrics::new();
        metrics
            .requests
            .get_or_create(&RequestLabels {
                plugin: "p".into(),
                event: "initialize_checkout".into(),
                status: 200,
            })
            .inc();
        metrics
            .latency
            .get_or_create(&PluginLabels { plugin: "p".into() })
            .observe(0.001);
        metrics.reload("p", false);
        metrics.sandbox_timings(
            "p",
            std::time::Duration::from_millis(2),
            &crate::runtime::Timings {
                waited: std::time::Duration::from_millis(1),
                instantiation: std::time::Duration::from_micros(80),
                execution: std::time::Duration::from_micros(40),
            },
            false,
        );
        fn seven() -> u64 {
            7
        }
        metrics.count_dropped_log_lines(seven);
        let text = metrics.render();
        assert_eq!(
            metrics.render(),
            text,
            "rendering twice counts nothing twice"
        );
        for series in [
            "plugin_host_log_lines_dropped_total 7",
            r#"plugin_host_sandbox_wait_seconds_sum{plugin="p"} 0.003"#,
            r#"plugin_host_instantiation_seconds_count{plugin="p"} 1"#,
            r#"plugin_host_execution_seconds_sum{plugin="p"} 0.00004"#,
        ] {
            assert!(text.contains(series), "{series} missing: {text}");
        }
        assert!(
            text.contains(
                r#"plugin_host_requests_total{plugin="p",event="initialize_checkout",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains("plugin_host_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(text.contains(r#"plugin_host_reloads_total{plugin="p",result="failed"} 1"#));
    }

    #[test]
    fn unknown_events_are_other() {
        assert_eq!(event_label("order_submitted", None), "order_submitted");
        assert_eq!(event_label("made_up_123", None), "other");
        let subscribed = ["custom_event".to_owned()].into();
        assert_eq!(
            event_label("custom_event", Some(&subscribed)),
            "custom_event"
        );
    }
}
