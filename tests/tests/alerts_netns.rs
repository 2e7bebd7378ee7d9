//! `kac daemon`'s alerts end to end, in a network namespace the test creates: the daemon
//! runs a VRRP instance that becomes master on the real kernel, and sends its alerts to real
//! receivers started by the test on the namespace's loopback: a mail to aiosmtpd (Debian's
//! python3-aiosmtpd), SNMPv2c traps to Debian's snmptrapd, and a line to a notify FIFO read
//! by its `notify_fifo_script`, for the instance and for its sync group. Then a revision that
//! does not compile is mailed and trapped as refused, a revision the kernel cannot take (a
//! virtual server: this kernel has no IPVS) as a failed apply, and one whose route the kernel
//! rejects after its address was added as a failed apply and a rollback; an applied revision
//! writes the VRRP states to the FIFO again (`fifo_write_vrrp_states_on_reload`). `kac status`
//! and the metrics count what was sent. At SIGTERM, the instance's last mail still goes out
//! before the daemon exits.
//!
//! Root only; otherwise `skipped: <reason>` (a failure under `KAC_REQUIRE_PRIVILEGED=1`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kac_tests::alert_sinks::{mails, smtp_server, snmptrapd, traps, wait_until};
use kac_tests::daemon::{Daemon, write_atomically};
use kac_tests::{OracleNamespace, privileges, run_with_timeout};
use serde_json::Value;

const SMTP_PORT: u16 = 2525;
const TRAP_PORT: u16 = 1162;
/// KEEPALIVED-MIB.
const KA: &str = ".1.3.6.1.4.1.9586.100.5";
/// KAC-MIB (docs/KAC-MIB.txt; placeholder arc).
const KAC: &str = ".1.3.6.1.4.1.32473";

fn conf(dir: &Path, extra: &str) -> String {
    format!(
        r#"global_defs {{
  router_id lb-alerts
  enable_script_security
  script_user root
  notification_email {{
    ops@example.org
  }}
  notification_email_from kac@lb-alerts.example
  smtp_server 127.0.0.1 {SMTP_PORT}
  smtp_connect_timeout 2
  smtp_alert
  enable_traps
  notify_fifo {fifo}
  notify_fifo_script {reader}
  fifo_write_vrrp_states_on_reload
}}
vrrp_sync_group G1 {{
  group {{
    VI_1
  }}
}}
vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  version 3
  advert_int 0.1
  virtual_ipaddress {{
    10.9.0.100/24
  }}
}}
{extra}"#,
        fifo = dir.join("notify.fifo").display(),
        reader = dir.join("fifo-reader.sh").display(),
    )
}

fn wait_mail(out: &Path, subject: &str) -> Value {
    let found = wait_until(Duration::from_secs(15), || {
        mails(out)
            .iter()
            .any(|m| m["data"].as_str().is_some_and(|d| d.contains(subject)))
    });
    let all = mails(out);
    assert!(found, "no mail with `{subject}`; received: {all:#?}");
    all.into_iter()
        .find(|m| m["data"].as_str().is_some_and(|d| d.contains(subject)))
        .expect("found")
}

/// The first trap in `log` (within 10 s) carrying every one of `want`.
fn wait_trap(log: &Path, want: &[String]) -> String {
    let has = |t: &String| want.iter().all(|w| t.contains(w.as_str()));
    let found = wait_until(Duration::from_secs(10), || traps(log).iter().any(has));
    let all = traps(log);
    assert!(found, "no trap with {want:#?}; received: {all:#?}");
    all.into_iter().find(|t| has(t)).expect("found")
}

/// The revision a mail's subject names (`… - revision 0123456789ab`).
fn subject_revision(mail: &Value) -> String {
    let data = mail["data"].as_str().unwrap_or_default();
    data.lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .and_then(|s| s.rsplit_once(" - revision "))
        .map(|(_, r)| r.trim().to_string())
        .unwrap_or_else(|| panic!("no revision in {data}"))
}

fn fifo_count(copy: &Path, line: &str) -> usize {
    std::fs::read_to_string(copy)
        .unwrap_or_default()
        .matches(line)
        .count()
}

fn metrics(ns: &OracleNamespace) -> String {
    let mut cmd = ns.command("/usr/bin/python3");
    cmd.args([
        "-c",
        "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:9479/metrics').read().decode())",
    ]);
    run_with_timeout(&mut cmd, Duration::from_secs(10))
        .map(|o| o.stdout)
        .unwrap_or_default()
}

