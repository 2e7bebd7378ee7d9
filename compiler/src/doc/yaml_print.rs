//! Writing a [`Doc`] in the canonical YAML form (docs/formats.md).
//!
//! Two spaces per level. A body is a block mapping; when a key would repeat (the same keyword
//! twice, two `@lb1` groups) it becomes a list of mappings, split where the repeat starts, so
//! the order of the statements is kept. Consecutive single-statement host conditions on the
//! same leaf keyword become a per-host value (`priority: {"@lb1": 150, "@lb2": 100}`).
//! Scalars are plain unless YAML would read them differently; comments are `#` lines before
//! their key and `#` after it on its line.

use kac_schema::doc::shape::{Arity, Context, Kind, Ty, shapes};
use kac_schema::doc::{Body, Comment, DefValue, Doc, Item, ItemKind, Stmt, Word};
use kac_schema::{Diagnostic, Span};

use super::codes;
use super::structure::present;

/// Lines longer than this put a statement's named values in a block mapping.
const FLOW_WIDTH: usize = 100;

/// Prints `doc` as YAML, with what YAML cannot say.
pub fn print(doc: &Doc) -> (String, Vec<Diagnostic>) {
    let mut p = P {
        out: String::new(),
        diags: Vec::new(),
    };
    let top = shapes().top().map_or(Context::Unknown, Context::Block);
    p.body(&doc.body, 0, top);
    if p.out.is_empty() {
        p.out.push_str("{}\n");
    }
    (p.out, p.diags)
}

/// One `KEY: VALUE` of a mapping, rendered.
struct Entry {
    blank: bool,
    key: String,
    comments: Vec<Comment>,
    trailing: Option<String>,
    value: Rendered,
}

/// A rendered value: inline (after `KEY: `) or a block (on the following lines).
enum Rendered {
    Inline(String),
    /// Lines relative to the key's indentation + 1 level.
    Block(Vec<String>),
}

struct P {
    out: String,
    diags: Vec<Diagnostic>,
}

impl P {
    fn err(&mut self, at: Span, what: String) {
        self.diags.push(
            Diagnostic::error(codes::NOT_REPRESENTABLE, what)
                .with_primary(at, "here")
                .with_help("this keepalived.conf line has no YAML form"),
        );
    }

    /// Writes a body at `indent` (spaces = 2 × indent).
    fn body(&mut self, b: &Body, indent: usize, ctx: Context<'_>) {
        let lines = self.body_lines(b, ctx);
        for l in lines {
            if l.is_empty() {
                self.out.push('\n');
            } else {
                self.out.push_str(&"  ".repeat(indent));
                self.out.push_str(&l);
                self.out.push('\n');
            }
        }
    }

    /// The lines of a body (indentation relative to it).
    fn body_lines(&mut self, b: &Body, ctx: Context<'_>) -> Vec<String> {
        let entries = self.entries(&b.items, ctx);
        // Split into chunks where a key repeats.
        let mut chunks: Vec<Vec<Entry>> = vec![Vec::new()];
        for e in entries {
            let last = chunks.last_mut().map(|c| c.iter().any(|x| x.key == e.key));
            if last == Some(true) {
                chunks.push(Vec::new());
            }
            if let Some(c) = chunks.last_mut() {
                c.push(e);
            }
        }
        let mut lines = Vec::new();
        if chunks.len() == 1 {
            for (i, e) in chunks.remove(0).into_iter().enumerate() {
                if e.blank && i > 0 {
                    lines.push(String::new());
                }
                emit(&e, &mut lines);
            }
        } else {
            for chunk in chunks {
                let mut inner = Vec::new();
                for e in chunk {
                    emit(&e, &mut inner);
                }
                // `- ` before the chunk's first line that is not a comment.
                let mut first = true;
                for l in inner {
                    if first && !l.starts_with('#') && !l.is_empty() {
                        lines.push(format!("- {l}"));
                        first = false;
                    } else {
                        lines.push(indented(&l));
                    }
                }
            }
        }
        for c in &b.end_comments {
            push_comment(c, &mut lines);
        }
        lines
    }

