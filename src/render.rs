//! Rendering diagnostics: miette (human, full or one line), JSON, SARIF 2.1.0, GitHub
//! annotations, each written one finding at a time ([`crate::findings`] streams them).
//!
//! Source texts are opened when a finding first points into them ([`Texts`]) and read a
//! window at a time ([`FileText`]): positions are found by scanning around the span (spans
//! carry their line); the line numbers of snippets are counted from the last one counted.

use std::fmt;
use std::sync::Arc;

use kac_schema::{Applicability, Diagnostic, FileId, Severity, SourceFile, SourceMap, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use crate::file_window::FileText;

mod json;
pub use json::diagnostic as json;

/// A window of a file around the labels of one report, handed to miette with the line
/// numbers of the whole file (miette's own `str` source scans from the start of the text for
/// every report, and a large file is never read whole: [`FileText`]).
#[derive(Clone)]
struct Source {
    name: Arc<str>,
    /// Offset of `text` in the file.
    start: usize,
    /// 0-based line of `start`.
    first_line: usize,
    text: String,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Source {
    /// The lines of `ft` around bytes `lo..hi`, with room for miette's context lines.
    fn around(name: Arc<str>, ft: &mut FileText, lo: usize, hi: usize) -> Source {
        let (start, back) = {
            let first = ft.line_start(lo);
            ft.lines_back(first, CONTEXT_LINES + 1)
        };
        let first_line = ft.line_of(lo) - back;
        let end = ft.lines_forward(hi, CONTEXT_LINES + 2);
        Source {
            name,
            start,
            first_line,
            text: ft.text(start, end),
        }
    }
}

/// Lines of context miette shows around a label (its default).
const CONTEXT_LINES: usize = 1;

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let lo = span.offset();
        if lo < self.start || lo + span.len() > self.start + self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let inner = SourceSpan::from((lo - self.start, span.len()));
        let c = self.text.as_str().read_span(&inner, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            c.data(),
            SourceSpan::from((c.span().offset() + self.start, c.span().len())),
            c.line() + self.first_line,
            c.column(),
            c.line_count() + self.first_line,
        )))
    }
}

/// A file findings may point into: its names and, for in-memory sources, its text.
struct FileInfo {
    name: Arc<str>,
    path: String,
    text: Option<Arc<str>>,
}

/// The files of a run and their texts, loaded on demand when a finding points into them.
/// It owns what it knows, so files can be added while a configuration is still being read.
#[derive(Default)]
pub struct Texts {
    files: Vec<Option<FileInfo>>,
    /// The texts opened, by file id.
    opened: Vec<Opened>,
    /// The last position worked out (a finding's location and its primary label are one span).
    last: Option<(Span, Position)>,
}

/// Whether a file's text was opened.
#[derive(Default)]
enum Opened {
    /// Not asked for yet.
    #[default]
    No,
    /// Unreadable.
    Failed,
    /// Its text.
    Yes(FileText),
}

/// A position of a span: its file and 1-based start and end lines and columns.
#[derive(Clone)]
pub struct Position {
    /// The file's name as shown.
    pub file: Arc<str>,
    /// First line.
    pub line: u32,
    /// First column (characters).
    pub column: u32,
    /// Line just after the span.
    pub end_line: u32,
    /// Column just after the span.
    pub end_column: u32,
}

impl Texts {
    /// The files of `sources`.
    pub fn new(sources: &SourceMap) -> Self {
        let mut t = Texts::default();
        t.sync(sources);
        t
    }

    /// Adds (or completes) file `id`.
    pub fn add(&mut self, id: FileId, f: &SourceFile) {
        self.last = None;
        let i = id.0 as usize;
        if self.files.len() <= i {
            self.files.resize_with(i + 1, || None);
        }
        match &mut self.files[i] {
            Some(known) => {
                if known.text.is_none() && f.text.is_some() {
                    known.text = f.text.as_deref().map(Arc::from);
                }
            }
            slot => {
                *slot = Some(FileInfo {
                    name: Arc::from(f.name.as_str()),
                    path: f.path.clone(),
                    text: f.text.as_deref().map(Arc::from),
                });
            }
        }
    }