#[test]
fn vrrp_group_refused_failed_rolled_back_and_stopping_are_alerted() {
    let test = "vrrp_group_refused_failed_rolled_back_and_stopping_are_alerted";
    if let Some(reason) = privileges::skip_reason() {
        privileges::skip(test, &reason);
        return;
    }
    let ns = OracleNamespace::create().unwrap_or_else(|e| panic!("namespace: {e}"));
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let mail_out = dir.join("mail.jsonl");
    let Some(_smtp) = smtp_server(Some(&ns), SMTP_PORT, &mail_out) else {
        privileges::skip(
            test,
            "/usr/bin/python3 with aiosmtpd not found (scripts/test.sh installs python3-aiosmtpd)",
        );
        return;
    };
    let Some((_trapd, trap_log)) = snmptrapd(Some(&ns), TRAP_PORT, dir) else {
        privileges::skip(
            test,
            "snmptrapd not found (scripts/test.sh installs snmptrapd)",
        );
        return;
    };
    let ip = |args: &[&str]| {
        let ok = Command::new("ip")
            .args(["-n", ns.name()])
            .args(args)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ip {args:?}");
    };
    ip(&["addr", "add", "10.9.0.1/24", "dev", "eth0"]);
    // The FIFO script: keepalived's argv with the FIFO's path appended ($1).
    let copy = dir.join("fifo.txt");
    let reader = dir.join("fifo-reader.sh");
    std::fs::write(
        &reader,
        format!("#!/bin/sh\nexec cat \"$1\" >> {}\n", copy.display()),
    )
    .expect("reader");
    std::fs::set_permissions(&reader, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");

    let src = dir.join("src");
    std::fs::create_dir(&src).expect("src");
    let conf_path = src.join("keepalived.conf");
    write_atomically(&conf_path, &conf(dir, ""));
    let state = dir.join("state");
    let mut d = Daemon::start(
        &ns,
        &dir.join("kac"),
        &[
            "--source",
            src.to_str().expect("utf-8"),
            "--state-dir",
            state.to_str().expect("utf-8"),
            "--trap-sink",
            &format!("127.0.0.1:{TRAP_PORT}"),
            "--trap-community",
            "kacpub",
            "--metrics",
            "127.0.0.1:9479",
        ],
    );
    d.wait_status("VI_1 master", |st| {
        st["vrrp"].as_array().is_some_and(|v| {
            v.iter()
                .any(|i| i["name"] == "VI_1" && i["state"] == "MASTER")
        })
    });

    // The mail: host, instance, old and new state.
    let m = wait_mail(
        &mail_out,
        "Subject: [lb-alerts] VRRP Instance VI_1 - Entering MASTER state",
    );
    assert_eq!(m["from"], "kac@lb-alerts.example", "{m:#}");
    assert_eq!(m["to"], serde_json::json!(["ops@example.org"]), "{m:#}");
    let data = m["data"].as_str().unwrap_or_default();
    assert!(
        data.contains("=> VRRP Instance is now owning VRRP VIPs <="),
        "{data}"
    );
    assert!(
        data.contains("state: BACKUP -> MASTER, priority 150"),
        "{data}"
    );

    // The traps: keepalived's state change and the VRRP-MIB new master, with their variables.
    assert!(
        wait_until(Duration::from_secs(10), || traps(&trap_log).len() >= 3),
        "{:?}",
        traps(&trap_log)
    );
    let all = traps(&trap_log);
    // INIT -> BACKUP first (state 1), then BACKUP -> MASTER (state 2).
    let state_traps: Vec<&String> = all
        .iter()
        .filter(|t| t.contains(&format!("OID: {KA}.2.10.0.2")))
        .collect();
    assert!(
        state_traps
            .first()
            .is_some_and(|t| t.contains(&format!("{KA}.2.3.1.4.1 = INTEGER: 1"))),
        "{all:#?}"
    );
    let state_trap = state_traps
        .iter()
        .find(|t| t.contains(&format!("{KA}.2.3.1.4.1 = INTEGER: 2")))
        .unwrap_or_else(|| panic!("no vrrpInstanceStateChange to MASTER in {all:#?}"));
    for want in [
        format!("{KA}.2.3.1.2.1 = STRING: \"VI_1\""),
        format!("{KA}.2.3.1.4.1 = INTEGER: 2"),
        format!("{KA}.2.3.1.5.1 = INTEGER: 1"),
        format!("{KA}.1.2.0 = STRING: \"lb-alerts\""),
    ] {
        assert!(state_trap.contains(&want), "{want} not in {state_trap}");
    }
    let new_master = all
        .iter()
        .find(|t| t.contains("OID: .1.3.6.1.2.1.68.0.1"))
        .unwrap_or_else(|| panic!("no vrrpTrapNewMaster in {all:#?}"));
    assert!(
        new_master.contains(".1.3.6.1.2.1.68.1.3.1.7.")
            && new_master.contains(".51 = IpAddress: 10.9.0.1"),
        "{new_master}"
    );

    // The FIFO line, keepalived's format, read by the FIFO script.
    assert!(
        wait_until(Duration::from_secs(10), || {
            std::fs::read_to_string(&copy)
                .is_ok_and(|t| t.contains("INSTANCE \"VI_1\" MASTER 150\n"))
        }),
        "FIFO copy: {:?}",
        std::fs::read_to_string(&copy)
    );

    // The sync group: keepalived's group mail, trap and FIFO line.
    let m = wait_mail(
        &mail_out,
        "Subject: [lb-alerts] VRRP Group G1 - Entering MASTER state",
    );
    let data = m["data"].as_str().unwrap_or_default();
    assert!(
        data.contains("=> All VRRP group instances are now in MASTER state <="),
        "{data}"
    );
    wait_trap(
        &trap_log,
        &[
            format!("OID: {KA}.2.10.0.1"),
            format!("{KA}.2.1.1.2.1 = STRING: \"G1\""),
            format!("{KA}.2.1.1.3.1 = INTEGER: 2"),
            format!("{KA}.1.2.0 = STRING: \"lb-alerts\""),
        ],
    );
    assert!(
        wait_until(Duration::from_secs(10), || {
            fifo_count(&copy, "GROUP \"G1\" MASTER 0\n") == 1
        }),
        "FIFO copy: {:?}",
        std::fs::read_to_string(&copy)
    );

    // A revision that does not compile: refused, mailed with its diagnostic, and trapped
    // (kacOperationalEvent, kind refused(1)).
    write_atomically(&conf_path, &conf(dir, "bogus_keyword 1\n"));
    let m = wait_mail(&mail_out, "Revision refused - revision");
    let data = m["data"].as_str().unwrap_or_default();
    assert!(data.contains("=> Revision refused <="), "{data}");
    assert!(data.contains("bogus_keyword"), "{data}");
    let refused_rev = subject_revision(&m);
    let t = wait_trap(
        &trap_log,
        &[
            format!("OID: {KAC}.0.1"),
            format!("{KAC}.1.2.0 = INTEGER: 1"),
        ],
    );
    for want in [
        format!("{KAC}.1.1.0 = STRING: \"lb-alerts\""),
        format!("{KAC}.1.3.0 = STRING: \"refused\""),
        format!("{KAC}.1.4.0 = STRING: \"{refused_rev}\""),
    ] {
        assert!(t.contains(&want), "{want} not in {t}");
    }
    assert!(t.contains("bogus_keyword"), "{t}");

    // A revision the kernel cannot take (IPVS services; this kernel has none): mailed and
    // trapped as a failed apply (kind failedApply(2)); nothing was changed, so no rollback.
    let vs = "virtual_server 10.9.0.100 80 {\n  lb_kind NAT\n  protocol TCP\n  real_server 10.9.0.2 80 {\n    weight 1\n  }\n}\n";
    write_atomically(&conf_path, &conf(dir, vs));
    let m = wait_mail(&mail_out, "Apply failed - revision");
    let data = m["data"].as_str().unwrap_or_default();
    assert!(data.contains("IPVS"), "{data}");
    let t = wait_trap(
        &trap_log,
        &[
            format!("OID: {KAC}.0.1"),
            format!("{KAC}.1.2.0 = INTEGER: 2"),
        ],
    );
    assert!(
        t.contains(&format!("{KAC}.1.3.0 = STRING: \"failed-apply\"")),
        "{t}"
    );

    // A revision whose route the kernel rejects after its address was added: the address
    // is taken back, and the rollback is mailed and trapped (kind rollback(3)).
    let bad_route = "static_ipaddress {\n  10.9.0.5/24 dev eth0\n}\nstatic_routes {\n  10.20.0.0/16 via 198.51.100.1 dev eth0\n}\n";
    write_atomically(&conf_path, &conf(dir, bad_route));
    let m = wait_mail(&mail_out, "Rolled back - revision");
    let data = m["data"].as_str().unwrap_or_default();
    assert!(data.contains("=> Rolled back <="), "{data}");
    assert!(data.contains("10.20.0.0/16"), "{data}");
    assert!(data.contains("the host is as it was"), "{data}");
    let rolled_rev = subject_revision(&m);
    let t = wait_trap(
        &trap_log,
        &[
            format!("OID: {KAC}.0.1"),
            format!("{KAC}.1.2.0 = INTEGER: 3"),
        ],
    );
    for want in [
        format!("{KAC}.1.3.0 = STRING: \"rollback\""),
        format!("{KAC}.1.4.0 = STRING: \"{rolled_rev}\""),
    ] {
        assert!(t.contains(&want), "{want} not in {t}");
    }
    assert!(
        !kac_tests::daemon::addresses(&ns, "eth0")
            .iter()
            .any(|a| a.starts_with("10.9.0.5/")),
        "the rolled back address is still there"
    );

    // A revision that applies: a reload, so the VRRP states are written to the FIFO again.
    let extra = "static_ipaddress {\n  10.9.1.1/24 dev eth1\n}\n";
    write_atomically(&conf_path, &conf(dir, extra));
    assert!(
        wait_until(Duration::from_secs(15), || {
            fifo_count(&copy, "INSTANCE \"VI_1\" MASTER 150\n") == 2
                && fifo_count(&copy, "GROUP \"G1\" MASTER 0\n") == 2
        }),
        "FIFO copy: {:?}",
        std::fs::read_to_string(&copy)
    );

    // Status and metrics count what was sent, per channel and kind.
    let st = d.wait_status("alerts counted", |st| {
        st["alerts"]["channels"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["channel"] == "email" && c["sent"].as_u64() >= Some(8))
        })
    });
    let channels = st["alerts"]["channels"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ch = |name: &str| {
        channels
            .iter()
            .find(|c| c["channel"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} channel: {st:#}"))
    };
    let email = ch("email");
    assert_eq!(email["configured"], true);
    assert_eq!(email["failed"], 0, "{email:#}");
    assert!(
        email["last_sent"]
            .as_str()
            .is_some_and(|l| l.contains("Rolled back")),
        "{email:#}"
    );
    let trap = ch("trap");
    assert!(trap["sent"].as_u64() >= Some(9), "{trap:#}");
    let fifo = ch("fifo");
    assert!(
        fifo["last_sent"]
            .as_str()
            .is_some_and(|l| l.contains("INSTANCE \"VI_1\" MASTER 150")),
        "{fifo:#}"
    );
    let text = d.status_text();
    assert!(text.contains("alerts email: "), "{text}");
    let wants = [
        // INIT -> BACKUP and BACKUP -> MASTER, for the instance and for its group.
        r#"kac_alerts_total{channel="email",kind="vrrp",outcome="sent"} 2"#,
        r#"kac_alerts_total{channel="email",kind="group",outcome="sent"} 2"#,
        // The refused revision, the two failed applies and the rollback.
        r#"kac_alerts_total{channel="email",kind="operational",outcome="sent"} 4"#,
        r#"kac_alerts_total{channel="trap",kind="operational",outcome="sent"} 4"#,
        r#"kac_alerts_total{channel="trap",kind="group",outcome="sent"} 2"#,
    ];
    let counted = wait_until(Duration::from_secs(10), || {
        let page = metrics(&ns);
        wants.iter().all(|w| page.contains(w))
    });
    let page = metrics(&ns);
    let lines: Vec<&str> = page
        .lines()
        .filter(|l| l.starts_with("kac_alerts_total"))
        .collect();
    let subjects: Vec<String> = mails(&mail_out)
        .iter()
        .filter_map(|m| {
            let d = m["data"].as_str()?;
            d.lines()
                .find(|l| l.starts_with("Subject: "))
                .map(|l| l.to_string())
        })
        .collect();
    assert!(
        counted,
        "want {wants:#?}\nin {lines:#?}\nmails: {subjects:#?}\n{}",
        d.log_text()
    );

    // SIGTERM: the instance stops, and its mail is delivered before the daemon exits.
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0, "{}", d.log_text());
    let stopping = "Subject: [lb-alerts] VRRP Instance VI_1 - Stopping";
    let all = mails(&mail_out);
    assert!(
        all.iter()
            .any(|m| m["data"].as_str().is_some_and(|t| t.contains(stopping))),
        "no `{stopping}` mail when the daemon had exited: {all:#?}\n{}",
        d.log_text()
    );
    assert!(
        d.log_text().contains("no queued alert was left"),
        "{}",
        d.log_text()
    );
}
