//! `kac lint --fix`: applies the fixes of findings to the files, changing only the bytes the
//! edits name (comments, spacing and everything else stay byte for byte).
//!
//! A fix is applied whole or not at all: not when one of its edits overlaps an edit already
//! chosen, and not when the file no longer holds the text an edit expects (its span came from
//! a `$DEFINITION`, or the file changed). The same fix found on several hosts that share a
//! file is applied once. A deletion that leaves its line blank removes the line.
//!
//! In KDL and YAML files a fix's word edits are written in the file's syntax
//! ([`kac_compiler::doc::fix::Rewriter`]); a fix that has no such form there is skipped with
//! the reason, and a file whose fixed text would not read back cleanly is not written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kac_compiler::doc::Format;
use kac_compiler::doc::fix::{Rewriter, read_problems};
use kac_schema::{Applicability, Diagnostic, Edit, SourceMap};

/// One edit resolved to bytes of a file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct FileEdit {
    start: usize,
    end: usize,
    replacement: String,
    /// The text expected at `start..end` (keepalived.conf edits).
    original: Option<String>,
    /// Applied exactly as it is (KDL and YAML edits are whole already).
    exact: bool,
}

/// A candidate fix: its edits per file, and where and what it is, to report.
struct Candidate {
    edits: Vec<(PathBuf, FileEdit)>,
    report: Report,
}

/// (file shown, line, rule, message or reason) of a fix, as reported.
type Report = (String, u32, String, String);

/// What `--fix` changed.
#[derive(Default)]
pub struct Applied {
    /// Per applied fix: file shown, line, rule, what it did.
    pub changes: Vec<Report>,
    /// Fixes not applied, with why.
    pub skipped: Vec<Report>,
    /// Files written.
    pub files: usize,
}

/// The texts of the files fixes touch, read once, and the rewriters of the KDL and YAML ones.
#[derive(Default)]
struct Files {
    texts: BTreeMap<PathBuf, String>,
    rewriters: BTreeMap<PathBuf, Rewriter>,
}

impl Files {
    fn text(&mut self, path: &Path) -> Result<&str, String> {
        if !self.texts.contains_key(path) {
            let t = std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read `{}`: {err}", path.display()))?;
            self.texts.insert(path.to_path_buf(), t);
        }
        Ok(&self.texts[path])
    }

    fn rewriter(&mut self, path: &Path, format: Format) -> Result<&Rewriter, String> {
        if !self.rewriters.contains_key(path) {
            let text = self.text(path)?.to_string();
            self.rewriters
                .insert(path.to_path_buf(), Rewriter::new(text, format));
        }
        Ok(&self.rewriters[path])
    }
}

