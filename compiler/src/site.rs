//! Site manifests (`kac.kdl` or `kac.yaml`): finding, reading and checking them
//! (DESIGN.md "Site"; the format is documented in docs/site.md).
//!
//! * [`find_manifest`]: the manifest of the nearest directory at or above a path.
//! * [`load_manifest`]: parse and check one manifest; every problem is a [`Diagnostic`] with a
//!   `kac::site::…` code and a span in the manifest (whose text is kept in the [`SourceMap`],
//!   so binaries can show it). Never panics.
//! * [`host_options`], [`host_entry`], [`path_map`]: what compiling one host of the site needs.
//!
//! Both forms go through the same checks after parsing, so they report the same problems with
//! the same codes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use kac_schema::site::{
    Host, HostSpans, Interface, LintSettings, MANIFEST_FILE_NAMES, Manifest, PathMapping,
    RuleLevel, Subnet,
};
use kac_schema::{Diagnostic, FileId, SourceFile, SourceMap, Span};

use crate::Options;
use crate::conf::include::PathMap;
use crate::conf::preproc::{EntryKind, FileOpener, RealFs};
use crate::suggest;

/// Stable diagnostic codes of site manifests (part of the CLI contract: add, never rename).
pub mod codes {
    /// The manifest cannot be read.
    pub const UNREADABLE: &str = "kac::site::unreadable";
    /// A directory holds both `kac.kdl` and `kac.yaml`.
    pub const TWO_MANIFESTS: &str = "kac::site::two-manifests";
    /// The text is not valid KDL or YAML.
    pub const SYNTAX: &str = "kac::site::syntax";
    /// A node, property or key the manifest format does not have.
    pub const UNKNOWN_FIELD: &str = "kac::site::unknown-field";
    /// A required value is missing (a host's name or config, an interface's name, …).
    pub const MISSING_VALUE: &str = "kac::site::missing-value";
    /// A value of the wrong kind (a number where a path is expected, an extra argument, …).
    pub const INVALID_VALUE: &str = "kac::site::invalid-value";
    /// The same setting is written twice (`site`, a `path-map` host path, a property).
    pub const DUPLICATE: &str = "kac::site::duplicate";
    /// Two hosts have the same name.
    pub const DUPLICATE_HOST: &str = "kac::site::duplicate-host";
    /// Two hosts run the same config file with the same config id (they would be identical).
    pub const DUPLICATE_CONFIG_ID: &str = "kac::site::duplicate-config-id";
    /// A host's config file does not exist.
    pub const CONFIG_NOT_FOUND: &str = "kac::site::config-not-found";
    /// A subnet that is not `ADDRESS/LEN`.
    pub const INVALID_CIDR: &str = "kac::site::invalid-cidr";
    /// An interface listed twice for one host.
    pub const DUPLICATE_INTERFACE: &str = "kac::site::duplicate-interface";
    /// The manifest names no host.
    pub const NO_HOSTS: &str = "kac::site::no-hosts";
    /// The `lint` settings name a rule or code that does not exist (checked by `kac lint`,
    /// which knows the rules).
    pub const UNKNOWN_RULE: &str = "kac::site::unknown-rule";
}

const LEVEL_HELP: &str = "a level is `error` or `warning` (use `ignore` to turn a rule off)";

impl Cx<'_> {
    /// A rule level: reports [`codes::INVALID_VALUE`] when it is not one.
    fn level(&mut self, s: &str, at: Span) -> Option<RuleLevel> {
        let l = RuleLevel::parse(s);
        if l.is_none() {
            self.invalid(
                format!("`{s}` is not a lint level"),
                at,
                "expected `error` or `warning`",
                LEVEL_HELP,
            );
        }
        l
    }

    /// Records a `levels` entry, reporting a rule given a level twice.
    fn set_level(&mut self, lint: &mut LintSettings, rule: (String, Span), level: RuleLevel) {
        if let Some((_, first)) = lint
            .spans
            .iter()
            .find(|(n, at)| *n == rule.0 && lint.levels.contains_key(n) && *at != rule.1)
        {
            let first = *first;
            self.duplicate(
                format!("rule `{}` is given a level twice", rule.0),
                rule.1,
                first,
                "give each rule one level",
            );
            return;
        }
        lint.levels.insert(rule.0.clone(), level);
        lint.spans.push(rule);
    }
}

/// The manifest in `dir` itself, if any (no walking up). Both `kac.kdl` and `kac.yaml` in one
/// directory is an error ([`codes::TWO_MANIFESTS`]).
pub fn manifest_in(dir: &Path) -> Result<Option<PathBuf>, Box<Diagnostic>> {
    manifest_in_tree(&RealFs, dir)
}

/// [`manifest_in`] in the tree `fs` serves (a git revision for `kac plan`).
pub fn manifest_in_tree(
    fs: &dyn FileOpener,
    dir: &Path,
) -> Result<Option<PathBuf>, Box<Diagnostic>> {
    let found: Vec<PathBuf> = MANIFEST_FILE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| matches!(fs.entry(p), Some(EntryKind::File { .. })))
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        [a, b, ..] => Err(Box::new(
            Diagnostic::error(
                codes::TWO_MANIFESTS,
                format!(
                    "`{}` holds two site manifests: `{}` and `{}`",
                    shown_dir(dir),
                    a.file_name().unwrap_or_default().to_string_lossy(),
                    b.file_name().unwrap_or_default().to_string_lossy()
                ),
            )
            .with_help("a site has one manifest: keep one of them"),
        )),
    }
}

