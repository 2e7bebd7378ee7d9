//! VRRP blocks: `vrrp_instance`, `vrrp_script`, `track_file`, `vrrp_track_process`,
//! `vrrp_sync_group`, `track_group`, `garp_group`.

use kac_schema::Diagnostic;
use kac_schema::config::{
    Authentication, Config, GarpGroup, NamedGroup, Notify, Spanned, SyncGroup, TrackFile,
    TrackProcess, Tracking, UnicastPeer, VrrpInstance, VrrpScript, VrrpState,
};

use super::common::{
    TrackKind, block, block_name, bool_kw, generic, leaf, script, set_once, tracked, values,
    weight_reverse,
};
use super::ip::{AddrContext, check_interface, parse_address, parse_route, parse_rule};
use crate::codes;
use crate::conf::args::Arg;
use crate::conf::parser::{Kw, Line, Parser, Target};

const SEC: u64 = 1_000_000;

impl Target for VrrpInstance {
    fn other(&mut self) -> Option<&mut Vec<kac_schema::config::Setting>> {
        Some(&mut self.other)
    }
}
impl Target for VrrpScript {}
impl Target for TrackFile {}
impl Target for TrackProcess {
    fn other(&mut self) -> Option<&mut Vec<kac_schema::config::Setting>> {
        Some(&mut self.other)
    }
}
impl Target for SyncGroup {}
impl Target for NamedGroup {}
impl Target for GarpGroup {}
impl Target for Authentication {}

/// `vrrp_instance NAME {`.
pub fn vrrp_instance(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    let Some(name) = block_name(p, line) else {
        return;
    };
    if let Some(prev) = cfg
        .vrrp_instances
        .iter()
        .find(|i| i.name.value == name.value)
    {
        let prev_span = prev.name.span;
        p.report(
            Diagnostic::error(
                codes::DUPLICATE,
                format!("vrrp instance `{}` already defined", name.value),
            )
            .with_primary(name.span, "second definition")
            .with_secondary(prev_span, "first defined here")
            .with_help("rename one of them; keepalived skips the whole second block"),
        );
        p.skip_block();
        return;
    }
    let mut inst = VrrpInstance {
        name,
        state: None,
        interface: None,
        vrid: None,
        priority: None,
        advert_int: None,
        version: None,
        native_ipv6: false,
        vips: Vec::new(),
        excluded_vips: Vec::new(),
        routes: Vec::new(),
        rules: Vec::new(),
        unicast_src_ip: None,
        unicast_peers: Vec::new(),
        mcast_src_ip: None,
        nopreempt: None,
        preempt_delay: None,
        tracking: Tracking::default(),
        dont_track_primary: false,
        authentication: None,
        use_vmac: None,
        accept: None,
        strict_mode: None,
        notify: Notify::default(),
        smtp_alert: None,
        other: Vec::new(),
    };
    p.block(VRRP_INSTANCE, &mut inst);
    cfg.vrrp_instances.push(inst);
}

fn track_block(
    p: &mut Parser<'_>,
    list: &mut Vec<kac_schema::config::Tracked>,
    line: &Line,
    kind: TrackKind,
    owner: &str,
) {
    if let Some(t) = tracked(p, line, kind, owner) {
        if list.iter().any(|x| x.name.value == t.name.value) {
            p.warn(
                codes::DUPLICATE,
                format!("`{}` is tracked twice", t.name.value),
                t.name.span,
                "duplicate",
            );
            return;
        }
        list.push(t);
    }
}

