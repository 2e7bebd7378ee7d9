//! A `real_server` with `weight 0`.

use kac_schema::Diagnostic;
use kac_schema::config::VirtualServer;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "real-server-weight-zero";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::virtual_server(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `real_server` blocks with `weight 0`.

## Why is this bad
IPVS never schedules new connections to a real server of weight 0: it is checked and shown as
up, but gets no traffic. That is right while draining a server, and a mistake when left in the
configuration.

## Example
```
real_server 198.51.100.1 80 {
    weight 0
}
```

## Use instead
```
real_server 198.51.100.1 80 {
    weight 1
}
```
or remove the real server.

## References
keepalived.conf(5), `real_server`, `weight`";

/// Reports every real server of weight 0.
pub fn check(_: &crate::Facts<'_>, vs: &VirtualServer, out: &mut Vec<Diagnostic>) {
    for rs in &vs.real_servers {
        if rs.weight == Some(0) {
            out.push(
                Diagnostic::warning(NAME, format!("real server {} has weight 0", rs.addr))
                    .with_primary(rs.span, "never receives new connections")
                    .with_help("set a weight of 1 or more, or remove the real server"),
            );
        }
    }
}
