//! The configuration model: what a keepalived configuration says, format-neutral, with spans.
//!
//! Every front end (keepalived.conf today; KDL and YAML later) produces a [`Config`]. Values
//! that were not written stay `None` here; defaults are filled in only when the plan is
//! built, so lint rules can tell "left at the default" from "set to the default".
//! Spans are carried beside values and ignored by equality ([`Spanned`]).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// A value with the span it was written at. Equality ignores the span.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    #[serde(skip)]
    pub span: Span,
}

impl Setting {
    /// A setting whose arguments are plain words.
    pub fn words(keyword: impl Into<String>, args: Vec<String>, span: Span) -> Self {
        let values = args.iter().cloned().map(SettingValue::Word).collect();
        Setting {
            keyword: keyword.into(),
            args,
            values,
            span,
        }
    }
}

impl<T> Spanned<T> {
    /// Wraps a value.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// A time value in microseconds (keepalived timers have µs resolution).
pub type Micros = u64;

/// An IP address with an optional prefix length, as written (`10.0.0.1/24`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IpPrefix {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length, if one was written.
    pub len: Option<u8>,
}

impl std::fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.len {
            Some(l) => write!(f, "{}/{}", self.addr, l),
            None => write!(f, "{}", self.addr),
        }
    }
}

/// A command line run by keepalived (scripts, notify), with the optional user and group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    /// argv, split as keepalived splits it (quotes and escapes applied).
    pub argv: Vec<String>,
    /// User to run as (`script_user` when `None`).
    pub user: Option<String>,
    /// Group to run as.
    pub group: Option<String>,
    /// Where it was written.
    #[serde(skip)]
    pub span: Span,
}

/// A typed argument value of a [`Setting`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingValue {
    /// An unsigned integer.
    Unsigned(u64),
    /// A signed integer.
    Signed(i64),
    /// A time in microseconds.
    Micros(Micros),
    /// A boolean (`true|on|yes` / `false|off|no`, or the keyword alone).
    Bool(bool),
    /// An IP address.
    Ip(IpAddr),
    /// A word (a name, path or one of a fixed set of words).
    Word(String),
}

/// A keyword stored generically rather than as a field of its block: its arguments checked
/// against the keyword's types and ranges and kept as typed values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    /// The keyword.
    pub keyword: String,
    /// Its arguments as written (after preprocessing).
    pub args: Vec<String>,
    /// The arguments as typed values, in order (words for arguments with no finer type).
    pub values: Vec<SettingValue>,
    /// Where it was written.
    #[serde(skip)]
    pub span: Span,
}

/// An observation about how the text was written, for lint rules (not a problem for keepalived).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceNote {
    /// Words after a keyword's arguments that keepalived silently ignores.
    ExtraWords {
        /// The keyword.
        keyword: String,
        /// The ignored words.
        words: Vec<String>,
        /// Span of the ignored words.
        #[serde(skip)]
        span: Span,
    },
    /// A physical line longer than 1023 bytes, which keepalived splits into two lines.
    LongLine {
        /// Its length in bytes.
        len: usize,
        /// Span of the line.
        #[serde(skip)]
        span: Span,
    },
    /// A word containing `;`, which keepalived treats as an ordinary character.
    Semicolon {
        /// The word.
        word: String,
        /// Where.
        #[serde(skip)]
        span: Span,
    },
    /// An address whose mask or range keepalived silently drops.
    DroppedAddressSuffix {
        /// The word as written.
        written: String,
        /// Where.
        #[serde(skip)]
        span: Span,
    },
}

