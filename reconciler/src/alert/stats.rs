//! What the alert channels did: counters by channel, kind and outcome, and the last alert
//! sent and the last failure, for `kac status` and the metrics. Shared between the channels'
//! tasks behind a mutex held only to count.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::event::AlertKind;

/// An alert channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// E-mail over SMTP.
    Email,
    /// SNMP trap.
    Trap,
    /// Notify FIFO.
    Fifo,
}

impl Channel {
    /// The metrics label (`email`, `trap`, `fifo`).
    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Trap => "trap",
            Channel::Fifo => "fifo",
        }
    }
}

/// What became of one alert on one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Delivered.
    Sent,
    /// Given up on after its retries.
    Failed,
    /// Not queued: the queue was full.
    Dropped,
}

impl Outcome {
    /// The metrics label (`sent`, `failed`, `dropped`).
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
            Outcome::Dropped => "dropped",
        }
    }
}

/// The last alert sent or the last failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastAlert {
    /// When.
    pub at: SystemTime,
    /// The channel.
    pub channel: Channel,
    /// What (the mail's subject, the trap's name, the FIFO line) and, for a failure, why.
    pub what: String,
}

/// A snapshot of the counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertStatsSnapshot {
    /// Alerts by (channel, kind, outcome).
    pub counts: BTreeMap<(Channel, AlertKind, Outcome), u64>,
    /// The last alert delivered.
    pub last_sent: Option<LastAlert>,
    /// The last failure or drop.
    pub last_failure: Option<LastAlert>,
    /// The last alert delivered, by channel.
    pub last_sent_by: BTreeMap<Channel, LastAlert>,
    /// The last failure or drop, by channel.
    pub last_failure_by: BTreeMap<Channel, LastAlert>,
}

impl AlertStatsSnapshot {
    /// The count of `outcome` on `channel`, all kinds together.
    pub fn total(&self, channel: Channel, outcome: Outcome) -> u64 {
        self.counts
            .iter()
            .filter(|((c, _, o), _)| *c == channel && *o == outcome)
            .map(|(_, n)| n)
            .sum()
    }
}

/// The shared counters.
#[derive(Clone, Debug, Default)]
pub struct AlertStats {
    inner: Arc<Mutex<AlertStatsSnapshot>>,
}

impl AlertStats {
    /// Counts one alert; `what` describes it (and, on failure, the error).
    pub fn record(&self, channel: Channel, kind: AlertKind, outcome: Outcome, what: String) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *s.counts.entry((channel, kind, outcome)).or_default() += 1;
        let last = LastAlert {
            at: SystemTime::now(),
            channel,
            what,
        };
        match outcome {
            Outcome::Sent => {
                s.last_sent_by.insert(channel, last.clone());
                s.last_sent = Some(last);
            }
            Outcome::Failed | Outcome::Dropped => {
                s.last_failure_by.insert(channel, last.clone());
                s.last_failure = Some(last);
            }
        }
    }

    /// A copy of the counters now.
    pub fn snapshot(&self) -> AlertStatsSnapshot {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
