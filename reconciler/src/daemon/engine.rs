//! The daemon loop: one task that owns the daemon's state and handles one [`Event`] at a
//! time. Work that takes time runs elsewhere and comes back as an event: compiling on a
//! blocking thread ([`Event::Compiled`]), kernel jobs on the worker thread
//! ([`Event::Kernel`]), fetching on the source's thread ([`Event::Source`]). At most one
//! compile or kernel job is in flight; what arrives meanwhile waits, and only the newest
//! revision is kept.
//!
//! The desired kernel state is computed from layers: the plan, then the checkers' health
//! (failed real servers out or at weight 0, sorry servers, dynamic weights; check/), then
//! the real servers being drained (check/drain.rs); the VRRP engine's masterships will be
//! another layer. Every change goes through the worker's [`crate::apply::apply`].

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use kac_schema::plan::Plan;
use kac_schema::status::{
    AppliedRevision, Counters, LastError, Mode, OpsRecord, STATUS_VERSION, SeenRevision,
    SourceStatus, Status, StatusDiagnostic,
};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, oneshot};

use super::alerts::Alerts;
use super::control::{self, ControlReply, ControlRequest};
use super::event::{Event, Signal, Timer};
use super::metrics::{self, Metrics};
use super::persist::{self, LastGood, PERSIST_VERSION, SavedMode};
use super::source::{self, SourceCommand, SourceEvent, SourceHandle};
use super::vrrp;
use super::worker::{Job, JobDone, Outcome, Purpose, Worker, owned_counts};
use super::{CompileFn, CompileOutcome, DaemonConfig, DaemonError, Revision, monitor};
use crate::alert::event::OperationalKind;
use crate::check::drain::Drains;
use crate::check::driver::HealthControl;
use crate::desired::{self, Desired, VrfRoute};
use crate::journal::StateDir;
use crate::kernel::Kernel;
use crate::names::Names;
use crate::op::Op;

/// How many events may wait for the loop.
const QUEUE: usize = 256;

/// Starts health checking on the loop's runtime, given the loop's event sender and metrics.
pub type HealthSpawn =
    Box<dyn FnOnce(mpsc::Sender<Event>, Metrics) -> Arc<dyn HealthControl> + Send>;

/// Runs the loop until a stop signal.
pub async fn run(
    cfg: DaemonConfig,
    compile: CompileFn,
    kernel: Box<dyn Kernel + Send>,
    health: HealthSpawn,
) -> Result<(), DaemonError> {
    let state = StateDir::lock(&cfg.state_dir)?;
    let journal = state.load()?;
    let saved = persist::load_mode(&cfg.state_dir)?;
    let last_good = match persist::load_last_good(&cfg.state_dir) {
        Ok(lg) => lg,
        Err(e) => {
            tracing::error!("{e}; starting without a last good state");
            None
        }
    };
    let (tx, mut rx) = mpsc::channel::<Event>(QUEUE);
    let listener = control::bind(&cfg.control)?;
    let metrics = Metrics::new();
    if let Some(addr) = cfg.metrics {
        metrics::check_address(&addr).map_err(DaemonError::Io)?;
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| DaemonError::Io(format!("cannot serve metrics on {addr}: {e}")))?;
        tokio::spawn(metrics::serve(l, metrics.clone()));
    }
    let mut changes = monitor::spawn()
        .map_err(|e| DaemonError::Io(format!("cannot subscribe to rtnetlink: {e}")))?;
    let sig = |k: SignalKind| {
        signal(k).map_err(|e| DaemonError::Io(format!("cannot handle signals: {e}")))
    };
    let (mut hup, mut term, mut int) = (
        sig(SignalKind::hangup())?,
        sig(SignalKind::terminate())?,
        sig(SignalKind::interrupt())?,
    );
    let applied_shared: source::AppliedRevision = Arc::new(Mutex::new(
        last_good
            .as_ref()
            .filter(|lg| lg.source == cfg.source.location)
            .map(|lg| lg.revision.clone()),
    ));
    let owned = owned_counts(&journal);
    let worker = Worker::spawn(kernel, state, tx.clone())
        .map_err(|e| DaemonError::Io(format!("cannot start the kernel worker: {e}")))?;
    let src = source::spawn(cfg.source.clone(), tx.clone(), applied_shared.clone())?;
    tokio::spawn(control::serve(listener, tx.clone()));
    let control_path = cfg.control.clone();
    let health = health(tx.clone(), metrics.clone());

    let mut d = Daemon::new(
        cfg,
        compile,
        worker,
        src,
        applied_shared,
        metrics,
        tx,
        saved,
        health,
    );
    d.status.owned = owned;
    d.metrics.owned(&owned);
    tracing::info!(
        host = %d.status.host,
        source = %d.status.source.location,
        "kac daemon started"
    );
    d.start(last_good);
    loop {
        let (kind, at) = d.timers.next();
        let vrrp_at = d
            .vrrp
            .next_deadline()
            .unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(3600));
        let event = tokio::select! {
            biased;
            () = tokio::time::sleep_until(vrrp_at.into()) => Event::Timer(Timer::Vrrp),
            Some(e) = rx.recv() => e,
            Some(()) = changes.recv() => Event::KernelChanged,
            _ = hup.recv() => Event::Signal(Signal::Hup),
            _ = term.recv() => Event::Signal(Signal::Stop),
            _ = int.recv() => Event::Signal(Signal::Stop),
            () = tokio::time::sleep_until(at.into()) => Event::Timer(kind),
        };
        if !d.handle(event) {
            break;
        }
    }
    let _ = std::fs::remove_file(&control_path);
    // Mails and traps still queued (the instances' last transitions) get a bounded time.
    d.alerts.shut_down().await;
    // The notify scripts of the last transitions (`notify_stop`) run before the daemon exits,
    // for 10 s at most.
    let notifier = d.vrrp.notifier();
    if tokio::time::timeout(std::time::Duration::from_secs(10), notifier.idle())
        .await
        .is_err()
    {
        tracing::warn!("notify scripts still running at exit");
    }
    if let Some(w) = d.worker.take() {
        w.shut_down();
    }
    tracing::info!("kac daemon stopped");
    Ok(())
}

