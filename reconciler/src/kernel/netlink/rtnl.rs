//! rtnetlink: reading links, addresses, routes and rules into [`crate::model`] terms, and
//! encoding the route-channel [`Op`]s as requests (the `ip link|addr|route|rule` equivalents),
//! on netlink-packet-route's message types.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NetlinkMessage};
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, CacheInfo,
};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoData, InfoKind, InfoMacVlan, InfoVrf,
    LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    MplsLabel, RouteAddress, RouteAttribute, RouteFlags, RouteIp6Tunnel, RouteIp6TunnelFlags,
    RouteIpTunnel, RouteIpTunnelFlags, RouteLwEnCapType, RouteLwTunnelEncap, RouteMessage,
    RouteMetric, RouteMplsIpTunnel, RouteNextHop, RouteNextHopFlags, RoutePreference, RouteRealm,
    RouteVia,
};
use netlink_packet_route::rule::{
    RuleAction, RuleAttribute, RuleFlags, RuleMessage, RulePortRange, RuleUidRange,
};
use netlink_packet_route::{AddressFamily, IpProtocol, RouteNetlinkMessage};

use super::socket::NlSocket;
use crate::kernel::KernelError;
use crate::model::*;
use crate::observed::Link;
use crate::op::Op;

type Msg = NetlinkMessage<RouteNetlinkMessage>;

fn family(v6: bool) -> AddressFamily {
    if v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    }
}

