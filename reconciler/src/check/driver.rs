//! The task that runs the checks on time: it owns nothing but the in-flight attempts; the
//! [`CheckEngine`] is shared with the daemon loop behind a mutex (held briefly, never across
//! an await). Attempts run concurrently, each bounded by its `connect_timeout`; results are
//! counted as they end. When health changes, the loop gets one [`Event::Health`] for every
//! burst of changes (a storm of results makes one apply), and reads the engine then.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use kac_schema::plan::Plan;
use kac_schema::status::RealServerHealth;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

use super::engine::{CheckEngine, CheckSpec, CheckUid};
use super::health::{Effects, QuorumFlip, Transition};
use super::notify;
use super::schedule::Attempt;
use crate::daemon::event::Event;
use crate::daemon::metrics::Metrics;
use crate::desired::Desired;

/// The most health changes kept for the alerts between two reads by the loop (beyond them
/// changes are not alerted, logged once per burst).
pub const MAX_PENDING_CHANGES: usize = 4096;

/// A change of health the daemon alerts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthChange {
    /// A real server went up or down.
    RealServer(Transition),
    /// A virtual server gained or lost its quorum.
    Quorum(QuorumFlip),
}

/// How long after a change of health the loop is told (more changes in that time are the
/// same apply).
pub const BATCH: Duration = Duration::from_millis(50);

/// Runs one attempt of a check (the probes, or a test's script).
pub trait Prober: Send + Sync + 'static {
    /// The checks it runs.
    type Spec: CheckSpec;
    /// One attempt (the driver bounds it by the check's `connect_timeout` as well).
    fn probe(&self, spec: &Self::Spec) -> impl Future<Output = Attempt> + Send;
}

/// What the daemon loop asks of health checking.
pub trait HealthControl: Send + Sync {
    /// Takes a new plan's checks, keeping the state of unchanged ones; on error nothing
    /// changes.
    fn load(&self, plan: &Plan) -> Result<(), Vec<String>>;
    /// Writes health into `desired` (built from the plan last loaded).
    fn overlay(&self, desired: &mut Desired);
    /// Health of every checked real server.
    fn status(&self) -> Vec<RealServerHealth>;
    /// Which addresses the host holds, for `ha_suspend` (`None`: unknown, nothing paused).
    fn set_local_addresses(&self, addrs: Option<BTreeSet<IpAddr>>);
    /// The changes of health since the last call, oldest first (for the alerts).
    fn take_changes(&self) -> Vec<HealthChange>;
}

struct Shared<S: CheckSpec> {
    engine: Mutex<CheckEngine<S>>,
    wake: Notify,
    metrics: Metrics,
    changes: Mutex<Vec<HealthChange>>,
    /// The loaded plan's `enable_script_security` (notify commands obey it).
    script_security: AtomicBool,
}

impl<S: CheckSpec> Shared<S> {
    fn engine(&self) -> MutexGuard<'_, CheckEngine<S>> {
        // A panic while holding the lock leaves counting state that is still consistent
        // enough to go on with.
        self.engine
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn effects(&self, fx: &Effects) {
        for t in &fx.transitions {
            self.metrics
                .health_transition(&t.virtual_server, &t.real_server, t.up);
        }
        let security = self.script_security.load(Ordering::Relaxed);
        for n in &fx.notices {
            notify::run(n, security);
        }
        if fx.transitions.is_empty() && fx.quorum.is_empty() {
            return;
        }
        let mut pending = self
            .changes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let new = fx
            .transitions
            .iter()
            .cloned()
            .map(HealthChange::RealServer)
            .chain(fx.quorum.iter().cloned().map(HealthChange::Quorum));
        for c in new {
            if pending.len() >= MAX_PENDING_CHANGES {
                tracing::warn!("too many health changes at once: some are not alerted");
                break;
            }
            pending.push(c);
        }
    }
}

impl<S: CheckSpec> HealthControl for Shared<S> {
    fn load(&self, plan: &Plan) -> Result<(), Vec<String>> {
        let fx = self.engine().load(plan, Instant::now())?;
        self.script_security
            .store(plan.global.enable_script_security, Ordering::Relaxed);
        self.effects(&fx);
        let status = self.engine().status();
        self.metrics.health_reset(&status);
        self.wake.notify_one();
        Ok(())
    }