/// The applied (last good) state in memory. Its plan is not kept: `last-good.json` has it
/// (read back only when a failed revision sends health back to the applied checks), unless
/// that file could not be written.
struct Applied {
    revision: String,
    /// The plan, only when `last-good.json` does not hold it.
    plan: Option<Plan>,
    /// The plan's `lvs_flush_on_stop`.
    flush_on_stop: String,
    /// The plan's `lvs_sync_daemon`.
    sync_daemon: Option<kac_schema::plan::PlanSyncDaemon>,
    desired: Arc<Desired>,
}

/// A compiled revision that is being applied.
struct Compiled {
    revision: Revision,
    plan: Plan,
    desired: Arc<Desired>,
}

/// A compiled revision held back by observe-only mode.
struct Candidate {
    revision: Revision,
    desired: Arc<Desired>,
}

/// The ops of the last reconcile that changed something, as `kac status` shows them
/// ([`OpsRecord`]), kept as one text and the ends of its lines: the first apply of a large
/// plan has hundreds of thousands of ops, and a `String` each would cost more memory than
/// the desired state.
struct LastOps {
    at: String,
    reason: String,
    revision: Option<String>,
    text: String,
    ends: Vec<usize>,
    adopted: Vec<String>,
}

impl LastOps {
    fn new(
        reason: &str,
        revision: Option<String>,
        ops: &[Op],
        adopted: &[crate::diff::Owned],
    ) -> LastOps {
        use std::fmt::Write;
        let mut text = String::new();
        let mut ends = Vec::with_capacity(ops.len());
        for op in ops {
            let _ = write!(text, "{op}");
            ends.push(text.len());
        }
        text.shrink_to_fit();
        LastOps {
            at: now_text(),
            reason: reason.into(),
            revision,
            text,
            ends,
            adopted: adopted.iter().map(ToString::to_string).collect(),
        }
    }

    fn record(&self) -> OpsRecord {
        let mut start = 0;
        let ops = self
            .ends
            .iter()
            .map(|&end| {
                let line = self.text.get(start..end).unwrap_or_default().to_string();
                start = end;
                line
            })
            .collect();
        OpsRecord {
            at: self.at.clone(),
            reason: self.reason.clone(),
            revision: self.revision.clone(),
            ops,
            adopted: self.adopted.clone(),
        }
    }
}

/// What is in flight.
enum Busy {
    Compiling {
        started: Instant,
    },
    Job {
        started: Instant,
        compiled: Option<Box<Compiled>>,
    },
}

/// The loop's timers.
struct Timers {
    drift: Option<Instant>,
    full: Instant,
    drain: Option<Instant>,
}

impl Timers {
    /// The next timer to fire.
    fn next(&self) -> (Timer, Instant) {
        let mut next = (Timer::FullCheck, self.full);
        for (kind, at) in [(Timer::Drift, self.drift), (Timer::Drain, self.drain)] {
            if let Some(at) = at
                && at < next.1
            {
                next = (kind, at);
            }
        }
        next
    }
}

struct Daemon {
    cfg: DaemonConfig,
    compile: CompileFn,
    worker: Option<Worker>,
    source: SourceHandle,
    applied_shared: source::AppliedRevision,
    metrics: Metrics,
    events: mpsc::Sender<Event>,
    status: Status,
    applied: Option<Applied>,
    /// Delivered, not compiled yet (the newest wins).
    newest: Option<Revision>,
    /// Observe-only: the newest compiled revision, not applied.
    candidate: Option<Candidate>,
    /// What `kac status` shows as `last_ops`.
    last_ops: Option<LastOps>,
    busy: Option<Busy>,
    drift_due: bool,
    full_due: bool,
    /// Health or drains changed: re-apply (IPVS included).
    health_due: bool,
    timers: Timers,
    stopping: bool,
    ready: bool,
    health: Arc<dyn HealthControl>,
    drains: Drains,
    /// The VRRP engine.
    vrrp: vrrp::Engine,
    /// VRRP mastership changed since the last job: its layer must be applied.
    vrrp_due: bool,
    /// The alert channels.
    alerts: Alerts,
    /// The connection sync daemon state the job in flight converges to.
    sync_in_flight: Option<crate::syncd::SyncState>,
}

fn now_text() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

fn op_lines(ops: &[Op]) -> Vec<String> {
    ops.iter().map(ToString::to_string).collect()
}