/// Reads every link.
pub fn links(sock: &mut NlSocket) -> Result<BTreeMap<String, Link>, KernelError> {
    let list = sock.dump(Msg::from(RouteNetlinkMessage::GetLink(
        LinkMessage::default(),
    )))?;
    let mut by_index = BTreeMap::new();
    let mut out = BTreeMap::new();
    let mut parents = Vec::new();
    for m in list {
        let RouteNetlinkMessage::NewLink(l) = m else {
            continue;
        };
        let mut name = None;
        let mut kind = None;
        let mut mode = None;
        let mut parent = None;
        let mut mac = None;
        let mut vrf_table = None;
        for a in &l.attributes {
            match a {
                LinkAttribute::IfName(n) => name = Some(n.clone()),
                LinkAttribute::Link(p) => parent = Some(*p),
                LinkAttribute::Address(m) if m.len() == 6 => {
                    mac = Some([m[0], m[1], m[2], m[3], m[4], m[5]]);
                }
                LinkAttribute::LinkInfo(infos) => {
                    for i in infos {
                        match i {
                            LinkInfo::Kind(k) => kind = Some(k.to_string()),
                            LinkInfo::Data(InfoData::MacVlan(d)) => {
                                for x in d {
                                    if let InfoMacVlan::Mode(m) = x {
                                        mode = Some(u32::from(*m));
                                    }
                                }
                            }
                            LinkInfo::Data(InfoData::Vrf(d)) => {
                                for x in d {
                                    if let InfoVrf::TableId(t) = x {
                                        vrf_table = Some(*t);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let Some(name) = name else { continue };
        by_index.insert(l.header.index, name.clone());
        if kind.as_deref() == Some("macvlan") {
            parents.push((name.clone(), parent, mac, mode));
        }
        out.insert(
            name,
            Link {
                index: l.header.index,
                kind,
                macvlan: None,
                vrf_table,
            },
        );
    }
    for (name, parent, mac, mode) in parents {
        let parent = parent
            .and_then(|p| by_index.get(&p).cloned())
            .unwrap_or_default();
        if let Some(l) = out.get_mut(&name) {
            l.macvlan = Some(MacvlanLink {
                name,
                parent,
                mac: mac.unwrap_or_default(),
                mode: mode.unwrap_or(0),
            });
        }
    }
    Ok(out)
}

/// Reads every IPv4 and IPv6 address.
pub fn addresses(
    sock: &mut NlSocket,
    names: &BTreeMap<u32, String>,
) -> Result<BTreeMap<AddressKey, Address>, KernelError> {
    let list = sock.dump(Msg::from(RouteNetlinkMessage::GetAddress(
        AddressMessage::default(),
    )))?;
    let mut out = BTreeMap::new();
    for m in list {
        let RouteNetlinkMessage::NewAddress(a) = m else {
            continue;
        };
        let v6 = match a.header.family {
            AddressFamily::Inet => false,
            AddressFamily::Inet6 => true,
            _ => continue,
        };
        let Some(dev) = names.get(&a.header.index) else {
            continue;
        };
        let (mut local, mut address, mut broadcast, mut label) = (None, None, None, None);
        let mut flags = u32::from(a.header.flags.bits());
        let mut preferred_lft = None;
        for at in &a.attributes {
            match at {
                AddressAttribute::Local(x) => local = Some(*x),
                AddressAttribute::Address(x) => address = Some(*x),
                AddressAttribute::Broadcast(b) => broadcast = Some(*b),
                AddressAttribute::Label(l) => label = Some(l.clone()),
                AddressAttribute::Flags(f) => flags = f.bits(),
                AddressAttribute::CacheInfo(c) => {
                    preferred_lft = Some(c.ifa_preferred).filter(|p| *p != INFINITY_LIFE_TIME);
                }
                _ => {}
            }
        }
        let Some(addr) = local.or(address) else {
            continue;
        };
        let peer = address.filter(|p| *p != addr);
        // An address whose preferred lifetime ended is flagged deprecated; an IPv4 address
        // with a valid lifetime of forever reports no preferred lifetime at all.
        if flags & IFA_F_DEPRECATED != 0 {
            preferred_lft = Some(0);
        }
        let key = AddressKey {
            dev: dev.clone(),
            addr,
            prefix_len: a.header.prefix_len,
        };
        out.insert(
            key.clone(),
            Address {
                key,
                peer,
                broadcast,
                label: label.filter(|l| l != dev && !v6),
                scope: if v6 { 0 } else { u8::from(a.header.scope) },
                flags: flags & ifa::MANAGED,
                preferred_lft,
            },
        );
    }
    Ok(out)
}

fn route_ip(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(x) => Some(IpAddr::V4(*x)),
        RouteAddress::Inet6(x) => Some(IpAddr::V6(*x)),
        _ => None,
    }
}

fn unspecified(v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    }
}

/// `IFA_F_DEPRECATED`: the address's preferred lifetime is over.
const IFA_F_DEPRECATED: u32 = 0x20;

/// `INFINITY_LIFE_TIME`: an address lifetime that never ends.
const INFINITY_LIFE_TIME: u32 = u32::MAX;

/// `USER_HZ`: the unit of the times in `RTA_CACHEINFO` (clock ticks), 100 on every Linux
/// architecture kac runs on.
const USER_HZ: u32 = 100;

fn encap_of(list: &[RouteLwTunnelEncap]) -> Option<Encap> {
    let first = list.first()?;
    Some(match first {
        RouteLwTunnelEncap::Mpls(_) => Encap::Mpls {
            labels: list
                .iter()
                .filter_map(|e| match e {
                    RouteLwTunnelEncap::Mpls(RouteMplsIpTunnel::Destination(l)) => Some(l),
                    _ => None,
                })
                .flatten()
                .map(|l| l.label)
                .collect(),
        },
        RouteLwTunnelEncap::Ip(_) => {
            let (mut id, mut dst, mut src, mut tos, mut ttl, mut flags) =
                (0, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, 0, 0, 0);
            for e in list {
                match e {
                    RouteLwTunnelEncap::Ip(RouteIpTunnel::Id(v)) => id = *v,
                    RouteLwTunnelEncap::Ip(RouteIpTunnel::Destination(v)) => dst = *v,
                    RouteLwTunnelEncap::Ip(RouteIpTunnel::Source(v)) => src = *v,
                    RouteLwTunnelEncap::Ip(RouteIpTunnel::Tos(v)) => tos = *v,
                    RouteLwTunnelEncap::Ip(RouteIpTunnel::Ttl(v)) => ttl = *v,
                    RouteLwTunnelEncap::Ip(RouteIpTunnel::Flags(v)) => flags = v.bits(),
                    _ => {}
                }
            }
            Encap::Ip {
                id,
                dst,
                src,
                tos,
                ttl,
                flags,
            }
        }
        RouteLwTunnelEncap::Ip6(_) => {
            let (mut id, mut dst, mut src, mut tc, mut hoplimit, mut flags) =
                (0, Ipv6Addr::UNSPECIFIED, Ipv6Addr::UNSPECIFIED, 0, 0, 0);
            for e in list {
                match e {
                    RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Id(v)) => id = *v,
                    RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Destination(v)) => dst = *v,
                    RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Source(v)) => src = *v,
                    RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Tc(v)) => tc = *v,
                    RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Hoplimit(v)) => hoplimit = *v,
                    RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Flags(v)) => flags = v.bits(),
                    _ => {}
                }
            }
            Encap::Ip6 {
                id,
                dst,
                src,
                tc,
                hoplimit,
                flags,
            }
        }
        _ => return None,
    })
}

