//! Peers with different `authentication`.

use kac_schema::Diagnostic;
use kac_schema::config::{Authentication, VrrpInstance};

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Error;
/// Rule name.
pub const NAME: &str = "peer-auth-mismatch";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) whose
`authentication` differs from the first host's: another `auth_type`, another `auth_pass`
(after keepalived's truncation to 8 characters), or authentication on one host only.

## Why is this bad
A host drops adverts that fail its authentication check, so the peers do not hear each
other: both become MASTER and claim the virtual addresses.

## Example
```
vrrp_instance VI_1 {
    authentication {
        auth_type PASS
        @lb1 auth_pass secret01
        @lb2 auth_pass secret02
    }
}
```

## Use instead
```
vrrp_instance VI_1 {
    authentication {
        auth_type PASS
        auth_pass secret01
    }
}
```

## References
keepalived.conf(5), `authentication`; RFC 3768 §5.3.6";

fn auth(i: &VrrpInstance) -> Option<&Authentication> {
    i.authentication.as_ref().map(|a| &a.value)
}

fn show(a: Option<&Authentication>) -> String {
    match a {
        None => "no authentication".into(),
        Some(a) => format!("auth_type {}", a.auth_type.as_deref().unwrap_or("(unset)")),
    }
}

/// Reports every peer whose authentication differs from the first peer's.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    super::each_differing_peer(
        hosts,
        out,
        (NAME, LEVEL),
        auth,
        |i, _| i.authentication.as_ref().map_or(i.name.span, |a| a.span),
        |d| {
            let (name, first_host, host) = (d.name, d.first_host, d.host);
            // Never print passwords: say what differs.
            let what = match (d.want, d.have) {
                (Some(w), Some(h)) if w.auth_type == h.auth_type => {
                    format!("({name}) auth_pass differs between {first_host} and {host}")
                }
                _ => format!(
                    "({name}) {} on {first_host} but {} on {host}",
                    show(d.want),
                    show(d.have)
                ),
            };
            (
                what,
                "give the instance the same authentication block on every host",
            )
        },
    );
}
