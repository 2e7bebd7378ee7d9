//! One check of one endpoint: the part of a health checker that connects, asks and says up
//! or down. Scheduling (delay_loop, retry, warmup, alpha), per-real-server state and what
//! IPVS receives are the engine's job, not this module's.
//!
//! [`ProbeSpec::from_plan`] builds, once per checker, everything a check needs from the plan
//! (addresses resolved, status ranges parsed, TLS configuration shared); [`probe`] runs one
//! attempt, bounded by the checker's timeout, and never panics.
//!
//! One file per checker type: [`tcp`] (`TCP_CHECK`). The sockets of every type are made by
//! [`socket`] (bindto, bind_port, bind_if, fwmark).

pub mod socket;
pub mod tcp;

use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use kac_schema::plan::{PlanChecker, PlanRealServer, PlanVirtualServer};

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint passed.
    Up,
    /// The endpoint passed and sets the real server's weight (`MISC_CHECK` with
    /// `misc_dynamic`, `FILE_CHECK`).
    UpWithWeight(u32),
    /// The endpoint failed.
    Down {
        /// Why, for logs and `kac status` ("connection refused", "status 500 not in 200-299").
        reason: String,
    },
}

impl Outcome {
    /// A failure with `reason`.
    pub fn down(reason: impl Into<String>) -> Outcome {
        Outcome::Down {
            reason: reason.into(),
        }
    }

    /// Whether the check passed.
    pub fn is_up(&self) -> bool {
        !matches!(self, Outcome::Down { .. })
    }
}

/// A checker in the plan that cannot be turned into a probe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeConfigError {
    /// The checker type has no probe (`BFD_CHECK`, or a type this build does not know).
    #[error("{0} is not supported by kac's health checker")]
    UnsupportedKind(String),
    /// A kind-specific parameter is missing or malformed.
    #[error("{kind}: bad `{param}`: {reason}")]
    BadParam {
        /// The checker type.
        kind: String,
        /// The parameter.
        param: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Where a check connects from and to (keepalived's common connection keywords).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// `connect_ip`:`connect_port` (defaults: the real server's).
    pub connect: SocketAddr,
    /// `bindto`: the source address.
    pub bindto: Option<IpAddr>,
    /// `bind_port`: the source port.
    pub bind_port: Option<u16>,
    /// `bind_if`: the interface the socket is bound to (SO_BINDTODEVICE; needed for IPv6
    /// link-local addresses).
    pub bind_if: Option<String>,
    /// `fwmark`: SO_MARK of the check's packets.
    pub fwmark: Option<u32>,
}

/// What kind of check, with its kind-specific configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    /// `TCP_CHECK`: the connection is accepted.
    Tcp,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SpecInner {
    endpoint: Endpoint,
    timeout: Duration,
    kind: ProbeKind,
}

/// Everything one check needs, built once per checker from the plan; cheap to clone.
#[derive(Clone, Debug)]
pub struct ProbeSpec {
    inner: Arc<SpecInner>,
}

/// Equal for identical checks of the same endpoint (same type, configuration, source and
/// timeout), so the engine can run them once per interval.
#[derive(Clone, Debug)]
pub struct DedupeKey(Arc<SpecInner>);

impl PartialEq for DedupeKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for DedupeKey {}

impl Hash for DedupeKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl ProbeSpec {
    /// The probe of `checker`, a checker of real server `rs` in virtual server `vs`.
    pub fn from_plan(
        checker: &PlanChecker,
        _rs: &PlanRealServer,
        _vs: &PlanVirtualServer,
    ) -> Result<ProbeSpec, ProbeConfigError> {
        let endpoint = Endpoint {
            connect: SocketAddr::new(checker.connect_ip, checker.connect_port),
            bindto: checker.bindto,
            bind_port: checker.bind_port,
            bind_if: checker.bind_if.clone(),
            fwmark: checker.fwmark,
        };
        let kind = match &*checker.kind {
            "TCP_CHECK" => ProbeKind::Tcp,
            other => return Err(ProbeConfigError::UnsupportedKind(other.to_string())),
        };
        Ok(ProbeSpec::new(
            endpoint,
            Duration::from_micros(checker.connect_timeout_us),
            kind,
        ))
    }

    /// A probe from its parts (tests and tools such as `kac genhash`).
    pub fn new(endpoint: Endpoint, timeout: Duration, kind: ProbeKind) -> ProbeSpec {
        ProbeSpec {
            inner: Arc::new(SpecInner {
                endpoint,
                timeout,
                kind,
            }),
        }
    }

    /// Where the check connects.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The bound of one attempt (`connect_timeout`; `misc_timeout` for `MISC_CHECK`).
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The kind and its configuration.
    pub fn kind(&self) -> &ProbeKind {
        &self.inner.kind
    }

    /// A key equal for identical checks of the same endpoint (dedupe).
    pub fn dedupe_key(&self) -> DedupeKey {
        DedupeKey(Arc::clone(&self.inner))
    }
}

/// Runs one attempt of `spec`, bounded by its timeout. Never panics; every failure, the
/// timeout included, is a [`Outcome::Down`] with its reason.
pub async fn probe(spec: &ProbeSpec) -> Outcome {
    let timeout = spec.timeout();
    let attempt = async {
        match spec.kind() {
            ProbeKind::Tcp => tcp::check(spec.endpoint()).await,
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::down(format!("timeout after {}", fmt_duration(timeout))),
    }
}

/// `1.5s`, `200ms`: durations in reasons.
fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
