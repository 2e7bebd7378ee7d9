//! `track_group`: the static addresses, routes and rules each VRRP instance tracks.
//!
//! keepalived (2.2 `vrrp_static_track.c`) makes every instance of a static entry's track group
//! track the entry's interface with weight 0: an address's `dev`, a route's `dev` (a route
//! without one, multipath included, tracks nothing), a rule's `iif` (`dev` is the same). A
//! deleted static entry is put back at once; it stays gone while its interface is down, and
//! that is when the instances are in FAULT. Entries with `no_track` are not tracked; names in
//! a group that are not instances are ignored (the parser reported both).

use std::collections::BTreeMap;

use kac_schema::config::Config;
use kac_schema::plan::{PlanAddress, PlanRoute, PlanRule, PlanStaticTrack};

/// The tracked static entries of each instance, by instance name (sorted, no duplicates).
pub fn static_tracking(
    cfg: &Config,
    addresses: &[PlanAddress],
    routes: &[PlanRoute],
    rules: &[PlanRule],
) -> BTreeMap<String, Vec<PlanStaticTrack>> {
    // The first definition of a name is the one keepalived finds.
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for g in &cfg.track_groups {
        groups
            .entry(g.name.value.as_str())
            .or_insert_with(|| g.members.iter().map(|m| m.value.as_str()).collect());
    }
    let mut entries: Vec<(String, String, String)> = Vec::new();
    for a in addresses.iter().filter(|a| a.track) {
        if let Some(g) = &a.track_group {
            entries.push((
                g.clone(),
                a.dev.clone(),
                format!("address {}/{}", a.addr, a.prefix_len),
            ));
        }
    }
    for r in routes.iter().filter(|r| r.track) {
        if let (Some(g), Some(dev)) = (&r.track_group, &r.dev) {
            let table = if r.table == "main" {
                String::new()
            } else {
                format!(" table {}", r.table)
            };
            entries.push((g.clone(), dev.clone(), format!("route {}{table}", r.dest)));
        }
    }
    for r in rules {
        let opt = |k: &str| {
            r.options
                .iter()
                .find_map(|o| o.strip_prefix(k).and_then(|v| v.strip_prefix(' ')))
        };
        if r.options.iter().any(|o| o == "no_track") {
            continue;
        }
        if let (Some(g), Some(dev)) = (opt("track_group"), opt("iif").or_else(|| opt("dev"))) {
            entries.push((
                g.to_string(),
                dev.to_string(),
                format!("rule preference {}", r.preference),
            ));
        }
    }
    let mut out: BTreeMap<String, Vec<PlanStaticTrack>> = BTreeMap::new();
    for (group, interface, object) in entries {
        for inst in groups.get(group.as_str()).into_iter().flatten() {
            if !cfg.vrrp_instances.iter().any(|i| i.name.value == *inst) {
                continue;
            }
            out.entry(inst.to_string())
                .or_default()
                .push(PlanStaticTrack {
                    interface: interface.clone(),
                    object: object.clone(),
                    group: group.clone(),
                });
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    out
}
