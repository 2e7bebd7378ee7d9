//! Reading keepalived.conf *as written* into a [`Doc`], for `kac convert` and `kac fmt`.
//!
//! Unlike the compiler's preprocessor, which reads one host's lines, this keeps what the file
//! says for every host: `@ID`/`@^ID` prefixes become host conditions, `$NAME=` lines
//! definitions (a multi-line definition made of whole statements becomes a block
//! definition), `$NAME` alone on a line its expansion, `~SEQ(…)`/`~LST(…)` repetitions,
//! `include` lines includes, and `#`/`!` comments are attached to the statement they precede
//! (or end the line of).
//!
//! What a structured document cannot carry is reported with [`codes::NOT_CARRIED`], never
//! dropped: a definition that expands to part of a statement or an unbalanced block, a host
//! condition on a block's first line but not on its body, a brace that closes no block, a line
//! longer than keepalived's 1023 bytes (keepalived splits it).

use kac_schema::doc::shape::{Context, Kind, shapes};
use kac_schema::doc::{
    Body, Comment, Cond, Def, DefValue, Doc, INCLUDE_KEYWORDS, Include, Item, ItemKind, Repeat,
    SeqKind, Stmt, When, Word,
};
use kac_schema::{Diagnostic, FileId, Span};

use super::kdl_read::valid_def_name;
use super::{LineIndex, codes};
use crate::conf::decomment::decomment;
use crate::conf::preproc::MAX_LINE;
use crate::conf::words::{split_script_words, split_words};

/// Reads keepalived.conf `text` (spans in `file`).
pub fn read(text: &str, file: FileId) -> (Doc, Vec<Diagnostic>) {
    let idx = LineIndex::new(text, file);
    let mut diags = Vec::new();
    let lines = logical_lines(text, &idx, &mut diags);
    let mut b = Builder::new(&idx, Context::Unknown);
    let top = shapes().top().map_or(Context::Unknown, Context::Block);
    b.ctx_stack = vec![top];
    for l in lines {
        b.line(l);
    }
    let body = b.finish();
    diags.append(&mut b.diags);
    (Doc { body }, diags)
}

/// One logical line of the file: its text after comment removal, where it is, the comment it
/// carried, and whether a blank line came before it.
#[derive(Debug, Clone)]
struct Logical {
    text: String,
    /// Offset of `text` in the file (exact when `exact`).
    offset: usize,
    exact: bool,
    span: Span,
    comment: Option<Comment>,
    blank_before: bool,
    /// Continuation lines of a multi-line definition (already decommented).
    continued: Vec<Logical>,
}

/// Where a comment starts in a raw line: the first `#` or `!` outside double quotes that is not
/// escaped with `\` (keepalived's `decomment()`).
fn comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut quote = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => quote = !quote,
            b'\\' => i += 1,
            b'#' | b'!' if !quote => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn logical_lines(text: &str, idx: &LineIndex, diags: &mut Vec<Diagnostic>) -> Vec<Logical> {
    let mut out: Vec<Logical> = Vec::new();
    let mut offset = 0usize;
    let mut blank = false;
    let mut collecting = false;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.len() > MAX_LINE {
            diags.push(
                Diagnostic::error(
                    codes::NOT_CARRIED,
                    format!("line longer than keepalived's {MAX_LINE} bytes"),
                )
                .with_primary(
                    idx.span(start, line.len()),
                    "keepalived splits this line in two",
                )
                .with_help("shorten the line; its meaning depends on where keepalived cuts it"),
            );
        }
        let comment = comment_start(line).map(|at| {
            Comment::new(
                line[at + 1..].trim_end(),
                idx.span(start + at, line.len() - at),
            )
        });
        let d = decomment(line);
        if d.unterminated_quote {
            diags.push(
                Diagnostic::error(codes::NOT_CARRIED, "unterminated quote")
                    .with_primary(
                        idx.span(start, line.len()),
                        "this line's `\"` is never closed",
                    )
                    .with_help("close the quote (keepalived reports this line too)"),
            );
        }
        let l = Logical {
            offset: start + d.lead,
            exact: d.exact,
            span: idx.span(start + d.lead, d.text.len()),
            text: d.text,
            comment,
            blank_before: blank,
            continued: Vec::new(),
        };
        if l.text.is_empty() {
            collecting = false;
            match l.comment {
                // A comment-only line: kept as a line of its own.
                Some(_) => {
                    out.push(l);
                    blank = false;
                }
                None => blank = true,
            }
            continue;
        }
        blank = false;
        if collecting {
            // A continuation line of a multi-line definition.
            collecting = l.text.ends_with('\\');
            if let Some(def) = out.last_mut() {
                def.continued.push(l);
            }
            continue;
        }
        collecting =
            definition_head(&strip_conditions(&l.text).1).is_some() && l.text.ends_with('\\');
        out.push(l);
    }
    out
}

