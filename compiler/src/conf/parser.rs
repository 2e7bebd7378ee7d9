//! keepalived's `process_stream()`: keyword tables per block, driven over logical lines.
//!
//! A block is a table of [`Kw`] entries. The driver looks each line's first word up in the
//! table of the current block and runs its action: a leaf handler, a block handler (which
//! parses its own sub-block with [`Parser::block`]), a value block (one entry per line), or a
//! generic validated setting. Unknown keywords get a "did you mean" help.

use std::borrow::Cow;

use kac_schema::config::{Config, Setting, SourceNote};
use kac_schema::{Diagnostic, Severity, Span};

use super::args::Arg;
use super::feed::{Batch, Entry};
use super::words::Word;
use crate::codes;

/// A logical line split into words: a view into a shared batch of lines (no copy).
#[derive(Clone)]
pub struct Line {
    data: std::rc::Rc<Batch>,
    entry: u32,
    /// First and end word index in the batch (a value block may drop a brace word).
    ws: u32,
    we: u32,
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("text", &self.text())
            .field("loc", &self.loc())
            .finish()
    }
}

impl Line {
    /// The line at `entry` of `data`.
    pub fn new(data: std::rc::Rc<Batch>, entry: u32) -> Self {
        let e = &data.lines[entry as usize];
        let (ws, we) = (e.words_start, e.words_end);
        Line {
            data,
            entry,
            ws,
            we,
        }
    }

    fn e(&self) -> &Entry {
        &self.data.lines[self.entry as usize]
    }

    /// The text of the line.
    pub fn text(&self) -> &str {
        let e = self.e();
        &self.data.sealed[e.start as usize..e.end as usize]
    }

    /// Where the line (or the line that produced it) is.
    pub fn loc(&self) -> Span {
        self.e().loc
    }

    /// Where an unmatched `"` starts, if the line has one.
    pub fn unmatched_quote(&self) -> Option<u32> {
        self.e().unmatched_quote
    }

    fn words(&self) -> &[Word] {
        &self.data.words[self.ws as usize..self.we as usize]
    }

    /// Drops the first word (a value block's leading `{`).
    pub fn drop_first_word(&mut self) {
        self.ws = (self.ws + 1).min(self.we);
    }

    /// Drops the last word (a value block's trailing `}`).
    pub fn drop_last_word(&mut self) {
        self.we = self.we.saturating_sub(1).max(self.ws);
    }

    /// The span of bytes `start..end` of the text (the whole line when not exact).
    pub fn span_of(&self, start: u32, end: u32) -> Span {
        let e = self.e();
        if !self.data.word_locs.is_empty() {
            // Printed from KDL or YAML: the words' own locations.
            let (s, t) = (e.start + start, e.start + end.max(start + 1));
            let range = e.words_start as usize..e.words_end as usize;
            return self.data.words[range.clone()]
                .iter()
                .zip(&self.data.word_locs[range])
                .filter(|(w, _)| w.start < t && w.end.max(w.start + 1) > s)
                .map(|(_, l)| *l)
                .reduce(Span::to)
                .unwrap_or(e.loc);
        }
        super::preproc::span_within(e.loc, e.exact, start, end)
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        (self.we - self.ws) as usize
    }

    /// Whether the line has no word.
    pub fn is_empty(&self) -> bool {
        self.we == self.ws
    }

    /// Word `i`, if present.
    pub fn word(&self, i: usize) -> Option<&str> {
        if i >= self.len() {
            return None;
        }
        let w = self.data.words[self.ws as usize + i];
        self.data.sealed.get(w.start as usize..w.end as usize)
    }

    /// A batch text position relative to the line.
    fn rel(&self, pos: u32) -> u32 {
        pos - self.e().start
    }

    /// Word `i`, or `""`.
    pub fn w(&self, i: usize) -> &str {
        self.word(i).unwrap_or("")
    }

    /// The keyword (first word).
    pub fn keyword(&self) -> &str {
        self.w(0)
    }

    /// Span of word `i` (the line's end when missing).
    pub fn span(&self, i: usize) -> Span {
        if !self.data.word_locs.is_empty() {
            let at = self.ws as usize + i;
            return match self.data.word_locs.get(at).filter(|_| i < self.len()) {
                Some(s) => *s,
                None => self.loc(),
            };
        }
        match self.words().get(i) {
            Some(w) => self.span_of(self.rel(w.start), self.rel(w.end)),
            None => {
                let end = self.text().len() as u32;
                self.span_of(end, end)
            }
        }
    }

