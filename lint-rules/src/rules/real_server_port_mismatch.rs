//! A DR or TUN real server whose port differs from the virtual server's.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "real-server-port-mismatch";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::front_end(NAME, LEVEL, DOC, matches);

/// Documentation.
pub const DOC: &str = "## What it does
Finds real servers forwarded with `DR` or `TUN` (the virtual server's `lb_kind`, or the real
server's own `lvs_method`) whose port differs from the virtual server's port.

## Why is this bad
Direct routing and tunnelling forward the packet unchanged: the real server receives it on the
virtual server's port, and only NAT can translate the port. keepalived 2.2.7 reports it
(`virtual server [VS] and real server [RS] ports don't match - resetting`, so `keepalived -t`
fails) and uses the virtual server's port, so the health checks probe a port other than the one
written (unless they set `connect_port`).

## Example
```
virtual_server 192.0.2.10 80 {
    lb_kind DR
    real_server 198.51.100.1 8080 {
    }
}
```

## Use instead
```
virtual_server 192.0.2.10 80 {
    lb_kind DR
    real_server 198.51.100.1 80 {
    }
}
```

## References
keepalived.conf(5), `lb_kind`; ipvsadm(8), `--gatewaying`, `--ipip`; keepalived 2.2.7
`check/check_data.c: validate_check_config()`";

/// The front end's report of a DR/TUN port mismatch.
pub fn matches(d: &Diagnostic) -> bool {
    super::front_end::is(d, "kac::conf::conflict", "port differs with")
}
