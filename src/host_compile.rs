//! Choosing and compiling one host's plan, as `kac compile`, `kac apply` and `kac daemon`
//! do: PATH is a keepalived.conf (`-i` selects its `@id` lines) or a place in a site (the
//! manifest names the host: `--host`, the one host with config id `-i`, or the only host).
//! Problems go to a [`Report`]: printed by the one-shot commands, collected by the daemon.

use std::path::Path;
use std::process::ExitCode;

use kac_compiler::{KeywordUse, Options};
use kac_schema::{Diagnostic, Severity, SourceMap};

/// Where the problems of choosing and compiling go.
pub(crate) trait Report {
    /// Diagnostics of the site manifest or of the configuration (errors and warnings).
    fn diagnostics(&mut self, diags: &[Diagnostic], sources: &SourceMap);
    /// A problem that ends the command: `code` is its exit code (2: usage, 1: errors).
    fn fail(&mut self, code: u8, message: String) -> ExitCode;
}

/// Prints problems on stderr (the one-shot commands).
pub(crate) struct Stderr;

impl Report for Stderr {
    fn diagnostics(&mut self, diags: &[Diagnostic], sources: &SourceMap) {
        let findings: Vec<(Option<String>, Diagnostic)> =
            diags.iter().cloned().map(|d| (None, d)).collect();
        crate::emit(&findings, sources, crate::DiagFormat::Text);
    }

    fn fail(&mut self, code: u8, message: String) -> ExitCode {
        eprintln!("error: {message}");
        ExitCode::from(code)
    }
}

/// A host's compiled plan, with what the runtime needs to know about how it was written.
pub(crate) struct HostPlan {
    /// The plan.
    pub plan: kac_schema::plan::Plan,
    /// Every keyword the configuration uses (what the runtime does not carry out is refused).
    pub keywords_used: Vec<KeywordUse>,
    /// The files read (to render diagnostics about them).
    pub sources: SourceMap,
}

/// What a command does with the compiled plan of the chosen host.
pub(crate) type PlanSink<'a> = &'a mut dyn FnMut(HostPlan) -> ExitCode;

/// Compiles the plan of one host, chosen from PATH, `-i` and `--host` as `kac compile`
/// documents, and hands it to `sink`.
pub(crate) fn compile_with(
    path: &Path,
    config_id: Option<String>,
    host: Option<String>,
    report: &mut dyn Report,
    sink: PlanSink<'_>,
) -> ExitCode {
    if let Err(e) = std::fs::metadata(path) {
        return report.fail(2, format!("cannot read `{}`: {e}", path.display()));
    }
    let manifest = match kac_compiler::site::find_manifest(path) {
        Ok(m) => m,
        Err(d) => {
            report.diagnostics(&[*d], &kac_schema::SourceMap::default());
            return ExitCode::from(1);
        }
    };
    if let Some(manifest) = manifest {
        return compile_in_site(path, &manifest, config_id, host, report, sink);
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return report.fail(2, format!("`{}` is not a file", path.display())),
        Err(e) => return report.fail(2, format!("cannot read `{}`: {e}", path.display())),
    }
    let ids = kac_compiler::config_ids(path, &Default::default());
    let config_id = match (config_id, ids.len()) {
        (Some(id), _) => Some(id),
        (None, 0) => None,
        (None, 1) => ids.first().cloned(),
        (None, _) => {
            return report.fail(
                2,
                format!(
                    "`{}` is shared by several hosts (config ids: {}); choose one with `-i ID`",
                    path.display(),
                    ids.join(", ")
                ),
            );
        }
    };
    let host = host.or_else(|| config_id.clone()).unwrap_or_else(|| {
        path.file_stem()
            .map_or_else(|| "host".into(), |s| s.to_string_lossy().into_owned())
    });
    let opts = Options {
        config_id: config_id.clone(),
        ..Options::default()
    };
    plan_of(path, &host, &opts, report, sink)
}

