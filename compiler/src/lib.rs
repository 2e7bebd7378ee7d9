//! kac's compiler: front ends to the configuration model, validation, and the plan.
//!
//! * [`conf`]: the keepalived.conf front end (lexical layer, preprocessor, keyword tables).
//! * [`validate`]: what keepalived checks after parsing.
//! * [`lower`]: the configuration model of one host to its normalized plan.
//! * [`site`]: site manifests (`kac.kdl`/`kac.yaml`): the hosts of a repository.
//! * [`review`]: the semantic diff of plans between two revisions and its hazards
//!   (`kac plan`).
//!
//! Architecture invariant: the compiler knows nothing of netlink or of the machine it runs
//! on; facts about the machine (its interfaces, whether a user exists) are passed in by the
//! binary through [`Options`].
//!
//! Compiling never fails: it returns what it could build and every problem at once.

pub mod codes;
pub mod conf;
pub mod deprecated;
pub mod doc;
pub mod lower;
pub mod review;
pub mod site;
pub mod suggest;
pub mod validate;

use std::path::Path;

use kac_schema::config::{Config, VirtualServer};
use kac_schema::plan::Plan;
use kac_schema::{Diagnostic, Severity, SourceMap};

use conf::parser::Parser;
use conf::preproc::{FileOpener, PreprocOptions, Preprocessor, RealFs};

/// See [`Options::script_insecure`]: `Some(reason)` when the script is unsafe.
pub type ScriptInsecure = fn(&str, Option<&str>) -> Option<String>;

/// What the compiler needs to know beyond the files.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Config id for `@id` lines (keepalived's `-i`).
    pub config_id: Option<String>,
    /// Interfaces of the machine (`kac check` only); `None` skips interface checks.
    pub interfaces: Option<Vec<String>>,
    /// Whether user `keepalived_script` exists (`kac check` only); `None` skips the check.
    pub default_script_user_exists: Option<bool>,
    /// VRF devices of the machine (`kac check` only); `None` skips VRF checks.
    pub vrfs: Option<Vec<String>>,
    /// Whether a script path can be executed on the machine (`kac check` only); `None`
    /// skips the check.
    pub script_exists: Option<fn(&str) -> bool>,
    /// Why a script is unsafe under `enable_script_security` on the machine (`kac check`
    /// only): called with the program and the user it runs as (`user[:group]`, `None` for the
    /// default user); `None` skips the check.
    pub script_insecure: Option<ScriptInsecure>,
    /// Where absolute include paths (`/etc/keepalived/…`) live in the repository.
    pub path_map: conf::include::PathMap,
    /// Validate virtual servers and drop them instead of keeping them in the model
    /// (`kac check` on large configurations: keeps memory flat).
    pub drop_virtual_servers: bool,
    /// Files of earlier compilations: the files read get ids after theirs, and
    /// [`Parsed::sources`] holds both (the hosts of a site share one source map this way).
    pub sources: SourceMap,
    /// Lower virtual servers (other than group services) to the plan as their block closes
    /// instead of keeping them in the model: same plan, less memory and time (`kac plan`);
    /// [`Parsed::config`] then lacks them, so lint rules cannot run on it.
    pub lower_virtual_servers_early: bool,
}

/// What [`parse_conf_visiting`] hands each virtual server to as it closes (it is the
/// visitor's to keep, send to another thread or drop).
pub type VisitVirtualServer<'a> = dyn FnMut(VirtualServer, &Progress<'_>) + 'a;

/// What reading has reached when a virtual server closes ([`parse_conf_visiting`]): the
/// inline suppressions of the lines read (and of a few lines ahead), and the files opened
/// since earlier compilations ([`Options::sources`]), without their text.
pub struct Progress<'a> {
    /// Inline suppressions, in the order their lines were read.
    pub suppressions: &'a [kac_schema::config::Suppression],
    /// Files opened, with their ids.
    pub files: &'a [(kac_schema::FileId, kac_schema::SourceFile)],
}

