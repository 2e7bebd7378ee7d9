//! `vrrp_track_process`: count the running processes that match, report whether the count
//! is within the quorum.
//!
//! keepalived's rules (keepalived 2.2 `core/track_process.c`):
//! * a process matches by its name (`/proc/PID/stat`'s command name, at most 15 characters)
//!   equal to the configured `process`, or, with `full_command` (implied by parameters or
//!   `param_match`), by its command line's first word equal to it;
//! * parameters (the configured words after the program) are compared with the process's
//!   other command-line words: by default all of them and no more (`exact`); with
//!   `param_match partial` the configured ones must be the process's first parameters
//!   (more may follow); with `param_match initial` the configured words, joined, must start
//!   the process's parameters (so the last one may be the start of a longer word) — keepalived's
//!   code, whose two names are the other way round from its comments;
//! * zombies do not count;
//! * the object is up while `quorum <= count <= quorum_max`; becoming up waits `fork_delay`
//!   and becoming down waits `terminate_delay` (`delay` sets both), a change back within the
//!   delay cancels it.
//!
//! Difference: keepalived follows forks and exits through the kernel's process connector;
//! kac scans `/proc` every [`ProcessTracker::scan`] (default 500 ms), so a process that lives
//! shorter than a scan may be missed and changes are seen up to one scan late.

use std::time::{Duration, Instant};

use kac_schema::plan::PlanTrackProcess;
use tokio::sync::mpsc;

use super::{Change, Kind, TrackValue};

/// How parameters are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamMatch {
    /// No parameters are compared (no parameters configured, no `param_match`).
    None,
    /// All parameters, no more.
    Exact,
    /// The configured parameters are the first ones.
    Partial,
    /// The configured parameters, joined, start the process's parameters.
    Initial,
}

/// What a tracked process looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessMatch {
    /// The program (process name, or command-line first word with `full_command`).
    pub program: String,
    /// The configured parameters.
    pub params: Vec<String>,
    /// How parameters are compared.
    pub param_match: ParamMatch,
    /// Compare the command line's first word instead of the process name.
    pub full_command: bool,
}

impl ProcessMatch {
    /// The matcher of a plan's `vrrp_track_process`.
    pub fn from_plan(def: &PlanTrackProcess) -> ProcessMatch {
        let program = def.process.first().cloned().unwrap_or_default();
        let params: Vec<String> = def.process.iter().skip(1).cloned().collect();
        let param_match = match def.param_match.as_str() {
            "initial" => ParamMatch::Initial,
            "partial" => ParamMatch::Partial,
            "exact" => ParamMatch::Exact,
            _ if !params.is_empty() => ParamMatch::Exact,
            _ => ParamMatch::None,
        };
        ProcessMatch {
            program,
            full_command: def.full_command || param_match != ParamMatch::None,
            params,
            param_match,
        }
    }

    /// Whether a process with command name `comm` and command line `cmdline` (NUL-separated
    /// words, as `/proc/PID/cmdline`) matches.
    pub fn matches(&self, comm: &str, cmdline: &[u8]) -> bool {
        let mut words = cmdline.split(|b| *b == 0);
        let name_ok = if self.full_command {
            words.next().is_some_and(|w| w == self.program.as_bytes())
        } else {
            // A process name is at most 15 bytes: the kernel truncates it.
            comm == self.program
        };
        if !name_ok {
            return false;
        }
        if self.param_match == ParamMatch::None {
            return true;
        }
        // The process's parameters as NUL-terminated words, like keepalived compares them.
        let first_len = cmdline
            .iter()
            .position(|b| *b == 0)
            .map_or(cmdline.len(), |i| i + 1);
        let actual = &cmdline[first_len.min(cmdline.len())..];
        let mut wanted = Vec::new();
        for p in &self.params {
            wanted.extend_from_slice(p.as_bytes());
            wanted.push(0);
        }
        match self.param_match {
            ParamMatch::None => true,
            ParamMatch::Exact => actual == wanted.as_slice(),
            ParamMatch::Partial => actual.starts_with(&wanted),
            ParamMatch::Initial => {
                wanted.pop();
                actual.starts_with(&wanted)
            }
        }
    }
}

/// Quorum with keepalived's fork and terminate delays: turns counts over time into up/down
/// reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quorum {
    /// Fewest processes.
    pub min: u32,
    /// Most processes.
    pub max: u32,
    /// Wait before reporting up.
    pub fork_delay: Duration,
    /// Wait before reporting down.
    pub terminate_delay: Duration,
    reported: Option<bool>,
    pending: Option<(bool, Instant)>,
}

