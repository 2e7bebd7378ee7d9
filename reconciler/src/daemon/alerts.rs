//! The daemon's alerts: the [`Alerter`] built from the applied plan's settings (rebuilt when
//! they change), fed with the VRRP engine's transitions, the health layer's changes and the
//! loop's operational events (a refused revision, a failed apply, its rollback). Which events
//! are mailed follows keepalived's `smtp_alert` precedence ([`PlanAlerts`]); traps go to the
//! daemon's `--trap-sink`. Nothing here waits: [`Alerter::alert`] queues.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use kac_schema::plan::{MachineValue, Plan, PlanAlerts, PlanFifo, PlanVsKey};
use kac_schema::status::{AlertChannelStatus, AlertsStatus};

use crate::alert::event::{
    Operational, OperationalKind, QuorumChange, RealServerChange, VrrpState, VsIdentity,
};
use crate::alert::fifo::FifoScope;
use crate::alert::queue::RetryPolicy;
use crate::alert::stats::LastAlert;
use crate::alert::{
    AlertEvent, AlertSettings, AlertStats, Alerter, Channel, FifoSpec, Outcome, TrapSink,
};
use crate::check::driver::HealthChange;
use crate::script::RunAs;

/// The trap receiver when `enable_traps` is set and `--trap-sink` is not given.
pub const DEFAULT_TRAP_SINK: &str = "127.0.0.1:162";

/// Where the daemon sends traps (`kac daemon --trap-sink`, `--trap-community`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrapTarget {
    /// The receiver.
    pub addr: SocketAddr,
    /// The SNMPv2c community.
    pub community: String,
}

impl Default for TrapTarget {
    fn default() -> Self {
        TrapTarget {
            addr: SocketAddr::from(([127, 0, 0, 1], 162)),
            community: "public".into(),
        }
    }
}

/// What a virtual server is, for its alerts.
#[derive(Clone, Debug)]
struct VsInfo {
    /// 1-based position in the plan.
    index: u32,
    /// keepalived's form (`[10.0.0.1]:tcp:80`, `FWM 1`, `[web]:tcp`).
    label: String,
    protocol: Option<String>,
    /// What it is defined from (the traps carry it).
    identity: VsIdentity,
    smtp_alert: Option<bool>,
    /// Each real server's own `smtp_alert`, in plan order.
    rs_smtp_alert: Vec<Option<bool>>,
}

/// The daemon's alert channels and what decides which events are mailed.
#[derive(Debug)]
pub struct Alerts {
    host_name: String,
    user: String,
    traps: TrapTarget,
    stats: AlertStats,
    running: Option<(AlertSettings, Alerter)>,
    switches: PlanAlerts,
    instance_mail: BTreeMap<String, Option<bool>>,
    group_mail: BTreeMap<String, Option<bool>>,
    servers: BTreeMap<PlanVsKey, VsInfo>,
}

/// keepalived's form of a virtual server in alerts (`[10.0.0.1]:tcp:80`).
pub fn keepalived_vs(key: &PlanVsKey) -> (String, Option<String>) {
    match key {
        PlanVsKey::Addr {
            addr,
            port,
            protocol,
        } => {
            let p = protocol.to_ascii_lowercase();
            (format!("[{addr}]:{p}:{port}"), Some(p))
        }
        PlanVsKey::Fwmark { fwmark, .. } => (format!("FWM {fwmark}"), None),
        PlanVsKey::Group { group, protocol } => {
            let p = protocol.to_ascii_lowercase();
            (format!("[{group}]:{p}"), Some(p))
        }
    }
}

/// What a virtual server is defined from, as KEEPALIVED-MIB's traps carry it.
fn vs_identity(key: &PlanVsKey) -> VsIdentity {
    match key {
        PlanVsKey::Addr { addr, port, .. } => VsIdentity::Addr {
            addr: *addr,
            port: *port,
        },
        PlanVsKey::Fwmark { fwmark, .. } => VsIdentity::Fwmark(*fwmark),
        PlanVsKey::Group { group, .. } => VsIdentity::Group(group.clone()),
    }
}

