//! What `kac plan` reports: for each site and host, what changes between two revisions, in
//! load-balancer terms, and what is hazardous about it.
//!
//! This is the `--format json` document of `kac plan` (`"version": 1`), documented in
//! docs/plan.md; its JSON Schema is committed as `schema/plan-diff.schema.json` and kept
//! current by `tests/schema_current.rs`. Additions are compatible; renaming or removing a
//! field bumps [`PLAN_DIFF_VERSION`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the `kac plan` JSON document; bumped on any incompatible change.
pub const PLAN_DIFF_VERSION: u32 = 1;

/// The whole `kac plan` result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanDiff {
    /// [`PLAN_DIFF_VERSION`].
    pub version: u32,
    /// The old side (with `--live`: `live`, the running host).
    pub from: Revision,
    /// The new side.
    pub to: Revision,
    /// Every site found on either side, by repository path.
    pub sites: Vec<SiteDiff>,
    /// Counts over all sites.
    pub summary: Summary,
}

/// One side of the comparison.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Revision {
    /// The revision as given (`HEAD`, `main`, a commit id), or `working tree`.
    pub rev: String,
    /// The commit it names; `None` for the working tree.
    pub commit: Option<String>,
}

/// One site: its hosts and the hazards across them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SiteDiff {
    /// Where the site is in the repository: its manifest's directory (`.` at the top), or the
    /// root config's path for a site without a manifest.
    pub site: String,
    /// Every host of the site on either side, by name.
    pub hosts: Vec<HostDiff>,
    /// Hazards across the hosts (VRRP peers: instances with the same name on several hosts).
    pub hazards: Vec<Hazard>,
    /// Problems reading the site itself (its manifest) on either side.
    pub errors: Vec<SideErrors>,
}

/// One host of a site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HostDiff {
    /// Host name (from the manifest), or the config id.
    pub host: String,
    /// What happens to the host as a whole.
    pub status: HostStatus,
    /// The changes, in a stable order (global settings, static addresses, routes and rules,
    /// scripts, sync groups, VRRP instances, virtual servers); children follow their parent.
    pub changes: Vec<Change>,
    /// Hazards of this host's changes.
    pub hazards: Vec<Hazard>,
    /// Why a side could not be compiled.
    pub errors: Vec<SideErrors>,
    /// With `--conf-diff`: the unified diff of the host's canonical keepalived.conf (host
    /// conditions resolved, includes inlined, comments dropped) from the old side to the new,
    /// empty when the texts are equal; absent without `--conf-diff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conf_diff: Option<String>,
}

/// What happens to a host as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HostStatus {
    /// Same plan on both sides.
    Unchanged,
    /// The plan changes.
    Changed,
    /// The host exists only on the new side.
    Added,
    /// The host exists only on the old side.
    Removed,
    /// A side does not compile (see [`HostDiff::errors`]).
    Failed,
}

/// Which side of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The old side (`--from`).
    From,
    /// The new side (`--to`).
    To,
}

/// The problems that kept one side from compiling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SideErrors {
    /// Which side.
    pub side: Side,
    /// Its diagnostics (errors and warnings).
    pub diagnostics: Vec<PlanDiagnostic>,
}

/// A diagnostic of a side that does not compile, located in that side's files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanDiagnostic {
    /// `error`, `warning` or `advice`.
    pub severity: String,
    /// Stable code (`kac::conf::unknown-keyword`, …).
    pub code: String,
    /// Message.
    pub message: String,
    /// File, relative to the repository.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    /// How to fix it.
    pub help: Option<String>,
    /// The diagnostic as `kac lint` prints it (no colour).
    pub rendered: String,
}

/// What kind of object a change is about.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// The global settings (`global_defs`).
    Global,
    /// A static address (`static_ipaddress`), keyed `ADDRESS dev DEV`.
    StaticAddress,
    /// A static route (`static_routes`), keyed by table, destination, source and metric.
    StaticRoute,
    /// A static rule (`static_rules`), keyed by family, preference, from and to.
    StaticRule,
    /// A VRRP tracking script (`vrrp_script`), keyed by name.
    VrrpScript,
    /// A track file (`vrrp_track_file`), keyed by name.
    TrackFile,
    /// A VRRP sync group (`vrrp_sync_group`), keyed by name.
    VrrpSyncGroup,
    /// A VRRP instance (`vrrp_instance`), keyed by name.
    VrrpInstance,
    /// A virtual address of an instance (`virtual_ipaddress`), keyed by address.
    Vip,
    /// An excluded virtual address (`virtual_ipaddress_excluded`), keyed by address.
    ExcludedVip,
    /// A virtual route of an instance (`virtual_routes`), keyed like a static route.
    VirtualRoute,
    /// A virtual rule of an instance (`virtual_rules`), keyed like a static rule.
    VirtualRule,
    /// A virtual server (IPVS service), keyed `ADDRESS:PORT PROTOCOL`, `fwmark N FAMILY` or
    /// `group NAME PROTOCOL`.
    VirtualServer,
    /// A real server of a virtual server, keyed `ADDRESS:PORT`.
    RealServer,
    /// A health checker of a real server, keyed `KIND ADDRESS:PORT` (`#2`, … for repeats).
    Checker,
    /// A network link kac manages (a VRRP instance's VMAC interface), keyed by name
    /// (`--live` only).
    Link,
}