/// The manifest of the site `start` belongs to: the nearest directory, from `start` (a
/// directory) or its parent directory (a file) upwards, holding `kac.kdl` or `kac.yaml`.
///
/// Relative paths stay relative while the walk is inside them (so messages show
/// `examples/two-lbs/kac.kdl`), then continue with the absolute parents of the current
/// directory.
pub fn find_manifest(start: &Path) -> Result<Option<PathBuf>, Box<Diagnostic>> {
    let dir = if start.is_dir() {
        start
    } else {
        start.parent().unwrap_or(Path::new(""))
    };
    let mut dirs: Vec<PathBuf> = Vec::new();
    if dir.is_relative() && !dir.components().any(|c| matches!(c, Component::ParentDir)) {
        // `./x` shows as `x`.
        let dir = normalize(dir);
        dirs.extend(dir.ancestors().map(Path::to_path_buf));
        if let Ok(abs) = std::path::absolute(".") {
            dirs.extend(abs.ancestors().skip(1).map(Path::to_path_buf));
        }
    } else {
        let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        dirs.extend(abs.ancestors().map(Path::to_path_buf));
    }
    for d in dirs {
        if let Some(m) = manifest_in(&d)? {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// The manifest of the site `start` (a directory) belongs to in the tree `fs` serves, looking
/// no higher than `root` (the top of a repository): [`find_manifest`] inside one tree.
pub fn find_manifest_within(
    fs: &dyn FileOpener,
    start: &Path,
    root: &Path,
) -> Result<Option<PathBuf>, Box<Diagnostic>> {
    for d in start.ancestors() {
        if !d.starts_with(root) {
            break;
        }
        if let Some(m) = manifest_in_tree(fs, d)? {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// The directory of a manifest: its config paths and path map are relative to it.
pub fn site_dir(manifest: &Path) -> PathBuf {
    manifest.parent().unwrap_or(Path::new("")).to_path_buf()
}

/// The path map of a site, with the repository side made absolute (relative to `dir`, the
/// manifest's directory), ready for [`Options::path_map`].
pub fn path_map(manifest: &Manifest, dir: &Path) -> PathMap {
    let base = absolute_dir(dir);
    PathMap {
        entries: manifest
            .path_map
            .iter()
            .map(|e| {
                (
                    PathBuf::from(&e.host_path),
                    normalize(&base.join(&e.repo_dir)),
                )
            })
            .collect(),
    }
}

/// The entry config file of `host`: its `config` relative to `dir`, the manifest's directory
/// (an absolute `config` goes through the path map). `..` is taken lexically
/// (`sites/a/../shared/x.conf` is `sites/shared/x.conf`).
pub fn host_entry(manifest: &Manifest, dir: &Path, host: &Host) -> PathBuf {
    let p = Path::new(&host.config);
    if p.is_absolute() {
        normalize(&path_map(manifest, dir).map(p))
    } else {
        normalize(&dir.join(p))
    }
}

/// Compiler options for `host`: its config id, the site's path map and, when the manifest
/// lists them, its interfaces.
pub fn host_options(manifest: &Manifest, dir: &Path, host: &Host) -> Options {
    Options {
        config_id: Some(host.config_id().to_string()),
        interfaces: host.interface_names(),
        path_map: path_map(manifest, dir),
        ..Options::default()
    }
}

/// Reads and checks the manifest at `path` (`kac.kdl` or `kac.yaml`, by extension), adding the
/// file with its text to `sources` (diagnostics point into it).
///
/// Returns the manifest unless it could not be read or parsed at all. A host with an error (no
/// name or config, a duplicate, a config file that does not exist) is left out of it, so the
/// rest of the site can still be linted; problems in interfaces leave out only the bad entry.
pub fn load_manifest(path: &Path, sources: &mut SourceMap) -> (Option<Manifest>, Vec<Diagnostic>) {
    load_manifest_in(&RealFs, path, sources)
}

/// [`load_manifest`] in the tree `fs` serves (a git revision for `kac plan`): the manifest and
/// the hosts' config files are looked up there.
pub fn load_manifest_in(
    fs: &dyn FileOpener,
    path: &Path,
    sources: &mut SourceMap,
) -> (Option<Manifest>, Vec<Diagnostic>) {
    let text = match fs.read(path) {
        Ok(b) => match std::str::from_utf8(&b) {
            Ok(t) => t.to_string(),
            Err(_) => {
                return (
                    None,
                    vec![Diagnostic::error(
                        codes::UNREADABLE,
                        format!("site manifest `{}` is not UTF-8 text", path.display()),
                    )],
                );
            }
        },
        Err(e) => {
            return (
                None,
                vec![Diagnostic::error(
                    codes::UNREADABLE,
                    format!("cannot read site manifest `{}`: {e}", path.display()),
                )],
            );
        }
    };
    let file = sources.add(SourceFile {
        name: path.to_string_lossy().into_owned(),
        path: std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .to_string_lossy()
            .into_owned(),
        text: Some(text.clone()),
        included_from: None,
    });
    let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    parse_manifest_in(fs, &text, file, yaml, &site_dir(path))
}

/// Parses and checks manifest text (`yaml`: the YAML form, else KDL) whose config paths are
/// relative to `dir`; spans point into `file`.
pub fn parse_manifest(
    text: &str,
    file: FileId,
    yaml: bool,
    dir: &Path,
) -> (Option<Manifest>, Vec<Diagnostic>) {
    parse_manifest_in(&RealFs, text, file, yaml, dir)
}

/// [`parse_manifest`] with the hosts' config files looked up in the tree `fs` serves.
pub fn parse_manifest_in(
    fs: &dyn FileOpener,
    text: &str,
    file: FileId,
    yaml: bool,
    dir: &Path,
) -> (Option<Manifest>, Vec<Diagnostic>) {
    let mut cx = Cx::new(text, file);
    let parsed = if yaml {
        yaml_form::manifest(&mut cx)
    } else {
        kdl_form::manifest(&mut cx)
    };
    // Report line by line (a repeated YAML key is found before the keys it follows).
    cx.diags
        .sort_by_key(|d| d.primary_span().map_or(0, |s| s.line));
    let Some((mut m, written)) = parsed else {
        return (None, cx.diags);
    };
    check(&mut cx, &mut m, written, dir, fs);
    (Some(m), cx.diags)
}

/// Parsing context: the text (for spans and line numbers) and the diagnostics found.
struct Cx<'a> {
    text: &'a str,
    file: FileId,
    line_starts: Vec<usize>,
    diags: Vec<Diagnostic>,
}

impl<'a> Cx<'a> {
    fn new(text: &'a str, file: FileId) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Cx {
            text,
            file,
            line_starts,
            diags: Vec::new(),
        }
    }

    /// A span of `len` bytes at byte `offset`, clamped to the text.
    fn span(&self, offset: usize, len: usize) -> Span {
        let offset = offset.min(self.text.len());
        let len = len.min(self.text.len() - offset);
        let line = self.line_starts.partition_point(|&s| s <= offset);
        Span::new(
            self.file,
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(offset).unwrap_or(u32::MAX),
            u32::try_from(len).unwrap_or(u32::MAX),
        )
    }

    /// Byte offset of a 1-based (line, character column) position.
    fn offset_of(&self, line: u64, column: u64) -> usize {
        let Some(&start) = usize::try_from(line.saturating_sub(1))
            .ok()
            .and_then(|l| self.line_starts.get(l))
        else {
            return self.text.len();
        };
        let col = usize::try_from(column.saturating_sub(1)).unwrap_or(0);
        self.text[start..]
            .char_indices()
            .nth(col)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// The first line of the text (a place to point at when there is nothing better).
    fn start(&self) -> Span {
        let len = self.text.find('\n').unwrap_or(self.text.len());
        self.span(0, len)
    }

    fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// An unknown node, property or key, with a "did you mean" for close candidates.
    fn unknown(&mut self, what: &str, word: &str, at: Span, known: &[&str], help: Option<String>) {
        let suggestion = suggest::closest(word, known.iter().copied());
        let mut d = Diagnostic::error(codes::UNKNOWN_FIELD, format!("unknown {what} `{word}`"));
        d = match suggestion {
            Some(s) => d.with_primary(at, format!("did you mean `{s}`?")),
            None => d.with_primary(at, "not known here"),
        };
        let help = help.unwrap_or_else(|| {
            let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            format!("expected one of {}", list.join(", "))
        });
        self.report(d.with_help(help));
    }

    fn invalid(
        &mut self,
        message: String,
        at: Span,
        label: &'static str,
        help: impl Into<Cow<'static, str>>,
    ) {
        self.report(
            Diagnostic::error(codes::INVALID_VALUE, message)
                .with_primary(at, label)
                .with_help(help),
        );
    }

    fn missing(
        &mut self,
        message: String,
        at: Span,
        label: &'static str,
        help: impl Into<Cow<'static, str>>,
    ) {
        self.report(
            Diagnostic::error(codes::MISSING_VALUE, message)
                .with_primary(at, label)
                .with_help(help),
        );
    }

    fn duplicate(&mut self, message: String, at: Span, first: Span, help: &'static str) {
        self.report(
            Diagnostic::error(codes::DUPLICATE, message)
                .with_primary(at, "written again here")
                .with_secondary(first, "first written here")
                .with_help(help),
        );
    }

    /// A subnet value: reports [`codes::INVALID_CIDR`] when it is not one.
    fn subnet(&mut self, s: &str, at: Span) -> Option<Subnet> {
        match s.parse::<Subnet>() {
            Ok(mut n) => {
                n.span = at;
                Some(n)
            }
            Err(e) => {
                self.report(
                    Diagnostic::error(
                        codes::INVALID_CIDR,
                        format!("`{s}` is not a subnet: {e}"),
                    )
                    .with_primary(at, "not ADDRESS/LEN")
                    .with_help("write the subnet in CIDR notation, like `192.0.2.0/24` or `2001:db8::/64`"),
                );
                None
            }
        }
    }
}

/// What the walkers of both forms produce for one host before the shared checks.
fn new_host(
    name: (String, Span),
    config: (String, Span),
    config_id: Option<(String, Span)>,
    head: Span,
) -> Host {
    Host {
        name: name.0,
        config: config.0,
        config_id: config_id.as_ref().map(|c| c.0.clone()),
        interfaces: None,
        spans: HostSpans {
            host: head,
            name: name.1,
            config: config.1,
            config_id: config_id.map(|c| c.1),
        },
    }
}

const HOST_HELP_KDL: &str = "write a host as `host \"lb1\" config=\"lb/keepalived.conf\"`";
const HOST_HELP_YAML: &str = "write a host as `- name: lb1` with `config: lb/keepalived.conf`";
const PATH_MAP_HELP: &str = "the host path is absolute (`/etc/keepalived`); the repository directory is relative to the manifest";

/// The checks both forms share: path map, host names, config id + entry pairs, config files,
/// interfaces. `written`: how many hosts the text names (including ones left out already).
fn check(cx: &mut Cx<'_>, m: &mut Manifest, written: usize, dir: &Path, fs: &dyn FileOpener) {
    // Path map: absolute host paths, each once.
    let mut seen: HashMap<PathBuf, Span> = HashMap::new();
    let mut kept = Vec::new();
    for e in std::mem::take(&mut m.path_map) {
        if !Path::new(&e.host_path).is_absolute() {
            cx.invalid(
                format!("path map host path `{}` is not absolute", e.host_path),
                e.span,
                "not an absolute path",
                PATH_MAP_HELP,
            );
            continue;
        }
        let key = normalize(Path::new(&e.host_path));
        if let Some(first) = seen.get(&key) {
            cx.duplicate(
                format!("host path `{}` is mapped twice", e.host_path),
                e.span,
                *first,
                "map each host path once",
            );
            continue;
        }
        seen.insert(key, e.span);
        kept.push(e);
    }
    m.path_map = kept;

    if written == 0 {
        let at = cx.start();
        cx.report(
            Diagnostic::error(codes::NO_HOSTS, "the site manifest names no host")
                .with_primary(at, "no host in this manifest")
                .with_help("add the hosts of the site (see docs/site.md)"),
        );
    }

    let mut names: HashMap<String, Span> = HashMap::new();
    let mut pairs: HashMap<(PathBuf, String), (String, Span)> = HashMap::new();
    let mut hosts = Vec::new();
    for mut h in std::mem::take(&mut m.hosts) {
        if let Some(first) = names.get(&h.name) {
            cx.report(
                Diagnostic::error(
                    codes::DUPLICATE_HOST,
                    format!("host `{}` is named twice", h.name),
                )
                .with_primary(h.spans.name, "second host with this name")
                .with_secondary(*first, "first defined here")
                .with_help("host names are unique in a site: rename or remove one of them"),
            );
            continue;
        }
        names.insert(h.name.clone(), h.spans.name);
        let id_span = h.spans.config_id.unwrap_or(h.spans.name);
        let key = (normalize(Path::new(&h.config)), h.config_id().to_string());
        if let Some((first, first_span)) = pairs.get(&key) {
            let mut d = Diagnostic::error(
                codes::DUPLICATE_CONFIG_ID,
                format!(
                    "hosts `{first}` and `{}` both run `{}` with config id `{}`",
                    h.name,
                    h.config,
                    h.config_id()
                ),
            )
            .with_primary(id_span, "same config and config id as another host")
            .with_secondary(*first_span, format!("`{first}` uses them here"))
            .with_help(
                "two hosts with the same config and config id get the same plan (the same VRRP priorities and state): give each its own config id",
            );
            if h.spans.config_id.is_none() {
                d = d.with_note("without a config id, a host's config id is its name");
            }
            cx.report(d);
            continue;
        }
        pairs.insert(key, (h.name.clone(), id_span));
        let entry = host_entry(m, dir, &h);
        match fs.entry(&entry) {
            Some(EntryKind::File { .. }) => {}
            Some(_) => {
                cx.report(
                    Diagnostic::error(
                        codes::CONFIG_NOT_FOUND,
                        format!("config `{}` of host `{}` is a directory", h.config, h.name),
                    )
                    .with_primary(h.spans.config, "not a file")
                    .with_help("name the host's keepalived.conf (relative to the manifest)"),
                );
                continue;
            }
            None => {
                cx.report(
                    Diagnostic::error(
                        codes::CONFIG_NOT_FOUND,
                        format!(
                            "config file `{}` of host `{}` does not exist",
                            h.config, h.name
                        ),
                    )
                    .with_primary(h.spans.config, "no such file")
                    .with_help(format!(
                        "the path is relative to the manifest's directory (looked for `{}`)",
                        entry.display()
                    )),
                );
                continue;
            }
        }
        if let Some(list) = h.interfaces.take() {
            let mut seen: HashMap<String, Span> = HashMap::new();
            let mut kept = Vec::new();
            for i in list {
                if let Some(first) = seen.get(&i.name) {
                    cx.report(
                        Diagnostic::error(
                            codes::DUPLICATE_INTERFACE,
                            format!(
                                "interface `{}` of host `{}` is listed twice",
                                i.name, h.name
                            ),
                        )
                        .with_primary(i.span, "listed again here")
                        .with_secondary(*first, "first listed here")
                        .with_help("list each interface once, with all its subnets"),
                    );
                    continue;
                }
                seen.insert(i.name.clone(), i.span);
                kept.push(i);
            }
            h.interfaces = Some(kept);
        }
        hosts.push(h);
    }
    m.hosts = hosts;
}

/// Lexical normalization (`./a/../b` → `b`), for comparing paths as written.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn absolute_dir(dir: &Path) -> PathBuf {
    let d = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    normalize(&std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()))
}

fn shown_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() {
        ".".into()
    } else {
        dir.display().to_string()
    }
}

/// The KDL form (`kac.kdl`).
mod kdl_form {
    use kac_schema::Span;
    use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

    use super::*;
    use crate::doc::kdl_read::{syntax_errors, too_deep};

    const TOP: &[&str] = &["site", "path-map", "host", "lint"];
    const HOST_PROPS: &[&str] = &["config", "config-id"];
    const LINT: &[&str] = &["select", "ignore", "level"];

    /// The span of a kdl `SourceSpan` (byte offset and length).
    macro_rules! span {
        ($cx:expr, $s:expr) => {{
            let s = $s;
            $cx.span(s.offset(), s.len())
        }};
    }

    /// The node's first line: its name and entries (not its children).
    fn head(cx: &Cx<'_>, node: &KdlNode) -> Span {
        let start = node.name().span().offset();
        let end = node
            .entries()
            .iter()
            .map(|e| e.span().offset() + e.span().len())
            .max()
            .unwrap_or(start + node.name().span().len());
        cx.span(start, end.saturating_sub(start))
    }

    fn kind(v: &KdlValue) -> &'static str {
        match v {
            KdlValue::String(_) => "a string",
            KdlValue::Integer(_) => "an integer",
            KdlValue::Float(_) => "a number",
            KdlValue::Bool(_) => "a boolean",
            KdlValue::Null => "#null",
        }
    }

    /// A string value (integers are taken as their decimal text).
    fn string(cx: &mut Cx<'_>, e: &KdlEntry, what: &str) -> Option<(String, Span)> {
        let at = span!(cx, e.span());
        match e.value() {
            KdlValue::String(s) if s.is_empty() => {
                cx.missing(format!("{what} is empty"), at, "empty", "write a value");
                None
            }
            KdlValue::String(s) => Some((s.clone(), at)),
            KdlValue::Integer(i) => Some((i.to_string(), at)),
            v => {
                cx.invalid(
                    format!("{what} must be a string, not {}", kind(v)),
                    at,
                    "expected a string",
                    "quote the value: \"…\"",
                );
                None
            }
        }
    }

    fn args(node: &KdlNode) -> Vec<&KdlEntry> {
        node.entries()
            .iter()
            .filter(|e| e.name().is_none())
            .collect()
    }

    fn props(node: &KdlNode) -> Vec<&KdlEntry> {
        node.entries()
            .iter()
            .filter(|e| e.name().is_some())
            .collect()
    }

    /// Reports every argument after the first `n`.
    fn extra_args(cx: &mut Cx<'_>, node: &KdlNode, n: usize, help: &'static str) {
        for e in args(node).into_iter().skip(n) {
            let at = span!(cx, e.span());
            cx.invalid(
                format!("`{}` takes {n} argument(s)", node.name().value()),
                at,
                "unexpected argument",
                help,
            );
        }
    }

    fn no_props(cx: &mut Cx<'_>, node: &KdlNode, help: &str) {
        for e in props(node) {
            let name = e.name().map_or("", |n| n.value());
            let at = span!(cx, e.span());
            cx.unknown(
                &format!("property of `{}`:", node.name().value()),
                name,
                at,
                &[],
                Some(help.into()),
            );
        }
    }

    fn no_children(cx: &mut Cx<'_>, node: &KdlNode, help: &str) {
        if let Some(c) = node.children() {
            for child in c.nodes() {
                let at = span!(cx, child.name().span());
                cx.unknown(
                    &format!("child of `{}`:", node.name().value()),
                    child.name().value(),
                    at,
                    &[],
                    Some(help.into()),
                );
            }
        }
    }

    /// Deeper `{` nesting than any manifest needs (it needs 2); the KDL parser recurses per
    /// level, so such input is refused before parsing rather than overflowing the stack.
    const MAX_DEPTH: usize = 32;

    pub(super) fn manifest(cx: &mut Cx<'_>) -> Option<(Manifest, usize)> {
        if let Some(at) = too_deep(cx.text, MAX_DEPTH) {
            let at = cx.span(at, 1);
            cx.report(
                Diagnostic::error(
                    codes::SYNTAX,
                    format!("invalid KDL: blocks nested more than {MAX_DEPTH} deep"),
                )
                .with_primary(at, "too deep")
                .with_help("a site manifest nests two levels: host { interface { subnet … } }"),
            );
            return None;
        }
        let doc = match cx.text.parse::<KdlDocument>() {
            Ok(d) => d,
            Err(e) => {
                let idx = crate::doc::LineIndex::new(cx.text, cx.file);
                for d in syntax_errors(
                    &e,
                    cx.text,
                    &idx,
                    codes::SYNTAX,
                    "kac.kdl is KDL 2 (https://kdl.dev); see docs/site.md for the manifest's nodes",
                ) {
                    cx.report(d);
                }
                return None;
            }
        };
        let mut m = Manifest::default();
        let mut site_at: Option<Span> = None;
        let mut written = 0;
        for node in doc.nodes() {
            match node.name().value() {
                "site" => {
                    no_props(cx, node, "write the site as `site \"dc1\"`");
                    no_children(cx, node, "`site` has no children");
                    extra_args(cx, node, 1, "write the site as `site \"dc1\"`");
                    let Some(arg) = args(node).first().copied() else {
                        let at = head(cx, node);
                        cx.missing(
                            "`site` without a name".into(),
                            at,
                            "name missing",
                            "write the site as `site \"dc1\"`",
                        );
                        continue;
                    };
                    let Some((name, at)) = string(cx, arg, "the site name") else {
                        continue;
                    };
                    match site_at {
                        Some(first) => cx.duplicate(
                            "`site` is given twice".into(),
                            at,
                            first,
                            "name the site once",
                        ),
                        None => {
                            site_at = Some(at);
                            m.site = Some(name);
                        }
                    }
                }
                "path-map" => {
                    no_props(cx, node, "write `path-map \"/etc/keepalived\" \"lb\"`");
                    no_children(cx, node, "`path-map` has no children");
                    extra_args(
                        cx,
                        node,
                        2,
                        "write one `path-map HOST-PATH REPO-DIR` per mapping",
                    );
                    let a = args(node);
                    if a.len() < 2 {
                        let at = head(cx, node);
                        cx.missing(
                            "`path-map` needs a host path and a repository directory".into(),
                            at,
                            "expected two arguments",
                            "write `path-map \"/etc/keepalived\" \"lb\"`",
                        );
                        continue;
                    }
                    let host = string(cx, a[0], "the path map's host path");
                    let repo = string(cx, a[1], "the path map's repository directory");
                    if let (Some((host_path, _)), Some((repo_dir, _))) = (host, repo) {
                        let at = head(cx, node);
                        m.path_map.push(PathMapping {
                            host_path,
                            repo_dir,
                            span: at,
                        });
                    }
                }
                "host" => {
                    written += 1;
                    if let Some(h) = host(cx, node) {
                        m.hosts.push(h);
                    }
                }
                "lint" => lint(cx, node, &mut m.lint),
                other => {
                    let at = span!(cx, node.name().span());
                    cx.unknown("node", other, at, TOP, None);
                }
            }
        }
        Some((m, written))
    }

    fn host(cx: &mut Cx<'_>, node: &KdlNode) -> Option<Host> {
        let at_head = head(cx, node);
        extra_args(
            cx,
            node,
            1,
            "a host has one name: write one `host` node per host",
        );
        let name = match args(node).first() {
            Some(a) => string(cx, a, "the host name"),
            None => {
                cx.missing(
                    "host without a name".into(),
                    at_head,
                    "name missing",
                    HOST_HELP_KDL,
                );
                None
            }
        };
        let mut config = None;
        let mut config_id = None;
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut typo_of_config = false;
        for e in props(node) {
            let key = e.name().map_or("", |n| n.value());
            let at = span!(cx, e.span());
            if !HOST_PROPS.contains(&key) {
                typo_of_config |=
                    suggest::closest(key, HOST_PROPS.iter().copied()) == Some("config");
                cx.unknown("property of `host`:", key, at, HOST_PROPS, None);
                continue;
            }
            if let Some(first) = seen.get(key) {
                cx.duplicate(
                    format!("`{key}` is given twice"),
                    at,
                    *first,
                    "write it once",
                );
                continue;
            }
            seen.insert(key, at);
            if key == "config" {
                config = string(cx, e, "`config`");
            } else {
                config_id = string(cx, e, "`config-id`");
            }
        }
        let mut interfaces: Option<Vec<Interface>> = None;
        if let Some(children) = node.children() {
            for child in children.nodes() {
                match child.name().value() {
                    "interface" => {
                        if let Some(i) = interface(cx, child) {
                            interfaces.get_or_insert_with(Vec::new).push(i);
                        } else {
                            interfaces.get_or_insert_with(Vec::new);
                        }
                    }
                    other => {
                        let at = span!(cx, child.name().span());
                        let help = HOST_PROPS.contains(&other).then(|| {
                            format!("`{other}` is a property of `host`: host \"lb1\" {other}=\"…\"")
                        });
                        cx.unknown("child of `host`:", other, at, &["interface"], help);
                    }
                }
            }
        }
        let name = name?;
        let Some(config) = config else {
            // A misspelt `config` is reported already (with "did you mean").
            if !seen.contains_key("config") && !typo_of_config {
                cx.missing(
                    format!("host `{}` has no config file", name.0),
                    at_head,
                    "`config` missing",
                    "add config=\"PATH\": its keepalived.conf, relative to the manifest",
                );
            }
            return None;
        };
        if seen.contains_key("config-id") && config_id.is_none() {
            return None;
        }
        let mut h = new_host(name, config, config_id, at_head);
        h.interfaces = interfaces;
        Some(h)
    }

    /// `lint { select …; ignore …; level RULE LEVEL }`.
    fn lint(cx: &mut Cx<'_>, node: &KdlNode, out: &mut LintSettings) {
        let help = "write `lint { select \"RULE\"…; ignore \"RULE\"…; level \"RULE\" \"error\" }`";
        no_props(cx, node, help);
        extra_args(cx, node, 0, help);
        let Some(children) = node.children() else {
            return;
        };
        for child in children.nodes() {
            let name = child.name().value();
            if !LINT.contains(&name) {
                let at = span!(cx, child.name().span());
                cx.unknown("child of `lint`:", name, at, LINT, None);
                continue;
            }
            no_props(cx, child, help);
            no_children(cx, child, help);
            let a = args(child);
            if name == "level" {
                extra_args(
                    cx,
                    child,
                    2,
                    "write one `level \"RULE\" \"LEVEL\"` per rule",
                );
                if a.len() < 2 {
                    let at = head(cx, child);
                    cx.missing(
                        "`level` needs a rule and a level".into(),
                        at,
                        "expected two arguments",
                        "write `level \"plaintext-auth-pass\" \"error\"`",
                    );
                    continue;
                }
                let rule = string(cx, a[0], "the rule name");
                let level = string(cx, a[1], "the level");
                if let (Some(rule), Some((l, lat))) = (rule, level)
                    && let Some(level) = cx.level(&l, lat)
                {
                    cx.set_level(out, rule, level);
                }
                continue;
            }
            if a.is_empty() {
                let at = head(cx, child);
                cx.missing(
                    format!("`{name}` without a rule"),
                    at,
                    "rule missing",
                    format!("write `{name} \"RULE\" \"RULE\"…`"),
                );
            }
            for e in a {
                if let Some((rule, at)) = string(cx, e, "a rule name") {
                    if name == "select" {
                        out.select.push(rule.clone());
                    } else {
                        out.ignore.push(rule.clone());
                    }
                    out.spans.push((rule, at));
                }
            }
        }
    }

    fn interface(cx: &mut Cx<'_>, node: &KdlNode) -> Option<Interface> {
        let help = "write `interface \"eth0\" { subnet \"192.0.2.0/24\" }`";
        no_props(
            cx,
            node,
            "write subnets as children: `interface \"eth0\" { subnet \"192.0.2.0/24\" }`",
        );
        extra_args(cx, node, 1, "write one `interface` node per interface");
        let name = match args(node).first() {
            Some(a) => string(cx, a, "the interface name"),
            None => {
                let at = head(cx, node);
                cx.missing("interface without a name".into(), at, "name missing", help);
                None
            }
        };
        let mut subnets = Vec::new();
        if let Some(children) = node.children() {
            for child in children.nodes() {
                if child.name().value() != "subnet" {
                    let at = span!(cx, child.name().span());
                    cx.unknown(
                        "child of `interface`:",
                        child.name().value(),
                        at,
                        &["subnet"],
                        None,
                    );
                    continue;
                }
                no_props(cx, child, "write `subnet \"192.0.2.0/24\"`");
                no_children(cx, child, "`subnet` has no children");
                let a = args(child);
                if a.is_empty() {
                    let at = head(cx, child);
                    cx.missing(
                        "`subnet` without a value".into(),
                        at,
                        "subnet missing",
                        "write `subnet \"192.0.2.0/24\"`",
                    );
                }
                for e in a {
                    if let Some((s, at)) = string(cx, e, "a subnet")
                        && let Some(n) = cx.subnet(&s, at)
                    {
                        subnets.push(n);
                    }
                }
            }
        }
        let (name, span) = name?;
        Some(Interface {
            name,
            subnets,
            span,
        })
    }
}

/// The YAML form (`kac.yaml`), read into a spanned tree first so that unknown keys, wrong
/// types and duplicates are reported with their own spans and codes.
mod yaml_form {
    use std::fmt;

    use kac_schema::Span;
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_saphyr::{MessageFormatter, Spanned};

    use super::*;

    const TOP: &[&str] = &["site", "path_map", "hosts", "lint"];
    const LINT_KEYS: &[&str] = &["select", "ignore", "levels"];
    const HOST_KEYS: &[&str] = &["name", "config", "config_id", "interfaces"];
    const IFACE_KEYS: &[&str] = &["name", "subnets"];

    /// A YAML value with the spans of its parts.
    enum Y {
        Null,
        Bool,
        Num,
        Str(String),
        Seq(Vec<Spanned<Y>>),
        Map(Vec<(Spanned<Y>, Spanned<Y>)>),
    }

    impl<'de> Deserialize<'de> for Y {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Y;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("any YAML value")
                }
                fn visit_unit<E>(self) -> Result<Y, E> {
                    Ok(Y::Null)
                }
                fn visit_none<E>(self) -> Result<Y, E> {
                    Ok(Y::Null)
                }
                fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Y, D::Error> {
                    Y::deserialize(d)
                }
                fn visit_bool<E>(self, _: bool) -> Result<Y, E> {
                    Ok(Y::Bool)
                }
                fn visit_i64<E>(self, _: i64) -> Result<Y, E> {
                    Ok(Y::Num)
                }
                fn visit_u64<E>(self, _: u64) -> Result<Y, E> {
                    Ok(Y::Num)
                }
                fn visit_i128<E>(self, _: i128) -> Result<Y, E> {
                    Ok(Y::Num)
                }
                fn visit_u128<E>(self, _: u128) -> Result<Y, E> {
                    Ok(Y::Num)
                }
                fn visit_f64<E>(self, _: f64) -> Result<Y, E> {
                    Ok(Y::Num)
                }
                fn visit_str<E>(self, v: &str) -> Result<Y, E> {
                    Ok(Y::Str(v.to_string()))
                }
                fn visit_string<E>(self, v: String) -> Result<Y, E> {
                    Ok(Y::Str(v))
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Y, E> {
                    Ok(Y::Str(String::from_utf8_lossy(v).into_owned()))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Y, A::Error> {
                    let mut v = Vec::new();
                    while let Some(x) = a.next_element()? {
                        v.push(x);
                    }
                    Ok(Y::Seq(v))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Y, A::Error> {
                    let mut v = Vec::new();
                    while let Some(kv) = a.next_entry()? {
                        v.push(kv);
                    }
                    Ok(Y::Map(v))
                }
            }
            d.deserialize_any(V)
        }
    }

    fn kind(y: &Y) -> &'static str {
        match y {
            Y::Null => "null",
            Y::Bool => "a boolean",
            Y::Num => "a number",
            Y::Str(_) => "a string",
            Y::Seq(_) => "a list",
            Y::Map(_) => "a mapping",
        }
    }

    fn span(cx: &Cx<'_>, s: &Spanned<Y>) -> Span {
        let loc = s.referenced;
        let sp = loc.span();
        match (sp.byte_offset(), sp.byte_len()) {
            (Some(o), Some(l)) => cx.span(
                usize::try_from(o).unwrap_or(usize::MAX),
                usize::try_from(l).unwrap_or(0),
            ),
            _ => cx.span(cx.offset_of(loc.line(), loc.column()), 0),
        }
    }

    /// A scalar as text: strings, and numbers as written (`01` stays `01`).
    fn scalar(cx: &Cx<'_>, s: &Spanned<Y>) -> Option<String> {
        match &s.value {
            Y::Str(v) => Some(v.clone()),
            Y::Num => {
                let at = span(cx, s);
                let text = cx
                    .text
                    .get(at.offset as usize..(at.offset + at.len) as usize)?;
                (!text.is_empty()).then(|| text.to_string())
            }
            _ => None,
        }
    }

    fn string(cx: &mut Cx<'_>, s: &Spanned<Y>, what: &str) -> Option<(String, Span)> {
        let at = span(cx, s);
        match scalar(cx, s) {
            Some(v) if v.is_empty() => {
                cx.missing(format!("{what} is empty"), at, "empty", "write a value");
                None
            }
            Some(v) => Some((v, at)),
            None if matches!(s.value, Y::Null) => {
                cx.missing(
                    format!("{what} has no value"),
                    at,
                    "value missing",
                    "write a value",
                );
                None
            }
            None => {
                cx.invalid(
                    format!("{what} must be a string, not {}", kind(&s.value)),
                    at,
                    "expected a string",
                    "write a plain value, quoted if needed",
                );
                None
            }
        }
    }

    /// The entries of a mapping, each key once (later repeats are reported and skipped).
    fn entries<'y>(
        cx: &mut Cx<'_>,
        map: &'y [(Spanned<Y>, Spanned<Y>)],
    ) -> Vec<(String, Span, &'y Spanned<Y>)> {
        let mut out = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for (k, v) in map {
            let at = span(cx, k);
            let Some(key) = scalar(cx, k) else {
                cx.invalid(
                    format!("a key must be a string, not {}", kind(&k.value)),
                    at,
                    "expected a string key",
                    "see docs/site.md for the manifest's keys",
                );
                continue;
            };
            if let Some(first) = seen.get(&key) {
                cx.duplicate(
                    format!("`{key}` is given twice"),
                    at,
                    *first,
                    "write each key once",
                );
                continue;
            }
            seen.insert(key.clone(), at);
            out.push((key, at, v));
        }
        out
    }

    /// The syntax error of `e` (its message without the snippet, located).
    fn syntax(cx: &mut Cx<'_>, e: &serde_saphyr::Error) {
        let msg = serde_saphyr::DefaultMessageFormatter
            .format_message(e.without_snippet())
            .into_owned();
        let at = match e.location() {
            Some(loc) => {
                let sp = loc.span();
                match (sp.byte_offset(), sp.byte_len()) {
                    (Some(o), Some(l)) => cx.span(
                        usize::try_from(o).unwrap_or(usize::MAX),
                        usize::try_from(l).unwrap_or(0),
                    ),
                    _ => cx.span(cx.offset_of(loc.line(), loc.column()), 1),
                }
            }
            None => cx.start(),
        };
        cx.report(
            Diagnostic::error(
                codes::SYNTAX,
                format!("invalid YAML: {}", msg.trim_end_matches('.')),
            )
            .with_primary(at, "here")
            .with_help("see docs/site.md for the form of kac.yaml"),
        );
    }

    pub(super) fn manifest(cx: &mut Cx<'_>) -> Option<(Manifest, usize)> {
        let mut opts = serde_saphyr::Options::default();
        opts.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
        opts.with_snippet = false;
        // Only `true`/`false` are booleans (a host may be called `no`); `01` stays text.
        opts.strict_booleans = true;
        opts.leading_zero_numbers_as_strings = true;
        opts.underscored_numbers_as_strings = true;
        let root: Spanned<Y> = match serde_saphyr::from_str_with_options(cx.text, opts) {
            Ok(r) => r,
            Err(e) => {
                syntax(cx, &e);
                return None;
            }
        };
        let mut m = Manifest::default();
        let mut written = 0;
        let map = match &root.value {
            Y::Map(map) => map,
            Y::Null => return Some((m, 0)),
            other => {
                let at = span(cx, &root);
                cx.invalid(
                    format!("a site manifest is a mapping, not {}", kind(other)),
                    at,
                    "expected `site`, `path_map` and `hosts`",
                    HOST_HELP_YAML,
                );
                return None;
            }
        };
        for (key, at, v) in entries(cx, map) {
            match key.as_str() {
                "site" => m.site = string(cx, v, "`site`").map(|s| s.0),
                "path_map" => match &v.value {
                    Y::Null => {}
                    Y::Map(pm) => {
                        for (host_path, hat, repo) in entries(cx, pm) {
                            if let Some((repo_dir, rat)) = string(
                                cx,
                                repo,
                                &format!("the repository directory of `{host_path}`"),
                            ) {
                                m.path_map.push(PathMapping {
                                    host_path,
                                    repo_dir,
                                    span: hat.to(rat),
                                });
                            }
                        }
                    }
                    other => {
                        let vat = span(cx, v);
                        cx.invalid(
                            format!("`path_map` must be a mapping, not {}", kind(other)),
                            vat,
                            "expected HOST-PATH: REPO-DIR entries",
                            "write `path_map: {\"/etc/keepalived\": lb}`",
                        );
                    }
                },
                "hosts" => match &v.value {
                    Y::Null => {}
                    Y::Seq(list) => {
                        for h in list {
                            written += 1;
                            if let Some(h) = host(cx, h) {
                                m.hosts.push(h);
                            }
                        }
                    }
                    other => {
                        let vat = span(cx, v);
                        cx.invalid(
                            format!("`hosts` must be a list, not {}", kind(other)),
                            vat,
                            "expected a list of hosts",
                            "write each host as a list item: `- name: lb1`",
                        );
                        written += 1;
                    }
                },
                "lint" => lint(cx, v, &mut m.lint),
                other => cx.unknown("key", other, at, TOP, None),
            }
        }
        Some((m, written))
    }

    /// `lint: {select: […], ignore: […], levels: {RULE: LEVEL}}`.
    fn lint(cx: &mut Cx<'_>, v: &Spanned<Y>, out: &mut LintSettings) {
        let map = match &v.value {
            Y::Null => return,
            Y::Map(map) => map,
            other => {
                let at = span(cx, v);
                cx.invalid(
                    format!("`lint` must be a mapping, not {}", kind(other)),
                    at,
                    "expected `select`, `ignore` and `levels`",
                    "write `lint: {select: [RULE], ignore: [RULE], levels: {RULE: error}}`",
                );
                return;
            }
        };
        for (key, at, v) in entries(cx, map) {
            match key.as_str() {
                "select" | "ignore" => {
                    let items: Vec<&Spanned<Y>> = match &v.value {
                        Y::Null => Vec::new(),
                        Y::Seq(items) => items.iter().collect(),
                        _ => vec![v],
                    };
                    for item in items {
                        if let Some((rule, at)) = string(cx, item, "a rule name") {
                            if key == "select" {
                                out.select.push(rule.clone());
                            } else {
                                out.ignore.push(rule.clone());
                            }
                            out.spans.push((rule, at));
                        }
                    }
                }
                "levels" => match &v.value {
                    Y::Null => {}
                    Y::Map(levels) => {
                        for (rule, rat, l) in entries(cx, levels) {
                            if let Some((l, lat)) = string(cx, l, &format!("the level of `{rule}`"))
                                && let Some(level) = cx.level(&l, lat)
                            {
                                cx.set_level(out, (rule, rat), level);
                            }
                        }
                    }
                    other => {
                        let vat = span(cx, v);
                        cx.invalid(
                            format!("`levels` must be a mapping, not {}", kind(other)),
                            vat,
                            "expected RULE: LEVEL entries",
                            "write `levels: {plaintext-auth-pass: error}`",
                        );
                    }
                },
                other => cx.unknown("key of `lint`:", other, at, LINT_KEYS, None),
            }
        }
    }

    fn host(cx: &mut Cx<'_>, node: &Spanned<Y>) -> Option<Host> {
        let Y::Map(map) = &node.value else {
            let at = span(cx, node);
            cx.invalid(
                format!("a host must be a mapping, not {}", kind(&node.value)),
                at,
                "expected `name` and `config`",
                HOST_HELP_YAML,
            );
            return None;
        };
        let mut name = None;
        let mut config = None;
        let mut config_id = None;
        let mut interfaces = None;
        let mut broken = false;
        let mut typo_of_config = false;
        let mut first_key = None;
        for (key, at, v) in entries(cx, map) {
            first_key.get_or_insert(at);
            match key.as_str() {
                "name" => {
                    name = string(cx, v, "the host name");
                    broken |= name.is_none();
                }
                "config" => {
                    config = string(cx, v, "`config`");
                    broken |= config.is_none();
                }
                "config_id" => {
                    config_id = string(cx, v, "`config_id`");
                    broken |= config_id.is_none();
                }
                "interfaces" => interfaces = interface_list(cx, v),
                other => {
                    typo_of_config |=
                        suggest::closest(other, HOST_KEYS.iter().copied()) == Some("config");
                    cx.unknown("key of a host:", other, at, HOST_KEYS, None);
                }
            }
        }
        let at_head = match (&name, first_key) {
            (Some((_, at)), _) => *at,
            (None, Some(at)) => at,
            (None, None) => span(cx, node),
        };
        if broken {
            return None;
        }
        let Some(name) = name else {
            cx.missing(
                "host without a name".into(),
                at_head,
                "`name` missing",
                HOST_HELP_YAML,
            );
            return None;
        };
        let Some(config) = config else {
            // A misspelt `config` is reported already (with "did you mean").
            if typo_of_config {
                return None;
            }
            cx.missing(
                format!("host `{}` has no config file", name.0),
                at_head,
                "`config` missing",
                "add `config: PATH`: its keepalived.conf, relative to the manifest",
            );
            return None;
        };
        let mut h = new_host(name, config, config_id, at_head);
        h.interfaces = interfaces;
        Some(h)
    }

    fn interface_list(cx: &mut Cx<'_>, v: &Spanned<Y>) -> Option<Vec<Interface>> {
        let list = match &v.value {
            Y::Null => return None,
            Y::Seq(list) => list,
            other => {
                let at = span(cx, v);
                cx.invalid(
                    format!("`interfaces` must be a list, not {}", kind(other)),
                    at,
                    "expected a list of interfaces",
                    "write each interface as a list item: `- name: eth0`",
                );
                return None;
            }
        };
        let mut out = Vec::new();
        for item in list {
            let Y::Map(map) = &item.value else {
                let at = span(cx, item);
                let help = match &item.value {
                    Y::Str(s) => format!("write `- name: {s}`"),
                    _ => "write `- name: eth0` with optional `subnets: [192.0.2.0/24]`".into(),
                };
                cx.invalid(
                    format!("an interface must be a mapping, not {}", kind(&item.value)),
                    at,
                    "expected `name` and `subnets`",
                    help,
                );
                continue;
            };
            let mut name = None;
            let mut subnets = Vec::new();
            let mut first_key = None;
            let mut broken = false;
            for (key, at, v) in entries(cx, map) {
                first_key.get_or_insert(at);
                match key.as_str() {
                    "name" => {
                        name = string(cx, v, "the interface name");
                        broken |= name.is_none();
                    }
                    "subnets" => match &v.value {
                        Y::Null => {}
                        Y::Seq(items) => {
                            for s in items {
                                if let Some((text, at)) = string(cx, s, "a subnet")
                                    && let Some(n) = cx.subnet(&text, at)
                                {
                                    subnets.push(n);
                                }
                            }
                        }
                        other => {
                            let vat = span(cx, v);
                            cx.invalid(
                                format!("`subnets` must be a list, not {}", kind(other)),
                                vat,
                                "expected a list",
                                "write `subnets: [192.0.2.0/24]`",
                            );
                        }
                    },
                    other => cx.unknown("key of an interface:", other, at, IFACE_KEYS, None),
                }
            }
            if broken {
                continue;
            }
            let Some((name, span)) = name else {
                let at = first_key.unwrap_or_else(|| span(cx, item));
                cx.missing(
                    "interface without a name".into(),
                    at,
                    "`name` missing",
                    "write `- name: eth0` with optional `subnets: [192.0.2.0/24]`",
                );
                continue;
            };
            out.push(Interface {
                name,
                subnets,
                span,
            });
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, yaml: bool) -> (Option<Manifest>, Vec<Diagnostic>) {
        // Config existence is checked relative to `dir`: use this crate's own sources.
        parse_manifest(text, FileId(0), yaml, Path::new(env!("CARGO_MANIFEST_DIR")))
    }

    const KDL: &str = r#"site "dc1"
path-map "/etc/keepalived" "src"
host "lb1" config="src/lib.rs" config-id="lb1" {
    interface "eth0" { subnet "192.0.2.0/24"; subnet "2001:db8::/64" }
    interface "eth1"
}
host "lb2" config="src/lib.rs"
lint {
    select "kac::conf" "peer-vrid-mismatch"
    ignore "real-server-weight-zero"
    level "plaintext-auth-pass" "error"
}
"#;

    const YAML: &str = r#"site: dc1
path_map:
  /etc/keepalived: src
hosts:
  - name: lb1
    config: src/lib.rs
    config_id: lb1
    interfaces:
      - name: eth0
        subnets: [192.0.2.0/24, "2001:db8::/64"]
      - name: eth1
  - name: lb2
    config: src/lib.rs
lint:
  select: ["kac::conf", peer-vrid-mismatch]
  ignore: [real-server-weight-zero]
  levels:
    plaintext-auth-pass: error
"#;

    #[test]
    fn both_forms_mean_the_same() {
        let (k, kd) = parse(KDL, false);
        let (y, yd) = parse(YAML, true);
        assert!(kd.is_empty(), "{kd:?}");
        assert!(yd.is_empty(), "{yd:?}");
        let k = k.expect("kdl manifest");
        assert_eq!(Some(&k), y.as_ref());
        assert_eq!(k.hosts[1].config_id(), "lb2");
        assert_eq!(
            k.hosts[0].interface_names(),
            Some(vec!["eth0".to_string(), "eth1".to_string()])
        );
        assert_eq!(k.hosts[1].interfaces, None);
        assert_eq!(k.lint.select, vec!["kac::conf", "peer-vrid-mismatch"]);
        assert_eq!(k.lint.ignore, vec!["real-server-weight-zero"]);
        assert_eq!(
            k.lint.levels.get("plaintext-auth-pass"),
            Some(&RuleLevel::Error)
        );
        assert_eq!(k.lint.spans.len(), 4);
        let map = path_map(&k, Path::new("/repo"));
        assert_eq!(
            map.map(Path::new("/etc/keepalived/a.conf")),
            PathBuf::from("/repo/src/a.conf")
        );
    }

    fn codes_lines(text: &str, yaml: bool) -> Vec<(String, u32)> {
        parse(text, yaml)
            .1
            .iter()
            .map(|d| (d.code.to_string(), d.primary_span().map_or(0, |s| s.line)))
            .collect()
    }

    #[test]
    fn errors_have_codes_and_lines() {
        let kdl = "host \"lb1\" confg=\"src/lib.rs\"\nhost \"lb2\" config=\"nope.conf\" {\n  interface \"eth0\" { subnet \"10.0.0.0/33\" }\n  interface \"eth0\"\n}\nhosts \"x\"\n";
        let got = codes_lines(kdl, false);
        assert_eq!(
            got,
            vec![
                (codes::UNKNOWN_FIELD.into(), 1),
                (codes::INVALID_CIDR.into(), 3),
                (codes::UNKNOWN_FIELD.into(), 6),
                (codes::CONFIG_NOT_FOUND.into(), 2),
            ]
        );
        let yaml = "hosts:\n  - name: lb1\n    config: src/lib.rs\n  - name: lb1\n    config: src/lib.rs\n  - name: lb3\n    config: src/lib.rs\n    config_id: lb1\n";
        assert_eq!(
            codes_lines(yaml, true),
            vec![
                (codes::DUPLICATE_HOST.into(), 4),
                (codes::DUPLICATE_CONFIG_ID.into(), 8),
            ]
        );
    }

    #[test]
    fn lint_settings_problems() {
        let kdl = "host \"lb1\" config=\"src/lib.rs\"\nlint {\n  level \"x\" \"fatal\"\n  selekt \"y\"\n  level \"z\"\n}\n";
        assert_eq!(
            codes_lines(kdl, false),
            vec![
                (codes::INVALID_VALUE.into(), 3),
                (codes::UNKNOWN_FIELD.into(), 4),
                (codes::MISSING_VALUE.into(), 5),
            ]
        );
        let yaml = "hosts:\n  - name: lb1\n    config: src/lib.rs\nlint:\n  levels: {x: off}\n  ignore: y\n";
        let (m, d) = parse(yaml, true);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, codes::INVALID_VALUE);
        assert_eq!(m.expect("manifest").lint.ignore, vec!["y"]);
    }

    #[test]
    fn suggestions_and_syntax_errors() {
        let (_, d) = parse(
            "hosts:\n  - name: lb1\n    config-id: x\n    config: src/lib.rs\n",
            true,
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].labels[0].message, "did you mean `config_id`?");
        let (m, d) = parse("host \"lb1\" config=\n", false);
        assert!(m.is_none());
        assert_eq!(d[0].code, codes::SYNTAX);
        let (m, d) = parse("hosts: [\n", true);
        assert!(m.is_none());
        assert_eq!(d[0].code, codes::SYNTAX);
        let (_, d) = parse("", true);
        assert_eq!(d[0].code, codes::NO_HOSTS);
        // Deep nesting is refused, not a stack overflow.
        let deep = format!("{}{}", "a {".repeat(5000), "}".repeat(5000));
        let (m, d) = parse(&deep, false);
        assert!(m.is_none());
        assert_eq!(d[0].code, codes::SYNTAX);
        let deep = format!("hosts: {}", "[".repeat(200_000));
        let (m, d) = parse(&deep, true);
        assert!(m.is_none());
        assert_eq!(d[0].code, codes::SYNTAX);
        let (_, d) = parse("a: 1\na: 2\nhosts: []\n", true);
        let c: Vec<&str> = d.iter().map(|d| d.code.as_ref()).collect();
        assert_eq!(
            c,
            vec![codes::UNKNOWN_FIELD, codes::DUPLICATE, codes::NO_HOSTS]
        );
    }
}
