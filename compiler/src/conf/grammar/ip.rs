//! Entries of address, route and rule blocks (`static_*`, `virtual_*`), iproute2-like.

use std::net::IpAddr;

use kac_schema::Diagnostic;
use kac_schema::config::{Family, IpAddress, IpPrefix, Route, RouteNexthop, Rule};

use crate::codes;
use crate::conf::parser::{Line, Parser};

/// Whether an address entry is in a static or a virtual block.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AddrContext {
    /// `static_ipaddress`.
    Static,
    /// `virtual_ipaddress` / `virtual_ipaddress_excluded`.
    Virtual,
}

fn unknown_option(p: &mut Parser<'_>, line: &Line, i: usize, what: &str) {
    let w = line.w(i).to_string();
    p.report(
        Diagnostic::error(codes::INVALID_VALUE, format!("unknown {what} option `{w}`"))
            .with_primary(line.span(i), "not understood here")
            .with_help(format!(
                "keepalived ignores it; see `ip {what}` for the options keepalived supports"
            )),
    );
}

/// `track_group NAME` at word `i` of a static entry that has `current` already: the group
/// must be defined earlier in the file (keepalived: `track_group NAME not found`, a
/// configuration error; the entry is then not tracked) and named once (`… is a duplicate`; the
/// first one stays). Returns the name to keep.
fn track_group_ref(
    p: &mut Parser<'_>,
    line: &Line,
    i: usize,
    current: Option<&str>,
) -> Option<String> {
    let name = p.req(line, i)?.to_string();
    if let Some(first) = current {
        p.report(
            Diagnostic::error(
                codes::DUPLICATE,
                format!("track_group {name} is a duplicate"),
            )
            .with_primary(line.span(i), format!("already tracked by `{first}`"))
            .with_help("name one `track_group` per entry; keepalived keeps the first"),
        );
        return None;
    }
    if !p.names.track_groups.contains(&name) {
        p.report(
            Diagnostic::error(
                codes::UNDEFINED_REFERENCE,
                format!("track_group {name} not found"),
            )
            .with_primary(line.span(i), format!("no `track_group {name}` is defined before this line"))
            .with_help(format!(
                "keepalived resolves names in file order: define `track_group {name} {{ group {{ VI… }} }}` earlier, or fix the name"
            )),
        );
        return None;
    }
    Some(name)
}