impl Quorum {
    /// A quorum of `min..=max` processes with the delays.
    pub fn new(min: u32, max: u32, fork_delay: Duration, terminate_delay: Duration) -> Quorum {
        Quorum {
            min,
            max,
            fork_delay,
            terminate_delay,
            reported: None,
            pending: None,
        }
    }

    /// The count is `count` at `now`; returns the state to report when it changes (the first
    /// count is reported at once).
    pub fn update(&mut self, count: u32, now: Instant) -> Option<bool> {
        let want = count >= self.min && count <= self.max;
        let Some(reported) = self.reported else {
            self.reported = Some(want);
            return Some(want);
        };
        if want == reported {
            self.pending = None;
            return None;
        }
        let delay = if want {
            self.fork_delay
        } else {
            self.terminate_delay
        };
        let since = match self.pending {
            Some((w, since)) if w == want => since,
            _ => {
                self.pending = Some((want, now));
                now
            }
        };
        if now.duration_since(since) >= delay {
            self.pending = None;
            self.reported = Some(want);
            Some(want)
        } else {
            None
        }
    }

    /// When a pending change becomes due (the tracker looks again then).
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.map(|(want, since)| {
            since
                + if want {
                    self.fork_delay
                } else {
                    self.terminate_delay
                }
        })
    }
}

/// How often `/proc` is scanned.
pub const DEFAULT_SCAN: Duration = Duration::from_millis(500);

/// Counts the running (not zombie) processes of `/proc` that `m` matches.
pub fn count_matching(m: &ProcessMatch) -> u32 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut n = 0;
    for ent in dir.flatten() {
        let name = ent.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        if stat[close + 1..].trim_start().starts_with('Z') {
            continue;
        }
        let cmdline = if m.full_command || m.param_match != ParamMatch::None {
            match std::fs::read(format!("/proc/{pid}/cmdline")) {
                Ok(c) => c,
                Err(_) => continue,
            }
        } else {
            Vec::new()
        };
        if m.matches(comm, &cmdline) {
            n += 1;
        }
    }
    n
}

/// A `vrrp_track_process` tracker.
#[derive(Clone, Debug)]
pub struct ProcessTracker {
    /// The `vrrp_track_process` name (the name of its [`Change`]s).
    pub name: String,
    /// What to count.
    pub matcher: ProcessMatch,
    /// The quorum and its delays.
    pub quorum: Quorum,
    /// Time between scans.
    pub scan: Duration,
}

impl ProcessTracker {
    /// The tracker of the plan's `vrrp_track_process` `name`.
    pub fn from_plan(name: &str, def: &PlanTrackProcess) -> ProcessTracker {
        ProcessTracker {
            name: name.to_string(),
            matcher: ProcessMatch::from_plan(def),
            quorum: Quorum::new(
                def.quorum,
                def.quorum_max,
                Duration::from_micros(def.fork_delay_us),
                Duration::from_micros(def.terminate_delay_us),
            ),
            scan: DEFAULT_SCAN,
        }
    }

    /// Runs until `tx` is closed (or the task is aborted): reports the initial state, then
    /// every change.
    pub async fn run(mut self, tx: mpsc::Sender<Change>) {
        loop {
            let m = self.matcher.clone();
            let count = tokio::task::spawn_blocking(move || count_matching(&m))
                .await
                .unwrap_or(0);
            if let Some(up) = self.quorum.update(count, Instant::now()) {
                tracing::info!(track_process = %self.name, count, up, "tracked process quorum changed");
                let change = Change {
                    kind: Kind::Process,
                    name: self.name.clone(),
                    value: TrackValue::Up(up),
                };
                if tx.send(change).await.is_err() {
                    return;
                }
            }
            let next = Instant::now() + self.scan;
            let wake = self.quorum.deadline().map_or(next, |d| d.min(next));
            tokio::select! {
                () = tx.closed() => return,
                () = tokio::time::sleep_until(wake.into()) => {}
            }
        }
    }

