//! Site rules: checks across the hosts of one site, one rule per file.
//!
//! keepalived only ever sees one host's configuration, so it cannot notice that two hosts
//! that are meant to back each other up disagree. These rules see every host of a site.
//!
//! **Peers**: VRRP instances with the same instance name (`vrrp_instance NAME`) on different
//! hosts of one site are peers, that is the same virtual router seen from each host. An
//! instance name that appears on one host only has no peers and is never reported. When a
//! host defines the same name twice, only its first instance counts (the single-host rules
//! report the duplicate).

mod multiple_owners;
mod peer_advert_int_mismatch;
mod peer_auth_mismatch;
mod peer_nopreempt_mismatch;
mod peer_preempt_delay_mismatch;
mod peer_version_mismatch;
mod peer_vip_mismatch;
mod peer_vrid_mismatch;
mod top_priority_tie;
mod unicast_peers_asymmetric;
mod vrid_reused_on_segment;

use kac_schema::config::{VrrpInstance, VrrpState};
use kac_schema::{Diagnostic, Severity, Span};

use crate::{HostConfig, SiteRule};

/// The hosts of one instance name: each host (by index) with its instance, in site order.
pub(crate) type Peers<'a> = Vec<(usize, &'a VrrpInstance)>;

/// Every instance name used on at least two hosts, in order of first appearance, with its
/// peers (one instance per host, in host order).
pub(crate) fn peer_groups<'a>(hosts: &'a [HostConfig<'a>]) -> Vec<(&'a str, Peers<'a>)> {
    let mut groups: Vec<(&'a str, Peers<'a>)> = Vec::new();
    for (h, host) in hosts.iter().enumerate() {
        for i in &host.config.vrrp_instances {
            let name = i.name.value.as_str();
            let pos = match groups.iter().position(|(n, _)| *n == name) {
                Some(p) => p,
                None => {
                    groups.push((name, Vec::new()));
                    groups.len() - 1
                }
            };
            let peers = &mut groups[pos].1;
            if !peers.iter().any(|(x, _)| *x == h) {
                peers.push((h, i));
            }
        }
    }
    groups.retain(|(_, p)| p.len() > 1);
    groups
}

/// A peer whose property differs from the first peer's, as [`each_differing_peer`] sees it.
pub(crate) struct Differs<'a, K> {
    /// The instance name.
    pub name: &'a str,
    /// The first host with the instance.
    pub first_host: &'a str,
    /// The first host's value.
    pub want: K,
    /// The differing host.
    pub host: &'a str,
    /// Its value.
    pub have: K,
}

/// The shared shape of the mismatch rules: compares `key` of every peer with the first
/// peer's and reports each difference on the differing host, at `span_of(its instance, the
/// first host's value)`, with a second label on the first host's line. `report` gives the
/// message and the help.
pub(crate) fn each_differing_peer<'a, K: PartialEq>(
    hosts: &'a [HostConfig<'a>],
    out: &mut Vec<(usize, Diagnostic)>,
    rule: (&'static str, Severity),
    key: impl Fn(&'a VrrpInstance) -> K,
    span_of: impl Fn(&'a VrrpInstance, &K) -> Span,
    report: impl Fn(&Differs<'a, K>) -> (String, &'static str),
) {
    for (name, peers) in peer_groups(hosts) {
        let Some(((first, first_instance), rest)) = peers.split_first() else {
            continue;
        };
        for (h, instance) in rest {
            let d = Differs {
                name,
                first_host: hosts[*first].host,
                want: key(first_instance),
                host: hosts[*h].host,
                have: key(instance),
            };
            if d.have == d.want {
                continue;
            }
            let (message, help) = report(&d);
            out.push((
                *h,
                Diagnostic::new(rule.0, rule.1, message)
                    .with_primary(
                        span_of(instance, &d.want),
                        format!("differs from {}", d.first_host),
                    )
                    .with_secondary(
                        span_of(first_instance, &d.have),
                        format!("on {}", d.first_host),
                    )
                    .with_help(help),
            ));
        }
    }
}

/// Where an instance's priority comes from: `priority`, else `state`, else its name.
pub(crate) fn priority_span(i: &VrrpInstance) -> Span {
    i.priority
        .as_ref()
        .map(|p| p.span)
        .or(i.state.as_ref().map(|s| s.span))
        .unwrap_or(i.name.span)
}

/// keepalived's effective priority: `priority`, else 255 for `state MASTER`, else 100.
pub(crate) fn effective_priority(i: &VrrpInstance) -> u8 {
    match (&i.priority, &i.state) {
        (Some(p), _) => p.value,
        (None, Some(s)) if s.value == VrrpState::Master => 255,
        _ => 100,
    }
}

/// The rule of a site rule module (its `NAME`, `LEVEL`, `DOC` and `check`).
macro_rules! site_rule {
    ($m:ident) => {
        SiteRule {
            name: $m::NAME,
            level: $m::LEVEL,
            doc: $m::DOC,
            check: $m::check,
        }
    };
}

/// All site rules, sorted by name.
pub static ALL: &[SiteRule] = &[
    site_rule!(multiple_owners),
    site_rule!(peer_advert_int_mismatch),
    site_rule!(peer_auth_mismatch),
    site_rule!(peer_nopreempt_mismatch),
    site_rule!(peer_preempt_delay_mismatch),
    site_rule!(peer_version_mismatch),
    site_rule!(peer_vip_mismatch),
    site_rule!(peer_vrid_mismatch),
    site_rule!(top_priority_tie),
    site_rule!(unicast_peers_asymmetric),
    site_rule!(vrid_reused_on_segment),
];
