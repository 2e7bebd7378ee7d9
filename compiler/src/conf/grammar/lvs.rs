//! LVS and checker blocks: `virtual_server_group`, `virtual_server`, `real_server`,
//! the health checkers, `SSL`, `bfd_instance`.

use std::net::IpAddr;

use kac_schema::config::SourceNote;
use kac_schema::config::{
    BfdInstance, CheckTiming, Checker, CheckerKind, Config, Family, HttpUrl, LbKind, Protocol,
    RealServer, Setting, Spanned, SslSettings, VirtualServer, VsAddress, VsGroup, VsGroupEntry,
};

use super::common::{block, block_name, bool_kw, generic, leaf, script, weight_reverse};
use crate::codes;
use crate::conf::args::Arg;
use crate::conf::parser::{Act, Kw, Line, Parser, Target};

const SEC: u64 = 1_000_000;
const MAX_T: u64 = u32::MAX as u64 * SEC;

impl Target for VirtualServer {
    fn other(&mut self) -> Option<&mut Vec<Setting>> {
        Some(&mut self.other)
    }
}
impl Target for RealServer {
    fn other(&mut self) -> Option<&mut Vec<Setting>> {
        Some(&mut self.other)
    }
}
impl Target for Checker {}
impl Target for HttpUrl {}
impl Target for VsGroup {}
impl Target for SslSettings {}
impl Target for BfdInstance {
    fn other(&mut self) -> Option<&mut Vec<Setting>> {
        Some(&mut self.other)
    }
}

/// The schedulers keepalived 2.2.7 accepts.
pub const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos",
];

/// keepalived's `inet_stosockaddr()`: the address before any `-` or `/`, which it drops.
fn vs_addr(p: &mut Parser<'_>, line: &Line, i: usize) -> Option<IpAddr> {
    let w = p.req(line, i)?;
    let cut = w
        .bytes()
        .position(|b| b == b'/' || b == b'-')
        .unwrap_or(w.len());
    match w[..cut].parse::<IpAddr>() {
        Ok(a) => {
            if cut < w.len() {
                p.notes.push(SourceNote::DroppedAddressSuffix {
                    written: w.to_string(),
                    span: line.span(i),
                });
            }
            Some(a)
        }
        Err(_) => {
            p.error(
                codes::INVALID_ADDRESS,
                format!("invalid IP address `{w}`"),
                line.span(i),
                "not an address",
            );
            None
        }
    }
}

fn port(p: &mut Parser<'_>, line: &Line, i: usize) -> Option<u16> {
    line.word(i)?;
    p.uint(line, i, 0, 65535).map(|v| v as u16)
}

/// `virtual_server_group NAME {`.
pub fn vs_group(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    let Some(name) = block_name(p, line) else {
        return;
    };
    let mut g = VsGroup {
        name,
        entries: Vec::new(),
    };
    p.value_block(line, &mut g, vs_group_entry, false);
    let v4 = g.entries.iter().any(|e| {
        matches!(
            e,
            VsGroupEntry::Range {
                first: IpAddr::V4(_),
                ..
            }
        ) || matches!(
            e,
            VsGroupEntry::Fwmark {
                family: Some(Family::Inet),
                ..
            }
        )
    });
    let v6 = g.entries.iter().any(|e| {
        matches!(
            e,
            VsGroupEntry::Range {
                first: IpAddr::V6(_),
                ..
            }
        ) || matches!(
            e,
            VsGroupEntry::Fwmark {
                family: Some(Family::Inet6),
                ..
            }
        )
    });
    if v4 && v6 {
        p.warn(
            codes::FAMILY_MISMATCH,
            format!(
                "virtual server group `{}` mixes IPv4 and IPv6",
                g.name.value
            ),
            g.name.span,
            "both families",
        )
        .help =
            Some("split it into one group per address family; keepalived removes the group".into());
    }
    if g.entries.is_empty() {
        p.warn(
            codes::MISSING_SETTING,
            format!("virtual server group `{}` is empty", g.name.value),
            g.name.span,
            "no entries",
        )
        .help = Some("add addresses or fwmarks; keepalived removes the group".into());
    }
    cfg.vs_groups.push(g);
}

