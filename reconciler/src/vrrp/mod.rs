//! The VRRP engine's pure parts: [`codec`] (adverts on the wire) and [`machine`] (one
//! instance's state machine), plus [`garp`] (gratuitous ARP and unsolicited NA frames). The
//! sockets, timers and address changes around them live in the daemon
//! (`crate::daemon::vrrp`).

pub mod codec;
pub mod garp;
pub mod machine;