impl Daemon {
    #[allow(clippy::too_many_arguments)]
    fn new(
        cfg: DaemonConfig,
        compile: CompileFn,
        worker: Worker,
        source: SourceHandle,
        applied_shared: source::AppliedRevision,
        metrics: Metrics,
        events: mpsc::Sender<Event>,
        saved: SavedMode,
        health: Arc<dyn HealthControl>,
    ) -> Daemon {
        let status = Status {
            version: STATUS_VERSION,
            host: cfg.host_label.clone(),
            pid: std::process::id(),
            started_at: now_text(),
            source: SourceStatus {
                kind: cfg.source.spec.kind().into(),
                location: cfg.source.location.clone(),
                git_ref: cfg.source.git_ref.clone(),
                subdir: cfg
                    .source
                    .subdir
                    .as_ref()
                    .map(|s| s.to_string_lossy().into_owned()),
                verify_signatures: cfg.source.allowed_signers.is_some(),
                last_read_at: None,
                read_error: None,
            },
            mode: Mode {
                reconciling: !saved.suspended,
                observe_only: saved.observe_only,
                pinned: saved.pinned,
            },
            counters: Counters::default(),
            ..Status::default()
        };
        metrics.mode(saved.suspended, saved.observe_only);
        let full = Instant::now() + cfg.full_check;
        let mut vrrp = vrrp::Engine::new(events.clone(), metrics.clone());
        vrrp.set_adopt(cfg.adopt);
        health.set_local_addresses(Some(vrrp::net::host_addresses()));
        let alerts = Alerts::new(cfg.traps.clone());
        metrics.alert_stats(alerts.stats());
        Daemon {
            cfg,
            compile,
            worker: Some(worker),
            source,
            applied_shared,
            metrics,
            events,
            status,
            applied: None,
            newest: None,
            candidate: None,
            last_ops: None,
            busy: None,
            drift_due: false,
            full_due: false,
            health_due: false,
            timers: Timers {
                drift: None,
                full,
                drain: None,
            },
            stopping: false,
            ready: false,
            health,
            drains: Drains::new(),
            vrrp,
            vrrp_due: false,
            sync_in_flight: None,
            alerts,
        }
    }

    /// Hands the VRRP engine's transitions and the health layer's changes to the alerts.
    fn forward_alerts(&mut self) {
        for e in self.vrrp.take_alerts() {
            self.alerts.vrrp(&e);
        }
        for c in self.health.take_changes() {
            self.alerts.health(&c);
        }
    }

    /// Takes a plan's alert settings (the channels are rebuilt when they changed).
    fn configure_alerts(&mut self, plan: &Plan) {
        let problems = self.alerts.configure(plan);
        if !problems.is_empty() {
            self.error("alerts", None, problems.join("; "), Vec::new());
        }
    }

    /// The state to converge to for a plan's desired state: the plan, with the checkers'
    /// health and the drains written in.
    fn effective(&self, base: &Desired) -> Arc<Desired> {
        let mut d = base.clone();
        self.health.overlay(&mut d);
        self.drains.overlay(&mut d);
        Arc::new(d)
    }

    /// How long a real server removed from `plan` is drained: `--drain-period`, else the
    /// plan's `real_server_drain`.
    fn drain_period(&self, plan: &Plan) -> std::time::Duration {
        if let Some(p) = self.cfg.drain_period {
            return p;
        }
        let d = &plan.global.real_server_drain;
        if d.enabled {
            std::time::Duration::from_secs(u64::from(d.period_s))
        } else {
            std::time::Duration::ZERO
        }
    }

    /// Converges to the last good state first (the source may be unreachable).
    fn start(&mut self, last_good: Option<LastGood>) {
        let Some(lg) = last_good else {
            self.notify_ready();
            return;
        };
        match Desired::from_plan(&lg.plan, &Names::from_host()) {
            Ok(desired) => {
                tracing::info!(
                    revision = %lg.revision,
                    "converging to the last good state from the state directory"
                );
                if let Err(errors) = self.health.load(&lg.plan) {
                    self.error(
                        "health",
                        Some(lg.revision.clone()),
                        format!(
                            "the last good plan's checks cannot run: {}",
                            errors.join("; ")
                        ),
                        Vec::new(),
                    );
                }
                let desired = Arc::new(desired);
                self.status.applied = Some(AppliedRevision {
                    revision: lg.revision.clone(),
                    summary: lg.summary.clone(),
                    applied_at: lg.applied_at.clone(),
                });
                self.metrics.applied(&lg.revision, unix_now());
                self.configure_alerts(&lg.plan);
                self.configure_vrrp(&lg.plan);
                self.applied = Some(Applied {
                    revision: lg.revision,
                    plan: None,
                    flush_on_stop: lg.plan.global.lvs_flush_on_stop.clone(),
                    sync_daemon: lg.plan.global.lvs_sync_daemon.clone(),
                    desired: desired.clone(),
                });
                if self.status.mode.reconciling {
                    let dry = self.status.mode.observe_only;
                    let target = self.effective(&desired);
                    self.submit(Purpose::Startup, target, dry, None);
                } else {
                    self.notify_ready();
                }
            }
            Err(e) => {
                self.error(
                    "apply",
                    Some(lg.revision),
                    format!("the last good plan cannot be applied by this kac: {e}"),
                    Vec::new(),
                );
                self.notify_ready();
            }
        }
    }

    fn notify_ready(&mut self) {
        if !self.ready {
            self.ready = true;
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        }
    }