/// An object, for naming where a change is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct ObjectRef {
    /// Its kind.
    pub object: ObjectKind,
    /// Its stable key.
    pub key: String,
}

/// What happens to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// New on the new side.
    Added,
    /// Gone on the new side.
    Removed,
    /// Present on both sides with different fields.
    Changed,
    /// Moved to another parent (a VIP from one VRRP instance to another).
    Moved,
    /// A real server removed from the configuration: kac's runtime sets its weight to 0 for
    /// the drain period (see [`Change::drain_s`]), then removes it. A virtual server removed
    /// from the configuration: its real servers are kept at weight 0 for the drain period,
    /// then it is removed with them.
    DrainedThenRemoved,
}

/// One change to one object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// The object's kind.
    pub object: ObjectKind,
    /// Its stable key.
    pub key: String,
    /// Its parents on the new side (on the old side for removals), outermost first.
    pub within: Vec<ObjectRef>,
    /// What happens.
    pub action: Action,
    /// For `changed` and `moved`: the fields that differ, old -> new.
    pub fields: Vec<FieldChange>,
    /// For `moved`: its parents on the old side.
    pub moved_from: Option<Vec<ObjectRef>>,
    /// For `drained_then_removed`: the drain period (s).
    pub drain_s: Option<u32>,
    /// For `added` and `removed`: a one-line description (`weight 1, TCP_CHECK`).
    pub summary: Option<String>,
    /// For `added` and `removed`: the object as the plan has it (`kac compile`'s JSON).
    pub value: Option<serde_json::Value>,
    /// With `--live`: the kernel operations `kac apply` makes for this change, as it prints
    /// them (`+ addr 10.0.0.5/24 dev eth0`); absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<String>,
}

impl Change {
    /// A change of `action` to the object `object` `key` within `within`, with no fields,
    /// summary, value or ops yet.
    pub fn new(
        object: ObjectKind,
        key: impl Into<String>,
        within: Vec<ObjectRef>,
        action: Action,
    ) -> Change {
        Change {
            object,
            key: key.into(),
            within,
            action,
            fields: Vec::new(),
            moved_from: None,
            drain_s: None,
            summary: None,
            value: None,
            ops: Vec::new(),
        }
    }
}

/// One field of a changed object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldChange {
    /// The field as the plan names it; nested fields joined with `.` (`garp.master_delay_s`).
    pub field: String,
    /// The old value (`null`: unset).
    pub old: serde_json::Value,
    /// The new value (`null`: unset).
    pub new: serde_json::Value,
}

/// A hazardous transition, with the reason it is one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Hazard {
    /// Which hazard.
    pub kind: HazardKind,
    /// The object it concerns (a VRRP instance, a VIP, a virtual or real server).
    pub object: ObjectRef,
    /// The hosts involved.
    pub hosts: Vec<String>,
    /// Why it is hazardous, and what to do instead.
    pub reason: String,
}

/// The hazards `kac plan` knows (docs/plan.md describes each).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum HazardKind {
    /// Two VRRP instances exchange their VRIDs.
    VridSwapped,
    /// A VRID that belonged to one instance now belongs to another.
    VridReused,
    /// The host expected to be master of an instance changes.
    MasterChanges,
    /// Peers of an instance will not hear each other, so more than one becomes master.
    TwoMasters,
    /// No host will be master of an instance's addresses any more.
    NoMaster,
    /// A VIP moves from one VRRP instance to another.
    VipMoved,
    /// A real server is removed while draining is turned off.
    RealServerRemovedWithoutDrain,
    /// Every real server of a virtual server is removed.
    AllRealServersRemoved,
    /// A VRRP setting that every peer must change at the same time changes.
    PeersMustChangeTogether,
    /// A side does not compile.
    CompileFailed,
}

impl HazardKind {
    /// The kebab-case name (`vrid-swapped`), as in JSON and docs/plan.md.
    pub fn name(self) -> &'static str {
        match self {
            HazardKind::VridSwapped => "vrid-swapped",
            HazardKind::VridReused => "vrid-reused",
            HazardKind::MasterChanges => "master-changes",
            HazardKind::TwoMasters => "two-masters",
            HazardKind::NoMaster => "no-master",
            HazardKind::VipMoved => "vip-moved",
            HazardKind::RealServerRemovedWithoutDrain => "real-server-removed-without-drain",
            HazardKind::AllRealServersRemoved => "all-real-servers-removed",
            HazardKind::PeersMustChangeTogether => "peers-must-change-together",
            HazardKind::CompileFailed => "compile-failed",
        }
    }
}

/// Counts over the whole result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Hosts on either side.
    pub hosts: usize,
    /// Hosts whose plan changes.
    pub hosts_changed: usize,
    /// Hosts only on the new side.
    pub hosts_added: usize,
    /// Hosts only on the old side.
    pub hosts_removed: usize,
    /// Hosts (or sites) with a side that does not compile.
    pub failed: usize,
    /// Changes over all hosts.
    pub changes: usize,
    /// Hazards over all sites and hosts.
    pub hazards: usize,
}

impl PlanDiff {
    /// Whether anything changes (a host added, removed or changed).
    pub fn has_changes(&self) -> bool {
        self.summary.hosts_changed + self.summary.hosts_added + self.summary.hosts_removed > 0
    }
}
