//! A health checker whose retries take at least its `delay_loop`.

use kac_schema::Diagnostic;
use kac_schema::config::{CheckerKind, DEFAULT_DELAY_LOOP, VirtualServer};

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "retries-exceed-delay-loop";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::virtual_server(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds health checkers that set `retry` or `delay_before_retry` (on the checker, the real server
or the virtual server) so that `retry` × `delay_before_retry` is at least the effective
`delay_loop`. Unset values take keepalived's defaults: `retry` 1, `delay_before_retry` 1 second
(3 seconds for `HTTP_GET` and `SSL_GET`), `delay_loop` 60 seconds.

## Why is this bad
keepalived retries a failed check before it declares the real server down. When the retries
alone take a whole `delay_loop` or more, a dead server keeps receiving traffic for longer than
the check interval suggests, and a tighter `delay_loop` buys nothing.

## Example
```
virtual_server 192.0.2.50 80 {
    delay_loop 6
    real_server 198.51.100.1 80 {
        TCP_CHECK {
            retry 3
            delay_before_retry 3
        }
    }
}
```

## Use instead
```
virtual_server 192.0.2.50 80 {
    delay_loop 6
    real_server 198.51.100.1 80 {
        TCP_CHECK {
            retry 2
            delay_before_retry 2
        }
    }
}
```

## References
keepalived.conf(5), `retry`, `delay_before_retry`, `delay_loop`";

/// Reports checkers whose explicit retries take at least their delay loop.
pub fn check(_: &crate::Facts<'_>, vs: &VirtualServer, out: &mut Vec<Diagnostic>) {
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
            let retry = retry.unwrap_or(1);
            let dbr = dbr.unwrap_or(default_dbr);
            let delay_loop = t.delay_loop.unwrap_or(DEFAULT_DELAY_LOOP);
            let total = u64::from(retry).saturating_mul(dbr);
            if retry > 0 && total >= delay_loop {
                out.push(
                    Diagnostic::warning(
                        NAME,
                        format!(
                            "retry {retry} × delay_before_retry {} = {} is not below \
                             delay_loop {}",
                            crate::secs(dbr),
                            crate::secs(total),
                            crate::secs(delay_loop)
                        ),
                    )
                    .with_primary(c.span, "failures are noticed after more than a delay_loop")
                    .with_help(
                        "lower retry or delay_before_retry so their product is below delay_loop",
                    ),
                );
            }
        }
    }
}
