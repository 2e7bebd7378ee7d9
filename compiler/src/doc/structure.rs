//! keepalived's words ↔ the structured forms of a statement.
//!
//! A statement's words are its keepalived line after the keyword (for an entry of a value
//! block: the whole line). The structured forms name them with the keyword's shape: positional
//! *parameters* first (`virtual_ipaddress` entry `10.0.0.5/24`), then *options* introduced by
//! their own keyword (`dev eth0`, the flag `home`). [`flatten`] turns what a KDL node or YAML
//! mapping says back into words, in keepalived's order; [`present`] splits words for printing,
//! or keeps them all positional when they do not fit the shape (the meaning is the words
//! either way).

use kac_schema::doc::Word;
use kac_schema::doc::shape::{Args, Opt, Ty};
use kac_schema::{Diagnostic, Span};

use super::codes;

/// A named value of a structured statement: a KDL property or a YAML mapping entry.
#[derive(Clone, Debug)]
pub struct Named {
    /// The property or key.
    pub name: Word,
    /// Its value.
    pub value: Value,
}

/// A value in a structured form.
#[derive(Clone, Debug)]
pub enum Value {
    /// A word (string, number).
    Word(Word),
    /// A boolean (KDL `#true`, YAML `true`).
    Bool(bool, Span),
}

impl Value {
    /// The value as a keepalived word (`true`/`false` for booleans).
    pub fn into_word(self) -> Word {
        match self {
            Value::Word(w) => w,
            Value::Bool(b, span) => Word::new(if b { "true" } else { "false" }, span),
        }
    }

    /// Where the value was written.
    pub fn span(&self) -> Span {
        match self {
            Value::Word(w) => w.span,
            Value::Bool(_, s) => *s,
        }
    }
}

/// The words a structured statement says: `positional` words, then the named ones: named
/// parameters go to their position, options follow in the order written (`shape` `None`: an
/// unknown keyword, whose named values become `NAME VALUE` words).
///
/// `first_param`: index of the first parameter `positional` fills (1 for an entry whose first
/// word is the node's name, else 0). Problems (unknown names, a flag with a value, a parameter
/// given twice) are pushed to `diags`.
pub fn flatten(
    shape: Option<&Args>,
    owner: &str,
    mut positional: Vec<Word>,
    named: Vec<Named>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Word> {
    let Some(shape) = shape else {
        for n in named {
            match n.value {
                Value::Bool(true, _) => positional.push(n.name),
                Value::Bool(false, _) => {}
                v => {
                    positional.push(n.name);
                    positional.push(v.into_word());
                }
            }
        }
        return positional;
    };
    let mut slots: Vec<Option<Word>> = vec![None; shape.params.len()];
    let mut options = Vec::new();
    let mut seen: Vec<(String, Span)> = Vec::new();
    for n in named {
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == n.name.text) {
            diags.push(
                Diagnostic::error(
                    codes::DUPLICATE_KEY,
                    format!("`{}` is given twice for `{owner}`", n.name.text),
                )
                .with_primary(n.name.span, "given again here")
                .with_secondary(*first, "first given here")
                .with_help("give it once"),
            );
            continue;
        }
        seen.push((n.name.text.clone(), n.name.span));
        if let Some((k, p)) = shape.param(&n.name.text) {
            if k < positional.len() {
                diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_KEY,
                        format!("`{}` of `{owner}` is given twice", p.name),
                    )
                    .with_primary(n.name.span, "also given by position")
                    .with_help(format!(
                        "give `{}` either by position or by name, not both",
                        p.name
                    )),
                );
                continue;
            }
            slots[k] = Some(n.value.into_word());
            continue;
        }
        match shape.option(&n.name.text) {
            Some((_, opt)) => option(opt, owner, n, &mut options, diags),
            None => diags.push(unknown_field(&n.name, owner, shape)),
        }
    }
    // Named parameters after the positional ones, without gaps.
    let mut gap: Option<usize> = None;
    for (k, slot) in slots.into_iter().enumerate().skip(positional.len()) {
        match slot {
            Some(w) => {
                if let Some(g) = gap {
                    diags.push(
                        Diagnostic::error(
                            codes::WRONG_TYPE,
                            format!(
                                "`{}` of `{owner}` needs `{}` before it",
                                shape.params[k].name, shape.params[g].name
                            ),
                        )
                        .with_primary(w.span, "a later parameter without an earlier one")
                        .with_help(format!("give `{}` too", shape.params[g].name)),
                    );
                }
                positional.push(w);
            }
            None => {
                gap.get_or_insert(k);
            }
        }
    }
    positional.extend(options);
    positional
}

