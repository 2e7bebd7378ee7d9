//! More than one peer sharing the highest priority.

use kac_schema::Diagnostic;

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "top-priority-tie";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) where more
than one host has the highest priority (`priority`, else 255 for `state MASTER`, else 100).
Every tied host after the first is reported; a tie at 255 is left to `multiple-owners`.

## Why is this bad
With equal priorities the election is decided by the hosts' primary IP addresses, not by the
configuration: which host is MASTER is an accident of addressing, and tracking weights that
should move the addresses may only produce another tie.

## Example
```
vrrp_instance VI_1 {
    priority 100
}
```
(on both hosts)

## Use instead
```
vrrp_instance VI_1 {
    @lb1 priority 150
    @lb2 priority 100
}
```

## References
keepalived.conf(5), `priority`; RFC 5798 §6.4.3";

/// Reports every host tied at the top after the first.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    for (name, peers) in super::peer_groups(hosts) {
        let Some(top) = peers
            .iter()
            .map(|(_, i)| super::effective_priority(i))
            .max()
        else {
            continue;
        };
        if top == 255 {
            continue;
        }
        let tied: Vec<_> = peers
            .iter()
            .filter(|(_, i)| super::effective_priority(i) == top)
            .collect();
        let Some(((first, first_i), rest)) = tied.split_first() else {
            continue;
        };
        let first_host = hosts[*first].host;
        for (h, i) in rest {
            let host = hosts[*h].host;
            out.push((
                *h,
                Diagnostic::new(
                    NAME,
                    LEVEL,
                    format!("({name}) highest priority {top} on both {first_host} and {host}"),
                )
                .with_primary(
                    super::priority_span(i),
                    format!("same priority as {first_host}"),
                )
                .with_secondary(
                    super::priority_span(first_i),
                    format!("priority on {first_host}"),
                )
                .with_help("give the host that should be MASTER a strictly higher priority"),
            ));
        }
    }
}
