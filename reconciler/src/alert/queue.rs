//! A bounded delivery queue with retries: `push` never waits (a full queue drops the alert,
//! logs and counts it); one task delivers the queued alerts in order, retrying each a
//! bounded number of times with doubling backoff, then gives up and counts a failure.
//! [`Queue::shut_down`] gives the task a bounded time to deliver what is queued; what is left
//! then is dropped, logged and counted.

use std::future::Future;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

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

/// A running queue: its sender and its delivery task.
#[derive(Debug)]
pub struct Queue<T> {
    sender: QueueSender<T>,
    task: tokio::task::JoinHandle<()>,
    deadline: watch::Sender<Option<Instant>>,
}

impl<T> Queue<T> {
    /// Where alerts are pushed.
    pub fn sender(&self) -> &QueueSender<T> {
        &self.sender
    }

    /// Stops taking alerts and gives the task until `grace` from now to deliver what is
    /// queued (retries included); what is still queued then, and an alert being delivered,
    /// is dropped, logged and counted. Returns once the task has finished.
    pub async fn shut_down(self, grace: Duration) {
        let Queue {
            sender,
            task,
            deadline,
        } = self;
        let _ = deadline.send(Some(Instant::now() + grace));
        // The last sender gone, the task ends once the queue is empty.
        drop(sender);
        let _ = task.await;
    }
}

/// Waits until the deadline set by [`Queue::shut_down`], forever before it is set.
async fn until(deadline: &mut watch::Receiver<Option<Instant>>) {
    loop {
        let at = *deadline.borrow_and_update();
        match at {
            Some(at) => return tokio::time::sleep_until(at).await,
            None => {
                if deadline.changed().await.is_err() {
                    // The queue was dropped without a shut-down: never.
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

/// Delivers one alert with its retries, counting the outcome.
async fn deliver_one<T, F, Fut>(
    q: &Queued<T>,
    channel: Channel,
    policy: RetryPolicy,
    stats: &AlertStats,
    deliver: &F,
) where
    F: Fn(&T) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut backoff = policy.first_backoff;
    let mut attempt = 1;
    loop {
        match deliver(&q.item).await {
            Ok(()) => {
                tracing::info!(channel = channel.label(), alert = %q.what, "alert sent");
                stats.record(channel, q.kind, Outcome::Sent, q.what.clone());
                return;
            }
            Err(why) if attempt >= policy.attempts.max(1) => {
                tracing::warn!(channel = channel.label(), alert = %q.what, attempts = attempt, "alert not delivered: {why}");
                stats.record(
                    channel,
                    q.kind,
                    Outcome::Failed,
                    format!("{}: {why}", q.what),
                );
                return;
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

fn dropped_at_exit<T>(q: &Queued<T>, channel: Channel, stats: &AlertStats) {
    tracing::warn!(channel = channel.label(), alert = %q.what, "alert dropped: the daemon is stopping");
    stats.record(
        channel,
        q.kind,
        Outcome::Dropped,
        format!(
            "{}: dropped, the daemon stopped before it was delivered",
            q.what
        ),
    );
}

/// Starts the delivery task of a queue on the current tokio runtime; `deliver` makes one
/// attempt and says why it failed.
pub fn spawn_queue<T, F, Fut>(
    channel: Channel,
    policy: RetryPolicy,
    stats: AlertStats,
    deliver: F,
) -> Queue<T>
where
    T: Send + Sync + 'static,
    F: Fn(&T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let (tx, mut rx) = mpsc::channel::<Queued<T>>(policy.capacity.max(1));
    let (deadline, mut deadline_rx) = watch::channel(None);
    let task_stats = stats.clone();
    let task = tokio::spawn(async move {
        loop {
            let next = tokio::select! {
                q = rx.recv() => q,
                () = until(&mut deadline_rx) => None,
            };
            let Some(q) = next else {
                break;
            };
            let done = tokio::select! {
                () = deliver_one(&q, channel, policy, &task_stats, &deliver) => true,
                () = until(&mut deadline_rx) => false,
            };
            if !done {
                dropped_at_exit(&q, channel, &task_stats);
                break;
            }
        }
        // Past the deadline (or closed and empty): what is left is dropped and counted.
        rx.close();
        while let Some(q) = rx.recv().await {
            dropped_at_exit(&q, channel, &task_stats);
        }
    });
    Queue {
        sender: QueueSender { tx, channel, stats },
        task,
        deadline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::event::AlertKind;

    fn item(n: u32) -> Queued<u32> {
        Queued {
            kind: AlertKind::Vrrp,
            what: format!("alert {n}"),
            item: n,
        }
    }

    /// What is queued at shut-down is still delivered when it fits in the grace time.
    #[tokio::test]
    async fn shut_down_delivers_what_is_queued() {
        let stats = AlertStats::default();
        let delivered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let d = delivered.clone();
        let q = spawn_queue(
            Channel::Email,
            RetryPolicy::default(),
            stats.clone(),
            move |n: &u32| {
                let (d, n) = (d.clone(), *n);
                async move {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    d.lock().expect("lock").push(n);
                    Ok(())
                }
            },
        );
        for n in 0..3 {
            assert!(q.sender().push(item(n)));
        }
        let started = std::time::Instant::now();
        q.shut_down(Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(*delivered.lock().expect("lock"), [0, 1, 2]);
        let snap = stats.snapshot();
        assert_eq!(snap.total(Channel::Email, Outcome::Sent), 3);
        assert_eq!(snap.total(Channel::Email, Outcome::Dropped), 0);
    }

    /// A delivery that does not finish in the grace time is given up: it and what waits
    /// behind it are dropped and counted, and shut-down returns at the deadline.
    #[tokio::test]
    async fn shut_down_is_bounded_and_counts_what_is_left() {
        let stats = AlertStats::default();
        let q = spawn_queue(
            Channel::Trap,
            RetryPolicy::default(),
            stats.clone(),
            |_: &u32| std::future::pending::<Result<(), String>>(),
        );
        for n in 0..3 {
            assert!(q.sender().push(item(n)));
        }
        let started = std::time::Instant::now();
        q.shut_down(Duration::from_millis(200)).await;
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_secs(2),
            "{took:?}"
        );
        let snap = stats.snapshot();
        assert_eq!(snap.total(Channel::Trap, Outcome::Dropped), 3);
        assert_eq!(snap.total(Channel::Trap, Outcome::Sent), 0);
        assert!(snap.last_failure.is_some_and(|l| {
            l.what
                .contains("the daemon stopped before it was delivered")
        }));
    }
}
