//! keepalived's keyword tree, one module per family of blocks.

pub mod common;
pub mod global;
pub mod ip;
pub mod lvs;
pub mod vrrp;

#[cfg(test)]
mod coverage;