/// Splits `@ID `/`@^ID ` prefixes off a line: the conditions and the rest.
fn strip_conditions(text: &str) -> (Vec<Cond>, String) {
    let mut conds = Vec::new();
    let mut rest = text;
    while rest.starts_with('@') {
        let Some(sp) = rest.find([' ', '\t']) else {
            // `@ID` alone: keepalived drops the line.
            return (conds, String::new());
        };
        match Cond::parse(&rest[..sp]) {
            Some(c) => conds.push(c),
            None => break,
        }
        rest = rest[sp..].trim_start_matches([' ', '\t']);
    }
    (conds, rest.to_string())
}

/// `$NAME=VALUE`: the name and the value.
fn definition_head(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('$')?;
    let (name, value) = rest.split_once('=')?;
    valid_def_name(name).then(|| (name, value.trim_start_matches([' ', '\t'])))
}

/// One piece of a line after brace splitting.
#[derive(Debug)]
enum Piece {
    Open(Span),
    Close(Span),
    /// Words of a statement (keyword first).
    Words(Vec<Word>),
}

/// An open block: its statement, the conditions of its first line, and its items.
struct Frame {
    item: Item,
    conds: Vec<Cond>,
    body: Body,
}

struct Builder<'i> {
    idx: &'i LineIndex,
    stack: Vec<Frame>,
    top: Body,
    /// The keyword contexts of the open blocks (the top level first).
    ctx_stack: Vec<Context<'static>>,
    /// A statement line that a `{` may still follow: the item and its conditions.
    pending: Option<(Item, Vec<Cond>)>,
    /// Comment lines waiting for the next item.
    comments: Vec<Comment>,
    blank: bool,
    diags: Vec<Diagnostic>,
}

impl<'i> Builder<'i> {
    fn new(idx: &'i LineIndex, ctx: Context<'static>) -> Self {
        Builder {
            idx,
            stack: Vec::new(),
            top: Body::default(),
            ctx_stack: vec![ctx],
            pending: None,
            comments: Vec::new(),
            blank: false,
            diags: Vec::new(),
        }
    }

    fn not_carried(&mut self, at: Span, msg: String, label: &'static str, help: &'static str) {
        self.diags.push(
            Diagnostic::error(codes::NOT_CARRIED, msg)
                .with_primary(at, label)
                .with_help(help),
        );
    }

