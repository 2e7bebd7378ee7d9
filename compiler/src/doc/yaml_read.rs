//! Reading the YAML form (docs/formats.md) into a [`Doc`].
//!
//! A body is a mapping from *line heads* to values, or a list of such mappings (when a key
//! repeats). A head is keepalived's line start: `priority`, `vrrp_instance VI_1`,
//! `real_server 10.0.1.11 8080`; `@lb1` (the items of the value apply on host lb1 only),
//! `$NAME` (a definition), `~SEQ n 1 3` (a repetition), `include`. A leaf's value is one word,
//! a list of words, or a mapping of its named parameters and options; a value block's value is
//! a list of entries; a leaf's value may also be a per-host mapping `{"@lb1": 150, "@lb2": 100}`.
//!
//! The text is read with granit-parser's event API (the parser under serde-saphyr), which keeps
//! byte offsets and comments; the tree and the comments are walked by hand.

use std::borrow::Cow;

use kac_schema::doc::shape::{Args, Context, Kind, shapes};
use kac_schema::doc::{
    Body, Comment, Cond, Def, DefValue, Doc, INCLUDE_KEYWORDS, Include, Item, ItemKind, Repeat,
    SeqKind, Stmt, When, Word,
};
use kac_schema::{Diagnostic, FileId, Span};

use granit_parser::{Event, Parser, ScalarStyle};

use super::kdl_read::valid_def_name;
use super::structure::{Named, Value, flatten};
use super::{LineIndex, codes};

/// A YAML node with its byte range.
#[derive(Clone, Debug)]
struct Node {
    kind: NodeKind,
    start: usize,
    end: usize,
}

#[derive(Clone, Debug)]
enum NodeKind {
    /// A scalar: its value and whether it was plain (unquoted).
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A comment: byte range, whether code precedes it on its line, and its text.
#[derive(Debug)]
struct YComment {
    start: usize,
    end: usize,
    right: bool,
    text: String,
    taken: bool,
}

/// Deeper nesting than any configuration needs (guards the recursive walk).
const MAX_DEPTH: usize = 64;

/// Reads YAML `text` (spans in `file`).
pub fn read(text: &str, file: FileId) -> (Doc, Vec<Diagnostic>) {
    let idx = LineIndex::new(text, file);
    let (root, comments) = match tree(text) {
        Ok(t) => t,
        Err((at, msg)) => {
            return (
                Doc::default(),
                vec![
                    Diagnostic::error(codes::YAML_SYNTAX, format!("invalid YAML: {msg}"))
                        .with_primary(idx.span(at, 0), "here")
                        .with_help("the configuration is YAML 1.2; see docs/formats.md"),
                ],
            );
        }
    };
    let mut r = Reader {
        idx,
        text,
        comments,
        diags: Vec::new(),
        depth: 0,
    };
    let top = shapes().top().map_or(Context::Unknown, Context::Block);
    let body = match &root {
        None => Body::default(),
        Some(n) => r.body(n, top, "the top level", text.len()),
    };
    let mut body = body;
    // Comments nothing else took: the end of the file.
    let rest = r.take_comments(0, text.len(), false);
    body.end_comments.extend(rest);
    (Doc { body }, r.diags)
}

/// Builds the tree of the (single) document and collects its comments.
fn tree(text: &str) -> Result<(Option<Node>, Vec<YComment>), (usize, String)> {
    let mut stack: Vec<(Node, Option<Node>)> = Vec::new();
    let mut root: Option<Node> = None;
    let mut anchors: std::collections::HashMap<usize, Node> = std::collections::HashMap::new();
    let mut anchor_of: Vec<usize> = Vec::new();
    let mut comments = Vec::new();
    let mut documents = 0;
    for ev in Parser::new_from_str(text) {
        let (ev, span) = match ev {
            Ok(x) => x,
            Err(e) => {
                let at = e.marker().byte_offset().unwrap_or(0);
                return Err((at, super::kdl_read::lower_first(&e.to_string())));
            }
        };
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        let done = match ev {
            Event::Comment(t, placement) => {
                let right = matches!(placement, granit_parser::Placement::Right)
                    || text[..start]
                        .rsplit('\n')
                        .next()
                        .is_some_and(|l| !l.trim().is_empty());
                comments.push(YComment {
                    start,
                    end,
                    right,
                    text: t.into_owned(),
                    taken: false,
                });
                None
            }
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err((start, "a configuration is one YAML document".into()));
                }
                None
            }
            Event::Scalar(v, style, anchor, _) => {
                let n = Node {
                    kind: NodeKind::Scalar(v.into_owned(), style == ScalarStyle::Plain),
                    start,
                    end,
                };
                if anchor != 0 {
                    anchors.insert(anchor, n.clone());
                }
                Some(n)
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => Some(n.clone()),
                None => return Err((start, "unknown alias".into())),
            },
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err((start, format!("nested more than {MAX_DEPTH} deep")));
                }
                let kind = if matches!(ev, Event::SequenceStart(..)) {
                    NodeKind::Seq(Vec::new())
                } else {
                    NodeKind::Map(Vec::new())
                };
                stack.push((Node { kind, start, end }, None));
                anchor_of.push(anchor);
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((mut n, pending)) = stack.pop() else {
                    return Err((start, "unbalanced structure".into()));
                };
                if pending.is_some() {
                    return Err((start, "a key without a value".into()));
                }
                n.end = end.max(n.start);
                let anchor = anchor_of.pop().unwrap_or(0);
                if anchor != 0 {
                    anchors.insert(anchor, n.clone());
                }
                Some(n)
            }
            _ => None,
        };
        let Some(n) = done else { continue };
        match stack.last_mut() {
            None => root = Some(n),
            Some((parent, pending)) => match &mut parent.kind {
                NodeKind::Seq(items) => items.push(n),
                NodeKind::Map(entries) => match pending.take() {
                    None => *pending = Some(n),
                    Some(k) => entries.push((k, n)),
                },
                NodeKind::Scalar(..) => {}
            },
        }
    }
    Ok((root, comments))
}

