//! Every check of a plan, de-duplicated and kept across reloads, pure (time is a parameter).
//!
//! * **De-duplication**: identical checks (same [`CheckSpec::dedupe_key`], timing and
//!   `alpha`) in several virtual servers or real servers are one check: it runs once per
//!   interval and its result is fanned out to every real server that has it.
//! * **Reload**: [`CheckEngine::load`] with a new plan keeps each unchanged check's state and
//!   schedule (no storm of re-checks; a failed real server stays out until its check passes),
//!   each kept real server's alive flag and each kept virtual server's quorum; new checks
//!   start with their warmup; checks no longer in the plan stop (an attempt in flight is
//!   ignored when it ends).
//! * **ha_suspend**: a check pauses while every virtual server that has it is suspended
//!   ([`CheckEngine::set_local_addresses`], driven by whoever knows which addresses the host
//!   holds: the VRRP engine).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::fmt::Debug;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use kac_schema::plan::{Plan, PlanChecker, PlanRealServer, PlanVirtualServer, PlanVsKey};
use kac_schema::status::{CheckerHealth, RealServerHealth};

use super::health::{CheckView, Effects, Pool};
use super::schedule::{Attempt, Counter, Timing};
use crate::desired::Desired;

/// What the engine needs of a check's specification (the probes' `ProbeSpec`, or a test's).
pub trait CheckSpec: Clone + Send + Sync + 'static {
    /// What makes two checks identical.
    type Key: Hash + Eq + Clone + Debug + Send;
    /// The check of `checker` on real server `rs` of `vs`, or why kac cannot run it.
    fn from_plan(
        checker: &PlanChecker,
        rs: &PlanRealServer,
        vs: &PlanVirtualServer,
    ) -> Result<Self, String>;
    /// Identical checks have equal keys.
    fn dedupe_key(&self) -> Self::Key;
}

/// An engine check id: unique for the engine's life (a reload keeps the id of a kept check).
pub type CheckUid = u64;

/// How the last attempt went.
#[derive(Clone, Debug, PartialEq)]
pub struct LastAttempt {
    /// When it ended.
    pub at: SystemTime,
    /// How long it took.
    pub latency: Duration,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

#[derive(Clone, Debug)]
struct Check<S> {
    uid: CheckUid,
    spec: S,
    label: String,
    timing: Timing,
    alpha: bool,
    counter: Counter,
    log_all_failures: bool,
    in_flight: bool,
    last: Option<LastAttempt>,
    /// (pool, member) pairs that have this check.
    subscribers: Vec<(usize, usize)>,
}

type DedupeKey<S> = (<S as CheckSpec>::Key, Timing, bool);

/// Every check of the applied plan, and the health of its virtual and real servers.
#[derive(Debug)]
pub struct CheckEngine<S: CheckSpec> {
    checks: Vec<Check<S>>,
    by_uid: HashMap<CheckUid, usize>,
    by_key: HashMap<DedupeKey<S>, usize>,
    pools: Vec<Pool>,
    queue: BinaryHeap<Reverse<(Instant, CheckUid)>>,
    next_uid: CheckUid,
    local_addresses: Option<BTreeSet<IpAddr>>,
    rng: u64,
}

/// A check to run now.
#[derive(Clone, Debug)]
pub struct DueCheck<S> {
    /// Its id (hand it back to [`CheckEngine::record`]).
    pub uid: CheckUid,
    /// What to run.
    pub spec: S,
    /// Its bound.
    pub timeout: Duration,
}

impl<S: CheckSpec> Default for CheckEngine<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: CheckSpec> CheckEngine<S> {
    /// An engine with no checks.
    pub fn new() -> Self {
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
            | 1;
        CheckEngine {
            checks: Vec::new(),
            by_uid: HashMap::new(),
            by_key: HashMap::new(),
            pools: Vec::new(),
            queue: BinaryHeap::new(),
            next_uid: 1,
            local_addresses: None,
            rng: seed,
        }
    }