fn encap_to(e: &Encap) -> (RouteLwEnCapType, Vec<RouteLwTunnelEncap>) {
    match e {
        Encap::Mpls { labels } => {
            let n = labels.len();
            let stack = labels
                .iter()
                .enumerate()
                .map(|(i, l)| MplsLabel {
                    label: *l,
                    traffic_class: 0,
                    bottom_of_stack: i + 1 == n,
                    ttl: 0,
                })
                .collect();
            (
                RouteLwEnCapType::Mpls,
                vec![RouteLwTunnelEncap::Mpls(RouteMplsIpTunnel::Destination(
                    stack,
                ))],
            )
        }
        Encap::Ip {
            id,
            dst,
            src,
            tos,
            ttl,
            flags,
        } => {
            let mut v = Vec::new();
            if *id != 0 {
                v.push(RouteIpTunnel::Id(*id));
            }
            if !dst.is_unspecified() {
                v.push(RouteIpTunnel::Destination(*dst));
            }
            if !src.is_unspecified() {
                v.push(RouteIpTunnel::Source(*src));
            }
            if *tos != 0 {
                v.push(RouteIpTunnel::Tos(*tos));
            }
            if *ttl != 0 {
                v.push(RouteIpTunnel::Ttl(*ttl));
            }
            if *flags != 0 {
                v.push(RouteIpTunnel::Flags(RouteIpTunnelFlags::from_bits_retain(
                    *flags,
                )));
            }
            (
                RouteLwEnCapType::Ip,
                v.into_iter().map(RouteLwTunnelEncap::Ip).collect(),
            )
        }
        Encap::Ip6 {
            id,
            dst,
            src,
            tc,
            hoplimit,
            flags,
        } => {
            let mut v = Vec::new();
            if *id != 0 {
                v.push(RouteIp6Tunnel::Id(*id));
            }
            if !dst.is_unspecified() {
                v.push(RouteIp6Tunnel::Destination(*dst));
            }
            if !src.is_unspecified() {
                v.push(RouteIp6Tunnel::Source(*src));
            }
            if *tc != 0 {
                v.push(RouteIp6Tunnel::Tc(*tc));
            }
            if *hoplimit != 0 {
                v.push(RouteIp6Tunnel::Hoplimit(*hoplimit));
            }
            if *flags != 0 {
                v.push(RouteIp6Tunnel::Flags(
                    RouteIp6TunnelFlags::from_bits_retain(*flags),
                ));
            }
            (
                RouteLwEnCapType::Ip6,
                v.into_iter().map(RouteLwTunnelEncap::Ip6).collect(),
            )
        }
    }
}

