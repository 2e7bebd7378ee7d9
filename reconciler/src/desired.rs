//! The desired kernel state: the part of a [`Plan`] that `kac apply` converges (static
//! addresses, static routes, static rules, IPVS services with their real servers at their
//! configured weights, `lvs_timeouts`, `lvs_flush`), translated from keepalived's vocabulary
//! into kernel numbers.
//!
//! VIPs, virtual routes and rules and VMAC links belong to the VRRP engine; the conversions
//! ([`address`], [`route`], [`rule`], [`MacvlanLink::vmac`]) are public so that it can add
//! them to a [`Desired`] of its own.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use kac_schema::plan::{
    Plan, PlanAddress, PlanRealServer, PlanRoute, PlanRule, PlanVirtualServer, PlanVsKey,
};

use crate::model::*;
use crate::names::Names;

/// The desired state of the objects kac manages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Desired {
    /// Addresses by key.
    pub addresses: BTreeMap<AddressKey, Address>,
    /// Routes by key.
    pub routes: BTreeMap<RouteKey, Route>,
    /// Rules by [`Rule::key`].
    pub rules: BTreeMap<Rule, Rule>,
    /// macvlan (VMAC) links by name.
    pub links: BTreeMap<String, MacvlanLink>,
    /// IPVS services by key.
    pub services: BTreeMap<ServiceKey, Service>,
    /// IPVS connection timeouts.
    pub timeouts: IpvsTimeouts,
    /// `lvs_flush`: every IPVS service on the host is kac's (services kac does not want are
    /// removed, whoever made them).
    pub ipvs_take_over: bool,
}

/// Why part of a plan cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{item}: {reason}")]
pub struct DesiredError {
    /// The plan item (`route 10.0.0.0/8 via 192.0.2.1`).
    pub item: String,
    /// What is wrong.
    pub reason: String,
}

/// All the reasons a plan cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the plan cannot be applied:\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
pub struct DesiredErrors(pub Vec<DesiredError>);

impl Desired {
    /// The part of `plan` that `kac apply` owns.
    pub fn from_plan(plan: &Plan, names: &Names) -> Result<Desired, DesiredErrors> {
        let mut d = Desired::default();
        let mut errors = Vec::new();
        for a in &plan.static_addresses {
            match address(a) {
                Ok(x) => d.insert_address(x, &mut errors),
                Err(reason) => errors.push(DesiredError {
                    item: plan_address_text(a),
                    reason,
                }),
            }
        }
        for r in &plan.static_routes {
            match route(r, names) {
                Ok(x) => {
                    if let Some(old) = d.routes.get(&x.key)
                        && old != &x
                    {
                        errors.push(DesiredError {
                            item: x.to_string(),
                            reason: format!(
                                "conflicts with `{old}` (same table, destination, tos and metric)"
                            ),
                        });
                    }
                    d.routes.insert(x.key.clone(), x);
                }
                Err(reason) => errors.push(DesiredError {
                    item: format!("route {}", r.dest),
                    reason,
                }),
            }
        }
        for r in &plan.static_rules {
            match rule(r, names) {
                Ok(x) => {
                    d.rules.insert(x.key(), x);
                }
                Err(reason) => errors.push(DesiredError {
                    item: format!("rule preference {}", r.preference),
                    reason,
                }),
            }
        }
        for vs in &plan.virtual_servers {
            match services(vs) {
                Ok(list) => {
                    for s in list {
                        if d.services.contains_key(&s.key) {
                            errors.push(DesiredError {
                                item: format!("service {}", s.key),
                                reason: "defined twice (by two virtual servers or groups)".into(),
                            });
                        }
                        d.services.insert(s.key, s);
                    }
                }
                Err(reason) => errors.push(DesiredError {
                    item: format!("virtual_server {}", vs_key_text(&vs.key)),
                    reason,
                }),
            }
        }
        let t = &plan.global.lvs_timeouts;
        d.timeouts = IpvsTimeouts {
            tcp: t.tcp,
            tcp_fin: t.tcpfin,
            udp: t.udp,
        };
        d.ipvs_take_over = plan.global.lvs_flush;
        if errors.is_empty() {
            Ok(d)
        } else {
            Err(DesiredErrors(errors))
        }
    }

