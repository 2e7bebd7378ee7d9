//! Prometheus metrics (`--metrics 127.0.0.1:9469`): served as OpenMetrics text on
//! `GET /metrics` by a small HTTP/1.1 responder on a loopback address only.
//!
//! | metric | type | meaning |
//! | --- | --- | --- |
//! | `kac_revision_applied_info{revision}` | gauge | 1 for the applied revision |
//! | `kac_revision_applied_timestamp_seconds` | gauge | when it was applied (Unix time) |
//! | `kac_reconcile_duration_seconds` | histogram | compile + apply of a revision, or a drift check |
//! | `kac_ops_applied_total{kind}` | counter | kernel ops applied, by kind (`add_address`, …) |
//! | `kac_errors_total{stage}` | counter | errors by stage (`source`, `refused`, `compile`, `apply`, `drift`) |
//! | `kac_drift_repairs_total` | counter | owned objects put back after someone changed them |
//! | `kac_owned_objects{kind}` | gauge | objects kac owns, by kind |
//! | `kac_suspended`, `kac_observe_only` | gauge | the operator's controls (0 or 1) |
//! | `kac_real_server_up{virtual_server,real_server}` | gauge | 1 while every checker of the real server passes |
//! | `kac_check_duration_seconds` | histogram | how long a check attempt took |
//! | `kac_real_server_transitions_total{virtual_server,real_server,to}` | counter | real servers going `up` or `down` |
//! | `kac_vrrp_state{instance}` | gauge | 0 init, 1 backup, 2 master, 3 fault, 4 stopped |
//! | `kac_vrrp_priority{instance}` | gauge | effective priority |
//! | `kac_vrrp_transitions_total{instance}` | counter | state changes |
//! | `kac_vrrp_adverts_sent_total{instance}` | counter | adverts sent |
//! | `kac_vrrp_adverts_received_total{instance}` | counter | valid adverts received |
//! | `kac_alerts_total{channel,kind,outcome}` | counter | alerts by channel (`email`, `trap`, `fifo`), kind (`vrrp`, `group`, `real_server`, `quorum`, `operational`) and outcome (`sent`, `failed`, `dropped`) |
//! | `kac_ipvs_sync_daemon{kind}` | gauge | 1 for the state of the connection sync daemon kac runs (`kind` is `master` or `backup`) |

use std::net::SocketAddr;
use std::sync::Arc;