/// One `virtual_server_group` entry (the group block has no keywords; every line is an entry).
pub fn vs_group_entry(p: &mut Parser<'_>, g: &mut VsGroup, line: &Line) {
    if line.keyword() == "fwmark" {
        let Some(mark) = p.uint(line, 1, 0, u32::MAX as u64) else {
            return;
        };
        let family = match line.word(2) {
            Some("inet") => Some(Family::Inet),
            Some("inet6") => Some(Family::Inet6),
            Some(_) => {
                p.extra(line, 2);
                None
            }
            None => None,
        };
        g.entries.push(VsGroupEntry::Fwmark {
            mark: mark as u32,
            family,
            span: line.line_span(),
        });
        return;
    }
    let w = line.w(0).to_string();
    let (addr_s, range) = match w.split_once('-') {
        Some((a, r)) => (a.to_string(), Some(r.to_string())),
        None => (w.clone(), None),
    };
    let (addr_s, mask) = match addr_s.split_once('/') {
        Some((a, m)) => (a.to_string(), Some(m.to_string())),
        None => (addr_s, None),
    };
    let Ok(first) = addr_s.parse::<IpAddr>() else {
        p.error(
            codes::INVALID_ADDRESS,
            format!("invalid virtual server group entry `{w}`"),
            line.span(0),
            "not an address, range or `fwmark`",
        );
        return;
    };
    let mut last = first;
    if let Some(r) = range {
        last = match first {
            IpAddr::V4(a) => match r.parse::<u8>() {
                Ok(n) if n >= a.octets()[3] => {
                    let mut o = a.octets();
                    o[3] = n;
                    IpAddr::from(o)
                }
                _ => match r.parse::<IpAddr>() {
                    Ok(l) if l >= first => l,
                    _ => {
                        p.error(
                            codes::INVALID_ADDRESS,
                            format!("invalid address range `{w}`"),
                            line.span(0),
                            "the end of the range is before its start or invalid",
                        );
                        return;
                    }
                },
            },
            IpAddr::V6(a) => match u16::from_str_radix(&r, 16) {
                Ok(n) if n >= a.segments()[7] => {
                    let mut s = a.segments();
                    s[7] = n;
                    IpAddr::from(s)
                }
                _ => {
                    p.error(
                        codes::INVALID_ADDRESS,
                        format!("invalid address range `{w}`"),
                        line.span(0),
                        "invalid range end",
                    );
                    return;
                }
            },
        };
    }
    if let Some(m) = mask {
        let max = if first.is_ipv4() { 32 } else { 128 };
        match m.parse::<u8>() {
            Ok(n) if n <= max => {
                let bits = max - n;
                let (start, count) = match first {
                    IpAddr::V4(a) => (u128::from(u32::from(a)), 1u128 << bits),
                    IpAddr::V6(a) => (
                        u128::from(a),
                        if bits >= 128 {
                            u128::MAX
                        } else {
                            1u128 << bits
                        },
                    ),
                };
                if start % count != 0 {
                    p.error(
                        codes::INVALID_ADDRESS,
                        format!("`{w}` has host bits set below the mask"),
                        line.span(0),
                        "not a network address",
                    );
                    return;
                }
                let end = start + (count - 1);
                last = match first {
                    IpAddr::V4(_) => IpAddr::from((end as u32).to_be_bytes()),
                    IpAddr::V6(_) => IpAddr::from(end.to_be_bytes()),
                };
            }
            _ => {
                p.error(
                    codes::OUT_OF_RANGE,
                    format!("invalid mask in `{w}`"),
                    line.span(0),
                    format!("must be 0 to {max}"),
                );
                return;
            }
        }
    }
    let port = port(p, line, 1);
    p.extra(line, 2);
    g.entries.push(VsGroupEntry::Range {
        first,
        last,
        port: port.filter(|&p| p != 0),
        span: line.line_span(),
    });
}

/// `virtual_server IP PORT | fwmark N | group NAME {`.
pub fn virtual_server(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    let address = match line.word(1) {
        Some("fwmark") => {
            let Some(m) = p.uint(line, 2, 0, u32::MAX as u64) else {
                p.skip_block();
                return;
            };
            p.extra(line, 3);
            VsAddress::Fwmark(m as u32)
        }
        Some("group") => {
            let Some(n) = p.req(line, 2) else {
                p.skip_block();
                return;
            };
            let n = n.to_string();
            p.extra(line, 3);
            VsAddress::Group(n)
        }
        _ => {
            let Some(addr) = vs_addr(p, line, 1) else {
                p.skip_block();
                return;
            };
            let port = port(p, line, 2).unwrap_or(0);
            p.extra(line, 3);
            VsAddress::Addr { addr, port }
        }
    };
    let mut vs = VirtualServer {
        address: Spanned::new(address, line.span_from(1)),
        protocol: None,
        scheduler: None,
        sched_flags: Vec::new(),
        lb_kind: None,
        ip_family: None,
        persistence_timeout: None,
        persistence_granularity: None,
        persistence_engine: None,
        delay_loop: None,
        connect_timeout: None,
        retry: None,
        delay_before_retry: None,
        warmup: None,
        virtualhost: None,
        alpha: false,
        omega: false,
        quorum: None,
        hysteresis: None,
        quorum_up: None,
        quorum_down: None,
        weight: None,
        inhibit_on_failure: None,
        ha_suspend: false,
        smtp_alert: None,
        sorry_server: None,
        sorry_server_inhibit: false,
        real_servers: Vec::with_capacity(16),
        other: Vec::new(),
        sorry_server_lvs_method: None,
    };
    p.block(VIRTUAL_SERVER, &mut vs);
    p.virtual_server_count += 1;
    crate::validate::virtual_server(p, &mut vs);
    // Group services are always kept: their group may be defined later.
    let group = matches!(vs.address.value, VsAddress::Group(_));
    // Lowered with the configuration read so far: the track files a FILE_CHECK names are
    // defined before it (keepalived resolves them in file order); an SSL block read later is
    // added by `lower::complete_checker`.
    if let (Some(sink), false) = (&mut p.lowered_sink, group) {
        sink(crate::lower::virtual_server_so_far(cfg, &vs));
    } else if let (Some(lowered), false) = (&mut p.lowered_virtual_servers, group) {
        lowered.push(crate::lower::virtual_server_so_far(cfg, &vs));
    } else if p.keep_virtual_servers || group {
        cfg.virtual_servers.push(vs);
    } else if let Some(visit) = p.visit_virtual_server.as_mut() {
        let progress = crate::Progress {
            suppressions: &p.lines.suppressions,
            files: &p.lines.files,
        };
        visit(vs, &progress);
    }
}

