//! Lines longer than keepalived's 1023-byte buffer.

use kac_schema::Diagnostic;
use kac_schema::config::SourceNote;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Error;
/// Rule name.
pub const NAME: &str = "long-line";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds physical lines longer than 1023 bytes.

## Why is this bad
keepalived reads lines into a 1024-byte buffer and silently splits longer ones: the rest of the
line becomes a new line, usually an unknown keyword or a truncated value.

## Example
A `notify` command line of 1500 characters.

## Use instead
Move long commands into a script file, or split lists over several lines.

## References
keepalived-reference.md §1.1";

/// Reports every over-long line.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    for n in &cfg.notes {
        if let SourceNote::LongLine { len, span } = n {
            out.push(
                Diagnostic::error(
                    NAME,
                    format!("line is {len} bytes long; keepalived splits it after 1023 bytes"),
                )
                .with_primary(*span, "too long")
                .with_help("shorten the line below 1024 bytes"),
            );
        }
    }
}
