//! The shapes of keepalived's keywords: how the words of a statement map onto the structured
//! forms (positional parameters and named options), which keywords open blocks or value blocks,
//! and the types and descriptions the JSON Schema of the YAML form is built from.
//!
//! The table is `keywords.shapes` beside this file (its header explains the format); it is
//! parsed once. kac-compiler checks it against its keyword tables.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The table's text.
pub const TABLE: &str = include_str!("keywords.shapes");

/// What a keyword is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A one-line statement.
    Leaf,
    /// A keyword alone (no arguments).
    Flag,
    /// A command line, read with keepalived's script tokenizer (quotes, escapes).
    Script,
    /// A block of keywords (the block's id).
    Block(String),
    /// A block of entries, one per line (the entry shape's id).
    Values(String),
}

/// The type of a parameter or option value.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// Any word.
    Str,
    /// A name (of an instance, a script, a group…).
    Name,
    /// An interface name.
    Iface,
    /// A file path.
    Path,
    /// A command line.
    Cmd,
    /// An IP address.
    Ip,
    /// An IP address with an optional `/LEN`.
    Prefix,
    /// `true|on|yes` / `false|off|no`.
    Bool,
    /// An unsigned decimal, optionally within a range.
    Uint(Option<(u64, u64)>),
    /// A signed decimal within a range.
    Int(i64, i64),
    /// Seconds with up to 6 decimals, optionally within a range.
    Secs(Option<(f64, f64)>),
    /// One of these words.
    Enum(Vec<String>),
    /// One of these words, in any case.
    IEnum(Vec<String>),
}

/// How many words a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly one.
    One,
    /// Zero or one.
    Optional,
    /// Any number (the last parameter only).
    Many,
}

/// A positional parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name (the key in the YAML mapping form).
    pub name: String,
    /// How many words.
    pub arity: Arity,
    /// Its type.
    pub ty: Ty,
}

/// A keyword-introduced option: `dev eth0` (a value) or `reverse` (a flag).
#[derive(Clone, Debug, PartialEq)]
pub struct Opt {
    /// The option keyword.
    pub name: String,
    /// The value's type; `None` for a flag.
    pub ty: Option<Ty>,
}

/// Positional parameters and named options of a statement or an entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Args {
    /// Positional parameters, in order.
    pub params: Vec<Param>,
    /// Named options, in the table's order.
    pub options: Vec<Opt>,
}

/// One keyword of a block.
#[derive(Clone, Debug, PartialEq)]
pub struct KwShape {
    /// The keyword.
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Its arguments (for a block: the header after the keyword).
    pub args: Args,
    /// What it does.
    pub doc: String,
}

/// A block and its keywords.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockShape {
    /// The block's id (`vrrp_instance`, `checker`, …).
    pub id: String,
    /// Blocks whose keywords are valid here too.
    pub includes: Vec<String>,
    /// Its own keywords.
    pub keywords: Vec<KwShape>,
}

/// The entries of a value block.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryShape {
    /// The shape's id (`ipaddress`, `route`, …).
    pub id: String,
    /// The entry's words: its first word is the first parameter.
    pub args: Args,
    /// What an entry is.
    pub doc: String,
}

/// Where a statement is: which keywords or entries are valid there.
#[derive(Clone, Copy, Debug)]
pub enum Context<'a> {
    /// In a block of keywords.
    Block(&'a BlockShape),
    /// In a value block.
    Entries(&'a EntryShape),
    /// Not known (the body of a multi-line definition): keywords are looked up everywhere.
    Unknown,
}

/// The whole table.
#[derive(Debug, Default)]
pub struct Shapes {
    /// Blocks, in the table's order.
    pub blocks: Vec<BlockShape>,
    /// Entry shapes.
    pub entries: Vec<EntryShape>,
    /// Problems found parsing the table (a test keeps this empty).
    pub errors: Vec<String>,
    block_index: HashMap<String, usize>,
}

/// The shape table, parsed once.
pub fn shapes() -> &'static Shapes {
    static SHAPES: LazyLock<Shapes> = LazyLock::new(|| Shapes::parse(TABLE));
    &SHAPES
}

