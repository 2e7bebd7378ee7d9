//! VRRP instance keywords that change what the engine does around the protocol, each checked
//! as a user would, on two "hosts" (network namespaces joined by a veth pair) with Debian's
//! keepalived beside kac as the reference: `unicast_fault_no_peer`, `track_src_ip`,
//! `promote_secondaries`, `disable_local_igmp` and the priority-change lines of notify FIFOs
//! (`notify_priority_changes`).
//!
//! Root only; otherwise every test prints `skipped: <reason>` (a failure under
//! `KAC_REQUIRE_PRIVILEGED=1`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kac_tests::OracleNamespace;
use kac_tests::daemon::write_atomically;
use kac_tests::vrrp::{
    Keepalived, addresses, context, holds, hosts, instance, ip_in, start_kac, state_is, wait_holds,
};
use serde_json::Value;

const LONG: Duration = Duration::from_secs(10);

/// One VRRPv3 instance `VI_1` (advert_int 0.1) on eth0 with `vip`, `body` added inside the
/// block and `global` inside `global_defs`; `before` goes between the two blocks.
fn conf(priority: u8, vrid: u8, vip: &str, global: &str, before: &str, body: &str) -> String {
    format!(
        "global_defs {{\n  router_id test\n  vrrp_garp_master_delay 1\n{global}}}\n{before}vrrp_instance VI_1 {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {vrid}\n  priority {priority}\n  version 3\n  advert_int 0.1\n{body}  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n"
    )
}

/// Whether `kac status` says instance `name` is in FAULT for a reason containing `why`.
fn fault_because(st: &Value, name: &str, why: &str) -> bool {
    state_is(st, name, "FAULT")
        && instance(st, name)["fault_reasons"]
            .as_array()
            .is_some_and(|r| {
                r.iter()
                    .any(|r| r.as_str().is_some_and(|r| r.contains(why)))
            })
}

