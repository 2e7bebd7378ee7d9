//! Lowering: the configuration model of one host to its normalized [`Plan`].
//!
//! Every default keepalived would apply is made explicit; lists are sorted by stable keys.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use kac_schema::config::{
    CheckTiming, Checker, CheckerKind, Config, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DELAY_LOOP,
    GlobalDefs, IpAddress, LbKind, Notify, RealServer, Route, Rule, Script, SettingValue,
    TrackProcess, Tracked, VirtualServer, VrrpState, VsAddress, VsGroupEntry,
};
use kac_schema::plan::*;

use crate::conf::grammar::global::FIFO_SCRIPT_USER_SUFFIX;
mod static_track;
mod tuning;

const SEC: u64 = 1_000_000;

fn argv(s: &Option<Script>) -> Option<Vec<String>> {
    s.as_ref().map(|s| s.argv.clone())
}

fn address(a: &IpAddress, default_dev: &str) -> PlanAddress {
    let max = if a.addr.addr.is_ipv4() { 32 } else { 128 };
    let prefix_len = a.addr.len.unwrap_or(max);
    let mask = |v4: std::net::Ipv4Addr| {
        let mask = if prefix_len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix_len.min(32)))
        };
        (u32::from(v4), mask)
    };
    // `brd +` sets the host bits of the address, `brd -` clears them.
    let broadcast = match (a.addr.addr, a.broadcast.as_deref()) {
        (IpAddr::V4(v4), Some("+")) => {
            let (a, m) = mask(v4);
            Some(IpAddr::from((a | !m).to_be_bytes()))
        }
        (IpAddr::V4(v4), Some("-")) => {
            let (a, m) = mask(v4);
            Some(IpAddr::from((a & m).to_be_bytes()))
        }
        (_, Some(b)) => b.parse().ok(),
        _ => None,
    };
    // keepalived deprecates IPv6 host addresses (preferred lifetime 0) unless told otherwise.
    let preferred_lft_s = match a.preferred_lft.as_deref() {
        Some("forever") => None,
        Some(n) => n.parse().ok(),
        None if a.addr.addr.is_ipv6() && prefix_len == 128 => Some(0),
        None => None,
    };
    // keepalived adds IPv6 addresses with `nodad` unless `-nodad` is written; `-nodad` on an
    // IPv4 address means nothing.
    let mut flags: Vec<String> = a
        .flags
        .iter()
        .filter(|f| !matches!(f.as_str(), "use_vmac" | "no_track" | "-nodad"))
        .cloned()
        .collect();
    if a.addr.addr.is_ipv6() && !a.flags.iter().any(|f| f == "-nodad") {
        flags.push("nodad".into());
    }
    flags.sort();
    flags.dedup();
    PlanAddress {
        dev: a.dev.clone().unwrap_or_else(|| default_dev.to_string()),
        addr: a.addr.addr,
        prefix_len,
        scope: a.scope.clone().unwrap_or_else(|| "global".into()),
        broadcast,
        label: a.label.clone(),
        peer: a.peer.map(|p| p.to_string()),
        flags,
        use_vmac: a.flags.iter().any(|f| f == "use_vmac"),
        preferred_lft_s,
        track: !a.flags.iter().any(|f| f == "no_track"),
        track_group: a.track_group.clone(),
    }
}

fn route(r: &Route) -> PlanRoute {
    let mut nexthops: Vec<PlanNexthop> = r
        .nexthops
        .iter()
        .map(|n| PlanNexthop {
            via: n.via,
            dev: n.dev.clone(),
            weight: n.weight.unwrap_or(1),
            onlink: n.onlink,
        })
        .collect();
    nexthops.sort();
    let max = if r.dest.addr.is_ipv4() { 32 } else { 128 };
    let mut out = PlanRoute {
        table: r.table.clone().unwrap_or_else(|| "main".into()),
        dest: format!("{}/{}", r.dest.addr, r.dest.len.unwrap_or(max)),
        kind: r
            .kind
            .clone()
            .map(|k| if k == "brd" { "broadcast".into() } else { k })
            .unwrap_or_else(|| "unicast".into()),
        via: r.via,
        dev: r.dev.clone(),
        src: r.src,
        from: r.from.map(|f| f.to_string()),
        metric: r.metric,
        scope: r.scope.clone(),
        protocol: r.protocol.clone(),
        nexthops,
        options: Vec::new(),
        track: !r.no_track,
        track_group: r.track_group.clone(),
        onlink: false,
        metrics: Vec::new(),
        realms: None,
        expires_s: None,
        ttl_propagate: None,
        encap: None,
        vrf: None,
        append: false,
    };
    for o in &r.options {
        let words: Vec<&str> = o.split_whitespace().collect();
        match words.as_slice() {
            ["onlink"] => out.onlink = true,
            ["append"] => out.append = true,
            // keepalived's default (prepend) and `add` (fail when a matching route exists)
            // both mean "this route exists" to a reconciler that diffs first.
            ["add" | "prepend"] => {}
            ["realms", v] => out.realms = Some((*v).to_string()),
            ["expires", v] => out.expires_s = v.parse().ok(),
            ["ttl-propagate", v] => out.ttl_propagate = Some(*v == "enabled"),
            ["vrf", v] => out.vrf = Some((*v).to_string()),
            ["encap", rest @ ..] => out.encap = encap(rest),
            [name, rest @ ..] if route_metric(name, rest).is_some() => {
                // A metric written twice: the last one counts, as in keepalived.
                if let Some(m) = route_metric(name, rest) {
                    out.metrics.retain(|x| x.name != m.name);
                    out.metrics.push(m);
                }
            }
            _ => out.options.push(o.clone()),
        }
    }
    out.metrics.sort();
    out
}

/// A route metric option (`mtu lock 1400`, `rtt 300ms`, `congctl cubic`) in the kernel's terms.
fn route_metric(name: &str, rest: &[&str]) -> Option<PlanRouteMetric> {
    use crate::conf::grammar::ip::{route_time, time_metric_unit};
    let (lock, value) = match rest {
        ["lock", v] => (true, *v),
        [v] => (false, *v),
        _ => return None,
    };
    let value = match (name, time_metric_unit(name)) {
        (_, Some(unit)) => PlanMetricValue::Number(route_time(value, unit).ok()?.0),
        ("congctl", _) => PlanMetricValue::Name(value.to_string()),
        ("features", _) => PlanMetricValue::Number(u32::from(value == "ecn")),
        (
            "mtu" | "advmss" | "reordering" | "window" | "cwnd" | "ssthresh" | "initcwnd"
            | "initrwnd" | "hoplimit" | "quickack" | "fastopen_no_cookie",
            _,
        ) => PlanMetricValue::Number(value.parse().ok()?),
        _ => return None,
    };
    Some(PlanRouteMetric {
        name: name.to_string(),
        value,
        lock,
    })
}

