//! One host's configuration as one canonical keepalived.conf text (`kac plan --conf-diff`).
//!
//! The entry file and every file it includes are read into documents (any format: a KDL or
//! YAML configuration reads into the same [`Doc`] as its keepalived.conf), restricted to the
//! host and printed by [`conf_print`](super::conf_print):
//!
//! * **host conditions resolved**: the items of an `@ID` / `@^ID` condition that holds for
//!   the host's config id are kept without the condition, the others dropped;
//! * **includes inlined**: an include line is replaced by the items of the files it matches,
//!   in keepalived's order, so a host is one text whatever the files are called (a file moved
//!   or renamed, or converted to another format, changes nothing);
//! * **definitions and sequences kept as written** (`$NAME=…`, `~SEQ(…)`): a changed
//!   definition shows as one changed line, and a sequence is not expanded into thousands;
//! * **comments and blank lines dropped**: keepalived does not see them; the printer's
//!   canonical layout (four spaces a level, a blank line around top-level blocks) replaces
//!   them.
//!
//! So two configurations that mean the same to the host print the same text, in any format.
//! What cannot be shown this way (an unreadable file, an include that loops, what the
//! printer cannot write) is listed in [`HostConf::problems`] and in `# kac:` lines at the top
//! of the text.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kac_schema::doc::{Body, DefValue, Doc, Item, ItemKind};
use kac_schema::{FileId, Severity};

use super::{Format, conf_print};
use crate::conf::include::{PathMap, resolve_in};
use crate::conf::preproc::FileOpener;

/// Includes nested deeper than this are not followed (keepalived has no limit, but a loop
/// through symbolic links would never end).
const MAX_INCLUDE_DEPTH: usize = 32;

/// A host's configuration in canonical keepalived.conf form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostConf {
    /// The text.
    pub text: String,
    /// What could not be shown as it is (also in `# kac:` lines at the top of the text).
    pub problems: Vec<String>,
}

/// The canonical keepalived.conf of the host with config id `config_id` whose entry file is
/// `entry`, in the tree `fs` serves (`map`: the site's path map, for absolute includes);
/// `shown(path)` names a file in problems.
pub fn host_conf(
    fs: &dyn FileOpener,
    entry: &Path,
    config_id: Option<&str>,
    map: &PathMap,
    shown: &dyn Fn(&Path) -> String,
) -> HostConf {
    let mut f = Flattener {
        fs,
        config_id,
        map,
        shown,
        open: Vec::new(),
        text_defs: HashMap::new(),
        problems: Vec::new(),
    };
    let mut items = f.file(entry);
    layout(&mut items);
    let printed = conf_print::print(&Doc {
        body: Body::of(items),
    });
    f.problems.extend(
        printed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.message.clone()),
    );
    let mut text = String::new();
    for p in &f.problems {
        text.push_str("# kac: ");
        text.push_str(&p.replace('\n', " "));
        text.push('\n');
    }
    text.push_str(&printed.text);
    HostConf {
        text,
        problems: f.problems,
    }
}

struct Flattener<'a> {
    fs: &'a dyn FileOpener,
    config_id: Option<&'a str>,
    map: &'a PathMap,
    shown: &'a dyn Fn(&Path) -> String,
    /// The files being read (canonical paths), outermost first: a file among them that is
    /// included again is a loop.
    open: Vec<PathBuf>,
    /// Text definitions seen so far, for include patterns that use them.
    text_defs: HashMap<String, String>,
    problems: Vec<String>,
}

