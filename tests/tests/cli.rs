//! The `kac` command line as a user runs it: exit codes, outputs, determinism.

use std::process::Command;

use kac_tests::{kac_bin, workspace_root};

fn kac(args: &[&str]) -> std::process::Output {
    Command::new(kac_bin())
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("run kac")
}

#[test]
fn example_site_lints_clean() {
    let out = kac(&["lint", "examples/"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("0 finding(s)"), "{stderr}");
}

#[test]
fn compile_is_deterministic_and_per_host() {
    let a = kac(&["compile", "examples/two-lbs/keepalived.conf", "-i", "lb1"]);
    let b = kac(&["compile", "examples/two-lbs/keepalived.conf", "-i", "lb1"]);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(a.stdout, b.stdout, "two compiles of the same input differ");
    let plan: serde_json::Value = serde_json::from_slice(&a.stdout).expect("plan is JSON");
    assert_eq!(plan["plan_version"], 1);
    assert_eq!(plan["vrrp_instances"]["VI_WEB"]["priority"], 150);
    assert_eq!(plan["vrrp_instances"]["VI_WEB"]["state"], "MASTER");
    let lb2 = kac(&["compile", "examples/two-lbs/keepalived.conf", "-i", "lb2"]);
    let plan2: serde_json::Value = serde_json::from_slice(&lb2.stdout).expect("plan is JSON");
    assert_eq!(plan2["vrrp_instances"]["VI_WEB"]["priority"], 100);
    assert_eq!(plan2["vrrp_instances"]["VI_WEB"]["state"], "BACKUP");
    // The ~SEQ-generated real servers of the API service are all there, sorted.
    let api = plan2["virtual_servers"]
        .as_array()
        .and_then(|v| v.iter().find(|s| s["key"]["addr"]["port"] == 443))
        .expect("API service");
    let rs: Vec<&str> = api["real_servers"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["addr"].as_str())
        .collect();
    assert_eq!(rs, vec!["10.0.2.21", "10.0.2.22", "10.0.2.23"]);
}

#[test]
fn compile_asks_for_a_config_id_when_ambiguous() {
    let out = kac(&["compile", "examples/two-lbs/keepalived.conf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-i ID"));
}

#[test]
fn check_missing_file_is_a_usage_error() {
    let out = kac(&["check", "does/not/exist.conf"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_reports_json_with_locations() {
    let case = "fixtures/check/err-vrid-out-of-range/keepalived.conf";
    if !workspace_root().join(case).exists() {
        return;
    }
    let out = kac(&[
        "check",
        case,
        "-i",
        "lb1",
        "--interfaces",
        "lo,eth0,eth1,eth2,eth3",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["version"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "kac::conf::out-of-range");
    assert!(d["location"]["line"].as_u64().is_some_and(|l| l > 1));
    assert!(d["location"]["column"].as_u64().is_some_and(|c| c > 1));
}

#[test]
fn lint_formats_are_machine_readable() {
    for f in ["json", "sarif"] {
        let out = kac(&["lint", "examples/", "--format", f]);
        assert_eq!(out.status.code(), Some(0));
        for doc in String::from_utf8_lossy(&out.stdout)
            .split("\n}\n")
            .filter(|s| !s.trim().is_empty())
        {
            let text = format!("{doc}\n}}");
            serde_json::from_str::<serde_json::Value>(text.trim_end_matches("}\n}").trim()).ok();
        }
    }
    let out = kac(&[
        "lint",
        "fixtures/check/err-unknown-keyword-instance/keepalived.conf",
        "--format",
        "github",
    ]);
    if out.status.code() == Some(1) {
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("::error file="));
    }
}

#[test]
fn explain_prints_rule_docs() {
    let out = kac(&["explain", "extra-words"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("## Why is this bad"));
    assert_eq!(kac(&["explain", "no-such-rule"]).status.code(), Some(2));
}