    /// Adds the files of `sources` not known yet.
    pub fn sync(&mut self, sources: &SourceMap) {
        for (i, f) in sources.files.iter().enumerate() {
            let known = self
                .files
                .get(i)
                .and_then(Option::as_ref)
                .is_some_and(|k| k.text.is_some() || f.text.is_none());
            if !known {
                self.add(FileId(i as u32), f);
            }
        }
    }

    fn info(&self, file: FileId) -> Option<&FileInfo> {
        self.files.get(file.0 as usize).and_then(Option::as_ref)
    }

    /// The text of a span's file, opened when first asked for.
    fn text(&mut self, span: Span) -> Option<&mut FileText> {
        // A file not known yet is not remembered as unreadable.
        let f = self
            .files
            .get(span.file.0 as usize)
            .and_then(Option::as_ref)?;
        let i = span.file.0 as usize;
        if self.opened.len() <= i {
            self.opened.resize_with(i + 1, Opened::default);
        }
        if matches!(self.opened[i], Opened::No) {
            let text = match &f.text {
                Some(t) => Some(FileText::memory(t.clone())),
                None => FileText::open(&f.path),
            };
            self.opened[i] = text.map_or(Opened::Failed, Opened::Yes);
        }
        match &mut self.opened[i] {
            Opened::Yes(t) => Some(t),
            _ => None,
        }
    }

    /// File name shown for a span.
    pub fn name(&self, span: Span) -> Arc<str> {
        self.info(span.file)
            .map_or_else(|| Arc::from("?"), |f| f.name.clone())
    }

    /// The path a span's file is read from.
    pub fn path(&self, span: Span) -> &str {
        self.info(span.file).map_or("", |f| f.path.as_str())
    }

    /// 1-based (line, column) of a span.
    pub fn line_col(&mut self, span: Span) -> (u32, u32) {
        match self.text(span) {
            Some(t) => (span.line.max(1), t.column(span.offset as usize)),
            None => (span.line.max(1), 1),
        }
    }

    /// Where a span starts and ends.
    pub fn position(&mut self, span: Span) -> Position {
        if let Some((at, p)) = &self.last
            && *at == span
        {
            return p.clone();
        }
        let p = self.work_out_position(span);
        self.last = Some((span, p.clone()));
        p
    }

    /// [`Texts::position`], worked out.
    fn work_out_position(&mut self, span: Span) -> Position {
        let file = self.name(span);
        let line = span.line.max(1);
        match self.text(span) {
            Some(t) => {
                let (lo, hi) = (span.offset as usize, (span.offset + span.len) as usize);
                let hi = t.floor_char(hi);
                let lo = t.floor_char(lo.min(hi));
                let breaks = t.count_lines(lo, hi) as u32;
                Position {
                    file,
                    line,
                    column: t.column(lo),
                    end_line: line + breaks,
                    end_column: t.column(hi),
                }
            }
            None => Position {
                file,
                line,
                column: 1,
                end_line: line,
                end_column: 1,
            },
        }
    }

    /// The text of the line a span starts on (trimmed), for baseline fingerprints.
    pub fn line_text(&mut self, span: Span) -> String {
        let mut line = String::new();
        self.with_line_text(span, |t| line.push_str(t));
        line
    }

