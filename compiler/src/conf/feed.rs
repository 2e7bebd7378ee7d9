//! Handing logical lines from the preprocessor thread to the parser thread.
//!
//! The preprocessor appends each line's text to one contiguous buffer per batch; the parser
//! copies each line out into a reused string. No per-line allocation crosses threads, and
//! both buffers are recycled through a return channel.

use std::sync::mpsc::{Receiver, SyncSender};

use kac_schema::config::SourceNote;
use kac_schema::{Diagnostic, Span};

use super::preproc::{LogicalLine, Preprocessor};
use super::words::{SplitProblem, Word, split_words};

/// Lines per batch between the preprocessor and the parser.
pub const BATCH: usize = 1024;

/// One line of a [`Batch`]: its bytes in the batch text, its words in the batch word list,
/// location, exactness, and where an unmatched quote starts.
struct Entry {
    start: u32,
    end: u32,
    words_start: u32,
    words_end: u32,
    loc: Span,
    exact: bool,
    unmatched_quote: Option<u32>,
}

/// Lines in one contiguous text buffer, already split into words (the split runs on the
/// preprocessor's thread too, which balances the two threads).
#[derive(Default)]
pub struct Batch {
    text: String,
    words: Vec<Word>,
    lines: Vec<Entry>,
}

/// The parser's supply of logical lines.
pub enum LineFeed {
    /// Batches from a preprocessor running on another thread ([`feed_lines`]).
    Piped {
        /// Batches of lines.
        rx: Receiver<Batch>,
        /// Used batches, sent back for reuse.
        back: SyncSender<Batch>,
        /// The batch being read and the next line in it.
        cur: Batch,
        /// Index of the next line of `cur`.
        next: usize,
        /// Reused line strings.
        spare: Vec<String>,
    },
    /// Lines from a list (tests).
    List(std::vec::IntoIter<LogicalLine>),
}

impl LineFeed {
    /// A feed reading batches from `rx` and returning them on `back`.
    pub fn piped(rx: Receiver<Batch>, back: SyncSender<Batch>) -> Self {
        LineFeed::Piped {
            rx,
            back,
            cur: Batch::default(),
            next: 0,
            spare: Vec::new(),
        }
    }

    /// The next logical line, its words put into `words`, and the start of an unmatched
    /// quote if the line has one.
    pub fn next_line(&mut self, words: &mut Vec<Word>) -> Option<(LogicalLine, Option<u32>)> {
        match self {
            LineFeed::Piped {
                rx,
                back,
                cur,
                next,
                spare,
            } => {
                while *next >= cur.lines.len() {
                    let fresh = rx.recv().ok()?;
                    let mut used = std::mem::replace(cur, fresh);
                    used.text.clear();
                    used.words.clear();
                    used.lines.clear();
                    let _ = back.try_send(used);
                    *next = 0;
                }
                let e = &cur.lines[*next];
                *next += 1;
                let mut text = spare.pop().unwrap_or_default();
                text.clear();
                text.push_str(&cur.text[e.start as usize..e.end as usize]);
                words.clear();
                words.extend_from_slice(&cur.words[e.words_start as usize..e.words_end as usize]);
                Some((
                    LogicalLine {
                        text,
                        loc: e.loc,
                        exact: e.exact,
                    },
                    e.unmatched_quote,
                ))
            }
            LineFeed::List(it) => {
                let l = it.next()?;
                let problem = split_words(&l.text, words);
                let at = problem.map(|SplitProblem::UnmatchedQuote { at }| at);
                Some((l, at))
            }
        }
    }

    /// Hands a used line string back for reuse.
    pub fn give_back(&mut self, text: String) {
        if let LineFeed::Piped { spare, .. } = self
            && spare.len() < 64
        {
            spare.push(text);
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
    /// `{` minus `}` at the end.
    pub block_depth: i64,
    /// Location of the last line.
    pub last_loc: Span,
}

/// Runs `pp` to the end, sending its lines in batches and reusing the batches sent back.
pub fn feed_lines(
    mut pp: Preprocessor<'_>,
    tx: SyncSender<Batch>,
    back: Receiver<Batch>,
) -> PreprocOutcome {
    let mut batch = Batch::default();
    let mut words = Vec::new();
    while let Some(l) = pp.next_line() {
        let start = batch.text.len() as u32;
        batch.text.push_str(&l.text);
        let problem = split_words(&l.text, &mut words);
        let words_start = batch.words.len() as u32;
        batch.words.extend_from_slice(&words);
        batch.lines.push(Entry {
            start,
            end: batch.text.len() as u32,
            words_start,
            words_end: batch.words.len() as u32,
            loc: l.loc,
            exact: l.exact,
            unmatched_quote: problem.map(|SplitProblem::UnmatchedQuote { at }| at),
        });
        pp.give_back(l.text);
        if batch.lines.len() >= BATCH {
            let next = back.try_recv().unwrap_or_default();
            if tx.send(std::mem::replace(&mut batch, next)).is_err() {
                break;
            }
        }
    }
    if !batch.lines.is_empty() {
        let _ = tx.send(batch);
    }
    drop(tx);
    pp.finish()
}
