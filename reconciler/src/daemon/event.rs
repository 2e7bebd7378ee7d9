//! The daemon loop's one input type: every task around the loop (sources, the kernel worker,
//! the rtnetlink monitor, signals, the control socket) talks to it by sending an [`Event`],
//! and the loop handles them one at a time (engine.rs). The enum is closed on purpose: a new
//! kind of input (the VRRP engine's state changes, health checkers' results) is a new
//! variant here and a new arm in the loop, and the compiler shows every place that must
//! handle it.

use tokio::sync::oneshot;

use super::control::{ControlReply, ControlRequest};
use super::source::SourceEvent;
use super::worker::JobDone;
use super::{CompileOutcome, Revision};

/// An input of the daemon loop.
#[derive(Debug)]
pub enum Event {
    /// A source delivered a revision, refused one, or could not be read.
    Source(SourceEvent),
    /// A revision finished compiling (on a blocking thread).
    Compiled(Box<(Revision, CompileOutcome)>),
    /// The kernel worker finished a job.
    Kernel(Box<JobDone>),
    /// rtnetlink reported a change of addresses, routes, rules or links (anyone's).
    KernelChanged,
    /// A timer of the loop fired.
    Timer(Timer),
    /// A signal arrived.
    Signal(Signal),
    /// An operator's request from the control socket, with where to send the reply.
    Control(ControlRequest, oneshot::Sender<ControlReply>),
    /// Health checking changed the health of real servers or virtual servers (one event
    /// for a burst of changes); the loop reads the checks' state and re-applies.
    Health,
    /// A VRRP advert arrived (the VRRP engine's sockets).
    Vrrp(Box<super::vrrp::net::Received>),
    /// A tracked object (vrrp_script, track_file, process, interface) changed state.
    Track(Box<crate::track::Change>),
    /// The source answered a pin (`kac ctl pin`): the revision, ready to compile, or why not.
    PinResolved(Box<Result<Revision, String>>, oneshot::Sender<ControlReply>),
}

/// The loop's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// Re-check addresses, routes, rules and links after a burst of rtnetlink notifications.
    Drift,
    /// Re-check everything, IPVS included (IPVS has no notifications).
    FullCheck,
    /// A drained real server's drain period ended.
    Drain,
    /// A VRRP instance's deadline (advert, master down, gratuitous ARP).
    Vrrp,
}

/// The signals the daemon handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP: read the source now (fetch).
    Hup,
    /// SIGTERM or SIGINT: stop cleanly.
    Stop,
}
