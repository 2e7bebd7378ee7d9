//! Finding what to lint: files, or the root configs of a directory (DESIGN.md "Site").
//!
//! Site manifests (`kac.kdl`/`kac.yaml`) are not read yet; without one, the root configs
//! count: `*.conf` files that no other file includes, hidden files skipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One configuration to lint.
pub struct Target {
    /// Entry file.
    pub entry: PathBuf,
    /// Name shown in messages.
    pub shown: String,
    /// Config ids its `@id` lines use (each is a host).
    pub config_ids: Vec<String>,
}

/// The targets under `path`.
pub fn targets(path: &Path) -> Result<Vec<Target>, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if meta.is_file() {
        return Ok(vec![target(path)]);
    }
    let mut files = Vec::new();
    walk(path, &mut files);
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
                for m in kac_compiler::conf::include::resolve(
                    words[1].trim_matches('"'),
                    dir,
                    &Default::default(),
                )
                .files
                {
                    included.insert(std::fs::canonicalize(&m.path).unwrap_or(m.path));
                }
            }
        }
    }
    Ok(files
        .iter()
        .filter(|f| !included.contains(&std::fs::canonicalize(f).unwrap_or_else(|_| (*f).clone())))
        .map(|f| target(f))
        .collect())
}

fn target(path: &Path) -> Target {
    Target {
        entry: path.to_path_buf(),
        shown: path.to_string_lossy().into_owned(),
        config_ids: kac_compiler::config_ids(path, &Default::default()),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if name.ends_with(".conf") {
            out.push(p);
        }
    }
}
