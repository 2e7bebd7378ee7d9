//! The three formats of a configuration: keepalived.conf, KDL and YAML (docs/formats.md).
//!
//! All three read into one document model, [`kac_schema::doc::Doc`] (statements as keepalived's
//! words, with host conditions, definitions, sequences, includes and comments), and print from
//! it:
//!
//! * [`kdl_read`], [`yaml_read`], [`conf_read`]: text → document (with spans and comments).
//! * [`kdl_print`], [`yaml_print`], [`conf_print`]: document → canonical text.
//! * [`structure`]: keepalived words ↔ the structured forms (parameters and named options),
//!   driven by the keyword shapes of [`kac_schema::doc::shape`].
//! * [`eval`]: compiling KDL and YAML. A KDL or YAML file is printed as keepalived.conf and read
//!   by the keepalived.conf front end like any other file, with every location moved back to
//!   the KDL or YAML source, so plans and diagnostics (codes included) are the same in every
//!   format by construction.
//! * [`convert`]: a configuration, with its includes, from one format to another.
//! * [`host_conf`]: one host's configuration as one canonical keepalived.conf text
//!   (`kac plan --conf-diff`).

pub mod allow;
pub mod conf_print;
pub mod conf_read;
pub mod convert;
pub mod eval;
pub mod fix;
pub mod host_conf;
pub mod kdl_print;
pub mod kdl_read;
pub mod structure;
pub mod yaml_print;
pub mod yaml_read;

#[cfg(test)]
mod shape_coverage;

use std::path::Path;

use kac_schema::doc::Doc;
use kac_schema::{Diagnostic, FileId, Span};

/// Stable diagnostic codes of the KDL and YAML forms and of conversion (add, never rename).
pub mod codes {
    /// The text is not valid KDL.
    pub const KDL_SYNTAX: &str = "kac::kdl::syntax";
    /// The text is not valid YAML.
    pub const YAML_SYNTAX: &str = "kac::yaml::syntax";
    /// A property (KDL) or key (YAML) the statement does not have.
    pub const UNKNOWN_FIELD: &str = "kac::doc::unknown-field";
    /// A value of the wrong kind: a block where a value is expected, a list for a flag, …
    pub const WRONG_TYPE: &str = "kac::doc::wrong-type";
    /// A key written twice in one YAML mapping, or a property twice in one KDL node.
    pub const DUPLICATE_KEY: &str = "kac::doc::duplicate-key";
    /// A condition, definition, sequence or include written the wrong way.
    pub const INVALID_ITEM: &str = "kac::doc::invalid-item";
    /// Something the target format (keepalived.conf, KDL or YAML) cannot say.
    pub const NOT_REPRESENTABLE: &str = "kac::doc::not-representable";
    /// keepalived.conf whose meaning a structured document cannot carry (a definition that
    /// expands to part of a keyword, a host condition on half a block, …).
    pub const NOT_CARRIED: &str = "kac::convert::not-carried";
}

/// A configuration file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// keepalived.conf.
    Conf,
    /// KDL 2 (`.kdl`).
    Kdl,
    /// YAML 1.2 (`.yaml`, `.yml`).
    Yaml,
}

impl Format {
    /// The format of a file, by its extension (anything but `.kdl`, `.yaml`, `.yml` is
    /// keepalived.conf, as keepalived reads any file it is given).
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("kdl") => Format::Kdl,
            Some("yaml" | "yml") => Format::Yaml,
            _ => Format::Conf,
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Conf => "conf",
            Format::Kdl => "kdl",
            Format::Yaml => "yaml",
        }
    }

    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Conf => "keepalived.conf",
            Format::Kdl => "KDL",
            Format::Yaml => "YAML",
        }
    }
}

/// Reads `text` in `format` into a document (spans in `file`) and the problems found.
pub fn read(text: &str, format: Format, file: FileId) -> (Doc, Vec<Diagnostic>) {
    match format {
        Format::Kdl => kdl_read::read(text, file),
        Format::Yaml => yaml_read::read(text, file),
        Format::Conf => conf_read::read(text, file),
    }
}

/// Prints `doc` in `format`, with what the format cannot say.
pub fn print(doc: &Doc, format: Format) -> (String, Vec<Diagnostic>) {
    match format {
        Format::Kdl => kdl_print::print(doc),
        Format::Yaml => yaml_print::print(doc),
        Format::Conf => {
            let p = conf_print::print(doc);
            (p.text, p.diagnostics)
        }
    }
}

/// Byte offsets of line starts, for turning offsets into [`Span`]s.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
    file: FileId,
}

impl LineIndex {
    /// The index of `text` in `file`.
    pub fn new(text: &str, file: FileId) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            starts,
            len: text.len(),
            file,
        }
    }

    /// A span of `len` bytes at `offset`, clamped to the text.
    pub fn span(&self, offset: usize, len: usize) -> Span {
        let offset = offset.min(self.len);
        let len = len.min(self.len - offset);
        let line = self.starts.partition_point(|&s| s <= offset);
        Span::new(
            self.file,
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(offset).unwrap_or(u32::MAX),
            u32::try_from(len).unwrap_or(u32::MAX),
        )
    }

    /// The 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }

    /// The byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.len)
    }
}
