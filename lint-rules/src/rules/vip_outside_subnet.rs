//! A virtual address outside every subnet the site manifest lists for its interface.

use std::net::IpAddr;

use kac_schema::config::IpAddress;
use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "vip-outside-subnet";
/// The rule.
pub const RULE: crate::Rule =
    crate::Rule::config(NAME, LEVEL, DOC, check).needing(crate::Needs::Subnets);

/// Documentation.
pub const DOC: &str = "## What it does
Finds addresses in `virtual_ipaddress` and `virtual_ipaddress_excluded` that lie outside every
subnet the site manifest lists for the interface the address goes on (its `dev`, else the
instance's `interface`). IPv6 link-local addresses (`fe80::/10`) are on every link and are not
reported.

Runs only for hosts whose interfaces have subnets in the site manifest (`kac lint --verbose`
says when it did not run); an interface listed without subnets is not checked.

## Why is this bad
keepalived adds the address to the interface whatever it is, and `keepalived -t` cannot know the
network. But the other machines on the segment (clients, the router) send straight onto the link
only to addresses of its subnets: traffic for an address outside them goes elsewhere (their
default route), unless a route somewhere points it at this link. The failover looks fine on the
load balancer and nothing arrives. Usually the address has a typo, or belongs to another
interface.

## Example
```
vrrp_instance VI_1 {
    interface eth0                  # kac.kdl: interface \"eth0\" { subnet \"192.0.2.0/24\" }
    virtual_ipaddress {
        192.0.3.10/24
    }
}
```

## Use instead
```
vrrp_instance VI_1 {
    interface eth0
    virtual_ipaddress {
        192.0.2.10/24
    }
}
```

## References
keepalived.conf(5), `virtual_ipaddress`; docs/site.md, interfaces and subnets";

fn link_local(a: IpAddr) -> bool {
    match a {
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
        IpAddr::V4(_) => false,
    }
}

/// Reports every virtual address outside the subnets of its interface.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(interfaces) = cx.facts.interfaces else {
        return;
    };
    for i in &cx.config.vrrp_instances {
        let all = i.vips.iter().chain(&i.excluded_vips);
        for IpAddress {
            addr, dev, span, ..
        } in all
        {
            let Some(ifname) = dev
                .as_deref()
                .or(i.interface.as_ref().map(|x| x.value.as_str()))
            else {
                continue;
            };
            let Some(iface) = interfaces.iter().find(|x| x.name == ifname) else {
                continue;
            };
            if iface.subnets.is_empty()
                || link_local(addr.addr)
                || iface.subnets.iter().any(|n| n.contains(addr.addr))
            {
                continue;
            }
            let subnets: Vec<String> = iface.subnets.iter().map(ToString::to_string).collect();
            let host = cx.facts.host.unwrap_or("this host");
            out.push(
                Diagnostic::new(
                    NAME,
                    LEVEL,
                    format!(
                        "({}) {} is outside every subnet of {ifname} on {host}",
                        i.name.value, addr.addr
                    ),
                )
                .with_primary(*span, format!("not in {}", subnets.join(", ")))
                .with_help(format!(
                    "use an address of {}, or put it on the interface whose subnet holds it",
                    subnets.join(" or ")
                )),
            );
        }
    }
}
