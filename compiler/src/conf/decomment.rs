//! keepalived's `decomment()`: comments, `\#`/`\!` escapes, surrounding blanks.

/// Result of [`decomment`].
#[derive(Debug, PartialEq, Eq)]
pub struct Decommented {
    /// The text without comment, escapes and surrounding blanks.
    pub text: String,
    /// Bytes of leading blanks removed.
    pub lead: usize,
    /// Whether `text` maps byte for byte onto the input at `lead` (no escape was removed).
    pub exact: bool,
    /// A `"` was left open.
    pub unterminated_quote: bool,
    /// The line ended with a continuation backslash (kept as the last byte of `text`).
    pub continued: bool,
    /// Byte index in the input of the `#`/`!` that starts a comment, if the line has one.
    pub comment_at: Option<usize>,
}

/// [`decomment`] into a reused buffer: `out` receives the text; the rest of the result is
/// returned with an empty `text`. The common line (no quote, comment, or backslash) is a copy.
pub fn decomment_into(line: &str, out: &mut String) -> Decommented {
    out.clear();
    let b = line.as_bytes();
    if memchr::memchr3(b'"', b'\\', b'#', b).is_none() && memchr::memchr(b'!', b).is_none() {
        let lead = b.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
        out.push_str(line[lead..].trim_end_matches([' ', '\t']));
        return Decommented {
            text: String::new(),
            lead,
            exact: true,
            unterminated_quote: false,
            continued: false,
            comment_at: None,
        };
    }
    let mut d = decomment(line);
    std::mem::swap(out, &mut d.text);
    d
}

/// Removes a comment (`#` or `!` outside double quotes), the backslash of `\#`/`\!`
/// outside quotes, and leading and trailing blanks; keeps a trailing `\` (continuation)
/// with the blanks before it removed.
pub fn decomment(line: &str) -> Decommented {
    let b = line.as_bytes();
    let lead = b.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    let mut out: Vec<u8> = Vec::with_capacity(b.len() - lead);
    let mut quote = false;
    let mut skip: Option<usize> = None;
    let mut comment_at = None;
    let mut cont = false;
    let mut exact = true;
    let mut i = lead;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                if skip.is_none() {
                    quote = !quote;
                }
                out.push(c);
                i += 1;
            }
            b'\\' => {
                if i + 1 < b.len() {
                    let n = b[i + 1];
                    if !quote && (n == b'#' || n == b'!') {
                        out.push(n);
                        exact = false;
                    } else {
                        out.push(c);
                        out.push(n);
                    }
                    i += 2;
                } else {
                    cont = true;
                    break;
                }
            }
            b'#' | b'!' => {
                if !quote && skip.is_none() {
                    skip = Some(out.len());
                    comment_at = Some(i);
                }
                out.push(c);
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    if let Some(s) = skip {
        out.truncate(s);
    }
    while matches!(out.last(), Some(b' ' | b'\t')) {
        out.pop();
    }
    if cont {
        out.push(b'\\');
    }
    Decommented {
        text: String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        lead,
        exact,
        unterminated_quote: quote,
        continued: cont,
        comment_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_comments_outside_quotes() {
        assert_eq!(decomment("  priority 100 # main").text, "priority 100");
        assert_eq!(decomment("a ! b").text, "a");
        assert_eq!(decomment(r#"x "a # b" # c"#).text, r#"x "a # b""#);
        assert_eq!(decomment(r#"x "a # b" # c"#).comment_at, Some(10));
        assert_eq!(decomment("x").comment_at, None);
    }

    #[test]
    fn escaped_comment_chars_are_literal() {
        let d = decomment(r"auth_pass ab\#cd");
        assert_eq!(d.text, "auth_pass ab#cd");
        assert!(!d.exact);
    }

    #[test]
    fn continuation_keeps_backslash_without_blanks() {
        let d = decomment("$A=one   \\");
        assert_eq!(d.text, "$A=one\\");
        assert!(d.continued);
    }

    #[test]
    fn fast_path_agrees_with_slow_path() {
        let mut out = String::new();
        for line in [
            "  priority 100  ",
            "a # b",
            r#"x "q" y"#,
            "\tinterface eth0\t",
            "x \\",
            "",
        ] {
            let d = decomment_into(line, &mut out);
            let slow = decomment(line);
            assert_eq!(out, slow.text, "{line:?}");
            assert_eq!(d.lead, slow.lead, "{line:?}");
        }
    }

    #[test]
    fn unterminated_quote_is_flagged() {
        assert!(decomment(r#"router_id "abc"#).unterminated_quote);
    }
}
