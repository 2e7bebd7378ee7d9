//! A virtual server without `protocol`.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "virtual-server-without-protocol";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::front_end(NAME, LEVEL, DOC, matches);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `virtual_server IP PORT` blocks (and `virtual_server group` blocks whose group has
addresses) without a `protocol` line.

## Why is this bad
keepalived 2.2.7 does not default to TCP: it reports `Virtual server [IP]:none:PORT: no protocol
set - defaulting to UDP` (so `keepalived -t` fails) and then creates a **UDP** service. A web
service defined this way receives no TCP traffic at all, while the health checks (which connect
with TCP) keep succeeding. fwmark services have no protocol and are not reported.

## Example
```
virtual_server 192.0.2.10 80 {
    lb_algo rr
    lb_kind NAT
    real_server 198.51.100.1 80 {
    }
}
```

## Use instead
```
virtual_server 192.0.2.10 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.1 80 {
    }
}
```

## References
keepalived.conf(5), `protocol`; keepalived 2.2.7 `check/check_data.c:
validate_check_config()`; keepalived-oracle.md §6";

/// The front end's report of a missing protocol.
pub fn matches(d: &Diagnostic) -> bool {
    d.code == "kac::conf::missing-setting" && d.message.ends_with("no protocol set")
}
