//! `lvs_sync_daemon` naming a VRRP instance that does not exist, or none.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "sync-daemon-without-instance";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::front_end(NAME, LEVEL, DOC, matches);

/// Documentation.
pub const DOC: &str = "## What it does
Finds an `lvs_sync_daemon` that names no `vrrp_instance` (`inst VI`), or one that does not
exist.

## Why is this bad
The IPVS connection sync daemon follows a VRRP instance: master (sending the connection table)
while the instance is master, backup (receiving it) otherwise. keepalived 2.2.7 accepts the
line under `keepalived -t`, but at start-up it cannot find the instance, clears the setting and
runs no sync daemon (`Unable to find vrrp instance VI_9 for lvs_syncd`, in the log only): after
a failover every connection is lost. kac's daemon does the same (no sync daemon).

## Example
```
global_defs {
    lvs_sync_daemon eth1 inst VI_9
}
vrrp_instance VI_1 {
    ...
}
```

## Use instead
```
global_defs {
    lvs_sync_daemon eth1 inst VI_1
}
vrrp_instance VI_1 {
    ...
}
```

## References
keepalived.conf(5), `lvs_sync_daemon`; keepalived 2.2.7 `vrrp/vrrp.c: vrrp_complete_init()`";

/// The front end's report of a sync daemon without a (known) instance.
pub fn matches(d: &Diagnostic) -> bool {
    super::front_end::is(d, "kac::conf::undefined-reference", "lvs_sync_daemon names")
}