    fn overlay(&self, desired: &mut Desired) {
        self.engine().overlay(desired);
    }

    fn status(&self) -> Vec<RealServerHealth> {
        self.engine().status()
    }

    fn set_local_addresses(&self, addrs: Option<BTreeSet<IpAddr>>) {
        self.engine().set_local_addresses(addrs);
        self.wake.notify_one();
    }

    fn take_changes(&self) -> Vec<HealthChange> {
        std::mem::take(
            &mut *self
                .changes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// Starts the driver on the current runtime; health changes come to the loop as
/// [`Event::Health`].
pub fn spawn<P: Prober>(
    prober: P,
    events: mpsc::Sender<Event>,
    metrics: Metrics,
) -> Arc<dyn HealthControl> {
    let shared = Arc::new(Shared {
        engine: Mutex::new(CheckEngine::<P::Spec>::new()),
        wake: Notify::new(),
        metrics,
        changes: Mutex::new(Vec::new()),
        script_security: AtomicBool::new(false),
    });
    tokio::spawn(run(Arc::new(prober), shared.clone(), events));
    shared
}

async fn run<P: Prober>(prober: Arc<P>, shared: Arc<Shared<P::Spec>>, events: mpsc::Sender<Event>) {
    let mut inflight: JoinSet<(CheckUid, Attempt, Duration)> = JoinSet::new();
    let mut uids: HashMap<tokio::task::Id, CheckUid> = HashMap::new();
    let mut flush_at: Option<Instant> = None;
    loop {
        let next = shared.engine().next_due();
        let far = Instant::now() + Duration::from_secs(3600);
        tokio::select! {
            () = shared.wake.notified() => {}
            Some(joined) = inflight.join_next_with_id() => {
                let (id, result) = match joined {
                    Ok((id, r)) => (id, Ok(r)),
                    Err(e) => (e.id(), Err(e.to_string())),
                };
                let Some(uid) = uids.remove(&id) else { continue };
                let (attempt, latency) = match result {
                    Ok((_, a, l)) => (a, l),
                    Err(e) => (Attempt::Fail(format!("the check failed to run: {e}")), Duration::ZERO),
                };
                shared.metrics.check_latency(latency.as_secs_f64());
                let fx = shared.engine().record(uid, attempt, latency, Instant::now());
                shared.effects(&fx);
                if fx.changed && flush_at.is_none() {
                    flush_at = Some(Instant::now() + BATCH);
                }
            }
            () = tokio::time::sleep_until(next.unwrap_or(far).into()), if next.is_some() => {
                let due = shared.engine().due(Instant::now());
                for d in due {
                    let prober = prober.clone();
                    let uid = d.uid;
                    let h = inflight.spawn(async move {
                        let start = Instant::now();
                        // A grace second over the check's own bound.
                        let bound = d.timeout + Duration::from_secs(1);
                        let attempt = match tokio::time::timeout(bound, prober.probe(&d.spec)).await {
                            Ok(a) => a,
                            Err(_) => Attempt::Fail(format!("no answer within {}s", d.timeout.as_secs_f64())),
                        };
                        (uid, attempt, start.elapsed())
                    });
                    uids.insert(h.id(), uid);
                }
            }
            () = tokio::time::sleep_until(flush_at.unwrap_or(far).into()), if flush_at.is_some() => {
                flush_at = None;
                if events.send(Event::Health).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Raises the soft open-file limit to the hard limit (every check in flight holds a socket).
/// Returns the limit now, or why it could not be raised (the daemon logs it and goes on).
pub fn raise_fd_limit() -> Result<u64, String> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)
        .map_err(|e| format!("cannot read the open-file limit: {e}"))?;
    if soft >= hard {
        return Ok(soft);
    }
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard)
        .map_err(|e| format!("cannot raise the open-file limit from {soft} to {hard}: {e}"))?;
    Ok(hard)
}