    /// The mapping entries of a body's items.
    fn entries(&mut self, items: &[Item], ctx: Context<'_>) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        let mut i = 0;
        while i < items.len() {
            // A run of host conditions on one leaf keyword: a per-host value.
            let run = per_host_run(&items[i..], ctx);
            if run >= 1 {
                out.extend(self.per_host(&items[i..i + run], ctx));
                i += run;
                continue;
            }
            // Consecutive includes with the same keyword: one list.
            if let ItemKind::Include(inc) = &items[i].kind {
                let mut n = 1;
                while let Some(ItemKind::Include(next)) = items.get(i + n).map(|x| &x.kind) {
                    if next.keyword != inc.keyword
                        || !items[i + n].comments.is_empty()
                        || items[i + n].trailing.is_some()
                    {
                        break;
                    }
                    n += 1;
                }
                let value = if n == 1 {
                    Rendered::Inline(scalar(&inc.pattern.text, None))
                } else {
                    let pats: Vec<String> = items[i..i + n]
                        .iter()
                        .filter_map(|x| match &x.kind {
                            ItemKind::Include(p) => Some(scalar(&p.pattern.text, None)),
                            _ => None,
                        })
                        .collect();
                    Rendered::Inline(format!("[{}]", pats.join(", ")))
                };
                out.push(Entry {
                    blank: items[i].blank_before,
                    key: inc.keyword.text.clone(),
                    comments: items[i].comments.clone(),
                    trailing: items[i + n - 1].trailing.as_ref().map(|c| c.text.clone()),
                    value,
                });
                i += n;
                continue;
            }
            if let Some(e) = self.entry(&items[i], ctx) {
                out.push(e);
            }
            i += 1;
        }
        out
    }

    fn entry(&mut self, item: &Item, ctx: Context<'_>) -> Option<Entry> {
        let (key, value) = match &item.kind {
            ItemKind::Stmt(s) => self.stmt(s, ctx)?,
            ItemKind::When(w) => {
                // A comment on the condition's line in keepalived.conf (`@lb2 authentication {
                // # …`) ends the line of the statement it conditions.
                if let (Some(t), Some(first)) = (&item.trailing, w.body.items.first())
                    && first.trailing.is_none()
                    && matches!(first.kind, ItemKind::Stmt(_))
                {
                    let mut body = w.body.clone();
                    body.items[0].trailing = Some(t.clone());
                    return Some(Entry {
                        blank: item.blank_before,
                        key: w.cond.marker(),
                        comments: item.comments.clone(),
                        trailing: None,
                        value: Rendered::Block(self.body_lines(&body, ctx)),
                    });
                }
                (
                    w.cond.marker(),
                    Rendered::Block(self.body_lines(&w.body, ctx)),
                )
            }
            ItemKind::Def(d) => (
                format!("${}", d.name.text),
                match &d.value {
                    DefValue::Text(v) => Rendered::Inline(scalar(&v.text, None)),
                    DefValue::Block(b) => Rendered::Block(self.body_lines(b, Context::Unknown)),
                },
            ),
            ItemKind::Use(n) => (format!("${}", n.text), Rendered::Inline("null".into())),
            ItemKind::Repeat(r) => {
                let mut key = r.kind.marker().to_string();
                for p in &r.params {
                    if p.text.contains(char::is_whitespace) || p.text.is_empty() {
                        self.err(p.span, format!("sequence value `{}` in a YAML key", p.text));
                    }
                    key.push(' ');
                    key.push_str(&p.text);
                }
                let value = match r.body.items.as_slice() {
                    [one] if matches!(one.kind, ItemKind::Use(_)) && one.comments.is_empty() => {
                        let ItemKind::Use(n) = &one.kind else {
                            return None;
                        };
                        Rendered::Inline(scalar(&format!("${}", n.text), None))
                    }
                    _ => Rendered::Block(self.body_lines(&r.body, ctx)),
                };
                (key, value)
            }
            ItemKind::Include(i) => (
                i.keyword.text.clone(),
                Rendered::Inline(scalar(&i.pattern.text, None)),
            ),
        };
        Some(Entry {
            blank: item.blank_before,
            key,
            comments: item.comments.clone(),
            trailing: item.trailing.as_ref().map(|c| c.text.clone()),
            value,
        })
    }