/// Keywords of `vrrp_instance`.
pub static VRRP_INSTANCE: &[Kw<VrrpInstance>] = &[
    leaf!("state", |p, i, l| {
        match p.req(l, 1) {
            Some("MASTER") => i.state = Some(Spanned::new(VrrpState::Master, l.span(1))),
            Some("BACKUP") => i.state = Some(Spanned::new(VrrpState::Backup, l.span(1))),
            Some(w) => {
                let w = w.to_string();
                let d = p.warn(
                    codes::INVALID_VALUE,
                    format!("({}) unknown state `{w}`", i.name.value),
                    l.span(1),
                    "expected `MASTER` or `BACKUP`",
                );
                d.help = Some(
                    if w.eq_ignore_ascii_case("master") || w.eq_ignore_ascii_case("backup") {
                        format!(
                            "states are case-sensitive: write `{}`; keepalived uses BACKUP",
                            w.to_uppercase()
                        )
                        .into()
                    } else {
                        "keepalived uses BACKUP".into()
                    },
                );
                i.state = Some(Spanned::new(VrrpState::Backup, l.span(1)));
            }
            None => {}
        }
        p.extra(l, 2);
    }),
    leaf!("interface", |p, i, l| {
        if let Some(w) = p.req(l, 1) {
            let w = w.to_string();
            if w.len() >= 16 {
                p.error(
                    codes::INVALID_VALUE,
                    format!("interface name `{w}` is too long"),
                    l.span(1),
                    "at most 15 characters",
                );
            } else if w == "lo" {
                p.error(
                    codes::INVALID_VALUE,
                    "a VRRP instance cannot run on the loopback interface",
                    l.span(1),
                    "loopback",
                );
            } else {
                check_interface(p, l, 1, &w);
                i.interface = Some(Spanned::new(w, l.span(1)));
            }
        }
        p.extra(l, 2);
    }),
    leaf!("virtual_router_id", |p, i, l| {
        if let Some(v) = p.uint(l, 1, 1, 255) {
            i.vrid = Some(Spanned::new(v as u8, l.span(1)));
        }
        p.extra(l, 2);
    }),
    leaf!("priority", |p, i, l| {
        if let Some(v) = p.uint(l, 1, 1, 255) {
            i.priority = Some(Spanned::new(v as u8, l.span(1)));
        }
        p.extra(l, 2);
    }),
    leaf!("advert_int", |p, i, l| {
        if let Some(v) = p.timer(l, 1, 10_000, 255 * SEC) {
            i.advert_int = Some(Spanned::new(v, l.span(1)));
        }
        p.extra(l, 2);
    }),
    leaf!("version", |p, i, l| {
        if let Some(v) = p.uint(l, 1, 2, 3) {
            i.version = Some(v as u8);
        }
        p.extra(l, 2);
    }),
    leaf!("native_ipv6", |p, i, l| {
        i.native_ipv6 = true;
        p.extra(l, 1);
    }),
    values!("virtual_ipaddress", |p, i, l| {
        if let Some(a) = parse_address(p, l, AddrContext::Virtual) {
            i.vips.push(a);
        }
    }),
    values!("virtual_ipaddress_excluded", |p, i, l| {
        if let Some(a) = parse_address(p, l, AddrContext::Virtual) {
            i.excluded_vips.push(a);
        }
    }),
    values!("virtual_routes", |p, i, l| {
        if let Some(r) = parse_route(p, l, false) {
            i.routes.push(r);
        }
    }),
    values!("virtual_rules", |p, i, l| {
        if let Some(r) = parse_rule(p, l, false) {
            i.rules.push(r);
        }
    }),
    leaf!("unicast_src_ip", |p, i, l| {
        if let Some(a) = p.ip(l, 1) {
            i.unicast_src_ip = Some(Spanned::new(a, l.span(1)));
        }
        p.extra(l, 2);
    }),
    values!("unicast_peer", |p, i, l| {
        let Some(addr) = p.ip(l, 0) else { return };
        let mut peer = UnicastPeer {
            addr: Spanned::new(addr, l.span(0)),
            min_ttl: None,
            max_ttl: None,
        };
        let mut k = 1;
        while k < l.len() {
            match l.w(k) {
                "min_ttl" => peer.min_ttl = p.uint(l, k + 1, 0, 255).map(|v| v as u8),
                "max_ttl" => peer.max_ttl = p.uint(l, k + 1, 0, 255).map(|v| v as u8),
                w => {
                    let w = w.to_string();
                    p.error(
                        codes::INVALID_VALUE,
                        format!("unknown unicast_peer option `{w}`"),
                        l.span(k),
                        "expected `min_ttl` or `max_ttl`",
                    );
                    k -= 1;
                }
            }
            k += 2;
        }
        i.unicast_peers.push(peer);
    }),
    generic!("unicast_ttl", Arg::U(0, 255)),
    generic!("unicast_fault_no_peer"),
    generic!("check_unicast_src"),
    generic!("old_unicast_checksum", Arg::OptChoice(&["never"])),
    leaf!("vrf", |p, i, l| {
        if let Some(v) = p.req(l, 1) {
            let v = v.to_string();
            if i.interface.is_some() {
                p.warn(
                    codes::CONFLICT,
                    format!("({}) cannot set both `vrf` and `interface`", i.name.value),
                    l.span(0),
                    "`interface` is set",
                )
                .help = Some(
                    "`vrf` is for unicast instances without `interface`; keepalived ignores it"
                        .into(),
                );
            } else if p.vrfs.as_ref().is_some_and(|list| !list.contains(&v)) {
                p.warn(
                    codes::MISSING_INTERFACE,
                    format!("({}) `{v}` is not a VRF device", i.name.value),
                    l.span(1),
                    "not a VRF",
                )
                .help = Some(
                    "create the VRF (`ip link add NAME type vrf table N`) or fix the name".into(),
                );
            }
            i.other.push(kac_schema::config::Setting::words(
                "vrf",
                vec![v],
                l.line_span(),
            ));
        }
        p.extra(l, 2);
    }),
    leaf!("mcast_src_ip", |p, i, l| {
        i.mcast_src_ip = p.ip(l, 1);
        p.extra(l, 2);
    }),
    generic!("mcast_dst_ip", Arg::Ip),
    generic!("track_src_ip"),
    leaf!("nopreempt", |p, i, l| {
        i.nopreempt = Some(Spanned::new(true, l.span(0)));
        p.extra(l, 1);
    }),
    leaf!("preempt", |p, i, l| {
        i.nopreempt = Some(Spanned::new(false, l.span(0)));
        p.extra(l, 1);
    }),
    leaf!("preempt_delay", |p, i, l| {
        if let Some(v) = p.timer(l, 1, 0, 1000 * SEC) {
            i.preempt_delay = Some(Spanned::new(v, l.span(1)));
        }
        p.extra(l, 2);
    }),
    values!("track_interface", |p, i, l| {
        let owner = i.name.value.clone();
        track_block(
            p,
            &mut i.tracking.interfaces,
            l,
            TrackKind::Interface,
            &owner,
        );
    }),
    values!("track_script", |p, i, l| {
        let owner = i.name.value.clone();
        track_block(p, &mut i.tracking.scripts, l, TrackKind::Script, &owner);
    }),
    values!("track_file", |p, i, l| {
        let owner = i.name.value.clone();
        track_block(p, &mut i.tracking.files, l, TrackKind::File, &owner);
    }),
    values!("track_process", |p, i, l| {
        let owner = i.name.value.clone();
        track_block(p, &mut i.tracking.processes, l, TrackKind::Process, &owner);
    }),
    values!("track_bfd", |p, i, l| {
        let owner = i.name.value.clone();
        track_block(p, &mut i.tracking.bfds, l, TrackKind::Bfd, &owner);
    }),
    leaf!("dont_track_primary", |p, i, l| {
        i.dont_track_primary = true;
        p.extra(l, 1);
    }),
    block!("authentication", |p, i, l| {
        p.extra(l, 1);
        let mut a = Authentication {
            auth_type: None,
            auth_pass: None,
        };
        p.block(AUTHENTICATION, &mut a);
        i.authentication = Some(Spanned::new(a, l.span(0)));
    }),
    generic!("garp_master_delay", Arg::U(0, 86400)),
    generic!("garp_master_repeat", Arg::U(0, u32::MAX as u64)),
    generic!("garp_master_refresh", Arg::U(0, u32::MAX as u64)),
    generic!("garp_master_refresh_repeat", Arg::U(0, u32::MAX as u64)),
    generic!("garp_lower_prio_delay", Arg::U(0, 86400)),
    generic!("garp_lower_prio_repeat", Arg::U(0, u32::MAX as u64)),
    leaf!("garp_extra_if", |p, _i, l| super::global::garp_extra_if(
        p, l, 0
    )),
    Kw {
        name: "vmac_garp_intvl",
        act: crate::conf::parser::Act::Deprecated(
            "`garp_extra_if`",
            &crate::conf::parser::Act::Generic(&[Arg::Rest]),
        ),
    },
    leaf!("use_vmac", |p, i, l| {
        i.use_vmac = Some(l.word(1).unwrap_or("").to_string());
        if let Some(mac) = l.word(2) {
            i.other.push(kac_schema::config::Setting::words(
                "use_vmac_mac",
                vec![mac.to_string()],
                l.line_span(),
            ));
        }
        p.extra(l, 3);
    }),
    leaf!("use_vmac_addr", |p, i, l| {
        i.other.push(kac_schema::config::Setting::words(
            "use_vmac_addr",
            Vec::new(),
            l.line_span(),
        ));
        p.extra(l, 1);
    }),
    generic!("vmac_xmit_base"),
    generic!("use_ipvlan", Arg::Rest),
    leaf!("accept", |p, i, l| {
        i.accept = Some(true);
        p.extra(l, 1);
    }),
    leaf!("no_accept", |p, i, l| {
        i.accept = Some(false);
        p.extra(l, 1);
    }),
    leaf!("strict_mode", |p, i, l| bool_kw(p, &mut i.strict_mode, l)),
    generic!("skip_check_adv_addr", Arg::Bool),
    generic!("promote_secondaries"),
    generic!("lower_prio_no_advert", Arg::Bool),
    generic!("higher_prio_send_advert", Arg::Bool),
    generic!("down_timer_adverts", Arg::U(1, 100)),
    generic!("kernel_rx_buf_size", Arg::U(0, u32::MAX as u64)),
    generic!("debug", Arg::OptU(0, 4)),
    leaf!("linkbeat_use_polling", |p, i, l| {
        let at = l.line_span();
        let d = p.warn(
            codes::DEPRECATED,
            "`linkbeat_use_polling` is deprecated",
            l.span(0),
            "deprecated keyword",
        );
        d.help = Some("use a top-level `linkbeat_interfaces { IF }` block".into());
        if let Some(iface) = &i.interface {
            d.fix = Some(crate::deprecated::move_to_top(
                format!(
                    "poll `{}` in a top-level `linkbeat_interfaces` block",
                    iface.value
                ),
                at,
                l.text(),
                format!("linkbeat_interfaces {{\n    {}\n}}\n", iface.value),
            ));
        }
        if let Some(setting) = p.check_args(l, &[]) {
            i.other.push(setting);
        }
    }),
    leaf!("lvs_sync_daemon_interface", |p, i, l| {
        let at = l.line_span();
        let d = p.warn(
            codes::DEPRECATED,
            "`lvs_sync_daemon_interface` is deprecated",
            l.span(0),
            "deprecated keyword",
        );
        d.help = Some("use `lvs_sync_daemon IF inst VI` in global_defs".into());
        if let Some(iface) = l.word(1) {
            d.fix = Some(crate::deprecated::move_to_top(
                format!(
                    "write `lvs_sync_daemon {iface} inst {}` in global_defs",
                    i.name.value
                ),
                at,
                l.text(),
                format!(
                    "global_defs {{\n    lvs_sync_daemon {iface} inst {}\n}}\n",
                    i.name.value
                ),
            ));
        }
        if let Some(setting) = p.check_args(l, &[Arg::Word]) {
            i.other.push(setting);
        }
    }),
    leaf!("notify_master", |p, i, l| set_once(
        p,
        &mut i.notify.master,
        l
    )),
    leaf!("notify_backup", |p, i, l| set_once(
        p,
        &mut i.notify.backup,
        l
    )),
    leaf!("notify_fault", |p, i, l| set_once(
        p,
        &mut i.notify.fault,
        l
    )),
    leaf!("notify_stop", |p, i, l| set_once(p, &mut i.notify.stop, l)),
    leaf!("notify_master_rx_lower_pri", |p, i, l| set_once(
        p,
        &mut i.notify.master_rx_lower_pri,
        l
    )),
    leaf!("notify", |p, i, l| set_once(p, &mut i.notify.any, l)),
    leaf!("notify_deleted", |p, i, l| {
        i.notify.notify_deleted = true;
        if l.len() > 1 {
            set_once(p, &mut i.notify.deleted, l);
        }
    }),
    leaf!("smtp_alert", |p, i, l| bool_kw(p, &mut i.smtp_alert, l)),
    generic!("notify_priority_changes", Arg::Bool),
];