    /// Span of words `from..` (to the end of the line).
    pub fn span_from(&self, from: usize) -> Span {
        if !self.data.word_locs.is_empty() {
            let range = self.ws as usize + from..self.we as usize;
            return self
                .data
                .word_locs
                .get(range)
                .and_then(|l| l.iter().copied().reduce(Span::to))
                .unwrap_or_else(|| self.loc());
        }
        let end = self.text().len() as u32;
        match self.words().get(from) {
            Some(w) => self.span_of(self.rel(w.start), end),
            None => self.span_of(end, end),
        }
    }

    /// Span of the whole line.
    pub fn line_span(&self) -> Span {
        if !self.data.word_locs.is_empty() {
            return self.loc();
        }
        self.span_of(0, self.text().len() as u32)
    }

    /// Words `from..` as owned strings.
    pub fn words_from(&self, from: usize) -> Vec<String> {
        (from..self.len()).map(|i| self.w(i).to_string()).collect()
    }

    /// The raw text after word `from` starts (for script keywords).
    pub fn raw_from(&self, from: usize) -> &str {
        match self.words().get(from) {
            Some(w) => {
                let start = if w.quoted { w.start - 1 } else { w.start };
                &self.data.sealed[start as usize..self.e().end as usize]
            }
            None => "",
        }
    }
}