struct Reader<'a> {
    idx: LineIndex,
    text: &'a str,
    comments: Vec<YComment>,
    diags: Vec<Diagnostic>,
    depth: usize,
}

fn is_null(n: &Node) -> bool {
    matches!(&n.kind, NodeKind::Scalar(v, true) if matches!(v.as_str(), "" | "~" | "null" | "Null" | "NULL"))
}

fn plain_bool(n: &Node) -> Option<bool> {
    match &n.kind {
        NodeKind::Scalar(v, true) => match v.as_str() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn kind_name(n: &Node) -> &'static str {
    match &n.kind {
        _ if is_null(n) => "null",
        NodeKind::Scalar(..) => "a value",
        NodeKind::Seq(_) => "a list",
        NodeKind::Map(_) => "a mapping",
    }
}

impl<'a> Reader<'a> {
    fn span(&self, n: &Node) -> Span {
        self.idx.span(n.start, n.end.saturating_sub(n.start))
    }

    fn error(
        &mut self,
        code: &'static str,
        msg: String,
        at: Span,
        label: impl Into<Cow<'static, str>>,
        help: impl Into<Cow<'static, str>>,
    ) {
        self.diags.push(
            Diagnostic::error(code, msg)
                .with_primary(at, label)
                .with_help(help),
        );
    }

    fn wrong(&mut self, n: &Node, what: &str, help: &'static str) {
        let at = self.span(n);
        let got = kind_name(n);
        self.error(
            codes::WRONG_TYPE,
            format!("expected {what}, found {got}"),
            at,
            format!("{got} here"),
            help,
        );
    }

    /// Own-line comments in `from..to` not taken yet (all of them when `own_line` is false).
    fn take_comments(&mut self, from: usize, to: usize, own_line: bool) -> Vec<Comment> {
        let mut out = Vec::new();
        let (idx, text) = (&self.idx, self.text);
        for c in &mut self.comments {
            if !c.taken && c.start >= from && c.start < to && (!own_line || !c.right) {
                c.taken = true;
                let mut cm = Comment::new(c.text.clone(), idx.span(c.start, c.end - c.start));
                // A blank line after the comment.
                let next = idx.line_of(c.start) + 1;
                let (s, e) = (idx.line_start(next), idx.line_start(next + 1));
                cm.blank_after =
                    s < text.len() && text.get(s..e).is_some_and(|t| t.trim().is_empty());
                out.push(cm);
            }
        }
        out
    }

    /// Whether the line before the one holding byte `at` is blank.
    fn blank_before(&self, at: usize) -> bool {
        let line = self.idx.line_of(at);
        if line < 2 {
            return false;
        }
        let (s, e) = (self.idx.line_start(line - 1), self.idx.line_start(line));
        self.text.get(s..e).is_some_and(|t| t.trim().is_empty())
    }

    /// A comment after code on the line of byte `at`.
    fn take_trailing(&mut self, at: usize) -> Option<Comment> {
        let line = self.idx.line_of(at);
        let idx = &self.idx;
        let c = self
            .comments
            .iter_mut()
            .find(|c| !c.taken && c.right && c.start >= at && idx.line_of(c.start) == line)?;
        c.taken = true;
        Some(Comment::new(
            c.text.clone(),
            idx.span(c.start, c.end - c.start),
        ))
    }

    /// A scalar as a keepalived word (plain `true`/`false` in any case become `true`/`false`).
    fn word(&mut self, n: &Node) -> Option<Word> {
        let at = self.span(n);
        match &n.kind {
            NodeKind::Scalar(v, plain) => {
                let text = match plain_bool(n) {
                    Some(b) => b.to_string(),
                    None => v.clone(),
                };
                let _ = plain;
                Some(Word::new(text, at))
            }
            _ => {
                self.wrong(n, "a value", "write one value here");
                None
            }
        }
    }

    fn value(&mut self, n: &Node) -> Option<Value> {
        match plain_bool(n) {
            Some(b) => Some(Value::Bool(b, self.span(n))),
            None => self.word(n).map(Value::Word),
        }
    }

    /// The words of a list of scalars.
    fn words(&mut self, items: &[Node]) -> Option<Vec<Word>> {
        let mut out = Vec::new();
        for i in items {
            if is_null(i) {
                self.wrong(i, "a value", "remove the empty list item");
                return None;
            }
            out.push(self.word(i)?);
        }
        Some(out)
    }

    /// A body: a mapping of heads to values, or a list of such mappings.
    fn body(&mut self, n: &Node, ctx: Context<'_>, owner: &str, limit: usize) -> Body {
        self.depth += 1;
        let mut body = Body::default();
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return body;
        }
        match &n.kind {
            NodeKind::Map(entries) => self.entries_of_map(entries, ctx, &mut body),
            NodeKind::Seq(chunks) => {
                for c in chunks {
                    match &c.kind {
                        NodeKind::Map(entries) => self.entries_of_map(entries, ctx, &mut body),
                        NodeKind::Scalar(v, _) if use_of(v).is_some() => {
                            let lead = self.take_comments(0, c.start, true);
                            let name = use_of(v).unwrap_or_default().to_string();
                            let at = self.span(c);
                            let mut item = Item::new(ItemKind::Use(Word::new(name, at)), at);
                            item.comments = lead;
                            body.items.push(item);
                        }
                        _ => self.wrong(
                            c,
                            &format!("a mapping of keywords in {owner}"),
                            "write `- KEYWORD: VALUE` items, or a mapping",
                        ),
                    }
                }
            }
            _ if is_null(n) => {}
            _ => self.wrong(
                n,
                &format!("a mapping of keywords in {owner}"),
                "write the block's keywords as `KEYWORD: VALUE`",
            ),
        }
        // Own-line comments after the last item, indented like the items (a comment at a
        // smaller indent leads the parent's next item).
        if let Some(col) = first_key_col(n).map(|at| at - self.idx.line_start(self.idx.line_of(at)))
        {
            let end = limit.max(n.end);
            let idx = &self.idx;
            for c in &mut self.comments {
                let ccol = c.start - idx.line_start(idx.line_of(c.start));
                if !c.taken && !c.right && c.start < end && c.start >= n.start && ccol >= col {
                    c.taken = true;
                    body.end_comments.push(Comment::new(
                        c.text.clone(),
                        idx.span(c.start, c.end - c.start),
                    ));
                }
            }
        }
        self.depth -= 1;
        body
    }

    fn entries_of_map(&mut self, entries: &[(Node, Node)], ctx: Context<'_>, body: &mut Body) {
        let mut seen: Vec<(String, Span)> = Vec::new();
        for (k, v) in entries {
            let NodeKind::Scalar(key, _) = &k.kind else {
                self.wrong(
                    k,
                    "a keyword as the key",
                    "keys are keywords, like `priority`",
                );
                continue;
            };
            let kspan = self.span(k);
            if let Some((_, first)) = seen.iter().find(|(s, _)| s == key) {
                self.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_KEY,
                        format!("`{key}` is written twice in this mapping"),
                    )
                    .with_primary(kspan, "written again here")
                    .with_secondary(*first, "first written here")
                    .with_help(
                        "write the block as a list of mappings (`- KEY: …`) to repeat a keyword",
                    ),
                );
                continue;
            }
            seen.push((key.clone(), kspan));
            let lead = self.take_comments(0, k.start, true);
            let blank = self.blank_before(lead.first().map_or(k.start, |c| c.span.offset as usize));
            let trailing = self.take_trailing(k.start);
            let mut items = self.head(key, kspan, v, ctx);
            if let Some(first) = items.first_mut() {
                first.blank_before = blank;
                first.comments = lead;
                if first.trailing.is_none() {
                    first.trailing = trailing;
                }
            }
            body.items.append(&mut items);
        }
    }

    /// The items a `HEAD: VALUE` mapping entry says.
    fn head(&mut self, key: &str, kspan: Span, v: &Node, ctx: Context<'_>) -> Vec<Item> {
        let words: Vec<Word> = key
            .split_whitespace()
            .map(|w| {
                // Spans of the key's words, when the key is plain text.
                let at = self.text[kspan.offset as usize..(kspan.offset + kspan.len) as usize]
                    .find(w)
                    .map_or(kspan, |i| {
                        Span::new(
                            kspan.file,
                            kspan.line,
                            kspan.offset + i as u32,
                            w.len() as u32,
                        )
                    });
                Word::new(w, at)
            })
            .collect();
        let Some(first) = words.first().cloned() else {
            self.error(
                codes::INVALID_ITEM,
                "empty key".into(),
                kspan,
                "no keyword",
                "write a keyword as the key",
            );
            return Vec::new();
        };
        let rest = &words[1..];
        let one = |kind| vec![Item::new(kind, kspan)];
        if let Some(cond) = Cond::parse(&first.text) {
            let body = if rest.is_empty() {
                self.body(v, ctx, &first.text, v.end)
            } else {
                let inner = words[1..]
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>();
                Body::of(self.head(&inner.join(" "), rest[0].span.to(kspan), v, ctx))
            };
            return one(ItemKind::When(When {
                cond,
                cond_span: first.span,
                body,
            }));
        }
        if let Some(name) = first.text.strip_prefix('$')
            && valid_def_name(name)
        {
            if !rest.is_empty() {
                self.error(
                    codes::INVALID_ITEM,
                    format!("definition `{}` has words after its name", first.text),
                    kspan,
                    "one name",
                    "write `$NAME: VALUE`",
                );
                return Vec::new();
            }
            let nw = Word::new(name, first.span);
            return match &v.kind {
                _ if is_null(v) => one(ItemKind::Use(nw)),
                NodeKind::Scalar(..) => match self.word(v) {
                    Some(w) => one(ItemKind::Def(Def {
                        name: nw,
                        value: DefValue::Text(w),
                    })),
                    None => Vec::new(),
                },
                _ => {
                    let body = self.body(v, Context::Unknown, &first.text, v.end);
                    one(ItemKind::Def(Def {
                        name: nw,
                        value: DefValue::Block(body),
                    }))
                }
            };
        }
        if let Some(kind) = SeqKind::parse(&first.text) {
            if rest.len() < 2 {
                self.error(
                    codes::INVALID_ITEM,
                    format!("`{}` needs a variable and its values", first.text),
                    kspan,
                    "too few words",
                    "write `~SEQ VAR [START [STEP]] END: BODY`",
                );
                return Vec::new();
            }
            let body = match &v.kind {
                NodeKind::Scalar(s, _) if use_of(s).is_some() => {
                    let at = self.span(v);
                    Body::of(vec![Item::new(
                        ItemKind::Use(Word::new(use_of(s).unwrap_or_default(), at)),
                        at,
                    )])
                }
                _ => match ctx {
                    Context::Entries(_) => Body::of(self.entry_list(v, ctx, "the sequence")),
                    _ => self.body(v, ctx, &first.text, v.end),
                },
            };
            return one(ItemKind::Repeat(Repeat {
                kind,
                params: rest.to_vec(),
                body,
            }));
        }
        if INCLUDE_KEYWORDS.contains(&first.text.as_str()) {
            let patterns = match &v.kind {
                NodeKind::Seq(items) => self.words(items).unwrap_or_default(),
                NodeKind::Scalar(..) if !is_null(v) => self.word(v).into_iter().collect(),
                _ => {
                    self.wrong(v, "a file pattern", "write `include: conf.d/*.yaml`");
                    Vec::new()
                }
            };
            return patterns
                .into_iter()
                .map(|p| {
                    Item::new(
                        ItemKind::Include(Include {
                            keyword: first.clone(),
                            pattern: p,
                        }),
                        kspan,
                    )
                })
                .collect();
        }
        self.stmt(first, rest.to_vec(), kspan, v, ctx)
    }

    fn stmt(
        &mut self,
        kw: Word,
        header: Vec<Word>,
        kspan: Span,
        v: &Node,
        ctx: Context<'_>,
    ) -> Vec<Item> {
        let shape = shapes().lookup(ctx, &kw.text);
        let kind = shape.map(|k| k.kind.clone());
        let is_leaf = matches!(kind, Some(Kind::Leaf | Kind::Flag | Kind::Script))
            || (kind.is_none() && !matches!(v.kind, NodeKind::Map(_)));
        // A per-host value: `priority: {"@lb1": 150, "@lb2": 100}`.
        if is_leaf
            && let NodeKind::Map(entries) = &v.kind
            && !entries.is_empty()
            && entries
                .iter()
                .all(|(k, _)| matches!(&k.kind, NodeKind::Scalar(s, _) if Cond::parse(s).is_some()))
        {
            let mut out = Vec::new();
            for (k, val) in entries {
                let NodeKind::Scalar(c, _) = &k.kind else {
                    continue;
                };
                let Some(cond) = Cond::parse(c) else { continue };
                let lead = self.take_comments(0, k.start, true);
                let trailing = self.take_trailing(k.start);
                let cspan = self.span(k);
                let Some(args) = self.leaf_words(
                    &kw,
                    header.clone(),
                    val,
                    shape.map(|k| &k.args),
                    kind.as_ref(),
                ) else {
                    continue;
                };
                let stmt = Item::new(
                    ItemKind::Stmt(Stmt {
                        keyword: kw.clone(),
                        args,
                        body: None,
                    }),
                    kspan,
                );
                let mut item = Item::new(
                    ItemKind::When(When {
                        cond,
                        cond_span: cspan,
                        body: Body::of(vec![stmt]),
                    }),
                    cspan,
                );
                item.comments = lead;
                item.trailing = trailing;
                out.push(item);
            }
            return out;
        }
        let stmt = if is_leaf {
            let Some(args) = self.leaf_words(&kw, header, v, shape.map(|k| &k.args), kind.as_ref())
            else {
                return Vec::new();
            };
            Stmt {
                keyword: kw,
                args,
                body: None,
            }
        } else {
            let inner = shapes().inner(shape);
            let body = match (&kind, &v.kind) {
                _ if is_null(v) => None,
                (Some(Kind::Values(_)), _) => Some(Body::of(self.entry_list(v, inner, &kw.text))),
                _ => Some(self.body(v, inner, &format!("`{}`", kw.text), v.end)),
            };
            Stmt {
                keyword: kw,
                args: header,
                body,
            }
        };
        vec![Item::new(ItemKind::Stmt(stmt), kspan)]
    }

    /// The words of a leaf's value (after the head's own words).
    fn leaf_words(
        &mut self,
        kw: &Word,
        mut header: Vec<Word>,
        v: &Node,
        shape: Option<&Args>,
        kind: Option<&Kind>,
    ) -> Option<Vec<Word>> {
        if kind == Some(&Kind::Flag) {
            match plain_bool(v) {
                Some(true) => return Some(header),
                Some(false) => {
                    let at = self.span(v);
                    self.error(
                        codes::WRONG_TYPE,
                        format!("`{}` is a flag", kw.text),
                        at,
                        "a flag is on when written",
                        format!("leave `{}` out to turn it off", kw.text),
                    );
                    return None;
                }
                None => {}
            }
        }
        match &v.kind {
            _ if is_null(v) => Some(header),
            NodeKind::Scalar(..) => {
                header.push(self.word(v)?);
                Some(header)
            }
            NodeKind::Seq(items) => {
                header.extend(self.words(items)?);
                Some(header)
            }
            NodeKind::Map(entries) => {
                let named = self.named(entries)?;
                Some(flatten(shape, &kw.text, header, named, &mut self.diags))
            }
        }
    }

    fn named(&mut self, entries: &[(Node, Node)]) -> Option<Vec<Named>> {
        let mut out = Vec::new();
        for (k, v) in entries {
            let NodeKind::Scalar(name, _) = &k.kind else {
                self.wrong(k, "a name", "keys are parameter or option names");
                return None;
            };
            let at = self.span(k);
            let value = match &v.kind {
                _ if is_null(v) => Value::Bool(true, self.span(v)),
                NodeKind::Scalar(..) => self.value(v)?,
                _ => {
                    self.wrong(v, "a value", "write one value");
                    return None;
                }
            };
            out.push(Named {
                name: Word::new(name.clone(), at),
                value,
            });
        }
        Some(out)
    }

    /// The entries of a value block (a list).
    fn entry_list(&mut self, v: &Node, ctx: Context<'_>, owner: &str) -> Vec<Item> {
        let shape = match ctx {
            Context::Entries(e) => Some(&e.args),
            _ => None,
        };
        let items = match &v.kind {
            NodeKind::Seq(items) => items.clone(),
            _ if is_null(v) => Vec::new(),
            _ => {
                self.wrong(
                    v,
                    &format!("a list of entries of `{owner}`"),
                    "write `- ENTRY` items",
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for e in &items {
            let lead = self.take_comments(0, e.start, true);
            let blank = self.blank_before(lead.first().map_or(e.start, |c| c.span.offset as usize));
            let trailing = self.take_trailing(e.start);
            let Some(mut item) = self.entry(e, shape, ctx, owner) else {
                continue;
            };
            item.comments = lead;
            item.blank_before = blank;
            if item.trailing.is_none() {
                item.trailing = trailing;
            }
            out.push(item);
        }
        out
    }

    fn entry(
        &mut self,
        e: &Node,
        shape: Option<&Args>,
        ctx: Context<'_>,
        owner: &str,
    ) -> Option<Item> {
        let at = self.span(e);
        let words = match &e.kind {
            _ if is_null(e) => {
                self.wrong(e, "an entry", "remove the empty list item");
                return None;
            }
            NodeKind::Scalar(..) => vec![self.word(e)?],
            NodeKind::Seq(items) => self.words(items)?,
            NodeKind::Map(entries) => {
                // `- "@lb1": ENTRY`, `- "~SEQ i 1 3": [ENTRIES]`, `- $NAME:`, `- include: …`.
                if let [(k, v)] = entries.as_slice()
                    && let NodeKind::Scalar(key, _) = &k.kind
                    && special_head(key)
                {
                    let kspan = self.span(k);
                    if let Some(cond) = Cond::parse(key) {
                        let inner = self.entry(v, shape, ctx, owner)?;
                        return Some(Item::new(
                            ItemKind::When(When {
                                cond,
                                cond_span: kspan,
                                body: Body::of(vec![inner]),
                            }),
                            kspan,
                        ));
                    }
                    if let Some(kind) = key.split_whitespace().next().and_then(SeqKind::parse) {
                        let params: Vec<Word> = key
                            .split_whitespace()
                            .skip(1)
                            .map(|w| Word::new(w, kspan))
                            .collect();
                        let body = match &v.kind {
                            NodeKind::Seq(_) => Body::of(self.entry_list(v, ctx, owner)),
                            _ => Body::of(self.entry(v, shape, ctx, owner).into_iter().collect()),
                        };
                        return Some(Item::new(
                            ItemKind::Repeat(Repeat { kind, params, body }),
                            kspan,
                        ));
                    }
                    return self.head(key, kspan, v, ctx).into_iter().next();
                }
                let named = self.named(entries)?;
                flatten(
                    shape,
                    &format!("{owner} entry"),
                    Vec::new(),
                    named,
                    &mut self.diags,
                )
            }
        };
        let mut words = words.into_iter();
        let Some(first) = words.next() else {
            self.error(
                codes::INVALID_ITEM,
                "empty entry".into(),
                at,
                "no words",
                "write the entry's words",
            );
            return None;
        };
        Some(Item::new(
            ItemKind::Stmt(Stmt {
                keyword: first,
                args: words.collect(),
                body: None,
            }),
            at,
        ))
    }
}

/// The offset of the first key of a body (a mapping, or the first chunk of a list).
fn first_key_col(n: &Node) -> Option<usize> {
    match &n.kind {
        NodeKind::Map(entries) => entries.first().map(|(k, _)| k.start),
        NodeKind::Seq(items) => items.first().and_then(first_key_col),
        NodeKind::Scalar(..) => None,
    }
}

/// `$NAME` alone (the expansion of a block definition), for a scalar where a body is expected.
fn use_of(s: &str) -> Option<&str> {
    let name = s.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    valid_def_name(name).then_some(name)
}

/// Whether a mapping key is a condition, definition, sequence or include rather than a field.
fn special_head(key: &str) -> bool {
    let first = key.split_whitespace().next().unwrap_or("");
    Cond::parse(first).is_some()
        || SeqKind::parse(first).is_some()
        || first.strip_prefix('$').is_some_and(valid_def_name)
        || INCLUDE_KEYWORDS.contains(&first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::conf_print::print;

    fn conf(yaml: &str) -> (String, Vec<Diagnostic>) {
        let (d, diags) = read(yaml, FileId(0));
        (print(&d).text, diags)
    }

    #[test]
    fn yaml_reads_like_keepalived_conf() {
        let (text, diags) = conf(
            "global_defs:\n  router_id: {\"@lb1\": LB1, \"@lb2\": LB2}\n  enable_script_security: true\nvrrp_instance VI_1:\n  priority: 100\n  virtual_ipaddress:\n    - 10.0.0.5/24\n    - {address: 10.0.0.6/24, dev: eth0, home: true}\n    - \"@lb1\": 10.0.0.7/24\n  track_script:\n    - {name: chk, weight: -20, reverse: true}\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            text,
            "global_defs {\n    @lb1 router_id LB1\n    @lb2 router_id LB2\n    enable_script_security\n}\nvrrp_instance VI_1 {\n    priority 100\n    virtual_ipaddress {\n        10.0.0.5/24\n        10.0.0.6/24 dev eth0 home\n        @lb1 10.0.0.7/24\n    }\n    track_script {\n        chk weight -20 reverse\n    }\n}\n"
        );
    }

    #[test]
    fn chunks_definitions_and_sequences() {
        let (text, diags) = conf(
            "$NET: 192.0.2\n$RS:\n  real_server 10.0.0.$i 80:\n    weight: 1\nvirtual_server ${NET}.1 80:\n  - lb_algo: rr\n  - \"~SEQ i 1 2\": $RS\ninclude: [a.yaml, b.conf]\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert!(text.contains("$NET=192.0.2\n"), "{text}");
        assert!(
            text.contains("$RS=real_server 10.0.0.$i 80 { \\\n"),
            "{text}"
        );
        assert!(text.contains("    ~SEQ(i, 1, 2) $RS\n"), "{text}");
        assert!(text.contains("include a.yaml\ninclude b.conf\n"), "{text}");
    }

    #[test]
    fn problems_are_reported_at_their_key() {
        let (_, diags) =
            conf("vrrp_instance X:\n  nopreempt: false\n  priority: 1\n  priority: 2\n");
        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_ref()).collect();
        assert_eq!(codes, vec![codes::WRONG_TYPE, codes::DUPLICATE_KEY]);
        assert_eq!(diags[1].primary_span().map(|s| s.line), Some(4));
        let (_, diags) = conf("a: [\n");
        assert_eq!(diags[0].code, codes::YAML_SYNTAX);
    }

    #[test]
    fn comments_are_kept() {
        let (d, _) = read(
            "# top\nglobal_defs:  # trail\n  # lead\n  router_id: x\n  # end\n",
            FileId(0),
        );
        let g = &d.body.items[0];
        assert_eq!(g.comments[0].text, " top");
        assert_eq!(g.trailing.as_ref().map(|c| c.text.as_str()), Some(" trail"));
        let ItemKind::Stmt(s) = &g.kind else {
            panic!("statement")
        };
        let b = s.body.as_ref().expect("body");
        assert_eq!(b.items[0].comments[0].text, " lead");
        assert_eq!(b.end_comments[0].text, " end");
    }
}