    /// Handles one event; `false` ends the loop.
    fn handle(&mut self, event: Event) -> bool {
        match event {
            Event::Source(e) => self.source_event(e),
            Event::Compiled(c) => {
                let (rev, outcome) = *c;
                self.compiled(rev, outcome);
            }
            Event::Kernel(done) => {
                if !self.job_done(*done) {
                    return false;
                }
            }
            Event::Vrrp(r) => {
                self.vrrp_due |= self.vrrp.received(&r, Instant::now());
            }
            Event::Track(c) => {
                self.vrrp_due |= self.vrrp.tracked(*c, Instant::now());
            }
            Event::Timer(Timer::Vrrp) => {
                self.vrrp_due |= self.vrrp.timers(Instant::now());
            }
            Event::KernelChanged => {
                self.local_addresses();
                self.vrrp_due |= self.vrrp.interfaces_changed(Instant::now());
                if self.applied.is_some() && self.timers.drift.is_none() {
                    self.timers.drift = Some(Instant::now() + self.cfg.drift_delay);
                }
            }
            Event::Timer(Timer::Drift) => {
                self.timers.drift = None;
                self.drift_due = true;
            }
            Event::Timer(Timer::FullCheck) => {
                self.timers.full = Instant::now() + self.cfg.full_check;
                self.full_due = true;
            }
            Event::Timer(Timer::Drain) => {
                if self.drains.expire(Instant::now()) {
                    self.health_due = true;
                }
            }
            // While the first revision is in flight nothing is applied yet: the flag waits
            // for it (kick() drops it when there is still nothing to converge).
            Event::Health => self.health_due = true,
            Event::Signal(Signal::Hup) => {
                tracing::info!("SIGHUP: reading the source");
                self.source
                    .send(SourceCommand::ReadNow { redeliver: false });
            }
            Event::Signal(Signal::Stop) => {
                if !self.stopping {
                    tracing::info!("stopping");
                    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
                    self.stopping = true;
                    // Masters send priority-0 adverts now; the stop job removes the
                    // virtual addresses.
                    self.vrrp.shutdown(Instant::now());
                }
            }
            Event::Control(req, reply) => {
                if let Some(answer) = self.control(req, reply) {
                    let (r, tx) = answer;
                    let _ = tx.send(r);
                }
            }
            Event::PinResolved(result, reply) => {
                let r = self.pin_resolved(*result);
                let _ = reply.send(r);
            }
        }
        self.forward_alerts();
        if self.stopping {
            return self.stop_step();
        }
        self.kick();
        self.timers.drain = self.drains.next_deadline();
        true
    }

    fn source_event(&mut self, e: SourceEvent) {
        match e {
            SourceEvent::Revision(r) => {
                self.source_read();
                tracing::info!(revision = %r.id, summary = r.summary.as_deref().unwrap_or(""), "new revision");
                self.status.seen = Some(SeenRevision {
                    revision: r.id.clone(),
                    summary: r.summary.clone(),
                    seen_at: now_text(),
                    outcome: "pending".into(),
                });
                self.newest = Some(r);
            }
            SourceEvent::Refused {
                revision,
                summary,
                reason,
            } => {
                self.source_read();
                self.status.seen = Some(SeenRevision {
                    revision: revision.clone(),
                    summary,
                    seen_at: now_text(),
                    outcome: "refused".into(),
                });
                self.error(
                    "refused",
                    Some(revision),
                    format!("revision refused: {reason}"),
                    Vec::new(),
                );
            }
            SourceEvent::Unchanged => self.source_read(),
            SourceEvent::Failed(e) => {
                if self.status.source.read_error.as_ref() != Some(&e) {
                    self.error("source", None, e.clone(), Vec::new());
                }
                self.status.source.read_error = Some(e);
            }
        }
    }

    fn source_read(&mut self) {
        self.status.source.last_read_at = Some(now_text());
        if self.status.source.read_error.take().is_some() {
            tracing::info!("the source can be read again");
        }
    }

    fn set_seen_outcome(&mut self, revision: &str, outcome: &str) {
        if let Some(seen) = self.status.seen.as_mut()
            && seen.revision == revision
        {
            seen.outcome = outcome.into();
        }
    }

    /// A compiled revision this host does not apply: the loop is free again, the revision is
    /// marked invalid, and `revision … is not applied: REASON` is reported (logged, counted,
    /// mailed); the last good state stays applied.
    fn refuse_compiled(
        &mut self,
        revision: &str,
        reason: String,
        diagnostics: Vec<StatusDiagnostic>,
    ) {
        self.busy = None;
        self.set_seen_outcome(revision, "invalid");
        self.error(
            "compile",
            Some(revision.to_string()),
            format!("revision {} is not applied: {reason}", short(revision)),
            diagnostics,
        );
    }

    /// Records (and logs) a problem.
    fn error(
        &mut self,
        stage: &'static str,
        revision: Option<String>,
        message: String,
        diagnostics: Vec<StatusDiagnostic>,
    ) {
        tracing::error!(
            stage,
            revision = revision.as_deref().unwrap_or(""),
            "{message}"
        );
        for d in &diagnostics {
            tracing::error!(code = %d.code, "{}", d.rendered);
        }
        self.metrics.error(stage);
        self.status.counters.errors += 1;
        // A revision that is not applied (the source refused it, or it does not compile for
        // this host) is also mailed.
        if matches!(stage, "refused" | "compile") {
            let mut detail = message.clone();
            for d in &diagnostics {
                detail.push_str("\n\n");
                detail.push_str(&d.rendered);
            }
            let rev = revision.as_deref().unwrap_or("-");
            self.alerts
                .operational(OperationalKind::RefusedRevision, rev, &detail);
        }
        self.status.last_error = Some(LastError {
            at: now_text(),
            revision,
            stage: stage.into(),
            message,
            diagnostics,
        });
    }

    /// Starts the next piece of work, if any and if nothing is in flight.
    fn kick(&mut self) {
        if self.busy.is_some() || self.stopping {
            return;
        }
        // Mastership follows the protocol, not the operator's controls: a VRRP change is
        // applied in every mode (against the applied plan).
        if self.vrrp_due {
            self.vrrp_due = false;
            if let Some(a) = &self.applied {
                // Health and drains included, though a VRRP job neither reads nor changes IPVS.
                let target = self.effective(&a.desired);
                self.submit(Purpose::Vrrp, target, false, None);
                return;
            }
        }
        if !self.status.mode.reconciling {
            if let Some(r) = &self.newest {
                let id = r.id.clone();
                self.set_seen_outcome(&id, "held");
            }
            return;
        }
        if let Some(r) = self.newest.take() {
            let held = self.status.mode.pinned.as_ref().is_some_and(|p| *p != r.id);
            if held {
                self.set_seen_outcome(&r.id, "held");
            } else {
                self.start_compile(r);
                return;
            }
        }
        if !(self.drift_due || self.full_due || self.health_due) {
            return;
        }
        let observe = self.status.mode.observe_only;
        let base = match (&self.candidate, &self.applied) {
            (Some(c), _) if observe => c.desired.clone(),
            (_, Some(a)) => a.desired.clone(),
            _ => {
                self.drift_due = false;
                self.full_due = false;
                self.health_due = false;
                return;
            }
        };
        let purpose = if self.full_due {
            Purpose::FullCheck
        } else if self.health_due {
            Purpose::Health
        } else {
            Purpose::Drift
        };
        self.drift_due = false;
        self.full_due = false;
        self.health_due = false;
        let target = self.effective(&base);
        self.submit(purpose, target, observe, None);
    }