/// `encap TYPE …` words (after `encap`), as the grammar checked them.
fn encap(words: &[&str]) -> Option<PlanEncap> {
    use crate::conf::grammar::ip::mpls_labels;
    let (kind, rest) = words.split_first()?;
    let pairs = || rest.chunks(2).filter_map(|c| Some((c[0], *c.get(1)?)));
    let find = |k: &str| pairs().find(|(key, _)| *key == k).map(|(_, v)| v);
    let dsfield = |v: &str| match v.strip_prefix("0x") {
        Some(h) => u8::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    };
    Some(match *kind {
        "mpls" => PlanEncap::Mpls {
            labels: mpls_labels(rest.first()?)?,
        },
        "ila" => PlanEncap::Ila {
            locator: (*rest.first()?).to_string(),
        },
        "ip" => PlanEncap::Ip {
            id: find("id").and_then(|v| v.parse().ok()),
            dst: find("dst").and_then(|v| v.parse().ok()),
            src: find("src").and_then(|v| v.parse().ok()),
            tos: find("tos").and_then(dsfield),
            ttl: find("ttl").and_then(|v| v.parse().ok()),
            flags: find("flags").and_then(|v| v.parse().ok()),
        },
        "ip6" => PlanEncap::Ip6 {
            id: find("id").and_then(|v| v.parse().ok()),
            dst: find("dst").and_then(|v| v.parse().ok()),
            src: find("src").and_then(|v| v.parse().ok()),
            tc: find("tc").and_then(dsfield),
            hoplimit: find("hoplimit").and_then(|v| v.parse().ok()),
            flags: find("flags").and_then(|v| v.parse().ok()),
        },
        _ => return None,
    })
}

fn rule(r: &Rule, default_pref: &mut u32) -> PlanRule {
    let v6 = r
        .from
        .or(r.to)
        .map(|p| p.addr.is_ipv6())
        .unwrap_or(r.family == Some(kac_schema::config::Family::Inet6));
    let preference = r.preference.unwrap_or_else(|| {
        let p = *default_pref;
        *default_pref = default_pref.saturating_sub(1);
        p
    });
    PlanRule {
        preference,
        family: if v6 { "inet6".into() } else { "inet".into() },
        from: r.from.map(|p| p.to_string()),
        to: r.to.map(|p| p.to_string()),
        table: r.table.clone(),
        action: r.action.clone(),
        options: r.options.clone(),
    }
}

/// The references of a `track_*` block, with keepalived's defaults: the weight and `reverse`
/// of the tracked object's definition (`defaults`) unless the reference says otherwise; a
/// weight of ±254 on an interface or script is ±253, as keepalived corrects it.
fn tracked(list: &[Tracked], defaults: impl Fn(&str) -> (i32, bool)) -> Vec<PlanTracked> {
    let mut v: Vec<PlanTracked> = list
        .iter()
        .map(|t| {
            let (dw, dr) = defaults(&t.name.value);
            PlanTracked {
                name: t.name.value.clone(),
                weight: t.weight.unwrap_or(dw),
                reverse: if t.reverse {
                    true
                } else if t.noreverse {
                    false
                } else {
                    dr
                },
            }
        })
        .collect();
    v.sort();
    v
}

/// The notify scripts, each with the user it runs as: its own `USER [GROUP]`, else
/// `script_user`.
fn notify(n: &Notify, script_user: &MachineValue) -> PlanNotify {
    let mut users = BTreeMap::new();
    let scripts: [(&str, &Option<Script>); 7] = [
        ("master", &n.master),
        ("backup", &n.backup),
        ("fault", &n.fault),
        ("stop", &n.stop),
        ("any", &n.any),
        ("master_rx_lower_pri", &n.master_rx_lower_pri),
        ("deleted", &n.deleted),
    ];
    for (which, s) in scripts {
        if let Some(s) = s {
            users.insert(which.to_string(), script_user_of(s, script_user));
        }
    }
    PlanNotify {
        master: argv(&n.master),
        backup: argv(&n.backup),
        fault: argv(&n.fault),
        stop: argv(&n.stop),
        any: argv(&n.any),
        master_rx_lower_pri: argv(&n.master_rx_lower_pri),
        users,
        notify_deleted: n.notify_deleted,
        deleted: argv(&n.deleted),
    }
}

/// The alert switches, `enable_traps`, the notify FIFOs and
/// `fifo_write_vrrp_states_on_reload` of `global_defs`.
fn alerts(g: &GlobalDefs, script_user: &MachineValue) -> PlanAlerts {
    let setting = |k: &str| g.other.iter().rev().find(|s| s.keyword == k);
    let fifo = |prefix: &str| {
        let s = setting(&format!("{prefix}notify_fifo"))?;
        let path = s.args.first()?.clone();
        let owner = match (s.args.get(1), s.args.get(2)) {
            (Some(u), Some(gr)) => Some(format!("{u}:{gr}")),
            (Some(u), None) => Some(u.clone()),
            _ => None,
        };
        let script_kw = format!("{prefix}notify_fifo_script");
        let script = setting(&script_kw).map(|s| s.args.clone());
        let script_user = script.as_ref().map(|_| {
            match setting(&format!("{script_kw}{FIFO_SCRIPT_USER_SUFFIX}")) {
                Some(u) => machine_user(&Some((u.args[0].clone(), u.args.get(1).cloned()))),
                None => script_user.clone(),
            }
        });
        Some(PlanFifo {
            path,
            owner,
            script,
            script_user,
        })
    };
    PlanAlerts {
        smtp_alert: g.smtp_alert,
        smtp_alert_vrrp: g.smtp_alert_vrrp,
        smtp_alert_checker: g.smtp_alert_checker,
        no_email_faults: setting("no_email_faults").is_some(),
        enable_traps: setting("enable_traps").is_some(),
        notify_fifo: fifo(""),
        vrrp_notify_fifo: fifo("vrrp_"),
        lvs_notify_fifo: fifo("lvs_"),
        fifo_write_vrrp_states_on_reload: setting("fifo_write_vrrp_states_on_reload").is_some(),
    }
}

/// The user a script runs as: its own `USER [GROUP]` (written after the command), else
/// `default`.
fn script_user_of(s: &Script, default: &MachineValue) -> MachineValue {
    match &s.user {
        Some(u) => machine_user(&Some((u.clone(), s.group.clone()))),
        None => default.clone(),
    }
}

