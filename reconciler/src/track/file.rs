//! `track_file`: an integer read from a file, re-read when the file changes.
//!
//! keepalived's reading (keepalived 2.2 `trackers/track_file.c`): the first 127 bytes are
//! parsed like C's `strtol(buf, NULL, 0)` — leading blanks, an optional sign, `0x` for
//! hexadecimal, a leading `0` for octal, digits up to the first other character; no digits
//! at all read as 0. A missing, unreadable or empty file reads as 0, and so does a file that
//! is deleted or moved away. A number outside C's `int` is ignored (the previous value
//! stays). The directory is watched (inotify: close-after-write, delete, moves), so editors
//! and `mv` replacing the file are seen; kac also re-reads the file every
//! [`FileTracker::reread`] in case an event was missed (network file systems, bind mounts).
//!
//! What the value does to an instance (weight, `reverse`, FAULT at −254) is in
//! [`super::priority`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::{Change, Kind, TrackValue};

/// How often a tracked file is re-read without an event.
pub const DEFAULT_REREAD: Duration = Duration::from_secs(5);

/// What reading a track file gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// A value (0 for a missing, empty or unreadable file).
    Value(i64),
    /// A number keepalived ignores (outside C's `int`): keep the previous value.
    Ignored,
}

/// Parses a track file's content as keepalived does.
pub fn parse_value(content: &[u8]) -> Reading {
    let content = &content[..content.len().min(127)];
    let text = String::from_utf8_lossy(content);
    let s = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if (s.starts_with("0x") || s.starts_with("0X"))
        && s[2..].starts_with(|c: char| c.is_ascii_hexdigit())
    {
        (16, &s[2..])
    } else if s.starts_with('0') {
        (8, s)
    } else {
        (10, s)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    let digits = &digits[..end];
    if digits.is_empty() {
        return Reading::Value(0);
    }
    let Ok(magnitude) = i128::from_str_radix(digits, radix) else {
        return Reading::Ignored; // longer than any i128: strtol's ERANGE
    };
    let value = if negative { -magnitude } else { magnitude };
    match i32::try_from(value) {
        Ok(v) => Reading::Value(i64::from(v)),
        Err(_) => Reading::Ignored,
    }
}

/// Reads a track file: 0 when it is missing, unreadable or empty.
pub fn read_value(path: &Path) -> Reading {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(path) else {
        return Reading::Value(0);
    };
    let mut buf = Vec::with_capacity(128);
    match f.take(127).read_to_end(&mut buf) {
        Ok(_) => parse_value(&buf),
        Err(_) => Reading::Value(0),
    }
}

/// A `track_file` tracker.
#[derive(Clone, Debug)]
pub struct FileTracker {
    /// The `track_file` name (the name of its [`Change`]s).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Re-read period without events.
    pub reread: Duration,
}

impl FileTracker {
    /// A tracker of `path` named `name`, re-read every [`DEFAULT_REREAD`].
    pub fn new(name: &str, path: impl Into<PathBuf>) -> FileTracker {
        FileTracker {
            name: name.to_string(),
            path: path.into(),
            reread: DEFAULT_REREAD,
        }
    }

    /// Runs until `tx` is closed (or the task is aborted): reports the initial value, then
    /// every change.
    pub async fn run(self, tx: mpsc::Sender<Change>) {
        let (ev_tx, mut ev_rx) = mpsc::unbounded_channel::<()>();
        // The watcher lives as long as this task. Without one (no such directory, inotify
        // limits), the periodic re-read still follows the file.
        let _watcher = self.watch(ev_tx);
        let mut last = match read_value(&self.path) {
            Reading::Value(v) => v,
            Reading::Ignored => 0,
        };
        let change = |v| Change {
            kind: Kind::File,
            name: self.name.clone(),
            value: TrackValue::File(v),
        };
        if tx.send(change(last)).await.is_err() {
            return;
        }
        let mut ticks = tokio::time::interval(self.reread);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        let mut events_open = true;
        loop {
            tokio::select! {
                () = tx.closed() => return,
                _ = ticks.tick() => {}
                ev = ev_rx.recv(), if events_open => {
                    // `None`: no watcher; the periodic re-read goes on.
                    events_open = ev.is_some();
                    while ev_rx.try_recv().is_ok() {}
                }
            }
            if let Reading::Value(v) = read_value(&self.path)
                && v != last
            {
                last = v;
                tracing::info!(track_file = %self.name, value = v, "track file value changed");
                if tx.send(change(v)).await.is_err() {
                    return;
                }
            }
        }
    }

    /// Starts [`FileTracker::run`] on the current tokio runtime.
    pub fn spawn(self, tx: mpsc::Sender<Change>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(tx))
    }

    /// Watches the file's directory; events about the file wake the tracker.
    fn watch(&self, ev_tx: mpsc::UnboundedSender<()>) -> Option<notify::RecommendedWatcher> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = self.path.file_name()?.to_os_string();
        let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res
                && ev.paths.iter().any(|p| p.file_name() == Some(&file_name))
            {
                let _ = ev_tx.send(());
            }
        })
        .map_err(|e| tracing::warn!("cannot watch track files: {e}"))
        .ok()?;
        match w.watch(&dir, RecursiveMode::NonRecursive) {
            Ok(()) => Some(w),
            Err(e) => {
                tracing::warn!(
                    track_file = %self.name,
                    "cannot watch {}: {e}; re-reading every {:?}",
                    dir.display(),
                    self.reread
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_like_parsing() {
        let cases: [(&str, Reading); 20] = [
            ("", Reading::Value(0)),
            ("\n", Reading::Value(0)),
            ("5", Reading::Value(5)),
            ("5\n", Reading::Value(5)),
            ("  -12 apples", Reading::Value(-12)),
            ("+7", Reading::Value(7)),
            ("0x1f", Reading::Value(31)),
            ("0X1F\n", Reading::Value(31)),
            ("010", Reading::Value(8)),
            ("09", Reading::Value(0)),
            ("0x", Reading::Value(0)),
            ("0xg", Reading::Value(0)),
            ("abc", Reading::Value(0)),
            ("-", Reading::Value(0)),
            ("12abc", Reading::Value(12)),
            ("2147483647", Reading::Value(2_147_483_647)),
            ("-2147483648", Reading::Value(-2_147_483_648)),
            ("2147483648", Reading::Ignored),
            (
                "99999999999999999999999999999999999999999999",
                Reading::Ignored,
            ),
            ("1.5", Reading::Value(1)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_value(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn only_the_first_127_bytes_count() {
        let mut text = " ".repeat(126);
        text.push_str("42");
        assert_eq!(parse_value(text.as_bytes()), Reading::Value(4));
    }

    #[test]
    fn missing_files_read_as_zero() {
        assert_eq!(
            read_value(Path::new("/nonexistent/kac-track")),
            Reading::Value(0)
        );
    }
}