    /// Starts [`ProcessTracker::run`] on the current tokio runtime.
    pub fn spawn(self, tx: mpsc::Sender<Change>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(tx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(program: &str, params: &[&str], param_match: ParamMatch, full: bool) -> ProcessMatch {
        ProcessMatch {
            program: program.into(),
            params: params.iter().map(|s| (*s).to_string()).collect(),
            param_match,
            full_command: full || param_match != ParamMatch::None,
        }
    }

    fn cmd(words: &[&str]) -> Vec<u8> {
        let mut v = Vec::new();
        for w in words {
            v.extend_from_slice(w.as_bytes());
            v.push(0);
        }
        v
    }

    #[test]
    fn names_match_the_process_name_or_the_full_command() {
        let by_name = m("nginx", &[], ParamMatch::None, false);
        assert!(by_name.matches("nginx", &cmd(&["/usr/sbin/nginx", "-g"])));
        assert!(!by_name.matches("nginx-worker", b""));
        let full = m("/usr/sbin/nginx", &[], ParamMatch::None, true);
        assert!(full.matches("nginx", &cmd(&["/usr/sbin/nginx", "-g", "x"])));
        assert!(!full.matches("nginx", &cmd(&["nginx"])));
    }

    #[test]
    fn parameters_match_exactly_partially_or_initially() {
        let exact = m("/bin/app", &["-a", "b"], ParamMatch::Exact, true);
        assert!(exact.matches("app", &cmd(&["/bin/app", "-a", "b"])));
        assert!(!exact.matches("app", &cmd(&["/bin/app", "-a", "b", "c"])));
        assert!(!exact.matches("app", &cmd(&["/bin/app", "-a", "bb"])));
        let no_params = m("/bin/app", &[], ParamMatch::Exact, true);
        assert!(no_params.matches("app", &cmd(&["/bin/app"])));
        assert!(!no_params.matches("app", &cmd(&["/bin/app", "x"])));

        let partial = m("/bin/app", &["-a", "b"], ParamMatch::Partial, true);
        assert!(partial.matches("app", &cmd(&["/bin/app", "-a", "b", "c"])));
        assert!(!partial.matches("app", &cmd(&["/bin/app", "-a", "bb"])));

        let initial = m("/bin/app", &["-a", "b"], ParamMatch::Initial, true);
        assert!(initial.matches("app", &cmd(&["/bin/app", "-a", "bb", "c"])));
        assert!(initial.matches("app", &cmd(&["/bin/app", "-a", "b"])));
        assert!(!initial.matches("app", &cmd(&["/bin/app", "-x", "b"])));
    }

    #[test]
    fn plan_definitions_imply_full_command_with_parameters() {
        let def = PlanTrackProcess {
            process: vec!["/bin/app".into(), "-a".into()],
            param_match: String::new(),
            full_command: false,
            weight: 0,
            weight_reverse: false,
            quorum: 1,
            quorum_max: u32::MAX,
            fork_delay_us: 0,
            terminate_delay_us: 0,
        };
        let pm = ProcessMatch::from_plan(&def);
        assert_eq!(pm.param_match, ParamMatch::Exact);
        assert!(pm.full_command);
    }

    #[test]
    fn quorum_reports_the_first_count_then_changes() {
        let t = Instant::now();
        let mut q = Quorum::new(2, 3, Duration::ZERO, Duration::ZERO);
        assert_eq!(q.update(0, t), Some(false));
        assert_eq!(q.update(1, t), None);
        assert_eq!(q.update(2, t), Some(true));
        assert_eq!(q.update(3, t), None);
        assert_eq!(q.update(4, t), Some(false), "above quorum_max");
        assert_eq!(q.update(3, t), Some(true));
    }

    #[test]
    fn delays_hold_changes_and_a_change_back_cancels_them() {
        let t = Instant::now();
        let s = Duration::from_secs;
        let mut q = Quorum::new(1, u32::MAX, s(2), s(5));
        assert_eq!(q.update(1, t), Some(true));
        assert_eq!(q.update(0, t + s(1)), None);
        assert_eq!(q.deadline(), Some(t + s(6)));
        assert_eq!(q.update(0, t + s(5)), None);
        assert_eq!(
            q.update(1, t + s(5)),
            None,
            "back up: the termination is cancelled"
        );
        assert_eq!(q.deadline(), None);
        assert_eq!(q.update(0, t + s(7)), None);
        assert_eq!(q.update(0, t + s(12)), Some(false));
        assert_eq!(q.update(1, t + s(13)), None);
        assert_eq!(q.update(1, t + s(15)), Some(true), "fork delay over");
    }
}
