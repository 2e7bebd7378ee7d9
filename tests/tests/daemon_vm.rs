//! `kac daemon` with real IPVS, in the QEMU guest booted from Debian's kernel (`tests/vm/`):
//! a path source's revisions are applied to IPVS, a destination deleted and one edited by
//! hand are put back by the periodic full check, a restart after kill -9 issues no op, and
//! SIGTERM with `lvs_flush_on_stop VS` removes kac's services and leaves a foreign one.
//! Checked with `ipvsadm -Ln` in the guest. The IPVS connection sync daemon follows its VRRP
//! instance (master, FAULT through a tracked file, master again, stopped), checked with
//! `ipvsadm -L --daemon`.
//!
//! Root only (and the packages `scripts/test.sh` installs); otherwise `skipped: <reason>`, a
//! failure under `KAC_REQUIRE_PRIVILEGED=1`.

use std::time::Duration;

use kac_tests::{kac_bin, privileges, vm, workspace_root};
use vm::Extras;

const SCRIPT: &str = r#"
waitfor() {
  n=0
  while ! sh -c "$1" >/dev/null 2>&1; do
    n=$((n+1)); [ $n -gt 300 ] && return 1; usleep 100000
  done
}
ipvsadm -A -t 10.9.9.9:80 -s rr
mkdir -p /tmp/site && cp vm-v1.conf /tmp/site/keepalived.conf
D="--source /tmp/site --state-dir /tmp/st --control /tmp/kac.sock --check-interval 1s"
kac daemon $D 2>/tmp/daemon1.log &
PID=$!
step v1-wait waitfor 'ipvsadm -Ln | grep -q 10.0.1.2:80'
step v1-list ipvsadm -Ln
cp vm-v2.conf /tmp/site/.new && mv /tmp/site/.new /tmp/site/keepalived.conf
step v2-wait waitfor 'ipvsadm -Ln | grep -q 10.0.0.2:443'
step v2-list ipvsadm -Ln
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.3:80
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 9
step drift-wait waitfor 'ipvsadm -Ln | grep -q 10.0.1.3:80 && ipvsadm -Ln | grep 10.0.1.1:80 | grep -q " 5 "'
step drift-list ipvsadm -Ln
step drift-status kac status --control /tmp/kac.sock --format json
kill -KILL $PID; wait $PID
kac daemon $D 2>/tmp/daemon2.log &
PID=$!
step restart-wait waitfor 'kac status --control /tmp/kac.sock --format json | grep -q "\"outcome\": \"applied\""'
step restart-status kac status --control /tmp/kac.sock --format json
step restart-list ipvsadm -Ln
kill -TERM $PID
wait $PID
echo "daemon exit $?"
step stop-list ipvsadm -Ln
step logs cat /tmp/daemon1.log /tmp/daemon2.log
"#;

/// The guest's `logs` step.
fn logs_of(run: &vm::Run) -> String {
    run.steps
        .get("logs")
        .map(|s| s.stdout.clone())
        .unwrap_or_default()
}

