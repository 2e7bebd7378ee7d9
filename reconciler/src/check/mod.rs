//! Health checking of real servers (keepalived's checker process).
//!
//! * [`probe`]: one check of one endpoint, up or down, per checker type.

pub mod probe;