/// The result of reading a configuration.
#[derive(Debug)]
pub struct Parsed {
    /// The configuration model.
    pub config: Config,
    /// The files read.
    pub sources: SourceMap,
    /// Every problem found, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// Number of virtual servers read.
    pub virtual_server_count: usize,
    /// The config ids the `@id`/`@^id` lines read name (lines of files that were not read,
    /// such as files included only for another config id, are not seen).
    pub config_ids: Vec<String>,
    /// Virtual servers already lowered ([`Options::lower_virtual_servers_early`]).
    pub lowered_virtual_servers: Vec<kac_schema::plan::PlanVirtualServer>,
    /// Every keyword read (block keywords and one-line keywords, not the words of value-block
    /// entries), sorted by block and keyword.
    pub keywords_used: Vec<KeywordUse>,
}

/// A keyword the configuration uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeywordUse {
    /// The keyword of the enclosing block (`top` at the top level), e.g. `real_server`.
    pub block: &'static str,
    /// The keyword as the keyword table names it (a deprecated synonym under its own name).
    pub keyword: &'static str,
    /// Where it is first written.
    pub first: kac_schema::Span,
    /// How many times it is written.
    pub count: u32,
}

impl Parsed {
    /// Whether `keepalived -t` would reject the configuration.
    pub fn fails_check(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::fails_check)
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Reads and validates the keepalived.conf at `path` (named `shown` in messages).
pub fn parse_conf(path: &Path, shown: &str, opts: &Options) -> Parsed {
    parse_conf_with(&RealFs, path, shown, opts)
}

/// [`parse_conf`] through a custom file opener (tests, fuzzing).
pub fn parse_conf_with(
    opener: &(dyn FileOpener + Sync),
    path: &Path,
    shown: &str,
    opts: &Options,
) -> Parsed {
    parse(opener, path, shown, opts, None, None)
}

/// [`parse_conf`] that hands each virtual server over to `visit` when its block closes (after
/// keepalived's checks) instead of keeping it, so that memory stays flat on large
/// configurations while the lint rules still see every virtual server ([`Config::virtual_servers`] keeps
/// only the services of a `group`, whose group may come later).
pub fn parse_conf_visiting(
    path: &Path,
    shown: &str,
    opts: &Options,
    visit: &mut VisitVirtualServer<'_>,
) -> Parsed {
    parse(&RealFs, path, shown, opts, Some(visit), None)
}

fn parse<'a>(
    opener: &(dyn FileOpener + Sync),
    path: &Path,
    shown: &str,
    opts: &Options,
    visit: Option<&'a mut VisitVirtualServer<'a>>,
    sink: Option<&'a mut dyn FnMut(kac_schema::plan::PlanVirtualServer)>,
) -> Parsed {
    let pp_opts = PreprocOptions {
        config_id: opts.config_id.clone(),
        random_seed: 0,
        path_map: opts.path_map.clone(),
        no_fast_lane: false,
        sources: opts.sources.clone(),
    };
    // The preprocessor runs on its own thread and hands lines over in batches, so reading
    // and parsing overlap on large configurations.
    // KDL and YAML files (the entry or included ones) are read as their keepalived.conf form.
    let formats = doc::eval::FormatOpener::new(opener);
    let formats = &formats;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let producer = scope.spawn(move || {
            let pp = Preprocessor::new(formats, path, shown, pp_opts);
            let mut t = doc::eval::Translation::default();
            let outcome = conf::feed::feed_lines_with(pp, tx, &mut |batch, sources| {
                formats.translate_batch(batch, sources, &mut t);
            });
            (outcome, t)
        });
        let lines = conf::feed::LineFeed::new(rx);
        let mut p = Parser::new(lines);
        p.interfaces = opts.interfaces.clone();
        p.default_script_user_exists = opts.default_script_user_exists;
        p.keep_virtual_servers = !opts.drop_virtual_servers && visit.is_none();
        p.visit_virtual_server = visit;
        if opts.lower_virtual_servers_early {
            p.lowered_virtual_servers = Some(Vec::new());
        }
        p.lowered_sink = sink;
        p.script_exists = opts.script_exists;
        p.script_insecure = opts.script_insecure;
        p.vrfs = opts.vrfs.clone();
        let mut config = Config::default();
        p.top_level(conf::grammar::global::TOP, &mut config);
        let (mut pre, t) = producer
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        formats.fix_outcome(&mut pre, opts.sources.files.len(), &t);
        finish(p, pre, config)
    })
}

