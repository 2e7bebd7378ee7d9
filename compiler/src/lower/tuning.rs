//! An instance's gratuitous ARP timings and advert handling ([`PlanVrrpTuning`]), and the
//! intervals of `garp_group` blocks: instance settings, else the `vrrp_*` settings of
//! `global_defs`, else keepalived's defaults.

use std::collections::BTreeMap;

use kac_schema::config::{Config, Setting, SettingValue, VrrpInstance};
use kac_schema::plan::{PlanGarp, PlanGarpIntervals, PlanVrrpTuning};

/// The last occurrence of `keyword` among `settings`.
fn last<'a>(settings: &'a [Setting], keyword: &str) -> Option<&'a Setting> {
    settings.iter().rev().find(|s| s.keyword == keyword)
}

/// A boolean setting (`keyword` alone is true); `None` when not written.
fn flag(settings: &[Setting], keyword: &str) -> Option<bool> {
    last(settings, keyword).map(|s| {
        s.values
            .iter()
            .find_map(|v| match v {
                SettingValue::Bool(b) => Some(*b),
                _ => None,
            })
            .unwrap_or(true)
    })
}

/// An unsigned setting; `None` when not written.
fn number(settings: &[Setting], keyword: &str) -> Option<u64> {
    last(settings, keyword).and_then(|s| {
        s.values.iter().find_map(|v| match v {
            SettingValue::Unsigned(n) => Some(*n),
            _ => None,
        })
    })
}

/// An address setting; `None` when not written.
fn address(settings: &[Setting], keyword: &str) -> Option<std::net::IpAddr> {
    last(settings, keyword).and_then(|s| {
        s.values.iter().find_map(|v| match v {
            SettingValue::Ip(a) => Some(*a),
            _ => None,
        })
    })
}

fn to_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The global gratuitous ARP defaults: the explicit `vrrp_garp_*` settings, else
/// `vrrp_min_garp` (one packet, no second burst), else keepalived's defaults. Returns the
/// plan's [`PlanGarp`] and the lower-priority (delay s, repeat).
pub fn global_garp(cfg: &Config) -> (PlanGarp, (u32, u32)) {
    let g = &cfg.global;
    let min = flag(&g.other, "vrrp_min_garp").unwrap_or(false);
    let (dflt_delay, dflt_repeat) = if min { (0, 1) } else { (5, 5) };
    let master_delay_s = g.vrrp_garp_master_delay.unwrap_or(dflt_delay);
    let master_repeat = g.vrrp_garp_master_repeat.unwrap_or(dflt_repeat);
    let garp = PlanGarp {
        master_delay_s,
        master_repeat,
        master_refresh_s: g.vrrp_garp_master_refresh.unwrap_or(0),
        master_refresh_repeat: g.vrrp_garp_master_refresh_repeat.unwrap_or(1),
        interval_us: g.vrrp_garp_interval.unwrap_or(0),
        gna_interval_us: g.vrrp_gna_interval.unwrap_or(0),
    };
    let lower_delay = number(&g.other, "vrrp_garp_lower_prio_delay").map_or(master_delay_s, to_u32);
    let lower_repeat =
        number(&g.other, "vrrp_garp_lower_prio_repeat").map_or(master_repeat, to_u32);
    (garp, (lower_delay, lower_repeat))
}

/// The per-interface intervals of `garp_group` blocks (a value a group does not set is the
/// global one; a later group naming an interface again wins).
pub fn garp_intervals(cfg: &Config, garp: &PlanGarp) -> BTreeMap<String, PlanGarpIntervals> {
    let mut out = BTreeMap::new();
    for g in &cfg.garp_groups {
        for i in &g.interfaces {
            out.insert(
                i.value.clone(),
                PlanGarpIntervals {
                    interval_us: g.garp_interval.unwrap_or(garp.interval_us),
                    gna_interval_us: g.gna_interval.unwrap_or(garp.gna_interval_us),
                },
            );
        }
    }
    out
}

