//! kac's VRRP engine against real keepalived (Debian's), each on its own "host": two network
//! namespaces the test creates, joined by a veth pair. What a user would check is checked:
//! which host holds the virtual address (`ip addr`), `kac status`, keepalived's log, the
//! metrics page.
//!
//! Root only; otherwise every test prints `skipped: <reason>` (a failure under
//! `KAC_REQUIRE_PRIVILEGED=1`).

use std::time::Duration;

use kac_tests::daemon::{wait_addresses, write_atomically};
use kac_tests::vrrp::{
    Keepalived, context, holds, hosts, instance, ip_in, set_sysctl, start_kac, state_is, wait_holds,
};
use kac_tests::{OracleNamespace, run_with_timeout, wait_until};

const VIP: &str = "10.9.0.100/24";
const VIP6: &str = "fd09::100/64";

/// One `vrrp_instance`.
#[derive(Clone, Copy)]
struct Inst {
    name: &'static str,
    vrid: u8,
    priority: u8,
    version: u8,
    advert: &'static str,
    vip: &'static str,
    /// `(unicast_src_ip, unicast_peer)`.
    unicast: Option<(&'static str, &'static str)>,
    pass: Option<&'static str>,
}

impl Inst {
    fn v3(priority: u8) -> Inst {
        Inst {
            name: "VI_1",
            vrid: 51,
            priority,
            version: 3,
            advert: "0.1",
            vip: VIP,
            unicast: None,
            pass: None,
        }
    }
}

fn conf(insts: &[Inst]) -> String {
    let mut s = String::from("global_defs {\n  router_id test\n  vrrp_garp_master_delay 1\n}\n");
    for i in insts {
        s.push_str(&format!(
            "vrrp_instance {} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {}\n  priority {}\n  version {}\n  advert_int {}\n",
            i.name, i.vrid, i.priority, i.version, i.advert
        ));
        if let Some((src, peer)) = i.unicast {
            s.push_str(&format!(
                "  unicast_src_ip {src}\n  unicast_peer {{\n    {peer}\n  }}\n"
            ));
        }
        if let Some(p) = i.pass {
            s.push_str(&format!(
                "  authentication {{\n    auth_type PASS\n    auth_pass {p}\n  }}\n"
            ));
        }
        s.push_str(&format!(
            "  virtual_ipaddress {{\n    {}\n  }}\n}}\n",
            i.vip
        ));
    }
    s
}

const LONG: Duration = Duration::from_secs(10);

