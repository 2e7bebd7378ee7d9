//! A `quorum` above the sum of the real servers' weights.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "quorum-exceeds-total-weight";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::front_end(NAME, LEVEL, DOC, matches);

/// Documentation.
pub const DOC: &str = "## What it does
Finds virtual servers whose `quorum` is greater than the sum of their real servers' weights
(each real server's `weight`, else the virtual server's `weight`, else 1).

## Why is this bad
The quorum is the total weight of healthy real servers the service needs to be considered up
(`quorum_up`/`quorum_down` run when it is crossed). A quorum above the total can never be met.
keepalived 2.2.7 reports it (`quorum N for [VS] exceeds total weight of real servers W, reducing
quorum to W`, so `keepalived -t` fails) and runs with the quorum lowered to the total: the
service then needs every real server healthy, which is rarely what a quorum was written for.

## Example
```
virtual_server 192.0.2.10 80 {
    quorum 5
    real_server 198.51.100.1 80 {
        weight 1
    }
    real_server 198.51.100.2 80 {
        weight 2
    }
}
```

## Use instead
```
virtual_server 192.0.2.10 80 {
    quorum 2
    real_server 198.51.100.1 80 {
        weight 1
    }
    real_server 198.51.100.2 80 {
        weight 2
    }
}
```

## References
keepalived.conf(5), `quorum`; keepalived 2.2.7 `check/check_data.c: validate_check_config()`";

/// The front end's report of a quorum above the total weight.
pub fn matches(d: &Diagnostic) -> bool {
    super::front_end::is(
        d,
        "kac::conf::corrected-value",
        "is more than the sum of weights",
    )
}