fn metric_of(m: &RouteMetric) -> Option<(u16, MetricValue)> {
    use MetricValue::{Name, Number};
    Some(match m {
        RouteMetric::Mtu(v) => (2, Number(*v)),
        RouteMetric::Window(v) => (3, Number(*v)),
        RouteMetric::Rtt(v) => (4, Number(*v)),
        RouteMetric::RttVar(v) => (5, Number(*v)),
        RouteMetric::SsThresh(v) => (6, Number(*v)),
        RouteMetric::Cwnd(v) => (7, Number(*v)),
        RouteMetric::Advmss(v) => (8, Number(*v)),
        RouteMetric::Reordering(v) => (9, Number(*v)),
        RouteMetric::Hoplimit(v) => (10, Number(*v)),
        RouteMetric::InitCwnd(v) => (11, Number(*v)),
        RouteMetric::Features(v) => (12, Number(*v)),
        RouteMetric::RtoMin(v) => (13, Number(*v)),
        RouteMetric::InitRwnd(v) => (14, Number(*v)),
        RouteMetric::QuickAck(v) => (15, Number(*v)),
        RouteMetric::CcAlgo(v) => (16, Name(v.clone())),
        RouteMetric::FastopenNoCookie(v) => (RTAX_FASTOPEN_NO_COOKIE, Number(*v)),
        _ => return None,
    })
}

fn metric_to(n: u16, v: &MetricValue) -> Option<RouteMetric> {
    Some(match (n, v) {
        (16, MetricValue::Name(s)) => RouteMetric::CcAlgo(s.clone()),
        (_, MetricValue::Number(v)) => match n {
            2 => RouteMetric::Mtu(*v),
            3 => RouteMetric::Window(*v),
            4 => RouteMetric::Rtt(*v),
            5 => RouteMetric::RttVar(*v),
            6 => RouteMetric::SsThresh(*v),
            7 => RouteMetric::Cwnd(*v),
            8 => RouteMetric::Advmss(*v),
            9 => RouteMetric::Reordering(*v),
            10 => RouteMetric::Hoplimit(*v),
            11 => RouteMetric::InitCwnd(*v),
            12 => RouteMetric::Features(*v),
            13 => RouteMetric::RtoMin(*v),
            14 => RouteMetric::InitRwnd(*v),
            15 => RouteMetric::QuickAck(*v),
            RTAX_FASTOPEN_NO_COOKIE => RouteMetric::FastopenNoCookie(*v),
            _ => return None,
        },
        _ => return None,
    })
}

/// `RTM_F_CLONED`: a cached route, not a configured one.
const RTM_F_CLONED: u32 = 0x200;

/// Reads the IPv4 and IPv6 routes of every table (cached routes excluded).
pub fn routes(
    sock: &mut NlSocket,
    names: &BTreeMap<u32, String>,
) -> Result<BTreeMap<RouteKey, Route>, KernelError> {
    let list = sock.dump(Msg::from(RouteNetlinkMessage::GetRoute(
        RouteMessage::default(),
    )))?;
    let mut out = BTreeMap::new();
    for m in list {
        let RouteNetlinkMessage::NewRoute(r) = m else {
            continue;
        };
        if let Some(x) = decode_route(&r, names) {
            out.insert(x.key.clone(), x);
        }
    }
    Ok(out)
}

