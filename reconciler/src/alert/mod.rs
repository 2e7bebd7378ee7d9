//! Alerts: what keepalived tells operators when something changes, on the channels it
//! offers: e-mail ([`mail`], [`smtp`]), SNMPv2c traps ([`trap`], [`ber`]) and notify FIFOs
//! ([`fifo`]). The runtime hands an [`AlertEvent`] to [`Alerter::alert`], which never waits:
//! mails and traps go through bounded queues with bounded retries ([`queue`]), FIFO lines
//! are written non-blocking; every outcome is counted ([`stats`]) for `kac status` and the
//! metrics.

pub mod ber;
pub mod event;
pub mod fifo;
pub mod mail;
pub mod queue;
pub mod smtp;
pub mod stats;
pub mod trap;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Instant, SystemTime};

pub use event::{AlertEvent, AlertKind};
pub use stats::{AlertStats, AlertStatsSnapshot, Channel, Outcome};

use fifo::{FifoError, FifoScope, FifoWriter};
use queue::{Queue, Queued, RetryPolicy};
use smtp::SmtpSettings;

/// Where traps go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrapSink {
    /// The trap receiver (UDP, usually port 162).
    pub addr: SocketAddr,
    /// The SNMPv2c community (`public` by default).
    pub community: String,
}

/// One notify FIFO to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FifoSpec {
    /// Its path.
    pub path: PathBuf,
    /// Which events it carries.
    pub scope: FifoScope,
    /// Its `*_script` (argv), started with the path appended.
    pub script: Option<Vec<String>>,
    /// The user the script runs as (`None`: the daemon's own user).
    pub run_as: Option<crate::script::RunAs>,
}

/// Everything the alert channels need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertSettings {
    /// The host's name in subjects and traps (`router_id`).
    pub router_id: String,
    /// Where mail goes; `None`: no mail.
    pub email: Option<SmtpSettings>,
    /// Mail retries and queue size.
    pub email_retry: RetryPolicy,
    /// Where traps go; `None`: no traps.
    pub traps: Option<TrapSink>,
    /// Trap retries (local send errors only: UDP has no acknowledgement) and queue size.
    pub trap_retry: RetryPolicy,
    /// Notify FIFOs.
    pub fifos: Vec<FifoSpec>,
}

/// The alert channels, running. Must be created inside a tokio runtime.
#[derive(Debug)]
pub struct Alerter {
    router_id: String,
    email: Option<(Queue<String>, SmtpSettings)>,
    traps: Option<(Queue<Vec<u8>>, String)>,
    fifos: Vec<FifoWriter>,
    stats: AlertStats,
    started: Instant,
    request_id: Arc<AtomicI32>,
}

impl Alerter {
    /// Opens the FIFOs (starting their scripts) and starts the delivery tasks.
    pub fn start(settings: AlertSettings) -> Result<Alerter, FifoError> {
        Alerter::start_counting(settings, AlertStats::default())
    }

    /// [`Alerter::start`], counting into `stats` (the daemon keeps its counters when the
    /// alerter is rebuilt for new settings).
    pub fn start_counting(
        settings: AlertSettings,
        stats: AlertStats,
    ) -> Result<Alerter, FifoError> {
        let fifos = settings
            .fifos
            .iter()
            .map(|f| FifoWriter::open(&f.path, f.scope, f.script.as_deref(), f.run_as))
            .collect::<Result<Vec<_>, _>>()?;
        let email = settings.email.map(|smtp| {
            let s = Arc::new(smtp.clone());
            let sender = queue::spawn_queue(
                Channel::Email,
                settings.email_retry,
                stats.clone(),
                move |data: &String| {
                    let (s, data) = (s.clone(), data.clone());
                    async move { smtp::send(&s, &data).await.map_err(|e| e.to_string()) }
                },
            );
            (sender, smtp)
        });
        let traps = settings.traps.map(|sink| {
            let addr = sink.addr;
            let sender = queue::spawn_queue(
                Channel::Trap,
                settings.trap_retry,
                stats.clone(),
                move |pdu: &Vec<u8>| {
                    let pdu = pdu.clone();
                    async move { send_udp(addr, &pdu).await.map_err(|e| e.to_string()) }
                },
            );
            (sender, sink.community)
        });
        Ok(Alerter {
            router_id: settings.router_id,
            email,
            traps,
            fifos,
            stats,
            started: Instant::now(),
            request_id: Arc::new(AtomicI32::new(1)),
        })
    }

    /// The counters, shared with the delivery tasks.
    pub fn stats(&self) -> &AlertStats {
        &self.stats
    }

