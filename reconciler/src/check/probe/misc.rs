//! `MISC_CHECK`: run `misc_path` through the shared script runner ([`crate::script`]: no
//! shell, the argv as keepalived splits it, its own process group, standard input and output
//! on `/dev/null`) as its `user`, else the global `script_user`, else `keepalived_script`
//! when that user exists, else the daemon's user; bounded by `misc_timeout`, after which the
//! whole process group is killed and the check is down. Exit 0 is up, anything else down.
//! With `misc_dynamic`, exit 1 is down and 2..=255 is up with weight exit − 2 (keepalived's
//! check_misc.c). With `enable_script_security` an unsafe script (keepalived's rules,
//! [`crate::script::security`]) is not run and the check is down with the reason, as kac
//! does for VRRP scripts (keepalived drops such a checker instead).

use std::time::Duration;

use super::{Outcome, fmt_duration};
use crate::script::{self, RunAs, Script};

/// How long a timed-out script's process group has between `SIGTERM` and `SIGKILL`: short,
/// so that the run ends within the driver's grace over `misc_timeout`.
const KILL_GRACE: Duration = Duration::from_millis(500);

/// A `MISC_CHECK`'s settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MiscSpec {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// `misc_dynamic`.
    pub dynamic: bool,
    /// Who runs it (resolved when the checker was built).
    pub run_as: RunAs,
    /// `enable_script_security`: refuse an unsafe script.
    pub script_security: bool,
}

/// The outcome of an exit code.
pub fn outcome_of_exit(code: i32, dynamic: bool) -> Outcome {
    match code {
        0 => Outcome::Up,
        2..=255 if dynamic => Outcome::UpWithWeight((code - 2) as u32),
        c => Outcome::down(format!("exit status {c}")),
    }
}

/// One run of the script.
pub async fn check(spec: &MiscSpec, timeout: Duration) -> Outcome {
    let mut run = Script::new(spec.argv.clone(), spec.run_as)
        .with_timeout(timeout)
        .with_security(spec.script_security);
    run.kill_grace = KILL_GRACE;
    match run.run().await.outcome {
        script::Outcome::Exited(code) => outcome_of_exit(code, spec.dynamic),
        script::Outcome::Signalled(sig) => Outcome::down(format!("killed by signal {sig}")),
        script::Outcome::TimedOut => {
            Outcome::down(format!("timeout after {}, killed", fmt_duration(timeout)))
        }
        script::Outcome::Refused(why) => Outcome::down(format!("not run: {why}")),
        script::Outcome::SpawnFailed(e) => Outcome::down(format!("cannot run: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_map_as_keepalived() {
        assert_eq!(outcome_of_exit(0, false), Outcome::Up);
        assert!(!outcome_of_exit(3, false).is_up());
        assert!(!outcome_of_exit(1, true).is_up());
        assert_eq!(outcome_of_exit(2, true), Outcome::UpWithWeight(0));
        assert_eq!(outcome_of_exit(52, true), Outcome::UpWithWeight(50));
    }

    #[tokio::test]
    async fn scripts_run_and_time_out() {
        let spec = |argv: &[&str], dynamic| MiscSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            dynamic,
            run_as: RunAs::current(),
            script_security: false,
        };
        let t = Duration::from_secs(5);
        assert_eq!(
            check(&spec(&["/bin/sh", "-c", "exit 0"], false), t).await,
            Outcome::Up
        );
        assert_eq!(
            check(&spec(&["/bin/sh", "-c", "exit 12"], true), t).await,
            Outcome::UpWithWeight(10)
        );
        assert_eq!(
            check(&spec(&["/bin/sh", "-c", "exit 1"], false), t).await,
            Outcome::down("exit status 1")
        );
        assert_eq!(
            check(
                &spec(&["/bin/sleep", "5"], false),
                Duration::from_millis(200)
            )
            .await,
            Outcome::down("timeout after 200ms, killed")
        );
        assert!(
            matches!(check(&spec(&["/nonexistent/kac-script"], false), t).await,
                Outcome::Down { reason } if reason.starts_with("cannot run: /nonexistent/kac-script: "))
        );
    }
}