    fn ctx(&self) -> Context<'static> {
        self.ctx_stack.last().copied().unwrap_or(Context::Unknown)
    }

    fn frame_conds(&self) -> &[Cond] {
        self.stack.last().map_or(&[], |f| f.conds.as_slice())
    }

    fn body_mut(&mut self) -> &mut Body {
        match self.stack.last_mut() {
            Some(f) => &mut f.body,
            None => &mut self.top,
        }
    }

    /// Adds `item` (written with `conds`) to the current body, wrapped in the conditions the
    /// block does not already have.
    fn add(&mut self, mut item: Item, conds: &[Cond], at: Span) {
        let outer = self.frame_conds().to_vec();
        if !conds.starts_with(&outer) {
            self.not_carried(
                at,
                "a line inside a block with a host condition lacks that condition".into(),
                "this line applies on hosts where its block does not",
                "write the block's `@ID` prefix on every line of the block, or on none",
            );
            return;
        }
        let comments = std::mem::take(&mut item.comments);
        let trailing = item.trailing.take();
        let blank = item.blank_before;
        for c in conds[outer.len()..].iter().rev() {
            item = Item::new(
                ItemKind::When(When {
                    cond: c.clone(),
                    cond_span: at,
                    body: Body::of(vec![item]),
                }),
                at,
            );
        }
        item.comments = comments;
        item.trailing = trailing;
        item.blank_before = blank;
        self.body_mut().items.push(item);
    }

    fn flush_pending(&mut self) {
        if let Some((item, conds)) = self.pending.take() {
            let at = item.span;
            self.add(item, &conds, at);
        }
    }

    fn new_item(&mut self, kind: ItemKind, l: &Logical) -> Item {
        let mut item = Item::new(kind, l.span);
        let comments = std::mem::take(&mut self.comments);
        item.blank_before =
            std::mem::take(&mut self.blank) || (l.blank_before && comments.is_empty());
        item.comments = comments;
        item.trailing.clone_from(&l.comment);
        item
    }

    fn line(&mut self, l: Logical) {
        if l.text.is_empty() {
            if let Some(c) = l.comment {
                match self.comments.last_mut() {
                    // A blank line between two comments.
                    Some(prev) if l.blank_before => prev.blank_after = true,
                    None if l.blank_before => self.blank = true,
                    _ => {}
                }
                self.comments.push(c);
            }
            return;
        }
        if l.blank_before
            && let Some(last) = self.comments.last_mut()
        {
            // Comments set apart from this line by a blank line.
            last.blank_after = true;
        }
        let (conds, rest) = strip_conditions(&l.text);
        if rest.is_empty() {
            return;
        }
        // Offset of `rest` in the file, when the text maps onto it.
        let rest_at = l.offset + (l.text.len() - rest.len());
        if let Some((name, value)) = definition_head(&rest) {
            self.flush_pending();
            let name_span = self.idx.span(rest_at + 1, name.len());
            let item = self.definition(name, value, &l, name_span);
            self.add(item, &conds, l.span);
            return;
        }
        if let Some((kind, params, body_text)) = sequence(&rest) {
            self.flush_pending();
            let body = self.sub_body(&body_text, &l, "the repeated line");
            let params = params.into_iter().map(|p| Word::new(p, l.span)).collect();
            let item = self.new_item(ItemKind::Repeat(Repeat { kind, params, body }), &l);
            self.add(item, &conds, l.span);
            return;
        }
        if rest.starts_with('~') && (rest.starts_with("~SEQ") || rest.starts_with("~LST")) {
            self.not_carried(
                l.span,
                "invalid sequence".into(),
                "keepalived rejects this sequence",
                "write `~SEQ(var, END)`, `~SEQ(var, START, END)`, `~SEQ(var, START, STEP, END)` or `~LST(var, v1, v2, …)`",
            );
            return;
        }
        let mut ws = Vec::new();
        split_words(&rest, &mut ws);
        let word = |i: usize| &rest[ws[i].start as usize..ws[i].end as usize];
        if ws.len() == 2 && INCLUDE_KEYWORDS.contains(&word(0)) && !ws[0].quoted {
            self.flush_pending();
            let kw = Word::new(word(0), self.word_span(&l, rest_at, ws[0].start, ws[0].end));
            let pattern = Word::new(word(1), self.word_span(&l, rest_at, ws[1].start, ws[1].end));
            let item = self.new_item(
                ItemKind::Include(Include {
                    keyword: kw,
                    pattern,
                }),
                &l,
            );
            self.add(item, &conds, l.span);
            return;
        }
        if let Some(name) = use_of(&rest) {
            self.flush_pending();
            let item = self.new_item(ItemKind::Use(Word::new(name, l.span)), &l);
            self.add(item, &conds, l.span);
            return;
        }
        let pieces = self.pieces(&rest, rest_at, &l);
        let mut first = true;
        for p in pieces {
            self.piece(p, &conds, &l, first);
            first = false;
        }
    }

    fn word_span(&self, l: &Logical, rest_at: usize, start: u32, end: u32) -> Span {
        if l.exact {
            self.idx
                .span(rest_at + start as usize, (end - start) as usize)
        } else {
            l.span
        }
    }

    /// Brace splitting as keepalived does it: cut before the first `{`/`}` outside quotes; a
    /// line starting with one is cut after it.
    fn pieces(&mut self, text: &str, at: usize, l: &Logical) -> Vec<Piece> {
        let mut out = Vec::new();
        let mut rest = text;
        let mut pos = at;
        loop {
            let trimmed = rest.trim_start_matches([' ', '\t']);
            pos += rest.len() - trimmed.len();
            rest = trimmed;
            if rest.is_empty() {
                break;
            }
            let b = rest.as_bytes();
            if b[0] == b'{' || b[0] == b'}' {
                let sp = if l.exact {
                    self.idx.span(pos, 1)
                } else {
                    l.span
                };
                out.push(if b[0] == b'{' {
                    Piece::Open(sp)
                } else {
                    Piece::Close(sp)
                });
                rest = &rest[1..];
                pos += 1;
                continue;
            }
            let cut = brace_outside_quotes(rest).unwrap_or(rest.len());
            let part = rest[..cut].trim_end_matches([' ', '\t']);
            out.push(Piece::Words(self.words(part, pos, l)));
            rest = &rest[cut..];
            pos += cut;
        }
        out
    }

    /// The words of a statement: ordinary words, or for a script keyword the command line
    /// split as keepalived's script tokenizer splits it.
    fn words(&mut self, part: &str, pos: usize, l: &Logical) -> Vec<Word> {
        let mut ws = Vec::new();
        split_words(part, &mut ws);
        let span = |s: u32, e: u32| -> Span {
            if l.exact {
                self.idx.span(pos + s as usize, (e - s) as usize)
            } else {
                l.span
            }
        };
        let mut out: Vec<Word> = ws
            .iter()
            .map(|w| {
                Word::new(
                    &part[w.start as usize..w.end as usize],
                    span(w.start, w.end),
                )
            })
            .collect();
        let ctx = self.ctx();
        let script = !matches!(ctx, Context::Entries(_))
            && out
                .first()
                .and_then(|k| shapes().lookup(ctx, &k.text))
                .is_some_and(|k| k.kind == Kind::Script);
        if script && ws.len() > 1 {
            let raw_start = if ws[1].quoted {
                ws[1].start - 1
            } else {
                ws[1].start
            } as usize;
            let raw = &part[raw_start..];
            let at = span(raw_start as u32, part.len() as u32);
            match split_script_words(raw) {
                Ok(sw) => {
                    out.truncate(1);
                    // keepalived uses the command and at most a user and a group.
                    if sw.len() > 3 {
                        self.not_carried(
                            at,
                            "words after the script's user and group".into(),
                            "keepalived ignores them",
                            "remove them, or quote the command line",
                        );
                    }
                    out.extend(sw.into_iter().take(3).map(|w| Word::new(w, at)));
                }
                Err(_) => self.not_carried(
                    at,
                    "script command line with an unterminated quote".into(),
                    "quote never closed",
                    "close the quote",
                ),
            }
        }
        out
    }

    fn piece(&mut self, p: Piece, conds: &[Cond], l: &Logical, first: bool) {
        match p {
            Piece::Words(words) => {
                self.flush_pending();
                let mut it = words.into_iter();
                let Some(keyword) = it.next() else { return };
                let kind = ItemKind::Stmt(Stmt {
                    keyword,
                    args: it.collect(),
                    body: None,
                });
                let mut item = self.new_item(kind, l);
                if !first {
                    item.trailing = None;
                }
                self.pending = Some((item, conds.to_vec()));
            }
            Piece::Open(at) => {
                let Some((item, head_conds)) = self.pending.take() else {
                    self.not_carried(
                        at,
                        "`{` where no block starts".into(),
                        "no keyword before it",
                        "remove the `{` (keepalived reports it too)",
                    );
                    return;
                };
                if head_conds != conds {
                    self.not_carried(
                        at,
                        "a block's `{` and its first line have different host conditions".into(),
                        "the block opens on some hosts only",
                        "write the same `@ID` prefix on the block's keyword line and its `{`",
                    );
                    return;
                }
                let outer = self.frame_conds().to_vec();
                if !conds.starts_with(&outer) {
                    self.not_carried(
                        at,
                        "a block inside a block with a host condition lacks that condition".into(),
                        "this block applies on hosts where its parent does not",
                        "write the parent's `@ID` prefix on every line of it, or on none",
                    );
                }
                let ctx = self.ctx();
                let inner = match &item.kind {
                    ItemKind::Stmt(s) if !matches!(ctx, Context::Entries(_)) => {
                        shapes().inner(shapes().lookup(ctx, &s.keyword.text))
                    }
                    _ => Context::Unknown,
                };
                self.ctx_stack.push(inner);
                self.stack.push(Frame {
                    item,
                    conds: conds.to_vec(),
                    body: Body::default(),
                });
            }
            Piece::Close(at) => {
                self.flush_pending();
                let Some(mut f) = self.stack.pop() else {
                    self.not_carried(
                        at,
                        "`}` that closes no block".into(),
                        "no block is open here",
                        "remove it (keepalived reports an extra `}`)",
                    );
                    return;
                };
                self.ctx_stack.pop();
                f.body.end_comments.append(&mut self.comments);
                if f.conds != conds {
                    self.not_carried(
                        at,
                        "a block's `}` and its first line have different host conditions".into(),
                        "the block closes on some hosts only",
                        "write the same `@ID` prefix on the block's keyword line and its `}`",
                    );
                }
                if let Some(c) = &l.comment
                    && first
                {
                    f.body.end_comments.push(c.clone());
                }
                let mut item = f.item;
                if let ItemKind::Stmt(s) = &mut item.kind {
                    s.body = Some(f.body);
                }
                let at = item.span;
                let conds = f.conds;
                self.add(item, &conds, at);
            }
        }
    }

    fn definition(&mut self, name: &str, value: &str, l: &Logical, name_span: Span) -> Item {
        let nw = Word::new(name, name_span);
        if l.continued.is_empty() && !value.ends_with('\\') {
            let v = Word::new(value, l.span);
            return self.new_item(
                ItemKind::Def(Def {
                    name: nw,
                    value: DefValue::Text(v),
                }),
                l,
            );
        }
        // A multi-line definition: its lines must be whole statements.
        let mut lines: Vec<Logical> = Vec::new();
        let first = value.trim_end_matches('\\').trim_end_matches([' ', '\t']);
        if !first.is_empty() {
            let mut f = l.clone();
            f.text = first.to_string();
            f.offset = l.offset + (l.text.len() - value.len());
            f.exact = false;
            f.comment = None;
            f.continued.clear();
            lines.push(f);
        }
        for c in &l.continued {
            let mut c = c.clone();
            c.text = c
                .text
                .trim_end_matches('\\')
                .trim_end_matches([' ', '\t'])
                .to_string();
            c.comment = None;
            if !c.text.is_empty() {
                lines.push(c);
            }
        }
        let body = self.sub_lines(lines, &format!("definition `${name}`"), l.span);
        let mut item = self.new_item(
            ItemKind::Def(Def {
                name: nw,
                value: DefValue::Block(body),
            }),
            l,
        );
        // Comments of the continuation lines.
        for c in &l.continued {
            if let Some(cm) = &c.comment {
                item.comments.push(cm.clone());
            }
        }
        item
    }

    /// The items of a line's text (the body of a sequence).
    fn sub_body(&mut self, text: &str, l: &Logical, what: &str) -> Body {
        let mut line = l.clone();
        line.text = text.to_string();
        line.exact = false;
        line.comment = None;
        line.blank_before = false;
        line.continued.clear();
        self.sub_lines(vec![line], what, l.span)
    }

    /// Reads `lines` as complete items in the current context; reports partial statements.
    fn sub_lines(&mut self, lines: Vec<Logical>, what: &str, at: Span) -> Body {
        let mut b = Builder::new(self.idx, self.ctx());
        for l in lines {
            b.line(l);
        }
        let open = !b.stack.is_empty();
        let body = b.finish();
        self.diags.append(&mut b.diags);
        if open {
            self.not_carried(
                at,
                format!("{what} opens a block it does not close"),
                "expands to part of a block",
                "make each definition or repeated line hold whole statements, or write the lines out",
            );
        }
        body
    }

    fn finish(&mut self) -> Body {
        self.flush_pending();
        while let Some(f) = self.stack.pop() {
            self.ctx_stack.pop();
            let at = f.item.span;
            self.not_carried(
                at,
                "block not closed".into(),
                "no `}` for this block",
                "add the missing `}` (keepalived reports it too)",
            );
            let mut item = f.item;
            if let ItemKind::Stmt(s) = &mut item.kind {
                s.body = Some(f.body);
            }
            self.add(item, &f.conds, at);
        }
        let mut top = std::mem::take(&mut self.top);
        top.end_comments.append(&mut self.comments);
        top
    }
}