use kac_schema::status::OwnedCounts;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::op::Op;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RevisionLabel {
    revision: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RealServerLabel {
    virtual_server: String,
    real_server: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabel {
    virtual_server: String,
    real_server: String,
    to: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InstanceLabel {
    instance: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AlertLabel {
    channel: &'static str,
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabel {
    stage: &'static str,
}

/// The daemon's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    revision: Family<RevisionLabel, Gauge>,
    applied_at: Gauge,
    duration: Histogram,
    ops: Family<KindLabel, Counter>,
    errors: Family<StageLabel, Counter>,
    drift: Counter,
    owned: Family<KindLabel, Gauge>,
    suspended: Gauge,
    observe_only: Gauge,
    rs_up: Family<RealServerLabel, Gauge>,
    check_duration: Histogram,
    transitions: Family<TransitionLabel, Counter>,
    vrrp_state: Family<InstanceLabel, Gauge>,
    vrrp_priority: Family<InstanceLabel, Gauge>,
    vrrp_transitions: Family<InstanceLabel, Counter>,
    vrrp_sent: Family<InstanceLabel, Counter>,
    vrrp_received: Family<InstanceLabel, Counter>,
    alerts: Family<AlertLabel, Counter>,
    /// The alert counters, read into `alerts` when the metrics are encoded.
    alert_stats: Arc<std::sync::Mutex<Option<crate::alert::AlertStats>>>,
    sync_daemon: Family<KindLabel, Gauge>,
}

/// What the VRRP engine reports about one instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VrrpMetric {
    /// The state (as its gauge value) and the effective priority.
    State(i64, u8),
    /// A transition.
    Transition,
    /// An advert sent.
    Sent,
    /// A valid advert received.
    Received,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let m = Metrics {
            registry: Arc::new(Registry::default()),
            revision: Family::default(),
            applied_at: Gauge::default(),
            duration: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            ops: Family::default(),
            errors: Family::default(),
            drift: Counter::default(),
            owned: Family::default(),
            suspended: Gauge::default(),
            observe_only: Gauge::default(),
            rs_up: Family::default(),
            check_duration: Histogram::new(exponential_buckets(0.0001, 2.0, 18)),
            transitions: Family::default(),
            vrrp_state: Family::default(),
            vrrp_priority: Family::default(),
            vrrp_transitions: Family::default(),
            vrrp_sent: Family::default(),
            vrrp_received: Family::default(),
            alerts: Family::default(),
            alert_stats: Arc::default(),
            sync_daemon: Family::default(),
        };
        let mut r = Registry::default();
        r.register(
            "kac_revision_applied_info",
            "the applied revision (value 1)",
            m.revision.clone(),
        );
        r.register(
            "kac_revision_applied_timestamp_seconds",
            "when the applied revision was applied (Unix time)",
            m.applied_at.clone(),
        );
        r.register(
            "kac_reconcile_duration_seconds",
            "time to compile and apply a revision, or to check for drift",
            m.duration.clone(),
        );
        r.register(
            "kac_ops_applied",
            "kernel ops applied, by kind",
            m.ops.clone(),
        );
        r.register("kac_errors", "errors, by stage", m.errors.clone());
        r.register(
            "kac_drift_repairs",
            "owned objects put back after someone changed them",
            m.drift.clone(),
        );
        r.register(
            "kac_owned_objects",
            "kernel objects kac owns, by kind",
            m.owned.clone(),
        );
        r.register(
            "kac_suspended",
            "1 while reconciling is suspended",
            m.suspended.clone(),
        );
        r.register(
            "kac_observe_only",
            "1 in observe-only mode",
            m.observe_only.clone(),
        );
        r.register(
            "kac_real_server_up",
            "1 while every checker of the real server passes",
            m.rs_up.clone(),
        );
        r.register(
            "kac_check_duration_seconds",
            "how long a health check attempt took",
            m.check_duration.clone(),
        );
        r.register(
            "kac_real_server_transitions",
            "real servers going up or down",
            m.transitions.clone(),
        );
        r.register(
            "kac_vrrp_state",
            "VRRP instance state: 0 init, 1 backup, 2 master, 3 fault, 4 stopped",
            m.vrrp_state.clone(),
        );
        r.register(
            "kac_vrrp_priority",
            "VRRP instance effective priority",
            m.vrrp_priority.clone(),
        );
        r.register(
            "kac_vrrp_transitions",
            "VRRP instance state changes",
            m.vrrp_transitions.clone(),
        );
        r.register(
            "kac_vrrp_adverts_sent",
            "VRRP adverts sent",
            m.vrrp_sent.clone(),
        );
        r.register(
            "kac_vrrp_adverts_received",
            "valid VRRP adverts received",
            m.vrrp_received.clone(),
        );
        r.register(
            "kac_alerts",
            "alerts by channel, kind and outcome",
            m.alerts.clone(),
        );
        r.register(
            "kac_ipvs_sync_daemon",
            "the IPVS connection sync daemon kac runs (1 for its state: master or backup)",
            m.sync_daemon.clone(),
        );
        Metrics {
            registry: Arc::new(r),
            ..m
        }
    }

    /// The connection sync daemon kac runs now (`None`: none).
    pub fn sync_daemon(&self, running: Option<crate::syncd::SyncState>) {
        self.sync_daemon.clear();
        if let Some(s) = running {
            self.sync_daemon
                .get_or_create(&KindLabel { kind: s.name() })
                .set(1);
        }
    }

    /// A revision was applied at `unix_seconds`.
    pub fn applied(&self, revision: &str, unix_seconds: i64) {
        self.revision.clear();
        self.revision
            .get_or_create(&RevisionLabel {
                revision: revision.to_string(),
            })
            .set(1);
        self.applied_at.set(unix_seconds);
    }

    /// A reconcile took `seconds`.
    pub fn reconciled(&self, seconds: f64) {
        self.duration.observe(seconds);
    }

    /// Ops were applied.
    pub fn ops(&self, ops: &[Op]) {
        for op in ops {
            self.ops
                .get_or_create(&KindLabel { kind: op_kind(op) })
                .inc();
        }
    }

    /// An error at `stage`.
    pub fn error(&self, stage: &'static str) {
        self.errors.get_or_create(&StageLabel { stage }).inc();
    }

    /// `n` objects were put back.
    pub fn drift_repaired(&self, n: usize) {
        self.drift.inc_by(n as u64);
    }

    /// What kac owns now.
    pub fn owned(&self, o: &OwnedCounts) {
        for (kind, n) in [
            ("address", o.addresses),
            ("route", o.routes),
            ("rule", o.rules),
            ("link", o.links),
            ("service", o.services),
        ] {
            self.owned
                .get_or_create(&KindLabel { kind })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// The operator's controls.
    pub fn mode(&self, suspended: bool, observe_only: bool) {
        self.suspended.set(i64::from(suspended));
        self.observe_only.set(i64::from(observe_only));
    }

    /// A real server went up or down.
    pub fn health_transition(&self, virtual_server: &str, real_server: &str, up: bool) {
        self.transitions
            .get_or_create(&TransitionLabel {
                virtual_server: virtual_server.to_string(),
                real_server: real_server.to_string(),
                to: if up { "up" } else { "down" },
            })
            .inc();
        self.rs_up
            .get_or_create(&RealServerLabel {
                virtual_server: virtual_server.to_string(),
                real_server: real_server.to_string(),
            })
            .set(i64::from(up));
    }

    /// The health of every checked real server (after a reload: the set may have changed).
    pub fn health_reset(&self, health: &[kac_schema::status::RealServerHealth]) {
        self.rs_up.clear();
        for h in health {
            self.rs_up
                .get_or_create(&RealServerLabel {
                    virtual_server: h.virtual_server.clone(),
                    real_server: h.real_server.clone(),
                })
                .set(i64::from(h.state == "up"));
        }
    }

    /// A check attempt took `seconds`.
    pub fn check_latency(&self, seconds: f64) {
        self.check_duration.observe(seconds);
    }

    /// A VRRP instance's event.
    pub fn vrrp(&self, instance: &str, m: VrrpMetric) {
        let l = InstanceLabel {
            instance: instance.to_string(),
        };
        match m {
            VrrpMetric::State(state, priority) => {
                self.vrrp_state.get_or_create(&l).set(state);
                self.vrrp_priority
                    .get_or_create(&l)
                    .set(i64::from(priority));
            }
            VrrpMetric::Transition => {
                self.vrrp_transitions.get_or_create(&l).inc();
            }
            VrrpMetric::Sent => {
                self.vrrp_sent.get_or_create(&l).inc();
            }
            VrrpMetric::Received => {
                self.vrrp_received.get_or_create(&l).inc();
            }
        }
    }

    /// A VRRP instance left the configuration.
    pub fn vrrp_removed(&self, instance: &str) {
        let l = InstanceLabel {
            instance: instance.to_string(),
        };
        self.vrrp_state.remove(&l);
        self.vrrp_priority.remove(&l);
    }

    /// Counts the alerts of `stats` (the delivery tasks count there; the counters follow it
    /// when the metrics are read).
    pub fn alert_stats(&self, stats: crate::alert::AlertStats) {
        *self
            .alert_stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(stats);
    }

    fn sync_alerts(&self) {
        let stats = self
            .alert_stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let Some(stats) = stats else {
            return;
        };
        for ((channel, kind, outcome), n) in stats.snapshot().counts {
            let c = self.alerts.get_or_create(&AlertLabel {
                channel: channel.label(),
                kind: kind.label(),
                outcome: outcome.label(),
            });
            let now = c.get();
            if n > now {
                c.inc_by(n - now);
            }
        }
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        self.sync_alerts();
        let mut s = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.registry);
        s
    }
}

/// The kind label of an op.
pub fn op_kind(op: &Op) -> &'static str {
    match op {
        Op::AddLink(_) => "add_link",
        Op::DelLink(_) => "del_link",
        Op::AddAddress(_) => "add_address",
        Op::DelAddress(_) => "del_address",
        Op::AddRoute(_) => "add_route",
        Op::ReplaceRoute { .. } => "replace_route",
        Op::DelRoute(_) => "del_route",
        Op::AddRule(_) => "add_rule",
        Op::DelRule(_) => "del_rule",
        Op::AddService(_) => "add_service",
        Op::EditService { .. } => "edit_service",
        Op::DelService(_) => "del_service",
        Op::AddDest { .. } => "add_dest",
        Op::EditDest { .. } => "edit_dest",
        Op::DelDest { .. } => "del_dest",
        Op::SetTimeouts { .. } => "set_timeouts",
        Op::StartSyncDaemon(_) => "start_sync_daemon",
        Op::StopSyncDaemon(_) => "stop_sync_daemon",
    }
}

/// Whether `addr` may serve metrics: loopback only (the metrics name revisions and counts of
/// the host's objects; exposing them wider is a reverse proxy's decision, not a flag's).
pub fn check_address(addr: &SocketAddr) -> Result<(), String> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "`--metrics {addr}` is not a loopback address (use 127.0.0.1 or [::1])"
        ))
    }
}