fn finish(mut p: Parser<'_>, pre: conf::feed::PreprocOutcome, mut config: Config) -> Parsed {
    let depth = pre.block_depth;
    if depth > 0 {
        p.report(
            Diagnostic::error(
                codes::UNCLOSED_BLOCK,
                format!("{depth} block(s) not closed at the end of the configuration"),
            )
            .with_primary(pre.last_loc, "input ends here")
            .with_help(
                "add the missing `}`; everything after the unclosed block was read as part of it",
            ),
        );
    }
    validate::config(&mut p, &mut config);
    if p.dropped.0 > 0 {
        let sev = if p.dropped.1 {
            kac_schema::Severity::Error
        } else {
            kac_schema::Severity::Advice
        };
        p.diags.push(kac_schema::Diagnostic::new(
            codes::TOO_MANY_PROBLEMS,
            sev,
            format!("{} more problems not shown", p.dropped.0),
        ));
    }
    let mut diagnostics = pre.diags;
    diagnostics.append(&mut p.diags);
    let mut notes = pre.notes;
    notes.append(&mut p.notes);
    config.notes = notes;
    // Suppressions came with the batches of lines, the last ones with the outcome.
    config.suppressions = std::mem::take(&mut p.lines.suppressions);
    config.suppressions.extend(pre.suppressions);
    let mut sources = pre.sources;
    let virtual_server_count = p.virtual_server_count;
    let lowered_virtual_servers = p.lowered_virtual_servers.take().unwrap_or_default();
    let mut keywords_used: Vec<KeywordUse> = p
        .keywords_used
        .drain()
        .map(|((block, keyword), (first, count))| KeywordUse {
            block,
            keyword,
            first,
            count,
        })
        .collect();
    keywords_used.sort_by_key(|k| (k.block, k.keyword));
    add_include_notes(&mut diagnostics, &mut sources);
    Parsed {
        config,
        sources,
        diagnostics,
        virtual_server_count,
        config_ids: pre.config_ids.into_iter().collect(),
        lowered_virtual_servers,
        keywords_used,
    }
}

/// Adds "included from" notes to diagnostics located in included files.
fn add_include_notes(diags: &mut [Diagnostic], sources: &mut SourceMap) {
    for d in diags.iter_mut() {
        let Some(span) = d.primary_span() else {
            continue;
        };
        for inc in sources.include_chain(span.file) {
            let name = sources.get(inc.file).map_or("?", |f| f.name.as_str());
            d.notes
                .push(format!("included from {name}:{}", inc.line).into());
            d.labels.push(kac_schema::Label {
                span: inc,
                message: "included from here".into(),
                primary: false,
            });
        }
    }
}

/// The lines of `text` whose first non-blank bytes are `prefix`, each from the prefix to the
/// end of the line. Found by searching for the prefix, so scanning a large configuration where
/// such lines are rare (`include`, `@id`) takes milliseconds.
pub fn lines_starting_with<'a>(
    text: &'a [u8],
    prefix: &'a [u8],
) -> impl Iterator<Item = &'a [u8]> + 'a {
    memchr::memmem::find_iter(text, prefix).filter_map(move |at| {
        let line_start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
        if !text[line_start..at].iter().all(|b| b.is_ascii_whitespace()) {
            return None;
        }
        let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
        Some(&text[at..end])
    })
}

/// The outcome of compiling one host.
#[derive(Debug)]
pub struct Compiled {
    /// The plan, unless the configuration has errors.
    pub plan: Option<Plan>,
    /// The parsed configuration and its diagnostics.
    pub parsed: Parsed,
}

/// Compiles the keepalived.conf at `path` for `host`.
pub fn compile_conf(path: &Path, shown: &str, host: &str, opts: &Options) -> Compiled {
    compile_conf_with(&RealFs, path, shown, host, opts)
}

/// [`compile_conf`] through a custom file opener (a git revision for `kac plan`).
pub fn compile_conf_with(
    opener: &(dyn FileOpener + Sync),
    path: &Path,
    shown: &str,
    host: &str,
    opts: &Options,
) -> Compiled {
    compile(opener, path, shown, host, opts, None)
}

/// [`compile_conf_with`] that lowers each virtual server (other than group services) as its
/// block closes and hands it to `sink` instead of putting it in the plan: the caller keeps
/// what it needs (`kac plan` pairs the services of two revisions as they come and keeps only
/// those that differ). The plan holds the group services only.
pub fn compile_conf_with_sink(
    opener: &(dyn FileOpener + Sync),
    path: &Path,
    shown: &str,
    host: &str,
    opts: &Options,
    sink: &mut dyn FnMut(kac_schema::plan::PlanVirtualServer),
) -> Compiled {
    compile(opener, path, shown, host, opts, Some(sink))
}

