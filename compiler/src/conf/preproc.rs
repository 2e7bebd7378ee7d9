//! keepalived's `read_line()`: from files to logical lines.
//!
//! Reads physical lines (split at 1023 bytes like `fgets` into a 1024-byte buffer), removes
//! comments, applies `@id`/`@^id` conditions, `$NAME=` definitions and their expansion
//! (multi-line, lazy, `${NAME}`, built-ins), `~SEQ`/`~SEQx`/`~LST` repetition, `include`
//! (globs and brace expansion, relative to the including file), and cuts lines before and
//! after braces so every `{`/`}` is a line of its own.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use kac_schema::config::{SourceNote, Suppression};
use kac_schema::{Diagnostic, FileId, SourceFile, SourceMap, Span};

use super::decomment::{Decommented, decomment, decomment_into};
use super::words::{Word, is_space, split_words};
use super::{allow, include};
use crate::codes;

/// At most this many lines may come from definitions and sequences after one line of the
/// file. keepalived has no limit (it loops forever on a self-producing definition); real
/// configurations stay far below this.
pub const MAX_GENERATED: u64 = 1_000_000;

const CLASS_WORD: u8 = 0;
const CLASS_BLANK: u8 = 1;
const CLASS_NEWLINE: u8 = 2;
const CLASS_BRACE: u8 = 3;
const CLASS_SPECIAL: u8 = 4;

/// What each byte means to the fast lane: printable ASCII is word text, except the bytes
/// that need the general path (comments, quotes, escapes, `$`, `@`, `~`); control bytes and
/// non-ASCII need it too.
static BYTE_CLASS: [u8; 256] = {
    let mut t = [CLASS_SPECIAL; 256];
    let mut c = 0x21;
    while c < 0x7f {
        t[c] = CLASS_WORD;
        c += 1;
    }
    t[b' ' as usize] = CLASS_BLANK;
    t[b'\t' as usize] = CLASS_BLANK;
    t[b'\n' as usize] = CLASS_NEWLINE;
    t[b'{' as usize] = CLASS_BRACE;
    t[b'}' as usize] = CLASS_BRACE;
    let specials = b"\"\\#!$@~";
    let mut k = 0;
    while k < specials.len() {
        t[specials[k] as usize] = CLASS_SPECIAL;
        k += 1;
    }
    t
};

/// At most this many sequences or multi-line expansions may be started by lines that
/// definitions and sequences produced, after one line of the file (nested repetition is
/// legitimate; a definition that restarts itself is not).
pub const MAX_RESTARTS: u64 = 100_000;

/// keepalived's line buffer holds 1023 bytes plus the terminating NUL.
pub const MAX_LINE: usize = 1023;

/// A logical line handed to the parser.
#[derive(Debug, Clone)]
pub struct LogicalLine {
    /// The text, after preprocessing.
    pub text: String,
    /// Where the line (or the line that produced it) is.
    pub loc: Span,
    /// Whether byte `i` of `text` is byte `loc.offset + i` of the file.
    pub exact: bool,
}

impl LogicalLine {
    /// The span of bytes `start..end` of the text (the whole line when not exact).
    pub fn span(&self, start: u32, end: u32) -> Span {
        span_within(self.loc, self.exact, start, end)
    }
}

/// Bytes `start..end` of a line at `loc`: exact when the text maps onto the file, else the
/// whole line.
pub fn span_within(loc: Span, exact: bool, start: u32, end: u32) -> Span {
    if exact {
        Span::new(
            loc.file,
            loc.line,
            loc.offset + start,
            end.saturating_sub(start),
        )
    } else {
        loc
    }
}

/// What a path names, as [`FileOpener::entry`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file; `executable` when any execute bit is set.
    File {
        /// Any execute bit set (keepalived does not include executables).
        executable: bool,
    },
    /// A directory.
    Dir,
    /// Something else (a device, a socket, a submodule).
    Other,
}

/// The files the compiler reads: the real file system, in-memory text for tests, or a git
/// revision (`kac plan`).
///
/// Only [`FileOpener::open`] is required; the other methods answer from the real file system
/// unless an implementation serves a tree of its own (then it overrides all of them, so that
/// includes, globs and site manifests are resolved inside that tree).
pub trait FileOpener {
    /// Opens `path` for reading.
    fn open(&self, path: &Path) -> std::io::Result<Box<dyn BufRead>>;

    /// What `path` names (symbolic links followed), `None` when nothing is there.
    fn entry(&self, path: &Path) -> Option<EntryKind> {
        use std::os::unix::fs::PermissionsExt;
        let m = std::fs::metadata(path).ok()?;
        Some(if m.is_file() {
            EntryKind::File {
                executable: m.permissions().mode() & 0o111 != 0,
            }
        } else if m.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::Other
        })
    }

    /// The names in directory `dir`, sorted.
    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    /// `path` with symbolic links and `..` resolved (what makes two paths the same file);
    /// `path` itself when it cannot be resolved.
    fn canonicalize(&self, path: &Path) -> std::path::PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    }

    /// The paths matching the glob(3) `pattern` (absolute or relative to the current
    /// directory; `*`, `?`, `[…]`, no globstar, leading dots literal), sorted.
    fn glob(&self, pattern: &str) -> Vec<std::path::PathBuf> {
        super::include::glob_in(self, pattern)
    }

    /// Reads the whole file at `path`. Shared bytes, so that a tree holding its files in
    /// memory (a git revision) hands them out without a copy.
    fn read(&self, path: &Path) -> std::io::Result<FileBytes> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut self.open(path)?, &mut out)?;
        Ok(out.into())
    }
}

/// The bytes of a file, shared: cloning is a reference count, never a copy (a git blob is
/// read once and served to every reader of the file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileBytes(std::sync::Arc<Vec<u8>>);

impl From<Vec<u8>> for FileBytes {
    fn from(v: Vec<u8>) -> Self {
        FileBytes(std::sync::Arc::new(v))
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Serves one file from memory at `path` (everything else is not found): for tests, the
/// fuzzer, and front ends that already hold the text.
#[derive(Debug, Clone)]
pub struct InMemory {
    /// Where the file is.
    pub path: std::path::PathBuf,
    /// Its bytes.
    pub text: Vec<u8>,
    /// Reader buffer size (small values make lines straddle buffer ends in tests).
    pub buffer: usize,
}

impl InMemory {
    /// `text` at `path`.
    pub fn new(path: impl Into<std::path::PathBuf>, text: impl Into<Vec<u8>>) -> Self {
        InMemory {
            path: path.into(),
            text: text.into(),
            buffer: 64 * 1024,
        }
    }
}

impl FileOpener for InMemory {
    fn open(&self, path: &Path) -> std::io::Result<Box<dyn BufRead>> {
        if path == self.path {
            let cursor = std::io::Cursor::new(self.text.clone());
            Ok(Box::new(std::io::BufReader::with_capacity(
                self.buffer.max(1),
                cursor,
            )))
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not in memory",
            ))
        }
    }
}

