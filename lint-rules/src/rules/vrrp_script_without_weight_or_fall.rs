//! A `vrrp_script` tracked with weight 0 and no `fall`.

use kac_schema::Diagnostic;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "vrrp-script-without-weight-or-fall";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `track_script` entries whose weight is 0 (the entry's `weight`, else the script's, else
0) for a `vrrp_script` without `fall`.

## Why is this bad
A tracked script of weight 0 puts the instance into FAULT state when it fails, and without
`fall` a single failed run is enough (the default is 1). One slow or flaky run then moves the
VIPs away. A weight lowers the priority instead, and `fall` asks for several failures in a row.

## Example
```
vrrp_script chk_nginx {
    script \"/usr/bin/pgrep nginx\"
}
vrrp_instance VI_1 {
    track_script {
        chk_nginx
    }
}
```

## Use instead
```
vrrp_script chk_nginx {
    script \"/usr/bin/pgrep nginx\"
    fall 2
    rise 2
}
```
or give the script (or its `track_script` entry) a `weight`.

## References
keepalived.conf(5), `vrrp_script`, `track_script`, `weight`, `fall`";

/// Reports tracked scripts that fault the instance on their first failure.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    let trackings = cfg
        .vrrp_instances
        .iter()
        .map(|i| &i.tracking)
        .chain(cfg.sync_groups.iter().map(|g| &g.tracking));
    for t in trackings.flat_map(|t| &t.scripts) {
        let name = t.name.value.as_str();
        let Some(s) = cfg.vrrp_scripts.iter().find(|s| s.name.value == name) else {
            continue;
        };
        let weight = t.weight.or(s.weight.map(|(w, _)| w)).unwrap_or(0);
        if weight == 0 && s.fall.is_none() {
            out.push(
                Diagnostic::warning(
                    NAME,
                    format!("vrrp_script `{name}` faults the instance on its first failure"),
                )
                .with_primary(t.name.span, "weight 0, and the script has no `fall`")
                .with_secondary(s.name.span, "defined here")
                .with_help(format!(
                    "add `fall 2` (or more) to `{name}`, or give it a weight"
                )),
            );
        }
    }
}
