//! Mutation property test of the keepalived.conf front end (lexer, preprocessor, parser,
//! validation): take a `fixtures/check/*/keepalived.conf`, break it at random (delete a byte
//! range, duplicate, swap or cut lines, insert special bytes, keyword-like words, a `~SEQ` line,
//! a 2000-byte line) and parse it through an in-memory file opener.
//!
//! Required of every mutated input: no panic; parsing finishes (in [`PARSE_TIMEOUT`]); a rejected
//! configuration (`fails_check()`) has diagnostics; every diagnostic has a message and a
//! `kac::` code.
//!
//! 256 cases by default (`PROPTEST_CASES` overrides). The inputs the fuzzer (`fuzz/`) found
//! crashes with are kept in `fuzz/regressions/*.conf`: each is parsed as is, and they are also
//! starting points for the mutations.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use kac_compiler::Options;
use kac_compiler::conf::preproc::InMemory;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// How long one parse of a mutated fixture may take (a debug build parses one in milliseconds).
const PARSE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the in-memory entry file is; its directory does not exist, so relative includes match
/// nothing on the machine running the tests.
const ENTRY: &str = "/nonexistent-kac-mutate/keepalived.conf";

/// Inputs in `fuzz/regressions/` the compiler still fails on (panic, hang, memory blow-up),
/// from `fuzz/regressions/known-bugs.txt`: left out of [`regressions_parse_without_panic`] and of
/// the mutation seeds (and of the fuzz corpus), each has its own `#[ignore]`d test at the end of
/// this file, naming the bug, until the bug is fixed.
fn known_bugs() -> &'static [String] {
    static BUGS: OnceLock<Vec<String>> = OnceLock::new();
    BUGS.get_or_init(|| {
        let path = fuzz_dir().join("regressions").join("known-bugs.txt");
        std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    })
}

fn fuzz_dir() -> PathBuf {
    kac_tests::workspace_root().join("fuzz")
}

/// Reads `dir/*/keepalived.conf` (or `dir/*.conf` when `flat`), sorted by path.
fn read_confs(dir: &Path, flat: bool, skip: &[String]) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| {
            if flat {
                (p.extension().is_some_and(|e| e == "conf")).then_some(p)
            } else {
                Some(p.join("keepalived.conf")).filter(|c| c.is_file())
            }
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            !skip.iter().any(|s| name.as_deref() == Some(s.as_str()))
        })
        .map(|p| {
            let text = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), text)
        })
        .collect()
}

/// The fixtures plus the fuzz regressions that no longer panic, read once.
fn seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut all = read_confs(&kac_tests::fixtures_dir(), false, &[]);
        assert!(
            all.len() > 100,
            "fixtures/check has only {} cases",
            all.len()
        );
        all.extend(read_confs(
            &fuzz_dir().join("regressions"),
            true,
            known_bugs(),
        ));
        all
    })
}

/// Panics seen by the panic hook, as `message at file:line:col` (any thread: the compiler
/// preprocesses on a thread of its own).
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs (once) a panic hook that records where each panic happened, then calls the default
/// hook.
fn record_panics() {
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map_or_else(String::new, |l| format!(" at {l}"));
            let msg = panic_message(info.payload());
            if let Ok(mut v) = PANICS.lock() {
                v.push(format!("{msg}{at}"));
            }
            default(info);
        }));
    });
}

