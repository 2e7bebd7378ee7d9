//! Baselines: the findings a repository accepts for now (`kac lint --write-baseline FILE`),
//! so that `kac lint --baseline FILE` fails only on new ones.
//!
//! A finding is identified by its fingerprint: rule (code), host, file (relative to the
//! baseline's directory) and the text of the line it points at, never the line number, so
//! unrelated edits that move lines keep the baseline valid. Identical fingerprints are
//! counted: a baseline with two findings of one kind on identical lines hides two.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kac_schema::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::render::Texts;

/// The baseline file format (`version` 1).
#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    /// Each accepted finding once, with how many times it occurs.
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    file: String,
    text: String,
    #[serde(default = "one")]
    count: usize,
}

fn one() -> usize {
    1
}

/// The identity of a finding without its count.
type Key = (String, Option<String>, String, String);

/// Fingerprints of findings, relative to `base` (the baseline file's directory).
pub struct Fingerprints {
    base: PathBuf,
}

impl Fingerprints {
    /// Fingerprints for a baseline at `file`.
    pub fn for_file(file: &Path) -> Self {
        let dir = file.parent().unwrap_or(Path::new(""));
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        Fingerprints {
            base: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
        }
    }

    fn key(&self, host: Option<&str>, d: &Diagnostic, texts: &mut Texts<'_>) -> Key {
        let (file, text) = match d.primary_span() {
            Some(s) => {
                let path = texts.path(s);
                let abs = std::fs::canonicalize(&path).unwrap_or_else(|_| PathBuf::from(&path));
                let rel = abs
                    .strip_prefix(&self.base)
                    .map_or(abs.clone(), Path::to_path_buf);
                (rel.to_string_lossy().into_owned(), texts.line_text(s))
            }
            None => (String::new(), d.message.clone()),
        };
        (d.code.clone(), host.map(str::to_string), file, text)
    }

    /// A short stable hash of a finding's fingerprint (SARIF `partialFingerprints`).
    pub fn hash(&self, host: Option<&str>, d: &Diagnostic, texts: &mut Texts<'_>) -> String {
        let (code, host, file, text) = self.key(host, d, texts);
        // FNV-1a, 64 bits: stable across runs and platforms.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in [code.as_str(), host.as_deref().unwrap_or(""), &file, &text] {
            for b in part.bytes().chain([0]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{h:016x}")
    }
}

/// Writes the baseline of `findings` to `path`.
pub fn write(
    path: &Path,
    findings: &[(Option<String>, Diagnostic)],
    texts: &mut Texts<'_>,
) -> Result<usize, String> {
    let fp = Fingerprints::for_file(path);
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for (host, d) in findings {
        *counts.entry(fp.key(host.as_deref(), d, texts)).or_default() += 1;
    }
    let file = File {
        version: 1,
        findings: counts
            .into_iter()
            .map(|((code, host, file, text), count)| Entry {
                code,
                host,
                file,
                text,
                count,
            })
            .collect(),
    };
    let json = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    std::fs::write(path, json + "\n")
        .map_err(|e| format!("cannot write baseline `{}`: {e}", path.display()))?;
    Ok(findings.len())
}

/// A baseline read from a file.
pub struct Baseline {
    fp: Fingerprints,
    left: BTreeMap<Key, usize>,
}

impl Baseline {
    /// Reads the baseline at `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read baseline `{}`: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            format!(
                "`{}` is not a kac baseline (write one with `kac lint --write-baseline`): {e}",
                path.display()
            )
        })?;
        if file.version != 1 {
            return Err(format!(
                "baseline `{}` has version {}; this kac reads version 1",
                path.display(),
                file.version
            ));
        }
        let mut left = BTreeMap::new();
        for e in file.findings {
            *left.entry((e.code, e.host, e.file, e.text)).or_default() += e.count;
        }
        Ok(Baseline {
            fp: Fingerprints::for_file(path),
            left,
        })
    }

    /// Drops the findings the baseline accepts; returns how many were dropped.
    pub fn filter(
        &mut self,
        findings: &mut Vec<(Option<String>, Diagnostic)>,
        texts: &mut Texts<'_>,
    ) -> usize {
        let before = findings.len();
        findings.retain(|(host, d)| {
            let key = self.fp.key(host.as_deref(), d, texts);
            match self.left.get_mut(&key) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        before - findings.len()
    }
}
