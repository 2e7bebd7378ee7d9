//! Source locations.

use serde::{Deserialize, Serialize};

/// Index of a file in a [`SourceMap`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct FileId(pub u32);

/// A byte range in one source file, with the 1-based line it starts on.
///
/// Spans are compact (16 bytes) because the model keeps one per item; they are
/// never part of equality of model values that carry them (see [`crate::config`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// File the range is in.
    pub file: FileId,
    /// 1-based line number of the first byte.
    pub line: u32,
    /// Byte offset of the first byte from the start of the file.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

impl Span {
    /// A span of `len` bytes at `offset` on `line` of `file`.
    pub fn new(file: FileId, line: u32, offset: u32, len: u32) -> Self {
        Span {
            file,
            line,
            offset,
            len,
        }
    }

    /// The smallest span covering `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        if other.file != self.file {
            return self;
        }
        let start = self.offset.min(other.offset);
        let end = (self.offset + self.len).max(other.offset + other.len);
        Span {
            file: self.file,
            line: self.line.min(other.line),
            offset: start,
            len: end - start,
        }
    }
}

/// One file that took part in a compilation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Path as the user or the including file named it (used in messages).
    pub name: String,
    /// Path used to read it again when rendering diagnostics (absolute when known).
    pub path: String,
    /// The text, when the front end kept it (in-memory sources, KDL, YAML); `None` for
    /// keepalived.conf files, which are re-read only when a diagnostic is rendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The file and span of the `include` line that pulled this file in, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_from: Option<Span>,
}

/// The files of one compilation, indexed by [`FileId`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMap {
    /// Files in the order they were first read.
    pub files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId((self.files.len() - 1) as u32)
    }

    /// The file with id `id`, if any.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The include chain of `id`, innermost first: each entry is the span of an include line.
    pub fn include_chain(&self, id: FileId) -> Vec<Span> {
        let mut chain = Vec::new();
        let mut cur = self.get(id).and_then(|f| f.included_from);
        while let Some(span) = cur {
            if chain.len() > 64 {
                break;
            }
            chain.push(span);
            cur = self.get(span.file).and_then(|f| f.included_from);
        }
        chain
    }
}