/// Parses one address entry. `None` when keepalived would skip it.
pub fn parse_address(p: &mut Parser<'_>, line: &Line, ctx: AddrContext) -> Option<IpAddress> {
    let w0 = line.w(0).to_string();
    let addr = match parse_prefix_word(&w0) {
        Some(Ok(a)) => a,
        Some(Err(max)) => {
            p.report(
                Diagnostic::error(
                    codes::OUT_OF_RANGE,
                    format!("invalid prefix length in `{w0}`"),
                )
                .with_primary(line.span(0), format!("prefix length must be 0 to {max}"))
                .with_help(format!("keepalived uses /{max} instead")),
            );
            let a: IpAddr = w0.split('/').next().unwrap_or("").parse().ok()?;
            IpPrefix {
                addr: a,
                len: Some(max),
            }
        }
        None => {
            p.report(
                Diagnostic::error(codes::INVALID_ADDRESS, format!("invalid IP address `{w0}`"))
                    .with_primary(line.span(0), "not an address")
                    .with_help("keepalived skips this entry"),
            );
            return None;
        }
    };
    let mut a = IpAddress {
        addr,
        dev: None,
        scope: None,
        broadcast: None,
        label: None,
        peer: None,
        flags: Vec::new(),
        preferred_lft: None,
        track_group: None,
        span: line.line_span(),
    };
    let v6 = addr.addr.is_ipv6();
    let mut i = 1;
    while i < line.len() {
        let kw = line.w(i);
        match kw {
            "dev" => {
                a.dev = p.req(line, i + 1).map(str::to_string);
                if let Some(d) = a.dev.clone() {
                    check_interface(p, line, i + 1, &d);
                }
                i += 2;
            }
            "scope" => {
                a.scope = p.req(line, i + 1).map(str::to_string);
                if let Some(s) = a.scope.clone() {
                    if !valid_scope(&s) {
                        p.error(
                            codes::INVALID_VALUE,
                            format!("invalid scope `{s}`"),
                            line.span(i + 1),
                            "not a scope",
                        );
                    } else if v6 {
                        p.warn(
                            codes::WARNING,
                            "`scope` is ignored for IPv6 addresses",
                            line.span(i),
                            "ignored",
                        );
                    }
                }
                i += 2;
            }
            "brd" | "broadcast" => {
                let b = p.req(line, i + 1).map(str::to_string);
                if let Some(b) = &b
                    && b != "+"
                    && b != "-"
                    && b.parse::<IpAddr>().is_err()
                {
                    p.error(
                        codes::INVALID_ADDRESS,
                        format!("invalid broadcast `{b}`"),
                        line.span(i + 1),
                        "expected an address, `+` or `-`",
                    );
                }
                a.broadcast = b;
                i += 2;
            }
            "label" => {
                if let Some(l) = p.req(line, i + 1) {
                    if v6 {
                        p.warn(
                            codes::WARNING,
                            "`label` is ignored for IPv6 addresses",
                            line.span(i),
                            "ignored",
                        );
                    } else if l.len() >= 16 {
                        p.error(
                            codes::INVALID_VALUE,
                            "label is longer than 15 characters",
                            line.span(i + 1),
                            "too long",
                        );
                    } else {
                        a.label = Some(l.to_string());
                    }
                }
                i += 2;
            }
            "peer" => {
                a.peer = p
                    .req(line, i + 1)
                    .and_then(parse_prefix_word)
                    .and_then(Result::ok);
                if a.peer.is_none() && line.word(i + 1).is_some() {
                    let w = line.w(i + 1).to_string();
                    p.error(
                        codes::INVALID_ADDRESS,
                        format!("invalid peer address `{w}`"),
                        line.span(i + 1),
                        "not an address",
                    );
                }
                i += 2;
            }
            "home" | "-nodad" | "mngtmpaddr" | "noprefixroute" | "autojoin" | "no_track" => {
                a.flags.push(kw.to_string());
                i += 1;
            }
            "use_vmac" if ctx == AddrContext::Virtual => {
                a.flags.push(kw.to_string());
                i += 1;
            }
            "preferred_lft" => {
                if let Some(v) = p.req(line, i + 1) {
                    if v != "forever" && v.parse::<u32>().is_err() {
                        let v = v.to_string();
                        p.error(
                            codes::INVALID_NUMBER,
                            format!("invalid preferred_lft `{v}`"),
                            line.span(i + 1),
                            "expected seconds or `forever`",
                        );
                    } else {
                        a.preferred_lft = Some(v.to_string());
                    }
                }
                i += 2;
            }
            "track_group" if ctx == AddrContext::Static => {
                if let Some(g) = track_group_ref(p, line, i + 1, a.track_group.as_deref()) {
                    a.track_group = Some(g);
                }
                i += 2;
            }
            _ => {
                unknown_option(p, line, i, "address");
                i += 1;
            }
        }
    }
    if a.track_group.is_some() && a.flags.iter().any(|f| f == "no_track") {
        untracked_group(p, line, "address");
    }
    Some(a)
}

/// keepalived does not track a static entry with both `track_group` and `no_track` (it only
/// logs `Static … has both track_group and no_track set - not tracking`: advice).
fn untracked_group(p: &mut Parser<'_>, line: &Line, what: &str) {
    p.report(
        Diagnostic::new(
            codes::CONFLICT,
            kac_schema::Severity::Advice,
            format!("static {what} has both track_group and no_track set - not tracking"),
        )
        .with_primary(
            line.line_span(),
            "the track group's instances ignore this entry",
        )
        .with_help("remove `no_track` for the group to follow the entry, or remove `track_group`"),
    );
}

/// Checks an interface name against the machine's list when `check` knows it.
pub fn check_interface(p: &mut Parser<'_>, line: &Line, i: usize, name: &str) {
    let missing = match &p.interfaces {
        Some(list) => !list.iter().any(|n| n == name),
        None => false,
    };
    if missing && !p.dynamic_interfaces {
        p.report(
            Diagnostic::error(
                codes::MISSING_INTERFACE,
                format!("interface `{name}` does not exist on this host"),
            )
            .with_primary(line.span(i), "no such interface")
            .with_help("create it first, fix the name, or set `dynamic_interfaces` in global_defs"),
        );
    }
}

fn valid_scope(s: &str) -> bool {
    matches!(
        s,
        "host" | "link" | "global" | "site" | "nowhere" | "universe"
    ) || s.parse::<u8>().is_ok()
}

/// `a.b.c.d[/len]`: `None` when not an address, `Err(max)` when the prefix is too long.
pub fn parse_prefix_word(w: &str) -> Option<Result<IpPrefix, u8>> {
    let (a, l) = match w.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (w, None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    match l {
        None => Some(Ok(IpPrefix { addr, len: None })),
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max => Some(Ok(IpPrefix { addr, len: Some(n) })),
            Ok(_) => Some(Err(max)),
            Err(_) => None,
        },
    }
}

const ROUTE_TYPES: &[&str] = &[
    "unicast",
    "local",
    "broadcast",
    "brd",
    "anycast",
    "multicast",
    "blackhole",
    "unreachable",
    "prohibit",
    "throw",
    "nat",
    "xresolve",
];

/// Route options that take one argument and are kept as written.
const ROUTE_ONE_ARG: &[&str] = &["tos", "dsfield", "pref"];

