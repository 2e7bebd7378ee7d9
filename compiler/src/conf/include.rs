//! `include` patterns: brace expansion and glob, resolved like glob(3) with GLOB_BRACE.

use std::path::{Path, PathBuf};

use super::preproc::{EntryKind, FileOpener, RealFs};

/// At most this many alternatives come out of one include pattern's braces.
pub const MAX_ALTERNATIVES: usize = 4096;

/// Expands `{a,b}` alternatives (nested allowed), left to right, like GLOB_BRACE; `None`
/// when that gives more than [`MAX_ALTERNATIVES`].
pub fn expand_braces_limited(pattern: &str) -> Option<Vec<String>> {
    let out = expand_braces_upto(pattern, MAX_ALTERNATIVES + 1);
    (out.len() <= MAX_ALTERNATIVES).then_some(out)
}

/// Expands `{a,b}` alternatives (nested allowed), left to right, like GLOB_BRACE.
pub fn expand_braces(pattern: &str) -> Vec<String> {
    expand_braces_upto(pattern, usize::MAX)
}

/// [`expand_braces`], stopping once `max` alternatives exist.
fn expand_braces_upto(pattern: &str, max: usize) -> Vec<String> {
    let b = pattern.as_bytes();
    let Some(open) = b.iter().position(|&c| c == b'{') else {
        return vec![pattern.to_string()];
    };
    // Find the matching close brace and the top-level commas.
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut close = None;
    for (i, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            b',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![pattern.to_string()];
    };
    let prefix = &pattern[..open];
    let suffix = &pattern[close + 1..];
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let alt = &pattern[w[0] + 1..w[1]];
        for rest in expand_braces_upto(&format!("{prefix}{alt}{suffix}"), max - out.len().min(max))
        {
            out.push(rest);
            if out.len() >= max {
                return out;
            }
        }
    }
    out
}

/// Whether a pattern has glob wildcards.
pub fn has_wildcards(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// One file an include pattern matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The path as globbed (used in messages, like keepalived).
    pub shown: String,
    /// The path to open.
    pub path: PathBuf,
}

/// Result of resolving one include pattern.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Regular, non-executable files, in glob order.
    pub files: Vec<Match>,
    /// Alternatives (after brace expansion) that matched nothing.
    pub unmatched: Vec<String>,
    /// Matches that are not regular non-executable files (skipped by keepalived).
    pub skipped: Vec<String>,
    /// The braces expand to more than [`MAX_ALTERNATIVES`] patterns (nothing was resolved).
    pub too_many: bool,
}

/// Where absolute paths that configs expect on the host live in the repository
/// (`/etc/keepalived` → `site/lb`), from the site manifest. Longest prefix wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathMap {
    /// (path on the host, directory in the repository).
    pub entries: Vec<(PathBuf, PathBuf)>,
}

impl PathMap {
    /// The repository path for an absolute host path (unchanged when nothing maps it).
    pub fn map(&self, p: &Path) -> PathBuf {
        self.entries
            .iter()
            .filter(|(host, _)| p.starts_with(host))
            .max_by_key(|(host, _)| host.components().count())
            .map_or_else(
                || p.to_path_buf(),
                |(host, repo)| repo.join(p.strip_prefix(host).unwrap_or(p)),
            )
    }
}

/// Resolves `pattern` relative to `dir` (the directory of the including file); absolute
/// patterns go through `map`.
pub fn resolve(pattern: &str, dir: &Path, map: &PathMap) -> Resolved {
    resolve_in(&RealFs, pattern, dir, map)
}

/// The glob(3) options keepalived's includes use.
const GLOB_OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: true,
};

/// Matches of `pattern` on the real file system (the `glob` crate), sorted.
pub fn glob_real(pattern: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = glob::glob_with(pattern, GLOB_OPTIONS)
        .map(|paths| paths.flatten().collect())
        .unwrap_or_default();
    found.sort();
    found
}

/// Matches of `pattern` in the tree `fs` serves, found by listing directories one path
/// component at a time (for trees that are not the real file system), sorted.
pub fn glob_in<F: FileOpener + ?Sized>(fs: &F, pattern: &str) -> Vec<PathBuf> {
    let path = Path::new(pattern);
    let mut current: Vec<PathBuf> = vec![PathBuf::new()];
    let mut components = path.components().peekable();
    while let Some(c) = components.next() {
        let last = components.peek().is_none();
        let part = c.as_os_str().to_string_lossy();
        let mut next = Vec::new();
        if !has_wildcards(&part) {
            for base in &current {
                let p = base.join(c.as_os_str());
                if last || fs.entry(&p) == Some(EntryKind::Dir) {
                    next.push(p);
                }
            }
        } else {
            let Ok(pat) = glob::Pattern::new(&part) else {
                return Vec::new();
            };
            for base in &current {
                let dir = if base.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    base.as_path()
                };
                let Ok(names) = fs.list_dir(dir) else {
                    continue;
                };
                for name in names {
                    if !pat.matches_with(&name, GLOB_OPTIONS) {
                        continue;
                    }
                    let p = base.join(&name);
                    if last || fs.entry(&p) == Some(EntryKind::Dir) {
                        next.push(p);
                    }
                }
            }
        }
        current = next;
        if current.is_empty() {
            break;
        }
    }
    let mut found: Vec<PathBuf> = current
        .into_iter()
        .filter(|p| !p.as_os_str().is_empty() && fs.entry(p).is_some())
        .collect();
    found.sort();
    found
}