/// A sysctl read back from /proc inside `ns` (`net/ipv4/conf/eth0/promote_secondaries`).
fn sysctl(ns: &OracleNamespace, key: &str) -> String {
    let out = ns
        .command("cat")
        .arg(format!("/proc/sys/{key}"))
        .output()
        .expect("cat");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `unicast_fault_no_peer` without peers: keepalived and kac both stay in FAULT instead of
/// falling back to multicast (neither takes the address, though each would be master alone);
/// a reload that adds the peer lets kac run (keepalived, in FAULT, sends nothing).
#[test]
fn unicast_fault_no_peer_stays_in_fault_like_keepalived() {
    let Some((a, b)) = hosts("unicast_fault_no_peer_stays_in_fault_like_keepalived") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let vip = "10.9.0.100/24";
    let body = |src: &str| format!("  unicast_src_ip {src}\n  unicast_fault_no_peer\n");
    let k = Keepalived::start(
        &b,
        &work.path().join("k"),
        &conf(100, 51, vip, "", "", &body("10.9.0.2")),
    );
    let d = start_kac(
        &a,
        work.path(),
        &conf(150, 51, vip, "", "", &body("10.9.0.1")),
        &[],
    );
    d.wait_status("kac in FAULT, saying why", |st| {
        fault_because(st, "VI_1", "unicast_fault_no_peer")
    });
    // Ten master-down intervals: a multicast fallback would have made either one master.
    std::thread::sleep(Duration::from_secs(4));
    let ctx = context(&d, &k);
    assert!(!holds(&a, "10.9.0.100/24"), "{}", ctx());
    assert!(!holds(&b, "10.9.0.100/24"), "{}", ctx());
    assert!(
        k.log_text()
            .contains("Cannot use unicast without any peers - going to fault state"),
        "{}",
        ctx()
    );
    assert!(!k.log_text().contains("Entering MASTER STATE"), "{}", ctx());
    let st = d.status().expect("status");
    assert!(state_is(&st, "VI_1", "FAULT"), "{st:#}");

    let with_peer = format!(
        "{}  unicast_peer {{\n    10.9.0.2\n  }}\n",
        body("10.9.0.1")
    );
    write_atomically(
        &work.path().join("src/keepalived.conf"),
        &conf(150, 51, vip, "", "", &with_peer),
    );
    d.wait_status("kac master once it has a peer", |st| {
        state_is(st, "VI_1", "MASTER")
    });
    wait_holds(&a, "10.9.0.100/24", true, LONG, context(&d, &k));
}

/// `track_src_ip`: kac (150) is master over keepalived (100) in unicast mode; its source
/// address disappearing from eth0 puts it in FAULT (the virtual address, in another subnet,
/// goes) and keepalived takes over; the address coming back makes kac master again. Then
/// keepalived with `track_src_ip` started without its address stays in FAULT and leaves the
/// virtual address to kac.
#[test]
fn track_src_ip_faults_while_the_source_address_is_missing() {
    let Some((a, b)) = hosts("track_src_ip_faults_while_the_source_address_is_missing") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    // Not in 10.9.0.0/24: removing the source address does not take it along.
    let vip = "10.9.1.100/24";
    let body = |src: &str, peer: &str| {
        format!("  unicast_src_ip {src}\n  unicast_peer {{\n    {peer}\n  }}\n  track_src_ip\n")
    };
    let mut d = start_kac(
        &a,
        work.path(),
        &conf(150, 51, vip, "", "", &body("10.9.0.1", "10.9.0.2")),
        &[],
    );
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let mut k = Keepalived::start(
        &b,
        &work.path().join("k"),
        &conf(100, 51, vip, "", "", &body("10.9.0.2", "10.9.0.1")),
    );
    wait_holds(&a, vip, true, LONG, context(&d, &k));
    std::thread::sleep(Duration::from_secs(1));
    assert!(!holds(&b, vip), "{}", context(&d, &k)());

    ip_in(&a, &["addr", "del", "10.9.0.1/24", "dev", "eth0"]);
    d.wait_status("kac in FAULT, saying why", |st| {
        fault_because(
            st,
            "VI_1",
            "source address 10.9.0.1 is missing (`track_src_ip`)",
        )
    });
    wait_holds(&a, vip, false, LONG, context(&d, &k));
    wait_holds(&b, vip, true, LONG, context(&d, &k));
    assert!(
        d.log_text().contains("source address 10.9.0.1 is missing"),
        "{}",
        d.log_text()
    );

    ip_in(&a, &["addr", "add", "10.9.0.1/24", "dev", "eth0"]);
    d.wait_status("kac master again", |st| state_is(st, "VI_1", "MASTER"));
    wait_holds(&a, vip, true, LONG, context(&d, &k));
    wait_holds(&b, vip, false, LONG, context(&d, &k));

    // keepalived's side. Debian's keepalived 2.2.7 checks the address when it starts (a
    // removal while it runs leaves it master, and its socket, unbound, does not recover
    // when the address comes back; kac follows the manual): started without its source
    // address it stays in FAULT and kac (priority 50) is master.
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0);
    k.stop();
    ip_in(&b, &["addr", "del", "10.9.0.2/24", "dev", "eth0"]);
    let k = Keepalived::start(
        &b,
        &work.path().join("k2"),
        &conf(100, 51, vip, "", "", &body("10.9.0.2", "10.9.0.1")),
    );
    let kac_backup = conf(50, 51, vip, "", "", &body("10.9.0.1", "10.9.0.2"));
    let d = start_kac(&a, work.path(), &kac_backup, &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    wait_holds(&a, vip, true, LONG, context(&d, &k));
    assert!(!holds(&b, vip), "{}", context(&d, &k)());
    assert!(
        k.log_text()
            .contains("entering FAULT state (src address not configured)"),
        "{}",
        k.log_text()
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(!holds(&b, vip), "{}", context(&d, &k)());
}

/// `promote_secondaries` and `disable_local_igmp`: kac sets
/// `net.ipv4.conf.eth0.promote_secondaries=1` and `net.ipv4.igmp_link_local_mcast_reports=0`
/// in its namespace while it runs (read back from /proc), so removing the interface's primary
/// address leaves the master's virtual address (a secondary of the same subnet) in place;
/// stopping kac puts both values back. keepalived with the same configuration sets the same
/// values.
#[test]
fn promote_secondaries_and_disable_local_igmp_are_set_and_restored() {
    let Some((a, b)) = hosts("promote_secondaries_and_disable_local_igmp_are_set_and_restored")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let promote = "net/ipv4/conf/eth0/promote_secondaries";
    let igmp = "net/ipv4/igmp_link_local_mcast_reports";
    for ns in [&a, &b] {
        assert_eq!(sysctl(ns, promote), "0");
        assert_eq!(sysctl(ns, igmp), "1");
    }
    let vip = "10.9.0.100/24";
    let text = |vrid| {
        conf(
            150,
            vrid,
            vip,
            "  disable_local_igmp\n",
            "",
            "  promote_secondaries\n",
        )
    };
    // keepalived alone on B (another VRID: they do not meet).
    let mut k = Keepalived::start(&b, &work.path().join("k"), &text(52));
    wait_holds(&b, vip, true, LONG, || k.log_text());
    assert_eq!(sysctl(&b, promote), "1", "{}", k.log_text());
    assert_eq!(sysctl(&b, igmp), "0", "{}", k.log_text());
    k.stop();
    assert_eq!(sysctl(&b, promote), "0", "keepalived restores it");
    assert_eq!(sysctl(&b, igmp), "1", "keepalived restores it");

    let mut d = start_kac(&a, work.path(), &text(51), &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    wait_holds(&a, vip, true, LONG, || d.log_text());
    assert_eq!(sysctl(&a, promote), "1", "{}", d.log_text());
    assert_eq!(sysctl(&a, igmp), "0", "{}", d.log_text());
    // The primary address goes; the kernel promotes the virtual address instead of removing
    // it with the primary.
    ip_in(&a, &["addr", "del", "10.9.0.1/24", "dev", "eth0"]);
    let left = addresses(&a, "eth0");
    assert!(left.iter().any(|x| x == vip), "{left:?}");
    ip_in(&a, &["addr", "add", "10.9.0.1/24", "dev", "eth0"]);

    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0);
    assert_eq!(sysctl(&a, promote), "0", "{}", d.log_text());
    assert_eq!(sysctl(&a, igmp), "1", "{}", d.log_text());
}

/// The lines a FIFO script copied to `copy` that carry priority changes.
fn priority_lines(copy: &Path) -> Vec<String> {
    std::fs::read_to_string(copy)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("_PRIORITY"))
        .map(str::to_string)
        .collect()
}

/// `notify_priority_changes`: a `vrrp_script` (weight -20) failing and recovering changes
/// the master's priority 150 → 130 → 150; kac writes `INSTANCE "VI_1" MASTER_PRIORITY 130`
/// and `… 150` to its `vrrp_notify_fifo`, the same lines keepalived writes with the same
/// configuration (each host alone with its own VRID).
#[test]
fn priority_changes_reach_the_notify_fifo_as_keepalived_writes_them() {
    let Some((a, b)) = hosts("priority_changes_reach_the_notify_fifo_as_keepalived_writes_them")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let vip = "10.9.0.100/24";
    // The FIFO script: keepalived's argv with the FIFO's path appended ($1).
    let reader = work.path().join("fifo-reader.sh");
    std::fs::write(&reader, "#!/bin/sh\nexec cat \"$1\" >> \"$1.txt\"\n").expect("reader");
    let chmod = Command::new("chmod").arg("755").arg(&reader).status();
    assert!(chmod.is_ok_and(|s| s.success()));
    let text = |host: &str, vrid| {
        let dir = work.path().join(host);
        std::fs::create_dir_all(&dir).expect("dir");
        let global = format!(
            "  script_user root\n  enable_script_security\n  vrrp_notify_fifo {fifo}\n  vrrp_notify_fifo_script {reader}\n",
            fifo = dir.join("vrrp.fifo").display(),
            reader = reader.display()
        );
        let script = format!(
            "vrrp_script chk {{\n  script \"/usr/bin/test ! -e {}\"\n  interval 1\n}}\n",
            dir.join("down").display()
        );
        let body = "  notify_priority_changes\n  track_script {\n    chk weight -20\n  }\n";
        (dir, conf(150, vrid, vip, &global, &script, body))
    };
    let (kdir, ktext) = text("kh", 52);
    let mut k = Keepalived::start(&b, &work.path().join("k"), &ktext);
    let (adir, atext) = text("ah", 51);
    let mut d = start_kac(&a, work.path(), &atext, &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    wait_holds(&a, vip, true, LONG, || d.log_text());
    wait_holds(&b, vip, true, LONG, || k.log_text());

    for dir in [&adir, &kdir] {
        std::fs::write(dir.join("down"), "").expect("down");
    }
    d.wait_status("kac at priority 130", |st| st["vrrp"][0]["priority"] == 130);
    let copies = [adir.join("vrrp.fifo.txt"), kdir.join("vrrp.fifo.txt")];
    let got_both = |n: usize| {
        kac_tests::alert_sinks::wait_until(LONG, || {
            copies.iter().all(|c| priority_lines(c).len() >= n)
        })
    };
    assert!(
        got_both(1),
        "{:?} {:?}",
        priority_lines(&copies[0]),
        k.log_text()
    );
    for dir in [&adir, &kdir] {
        std::fs::remove_file(dir.join("down")).expect("up");
    }
    assert!(
        got_both(2),
        "{:?} {:?}",
        priority_lines(&copies[0]),
        k.log_text()
    );
    let kac_lines = priority_lines(&copies[0]);
    assert_eq!(
        kac_lines,
        [
            "INSTANCE \"VI_1\" MASTER_PRIORITY 130",
            "INSTANCE \"VI_1\" MASTER_PRIORITY 150"
        ],
        "{}",
        d.log_text()
    );
    assert_eq!(kac_lines, priority_lines(&copies[1]), "{}", k.log_text());
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0);
    k.stop();
}

/// `old_unicast_checksum` (keepalived 1.3.6's VRRPv3 unicast checksum, over the multicast
/// group): keepalived sending old checksums is heard by kac (accepted by default), and not
/// with `old_unicast_checksum never` (kac drops them and becomes master too); kac sending old
/// checksums is not heard by keepalived with `never` (it becomes master too).
#[test]
fn old_unicast_checksum_is_sent_and_refused_as_keepalived_does() {
    let Some((a, b)) = hosts("old_unicast_checksum_is_sent_and_refused_as_keepalived_does") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let vip = "10.9.0.100/24";
    let body = |src: &str, peer: &str, extra: &str| {
        format!("  unicast_src_ip {src}\n  unicast_peer {{\n    {peer}\n  }}\n{extra}")
    };
    let mut k = Keepalived::start(
        &b,
        &work.path().join("k"),
        &conf(
            150,
            51,
            vip,
            "",
            "",
            &body("10.9.0.2", "10.9.0.1", "  old_unicast_checksum\n"),
        ),
    );
    wait_holds(&b, vip, true, LONG, || k.log_text());
    let d = start_kac(
        &a,
        work.path(),
        &conf(100, 51, vip, "", "", &body("10.9.0.1", "10.9.0.2", "")),
        &[],
    );
    d.wait_status("kac hears keepalived", |st| {
        state_is(st, "VI_1", "BACKUP") && st["vrrp"][0]["adverts_received"].as_u64() > Some(5)
    });
    std::thread::sleep(Duration::from_secs(1));
    assert!(!holds(&a, vip), "{}", context(&d, &k)());

    // `never`: kac no longer accepts them.
    let never = body("10.9.0.1", "10.9.0.2", "  old_unicast_checksum never\n");
    write_atomically(
        &work.path().join("src/keepalived.conf"),
        &conf(100, 51, vip, "", "", &never),
    );
    d.wait_status("kac master (keepalived unheard)", |st| {
        state_is(st, "VI_1", "MASTER")
    });
    wait_holds(&a, vip, true, LONG, context(&d, &k));
    assert!(d.log_text().contains("bad checksum"), "{}", d.log_text());

    // kac (150) sends old checksums; keepalived (100) with `never` does not accept them.
    k.stop();
    let old = body("10.9.0.1", "10.9.0.2", "  old_unicast_checksum\n");
    write_atomically(
        &work.path().join("src/keepalived.conf"),
        &conf(150, 51, vip, "", "", &old),
    );
    d.wait_status("kac master at 150", |st| {
        state_is(st, "VI_1", "MASTER") && st["vrrp"][0]["priority"] == 150
    });
    let k = Keepalived::start(
        &b,
        &work.path().join("k2"),
        &conf(
            100,
            51,
            vip,
            "",
            "",
            &body("10.9.0.2", "10.9.0.1", "  old_unicast_checksum never\n"),
        ),
    );
    wait_holds(&b, vip, true, LONG, context(&d, &k));
    assert!(holds(&a, vip), "{}", context(&d, &k)());
    assert!(
        k.log_text().to_lowercase().contains("checksum"),
        "{}",
        k.log_text()
    );
}

/// Whether `dev` exists in `ns`.
fn link_exists(ns: &OracleNamespace, dev: &str) -> bool {
    ns.command("ip")
        .args(["link", "show", "dev", dev])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `vmac_prefix`: `use_vmac` without a name makes `PREFIX.VRID`, on kac's host as on
/// keepalived's (the master's address lives on it).
#[test]
fn vmac_prefix_names_the_vmac_as_keepalived_does() {
    let Some((a, b)) = hosts("vmac_prefix_names_the_vmac_as_keepalived_does") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let vip = "10.9.0.100/24";
    let text = |prio| conf(prio, 51, vip, "  vmac_prefix vm\n", "", "  use_vmac\n");
    let mut d = start_kac(&a, work.path(), &text(150), &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let k = Keepalived::start(&b, &work.path().join("k"), &text(100));
    kac_tests::daemon::wait_addresses(&a, "vm.51", &["10.9.0.100/24"]);
    assert!(!link_exists(&a, "vrrp.51"), "{}", context(&d, &k)());
    let made = kac_tests::alert_sinks::wait_until(LONG, || link_exists(&b, "vm.51"));
    assert!(made, "keepalived's VMAC: {}", k.log_text());
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0);
    kac_tests::daemon::wait_addresses(&b, "vm.51", &["10.9.0.100/24"]);
    assert!(!link_exists(&a, "vm.51"), "kac removes its VMAC at stop");
}