fn option(opt: &Opt, owner: &str, n: Named, out: &mut Vec<Word>, diags: &mut Vec<Diagnostic>) {
    match (&opt.ty, n.value) {
        (None, Value::Bool(true, _)) => out.push(n.name),
        (None, Value::Bool(false, _)) => {}
        (None, Value::Word(w)) => diags.push(
            Diagnostic::error(
                codes::WRONG_TYPE,
                format!("`{}` of `{owner}` is a flag", n.name.text),
            )
            .with_primary(w.span, "a flag takes no value")
            .with_help(format!(
                "write `{0}=#true` (KDL) or `{0}: true` (YAML), or leave it out",
                n.name.text
            )),
        ),
        (Some(_), v) => {
            out.push(n.name);
            out.push(v.into_word());
        }
    }
}

/// "unknown property `x` of `kw`", with the closest known name.
pub fn unknown_field(name: &Word, owner: &str, shape: &Args) -> Diagnostic {
    let known: Vec<&str> = shape
        .params
        .iter()
        .map(|p| p.name.as_str())
        .chain(shape.options.iter().map(|o| o.name.as_str()))
        .collect();
    let mut d = Diagnostic::error(
        codes::UNKNOWN_FIELD,
        format!("unknown field `{}` of `{owner}`", name.text),
    );
    d = match crate::suggest::closest(&name.text, known.iter().copied()) {
        Some(s) => d
            .with_primary(name.span, format!("did you mean `{s}`?"))
            .with_help(format!("did you mean `{s}`?")),
        None if known.is_empty() => d
            .with_primary(name.span, "not known here")
            .with_help(format!("`{owner}` takes no named values")),
        None => {
            let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            d.with_primary(name.span, "not known here")
                .with_help(format!("`{owner}` knows {}", list.join(", ")))
        }
    };
    d
}

/// How to print a statement's words: positional words, then named options.
#[derive(Debug, PartialEq)]
pub struct Presented<'a> {
    /// Words printed by position.
    pub positional: Vec<&'a Word>,
    /// Named parameters (YAML mapping form only): name and word.
    pub named_params: Vec<(&'a str, Vec<&'a Word>)>,
    /// Options: name, value word (`None` for a flag), and the option's value type.
    pub options: Vec<(&'a str, Option<&'a Word>, Option<&'a Ty>)>,
}

/// Splits `words` for printing with `shape`. Options are named only when every word fits the
/// shape ([`Args::split`]); otherwise everything stays positional.
pub fn present<'a>(shape: Option<&'a Args>, words: &'a [Word]) -> Presented<'a> {
    let all = || Presented {
        positional: words.iter().collect(),
        named_params: Vec::new(),
        options: Vec::new(),
    };
    let Some(shape) = shape else {
        return all();
    };
    let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    let Some(split) = shape.split(&texts) else {
        return all();
    };
    let npos = split.params.last().map_or(0, |r| r.end);
    let named_params = shape
        .params
        .iter()
        .zip(&split.params)
        .filter(|(_, r)| !r.is_empty())
        .map(|(p, r)| (p.name.as_str(), words[r.clone()].iter().collect()))
        .collect();
    Presented {
        positional: words[..npos].iter().collect(),
        named_params,
        options: split
            .options
            .iter()
            .map(|&(k, v)| {
                let o = &shape.options[k];
                (o.name.as_str(), v.map(|i| &words[i]), o.ty.as_ref())
            })
            .collect(),
    }
}
