//! The normalized plan: one per host, span-free, every default explicit, deterministic.
//!
//! Keys are stable: VRRP instances by name, virtual servers by (address, port, protocol),
//! fwmark or group, real servers by (address, port). Maps are `BTreeMap`s and lists are
//! sorted, so equal configurations in any format serialize to byte-identical JSON.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the plan format; bumped on any incompatible change.
pub const PLAN_VERSION: u32 = 1;

/// The desired state of one host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// [`PLAN_VERSION`].
    pub plan_version: u32,
    /// Host name (from the site manifest) or the config id.
    pub host: String,
    /// Config id used for `@id` lines, if any.
    pub config_id: Option<String>,
    /// Global settings.
    pub global: PlanGlobal,
    /// Static addresses, sorted by (dev, address).
    pub static_addresses: Vec<PlanAddress>,
    /// Static routes, sorted.
    pub static_routes: Vec<PlanRoute>,
    /// Static rules, sorted by preference.
    pub static_rules: Vec<PlanRule>,
    /// VRRP scripts by name.
    pub vrrp_scripts: BTreeMap<String, PlanVrrpScript>,
    /// Track files by name.
    pub track_files: BTreeMap<String, PlanTrackFile>,
    /// Tracked processes (`vrrp_track_process`) by name.
    #[serde(default)]
    pub track_processes: BTreeMap<String, PlanTrackProcess>,
    /// VRRP sync groups by name.
    pub vrrp_sync_groups: BTreeMap<String, PlanSyncGroup>,
    /// VRRP instances by name.
    pub vrrp_instances: BTreeMap<String, PlanVrrpInstance>,
    /// Virtual servers, sorted by key.
    pub virtual_servers: Vec<PlanVirtualServer>,
}

/// A value keepalived takes from the machine unless it is configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MachineValue {
    /// Configured explicitly.
    Set(String),
    /// The host name of the machine (router_id default).
    HostName,
    /// keepalived's default script user (`keepalived_script` if it exists, else root).
    DefaultScriptUser,
}

/// Global settings with defaults filled in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanGlobal {
    /// `router_id`.
    pub router_id: MachineValue,
    /// `script_user`.
    pub script_user: MachineValue,
    /// `enable_script_security`.
    pub enable_script_security: bool,
    /// Alert e-mail settings.
    pub email: PlanEmail,
    /// Default VRRP version.
    pub vrrp_version: u8,
    /// IPv4 multicast group.
    pub vrrp_mcast_group4: IpAddr,
    /// IPv6 multicast group.
    pub vrrp_mcast_group6: IpAddr,
    /// `vrrp_strict`.
    pub vrrp_strict: bool,
    /// Gratuitous ARP timings.
    pub garp: PlanGarp,
    /// IPVS timeouts (s); `None` leaves the kernel's value.
    pub lvs_timeouts: PlanLvsTimeouts,
    /// `lvs_flush`.
    pub lvs_flush: bool,
    /// `lvs_flush_on_stop`: `none`, `all` or `vs`.
    pub lvs_flush_on_stop: String,
    /// `dynamic_interfaces`.
    pub dynamic_interfaces: bool,
    /// What happens to a real server removed from the configuration (kac's runtime only;
    /// keepalived removes it at once).
    #[serde(default)]
    pub real_server_drain: PlanDrain,
    /// Alert switches, SNMP traps and notify FIFOs (e-mail settings are in `email`).
    #[serde(default, skip_serializing_if = "PlanAlerts::is_default")]
    pub alerts: PlanAlerts,
    /// `lvs_sync_daemon` (or a `vrrp_instance`'s `lvs_sync_daemon_interface`): the kernel's
    /// IPVS connection synchronisation daemon, master while the named instance is master and
    /// backup otherwise (the daemon's job; `None` when not configured or when it names no
    /// existing instance, as keepalived then runs none).
    #[serde(default)]
    pub lvs_sync_daemon: Option<PlanSyncDaemon>,
    /// `garp_group` blocks: the gratuitous ARP / unsolicited NA intervals of an interface
    /// named in one (interfaces not named use `garp.interval_us` / `garp.gna_interval_us`).
    #[serde(default)]
    pub garp_intervals: BTreeMap<String, PlanGarpIntervals>,
    /// `rs_init_notifies`: run `notify_up`/`notify_down` for the state each real server starts
    /// in (by default only changes are notified).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rs_init_notifies: bool,
    /// `disable_local_igmp`: `net.ipv4.igmp_link_local_mcast_reports=0` while VRRP
    /// instances run (no IGMP reports for 224.0.0.0/24 groups).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disable_local_igmp: bool,
    /// `vrrp_startup_delay` (µs, 0 = none): after the daemon starts (not after a reload), no
    /// instance becomes master before this delay has passed (an address owner) or this delay
    /// plus its master-down interval (the others); instances are backups meanwhile.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub vrrp_startup_delay_us: u64,
    /// `interface_up_down_delays`: interface → its down and up delays (µs; the up delay is
    /// the down delay unless written). A change of the interface is acted upon after its
    /// delay, and not at all if it changes back before then.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub interface_delays: BTreeMap<String, PlanInterfaceDelays>,
}