    fn insert_address(&mut self, a: Address, errors: &mut Vec<DesiredError>) {
        if let Some(old) = self.addresses.get(&a.key)
            && old != &a
        {
            errors.push(DesiredError {
                item: a.to_string(),
                reason: format!("conflicts with `{old}`"),
            });
        }
        self.addresses.insert(a.key.clone(), a);
    }

    /// Whether IPVS is part of the desired state.
    pub fn wants_ipvs(&self) -> bool {
        !self.services.is_empty() || self.ipvs_take_over || self.timeouts != IpvsTimeouts::default()
    }
}

fn plan_address_text(a: &PlanAddress) -> String {
    format!("addr {}/{} dev {}", a.addr, a.prefix_len, a.dev)
}

fn vs_key_text(k: &PlanVsKey) -> String {
    match k {
        PlanVsKey::Addr {
            addr,
            port,
            protocol,
        } => format!("{} {protocol}", SocketAddr::new(*addr, *port)),
        PlanVsKey::Fwmark { fwmark, family } => format!("fwmark {fwmark} {family}"),
        PlanVsKey::Group { group, protocol } => format!("group {group} {protocol}"),
    }
}

/// A plan address (static or virtual) as a kernel address.
pub fn address(a: &PlanAddress) -> Result<Address, String> {
    let v6 = a.addr.is_ipv6();
    // With a peer, keepalived takes the prefix length from the peer (`/32`, `/128` when the
    // peer has none).
    let (peer, prefix_len) = match &a.peer {
        Some(p) => {
            let p = parse_prefix(p).map_err(|_| format!("invalid peer `{p}`"))?;
            (Some(p.addr), p.len)
        }
        None => (None, a.prefix_len),
    };
    let broadcast = match a.broadcast {
        Some(IpAddr::V4(b)) if !v6 => Some(b),
        Some(b) => return Err(format!("broadcast `{b}` on an IPv6 address")),
        None => None,
    };
    let scope = if v6 { 0 } else { parse_scope(&a.scope)? };
    // keepalived adds IPv6 host addresses deprecated (preferred lifetime 0).
    let mut flags = if v6 && a.prefix_len == 128 {
        ifa::DEPRECATED
    } else {
        0
    };
    for f in &a.flags {
        flags |= match f.as_str() {
            "home" => ifa::HOMEADDRESS,
            "nodad" => ifa::NODAD,
            "mngtmpaddr" => ifa::MANAGETEMPADDR,
            "noprefixroute" => ifa::NOPREFIXROUTE,
            "autojoin" => ifa::MCAUTOJOIN,
            other => return Err(format!("unknown address flag `{other}`")),
        };
    }
    Ok(Address {
        key: AddressKey {
            dev: a.dev.clone(),
            addr: a.addr,
            prefix_len,
        },
        peer,
        broadcast,
        label: if v6 { None } else { a.label.clone() },
        scope,
        // `nodad` means nothing on IPv4 (keepalived does not send it).
        flags: if v6 { flags } else { flags & !ifa::NODAD },
    })
}

fn parse_scope(s: &str) -> Result<u8, String> {
    Ok(match s {
        "global" | "universe" => scope::UNIVERSE,
        "site" => scope::SITE,
        "link" => scope::LINK,
        "host" => scope::HOST,
        "nowhere" => scope::NOWHERE,
        n => n.parse().map_err(|_| format!("unknown scope `{n}`"))?,
    })
}

fn parse_prefix(s: &str) -> Result<Prefix, String> {
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: IpAddr = a.parse().map_err(|_| format!("invalid prefix `{s}`"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match l {
        Some(l) => l
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("invalid prefix length in `{s}`"))?,
        None => max,
    };
    Ok(Prefix { addr, len })
}

fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn number<T: TryFrom<u64>>(what: &str, s: &str) -> Result<T, String> {
    parse_number(s)
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("invalid {what} `{s}`"))
}

fn route_type(s: &str) -> Result<u8, String> {
    match s {
        "brd" => Ok(rtn::BROADCAST),
        _ => rtn::NAMES
            .iter()
            .position(|n| *n == s && s != "unspec")
            .and_then(|i| u8::try_from(i).ok())
            .ok_or_else(|| format!("unknown route type `{s}`")),
    }
}

