//! kac's reconciler: observe the kernel, diff it against the plan, apply the difference.
//!
//! * [`desired`]: the part of a [`Plan`] `kac apply` converges, in kernel terms;
//! * [`observed`]: what the kernel has; [`model`]: the object types both share;
//! * [`diff`]: the pure, ordered diff; [`op`]: the unit of change;
//! * [`journal`]: ownership and the state directory's lock;
//! * [`kernel`]: the backend trait and its netlink implementation; [`ipvs`]: the IPVS
//!   generic netlink layer;
//! * [`apply()`](apply::apply): diff, apply, verify, roll back;
//! * [`alert`]: e-mail, SNMP traps and notify FIFOs on VRRP, health and operational events;
//! * [`check`]: health checking of real servers ([`check::probe`]: one check of one endpoint);
//! * [`support`]: what the runtime carries out, keyword by keyword;
//! * [`syncd`]: the IPVS connection synchronisation daemon as a kernel object;
//! * [`script`]: running configured scripts without a shell, as their user, with a timeout,
//!   and keepalived's script security rules; [`notify`]: VRRP notify scripts with keepalived's
//!   arguments, queued in order per script;
//! * [`track`]: the trackers (scripts, files, processes, interfaces) and the pure effective priority of
//!   a VRRP instance;
//! * [`daemon`]: `kac daemon`: sources, the converge loop, last good state, control socket,
//!   metrics.
//!
//! Architecture invariant: it consumes [`kac_schema::plan::Plan`] and nothing from the
//! front ends; the binary hands it a compiled plan.

pub mod alert;
pub mod apply;
pub mod check;
pub mod daemon;
pub mod desired;
pub mod diff;
pub mod ipvs;
pub mod journal;
pub mod kernel;
pub mod model;
pub mod names;
pub mod notify;
pub mod observed;
pub mod op;
pub mod script;
pub mod support;
pub mod syncd;
pub mod track;
pub mod vrrp;

#[cfg(test)]
mod proptests;

use std::path::Path;

/// The plan type the reconciler consumes.
pub use kac_schema::plan::Plan;

/// Why a live diff could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The plan has parts kac cannot apply.
    #[error(transparent)]
    Desired(#[from] desired::DesiredErrors),
    /// The journal cannot be read.
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    /// The kernel cannot be read.
    #[error(transparent)]
    Apply(#[from] apply::ApplyError),
    /// No netlink.
    #[error("cannot talk to the kernel: {0}")]
    Kernel(#[from] kernel::KernelError),
}

/// The live diff of `plan` against this host (its network namespace), with the ownership
/// recorded in `state_dir`: what `kac apply --dry-run` prints and `kac plan --live` shows.
/// Changes nothing and takes no lock.
pub fn live_diff_of_plan(
    plan: &Plan,
    state_dir: &Path,
    adopt: bool,
) -> Result<diff::Diff, LiveError> {
    let desired = desired::Desired::from_plan(plan, &names::Names::from_host())?;
    let journal = journal::read_journal(state_dir)?;
    let mut k = kernel::netlink::NetlinkKernel::new()?;
    Ok(apply::live_diff(&mut k, &desired, &journal, adopt)?)
}