/// The delays of one interface of `interface_up_down_delays`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanInterfaceDelays {
    /// Before going down is acted upon (µs).
    pub down_us: u64,
    /// Before coming up is acted upon (µs).
    pub up_us: u64,
}

/// Whether a number is 0 (fields omitted from the JSON when they are).
fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// The IPVS connection synchronisation daemon's settings. Options left `None` take the
/// kernel's defaults (port 8848, TTL 1, group 224.0.0.81, maxlen from the interface's MTU).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanSyncDaemon {
    /// The interface the sync messages go out of and are received on.
    pub interface: String,
    /// The VRRP instance whose state decides master (sends) or backup (receives).
    pub instance: String,
    /// Sync id (`id`; keepalived's default is the instance's VRID).
    pub sync_id: u8,
    /// Maximum payload of a sync message (`maxlen`, bytes).
    pub maxlen: Option<u16>,
    /// UDP port (`port`).
    pub port: Option<u16>,
    /// Multicast TTL (`ttl`).
    pub ttl: Option<u8>,
    /// Multicast group (`group`, IPv4 or IPv6).
    pub group: Option<IpAddr>,
}

/// The intervals between gratuitous ARPs and unsolicited NAs sent on one interface
/// (`garp_group`; a value the group does not set is the global one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanGarpIntervals {
    /// Interval between gratuitous ARPs (µs).
    pub interval_us: u64,
    /// Interval between unsolicited NAs (µs).
    pub gna_interval_us: u64,
}

/// How long a real server removed from the configuration keeps its connections: kac's runtime
/// sets its weight to 0 for this period (no new connections, established ones finish), then
/// removes it (DESIGN.md, "Health checkers").
pub const DEFAULT_DRAIN_PERIOD_S: u32 = 30;

/// Draining of real servers removed from the configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanDrain {
    /// Whether a removed real server is drained first (`false`: removed at once, dropping
    /// its connections).
    pub enabled: bool,
    /// Drain period (s).
    pub period_s: u32,
}

impl Default for PlanDrain {
    /// Draining on, for [`DEFAULT_DRAIN_PERIOD_S`].
    fn default() -> Self {
        PlanDrain {
            enabled: true,
            period_s: DEFAULT_DRAIN_PERIOD_S,
        }
    }
}

/// Alert e-mail settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanEmail {
    /// Recipients.
    pub to: Vec<String>,
    /// Sender; `None` means `<user>@<host>`.
    pub from: Option<String>,
    /// SMTP server and port.
    pub smtp_server: Option<(String, u16)>,
    /// HELO name; `None` means the host name.
    pub helo_name: Option<String>,
    /// Connect timeout (s).
    pub connect_timeout_s: u32,
}

/// Alert switches (keepalived's `smtp_alert*`, `no_email_faults`), SNMP traps
/// (`enable_traps`) and notify FIFOs. The per-object `smtp_alert` is on each instance, sync
/// group, virtual and real server; [`PlanAlerts::mail_vrrp`] and [`PlanAlerts::mail_checker`]
/// resolve keepalived's precedence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanAlerts {
    /// Global `smtp_alert` (`None`: not written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_alert: Option<bool>,
    /// `smtp_alert_vrrp`: the default of VRRP instances and sync groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_alert_vrrp: Option<bool>,
    /// `smtp_alert_checker`: the default of virtual and real servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_alert_checker: Option<bool>,
    /// `no_email_faults`: no mail for transitions to FAULT.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_email_faults: bool,
    /// `enable_traps`: send SNMP traps (where to: `kac daemon --trap-sink`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enable_traps: bool,
    /// `notify_fifo` (every event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_fifo: Option<PlanFifo>,
    /// `vrrp_notify_fifo` (instances and sync groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrrp_notify_fifo: Option<PlanFifo>,
    /// `lvs_notify_fifo` (real and virtual servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lvs_notify_fifo: Option<PlanFifo>,
    /// `fifo_write_vrrp_states_on_reload`: after a reload (a revision applied while the
    /// daemon runs) the sync groups' and instances' states are written to the FIFOs that
    /// carry VRRP lines.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fifo_write_vrrp_states_on_reload: bool,
}

