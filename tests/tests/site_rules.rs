//! Site lint rules (checks across the hosts of one site): every site rule has documentation
//! and a two-host fixture under `fixtures/site-lint/<rule>/` (a shared `keepalived.conf` whose
//! `@lb1`/`@lb2` lines make the two hosts) and a `good/` variant. `kac lint <dir> --format
//! json --select <rule>` must report exactly the lines marked `# expect: <rule>` (each marker
//! sits on a line of the host that is reported) and nothing in `good/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kac_tests::{kac_bin, workspace_root};

const HEADINGS: &[&str] = &[
    "## What it does",
    "## Why is this bad",
    "## Example",
    "## Use instead",
    "## References",
];

fn kac(args: &[&str]) -> Output {
    Command::new(kac_bin())
        .args(args)
        .current_dir(workspace_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run kac")
}

/// `kac lint <path> --format json --select <rule>`: exit code and diagnostics.
fn lint(path: &Path, rule: &str) -> (Option<i32>, Vec<serde_json::Value>) {
    let p = path.to_string_lossy();
    let out = kac(&["lint", &p, "--format", "json", "--select", rule]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "lint {p}: not one JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code(),
        v["diagnostics"].as_array().cloned().unwrap_or_default(),
    )
}

/// Every `(file, line)` under `dir` (not descending into `good/`) marked `# expect: rule`.
fn expected(dir: &Path, rule: &str) -> Vec<(PathBuf, u64)> {
    let marker = format!("# expect: {rule}");
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for f in entries {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for (i, l) in text.lines().enumerate() {
            if l.trim_end().ends_with(&marker) {
                out.push((f.clone(), i as u64 + 1));
            }
        }
    }
    out
}

/// The `(file, line)` of each finding, the file made absolute.
fn found(list: &[serde_json::Value]) -> Vec<(PathBuf, u64)> {
    let root = workspace_root();
    let mut out: Vec<(PathBuf, u64)> = list
        .iter()
        .map(|d| {
            let file = d["location"]["file"].as_str().unwrap_or("");
            let line = d["location"]["line"].as_u64().unwrap_or(0);
            (root.join(file), line)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_site_rule_has_docs_and_fixtures() {
    let dir = workspace_root().join("fixtures/site-lint");
    let mut problems = Vec::new();
    for rule in kac_lint_rules::site_registry() {
        for h in HEADINGS {
            if !rule.doc.contains(h) {
                problems.push(format!("{}: documentation lacks `{h}`", rule.name));
            }
        }
        let fixture = dir.join(rule.name);
        if !fixture.is_dir() || !fixture.join("good").is_dir() {
            problems.push(format!(
                "{}: missing fixtures/site-lint/{}/ or its good/ variant",
                rule.name, rule.name
            ));
        } else if expected(&fixture, rule.name).is_empty() {
            problems.push(format!(
                "{}: no `# expect: {}` marker in fixtures/site-lint/{}/",
                rule.name, rule.name, rule.name
            ));
        }
        if kac_lint_rules::find(rule.name).is_some() {
            problems.push(format!("{}: also a single-host rule", rule.name));
        }
    }
    for entry in std::fs::read_dir(&dir)
        .expect("fixtures/site-lint")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && kac_lint_rules::find_site(&name).is_none() {
            problems.push(format!("fixtures/site-lint/{name} names no site rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn site_rules_report_exactly_the_marked_lines() {
    let dir = workspace_root().join("fixtures/site-lint");
    let mut problems = Vec::new();
    for rule in kac_lint_rules::site_registry() {
        let fixture = dir.join(rule.name);
        if !fixture.is_dir() {
            continue; // reported by every_site_rule_has_docs_and_fixtures
        }
        let bad = fixture
            .strip_prefix(workspace_root())
            .unwrap_or(&fixture)
            .to_path_buf();
        let (code, list) = lint(&bad, rule.name);
        let want = expected(&fixture, rule.name);
        let got = found(&list);
        if got != want {
            problems.push(format!(
                "{}: expected findings at {want:?}, got {got:?}\n{list:#?}",
                rule.name
            ));
        }
        for d in &list {
            if d["code"] != rule.name {
                problems.push(format!("{}: unexpected code {}", rule.name, d["code"]));
            }
            let host = d["host"].as_str().unwrap_or("");
            let message = d["message"].as_str().unwrap_or("");
            if host.is_empty() {
                problems.push(format!("{}: finding without a host: {d}", rule.name));
            }
            if !(message.contains("lb1") && message.contains("lb2")) {
                problems.push(format!(
                    "{}: the message does not name both hosts: {message}",
                    rule.name
                ));
            }
            if d["help"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{}: finding without help", rule.name));
            }
            if d["severity"] != rule.level.as_str() {
                problems.push(format!(
                    "{}: severity {} instead of {}",
                    rule.name,
                    d["severity"],
                    rule.level.as_str()
                ));
            }
        }
        let want_code = if rule.level == kac_schema::Severity::Error {
            1
        } else {
            0
        };
        if code != Some(want_code) {
            problems.push(format!(
                "{}: exit code {code:?}, expected {want_code}",
                rule.name
            ));
        }
        let (code, list) = lint(&bad.join("good"), rule.name);
        if !list.is_empty() || code != Some(0) {
            problems.push(format!(
                "{}: good/ has findings (exit {code:?}):\n{list:#?}",
                rule.name
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn ignore_turns_site_rules_off() {
    let out = kac(&[
        "lint",
        "fixtures/site-lint/peer-vrid-mismatch",
        "--format",
        "json",
        "--ignore",
        "peer-vrid-mismatch",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let list = v["diagnostics"].as_array().cloned().unwrap_or_default();
    assert!(
        list.iter().all(|d| d["code"] != "peer-vrid-mismatch"),
        "{list:#?}"
    );
}

#[test]
fn one_config_id_is_no_site() {
    // `-i lb2` lints one host: there is no peer to compare with.
    let out = kac(&[
        "lint",
        "fixtures/site-lint/peer-vrid-mismatch",
        "--format",
        "json",
        "--select",
        "peer-vrid-mismatch",
        "-i",
        "lb2",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["diagnostics"], serde_json::json!([]));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn manifest_hosts_are_the_site() {
    // A site with a manifest: two hosts with a config file each.
    let tmp = tempfile::tempdir().expect("tempdir");
    let conf = |vrid: u8, prio: u8| {
        format!(
            "vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    virtual_ipaddress {{\n        192.0.2.10/24\n    }}\n}}\n"
        )
    };
    std::fs::write(tmp.path().join("a.conf"), conf(51, 150)).expect("write");
    std::fs::write(tmp.path().join("b.conf"), conf(52, 100)).expect("write");
    std::fs::write(
        tmp.path().join("kac.kdl"),
        "site \"t\"\nhost \"lb1\" config=\"a.conf\"\nhost \"lb2\" config=\"b.conf\"\n",
    )
    .expect("write");
    let (code, list) = lint(tmp.path(), "peer-vrid-mismatch");
    assert_eq!(code, Some(1), "{list:#?}");
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(list[0]["host"], "lb2");
    assert_eq!(list[0]["message"], "(VI_1) VRID 51 on lb1 but 52 on lb2");
    assert!(
        list[0]["location"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("b.conf")),
        "{list:#?}"
    );
    assert_eq!(list[0]["location"]["line"], 4);
}

#[test]
fn explain_finds_site_rules() {
    for rule in kac_lint_rules::site_registry() {
        let out = kac(&["explain", rule.name]);
        assert_eq!(out.status.code(), Some(0), "explain {}", rule.name);
        assert!(String::from_utf8_lossy(&out.stdout).contains("## What it does"));
    }
}

#[test]
fn the_examples_have_no_site_findings() {
    let out = kac(&["lint", "examples", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["diagnostics"], serde_json::json!([]));
    assert_eq!(out.status.code(), Some(0));
}
