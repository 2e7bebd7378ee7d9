//! Scripts configured without `enable_script_security`.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Error;
/// Rule name.
pub const NAME: &str = "script-security-disabled";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::front_end(NAME, LEVEL, DOC, matches);

/// Documentation.
pub const DOC: &str = "## What it does
Finds configurations that make keepalived run scripts (`vrrp_script`, `notify*`, `misc_path`,
`quorum_up`, …) without `enable_script_security` in `global_defs`.

## Why is this bad
Without script security keepalived runs a script even when a non-root user can change it (the
file, or a directory on its path), which makes that user root; with it, such scripts are
disabled. keepalived 2.2.7 reports the missing setting (`SECURITY VIOLATION - scripts are being
executed but script_security not enabled.`) and `keepalived -t` exits 6, but the daemon starts
and runs the scripts anyway.

## Example
```
global_defs {
    router_id lb1
}
vrrp_script chk {
    script \"/usr/local/bin/check.sh\"
}
```

## Use instead
```
global_defs {
    router_id lb1
    enable_script_security
    script_user keepalived_script
}
vrrp_script chk {
    script \"/usr/local/bin/check.sh\"
}
```

## References
keepalived.conf(5), `enable_script_security`, `script_user`; keepalived-oracle.md §4 (exit 6)";

/// The front end's report of scripts without script security.
pub fn matches(d: &Diagnostic) -> bool {
    super::front_end::is(
        d,
        "kac::conf::script-security",
        "scripts are configured but script security is not enabled",
    )
}