impl PlanAlerts {
    /// Whether nothing is set (the plan then omits the field).
    pub fn is_default(&self) -> bool {
        *self == PlanAlerts::default()
    }

    /// Whether a VRRP instance or sync group with `own` (its `smtp_alert`) is mailed:
    /// its own switch, else `smtp_alert_vrrp`, else `smtp_alert`, else no (keepalived).
    pub fn mail_vrrp(&self, own: Option<bool>) -> bool {
        own.or(self.smtp_alert_vrrp)
            .or(self.smtp_alert)
            .unwrap_or(false)
    }

    /// Whether a virtual server (quorum changes) with `own` is mailed: its own switch, else
    /// `smtp_alert_checker`, else `smtp_alert`, else no (keepalived).
    pub fn mail_virtual_server(&self, own: Option<bool>) -> bool {
        own.or(self.smtp_alert_checker)
            .or(self.smtp_alert)
            .unwrap_or(false)
    }

    /// Whether a real server with `own` is mailed: its own switch, else
    /// `smtp_alert_checker`, else `smtp_alert`, else **yes** (keepalived keeps this default
    /// for backward compatibility).
    pub fn mail_real_server(&self, own: Option<bool>) -> bool {
        own.or(self.smtp_alert_checker)
            .or(self.smtp_alert)
            .unwrap_or(true)
    }
}

/// A notify FIFO (`notify_fifo PATH [USER [GROUP]]` and its `*_script CMD [USER [GROUP]]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanFifo {
    /// The FIFO's path.
    pub path: String,
    /// The FIFO's owner (`USER[:GROUP]`), when written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The `*_script` (argv; the FIFO's path is appended when it starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<Vec<String>>,
    /// The user the script runs as: its own `USER [GROUP]`, else `script_user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_user: Option<MachineValue>,
}

/// Gratuitous ARP defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanGarp {
    /// Delay after becoming master before the second burst (s).
    pub master_delay_s: u32,
    /// GARPs per burst.
    pub master_repeat: u32,
    /// Refresh interval (s, 0 = off).
    pub master_refresh_s: u32,
    /// GARPs per refresh.
    pub master_refresh_repeat: u32,
    /// Interval between GARPs (µs).
    pub interval_us: u64,
    /// Interval between unsolicited NAs (µs).
    pub gna_interval_us: u64,
}

/// IPVS connection timeouts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanLvsTimeouts {
    /// TCP (s).
    pub tcp: Option<u32>,
    /// TCP FIN (s).
    pub tcpfin: Option<u32>,
    /// UDP (s).
    pub udp: Option<u32>,
}

/// An address to put on an interface.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PlanAddress {
    /// Interface.
    pub dev: String,
    /// Address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Scope (`global`, `host`, `link`, `site`, `nowhere` or a number).
    pub scope: String,
    /// Broadcast address (IPv4), if any.
    pub broadcast: Option<IpAddr>,
    /// Label.
    pub label: Option<String>,
    /// Peer address.
    pub peer: Option<String>,
    /// Address flags (`home`, `nodad`, `mngtmpaddr`, `noprefixroute`, `autojoin`). IPv6
    /// addresses have `nodad` unless the configuration says `-nodad`, as keepalived adds them.
    pub flags: Vec<String>,
    /// Put on the VMAC interface instead of `dev`.
    pub use_vmac: bool,
    /// Preferred lifetime (s); `None` is forever. keepalived's default is 0 (deprecated, so
    /// never chosen as a source address) for IPv6 /128 addresses and forever otherwise. The
    /// valid lifetime is always forever.
    #[serde(default)]
    pub preferred_lft_s: Option<u32>,
    /// Whether the address is tracked: restored when deleted, and a VIP's instance goes to
    /// fault when it cannot be (`no_track` turns it off; kac's runtime, not `kac apply`).
    #[serde(default = "tracked_by_default")]
    pub track: bool,
    /// `track_group` (static addresses): the VRRP instances that go to fault when the address
    /// cannot be restored.
    #[serde(default)]
    pub track_group: Option<String>,
}

/// keepalived tracks addresses unless they say `no_track`.
fn tracked_by_default() -> bool {
    true
}