/// The whole configuration of one host (one config id), as written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// `global_defs` and the top-level process settings.
    pub global: GlobalDefs,
    /// `static_ipaddress` entries.
    pub static_addresses: Vec<IpAddress>,
    /// `static_routes` entries.
    pub static_routes: Vec<Route>,
    /// `static_rules` entries.
    pub static_rules: Vec<Rule>,
    /// `vrrp_script` blocks in file order (duplicates kept; the first wins on lookup).
    pub vrrp_scripts: Vec<VrrpScript>,
    /// `track_file` blocks.
    pub track_files: Vec<TrackFile>,
    /// `vrrp_track_process` blocks.
    pub track_processes: Vec<TrackProcess>,
    /// `track_group` blocks.
    pub track_groups: Vec<NamedGroup>,
    /// `garp_group` blocks.
    pub garp_groups: Vec<GarpGroup>,
    /// `vrrp_sync_group` blocks.
    pub sync_groups: Vec<SyncGroup>,
    /// `vrrp_instance` blocks.
    pub vrrp_instances: Vec<VrrpInstance>,
    /// `bfd_instance` blocks.
    pub bfd_instances: Vec<BfdInstance>,
    /// The `SSL` block.
    pub ssl: Option<SslSettings>,
    /// `virtual_server_group` blocks.
    pub vs_groups: Vec<VsGroup>,
    /// `virtual_server` blocks.
    pub virtual_servers: Vec<VirtualServer>,
    /// `linkbeat_interfaces` entries.
    pub linkbeat_interfaces: Vec<Spanned<String>>,
    /// `interface_up_down_delays` entries: interface, down delay, up delay (µs).
    pub interface_delays: Vec<(Spanned<String>, Micros, Option<Micros>)>,
    /// Lexical observations for lint rules.
    pub notes: Vec<SourceNote>,
    /// Inline suppressions of lint findings (`# kac: allow(rule)` comments), in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
}

/// An inline suppression: a `# kac: allow(rule, …)` comment in keepalived.conf, `// kac:
/// allow(…)` in KDL, `# kac: allow(…)` in YAML.
///
/// It silences the findings of the named rules whose primary location is on line
/// [`Suppression::applies_to`] (through [`Suppression::applies_through`]) of the comment's
/// file: the statement the comment follows on its line, else the next statement. In
/// keepalived.conf a statement is one line; in KDL and YAML it is every line of the statement
/// (its keyword, values and options, not the block it opens). Names are rule names or
/// diagnostic codes (`kac::conf::deprecated`); see docs/lint.md.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suppression {
    /// The names in the parentheses, each with its span (empty when the comment does not
    /// have the `allow(NAME, …)` form).
    pub rules: Vec<Spanned<String>>,
    /// The comment, from its `#` (or `!`) to the end of the line.
    #[serde(skip)]
    pub comment: Span,
    /// The 1-based line it applies to, in the comment's file (`None`: no statement follows).
    pub applies_to: Option<u32>,
    /// The last line it applies to when the statement takes several lines (KDL, YAML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_through: Option<u32>,
    /// The bytes to delete to remove the comment: the comment with the blanks before it, or
    /// its whole line (with the line break) when the comment is alone on it.
    #[serde(skip)]
    pub removal: Span,
}