/// Parses `text` (with no config id, and with `lb1`) on a thread, and checks the invariants.
fn check(text: &[u8]) -> Result<(), String> {
    record_panics();
    let text = text.to_vec();
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("parse".into())
        .spawn(move || {
            let fs = InMemory::new(ENTRY, text);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut problems = Vec::new();
                for id in [None, Some("lb1")] {
                    let opts = Options {
                        config_id: id.map(str::to_string),
                        ..Options::default()
                    };
                    let parsed =
                        kac_compiler::parse_conf_with(&fs, &fs.path, "keepalived.conf", &opts);
                    if parsed.fails_check() && parsed.diagnostics.is_empty() {
                        problems.push(format!("id {id:?}: rejected without a diagnostic"));
                    }
                    for d in &parsed.diagnostics {
                        if d.message.is_empty() || !d.code.starts_with("kac::") {
                            problems.push(format!("id {id:?}: malformed diagnostic {d:?}"));
                        }
                    }
                }
                problems
            }));
            let _ = tx.send(result.map_err(|p| panic_message(p.as_ref())));
        })
        .map_err(|e| format!("cannot spawn the parse thread: {e}"))?;
    match rx.recv_timeout(PARSE_TIMEOUT) {
        Ok(Ok(problems)) if problems.is_empty() => {
            let _ = worker.join();
            Ok(())
        }
        Ok(Ok(problems)) => Err(problems.join("\n")),
        Ok(Err(msg)) => {
            let seen = PANICS.lock().map(|mut v| std::mem::take(&mut *v));
            let seen = seen.unwrap_or_default().join("; ");
            Err(format!(
                "the compiler panicked: {msg} (panics seen: {seen})"
            ))
        }
        // The thread is left running: it cannot be stopped, and the test fails anyway.
        Err(_) => Err(format!("parsing did not finish in {PARSE_TIMEOUT:?}")),
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic payload)".into())
}

/// Bytes worth inserting on their own: keepalived.conf's special characters.
const SPECIAL: &[u8] = b"{}\"#!$@~\\\n";

/// Words the front end reacts to, for "replace a word".
const KEYWORDS: &[&str] = &[
    "global_defs",
    "vrrp_instance",
    "vrrp_sync_group",
    "vrrp_script",
    "track_script",
    "track_interface",
    "virtual_server",
    "virtual_server_group",
    "real_server",
    "HTTP_GET",
    "SSL_GET",
    "TCP_CHECK",
    "MISC_CHECK",
    "BFD_CHECK",
    "bfd_instance",
    "url",
    "digest",
    "state",
    "MASTER",
    "BACKUP",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "authentication",
    "auth_type",
    "auth_pass",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "virtual_routes",
    "virtual_rules",
    "static_ipaddress",
    "static_routes",
    "unicast_peer",
    "nopreempt",
    "script",
    "script_user",
    "enable_script_security",
    "notify_master",
    "lb_algo",
    "lb_kind",
    "delay_loop",
    "weight",
    "include",
    "@lb1",
    "@^lb1",
    "$X=a b",
    "$X",
    "${X}",
    "${_INSTANCE}",
    "${_RANDOM 1 5}",
    "~SEQ(i,1,2)",
    "~LST(x,a,b)",
    "}",
    "{",
    "\"",
    "0",
    "-1",
    "4294967296",
    "1.5",
    "10.0.0.1/33",
    "fe80::1",
    "dev",
    "on",
    "off",
];

