//! A bounded delivery queue with retries: `push` never waits (a full queue drops the alert,
//! logs and counts it); one task delivers the queued alerts in order, retrying each a
//! bounded number of times with doubling backoff, then gives up and counts a failure.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;

use super::event::AlertKind;
use super::stats::{AlertStats, Channel, Outcome};

/// How often and how patiently delivery is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per alert (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each next one.
    pub first_backoff: Duration,
    /// Alerts waiting at most (beyond them, new alerts are dropped).
    pub capacity: usize,
}

impl Default for RetryPolicy {
    /// 3 attempts, 2 s then 4 s apart, 64 alerts queued.
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_secs(2),
            capacity: 64,
        }
    }
}

/// One queued alert: its kind (for counting) and a description (for logs and status).
#[derive(Clone, Debug)]
pub struct Queued<T> {
    /// The kind.
    pub kind: AlertKind,
    /// What it is (the mail's subject, the trap's name).
    pub what: String,
    /// The payload the delivery function gets.
    pub item: T,
}

/// The sending end of a queue.
#[derive(Clone, Debug)]
pub struct QueueSender<T> {
    tx: mpsc::Sender<Queued<T>>,
    channel: Channel,
    stats: AlertStats,
}

impl<T> QueueSender<T> {
    /// Queues `q` without waiting; returns whether it was queued (a full or closed queue
    /// drops it, logged and counted).
    pub fn push(&self, q: Queued<T>) -> bool {
        match self.tx.try_send(q) {
            Ok(()) => true,
            Err(e) => {
                let q = match e {
                    mpsc::error::TrySendError::Full(q) | mpsc::error::TrySendError::Closed(q) => q,
                };
                tracing::warn!(channel = self.channel.label(), alert = %q.what, "alert dropped: the queue is full");
                self.stats.record(
                    self.channel,
                    q.kind,
                    Outcome::Dropped,
                    format!("{}: dropped, the queue is full", q.what),
                );
                false
            }
        }
    }
}

/// Starts the delivery task of a queue on the current tokio runtime; `deliver` makes one
/// attempt and says why it failed.
pub fn spawn_queue<T, F, Fut>(
    channel: Channel,
    policy: RetryPolicy,
    stats: AlertStats,
    deliver: F,
) -> QueueSender<T>
where
    T: Send + 'static,
    F: Fn(&T) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let (tx, mut rx) = mpsc::channel::<Queued<T>>(policy.capacity.max(1));
    let task_stats = stats.clone();
    tokio::spawn(async move {
        while let Some(q) = rx.recv().await {
            let mut backoff = policy.first_backoff;
            let mut attempt = 1;
            loop {
                match deliver(&q.item).await {
                    Ok(()) => {
                        tracing::info!(channel = channel.label(), alert = %q.what, "alert sent");
                        task_stats.record(channel, q.kind, Outcome::Sent, q.what.clone());
                        break;
                    }
                    Err(why) if attempt >= policy.attempts.max(1) => {
                        tracing::warn!(channel = channel.label(), alert = %q.what, attempts = attempt, "alert not delivered: {why}");
                        task_stats.record(
                            channel,
                            q.kind,
                            Outcome::Failed,
                            format!("{}: {why}", q.what),
                        );
                        break;
                    }
                    Err(why) => {
                        tracing::debug!(channel = channel.label(), alert = %q.what, attempt, "alert delivery failed, retrying: {why}");
                        tokio::time::sleep(backoff).await;
                        backoff *= 2;
                        attempt += 1;
                    }
                }
            }
        }
    });
    QueueSender { tx, channel, stats }
}