/// `global_defs` plus top-level settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GlobalDefs {
    /// `router_id`; `None` means the host name (resolved on the host).
    pub router_id: Option<Spanned<String>>,
    /// `notification_email` addresses.
    pub notification_email: Vec<String>,
    /// `notification_email_from`.
    pub notification_email_from: Option<String>,
    /// `smtp_server` address or name and port.
    pub smtp_server: Option<(String, Option<u16>)>,
    /// `smtp_helo_name`.
    pub smtp_helo_name: Option<String>,
    /// `smtp_connect_timeout` in seconds.
    pub smtp_connect_timeout: Option<u32>,
    /// `smtp_alert`.
    pub smtp_alert: Option<bool>,
    /// `smtp_alert_vrrp`.
    pub smtp_alert_vrrp: Option<bool>,
    /// `smtp_alert_checker`.
    pub smtp_alert_checker: Option<bool>,
    /// `script_user` user and group; `None` means keepalived's default user.
    pub script_user: Option<(String, Option<String>)>,
    /// `enable_script_security`.
    pub enable_script_security: bool,
    /// `vrrp_version`.
    pub vrrp_version: Option<u8>,
    /// `vrrp_mcast_group4`.
    pub vrrp_mcast_group4: Option<IpAddr>,
    /// `vrrp_mcast_group6`.
    pub vrrp_mcast_group6: Option<IpAddr>,
    /// `vrrp_strict`.
    pub vrrp_strict: bool,
    /// `vrrp_garp_master_delay` (s).
    pub vrrp_garp_master_delay: Option<u32>,
    /// `vrrp_garp_master_repeat`.
    pub vrrp_garp_master_repeat: Option<u32>,
    /// `vrrp_garp_master_refresh` (s).
    pub vrrp_garp_master_refresh: Option<u32>,
    /// `vrrp_garp_master_refresh_repeat`.
    pub vrrp_garp_master_refresh_repeat: Option<u32>,
    /// `vrrp_garp_interval` (µs).
    pub vrrp_garp_interval: Option<Micros>,
    /// `vrrp_gna_interval` (µs).
    pub vrrp_gna_interval: Option<Micros>,
    /// `dynamic_interfaces`.
    pub dynamic_interfaces: bool,
    /// `default_interface`.
    pub default_interface: Option<String>,
    /// `lvs_timeouts`: tcp, tcpfin, udp seconds.
    pub lvs_timeouts: Option<(Option<u32>, Option<u32>, Option<u32>)>,
    /// `lvs_flush`.
    pub lvs_flush: bool,
    /// `lvs_flush_on_stop`: `None` off, `Some(false)` all, `Some(true)` only VS.
    pub lvs_flush_on_stop: Option<bool>,
    /// `lvs_sync_daemon` interface, instance and options as written.
    pub lvs_sync_daemon: Option<Setting>,
    /// `random_seed`.
    pub random_seed: Option<u32>,
    /// `net_namespace` (top level).
    pub net_namespace: Option<String>,
    /// `instance` (top level).
    pub instance: Option<String>,
    /// Other validated global settings, in file order.
    pub other: Vec<Setting>,
}

/// The kind of an address entry's family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4.
    Inet,
    /// IPv6.
    Inet6,
}

/// One `static_ipaddress` / `virtual_ipaddress` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IpAddress {
    /// Address and prefix.
    pub addr: IpPrefix,
    /// `dev`.
    pub dev: Option<String>,
    /// `scope` as written.
    pub scope: Option<String>,
    /// `brd`/`broadcast` (`+`, `-` or an address).
    pub broadcast: Option<String>,
    /// `label`.
    pub label: Option<String>,
    /// `peer`.
    pub peer: Option<IpPrefix>,
    /// Flags: `home`, `-nodad`, `mngtmpaddr`, `noprefixroute`, `autojoin`, `no_track`, `use_vmac`.
    pub flags: Vec<String>,
    /// `preferred_lft`.
    pub preferred_lft: Option<String>,
    /// `track_group`.
    pub track_group: Option<String>,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// One `static_routes` / `virtual_routes` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Route type (`unicast` when not written).
    pub kind: Option<String>,
    /// Destination.
    pub dest: IpPrefix,
    /// `src`.
    pub src: Option<IpAddr>,
    /// `from` (IPv6 source routing).
    pub from: Option<IpPrefix>,
    /// `via`/`gw`.
    pub via: Option<IpAddr>,
    /// `dev`/`oif`.
    pub dev: Option<String>,
    /// `table`.
    pub table: Option<String>,
    /// `metric`/`priority`/`preference`.
    pub metric: Option<u32>,
    /// `protocol`.
    pub protocol: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `no_track`.
    pub no_track: bool,
    /// `track_group` (static routes).
    #[serde(default)]
    pub track_group: Option<String>,
    /// Multipath next hops.
    pub nexthops: Vec<RouteNexthop>,
    /// Other route options as written (`mtu 1400`, `onlink`, …).
    pub options: Vec<String>,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// One `nexthop …` of a multipath route.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteNexthop {
    /// `via`.
    pub via: Option<IpAddr>,
    /// `dev`.
    pub dev: Option<String>,
    /// `weight` (1..256).
    pub weight: Option<u16>,
    /// `onlink`.
    pub onlink: bool,
}

