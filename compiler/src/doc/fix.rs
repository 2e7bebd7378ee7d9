//! Fixes in KDL and YAML files: edits of keepalived words, written in the file's own syntax.
//!
//! A fix's edits say what to do to keepalived's words (rename `nb_get_retry` to `retry`, add
//! the words `inst` and `id`, cut a password to 8 characters), at the spans the words have in
//! the source. In keepalived.conf the words are the text; in KDL and YAML a word is a node
//! name, a property, a key or part of one, or a scalar, quoted or not, so [`Rewriter::edit`]
//! turns each edit into byte edits of the file that say the same there: a word becomes a bare
//! or quoted token as the place requires, extra words become list items or arguments, a
//! deleted statement takes its lines, a block added at the top of the file is printed in the
//! file's format. Only the bytes of the affected tokens change. An edit that has no such
//! form is refused with the reason. Edits of a comment's text ([`Edit::verbatim`]) apply as
//! they are.

use kac_schema::doc::{Body, Def, DefValue, Doc, Item, ItemKind};
use kac_schema::{Edit, FileId};

use super::allow::statement_lines;
use super::{Format, LineIndex, conf_read, kdl_print, read, yaml_print};

/// A byte edit of a file's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// First byte replaced.
    pub start: usize,
    /// End of the bytes replaced (`start`: an insertion).
    pub end: usize,
    /// The new text.
    pub replacement: String,
}

/// Rewrites word edits for one KDL or YAML file.
pub struct Rewriter {
    text: String,
    format: Format,
    doc: Doc,
    idx: LineIndex,
}

/// Where a word is written in a KDL or YAML file.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// A KDL node name or property name, a YAML key or one word of a key.
    Name,
    /// A KDL argument, or a YAML item of a flow list (`[a, b]`).
    Item,
    /// A YAML item of a block list (`- a`), indented by this many columns.
    BlockItem(usize),
    /// A KDL property's value (`key=value`): the value starts this many bytes into the token.
    PropertyValue(usize),
    /// A value written on its own: a YAML scalar value, a KDL value that is not one of a list.
    Value,
}

impl Rewriter {
    /// A rewriter for `text`, a file in `format` (KDL or YAML).
    pub fn new(text: String, format: Format) -> Self {
        let (doc, _) = read(&text, format, FileId(0));
        let idx = LineIndex::new(&text, FileId(0));
        Rewriter {
            text,
            format,
            doc,
            idx,
        }
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The byte edits that make `e` in this file, or why it cannot be made here.
    pub fn edit(&self, e: &Edit) -> Result<Vec<TextEdit>, String> {
        let (start, end) = (
            e.span.offset as usize,
            (e.span.offset + e.span.len) as usize,
        );
        if end > self.text.len() || !self.text.is_char_boundary(start) {
            return Err("the file changed since it was read".into());
        }
        if e.verbatim {
            return Ok(vec![TextEdit {
                start,
                end,
                replacement: e.replacement.clone(),
            }]);
        }
        let words: Vec<&str> = e.replacement.split_whitespace().collect();
        if start == end {
            if e.replacement.contains(['\n', '{']) {
                return self.add_block(start, &e.replacement);
            }
            return self.insert_words(start, &words);
        }
        if words.is_empty() {
            return self.delete_statement(start, end);
        }
        let original = e.original.as_deref().unwrap_or_default();
        let (place, written) = self.place(start, end, original)?;
        let token = |w: &str| self.token(w, &place, written);
        let replacement = match (&place, words.as_slice()) {
            (Place::PropertyValue(at), [w]) => format!("{}{}", &written[..*at], token(w)?),
            (_, [w]) => token(w)?,
            (Place::Item, ws) => self.join(ws, self.list_separator(), &place, written)?,
            (Place::BlockItem(col), ws) => {
                self.join(ws, &format!("\n{}- ", " ".repeat(*col)), &place, written)?
            }
            _ => {
                return Err(format!(
                    "`{original}` is one value here: write the words `{}` by hand",
                    e.replacement
                ));
            }
        };
        Ok(vec![TextEdit {
            start,
            end,
            replacement,
        }])
    }

    /// The words `ws` as tokens joined by `sep`.
    fn join(&self, ws: &[&str], sep: &str, place: &Place, written: &str) -> Result<String, String> {
        let tokens: Result<Vec<String>, String> =
            ws.iter().map(|w| self.token(w, place, written)).collect();
        Ok(tokens?.join(sep))
    }

    /// `, ` between YAML flow items, a blank between KDL arguments.
    fn list_separator(&self) -> &'static str {
        match self.format {
            Format::Yaml => ", ",
            _ => " ",
        }
    }

