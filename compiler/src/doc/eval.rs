//! Compiling KDL and YAML: through keepalived.conf, with locations moved back.
//!
//! [`FormatOpener`] sits between the keepalived.conf preprocessor and the files: a `.kdl` or
//! `.yaml` file it is asked for is read into a document, printed as keepalived.conf
//! ([`super::conf_print`]) and served as that text; every other file is served as is. So a KDL
//! file can include YAML or keepalived.conf files and the other way round, `@id` conditions,
//! definitions and sequences mean exactly what they mean in keepalived.conf, and the plan of a
//! KDL or YAML configuration is the plan of its keepalived.conf by construction.
//!
//! Locations: the printed text's lines and words know where they came from ([`SpanMap`]);
//! [`FormatOpener::translate_batch`] moves the parser's locations to the source before the
//! parser sees them, and [`FormatOpener::fix_outcome`] does the same for what the preprocessor
//! reported. Diagnostics and the config model's spans then point into the KDL or YAML text.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kac_schema::config::{SourceNote, Suppression};
use kac_schema::{Diagnostic, FileId, SourceMap, Span};

use super::conf_print::{SpanMap, print};
use super::{Format, read};
use crate::conf::feed::{Batch, PreprocOutcome};
use crate::conf::preproc::{FileOpener, span_within};

/// The file id the readers use before the preprocessor gives the file its own.
const PENDING: FileId = FileId(u32::MAX);

/// A KDL or YAML file as the preprocessor sees it.
#[derive(Debug)]
pub struct Converted {
    /// The source text (kept for rendering diagnostics).
    pub source: String,
    /// Its keepalived.conf form.
    pub printed: String,
    /// Where the printed words came from.
    pub map: SpanMap,
    /// Problems reading or printing it (spans in [`PENDING`]).
    pub diagnostics: Vec<Diagnostic>,
    /// Its inline suppressions (spans in [`PENDING`]); the ones the preprocessor finds in the
    /// printed text are replaced by these.
    pub suppressions: Vec<Suppression>,
}

impl Converted {
    /// Reads `text` (in `format`) and prints it as keepalived.conf.
    pub fn new(text: String, format: Format) -> Converted {
        let (doc, mut diagnostics) = read(&text, format, PENDING);
        let printed = print(&doc);
        diagnostics.extend(printed.diagnostics);
        let suppressions = super::allow::suppressions(&doc, &text);
        Converted {
            source: text,
            printed: printed.text,
            map: printed.map,
            diagnostics,
            suppressions,
        }
    }

    /// The source span of `printed_span`, a span of the printed text.
    pub fn translate(&self, printed_span: Span) -> Span {
        match self
            .map
            .translate(printed_span.offset, printed_span.offset + printed_span.len)
        {
            Some(s) => Span {
                file: printed_span.file,
                ..s
            },
            None => printed_span,
        }
    }
}

/// Which files are KDL or YAML, by id.
type Cache = HashMap<FileId, Option<Arc<Converted>>>;

/// What [`FormatOpener::translate_batch`] remembers from batch to batch.
#[derive(Default)]
pub struct Translation {
    cache: Cache,
    /// The KDL and YAML files whose suppressions a batch handed out.
    handed: std::collections::HashSet<FileId>,
}

/// Serves KDL and YAML files as keepalived.conf (see the module documentation).
pub struct FormatOpener<'a> {
    inner: &'a (dyn FileOpener + Sync),
    converted: Mutex<HashMap<PathBuf, Arc<Converted>>>,
}