/// Adds a sync group's tracked objects to a member's list, as keepalived does: the group's
/// weight replaces a weighted reference the member has, an unweighted one stays.
fn merge_tracked(own: &mut Vec<PlanTracked>, group: Vec<PlanTracked>) {
    for g in group {
        match own.iter_mut().find(|t| t.name == g.name) {
            Some(t) if t.weight != 0 => *t = g,
            Some(_) => {}
            None => own.push(g),
        }
    }
    own.sort();
}

fn machine_user(u: &Option<(String, Option<String>)>) -> MachineValue {
    match u {
        Some((u, Some(g))) => MachineValue::Set(format!("{u}:{g}")),
        Some((u, None)) => MachineValue::Set(u.clone()),
        None => MachineValue::DefaultScriptUser,
    }
}

/// A `vrrp_track_process` with keepalived's defaults (`quorum` 1, no `quorum_max`, no
/// delays; `delay` sets both delays, `fork_delay`/`terminate_delay` override it).
fn track_process(p: &TrackProcess) -> PlanTrackProcess {
    let setting = |k: &str| p.other.iter().find(|s| s.keyword == k);
    let micros = |k: &str| {
        setting(k).and_then(|s| {
            s.values.iter().find_map(|v| match v {
                SettingValue::Micros(m) => Some(*m),
                _ => None,
            })
        })
    };
    let delay = micros("delay").unwrap_or(0);
    let param_match = match setting("param_match") {
        Some(s) => s.args.first().cloned().unwrap_or_else(|| "exact".into()),
        None if p.process.len() > 1 => "exact".into(),
        None => String::new(),
    };
    PlanTrackProcess {
        process: p.process.clone(),
        full_command: setting("full_command").is_some() || !param_match.is_empty(),
        param_match,
        weight: p.weight.map_or(0, |w| w.0),
        weight_reverse: p.weight.is_some_and(|w| w.1),
        quorum: p.quorum.unwrap_or(1),
        quorum_max: p.quorum_max.unwrap_or(u32::MAX),
        fork_delay_us: micros("fork_delay").unwrap_or(delay),
        terminate_delay_us: micros("terminate_delay").unwrap_or(delay),
    }
}

/// Builds the plan of `host` from a configuration already validated for that host.
pub fn lower(cfg: &Config, host: &str, config_id: Option<&str>) -> Plan {
    lower_with(cfg, host, config_id, Vec::new())
}