/// One `static_rules` / `virtual_rules` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// `from`.
    pub from: Option<IpPrefix>,
    /// `to`.
    pub to: Option<IpPrefix>,
    /// `table`/`lookup`.
    pub table: Option<String>,
    /// `preference`/`priority`/`order`.
    pub preference: Option<u32>,
    /// Rule action type (`blackhole`, …).
    pub action: Option<String>,
    /// Other options as written.
    pub options: Vec<String>,
    /// Address family, when fixed.
    pub family: Option<Family>,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// `vrrp_script NAME { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VrrpScript {
    /// Name.
    pub name: Spanned<String>,
    /// `script`.
    pub script: Option<Script>,
    /// `interval` (s).
    pub interval: Option<u32>,
    /// `timeout` (s).
    pub timeout: Option<u32>,
    /// `weight`, and `reverse`.
    pub weight: Option<(i32, bool)>,
    /// `rise`.
    pub rise: Option<u32>,
    /// `fall`.
    pub fall: Option<u32>,
    /// `user` and group.
    pub user: Option<(String, Option<String>)>,
    /// `init_fail`.
    pub init_fail: bool,
}

/// `track_file NAME { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackFile {
    /// Name.
    pub name: Spanned<String>,
    /// `file`.
    pub file: Option<String>,
    /// `weight`, and `reverse`.
    pub weight: Option<(i32, bool)>,
    /// `init_file` value and `overwrite`.
    pub init_file: Option<(Option<i32>, bool)>,
}

/// `vrrp_track_process NAME { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackProcess {
    /// Name.
    pub name: Spanned<String>,
    /// `process` and its arguments.
    pub process: Vec<String>,
    /// `weight`, and `reverse`.
    pub weight: Option<(i32, bool)>,
    /// `quorum`.
    pub quorum: Option<u32>,
    /// `quorum_max`.
    pub quorum_max: Option<u32>,
    /// Other settings.
    pub other: Vec<Setting>,
}

/// A named list of VRRP instances (`track_group`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedGroup {
    /// Name.
    pub name: Spanned<String>,
    /// Members.
    pub members: Vec<Spanned<String>>,
}

/// `garp_group { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GarpGroup {
    /// `garp_interval` (µs).
    pub garp_interval: Option<Micros>,
    /// `gna_interval` (µs).
    pub gna_interval: Option<Micros>,
    /// `interface` / `interfaces`.
    pub interfaces: Vec<Spanned<String>>,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// A tracked object with an optional weight (`track_interface`, `track_script`, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tracked {
    /// Name of the interface, script, file, process or BFD instance.
    pub name: Spanned<String>,
    /// `weight`.
    pub weight: Option<i32>,
    /// `reverse`.
    pub reverse: bool,
    /// `noreverse` (neither: the tracked object's own `reverse` applies).
    #[serde(default)]
    pub noreverse: bool,
}

/// Notify scripts of an instance or sync group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Notify {
    /// `notify_master`.
    pub master: Option<Script>,
    /// `notify_backup`.
    pub backup: Option<Script>,
    /// `notify_fault`.
    pub fault: Option<Script>,
    /// `notify_stop`.
    pub stop: Option<Script>,
    /// `notify_master_rx_lower_pri`.
    pub master_rx_lower_pri: Option<Script>,
    /// `notify_deleted`.
    pub deleted: Option<Script>,
    /// `notify`.
    pub any: Option<Script>,
    /// `notify_deleted` is written (with or without a script).
    #[serde(default)]
    pub notify_deleted: bool,
}

