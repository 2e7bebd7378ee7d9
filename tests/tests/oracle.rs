//! `kac check` against the real `keepalived -t` (Debian's keepalived 2.2.7).
//!
//! Every directory in `fixtures/check/` is one case: `keepalived.conf` (the entry file), any
//! included files, and `case.json` with keepalived's *recorded* exit status and stderr (written by
//! `tests/oracle/record.sh`, never by hand). See `fixtures/check/README.md`.
//!
//! * `kac_check_agrees_with_recorded_keepalived_verdicts` (no root needed): `kac check` must accept
//!   exactly the cases keepalived accepts (exit 0 and empty stderr), except the cases whose
//!   `kac_differs` is set, where the verdicts must *disagree* (so a fixed difference is noticed).
//! * `live_keepalived_matches_recordings` (root only; prints `skipped: <reason>` otherwise, and
//!   fails instead when `KAC_REQUIRE_PRIVILEGED=1`): re-runs keepalived in a fresh network
//!   namespace and requires the recordings to be current.
//! * `fixtures_are_well_formed`, `readme_lists_exactly_the_cases_where_kac_differs`: bookkeeping.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use kac_tests::{
    CheckCase, OracleNamespace, check_cases, fixtures_dir, kac_bin, privileges, run_with_timeout,
};

/// How long one `kac check` or `keepalived -t` run may take.
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn cases() -> Vec<CheckCase> {
    let cases = check_cases().unwrap_or_else(|e| panic!("fixtures/check is broken:\n{e}"));
    assert!(
        !cases.is_empty(),
        "no cases in {}",
        fixtures_dir().display()
    );
    cases
}

fn verdict(accepts: bool) -> &'static str {
    if accepts { "accept" } else { "reject" }
}

/// Indent a block of text for a failure report, keeping at most `max` lines.
fn indented(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for line in lines.iter().take(max) {
        let _ = writeln!(out, "        {line}");
    }
    if lines.len() > max {
        let _ = writeln!(out, "        … {} more line(s)", lines.len() - max);
    }
    if lines.is_empty() {
        out.push_str("        (empty)\n");
    }
    out
}

