//! Peers with different sets of `virtual_ipaddress` addresses.

use std::collections::BTreeSet;
use std::net::IpAddr;

use kac_schema::Diagnostic;
use kac_schema::config::VrrpInstance;

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "peer-vip-mismatch";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) whose set of
`virtual_ipaddress` addresses differs from the first host's (the addresses only: prefix
length, device and other options are not compared, nor the order).

## Why is this bad
A failover should move the same addresses. When the sets differ, some address disappears or
appears when the other host becomes MASTER, and clients of it break on failover only, which
is when nobody is looking. keepalived also logs a mismatch for every VRRPv2 advert (and drops
them in `vrrp_strict` mode, so both hosts become MASTER).

## Example
```
vrrp_instance VI_1 {
    virtual_ipaddress {
        192.0.2.10/24
        @lb1 192.0.2.11/24
    }
}
```

## Use instead
```
vrrp_instance VI_1 {
    virtual_ipaddress {
        192.0.2.10/24
        192.0.2.11/24
    }
}
```

## References
keepalived.conf(5), `virtual_ipaddress`; RFC 3768 §7.1";

fn addrs(i: &VrrpInstance) -> BTreeSet<IpAddr> {
    i.vips.iter().map(|v| v.addr.addr).collect()
}

fn list(s: &BTreeSet<&IpAddr>) -> String {
    s.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reports every peer whose addresses differ from the first peer's.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    // The first address of an instance the other side lacks, else the instance name.
    let first_extra = |i: &VrrpInstance, other: &BTreeSet<IpAddr>| {
        i.vips
            .iter()
            .find(|v| !other.contains(&v.addr.addr))
            .map_or(i.name.span, |v| v.span)
    };
    super::each_differing_peer(hosts, out, (NAME, LEVEL), addrs, first_extra, |d| {
        let (name, first_host, host) = (d.name, d.first_host, d.host);
        let only_here: BTreeSet<_> = d.have.difference(&d.want).collect();
        let only_there: BTreeSet<_> = d.want.difference(&d.have).collect();
        let mut parts = Vec::new();
        if !only_here.is_empty() {
            parts.push(format!("only on {host}: {}", list(&only_here)));
        }
        if !only_there.is_empty() {
            parts.push(format!("only on {first_host}: {}", list(&only_there)));
        }
        (
            format!(
                "({name}) virtual_ipaddress differs between {first_host} and {host} ({})",
                parts.join("; ")
            ),
            "give the instance the same virtual_ipaddress list on every host",
        )
    });
}
