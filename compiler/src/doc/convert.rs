//! Converting configuration files between formats (`kac convert`) and formatting them in
//! their canonical form (`kac fmt`).
//!
//! Conversion works on the configuration as written, for every host at once: host conditions,
//! definitions, sequences, includes and comments are kept ([`super::conf_read`]). A file is
//! converted on its own; its include lines are kept as they are (a KDL file may include
//! keepalived.conf files and the other way round), unless the included files are converted too
//! ([`convert_tree`]): then each is written at the same place relative to the entry file, with
//! the new extension, and include patterns that name an extension get the new one.

use std::path::{Component, Path, PathBuf};

use kac_schema::doc::{Doc, ItemKind};
use kac_schema::{Diagnostic, FileId, Severity, SourceFile, SourceMap};

use super::{Format, codes, print, read};
use crate::conf::include::{PathMap, resolve};

/// One converted file.
#[derive(Debug)]
pub struct Output {
    /// The file it was converted from.
    pub source: PathBuf,
    /// Where it goes, relative to the entry's output (for included files: the same relative
    /// path as the source's from the entry's directory; the entry itself: its file name).
    pub relative: PathBuf,
    /// The converted text.
    pub text: String,
}

/// The result of a conversion.
#[derive(Debug, Default)]
pub struct Conversion {
    /// The files read (with their text, for rendering diagnostics).
    pub sources: SourceMap,
    /// The converted files, the entry first.
    pub outputs: Vec<Output>,
    /// Problems: a file that cannot be read or parsed, or whose meaning the target format
    /// cannot carry.
    pub diagnostics: Vec<Diagnostic>,
}

impl Conversion {
    /// Whether the conversion failed (nothing should be written).
    pub fn failed(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Reads the file at `path` (its format by extension) into a document; the file is added to
/// `sources` with its text.
pub fn read_file(path: &Path, sources: &mut SourceMap) -> Result<(Doc, Vec<Diagnostic>), String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let text =
        String::from_utf8(text).map_err(|_| format!("`{}` is not UTF-8 text", path.display()))?;
    let file = sources.add(SourceFile {
        name: path.to_string_lossy().into_owned(),
        path: std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .to_string_lossy()
            .into_owned(),
        text: Some(text.clone()),
        included_from: None,
    });
    Ok(read(&text, Format::of(path), file))
}

/// Converts the file at `path` to `to`; include lines are kept as they are.
pub fn convert_file(path: &Path, to: Format) -> Result<Conversion, String> {
    let mut c = Conversion::default();
    let (doc, mut diags) = read_file(path, &mut c.sources)?;
    c.diagnostics.append(&mut diags);
    let (text, mut diags) = print(&doc, to);
    c.diagnostics.append(&mut diags);
    c.outputs.push(Output {
        source: path.to_path_buf(),
        relative: with_extension(Path::new(path.file_name().unwrap_or_default()), to),
        text,
    });
    Ok(c)
}

/// Converts the file at `path` and every file it includes (recursively) to `to`.
///
/// Included files are placed at their path relative to the entry's directory; a file outside
/// that directory is reported ([`codes::NOT_CARRIED`]) and its include kept as it is.
pub fn convert_tree(path: &Path, to: Format, map: &PathMap) -> Result<Conversion, String> {
    let mut c = Conversion::default();
    let root = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut todo = vec![(path.to_path_buf(), None::<kac_schema::Span>)];
    let mut seen: Vec<PathBuf> = Vec::new();
    while let Some((file, from)) = todo.pop() {
        let canon = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
        if seen.contains(&canon) {
            continue;
        }
        seen.push(canon);
        let (mut doc, mut diags) = match read_file(&file, &mut c.sources) {
            Ok(x) => x,
            Err(e) => {
                let mut d = Diagnostic::error(codes::NOT_CARRIED, e);
                if let Some(at) = from {
                    d = d.with_primary(at, "included here");
                }
                c.diagnostics.push(d);
                continue;
            }
        };
        c.diagnostics.append(&mut diags);
        let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut found = Vec::new();
        let mut dynamic = Vec::new();
        rewrite_includes(&mut doc.body, &mut |pattern, at| {
            if pattern.contains('$') {
                dynamic.push((pattern.to_string(), at));
                return None;
            }
            let res = resolve(
                pattern,
                if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    &dir
                },
                map,
            );
            let mut inside = !res.files.is_empty();
            for m in &res.files {
                if relative_to(&m.path, &root).is_none() {
                    inside = false;
                }
                found.push((m.path.clone(), at));
            }
            // The pattern names the converted files only when every file it matched is.
            inside.then(|| renamed(pattern, to))
        });
        for (pattern, at) in dynamic {
            c.diagnostics.push(
                Diagnostic::error(
                    codes::NOT_CARRIED,
                    format!("include pattern `{pattern}` depends on definitions"),
                )
                .with_primary(at, "its files depend on the host")
                .with_help("convert without `--recursive` (the include is kept), and the included files one by one"),
            );
        }
        for (f, at) in found.into_iter().rev() {
            match relative_to(&f, &root) {
                Some(_) => todo.push((f, Some(at))),
                None => c.diagnostics.push(
                    Diagnostic::error(
                        codes::NOT_CARRIED,
                        format!(
                            "included file `{}` is outside the directory of `{}`",
                            f.display(),
                            path.display()
                        ),
                    )
                    .with_primary(at, "included here")
                    .with_help("convert it on its own, or move it under the entry's directory"),
                ),
            }
        }
        let (text, mut diags) = print(&doc, to);
        c.diagnostics.append(&mut diags);
        let rel = relative_to(&file, &root)
            .unwrap_or_else(|| PathBuf::from(file.file_name().unwrap_or_default()));
        c.outputs.push(Output {
            source: file,
            relative: with_extension(&rel, to),
            text,
        });
    }
    Ok(c)
}

