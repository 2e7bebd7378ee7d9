//! Running configured scripts (`vrrp_script`, `notify*`, `MISC_CHECK`, `notify_up/down`)
//! the way keepalived does, without a shell.
//!
//! A [`Script`] is an argv as the plan carries it (split by the compiler per keepalived's
//! rules: quotes and escapes applied, so no shell ever sees it), the user and group it runs
//! as ([`RunAs`], resolved from the plan's symbolic user by [`RunAs::resolve`]), extra
//! environment, and a timeout. [`Script::run`] spawns it in its own process group with
//! standard input and output on `/dev/null` (as keepalived), waits without blocking the
//! runtime, and on timeout sends `SIGTERM` then, after [`Script::kill_grace`], `SIGKILL` to
//! the whole group, so a script's children die with it. With `enforce_security` the
//! [`security`] rules are checked first and an unsafe script is [`Outcome::Refused`].

pub mod security;
mod user;

use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

pub use user::{DEFAULT_SCRIPT_USER, RunAs, UserError, split_user_group};

/// How long a timed-out script has between `SIGTERM` and `SIGKILL`.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(1);

/// A script to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The command: program and arguments (never interpreted by a shell).
    pub argv: Vec<String>,
    /// Who it runs as.
    pub run_as: RunAs,
    /// Extra environment variables (added to the daemon's environment).
    pub env: Vec<(OsString, OsString)>,
    /// Longest run; `None` waits for ever.
    pub timeout: Option<Duration>,
    /// Time between `SIGTERM` and `SIGKILL` after a timeout.
    pub kill_grace: Duration,
    /// Check keepalived's script security rules before running, refusing an unsafe script
    /// (`enable_script_security`).
    pub enforce_security: bool,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exited with this code.
    Exited(i32),
    /// Killed by this signal (not by kac's timeout).
    Signalled(i32),
    /// Ran longer than its timeout; its process group was killed.
    TimedOut,
    /// Not started: refused by the security rules (or not found / not executable).
    Refused(security::Refusal),
    /// Not started: the system could not spawn it.
    SpawnFailed(String),
}

impl Outcome {
    /// Exit code 0.
    pub fn success(&self) -> bool {
        *self == Outcome::Exited(0)
    }
}

/// A finished run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// How it ended.
    pub outcome: Outcome,
    /// From spawn to end (zero when it did not start).
    pub elapsed: Duration,
}

impl Script {
    /// A script running `argv` as `run_as`, with no timeout, no extra environment and the
    /// security rules off.
    pub fn new(argv: Vec<String>, run_as: RunAs) -> Script {
        Script {
            argv,
            run_as,
            env: Vec::new(),
            timeout: None,
            kill_grace: DEFAULT_KILL_GRACE,
            enforce_security: false,
        }
    }

    /// Sets the timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Script {
        self.timeout = Some(timeout);
        self
    }

    /// Adds an environment variable.
    #[must_use]
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Script {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Turns the security rules on or off.
    #[must_use]
    pub fn with_security(mut self, enforce: bool) -> Script {
        self.enforce_security = enforce;
        self
    }

    /// Appends arguments (notify scripts get the transition's arguments this way).
    #[must_use]
    pub fn with_args<I: IntoIterator<Item = String>>(mut self, args: I) -> Script {
        self.argv.extend(args);
        self
    }

    /// Runs the script to its end (or its timeout). Cancel-safe: dropping the future kills
    /// the process group.
    pub async fn run(&self) -> Run {
        let program = match self.program() {
            Ok(p) => p,
            Err(r) => {
                return Run {
                    outcome: Outcome::Refused(r),
                    elapsed: Duration::ZERO,
                };
            }
        };
        let mut cmd = std::process::Command::new(&program);
        if let Some(arg0) = self.argv.first() {
            cmd.arg0(arg0);
        }
        cmd.args(self.argv.iter().skip(1))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let me = RunAs::current();
        if self.run_as.gid != me.gid {
            cmd.gid(self.run_as.gid);
        }
        if self.run_as.uid != me.uid {
            cmd.uid(self.run_as.uid);
        }
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        let started = Instant::now();
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                return Run {
                    outcome: Outcome::SpawnFailed(format!("{}: {e}", program.display())),
                    elapsed: Duration::ZERO,
                };
            }
        };
        // The group id is the child's pid (`process_group(0)`).
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);
        let guard = GroupGuard(group);
        let waited = match self.timeout {
            Some(t) => tokio::time::timeout(t, child.wait()).await.ok(),
            None => Some(child.wait().await),
        };
        let outcome = match waited {
            Some(Ok(status)) => match (status.code(), status.signal()) {
                (Some(c), _) => Outcome::Exited(c),
                (None, Some(s)) => Outcome::Signalled(s),
                (None, None) => Outcome::SpawnFailed("no exit status".into()),
            },
            Some(Err(e)) => Outcome::SpawnFailed(format!("waiting for the script: {e}")),
            None => {
                guard.signal(Signal::SIGTERM);
                if tokio::time::timeout(self.kill_grace, child.wait())
                    .await
                    .is_err()
                {
                    guard.signal(Signal::SIGKILL);
                    let _ = child.wait().await;
                }
                // Children that outlived the leader go too.
                guard.signal(Signal::SIGKILL);
                Outcome::TimedOut
            }
        };
        std::mem::forget(guard);
        Run {
            outcome,
            elapsed: started.elapsed(),
        }
    }

    /// Starts the script on the current tokio runtime and returns at once; the run's end
    /// comes through the handle.
    pub fn spawn(self) -> tokio::task::JoinHandle<Run> {
        tokio::spawn(async move { self.run().await })
    }

    /// The program to execute: checked by the security rules when they are enforced.
    fn program(&self) -> Result<PathBuf, security::Refusal> {
        let Some(first) = self.argv.first() else {
            return Err(security::Refusal::NotFound {
                program: String::new(),
                reason: "the command is empty".into(),
            });
        };
        if !self.enforce_security {
            return Ok(PathBuf::from(first));
        }
        let checked = security::check(first, self.run_as, true)?;
        Ok(checked.path)
    }
}

/// Kills a script's process group when a run is abandoned (its future dropped) before the
/// script ended. Forgotten once the run finishes normally.
struct GroupGuard(Option<Pid>);

impl GroupGuard {
    fn signal(&self, sig: Signal) {
        if let Some(pgid) = self.0 {
            // ESRCH (the group is gone) is the expected end.
            let _ = killpg(pgid, sig);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.signal(Signal::SIGKILL);
    }
}