    /// A fraction in [0, 1) for the warmup (xorshift; tests may seed it).
    fn jitter(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Seeds the warmup's random spread (tests).
    pub fn seed(&mut self, seed: u64) {
        self.rng = seed | 1;
    }

    /// How many checks run (after de-duplication).
    pub fn check_count(&self) -> usize {
        self.checks.len()
    }

    /// The virtual servers.
    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    /// Takes `plan`'s checks, keeping the state of those that did not change. Returns the
    /// commands `omega` runs for removed virtual and real servers and what health changed,
    /// or, when a check cannot be run by kac, every reason (nothing is changed then).
    pub fn load(&mut self, plan: &Plan, now: Instant) -> Result<Effects, Vec<String>> {
        // Every spec first, so that an error changes nothing.
        let mut specs: Vec<Vec<Vec<S>>> = Vec::new();
        let mut errors = Vec::new();
        for vs in &plan.virtual_servers {
            let mut per_rs = Vec::new();
            for rs in &vs.real_servers {
                let mut per_c = Vec::new();
                for c in &rs.checkers {
                    match S::from_plan(c, rs, vs) {
                        Ok(s) => per_c.push(s),
                        Err(e) => errors.push(format!(
                            "{} real server {}: {}: {e}",
                            super::health::vs_label(&vs.key),
                            std::net::SocketAddr::new(rs.addr, rs.port),
                            c.kind
                        )),
                    }
                }
                per_rs.push(per_c);
            }
            specs.push(per_rs);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut old_checks: HashMap<DedupeKey<S>, Check<S>> = HashMap::new();
        for c in self.checks.drain(..) {
            let key = (c.spec.dedupe_key(), c.timing, c.alpha);
            old_checks.insert(key, c);
        }
        // The same check with other timing or `alpha` keeps its state too (a failed real
        // server whose delay_loop changes stays out until it passes).
        let mut old_by_spec: HashMap<S::Key, Vec<DedupeKey<S>>> = HashMap::new();
        for k in old_checks.keys() {
            old_by_spec.entry(k.0.clone()).or_default().push(k.clone());
        }
        let old_pools: HashMap<PlanVsKey, Pool> =
            self.pools.drain(..).map(|p| (p.key.clone(), p)).collect();
        self.by_key.clear();
        self.by_uid.clear();
        let mut fx = Effects::default();
        let mut new_pools = Vec::new();
        let mut kept_pools = Vec::new();
        for (vs, per_rs) in plan.virtual_servers.iter().zip(specs) {
            let Some(mut pool) = Pool::of(vs) else {
                continue;
            };
            let p = new_pools.len();
            for (m, (rs, per_c)) in vs.real_servers.iter().zip(per_rs).enumerate() {
                for (c, spec) in rs.checkers.iter().zip(per_c) {
                    let timing = Timing::of(c);
                    let key: DedupeKey<S> = (spec.dedupe_key(), timing, c.alpha);
                    let idx = match self.by_key.get(&key) {
                        Some(&i) => i,
                        None => {
                            let kept = old_checks.remove(&key).or_else(|| {
                                let same = old_by_spec.get_mut(&key.0)?;
                                while let Some(k) = same.pop() {
                                    if let Some(old) = old_checks.remove(&k) {
                                        return Some(old);
                                    }
                                }
                                None
                            });
                            let check = match kept {
                                Some(mut old) => {
                                    old.subscribers.clear();
                                    old.log_all_failures = c.log_all_failures;
                                    old.timing = timing;
                                    old.alpha = c.alpha;
                                    old
                                }
                                None => {
                                    let jitter = self.jitter();
                                    let uid = self.next_uid;
                                    self.next_uid += 1;
                                    let counter = Counter::new(c.alpha, &timing, now, jitter);
                                    self.queue.push(Reverse((counter.next_at, uid)));
                                    Check {
                                        uid,
                                        label: format!(
                                            "{} {}",
                                            c.kind,
                                            std::net::SocketAddr::new(c.connect_ip, c.connect_port)
                                        ),
                                        spec,
                                        timing,
                                        alpha: c.alpha,
                                        counter,
                                        log_all_failures: c.log_all_failures,
                                        in_flight: false,
                                        last: None,
                                        subscribers: Vec::new(),
                                    }
                                }
                            };
                            let i = self.checks.len();
                            self.by_uid.insert(check.uid, i);
                            self.by_key.insert(key, i);
                            self.checks.push(check);
                            i
                        }
                    };
                    self.checks[idx].subscribers.push((p, m));
                    pool.members[m].checks.push(idx);
                }
            }
            let checks = &self.checks;
            let view = |i: usize| view_of(&checks[i]);
            match old_pools.get(&pool.key) {
                Some(old) => {
                    // Kept real servers keep their alive flag; the quorum is kept, then
                    // re-evaluated (its settings may have changed), as keepalived does.
                    let mut fresh = vec![true; pool.members.len()];
                    for (i, m) in pool.members.iter_mut().enumerate() {
                        if let Some(o) = old
                            .members
                            .iter()
                            .find(|o| o.addr == m.addr && o.port == m.port)
                        {
                            m.alive = o.alive;
                            m.weight_now = o.weight_now;
                            fresh[i] = false;
                        }
                    }
                    pool.initialise(view, &fresh);
                    if plan.global.rs_init_notifies {
                        fx.notices.extend(pool.initial_notices(&fresh));
                    }
                    pool.quorum_state = old.quorum_state;
                    let gone: Vec<usize> = old
                        .members
                        .iter()
                        .enumerate()
                        .filter(|(_, o)| {
                            !pool
                                .members
                                .iter()
                                .any(|m| m.addr == o.addr && m.port == o.port)
                        })
                        .map(|(i, _)| i)
                        .collect();
                    fx.notices.extend(old.omega_notices(Some(&gone)));
                    kept_pools.push(p);
                }
                None => {
                    pool.initialise(view, &[]);
                    pool.initialise_quorum();
                    if plan.global.rs_init_notifies {
                        fx.notices.extend(pool.initial_notices(&[]));
                    }
                }
            }
            new_pools.push(pool);
        }
        for (key, old) in &old_pools {
            if !new_pools.iter().any(|p| &p.key == key) {
                fx.notices.extend(old.omega_notices(None));
            }
        }
        self.pools = new_pools;
        for p in kept_pools {
            let checks = &self.checks;
            fx.merge(self.pools[p].settle(|i| view_of(&checks[i])));
        }
        fx.changed = true;
        Ok(fx)
    }

    /// Which addresses the host holds (`None`: unknown, nothing is suspended). A virtual
    /// server with `ha_suspend` whose address is not among them has its checks paused.
    pub fn set_local_addresses(&mut self, addrs: Option<BTreeSet<IpAddr>>) {
        self.local_addresses = addrs;
    }

    fn pool_suspended(&self, p: &Pool) -> bool {
        match (&self.local_addresses, p.ha_suspend, p.address()) {
            (Some(held), true, Some(a)) => !held.contains(&a),
            _ => false,
        }
    }

    fn check_suspended(&self, c: &Check<S>) -> bool {
        !c.subscribers.is_empty()
            && c.subscribers
                .iter()
                .all(|&(p, _)| self.pool_suspended(&self.pools[p]))
    }

    /// When the next check is due, if any.
    pub fn next_due(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, uid))) = self.queue.peek().copied() {
            match self.by_uid.get(&uid).map(|&i| &self.checks[i]) {
                Some(c) if !c.in_flight && c.counter.next_at == at => return Some(at),
                _ => {
                    self.queue.pop();
                }
            }
        }
        None
    }

