//! `preempt_delay` on some peers only, or with different values.

use kac_schema::Diagnostic;
use kac_schema::config::{Micros, VrrpInstance};

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "peer-preempt-delay-mismatch";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) whose
`preempt_delay` differs: set on some hosts only, or to different values.

## Why is this bad
`preempt_delay` delays preemption (at startup, or on seeing a lower-priority MASTER) by the
given time, so that a recovered higher-priority host can settle (routes, ARP, its services)
before it takes the addresses back. Set on some peers only, whether a recovery moves the
addresses at once or after the delay depends on which host recovered, which is what the
setting was meant to avoid. keepalived only ever sees one host, so `keepalived -t` cannot
notice.

## Example
```
vrrp_instance VI_1 {
    @lb1 preempt_delay 30
}
```

## Use instead
```
vrrp_instance VI_1 {
    preempt_delay 30
}
```

## References
keepalived.conf(5), `preempt_delay`";

fn delay(i: &VrrpInstance) -> Option<Micros> {
    i.preempt_delay.as_ref().map(|d| d.value)
}

fn show(d: Option<Micros>) -> String {
    d.map_or_else(
        || "no preempt_delay".into(),
        |d| format!("preempt_delay {}", crate::secs(d)),
    )
}

/// Reports every peer whose preempt_delay differs from the first peer's.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    let span = |i: &VrrpInstance, _: &Option<Micros>| {
        i.preempt_delay.as_ref().map_or(i.name.span, |d| d.span)
    };
    super::each_differing_peer(hosts, out, (NAME, LEVEL), delay, span, |d| {
        (
            format!(
                "({}) {} on {} but {} on {}",
                d.name,
                show(d.want),
                d.first_host,
                show(d.have),
                d.host
            ),
            "set the same preempt_delay on every host of the instance, or on none",
        )
    });
}
