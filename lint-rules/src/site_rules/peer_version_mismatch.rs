//! Peers of a VRRP instance that speak different VRRP versions.

use std::net::IpAddr;

use kac_schema::Diagnostic;
use kac_schema::config::{Config, VrrpInstance};

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Error;
/// Rule name.
pub const NAME: &str = "peer-version-mismatch";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) that use different
VRRP versions: the instance's `version`, else `vrrp_version` in global_defs, else 2; IPv6
instances (`native_ipv6`, or an IPv6 first virtual address) always use version 3.

## Why is this bad
VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798) advertisements differ, and keepalived drops every
advertisement of the other version (`wrong version. Received 2 and expect 3`, logged only). The
peers never hear each other, so each one becomes MASTER and both hold the virtual addresses.
keepalived only ever sees one host, so `keepalived -t` cannot notice.

## Example
```
global_defs {
    @lb1 vrrp_version 3
}
```

## Use instead
```
global_defs {
    vrrp_version 3
}
```

## References
keepalived.conf(5), `version`, `vrrp_version`; RFC 5798, section 5.2.1";

/// The VRRP version keepalived uses for `i` in `cfg`.
fn version(cfg: &Config, i: &VrrpInstance) -> u8 {
    let v6 = i.native_ipv6
        || i.vips
            .first()
            .is_some_and(|v| matches!(v.addr.addr, IpAddr::V6(_)));
    if v6 {
        3
    } else {
        i.version.or(cfg.global.vrrp_version).unwrap_or(2)
    }
}

/// Reports every peer whose VRRP version differs from the first peer's.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    // Instances are matched by name; each host's instance is found in its own configuration.
    for (name, peers) in super::peer_groups(hosts) {
        let Some(((first, first_i), rest)) = peers.split_first() else {
            continue;
        };
        let want = version(hosts[*first].config, first_i);
        for (h, i) in rest {
            let have = version(hosts[*h].config, i);
            if have == want {
                continue;
            }
            let (first_host, host) = (hosts[*first].host, hosts[*h].host);
            out.push((
                *h,
                Diagnostic::new(
                    NAME,
                    LEVEL,
                    format!("({name}) VRRPv{want} on {first_host} but VRRPv{have} on {host}"),
                )
                .with_primary(
                    i.name.span,
                    format!("VRRPv{have} here, v{want} on {first_host}"),
                )
                .with_secondary(first_i.name.span, format!("VRRPv{want} on {first_host}"))
                .with_help("set the same `version` (or global `vrrp_version`) on every host"),
            ));
        }
    }
}
