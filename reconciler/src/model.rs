//! The kernel objects kac manages, in kernel terms (numbers, not keepalived words), shared by
//! [`crate::desired`] and [`crate::observed`]: addresses, routes, rules, macvlan (VMAC) links and
//! IPVS services with their destinations.
//!
//! Every object has a *key*: the part the kernel identifies it by. Two objects with the same
//! key and different attributes are the same object in two states (an edit); a different key
//! is a different object.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

/// kac's route protocol number (`proto 75` in `ip route`): marks the routes and rules kac put
/// in the kernel. Not used by iproute2's `rt_protos` (0–18, 42, 99, 186–192), keepalived (18)
/// or FRR (186–198).
pub const KAC_PROTOCOL: u8 = 75;

/// Route types (`RTN_*`).
pub mod rtn {
    /// `unicast`.
    pub const UNICAST: u8 = 1;
    /// `local`.
    pub const LOCAL: u8 = 2;
    /// `broadcast`.
    pub const BROADCAST: u8 = 3;
    /// `anycast`.
    pub const ANYCAST: u8 = 4;
    /// `multicast`.
    pub const MULTICAST: u8 = 5;
    /// `blackhole`.
    pub const BLACKHOLE: u8 = 6;
    /// `unreachable`.
    pub const UNREACHABLE: u8 = 7;
    /// `prohibit`.
    pub const PROHIBIT: u8 = 8;
    /// `throw`.
    pub const THROW: u8 = 9;
    /// `nat`.
    pub const NAT: u8 = 10;
    /// `xresolve`.
    pub const XRESOLVE: u8 = 11;
    /// Names, indexed by number.
    pub const NAMES: [&str; 12] = [
        "unspec",
        "unicast",
        "local",
        "broadcast",
        "anycast",
        "multicast",
        "blackhole",
        "unreachable",
        "prohibit",
        "throw",
        "nat",
        "xresolve",
    ];
}

/// Route and address scopes (`RT_SCOPE_*`).
pub mod scope {
    /// `global` / `universe`.
    pub const UNIVERSE: u8 = 0;
    /// `site`.
    pub const SITE: u8 = 200;
    /// `link`.
    pub const LINK: u8 = 253;
    /// `host`.
    pub const HOST: u8 = 254;
    /// `nowhere`.
    pub const NOWHERE: u8 = 255;

    /// The iproute2 name of a scope number.
    pub fn name(s: u8) -> String {
        match s {
            UNIVERSE => "global".into(),
            SITE => "site".into(),
            LINK => "link".into(),
            HOST => "host".into(),
            NOWHERE => "nowhere".into(),
            n => n.to_string(),
        }
    }
}

/// Address flags kac manages (`IFA_F_*`); the kernel's own flags (permanent, tentative,
/// secondary, …) are not compared.
pub mod ifa {
    /// `nodad` (IPv6).
    pub const NODAD: u32 = 0x02;
    /// `home` (IPv6).
    pub const HOMEADDRESS: u32 = 0x10;
    /// `mngtmpaddr` (IPv6).
    pub const MANAGETEMPADDR: u32 = 0x100;
    /// `noprefixroute`.
    pub const NOPREFIXROUTE: u32 = 0x200;
    /// `autojoin`.
    pub const MCAUTOJOIN: u32 = 0x400;
    /// Deprecated (preferred lifetime 0): keepalived adds IPv6 /128 addresses so, to keep them
    /// from being chosen as source addresses.
    pub const DEPRECATED: u32 = 0x20;
    /// All flags kac sets and compares.
    pub const MANAGED: u32 =
        NODAD | HOMEADDRESS | MANAGETEMPADDR | NOPREFIXROUTE | MCAUTOJOIN | DEPRECATED;
    /// Names, in display order.
    pub const NAMES: [(u32, &str); 6] = [
        (HOMEADDRESS, "home"),
        (NODAD, "nodad"),
        (DEPRECATED, "preferred_lft 0"),
        (MANAGETEMPADDR, "mngtmpaddr"),
        (NOPREFIXROUTE, "noprefixroute"),
        (MCAUTOJOIN, "autojoin"),
    ];
}

/// An address with a prefix length (`10.0.0.0/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Prefix {
    /// Address.
    pub addr: IpAddr,
    /// Prefix length.
    pub len: u8,
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// What identifies an address: interface, address and prefix length.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AddressKey {
    /// Interface name.
    pub dev: String,
    /// Address (the local address, for point-to-point addresses).
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
}

