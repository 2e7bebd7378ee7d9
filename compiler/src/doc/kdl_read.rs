//! Reading the KDL form (docs/formats.md) into a [`Doc`].
//!
//! A node is a statement: its name is the keyword, its arguments and properties the words
//! (properties are the keyword's named options, or its parameters by name), its children the
//! block. Special names: `@ID`/`@^ID` (host condition: `@lb1 priority 150`, or `@lb1 { … }`),
//! `$NAME` (definition `$NAME "value"` or `$NAME { … }`; alone, the expansion of a block
//! definition), `~SEQ`/`~SEQx`/`~LST` (repetition), `include*` (includes), and `-` (an entry of
//! a value block without a first word of its own, such as a rule).

use kac_schema::doc::shape::{Context, Kind, shapes};
use kac_schema::doc::{
    Body, Comment, Cond, Def, DefValue, Doc, INCLUDE_KEYWORDS, Include, Item, ItemKind, Repeat,
    SeqKind, Stmt, When, Word,
};
use kac_schema::{Diagnostic, FileId, Span};
use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use super::structure::{Named, Value, flatten};
use super::{LineIndex, codes};

/// Deeper `{` nesting than any configuration needs; the KDL parser recurses per level, so such
/// input is refused before parsing rather than overflowing the stack.
pub const MAX_DEPTH: usize = 64;

/// Reads KDL `text` (spans in `file`).
pub fn read(text: &str, file: FileId) -> (Doc, Vec<Diagnostic>) {
    let idx = LineIndex::new(text, file);
    if let Some(at) = too_deep(text, MAX_DEPTH) {
        return (
            Doc::default(),
            vec![
                Diagnostic::error(
                    codes::KDL_SYNTAX,
                    format!("invalid KDL: blocks nested more than {MAX_DEPTH} deep"),
                )
                .with_primary(idx.span(at, 1), "too deep")
                .with_help("keepalived blocks nest a few levels deep"),
            ],
        );
    }
    let parsed = match text.parse::<KdlDocument>() {
        Ok(d) => d,
        Err(e) => {
            return (
                Doc::default(),
                syntax_errors(
                    &e,
                    text,
                    &idx,
                    codes::KDL_SYNTAX,
                    "the configuration is KDL 2 (https://kdl.dev); see docs/formats.md",
                ),
            );
        }
    };
    let mut r = Reader {
        root: &parsed,
        idx,
        text,
        diags: Vec::new(),
        open_comment: None,
        owner: String::new(),
    };
    let top = shapes().top().map_or(Context::Unknown, Context::Block);
    let body = r.body(&parsed, top);
    (Doc { body }, r.diags)
}

/// The byte offset of the first `{` nested deeper than `max`, if any.
pub fn too_deep(text: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// kdl's parse errors as diagnostics with `code`.
pub fn syntax_errors(
    e: &kdl::KdlError,
    text: &str,
    idx: &LineIndex,
    code: &'static str,
    help: &'static str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for d in &e.diagnostics {
        // kdl's spans may start at the top of the document: point at their last line.
        let (start, end) = (d.span.offset(), d.span.offset() + d.span.len());
        let start = text
            .get(start..end)
            .and_then(|t| t.trim_end().rfind('\n'))
            .map_or(start, |i| start + i + 1);
        let at = idx.span(start, end.saturating_sub(start));
        let msg = d.message.clone().unwrap_or_else(|| "invalid KDL".into());
        out.push(
            Diagnostic::error(code, format!("invalid KDL: {}", lower_first(&msg)))
                .with_primary(at, d.label.clone().unwrap_or_else(|| "here".into()))
                .with_help(d.help.clone().unwrap_or_else(|| help.into())),
        );
    }
    if out.is_empty() {
        out.push(Diagnostic::error(code, "invalid KDL").with_primary(idx.span(0, 0), "here"));
    }
    out
}

/// `Message.` → `message`.
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    let mut out: String = c
        .next()
        .map(|f| f.to_lowercase().collect())
        .unwrap_or_default();
    out.push_str(c.as_str());
    out.trim_end_matches('.').to_string()
}

