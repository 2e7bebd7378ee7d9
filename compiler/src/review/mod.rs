//! Reviewing a change: the semantic diff of the plans of a site's hosts between two
//! revisions, and the hazards of the transition (`kac plan`).
//!
//! Pure: it sees [`kac_schema::plan::Plan`]s (and the diagnostics of sides that did not
//! compile), never files or git. The binary compiles both sides and hands them in.
//!
//! * [`host`]: one host's changes (objects matched by stable keys) and its own hazards.
//! * [`site`]: hazards across the hosts of a site (VRRP elections, peers changing together).
//! * [`keys`]: stable keys and one-line descriptions of plan objects.
//! * [`conf_diff`]: the unified diff of a host's canonical keepalived.conf (`--conf-diff`).
//! * [`pairing`]: a host's virtual servers paired across the two sides while they compile,
//!   the unchanged ones dropped at once (large sites).

pub mod conf_diff;
pub mod host;
pub mod keys;
pub mod pairing;
pub mod site;

use std::collections::BTreeSet;

use kac_schema::plan::Plan;
use kac_schema::plan_diff::{
    Hazard, HazardKind, HostDiff, HostStatus, ObjectKind, ObjectRef, PLAN_DIFF_VERSION,
    PlanDiagnostic, PlanDiff, Revision, Side, SideErrors, SiteDiff, Summary,
};

/// One side of one host, as the binary found it.
#[derive(Debug, Clone)]
pub enum HostSide {
    /// The host does not exist on this side.
    Absent,
    /// The host's plan.
    Plan(Box<Plan>),
    /// The host's configuration does not compile: its diagnostics.
    Failed(Vec<PlanDiagnostic>),
}

/// A host of a site on both sides.
#[derive(Debug, Clone)]
pub struct HostInput {
    /// Host name.
    pub name: String,
    /// The old side.
    pub from: HostSide,
    /// The new side.
    pub to: HostSide,
}

/// A site on both sides.
#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    /// Where the site is in the repository.
    pub site: String,
    /// Its hosts, in the order to show them.
    pub hosts: Vec<HostInput>,
    /// Problems reading the site itself (its manifest), by side.
    pub errors: Vec<SideErrors>,
}

/// Reviews one site: each host's diff and hazards, then the hazards across its hosts.
pub fn review_site(input: &SiteInput) -> SiteDiff {
    let mut hosts = Vec::new();
    let mut vrid_flagged = BTreeSet::new();
    let mut from_side: Vec<(&str, &Plan)> = Vec::new();
    let mut to_side: Vec<(&str, &Plan)> = Vec::new();
    for h in &input.hosts {
        let d = review_host(h, &mut vrid_flagged);
        // Hosts with a side that does not compile stay out of the site analysis: their
        // instances would look added or removed.
        if d.status != HostStatus::Failed {
            if let HostSide::Plan(p) = &h.from {
                from_side.push((&h.name, p));
            }
            if let HostSide::Plan(p) = &h.to {
                to_side.push((&h.name, p));
            }
        }
        hosts.push(d);
    }
    let mut hazards = site::hazards(&from_side, &to_side, &vrid_flagged);
    for e in &input.errors {
        hazards.push(compile_failed_hazard(
            ObjectRef {
                object: ObjectKind::Global,
                key: input.site.clone(),
            },
            Vec::new(),
            e.side,
            "the site manifest",
        ));
    }
    SiteDiff {
        site: input.site.clone(),
        hosts,
        hazards,
        errors: input.errors.clone(),
    }
}

/// The `compile-failed` hazard of `what` (`the configuration of host lb1`) on `side`.
pub fn compile_failed_hazard(
    object: ObjectRef,
    hosts: Vec<String>,
    side: Side,
    what: &str,
) -> Hazard {
    let side = match side {
        Side::From => "old (--from)",
        Side::To => "new (--to)",
    };
    Hazard {
        kind: HazardKind::CompileFailed,
        object,
        hosts,
        reason: format!("{what} does not compile on the {side} side: nothing can be planned"),
    }
}

fn review_host(h: &HostInput, vrid_flagged: &mut BTreeSet<(String, String)>) -> HostDiff {
    let mut d = HostDiff {
        host: h.name.clone(),
        status: HostStatus::Unchanged,
        changes: Vec::new(),
        hazards: Vec::new(),
        errors: Vec::new(),
        conf_diff: None,
    };
    for (side, s) in [(Side::From, &h.from), (Side::To, &h.to)] {
        if let HostSide::Failed(diags) = s {
            d.errors.push(SideErrors {
                side,
                diagnostics: diags.clone(),
            });
            d.hazards.push(compile_failed_hazard(
                ObjectRef {
                    object: ObjectKind::Global,
                    key: h.name.clone(),
                },
                vec![h.name.clone()],
                side,
                &format!("the configuration of host {}", h.name),
            ));
        }
    }
    if !d.errors.is_empty() {
        d.status = HostStatus::Failed;
        return d;
    }
    match (&h.from, &h.to) {
        (HostSide::Plan(from), HostSide::Plan(to)) => {
            let r = host::review(&h.name, from, to);
            vrid_flagged.extend(r.vrid_flagged.into_iter().map(|i| (h.name.clone(), i)));
            d.status = if r.changes.is_empty() {
                HostStatus::Unchanged
            } else {
                HostStatus::Changed
            };
            d.changes = r.changes;
            d.hazards = r.hazards;
        }
        (HostSide::Absent, HostSide::Plan(to)) => {
            d.status = HostStatus::Added;
            d.changes = host::review(&h.name, &empty_like(to), to).changes;
        }
        (HostSide::Plan(_), HostSide::Absent) => {
            d.status = HostStatus::Removed;
        }
        _ => {}
    }
    d
}

/// A plan with nothing in it (and `like`'s global settings), to list a new host's objects as
/// added.
fn empty_like(like: &Plan) -> Plan {
    Plan {
        plan_version: like.plan_version,
        host: like.host.clone(),
        config_id: like.config_id.clone(),
        global: like.global.clone(),
        static_addresses: Vec::new(),
        static_routes: Vec::new(),
        static_rules: Vec::new(),
        vrrp_scripts: Default::default(),
        track_files: Default::default(),
        track_processes: Default::default(),
        vrrp_sync_groups: Default::default(),
        vrrp_instances: Default::default(),
        virtual_servers: Vec::new(),
    }
}

/// The whole result: sites in the order given, with the summary counted.
pub fn finish(from: Revision, to: Revision, sites: Vec<SiteDiff>) -> PlanDiff {
    let mut summary = Summary::default();
    for s in &sites {
        summary.hazards += s.hazards.len();
        if !s.errors.is_empty() {
            summary.failed += 1;
        }
        for h in &s.hosts {
            summary.hosts += 1;
            summary.changes += h.changes.len();
            summary.hazards += h.hazards.len();
            match h.status {
                HostStatus::Unchanged => {}
                HostStatus::Changed => summary.hosts_changed += 1,
                HostStatus::Added => summary.hosts_added += 1,
                HostStatus::Removed => summary.hosts_removed += 1,
                HostStatus::Failed => summary.failed += 1,
            }
        }
    }
    PlanDiff {
        version: PLAN_DIFF_VERSION,
        from,
        to,
        sites,
        summary,
    }
}

#[cfg(test)]
mod tests;
