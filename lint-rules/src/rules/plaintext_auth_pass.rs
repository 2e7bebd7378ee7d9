//! VRRP `authentication` with `auth_type PASS`.

use kac_schema::Diagnostic;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "plaintext-auth-pass";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `vrrp_instance` blocks with `authentication { auth_type PASS }`.

## Why is this bad
With `auth_type PASS` the password is sent in clear text in every advertisement, so anyone on
the segment can read it. It protects against nothing but configuration mistakes, and RFC 5798
(VRRPv3) removed authentication altogether.

## Example
```
vrrp_instance VI_1 {
    authentication {
        auth_type PASS
        auth_pass secret
    }
}
```

## Use instead
Remove the `authentication` block, and protect VRRP with `unicast_peer` and a firewall that
accepts VRRP only from the peers.

## References
keepalived.conf(5), `authentication`; RFC 5798, section 9";

/// Reports every instance with PASS authentication.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    for vi in &cfg.vrrp_instances {
        let Some(auth) = &vi.authentication else {
            continue;
        };
        if auth
            .value
            .auth_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("PASS"))
        {
            out.push(
                Diagnostic::warning(
                    NAME,
                    format!(
                        "vrrp_instance {} sends its password in clear text",
                        vi.name.value
                    ),
                )
                .with_primary(auth.span, "auth_type PASS")
                .with_help(
                    "drop the authentication block; use unicast_peer and a firewall instead",
                ),
            );
        }
    }
}
