//! Every lint rule has documentation and fixtures under `fixtures/lint/<rule>/`: a `bad.conf`
//! whose findings of the rule are exactly the lines marked `# expect: <rule>`, and a
//! `good.conf` with none. The findings of `bad.conf` are snapshotted (`lint-<rule>.snap`).
//!
//! A rule that needs the site manifest's data (interfaces, subnets, the repository) has a
//! site fixture instead: `kac.kdl` names the hosts `bad` (running `bad.conf`) and `good`
//! (running `good.conf`), and the directory is linted with `kac lint --format json --select
//! <rule>` in a copy where the file `modes` (lines `PATH OCTAL-MODE`) sets permissions that git
//! does not keep.
//!
//! RULES.md is generated from the docs (`KAC_UPDATE_RULES=1 cargo test -p kac-tests --test
//! lint_rules` rewrites it), site rules included (their fixtures are tested by `site_rules.rs`).

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

use kac_compiler::Options;
use kac_lint_rules::{Facts, Selection};
use kac_tests::{kac_bin, workspace_root};

const HEADINGS: &[&str] = &[
    "## What it does",
    "## Why is this bad",
    "## Example",
    "## Use instead",
    "## References",
];

/// The 1-based lines of `text` that carry `# expect: rule`.
fn expected_lines(text: &str, rule: &str) -> Vec<u32> {
    let marker = format!("# expect: {rule}");
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().ends_with(&marker))
        .map(|(i, _)| i as u32 + 1)
        .collect()
}

/// One finding, as the summary shows it.
struct Found {
    line: u32,
    text: String,
}

fn summarize(found: &[Found]) -> (Vec<u32>, String) {
    let mut lines: Vec<u32> = found.iter().map(|f| f.line).collect();
    lines.sort_unstable();
    let summary = found.iter().map(|f| f.text.as_str()).collect();
    (lines, summary)
}

fn describe(
    line: u32,
    severity: &str,
    code: &str,
    message: &str,
    help: Option<&str>,
    fix: Option<String>,
) -> String {
    let mut s = format!("{severity}:{line} [{code}] {message}\n");
    if let Some(h) = help {
        let _ = writeln!(s, "    help: {h}");
    }
    if let Some(f) = fix {
        let _ = writeln!(s, "    fix: {f}");
    }
    s
}

/// The findings of `rule` in `conf` (one host, config id `lb1`), in process.
fn findings(conf: &Path, rule: &str) -> (Vec<u32>, String) {
    let opts = Options {
        config_id: Some("lb1".into()),
        ..Options::default()
    };
    let parsed = kac_compiler::parse_conf(conf, "keepalived.conf", &opts);
    // Every rule runs (a suppression is unused only when its rule ran); the rule's own
    // findings are kept.
    let sel = Selection::default();
    let facts = Facts {
        host: Some("lb1"),
        ..Facts::default()
    };
    let sources = &parsed.sources;
    let path_of = |s: kac_schema::Span| {
        sources
            .get(s.file)
            .map_or(String::new(), |f| f.path.clone())
    };
    let found = kac_lint_rules::lint_host(
        facts,
        &parsed.config,
        parsed.diagnostics.clone(),
        &sel,
        &path_of,
    );
    let found: Vec<Found> = found
        .iter()
        .filter(|d| d.code == rule)
        .map(|d| {
            let line = d.primary_span().map_or(0, |s| s.line);
            let fix = d.fix.as_ref().map(|f| {
                let edits: Vec<String> = f
                    .edits
                    .iter()
                    .map(|e| format!("{}+{} -> {:?}", e.span.line, e.span.len, e.replacement))
                    .collect();
                format!(
                    "{} ({:?}): {}",
                    f.message,
                    f.applicability,
                    edits.join(", ")
                )
            });
            Found {
                line,
                text: describe(
                    line,
                    d.severity.as_str(),
                    &d.code,
                    &d.message,
                    d.help.as_deref(),
                    fix,
                ),
            }
        })
        .collect();
    summarize(&found)
}