/// [`lower`], with `early`: virtual servers the parser already lowered as their block closed
/// (see `Parser::lowered_virtual_servers`), in file order, before the model's.
pub fn lower_with(
    cfg: &Config,
    host: &str,
    config_id: Option<&str>,
    early: Vec<PlanVirtualServer>,
) -> Plan {
    let g = &cfg.global;
    let default_dev = g.default_interface.clone().unwrap_or_else(|| "eth0".into());
    let (garp, lower_garp) = tuning::global_garp(cfg);
    let global = PlanGlobal {
        router_id: g.router_id.as_ref().map_or(MachineValue::HostName, |r| {
            MachineValue::Set(r.value.clone())
        }),
        script_user: machine_user(&g.script_user),
        enable_script_security: g.enable_script_security,
        email: PlanEmail {
            to: g.notification_email.clone(),
            from: g.notification_email_from.clone(),
            smtp_server: g
                .smtp_server
                .as_ref()
                .map(|(s, p)| (s.clone(), p.unwrap_or(25))),
            helo_name: g.smtp_helo_name.clone(),
            connect_timeout_s: g.smtp_connect_timeout.unwrap_or(30),
        },
        vrrp_version: g.vrrp_version.unwrap_or(2),
        vrrp_mcast_group4: g.vrrp_mcast_group4.unwrap_or(IpAddr::from([224, 0, 0, 18])),
        vrrp_mcast_group6: g
            .vrrp_mcast_group6
            .unwrap_or(IpAddr::from([0xff02, 0, 0, 0, 0, 0, 0, 0x12])),
        vrrp_strict: g.vrrp_strict,
        garp: garp.clone(),
        lvs_timeouts: PlanLvsTimeouts {
            tcp: g.lvs_timeouts.and_then(|t| t.0),
            tcpfin: g.lvs_timeouts.and_then(|t| t.1),
            udp: g.lvs_timeouts.and_then(|t| t.2),
        },
        lvs_flush: g.lvs_flush,
        lvs_flush_on_stop: match g.lvs_flush_on_stop {
            None => "none".into(),
            Some(false) => "all".into(),
            Some(true) => "vs".into(),
        },
        dynamic_interfaces: g.dynamic_interfaces,
        real_server_drain: kac_schema::plan::PlanDrain::default(),
        lvs_sync_daemon: None,
        alerts: PlanAlerts::default(),
        garp_intervals: tuning::garp_intervals(cfg, &garp),
        rs_init_notifies: g.other.iter().any(|s| {
            s.keyword == "rs_init_notifies" && !s.values.contains(&SettingValue::Bool(false))
        }),
        disable_local_igmp: g.other.iter().any(|s| s.keyword == "disable_local_igmp"),
        vrrp_startup_delay_us: g
            .other
            .iter()
            .rev()
            .find(|s| s.keyword == "vrrp_startup_delay")
            .and_then(|s| match s.values.first() {
                Some(SettingValue::Micros(us)) => Some(*us),
                _ => None,
            })
            .unwrap_or(0),
        interface_delays: cfg
            .interface_delays
            .iter()
            .map(|(name, down, up)| {
                (
                    name.value.clone(),
                    PlanInterfaceDelays {
                        down_us: *down,
                        up_us: up.unwrap_or(*down),
                    },
                )
            })
            .collect(),
    };
    let global = PlanGlobal {
        alerts: alerts(g, &global.script_user),
        ..global
    };

    let mut static_addresses: Vec<PlanAddress> = cfg
        .static_addresses
        .iter()
        .map(|a| address(a, &default_dev))
        .collect();
    static_addresses.sort();
    static_addresses.dedup();
    let mut static_routes: Vec<PlanRoute> = cfg.static_routes.iter().map(route).collect();
    static_routes.sort();
    let mut pref = 16384;
    let mut static_rules: Vec<PlanRule> = cfg
        .static_rules
        .iter()
        .map(|r| rule(r, &mut pref))
        .collect();
    static_rules.sort();

    let static_track =
        static_track::static_tracking(cfg, &static_addresses, &static_routes, &static_rules);

    let mut vrrp_scripts = BTreeMap::new();
    for s in &cfg.vrrp_scripts {
        // The first definition wins on lookup, as in keepalived.
        vrrp_scripts.entry(s.name.value.clone()).or_insert_with(|| {
            let interval = s.interval.unwrap_or(1);
            PlanVrrpScript {
                script: s
                    .script
                    .as_ref()
                    .map(|x| x.argv.clone())
                    .unwrap_or_default(),
                user: match (&s.user, &s.script) {
                    (Some(u), _) => machine_user(&Some(u.clone())),
                    (None, Some(x)) => script_user_of(x, &machine_user(&g.script_user)),
                    (None, None) => machine_user(&g.script_user),
                },
                interval_s: interval,
                timeout_s: s.timeout.unwrap_or(interval),
                weight: s.weight.map_or(0, |w| w.0),
                weight_reverse: s.weight.is_some_and(|w| w.1),
                rise: s.rise.unwrap_or(1),
                fall: s.fall.unwrap_or(1),
                init_fail: s.init_fail,
            }
        });
    }
    let mut track_files = BTreeMap::new();
    for t in &cfg.track_files {
        track_files.insert(
            t.name.value.clone(),
            PlanTrackFile {
                file: t.file.clone().unwrap_or_default(),
                weight: t.weight.map_or(1, |w| w.0),
                weight_reverse: t.weight.is_some_and(|w| w.1),
            },
        );
    }

    let mut track_processes = BTreeMap::new();
    for p in &cfg.track_processes {
        track_processes
            .entry(p.name.value.clone())
            .or_insert_with(|| track_process(p));
    }

    let mut sync_of: BTreeMap<String, String> = BTreeMap::new();
    let mut vrrp_sync_groups = BTreeMap::new();
    for sg in &cfg.sync_groups {
        let mut members: Vec<String> = sg.members.iter().map(|m| m.value.clone()).collect();
        members.sort();
        members.dedup();
        for m in &members {
            sync_of
                .entry(m.clone())
                .or_insert_with(|| sg.name.value.clone());
        }
        vrrp_sync_groups.insert(
            sg.name.value.clone(),
            PlanSyncGroup {
                members,
                notify: notify(&sg.notify, &global.script_user),
                tracking_weight: sg.tracking_weight,
                smtp_alert: sg.smtp_alert,
            },
        );
    }

    let mut vrrp_instances = BTreeMap::new();
    for i in &cfg.vrrp_instances {
        let Some(vrid) = i.vrid.as_ref().map(|v| v.value) else {
            continue;
        };
        let v6 = i
            .vips
            .first()
            .map(|a| a.addr.addr.is_ipv6())
            .unwrap_or(i.native_ipv6);
        let master = i
            .state
            .as_ref()
            .is_some_and(|s| s.value == VrrpState::Master);
        let priority =
            i.priority
                .as_ref()
                .map(|p| p.value)
                .unwrap_or(if master { 255 } else { 100 });
        let strict = i.strict_mode.unwrap_or(g.vrrp_strict);
        let owner = priority == 255;
        let version = if v6 {
            3
        } else {
            i.version.unwrap_or(global.vrrp_version)
        };
        let mut adv = i.advert_int.as_ref().map_or(SEC, |a| a.value);
        if version == 2 {
            adv = adv.div_ceil(SEC).max(1) * SEC;
        }
        let vmac = i.use_vmac.as_ref().map(|n| {
            if n.is_empty() {
                // `PREFIX.VRID`; keepalived keeps the first `vmac_prefix`.
                let prefix = g
                    .other
                    .iter()
                    .find(|s| s.keyword == "vmac_prefix")
                    .and_then(|s| s.args.first())
                    .map_or("vrrp", String::as_str);
                format!("{prefix}.{vrid}")
            } else {
                n.clone()
            }
        });
        // Virtual addresses without `dev` go on the VMAC interface when there is one.
        let dev = vmac.clone().unwrap_or_else(|| {
            i.interface
                .as_ref()
                .map(|x| x.value.clone())
                .unwrap_or_default()
        });
        let mut vips: Vec<PlanAddress> = i.vips.iter().map(|a| address(a, &dev)).collect();
        vips.sort();
        vips.dedup();
        let mut excluded_vips: Vec<PlanAddress> =
            i.excluded_vips.iter().map(|a| address(a, &dev)).collect();
        excluded_vips.sort();
        excluded_vips.dedup();
        let mut routes: Vec<PlanRoute> = i.routes.iter().map(route).collect();
        routes.sort();
        let mut rules: Vec<PlanRule> = i.rules.iter().map(|r| rule(r, &mut pref)).collect();
        rules.sort();
        let mut peers: Vec<IpAddr> = i.unicast_peers.iter().map(|p| p.addr.value).collect();
        peers.sort();
        peers.dedup();
        let in_sync = sync_of.get(&i.name.value).cloned();
        let zero_weights = owner
            || (in_sync.is_some()
                && !cfg.sync_groups.iter().any(|s| {
                    s.tracking_weight && s.members.iter().any(|m| m.value == i.name.value)
                }));
        let w = |list: &[Tracked], dflt: &dyn Fn(&str) -> (i32, bool)| {
            let mut v = tracked(list, dflt);
            if zero_weights {
                for t in &mut v {
                    t.weight = 0;
                }
            }
            v
        };
        let script_weight = |n: &str| {
            vrrp_scripts
                .get(n)
                .map_or((0, false), |s: &PlanVrrpScript| {
                    (s.weight, s.weight_reverse)
                })
        };
        let file_weight = |n: &str| {
            track_files
                .get(n)
                .map_or((1, false), |f: &PlanTrackFile| (f.weight, f.weight_reverse))
        };
        let process_weight = |n: &str| {
            track_processes
                .get(n)
                .map_or((0, false), |p: &PlanTrackProcess| {
                    (p.weight, p.weight_reverse)
                })
        };
        let clamp_253 = |mut v: Vec<PlanTracked>| {
            for t in &mut v {
                t.weight = t.weight.clamp(-253, 253);
            }
            v
        };
        let auth = if version == 2 && !strict {
            i.authentication
                .as_ref()
                .and_then(|a| match (&a.value.auth_type, &a.value.auth_pass) {
                    (Some(t), Some(p)) if !p.is_empty() => Some(PlanAuth {
                        auth_type: t.clone(),
                        pass: p.clone(),
                    }),
                    _ => None,
                })
        } else {
            None
        };
        let mut track_interfaces = clamp_253(w(&i.tracking.interfaces, &|_| (0, false)));
        let mut track_scripts = clamp_253(w(&i.tracking.scripts, &script_weight));
        let mut track_files = w(&i.tracking.files, &file_weight);
        let mut track_processes = w(&i.tracking.processes, &process_weight);
        if let Some(sg) = cfg
            .sync_groups
            .iter()
            .find(|s| in_sync.as_deref() == Some(s.name.value.as_str()))
        {
            // The group's tracking applies to every member; its weights count only with
            // `sync_group_tracking_weight` (and never for an address owner).
            let gw = |list: &[Tracked], dflt: &dyn Fn(&str) -> (i32, bool)| {
                let mut v = tracked(list, dflt);
                if owner || !sg.tracking_weight {
                    for t in &mut v {
                        t.weight = 0;
                    }
                }
                v
            };
            merge_tracked(
                &mut track_interfaces,
                clamp_253(gw(&sg.tracking.interfaces, &|_| (0, false))),
            );
            merge_tracked(
                &mut track_scripts,
                clamp_253(gw(&sg.tracking.scripts, &script_weight)),
            );
            merge_tracked(&mut track_files, gw(&sg.tracking.files, &file_weight));
            merge_tracked(
                &mut track_processes,
                gw(&sg.tracking.processes, &process_weight),
            );
        }
        let preempt = owner || !i.nopreempt.as_ref().is_some_and(|n| n.value);
        vrrp_instances.insert(
            i.name.value.clone(),
            PlanVrrpInstance {
                state: if master && (owner || !strict) {
                    "MASTER".into()
                } else {
                    "BACKUP".into()
                },
                interface: i.interface.as_ref().map(|x| x.value.clone()),
                vrid,
                priority,
                advert_int_us: adv,
                version,
                family: if v6 { "inet6".into() } else { "inet".into() },
                vips,
                excluded_vips,
                routes,
                rules,
                unicast_src_ip: i.unicast_src_ip.as_ref().map(|s| s.value),
                unicast_peers: peers,
                mcast_src_ip: i.mcast_src_ip,
                preempt,
                preempt_delay_us: if preempt && !master {
                    i.preempt_delay.as_ref().map_or(0, |d| d.value)
                } else {
                    0
                },
                accept: i.accept.unwrap_or(!strict || owner),
                strict,
                auth,
                use_vmac: vmac,
                track_interfaces,
                track_scripts,
                track_files,
                track_processes,
                notify: notify(&i.notify, &global.script_user),
                sync_group: in_sync,
                vmac_xmit_base: i.other.iter().any(|o| o.keyword == "vmac_xmit_base"),
                vmac_mac: i
                    .other
                    .iter()
                    .find(|o| o.keyword == "use_vmac_mac")
                    .and_then(|o| o.args.first().cloned()),
                smtp_alert: i.smtp_alert,
                tuning: tuning::instance_tuning(
                    cfg,
                    i,
                    &global.garp,
                    lower_garp,
                    strict,
                    cfg.sync_groups
                        .iter()
                        .find(|s| s.members.iter().any(|m| m.value == i.name.value))
                        .and_then(|s| s.notify_priority_changes),
                ),
                track_static: static_track.get(&i.name.value).cloned().unwrap_or_default(),
            },
        );
    }

    let mut virtual_servers = early;
    virtual_servers.extend(cfg.virtual_servers.iter().map(|vs| virtual_server(cfg, vs)));
    virtual_servers.sort_by(|a, b| a.key.cmp(&b.key));
    virtual_servers.dedup_by(|a, b| a.key == b.key);
    for c in virtual_servers
        .iter_mut()
        .flat_map(|vs| vs.real_servers.iter_mut())
        .flat_map(|rs| rs.checkers.iter_mut())
    {
        complete_checker(cfg, c);
    }
    let default_user = machine_user(&g.script_user);
    for vs in &mut virtual_servers {
        complete_script_users(
            &mut vs.script_users,
            [&vs.quorum_up, &vs.quorum_down],
            &["quorum_up", "quorum_down"],
            &default_user,
        );
        for rs in &mut vs.real_servers {
            complete_script_users(
                &mut rs.script_users,
                [&rs.notify_up, &rs.notify_down],
                &["notify_up", "notify_down"],
                &default_user,
            );
        }
    }

    let mut global = global;
    global.lvs_sync_daemon = sync_daemon(cfg, &vrrp_instances);
    Plan {
        plan_version: PLAN_VERSION,
        host: host.to_string(),
        config_id: config_id.map(str::to_string),
        global,
        static_addresses,
        static_routes,
        static_rules,
        vrrp_scripts,
        track_files,
        track_processes,
        vrrp_sync_groups,
        vrrp_instances,
        virtual_servers,
    }
}