    /// The checks due at `now`, marked in flight (suspended ones are skipped a
    /// `delay_loop`).
    pub fn due(&mut self, now: Instant) -> Vec<DueCheck<S>> {
        let mut out = Vec::new();
        while let Some(at) = self.next_due() {
            if at > now {
                break;
            }
            let Some(Reverse((_, uid))) = self.queue.pop() else {
                break;
            };
            let Some(&i) = self.by_uid.get(&uid) else {
                continue;
            };
            if self.check_suspended(&self.checks[i]) {
                let c = &mut self.checks[i];
                c.counter.skip(&c.timing, now);
                self.queue.push(Reverse((c.counter.next_at, uid)));
                continue;
            }
            let c = &mut self.checks[i];
            c.in_flight = true;
            out.push(DueCheck {
                uid,
                spec: c.spec.clone(),
                timeout: c.timing.connect_timeout,
            });
        }
        out
    }

    /// Counts the attempt of check `uid` that ended at `now` and settles the health of
    /// every real server that has it. An attempt of a check no longer in the plan is
    /// ignored.
    pub fn record(
        &mut self,
        uid: CheckUid,
        attempt: Attempt,
        latency: Duration,
        now: Instant,
    ) -> Effects {
        let Some(&i) = self.by_uid.get(&uid) else {
            return Effects::default();
        };
        let c = &mut self.checks[i];
        c.in_flight = false;
        let was_up = c.counter.up;
        let change = c.counter.record(&attempt, &c.timing, now);
        if let Attempt::Fail(reason) = &attempt
            && (c.log_all_failures || (was_up && change.went.is_some()))
        {
            tracing::info!(check = %c.label, "check failed: {reason}");
        }
        c.last = Some(LastAttempt {
            at: SystemTime::now(),
            latency,
            failure: match attempt {
                Attempt::Fail(r) => Some(r),
                Attempt::Pass(_) => None,
            },
        });
        self.queue.push(Reverse((c.counter.next_at, uid)));
        if !change.any() {
            return Effects::default();
        }
        let mut pools: Vec<usize> = c.subscribers.iter().map(|&(p, _)| p).collect();
        pools.sort_unstable();
        pools.dedup();
        let mut fx = Effects::default();
        for p in pools {
            let checks = &self.checks;
            fx.merge(self.pools[p].settle(|i| view_of(&checks[i])));
        }
        fx
    }

