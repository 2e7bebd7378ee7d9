//! kac's reconciler (not implemented yet: the kernel backends issue builds it).
//!
//! Architecture invariant: it consumes [`kac_schema::plan::Plan`] and nothing from the
//! front ends; the binary hands it a compile function.

/// The plan type the reconciler consumes.
pub use kac_schema::plan::Plan;