/// Tracking lists shared by instances and sync groups.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    /// `track_interface`.
    pub interfaces: Vec<Tracked>,
    /// `track_script`.
    pub scripts: Vec<Tracked>,
    /// `track_file`.
    pub files: Vec<Tracked>,
    /// `track_process`.
    pub processes: Vec<Tracked>,
    /// `track_bfd`.
    pub bfds: Vec<Tracked>,
}

/// `vrrp_sync_group NAME { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncGroup {
    /// Name.
    pub name: Spanned<String>,
    /// `group { … }` members.
    pub members: Vec<Spanned<String>>,
    /// Tracking.
    pub tracking: Tracking,
    /// Notify scripts.
    pub notify: Notify,
    /// `smtp_alert`.
    pub smtp_alert: Option<bool>,
    /// `sync_group_tracking_weight`.
    pub tracking_weight: bool,
    /// `notify_priority_changes` (`None`: not written).
    #[serde(default)]
    pub notify_priority_changes: Option<bool>,
}

/// `state` of a VRRP instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum VrrpState {
    /// MASTER.
    Master,
    /// BACKUP.
    Backup,
}

/// Authentication of a VRRPv2 instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Authentication {
    /// `auth_type` (`PASS` or `AH`).
    pub auth_type: Option<String>,
    /// `auth_pass` (already truncated to 8 characters).
    pub auth_pass: Option<String>,
}

/// A `unicast_peer` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnicastPeer {
    /// Address.
    pub addr: Spanned<IpAddr>,
    /// `min_ttl`.
    pub min_ttl: Option<u8>,
    /// `max_ttl`.
    pub max_ttl: Option<u8>,
}

/// `vrrp_instance NAME { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VrrpInstance {
    /// Name.
    pub name: Spanned<String>,
    /// `state`.
    pub state: Option<Spanned<VrrpState>>,
    /// `interface`.
    pub interface: Option<Spanned<String>>,
    /// `virtual_router_id`.
    pub vrid: Option<Spanned<u8>>,
    /// `priority`.
    pub priority: Option<Spanned<u8>>,
    /// `advert_int` (µs).
    pub advert_int: Option<Spanned<Micros>>,
    /// `version`.
    pub version: Option<u8>,
    /// `native_ipv6`.
    pub native_ipv6: bool,
    /// `virtual_ipaddress`.
    pub vips: Vec<IpAddress>,
    /// `virtual_ipaddress_excluded`.
    pub excluded_vips: Vec<IpAddress>,
    /// `virtual_routes`.
    pub routes: Vec<Route>,
    /// `virtual_rules`.
    pub rules: Vec<Rule>,
    /// `unicast_src_ip`.
    pub unicast_src_ip: Option<Spanned<IpAddr>>,
    /// `unicast_peer`.
    pub unicast_peers: Vec<UnicastPeer>,
    /// `mcast_src_ip`.
    pub mcast_src_ip: Option<IpAddr>,
    /// `nopreempt` (true) / `preempt` (false).
    pub nopreempt: Option<Spanned<bool>>,
    /// `preempt_delay` (µs).
    pub preempt_delay: Option<Spanned<Micros>>,
    /// Tracking.
    pub tracking: Tracking,
    /// `dont_track_primary`.
    pub dont_track_primary: bool,
    /// `authentication`.
    pub authentication: Option<Spanned<Authentication>>,
    /// `use_vmac` name (empty when not named).
    pub use_vmac: Option<String>,
    /// `accept` (true) / `no_accept` (false).
    pub accept: Option<bool>,
    /// `strict_mode`.
    pub strict_mode: Option<bool>,
    /// Notify scripts.
    pub notify: Notify,
    /// `smtp_alert`.
    pub smtp_alert: Option<bool>,
    /// GARP settings and other validated keywords.
    pub other: Vec<Setting>,
}

