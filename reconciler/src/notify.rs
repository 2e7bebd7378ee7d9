//! VRRP notify scripts: `notify_master`, `notify_backup`, `notify_fault`, `notify_stop`,
//! `notify_master_rx_lower_pri` and the generic `notify`, of instances and sync groups, with
//! keepalived's arguments (keepalived 2.2 `vrrp/vrrp_notify.c`):
//!
//! * the state scripts run as configured, with no extra arguments;
//! * the generic `notify` script gets four more: `INSTANCE|GROUP NAME STATE PRIORITY`, STATE
//!   one of `MASTER`, `BACKUP`, `FAULT`, `STOP`, PRIORITY the instance's effective priority
//!   (always `0` for a group);
//! * on a transition the state script runs first, then the generic one;
//!   `notify_master_rx_lower_pri` runs (alone) when a master receives an advert of lower
//!   priority.
//!
//! [`Notifier::notify`] never waits for a script: it queues the run on the script's own queue
//! (one per distinct script: argv and user), whose worker runs them one after the other, so
//! the transitions reach each script in the order they happened and a slow script delays
//! only itself. A queue holds at most [`NotifyOptions::queue`] waiting runs; when it is full
//! the oldest waiting run is dropped (and logged), so the newest state always gets through.
//! Differences from keepalived, on purpose: keepalived starts every notify script at once
//! (no order between two transitions of one script) and never times them out; kac runs one
//! script's transitions in order and kills a run after [`NotifyOptions::timeout`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kac_schema::plan::{MachineValue, PlanNotify};
use tokio::sync::{Notify, watch};

use crate::script::{Outcome, RunAs, Script, UserError};

/// The VRRP state a transition enters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// MASTER.
    Master,
    /// BACKUP.
    Backup,
    /// FAULT.
    Fault,
    /// STOP (the daemon stops the instance).
    Stop,
    /// DELETED (a reload removed the instance; `notify_deleted`).
    Deleted,
}

impl State {
    /// keepalived's word for the state (the generic script's third argument).
    pub fn word(self) -> &'static str {
        match self {
            State::Master => "MASTER",
            State::Backup => "BACKUP",
            State::Fault => "FAULT",
            State::Stop => "STOP",
            State::Deleted => "DELETED",
        }
    }
}

/// What a notification is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A VRRP instance, with its effective priority.
    Instance {
        /// Instance name.
        name: String,
        /// Effective priority at the transition.
        priority: u8,
    },
    /// A sync group.
    Group {
        /// Group name.
        name: String,
    },
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The subject entered a state.
    Entered(State),
    /// A master received an advert of lower priority (`notify_master_rx_lower_pri`;
    /// instances only).
    MasterRxLowerPri,
    /// A reload removed the instance (keepalived 2.2): with `notify_deleted`, its
    /// `notify_deleted` script and the generic script with `DELETED`; without, the generic
    /// script with `FAULT` only (neither `notify_fault` nor `notify_stop` runs).
    Removed {
        /// `notify_deleted` is configured.
        notify_deleted: bool,
    },
}

/// The notify scripts of one instance or group, resolved for this machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotifyScripts {
    /// `notify_master`.
    pub master: Option<Script>,
    /// `notify_backup`.
    pub backup: Option<Script>,
    /// `notify_fault`.
    pub fault: Option<Script>,
    /// `notify_stop`.
    pub stop: Option<Script>,
    /// `notify_master_rx_lower_pri`.
    pub master_rx_lower_pri: Option<Script>,
    /// `notify` (gets the four extra arguments).
    pub any: Option<Script>,
    /// `notify_deleted CMD`.
    pub deleted: Option<Script>,
}

/// A notify script whose user cannot be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("notify script `{which}` ({program}): {error}")]
pub struct NotifyUserError {
    /// Which script (`master`, `backup`, …).
    pub which: &'static str,
    /// Its program.
    pub program: String,
    /// Why.
    pub error: UserError,
}

