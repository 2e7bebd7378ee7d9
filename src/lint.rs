//! `kac lint`: compile every configuration found, run the lint rules (per host and across the
//! hosts of each site), apply the selection, levels, inline suppressions and baseline, fix
//! what `--fix` may fix, and report (see docs/lint.md).
//!
//! Findings are streamed ([`crate::findings::Reporter`]): the findings of the virtual-server
//! rules are final when their virtual server closes (its suppressions were read before it)
//! and are written then, sorted within the virtual server; after all hosts of a site are
//! read, each host's other findings (keepalived's own checks, configuration-wide and site
//! rules, unused suppressions) follow, sorted by location. Nothing holds every finding.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kac_compiler::Options;
use kac_lint_rules::suppress::Used;
use kac_lint_rules::{Facts, HostConfig, HostLinter, Repo, RepoFile, Selection};
use kac_schema::config::{Config, Suppression, VirtualServer};
use kac_schema::site::{LintSettings, Manifest};
use kac_schema::{Diagnostic, FileId, SourceFile, SourceMap, Span};

use crate::findings::{FULL_PER_RULE, LISTED_PER_RULE, Reporter};
use crate::render::Texts;
use crate::{DiagFormat, baseline, fix, site};

/// The options of `kac lint`.
pub struct Args {
    /// Files or directories.
    pub paths: Vec<PathBuf>,
    /// Output format.
    pub format: DiagFormat,
    /// Warnings fail too.
    pub deny_warnings: bool,
    /// `--select`.
    pub select: Option<Vec<String>>,
    /// `--ignore`.
    pub ignore: Option<Vec<String>>,
    /// `-i`: only this config id.
    pub config_id: Option<String>,
    /// Say which rules did not run, and why.
    pub verbose: bool,
    /// Apply safe fixes.
    pub fix: bool,
    /// With `fix`: unsafe fixes too.
    pub unsafe_fixes: bool,
    /// Hide the findings this baseline accepts.
    pub baseline: Option<PathBuf>,
    /// Write the current findings as a baseline.
    pub write_baseline: Option<PathBuf>,
    /// Text output: every finding with its snippet.
    pub all_snippets: bool,
    /// Text output: every finding listed (past the first of a rule on one line each).
    pub all_findings: bool,
}

/// What one lint run read (its findings went to the reporter).
#[derive(Default)]
struct Outcome {
    sources: SourceMap,
    configs: usize,
    hosts: usize,
    sites: usize,
}

/// At most this many `--fix` rounds (a fix may make another one possible).
const MAX_FIX_ROUNDS: usize = 8;