/// `bfd_instance NAME { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BfdInstance {
    /// Name.
    pub name: Spanned<String>,
    /// `neighbor_ip`.
    pub neighbor_ip: Option<IpAddr>,
    /// `source_ip`.
    pub source_ip: Option<IpAddr>,
    /// Other settings.
    pub other: Vec<Setting>,
}

/// The top-level `SSL` block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SslSettings {
    /// `password`.
    pub password: Option<String>,
    /// `ca`.
    pub ca: Option<String>,
    /// `certificate`.
    pub certificate: Option<String>,
    /// `key`.
    pub key: Option<String>,
}

/// IP protocol of a virtual server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl Protocol {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// One `virtual_server_group` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum VsGroupEntry {
    /// An address range `first-last` (or a single address) with an optional port.
    Range {
        /// First address.
        first: IpAddr,
        /// Last address (equal to `first` for a single address).
        last: IpAddr,
        /// Port.
        port: Option<u16>,
        /// Where.
        #[serde(skip)]
        span: Span,
    },
    /// `fwmark N [inet|inet6]`.
    Fwmark {
        /// Mark.
        mark: u32,
        /// Family, if written.
        family: Option<Family>,
        /// Where.
        #[serde(skip)]
        span: Span,
    },
}

/// `virtual_server_group NAME { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VsGroup {
    /// Name.
    pub name: Spanned<String>,
    /// Entries.
    pub entries: Vec<VsGroupEntry>,
}

/// What a virtual server is keyed by.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VsAddress {
    /// `IP PORT`.
    Addr {
        /// Address.
        addr: IpAddr,
        /// Port (0 = none).
        port: u16,
    },
    /// `fwmark N`.
    Fwmark(u32),
    /// `group NAME`.
    Group(String),
}

/// Forwarding method with tunnel options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbKind {
    /// `NAT`, `DR` or `TUN`.
    pub method: String,
    /// Tunnel type and options (`type gue port 6080 …`).
    pub tunnel: Vec<String>,
}

/// `virtual_server … { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VirtualServer {
    /// Address, fwmark or group.
    pub address: Spanned<VsAddress>,
    /// `protocol`.
    pub protocol: Option<Spanned<Protocol>>,
    /// `lb_algo`/`lvs_sched`.
    pub scheduler: Option<Spanned<String>>,
    /// Scheduler flags (`ops`, `sh-port`, …).
    pub sched_flags: Vec<String>,
    /// `lb_kind`/`lvs_method`.
    pub lb_kind: Option<Spanned<LbKind>>,
    /// `ip_family`.
    pub ip_family: Option<Family>,
    /// `persistence_timeout` (s).
    pub persistence_timeout: Option<u32>,
    /// `persistence_granularity` as written.
    pub persistence_granularity: Option<String>,
    /// `persistence_engine`.
    pub persistence_engine: Option<String>,
    /// `delay_loop` (µs).
    pub delay_loop: Option<Micros>,
    /// `connect_timeout` (µs).
    pub connect_timeout: Option<Micros>,
    /// `retry`.
    pub retry: Option<u32>,
    /// `delay_before_retry` (µs).
    pub delay_before_retry: Option<Micros>,
    /// `warmup` (µs).
    pub warmup: Option<Micros>,
    /// `virtualhost`.
    pub virtualhost: Option<String>,
    /// `alpha`.
    pub alpha: bool,
    /// `omega`.
    pub omega: bool,
    /// `quorum`.
    pub quorum: Option<u32>,
    /// `hysteresis`.
    pub hysteresis: Option<u32>,
    /// `quorum_up`.
    pub quorum_up: Option<Script>,
    /// `quorum_down`.
    pub quorum_down: Option<Script>,
    /// `weight` (default real server weight).
    pub weight: Option<u32>,
    /// `inhibit_on_failure`.
    pub inhibit_on_failure: Option<bool>,
    /// `ha_suspend`.
    pub ha_suspend: bool,
    /// `smtp_alert`.
    pub smtp_alert: Option<bool>,
    /// `sorry_server` address and port.
    pub sorry_server: Option<(IpAddr, Option<u16>)>,
    /// `sorry_server_inhibit`.
    pub sorry_server_inhibit: bool,
    /// Real servers in file order.
    pub real_servers: Vec<RealServer>,
    /// Other validated keywords.
    pub other: Vec<Setting>,
    /// `sorry_server_lvs_method`: the sorry server's forwarding method and tunnel.
    #[serde(default)]
    pub sorry_server_lvs_method: Option<LbKind>,
}

