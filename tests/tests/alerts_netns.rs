//! `kac daemon`'s alerts end to end, in a network namespace the test creates: the daemon
//! runs a VRRP instance that becomes master on the real kernel, and sends its alerts to real
//! receivers started by the test on the namespace's loopback: a mail to aiosmtpd (Debian's
//! python3-aiosmtpd), SNMPv2c traps to Debian's snmptrapd, and a line to a notify FIFO read
//! by its `notify_fifo_script`. Then a revision that does not compile is mailed as refused,
//! and a revision the kernel cannot take (a virtual server: this kernel has no IPVS) is mailed
//! as a failed apply. `kac status` and the metrics count what was sent.
//!
//! Root only; otherwise `skipped: <reason>` (a failure under `KAC_REQUIRE_PRIVILEGED=1`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kac_tests::alert_sinks::{mails, smtp_server, snmptrapd, traps, wait_until};
use kac_tests::daemon::Daemon;
use kac_tests::{OracleNamespace, privileges, run_with_timeout};
use serde_json::Value;

const SMTP_PORT: u16 = 2525;
const TRAP_PORT: u16 = 1162;
/// KEEPALIVED-MIB.
const KA: &str = ".1.3.6.1.4.1.9586.100.5";

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

fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
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
fn vrrp_master_refused_and_failed_revisions_are_alerted() {
    let test = "vrrp_master_refused_and_failed_revisions_are_alerted";
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
    let d = Daemon::start(
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

    // A revision that does not compile: refused, and mailed with its diagnostic.
    write_atomically(&conf_path, &conf(dir, "bogus_keyword 1\n"));
    let m = wait_mail(&mail_out, "Revision refused - revision");
    let data = m["data"].as_str().unwrap_or_default();
    assert!(data.contains("=> Revision refused <="), "{data}");
    assert!(data.contains("bogus_keyword"), "{data}");

    // A revision the kernel cannot take (IPVS services; this kernel has none): mailed.
    let vs = "virtual_server 10.9.0.100 80 {\n  lb_kind NAT\n  protocol TCP\n  real_server 10.9.0.2 80 {\n    weight 1\n  }\n}\n";
    write_atomically(&conf_path, &conf(dir, vs));
    let m = wait_mail(&mail_out, "Apply failed - revision");
    let data = m["data"].as_str().unwrap_or_default();
    assert!(data.contains("IPVS"), "{data}");

    // Status and metrics count what was sent, per channel.
    let st = d.wait_status("alerts counted", |st| {
        st["alerts"]["channels"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["channel"] == "email" && c["sent"].as_u64() >= Some(3))
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
            .is_some_and(|l| l.contains("Apply failed")),
        "{email:#}"
    );
    let trap = ch("trap");
    assert!(trap["sent"].as_u64() >= Some(3), "{trap:#}");
    let fifo = ch("fifo");
    assert!(
        fifo["last_sent"]
            .as_str()
            .is_some_and(|l| l.contains("INSTANCE \"VI_1\" MASTER 150")),
        "{fifo:#}"
    );
    let text = d.status_text();
    assert!(text.contains("alerts email: "), "{text}");
    let page = metrics(&ns);
    assert!(
        // INIT -> BACKUP and BACKUP -> MASTER.
        page.contains(r#"kac_alerts_total{channel="email",kind="vrrp",outcome="sent"} 2"#),
        "{page}"
    );
    assert!(
        // The refused revision and the failed apply.
        page.contains(r#"kac_alerts_total{channel="email",kind="operational",outcome="sent"} 2"#),
        "{page}"
    );
}