    /// Writes health into `desired` (built from the same plan as the last [`Self::load`]).
    pub fn overlay(&self, desired: &mut Desired) {
        for p in &self.pools {
            p.overlay(desired);
        }
    }

    /// Health of every real server that has checks, for `kac status`.
    pub fn status(&self) -> Vec<RealServerHealth> {
        let mut out = Vec::new();
        for p in &self.pools {
            let suspended = self.pool_suspended(p);
            for m in &p.members {
                if m.checks.is_empty() {
                    continue;
                }
                let state = if suspended {
                    "suspended"
                } else if m.alive {
                    "up"
                } else {
                    "down"
                };
                out.push(RealServerHealth {
                    virtual_server: p.label.clone(),
                    real_server: m.label(),
                    state: state.into(),
                    ipvs: p.ipvs_word(m).into(),
                    weight: m.weight_now,
                    checkers: m
                        .checks
                        .iter()
                        .map(|&i| checker_health(&self.checks[i]))
                        .collect(),
                });
            }
        }
        out
    }
}

fn view_of<S>(c: &Check<S>) -> CheckView {
    CheckView {
        up: c.counter.up,
        weight: if c.counter.up { c.counter.weight } else { None },
    }
}

fn checker_health<S>(c: &Check<S>) -> CheckerHealth {
    CheckerHealth {
        check: c.label.clone(),
        state: if c.counter.up { "up" } else { "down" }.into(),
        last_check_at: c
            .last
            .as_ref()
            .map(|l| humantime::format_rfc3339_seconds(l.at).to_string()),
        last_latency_ms: c.last.as_ref().map(|l| l.latency.as_secs_f64() * 1000.0),
        last_failure: c.last.as_ref().and_then(|l| l.failure.clone()),
        consecutive_failures: c.counter.consecutive_failures,
        failures: c.counter.failures,
    }
}
