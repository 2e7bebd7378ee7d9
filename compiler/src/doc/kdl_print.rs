//! Writing a [`Doc`] in the canonical KDL form (docs/formats.md).
//!
//! Four spaces per level, one statement per line, comments as `//` lines and trailing `//`
//! comments. A statement's words are split by its shape ([`super::structure::present`]):
//! parameters as arguments, options as properties (flags as `name=#true`); words that do not
//! fit the shape stay arguments. Numbers are written bare when KDL reads them back as the same
//! text, strings bare when they are valid KDL identifiers.

use kac_schema::doc::shape::{Context, Kind, Ty, shapes};
use kac_schema::doc::{Body, Comment, DefValue, Doc, Item, ItemKind, Stmt, Word};
use kac_schema::{Diagnostic, Span};

use super::codes;
use super::structure::present;

/// Prints `doc` as KDL, with what KDL cannot say.
pub fn print(doc: &Doc) -> (String, Vec<Diagnostic>) {
    let mut p = P {
        out: String::new(),
        diags: Vec::new(),
    };
    let top = shapes().top().map_or(Context::Unknown, Context::Block);
    p.body(&doc.body, 0, top);
    (p.out, p.diags)
}

struct P {
    out: String,
    diags: Vec<Diagnostic>,
}

impl P {
    fn indent(&mut self, n: usize) {
        for _ in 0..n {
            self.out.push_str("    ");
        }
    }

    fn comments(&mut self, cs: &[Comment], indent: usize) {
        for c in cs {
            for line in c.text.split('\n') {
                self.indent(indent);
                self.out.push_str("//");
                self.out.push_str(line.trim_end());
                self.out.push('\n');
            }
            if c.blank_after {
                self.out.push('\n');
            }
        }
    }

    fn end_line(&mut self, trailing: Option<&Comment>) {
        if let Some(c) = trailing {
            self.out.push_str(" //");
            self.out.push_str(c.text.replace('\n', " ").trim_end());
        }
        self.out.push('\n');
    }

    fn body(&mut self, b: &Body, indent: usize, ctx: Context<'_>) {
        for (i, item) in b.items.iter().enumerate() {
            if item.blank_before && i > 0 {
                self.out.push('\n');
            }
            self.comments(&item.comments, indent);
            self.indent(indent);
            self.item(item, indent, ctx, item.trailing.as_ref());
        }
        self.comments(&b.end_comments, indent);
    }

    /// One item, starting at the current position (indentation written), ending the line.
    fn item(&mut self, item: &Item, indent: usize, ctx: Context<'_>, trailing: Option<&Comment>) {
        match &item.kind {
            ItemKind::Stmt(s) => self.stmt(s, indent, ctx, trailing, false),
            ItemKind::When(w) => {
                self.out.push_str(&w.cond.marker());
                match w.body.items.as_slice() {
                    [one]
                        if one.comments.is_empty()
                            && one.trailing.is_none()
                            && w.body.end_comments.is_empty() =>
                    {
                        self.out.push(' ');
                        self.inline_item(one, indent, ctx, trailing);
                    }
                    _ => {
                        self.out.push_str(" {");
                        self.end_line(trailing);
                        self.body(&w.body, indent + 1, ctx);
                        self.indent(indent);
                        self.out.push_str("}\n");
                    }
                }
            }
            ItemKind::Def(d) => {
                self.out.push('$');
                self.out.push_str(&d.name.text);
                match &d.value {
                    DefValue::Text(v) => {
                        self.out.push(' ');
                        self.out.push_str(&quoted(&v.text));
                        self.end_line(trailing);
                    }
                    DefValue::Block(b) => self.block(b, indent, Context::Unknown, trailing),
                }
            }
            ItemKind::Use(n) => {
                self.out.push('$');
                self.out.push_str(&n.text);
                self.end_line(trailing);
            }
            ItemKind::Repeat(r) => {
                self.out.push_str(r.kind.marker());
                for p in &r.params {
                    self.out.push(' ');
                    self.out.push_str(&value(&p.text, None));
                }
                self.block(&r.body, indent, ctx, trailing);
            }
            ItemKind::Include(i) => {
                self.out.push_str(&i.keyword.text);
                self.out.push(' ');
                self.out.push_str(&quoted(&i.pattern.text));
                self.end_line(trailing);
            }
        }
    }