impl NotifyScripts {
    /// The plan's notify scripts, each run as its user (`notify.users`, else `script_user`),
    /// with the security rules when `script_security` (`enable_script_security`).
    pub fn from_plan(
        notify: &PlanNotify,
        script_user: &MachineValue,
        script_security: bool,
        timeout: Option<Duration>,
    ) -> Result<NotifyScripts, NotifyUserError> {
        let one = |which: &'static str, argv: &Option<Vec<String>>| {
            let Some(argv) = argv else {
                return Ok(None);
            };
            let user = notify.users.get(which).unwrap_or(script_user);
            let run_as =
                RunAs::resolve(user, script_security).map_err(|error| NotifyUserError {
                    which,
                    program: argv.first().cloned().unwrap_or_default(),
                    error,
                })?;
            let mut s = Script::new(argv.clone(), run_as).with_security(script_security);
            s.timeout = timeout;
            Ok(Some(s))
        };
        Ok(NotifyScripts {
            master: one("master", &notify.master)?,
            backup: one("backup", &notify.backup)?,
            fault: one("fault", &notify.fault)?,
            stop: one("stop", &notify.stop)?,
            master_rx_lower_pri: one("master_rx_lower_pri", &notify.master_rx_lower_pri)?,
            any: one("any", &notify.any)?,
            deleted: one("deleted", &notify.deleted)?,
        })
    }

    /// The runs an event causes, in keepalived's order (state script, then generic).
    pub fn runs(&self, subject: &Subject, event: Event) -> Vec<NotifyRun> {
        let mut out = Vec::new();
        let plain = |s: &Script| NotifyRun {
            queue: (s.argv.clone(), s.run_as),
            script: s.clone(),
        };
        match event {
            Event::MasterRxLowerPri => {
                if matches!(subject, Subject::Instance { .. }) {
                    out.extend(self.master_rx_lower_pri.as_ref().map(plain));
                }
            }
            Event::Removed { notify_deleted } => {
                let state = if notify_deleted {
                    out.extend(self.deleted.as_ref().map(plain));
                    State::Deleted
                } else {
                    State::Fault
                };
                out.extend(self.generic(subject, state));
            }
            Event::Entered(state) => {
                let specific = match state {
                    State::Master => &self.master,
                    State::Backup => &self.backup,
                    State::Fault => &self.fault,
                    State::Stop => &self.stop,
                    State::Deleted => &self.deleted,
                };
                out.extend(specific.as_ref().map(plain));
                out.extend(self.generic(subject, state));
            }
        }
        out
    }

    /// The generic `notify` script's run for `subject` entering `state`, with keepalived's
    /// four arguments.
    fn generic(&self, subject: &Subject, state: State) -> Option<NotifyRun> {
        let any = self.any.as_ref()?;
        let (kind, name, prio) = match subject {
            Subject::Instance { name, priority } => ("INSTANCE", name, *priority),
            Subject::Group { name } => ("GROUP", name, 0),
        };
        Some(NotifyRun {
            queue: (any.argv.clone(), any.run_as),
            script: any.clone().with_args([
                kind.to_string(),
                name.clone(),
                state.word().to_string(),
                prio.to_string(),
            ]),
        })
    }
}

/// Queueing of notify runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotifyOptions {
    /// Runs waiting per script at most (the oldest is dropped beyond).
    pub queue: usize,
    /// Longest run of a notify script.
    pub timeout: Option<Duration>,
}

impl Default for NotifyOptions {
    /// 64 waiting runs per script, 60 s per run.
    fn default() -> Self {
        NotifyOptions {
            queue: 64,
            timeout: Some(Duration::from_secs(60)),
        }
    }
}

/// A script's identity for queueing: its configured program and arguments, and its user.
pub type QueueKey = (Vec<String>, RunAs);

/// One run of a notify script, with the queue it goes to (the generic script's runs differ
/// by their arguments but share its queue).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyRun {
    /// The script's queue.
    pub queue: QueueKey,
    /// What to run.
    pub script: Script,
}

