//! `virtual_server group NAME` with no `virtual_server_group NAME`.

use kac_schema::Diagnostic;
use kac_schema::config::VsAddress;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "undefined-virtual-server-group";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `virtual_server group NAME` blocks for which no `virtual_server_group NAME` is defined.

## Why is this bad
keepalived drops such a virtual server without a word: the service is never created in IPVS
and its real servers are never checked.

## Example
```
virtual_server_group WEB {
    192.0.2.50 443
}
virtual_server group WBE {
```

## Use instead
```
virtual_server_group WEB {
    192.0.2.50 443
}
virtual_server group WEB {
```

## References
keepalived.conf(5), `virtual_server_group`";

/// Reports every virtual server naming an undefined group.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    for vs in cx.services {
        if let VsAddress::Group(name) = &vs.address.value
            && !cfg.vs_groups.iter().any(|g| g.name.value == *name)
        {
            out.push(
                Diagnostic::warning(
                    NAME,
                    format!("virtual_server_group `{name}` is not defined"),
                )
                .with_primary(vs.address.span, "keepalived drops this virtual server")
                .with_help(format!(
                    "define `virtual_server_group {name} {{ … }}`, or correct the group name"
                )),
            );
        }
    }
}
