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
    Plan, PlanAddress, PlanEncap, PlanMetricValue, PlanRealServer, PlanRoute, PlanRule, PlanTunnel,
    PlanVirtualServer, PlanVsKey,
};

use crate::model::*;
use crate::names::Names;
use crate::observed::Link;
use crate::syncd::SyncDaemon;

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
    /// Routes in the table of a VRF device (`vrf NAME`), known once the links are read:
    /// [`Desired::with_vrf_tables`] moves them into [`Desired::routes`].
    pub vrf_routes: Vec<VrfRoute>,
    /// The IPVS connection sync daemon: never set from the plan alone (its state follows a
    /// VRRP instance); the daemon's VRRP layer sets it. While set, kac owns both sync daemon
    /// slots (the other state's daemon is stopped, as keepalived does).
    pub sync_daemon: Option<SyncDaemon>,
}

/// A route that goes in the routing table of a VRF device.
#[derive(Clone, Debug, PartialEq)]
pub struct VrfRoute {
    /// The VRF device.
    pub vrf: String,
    /// The route (its table is set from the device).
    pub route: Route,
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
        // Appended routes last: they join the route they are appended to.
        let (plain, appended): (Vec<&PlanRoute>, Vec<&PlanRoute>) =
            plan.static_routes.iter().partition(|r| !r.append);
        for r in plain.into_iter().chain(appended) {
            match route(r, names) {
                Ok(x) => match &r.vrf {
                    Some(vrf) => d.vrf_routes.push(VrfRoute {
                        vrf: vrf.clone(),
                        route: x,
                    }),
                    None => d.insert_route(x, r.append, &mut errors),
                },
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

    /// Adds a route; `append` (`ip route append`) merges it into a route with the same key as
    /// more next hops, which is what the kernel makes of it for IPv6.
    fn insert_route(&mut self, x: Route, append: bool, errors: &mut Vec<DesiredError>) {
        let Some(old) = self.routes.get(&x.key) else {
            self.routes.insert(x.key.clone(), x);
            return;
        };
        if old == &x {
            return;
        }
        let reason = if !append {
            format!("conflicts with `{old}` (same table, destination, tos and metric)")
        } else {
            match append_route(old, &x) {
                Ok(merged) => {
                    self.routes.insert(merged.key.clone(), merged);
                    return;
                }
                Err(reason) => reason,
            }
        };
        errors.push(DesiredError {
            item: x.to_string(),
            reason,
        });
    }

    /// This desired state with the routes of [`Desired::vrf_routes`] in the tables of their VRF
    /// devices (`links`: the host's interfaces).
    pub fn with_vrf_tables(
        &self,
        links: &BTreeMap<String, Link>,
    ) -> Result<Desired, DesiredErrors> {
        let mut d = Desired {
            vrf_routes: Vec::new(),
            ..self.clone()
        };
        let mut errors = Vec::new();
        for v in &self.vrf_routes {
            let table = match links.get(&v.vrf) {
                None => Err(format!("VRF `{}` does not exist", v.vrf)),
                Some(l) => l
                    .vrf_table
                    .ok_or_else(|| format!("`{}` is not a VRF device", v.vrf)),
            };
            match table {
                Ok(t) => {
                    let mut r = v.route.clone();
                    r.key.table = t;
                    d.insert_route(r, false, &mut errors);
                }
                Err(reason) => errors.push(DesiredError {
                    item: format!("{} vrf {}", v.route, v.vrf),
                    reason,
                }),
            }
        }
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

/// `base` with the path of `extra` appended as a next hop (IPv6 multipath, as the kernel
/// merges an appended route). IPv4 keeps an appended route as a second route with the same
/// key, which kac (one route per key) does not manage.
fn append_route(base: &Route, extra: &Route) -> Result<Route, String> {
    if base.key.dst.addr.is_ipv4() {
        return Err(format!(
            "`append` on an IPv4 route adds a second route with the same key after `{base}`, which kac does not manage (one route per table, destination, tos and metric); write one route with `nexthop`s"
        ));
    }
    let paths = |r: &Route| -> Vec<Nexthop> {
        if r.nexthops.is_empty() {
            vec![Nexthop {
                gateway: r.gateway,
                dev: r.dev.clone(),
                weight: 1,
                onlink: r.onlink,
            }]
        } else {
            r.nexthops.clone()
        }
    };
    let single = |r: &Route| Route {
        gateway: None,
        dev: None,
        onlink: false,
        nexthops: Vec::new(),
        ..r.clone()
    };
    if single(base) != single(extra) {
        return Err(format!(
            "`append` merges the route into `{base}` as a next hop: everything but `via` and `dev` must be the same"
        ));
    }
    let mut nexthops = paths(base);
    nexthops.extend(paths(extra));
    if nexthops.iter().any(|n| n.gateway.is_none()) {
        return Err(format!(
            "`append` makes a multipath route with `{base}`: the kernel merges only routes with a gateway (`via`)"
        ));
    }
    nexthops.sort();
    Ok(Route {
        nexthops,
        ..single(base)
    })
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
    if let (false, Some(p @ 1..)) = (v6, a.preferred_lft_s) {
        return Err(format!(
            "`preferred_lft {p}` has no effect on an IPv4 address: the kernel keeps an IPv4 address whose valid lifetime is forever permanent (only `preferred_lft 0` deprecates it)"
        ));
    }
    let mut flags = 0;
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
        // The plan has keepalived's default (0 for IPv6 /128 addresses) made explicit.
        preferred_lft: a.preferred_lft_s,
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

/// A plan route (static or virtual) as a kernel route. A route with `vrf` gets the table of
/// its VRF device later ([`Desired::with_vrf_tables`]); `append` is [`Desired`]'s matter.
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
        onlink: r.onlink,
        nexthops: Vec::new(),
        metrics: BTreeMap::new(),
        locked: 0,
        pref: None,
        realms: None,
        expires: None,
        encap: None,
    };
    let mut nexthops: Vec<Nexthop> = r
        .nexthops
        .iter()
        .map(|n| Nexthop {
            gateway: n.via,
            dev: n.dev.clone(),
            weight: n.weight.clamp(1, 256),
            onlink: n.onlink,
        })
        .collect();
    // The kernel reports a single next hop as a plain route.
    if nexthops.len() == 1 && out.gateway.is_none() && out.dev.is_none() {
        let n = nexthops.remove(0);
        out.gateway = n.gateway;
        out.dev = n.dev;
        out.onlink |= n.onlink;
    }
    // The order the kernel reports them in is not meaningful: compare them sorted.
    nexthops.sort();
    out.nexthops = nexthops;
    for m in &r.metrics {
        let rtax = ROUTE_METRICS
            .iter()
            .find(|(_, n)| *n == m.name)
            .map(|(rtax, _)| *rtax)
            .ok_or_else(|| format!("unknown route metric `{}`", m.name))?;
        if m.lock {
            out.locked |= 1 << rtax;
        }
        let value = match (&m.value, rtax) {
            (PlanMetricValue::Name(n), 16) => MetricValue::Name(n.clone()),
            // What the kernel keeps: it caps the MTU and the MSS, and a metric of 0 is no
            // metric at all (it reports none).
            (PlanMetricValue::Number(0), n) if n != 16 => continue,
            (PlanMetricValue::Number(v), 2) => MetricValue::Number((*v).min(65535 - 15)),
            (PlanMetricValue::Number(v), 8) => MetricValue::Number((*v).min(65535 - 40)),
            (PlanMetricValue::Number(v), n) if n != 16 => MetricValue::Number(*v),
            _ => return Err(format!("invalid value for route metric `{}`", m.name)),
        };
        out.metrics.insert(rtax, value);
    }
    if let Some(realms) = &r.realms {
        if v6 {
            return Err("`realms` applies to IPv4 routes only".into());
        }
        out.realms = Some(names.realms(realms).ok_or_else(|| {
            format!("unknown realms `{realms}` (not in /etc/iproute2/rt_realms; use numbers)")
        })?);
    }
    if let Some(e) = r.expires_s {
        if !v6 {
            return Err(
                "`expires` applies to IPv6 routes only (the kernel ignores it on IPv4 routes)"
                    .into(),
            );
        }
        out.expires = Some(e);
    }
    if r.ttl_propagate.is_some() {
        return Err("`ttl-propagate` applies to MPLS routes only; the kernel accepts it on IPv4 and IPv6 routes and ignores it, so kac can neither apply nor verify it: remove it".into());
    }
    if let Some(e) = &r.encap {
        out.encap = Some(Box::new(encap(e, names)?));
    }
    for o in &r.options {
        let mut w = o.split_whitespace();
        let name = w.next().unwrap_or("");
        let arg = w.next();
        let need = || arg.ok_or_else(|| format!("route option `{name}` needs a value"));
        match name {
            "tos" | "dsfield" => {
                let v = need()?;
                out.key.tos = names
                    .dsfield(v)
                    .ok_or_else(|| format!("invalid tos `{v}`"))?;
            }
            "pref" => {
                out.pref = Some(match need()? {
                    "low" => 3,
                    "medium" => 0,
                    "high" => 1,
                    other => return Err(format!("invalid pref `{other}`")),
                });
            }
            _ => return Err(format!("unknown route option `{o}`")),
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

/// A plan encapsulation in the kernel's terms (unset fields 0, as the kernel reports them).
fn encap(e: &PlanEncap, names: &Names) -> Result<Encap, String> {
    let v4 = |a: Option<IpAddr>| match a {
        None => Ok(Ipv4Addr::UNSPECIFIED),
        Some(IpAddr::V4(a)) => Ok(a),
        Some(a) => Err(format!("`{a}` is not an IPv4 address (`encap ip`)")),
    };
    let v6 = |a: Option<IpAddr>| match a {
        None => Ok(Ipv6Addr::UNSPECIFIED),
        Some(IpAddr::V6(a)) => Ok(a),
        Some(a) => Err(format!("`{a}` is not an IPv6 address (`encap ip6`)")),
    };
    // keepalived sends `flags` in host byte order where the kernel reads big-endian.
    let flags = |f: Option<u16>| u16::from_be_bytes(f.unwrap_or(0).to_ne_bytes());
    let _ = names;
    Ok(match e {
        PlanEncap::Mpls { labels } => {
            if labels.is_empty() || labels.iter().any(|l| *l >= 1 << 20) {
                return Err(format!("invalid MPLS labels {labels:?}"));
            }
            Encap::Mpls {
                labels: labels.clone(),
            }
        }
        PlanEncap::Ip {
            id,
            dst,
            src,
            tos,
            ttl,
            flags: f,
        } => Encap::Ip {
            id: id.unwrap_or(0),
            dst: v4(*dst)?,
            src: v4(*src)?,
            tos: tos.unwrap_or(0),
            ttl: ttl.unwrap_or(0),
            flags: flags(*f),
        },
        PlanEncap::Ip6 {
            id,
            dst,
            src,
            tc,
            hoplimit,
            flags: f,
        } => Encap::Ip6 {
            id: id.unwrap_or(0),
            dst: v6(*dst)?,
            src: v6(*src)?,
            tc: tc.unwrap_or(0),
            hoplimit: hoplimit.unwrap_or(0),
            flags: flags(*f),
        },
        PlanEncap::Ila { .. } => {
            return Err("`encap ila` is not supported by kac (only `mpls`, `ip` and `ip6`)".into());
        }
    })
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

/// A `TUN` real server's tunnel as IPVS takes it: type, UDP port, flags.
fn tunnel(t: &PlanTunnel) -> Result<(u8, u16, u16), String> {
    let kind = match t.kind.as_str() {
        "ipip" => tun::IPIP,
        "gue" => tun::GUE,
        "gre" => tun::GRE,
        other => return Err(format!("unknown tunnel type `{other}`")),
    };
    let flags = match t.checksum.as_str() {
        "nocsum" => 0,
        "csum" => tun::CSUM,
        "remcsum" => tun::REMCSUM,
        other => return Err(format!("unknown tunnel checksum option `{other}`")),
    };
    match (kind, t.port) {
        (tun::GUE, Some(p)) => Ok((kind, p, flags)),
        (tun::GUE, None) => Err("a gue tunnel needs a port".into()),
        (_, Some(_)) => Err(format!("a {} tunnel has no port", t.kind)),
        (tun::IPIP, None) if flags != 0 => Err("ipip tunnels have no checksum options".into()),
        (tun::GRE, None) if flags & tun::REMCSUM != 0 => {
            Err("gre tunnels do not support remcsum".into())
        }
        (_, None) => Ok((kind, 0, flags)),
    }
}

pub(crate) fn dest(rs: &PlanRealServer) -> Result<(SocketAddr, DestAttrs), String> {
    let fwd = fwd_method(&rs.lb_kind)?;
    let (tun_type, tun_port, tun_flags) = match (&rs.tunnel, fwd) {
        (Some(t), fwd::TUNNEL) => tunnel(t)?,
        _ => (0, 0, 0),
    };
    Ok((
        SocketAddr::new(rs.addr, rs.port),
        DestAttrs {
            fwd,
            weight: i32::try_from(rs.weight)
                .map_err(|_| format!("weight {} is too large", rs.weight))?,
            u_threshold: rs.uthreshold,
            l_threshold: rs.lthreshold,
            tun_type,
            tun_port,
            tun_flags,
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

    fn plan_route(dest: &str) -> PlanRoute {
        PlanRoute {
            table: "main".into(),
            dest: dest.into(),
            kind: "unicast".into(),
            via: None,
            dev: Some("eth0".into()),
            src: None,
            from: None,
            metric: None,
            scope: None,
            protocol: None,
            nexthops: vec![],
            options: vec![],
            track: true,
            track_group: None,
            onlink: false,
            metrics: vec![],
            realms: None,
            expires_s: None,
            ttl_propagate: None,
            encap: None,
            vrf: None,
            append: false,
        }
    }

    #[test]
    fn route_defaults_follow_keepalived() {
        let names = Names::default();
        let r = PlanRoute {
            onlink: true,
            metrics: vec![
                kac_schema::plan::PlanRouteMetric {
                    name: "mtu".into(),
                    value: PlanMetricValue::Number(1400),
                    lock: true,
                },
                kac_schema::plan::PlanRouteMetric {
                    name: "rtt".into(),
                    value: PlanMetricValue::Number(2400),
                    lock: false,
                },
            ],
            realms: Some("3/4".into()),
            ..plan_route("10.9.0.0/16")
        };
        let k = route(&r, &names).expect("valid route");
        assert_eq!(k.scope, scope::UNIVERSE);
        assert_eq!(k.protocol, KAC_PROTOCOL);
        assert_eq!(k.metrics.get(&2), Some(&MetricValue::Number(1400)));
        assert_eq!(k.locked, 1 << 2);
        assert_eq!(k.realms, Some((3 << 16) | 4));
        assert!(k.onlink);
        assert_eq!(
            k.to_string(),
            "route 10.9.0.0/16 dev eth0 onlink realms 3/4 mtu lock 1400 rtt 300ms"
        );
    }

    #[test]
    fn route_forms_the_kernel_ignores_are_refused_precisely() {
        let names = Names::default();
        let ttl = PlanRoute {
            ttl_propagate: Some(true),
            ..plan_route("10.9.0.0/16")
        };
        assert!(route(&ttl, &names).is_err_and(|e| e.contains("MPLS routes only")));
        let expires = PlanRoute {
            expires_s: Some(300),
            ..plan_route("10.9.0.0/16")
        };
        assert!(route(&expires, &names).is_err_and(|e| e.contains("IPv6 routes only")));
        let ila = PlanRoute {
            encap: Some(PlanEncap::Ila {
                locator: "1:2:3:4".into(),
            }),
            ..plan_route("10.9.0.0/16")
        };
        assert!(route(&ila, &names).is_err_and(|e| e.contains("encap ila")));
        let v6 = PlanRoute {
            expires_s: Some(300),
            ..plan_route("2001:db8:9::/48")
        };
        assert_eq!(route(&v6, &names).map(|r| r.expires), Ok(Some(300)));
    }

    fn plan_with_routes(routes: Vec<PlanRoute>) -> Plan {
        let mut p = crate::check::tests::empty_plan();
        p.static_routes = routes;
        p
    }

    #[test]
    fn appended_ipv6_routes_become_one_multipath_route_and_ipv4_ones_are_refused() {
        let names = Names::default();
        let base = PlanRoute {
            via: Some("2001:db8::1".parse().expect("v6")),
            ..plan_route("2001:db8:5::/48")
        };
        let extra = PlanRoute {
            via: Some("2001:db8::3".parse().expect("v6")),
            append: true,
            ..plan_route("2001:db8:5::/48")
        };
        // The appended route first: the order in the plan does not matter.
        let d = Desired::from_plan(&plan_with_routes(vec![extra, base]), &names).expect("ok");
        assert_eq!(d.routes.len(), 1);
        let r = d.routes.values().next().expect("route");
        assert_eq!(r.nexthops.len(), 2);
        assert_eq!(r.gateway, None);
        assert_eq!(
            r.to_string(),
            "route 2001:db8:5::/48 metric 1024 nexthop via 2001:db8::1 dev eth0 weight 1 nexthop via 2001:db8::3 dev eth0 weight 1"
        );

        let v4 = |via: &str, append| PlanRoute {
            via: Some(via.parse().expect("v4")),
            append,
            ..plan_route("10.5.0.0/16")
        };
        let err = Desired::from_plan(
            &plan_with_routes(vec![v4("10.0.0.1", false), v4("10.0.0.3", true)]),
            &names,
        )
        .expect_err("IPv4 append");
        assert!(
            err.to_string().contains("second route with the same key"),
            "{err}"
        );
        // Alone, an appended route is a route.
        let d = Desired::from_plan(&plan_with_routes(vec![v4("10.0.0.3", true)]), &names)
            .expect("alone");
        assert_eq!(d.routes.len(), 1);
    }

    #[test]
    fn vrf_routes_take_the_table_of_their_device() {
        let names = Names::default();
        let r = PlanRoute {
            vrf: Some("blue".into()),
            ..plan_route("10.7.0.0/16")
        };
        let d = Desired::from_plan(&plan_with_routes(vec![r]), &names).expect("ok");
        assert!(d.routes.is_empty());
        let mut links = BTreeMap::new();
        links.insert(
            "blue".to_string(),
            Link {
                index: 5,
                kind: Some("vrf".into()),
                macvlan: None,
                vrf_table: Some(1001),
            },
        );
        let resolved = d.with_vrf_tables(&links).expect("resolved");
        let k = resolved.routes.keys().next().expect("route");
        assert_eq!(k.table, 1001);
        links.get_mut("blue").expect("blue").vrf_table = None;
        let err = d.with_vrf_tables(&links).expect_err("not a VRF");
        assert!(
            err.to_string().contains("`blue` is not a VRF device"),
            "{err}"
        );
        let err = d.with_vrf_tables(&BTreeMap::new()).expect_err("missing");
        assert!(
            err.to_string().contains("VRF `blue` does not exist"),
            "{err}"
        );
    }

    #[test]
    fn tunnels_take_keepalived_options() {
        let t = |kind: &str, port, checksum: &str| PlanTunnel {
            kind: kind.into(),
            port,
            checksum: checksum.into(),
        };
        assert_eq!(tunnel(&t("ipip", None, "nocsum")), Ok((tun::IPIP, 0, 0)));
        assert_eq!(
            tunnel(&t("gue", Some(6080), "csum")),
            Ok((tun::GUE, 6080, tun::CSUM))
        );
        assert_eq!(
            tunnel(&t("gue", Some(6080), "remcsum")),
            Ok((tun::GUE, 6080, tun::REMCSUM))
        );
        assert!(tunnel(&t("gue", None, "nocsum")).is_err());
        assert!(tunnel(&t("gre", None, "remcsum")).is_err());
        assert!(tunnel(&t("ipip", None, "csum")).is_err());
    }
}