    fn start_compile(&mut self, r: Revision) {
        self.busy = Some(Busy::Compiling {
            started: Instant::now(),
        });
        let compile = self.compile.clone();
        let selection = self.cfg.selection.clone();
        let events = self.events.clone();
        tokio::task::spawn_blocking(move || {
            let outcome = compile(&r, &selection);
            let _ = events.blocking_send(Event::Compiled(Box::new((r, outcome))));
        });
    }

    fn submit(
        &mut self,
        purpose: Purpose,
        desired: Arc<Desired>,
        dry: bool,
        compiled: Option<Box<Compiled>>,
    ) {
        let started = match &self.busy {
            Some(Busy::Compiling { started }) => *started,
            _ => Instant::now(),
        };
        self.busy = Some(Busy::Job { started, compiled });
        let skip_ipvs = matches!(purpose, Purpose::Drift | Purpose::Vrrp);
        let desired = self.layered(desired);
        self.sync_in_flight = desired.sync_daemon.as_ref().map(|d| d.state);
        if let Some(w) = &self.worker {
            w.submit(Job {
                purpose,
                desired,
                adopt: self.cfg.adopt,
                skip_ipvs,
                dry,
            });
        }
    }

    fn compiled(&mut self, rev: Revision, outcome: CompileOutcome) {
        if self.stopping {
            self.busy = None;
            return;
        }
        let errors: Vec<StatusDiagnostic> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.severity == "error")
            .cloned()
            .collect();
        let plan = match outcome.plan {
            Some(p) if errors.is_empty() => p,
            _ => {
                let n = errors.len().max(1);
                self.refuse_compiled(
                    &rev.id,
                    format!("{n} error(s) in its configuration; the last good state stays applied"),
                    outcome.diagnostics,
                );
                return;
            }
        };
        for d in outcome
            .diagnostics
            .iter()
            .filter(|d| d.severity != "advice")
        {
            tracing::warn!(code = %d.code, "{}", d.rendered);
        }
        let refused = vrrp::refusals(&plan);
        if !refused.is_empty() {
            self.refuse_compiled(&rev.id, refused.join("; "), Vec::new());
            return;
        }
        let desired = match Desired::from_plan(&plan, &Names::from_host()) {
            Ok(d) => Arc::new(d),
            Err(e) => {
                self.refuse_compiled(&rev.id, e.to_string(), Vec::new());
                return;
            }
        };
        // What is applied now (health and drains included), before health takes the new
        // plan's checks: the real servers it has are the ones a removal drains.
        let before = self.applied.as_ref().map(|a| self.effective(&a.desired));
        if let Err(errors) = self.health.load(&plan) {
            let reason = format!("its checks cannot run: {}", errors.join("; "));
            self.refuse_compiled(&rev.id, reason, Vec::new());
            return;
        }
        if let Some(before) = before {
            let period = self.drain_period(&plan);
            self.drains
                .plan_changed(&before, &desired, Instant::now(), period);
        }
        let target = self.effective(&desired);
        let observe = self.status.mode.observe_only;
        if observe {
            self.candidate = Some(Candidate {
                revision: rev.clone(),
                desired: desired.clone(),
            });
        }
        let compiled = Compiled {
            revision: rev,
            plan,
            desired,
        };
        self.submit(Purpose::Revision, target, observe, Some(Box::new(compiled)));
    }

    /// Handles a finished kernel job; `false` when the daemon is done stopping.
    fn job_done(&mut self, done: JobDone) -> bool {
        let (started, compiled) = match self.busy.take() {
            Some(Busy::Job { started, compiled }) => (started, compiled),
            _ => (Instant::now(), None),
        };
        self.status.counters.reconciles += 1;
        if matches!(done.result, Ok(Outcome::Applied(_))) {
            let running = match done.purpose {
                Purpose::Stop => None,
                _ => self.sync_in_flight,
            };
            self.sync_applied(running);
        }
        self.status.owned = done.owned;
        self.metrics.owned(&done.owned);
        self.metrics.reconciled(started.elapsed().as_secs_f64());
        match (done.purpose, done.result) {
            (Purpose::Stop, result) => {
                match result {
                    Ok(Outcome::Applied(r)) => {
                        for op in &r.ops {
                            tracing::info!("stopping: {op}");
                        }
                    }
                    Ok(Outcome::Diffed(_)) => {}
                    Err(e) => tracing::error!("stopping: {e}"),
                }
                return false;
            }
            (_, Ok(Outcome::Diffed(diff))) => {
                let mut pending = op_lines(&diff.ops);
                pending.extend(diff.conflicts.iter().map(|c| format!("! {c}")));
                if !pending.is_empty() {
                    tracing::info!(
                        "observe-only: {} change(s) not applied:\n{}",
                        pending.len(),
                        pending.join("\n")
                    );
                }
                self.status.pending_ops = pending;
                if let Some(c) = compiled {
                    self.set_seen_outcome(&c.revision.id, "observed");
                }
                if done.purpose == Purpose::Startup {
                    self.notify_ready();
                }
            }
            (Purpose::Revision, Ok(Outcome::Applied(report))) => {
                let Some(c) = compiled else {
                    return true;
                };
                self.applied_revision(*c, &report);
            }
            (Purpose::Revision, Err(e)) => {
                let id = compiled.as_ref().map(|c| c.revision.id.clone());
                drop(compiled);
                // Health goes back to the applied plan's checks (their state is kept).
                self.reload_applied_checks();
                if let Some(id) = &id {
                    self.set_seen_outcome(id, "failed");
                }
                let what = id
                    .as_deref()
                    .map_or_else(String::new, |i| format!("revision {} ", short(i)));
                let rev = id.as_deref().unwrap_or("-");
                self.alerts
                    .operational(OperationalKind::FailedApply, rev, &e);
                // apply() undoes what it did before the failing op (its error says so).
                if e.contains("rolled back") {
                    let applied = self.applied.as_ref().map_or_else(
                        || "nothing was applied before".to_string(),
                        |a| format!("revision {} stays applied", short(&a.revision)),
                    );
                    self.alerts.operational(
                        OperationalKind::Rollback,
                        rev,
                        &format!(
                            "the ops applied before the failure were undone; {applied}\n\n{e}"
                        ),
                    );
                }
                self.error(
                    "apply",
                    id.clone(),
                    format!("{what}could not be applied and was rolled back: {e}"),
                    Vec::new(),
                );
            }
            (Purpose::Startup, Ok(Outcome::Applied(report))) => {
                if !report.ops.is_empty() {
                    tracing::info!(
                        "start-up: {} change(s) to reach the last good state",
                        report.ops.len()
                    );
                    self.record_ops("startup", &report.ops, &report.adopted);
                }
                self.notify_ready();
            }
            (Purpose::Startup, Err(e)) => {
                let rev = self.applied.as_ref().map(|a| a.revision.clone());
                self.error(
                    "apply",
                    rev,
                    format!("the last good state could not be re-applied: {e}"),
                    Vec::new(),
                );
                self.notify_ready();
            }
            (Purpose::Vrrp, Ok(Outcome::Applied(report))) => {
                for op in &report.ops {
                    tracing::info!("vrrp: {op}");
                }
                if !report.ops.is_empty() {
                    self.record_ops("vrrp", &report.ops, &report.adopted);
                }
            }
            (Purpose::Vrrp, Err(e)) => {
                let rev = self.applied.as_ref().map(|a| a.revision.clone());
                self.error(
                    "vrrp",
                    rev,
                    format!("the virtual addresses could not follow mastership: {e}"),
                    Vec::new(),
                );
            }
            (Purpose::Drift | Purpose::FullCheck, Ok(Outcome::Applied(report))) => {
                if !report.ops.is_empty() {
                    for op in &report.ops {
                        tracing::warn!("drift repaired: {op}");
                    }
                    let n = report.ops.len();
                    self.status.counters.drift_repairs += n as u64;
                    self.metrics.drift_repaired(n);
                    self.record_ops("drift", &report.ops, &report.adopted);
                }
            }
            (Purpose::Health, Ok(Outcome::Applied(report))) => {
                if !report.ops.is_empty() {
                    for op in &report.ops {
                        tracing::info!("health: {op}");
                    }
                    self.record_ops("health", &report.ops, &report.adopted);
                }
            }
            (Purpose::Health, Err(e)) => {
                let rev = self.applied.as_ref().map(|a| a.revision.clone());
                self.error(
                    "health",
                    rev,
                    format!("a change of health could not be applied: {e}"),
                    Vec::new(),
                );
            }
            (Purpose::Drift | Purpose::FullCheck, Err(e)) => {
                let stage_err = format!("drift check failed: {e}");
                let repeated = self
                    .status
                    .last_error
                    .as_ref()
                    .is_some_and(|l| l.message == stage_err);
                if !repeated {
                    let rev = self.applied.as_ref().map(|a| a.revision.clone());
                    self.error("drift", rev, stage_err, Vec::new());
                }
            }
        }
        true
    }

    fn applied_revision(&mut self, c: Compiled, report: &crate::apply::Report) {
        let at = now_text();
        let id = c.revision.id.clone();
        tracing::info!(
            revision = %id,
            ops = report.ops.len(),
            "applied revision {}",
            short(&id)
        );
        let stored = persist::store_last_good(
            &self.cfg.state_dir,
            &self.cfg.source.location,
            &id,
            c.revision.summary.as_deref(),
            &at,
            &c.plan,
        );
        let saved = stored.is_ok();
        if let Err(e) = stored {
            self.error(
                "apply",
                Some(id.clone()),
                format!("applied, but the last good state could not be saved: {e}"),
                Vec::new(),
            );
        } else {
            self.status.last_error = None;
        }
        if let Ok(mut shared) = self.applied_shared.lock() {
            *shared = Some(id.clone());
        }
        self.set_seen_outcome(&id, "applied");
        self.status.applied = Some(AppliedRevision {
            revision: id.clone(),
            summary: c.revision.summary.clone(),
            applied_at: at,
        });
        self.status.pending_ops.clear();
        self.metrics.applied(&id, unix_now());
        if !report.ops.is_empty() || !report.adopted.is_empty() {
            self.record_ops("revision", &report.ops, &report.adopted);
        }
        if self
            .candidate
            .as_ref()
            .is_some_and(|cand| cand.revision.id == id)
        {
            self.candidate = None;
        }
        let reload = self.applied.is_some();
        self.configure_alerts(&c.plan);
        self.configure_vrrp(&c.plan);
        if reload && self.alerts.reloaded(&c.plan, &self.vrrp.current_states()) {
            tracing::info!(
                "fifo_write_vrrp_states_on_reload: VRRP states written to the notify FIFOs"
            );
        }
        self.applied = Some(Applied {
            revision: id,
            flush_on_stop: c.plan.global.lvs_flush_on_stop.clone(),
            sync_daemon: c.plan.global.lvs_sync_daemon.clone(),
            plan: (!saved).then_some(c.plan),
            desired: c.desired,
        });
    }

    /// Health takes the applied plan's checks again (their state is kept): from memory, or
    /// from `last-good.json`.
    fn reload_applied_checks(&mut self) {
        let Some(a) = &self.applied else {
            return;
        };
        let loaded = match &a.plan {
            Some(plan) => self.health.load(plan),
            None => match persist::load_last_good(&self.cfg.state_dir) {
                Ok(Some(lg)) => self.health.load(&lg.plan),
                Ok(None) => Err(vec!["the last good state is missing".into()]),
                Err(e) => Err(vec![e.to_string()]),
            },
        };
        if let Err(errors) = loaded {
            tracing::error!("the applied plan's checks: {}", errors.join("; "));
        }
    }

    /// Runs the plan's VRRP instances (unchanged ones keep their state).
    fn configure_vrrp(&mut self, plan: &Plan) {
        match self.vrrp.configure(plan, Instant::now()) {
            Ok((changed, problems)) => {
                self.vrrp_due |= changed;
                if !problems.is_empty() {
                    self.error("vrrp", None, problems.join("; "), Vec::new());
                }
            }
            Err(e) => self.error(
                "vrrp",
                None,
                format!("the VRRP engine cannot run: {e}"),
                Vec::new(),
            ),
        }
    }

    /// Tells health checking which addresses the host holds now (`ha_suspend`: a virtual
    /// server's checks pause while its address, typically a VRRP instance's virtual address,
    /// is not on the host, as keepalived does).
    fn local_addresses(&self) {
        self.health
            .set_local_addresses(Some(vrrp::net::host_addresses()));
    }

    /// `base` with the virtual addresses, routes and rules of the VRRP instances that are
    /// master.
    fn layered(&self, base: Arc<Desired>) -> Arc<Desired> {
        let layer = self.vrrp.layer();
        if layer == vrrp::Layer::default() {
            return base;
        }
        let names = Names::from_host();
        let mut d = (*base).clone();
        d.sync_daemon = layer.sync_daemon.clone();
        for a in &layer.addresses {
            match desired::address(a) {
                Ok(x) => {
                    d.addresses.insert(x.key.clone(), x);
                }
                Err(e) => tracing::error!("virtual address {}: {e}", a.addr),
            }
        }
        for r in &layer.routes {
            match desired::route(r, &names) {
                Ok(x) => match &r.vrf {
                    Some(vrf) => d.vrf_routes.push(VrfRoute {
                        vrf: vrf.clone(),
                        route: x,
                    }),
                    None => {
                        d.routes.insert(x.key.clone(), x);
                    }
                },
                Err(e) => tracing::error!("virtual route {}: {e}", r.dest),
            }
        }
        for r in &layer.rules {
            match desired::rule(r, &names) {
                Ok(x) => {
                    d.rules.insert(x.key(), x);
                }
                Err(e) => tracing::error!("virtual rule {}: {e}", r.preference),
            }
        }
        for l in &layer.links {
            d.links.insert(l.name.clone(), l.clone());
        }
        Arc::new(d)
    }

    /// A job converged the kernel's connection sync daemon to `running`.
    fn sync_applied(&mut self, running: Option<crate::syncd::SyncState>) {
        let now = running.map(|s| s.name().to_string());
        let st = self.status.sync_daemon.get_or_insert_with(Default::default);
        if st.running != now {
            if running.is_some() || st.running.is_some() {
                tracing::info!(
                    "IPVS connection sync daemon: {}",
                    now.as_deref().unwrap_or("stopped")
                );
            }
            if st.running.is_some() {
                st.switches += 1;
            }
            st.running = now;
            st.since = Some(now_text());
            self.metrics.sync_daemon(running);
        }
        self.refresh_sync_status();
    }

    /// The status of the connection sync daemon: the applied plan's settings, the role the
    /// VRRP layer asks for, and what was last applied (`None` when not configured and none
    /// runs).
    fn refresh_sync_status(&mut self) {
        let plan = self.applied.as_ref().and_then(|a| a.sync_daemon.clone());
        let wanted = self.vrrp.layer().sync_daemon.map(|d| d.state.name());
        let st = self.status.sync_daemon.take().unwrap_or_default();
        self.status.sync_daemon = match plan {
            Some(p) => Some(kac_schema::status::SyncDaemonStatus {
                interface: p.interface,
                instance: p.instance,
                sync_id: p.sync_id,
                wanted: wanted.unwrap_or("none").to_string(),
                ..st
            }),
            None if st.running.is_some() => Some(kac_schema::status::SyncDaemonStatus {
                wanted: "none".into(),
                ..st
            }),
            None => None,
        };
    }

    fn record_ops(&mut self, reason: &str, ops: &[Op], adopted: &[crate::diff::Owned]) {
        self.metrics.ops(ops);
        self.status.counters.ops_applied += ops.len() as u64;
        let revision = self
            .applied
            .as_ref()
            .map(|a| a.revision.clone())
            .or_else(|| self.status.applied.as_ref().map(|a| a.revision.clone()));
        // The old record goes first: two large ones are never held at once.
        self.last_ops = None;
        self.last_ops = Some(LastOps::new(reason, revision, ops, adopted));
    }

    /// The status as `kac status` shows it.
    fn status_now(&self) -> Status {
        let mut s = self.status.clone();
        s.last_ops = self.last_ops.as_ref().map(LastOps::record);
        s
    }

    fn save_mode(&mut self) {
        let m = SavedMode {
            version: PERSIST_VERSION,
            suspended: !self.status.mode.reconciling,
            observe_only: self.status.mode.observe_only,
            pinned: self.status.mode.pinned.clone(),
        };
        self.metrics.mode(m.suspended, m.observe_only);
        if let Err(e) = persist::store_mode(&self.cfg.state_dir, &m) {
            tracing::error!("{e}");
        }
    }

    /// Answers a control request now, or later (a pin asks the source first).
    fn control(
        &mut self,
        req: ControlRequest,
        reply: oneshot::Sender<ControlReply>,
    ) -> Option<(ControlReply, oneshot::Sender<ControlReply>)> {
        self.status.health = self.health.status();
        self.status.draining = self.drains.status();
        self.status.vrrp = self.vrrp.status();
        self.status.alerts = self.alerts.status();
        self.refresh_sync_status();
        let message = match req {
            ControlRequest::Status => String::new(),
            ControlRequest::Suspend => {
                self.status.mode.reconciling = false;
                self.save_mode();
                tracing::warn!("reconciling suspended by the operator");
                "suspended: nothing is applied and drift is not repaired until `kac ctl resume`"
                    .into()
            }
            ControlRequest::Resume => {
                self.status.mode.reconciling = true;
                self.full_due = true;
                self.save_mode();
                tracing::info!("reconciling resumed by the operator");
                "resumed".into()
            }
            ControlRequest::Sync => {
                self.source
                    .send(SourceCommand::ReadNow { redeliver: false });
                self.full_due = true;
                "reading the source and re-checking the kernel".into()
            }
            ControlRequest::Observe { on } => {
                self.status.mode.observe_only = on;
                self.save_mode();
                if on {
                    tracing::warn!("observe-only mode on: changes are computed, not applied");
                    self.full_due = true;
                    "observe-only: changes are computed and shown in `pending_ops`, never applied"
                        .into()
                } else {
                    tracing::info!("observe-only mode off");
                    self.status.pending_ops.clear();
                    if let Some(c) = self.candidate.take()
                        && self
                            .applied
                            .as_ref()
                            .is_none_or(|a| a.revision != c.revision.id)
                        && self.newest.is_none()
                    {
                        self.newest = Some(c.revision);
                    }
                    self.full_due = true;
                    "observe-only off: changes are applied again".into()
                }
            }
            ControlRequest::Unpin => {
                self.status.mode.pinned = None;
                self.save_mode();
                self.source.send(SourceCommand::ReadNow { redeliver: true });
                tracing::info!("unpinned: following the source again");
                "unpinned: converging to the newest revision".into()
            }
            ControlRequest::Pin { revision } => {
                let Some(rev) =
                    revision.or_else(|| self.applied.as_ref().map(|a| a.revision.clone()))
                else {
                    return Some((
                        refusal("nothing is applied yet; name the revision to pin"),
                        reply,
                    ));
                };
                let (tx, rx) = oneshot::channel();
                self.source.send(SourceCommand::Checkout {
                    revision: rev,
                    reply: tx,
                });
                let events = self.events.clone();
                tokio::spawn(async move {
                    let result = rx
                        .await
                        .unwrap_or_else(|_| Err("the source is not running".into()));
                    let _ = events
                        .send(Event::PinResolved(Box::new(result), reply))
                        .await;
                });
                return None;
            }
        };
        Some((
            ControlReply {
                ok: true,
                message,
                status: Some(self.status_now()),
            },
            reply,
        ))
    }

    fn pin_resolved(&mut self, result: Result<Revision, String>) -> ControlReply {
        match result {
            Err(e) => refusal(&format!("cannot pin: {e}")),
            Ok(r) => {
                tracing::warn!(revision = %r.id, "pinned by the operator");
                self.status.mode.pinned = Some(r.id.clone());
                self.save_mode();
                let message = format!("pinned to {}", r.id);
                if self.applied.as_ref().is_none_or(|a| a.revision != r.id) {
                    self.status.seen = Some(SeenRevision {
                        revision: r.id.clone(),
                        summary: r.summary.clone(),
                        seen_at: now_text(),
                        outcome: "pending".into(),
                    });
                    self.newest = Some(r);
                }
                ControlReply {
                    ok: true,
                    message,
                    status: Some(self.status_now()),
                }
            }
        }
    }

    /// Stopping: waits for the work in flight, then one last job that removes the virtual
    /// addresses (the VRRP instances sent their priority-0 adverts) and runs the
    /// `lvs_flush_on_stop` flush, if any; `false` once there is nothing left to do.
    fn stop_step(&mut self) -> bool {
        if self.busy.is_some() {
            return true;
        }
        let Some(a) = &self.applied else {
            return false;
        };
        let flush = a.flush_on_stop.clone();
        let flushing = !(flush == "none"
            || flush.is_empty()
            || !self.status.mode.reconciling
            || self.status.mode.observe_only
            || (self.status.owned.services == 0 && flush != "all"));
        let vrrp = !self.vrrp.is_empty();
        if !flushing && !vrrp {
            return false;
        }
        let mut desired = (*a.desired).clone();
        if flushing {
            desired.services.clear();
            desired.ipvs_take_over = flush == "all";
            tracing::info!("lvs_flush_on_stop {flush}: removing IPVS services");
        }
        if vrrp {
            tracing::info!("removing the virtual addresses");
        }
        // One last job (without the VRRP layer: every instance has stopped); its completion
        // ends the loop.
        let d = Arc::new(desired);
        self.busy = Some(Busy::Job {
            started: Instant::now(),
            compiled: None,
        });
        if let Some(w) = &self.worker {
            w.submit(Job {
                purpose: Purpose::Stop,
                desired: d,
                adopt: false,
                skip_ipvs: !flushing,
                dry: false,
            });
        }
        true
    }
}

fn refusal(message: &str) -> ControlReply {
    ControlReply {
        ok: false,
        message: message.to_string(),
        status: None,
    }
}
