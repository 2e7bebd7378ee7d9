//! An interface the host does not have, by the site manifest.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Error;
/// Rule name.
pub const NAME: &str = "unknown-interface";
/// The rule.
pub const RULE: crate::Rule =
    crate::Rule::front_end(NAME, LEVEL, DOC, matches).needing(crate::Needs::Interfaces);

/// Documentation.
pub const DOC: &str = "## What it does
Finds interface names the host does not have, by the interfaces the site manifest lists for it:
the `interface` of a `vrrp_instance`, `track_interface` entries, the `dev` of virtual and static
addresses, routes (and their next hops) and rules (`dev`, `iif`, `oif`), `garp_group` and
`linkbeat_interfaces` entries, `interface_up_down_delays`, and `default_interface` (which static
addresses without `dev` go on).

Runs only for hosts whose interfaces the site manifest lists (`kac lint --verbose` says when it
did not run); `dynamic_interfaces` in global_defs turns it off, as it turns off keepalived's own
check.

## Why is this bad
keepalived checks the names against the interfaces of the machine it starts on, so a typo (or a
host wired differently from its peer) is found only on that host, at start-up: an instance on a
missing interface stops the VRRP process (`Non-existent interface specified in configuration`),
an address or route on one is dropped, a tracked one is ignored. `kac check` on the host reports
the same (`kac::conf::missing-interface`); `kac lint` finds it in the repository, for every host
of the site, before the configuration is deployed.

## Example
```
vrrp_instance VI_1 {
    interface eht0                  # kac.kdl: interface \"eth0\"
}
```

## Use instead
```
vrrp_instance VI_1 {
    interface eth0
}
```

## References
keepalived.conf(5), `interface`, `dynamic_interfaces`; docs/site.md, interfaces";

/// The front end's missing-interface diagnostics (given the manifest's interfaces).
pub fn matches(d: &Diagnostic) -> bool {
    d.code == "kac::conf::missing-interface"
}