fn decode_route(r: &RouteMessage, names: &BTreeMap<u32, String>) -> Option<Route> {
    let h = &r.header;
    let v6 = match h.address_family {
        AddressFamily::Inet => false,
        AddressFamily::Inet6 => true,
        _ => return None,
    };
    if h.flags.bits() & RTM_F_CLONED != 0 {
        return None;
    }
    let mut out = Route {
        key: RouteKey {
            table: u32::from(h.table),
            dst: Prefix {
                addr: unspecified(v6),
                len: h.destination_prefix_length,
            },
            tos: h.tos,
            metric: 0,
            from: None,
        },
        kind: u8::from(h.kind),
        protocol: u8::from(h.protocol),
        scope: if v6 { 0 } else { u8::from(h.scope) },
        gateway: None,
        dev: None,
        prefsrc: None,
        onlink: h.flags.contains(RouteFlags::Onlink),
        nexthops: Vec::new(),
        metrics: BTreeMap::new(),
        locked: 0,
        pref: None,
        realms: None,
        expires: None,
        encap: None,
    };
    for a in &r.attributes {
        match a {
            RouteAttribute::Table(t) => out.key.table = *t,
            RouteAttribute::Destination(d) => out.key.dst.addr = route_ip(d)?,
            RouteAttribute::Source(s) => {
                out.key.from = Some(Prefix {
                    addr: route_ip(s)?,
                    len: h.source_prefix_length,
                });
            }
            RouteAttribute::Priority(p) => out.key.metric = *p,
            RouteAttribute::Gateway(g) => out.gateway = route_ip(g),
            RouteAttribute::Via(RouteVia::Inet(g)) => out.gateway = Some(IpAddr::V4(*g)),
            RouteAttribute::Via(RouteVia::Inet6(g)) => out.gateway = Some(IpAddr::V6(*g)),
            RouteAttribute::Oif(i) => out.dev = names.get(i).cloned(),
            RouteAttribute::PrefSource(s) => out.prefsrc = route_ip(s),
            RouteAttribute::Preference(p) => out.pref = Some(u8::from(*p)),
            RouteAttribute::Metrics(ms) => {
                for m in ms {
                    match m {
                        RouteMetric::Lock(l) => out.locked = *l,
                        m => out.metrics.extend(metric_of(m)),
                    }
                }
            }
            RouteAttribute::Realm(r) => {
                out.realms = Some((u32::from(r.source) << 16) | u32::from(r.destination));
            }
            RouteAttribute::CacheInfo(c) if c.expires != 0 => {
                out.expires = Some(c.expires / USER_HZ);
            }
            RouteAttribute::Encap(e) => out.encap = encap_of(e).map(Box::new),
            RouteAttribute::MultiPath(hops) => {
                for nh in hops {
                    let mut gw = None;
                    for x in &nh.attributes {
                        match x {
                            RouteAttribute::Gateway(g) => gw = route_ip(g),
                            RouteAttribute::Via(RouteVia::Inet(g)) => gw = Some(IpAddr::V4(*g)),
                            RouteAttribute::Via(RouteVia::Inet6(g)) => {
                                gw = Some(IpAddr::V6(*g));
                            }
                            _ => {}
                        }
                    }
                    out.nexthops.push(Nexthop {
                        gateway: gw,
                        dev: names.get(&nh.interface_index).cloned(),
                        weight: u16::from(nh.hops) + 1,
                        onlink: nh.flags.contains(RouteNextHopFlags::Onlink),
                    });
                }
                out.nexthops.sort();
            }
            _ => {}
        }
    }
    Some(out)
}

/// Reads the IPv4 and IPv6 rules.
pub fn rules(sock: &mut NlSocket) -> Result<BTreeMap<Rule, Rule>, KernelError> {
    let list = sock.dump(Msg::from(RouteNetlinkMessage::GetRule(
        RuleMessage::default(),
    )))?;
    let mut out = BTreeMap::new();
    for m in list {
        let RouteNetlinkMessage::NewRule(r) = m else {
            continue;
        };
        if let Some(x) = decode_rule(&r) {
            out.insert(x.key(), x);
        }
    }
    Ok(out)
}

