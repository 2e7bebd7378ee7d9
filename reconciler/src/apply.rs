//! Apply: observe, diff, write the journal ahead, apply the ops, re-observe and verify with a
//! bounded number of repair rounds. When the kernel rejects an op, or the state does not
//! converge, every op already done is undone (newest first) and the journal restored: the host
//! is left as it was.

use std::fmt;

use crate::desired::{Desired, DesiredErrors};
use crate::diff::{Conflict, Diff, Owned, diff};
use crate::journal::{Journal, JournalError, StateDir};
use crate::kernel::{Kernel, KernelError};
use crate::op::Op;

/// How to apply. (A dry run is [`live_diff`]: it needs neither the lock nor this.)
#[derive(Clone, Copy, Debug)]
pub struct ApplyOptions {
    /// Take over existing objects the plan wants instead of refusing.
    pub adopt: bool,
    /// Repair rounds after the first pass before giving up.
    pub verify_rounds: usize,
    /// Leave IPVS out: neither read nor changed (the daemon's quick drift check after an
    /// rtnetlink notification; IPVS is re-checked on a timer).
    pub skip_ipvs: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            adopt: false,
            verify_rounds: 3,
            skip_ipvs: false,
        }
    }
}

/// What an apply did (or, dry, would do).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// The ops applied, in order (verify repairs included).
    pub ops: Vec<Op>,
    /// Objects taken over.
    pub adopted: Vec<Owned>,
    /// How many of `ops` were repairs found by re-observing.
    pub repairs: usize,
}

/// An op that could not be undone during a rollback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stuck {
    /// The undo op.
    pub op: Op,
    /// Why it failed.
    pub error: KernelError,
}

