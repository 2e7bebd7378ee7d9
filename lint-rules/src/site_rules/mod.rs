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
mod peer_vip_mismatch;
mod peer_vrid_mismatch;
mod top_priority_tie;

use kac_schema::config::{VrrpInstance, VrrpState};
use kac_schema::{Diagnostic, Severity, Span};

use crate::{HostConfig, SiteRule};

/// The hosts of one instance name: each host with its instance, in site order.
pub(crate) type Peers<'a> = Vec<(&'a str, &'a VrrpInstance)>;

/// Every instance name used on at least two hosts, in order of first appearance, with its
/// peers (one instance per host, in host order).
pub(crate) fn peer_groups<'a>(hosts: &'a [crate::HostConfig<'a>]) -> Vec<(&'a str, Peers<'a>)> {
    let mut groups: Vec<(&'a str, Peers<'a>)> = Vec::new();
    for h in hosts {
        for i in &h.config.vrrp_instances {
            let name = i.name.value.as_str();
            let pos = match groups.iter().position(|(n, _)| *n == name) {
                Some(p) => p,
                None => {
                    groups.push((name, Vec::new()));
                    groups.len() - 1
                }
            };
            let peers = &mut groups[pos].1;
            if !peers.iter().any(|(host, _)| *host == h.host) {
                peers.push((h.host, i));
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
    /// The first host with the instance, and its value.
    pub first_host: &'a str,
    /// The first host's value.
    pub want: K,
    /// The differing host.
    pub host: &'a str,
    /// Its value.
    pub have: K,
    /// Its instance.
    pub instance: &'a VrrpInstance,
}

/// What a mismatch rule says about one differing peer: message, where, and help.
pub(crate) type Mismatch = (String, Span, &'static str);

/// The shared shape of the mismatch rules: compares `key` of every peer with the first
/// peer's and reports each difference (labelled "differs from FIRST") on the differing host.
pub(crate) fn each_differing_peer<'a, K: PartialEq>(
    hosts: &'a [HostConfig<'a>],
    out: &mut Vec<(String, Diagnostic)>,
    rule: (&str, Severity),
    key: impl Fn(&'a VrrpInstance) -> K,
    report: impl Fn(&Differs<'a, K>) -> Mismatch,
) {
    for (name, peers) in peer_groups(hosts) {
        let Some(((first_host, first), rest)) = peers.split_first() else {
            continue;
        };
        for (host, instance) in rest {
            let d = Differs {
                name,
                first_host,
                want: key(first),
                host,
                have: key(instance),
                instance,
            };
            if d.have == d.want {
                continue;
            }
            let (message, span, help) = report(&d);
            out.push((
                (*host).to_string(),
                Diagnostic::new(rule.0, rule.1, message)
                    .with_primary(span, format!("differs from {first_host}"))
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

/// All site rules, sorted by name.
pub static ALL: &[SiteRule] = &[
    SiteRule {
        name: multiple_owners::NAME,
        level: multiple_owners::LEVEL,
        doc: multiple_owners::DOC,
        check: multiple_owners::check,
    },
    SiteRule {
        name: peer_advert_int_mismatch::NAME,
        level: peer_advert_int_mismatch::LEVEL,
        doc: peer_advert_int_mismatch::DOC,
        check: peer_advert_int_mismatch::check,
    },
    SiteRule {
        name: peer_auth_mismatch::NAME,
        level: peer_auth_mismatch::LEVEL,
        doc: peer_auth_mismatch::DOC,
        check: peer_auth_mismatch::check,
    },
    SiteRule {
        name: peer_nopreempt_mismatch::NAME,
        level: peer_nopreempt_mismatch::LEVEL,
        doc: peer_nopreempt_mismatch::DOC,
        check: peer_nopreempt_mismatch::check,
    },
    SiteRule {
        name: peer_vip_mismatch::NAME,
        level: peer_vip_mismatch::LEVEL,
        doc: peer_vip_mismatch::DOC,
        check: peer_vip_mismatch::check,
    },
    SiteRule {
        name: peer_vrid_mismatch::NAME,
        level: peer_vrid_mismatch::LEVEL,
        doc: peer_vrid_mismatch::DOC,
        check: peer_vrid_mismatch::check,
    },
    SiteRule {
        name: top_priority_tie::NAME,
        level: top_priority_tie::LEVEL,
        doc: top_priority_tie::DOC,
        check: top_priority_tie::check,
    },
];
