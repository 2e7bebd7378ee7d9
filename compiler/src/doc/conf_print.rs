//! Writing a [`Doc`] as keepalived.conf text.
//!
//! This printer is also how KDL and YAML are compiled: the document is printed, and the printed
//! text goes through the keepalived.conf preprocessor and keyword tables like any other file, so
//! every format means exactly what its keepalived.conf means. [`SpanMap`] records where each
//! printed word came from, so diagnostics point into the KDL or YAML source.
//!
//! What keepalived.conf cannot say is reported ([`codes::NOT_REPRESENTABLE`]): a word with a `"`
//! (keepalived has no escape for it outside scripts), a keyword that is a definition reference,
//! a multi-line definition under a host condition (keepalived would read its continuation lines
//! on the other hosts).

use kac_schema::doc::shape::{Context, Kind, shapes};
use kac_schema::doc::{Body, Comment, Def, DefValue, Doc, Item, ItemKind, Repeat, Stmt, Word};
use kac_schema::{Diagnostic, Span};

use super::codes;
use crate::conf::preproc::MAX_LINE;

/// Where each printed word and line came from.
#[derive(Debug, Default, Clone)]
pub struct SpanMap {
    /// (start, end) of a printed word in the text and the span it was written at.
    words: Vec<(u32, u32, Span)>,
    /// (start, end) of a printed line and the span of the item it belongs to.
    lines: Vec<(u32, u32, Span)>,
}

impl SpanMap {
    /// The source span of printed bytes `start..end`: the words they cover, else the item of
    /// the line they are on.
    pub fn translate(&self, start: u32, end: u32) -> Option<Span> {
        let i = self.words.partition_point(|w| w.1 <= start);
        let mut out: Option<Span> = None;
        for w in &self.words[i..] {
            if w.0 >= end.max(start + 1) {
                break;
            }
            out = Some(match out {
                Some(s) => s.to(w.2),
                None => w.2,
            });
        }
        if out.is_some() {
            return out;
        }
        let l = self.lines.partition_point(|l| l.1 < start);
        self.lines
            .get(l)
            .filter(|l| l.0 <= start)
            .or(self.lines.last())
            .map(|l| l.2)
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// The printed text, its span map and what could not be printed.
#[derive(Debug, Default)]
pub struct Printed {
    /// keepalived.conf text.
    pub text: String,
    /// Where its words came from.
    pub map: SpanMap,
    /// What keepalived.conf cannot say.
    pub diagnostics: Vec<Diagnostic>,
}

/// Prints `doc` as keepalived.conf.
pub fn print(doc: &Doc) -> Printed {
    let mut p = Printer {
        out: Printed::default(),
        prefix: Vec::new(),
        template: 0,
        taken: def_names(doc),
        in_def: 0,
        hoisted: Vec::new(),
    };
    p.body(&doc.body, 0, Context::Unknown, top_context());
    p.out
}

fn top_context() -> Context<'static> {
    shapes().top().map_or(Context::Unknown, Context::Block)
}

fn def_names(doc: &Doc) -> std::collections::HashSet<String> {
    let mut names = std::collections::HashSet::new();
    doc.body.walk(&mut |i| {
        if let ItemKind::Def(d) = &i.kind {
            names.insert(d.name.text.clone());
        }
    });
    names
}

/// A line being built: its text and the words recorded in it.
struct LineBuf {
    text: String,
    words: Vec<(u32, u32, Span)>,
}

impl LineBuf {
    fn new(indent: usize) -> Self {
        LineBuf {
            text: " ".repeat(indent * 4),
            words: Vec::new(),
        }
    }

    fn word(&mut self, text: &str, span: Span) {
        if !self.text.ends_with(' ') && !self.text.is_empty() {
            self.text.push(' ');
        }
        let start = self.text.len() as u32;
        self.text.push_str(text);
        self.words.push((start, self.text.len() as u32, span));
    }
}

struct Printer {
    out: Printed,
    /// Host conditions of the enclosing `When`s (their markers and spans).
    prefix: Vec<(String, Span)>,
    template: usize,
    taken: std::collections::HashSet<String>,
    /// Depth of multi-line definition bodies being printed.
    in_def: usize,
    /// Definitions synthesized inside a definition body, printed before it.
    hoisted: Vec<String>,
}

impl Printer {
    fn err(&mut self, span: Span, msg: String, label: &'static str, help: &'static str) {
        self.out.diagnostics.push(
            Diagnostic::error(codes::NOT_REPRESENTABLE, msg)
                .with_primary(span, label)
                .with_help(help),
        );
    }