fn decode_rule(r: &RuleMessage) -> Option<Rule> {
    let h = &r.header;
    let v6 = match h.family {
        AddressFamily::Inet => false,
        AddressFamily::Inet6 => true,
        _ => return None,
    };
    let mut out = Rule {
        v6,
        priority: 0,
        src: None,
        dst: None,
        invert: h.flags.contains(RuleFlags::Invert),
        tos: h.tos,
        fwmark: None,
        iif: None,
        oif: None,
        action: u8::from(h.action),
        table: u32::from(h.table),
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
        protocol: 0,
    };
    let mut mark = None;
    let mut mask = None;
    for a in &r.attributes {
        match a {
            RuleAttribute::Priority(p) => out.priority = *p,
            RuleAttribute::Source(s) => {
                out.src = Some(Prefix {
                    addr: *s,
                    len: h.src_len,
                });
            }
            RuleAttribute::Destination(d) => {
                out.dst = Some(Prefix {
                    addr: *d,
                    len: h.dst_len,
                });
            }
            RuleAttribute::Table(t) => out.table = *t,
            RuleAttribute::FwMark(m) => mark = Some(*m),
            RuleAttribute::FwMask(m) => mask = Some(*m),
            RuleAttribute::Iifname(n) => out.iif = Some(n.clone()),
            RuleAttribute::Oifname(n) => out.oif = Some(n.clone()),
            RuleAttribute::Goto(g) => out.goto = Some(*g),
            RuleAttribute::SuppressPrefixLen(n) if *n != u32::MAX => {
                out.suppress_prefixlen = Some(*n);
            }
            RuleAttribute::SuppressIfGroup(n) if *n != u32::MAX => {
                out.suppress_ifgroup = Some(*n);
            }
            RuleAttribute::UidRange(u) => out.uid_range = Some((u.start, u.end)),
            RuleAttribute::IpProtocol(p) => out.ipproto = Some(u8::from(*p)),
            RuleAttribute::SourcePortRange(p) => out.sport = Some((p.start, p.end)),
            RuleAttribute::DestinationPortRange(p) => out.dport = Some((p.start, p.end)),
            RuleAttribute::L3MDev(b) => out.l3mdev = *b,
            RuleAttribute::Realm(r) => {
                out.realm = Some((u32::from(r.source) << 16) | u32::from(r.destination));
            }
            RuleAttribute::TunId(t) => out.tun_id = Some(*t),
            RuleAttribute::Protocol(p) => out.protocol = u8::from(*p),
            _ => {}
        }
    }
    if mark.is_some() || mask.is_some() {
        out.fwmark = Some((mark.unwrap_or(0), mask.unwrap_or(u32::MAX)));
    }
    Some(out)
}

fn ifindex(links: &BTreeMap<String, u32>, name: &str) -> Result<u32, KernelError> {
    links
        .get(name)
        .copied()
        .ok_or_else(|| KernelError::NoInterface(name.to_string()))
}

fn with_flags(inner: RouteNetlinkMessage, flags: u16) -> Msg {
    let mut m = Msg::from(inner);
    m.header.flags = flags;
    m
}

fn address_message(
    a: &Address,
    links: &BTreeMap<String, u32>,
) -> Result<AddressMessage, KernelError> {
    let k = &a.key;
    let v6 = k.addr.is_ipv6();
    let mut m = AddressMessage::default();
    m.header.family = family(v6);
    m.header.prefix_len = k.prefix_len;
    m.header.index = ifindex(links, &k.dev)?;
    m.header.scope = a.scope.into();
    m.header.flags = AddressHeaderFlags::from_bits_retain((a.flags & 0xff) as u8);
    m.attributes.push(AddressAttribute::Local(k.addr));
    m.attributes
        .push(AddressAttribute::Address(a.peer.unwrap_or(k.addr)));
    Ok(m)
}