/// The [`Span`] of a kdl `SourceSpan`.
macro_rules! span {
    ($r:expr, $s:expr) => {{
        let s = $s;
        $r.idx.span(s.offset(), s.len())
    }};
}

struct Reader<'a> {
    root: &'a KdlDocument,
    idx: LineIndex,
    text: &'a str,
    diags: Vec<Diagnostic>,
    /// A comment on the `{` line of the block just read (its first child's same-line
    /// comment), for the block's statement.
    open_comment: Option<Comment>,
    /// The keyword of the value block being read (names its entries in messages).
    owner: String,
}

/// A node seen as a statement: `@lb1 priority 150` is the statement `priority 150`.
struct View<'n> {
    name: Word,
    entries: Vec<&'n KdlEntry>,
    children: Option<&'n KdlDocument>,
    /// The node's first line (name and entries).
    head: Span,
}

impl<'a> Reader<'a> {
    fn error(
        &mut self,
        code: &'static str,
        msg: String,
        at: Span,
        label: &'static str,
        help: &'static str,
    ) {
        self.diags.push(
            Diagnostic::error(code, msg)
                .with_primary(at, label)
                .with_help(help),
        );
    }

    fn body(&mut self, doc: &KdlDocument, ctx: Context<'_>) -> Body {
        let mut items: Vec<Item> = Vec::new();
        let mut open = None;
        // Whether the text before the next node starts on a new line (after `{` it does not).
        let mut line_ended = std::ptr::eq(doc, self.root);
        for node in doc.nodes() {
            let at = node.span().offset();
            let fmt = node.format();
            let leading = fmt.map_or("", |f| f.leading.as_str());
            // The node's leading text ends where the node starts.
            let base = self.base_of(leading, at.checked_sub(leading.len()));
            let mut lead: Vec<(bool, Comment)> =
                self.located(comments_with_blanks(leading), base, at);
            // A comment before any line break belongs to the line before: the previous
            // node's, or the parent's `{` line.
            let ended = std::mem::replace(
                &mut line_ended,
                fmt.is_some_and(|f| f.terminator.ends_with('\n')),
            );
            if let Some((false, _)) = lead.first().filter(|_| !ended) {
                let (_, c) = lead.remove(0);
                match items.last_mut() {
                    Some(prev) => {
                        prev.trailing.get_or_insert(c);
                    }
                    // At the top of the file nothing precedes it: it leads the first node.
                    None if std::ptr::eq(doc, self.root) => lead.insert(0, (true, c)),
                    None => open = Some(c),
                }
            }
            let Some(mut item) = self.node(node, ctx) else {
                continue;
            };
            // A blank line before the node (or its comments) in the whitespace it follows.
            let ws_end = leading
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(leading.len());
            item.blank_before = leading[..ws_end].matches('\n').count() >= 1 && !items.is_empty();
            item.comments = lead.into_iter().map(|(_, c)| c).collect();
            let term = fmt.map_or("", |f| f.terminator.as_str());
            let before = fmt.map_or("", |f| f.before_terminator.as_str());
            // kdl keeps a comment after a last `{}` nowhere: read it from the text.
            if item.trailing.is_none()
                && !format!("{before}{term}").contains("//")
                && let Some(c) = self.comment_after(node)
            {
                item.trailing = Some(c);
            }
            let after = format!("{before}{term}");
            // The text before the terminator ends the node's span; the terminator follows.
            let end = at + node.span().len();
            let base = self.base_of(&after, end.checked_sub(before.len()));
            if let Some((_, t, s, e)) = comments_in(&after).into_iter().next() {
                let c = Comment::new(t, located_span(&self.idx, base, at, s, e));
                match (&item.trailing, &mut item.kind) {
                    (None, _) => item.trailing = Some(c),
                    // After a block's `}`: keep it with the block's last lines.
                    (Some(_), ItemKind::Stmt(Stmt { body: Some(b), .. })) => {
                        b.end_comments.push(c);
                    }
                    (Some(_), _) => item.comments.push(c),
                }
            }
            items.push(item);
        }
        // After the last node: a comment on its line (or, in an empty block, on the `{` line),
        // then the block's closing comments.
        let trailing_ws = match doc.format() {
            // An empty block keeps its comments as leading text.
            Some(f) if doc.nodes().is_empty() => format!("{}{}", f.leading, f.trailing),
            Some(f) => f.trailing.clone(),
            None => String::new(),
        };
        let trailing_ws = trailing_ws.as_str();
        // The block's closing text follows its last node (or its `{`).
        let doc_end = doc.span().offset() + doc.span().len();
        let base = if doc.nodes().is_empty() {
            self.base_of(trailing_ws, Some(doc.span().offset()))
        } else {
            self.text
                .get(doc_end..)
                .and_then(|rest| rest.find(trailing_ws))
                .map(|i| doc_end + i)
        };
        let mut end: Vec<Comment> = self
            .located(comments_with_blanks(trailing_ws), base, doc.span().offset())
            .into_iter()
            .enumerate()
            .filter_map(|(i, (nl, c))| {
                if i == 0 && !nl && !line_ended {
                    match items.last_mut() {
                        Some(last) if last.trailing.is_none() => {
                            last.trailing = Some(c);
                            return None;
                        }
                        None if open.is_none() => {
                            open = Some(c);
                            return None;
                        }
                        _ => {}
                    }
                }
                Some(c)
            })
            .collect();
        end.retain(|c| !c.text.is_empty() || c.blank_after);
        self.open_comment = open;
        Body {
            items,
            end_comments: end,
        }
    }

