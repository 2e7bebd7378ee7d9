//! The trackers a plan needs, running, kept across reloads.
//!
//! [`Trackers::update`] starts a tracker for every tracked object the plan's VRRP instances
//! reference (their tracking lists include their sync groups'): `vrrp_script`s, `track_file`s,
//! `vrrp_track_process`es, and one link watcher for the tracked interfaces, the interfaces of
//! the static entries of their `track_group`s and the instances' own interfaces. keepalived runs nothing for objects no instance tracks, and neither does
//! this. Called again with a new plan, it keeps every tracker whose definition did not change
//! (no re-run storm, no state lost: a `vrrp_script` keeps its rise/fall count), stops the
//! ones no longer needed or changed, and starts the new ones, which report their initial
//! state. All changes arrive on the one channel given to [`Trackers::new`].

use std::collections::{BTreeMap, BTreeSet};

use kac_schema::plan::{Plan, PlanTrackFile, PlanTrackProcess, PlanVrrpScript};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::file::FileTracker;
use super::process::ProcessTracker;
use super::script::ScriptTracker;
use super::{Change, Kind};
use crate::script::{RunAs, UserError};

/// What a running tracker was started from (a different one restarts it).
#[derive(Clone, Debug, PartialEq)]
enum Definition {
    Script(PlanVrrpScript, RunAs, bool),
    File(PlanTrackFile),
    Process(PlanTrackProcess),
}

/// A tracked object a plan references that cannot be tracked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrackError {
    /// The plan references an object it does not define.
    #[error("{kind:?} `{name}` is tracked but not defined")]
    Undefined {
        /// Its kind.
        kind: Kind,
        /// Its name.
        name: String,
    },
    /// A `vrrp_script`'s user cannot be resolved (it is not run).
    #[error("vrrp_script `{name}`: {error}")]
    User {
        /// The script's name.
        name: String,
        /// Why.
        error: UserError,
    },
    /// Link notifications cannot be subscribed to.
    #[error("track_interface: {0}")]
    Links(String),
}

/// The running trackers of a plan.
pub struct Trackers {
    tx: mpsc::Sender<Change>,
    running: BTreeMap<(Kind, String), (Definition, JoinHandle<()>)>,
    links: Option<(BTreeSet<String>, JoinHandle<()>)>,
}

impl Trackers {
    /// No trackers yet; their changes will go to `tx`.
    pub fn new(tx: mpsc::Sender<Change>) -> Trackers {
        Trackers {
            tx,
            running: BTreeMap::new(),
            links: None,
        }
    }

    /// The objects being tracked (interfaces apart).
    pub fn tracked(&self) -> Vec<(Kind, String)> {
        self.running.keys().cloned().collect()
    }

    /// The interfaces being watched.
    pub fn interfaces(&self) -> BTreeSet<String> {
        self.links
            .as_ref()
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    }

    /// Runs the trackers `plan` needs (see the module documentation). Must be called within a
    /// tokio runtime, from a thread in the network namespace whose links are tracked. Returns
    /// the objects that could not be tracked; the others run.
    pub fn update(&mut self, plan: &Plan) -> Vec<TrackError> {
        let mut errors = Vec::new();
        let security = plan.global.enable_script_security;
        let mut wanted: BTreeMap<(Kind, String), Definition> = BTreeMap::new();
        let mut interfaces = BTreeSet::new();
        for inst in plan.vrrp_instances.values() {
            interfaces.extend(inst.interface.iter().cloned());
            interfaces.extend(inst.track_interfaces.iter().map(|t| t.name.clone()));
            interfaces.extend(inst.track_static.iter().map(|t| t.interface.clone()));
            for t in &inst.track_scripts {
                let key = (Kind::Script, t.name.clone());
                if wanted.contains_key(&key) {
                    continue;
                }
                let Some(def) = plan.vrrp_scripts.get(&t.name) else {
                    errors.push(TrackError::Undefined {
                        kind: Kind::Script,
                        name: t.name.clone(),
                    });
                    continue;
                };
                match RunAs::resolve(&def.user, security) {
                    Ok(run_as) => {
                        wanted.insert(key, Definition::Script(def.clone(), run_as, security));
                    }
                    Err(error) => errors.push(TrackError::User {
                        name: t.name.clone(),
                        error,
                    }),
                }
            }
            for t in &inst.track_files {
                match plan.track_files.get(&t.name) {
                    Some(def) => {
                        wanted.insert((Kind::File, t.name.clone()), Definition::File(def.clone()));
                    }
                    None => errors.push(TrackError::Undefined {
                        kind: Kind::File,
                        name: t.name.clone(),
                    }),
                }
            }
            for t in &inst.track_processes {
                match plan.track_processes.get(&t.name) {
                    Some(def) => {
                        wanted.insert(
                            (Kind::Process, t.name.clone()),
                            Definition::Process(def.clone()),
                        );
                    }
                    None => errors.push(TrackError::Undefined {
                        kind: Kind::Process,
                        name: t.name.clone(),
                    }),
                }
            }
        }
        let mut seen: Vec<TrackError> = Vec::new();
        errors.retain(|e| {
            let first = !seen.contains(e);
            if first {
                seen.push(e.clone());
            }
            first
        });

        // Stop what is gone or changed; keep the rest.
        let stale: Vec<(Kind, String)> = self
            .running
            .iter()
            .filter(|(k, (def, _))| wanted.get(*k) != Some(def))
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            if let Some((_, handle)) = self.running.remove(&k) {
                handle.abort();
            }
        }
        for (key, def) in wanted {
            if self.running.contains_key(&key) {
                continue;
            }
            let tx = self.tx.clone();
            let handle = match &def {
                Definition::Script(d, run_as, security) => {
                    ScriptTracker::from_plan(&key.1, d, *run_as, *security).spawn(tx)
                }
                Definition::File(d) => FileTracker::new(&key.1, &d.file).spawn(tx),
                Definition::Process(d) => ProcessTracker::from_plan(&key.1, d).spawn(tx),
            };
            self.running.insert(key, (def, handle));
        }

        if self.links.as_ref().map(|(n, _)| n) != Some(&interfaces) {
            if let Some((_, fwd)) = self.links.take() {
                fwd.abort();
            }
            if !interfaces.is_empty() {
                let (link_tx, mut link_rx) = mpsc::channel(64);
                match super::interface::watch_links(interfaces.iter().cloned(), link_tx) {
                    Ok(_thread) => {
                        // Forwarding through a channel of the watcher's own: aborting the
                        // forwarder closes it, and the watcher thread ends at its next message.
                        let tx = self.tx.clone();
                        let fwd = tokio::spawn(async move {
                            while let Some(c) = link_rx.recv().await {
                                if tx.send(c).await.is_err() {
                                    return;
                                }
                            }
                        });
                        self.links = Some((interfaces, fwd));
                    }
                    Err(e) => errors.push(TrackError::Links(e.to_string())),
                }
            }
        }
        errors
    }
}

impl Drop for Trackers {
    fn drop(&mut self) {
        for (_, handle) in self.running.values() {
            handle.abort();
        }
        if let Some((_, fwd)) = &self.links {
            fwd.abort();
        }
    }
}
