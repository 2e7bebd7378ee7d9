//! Baselines: the findings a repository accepts for now (`kac lint --write-baseline FILE`),
//! so that `kac lint --baseline FILE` fails only on new ones.
//!
//! A finding is identified by its fingerprint: rule (code), host, file (relative to the
//! baseline's directory) and the text of the line it points at, never the line number, so
//! unrelated edits that move lines keep the baseline valid. Identical fingerprints are
//! counted: a baseline with two findings of one kind on identical lines hides two.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use kac_schema::{Diagnostic, FileId, Span};
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
    /// The file of each file id, relative to `base` (one `canonicalize` per file).
    relative: HashMap<FileId, String>,
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
            relative: HashMap::new(),
        }
    }

    /// The file of `s` relative to the base (worked out once per file id).
    fn relative(&mut self, s: Span, texts: &Texts) -> &str {
        let base = &self.base;
        self.relative.entry(s.file).or_insert_with(|| {
            let path = texts.path(s);
            let abs = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
            let rel = abs
                .strip_prefix(base)
                .map_or(abs.clone(), Path::to_path_buf);
            rel.to_string_lossy().into_owned()
        })
    }

    fn key(&mut self, host: Option<&str>, d: &Diagnostic, texts: &mut Texts) -> Key {
        let (file, text) = match d.primary_span() {
            Some(s) => (self.relative(s, texts).to_string(), texts.line_text(s)),
            None => (String::new(), d.message.clone()),
        };
        (d.code.to_string(), host.map(str::to_string), file, text)
    }

    /// A short stable hash of a finding's fingerprint (SARIF `partialFingerprints`): the
    /// fingerprint's parts hashed where they are, nothing copied (SARIF output may carry
    /// 200,000 findings).
    pub fn hash(&mut self, host: Option<&str>, d: &Diagnostic, texts: &mut Texts) -> Hash {
        // FNV-1a, 64 bits: stable across runs and platforms; each part ends with a 0 byte.
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        h.part(d.code.as_bytes());
        h.part(host.unwrap_or("").as_bytes());
        match d.primary_span() {
            Some(s) => {
                h.part(self.relative(s, texts).as_bytes());
                texts.with_line_text(s, |line| h.part(line.as_bytes()));
            }
            None => {
                h.part(b"");
                h.part(d.message.as_bytes());
            }
        }
        Hash(h.0)
    }
}

/// FNV-1a over the parts of a fingerprint.
struct Fnv(u64);

impl Fnv {
    /// Hashes `bytes` and the 0 byte that ends a part.
    fn part(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(&[0]) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A finding's fingerprint hash, shown as 16 hex digits.
#[derive(Clone, Copy)]
pub struct Hash(u64);

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A baseline being written: the fingerprints of the findings seen, counted.
pub struct Writer {
    fp: Fingerprints,
    counts: BTreeMap<Key, usize>,
    total: usize,
}

impl Writer {
    /// A baseline to be written to `path`.
    pub fn new(path: &Path) -> Self {
        Writer {
            fp: Fingerprints::for_file(path),
            counts: BTreeMap::new(),
            total: 0,
        }
    }

    /// Accepts one more finding.
    pub fn add(&mut self, host: Option<&str>, d: &Diagnostic, texts: &mut Texts) {
        *self.counts.entry(self.fp.key(host, d, texts)).or_default() += 1;
        self.total += 1;
    }

    /// Writes the baseline to `path`; returns how many findings it accepts.
    pub fn write(self, path: &Path) -> Result<usize, String> {
        write(path, self.counts)?;
        Ok(self.total)
    }
}

/// Writes a baseline of the counted fingerprints to `path`.
fn write(path: &Path, counts: BTreeMap<Key, usize>) -> Result<(), String> {
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
        .map_err(|e| format!("cannot write baseline `{}`: {e}", path.display()))
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

    /// Whether the baseline accepts this finding (each accepted fingerprint is used up).
    pub fn accepts(&mut self, host: Option<&str>, d: &Diagnostic, texts: &mut Texts) -> bool {
        let key = self.fp.key(host, d, texts);
        match self.left.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}
