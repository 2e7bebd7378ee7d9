//! Hazards across the hosts of a site: which host is master of each VRRP instance before and
//! after, whether the peers will still hear each other, and settings every peer must change at
//! the same time.
//!
//! **Peers** are instances with the same name on different hosts of a site (as for the site
//! lint rules). Peers hear each other when they agree on what a VRRP packet carries and is
//! checked against: VRID, VRRP version, advertisement interval, authentication and address
//! family. Peers that agree form one election, won by the highest priority (ties are decided
//! at run time by the hosts' addresses); peers that disagree form separate elections, each
//! with its own master.

use std::collections::{BTreeMap, BTreeSet};

use kac_schema::plan::{Plan, PlanVrrpInstance};
use kac_schema::plan_diff::{Hazard, HazardKind, ObjectKind, ObjectRef};

use super::keys::{seconds_us, secret_text};

/// One side of a site: each host that compiled, with its plan.
pub type SiteSide<'a> = [(&'a str, &'a Plan)];

/// The hazards across the hosts of a site. `vrid_flagged` holds (host, instance) pairs whose
/// VRID change a host-level hazard (swapped, reused) already explains.
pub fn hazards(
    from: &SiteSide<'_>,
    to: &SiteSide<'_>,
    vrid_flagged: &BTreeSet<(String, String)>,
) -> Vec<Hazard> {
    let names: BTreeSet<&String> = from
        .iter()
        .chain(to.iter())
        .flat_map(|(_, p)| p.vrrp_instances.keys())
        .collect();
    let mut out = Vec::new();
    for name in names {
        let old = peers(from, name);
        let new = peers(to, name);
        if old.is_empty() && new.is_empty() {
            continue;
        }
        if new.is_empty() {
            no_master(name, &old, to, &mut out);
            continue;
        }
        let before = Election::of(&old);
        let after = Election::of(&new);
        if after.groups.len() > 1 && before.groups.len() <= 1 {
            out.push(Hazard {
                kind: HazardKind::TwoMasters,
                object: instance(name),
                hosts: new.iter().map(|(h, _)| h.to_string()).collect(),
                reason: format!(
                    "the peers of instance {name} will not hear each other ({}), so each group \
                     elects its own master ({}): the VIPs are claimed {} times; make every peer \
                     agree",
                    after.disagreement(&new),
                    after.masters_text(),
                    after.groups.len()
                ),
            });
        } else if before.groups.len() == 1 && after.groups.len() == 1 {
            master_changes(name, &old, &new, &before, &after, &mut out);
        }
        if after.groups.len() == 1 {
            change_together(name, &old, &new, vrid_flagged, &mut out);
        }
    }
    out
}

fn instance(name: &str) -> ObjectRef {
    ObjectRef {
        object: ObjectKind::VrrpInstance,
        key: name.to_string(),
    }
}

/// The hosts that have instance `name`, each with it, in site order.
fn peers<'a>(side: &SiteSide<'a>, name: &str) -> Vec<(&'a str, &'a PlanVrrpInstance)> {
    side.iter()
        .filter_map(|(h, p)| p.vrrp_instances.get(name).map(|i| (*h, i)))
        .collect()
}

/// What peers must agree on to hear each other.
#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Debug)]
struct Wire {
    vrid: u8,
    version: u8,
    advert_int_us: u64,
    auth: Option<(String, String)>,
    family: String,
}

impl Wire {
    fn of(i: &PlanVrrpInstance) -> Wire {
        Wire {
            vrid: i.vrid,
            version: i.version,
            advert_int_us: i.advert_int_us,
            auth: i
                .auth
                .as_ref()
                .map(|a| (a.auth_type.clone(), a.pass.clone())),
            family: i.family.clone(),
        }
    }
}

/// The elections of one instance's peers: groups of peers that hear each other, each with the
/// hosts sharing its top priority.
struct Election<'a> {
    /// (hosts of the group, hosts with the group's top priority, that priority).
    groups: Vec<(Vec<&'a str>, Vec<&'a str>, u8)>,
}

