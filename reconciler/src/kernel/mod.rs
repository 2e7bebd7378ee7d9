//! The kernel backend: one small trait, [`Kernel`] (observe, apply ops), with the real
//! implementation over netlink ([`netlink::NetlinkKernel`]) and, for unit tests only, a recording
//! fake (`fake::FakeKernel`).

pub mod netlink;

#[cfg(test)]
pub mod fake;

use crate::observed::Observed;
use crate::op::Op;
use crate::syncd::SyncDaemon;

/// Why the kernel did not do something.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// The kernel refused a request: its errno and, when it said one, its reason.
    #[error("{reason}")]
    Rejected {
        /// The errno (positive).
        errno: i32,
        /// `strerror` plus the kernel's extended-ack message, if any.
        reason: String,
    },
    /// An interface the op names does not exist.
    #[error("interface `{0}` does not exist")]
    NoInterface(String),
    /// The kernel has no IPVS (module missing).
    #[error("IPVS is not available in this kernel ({0}); load it with `modprobe ip_vs`")]
    NoIpvs(String),
    /// A socket or protocol error.
    #[error("netlink: {0}")]
    Io(String),
}

impl KernelError {
    /// A rejection with the errno's text and the kernel's extended-ack message.
    pub fn rejected(errno: i32, ext_ack: Option<&str>) -> Self {
        let os = std::io::Error::from_raw_os_error(errno).to_string();
        // "No such device (os error 19)" -> "No such device".
        let mut reason = match os.rfind(" (os error") {
            Some(i) => os[..i].to_string(),
            None => os,
        };
        if let Some(m) = ext_ack.filter(|m| !m.is_empty()) {
            reason = format!("{m} ({reason})");
        }
        KernelError::Rejected { errno, reason }
    }
}

/// The one interface between the reconciler and a kernel.
pub trait Kernel {
    /// Reads links, addresses, routes and rules, and IPVS when `ipvs` is set (`None` in
    /// [`Observed::ipvs`] when the kernel has no IPVS).
    fn observe(&mut self, ipvs: bool) -> Result<Observed, KernelError>;

    /// Applies `ops` in order, possibly several requests in flight at once. Returns the result
    /// of every op attempted, in order; after a failure the backend may stop, so the list can
    /// be shorter than `ops` (the rest were not attempted). Ops after a failed one in the same
    /// batch may have been applied: their results say so.
    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), KernelError>>;

    /// The running IPVS connection sync daemons (`None` when the kernel has no IPVS).
    fn sync_daemons(&mut self) -> Result<Option<Vec<SyncDaemon>>, KernelError>;
}
