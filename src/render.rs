//! Rendering diagnostics: miette (human), JSON, SARIF 2.1.0, GitHub annotations.
//!
//! Source texts are read once per file and indexed by line, so that rendering many findings
//! of a large file stays linear ([`Texts`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use kac_schema::{Applicability, Diagnostic, Severity, SourceMap, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

/// The text of one file with the byte offset of each line.
struct Indexed {
    name: String,
    text: Arc<str>,
    starts: Arc<Vec<usize>>,
}

impl Indexed {
    fn new(name: String, text: String) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(&text));
        Indexed {
            name,
            text: text.into(),
            starts: Arc::new(starts),
        }
    }

    /// 0-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// 1-based (line, column in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let start = self.starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line as u32 + 1, col as u32 + 1)
    }

    /// The line holding byte `offset`, without its line break.
    fn line_text(&self, offset: usize) -> &str {
        let line = self.line_of(offset.min(self.text.len()));
        let start = self.starts[line];
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |e| e.saturating_sub(1));
        self.text
            .get(start..end.max(start))
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i + 1)
}

/// A window of the file around a span, handed to miette with the line numbers of the whole
/// file (miette's own `str` source scans from the start of the text for every report).
#[derive(Clone)]
struct Source(Arc<Indexed>);

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.name)
    }
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let ix = &self.0;
        let (lo, hi) = (span.offset(), span.offset() + span.len());
        if lo > ix.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = ix.line_of(lo).saturating_sub(before + 1);
        let last = ix.line_of(hi.min(ix.text.len())) + after + 1;
        let ws = ix.starts[first];
        let we = ix.starts.get(last + 1).copied().unwrap_or(ix.text.len());
        let window = ix.text.get(ws..we).ok_or(MietteError::OutOfBounds)?;
        let inner = SourceSpan::from((lo - ws, span.len()));
        let c = window.read_span(&inner, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            ix.name.clone(),
            c.data(),
            SourceSpan::from((c.span().offset() + ws, c.span().len())),
            c.line() + first,
            c.column(),
            c.line_count() + first,
        )))
    }
}

/// Texts of source files, loaded on demand when a diagnostic points into them.
pub struct Texts<'a> {
    sources: &'a SourceMap,
    cache: HashMap<u32, Option<Arc<Indexed>>>,
}

impl<'a> Texts<'a> {
    /// A cache over `sources`.
    pub fn new(sources: &'a SourceMap) -> Self {
        Texts {
            sources,
            cache: HashMap::new(),
        }
    }

    fn indexed(&mut self, span: Span) -> Option<Arc<Indexed>> {
        let sources = self.sources;
        self.cache
            .entry(span.file.0)
            .or_insert_with(|| {
                let f = sources.get(span.file)?;
                let text = f.text.clone().or_else(|| {
                    std::fs::read(&f.path)
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                })?;
                Some(Arc::new(Indexed::new(f.name.clone(), text)))
            })
            .clone()
    }

    /// File name shown for a span.
    pub fn name(&self, span: Span) -> String {
        self.sources
            .get(span.file)
            .map_or_else(|| "?".into(), |f| f.name.clone())
    }

    /// The path a span's file is read from.
    pub fn path(&self, span: Span) -> String {
        self.sources
            .get(span.file)
            .map_or_else(String::new, |f| f.path.clone())
    }

    /// 1-based (line, column) of a span.
    pub fn line_col(&mut self, span: Span) -> (u32, u32) {
        match self.indexed(span) {
            Some(ix) => {
                let (_, col) = ix.line_col(span.offset as usize);
                (span.line.max(1), col)
            }
            None => (span.line.max(1), 1),
        }
    }

    /// 1-based (line, column) just after a span.
    pub fn end_line_col(&mut self, span: Span) -> (u32, u32) {
        match self.indexed(span) {
            Some(ix) => ix.line_col((span.offset + span.len) as usize),
            None => (span.line.max(1), 1),
        }
    }

    /// The text of the line a span starts on (trimmed), for baseline fingerprints.
    pub fn line_text(&mut self, span: Span) -> String {
        self.indexed(span)
            .map(|ix| ix.line_text(span.offset as usize).trim().to_string())
            .unwrap_or_default()
    }
}

