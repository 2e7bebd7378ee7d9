//! Inline suppressions in KDL (`// kac: allow(rule, …)`) and YAML (`# kac: allow(rule, …)`).
//!
//! keepalived.conf's suppressions are recorded by its preprocessor, line by line
//! ([`crate::conf::allow`]). A KDL or YAML file is compiled through its printed keepalived.conf,
//! whose lines are not the file's, so its suppressions are taken from the document instead: a
//! comment the reader attached to an item (before it, or after it on its line) applies to that
//! item's statement, a comment at the end of a block to nothing. The statement is every line
//! of the item's keyword, values and options (a YAML list written one value per line, a
//! mapping of options), not the block it opens.

use kac_schema::Span;
use kac_schema::config::{Spanned, Suppression};
use kac_schema::doc::{Body, Comment, Def, DefValue, Doc, Item, ItemKind};

use super::LineIndex;
use crate::conf::allow::parse_body;

/// The suppressions of `doc`, read from `text` (spans in the document's file), in file order.
pub fn suppressions(doc: &Doc, text: &str) -> Vec<Suppression> {
    let file = first_file(&doc.body).unwrap_or_default();
    let cx = Cx {
        text,
        idx: LineIndex::new(text, file),
    };
    let mut out = Vec::new();
    cx.body(&doc.body, &mut out);
    out.sort_by_key(|s| s.comment.offset);
    out
}

/// The file of a document's spans.
fn first_file(body: &Body) -> Option<kac_schema::FileId> {
    let mut file = None;
    body.walk(&mut |i| {
        if file.is_none() {
            file = Some(i.span.file);
        }
    });
    file.or_else(|| body.end_comments.first().map(|c| c.span.file))
}

struct Cx<'a> {
    text: &'a str,
    idx: LineIndex,
}

impl Cx<'_> {
    fn body(&self, body: &Body, out: &mut Vec<Suppression>) {
        for item in &body.items {
            let lines = statement_lines(&self.idx, item);
            for c in item.comments.iter().chain(&item.trailing) {
                out.extend(self.suppression(c, Some(lines)));
            }
            match &item.kind {
                ItemKind::Stmt(s) => {
                    if let Some(b) = &s.body {
                        self.body(b, out);
                    }
                }
                ItemKind::When(w) => self.body(&w.body, out),
                ItemKind::Repeat(r) => self.body(&r.body, out),
                ItemKind::Def(Def {
                    value: DefValue::Block(b),
                    ..
                }) => self.body(b, out),
                _ => {}
            }
        }
        for c in &body.end_comments {
            out.extend(self.suppression(c, None));
        }
    }

    /// The suppression a comment makes, if it is a kac comment; it applies to `lines`.
    fn suppression(&self, c: &Comment, lines: Option<(u32, u32)>) -> Option<Suppression> {
        let (start, end) = (
            c.span.offset as usize,
            (c.span.offset + c.span.len) as usize,
        );
        let written = self.text.get(start..end).filter(|t| !t.is_empty());
        // The comment's text after its marker, and where that text starts.
        let (body, at) = match written {
            Some(t) => {
                let marker = ["//", "/*", "#"]
                    .iter()
                    .find(|m| t.starts_with(**m))
                    .map_or(0, |m| m.len());
                let body = &t[marker..];
                (body.strip_suffix("*/").unwrap_or(body), start + marker)
            }
            // A comment whose place the reader could not tell: its names get its span.
            None => (c.text.as_str(), start),
        };
        let names = parse_body(body)?;
        let here = |s: usize, e: usize| match written {
            Some(_) => self.idx.span(at + s, e - s),
            None => c.span,
        };
        let (first, last) = match lines {
            Some((first, last)) => (Some(first), (last > first).then_some(last)),
            None => (None, None),
        };
        Some(Suppression {
            rules: names
                .into_iter()
                .map(|(n, s, e)| Spanned::new(n, here(s, e)))
                .collect(),
            comment: c.span,
            applies_to: first,
            applies_through: last,
            removal: self.removal(start, end),
        })
    }

    /// The bytes removing the comment at `start..end` takes: its whole line when nothing else
    /// is on it, else the comment and the blanks before it.
    fn removal(&self, start: usize, end: usize) -> Span {
        let text = self.text;
        if start >= end || end > text.len() {
            return self.idx.span(start, 0);
        }
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
        let blank = |s: &str| s.trim_matches([' ', '\t', '\r']).is_empty();
        if blank(&text[line_start..start]) && blank(&text[end..line_end]) {
            let stop = (line_end + 1).min(text.len());
            return self.idx.span(line_start, stop - line_start);
        }
        let from = text[..start]
            .trim_end_matches([' ', '\t'])
            .len()
            .max(line_start);
        self.idx.span(from, end - from)
    }
}

