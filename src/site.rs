//! Finding what to lint: sites (a directory with a manifest `kac.kdl`/`kac.yaml`, see
//! DESIGN.md "Site" and docs/site.md), files, or the root configs of a directory.
//!
//! A path inside a site stands for the whole site (its manifest names the hosts). Outside any
//! site, the root configs count: `*.conf` files and KDL/YAML configurations (docs/formats.md;
//! not manifests, not other YAML) that no other file includes, hidden files skipped; a
//! subdirectory that holds a manifest is a site of its own.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kac_compiler::conf::preproc::{EntryKind, FileOpener, RealFs};
use kac_compiler::site as ksite;
use kac_schema::Diagnostic;

/// One configuration to lint without a manifest.
pub struct Config {
    /// Entry file.
    pub entry: PathBuf,
    /// Name shown in messages.
    pub shown: String,
}

impl Config {
    /// Config ids its `@id` lines use (each is a host), as a text scan of the configuration
    /// and its includes in the tree `fs` serves finds them (piece by piece: a large file is
    /// never held whole).
    pub fn config_ids(&self, fs: &dyn FileOpener) -> Vec<String> {
        kac_compiler::config_ids_in(fs, &self.entry, &Default::default())
    }
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
    Ok(dir_targets(&RealFs, path))
}

/// The targets inside directory `dir` of the tree `fs` serves (that belongs to no site): the
/// sites of its subdirectories and its root configs.
pub fn dir_targets(fs: &dyn FileOpener, dir: &Path) -> Vec<Target> {
    let mut files = Vec::new();
    let mut out = Vec::new();
    walk(fs, dir, &mut files, &mut out);
    files.sort();
    let mut included = BTreeSet::new();
    for f in &files {
        let dir = f.parent().unwrap_or(Path::new("."));
        for pattern in kac_compiler::doc::convert::include_patterns_in(fs, f) {
            let resolved =
                kac_compiler::conf::include::resolve_in(fs, &pattern, dir, &Default::default());
            for m in resolved.files {
                included.insert(fs.canonicalize(&m.path));
            }
        }
    }
    out.extend(
        files
            .iter()
            .filter(|f| !included.contains(&fs.canonicalize(f)))
            .map(|f| Target::Config(config(f))),
    );
    out
}

fn config(path: &Path) -> Config {
    Config {
        entry: path.to_path_buf(),
        shown: path.to_string_lossy().into_owned(),
    }
}

/// Collects `*.conf` files and KDL/YAML configurations under `dir`; subdirectories holding a
/// manifest become sites.
fn walk(fs: &dyn FileOpener, dir: &Path, files: &mut Vec<PathBuf>, sites: &mut Vec<Target>) {
    let Ok(names) = fs.list_dir(dir) else {
        return;
    };
    for name in names {
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let p = dir.join(&name);
        match fs.entry(&p) {
            Some(EntryKind::Dir) => match ksite::manifest_in_tree(fs, &p) {
                Ok(Some(m)) => sites.push(Target::Site(m)),
                Ok(None) => walk(fs, &p, files, sites),
                Err(d) => sites.push(Target::Problem(d)),
            },
            Some(_) if name.ends_with(".conf") || is_structured_config(fs, &p, &name) => {
                files.push(p);
            }
            _ => {}
        }
    }
}

/// Whether `p` is a KDL or YAML configuration (not a site manifest, not some other YAML file
/// of the repository).
fn is_structured_config(fs: &dyn FileOpener, p: &Path, name: &str) -> bool {
    use kac_compiler::doc::Format;
    let format = Format::of(p);
    format != Format::Conf
        && !kac_schema::site::MANIFEST_FILE_NAMES.contains(&name)
        && fs.read(p).is_ok_and(|t| {
            kac_compiler::doc::convert::is_config(&String::from_utf8_lossy(&t), format)
        })
}