    /// Calls `f` with [`Texts::line_text`] of `span`, copied only when not valid UTF-8.
    pub fn with_line_text(&mut self, span: Span, f: impl FnOnce(&str)) {
        match self.text(span) {
            Some(t) => f(String::from_utf8_lossy(t.line_bytes(span.offset as usize)).trim()),
            None => f(""),
        }
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

fn build(d: &Diagnostic, texts: &mut Texts) -> Report {
    let primary = d.primary_span();
    let mut src = None;
    let mut labels = Vec::new();
    let mut related = Vec::new();
    if let Some(p) = primary {
        // Two hosts reading one file have two file ids for it: same path, same snippet.
        let primary_path = texts.path(p).to_string();
        let same = |texts: &Texts, s: Span| s.file == p.file || texts.path(s) == primary_path;
        let here: Vec<&kac_schema::Label> =
            d.labels.iter().filter(|l| same(texts, l.span)).collect();
        let name = texts.name(p);
        if let Some(t) = texts.text(p) {
            let len = t.len();
            let (mut lo, mut hi) = (len, 0);
            for l in &here {
                let off = (l.span.offset as usize).min(len);
                let ln = (l.span.len as usize).min(len - off);
                (lo, hi) = (lo.min(off), hi.max(off + ln));
                let msg = if l.message.is_empty() {
                    None
                } else {
                    Some(l.message.to_string())
                };
                labels.push(if l.primary {
                    LabeledSpan::new_primary_with_span(msg, (off, ln))
                } else {
                    LabeledSpan::new_with_span(msg, (off, ln))
                });
            }
            src = Some(Source::around(name, t, lo.min(hi), hi));
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
                    sub.message = l.message.to_string();
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
    let mut help: Vec<String> = d.help.iter().map(|h| h.to_string()).collect();
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
pub fn human(d: &Diagnostic, texts: &mut Texts, color: bool) -> String {
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
    pub fn render(&self, d: &Diagnostic, texts: &mut Texts) -> String {
        let report = build(d, texts);
        let mut out = String::new();
        if self.handler.render_report(&mut out, &report).is_err() {
            out = format!("{}: {} [{}]\n", d.severity.as_str(), d.message, d.code);
        }
        out
    }
}

/// Where a diagnostic is, as [`one_line`] shows it: `[HOST] FILE:LINE:COL` (as much as it has).
pub fn place(d: &Diagnostic, host: Option<&str>, texts: &mut Texts) -> String {
    let mut at = host.map(|h| format!("[{h}]")).unwrap_or_default();
    if let Some(s) = d.primary_span() {
        let (line, col) = texts.line_col(s);
        let sep = if at.is_empty() { "" } else { " " };
        at = format!("{at}{sep}{}:{line}:{col}", texts.name(s));
    }
    if at.is_empty() {
        at.push_str("(no location)");
    }
    at
}

/// One diagnostic on one line, rustc's short form: `FILE:LINE:COL: LEVEL[CODE]: MESSAGE`.
pub fn one_line(
    w: &mut dyn std::io::Write,
    d: &Diagnostic,
    host: Option<&str>,
    texts: &mut Texts,
) -> std::io::Result<()> {
    if let Some(h) = host {
        write!(w, "[{h}] ")?;
    }
    if let Some(s) = d.primary_span() {
        let (line, col) = texts.line_col(s);
        write!(w, "{}:{line}:{col}: ", texts.name(s))?;
    }
    writeln!(w, "{}[{}]: {}", d.severity.as_str(), d.code, d.message)
}

/// Serializes a shared string.
fn text<S: serde::Serializer>(s: &Arc<str>, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s)
}

fn applicability(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
    }
}

/// Writes `s` escaped as GitHub workflow command data (`%`, CR, LF; and `:`, `,` in a
/// property).
fn github_escaped(w: &mut dyn std::io::Write, s: &str, property: bool) -> std::io::Result<()> {
    let mut rest = s;
    // The escaped characters are ASCII: a byte search finds them (never inside a character).
    while let Some(i) = rest
        .bytes()
        .position(|c| matches!(c, b'%' | b'\r' | b'\n') || (property && matches!(c, b':' | b',')))
    {
        w.write_all(&rest.as_bytes()[..i])?;
        let esc = match rest.as_bytes()[i] {
            b'%' => "%25",
            b'\r' => "%0D",
            b'\n' => "%0A",
            b':' => "%3A",
            _ => "%2C",
        };
        w.write_all(esc.as_bytes())?;
        rest = &rest[i + 1..];
    }
    w.write_all(rest.as_bytes())
}

/// Writes a GitHub Actions workflow command for a diagnostic (the rule is the title;
/// secondary locations and the fix are named in the message).
pub fn github(
    w: &mut dyn std::io::Write,
    d: &Diagnostic,
    host: Option<&str>,
    texts: &mut Texts,
) -> std::io::Result<()> {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "notice",
    };
    write!(w, "::{level} ")?;
    if let Some(s) = d.primary_span() {
        let p = texts.position(s);
        w.write_all(b"file=")?;
        github_escaped(w, &p.file, true)?;
        write!(
            w,
            ",line={},col={},endLine={},endColumn={},",
            p.line, p.column, p.end_line, p.end_column
        )?;
    }
    w.write_all(b"title=")?;
    github_escaped(w, &d.code, true)?;
    write!(w, " ({})::", d.severity.as_str())?;
    if let Some(h) = host {
        w.write_all(b"[")?;
        github_escaped(w, h, false)?;
        w.write_all(b"] ")?;
    }
    github_escaped(w, &d.message, false)?;
    for l in d.labels.iter().filter(|l| !l.primary) {
        let (line, _) = texts.line_col(l.span);
        let name = texts.name(l.span);
        w.write_all(b"%0Asee ")?;
        github_escaped(w, &format!("{name}:{line}: {}", l.message), false)?;
    }
    if let Some(h) = &d.help {
        w.write_all(b"%0Ahelp: ")?;
        github_escaped(w, h, false)?;
    }
    if let Some(f) = fix_line(d) {
        w.write_all(b"%0A")?;
        github_escaped(w, &f, false)?;
    }
    w.write_all(b"\n")
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "note",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: u32,
    start_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
    byte_offset: u32,
    byte_length: u32,
}

#[derive(Serialize)]
struct SarifUri {
    #[serde(serialize_with = "text")]
    uri: Arc<str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifPhysical {
    artifact_location: SarifUri,
    region: SarifRegion,
}

#[derive(Serialize)]
struct SarifText<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: SarifPhysical,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<SarifText<'a>>,
}

impl SarifLocation<'_> {
    fn new<'a>(texts: &mut Texts, s: Span, message: Option<&'a str>) -> SarifLocation<'a> {
        let p = texts.position(s);
        SarifLocation {
            id: None,
            physical_location: SarifPhysical {
                artifact_location: SarifUri { uri: p.file },
                region: SarifRegion {
                    start_line: p.line,
                    start_column: p.column,
                    end_line: Some(p.end_line),
                    end_column: Some(p.end_column),
                    byte_offset: s.offset,
                    byte_length: s.len,
                },
            },
            message: message
                .filter(|m| !m.is_empty())
                .map(|text| SarifText { text }),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifReplacement<'a> {
    deleted_region: SarifRegion,
    inserted_content: SarifText<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifChange<'a> {
    artifact_location: SarifUri,
    replacements: Vec<SarifReplacement<'a>>,
}

#[derive(Serialize)]
struct SarifFixProperties {
    applicability: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: SarifText<'a>,
    artifact_changes: Vec<SarifChange<'a>>,
    properties: SarifFixProperties,
}

#[derive(Serialize)]
struct SarifHost<'a> {
    host: &'a str,
}

