//! `kac convert`, `kac fmt` and `kac schema config` as a user runs them, and the diagnostics of
//! KDL and YAML configurations as a user sees them (insta snapshots of `kac check`).

use std::path::Path;
use std::process::{Command, Output};

use kac_tests::{kac_bin, privileges, workspace_root};

fn kac(args: &[&str], dir: &Path) -> Output {
    Command::new(kac_bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kac")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn kdl_and_yaml_diagnostics_as_rendered() {
    let dir = workspace_root().join("fixtures/formats/errors");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/formats/errors")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".kdl") || n.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    for f in files {
        let out = kac(
            &["check", &f, "-i", "lb1", "--interfaces", "eth0,eth1"],
            &dir,
        );
        assert_eq!(out.status.code(), Some(1), "{f} should be rejected");
        insta::assert_snapshot!(f.replace('.', "_"), text(&out.stderr));
    }
}

#[test]
fn convert_writes_the_examples() {
    // The KDL and YAML examples are what `kac convert --recursive` makes of the
    // keepalived.conf one (plus the schema comment of the YAML files).
    let root = workspace_root();
    for (to, ext, dir) in [
        ("kdl", "kdl", "two-lbs-kdl"),
        ("yaml", "yaml", "two-lbs-yaml"),
    ] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out_path = tmp.path().join(format!("keepalived.{ext}"));
        let out = kac(
            &[
                "convert",
                "examples/two-lbs/keepalived.conf",
                "--to",
                to,
                "--recursive",
                "-o",
                &out_path.to_string_lossy(),
            ],
            &root,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        for rel in [
            format!("keepalived.{ext}"),
            format!("conf.d/api.{ext}"),
            format!("conf.d/web.{ext}"),
        ] {
            let made = std::fs::read_to_string(tmp.path().join(&rel)).expect("converted file");
            let example = std::fs::read_to_string(root.join("examples").join(dir).join(&rel))
                .expect("example");
            let example: String = example
                .lines()
                .filter(|l| !l.starts_with("# yaml-language-server:"))
                .map(|l| format!("{l}\n"))
                .collect();
            assert_eq!(
                made, example,
                "examples/{dir}/{rel} is not what convert makes"
            );
        }
    }
}

#[test]
fn convert_exit_codes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::write(
        d.join("ok.conf"),
        "vrrp_instance A {\n    @lb1 priority 150\n}\n",
    )
    .expect("write");
    // Success: stdout, exit 0.
    let out = kac(&["convert", "ok.conf", "--to", "yaml"], d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "vrrp_instance A:\n  priority: {\"@lb1\": 150}\n"
    );
    // Something that cannot be carried over: exit 1, reported, nothing written.
    std::fs::write(
        d.join("partial.conf"),
        "$OPEN=vrrp_instance X {\n$OPEN\n    priority 1\n}\n",
    )
    .expect("write");
    let out = kac(
        &[
            "convert",
            "partial.conf",
            "--to",
            "kdl",
            "-o",
            "partial.kdl",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("kac::convert::not-carried"),
        "{}",
        text(&out.stderr)
    );
    assert!(!d.join("partial.kdl").exists());
    // Usage errors and unreadable input: exit 2.
    assert_eq!(
        kac(&["convert", "missing.conf", "--to", "kdl"], d)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        kac(&["convert", "ok.conf", "--to", "json"], d)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        kac(&["convert", "ok.conf", "--to", "kdl", "-r"], d)
            .status
            .code(),
        Some(2)
    );
    // -o writes the file.
    let out = kac(&["convert", "ok.conf", "--to", "kdl", "-o", "ok.kdl"], d);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(d.join("ok.kdl")).expect("written"),
        "vrrp_instance A {\n    @lb1 priority 150\n}\n"
    );
}

#[test]
fn fmt_check_names_the_files_and_fmt_fixes_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::write(
        d.join("a.conf"),
        "vrrp_instance A{\npriority   100 ! note\n}\n",
    )
    .expect("write");
    std::fs::write(d.join("b.kdl"), "vrrp_instance B {\n    priority 100\n}\n").expect("write");
    std::fs::write(d.join("c.yaml"), "vrrp_instance C: {priority: 100}\n").expect("write");
    std::fs::write(d.join("ci.yaml"), "jobs: {build: 1}\n").expect("write");
    let out = kac(&["fmt", "--check", "."], d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(
        listed.contains("a.conf") && listed.contains("c.yaml"),
        "{listed}"
    );
    assert!(
        !listed.contains("b.kdl") && !listed.contains("ci.yaml"),
        "{listed}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("a.conf")).expect("a"),
        "vrrp_instance A{\npriority   100 ! note\n}\n",
        "--check changes nothing"
    );
    let out = kac(&["fmt", "."], d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(d.join("a.conf")).expect("a"),
        "vrrp_instance A {\n    priority 100  # note\n}\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("c.yaml")).expect("c"),
        "vrrp_instance C:\n  priority: 100\n"
    );
    assert_eq!(kac(&["fmt", "--check", "."], d).status.code(), Some(0));
    // A file that cannot be read as a configuration: exit 1, left alone.
    std::fs::write(d.join("bad.kdl"), "vrrp_instance \"x\n").expect("write");
    let out = kac(&["fmt", "bad.kdl"], d);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("kac::kdl::syntax"));
}

