//! Peers (same instance name on different hosts) with different `virtual_router_id`.

use kac_schema::Diagnostic;

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
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(String, Diagnostic)>) {
    for (name, peers) in super::peer_groups(hosts) {
        let Some(((first_host, first), rest)) = peers.split_first() else {
            continue;
        };
        let want = first.vrid.as_ref().map(|v| v.value);
        for (host, i) in rest {
            let have = i.vrid.as_ref().map(|v| v.value);
            if have == want {
                continue;
            }
            let span = i.vrid.as_ref().map_or(i.name.span, |v| v.span);
            out.push((
                (*host).to_string(),
                Diagnostic::new(
                    NAME,
                    LEVEL,
                    format!(
                        "({name}) VRID {} on {first_host} but {} on {host}",
                        show(want),
                        show(have)
                    ),
                )
                .with_primary(span, format!("differs from {first_host}"))
                .with_help("give the instance the same virtual_router_id on every host"),
            ));
        }
    }
}