/// A step that must have succeeded, its output with runs of blanks made one space.
fn ok_step(run: &vm::Run, name: &str, logs: &str) -> String {
    let st = run.step(name);
    assert_eq!(
        st.rc, 0,
        "step {name} failed:\n{}{}\nlogs:\n{logs}",
        st.stdout, st.stderr
    );
    st.stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ipvs_daemon_in_a_vm() {
    if let Some(reason) = vm::skip_reason() {
        privileges::skip("ipvs_daemon_in_a_vm", &reason);
        return;
    }
    let run = vm::run(
        &kac_bin(),
        &workspace_root().join("fixtures/daemon"),
        SCRIPT,
        Duration::from_secs(900),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let logs = logs_of(&run);
    let ok = |name: &str| ok_step(&run, name, &logs);
    ok("v1-wait");
    let v1 = ok("v1-list");
    for want in [
        "TCP 10.0.0.1:80 wrr",
        "-> 10.0.1.1:80 Masq 3",
        "-> 10.0.1.2:80 Masq 1",
        "TCP 10.9.9.9:80 rr",
    ] {
        assert!(v1.contains(want), "`{want}` missing:\n{v1}");
    }
    ok("v2-wait");
    let v2 = ok("v2-list");
    for want in [
        "-> 10.0.1.1:80 Masq 5",
        "-> 10.0.1.3:80 Masq 2",
        "TCP 10.0.0.2:443 rr",
        "-> 10.0.1.1:443 Route 1",
    ] {
        assert!(v2.contains(want), "`{want}` missing:\n{v2}");
    }
    ok("drift-wait");
    assert_eq!(ok("drift-list"), v2, "drift not put back exactly");
    let st: serde_json::Value = serde_json::from_str(&run.step("drift-status").stdout)
        .unwrap_or_else(|e| panic!("status JSON: {e}"));
    assert_eq!(st["counters"]["drift_repairs"], 2, "{st:#}");
    assert_eq!(st["owned"]["services"], 2, "{st:#}");
    ok("restart-wait");
    let st: serde_json::Value = serde_json::from_str(&run.step("restart-status").stdout)
        .unwrap_or_else(|e| panic!("status JSON: {e}"));
    assert_eq!(st["counters"]["ops_applied"], 0, "{st:#}\nlogs:\n{logs}");
    assert_eq!(ok("restart-list"), v2);
    assert!(run.console.contains("daemon exit 0"), "{}", run.console);
    let stopped = ok("stop-list");
    assert!(stopped.contains("TCP 10.9.9.9:80 rr"), "{stopped}");
    assert!(
        !stopped.contains("10.0.0.1:80") && !stopped.contains("10.0.0.2:443"),
        "lvs_flush_on_stop VS left kac's services:\n{stopped}"
    );
    assert!(logs.contains("drift repaired: + dest"), "{logs}");
}

/// Health checking against real IPVS: busybox httpd listeners on the guest's loopback are
/// the real servers; one stops (its real server leaves IPVS), the inhibited one stops (weight
/// 0), both come back; then a revision removes a real server, which is drained (weight 0)
/// before it goes.
const HEALTH_SCRIPT: &str = r#"
waitfor() {
  n=0
  while ! sh -c "$1" >/dev/null 2>&1; do
    n=$((n+1)); [ $n -gt 300 ] && return 1; usleep 100000
  done
}
mkdir -p /www
for i in 1 2 3; do ip addr add 10.0.1.$i/32 dev lo; done
httpd -f -p 10.0.1.1:80 -h /www & H1=$!
httpd -f -p 10.0.1.2:80 -h /www & H2=$!
httpd -f -p 10.0.1.3:80 -h /www & H3=$!
mkdir -p /tmp/site && cp vm-health-v1.conf /tmp/site/keepalived.conf
kac daemon --source /tmp/site --state-dir /tmp/st --control /tmp/kac.sock --drain-period 12s 2>/tmp/daemon.log &
PID=$!
step up-wait waitfor 'ipvsadm -Ln | grep -q 10.0.1.3:80'
step up-list ipvsadm -Ln
kill $H1
step down-wait waitfor '! ipvsadm -Ln | grep -q 10.0.1.1:80'
step down-list ipvsadm -Ln
kill $H2
step inhibit-wait waitfor 'ipvsadm -Ln | grep -q "10.0.1.2:80 *Masq *0 "'
step inhibit-list ipvsadm -Ln
step down-status kac status --control /tmp/kac.sock --format json
step down-text kac status --control /tmp/kac.sock
httpd -f -p 10.0.1.1:80 -h /www & H1=$!
httpd -f -p 10.0.1.2:80 -h /www & H2=$!
step back-wait waitfor 'ipvsadm -Ln | grep -q 10.0.1.1:80 && ipvsadm -Ln | grep -q "10.0.1.2:80 *Masq *2 "'
step back-list ipvsadm -Ln
cp vm-health-v2.conf /tmp/site/.new && mv /tmp/site/.new /tmp/site/keepalived.conf
step drain-wait waitfor 'ipvsadm -Ln | grep -q "10.0.1.3:80 *Masq *0 "'
step drain-list ipvsadm -Ln
step drain-status kac status --control /tmp/kac.sock --format json
step gone-wait waitfor '! ipvsadm -Ln | grep -q 10.0.1.3:80'
step gone-list ipvsadm -Ln
kill -TERM $PID
wait $PID
step logs cat /tmp/daemon.log
"#;

#[test]
fn ipvs_health_checks_in_a_vm() {
    if let Some(reason) = vm::skip_reason() {
        privileges::skip("ipvs_health_checks_in_a_vm", &reason);
        return;
    }
    let run = vm::run(
        &kac_bin(),
        &workspace_root().join("fixtures/daemon"),
        HEALTH_SCRIPT,
        Duration::from_secs(900),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let logs = logs_of(&run);
    let ok = |name: &str| ok_step(&run, name, &logs);
    ok("up-wait");
    let up = ok("up-list");
    for want in [
        "-> 10.0.1.1:80 Masq 3",
        "-> 10.0.1.2:80 Masq 2",
        "-> 10.0.1.3:80 Masq 1",
    ] {
        assert!(up.contains(want), "`{want}` missing:\n{up}");
    }
    ok("down-wait");
    let down = ok("down-list");
    assert!(!down.contains("10.0.1.1:80"), "{down}");
    assert!(down.contains("-> 10.0.1.2:80 Masq 2"), "{down}");
    ok("inhibit-wait");
    let inhibited = ok("inhibit-list");
    assert!(inhibited.contains("-> 10.0.1.2:80 Masq 0"), "{inhibited}");
    assert!(inhibited.contains("-> 10.0.1.3:80 Masq 1"), "{inhibited}");
    let st: serde_json::Value = serde_json::from_str(&run.step("down-status").stdout)
        .unwrap_or_else(|e| panic!("status JSON: {e}"));
    let rows = st["health"].as_array().cloned().unwrap_or_default();
    let row = |rs: &str| {
        rows.iter()
            .find(|r| r["real_server"] == rs)
            .cloned()
            .unwrap_or_else(|| panic!("no health row for {rs}: {st:#}"))
    };
    assert_eq!(row("10.0.1.1:80")["state"], "down");
    assert_eq!(row("10.0.1.1:80")["ipvs"], "removed");
    assert_eq!(row("10.0.1.2:80")["ipvs"], "inhibited");
    assert_eq!(row("10.0.1.3:80")["state"], "up");
    let text = ok("down-text");
    assert!(text.contains("-> 10.0.1.1:80 down (removed"), "{text}");
    ok("back-wait");
    assert_eq!(ok("back-list"), up, "not back exactly as before");
    ok("drain-wait");
    let draining = ok("drain-list");
    assert!(draining.contains("-> 10.0.1.3:80 Masq 0"), "{draining}");
    let st: serde_json::Value = serde_json::from_str(&run.step("drain-status").stdout)
        .unwrap_or_else(|e| panic!("status JSON: {e}"));
    assert_eq!(st["draining"][0]["real_server"], "10.0.1.3:80", "{st:#}");
    ok("gone-wait");
    let gone = ok("gone-list");
    assert!(gone.contains("-> 10.0.1.1:80 Masq 3"), "{gone}");
    assert!(gone.contains("-> 10.0.1.2:80 Masq 2"), "{gone}");
    assert!(logs.contains("real server is down"), "{logs}");
}

/// `lvs_sync_daemon`: a backup sync daemon someone started (sync id 9) is replaced by kac's
/// backup while VI_1 is INIT/BACKUP; VI_1 alone on its link becomes master (master daemon,
/// backup stopped); a non-zero tracked file puts it in FAULT (backup daemon); back to master;
/// SIGTERM stops the daemon. `ipvsadm -L --daemon` reads the kernel's own view, so kac's
/// NEW_DAEMON encoding is checked field by field; its GET_DAEMON decoding by the ops it logs
/// for the foreign daemon (the kernel's defaults filled in) and by converging at all.
const SYNCD_SCRIPT: &str = r#"
waitfor() {
  n=0
  while ! sh -c "$1" >/dev/null 2>&1; do
    n=$((n+1)); [ $n -gt 300 ] && return 1; usleep 100000
  done
}
IP=/usr/local/bin/ip
$IP link add eth0 type veth peer name eth0p && $IP link set eth0 up && $IP link set eth0p up
$IP addr add 192.168.7.1/24 dev eth0
echo 0 > /tmp/fault
ipvsadm --start-daemon backup --mcast-interface eth0 --syncid 9
step foreign ipvsadm -L --daemon
mkdir -p /tmp/site && cp vm-syncd.conf /tmp/site/keepalived.conf
kac daemon --source /tmp/site --state-dir /tmp/st --control /tmp/kac.sock 2>/tmp/daemon.log &
PID=$!
step master-wait waitfor 'ipvsadm -L --daemon | grep -q "master sync daemon"'
step master-list ipvsadm -L --daemon
step master-status kac status --control /tmp/kac.sock --format json
echo 1 > /tmp/fault
step fault-wait waitfor 'ipvsadm -L --daemon | grep -q "backup sync daemon" && ! ipvsadm -L --daemon | grep -q master'
step fault-list ipvsadm -L --daemon
step fault-text kac status --control /tmp/kac.sock
echo 0 > /tmp/fault
step back-wait waitfor 'ipvsadm -L --daemon | grep -q "master sync daemon" && ! ipvsadm -L --daemon | grep -q backup'
step back-list ipvsadm -L --daemon
kill -TERM $PID
wait $PID
echo "daemon exit $?"
step stop-list ipvsadm -L --daemon
step logs cat /tmp/daemon.log
"#;

#[test]
fn sync_daemon_follows_vrrp_in_a_vm() {
    if let Some(reason) = vm::skip_reason() {
        privileges::skip("sync_daemon_follows_vrrp_in_a_vm", &reason);
        return;
    }
    let run = vm::run_with(
        &kac_bin(),
        &workspace_root().join("fixtures/daemon"),
        SYNCD_SCRIPT,
        Duration::from_secs(900),
        &Extras {
            programs: &["ip"],
            modules: &["veth"],
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let logs = logs_of(&run);
    let ok = |name: &str| ok_step(&run, name, &logs);
    let ours = "(mcast=eth0, syncid=51, maxlen=1400, group=224.0.0.99, port=8850, ttl=2)";
    assert!(ok("foreign").contains("backup sync daemon (mcast=eth0, syncid=9,"));
    ok("master-wait");
    assert_eq!(ok("master-list"), format!("master sync daemon {ours}"));
    let st: serde_json::Value = serde_json::from_str(&run.step("master-status").stdout)
        .unwrap_or_else(|e| panic!("status JSON: {e}"));
    let sd = &st["sync_daemon"];
    assert_eq!(sd["running"], "master", "{st:#}");
    assert_eq!(sd["wanted"], "master", "{st:#}");
    assert_eq!(sd["sync_id"], 51, "{st:#}");
    assert_eq!(sd["instance"], "VI_1", "{st:#}");
    ok("fault-wait");
    assert_eq!(ok("fault-list"), format!("backup sync daemon {ours}"));
    let text = ok("fault-text");
    assert!(text.contains("VI_1 vrid 51 on eth0: FAULT"), "{text}");
    assert!(
        text.contains(
            "sync: IPVS connection sync daemon on eth0 (syncid 51, follows VI_1): backup"
        ),
        "{text}"
    );
    ok("back-wait");
    assert_eq!(ok("back-list"), format!("master sync daemon {ours}"));
    assert!(run.console.contains("daemon exit 0"), "{}", run.console);
    assert_eq!(ok("stop-list"), "", "sync daemon left running at shutdown");
    // The foreign daemon as the kernel reported it (its defaults), stopped for kac's.
    for want in [
        "- sync-daemon backup eth0 syncid 9 maxlen 1472 port 8848 ttl 1 group 224.0.0.81",
        "+ sync-daemon backup eth0 syncid 51 maxlen 1400 port 8850 ttl 2 group 224.0.0.99",
        "+ sync-daemon master eth0 syncid 51 maxlen 1400 port 8850 ttl 2 group 224.0.0.99",
        "stopping: - sync-daemon master eth0 syncid 51",
    ] {
        assert!(logs.contains(want), "`{want}` missing:\n{logs}");
    }
}

/// `ha_suspend`: the virtual server's address is the VIP of a lone VRRP instance. While the
/// instance is backup, the checks of its real server (nothing listens) are paused and the
/// real server stays in IPVS; once the instance is master and the VIP is on the host, the
/// check runs and the real server leaves.
const HA_SUSPEND_SCRIPT: &str = r#"
waitfor() {
  n=0
  while ! sh -c "$1" >/dev/null 2>&1; do
    n=$((n+1)); [ $n -gt 300 ] && return 1; usleep 100000
  done
}
mkdir -p /tmp/site && cp vm-ha-suspend.conf /tmp/site/keepalived.conf
kac daemon --source /tmp/site --state-dir /tmp/st --control /tmp/kac.sock 2>/tmp/daemon.log &
PID=$!
step backup-wait waitfor 'ipvsadm -Ln | grep -q 10.0.1.1:80 && kac status --control /tmp/kac.sock --format json | grep -q "\"state\": \"BACKUP\""'
sleep 4
step backup-list ipvsadm -Ln
step backup-status kac status --control /tmp/kac.sock --format json
step master-wait waitfor 'ip -4 addr show dev lo | grep -q 10.0.0.50'
step down-wait waitfor '! ipvsadm -Ln | grep -q 10.0.1.1:80'
step down-status kac status --control /tmp/kac.sock --format json
kill -TERM $PID
wait $PID
step logs cat /tmp/daemon.log
"#;

#[test]
fn ha_suspend_follows_vrrp_mastership_in_a_vm() {
    if let Some(reason) = vm::skip_reason() {
        privileges::skip("ha_suspend_follows_vrrp_mastership_in_a_vm", &reason);
        return;
    }
    let run = vm::run(
        &kac_bin(),
        &workspace_root().join("fixtures/daemon"),
        HA_SUSPEND_SCRIPT,
        Duration::from_secs(900),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let logs = logs_of(&run);
    let ok = |name: &str| ok_step(&run, name, &logs);
    ok("backup-wait");
    let st: serde_json::Value = serde_json::from_str(&run.step("backup-status").stdout)
        .unwrap_or_else(|e| panic!("status JSON: {e}"));
    assert_eq!(st["vrrp"][0]["state"], "BACKUP", "{st:#}\nlogs:\n{logs}");
    let backup = ok("backup-list");
    assert!(
        backup.contains("-> 10.0.1.1:80 Masq 1"),
        "checked while backup (ha_suspend ignored):\n{backup}\nlogs:\n{logs}"
    );
    ok("master-wait");
    ok("down-wait");
    let st: serde_json::Value = serde_json::from_str(&run.step("down-status").stdout)
        .unwrap_or_else(|e| panic!("status JSON: {e}"));
    assert_eq!(st["vrrp"][0]["state"], "MASTER", "{st:#}");
    let row = st["health"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["real_server"] == "10.0.1.1:80"))
        .cloned()
        .unwrap_or_else(|| panic!("no health row: {st:#}"));
    assert_eq!(row["state"], "down", "{st:#}");
}