struct Report {
    d: Diagnostic,
    src: Option<Source>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
    help: Option<String>,
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
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
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

/// "safe fix" / "unsafe fix" with how to apply it.
fn fix_line(d: &Diagnostic) -> Option<String> {
    let f = d.fix.as_ref()?;
    Some(match f.applicability {
        Applicability::Safe => format!("fix: {} (`kac lint --fix`)", f.message),
        Applicability::Unsafe => format!(
            "fix: {} (changes behaviour: `kac lint --fix --unsafe-fixes`)",
            f.message
        ),
    })
}

fn build(d: &Diagnostic, texts: &mut Texts<'_>) -> Report {
    let primary = d.primary_span();
    let mut src = None;
    let mut labels = Vec::new();
    let mut related = Vec::new();
    if let Some(p) = primary {
        // Two hosts reading one file have two file ids for it: same path, same snippet.
        let primary_path = texts.path(p);
        let same = |texts: &Texts<'_>, s: Span| s.file == p.file || texts.path(s) == primary_path;
        if let Some(ix) = texts.indexed(p) {
            let len = ix.text.len();
            for l in d.labels.iter().filter(|l| same(texts, l.span)) {
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
            src = Some(Source(ix));
        }
        // Labels in other files (another host's configuration, an including file) are shown
        // as related reports, one per file, each with its own source.
        let mut others: Vec<kac_schema::FileId> = Vec::new();
        for l in d.labels.iter().filter(|l| !same(texts, l.span)) {
            if !others.contains(&l.span.file) {
                others.push(l.span.file);
            }
        }
        for file in others {
            let mut sub = Diagnostic::new(String::new(), Severity::Advice, String::new());
            for (n, l) in d.labels.iter().filter(|l| l.span.file == file).enumerate() {
                // The first label's text is also the related report's message.
                if n == 0 {
                    sub.message.clone_from(&l.message);
                }
                sub.labels.push(kac_schema::Label {
                    span: l.span,
                    message: l.message.clone(),
                    primary: n == 0,
                });
            }
            related.push(build(&sub, texts));
        }
    }
    // Include chains are shown as labels on the include lines; other notes go to the help.
    let mut help: Vec<String> = d.help.iter().cloned().collect();
    help.extend(
        d.notes
            .iter()
            .filter(|n| !n.starts_with("included from "))
            .map(|n| format!("note: {n}")),
    );
    help.extend(fix_line(d));
    Report {
        d: d.clone(),
        src,
        labels,
        related,
        help: (!help.is_empty()).then(|| help.join("\n")),
    }
}

/// Renders one diagnostic for a human (no colour unless `color`); [`Human`] renders many.
pub fn human(d: &Diagnostic, texts: &mut Texts<'_>, color: bool) -> String {
    Human::new(color).render(d, texts)
}

/// Renders diagnostics for a human, as miette does.
pub struct Human {
    handler: GraphicalReportHandler,
}

impl Human {
    /// A renderer (no colour unless `color`).
    pub fn new(color: bool) -> Self {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Human {
            handler: GraphicalReportHandler::new_themed(theme).with_width(100),
        }
    }

    /// One diagnostic.
    pub fn render(&self, d: &Diagnostic, texts: &mut Texts<'_>) -> String {
        let report = build(d, texts);
        let mut out = String::new();
        if self.handler.render_report(&mut out, &report).is_err() {
            out = format!("{}: {} [{}]\n", d.severity.as_str(), d.message, d.code);
        }
        out
    }
}

fn location(texts: &mut Texts<'_>, s: Span) -> serde_json::Value {
    let (line, col) = texts.line_col(s);
    let (end_line, end_col) = texts.end_line_col(s);
    serde_json::json!({
        "file": texts.name(s), "line": line, "column": col, "end_line": end_line,
        "end_column": end_col, "offset": s.offset, "length": s.len,
    })
}

fn fix_json(d: &Diagnostic, texts: &mut Texts<'_>) -> serde_json::Value {
    let Some(f) = &d.fix else {
        return serde_json::Value::Null;
    };
    let edits: Vec<serde_json::Value> = f
        .edits
        .iter()
        .map(|e| {
            let mut loc = location(texts, e.span);
            loc["replacement"] = e.replacement.clone().into();
            loc
        })
        .collect();
    let applicability = match f.applicability {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
    };
    serde_json::json!({"message": f.message, "applicability": applicability, "edits": edits})
}

/// One diagnostic as a JSON value (the `--format json` contract, version 1).
pub fn json(d: &Diagnostic, host: Option<&str>, texts: &mut Texts<'_>) -> serde_json::Value {
    let loc = d.primary_span().map(|s| location(texts, s));
    let labels: Vec<serde_json::Value> = d
        .labels
        .iter()
        .map(|l| {
            let mut v = location(texts, l.span);
            v["message"] = l.message.clone().into();
            v["primary"] = l.primary.into();
            v
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
        "fix": fix_json(d, texts),
    })
}

/// A GitHub Actions workflow command for a diagnostic (the rule is the title; secondary
/// locations and the fix are named in the message).
pub fn github(d: &Diagnostic, host: Option<&str>, texts: &mut Texts<'_>) -> String {
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
    let prop = |s: &str| esc(s).replace(':', "%3A").replace(',', "%2C");
    let mut msg = match host {
        Some(h) => format!("[{h}] {}", d.message),
        None => d.message.clone(),
    };
    for l in d.labels.iter().filter(|l| !l.primary) {
        let (line, _) = texts.line_col(l.span);
        msg.push_str(&format!(
            "\nsee {}:{line}: {}",
            texts.name(l.span),
            l.message
        ));
    }
    if let Some(h) = &d.help {
        msg.push_str(&format!("\nhelp: {h}"));
    }
    if let Some(f) = fix_line(d) {
        msg.push('\n');
        msg.push_str(&f);
    }
    let title = prop(&format!("{} ({})", d.code, d.severity.as_str()));
    match d.primary_span() {
        Some(s) => {
            let (line, col) = texts.line_col(s);
            let (end_line, end_col) = texts.end_line_col(s);
            format!(
                "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={title}::{}",
                prop(&texts.name(s)),
                esc(&msg)
            )
        }
        None => format!("::{level} title={title}::{}", esc(&msg)),
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "note",
    }
}

fn sarif_location(texts: &mut Texts<'_>, s: Span, message: Option<&str>) -> serde_json::Value {
    let (line, col) = texts.line_col(s);
    let (end_line, end_col) = texts.end_line_col(s);
    let mut v = serde_json::json!({"physicalLocation": {
        "artifactLocation": {"uri": texts.name(s)},
        "region": {"startLine": line, "startColumn": col, "endLine": end_line,
                   "endColumn": end_col, "byteOffset": s.offset, "byteLength": s.len}
    }});
    if let Some(m) = message.filter(|m| !m.is_empty()) {
        v["message"] = serde_json::json!({"text": m});
    }
    v
}

/// A SARIF 2.1.0 log of all findings: rule, level, primary and related locations, fixes,
/// the host (as a property) and a line-independent fingerprint.
pub fn sarif(
    findings: &[(Option<String>, Diagnostic)],
    fingerprints: &[String],
    texts: &mut Texts<'_>,
) -> serde_json::Value {
    let mut rules: Vec<&str> = findings.iter().map(|(_, d)| d.code.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let rule_index = |code: &str| rules.iter().position(|r| *r == code).unwrap_or(0);
    let results: Vec<serde_json::Value> = findings
        .iter()
        .zip(fingerprints)
        .map(|((host, d), fp)| {
            let locations: Vec<serde_json::Value> = d
                .primary_span()
                .map(|s| vec![sarif_location(texts, s, None)])
                .unwrap_or_default();
            let related: Vec<serde_json::Value> = d
                .labels
                .iter()
                .filter(|l| !l.primary)
                .enumerate()
                .map(|(i, l)| {
                    let mut v = sarif_location(texts, l.span, Some(&l.message));
                    v["id"] = i.into();
                    v
                })
                .collect();
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            let mut r = serde_json::json!({
                "ruleId": d.code,
                "ruleIndex": rule_index(&d.code),
                "level": sarif_level(d.severity),
                "message": {"text": text},
                "locations": locations,
                "partialFingerprints": {"kacFinding/v1": fp},
            });
            if !related.is_empty() {
                r["relatedLocations"] = related.into();
            }
            if let Some(h) = host {
                r["properties"] = serde_json::json!({"host": h});
            }
            if let Some(f) = &d.fix {
                let mut by_file: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
                for e in &f.edits {
                    let uri = texts.name(e.span);
                    let (line, col) = texts.line_col(e.span);
                    let rep = serde_json::json!({
                        "deletedRegion": {"startLine": line, "startColumn": col,
                                          "byteOffset": e.span.offset, "byteLength": e.span.len},
                        "insertedContent": {"text": e.replacement},
                    });
                    match by_file.iter_mut().find(|(u, _)| *u == uri) {
                        Some((_, reps)) => reps.push(rep),
                        None => by_file.push((uri, vec![rep])),
                    }
                }
                let changes: Vec<serde_json::Value> = by_file
                    .into_iter()
                    .map(|(uri, reps)| {
                        serde_json::json!({"artifactLocation": {"uri": uri}, "replacements": reps})
                    })
                    .collect();
                let applicability = match f.applicability {
                    Applicability::Safe => "safe",
                    Applicability::Unsafe => "unsafe",
                };
                r["fixes"] = serde_json::json!([{
                    "description": {"text": f.message},
                    "artifactChanges": changes,
                    "properties": {"applicability": applicability},
                }]);
            }
            r
        })
        .collect();
    let rule_objects: Vec<serde_json::Value> = rules
        .iter()
        .map(|code| {
            let mut v = serde_json::json!({"id": code});
            if let Some((_, level, doc)) = kac_lint_rules::explain(code) {
                let what = doc
                    .lines()
                    .skip_while(|l| l.starts_with('#'))
                    .take_while(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                v["shortDescription"] = serde_json::json!({"text": what});
                v["fullDescription"] = serde_json::json!({"text": doc});
                v["defaultConfiguration"] = serde_json::json!({"level": sarif_level(level)});
                v["help"] =
                    serde_json::json!({"text": format!("kac explain {code}"), "markdown": doc});
            }
            v
        })
        .collect();
    serde_json::json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {"name": "kac", "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/kac",
                "rules": rule_objects}},
            "columnKind": "unicodeCodePoints",
            "results": results
        }]
    })
}