    /// Where the word `original`, written at `start..end`, is, and its text there.
    fn place<'t>(
        &'t self,
        start: usize,
        end: usize,
        original: &str,
    ) -> Result<(Place, &'t str), String> {
        let written = &self.text[start..end];
        let not_here = || format!("`{original}` is not written as such here (a definition?)");
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let before = self.text[line_start..start].trim_end_matches([' ', '\t']);
        let line_end = self.text[end..]
            .find('\n')
            .map_or(self.text.len(), |i| end + i);
        let after = &self.text[end..line_end];
        match self.format {
            Format::Kdl => {
                let (key, value) = kdl_token(written).ok_or_else(not_here)?;
                if value != original {
                    return Err(not_here());
                }
                if key.is_some() {
                    let eq = written.find('=').ok_or_else(not_here)?;
                    return Ok((Place::PropertyValue(eq + 1), written));
                }
                // A property's name (`gw` of `gw=…`) is a word of its own.
                if after.starts_with('=') {
                    return Ok((Place::Name, written));
                }
                let first = before.is_empty() || before.ends_with(['{', ';']);
                Ok((if first { Place::Name } else { Place::Item }, written))
            }
            _ => {
                if yaml_scalar(written).as_deref() != Some(original) {
                    return Err(not_here());
                }
                if is_yaml_key(after) {
                    return Ok((Place::Name, written));
                }
                let item_of_block = before.trim_start_matches([' ', '\t']) == "-";
                if item_of_block {
                    let col = self.text[line_start..start].find('-').unwrap_or(0);
                    return Ok((Place::BlockItem(col), written));
                }
                if before.ends_with(['[', ',']) {
                    return Ok((Place::Item, written));
                }
                Ok((Place::Value, written))
            }
        }
    }

    /// The word `w` as a token at `place`, quoted like the token it replaces (`written`).
    fn token(&self, w: &str, place: &Place, written: &str) -> Result<String, String> {
        match self.format {
            Format::Kdl => Ok(match place {
                Place::Name => kdl_print::node_name(w),
                _ if written.ends_with('"') => kdl_print::quoted(w),
                _ => kdl_print::value(w, None),
            }),
            _ => match place {
                Place::Name => {
                    if yaml_print::plain_ok(w) && !written.starts_with(['"', '\'']) {
                        Ok(w.to_string())
                    } else {
                        Err(format!("`{w}` cannot be written in this YAML key"))
                    }
                }
                _ if written.starts_with('\'') => Ok(format!("'{}'", w.replace('\'', "''"))),
                _ if written.starts_with('"') => {
                    let s = yaml_print::scalar(w, None);
                    Ok(if s.starts_with('"') {
                        s
                    } else {
                        format!("\"{s}\"")
                    })
                }
                _ => Ok(yaml_print::scalar(w, None)),
            },
        }
    }

    /// Inserts `words` before the word written at `at`.
    fn insert_words(&self, at: usize, words: &[&str]) -> Result<Vec<TextEdit>, String> {
        let end = self.token_end(at);
        let written = &self.text[at..end];
        let original = match self.format {
            Format::Kdl => kdl_token(written).map(|(_, v)| v),
            _ => yaml_scalar(written),
        }
        .ok_or("no word is written where the words go")?;
        let (place, written) = self.place(at, end, &original)?;
        let (sep, place) = match place {
            Place::Item => (self.list_separator().to_string(), place),
            Place::BlockItem(col) => (format!("\n{}- ", " ".repeat(col)), place),
            _ => {
                return Err(format!(
                    "`{original}` is one value here: add the words `{}` by hand",
                    words.join(" ")
                ));
            }
        };
        let mut replacement = self.join(words, &sep, &place, written)?;
        replacement.push_str(&sep);
        Ok(vec![TextEdit {
            start: at,
            end: at,
            replacement,
        }])
    }

    /// The end of the token starting at `at` (a KDL entry, a YAML scalar).
    fn token_end(&self, at: usize) -> usize {
        let rest = &self.text[at..];
        let stop = |c: char| match self.format {
            Format::Kdl => c.is_whitespace() || matches!(c, ';' | '{' | '}'),
            _ => c == '\n' || c == ',' || c == ']' || c == '}' || c == '#',
        };
        let len = if rest.starts_with('"') || rest.starts_with('\'') {
            let q = rest.as_bytes()[0] as char;
            let mut escaped = false;
            rest.char_indices()
                .skip(1)
                .find(|&(_, c)| {
                    let close = c == q && !escaped;
                    escaped = c == '\\' && !escaped && q == '"';
                    close
                })
                .map_or(rest.len(), |(i, _)| i + 1)
        } else {
            rest.find(stop).unwrap_or(rest.len())
        };
        at + rest[..len].trim_end().len()
    }

    /// Deletes the statement whose keyword starts at `start` (and whose words end by `end`):
    /// its lines, when nothing else is written on them.
    fn delete_statement(&self, start: usize, end: usize) -> Result<Vec<TextEdit>, String> {
        let mut found = None;
        let mut others = Vec::new();
        walk(&self.doc.body, &mut |item| {
            let lines = statement_lines(&self.idx, item);
            let starts_here = match &item.kind {
                ItemKind::Stmt(s) => s.keyword.span.offset as usize == start,
                _ => false,
            };
            if starts_here && found.is_none() {
                found = Some(lines);
            } else {
                others.push(lines);
            }
        });
        let (first, last) = found.ok_or("the statement is not written as such here")?;
        let last = last.max(self.idx.line_of(end.saturating_sub(1)) as u32);
        if others.iter().any(|(a, b)| *a <= last && *b >= first) {
            return Err("other statements share its lines: remove it by hand".into());
        }
        let from = self.idx.line_start(first as usize);
        let to = self.idx.line_start(last as usize + 1);
        Ok(vec![TextEdit {
            start: from,
            end: to.max(from),
            replacement: String::new(),
        }])
    }

    /// Adds keepalived.conf statements (`conf`, a block) at `at`, printed in this format.
    fn add_block(&self, at: usize, conf: &str) -> Result<Vec<TextEdit>, String> {
        let (doc, diags) = conf_read::read(conf, FileId(0));
        if !diags.is_empty() {
            return Err("the statements to add do not read as keepalived.conf".into());
        }
        let (text, diags) = match self.format {
            Format::Kdl => kdl_print::print(&doc),
            _ => yaml_print::print(&doc),
        };
        if !diags.is_empty() {
            return Err(format!(
                "the statements to add cannot be written in {}",
                self.format.name()
            ));
        }
        if self.format == Format::Yaml {
            // A YAML mapping has each key once: a block the file has already cannot be added.
            for item in &doc.body.items {
                if let ItemKind::Stmt(s) = &item.kind {
                    let key = std::iter::once(s.keyword.text.as_str())
                        .chain(s.args.iter().map(|w| w.text.as_str()))
                        .collect::<Vec<_>>()
                        .join(" ");
                    if self.top_keys().any(|k| k == key) {
                        return Err(format!(
                            "the file has a `{key}` block already: add the statements to it by hand"
                        ));
                    }
                }
            }
        }
        Ok(vec![TextEdit {
            start: at,
            end: at,
            replacement: text,
        }])
    }

    /// The keys written at the top level of a YAML file.
    fn top_keys(&self) -> impl Iterator<Item = String> + '_ {
        self.doc
            .body
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Stmt(s) => Some(
                    std::iter::once(s.keyword.text.as_str())
                        .chain(s.args.iter().map(|w| w.text.as_str()))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                _ => None,
            })
    }
}