/// Calls `f` on every include pattern; a `Some` result replaces the pattern.
fn rewrite_includes(
    body: &mut kac_schema::doc::Body,
    f: &mut dyn FnMut(&str, kac_schema::Span) -> Option<String>,
) {
    for item in &mut body.items {
        match &mut item.kind {
            ItemKind::Include(i) => {
                if let Some(p) = f(&i.pattern.text, i.pattern.span) {
                    i.pattern.text = p;
                }
            }
            ItemKind::Stmt(s) => {
                if let Some(b) = &mut s.body {
                    rewrite_includes(b, f);
                }
            }
            ItemKind::When(w) => rewrite_includes(&mut w.body, f),
            ItemKind::Repeat(r) => rewrite_includes(&mut r.body, f),
            ItemKind::Def(d) => {
                if let kac_schema::doc::DefValue::Block(b) = &mut d.value {
                    rewrite_includes(b, f);
                }
            }
            ItemKind::Use(_) => {}
        }
    }
}

/// A converted file's name, or a pattern matching converted files: a `.conf`, `.kdl`, `.yaml`
/// or `.yml` ending is replaced by `to`'s extension, any other name gets it appended
/// (`conf.d/*.conf` → `conf.d/*.kdl`, `vrrp.inc` → `vrrp.inc.kdl`), so a converted pattern
/// matches the converted files of the files it matched.
pub fn renamed(name: &str, to: Format) -> String {
    for ext in [".conf", ".kdl", ".yaml", ".yml"] {
        if let Some(stem) = name.strip_suffix(ext) {
            return format!("{stem}.{}", to.extension());
        }
    }
    format!("{name}.{}", to.extension())
}

fn with_extension(p: &Path, to: Format) -> PathBuf {
    PathBuf::from(renamed(&p.to_string_lossy(), to))
}

/// `p` relative to `root` when it is inside it (lexically, after making both absolute).
fn relative_to(p: &Path, root: &Path) -> Option<PathBuf> {
    let abs = |x: &Path| {
        let a = std::path::absolute(if x.as_os_str().is_empty() {
            Path::new(".")
        } else {
            x
        })
        .unwrap_or_else(|_| x.to_path_buf());
        let mut out = PathBuf::new();
        for c in a.components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other.as_os_str()),
            }
        }
        out
    };
    abs(p).strip_prefix(abs(root)).ok().map(Path::to_path_buf)
}

/// The canonical form of the file at `path` in its own format, or why it cannot be given one.
pub fn format_file(path: &Path) -> Result<(String, String, Conversion), String> {
    let original = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let c = convert_file(path, Format::of(path))?;
    let text = c
        .outputs
        .first()
        .map(|o| o.text.clone())
        .unwrap_or_default();
    Ok((original, text, c))
}

/// Whether `text` (in `format`) is a kac configuration: it parses and its top level holds
/// only keepalived top-level keywords, conditions, definitions, sequences and includes. Used
/// to tell configuration files from other KDL and YAML files of a repository.
pub fn is_config(text: &str, format: Format) -> bool {
    let (doc, diags) = read(text, format, FileId(0));
    if diags
        .iter()
        .any(|d| d.code == codes::KDL_SYNTAX || d.code == codes::YAML_SYNTAX)
    {
        return false;
    }
    let Some(top) = kac_schema::doc::shape::shapes().top() else {
        return false;
    };
    !doc.body.items.is_empty()
        && doc.body.items.iter().all(|i| match &i.kind {
            ItemKind::Stmt(s) => kac_schema::doc::shape::shapes()
                .keyword(top, &s.keyword.text)
                .is_some(),
            _ => true,
        })
}

/// The include patterns a configuration file (any format) in the tree `fs` serves names, for
/// finding root configs.
pub fn include_patterns_in(fs: &dyn crate::conf::preproc::FileOpener, path: &Path) -> Vec<String> {
    let Ok(bytes) = fs.read(path) else {
        return Vec::new();
    };
    let format = Format::of(path);
    if format == Format::Conf {
        return crate::lines_starting_with(&bytes, b"include")
            .filter_map(|line| {
                let line = String::from_utf8_lossy(line);
                let words: Vec<&str> = line.split_whitespace().collect();
                (words.len() >= 2 && words[0].starts_with("include"))
                    .then(|| words[1].trim_matches('"').to_string())
            })
            .collect();
    }
    let text = String::from_utf8_lossy(&bytes);
    let (doc, _) = read(&text, format, FileId(0));
    doc.includes()
        .into_iter()
        .map(|i| i.pattern.text.clone())
        .collect()
}
