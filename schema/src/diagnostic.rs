//! Diagnostics: what front ends, validators and lint rules report.
//!
//! Messages are lowercase with no trailing period; labels say what is wrong at the
//! span, `help` says how to fix it. Only binaries render diagnostics.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// keepalived rejects it, or the configuration cannot mean what it says.
    Error,
    /// keepalived reports it (so `keepalived -t` fails) but carries on with a fixed value.
    Warning,
    /// Only kac says so; never changes the `kac check` verdict.
    Advice,
}

impl Severity {
    /// Lowercase name as used in text and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "advice",
        }
    }
}

/// A labelled span of a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is wrong there (may be empty); usually a static string, so it costs no allocation.
    pub message: Cow<'static, str>,
    /// The main location of the diagnostic.
    pub primary: bool,
}

/// How safe it is to apply a [`Fix`] automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Keeps the meaning the configuration has today.
    Safe,
    /// Changes behaviour; needs a human to agree.
    Unsafe,
}

/// One replacement of a [`Fix`]: the bytes of `span` become `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    /// The bytes to replace (an empty span inserts at its offset).
    pub span: Span,
    /// The new text.
    pub replacement: String,
    /// The text the edit expects at `span`, when known: an edit whose bytes differ (the span
    /// came from a `$DEFINITION`, or the file changed) is not applied.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub original: Option<String>,
    /// The edit changes the file's text as it is (a comment), not keepalived words: a KDL or
    /// YAML file takes it unchanged, where a word edit is written in the file's own syntax.
    #[serde(skip)]
    pub verbatim: bool,
}

impl Edit {
    /// Replaces `original`, written at `span`, with `replacement`.
    pub fn replace(
        span: Span,
        original: impl Into<String>,
        replacement: impl Into<String>,
    ) -> Self {
        Edit {
            span,
            replacement: replacement.into(),
            original: Some(original.into()),
            verbatim: false,
        }
    }

    /// Replaces the text at `span` with `replacement`, in any format (a comment's text).
    pub fn verbatim(span: Span, replacement: impl Into<String>) -> Self {
        Edit {
            span,
            replacement: replacement.into(),
            original: None,
            verbatim: true,
        }
    }

    /// Inserts `text` at `span`'s offset.
    pub fn insert(span: Span, text: impl Into<String>) -> Self {
        Edit {
            span: Span { len: 0, ..span },
            replacement: text.into(),
            original: None,
            verbatim: false,
        }
    }
}

/// A change of the text that resolves a diagnostic: one or more edits (possibly in several
/// files) applied together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// What the fix does (`replace `gw` with `via``).
    pub message: String,
    /// The edits; they never overlap.
    pub edits: Vec<Edit>,
    /// Whether `--fix` may apply it without asking.
    pub applicability: Applicability,
}

impl Fix {
    /// A fix that keeps the meaning of the configuration (`kac lint --fix` applies it).
    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix {
            message: message.into(),
            edits,
            applicability: Applicability::Safe,
        }
    }

    /// A fix that changes behaviour (applied only with `--unsafe-fixes`).
    pub fn unsafe_(message: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix {
            message: message.into(),
            edits,
            applicability: Applicability::Unsafe,
        }
    }
}

/// One problem, with a stable code such as `kac::conf::unknown-keyword`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable code (front end problems `kac::…`, lint rules by rule name); usually static.
    pub code: Cow<'static, str>,
    /// How bad it is.
    pub severity: Severity,
    /// Lowercase, no trailing period.
    pub message: String,
    /// Labelled spans, possibly in several files; the first primary one is "the" location.
    pub labels: Vec<Label>,
    /// How to fix it; usually static.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Cow<'static, str>>,
    /// Extra notes (for example the include chain).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<Cow<'static, str>>,
    /// A machine-applicable fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A diagnostic with no location yet.
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code: code.into(),
            severity,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
            fix: None,
        }
    }

    /// An error.
    pub fn error(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    /// A warning (keepalived reports it too).
    pub fn warning(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }

    /// Adds the primary label.
    pub fn with_primary(mut self, span: Span, message: impl Into<Cow<'static, str>>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<Cow<'static, str>>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<Cow<'static, str>>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the fix.
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// The primary span, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }

    /// Whether `keepalived -t` would fail on this (errors and warnings; not advice).
    pub fn fails_check(&self) -> bool {
        matches!(self.severity, Severity::Error | Severity::Warning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Static and formatted texts serialize as plain JSON strings, and read back equal.
    #[test]
    fn json_form_is_plain_strings_and_reads_back() {
        let at = Span::new(crate::FileId(0), 1, 4, 2);
        let d = Diagnostic::warning("some-rule", "a message")
            .with_primary(at, "static label")
            .with_secondary(at, format!("label {}", 2))
            .with_help("static help")
            .with_note(format!("note {}", 1));
        let json = serde_json::to_string(&d).expect("serializes");
        assert_eq!(
            json,
            r#"{"code":"some-rule","severity":"warning","message":"a message","labels":[{"span":{"file":0,"line":1,"offset":4,"len":2},"message":"static label","primary":true},{"span":{"file":0,"line":1,"offset":4,"len":2},"message":"label 2","primary":false}],"help":"static help","notes":["note 1"]}"#
        );
        let back: Diagnostic = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, d);
    }
}
