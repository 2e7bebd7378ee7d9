//! Fuzz target for the keepalived.conf front end: lexer, preprocessor, parser and validation.
//!
//! The input bytes are the entry file, served by an in-memory [`FileOpener`]; every other path
//! (includes) is `NotFound`. The entry file lives in a directory that does not exist, so relative
//! include globs match nothing on the machine running the fuzzer. Each input is parsed with no
//! config id and with `lb1` (`@lb1` lines, `${_INSTANCE}`). Parsing must never panic.

#![no_main]

use kac_compiler::Options;
use kac_compiler::conf::preproc::InMemory;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fs = InMemory::new("/nonexistent-kac-fuzz/keepalived.conf", data);
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