    fn comments(&mut self, comments: &[Comment], indent: usize) {
        for c in comments {
            for line in c.text.split('\n') {
                let pad = " ".repeat(indent * 4);
                // keepalived reads at most 1023 bytes of a line: longer comments are cut into
                // several comment lines.
                let mut rest = line.trim_end();
                loop {
                    let room = MAX_LINE.saturating_sub(pad.len() + 1).max(1);
                    let mut cut = rest.len().min(room);
                    while !rest.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    let s = format!("{pad}#{}", &rest[..cut]);
                    self.emit_raw(&s);
                    rest = &rest[cut..];
                    if rest.is_empty() {
                        break;
                    }
                }
            }
            if c.blank_after {
                self.emit_raw("");
            }
        }
    }

    /// A line without recorded words (comments, blank lines).
    fn emit_raw(&mut self, s: &str) {
        if self.in_def > 0 {
            // Comments cannot sit inside a multi-line definition: keepalived would end it there.
            return;
        }
        self.out.text.push_str(s);
        self.out.text.push('\n');
    }

    fn emit(&mut self, mut line: LineBuf, span: Span, trailing: Option<&Comment>) {
        let mut trailing = trailing.filter(|_| self.in_def == 0);
        // keepalived cuts lines after 1023 bytes: drop the indentation (it means nothing),
        // then put a trailing comment on its own line, before giving up.
        if line.text.len() > MAX_LINE {
            let pad = line.text.len() - line.text.trim_start().len();
            line.text.drain(..pad);
            for w in &mut line.words {
                w.0 -= pad as u32;
                w.1 -= pad as u32;
            }
        }
        if let Some(c) = trailing
            && line.text.len() + 3 + c.text.trim_end().len() > MAX_LINE
        {
            self.comments(std::slice::from_ref(c), 0);
            trailing = None;
        }
        if line.text.len() > MAX_LINE {
            self.err(
                span,
                format!("statement longer than keepalived's {MAX_LINE}-byte line"),
                "keepalived would cut this line in two",
                "shorten its values",
            );
        }
        let base = self.out.text.len() as u32;
        self.out.text.push_str(&line.text);
        if let Some(c) = trailing {
            self.out.text.push_str("  #");
            self.out.text.push_str(c.text.trim_end());
        }
        let end = self.out.text.len() as u32;
        self.out.text.push('\n');
        for (s, e, sp) in line.words {
            self.out.map.words.push((base + s, base + e, sp));
        }
        self.out.map.lines.push((base, end, span));
    }

    /// A new line with the current host conditions written first.
    fn line(&self, indent: usize) -> LineBuf {
        let mut l = LineBuf::new(indent);
        for (m, sp) in &self.prefix {
            l.word(m, *sp);
        }
        l
    }

    fn body(&mut self, body: &Body, indent: usize, ctx: Context<'_>, _top: Context<'_>) {
        for (i, item) in body.items.iter().enumerate() {
            if item.blank_before && i > 0 {
                self.emit_raw("");
            }
            self.item(item, indent, ctx);
        }
        self.comments(&body.end_comments, indent);
    }