/// Route metrics: `NAME [lock] VALUE`.
const ROUTE_METRICS: &[&str] = &[
    "mtu",
    "congctl",
    "advmss",
    "rtt",
    "rttvar",
    "reordering",
    "window",
    "cwnd",
    "ssthresh",
    "rto_min",
    "initcwnd",
    "initrwnd",
    "hoplimit",
    "features",
    "quickack",
    "fastopen_no_cookie",
];

/// The metrics keepalived lets lock (for the others, `lock` is read as the value).
const ROUTE_LOCKABLE: &[&str] = &[
    "mtu",
    "congctl",
    "advmss",
    "rtt",
    "rttvar",
    "reordering",
    "cwnd",
    "ssthresh",
    "rto_min",
];

/// The kernel unit of a time metric, in steps per millisecond (`rtt` is kept in 1/8 ms,
/// `rttvar` in 1/4 ms, `rto_min` in ms); `None` for the other metrics.
pub fn time_metric_unit(name: &str) -> Option<u32> {
    match name {
        "rtt" => Some(8),
        "rttvar" => Some(4),
        "rto_min" => Some(1),
        _ => None,
    }
}

/// The shortest and longest time keepalived lets a time metric have (ms): TCP's own bounds
/// on the retransmission timeout.
const ROUTE_TIME_MS: (u32, u32) = (200, 120_000);

/// A time metric's value as keepalived reads it: a plain number is in the kernel's unit
/// (`unit` steps per ms, see [`time_metric_unit`]); `ms`/`msec`/`msecs` and `s`/`sec`/`secs`
/// (up to three decimals) are converted. keepalived then brings it within 200 ms..120 s
/// (the second value: whether it did). `Err` says what is wrong with the word.
pub fn route_time(word: &str, unit: u32) -> Result<(u32, bool), String> {
    let lower = word.to_ascii_lowercase();
    // (digits, decimals allowed, whether a unit was given; milliseconds are read in
    // thousandths when seconds are given).
    let (number, decimals, with_unit) = if let Some(n) = ["msecs", "msec", "ms"]
        .iter()
        .find_map(|u| lower.strip_suffix(u))
    {
        (n, 0usize, true)
    } else if let Some(n) = ["secs", "sec", "s"]
        .iter()
        .find_map(|u| lower.strip_suffix(u))
    {
        (n, 3, true)
    } else if lower.contains('s') {
        return Err(format!("`{word}` has an unknown unit (use ms or s)"));
    } else {
        (lower.as_str(), 0, false)
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(format!("`{word}` is not a time"));
    }
    if frac.len() > decimals {
        return Err(format!("`{word}` has too many decimal places"));
    }
    let whole: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| format!("`{word}` is too large"))?
    };
    let part: u64 = if decimals == 0 {
        0
    } else {
        format!("{frac:0<decimals$}").parse().unwrap_or(0)
    };
    let read = whole
        .saturating_mul(10u64.pow(decimals as u32))
        .saturating_add(part);
    let (lo, hi) = (
        u64::from(ROUTE_TIME_MS.0 * unit),
        u64::from(ROUTE_TIME_MS.1 * unit),
    );
    let value = if with_unit {
        // Milliseconds (seconds were read in thousandths) in the kernel's unit.
        read.saturating_mul(u64::from(unit))
    } else if read > hi {
        return Err(format!(
            "`{word}` is more than 120 s ({hi} in the kernel's unit)"
        ));
    } else {
        read
    };
    let clamped = value.clamp(lo, hi);
    Ok((clamped as u32, clamped != value))
}

/// Checks a route metric's value as keepalived does; reports what it rejects.
fn check_metric(p: &mut Parser<'_>, line: &Line, i: usize, name: &str) -> bool {
    let w = line.w(i).to_string();
    if let Some(unit) = time_metric_unit(name) {
        return match route_time(&w, unit) {
            Ok((_, false)) => true,
            Ok((v, true)) => {
                p.report(
                    Diagnostic::new(
                        codes::CORRECTED_VALUE,
                        kac_schema::Severity::Advice,
                        format!("`{name} {w}` is outside 200 ms..120 s"),
                    )
                    .with_primary(line.span(i), format!("keepalived uses {v} (kernel units)"))
                    .with_help("TCP keeps its timers between 200 ms and 120 s"),
                );
                true
            }
            Err(e) => {
                p.error(
                    codes::INVALID_NUMBER,
                    format!("invalid {name}: {e}"),
                    line.span(i),
                    "not a time",
                )
                .help = Some(format!(
                    "write a number of milliseconds (`{name} 300ms`), seconds (`{name} 1.5s`) or kernel units"
                ).into());
                false
            }
        };
    }
    match name {
        "congctl" => true,
        "features" => {
            if w == "ecn" {
                true
            } else {
                p.warn(
                    codes::INVALID_VALUE,
                    format!("route feature `{w}` is not supported"),
                    line.span(i),
                    "expected `ecn`",
                )
                .help = Some("keepalived keeps the route without it".into());
                false
            }
        }
        "hoplimit" => p.uint(line, i, 0, 255).is_some(),
        "quickack" | "fastopen_no_cookie" => p.uint(line, i, 0, 1).is_some(),
        _ => p.uint(line, i, 0, u64::from(u32::MAX)).is_some(),
    }
}