impl<'a> FormatOpener<'a> {
    /// Serves files from `inner`.
    pub fn new(inner: &'a (dyn FileOpener + Sync)) -> Self {
        FormatOpener {
            inner,
            converted: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, path: &str) -> Option<Arc<Converted>> {
        let map = self.converted.lock().ok()?;
        map.get(Path::new(path)).cloned()
    }

    fn lookup(
        &self,
        file: FileId,
        sources: &SourceMap,
        cache: &mut Cache,
    ) -> Option<Arc<Converted>> {
        cache
            .entry(file)
            .or_insert_with(|| sources.get(file).and_then(|f| self.get(&f.path)))
            .clone()
    }

    /// Whether any KDL or YAML file was read.
    pub fn used(&self) -> bool {
        self.converted.lock().is_ok_and(|m| !m.is_empty())
    }

    /// Moves the locations of `batch`'s lines and words from printed text to their source,
    /// and replaces the suppressions found in printed text by the documents' own.
    pub fn translate_batch(&self, batch: &mut Batch, sources: &SourceMap, t: &mut Translation) {
        if !self.used() {
            return;
        }
        let cache = &mut t.cache;
        batch
            .suppressions
            .retain(|s| self.lookup(s.comment.file, sources, cache).is_none());
        for (id, _) in &batch.files {
            if let Some(c) = self.lookup(*id, sources, cache)
                && t.handed.insert(*id)
            {
                batch
                    .suppressions
                    .extend(c.suppressions.iter().map(|s| in_file(s, *id)));
            }
        }
        let convs: Vec<Option<Arc<Converted>>> = batch
            .lines
            .iter()
            .map(|e| self.lookup(e.loc.file, sources, cache))
            .collect();
        if convs.iter().all(Option::is_none) {
            return;
        }
        let mut locs = vec![Span::default(); batch.words.len()];
        for (e, conv) in batch.lines.iter_mut().zip(&convs) {
            for w in e.words_start..e.words_end {
                let word = batch.words[w as usize];
                let (s, t) = (word.start - e.start, word.end - e.start);
                let printed_span = span_within(e.loc, e.exact, s, t);
                locs[w as usize] = match conv {
                    Some(c) => c.translate(printed_span),
                    None => printed_span,
                };
            }
            if let Some(c) = conv {
                e.loc = c.translate(e.loc);
                e.exact = false;
            }
        }
        batch.word_locs = locs;
    }

    /// Moves the locations the preprocessor reported to the source, keeps the source texts
    /// for rendering, and adds the problems found reading and printing KDL and YAML files and
    /// the suppressions of documents no batch handed out. Files before `first_new` were known
    /// before this run (an earlier host's): they are left alone.
    pub fn fix_outcome(&self, pre: &mut PreprocOutcome, first_new: usize, t: &Translation) {
        if !self.used() {
            return;
        }
        let mut cache = HashMap::new();
        let sources = pre.sources.clone();
        let mut fix = |span: &mut Span| {
            if let Some(c) = self.lookup(span.file, &sources, &mut cache) {
                *span = c.translate(*span);
            }
        };
        for d in &mut pre.diags {
            for l in &mut d.labels {
                fix(&mut l.span);
            }
            for e in d.fix.iter_mut().flat_map(|f| f.edits.iter_mut()) {
                fix(&mut e.span);
            }
        }
        for n in &mut pre.notes {
            match n {
                SourceNote::ExtraWords { span, .. }
                | SourceNote::LongLine { span, .. }
                | SourceNote::Semicolon { span, .. }
                | SourceNote::DroppedAddressSuffix { span, .. } => fix(span),
            }
        }
        fix(&mut pre.last_loc);
        // Suppressions come from the documents, not from the comments of the printed text.
        let mut printed = HashMap::new();
        pre.suppressions.retain(|s| {
            self.lookup(s.comment.file, &sources, &mut printed)
                .is_none()
        });
        let mut seen = std::collections::HashSet::new();
        let mut front = Vec::new();
        for (i, f) in pre.sources.files.iter_mut().enumerate().skip(first_new) {
            if let Some(inc) = &mut f.included_from {
                fix(inc);
            }
            let Some(c) = self.get(&f.path) else {
                continue;
            };
            f.text = Some(c.source.clone());
            let id = FileId(i as u32);
            if !t.handed.contains(&id) {
                pre.suppressions
                    .extend(c.suppressions.iter().map(|s| in_file(s, id)));
            }
            if seen.insert(f.path.clone()) {
                for d in &c.diagnostics {
                    let mut d = d.clone();
                    for l in &mut d.labels {
                        if l.span.file == PENDING {
                            l.span.file = id;
                        }
                    }
                    front.push(d);
                }
            }
        }
        front.append(&mut pre.diags);
        pre.diags = front;
    }
}

/// A suppression of a document, placed in the file `id` the preprocessor gave it.
fn in_file(s: &Suppression, id: FileId) -> Suppression {
    let mut s = s.clone();
    s.comment.file = id;
    s.removal.file = id;
    for r in &mut s.rules {
        r.span.file = id;
    }
    s
}

impl FileOpener for FormatOpener<'_> {
    fn entry(&self, path: &Path) -> Option<crate::conf::preproc::EntryKind> {
        self.inner.entry(path)
    }

    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        self.inner.list_dir(dir)
    }

    fn canonicalize(&self, path: &Path) -> PathBuf {
        self.inner.canonicalize(path)
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        self.inner.glob(pattern)
    }

    fn open(&self, path: &Path) -> std::io::Result<Box<dyn std::io::BufRead>> {
        let format = Format::of(path);
        if format == Format::Conf {
            return self.inner.open(path);
        }
        if let Some(c) = self.get(&path.to_string_lossy()) {
            return Ok(Box::new(std::io::Cursor::new(
                c.printed.clone().into_bytes(),
            )));
        }
        let mut bytes = Vec::new();
        self.inner.open(path)?.read_to_end(&mut bytes)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))?;
        let c = Arc::new(Converted::new(text, format));
        let printed = c.printed.clone();
        if let Ok(mut m) = self.converted.lock() {
            m.insert(PathBuf::from(path.to_string_lossy().into_owned()), c);
        }
        Ok(Box::new(std::io::Cursor::new(printed.into_bytes())))
    }
}
