//! Splitting a logical line into words, the two ways keepalived does it.
//!
//! * [`split_words`]: ordinary keywords. A word starting with `"` runs to the next `"`
//!   (no escapes) and loses its quotes; a `"` inside a word ends the word.
//! * [`split_script_words`]: script keywords (`script`, `notify*`, `misc_path`, …). Both
//!   quote characters quote, and backslash escapes are decoded.

/// A word of a logical line: a byte range of the line's text (quotes excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    /// Start byte in the line text.
    pub start: u32,
    /// End byte (exclusive) in the line text.
    pub end: u32,
    /// The word was written in double quotes.
    pub quoted: bool,
}

/// keepalived's word separators.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Problems found while splitting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitProblem {
    /// A `"` with no closing `"`; the words before it were kept.
    UnmatchedQuote {
        /// Byte where the unmatched quote starts.
        at: u32,
    },
}

/// Splits `text` into words as keepalived's ordinary tokenizer does.
pub fn split_words(text: &str, out: &mut Vec<Word>) -> Option<SplitProblem> {
    out.clear();
    let b = text.as_bytes();
    let mut i = 0usize;
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        if b[i] == b'"' {
            let start = i + 1;
            match b[start..].iter().position(|&c| c == b'"') {
                Some(rel) => {
                    out.push(Word {
                        start: start as u32,
                        end: (start + rel) as u32,
                        quoted: true,
                    });
                    i = start + rel + 1;
                }
                None => return Some(SplitProblem::UnmatchedQuote { at: i as u32 }),
            }
        } else {
            let start = i;
            while i < b.len() && !is_space(b[i]) && b[i] != b'"' {
                i += 1;
            }
            out.push(Word {
                start: start as u32,
                end: i as u32,
                quoted: false,
            });
        }
    }
}

/// Error from [`split_script_words`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptSplitError {
    /// A quote that is never closed.
    MissingQuote(char),
    /// A backslash at the very end.
    TrailingBackslash,
}

/// Splits a script command line the way keepalived splits `script`/`notify` arguments:
/// `"…"` and `'…'` quote, backslash escapes (`\n`, `\t`, `\xHH`, `\cX`, octal, …) are decoded.
pub fn split_script_words(text: &str) -> Result<Vec<String>, ScriptSplitError> {
    let b = text.as_bytes();
    let mut words = Vec::new();
    let mut i = 0usize;
    let mut quote: u8 = 0;
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut cur: Vec<u8> = Vec::new();
        while i < b.len() {
            let c = b[i];
            if c == b'\\' {
                i += 1;
                if i >= b.len() {
                    return Err(ScriptSplitError::TrailingBackslash);
                }
                let e = b[i];
                if e == b'x' && i + 1 < b.len() && b[i + 1].is_ascii_hexdigit() {
                    i += 1;
                    let mut v: u8 = 0;
                    while i < b.len() && b[i].is_ascii_hexdigit() {
                        let d = (b[i] as char).to_digit(16).unwrap_or(0) as u8;
                        v = v.wrapping_shl(4) | d;
                        i += 1;
                    }
                    cur.push(v);
                } else if e == b'c' && i + 1 < b.len() {
                    cur.push(b[i + 1] & 0x1f);
                    i += 2;
                } else if (b'0'..=b'7').contains(&e) {
                    let mut v: u8 = e - b'0';
                    i += 1;
                    for _ in 0..2 {
                        if i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                            v = v.wrapping_shl(3).wrapping_add(b[i] - b'0');
                            i += 1;
                        }
                    }
                    cur.push(v);
                } else {
                    cur.push(match e {
                        b'a' => 0x07,
                        b'b' => 0x08,
                        b'E' => 0x1b,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'v' => 0x0b,
                        other => other,
                    });
                    i += 1;
                }
                continue;
            }
            if quote != 0 {
                if c == quote {
                    quote = 0;
                } else {
                    cur.push(c);
                }
                i += 1;
                continue;
            }
            if c == b'"' || c == b'\'' {
                quote = c;
                i += 1;
                continue;
            }
            if is_space(c) {
                break;
            }
            cur.push(c);
            i += 1;
        }
        if quote != 0 {
            return Err(ScriptSplitError::MissingQuote(quote as char));
        }
        words.push(String::from_utf8_lossy(&cur).into_owned());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        split_words(text, &mut v);
        v.iter()
            .map(|w| &text[w.start as usize..w.end as usize])
            .collect()
    }

    #[test]
    fn quotes_end_words() {
        assert_eq!(words(r#"unk_"mid"x"#), vec!["unk_", "mid", "x"]);
        assert_eq!(words(r#"router_id "a b""#), vec!["router_id", "a b"]);
        assert_eq!(words("a 'b c'"), vec!["a", "'b", "c'"]);
    }

    #[test]
    fn unmatched_quote_is_reported() {
        let mut v = Vec::new();
        assert!(split_words(r#"router_id "x"#, &mut v).is_some());
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn script_words_decode_quotes_and_escapes() {
        let w = split_script_words(r#"/bin/echo 'a b' "c\"d" e\tf \x41"#).expect("valid");
        assert_eq!(w, vec!["/bin/echo", "a b", "c\"d", "e\tf", "A"]);
        assert!(split_script_words("'open").is_err());
    }
}
