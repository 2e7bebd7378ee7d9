//! `state MASTER` without `priority`, which makes the instance the address owner.

use kac_schema::Diagnostic;
use kac_schema::config::VrrpState;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "master-without-priority";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with `state MASTER` and no `priority`.

## Why is this bad
keepalived then gives the instance priority 255: it becomes the address owner, ignores
`nopreempt` and weighted tracking, and always takes the VIPs back.

## Example
```
vrrp_instance VI_1 {
    state MASTER
```

## Use instead
```
vrrp_instance VI_1 {
    state MASTER
    priority 150
```

## References
keepalived-reference.md §5.1";

/// Reports every such instance.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    for i in &cfg.vrrp_instances {
        if let (Some(state), None) = (&i.state, &i.priority)
            && state.value == VrrpState::Master
        {
            out.push(
                Diagnostic::warning(
                    NAME,
                    format!(
                        "({}) `state MASTER` without `priority` makes this host the address owner",
                        i.name.value
                    ),
                )
                .with_primary(state.span, "priority becomes 255")
                .with_help(
                    "set `priority` explicitly (below 255 unless this host owns the addresses)",
                ),
            );
        }
    }
}