/// One instance's tuning. `strict`: strict mode, which keeps the RFC's behaviour (no answer
/// to lower-priority adverts, no advert before yielding, three adverts to the master-down
/// interval).
pub fn instance_tuning(
    cfg: &Config,
    i: &VrrpInstance,
    garp: &PlanGarp,
    lower: (u32, u32),
    strict: bool,
    group_priority_changes: Option<bool>,
) -> PlanVrrpTuning {
    let g = &cfg.global.other;
    let o = &i.other;
    let num = |k: &str| number(o, k).map(to_u32);
    let garp_master_delay_s = num("garp_master_delay").unwrap_or(garp.master_delay_s);
    let garp_master_repeat = num("garp_master_repeat")
        .unwrap_or(garp.master_repeat)
        .max(1);
    let either = |own: &str, global: &str| flag(o, own).or_else(|| flag(g, global));
    PlanVrrpTuning {
        garp_master_delay_s,
        garp_master_repeat,
        garp_master_refresh_s: num("garp_master_refresh").unwrap_or(garp.master_refresh_s),
        garp_master_refresh_repeat: num("garp_master_refresh_repeat")
            .unwrap_or(garp.master_refresh_repeat)
            .max(1),
        // Unset, they are the global ones (which default to the global master values).
        garp_lower_prio_delay_s: num("garp_lower_prio_delay").unwrap_or(lower.0),
        garp_lower_prio_repeat: num("garp_lower_prio_repeat").unwrap_or(lower.1),
        down_timer_adverts: if strict {
            3
        } else {
            num("down_timer_adverts")
                .or_else(|| number(g, "vrrp_down_timer_adverts").map(to_u32))
                .unwrap_or(3)
        },
        lower_prio_no_advert: strict
            || either("lower_prio_no_advert", "vrrp_lower_prio_no_advert").unwrap_or(false),
        higher_prio_send_advert: !strict
            && either("higher_prio_send_advert", "vrrp_higher_prio_send_advert").unwrap_or(false),
        skip_check_adv_addr: either("skip_check_adv_addr", "vrrp_skip_check_adv_addr")
            .unwrap_or(false),
        unicast_ttl: number(o, "unicast_ttl").map_or(255, |t| u8::try_from(t).unwrap_or(255)),
        mcast_dst_ip: address(o, "mcast_dst_ip"),
        dont_track_primary: i.dont_track_primary,
        fault_no_peer: i.unicast_peers.is_empty() && flag(o, "unicast_fault_no_peer").is_some(),
        // keepalived tracks only a source address the configuration names (adverts of a
        // multicast instance come from `mcast_src_ip`).
        track_src_ip: flag(o, "track_src_ip").is_some()
            && (i.mcast_src_ip.is_some()
                || (i.unicast_src_ip.is_some() && !i.unicast_peers.is_empty())),
        promote_secondaries: flag(o, "promote_secondaries").is_some(),
        notify_priority_changes: flag(o, "notify_priority_changes")
            .or(group_priority_changes)
            .or_else(|| flag(g, "vrrp_notify_priority_changes"))
            .unwrap_or(false),
        old_unicast_checksum: last(o, "old_unicast_checksum")
            .map(|s| !s.args.iter().any(|a| a == "never")),
    }
}

#[cfg(test)]
mod tests {
    use kac_schema::plan::{Plan, PlanGarpIntervals, PlanVrrpTuning};

    use crate::conf::preproc::InMemory;