    fn item(&mut self, item: &Item, indent: usize, ctx: Context<'_>) {
        self.comments(&item.comments, indent);
        match &item.kind {
            ItemKind::Stmt(s) => self.stmt(s, item, indent, ctx),
            ItemKind::When(w) => {
                self.prefix.push((w.cond.marker(), w.cond_span));
                match (&item.trailing, w.body.items.as_slice()) {
                    // The condition's comment ends its (first) line.
                    (Some(t), [first, rest @ ..]) if first.trailing.is_none() => {
                        let mut first = first.clone();
                        first.trailing = Some(t.clone());
                        self.item(&first, indent, ctx);
                        for i in rest {
                            self.item(i, indent, ctx);
                        }
                        self.comments(&w.body.end_comments, indent);
                    }
                    (t, _) => {
                        if let Some(t) = t
                            && self.in_def == 0
                        {
                            self.comments(std::slice::from_ref(t), indent);
                        }
                        self.body(&w.body, indent, ctx, ctx);
                    }
                }
                self.prefix.pop();
            }
            ItemKind::Def(d) => self.def(d, item, indent, ctx),
            ItemKind::Use(name) => {
                let mut l = self.line(indent);
                l.word(&format!("${}", name.text), name.span);
                self.emit(l, item.span, item.trailing.as_ref());
            }
            ItemKind::Repeat(r) => self.repeat(r, item, indent, ctx),
            ItemKind::Include(i) => {
                let mut l = self.line(indent);
                l.word(&i.keyword.text, i.keyword.span);
                // keepalived takes an include pattern as written: quotes would be part of it.
                if i.pattern.text.is_empty()
                    || i.pattern
                        .text
                        .contains(|c: char| c.is_whitespace() || matches!(c, '#' | '!' | '"'))
                {
                    self.err(
                        i.pattern.span,
                        format!(
                            "include pattern `{}` cannot be written in keepalived.conf",
                            i.pattern.text
                        ),
                        "keepalived reads the pattern up to a blank or a comment",
                        "use a pattern without blanks, `#`, `!` or `\"`",
                    );
                }
                l.word(&i.pattern.text, i.pattern.span);
                self.emit(l, item.span, item.trailing.as_ref());
            }
        }
    }

    fn stmt(&mut self, s: &Stmt, item: &Item, indent: usize, ctx: Context<'_>) {
        let kw = &s.keyword.text;
        let shape = shapes().lookup(ctx, kw);
        let script = shape.is_some_and(|k| k.kind == Kind::Script);
        let mut l = self.line(indent);
        let first = self.ordinary_first(&s.keyword);
        l.word(&first, s.keyword.span);
        for a in &s.args {
            let w = if script {
                script_quote(&a.text)
            } else {
                self.ordinary(a)
            };
            l.word(&w, a.span);
        }
        match &s.body {
            None => self.emit(l, item.span, item.trailing.as_ref()),
            Some(body) => {
                l.word("{", s.keyword.span);
                self.emit(l, item.span, item.trailing.as_ref());
                let inner = shapes().inner(shape);
                self.body(body, indent + 1, inner, inner);
                let mut close = self.line(indent);
                close.word("}", s.keyword.span);
                self.emit(close, item.span, None);
            }
        }
    }

    fn def(&mut self, d: &Def, item: &Item, indent: usize, ctx: Context<'_>) {
        let name = &d.name.text;
        match &d.value {
            DefValue::Text(v) => {
                if v.text.contains('\n') || v.text.ends_with('\\') {
                    self.err(
                        v.span,
                        format!("the value of `${name}` cannot be written on one line"),
                        "a line break or a trailing `\\`",
                        "write a block definition instead",
                    );
                }
                let mut l = LineBuf::new(indent);
                for (m, sp) in &self.prefix {
                    l.word(m, *sp);
                }
                let head = format!("${name}=");
                l.word(&head, d.name.span);
                // The value follows `=` directly: no blank in between matters to keepalived,
                // but keep it attached for readability.
                let start = l.text.len() as u32;
                l.text.push_str(&escape_comment_chars(&v.text));
                l.words.push((start, l.text.len() as u32, v.span));
                self.emit(l, item.span, item.trailing.as_ref());
            }
            DefValue::Block(body) => {
                if !self.prefix.is_empty() {
                    self.err(
                        d.name.span,
                        format!("multi-line definition `${name}` under a host condition"),
                        "keepalived.conf cannot make it conditional",
                        "define it unconditionally; keepalived would read its continuation lines on the other hosts",
                    );
                }
                let lines = self.def_lines(body, ctx);
                self.emit_def(name, d.name.span, item, indent, lines);
            }
        }
    }

    /// The lines of a definition body, printed flat (comments dropped; they cannot sit there).
    fn def_lines(&mut self, body: &Body, ctx: Context<'_>) -> Printed {
        let saved = std::mem::take(&mut self.out);
        let prefix = std::mem::take(&mut self.prefix);
        self.in_def += 1;
        self.body(body, 0, ctx, ctx);
        self.in_def -= 1;
        self.prefix = prefix;
        std::mem::replace(&mut self.out, saved)
    }

