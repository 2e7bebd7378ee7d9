//! Virtual/real server addresses whose mask or range keepalived drops.

use kac_schema::Diagnostic;
use kac_schema::config::SourceNote;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "dropped-address-suffix";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds `virtual_server` and `real_server` addresses written with a mask or range.

## Why is this bad
keepalived keeps only the address before `/` or `-`: `virtual_server 192.0.2.50/24 80` is a
service on 192.0.2.50 only, not on a network.

## Example
```
virtual_server 192.0.2.50/24 80 {
```

## Use instead
```
virtual_server 192.0.2.50 80 {
```
or a `virtual_server_group` with a range.

## References
keepalived-reference.md §7.2";

/// Reports every dropped suffix.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    let cfg = cx.config;
    for n in &cfg.notes {
        if let SourceNote::DroppedAddressSuffix { written, span } = n {
            out.push(
                Diagnostic::warning(
                    NAME,
                    format!("keepalived uses only the address of `{written}`"),
                )
                .with_primary(*span, "mask or range is dropped")
                .with_help("write the plain address, or use a virtual_server_group for ranges"),
            );
        }
    }
}
