//! `nopreempt` on some peers only.

use kac_schema::Diagnostic;
use kac_schema::config::VrrpInstance;

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "peer-nopreempt-mismatch";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) where some
hosts set `nopreempt` and others do not (`preempt` or nothing).

## Why is this bad
`nopreempt` is meant to keep a recovered higher-priority host from taking the addresses
back. It only works when every peer has it: a host without it preempts as usual, so whether
a recovery moves the addresses (and breaks connections again) depends on which host failed.

## Example
```
vrrp_instance VI_1 {
    state BACKUP
    @lb1 nopreempt
}
```

## Use instead
```
vrrp_instance VI_1 {
    state BACKUP
    nopreempt
}
```

## References
keepalived.conf(5), `nopreempt`";

fn nopreempt(i: &VrrpInstance) -> bool {
    i.nopreempt.as_ref().is_some_and(|n| n.value)
}

/// Reports every peer whose preemption differs from the first peer's.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    let word = |b: bool| if b { "nopreempt" } else { "preempt" };
    super::each_differing_peer(
        hosts,
        out,
        (NAME, LEVEL),
        nopreempt,
        |i, _| i.nopreempt.as_ref().map_or(i.name.span, |n| n.span),
        |d| {
            let (name, first_host, host) = (d.name, d.first_host, d.host);
            (
                format!(
                    "({name}) {} on {first_host} but {} on {host}",
                    word(d.want),
                    word(d.have)
                ),
                "set nopreempt on every host of the instance, or on none",
            )
        },
    );
}
