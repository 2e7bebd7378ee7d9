//! The text of a file findings point into, read a window at a time: positions (columns, line
//! texts, snippets) need only the bytes around a span, and findings come mostly in file
//! order, so a large configuration is never read into memory as a whole (reading a 36 MB
//! file for its columns cost more than writing 200,000 findings).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// How many bytes one read brings in.
const CHUNK: usize = 1 << 20;

/// Where the bytes come from.
enum Backing {
    /// A text held in memory (standard input, a translated KDL or YAML file).
    Memory(Arc<str>),
    /// A file on disk and its length when opened.
    Disk { file: File, len: usize },
}

/// A file's bytes, with the window last read and a line count cursor.
pub struct FileText {
    backing: Backing,
    /// Offset of `window` in the file.
    start: usize,
    window: Vec<u8>,
    /// A line start and its 0-based number, where the last count ended.
    cursor: (usize, usize),
}

/// Whether `b` continues a UTF-8 sequence (is not the first byte of a character).
fn continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

impl FileText {
    /// A text held in memory.
    pub fn memory(text: Arc<str>) -> Self {
        FileText {
            backing: Backing::Memory(text),
            start: 0,
            window: Vec::new(),
            cursor: (0, 0),
        }
    }

    /// The file at `path`, if it can be opened.
    pub fn open(path: &str) -> Option<Self> {
        let file = File::open(path).ok()?;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        Some(FileText {
            backing: Backing::Disk { file, len },
            start: 0,
            window: Vec::new(),
            cursor: (0, 0),
        })
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        match &self.backing {
            Backing::Memory(t) => t.len(),
            Backing::Disk { len, .. } => *len,
        }
    }

    /// Bytes `lo..hi` (clamped to the file; empty when the file cannot be read any more).
    pub fn bytes(&mut self, lo: usize, hi: usize) -> &[u8] {
        let hi = hi.min(self.len());
        let lo = lo.min(hi);
        let FileText {
            backing,
            start,
            window,
            ..
        } = self;
        match backing {
            Backing::Memory(t) => &t.as_bytes()[lo..hi],
            Backing::Disk { file, len } => {
                if lo < *start || hi > *start + window.len() {
                    // Findings come mostly in file order: read ahead, with a little room back.
                    let from = lo.saturating_sub(CHUNK / 16);
                    let to = (from + CHUNK).max(hi).min(*len);
                    window.resize(to - from, 0);
                    if file.read_exact_at(window, from as u64).is_err() {
                        window.clear();
                        *start = 0;
                        return &[];
                    }
                    *start = from;
                }
                &window[lo - *start..hi - *start]
            }
        }
    }

    /// The largest character boundary at or before `offset` (clamped to the file).
    pub fn floor_char(&mut self, offset: usize) -> usize {
        let mut i = offset.min(self.len());
        while i > 0
            && self
                .bytes(i, i + 1)
                .first()
                .is_some_and(|b| continuation(*b))
        {
            i -= 1;
        }
        i
    }

