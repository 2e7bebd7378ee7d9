//! What the daemon keeps in the state directory besides the ownership journal:
//!
//! * `last-good.json`: the revision applied last and its plan, written after every successful
//!   apply of a new revision, so that a restart (a reboot with the source unreachable) converges
//!   to the last good state before the source answers;
//! * `mode.json`: the operator's controls (suspended, observe-only, pinned revision), so that a
//!   restart does not undo them.
//!
//! Both are written like the journal: temporary file, fsync, rename, fsync of the directory.

use std::fs::File;
use std::path::{Path, PathBuf};

use kac_schema::plan::Plan;
use serde::{Deserialize, Serialize};

/// The format version of both files.
pub const PERSIST_VERSION: u32 = 1;

/// The last good state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastGood {
    /// [`PERSIST_VERSION`].
    pub version: u32,
    /// The source it came from (`--source` as given).
    pub source: String,
    /// Commit id or content digest.
    pub revision: String,
    /// The commit's subject line.
    pub summary: Option<String>,
    /// When it was applied (RFC 3339).
    pub applied_at: String,
    /// Its plan.
    pub plan: Plan,
}

/// The operator's controls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMode {
    /// [`PERSIST_VERSION`].
    pub version: u32,
    /// Suspended.
    pub suspended: bool,
    /// Observe-only.
    pub observe_only: bool,
    /// Pinned revision.
    pub pinned: Option<String>,
}

/// A state file problem.
#[derive(Debug, thiserror::Error)]
#[error("{what} `{path}`: {reason}")]
pub struct PersistError {
    /// What was being done.
    pub what: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Why it failed.
    pub reason: String,
}

const LAST_GOOD: &str = "last-good.json";
const MODE: &str = "mode.json";

/// Reads the last good state (`None` when there is none yet).
pub fn load_last_good(dir: &Path) -> Result<Option<LastGood>, PersistError> {
    load(dir, LAST_GOOD)
}

/// [`LastGood`] borrowing its plan (written without copying it).
#[derive(Serialize)]
struct LastGoodRef<'a> {
    version: u32,
    source: &'a str,
    revision: &'a str,
    summary: Option<&'a str>,
    applied_at: &'a str,
    plan: &'a Plan,
}

/// Replaces the last good state.
pub fn store_last_good(
    dir: &Path,
    source: &str,
    revision: &str,
    summary: Option<&str>,
    applied_at: &str,
    plan: &Plan,
) -> Result<(), PersistError> {
    let lg = LastGoodRef {
        version: PERSIST_VERSION,
        source,
        revision,
        summary,
        applied_at,
        plan,
    };
    store(dir, LAST_GOOD, &lg)
}

/// Reads the saved controls (the defaults when there are none).
pub fn load_mode(dir: &Path) -> Result<SavedMode, PersistError> {
    Ok(load(dir, MODE)?.unwrap_or(SavedMode {
        version: PERSIST_VERSION,
        ..SavedMode::default()
    }))
}

/// Saves the controls.
pub fn store_mode(dir: &Path, mode: &SavedMode) -> Result<(), PersistError> {
    store(dir, MODE, mode)
}

fn load<T: for<'de> Deserialize<'de>>(dir: &Path, name: &str) -> Result<Option<T>, PersistError> {
    let path = dir.join(name);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(PersistError {
                what: "cannot read",
                path,
                reason: e.to_string(),
            });
        }
    };
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let v: Version = serde_json::from_slice(&text).map_err(|e| damaged(&path, e))?;
    if v.version != PERSIST_VERSION {
        return Err(PersistError {
            what: "unknown version of",
            path,
            reason: format!("this kac reads version {PERSIST_VERSION}; move the file away"),
        });
    }
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| damaged(&path, e))
}

fn damaged(path: &Path, e: serde_json::Error) -> PersistError {
    PersistError {
        what: "damaged",
        path: path.to_path_buf(),
        reason: format!("{e}; move it away to start over"),
    }
}

fn store<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<(), PersistError> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let fail = |what: &'static str, p: &Path, e: std::io::Error| PersistError {
        what,
        path: p.to_path_buf(),
        reason: e.to_string(),
    };
    let f = File::create(&tmp).map_err(|e| fail("cannot write", &tmp, e))?;
    let mut w = std::io::BufWriter::new(f);
    serde_json::to_writer(&mut w, value).map_err(|e| PersistError {
        what: "cannot write",
        path: tmp.clone(),
        reason: e.to_string(),
    })?;
    let f = w
        .into_inner()
        .map_err(|e| fail("cannot write", &tmp, e.into_error()))?;
    f.sync_all().map_err(|e| fail("cannot write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| fail("cannot replace", &path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| fail("cannot sync", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_versions() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(load_last_good(dir.path()).expect("none"), None);
        assert_eq!(load_mode(dir.path()).expect("default").pinned, None);
        let mode = SavedMode {
            version: PERSIST_VERSION,
            suspended: true,
            observe_only: false,
            pinned: Some("abc".into()),
        };
        store_mode(dir.path(), &mode).expect("store");
        assert_eq!(load_mode(dir.path()).expect("load"), mode);
        std::fs::write(dir.path().join(MODE), r#"{"version":9}"#).expect("write");
        let err = load_mode(dir.path()).expect_err("version 9");
        assert!(err.to_string().contains("version 1"), "{err}");
    }
}
