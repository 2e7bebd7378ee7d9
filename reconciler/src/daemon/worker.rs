//! The kernel worker: one thread that owns the kernel backend and the locked state
//! directory, and runs the loop's jobs one at a time (the netlink backend is synchronous,
//! and a large apply must not stall the loop's control socket). Every change to the kernel
//! goes through [`crate::apply::apply`] here: new revisions, drift repairs, the stop-time
//! IPVS flush.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kac_schema::status::OwnedCounts;
use tokio::sync::mpsc;

use super::event::Event;
use crate::apply::{ApplyOptions, Report, apply, live_diff_scoped};
use crate::desired::Desired;
use crate::diff::Diff;
use crate::journal::{Journal, StateDir};
use crate::kernel::Kernel;

/// Why a job runs (the loop decides what its result means).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Converge to a new revision's plan.
    Revision,
    /// Converge to the last good plan at start-up.
    Startup,
    /// Repair drift of addresses, routes, rules and links (IPVS not read).
    Drift,
    /// Re-check and repair everything, IPVS included.
    FullCheck,
    /// Converge IPVS to a change of health or the end of a drain (and repair the rest).
    Health,
    /// Stopping: the virtual addresses go, and the IPVS flush (`lvs_flush_on_stop`).
    Stop,
    /// VRRP mastership changed: the virtual addresses, routes and rules follow it.
    Vrrp,
}

/// A job for the worker.
#[derive(Debug)]
pub struct Job {
    /// Why.
    pub purpose: Purpose,
    /// The state to converge to (or to diff against).
    pub desired: Arc<Desired>,
    /// Take over existing objects the plan wants.
    pub adopt: bool,
    /// Leave IPVS out.
    pub skip_ipvs: bool,
    /// Only compute the live diff (observe-only mode).
    pub dry: bool,
}

/// What a job did.
#[derive(Debug)]
pub enum Outcome {
    /// Applied (possibly zero ops).
    Applied(Report),
    /// Diffed only.
    Diffed(Diff),
}

/// A finished job.
#[derive(Debug)]
pub struct JobDone {
    /// Why it ran.
    pub purpose: Purpose,
    /// The desired state it ran with.
    pub desired: Arc<Desired>,
    /// What happened.
    pub result: Result<Outcome, String>,
    /// What kac owns afterwards.
    pub owned: OwnedCounts,
    /// How long it took.
    pub elapsed: Duration,
}

/// The handle the loop keeps.
#[derive(Debug)]
pub struct Worker {
    jobs: std::sync::mpsc::Sender<Job>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker thread; results come back as [`Event::Kernel`].
    pub fn spawn(
        mut kernel: Box<dyn Kernel + Send>,
        state: StateDir,
        events: mpsc::Sender<Event>,
    ) -> std::io::Result<Worker> {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("kac-kernel".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    let done = run(kernel.as_mut(), &state, job);
                    if events.blocking_send(Event::Kernel(Box::new(done))).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Worker {
            jobs: tx,
            thread: Some(thread),
        })
    }

    /// Queues a job (the loop runs one at a time).
    pub fn submit(&self, job: Job) {
        // The thread only ends when the loop's channel is gone.
        let _ = self.jobs.send(job);
    }

    /// Ends the thread (after its current job) and releases the state directory's lock.
    pub fn shut_down(mut self) {
        let (tx, _) = std::sync::mpsc::channel();
        self.jobs = tx;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What kac owns according to `journal`.
pub fn owned_counts(journal: &Journal) -> OwnedCounts {
    OwnedCounts {
        addresses: journal.addresses.len(),
        routes: journal.routes.len(),
        rules: journal.rules.len(),
        links: journal.links.len(),
        services: journal.services.len(),
    }
}

fn run(kernel: &mut dyn Kernel, state: &StateDir, job: Job) -> JobDone {
    let start = Instant::now();
    let result = if job.dry {
        state
            .load()
            .map_err(|e| e.to_string())
            .and_then(|journal| {
                live_diff_scoped(kernel, &job.desired, &journal, job.adopt, job.skip_ipvs)
                    .map_err(|e| e.to_string())
            })
            .map(Outcome::Diffed)
    } else {
        let opts = ApplyOptions {
            adopt: job.adopt,
            skip_ipvs: job.skip_ipvs,
            ..ApplyOptions::default()
        };
        apply(kernel, &job.desired, state, opts)
            .map(Outcome::Applied)
            .map_err(|e| e.to_string())
    };
    let owned = state.load().map(|j| owned_counts(&j)).unwrap_or_default();
    JobDone {
        purpose: job.purpose,
        desired: job.desired,
        result,
        owned,
        elapsed: start.elapsed(),
    }
}