    /// Where the line holding byte `offset` starts.
    pub fn line_start(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.len());
        let mut back = 4096;
        loop {
            let lo = offset.saturating_sub(back);
            let b = self.bytes(lo, offset);
            if let Some(i) = b.iter().rposition(|c| *c == b'\n') {
                return lo + i + 1;
            }
            if lo == 0 {
                return 0;
            }
            if b.len() < offset - lo {
                // Unreadable: the offset stands for its line.
                return offset;
            }
            back = back.saturating_mul(4);
        }
    }

    /// Where the line holding byte `offset` ends (its line break, or the end of the file).
    pub fn line_end(&mut self, offset: usize) -> usize {
        let len = self.len();
        let mut from = offset.min(len);
        loop {
            let to = (from + 4096).min(len);
            let b = self.bytes(from, to);
            if let Some(i) = b.iter().position(|c| *c == b'\n') {
                return from + i;
            }
            if to == len || b.is_empty() {
                return to;
            }
            from = to;
        }
    }

    /// 1-based column (in characters) of a byte offset.
    pub fn column(&mut self, offset: usize) -> u32 {
        let offset = self.floor_char(offset);
        let start = self.line_start(offset);
        let chars = self
            .bytes(start, offset)
            .iter()
            .filter(|b| !continuation(**b))
            .count();
        chars as u32 + 1
    }

    /// The number of line breaks in `lo..hi`.
    pub fn count_lines(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len());
        let mut at = lo.min(hi);
        let mut n = 0;
        while at < hi {
            let to = (at + CHUNK).min(hi);
            let b = self.bytes(at, to);
            if b.is_empty() {
                break;
            }
            n += b.iter().filter(|c| **c == b'\n').count();
            at += b.len();
        }
        n
    }

    /// 0-based line of a byte offset, counted from where the last count ended.
    pub fn line_of(&mut self, offset: usize) -> usize {
        let start = self.line_start(offset);
        let (at, line) = self.cursor;
        let line = if start >= at {
            line + self.count_lines(at, start)
        } else {
            line.saturating_sub(self.count_lines(start, at))
        };
        self.cursor = (start, line);
        line
    }

    /// The start of the line `n` lines before the one starting at `start` (fewer at the top
    /// of the file), and how many lines that is.
    pub fn lines_back(&mut self, mut start: usize, n: usize) -> (usize, usize) {
        let mut moved = 0;
        while moved < n && start > 0 {
            start = self.line_start(start - 1);
            moved += 1;
        }
        (start, moved)
    }

    /// The start of the line `n` lines after the one holding `offset` (the end of the file
    /// when there are fewer).
    pub fn lines_forward(&mut self, mut offset: usize, n: usize) -> usize {
        let len = self.len();
        for _ in 0..n {
            let end = self.line_end(offset);
            if end >= len {
                return len;
            }
            offset = end + 1;
        }
        offset
    }

    /// The text of `lo..hi` (invalid UTF-8 replaced).
    pub fn text(&mut self, lo: usize, hi: usize) -> String {
        String::from_utf8_lossy(self.bytes(lo, hi)).into_owned()
    }

    /// The bytes of the line holding byte `offset`, without its line break (`\n`).
    pub fn line_bytes(&mut self, offset: usize) -> &[u8] {
        let offset = self.floor_char(offset);
        let (start, end) = (self.line_start(offset), self.line_end(offset));
        self.bytes(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_disk(text: &str) -> (tempfile::TempDir, FileText) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.conf");
        std::fs::write(&path, text).expect("write");
        let f = FileText::open(&path.to_string_lossy()).expect("open");
        (dir, f)
    }

    #[test]
    fn positions_on_disk_match_positions_in_memory_across_windows() {
        // Lines longer than a read-back step and a file longer than one window.
        let mut text = String::new();
        for i in 0..40_000 {
            text.push_str(&format!("line {i} é {}\n", "x".repeat(i % 5000)));
        }
        let (_dir, mut disk) = on_disk(&text);
        let mut mem = FileText::memory(Arc::from(text.as_str()));
        assert!(disk.len() > 4 * CHUNK);
        let offsets = [
            0,
            7,
            9,
            10,
            4097,
            CHUNK + 3,
            3 * CHUNK + 11,
            text.len() - 2,
            1,
            5000,
        ];
        for &o in &offsets {
            let expect_start = text[..o].rfind('\n').map_or(0, |i| i + 1);
            let expect_line = text[..o].matches('\n').count();
            for f in [&mut disk, &mut mem] {
                assert_eq!(f.line_start(o), expect_start, "offset {o}");
                assert_eq!(f.line_of(o), expect_line, "offset {o}");
                assert_eq!(
                    f.column(o) as usize,
                    text[expect_start..o].chars().count() + 1
                );
                let end = text[o..].find('\n').map_or(text.len(), |i| o + i);
                assert_eq!(f.line_end(o), end, "offset {o}");
                assert_eq!(f.line_bytes(o), &text.as_bytes()[expect_start..end]);
            }
        }
        // Inside the two-byte `é`: the column of its first byte.
        let e = text.find('é').expect("é") + 1;
        assert_eq!(disk.column(e), mem.column(e - 1));
        assert_eq!(disk.lines_forward(0, 3), mem.lines_forward(0, 3));
        assert_eq!(disk.lines_back(CHUNK, 2), mem.lines_back(CHUNK, 2));
    }

    #[test]
    fn a_file_that_shrank_gives_empty_bytes_not_a_panic() {
        let (dir, mut f) = on_disk("a\nb\nc\n");
        std::fs::write(dir.path().join("f.conf"), "").expect("truncate");
        assert!(f.bytes(0, 4).is_empty());
        assert_eq!(f.column(3), 1);
        assert!(f.line_bytes(3).is_empty());
    }
}