/// Applies the fixes of `findings` (safe ones; unsafe ones too with `unsafe_fixes`).
pub fn apply(
    findings: &[(Option<String>, Diagnostic)],
    sources: &SourceMap,
    unsafe_fixes: bool,
) -> Result<Applied, String> {
    let mut out = Applied::default();
    let mut files = Files::default();
    let mut fixes: Vec<Candidate> = Vec::new();
    for (_, d) in findings {
        let Some(f) = &d.fix else { continue };
        if f.applicability == Applicability::Unsafe && !unsafe_fixes {
            continue;
        }
        let at = d.primary_span().unwrap_or_default();
        let shown = sources
            .get(at.file)
            .map_or_else(String::new, |f| f.name.clone());
        let report = (shown, at.line, d.code.to_string(), f.message.clone());
        match resolve(&f.edits, sources, &mut files)? {
            Ok(mut edits) => {
                edits.sort();
                if edits.is_empty() || fixes.iter().any(|c| c.edits == edits) {
                    continue;
                }
                fixes.push(Candidate { edits, report });
            }
            Err(why) => out.skipped.push((report.0, report.1, report.2, why)),
        }
    }
    let mut chosen: BTreeMap<PathBuf, Vec<FileEdit>> = BTreeMap::new();
    let mut applied: Vec<(Report, Vec<PathBuf>)> = Vec::new();
    'fix: for Candidate { edits, report } in fixes {
        let skip = |why: String| (report.0.clone(), report.1, report.2.clone(), why);
        let mut resolved = Vec::new();
        for (path, e) in &edits {
            let text = files.text(path)?;
            let Some(current) = text.get(e.start..e.end) else {
                out.skipped
                    .push(skip("the file changed since it was read".into()));
                continue 'fix;
            };
            if e.original.as_deref().is_some_and(|o| o != current) {
                out.skipped.push(skip(format!(
                    "`{current}` is not written as such here (a definition?)"
                )));
                continue 'fix;
            }
            resolved.push((path.clone(), whole_line(text, e.clone())));
        }
        for (path, e) in &resolved {
            let overlaps = chosen.get(path).is_some_and(|list| {
                list.iter()
                    .any(|c| (c.start < e.end && e.start < c.end) || (c.start == e.start && c != e))
            });
            if overlaps {
                out.skipped.push(skip(
                    "overlaps another fix (run `kac lint --fix` again)".into(),
                ));
                continue 'fix;
            }
        }
        let paths = resolved.iter().map(|(p, _)| p.clone()).collect();
        for (path, e) in resolved {
            chosen.entry(path).or_default().push(e);
        }
        applied.push((report, paths));
    }
    let mut unwritten: Vec<PathBuf> = Vec::new();
    for (path, mut edits) in chosen {
        let text = files.text(&path)?;
        let mut new = text.to_string();
        edits.sort_by(|a, b| b.start.cmp(&a.start).then(b.end.cmp(&a.end)));
        for e in edits {
            new.replace_range(e.start..e.end, &e.replacement);
        }
        if new == text {
            continue;
        }
        // A fixed KDL or YAML file must read back as well as it did.
        let format = Format::of(&path);
        if format != Format::Conf && read_problems(&new, format) > read_problems(text, format) {
            unwritten.push(path);
            continue;
        }
        std::fs::write(&path, new)
            .map_err(|err| format!("cannot write `{}`: {err}", path.display()))?;
        out.files += 1;
    }
    for (report, paths) in applied {
        if paths.iter().any(|p| unwritten.contains(p)) {
            out.skipped.push((
                report.0,
                report.1,
                report.2,
                "the fixed file would not read back: not written (please report this)".into(),
            ));
        } else {
            out.changes.push(report);
        }
    }
    Ok(out)
}

/// The edits of a fix as byte edits of their files, or why the fix cannot be applied.
fn resolve(
    edits: &[Edit],
    sources: &SourceMap,
    files: &mut Files,
) -> Result<Result<Vec<(PathBuf, FileEdit)>, String>, String> {
    let mut out = Vec::new();
    for e in edits {
        let Some(file) = sources.get(e.span.file) else {
            continue;
        };
        let path = PathBuf::from(&file.path);
        let format = Format::of(&path);
        if format == Format::Conf {
            out.push((
                path,
                FileEdit {
                    start: e.span.offset as usize,
                    end: (e.span.offset + e.span.len) as usize,
                    replacement: e.replacement.clone(),
                    original: e.original.clone(),
                    exact: false,
                },
            ));
            continue;
        }
        let rewritten = match files.rewriter(&path, format)?.edit(e) {
            Ok(r) => r,
            Err(why) => return Ok(Err(format!("in {}: {why}", format.name()))),
        };
        for t in rewritten {
            out.push((
                path.clone(),
                FileEdit {
                    start: t.start,
                    end: t.end,
                    replacement: t.replacement,
                    original: None,
                    exact: true,
                },
            ));
        }
    }
    Ok(Ok(out))
}

/// A deletion that would leave its line blank takes the line (and its line break) with it.
fn whole_line(text: &str, e: FileEdit) -> FileEdit {
    if e.exact || !e.replacement.is_empty() || e.start == e.end || text[..e.end].ends_with('\n') {
        return e;
    }
    let line_start = text[..e.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[e.end..].find('\n').map_or(text.len(), |i| e.end + i);
    let blank = |s: &str| s.bytes().all(|b| b == b' ' || b == b'\t' || b == b'\r');
    if blank(&text[line_start..e.start]) && blank(&text[e.end..line_end]) {
        FileEdit {
            start: line_start,
            end: (line_end + 1).min(text.len()),
            ..e
        }
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleting_a_statement_removes_its_line() {
        let edit = |start, end| FileEdit {
            start,
            end,
            replacement: String::new(),
            original: None,
            exact: false,
        };
        let text = "a {\n    x 1\n    y 2\n}\n";
        let w = whole_line(text, edit(8, 11));
        assert_eq!(&text[w.start..w.end], "    x 1\n");
        assert_eq!(whole_line(text, edit(4, 5)), edit(4, 5));
        // A deletion of a whole line already takes nothing more (not the blank line after).
        let text = "a\n# c\n\nb\n";
        assert_eq!(whole_line(text, edit(2, 6)), edit(2, 6));
    }
}
