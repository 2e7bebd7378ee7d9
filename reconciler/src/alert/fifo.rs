//! Notify FIFOs (`notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo`): one line per event
//! in keepalived's format (`INSTANCE "VI_1" MASTER 100`, `GROUP "G1" BACKUP 0`,
//! `INSTANCE "VI_1" MASTER_PRIORITY 90` with `notify_priority_changes`,
//! `RS [10.1.0.7]:80 [10.0.0.1]:tcp:80 DOWN`), so existing consumers keep working.
//!
//! The FIFO is created if missing and opened read-write and non-blocking, as keepalived
//! opens it: with no reader the lines wait in the pipe's buffer, and a full buffer drops the
//! line (counted) instead of blocking the engine. A `*_script` is started with the FIFO's
//! path as its argument and stopped when the writer is dropped.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use super::event::AlertEvent;

/// Which events a FIFO carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FifoScope {
    /// `notify_fifo`: every event.
    All,
    /// `vrrp_notify_fifo`: instances and groups.
    Vrrp,
    /// `lvs_notify_fifo`: real and virtual servers.
    Lvs,
}

impl FifoScope {
    fn carries(self, event: &AlertEvent) -> bool {
        match (self, event) {
            (_, AlertEvent::Operational(_)) => false,
            (FifoScope::All, _) => true,
            (FifoScope::Vrrp, e) => matches!(
                e,
                AlertEvent::Instance(_) | AlertEvent::Group(_) | AlertEvent::Priority(_)
            ),
            (FifoScope::Lvs, e) => matches!(e, AlertEvent::RealServer(_) | AlertEvent::Quorum(_)),
        }
    }
}

/// keepalived's FIFO line for `event` (with its newline), `None` for events it has no line
/// for (operational alerts).
pub fn line(event: &AlertEvent) -> Option<String> {
    match event {
        AlertEvent::Instance(c) => Some(format!(
            "INSTANCE \"{}\" {} {}\n",
            c.name,
            c.to.name(),
            c.priority
        )),
        AlertEvent::Group(g) => Some(format!("GROUP \"{}\" {} 0\n", g.name, g.to.name())),
        AlertEvent::Priority(c) => Some(format!(
            "INSTANCE \"{}\" {} {}\n",
            c.name,
            if c.master {
                "MASTER_PRIORITY"
            } else {
                "BACKUP_PRIORITY"
            },
            c.priority
        )),
        AlertEvent::RealServer(r) => Some(format!(
            "RS [{}]:{} {} {}\n",
            r.address,
            r.port,
            r.virtual_server,
            if r.up { "UP" } else { "DOWN" }
        )),
        AlertEvent::Quorum(q) => Some(format!(
            "VS {} {}\n",
            q.virtual_server,
            if q.up { "UP" } else { "DOWN" }
        )),
        AlertEvent::Operational(_) => None,
    }
}

/// Why a FIFO could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum FifoError {
    /// mkfifo failed.
    #[error("cannot create the FIFO {path}: {reason}")]
    Create {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Something else is at the path.
    #[error("{path} exists and is not a FIFO")]
    NotAFifo {
        /// The path.
        path: PathBuf,
    },
    /// open failed.
    #[error("cannot open the FIFO {path}: {reason}")]
    Open {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The script could not be started.
    #[error("cannot start the FIFO script {script}: {reason}")]
    Script {
        /// The script.
        script: String,
        /// Why.
        reason: String,
    },
}

/// The FIFO script's command: argv with the FIFO's path appended, no stdin, killed with the
/// writer, as `run_as` when it is another user than the daemon's.
fn script_command(
    program: &str,
    args: &[String],
    path: &Path,
    run_as: Option<crate::script::RunAs>,
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(r) = run_as
        && r != crate::script::RunAs::current()
    {
        cmd.uid(r.uid).gid(r.gid);
    }
    cmd
}

/// One open notify FIFO and its script.
#[derive(Debug)]
pub struct FifoWriter {
    path: PathBuf,
    scope: FifoScope,
    file: File,
    _script: Option<tokio::process::Child>,
}

impl FifoWriter {
    /// Creates the FIFO at `path` if missing (mode 0600), opens it, and starts `script`
    /// (argv; the FIFO's path is appended) if given, as `run_as` (`None`: the daemon's
    /// user). Needs a tokio runtime for the script.
    pub fn open(
        path: &Path,
        scope: FifoScope,
        script: Option<&[String]>,
        run_as: Option<crate::script::RunAs>,
    ) -> Result<FifoWriter, FifoError> {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_fifo() => {}
            Ok(_) => {
                return Err(FifoError::NotAFifo {
                    path: path.to_path_buf(),
                });
            }
            Err(_) => nix::unistd::mkfifo(path, Mode::S_IRUSR | Mode::S_IWUSR).map_err(|e| {
                FifoError::Create {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                }
            })?,
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(OFlag::O_NONBLOCK.bits() | OFlag::O_CLOEXEC.bits())
            .open(path)
            .map_err(|e| FifoError::Open {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        let child = match script {
            Some([program, args @ ..]) => Some(
                script_command(program, args, path, run_as)
                    .spawn()
                    .map_err(|e| FifoError::Script {
                        script: program.clone(),
                        reason: e.to_string(),
                    })?,
            ),
            _ => None,
        };
        Ok(FifoWriter {
            path: path.to_path_buf(),
            scope,
            file,
            _script: child,
        })
    }

    /// The FIFO's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the event's line if this FIFO carries it; never waits. `Ok(None)`: not this
    /// FIFO's event; `Ok(Some(line))`: written; `Err`: dropped (the pipe is full).
    pub fn write(&mut self, event: &AlertEvent) -> Result<Option<String>, std::io::Error> {
        if !self.scope.carries(event) {
            return Ok(None);
        }
        let Some(line) = line(event) else {
            return Ok(None);
        };
        // A line shorter than PIPE_BUF is written whole or not at all.
        self.file.write_all(line.as_bytes())?;
        Ok(Some(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::event::PriorityChange;

    #[test]
    fn priority_changes_are_keepalived_s_lines_on_vrrp_fifos() {
        let change = |master| {
            AlertEvent::Priority(PriorityChange {
                name: "VI_1".into(),
                master,
                priority: 90,
            })
        };
        assert_eq!(
            line(&change(true)).as_deref(),
            Some("INSTANCE \"VI_1\" MASTER_PRIORITY 90\n")
        );
        assert_eq!(
            line(&change(false)).as_deref(),
            Some("INSTANCE \"VI_1\" BACKUP_PRIORITY 90\n")
        );
        assert!(FifoScope::All.carries(&change(true)));
        assert!(FifoScope::Vrrp.carries(&change(true)));
        assert!(!FifoScope::Lvs.carries(&change(true)));
    }
}
