//! Finding what to lint: sites (a directory with a manifest `kac.kdl`/`kac.yaml`, see
//! DESIGN.md "Site" and docs/site.md), files, or the root configs of a directory.
//!
//! A path inside a site stands for the whole site (its manifest names the hosts). Outside any
//! site, the root configs count: `*.conf` files that no other file includes, hidden files
//! skipped; a subdirectory that holds a manifest is a site of its own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kac_compiler::site as ksite;
use kac_schema::Diagnostic;

/// One configuration to lint without a manifest (each config id its `@id` lines use is a
/// host; they are found while it is parsed).
pub struct Config {
    /// Entry file.
    pub entry: PathBuf,
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
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let dir = f.parent().unwrap_or(Path::new("."));
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() >= 2 && words[0].starts_with("include") {
                let resolved = kac_compiler::conf::include::resolve(
                    words[1].trim_matches('"'),
                    dir,
                    &Default::default(),
                );
                for m in resolved.files {
                    included.insert(std::fs::canonicalize(&m.path).unwrap_or(m.path));
                }
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
        } else if name.ends_with(".conf") {
            files.push(p);
        }
    }
}