    /// A `//` comment after `node` on the line it ends on.
    fn comment_after(&self, node: &KdlNode) -> Option<Comment> {
        let end = node.span().offset() + node.span().len();
        let rest = self.text.get(end..)?;
        let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
        let t = line.trim_start().trim_start_matches(';').trim_start();
        let c = t.strip_prefix("//")?;
        let start = end + (line.len() - t.len());
        let c = c.trim_end();
        Some(Comment::new(c, self.idx.span(start, 2 + c.len())))
    }

    /// Where text found in the source at `expected` starts, if it is there (`None`: not
    /// found, comments get the span of `expected` or of the node).
    fn base_of(&self, text: &str, expected: Option<usize>) -> Option<usize> {
        expected.filter(|&b| self.text.get(b..b + text.len()) == Some(text))
    }

    /// Comments found in text starting at byte `base` of the source, with their spans (from
    /// the comment marker to its end; without a base, an empty span at `fallback`).
    fn located(
        &self,
        found: Vec<(bool, Comment, usize, usize)>,
        base: Option<usize>,
        fallback: usize,
    ) -> Vec<(bool, Comment)> {
        found
            .into_iter()
            .map(|(nl, mut c, s, e)| {
                c.span = located_span(&self.idx, base, fallback, s, e);
                (nl, c)
            })
            .collect()
    }

    fn node(&mut self, node: &KdlNode, ctx: Context<'_>) -> Option<Item> {
        let name = Word::new(node.name().value(), span!(self, node.name().span()));
        let head = {
            let start = node.name().span().offset();
            let end = node
                .entries()
                .iter()
                .map(|e| e.span().offset() + e.span().len())
                .max()
                .unwrap_or(start + node.name().span().len());
            self.idx.span(start, end.saturating_sub(start))
        };
        let view = View {
            name,
            entries: node.entries().iter().collect(),
            children: node.children(),
            head,
        };
        self.open_comment = None;
        let kind = self.view(view, ctx)?;
        let mut item = Item::new(kind, head);
        item.trailing = self.open_comment.take();
        Some(item)
    }

    fn view(&mut self, v: View<'_>, ctx: Context<'_>) -> Option<ItemKind> {
        let name = v.name.text.clone();
        let name = name.as_str();
        if let Some(cond) = Cond::parse(name) {
            return self.when(cond, v, ctx);
        }
        if name.starts_with('@') {
            self.error(
                codes::INVALID_ITEM,
                format!("`{name}` is not a host condition"),
                v.name.span,
                "expected `@ID` or `@^ID`",
                "write `@lb1 KEYWORD …` or `@lb1 { … }`",
            );
            return None;
        }
        if let Some(def) = name.strip_prefix('$')
            && valid_def_name(def)
        {
            return self.def(def, v, ctx);
        }
        if let Some(kind) = SeqKind::parse(name) {
            return self.repeat(kind, v, ctx);
        }
        if INCLUDE_KEYWORDS.contains(&name) {
            return self.include(v);
        }
        self.stmt(v, ctx)
    }