/// Why an apply failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Objects the plan wants are someone else's.
    #[error("{} object(s) the plan wants exist and are not kac's (`--adopt` takes them over):\n{}", .0.len(), list(.0))]
    Conflicts(Vec<Conflict>),
    /// The plan needs IPVS and the kernel has none.
    #[error("the plan has IPVS services but {0}")]
    NoIpvs(KernelError),
    /// Reading the kernel failed.
    #[error("cannot read the kernel state: {0}")]
    Observe(KernelError),
    /// Part of the plan cannot be applied to this host (a VRF the plan names is missing).
    #[error(transparent)]
    Plan(#[from] DesiredErrors),
    /// The state directory failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The kernel rejected an op; everything done before was undone.
    #[error("`{op}` failed: {error}; {}", rollback_text(*.undone, .stuck))]
    OpFailed {
        /// The op.
        op: Box<Op>,
        /// The kernel's reason.
        error: KernelError,
        /// How many ops were undone.
        undone: usize,
        /// Undo ops that failed (the host is not fully restored).
        stuck: Vec<Stuck>,
    },
    /// After the repair rounds the kernel still differs from the plan; everything was undone.
    #[error("the kernel did not converge after {rounds} repair round(s); still different:\n{}; {}", list(.remaining), rollback_text(*.undone, .stuck))]
    NotConverged {
        /// Rounds tried.
        rounds: usize,
        /// Ops still needed.
        remaining: Vec<Op>,
        /// How many ops were undone.
        undone: usize,
        /// Undo ops that failed.
        stuck: Vec<Stuck>,
    },
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| format!("  {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn rollback_text(undone: usize, stuck: &[Stuck]) -> String {
    if stuck.is_empty() {
        format!("rolled back {undone} op(s) already applied; the host is as it was")
    } else {
        format!(
            "rolled back {} of {undone} op(s); these could not be undone:\n{}",
            undone - stuck.len(),
            stuck
                .iter()
                .map(|s| format!("  {}: {}", s.op, s.error))
                .collect::<Vec<_>>()
                .join("\n")
        )
    }
}

/// Observes the kernel and diffs it against `desired`: the live diff (`kac plan --live`,
/// `kac apply --dry-run`). Needs no lock.
pub fn live_diff(
    kernel: &mut dyn Kernel,
    desired: &Desired,
    journal: &Journal,
    adopt: bool,
) -> Result<Diff, ApplyError> {
    live_diff_scoped(kernel, desired, journal, adopt, false)
}

/// [`live_diff`], leaving IPVS out when `skip_ipvs` (not read; its ownership is kept).
pub fn live_diff_scoped(
    kernel: &mut dyn Kernel,
    desired: &Desired,
    journal: &Journal,
    adopt: bool,
    skip_ipvs: bool,
) -> Result<Diff, ApplyError> {
    let wants_ipvs = desired.wants_ipvs() && !skip_ipvs;
    let mut observed = kernel
        .observe(wants_ipvs || (!skip_ipvs && !journal.services.is_empty()))
        .map_err(ApplyError::Observe)?;
    if wants_ipvs && observed.ipvs.is_none() {
        return Err(ApplyError::NoIpvs(KernelError::NoIpvs(
            "the IPVS generic netlink family is missing".into(),
        )));
    }
    // The sync daemons are one small read, not part of `skip_ipvs`: they follow mastership
    // (the VRRP jobs skip the services).
    if desired.sync_daemon.is_some() || !journal.sync_daemons.is_empty() {
        let running = kernel.sync_daemons().map_err(ApplyError::Observe)?;
        if desired.sync_daemon.is_some() && running.is_none() {
            return Err(ApplyError::NoIpvs(KernelError::NoIpvs(
                "the IPVS generic netlink family is missing (needed by `lvs_sync_daemon`)".into(),
            )));
        }
        observed.sync_daemons =
            running.map(|list| list.into_iter().map(|d| (d.state, d)).collect());
    }
    if desired.vrf_routes.is_empty() {
        Ok(diff(desired, &observed, journal, adopt))
    } else {
        let resolved = desired.with_vrf_tables(&observed.links)?;
        Ok(diff(&resolved, &observed, journal, adopt))
    }
}

/// Converges the kernel to `desired`, owning objects through the journal of `state`.
pub fn apply(
    kernel: &mut dyn Kernel,
    desired: &Desired,
    state: &StateDir,
    opts: ApplyOptions,
) -> Result<Report, ApplyError> {
    let before = state.load()?;
    let first = live_diff_scoped(kernel, desired, &before, opts.adopt, opts.skip_ipvs)?;
    if !first.conflicts.is_empty() {
        return Err(ApplyError::Conflicts(first.conflicts));
    }
    let mut report = Report {
        ops: Vec::new(),
        adopted: first.adopted.clone(),
        repairs: 0,
    };
    let mut done: Vec<Op> = Vec::new();
    let mut current = first;
    let mut journal = before.clone();
    let mut round = 0;
    loop {
        if current.ops.is_empty() {
            break;
        }
        if round > opts.verify_rounds {
            let (undone, stuck) = roll_back(kernel, &done);
            restore_journal(state, &before, &journal, &stuck)?;
            return Err(ApplyError::NotConverged {
                rounds: opts.verify_rounds,
                remaining: current.ops,
                undone,
                stuck,
            });
        }
        // Write ahead: everything that may exist after this round is owned.
        journal = journal.union(&current.journal);
        state.store(&journal)?;
        let results = kernel.apply(&current.ops);
        let failed = results.iter().position(Result::is_err);
        let failed_op = failed.map(|i| current.ops[i].clone());
        // The ops move into `done` (a large apply's ops are not held twice).
        done.reserve(results.iter().filter(|r| r.is_ok()).count());
        for (op, r) in std::mem::take(&mut current.ops).into_iter().zip(&results) {
            if r.is_ok() {
                done.push(op);
                if round > 0 {
                    report.repairs += 1;
                }
            }
        }
        if let (Some(i), Some(op)) = (failed, failed_op) {
            let error = match &results[i] {
                Err(e) => e.clone(),
                Ok(()) => KernelError::Io("unknown failure".into()),
            };
            let (undone, stuck) = roll_back(kernel, &done);
            restore_journal(state, &before, &journal, &stuck)?;
            return Err(ApplyError::OpFailed {
                op: Box::new(op),
                error,
                undone,
                stuck,
            });
        }
        round += 1;
        current = live_diff_scoped(kernel, desired, &current.journal, false, opts.skip_ipvs)?;
    }
    if current.journal != before {
        state.store(&current.journal)?;
    }
    report.ops = done;
    Ok(report)
}

/// Undoes `done` newest first, carrying on past failures. Returns how many ops were undone
/// (attempted) and the undo ops that failed.
fn roll_back(kernel: &mut dyn Kernel, done: &[Op]) -> (usize, Vec<Stuck>) {
    let undo: Vec<Op> = done.iter().rev().flat_map(Op::inverse).collect();
    let mut stuck = Vec::new();
    let mut rest: &[Op] = &undo;
    while !rest.is_empty() {
        let results = kernel.apply(rest);
        if results.is_empty() {
            break;
        }
        for (op, r) in rest.iter().zip(&results) {
            if let Err(error) = r {
                stuck.push(Stuck {
                    op: op.clone(),
                    error: error.clone(),
                });
            }
        }
        rest = &rest[results.len()..];
    }
    (done.len(), stuck)
}

/// After a rollback: the old journal, or, when some undo failed, the old journal plus
/// everything this apply may have created (kac still owns what it could not remove).
fn restore_journal(
    state: &StateDir,
    before: &Journal,
    written: &Journal,
    stuck: &[Stuck],
) -> Result<(), JournalError> {
    if stuck.is_empty() {
        state.store(before)
    } else {
        state.store(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::fake::FakeKernel;
    use crate::model::*;
    use std::net::{IpAddr, Ipv4Addr};
    use std::path::PathBuf;

    fn state() -> (StateDir, PathBuf) {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let d = std::env::temp_dir().join(format!(
            "kac-apply-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&d);
        (StateDir::lock(&d).expect("lock"), d)
    }

    fn addr(dev: &str, last: u8) -> Address {
        Address {
            key: AddressKey {
                dev: dev.into(),
                addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
                prefix_len: 24,
            },
            peer: None,
            broadcast: None,
            label: None,
            scope: 0,
            flags: 0,
            preferred_lft: None,
        }
    }

    fn desired(addrs: &[Address]) -> Desired {
        let mut d = Desired::default();
        for a in addrs {
            d.addresses.insert(a.key.clone(), a.clone());
        }
        d
    }

    #[test]
    fn applies_then_nothing_left() {
        let (st, dir) = state();
        let mut k = FakeKernel::with_links(&["eth0"]);
        let want = desired(&[addr("eth0", 5), addr("eth0", 6)]);
        let r = apply(&mut k, &want, &st, ApplyOptions::default()).expect("apply");
        assert_eq!(r.ops.len(), 2);
        assert_eq!(st.load().expect("journal").addresses.len(), 2);
        let again = apply(&mut k, &want, &st, ApplyOptions::default()).expect("again");
        assert!(again.ops.is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_live_diff_changes_nothing() {
        let (st, dir) = state();
        let mut k = FakeKernel::with_links(&["eth0"]);
        let want = desired(&[addr("eth0", 5)]);
        let d = live_diff(&mut k, &want, &st.load().expect("journal"), false).expect("diff");
        assert_eq!(d.ops.len(), 1);
        assert!(k.state.addresses.is_empty());
        assert!(k.log.is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_rejected_op_rolls_back_everything_done() {
        let (st, dir) = state();
        let mut k = FakeKernel::with_links(&["eth0"]);
        let old = addr("eth0", 1);
        // An owned address to be removed (after the additions), and five to add; the fourth
        // add is missing its interface (batch of four: the op after it in the batch still
        // ran).
        let before = desired(std::slice::from_ref(&old));
        apply(&mut k, &before, &st, ApplyOptions::default()).expect("setup");
        let state_before = k.state.clone();
        let want = desired(&[
            addr("eth0", 5),
            addr("eth0", 6),
            addr("eth0", 7),
            addr("eth9", 8),
            addr("eth0", 9),
        ]);
        let err = apply(&mut k, &want, &st, ApplyOptions::default()).expect_err("must fail");
        let text = err.to_string();
        assert!(
            text.starts_with(
                "`+ addr 10.0.0.8/24 dev eth9` failed: interface `eth9` does not exist"
            ),
            "{text}"
        );
        assert!(text.contains("rolled back"), "{text}");
        assert_eq!(k.state, state_before, "the host is as it was");
        assert_eq!(st.load().expect("journal").addresses.len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn verify_repairs_a_lost_op_and_gives_up_when_it_never_sticks() {
        let (st, dir) = state();
        let mut k = FakeKernel::with_links(&["eth0"]);
        k.lose_once = vec!["10.0.0.5".into()];
        let want = desired(&[addr("eth0", 5)]);
        let r = apply(&mut k, &want, &st, ApplyOptions::default()).expect("repaired");
        assert_eq!(r.repairs, 1);
        assert!(k.state.addresses.contains_key(&addr("eth0", 5).key));

        let mut k = FakeKernel::with_links(&["eth0"]);
        k.lose_once = vec!["10.0.0.6".into(); 10];
        let want = desired(&[addr("eth0", 6), addr("eth0", 7)]);
        let err = apply(&mut k, &want, &st, ApplyOptions::default()).expect_err("no convergence");
        assert!(matches!(err, ApplyError::NotConverged { .. }), "{err}");
        assert!(
            k.state.addresses.is_empty(),
            "rolled back: {:?}",
            k.state.addresses
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn conflicts_refuse_without_adopt() {
        let (st, dir) = state();
        let mut k = FakeKernel::with_links(&["eth0"]);
        let a = addr("eth0", 5);
        k.state.addresses.insert(a.key.clone(), a.clone());
        let want = desired(std::slice::from_ref(&a));
        let err = apply(&mut k, &want, &st, ApplyOptions::default()).expect_err("conflict");
        assert!(
            matches!(err, ApplyError::Conflicts(ref c) if c.len() == 1),
            "{err}"
        );
        let opts = ApplyOptions {
            adopt: true,
            ..Default::default()
        };
        let r = apply(&mut k, &want, &st, opts).expect("adopt");
        assert!(r.ops.is_empty());
        assert_eq!(r.adopted.len(), 1);
        assert!(st.load().expect("journal").addresses.contains(&a.key));
        let _ = std::fs::remove_dir_all(dir);
    }
}