    /// `$NAME=first \` + continuation lines, with the span map of the body lines moved over.
    fn emit_def(&mut self, name: &str, name_span: Span, item: &Item, indent: usize, body: Printed) {
        if self.in_def == 0 {
            for h in std::mem::take(&mut self.hoisted) {
                self.out.text.push_str(&h);
            }
        }
        self.out.diagnostics.extend(body.diagnostics);
        let lines: Vec<&str> = body.text.lines().collect();
        let mut text = String::new();
        let indent_s = " ".repeat(indent * 4);
        // Offsets: where each body line lands in `text`.
        let mut moved: Vec<(u32, u32, i64)> = Vec::new();
        let head = format!("{indent_s}${name}=");
        text.push_str(&head);
        let mut src_at = 0u32;
        for (i, line) in lines.iter().enumerate() {
            let at = text.len() as u32;
            if i > 0 {
                text.push_str(&indent_s);
            }
            let content_at = text.len() as u32;
            text.push_str(line);
            moved.push((
                src_at,
                src_at + line.len() as u32,
                i64::from(content_at) - i64::from(src_at),
            ));
            let _ = at;
            src_at += line.len() as u32 + 1;
            if i + 1 < lines.len() {
                text.push_str(" \\\n");
            }
        }
        if let Some(c) = &item.trailing
            && self.in_def == 0
            && lines.len() <= 1
        {
            text.push_str("  #");
            text.push_str(c.text.trim_end());
        }
        text.push('\n');
        if self.in_def > 0 {
            // A definition inside a definition body: keepalived cannot nest them; print it
            // before the outermost one (definitions are global and expanded lazily).
            self.hoisted.push(text);
            return;
        }
        let base = self.out.text.len() as u32;
        self.out.text.push_str(&text);
        let shift = |pos: u32| -> Option<u32> {
            moved
                .iter()
                .find(|(s, e, _)| pos >= *s && pos <= *e)
                .map(|(_, _, d)| (i64::from(pos) + d) as u32 + base)
        };
        self.out.map.words.push((
            base + indent_s.len() as u32,
            base + head.len() as u32,
            name_span,
        ));
        for (s, e, sp) in body.map.words {
            if let (Some(s), Some(e)) = (shift(s), shift(e)) {
                self.out.map.words.push((s, e, sp));
            }
        }
        self.out.map.words.sort_by_key(|w| w.0);
        self.out
            .map
            .lines
            .push((base, base + text.len() as u32 - 1, item.span));
    }

    fn repeat(&mut self, r: &Repeat, item: &Item, indent: usize, ctx: Context<'_>) {
        let mut head = self.line(indent);
        let params: Vec<&str> = r.params.iter().map(|w| w.text.as_str()).collect();
        let spec = format!("{}({})", r.kind.marker(), params.join(", "));
        let span = r.params.iter().fold(item.span, |acc, w| {
            if w.span.file == acc.file {
                acc.to(w.span)
            } else {
                acc
            }
        });
        head.word(&spec, span);
        // One item that prints as one line follows the sequence on its line.
        let single = match r.body.items.as_slice() {
            [one] => one_line(one),
            _ => false,
        };
        if single {
            let inner = self.def_lines(&r.body, ctx);
            self.out.diagnostics.extend(inner.diagnostics);
            let text = inner.text.trim_end_matches('\n').trim_start();
            let lead = inner.text.len() - inner.text.trim_start().len();
            let start = head.text.len() as u32 + 1;
            head.text.push(' ');
            head.text.push_str(text);
            for (s, e, sp) in inner.map.words {
                let (s, e) = (s.saturating_sub(lead as u32), e.saturating_sub(lead as u32));
                head.words.push((start + s, start + e, sp));
            }
            self.emit(head, item.span, item.trailing.as_ref());
            return;
        }
        // Otherwise the body becomes a multi-line definition the sequence expands.
        self.template += 1;
        let mut name = format!("KAC_REPEAT_{}", self.template);
        while self.taken.contains(&name) {
            self.template += 1;
            name = format!("KAC_REPEAT_{}", self.template);
        }
        self.taken.insert(name.clone());
        let lines = self.def_lines(&r.body, ctx);
        let def_item = Item::new(ItemKind::Use(Word::new(name.clone(), item.span)), item.span);
        let prefix = std::mem::take(&mut self.prefix);
        self.emit_def(&name, item.span, &def_item, indent, lines);
        self.prefix = prefix;
        let mut head = self.line(indent);
        head.word(&spec, span);
        head.word(&format!("${name}"), item.span);
        self.emit(head, item.span, item.trailing.as_ref());
    }

