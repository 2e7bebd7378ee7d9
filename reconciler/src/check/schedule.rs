//! One check's counting and timing, as keepalived's checkers count (check_tcp.c's epilog is
//! the model every checker type follows):
//!
//! * an attempt that passes, or fails with no retry left, schedules the next attempt after
//!   `delay_loop` and resets the retry count;
//! * an attempt that fails with retries left (`retry`, keepalived's `nb_get_retry`) schedules
//!   the next attempt after `delay_before_retry` and changes nothing else;
//! * the check goes down on a failure with no retry left, and up on any pass;
//! * `alpha`: the check starts down (its real server is out until it passes once), else up;
//! * the first attempt runs after a random delay up to `warmup` (keepalived spreads start-up
//!   load this way).
//!
//! Pure: time is a parameter ([`Instant`]s the caller supplies), so tests use a fake clock.

use std::time::{Duration, Instant};

use kac_schema::plan::PlanChecker;

/// A check's timing, from the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timing {
    /// Between attempts once a result is settled.
    pub delay_loop: Duration,
    /// One attempt's bound.
    pub connect_timeout: Duration,
    /// Failed attempts retried before the check goes down.
    pub retry: u32,
    /// Between a failed attempt and its retry.
    pub delay_before_retry: Duration,
    /// The first attempt runs after a random delay up to this.
    pub warmup: Duration,
}

impl Timing {
    /// The timing of a plan checker.
    pub fn of(c: &PlanChecker) -> Timing {
        Timing {
            delay_loop: Duration::from_micros(c.delay_loop_us),
            connect_timeout: Duration::from_micros(c.connect_timeout_us),
            retry: c.retry,
            delay_before_retry: Duration::from_micros(c.delay_before_retry_us),
            warmup: Duration::from_micros(c.warmup_us),
        }
    }
}

/// What an attempt found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Passed; `Some(w)`: the check sets the real server's weight (MISC_CHECK `misc_dynamic`).
    Pass(Option<u32>),
    /// Failed, with the reason.
    Fail(String),
}

/// What an attempt changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// The check went up (`Some(true)`) or down (`Some(false)`).
    pub went: Option<bool>,
    /// The weight the check sets changed (while up).
    pub weight_changed: bool,
}

impl Change {
    /// Whether anything health depends on changed.
    pub fn any(&self) -> bool {
        self.went.is_some() || self.weight_changed
    }
}

/// One check's state: up or down, its retry count and when it runs next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counter {
    /// Whether the check passes (as counted).
    pub up: bool,
    /// The weight the last passing attempt set, if the check sets one.
    pub weight: Option<u32>,
    /// Failed attempts since the last settled result (the retry count).
    pub retry_it: u32,
    /// Failed attempts in a row.
    pub consecutive_failures: u32,
    /// Failed attempts in all.
    pub failures: u64,
    /// When the next attempt is due.
    pub next_at: Instant,
}

impl Counter {
    /// A check that has not run: down with `alpha`, else up; first attempt at `now` plus
    /// `jitter` (a fraction in [0, 1]) of the warmup.
    pub fn new(alpha: bool, timing: &Timing, now: Instant, jitter: f64) -> Counter {
        let jitter = jitter.clamp(0.0, 1.0);
        Counter {
            up: !alpha,
            weight: None,
            retry_it: 0,
            consecutive_failures: 0,
            failures: 0,
            next_at: now + timing.warmup.mul_f64(jitter),
        }
    }

    /// Counts an attempt that ended at `now` and schedules the next one.
    pub fn record(&mut self, attempt: &Attempt, timing: &Timing, now: Instant) -> Change {
        let mut change = Change::default();
        match attempt {
            Attempt::Pass(weight) => {
                self.retry_it = 0;
                self.consecutive_failures = 0;
                self.next_at = now + timing.delay_loop;
                if !self.up {
                    self.up = true;
                    change.went = Some(true);
                }
                if self.weight != *weight {
                    self.weight = *weight;
                    change.weight_changed = change.went.is_none();
                }
            }
            Attempt::Fail(_) => {
                self.failures += 1;
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                if self.retry_it >= timing.retry {
                    self.retry_it = 0;
                    self.next_at = now + timing.delay_loop;
                    if self.up {
                        self.up = false;
                        change.went = Some(false);
                    }
                } else {
                    self.retry_it += 1;
                    self.next_at = now + timing.delay_before_retry;
                }
            }
        }
        change
    }

