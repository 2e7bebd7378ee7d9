//! Handing logical lines from the preprocessor thread to the parser thread.
//!
//! The preprocessor appends each line's text to one contiguous buffer per batch, with its
//! words already split; on the parser's thread the batch is shared (`Rc`, no atomic counts)
//! by the parser's [`Line`]s, which are
//! views into it. Nothing is copied or allocated per line on the parser's side.
//!
//! [`Line`]: super::parser::Line

use std::rc::Rc;
use std::sync::mpsc::{Receiver, SyncSender};

use kac_schema::config::{SourceNote, Suppression};
use kac_schema::{Diagnostic, FileId, SourceFile, Span};

use super::parser::Line;
use super::preproc::Preprocessor;
use super::words::{SplitProblem, Word, split_words};

/// Lines per batch between the preprocessor and the parser.
pub const BATCH: usize = 2048;

/// One line of a [`Batch`].
#[derive(Debug, Clone)]
pub struct Entry {
    /// Byte range of the text in the batch text.
    pub start: u32,
    /// End of that range.
    pub end: u32,
    /// Range of the line's words in the batch words (positions in the batch text).
    pub words_start: u32,
    /// End of that range.
    pub words_end: u32,
    /// Where the line is.
    pub loc: Span,
    /// Whether the text maps byte for byte onto the file at `loc`.
    pub exact: bool,
    /// Where an unmatched `"` starts.
    pub unmatched_quote: Option<u32>,
}

/// Lines in one contiguous text buffer, already split into words.
#[derive(Debug, Default)]
pub struct Batch {
    /// All the lines' text (UTF-8 checked once per batch, see [`Batch::seal`]).
    pub text: Vec<u8>,
    /// The text as a string, once sealed.
    pub sealed: String,
    /// All the lines' words.
    pub words: Vec<Word>,
    /// The lines.
    pub lines: Vec<Entry>,
    /// Where each word was written, parallel to `words`, when the text was printed from
    /// another format (KDL, YAML: see `crate::doc`); empty for keepalived.conf text, whose
    /// word spans follow from the line's location.
    pub word_locs: Vec<Span>,
    /// Inline suppressions found since the last batch, each knowing the line it applies to
    /// (so the parser's side can silence findings as it makes them).
    pub suppressions: Vec<Suppression>,
    /// Files opened since the last batch, with their ids.
    pub files: Vec<(FileId, SourceFile)>,
}

impl Batch {
    /// Appends a line; `words` are its words (relative to `text`).
    pub fn push(
        &mut self,
        text: &[u8],
        words: &[Word],
        loc: Span,
        exact: bool,
        unmatched_quote: Option<u32>,
    ) {
        let start = self.text.len() as u32;
        self.text.extend_from_slice(text);
        let words_start = self.words.len() as u32;
        // Stored with positions in the batch text, so a word is one slice away.
        self.words.extend(words.iter().map(|w| Word {
            start: w.start + start,
            end: w.end + start,
            quoted: w.quoted,
        }));
        self.lines.push(Entry {
            start,
            end: self.text.len() as u32,
            words_start,
            words_end: self.words.len() as u32,
            loc,
            exact,
            unmatched_quote,
        });
    }

    /// Appends `raw[from..to]` as a line whose words are given by their positions in `raw`
    /// (the fast lane's words, without a pass to make them relative first).
    pub fn push_from(&mut self, raw: &[u8], from: u32, to: u32, words: &[Word], loc: Span) {
        let start = self.text.len() as u32;
        self.text
            .extend_from_slice(&raw[from as usize..to as usize]);
        let words_start = self.words.len() as u32;
        for w in words {
            self.words.push(Word {
                start: w.start - from + start,
                end: w.end - from + start,
                quoted: false,
            });
        }
        self.lines.push(Entry {
            start,
            end: start + (to - from),
            words_start,
            words_end: self.words.len() as u32,
            loc,
            exact: true,
            unmatched_quote: None,
        });
    }

    /// Appends a line made of one brace.
    pub fn push_brace(&mut self, brace: u8, loc: Span) {
        let start = self.text.len() as u32;
        self.text.push(brace);
        let words_start = self.words.len() as u32;
        self.words.push(Word {
            start,
            end: start + 1,
            quoted: false,
        });
        self.lines.push(Entry {
            start,
            end: start + 1,
            words_start,
            words_end: words_start + 1,
            loc,
            exact: true,
            unmatched_quote: None,
        });
    }

    /// Checks the text once (every piece pushed was UTF-8 already) and makes it a string.
    fn seal(mut self) -> Self {
        let bytes = std::mem::take(&mut self.text);
        self.sealed = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        self
    }

    fn with_capacity() -> Self {
        Batch {
            sealed: String::new(),
            text: Vec::with_capacity(BATCH * 24),
            words: Vec::with_capacity(BATCH * 3),
            lines: Vec::with_capacity(BATCH),
            word_locs: Vec::new(),
            suppressions: Vec::new(),
            files: Vec::new(),
        }
    }
}

/// The parser's supply of logical lines, batches from the preprocessor thread.
pub struct LineFeed {
    rx: Receiver<Batch>,
    cur: Option<Rc<Batch>>,
    next: u32,
    /// The inline suppressions of the lines received so far (and of a few lines ahead).
    pub suppressions: Vec<Suppression>,
    /// The files opened so far, with their ids.
    pub files: Vec<(FileId, SourceFile)>,
}

impl LineFeed {
    /// A feed reading batches from `rx`.
    pub fn new(rx: Receiver<Batch>) -> Self {
        LineFeed {
            rx,
            cur: None,
            next: 0,
            suppressions: Vec::new(),
            files: Vec::new(),
        }
    }

