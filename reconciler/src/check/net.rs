//! TEMPORARY until the probes (check/probe/) are merged: a TCP connect check, so that the
//! daemon builds. Replaced by the adapter to `check::probe`.

use std::net::SocketAddr;

use kac_schema::plan::{PlanChecker, PlanRealServer, PlanVirtualServer};

use super::driver::Prober;
use super::engine::CheckSpec;
use super::schedule::Attempt;

/// A TCP connect check.
#[derive(Clone, Debug)]
pub struct TcpSpec {
    addr: SocketAddr,
}

impl CheckSpec for TcpSpec {
    type Key = SocketAddr;
    fn from_plan(c: &PlanChecker, _: &PlanRealServer, _: &PlanVirtualServer) -> Result<Self, String> {
        if c.kind != "TCP_CHECK" {
            return Err(format!("{} is not supported", c.kind));
        }
        Ok(TcpSpec {
            addr: SocketAddr::new(c.connect_ip, c.connect_port),
        })
    }
    fn dedupe_key(&self) -> SocketAddr {
        self.addr
    }
}

/// Runs TCP connect checks.
pub struct NetProber;

impl Prober for NetProber {
    type Spec = TcpSpec;
    async fn probe(&self, spec: &TcpSpec) -> Attempt {
        match tokio::net::TcpStream::connect(spec.addr).await {
            Ok(_) => Attempt::Pass(None),
            Err(e) => Attempt::Fail(e.to_string()),
        }
    }
}