/// A DS field or realm value as keepalived reads them (`find_rttables_dsfield`,
/// `find_rttables_realms`): a number (decimal or `0x` hex) up to 255, or a name from
/// `/etc/iproute2/rt_dsfield` or `rt_realms` (not checked here).
fn byte_or_name(w: &str) -> bool {
    match w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        Some(h) => u8::from_str_radix(h, 16).is_ok(),
        None => {
            w.parse::<u8>().is_ok()
                || (w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        }
    }
}

/// A `realms [FROM/]TO` value as keepalived reads it ([`byte_or_name`] each).
pub fn realm_ok(w: &str) -> bool {
    match w.split_once('/') {
        Some((a, b)) => byte_or_name(a) && byte_or_name(b),
        None => byte_or_name(w),
    }
}

/// MPLS labels `L[/L]` (keepalived takes at most two, each below 2^20).
pub fn mpls_labels(w: &str) -> Option<Vec<u32>> {
    let labels: Vec<u32> = w
        .split('/')
        .map(|l| l.parse::<u32>().ok().filter(|v| *v < 1 << 20))
        .collect::<Option<_>>()?;
    (!labels.is_empty() && labels.len() <= 2).then_some(labels)
}

/// An ILA locator: four 16-bit hex groups (`2001:db8:1:2`).
pub fn ila_locator(w: &str) -> Option<u64> {
    let groups: Vec<&str> = w.split(':').collect();
    if groups.len() != 4 {
        return None;
    }
    groups.iter().try_fold(0u64, |acc, g| {
        (!g.is_empty() && g.len() <= 4)
            .then(|| u16::from_str_radix(g, 16).ok())
            .flatten()
            .map(|v| (acc << 16) | u64::from(v))
    })
}

/// Parses `encap TYPE …` from word `i` (the `encap`); returns the option as written and the
/// index of the first word after it. keepalived reports a bad encapsulation and keeps the
/// route without it: warnings.
fn parse_encap(p: &mut Parser<'_>, line: &Line, i: usize) -> (Option<String>, usize) {
    let Some(kind) = p.req(line, i + 1).map(str::to_string) else {
        return (None, line.len());
    };
    let mut words = vec!["encap".to_string(), kind.clone()];
    let mut j = i + 2;
    let bad = |p: &mut Parser<'_>, at: usize, msg: String, label: &'static str| {
        p.warn(codes::INVALID_VALUE, msg, line.span(at), label).help =
            Some("keepalived keeps the route without the encapsulation".into());
    };
    match kind.as_str() {
        "mpls" | "ila" => {
            let Some(w) = p.req(line, j).map(str::to_string) else {
                return (None, line.len());
            };
            let ok = if kind == "mpls" {
                mpls_labels(&w).is_some()
            } else {
                ila_locator(&w).is_some()
            };
            if !ok {
                let label = if kind == "mpls" {
                    "expected an MPLS label stack (`100` or `100/200`: at most two labels below 1048576)"
                } else {
                    "expected an ILA locator (four hex groups, `2001:db8:1:2`)"
                };
                bad(p, j, format!("invalid {kind} encapsulation `{w}`"), label);
                return (None, j + 1);
            }
            words.push(w);
            j += 1;
        }
        "ip" | "ip6" => {
            let v6 = kind == "ip6";
            let family = if v6 { "IPv6" } else { "IPv4" };
            let (dscp_key, hop_key) = if v6 {
                ("tc", "hoplimit")
            } else {
                ("tos", "ttl")
            };
            let mut has_target = false;
            let mut ok = true;
            while j + 1 < line.len() {
                let key = line.w(j).to_string();
                let v = line.w(j + 1).to_string();
                let problem = match key.as_str() {
                    "id" => v.parse::<u64>().err().map(|_| "expected a decimal number"),
                    "dst" | "src" => match v.parse::<IpAddr>() {
                        Ok(a) if a.is_ipv6() == v6 => None,
                        Ok(_) if v6 => Some("expected an IPv6 address"),
                        Ok(_) => Some("expected an IPv4 address"),
                        Err(_) => Some("not an address"),
                    },
                    k if k == dscp_key => {
                        (!byte_or_name(&v)).then_some("expected a number up to 255 or a name")
                    }
                    k if k == hop_key => v.parse::<u8>().err().map(|_| "expected 0 to 255"),
                    "flags" => v.parse::<u16>().err().map(|_| "expected 0 to 65535"),
                    _ => break,
                };
                match problem {
                    None => {
                        has_target |= matches!(key.as_str(), "id" | "dst");
                        words.push(key);
                        words.push(v);
                    }
                    Some(label) => {
                        bad(
                            p,
                            j + 1,
                            format!("invalid `{key}` of an {family} encapsulation: `{v}`"),
                            label,
                        );
                        ok = false;
                    }
                }
                j += 2;
            }
            if !ok {
                return (None, j);
            }
            if !has_target {
                p.warn(
                    codes::MISSING_SETTING,
                    format!("`encap {kind}` needs `dst` or `id`"),
                    line.span_from(i),
                    "no destination and no tunnel id",
                )
                .help = Some("keepalived keeps the route without the encapsulation".into());
                return (None, j);
            }
        }
        other => {
            let other = other.to_string();
            p.warn(
                codes::INVALID_VALUE,
                format!("unknown encap type `{other}`"),
                line.span(i + 1),
                "not supported by keepalived",
            )
            .help = Some("keepalived supports `mpls`, `ip`, `ip6` and `ila`".into());
            return (None, j);
        }
    }
    (Some(words.join(" ")), j)
}