    /// Skips an attempt (the check is suspended, `ha_suspend`): nothing changes, the next
    /// look is a `delay_loop` later.
    pub fn skip(&mut self, timing: &Timing, now: Instant) {
        self.next_at = now + timing.delay_loop;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(retry: u32) -> Timing {
        Timing {
            delay_loop: Duration::from_secs(6),
            connect_timeout: Duration::from_secs(3),
            retry,
            delay_before_retry: Duration::from_secs(1),
            warmup: Duration::from_secs(4),
        }
    }

    fn fail() -> Attempt {
        Attempt::Fail("refused".into())
    }

    #[test]
    fn a_check_goes_down_only_after_its_retries_fail() {
        let t0 = Instant::now();
        let t = timing(2);
        let mut c = Counter::new(false, &t, t0, 0.0);
        assert!(c.up);
        assert_eq!(c.next_at, t0);
        // Two retries, each after delay_before_retry, change nothing.
        assert_eq!(c.record(&fail(), &t, t0), Change::default());
        assert_eq!(c.next_at, t0 + Duration::from_secs(1));
        assert_eq!(
            c.record(&fail(), &t, t0 + Duration::from_secs(1)),
            Change::default()
        );
        assert!(c.up);
        // The third failure in a row has no retry left: down, next after delay_loop.
        let now = t0 + Duration::from_secs(2);
        let ch = c.record(&fail(), &t, now);
        assert_eq!(ch.went, Some(false));
        assert!(!c.up);
        assert_eq!(c.next_at, now + Duration::from_secs(6));
        assert_eq!((c.consecutive_failures, c.failures, c.retry_it), (3, 3, 0));
        // Down stays down without retries in between: the next failure is settled at once.
        let ch = c.record(&fail(), &t, c.next_at);
        assert_eq!(ch, Change::default());
        assert_eq!(c.retry_it, 1, "a down check still counts its retries");
    }

    #[test]
    fn one_pass_brings_a_check_up_and_resets_the_retries() {
        let t0 = Instant::now();
        let t = timing(1);
        let mut c = Counter::new(false, &t, t0, 0.0);
        c.record(&fail(), &t, t0);
        assert_eq!(c.retry_it, 1);
        assert_eq!(c.record(&Attempt::Pass(None), &t, t0), Change::default());
        assert_eq!(c.retry_it, 0);
        c.record(&fail(), &t, t0);
        assert_eq!(c.record(&fail(), &t, t0).went, Some(false));
        let ch = c.record(&Attempt::Pass(None), &t, t0);
        assert_eq!(ch.went, Some(true));
        assert_eq!(c.consecutive_failures, 0);
    }

    #[test]
    fn retry_zero_fails_on_the_first_failure() {
        let t0 = Instant::now();
        let t = timing(0);
        let mut c = Counter::new(false, &t, t0, 0.0);
        assert_eq!(c.record(&fail(), &t, t0).went, Some(false));
    }

    #[test]
    fn alpha_starts_down_and_warmup_spreads_the_first_attempt() {
        let t0 = Instant::now();
        let t = timing(1);
        let c = Counter::new(true, &t, t0, 0.5);
        assert!(!c.up);
        assert_eq!(c.next_at, t0 + Duration::from_secs(2));
        let mut c = c;
        assert_eq!(c.record(&Attempt::Pass(None), &t, t0).went, Some(true));
    }

    #[test]
    fn a_dynamic_weight_change_is_a_change() {
        let t0 = Instant::now();
        let t = timing(1);
        let mut c = Counter::new(false, &t, t0, 0.0);
        let ch = c.record(&Attempt::Pass(Some(5)), &t, t0);
        assert!(ch.weight_changed && ch.went.is_none());
        assert!(!c.record(&Attempt::Pass(Some(5)), &t, t0).any());
        assert!(c.record(&Attempt::Pass(Some(7)), &t, t0).weight_changed);
    }

    #[test]
    fn a_suspended_check_keeps_its_state() {
        let t0 = Instant::now();
        let t = timing(1);
        let mut c = Counter::new(true, &t, t0, 0.0);
        c.skip(&t, t0);
        assert!(!c.up);
        assert_eq!(c.next_at, t0 + Duration::from_secs(6));
    }
}