    fn plan(text: &str) -> Plan {
        let mem = InMemory::new("/mem/k.conf", text);
        let c = crate::compile_conf_with(
            &mem,
            std::path::Path::new("/mem/k.conf"),
            "k.conf",
            "h",
            &crate::Options::default(),
        );
        let errors: Vec<_> = c
            .parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == kac_schema::Severity::Error)
            .map(|d| d.message.clone())
            .collect();
        c.plan
            .unwrap_or_else(|| panic!("test config compiles: {errors:?}"))
    }

    fn instance(global: &str, body: &str) -> Plan {
        plan(&format!(
            "global_defs {{\n{global}\n}}\nvrrp_instance VI {{\n interface eth0\n virtual_router_id 7\n priority 100\n virtual_ipaddress {{\n  10.0.0.1/24\n }}\n{body}\n}}\n"
        ))
    }

    fn tuning(p: &Plan) -> &PlanVrrpTuning {
        &p.vrrp_instances["VI"].tuning
    }

    #[test]
    fn defaults_are_keepalived_s() {
        assert_eq!(*tuning(&instance("", "")), PlanVrrpTuning::default());
    }

    #[test]
    fn instance_settings_override_global_ones() {
        let p = instance(
            "vrrp_garp_master_delay 2\nvrrp_garp_master_repeat 3\nvrrp_garp_lower_prio_repeat 4\nvrrp_lower_prio_no_advert\nvrrp_down_timer_adverts 7\nvrrp_skip_check_adv_addr",
            "garp_master_repeat 1\ngarp_master_refresh 30\ngarp_master_refresh_repeat 2\ngarp_lower_prio_delay 9\nhigher_prio_send_advert\nlower_prio_no_advert false\nmcast_dst_ip 224.0.0.99\ndont_track_primary\ndown_timer_adverts 4",
        );
        let t = tuning(&p);
        assert_eq!(t.garp_master_delay_s, 2);
        assert_eq!(t.garp_master_repeat, 1);
        assert_eq!(t.garp_master_refresh_s, 30);
        assert_eq!(t.garp_master_refresh_repeat, 2);
        assert_eq!(t.garp_lower_prio_delay_s, 9);
        assert_eq!(t.garp_lower_prio_repeat, 4);
        assert!(t.higher_prio_send_advert);
        assert!(!t.lower_prio_no_advert);
        assert!(t.skip_check_adv_addr);
        assert_eq!(t.down_timer_adverts, 4);
        assert_eq!(t.mcast_dst_ip, Some("224.0.0.99".parse().expect("ip")));
        assert!(t.dont_track_primary);
    }

    #[test]
    fn lower_priority_values_default_to_the_global_master_values() {
        let t = instance("vrrp_garp_master_delay 2\nvrrp_garp_master_repeat 3", "").vrrp_instances
            ["VI"]
            .tuning
            .clone();
        assert_eq!(
            (t.garp_lower_prio_delay_s, t.garp_lower_prio_repeat),
            (2, 3)
        );
    }

    #[test]
    fn vrrp_min_garp_sends_one_packet_and_no_second_burst() {
        let p = instance("vrrp_min_garp", "");
        let t = tuning(&p);
        assert_eq!((t.garp_master_delay_s, t.garp_master_repeat), (0, 1));
        assert_eq!(
            (t.garp_lower_prio_delay_s, t.garp_lower_prio_repeat),
            (0, 1)
        );
        assert_eq!(p.global.garp.master_repeat, 1);
    }

    #[test]
    fn unicast_ttl_applies_with_peers() {
        let p = instance(
            "",
            "unicast_src_ip 10.0.0.2\nunicast_peer {\n 10.0.0.3\n}\nunicast_ttl 7",
        );
        assert_eq!(tuning(&p).unicast_ttl, 7);
    }

    #[test]
    fn fault_no_peer_needs_the_keyword_and_no_peers() {
        let p = instance("", "unicast_src_ip 10.0.0.2\nunicast_fault_no_peer");
        assert!(tuning(&p).fault_no_peer);
        let p = instance(
            "",
            "unicast_src_ip 10.0.0.2\nunicast_fault_no_peer\nunicast_peer {\n 10.0.0.3\n}",
        );
        assert!(!tuning(&p).fault_no_peer);
        assert!(!tuning(&instance("", "unicast_src_ip 10.0.0.2")).fault_no_peer);
    }

    #[test]
    fn track_src_ip_needs_a_configured_source_address() {
        let with_peer = "unicast_peer {\n 10.0.0.3\n}\ntrack_src_ip";
        assert!(!tuning(&instance("", with_peer)).track_src_ip);
        let p = instance("", &format!("unicast_src_ip 10.0.0.2\n{with_peer}"));
        assert!(tuning(&p).track_src_ip);
        assert!(tuning(&instance("", "mcast_src_ip 10.0.0.2\ntrack_src_ip")).track_src_ip);
        // Without peers the adverts are multicast: `unicast_src_ip` is not their source.
        let p = instance("", "unicast_src_ip 10.0.0.2\ntrack_src_ip");
        assert!(!tuning(&p).track_src_ip);
    }

    #[test]
    fn priority_changes_come_from_the_instance_the_group_or_the_global_setting() {
        let two = |global: &str, group: &str, own: &str| {
            let p = plan(&format!(
                "global_defs {{\n{global}\n}}\nvrrp_sync_group G {{\n group {{\n  A\n  B\n }}\n{group}\n}}\nvrrp_instance A {{\n interface eth0\n virtual_router_id 7\n priority 100\n virtual_ipaddress {{\n  10.0.0.1/24\n }}\n{own}\n}}\nvrrp_instance B {{\n interface eth0\n virtual_router_id 8\n priority 100\n virtual_ipaddress {{\n  10.0.0.2/24\n }}\n}}\n"
            ));
            (
                p.vrrp_instances["A"].tuning.notify_priority_changes,
                p.vrrp_instances["B"].tuning.notify_priority_changes,
            )
        };
        assert_eq!(two("", "", ""), (false, false));
        assert_eq!(two("vrrp_notify_priority_changes", "", ""), (true, true));
        assert_eq!(
            two(
                "vrrp_notify_priority_changes",
                "notify_priority_changes false",
                ""
            ),
            (false, false)
        );
        assert_eq!(
            two("", "notify_priority_changes", "notify_priority_changes off"),
            (false, true)
        );
        assert_eq!(two("", "", "notify_priority_changes"), (true, false));
    }

    #[test]
    fn old_unicast_checksum_is_old_or_never() {
        let peer = "unicast_peer {\n 10.0.0.3\n}\n";
        assert_eq!(tuning(&instance("", peer)).old_unicast_checksum, None);
        let p = instance("", &format!("{peer}old_unicast_checksum"));
        assert_eq!(tuning(&p).old_unicast_checksum, Some(true));
        let p = instance("", &format!("{peer}old_unicast_checksum never"));
        assert_eq!(tuning(&p).old_unicast_checksum, Some(false));
    }

    #[test]
    fn vmac_prefix_names_unnamed_vmacs() {
        let p = instance("vmac_prefix vm\nvmac_prefix other", "use_vmac");
        assert_eq!(p.vrrp_instances["VI"].use_vmac.as_deref(), Some("vm.7"));
        let p = instance("vmac_prefix vm", "use_vmac mine");
        assert_eq!(p.vrrp_instances["VI"].use_vmac.as_deref(), Some("mine"));
        let p = instance("", "use_vmac");
        assert_eq!(p.vrrp_instances["VI"].use_vmac.as_deref(), Some("vrrp.7"));
    }

    #[test]
    fn promote_secondaries_and_disable_local_igmp_are_carried() {
        let p = instance("disable_local_igmp", "promote_secondaries");
        assert!(tuning(&p).promote_secondaries);
        assert!(p.global.disable_local_igmp);
        let p = instance("", "");
        assert!(!tuning(&p).promote_secondaries);
        assert!(!p.global.disable_local_igmp);
    }

    #[test]
    fn garp_groups_give_interfaces_their_intervals() {
        let p = plan(
            "global_defs {\n vrrp_garp_interval 0.5\n vrrp_gna_interval 0.25\n}\ngarp_group {\n garp_interval 0.01\n interfaces {\n  eth1\n  eth2\n }\n}\ngarp_group {\n gna_interval 0.02\n interface eth3\n}\n",
        );
        let g = &p.global.garp_intervals;
        assert_eq!(
            g["eth1"],
            PlanGarpIntervals {
                interval_us: 10_000,
                gna_interval_us: 250_000
            }
        );
        assert_eq!(g["eth2"], g["eth1"]);
        assert_eq!(
            g["eth3"],
            PlanGarpIntervals {
                interval_us: 500_000,
                gna_interval_us: 20_000
            }
        );
        assert!(!g.contains_key("eth0"));
    }
}
