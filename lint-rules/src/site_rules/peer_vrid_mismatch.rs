//! Peers (same instance name on different hosts) with different `virtual_router_id`.

use kac_schema::Diagnostic;
use kac_schema::config::VrrpInstance;

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Error;
/// Rule name.
pub const NAME: &str = "peer-vrid-mismatch";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) whose
`virtual_router_id` differs from the first host's.

## Why is this bad
The VRID identifies the virtual router on the wire: a host ignores adverts for other VRIDs,
so the peers never hear each other. Each one believes it is alone, becomes MASTER and claims
the virtual addresses: both hosts answer for the VIPs at once. keepalived checks one host at
a time and cannot notice.

## Example
```
vrrp_instance VI_1 {
    @lb1 virtual_router_id 51
    @lb2 virtual_router_id 52
}
```

## Use instead
```
vrrp_instance VI_1 {
    virtual_router_id 51
}
```

## References
keepalived.conf(5), `virtual_router_id`; RFC 5798 §5.2.3";

fn show(v: Option<u8>) -> String {
    v.map_or_else(|| "unset".into(), |v| v.to_string())
}

/// Reports every peer whose VRID differs from the first peer's.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    let vrid = |i: &VrrpInstance| i.vrid.as_ref().map(|v| v.value);
    super::each_differing_peer(
        hosts,
        out,
        (NAME, LEVEL),
        vrid,
        |i, _| i.vrid.as_ref().map_or(i.name.span, |v| v.span),
        |d| {
            let (name, first_host, host) = (d.name, d.first_host, d.host);
            (
                format!(
                    "({name}) VRID {} on {first_host} but {} on {host}",
                    show(d.want),
                    show(d.have)
                ),
                "give the instance the same virtual_router_id on every host",
            )
        },
    );
}