impl Shapes {
    /// Parses a table in the format of `keywords.shapes`.
    pub fn parse(text: &str) -> Shapes {
        let mut s = Shapes::default();
        let mut in_entry: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let n = n + 1;
            if let Some(head) = line.strip_prefix("==") {
                let words: Vec<&str> = head.split_whitespace().collect();
                match words.as_slice() {
                    ["entry", id] => in_entry = Some((*id).to_string()),
                    [id, rest @ ..] => {
                        in_entry = None;
                        let includes = match rest {
                            [] => Vec::new(),
                            ["<", inc @ ..] if !inc.is_empty() => {
                                inc.iter().map(|s| (*s).to_string()).collect()
                            }
                            _ => {
                                s.errors.push(format!("line {n}: bad block header"));
                                Vec::new()
                            }
                        };
                        s.block_index.insert((*id).to_string(), s.blocks.len());
                        s.blocks.push(BlockShape {
                            id: (*id).to_string(),
                            includes,
                            keywords: Vec::new(),
                        });
                    }
                    [] => s.errors.push(format!("line {n}: block without an id")),
                }
                continue;
            }
            let (spec, doc) = match line.split_once(" | ") {
                Some((a, b)) => (a.trim(), b.trim().to_string()),
                None => (line, String::new()),
            };
            if let Some(id) = &in_entry {
                let Some(rest) = spec.strip_prefix('*') else {
                    s.errors
                        .push(format!("line {n}: an entry shape line starts with `*`"));
                    continue;
                };
                match parse_args(rest) {
                    Ok(args) => s.entries.push(EntryShape {
                        id: id.clone(),
                        args,
                        doc,
                    }),
                    Err(e) => s.errors.push(format!("line {n}: {e}")),
                }
                continue;
            }
            let mut words = spec.splitn(3, ' ');
            let (Some(name), Some(kind)) = (words.next(), words.next()) else {
                s.errors.push(format!("line {n}: expected KEYWORD KIND"));
                continue;
            };
            let kind = match kind.split_once(':') {
                None if kind == "leaf" => Kind::Leaf,
                None if kind == "flag" => Kind::Flag,
                None if kind == "script" => Kind::Script,
                Some(("block", b)) => Kind::Block(b.to_string()),
                Some(("values", e)) => Kind::Values(e.to_string()),
                _ => {
                    s.errors.push(format!("line {n}: unknown kind `{kind}`"));
                    continue;
                }
            };
            let args = match parse_args(words.next().unwrap_or("")) {
                Ok(a) => a,
                Err(e) => {
                    s.errors.push(format!("line {n}: {e}"));
                    continue;
                }
            };
            let Some(block) = s.blocks.last_mut() else {
                s.errors.push(format!("line {n}: keyword outside a block"));
                continue;
            };
            block.keywords.push(KwShape {
                name: name.to_string(),
                kind,
                args,
                doc,
            });
        }
        s.check_references();
        s
    }

    fn check_references(&mut self) {
        let mut errors = Vec::new();
        for b in &self.blocks {
            for inc in &b.includes {
                if self.block(inc).is_none() {
                    errors.push(format!("block `{}` includes unknown `{inc}`", b.id));
                }
            }
            for k in &b.keywords {
                match &k.kind {
                    Kind::Block(id) if self.block(id).is_none() => {
                        errors.push(format!("`{}` opens unknown block `{id}`", k.name));
                    }
                    Kind::Values(id) if self.entry(id).is_none() => {
                        errors.push(format!("`{}` has unknown entries `{id}`", k.name));
                    }
                    _ => {}
                }
            }
        }
        self.errors.extend(errors);
    }

    /// The block with id `id`.
    pub fn block(&self, id: &str) -> Option<&BlockShape> {
        self.block_index.get(id).map(|&i| &self.blocks[i])
    }

    /// The top level of a configuration file.
    pub fn top(&self) -> Option<&BlockShape> {
        self.block("top")
    }

    /// The entry shape with id `id`.
    pub fn entry(&self, id: &str) -> Option<&EntryShape> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Every keyword valid in `block` (its own, then its includes').
    pub fn keywords<'a>(&'a self, block: &'a BlockShape) -> Vec<&'a KwShape> {
        let mut out: Vec<&KwShape> = block.keywords.iter().collect();
        for inc in &block.includes {
            if let Some(b) = self.block(inc) {
                out.extend(self.keywords(b));
            }
        }
        out
    }

    /// Keyword `name` in `block` (or the blocks it includes).
    pub fn keyword<'a>(&'a self, block: &'a BlockShape, name: &str) -> Option<&'a KwShape> {
        if let Some(k) = block.keywords.iter().find(|k| k.name == name) {
            return Some(k);
        }
        block
            .includes
            .iter()
            .filter_map(|inc| self.block(inc))
            .find_map(|b| self.keyword(b, name))
    }

    /// Keyword `name` anywhere (first match in table order), for statements whose block is not
    /// known.
    pub fn any_keyword(&self, name: &str) -> Option<&KwShape> {
        self.blocks
            .iter()
            .find_map(|b| b.keywords.iter().find(|k| k.name == name))
    }

    /// The shape of a statement with keyword `name` in `ctx`, and the context of its body.
    pub fn lookup<'a>(&'a self, ctx: Context<'a>, name: &str) -> Option<&'a KwShape> {
        match ctx {
            Context::Block(b) => self.keyword(b, name),
            Context::Entries(_) => None,
            Context::Unknown => self.any_keyword(name),
        }
    }

    /// The context inside a statement of shape `kw` (Unknown when it is not a block).
    pub fn inner<'a>(&'a self, kw: Option<&'a KwShape>) -> Context<'a> {
        match kw.map(|k| &k.kind) {
            Some(Kind::Block(id)) => self.block(id).map_or(Context::Unknown, Context::Block),
            Some(Kind::Values(id)) => self.entry(id).map_or(Context::Unknown, Context::Entries),
            _ => Context::Unknown,
        }
    }
}