impl fmt::Display for AddressKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "addr {}/{} dev {}", self.addr, self.prefix_len, self.dev)
    }
}

/// An interface address.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Address {
    /// Interface, address and prefix length.
    pub key: AddressKey,
    /// Point-to-point peer.
    pub peer: Option<IpAddr>,
    /// Broadcast address (IPv4).
    pub broadcast: Option<Ipv4Addr>,
    /// Label (IPv4; `None` means the interface name, the kernel's default).
    pub label: Option<String>,
    /// Scope (IPv4; the kernel derives IPv6 scopes from the address).
    pub scope: u8,
    /// Managed `IFA_F_*` flags ([`ifa::MANAGED`]).
    pub flags: u32,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.key;
        write!(f, "addr {}/{}", k.addr, k.prefix_len)?;
        if let Some(p) = self.peer {
            write!(f, " peer {p}")?;
        }
        write!(f, " dev {}", k.dev)?;
        if let Some(b) = self.broadcast {
            write!(f, " brd {b}")?;
        }
        if self.scope != scope::UNIVERSE {
            write!(f, " scope {}", scope::name(self.scope))?;
        }
        if let Some(l) = &self.label {
            write!(f, " label {l}")?;
        }
        for (bit, name) in ifa::NAMES {
            if self.flags & bit != 0 {
                write!(f, " {name}")?;
            }
        }
        Ok(())
    }
}

/// What identifies a route in the kernel: table, destination, TOS, metric and (IPv6) source
/// prefix. Everything else can be replaced in place.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RouteKey {
    /// Routing table number.
    pub table: u32,
    /// Destination.
    pub dst: Prefix,
    /// TOS / DS field.
    pub tos: u8,
    /// Metric (priority); the kernel's default is 0 for IPv4 and 1024 for IPv6.
    pub metric: u32,
    /// IPv6 source prefix (`from`).
    pub from: Option<Prefix>,
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "route {}", self.dst)?;
        key_suffix(f, self)
    }
}

fn key_suffix(f: &mut fmt::Formatter<'_>, k: &RouteKey) -> fmt::Result {
    if let Some(p) = k.from {
        write!(f, " from {p}")?;
    }
    if k.tos != 0 {
        write!(f, " tos {:#x}", k.tos)?;
    }
    if k.table != 254 {
        write!(f, " table {}", k.table)?;
    }
    if k.metric != 0 {
        write!(f, " metric {}", k.metric)?;
    }
    Ok(())
}

/// One next hop of a multipath route.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Nexthop {
    /// Gateway.
    pub gateway: Option<IpAddr>,
    /// Interface.
    pub dev: Option<String>,
    /// Weight, 1..=256.
    pub weight: u16,
    /// `onlink`.
    pub onlink: bool,
}

/// A route metric (`RTAX_*`) value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MetricValue {
    /// A number (`mtu 1400`).
    Number(u32),
    /// A name (`congctl cubic`).
    Name(String),
}

/// A route.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Route {
    /// Table, destination, TOS, metric, source prefix.
    pub key: RouteKey,
    /// Type ([`rtn`]).
    pub kind: u8,
    /// Route protocol ([`KAC_PROTOCOL`] unless the configuration names one).
    pub protocol: u8,
    /// Scope (IPv4).
    pub scope: u8,
    /// Gateway.
    pub gateway: Option<IpAddr>,
    /// Output interface.
    pub dev: Option<String>,
    /// Preferred source address.
    pub prefsrc: Option<IpAddr>,
    /// `onlink`.
    pub onlink: bool,
    /// Multipath next hops (empty for a single path).
    pub nexthops: Vec<Nexthop>,
    /// Metrics by `RTAX_*` number (`mtu`, `advmss`, `congctl`, …).
    pub metrics: BTreeMap<u16, MetricValue>,
    /// IPv6 router preference (`pref`: 0 medium, 1 high, 3 low).
    pub pref: Option<u8>,
}

/// `RTAX_*` numbers and names of the route metrics kac supports.
pub const ROUTE_METRICS: [(u16, &str); 14] = [
    (2, "mtu"),
    (3, "window"),
    (4, "rtt"),
    (5, "rttvar"),
    (6, "ssthresh"),
    (7, "cwnd"),
    (8, "advmss"),
    (9, "reordering"),
    (10, "hoplimit"),
    (11, "initcwnd"),
    (12, "features"),
    (14, "initrwnd"),
    (15, "quickack"),
    (16, "congctl"),
];