/// Keywords of `authentication`.
pub static AUTHENTICATION: &[Kw<Authentication>] = &[
    leaf!("auth_type", |p, a, l| {
        if let Some(w) = p.req(l, 1) {
            if w == "PASS" || w == "AH" {
                a.auth_type = Some(w.to_string());
            } else {
                let w = w.to_string();
                let d = p.warn(
                    codes::INVALID_VALUE,
                    format!("unknown authentication type `{w}`"),
                    l.span(1),
                    "expected `PASS` or `AH`",
                );
                if w.eq_ignore_ascii_case("pass") || w.eq_ignore_ascii_case("ah") {
                    d.help = Some(
                        format!("auth_type is case-sensitive: write `{}`", w.to_uppercase()).into(),
                    );
                }
            }
        }
        p.extra(l, 2);
    }),
    leaf!("auth_pass", |p, a, l| {
        if let Some(w) = p.req(l, 1) {
            let mut w = w.to_string();
            if w.len() > 8 {
                let mut cut = 8;
                while !w.is_char_boundary(cut) {
                    cut -= 1;
                }
                let d = p.warn(
                    codes::CORRECTED_VALUE,
                    "auth_pass is longer than 8 characters",
                    l.span(1),
                    "keepalived keeps only the first 8",
                );
                d.help = Some(
                    "VRRPv2 passwords are at most 8 characters; shorten it so every peer agrees"
                        .into(),
                );
                // Quoted or escaped passwords are not rewritten: their span is not the word.
                if l.raw_from(1).starts_with(w.as_str()) {
                    d.fix = Some(kac_schema::Fix::safe(
                        format!("keep the 8 characters keepalived uses: `{}`", &w[..cut]),
                        vec![kac_schema::Edit::replace(l.span(1), w.as_str(), &w[..cut])],
                    ));
                }
                w.truncate(cut);
            }
            a.auth_pass = Some(w);
        }
        p.extra(l, 2);
    }),
];

