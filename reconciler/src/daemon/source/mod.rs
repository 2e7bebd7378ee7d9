//! Where revisions come from. A source runs on its own thread, reads its origin when told to
//! (start-up, its poll interval, file-system notifications, SIGHUP, `kac ctl sync`) and sends
//! the loop a [`SourceEvent`]: a new [`Revision`] ready to compile, a refused one, or a read
//! error. The newest revision wins: the loop only ever compiles the last one delivered.
//!
//! * [`path`]: a directory or file on this machine, watched with inotify (debounced; the
//!   directory is watched, since editors and git replace files);
//! * [`git`]: a git repository fetched into a bare mirror in the state directory; each new
//!   revision is checked (signature, ancestry) and written from the object database into a
//!   private snapshot directory ([`snapshot`]) before the loop sees it.

pub mod git;
pub mod path;
pub mod signature;
pub mod snapshot;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::Revision;
use super::event::Event;

/// A `--source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// A directory or a file on this machine.
    Path(PathBuf),
    /// A git repository (`git+file:///srv/site.git`): the URL without `git+`.
    Git(String),
}

impl SourceSpec {
    /// Parses `--source`: `git+URL` is a git source, anything else a path.
    pub fn parse(s: &str) -> Result<SourceSpec, String> {
        if let Some(url) = s.strip_prefix("git+") {
            if let Some(path) = url.strip_prefix("file://") {
                if !path.starts_with('/') {
                    return Err(format!(
                        "`{s}`: a git+file URL needs an absolute path (`git+file:///srv/site.git`)"
                    ));
                }
                return Ok(SourceSpec::Git(url.to_string()));
            }
            return Err(format!(
                "`{s}`: only `git+file://` repositories can be fetched by this kac (fetching over https or ssh is not implemented; mirror the repository locally, e.g. with `git clone --mirror` from cron, and point kac at that)"
            ));
        }
        if s.is_empty() {
            return Err("`--source` is empty".into());
        }
        Ok(SourceSpec::Path(PathBuf::from(s)))
    }

    /// `path` or `git`.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceSpec::Path(_) => "path",
            SourceSpec::Git(_) => "git",
        }
    }
}

/// How a source reads its origin.
#[derive(Clone, Debug)]
pub struct SourceOptions {
    /// What to read.
    pub spec: SourceSpec,
    /// `--source` as given (shown in status; recorded with the last good state).
    pub location: String,
    /// `--ref` (git): a branch, tag, `refs/…` name or commit; default the remote's HEAD.
    pub git_ref: Option<String>,
    /// `--subdir`: what to compile inside the tree.
    pub subdir: Option<PathBuf>,
    /// `--poll` (git): how often to fetch.
    pub poll: Duration,
    /// How long a path source waits for a burst of file changes to end.
    pub debounce: Duration,
    /// `--allowed-signers`: verify commit signatures against this file (git).
    pub allowed_signers: Option<PathBuf>,
    /// `--allow-non-descendant`: accept a revision that does not descend from the applied one.
    pub allow_non_descendant: bool,
    /// The state directory (mirror and snapshots live under it).
    pub state_dir: PathBuf,
}

/// What a source tells the loop.
#[derive(Debug)]
pub enum SourceEvent {
    /// A revision ready to compile (newer than the last one delivered, or asked for).
    Revision(Revision),
    /// A revision that must not be applied: unsigned, untrusted, or not descending from the
    /// applied one.
    Refused {
        /// Its id.
        revision: String,
        /// Its subject line.
        summary: Option<String>,
        /// Why.
        reason: String,
    },
    /// The origin was read and has nothing new.
    Unchanged,
    /// The origin could not be read.
    Failed(String),
}

/// What the loop asks of a source.
#[derive(Debug)]
pub enum SourceCommand {
    /// Read the origin now; with `redeliver`, deliver its current revision even if it was
    /// delivered before.
    ReadNow {
        /// Deliver again.
        redeliver: bool,
    },
    /// Prepare this revision (a pin): the reply is the revision, ready to compile, or why it
    /// cannot be had.
    Checkout {
        /// As the operator wrote it.
        revision: String,
        /// The answer.
        reply: oneshot::Sender<Result<Revision, String>>,
    },
    /// Files changed (path sources; sent by the watcher).
    Changed,
}

/// The revision the loop has applied, as the sources need it (ancestry checks, and which
/// snapshots to keep). `None` when nothing from this source is applied.
pub type AppliedRevision = Arc<Mutex<Option<String>>>;

/// The loop's handle on its source.
#[derive(Debug, Clone)]
pub struct SourceHandle {
    commands: std::sync::mpsc::Sender<SourceCommand>,
}

impl SourceHandle {
    /// Sends a command (a source that ended is reported by the loop's status already).
    pub fn send(&self, c: SourceCommand) {
        let _ = self.commands.send(c);
    }
}

/// Why a source cannot start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// Starts the source's thread.
pub fn spawn(
    opts: SourceOptions,
    events: mpsc::Sender<Event>,
    applied: AppliedRevision,
) -> Result<SourceHandle, SourceError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = SourceHandle {
        commands: tx.clone(),
    };
    let emit = move |e: SourceEvent| events.blocking_send(Event::Source(e)).is_ok();
    match &opts.spec {
        SourceSpec::Path(p) => {
            let src = path::PathSource::new(p, opts.subdir.as_deref(), opts.debounce, tx)?;
            std::thread::Builder::new()
                .name("kac-source".into())
                .spawn(move || src.run(rx, emit))
                .map_err(|e| SourceError(format!("cannot start the source thread: {e}")))?;
        }
        SourceSpec::Git(url) => {
            let src = git::GitSource::open(url, &opts, applied)?;
            let poll = opts.poll;
            std::thread::Builder::new()
                .name("kac-source".into())
                .spawn(move || src.run(rx, poll, emit))
                .map_err(|e| SourceError(format!("cannot start the source thread: {e}")))?;
        }
    }
    Ok(handle)
}

/// `dir/subdir`, refusing a `subdir` that leaves `dir`.
pub fn join_subdir(dir: &Path, subdir: Option<&Path>) -> Result<PathBuf, String> {
    let Some(sub) = subdir else {
        return Ok(dir.to_path_buf());
    };
    if sub.is_absolute()
        || sub
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!(
            "`--subdir {}` must be a relative path inside the source",
            sub.display()
        ));
    }
    Ok(dir.join(sub))
}