fn fifo_spec(
    f: &PlanFifo,
    scope: FifoScope,
    security: bool,
    problems: &mut Vec<String>,
) -> FifoSpec {
    let mut spec = FifoSpec {
        path: PathBuf::from(&f.path),
        scope,
        script: None,
        run_as: None,
    };
    let Some(argv) = &f.script else {
        return spec;
    };
    let Some(program) = argv.first() else {
        return spec;
    };
    // keepalived's rules for every script: its user must exist, and with
    // `enable_script_security` its path must be safe.
    let run_as = match &f.script_user {
        Some(user) => RunAs::resolve(user, security),
        // A plan that names no user (the compiler always fills `script_user` in).
        None => Ok(RunAs::current()),
    };
    let checked = run_as.map_err(|e| e.to_string()).and_then(|run_as| {
        crate::script::security::check(program, run_as, security)
            .map(|c| (run_as, c))
            .map_err(|e| e.to_string())
    });
    match checked {
        Ok((run_as, c)) => {
            let mut argv = argv.clone();
            argv[0] = c.path.display().to_string();
            spec.script = Some(argv);
            spec.run_as = Some(run_as);
        }
        Err(e) => problems.push(format!(
            "the script of the notify FIFO {} does not run: {e}",
            f.path
        )),
    }
    spec
}

/// Makes the FIFO's `USER [GROUP]` its owner, as keepalived does.
fn give_fifo(f: &PlanFifo) -> Result<(), String> {
    let Some(owner) = &f.owner else {
        return Ok(());
    };
    let (user, group) = crate::script::split_user_group(owner);
    let r = RunAs::from_names(user, group)
        .map_err(|e| format!("the owner of the notify FIFO {}: {e}", f.path))?;
    nix::unistd::chown(
        std::path::Path::new(&f.path),
        Some(nix::unistd::Uid::from_raw(r.uid)),
        Some(nix::unistd::Gid::from_raw(r.gid)),
    )
    .map_err(|e| format!("cannot give the notify FIFO {} to {owner}: {e}", f.path))
}

impl Alerts {
    /// No channels until a plan is configured; traps (when a plan enables them) go to `traps`.
    pub fn new(traps: TrapTarget) -> Alerts {
        let host_name = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        let user = nix::unistd::User::from_uid(nix::unistd::geteuid())
            .ok()
            .flatten()
            .map_or_else(|| "root".into(), |u| u.name);
        Alerts {
            host_name,
            user,
            traps,
            stats: AlertStats::default(),
            running: None,
            switches: PlanAlerts::default(),
            instance_mail: BTreeMap::new(),
            group_mail: BTreeMap::new(),
            servers: BTreeMap::new(),
        }
    }

    /// The channels `plan` asks for.
    fn settings(&self, plan: &Plan, problems: &mut Vec<String>) -> AlertSettings {
        let g = &plan.global;
        let a = &g.alerts;
        let security = g.enable_script_security;
        let fifos = [
            (&a.notify_fifo, FifoScope::All),
            (&a.vrrp_notify_fifo, FifoScope::Vrrp),
            (&a.lvs_notify_fifo, FifoScope::Lvs),
        ]
        .into_iter()
        .filter_map(|(f, scope)| Some(fifo_spec(f.as_ref()?, scope, security, problems)))
        .collect();
        AlertSettings {
            router_id: match &g.router_id {
                MachineValue::Set(s) => s.clone(),
                _ => self.host_name.clone(),
            },
            email: crate::alert::email_settings(&g.email, &self.host_name, &self.user),
            email_retry: RetryPolicy::default(),
            traps: a.enable_traps.then(|| TrapSink {
                addr: self.traps.addr,
                community: self.traps.community.clone(),
            }),
            trap_retry: RetryPolicy::default(),
            fifos,
        }
    }