    fn when(&mut self, cond: Cond, v: View<'_>, ctx: Context<'_>) -> Option<ItemKind> {
        let cond_span = v.name.span;
        let body = if v.entries.is_empty() {
            match v.children {
                Some(c) => self.body(c, ctx),
                None => {
                    self.error(
                        codes::INVALID_ITEM,
                        format!("`{}` without a statement", v.name.text),
                        v.head,
                        "nothing is conditional here",
                        "write `@lb1 KEYWORD …` or `@lb1 { … }`",
                    );
                    return None;
                }
            }
        } else {
            // `@lb1 priority 150`: the first argument is the keyword.
            let first = v.entries.iter().position(|e| e.name().is_none());
            let Some(first) = first else {
                self.error(
                    codes::INVALID_ITEM,
                    format!("`{}` without a keyword", v.name.text),
                    v.head,
                    "properties but no keyword",
                    "write `@lb1 KEYWORD …`",
                );
                return None;
            };
            let e = v.entries[first];
            let kw = self.word(e)?;
            let mut entries = v.entries.clone();
            entries.remove(first);
            let inner = View {
                name: kw,
                entries,
                children: v.children,
                head: v.head,
            };
            let kind = self.view(inner, ctx)?;
            Body::of(vec![Item::new(kind, v.head)])
        };
        Some(ItemKind::When(When {
            cond,
            cond_span,
            body,
        }))
    }

    fn def(&mut self, name: &str, v: View<'_>, ctx: Context<'_>) -> Option<ItemKind> {
        let nw = Word::new(name, v.name.span);
        match (v.entries.as_slice(), v.children) {
            ([], None) => Some(ItemKind::Use(nw)),
            ([], Some(c)) => {
                let body = self.body(c, ctx);
                Some(ItemKind::Def(Def {
                    name: nw,
                    value: DefValue::Block(body),
                }))
            }
            ([e], None) if e.name().is_none() => {
                let w = self.word(e)?;
                Some(ItemKind::Def(Def {
                    name: nw,
                    value: DefValue::Text(w),
                }))
            }
            _ => {
                self.error(
                    codes::INVALID_ITEM,
                    format!("definition `${name}` is written the wrong way"),
                    v.head,
                    "expected one value, or a block",
                    "write `$NAME \"value\"` (text), `$NAME { … }` (statements), or `$NAME` alone to expand a block definition",
                );
                None
            }
        }
    }

    fn repeat(&mut self, kind: SeqKind, v: View<'_>, ctx: Context<'_>) -> Option<ItemKind> {
        let mut params = Vec::new();
        for e in &v.entries {
            if e.name().is_some() {
                self.error(
                    codes::INVALID_ITEM,
                    format!("`{}` takes no properties", v.name.text),
                    span!(self, e.span()),
                    "unexpected property",
                    "write `~SEQ VAR [START [STEP]] END { … }` or `~LST VAR VALUE… { … }`",
                );
                return None;
            }
            params.push(self.word(e)?);
        }
        let Some(children) = v.children else {
            self.error(
                codes::INVALID_ITEM,
                format!("`{}` without a body", v.name.text),
                v.head,
                "nothing to repeat",
                "put the repeated statements in `{ … }`",
            );
            return None;
        };
        if params.len() < 2 {
            self.error(
                codes::INVALID_ITEM,
                format!("`{}` needs a variable and its values", v.name.text),
                v.head,
                "too few arguments",
                "write `~SEQ VAR [START [STEP]] END { … }` or `~LST VAR VALUE… { … }`",
            );
            return None;
        }
        let body = self.body(children, ctx);
        Some(ItemKind::Repeat(Repeat { kind, params, body }))
    }

    fn include(&mut self, v: View<'_>) -> Option<ItemKind> {
        match (v.entries.as_slice(), v.children) {
            ([e], None) if e.name().is_none() => {
                let pattern = self.word(e)?;
                Some(ItemKind::Include(Include {
                    keyword: v.name,
                    pattern,
                }))
            }
            _ => {
                self.error(
                    codes::INVALID_ITEM,
                    format!("`{}` takes one file pattern", v.name.text),
                    v.head,
                    "expected one argument",
                    "write `include \"conf.d/*.kdl\"`",
                );
                None
            }
        }
    }

