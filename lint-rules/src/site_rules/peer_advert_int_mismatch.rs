//! Peers with different `advert_int`.

use kac_schema::Diagnostic;
use kac_schema::config::{Micros, VrrpInstance};

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Error;
/// Rule name.
pub const NAME: &str = "peer-advert-int-mismatch";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) whose
`advert_int` (1 second when not set) differs from the first host's.

## Why is this bad
keepalived discards adverts whose interval differs from its own (VRRPv2), so the peers do
not hear each other and both become MASTER. Even where the adverts are accepted, each host
declares the master dead after its own three intervals, so failover timing is lopsided.

## Example
```
vrrp_instance VI_1 {
    @lb1 advert_int 1
    @lb2 advert_int 3
}
```

## Use instead
```
vrrp_instance VI_1 {
    advert_int 1
}
```

## References
keepalived.conf(5), `advert_int`; RFC 3768 §7.1";

const SECOND: Micros = 1_000_000;

fn advert(i: &VrrpInstance) -> Micros {
    i.advert_int.as_ref().map_or(SECOND, |a| a.value)
}

fn show(us: Micros) -> String {
    if us.is_multiple_of(SECOND) {
        format!("{} s", us / SECOND)
    } else {
        format!("{} ms", us as f64 / 1000.0)
    }
}

/// Reports every peer whose interval differs from the first peer's.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    super::each_differing_peer(
        hosts,
        out,
        (NAME, LEVEL),
        advert,
        |i, _| i.advert_int.as_ref().map_or(i.name.span, |a| a.span),
        |d| {
            let (name, first_host, host) = (d.name, d.first_host, d.host);
            (
                format!(
                    "({name}) advert_int {} on {first_host} but {} on {host}",
                    show(d.want),
                    show(d.have)
                ),
                "give the instance the same advert_int on every host",
            )
        },
    );
}
