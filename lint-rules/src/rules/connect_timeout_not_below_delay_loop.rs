//! A health checker whose `connect_timeout` is not below its `delay_loop`.

use kac_schema::Diagnostic;
use kac_schema::config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_DELAY_LOOP, VirtualServer};

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "connect-timeout-not-below-delay-loop";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::virtual_server(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds health checkers whose effective `connect_timeout` is at least their effective
`delay_loop`. Each value is taken from the checker, else the real server, else the virtual
server; `connect_timeout` defaults to 5 seconds and `delay_loop` to 60 seconds.

## Why is this bad
A check that may wait as long as the interval between checks cannot finish before the next one
is due: checks run late and a dead real server is noticed later than `delay_loop` suggests. A
short `delay_loop` without a `connect_timeout` is the usual cause, since the 5 second default
then exceeds it.

## Example
```
virtual_server 192.0.2.50 80 {
    delay_loop 3
    real_server 198.51.100.1 80 {
        TCP_CHECK {
        }
    }
}
```

## Use instead
```
virtual_server 192.0.2.50 80 {
    delay_loop 3
    real_server 198.51.100.1 80 {
        TCP_CHECK {
            connect_timeout 2
        }
    }
}
```

## References
keepalived.conf(5), `delay_loop`, `connect_timeout`";

/// Reports checkers whose connect timeout is not below their delay loop.
pub fn check(_: &crate::Facts<'_>, vs: &VirtualServer, out: &mut Vec<Diagnostic>) {
    for rs in &vs.real_servers {
        for c in &rs.checkers {
            let t = c.inherited_timing(rs, vs);
            let delay_loop = t.delay_loop.unwrap_or(DEFAULT_DELAY_LOOP);
            let connect_timeout = t.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
            if connect_timeout >= delay_loop {
                out.push(
                    Diagnostic::warning(
                        NAME,
                        format!(
                            "connect_timeout {} is not below delay_loop {}",
                            crate::secs(connect_timeout),
                            crate::secs(delay_loop)
                        ),
                    )
                    .with_primary(c.span, "checks can overrun their interval")
                    .with_help("set a connect_timeout below delay_loop (or raise delay_loop)"),
                );
            }
        }
    }
}