/// What a keyword does.
pub enum Act<T: 'static> {
    /// A one-line keyword.
    Leaf(fn(&mut Parser<'_>, &mut T, &Line)),
    /// A keyword opening a block of keywords; the handler calls [`Parser::block`] or
    /// [`Parser::skip_block`].
    Block(fn(&mut Parser<'_>, &mut T, &Line)),
    /// A value block (`{ entry … }`, one entry per line); the handler gets each entry line.
    Values(fn(&mut Parser<'_>, &mut T, &Line)),
    /// A setting validated against argument specs and stored as a generic [`Setting`].
    Generic(&'static [Arg]),
    /// A deprecated keyword: handled like `then`, reported with the replacement.
    Deprecated(&'static str, &'static Act<T>),
    /// A deprecated keyword keepalived accepts without a message (renamed, see
    /// [`crate::deprecated`]): handled like `then`, reported as advice with its fix.
    Silent(&'static Act<T>),
    /// Not a keyword: the keywords of another table are valid here too.
    Include(&'static [Kw<T>]),
}

/// Looks `word` up in `table` and the tables it includes.
pub fn find_kw<T>(table: &'static [Kw<T>], word: &str) -> Option<&'static Kw<T>> {
    for k in table {
        match &k.act {
            Act::Include(inner) => {
                if let Some(found) = find_kw(inner, word) {
                    return Some(found);
                }
            }
            _ if k.name == word => return Some(k),
            _ => {}
        }
    }
    None
}

/// Every keyword name of `table` and the tables it includes.
pub fn kw_names<T>(table: &'static [Kw<T>], out: &mut Vec<&'static str>) {
    for k in table {
        match &k.act {
            Act::Include(inner) => kw_names(inner, out),
            _ => out.push(k.name),
        }
    }
}

/// One keyword of a block.
pub struct Kw<T: 'static> {
    /// The keyword.
    pub name: &'static str,
    /// Its action.
    pub act: Act<T>,
}

/// A block target that can hold generic settings.
pub trait Target {
    /// Where generic settings go (`None`: the block has no generic settings).
    fn other(&mut self) -> Option<&mut Vec<Setting>> {
        None
    }
}

pub use super::feed::LineFeed;

/// At most this many diagnostics are kept from one parse; the rest are counted.
pub const MAX_DIAGNOSTICS: usize = 10_000;

/// Names of blocks defined so far, for order-dependent references.
#[derive(Debug, Default)]
pub struct Names {
    /// `vrrp_script` names.
    pub scripts: std::collections::HashSet<String>,
    /// `track_file` names.
    pub track_files: std::collections::HashSet<String>,
    /// `vrrp_track_process` names.
    pub processes: std::collections::HashSet<String>,
    /// `bfd_instance` names visible to VRRP (`track_bfd`).
    pub bfds: std::collections::HashSet<String>,
    /// `bfd_instance` names visible to the checker (`BFD_CHECK`).
    pub checker_bfds: std::collections::HashSet<String>,
    /// `track_group` names.
    pub track_groups: std::collections::HashSet<String>,
}

/// The parser state around the preprocessor.
pub struct Parser<'a> {
    /// The logical lines, from the preprocessor.
    pub lines: LineFeed,
    _opener: std::marker::PhantomData<&'a ()>,
    /// Problems found by the parser and its handlers.
    pub diags: Vec<Diagnostic>,
    /// Lexical observations for lint rules.
    pub notes: Vec<SourceNote>,
    /// Interfaces of the machine, when `check` knows them.
    pub interfaces: Option<Vec<String>>,
    /// Keep virtual servers in the model (false: validate and drop them, to save memory).
    pub keep_virtual_servers: bool,
    /// Called with each virtual server when it closes, before it is dropped (lint).
    pub visit_virtual_server: Option<&'a mut crate::VisitVirtualServer<'a>>,
    /// When set, virtual servers that are not group services are lowered to their plan form
    /// as their block closes and not kept in the model (`kac plan` on large sites: the model
    /// of 200,000 real servers is never held).
    pub lowered_virtual_servers: Option<Vec<kac_schema::plan::PlanVirtualServer>>,
    /// When set, virtual servers that are not group services are lowered as their block
    /// closes and handed here instead of being kept anywhere (`kac plan` pairs the two sides'
    /// services as they come and keeps only those that differ).
    pub lowered_sink: Option<&'a mut dyn FnMut(kac_schema::plan::PlanVirtualServer)>,
    /// Number of virtual servers seen.
    pub virtual_server_count: usize,
    /// VRF devices of the machine, when `check` knows them.
    pub vrfs: Option<Vec<String>>,
    /// `dynamic_interfaces` is set: missing interfaces are allowed.
    pub dynamic_interfaces: bool,
    /// Whether the machine has keepalived's default script user `keepalived_script`
    /// (`None`: unknown, do not check).
    pub default_script_user_exists: Option<bool>,
    /// Every script keyword: its span and whether it names its own user.
    pub script_spans: Vec<(Span, bool)>,
    /// Whether a script path is executable on the machine (`check` only).
    pub script_exists: Option<fn(&str) -> bool>,
    /// Why a script is unsafe under `enable_script_security` (`check` only).
    pub script_insecure: Option<crate::ScriptInsecure>,
    /// Diagnostics dropped past [`MAX_DIAGNOSTICS`], and whether any would fail `check`.
    pub dropped: (usize, bool),
    overflow: Diagnostic,
    /// Names defined so far (keepalived resolves references in file order).
    pub names: Names,
    /// Every keyword read, by the block it was read in: where it was first written and how
    /// often (what the runtime does not carry out is refused by keyword, see
    /// [`crate::KeywordUse`]).
    pub keywords_used: std::collections::HashMap<(&'static str, &'static str), (Span, u32)>,
    /// The keywords of the blocks being read, outermost first.
    block_path: Vec<&'static str>,
    skip: i32,
    depth: usize,
}

impl<'a> Parser<'a> {
    /// A parser over `pp`.
    pub fn new(lines: LineFeed) -> Self {
        Parser {
            lines,
            _opener: std::marker::PhantomData,
            diags: Vec::new(),
            notes: Vec::new(),
            interfaces: None,
            keep_virtual_servers: true,
            visit_virtual_server: None,
            lowered_virtual_servers: None,
            lowered_sink: None,
            virtual_server_count: 0,
            dynamic_interfaces: false,
            vrfs: None,
            default_script_user_exists: None,
            script_spans: Vec::new(),
            names: Names::default(),
            dropped: (0, false),
            overflow: Diagnostic::error("", ""),
            script_exists: None,
            script_insecure: None,
            keywords_used: std::collections::HashMap::new(),
            block_path: Vec::new(),
            skip: 0,
            depth: 0,
        }
    }

    /// Reports a diagnostic.
    pub fn report(&mut self, d: Diagnostic) {
        let _ = self.push(d);
    }

    /// An error at `span`.
    pub fn error(
        &mut self,
        code: &'static str,
        msg: impl Into<String>,
        span: Span,
        label: impl Into<Cow<'static, str>>,
    ) -> &mut Diagnostic {
        self.push(Diagnostic::error(code, msg).with_primary(span, label))
    }

    /// A warning (keepalived reports it, then carries on) at `span`.
    pub fn warn(
        &mut self,
        code: &'static str,
        msg: impl Into<String>,
        span: Span,
        label: impl Into<Cow<'static, str>>,
    ) -> &mut Diagnostic {
        self.push(Diagnostic::warning(code, msg).with_primary(span, label))
    }

    /// Reports `d` and returns it for adding help.
    fn push(&mut self, d: Diagnostic) -> &mut Diagnostic {
        if self.diags.len() >= MAX_DIAGNOSTICS {
            // Past the cap, count instead of keeping (a runaway expansion must not eat memory).
            self.dropped.0 += 1;
            self.dropped.1 |= d.fails_check();
            self.overflow = d;
            return &mut self.overflow;
        }
        let at = self.diags.len();
        self.diags.push(d);
        &mut self.diags[at]
    }

    /// The next non-empty line, split into words.
    pub fn next_line(&mut self) -> Option<Line> {
        loop {
            let line = self.lines.next_line()?;
            if let Some(at) = line.unmatched_quote() {
                let end = line.text().len() as u32;
                self.report(
                    Diagnostic::error(codes::UNTERMINATED_QUOTE, "unmatched quote")
                        .with_primary(line.span_of(at, end), "this `\"` is never closed")
                        .with_help("close the quote; quoted strings cannot span lines"),
                );
            }
            if line.is_empty() {
                continue;
            }
            return Some(line);
        }
    }

    /// Asks the driver to skip the block that follows the current keyword line.
    pub fn skip_block(&mut self) {
        self.skip = -1;
    }

    /// Records that words from `n` on are ignored by keepalived.
    pub fn extra(&mut self, line: &Line, n: usize) {
        if line.len() > n {
            self.notes.push(SourceNote::ExtraWords {
                keyword: line.keyword().to_string(),
                words: line.words_from(n),
                span: line.span_from(n),
            });
        }
    }

    /// Parses the top level of a configuration into `cfg`.
    pub fn top_level(&mut self, table: &'static [Kw<Config>], cfg: &mut Config) {
        self.run(table, cfg, false);
    }

    /// Parses the block opened by the current keyword line (after the handler made its target).
    pub fn block<T: Target>(&mut self, table: &'static [Kw<T>], target: &mut T) {
        self.depth += 1;
        self.run(table, target, true);
        self.depth -= 1;
    }

    fn skip_lines(&mut self, line: &Line) -> bool {
        if self.skip == -1 {
            if line.keyword() == "{" {
                self.skip = 1;
                return true;
            }
            self.skip = 0;
            return false;
        }
        if self.skip > 0 {
            for i in 0..line.len() {
                match line.w(i) {
                    "{" => self.skip += 1,
                    "}" => {
                        self.skip -= 1;
                        if self.skip == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            return true;
        }
        false
    }

    fn run<T: Target>(&mut self, table: &'static [Kw<T>], target: &mut T, nested: bool) {
        let mut need_bob = nested;
        while let Some(line) = self.next_line() {
            if self.skip != 0 && self.skip_lines(&line) {
                continue;
            }
            let first = line.keyword();
            if need_bob {
                need_bob = false;
                if first == "{" {
                    continue;
                }
                self.report(
                    Diagnostic::error(codes::MISSING_BRACE, "missing `{` at the start of a block")
                        .with_primary(line.line_span(), "expected `{` before this line")
                        .with_help("put `{` after the block's keyword"),
                );
            } else if first == "{" {
                self.report(
                    Diagnostic::error(codes::UNEXPECTED_BRACE, "unexpected `{`")
                        .with_primary(line.line_span(), "no block starts here")
                        .with_help("a block starts only after a block keyword; remove this `{`"),
                );
                continue;
            }
            if first == "}" {
                if nested {
                    return;
                }
                continue;
            }
            match find_kw(table, first) {
                Some(kw) => {
                    let block = self.block_path.last().copied().unwrap_or("top");
                    self.keywords_used
                        .entry((block, kw.name))
                        .and_modify(|(_, n)| *n += 1)
                        .or_insert_with(|| (line.span(0), 1));
                    self.block_path.push(kw.name);
                    self.dispatch(&kw.act, target, &line);
                    self.block_path.pop();
                }
                None => self.unknown(table, &line),
            }
        }
    }

    fn dispatch<T: Target>(&mut self, act: &Act<T>, target: &mut T, line: &Line) {
        match act {
            Act::Leaf(f) | Act::Block(f) => f(self, target, line),
            Act::Values(f) => self.value_block(line, target, *f, true),
            Act::Generic(spec) => {
                if let Some(setting) = self.check_args(line, spec)
                    && let Some(other) = target.other()
                {
                    other.push(setting);
                }
            }
            Act::Include(_) => {}
            Act::Deprecated(instead, inner) => {
                let mut d = Diagnostic::warning(
                    codes::DEPRECATED,
                    format!("`{}` is deprecated", line.keyword()),
                )
                .with_primary(line.span(0), "deprecated keyword")
                .with_help(format!("use {instead}"));
                d.fix = crate::deprecated::rename_fix(line.keyword(), line.span(0));
                self.report(d);
                self.dispatch(inner, target, line);
            }
            Act::Silent(inner) => {
                self.report(crate::deprecated::silent(line.keyword(), line.span(0)));
                self.dispatch(inner, target, line);
            }
        }
    }

    /// Reads a value block: `{`, one entry per line, `}`. `named`: the keyword line has
    /// no arguments (otherwise it is a named block such as `virtual_server_group NAME`).
    pub fn value_block<T>(
        &mut self,
        kwline: &Line,
        target: &mut T,
        f: fn(&mut Parser<'_>, &mut T, &Line),
        anonymous: bool,
    ) {
        if anonymous && kwline.len() > 1 {
            self.report(
                Diagnostic::error(
                    codes::INVALID_VALUE,
                    format!("block `{}` has extra parameters", kwline.keyword()),
                )
                .with_primary(kwline.span_from(1), "unexpected here")
                .with_help("write the entries inside the braces, one per line"),
            );
        }
        let mut need_bob = true;
        while let Some(mut line) = self.next_line() {
            if need_bob {
                need_bob = false;
                if line.keyword() == "{" {
                    if line.len() == 1 {
                        continue;
                    }
                    line.drop_first_word();
                } else {
                    self.report(
                        Diagnostic::new(
                            codes::MISSING_BRACE,
                            Severity::Advice,
                            format!("`{{` missing at the start of block `{}`", kwline.keyword()),
                        )
                        .with_primary(line.line_span(), "expected `{` before this line"),
                    );
                }
            }
            let mut had_eob = false;
            if !line.is_empty() && line.w(line.len() - 1) == "}" {
                if line.len() == 1 {
                    return;
                }
                had_eob = true;
                line.drop_last_word();
            }
            if !line.is_empty() {
                f(self, target, &line);
            }
            if had_eob {
                return;
            }
        }
    }

    fn unknown<T>(&mut self, table: &'static [Kw<T>], line: &Line) {
        let word = line.keyword();
        let mut d = Diagnostic::error(codes::UNKNOWN_KEYWORD, format!("unknown keyword `{word}`"))
            .with_primary(line.span(0), "not a keyword in this block");
        let mut names = Vec::new();
        kw_names(table, &mut names);
        if let Some(s) = crate::suggest::closest(word, names.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if let Some(block) = crate::suggest::block_of(word) {
            d = d.with_help(format!("`{word}` belongs in {block}"));
        }
        self.report(d);
        // keepalived would read an unknown block's body as more unknown keywords; skip it
        // so the one mistake is reported once.
        self.skip = -1;
    }

    /// Validates a generic setting's arguments; `None` when they are invalid.
    pub fn check_args(&mut self, line: &Line, spec: &[Arg]) -> Option<Setting> {
        let mut ok = true;
        let mut i = 1;
        let mut values = Vec::new();
        for a in spec {
            if !a.read(self, line, &mut i, &mut values) {
                ok = false;
            }
        }
        self.extra(line, i);
        ok.then(|| Setting {
            keyword: line.keyword().to_string(),
            args: line.words_from(1),
            values,
            span: line.line_span(),
        })
    }
}
