//! Inline suppressions in keepalived.conf: a comment `# kac: allow(rule, …)` (or `! kac: …`).
//!
//! A comment whose text starts with `kac:` is a kac comment; the only form is
//! `kac: allow(NAME, …)`, optionally followed by a reason. The preprocessor records each one as
//! a [`kac_schema::config::Suppression`]; the lint driver applies them (docs/lint.md).

use kac_schema::Span;
use kac_schema::config::{Spanned, Suppression};

/// A kac comment found on a physical line, with offsets relative to the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Each name with its byte range (empty when the comment is not `allow(NAME, …)`).
    pub names: Vec<(String, usize, usize)>,
    /// Byte index of the `#`/`!`.
    pub at: usize,
    /// Byte index just after the last non-blank character before the comment (0 when the
    /// comment is alone on its line).
    pub statement_end: usize,
    /// Length of the line without its line break.
    pub len: usize,
    /// Length of the line break that follows the line (0 at the end of a file without one).
    pub line_break: usize,
}

/// The kac comment starting at byte `at` (a `#` or `!`) of `line`, if it is one.
pub fn find(line: &str, at: usize, line_break: usize) -> Option<Found> {
    let names = parse_body(line.get(at + 1..)?)?;
    Some(Found {
        names: names
            .into_iter()
            .map(|(n, s, e)| (n, at + 1 + s, at + 1 + e))
            .collect(),
        at,
        statement_end: line[..at].trim_end_matches([' ', '\t']).len(),
        len: line.trim_end_matches([' ', '\t']).len(),
        line_break,
    })
}

/// The names of a comment whose text after its marker (`#`, `!`, `//`) is `body`, each with
/// its byte range in `body`: `None` when it is not a kac comment (its text does not start
/// with `kac:`), no names when it is not `kac: allow(NAME, …)`. Shared by the three formats.
pub fn parse_body(body: &str) -> Option<Vec<(String, usize, usize)>> {
    let trimmed = body.trim_start_matches([' ', '\t', '#', '!']);
    let rest = trimmed.strip_prefix("kac:")?;
    let body_start = (body.len() - trimmed.len()) + "kac:".len();
    let lead = rest.len() - rest.trim_start().len();
    let Some(args) = rest.trim_start().strip_prefix("allow(") else {
        return Some(Vec::new());
    };
    let Some(close) = args.find(')') else {
        return Some(Vec::new());
    };
    let mut pos = body_start + lead + "allow(".len();
    let mut names = Vec::new();
    for part in args[..close].split(',') {
        let name = part.trim_matches([' ', '\t']);
        let start = pos + (part.len() - part.trim_start_matches([' ', '\t']).len());
        if name.is_empty() || name.contains([' ', '\t']) {
            return Some(Vec::new());
        }
        names.push((name.to_string(), start, start + name.len()));
        pos += part.len() + 1;
    }
    Some(names)
}

impl Found {
    /// The suppression for this comment on the physical line `span` (its text without the
    /// line break); `applies_to` is set by the caller.
    pub fn suppression(&self, span: Span) -> Suppression {
        let at = |start: usize, end: usize| {
            Span::new(
                span.file,
                span.line,
                span.offset + start as u32,
                (end - start) as u32,
            )
        };
        let removal = if self.statement_end == 0 {
            at(0, self.len + self.line_break)
        } else {
            at(self.statement_end, self.len)
        };
        Suppression {
            rules: self
                .names
                .iter()
                .map(|(n, s, e)| Spanned::new(n.clone(), at(*s, *e)))
                .collect(),
            comment: at(self.at, self.len.max(self.at)),
            applies_to: (self.statement_end > 0).then_some(span.line),
            applies_through: None,
            removal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_and_offsets() {
        let line = "    priority 100   # kac: allow(extra-words, long-line) reason";
        let at = line.find('#').expect("comment");
        let f = find(line, at, 1).expect("kac comment");
        let names: Vec<&str> = f.names.iter().map(|n| n.0.as_str()).collect();
        assert_eq!(names, ["extra-words", "long-line"]);
        let (_, s, e) = &f.names[1];
        assert_eq!(&line[*s..*e], "long-line");
        assert_eq!(
            &line[f.statement_end..],
            "   # kac: allow(extra-words, long-line) reason"
        );
    }

    #[test]
    fn own_line_and_malformed() {
        let f = find("# kac: allow(x)", 0, 1).expect("kac comment");
        assert_eq!(f.statement_end, 0);
        let s = f.suppression(Span::new(kac_schema::FileId(0), 3, 10, 15));
        assert_eq!(s.applies_to, None);
        assert_eq!((s.removal.offset, s.removal.len), (10, 16));
        assert!(find("# kac: alow(x)", 0, 1).expect("kac").names.is_empty());
        assert!(
            find("# kac: allow(a b)", 0, 1)
                .expect("kac")
                .names
                .is_empty()
        );
        assert!(find("# kac: allow(x", 0, 1).expect("kac").names.is_empty());
        assert_eq!(find("# just a comment", 0, 1), None);
        assert!(find("!kac: allow(y)", 0, 0).is_some());
    }
}