    /// A statement: its key (keyword, and a block's header words) and value.
    fn stmt(&mut self, s: &Stmt, ctx: Context<'_>) -> Option<(String, Rendered)> {
        if let Context::Entries(_) = ctx {
            // An entry outside a list cannot happen: value blocks print their entries as lists.
            return None;
        }
        let shape = shapes().lookup(ctx, &s.keyword.text);
        let kind = shape.map(|k| &k.kind);
        let mut key = s.keyword.text.clone();
        if special_key(&key) {
            self.err(
                s.keyword.span,
                format!("a statement cannot start with `{key}` in YAML"),
            );
        }
        match &s.body {
            Some(_) if matches!(kind, Some(Kind::Leaf | Kind::Flag | Kind::Script)) => {
                self.err(
                    s.keyword.span,
                    format!(
                        "`{}` is not a block, but a block follows it",
                        s.keyword.text
                    ),
                );
                None
            }
            Some(body) => {
                for w in &s.args {
                    if w.text.is_empty() || w.text.contains(char::is_whitespace) {
                        self.err(w.span, format!("`{}` in a YAML key", w.text));
                    }
                    key.push(' ');
                    key.push_str(&w.text);
                }
                let inner = shapes().inner(shape);
                let value = match (kind, inner) {
                    (Some(Kind::Values(_)), Context::Entries(_)) => {
                        if body.items.is_empty() && body.end_comments.is_empty() {
                            Rendered::Inline("[]".into())
                        } else {
                            Rendered::Block(self.entry_lines(body, inner))
                        }
                    }
                    _ => {
                        if body.items.is_empty() && body.end_comments.is_empty() {
                            Rendered::Inline("{}".into())
                        } else {
                            Rendered::Block(self.body_lines(body, inner))
                        }
                    }
                };
                Some((key, value))
            }
            None if matches!(kind, Some(Kind::Block(_) | Kind::Values(_))) => {
                // A block keyword without its block (keepalived reports it): the header in
                // the key, no value.
                for w in &s.args {
                    key.push(' ');
                    key.push_str(&w.text);
                }
                Some((key, Rendered::Inline("null".into())))
            }
            None => Some((key, leaf_value(shape.map(|k| (&k.kind, &k.args)), &s.args))),
        }
    }

    /// `K: {"@a": v, "@b": w}` from consecutive host conditions on leaf `K`; with comments,
    /// `"@a K": v` for each host (a statement per line, its comments with it, as in
    /// keepalived.conf).
    fn per_host(&mut self, items: &[Item], ctx: Context<'_>) -> Vec<Entry> {
        let mut key = String::new();
        let mut parts = Vec::new();
        let mut block = false;
        for it in items {
            let ItemKind::When(w) = &it.kind else {
                continue;
            };
            let Some(ItemKind::Stmt(s)) = w.body.items.first().map(|x| &x.kind) else {
                continue;
            };
            key.clone_from(&s.keyword.text);
            let shape = shapes().lookup(ctx, &s.keyword.text);
            let v = leaf_value(shape.map(|k| (&k.kind, &k.args)), &s.args);
            block |= !it.comments.is_empty() || it.trailing.is_some();
            parts.push((w.cond.marker(), v, it.comments.clone(), it.trailing.clone()));
        }
        let flow: Vec<String> = parts
            .iter()
            .filter_map(|(c, v, _, _)| match v {
                Rendered::Inline(v) => Some(format!("{}: {v}", scalar(c, None))),
                Rendered::Block(_) => None,
            })
            .collect();
        let one_line = format!("{{{}}}", flow.join(", "));
        let blank = items.first().is_some_and(|i| i.blank_before);
        if !block && flow.len() == parts.len() && one_line.len() + key.len() < FLOW_WIDTH {
            return vec![Entry {
                blank,
                key,
                comments: Vec::new(),
                trailing: None,
                value: Rendered::Inline(one_line),
            }];
        }
        if block {
            return parts
                .into_iter()
                .enumerate()
                .map(|(n, (c, v, comments, trailing))| Entry {
                    blank: blank && n == 0,
                    key: format!("{c} {key}"),
                    comments,
                    trailing: trailing.map(|t| t.text),
                    value: v,
                })
                .collect();
        }
        let mut lines = Vec::new();
        for (c, v, comments, trailing) in parts {
            emit(
                &Entry {
                    blank: false,
                    key: c,
                    comments,
                    trailing: trailing.map(|t| t.text),
                    value: v,
                },
                &mut lines,
            );
        }
        vec![Entry {
            blank,
            key,
            comments: Vec::new(),
            trailing: None,
            value: Rendered::Block(lines),
        }]
    }