fn lb_kind(p: &mut Parser<'_>, line: &Line) -> Option<LbKind> {
    let m = p.req(line, 1)?;
    if !matches!(m, "NAT" | "DR" | "TUN") {
        let m = m.to_string();
        let d = p.warn(
            codes::INVALID_VALUE,
            format!("unknown forwarding method `{m}`"),
            line.span(1),
            "expected `NAT`, `DR` or `TUN`",
        );
        d.help = Some(
            if ["nat", "dr", "tun"].contains(&m.to_lowercase().as_str()) {
                format!(
                    "forwarding methods are case-sensitive: write `{}`",
                    m.to_uppercase()
                )
                .into()
            } else {
                "keepalived uses NAT".into()
            },
        );
        return None;
    }
    let method = m.to_string();
    let mut tunnel = Vec::new();
    let mut k = 2;
    if method == "TUN" {
        while k < line.len() {
            match line.w(k) {
                "type" => {
                    if let Some(t) = p.choice(line, k + 1, &["ipip", "gue", "gre"]) {
                        tunnel.push(format!("type {t}"));
                    }
                    k += 2;
                }
                "port" => {
                    if let Some(v) = p.uint(line, k + 1, 1, 65535) {
                        tunnel.push(format!("port {v}"));
                    }
                    k += 2;
                }
                "nocsum" | "csum" | "remcsum" => {
                    tunnel.push(line.w(k).to_string());
                    k += 1;
                }
                _ => break,
            }
        }
        let kind = tunnel
            .iter()
            .find_map(|t| t.strip_prefix("type "))
            .unwrap_or("ipip");
        let has_port = tunnel.iter().any(|t| t.starts_with("port "));
        if (kind == "gue") != has_port {
            p.warn(
                codes::CONFLICT,
                "gue tunnels require a port, other tunnel types cannot have one",
                line.span_from(1),
                "tunnel options",
            )
            .help = Some("write `lb_kind TUN type gue port N`, or drop `port`".into());
        }
        if kind == "ipip" && tunnel.iter().any(|t| t == "csum" || t == "remcsum") {
            p.warn(
                codes::CONFLICT,
                "ipip tunnels do not support checksums",
                line.span_from(1),
                "checksum option",
            )
            .help = Some("remove `csum`/`remcsum` (or use `nocsum`)".into());
        }
    }
    p.extra(line, k);
    Some(LbKind { method, tunnel })
}