/// `vrrp_script NAME {`.
pub fn vrrp_script(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    let Some(name) = block_name(p, line) else {
        return;
    };
    let mut s = VrrpScript {
        name,
        script: None,
        interval: None,
        timeout: None,
        weight: None,
        rise: None,
        fall: None,
        user: None,
        init_fail: false,
    };
    p.block(VRRP_SCRIPT, &mut s);
    if let (Some(_), Some(sc)) = (&s.user, &s.script)
        && let Some(e) = p.script_spans.iter_mut().find(|(sp, _)| *sp == sc.span)
    {
        e.1 = true;
    }
    if s.script.is_none() {
        p.warn(
            codes::MISSING_SETTING,
            format!("no script set for vrrp_script `{}`", s.name.value),
            s.name.span,
            "no `script`",
        )
        .help = Some("add `script \"/path/to/check\"`; keepalived removes the script".into());
        return;
    }
    p.names.scripts.insert(s.name.value.clone());
    cfg.vrrp_scripts.push(s);
}

/// Keywords of `vrrp_script`.
pub static VRRP_SCRIPT: &[Kw<VrrpScript>] = &[
    leaf!("script", |p, s, l| {
        s.script = script(p, l, 1);
    }),
    leaf!("interval", |p, s, l| {
        match p.uint(l, 1, 0, u32::MAX as u64) {
            Some(0) => {
                p.warn(
                    codes::CORRECTED_VALUE,
                    "vrrp_script interval must be at least 1",
                    l.span(1),
                    "0 is not allowed",
                )
                .help = Some("keepalived uses 1 second".into());
                s.interval = Some(1);
            }
            Some(v) => s.interval = Some(v as u32),
            None => {}
        }
        p.extra(l, 2);
    }),
    leaf!("timeout", |p, s, l| {
        match p.uint(l, 1, 0, u32::MAX as u64) {
            Some(0) => {
                p.warn(
                    codes::CORRECTED_VALUE,
                    "vrrp_script timeout must be at least 1",
                    l.span(1),
                    "0 is not allowed",
                )
                .help = Some("keepalived uses 1 second".into());
                s.timeout = Some(1);
            }
            Some(v) => s.timeout = Some(v as u32),
            None => {}
        }
        p.extra(l, 2);
    }),
    leaf!("weight", |p, s, l| s.weight =
        weight_reverse(p, l, -253, 253)),
    leaf!("rise", |p, s, l| {
        s.rise = p.uint(l, 1, 1, u32::MAX as u64).map(|v| v as u32);
        p.extra(l, 2);
    }),
    leaf!("fall", |p, s, l| {
        s.fall = p.uint(l, 1, 1, u32::MAX as u64).map(|v| v as u32);
        p.extra(l, 2);
    }),
    leaf!("user", |p, s, l| {
        if let Some(u) = p.req(l, 1) {
            s.user = Some((u.to_string(), l.word(2).map(str::to_string)));
        }
        p.extra(l, 3);
    }),
    leaf!("init_fail", |p, s, l| {
        s.init_fail = true;
        p.extra(l, 1);
    }),
];

