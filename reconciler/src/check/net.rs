//! The probes ([`super::probe`]) as the engine's checks and the driver's prober.

use kac_schema::plan::{PlanChecker, PlanRealServer, PlanVirtualServer};

use super::driver::Prober;
use super::engine::CheckSpec;
use super::probe::{self, DedupeKey, Outcome, ProbeSpec};
use super::schedule::Attempt;

impl CheckSpec for ProbeSpec {
    type Key = DedupeKey;

    fn from_plan(
        checker: &PlanChecker,
        rs: &PlanRealServer,
        vs: &PlanVirtualServer,
    ) -> Result<Self, String> {
        ProbeSpec::from_plan(checker, rs, vs).map_err(|e| e.to_string())
    }

    fn dedupe_key(&self) -> DedupeKey {
        ProbeSpec::dedupe_key(self)
    }
}

/// Runs checks with the probes.
#[derive(Clone, Copy, Debug, Default)]
pub struct NetProber;

impl Prober for NetProber {
    type Spec = ProbeSpec;

    async fn probe(&self, spec: &ProbeSpec) -> Attempt {
        attempt(probe::probe(spec).await)
    }
}

/// A probe's outcome as the engine counts it.
pub fn attempt(o: Outcome) -> Attempt {
    match o {
        Outcome::Up => Attempt::Pass(None),
        Outcome::UpWithWeight(w) => Attempt::Pass(Some(w)),
        Outcome::Down { reason } => Attempt::Fail(reason),
    }
}
