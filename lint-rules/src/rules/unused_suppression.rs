//! Inline suppressions that suppress nothing.

use std::borrow::Cow;

use kac_schema::config::{Spanned, Suppression};
use kac_schema::{Diagnostic, Fix, Severity};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "unused-suppression";
/// The rule (its findings come from applying the suppressions: see `crate::suppress`).
pub const RULE: crate::Rule = crate::Rule {
    name: NAME,
    level: LEVEL,
    doc: DOC,
    needs: crate::Needs::Nothing,
    config: None,
    virtual_server: None,
    front_end: None,
};

/// Documentation.
pub const DOC: &str = "## What it does
Finds `# kac: allow(NAME, …)` comments that silence nothing: a name with no finding on the line
the comment applies to (on any host that reads the file), a name that is no rule or diagnostic
code, and `kac:` comments that are not of the form `kac: allow(NAME, …)`. `kac lint --fix`
removes unused names (the whole comment when none is left).

A name whose rule did not run (turned off with `--select`/`--ignore`, or lacking the site
manifest's data) is not reported.

## Why is this bad
A suppression outlives the finding it was written for: once the configuration is fixed (or the
line moves), it silently hides the next, unrelated finding of that rule on that line. A
misspelt name suppresses nothing at all.

## Example
```
vrrp_instance VI_1 {
    priority 100 # kac: allow(extra-words)
}
```

## Use instead
```
vrrp_instance VI_1 {
    priority 100
}
```

## References
docs/lint.md, inline suppressions";

/// A `kac:` comment that is not `kac: allow(NAME, …)`.
pub(crate) fn malformed(s: &Suppression) -> Diagnostic {
    Diagnostic::new(NAME, LEVEL, "`kac:` comment is not `kac: allow(NAME, …)`")
        .with_primary(s.comment, "suppresses nothing")
        .with_help("write `# kac: allow(RULE)` (names separated by commas), or remove the comment")
}

/// A name that is no rule or code.
pub(crate) fn unknown_name(name: &Spanned<String>) -> Diagnostic {
    let help: Cow<'static, str> = match crate::closest_name(&name.value) {
        Some(s) => format!("did you mean `{s}`? (`kac explain RULE` lists the rules)").into(),
        None => "name a rule (`kac explain RULE`) or a diagnostic code".into(),
    };
    Diagnostic::new(
        NAME,
        LEVEL,
        format!("`{}` is no lint rule or diagnostic code", name.value),
    )
    .with_primary(name.span, "suppresses nothing")
    .with_help(help)
}

/// A name with no finding to silence.
pub(crate) fn unused(s: &Suppression, name: &Spanned<String>, fix: Fix) -> Diagnostic {
    let target = match (s.applies_to, s.applies_through) {
        (Some(first), Some(last)) if last > first => format!("lines {first}-{last}"),
        (Some(line), _) => format!("line {line}"),
        (None, _) => "any statement (none follows the comment)".into(),
    };
    Diagnostic::new(
        NAME,
        LEVEL,
        format!(
            "suppression of `{}` is unused: no such finding on {target}",
            name.value
        ),
    )
    .with_primary(name.span, "suppresses nothing")
    .with_help("remove it, or move the comment to the line of the finding")
    .with_fix(fix)
}