    /// Reports `event` on every channel configured; `email` says whether this event is
    /// mailed (the `smtp_alert` switches of the instance, group or server and the global
    /// `smtp_alert*` defaults, decided by the caller). Never waits.
    pub fn alert(&mut self, event: &AlertEvent, email: bool) {
        let kind = event.kind();
        if let (true, Some((queue, smtp))) = (email, &self.email) {
            let m = mail::compose(&self.router_id, event);
            let data = mail::message_data(&m, &smtp.from, &smtp.to, SystemTime::now());
            queue.sender().push(Queued {
                kind,
                what: m.subject,
                item: data,
            });
        }
        if let Some((queue, community)) = &self.traps {
            let ticks = (self.started.elapsed().as_millis() / 10).min(u128::from(u32::MAX)) as u32;
            for t in trap::traps_for(&self.router_id, event) {
                let id = self.request_id.fetch_add(1, Ordering::Relaxed);
                queue.sender().push(Queued {
                    kind,
                    what: t.name.to_string(),
                    item: trap::encode(community, id, ticks, &t),
                });
            }
        }
        self.write_fifos(event);
    }

    /// Writes `event`'s line to the FIFOs that carry it, counting each line.
    fn write_fifos(&mut self, event: &AlertEvent) {
        let kind = event.kind();
        for f in &mut self.fifos {
            match f.write(event) {
                Ok(None) => {}
                Ok(Some(line)) => self.stats.record(
                    Channel::Fifo,
                    kind,
                    Outcome::Sent,
                    line.trim_end().to_string(),
                ),
                Err(e) => {
                    tracing::warn!(fifo = %f.path().display(), "notify FIFO line dropped: {e}");
                    self.stats.record(
                        Channel::Fifo,
                        kind,
                        Outcome::Dropped,
                        format!("{}: {e}", f.path().display()),
                    );
                }
            }
        }
    }

    /// `fifo_write_vrrp_states_on_reload`: writes the current states (`events`: sync groups
    /// and instances, as transitions into the state they are in) to the FIFOs that carry VRRP
    /// lines, without mail or trap. Never waits.
    pub fn write_states(&mut self, events: &[AlertEvent]) {
        for e in events {
            self.write_fifos(e);
        }
    }

    /// How long [`Alerter::shut_down`] waits at most by default: the mail's
    /// `smtp_connect_timeout`, between 1 and 5 s (2 s without mail).
    pub fn shutdown_grace(&self) -> std::time::Duration {
        let t = self
            .email
            .as_ref()
            .map_or(std::time::Duration::from_secs(2), |(_, s)| s.timeout);
        t.clamp(
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(5),
        )
    }

    /// Stops the channels: the mail and trap queues get `grace` to deliver what is queued
    /// (both at once); what is left then is dropped, logged and counted. The FIFO scripts
    /// are stopped when the alerter is dropped.
    pub async fn shut_down(self, grace: std::time::Duration) {
        let email = async {
            if let Some((q, _)) = self.email {
                q.shut_down(grace).await;
            }
        };
        let traps = async {
            if let Some((q, _)) = self.traps {
                q.shut_down(grace).await;
            }
        };
        tokio::join!(email, traps);
    }
}

async fn send_udp(to: SocketAddr, pdu: &[u8]) -> std::io::Result<()> {
    let bind: SocketAddr = if to.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = tokio::net::UdpSocket::bind(bind).await?;
    sock.send_to(pdu, to).await?;
    Ok(())
}

/// The mail settings of a plan's `global.email`, with keepalived's defaults filled in
/// (sender `user@host`, HELO name the host name); `None` when there is nothing to send to
/// (no recipients or no `smtp_server`: keepalived sends no mail then either).
pub fn email_settings(
    email: &kac_schema::plan::PlanEmail,
    host_name: &str,
    user: &str,
) -> Option<SmtpSettings> {
    let (host, port) = email.smtp_server.clone()?;
    if email.to.is_empty() {
        return None;
    }
    Some(SmtpSettings {
        host,
        port,
        helo: email.helo_name.clone().unwrap_or_else(|| host_name.into()),
        from: email
            .from
            .clone()
            .unwrap_or_else(|| format!("{user}@{host_name}")),
        to: email.to.clone(),
        timeout: std::time::Duration::from_secs(u64::from(email.connect_timeout_s.max(1))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kac_schema::plan::PlanEmail;

    #[test]
    fn plan_email_gets_keepalived_defaults() {
        let mut e = PlanEmail {
            to: vec!["ops@example.org".into()],
            from: None,
            smtp_server: Some(("192.0.2.25".into(), 25)),
            helo_name: None,
            connect_timeout_s: 30,
        };
        let s = email_settings(&e, "lb1", "root").expect("settings");
        assert_eq!((s.from.as_str(), s.helo.as_str()), ("root@lb1", "lb1"));
        assert_eq!(s.timeout, std::time::Duration::from_secs(30));
        e.to.clear();
        assert_eq!(email_settings(&e, "lb1", "root"), None);
        e.to.push("ops@example.org".into());
        e.smtp_server = None;
        assert_eq!(email_settings(&e, "lb1", "root"), None);
    }
}