/// A route.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PlanRoute {
    /// Routing table (number or name).
    pub table: String,
    /// Destination (`a.b.c.d/len`).
    pub dest: String,
    /// Type (`unicast`, `blackhole`, …).
    pub kind: String,
    /// Gateway.
    pub via: Option<IpAddr>,
    /// Output interface.
    pub dev: Option<String>,
    /// Preferred source.
    pub src: Option<IpAddr>,
    /// IPv6 source prefix.
    pub from: Option<String>,
    /// Metric.
    pub metric: Option<u32>,
    /// Scope (`None`: keepalived's default, universe).
    pub scope: Option<String>,
    /// Route protocol as written (`None` = kac's own).
    pub protocol: Option<String>,
    /// Multipath next hops: `via`, `dev`, `weight`, `onlink`.
    pub nexthops: Vec<PlanNexthop>,
    /// Other options in keepalived/iproute2 syntax (`tos`, `pref`).
    pub options: Vec<String>,
    /// Whether the route is tracked (removed when its interface goes down).
    pub track: bool,
    /// `track_group` (static routes): the VRRP instances that go to fault when the route
    /// cannot be restored.
    #[serde(default)]
    pub track_group: Option<String>,
    /// `onlink`: the gateway is on the link even without a prefix covering it.
    #[serde(default)]
    pub onlink: bool,
    /// Route metrics (`mtu`, `rtt`, `congctl`, …), sorted by name.
    #[serde(default)]
    pub metrics: Vec<PlanRouteMetric>,
    /// `realms [FROM/]TO` as written (numbers or `/etc/iproute2/rt_realms` names; IPv4).
    #[serde(default)]
    pub realms: Option<String>,
    /// `expires N`: the route's lifetime (s; IPv6).
    #[serde(default)]
    pub expires_s: Option<u32>,
    /// `ttl-propagate enabled|disabled` (`true` = enabled; MPLS routes only).
    #[serde(default)]
    pub ttl_propagate: Option<bool>,
    /// `encap …`: lightweight tunnel encapsulation.
    #[serde(default)]
    pub encap: Option<PlanEncap>,
    /// `vrf NAME`: the route goes in the routing table of that VRF device.
    #[serde(default)]
    pub vrf: Option<String>,
    /// `append` (`ip route append`): the route is added after a matching route. For IPv6 the
    /// kernel merges it into that route as more next hops; `add`/`prepend` (the default) add
    /// a route of their own.
    #[serde(default)]
    pub append: bool,
}

/// A route metric (`RTAX_*`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PlanRouteMetric {
    /// keepalived's name: `mtu`, `window`, `rtt`, `rttvar`, `ssthresh`, `cwnd`, `advmss`,
    /// `reordering`, `hoplimit`, `initcwnd`, `features`, `rto_min`, `initrwnd`, `quickack`,
    /// `congctl` or `fastopen_no_cookie`.
    pub name: String,
    /// The value the kernel gets.
    pub value: PlanMetricValue,
    /// `lock`: the kernel does not change the value itself (path MTU discovery, TCP).
    pub lock: bool,
}

/// The value of a route metric.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PlanMetricValue {
    /// A number in the kernel's unit: `rtt` in 1/8 ms, `rttvar` in 1/4 ms, `rto_min` in ms
    /// (keepalived keeps all three between 200 ms and 120 s), `features ecn` as 1, the rest
    /// as written.
    Number(u32),
    /// A name (`congctl`'s algorithm).
    Name(String),
}

/// A lightweight tunnel encapsulation (`encap TYPE …`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlanEncap {
    /// `encap mpls LABEL[/LABEL…]`: push an MPLS label stack.
    Mpls {
        /// Labels, outermost first.
        labels: Vec<u32>,
    },
    /// `encap ip …`: an IPv4 tunnel (metadata for a collect-metadata tunnel device).
    Ip {
        /// `id`: tunnel key.
        id: Option<u64>,
        /// `dst`: remote endpoint.
        dst: Option<IpAddr>,
        /// `src`: local endpoint.
        src: Option<IpAddr>,
        /// `tos`.
        tos: Option<u8>,
        /// `ttl`.
        ttl: Option<u8>,
        /// `flags` (`TUNNEL_*` bits).
        flags: Option<u16>,
    },
    /// `encap ip6 …`: an IPv6 tunnel (metadata for a collect-metadata tunnel device).
    Ip6 {
        /// `id`: tunnel key.
        id: Option<u64>,
        /// `dst`: remote endpoint.
        dst: Option<IpAddr>,
        /// `src`: local endpoint.
        src: Option<IpAddr>,
        /// `tc`: traffic class.
        tc: Option<u8>,
        /// `hoplimit`.
        hoplimit: Option<u8>,
        /// `flags` (`TUNNEL_*` bits).
        flags: Option<u16>,
    },
    /// `encap ila LOCATOR` (identifier-locator addressing).
    Ila {
        /// The 64-bit locator as written (`2001:db8:1:2`).
        locator: String,
    },
}