/// The sync daemon: global_defs `lvs_sync_daemon` (its values as the parser normalised them:
/// the interface, then option/value pairs), else the first `vrrp_instance` with the older
/// `lvs_sync_daemon_interface`. The sync id defaults to the instance's VRID. `None` when the
/// named instance is not in the plan (keepalived then runs no sync daemon; validation says
/// so).
fn sync_daemon(
    cfg: &Config,
    instances: &BTreeMap<String, PlanVrrpInstance>,
) -> Option<PlanSyncDaemon> {
    if let Some(s) = &cfg.global.lvs_sync_daemon {
        let word = |v: &SettingValue| match v {
            SettingValue::Word(w) => Some(w.clone()),
            _ => None,
        };
        let interface = s.values.first().and_then(word)?;
        let mut d = PlanSyncDaemon {
            interface,
            instance: String::new(),
            sync_id: 0,
            maxlen: None,
            port: None,
            ttl: None,
            group: None,
        };
        let mut id = None;
        for pair in s.values[1..].chunks(2) {
            let [SettingValue::Word(option), value] = pair else {
                continue;
            };
            let n = match value {
                SettingValue::Unsigned(n) => Some(*n),
                _ => None,
            };
            match (option.as_str(), value) {
                ("inst", SettingValue::Word(w)) => d.instance = w.clone(),
                ("id", _) => id = n.and_then(|n| u8::try_from(n).ok()),
                ("maxlen", _) => d.maxlen = n.and_then(|n| u16::try_from(n).ok()),
                ("port", _) => d.port = n.and_then(|n| u16::try_from(n).ok()),
                ("ttl", _) => d.ttl = n.and_then(|n| u8::try_from(n).ok()),
                ("group", SettingValue::Ip(a)) => d.group = Some(*a),
                _ => {}
            }
        }
        let vrid = instances.get(&d.instance)?.vrid;
        d.sync_id = id.unwrap_or(vrid);
        return Some(d);
    }
    cfg.vrrp_instances.iter().find_map(|i| {
        let s = i
            .other
            .iter()
            .find(|s| s.keyword == "lvs_sync_daemon_interface")?;
        let p = instances.get(&i.name.value)?;
        Some(PlanSyncDaemon {
            interface: s.args.first()?.clone(),
            instance: i.name.value.clone(),
            sync_id: p.vrid,
            maxlen: None,
            port: None,
            ttl: None,
            group: None,
        })
    })
}

