//! The configuration document: keepalived's configuration as written, in any of the three
//! formats (keepalived.conf, KDL, YAML), before it is evaluated for one host.
//!
//! A [`Doc`] keeps what a keepalived.conf file says *for every host at once*: statements with
//! their words, per-host conditions (`@id` / `@^id` lines), definitions (`$NAME=…`), sequences
//! (`~SEQ`, `~LST`), includes and comments. The KDL and YAML front ends read into it, the printers
//! write it in each format, and evaluating it for one host (kac-compiler's `doc` module) gives the
//! keyword lines keepalived would read. docs/formats.md describes the three syntaxes.
//!
//! A statement holds keepalived's *words* (`virtual_ipaddress` entry `10.0.0.5/24 dev eth0` is
//! the words `10.0.0.5/24`, `dev`, `eth0`); the structured forms (a VIP with a `dev` property) are
//! presentations of those words chosen by the keyword's [`shape`]. So a document means exactly
//! what its words mean to keepalived, in every format.
//!
//! Equality ignores spans and comments ([`Doc::same_meaning`] compares meaning only).

pub mod json_schema;
pub mod shape;

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// A word of a statement, with where it was written.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Word {
    /// The text, as keepalived reads it (quotes removed; `$NAME` references kept).
    pub text: String,
    /// Where it was written (in KDL: the entry; in YAML: the scalar).
    #[serde(skip)]
    pub span: Span,
}

impl Word {
    /// A word at `span`.
    pub fn new(text: impl Into<String>, span: Span) -> Self {
        Word {
            text: text.into(),
            span,
        }
    }
}

impl PartialEq for Word {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// A comment, without its marker (`#`, `!`, `//`); `text` keeps the blank after the marker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comment {
    /// The comment's text.
    pub text: String,
    /// A blank line follows it (a comment block set apart from what comes next).
    #[serde(default)]
    pub blank_after: bool,
    /// Where it was written.
    #[serde(skip)]
    pub span: Span,
}

impl Comment {
    /// A comment at `span`.
    pub fn new(text: impl Into<String>, span: Span) -> Self {
        Comment {
            text: text.into(),
            blank_after: false,
            span,
        }
    }
}

/// A whole configuration file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Doc {
    /// The top-level items.
    pub body: Body,
}

/// The items of a file or of a block, in order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Body {
    /// The items.
    pub items: Vec<Item>,
    /// Comments after the last item (before the closing brace, or at the end of the file).
    pub end_comments: Vec<Comment>,
}

/// One item of a body, with the comments attached to it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// Comments on their own lines just before the item.
    pub comments: Vec<Comment>,
    /// A comment at the end of the item's first line.
    pub trailing: Option<Comment>,
    /// A blank line separates it from what comes before (kept by the printers).
    #[serde(default)]
    pub blank_before: bool,
    /// Where the item was written (its first line).
    #[serde(skip)]
    pub span: Span,
}

impl Item {
    /// An item without comments.
    pub fn new(kind: ItemKind, span: Span) -> Self {
        Item {
            kind,
            comments: Vec::new(),
            trailing: None,
            blank_before: false,
            span,
        }
    }
}

/// The kinds of items.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ItemKind {
    /// A keyword line, possibly opening a block: `priority 100`, `vrrp_instance VI_1 { … }`.
    /// In a value block an entry is a statement too: its first word is the "keyword".
    Stmt(Stmt),
    /// Items that apply only on some hosts: keepalived's `@ID` (or `@^ID`) line prefix.
    When(When),
    /// `$NAME=VALUE`: a definition, textual (one line) or a block of items (multi-line).
    Def(Def),
    /// `$NAME` alone on a line: the items of a definition, expanded here.
    Use(Word),
    /// `~SEQ(…)` / `~SEQx(…)` / `~LST(…)`: the body once per value.
    Repeat(Repeat),
    /// `include PATTERN` (or `includer`, `includem`, `includew`, `includeb`, `includea`).
    Include(Include),
}

