//! Words after a keyword's arguments, which keepalived silently ignores.

use kac_schema::Diagnostic;
use kac_schema::config::SourceNote;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "extra-words";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds words after a keyword's arguments.

## Why is this bad
keepalived reads one statement per line and silently ignores anything after the arguments it
expects: `interface eth0 virtual_router_id 80` sets only the interface, and the VRID you wrote
is never used.

## Example
```
priority 100 200
```

## Use instead
```
priority 100
```

## References
keepalived-reference.md §1.4";

/// Reports every ignored run of words.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    for n in &cfg.notes {
        if let SourceNote::ExtraWords {
            keyword,
            words,
            span,
        } = n
        {
            out.push(
                Diagnostic::warning(NAME, format!("`{keyword}` ignores `{}`", words.join(" ")))
                    .with_primary(*span, "ignored by keepalived")
                    .with_help("put each statement on its own line, or remove the extra words"),
            );
        }
    }
}