fn resolve_timing(t: &CheckTiming, kind: &CheckerKind) -> (u64, u64, u32, u64, u64, bool) {
    let delay_loop = t.delay_loop.unwrap_or(DEFAULT_DELAY_LOOP);
    let connect_timeout = t.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let default_retry = match kind {
        CheckerKind::Dns { .. } => 3,
        CheckerKind::Misc { .. } => 0,
        _ => 1,
    };
    let retry = t.retry.unwrap_or(default_retry);
    let default_dbr = match kind {
        CheckerKind::Http { .. } => 3 * SEC,
        CheckerKind::Dns { .. } => delay_loop,
        _ => SEC,
    };
    let dbr = t.delay_before_retry.unwrap_or(default_dbr);
    let warmup = t.warmup.unwrap_or(delay_loop);
    let alpha = t.alpha.unwrap_or(false);
    (delay_loop, connect_timeout, retry, dbr, warmup, alpha)
}

fn checker(vs: &VirtualServer, rs: &RealServer, rs_port: u16, c: &Checker) -> PlanChecker {
    let rs_addr = rs.addr;
    let (delay_loop, connect_timeout, retry, dbr, warmup, alpha) =
        resolve_timing(&c.inherited_timing(rs, vs), &c.kind);
    let mut params = BTreeMap::new();
    match &c.kind {
        CheckerKind::Http {
            urls,
            virtualhost,
            http_protocol,
            enable_sni,
            ..
        } => {
            for (n, u) in urls.iter().enumerate() {
                params.insert(format!("url{n}.path"), u.path.clone().unwrap_or_default());
                let codes: Vec<String> = if u.status_codes.is_empty() {
                    vec!["200-299".into()]
                } else {
                    u.status_codes
                        .iter()
                        .map(|(a, b)| {
                            if a == b {
                                a.to_string()
                            } else {
                                format!("{a}-{b}")
                            }
                        })
                        .collect()
                };
                params.insert(format!("url{n}.status_code"), codes.join(","));
                if let Some(d) = &u.digest {
                    params.insert(format!("url{n}.digest"), d.clone());
                }
                if let Some(r) = &u.regex {
                    params.insert(format!("url{n}.regex"), r.clone());
                    params.insert(
                        format!("url{n}.regex_no_match"),
                        u.regex_no_match.to_string(),
                    );
                }
                if let Some(v) = u
                    .virtualhost
                    .clone()
                    .or_else(|| virtualhost.clone())
                    .or_else(|| vs.virtualhost.clone())
                {
                    params.insert(format!("url{n}.virtualhost"), v);
                }
            }
            params.insert(
                "http_protocol".into(),
                http_protocol.clone().unwrap_or_else(|| "1.0".into()),
            );
            params.insert("enable_sni".into(), enable_sni.unwrap_or(false).to_string());
        }
        CheckerKind::Smtp { helo_name } => {
            params.insert(
                "helo_name".into(),
                helo_name
                    .clone()
                    .unwrap_or_else(|| "smtpchecker.keepalived.org".into()),
            );
        }
        CheckerKind::Dns { query_type, name } => {
            params.insert(
                "type".into(),
                query_type.clone().unwrap_or_else(|| "SOA".into()),
            );
            params.insert("name".into(), name.clone().unwrap_or_else(|| ".".into()));
        }
        CheckerKind::Misc {
            path,
            timeout,
            dynamic,
            user,
        } => {
            params.insert(
                "misc_path".into(),
                path.as_ref().map(|p| p.argv.join(" ")).unwrap_or_default(),
            );
            params.insert(
                "misc_timeout_s".into(),
                timeout
                    .filter(|t| *t > 0)
                    .map_or((delay_loop / SEC).to_string(), |t| t.to_string()),
            );
            params.insert("misc_dynamic".into(), dynamic.to_string());
            if let Some((u, g)) = user {
                params.insert("user".into(), u.clone());
                if let Some(g) = g {
                    params.insert("group".into(), g.clone());
                }
            }
        }
        CheckerKind::Udp {
            payload,
            require_reply,
            min_reply_length,
            max_reply_length,
        } => {
            if let Some(p) = payload {
                params.insert("payload".into(), p.clone());
            }
            if let Some(r) = require_reply {
                params.insert("require_reply".into(), r.clone());
            }
            params.insert(
                "min_reply_length".into(),
                min_reply_length.unwrap_or(0).to_string(),
            );
            params.insert(
                "max_reply_length".into(),
                max_reply_length.unwrap_or(255).to_string(),
            );
        }
        CheckerKind::File { track_file, weight } => {
            params.insert(
                "track_file".into(),
                track_file
                    .as_ref()
                    .map(|t| t.value.clone())
                    .unwrap_or_default(),
            );
            // A weight of 0 means the track_file's (completed by `complete_checker`).
            if let Some((w, r)) = weight.filter(|(w, _)| *w != 0) {
                params.insert("weight".into(), w.to_string());
                params.insert("reverse".into(), r.to_string());
            }
        }
        CheckerKind::Bfd { name } => {
            params.insert(
                "name".into(),
                name.as_ref().map(|n| n.value.clone()).unwrap_or_default(),
            );
        }
        CheckerKind::Tcp | CheckerKind::Ping => {}
    }
    PlanChecker {
        kind: Cow::Borrowed(c.kind.keyword()),
        connect_ip: c.connect_ip.unwrap_or(rs_addr),
        connect_port: c.connect_port.unwrap_or(rs_port),
        bindto: c.bindto,
        delay_loop_us: delay_loop,
        connect_timeout_us: connect_timeout,
        retry,
        delay_before_retry_us: dbr,
        warmup_us: warmup,
        alpha,
        log_all_failures: c.log_all_failures.unwrap_or(false),
        params,
        argv: match &c.kind {
            CheckerKind::Misc { path: Some(p), .. } => Some(p.argv.clone()),
            _ => None,
        },
        bind_port: c.bind_port,
        bind_if: c.bind_if.clone(),
        fwmark: c.fwmark,
    }
}

