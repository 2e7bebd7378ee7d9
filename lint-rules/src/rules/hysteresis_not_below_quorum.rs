//! A `hysteresis` not below the `quorum`.

use kac_schema::{Diagnostic, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "hysteresis-not-below-quorum";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::front_end(NAME, LEVEL, DOC, matches);

/// Documentation.
pub const DOC: &str = "## What it does
Finds virtual servers whose `hysteresis` is greater than or equal to their `quorum` (1 when
not set; the sum of the weights when `quorum` is above it, as keepalived lowers it).

## Why is this bad
The service goes down when the healthy weight falls below `quorum - hysteresis` and comes back
at `quorum + hysteresis`; with a hysteresis of at least the quorum it would never go down.
keepalived 2.2.7 reports it (`hysteresis H >= quorum Q; setting hysteresis to Q-1`, so
`keepalived -t` fails) and runs with the hysteresis lowered: the thresholds are then not the ones
written. A `hysteresis 1` without a `quorum` is the common case: the quorum is 1.

## Example
```
virtual_server 192.0.2.10 80 {
    hysteresis 1
}
```

## Use instead
```
virtual_server 192.0.2.10 80 {
    quorum 3
    hysteresis 1
}
```

## References
keepalived.conf(5), `quorum`, `hysteresis`; keepalived 2.2.7 `check/check_data.c:
validate_check_config()`";

/// The front end's report of a hysteresis not below the quorum.
pub fn matches(d: &Diagnostic) -> bool {
    super::front_end::is(d, "kac::conf::conflict", "must be less than quorum")
}