/// Reads from the file system.
pub struct RealFs;

impl FileOpener for RealFs {
    fn open(&self, path: &Path) -> std::io::Result<Box<dyn BufRead>> {
        let f = std::fs::File::open(path)?;
        Ok(Box::new(std::io::BufReader::with_capacity(64 * 1024, f)))
    }

    fn glob(&self, pattern: &str) -> Vec<std::path::PathBuf> {
        super::include::glob_real(pattern)
    }
}

struct Frame {
    reader: Box<dyn BufRead>,
    file: FileId,
    dir: PathBuf,
    path: PathBuf,
    line_no: u32,
    offset: u64,
    /// Chunks of an over-long physical line still to be returned: (text, offset).
    pending: Vec<(String, u64)>,
    /// Length of the sequence stack when the file was entered (sequences end with their file).
    seq_base: usize,
}

#[derive(Clone, Debug)]
enum Builtin {
    Pwd,
    Instance,
    Random,
    Hash,
    Bang,
}

#[derive(Clone, Debug)]
struct Def {
    value: String,
    multiline: bool,
    builtin: Option<Builtin>,
}

/// One active `~SEQ` or `~LST`.
#[derive(Debug)]
struct Seq {
    vars: Vec<String>,
    values: SeqValues,
    text: String,
    loc: Span,
}

#[derive(Debug)]
enum SeqValues {
    Range {
        next: i64,
        last: i64,
        step: i64,
        hex: bool,
    },
    List {
        rows: Vec<Vec<String>>,
        next: usize,
    },
}

/// Pending lines of a multi-line definition being expanded.
#[derive(Debug)]
struct Multiline {
    lines: Vec<String>,
    next: usize,
    seq_depth: usize,
    loc: Span,
}

/// Options of the preprocessor.
#[derive(Debug, Clone, Default)]
pub struct PreprocOptions {
    /// The config id for `@id` lines and `${_INSTANCE}`.
    pub config_id: Option<String>,
    /// Seed for `${_RANDOM}` (keepalived seeds with the time; kac is deterministic).
    pub random_seed: u32,
    /// Where absolute include paths live in the repository.
    pub path_map: include::PathMap,
    /// Turn the fast lane off (tests compare both paths).
    pub no_fast_lane: bool,
    /// Files already known: the files read are added after them (so that the file ids of
    /// several compilations, such as the hosts of a site, never collide).
    pub sources: SourceMap,
}

/// The preprocessor: an iterator of [`LogicalLine`]s over a configuration and its includes.
pub struct Preprocessor<'a> {
    opener: &'a dyn FileOpener,
    opts: PreprocOptions,
    /// Files read so far.
    pub sources: SourceMap,
    /// Problems found.
    pub diags: Vec<Diagnostic>,
    /// Lexical observations for lint rules.
    pub notes: Vec<SourceNote>,
    /// `# kac: allow(…)` comments, in the order their line was read.
    pub suppressions: Vec<Suppression>,
    /// Suppression comments alone on their line, waiting for the next statement line.
    pending_allows: Vec<Suppression>,
    /// How many files of [`Preprocessor::sources`] came from earlier compilations.
    known_files: usize,
    /// The config ids of the `@id`/`@^id` lines read.
    pub config_ids: std::collections::BTreeSet<String>,
    stack: Vec<Frame>,
    residue: Option<LogicalLine>,
    defs: HashMap<String, Def>,
    seqs: Vec<Seq>,
    multiline: Option<Multiline>,
    multiline_stack: Vec<Multiline>,
    collecting_def: Option<String>,
    block_depth: i64,
    rng: u64,
    /// Lines produced by definitions and sequences since the last physical line.
    generated: u64,
    /// Sequences and multi-line expansions started by such produced lines.
    restarts: u64,
    /// Reused buffer of the physical line being read.
    phys: String,
    /// Spare line buffers handed back by the parser ([`Preprocessor::give_back`]).
    spare: Vec<String>,
    last_loc: Span,
}

impl<'a> Preprocessor<'a> {
    /// A preprocessor reading `entry` (named `shown` in messages) through `opener`.
    pub fn new(
        opener: &'a dyn FileOpener,
        entry: &Path,
        shown: &str,
        opts: PreprocOptions,
    ) -> Self {
        let rng = u64::from(opts.random_seed) ^ 0x9e37_79b9_7f4a_7c15;
        let mut p = Preprocessor {
            opener,
            opts,
            sources: SourceMap::default(),
            diags: Vec::new(),
            notes: Vec::new(),
            suppressions: Vec::new(),
            pending_allows: Vec::new(),
            known_files: 0,
            config_ids: std::collections::BTreeSet::new(),
            stack: Vec::new(),
            residue: None,
            defs: HashMap::new(),
            seqs: Vec::new(),
            multiline: None,
            multiline_stack: Vec::new(),
            collecting_def: None,
            block_depth: 0,
            rng,
            generated: 0,
            restarts: 0,
            phys: String::new(),
            spare: Vec::new(),
            last_loc: Span::default(),
        };
        for (name, b) in [
            ("_PWD", Builtin::Pwd),
            ("_INSTANCE", Builtin::Instance),
            ("_RANDOM", Builtin::Random),
            ("_HASH", Builtin::Hash),
            ("_BANG", Builtin::Bang),
        ] {
            p.defs.insert(
                name.into(),
                Def {
                    value: String::new(),
                    multiline: false,
                    builtin: Some(b),
                },
            );
        }
        p.sources = std::mem::take(&mut p.opts.sources);
        p.known_files = p.sources.files.len();
        match opener.open(entry) {
            Ok(reader) => {
                let file = p.sources.add(SourceFile {
                    name: shown.to_string(),
                    path: entry.to_string_lossy().into_owned(),
                    text: None,
                    included_from: None,
                });
                p.push_frame(reader, file, entry);
            }
            Err(e) => {
                p.diags.push(
                    Diagnostic::error(
                        codes::UNREADABLE_FILE,
                        format!("cannot read `{shown}`: {e}"),
                    )
                    .with_help("check the path; keepalived -t reports a missing file but exits 0"),
                );
            }
        }
        p
    }

