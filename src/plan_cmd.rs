//! `kac plan`: compiles every host of the site(s) at two revisions and shows the semantic diff
//! with its hazards (docs/plan.md).
//!
//! The old side is a commit (`--from`, default `HEAD`); the new side is a commit (`--to`) or the
//! working tree with uncommitted files. Commits are read from git's object database
//! (git_source.rs); nothing is checked out. Sites are found as `kac lint` finds them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kac_compiler::conf::preproc::FileOpener;
use kac_compiler::doc::host_conf::host_conf;
use kac_compiler::review::conf_diff;
use kac_compiler::review::pairing::VsPairing;
use kac_compiler::review::{self, HostInput, HostSide, SiteInput};
use kac_compiler::site as ksite;
use kac_schema::plan_diff::{PlanDiagnostic, PlanDiff, Revision, Side, SideErrors, SiteDiff};
use kac_schema::{Diagnostic, Severity, SourceMap};

use crate::git_source::{GitTree, WorkTree};
use crate::plan_render;
use crate::site::{Target, dir_targets};

/// How to print the result.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human text, grouped per site and host.
    Text,
    /// The versioned JSON document (schema/plan-diff.schema.json).
    Json,
    /// Markdown for a pull request comment.
    Markdown,
}

/// The command line of `kac plan`.
pub struct Args {
    /// A directory in the repository: the sites at or under it are planned.
    pub repo: PathBuf,
    /// Old revision (`None`: `HEAD`).
    pub from: Option<String>,
    /// New revision (`None`: the working tree).
    pub to: Option<String>,
    /// Only this host.
    pub host: Option<String>,
    /// With `--live`: the host with this config id.
    pub config_id: Option<String>,
    /// Output format.
    pub format: Format,
    /// Exit 3 when something changes.
    pub detailed_exitcode: bool,
    /// Exit 1 when there is a hazard.
    pub deny_hazards: bool,
    /// Diff against the running host instead of `--from`.
    pub live: bool,
    /// With `--live`: the state directory (ownership journal).
    pub state_dir: Option<PathBuf>,
    /// Add each host's keepalived.conf diff.
    pub conf_diff: bool,
}

/// Exit code: something changes (`--detailed-exitcode`).
const EXIT_CHANGES: u8 = 3;

