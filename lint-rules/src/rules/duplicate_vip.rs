//! The same virtual address twice, in one VRRP instance or in two.

use std::collections::HashMap;
use std::net::IpAddr;

use kac_schema::Diagnostic;
use kac_schema::config::IpAddress;
use kac_schema::span::Span;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "duplicate-vip";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds an address listed more than once in `virtual_ipaddress` (or
`virtual_ipaddress_excluded`), within one VRRP instance or across instances.

## Why is this bad
keepalived accepts it silently. Within an instance the second entry is a copy-paste slip
(often of a different address that was meant). Across instances the address moves with two
independent VRRP instances: when one becomes BACKUP it deletes the address the other, still
MASTER, relies on.

## Example
```
vrrp_instance VI_1 {
    virtual_ipaddress {
        192.0.2.10/24
    }
}
vrrp_instance VI_2 {
    virtual_ipaddress {
        192.0.2.10/24
    }
}
```

## Use instead
```
vrrp_instance VI_1 {
    virtual_ipaddress {
        192.0.2.10/24
    }
}
vrrp_instance VI_2 {
    virtual_ipaddress {
        192.0.2.11/24
    }
}
```

## References
keepalived.conf(5), `virtual_ipaddress`";

/// Reports every repeated virtual address.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    let mut seen: HashMap<IpAddr, (&str, Span)> = HashMap::new();
    for inst in &cfg.vrrp_instances {
        let name = inst.name.value.as_str();
        let all = inst.vips.iter().chain(&inst.excluded_vips);
        for IpAddress { addr, span, .. } in all {
            match seen.get(&addr.addr) {
                Some((first, first_span)) => {
                    let (message, help) = if *first == name {
                        (
                            format!("({name}) address {} is listed twice", addr.addr),
                            "remove the second entry, or correct it to the address meant",
                        )
                    } else {
                        (
                            format!(
                                "({name}) address {} is also a virtual address of {first}",
                                addr.addr
                            ),
                            "give each address to exactly one VRRP instance",
                        )
                    };
                    out.push(
                        Diagnostic::warning(NAME, message)
                            .with_primary(*span, "duplicate virtual address")
                            .with_secondary(*first_span, "first listed here")
                            .with_help(help),
                    );
                }
                None => {
                    seen.insert(addr.addr, (name, *span));
                }
            }
        }
    }
}