#[derive(Serialize)]
struct SarifFingerprint {
    #[serde(rename = "kacFinding/v1", serialize_with = "displayed")]
    kac: crate::baseline::Hash,
}

/// Serializes a value as the string it displays as (written as it is formatted).
fn displayed<T: fmt::Display, S: serde::Serializer>(v: &T, ser: S) -> Result<S::Ok, S::Error> {
    ser.collect_str(v)
}

/// A result's message: the diagnostic's, and its help on a line of its own.
struct MessageAndHelp<'a>(&'a str, Option<&'a str>);

impl fmt::Display for MessageAndHelp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        if let Some(h) = self.1 {
            f.write_str("\nhelp: ")?;
            f.write_str(h)?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct SarifMessage<'a> {
    #[serde(serialize_with = "displayed")]
    text: MessageAndHelp<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: SarifMessage<'a>,
    locations: Vec<SarifLocation<'a>>,
    partial_fingerprints: SarifFingerprint,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<SarifHost<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
}

/// A SARIF 2.1.0 log written one result at a time: [`Sarif::result`] for each finding, then
/// [`Sarif::finish`] writes the rules the results named (with their documentation and default
/// level) after them, so no finding is held.
#[derive(Default)]
pub struct Sarif {
    /// The rules named so far, in the order first named (a few: a linear search is cheaper
    /// than hashing the code of every finding).
    rules: Vec<String>,
}

