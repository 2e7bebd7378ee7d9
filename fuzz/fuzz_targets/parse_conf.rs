//! Fuzz target for the keepalived.conf front end: lexer, preprocessor, parser and validation.
//!
//! The input bytes are the entry file, served by an in-memory [`FileOpener`]; every other path
//! (includes) is `NotFound`. The entry file lives in a directory that does not exist, so relative
//! include globs match nothing on the machine running the fuzzer. Each input is parsed with no
//! config id and with `lb1` (`@lb1` lines, `${_INSTANCE}`). Parsing must never panic.

#![no_main]

use std::io::{BufRead, Cursor, Error, ErrorKind};
use std::path::{Path, PathBuf};

use kac_compiler::Options;
use kac_compiler::conf::preproc::FileOpener;
use libfuzzer_sys::fuzz_target;

/// Serves `text` at `path`; everything else is not found.
struct MemFs {
    path: PathBuf,
    text: Vec<u8>,
}

impl FileOpener for MemFs {
    fn open(&self, path: &Path) -> std::io::Result<Box<dyn BufRead>> {
        if path == self.path {
            Ok(Box::new(Cursor::new(self.text.clone())))
        } else {
            Err(Error::new(ErrorKind::NotFound, "not in the fuzz input"))
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let fs = MemFs {
        path: PathBuf::from("/nonexistent-kac-fuzz/keepalived.conf"),
        text: data.to_vec(),
    };
    for id in [None, Some("lb1")] {
        let opts = Options {
            config_id: id.map(str::to_string),
            ..Options::default()
        };
        let parsed = kac_compiler::parse_conf_with(&fs, &fs.path, "keepalived.conf", &opts);
        // Touch the result so nothing is optimised away, and check the cheap invariants.
        if parsed.fails_check() {
            assert!(!parsed.diagnostics.is_empty());
        }
        for d in &parsed.diagnostics {
            assert!(!d.message.is_empty(), "empty message: {d:?}");
            assert!(d.code.starts_with("kac::"), "bad code: {d:?}");
        }
    }
});
