//! A health checker whose retries outlast its `delay_loop`: failures are acted on late.

use std::fmt::Write as _;

use kac_schema::Diagnostic;
use kac_schema::config::{CheckerKind, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DELAY_LOOP, VirtualServer};

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "retries-exceed-delay-loop";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::virtual_server(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds health checkers whose retries after a failed check, `retry` × `delay_before_retry`, take
longer than their `delay_loop`. Each value is taken from the checker, else the real server, else
the virtual server; unset values take keepalived's defaults (`retry` 1, `delay_before_retry` 1
second, 3 seconds for `HTTP_GET` and `SSL_GET`, `delay_loop` 60 seconds, `connect_timeout` 5
seconds). Checkers that set neither `retry` nor `delay_before_retry` are left alone, and so are
DNS and MISC checks (their own retry defaults).

## Why is this bad
When a check fails, keepalived does not remove the real server at once: it checks again
`retry` times, `delay_before_retry` apart, and removes it only when all of these fail; the
regular checks every `delay_loop` resume after that. The configuration works, but a dead real
server keeps its share of new connections for up to `delay_loop` + (`retry` + 1) ×
`connect_timeout` + `retry` × `delay_before_retry`: when the retries alone outlast the
`delay_loop`, it is the retries, not the `delay_loop`, that decide how fast failures are acted
on, and a short `delay_loop` suggests a detection time the service does not have. If the slow
removal is intended (a flapping backend), say so with `# kac: allow(retries-exceed-delay-loop)`.

## Example
```
virtual_server 192.0.2.50 80 {
    delay_loop 6
    real_server 198.51.100.1 80 {
        TCP_CHECK {
            connect_timeout 3
            retry 3
            delay_before_retry 3
        }
    }
}
```
A dead real server stays in service for up to 6 + 4 × 3 + 3 × 3 = 27 seconds.

## Use instead
```
virtual_server 192.0.2.50 80 {
    delay_loop 6
    real_server 198.51.100.1 80 {
        TCP_CHECK {
            connect_timeout 3
            retry 2
            delay_before_retry 2
        }
    }
}
```

## References
keepalived.conf(5), `retry`, `delay_before_retry`, `delay_loop`; keepalived's checkers
(`check_tcp.c` and the others: a failure is retried after `delay_before_retry` while retries
are left, then the real server is set down and the next check is a `delay_loop` later)";

/// Reports checkers whose retries take longer than their delay loop.
pub fn check(_: &crate::Facts<'_>, vs: &VirtualServer, out: &mut Vec<Diagnostic>) {
    // The real servers of a virtual server mostly share their checker's timings: the message
    // of the last timings is copied, not formatted again (a configuration may have this
    // finding on every one of 200,000 checkers).
    let mut last: Option<(Timings, String)> = None;
    for rs in &vs.real_servers {
        for c in &rs.checkers {
            let default_dbr = match c.kind {
                CheckerKind::Http { .. } => 3_000_000,
                CheckerKind::Tcp | CheckerKind::Smtp { .. } => 1_000_000,
                // DNS and MISC checks have their own retry defaults: leave them alone.
                _ => continue,
            };
            let t = c.inherited_timing(rs, vs);
            let (retry, dbr) = (t.retry, t.delay_before_retry);
            if retry.is_none() && dbr.is_none() {
                continue;
            }
            let timings = Timings {
                retry: retry.unwrap_or(1),
                dbr: dbr.unwrap_or(default_dbr),
                delay_loop: t.delay_loop.unwrap_or(DEFAULT_DELAY_LOOP),
                connect_timeout: t.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            };
            if timings.retries() <= timings.delay_loop {
                continue;
            }
            let message = match &last {
                Some((same, m)) if *same == timings => m.clone(),
                _ => {
                    let m = timings.message();
                    last = Some((timings, m.clone()));
                    m
                }
            };
            out.push(
                Diagnostic::warning(NAME, message)
                    .with_primary(c.span, "retries outlast the delay loop")
                    .with_help(
                        "lower retry or delay_before_retry (their product at most delay_loop) to \
                     remove dead servers sooner, or suppress this finding if the slow removal \
                     is intended",
                    ),
            );
        }
    }
}

/// The timings of a checker that the finding's message names (defaults filled in).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Timings {
    retry: u32,
    dbr: u64,
    delay_loop: u64,
    connect_timeout: u64,
}

impl Timings {
    /// How long the retries after a failed check take.
    fn retries(self) -> u64 {
        u64::from(self.retry).saturating_mul(self.dbr)
    }

    /// The finding's message: the retries, the delay loop and the worst-case time a dead real
    /// server stays in service.
    fn message(self) -> String {
        let retries = self.retries();
        let worst = self
            .delay_loop
            .saturating_add(
                u64::from(self.retry)
                    .saturating_add(1)
                    .saturating_mul(self.connect_timeout),
            )
            .saturating_add(retries);
        let mut message = String::with_capacity(160);
        let _ = write!(
            message,
            "retry {} × delay_before_retry {} = {} is longer than delay_loop {}: \
             a dead real server stays in service up to {}",
            self.retry,
            crate::secs(self.dbr),
            crate::secs(retries),
            crate::secs(self.delay_loop),
            crate::secs(worst)
        );
        message
    }
}