/// `RTAX_FASTOPEN_NO_COOKIE`.
pub const RTAX_FASTOPEN_NO_COOKIE: u16 = 17;

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("route ")?;
        if self.kind != rtn::UNICAST {
            let name = rtn::NAMES
                .get(usize::from(self.kind))
                .copied()
                .unwrap_or("?");
            write!(f, "{name} ")?;
        }
        write!(f, "{}", self.key.dst)?;
        if let Some(p) = self.key.from {
            write!(f, " from {p}")?;
        }
        if let Some(g) = self.gateway {
            write!(f, " via {g}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {d}")?;
        }
        if let Some(s) = self.prefsrc {
            write!(f, " src {s}")?;
        }
        let k = RouteKey {
            from: None,
            ..self.key.clone()
        };
        key_suffix(f, &k)?;
        if self.key.dst.addr.is_ipv4() && self.scope != scope::UNIVERSE {
            write!(f, " scope {}", scope::name(self.scope))?;
        }
        if self.protocol != KAC_PROTOCOL {
            write!(f, " proto {}", self.protocol)?;
        }
        if self.onlink {
            f.write_str(" onlink")?;
        }
        for (n, v) in &self.metrics {
            let name = ROUTE_METRICS
                .iter()
                .find(|(k, _)| k == n)
                .map_or("fastopen_no_cookie", |(_, name)| name);
            match v {
                MetricValue::Number(x) => write!(f, " {name} {x}")?,
                MetricValue::Name(x) => write!(f, " {name} {x}")?,
            }
        }
        match self.pref {
            Some(1) => f.write_str(" pref high")?,
            Some(3) => f.write_str(" pref low")?,
            _ => {}
        }
        for nh in &self.nexthops {
            f.write_str(" nexthop")?;
            if let Some(g) = nh.gateway {
                write!(f, " via {g}")?;
            }
            if let Some(d) = &nh.dev {
                write!(f, " dev {d}")?;
            }
            write!(f, " weight {}", nh.weight)?;
            if nh.onlink {
                f.write_str(" onlink")?;
            }
        }
        Ok(())
    }
}

/// Rule actions (`FR_ACT_*`).
pub mod fr_act {
    /// Look up a table.
    pub const TO_TBL: u8 = 1;
    /// Jump to another rule.
    pub const GOTO: u8 = 2;
    /// Do nothing.
    pub const NOP: u8 = 3;
    /// Drop silently.
    pub const BLACKHOLE: u8 = 6;
    /// Drop with "network unreachable".
    pub const UNREACHABLE: u8 = 7;
    /// Drop with "prohibited".
    pub const PROHIBIT: u8 = 8;
}

/// A policy routing rule. Its key is the whole rule except the protocol ([`Rule::key`]):
/// the kernel has no "replace" for rules.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rule {
    /// IPv6 (else IPv4).
    pub v6: bool,
    /// Preference.
    pub priority: u32,
    /// Source prefix.
    pub src: Option<Prefix>,
    /// Destination prefix.
    pub dst: Option<Prefix>,
    /// `not`.
    pub invert: bool,
    /// TOS.
    pub tos: u8,
    /// Firewall mark and mask.
    pub fwmark: Option<(u32, u32)>,
    /// Input interface.
    pub iif: Option<String>,
    /// Output interface.
    pub oif: Option<String>,
    /// Action ([`fr_act`]).
    pub action: u8,
    /// Table looked up (0 when not a lookup).
    pub table: u32,
    /// Goto target.
    pub goto: Option<u32>,
    /// `suppress_prefixlength`.
    pub suppress_prefixlen: Option<u32>,
    /// `suppress_ifgroup`.
    pub suppress_ifgroup: Option<u32>,
    /// `uidrange`.
    pub uid_range: Option<(u32, u32)>,
    /// `ipproto`.
    pub ipproto: Option<u8>,
    /// `sport` range.
    pub sport: Option<(u16, u16)>,
    /// `dport` range.
    pub dport: Option<(u16, u16)>,
    /// `l3mdev`.
    pub l3mdev: bool,
    /// `realms` (from << 16 | to).
    pub realm: Option<u32>,
    /// `tunnel-id`.
    pub tun_id: Option<u64>,
    /// Rule protocol (not part of the key).
    pub protocol: u8,
}