    /// The entries of a value block, as list items.
    fn entry_lines(&mut self, b: &Body, ctx: Context<'_>) -> Vec<String> {
        let mut lines = Vec::new();
        for (i, item) in b.items.iter().enumerate() {
            if item.blank_before && i > 0 {
                lines.push(String::new());
            }
            for c in &item.comments {
                push_comment(c, &mut lines);
            }
            let trailing = item.trailing.as_ref().map(|c| c.text.clone());
            let v = self.entry_item(item, ctx);
            match v {
                Rendered::Inline(s) => {
                    lines.push(with_trailing(format!("- {s}"), trailing.as_deref()))
                }
                Rendered::Block(inner) => {
                    let mut first = true;
                    for l in inner {
                        if first {
                            lines.push(with_trailing(format!("- {l}"), trailing.as_deref()));
                            first = false;
                        } else {
                            lines.push(indented(&l));
                        }
                    }
                }
            }
        }
        for c in &b.end_comments {
            push_comment(c, &mut lines);
        }
        lines
    }

    /// One list item of a value block.
    fn entry_item(&mut self, item: &Item, ctx: Context<'_>) -> Rendered {
        let shape = match ctx {
            Context::Entries(e) => Some(&e.args),
            _ => None,
        };
        match &item.kind {
            ItemKind::Stmt(s) => {
                let mut words: Vec<Word> = vec![s.keyword.clone()];
                words.extend(s.args.iter().cloned());
                entry_value(shape, &words)
            }
            ItemKind::When(w) => {
                let key = scalar(&w.cond.marker(), None);
                match w.body.items.as_slice() {
                    [one] if one.comments.is_empty() => match self.entry_item(one, ctx) {
                        Rendered::Inline(v) => Rendered::Inline(format!("{{{key}: {v}}}")),
                        Rendered::Block(lines) => {
                            let mut out = vec![format!("{key}:")];
                            out.extend(lines.into_iter().map(|l| indented(&l)));
                            Rendered::Block(out)
                        }
                    },
                    _ => {
                        // Several entries under one condition: one condition per entry.
                        self.err(
                            item.span,
                            "several entries under one host condition in a list".into(),
                        );
                        Rendered::Inline("null".into())
                    }
                }
            }
            ItemKind::Repeat(r) => {
                let mut key = r.kind.marker().to_string();
                for p in &r.params {
                    key.push(' ');
                    key.push_str(&p.text);
                }
                let mut out = vec![format!("{}:", scalar(&key, None))];
                let inner = self.entry_lines(&r.body, ctx);
                out.extend(inner.into_iter().map(|l| indented(&l)));
                Rendered::Block(out)
            }
            ItemKind::Use(n) => Rendered::Inline(format!(
                "{{{}: null}}",
                scalar(&format!("${}", n.text), None)
            )),
            ItemKind::Include(i) => Rendered::Inline(format!(
                "{{{}: {}}}",
                i.keyword.text,
                scalar(&i.pattern.text, None)
            )),
            ItemKind::Def(d) => match &d.value {
                DefValue::Text(v) => Rendered::Inline(format!(
                    "{{{}: {}}}",
                    scalar(&format!("${}", d.name.text), None),
                    scalar(&v.text, None)
                )),
                DefValue::Block(b) => {
                    let mut out = vec![format!("{}:", scalar(&format!("${}", d.name.text), None))];
                    let inner = self.body_lines(b, Context::Unknown);
                    out.extend(inner.into_iter().map(|l| indented(&l)));
                    Rendered::Block(out)
                }
            },
        }
    }
}

/// The length of the run of single-statement conditions on one leaf keyword `items` start with.
fn per_host_run(items: &[Item], ctx: Context<'_>) -> usize {
    let leaf_kw = |it: &Item| -> Option<String> {
        let ItemKind::When(w) = &it.kind else {
            return None;
        };
        let [one] = w.body.items.as_slice() else {
            return None;
        };
        if !one.comments.is_empty() || one.trailing.is_some() || !w.body.end_comments.is_empty() {
            return None;
        }
        let ItemKind::Stmt(s) = &one.kind else {
            return None;
        };
        if s.body.is_some() || matches!(ctx, Context::Entries(_)) {
            return None;
        }
        match shapes().lookup(ctx, &s.keyword.text).map(|k| &k.kind) {
            Some(Kind::Leaf | Kind::Flag | Kind::Script) | None => Some(s.keyword.text.clone()),
            _ => None,
        }
    };
    let Some(kw) = items.first().and_then(leaf_kw) else {
        return 0;
    };
    let mut conds: Vec<String> = Vec::new();
    let mut n = 0;
    for it in items {
        if leaf_kw(it).as_deref() != Some(kw.as_str()) {
            break;
        }
        let ItemKind::When(w) = &it.kind else { break };
        let m = w.cond.marker();
        if conds.contains(&m) {
            break;
        }
        conds.push(m);
        n += 1;
    }
    n
}