    fn push_frame(&mut self, reader: Box<dyn BufRead>, file: FileId, path: &Path) {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        self.stack.push(Frame {
            reader,
            file,
            dir,
            path: path.to_path_buf(),
            line_no: 0,
            offset: 0,
            pending: Vec::new(),
            seq_base: self.seqs.len(),
        });
    }

    /// Net count of `{` minus `}` seen so far.
    pub fn block_depth(&self) -> i64 {
        self.block_depth
    }

    /// The location of the last line returned (for end-of-input messages).
    pub fn last_loc(&self) -> Span {
        self.last_loc
    }

    /// Ends preprocessing: what the parser needs after the last line.
    pub fn finish(mut self) -> super::feed::PreprocOutcome {
        let pending = std::mem::take(&mut self.pending_allows);
        self.suppressions.extend(pending);
        super::feed::PreprocOutcome {
            sources: self.sources,
            diags: self.diags,
            notes: self.notes,
            suppressions: self.suppressions,
            config_ids: self.config_ids,
            block_depth: self.block_depth,
            last_loc: self.last_loc,
        }
    }

    /// How many files of [`Preprocessor::sources`] came from earlier compilations (the files
    /// this preprocessor opens follow them).
    pub fn known_files(&self) -> usize {
        self.known_files
    }

    /// The suppressions found since the last call whose line is known (a comment alone on
    /// its line waits for the next statement).
    pub fn take_suppressions(&mut self) -> Vec<Suppression> {
        std::mem::take(&mut self.suppressions)
    }

    /// Gives a line buffer back for reuse.
    pub fn give_back(&mut self, mut text: String) {
        if self.spare.len() < 64 {
            text.clear();
            self.spare.push(text);
        }
    }

    fn spare_string(&mut self) -> String {
        self.spare.pop().unwrap_or_default()
    }

