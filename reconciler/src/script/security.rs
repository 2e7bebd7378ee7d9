//! keepalived's `enable_script_security` rules (keepalived 2.2 `lib/notify.c`,
//! `check_script_secure()`), checked on this machine.
//!
//! 1. A bare program name is looked up in `PATH` (a regular file executable by the script's
//!    user); a name with a `/` is taken as it is. Not found: the script is disabled.
//! 2. The path is made canonical (symbolic links, `.`, `..` resolved); the canonical path is what
//!    runs, so a link cannot be swapped between the check and the run.
//! 3. The file must be executable by the script's user and group (root: any execute bit),
//!    otherwise the script is disabled, security or not.
//! 4. The path needs protection when the script runs as root (user or group 0), or the file is
//!    set-uid root or set-gid root. Then every part of the canonical path — `/`, each
//!    directory, the file — must be owned by root, and must not be writable by a non-root
//!    group nor by everyone (a directory with the sticky bit, like `/tmp`, may be writable).
//!    A part that is neither a directory (before the last) nor a regular file (the last) is
//!    refused too.
//! 5. With `enable_script_security` an unsafe script is refused ("Disabling … due to
//!    insecure"); without it keepalived only logs `Unsafe permissions found for script` and
//!    runs it anyway — [`check`] reports that as [`Checked::insecure`].
//!
//! Difference: keepalived looks the path up with the script user's effective ids (so a
//! directory the user cannot search hides the script); kac checks the permission bits of the
//! file instead and lets the kernel refuse the run.

use std::fmt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::RunAs;

/// Why a path part makes a script unsafe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unsafety {
    /// Owned by a user other than root.
    NotOwnedByRoot {
        /// Its owner.
        uid: u32,
    },
    /// Writable by its group, which is not root's.
    GroupWritable {
        /// Its group.
        gid: u32,
    },
    /// Writable by everyone (and not a sticky directory).
    WorldWritable,
    /// Not a directory where a directory is needed, or not a regular file at the end.
    WrongFileType,
}

impl fmt::Display for Unsafety {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsafety::NotOwnedByRoot { uid } => write!(f, "is owned by uid {uid}, not root"),
            Unsafety::GroupWritable { gid } => {
                write!(f, "is writable by its group (gid {gid}, not root)")
            }
            Unsafety::WorldWritable => write!(f, "is writable by everyone"),
            Unsafety::WrongFileType => write!(f, "is not a directory or a regular file"),
        }
    }
}

/// A path part that makes a script unsafe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insecure {
    /// The part (`/`, a directory, or the file itself).
    pub part: PathBuf,
    /// What is wrong with it.
    pub why: Unsafety,
}

impl fmt::Display for Insecure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.part.display(), self.why)
    }
}

/// Why a script is not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No such program (not in `PATH`, or its path does not resolve).
    #[error("script `{program}` not found: {reason}")]
    NotFound {
        /// The program as configured.
        program: String,
        /// Why.
        reason: String,
    },
    /// The file exists but the script's user may not execute it.
    #[error("script `{}` is not executable by uid:gid {}:{}", path.display(), run_as.uid, run_as.gid)]
    NotExecutable {
        /// The canonical path.
        path: PathBuf,
        /// Who would run it.
        run_as: RunAs,
    },
    /// Unsafe under `enable_script_security` (or a path part of the wrong type, always).
    #[error("script `{}` is insecure: {insecure}", path.display())]
    Insecure {
        /// The canonical path.
        path: PathBuf,
        /// The offending part.
        insecure: Insecure,
    },
}

/// A script that may run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The canonical path of the program: what to execute.
    pub path: PathBuf,
    /// Set when the path is unsafe but `enable_script_security` is off (keepalived logs it
    /// and runs the script).
    pub insecure: Option<Insecure>,
}

/// Checks `program` (a script's argv\[0\]) for running as `run_as`, with keepalived's rules;
/// `script_security` is `enable_script_security`.
pub fn check(program: &str, run_as: RunAs, script_security: bool) -> Result<Checked, Refusal> {
    check_with_path(program, run_as, script_security, &search_path())
}

/// [`check`] with an explicit `PATH` (a `:`-separated list of directories).
pub fn check_with_path(
    program: &str,
    run_as: RunAs,
    script_security: bool,
    path_var: &str,
) -> Result<Checked, Refusal> {
    let not_found = |reason: String| Refusal::NotFound {
        program: program.to_string(),
        reason,
    };
    if program.is_empty() {
        return Err(not_found("the command is empty".into()));
    }
    let found = if program.contains('/') {
        PathBuf::from(program)
    } else {
        find_in_path(program, run_as, path_var)
            .ok_or_else(|| not_found(format!("no executable of that name in PATH ({path_var})")))?
    };
    let path = std::fs::canonicalize(&found).map_err(|e| not_found(e.to_string()))?;
    let meta = std::fs::metadata(&path).map_err(|e| not_found(e.to_string()))?;
    if !meta.is_file() || !is_executable(&meta, run_as) {
        return Err(Refusal::NotExecutable { path, run_as });
    }
    if !needs_protection(&meta, run_as) {
        return Ok(Checked {
            path,
            insecure: None,
        });
    }
    match first_unsafe_part(&path).map_err(|e| not_found(e.to_string()))? {
        None => Ok(Checked {
            path,
            insecure: None,
        }),
        Some(insecure) if script_security || insecure.why == Unsafety::WrongFileType => {
            Err(Refusal::Insecure { path, insecure })
        }
        Some(insecure) => Ok(Checked {
            path,
            insecure: Some(insecure),
        }),
    }
}