/// VRRPv2 with a PASS password, advert_int 1: kac (150) is master and keepalived (100) stays
/// backup; kill -9 of kac hands the address to keepalived (kac's stale address stays: a
/// killed process removes nothing); kac restarting removes the stale address at once and
/// preempts keepalived as the protocol says.
#[test]
fn kac_master_keepalived_backup_v2_kill9_and_restart() {
    let Some((a, b)) = hosts("kac_master_keepalived_backup_v2_kill9_and_restart") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let mut i = Inst::v3(150);
    i.version = 2;
    i.advert = "1";
    i.pass = Some("secret");
    let mut d = start_kac(&a, work.path(), &conf(&[i]), &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let k = Keepalived::start(
        &b,
        &work.path().join("k"),
        &conf(&[Inst { priority: 100, ..i }]),
    );
    wait_holds(&a, VIP, true, LONG, context(&d, &k));
    // keepalived hears kac's adverts (password and all): it never becomes master.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(k.entered("BACKUP"), 1, "{}", k.log_text());
    assert_eq!(k.entered("MASTER"), 0, "{}", k.log_text());
    assert!(!holds(&b, VIP));
    let st = d.status().expect("status");
    let vi = instance(&st, "VI_1");
    assert_eq!(vi["priority"], 150, "{st:#}");
    assert_eq!(vi["master"], "10.9.0.1", "{st:#}");
    assert!(vi["adverts_sent"].as_u64() >= Some(5), "{st:#}");
    assert!(d.status_text().contains("VI_1"), "{}", d.status_text());

    d.kill9();
    let took = wait_holds(&b, VIP, true, LONG, context(&d, &k));
    // The master down interval is 3 × 1 s + skew (0.61 s).
    assert!(took < Duration::from_secs(5), "keepalived took {took:?}");
    assert!(holds(&a, VIP), "a killed kac cannot remove its address");

    let d = start_kac(&a, work.path(), &conf(&[i]), &[]);
    // The stale address goes at start-up (kac starts as backup), before any election.
    wait_holds(&a, VIP, false, Duration::from_secs(2), context(&d, &k));
    d.wait_status("kac master again (preempting)", |st| {
        state_is(st, "VI_1", "MASTER")
    });
    wait_holds(&a, VIP, true, LONG, context(&d, &k));
    wait_holds(&b, VIP, false, Duration::from_secs(2), context(&d, &k));
    assert!(
        k.log_text().contains("higher priority 150"),
        "{}",
        k.log_text()
    );
}

/// keepalived (200) is master and kac (100) a backup that knows who the master is; a
/// graceful stop of keepalived (priority 0) hands over to kac within moments; keepalived
/// coming back preempts kac, which gives the address up.
#[test]
fn keepalived_master_kac_backup_handover_and_preemption() {
    let Some((a, b)) = hosts("keepalived_master_kac_backup_handover_and_preemption") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let mut k = Keepalived::start(&b, &work.path().join("k"), &conf(&[Inst::v3(200)]));
    let no_kac = {
        let l = k.log.clone();
        move || std::fs::read_to_string(&l).unwrap_or_default()
    };
    wait_holds(&b, VIP, true, LONG, no_kac);
    let d = start_kac(&a, work.path(), &conf(&[Inst::v3(100)]), &[]);
    d.wait_status("kac backup of 10.9.0.2", |st| {
        state_is(st, "VI_1", "BACKUP") && instance(st, "VI_1")["master"] == "10.9.0.2"
    });
    std::thread::sleep(Duration::from_secs(1));
    let st = d.status().expect("status");
    assert_eq!(instance(&st, "VI_1")["transitions"], 1, "{st:#}");
    assert!(
        instance(&st, "VI_1")["adverts_received"].as_u64() >= Some(5),
        "{st:#}"
    );
    assert!(!holds(&a, VIP));

    k.stop();
    let took = wait_holds(&a, VIP, true, Duration::from_secs(3), context(&d, &k));
    assert!(
        took < Duration::from_secs(1),
        "kac took {took:?} after priority 0"
    );
    assert!(!holds(&b, VIP));

    k.restart(&b);
    d.wait_status("kac back to backup", |st| state_is(st, "VI_1", "BACKUP"));
    wait_holds(&a, VIP, false, LONG, context(&d, &k));
    wait_holds(&b, VIP, true, LONG, context(&d, &k));
}

/// SIGTERM: kac sends priority-0 adverts, then removes its address and exits; keepalived
/// takes over within its skew time (plus the time to see it).
#[test]
fn kac_sigterm_hands_over_to_keepalived() {
    let Some((a, b)) = hosts("kac_sigterm_hands_over_to_keepalived") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    // Host B learns addresses from gratuitous ARP.
    set_sysctl(&b, "net/ipv4/conf/eth0/arp_accept", "1").expect("arp_accept");
    // A virtual route follows mastership too.
    let text = conf(&[Inst::v3(150)]).replace(
        "  virtual_ipaddress {",
        "  virtual_routes {\n    10.50.0.0/16 via 10.9.0.254 dev eth0\n  }\n  virtual_ipaddress {",
    );
    let mut d = start_kac(&a, work.path(), &text, &["--metrics", "127.0.0.1:9470"]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let k = Keepalived::start(&b, &work.path().join("k"), &conf(&[Inst::v3(100)]));
    wait_holds(&a, VIP, true, LONG, context(&d, &k));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(k.entered("MASTER"), 0, "{}", k.log_text());
    assert!(
        route(&a).contains("10.50.0.0/16 via 10.9.0.254"),
        "{}",
        route(&a)
    );
    let a_mac = link_mac(&a);
    let neigh = run_with_timeout(
        b.command("ip").args(["neigh", "show", "10.9.0.100"]),
        Duration::from_secs(30),
    )
    .expect("ip neigh")
    .stdout;
    assert!(
        neigh.contains(&a_mac),
        "B did not learn 10.9.0.100 at {a_mac} from kac's gratuitous ARP: {neigh}"
    );

    let mut get = a.command("bash");
    get.args([
        "-c",
        "exec 3<>/dev/tcp/127.0.0.1/9470; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3",
    ]);
    let page = run_with_timeout(&mut get, Duration::from_secs(30)).expect("GET");
    for want in [
        "kac_vrrp_state{instance=\"VI_1\"} 2",
        "kac_vrrp_priority{instance=\"VI_1\"} 150",
        "kac_vrrp_transitions_total{instance=\"VI_1\"} 2",
        "kac_vrrp_adverts_sent_total{instance=\"VI_1\"}",
    ] {
        assert!(
            page.stdout.contains(want),
            "want {want} in:\n{}",
            page.stdout
        );
    }

    d.signal("-TERM");
    let took = wait_holds(&b, VIP, true, Duration::from_secs(3), context(&d, &k));
    assert!(took < Duration::from_secs(1), "keepalived took {took:?}");
    assert_eq!(d.wait_exit(), 0);
    assert!(!holds(&a, VIP), "kac left its address behind");
    assert!(!route(&a).contains("10.50.0.0/16"), "{}", route(&a));
}

fn route(ns: &OracleNamespace) -> String {
    run_with_timeout(
        ns.command("ip").args(["route", "show"]),
        Duration::from_secs(30),
    )
    .expect("ip route")
    .stdout
}

/// The MAC address of `eth0` in `ns`.
fn link_mac(ns: &OracleNamespace) -> String {
    let out = run_with_timeout(
        ns.command("ip").args(["-o", "link", "show", "eth0"]),
        Duration::from_secs(30),
    )
    .expect("ip link")
    .stdout;
    let w: Vec<&str> = out.split_whitespace().collect();
    w.iter()
        .position(|x| *x == "link/ether")
        .and_then(|i| w.get(i + 1))
        .map(|s| (*s).to_string())
        .unwrap_or_default()
}

/// Unicast (`unicast_src_ip`/`unicast_peer`) both ways: kac master, keepalived backup, kill -9.
#[test]
fn unicast_peers_interoperate() {
    let Some((a, b)) = hosts("unicast_peers_interoperate") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let mut i = Inst::v3(150);
    i.unicast = Some(("10.9.0.1", "10.9.0.2"));
    let mut d = start_kac(&a, work.path(), &conf(&[i]), &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let j = Inst {
        priority: 100,
        unicast: Some(("10.9.0.2", "10.9.0.1")),
        ..i
    };
    let k = Keepalived::start(&b, &work.path().join("k"), &conf(&[j]));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(k.entered("MASTER"), 0, "{}", k.log_text());
    assert!(holds(&a, VIP) && !holds(&b, VIP));
    d.kill9();
    wait_holds(&b, VIP, true, Duration::from_secs(3), context(&d, &k));
}

/// VRRPv3 over IPv6 (ff02::12, link-local sources, unsolicited NA): keepalived master (200),
/// kac backup (100), then keepalived is killed and kac takes the address.
#[test]
fn ipv6_v3_interoperates() {
    let Some((a, b)) = hosts("ipv6_v3_interoperates") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let i = Inst {
        vip: VIP6,
        ..Inst::v3(200)
    };
    let mut k = Keepalived::start(&b, &work.path().join("k"), &conf(&[i]));
    let log = k.log.clone();
    wait_holds(&b, VIP6, true, LONG, move || {
        std::fs::read_to_string(&log).unwrap_or_default()
    });
    let d = start_kac(&a, work.path(), &conf(&[Inst { priority: 100, ..i }]), &[]);
    d.wait_status("kac backup", |st| {
        state_is(st, "VI_1", "BACKUP")
            && instance(st, "VI_1")["master"]
                .as_str()
                .is_some_and(|m| m.starts_with("fe80::"))
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(!holds(&a, VIP6));
    k.kill9();
    wait_holds(&a, VIP6, true, Duration::from_secs(3), context(&d, &k));
}

/// A reload that changes one instance leaves the other alone: no transition, and keepalived
/// (advert_int 0.1 s: it would take over after 0.36 s without adverts) never notices.
#[test]
fn reload_keeps_running_instances_in_their_state() {
    let Some((a, b)) = hosts("reload_keeps_running_instances_in_their_state") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let one = Inst::v3(150);
    let two = Inst {
        name: "VI_2",
        vrid: 52,
        vip: "10.9.0.101/24",
        ..one
    };
    let d = start_kac(&a, work.path(), &conf(&[one, two]), &[]);
    d.wait_status("both master", |st| {
        state_is(st, "VI_1", "MASTER") && state_is(st, "VI_2", "MASTER")
    });
    let k = Keepalived::start(
        &b,
        &work.path().join("k"),
        &conf(&[
            Inst {
                priority: 100,
                ..one
            },
            Inst {
                priority: 100,
                ..two
            },
        ]),
    );
    std::thread::sleep(Duration::from_secs(1));
    let before = d.status().expect("status");
    let rev = before["applied"]["revision"].clone();
    write_atomically(
        &work.path().join("src/keepalived.conf"),
        &conf(&[
            one,
            Inst {
                priority: 160,
                ..two
            },
        ]),
    );
    d.wait_status("new revision applied", |st| {
        st["applied"]["revision"] != rev && instance(st, "VI_2")["priority"] == 160
    });
    std::thread::sleep(Duration::from_secs(1));
    let after = d.status().expect("status");
    for name in ["VI_1", "VI_2"] {
        assert_eq!(instance(&after, name)["state"], "MASTER", "{after:#}");
        assert_eq!(
            instance(&after, name)["transitions"],
            instance(&before, name)["transitions"],
            "{name}: {after:#}"
        );
    }
    assert_eq!(k.entered("MASTER"), 0, "{}", k.log_text());
    assert!(holds(&a, VIP) && holds(&a, "10.9.0.101/24"));
}

/// A sync group moves together: kac's VI_1 hears keepalived (200), so VI_2 (same group, no
/// peer of its own) stays backup with it; once keepalived dies both become master.
#[test]
fn sync_group_members_move_together() {
    let Some((a, b)) = hosts("sync_group_members_move_together") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let one = Inst::v3(150);
    let two = Inst {
        name: "VI_2",
        vrid: 52,
        vip: "10.9.0.101/24",
        ..one
    };
    let mut k = Keepalived::start(&b, &work.path().join("k"), &conf(&[Inst::v3(200)]));
    let log = k.log.clone();
    wait_holds(&b, VIP, true, LONG, move || {
        std::fs::read_to_string(&log).unwrap_or_default()
    });
    let text = format!(
        "{}vrrp_sync_group G {{\n  group {{\n    VI_1\n    VI_2\n  }}\n}}\n",
        conf(&[one, two])
    );
    let d = start_kac(&a, work.path(), &text, &[]);
    d.wait_status("VI_1 backup", |st| state_is(st, "VI_1", "BACKUP"));
    // VI_2 alone would be master after 0.36 s; the group holds it.
    std::thread::sleep(Duration::from_millis(1500));
    let st = d.status().expect("status");
    assert_eq!(instance(&st, "VI_2")["state"], "BACKUP", "{st:#}");
    assert_eq!(instance(&st, "VI_2")["transitions"], 1, "{st:#}");
    assert!(!holds(&a, VIP) && !holds(&a, "10.9.0.101/24"));

    k.kill9();
    wait_holds(&a, VIP, true, Duration::from_secs(3), context(&d, &k));
    wait_holds(
        &a,
        "10.9.0.101/24",
        true,
        Duration::from_secs(3),
        context(&d, &k),
    );
    d.wait_status("both master", |st| {
        state_is(st, "VI_1", "MASTER") && state_is(st, "VI_2", "MASTER")
    });
}

/// Priority follows a `vrrp_script` (weight -100) and notify scripts get keepalived's
/// arguments: kac (150) loses mastership to keepalived (120) while its check fails, and takes
/// it back when the check passes again.
#[test]
fn track_script_moves_priority_and_notify_scripts_run() {
    let Some((a, b)) = hosts("track_script_moves_priority_and_notify_scripts_run") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let down = work.path().join("down");
    let notify_log = work.path().join("notify.log");
    let notify = work.path().join("notify.sh");
    std::fs::write(
        &notify,
        format!("#!/bin/sh\necho \"$@\" >> {}\n", notify_log.display()),
    )
    .expect("notify script");
    let chmod = std::process::Command::new("chmod")
        .arg("755")
        .arg(&notify)
        .status();
    assert!(chmod.is_ok_and(|s| s.success()));
    // The script is defined before the instance that tracks it, as keepalived wants.
    let text = conf(&[Inst::v3(150)])
        .replace(
            "}\nvrrp_instance",
            &format!(
                "  script_user root\n  enable_script_security\n}}\nvrrp_script chk {{\n  script \"/usr/bin/test ! -e {}\"\n  interval 1\n}}\nvrrp_instance",
                down.display()
            ),
        )
        .replace(
            "  virtual_ipaddress {",
            &format!(
                "  track_script {{\n    chk weight -100\n  }}\n  notify {}\n  virtual_ipaddress {{",
                notify.display()
            ),
        );
    let mut d = start_kac(&a, work.path(), &text, &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let k = Keepalived::start(&b, &work.path().join("k"), &conf(&[Inst::v3(120)]));
    wait_holds(&a, VIP, true, LONG, context(&d, &k));

    std::fs::write(&down, "").expect("down");
    d.wait_status("kac backup at priority 50", |st| {
        state_is(st, "VI_1", "BACKUP") && instance(st, "VI_1")["priority"] == 50
    });
    wait_holds(&b, VIP, true, LONG, context(&d, &k));
    wait_holds(&a, VIP, false, LONG, context(&d, &k));

    std::fs::remove_file(&down).expect("up");
    d.wait_status("kac master again", |st| {
        state_is(st, "VI_1", "MASTER") && instance(st, "VI_1")["priority"] == 150
    });
    wait_holds(&a, VIP, true, LONG, context(&d, &k));
    // The daemon waits for `notify_stop`-time scripts before it exits.
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0);
    let log = std::fs::read_to_string(&notify_log).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines,
        [
            "INSTANCE VI_1 BACKUP 150",
            "INSTANCE VI_1 MASTER 150",
            "INSTANCE VI_1 BACKUP 50",
            "INSTANCE VI_1 MASTER 150",
            "INSTANCE VI_1 STOP 150"
        ],
        "{log}"
    );
}

/// keepalived's virtual MAC of VRID 51 over IPv4.
const VMAC: &str = "00:00:5e:00:01:33";

/// `conf(insts)` with `use_vmac` in every instance.
fn vmac_conf(insts: &[Inst]) -> String {
    conf(insts).replace("  virtual_ipaddress {", "  use_vmac\n  virtual_ipaddress {")
}

/// `ip -d -o link show DEV` in `ns` (empty when there is no such link).
fn link_details(ns: &OracleNamespace, dev: &str) -> String {
    run_with_timeout(
        ns.command("ip")
            .args(["-d", "-o", "link", "show", "dev", dev]),
        Duration::from_secs(30),
    )
    .expect("ip link")
    .stdout
}

fn sysctl(ns: &OracleNamespace, key: &str) -> String {
    run_with_timeout(
        ns.command("cat").arg(format!("/proc/sys/{key}")),
        Duration::from_secs(30),
    )
    .expect("cat")
    .stdout
    .trim()
    .to_string()
}

/// The source MACs of the VRRP adverts from `src` seen on `eth0` of `ns` within `for_`,
/// read with a packet socket in a thread that enters the namespace.
fn advert_source_macs(ns: &OracleNamespace, src: [u8; 4], for_: Duration) -> Vec<String> {
    use nix::sys::socket::{
        AddressFamily, LinkAddr, SockFlag, SockProtocol, SockType, recvfrom, setsockopt, socket,
        sockopt,
    };
    use std::os::fd::AsRawFd;
    let name = ns.name().to_string();
    std::thread::spawn(move || {
        let f = std::fs::File::open(format!("/run/netns/{name}")).expect("netns file");
        nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        let fd = socket(
            AddressFamily::Packet,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::EthAll,
        )
        .expect("packet socket");
        let index = nix::net::if_::if_nametoindex("eth0").expect("eth0") as usize;
        setsockopt(
            &fd,
            sockopt::ReceiveTimeout,
            &nix::sys::time::TimeVal::new(0, 200_000),
        )
        .expect("timeout");
        let mut macs = Vec::new();
        let mut buf = [0u8; 2048];
        let end = std::time::Instant::now() + for_;
        while std::time::Instant::now() < end {
            // Unbound: every interface; only frames that came in on eth0 count.
            let Ok((n, Some(from))) = recvfrom::<LinkAddr>(fd.as_raw_fd(), &mut buf) else {
                continue;
            };
            if from.ifindex() != index {
                continue;
            }
            let f = &buf[..n];
            // IPv4, protocol 112, from `src`.
            if n >= 34 && f[12..14] == [8, 0] && f[23] == 112 && f[26..30] == src {
                let m = f[6..12]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(":");
                macs.push(m);
            }
        }
        macs.sort();
        macs.dedup();
        macs
    })
    .join()
    .expect("capture thread")
}

fn neigh(ns: &OracleNamespace, addr: &str) -> String {
    run_with_timeout(
        ns.command("ip").args(["neigh", "show", addr]),
        Duration::from_secs(30),
    )
    .expect("ip neigh")
    .stdout
}

/// VMAC (`use_vmac`), kac master and keepalived backup: kac makes `vrrp.51` (macvlan,
/// private, MAC 00:00:5e:00:01:33) with keepalived's interface parameters, holds the address
/// there, advertises and answers ARP with the virtual MAC; keepalived's own VMAC stays
/// empty. kill -9: keepalived takes the address on its VMAC; kac restarting adopts its link
/// (same interface index), drops the stale address and preempts. SIGTERM removes the link.
#[test]
fn vmac_kac_master_keepalived_backup() {
    let Some((a, b)) = hosts("vmac_kac_master_keepalived_backup") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    set_sysctl(&b, "net/ipv4/conf/eth0/arp_accept", "1").expect("arp_accept");
    let ours = vmac_conf(&[Inst::v3(150)]);
    let mut d = start_kac(&a, work.path(), &ours, &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let k = Keepalived::start(&b, &work.path().join("k"), &vmac_conf(&[Inst::v3(100)]));
    wait_addresses(&a, "vrrp.51", &[VIP]);
    assert!(!holds(&a, VIP), "the address is on the VMAC, not eth0");
    let link = link_details(&a, "vrrp.51");
    assert!(link.contains(&format!("link/ether {VMAC}")), "{link}");
    assert!(link.contains("macvlan mode private"), "{link}");
    assert!(link.contains("vrrp.51@eth0"), "{link}");
    assert_eq!(sysctl(&a, "net/ipv4/conf/eth0/arp_ignore"), "1");
    assert_eq!(sysctl(&a, "net/ipv4/conf/eth0/arp_filter"), "1");
    assert_eq!(sysctl(&a, "net/ipv4/conf/vrrp.51/arp_ignore"), "1");
    assert_eq!(sysctl(&a, "net/ipv4/conf/vrrp.51/accept_local"), "1");
    assert_eq!(sysctl(&a, "net/ipv4/conf/vrrp.51/rp_filter"), "0");
    assert_eq!(sysctl(&a, "net/ipv6/conf/vrrp.51/disable_ipv6"), "1");
    // Adverts leave from the VMAC: their source MAC is the virtual MAC.
    let macs = advert_source_macs(&b, [10, 9, 0, 1], Duration::from_secs(1));
    assert_eq!(macs, vec![VMAC.to_string()], "{}", context(&d, &k)());
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(k.entered("MASTER"), 0, "{}", k.log_text());
    wait_addresses(&b, "vrrp.51", &[]);
    // Host B learnt the address at the virtual MAC (gratuitous ARP from the VMAC).
    let n = neigh(&b, "10.9.0.100");
    assert!(n.contains(VMAC), "{n}");
    let index = link.split(':').next().unwrap_or_default().to_string();

    d.kill9();
    wait_addresses(&b, "vrrp.51", &[VIP]);
    let mut d = start_kac(&a, work.path(), &ours, &[]);
    d.wait_status("kac master again (preempting)", |st| {
        state_is(st, "VI_1", "MASTER")
    });
    wait_addresses(&a, "vrrp.51", &[VIP]);
    wait_addresses(&b, "vrrp.51", &[]);
    let again = link_details(&a, "vrrp.51");
    assert_eq!(
        again.split(':').next().unwrap_or_default(),
        index,
        "the VMAC was made again instead of adopted: {again}\n{}",
        d.log_text()
    );

    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0, "{}", d.log_text());
    assert_eq!(link_details(&a, "vrrp.51"), "", "the VMAC stays after stop");
    wait_addresses(&b, "vrrp.51", &[VIP]);
}

/// VMAC, keepalived master and kac backup: kac hears keepalived's adverts on its VMAC and
/// stays backup with an empty `vrrp.51`; kill -9 of keepalived moves the address to kac's
/// VMAC; SIGTERM removes the link and restores the base interface's parameters.
#[test]
fn vmac_keepalived_master_kac_backup() {
    let Some((a, b)) = hosts("vmac_keepalived_master_kac_backup") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let mut k = Keepalived::start(&b, &work.path().join("k"), &vmac_conf(&[Inst::v3(200)]));
    wait_addresses(&b, "vrrp.51", &[VIP]);
    let mut d = start_kac(&a, work.path(), &vmac_conf(&[Inst::v3(100)]), &[]);
    d.wait_status("kac backup of 10.9.0.2", |st| {
        state_is(st, "VI_1", "BACKUP") && instance(st, "VI_1")["master"] == "10.9.0.2"
    });
    let link = link_details(&a, "vrrp.51");
    assert!(link.contains(&format!("link/ether {VMAC}")), "{link}");
    std::thread::sleep(Duration::from_secs(1));
    wait_addresses(&a, "vrrp.51", &[]);
    let st = d.status().expect("status");
    assert_eq!(instance(&st, "VI_1")["transitions"], 1, "{st:#}");
    k.kill9();
    let start = std::time::Instant::now();
    wait_addresses(&a, "vrrp.51", &[VIP]);
    // Master down interval: 3 × 0.1 s + skew.
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(!holds(&a, VIP));
    // A stop removes the VMAC and puts back the base interface's parameters (kac changed
    // them from 0; a killed kac could not, like keepalived).
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0, "{}", d.log_text());
    assert_eq!(link_details(&a, "vrrp.51"), "", "the VMAC stays after stop");
    assert_eq!(sysctl(&a, "net/ipv4/conf/eth0/arp_ignore"), "0");
    assert_eq!(sysctl(&a, "net/ipv4/conf/eth0/arp_filter"), "0");
}

/// Whether a TCP connection from `ns` to `addr:port` is refused (a reset: the packet reached
/// a host that holds the address) rather than dropped (no answer within 1 s).
fn refused(ns: &OracleNamespace, addr: &str) -> bool {
    let name = ns.name().to_string();
    let ip: std::net::IpAddr = addr.parse().expect("address");
    let to = std::net::SocketAddr::new(ip, 9);
    std::thread::spawn(move || {
        let f = std::fs::File::open(format!("/run/netns/{name}")).expect("netns file");
        nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        match std::net::TcpStream::connect_timeout(&to, Duration::from_secs(1)) {
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
            Ok(_) => panic!("something listens on {to}"),
        }
    })
    .join()
    .expect("connect thread")
}

/// `nft list ruleset` in `ns`, or `None` without the `nft` program.
fn nft_ruleset(ns: &OracleNamespace) -> Option<String> {
    kac_tests::privileges::find_program("nft")?;
    let out = run_with_timeout(
        ns.command("nft").args(["list", "ruleset"]),
        Duration::from_secs(30),
    )
    .expect("nft");
    Some(out.stdout)
}

/// `no_accept` (and strict mode below priority 255): while master, kac's nf_tables rules
/// drop traffic to the virtual addresses of the instance without accept mode, and not of the
/// one with it (IPv4 and IPv6, where neighbour discovery still passes); the rules go at stop (the address answers again when put back by hand).
#[test]
fn no_accept_drops_traffic_to_a_masters_addresses() {
    let Some((a, b)) = hosts("no_accept_drops_traffic_to_a_masters_addresses") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let strict = Inst {
        name: "VI_2",
        vrid: 52,
        vip: "10.9.0.102/24",
        ..Inst::v3(150)
    };
    let text = conf(&[
        Inst::v3(150),
        Inst {
            name: "VI_3",
            vrid: 53,
            vip: "10.9.0.103/24",
            ..Inst::v3(150)
        },
        strict,
        Inst {
            name: "VI_4",
            vrid: 54,
            vip: "fd09::104/64",
            ..Inst::v3(150)
        },
    ])
    .replacen(
        "  virtual_ipaddress {\n    fd09::104/64",
        "  no_accept\n  virtual_ipaddress {\n    fd09::104/64",
        1,
    )
    .replacen(
        "  virtual_ipaddress {\n    10.9.0.100/24",
        "  no_accept\n  virtual_ipaddress {\n    10.9.0.100/24",
        1,
    )
    .replacen(
        "  virtual_ipaddress {\n    10.9.0.102/24",
        "  strict_mode\n  virtual_ipaddress {\n    10.9.0.102/24",
        1,
    );
    let mut d = start_kac(&a, work.path(), &text, &[]);
    d.wait_status("kac master of all three", |st| {
        ["VI_1", "VI_2", "VI_3", "VI_4"]
            .iter()
            .all(|n| state_is(st, n, "MASTER"))
    });
    wait_addresses(
        &a,
        "eth0",
        &["10.9.0.1/24", VIP, "10.9.0.102/24", "10.9.0.103/24"],
    );
    assert!(
        refused(&b, "10.9.0.103"),
        "accept mode: the address answers"
    );
    assert!(
        !refused(&b, "10.9.0.100"),
        "no_accept: dropped\n{}",
        d.log_text()
    );
    assert!(!refused(&b, "10.9.0.102"), "strict mode: dropped");
    assert!(!refused(&b, "fd09::104"), "no_accept over IPv6: dropped");
    // Neighbour discovery still resolves the IPv6 address.
    let n = neigh(&b, "fd09::104");
    assert!(n.contains("lladdr"), "{n}");
    if let Some(rules) = nft_ruleset(&a) {
        assert!(rules.contains("table ip kac"), "{rules}");
        assert!(rules.contains("ip daddr 10.9.0.100 drop"), "{rules}");
        assert!(rules.contains("ip saddr 10.9.0.100 drop"), "{rules}");
        assert!(rules.contains("ip daddr 10.9.0.102 drop"), "{rules}");
        assert!(!rules.contains("10.9.0.103"), "{rules}");
        assert!(rules.contains("table ip6 kac"), "{rules}");
        assert!(rules.contains("ip6 daddr fd09::104 drop"), "{rules}");
        assert!(
            rules.contains("icmpv6 type nd-neighbor-solicit accept"),
            "{rules}"
        );
    }
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0, "{}", d.log_text());
    if let Some(rules) = nft_ruleset(&a) {
        assert!(!rules.contains("kac"), "{rules}");
    }
    run_with_timeout(
        a.command("ip").args(["addr", "add", VIP, "dev", "eth0"]),
        Duration::from_secs(30),
    )
    .expect("ip addr add");
    assert!(refused(&b, "10.9.0.100"), "the rules are gone after stop");
}

/// Waits until `dev` in `ns` holds `addr` (either family) or not, as `want` says.
fn wait_on(ns: &OracleNamespace, dev: &str, addr: &str, want: bool, context: impl Fn() -> String) {
    let holds = || {
        kac_tests::vrrp::addresses(ns, dev)
            .iter()
            .any(|a| a == addr)
    };
    assert!(
        wait_until(LONG, || holds() == want),
        "{dev} {} {addr}: {:?}\n{}",
        if want { "lacks" } else { "still has" },
        kac_tests::vrrp::addresses(ns, dev),
        context()
    );
}

/// VMAC over IPv6 (VRRPv3): the MAC is 00:00:5e:00:02:VRID, the VMAC has no address of its
/// own but the base interface's link-local one (as keepalived's), the address moves to
/// keepalived's VMAC after kill -9.
#[test]
fn vmac_ipv6_kac_master_keepalived_backup() {
    let Some((a, b)) = hosts("vmac_ipv6_kac_master_keepalived_backup") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let i = Inst {
        vip: VIP6,
        ..Inst::v3(150)
    };
    let mut d = start_kac(&a, work.path(), &vmac_conf(&[i]), &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let k = Keepalived::start(
        &b,
        &work.path().join("k"),
        &vmac_conf(&[Inst { priority: 100, ..i }]),
    );
    wait_on(&a, "vrrp.51", VIP6, true, context(&d, &k));
    let link = link_details(&a, "vrrp.51");
    assert!(link.contains("link/ether 00:00:5e:00:02:33"), "{link}");
    assert!(link.contains("addrgenmode none"), "{link}");
    let ll = |dev: &str| {
        kac_tests::vrrp::addresses(&a, dev)
            .into_iter()
            .filter(|x| x.starts_with("fe80:"))
            .collect::<Vec<_>>()
    };
    assert_eq!(ll("vrrp.51"), ll("eth0"), "the base's link-local only");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(k.entered("MASTER"), 0, "{}", k.log_text());
    d.kill9();
    wait_on(&b, "vrrp.51", VIP6, true, context(&d, &k));
}

/// `vmac_xmit_base`: the address is on the VMAC but adverts leave from the base interface
/// (its own MAC); keepalived, likewise configured, stays backup.
#[test]
fn vmac_xmit_base_advertises_from_the_base_interface() {
    let Some((a, b)) = hosts("vmac_xmit_base_advertises_from_the_base_interface") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let text =
        |p| vmac_conf(&[Inst::v3(p)]).replace("  use_vmac\n", "  use_vmac\n  vmac_xmit_base\n");
    let d = start_kac(&a, work.path(), &text(150), &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let k = Keepalived::start(&b, &work.path().join("k"), &text(100));
    wait_addresses(&a, "vrrp.51", &[VIP]);
    let macs = advert_source_macs(&b, [10, 9, 0, 1], Duration::from_secs(1));
    assert_eq!(macs, vec![link_mac(&a)], "{}", context(&d, &k)());
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(k.entered("MASTER"), 0, "{}", k.log_text());
}

/// A host moving from keepalived to kac: keepalived master (150) on A, keepalived backup (100)
/// on B (VRRPv2, advert_int 1); keepalived on A stops without a word (kill -9: its VIP stays)
/// and `kac daemon --adopt` starts there. kac finds the VIP on the host and starts as master
/// at once (INIT -> MASTER, one transition); B, whose master-down interval is 3.6 s, never
/// becomes master.
#[test]
fn adopt_takes_over_from_keepalived_without_a_failover() {
    let Some((a, b)) = hosts("adopt_takes_over_from_keepalived_without_a_failover") else {
        return;
    };
    // Built now, not between keepalived's death and kac's start.
    let _ = kac_tests::kac_bin();
    let work = tempfile::tempdir().expect("tempdir");
    let i = Inst {
        version: 2,
        advert: "1",
        ..Inst::v3(150)
    };
    let mut ka = Keepalived::start(&a, &work.path().join("ka"), &conf(&[i]));
    let log = ka.log.clone();
    wait_holds(&a, VIP, true, LONG, move || {
        std::fs::read_to_string(&log).unwrap_or_default()
    });
    let kb = Keepalived::start(
        &b,
        &work.path().join("kb"),
        &conf(&[Inst { priority: 100, ..i }]),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(kb.entered("MASTER"), 0, "{}", kb.log_text());
    ka.kill9();
    assert!(holds(&a, VIP), "kill -9 left no VIP behind");
    let d = start_kac(&a, work.path(), &conf(&[i]), &["--adopt"]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    std::thread::sleep(Duration::from_secs(5));
    let st = d.status().expect("status");
    let ctx = context(&d, &kb);
    assert_eq!(
        instance(&st, "VI_1")["state"],
        "MASTER",
        "{st:#}\n{}",
        ctx()
    );
    assert_eq!(instance(&st, "VI_1")["transitions"], 1, "{st:#}\n{}", ctx());
    assert_eq!(kb.entered("MASTER"), 0, "{}", ctx());
    assert!(holds(&a, VIP) && !holds(&b, VIP), "{}", ctx());
}

/// Starts counting the gratuitous ARPs for `vip` (sender and target address) that `ns`
/// receives on eth0 during `secs` seconds, through a packet socket (python3); returns once
/// the socket listens. [`garp_times`] collects the arrival times.
fn capture_garps(ns: &OracleNamespace, vip: &str, secs: f64) -> std::process::Child {
    const SCRIPT: &str = r#"
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind(("eth0", 0))
s.settimeout(0.05)
want = socket.inet_aton(sys.argv[1])
end = time.monotonic() + float(sys.argv[2])
print("ready", flush=True)
while time.monotonic() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    if f[28:32] == want and f[38:42] == want:
        print(time.monotonic(), flush=True)
"#;
    let mut child = ns
        .command("python3")
        .args(["-c", SCRIPT, vip, &secs.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 capture");
    let mut line = String::new();
    if let Some(out) = child.stdout.as_mut() {
        use std::io::BufRead;
        let mut r = std::io::BufReader::new(out);
        r.read_line(&mut line).expect("capture ready");
    }
    assert_eq!(line.trim(), "ready", "the capture did not start");
    child
}

/// The arrival times (s, monotonic) a [`capture_garps`] child printed, once it ended.
fn garp_times(child: std::process::Child) -> Vec<f64> {
    let out = child.wait_with_output().expect("capture output");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Gratuitous ARP timings on the wire: kac, address owner (master at once), with
/// `garp_master_repeat 3`, `garp_master_delay 2` and `garp_master_refresh 4` (refresh repeat
/// 2) sends 3 gratuitous ARPs on becoming master, 3 more 2 s later, then 2 every 4 s.
#[test]
fn garp_master_settings_are_seen_on_the_wire() {
    let Some((a, b)) = hosts("garp_master_settings_are_seen_on_the_wire") else {
        return;
    };
    let _ = kac_tests::kac_bin();
    let work = tempfile::tempdir().expect("tempdir");
    let text = conf(&[Inst::v3(255)]).replace(
        "  virtual_ipaddress",
        "  garp_master_repeat 3\n  garp_master_delay 2\n  garp_master_refresh 4\n  garp_master_refresh_repeat 2\n  virtual_ipaddress",
    );
    let capture = capture_garps(&b, "10.9.0.100", 10.0);
    let d = start_kac(&a, work.path(), &text, &[]);
    let times = garp_times(capture);
    let log = d.log_text();
    assert!(times.len() >= 8, "{times:?}\n{log}");
    let rel: Vec<f64> = times.iter().map(|t| t - times[0]).collect();
    let burst = |from: f64, to: f64| rel.iter().filter(|t| **t >= from && **t < to).count();
    assert_eq!(burst(0.0, 1.0), 3, "first burst: {rel:?}\n{log}");
    assert_eq!(burst(1.0, 3.0), 3, "second burst after 2 s: {rel:?}\n{log}");
    assert_eq!(
        burst(3.0, 5.5),
        0,
        "nothing until the refresh: {rel:?}\n{log}"
    );
    assert_eq!(burst(5.5, 7.0), 2, "a refresh of 2 at 6 s: {rel:?}\n{log}");
}

/// `mcast_dst_ip`: kac (150) and keepalived (100) both
/// advertise to 224.0.0.99 instead of 224.0.0.18; keepalived hears kac and stays backup,
/// and takes over when kac is killed.
#[test]
fn mcast_dst_ip_interoperates() {
    let Some((a, b)) = hosts("mcast_dst_ip_interoperates") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let with_group = |i: Inst| {
        conf(&[i]).replace(
            "  virtual_ipaddress",
            "  mcast_dst_ip 224.0.0.99\n  virtual_ipaddress",
        )
    };
    let i = Inst::v3(150);
    let mut d = start_kac(&a, work.path(), &with_group(i), &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let k = Keepalived::start(
        &b,
        &work.path().join("k"),
        &with_group(Inst { priority: 100, ..i }),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(k.entered("MASTER"), 0, "{}", k.log_text());
    assert!(holds(&a, VIP) && !holds(&b, VIP));
    d.kill9();
    wait_holds(&b, VIP, true, Duration::from_secs(3), context(&d, &k));
}

/// `track_group` as keepalived does it (checked by hand against keepalived 2.2.7): kac (150)
/// is master with keepalived (100) as its peer; kac has a static address on eth1 whose
/// `track_group` lists VI_1. Deleting the address by hand changes nothing but the address
/// coming back; eth1 going down (the address cannot be restored) puts VI_1 in FAULT, says why
/// in `kac status`, and keepalived takes the virtual address; eth1 up again and kac is master
/// again.
#[test]
fn track_group_faults_instances_while_a_static_address_cannot_be_restored() {
    let Some((a, b)) =
        hosts("track_group_faults_instances_while_a_static_address_cannot_be_restored")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let kac_conf = conf(&[Inst::v3(150)]).replace(
        "vrrp_instance",
        "track_group G {\n  group {\n    VI_1\n  }\n}\nstatic_ipaddress {\n  10.8.0.1/24 dev eth1 track_group G\n}\nvrrp_instance",
    );
    let d = start_kac(&a, work.path(), &kac_conf, &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let k = Keepalived::start(&b, &work.path().join("k"), &conf(&[Inst::v3(100)]));
    wait_holds(&a, VIP, true, LONG, context(&d, &k));
    let static_addr = || {
        kac_tests::vrrp::addresses(&a, "eth1")
            .iter()
            .any(|x| x == "10.8.0.1/24")
    };
    assert!(static_addr());

    // Deleted by hand: put back, and the instance stays master.
    ip_in(&a, &["addr", "del", "10.8.0.1/24", "dev", "eth1"]);
    assert!(
        wait_until(LONG, static_addr),
        "not restored\n{}",
        context(&d, &k)()
    );
    std::thread::sleep(Duration::from_millis(500));
    let st = d.status().expect("status");
    assert_eq!(instance(&st, "VI_1")["state"], "MASTER", "{st:#}");
    assert_eq!(instance(&st, "VI_1")["transitions"], 2, "{st:#}");
    assert!(holds(&a, VIP) && !holds(&b, VIP));

    // Its interface down: FAULT, and the peer takes over.
    ip_in(&a, &["link", "set", "eth1", "down"]);
    let st = d.wait_status("VI_1 in FAULT", |st| state_is(st, "VI_1", "FAULT"));
    assert_eq!(
        instance(&st, "VI_1")["fault_reasons"],
        serde_json::json!([
            "track_group G: address 10.8.0.1/24 on eth1: interface down, the entry cannot be restored"
        ]),
        "{st:#}"
    );
    assert!(
        d.status_text()
            .contains("fault: track_group G: address 10.8.0.1/24 on eth1"),
        "{}",
        d.status_text()
    );
    wait_holds(&a, VIP, false, LONG, context(&d, &k));
    wait_holds(&b, VIP, true, LONG, context(&d, &k));

    // Back up: kac preempts keepalived again.
    ip_in(&a, &["link", "set", "eth1", "up"]);
    let st = d.wait_status("kac master again", |st| state_is(st, "VI_1", "MASTER"));
    assert!(
        instance(&st, "VI_1").get("fault_reasons").is_none(),
        "{st:#}"
    );
    wait_holds(&a, VIP, true, LONG, context(&d, &k));
    wait_holds(&b, VIP, false, LONG, context(&d, &k));
    assert!(static_addr());
    assert_eq!(k.entered("MASTER"), 1, "{}", k.log_text());
}

/// `vrrp_startup_delay 2` (v3, advert 0.1 s, no peer): kac alone would be master 0.36 s after
/// it starts; with the delay it is still a backup after a second, and master only after the
/// delay plus a master-down interval.
#[test]
fn vrrp_startup_delay_holds_instances_as_backups_after_start() {
    let Some((a, _b)) = hosts("vrrp_startup_delay_holds_instances_as_backups_after_start") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let text = conf(&[Inst::v3(150)]).replace(
        "  router_id test\n",
        "  router_id test\n  vrrp_startup_delay 2\n",
    );
    let d = start_kac(&a, work.path(), &text, &[]);
    let up = std::time::Instant::now();
    d.wait_status("VI_1 backup", |st| state_is(st, "VI_1", "BACKUP"));
    std::thread::sleep(Duration::from_millis(1200).saturating_sub(up.elapsed()));
    let st = d.status().expect("status");
    assert_eq!(instance(&st, "VI_1")["state"], "BACKUP", "{st:#}");
    assert!(!holds(&a, VIP));
    d.wait_status("VI_1 master", |st| state_is(st, "VI_1", "MASTER"));
    let took = up.elapsed();
    assert!(
        took >= Duration::from_millis(1800),
        "master after {took:?}, before the delay and a master-down interval"
    );
    wait_holds(&a, VIP, true, LONG, || {
        std::fs::read_to_string(&d.log).unwrap_or_default()
    });
}

/// Instances a reload removes are notified as keepalived 2.2.7 notifies them (seen with
/// Debian's keepalived in a namespace): VI_1 (`notify_deleted "SCRIPT deleted"`) runs that
/// script and `notify … INSTANCE VI_1 DELETED 150`; VI_2 (no `notify_deleted`) gets
/// `notify … INSTANCE VI_2 FAULT 150` only (no `notify_stop`); VI_3 stays and is not
/// notified; their addresses go.
#[test]
fn notify_deleted_tells_notify_scripts_of_instances_a_reload_removes() {
    let Some((a, _b)) = hosts("notify_deleted_tells_notify_scripts_of_instances_a_reload_removes")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let log = work.path().join("notify.log");
    let script = work.path().join("notify.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" >> {}\n", log.display()),
    )
    .expect("notify script");
    let chmod = std::process::Command::new("chmod")
        .arg("755")
        .arg(&script)
        .status();
    assert!(chmod.is_ok_and(|s| s.success()));
    let one = Inst::v3(150);
    let two = Inst {
        name: "VI_2",
        vrid: 52,
        vip: "10.9.0.101/24",
        ..one
    };
    let three = Inst {
        name: "VI_3",
        vrid: 53,
        vip: "10.9.0.102/24",
        ..one
    };
    let s = script.display();
    let with_notify = |insts: &[Inst]| {
        conf(insts)
            .replace(
                "  router_id test\n",
                "  router_id test\n  script_user root\n  enable_script_security\n",
            )
            .replace(
                "  virtual_ipaddress {",
                &format!("  notify {s}\n  notify_stop \"{s} stop\"\n  virtual_ipaddress {{"),
            )
            .replacen(
                &format!("  notify {s}\n"),
                &format!("  notify {s}\n  notify_deleted \"{s} deleted\"\n"),
                1,
            )
    };
    let d = start_kac(&a, work.path(), &with_notify(&[one, two, three]), &[]);
    d.wait_status("all master", |st| {
        ["VI_1", "VI_2", "VI_3"]
            .iter()
            .all(|n| state_is(st, n, "MASTER"))
    });
    let rev = d.status().expect("status")["applied"]["revision"].clone();
    // The start-up's BACKUP and MASTER runs (three each) are done before the reload.
    let runs = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    assert!(
        wait_until(LONG, || runs() >= 6),
        "start-up notify runs missing"
    );
    std::fs::remove_file(&log).expect("notify log");
    write_atomically(
        &work.path().join("src/keepalived.conf"),
        &with_notify(&[three]),
    );
    d.wait_status("VI_1 and VI_2 gone", |st| {
        st["applied"]["revision"] != rev && instance(st, "VI_1").is_null()
    });
    let context = || std::fs::read_to_string(&d.log).unwrap_or_default();
    wait_holds(&a, VIP, false, LONG, context);
    wait_holds(&a, "10.9.0.101/24", false, LONG, context);
    assert!(holds(&a, "10.9.0.102/24"));
    // Sorted (the two instances' runs are in two queues).
    let want = [
        "INSTANCE VI_1 DELETED 150",
        "INSTANCE VI_2 FAULT 150",
        "deleted",
    ];
    let runs = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort_unstable();
        lines
    };
    assert!(
        wait_until(LONG, || runs() == want),
        "notify runs {:?}, want {want:?}\n{}",
        runs(),
        context()
    );
}

/// `interface_up_down_delays { eth1 2 1 }` with `track_interface eth1`: eth1 down and up
/// again within the down delay changes nothing; eth1 down for good keeps the instance master
/// (and the address) for 2 s, then FAULT; eth1 up again is acted upon a second later.
#[test]
fn interface_up_down_delays_hold_fault_until_the_delay_passes() {
    let Some((a, _b)) = hosts("interface_up_down_delays_hold_fault_until_the_delay_passes") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let text = conf(&[Inst::v3(150)])
        .replace(
            "vrrp_instance",
            "interface_up_down_delays {\n  eth1 2 1\n}\nvrrp_instance",
        )
        .replace(
            "  virtual_ipaddress {",
            "  track_interface {\n    eth1\n  }\n  virtual_ipaddress {",
        );
    let d = start_kac(&a, work.path(), &text, &[]);
    d.wait_status("kac master", |st| state_is(st, "VI_1", "MASTER"));
    let context = || std::fs::read_to_string(&d.log).unwrap_or_default();
    wait_holds(&a, VIP, true, LONG, context);

    // A bounce shorter than the delay.
    ip_in(&a, &["link", "set", "eth1", "down"]);
    std::thread::sleep(Duration::from_millis(800));
    ip_in(&a, &["link", "set", "eth1", "up"]);
    std::thread::sleep(Duration::from_millis(2500));
    let st = d.status().expect("status");
    assert_eq!(instance(&st, "VI_1")["state"], "MASTER", "{st:#}");
    assert_eq!(instance(&st, "VI_1")["transitions"], 2, "{st:#}");

    // Down for good: still master within the delay, FAULT after it.
    ip_in(&a, &["link", "set", "eth1", "down"]);
    let down = std::time::Instant::now();
    std::thread::sleep(Duration::from_millis(1200));
    assert!(state_is(&d.status().expect("status"), "VI_1", "MASTER"));
    assert!(holds(&a, VIP));
    d.wait_status("VI_1 in FAULT", |st| state_is(st, "VI_1", "FAULT"));
    assert!(
        down.elapsed() >= Duration::from_millis(1900),
        "FAULT after {:?}",
        down.elapsed()
    );
    wait_holds(&a, VIP, false, LONG, context);

    // Up: acted upon after the up delay (1 s), then master again.
    ip_in(&a, &["link", "set", "eth1", "up"]);
    let up = std::time::Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    assert!(state_is(&d.status().expect("status"), "VI_1", "FAULT"));
    d.wait_status("kac master again", |st| state_is(st, "VI_1", "MASTER"));
    assert!(
        up.elapsed() >= Duration::from_millis(900),
        "{:?}",
        up.elapsed()
    );
    wait_holds(&a, VIP, true, LONG, context);
}
