//! A fwmark virtual server with `persistence_timeout` but no `persistence_granularity`.

use kac_schema::Diagnostic;
use kac_schema::config::{VirtualServer, VsAddress};

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "fwmark-persistence-without-granularity";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::virtual_server(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `virtual_server fwmark N` blocks with `persistence_timeout` but no
`persistence_granularity`.

## Why is this bad
Firewall marks usually group several services or a whole range of clients. Without an explicit
`persistence_granularity` the persistence is per single client address (netmask
255.255.255.255), which is often not what a fwmark service was built for: clients behind
several proxy addresses are spread over real servers. Stating the granularity makes the intent
explicit.

## Example
```
virtual_server fwmark 1 {
    persistence_timeout 300
}
```

## Use instead
```
virtual_server fwmark 1 {
    persistence_timeout 300
    persistence_granularity 255.255.255.0
}
```

## References
keepalived.conf(5), `persistence_timeout`, `persistence_granularity`; ipvsadm(8), `--netmask`";

/// Reports fwmark services with persistence but no granularity.
pub fn check(_: &crate::Facts<'_>, vs: &VirtualServer, out: &mut Vec<Diagnostic>) {
    let VsAddress::Fwmark(mark) = vs.address.value else {
        return;
    };
    if vs.persistence_timeout.is_some_and(|t| t > 0) && vs.persistence_granularity.is_none() {
        out.push(
            Diagnostic::warning(
                NAME,
                format!("fwmark {mark} has persistence_timeout but no persistence_granularity"),
            )
            .with_primary(vs.address.span, "persistence is per single client address")
            .with_help("add `persistence_granularity` with the netmask the clients share"),
        );
    }
}
