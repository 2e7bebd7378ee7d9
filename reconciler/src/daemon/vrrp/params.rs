//! Kernel parameters the VRRP configuration asks for, as keepalived sets them, written in
//! the daemon's own network namespace: `promote_secondaries` (an instance's
//! `net.ipv4.conf.IF.promote_secondaries=1` on its interface, its VMAC with `use_vmac`, so
//! removing one virtual address does not take the others of its subnet along) and
//! `disable_local_igmp` (`net.ipv4.igmp_link_local_mcast_reports=0`: no IGMP reports for the
//! 224.0.0.0/24 groups VRRP joins).
//!
//! A parameter is set only when it differs, and the value found then is put back when no
//! instance wants it any more or the engine stops (as keepalived: a parameter that already
//! had the value is left alone).

use std::collections::BTreeMap;

use kac_schema::plan::Plan;

/// The sysctl path of `net.ipv4.conf.DEV.promote_secondaries`.
fn promote_path(dev: &str) -> String {
    format!("/proc/sys/net/ipv4/conf/{dev}/promote_secondaries")
}

/// The sysctl path of `net.ipv4.igmp_link_local_mcast_reports`.
const IGMP_PATH: &str = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";

/// The parameters (path → value) `plan` wants: `promote_secondaries` on the interface of
/// every instance with it (the VMAC with `use_vmac`), `igmp_link_local_mcast_reports` off
/// with `disable_local_igmp` and any instance.
pub fn wanted(plan: &Plan) -> BTreeMap<String, &'static str> {
    let mut out = BTreeMap::new();
    for i in plan.vrrp_instances.values() {
        if !i.tuning.promote_secondaries {
            continue;
        }
        if let Some(dev) = i.use_vmac.as_ref().or(i.interface.as_ref()) {
            out.insert(promote_path(dev), "1");
        }
    }
    if plan.global.disable_local_igmp && !plan.vrrp_instances.is_empty() {
        out.insert(IGMP_PATH.to_string(), "0");
    }
    out
}

/// The parameters kac set, with the values they had before.
#[derive(Debug, Default)]
pub struct Params {
    /// What is wanted now (path → value).
    wanted: BTreeMap<String, &'static str>,
    /// path → the value found there before kac changed it.
    saved: BTreeMap<String, String>,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|v| v.trim().to_string())
}

fn write(path: &str, value: &str) {
    if let Err(e) = std::fs::write(path, value) {
        tracing::warn!("cannot set {path} to {value}: {e}");
    }
}

impl Params {
    /// Wants `wanted` from now on: what is no longer wanted gets its old value back, the
    /// rest is set ([`Params::apply`]).
    pub fn configure(&mut self, wanted: BTreeMap<String, &'static str>) {
        let gone: Vec<String> = self
            .saved
            .keys()
            .filter(|p| !wanted.contains_key(*p))
            .cloned()
            .collect();
        for path in gone {
            if let Some(old) = self.saved.remove(&path) {
                write(&path, &old);
            }
        }
        self.wanted = wanted;
        self.apply();
    }

    /// Sets every wanted parameter that differs (an interface made again, or one that did not
    /// exist before, gets it now); a missing interface is skipped until it appears.
    pub fn apply(&mut self) {
        for (path, value) in &self.wanted {
            let Some(now) = read(path) else {
                continue;
            };
            if now == *value {
                continue;
            }
            self.saved.entry(path.clone()).or_insert(now);
            write(path, value);
        }
    }

    /// Puts back every value kac changed (the engine stops).
    pub fn restore(&mut self) {
        self.wanted.clear();
        for (path, old) in std::mem::take(&mut self.saved) {
            write(&path, &old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wanted_follows_the_plan() {
        let mut plan = super::super::tests::empty_plan();
        plan.vrrp_instances
            .insert("VI_1".into(), super::super::tests::instance(3));
        assert!(wanted(&plan).is_empty());
        plan.global.disable_local_igmp = true;
        let i = plan.vrrp_instances.get_mut("VI_1").expect("VI_1");
        i.tuning.promote_secondaries = true;
        let w = wanted(&plan);
        assert_eq!(w.get(IGMP_PATH), Some(&"0"));
        assert_eq!(w.get(&promote_path("eth0")), Some(&"1"));
        let i = plan.vrrp_instances.get_mut("VI_1").expect("VI_1");
        i.use_vmac = Some("vrrp.51".into());
        let w = wanted(&plan);
        assert_eq!(w.get(&promote_path("vrrp.51")), Some(&"1"));
        assert!(!w.contains_key(&promote_path("eth0")));
        plan.vrrp_instances.clear();
        assert!(wanted(&plan).is_empty(), "no instance, nothing set");
    }
}
