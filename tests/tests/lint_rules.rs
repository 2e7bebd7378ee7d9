//! Every lint rule has documentation, a `bad.conf` and a `good.conf` under
//! `fixtures/lint/<rule>/`; the rule finds exactly the lines of `bad.conf` marked
//! `# expect: <rule>` and nothing in `good.conf`. RULES.md is generated from the docs
//! (`KAC_UPDATE_RULES=1 cargo test -p kac-tests --test lint_rules` rewrites it), site rules
//! included (their fixtures are tested by `site_rules.rs`).

use std::fmt::Write;
use std::path::Path;

use kac_compiler::Options;
use kac_tests::workspace_root;

const HEADINGS: &[&str] = &[
    "## What it does",
    "## Why is this bad",
    "## Example",
    "## Use instead",
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

/// The lines where `rule` reports, and a readable summary of its findings.
fn findings(conf: &Path, rule: &str) -> (Vec<u32>, String) {
    let opts = Options {
        config_id: Some("lb1".into()),
        ..Options::default()
    };
    let parsed = kac_compiler::parse_conf(conf, "keepalived.conf", &opts);
    let found = kac_lint_rules::run(&parsed.config, &|name| name == rule);
    let mut lines = Vec::new();
    let mut summary = String::new();
    for d in &found {
        let line = d.primary_span().map_or(0, |s| s.line);
        lines.push(line);
        let _ = writeln!(
            summary,
            "{}:{line} [{}] {}",
            d.severity.as_str(),
            d.code,
            d.message
        );
        if let Some(h) = &d.help {
            let _ = writeln!(summary, "    help: {h}");
        }
    }
    lines.sort_unstable();
    (lines, summary)
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
        let bad = dir.join(rule.name).join("bad.conf");
        let good = dir.join(rule.name).join("good.conf");
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
        let (got, summary) = findings(&bad, rule.name);
        if got != want {
            problems.push(format!(
                "{}: bad.conf: expected findings on lines {want:?}, got {got:?}\n{summary}",
                rule.name
            ));
        }
        insta::assert_snapshot!(format!("lint-{}", rule.name), summary);
        let (got, summary) = findings(&good, rule.name);
        if !got.is_empty() {
            problems.push(format!("{}: good.conf has findings:\n{summary}", rule.name));
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

/// RULES.md: every rule's documentation, generated.
fn rules_md() -> String {
    let mut out = String::from(
        "# kac lint rules\n\n<!-- generated from the rules' documentation by \
         `KAC_UPDATE_RULES=1 cargo test -p kac-tests --test lint_rules`; do not edit -->\n",
    );
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
