//! Rendering diagnostics: miette (human), JSON, SARIF, GitHub annotations.

use std::collections::HashMap;
use std::fmt;

use kac_schema::{Diagnostic, Severity, SourceMap, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

/// Texts of source files, loaded on demand when a diagnostic points into them.
pub struct Texts<'a> {
    sources: &'a SourceMap,
    cache: HashMap<u32, Option<String>>,
}

impl<'a> Texts<'a> {
    /// A cache over `sources`.
    pub fn new(sources: &'a SourceMap) -> Self {
        Texts {
            sources,
            cache: HashMap::new(),
        }
    }

    fn text(&mut self, span: Span) -> Option<String> {
        let sources = self.sources;
        self.cache
            .entry(span.file.0)
            .or_insert_with(|| {
                let f = sources.get(span.file)?;
                f.text.clone().or_else(|| {
                    std::fs::read(&f.path)
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                })
            })
            .clone()
    }

    /// File name shown for a span.
    pub fn name(&self, span: Span) -> String {
        self.sources
            .get(span.file)
            .map_or_else(|| "?".into(), |f| f.name.clone())
    }

    /// 1-based (line, column) of a span.
    pub fn line_col(&mut self, span: Span) -> (u32, u32) {
        let Some(text) = self.text(span) else {
            return (span.line, 1);
        };
        let off = (span.offset as usize).min(text.len());
        let line_start = text[..off].rfind('\n').map_or(0, |i| i + 1);
        let col = text[line_start..off].chars().count() as u32 + 1;
        (span.line.max(1), col)
    }
}

struct Report {
    d: Diagnostic,
    src: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
    notes: Option<String>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.d.code.is_empty() {
            None
        } else {
            Some(Box::new(&self.d.code))
        }
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Advice => miette::Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        match (&self.d.help, &self.notes) {
            (Some(h), Some(n)) => Some(Box::new(format!("{h}\n{n}"))),
            (Some(h), None) => Some(Box::new(h)),
            (None, Some(n)) => Some(Box::new(n)),
            (None, None) => None,
        }
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.clone().into_iter()))
        }
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

fn build(d: &Diagnostic, texts: &mut Texts<'_>) -> Report {
    let primary = d.primary_span();
    let mut src = None;
    let mut labels = Vec::new();
    let mut related = Vec::new();
    if let Some(p) = primary {
        if let Some(text) = texts.text(p) {
            let len = text.len();
            for l in d.labels.iter().filter(|l| l.span.file == p.file) {
                let off = (l.span.offset as usize).min(len);
                let ln = (l.span.len as usize).min(len - off);
                let msg = if l.message.is_empty() {
                    None
                } else {
                    Some(l.message.clone())
                };
                labels.push(if l.primary {
                    LabeledSpan::new_primary_with_span(msg, (off, ln))
                } else {
                    LabeledSpan::new_with_span(msg, (off, ln))
                });
            }
            src = Some(NamedSource::new(texts.name(p), text));
        }
        for l in d.labels.iter().filter(|l| l.span.file != p.file) {
            let mut sub = Diagnostic::new(String::new(), Severity::Advice, l.message.clone());
            sub.labels.push(kac_schema::Label {
                span: l.span,
                message: l.message.clone(),
                primary: true,
            });
            related.push(build(&sub, texts));
        }
    }
    // Include chains are shown as labels on the include lines; other notes go to the help.
    let notes: Vec<&String> = d
        .notes
        .iter()
        .filter(|n| !n.starts_with("included from "))
        .collect();
    let notes = if notes.is_empty() {
        None
    } else {
        Some(
            notes
                .iter()
                .map(|n| format!("note: {n}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };
    Report {
        d: d.clone(),
        src,
        labels,
        related,
        notes,
    }
}

/// Renders one diagnostic for a human, as miette does (no colour unless `color`).
pub fn human(d: &Diagnostic, texts: &mut Texts<'_>, color: bool) -> String {
    let report = build(d, texts);
    let handler = if color {
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode())
    } else {
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
    }
    .with_width(100);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {} [{}]\n", d.severity.as_str(), d.message, d.code);
    }
    out
}

/// One diagnostic as a JSON value (the `--format json` contract, version 1).
pub fn json(d: &Diagnostic, host: Option<&str>, texts: &mut Texts<'_>) -> serde_json::Value {
    let loc = d.primary_span().map(|s| {
        let (line, col) = texts.line_col(s);
        serde_json::json!({ "file": texts.name(s), "line": line, "column": col, "offset": s.offset, "length": s.len })
    });
    let labels: Vec<serde_json::Value> = d
        .labels
        .iter()
        .map(|l| {
            let (line, col) = texts.line_col(l.span);
            serde_json::json!({ "file": texts.name(l.span), "line": line, "column": col, "length": l.span.len, "message": l.message, "primary": l.primary })
        })
        .collect();
    serde_json::json!({
        "code": d.code,
        "severity": d.severity.as_str(),
        "message": d.message,
        "host": host,
        "location": loc,
        "labels": labels,
        "help": d.help,
        "notes": d.notes,
    })
}

/// A GitHub Actions workflow command for a diagnostic.
pub fn github(d: &Diagnostic, texts: &mut Texts<'_>) -> String {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "notice",
    };
    let esc = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let mut msg = d.message.clone();
    if let Some(h) = &d.help {
        msg.push_str(&format!("\nhelp: {h}"));
    }
    match d.primary_span() {
        Some(s) => {
            let (line, col) = texts.line_col(s);
            format!(
                "::{level} file={},line={line},col={col},title={}::{}",
                texts.name(s),
                d.code,
                esc(&msg)
            )
        }
        None => format!("::{level} title={}::{}", d.code, esc(&msg)),
    }
}

/// A SARIF 2.1.0 log of all findings.
pub fn sarif(
    findings: &[(Option<String>, Diagnostic)],
    texts: &mut Texts<'_>,
) -> serde_json::Value {
    let mut rules: Vec<String> = findings.iter().map(|(_, d)| d.code.clone()).collect();
    rules.sort();
    rules.dedup();
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|(_, d)| {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Advice => "note",
            };
            let locations: Vec<serde_json::Value> = d
                .primary_span()
                .map(|s| {
                    let (line, col) = texts.line_col(s);
                    vec![serde_json::json!({"physicalLocation": {
                        "artifactLocation": {"uri": texts.name(s)},
                        "region": {"startLine": line, "startColumn": col, "charLength": s.len}
                    }})]
                })
                .unwrap_or_default();
            serde_json::json!({"ruleId": d.code, "level": level, "message": {"text": d.message}, "locations": locations})
        })
        .collect();
    serde_json::json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {"name": "kac", "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(|r| serde_json::json!({"id": r})).collect::<Vec<_>>()}},
            "results": results
        }]
    })
}
