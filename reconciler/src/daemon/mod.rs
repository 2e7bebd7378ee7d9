//! The reconciler daemon (`kac daemon`): sources deliver revisions, the binary's compile
//! function turns each into a plan, and the plan is converged with [`crate::apply::apply`]
//! (diff against the live kernel, apply, verify, roll back on failure). A revision that does
//! not compile or does not apply leaves the last good plan in place; owned objects changed by
//! hand are put back; an operator controls it over a unix socket.
//!
//! * [`event`]: the loop's one input type, [`event::Event`];
//! * `engine`: the loop, one event at a time;
//! * [`source`]: path and git sources (snapshots, signatures, ancestry);
//! * [`worker`]: the thread that owns the kernel backend and the state directory's lock;
//! * `monitor`: rtnetlink notifications (drift);
//! * [`persist`]: the last good state and the operator's controls in the state directory;
//! * [`control`]: the control socket, its protocol and client;
//! * [`metrics`]: Prometheus metrics;
//! * [`vrrp`]: the VRRP engine (sockets and timers around [`crate::vrrp`]'s machines);
//! * [`alerts`]: e-mail, SNMP traps and notify FIFOs on transitions and operational events.
//!
//! Architecture invariant: the daemon never imports the compiler; the binary hands it a
//! [`CompileFn`].

pub mod alerts;
pub mod control;
mod engine;
pub mod event;
pub mod metrics;
mod monitor;
pub mod persist;
pub mod source;
pub mod vrrp;
pub mod worker;

#[cfg(test)]
mod health_tests;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kac_schema::plan::Plan;
use kac_schema::status::StatusDiagnostic;

/// A revision a source delivered: its files are on disk, complete, and stay there while the
/// loop may compile them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// Commit id (git) or content digest (path).
    pub id: String,
    /// The commit's subject line (git).
    pub summary: Option<String>,
    /// The root of the revision's files (a git snapshot, or the watched directory); the
    /// compile function shows file names relative to it.
    pub tree: PathBuf,
    /// What to compile: a site directory, a directory with `keepalived.conf`, or a file.
    pub entry: PathBuf,
}

/// Which host of the configuration this daemon converges (as `kac apply` chooses it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostSelection {
    /// `--host`.
    pub host: Option<String>,
    /// `-i/--config-id`.
    pub config_id: Option<String>,
}

/// What compiling a revision gave.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompileOutcome {
    /// The plan, unless the revision has errors (including keywords the runtime does not
    /// carry out).
    pub plan: Option<Plan>,
    /// Its diagnostics, rendered by the binary.
    pub diagnostics: Vec<StatusDiagnostic>,
}

/// The compile function the binary hands the daemon.
pub type CompileFn = Arc<dyn Fn(&Revision, &HostSelection) -> CompileOutcome + Send + Sync>;

/// How the daemon runs.
#[derive(Clone, Debug)]
pub struct DaemonConfig {
    /// The source.
    pub source: source::SourceOptions,
    /// The host.
    pub selection: HostSelection,
    /// The host's name as status shows it.
    pub host_label: String,
    /// The state directory (journal, lock, last good state, git mirror, snapshots).
    pub state_dir: PathBuf,
    /// The control socket.
    pub control: PathBuf,
    /// Where to serve metrics (loopback only).
    pub metrics: Option<SocketAddr>,
    /// Take over existing objects the plan wants.
    pub adopt: bool,
    /// How often everything, IPVS included, is re-checked.
    pub full_check: Duration,
    /// How long after an rtnetlink notification the drift check runs (a burst is one check).
    pub drift_delay: Duration,
    /// How long a real server removed from the configuration is drained (`None`: the plan's
    /// `real_server_drain`; zero: removed at once, as keepalived does).
    pub drain_period: Option<Duration>,
    /// Where SNMP traps go when the plan has `enable_traps`.
    pub traps: alerts::TrapTarget,
}

/// Why the daemon cannot run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The state directory.
    #[error(transparent)]
    State(#[from] crate::journal::JournalError),
    /// A state file.
    #[error(transparent)]
    Persist(#[from] persist::PersistError),
    /// The control socket.
    #[error(transparent)]
    Control(#[from] control::ControlError),
    /// The source.
    #[error("the source cannot be read: {0}")]
    Source(#[from] source::SourceError),
    /// No netlink.
    #[error("cannot talk to the kernel: {0}")]
    Kernel(#[from] crate::kernel::KernelError),
    /// Anything else the operating system refused.
    #[error("{0}")]
    Io(String),
}

/// Runs the daemon on this host (its network namespace) until SIGTERM or SIGINT.
pub fn run(config: DaemonConfig, compile: CompileFn) -> Result<(), DaemonError> {
    let kernel = crate::kernel::netlink::NetlinkKernel::new()?;
    run_with_kernel(config, compile, Box::new(kernel))
}

/// [`run`] over another kernel backend (reconciler/examples/daemon_memory.rs measures the
/// daemon's memory with an in-memory one; this machine's kernel has no IPVS).
pub fn run_with_kernel(
    config: DaemonConfig,
    compile: CompileFn,
    kernel: Box<dyn crate::kernel::Kernel + Send>,
) -> Result<(), DaemonError> {
    match crate::check::driver::raise_fd_limit() {
        Ok(n) => tracing::info!("open-file limit: {n}"),
        Err(e) => tracing::warn!("{e}; health checks in flight are limited by it"),
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DaemonError::Io(format!("cannot start the runtime: {e}")))?;
    let health: engine::HealthSpawn = Box::new(|events, metrics| {
        crate::check::driver::spawn(crate::check::net::NetProber, events, metrics)
    });
    rt.block_on(engine::run(config, compile, kernel, health))
}
