//! What `kac status --format json` prints: the state of a running `kac daemon`.
//!
//! A documented, versioned document (`"version": 1`, docs/daemon.md); its JSON Schema is
//! committed as `schema/status.schema.json` and kept current by `tests/schema_current.rs`.
//! Additions are compatible; renaming or removing a field bumps [`STATUS_VERSION`].
//! Times are RFC 3339 in UTC (`2026-11-24T10:00:00Z`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the status document; bumped on any incompatible change.
pub const STATUS_VERSION: u32 = 1;

/// The daemon's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Status {
    /// [`STATUS_VERSION`].
    pub version: u32,
    /// The host the daemon converges (its `--host`, `-i` or the default).
    pub host: String,
    /// The daemon's process id.
    pub pid: u32,
    /// When the daemon started.
    pub started_at: String,
    /// Where revisions come from.
    pub source: SourceStatus,
    /// The operator's controls.
    pub mode: Mode,
    /// The revision whose plan is applied (the last good one), if any.
    pub applied: Option<AppliedRevision>,
    /// The newest revision the source delivered and what became of it.
    pub seen: Option<SeenRevision>,
    /// The last problem (source, signature, ancestry, compile, apply, drift), if any since
    /// the last successful reconcile of a new revision.
    pub last_error: Option<LastError>,
    /// How many kernel objects kac owns (the ownership journal).
    pub owned: OwnedCounts,
    /// The last ops applied to the kernel.
    pub last_ops: Option<OpsRecord>,
    /// In observe-only mode: the ops a reconcile would make now (the live diff), not applied.
    pub pending_ops: Vec<String>,
    /// Counters since the daemon started.
    pub counters: Counters,
    /// Health of every checked real server, by virtual server then real server.
    #[serde(default)]
    pub health: Vec<RealServerHealth>,
    /// Real servers removed from the configuration, kept at weight 0 until their drain ends.
    #[serde(default)]
    pub draining: Vec<Draining>,
    /// The VRRP instances the daemon runs, by name.
    #[serde(default)]
    pub vrrp: Vec<VrrpInstanceStatus>,
    /// The alert channels (e-mail, SNMP traps, notify FIFOs): what was sent and what failed.
    #[serde(default)]
    pub alerts: AlertsStatus,
    /// The IPVS connection synchronisation daemon (`lvs_sync_daemon`), when configured.
    #[serde(default)]
    pub sync_daemon: Option<SyncDaemonStatus>,
}

/// The alert channels.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertsStatus {
    /// `email`, `trap` and `fifo`, in that order.
    pub channels: Vec<AlertChannelStatus>,
}

/// One alert channel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertChannelStatus {
    /// `email`, `trap` or `fifo`.
    pub channel: String,
    /// Whether the applied plan sets it up.
    pub configured: bool,
    /// Alerts delivered (mails accepted by the SMTP server, traps sent, FIFO lines written).
    pub sent: u64,
    /// Alerts given up on after their retries.
    pub failed: u64,
    /// Alerts dropped because the queue (or the FIFO's pipe) was full.
    pub dropped: u64,
    /// The last alert delivered: when and what (the mail's subject, the trap's name, the
    /// FIFO line).
    pub last_sent: Option<String>,
    /// The last failure or drop: when, what and why.
    pub last_failure: Option<String>,
}

/// The kernel's IPVS connection synchronisation daemon as the daemon runs it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SyncDaemonStatus {
    /// The interface sync messages use.
    pub interface: String,
    /// The VRRP instance it follows.
    pub instance: String,
    /// The sync id.
    pub sync_id: u8,
    /// The role the instance's state asks for: `master` (instance MASTER) or `backup`.
    pub wanted: String,
    /// The role the kernel was last set to (`None` until the first successful apply).
    pub running: Option<String>,
    /// When `running` last changed.
    pub since: Option<String>,
    /// Changes of `running` since the daemon started.
    pub switches: u64,
}

/// The health of one real server of one virtual server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RealServerHealth {
    /// The virtual server (`tcp 10.0.0.1:80`, `fwmark 1`, `group web TCP`).
    pub virtual_server: String,
    /// The real server (`10.1.0.7:80`).
    pub real_server: String,
    /// `up` (all its checkers pass), `down`, or `suspended` (`ha_suspend`).
    pub state: String,
    /// Whether IPVS has it with traffic now: `pool` (at `weight`), `inhibited` (weight 0),
    /// `removed`, or `sorry` (out of the pool while the sorry server serves).
    pub ipvs: String,
    /// The weight it has in IPVS when in the pool (dynamic with `MISC_CHECK misc_dynamic`).
    pub weight: u32,
    /// Its checkers, each with its own result.
    pub checkers: Vec<CheckerHealth>,
}

/// One checker of a real server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckerHealth {
    /// `TCP_CHECK 10.1.0.7:80`, …
    pub check: String,
    /// `up` or `down`.
    pub state: String,
    /// When the last attempt ended, if one has.
    pub last_check_at: Option<String>,
    /// How long the last attempt took (ms).
    pub last_latency_ms: Option<f64>,
    /// Why the last attempt failed, if it did.
    pub last_failure: Option<String>,
    /// Failed attempts in a row (retries included).
    pub consecutive_failures: u32,
    /// Failed attempts since the daemon started.
    pub failures: u64,
}