/// Serves `GET /metrics` on `listener` until the runtime ends.
pub async fn serve(listener: tokio::net::TcpListener, metrics: Metrics) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut head = Vec::with_capacity(1024);
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
                match tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
                    .await
                {
                    Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
                    _ => return,
                }
            }
            let wanted = head.starts_with(b"GET /metrics ") || head.starts_with(b"GET / ");
            let (status, ctype, body) = if wanted {
                (
                    "200 OK",
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    metrics.encode(),
                )
            } else {
                (
                    "404 Not Found",
                    "text/plain; charset=utf-8",
                    "kac serves GET /metrics\n".to_string(),
                )
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

#[cfg(test)]
mod health_metrics_tests {
    use super::*;

    #[test]
    fn health_metrics_name_the_real_server_and_count_transitions() {
        let m = Metrics::new();
        let row = |state: &str| kac_schema::status::RealServerHealth {
            virtual_server: "tcp 10.0.0.1:80".into(),
            real_server: "10.1.0.1:80".into(),
            state: state.into(),
            ..Default::default()
        };
        m.health_reset(&[row("up")]);
        m.health_transition("tcp 10.0.0.1:80", "10.1.0.1:80", false);
        m.check_latency(0.002);
        let text = m.encode();
        for want in [
            r#"kac_real_server_up{virtual_server="tcp 10.0.0.1:80",real_server="10.1.0.1:80"} 0"#,
            r#"kac_real_server_transitions_total{virtual_server="tcp 10.0.0.1:80",real_server="10.1.0.1:80",to="down"} 1"#,
            "kac_check_duration_seconds_count 1",
        ] {
            assert!(text.contains(want), "`{want}` missing:\n{text}");
        }
    }
}