fn route_message(
    r: &Route,
    links: &BTreeMap<String, u32>,
    full: bool,
) -> Result<RouteMessage, KernelError> {
    let k = &r.key;
    let v6 = k.dst.addr.is_ipv6();
    let mut m = RouteMessage::default();
    let h = &mut m.header;
    h.address_family = family(v6);
    h.destination_prefix_length = k.dst.len;
    h.tos = k.tos;
    h.table = u8::try_from(k.table).unwrap_or(0);
    h.protocol = r.protocol.into();
    h.kind = r.kind.into();
    h.scope = if full {
        r.scope.into()
    } else {
        scope::NOWHERE.into()
    };
    let at = &mut m.attributes;
    at.push(RouteAttribute::Table(k.table));
    at.push(RouteAttribute::Destination(k.dst.addr.into()));
    if let Some(f) = k.from {
        m.header.source_prefix_length = f.len;
        at.push(RouteAttribute::Source(f.addr.into()));
    }
    at.push(RouteAttribute::Priority(k.metric));
    if !full {
        return Ok(m);
    }
    if r.onlink {
        m.header.flags = RouteFlags::Onlink;
    }
    if let Some(g) = r.gateway {
        at.push(RouteAttribute::Gateway(g.into()));
    }
    if let Some(d) = &r.dev {
        at.push(RouteAttribute::Oif(ifindex(links, d)?));
    }
    if let Some(s) = r.prefsrc {
        at.push(RouteAttribute::PrefSource(s.into()));
    }
    let mut metrics: Vec<RouteMetric> = r
        .metrics
        .iter()
        .filter_map(|(n, v)| metric_to(*n, v))
        .collect();
    if r.locked != 0 {
        metrics.push(RouteMetric::Lock(r.locked));
    }
    if !metrics.is_empty() {
        at.push(RouteAttribute::Metrics(metrics));
    }
    if let Some(p) = r.pref.filter(|_| v6) {
        at.push(RouteAttribute::Preference(RoutePreference::from(p)));
    }
    if let Some(x) = r.realms {
        at.push(RouteAttribute::Realm(RouteRealm {
            source: (x >> 16) as u16,
            destination: (x & 0xffff) as u16,
        }));
    }
    if let Some(e) = r.expires {
        at.push(RouteAttribute::Expires(e));
    }
    if let Some(e) = &r.encap {
        let (kind, encap) = encap_to(e);
        at.push(RouteAttribute::EncapType(kind));
        at.push(RouteAttribute::Encap(encap));
    }
    if !r.nexthops.is_empty() {
        let mut hops = Vec::new();
        for nh in &r.nexthops {
            let mut x = RouteNextHop::default();
            x.hops = u8::try_from(nh.weight.saturating_sub(1)).unwrap_or(255);
            if let Some(d) = &nh.dev {
                x.interface_index = ifindex(links, d)?;
            }
            if nh.onlink {
                x.flags = RouteNextHopFlags::Onlink;
            }
            if let Some(g) = nh.gateway {
                x.attributes.push(RouteAttribute::Gateway(g.into()));
            }
            hops.push(x);
        }
        at.push(RouteAttribute::MultiPath(hops));
    }
    Ok(m)
}

fn rule_message(r: &Rule) -> RuleMessage {
    let mut m = RuleMessage::default();
    let h = &mut m.header;
    h.family = family(r.v6);
    h.tos = r.tos;
    h.table = u8::try_from(r.table).unwrap_or(0);
    h.action = RuleAction::from(r.action);
    if r.invert {
        h.flags = RuleFlags::Invert;
    }
    let at = &mut m.attributes;
    at.push(RuleAttribute::Priority(r.priority));
    if let Some(s) = r.src {
        m.header.src_len = s.len;
        at.push(RuleAttribute::Source(s.addr));
    }
    if let Some(d) = r.dst {
        m.header.dst_len = d.len;
        at.push(RuleAttribute::Destination(d.addr));
    }
    if r.table != 0 {
        at.push(RuleAttribute::Table(r.table));
    }
    if let Some((mark, mask)) = r.fwmark {
        at.push(RuleAttribute::FwMark(mark));
        at.push(RuleAttribute::FwMask(mask));
    }
    if let Some(i) = &r.iif {
        at.push(RuleAttribute::Iifname(i.clone()));
    }
    if let Some(o) = &r.oif {
        at.push(RuleAttribute::Oifname(o.clone()));
    }
    if let Some(g) = r.goto {
        at.push(RuleAttribute::Goto(g));
    }
    if let Some(n) = r.suppress_prefixlen {
        at.push(RuleAttribute::SuppressPrefixLen(n));
    }
    if let Some(n) = r.suppress_ifgroup {
        at.push(RuleAttribute::SuppressIfGroup(n));
    }
    if let Some((start, end)) = r.uid_range {
        at.push(RuleAttribute::UidRange(RuleUidRange { start, end }));
    }
    if let Some(p) = r.ipproto {
        at.push(RuleAttribute::IpProtocol(IpProtocol::from(p)));
    }
    if let Some((start, end)) = r.sport {
        at.push(RuleAttribute::SourcePortRange(RulePortRange { start, end }));
    }
    if let Some((start, end)) = r.dport {
        at.push(RuleAttribute::DestinationPortRange(RulePortRange {
            start,
            end,
        }));
    }
    if r.l3mdev {
        at.push(RuleAttribute::L3MDev(true));
    }
    if let Some(x) = r.realm {
        at.push(RuleAttribute::Realm(RouteRealm {
            source: (x >> 16) as u16,
            destination: (x & 0xffff) as u16,
        }));
    }
    if let Some(t) = r.tun_id {
        at.push(RuleAttribute::TunId(t));
    }
    at.push(RuleAttribute::Protocol(r.protocol.into()));
    m
}