/// A leaf's value: `true` for a flag, one word, a list of words, or a mapping of named
/// parameters and options.
fn leaf_value(shape: Option<(&Kind, &kac_schema::doc::shape::Args)>, words: &[Word]) -> Rendered {
    let (kind, args) = match shape {
        Some((k, a)) => (Some(k), Some(a)),
        None => (None, None),
    };
    if words.is_empty() {
        let bool_param = args.is_some_and(|a| {
            matches!(a.params.first(), Some(p) if p.ty == Ty::Bool && p.arity == Arity::Optional)
        });
        return Rendered::Inline(if kind == Some(&Kind::Flag) || bool_param {
            "true".into()
        } else {
            "[]".into()
        });
    }
    let pres = present(args, words);
    if pres.options.is_empty() {
        let tys = args.map(|a| &a.params);
        let ty_of = |i: usize| {
            tys.and_then(|p| p.get(i.min(p.len().saturating_sub(1))))
                .map(|p| &p.ty)
        };
        if words.len() == 1 {
            return Rendered::Inline(scalar(&words[0].text, ty_of(0)));
        }
        let vals: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| scalar(&w.text, ty_of(i)))
            .collect();
        return Rendered::Inline(format!("[{}]", vals.join(", ")));
    }
    named_value(args, &pres)
}

/// An entry of a value block: one word, a list of words, or a mapping.
fn entry_value(shape: Option<&kac_schema::doc::shape::Args>, words: &[Word]) -> Rendered {
    let pres = present(shape, words);
    if pres.options.is_empty() {
        if words.len() == 1 {
            return Rendered::Inline(scalar(&words[0].text, None));
        }
        let vals: Vec<String> = words.iter().map(|w| scalar(&w.text, None)).collect();
        return Rendered::Inline(format!("[{}]", vals.join(", ")));
    }
    named_value(shape, &pres)
}