/// Runs `kac lint`.
pub fn run(a: &Args) -> ExitCode {
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let mut targets = Vec::new();
    for p in &paths {
        match site::targets(p) {
            Ok(t) => targets.extend(t),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if a.fix {
        let mut total = 0;
        for _ in 0..MAX_FIX_ROUNDS {
            let mut rep = Reporter::quiet(Texts::default()).keep_fixable();
            let outcome = lint_once(&targets, a, &mut rep, false);
            let done = rep.finish();
            let applied = match fix::apply(&done.fixable, &outcome.sources, a.unsafe_fixes) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            for (file, line, code, message) in &applied.changes {
                eprintln!("fixed {file}:{line}: {message} [{code}]");
            }
            for (file, line, code, why) in &applied.skipped {
                eprintln!("not fixed {file}:{line} [{code}]: {why}");
            }
            total += applied.changes.len();
            if applied.changes.is_empty() {
                break;
            }
        }
        eprintln!("kac lint --fix: {total} fix(es) applied");
    }
    if let Some(path) = &a.write_baseline {
        let mut rep = Reporter::quiet(Texts::default()).writing_baseline(path);
        lint_once(&targets, a, &mut rep, false);
        let done = rep.finish();
        let written = match done.writer {
            Some(w) => w.write(path),
            None => Ok(0),
        };
        return match written {
            Ok(n) => {
                eprintln!(
                    "kac lint: wrote {n} finding(s) to the baseline `{}`",
                    path.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    let base = match &a.baseline {
        Some(path) => match baseline::Baseline::read(path) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let full = (!a.all_snippets).then_some(FULL_PER_RULE);
    let listed = (!a.all_snippets && !a.all_findings).then_some(LISTED_PER_RULE);
    let mut rep = Reporter::new(a.format, full, Texts::default())
        .listing_at_most(listed)
        .with_baseline(base)
        .deny_warnings(a.deny_warnings);
    let Outcome {
        configs,
        hosts,
        sites,
        ..
    } = lint_once(&targets, a, &mut rep, a.verbose);
    let done = rep.finish();
    if a.format == DiagFormat::Text {
        let what = match (sites, configs) {
            (0, _) => format!("{configs} configuration(s)"),
            (_, 0) => format!("{hosts} host(s) in {sites} site(s)"),
            _ => format!("{hosts} host(s) in {sites} site(s) and {configs} other configuration(s)"),
        };
        let base = if a.baseline.is_some() {
            format!(" ({} accepted by the baseline)", done.accepted)
        } else {
            String::new()
        };
        let short = if done.one_line > 0 {
            format!(
                "; {} shown on one line each, past {FULL_PER_RULE} of a rule (`--all-snippets` shows every snippet)",
                done.one_line
            )
        } else {
            String::new()
        };
        let unlisted = if done.unlisted > 0 {
            format!(
                "; {} not listed, past {LISTED_PER_RULE} of a rule (`--all-findings` lists every finding)",
                done.unlisted
            )
        } else {
            String::new()
        };
        eprintln!(
            "kac lint: {what}, {} finding(s){base}{short}{unlisted}",
            done.total
        );
    }
    if done.failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The selection of a site (its manifest's `lint` settings, if any) with the command line's.
fn selection(lint: Option<&LintSettings>, a: &Args) -> Selection {
    let mut s = Selection::default();
    if let Some(l) = lint {
        s.select.clone_from(&l.select);
        s.ignore.clone_from(&l.ignore);
        s.levels = l
            .levels
            .iter()
            .map(|(k, v)| (k.clone(), v.severity()))
            .collect();
    }
    if let Some(sel) = &a.select {
        s.select.clone_from(sel);
        s.ignore.clear();
    }
    if let Some(ign) = &a.ignore {
        s.ignore.extend(ign.iter().cloned());
    }
    s
}

/// Rule names in a manifest's `lint` settings that are no rule or code.
fn unknown_rules(lint: &LintSettings) -> Vec<Diagnostic> {
    lint.spans
        .iter()
        .filter(|(name, _)| !kac_lint_rules::is_known_name(name))
        .map(|(name, at)| {
            let help = match kac_lint_rules::closest_name(name) {
                Some(s) => format!("did you mean `{s}`? (`kac explain RULE` shows a rule)"),
                None => "name a lint rule (lint-rules/RULES.md) or a diagnostic code".into(),
            };
            Diagnostic::error(
                kac_compiler::site::codes::UNKNOWN_RULE,
                format!("no lint rule or diagnostic code `{name}`"),
            )
            .with_primary(*at, "unknown name")
            .with_help(help)
        })
        .collect()
}

/// The repository of a site, as the rules see it: host paths mapped through the path map.
struct SiteRepo {
    map: kac_compiler::conf::include::PathMap,
    dir: PathBuf,
}

impl Repo for SiteRepo {
    fn file(&self, host_path: &str) -> Option<RepoFile> {
        let p = Path::new(host_path);
        if !self.map.entries.iter().any(|(host, _)| p.starts_with(host)) {
            return None;
        }
        let mapped = self.map.map(p);
        let meta = std::fs::metadata(&mapped).ok()?;
        if !meta.is_file() {
            return None;
        }
        use std::os::unix::fs::PermissionsExt;
        let plain = |p: &Path| -> PathBuf {
            p.components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect()
        };
        let dir = if self.dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            self.dir.as_path()
        };
        let base = plain(&std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()));
        let shown = plain(&mapped)
            .strip_prefix(&base)
            .map_or(mapped.clone(), |r| plain(&dir.join(r)));
        Some(RepoFile {
            shown: shown.to_string_lossy().into_owned(),
            mode: meta.permissions().mode() & 0o7777,
        })
    }
}

/// `--verbose` remarks (on stderr): the selected rules that do not run for a host, and why.
fn unmet(who: &str, facts: &Facts<'_>, sel: &Selection, verbose: bool) {
    if !verbose {
        return;
    }
    for r in kac_lint_rules::registry() {
        if !sel.enabled(r.name) {
            continue;
        }
        if let Some(why) = r.needs.unmet(facts) {
            eprintln!("note: {who}: rule `{}` did not run: {why}", r.name);
        }
    }
}

/// One parsed and linted host: its findings not reported yet.
struct Linted {
    name: Option<String>,
    config: Config,
    findings: Vec<Diagnostic>,
    used: Vec<Used>,
}

/// One host to lint: where its configuration starts, how to read it, and who it is.
struct HostRun<'e, 'f> {
    entry: &'e Path,
    opts: Options,
    name: Option<String>,
    facts: Facts<'f>,
    /// Added to findings of missing interfaces: the interfaces the manifest lists.
    missing_interface_note: Option<String>,
}

/// Whether a host is linted on the guess that its configuration has no `@id` lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdGuess {
    /// Its config id is known (a site's host, `-i`, or one of the ids found): no guess.
    Known,
    /// Lint it as the one host of a configuration without `@id` lines, unless it has some.
    NoIds,
}

/// Parses the host's configuration (its files added to `sources`) and runs its rules; the
/// findings of each virtual server go to `rep` as it closes.
///
/// The parser hands each virtual server over to a worker thread ([`lint_worker`]) that runs
/// the rules on it, reports its findings and drops it, so that on large configurations
/// linting overlaps with reading (the parser's thread is the one `kac check` waits for).
///
/// With [`IdGuess::NoIds`], the worker first scans the configuration for `@id` lines (while
/// the parser starts) and, when there are some, reports nothing and they are returned instead
/// ([`lint_config`] then lints each config id). With [`IdGuess::Known`] it always lints.
fn lint_host(
    run: HostRun<'_, '_>,
    sel: &Selection,
    sources: &mut SourceMap,
    rep: &mut Reporter,
    guess: IdGuess,
) -> Result<Linted, Vec<String>> {
    let HostRun {
        entry,
        mut opts,
        name,
        facts,
        missing_interface_note,
    } = run;
    opts.sources = std::mem::take(sources);
    let worker_rep = &mut *rep;
    let (parsed, linted) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Handover>(HANDOVERS_IN_FLIGHT);
        let name = name.as_deref();
        let scan = (guess == IdGuess::NoIds).then_some(entry);
        let worker = scope
            .spawn(move || lint_worker(rx, HostLinter::new(facts, sel), worker_rep, name, scan));
        let mut handing = Handing::new(tx);
        let parsed = kac_compiler::parse_conf_visiting(
            entry,
            &entry.to_string_lossy(),
            &opts,
            &mut |vs, progress| handing.push(vs, progress),
        );
        handing.flush();
        drop(handing);
        let linted = worker
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (parsed, linted)
    });
    *sources = parsed.sources;
    let linter = linted?;
    let used = linter.used();
    rep.texts.sync(sources);
    let mut diags = parsed.diagnostics;
    if let Some(note) = missing_interface_note {
        for d in &mut diags {
            if d.code == kac_compiler::codes::MISSING_INTERFACE {
                d.notes.push(note.clone().into());
            }
        }
    }
    let findings = linter.finish(&parsed.config, diags);
    Ok(Linted {
        name,
        config: parsed.config,
        findings,
        used,
    })
}

/// The lint worker: runs the virtual-server rules on each virtual server handed over and
/// reports their findings as final. With `scan_for_ids`, it first scans that configuration
/// for `@id` lines; if there are some, it reports nothing, drops what comes and returns them.
fn lint_worker<'s>(
    rx: std::sync::mpsc::Receiver<Handover>,
    mut linter: HostLinter<'s>,
    rep: &mut Reporter,
    name: Option<&str>,
    scan_for_ids: Option<&Path>,
) -> Result<HostLinter<'s>, Vec<String>> {
    if !rep.writes_every_finding() {
        yield_to_reading();
    }
    if let Some(entry) = scan_for_ids {
        let ids = kac_compiler::config_ids(entry, &Default::default());
        if !ids.is_empty() {
            rx.into_iter().for_each(drop);
            return Err(ids);
        }
    }
    let mut suppressions = Vec::new();
    let mut found = Vec::new();
    for h in rx {
        suppressions.extend(h.suppressions);
        for (id, f) in &h.files {
            rep.texts.add(*id, f);
        }
        for vs in h.servers {
            linter.virtual_server_final(&vs, &suppressions, &mut found);
            for d in found.drain(..) {
                rep.finding(name, &d);
            }
        }
    }
    Ok(linter)
}

/// Lowers the calling thread's priority a little (nice 10; Linux gives each thread its own):
/// the lint worker then takes what the preprocessor and the parser leave of the machine's
/// cores instead of taking turns with them, and catches up when they wait (the handover
/// channel holds it back when it falls too far behind). Only when its output is light: when
/// it writes every finding (JSON, SARIF, GitHub), it is what the run waits for. Best
/// effort: without it the worker only competes for the same cores.
fn yield_to_reading() {
    let me = rustix::thread::gettid();
    let _ = rustix::process::setpriority_process(Some(me), 10);
}

/// Virtual servers per [`Handover`].
const SERVERS_PER_HANDOVER: usize = 64;
/// Handovers the parser may get ahead of the worker by (memory stays bounded): enough for
/// the parser not to wait while the worker scans a large configuration for `@id` lines.
const HANDOVERS_IN_FLIGHT: usize = 16;

/// Virtual servers the parser closed, with what reading learnt since the last handover.
struct Handover {
    servers: Vec<VirtualServer>,
    /// Inline suppressions read since the last handover.
    suppressions: Vec<Suppression>,
    /// Files opened since the last handover.
    files: Vec<(FileId, SourceFile)>,
}

/// The parser's side of the handover to the lint worker.
struct Handing {
    tx: std::sync::mpsc::SyncSender<Handover>,
    servers: Vec<VirtualServer>,
    suppressions_sent: usize,
    files_sent: usize,
    suppressions: Vec<Suppression>,
    files: Vec<(FileId, SourceFile)>,
}

impl Handing {
    fn new(tx: std::sync::mpsc::SyncSender<Handover>) -> Self {
        Handing {
            tx,
            servers: Vec::with_capacity(SERVERS_PER_HANDOVER),
            suppressions_sent: 0,
            files_sent: 0,
            suppressions: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Takes a closed virtual server (and what reading has reached); hands a full batch over.
    fn push(&mut self, vs: VirtualServer, progress: &kac_compiler::Progress<'_>) {
        // The suppressions and files read since the last handover go with it. The worker takes
        // a batch's suppressions before any of its virtual servers, so an earlier server of the
        // batch sees a few more than the parser had when it closed: that changes nothing, as a
        // suppression applies to its own lines only.
        if let Some(new) = progress.suppressions.get(self.suppressions_sent..) {
            self.suppressions.extend_from_slice(new);
            self.suppressions_sent = progress.suppressions.len();
        }
        if let Some(new) = progress.files.get(self.files_sent..) {
            self.files.extend_from_slice(new);
            self.files_sent = progress.files.len();
        }
        self.servers.push(vs);
        if self.servers.len() == SERVERS_PER_HANDOVER {
            self.flush();
        }
    }

    /// Hands over what was taken since the last handover.
    fn flush(&mut self) {
        if self.servers.is_empty() {
            return;
        }
        let h = Handover {
            servers: std::mem::replace(&mut self.servers, Vec::with_capacity(SERVERS_PER_HANDOVER)),
            suppressions: std::mem::take(&mut self.suppressions),
            files: std::mem::take(&mut self.files),
        };
        // The worker only stops early by panicking, which `lint_host` passes on when it
        // joins: nothing to do here about a closed channel.
        let _ = self.tx.send(h);
    }
}

/// Finishes the hosts of one site (site rules, selection, suppressions) and reports their
/// remaining findings, host by host.
fn finish(
    linted: Vec<Linted>,
    facts: &[Facts<'_>],
    sel: &Selection,
    out: &Outcome,
    rep: &mut Reporter,
) {
    let mut findings: Vec<Vec<Diagnostic>> = Vec::new();
    let mut rest = Vec::new();
    for l in linted {
        findings.push(l.findings);
        rest.push((l.name, l.config, l.used));
    }
    let hosts: Vec<HostConfig<'_>> = rest
        .iter()
        .zip(facts)
        .map(|((name, config, used), facts)| HostConfig {
            host: name.as_deref().unwrap_or(""),
            config,
            facts: *facts,
            used,
        })
        .collect();
    let sources = &out.sources;
    let path_of = |s: Span| {
        sources
            .get(s.file)
            .map_or_else(String::new, |f| f.path.clone())
    };
    kac_lint_rules::finish_site(&hosts, &mut findings, sel, &path_of);
    for ((name, _, _), list) in rest.iter().zip(findings) {
        for d in &list {
            rep.finding(name.as_deref(), d);
        }
    }
}

/// Lints every target once, reporting to `rep`.
fn lint_once(targets: &[site::Target], a: &Args, rep: &mut Reporter, verbose: bool) -> Outcome {
    let mut out = Outcome::default();
    let mut sites_seen = std::collections::BTreeSet::new();
    for t in targets {
        match t {
            site::Target::Problem(d) => {
                if selection(None, a).enabled(&d.code) {
                    rep.finding(None, d);
                }
            }
            site::Target::Config(t) => {
                out.configs += 1;
                lint_config(t, a, &mut out, rep, verbose);
            }
            site::Target::Site(manifest_path) => {
                let key = std::fs::canonicalize(manifest_path).unwrap_or(manifest_path.clone());
                if !sites_seen.insert(key) {
                    continue;
                }
                out.sites += 1;
                lint_site(manifest_path, a, &mut out, rep, verbose);
            }
        }
    }
    out
}

/// A configuration outside any site: each config id its `@id` lines use is a host.
fn lint_config(t: &site::Config, a: &Args, out: &mut Outcome, rep: &mut Reporter, verbose: bool) {
    let sel = selection(None, a);
    unmet(&format!("`{}`", t.shown), &Facts::default(), &sel, verbose);
    let ids: Vec<Option<String>> = match &a.config_id {
        Some(id) => vec![Some(id.clone())],
        // Most configurations have no `@id` lines: lint the one host while finding out.
        None => {
            let facts = Facts::default();
            let run = HostRun {
                entry: &t.entry,
                opts: Options::default(),
                name: None,
                facts,
                missing_interface_note: None,
            };
            let guess = lint_host(run, &sel, &mut out.sources, rep, IdGuess::NoIds);
            match guess {
                Ok(linted) => return finish(vec![linted], &[facts], &sel, out, rep),
                Err(ids) => ids.into_iter().take(64).map(Some).collect(),
            }
        }
    };
    let facts: Vec<Facts<'_>> = ids
        .iter()
        .map(|n| Facts {
            host: n.as_deref(),
            ..Facts::default()
        })
        .collect();
    let mut linted = Vec::new();
    for (id, f) in ids.iter().zip(&facts) {
        let opts = Options {
            config_id: id.clone(),
            ..Options::default()
        };
        let run = HostRun {
            entry: &t.entry,
            opts,
            name: id.clone(),
            facts: *f,
            missing_interface_note: None,
        };
        // Without a guess, `lint_host` always lints.
        if let Ok(l) = lint_host(run, &sel, &mut out.sources, rep, IdGuess::Known) {
            linted.push(l);
        }
    }
    finish(linted, &facts, &sel, out, rep);
}

/// The hosts of a site, from its manifest.
fn lint_site(manifest_path: &Path, a: &Args, out: &mut Outcome, rep: &mut Reporter, verbose: bool) {
    let (manifest, diags) = kac_compiler::site::load_manifest(manifest_path, &mut out.sources);
    rep.texts.sync(&out.sources);
    let sel = selection(manifest.as_ref().map(|m| &m.lint), a);
    let mut problems = diags;
    if let Some(m) = &manifest {
        problems.extend(unknown_rules(&m.lint));
    }
    for d in problems.iter().filter(|d| sel.enabled(&d.code)) {
        rep.finding(None, d);
    }
    let Some(m) = manifest else {
        return;
    };
    lint_manifest_hosts(&m, manifest_path, &sel, a, out, rep, verbose);
}

fn lint_manifest_hosts(
    m: &Manifest,
    manifest_path: &Path,
    sel: &Selection,
    a: &Args,
    out: &mut Outcome,
    rep: &mut Reporter,
    verbose: bool,
) {
    let dir = kac_compiler::site::site_dir(manifest_path);
    let repo = SiteRepo {
        map: kac_compiler::site::path_map(m, &dir),
        dir: dir.clone(),
    };
    let has_repo = !repo.map.entries.is_empty();
    let hosts: Vec<&kac_schema::site::Host> = m
        .hosts
        .iter()
        .filter(|h| a.config_id.as_ref().is_none_or(|id| id == h.config_id()))
        .collect();
    let facts: Vec<Facts<'_>> = hosts
        .iter()
        .map(|h| Facts {
            host: Some(&h.name),
            interfaces: h.interfaces.as_deref(),
            repo: has_repo.then_some(&repo as &dyn Repo),
        })
        .collect();
    let mut linted = Vec::new();
    for (h, f) in hosts.iter().zip(&facts) {
        out.hosts += 1;
        unmet(&format!("[{}]", h.name), f, sel, verbose);
        let entry = kac_compiler::site::host_entry(m, &dir, h);
        let opts = kac_compiler::site::host_options(m, &dir, h);
        let note = h.interface_names().map(|names| {
            format!(
                "the interfaces of host `{}` are those `{}` lists: {}",
                h.name,
                manifest_path.display(),
                names.join(", ")
            )
        });
        let run = HostRun {
            entry: &entry,
            opts,
            name: Some(h.name.clone()),
            facts: *f,
            missing_interface_note: note,
        };
        // Without a guess, `lint_host` always lints.
        if let Ok(l) = lint_host(run, sel, &mut out.sources, rep, IdGuess::Known) {
            linted.push(l);
        }
    }
    finish(linted, &facts, sel, out, rep);
}
