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

/// Reports every peer whose `nopreempt` differs from the first peer's.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(String, Diagnostic)>) {
    for (name, peers) in super::peer_groups(hosts) {
        let Some(((first_host, first), rest)) = peers.split_first() else {
            continue;
        };
        let want = nopreempt(first);
        let word = |b: bool| if b { "nopreempt" } else { "preempt" };
        for (host, i) in rest {
            let have = nopreempt(i);
            if have == want {
                continue;
            }
            let span = i.nopreempt.as_ref().map_or(i.name.span, |n| n.span);
            out.push((
                (*host).to_string(),
                Diagnostic::new(
                    NAME,
                    LEVEL,
                    format!(
                        "({name}) {} on {first_host} but {} on {host}",
                        word(want),
                        word(have)
                    ),
                )
                .with_primary(span, format!("differs from {first_host}"))
                .with_help("set nopreempt on every host of the instance, or on none"),
            ));
        }
    }
}