    /// The next logical line.
    pub fn next_line(&mut self) -> Option<Line> {
        loop {
            if let Some(cur) = &self.cur
                && (self.next as usize) < cur.lines.len()
            {
                let line = Line::new(Rc::clone(cur), self.next);
                self.next += 1;
                return Some(line);
            }
            let mut batch = self.rx.recv().ok()?;
            self.suppressions.append(&mut batch.suppressions);
            self.files.append(&mut batch.files);
            self.cur = Some(Rc::new(batch));
            self.next = 0;
        }
    }
}

/// What the preprocessor thread leaves behind.
pub struct PreprocOutcome {
    /// Files read.
    pub sources: kac_schema::SourceMap,
    /// Its diagnostics.
    pub diags: Vec<Diagnostic>,
    /// Its lexical observations.
    pub notes: Vec<SourceNote>,
    /// `# kac: allow(…)` comments.
    pub suppressions: Vec<kac_schema::config::Suppression>,
    /// Config ids of the `@id` lines read.
    pub config_ids: std::collections::BTreeSet<String>,
    /// `{` minus `}` at the end.
    pub block_depth: i64,
    /// Location of the last line.
    pub last_loc: Span,
}

/// Runs `pp` to the end, sending its lines in batches.
pub fn feed_lines(pp: Preprocessor<'_>, tx: SyncSender<Batch>) -> PreprocOutcome {
    feed_lines_with(pp, tx, &mut |_, _| {})
}

/// [`feed_lines`], with `hook` called on each batch before it is sent (with the files read so
/// far): the KDL and YAML front ends move locations from the printed text to their source.
pub fn feed_lines_with(
    mut pp: Preprocessor<'_>,
    tx: SyncSender<Batch>,
    hook: &mut dyn FnMut(&mut Batch, &kac_schema::SourceMap),
) -> PreprocOutcome {
    let mut batch = Batch::with_capacity();
    let mut words = Vec::new();
    let mut files_sent = pp.known_files();
    // What the parser's side learns with a batch: the files opened and suppressions found.
    let mut news = |batch: &mut Batch, pp: &mut Preprocessor<'_>| {
        batch.suppressions = pp.take_suppressions();
        let files = &pp.sources.files;
        batch.files = (files_sent..files.len())
            .map(|i| {
                let f = &files[i];
                let f = SourceFile {
                    name: f.name.clone(),
                    path: f.path.clone(),
                    text: None,
                    included_from: f.included_from,
                };
                (FileId(i as u32), f)
            })
            .collect();
        files_sent = files.len();
    };
    loop {
        if !pp.fast_line(&mut batch) {
            let Some(l) = pp.next_line() else { break };
            let problem = split_words(&l.text, &mut words);
            let at = problem.map(|SplitProblem::UnmatchedQuote { at }| at);
            batch.push(l.text.as_bytes(), &words, l.loc, l.exact, at);
            pp.give_back(l.text);
        }
        if batch.lines.len() >= BATCH {
            let mut full = std::mem::replace(&mut batch, Batch::with_capacity());
            news(&mut full, &mut pp);
            hook(&mut full, &pp.sources);
            if tx.send(full.seal()).is_err() {
                break;
            }
        }
    }
    if !batch.lines.is_empty() {
        news(&mut batch, &mut pp);
        hook(&mut batch, &pp.sources);
        let _ = tx.send(batch.seal());
    }
    drop(tx);
    pp.finish()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;
    use crate::conf::preproc::{InMemory, PreprocOptions};

    type Seen = (String, Span, bool, Vec<String>);

    /// Every line the feed produces (text, location, unmatched quote, words), the number of
    /// diagnostics and the final brace depth.
    fn lines(text: &str, fast: bool) -> (Vec<Seen>, usize, i64) {
        // A small buffer so lines straddle buffer ends too.
        let mem = InMemory {
            buffer: 64,
            ..InMemory::new("m.conf", text)
        };
        let opts = PreprocOptions {
            config_id: Some("lb1".into()),
            no_fast_lane: !fast,
            ..Default::default()
        };
        let pp = Preprocessor::new(&mem, Path::new("m.conf"), "m.conf", opts);
        let (tx, rx) = std::sync::mpsc::sync_channel(1 << 16);
        let out = feed_lines(pp, tx);
        let mut feed = LineFeed::new(rx);
        let mut v = Vec::new();
        while let Some(l) = feed.next_line() {
            let words = (0..l.len()).map(|i| l.w(i).to_string()).collect();
            v.push((
                l.text().to_string(),
                l.loc(),
                l.unmatched_quote().is_some(),
                words,
            ));
        }
        (v, out.diags.len(), out.block_depth)
    }

    fn line_strategy() -> impl Strategy<Value = String> {
        let words = prop::sample::select(vec![
            "vrrp_instance",
            "VI_1",
            "{",
            "}",
            "priority",
            "100",
            "real_server",
            "10.0.0.1",
            "80",
            "include",
            "#",
            "!",
            "\"q\"",
            "$X",
            "@lb1",
            "~SEQ(i,2)",
            "x\\",
            "é",
            "\t",
            "  ",
        ]);
        prop::collection::vec(words, 0..6).prop_map(|w| w.join(" "))
    }

    proptest! {
        #[test]
        fn fast_lane_gives_the_same_lines(lines_in in prop::collection::vec(line_strategy(), 0..30)) {
            let text = lines_in.join("\n") + "\n";
            prop_assert_eq!(lines(&text, true), lines(&text, false));
        }
    }

    #[test]
    fn fast_lane_handles_braces_and_blank_lines() {
        let text = "vrrp_instance VI_1 {\n\n   priority 100\t\n}\n}\nvirtual_server 10.0.0.1 80{\n";
        assert_eq!(lines(text, true), lines(text, false));
    }
}