/// [`resolve`] in the tree `fs` serves.
pub fn resolve_in(
    fs: &(impl FileOpener + ?Sized),
    pattern: &str,
    dir: &Path,
    map: &PathMap,
) -> Resolved {
    let mut res = Resolved::default();
    let Some(alternatives) = expand_braces_limited(pattern) else {
        res.too_many = true;
        return res;
    };
    for alt in alternatives {
        let full: PathBuf = if Path::new(&alt).is_absolute() {
            map.map(Path::new(&alt))
        } else {
            dir.join(&alt)
        };
        let mut found = Vec::new();
        if has_wildcards(&alt) {
            // glob(3) has no `**`: it is just `*` there (the glob crate would recurse).
            let mut pat = full.to_string_lossy().into_owned();
            while pat.contains("**") {
                pat = pat.replace("**", "*");
            }
            found = fs.glob(&pat);
        } else if fs.entry(&full).is_some() {
            found.push(full.clone());
        }
        if found.is_empty() {
            res.unmatched.push(alt.clone());
        }
        for p in found {
            let shown = shown_name(&alt, &full, &p);
            let kind = fs.entry(&p);
            if matches!(kind, Some(EntryKind::File { executable: false })) {
                res.files.push(Match { shown, path: p });
            } else if kind != Some(EntryKind::Dir) {
                res.skipped.push(shown);
            }
        }
    }
    res
}

/// The name keepalived would print: the pattern's own spelling with the matched tail.
fn shown_name(alt: &str, full: &Path, matched: &Path) -> String {
    if Path::new(alt).is_absolute() {
        return alt_with_match(alt, full, matched);
    }
    // The including file's directory is `full` minus the pattern; show the match relative
    // to it, as keepalived (which chdir()s there) does.
    let dir_part = full.to_string_lossy();
    let dir_part = dir_part.strip_suffix(alt).unwrap_or("");
    let dir = Path::new(dir_part.trim_end_matches('/'));
    let rel = if dir.as_os_str().is_empty() || dir == Path::new(".") {
        matched.strip_prefix("./").unwrap_or(matched)
    } else {
        matched.strip_prefix(dir).unwrap_or(matched)
    };
    rel.to_string_lossy().into_owned()
}

/// An absolute pattern's host spelling with the matched file name (`/etc/keepalived/conf.d/a.conf`).
fn alt_with_match(alt: &str, full: &Path, matched: &Path) -> String {
    match (
        Path::new(alt).parent(),
        full.parent(),
        matched.strip_prefix(full.parent().unwrap_or(Path::new("/"))),
    ) {
        (Some(host_dir), Some(_), Ok(rest)) => host_dir.join(rest).to_string_lossy().into_owned(),
        _ => matched.to_string_lossy().into_owned(),
    }
}

/// A regular file that is not executable (keepalived refuses directories and executables).
pub fn is_includable(p: &Path) -> bool {
    matches!(RealFs.entry(p), Some(EntryKind::File { executable: false }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_map_uses_longest_prefix() {
        let m = PathMap {
            entries: vec![
                (PathBuf::from("/etc/keepalived"), PathBuf::from("/repo/lb")),
                (
                    PathBuf::from("/etc/keepalived/shared"),
                    PathBuf::from("/repo/shared"),
                ),
            ],
        };
        assert_eq!(
            m.map(Path::new("/etc/keepalived/a.conf")),
            PathBuf::from("/repo/lb/a.conf")
        );
        assert_eq!(
            m.map(Path::new("/etc/keepalived/shared/x.conf")),
            PathBuf::from("/repo/shared/x.conf")
        );
        assert_eq!(
            m.map(Path::new("/other/x.conf")),
            PathBuf::from("/other/x.conf")
        );
    }

    #[test]
    fn shown_names_are_relative_to_the_including_file() {
        let m = |alt: &str, dir: &str, matched: &str| {
            shown_name(alt, &Path::new(dir).join(alt), Path::new(matched))
        };
        assert_eq!(
            m("conf.d/*.conf", ".", "conf.d/10-vrrp.conf"),
            "conf.d/10-vrrp.conf"
        );
        assert_eq!(
            m("conf.d/*.conf", "/etc/k", "/etc/k/conf.d/a.conf"),
            "conf.d/a.conf"
        );
        assert_eq!(
            m("../x.inc", "/etc/k/sub", "/etc/k/sub/../x.inc"),
            "../x.inc"
        );
    }

    /// A tree served by listing (the default `FileOpener::glob`) matches what the `glob`
    /// crate finds on the real file system.
    #[test]
    fn listing_glob_agrees_with_the_glob_crate() {
        struct Listing;
        impl FileOpener for Listing {
            fn open(&self, path: &Path) -> std::io::Result<Box<dyn std::io::BufRead>> {
                RealFs.open(path)
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for f in [
            "a.conf",
            "b.conf",
            ".hidden.conf",
            "sub/c.conf",
            "sub/d.txt",
            "sub2/e.conf",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, "x").expect("write");
        }
        for pat in [
            "*.conf",
            "*/*.conf",
            "sub*/*",
            "?.conf",
            "[ab].conf",
            "sub/c.conf",
            "none/*",
            "*",
        ] {
            let full = root.join(pat).to_string_lossy().into_owned();
            assert_eq!(Listing.glob(&full), glob_real(&full), "{pat}");
        }
    }

    #[test]
    fn braces_expand_in_order() {
        assert_eq!(expand_braces("a{1,2}b"), vec!["a1b", "a2b"]);
        assert_eq!(
            expand_braces("{x,y{1,2}}.conf"),
            vec!["x.conf", "y1.conf", "y2.conf"]
        );
        assert_eq!(expand_braces("plain"), vec!["plain"]);
    }
}
