//! `global_defs` and the top level.

use kac_schema::config::{Config, GlobalDefs, Setting, Spanned};

use super::common::{block, generic, leaf, script, values};
use super::ip::{AddrContext, check_interface, parse_address, parse_route, parse_rule};
use super::{lvs, vrrp};
use crate::codes;
use crate::conf::args::Arg;
use crate::conf::parser::{Act, Kw, Parser, Target};

const SEC: u64 = 1_000_000;
const U32: u64 = u32::MAX as u64;

impl Target for Config {}
impl Target for GlobalDefs {
    fn other(&mut self) -> Option<&mut Vec<Setting>> {
        Some(&mut self.other)
    }
}

/// Top-level keywords.
pub static TOP: &[Kw<Config>] = &[
    block!("global_defs", |p, c, l| {
        p.extra(l, 1);
        p.block(GLOBAL_DEFS, &mut c.global);
        p.dynamic_interfaces = c.global.dynamic_interfaces;
    }),
    leaf!("net_namespace", |p, c, l| {
        c.global.net_namespace = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    generic!("net_namespace_ipvs", Arg::OptWord),
    generic!("namespace_with_ipsets"),
    leaf!("instance", |p, c, l| {
        c.global.instance = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    generic!("use_pid_dir"),
    generic!("child_wait_time", Arg::U(0, U32)),
    generic!("linkbeat_use_polling"),
    block!("vrrp_instance", vrrp::vrrp_instance),
    block!("vrrp_script", vrrp::vrrp_script),
    block!("track_file", vrrp::track_file),
    Kw {
        name: "vrrp_track_file",
        act: Act::Silent(&Act::Block(vrrp::track_file)),
    },
    block!("vrrp_track_process", vrrp::track_process),
    block!("vrrp_sync_group", vrrp::sync_group),
    block!("track_group", vrrp::track_group),
    block!("garp_group", vrrp::garp_group),
    values!("static_ipaddress", |p, c, l| {
        if let Some(a) = parse_address(p, l, AddrContext::Static) {
            c.static_addresses.push(a);
        }
    }),
    values!("static_routes", |p, c, l| {
        if let Some(r) = parse_route(p, l, true) {
            c.static_routes.push(r);
        }
    }),
    values!("static_rules", |p, c, l| {
        if let Some(r) = parse_rule(p, l, true) {
            c.static_rules.push(r);
        }
    }),
    values!("linkbeat_interfaces", |p, c, l| {
        let n = l.w(0).to_string();
        check_interface(p, l, 0, &n);
        if let Some(m) = l.word(1)
            && !matches!(m, "MII" | "ETHTOOL" | "IOCTL")
        {
            let m = m.to_string();
            p.error(
                codes::INVALID_VALUE,
                format!("unknown linkbeat method `{m}`"),
                l.span(1),
                "expected MII, ETHTOOL or IOCTL",
            );
        }
        c.linkbeat_interfaces.push(Spanned::new(n, l.span(0)));
        p.extra(l, 2);
    }),
    values!("interface_up_down_delays", |p, c, l| {
        let n = l.w(0).to_string();
        check_interface(p, l, 0, &n);
        let down = p.timer(l, 1, 0, 255 * SEC);
        let up = if l.word(2).is_some() {
            p.timer(l, 2, 0, 255 * SEC)
        } else {
            None
        };
        if let Some(d) = down {
            c.interface_delays.push((Spanned::new(n, l.span(0)), d, up));
        }
        p.extra(l, 3);
    }),
    block!("bfd_instance", lvs::bfd_instance),
    block!("SSL", lvs::ssl),
    block!("virtual_server_group", lvs::vs_group),
    block!("virtual_server", lvs::virtual_server),
];

fn b(p: &mut Parser<'_>, slot: &mut Option<bool>, l: &crate::conf::parser::Line) {
    if let Some(v) = p.boolean(l, 1) {
        *slot = Some(v);
    }
    p.extra(l, 2);
}

/// Keywords of `global_defs`.
pub static GLOBAL_DEFS: &[Kw<GlobalDefs>] = &[
    leaf!("router_id", |p, g, l| {
        match l.word(1) {
            Some(w) => g.router_id = Some(Spanned::new(w.to_string(), l.span(1))),
            None => {
                p.warn(
                    codes::MISSING_SETTING,
                    "router_id name missing",
                    l.span(0),
                    "no name",
                )
                .help = Some("write `router_id NAME`; keepalived ignores the line".into());
            }
        }
        p.extra(l, 2);
    }),
    values!("notification_email", |_p, g, l| g
        .notification_email
        .push(l.w(0).to_string())),
    leaf!("notification_email_from", |p, g, l| {
        g.notification_email_from = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("smtp_server", |p, g, l| {
        if let Some(s) = p.req(l, 1) {
            let s = s.to_string();
            let port = if l.word(2).is_some() {
                p.uint(l, 2, 1, 65535).map(|v| v as u16)
            } else {
                None
            };
            g.smtp_server = Some((s, port));
        }
        p.extra(l, 3);
    }),
    leaf!("smtp_helo_name", |p, g, l| {
        g.smtp_helo_name = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("smtp_connect_timeout", |p, g, l| {
        match p.uint(l, 1, 0, U32) {
            Some(0) => {
                p.warn(
                    codes::CORRECTED_VALUE,
                    "smtp_connect_timeout must be at least 1",
                    l.span(1),
                    "0 is not allowed",
                )
                .help = Some("keepalived uses 1".into());
                g.smtp_connect_timeout = Some(1);
            }
            Some(v) => g.smtp_connect_timeout = Some(v as u32),
            None => {}
        }
        p.extra(l, 2);
    }),
    leaf!("smtp_alert", |p, g, l| b(p, &mut g.smtp_alert, l)),
    leaf!("smtp_alert_vrrp", |p, g, l| b(p, &mut g.smtp_alert_vrrp, l)),
    leaf!("smtp_alert_checker", |p, g, l| b(
        p,
        &mut g.smtp_alert_checker,
        l
    )),
    generic!("no_email_faults"),
    generic!("no_checker_emails", Arg::Bool),
    generic!("checker_log_all_failures", Arg::Bool),
    generic!("rs_init_notifies", Arg::Bool),
    generic!("process_names"),
    generic!("process_name", Arg::Word),
    generic!("vrrp_process_name", Arg::Word),
    generic!("checker_process_name", Arg::Word),
    generic!("bfd_process_name", Arg::Word),
    Kw {
        name: "lvs_process_name",
        act: Act::Silent(&Act::Generic(&[Arg::Word])),
    },
    generic!("vrrp_priority", Arg::I(-20, 19)),
    generic!("checker_priority", Arg::I(-20, 19)),
    generic!("bfd_priority", Arg::I(-20, 19)),
    generic!("vrrp_no_swap"),
    generic!("checker_no_swap"),
    generic!("bfd_no_swap"),
    generic!("vrrp_rt_priority", Arg::U(1, 99)),
    generic!("checker_rt_priority", Arg::U(1, 99)),
    generic!("bfd_rt_priority", Arg::U(1, 99)),
    generic!("vrrp_cpu_affinity", Arg::Rest),
    generic!("checker_cpu_affinity", Arg::Rest),
    generic!("bfd_cpu_affinity", Arg::Rest),
    generic!("vrrp_rlimit_rttime", Arg::U(1, U32)),
    generic!("checker_rlimit_rttime", Arg::U(1, U32)),
    generic!("bfd_rlimit_rttime", Arg::U(1, U32)),
    Kw {
        name: "vrrp_rlimit_rtime",
        act: Act::Silent(&Act::Generic(&[Arg::U(1, U32)])),
    },
    Kw {
        name: "checker_rlimit_rtime",
        act: Act::Silent(&Act::Generic(&[Arg::U(1, U32)])),
    },
    Kw {
        name: "bfd_rlimit_rtime",
        act: Act::Silent(&Act::Generic(&[Arg::U(1, U32)])),
    },
    generic!("max_auto_priority", Arg::OptU(0, 99)),
    generic!("min_auto_priority_delay", Arg::U(1, 10_000_000)),
    generic!("umask", Arg::Rest),
    leaf!("random_seed", |p, g, l| {
        g.random_seed = p.uint(l, 1, 0, U32).map(|v| v as u32);
        p.extra(l, 2);
    }),
    leaf!("startup_script", |p, g, l| {
        if let Some(s) = script(p, l, 1) {
            g.other
                .push(Setting::words("startup_script", s.argv, l.line_span()));
        }
    }),
    leaf!("shutdown_script", |p, g, l| {
        if let Some(s) = script(p, l, 1) {
            g.other
                .push(Setting::words("shutdown_script", s.argv, l.line_span()));
        }
    }),
    generic!("startup_script_timeout", Arg::U(1, 1000)),
    generic!("shutdown_script_timeout", Arg::U(1, 1000)),
    leaf!("script_user", |p, g, l| {
        if let Some(u) = p.req(l, 1) {
            g.script_user = Some((u.to_string(), l.word(2).map(str::to_string)));
        }
        p.extra(l, 3);
    }),
    leaf!("enable_script_security", |p, g, l| {
        g.enable_script_security = true;
        p.extra(l, 1);
    }),
    leaf!("vrrp_mcast_group4", |p, g, l| {
        if let Some(a) = p.ip(l, 1) {
            if a.is_ipv4() && a.is_multicast() {
                g.vrrp_mcast_group4 = Some(a);
            } else {
                p.error(
                    codes::INVALID_ADDRESS,
                    format!("vrrp_mcast_group4 `{a}` is not an IPv4 multicast address"),
                    l.span(1),
                    "not 224.0.0.0/4",
                );
            }
        }
        p.extra(l, 2);
    }),
    leaf!("vrrp_mcast_group6", |p, g, l| {
        if let Some(a) = p.ip(l, 1) {
            if a.is_ipv6() && a.is_multicast() {
                g.vrrp_mcast_group6 = Some(a);
            } else {
                p.error(
                    codes::INVALID_ADDRESS,
                    format!("vrrp_mcast_group6 `{a}` is not an IPv6 multicast address"),
                    l.span(1),
                    "not ff00::/8",
                );
            }
        }
        p.extra(l, 2);
    }),
    leaf!("vrrp_version", |p, g, l| {
        g.vrrp_version = p.uint(l, 1, 2, 3).map(|v| v as u8);
        p.extra(l, 2);
    }),
    leaf!("vrrp_strict", |p, g, l| {
        g.vrrp_strict = true;
        p.extra(l, 1);
    }),
    generic!("vrrp_check_unicast_src"),
    generic!("vrrp_skip_check_adv_addr", Arg::Bool),
    leaf!("vrrp_garp_master_delay", |p, g, l| {
        g.vrrp_garp_master_delay = p.uint(l, 1, 0, 86400).map(|v| v as u32);
        p.extra(l, 2);
    }),
    leaf!("vrrp_garp_master_repeat", |p, g, l| {
        g.vrrp_garp_master_repeat = repeat_at_least_one(p, l);
        p.extra(l, 2);
    }),
    leaf!("vrrp_garp_master_refresh", |p, g, l| {
        g.vrrp_garp_master_refresh = p.uint(l, 1, 0, U32).map(|v| v as u32);
        p.extra(l, 2);
    }),
    leaf!("vrrp_garp_master_refresh_repeat", |p, g, l| {
        g.vrrp_garp_master_refresh_repeat = repeat_at_least_one(p, l);
        p.extra(l, 2);
    }),
    generic!("vrrp_garp_lower_prio_delay", Arg::U(0, 86400)),
    generic!("vrrp_garp_lower_prio_repeat", Arg::U(0, U32)),
    leaf!("vrrp_garp_interval", |p, g, l| {
        g.vrrp_garp_interval = p.timer(l, 1, 1, U32 * SEC);
        p.extra(l, 2);
    }),
    leaf!("vrrp_gna_interval", |p, g, l| {
        g.vrrp_gna_interval = p.timer(l, 1, 1, U32 * SEC);
        p.extra(l, 2);
    }),
    generic!("vrrp_min_garp", Arg::Bool),
    generic!("vrrp_down_timer_adverts", Arg::U(1, 100)),
    generic!("vrrp_lower_prio_no_advert", Arg::Bool),
    generic!("vrrp_higher_prio_send_advert", Arg::Bool),
    leaf!("vrrp_garp_extra_if", |p, _g, l| garp_extra_if(p, l, 1)),
    Kw {
        name: "vrrp_vmac_garp_intvl",
        act: Act::Deprecated("`vrrp_garp_extra_if`", &Act::Generic(&[Arg::Rest])),
    },
    generic!("vrrp_startup_delay", Arg::T(0, U32 * SEC)),
    generic!("log_unknown_vrids"),
    generic!("vmac_prefix", Arg::Word),
    generic!("vmac_addr_prefix", Arg::Word),
    leaf!("dynamic_interfaces", |p, g, l| {
        g.dynamic_interfaces = true;
        if let Some(w) = l.word(1)
            && w != "allow_if_changes"
        {
            let w = w.to_string();
            p.error(
                codes::INVALID_VALUE,
                format!("unknown dynamic_interfaces option `{w}`"),
                l.span(1),
                "expected `allow_if_changes`",
            );
        }
        p.extra(l, 2);
    }),
    leaf!("default_interface", |p, g, l| {
        if let Some(w) = p.req(l, 1) {
            let w = w.to_string();
            check_interface(p, l, 1, &w);
            g.default_interface = Some(w);
        }
        p.extra(l, 2);
    }),
    generic!("disable_local_igmp"),
    generic!("vrrp_notify_priority_changes", Arg::Bool),
    generic!("vrrp_rx_bufs_policy", Arg::Rest),
    generic!("vrrp_rx_bufs_multiplier", Arg::U(1, U32)),
    generic!("vrrp_netlink_cmd_rcv_bufs", Arg::U(0, U32)),
    generic!("vrrp_netlink_cmd_rcv_bufs_force", Arg::Bool),
    generic!("vrrp_netlink_monitor_rcv_bufs", Arg::U(0, U32)),
    generic!("vrrp_netlink_monitor_rcv_bufs_force", Arg::Bool),
    generic!("process_monitor_rcv_bufs", Arg::U(0, U32)),
    generic!("process_monitor_rcv_bufs_force", Arg::Bool),
    leaf!("vrrp_iptables", |p, _g, l| {
        p.warn(
            codes::UNSUPPORTED,
            "iptables is not supported by this keepalived build",
            l.span(0),
            "Debian's keepalived uses nftables",
        )
        .help = Some("replace `vrrp_iptables` with `nftables`".into());
    }),
    generic!("nftables", Arg::OptWord),
    generic!(
        "nftables_priority",
        Arg::I(i32::MIN as i64, i32::MAX as i64)
    ),
    generic!("nftables_ifindex"),
    generic!("nftables_counters"),
    leaf!("lvs_timeouts", |p, g, l| {
        let mut t = (None, None, None);
        let mut k = 1;
        while k < l.len() {
            let v = p.uint(l, k + 1, 0, 2_678_400).map(|v| v as u32);
            match l.w(k) {
                "tcp" => t.0 = v,
                "tcpfin" => t.1 = v,
                "udp" => t.2 = v,
                w => {
                    let w = w.to_string();
                    p.error(
                        codes::INVALID_VALUE,
                        format!("unknown lvs_timeouts option `{w}`"),
                        l.span(k),
                        "expected `tcp`, `tcpfin` or `udp`",
                    );
                }
            }
            k += 2;
        }
        g.lvs_timeouts = Some(t);
    }),
    leaf!("lvs_flush", |p, g, l| {
        g.lvs_flush = true;
        p.extra(l, 1);
    }),
    leaf!("lvs_flush_on_stop", flush_on_stop),
    Kw {
        name: "lvs_flush_onstop",
        act: Act::Silent(&Act::Leaf(flush_on_stop)),
    },
    leaf!("lvs_sync_daemon", sync_daemon),
    generic!("lvs_netlink_cmd_rcv_bufs", Arg::U(0, U32)),
    generic!("lvs_netlink_cmd_rcv_bufs_force", Arg::Bool),
    generic!("lvs_netlink_monitor_rcv_bufs", Arg::U(0, U32)),
    generic!("lvs_netlink_monitor_rcv_bufs_force", Arg::Bool),
    generic!("nftables_ipvs", Arg::OptWord),
    generic!(
        "nftables_ipvs_priority",
        Arg::I(i32::MIN as i64, i32::MAX as i64)
    ),
    generic!("nftables_ipvs_start_fwmark", Arg::U(0, U32)),
    generic!("notify_fifo", Arg::Word, Arg::OptWord, Arg::OptWord),
    leaf!("notify_fifo_script", fifo_script),
    generic!("vrrp_notify_fifo", Arg::Word, Arg::OptWord, Arg::OptWord),
    leaf!("vrrp_notify_fifo_script", fifo_script),
    generic!("lvs_notify_fifo", Arg::Word, Arg::OptWord, Arg::OptWord),
    leaf!("lvs_notify_fifo_script", fifo_script),
    generic!("fifo_write_vrrp_states_on_reload"),
    generic!("snmp_socket", Arg::Word),
    generic!("enable_traps"),
    generic!("enable_snmp_vrrp"),
    Kw {
        name: "enable_snmp_keepalived",
        act: Act::Silent(&Act::Generic(&[])),
    },
    generic!("enable_snmp_rfc"),
    generic!("enable_snmp_rfcv2"),
    generic!("enable_snmp_rfcv3"),
    generic!("enable_snmp_checker"),
    generic!("enable_dbus"),
    generic!("dbus_service_name", Arg::Word),
    generic!("reload_check_config", Arg::OptWord),
    generic!("reload_time_file", Arg::Word),
    generic!("reload_repeat"),
    generic!("reload_file", Arg::OptWord),
    leaf!("include_check", |p, g, l| {
        include_check(p, l);
        g.other.push(Setting::words(
            "include_check",
            l.words_from(1),
            l.line_span(),
        ));
    }),
    generic!("config_save_dir", Arg::Word),
    generic!("tmp_config_directory", Arg::Word),
    generic!("data_use_instance", Arg::Bool),
];

fn flush_on_stop(p: &mut Parser<'_>, g: &mut GlobalDefs, l: &crate::conf::parser::Line) {
    g.lvs_flush_on_stop = Some(match l.word(1) {
        None => false,
        Some("VS") => true,
        Some(w) => {
            let w = w.to_string();
            p.error(
                codes::INVALID_VALUE,
                format!("unknown lvs_flush_on_stop option `{w}`"),
                l.span(1),
                "expected `VS` or nothing",
            );
            false
        }
    });
    p.extra(l, 2);
}

/// The keyword suffix of the setting that keeps a `*_notify_fifo_script`'s `USER [GROUP]`
/// (the script's own setting keeps its argv).
pub const FIFO_SCRIPT_USER_SUFFIX: &str = "@user";

fn fifo_script(p: &mut Parser<'_>, g: &mut GlobalDefs, l: &crate::conf::parser::Line) {
    if let Some(s) = script(p, l, 1) {
        g.other.push(Setting::words(
            l.keyword().to_string(),
            s.argv,
            l.line_span(),
        ));
        if let Some(user) = s.user {
            g.other.push(Setting::words(
                format!("{}{FIFO_SCRIPT_USER_SUFFIX}", l.keyword()),
                std::iter::once(user).chain(s.group).collect(),
                l.line_span(),
            ));
        }
    }
}

/// `*_repeat N`: 0 is corrected to 1 with a message.
fn repeat_at_least_one(p: &mut Parser<'_>, l: &crate::conf::parser::Line) -> Option<u32> {
    let v = p.uint(l, 1, 0, U32)?;
    p.extra(l, 2);
    if v == 0 {
        p.warn(
            codes::CORRECTED_VALUE,
            format!("`{}` must be greater than 0", l.keyword()),
            l.span(1),
            "0 is not allowed",
        )
        .help = Some("keepalived uses 1".into());
        return Some(1);
    }
    Some(v as u32)
}

/// `[vrrp_]garp_extra_if [all] N`; the global form needs N ≥ `min`.
pub fn garp_extra_if(p: &mut Parser<'_>, l: &crate::conf::parser::Line, min: u64) {
    let at = if l.word(1) == Some("all") { 2 } else { 1 };
    p.uint(l, at, min, 86400);
    p.extra(l, at + 1);
}

/// `include_check [[+|-]read|match|wildcard_match|brace_match …]`.
fn include_check(p: &mut Parser<'_>, l: &crate::conf::parser::Line) {
    const TYPES: &[&str] = &["read", "match", "wildcard_match", "brace_match"];
    for k in 1..l.len() {
        let w = l.w(k);
        let (prefixed, t) = match w.strip_prefix(['+', '-']) {
            Some(t) => (true, t),
            None => (false, w),
        };
        if !TYPES.contains(&t) {
            let w = w.to_string();
            p.warn(
                codes::INVALID_VALUE,
                format!("unknown include_check type `{w}`"),
                l.span(k),
                "not a check type",
            )
            .help = Some(format!("types: {}", TYPES.join(", ")).into());
        } else if !prefixed && k > 1 {
            let w = w.to_string();
            p.warn(
                codes::INVALID_VALUE,
                format!("include_check `{w}` is ignored"),
                l.span(k),
                "only the first type may be unprefixed",
            )
            .help =
                Some("prefix every type with `+` (or `-`): `include_check +read +match`".into());
        }
    }
}

/// `lvs_sync_daemon IF [[inst] VI] [id N] [maxlen N] [port N] [ttl N] [group IP]` as keepalived
/// reads it (`lvs_syncd_handler`): the second word is the instance and the third the sync id
/// when not option names (the legacy positional form). Bad values are reported and left out;
/// the setting's values are the interface followed by (option, value) pairs of the valid
/// options, which `lower` reads.
fn sync_daemon(p: &mut Parser<'_>, g: &mut GlobalDefs, l: &crate::conf::parser::Line) {
    use kac_schema::config::SettingValue as V;
    let Some(mut setting) = p.check_args(l, &[Arg::Word, Arg::Rest]) else {
        return;
    };
    let mut values = vec![V::Word(l.w(1).to_string())];
    let mut instance_named = false;
    let mut k = 2;
    while k < l.len() {
        let option = l.w(k).to_string();
        let is_option = matches!(
            option.as_str(),
            "inst" | "id" | "maxlen" | "port" | "ttl" | "group"
        );
        if !is_option {
            if k == 2 {
                // Legacy `IF VI`.
                values.extend([V::Word("inst".into()), V::Word(option)]);
                instance_named = true;
            } else if k == 3 {
                // Legacy `IF VI ID`: keepalived takes it, and says to write `id`.
                let at = l.span(3);
                let d = p.warn(
                    codes::DEPRECATED,
                    "positional sync id in lvs_sync_daemon",
                    at,
                    "positional id",
                );
                d.help = Some("use `lvs_sync_daemon IF inst VI id N`".into());
                d.fix = Some(kac_schema::Fix::safe(
                    "name the instance and the sync id: `inst VI id N`",
                    vec![
                        kac_schema::Edit::insert(l.span(2), "inst "),
                        kac_schema::Edit::insert(at, "id "),
                    ],
                ));
                if let Some(v) = p.uint(l, 3, 0, 255) {
                    values.extend([V::Word("id".into()), V::Unsigned(v)]);
                }
            } else {
                p.error(
                    codes::INVALID_VALUE,
                    format!("unknown lvs_sync_daemon option `{option}`"),
                    l.span(k),
                    "expected `inst`, `id`, `maxlen`, `port`, `ttl` or `group`",
                );
            }
            k += 1;
            continue;
        }
        if k + 1 >= l.len() {
            p.error(
                codes::MISSING_PARAMETER,
                format!("no value for lvs_sync_daemon `{option}`"),
                l.span(k),
                "value missing",
            )
            .help = Some("keepalived ignores the option".into());
            break;
        }
        let value = match option.as_str() {
            "inst" if instance_named => {
                p.error(
                    codes::DUPLICATE,
                    "lvs_sync_daemon instance named twice",
                    l.span(k + 1),
                    "ignored",
                );
                None
            }
            "inst" => {
                instance_named = true;
                Some(V::Word(l.w(k + 1).to_string()))
            }
            "id" => p.uint(l, k + 1, 0, 255).map(V::Unsigned),
            "maxlen" => p.uint(l, k + 1, 1, 65_507).map(V::Unsigned),
            "port" => p.uint(l, k + 1, 1, 65_535).map(V::Unsigned),
            "ttl" => p.uint(l, k + 1, 1, 255).map(V::Unsigned),
            _ => match p.ip(l, k + 1) {
                Some(a) if a.is_multicast() => Some(V::Ip(a)),
                Some(a) => {
                    p.error(
                        codes::INVALID_ADDRESS,
                        format!("lvs_sync_daemon group address {a} is not multicast"),
                        l.span(k + 1),
                        "not a multicast address",
                    )
                    .help =
                        Some("keepalived ignores it and uses the kernel's group 224.0.0.81".into());
                    None
                }
                None => None,
            },
        };
        if let Some(v) = value {
            values.extend([V::Word(option), v]);
        }
        k += 2;
    }
    setting.values = values;
    g.lvs_sync_daemon = Some(setting);
}