    fn stmt(&mut self, v: View<'_>, ctx: Context<'_>) -> Option<ItemKind> {
        let entry_ctx = matches!(ctx, Context::Entries(_));
        let shape = shapes().lookup(ctx, &v.name.text);
        let mut positional = Vec::new();
        let mut named = Vec::new();
        for e in &v.entries {
            match e.name() {
                None => positional.push(self.word(e)?),
                Some(n) => named.push(Named {
                    name: Word::new(n.value(), span!(self, n.span())),
                    value: self.value(e)?,
                }),
            }
        }
        let entry_shape = match ctx {
            Context::Entries(entry) => Some(Some(&entry.args)),
            Context::Unknown if v.name.text == "-" => Some(None),
            _ => None,
        };
        let (keyword, args) = if let Some(entry_shape) = entry_shape {
            // An entry's first word is the node's name (`-`: no name of its own).
            let mut words = Vec::new();
            if v.name.text != "-" {
                words.push(v.name.clone());
            }
            words.extend(positional);
            let owner = format!("{} entry", self.owner);
            let mut all = flatten(entry_shape, &owner, words, named, &mut self.diags);
            if all.is_empty() {
                self.error(
                    codes::INVALID_ITEM,
                    "empty entry".into(),
                    v.head,
                    "no words",
                    "write the entry's words",
                );
                return None;
            }
            let first = all.remove(0);
            (first, all)
        } else {
            if v.name.text == "-" {
                self.error(
                    codes::INVALID_ITEM,
                    "`-` outside a value block".into(),
                    v.name.span,
                    "only entries of value blocks are written `- …`",
                    "write the keyword as the node's name",
                );
                return None;
            }
            let args = flatten(
                shape.map(|k| &k.args),
                &v.name.text,
                positional,
                named,
                &mut self.diags,
            );
            (v.name.clone(), args)
        };
        if let Some(k) = shape
            && v.children.is_some()
            && matches!(k.kind, Kind::Leaf | Kind::Flag | Kind::Script)
        {
            self.error(
                codes::WRONG_TYPE,
                format!("`{}` is not a block", k.name),
                v.head,
                "has children",
                "write its values on the node's line",
            );
            return None;
        }
        if entry_ctx && v.children.is_some() {
            self.error(
                codes::WRONG_TYPE,
                "an entry of a value block has no block".into(),
                v.head,
                "has children",
                "write the entry's words on one line",
            );
            return None;
        }
        let inner = shapes().inner(shape);
        let outer = std::mem::replace(&mut self.owner, keyword.text.clone());
        let body = v.children.map(|c| self.body(c, inner));
        self.owner = outer;
        Some(ItemKind::Stmt(Stmt {
            keyword,
            args,
            body,
        }))
    }

    fn value(&mut self, e: &KdlEntry) -> Option<Value> {
        let at = span!(self, e.span());
        match e.value() {
            KdlValue::Bool(b) => Some(Value::Bool(*b, at)),
            _ => self.word(e).map(Value::Word),
        }
    }

    /// An entry's value as a keepalived word.
    fn word(&mut self, e: &KdlEntry) -> Option<Word> {
        let at = span!(self, e.span());
        let text = match e.value() {
            KdlValue::String(s) => s.clone(),
            KdlValue::Integer(i) => i.to_string(),
            KdlValue::Float(f) => f.to_string(),
            KdlValue::Bool(b) => b.to_string(),
            KdlValue::Null => {
                self.error(
                    codes::WRONG_TYPE,
                    "`#null` is not a value keepalived knows".into(),
                    at,
                    "null",
                    "leave the value out, or write a string",
                );
                return None;
            }
        };
        let _ = self.text;
        Some(Word::new(text, at))
    }
}