/// `track_file NAME {` (and the deprecated `vrrp_track_file`).
pub fn track_file(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    let Some(name) = block_name(p, line) else {
        return;
    };
    let mut t = TrackFile {
        name,
        file: None,
        weight: None,
        init_file: None,
    };
    p.block(TRACK_FILE, &mut t);
    if t.file.is_none() {
        p.warn(
            codes::MISSING_SETTING,
            format!("no file set for track_file `{}`", t.name.value),
            t.name.span,
            "no `file`",
        )
        .help = Some("add `file /path`; keepalived ignores this track_file".into());
        return;
    }
    if p.names.track_files.contains(&t.name.value) {
        p.warn(
            codes::DUPLICATE,
            format!("track_file `{}` already defined", t.name.value),
            t.name.span,
            "second definition",
        );
        return;
    }
    p.names.track_files.insert(t.name.value.clone());
    cfg.track_files.push(t);
}

/// Keywords of `track_file`.
pub static TRACK_FILE: &[Kw<TrackFile>] = &[
    leaf!("file", |p, t, l| {
        t.file = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("weight", |p, t, l| t.weight =
        weight_reverse(p, l, -254, 254)),
    leaf!("init_file", |p, t, l| {
        let mut k = 1;
        let mut v = None;
        if let Some(w) = l.word(1)
            && w != "overwrite"
        {
            v = p
                .int(l, 1, i32::MIN as i64, i32::MAX as i64)
                .map(|x| x as i32);
            k = 2;
        }
        let ow = l.word(k) == Some("overwrite");
        t.init_file = Some((v, ow));
        p.extra(l, k + usize::from(ow));
    }),
];

/// `vrrp_track_process NAME {`.
pub fn track_process(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    let Some(name) = block_name(p, line) else {
        return;
    };
    let mut t = TrackProcess {
        name,
        process: Vec::new(),
        weight: None,
        quorum: None,
        quorum_max: None,
        other: Vec::new(),
    };
    p.block(TRACK_PROCESS, &mut t);
    if t.process.is_empty() {
        p.warn(
            codes::MISSING_SETTING,
            format!("no process set for vrrp_track_process `{}`", t.name.value),
            t.name.span,
            "no `process`",
        );
        return;
    }
    p.names.processes.insert(t.name.value.clone());
    cfg.track_processes.push(t);
}

/// Keywords of `vrrp_track_process`.
pub static TRACK_PROCESS: &[Kw<TrackProcess>] = &[
    leaf!("process", |p, t, l| {
        if p.req(l, 1).is_some() {
            t.process = l.words_from(1);
        }
    }),
    generic!("param_match", Arg::OptChoice(&["initial", "partial"])),
    leaf!("weight", |p, t, l| t.weight =
        weight_reverse(p, l, -254, 254)),
    leaf!("quorum", |p, t, l| {
        t.quorum = p.uint(l, 1, 1, 65535).map(|v| v as u32);
        p.extra(l, 2);
    }),
    leaf!("quorum_max", |p, t, l| {
        t.quorum_max = p.uint(l, 1, 0, 65535).map(|v| v as u32);
        p.extra(l, 2);
    }),
    generic!("delay", Arg::T(1, 3600 * SEC)),
    generic!("terminate_delay", Arg::T(1, 3600 * SEC)),
    generic!("fork_delay", Arg::T(1, 3600 * SEC)),
    generic!("full_command"),
];

/// `vrrp_sync_group NAME {`.
pub fn sync_group(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    let Some(name) = block_name(p, line) else {
        return;
    };
    if cfg.sync_groups.iter().any(|g| g.name.value == name.value) {
        p.error(
            codes::DUPLICATE,
            format!("sync group `{}` already defined", name.value),
            name.span,
            "second definition",
        );
        p.skip_block();
        return;
    }
    let mut g = SyncGroup {
        name,
        members: Vec::new(),
        tracking: Tracking::default(),
        notify: Notify::default(),
        smtp_alert: None,
        tracking_weight: false,
        notify_priority_changes: None,
    };
    p.block(SYNC_GROUP, &mut g);
    cfg.sync_groups.push(g);
}

/// Keywords of `vrrp_sync_group`.
pub static SYNC_GROUP: &[Kw<SyncGroup>] = &[
    values!("group", |p, g, l| {
        for k in 0..l.len() {
            g.members.push(Spanned::new(l.w(k).to_string(), l.span(k)));
        }
        let _ = p;
    }),
    values!("track_interface", |p, g, l| {
        let owner = g.name.value.clone();
        track_block(
            p,
            &mut g.tracking.interfaces,
            l,
            TrackKind::Interface,
            &owner,
        );
    }),
    values!("track_script", |p, g, l| {
        let owner = g.name.value.clone();
        track_block(p, &mut g.tracking.scripts, l, TrackKind::Script, &owner);
    }),
    values!("track_file", |p, g, l| {
        let owner = g.name.value.clone();
        track_block(p, &mut g.tracking.files, l, TrackKind::File, &owner);
    }),
    values!("track_process", |p, g, l| {
        let owner = g.name.value.clone();
        track_block(p, &mut g.tracking.processes, l, TrackKind::Process, &owner);
    }),
    values!("track_bfd", |p, g, l| {
        let owner = g.name.value.clone();
        track_block(p, &mut g.tracking.bfds, l, TrackKind::Bfd, &owner);
    }),
    leaf!("notify_master", |p, g, l| set_once(
        p,
        &mut g.notify.master,
        l
    )),
    leaf!("notify_backup", |p, g, l| set_once(
        p,
        &mut g.notify.backup,
        l
    )),
    leaf!("notify_fault", |p, g, l| set_once(
        p,
        &mut g.notify.fault,
        l
    )),
    leaf!("notify_stop", |p, g, l| set_once(p, &mut g.notify.stop, l)),
    leaf!("notify", |p, g, l| set_once(p, &mut g.notify.any, l)),
    leaf!("smtp_alert", |p, g, l| bool_kw(p, &mut g.smtp_alert, l)),
    leaf!("sync_group_tracking_weight", |p, g, l| {
        g.tracking_weight = true;
        p.extra(l, 1);
    }),
    leaf!("global_tracking", |p, g, l| {
        let d = p.warn(
            codes::DEPRECATED,
            "`global_tracking` is deprecated",
            l.span(0),
            "deprecated",
        );
        d.help = Some("use `sync_group_tracking_weight` (the same setting)".into());
        d.fix = crate::deprecated::rename_fix("global_tracking", l.span(0));
        g.tracking_weight = true;
    }),
    leaf!("notify_priority_changes", |p, g, l| {
        if let Some(b) = p.boolean(l, 1) {
            g.notify_priority_changes = Some(b);
        }
        p.extra(l, 2);
    }),
];

/// `track_group NAME {`.
pub fn track_group(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    let Some(name) = block_name(p, line) else {
        return;
    };
    let mut g = NamedGroup {
        name,
        members: Vec::new(),
    };
    p.block(TRACK_GROUP, &mut g);
    p.names.track_groups.insert(g.name.value.clone());
    cfg.track_groups.push(g);
}

/// Keywords of `track_group`.
pub static TRACK_GROUP: &[Kw<NamedGroup>] = &[values!("group", |_p, g, l| {
    for k in 0..l.len() {
        g.members.push(Spanned::new(l.w(k).to_string(), l.span(k)));
    }
})];

/// `garp_group {`.
pub fn garp_group(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    p.extra(line, 1);
    let mut g = GarpGroup {
        garp_interval: None,
        gna_interval: None,
        interfaces: Vec::new(),
        span: line.line_span(),
    };
    p.block(GARP_GROUP, &mut g);
    if g.garp_interval.is_none() && g.gna_interval.is_none() {
        p.warn(
            codes::MISSING_SETTING,
            "garp_group has no interval",
            g.span,
            "no `garp_interval` or `gna_interval`",
        )
        .help =
            Some("set `garp_interval` and/or `gna_interval`; keepalived ignores the group".into());
    }
    if g.interfaces.is_empty() {
        p.warn(
            codes::MISSING_SETTING,
            "garp_group has no interface",
            g.span,
            "no `interface`",
        );
    }
    cfg.garp_groups.push(g);
}

/// Keywords of `garp_group`.
pub static GARP_GROUP: &[Kw<GarpGroup>] = &[
    leaf!("garp_interval", |p, g, l| {
        g.garp_interval = p.timer(l, 1, 0, u64::from(u32::MAX) * SEC);
        p.extra(l, 2);
    }),
    leaf!("gna_interval", |p, g, l| {
        g.gna_interval = p.timer(l, 1, 0, u64::from(u32::MAX) * SEC);
        p.extra(l, 2);
    }),
    leaf!("interface", |p, g, l| {
        if let Some(w) = p.req(l, 1) {
            let w = w.to_string();
            check_interface(p, l, 1, &w);
            g.interfaces.push(Spanned::new(w, l.span(1)));
        }
        p.extra(l, 2);
    }),
    values!("interfaces", |p, g, l| {
        let w = l.w(0).to_string();
        check_interface(p, l, 0, &w);
        g.interfaces.push(Spanned::new(w, l.span(0)));
        p.extra(l, 1);
    }),
];