    /// Reads the next physical line of the current file into `self.phys` (after `\r\n`
    /// removal and the 1023-byte split), skipping blank ones. `None` at the end of the file.
    fn physical_line(&mut self) -> Option<Span> {
        loop {
            let frame = self.stack.last_mut()?;
            if let Some((text, offset)) = frame.pending.pop() {
                let span = Span::new(frame.file, frame.line_no, offset as u32, text.len() as u32);
                self.phys = text;
                return Some(span);
            }
            let mut buf = std::mem::take(&mut self.phys).into_bytes();
            buf.clear();
            match frame.reader.read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    let file = frame.file;
                    self.diags.push(Diagnostic::error(
                        codes::UNREADABLE_FILE,
                        format!(
                            "cannot read `{}`: {e}",
                            self.sources.get(file).map_or("", |f| &f.name)
                        ),
                    ));
                    return None;
                }
            }
            let start = frame.offset;
            frame.offset += buf.len() as u64;
            frame.line_no += 1;
            let raw_len = buf.len();
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            if buf.is_empty() {
                self.phys = String::from_utf8(buf).unwrap_or_default();
                if self.collecting_def.is_some() {
                    self.finish_collecting();
                }
                continue;
            }
            let file = frame.file;
            let line_no = frame.line_no;
            if raw_len > MAX_LINE {
                // fgets() with a 1024-byte buffer returns 1023-byte chunks.
                let span = Span::new(file, line_no, start as u32, buf.len() as u32);
                self.notes.push(SourceNote::LongLine {
                    len: buf.len(),
                    span,
                });
                let mut chunks = Vec::new();
                let mut at = 0usize;
                while at < buf.len() {
                    let end = (at + MAX_LINE).min(buf.len());
                    let mut chunk = buf[at..end].to_vec();
                    while matches!(chunk.last(), Some(b'\n' | b'\r')) {
                        chunk.pop();
                    }
                    if !chunk.is_empty() {
                        chunks.push((bytes_to_string(chunk), start + at as u64));
                    }
                    at = end;
                }
                chunks.reverse();
                let frame = self.stack.last_mut()?;
                frame.pending = chunks;
                continue;
            }
            let len = buf.len() as u32;
            self.phys = bytes_to_string(buf);
            return Some(Span::new(file, line_no, start as u32, len));
        }
    }

    /// The fast lane for plain lines (most of any large configuration): a line with no
    /// comment, quote, escape, definition, condition, sequence or include, at most one
    /// trailing `{` or a lone `}`, read straight from the reader's buffer into `batch` with
    /// its words, in one pass. Returns false (consuming nothing) when the line needs the
    /// general path ([`Preprocessor::next_line`]); both give the same lines.
    pub fn fast_line(&mut self, batch: &mut super::feed::Batch) -> bool {
        if self.opts.no_fast_lane
            || !self.pending_allows.is_empty()
            || self.residue.is_some()
            || !self.seqs.is_empty()
            || self.multiline.is_some()
            || self.collecting_def.is_some()
        {
            return false;
        }
        let depth = self.block_depth;
        let Some(frame) = self.stack.last_mut() else {
            return false;
        };
        if !frame.pending.is_empty() {
            return false;
        }
        let Ok(buf) = frame.reader.fill_buf() else {
            return false;
        };
        // The line must end within the buffer and within keepalived's 1023 bytes.
        let buf = &buf[..buf.len().min(MAX_LINE)];
        // One pass: word boundaries, and whether anything needs the general path.
        let mut words = [Word {
            start: 0,
            end: 0,
            quoted: false,
        }; 8];
        let mut n = 0usize;
        let mut brace: Option<usize> = None;
        let mut nl = None;
        let mut i = 0;
        while i < buf.len() {
            match BYTE_CLASS[buf[i] as usize] {
                CLASS_WORD => {
                    if brace.is_some() || n == words.len() {
                        return false;
                    }
                    let start = i;
                    i += 1;
                    while i < buf.len() && BYTE_CLASS[buf[i] as usize] == CLASS_WORD {
                        i += 1;
                    }
                    words[n] = Word {
                        start: start as u32,
                        end: i as u32,
                        quoted: false,
                    };
                    n += 1;
                    continue;
                }
                CLASS_BLANK => {
                    i += 1;
                    while i < buf.len() && BYTE_CLASS[buf[i] as usize] == CLASS_BLANK {
                        i += 1;
                    }
                    continue;
                }
                CLASS_NEWLINE => {
                    nl = Some(i);
                    break;
                }
                CLASS_BRACE => {
                    // `kw{` (no blank before the brace) and a second brace take the general path.
                    if brace.is_some() || (i > 0 && BYTE_CLASS[buf[i - 1] as usize] == CLASS_WORD) {
                        return false;
                    }
                    brace = Some(i);
                }
                _ => return false,
            }
            i += 1;
        }
        let Some(nl) = nl else { return false };
        let raw = &buf[..nl];
        if n > 0 && raw[words[0].start as usize..words[0].end as usize].starts_with(b"include") {
            return false;
        }
        let closing = brace.is_some_and(|b| raw[b] == b'}');
        if closing && (n > 0 || depth < 1) {
            return false;
        }
        // Only ASCII here (non-ASCII took the general path): no UTF-8 check needed per line.
        let text = raw;
        let (file, line_no, offset) = (frame.file, frame.line_no + 1, frame.offset as u32);
        if n > 0 {
            let (start, end) = (words[0].start, words[n - 1].end);
            let loc = Span::new(file, line_no, offset + start, end - start);
            batch.push_from(text, start, end, &words[..n], loc);
            self.last_loc = loc;
        }
        if let Some(b) = brace {
            let loc = Span::new(file, line_no, offset + b as u32, 1);
            batch.push_brace(text[b], loc);
            self.last_loc = loc;
            self.block_depth += if closing { -1 } else { 1 };
        }
        frame.reader.consume(nl + 1);
        frame.offset += nl as u64 + 1;
        frame.line_no += 1;
        true
    }

    /// The common case without copying: a whole line of at most 1023 bytes sits in the
    /// reader's buffer. Decomments it straight into `out`; `None` when the slow path must
    /// read the line (end of buffer, end of file, long line, split pending, bad UTF-8).
    fn buffered_line(
        &mut self,
        out: &mut String,
    ) -> Option<(Span, Decommented, Option<allow::Found>)> {
        let frame = self.stack.last_mut()?;
        if !frame.pending.is_empty() {
            return None;
        }
        let buf = frame.reader.fill_buf().ok()?;
        let nl = memchr::memchr(b'\n', buf)?;
        if nl + 1 > MAX_LINE {
            return None;
        }
        let mut end = nl;
        while end > 0 && buf[end - 1] == b'\r' {
            end -= 1;
        }
        let text = std::str::from_utf8(&buf[..end]).ok()?;
        let d = decomment_into(text, out);
        let found = d
            .comment_at
            .and_then(|at| allow::find(text, at, nl + 1 - end));
        let span = Span::new(
            frame.file,
            frame.line_no + 1,
            frame.offset as u32,
            end as u32,
        );
        frame.reader.consume(nl + 1);
        frame.offset += nl as u64 + 1;
        frame.line_no += 1;
        Some((span, d, found))
    }

    /// Records a `# kac: allow(…)` comment found on the physical line `span`: it applies to
    /// its own line after a statement, else to the next statement line of its file.
    fn record_allow(&mut self, found: &allow::Found, span: Span) {
        let s = found.suppression(span);
        if s.applies_to.is_some() {
            self.suppressions.push(s);
        } else {
            self.pending_allows.push(s);
        }
    }

    /// The statement line `span` gets the suppressions written on the lines before it.
    fn attach_pending_allows(&mut self, span: Span) {
        if self.pending_allows.is_empty() {
            return;
        }
        for mut s in std::mem::take(&mut self.pending_allows) {
            if s.comment.file == span.file {
                s.applies_to = Some(span.line);
            }
            self.suppressions.push(s);
        }
    }

    fn finish_collecting(&mut self) {
        if let Some(name) = self.collecting_def.take()
            && let Some(d) = self.defs.get_mut(&name)
        {
            while d.value.ends_with('\n') {
                d.value.pop();
            }
            if d.value.is_empty() {
                d.multiline = false;
            }
        }
    }

    /// Leaves the current file: sequences started in it end with it.
    fn pop_frame(&mut self) {
        // Suppressions at the end of a file apply to nothing.
        let pending = std::mem::take(&mut self.pending_allows);
        self.suppressions.extend(pending);
        if let Some(f) = self.stack.pop() {
            self.seqs.truncate(f.seq_base);
        }
    }

    /// The next raw line before `@`/`$`/`~` processing: residue, sequence, multi-line
    /// definition, or a new line from the file stack.
    fn raw_line(&mut self) -> Option<LogicalLine> {
        if let Some(r) = self.residue.take() {
            return Some(r);
        }
        if (!self.seqs.is_empty() || self.multiline.is_some())
            && (self.generated >= MAX_GENERATED || self.restarts >= MAX_RESTARTS)
        {
            // A definition or sequence that keeps producing itself: keepalived would loop
            // forever; stop expanding and say so.
            let loc = self
                .multiline
                .as_ref()
                .map(|m| m.loc)
                .or(self.seqs.last().map(|s| s.loc))
                .unwrap_or(self.last_loc);
            self.diags.push(
                Diagnostic::error(
                    codes::RECURSIVE_DEFINITION,
                    format!(
                        "definitions and sequences here expand to more than {MAX_GENERATED} lines or restart more than {MAX_RESTARTS} times"
                    ),
                )
                .with_primary(loc, "expansion stopped here")
                .with_help("a definition or ~SEQ must not produce itself again; keepalived would never finish"),
            );
            self.seqs.clear();
            self.multiline = None;
            self.multiline_stack.clear();
        }
        let seq_depth = self.multiline.as_ref().map_or(0, |m| m.seq_depth);
        if self.seqs.len() > seq_depth
            && let Some(line) = self.next_seq_line()
        {
            return Some(line);
        }
        if let Some(m) = self.multiline.as_mut() {
            self.generated += 1;
            let text = m.lines[m.next].clone();
            let loc = m.loc;
            m.next += 1;
            if m.next >= m.lines.len() {
                self.multiline = self.multiline_stack.pop();
            }
            return Some(LogicalLine {
                text,
                loc,
                exact: false,
            });
        }
        self.generated = 0;
        self.restarts = 0;
        loop {
            let mut text = self.spare_string();
            if let Some((span, d, found)) = self.buffered_line(&mut text) {
                if let Some(f) = found {
                    self.record_allow(&f, span);
                }
                if let Some(line) = self.decommented(text, span, &d) {
                    return Some(line);
                }
                continue;
            }
            self.give_back(text);
            let Some(span) = self.physical_line() else {
                if self.stack.is_empty() {
                    return None;
                }
                if self.collecting_def.is_some() {
                    self.finish_collecting();
                }
                self.pop_frame();
                if self.stack.is_empty() {
                    return None;
                }
                continue;
            };
            let mut text = self.spare_string();
            let d = decomment_into(&self.phys, &mut text);
            if let Some(f) = d.comment_at.and_then(|at| allow::find(&self.phys, at, 1)) {
                self.record_allow(&f, span);
            }
            if let Some(line) = self.decommented(text, span, &d) {
                return Some(line);
            }
        }
    }

    /// A decommented physical line as a logical line (`None` when nothing is left of it).
    fn decommented(&mut self, text: String, span: Span, d: &Decommented) -> Option<LogicalLine> {
        if d.unterminated_quote {
            self.diags.push(
                Diagnostic::error(codes::UNTERMINATED_QUOTE, "unterminated quote")
                    .with_primary(span, "this `\"` is never closed")
                    .with_help(
                        "close the quote on the same line; quoted strings cannot span lines",
                    ),
            );
        }
        if text.is_empty() {
            // keepalived ends a multi-line definition at a blank or comment-only line.
            if self.collecting_def.is_some() {
                self.finish_collecting();
            }
            self.give_back(text);
            return None;
        }
        self.attach_pending_allows(span);
        let loc = Span::new(
            span.file,
            span.line,
            span.offset + d.lead as u32,
            text.len() as u32,
        );
        Some(LogicalLine {
            text,
            loc,
            exact: d.exact,
        })
    }

    fn next_seq_line(&mut self) -> Option<LogicalLine> {
        self.generated += 1;
        let seq = self.seqs.last_mut()?;
        let (vals, done): (Vec<String>, bool) = match &mut seq.values {
            SeqValues::Range {
                next,
                last,
                step,
                hex,
            } => {
                let v = if *hex {
                    format!("{:x}", *next)
                } else {
                    next.to_string()
                };
                *next += *step;
                let done = (*step > 0 && *next > *last) || (*step < 0 && *next < *last);
                (vec![v], done)
            }
            SeqValues::List { rows, next } => {
                let row = rows.get(*next).cloned().unwrap_or_default();
                *next += 1;
                (row, *next >= rows.len())
            }
        };
        let text = seq.text.clone();
        let loc = seq.loc;
        let vars = seq.vars.clone();
        if done {
            self.seqs.pop();
        }
        for (var, val) in vars.into_iter().zip(vals) {
            self.set_def(&var, val, false);
        }
        Some(LogicalLine {
            text,
            loc,
            exact: false,
        })
    }

    fn set_def(&mut self, name: &str, value: String, multiline: bool) {
        self.defs.insert(
            name.to_string(),
            Def {
                value,
                multiline,
                builtin: None,
            },
        );
    }

    /// Returns the next logical line, or `None` at the end of all input.
    pub fn next_line(&mut self) -> Option<LogicalLine> {
        let mut line = loop {
            let mut line = self.raw_line()?;
            if let Some(name) = self.collecting_def.clone() {
                self.continue_definition(&name, &line.text);
                self.give_back(line.text);
                continue;
            }
            if !self.conditionals_and_definitions(&mut line) {
                self.give_back(line.text);
                continue;
            }
            if self.try_include(&line) {
                self.give_back(line.text);
                continue;
            }
            break line;
        };
        self.split_braces(&mut line);
        match line.text.as_str() {
            "{" => self.block_depth += 1,
            "}" => {
                self.block_depth -= 1;
                if self.block_depth < 0 {
                    self.diags.push(
                        Diagnostic::error(codes::EXTRA_CLOSE_BRACE, "extra `}` found")
                            .with_primary(line.loc, "this `}` closes no block")
                            .with_help("remove it, or add the `{` it was meant to close"),
                    );
                    self.block_depth = 0;
                }
            }
            _ => {}
        }
        self.last_loc = line.loc;
        Some(line)
    }

    /// A line of a multi-line `$NAME=` definition being collected.
    fn continue_definition(&mut self, name: &str, text: &str) {
        let (body, more) = match text.strip_suffix('\\') {
            Some(b) => (b.trim_end_matches([' ', '\t']), true),
            None => (text, false),
        };
        if let Some(d) = self.defs.get_mut(name)
            && !body.is_empty()
        {
            if !d.value.is_empty() && !d.value.ends_with('\n') {
                d.value.push('\n');
            }
            d.value.push_str(body);
            if more {
                d.value.push('\n');
            }
        }
        if !more {
            self.finish_collecting();
        }
    }

    /// `@id`, `$NAME=`, `~SEQ`/`~LST` and `$` expansion. Returns false when the line is used up.
    fn conditionals_and_definitions(&mut self, line: &mut LogicalLine) -> bool {
        let mut rounds = 0;
        loop {
            rounds += 1;
            if rounds > 64 {
                return true;
            }
            if line.text.starts_with('@') {
                let (neg, ofs) = if line.text.as_bytes().get(1) == Some(&b'^') {
                    (true, 2)
                } else {
                    (false, 1)
                };
                let Some(sp) = line.text[ofs..].find([' ', '\t']) else {
                    return false;
                };
                let id = &line.text[ofs..ofs + sp];
                if !self.config_ids.contains(id) {
                    self.config_ids.insert(id.to_string());
                }
                let matches = self.opts.config_id.as_deref() == Some(id);
                if matches == neg {
                    return false;
                }
                let rest_start = ofs + sp + line.text[ofs + sp..].len()
                    - line.text[ofs + sp..].trim_start_matches([' ', '\t']).len();
                line.text.drain(..rest_start);
                line.loc.offset += rest_start as u32;
                line.loc.len = line.loc.len.saturating_sub(rest_start as u32);
            }
            if line.text.starts_with('$') && self.try_definition(line) {
                return false;
            }
            if line.text.starts_with("~SEQ") || line.text.starts_with("~LST") {
                self.add_sequence(line);
                return false;
            }
            if line.text.starts_with('~') {
                return true;
            }
            if !line.text.contains('$') {
                return true;
            }
            match self.expand(line) {
                Expansion::None => return true,
                Expansion::Done => {
                    let d = decomment(&line.text);
                    line.text = d.text;
                    line.exact = false;
                    if line.text.is_empty() {
                        return false;
                    }
                    if !(line.text.starts_with('@') || line.text.contains('$')) {
                        return true;
                    }
                }
            }
        }
    }

    /// `$NAME=VALUE` (no blank before `=`). Returns true when the line was a definition.
    fn try_definition(&mut self, line: &LogicalLine) -> bool {
        let t = line.text.as_bytes();
        if t.len() < 2 || !(t[1].is_ascii_alphabetic() || t[1] == b'_') {
            return false;
        }
        let mut i = 2;
        while i < t.len() && t[i] != b'=' {
            if !(t[i].is_ascii_alphanumeric() || t[i] == b'_') {
                return false;
            }
            i += 1;
        }
        if i >= t.len() {
            return false;
        }
        let name = line.text[1..i].to_string();
        let mut value = line.text[i + 1..]
            .trim_start_matches([' ', '\t'])
            .to_string();
        let multiline = value.ends_with('\\');
        if multiline {
            value.pop();
            let trimmed = value.trim_end_matches([' ', '\t']).len();
            value.truncate(trimmed);
            if !value.is_empty() {
                value.push('\n');
            }
            self.collecting_def = Some(name.clone());
        }
        self.set_def(&name, value, multiline);
        true
    }

    fn builtin_value(&mut self, b: &Builtin, params: Option<&str>) -> String {
        match b {
            Builtin::Pwd => self
                .stack
                .last()
                .map(|f| {
                    let d = &f.dir;
                    self.opener.canonicalize(d).to_string_lossy().into_owned()
                })
                .unwrap_or_default(),
            Builtin::Instance => self.opts.config_id.clone().unwrap_or_default(),
            Builtin::Hash => "#".into(),
            Builtin::Bang => "!".into(),
            Builtin::Random => {
                let mut nums = params
                    .unwrap_or("")
                    .split_whitespace()
                    .filter_map(|s| s.parse::<u64>().ok());
                let min = nums.next().unwrap_or(0);
                let max = nums.next().unwrap_or(32767).max(min);
                // xorshift64*: deterministic for a given random_seed.
                self.rng ^= self.rng >> 12;
                self.rng ^= self.rng << 25;
                self.rng ^= self.rng >> 27;
                let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d);
                (min + r % (max - min + 1)).to_string()
            }
        }
    }

    /// Replaces `$NAME`/`${NAME}` references, rescanning replaced text (lazy expansion).
    fn expand(&mut self, line: &mut LogicalLine) -> Expansion {
        let mut changed = false;
        let mut pos = 0usize;
        let mut replacements = 0;
        while let Some(rel) = line.text[pos..].find('$') {
            let at = pos + rel;
            if at + 1 >= line.text.len() {
                break;
            }
            match self.find_reference(&line.text, at) {
                Some((name, end, params)) => {
                    replacements += 1;
                    if replacements > 10_000 {
                        self.diags.push(
                            Diagnostic::error(
                                codes::RECURSIVE_DEFINITION,
                                format!("the expansion of `${name}` never ends"),
                            )
                            .with_primary(line.loc, "expanded here")
                            .with_help(
                                "a definition must not refer to itself, directly or through others",
                            ),
                        );
                        line.text.truncate(at);
                        return Expansion::Done;
                    }
                    let Some(def) = self.defs.get(&name).cloned() else {
                        pos = at + 1;
                        continue;
                    };
                    let value = match &def.builtin {
                        Some(b) => self.builtin_value(b, params.as_deref()),
                        None => def.value.clone(),
                    };
                    changed = true;
                    if def.multiline {
                        let mut lines = value.split('\n').map(str::to_string);
                        let first = lines.next().unwrap_or_default();
                        let rest: Vec<String> = lines.filter(|l| !l.is_empty()).collect();
                        line.text.replace_range(at..end, &first);
                        if !rest.is_empty() {
                            if self.generated > 0 {
                                self.restarts += 1;
                            }
                            let m = Multiline {
                                lines: rest,
                                next: 0,
                                seq_depth: self.seqs.len(),
                                loc: line.loc,
                            };
                            if let Some(prev) = self.multiline.replace(m) {
                                self.multiline_stack.push(prev);
                            }
                        }
                    } else {
                        line.text.replace_range(at..end, &value);
                    }
                    if value.trim_start_matches([' ', '\t']).starts_with('~') {
                        break;
                    }
                    pos = at;
                }
                None => pos = at + 1,
            }
        }
        if changed {
            Expansion::Done
        } else {
            Expansion::None
        }
    }

    /// A reference at `at` (the `$`): name, end byte, and `${_RANDOM …}` parameters.
    fn find_reference(&self, text: &str, at: usize) -> Option<(String, usize, Option<String>)> {
        let b = text.as_bytes();
        let mut i = at + 1;
        let braces = b.get(i) == Some(&b'{');
        if braces {
            i += 1;
        }
        let name_start = i;
        if !(b.get(i)?.is_ascii_alphabetic() || b[i] == b'_') {
            return None;
        }
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        let name = &text[name_start..i];
        let mut params = None;
        if braces {
            let pstart = i;
            while i < b.len() && (b[i] == b' ' || b[i].is_ascii_digit()) {
                i += 1;
            }
            let p = text[pstart..i].trim();
            if !p.is_empty() {
                if text[pstart..i].ends_with(' ') {
                    return None;
                }
                params = Some(p.to_string());
            }
            if b.get(i) != Some(&b'}') {
                return None;
            }
            i += 1;
        } else if i < b.len() && !matches!(b[i], b' ' | b'\t' | b',' | b')') {
            return None;
        }
        let whole_rest = i == b.len();
        let def = self.defs.get(name)?;
        if def.multiline && !whole_rest {
            return None;
        }
        if params.is_some() && !matches!(def.builtin, Some(Builtin::Random)) {
            return None;
        }
        Some((name.to_string(), i, params))
    }

    /// Parses `~SEQ(var, …) text` / `~SEQx(…)` / `~LST(…) text` and starts it.
    fn add_sequence(&mut self, line: &LogicalLine) {
        if self.generated > 0 {
            self.restarts += 1;
        }
        let text = line.text.clone();
        let bad = |this: &mut Self, msg: &str| {
            this.diags.push(
                Diagnostic::error(codes::INVALID_SEQUENCE, msg.to_string())
                    .with_primary(line.loc, "in this line")
                    .with_help("write `~SEQ(var, END)`, `~SEQ(var, START, END)`, `~SEQ(var, START, STEP, END)` or `~LST(var, v1, v2, …)`"),
            );
        };
        let is_lst = text.starts_with("~LST");
        let mut rest = &text[4..];
        let hex = !is_lst && rest.starts_with('x');
        if hex {
            rest = &rest[1..];
        }
        let rest = rest.trim_start_matches([' ', '\t']);
        let Some(rest) = rest.strip_prefix('(') else {
            bad(self, &format!("invalid sequence specification `{text}`"));
            return;
        };
        let Some(close) = find_close_paren(rest) else {
            bad(
                self,
                &format!("invalid sequence specification `{text}`: no closing `)`"),
            );
            return;
        };
        let inner = &rest[..close];
        let body = rest[close + 1..]
            .trim_start_matches([' ', '\t'])
            .to_string();
        let mut inner_line = LogicalLine {
            text: inner.to_string(),
            loc: line.loc,
            exact: false,
        };
        if inner.contains('$') {
            let _ = self.expand(&mut inner_line);
        }
        let items = split_seq_items(&inner_line.text);
        if items.len() < 2 || items[0].is_empty() {
            bad(self, &format!("invalid sequence definition `{text}`"));
            return;
        }
        if is_lst {
            let vars = parse_tuple(&items[0]);
            let mut rows = Vec::new();
            for it in &items[1..] {
                let row = parse_tuple(it);
                if row.len() > vars.len() {
                    bad(
                        self,
                        &format!("~LST specification has too many values `{text}`"),
                    );
                    return;
                }
                rows.push(row);
            }
            if rows.is_empty() {
                return;
            }
            self.seqs.push(Seq {
                vars,
                values: SeqValues::List { rows, next: 0 },
                text: body,
                loc: line.loc,
            });
            return;
        }
        let var = items[0].clone();
        let mut nums = Vec::new();
        for it in &items[1..] {
            match parse_c_long(it) {
                Some(n) => nums.push(n),
                None => {
                    bad(self, &format!("invalid ~SEQ definition `{text}`"));
                    return;
                }
            }
        }
        let (start, step, end) = match nums.as_slice() {
            [end] => (
                if *end < 0 { -1 } else { 1 },
                if *end < 1 { -1 } else { 1 },
                *end,
            ),
            [s, e] => (*s, if s <= e { 1 } else { -1 }, *e),
            [s, st, e] => {
                if *st == 0 || (s < e && *st < 0) || (s > e && *st > 0) {
                    bad(self, &format!("invalid ~SEQ values `{text}`"));
                    return;
                }
                (*s, *st, *e)
            }
            _ => {
                bad(self, &format!("invalid ~SEQ definition `{text}`"));
                return;
            }
        };
        if hex && (start < 0 || end < 0) {
            bad(
                self,
                &format!("~SEQx is only valid for positive numbers `{text}`"),
            );
            return;
        }
        self.seqs.push(Seq {
            vars: vec![var],
            values: SeqValues::Range {
                next: start,
                last: end,
                step,
                hex,
            },
            text: body,
            loc: line.loc,
        });
    }

    /// `include[rmwba] PATTERN`: opens the matched files. Returns true when the line was one.
    fn try_include(&mut self, line: &LogicalLine) -> bool {
        // keepalived looks for "include" anywhere, but only a first word of include* counts.
        if !(line.text.starts_with("include") || line.text.starts_with("\"include")) {
            return false;
        }
        let mut words = Vec::new();
        split_words(&line.text, &mut words);
        if words.len() != 2 {
            return false;
        }
        let kw = &line.text[words[0].start as usize..words[0].end as usize];
        let variant = match kw {
            "include" => "",
            "includer" | "includem" | "includew" | "includeb" | "includea" => &kw[7..],
            _ => return false,
        };
        let pattern = line.text[words[1].start as usize..words[1].end as usize].to_string();
        let pspan = line.span(words[1].start, words[1].end);
        let Some(frame) = self.stack.last() else {
            return true;
        };
        let dir = frame.dir.clone();
        let res = include::resolve_in(self.opener, &pattern, &dir, &self.opts.path_map);
        if res.too_many {
            self.diags.push(
                Diagnostic::error(
                    codes::INCLUDE_NOT_FOUND,
                    format!(
                        "include pattern expands to more than {} alternatives",
                        include::MAX_ALTERNATIVES
                    ),
                )
                .with_primary(pspan, "too many brace alternatives")
                .with_help("split the include into several lines or use a wildcard"),
            );
            return true;
        }
        let strict_match = matches!(variant, "m" | "w" | "a");
        for alt in &res.unmatched {
            let wildcard = include::has_wildcards(alt);
            // keepalived prints a message even for a plain wildcard include that matches
            // nothing; `keepalived -t` with output is a rejection, so kac reports it too.
            let _ = strict_match;
            if true {
                let what = if wildcard {
                    "matches no file"
                } else {
                    "does not exist"
                };
                self.diags.push(
                    Diagnostic::error(
                        codes::INCLUDE_NOT_FOUND,
                        format!("included file `{alt}` {what}"),
                    )
                    .with_primary(pspan, what)
                    .with_help(format!(
                        "paths are relative to the including file's directory `{}`",
                        dir.display()
                    )),
                );
            } else if variant == "b" {
                self.diags.push(
                    Diagnostic::error(
                        codes::INCLUDE_NOT_FOUND,
                        format!("brace alternative `{alt}` matches no file"),
                    )
                    .with_primary(pspan, "no match"),
                );
            }
        }
        for s in &res.skipped {
            let sev_err = true;
            let d = Diagnostic::new(
                codes::INCLUDE_NOT_FOUND,
                if sev_err {
                    kac_schema::Severity::Error
                } else {
                    kac_schema::Severity::Advice
                },
                format!("included file `{s}` is not a regular non-executable file and is skipped"),
            )
            .with_primary(pspan, "skipped match");
            self.diags.push(d);
        }
        // Push in reverse so the first match is read first.
        for m in res.files.iter().rev() {
            let canon = self.opener.canonicalize(&m.path);
            if self
                .stack
                .iter()
                .any(|f| self.opener.canonicalize(&f.path) == canon)
            {
                self.diags.push(
                    Diagnostic::error(
                        codes::INCLUDE_CYCLE,
                        format!("`{}` includes itself", m.shown),
                    )
                    .with_primary(pspan, "this include starts a cycle")
                    .with_help("keepalived would recurse until it crashes; remove the include"),
                );
                continue;
            }
            match self.opener.open(&m.path) {
                Ok(reader) => {
                    let file = self.sources.add(SourceFile {
                        name: m.shown.clone(),
                        path: m.path.to_string_lossy().into_owned(),
                        text: None,
                        included_from: Some(line.loc),
                    });
                    self.push_frame(reader, file, &m.path);
                }
                Err(e) => self.diags.push(
                    Diagnostic::error(
                        codes::INCLUDE_NOT_FOUND,
                        format!("cannot read included file `{}`: {e}", m.shown),
                    )
                    .with_primary(pspan, "unreadable"),
                ),
            }
        }
        // Files pushed later must be read first: reverse order on the stack already does it,
        // but the top frame must be the first match.
        true
    }

    /// Cuts the line before its first `{`/`}` outside quotes (or just after a leading one);
    /// the rest becomes the next line.
    fn split_braces(&mut self, line: &mut LogicalLine) {
        let b = line.text.as_bytes();
        if b.is_empty() {
            return;
        }
        let cut = if b[0] == b'{' || b[0] == b'}' {
            Some(0)
        } else {
            let mut i = 0;
            let mut found = None;
            while let Some(r) = memchr::memchr3(b'{', b'}', b'"', &b[i..]) {
                i += r;
                if b[i] != b'"' {
                    found = Some(i);
                    break;
                }
                match memchr::memchr(b'"', &b[i + 1..]) {
                    Some(r) => i += r + 2,
                    None => break,
                }
            }
            found
        };
        let Some(p) = cut else {
            trim_end_blanks(&mut line.text);
            return;
        };
        let skip = if p == 0 {
            1 + b[1..]
                .iter()
                .take_while(|&&c| c == b' ' || c == b'\t')
                .count()
        } else {
            p
        };
        if skip < b.len() {
            let mut rest = self.spare_string();
            rest.push_str(&line.text[skip..]);
            trim_end_blanks(&mut rest);
            if !rest.is_empty() {
                let mut loc = line.loc;
                if line.exact {
                    loc.offset += skip as u32;
                    loc.len = rest.len() as u32;
                }
                self.residue = Some(LogicalLine {
                    text: rest,
                    loc,
                    exact: line.exact,
                });
            }
            line.text.truncate(if p == 0 { 1 } else { p });
        }
        trim_end_blanks(&mut line.text);
        if line.exact {
            line.loc.len = line.text.len() as u32;
        }
    }
}

