//! Inline suppressions: which findings a `# kac: allow(NAME, …)` comment silences, and which
//! suppressions silence nothing (reported by the rule `unused-suppression`).
//!
//! Semantics (docs/lint.md): a suppression silences the findings whose primary location is on
//! the lines it applies to ([`kac_schema::config::Suppression::applies_to`]) and whose code is
//! one of its names, or starts with a name followed by `::` (`kac::conf` silences every
//! keepalived.conf diagnostic there). A finding reported on several hosts that share the file
//! is silenced on each of them.

use std::collections::{HashMap, HashSet};

use kac_schema::config::{Config, Suppression};
use kac_schema::{Diagnostic, Edit, FileId, Fix, Span};

use crate::rules::unused_suppression as rule;
use crate::{HostConfig, Selection, code_matches, find, is_known_name};

/// A suppression's identity across hosts: its file (by path) and where its comment starts.
type Key = (String, u32);

/// Drops the suppressed findings of each host and adds `unused-suppression` findings for
/// suppressions that silenced nothing (when that rule is selected).
pub fn apply(
    hosts: &[HostConfig<'_>],
    findings: &mut [Vec<Diagnostic>],
    selection: &Selection,
    path_of: &dyn Fn(Span) -> String,
) {
    // Names used per suppression (by key), over every host.
    let mut used: HashSet<(Key, usize)> = HashSet::new();
    for (h, list) in hosts.iter().zip(findings.iter_mut()) {
        let by_line = index(h.config);
        if by_line.is_empty() {
            continue;
        }
        list.retain(|d| {
            let Some(p) = d.primary_span() else {
                return true;
            };
            let Some(sups) = by_line.get(&(p.file, p.line)) else {
                return true;
            };
            let mut silenced = false;
            for s in sups {
                for (n, name) in s.rules.iter().enumerate() {
                    if code_matches(&d.code, &name.value) {
                        used.insert((key(s, path_of), n));
                        silenced = true;
                    }
                }
            }
            !silenced
        });
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

/// The suppressions of a configuration by the lines they apply to.
fn index(config: &Config) -> HashMap<(FileId, u32), Vec<&Suppression>> {
    let mut by_line: HashMap<(FileId, u32), Vec<&Suppression>> = HashMap::new();
    for s in &config.suppressions {
        if let Some(first) = s.applies_to {
            let last = s.applies_through.unwrap_or(first).max(first);
            for line in first..=last {
                by_line.entry((s.comment.file, line)).or_default().push(s);
            }
        }
    }
    by_line
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