/// A multipath next hop.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PlanNexthop {
    /// Gateway.
    pub via: Option<IpAddr>,
    /// Interface.
    pub dev: Option<String>,
    /// Weight (1..256).
    pub weight: u16,
    /// `onlink`.
    #[serde(default)]
    pub onlink: bool,
}

/// A policy routing rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PlanRule {
    /// Preference.
    pub preference: u32,
    /// `inet` or `inet6`.
    pub family: String,
    /// Source prefix.
    pub from: Option<String>,
    /// Destination prefix.
    pub to: Option<String>,
    /// Table looked up.
    pub table: Option<String>,
    /// Action type when not a lookup.
    pub action: Option<String>,
    /// Other selectors in keepalived syntax.
    pub options: Vec<String>,
}

/// A VRRP tracking script.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanVrrpScript {
    /// Command line (argv).
    pub script: Vec<String>,
    /// User to run as.
    pub user: MachineValue,
    /// Interval (s).
    pub interval_s: u32,
    /// Timeout (s).
    pub timeout_s: u32,
    /// Weight.
    pub weight: i32,
    /// Weight reversed.
    pub weight_reverse: bool,
    /// Successes to become up.
    pub rise: u32,
    /// Failures to become down.
    pub fall: u32,
    /// Start in the failed state.
    pub init_fail: bool,
}

/// A track file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanTrackFile {
    /// Path.
    pub file: String,
    /// Weight.
    pub weight: i32,
    /// Weight reversed.
    pub weight_reverse: bool,
}

/// A tracked process (`vrrp_track_process`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanTrackProcess {
    /// `process`: the program, then the parameters to match (if any).
    pub process: Vec<String>,
    /// `param_match`: `exact` (the default: all parameters, no more), `initial` (the
    /// configured parameters start the command line) or `partial` (they appear in it, in order
    /// and adjacent).
    pub param_match: String,
    /// `full_command`: match the program against the whole command path, not the process name.
    pub full_command: bool,
    /// Weight.
    pub weight: i32,
    /// Weight reversed.
    pub weight_reverse: bool,
    /// `quorum`: fewest matching processes to be up.
    pub quorum: u32,
    /// `quorum_max`: most matching processes to be up.
    pub quorum_max: u32,
    /// `fork_delay` (µs): wait after a process appears before counting it (0 = at once).
    pub fork_delay_us: u64,
    /// `terminate_delay` (µs): wait after a process ends before uncounting it (0 = at once).
    pub terminate_delay_us: u64,
}

/// A sync group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanSyncGroup {
    /// Member instances (sorted).
    pub members: Vec<String>,
    /// Notify scripts.
    pub notify: PlanNotify,
    /// Whether members keep their own tracking weights.
    pub tracking_weight: bool,
    /// `smtp_alert` (`None`: the global default, [`PlanAlerts::mail_vrrp`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_alert: Option<bool>,
}

/// Notify scripts (argv each).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanNotify {
    /// On becoming master.
    pub master: Option<Vec<String>>,
    /// On becoming backup.
    pub backup: Option<Vec<String>>,
    /// On fault.
    pub fault: Option<Vec<String>>,
    /// On stop.
    pub stop: Option<Vec<String>>,
    /// On any transition (gets four extra arguments).
    pub any: Option<Vec<String>>,
    /// When a master receives an advert of lower priority (instances only).
    #[serde(default)]
    pub master_rx_lower_pri: Option<Vec<String>>,
    /// The user each configured script runs as, by field name (`master`, `backup`, `fault`,
    /// `stop`, `any`, `master_rx_lower_pri`, `deleted`): its own `USER [GROUP]`, else
    /// `script_user`.
    #[serde(default)]
    pub users: BTreeMap<String, MachineValue>,
    /// `notify_deleted` (instances): removed by a reload, the instance is notified as
    /// `DELETED` (keepalived's default is `FAULT`, to the generic `notify` script only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub notify_deleted: bool,
    /// `notify_deleted CMD`: the script run when the instance is removed by a reload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Vec<String>>,
}

/// A tracked object with its effective weight.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PlanTracked {
    /// Name.
    pub name: String,
    /// Weight (0 = failure puts the instance in FAULT).
    pub weight: i32,
    /// Weight reversed.
    pub reverse: bool,
}