fn parse_ty(t: &str) -> Result<Ty, String> {
    let (base, arg) = match t.split_once('(') {
        Some((b, rest)) => (
            b,
            Some(
                rest.strip_suffix(')')
                    .ok_or_else(|| format!("`{t}`: missing `)`"))?,
            ),
        ),
        None => (t, None),
    };
    let range = |a: &str| -> Result<(String, String), String> {
        a.split_once("..")
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .ok_or_else(|| format!("`{t}`: expected A..B"))
    };
    Ok(match (base, arg) {
        ("str", None) => Ty::Str,
        ("name", None) => Ty::Name,
        ("iface", None) => Ty::Iface,
        ("path", None) => Ty::Path,
        ("cmd", None) => Ty::Cmd,
        ("ip", None) => Ty::Ip,
        ("prefix", None) => Ty::Prefix,
        ("bool", None) => Ty::Bool,
        ("uint", None) => Ty::Uint(None),
        ("secs", None) => Ty::Secs(None),
        ("uint", Some(a)) => {
            let (x, y) = range(a)?;
            Ty::Uint(Some((
                x.parse().map_err(|_| format!("`{t}`: bad number"))?,
                y.parse().map_err(|_| format!("`{t}`: bad number"))?,
            )))
        }
        ("int", Some(a)) => {
            let (x, y) = range(a)?;
            Ty::Int(
                x.parse().map_err(|_| format!("`{t}`: bad number"))?,
                y.parse().map_err(|_| format!("`{t}`: bad number"))?,
            )
        }
        ("secs", Some(a)) => {
            let (x, y) = range(a)?;
            Ty::Secs(Some((
                x.parse().map_err(|_| format!("`{t}`: bad number"))?,
                y.parse().map_err(|_| format!("`{t}`: bad number"))?,
            )))
        }
        ("enum", Some(a)) => Ty::Enum(a.split('|').map(str::to_string).collect()),
        ("ienum", Some(a)) => Ty::IEnum(a.split('|').map(str::to_string).collect()),
        _ => return Err(format!("unknown type `{t}`")),
    })
}

/// `PARAMS [; OPTIONS]`.
fn parse_args(spec: &str) -> Result<Args, String> {
    let (params, options) = match spec.split_once(';') {
        Some((p, o)) => (p, o),
        None => (spec, ""),
    };
    let mut args = Args::default();
    for p in params.split_whitespace() {
        let (name, ty) = p
            .split_once(':')
            .ok_or_else(|| format!("parameter `{p}` needs NAME:TYPE"))?;
        let (name, arity) = if let Some(n) = name.strip_suffix('?') {
            (n, Arity::Optional)
        } else if let Some(n) = name.strip_suffix('*') {
            (n, Arity::Many)
        } else {
            (name, Arity::One)
        };
        if let Some(last) = args.params.last()
            && (last.arity == Arity::Many || (last.arity == Arity::Optional && arity == Arity::One))
        {
            return Err(format!(
                "parameter `{name}` after an optional or repeated one"
            ));
        }
        args.params.push(Param {
            name: name.to_string(),
            arity,
            ty: parse_ty(ty)?,
        });
    }
    for o in options.split_whitespace() {
        let opt = match o.split_once(':') {
            Some((name, ty)) => Opt {
                name: name.to_string(),
                ty: Some(parse_ty(ty)?),
            },
            None => Opt {
                name: o.to_string(),
                ty: None,
            },
        };
        args.options.push(opt);
    }
    Ok(args)
}

