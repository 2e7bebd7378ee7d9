//! Matching front-end diagnostics: the problems keepalived reports itself, which some rules
//! name (see [`crate::Rule::front_end`]). The codes are the keepalived.conf front end's
//! (`kac_compiler::codes`); the texts are the start or end of its messages.

use kac_schema::Diagnostic;

/// Whether `d` has `code` and its message contains `text`.
pub(crate) fn is(d: &Diagnostic, code: &str, text: &str) -> bool {
    d.code == code && d.message.contains(text)
}
