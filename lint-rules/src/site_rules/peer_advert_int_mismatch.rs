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
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(String, Diagnostic)>) {
    for (name, peers) in super::peer_groups(hosts) {
        let Some(((first_host, first), rest)) = peers.split_first() else {
            continue;
        };
        let want = advert(first);
        for (host, i) in rest {
            let have = advert(i);
            if have == want {
                continue;
            }
            let span = i.advert_int.as_ref().map_or(i.name.span, |a| a.span);
            out.push((
                (*host).to_string(),
                Diagnostic::new(
                    NAME,
                    LEVEL,
                    format!(
                        "({name}) advert_int {} on {first_host} but {} on {host}",
                        show(want),
                        show(have)
                    ),
                )
                .with_primary(span, format!("differs from {first_host}"))
                .with_help("give the instance the same advert_int on every host"),
            ));
        }
    }
}