#[test]
fn fixtures_are_well_formed() {
    let mut problems = Vec::new();
    for c in cases() {
        let name = &c.name;
        if !c.conf().is_file() {
            problems.push(format!("{name}: no keepalived.conf"));
        }
        if c.case.description.trim().is_empty() {
            problems.push(format!("{name}: empty description"));
        }
        if c.case.config_id.trim().is_empty() {
            problems.push(format!("{name}: empty config_id"));
        }
        if c.case
            .kac_differs
            .as_deref()
            .is_some_and(|why| why.trim().is_empty())
        {
            problems.push(format!("{name}: kac_differs must be null or say why"));
        }
        if !["err-", "lex-", "valid-"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            problems.push(format!("{name}: name must start with err-, lex- or valid-"));
        }
        let Some(rec) = &c.case.keepalived else {
            problems.push(format!(
                "{name}: keepalived's behaviour is not recorded: run tests/oracle/record.sh fixtures/check/{name}"
            ));
            continue;
        };
        // Naming convention (README.md): err-silent-* are mistakes keepalived -t accepts, every
        // other err-* case is rejected by keepalived.
        if name.starts_with("err-silent-") && !rec.accepts() {
            problems.push(format!(
                "{name}: err-silent-* cases must be accepted by keepalived"
            ));
        } else if name.starts_with("err-") && !name.starts_with("err-silent-") && rec.accepts() {
            problems.push(format!(
                "{name}: keepalived accepts this case; rename it err-silent-* or fix it"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "malformed cases:\n{}",
        problems.join("\n")
    );
}

#[test]
fn kac_check_agrees_with_recorded_keepalived_verdicts() {
    let kac = kac_bin();
    let interfaces = OracleNamespace::INTERFACES.join(",");
    let all = cases();
    let mut failures = Vec::new();
    for c in &all {
        let Some(rec) = &c.case.keepalived else {
            failures.push(format!(
                "{}: not recorded (run tests/oracle/record.sh)\n",
                c.name
            ));
            continue;
        };
        let keepalived_accepts = rec.accepts();
        let differs = c.case.kac_differs.is_some();
        let expected_accepts = keepalived_accepts != differs;
        let mut cmd = Command::new(&kac);
        cmd.args([
            "check",
            "keepalived.conf",
            "-i",
            &c.case.config_id,
            "--interfaces",
            &interfaces,
        ])
        .current_dir(&c.dir)
        .env("NO_COLOR", "1");
        let out = match run_with_timeout(&mut cmd, TIME_LIMIT) {
            Ok(out) => out,
            Err(e) => {
                failures.push(format!("{}: cannot run {}: {e}\n", c.name, kac.display()));
                continue;
            }
        };
        let code = out.shell_code();
        let got = match (out.timed_out, code) {
            (true, _) => Err(format!("timed out after {}s", TIME_LIMIT.as_secs())),
            (false, 0) => Ok(true),
            (false, 1) => Ok(false),
            (false, other) => Err(format!("exit {other} (kac check exits 0 valid, 1 invalid)")),
        };
        if got
            .as_ref()
            .is_ok_and(|&accepts| accepts == expected_accepts)
        {
            continue;
        }
        let got = match got {
            Ok(accepts) => format!("kac {}s (exit {code})", verdict(accepts)),
            Err(e) => format!("kac failed: {e}"),
        };
        let mut report = format!(
            "{}: expected kac to {} — keepalived {}s (exit {}, {} stderr line(s)){}; got: {got}\n",
            c.name,
            verdict(expected_accepts),
            verdict(keepalived_accepts),
            rec.exit,
            rec.stderr.len(),
            if differs {
                ", and kac_differs is set"
            } else {
                ""
            },
        );
        let _ = writeln!(report, "    description: {}", c.case.description);
        if !rec.stderr.is_empty() {
            report.push_str("    keepalived stderr:\n");
            report.push_str(&indented(&rec.stderr.join("\n"), 6));
        }
        report.push_str("    kac stderr:\n");
        report.push_str(&indented(&out.stderr, 30));
        failures.push(report);
    }
    assert!(
        failures.is_empty(),
        "`kac check` disagrees with keepalived -t on {} of {} case(s) \
         (kac: {} check keepalived.conf -i ID --interfaces {interfaces}):\n\n{}",
        failures.len(),
        all.len(),
        kac.display(),
        failures.join("\n")
    );
}

#[test]
fn live_keepalived_matches_recordings() {
    const TEST: &str = "live_keepalived_matches_recordings";
    if let Some(reason) = privileges::skip_reason() {
        privileges::skip(TEST, &reason);
        return;
    }
    let all = cases();
    let ns = OracleNamespace::create().unwrap_or_else(|e| panic!("cannot create namespace: {e}"));
    let mut stale = Vec::new();
    for c in &all {
        let live = match ns.keepalived_check(c) {
            Ok(live) => live,
            Err(e) => {
                stale.push(format!("{}: {e}\n", c.name));
                continue;
            }
        };
        if c.case.keepalived.as_ref() == Some(&live) {
            continue;
        }
        let mut report = format!("{}:\n", c.name);
        match &c.case.keepalived {
            None => report.push_str("    recorded: nothing (never recorded)\n"),
            Some(rec) => {
                let _ = writeln!(report, "    recorded: exit {}", rec.exit);
                report.push_str(&indented(&rec.stderr.join("\n"), 40));
            }
        }
        let _ = writeln!(report, "    live:     exit {}", live.exit);
        report.push_str(&indented(&live.stderr.join("\n"), 40));
        stale.push(report);
    }
    drop(ns);
    assert!(
        stale.is_empty(),
        "recordings differ from the live keepalived -t in {} of {} case(s); if keepalived \
         changed on purpose, re-record with `tests/oracle/record.sh fixtures/check/CASE`:\n\n{}",
        stale.len(),
        all.len(),
        stale.join("\n")
    );
}

/// The case names in the first column of the table below the heading "Where kac deliberately
/// differs from keepalived -t" in `fixtures/check/README.md`.
fn readme_differs_table(readme: &str) -> BTreeSet<String> {
    let mut in_section = false;
    let mut names = BTreeSet::new();
    for line in readme.lines() {
        if line.starts_with('#') {
            in_section = line.contains("Where kac deliberately differs");
            continue;
        }
        let Some(row) = line.trim().strip_prefix('|').filter(|_| in_section) else {
            continue;
        };
        let first = row.split('|').next().unwrap_or_default().trim();
        // Skip the header row and the `|---|` separator.
        if first.is_empty() || first.chars().all(|ch| matches!(ch, '-' | ':')) || first == "case" {
            continue;
        }
        // Accept `name`, [`name`](name/) and [name](name/).
        let name = first
            .trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or_default()
            .trim_matches('`')
            .to_owned();
        names.insert(name);
    }
    names
}

#[test]
fn readme_lists_exactly_the_cases_where_kac_differs() {
    let path = fixtures_dir().join("README.md");
    let readme = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let listed = readme_differs_table(&readme);
    let marked: BTreeSet<String> = cases()
        .into_iter()
        .filter(|c| c.case.kac_differs.is_some())
        .map(|c| c.name)
        .collect();
    assert_eq!(
        listed, marked,
        "the table \"Where kac deliberately differs from keepalived -t\" in fixtures/check/README.md \
         (left) must list exactly the cases whose case.json has a non-null kac_differs (right)"
    );
}

#[test]
fn readme_table_parser() {
    let text = "# Title\n| case | why |\n|---|---|\n| `not-this` | x |\n\
                ## Where kac deliberately differs from keepalived -t\n\n\
                | case | keepalived | kac | why |\n|:---|---|---|---|\n\
                | `err-a` | exit 0 | rejects | x |\n| [`lex-b`](lex-b/) | y | z | w |\n\n## Next\n| `no` | |\n";
    let names: Vec<String> = readme_differs_table(text).into_iter().collect();
    assert_eq!(names, ["err-a", "lex-b"]);
}