/// How the words of a statement fill its parameters and options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// For each parameter, the range of words it takes.
    pub params: Vec<std::ops::Range<usize>>,
    /// The options in the order written: (option index, index of its value word if any).
    pub options: Vec<(usize, Option<usize>)>,
}

impl Args {
    /// The option named `name`.
    pub fn option(&self, name: &str) -> Option<(usize, &Opt)> {
        self.options
            .iter()
            .enumerate()
            .find(|(_, o)| o.name == name)
    }

    /// The parameter named `name`.
    pub fn param(&self, name: &str) -> Option<(usize, &Param)> {
        self.params.iter().enumerate().find(|(_, p)| p.name == name)
    }

    /// How `words` fill the parameters and options, when they do exactly: positional words
    /// first (at least the required ones), then options, each at most once, every word used.
    /// `None` when the words do not fit (the structured forms then keep them positional).
    pub fn split(&self, words: &[&str]) -> Option<Split> {
        let is_opt = |w: &str| self.option(w).is_some();
        let max = if self.params.iter().any(|p| p.arity == Arity::Many) {
            usize::MAX
        } else {
            self.params.len()
        };
        let required = self.params.iter().filter(|p| p.arity == Arity::One).count();
        let mut n = 0;
        while n < words.len() && n < max && !(n >= required && is_opt(words[n])) {
            n += 1;
        }
        if n < required {
            return None;
        }
        // Assign the n positional words: each parameter its share, in order.
        let mut params = Vec::with_capacity(self.params.len());
        let mut at = 0;
        for (i, p) in self.params.iter().enumerate() {
            let left_required = self.params[i + 1..]
                .iter()
                .filter(|q| q.arity == Arity::One)
                .count();
            let take = match p.arity {
                Arity::One => 1,
                Arity::Optional => usize::from(n - at > left_required),
                Arity::Many => n - at - left_required,
            };
            params.push(at..at + take);
            at += take;
        }
        if at != n {
            return None;
        }
        let mut options = Vec::new();
        let mut seen = vec![false; self.options.len()];
        let mut i = n;
        while i < words.len() {
            let (k, opt) = self.option(words[i])?;
            if seen[k] {
                return None;
            }
            seen[k] = true;
            if opt.ty.is_some() {
                if i + 1 >= words.len() {
                    return None;
                }
                options.push((k, Some(i + 1)));
                i += 2;
            } else {
                options.push((k, None));
                i += 1;
            }
        }
        Some(Split { params, options })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses() {
        let s = shapes();
        assert!(s.errors.is_empty(), "{:#?}", s.errors);
        assert!(s.blocks.len() > 20 && s.entries.len() > 5);
        let vi = s.block("vrrp_instance").expect("vrrp_instance");
        assert_eq!(
            s.keyword(vi, "virtual_ipaddress").map(|k| &k.kind),
            Some(&Kind::Values("ipaddress".into()))
        );
        let http = s.block("HTTP_GET").expect("HTTP_GET");
        assert!(
            s.keyword(http, "delay_loop").is_some(),
            "included from timing"
        );
    }

    #[test]
    fn words_split_into_params_and_options() {
        let s = shapes();
        let ip = &s.entry("ipaddress").expect("ipaddress").args;
        let split = ip
            .split(&["10.0.0.5/24", "dev", "eth0", "home"])
            .expect("fits");
        assert_eq!(split.params, vec![0..1]);
        assert_eq!(split.options.len(), 2);
        assert!(ip.split(&["10.0.0.5/24", "dev"]).is_none(), "value missing");
        assert!(ip.split(&["10.0.0.5/24", "x"]).is_none(), "unknown option");
        assert!(
            ip.split(&["10.0.0.5/24", "dev", "a", "dev", "b"]).is_none(),
            "twice"
        );
        let vi = s.block("vrrp_instance").expect("vrrp_instance");
        let notify = &s.keyword(vi, "notify_master").expect("notify").args;
        assert_eq!(
            notify.split(&["/x.sh", "root"]).expect("fits").params,
            vec![0..1, 1..2, 2..2]
        );
        assert!(notify.split(&[]).is_none());
        let rule = &s.entry("rule").expect("rule").args;
        assert!(
            rule.split(&["from", "10.0.0.0/8", "table", "100"])
                .is_some()
        );
    }
}
