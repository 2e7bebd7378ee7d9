//! Finding what to lint: sites (a directory with a manifest `kac.kdl`/`kac.yaml`, see
//! DESIGN.md "Site" and docs/site.md), files, or the root configs of a directory.
//!
//! A path inside a site stands for the whole site (its manifest names the hosts). Outside any
//! site, the root configs count: `*.conf` files and KDL/YAML configurations (docs/formats.md;
//! not manifests, not other YAML) that no other file includes, hidden files skipped; a
//! subdirectory that holds a manifest is a site of its own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kac_compiler::site as ksite;
use kac_schema::{Diagnostic, SourceMap};

/// One configuration to lint without a manifest.
pub struct Config {
    /// Entry file.
    pub entry: PathBuf,
    /// Name shown in messages.
    pub shown: String,
    /// Config ids its `@id` lines use (each is a host).
    pub config_ids: Vec<String>,
}

/// Something to lint.
pub enum Target {
    /// A site: the path of its manifest.
    Site(PathBuf),
    /// A config outside any site.
    Config(Config),
    /// A problem finding the site (two manifests in one directory).
    Problem(Box<Diagnostic>),
}

/// The targets for `path`.
pub fn targets(path: &Path) -> Result<Vec<Target>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    match ksite::find_manifest(path) {
        Ok(Some(m)) => return Ok(vec![Target::Site(m)]),
        Ok(None) => {}
        Err(d) => return Ok(vec![Target::Problem(d)]),
    }
    if meta.is_file() {
        return Ok(vec![Target::Config(config(path))]);
    }
    let mut files = Vec::new();
    let mut out = Vec::new();
    walk(path, &mut files, &mut out);
    files.sort();
    let mut included = BTreeSet::new();
    for f in &files {
        let dir = f.parent().unwrap_or(Path::new("."));
        for pattern in kac_compiler::doc::convert::include_patterns(f) {
            let resolved = kac_compiler::conf::include::resolve(&pattern, dir, &Default::default());
            for m in resolved.files {
                included.insert(std::fs::canonicalize(&m.path).unwrap_or(m.path));
            }
        }
    }
    out.extend(
        files
            .iter()
            .filter(|f| {
                !included.contains(&std::fs::canonicalize(f).unwrap_or_else(|_| (*f).clone()))
            })
            .map(|f| Target::Config(config(f))),
    );
    Ok(out)
}

fn config(path: &Path) -> Config {
    Config {
        entry: path.to_path_buf(),
        shown: path.to_string_lossy().into_owned(),
        config_ids: kac_compiler::config_ids(path, &Default::default()),
    }
}

/// Collects `*.conf` files under `dir`; subdirectories holding a manifest become sites.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, sites: &mut Vec<Target>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            match ksite::manifest_in(&p) {
                Ok(Some(m)) => sites.push(Target::Site(m)),
                Ok(None) => walk(&p, files, sites),
                Err(d) => sites.push(Target::Problem(d)),
            }
        } else if name.ends_with(".conf") || is_structured_config(&p, &name) {
            files.push(p);
        }
    }
}

/// Whether `p` is a KDL or YAML configuration (not a site manifest, not some other YAML file
/// of the repository).
fn is_structured_config(p: &Path, name: &str) -> bool {
    use kac_compiler::doc::Format;
    let format = Format::of(p);
    format != Format::Conf
        && !kac_schema::site::MANIFEST_FILE_NAMES.contains(&name)
        && std::fs::read_to_string(p)
            .is_ok_and(|t| kac_compiler::doc::convert::is_config(&t, format))
}

/// Findings of several compilations, with their source maps merged into one (so that one
/// JSON or SARIF document can carry them all).
#[derive(Default)]
pub struct Findings {
    /// The files the findings point into.
    pub sources: SourceMap,
    /// Each finding with the host it belongs to.
    pub list: Vec<(Option<String>, Diagnostic)>,
}

impl Findings {
    /// Adds findings whose spans point into `sources`.
    pub fn add(&mut self, sources: SourceMap, findings: Vec<(Option<String>, Diagnostic)>) {
        if findings.is_empty() {
            return;
        }
        let base = u32::try_from(self.sources.files.len()).unwrap_or(u32::MAX);
        for mut f in sources.files {
            if let Some(s) = &mut f.included_from {
                s.file.0 += base;
            }
            self.sources.files.push(f);
        }
        for (host, mut d) in findings {
            for l in &mut d.labels {
                l.span.file.0 += base;
            }
            if let Some(fix) = &mut d.fix {
                fix.span.file.0 += base;
            }
            self.list.push((host, d));
        }
    }
}