/// The `PATH` scripts are looked up in: the daemon's own, or the POSIX default.
pub fn search_path() -> String {
    std::env::var("PATH").unwrap_or_else(|_| "/bin:/usr/bin".to_string())
}

/// The first regular file named `name` in `path_var`'s directories that `run_as` may execute.
fn find_in_path(name: &str, run_as: RunAs, path_var: &str) -> Option<PathBuf> {
    path_var.split(':').find_map(|dir| {
        let dir = if dir.is_empty() { "." } else { dir };
        let candidate = Path::new(dir).join(name);
        let meta = std::fs::metadata(&candidate).ok()?;
        (meta.is_file() && is_executable(&meta, run_as)).then_some(candidate)
    })
}

/// keepalived's `is_executable()`: root may run any file with an execute bit; the owner needs
/// the user bit; a member of the file's group (by the script's one group) the group bit;
/// anyone else the other bit.
pub fn is_executable(meta: &std::fs::Metadata, run_as: RunAs) -> bool {
    let mode = meta.permissions().mode();
    if run_as.uid == 0 {
        return mode & 0o111 != 0;
    }
    if run_as.uid == meta.uid() {
        return mode & 0o100 != 0;
    }
    if run_as.gid == meta.gid() {
        return mode & 0o010 != 0;
    }
    mode & 0o001 != 0
}

/// Whether the path must be safe: the script runs with root's user or group, or the file is
/// set-uid root (and user-executable) or set-gid root (and group-executable).
fn needs_protection(meta: &std::fs::Metadata, run_as: RunAs) -> bool {
    let mode = meta.mode();
    run_as.is_privileged()
        || (meta.uid() == 0 && mode & 0o4100 == 0o4100)
        || (meta.gid() == 0 && mode & 0o2010 == 0o2010)
}

/// The first part of `path` (from `/` down to the file, not following links) that is unsafe.
pub fn first_unsafe_part(path: &Path) -> std::io::Result<Option<Insecure>> {
    let mut parts: Vec<&Path> = path.ancestors().collect();
    parts.reverse();
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.iter().enumerate() {
        let meta = std::fs::symlink_metadata(part)?;
        let why = unsafety(&meta, i == last);
        if let Some(why) = why {
            return Ok(Some(Insecure {
                part: part.to_path_buf(),
                why,
            }));
        }
    }
    Ok(None)
}

/// keepalived's test of one path part.
fn unsafety(meta: &std::fs::Metadata, last: bool) -> Option<Unsafety> {
    let ft = meta.file_type();
    let right_type = if last {
        ft.is_file() || ft.is_symlink()
    } else {
        ft.is_dir()
    };
    if !right_type {
        return Some(Unsafety::WrongFileType);
    }
    if meta.uid() != 0 {
        return Some(Unsafety::NotOwnedByRoot { uid: meta.uid() });
    }
    let mode = meta.mode();
    let sticky_dir = ft.is_dir() && mode & 0o1000 != 0;
    if sticky_dir || !(ft.is_dir() || ft.is_file()) {
        return None;
    }
    if meta.gid() != 0 && mode & 0o020 != 0 {
        return Some(Unsafety::GroupWritable { gid: meta.gid() });
    }
    if mode & 0o002 != 0 {
        return Some(Unsafety::WorldWritable);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_binaries_are_safe_for_root() {
        let c = check("/bin/true", RunAs::ROOT, true).expect("/bin/true is safe");
        assert!(c.path.is_absolute());
        assert_eq!(c.insecure, None);
    }

    #[test]
    fn bare_names_are_looked_up_in_path() {
        let c = check_with_path("true", RunAs::ROOT, true, "/nonexistent:/usr/bin:/bin")
            .expect("true is in /usr/bin or /bin");
        assert!(c.path.ends_with("true"), "{:?}", c.path);
        let e = check_with_path("true", RunAs::ROOT, true, "/nonexistent").expect_err("refused");
        assert!(matches!(e, Refusal::NotFound { .. }), "{e}");
    }

    #[test]
    fn missing_and_empty_programs_are_not_found() {
        for p in ["", "/nonexistent/kac-script.sh"] {
            let e = check(p, RunAs::ROOT, true).expect_err("refused");
            assert!(matches!(e, Refusal::NotFound { .. }), "{p}: {e}");
        }
    }

    #[test]
    fn a_directory_is_not_executable() {
        let e = check("/usr/bin", RunAs::ROOT, true).expect_err("refused");
        assert!(matches!(e, Refusal::NotExecutable { .. }), "{e}");
    }

    #[test]
    fn root_owned_sticky_tmp_is_a_safe_directory() {
        let meta = std::fs::symlink_metadata("/tmp").expect("/tmp");
        if meta.uid() == 0 && meta.mode() & 0o1777 == 0o1777 {
            assert_eq!(unsafety(&meta, false), None);
        }
    }
}
