//! A path source: a configuration directory (a site, or a directory with `keepalived.conf`)
//! or a single configuration file on this machine. Its directory is watched recursively with
//! inotify through notify-debouncer-full (editors and git replace files rather than write
//! them, so files are never watched one by one); a burst of changes is one read. A revision
//! is the content digest of every file under the directory (hidden names skipped), so a
//! change that changes nothing (a touch, a save without edits) is no new revision.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::{SourceCommand, SourceError, SourceEvent, join_subdir};
use crate::daemon::Revision;

/// A watched directory.
pub struct PathSource {
    /// The watched directory (the file's directory for a file source).
    root: PathBuf,
    /// What is compiled: the directory (or `--subdir` in it), or the file.
    entry: PathBuf,
    /// Keeps the watch alive.
    _watch: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl PathSource {
    /// Watches `path` (a directory, or a file and its directory). File changes are sent as
    /// [`SourceCommand::Changed`] on `commands` once `debounce` passed without another.
    pub fn new(
        path: &Path,
        subdir: Option<&Path>,
        debounce: Duration,
        commands: Sender<SourceCommand>,
    ) -> Result<PathSource, SourceError> {
        let meta = std::fs::metadata(path)
            .map_err(|e| SourceError(format!("cannot read `{}`: {e}", path.display())))?;
        let path = std::fs::canonicalize(path)
            .map_err(|e| SourceError(format!("cannot read `{}`: {e}", path.display())))?;
        let (root, entry) = if meta.is_dir() {
            let entry = join_subdir(&path, subdir).map_err(SourceError)?;
            (path, entry)
        } else {
            if subdir.is_some() {
                return Err(SourceError(
                    "`--subdir` needs a directory (or git) source, not a file".into(),
                ));
            }
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (dir, path)
        };
        let handler = move |r: DebounceEventResult| {
            if r.is_ok_and(|events| !events.is_empty()) {
                let _ = commands.send(SourceCommand::Changed);
            }
        };
        let mut watch = new_debouncer(debounce, Some(debounce / 4), handler)
            .map_err(|e| SourceError(format!("cannot watch `{}`: {e}", root.display())))?;
        watch
            .watch(&root, RecursiveMode::Recursive)
            .map_err(|e| SourceError(format!("cannot watch `{}`: {e}", root.display())))?;
        Ok(PathSource {
            root,
            entry,
            _watch: watch,
        })
    }

    /// Delivers the current revision, then one per change, until the loop goes away.
    pub fn run(self, commands: Receiver<SourceCommand>, emit: impl Fn(SourceEvent) -> bool) {
        let mut last: Option<String> = None;
        let read = |force: bool, last: &mut Option<String>| -> bool {
            match tree_digest(&self.root) {
                Err(e) => emit(SourceEvent::Failed(e)),
                Ok(d) if !force && last.as_ref() == Some(&d) => emit(SourceEvent::Unchanged),
                Ok(d) => {
                    *last = Some(d.clone());
                    emit(SourceEvent::Revision(Revision {
                        id: d,
                        summary: None,
                        tree: self.root.clone(),
                        entry: self.entry.clone(),
                    }))
                }
            }
        };
        if !read(true, &mut last) {
            return;
        }
        while let Ok(c) = commands.recv() {
            let alive = match c {
                SourceCommand::Changed => read(false, &mut last),
                SourceCommand::ReadNow { redeliver } => read(redeliver, &mut last),
                SourceCommand::Checkout { revision, reply } => {
                    let current = tree_digest(&self.root);
                    match current {
                        Ok(d) if d.starts_with(&revision) && !revision.is_empty() => {
                            let _ = reply.send(Ok(Revision {
                                id: d,
                                summary: None,
                                tree: self.root.clone(),
                                entry: self.entry.clone(),
                            }));
                            true
                        }
                        Ok(d) => {
                            let _ = reply.send(Err(format!(
                                "a path source has only its current content (revision {d}); `{revision}` is not it"
                            )));
                            true
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                            true
                        }
                    }
                }
            };
            if !alive {
                return;
            }
        }
    }
}

/// The content digest of the files under `root` (hidden names skipped): a git blob id of the
/// sorted list of (path, blob id) lines.
pub fn tree_digest(root: &Path) -> Result<String, String> {
    let mut listing = Vec::new();
    walk(root, Path::new(""), &mut listing)?;
    let id = git2::Oid::hash_object(git2::ObjectType::Blob, &listing)
        .map_err(|e| format!("cannot hash `{}`: {}", root.display(), e.message()))?;
    Ok(id.to_string())
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<u8>) -> Result<(), String> {
    let dir = root.join(rel);
    let read_err = |p: &Path, e: std::io::Error| format!("cannot read `{}`: {e}", p.display());
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| read_err(&dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|n| !n.to_string_lossy().starts_with('.'))
        .collect();
    names.sort();
    for name in names {
        let rel = rel.join(&name);
        let path = root.join(&rel);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue; // removed meanwhile: the next notification reads again
        };
        let (kind, bytes) = if meta.is_dir() {
            walk(root, &rel, out)?;
            continue;
        } else if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(|e| read_err(&path, e))?;
            ("link", target.to_string_lossy().into_owned().into_bytes())
        } else if meta.is_file() {
            match std::fs::read(&path) {
                Ok(b) => ("file", b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(read_err(&path, e)),
            }
        } else {
            continue;
        };
        let id = git2::Oid::hash_object(git2::ObjectType::Blob, &bytes)
            .map_err(|e| format!("cannot hash `{}`: {}", path.display(), e.message()))?;
        out.extend_from_slice(format!("{kind} {id} ").as_bytes());
        out.extend_from_slice(rel.to_string_lossy().as_bytes());
        out.push(b'\n');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_changes_with_content_and_not_with_hidden_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("keepalived.conf"), "a\n").expect("write");
        std::fs::create_dir(dir.path().join("conf.d")).expect("mkdir");
        std::fs::write(dir.path().join("conf.d/x.conf"), "x\n").expect("write");
        let one = tree_digest(dir.path()).expect("digest");
        std::fs::write(dir.path().join(".keepalived.conf.swp"), "junk").expect("write");
        assert_eq!(tree_digest(dir.path()).expect("digest"), one);
        std::fs::write(dir.path().join("conf.d/x.conf"), "y\n").expect("write");
        let two = tree_digest(dir.path()).expect("digest");
        assert_ne!(two, one);
        std::fs::write(dir.path().join("conf.d/x.conf"), "x\n").expect("write");
        assert_eq!(tree_digest(dir.path()).expect("digest"), one);
        assert_eq!(one.len(), 40);
    }
}