impl Sarif {
    /// Writes the start of the log.
    pub fn start(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        write!(
            w,
            "{{\"version\":\"2.1.0\",\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\
             \"runs\":[{{\"columnKind\":\"unicodeCodePoints\",\"results\":["
        )
    }

    /// Appends one result to `w`: rule, level, the primary and related locations, fixes
    /// (artifact changes with byte regions), the host (as a property) and a line-independent
    /// fingerprint.
    pub fn result(
        &mut self,
        w: &mut Vec<u8>,
        d: &Diagnostic,
        host: Option<&str>,
        fingerprint: crate::baseline::Hash,
        texts: &mut Texts,
    ) -> std::io::Result<()> {
        let rule_index = match self.rules.iter().position(|r| *r == d.code) {
            Some(i) => i,
            None => {
                self.rules.push(d.code.to_string());
                self.rules.len() - 1
            }
        };
        let fixes = d
            .fix
            .iter()
            .map(|f| {
                let mut changes: Vec<SarifChange<'_>> = Vec::new();
                for e in &f.edits {
                    let uri = texts.name(e.span);
                    let (line, col) = texts.line_col(e.span);
                    let rep = SarifReplacement {
                        deleted_region: SarifRegion {
                            start_line: line,
                            start_column: col,
                            end_line: None,
                            end_column: None,
                            byte_offset: e.span.offset,
                            byte_length: e.span.len,
                        },
                        inserted_content: SarifText {
                            text: &e.replacement,
                        },
                    };
                    match changes.iter_mut().find(|c| c.artifact_location.uri == uri) {
                        Some(c) => c.replacements.push(rep),
                        None => changes.push(SarifChange {
                            artifact_location: SarifUri { uri },
                            replacements: vec![rep],
                        }),
                    }
                }
                SarifFix {
                    description: SarifText { text: &f.message },
                    artifact_changes: changes,
                    properties: SarifFixProperties {
                        applicability: applicability(f.applicability),
                    },
                }
            })
            .collect();
        let r = SarifResult {
            rule_id: &d.code,
            rule_index,
            level: sarif_level(d.severity),
            message: SarifMessage {
                text: MessageAndHelp(&d.message, d.help.as_deref()),
            },
            locations: d
                .primary_span()
                .map(|s| vec![SarifLocation::new(texts, s, None)])
                .unwrap_or_default(),
            partial_fingerprints: SarifFingerprint { kac: fingerprint },
            related_locations: d
                .labels
                .iter()
                .filter(|l| !l.primary)
                .enumerate()
                .map(|(i, l)| {
                    let mut loc = SarifLocation::new(texts, l.span, Some(&l.message));
                    loc.id = Some(i);
                    loc
                })
                .collect(),
            properties: host.map(|host| SarifHost { host }),
            fixes,
        };
        serde_json::to_writer(w, &r).map_err(std::io::Error::other)
    }

    /// Writes the end of the log: the tool and the rules the results named.
    pub fn finish(self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let rule_objects: Vec<serde_json::Value> = self
            .rules
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
        let tool = serde_json::json!({"driver": {"name": "kac", "version": env!("CARGO_PKG_VERSION"),
            "informationUri": "https://example.invalid/kac", "rules": rule_objects}});
        write!(w, "\n],\"tool\":")?;
        serde_json::to_writer(&mut *w, &tool).map_err(std::io::Error::other)?;
        writeln!(w, "}}]}}")
    }
}
