//! An instance that lists its own source address among its unicast peers.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "unicast-peer-is-self";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `vrrp_instance` blocks whose `unicast_peer` list contains the instance's own
`unicast_src_ip`.

## Why is this bad
keepalived accepts it (`keepalived -t` says nothing) and sends every advertisement to itself as
well as to the real peers. It is the typical result of copying one host's configuration to its
peer and forgetting to swap the addresses, and then the peer that was meant is usually missing
from the list too, so the two hosts never hear each other and both become MASTER. With one
configuration shared by several hosts, write the per-host lines with `@id` prefixes.

## Example
```
vrrp_instance VI_1 {
    unicast_src_ip 192.0.2.1
    unicast_peer {
        192.0.2.1
    }
}
```

## Use instead
```
vrrp_instance VI_1 {
    unicast_src_ip 192.0.2.1
    unicast_peer {
        192.0.2.2
    }
}
```

## References
keepalived.conf(5), `unicast_src_ip`, `unicast_peer`";

/// Reports every unicast peer equal to the instance's source address.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    for i in &cx.config.vrrp_instances {
        let Some(src) = &i.unicast_src_ip else {
            continue;
        };
        for p in &i.unicast_peers {
            if p.addr.value == src.value {
                out.push(
                    Diagnostic::new(
                        NAME,
                        LEVEL,
                        format!(
                            "({}) unicast peer {} is this instance's own unicast_src_ip",
                            i.name.value, p.addr.value
                        ),
                    )
                    .with_primary(p.addr.span, "this host itself")
                    .with_secondary(src.span, "the instance's source address")
                    .with_help("list the other hosts' addresses, not this host's"),
                );
            }
        }
    }
}
