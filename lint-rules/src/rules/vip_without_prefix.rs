//! An IPv4 virtual address written without a prefix length.

use std::net::IpAddr;

use kac_schema::Diagnostic;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "vip-without-prefix";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds IPv4 addresses in `virtual_ipaddress` (and `virtual_ipaddress_excluded`) written without
`/prefix`.

## Why is this bad
keepalived then adds the address as a /32. No connected route for the subnet comes with it, so
when the interface has no other address in that subnet, replies from the VIP leave by the
default route or not at all. Usually the subnet's prefix was meant.

## Example
```
virtual_ipaddress {
    192.0.2.10
}
```

## Use instead
```
virtual_ipaddress {
    192.0.2.10/24
}
```
or write `/32` when a host address is really meant.

## References
keepalived.conf(5), `virtual_ipaddress`";

/// Reports every IPv4 virtual address without a prefix.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    for inst in &cfg.vrrp_instances {
        for vip in inst.vips.iter().chain(&inst.excluded_vips) {
            if let (IpAddr::V4(a), None) = (vip.addr.addr, vip.addr.len) {
                out.push(
                    Diagnostic::warning(
                        NAME,
                        format!(
                            "({}) virtual address {a} has no prefix length",
                            inst.name.value
                        ),
                    )
                    .with_primary(vip.span, "added as /32")
                    .with_help(format!(
                        "write the subnet's prefix (`{a}/24`, …), or `{a}/32` if a host address is meant"
                    )),
                );
            }
        }
    }
}