    /// An item after a host condition: the same as on its own, but a statement's keyword is an
    /// argument of the `@ID` node (so it is written as a value).
    fn inline_item(
        &mut self,
        item: &Item,
        indent: usize,
        ctx: Context<'_>,
        trailing: Option<&Comment>,
    ) {
        match &item.kind {
            ItemKind::Stmt(s) => self.stmt(s, indent, ctx, trailing, true),
            _ => self.item(item, indent, ctx, trailing),
        }
    }

    fn block(&mut self, b: &Body, indent: usize, ctx: Context<'_>, trailing: Option<&Comment>) {
        self.out.push_str(" {");
        self.end_line(trailing);
        self.body(b, indent + 1, ctx);
        self.indent(indent);
        self.out.push_str("}\n");
    }

    fn stmt(
        &mut self,
        s: &Stmt,
        indent: usize,
        ctx: Context<'_>,
        trailing: Option<&Comment>,
        as_arg: bool,
    ) {
        let name_value = |t: &str| if as_arg { value(t, None) } else { node_name(t) };
        match ctx {
            Context::Entries(entry) => {
                // The entry's words: the first is the node's name when it is a parameter.
                let mut words: Vec<Word> = vec![s.keyword.clone()];
                words.extend(s.args.iter().cloned());
                let pres = present(Some(&entry.args), &words);
                let mut pos = pres.positional.iter();
                match pos.next() {
                    Some(first) => self.out.push_str(&name_value(&first.text)),
                    None => self.out.push_str(if as_arg { "\"-\"" } else { "-" }),
                }
                let tys: Vec<Option<&Ty>> = entry
                    .args
                    .params
                    .iter()
                    .map(|p| Some(&p.ty))
                    .skip(1)
                    .collect();
                for (i, w) in pos.enumerate() {
                    self.out.push(' ');
                    self.out
                        .push_str(&value(&w.text, tys.get(i).copied().flatten()));
                }
                self.options(&pres.options);
            }
            _ => {
                let shape = shapes().lookup(ctx, &s.keyword.text);
                if !as_arg && is_special_name(&s.keyword.text) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::NOT_REPRESENTABLE,
                            format!("a statement cannot start with `{}` in KDL", s.keyword.text),
                        )
                        .with_primary(
                            s.keyword.span,
                            "read as a condition, definition or sequence there",
                        )
                        .with_help("this keepalived.conf line has no KDL form"),
                    );
                }
                self.out.push_str(&name_value(&s.keyword.text));
                let args = shape.map(|k| &k.args);
                let pres = present(args, &s.args);
                let tys: Vec<Option<&Ty>> =
                    args.map_or_else(Vec::new, |a| param_types(a, pres.positional.len()));
                for (i, w) in pres.positional.iter().enumerate() {
                    self.out.push(' ');
                    self.out
                        .push_str(&value(&w.text, tys.get(i).copied().flatten()));
                }
                self.options(&pres.options);
                if let Some(b) = &s.body {
                    if shape
                        .is_some_and(|k| matches!(k.kind, Kind::Leaf | Kind::Flag | Kind::Script))
                    {
                        self.diags.push(
                            Diagnostic::error(
                                codes::NOT_REPRESENTABLE,
                                format!(
                                    "`{}` is not a block, but a block follows it",
                                    s.keyword.text
                                ),
                            )
                            .with_primary(s.keyword.span, "keepalived reports an unexpected `{`")
                            .with_help("remove the block (keepalived rejects it too)"),
                        );
                    }
                    let inner = shapes().inner(shape);
                    if b.items.is_empty() && b.end_comments.is_empty() {
                        self.out.push_str(" {}");
                        self.end_line(trailing);
                    } else {
                        self.block(b, indent, inner, trailing);
                    }
                    return;
                }
            }
        }
        self.end_line(trailing);
    }

    fn options(&mut self, options: &[(&str, Option<&Word>, Option<&Ty>)]) {
        for (name, v, ty) in options {
            self.out.push(' ');
            self.out.push_str(&node_name(name));
            self.out.push('=');
            match v {
                Some(w) => self.out.push_str(&value(&w.text, *ty)),
                None => self.out.push_str("#true"),
            }
        }
    }
}

/// The type of each of `n` positional words (a repeated parameter types all its words).
fn param_types(a: &kac_schema::doc::shape::Args, n: usize) -> Vec<Option<&Ty>> {
    let mut out = Vec::new();
    for p in &a.params {
        if p.arity == kac_schema::doc::shape::Arity::Many {
            while out.len() < n {
                out.push(Some(&p.ty));
            }
            break;
        }
        out.push(Some(&p.ty));
    }
    out
}

