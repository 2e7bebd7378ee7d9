//! A virtual server all of whose real servers have weight 0.

use kac_schema::Diagnostic;
use kac_schema::config::VirtualServer;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "all-real-servers-weight-zero";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::virtual_server(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds virtual servers whose real servers all have weight 0 (their own `weight`, else the
virtual server's `weight`, else 1).

## Why is this bad
IPVS never schedules new connections to a real server of weight 0. With every real server at
weight 0 the service accepts connections and sends them nowhere, although every health check
passes.

## Example
```
virtual_server 192.0.2.50 80 {
    real_server 198.51.100.1 80 {
        weight 0
    }
    real_server 198.51.100.2 80 {
        weight 0
    }
}
```

## Use instead
```
virtual_server 192.0.2.50 80 {
    real_server 198.51.100.1 80 {
        weight 1
    }
    real_server 198.51.100.2 80 {
        weight 0
    }
}
```

## References
keepalived.conf(5), `real_server`, `weight`";

/// Reports virtual servers whose real servers all have weight 0.
pub fn check(_: &crate::Facts<'_>, vs: &VirtualServer, out: &mut Vec<Diagnostic>) {
    if vs.real_servers.is_empty() {
        return;
    }
    let weight = |w: Option<u32>| w.or(vs.weight).unwrap_or(1);
    if vs.real_servers.iter().all(|rs| weight(rs.weight) == 0) {
        out.push(
            Diagnostic::warning(NAME, "every real server of this service has weight 0")
                .with_primary(vs.address.span, "receives connections it cannot schedule")
                .with_help("give at least one real server a weight of 1 or more"),
        );
    }
}