/// A VRRP instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanVrrpInstance {
    /// Initial state: `MASTER` or `BACKUP`.
    pub state: String,
    /// Interface (`None` for unicast-only instances).
    pub interface: Option<String>,
    /// Virtual router id.
    pub vrid: u8,
    /// Priority (255 = address owner).
    pub priority: u8,
    /// Advertisement interval (µs).
    pub advert_int_us: u64,
    /// VRRP version (2 or 3).
    pub version: u8,
    /// `inet` or `inet6`.
    pub family: String,
    /// Virtual addresses (sorted).
    pub vips: Vec<PlanAddress>,
    /// Excluded virtual addresses (sorted).
    pub excluded_vips: Vec<PlanAddress>,
    /// Virtual routes.
    pub routes: Vec<PlanRoute>,
    /// Virtual rules.
    pub rules: Vec<PlanRule>,
    /// Unicast source address.
    pub unicast_src_ip: Option<IpAddr>,
    /// Unicast peers (sorted); empty = multicast.
    pub unicast_peers: Vec<IpAddr>,
    /// Multicast source address.
    pub mcast_src_ip: Option<IpAddr>,
    /// Preemption.
    pub preempt: bool,
    /// Preempt delay (µs).
    pub preempt_delay_us: u64,
    /// `accept` mode.
    pub accept: bool,
    /// Strict RFC mode.
    pub strict: bool,
    /// Authentication (`PASS` + password), VRRPv2 only.
    pub auth: Option<PlanAuth>,
    /// VMAC interface name, if VMAC is used.
    pub use_vmac: Option<String>,
    /// Tracked interfaces. The tracking lists include the sync group's tracked objects (with
    /// weight 0 unless the group has `sync_group_tracking_weight`).
    pub track_interfaces: Vec<PlanTracked>,
    /// Tracked scripts.
    pub track_scripts: Vec<PlanTracked>,
    /// Tracked files.
    pub track_files: Vec<PlanTracked>,
    /// Tracked processes.
    pub track_processes: Vec<PlanTracked>,
    /// Notify scripts.
    pub notify: PlanNotify,
    /// Sync group the instance belongs to.
    pub sync_group: Option<String>,
    /// `vmac_xmit_base`: adverts go out of (and are received on) the base interface, not
    /// the VMAC interface.
    #[serde(default)]
    pub vmac_xmit_base: bool,
    /// The VMAC interface's MAC address as written after its name (`use_vmac NAME MAC`);
    /// `None`: keepalived's 00:00:5e:00:01:VRID (02 for IPv6).
    #[serde(default)]
    pub vmac_mac: Option<String>,
    /// `smtp_alert` (`None`: the global default, [`PlanAlerts::mail_vrrp`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_alert: Option<bool>,
    /// Gratuitous ARP timings and advert handling, keepalived's defaults filled in.
    #[serde(default)]
    pub tuning: PlanVrrpTuning,
    /// The static addresses, routes and rules whose `track_group` lists this instance
    /// (`no_track` ones excluded), sorted: keepalived tracks each one's interface (an address's
    /// `dev`, a route's `dev`, a rule's `iif`/`dev`) with weight 0, so the instance is in FAULT
    /// while it is down (the object is gone and cannot be restored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_static: Vec<PlanStaticTrack>,
}

/// A static address, route or rule a VRRP instance tracks through a `track_group`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct PlanStaticTrack {
    /// The interface whose state decides (the object cannot be restored while it is down).
    pub interface: String,
    /// The object as keepalived words: `address 10.0.0.5/24`, `route 10.1.0.0/16`,
    /// `rule from 10.2.0.0/16 table 100`.
    pub object: String,
    /// The `track_group` that names the instance.
    pub group: String,
}