/// A plan route (static or virtual) as a kernel route.
pub fn route(r: &PlanRoute, names: &Names) -> Result<Route, String> {
    let dst = parse_prefix(&r.dest)?;
    let v6 = dst.addr.is_ipv6();
    let table = names.table(&r.table).ok_or_else(|| {
        format!(
            "unknown routing table `{}` (not in /etc/iproute2/rt_tables; use a number)",
            r.table
        )
    })?;
    let kind = route_type(&r.kind)?;
    let protocol = match &r.protocol {
        Some(p) => names
            .protocol(p)
            .ok_or_else(|| format!("unknown route protocol `{p}`"))?,
        None => KAC_PROTOCOL,
    };
    let mut out = Route {
        key: RouteKey {
            table,
            dst,
            tos: 0,
            metric: r.metric.unwrap_or(if v6 { 1024 } else { 0 }),
            from: match &r.from {
                Some(f) => Some(parse_prefix(f)?),
                None => None,
            },
        },
        kind,
        protocol,
        scope: 0,
        gateway: r.via,
        dev: r.dev.clone(),
        prefsrc: r.src,
        onlink: false,
        nexthops: Vec::new(),
        metrics: BTreeMap::new(),
        pref: None,
    };
    let mut nexthops: Vec<Nexthop> = r
        .nexthops
        .iter()
        .map(|n| Nexthop {
            gateway: n.via,
            dev: n.dev.clone(),
            weight: n.weight.clamp(1, 256),
            onlink: false,
        })
        .collect();
    // The kernel reports a single next hop as a plain route.
    if nexthops.len() == 1 && out.gateway.is_none() && out.dev.is_none() {
        let n = nexthops.remove(0);
        out.gateway = n.gateway;
        out.dev = n.dev;
    }
    // The order the kernel reports them in is not meaningful: compare them sorted.
    nexthops.sort();
    out.nexthops = nexthops;
    for o in &r.options {
        let mut w = o.split_whitespace();
        let name = w.next().unwrap_or("");
        let arg = w.next();
        let need = || arg.ok_or_else(|| format!("route option `{name}` needs a value"));
        match name {
            "onlink" => out.onlink = true,
            "add" | "prepend" => {}
            "tos" | "dsfield" => out.key.tos = number("tos", need()?)?,
            "congctl" => {
                out.metrics
                    .insert(16, MetricValue::Name(need()?.to_string()));
            }
            "features" => {
                let v = match need()? {
                    "ecn" => 1,
                    other => number("features", other)?,
                };
                out.metrics.insert(12, MetricValue::Number(v));
            }
            "fastopen_no_cookie" => {
                out.metrics.insert(
                    RTAX_FASTOPEN_NO_COOKIE,
                    MetricValue::Number(number(name, need()?)?),
                );
            }
            "pref" => {
                out.pref = Some(match need()? {
                    "low" => 3,
                    "medium" => 0,
                    "high" => 1,
                    other => return Err(format!("invalid pref `{other}`")),
                });
            }
            // Times with units (rtt, rttvar, rto_min) and the rest are not supported yet.
            "rtt" | "rttvar" | "rto_min" | "realms" | "ttl-propagate" | "expires" | "vrf"
            | "encap" | "append" => {
                return Err(format!("route option `{name}` is not supported by kac yet"));
            }
            _ => match ROUTE_METRICS.iter().find(|(_, n)| *n == name) {
                Some((rtax, _)) => {
                    out.metrics
                        .insert(*rtax, MetricValue::Number(number(name, need()?)?));
                }
                None => return Err(format!("unknown route option `{o}`")),
            },
        }
    }
    if out.pref.is_none() && v6 {
        out.pref = Some(0);
    }
    // keepalived's default scope is universe, whatever the route (unlike iproute2).
    out.scope = match (&r.scope, v6) {
        (_, true) | (None, false) => scope::UNIVERSE,
        (Some(s), false) => parse_scope(s)?,
    };
    Ok(out)
}

fn range<T: std::str::FromStr>(what: &str, s: &str) -> Result<(T, T), String> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    match (a.parse(), b.parse()) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        _ => Err(format!("invalid {what} range `{s}`")),
    }
}

