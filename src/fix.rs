//! `kac lint --fix`: applies the fixes of findings to the files, changing only the bytes the
//! edits name (comments, spacing and everything else stay byte for byte).
//!
//! A fix is applied whole or not at all: not when one of its edits overlaps an edit already
//! chosen, and not when the file no longer holds the text an edit expects (its span came from
//! a `$DEFINITION`, or the file changed). The same fix found on several hosts that share a
//! file is applied once. A deletion that leaves its line blank removes the line.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kac_schema::{Applicability, Diagnostic, SourceMap};

/// One edit resolved to a file path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct FileEdit {
    start: usize,
    end: usize,
    replacement: String,
    original: Option<String>,
}

/// A candidate fix: its edits per file, and (file shown, line, rule, message) to report.
type Candidate = (Vec<(PathBuf, FileEdit)>, String, u32, String, String);

/// What `--fix` changed.
#[derive(Default)]
pub struct Applied {
    /// Per applied fix: file shown, line, rule, what it did.
    pub changes: Vec<(String, u32, String, String)>,
    /// Fixes not applied, with why.
    pub skipped: Vec<(String, u32, String, String)>,
    /// Files written.
    pub files: usize,
}

/// Applies the fixes of `findings` (safe ones; unsafe ones too with `unsafe_fixes`).
pub fn apply(
    findings: &[(Option<String>, Diagnostic)],
    sources: &SourceMap,
    unsafe_fixes: bool,
) -> Result<Applied, String> {
    let mut out = Applied::default();
    // Candidate fixes, each as its edits per file, deduplicated.
    let mut fixes: Vec<Candidate> = Vec::new();
    for (_, d) in findings {
        let Some(f) = &d.fix else { continue };
        if f.applicability == Applicability::Unsafe && !unsafe_fixes {
            continue;
        }
        let mut edits = Vec::new();
        let at = d.primary_span().unwrap_or_default();
        let shown = sources
            .get(at.file)
            .map_or_else(String::new, |f| f.name.clone());
        // Fixes are written for keepalived.conf text, which is read from disk; KDL and YAML
        // sources (kept in memory, compiled through their keepalived.conf form) are not fixed.
        if f.edits
            .iter()
            .any(|e| sources.get(e.span.file).is_some_and(|s| s.text.is_some()))
        {
            out.skipped.push((
                shown,
                at.line,
                d.code.clone(),
                "fixes apply to keepalived.conf files only".into(),
            ));
            continue;
        }
        for e in &f.edits {
            let Some(file) = sources.get(e.span.file) else {
                continue;
            };
            edits.push((
                PathBuf::from(&file.path),
                FileEdit {
                    start: e.span.offset as usize,
                    end: (e.span.offset + e.span.len) as usize,
                    replacement: e.replacement.clone(),
                    original: e.original.clone(),
                },
            ));
        }
        edits.sort();
        if edits.is_empty() || fixes.iter().any(|(x, ..)| *x == edits) {
            continue;
        }
        let at = d.primary_span().unwrap_or_default();
        let shown = sources
            .get(at.file)
            .map_or_else(String::new, |f| f.name.clone());
        fixes.push((edits, shown, at.line, d.code.clone(), f.message.clone()));
    }
    let mut texts: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut chosen: BTreeMap<PathBuf, Vec<FileEdit>> = BTreeMap::new();
    'fix: for (edits, shown, line, code, message) in fixes {
        let mut resolved = Vec::new();
        for (path, e) in &edits {
            if !texts.contains_key(path) {
                let t = std::fs::read_to_string(path)
                    .map_err(|err| format!("cannot read `{}`: {err}", path.display()))?;
                texts.insert(path.clone(), t);
            }
            let text = &texts[path];
            let Some(current) = text.get(e.start..e.end) else {
                out.skipped.push((
                    shown,
                    line,
                    code,
                    "the file changed since it was read".into(),
                ));
                continue 'fix;
            };
            if e.original.as_deref().is_some_and(|o| o != current) {
                out.skipped.push((
                    shown,
                    line,
                    code,
                    format!("`{current}` is not written as such here (a definition?)"),
                ));
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
                out.skipped.push((
                    shown,
                    line,
                    code,
                    "overlaps another fix (run `kac lint --fix` again)".into(),
                ));
                continue 'fix;
            }
        }
        for (path, e) in resolved {
            chosen.entry(path).or_default().push(e);
        }
        out.changes.push((shown, line, code, message));
    }
    for (path, mut edits) in chosen {
        let Some(text) = texts.get(&path) else {
            continue;
        };
        let mut new = text.clone();
        edits.sort_by(|a, b| b.start.cmp(&a.start).then(b.end.cmp(&a.end)));
        for e in edits {
            new.replace_range(e.start..e.end, &e.replacement);
        }
        if new != *text {
            std::fs::write(&path, new)
                .map_err(|err| format!("cannot write `{}`: {err}", path.display()))?;
            out.files += 1;
        }
    }
    Ok(out)
}

/// A deletion that would leave its line blank takes the line (and its line break) with it.
fn whole_line(text: &str, e: FileEdit) -> FileEdit {
    if !e.replacement.is_empty() || e.start == e.end {
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
        let text = "a {\n    x 1\n    y 2\n}\n";
        let e = FileEdit {
            start: 8,
            end: 11,
            replacement: String::new(),
            original: None,
        };
        let w = whole_line(text, e);
        assert_eq!(&text[w.start..w.end], "    x 1\n");
        let e = FileEdit {
            start: 4,
            end: 5,
            replacement: String::new(),
            original: None,
        };
        assert_eq!(whole_line(text, e.clone()), e);
    }
}