/// Parses one route entry.
pub fn parse_route(p: &mut Parser<'_>, line: &Line, is_static: bool) -> Option<Route> {
    let mut i = 0;
    let mut kind = None;
    if ROUTE_TYPES.contains(&line.w(0)) {
        kind = Some(line.w(0).to_string());
        i += 1;
    }
    if line.w(i) == "to" {
        i += 1;
    }
    let dest_word = p.req(line, i)?.to_string();
    let dest = match dest_word.as_str() {
        "default" => None,
        _ => match parse_prefix_word(&dest_word) {
            Some(Ok(d)) => Some(d),
            _ => {
                p.error(
                    codes::INVALID_ADDRESS,
                    format!("invalid route destination `{dest_word}`"),
                    line.span(i),
                    "not an address or prefix",
                );
                return None;
            }
        },
    };
    i += 1;
    let mut r = Route {
        kind,
        dest: dest.unwrap_or(IpPrefix {
            addr: IpAddr::from([0, 0, 0, 0]),
            len: Some(0),
        }),
        src: None,
        from: None,
        via: None,
        dev: None,
        table: None,
        metric: None,
        protocol: None,
        scope: None,
        no_track: false,
        track_group: None,
        nexthops: Vec::new(),
        options: Vec::new(),
        span: line.line_span(),
    };
    let mut via_at: Option<usize> = None;
    while i < line.len() {
        let kw = line.w(i);
        match kw {
            // keepalived reads a word after `inet`/`inet6` here (a quirk: the word is lost).
            "inet" | "inet6" => i += 2,
            "src" => {
                r.src = p.ip(line, i + 1);
                i += 2;
            }
            "from" => {
                r.from = p.prefix(line, i + 1);
                i += 2;
            }
            "via" | "gw" => {
                via_at = Some(i);
                if kw == "gw" {
                    let d = p.warn(
                        codes::DEPRECATED,
                        "`gw` is deprecated",
                        line.span(i),
                        "deprecated",
                    );
                    d.help = Some("use `via`".into());
                    d.fix = crate::deprecated::rename_fix("gw", line.span(i));
                }
                let mut j = i + 1;
                if matches!(line.w(j), "inet" | "inet6") {
                    j += 1;
                }
                r.via = p.ip(line, j);
                i = j + 1;
            }
            "or" => {
                let d = p.warn(
                    codes::DEPRECATED,
                    "`or` is deprecated",
                    line.span(i),
                    "deprecated",
                );
                d.help = Some("use `nexthop via A nexthop via B`".into());
                // keepalived turns `via A or B` into two next hops, A then B; a `dev` after
                // them then belongs to the last next hop, not the route: not the same.
                if let Some(v) = via_at {
                    d.fix = Some(kac_schema::Fix::unsafe_(
                        "write the next hops as `nexthop via A nexthop via B`",
                        vec![
                            kac_schema::Edit::replace(line.span(v), line.w(v), "nexthop via"),
                            kac_schema::Edit::replace(line.span(i), "or", "nexthop via"),
                        ],
                    ));
                }
                i += 2;
            }
            "dev" | "oif" => {
                r.dev = p.req(line, i + 1).map(str::to_string);
                if let Some(d) = r.dev.clone() {
                    check_interface(p, line, i + 1, &d);
                }
                i += 2;
            }
            "onlink" | "add" | "prepend" | "append" => {
                r.options.push(kw.to_string());
                i += 1;
            }
            "no_track" => {
                r.no_track = true;
                i += 1;
            }
            "table" => {
                r.table = p.req(line, i + 1).map(str::to_string);
                i += 2;
            }
            "protocol" | "proto" => {
                r.protocol = p.req(line, i + 1).map(str::to_string);
                i += 2;
            }
            "scope" => {
                r.scope = p.req(line, i + 1).map(str::to_string);
                i += 2;
            }
            "metric" | "priority" | "preference" => {
                r.metric = p
                    .uint(line, i + 1, 0, u64::from(u32::MAX))
                    .map(|v| v as u32);
                i += 2;
            }
            _ if ROUTE_METRICS.contains(&kw) => {
                let mut j = i + 1;
                let lock = line.w(j) == "lock";
                if lock {
                    if !ROUTE_LOCKABLE.contains(&kw) {
                        p.error(
                            codes::INVALID_VALUE,
                            format!("`{kw}` cannot be locked"),
                            line.span(j),
                            "keepalived reads `lock` as the value",
                        )
                        .help = Some(
                            format!(
                                "remove `lock`; keepalived locks {}",
                                ROUTE_LOCKABLE.join(", ")
                            )
                            .into(),
                        );
                        i = j + 2;
                        continue;
                    }
                    j += 1;
                }
                if p.req(line, j).is_some() && check_metric(p, line, j, kw) {
                    let v = line.w(j);
                    r.options.push(if lock {
                        format!("{kw} lock {v}")
                    } else {
                        format!("{kw} {v}")
                    });
                }
                i = j + 1;
            }
            "realms" => {
                if let Some(v) = p.req(line, i + 1) {
                    if realm_ok(v) {
                        r.options.push(format!("realms {v}"));
                    } else {
                        let v = v.to_string();
                        p.error(
                            codes::INVALID_VALUE,
                            format!("invalid realms `{v}`"),
                            line.span(i + 1),
                            "expected [FROM/]TO, numbers up to 255 or rt_realms names",
                        );
                    }
                }
                i += 2;
            }
            "expires" => {
                if let Some(v) = p.uint(line, i + 1, 0, u64::from(u32::MAX)) {
                    r.options.push(format!("expires {v}"));
                }
                i += 2;
            }
            "ttl-propagate" => {
                if let Some(v) = p.req(line, i + 1) {
                    if matches!(v, "enabled" | "disabled") {
                        r.options.push(format!("ttl-propagate {v}"));
                    } else {
                        let v = v.to_string();
                        p.warn(
                            codes::INVALID_VALUE,
                            format!("invalid ttl-propagate `{v}`"),
                            line.span(i + 1),
                            "expected `enabled` or `disabled`",
                        )
                        .help = Some("keepalived takes it as `disabled`".into());
                        r.options.push("ttl-propagate disabled".into());
                    }
                }
                i += 2;
            }
            "vrf" => {
                if let Some(v) = p.req(line, i + 1) {
                    r.options.push(format!("vrf {v}"));
                }
                i += 2;
            }
            "track_group" if is_static => {
                if let Some(g) = track_group_ref(p, line, i + 1, r.track_group.as_deref()) {
                    r.track_group = Some(g);
                }
                i += 2;
            }
            "as" => {
                let j = if line.w(i + 1) == "to" { i + 2 } else { i + 1 };
                p.req(line, j);
                p.warn(
                    codes::CONFLICT,
                    "`as` (MPLS) is only valid for MPLS routes",
                    line.span(i),
                    "not an MPLS route",
                )
                .help = Some("remove `as`; keepalived ignores it for IP routes".into());
                i = j + 1;
            }
            "encap" => {
                let (encap, next) = parse_encap(p, line, i);
                r.options.extend(encap);
                i = next;
            }
            "nexthop" => {
                let mut j = i + 1;
                let mut nh = RouteNexthop::default();
                while j < line.len() && line.w(j) != "nexthop" {
                    match line.w(j) {
                        "via" => {
                            nh.via = p.ip(line, j + 1);
                            j += 2;
                        }
                        "dev" => {
                            nh.dev = p.req(line, j + 1).map(str::to_string);
                            if let Some(d) = nh.dev.clone() {
                                check_interface(p, line, j + 1, &d);
                            }
                            j += 2;
                        }
                        "weight" => {
                            nh.weight = p.uint(line, j + 1, 1, 256).map(|v| v as u16);
                            j += 2;
                        }
                        "onlink" => {
                            nh.onlink = true;
                            j += 1;
                        }
                        _ => {
                            unknown_option(p, line, j, "route nexthop");
                            j += 1;
                        }
                    }
                }
                r.nexthops.push(nh);
                i = j;
            }
            _ if ROUTE_ONE_ARG.contains(&kw) => {
                if let Some(v) = p.req(line, i + 1) {
                    r.options.push(format!("{kw} {v}"));
                }
                i += 2;
            }
            _ => {
                unknown_option(p, line, i, "route");
                i += 1;
            }
        }
    }
    if dest.is_none()
        && dest_word == "default"
        && (r.via.is_some_and(|v| v.is_ipv6()) || r.src.is_some_and(|v| v.is_ipv6()))
    {
        r.dest = IpPrefix {
            addr: IpAddr::from([0u16; 8]),
            len: Some(0),
        };
    }
    if let Some(pos) = r.options.iter().position(|o| o.starts_with("expires "))
        && !r.dest.addr.is_ipv6()
    {
        let _ = pos;
        p.warn(
            codes::CONFLICT,
            "`expires` is only valid for IPv6 routes",
            line.line_span(),
            "IPv4 route",
        )
        .help = Some("remove `expires`".into());
    }
    if r.options.iter().any(|o| o.starts_with("realms ")) && r.dest.addr.is_ipv6() {
        p.warn(
            codes::CONFLICT,
            "`realms` is only valid for IPv4 routes",
            line.line_span(),
            "IPv6 route",
        )
        .help = Some("remove `realms`".into());
    }
    if let Some(v) = r.options.iter().find_map(|o| o.strip_prefix("vrf ")) {
        let is_vrf = p.vrfs.as_ref().is_none_or(|l| l.iter().any(|x| x == v));
        if !is_vrf {
            let v = v.to_string();
            p.warn(
                codes::MISSING_INTERFACE,
                format!("route VRF `{v}` is not a VRF"),
                line.line_span(),
                "not a VRF device",
            )
            .help =
                Some("create the VRF (`ip link add NAME type vrf table N`) or fix the name".into());
        }
    }
    if !r.no_track
        && r.protocol
            .as_deref()
            .is_some_and(|pr| pr != "keepalived" && pr != "18")
    {
        p.warn(
            codes::CONFLICT,
            "a tracked route must have protocol keepalived",
            line.line_span(),
            "`protocol` on a tracked route",
        )
        .help = Some("add `no_track`, or remove `protocol` (keepalived resets it to 18)".into());
    }
    let has_dev = r.dev.is_some() || r.nexthops.iter().any(|n| n.dev.is_some());
    if !r.no_track && !has_dev {
        p.report(
            Diagnostic::warning(
                codes::WARNING,
                format!("cannot track route {dest_word} with no interface"),
            )
            .with_primary(line.line_span(), "no `dev`")
            .with_help("add `dev IF`, or `no_track` if the route must not follow an interface"),
        );
    }
    if r.no_track && r.track_group.is_some() {
        untracked_group(p, line, "route");
    }
    Some(r)
}