/// A plan rule (static or virtual) as a kernel rule.
pub fn rule(r: &PlanRule, names: &Names) -> Result<Rule, String> {
    let table = match &r.table {
        Some(t) => names
            .table(t)
            .ok_or_else(|| format!("unknown routing table `{t}` (use a number)"))?,
        None => 0,
    };
    let mut out = Rule {
        v6: r.family == "inet6",
        priority: r.preference,
        src: r.from.as_deref().map(parse_prefix).transpose()?,
        dst: r.to.as_deref().map(parse_prefix).transpose()?,
        invert: false,
        tos: 0,
        fwmark: None,
        iif: None,
        oif: None,
        action: fr_act::TO_TBL,
        table,
        goto: None,
        suppress_prefixlen: None,
        suppress_ifgroup: None,
        uid_range: None,
        ipproto: None,
        sport: None,
        dport: None,
        l3mdev: false,
        realm: None,
        tun_id: None,
        protocol: KAC_PROTOCOL,
    };
    match r.action.as_deref() {
        None => {
            if table == 0 {
                return Err("the rule has no table and no action".into());
            }
        }
        Some("blackhole") => out.action = fr_act::BLACKHOLE,
        Some("prohibit") => out.action = fr_act::PROHIBIT,
        Some("unreachable") => out.action = fr_act::UNREACHABLE,
        Some("nop") => out.action = fr_act::NOP,
        Some("l3mdev") => out.l3mdev = true,
        Some(g) if g.starts_with("goto ") => {
            out.action = fr_act::GOTO;
            out.goto = Some(number("goto", g.trim_start_matches("goto "))?);
        }
        Some(other) => return Err(format!("unknown rule action `{other}`")),
    }
    for o in &r.options {
        let mut w = o.split_whitespace();
        let name = w.next().unwrap_or("");
        let arg = w.next().unwrap_or("");
        match name {
            "not" => out.invert = true,
            "l3mdev" | "nop" | "no_track" | "track_group" => {}
            "tos" | "dsfield" => out.tos = number("tos", arg)?,
            "fwmark" => {
                let (m, mask) = arg.split_once('/').unwrap_or((arg, "0xffffffff"));
                out.fwmark = Some((number("fwmark", m)?, number("fwmark mask", mask)?));
            }
            "realms" => {
                let (a, b) = arg
                    .split_once('/')
                    .map_or((None, arg), |(a, b)| (Some(a), b));
                let to: u32 = number("realm", b)?;
                let from: u32 = a.map(|a| number("realm", a)).transpose()?.unwrap_or(0);
                out.realm = Some((from << 16) | to);
            }
            "suppress_prefixlength" | "sup_pl" => {
                out.suppress_prefixlen = Some(number("suppress_prefixlength", arg)?)
            }
            "suppress_ifgroup" | "sup_group" => {
                out.suppress_ifgroup = Some(number("suppress_ifgroup (a number)", arg)?)
            }
            "dev" | "iif" => out.iif = Some(arg.to_string()),
            "oif" => out.oif = Some(arg.to_string()),
            "tunnel-id" => out.tun_id = Some(number("tunnel-id", arg)?),
            "uidrange" => out.uid_range = Some(range("uid", arg)?),
            "sport" => out.sport = Some(range("port", arg)?),
            "dport" => out.dport = Some(range("port", arg)?),
            "protocol" => {
                out.protocol = names
                    .protocol(arg)
                    .ok_or_else(|| format!("unknown rule protocol `{arg}`"))?
            }
            "ipproto" => {
                out.ipproto = Some(match arg {
                    "tcp" => 6,
                    "udp" => 17,
                    "sctp" => 132,
                    "icmp" => 1,
                    "ipv6-icmp" | "icmpv6" => 58,
                    n => number("ipproto", n)?,
                })
            }
            _ => return Err(format!("unknown rule option `{o}`")),
        }
    }
    Ok(out)
}

impl MacvlanLink {
    /// keepalived's VMAC link for VRID `vrid`: MAC 00:00:5e:00:01:VRID (02 for IPv6), mode
    /// private.
    pub fn vmac(name: &str, parent: &str, vrid: u8, v6: bool) -> MacvlanLink {
        MacvlanLink {
            name: name.to_string(),
            parent: parent.to_string(),
            mac: [0, 0, 0x5e, 0, if v6 { 2 } else { 1 }, vrid],
            mode: 1,
        }
    }
}