/// `kac compile` of a path inside a site: the host comes from the manifest (`--host`, or the
/// one host with config id `-i`, or the only host), with its config id, path map and
/// interfaces. A file inside the site that no host uses as its entry compiles like a file
/// outside any site (with `-i`), but with the site's path map.
fn compile_in_site(
    path: &Path,
    manifest_path: &Path,
    config_id: Option<String>,
    host: Option<String>,
    report: &mut dyn Report,
    sink: PlanSink<'_>,
) -> ExitCode {
    let mut sources = kac_schema::SourceMap::default();
    let (manifest, diags) = kac_compiler::site::load_manifest(manifest_path, &mut sources);
    let errors = diags.iter().any(|d| d.severity == Severity::Error);
    report.diagnostics(&diags, &sources);
    let (Some(m), false) = (manifest, errors) else {
        return report.fail(
            1,
            format!(
                "no plan: the site manifest `{}` has errors",
                manifest_path.display()
            ),
        );
    };
    let dir = kac_compiler::site::site_dir(manifest_path);
    let is_manifest = path.file_name().is_some_and(|n| {
        kac_schema::site::MANIFEST_FILE_NAMES
            .iter()
            .any(|m| n == std::ffi::OsStr::new(m))
    });
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    // The hosts PATH can mean: all of them for the site's directory (or the manifest), else
    // those whose entry config is PATH.
    let candidates: Vec<&kac_schema::site::Host> = if path.is_dir() || is_manifest {
        m.hosts.iter().collect()
    } else {
        m.hosts
            .iter()
            .filter(|h| same(&kac_compiler::site::host_entry(&m, &dir, h), path))
            .collect()
    };
    let names = |hosts: &[&kac_schema::site::Host]| {
        hosts
            .iter()
            .map(|h| format!("{} (-i {})", h.name, h.config_id()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let chosen: &kac_schema::site::Host = match (&host, &config_id) {
        (Some(h), _) => {
            let Some(found) = candidates.iter().find(|c| &c.name == h) else {
                let what = if candidates.len() == m.hosts.len() {
                    format!("the site `{}`", manifest_path.display())
                } else {
                    format!(
                        "the hosts of `{}` in `{}`",
                        path.display(),
                        manifest_path.display()
                    )
                };
                return report.fail(
                    2,
                    format!("no host `{h}` in {what}; hosts: {}", names(&candidates)),
                );
            };
            if let Some(id) = &config_id
                && id != found.config_id()
            {
                return report.fail(
                    2,
                    format!(
                        "host `{h}` has config id `{}` in `{}`, not `{id}`; drop `-i`",
                        found.config_id(),
                        manifest_path.display()
                    ),
                );
            }
            found
        }
        (None, Some(id)) => {
            let with_id: Vec<&kac_schema::site::Host> = candidates
                .iter()
                .copied()
                .filter(|c| c.config_id() == id)
                .collect();
            match with_id.as_slice() {
                [one] => one,
                [] if path.is_file() && !is_manifest => {
                    // Not a host's entry: compile the file itself, with the site's path map.
                    let opts = Options {
                        config_id: Some(id.clone()),
                        path_map: kac_compiler::site::path_map(&m, &dir),
                        ..Options::default()
                    };
                    return plan_of(path, id, &opts, report, sink);
                }
                [] => {
                    return report.fail(
                        2,
                        format!(
                            "no host with config id `{id}` in `{}`; hosts: {}",
                            manifest_path.display(),
                            names(&candidates)
                        ),
                    );
                }
                several => {
                    return report.fail(
                        2,
                        format!(
                            "several hosts have config id `{id}`: {}; choose one with `--host H`",
                            names(several)
                        ),
                    );
                }
            }
        }
        (None, None) => match candidates.as_slice() {
            [one] => one,
            [] => {
                return report.fail(2, format!(
                    "`{}` is no host's config in `{}`; choose a config id with `-i ID` or compile a host with `--host H` (hosts: {})",
                    path.display(),
                    manifest_path.display(),
                    names(&m.hosts.iter().collect::<Vec<_>>())
                ));
            }
            several => {
                return report.fail(
                    2,
                    format!(
                        "`{}` has several hosts: {}; choose one with `--host H` (or `-i ID`)",
                        path.display(),
                        names(several)
                    ),
                );
            }
        },
    };
    let entry = kac_compiler::site::host_entry(&m, &dir, chosen);
    let opts = kac_compiler::site::host_options(&m, &dir, chosen);
    plan_of(&entry, &chosen.name, &opts, report, sink)
}

/// Compiles `entry` for `host` and hands its plan to `sink` (diagnostics to `report`).
fn plan_of(
    entry: &Path,
    host: &str,
    opts: &Options,
    report: &mut dyn Report,
    sink: PlanSink<'_>,
) -> ExitCode {
    let compiled = kac_compiler::compile_conf(entry, &entry.to_string_lossy(), host, opts);
    let shown: Vec<Diagnostic> = compiled
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Advice)
        .cloned()
        .collect();
    report.diagnostics(&shown, &compiled.parsed.sources);
    match compiled.plan {
        Some(plan) => sink(HostPlan {
            plan,
            keywords_used: compiled.parsed.keywords_used,
            sources: compiled.parsed.sources,
        }),
        None => report.fail(1, "no plan: the configuration has errors".into()),
    }
}
