//! `--format json` (the contract's version 1), one diagnostic at a time, written field by
//! field in the contract's order: a configuration may have 200,000 findings, and escaping
//! every key and string through serde was most of the cost of writing them. A string with
//! nothing to escape (the usual case) is copied as it is; serde_json escapes the others, so
//! the output is byte for byte serde_json's compact form.

use kac_schema::{Diagnostic, Span};

use super::{Texts, applicability};

/// Appends one diagnostic as a JSON object to `w`.
pub fn diagnostic(
    w: &mut Vec<u8>,
    d: &Diagnostic,
    host: Option<&str>,
    texts: &mut Texts,
) -> std::io::Result<()> {
    w.extend_from_slice(b"{\"code\":");
    string(w, &d.code)?;
    w.extend_from_slice(b",\"severity\":");
    string(w, d.severity.as_str())?;
    w.extend_from_slice(b",\"message\":");
    string(w, &d.message)?;
    w.extend_from_slice(b",\"host\":");
    optional(w, host)?;
    w.extend_from_slice(b",\"location\":");
    match d.primary_span() {
        Some(s) => {
            w.push(b'{');
            location(w, texts, s)?;
            w.push(b'}');
        }
        None => w.extend_from_slice(b"null"),
    }
    w.extend_from_slice(b",\"labels\":[");
    for (i, l) in d.labels.iter().enumerate() {
        w.extend_from_slice(if i == 0 { b"{" } else { b",{" });
        location(w, texts, l.span)?;
        w.extend_from_slice(b",\"message\":");
        string(w, &l.message)?;
        w.extend_from_slice(if l.primary {
            b",\"primary\":true}"
        } else {
            b",\"primary\":false}"
        });
    }
    w.extend_from_slice(b"],\"help\":");
    optional(w, d.help.as_deref())?;
    w.extend_from_slice(b",\"notes\":[");
    for (i, n) in d.notes.iter().enumerate() {
        if i > 0 {
            w.push(b',');
        }
        string(w, n)?;
    }
    w.extend_from_slice(b"],\"fix\":");
    match &d.fix {
        Some(f) => {
            w.extend_from_slice(b"{\"message\":");
            string(w, &f.message)?;
            w.extend_from_slice(b",\"applicability\":");
            string(w, applicability(f.applicability))?;
            w.extend_from_slice(b",\"edits\":[");
            for (i, e) in f.edits.iter().enumerate() {
                w.extend_from_slice(if i == 0 { b"{" } else { b",{" });
                location(w, texts, e.span)?;
                w.extend_from_slice(b",\"replacement\":");
                string(w, &e.replacement)?;
                w.push(b'}');
            }
            w.extend_from_slice(b"]}");
        }
        None => w.extend_from_slice(b"null"),
    }
    w.push(b'}');
    Ok(())
}

/// The fields of a location: file, 1-based lines and columns, byte offset and length.
fn location(w: &mut Vec<u8>, texts: &mut Texts, s: Span) -> std::io::Result<()> {
    let p = texts.position(s);
    w.extend_from_slice(b"\"file\":");
    string(w, &p.file)?;
    for (key, n) in [
        (&b",\"line\":"[..], p.line),
        (b",\"column\":", p.column),
        (b",\"end_line\":", p.end_line),
        (b",\"end_column\":", p.end_column),
        (b",\"offset\":", s.offset),
        (b",\"length\":", s.len),
    ] {
        w.extend_from_slice(key);
        number(w, n);
    }
    Ok(())
}

/// A string, or `null`.
fn optional(w: &mut Vec<u8>, s: Option<&str>) -> std::io::Result<()> {
    match s {
        Some(s) => string(w, s),
        None => {
            w.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// A JSON string: copied when no byte of it needs escaping, else escaped by serde_json.
fn string(w: &mut Vec<u8>, s: &str) -> std::io::Result<()> {
    // Without a short circuit, so that the check runs over many bytes at once.
    let escape = s
        .bytes()
        .fold(false, |e, b| e | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if escape {
        return serde_json::to_writer(&mut *w, s).map_err(std::io::Error::other);
    }
    w.reserve(s.len() + 2);
    w.push(b'"');
    w.extend_from_slice(s.as_bytes());
    w.push(b'"');
    Ok(())
}

/// A number in decimal.
fn number(w: &mut Vec<u8>, n: u32) {
    w.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_numbers_are_serde_jsons() {
        for s in [
            "",
            "plain",
            "quote \" and \\ backslash",
            "tab\tline\nreturn\r\u{1}\u{1f}\u{7f}",
            "é ✓ 𝄞",
        ] {
            let mut ours = Vec::new();
            string(&mut ours, s).expect("string");
            assert_eq!(ours, serde_json::to_vec(s).expect("serde"), "{s:?}");
        }
        for n in [0, 7, 10, 1234, u32::MAX] {
            let mut ours = Vec::new();
            number(&mut ours, n);
            assert_eq!(ours, n.to_string().into_bytes());
        }
    }
}
