//! The ownership journal: which kernel objects are kac's. It is the truth about ownership (kac
//! changes only what it owns), kept in the state directory (default `/var/lib/kac`) as
//! `journal.json`, written atomically (temporary file, fsync, rename, fsync of the directory)
//! before every change. The directory's `lock` file is held (flock) by whoever changes the
//! host: `kac apply` refuses to run while a daemon or another apply holds it.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{AddressKey, RouteKey, Rule, ServiceKey};
use crate::syncd::SyncState;

/// The journal format version.
pub const JOURNAL_VERSION: u32 = 1;

/// The default state directory.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/kac";

/// The objects kac owns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// [`JOURNAL_VERSION`].
    pub version: u32,
    /// Addresses.
    pub addresses: BTreeSet<AddressKey>,
    /// Routes.
    pub routes: BTreeSet<RouteKey>,
    /// Rules (as [`Rule::key`]).
    pub rules: BTreeSet<Rule>,
    /// macvlan (VMAC) links by name.
    pub links: BTreeSet<String>,
    /// IPVS services (with all their destinations).
    pub services: BTreeSet<ServiceKey>,
    /// IPVS connection sync daemons kac started, by state.
    #[serde(default)]
    pub sync_daemons: BTreeSet<SyncState>,
}

impl Default for Journal {
    /// Owns nothing.
    fn default() -> Self {
        Journal {
            version: JOURNAL_VERSION,
            addresses: BTreeSet::new(),
            routes: BTreeSet::new(),
            rules: BTreeSet::new(),
            links: BTreeSet::new(),
            services: BTreeSet::new(),
            sync_daemons: BTreeSet::new(),
        }
    }
}

impl Journal {
    /// Everything owned by `self` or `other`.
    pub fn union(&self, other: &Journal) -> Journal {
        fn u<T: Ord + Clone>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> BTreeSet<T> {
            a.union(b).cloned().collect()
        }
        Journal {
            version: JOURNAL_VERSION,
            addresses: u(&self.addresses, &other.addresses),
            routes: u(&self.routes, &other.routes),
            rules: u(&self.rules, &other.rules),
            links: u(&self.links, &other.links),
            services: u(&self.services, &other.services),
            sync_daemons: u(&self.sync_daemons, &other.sync_daemons),
        }
    }

    /// Whether nothing is owned.
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
            && self.routes.is_empty()
            && self.rules.is_empty()
            && self.links.is_empty()
            && self.services.is_empty()
            && self.sync_daemons.is_empty()
    }
}

/// A state directory problem.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Another process holds the lock.
    #[error(
        "the state directory `{dir}` is locked by another kac process{holder} (a daemon or another apply); try again when it is done"
    )]
    Locked {
        /// The directory.
        dir: PathBuf,
        /// ` (pid N)` when known.
        holder: String,
    },
    /// An IO error on a file of the state directory.
    #[error("{what} `{path}`: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The journal does not parse.
    #[error(
        "the journal `{path}` is damaged ({reason}); move it away to start over (kac will then own nothing)"
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The parse error.
        reason: String,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> JournalError {
    let path = path.to_path_buf();
    move |source| JournalError::Io { what, path, source }
}

/// Reads the journal in `dir` without locking (for read-only views such as `kac plan --live`).
/// A missing directory or journal means kac owns nothing.
pub fn read_journal(dir: &Path) -> Result<Journal, JournalError> {
    let path = dir.join("journal.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Journal::default()),
        Err(e) => return Err(io("cannot read the journal", &path)(e)),
    };
    let j: Journal = serde_json::from_str(&text).map_err(|e| JournalError::Damaged {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if j.version != JOURNAL_VERSION {
        return Err(JournalError::Damaged {
            path,
            reason: format!("version {} (this kac reads {JOURNAL_VERSION})", j.version),
        });
    }
    Ok(j)
}

/// A locked state directory. The lock is released when this is dropped.
#[derive(Debug)]
pub struct StateDir {
    dir: PathBuf,
    _lock: File,
}

impl StateDir {
    /// Creates `dir` if needed and takes its lock, or fails at once when another process
    /// holds it.
    pub fn lock(dir: &Path) -> Result<StateDir, JournalError> {
        std::fs::create_dir_all(dir).map_err(io("cannot create the state directory", dir))?;
        let path = dir.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io("cannot open the lock file", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(JournalError::Locked {
                    dir: dir.to_path_buf(),
                    holder: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io("cannot lock", &path)(e));
            }
        }
        file.set_len(0)
            .map_err(io("cannot write the lock file", &path))?;
        let _ = writeln!(file, "{}", std::process::id());
        Ok(StateDir {
            dir: dir.to_path_buf(),
            _lock: file,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The journal (empty when there is none yet).
    pub fn load(&self) -> Result<Journal, JournalError> {
        read_journal(&self.dir)
    }

    /// Replaces the journal atomically and durably.
    pub fn store(&self, journal: &Journal) -> Result<(), JournalError> {
        let path = self.dir.join("journal.json");
        let tmp = self.dir.join("journal.json.tmp");
        let mut j = journal.clone();
        j.version = JOURNAL_VERSION;
        let text = serde_json::to_vec(&j).map_err(|e| JournalError::Io {
            what: "cannot encode the journal",
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        let mut f = File::create(&tmp).map_err(io("cannot write", &tmp))?;
        f.write_all(&text).map_err(io("cannot write", &tmp))?;
        f.sync_all().map_err(io("cannot sync", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io("cannot replace", &path))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io("cannot sync", &self.dir))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn tempdir() -> PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let d = std::env::temp_dir().join(format!(
            "kac-journal-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn stores_loads_and_locks() {
        let dir = tempdir();
        assert_eq!(
            read_journal(&dir).expect("missing = empty"),
            Journal::default()
        );
        let s = StateDir::lock(&dir).expect("lock");
        let second = StateDir::lock(&dir);
        assert!(
            matches!(&second, Err(JournalError::Locked { holder, .. }) if holder.contains(&std::process::id().to_string())),
            "{second:?}"
        );
        let mut j = Journal::default();
        j.addresses.insert(AddressKey {
            dev: "eth0".into(),
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            prefix_len: 24,
        });
        s.store(&j).expect("store");
        let back = s.load().expect("load");
        assert_eq!(back.addresses, j.addresses);
        assert_eq!(back.version, JOURNAL_VERSION);
        drop(s);
        StateDir::lock(&dir).expect("lock again after release");
        std::fs::write(dir.join("journal.json"), "{").expect("write");
        assert!(matches!(
            read_journal(&dir),
            Err(JournalError::Damaged { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