impl Rule {
    /// The rule as a key: the protocol zeroed.
    pub fn key(&self) -> Rule {
        Rule {
            protocol: 0,
            ..self.clone()
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule")?;
        if self.v6 {
            f.write_str(" -6")?;
        }
        write!(f, " pref {}", self.priority)?;
        if self.invert {
            f.write_str(" not")?;
        }
        match self.src {
            Some(p) => write!(f, " from {p}")?,
            None => f.write_str(" from all")?,
        }
        if let Some(p) = self.dst {
            write!(f, " to {p}")?;
        }
        if self.tos != 0 {
            write!(f, " tos {:#x}", self.tos)?;
        }
        match self.fwmark {
            Some((m, u32::MAX)) => write!(f, " fwmark {m:#x}")?,
            Some((m, mask)) => write!(f, " fwmark {m:#x}/{mask:#x}")?,
            None => {}
        }
        if let Some(i) = &self.iif {
            write!(f, " iif {i}")?;
        }
        if let Some(o) = &self.oif {
            write!(f, " oif {o}")?;
        }
        if let Some((a, b)) = self.uid_range {
            write!(f, " uidrange {a}-{b}")?;
        }
        if let Some(p) = self.ipproto {
            write!(f, " ipproto {p}")?;
        }
        if let Some((a, b)) = self.sport {
            write!(f, " sport {a}-{b}")?;
        }
        if let Some((a, b)) = self.dport {
            write!(f, " dport {a}-{b}")?;
        }
        if let Some(t) = self.tun_id {
            write!(f, " tun_id {t}")?;
        }
        if self.l3mdev {
            f.write_str(" l3mdev")?;
        }
        if let Some(r) = self.realm {
            write!(f, " realms {}/{}", r >> 16, r & 0xffff)?;
        }
        if let Some(n) = self.suppress_prefixlen {
            write!(f, " suppress_prefixlength {n}")?;
        }
        if let Some(n) = self.suppress_ifgroup {
            write!(f, " suppress_ifgroup {n}")?;
        }
        match self.action {
            fr_act::TO_TBL if self.table != 0 => write!(f, " lookup {}", self.table)?,
            fr_act::TO_TBL => {}
            fr_act::GOTO => write!(f, " goto {}", self.goto.unwrap_or(0))?,
            fr_act::NOP => f.write_str(" nop")?,
            fr_act::BLACKHOLE => f.write_str(" blackhole")?,
            fr_act::UNREACHABLE => f.write_str(" unreachable")?,
            fr_act::PROHIBIT => f.write_str(" prohibit")?,
            n => write!(f, " action {n}")?,
        }
        if self.protocol != KAC_PROTOCOL && self.protocol != 0 {
            write!(f, " proto {}", self.protocol)?;
        }
        Ok(())
    }
}

/// A macvlan link (keepalived's VMAC interface).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MacvlanLink {
    /// Interface name (`vrrp.51`).
    pub name: String,
    /// Parent interface.
    pub parent: String,
    /// MAC address.
    pub mac: [u8; 6],
    /// macvlan mode (`MACVLAN_MODE_*`: 1 private, 2 vepa, 4 bridge, 8 passthru, 16 source).
    pub mode: u32,
}

impl fmt::Display for MacvlanLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.mac;
        let mode = match self.mode {
            1 => "private",
            2 => "vepa",
            4 => "bridge",
            8 => "passthru",
            16 => "source",
            _ => "?",
        };
        write!(
            f,
            "link {} type macvlan mode {mode} link {} address {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            self.name, self.parent, m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// IPVS service flags (`IP_VS_SVC_F_*`).
pub mod svc_flags {
    /// Persistent.
    pub const PERSISTENT: u32 = 0x01;
    /// Kernel-internal "hashed" flag, never compared.
    pub const HASHED: u32 = 0x02;
    /// One-packet scheduling (`ops`).
    pub const ONEPACKET: u32 = 0x04;
    /// Scheduler flag 1 (`sh-fallback`, `mh-fallback`).
    pub const SCHED1: u32 = 0x08;
    /// Scheduler flag 2 (`sh-port`, `mh-port`).
    pub const SCHED2: u32 = 0x10;
    /// Scheduler flag 3.
    pub const SCHED3: u32 = 0x20;
    /// The flags kac sets and compares.
    pub const MANAGED: u32 = PERSISTENT | ONEPACKET | SCHED1 | SCHED2 | SCHED3;
}

/// IPVS forwarding methods (`IP_VS_CONN_F_*` forwarding bits).
pub mod fwd {
    /// NAT (masquerading).
    pub const MASQ: u32 = 0;
    /// IP-in-IP tunnel.
    pub const TUNNEL: u32 = 2;
    /// Direct routing.
    pub const DROUTE: u32 = 3;
    /// The name `ipvsadm -Ln` prints.
    pub fn name(m: u32) -> &'static str {
        match m & 7 {
            MASQ => "masq",
            1 => "local",
            TUNNEL => "tunnel",
            DROUTE => "route",
            _ => "bypass",
        }
    }
}