/// One random change. Positions are taken modulo the length of the text (or its line count) when
/// applied, so they shrink towards the start.
#[derive(Clone, Debug)]
enum Mutation {
    DeleteRange { at: usize, len: usize },
    DuplicateLine { line: usize },
    InsertByte { at: usize, byte: u8 },
    SwapLines { a: usize, b: usize },
    Truncate { at: usize },
    ReplaceWord { word: usize, with: String },
    InsertSeq { line: usize },
    InsertLongLine { line: usize, fill: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = 0usize..4096;
    let word = prop_oneof![
        proptest::sample::select(KEYWORDS).prop_map(str::to_string),
        "[a-z_@$~]{1,24}",
    ];
    prop_oneof![
        (pos.clone(), 1usize..64).prop_map(|(at, len)| Mutation::DeleteRange { at, len }),
        pos.clone()
            .prop_map(|line| Mutation::DuplicateLine { line }),
        (
            pos.clone(),
            prop_oneof![proptest::sample::select(SPECIAL), any::<u8>()]
        )
            .prop_map(|(at, byte)| Mutation::InsertByte { at, byte }),
        (pos.clone(), pos.clone()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        pos.clone().prop_map(|at| Mutation::Truncate { at }),
        (pos.clone(), word).prop_map(|(word, with)| Mutation::ReplaceWord { word, with }),
        pos.clone().prop_map(|line| Mutation::InsertSeq { line }),
        (
            pos,
            prop_oneof![Just(b'a'), Just(b' '), Just(b'{'), any::<u8>()]
        )
            .prop_map(|(line, fill)| Mutation::InsertLongLine { line, fill }),
    ]
}

/// Byte ranges of the lines of `text`, each with its `\n`.
fn line_ranges(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

/// The byte offset where line `line` (modulo the line count) starts.
fn line_start(text: &[u8], line: usize) -> usize {
    let lines = line_ranges(text);
    if lines.is_empty() {
        0
    } else {
        lines[line % lines.len()].0
    }
}

fn apply(text: &mut Vec<u8>, m: &Mutation) {
    let len = text.len();
    match m {
        Mutation::DeleteRange { at, len: n } => {
            if len > 0 {
                let at = at % len;
                let end = (at + n).min(len);
                text.drain(at..end);
            }
        }
        Mutation::DuplicateLine { line } => {
            let lines = line_ranges(text);
            if !lines.is_empty() {
                let (s, e) = lines[line % lines.len()];
                let mut copy = text[s..e].to_vec();
                if copy.last() != Some(&b'\n') {
                    copy.insert(0, b'\n');
                }
                text.splice(e..e, copy);
            }
        }
        Mutation::InsertByte { at, byte } => text.insert(at % (len + 1), *byte),
        Mutation::SwapLines { a, b } => {
            let lines = line_ranges(text);
            if lines.len() >= 2 {
                let (a, b) = (a % lines.len(), b % lines.len());
                let (a, b) = (a.min(b), a.max(b));
                if a != b {
                    let la = &lines[a];
                    let lb = &lines[b];
                    let mut out = Vec::with_capacity(len + 1);
                    out.extend_from_slice(&text[..la.0]);
                    out.extend_from_slice(&text[lb.0..lb.1]);
                    if out.last() != Some(&b'\n') {
                        out.push(b'\n');
                    }
                    out.extend_from_slice(&text[la.1..lb.0]);
                    out.extend_from_slice(&text[la.0..la.1]);
                    out.extend_from_slice(&text[lb.1..]);
                    *text = out;
                }
            }
        }
        Mutation::Truncate { at } => text.truncate(at % (len + 1)),
        Mutation::ReplaceWord { word, with } => {
            let words = word_ranges(text);
            if !words.is_empty() {
                let (s, e) = words[word % words.len()];
                text.splice(s..e, with.bytes());
            }
        }
        Mutation::InsertSeq { line } => {
            let at = line_start(text, *line);
            text.splice(at..at, b"~SEQ(i, 3) x $i\n".iter().copied());
        }
        Mutation::InsertLongLine { line, fill } => {
            let at = line_start(text, *line);
            let mut long = vec![*fill; 2000];
            long.push(b'\n');
            text.splice(at..at, long);
        }
    }
}

/// Byte ranges of the whitespace-separated words of `text`.
fn word_ranges(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &b) in text.iter().enumerate() {
        match (b.is_ascii_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        // Failures are minimised by hand into fuzz/regressions/, not persisted next to the tests.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_fixtures_parse_without_panic(
        seed in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let (name, text) = &seeds[seed.index(seeds.len())];
        let mut text = text.clone();
        for m in &mutations {
            apply(&mut text, m);
        }
        if let Err(e) = check(&text) {
            prop_assert!(
                false,
                "{e}\nseed: {name}\nmutated text:\n{}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}

/// Every input the fuzzer crashed on, parsed as is.
#[test]
fn regressions_parse_without_panic() {
    let mut failures = Vec::new();
    for (name, text) in read_confs(&fuzz_dir().join("regressions"), true, known_bugs()) {
        if let Err(e) = check(&text) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The mutations themselves do what they say.
#[test]
fn mutations_apply() {
    let base = b"a b\nc d\ne\n".to_vec();
    let run = |m: Mutation| {
        let mut t = base.clone();
        apply(&mut t, &m);
        String::from_utf8_lossy(&t).into_owned()
    };
    assert_eq!(run(Mutation::DeleteRange { at: 1, len: 2 }), "a\nc d\ne\n");
    assert_eq!(
        run(Mutation::DuplicateLine { line: 1 }),
        "a b\nc d\nc d\ne\n"
    );
    assert_eq!(run(Mutation::SwapLines { a: 0, b: 2 }), "e\nc d\na b\n");
    assert_eq!(run(Mutation::Truncate { at: 5 }), "a b\nc");
    assert_eq!(
        run(Mutation::ReplaceWord {
            word: 2,
            with: "vrrp_instance".into()
        }),
        "a b\nvrrp_instance d\ne\n"
    );
    assert_eq!(
        run(Mutation::InsertSeq { line: 1 }),
        "a b\n~SEQ(i, 3) x $i\nc d\ne\n"
    );
    assert_eq!(
        run(Mutation::InsertLongLine {
            line: 0,
            fill: b'x'
        })
        .len(),
        base.len() + 2001
    );
    let mut t = b"x".to_vec();
    apply(&mut t, &Mutation::SwapLines { a: 0, b: 1 });
    assert_eq!(t, b"x");
}

/// Every `known-bugs.txt` entry names a file that exists (so a rename does not silently drop it).
#[test]
fn known_bugs_exist() {
    let dir = fuzz_dir().join("regressions");
    for name in known_bugs() {
        assert!(
            dir.join(name).is_file(),
            "known-bugs.txt: no {}",
            dir.join(name).display()
        );
    }
}

/// Parses one `fuzz/regressions/` input, for the fixed-bug tests below.
fn regression(name: &str) {
    let path = fuzz_dir().join("regressions").join(name);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Err(e) = check(&text) {
        panic!("{name}: {e}");
    }
}

// Bugs found by fuzzing, fixed: each input must now parse within the time limit. A new bug goes
// into `fuzz/regressions/known-bugs.txt` with an `#[ignore = "bug: …"]` test until it is fixed.

/// `$A=~SEQ(i,1) $A` then `$A`: each sequence line expands to a new `~SEQ` line, so
/// `Preprocessor::next_line` (compiler/src/conf/preproc.rs) loops forever without returning a
/// line. Fixed: at most `MAX_GENERATED` lines come from one line of the file.
#[test]
fn fixed_hang_seq_in_self_referencing_def() {
    regression("hang-seq-in-self-referencing-def.conf");
}

/// `$M=a\` then `$M` (collected into the definition) then `$M`: the multi-line value's
/// second line is `$M` again, so `expand` queues it as a `Multiline` forever; the parser gets
/// an endless stream of `a` lines (one unknown-keyword diagnostic each, memory grows without
/// bound). Fixed: the same limit, and at most `MAX_DIAGNOSTICS` diagnostics are kept.
#[test]
fn fixed_hang_multiline_def_refers_to_itself() {
    regression("hang-multiline-def-refers-to-itself.conf");
}

/// `include {a,b}{a,b}…` (32 groups, 168 bytes): `include::expand_braces` builds all 2^32
/// alternatives in memory before looking at any of them (20 groups already take 2 s, 800 MB and
/// a million diagnostics). Fixed: at most `MAX_ALTERNATIVES` alternatives.
#[test]
fn fixed_oom_include_brace_explosion() {
    regression("oom-include-brace-explosion.conf");
}

/// `include /**/*.nothing`: the `glob` crate treats `**` as "any depth" (glob(3), which
/// keepalived uses, has no globstar: `**` is `*`), so `include::resolve` walks the whole real
/// file system (minutes, through /proc too). It also bypasses the `FileOpener`: include patterns
/// are globbed and `stat`ed on the real file system even when parsing from memory. Fixed: `**`
/// is `*`, as in glob(3).
#[test]
fn fixed_hang_include_globstar_root() {
    regression("hang-include-globstar-root.conf");
}
