//! `interface_up_down_delays`: an interface going down (or up) is acted upon only after its
//! delay, and not at all if it is back in its former state before then (keepalived 2.2).
//! Pure: observations and time in, the state the VRRP engine acts upon out.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The debounced up/down state of interfaces.
#[derive(Clone, Debug, Default)]
pub struct Debounce {
    /// Interface → (down delay, up delay).
    delays: BTreeMap<String, (Duration, Duration)>,
    /// The state acted upon.
    acted: BTreeMap<String, bool>,
    /// A change waiting for its delay: the new state and when it is acted upon.
    pending: BTreeMap<String, (bool, Instant)>,
}

impl Debounce {
    /// Sets the delays (interface → down and up delay); interfaces not named have none.
    pub fn set_delays(&mut self, delays: BTreeMap<String, (Duration, Duration)>) {
        self.delays = delays;
    }

    /// The interface `name` is seen `up` (or down) at `now`. Returns the state to act upon
    /// when it changes now: the first observation and changes without a delay at once; a
    /// change with a delay waits ([`Debounce::due`]); a return to the state acted upon
    /// cancels a waiting change.
    pub fn observe(&mut self, name: &str, up: bool, now: Instant) -> Option<bool> {
        let Some(&acted) = self.acted.get(name) else {
            self.acted.insert(name.to_string(), up);
            return Some(up);
        };
        if acted == up {
            self.pending.remove(name);
            return None;
        }
        let (down, up_delay) = self.delays.get(name).copied().unwrap_or_default();
        let delay = if up { up_delay } else { down };
        if delay.is_zero() {
            self.pending.remove(name);
            self.acted.insert(name.to_string(), up);
            return Some(up);
        }
        if self.pending.get(name).is_none_or(|(to, _)| *to != up) {
            self.pending.insert(name.to_string(), (up, now + delay));
        }
        None
    }

    /// The state acted upon, if the interface was observed.
    pub fn acted(&self, name: &str) -> Option<bool> {
        self.acted.get(name).copied()
    }

    /// When the next waiting change is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.values().map(|(_, at)| *at).min()
    }

    /// The waiting changes due at `now`, now acted upon.
    pub fn due(&mut self, now: Instant) -> Vec<(String, bool)> {
        let due: Vec<(String, bool)> = self
            .pending
            .iter()
            .filter(|(_, (_, at))| *at <= now)
            .map(|(n, (up, _))| (n.clone(), *up))
            .collect();
        for (n, up) in &due {
            self.pending.remove(n);
            self.acted.insert(n.clone(), *up);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_wait_for_their_delay_and_a_bounce_is_ignored() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut d = Debounce::default();
        d.set_delays(
            [(
                "eth1".to_string(),
                (Duration::from_secs(2), Duration::from_secs(1)),
            )]
            .into(),
        );
        assert_eq!(d.observe("eth1", true, at(0)), Some(true), "first: at once");
        assert_eq!(d.observe("eth1", false, at(100)), None);
        assert_eq!(d.next_deadline(), Some(at(2100)));
        assert!(d.due(at(2099)).is_empty());
        assert_eq!(d.acted("eth1"), Some(true));
        // Seen down again meanwhile: the delay counts from the first time.
        assert_eq!(d.observe("eth1", false, at(1000)), None);
        assert_eq!(d.due(at(2100)), vec![("eth1".to_string(), false)]);
        assert_eq!(d.acted("eth1"), Some(false));
        // Up after 1 s; a bounce (down, then up again, within the delay) changes nothing.
        assert_eq!(d.observe("eth1", true, at(3000)), None);
        assert_eq!(d.observe("eth1", false, at(3500)), None);
        assert_eq!(d.next_deadline(), None);
        assert_eq!(d.observe("eth1", true, at(3600)), None);
        assert_eq!(d.due(at(4600)), vec![("eth1".to_string(), true)]);
        // Interfaces without delays change at once.
        assert_eq!(d.observe("eth0", true, at(0)), Some(true));
        assert_eq!(d.observe("eth0", false, at(1)), Some(false));
    }
}