/// The first `{` or `}` outside double quotes and outside `${NAME}` references (keepalived
/// expands those before it splits lines at braces).
fn brace_outside_quotes(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut quote = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => quote = !quote,
            b'$' if b.get(i + 1) == Some(&b'{') => {
                if let Some(close) = s[i..].find('}') {
                    i += close + 1;
                    continue;
                }
            }
            b'{' | b'}' if !quote => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// `$NAME` or `${NAME}` as a whole line.
fn use_of(text: &str) -> Option<&str> {
    let n = text.strip_prefix('$')?;
    let n = n
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(n);
    valid_def_name(n).then_some(n)
}

/// `~SEQ(…) rest` / `~SEQx(…)` / `~LST(…)`: the kind, the items in the parentheses, the rest.
fn sequence(text: &str) -> Option<(SeqKind, Vec<String>, String)> {
    let (kind, rest) = if let Some(r) = text.strip_prefix("~SEQx") {
        (SeqKind::SeqX, r)
    } else if let Some(r) = text.strip_prefix("~SEQ") {
        (SeqKind::Seq, r)
    } else if let Some(r) = text.strip_prefix("~LST") {
        (SeqKind::Lst, r)
    } else {
        return None;
    };
    let rest = rest.trim_start_matches([' ', '\t']).strip_prefix('(')?;
    let mut depth = 0i32;
    let mut close = None;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '{' => depth += 1,
            '}' => depth -= 1,
            ')' if depth == 0 => {
                close = Some(i);
                break;
            }
            ')' => depth -= 1,
            _ => {}
        }
    }
    let close = close?;
    let inner = &rest[..close];
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut d = 0;
    for c in inner.chars() {
        match c {
            '{' => {
                d += 1;
                cur.push(c);
            }
            '}' => {
                d -= 1;
                cur.push(c);
            }
            ',' if d == 0 => {
                items.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    items.push(cur.trim().to_string());
    if items.len() < 2
        || items
            .iter()
            .any(|i| i.is_empty() || i.contains(char::is_whitespace))
    {
        return None;
    }
    let body = rest[close + 1..]
        .trim_start_matches([' ', '\t'])
        .to_string();
    Some((kind, items, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::conf_print::print;

    fn round(text: &str) -> (String, Vec<Diagnostic>) {
        let (d, diags) = read(text, FileId(0));
        (print(&d).text, diags)
    }

    #[test]
    fn per_host_lines_definitions_and_sequences_are_kept() {
        let src = "# lbs\nglobal_defs {\n    @lb1 router_id LB1  # first\n    @^lb1 router_id OTHER\n}\n\n$NET=192.0.2\n$RS=real_server 10.0.0.$n 80 { \\\n    weight 1 \\\n}\nvirtual_server ${NET}.1 80 {\n    ~SEQ(n, 1, 3) $RS\n}\ninclude conf.d/*.conf\n";
        let (out, diags) = round(src);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(out, src);
    }

    #[test]
    fn conditional_blocks_and_brace_styles() {
        let (out, diags) = round(
            "@lb1 vrrp_instance A {\n@lb1 priority 1\n@lb1 }\nvrrp_instance B { interface eth0\n}\nvirtual_ipaddress { 10.0.0.1/24 }\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            out,
            "@lb1 vrrp_instance A {\n    @lb1 priority 1\n@lb1 }\nvrrp_instance B {\n    interface eth0\n}\nvirtual_ipaddress {\n    10.0.0.1/24\n}\n"
        );
    }

    #[test]
    fn what_cannot_be_carried_is_reported() {
        for bad in [
            "$OPEN=vrrp_instance X {\n$OPEN\n}\n",
            "@lb1 vrrp_instance X {\npriority 1\n@lb1 }\n",
            "}\n",
            "$T=a { \\\n  b\n~SEQ(i, 1, 2) $T\n",
        ] {
            let (_, diags) = round(bad);
            assert!(
                diags.iter().any(|d| d.code == codes::NOT_CARRIED),
                "{bad:?}: {diags:?}"
            );
        }
    }
}
