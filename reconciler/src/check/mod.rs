//! Health checking: keepalived's checkers driving IPVS.
//!
//! * [`probe`]: one check of one endpoint, up or down, per checker type;
//! * `schedule`: one check's counting and timing (retry, delay_before_retry, delay_loop,
//!   warmup, alpha), pure;
//! * `health`: real servers and virtual servers as health sees them (every checker must
//!   pass, quorum with hysteresis, sorry server, inhibit_on_failure, dynamic weight), pure,
//!   and the overlay that turns health into the desired IPVS state;
//! * `engine`: every check of a plan, de-duplicated, kept across reloads;
//! * `drain`: real servers removed from the configuration, drained before removal;
//! * `driver`: the task that runs the checks on time with a [`driver::Prober`] and tells
//!   the daemon loop when health changed;
//! * `net`: the probes as the driver's prober;
//! * `notify`: runs `notify_up`/`notify_down`/`quorum_up`/`quorum_down` as their users.

pub mod drain;
pub mod driver;
pub mod engine;
pub mod health;
pub mod net;
pub mod notify;
pub mod probe;
pub mod schedule;

#[cfg(test)]
pub(crate) mod tests;
