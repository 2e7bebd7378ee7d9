//! One VRID used on one network segment by different virtual routers.

use std::collections::BTreeSet;
use std::net::IpAddr;

use kac_schema::Diagnostic;
use kac_schema::config::VrrpInstance;
use kac_schema::site::Subnet;

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Error;
/// Rule name.
pub const NAME: &str = "vrid-reused-on-segment";
/// Documentation.
pub const DOC: &str = "## What it does
Finds two multicast VRRP instances with different names on different hosts of a site that use
the same `virtual_router_id` and address family on the same network segment, with different
virtual addresses. Two instances are on the same segment when the site manifest lists a common
subnet for their interfaces on both hosts; otherwise (no subnets listed) when their interfaces
have the same name. Unicast instances (with `unicast_peer`) are not compared: their
advertisements go only to their peers.

## Why is this bad
On a segment, the VRID identifies the virtual router: every host there takes advertisements
with that VRID as coming from its peers. Two different virtual routers with one VRID see each
other's advertisements, with other addresses (keepalived logs them as invalid and may drop
them), and elect one MASTER between them: one of the two address sets then has no MASTER at
all, or flaps. keepalived checks VRIDs only among the instances of one host, so
`keepalived -t` cannot notice.

## Example
```
# lb1 and lb2 (one segment, eth0)      # lb3 and lb4 (the same segment, eth0)
vrrp_instance WEB {                     vrrp_instance DB {
    interface eth0                          interface eth0
    virtual_router_id 51                    virtual_router_id 51
    virtual_ipaddress {                     virtual_ipaddress {
        192.0.2.10/24                           192.0.2.20/24
    }                                       }
}                                       }
```

## Use instead
Give each virtual router of a segment its own VRID (here `virtual_router_id 52` for DB).

## References
keepalived.conf(5), `virtual_router_id`; RFC 5798, section 5.2.3";

/// What identifies the segment of an instance on a host: the manifest's subnets of its
/// interface, else the interface's name.
enum Segment<'a> {
    Subnets(&'a [Subnet]),
    Interface(&'a str),
}

fn segment<'a>(h: &HostConfig<'a>, i: &'a VrrpInstance) -> Option<Segment<'a>> {
    let ifname = i.interface.as_ref()?.value.as_str();
    let subnets = h
        .facts
        .interfaces
        .and_then(|l| l.iter().find(|x| x.name == ifname))
        .map(|x| x.subnets.as_slice())
        .filter(|s| !s.is_empty());
    Some(subnets.map_or(Segment::Interface(ifname), Segment::Subnets))
}

fn same_segment(a: &Segment<'_>, b: &Segment<'_>) -> bool {
    match (a, b) {
        (Segment::Subnets(x), Segment::Subnets(y)) => x.iter().any(|s| {
            y.iter()
                .any(|t| s.prefix_len == t.prefix_len && s.contains(t.addr))
        }),
        (Segment::Interface(x), Segment::Interface(y)) => x == y,
        // One host lists subnets, the other does not: compare what both say, the name.
        _ => false,
    }
}

fn vips(i: &VrrpInstance) -> BTreeSet<IpAddr> {
    i.vips.iter().map(|v| v.addr.addr).collect()
}

fn v6(i: &VrrpInstance) -> bool {
    i.native_ipv6 || i.vips.first().is_some_and(|v| v.addr.addr.is_ipv6())
}

/// Reports every pair of different virtual routers sharing a VRID on a segment (once, on the
/// later host).
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    let mut all = Vec::new();
    for (h, host) in hosts.iter().enumerate() {
        for i in &host.config.vrrp_instances {
            let (Some(vrid), Some(seg)) = (&i.vrid, segment(host, i)) else {
                continue;
            };
            if i.unicast_peers.is_empty() {
                all.push((h, i, vrid.value, seg));
            }
        }
    }
    let mut reported = BTreeSet::new();
    for (n, (h, i, vrid, seg)) in all.iter().enumerate() {
        for (eh, ei, evrid, eseg) in &all[..n] {
            if eh == h
                || vrid != evrid
                || ei.name.value == i.name.value
                || v6(i) != v6(ei)
                || !same_segment(seg, eseg)
                || vips(i) == vips(ei)
            {
                continue;
            }
            let key = (i.name.value.as_str(), ei.name.value.as_str(), *vrid);
            if !reported.insert(key) {
                continue;
            }
            let (host, other) = (hosts[*h].host, hosts[*eh].host);
            let at = |x: &VrrpInstance| x.vrid.as_ref().map_or(x.name.span, |v| v.span);
            out.push((
                *h,
                Diagnostic::new(
                    NAME,
                    LEVEL,
                    format!(
                        "VRID {vrid} is used by {} on {host} and by {} on {other}, on one segment",
                        i.name.value, ei.name.value
                    ),
                )
                .with_primary(at(i), format!("{} uses VRID {vrid} here", i.name.value))
                .with_secondary(at(ei), format!("{} on {other}", ei.name.value))
                .with_help("give each virtual router of a segment its own virtual_router_id"),
            ));
        }
    }
}