impl<'a> Election<'a> {
    fn of(peers: &[(&'a str, &'a PlanVrrpInstance)]) -> Election<'a> {
        let mut by_wire: BTreeMap<Wire, Vec<(&'a str, &'a PlanVrrpInstance)>> = BTreeMap::new();
        for (h, i) in peers {
            by_wire.entry(Wire::of(i)).or_default().push((h, i));
        }
        let groups = by_wire
            .into_values()
            .map(|members| {
                let top = members.iter().map(|(_, i)| i.priority).max().unwrap_or(0);
                let hosts = members.iter().map(|(h, _)| *h).collect();
                let masters = members
                    .iter()
                    .filter(|(_, i)| i.priority == top)
                    .map(|(h, _)| *h)
                    .collect();
                (hosts, masters, top)
            })
            .collect();
        Election { groups }
    }

    /// `lb1 or lb2` for the one group.
    fn master(&self) -> Option<&Vec<&'a str>> {
        match self.groups.as_slice() {
            [(_, masters, _)] => Some(masters),
            _ => None,
        }
    }

    /// `lb1 among lb1, lb3; lb2` for every group.
    fn masters_text(&self) -> String {
        self.groups
            .iter()
            .map(|(hosts, masters, _)| {
                if hosts.len() == 1 {
                    hosts.join("")
                } else {
                    format!("{} among {}", masters.join(" or "), hosts.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Which settings differ between the groups, host by host.
    fn disagreement(&self, peers: &[(&str, &PlanVrrpInstance)]) -> String {
        let show = |what: &str, f: &dyn Fn(&PlanVrrpInstance) -> String| -> Option<String> {
            let values: BTreeSet<String> = peers.iter().map(|(_, i)| f(i)).collect();
            (values.len() > 1).then(|| {
                let per_host = peers
                    .iter()
                    .map(|(h, i)| format!("{h} {}", f(i)))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{what}: {per_host}")
            })
        };
        let parts: Vec<String> = [
            show("VRID", &|i| i.vrid.to_string()),
            show("VRRP version", &|i| i.version.to_string()),
            show("advert_int", &|i| seconds_us(i.advert_int_us)),
            show("authentication", &|i| auth_text(i)),
            show("family", &|i| i.family.clone()),
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.join("; ")
    }
}

/// Authentication without the password: `none`, `PASS (password 1)`, … numbered by password.
fn auth_text(i: &PlanVrrpInstance) -> String {
    match &i.auth {
        None => "none".into(),
        // The password is shown as a short fingerprint, never in clear.
        Some(a) => format!("{} ({})", a.auth_type, secret_text(&a.pass)),
    }
}

fn priorities(peers: &[(&str, &PlanVrrpInstance)]) -> String {
    peers
        .iter()
        .map(|(h, i)| format!("{h} {}", i.priority))
        .collect::<Vec<_>>()
        .join(", ")
}

fn master_changes(
    name: &str,
    old: &[(&str, &PlanVrrpInstance)],
    new: &[(&str, &PlanVrrpInstance)],
    before: &Election<'_>,
    after: &Election<'_>,
    out: &mut Vec<Hazard>,
) {
    let (Some(was), Some(will)) = (before.master(), after.master()) else {
        return;
    };
    if was == will {
        return;
    }
    let who = |m: &Vec<&str>| {
        if m.len() == 1 {
            m.join("")
        } else {
            format!(
                "{} (a tie, decided by the hosts' addresses)",
                m.join(" or ")
            )
        }
    };
    let mut reason = format!(
        "the master of instance {name} changes from {} to {} (priorities before: {}; after: {}): \
         its VIPs move to another host when the change is applied",
        who(was),
        who(will),
        priorities(old),
        priorities(new)
    );
    let no_preempt: Vec<&str> = new
        .iter()
        .filter(|(h, i)| will.contains(h) && !was.contains(h) && !i.preempt)
        .map(|(h, _)| *h)
        .collect();
    if !no_preempt.is_empty() {
        reason.push_str(&format!(
            "; with nopreempt on {} the current master keeps the role until it fails or restarts",
            no_preempt.join(", ")
        ));
    }
    let mut hosts: BTreeSet<String> = was.iter().map(|h| h.to_string()).collect();
    hosts.extend(will.iter().map(|h| h.to_string()));
    out.push(Hazard {
        kind: HazardKind::MasterChanges,
        object: instance(name),
        hosts: hosts.into_iter().collect(),
        reason,
    });
}

/// An instance gone from every host whose VIPs no instance of the new side holds.
fn no_master(
    name: &str,
    old: &[(&str, &PlanVrrpInstance)],
    to: &SiteSide<'_>,
    out: &mut Vec<Hazard>,
) {
    let held: BTreeSet<std::net::IpAddr> = to
        .iter()
        .flat_map(|(_, p)| p.vrrp_instances.values())
        .flat_map(|i| i.vips.iter().map(|v| v.addr))
        .collect();
    let lost: BTreeSet<String> = old
        .iter()
        .flat_map(|(_, i)| i.vips.iter())
        .filter(|v| !held.contains(&v.addr))
        .map(|v| format!("{}/{}", v.addr, v.prefix_len))
        .collect();
    if lost.is_empty() {
        return;
    }
    let hosts: Vec<String> = old.iter().map(|(h, _)| h.to_string()).collect();
    out.push(Hazard {
        kind: HazardKind::NoMaster,
        object: instance(name),
        hosts: hosts.clone(),
        reason: format!(
            "instance {name} is removed from every host ({}) and no other instance takes its \
             VIPs {}: no host will be master of them and their traffic stops",
            hosts.join(", "),
            lost.into_iter().collect::<Vec<_>>().join(", ")
        ),
    });
}

/// Settings that every peer must change in the same instant (they are checked on every
/// packet): flagged whenever they change, since the hosts of a site are updated one after
/// another.
fn change_together(
    name: &str,
    old: &[(&str, &PlanVrrpInstance)],
    new: &[(&str, &PlanVrrpInstance)],
    vrid_flagged: &BTreeSet<(String, String)>,
    out: &mut Vec<Hazard>,
) {
    let mut fields: BTreeSet<&'static str> = BTreeSet::new();
    let mut changed_on = Vec::new();
    for (h, n) in new {
        let Some((_, o)) = old.iter().find(|(oh, _)| oh == h) else {
            continue;
        };
        let before = fields.len();
        if o.advert_int_us != n.advert_int_us {
            fields.insert("advert_int");
        }
        if o.auth != n.auth {
            fields.insert("authentication");
        }
        if o.version != n.version {
            fields.insert("VRRP version");
        }
        if o.vrid != n.vrid && !vrid_flagged.contains(&(h.to_string(), name.to_string())) {
            fields.insert("VRID");
        }
        if fields.len() > before
            || (o.advert_int_us, &o.auth, o.version, o.vrid)
                != (n.advert_int_us, &n.auth, n.version, n.vrid)
        {
            changed_on.push(h.to_string());
        }
    }
    if fields.is_empty() {
        return;
    }
    let all: Vec<String> = new.iter().map(|(h, _)| h.to_string()).collect();
    let fields: Vec<&str> = fields.into_iter().collect();
    let peers_text = if all.len() > 1 {
        format!("its peers {}", all.join(", "))
    } else {
        format!(
            "{} (no peer in this site; peers elsewhere must change too)",
            all.join("")
        )
    };
    out.push(Hazard {
        kind: HazardKind::PeersMustChangeTogether,
        object: instance(name),
        hosts: changed_on,
        reason: format!(
            "the {} of instance {name} changes: every packet is checked against it, so until \
             all of {peers_text} run the new value they ignore each other and each becomes \
             master; apply it to every peer at the same time",
            fields.join(" and ")
        ),
    });
}