/// Parses one rule entry.
pub fn parse_rule(p: &mut Parser<'_>, line: &Line, is_static: bool) -> Option<Rule> {
    let mut r = Rule {
        from: None,
        to: None,
        table: None,
        preference: None,
        action: None,
        options: Vec::new(),
        family: None,
        span: line.line_span(),
    };
    let mut i = 0;
    while i < line.len() {
        let kw = line.w(i);
        match kw {
            "not" | "l3mdev" | "nop" | "no_track" => {
                if kw == "l3mdev" || kw == "nop" {
                    r.action = Some(kw.to_string());
                }
                r.options.push(kw.to_string());
                i += 1;
            }
            // keepalived reads a word after `inet`/`inet6` (a quirk: that word is lost).
            "inet" => {
                r.family = Some(Family::Inet);
                i += 2;
            }
            "inet6" => {
                r.family = Some(Family::Inet6);
                i += 2;
            }
            "from" | "to" => {
                let v = if line.w(i + 1) == "all" {
                    None
                } else {
                    p.prefix(line, i + 1)
                };
                if kw == "from" {
                    r.from = v
                } else {
                    r.to = v
                }
                i += 2;
            }
            "table" | "lookup" => {
                if let Some(t) = p.req(line, i + 1) {
                    if t == "0" {
                        p.error(
                            codes::INVALID_VALUE,
                            "table 0 is not a valid rule table",
                            line.span(i + 1),
                            "invalid table",
                        );
                    }
                    r.table = Some(t.to_string());
                }
                i += 2;
            }
            "preference" | "order" | "priority" | "pref" => {
                r.preference = p
                    .uint(line, i + 1, 0, u64::from(u32::MAX))
                    .map(|v| v as u32);
                i += 2;
            }
            "goto" => {
                if let Some(v) = p.uint(line, i + 1, 0, u64::from(u32::MAX)) {
                    r.action = Some(format!("goto {v}"));
                }
                i += 2;
            }
            "type" => {
                if let Some(t) = p.choice(line, i + 1, &["blackhole", "prohibit", "unreachable"]) {
                    r.action = Some(t.to_string());
                }
                i += 2;
            }
            "blackhole" | "prohibit" | "unreachable" => {
                r.action = Some(kw.to_string());
                i += 1;
            }
            "track_group" if !is_static => {
                unknown_option(p, line, i, "rule");
                i += 1;
            }
            "track_group" => {
                let current = r
                    .options
                    .iter()
                    .find_map(|o| o.strip_prefix("track_group "))
                    .map(str::to_string);
                if let Some(g) = track_group_ref(p, line, i + 1, current.as_deref()) {
                    r.options.push(format!("track_group {g}"));
                }
                i += 2;
            }
            "tos"
            | "dsfield"
            | "fwmark"
            | "realms"
            | "suppress_prefixlength"
            | "sup_pl"
            | "suppress_ifgroup"
            | "sup_group"
            | "dev"
            | "iif"
            | "oif"
            | "tunnel-id"
            | "uidrange"
            | "protocol"
            | "ipproto"
            | "sport"
            | "dport" => {
                if let Some(v) = p.req(line, i + 1) {
                    if matches!(kw, "sport" | "dport")
                        && !v.split_once('-').is_some_and(|(a, b)| {
                            a.parse::<u16>().is_ok() && b.parse::<u16>().is_ok()
                        })
                    {
                        let v = v.to_string();
                        p.warn(
                            codes::INVALID_VALUE,
                            format!("invalid {kw} range `{v}`"),
                            line.span(i + 1),
                            "expected FIRST-LAST",
                        )
                        .help =
                            Some(format!("keepalived needs a range: write `{kw} {v}-{v}`").into());
                    }
                    r.options.push(format!("{kw} {v}"));
                }
                if matches!(kw, "dev" | "iif" | "oif")
                    && let Some(d) = line.word(i + 1)
                {
                    let d = d.to_string();
                    check_interface(p, line, i + 1, &d);
                }
                i += 2;
            }
            _ => {
                unknown_option(p, line, i, "rule");
                i += 1;
            }
        }
    }
    let has = |k: &str| {
        r.options
            .iter()
            .any(|o| o == k || o.starts_with(&format!("{k} ")))
    };
    if !has("no_track")
        && r.options.iter().any(|o| {
            o.strip_prefix("protocol ")
                .is_some_and(|p| p != "keepalived" && p != "18")
        })
    {
        p.warn(
            codes::CONFLICT,
            "a tracked rule must have protocol keepalived",
            line.line_span(),
            "`protocol` on a tracked rule",
        )
        .help = Some("add `no_track`, or remove `protocol`".into());
    }
    if has("track_group") && has("no_track") {
        untracked_group(p, line, "rule");
    }
    if is_static && has("track_group") && !has("dev") && !has("iif") {
        p.warn(
            codes::CONFLICT,
            "a static rule with `track_group` needs `dev` or `iif`",
            line.line_span(),
            "no interface to track",
        )
        .help = Some("add `iif IF`, or remove `track_group`".into());
    }
    if r.table.is_none() && r.action.is_none() {
        p.error(
            codes::MISSING_SETTING,
            "rule has no action",
            line.line_span(),
            "no `table`, `goto`, `nop` or `type`",
        );
    }
    if r.preference.is_none() {
        p.report(
            Diagnostic::warning(codes::WARNING, "rule has no preference")
                .with_primary(line.line_span(), "no `preference`")
                .with_help("keepalived picks 16384 (then 16383, …), which is probably not what you want: set `preference N`"),
        );
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_times_read_as_keepalived_reads_them() {
        // rtt is kept in 1/8 ms.
        assert_eq!(route_time("2s", 8), Ok((16_000, false)));
        assert_eq!(route_time("1.5s", 8), Ok((12_000, false)));
        assert_eq!(route_time("300ms", 8), Ok((2_400, false)));
        assert_eq!(route_time("250MSEC", 1), Ok((250, false)));
        // A plain number is in the kernel's unit.
        assert_eq!(route_time("2400", 8), Ok((2_400, false)));
        // Kept between 200 ms and 120 s.
        assert_eq!(route_time("100ms", 8), Ok((1_600, true)));
        assert_eq!(route_time("300s", 4), Ok((480_000, true)));
        assert!(route_time("960001", 8).is_err());
        for bad in ["2m", "1e3", "0x10", "1.2345s", "100.5ms", "", "s", "-1"] {
            assert!(route_time(bad, 8).is_err(), "{bad}");
        }
    }

    #[test]
    fn mpls_labels_and_ila_locators() {
        assert_eq!(mpls_labels("100/200"), Some(vec![100, 200]));
        assert_eq!(mpls_labels("1/2/3"), None);
        assert_eq!(mpls_labels("1048576"), None);
        assert_eq!(ila_locator("2001:db8:1:2"), Some(0x2001_0db8_0001_0002));
        assert_eq!(ila_locator("1:2:3"), None);
        assert!(realm_ok("3/4") && realm_ok("0x10") && realm_ok("cosmos"));
        assert!(!realm_ok("256") && !realm_ok("3/256"));
    }
}