    /// A word of an ordinary keyword line, quoted when keepalived would otherwise split or
    /// cut it.
    fn ordinary(&mut self, w: &Word) -> String {
        if w.text.contains('"') || w.text.contains('\n') {
            self.err(
                w.span,
                format!("`{}` cannot be written in keepalived.conf", w.text),
                "keepalived.conf has no way to write a `\"` or a line break in a word",
                "remove the quote character",
            );
            return format!("\"{}\"", w.text.replace(['"', '\n'], " "));
        }
        if needs_quotes(&w.text) {
            if w.text.ends_with('\\') {
                self.err(
                    w.span,
                    format!("`{}` cannot be written in keepalived.conf", w.text),
                    "a quoted word cannot end with `\\`",
                    "remove the backslash",
                );
            }
            format!("\"{}\"", w.text)
        } else {
            w.text.clone()
        }
    }

    /// The first word of a line: also quoted when keepalived would read the line as a host
    /// condition, a definition or a sequence.
    fn ordinary_first(&mut self, w: &Word) -> String {
        let s = self.ordinary(w);
        if kac_schema::doc::INCLUDE_KEYWORDS.contains(&w.text.as_str()) {
            self.err(
                w.span,
                format!(
                    "a statement cannot start with `{}` in keepalived.conf",
                    w.text
                ),
                "read as an include there",
                "this statement cannot be written in keepalived.conf",
            );
        }
        if !s.starts_with('"')
            && (s.starts_with('@')
                || s.starts_with("~SEQ")
                || s.starts_with("~LST")
                || looks_like_definition(&s))
        {
            return format!("\"{s}\"");
        }
        s
    }
}

/// Whether keepalived would read a line starting with `s` as a definition (`$NAME=`).
pub fn looks_like_definition(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('$') else {
        return false;
    };
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    name_len > 0
        && rest.as_bytes()[0].is_ascii_alphabetic() | (rest.as_bytes()[0] == b'_')
        && rest.as_bytes().get(name_len) == Some(&b'=')
}

/// Whether an item prints as exactly one line.
fn one_line(item: &Item) -> bool {
    match &item.kind {
        ItemKind::Stmt(s) => s.body.is_none(),
        ItemKind::Use(_) | ItemKind::Include(_) => true,
        ItemKind::Def(d) => matches!(d.value, DefValue::Text(_)),
        ItemKind::When(w) => matches!(w.body.items.as_slice(), [one] if one_line(one)),
        ItemKind::Repeat(r) => matches!(r.body.items.as_slice(), [one] if one_line(one)),
    }
}

/// Whether keepalived's ordinary tokenizer needs `"…"` around a word (the braces of a
/// `${NAME}` reference are fine: keepalived expands it before it looks for braces).
pub fn needs_quotes(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => match s[i..].find('}') {
                Some(close) => {
                    i += close + 1;
                    continue;
                }
                None => return true,
            },
            b' ' | b'\t' | b'#' | b'!' | b'{' | b'}' | 0x0b | 0x0c | b'\r' => return true,
            _ => {}
        }
        i += 1;
    }
    s.is_empty()
}

/// A word of a script keyword: keepalived's script tokenizer takes `"…"` with backslash
/// escapes, so any text can be written.
pub fn script_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.bytes().any(|b| {
            matches!(
                b,
                b' ' | b'\t'
                    | b'#'
                    | b'!'
                    | b'{'
                    | b'}'
                    | b'\\'
                    | b'"'
                    | b'\''
                    | b'\n'
                    | b'\r'
                    | 0x0b
                    | 0x0c
            )
        });
    if plain {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `#` and `!` outside double quotes would start a comment: escape them.
fn escape_comment_chars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quote = false;
    for c in s.chars() {
        match c {
            '"' => {
                quote = !quote;
                out.push(c);
            }
            '#' | '!' if !quote => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}
