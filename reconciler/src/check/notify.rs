//! Runs the commands health changes call for (`notify_up`, `notify_down`, `quorum_up`,
//! `quorum_down`) without waiting for them: each is started in the background and its exit
//! is logged. keepalived passes these commands no arguments of its own; neither does kac.

use std::process::Stdio;

use super::health::Notice;

/// Starts `notice`'s command; a command that cannot start is logged.
pub fn run(notice: &Notice) {
    let Some((program, args)) = notice.argv.split_first() else {
        return;
    };
    tracing::info!(command = %notice.argv.join(" "), "{}: running", notice.what);
    let spawned = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(false)
        .spawn();
    match spawned {
        Ok(mut child) => {
            let what = notice.what.clone();
            let command = notice.argv.join(" ");
            tokio::spawn(async move {
                match child.wait().await {
                    Ok(s) if s.success() => {}
                    Ok(s) => tracing::warn!(%command, "{what}: the command ended with {s}"),
                    Err(e) => tracing::warn!(%command, "{what}: cannot wait for the command: {e}"),
                }
            });
        }
        Err(e) => {
            tracing::error!(command = %notice.argv.join(" "), "{}: cannot run: {e}", notice.what)
        }
    }
}
