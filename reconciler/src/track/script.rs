//! `vrrp_script`: run a script every `interval`, count successes and failures with `rise` and
//! `fall`, report up/down changes.
//!
//! keepalived's counting (keepalived 2.2 `vrrp/vrrp_scheduler.c`): the script starts in an
//! initial state where its first result decides at once (one success: up, one failure:
//! down), or, with `init_fail`, down. After that it takes `rise` consecutive successes to go
//! up and `fall` consecutive failures to go down; a result in the other direction restarts
//! the count. A run succeeds when the script exits 0; a non-zero exit, a signal and a timeout
//! (`timeout`, default the interval) are failures. A run never overlaps the next: the next
//! starts one interval after the previous one started, or at once if it ran longer.
//!
//! Difference: keepalived drops the reference to a script it cannot run (missing, not
//! executable, insecure under `enable_script_security`) and logs it; kac's tracker reports
//! such a script as down (and logs why), so the instance sees a failing check rather than
//! none. `kac check` reports these scripts before they are deployed.

use std::time::Duration;

use kac_schema::plan::PlanVrrpScript;
use tokio::sync::mpsc;

use super::{Change, Kind, TrackValue};
use crate::script::{Outcome, RunAs, Script};

/// keepalived's rise/fall counter of one script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiseFall {
    rise: u32,
    fall: u32,
    /// Position: 0..rise is down (counting successes up to `rise`), rise..rise+fall is up
    /// (counting failures down from `rise + fall - 1`).
    result: u32,
    /// No result yet (the first one decides at once).
    initial: bool,
}

impl RiseFall {
    /// A counter; `rise` and `fall` of 0 count as 1 (keepalived refuses 0).
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> RiseFall {
        let rise = rise.max(1);
        let fall = fall.max(1);
        RiseFall {
            rise,
            fall,
            result: if init_fail { 0 } else { rise - 1 },
            initial: !init_fail,
        }
    }

    /// The state: `Pending` before the first result (unless `init_fail`), else up or down.
    pub fn state(&self) -> TrackValue {
        if self.initial {
            TrackValue::Pending
        } else {
            TrackValue::Up(self.result >= self.rise)
        }
    }

    /// Counts one result; returns the new state when it changed.
    pub fn record(&mut self, success: bool) -> Option<TrackValue> {
        let before = self.state();
        let top = self.rise + self.fall - 1;
        if success {
            if self.result < self.rise - 1 {
                self.result += 1;
            } else {
                self.result = top;
            }
        } else if self.result > self.rise {
            self.result -= 1;
        } else {
            self.result = 0;
        }
        self.initial = false;
        let after = self.state();
        (after != before).then_some(after)
    }
}

/// A `vrrp_script` tracker.
#[derive(Clone, Debug)]
pub struct ScriptTracker {
    /// The `vrrp_script` name (the name of its [`Change`]s).
    pub name: String,
    /// The script, with its timeout.
    pub script: Script,
    /// Time between the starts of two runs.
    pub interval: Duration,
    /// `rise`.
    pub rise: u32,
    /// `fall`.
    pub fall: u32,
    /// `init_fail`.
    pub init_fail: bool,
}

impl ScriptTracker {
    /// The tracker of the plan's `vrrp_script` `name`, run as `run_as` (resolved from
    /// `def.user`), with the security rules when `script_security`.
    pub fn from_plan(
        name: &str,
        def: &PlanVrrpScript,
        run_as: RunAs,
        script_security: bool,
    ) -> ScriptTracker {
        let interval = Duration::from_secs(u64::from(def.interval_s.max(1)));
        let timeout = if def.timeout_s == 0 {
            interval
        } else {
            Duration::from_secs(u64::from(def.timeout_s))
        };
        ScriptTracker {
            name: name.to_string(),
            script: Script::new(def.script.clone(), run_as)
                .with_timeout(timeout)
                .with_security(script_security),
            interval,
            rise: def.rise,
            fall: def.fall,
            init_fail: def.init_fail,
        }
    }

    /// Runs the tracker until `tx` is closed (or the task is aborted): reports its initial
    /// state, then every change.
    pub async fn run(self, tx: mpsc::Sender<Change>) {
        let mut counter = RiseFall::new(self.rise, self.fall, self.init_fail);
        let send = |value| Change {
            kind: Kind::Script,
            name: self.name.clone(),
            value,
        };
        if tx.send(send(counter.state())).await.is_err() {
            return;
        }
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_outcome: Option<Outcome> = None;
        loop {
            ticks.tick().await;
            let run = self.script.run().await;
            if last_outcome.as_ref() != Some(&run.outcome) {
                log_outcome(&self.name, &run.outcome);
                last_outcome = Some(run.outcome.clone());
            }
            if let Some(value) = counter.record(run.outcome.success())
                && tx.send(send(value)).await.is_err()
            {
                return;
            }
            if tx.is_closed() {
                return;
            }
        }
    }

