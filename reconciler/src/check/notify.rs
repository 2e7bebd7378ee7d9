//! Runs the commands health changes call for (`notify_up`, `notify_down`, `quorum_up`,
//! `quorum_down`) without waiting for them: each is started in the background through the
//! shared script runner ([`crate::script`]: no shell, its own process group, killed with the
//! group after [`NOTIFY_TIMEOUT`]) and its end is logged. keepalived passes these commands no
//! arguments of its own; neither does kac. Each runs as its configured user (the script's own
//! `USER [GROUP]`, else `script_user`, else `keepalived_script` when it exists, else the
//! daemon's user), and with `enable_script_security` an unsafe script is refused and logged,
//! by the same rules as VRRP scripts ([`crate::script::security`]).

use std::time::Duration;

use super::health::Notice;
use crate::script::{Outcome, RunAs, Script};

/// The longest a health notify command may run before its process group is killed.
pub const NOTIFY_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts `notice`'s command in the background; its end (or why it could not start) is logged.
/// `script_security` is the plan's `enable_script_security`.
pub fn run(notice: &Notice, script_security: bool) {
    if notice.argv.is_empty() {
        return;
    }
    let command = notice.argv.join(" ");
    tracing::info!(%command, "{}: running", notice.what);
    let what = notice.what.clone();
    let run_as = match RunAs::resolve(&notice.user, script_security) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(%command, "{}: cannot run: {e}", notice.what);
            return;
        }
    };
    let script = Script::new(notice.argv.clone(), run_as)
        .with_timeout(NOTIFY_TIMEOUT)
        .with_security(script_security);
    tokio::spawn(async move {
        match script.run().await.outcome {
            Outcome::Exited(0) => {}
            Outcome::Exited(code) => {
                tracing::warn!(%command, "{what}: the command exited with {code}")
            }
            Outcome::Signalled(sig) => {
                tracing::warn!(%command, "{what}: the command was killed by signal {sig}")
            }
            Outcome::TimedOut => tracing::warn!(
                %command,
                "{what}: the command ran longer than {}s and was killed",
                NOTIFY_TIMEOUT.as_secs()
            ),
            Outcome::Refused(why) => tracing::error!(%command, "{what}: cannot run: {why}"),
            Outcome::SpawnFailed(e) => tracing::error!(%command, "{what}: cannot run: {e}"),
        }
    });
}
