//! Snapshots: the tree of one commit written from the object database into
//! `<state-dir>/snapshots/<commit>`, the private directory the loop compiles. The tree is
//! written into a temporary directory first and renamed into place, so a snapshot directory
//! is always complete (a crash leaves a `.tmp-*` directory, removed at the next write).
//! Submodules are not written.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes the tree of `commit` of `repo` into `dir/<commit>` unless it is there; returns
/// the snapshot's directory.
pub fn write(repo: &git2::Repository, commit: git2::Oid, dir: &Path) -> Result<PathBuf, String> {
    let target = dir.join(commit.to_string());
    if target.is_dir() {
        return Ok(target);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let tmp = dir.join(format!(".tmp-{commit}-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .map_err(|e| format!("cannot remove `{}`: {e}", tmp.display()))?;
    }
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|e| format!("cannot read the tree of {commit}: {}", e.message()))?;
    let written = std::fs::create_dir(&tmp)
        .map_err(|e| format!("cannot create `{}`: {e}", tmp.display()))
        .and_then(|()| write_tree(repo, &tree, &tmp));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &target).map_err(|e| {
        let _ = std::fs::remove_dir_all(&tmp);
        format!("cannot rename `{}`: {e}", tmp.display())
    })?;
    Ok(target)
}

fn write_tree(repo: &git2::Repository, tree: &git2::Tree<'_>, dir: &Path) -> Result<(), String> {
    for entry in tree.iter() {
        let Ok(name) = entry.name() else {
            continue; // not UTF-8: no configuration can include it by name
        };
        if name.contains('/') || name == ".." || name == "." {
            continue;
        }
        let path = dir.join(name);
        let fail = |e: &dyn std::fmt::Display| format!("cannot write `{}`: {e}", path.display());
        match entry.filemode() {
            0o040000 => {
                let sub = repo
                    .find_tree(entry.id())
                    .map_err(|e| fail(&e.message().to_string()))?;
                std::fs::create_dir(&path).map_err(|e| fail(&e))?;
                write_tree(repo, &sub, &path)?;
            }
            mode @ (0o100644 | 0o100664 | 0o100755) => {
                let blob = repo
                    .find_blob(entry.id())
                    .map_err(|e| fail(&e.message().to_string()))?;
                let mut f = File::create(&path).map_err(|e| fail(&e))?;
                f.write_all(blob.content()).map_err(|e| fail(&e))?;
                let perm = if mode == 0o100755 { 0o755 } else { 0o644 };
                f.set_permissions(std::fs::Permissions::from_mode(perm))
                    .map_err(|e| fail(&e))?;
            }
            0o120000 => {
                let blob = repo
                    .find_blob(entry.id())
                    .map_err(|e| fail(&e.message().to_string()))?;
                let target = String::from_utf8_lossy(blob.content()).into_owned();
                std::os::unix::fs::symlink(target, &path).map_err(|e| fail(&e))?;
            }
            _ => {} // submodules
        }
    }
    Ok(())
}

/// Removes the snapshots in `dir` other than `keep` (and leftover temporary directories).
pub fn prune(dir: &Path, keep: &[String]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if keep.contains(&name) {
            continue;
        }
        if name.starts_with(".tmp-") && name.ends_with(&format!("-{}", std::process::id())) {
            continue; // being written by this process
        }
        let _ = std::fs::remove_dir_all(e.path());
    }
}