/// Runs `kac plan`.
pub fn run(args: &Args) -> ExitCode {
    if args.live {
        return crate::plan_live::run(args);
    }
    let sides = match open_sides(args) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    let (from_sites, to_sites) = std::thread::scope(|scope| {
        let from = scope.spawn(|| discover(sides.from.as_ref(), &sides.scope, &sides.root));
        let to = discover(sides.to.as_ref(), &sides.scope, &sides.root);
        let from = from.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (from, to)
    });
    let mut inputs = match pair_sites(&from_sites, &to_sites, args.host.as_deref()) {
        Ok(i) => i,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut shown_diags = Vec::new();
    for input in &mut inputs {
        compile_site(input, &from_sites, &to_sites, &sides, &mut shown_diags);
    }
    let sites = inputs
        .iter()
        .map(|i| {
            let mut d = review::review_site(i);
            if let Some(h) = &args.host {
                d.hosts.retain(|x| &x.host == h);
                d.hazards
                    .retain(|z| z.hosts.is_empty() || z.hosts.iter().any(|x| x == h));
            }
            if args.conf_diff {
                add_conf_diffs(&mut d, &from_sites, &to_sites, &sides);
            }
            d
        })
        .collect();
    let diff = review::finish(sides.from_rev.clone(), sides.to_rev.clone(), sites);
    print(&diff, args.format, &shown_diags);
    let code = exit_code(&diff, args);
    // The plans of large sites take a noticeable time to free, and the process ends here.
    std::mem::forget((inputs, from_sites, to_sites, sides, diff));
    code
}

/// `--conf-diff`: each shown host's canonical keepalived.conf on both sides (the two sides
/// read in parallel), diffed.
fn add_conf_diffs(
    site: &mut SiteDiff,
    from: &BTreeMap<String, FoundSite>,
    to: &BTreeMap<String, FoundSite>,
    sides: &Sides,
) {
    let names: Vec<String> = site.hosts.iter().map(|h| h.host.clone()).collect();
    let texts = |fs: &(dyn FileOpener + Sync), found: Option<&FoundSite>| -> Vec<String> {
        names
            .iter()
            .map(|name| {
                found
                    .and_then(|s| s.hosts.iter().find(|h| &h.name == name))
                    .map_or_else(String::new, |h| {
                        host_conf(
                            fs,
                            &h.entry,
                            h.opts.config_id.as_deref(),
                            &h.opts.path_map,
                            &|p| rel(p, &sides.root),
                        )
                        .text
                    })
            })
            .collect()
    };
    let (old, new) = std::thread::scope(|scope| {
        let old = scope.spawn(|| texts(sides.from.as_ref(), from.get(&site.site)));
        let new = texts(sides.to.as_ref(), to.get(&site.site));
        let old = old.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (old, new)
    });
    for ((h, old), new) in site.hosts.iter_mut().zip(old).zip(new) {
        h.conf_diff = Some(conf_diff::unified(
            &old,
            &new,
            &format!("{} @ {}", h.host, sides.from_rev.rev),
            &format!("{} @ {}", h.host, sides.to_rev.rev),
        ));
    }
}

pub(crate) fn exit_code(diff: &PlanDiff, args: &Args) -> ExitCode {
    if diff.summary.failed > 0 || (args.deny_hazards && diff.summary.hazards > 0) {
        ExitCode::from(1)
    } else if args.detailed_exitcode && diff.has_changes() {
        ExitCode::from(EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    }
}

pub(crate) fn print(diff: &PlanDiff, format: Format, shown_diags: &[String]) {
    match format {
        Format::Text => {
            // Diagnostics of sides that do not compile go to stderr, like every command's.
            for d in shown_diags {
                eprintln!("{d}");
            }
            crate::out(&plan_render::text(diff, crate::color_on_stdout()));
        }
        Format::Json => match serde_json::to_string_pretty(diff) {
            Ok(s) => crate::out(&s),
            Err(e) => eprintln!("error: cannot serialize the plan diff: {e}"),
        },
        Format::Markdown => crate::out(&plan_render::markdown(diff)),
    }
}

/// The two sides, opened.
struct Sides {
    /// The repository's working directory (canonical): where both trees are presented.
    root: PathBuf,
    /// The directory whose sites are planned.
    scope: PathBuf,
    from: Box<dyn FileOpener + Sync>,
    to: Box<dyn FileOpener + Sync>,
    from_rev: Revision,
    to_rev: Revision,
}

fn open_sides(args: &Args) -> Result<Sides, String> {
    let place = locate(args, true)?;
    let from_rev = args.from.as_deref().unwrap_or("HEAD");
    let (from, from_rev) = open_rev(&place, from_rev)?;
    let (to, to_rev) = open_new_side(&place, args)?;
    Ok(Sides {
        root: place.root,
        scope: place.scope,
        from: Box::new(from),
        to,
        from_rev,
        to_rev,
    })
}

/// Where `kac plan` looks.
pub(crate) struct Place {
    /// The directory whose sites are planned (canonical).
    pub scope: PathBuf,
    /// The repository's working directory (canonical), where every tree is presented; the
    /// planned directory itself outside a repository.
    pub root: PathBuf,
    /// The git directory (`None` outside a repository).
    git_dir: Option<PathBuf>,
}

/// Finds the repository of `--repo`; outside one, only when `need_git` is false (`--live`
/// on the working tree).
pub(crate) fn locate(args: &Args, need_git: bool) -> Result<Place, String> {
    let scope = std::fs::canonicalize(&args.repo)
        .map_err(|e| format!("cannot read `{}`: {e}", args.repo.display()))?;
    if !scope.is_dir() {
        return Err(format!("`{}` is not a directory", args.repo.display()));
    }
    let repo = match git2::Repository::discover(&scope) {
        Ok(r) => r,
        Err(_) if !need_git => {
            return Ok(Place {
                root: scope.clone(),
                scope,
                git_dir: None,
            });
        }
        Err(_) => {
            return Err(format!(
                "`{}` is not in a git repository (kac plan compares two revisions of one)",
                args.repo.display()
            ));
        }
    };
    let git_dir = repo.path().to_path_buf();
    let root = match repo.workdir() {
        Some(w) => std::fs::canonicalize(w).unwrap_or_else(|_| w.to_path_buf()),
        None => {
            if args.to.is_none() {
                return Err(format!(
                    "`{}` is a bare repository: it has no working tree, so name the new side with `--to REV`",
                    git_dir.display()
                ));
            }
            scope.clone()
        }
    };
    Ok(Place {
        scope,
        root,
        git_dir: Some(git_dir),
    })
}

/// Revision `rev` of the repository.
fn open_rev(place: &Place, rev: &str) -> Result<(GitTree, Revision), String> {
    let Some(git_dir) = &place.git_dir else {
        return Err(format!(
            "`{}` is not in a git repository: there is no revision `{rev}`",
            place.scope.display()
        ));
    };
    let t = GitTree::open(git_dir, rev, &place.root).map_err(|e| e.0)?;
    let r = Revision {
        rev: rev.to_string(),
        commit: Some(t.commit.clone()),
    };
    Ok((t, r))
}

/// The new side: `--to`, else the working tree.
pub(crate) fn open_new_side(
    place: &Place,
    args: &Args,
) -> Result<(Box<dyn FileOpener + Sync>, Revision), String> {
    Ok(match &args.to {
        Some(rev) => {
            let (t, r) = open_rev(place, rev)?;
            (Box::new(t), r)
        }
        None => (
            Box::new(WorkTree::new(&place.root)),
            Revision {
                rev: "working tree".into(),
                commit: None,
            },
        ),
    })
}

/// A host as one side's site names it.
pub(crate) struct FoundHost {
    /// Host name.
    pub name: String,
    /// Entry config.
    pub entry: PathBuf,
    /// Compile options (config id, path map).
    pub opts: kac_compiler::Options,
}

/// A site as one side has it.
pub(crate) struct FoundSite {
    /// Its hosts.
    pub hosts: Vec<FoundHost>,
    /// Problems reading the site (manifest errors), rendered.
    pub errors: Vec<PlanDiagnostic>,
    /// The same problems as `kac lint` prints them.
    pub rendered: Vec<String>,
}

/// The sites of one side at or under `scope`, by repository path.
pub(crate) fn discover(
    fs: &dyn FileOpener,
    scope: &Path,
    root: &Path,
) -> BTreeMap<String, FoundSite> {
    let mut out = BTreeMap::new();
    let targets = match ksite::find_manifest_within(fs, scope, root) {
        Ok(Some(m)) => vec![Target::Site(m)],
        Ok(None) if fs.entry(scope).is_some() => dir_targets(fs, scope),
        Ok(None) => Vec::new(),
        Err(d) => vec![Target::Problem(d)],
    };
    for t in targets {
        match t {
            Target::Site(manifest) => {
                let dir = ksite::site_dir(&manifest);
                out.insert(rel(&dir, root), load_site(fs, &manifest, root));
            }
            Target::Config(c) => {
                let config_ids = c.config_ids(fs);
                let ids: Vec<Option<String>> = if config_ids.is_empty() {
                    vec![None]
                } else {
                    config_ids.into_iter().map(Some).collect()
                };
                let stem = c
                    .entry
                    .file_stem()
                    .map_or_else(|| "host".into(), |s| s.to_string_lossy().into_owned());
                let hosts = ids
                    .into_iter()
                    .map(|id| FoundHost {
                        name: id.clone().unwrap_or_else(|| stem.clone()),
                        entry: c.entry.clone(),
                        opts: kac_compiler::Options {
                            config_id: id,
                            ..Default::default()
                        },
                    })
                    .collect();
                out.insert(
                    rel(&c.entry, root),
                    FoundSite {
                        hosts,
                        errors: Vec::new(),
                        rendered: Vec::new(),
                    },
                );
            }
            Target::Problem(d) => {
                let sources = SourceMap::default();
                let (errors, rendered) = plan_diagnostics(&[*d], &sources);
                out.insert(
                    rel(scope, root),
                    FoundSite {
                        hosts: Vec::new(),
                        errors,
                        rendered,
                    },
                );
            }
        }
    }
    out
}

/// Reads a site manifest on one side: its hosts, or its errors.
fn load_site(fs: &dyn FileOpener, manifest: &Path, root: &Path) -> FoundSite {
    let mut sources = SourceMap::default();
    let (m, diags) = ksite::load_manifest_in(fs, manifest, &mut sources);
    for f in &mut sources.files {
        f.name = rel(Path::new(&f.path), root);
    }
    let errors: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let dir = ksite::site_dir(manifest);
    match m {
        Some(m) if errors.is_empty() => FoundSite {
            hosts: m
                .hosts
                .iter()
                .map(|h| FoundHost {
                    name: h.name.clone(),
                    entry: ksite::host_entry(&m, &dir, h),
                    opts: ksite::host_options(&m, &dir, h),
                })
                .collect(),
            errors: Vec::new(),
            rendered: Vec::new(),
        },
        _ => {
            let (errors, rendered) = plan_diagnostics(&errors, &sources);
            FoundSite {
                hosts: Vec::new(),
                errors: if errors.is_empty() {
                    vec![PlanDiagnostic {
                        severity: "error".into(),
                        code: ksite::codes::UNREADABLE.into(),
                        message: "the site manifest cannot be read".into(),
                        file: Some(rel(manifest, root)),
                        line: None,
                        column: None,
                        help: None,
                        rendered: String::new(),
                    }]
                } else {
                    errors
                },
                rendered,
            }
        }
    }
}

/// `path` relative to `root` (`.` for `root` itself).
pub(crate) fn rel(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(p) if p.as_os_str().is_empty() => ".".into(),
        Ok(p) => p.to_string_lossy().into_owned(),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

/// The sites of both sides, each with the union of its hosts (sorted by name), not yet
/// compiled. With `host`, only the sites that have it; an unknown host is a usage error.
fn pair_sites(
    from: &BTreeMap<String, FoundSite>,
    to: &BTreeMap<String, FoundSite>,
    host: Option<&str>,
) -> Result<Vec<SiteInput>, String> {
    let keys: BTreeSet<&String> = from.keys().chain(to.keys()).collect();
    let mut out = Vec::new();
    let mut all_hosts = BTreeSet::new();
    for key in keys {
        let (f, t) = (from.get(key), to.get(key));
        let mut names: BTreeSet<String> = BTreeSet::new();
        for s in [f, t].into_iter().flatten() {
            names.extend(s.hosts.iter().map(|h| h.name.clone()));
        }
        all_hosts.extend(names.iter().cloned());
        if host.is_some_and(|h| !names.contains(h)) {
            continue;
        }
        let mut errors = Vec::new();
        for (side, s) in [(Side::From, f), (Side::To, t)] {
            if let Some(s) = s
                && !s.errors.is_empty()
            {
                errors.push(SideErrors {
                    side,
                    diagnostics: s.errors.clone(),
                });
            }
        }
        let side_of = |s: Option<&FoundSite>, name: &str| match s {
            Some(s) if !s.errors.is_empty() => HostSide::Failed(Vec::new()),
            Some(s) if s.hosts.iter().any(|h| h.name == name) => {
                // Compiled later; a placeholder meanwhile.
                HostSide::Failed(Vec::new())
            }
            _ => HostSide::Absent,
        };
        let hosts = names
            .into_iter()
            .map(|name| HostInput {
                from: side_of(f, &name),
                to: side_of(t, &name),
                name,
            })
            .collect();
        out.push(SiteInput {
            site: key.clone(),
            hosts,
            errors,
        });
    }
    if let Some(h) = host
        && !all_hosts.contains(h)
    {
        let list: Vec<&String> = all_hosts.iter().collect();
        return Err(format!(
            "no host `{h}` on either side; hosts: {}",
            list.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(out)
}

/// Compiles every host of a site on both sides (the two sides in parallel).
fn compile_site(
    input: &mut SiteInput,
    from: &BTreeMap<String, FoundSite>,
    to: &BTreeMap<String, FoundSite>,
    sides: &Sides,
    shown: &mut Vec<String>,
) {
    for (side, s) in [
        (Side::From, from.get(&input.site)),
        (Side::To, to.get(&input.site)),
    ] {
        if let Some(s) = s {
            let which = side_name(side);
            shown.extend(
                s.rendered
                    .iter()
                    .map(|r| format!("[{} {which}] {r}", input.site)),
            );
        }
    }
    let root = &sides.root;
    // Hosts compiled on both sides: their virtual servers are paired as they compile, and
    // the unchanged ones dropped at once (review/pairing.rs).
    let pairings: BTreeMap<String, VsPairing> = input
        .hosts
        .iter()
        .filter(|h| !matches!(h.from, HostSide::Absent) && !matches!(h.to, HostSide::Absent))
        .map(|h| (h.name.clone(), VsPairing::default()))
        .collect();
    let (mut from_results, mut to_results) = std::thread::scope(|scope| {
        let f = scope.spawn(|| {
            compile_side(
                sides.from.as_ref(),
                from.get(&input.site),
                root,
                Side::From,
                &pairings,
            )
        });
        let t = compile_side(
            sides.to.as_ref(),
            to.get(&input.site),
            root,
            Side::To,
            &pairings,
        );
        let f = f.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (f, t)
    });
    for h in &mut input.hosts {
        for (side, results, slot) in [
            (Side::From, &mut from_results, &mut h.from),
            (Side::To, &mut to_results, &mut h.to),
        ] {
            if matches!(slot, HostSide::Absent) {
                continue;
            }
            if let Some((mut result, rendered)) = results.remove(&h.name) {
                if let (HostSide::Plan(plan), Some(pairing)) = (&mut result, pairings.get(&h.name))
                {
                    pairing.complete(side, plan);
                }
                *slot = result;
                let which = side_name(side);
                shown.extend(rendered.iter().map(|r| format!("[{} {which}] {r}", h.name)));
            }
        }
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::From => "--from",
        Side::To => "--to",
    }
}

/// Each host of one side's site compiled: its plan or its diagnostics (also rendered). The
/// virtual servers of a host in `pairings` go there instead of into its plan.
fn compile_side(
    fs: &(dyn FileOpener + Sync),
    site: Option<&FoundSite>,
    root: &Path,
    side: Side,
    pairings: &BTreeMap<String, VsPairing>,
) -> BTreeMap<String, (HostSide, Vec<String>)> {
    let mut out = BTreeMap::new();
    let Some(site) = site else {
        return out;
    };
    for h in &site.hosts {
        let result = match pairings.get(&h.name) {
            Some(pairing) => compile_host(fs, h, root, Some(&mut |vs| pairing.offer(side, vs))),
            None => compile_host(fs, h, root, None),
        };
        out.insert(h.name.clone(), result);
    }
    out
}

/// One host compiled: its plan, or its diagnostics (also rendered). With `sink`, its virtual
/// servers (other than group services) go there instead of into the plan.
pub(crate) fn compile_host(
    fs: &(dyn FileOpener + Sync),
    h: &FoundHost,
    root: &Path,
    sink: Option<&mut dyn FnMut(kac_schema::plan::PlanVirtualServer)>,
) -> (HostSide, Vec<String>) {
    let shown = rel(&h.entry, root);
    let opts = kac_compiler::Options {
        lower_virtual_servers_early: true,
        ..h.opts.clone()
    };
    let compiled = match sink {
        Some(sink) => {
            kac_compiler::compile_conf_with_sink(fs, &h.entry, &shown, &h.name, &opts, sink)
        }
        None => kac_compiler::compile_conf_with(fs, &h.entry, &shown, &h.name, &opts),
    };
    match compiled.plan {
        Some(plan) => (HostSide::Plan(Box::new(plan)), Vec::new()),
        None => {
            let mut sources = compiled.parsed.sources;
            // The side's files may exist only in git: keep their text for rendering.
            for f in &mut sources.files {
                if f.text.is_none() {
                    f.text = fs
                        .read(Path::new(&f.path))
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned());
                }
            }
            let diags: Vec<Diagnostic> = compiled
                .parsed
                .diagnostics
                .into_iter()
                .filter(|d| d.severity != Severity::Advice)
                .collect();
            let (list, rendered) = plan_diagnostics(&diags, &sources);
            (HostSide::Failed(list), rendered)
        }
    }
}

/// Diagnostics located and rendered for the plan document, and as `kac lint` prints them
/// (coloured when stderr is a terminal).
fn plan_diagnostics(
    diags: &[Diagnostic],
    sources: &SourceMap,
) -> (Vec<PlanDiagnostic>, Vec<String>) {
    let mut texts = crate::render::Texts::new(sources);
    let color = crate::color_on_stderr();
    let mut list = Vec::new();
    let mut shown = Vec::new();
    for d in diags {
        let loc = d.primary_span().map(|s| (texts.name(s), texts.line_col(s)));
        let rendered = crate::render::human(d, &mut texts, false);
        shown.push(if color {
            crate::render::human(d, &mut texts, true)
        } else {
            rendered.clone()
        });
        list.push(PlanDiagnostic {
            severity: d.severity.as_str().to_string(),
            code: d.code.to_string(),
            message: d.message.clone(),
            file: loc.as_ref().map(|(f, _)| f.to_string()),
            line: loc.as_ref().map(|(_, (l, _))| *l),
            column: loc.as_ref().map(|(_, (_, c))| *c),
            help: d.help.as_deref().map(String::from),
            rendered,
        });
    }
    (list, shown)
}
