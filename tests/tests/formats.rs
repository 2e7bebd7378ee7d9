//! The three formats (keepalived.conf, KDL, YAML) mean the same: conversions keep every plan,
//! the keepalived.conf kac prints is accepted by the real keepalived wherever the original
//! was, `kac fmt` is idempotent, and the YAML kac writes matches the committed JSON Schema.
//!
//! * `round_trip_keeps_every_plan`: every `fixtures/check` case, every lint fixture and the
//!   example go keepalived.conf → KDL → YAML → keepalived.conf (the entry file, includes kept);
//!   each form compiles to the same plan (or the same diagnostics) for the case's config id.
//! * `recursive_conversion_keeps_every_plan`: cases with included files, converted with their
//!   includes (`convert_tree`), compile to the same plans in every format.
//! * `random_configurations_survive_every_format` (proptest): generated two-host
//!   configurations, printed in each format and read back, give the same plans for both hosts.
//! * `printed_conf_passes_keepalived_like_the_original` (root; skipped otherwise, failing under
//!   `KAC_REQUIRE_PRIVILEGED=1`): `keepalived -t` gives the printed keepalived.conf the verdict
//!   it gave the original, for every case.

use std::path::{Path, PathBuf};

use kac_compiler::conf::preproc::InMemory;
use kac_compiler::doc::convert::convert_tree;
use kac_compiler::doc::{Format, codes, print, read};
use kac_compiler::{Options, parse_conf, parse_conf_with};
use kac_schema::FileId;
use kac_tests::{OracleNamespace, check_cases, privileges, workspace_root};
use proptest::prelude::*;

/// What a configuration compiles to for one config id: the plan's JSON, or its diagnostics.
fn outcome(path: &Path, id: Option<&str>) -> String {
    let opts = Options {
        config_id: id.map(str::to_string),
        ..Options::default()
    };
    let parsed = parse_conf(path, &path.to_string_lossy(), &opts);
    summarize(&parsed, id)
}

fn summarize(parsed: &kac_compiler::Parsed, id: Option<&str>) -> String {
    if parsed.has_errors() {
        let mut d: Vec<String> = parsed
            .diagnostics
            .iter()
            .map(|d| format!("{} {:?} {}", d.code, d.severity, d.message))
            .collect();
        d.sort();
        return format!("errors:\n{}", d.join("\n"));
    }
    let plan = kac_compiler::lower::lower(&parsed.config, "host", id);
    serde_json::to_string_pretty(&plan).unwrap_or_default()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).expect("copy");
        }
    }
}