/// The user of each configured script (`names[i]` for `scripts[i]`) that has none of its own:
/// `script_user`, known only once the whole configuration is read.
fn complete_script_users(
    users: &mut BTreeMap<String, MachineValue>,
    scripts: [&Option<Vec<String>>; 2],
    names: &[&str; 2],
    default: &MachineValue,
) {
    for (script, name) in scripts.into_iter().zip(names) {
        if script.is_some() && !users.contains_key(*name) {
            users.insert((*name).to_string(), default.clone());
        }
    }
}

/// The users written after the commands of `scripts` (`USER [GROUP]`), by keyword; scripts
/// without one get `script_user` at the end of lowering ([`complete_script_users`]).
fn own_script_users<'a>(
    scripts: impl IntoIterator<Item = (&'a str, Option<&'a Script>)>,
) -> BTreeMap<String, MachineValue> {
    scripts
        .into_iter()
        .filter_map(|(name, s)| {
            let s = s?;
            let user = s.user.as_ref()?;
            Some((
                name.to_string(),
                machine_user(&Some((user.clone(), s.group.clone()))),
            ))
        })
        .collect()
}

/// What a checker takes from the rest of the configuration, wherever it is written (virtual
/// servers may be lowered before the end of the file): MISC_CHECK's user (the global
/// `script_user` when it has none) and `enable_script_security`, SSL_GET's client identity (the
/// top-level `SSL` block; keepalived loads `ca` but never verifies the server, so it is
/// carried for the record only), FILE_CHECK's file and, when the checker gives no weight, the
/// track_file's.
fn complete_checker(cfg: &Config, c: &mut PlanChecker) {
    match &*c.kind {
        "SSL_GET" => ssl_params(cfg, &mut c.params),
        // keepalived runs a MISC_CHECK without `user` as the global `script_user`.
        "MISC_CHECK" => {
            if let (false, Some((u, g))) = (c.params.contains_key("user"), &cfg.global.script_user)
            {
                c.params.insert("user".into(), u.clone());
                if let Some(g) = g {
                    c.params.insert("group".into(), g.clone());
                }
            }
            // The script is checked by the same rules as every other script; the checker
            // carries the switch so that its probe needs nothing else from the plan.
            if cfg.global.enable_script_security {
                c.params.insert("script_security".into(), "true".into());
            }
        }
        "FILE_CHECK" => {
            let tf = c
                .params
                .get("track_file")
                .and_then(|n| cfg.track_files.iter().find(|t| &t.name.value == n));
            if let Some(file) = tf.and_then(|t| t.file.clone()) {
                c.params.insert("file".into(), file);
            }
            if !c.params.contains_key("weight") {
                let (w, r) = tf.and_then(|t| t.weight).map_or((1, false), |w| (w.0, w.1));
                c.params.insert("weight".into(), w.to_string());
                c.params.insert("reverse".into(), r.to_string());
            }
        }
        _ => {}
    }
}

/// The tunnel of a `TUN` forwarding method, defaults made explicit (`None` for NAT and DR).
fn tunnel(k: &LbKind) -> Option<PlanTunnel> {
    if k.method != "TUN" {
        return None;
    }
    let mut t = PlanTunnel {
        kind: "ipip".into(),
        port: None,
        checksum: "nocsum".into(),
    };
    for o in &k.tunnel {
        match o.split_once(' ') {
            Some(("type", v)) => t.kind = v.to_string(),
            Some(("port", v)) => t.port = v.parse().ok(),
            _ => t.checksum = o.clone(),
        }
    }
    Some(t)
}

/// A forwarding method as the plan spells it, borrowed when it is one of keepalived's (real
/// servers are many: no allocation each).
fn forwarding_method(m: &str) -> Cow<'static, str> {
    match m {
        "NAT" => Cow::Borrowed("NAT"),
        "DR" => Cow::Borrowed("DR"),
        "TUN" => Cow::Borrowed("TUN"),
        other => Cow::Owned(other.to_string()),
    }
}

/// SSL_GET's client identity (the top-level `SSL` block; keepalived loads `ca` but never
/// verifies the server, so it is carried for the record only).
fn ssl_params(cfg: &Config, params: &mut BTreeMap<String, String>) {
    let Some(ssl) = &cfg.ssl else {
        return;
    };
    for (k, v) in [
        ("ssl.ca", &ssl.ca),
        ("ssl.certificate", &ssl.certificate),
        ("ssl.key", &ssl.key),
        ("ssl.password", &ssl.password),
    ] {
        if let Some(v) = v {
            params.insert(k.into(), v.clone());
        }
    }
}

/// The plan form of a virtual server that is not a group service, lowered as its block closes
/// with the configuration read so far (what a checker takes from the rest of the
/// configuration is added at the end by `complete_checker`).
pub fn virtual_server_so_far(cfg: &Config, vs: &VirtualServer) -> PlanVirtualServer {
    virtual_server(cfg, vs)
}

