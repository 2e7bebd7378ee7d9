//! Graceful drain: a real server removed from the configuration is first set to weight 0
//! (no new connections; established ones finish) and removed when its drain period ends. A
//! virtual server removed from the configuration is kept the same way: its IPVS service stays,
//! with every real server it had at weight 0, for the drain period, then it goes with them
//! (keepalived removes both at once, cutting their connections). A period of 0 is keepalived's
//! behaviour: removed at once.
//!
//! Pure: the daemon tells it when the plan changes ([`Drains::plan_changed`]) and writes
//! it into each desired state it applies ([`Drains::overlay`]), so draining goes through
//! the one diff/apply path. Only what had traffic is drained: a real server with weight
//! above 0 in the state applied before, a service with at least one such real server. A
//! drained real server or service that comes back in a later plan ends its drain (the plan
//! decides again).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use kac_schema::status::Draining;

use crate::desired::Desired;
use crate::model::{DestAttrs, Service, ServiceAttrs, ServiceKey};

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    attrs: DestAttrs,
    until: Instant,
    until_wall: SystemTime,
}

/// A service removed from the configuration, kept while its real servers drain.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ServiceEntry {
    attrs: ServiceAttrs,
    until: Instant,
}

/// The real servers and services being drained.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drains {
    entries: BTreeMap<(ServiceKey, SocketAddr), Entry>,
    /// Removed services; their real servers are in `entries`.
    services: BTreeMap<ServiceKey, ServiceEntry>,
}

impl Drains {
    /// No drains.
    pub fn new() -> Drains {
        Drains::default()
    }

    /// Whether nothing is draining.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.services.is_empty()
    }

    /// The plan changes from the state `before` (as applied, health and drains included) to
    /// `after` (the new plan's, health not yet included): real servers that had traffic and
    /// are no longer in a kept service, and services that had traffic and are gone, start
    /// draining for `period`; drains whose real server or service is back end.
    pub fn plan_changed(
        &mut self,
        before: &Desired,
        after: &Desired,
        now: Instant,
        period: Duration,
    ) {
        self.services.retain(|k, _| !after.services.contains_key(k));
        let services = &self.services;
        self.entries
            .retain(|(k, a), _| match after.services.get(k) {
                Some(s) => !s.dests.contains_key(a),
                None => services.contains_key(k),
            });
        if period.is_zero() {
            return;
        }
        for (key, old) in &before.services {
            let Some(new) = after.services.get(key) else {
                self.service_removed(old, now, period);
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

    /// Service `old` (as applied) is no longer in the plan: it stays, with its real servers at
    /// weight 0, for `period` if any of them had traffic.
    fn service_removed(&mut self, old: &Service, now: Instant, period: Duration) {
        if self.services.contains_key(&old.key) || !old.dests.values().any(|d| d.weight > 0) {
            return;
        }
        tracing::info!(
            service = %old.key,
            real_servers = old.dests.len(),
            "virtual server removed from the configuration: its real servers are drained (weight 0) for {}s, then it is removed",
            period.as_secs()
        );
        self.services.insert(
            old.key,
            ServiceEntry {
                attrs: old.attrs.clone(),
                until: now + period,
            },
        );
        for (addr, attrs) in &old.dests {
            let mut attrs = attrs.clone();
            attrs.weight = 0;
            self.entries.insert(
                (old.key, *addr),
                Entry {
                    attrs,
                    until: now + period,
                    until_wall: SystemTime::now() + period,
                },
            );
        }
    }

    /// Writes the draining services and real servers (weight 0) into `desired`.
    pub fn overlay(&self, desired: &mut Desired) {
        for (key, s) in &self.services {
            desired.services.entry(*key).or_insert_with(|| Service {
                key: *key,
                attrs: s.attrs.clone(),
                dests: BTreeMap::new(),
            });
        }
        for ((key, addr), e) in &self.entries {
            if let Some(s) = desired.services.get_mut(key) {
                s.dests.entry(*addr).or_insert_with(|| e.attrs.clone());
            }
        }
    }

    /// Ends the drains due at `now`; whether any ended.
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.entries.len() + self.services.len();
        self.services.retain(|k, e| {
            let keep = e.until > now;
            if !keep {
                tracing::info!(service = %k, "drain over: removing the virtual server");
            }
            keep
        });
        self.entries.retain(|(k, a), e| {
            let keep = e.until > now;
            if !keep {
                tracing::info!(service = %k, real_server = %a, "drain over: removing the real server");
            }
            keep
        });
        self.entries.len() + self.services.len() != before
    }

    /// When the next drain ends.
    pub fn next_deadline(&self) -> Option<Instant> {
        let services = self.services.values().map(|e| e.until);
        self.entries.values().map(|e| e.until).chain(services).min()
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
