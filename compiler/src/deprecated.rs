//! Deprecated keepalived keywords and the fixes that replace them.
//!
//! Every deprecated keyword is reported with code [`codes::DEPRECATED`] and, where one exists,
//! a [`Fix`]: as a warning when keepalived 2.2.7 reports it (so `keepalived -t` fails), as
//! advice when keepalived accepts it silently (only kac says so; the lint rule
//! `deprecated-keyword` reports both). The facts are from keepalived 2.2.7's parsers: each old
//! name below is installed with the same handler as its new name, or sets the same flag.

use kac_schema::{Diagnostic, Edit, Fix, Severity, Span};

use crate::codes;

/// Old keyword → new keyword, same arguments and meaning.
pub const RENAMES: &[(&str, &str)] = &[
    ("nb_get_retry", "retry"),
    ("lvs_process_name", "checker_process_name"),
    ("vrrp_rlimit_rtime", "vrrp_rlimit_rttime"),
    ("checker_rlimit_rtime", "checker_rlimit_rttime"),
    ("bfd_rlimit_rtime", "bfd_rlimit_rttime"),
    ("lvs_flush_onstop", "lvs_flush_on_stop"),
    ("enable_snmp_keepalived", "enable_snmp_vrrp"),
    ("vrrp_track_file", "track_file"),
    ("vrrp_vmac_garp_intvl", "vrrp_garp_extra_if"),
    ("vmac_garp_intvl", "garp_extra_if"),
    ("global_tracking", "sync_group_tracking_weight"),
    ("gw", "via"),
];

/// The new name of a renamed keyword.
pub fn renamed(old: &str) -> Option<&'static str> {
    RENAMES.iter().find(|(o, _)| *o == old).map(|(_, n)| *n)
}

/// The safe fix renaming `old` (written at `span`), if it is a plain rename.
pub fn rename_fix(old: &str, span: Span) -> Option<Fix> {
    let new = renamed(old)?;
    Some(Fix::safe(
        format!("replace `{old}` with `{new}`"),
        vec![Edit::replace(span, old, new)],
    ))
}

/// A deprecated keyword keepalived accepts without a word: advice (kac-only), with its fix.
pub fn silent(old: &str, span: Span) -> Diagnostic {
    let new = renamed(old).unwrap_or("its replacement");
    let mut d = Diagnostic::new(
        codes::DEPRECATED,
        Severity::Advice,
        format!("`{old}` is deprecated"),
    )
    .with_primary(span, "deprecated keyword")
    .with_help(format!(
        "use `{new}` (keepalived 2.2.7 still accepts `{old}` without a message)"
    ));
    d.fix = rename_fix(old, span);
    d
}

/// The unsafe fix moving a statement to a new top-level block: deletes the statement
/// (`text`, written at `at`) and inserts `block` at the start of the statement's file.
pub fn move_to_top(message: String, at: Span, text: &str, block: String) -> Fix {
    let top = Span::new(at.file, 1, 0, 0);
    Fix::unsafe_(
        message,
        vec![Edit::insert(top, block), Edit::replace(at, text, "")],
    )
}
