//! Instances of one sync group with different `advert_int`.

use kac_schema::Diagnostic;
use kac_schema::config::{Micros, VrrpInstance};

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "advert-int-mismatch-in-sync-group";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `vrrp_sync_group` members whose `advert_int` (1 second when not set) differs from the
first member's.

## Why is this bad
The members of a sync group are meant to change state together, but each detects a dead
master after its own three advertisement intervals: the instance with the shorter interval
fails over first, and until the others follow, the group is split between hosts.

## Example
```
vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
}
vrrp_instance VI_1 {
    advert_int 1
}
vrrp_instance VI_2 {
    advert_int 3
}
```

## Use instead
```
vrrp_instance VI_1 {
    advert_int 1
}
vrrp_instance VI_2 {
    advert_int 1
}
```

## References
keepalived.conf(5), `vrrp_sync_group`, `advert_int`";

const SECOND: Micros = 1_000_000;

fn advert(i: &VrrpInstance) -> Micros {
    i.advert_int.as_ref().map_or(SECOND, |a| a.value)
}

fn show(us: Micros) -> String {
    if us.is_multiple_of(SECOND) {
        format!("{} s", us / SECOND)
    } else {
        format!("{} ms", us as f64 / 1000.0)
    }
}

/// Reports every sync group member whose interval differs from the first member's.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    for g in &cfg.sync_groups {
        let members: Vec<&VrrpInstance> = g
            .members
            .iter()
            .filter_map(|m| cfg.vrrp_instances.iter().find(|i| i.name.value == m.value))
            .collect();
        let Some((first, rest)) = members.split_first() else {
            continue;
        };
        let want = advert(first);
        for i in rest {
            let have = advert(i);
            if have == want {
                continue;
            }
            let span = i.advert_int.as_ref().map_or(i.name.span, |a| a.span);
            let first_span = first
                .advert_int
                .as_ref()
                .map_or(first.name.span, |a| a.span);
            out.push(
                Diagnostic::warning(
                    NAME,
                    format!(
                        "({}) advert_int {} differs from {} of {} in sync group {}",
                        i.name.value,
                        show(have),
                        show(want),
                        first.name.value,
                        g.name.value
                    ),
                )
                .with_primary(span, "different advertisement interval")
                .with_secondary(first_span, "first member's interval")
                .with_help("give every instance of the sync group the same advert_int"),
            );
        }
    }
}