/// A real server being drained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Draining {
    /// The IPVS service.
    pub service: String,
    /// The real server.
    pub real_server: String,
    /// When it is removed.
    pub until: String,
}

/// One VRRP instance as the daemon runs it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VrrpInstanceStatus {
    /// The instance's name.
    pub name: String,
    /// `INIT`, `BACKUP`, `MASTER`, `FAULT` or `STOP`.
    pub state: String,
    /// The effective priority (tracking applied).
    pub priority: u8,
    /// The configured priority.
    pub base_priority: u8,
    /// The virtual router id.
    pub vrid: u8,
    /// The interface (`None`: unicast without one).
    pub interface: Option<String>,
    /// The master's address as last heard (ours while master).
    pub master: Option<String>,
    /// When the state last changed.
    pub since: Option<String>,
    /// State changes since the daemon started.
    pub transitions: u64,
    /// Adverts sent.
    pub adverts_sent: u64,
    /// Valid adverts received.
    pub adverts_received: u64,
    /// Adverts dropped (bad TTL, checksum, version, authentication, addresses, interval).
    pub adverts_dropped: u64,
    /// Why the last advert was dropped.
    pub last_drop: Option<String>,
    /// Why the instance is in FAULT (or held there): its interface, the tracked objects that
    /// fault it, the `track_group` objects whose interface is down. Empty when nothing does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fault_reasons: Vec<String>,
}

/// Where revisions come from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SourceStatus {
    /// `path` or `git`.
    pub kind: String,
    /// The `--source` as given.
    pub location: String,
    /// `--ref` (git sources).
    pub git_ref: Option<String>,
    /// `--subdir`.
    pub subdir: Option<String>,
    /// Whether commit signatures are verified (`--allowed-signers`).
    pub verify_signatures: bool,
    /// When the source was last read (fetched, or scanned) successfully.
    pub last_read_at: Option<String>,
    /// The last error reading the source, until the next successful read.
    pub read_error: Option<String>,
}

/// The operator's controls (`kac ctl`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Mode {
    /// `false` while suspended (`kac ctl suspend`): nothing is applied, drift is not repaired.
    pub reconciling: bool,
    /// Observe-only (`kac ctl observe on`): diffs are computed and reported, never applied.
    pub observe_only: bool,
    /// The revision the daemon is pinned to (`kac ctl pin REV`), if any.
    pub pinned: Option<String>,
}

/// The applied revision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AppliedRevision {
    /// Commit id (git) or content digest (path).
    pub revision: String,
    /// The commit's subject line (git).
    pub summary: Option<String>,
    /// When its plan was applied (or, at start-up, re-applied from the state directory).
    pub applied_at: String,
}

/// The newest revision seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SeenRevision {
    /// Commit id (git) or content digest (path).
    pub revision: String,
    /// The commit's subject line (git).
    pub summary: Option<String>,
    /// When the source delivered it.
    pub seen_at: String,
    /// What became of it: `pending`, `applied`, `refused` (signature, ancestry),
    /// `invalid` (does not compile or cannot be carried out), `failed` (the kernel rejected
    /// it; rolled back), `held` (suspended or pinned), `observed` (observe-only).
    pub outcome: String,
}

/// The last problem.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LastError {
    /// When.
    pub at: String,
    /// The revision concerned, if any.
    pub revision: Option<String>,
    /// `source`, `refused`, `compile`, `apply`, `drift` or `stop`.
    pub stage: String,
    /// What went wrong (one paragraph).
    pub message: String,
    /// The configuration's diagnostics (stage `compile`).
    pub diagnostics: Vec<StatusDiagnostic>,
}

/// A diagnostic of a revision's configuration, rendered by the binary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusDiagnostic {
    /// The stable code (`kac::conf::unknown-keyword`, `kac::daemon::not-carried-out`).
    pub code: String,
    /// `error`, `warning` or `advice`.
    pub severity: String,
    /// The message.
    pub message: String,
    /// The file, relative to the revision's tree.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    /// How to fix it.
    pub help: Option<String>,
    /// The whole diagnostic as `kac check` prints it (no colour).
    pub rendered: String,
}

/// Owned kernel objects by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OwnedCounts {
    /// Addresses.
    pub addresses: usize,
    /// Routes.
    pub routes: usize,
    /// Rules.
    pub rules: usize,
    /// Links (VMAC).
    pub links: usize,
    /// IPVS services.
    pub services: usize,
}

/// Ops applied by one reconcile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OpsRecord {
    /// When.
    pub at: String,
    /// Why: `revision`, `startup`, `drift`, `stop`.
    pub reason: String,
    /// The revision applied.
    pub revision: Option<String>,
    /// The ops, as `kac apply` prints them (`+ addr 10.0.0.5/24 dev eth0`).
    pub ops: Vec<String>,
    /// Objects taken over (`--adopt`).
    pub adopted: Vec<String>,
}

/// Counters since start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counters {
    /// Reconciles run (new revisions, drift checks, syncs).
    pub reconciles: u64,
    /// Ops applied.
    pub ops_applied: u64,
    /// Owned objects put back after someone changed them.
    pub drift_repairs: u64,
    /// Errors (every stage).
    pub errors: u64,
}