    /// Starts [`ScriptTracker::run`] on the current tokio runtime.
    pub fn spawn(self, tx: mpsc::Sender<Change>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(tx))
    }
}

fn log_outcome(name: &str, outcome: &Outcome) {
    match outcome {
        Outcome::Exited(code) => {
            tracing::info!(script = name, code, "vrrp_script now returns {code}")
        }
        Outcome::Signalled(sig) => {
            tracing::warn!(
                script = name,
                signal = sig,
                "vrrp_script killed by signal {sig}"
            );
        }
        Outcome::TimedOut => tracing::warn!(script = name, "vrrp_script timed out"),
        Outcome::Refused(r) => tracing::error!(script = name, "vrrp_script not run: {r}"),
        Outcome::SpawnFailed(e) => tracing::error!(script = name, "vrrp_script not run: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rf: &mut RiseFall, results: &str) -> Vec<TrackValue> {
        results
            .chars()
            .map(|c| {
                rf.record(c == '+');
                rf.state()
            })
            .collect()
    }

    fn states(s: &str) -> Vec<TrackValue> {
        s.chars()
            .map(|c| match c {
                'U' => TrackValue::Up(true),
                'D' => TrackValue::Up(false),
                _ => TrackValue::Pending,
            })
            .collect()
    }

    #[test]
    fn the_first_result_decides_at_once() {
        for (rise, fall) in [(1, 1), (3, 2), (5, 5)] {
            let mut rf = RiseFall::new(rise, fall, false);
            assert_eq!(rf.state(), TrackValue::Pending);
            assert_eq!(rf.record(true), Some(TrackValue::Up(true)));
            let mut rf = RiseFall::new(rise, fall, false);
            assert_eq!(rf.record(false), Some(TrackValue::Up(false)));
        }
    }

    #[test]
    fn init_fail_starts_down_and_needs_rise_successes() {
        let mut rf = RiseFall::new(3, 2, true);
        assert_eq!(rf.state(), TrackValue::Up(false));
        assert_eq!(run(&mut rf, "+++"), states("DDU"));
    }

    #[test]
    fn rise_and_fall_count_consecutive_results() {
        let mut rf = RiseFall::new(3, 2, false);
        // first success: up at once; two failures to go down; three successes to come back.
        assert_eq!(run(&mut rf, "+-+--"), states("UUUUD"));
        assert_eq!(run(&mut rf, "++-+++"), states("DDDDDU"));
        // a success in the middle of a fall restarts the fall count
        assert_eq!(run(&mut rf, "-+-"), states("UUU"));
        assert_eq!(run(&mut rf, "-"), states("D"));
    }

    #[test]
    fn rise_fall_one_follows_every_result() {
        let mut rf = RiseFall::new(1, 1, false);
        assert_eq!(run(&mut rf, "+-+-"), states("UDUD"));
    }

    #[test]
    fn record_reports_only_changes() {
        let mut rf = RiseFall::new(2, 2, true);
        assert_eq!(rf.record(true), None);
        assert_eq!(rf.record(true), Some(TrackValue::Up(true)));
        assert_eq!(rf.record(true), None);
        assert_eq!(rf.record(false), None);
        assert_eq!(rf.record(false), Some(TrackValue::Up(false)));
    }

    #[test]
    fn zero_rise_or_fall_counts_as_one() {
        let mut rf = RiseFall::new(0, 0, true);
        assert_eq!(run(&mut rf, "+-"), states("UD"));
    }

    proptest::proptest! {
        #[test]
        fn state_needs_rise_or_fall_identical_results(
            rise in 1u32..6, fall in 1u32..6, init_fail: bool,
            results in proptest::collection::vec(proptest::bool::ANY, 0..40),
        ) {
            // Model: the state changes exactly when the last `rise` (to up) or `fall`
            // (to down) results agree, the first result deciding alone.
            let mut rf = RiseFall::new(rise, fall, init_fail);
            let mut model: Option<bool> = if init_fail { Some(false) } else { None };
            for (i, &r) in results.iter().enumerate() {
                rf.record(r);
                let need = if r { rise } else { fall } as usize;
                let streak = results[..=i].iter().rev().take_while(|&&x| x == r).count();
                model = match model {
                    None => Some(r),
                    Some(s) if s != r && streak >= need => Some(r),
                    Some(s) => Some(s),
                };
                proptest::prop_assert_eq!(rf.state(), TrackValue::Up(model == Some(true)), "after {:?}", &results[..=i]);
            }
        }
    }
}