    /// Takes the settings of a newly applied plan: the channels are rebuilt when they
    /// changed (a FIFO's script restarts then). Returns what could not be set up.
    pub fn configure(&mut self, plan: &Plan) -> Vec<String> {
        let mut problems = Vec::new();
        let settings = self.settings(plan, &mut problems);
        self.switches = plan.global.alerts.clone();
        self.instance_mail = plan
            .vrrp_instances
            .iter()
            .map(|(n, i)| (n.clone(), i.smtp_alert))
            .collect();
        self.group_mail = plan
            .vrrp_sync_groups
            .iter()
            .map(|(n, g)| (n.clone(), g.smtp_alert))
            .collect();
        self.servers = plan
            .virtual_servers
            .iter()
            .enumerate()
            .map(|(i, vs)| {
                let (label, protocol) = keepalived_vs(&vs.key);
                let info = VsInfo {
                    index: i as u32 + 1,
                    label,
                    protocol,
                    identity: vs_identity(&vs.key),
                    smtp_alert: vs.smtp_alert,
                    rs_smtp_alert: vs.real_servers.iter().map(|r| r.smtp_alert).collect(),
                };
                (vs.key.clone(), info)
            })
            .collect();
        if self.running.as_ref().is_some_and(|(s, _)| *s == settings) {
            return problems;
        }
        // The old channels stop first (their FIFO scripts are killed, queued mails finish).
        self.running = None;
        let wanted =
            settings.email.is_some() || settings.traps.is_some() || !settings.fifos.is_empty();
        if wanted {
            match Alerter::start_counting(settings.clone(), self.stats.clone()) {
                Ok(a) => {
                    for f in [
                        &plan.global.alerts.notify_fifo,
                        &plan.global.alerts.vrrp_notify_fifo,
                        &plan.global.alerts.lvs_notify_fifo,
                    ]
                    .into_iter()
                    .flatten()
                    {
                        if let Err(e) = give_fifo(f) {
                            problems.push(e);
                        }
                    }
                    tracing::info!(
                        email = settings.email.is_some(),
                        traps = settings.traps.is_some(),
                        fifos = settings.fifos.len(),
                        "alert channels ready"
                    );
                    self.running = Some((settings, a));
                }
                Err(e) => problems.push(format!("the alert channels cannot start: {e}")),
            }
        }
        problems
    }

    fn send(&mut self, event: &AlertEvent, email: bool) {
        if let Some((_, a)) = self.running.as_mut() {
            a.alert(event, email);
        }
    }

    /// A VRRP instance or sync group transition from the engine.
    pub fn vrrp(&mut self, event: &AlertEvent) {
        let (own, to) = match event {
            AlertEvent::Instance(c) => (self.instance_mail.get(&c.name).copied().flatten(), c.to),
            AlertEvent::Group(g) => (self.group_mail.get(&g.name).copied().flatten(), g.to),
            // FIFO lines only, as keepalived.
            AlertEvent::Priority(_) => return self.send(event, false),
            _ => return,
        };
        let fault = to == VrrpState::Fault && self.switches.no_email_faults;
        let email = self.switches.mail_vrrp(own) && !fault;
        self.send(event, email);
    }

    /// A change of health from the checkers.
    pub fn health(&mut self, change: &HealthChange) {
        match change {
            HealthChange::RealServer(t) => {
                let Some(vs) = self.servers.get(&t.key).cloned() else {
                    return;
                };
                let own = vs.rs_smtp_alert.get(t.member).copied().flatten();
                let email = self.switches.mail_real_server(own);
                let event = AlertEvent::RealServer(RealServerChange {
                    virtual_server: vs.label,
                    vs_index: vs.index,
                    rs_index: t.member as u32 + 1,
                    address: t.addr,
                    port: t.port,
                    protocol: vs.protocol,
                    up: t.up,
                    reason: None,
                    servers_up: t.servers_up,
                    servers_total: t.servers_total,
                    identity: vs.identity,
                });
                self.send(&event, email);
            }
            HealthChange::Quorum(q) => {
                let Some(vs) = self.servers.get(&q.key).cloned() else {
                    return;
                };
                let email = self.switches.mail_virtual_server(vs.smtp_alert);
                let event = AlertEvent::Quorum(QuorumChange {
                    virtual_server: vs.label,
                    up: q.up,
                    quorum: q.quorum,
                    hysteresis: q.hysteresis,
                    weight: q.weight,
                    vs_index: vs.index,
                    protocol: vs.protocol,
                    identity: vs.identity,
                    servers_up: q.servers_up,
                    servers_total: q.servers_total,
                });
                self.send(&event, email);
            }
        }
    }

