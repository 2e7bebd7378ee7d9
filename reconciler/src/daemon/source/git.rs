//! A git source: the repository is fetched (git2, libgit2's own transports) into a bare
//! mirror in `<state-dir>/git/`, every branch and tag, on the poll interval, on SIGHUP and on
//! `kac ctl sync`. The tip of `--ref` (default: the remote's HEAD) is then checked:
//!
//! * with `--allowed-signers`, its signature must verify ([`super::signature`]);
//! * unless `--allow-non-descendant`, it must descend from the applied revision (or be it): a
//!   force-push back in time is refused, not applied;
//!
//! and written into a snapshot directory ([`super::snapshot`]) before the loop is told. A
//! pin (`kac ctl pin REV`) takes any fetched commit, signature checked, ancestry not (going
//! back is what a pin is for).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use git2::Oid;

use super::{
    AppliedRevision, SourceCommand, SourceError, SourceEvent, SourceOptions, join_subdir,
    signature, snapshot,
};
use crate::daemon::Revision;

/// How many delivered snapshots are kept besides the applied one.
const KEEP_SNAPSHOTS: usize = 3;

/// A fetched repository.
pub struct GitSource {
    url: String,
    repo: git2::Repository,
    git_ref: Option<String>,
    subdir: Option<PathBuf>,
    snapshots: PathBuf,
    scratch: PathBuf,
    signers: Option<PathBuf>,
    allow_non_descendant: bool,
    applied: AppliedRevision,
    /// Revisions delivered, newest last.
    delivered: Vec<String>,
    /// The last tip handled (delivered or refused).
    last_tip: Option<Oid>,
}

impl GitSource {
    /// Opens (or creates) the mirror of `url` in the state directory.
    pub fn open(
        url: &str,
        opts: &SourceOptions,
        applied: AppliedRevision,
    ) -> Result<GitSource, SourceError> {
        let key = Oid::hash_object(git2::ObjectType::Blob, url.as_bytes())
            .map_err(|e| SourceError(e.message().to_string()))?
            .to_string();
        let dir = opts
            .state_dir
            .join("git")
            .join(format!("{}.git", &key[..16]));
        let repo = if dir.join("HEAD").exists() {
            git2::Repository::open_bare(&dir)
        } else {
            git2::Repository::init_bare(&dir)
        }
        .map_err(|e| {
            SourceError(format!(
                "cannot open the mirror `{}`: {}",
                dir.display(),
                e.message()
            ))
        })?;
        if let Some(signers) = &opts.allowed_signers {
            std::fs::metadata(signers).map_err(|e| {
                SourceError(format!(
                    "cannot read the allowed signers `{}`: {e}",
                    signers.display()
                ))
            })?;
        }
        join_subdir(&dir, opts.subdir.as_deref()).map_err(SourceError)?;
        Ok(GitSource {
            url: url.to_string(),
            repo,
            git_ref: opts.git_ref.clone(),
            subdir: opts.subdir.clone(),
            snapshots: opts.state_dir.join("snapshots"),
            scratch: opts.state_dir.join("tmp"),
            signers: opts.allowed_signers.clone(),
            allow_non_descendant: opts.allow_non_descendant,
            applied,
            delivered: Vec::new(),
            last_tip: None,
        })
    }

    /// Fetches at start-up, every `poll`, and when asked, until the loop goes away.
    pub fn run(
        mut self,
        commands: Receiver<SourceCommand>,
        poll: Duration,
        emit: impl Fn(SourceEvent) -> bool,
    ) {
        if !emit(self.read(false)) {
            return;
        }
        loop {
            let event = match commands.recv_timeout(poll) {
                Err(RecvTimeoutError::Timeout) => self.read(false),
                Err(RecvTimeoutError::Disconnected) => return,
                Ok(SourceCommand::ReadNow { redeliver }) => self.read(redeliver),
                Ok(SourceCommand::Changed) => continue,
                Ok(SourceCommand::Checkout { revision, reply }) => {
                    let _ = reply.send(self.checkout(&revision));
                    continue;
                }
            };
            if !emit(event) {
                return;
            }
        }
    }

    fn fetch(&self) -> Result<(), String> {
        let mut remote = self
            .repo
            .remote_anonymous(&self.url)
            .map_err(|e| format!("bad URL `{}`: {}", self.url, e.message()))?;
        let mut opts = git2::FetchOptions::new();
        opts.download_tags(git2::AutotagOption::None);
        remote
            .fetch(
                &[
                    "+refs/heads/*:refs/remotes/origin/*",
                    "+refs/tags/*:refs/tags/*",
                    "+HEAD:refs/remotes/origin/HEAD",
                ],
                Some(&mut opts),
                None,
            )
            .map_err(|e| format!("cannot fetch `{}`: {}", self.url, e.message()))
    }