fn ip_protocol(p: &str) -> Result<u16, String> {
    match p.to_ascii_uppercase().as_str() {
        "TCP" => Ok(6),
        "UDP" => Ok(17),
        "SCTP" => Ok(132),
        _ => Err(format!("unknown protocol `{p}`")),
    }
}

fn fwd_method(m: &str) -> Result<u32, String> {
    match m {
        "NAT" => Ok(fwd::MASQ),
        "DR" => Ok(fwd::DROUTE),
        "TUN" => Ok(fwd::TUNNEL),
        _ => Err(format!("unknown forwarding method `{m}`")),
    }
}

/// Addresses `first..=last` (same family), at most 65,536.
fn address_range(first: IpAddr, last: IpAddr) -> Result<Vec<IpAddr>, String> {
    let (a, b, v6) = match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            (u128::from(u32::from(a)), u128::from(u32::from(b)), false)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), true),
        _ => return Err(format!("range `{first}-{last}` mixes address families")),
    };
    if b < a || b - a >= 65_536 {
        return Err(format!("invalid address range `{first}-{last}`"));
    }
    Ok((a..=b)
        .map(|n| {
            if v6 {
                IpAddr::V6(Ipv6Addr::from(n))
            } else {
                IpAddr::V4(Ipv4Addr::from(n as u32))
            }
        })
        .collect())
}

/// The service keys a `virtual_server_group` member (`A`, `A-B`, `A PORT`, `A-B PORT`,
/// `fwmark N`) expands to.
fn group_member_keys(
    member: &str,
    protocol: u16,
    v6_default: bool,
) -> Result<Vec<ServiceKey>, String> {
    let words: Vec<&str> = member.split_whitespace().collect();
    match words.as_slice() {
        ["fwmark", m, rest @ ..] => {
            let v6 = match rest.first() {
                Some(&"inet6") => true,
                Some(&"inet") => false,
                _ => v6_default,
            };
            Ok(vec![ServiceKey::Fwmark {
                mark: number("fwmark", m)?,
                v6,
            }])
        }
        [range, rest @ ..] => {
            let port: u16 = match rest.first() {
                Some(p) => number("port", p)?,
                None => 0,
            };
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            let parse = |s: &str| {
                s.parse::<IpAddr>()
                    .map_err(|_| format!("invalid group member `{member}`"))
            };
            Ok(address_range(parse(a)?, parse(b)?)?
                .into_iter()
                .map(|addr| ServiceKey::Addr {
                    protocol,
                    addr,
                    port,
                })
                .collect())
        }
        [] => Err("empty group member".into()),
    }
}

fn dest(rs: &PlanRealServer) -> Result<(SocketAddr, DestAttrs), String> {
    Ok((
        SocketAddr::new(rs.addr, rs.port),
        DestAttrs {
            fwd: fwd_method(&rs.lb_kind)?,
            weight: i32::try_from(rs.weight)
                .map_err(|_| format!("weight {} is too large", rs.weight))?,
            u_threshold: rs.uthreshold,
            l_threshold: rs.lthreshold,
        },
    ))
}

