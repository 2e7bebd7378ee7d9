//! A `vrrp_script` that nothing tracks.

use std::collections::HashSet;

use kac_schema::Diagnostic;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "unused-vrrp-script";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `vrrp_script` blocks that no VRRP instance or sync group lists in `track_script`.

## Why is this bad
keepalived does not run an untracked script, so the health check it describes never affects
failover. Usually the `track_script` was forgotten or names the script differently.

## Example
```
vrrp_script chk_nginx {
    script \"/usr/bin/pgrep nginx\"
}
vrrp_instance VI_1 {
    ...
}
```

## Use instead
```
vrrp_script chk_nginx {
    script \"/usr/bin/pgrep nginx\"
}
vrrp_instance VI_1 {
    ...
    track_script {
        chk_nginx
    }
}
```

## References
keepalived.conf(5), `vrrp_script`, `track_script`";

/// Reports every script (first definition of each name) that is never tracked.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    let tracked: HashSet<&str> = cfg
        .vrrp_instances
        .iter()
        .map(|i| &i.tracking)
        .chain(cfg.sync_groups.iter().map(|g| &g.tracking))
        .flat_map(|t| &t.scripts)
        .map(|t| t.name.value.as_str())
        .collect();
    let mut reported = HashSet::new();
    for s in &cfg.vrrp_scripts {
        let name = s.name.value.as_str();
        if !tracked.contains(name) && reported.insert(name) {
            out.push(
                Diagnostic::warning(NAME, format!("vrrp_script `{name}` is never tracked"))
                    .with_primary(s.name.span, "keepalived never runs this script")
                    .with_help(format!(
                        "add `{name}` to a `track_script` block, or remove the script"
                    )),
            );
        }
    }
}
