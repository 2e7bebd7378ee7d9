//! The daemon's command line as a user meets it without privileges: usage errors, an
//! unreachable daemon, the systemd example's options, `kac apply`'s policy on what it does not
//! carry out (refused before anything is read from the kernel, or left to the daemon with a
//! warning per keyword), and the status schema.

use std::process::Command;
use std::time::Duration;

use kac_tests::{RunOutput, kac_bin, run_with_timeout, workspace_root};

fn kac(args: &[&str]) -> RunOutput {
    let mut cmd = Command::new(kac_bin());
    cmd.args(args);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60)).expect("kac runs");
    assert!(!out.timed_out, "kac {args:?} timed out");
    out
}

#[test]
fn only_local_git_urls_and_loopback_metrics_are_accepted() {
    let out = kac(&["daemon", "--source", "git+https://example.invalid/site.git"]);
    assert_eq!(out.shell_code(), 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("only `git+file://` repositories"),
        "{}",
        out.stderr
    );
    let out = kac(&["daemon", "--source", "/etc", "--metrics", "192.0.2.1:9469"]);
    assert_eq!(out.shell_code(), 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("not a loopback address"),
        "{}",
        out.stderr
    );
    let out = kac(&["daemon", "--source", "/etc", "--poll", "soon"]);
    assert_eq!(out.shell_code(), 2, "{}", out.stderr);
}

#[test]
fn status_and_ctl_say_when_no_daemon_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("none.sock");
    let sock = sock.to_str().expect("utf-8");
    let out = kac(&["status", "--control", sock]);
    assert_eq!(out.shell_code(), 1);
    assert!(
        out.stderr.contains("cannot reach the kac daemon"),
        "{}",
        out.stderr
    );
    let out = kac(&["ctl", "--control", sock, "suspend"]);
    assert_eq!(out.shell_code(), 1);
    let out = kac(&["ctl", "--control", sock, "observe", "maybe"]);
    assert_eq!(out.shell_code(), 2, "{}", out.stderr);
}

#[test]
fn the_systemd_example_options_are_accepted() {
    let text = std::fs::read_to_string(workspace_root().join("dist/kac.default")).expect("read");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("KAC_DAEMON_ARGS=\""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("KAC_DAEMON_ARGS");
    let mut args = vec!["daemon"];
    args.extend(line.split_whitespace());
    args.push("--help");
    let out = kac(&args);
    assert_eq!(out.shell_code(), 0, "{}", out.stderr);
    let unit = std::fs::read_to_string(workspace_root().join("dist/kac.service")).expect("read");
    assert!(unit.contains("ExecStart=/usr/bin/kac daemon $KAC_DAEMON_ARGS"));
    assert!(unit.contains("Type=notify"));
}

#[test]
fn apply_refuses_what_kac_never_carries_out_before_touching_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        "global_defs {\n  router_id lb1\n  enable_snmp_vrrp\n  smtp_alert\n}\nbfd_instance b1 {\n  neighbor_ip 192.0.2.9\n}\nstatic_ipaddress {\n  192.0.2.5/24 dev lo\n}\n",
    )
    .expect("write");
    let state = dir.path().join("state");
    let out = kac(&[
        "apply",
        conf.to_str().expect("utf-8"),
        "--state-dir",
        state.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.shell_code(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("`enable_snmp_vrrp` is not carried out by kac"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("`bfd_instance` is not carried out by kac"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("keepalived.conf:6:1"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing applied"), "{}", out.stderr);
    // Alerts are the daemon's: `kac apply` says so; `router_id` names the host in them.
    assert!(
        out.stderr.contains(
            "`smtp_alert` is not applied by `kac apply`: alert e-mails are the daemon's job"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("`router_id`"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(!state.exists(), "the state directory was touched");
}

#[test]
fn apply_leaves_vrrp_and_checkers_to_the_daemon_naming_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("keepalived.conf");
    // The dry run only reads this machine's kernel (and stops there when it has no IPVS).
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.50/24\n  }\n}\nvirtual_server 192.0.2.50 80 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 192.0.2.60 80 {\n    TCP_CHECK {\n    }\n  }\n}\n",
    )
    .expect("write");
    let out = kac(&["apply", "--dry-run", conf.to_str().expect("utf-8")]);
    assert!(
        out.stderr.contains(
            "`vrrp_instance` is not applied by `kac apply`: VRRP instances are the daemon's job"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("keepalived.conf:1:1"), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "`TCP_CHECK` is not applied by `kac apply`: health checkers are the daemon's job"
        ) && out
            .stderr
            .contains("are applied at their configured weights"),
        "{}",
        out.stderr
    );
}

#[test]
fn apply_leaves_the_connection_sync_daemon_to_the_daemon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        "global_defs {\n  lvs_sync_daemon eth1 inst VI_1 id 7\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.50/24\n  }\n}\n",
    )
    .expect("write");
    let out = kac(&["apply", "--dry-run", conf.to_str().expect("utf-8")]);
    assert!(
        out.stderr.contains(
            "`lvs_sync_daemon` is not applied by `kac apply`: IPVS connection sync daemons (master"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("keepalived.conf:2:3"), "{}", out.stderr);
    // The plan carries it for the daemon, the sync id as written.
    let out = kac(&["compile", conf.to_str().expect("utf-8")]);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    assert_eq!(
        plan["global"]["lvs_sync_daemon"],
        serde_json::json!({"interface": "eth1", "instance": "VI_1", "sync_id": 7,
            "maxlen": null, "port": null, "ttl": null, "group": null})
    );
}

#[test]
fn the_status_schema_is_printed() {
    let out = kac(&["schema", "status"]);
    assert_eq!(out.shell_code(), 0);
    let committed =
        std::fs::read_to_string(workspace_root().join("schema/status.schema.json")).expect("read");
    assert_eq!(out.stdout, committed);
}