/// `real_server IP [PORT] { … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RealServer {
    /// Address.
    pub addr: IpAddr,
    /// Port as written.
    pub port: Option<u16>,
    /// `weight`.
    pub weight: Option<u32>,
    /// `lvs_method`.
    pub lb_kind: Option<LbKind>,
    /// `inhibit_on_failure`.
    pub inhibit_on_failure: Option<bool>,
    /// `uthreshold`.
    pub uthreshold: Option<u32>,
    /// `lthreshold`.
    pub lthreshold: Option<u32>,
    /// `notify_up` (boxed: rare, and real servers are many).
    pub notify_up: Option<Box<Script>>,
    /// `notify_down` (boxed: rare, and real servers are many).
    pub notify_down: Option<Box<Script>>,
    /// Checker defaults for this server's checkers.
    pub timing: CheckTiming,
    /// Health checkers.
    pub checkers: Vec<Checker>,
    /// Other validated keywords.
    pub other: Vec<Setting>,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// Timing and connection settings shared by real servers and checkers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckTiming {
    /// `delay_loop` (µs).
    pub delay_loop: Option<Micros>,
    /// `connect_timeout` (µs).
    pub connect_timeout: Option<Micros>,
    /// `retry`.
    pub retry: Option<u32>,
    /// `delay_before_retry` (µs).
    pub delay_before_retry: Option<Micros>,
    /// `warmup` (µs).
    pub warmup: Option<Micros>,
    /// `alpha`.
    pub alpha: Option<bool>,
}

/// keepalived's `delay_loop` when none is set (µs).
pub const DEFAULT_DELAY_LOOP: Micros = 60_000_000;
/// keepalived's `connect_timeout` when none is set (µs).
pub const DEFAULT_CONNECT_TIMEOUT: Micros = 5_000_000;

impl CheckTiming {
    /// Each setting from `self`, else from `fallback` (checker over real server over
    /// virtual server, as keepalived inherits them).
    pub fn or(&self, fallback: &CheckTiming) -> CheckTiming {
        CheckTiming {
            delay_loop: self.delay_loop.or(fallback.delay_loop),
            connect_timeout: self.connect_timeout.or(fallback.connect_timeout),
            retry: self.retry.or(fallback.retry),
            delay_before_retry: self.delay_before_retry.or(fallback.delay_before_retry),
            warmup: self.warmup.or(fallback.warmup),
            alpha: self.alpha.or(fallback.alpha),
        }
    }
}

impl VirtualServer {
    /// The checker settings written at the virtual server.
    pub fn timing(&self) -> CheckTiming {
        CheckTiming {
            delay_loop: self.delay_loop,
            connect_timeout: self.connect_timeout,
            retry: self.retry,
            delay_before_retry: self.delay_before_retry,
            warmup: self.warmup,
            alpha: Some(self.alpha).filter(|a| *a),
        }
    }
}

impl Checker {
    /// The checker's settings with what it inherits from its real server and virtual server.
    pub fn inherited_timing(&self, rs: &RealServer, vs: &VirtualServer) -> CheckTiming {
        self.timing.or(&rs.timing).or(&vs.timing())
    }
}