/// A keyword line with its arguments and, for a block, its body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stmt {
    /// The keyword (or an entry's first word).
    pub keyword: Word,
    /// The words after it, in keepalived's order.
    pub args: Vec<Word>,
    /// The block's items, when the statement opens a block.
    pub body: Option<Body>,
}

/// A host condition: `@ID` (`not` false) or `@^ID` (`not` true).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cond {
    /// `@^ID`: every host but ID.
    pub not: bool,
    /// The config id.
    pub id: String,
}

impl Cond {
    /// Whether the condition holds for `config_id` (`None`: no config id, as with keepalived
    /// without `-i` on a host whose name matches nothing).
    pub fn holds(&self, config_id: Option<&str>) -> bool {
        (config_id == Some(self.id.as_str())) != self.not
    }

    /// The condition as keepalived writes it: `@ID` or `@^ID`.
    pub fn marker(&self) -> String {
        if self.not {
            format!("@^{}", self.id)
        } else {
            format!("@{}", self.id)
        }
    }

    /// Parses `@ID` / `@^ID` (the whole word).
    pub fn parse(word: &str) -> Option<Cond> {
        let rest = word.strip_prefix('@')?;
        let (not, id) = match rest.strip_prefix('^') {
            Some(id) => (true, id),
            None => (false, rest),
        };
        (!id.is_empty() && !id.contains(char::is_whitespace)).then(|| Cond {
            not,
            id: id.to_string(),
        })
    }
}

/// Items for the hosts a condition selects.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct When {
    /// The condition.
    pub cond: Cond,
    /// Where the condition was written.
    #[serde(skip)]
    pub cond_span: Span,
    /// The items.
    pub body: Body,
}

/// A definition.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Def {
    /// The name (without `$`).
    pub name: Word,
    /// The value.
    pub value: DefValue,
}

/// The value of a definition.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum DefValue {
    /// One line of text, substituted where `$NAME` or `${NAME}` appears.
    Text(Word),
    /// Several lines: items, expanded where `$NAME` stands alone on a line.
    Block(Body),
}

/// The kinds of sequences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeqKind {
    /// `~SEQ`: decimal numbers.
    Seq,
    /// `~SEQx`: hexadecimal numbers.
    SeqX,
    /// `~LST`: a list of values (or of tuples).
    Lst,
}

impl SeqKind {
    /// The keepalived spelling (`~SEQ`, `~SEQx`, `~LST`).
    pub fn marker(self) -> &'static str {
        match self {
            SeqKind::Seq => "~SEQ",
            SeqKind::SeqX => "~SEQx",
            SeqKind::Lst => "~LST",
        }
    }

    /// Parses `~SEQ`, `~SEQx` or `~LST`.
    pub fn parse(word: &str) -> Option<SeqKind> {
        Some(match word {
            "~SEQ" => SeqKind::Seq,
            "~SEQx" => SeqKind::SeqX,
            "~LST" => SeqKind::Lst,
            _ => return None,
        })
    }
}

/// A repetition: the body once per value of the sequence's variable(s).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Repeat {
    /// Which sequence.
    pub kind: SeqKind,
    /// The items between the parentheses, as keepalived splits them at commas: the variable,
    /// then 1 to 3 numbers (`~SEQ`), or the variable(s) then the values (`~LST`; a tuple is
    /// written `{a,b}`).
    pub params: Vec<Word>,
    /// The repeated items.
    pub body: Body,
}

/// An include line.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Include {
    /// `include`, `includer`, `includem`, `includew`, `includeb` or `includea`.
    pub keyword: Word,
    /// The glob pattern, relative to the including file.
    pub pattern: Word,
}

/// The include keywords keepalived knows.
pub const INCLUDE_KEYWORDS: &[&str] = &[
    "include", "includer", "includem", "includew", "includeb", "includea",
];

impl Doc {
    /// Whether two documents mean the same: the same items and words in the same order
    /// (spans and comments aside).
    pub fn same_meaning(&self, other: &Doc) -> bool {
        self.body.same_meaning(&other.body)
    }

