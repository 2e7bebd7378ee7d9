//! More than one peer with priority 255 (the address owner).

use kac_schema::Diagnostic;

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Error;
/// Rule name.
pub const NAME: &str = "multiple-owners";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) where more than
one host is the address owner: `priority 255`, or `state MASTER` without `priority` (which
keepalived turns into 255). Every owner after the first is reported.

## Why is this bad
VRRP allows one owner per virtual router. An owner never waits and never yields: two owners
both stay MASTER and answer for the virtual addresses at once.

## Example
```
vrrp_instance VI_1 {
    state MASTER
}
```
(on both hosts)

## Use instead
```
vrrp_instance VI_1 {
    @lb1 state MASTER
    @lb2 state BACKUP
    @lb1 priority 150
    @lb2 priority 100
}
```

## References
keepalived.conf(5), `priority`; RFC 5798 §5.2.4";

/// Reports every owner after the first.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    for (name, peers) in super::peer_groups(hosts) {
        let owners: Vec<_> = peers
            .iter()
            .filter(|(_, i)| super::effective_priority(i) == 255)
            .collect();
        let Some(((first, first_i), rest)) = owners.split_first() else {
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
                    format!(
                        "({name}) priority 255 (address owner) on both {first_host} and {host}"
                    ),
                )
                .with_primary(
                    super::priority_span(i),
                    format!("{first_host} is an owner too"),
                )
                .with_secondary(
                    super::priority_span(first_i),
                    format!("owner on {first_host}"),
                )
                .with_help("give one host at most priority 255; set `priority` below 255 here"),
            ));
        }
    }
}