struct Queue {
    waiting: Mutex<VecDeque<Script>>,
    wake: Notify,
}

/// Runs notify scripts in the background, in order per script.
#[derive(Clone)]
pub struct Notifier {
    opts: NotifyOptions,
    queues: Arc<Mutex<HashMap<QueueKey, Arc<Queue>>>>,
    /// Runs queued or running.
    busy: watch::Sender<usize>,
    /// Runs dropped because a queue was full.
    dropped: Arc<Mutex<u64>>,
}

impl Notifier {
    /// A notifier; its workers run on the current tokio runtime.
    pub fn new(opts: NotifyOptions) -> Notifier {
        Notifier {
            opts,
            queues: Arc::default(),
            busy: watch::channel(0).0,
            dropped: Arc::default(),
        }
    }

    /// Queues the runs `event` causes for `subject`; returns at once. Call it within a tokio
    /// runtime (a script's first run starts its queue's worker task there).
    pub fn notify(&self, scripts: &NotifyScripts, subject: &Subject, event: Event) {
        for mut run in scripts.runs(subject, event) {
            if let Some(t) = self.opts.timeout {
                run.script.timeout = Some(run.script.timeout.map_or(t, |own| own.min(t)));
            }
            self.enqueue(run);
        }
    }

    /// Queues one run on its script's queue.
    pub fn enqueue(&self, run: NotifyRun) {
        let NotifyRun {
            queue: key,
            script: run,
        } = run;
        let queue = {
            let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
            match queues.get(&key) {
                Some(q) => q.clone(),
                None => {
                    let q = Arc::new(Queue {
                        waiting: Mutex::new(VecDeque::new()),
                        wake: Notify::new(),
                    });
                    queues.insert(key, q.clone());
                    tokio::spawn(worker(q.clone(), self.busy.clone()));
                    q
                }
            }
        };
        let mut waiting = queue.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if waiting.len() >= self.opts.queue.max(1)
            && let Some(old) = waiting.pop_front()
        {
            *self.dropped.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            self.busy.send_modify(|b| *b = b.saturating_sub(1));
            tracing::warn!(
                script = %old.argv.join(" "),
                "notify queue full: dropped the oldest waiting run"
            );
        }
        waiting.push_back(run);
        self.busy.send_modify(|b| *b += 1);
        drop(waiting);
        queue.wake.notify_one();
    }