fn virtual_server(cfg: &Config, vs: &VirtualServer) -> PlanVirtualServer {
    let protocol = crate::validate::effective_protocol(vs).as_str().to_string();
    let (key, group_members) = match &vs.address.value {
        VsAddress::Addr { addr, port } => (
            PlanVsKey::Addr {
                addr: *addr,
                port: *port,
                protocol,
            },
            Vec::new(),
        ),
        VsAddress::Fwmark(m) => (
            PlanVsKey::Fwmark {
                fwmark: *m,
                family: if vs.ip_family == Some(kac_schema::config::Family::Inet6) {
                    "inet6".into()
                } else {
                    "inet".into()
                },
            },
            Vec::new(),
        ),
        VsAddress::Group(name) => {
            let mut members = Vec::new();
            if let Some(g) = cfg.vs_groups.iter().find(|g| &g.name.value == name) {
                for e in &g.entries {
                    members.push(match e {
                        VsGroupEntry::Range {
                            first, last, port, ..
                        } => {
                            let r = if first == last {
                                first.to_string()
                            } else {
                                format!("{first}-{last}")
                            };
                            match port {
                                Some(p) => format!("{r} {p}"),
                                None => r,
                            }
                        }
                        VsGroupEntry::Fwmark { mark, .. } => format!("fwmark {mark}"),
                    });
                }
            }
            (
                PlanVsKey::Group {
                    group: name.clone(),
                    protocol,
                },
                members,
            )
        }
    };
    let vs_method = vs
        .lb_kind
        .as_ref()
        .map_or("NAT".to_string(), |k| k.value.method.clone());
    let vs_method_word = forwarding_method(&vs_method);
    let mut real_servers: Vec<PlanRealServer> = vs
        .real_servers
        .iter()
        .map(|rs| {
            let port = rs.port.unwrap_or(0);
            let mut checkers: Vec<PlanChecker> = rs
                .checkers
                .iter()
                .map(|c| checker(vs, rs, port, c))
                .collect();
            checkers.sort_by(|a, b| {
                (&a.kind, a.connect_ip, a.connect_port).cmp(&(
                    &b.kind,
                    b.connect_ip,
                    b.connect_port,
                ))
            });
            let method = rs
                .lb_kind
                .as_ref()
                .or(vs.lb_kind.as_ref().map(|k| &k.value));
            PlanRealServer {
                addr: rs.addr,
                port,
                weight: rs.weight.or(vs.weight).unwrap_or(1),
                lb_kind: method
                    .map_or_else(|| vs_method_word.clone(), |k| forwarding_method(&k.method)),
                tunnel: method.and_then(tunnel),
                inhibit_on_failure: rs
                    .inhibit_on_failure
                    .or(vs.inhibit_on_failure)
                    .unwrap_or(false),
                uthreshold: rs.uthreshold.unwrap_or(0),
                lthreshold: rs.lthreshold.unwrap_or(0),
                notify_up: rs.notify_up.as_ref().map(|s| s.argv.clone()),
                notify_down: rs.notify_down.as_ref().map(|s| s.argv.clone()),
                checkers,
                smtp_alert: rs
                    .other
                    .iter()
                    .rev()
                    .find(|o| o.keyword == "smtp_alert")
                    .map(|o| !matches!(o.values.first(), Some(SettingValue::Bool(false)))),
                script_users: own_script_users([
                    ("notify_up", rs.notify_up.as_deref()),
                    ("notify_down", rs.notify_down.as_deref()),
                ]),
            }
        })
        .collect();
    real_servers.sort_by_key(|a| (a.addr, a.port));
    let mut sched_flags = vs.sched_flags.clone();
    sched_flags.sort();
    sched_flags.dedup();
    PlanVirtualServer {
        key,
        group_members,
        scheduler: vs
            .scheduler
            .as_ref()
            .map_or("wlc".into(), |s| s.value.clone()),
        sched_flags,
        lb_kind: vs_method,
        persistence_timeout_s: vs.persistence_timeout,
        persistence_granularity: vs.persistence_granularity.clone(),
        persistence_engine: vs.persistence_engine.clone(),
        quorum: vs.quorum.unwrap_or(1),
        hysteresis: vs.hysteresis.unwrap_or(0),
        alpha: vs.alpha,
        omega: vs.omega,
        sorry_server: vs.sorry_server.map(|(a, p)| match p {
            Some(p) => format!("{a}:{p}"),
            None => a.to_string(),
        }),
        ha_suspend: vs.ha_suspend,
        quorum_up: vs.quorum_up.as_ref().map(|s| s.argv.clone()),
        quorum_down: vs.quorum_down.as_ref().map(|s| s.argv.clone()),
        sorry_server_inhibit: vs.sorry_server_inhibit,
        real_servers,
        script_users: own_script_users([
            ("quorum_up", vs.quorum_up.as_ref()),
            ("quorum_down", vs.quorum_down.as_ref()),
        ]),
        sorry_server_lvs_method: vs
            .sorry_server_lvs_method
            .as_ref()
            .map(|k| forwarding_method(&k.method).into_owned()),
        sorry_server_tunnel: vs.sorry_server_lvs_method.as_ref().and_then(tunnel),
        smtp_alert: vs.smtp_alert,
    }
}

#[cfg(test)]
mod alert_tests {
    use kac_schema::plan::{MachineValue, PlanFifo};

    fn compile(text: &str) -> kac_schema::plan::Plan {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keepalived.conf");
        std::fs::write(&path, text).expect("write");
        let c = crate::compile_conf(&path, "keepalived.conf", "lb1", &crate::Options::default());
        match c.plan {
            Some(p) => p,
            None => panic!("no plan: {:#?}", c.parsed.diagnostics),
        }
    }

    #[test]
    fn alert_switches_fifos_and_per_object_smtp_alert_reach_the_plan() {
        let p = compile(
            "global_defs {\n  enable_script_security\n  smtp_alert_vrrp false\n  smtp_alert\n  no_email_faults\n  enable_traps\n  notify_fifo /run/n.fifo root root\n  notify_fifo_script \"/bin/reader -v\" nobody\n  lvs_notify_fifo /run/l.fifo\n  fifo_write_vrrp_states_on_reload\n}\n\
             vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  smtp_alert\n  virtual_ipaddress {\n    10.0.0.5/24\n  }\n}\n\
             virtual_server 10.0.0.5 80 {\n  lb_kind NAT\n  protocol TCP\n  smtp_alert false\n  real_server 10.1.0.1 80 {\n    smtp_alert false\n  }\n  real_server 10.1.0.2 80 {\n  }\n}\n",
        );
        let a = &p.global.alerts;
        assert_eq!(
            (a.smtp_alert, a.smtp_alert_vrrp, a.smtp_alert_checker),
            (Some(true), Some(false), None)
        );
        assert!(a.no_email_faults && a.enable_traps && a.fifo_write_vrrp_states_on_reload);
        assert_eq!(
            a.notify_fifo,
            Some(PlanFifo {
                path: "/run/n.fifo".into(),
                owner: Some("root:root".into()),
                script: Some(vec!["/bin/reader".into(), "-v".into()]),
                script_user: Some(MachineValue::Set("nobody".into())),
            })
        );
        let lvs = a.lvs_notify_fifo.as_ref().expect("lvs fifo");
        assert_eq!((lvs.path.as_str(), &lvs.script), ("/run/l.fifo", &None));
        assert_eq!(a.vrrp_notify_fifo, None);
        assert_eq!(p.vrrp_instances["VI_1"].smtp_alert, Some(true));
        let vs = &p.virtual_servers[0];
        assert_eq!(vs.smtp_alert, Some(false));
        let rs: Vec<_> = vs.real_servers.iter().map(|r| r.smtp_alert).collect();
        assert_eq!(rs, [Some(false), None]);
        // keepalived's precedence: the instance's own switch, then smtp_alert_vrrp; real
        // servers default to mailing, virtual servers do not.
        assert!(a.mail_vrrp(Some(true)) && !a.mail_vrrp(None));
        assert!(a.mail_real_server(None) && !a.mail_real_server(Some(false)));
        assert!(a.mail_virtual_server(None) && !a.mail_virtual_server(Some(false)));
        let none = kac_schema::plan::PlanAlerts::default();
        assert!(
            none.mail_real_server(None) && !none.mail_virtual_server(None) && !none.mail_vrrp(None)
        );
    }
}
