//! kac's own IPVS generic netlink layer: the message type ([`msg`]) and a client
//! ([`client::IpvsClient`]) that dumps, adds, edits and deletes services and destinations and
//! reads and sets the connection timeouts.

pub mod client;
pub mod msg;