/// Whether a node name would be read as a condition, definition or sequence.
fn is_special_name(s: &str) -> bool {
    kac_schema::doc::Cond::parse(s).is_some()
        || kac_schema::doc::SeqKind::parse(s).is_some()
        || s.strip_prefix('$')
            .is_some_and(super::kdl_read::valid_def_name)
        || kac_schema::doc::INCLUDE_KEYWORDS.contains(&s)
        || s == "-"
}

/// A node name: bare when it is an identifier.
pub fn node_name(s: &str) -> String {
    if is_bare_identifier(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// A word as a KDL value: a bare number when it reads back as the same text, `#true`/`#false`
/// for a boolean parameter, else a string.
pub fn value(s: &str, ty: Option<&Ty>) -> String {
    if is_canonical_int(s) {
        return s.to_string();
    }
    if is_canonical_float(s) {
        return s.to_string();
    }
    if matches!(ty, Some(Ty::Bool)) && matches!(s, "true" | "false") {
        return format!("#{s}");
    }
    quoted_or_bare(s)
}

fn quoted_or_bare(s: &str) -> String {
    if is_bare_identifier(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// A KDL string literal.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_kdl_disallowed(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_kdl_disallowed(c: char) -> bool {
    matches!(c, '\u{feff}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether `s` is a plain integer KDL reads back as the same text.
pub fn is_canonical_int(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s != "-0"
        && s.parse::<i64>().is_ok()
}

/// Whether `s` is a decimal KDL reads back (as a float) as the same text.
pub fn is_canonical_float(s: &str) -> bool {
    let Some((a, b)) = s.strip_prefix('-').unwrap_or(s).split_once('.') else {
        return false;
    };
    !a.is_empty()
        && !b.is_empty()
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.bytes().all(|c| c.is_ascii_digit())
        && s.parse::<f64>().is_ok_and(|f| f.to_string() == s)
}

/// Whether `s` can be written as a bare KDL identifier string (conservatively: ASCII only).
pub fn is_bare_identifier(s: &str) -> bool {
    if s.is_empty() || !s.is_ascii() {
        return false;
    }
    if matches!(s, "true" | "false" | "null" | "inf" | "-inf" | "nan") {
        return false;
    }
    let b = s.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if digit_at(0)
        || (matches!(b[0], b'+' | b'-')
            && (digit_at(1) || (b.get(1) == Some(&b'.') && digit_at(2))))
        || (b[0] == b'.' && digit_at(1))
    {
        return false;
    }
    !b.iter().any(|&c| {
        c <= b' '
            || c == 0x7f
            || matches!(
                c,
                b'\\' | b'/' | b'(' | b')' | b'{' | b'}' | b';' | b'[' | b']' | b'"' | b'#' | b'='
            )
    })
}

/// What KDL cannot say in a span (used by the converter's messages).
pub fn unrepresentable(at: Span, what: &str) -> Diagnostic {
    Diagnostic::error(
        codes::NOT_REPRESENTABLE,
        format!("{what} cannot be written in KDL"),
    )
    .with_primary(at, "here")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::kdl_read;
    use kac_schema::FileId;
    use proptest::prelude::*;

    #[test]
    fn canonical_kdl() {
        let src = "vrrp_instance VI_1 {\n    @lb1 priority 150\n    virtual_ipaddress {\n        \"10.0.0.5/24\" dev=eth0 label=eth0:1\n    }\n    track_script {\n        chk weight=-20 reverse=#true\n    }\n    smtp_alert #true\n}\nstatic_rules {\n    - from=\"10.0.0.0/8\" table=100\n}\n";
        let (d, diags) = kdl_read::read(src, FileId(0));
        assert!(diags.is_empty(), "{diags:?}");
        let (out, diags) = print(&d);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out, src);
    }

    proptest! {
        #[test]
        fn bare_words_read_back_as_the_same_string(s in "[ -~]{1,8}") {
            let text = format!("n {}\n", value(&s, None));
            let doc: kdl::KdlDocument = text.parse().map_err(|e| TestCaseError::fail(format!("{e:?} in {text}")))?;
            let e = &doc.nodes()[0].entries()[0];
            let back = match e.value() {
                kdl::KdlValue::String(x) => x.clone(),
                kdl::KdlValue::Integer(i) => i.to_string(),
                kdl::KdlValue::Float(f) => f.to_string(),
                other => return Err(TestCaseError::fail(format!("{other:?}"))),
            };
            prop_assert_eq!(back, s);
        }
    }
}