/// The IPVS services a plan virtual server stands for (several for a group).
pub fn services(vs: &PlanVirtualServer) -> Result<Vec<Service>, String> {
    let v6_rs = vs.real_servers.first().is_some_and(|r| r.addr.is_ipv6());
    let keys = match &vs.key {
        PlanVsKey::Addr {
            addr,
            port,
            protocol,
        } => vec![ServiceKey::Addr {
            protocol: ip_protocol(protocol)?,
            addr: *addr,
            port: *port,
        }],
        PlanVsKey::Fwmark { fwmark, family } => vec![ServiceKey::Fwmark {
            mark: *fwmark,
            v6: family == "inet6",
        }],
        PlanVsKey::Group { protocol, .. } => {
            let protocol = ip_protocol(protocol)?;
            // A family-less fwmark takes the family of the group's addresses, else of the
            // real servers.
            let v6 = vs
                .group_members
                .iter()
                .find(|m| !m.starts_with("fwmark"))
                .map_or(v6_rs, |m| m.contains(':'));
            let mut keys = Vec::new();
            for m in &vs.group_members {
                keys.extend(group_member_keys(m, protocol, v6)?);
            }
            keys
        }
    };
    let mut flags = 0;
    for f in &vs.sched_flags {
        flags |= match f.as_str() {
            "ops" => svc_flags::ONEPACKET,
            "flag-1" | "sh-fallback" | "mh-fallback" => svc_flags::SCHED1,
            "flag-2" | "sh-port" | "mh-port" => svc_flags::SCHED2,
            "flag-3" => svc_flags::SCHED3,
            // The kernel marks every service hashed itself.
            "hashed" => 0,
            other => return Err(format!("unknown scheduler flag `{other}`")),
        };
    }
    let mut timeout = 0;
    if let Some(t) = vs.persistence_timeout_s {
        flags |= svc_flags::PERSISTENT;
        timeout = t;
    }
    let mut dests = BTreeMap::new();
    for rs in &vs.real_servers {
        let (k, a) = dest(rs)?;
        dests.insert(k, a);
    }
    keys.into_iter()
        .map(|key| {
            let netmask = match (&vs.persistence_granularity, key.is_v6()) {
                (None, false) => u32::MAX,
                (None, true) => 128,
                (Some(g), false) => match g.parse::<Ipv4Addr>() {
                    Ok(m) => u32::from(m),
                    Err(_) => {
                        let n: u32 = number("persistence_granularity", g)?;
                        if n > 32 {
                            return Err(format!("invalid persistence_granularity `{g}`"));
                        }
                        if n == 0 { 0 } else { u32::MAX << (32 - n) }
                    }
                },
                (Some(g), true) => {
                    let n: u32 = number("persistence_granularity", g)?;
                    if n > 128 {
                        return Err(format!("invalid persistence_granularity `{g}`"));
                    }
                    n
                }
            };
            // keepalived ignores real server ports on fwmark services.
            let dests = match key {
                ServiceKey::Fwmark { .. } => dests
                    .iter()
                    .map(|(d, a)| (SocketAddr::new(d.ip(), 0), a.clone()))
                    .collect(),
                ServiceKey::Addr { .. } => dests.clone(),
            };
            Ok(Service {
                key,
                attrs: ServiceAttrs {
                    scheduler: vs.scheduler.clone(),
                    flags,
                    timeout,
                    netmask,
                    pe_name: vs.persistence_engine.clone(),
                },
                dests,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_members_expand_ranges_and_fwmarks() {
        let k = group_member_keys("10.0.0.1-10.0.0.3 80", 6, false).expect("range");
        assert_eq!(k.len(), 3);
        assert_eq!(
            k[2],
            ServiceKey::Addr {
                protocol: 6,
                addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3)),
                port: 80
            }
        );
        let k = group_member_keys("2001:db8::1-2001:db8::a", 17, true).expect("v6 range");
        assert_eq!(k.len(), 10);
        let k = group_member_keys("fwmark 7", 6, true).expect("fwmark");
        assert_eq!(k, vec![ServiceKey::Fwmark { mark: 7, v6: true }]);
        assert!(group_member_keys("10.0.0.9-10.0.0.1", 6, false).is_err());
    }

    #[test]
    fn route_defaults_follow_keepalived() {
        let names = Names::default();
        let r = PlanRoute {
            table: "main".into(),
            dest: "10.9.0.0/16".into(),
            kind: "unicast".into(),
            via: None,
            dev: Some("eth0".into()),
            src: None,
            from: None,
            metric: None,
            scope: None,
            protocol: None,
            nexthops: vec![],
            options: vec!["mtu 1400".into(), "onlink".into()],
            track: true,
        };
        let k = route(&r, &names).expect("valid route");
        assert_eq!(k.scope, scope::UNIVERSE);
        assert_eq!(k.protocol, KAC_PROTOCOL);
        assert_eq!(k.metrics.get(&2), Some(&MetricValue::Number(1400)));
        assert!(k.onlink);
        assert_eq!(k.to_string(), "route 10.9.0.0/16 dev eth0 onlink mtu 1400");
        let bad = PlanRoute {
            options: vec!["realms 5".into()],
            ..r
        };
        assert!(route(&bad, &names).is_err_and(|e| e.contains("realms")));
    }
}