impl Flattener<'_> {
    /// Records what could not be shown.
    fn problem(&mut self, text: String) {
        self.problems.push(text);
    }

    /// The items of file `path` for the host.
    fn file(&mut self, path: &Path) -> Vec<Item> {
        let name = (self.shown)(path);
        let bytes = match self.fs.read(path) {
            Ok(b) => b,
            Err(e) => {
                self.problem(format!("{name}: cannot be read: {e}"));
                return Vec::new();
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let (doc, diags) = super::read(&text, Format::of(path), FileId(0));
        for d in diags.iter().filter(|d| d.severity == Severity::Error) {
            self.problem(format!("{name}: {}", d.message));
        }
        let mut out = Vec::new();
        self.open.push(self.fs.canonicalize(path));
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        out.extend(self.body(doc.body, &dir, true));
        self.open.pop();
        out
    }

    /// The items of `body` for the host: conditions resolved, includes inlined where
    /// `follow` (not inside definitions and sequences, which keep them as written), comments
    /// dropped.
    fn body(&mut self, body: Body, dir: &Path, follow: bool) -> Vec<Item> {
        let mut out = Vec::new();
        for item in body.items {
            let span = item.span;
            match item.kind {
                ItemKind::When(w) => {
                    if w.cond.holds(self.config_id) {
                        out.extend(self.body(w.body, dir, follow));
                    }
                }
                ItemKind::Include(inc) if follow => {
                    out.extend(self.include(&inc.pattern.text, dir));
                }
                ItemKind::Stmt(mut s) => {
                    if let Some(b) = s.body.take() {
                        s.body = Some(Body::of(self.body(b, dir, follow)));
                    }
                    out.push(Item::new(ItemKind::Stmt(s), span));
                }
                ItemKind::Def(mut d) => {
                    match d.value {
                        DefValue::Text(ref v) => {
                            self.text_defs.insert(d.name.text.clone(), v.text.clone());
                        }
                        DefValue::Block(b) => {
                            d.value = DefValue::Block(Body::of(self.body(b, dir, false)));
                        }
                    }
                    out.push(Item::new(ItemKind::Def(d), span));
                }
                ItemKind::Repeat(mut r) => {
                    r.body = Body::of(self.body(r.body, dir, false));
                    out.push(Item::new(ItemKind::Repeat(r), span));
                }
                kind @ (ItemKind::Use(_) | ItemKind::Include(_)) => {
                    out.push(Item::new(kind, span));
                }
            }
        }
        out
    }

    /// The items of the files an include pattern matches, in keepalived's order.
    fn include(&mut self, pattern: &str, dir: &Path) -> Vec<Item> {
        let Some(pattern) = substitute(pattern, &self.text_defs) else {
            self.problem(format!(
                "include `{pattern}` not followed: it uses a definition that is not a text definition seen before it"
            ));
            return Vec::new();
        };
        let resolved = resolve_in(self.fs, &pattern, dir, self.map);
        if resolved.too_many {
            self.problem(format!(
                "include `{pattern}` not followed: too many brace alternatives"
            ));
        }
        for alt in &resolved.unmatched {
            self.problem(format!("include `{alt}` matches no file"));
        }
        let mut out = Vec::new();
        for m in resolved.files {
            let canon = self.fs.canonicalize(&m.path);
            if self.open.contains(&canon) || self.open.len() >= MAX_INCLUDE_DEPTH {
                self.problem(format!(
                    "include of `{}` not followed: it includes itself",
                    m.shown
                ));
                continue;
            }
            out.extend(self.file(&m.path));
        }
        out
    }
}

/// `pattern` with `$NAME` and `${NAME}` replaced by the text definitions `defs`; `None` when it
/// names another one.
fn substitute(pattern: &str, defs: &HashMap<String, String>) -> Option<String> {
    if !pattern.contains('$') {
        return Some(pattern.to_string());
    }
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = match after.strip_prefix('{') {
            Some(inner) => {
                let end = inner.find('}')?;
                (&inner[..end], &inner[end + 1..])
            }
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        out.push_str(defs.get(name)?);
        rest = tail;
    }
    out.push_str(rest);
    Some(out)
}

/// The canonical layout: a blank line before and after each top-level block, none elsewhere.
fn layout(items: &mut [Item]) {
    let mut after_block = false;
    for (i, item) in items.iter_mut().enumerate() {
        let block = matches!(&item.kind, ItemKind::Stmt(s) if s.body.is_some())
            || matches!(&item.kind, ItemKind::Def(d) if matches!(d.value, DefValue::Block(_)))
            || matches!(&item.kind, ItemKind::Repeat(_));
        item.blank_before = i > 0 && (block || after_block);
        after_block = block;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::preproc::RealFs;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }

    fn conf_of(dir: &Path, entry: &str, id: Option<&str>) -> HostConf {
        let root = dir.to_path_buf();
        host_conf(
            &RealFs,
            &dir.join(entry),
            id,
            &PathMap::default(),
            &move |p| p.strip_prefix(&root).unwrap_or(p).display().to_string(),
        )
    }

    #[test]
    fn conditions_are_resolved_includes_inlined_and_comments_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "keepalived.conf",
            "# site\nglobal_defs {\n  @lb1 router_id ONE\n  @^lb1 router_id OTHER\n}\n\
             $SVC=conf.d\ninclude ${SVC}/*.conf\n",
        );
        write(
            dir.path(),
            "conf.d/a.conf",
            "vrrp_instance V {   # the only one\n    @lb2 priority 90\n    include ../vips.inc\n}\n",
        );
        write(
            dir.path(),
            "vips.inc",
            "virtual_ipaddress {\n 10.0.0.1/24\n}\n",
        );
        let lb1 = conf_of(dir.path(), "keepalived.conf", Some("lb1"));
        assert_eq!(
            lb1.text,
            "global_defs {\n    router_id ONE\n}\n\n$SVC=conf.d\n\nvrrp_instance V {\n    \
             virtual_ipaddress {\n        10.0.0.1/24\n    }\n}\n"
        );
        assert!(lb1.problems.is_empty(), "{:?}", lb1.problems);
        let lb2 = conf_of(dir.path(), "keepalived.conf", Some("lb2"));
        assert!(lb2.text.contains("router_id OTHER") && lb2.text.contains("priority 90"));
        assert!(!lb2.text.contains('#'));
    }

    #[test]
    fn the_three_formats_give_one_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "k.conf",
            "vrrp_instance V {\n    @lb1 priority 150\n    virtual_ipaddress {\n        \
             10.0.0.5/24 dev eth0 label eth0:1\n    }\n}\ninclude vs.conf\n",
        );
        write(
            dir.path(),
            "vs.conf",
            "$RS=real_server 10.0.1.$n 80 { \\\n    weight 2 \\\n}\n\
             virtual_server 10.0.0.5 80 {\n    protocol TCP\n    ~SEQ(n, 1, 2) $RS\n}\n",
        );
        write(
            dir.path(),
            "k.kdl",
            "vrrp_instance V {\n    @lb1 priority 150\n    virtual_ipaddress {\n        \
             \"10.0.0.5/24\" dev=eth0 label=eth0:1\n    }\n}\ninclude \"vs.yaml\"\n",
        );
        write(
            dir.path(),
            "vs.yaml",
            "$RS:\n  real_server 10.0.1.$n 80:\n    weight: 2\n\
             virtual_server 10.0.0.5 80:\n  protocol: TCP\n  \"~SEQ n 1 2\": $RS\n",
        );
        let conf = conf_of(dir.path(), "k.conf", Some("lb1"));
        let kdl = conf_of(dir.path(), "k.kdl", Some("lb1"));
        assert!(
            conf.problems.is_empty() && kdl.problems.is_empty(),
            "{:?} {:?}",
            conf.problems,
            kdl.problems
        );
        assert_eq!(conf.text, kdl.text);
        assert!(conf.text.contains("~SEQ(n, 1, 2)"), "{}", conf.text);
    }

    #[test]
    fn what_cannot_be_shown_is_listed_at_the_top() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "k.conf",
            "include k.conf\ninclude missing/*.conf\ninclude $NOPE.conf\nglobal_defs {\n}\n",
        );
        let c = conf_of(dir.path(), "k.conf", None);
        assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
        assert!(
            c.text
                .starts_with("# kac: include of `k.conf` not followed: it includes itself\n")
        );
        assert!(c.text.ends_with("global_defs {\n}\n"), "{}", c.text);
    }
}
