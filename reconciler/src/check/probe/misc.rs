//! `MISC_CHECK`: run `misc_path` (no shell: the argv as keepalived splits it) as its `user`,
//! else the global `script_user`, else `keepalived_script` when that user exists, bounded by
//! `misc_timeout`; exit 0 is up, anything else down. With `misc_dynamic`, exit 1 is down and
//! 2..=255 is up with weight exit − 2 (keepalived's check_misc.c). A script still running at
//! the timeout is killed and the check is down.

use std::process::Stdio;
use std::time::Duration;

use super::{Outcome, fmt_duration};

/// The user keepalived runs scripts as when none is configured and it exists.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// A `MISC_CHECK`'s settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MiscSpec {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// `misc_dynamic`.
    pub dynamic: bool,
    /// `user USER [GROUP]`: numeric ids resolved when the checker was built.
    pub run_as: Option<(u32, u32)>,
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
    let Some((program, args)) = spec.argv.split_first() else {
        return Outcome::down("misc_path is empty");
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some((uid, gid)) = spec.run_as {
        cmd.uid(uid).gid(gid);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::down(super::socket::io_reason(&format!("run {program}"), &e)),
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Err(_) => {
            let _ = child.kill().await;
            Outcome::down(format!("timeout after {}, killed", fmt_duration(timeout)))
        }
        Ok(Err(e)) => Outcome::down(super::socket::io_reason("wait", &e)),
        Ok(Ok(status)) => match status.code() {
            Some(code) => outcome_of_exit(code, spec.dynamic),
            None => {
                use std::os::unix::process::ExitStatusExt;
                Outcome::down(format!(
                    "killed by signal {}",
                    status.signal().unwrap_or_default()
                ))
            }
        },
    }
}

/// The uid and gid of `user` (and `group`, else the user's primary group), from the
/// system's passwd and group files.
pub fn resolve_user(user: &str, group: Option<&str>) -> Result<(u32, u32), String> {
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| format!("/etc/passwd: {e}"))?;
    let (uid, primary) = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 3 && f[0] == user)
        .and_then(|f| Some((f[2].parse::<u32>().ok()?, f[3].parse::<u32>().ok()?)))
        .ok_or_else(|| format!("no user `{user}`"))?;
    let gid = match group {
        None => primary,
        Some(g) => {
            let groups =
                std::fs::read_to_string("/etc/group").map_err(|e| format!("/etc/group: {e}"))?;
            groups
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() > 2 && f[0] == g)
                .and_then(|f| f[2].parse::<u32>().ok())
                .ok_or_else(|| format!("no group `{g}`"))?
        }
    };
    Ok((uid, gid))
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
            run_as: None,
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
                Outcome::Down { reason } if reason.starts_with("run /nonexistent/kac-script: "))
        );
    }
}