    /// A refused revision, a failed apply or a rollback: mailed whenever mail is set up, and
    /// a KAC-MIB `kacOperationalEvent` trap with `enable_traps` (on the last applied plan's
    /// settings).
    pub fn operational(&mut self, kind: OperationalKind, revision: &str, detail: &str) {
        let event = AlertEvent::Operational(Operational {
            kind,
            revision: revision.get(..12).unwrap_or(revision).to_string(),
            detail: detail.to_string(),
        });
        self.send(&event, true);
    }

    /// `fifo_write_vrrp_states_on_reload`: after a reload (a revision applied while the
    /// daemon runs), the plan asks for it, the current sync group and instance states
    /// (`states`) are written to the FIFOs that carry VRRP lines. Returns whether it did.
    pub fn reloaded(&mut self, plan: &Plan, states: &[AlertEvent]) -> bool {
        if !plan.global.alerts.fifo_write_vrrp_states_on_reload {
            return false;
        }
        let Some((_, a)) = self.running.as_mut() else {
            return false;
        };
        a.write_states(states);
        true
    }

    /// Stops the channels when the daemon stops: queued mails and traps get a bounded time
    /// to go out ([`Alerter::shutdown_grace`]); what is left is dropped, logged and counted.
    pub async fn shut_down(&mut self) {
        let Some((_, a)) = self.running.take() else {
            return;
        };
        let dropped = |s: &AlertStats| {
            let snap = s.snapshot();
            snap.total(Channel::Email, Outcome::Dropped)
                + snap.total(Channel::Trap, Outcome::Dropped)
        };
        let before = dropped(&self.stats);
        let grace = a.shutdown_grace();
        a.shut_down(grace).await;
        let lost = dropped(&self.stats) - before;
        if lost > 0 {
            tracing::warn!(
                dropped = lost,
                "alerts still queued after {} ms were dropped at exit",
                grace.as_millis()
            );
        } else {
            tracing::info!("alert channels stopped; no queued alert was left");
        }
    }

    /// The counters (kept across rebuilds), for the metrics.
    pub fn stats(&self) -> AlertStats {
        self.stats.clone()
    }

    /// What `kac status` shows.
    pub fn status(&self) -> AlertsStatus {
        let snap = self.stats.snapshot();
        let settings = self.running.as_ref().map(|(s, _)| s);
        let last = |l: Option<&LastAlert>| {
            l.map(|l| format!("{}: {}", humantime::format_rfc3339_seconds(l.at), l.what))
        };
        let channel = |c: Channel, configured: bool| AlertChannelStatus {
            channel: c.label().into(),
            configured,
            sent: snap.total(c, Outcome::Sent),
            failed: snap.total(c, Outcome::Failed),
            dropped: snap.total(c, Outcome::Dropped),
            last_sent: last(snap.last_sent_by.get(&c)),
            last_failure: last(snap.last_failure_by.get(&c)),
        };
        AlertsStatus {
            channels: vec![
                channel(Channel::Email, settings.is_some_and(|s| s.email.is_some())),
                channel(Channel::Trap, settings.is_some_and(|s| s.traps.is_some())),
                channel(Channel::Fifo, settings.is_some_and(|s| !s.fifos.is_empty())),
            ],
        }
    }
}