/// How many problems reading `text` (KDL or YAML) finds: a fixed file must not have more.
pub fn read_problems(text: &str, format: Format) -> usize {
    read(text, format, FileId(0)).1.len()
}

/// Calls `f` on every item of `body`, depth first.
fn walk(body: &Body, f: &mut dyn FnMut(&Item)) {
    for item in &body.items {
        f(item);
        match &item.kind {
            ItemKind::Stmt(s) => {
                if let Some(b) = &s.body {
                    walk(b, f);
                }
            }
            ItemKind::When(w) => walk(&w.body, f),
            ItemKind::Repeat(r) => walk(&r.body, f),
            ItemKind::Def(Def {
                value: DefValue::Block(b),
                ..
            }) => walk(b, f),
            _ => {}
        }
    }
}

/// A KDL token (an argument, `key=value`, a name) as (property name, value as a word).
fn kdl_token(written: &str) -> Option<(Option<String>, String)> {
    let doc: kdl::KdlDocument = format!("_ {written}").parse().ok()?;
    let [node] = doc.nodes() else { return None };
    let [entry] = node.entries() else { return None };
    let value = match entry.value() {
        kdl::KdlValue::String(s) => s.clone(),
        kdl::KdlValue::Integer(i) => i.to_string(),
        kdl::KdlValue::Float(f) => f.to_string(),
        kdl::KdlValue::Bool(b) => b.to_string(),
        kdl::KdlValue::Null => return None,
    };
    Some((entry.name().map(|n| n.value().to_string()), value))
}