/// An instance's gratuitous ARP timings and advert handling (instance settings, else the
/// `vrrp_*` ones of `global_defs`, else keepalived's defaults).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanVrrpTuning {
    /// `garp_master_delay`: the second burst after becoming master (s, 0 = none).
    pub garp_master_delay_s: u32,
    /// `garp_master_repeat`: packets per address and burst.
    pub garp_master_repeat: u32,
    /// `garp_master_refresh`: a burst every so often while master (s, 0 = off).
    pub garp_master_refresh_s: u32,
    /// `garp_master_refresh_repeat`: packets per address and refresh.
    pub garp_master_refresh_repeat: u32,
    /// `garp_lower_prio_delay`: the second burst after a lower-priority advert (s, 0 = none).
    pub garp_lower_prio_delay_s: u32,
    /// `garp_lower_prio_repeat`: packets per address answering a lower-priority advert
    /// (0 = no burst).
    pub garp_lower_prio_repeat: u32,
    /// `down_timer_adverts`: adverts missed before the master is declared down.
    pub down_timer_adverts: u32,
    /// `lower_prio_no_advert`: a master does not answer a lower-priority advert with one.
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert`: a master sends one advert before yielding to a higher
    /// priority.
    pub higher_prio_send_advert: bool,
    /// `skip_check_adv_addr`: the address list of an advert from the master last heard is
    /// not checked.
    pub skip_check_adv_addr: bool,
    /// `unicast_ttl`: TTL / hop limit of unicast adverts.
    pub unicast_ttl: u8,
    /// `mcast_dst_ip`: the multicast group of this instance (`None`: the global one).
    pub mcast_dst_ip: Option<IpAddr>,
    /// `dont_track_primary`: the instance's own interface going down does not put it in
    /// FAULT.
    pub dont_track_primary: bool,
    /// `unicast_fault_no_peer` and no `unicast_peer`: the instance stays in FAULT instead
    /// of falling back to multicast.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fault_no_peer: bool,
    /// `track_src_ip` with a configured source address (`unicast_src_ip`, `mcast_src_ip`):
    /// the instance is in FAULT while that address is not on its interface.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub track_src_ip: bool,
    /// `promote_secondaries`: `net.ipv4.conf.IF.promote_secondaries=1` on the instance's
    /// interface (its VMAC with `use_vmac`) while the instance runs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub promote_secondaries: bool,
    /// `notify_priority_changes` (else its sync group's, else the global
    /// `vrrp_notify_priority_changes`): priority changes are written to the notify FIFOs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub notify_priority_changes: bool,
    /// `old_unicast_checksum` of a unicast VRRPv3 instance (keepalived 1.3.6's checksum over
    /// the multicast group): `None` (not written) sends the RFC checksum and accepts both,
    /// `Some(true)` sends the old one and accepts both, `Some(false)` (`never`) sends and
    /// accepts the RFC checksum only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_unicast_checksum: Option<bool>,
}

impl Default for PlanVrrpTuning {
    /// keepalived's defaults.
    fn default() -> Self {
        PlanVrrpTuning {
            garp_master_delay_s: 5,
            garp_master_repeat: 5,
            garp_master_refresh_s: 0,
            garp_master_refresh_repeat: 1,
            garp_lower_prio_delay_s: 5,
            garp_lower_prio_repeat: 5,
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            skip_check_adv_addr: false,
            unicast_ttl: 255,
            mcast_dst_ip: None,
            dont_track_primary: false,
            fault_no_peer: false,
            track_src_ip: false,
            promote_secondaries: false,
            notify_priority_changes: false,
            old_unicast_checksum: None,
        }
    }
}

/// VRRPv2 authentication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanAuth {
    /// `PASS` or `AH`.
    pub auth_type: String,
    /// Password (at most 8 characters).
    pub pass: String,
}

/// How a virtual server is addressed.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PlanVsKey {
    /// Address, port and protocol.
    Addr {
        /// Address.
        addr: IpAddr,
        /// Port (0 = all ports, persistent services only).
        port: u16,
        /// `TCP`, `UDP` or `SCTP`.
        protocol: String,
    },
    /// Firewall mark.
    Fwmark {
        /// Mark.
        fwmark: u32,
        /// `inet` or `inet6`.
        family: String,
    },
    /// A `virtual_server_group`, expanded in [`PlanVirtualServer::group_members`].
    Group {
        /// Group name.
        group: String,
        /// `TCP`, `UDP` or `SCTP`.
        protocol: String,
    },
}

/// A virtual server (IPVS service) with its real servers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanVirtualServer {
    /// Stable key.
    pub key: PlanVsKey,
    /// For a group: the addresses/ranges and fwmarks it expands to.
    pub group_members: Vec<String>,
    /// Scheduler.
    pub scheduler: String,
    /// Scheduler flags.
    pub sched_flags: Vec<String>,
    /// Forwarding method: `NAT`, `DR` or `TUN`.
    pub lb_kind: String,
    /// Persistence timeout (s), if persistent.
    pub persistence_timeout_s: Option<u32>,
    /// Persistence granularity (netmask or prefix).
    pub persistence_granularity: Option<String>,
    /// Persistence engine.
    pub persistence_engine: Option<String>,
    /// Quorum (sum of weights of live real servers).
    pub quorum: u32,
    /// Hysteresis.
    pub hysteresis: u32,
    /// Whether real servers start failed until checked (`alpha`).
    pub alpha: bool,
    /// `omega`.
    pub omega: bool,
    /// Sorry server.
    pub sorry_server: Option<String>,
    /// `ha_suspend`.
    pub ha_suspend: bool,
    /// `quorum_up`: the command run when the quorum is gained (argv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum_up: Option<Vec<String>>,
    /// `quorum_down`: the command run when the quorum is lost (argv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum_down: Option<Vec<String>>,
    /// `sorry_server_inhibit`: the sorry server stays in IPVS with weight 0 while unused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sorry_server_inhibit: bool,
    /// Real servers, sorted by (address, port).
    pub real_servers: Vec<PlanRealServer>,
    /// `smtp_alert` (`None`: the global default, [`PlanAlerts::mail_virtual_server`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_alert: Option<bool>,
    /// The user each configured `quorum_up`/`quorum_down` runs as, by keyword: the script's
    /// own `USER [GROUP]`, else `script_user` (keepalived's default script user without it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub script_users: BTreeMap<String, MachineValue>,
    /// `sorry_server_lvs_method`: the sorry server's own forwarding method (`NAT`, `DR`,
    /// `TUN`); `None`: the virtual server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sorry_server_lvs_method: Option<String>,
    /// The sorry server's tunnel when its method is `TUN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sorry_server_tunnel: Option<PlanTunnel>,
}