/// One health checker of a real server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checker {
    /// Kind and kind-specific settings.
    pub kind: CheckerKind,
    /// Timing.
    pub timing: CheckTiming,
    /// `connect_ip`.
    pub connect_ip: Option<IpAddr>,
    /// `connect_port`.
    pub connect_port: Option<u16>,
    /// `bindto`.
    pub bindto: Option<IpAddr>,
    /// `bind_port`.
    pub bind_port: Option<u16>,
    /// `bind_if`.
    pub bind_if: Option<String>,
    /// `fwmark`.
    pub fwmark: Option<u32>,
    /// `log_all_failures`.
    pub log_all_failures: Option<bool>,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// One `url { … }` of an HTTP or SSL checker.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpUrl {
    /// `path`.
    pub path: Option<String>,
    /// `digest` (lowercase hex).
    pub digest: Option<String>,
    /// `status_code` ranges.
    pub status_codes: Vec<(u16, u16)>,
    /// `virtualhost`.
    pub virtualhost: Option<String>,
    /// `regex`.
    pub regex: Option<String>,
    /// `regex_no_match`.
    pub regex_no_match: bool,
}

/// The kinds of checker and their settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CheckerKind {
    /// `TCP_CHECK`.
    Tcp,
    /// `HTTP_GET` (false) or `SSL_GET` (true).
    Http {
        /// SSL_GET.
        tls: bool,
        /// `url` blocks.
        urls: Vec<HttpUrl>,
        /// `virtualhost`.
        virtualhost: Option<String>,
        /// `http_protocol`.
        http_protocol: Option<String>,
        /// `enable_sni`.
        enable_sni: Option<bool>,
        /// `fast_recovery`.
        fast_recovery: Option<bool>,
    },
    /// `SMTP_CHECK`.
    Smtp {
        /// `helo_name`.
        helo_name: Option<String>,
    },
    /// `DNS_CHECK`.
    Dns {
        /// `type`.
        query_type: Option<String>,
        /// `name`.
        name: Option<String>,
    },
    /// `MISC_CHECK`.
    Misc {
        /// `misc_path`.
        path: Option<Script>,
        /// `misc_timeout` (s).
        timeout: Option<u32>,
        /// `misc_dynamic`.
        dynamic: bool,
        /// `user`.
        user: Option<(String, Option<String>)>,
    },
    /// `PING_CHECK`.
    Ping,
    /// `UDP_CHECK`.
    Udp {
        /// `payload` (hex).
        payload: Option<String>,
        /// `require_reply` (hex with x wildcards).
        require_reply: Option<String>,
        /// `min_reply_length`.
        min_reply_length: Option<u16>,
        /// `max_reply_length`.
        max_reply_length: Option<u16>,
    },
    /// `FILE_CHECK`.
    File {
        /// `track_file`.
        track_file: Option<Spanned<String>>,
        /// `weight` and `reverse`.
        weight: Option<(i32, bool)>,
    },
    /// `BFD_CHECK`.
    Bfd {
        /// `name`.
        name: Option<Spanned<String>>,
    },
}

impl CheckerKind {
    /// The keepalived block name of the checker.
    pub fn keyword(&self) -> &'static str {
        match self {
            CheckerKind::Tcp => "TCP_CHECK",
            CheckerKind::Http { tls: false, .. } => "HTTP_GET",
            CheckerKind::Http { tls: true, .. } => "SSL_GET",
            CheckerKind::Smtp { .. } => "SMTP_CHECK",
            CheckerKind::Dns { .. } => "DNS_CHECK",
            CheckerKind::Misc { .. } => "MISC_CHECK",
            CheckerKind::Ping => "PING_CHECK",
            CheckerKind::Udp { .. } => "UDP_CHECK",
            CheckerKind::File { .. } => "FILE_CHECK",
            CheckerKind::Bfd { .. } => "BFD_CHECK",
        }
    }
}