/// Keywords of `virtual_server`.
pub static VIRTUAL_SERVER: &[Kw<VirtualServer>] = &[
    // Most frequent first: lookups scan the table in order.
    block!("real_server", real_server),
    leaf!("protocol", |p, v, l| {
        if let Some(w) = p.req(l, 1) {
            let proto = match w.to_ascii_uppercase().as_str() {
                "TCP" => Some(Protocol::Tcp),
                "UDP" => Some(Protocol::Udp),
                "SCTP" => Some(Protocol::Sctp),
                _ => None,
            };
            match proto {
                Some(pr) => {
                    if matches!(v.address.value, VsAddress::Fwmark(_)) {
                        p.warn(
                            codes::CONFLICT,
                            "`protocol` is ignored on a fwmark virtual server",
                            l.span(0),
                            "ignored",
                        )
                        .help = Some("remove it: a fwmark service matches every protocol".into());
                    } else {
                        v.protocol = Some(Spanned::new(pr, l.span(1)));
                    }
                }
                None => {
                    let w = w.to_string();
                    p.error(
                        codes::INVALID_VALUE,
                        format!("unknown protocol `{w}`"),
                        l.span(1),
                        "expected `TCP`, `UDP` or `SCTP`",
                    );
                }
            }
        }
        p.extra(l, 2);
    }),
    leaf!("lb_algo", sched),
    leaf!("lvs_sched", sched),
    leaf!("lb_kind", |p, v, l| v.lb_kind =
        lb_kind(p, l).map(|k| Spanned::new(k, l.span(1)))),
    leaf!("lvs_method", |p, v, l| v.lb_kind =
        lb_kind(p, l).map(|k| Spanned::new(k, l.span(1)))),
    leaf!("ops", flag),
    leaf!("flag-1", flag),
    leaf!("flag-2", flag),
    leaf!("flag-3", flag),
    leaf!("sh-port", flag),
    leaf!("sh-fallback", flag),
    leaf!("mh-port", flag),
    leaf!("mh-fallback", flag),
    leaf!("hashed", flag),
    leaf!("ip_family", |p, v, l| {
        match p.choice(l, 1, &["inet", "inet6"]) {
            Some("inet") => v.ip_family = Some(Family::Inet),
            Some(_) => v.ip_family = Some(Family::Inet6),
            None => {}
        }
        p.extra(l, 2);
    }),
    leaf!("persistence_timeout", |p, v, l| {
        v.persistence_timeout = if l.word(1).is_some() {
            p.uint(l, 1, 1, 2_678_400).map(|x| x as u32)
        } else {
            Some(360)
        };
        p.extra(l, 2);
    }),
    leaf!("persistence_granularity", |p, v, l| {
        // keepalived -t does not check the value.
        v.persistence_granularity = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("persistence_engine", |p, v, l| {
        v.persistence_engine = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("delay_loop", |p, v, l| {
        v.delay_loop = p.timer(l, 1, 1, MAX_T);
        p.extra(l, 2);
    }),
    leaf!("connect_timeout", |p, v, l| {
        v.connect_timeout = p.timer(l, 1, 1, MAX_T);
        p.extra(l, 2);
    }),
    leaf!("retry", |p, v, l| {
        v.retry = p.uint(l, 1, 1, u32::MAX as u64).map(|x| x as u32);
        p.extra(l, 2);
    }),
    leaf!("delay_before_retry", |p, v, l| {
        v.delay_before_retry = p.timer(l, 1, 0, MAX_T);
        p.extra(l, 2);
    }),
    leaf!("warmup", |p, v, l| {
        v.warmup = p.timer(l, 1, 0, MAX_T);
        p.extra(l, 2);
    }),
    leaf!("virtualhost", |p, v, l| {
        v.virtualhost = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("alpha", |p, v, l| {
        v.alpha = true;
        p.extra(l, 1);
    }),
    leaf!("omega", |p, v, l| {
        v.omega = true;
        p.extra(l, 1);
    }),
    leaf!("quorum", |p, v, l| {
        v.quorum = p.uint(l, 1, 1, u32::MAX as u64).map(|x| x as u32);
        p.extra(l, 2);
    }),
    leaf!("hysteresis", |p, v, l| {
        v.hysteresis = p.uint(l, 1, 0, u32::MAX as u64).map(|x| x as u32);
        p.extra(l, 2);
    }),
    leaf!("quorum_up", |p, v, l| v.quorum_up = script(p, l, 1)),
    leaf!("quorum_down", |p, v, l| v.quorum_down = script(p, l, 1)),
    leaf!("weight", |p, v, l| {
        v.weight = p.uint(l, 1, 1, i32::MAX as u64).map(|x| x as u32);
        p.extra(l, 2);
    }),
    leaf!("inhibit_on_failure", |p, v, l| bool_kw(
        p,
        &mut v.inhibit_on_failure,
        l
    )),
    leaf!("ha_suspend", |p, v, l| {
        v.ha_suspend = true;
        p.extra(l, 1);
    }),
    leaf!("smtp_alert", |p, v, l| bool_kw(p, &mut v.smtp_alert, l)),
    generic!("snmp_name", Arg::Word),
    leaf!("sorry_server", |p, v, l| {
        if let Some(a) = p.ip(l, 1) {
            let port = port(p, l, 2);
            v.sorry_server = Some((a, port));
        }
        p.extra(l, 3);
    }),
    leaf!("sorry_server_inhibit", |p, v, l| {
        v.sorry_server_inhibit = true;
        p.extra(l, 1);
    }),
    leaf!("sorry_server_lvs_method", |p, v, l| v
        .sorry_server_lvs_method =
        lb_kind(p, l)),
];

fn sched(p: &mut Parser<'_>, v: &mut VirtualServer, l: &Line) {
    if let Some(w) = p.req(l, 1) {
        if SCHEDULERS.contains(&w) {
            v.scheduler = Some(Spanned::new(w.to_string(), l.span(1)));
        } else {
            let w = w.to_string();
            let d = p.warn(
                codes::INVALID_VALUE,
                format!("invalid lvs scheduler `{w}`"),
                l.span(1),
                "not a scheduler keepalived knows",
            );
            d.help = Some(
                match crate::suggest::closest(&w, SCHEDULERS.iter().copied()) {
                    Some(s) => {
                        format!("did you mean `{s}`? schedulers: {}", SCHEDULERS.join(", ")).into()
                    }
                    None => format!("schedulers: {}", SCHEDULERS.join(", ")).into(),
                },
            );
        }
    }
    p.extra(l, 2);
}

fn flag(p: &mut Parser<'_>, v: &mut VirtualServer, l: &Line) {
    let f = l.keyword();
    let sched = v.scheduler.as_ref().map(|s| s.value.as_str());
    // keepalived 2.2.7 checks only `hashed`; sh-*/mh-* flags are taken whatever the scheduler.
    let ok = f != "hashed" || matches!(sched, Some("sh" | "mh"));
    if !ok {
        let f = f.to_string();
        p.warn(
            codes::CONFLICT,
            format!("scheduler flag `{f}` does not apply to the scheduler"),
            l.span(0),
            "ignored",
        )
        .help = Some("put the flag after `lb_algo sh` or `lb_algo mh` as appropriate".into());
        return;
    }
    v.sched_flags.push(f.to_string());
    p.extra(l, 1);
}

/// `real_server IP [PORT] {`.
pub fn real_server(p: &mut Parser<'_>, v: &mut VirtualServer, line: &Line) {
    let Some(addr) = vs_addr(p, line, 1) else {
        p.skip_block();
        return;
    };
    let port = port(p, line, 2);
    p.extra(line, 3);
    let mut rs = RealServer {
        addr,
        port,
        weight: None,
        lb_kind: None,
        inhibit_on_failure: None,
        uthreshold: None,
        lthreshold: None,
        notify_up: None,
        notify_down: None,
        timing: CheckTiming::default(),
        checkers: Vec::new(),
        other: Vec::new(),
        span: line.line_span(),
    };
    p.block(REAL_SERVER, &mut rs);
    v.real_servers.push(rs);
}

/// A timing keyword shared by real servers and checkers.
#[derive(Clone, Copy)]
enum TimingField {
    DelayLoop,
    ConnectTimeout,
    Retry,
    DelayBeforeRetry,
    Warmup,
    Alpha,
}

fn timing(p: &mut Parser<'_>, t: &mut CheckTiming, l: &Line, field: TimingField) {
    match field {
        TimingField::DelayLoop => t.delay_loop = p.timer(l, 1, 1, MAX_T),
        TimingField::ConnectTimeout => t.connect_timeout = p.timer(l, 1, 1, MAX_T),
        TimingField::Retry => t.retry = p.uint(l, 1, 0, u32::MAX as u64).map(|x| x as u32),
        TimingField::DelayBeforeRetry => t.delay_before_retry = p.timer(l, 1, 0, MAX_T),
        TimingField::Warmup => t.warmup = p.timer(l, 1, 0, MAX_T),
        TimingField::Alpha => t.alpha = p.boolean(l, 1),
    }
    p.extra(l, 2);
}

/// Keywords of `real_server`.
pub static REAL_SERVER: &[Kw<RealServer>] = &[
    // Most frequent first: lookups scan the table in order.
    block!("TCP_CHECK", |p, r, l| checker(p, r, l, CheckerKind::Tcp)),
    block!("HTTP_GET", |p, r, l| checker(p, r, l, http(false))),
    block!("SSL_GET", |p, r, l| checker(p, r, l, http(true))),
    block!("SMTP_CHECK", |p, r, l| checker(
        p,
        r,
        l,
        CheckerKind::Smtp { helo_name: None }
    )),
    block!("DNS_CHECK", |p, r, l| checker(
        p,
        r,
        l,
        CheckerKind::Dns {
            query_type: None,
            name: None
        }
    )),
    block!("MISC_CHECK", |p, r, l| checker(
        p,
        r,
        l,
        CheckerKind::Misc {
            path: None,
            timeout: None,
            dynamic: false,
            user: None
        }
    )),
    block!("PING_CHECK", |p, r, l| checker(p, r, l, CheckerKind::Ping)),
    block!("UDP_CHECK", |p, r, l| checker(
        p,
        r,
        l,
        CheckerKind::Udp {
            payload: None,
            require_reply: None,
            min_reply_length: None,
            max_reply_length: None
        }
    )),
    block!("FILE_CHECK", |p, r, l| checker(
        p,
        r,
        l,
        CheckerKind::File {
            track_file: None,
            weight: None
        }
    )),
    block!("BFD_CHECK", |p, r, l| checker(
        p,
        r,
        l,
        CheckerKind::Bfd { name: None }
    )),
    leaf!("weight", |p, r, l| {
        r.weight = p.uint(l, 1, 0, i32::MAX as u64).map(|x| x as u32);
        p.extra(l, 2);
    }),
    leaf!("lvs_method", |p, r, l| r.lb_kind = lb_kind(p, l)),
    leaf!("uthreshold", |p, r, l| {
        r.uthreshold = p.uint(l, 1, 0, u32::MAX as u64).map(|x| x as u32);
        p.extra(l, 2);
    }),
    leaf!("lthreshold", |p, r, l| {
        r.lthreshold = p.uint(l, 1, 0, u32::MAX as u64).map(|x| x as u32);
        p.extra(l, 2);
    }),
    leaf!("inhibit_on_failure", |p, r, l| bool_kw(
        p,
        &mut r.inhibit_on_failure,
        l
    )),
    leaf!("notify_up", |p, r, l| r.notify_up =
        script(p, l, 1).map(Box::new)),
    leaf!("notify_down", |p, r, l| r.notify_down =
        script(p, l, 1).map(Box::new)),
    leaf!("alpha", |p, r, l| timing(
        p,
        &mut r.timing,
        l,
        TimingField::Alpha
    )),
    leaf!("retry", |p, r, l| timing(
        p,
        &mut r.timing,
        l,
        TimingField::Retry
    )),
    leaf!("delay_before_retry", |p, r, l| timing(
        p,
        &mut r.timing,
        l,
        TimingField::DelayBeforeRetry
    )),
    leaf!("warmup", |p, r, l| timing(
        p,
        &mut r.timing,
        l,
        TimingField::Warmup
    )),
    leaf!("connect_timeout", |p, r, l| timing(
        p,
        &mut r.timing,
        l,
        TimingField::ConnectTimeout
    )),
    leaf!("delay_loop", |p, r, l| timing(
        p,
        &mut r.timing,
        l,
        TimingField::DelayLoop
    )),
    generic!("smtp_alert", Arg::Bool),
    generic!("virtualhost", Arg::Word),
    generic!("snmp_name", Arg::Word),
];

fn http(tls: bool) -> CheckerKind {
    CheckerKind::Http {
        tls,
        urls: Vec::new(),
        virtualhost: None,
        http_protocol: None,
        enable_sni: None,
        fast_recovery: None,
    }
}

/// A checker of `kind` with nothing set yet.
fn new_checker(kind: CheckerKind, span: kac_schema::Span) -> Checker {
    Checker {
        kind,
        timing: CheckTiming::default(),
        connect_ip: None,
        connect_port: None,
        bindto: None,
        bind_port: None,
        bind_if: None,
        fwmark: None,
        log_all_failures: None,
        span,
    }
}

fn checker(p: &mut Parser<'_>, r: &mut RealServer, line: &Line, kind: CheckerKind) {
    p.extra(line, 1);
    let mut c = new_checker(kind, line.line_span());
    let table: &'static [Kw<Checker>] = match c.kind {
        CheckerKind::Http { .. } => HTTP_CHECK,
        CheckerKind::Smtp { .. } => SMTP_CHECK,
        CheckerKind::Dns { .. } => DNS_CHECK,
        CheckerKind::Misc { .. } => MISC_CHECK,
        CheckerKind::Udp { .. } => UDP_CHECK,
        CheckerKind::File { .. } => FILE_CHECK,
        CheckerKind::Bfd { .. } => BFD_CHECK,
        CheckerKind::Tcp | CheckerKind::Ping => COMMON_CHECK,
    };
    p.block(table, &mut c);
    let kw = c.kind.keyword();
    let dropped = match &c.kind {
        CheckerKind::Http { urls, .. } if urls.is_empty() => Some("no `url` block"),
        CheckerKind::Http { urls, .. } if urls.iter().any(|u| u.path.is_none()) => {
            Some("a `url` without `path`")
        }
        CheckerKind::Misc { path: None, .. } => Some("no `misc_path`"),
        CheckerKind::File {
            track_file: None, ..
        } => Some("no `track_file`"),
        CheckerKind::Bfd { name: None, .. } => Some("no `name`"),
        _ => None,
    };
    if let Some(why) = dropped {
        p.warn(
            codes::MISSING_SETTING,
            format!("{kw} has {why}"),
            line.span(0),
            why,
        )
        .help = Some("keepalived drops this checker".into());
        return;
    }
    // `check` drops services once validated: their checkers need not be kept at all.
    if p.keep_virtual_servers || p.visit_virtual_server.is_some() {
        // Most real servers have one checker: room for exactly one (a first push would make
        // room for four, 1.3 KB per real server).
        r.checkers.reserve_exact(1);
        r.checkers.push(c);
    }
}

pub(crate) static TIMING_CHECK: &[Kw<Checker>] = &[
    leaf!("connect_timeout", |p, c, l| timing(
        p,
        &mut c.timing,
        l,
        TimingField::ConnectTimeout
    )),
    leaf!("retry", |p, c, l| timing(
        p,
        &mut c.timing,
        l,
        TimingField::Retry
    )),
    leaf!("delay_before_retry", |p, c, l| timing(
        p,
        &mut c.timing,
        l,
        TimingField::DelayBeforeRetry
    )),
    leaf!("warmup", |p, c, l| timing(
        p,
        &mut c.timing,
        l,
        TimingField::Warmup
    )),
    leaf!("delay_loop", |p, c, l| timing(
        p,
        &mut c.timing,
        l,
        TimingField::DelayLoop
    )),
    leaf!("alpha", |p, c, l| timing(
        p,
        &mut c.timing,
        l,
        TimingField::Alpha
    )),
    leaf!("log_all_failures", |p, c, l| bool_kw(
        p,
        &mut c.log_all_failures,
        l
    )),
];

pub(crate) static COMMON_CHECK: &[Kw<Checker>] = &[
    Kw {
        name: "",
        act: Act::Include(TIMING_CHECK),
    },
    leaf!("connect_ip", |p, c, l| {
        c.connect_ip = p.ip(l, 1);
        p.extra(l, 2);
    }),
    leaf!("connect_port", |p, c, l| {
        c.connect_port = p.uint(l, 1, 1, 65535).map(|x| x as u16);
        p.extra(l, 2);
    }),
    leaf!("bindto", |p, c, l| {
        c.bindto = p.ip(l, 1);
        p.extra(l, 2);
    }),
    leaf!("bind_port", |p, c, l| {
        c.bind_port = p.uint(l, 1, 1, 65535).map(|x| x as u16);
        p.extra(l, 2);
    }),
    leaf!("bind_if", |p, c, l| {
        c.bind_if = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("fwmark", |p, c, l| {
        c.fwmark = p.uint(l, 1, 0, u32::MAX as u64).map(|x| x as u32);
        p.extra(l, 2);
    }),
];

pub(crate) static HTTP_CHECK: &[Kw<Checker>] = &[
    Kw {
        name: "",
        act: Act::Include(COMMON_CHECK),
    },
    block!("url", |p, c, l| {
        p.extra(l, 1);
        let mut u = HttpUrl::default();
        p.block(URL, &mut u);
        if let CheckerKind::Http { urls, .. } = &mut c.kind {
            urls.push(u);
        }
    }),
    leaf!("virtualhost", |p, c, l| {
        let v = p.req(l, 1).map(str::to_string);
        if let CheckerKind::Http { virtualhost, .. } = &mut c.kind {
            *virtualhost = v;
        }
        p.extra(l, 2);
    }),
    leaf!("http_protocol", |p, c, l| {
        let v = p
            .choice(l, 1, &["1.0", "1.1", "1.0C", "1.0c"])
            .map(str::to_string);
        if let CheckerKind::Http { http_protocol, .. } = &mut c.kind {
            *http_protocol = v;
        }
        p.extra(l, 2);
    }),
    leaf!("enable_sni", |p, c, l| {
        if let CheckerKind::Http { enable_sni, .. } = &mut c.kind {
            bool_kw(p, enable_sni, l);
        }
    }),
    leaf!("fast_recovery", |p, c, l| {
        if let CheckerKind::Http { fast_recovery, .. } = &mut c.kind {
            bool_kw(p, fast_recovery, l);
        }
    }),
    Kw {
        name: "nb_get_retry",
        act: Act::Deprecated("`retry`", &Act::Leaf(timing_retry)),
    },
];

fn timing_retry(p: &mut Parser<'_>, c: &mut Checker, l: &Line) {
    c.timing.retry = p.uint(l, 1, 0, u32::MAX as u64).map(|x| x as u32);
    p.extra(l, 2);
}

pub(crate) static URL: &[Kw<HttpUrl>] = &[
    leaf!("path", |p, u, l| {
        u.path = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("digest", |p, u, l| {
        if let Some(d) = p.req(l, 1) {
            if d.len() == 32 && d.bytes().all(|b| b.is_ascii_hexdigit()) {
                u.digest = Some(d.to_ascii_lowercase());
            } else {
                let d = d.to_string();
                p.error(
                    codes::INVALID_VALUE,
                    format!("invalid digest `{d}`"),
                    l.span(1),
                    "expected 32 hex digits (an MD5 sum)",
                )
                .help = Some("`kac genhash URL` prints the digest of a URL's body".into());
            }
        }
        p.extra(l, 2);
    }),
    leaf!("status_code", |p, u, l| status_codes(p, u, l, 1)),
    leaf!("virtualhost", |p, u, l| {
        u.virtualhost = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("regex", |p, u, l| {
        if p.req(l, 1).is_some() {
            u.regex = crate::conf::words::split_script_words(l.raw_from(1))
                .ok()
                .and_then(|w| w.into_iter().next());
        }
    }),
    leaf!("regex_no_match", |p, u, l| {
        u.regex_no_match = true;
        p.extra(l, 1);
    }),
    generic!("regex_options", Arg::Rest),
    generic!("regex_min_offset", Arg::U(0, u32::MAX as u64)),
    generic!("regex_max_offset", Arg::U(0, u32::MAX as u64)),
    generic!(
        "regex_stack",
        Arg::U(0, u32::MAX as u64),
        Arg::OptU(0, u32::MAX as u64)
    ),
];

fn status_codes(p: &mut Parser<'_>, u: &mut HttpUrl, l: &Line, from: usize) {
    if from == 1 {
        p.req(l, 1);
    }
    for k in from..l.len() {
        let w = l.w(k).to_string();
        let (a, b) = match w.split_once('-') {
            Some((a, b)) => (a, b),
            None => (w.as_str(), w.as_str()),
        };
        match (a.parse::<u16>(), b.parse::<u16>()) {
            (Ok(a), Ok(b)) if (100..=599).contains(&a) && (100..=599).contains(&b) && a <= b => {
                u.status_codes.push((a, b))
            }
            _ => {
                p.error(
                    codes::INVALID_VALUE,
                    format!("invalid status code `{w}`"),
                    l.span(k),
                    "expected N or N-M within 100..599",
                );
            }
        }
    }
}

pub(crate) static SMTP_CHECK: &[Kw<Checker>] = &[
    block!("host", |p, _c, l| {
        p.report(
            kac_schema::Diagnostic::new(
                codes::DEPRECATED,
                kac_schema::Severity::Advice,
                "`host` blocks in SMTP_CHECK are deprecated",
            )
            .with_primary(l.span(0), "deprecated")
            .with_help("write one SMTP_CHECK per host instead (keepalived only logs this)"),
        );
        let mut scratch = new_checker(CheckerKind::Smtp { helo_name: None }, l.line_span());
        p.block(COMMON_CHECK, &mut scratch);
    }),
    Kw {
        name: "",
        act: Act::Include(COMMON_CHECK),
    },
    leaf!("helo_name", |p, c, l| {
        let v = p.req(l, 1).map(str::to_string);
        if let CheckerKind::Smtp { helo_name } = &mut c.kind {
            *helo_name = v;
        }
        p.extra(l, 2);
    }),
];

pub(crate) static DNS_CHECK: &[Kw<Checker>] = &[
    Kw {
        name: "",
        act: Act::Include(COMMON_CHECK),
    },
    leaf!("type", |p, c, l| {
        if let Some(t) = p.req(l, 1) {
            let up = t.to_ascii_uppercase();
            if [
                "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY",
            ]
            .contains(&up.as_str())
            {
                if let CheckerKind::Dns { query_type, .. } = &mut c.kind {
                    *query_type = Some(up);
                }
            } else {
                let t = t.to_string();
                p.error(
                    codes::INVALID_VALUE,
                    format!("unknown DNS query type `{t}`"),
                    l.span(1),
                    "expected A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG or DNSKEY",
                );
            }
        }
        p.extra(l, 2);
    }),
    leaf!("name", |p, c, l| {
        if let Some(n) = p.req(l, 1) {
            if n.contains("..") || (n.starts_with('.') && n.len() > 1) {
                let n = n.to_string();
                p.error(
                    codes::INVALID_VALUE,
                    format!("invalid DNS name `{n}`"),
                    l.span(1),
                    "empty label",
                );
            } else if let CheckerKind::Dns { name, .. } = &mut c.kind {
                *name = Some(n.to_string());
            }
        }
        p.extra(l, 2);
    }),
];

pub(crate) static MISC_CHECK: &[Kw<Checker>] = &[
    leaf!("misc_path", |p, c, l| {
        let s = script(p, l, 1);
        if let CheckerKind::Misc { path, .. } = &mut c.kind {
            *path = s;
        }
    }),
    leaf!("misc_timeout", |p, c, l| {
        let v = p.uint(l, 1, 0, u32::MAX as u64).map(|x| x as u32);
        if let CheckerKind::Misc { timeout, .. } = &mut c.kind {
            *timeout = v;
        }
        p.extra(l, 2);
    }),
    leaf!("misc_dynamic", |p, c, l| {
        if let CheckerKind::Misc { dynamic, .. } = &mut c.kind {
            *dynamic = true;
        }
        p.extra(l, 1);
    }),
    leaf!("user", |p, c, l| {
        let u = p
            .req(l, 1)
            .map(|u| (u.to_string(), l.word(2).map(str::to_string)));
        if let CheckerKind::Misc { user, .. } = &mut c.kind {
            *user = u;
        }
        p.extra(l, 3);
    }),
    Kw {
        name: "",
        act: Act::Include(TIMING_CHECK),
    },
];

pub(crate) static UDP_CHECK: &[Kw<Checker>] = &[
    Kw {
        name: "",
        act: Act::Include(COMMON_CHECK),
    },
    leaf!("payload", |p, c, l| {
        let v = p.req(l, 1).map(str::to_string);
        if let CheckerKind::Udp { payload, .. } = &mut c.kind {
            *payload = v;
        }
        p.extra(l, 2);
    }),
    leaf!("require_reply", |p, c, l| {
        let v = l.word(1).map(str::to_string);
        if let CheckerKind::Udp { require_reply, .. } = &mut c.kind {
            *require_reply = Some(v.unwrap_or_default());
        }
        p.extra(l, 2);
    }),
    leaf!("min_reply_length", |p, c, l| {
        let v = p.uint(l, 1, 0, 65535).map(|x| x as u16);
        if let CheckerKind::Udp {
            min_reply_length, ..
        } = &mut c.kind
        {
            *min_reply_length = v;
        }
        p.extra(l, 2);
    }),
    leaf!("max_reply_length", |p, c, l| {
        let v = p.uint(l, 1, 0, 65535).map(|x| x as u16);
        if let CheckerKind::Udp {
            max_reply_length, ..
        } = &mut c.kind
        {
            *max_reply_length = v;
        }
        p.extra(l, 2);
    }),
];

pub(crate) static FILE_CHECK: &[Kw<Checker>] = &[
    leaf!("track_file", |p, c, l| {
        if let Some(n) = p.req(l, 1) {
            let n = n.to_string();
            if !p.names.track_files.contains(&n) {
                p.error(
                    codes::UNDEFINED_REFERENCE,
                    format!("track_file `{n}` not found"),
                    l.span(1),
                    "not defined before this line",
                )
                .help = Some(
                    format!("define `track_file {n} {{ … }}` earlier in the configuration").into(),
                );
            } else if let CheckerKind::File { track_file, .. } = &mut c.kind {
                *track_file = Some(Spanned::new(n, l.span(1)));
            }
        }
        p.extra(l, 2);
    }),
    leaf!("weight", |p, c, l| {
        let w = weight_reverse(p, l, -254, 254);
        if let CheckerKind::File { weight, .. } = &mut c.kind {
            *weight = w;
        }
    }),
];

pub(crate) static BFD_CHECK: &[Kw<Checker>] = &[
    leaf!("name", |p, c, l| {
        if let Some(n) = p.req(l, 1) {
            let n = n.to_string();
            if !p.names.checker_bfds.contains(&n) {
                p.error(
                    codes::UNDEFINED_REFERENCE,
                    format!("bfd_instance `{n}` not found"),
                    l.span(1),
                    "not defined before this line",
                );
            } else if let CheckerKind::Bfd { name } = &mut c.kind {
                *name = Some(Spanned::new(n, l.span(1)));
            }
        }
        p.extra(l, 2);
    }),
    leaf!("alpha", |p, c, l| timing(
        p,
        &mut c.timing,
        l,
        TimingField::Alpha
    )),
];

/// The top-level `SSL {` block.
pub fn ssl(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    p.extra(line, 1);
    let mut s = SslSettings::default();
    p.block(SSL, &mut s);
    cfg.ssl = Some(s);
}

pub(crate) static SSL: &[Kw<SslSettings>] = &[
    leaf!("password", |p, s, l| {
        s.password = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("ca", |p, s, l| {
        s.ca = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("certificate", |p, s, l| {
        s.certificate = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
    leaf!("key", |p, s, l| {
        s.key = p.req(l, 1).map(str::to_string);
        p.extra(l, 2);
    }),
];

/// `bfd_instance NAME {`.
pub fn bfd_instance(p: &mut Parser<'_>, cfg: &mut Config, line: &Line) {
    let Some(name) = block_name(p, line) else {
        return;
    };
    if name.value.len() >= 32 {
        p.error(
            codes::INVALID_VALUE,
            "bfd_instance name is longer than 31 characters",
            name.span,
            "too long",
        );
    }
    let mut b = BfdInstance {
        name,
        neighbor_ip: None,
        source_ip: None,
        other: Vec::new(),
    };
    p.block(BFD, &mut b);
    if b.neighbor_ip.is_none() {
        p.warn(
            codes::MISSING_SETTING,
            format!("bfd_instance `{}` has no neighbor_ip", b.name.value),
            b.name.span,
            "no `neighbor_ip`",
        )
        .help = Some("add `neighbor_ip IP`; keepalived drops the instance".into());
        return;
    }
    let only = |k: &str| b.other.iter().any(|o| o.keyword == k);
    let (vrrp, checker) = (only("vrrp"), only("checker"));
    if vrrp || !checker {
        p.names.bfds.insert(b.name.value.clone());
    }
    if checker || !vrrp {
        p.names.checker_bfds.insert(b.name.value.clone());
    }
    cfg.bfd_instances.push(b);
}

pub(crate) static BFD: &[Kw<BfdInstance>] = &[
    leaf!("source_ip", |p, b, l| {
        b.source_ip = p.ip(l, 1);
        p.extra(l, 2);
    }),
    leaf!("neighbor_ip", |p, b, l| {
        b.neighbor_ip = p.ip(l, 1);
        p.extra(l, 2);
    }),
    leaf!("neighbour_ip", |p, b, l| {
        b.neighbor_ip = p.ip(l, 1);
        p.extra(l, 2);
    }),
    generic!("min_rx", Arg::U(1, 1_000_000)),
    generic!("min_tx", Arg::U(1, 1_000_000)),
    generic!("idle_tx", Arg::U(1000, 1_000_000)),
    generic!("multiplier", Arg::U(1, 255)),
    generic!("passive"),
    generic!("ttl", Arg::U(1, 255)),
    generic!("hoplimit", Arg::U(1, 255)),
    generic!("max_hops", Arg::I(-1, 255)),
    generic!("weight", Arg::I(-253, 253)),
    generic!("vrrp"),
    generic!("checker"),
];