    /// The commit `rev` names in the mirror: a branch or tag of the remote, a `refs/…`
    /// name, or a commit id (prefix).
    fn resolve(&self, rev: Option<&str>) -> Result<Oid, String> {
        let candidates: Vec<String> = match rev {
            None | Some("HEAD") => vec!["refs/remotes/origin/HEAD".into()],
            Some(r) => match r.strip_prefix("refs/heads/") {
                Some(branch) => vec![format!("refs/remotes/origin/{branch}")],
                None if r.starts_with("refs/") => vec![r.to_string()],
                None => vec![
                    format!("refs/remotes/origin/{r}"),
                    format!("refs/tags/{r}"),
                    r.to_string(),
                ],
            },
        };
        for c in &candidates {
            if let Ok(commit) = self
                .repo
                .revparse_single(c)
                .and_then(|o| o.peel_to_commit())
            {
                return Ok(commit.id());
            }
        }
        Err(format!(
            "`{}` names no commit of `{}`",
            rev.unwrap_or("HEAD"),
            self.url
        ))
    }

    fn read(&mut self, redeliver: bool) -> SourceEvent {
        if let Err(e) = self.fetch() {
            return SourceEvent::Failed(e);
        }
        let tip = match self.resolve(self.git_ref.as_deref()) {
            Ok(t) => t,
            Err(e) => return SourceEvent::Failed(e),
        };
        if self.last_tip == Some(tip) && !redeliver {
            return SourceEvent::Unchanged;
        }
        self.last_tip = Some(tip);
        match self.prepare(tip, !self.allow_non_descendant) {
            Ok(rev) => SourceEvent::Revision(rev),
            Err((summary, reason)) => SourceEvent::Refused {
                revision: tip.to_string(),
                summary,
                reason,
            },
        }
    }

    fn checkout(&mut self, revision: &str) -> Result<Revision, String> {
        let oid = match self.resolve(Some(revision)) {
            Ok(o) => o,
            Err(_) => {
                self.fetch()?;
                self.resolve(Some(revision))?
            }
        };
        self.prepare(oid, false).map_err(|(_, reason)| reason)
    }

    /// Checks `oid` (signature; ancestry when `ancestry`) and writes its snapshot.
    fn prepare(&mut self, oid: Oid, ancestry: bool) -> Result<Revision, (Option<String>, String)> {
        let summary = self
            .repo
            .find_commit(oid)
            .ok()
            .and_then(|c| c.summary().ok().flatten().map(str::to_string));
        let refuse = |reason: String| (summary.clone(), reason);
        if let Some(signers) = &self.signers {
            signature::verify(&self.repo, oid, signers, &self.scratch).map_err(refuse)?;
        }
        let applied = self.applied.lock().ok().and_then(|a| a.clone());
        if ancestry
            && let Some(applied) = applied.as_deref()
            && applied != oid.to_string()
        {
            let descends = Oid::from_str(applied)
                .ok()
                .and_then(|a| self.repo.graph_descendant_of(oid, a).ok());
            match descends {
                Some(true) => {}
                Some(false) => {
                    return Err(refuse(format!(
                        "{oid} does not descend from the applied revision {applied} (history was rewritten?); pin it with `kac ctl pin {oid}` or run with `--allow-non-descendant` to accept it"
                    )));
                }
                None => {
                    return Err(refuse(format!(
                        "{oid} cannot be checked against the applied revision {applied}, which is not in the fetched history (history was rewritten?); pin it with `kac ctl pin {oid}` or run with `--allow-non-descendant` to accept it"
                    )));
                }
            }
        }
        let tree = snapshot::write(&self.repo, oid, &self.snapshots).map_err(refuse)?;
        let entry = join_subdir(&tree, self.subdir.as_deref()).map_err(refuse)?;
        let id = oid.to_string();
        self.delivered.retain(|d| *d != id);
        self.delivered.push(id.clone());
        if self.delivered.len() > KEEP_SNAPSHOTS {
            self.delivered.remove(0);
        }
        let mut keep = self.delivered.clone();
        keep.extend(applied);
        snapshot::prune(&self.snapshots, &keep);
        Ok(Revision {
            id,
            summary,
            tree,
            entry,
        })
    }
}