/// A real server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanRealServer {
    /// Address.
    pub addr: IpAddr,
    /// Port.
    pub port: u16,
    /// Weight.
    pub weight: u32,
    /// Forwarding method.
    // Borrowed (`NAT`, `DR`, `TUN`): real servers are many, an allocation each adds up.
    pub lb_kind: Cow<'static, str>,
    /// The tunnel of the `TUN` method (`None` for `NAT` and `DR`).
    #[serde(default)]
    pub tunnel: Option<PlanTunnel>,
    /// Set weight 0 on failure instead of removing.
    pub inhibit_on_failure: bool,
    /// Upper connection threshold (0 = none).
    pub uthreshold: u32,
    /// Lower connection threshold (0 = none).
    pub lthreshold: u32,
    /// Notify scripts (argv).
    pub notify_up: Option<Vec<String>>,
    /// Notify scripts (argv).
    pub notify_down: Option<Vec<String>>,
    /// Health checkers.
    pub checkers: Vec<PlanChecker>,
    /// `smtp_alert` (`None`: the global default, [`PlanAlerts::mail_real_server`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_alert: Option<bool>,
    /// The user each configured `notify_up`/`notify_down` runs as, by keyword: the script's
    /// own `USER [GROUP]`, else `script_user` (keepalived's default script user without it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub script_users: BTreeMap<String, MachineValue>,
}

/// The tunnel a `TUN` real server is reached through (`lvs_method TUN [type ipip|gue|gre]
/// [port N] [nocsum|csum|remcsum]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanTunnel {
    /// `ipip` (the default), `gue` or `gre`.
    pub kind: String,
    /// The UDP destination port (`gue` only).
    pub port: Option<u16>,
    /// `nocsum` (the default), `csum` or `remcsum`.
    pub checksum: String,
}

/// A health checker with its timing resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanChecker {
    /// `TCP_CHECK`, `HTTP_GET`, …
    // Borrowed: checkers are many, an allocation each adds up.
    pub kind: Cow<'static, str>,
    /// Address connected to.
    pub connect_ip: IpAddr,
    /// Port connected to.
    pub connect_port: u16,
    /// Source address.
    pub bindto: Option<IpAddr>,
    /// Interval between checks (µs).
    pub delay_loop_us: u64,
    /// Connect timeout (µs).
    pub connect_timeout_us: u64,
    /// Retries before failing.
    pub retry: u32,
    /// Delay between retries (µs).
    pub delay_before_retry_us: u64,
    /// Warmup (µs).
    pub warmup_us: u64,
    /// Start as failed.
    pub alpha: bool,
    /// `log_all_failures`: log every failed attempt, not only state changes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub log_all_failures: bool,
    /// Kind-specific parameters (`path`, `status_code`, `helo_name`, …), sorted by name.
    pub params: BTreeMap<String, String>,
    /// `MISC_CHECK`: the script's argv (`misc_path`, split as keepalived splits it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
    /// Source port (`bind_port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_port: Option<u16>,
    /// Interface the check's socket is bound to (`bind_if`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_if: Option<String>,
    /// Firewall mark (SO_MARK) of the check's packets (`fwmark`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
}