/// What identifies an IPVS service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ServiceKey {
    /// Address, port and IP protocol number (6 TCP, 17 UDP, 132 SCTP).
    Addr {
        /// IP protocol number.
        protocol: u16,
        /// Virtual address.
        addr: IpAddr,
        /// Port (0 = all ports).
        port: u16,
    },
    /// Firewall mark.
    Fwmark {
        /// Mark.
        mark: u32,
        /// IPv6 (else IPv4).
        v6: bool,
    },
}

impl ServiceKey {
    /// Whether the service is IPv6.
    pub fn is_v6(&self) -> bool {
        match self {
            ServiceKey::Addr { addr, .. } => addr.is_ipv6(),
            ServiceKey::Fwmark { v6, .. } => *v6,
        }
    }
}

/// The name of an IP protocol number IPVS balances.
pub fn protocol_name(p: u16) -> String {
    match p {
        6 => "tcp".into(),
        17 => "udp".into(),
        132 => "sctp".into(),
        n => format!("proto-{n}"),
    }
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            } => write!(
                f,
                "{} {}",
                protocol_name(protocol),
                SocketAddr::new(addr, port)
            ),
            ServiceKey::Fwmark { mark, v6 } => {
                write!(f, "fwmark {mark}")?;
                if v6 {
                    f.write_str(" inet6")?;
                }
                Ok(())
            }
        }
    }
}

/// The attributes of an IPVS service (everything but its key and destinations), all editable
/// in place.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServiceAttrs {
    /// Scheduler name.
    pub scheduler: String,
    /// Managed flags ([`svc_flags::MANAGED`]).
    pub flags: u32,
    /// Persistence timeout (s; 0 when not persistent).
    pub timeout: u32,
    /// Persistence netmask: an IPv4 mask as a number, or an IPv6 prefix length.
    pub netmask: u32,
    /// Persistence engine.
    pub pe_name: Option<String>,
}

/// The attributes of a destination (real server), all editable in place.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DestAttrs {
    /// Forwarding method ([`fwd`]).
    pub fwd: u32,
    /// Weight.
    pub weight: i32,
    /// Upper connection threshold (0 = none).
    pub u_threshold: u32,
    /// Lower connection threshold (0 = none).
    pub l_threshold: u32,
}

/// An IPVS service with its destinations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Key.
    pub key: ServiceKey,
    /// Attributes.
    pub attrs: ServiceAttrs,
    /// Destinations by (address, port).
    pub dests: BTreeMap<SocketAddr, DestAttrs>,
}

/// Flag names as `ipvsadm` prints them.
pub fn svc_flag_names(flags: u32, scheduler: &str) -> Vec<&'static str> {
    let mut v = Vec::new();
    let named = matches!(scheduler, "sh" | "mh");
    if flags & svc_flags::SCHED1 != 0 {
        v.push(match scheduler {
            "sh" => "sh-fallback",
            "mh" => "mh-fallback",
            _ => "flag-1",
        });
    }
    if flags & svc_flags::SCHED2 != 0 {
        v.push(match scheduler {
            "sh" => "sh-port",
            "mh" => "mh-port",
            _ => "flag-2",
        });
    }
    if flags & svc_flags::SCHED3 != 0 && !named {
        v.push("flag-3");
    }
    if flags & svc_flags::ONEPACKET != 0 {
        v.push("ops");
    }
    v
}

/// Formats the persistence netmask of a service for display.
pub fn netmask_text(key: &ServiceKey, netmask: u32) -> String {
    if key.is_v6() {
        netmask.to_string()
    } else {
        Ipv4Addr::from(netmask).to_string()
    }
}

/// IPVS connection timeouts (s); `None` leaves the kernel's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpvsTimeouts {
    /// TCP.
    pub tcp: Option<u32>,
    /// TCP FIN_WAIT.
    pub tcp_fin: Option<u32>,
    /// UDP.
    pub udp: Option<u32>,
}

impl fmt::Display for IpvsTimeouts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("lvs_timeouts")?;
        for (name, v) in [
            ("tcp", self.tcp),
            ("tcpfin", self.tcp_fin),
            ("udp", self.udp),
        ] {
            if let Some(v) = v {
                write!(f, " {name} {v}")?;
            }
        }
        Ok(())
    }
}