/// Whether `name` is a keepalived definition name.
pub fn valid_def_name(name: &str) -> bool {
    let mut c = name.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// The span of a comment at `start..end` of text found at `base` of the source (an empty
/// span at `fallback` when the text was not found there).
fn located_span(
    idx: &LineIndex,
    base: Option<usize>,
    fallback: usize,
    start: usize,
    end: usize,
) -> Span {
    match base {
        Some(b) => idx.span(b + start, end - start),
        None => idx.span(fallback, 0),
    }
}

/// The comments in KDL whitespace `ws`, with whether a line break precedes each, whether a
/// blank line follows it, and its byte range in `ws`.
fn comments_with_blanks(ws: &str) -> Vec<(bool, Comment, usize, usize)> {
    let mut out = Vec::new();
    for (nl, text, start, end) in comments_in(ws) {
        let after = &ws[end..];
        let gap = after
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(after.len());
        let mut c = Comment::new(text, Span::default());
        c.blank_after = after[..gap].matches('\n').count() >= 2;
        out.push((nl, c, start, end));
    }
    out
}

/// The comments in KDL whitespace `ws`: (whether a line break precedes it, its text, and the
/// byte range of the comment, marker included, in `ws`). `/- …` (a commented-out node) is
/// kept as a comment too.
pub fn comments_in(ws: &str) -> Vec<(bool, String, usize, usize)> {
    let mut out = Vec::new();
    let b = ws.as_bytes();
    let mut i = 0;
    let mut newline = false;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                newline = true;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = ws[i..].find('\n').map_or(ws.len(), |n| i + n);
                let text = ws[i + 2..end].trim_end();
                out.push((newline, text.to_string(), i, i + 2 + text.len()));
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = ws[i + 2..].find("*/").map_or(ws.len(), |n| i + 2 + n);
                let inner = &ws[i + 2..end];
                let lines: Vec<&str> = inner.lines().map(str::trim_end).collect();
                let close = (end + 2).min(ws.len());
                out.push((newline, lines.join("\n"), i, close));
                i = close;
            }
            b'/' if b.get(i + 1) == Some(&b'-') => {
                // A commented-out node: up to the end of its line.
                let end = ws[i..].find('\n').map_or(ws.len(), |n| i + n);
                let text = ws[i..end].trim_end();
                out.push((newline, format!(" {text}"), i, i + text.len()));
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> (Doc, Vec<Diagnostic>) {
        read(text, FileId(0))
    }

    #[test]
    fn nodes_become_statements_with_words() {
        let (d, diags) = doc(
            "vrrp_instance VI_1 {\n    @lb1 priority 150\n    virtual_ipaddress {\n        \"10.0.0.5/24\" dev=eth0 label=\"eth0:1\"\n    }\n}\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let printed = super::super::conf_print::print(&d).text;
        assert_eq!(
            printed,
            "vrrp_instance VI_1 {\n    @lb1 priority 150\n    virtual_ipaddress {\n        10.0.0.5/24 dev eth0 label eth0:1\n    }\n}\n"
        );
    }

    #[test]
    fn unknown_property_suggests() {
        let (_, diags) = doc("virtual_ipaddress { \"10.0.0.5/24\" dve=eth0 }\n");
        // virtual_ipaddress is not top level: the entry shape is unknown there, so the
        // property is passed on; inside an instance it is checked.
        assert!(diags.is_empty());
        let (_, diags) =
            doc("vrrp_instance X { virtual_ipaddress { \"10.0.0.5/24\" dev0=eth0 } }\n");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, codes::UNKNOWN_FIELD);
        assert!(diags[0].labels[0].message.contains("dev"));
    }

    #[test]
    fn comments_are_kept() {
        let (d, _) =
            doc("// top\nglobal_defs { // on open\n    // lead\n    router_id x // trail\n}\n");
        let g = &d.body.items[0];
        assert_eq!(g.comments[0].text, " top");
        assert_eq!(
            g.trailing.as_ref().map(|c| c.text.as_str()),
            Some(" on open")
        );
        let ItemKind::Stmt(s) = &g.kind else {
            panic!("statement")
        };
        let r = &s.body.as_ref().expect("body").items[0];
        assert_eq!(r.comments[0].text, " lead");
        assert_eq!(r.trailing.as_ref().map(|c| c.text.as_str()), Some(" trail"));
    }
}