enum Expansion {
    None,
    Done,
}

fn trim_end_blanks(s: &mut String) {
    let n = s.trim_end_matches([' ', '\t']).len();
    s.truncate(n);
}

fn bytes_to_string(v: Vec<u8>) -> String {
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn find_close_paren(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '{' => depth += 1,
            '}' => depth -= 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Splits `a, {b,c}, d` at top-level commas, trimming blanks.
fn split_seq_items(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn parse_tuple(s: &str) -> Vec<String> {
    match s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        Some(inner) => inner.split(',').map(|v| v.trim().to_string()).collect(),
        None => vec![s.to_string()],
    }
}

/// `strtol(s, &end, 0)` that must consume the whole (trimmed) item.
fn parse_c_long(s: &str) -> Option<i64> {
    let t = s.trim_matches(|c: char| is_space(c as u8));
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if t.len() > 1 && t.starts_with('0') {
        i64::from_str_radix(&t[1..], 8).ok()?
    } else {
        t.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, id: Option<&str>) -> (Vec<String>, Vec<Diagnostic>) {
        let mem = InMemory::new("mem.conf", text);
        let mut p = Preprocessor::new(
            &mem,
            Path::new("mem.conf"),
            "mem.conf",
            PreprocOptions {
                config_id: id.map(str::to_string),
                ..Default::default()
            },
        );
        let mut out = Vec::new();
        while let Some(l) = p.next_line() {
            out.push(l.text);
        }
        (out, p.diags)
    }

    #[test]
    fn braces_become_lines() {
        let (l, _) = lines("vrrp_instance X { interface eth0\n}\n", None);
        assert_eq!(l, vec!["vrrp_instance X", "{", "interface eth0", "}"]);
        let (l, _) = lines("kw { a b }\n", None);
        assert_eq!(l, vec!["kw", "{", "a b", "}"]);
    }

    #[test]
    fn conditionals_follow_config_id() {
        let text = "@lb1 priority 150\n@lb2 priority 100\n@^lb1 state BACKUP\n";
        assert_eq!(lines(text, Some("lb1")).0, vec!["priority 150"]);
        assert_eq!(
            lines(text, Some("lb2")).0,
            vec!["priority 100", "state BACKUP"]
        );
        assert_eq!(lines(text, None).0, vec!["state BACKUP"]);
    }

    #[test]
    fn definitions_expand_lazily_and_redefine() {
        let text = "$A=$B x\n$B=1\nv $A\n$B=2\nv $A\nv ${A}y\nv $U\n";
        assert_eq!(
            lines(text, None).0,
            vec!["v 1 x", "v 2 x", "v 2 xy", "v $U"]
        );
    }

    #[test]
    fn multiline_definitions_expand_to_lines() {
        // A multi-line value expands only where nothing follows the reference.
        let text = "$BLOCK=a \\\n  b \\\n  c\n$BLOCK\nx $BLOCK\nx $BLOCK y\n";
        assert_eq!(
            lines(text, None).0,
            vec!["a", "b", "c", "x a", "b", "c", "x $BLOCK y"]
        );
    }

    #[test]
    fn sequences_repeat_lines() {
        let (l, d) = lines(
            "~SEQ(i, 3) n $i\n~SEQx(h, 9, 11) h $h\n~LST(v, a, b) l $v\n",
            None,
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            l,
            vec!["n 1", "n 2", "n 3", "h 9", "h a", "h b", "l a", "l b"]
        );
    }

    #[test]
    fn bad_sequence_is_reported() {
        let (_, d) = lines("~SEQ(i, 1, -1, 5) x\n", None);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, codes::INVALID_SEQUENCE);
    }

    #[test]
    fn extra_close_brace_is_reported() {
        let (_, d) = lines("}\n", None);
        assert_eq!(d[0].code, codes::EXTRA_CLOSE_BRACE);
    }

    #[test]
    fn long_lines_are_split_at_1023_bytes() {
        let long = format!("a{}\n", "b".repeat(1500));
        let (l, _) = lines(&long, None);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].len(), 1023);
    }
}