fn named_value(
    args: Option<&kac_schema::doc::shape::Args>,
    pres: &super::structure::Presented<'_>,
) -> Rendered {
    let mut parts: Vec<(String, String)> = Vec::new();
    for (name, ws) in &pres.named_params {
        let ty = args.and_then(|a| a.param(name)).map(|(_, p)| &p.ty);
        let v = if ws.len() == 1 {
            scalar(&ws[0].text, ty)
        } else {
            let vals: Vec<String> = ws.iter().map(|w| scalar(&w.text, ty)).collect();
            format!("[{}]", vals.join(", "))
        };
        parts.push(((*name).to_string(), v));
    }
    for (name, v, ty) in &pres.options {
        let v = match v {
            Some(w) => scalar(&w.text, *ty),
            None => "true".into(),
        };
        parts.push((scalar(name, None), v));
    }
    let flow = format!(
        "{{{}}}",
        parts
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if flow.len() < FLOW_WIDTH {
        Rendered::Inline(flow)
    } else {
        Rendered::Block(
            parts
                .into_iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect(),
        )
    }
}

/// A line one level deeper (blank lines stay empty).
fn indented(l: &str) -> String {
    if l.is_empty() {
        String::new()
    } else {
        format!("  {l}")
    }
}

fn push_comment(c: &Comment, lines: &mut Vec<String>) {
    for l in c.text.split('\n') {
        lines.push(format!("#{}", l.trim_end()));
    }
    if c.blank_after {
        lines.push(String::new());
    }
}

fn with_trailing(mut line: String, trailing: Option<&str>) -> String {
    if let Some(t) = trailing {
        line.push_str("  #");
        line.push_str(t.replace('\n', " ").trim_end());
    }
    line
}

/// Writes one mapping entry's lines.
fn emit(e: &Entry, lines: &mut Vec<String>) {
    for c in &e.comments {
        push_comment(c, lines);
    }
    let key = key_scalar(&e.key);
    match &e.value {
        Rendered::Inline(v) => {
            lines.push(with_trailing(format!("{key}: {v}"), e.trailing.as_deref()));
        }
        Rendered::Block(inner) => {
            lines.push(with_trailing(format!("{key}:"), e.trailing.as_deref()));
            for l in inner {
                lines.push(indented(l));
            }
        }
    }
}

/// Whether a statement keyword would be read as a condition, definition, sequence or include.
fn special_key(s: &str) -> bool {
    let first = s.split_whitespace().next().unwrap_or("");
    kac_schema::doc::Cond::parse(first).is_some()
        || kac_schema::doc::SeqKind::parse(first).is_some()
        || first
            .strip_prefix('$')
            .is_some_and(super::kdl_read::valid_def_name)
        || kac_schema::doc::INCLUDE_KEYWORDS.contains(&first)
        || s.is_empty()
        || s.contains(char::is_whitespace)
}

/// A word as a YAML scalar: plain when YAML reads it back as the same text (and, for string
/// parameters, as a string), else double-quoted.
pub fn scalar(s: &str, ty: Option<&Ty>) -> String {
    if plain_ok(s) {
        // A string parameter whose value YAML would read as a boolean is quoted (numbers are
        // fine: the JSON Schema accepts them for strings, and kac reads scalars as written).
        let stringy = matches!(
            ty,
            Some(Ty::Str | Ty::Name | Ty::Iface | Ty::Path | Ty::Cmd | Ty::Enum(_) | Ty::IEnum(_))
        );
        if !(stringy && matches!(s, "true" | "false")) {
            return s.to_string();
        }
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A mapping key: plain when each of its words is (a head like `vrrp_instance VI_1`).
pub fn key_scalar(s: &str) -> String {
    let words: Vec<&str> = s.split(' ').collect();
    if words.len() > 1 && words.iter().all(|w| plain_ok(w)) {
        s.to_string()
    } else {
        scalar(s, None)
    }
}

/// A conservative test for plain scalars that read back as the same string in block and flow
/// context.
pub(crate) fn plain_ok(s: &str) -> bool {
    if s.is_empty()
        || matches!(
            s,
            "~" | "null" | "Null" | "NULL" | "True" | "TRUE" | "False" | "FALSE"
        )
    {
        return false;
    }
    let b = s.as_bytes();
    if !(b[0].is_ascii_alphanumeric() || matches!(b[0], b'/' | b'.' | b'_' | b'$' | b'+' | b'(')) {
        // `-5`: a negative number reads back as written.
        if !(b[0] == b'-' && b.len() > 1 && b[1].is_ascii_digit()) {
            return false;
        }
    }
    if s.ends_with(':') || s.contains(": ") || s.contains(" #") {
        return false;
    }
    b.iter().all(|&c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'_' | b'.'
                    | b'/'
                    | b':'
                    | b'-'
                    | b'+'
                    | b'='
                    | b'$'
                    | b'^'
                    | b'@'
                    | b'('
                    | b')'
                    | b'<'
                    | b'>'
                    | b'%'
                    | b'*'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::yaml_read;
    use kac_schema::FileId;
    use proptest::prelude::*;

    #[test]
    fn canonical_yaml() {
        let src = "# top\nglobal_defs:\n  router_id: {\"@lb1\": LB1, \"@lb2\": LB2}\n  enable_script_security: true\n$NET: 192.0.2\nvrrp_instance VI_1:\n  - priority: 100  # first\n    virtual_ipaddress:\n      - 10.0.0.5/24\n      - {address: 10.0.0.6/24, dev: eth0}\n      - {\"@lb1\": 10.0.0.7/24}\n    track_script:\n      - {name: chk, weight: -20, reverse: true}\n  - priority: 150\nvirtual_server 192.0.2.1 80:\n  \"~SEQ i 1 2\":\n    real_server 10.0.0.$i 80:\n      weight: 1\ninclude: [a.yaml, b.conf]\n";
        let (d, diags) = yaml_read::read(src, FileId(0));
        assert!(diags.is_empty(), "{diags:?}");
        let (out, diags) = print(&d);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out, src);
    }

    proptest! {
        #[test]
        fn scalars_read_back_as_the_same_text(s in "[ -~]{1,8}") {
            let text = format!("k: {}\nl: [{}]\n", scalar(&s, None), scalar(&s, None));
            let (d, diags) = yaml_read::read(&text, FileId(0));
            prop_assert!(diags.is_empty(), "{:?} in {}", diags, text);
            for it in &d.body.items {
                let ItemKind::Stmt(st) = &it.kind else { return Err(TestCaseError::fail("stmt")) };
                prop_assert_eq!(st.args.len(), 1, "{}", text);
                let w = &st.args[0].text;
                let expect = match s.as_str() { "True" | "TRUE" => "true", "False" | "FALSE" => "false", x => x };
                prop_assert_eq!(w.as_str(), expect, "{}", text);
            }
        }
    }
}
