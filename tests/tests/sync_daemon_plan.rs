//! `lvs_sync_daemon` in the plan, as `kac compile` prints it: every way keepalived 2.2 accepts
//! it (named options, the legacy positional `IF VI ID`, a `vrrp_instance`'s older
//! `lvs_sync_daemon_interface`), the VRID as the default sync id, no sync daemon for a missing
//! instance (with advice), and the same plan from the KDL and YAML forms (`kac convert`).

use std::path::Path;
use std::process::{Command, Output};

use kac_tests::kac_bin;

fn kac(args: &[&str], dir: &Path) -> Output {
    Command::new(kac_bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kac")
}

const INSTANCE: &str = "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.50/24\n  }\n}\n";

/// The plan's `global.lvs_sync_daemon` and the diagnostics (`severity code: message`) of a
/// configuration made of `global` (global_defs lines) and `instance_extra` (lines added to
/// VI_1).
fn compile(global: &str, instance_extra: &str) -> (serde_json::Value, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "global_defs {{\n{global}\n}}\n{}",
        INSTANCE.replace(
            "  priority 100\n",
            &format!("  priority 100\n{instance_extra}")
        )
    );
    std::fs::write(dir.path().join("keepalived.conf"), &text).expect("write");
    let out = kac(&["compile", "keepalived.conf"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    let check = kac(
        &["check", "--format", "json", "keepalived.conf"],
        dir.path(),
    );
    let diags: serde_json::Value = serde_json::from_slice(&check.stdout).expect("check JSON");
    let lines = diags["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|d| {
            format!(
                "{} {}: {}",
                d["severity"].as_str().unwrap_or(""),
                d["code"].as_str().unwrap_or(""),
                d["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    (plan["global"]["lvs_sync_daemon"].clone(), lines)
}

#[test]
fn every_form_lowers_to_one_plan_item() {
    let mut out = String::new();
    for (name, global, extra) in [
        (
            "named options",
            "  lvs_sync_daemon eth1 inst VI_1 id 7 maxlen 1400 port 8850 ttl 2 group ff02::99",
            "",
        ),
        (
            "sync id from the VRID",
            "  lvs_sync_daemon eth1 inst VI_1",
            "",
        ),
        ("legacy positional", "  lvs_sync_daemon eth1 VI_1 9", ""),
        (
            "vrrp_instance lvs_sync_daemon_interface",
            "  router_id lb1",
            "  lvs_sync_daemon_interface eth2\n",
        ),
        ("missing instance", "  lvs_sync_daemon eth1 inst VI_9", ""),
        ("no instance", "  lvs_sync_daemon eth1 id 3", ""),
    ] {
        let (plan, diags) = compile(global, extra);
        out.push_str(&format!(
            "== {name}\nplan: {plan}\n{}\n",
            diags.iter().map(|d| format!("  {d}\n")).collect::<String>()
        ));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn kdl_and_yaml_forms_give_the_same_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = format!(
        "global_defs {{\n  lvs_sync_daemon eth1 inst VI_1 id 7 maxlen 1400 port 8850 ttl 2 group 224.0.0.99\n}}\n{INSTANCE}"
    );
    std::fs::write(dir.path().join("keepalived.conf"), conf).expect("write");
    let plan_of = |file: &str| -> serde_json::Value {
        let out = kac(&["compile", file, "--host", "lb1"], dir.path());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("plan JSON")
    };
    let base = plan_of("keepalived.conf");
    assert_eq!(base["global"]["lvs_sync_daemon"]["sync_id"], 7);
    for (to, file) in [("kdl", "lb.kdl"), ("yaml", "lb.yaml")] {
        let out = kac(
            &["convert", "--to", to, "keepalived.conf", "-o", file],
            dir.path(),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(dir.path().join(file)).expect("converted");
        assert!(text.contains("lvs_sync_daemon"), "{text}");
        assert_eq!(plan_of(file), base, "{to}:\n{text}");
    }
}