/// Converts `text` (in `from`) to `to`; `None` when it cannot be carried over.
fn convert(text: &str, from: Format, to: Format) -> Result<String, Vec<String>> {
    let (doc, diags) = read(text, from, FileId(0));
    let (out, more) = print(&doc, to);
    let problems: Vec<String> = diags
        .iter()
        .chain(&more)
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A configuration to round-trip: its directory, entry file and config ids.
struct Subject {
    name: String,
    dir: PathBuf,
    entry: String,
    ids: Vec<Option<String>>,
    /// keepalived rejects it: a converter may refuse it too (an unbalanced block, …).
    rejected: bool,
}

fn subjects() -> Vec<Subject> {
    let mut out = Vec::new();
    for c in check_cases().expect("fixtures/check") {
        out.push(Subject {
            name: format!("check/{}", c.name),
            dir: c.dir.clone(),
            entry: "keepalived.conf".into(),
            ids: vec![Some(c.case.config_id.clone())],
            rejected: c.case.keepalived.as_ref().is_some_and(|k| !k.accepts()),
        });
    }
    let lint = workspace_root().join("fixtures/lint");
    let mut rules: Vec<PathBuf> = std::fs::read_dir(&lint)
        .expect("fixtures/lint")
        .flatten()
        .map(|e| e.path())
        .collect();
    rules.sort();
    for dir in rules {
        for f in ["bad.conf", "good.conf"] {
            if dir.join(f).is_file() {
                let ids = kac_compiler::config_ids(&dir.join(f), &Default::default());
                out.push(Subject {
                    name: format!(
                        "lint/{}/{f}",
                        dir.file_name().unwrap_or_default().to_string_lossy()
                    ),
                    dir: dir.clone(),
                    entry: f.into(),
                    ids: if ids.is_empty() {
                        vec![None]
                    } else {
                        ids.into_iter().map(Some).collect()
                    },
                    rejected: false,
                });
            }
        }
    }
    out.push(Subject {
        name: "examples/two-lbs".into(),
        dir: workspace_root().join("examples/two-lbs"),
        entry: "keepalived.conf".into(),
        ids: vec![Some("lb1".into()), Some("lb2".into())],
        rejected: false,
    });
    out
}

/// Lint fixtures whose keepalived.conf a structured document cannot carry, and why.
const NOT_CARRIED: &[(&str, &str)] = &[(
    "lint/long-line/bad.conf",
    "a line longer than 1023 bytes, which keepalived splits",
)];

#[test]
fn round_trip_keeps_every_plan() {
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut not_carried = Vec::new();
    for s in subjects() {
        let tmp = tempfile::tempdir().expect("tempdir");
        copy_dir(&s.dir, tmp.path());
        let entry = tmp.path().join(&s.entry);
        let text = std::fs::read_to_string(&entry).expect("entry");
        let stem = s.entry.trim_end_matches(".conf");
        let chain = convert(&text, Format::Conf, Format::Kdl).and_then(|kdl| {
            let yaml = convert(&kdl, Format::Kdl, Format::Yaml)?;
            let conf = convert(&yaml, Format::Yaml, Format::Conf)?;
            Ok((kdl, yaml, conf))
        });
        let (kdl, yaml, conf) = match chain {
            Ok(x) => x,
            Err(problems) => {
                if !s.rejected {
                    not_carried.push(s.name.clone());
                }
                if !s.rejected && !NOT_CARRIED.iter().any(|(n, _)| *n == s.name) {
                    failures.push(format!(
                        "{}: not converted: {}",
                        s.name,
                        problems.join("; ")
                    ));
                }
                continue;
            }
        };
        let files = [
            (format!("{stem}.rt.kdl"), kdl),
            (format!("{stem}.rt.yaml"), yaml),
            (format!("{stem}.rt.conf"), conf),
        ];
        for (name, body) in &files {
            std::fs::write(tmp.path().join(name), body).expect("write");
        }
        for id in &s.ids {
            let want = outcome(&entry, id.as_deref());
            for (name, body) in &files {
                checked += 1;
                let got = outcome(&tmp.path().join(name), id.as_deref());
                if got != want {
                    failures.push(format!(
                        "{} -i {id:?}: {name} compiles differently\n--- {name}:\n{body}\n--- original:\n{}\n--- want:\n{}\n--- got:\n{}",
                        s.name,
                        text,
                        want.lines().take(20).collect::<Vec<_>>().join("\n"),
                        got.lines().take(20).collect::<Vec<_>>().join("\n"),
                    ));
                }
            }
        }
    }
    let expected: Vec<String> = NOT_CARRIED.iter().map(|(n, _)| (*n).to_string()).collect();
    assert_eq!(
        not_carried, expected,
        "the configurations keepalived accepts that cannot be carried over"
    );
    assert!(checked > 600, "only {checked} comparisons");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Cases whose include patterns use definitions: their files depend on the host, so
/// `convert_tree` cannot follow them (and says so).
const DYNAMIC_INCLUDES: &[&str] = &[
    "lex-def-builtin-instance",
    "lex-def-builtin-pwd",
    "lex-def-in-include-path",
];

#[test]
fn recursive_conversion_keeps_every_plan() {
    let mut failures = Vec::new();
    let mut dynamic = Vec::new();
    let mut trees = 0;
    for c in check_cases().expect("fixtures/check") {
        let has_includes = std::fs::read_dir(&c.dir)
            .expect("case dir")
            .flatten()
            .any(|e| e.file_name() != "keepalived.conf" && e.file_name() != "case.json");
        if !has_includes {
            continue;
        }
        let id = Some(c.case.config_id.as_str());
        let want = outcome(&c.conf(), id);
        let mut from = c.conf();
        for to in [Format::Kdl, Format::Yaml, Format::Conf] {
            let conversion = convert_tree(&from, to, &Default::default()).expect("readable");
            if conversion.failed() {
                if conversion.diagnostics.iter().all(|d| {
                    d.code == codes::NOT_CARRIED && d.message.contains("depends on definitions")
                }) {
                    dynamic.push(c.name.clone());
                } else {
                    failures.push(format!("{}: {:?}", c.name, conversion.diagnostics));
                }
                break;
            }
            let out = tempfile::tempdir().expect("tempdir").keep();
            for o in &conversion.outputs {
                let p = out.join(&o.relative);
                std::fs::create_dir_all(p.parent().unwrap_or(&out)).expect("dir");
                std::fs::write(&p, &o.text).expect("write");
            }
            // Files the configuration reads that are not configuration (none today) stay put.
            from = out.join(&conversion.outputs[0].relative);
            trees += 1;
            let got = outcome(&from, id);
            // An include error stays an error, but names the converted file.
            let both_fail = want.starts_with("errors") && got.starts_with("errors");
            if got != want && !both_fail {
                failures.push(format!(
                    "{} ({}): plans differ:\n{want}\n---\n{got}",
                    c.name,
                    to.name()
                ));
            }
        }
    }
    assert_eq!(
        dynamic, DYNAMIC_INCLUDES,
        "cases with host-dependent include patterns"
    );
    assert!(trees > 20, "only {trees} trees converted");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn fmt_is_idempotent_in_every_format() {
    let mut failures = Vec::new();
    for s in subjects() {
        let text = std::fs::read_to_string(s.dir.join(&s.entry)).expect("entry");
        for f in [Format::Conf, Format::Kdl, Format::Yaml] {
            let Ok(once) = convert(&text, Format::Conf, f) else {
                continue;
            };
            match convert(&once, f, f) {
                Ok(twice) if twice == once => {}
                Ok(twice) => failures.push(format!(
                    "{} ({}): formatting changes formatted text:\n{once}\n---\n{twice}",
                    s.name,
                    f.name()
                )),
                Err(p) => failures.push(format!("{} ({}): {p:?}", s.name, f.name())),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// Random configurations.

fn vip() -> impl Strategy<Value = String> {
    (
        1u8..5,
        prop::option::of(prop::sample::select(vec![
            "dev eth0",
            "dev eth1 label eth1:1",
            "scope link",
        ])),
    )
        .prop_map(|(n, opt)| match opt {
            Some(o) => format!("10.0.9.{n}/24 {o}"),
            None => format!("10.0.9.{n}/24"),
        })
}

/// A value for lb1 and lb2 (or for both).
fn per_host(kw: &'static str, a: String, b: String) -> impl Strategy<Value = Vec<String>> {
    prop::sample::select(vec![0u8, 1, 2]).prop_map(move |mode| match mode {
        0 => vec![format!("{kw} {a}")],
        1 => vec![format!("@lb1 {kw} {a}"), format!("@lb2 {kw} {b}")],
        _ => vec![format!("@lb1 {kw} {a}"), format!("@^lb1 {kw} {b}")],
    })
}

fn instance(i: usize) -> impl Strategy<Value = String> {
    (
        per_host("priority", "150".into(), "100".into()),
        per_host("state", "MASTER".into(), "BACKUP".into()),
        prop::collection::vec(vip(), 1..4),
        any::<bool>(),
        prop::sample::select(vec!["1", "2", "0.5"]),
        any::<bool>(),
    )
        .prop_map(move |(prio, state, vips, nopreempt, advert, track)| {
            let mut s = format!("# instance {i}\nvrrp_instance VI_{i} {{\n");
            for l in state.iter().chain(&prio) {
                s.push_str(&format!("    {l}\n"));
            }
            s.push_str(&format!(
                "    interface eth0\n    virtual_router_id {}\n    advert_int {advert}\n",
                50 + i
            ));
            if nopreempt {
                s.push_str("    nopreempt\n");
            }
            s.push_str("    virtual_ipaddress {\n");
            let mut seen = std::collections::HashSet::new();
            for v in vips {
                let addr = v.split(' ').next().unwrap_or_default().to_string();
                if seen.insert(addr) {
                    s.push_str(&format!("        {v}\n"));
                }
            }
            s.push_str("    }\n");
            if track {
                s.push_str("    track_script {\n        chk weight -10\n    }\n");
            }
            s.push_str("}\n");
            s
        })
}

fn virtual_server(i: usize) -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["rr", "wrr", "lc"]),
        1usize..4,
        any::<bool>(),
        prop::sample::select(vec!["TCP_CHECK {\n            connect_timeout 3\n        }", "HTTP_GET {\n            url {\n                path /healthz\n                status_code 200\n            }\n        }", "MISC_CHECK {\n            misc_path \"/bin/true arg\"\n        }"]),
    )
        .prop_map(move |(algo, n, seq, check)| {
            let mut s = format!(
                "virtual_server 192.0.2.{} 80 {{\n    lb_algo {algo}\n    lb_kind NAT\n    protocol TCP\n",
                10 + i
            );
            if seq {
                s.push_str(&format!(
                    "    ~SEQ(n, 1, {n}) real_server 10.1.{i}.$n 8080 {{ weight 1 }}\n"
                ));
            } else {
                for j in 1..=n {
                    s.push_str(&format!(
                        "    real_server 10.1.{i}.{j} 8080 {{\n        weight {j}\n        {check}\n    }}\n"
                    ));
                }
            }
            s.push_str("}\n");
            s
        })
}

fn configuration() -> impl Strategy<Value = String> {
    (
        per_host("router_id", "LB1".into(), "LB2".into()),
        prop::collection::vec(any::<bool>(), 1..4),
        prop::collection::vec(any::<bool>(), 0..3),
        any::<bool>(),
    )
        .prop_flat_map(|(rid, insts, vss, def)| {
            let insts: Vec<_> = (0..insts.len()).map(instance).collect();
            let vss: Vec<_> = (0..vss.len()).map(virtual_server).collect();
            (Just(rid), insts, vss, Just(def))
        })
        .prop_map(|(rid, insts, vss, def)| {
            let mut s = String::from("global_defs {\n");
            for l in rid {
                s.push_str(&format!("    {l}\n"));
            }
            s.push_str("    enable_script_security\n    script_user root\n}\n\n");
            if def {
                s.push_str("$CHECK=/bin/true\n");
            }
            s.push_str(&format!(
                "vrrp_script chk {{\n    script {}\n    interval 2\n}}\n\n",
                if def { "$CHECK" } else { "\"/bin/true\"" }
            ));
            for i in insts {
                s.push_str(&i);
            }
            for v in vss {
                s.push_str(&v);
            }
            s
        })
}

fn compile_text(text: &str, name: &str, id: &str) -> String {
    let mem = InMemory::new(name, text);
    let opts = Options {
        config_id: Some(id.to_string()),
        ..Options::default()
    };
    let parsed = parse_conf_with(&mem, Path::new(name), name, &opts);
    summarize(&parsed, Some(id))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_configurations_survive_every_format(conf in configuration()) {
        for id in ["lb1", "lb2"] {
            let want = compile_text(&conf, "k.conf", id);
            prop_assert!(!want.starts_with("errors"), "generated config is invalid:\n{conf}\n{want}");
            for (f, name) in [(Format::Kdl, "k.kdl"), (Format::Yaml, "k.yaml"), (Format::Conf, "k2.conf")] {
                let text = convert(&conf, Format::Conf, f).map_err(|p| TestCaseError::fail(format!("{p:?}\n{conf}")))?;
                let got = compile_text(&text, name, id);
                prop_assert_eq!(&got, &want, "{} form for {}:\n{}", f.name(), id, text);
                let again = convert(&text, f, f).map_err(|p| TestCaseError::fail(format!("{p:?}")))?;
                prop_assert_eq!(&again, &text, "formatting the {} form is not idempotent", f.name());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// keepalived -t on what kac prints.

#[test]
fn printed_conf_passes_keepalived_like_the_original() {
    const TEST: &str = "printed_conf_passes_keepalived_like_the_original";
    if let Some(reason) = privileges::skip_reason() {
        privileges::skip(TEST, &reason);
        return;
    }
    let ns = OracleNamespace::create().unwrap_or_else(|e| panic!("cannot create namespace: {e}"));
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in check_cases().expect("fixtures/check") {
        let Some(rec) = &c.case.keepalived else {
            continue;
        };
        let text = std::fs::read_to_string(c.conf()).expect("conf");
        let Ok(printed) = convert(&text, Format::Conf, Format::Kdl)
            .and_then(|k| convert(&k, Format::Kdl, Format::Yaml))
            .and_then(|y| convert(&y, Format::Yaml, Format::Conf))
        else {
            continue;
        };
        let tmp = tempfile::tempdir().expect("tempdir");
        copy_dir(&c.dir, tmp.path());
        std::fs::write(tmp.path().join("keepalived.conf"), &printed).expect("write");
        let mut case = c.clone();
        case.dir = tmp.path().to_path_buf();
        let live = match ns.keepalived_check(&case) {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!("{}: {e}", c.name));
                continue;
            }
        };
        checked += 1;
        if live.accepts() != rec.accepts() {
            failures.push(format!(
                "{}: keepalived {} the original but {} the printed keepalived.conf:\n{printed}\nstderr: {:?}",
                c.name,
                if rec.accepts() { "accepts" } else { "rejects" },
                if live.accepts() { "accepts" } else { "rejects" },
                live.stderr
            ));
        }
    }
    drop(ns);
    assert!(checked > 150, "only {checked} cases checked");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