    /// Runs dropped so far because a queue was full.
    pub fn dropped(&self) -> u64 {
        *self.dropped.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until every queued run has finished (for `notify_stop` at shutdown, and tests).
    pub async fn idle(&self) {
        let mut rx = self.busy.subscribe();
        let _ = rx.wait_for(|b| *b == 0).await;
    }
}

async fn worker(queue: Arc<Queue>, busy: watch::Sender<usize>) {
    loop {
        let next = queue
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front();
        let Some(script) = next else {
            queue.wake.notified().await;
            continue;
        };
        let run = script.run().await;
        let line = script.argv.join(" ");
        match &run.outcome {
            Outcome::Exited(0) => tracing::debug!(script = %line, "notify script done"),
            Outcome::Exited(code) => tracing::warn!(script = %line, code, "notify script failed"),
            Outcome::Signalled(sig) => {
                tracing::warn!(script = %line, signal = sig, "notify script killed");
            }
            Outcome::TimedOut => tracing::warn!(script = %line, "notify script timed out"),
            Outcome::Refused(r) => tracing::error!(script = %line, "notify script not run: {r}"),
            Outcome::SpawnFailed(e) => {
                tracing::error!(script = %line, "notify script not run: {e}");
            }
        }
        busy.send_modify(|b| *b = b.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(argv: &[&str]) -> Script {
        Script::new(argv.iter().map(|s| (*s).to_string()).collect(), RunAs::ROOT)
    }

    fn scripts() -> NotifyScripts {
        NotifyScripts {
            master: Some(script(&["/m", "x"])),
            backup: Some(script(&["/b"])),
            fault: None,
            stop: Some(script(&["/s"])),
            master_rx_lower_pri: Some(script(&["/rx"])),
            any: Some(script(&["/any", "first"])),
            deleted: None,
        }
    }

    /// What keepalived 2.2.7 runs for an instance a reload removes (seen in a namespace):
    /// without `notify_deleted`, `notify … INSTANCE VI_1 FAULT 150` only (no `notify_fault`,
    /// no `notify_stop`); with it, `notify … DELETED`, after the `notify_deleted` script.
    #[test]
    fn a_removed_instance_is_notified_as_faulted_or_deleted() {
        let i = Subject::Instance {
            name: "VI_1".into(),
            priority: 150,
        };
        let mut s = scripts();
        s.fault = Some(script(&["/f"]));
        assert_eq!(
            argvs(s.runs(
                &i,
                Event::Removed {
                    notify_deleted: false
                }
            )),
            vec![v(&["/any", "first", "INSTANCE", "VI_1", "FAULT", "150"])]
        );
        assert_eq!(
            argvs(s.runs(
                &i,
                Event::Removed {
                    notify_deleted: true
                }
            )),
            vec![v(&["/any", "first", "INSTANCE", "VI_1", "DELETED", "150"])]
        );
        s.deleted = Some(script(&["/d", "x"]));
        assert_eq!(
            argvs(s.runs(
                &i,
                Event::Removed {
                    notify_deleted: true
                }
            )),
            vec![
                v(&["/d", "x"]),
                v(&["/any", "first", "INSTANCE", "VI_1", "DELETED", "150"])
            ]
        );
    }

    fn argvs(runs: Vec<NotifyRun>) -> Vec<Vec<String>> {
        runs.into_iter().map(|r| r.script.argv).collect()
    }

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn instance_transitions_run_the_state_script_then_the_generic_one() {
        let i = Subject::Instance {
            name: "VI_1".into(),
            priority: 150,
        };
        assert_eq!(
            argvs(scripts().runs(&i, Event::Entered(State::Master))),
            vec![
                v(&["/m", "x"]),
                v(&["/any", "first", "INSTANCE", "VI_1", "MASTER", "150"])
            ]
        );
        // No notify_fault: only the generic script.
        assert_eq!(
            argvs(scripts().runs(&i, Event::Entered(State::Fault))),
            vec![v(&["/any", "first", "INSTANCE", "VI_1", "FAULT", "150"])]
        );
        assert_eq!(
            argvs(scripts().runs(&i, Event::MasterRxLowerPri)),
            vec![v(&["/rx"])]
        );
    }

    #[test]
    fn group_transitions_say_group_and_priority_zero() {
        let g = Subject::Group { name: "G".into() };
        assert_eq!(
            argvs(scripts().runs(&g, Event::Entered(State::Stop))),
            vec![v(&["/s"]), v(&["/any", "first", "GROUP", "G", "STOP", "0"])]
        );
        assert!(scripts().runs(&g, Event::MasterRxLowerPri).is_empty());
    }

    #[test]
    fn plan_scripts_take_their_own_user_or_script_user() {
        let mut n = PlanNotify {
            master: Some(v(&["/bin/true"])),
            any: Some(v(&["/bin/true", "a"])),
            ..PlanNotify::default()
        };
        n.users
            .insert("any".into(), MachineValue::Set("nobody".into()));
        let s = NotifyScripts::from_plan(&n, &MachineValue::Set("root".into()), true, None)
            .expect("users resolve");
        assert_eq!(s.master.as_ref().map(|m| m.run_as), Some(RunAs::ROOT));
        assert_ne!(s.any.as_ref().map(|m| m.run_as.uid), Some(0));
        assert!(s.master.as_ref().is_some_and(|m| m.enforce_security));
        n.users.insert(
            "master".into(),
            MachineValue::Set("kac-no-such-user".into()),
        );
        let e = NotifyScripts::from_plan(&n, &MachineValue::Set("root".into()), true, None)
            .expect_err("unknown user");
        assert_eq!(e.which, "master");
    }
}