fn compile(
    opener: &(dyn FileOpener + Sync),
    path: &Path,
    shown: &str,
    host: &str,
    opts: &Options,
    sink: Option<&mut dyn FnMut(kac_schema::plan::PlanVirtualServer)>,
) -> Compiled {
    let mut parsed = parse(opener, path, shown, opts, None, sink);
    let plan = if parsed.has_errors() {
        None
    } else {
        Some(lower::lower_with(
            &parsed.config,
            host,
            opts.config_id.as_deref(),
            std::mem::take(&mut parsed.lowered_virtual_servers),
        ))
    };
    Compiled { plan, parsed }
}

/// The config ids a configuration's `@id`/`@^id` lines name, across its includes.
pub fn config_ids(path: &Path, map: &conf::include::PathMap) -> Vec<String> {
    config_ids_in(&RealFs, path, map)
}

/// [`config_ids`] in the tree `fs` serves (a git revision for `kac plan`).
pub fn config_ids_in(
    fs: &dyn FileOpener,
    path: &Path,
    map: &conf::include::PathMap,
) -> Vec<String> {
    let mut ids = std::collections::BTreeSet::new();
    let mut seen = std::collections::HashSet::new();
    collect_ids(fs, path, map, &mut ids, &mut seen, 0);
    ids.into_iter().collect()
}

fn collect_ids(
    fs: &dyn FileOpener,
    path: &Path,
    map: &conf::include::PathMap,
    ids: &mut std::collections::BTreeSet<String>,
    seen: &mut std::collections::HashSet<std::path::PathBuf>,
    depth: usize,
) {
    if depth > 32 || !seen.insert(path.to_path_buf()) {
        return;
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let format = doc::Format::of(path);
    if format != doc::Format::Conf {
        let Ok(text) = fs.read(path) else {
            return;
        };
        let text = String::from_utf8_lossy(&text);
        let (d, _) = doc::read(&text, format, kac_schema::FileId(0));
        ids.extend(d.config_ids());
        for inc in d.includes() {
            for m in conf::include::resolve_in(fs, &inc.pattern.text, dir, map).files {
                collect_ids(fs, &m.path, map, ids, seen, depth + 1);
            }
        }
        return;
    }
    let mut includes = Vec::new();
    let scanned = scan_lines(fs, path, &mut |text| {
        for line in lines_starting_with(text, b"@") {
            let line = String::from_utf8_lossy(&line[1..]);
            let rest = line.strip_prefix('^').unwrap_or(&line);
            if let Some(id) = rest.split([' ', '\t', '\r']).next()
                && !id.is_empty()
            {
                ids.insert(id.to_string());
            }
        }
        for line in lines_starting_with(text, b"include") {
            let line = String::from_utf8_lossy(line);
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() == 2 {
                includes.push(words[1].trim_matches('"').to_string());
            }
        }
    });
    if scanned.is_err() {
        return;
    }
    for pattern in includes {
        for m in conf::include::resolve_in(fs, &pattern, dir, map).files {
            collect_ids(fs, &m.path, map, ids, seen, depth + 1);
        }
    }
}

/// Hands the text of `path` to `f` in pieces of whole lines (at most about 1 MiB each, so a
/// large file is never held whole). The file is read straight into one buffer (large reads
/// bypass the opener's own buffering): each byte is copied once.
fn scan_lines(fs: &dyn FileOpener, path: &Path, f: &mut dyn FnMut(&[u8])) -> std::io::Result<()> {
    const PIECE: usize = 1 << 20;
    let mut reader = fs.open(path)?;
    let mut buf = vec![0u8; PIECE];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            // One line longer than the buffer: make room for the rest of it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += n;
        if let Some(end) = memchr::memrchr(b'\n', &buf[filled - n..filled]).map(|i| filled - n + i)
        {
            f(&buf[..=end]);
            buf.copy_within(end + 1..filled, 0);
            filled -= end + 1;
        }
    }
    if filled > 0 {
        f(&buf[..filled]);
    }
    Ok(())
}