    /// The config ids the document's conditions name, sorted and without repeats.
    pub fn config_ids(&self) -> Vec<String> {
        let mut ids = std::collections::BTreeSet::new();
        self.body.walk(&mut |item| {
            if let ItemKind::When(w) = &item.kind {
                ids.insert(w.cond.id.clone());
            }
        });
        ids.into_iter().collect()
    }

    /// The include patterns of the document, with the keyword of each.
    pub fn includes(&self) -> Vec<&Include> {
        let mut out = Vec::new();
        collect_includes(&self.body, &mut out);
        out
    }
}

fn collect_includes<'a>(body: &'a Body, out: &mut Vec<&'a Include>) {
    for item in &body.items {
        match &item.kind {
            ItemKind::Include(i) => out.push(i),
            ItemKind::Stmt(s) => {
                if let Some(b) = &s.body {
                    collect_includes(b, out);
                }
            }
            ItemKind::When(w) => collect_includes(&w.body, out),
            ItemKind::Repeat(r) => collect_includes(&r.body, out),
            ItemKind::Def(Def {
                value: DefValue::Block(b),
                ..
            }) => collect_includes(b, out),
            _ => {}
        }
    }
}

impl Body {
    /// A body of `items` without end comments.
    pub fn of(items: Vec<Item>) -> Self {
        Body {
            items,
            end_comments: Vec::new(),
        }
    }

    /// Calls `f` on every item, depth first (bodies of statements, conditions, definitions and
    /// sequences included).
    pub fn walk(&self, f: &mut dyn FnMut(&Item)) {
        for item in &self.items {
            f(item);
            match &item.kind {
                ItemKind::Stmt(s) => {
                    if let Some(b) = &s.body {
                        b.walk(f);
                    }
                }
                ItemKind::When(w) => w.body.walk(f),
                ItemKind::Repeat(r) => r.body.walk(f),
                ItemKind::Def(Def {
                    value: DefValue::Block(b),
                    ..
                }) => b.walk(f),
                _ => {}
            }
        }
    }

    /// Whether two bodies mean the same (see [`Doc::same_meaning`]).
    pub fn same_meaning(&self, other: &Body) -> bool {
        self.items.len() == other.items.len()
            && self
                .items
                .iter()
                .zip(&other.items)
                .all(|(a, b)| a.kind.same_meaning(&b.kind))
    }
}

impl ItemKind {
    /// Whether two items mean the same (see [`Doc::same_meaning`]).
    pub fn same_meaning(&self, other: &ItemKind) -> bool {
        match (self, other) {
            (ItemKind::Stmt(a), ItemKind::Stmt(b)) => {
                a.keyword == b.keyword
                    && a.args == b.args
                    && match (&a.body, &b.body) {
                        (None, None) => true,
                        (Some(x), Some(y)) => x.same_meaning(y),
                        _ => false,
                    }
            }
            (ItemKind::When(a), ItemKind::When(b)) => {
                a.cond == b.cond && a.body.same_meaning(&b.body)
            }
            (ItemKind::Def(a), ItemKind::Def(b)) => {
                a.name == b.name
                    && match (&a.value, &b.value) {
                        (DefValue::Text(x), DefValue::Text(y)) => x == y,
                        (DefValue::Block(x), DefValue::Block(y)) => x.same_meaning(y),
                        _ => false,
                    }
            }
            (ItemKind::Use(a), ItemKind::Use(b)) => a == b,
            (ItemKind::Repeat(a), ItemKind::Repeat(b)) => {
                a.kind == b.kind && a.params == b.params && a.body.same_meaning(&b.body)
            }
            (ItemKind::Include(a), ItemKind::Include(b)) => {
                a.keyword == b.keyword && a.pattern == b.pattern
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_and_hold() {
        let c = Cond::parse("@lb1").expect("condition");
        assert!(c.holds(Some("lb1")) && !c.holds(Some("lb2")) && !c.holds(None));
        let n = Cond::parse("@^lb1").expect("condition");
        assert!(!n.holds(Some("lb1")) && n.holds(Some("lb2")) && n.holds(None));
        assert_eq!(n.marker(), "@^lb1");
        assert!(Cond::parse("@").is_none() && Cond::parse("lb1").is_none());
    }
}