/// Sets a link kac just made up (`addrgenmode`: only turns its IPv6 address generation
/// off, which must come first: a link coming up gets its link-local address at once).
pub fn link_up(index: u32, addrgenmode: bool) -> Msg {
    let mut m = LinkMessage::default();
    m.header.index = index;
    if addrgenmode {
        m.attributes
            .push(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
                vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::None)],
            )]));
    } else {
        m.header.flags = LinkFlags::Up;
        m.header.change_mask = LinkFlags::Up;
    }
    with_flags(RouteNetlinkMessage::SetLink(m), 0)
}

/// The request for a route-channel op; `links` maps interface names to indexes.
pub fn encode(op: &Op, links: &BTreeMap<String, u32>) -> Result<Msg, KernelError> {
    let add = NLM_F_CREATE | NLM_F_EXCL;
    Ok(match op {
        // Made down; [`link_up`] follows once it has an index.
        Op::AddLink(l) => {
            let mut m = LinkMessage::default();
            m.attributes.push(LinkAttribute::IfName(l.name.clone()));
            m.attributes
                .push(LinkAttribute::Link(ifindex(links, &l.parent)?));
            m.attributes.push(LinkAttribute::Address(l.mac.to_vec()));
            m.attributes.push(LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::MacVlan),
                LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(l.mode.into())])),
            ]));

            with_flags(RouteNetlinkMessage::NewLink(m), add)
        }
        Op::DelLink(l) => {
            let mut m = LinkMessage::default();
            m.header.index = ifindex(links, &l.name)?;
            with_flags(RouteNetlinkMessage::DelLink(m), 0)
        }
        Op::AddAddress(a) => {
            let mut m = address_message(a, links)?;
            if let Some(b) = a.broadcast {
                m.attributes.push(AddressAttribute::Broadcast(b));
            }
            if let Some(l) = &a.label {
                m.attributes.push(AddressAttribute::Label(l.clone()));
            }
            if a.flags != 0 {
                m.attributes
                    .push(AddressAttribute::Flags(AddressFlags::from_bits_retain(
                        a.flags,
                    )));
            }
            if let Some(p) = a.preferred_lft {
                let mut c = CacheInfo::default();
                c.ifa_preferred = p;
                c.ifa_valid = INFINITY_LIFE_TIME;
                m.attributes.push(AddressAttribute::CacheInfo(c));
            }
            with_flags(RouteNetlinkMessage::NewAddress(m), add)
        }
        Op::DelAddress(a) => with_flags(
            RouteNetlinkMessage::DelAddress(address_message(a, links)?),
            0,
        ),
        Op::AddRoute(r) => with_flags(
            RouteNetlinkMessage::NewRoute(route_message(r, links, true)?),
            add,
        ),
        Op::ReplaceRoute { to, .. } => with_flags(
            RouteNetlinkMessage::NewRoute(route_message(to, links, true)?),
            NLM_F_CREATE | NLM_F_REPLACE,
        ),
        Op::DelRoute(r) => with_flags(
            RouteNetlinkMessage::DelRoute(route_message(r, links, false)?),
            0,
        ),
        Op::AddRule(r) => with_flags(RouteNetlinkMessage::NewRule(rule_message(r)), add),
        Op::DelRule(r) => with_flags(RouteNetlinkMessage::DelRule(rule_message(r)), 0),
        _ => return Err(KernelError::Io(format!("`{op}` is not an rtnetlink op"))),
    })
}