/// The last line of `span`.
fn last_line(idx: &LineIndex, span: Span) -> u32 {
    let end = (span.offset + span.len.saturating_sub(1)) as usize;
    u32::try_from(idx.line_of(end))
        .unwrap_or(u32::MAX)
        .max(span.line)
}

/// The lines of an item's statement: its first line through the last of its words (not the
/// items of a block it opens).
pub(crate) fn statement_lines(idx: &LineIndex, item: &Item) -> (u32, u32) {
    let mut lines = (item.span.line, last_line(idx, item.span));
    let mut take = |s: Span| {
        if s.file == item.span.file && s.line > 0 {
            lines.0 = lines.0.min(s.line);
            lines.1 = lines.1.max(last_line(idx, s));
        }
    };
    match &item.kind {
        ItemKind::Stmt(s) => {
            take(s.keyword.span);
            s.args.iter().for_each(|w| take(w.span));
        }
        // A value for one host written with the statement (`@lb1 priority 150`, YAML's
        // `priority: {"@lb1": 150}`): the value's lines, not the keyword's (which the other
        // hosts' values share), unless there is no value (a flag: `nopreempt: {"@lb2": true}`).
        ItemKind::When(w) => match w.body.items.as_slice() {
            [inner] if inner.span.offset <= item.span.offset => {
                if let ItemKind::Stmt(s) = &inner.kind {
                    if s.args.is_empty() {
                        take(s.keyword.span);
                    }
                    s.args.iter().for_each(|w| take(w.span));
                }
            }
            // A condition on a line of its own (`"@lb2":`, `@lb2 {`) holds no statement: the
            // comment applies to the first statement it conditions.
            [first, ..] => {
                let (a, b) = statement_lines(idx, first);
                lines.0 = lines.0.min(a);
                lines.1 = lines.1.max(b);
            }
            [] => {}
        },
        ItemKind::Include(i) => take(i.pattern.span),
        ItemKind::Def(Def {
            value: DefValue::Text(w),
            ..
        }) => take(w.span),
        _ => {}
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Format, read};
    use kac_schema::FileId;

    /// Names, first and last line, and the text a removal takes.
    type Seen = (Vec<String>, Option<u32>, Option<u32>, String);

    fn sups(text: &str, format: Format) -> Vec<Seen> {
        let (doc, diags) = read(text, format, FileId(0));
        assert!(diags.is_empty(), "{diags:?}");
        suppressions(&doc, text)
            .into_iter()
            .map(|s| {
                let removal =
                    &text[s.removal.offset as usize..(s.removal.offset + s.removal.len) as usize];
                let names = s
                    .rules
                    .iter()
                    .map(|r| {
                        let at =
                            &text[r.span.offset as usize..(r.span.offset + r.span.len) as usize];
                        assert_eq!(at, r.value);
                        r.value.clone()
                    })
                    .collect();
                (names, s.applies_to, s.applies_through, removal.to_string())
            })
            .collect()
    }

    #[test]
    fn kdl_comments_apply_to_their_statement() {
        let text = "vrrp_instance VI_1 { // kac: allow(a)\n    // kac: allow(b, c)\n\n    priority 100 200 // kac: allow(d) why\n    virtual_ipaddress {\n        \"192.0.2.1\" /* kac: allow(e) */\n    }\n    // kac: allow(f)\n}\n";
        let got = sups(text, Format::Kdl);
        assert_eq!(
            got,
            vec![
                (vec!["a".into()], Some(1), None, " // kac: allow(a)".into()),
                (
                    vec!["b".into(), "c".into()],
                    Some(4),
                    None,
                    "    // kac: allow(b, c)\n".into()
                ),
                (
                    vec!["d".into()],
                    Some(4),
                    None,
                    " // kac: allow(d) why".into()
                ),
                (
                    vec!["e".into()],
                    Some(6),
                    None,
                    " /* kac: allow(e) */".into()
                ),
                (
                    vec!["f".into()],
                    None,
                    None,
                    "    // kac: allow(f)\n".into()
                ),
            ]
        );
    }

    #[test]
    fn yaml_statements_take_every_line_of_their_values() {
        let text = "vrrp_instance VI_1:\n  # kac: allow(a)\n  priority:\n    - 100\n    - 200\n  state: {\"@lb1\": MASTER,  # kac: allow(b)\n    \"@lb2\": BACKUP}\n  virtual_ipaddress:\n    - 192.0.2.1  # kac: allow(c)\n  # kac: nothing\n";
        let got = sups(text, Format::Yaml);
        assert_eq!(
            got,
            vec![
                (
                    vec!["a".into()],
                    Some(3),
                    Some(5),
                    "  # kac: allow(a)\n".into()
                ),
                (vec!["b".into()], Some(6), None, "  # kac: allow(b)".into()),
                (vec!["c".into()], Some(9), None, "  # kac: allow(c)".into()),
                (vec![], None, None, "  # kac: nothing\n".into()),
            ]
        );
    }
}