/// Copies a site fixture to a temporary directory, applying its `modes` file.
fn site_copy(dir: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(dir, tmp.path());
    if let Ok(modes) = std::fs::read_to_string(dir.join("modes")) {
        use std::os::unix::fs::PermissionsExt;
        for l in modes.lines().filter(|l| !l.trim().is_empty()) {
            let (path, mode) = l.split_once(' ').expect("modes: PATH MODE");
            let mode = u32::from_str_radix(mode.trim(), 8).expect("octal mode");
            std::fs::set_permissions(tmp.path().join(path), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
    }
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("read fixture").flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// The findings of `rule` per host (`bad`, `good`) of a site fixture, through the CLI.
fn site_findings(dir: &Path, rule: &str) -> (Vec<u32>, String, Vec<String>) {
    let tmp = site_copy(dir);
    let out = Command::new(kac_bin())
        .args(["lint", ".", "--format", "json", "--select", rule])
        .current_dir(tmp.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run kac");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{rule}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut bad = Vec::new();
    let mut other = Vec::new();
    for d in v["diagnostics"].as_array().cloned().unwrap_or_default() {
        let line = d["location"]["line"].as_u64().unwrap_or(0) as u32;
        let fix = d["fix"]["message"].as_str().map(str::to_string);
        let text = describe(
            line,
            d["severity"].as_str().unwrap_or(""),
            d["code"].as_str().unwrap_or(""),
            d["message"].as_str().unwrap_or(""),
            d["help"].as_str(),
            fix,
        );
        if d["host"] == "bad"
            && d["location"]["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("bad.conf"))
        {
            bad.push(Found { line, text });
        } else {
            other.push(format!("{d}"));
        }
    }
    // `kac lint` streams the virtual servers' findings first: describe them by line.
    bad.sort_by_key(|f| f.line);
    let (lines, summary) = summarize(&bad);
    (lines, summary, other)
}

#[test]
fn every_rule_has_docs_and_fixtures_that_it_passes() {
    let dir = workspace_root().join("fixtures/lint");
    let mut problems = Vec::new();
    for rule in kac_lint_rules::registry() {
        for h in HEADINGS {
            if !rule.doc.contains(h) {
                problems.push(format!("{}: documentation lacks `{h}`", rule.name));
            }
        }
        let fixture = dir.join(rule.name);
        let bad = fixture.join("bad.conf");
        let good = fixture.join("good.conf");
        let (Ok(bad_text), true) = (std::fs::read_to_string(&bad), good.is_file()) else {
            problems.push(format!(
                "{}: missing fixtures/lint/{}/bad.conf or good.conf",
                rule.name, rule.name
            ));
            continue;
        };
        let want = expected_lines(&bad_text, rule.name);
        if want.is_empty() {
            problems.push(format!(
                "{}: bad.conf has no `# expect: {}` marker",
                rule.name, rule.name
            ));
        }
        let site = fixture.join("kac.kdl").is_file();
        if rule.needs != kac_lint_rules::Needs::Nothing && !site {
            problems.push(format!(
                "{}: needs manifest data ({:?}): fixtures/lint/{}/kac.kdl must name hosts `bad` and `good`",
                rule.name, rule.needs, rule.name
            ));
            continue;
        }
        let (got, summary) = if site {
            let (got, summary, other) = site_findings(&fixture, rule.name);
            if !other.is_empty() {
                problems.push(format!(
                    "{}: findings outside bad.conf of host `bad`:\n{}",
                    rule.name,
                    other.join("\n")
                ));
            }
            (got, summary)
        } else {
            findings(&bad, rule.name)
        };
        if got != want {
            problems.push(format!(
                "{}: bad.conf: expected findings on lines {want:?}, got {got:?}\n{summary}",
                rule.name
            ));
        }
        for line in summary.lines().filter(|l| !l.starts_with(' ')) {
            if !line.contains(&format!("[{}]", rule.name)) {
                problems.push(format!("{}: finding with another code: {line}", rule.name));
            }
        }
        insta::assert_snapshot!(format!("lint-{}", rule.name), summary);
        if !site {
            let (got, summary) = findings(&good, rule.name);
            if !got.is_empty() {
                problems.push(format!("{}: good.conf has findings:\n{summary}", rule.name));
            }
        }
    }
    for entry in std::fs::read_dir(&dir).expect("fixtures/lint").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && kac_lint_rules::find(&name).is_none() {
            problems.push(format!("fixtures/lint/{name} names no rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn there_are_at_least_forty_rules() {
    let n = kac_lint_rules::all_names().len();
    assert!(n >= 40, "{n} rules");
}

/// RULES.md: every rule's documentation, generated.
fn rules_md() -> String {
    let mut out = String::from(
        "# kac lint rules\n\n<!-- generated from the rules' documentation by \
         `KAC_UPDATE_RULES=1 cargo test -p kac-tests --test lint_rules`; do not edit -->\n",
    );
    let _ = write!(
        out,
        "\n{} rules: {} over one host, {} across the hosts of a site. Levels can be changed and \
         rules turned off per site (`lint` in the site manifest) or per run (`--select`, \
         `--ignore`); findings can be suppressed inline (`# kac: allow(RULE)`); see \
         docs/lint.md.\n",
        kac_lint_rules::all_names().len(),
        kac_lint_rules::registry().len(),
        kac_lint_rules::site_registry().len()
    );
    out.push_str("\n| rule | level | scope |\n| --- | --- | --- |\n");
    for rule in kac_lint_rules::registry() {
        let scope = match rule.needs {
            kac_lint_rules::Needs::Nothing => "host",
            kac_lint_rules::Needs::Interfaces | kac_lint_rules::Needs::Subnets => {
                "host, with the manifest's interfaces"
            }
            kac_lint_rules::Needs::Repository => "host, with the site's repository",
        };
        let _ = writeln!(
            out,
            "| [`{0}`](#{0}) | {1} | {scope} |",
            rule.name,
            rule.level.as_str()
        );
    }
    for rule in kac_lint_rules::site_registry() {
        let _ = writeln!(
            out,
            "| [`{0}`](#{0}) | {1} | site |",
            rule.name,
            rule.level.as_str()
        );
    }
    for rule in kac_lint_rules::registry() {
        let _ = write!(
            out,
            "\n# `{}` ({})\n\n{}\n",
            rule.name,
            rule.level.as_str(),
            rule.doc.trim()
        );
    }
    out.push_str(
        "\n# Site rules\n\nThese rules compare the hosts of one site (the hosts of a manifest, \
         or without one the config ids of one shared keepalived.conf). VRRP instances with the \
         same name on different hosts are peers.\n",
    );
    for rule in kac_lint_rules::site_registry() {
        let _ = write!(
            out,
            "\n# `{}` ({}, site)\n\n{}\n",
            rule.name,
            rule.level.as_str(),
            rule.doc.trim()
        );
    }
    out
}

#[test]
fn rules_md_is_current() {
    let path = workspace_root().join("lint-rules/RULES.md");
    let fresh = rules_md();
    if std::env::var_os("KAC_UPDATE_RULES").is_some() {
        std::fs::write(&path, &fresh).expect("write RULES.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "lint-rules/RULES.md is stale: run `KAC_UPDATE_RULES=1 cargo test -p kac-tests --test lint_rules`"
    );
}
