//! Graceful drain: a real server removed from the configuration is first set to weight 0
//! (no new connections; established ones finish) and removed when its drain period ends. A
//! period of 0 is keepalived's behaviour: removed at once.
//!
//! Pure: the daemon tells it when the plan changes ([`Drains::plan_changed`]) and writes
//! it into each desired state it applies ([`Drains::overlay`]), so draining goes through
//! the one diff/apply path. Only a real server whose virtual server stays is drained (a
//! removed virtual server takes its real servers with it), and only one that had traffic
//! (weight above 0 in the state applied before).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use kac_schema::status::Draining;

use crate::desired::Desired;
use crate::model::{DestAttrs, ServiceKey};

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    attrs: DestAttrs,
    until: Instant,
    until_wall: SystemTime,
}

/// The real servers being drained.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drains {
    entries: BTreeMap<(ServiceKey, SocketAddr), Entry>,
}

impl Drains {
    /// No drains.
    pub fn new() -> Drains {
        Drains::default()
    }

    /// Whether nothing is draining.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The plan changes from the state `before` (as applied, health included) to `after`
    /// (the new plan's, health not yet included): real servers that had traffic and are no
    /// longer in a kept service start draining for `period`; drains whose real server is
    /// back, or whose service is gone, end.
    pub fn plan_changed(
        &mut self,
        before: &Desired,
        after: &Desired,
        now: Instant,
        period: Duration,
    ) {
        self.entries.retain(|(k, a), _| {
            after
                .services
                .get(k)
                .is_some_and(|s| !s.dests.contains_key(a))
        });
        if period.is_zero() {
            return;
        }
        for (key, old) in &before.services {
            let Some(new) = after.services.get(key) else {
                continue;
            };
            for (addr, attrs) in &old.dests {
                if attrs.weight <= 0 || new.dests.contains_key(addr) {
                    continue;
                }
                let mut attrs = attrs.clone();
                attrs.weight = 0;
                tracing::info!(
                    service = %key,
                    real_server = %addr,
                    "real server removed from the configuration: drained (weight 0) for {}s",
                    period.as_secs()
                );
                self.entries.entry((*key, *addr)).or_insert(Entry {
                    attrs,
                    until: now + period,
                    until_wall: SystemTime::now() + period,
                });
            }
        }
    }

    /// Writes the draining real servers (weight 0) into `desired`.
    pub fn overlay(&self, desired: &mut Desired) {
        for ((key, addr), e) in &self.entries {
            if let Some(s) = desired.services.get_mut(key) {
                s.dests.entry(*addr).or_insert_with(|| e.attrs.clone());
            }
        }
    }

    /// Ends the drains due at `now`; whether any ended.
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(k, a), e| {
            let keep = e.until > now;
            if !keep {
                tracing::info!(service = %k, real_server = %a, "drain over: removing the real server");
            }
            keep
        });
        self.entries.len() != before
    }

    /// When the next drain ends.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.entries.values().map(|e| e.until).min()
    }

    /// For `kac status`.
    pub fn status(&self) -> Vec<Draining> {
        self.entries
            .iter()
            .map(|((k, a), e)| Draining {
                service: k.to_string(),
                real_server: a.to_string(),
                until: humantime::format_rfc3339_seconds(e.until_wall).to_string(),
            })
            .collect()
    }
}