/// YAML 1.2 as JSON, for the schema validator.
fn yaml_to_json(yaml: &str) -> serde_json::Value {
    serde_saphyr::from_str(yaml).expect("YAML")
}

#[test]
fn yaml_kac_writes_matches_the_json_schema() {
    const TEST: &str = "yaml_kac_writes_matches_the_json_schema";
    let root = workspace_root();
    // The YAML of the example and of every fixture keepalived accepts, as kac writes it.
    let mut docs = Vec::new();
    for f in ["keepalived.yaml", "conf.d/api.yaml", "conf.d/web.yaml"] {
        let t =
            std::fs::read_to_string(root.join("examples/two-lbs-yaml").join(f)).expect("example");
        docs.push((format!("examples/two-lbs-yaml/{f}"), yaml_to_json(&t)));
    }
    for c in kac_tests::check_cases().expect("fixtures") {
        // Mistakes keepalived accepts (`err-silent-*`, words it ignores) are the schema's to
        // catch: only sound configurations must match it.
        if !c.case.keepalived.as_ref().is_some_and(|k| k.accepts())
            || c.name.starts_with("err-silent-")
            || c.name == "lex-extra-words-ignored"
        {
            continue;
        }
        let t = std::fs::read_to_string(c.conf()).expect("conf");
        let (doc, diags) =
            kac_compiler::doc::read(&t, kac_compiler::doc::Format::Conf, kac_schema::FileId(0));
        if !diags.is_empty() {
            continue;
        }
        let (yaml, diags) = kac_compiler::doc::print(&doc, kac_compiler::doc::Format::Yaml);
        if diags.is_empty() {
            docs.push((c.name.clone(), yaml_to_json(&yaml)));
        }
    }
    let schema = kac_schema::config_schema_json();
    // Validated by Python's jsonschema (Debian: python3-jsonschema).
    let probe = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        let reason = "python3 with the jsonschema module is not installed".to_string();
        if std::env::var_os("KAC_REQUIRE_PRIVILEGED").is_some_and(|v| v == "1") {
            panic!("{TEST}: {reason}");
        }
        privileges::skip(TEST, &reason);
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("schema.json"), &schema).expect("schema");
    let all: Vec<serde_json::Value> = docs
        .iter()
        .map(|(n, d)| serde_json::json!({"name": n, "doc": d}))
        .collect();
    std::fs::write(
        tmp.path().join("docs.json"),
        serde_json::to_string(&all).expect("json"),
    )
    .expect("docs");
    let script = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
for d in json.load(open(sys.argv[2])):
    e = jsonschema.exceptions.best_match(v.iter_errors(d["doc"]))
    if e is not None:
        bad += 1
        print(d["name"], list(e.absolute_path), e.message[:300])
# A mistake the schema must catch.
wrong = {"vrrp_instance VI_1": {"priority": 300}}
if jsonschema.exceptions.best_match(v.iter_errors(wrong)) is None:
    bad += 1
    print("priority 300 passes the schema")
sys.exit(1 if bad else 0)
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(tmp.path().join("schema.json"))
        .arg(tmp.path().join("docs.json"))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{} of the YAML documents do not match schema/config.schema.json:\n{}{}",
        docs.len(),
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(docs.len() > 60, "only {} documents", docs.len());
}

#[test]
fn plan_and_lint_read_kdl_and_yaml_sites() {
    // `kac plan` between two git revisions of a YAML site, and `kac lint` of a directory with a
    // KDL configuration outside any site.
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path();
    let root = workspace_root();
    let cp = |from: &str, to: &str| {
        let (src, dst) = (root.join(from), repo.join(to));
        std::fs::create_dir_all(dst.parent().expect("parent")).expect("dir");
        std::fs::copy(src, dst).expect("copy");
    };
    for f in [
        "kac.yaml",
        "keepalived.yaml",
        "conf.d/api.yaml",
        "conf.d/web.yaml",
    ] {
        cp(&format!("examples/two-lbs-yaml/{f}"), &format!("site/{f}"));
    }
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=kac",
                "-c",
                "user.email=kac@example.invalid",
            ])
            .args(args)
            .current_dir(repo)
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "site"]);
    let conf = repo.join("site/keepalived.yaml");
    let t = std::fs::read_to_string(&conf).expect("yaml");
    std::fs::write(&conf, t.replacen("\"@lb1\": 150", "\"@lb1\": 160", 1)).expect("write");
    let out = kac(&["plan", "--format", "json"], repo);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(
        plan.contains("\"priority\"") && plan.contains("160"),
        "{plan}"
    );

    let dir = repo.join("loose");
    std::fs::create_dir_all(dir.join("conf.d")).expect("dir");
    for f in ["keepalived.kdl", "conf.d/api.kdl", "conf.d/web.kdl"] {
        cp(&format!("examples/two-lbs-kdl/{f}"), &format!("loose/{f}"));
    }
    std::fs::write(dir.join("ci.yaml"), "jobs: {build: 1}\n").expect("write");
    let out = kac(&["lint", "loose"], repo);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("kac lint: 1 configuration(s), 0 finding(s)"),
        "{}",
        text(&out.stderr)
    );
}
