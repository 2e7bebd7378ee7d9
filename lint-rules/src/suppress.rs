//! Inline suppressions: which findings a `# kac: allow(NAME, …)` comment silences, and which
//! suppressions silence nothing (reported by the rule `unused-suppression`).
//!
//! Semantics (docs/lint.md): a suppression silences the findings whose primary location is on
//! the lines it applies to ([`kac_schema::config::Suppression::applies_to`]) and whose code is
//! one of its names, or starts with a name followed by `::` (`kac::conf` silences every
//! keepalived.conf diagnostic there). A finding reported on several hosts that share the file
//! is silenced on each of them.

use std::collections::{HashMap, HashSet};

use kac_schema::config::Suppression;
use kac_schema::{Diagnostic, Edit, FileId, Fix, Span};

use crate::rules::unused_suppression as rule;
use crate::{HostConfig, Selection, code_matches, find, is_known_name};

/// A suppression's identity across hosts: its file (by path) and where its comment starts.
type Key = (String, u32);

/// A name that silenced a finding: the file of its comment, where the comment starts, and the
/// name's index in it.
pub type Used = (FileId, u32, usize);

/// The suppressions known so far while a host's configuration is read, to silence findings
/// as they are made (see [`crate::HostLinter::virtual_server_final`]).
#[derive(Default)]
pub struct Live {
    /// How many suppressions of the host's list are indexed.
    indexed: usize,
    /// Each indexed suppression: its comment's file and offset, and its names.
    known: Vec<(FileId, u32, Vec<String>)>,
    /// The indexed suppressions by the lines they apply to.
    by_line: HashMap<(FileId, u32), Vec<usize>>,
    used: HashSet<Used>,
}

impl Live {
    /// Indexes the suppressions of `all` (the host's list so far) not indexed yet.
    pub fn update(&mut self, all: &[Suppression]) {
        for s in all.iter().skip(self.indexed) {
            let i = self.known.len();
            self.known.push((
                s.comment.file,
                s.comment.offset,
                s.rules.iter().map(|r| r.value.clone()).collect(),
            ));
            if let Some(first) = s.applies_to {
                let last = s.applies_through.unwrap_or(first).max(first);
                for line in first..=last {
                    self.by_line
                        .entry((s.comment.file, line))
                        .or_default()
                        .push(i);
                }
            }
        }
        self.indexed = self.indexed.max(all.len());
    }

    /// Whether a suppression silences `d` (the names that do are marked used).
    pub fn silences(&mut self, d: &Diagnostic) -> bool {
        if self.by_line.is_empty() {
            return false;
        }
        let Some(p) = d.primary_span() else {
            return false;
        };
        let Some(sups) = self.by_line.get(&(p.file, p.line)) else {
            return false;
        };
        let mut silenced = false;
        for &i in sups {
            let (file, offset, names) = &self.known[i];
            for (n, name) in names.iter().enumerate() {
                if code_matches(&d.code, name) {
                    self.used.insert((*file, *offset, n));
                    silenced = true;
                }
            }
        }
        silenced
    }

    /// The names that silenced something.
    pub fn used(&self) -> impl Iterator<Item = Used> + '_ {
        self.used.iter().copied()
    }
}

/// Drops the suppressed findings of each host and adds `unused-suppression` findings for
/// suppressions that silenced nothing (when that rule is selected); names a host already used
/// while its configuration was read ([`HostConfig::used`]) count as used.
pub fn apply(
    hosts: &[HostConfig<'_>],
    findings: &mut [Vec<Diagnostic>],
    selection: &Selection,
    path_of: &dyn Fn(Span) -> String,
) {
    // Names used per suppression (by key), over every host.
    let mut used: HashSet<(Key, usize)> = HashSet::new();
    let key_of = |(file, offset, n): Used| {
        let at = Span::new(file, 0, offset, 0);
        ((path_of(at), offset), n)
    };
    for (h, list) in hosts.iter().zip(findings.iter_mut()) {
        used.extend(h.used.iter().copied().map(key_of));
        if h.config.suppressions.is_empty() {
            continue;
        }
        let mut live = Live::default();
        live.update(&h.config.suppressions);
        list.retain(|d| !live.silences(d));
        used.extend(live.used().map(key_of));
    }
    if !selection.enabled(rule::NAME) {
        return;
    }
    let mut reported: HashSet<Key> = HashSet::new();
    for (i, h) in hosts.iter().enumerate() {
        for s in &h.config.suppressions {
            let k = key(s, path_of);
            if reported.contains(&k) {
                continue;
            }
            // Whether a name could have been used: its rule ran on some host.
            let checked = |name: &str| {
                selection.enabled(name)
                    && hosts
                        .iter()
                        .any(|h| find(name).is_none_or(|r| r.needs.unmet(&h.facts).is_none()))
            };
            let unused: Vec<usize> = (0..s.rules.len())
                .filter(|n| !used.contains(&(k.clone(), *n)))
                .collect();
            let mut out = Vec::new();
            if s.rules.is_empty() {
                out.push(rule::malformed(s));
            }
            for &n in &unused {
                let name = &s.rules[n];
                if !is_known_name(&name.value) {
                    out.push(rule::unknown_name(name));
                } else if checked(&name.value) {
                    out.push(rule::unused(s, name, remove(s, &unused)));
                }
            }
            if !out.is_empty() {
                reported.insert(k);
                if let Some(list) = findings.get_mut(i) {
                    list.extend(out);
                }
            }
        }
    }
}

fn key(s: &Suppression, path_of: &dyn Fn(Span) -> String) -> Key {
    (path_of(s.comment), s.comment.offset)
}

/// The fix removing the names `unused` from `s`: the whole comment when none is left.
fn remove(s: &Suppression, unused: &[usize]) -> Fix {
    let kept: Vec<&str> = s
        .rules
        .iter()
        .enumerate()
        .filter(|(n, _)| !unused.contains(n))
        .map(|(_, r)| r.value.as_str())
        .collect();
    match (kept.is_empty(), s.rules.first(), s.rules.last()) {
        (false, Some(first), Some(last)) => Fix::safe(
            format!("keep only `allow({})`", kept.join(", ")),
            vec![Edit::verbatim(first.span.to(last.span), kept.join(", "))],
        ),
        _ => Fix::safe(
            "remove the comment",
            vec![Edit::verbatim(s.removal, String::new())],
        ),
    }
}