/// A YAML scalar token as a word (`None`: not one scalar).
fn yaml_scalar(written: &str) -> Option<String> {
    let (doc, diags) = read(&format!("k: {written}\n"), Format::Yaml, FileId(0));
    if !diags.is_empty() {
        return None;
    }
    match doc.body.items.as_slice() {
        [
            Item {
                kind: ItemKind::Stmt(s),
                ..
            },
        ] if s.args.len() == 1 => Some(s.args[0].text.clone()),
        _ => None,
    }
}

/// Whether the text after a YAML token says the token is (part of) a key: a `:` followed by a
/// blank or the end of the line comes before any flow punctuation or comment.
fn is_yaml_key(after: &str) -> bool {
    for (i, c) in after.char_indices() {
        match c {
            ':' => {
                return after[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(|n| n == ' ' || n == '\t' || n == '\r');
            }
            '[' | ']' | '{' | '}' | ',' | '#' | '"' | '\'' => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use kac_schema::Span;

    /// `text` with the edit of `original` → `replacement` at the first `original` after `at`
    /// (an insertion when `original` is empty: before the first `before`).
    fn apply(
        text: &str,
        format: Format,
        find: &str,
        original: Option<&str>,
        replacement: &str,
    ) -> Result<String, String> {
        let start = text.find(find).expect("in text");
        let len = original.map_or(0, |_| find.len());
        let mut e = Edit::insert(Span::new(FileId(0), 1, start as u32, 0), replacement);
        if let Some(o) = original {
            e = Edit::replace(
                Span::new(FileId(0), 1, start as u32, len as u32),
                o,
                replacement,
            );
        }
        let r = Rewriter::new(text.to_string(), format);
        let mut out = text.to_string();
        let mut edits = r.edit(&e)?;
        edits.sort_by_key(|t| std::cmp::Reverse(t.start));
        for t in edits {
            out.replace_range(t.start..t.end, &t.replacement);
        }
        let (_, diags) = read(&out, format, FileId(0));
        assert!(diags.is_empty(), "{out}\n{diags:?}");
        Ok(out)
    }

    #[test]
    fn renames_in_kdl() {
        let t = "a {\n    nb_get_retry 3 // keep\n    \"vrrp_track_file\" x {\n    }\n    - to=\"10.0.0.0/8\" gw=\"10.0.0.1\"\n}\n";
        assert_eq!(
            apply(
                t,
                Format::Kdl,
                "nb_get_retry",
                Some("nb_get_retry"),
                "retry"
            )
            .expect("rewritten"),
            t.replace("nb_get_retry", "retry")
        );
        assert_eq!(
            apply(
                t,
                Format::Kdl,
                "\"vrrp_track_file\"",
                Some("vrrp_track_file"),
                "track_file"
            )
            .expect("rewritten"),
            t.replace("\"vrrp_track_file\"", "track_file")
        );
        assert_eq!(
            apply(t, Format::Kdl, "gw", Some("gw"), "via").expect("rewritten"),
            t.replace("gw=", "via=")
        );
    }

    #[test]
    fn renames_in_yaml() {
        let t = "a:\n  nb_get_retry: 3  # keep\n  vrrp_track_file x:\n    file: /f\nvrrp_instance X:\n  virtual_routes:\n    - {destination: 10.0.0.0/8, gw: 10.0.0.1}\n";
        assert_eq!(
            apply(
                t,
                Format::Yaml,
                "nb_get_retry",
                Some("nb_get_retry"),
                "retry"
            )
            .expect("rewritten"),
            t.replace("nb_get_retry", "retry")
        );
        assert_eq!(
            apply(
                t,
                Format::Yaml,
                "vrrp_track_file",
                Some("vrrp_track_file"),
                "track_file"
            )
            .expect("rewritten"),
            t.replace("vrrp_track_file", "track_file")
        );
        assert_eq!(
            apply(t, Format::Yaml, "gw", Some("gw"), "via").expect("rewritten"),
            t.replace("gw:", "via:")
        );
    }

    #[test]
    fn values_keep_their_quoting() {
        let t = "auth_pass \"abcdefghij\"\nx 1\n";
        assert_eq!(
            apply(
                t,
                Format::Kdl,
                "\"abcdefghij\"",
                Some("abcdefghij"),
                "abcdefgh"
            )
            .expect("rewritten"),
            "auth_pass \"abcdefgh\"\nx 1\n"
        );
        let t = "auth_pass: 'abcdefghij'  # c\n";
        assert_eq!(
            apply(
                t,
                Format::Yaml,
                "'abcdefghij'",
                Some("abcdefghij"),
                "abcdefgh"
            )
            .expect("rewritten"),
            "auth_pass: 'abcdefgh'  # c\n"
        );
        let t = "x:\n  p: [a, 123456789]\n";
        assert_eq!(
            apply(t, Format::Yaml, "123456789", Some("123456789"), "12345678").expect("rewritten"),
            "x:\n  p: [a, 12345678]\n"
        );
        // Not the word the edit expects.
        assert!(apply(t, Format::Yaml, "a,", Some("b,"), "c").is_err());
    }

    #[test]
    fn words_become_items() {
        let t = "g:\n  lvs_sync_daemon: [eth1, VI_1, 5]\n";
        let once = apply(t, Format::Yaml, "VI_1", None, "inst ").expect("rewritten");
        assert_eq!(once, "g:\n  lvs_sync_daemon: [eth1, inst, VI_1, 5]\n");
        let t = "g:\n  lvs_sync_daemon:\n    - eth1\n    - VI_1\n";
        assert_eq!(
            apply(t, Format::Yaml, "VI_1", None, "inst ").expect("rewritten"),
            "g:\n  lvs_sync_daemon:\n    - eth1\n    - inst\n    - VI_1\n"
        );
        let t = "g {\n    lvs_sync_daemon eth1 VI_1 5\n}\n";
        assert_eq!(
            apply(t, Format::Kdl, "VI_1", None, "inst ").expect("rewritten"),
            "g {\n    lvs_sync_daemon eth1 inst VI_1 5\n}\n"
        );
        let t = "static_routes:\n  - [10.0.0.0/8, via, 10.0.0.1, or, 10.0.0.2]\n";
        assert_eq!(
            apply(t, Format::Yaml, "or", Some("or"), "nexthop via").expect("rewritten"),
            "static_routes:\n  - [10.0.0.0/8, via, 10.0.0.1, nexthop, via, 10.0.0.2]\n"
        );
        let t = "lvs_sync_daemon_interface: eth1\n";
        assert!(apply(t, Format::Yaml, "eth1", None, "inst ").is_err());
    }

    #[test]
    fn statements_are_deleted_and_blocks_added() {
        let t = "vrrp_instance VI_2:\n  state: BACKUP\n  linkbeat_use_polling: true  # old\n  priority: 100\n";
        let start = t.find("linkbeat").expect("rewritten");
        let r = Rewriter::new(t.to_string(), Format::Yaml);
        let e = Edit::replace(
            Span::new(FileId(0), 3, start as u32, 20),
            "linkbeat_use_polling",
            "",
        );
        let edits = r.edit(&e).expect("rewritten");
        assert_eq!(
            &t[edits[0].start..edits[0].end],
            "  linkbeat_use_polling: true  # old\n"
        );
        let add = Edit::insert(
            Span::new(FileId(0), 1, 0, 0),
            "linkbeat_interfaces {\n    eth0\n}\n",
        );
        assert_eq!(
            r.edit(&add).expect("rewritten")[0].replacement,
            "linkbeat_interfaces:\n  - eth0\n"
        );
        let k = Rewriter::new("global_defs {\n}\n".into(), Format::Kdl);
        let add = Edit::insert(
            Span::new(FileId(0), 1, 0, 0),
            "global_defs {\n    lvs_sync_daemon eth1 inst VI_2\n}\n",
        );
        assert!(
            k.edit(&add).expect("rewritten")[0]
                .replacement
                .starts_with("global_defs {\n")
        );
        let y = Rewriter::new("global_defs:\n  router_id: x\n".into(), Format::Yaml);
        assert!(y.edit(&add).is_err());
    }
}
