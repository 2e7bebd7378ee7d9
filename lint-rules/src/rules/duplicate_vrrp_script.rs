//! Two `vrrp_script` blocks with the same name.

use std::collections::HashMap;

use kac_schema::Diagnostic;

use kac_schema::span::Span;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "duplicate-vrrp-script";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `vrrp_script` blocks whose name an earlier `vrrp_script` already uses.

## Why is this bad
keepalived accepts both, but `track_script` always finds the first: the second script never
runs, so the check it was written for silently does not happen.

## Example
```
vrrp_script chk_web {
    script \"/usr/bin/pgrep nginx\"
}
vrrp_script chk_web {
    script \"/usr/bin/pgrep haproxy\"
}
```

## Use instead
```
vrrp_script chk_nginx {
    script \"/usr/bin/pgrep nginx\"
}
vrrp_script chk_haproxy {
    script \"/usr/bin/pgrep haproxy\"
}
```

## References
keepalived.conf(5), `vrrp_script`";

/// Reports every script defined under a name already used.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for s in &cfg.vrrp_scripts {
        if let Some(first) = seen.get(s.name.value.as_str()) {
            out.push(
                Diagnostic::warning(
                    NAME,
                    format!("vrrp_script `{}` is defined twice", s.name.value),
                )
                .with_primary(s.name.span, "never used: the first definition wins")
                .with_secondary(*first, "first defined here")
                .with_help("rename one of the scripts (and track it), or remove the second"),
            );
        } else {
            seen.insert(&s.name.value, s.name.span);
        }
    }
}
