//! An `auth_pass` longer than the 8 characters keepalived uses.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "auth-pass-too-long";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::front_end(NAME, LEVEL, DOC, matches);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `auth_pass` values longer than 8 characters. `kac lint --fix` shortens them to the 8
characters keepalived uses (unless the value is quoted or escaped).

## Why is this bad
VRRPv2 has room for 8 characters of password, and keepalived 2.2.7 keeps only the first 8
(`Truncating auth_pass to 8 characters`, which makes `keepalived -t` fail). The rest is
ignored: two peers whose passwords differ only after the 8th character still accept each other,
and the longer password suggests a protection that is not there.

## Example
```
authentication {
    auth_type PASS
    auth_pass secret-password
}
```

## Use instead
```
authentication {
    auth_type PASS
    auth_pass secret-p
}
```

## References
keepalived.conf(5), `authentication`; RFC 3768, section 5.3.10 (8 octets of authentication
data)";

/// The front end's report of a truncated `auth_pass`.
pub fn matches(d: &Diagnostic) -> bool {
    super::front_end::is(
        d,
        "kac::conf::corrected-value",
        "auth_pass is longer than 8 characters",
    )
}
