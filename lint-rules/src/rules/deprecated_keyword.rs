//! Deprecated keywords.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "deprecated-keyword";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::front_end(NAME, LEVEL, DOC, matches);

/// Documentation.
pub const DOC: &str = "## What it does
Finds keywords keepalived 2.2.7 keeps only for old configurations, and offers the replacement as
a fix. Renamed keywords (same arguments, same meaning) are fixed by `kac lint --fix`:

| deprecated | replacement | does keepalived 2.2.7 say so? |
| --- | --- | --- |
| `nb_get_retry` (HTTP_GET, SSL_GET) | `retry` | yes |
| `vrrp_vmac_garp_intvl` (global_defs) | `vrrp_garp_extra_if` | yes |
| `vmac_garp_intvl` (vrrp_instance) | `garp_extra_if` | yes |
| `global_tracking` (vrrp_sync_group) | `sync_group_tracking_weight` | yes |
| `gw` (routes) | `via` | yes |
| positional `lvs_sync_daemon IF VI ID` | `lvs_sync_daemon IF inst VI id ID` | yes |
| `lvs_process_name` | `checker_process_name` | no |
| `vrrp_rlimit_rtime`, `checker_rlimit_rtime`, `bfd_rlimit_rtime` | `…_rlimit_rttime` | no |
| `lvs_flush_onstop` | `lvs_flush_on_stop` | no |
| `enable_snmp_keepalived` | `enable_snmp_vrrp` | no |
| `vrrp_track_file` | `track_file` | no |

Three rewrites are offered as unsafe fixes (`kac lint --fix --unsafe-fixes`): a route's
`via A or B` becomes `nexthop via A nexthop via B` (a `dev` after them then belongs to the last
next hop rather than the route, so keepalived no longer tracks the route); and two moves that add
a top-level block at the start of the file, which applies to every config id of a shared file:
`lvs_sync_daemon_interface IF` in a `vrrp_instance` becomes `lvs_sync_daemon IF inst VI` in
`global_defs`, and `linkbeat_use_polling` in a `vrrp_instance` becomes a `linkbeat_interfaces`
block for the instance's interface. SMTP_CHECK `host { … }` blocks have no automatic fix (each
becomes a checker of its own).

keepalived reports the ones marked *yes* (so `keepalived -t` fails and `kac check` reports them
as `kac::conf::deprecated`); `kac lint` shows those and the silent ones under this rule's name.

## Why is this bad
Deprecated keywords are removed in later keepalived versions: the configuration then stops
loading, or the silent ones stop doing anything, at the next upgrade.

## Example
```
global_defs {
    lvs_flush_onstop
}
```

## Use instead
```
global_defs {
    lvs_flush_on_stop
}
```

## References
keepalived.conf(5); keepalived 2.2.7 `core/global_parser.c`, `vrrp/vrrp_parser.c`,
`check/check_http.c`, `vrrp/vrrp_iproute.c` (the old names share the new ones' handlers)";

/// The front end's deprecation diagnostics (warnings and silent advice alike).
pub fn matches(d: &Diagnostic) -> bool {
    d.code == "kac::conf::deprecated"
}
