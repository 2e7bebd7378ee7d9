//! Two `virtual_server` blocks for the same service.

use std::net::IpAddr;

use kac_schema::Diagnostic;
use kac_schema::config::{Family, Protocol, VsAddress};

use crate::Service;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "duplicate-virtual-server";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `virtual_server` blocks that define the same IPVS service as an earlier block: the same
address, port and protocol (UDP when `protocol` is not set), the same `fwmark` (and family), or
the same `group` and protocol.

## Why is this bad
keepalived accepts both blocks, but IPVS has only one service for the key: the real servers,
scheduler and checkers of the two blocks fight over it, and which settings win depends on
reload order.

## Example
```
virtual_server 192.0.2.50 80 {
    protocol TCP
    real_server 198.51.100.1 80 { }
}
virtual_server 192.0.2.50 80 {
    protocol TCP
    real_server 198.51.100.2 80 { }
}
```

## Use instead
```
virtual_server 192.0.2.50 80 {
    protocol TCP
    real_server 198.51.100.1 80 { }
    real_server 198.51.100.2 80 { }
}
```

## References
keepalived.conf(5), `virtual_server`";

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Key<'a> {
    Addr(IpAddr, u16, Protocol),
    Fwmark(u32, Family),
    Group(&'a str, Protocol),
}

fn key(vs: &Service) -> Key<'_> {
    let proto = vs.protocol.unwrap_or(Protocol::Udp);
    match &vs.address.value {
        VsAddress::Addr { addr, port } => Key::Addr(*addr, *port, proto),
        VsAddress::Fwmark(mark) => Key::Fwmark(*mark, vs.family.unwrap_or(Family::Inet)),
        VsAddress::Group(name) => Key::Group(name, proto),
    }
}

fn describe(vs: &Service) -> String {
    let proto = vs.protocol.unwrap_or(Protocol::Udp).as_str();
    match &vs.address.value {
        VsAddress::Addr {
            addr: IpAddr::V6(a),
            port,
        } => format!("[{a}]:{port}/{proto}"),
        VsAddress::Addr { addr, port } => format!("{addr}:{port}/{proto}"),
        VsAddress::Fwmark(mark) => format!("fwmark {mark}"),
        VsAddress::Group(name) => format!("group {name}/{proto}"),
    }
}

/// Reports every virtual server whose service an earlier one already defines.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    // Sorted by service, then by position: each run of one service is its definitions in
    // order (a sort, not a hash map: one allocation on sites of 20,000 services).
    let mut keyed: Vec<(Key<'_>, usize)> = cx
        .services
        .iter()
        .enumerate()
        .map(|(i, vs)| (key(vs), i))
        .collect();
    keyed.sort_unstable();
    let mut twice: Vec<(usize, usize)> = keyed
        .chunk_by(|a, b| a.0 == b.0)
        .flat_map(|run| run[1..].iter().map(move |&(_, i)| (i, run[0].1)))
        .collect();
    twice.sort_unstable();
    for (i, first) in twice {
        let (vs, first) = (&cx.services[i], &cx.services[first]);
        out.push(
            Diagnostic::warning(
                NAME,
                format!("virtual server {} is defined twice", describe(vs)),
            )
            .with_primary(vs.address.span, "second definition of the same service")
            .with_secondary(first.address.span, "first defined here")
            .with_help("merge the real servers into one virtual_server block"),
        );
    }
}
