//! `kac apply` with real IPVS, in a QEMU guest booted from Debian's kernel (`tests/vm/`). One
//! boot runs every scenario as named steps; the test then compares what `ipvsadm -Ln` shows in
//! the guest with the plan `kac compile` gives for the same fixture (`fixtures/apply/vm-*.conf`),
//! with an expectation built here from the plan JSON in ipvsadm's own terms.
//!
//! Root only (and the packages `scripts/test.sh` installs); otherwise `skipped: <reason>`, a
//! failure under `KAC_REQUIRE_PRIVILEGED=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use kac_tests::{kac_bin, privileges, run_with_timeout, vm, workspace_root};
use serde_json::Value;

/// A foreign service (as kube-proxy would have), made with ipvsadm before kac runs.
const FOREIGN_SERVICE: &str = "TCP 10.9.9.9:80 rr";
const FOREIGN_DEST: &str = "-> 10.9.9.10:80 Masq 1";

const SCRIPT: &str = r#"
IP=/usr/local/bin/ip
# Routes first (their own state directory): VRF tables and MPLS encapsulation.
$IP link add eth0 type veth peer name eth0p && $IP link set eth0 up && $IP link set eth0p up
$IP addr add 10.0.0.2/24 dev eth0
$IP link add blue type vrf table 1001 && $IP link set blue up
step routes-apply kac apply vm-routes.conf --state-dir /tmp/st-routes
step routes-show $IP route show table all
step routes-again kac apply vm-routes.conf --state-dir /tmp/st-routes
step routes-empty kac apply empty.conf --state-dir /tmp/st-routes
ipvsadm -A -t 10.9.9.9:80 -s rr
ipvsadm -a -t 10.9.9.9:80 -r 10.9.9.10:80 -m -w 1
S="--state-dir /tmp/st"
step s1-apply kac apply vm-services.conf $S
step s1-list ipvsadm -Ln
step s1-thresholds ipvsadm -Ln --thresholds
step s1-tunnels ipvsadm -Ln --tun-info
step s1-timeout ipvsadm -Ln --timeout
step s1-again kac apply vm-services.conf $S
step s2-apply kac apply vm-services-v2.conf $S
step s2-list ipvsadm -Ln
step s2-thresholds ipvsadm -Ln --thresholds
step s2-tunnels ipvsadm -Ln --tun-info
step s2-timeout ipvsadm -Ln --timeout
step s2-again kac apply vm-services-v2.conf $S
step hand-edit sh -c 'ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 9 -x 200 -y 10 && ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.4:80 && ipvsadm -E -t 10.0.0.5:80 -s lc'
step hand-live kac plan --live --host vm-services-v2 --format json $S
step hand-repair kac apply vm-services-v2.conf $S
step rb-before sh -c 'ipvsadm -Ln; ipvsadm -Ln --thresholds; ipvsadm -Ln --timeout'
step rb-apply kac apply vm-rollback.conf $S
step rb-after sh -c 'ipvsadm -Ln; ipvsadm -Ln --thresholds; ipvsadm -Ln --timeout'
step rb-again kac apply vm-services-v2.conf $S
step empty-apply kac apply empty.conf $S
step empty-list ipvsadm -Ln
ipvsadm -A -t 10.0.0.50:80 -s wlc
ipvsadm -a -t 10.0.0.50:80 -r 10.0.1.50:80 -m -w 1
step adopt-refused kac apply vm-adopt.conf --state-dir /tmp/st2
step adopt kac apply vm-adopt.conf --state-dir /tmp/st2 --adopt
step adopt-again kac apply vm-adopt.conf --state-dir /tmp/st2
step flush-apply kac apply vm-flush.conf --state-dir /tmp/st3
step flush-list ipvsadm -Ln
step flush-again kac apply vm-flush.conf --state-dir /tmp/st3
step daemon-parts kac apply vm-daemon.conf --state-dir /tmp/st6 --dry-run
# Debian's keepalived makes its services, is killed (SIGKILL: nothing cleaned up), and kac
# takes them over.
ipvsadm -C
keepalived -n -l -D -f vm-keepalived.conf -p /tmp/ka.pid -r /tmp/kv.pid -c /tmp/kc.pid >/tmp/ka.log 2>&1 &
i=0
while [ $i -lt 150 ] && [ "$(ipvsadm -Ln | grep -c -- '-> [0-9[]')" != 12 ]; do sleep 0.2; i=$((i+1)); done
step ka-running pidof keepalived
kill -STOP $(pidof keepalived); kill -KILL $(pidof keepalived); sleep 0.5
step ka-gone sh -c '! pidof keepalived'
step ka-list ipvsadm -Ln --tun-info
step ka-state sh -c 'ipvsadm -Ln --tun-info; ipvsadm -Ln --thresholds; ipvsadm -Ln --persistent-conn; ipvsadm -Ln --timeout'
step ka-refused kac apply vm-keepalived.conf --state-dir /tmp/st5
step ka-adopt kac apply vm-keepalived.conf --state-dir /tmp/st5 --adopt
step ka-state-adopted sh -c 'ipvsadm -Ln --tun-info; ipvsadm -Ln --thresholds; ipvsadm -Ln --persistent-conn; ipvsadm -Ln --timeout'
step ka-again kac apply vm-keepalived.conf --state-dir /tmp/st5
step ka-change kac apply vm-keepalived-v2.conf --state-dir /tmp/st5
step ka-change-list ipvsadm -Ln --tun-info
step ka-change-again kac apply vm-keepalived-v2.conf --state-dir /tmp/st5
"#;

/// What the guest carries besides busybox and ipvsadm: iproute2 (VRF and MPLS routes shown as
/// `ip` shows them), keepalived, and the modules of veth pairs, VRFs and MPLS encapsulation.
const EXTRAS: vm::Extras<'static> = vm::Extras {
    programs: &["ip", "keepalived"],
    modules: &["veth", "vrf", "mpls_router", "mpls_iptunnel"],
};

/// `ipvsadm -Ln` (or `--thresholds`) as service line -> destination lines, whitespace
/// collapsed (`TCP 10.0.0.1:80 wrr` -> [`-> 10.0.1.1:80 Masq 3`]); the connection counters are
/// dropped.
fn parse_ipvsadm(text: &str, dest_columns: usize) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current = None;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first() {
            Some(&("TCP" | "UDP" | "SCTP" | "FWM")) => {
                let l = words.join(" ");
                out.entry(l.clone()).or_default();
                current = Some(l);
            }
            Some(&"->") if words.get(1) != Some(&"RemoteAddress:Port") => {
                if let Some(c) = &current {
                    let d = words[..(1 + dest_columns).min(words.len())].join(" ");
                    out.entry(c.clone()).or_default().insert(d);
                }
            }
            _ => {}
        }
    }
    out
}

fn compile(conf: &str) -> Value {
    let mut cmd = Command::new(kac_bin());
    cmd.arg("compile")
        .arg(workspace_root().join("fixtures/apply").join(conf));
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60)).expect("kac compile");
    assert_eq!(out.shell_code(), 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).expect("plan JSON")
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn socket(addr: &str, port: u64) -> String {
    if addr.contains(':') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    }
}

/// The `ipvsadm -Ln` service line and key words of one plan virtual server, for each IPVS
/// service it stands for (a group expands to several).
fn service_lines(vs: &Value) -> Vec<(String, bool)> {
    let key = &vs["key"];
    let mut heads = Vec::new();
    if let Some(a) = key.get("addr") {
        heads.push((
            format!(
                "{} {}",
                s(&a["protocol"]),
                socket(s(&a["addr"]), a["port"].as_u64().unwrap_or(0))
            ),
            false,
        ));
    } else if let Some(f) = key.get("fwmark") {
        let v6 = s(&f["family"]) == "inet6";
        let fam = if v6 { " IPv6" } else { "" };
        heads.push((format!("FWM {}{fam}", f["fwmark"]), true));
    } else if let Some(g) = key.get("group") {
        for m in vs["group_members"].as_array().into_iter().flatten() {
            let words: Vec<&str> = s(m).split_whitespace().collect();
            if words.first() == Some(&"fwmark") {
                heads.push((format!("FWM {}", words[1]), true));
                continue;
            }
            let (first, last) = words[0].split_once('-').unwrap_or((words[0], words[0]));
            let (first, last): (Ipv4Addr, Ipv4Addr) =
                (first.parse().expect("v4"), last.parse().expect("v4"));
            let port: u64 = words.get(1).map_or(0, |p| p.parse().expect("port"));
            for n in u32::from(first)..=u32::from(last) {
                heads.push((
                    format!(
                        "{} {}",
                        s(&g["protocol"]),
                        socket(&Ipv4Addr::from(n).to_string(), port)
                    ),
                    false,
                ));
            }
        }
    }
    let sched = s(&vs["scheduler"]);
    let mut tail = format!(" {sched}");
    let flags: Vec<&str> = vs["sched_flags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(s)
        .collect();
    let mut named = Vec::new();
    for (n, names) in [
        (1, ["flag-1", "sh-fallback", "mh-fallback"]),
        (2, ["flag-2", "sh-port", "mh-port"]),
        (3, ["flag-3", "flag-3", "flag-3"]),
    ] {
        if names.iter().any(|x| flags.contains(x)) {
            named.push(match (sched, n) {
                ("sh", 1) => "sh-fallback".to_string(),
                ("sh", 2) => "sh-port".to_string(),
                ("mh", 1) => "mh-fallback".to_string(),
                ("mh", 2) => "mh-port".to_string(),
                _ => format!("flag-{n}"),
            });
        }
    }
    if !named.is_empty() {
        tail.push_str(&format!(" ({})", named.join(",")));
    }
    if let Some(t) = vs["persistence_timeout_s"].as_u64() {
        tail.push_str(&format!(" persistent {t}"));
        if let Some(g) = vs["persistence_granularity"].as_str() {
            tail.push_str(&format!(" mask {g}"));
        }
    }
    if let Some(pe) = vs["persistence_engine"].as_str() {
        tail.push_str(&format!(" pe {pe}"));
    }
    if flags.contains(&"ops") {
        tail.push_str(" ops");
    }
    heads
        .into_iter()
        .map(|(h, fwmark)| (format!("{h}{tail}"), fwmark))
        .collect()
}

/// How `ipvsadm -Ln --tun-info` shows the tunnel of a plan real server (`n/a` when it is not
/// tunnelled).
fn tunnel_info(rs: &Value) -> String {
    let t = &rs["tunnel"];
    if t.is_null() {
        return "n/a".into();
    }
    let csum = match s(&t["checksum"]) {
        "csum" => "+c",
        "remcsum" => "r+c",
        _ => "-c",
    };
    match s(&t["kind"]) {
        "gue" => format!("gue:{}:{csum}", t["port"]),
        "gre" => format!("gre:{csum}"),
        other => other.to_string(),
    }
}

/// What `ipvsadm -Ln --tun-info` must show for the destinations of `plan`: service line ->
/// `-> ADDRESS METHOD TUNNEL WEIGHT`.
fn expected_tunnels(plan: &Value) -> BTreeMap<String, BTreeSet<String>> {
    expected_list(plan, false)
        .into_iter()
        .map(|(service, dests)| {
            let with_tunnels = dests
                .into_iter()
                .map(|d| {
                    let w: Vec<&str> = d.split_whitespace().collect();
                    let rs = plan_real_server(plan, &service, w[1]);
                    format!("{} {} {} {} {}", w[0], w[1], w[2], tunnel_info(&rs), w[3])
                })
                .collect();
            (service, with_tunnels)
        })
        .collect()
}

/// The plan real server behind an `ipvsadm -Ln` destination (`10.0.1.1:80`) of a service line.
fn plan_real_server(plan: &Value, service: &str, dest: &str) -> Value {
    for vs in plan["virtual_servers"].as_array().into_iter().flatten() {
        if !service_lines(vs).iter().any(|(l, _)| l == service) {
            continue;
        }
        for rs in vs["real_servers"].as_array().into_iter().flatten() {
            let addr = socket(s(&rs["addr"]), rs["port"].as_u64().unwrap_or(0));
            let any_port = socket(s(&rs["addr"]), 0);
            if addr == dest || any_port == dest {
                return rs.clone();
            }
        }
    }
    panic!("no real server {dest} of `{service}` in the plan")
}

/// What `ipvsadm -Ln` must show for `plan` (plus the foreign service when `foreign`).
fn expected_list(plan: &Value, foreign: bool) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for vs in plan["virtual_servers"].as_array().into_iter().flatten() {
        for (line, fwmark) in service_lines(vs) {
            let dests = vs["real_servers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|rs| {
                    let method = match s(&rs["lb_kind"]) {
                        "NAT" => "Masq",
                        "DR" => "Route",
                        _ => "Tunnel",
                    };
                    // keepalived ignores real server ports on fwmark services.
                    let port = if fwmark {
                        0
                    } else {
                        rs["port"].as_u64().unwrap_or(0)
                    };
                    format!(
                        "-> {} {method} {}",
                        socket(s(&rs["addr"]), port),
                        rs["weight"]
                    )
                })
                .collect();
            out.insert(line, dests);
        }
    }
    if foreign {
        out.insert(
            FOREIGN_SERVICE.to_string(),
            [FOREIGN_DEST.to_string()].into_iter().collect(),
        );
    }
    out
}

/// The thresholds `ipvsadm -Ln --thresholds` must show for the destinations of `plan`.
fn expected_thresholds(plan: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for vs in plan["virtual_servers"].as_array().into_iter().flatten() {
        for rs in vs["real_servers"].as_array().into_iter().flatten() {
            let (u, l) = (&rs["uthreshold"], &rs["lthreshold"]);
            if u.as_u64() != Some(0) || l.as_u64() != Some(0) {
                out.insert(format!(
                    "-> {} {u} {l}",
                    socket(s(&rs["addr"]), rs["port"].as_u64().unwrap_or(0))
                ));
            }
        }
    }
    out
}

fn nonzero_thresholds(list: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    list.values()
        .flatten()
        .filter(|d| !d.ends_with(" 0 0"))
        .cloned()
        .collect()
}

fn lines_starting(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

#[test]
fn ipvs_apply_in_a_vm() {
    if let Some(reason) = vm::skip_reason() {
        privileges::skip("ipvs_apply_in_a_vm", &reason);
        return;
    }
    let run = vm::run_with(
        &kac_bin(),
        &workspace_root().join("fixtures/apply"),
        SCRIPT,
        Duration::from_secs(900),
        &EXTRAS,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ok = |name: &str| -> &str {
        let st = run.step(name);
        assert_eq!(st.rc, 0, "step {name} failed:\n{}{}", st.stdout, st.stderr);
        &st.stdout
    };
    // Routes in a VRF's table and with MPLS encapsulation, as `ip route` shows them.
    insta::assert_snapshot!("vm_routes_ops", ok("routes-apply"));
    let routes = ok("routes-show");
    for line in [
        "10.20.0.0/16 via 10.0.0.1 dev eth0 table 1001 proto 75",
        "10.21.0.0/16  encap mpls  100/200 via 10.0.0.1 dev eth0 proto 75",
        "10.22.0.0/16  encap mpls  300 via 10.0.0.1 dev eth0 table 1001 proto 75 mtu lock 1400",
    ] {
        assert!(
            routes.lines().any(|l| l.trim_end() == line),
            "missing `{line}` in:\n{routes}"
        );
    }
    assert_eq!(ok("routes-again"), "", "a second apply must change nothing");
    assert_eq!(ok("routes-empty").lines().count(), 3);

    let plan1 = compile("vm-services.conf");
    let plan2 = compile("vm-services-v2.conf");
    assert_eq!(
        expected_list(&plan1, false).len(),
        20,
        "the fixture's services expand to 20"
    );

    // First apply: everything added, IPVS exactly as planned, foreign service kept.
    let s1 = ok("s1-apply");
    insta::assert_snapshot!("vm_services_first_apply_ops", s1);
    assert!(
        s1.lines()
            .all(|l| l.starts_with("+ ") || l.starts_with("~ lvs_timeouts")),
        "{s1}"
    );
    assert_eq!(parse_ipvsadm(ok("s1-list"), 3), expected_list(&plan1, true));
    assert_eq!(
        nonzero_thresholds(&parse_ipvsadm(ok("s1-thresholds"), 3)),
        expected_thresholds(&plan1)
    );
    let mut tunnels = parse_ipvsadm(ok("s1-tunnels"), 4);
    tunnels.remove(FOREIGN_SERVICE);
    assert_eq!(tunnels, expected_tunnels(&plan1));
    assert!(ok("s1-timeout").contains("Timeout (tcp tcpfin udp): 900 120 300"));
    assert_eq!(ok("s1-again"), "", "a second apply must change nothing");

    // The changed config: edits in place, never delete + add of a service or destination
    // that stays.
    let s2 = ok("s2-apply");
    insta::assert_snapshot!("vm_services_v2_ops", s2);
    assert_eq!(
        lines_starting(s2, "- service"),
        ["- service udp 10.0.0.4:5060"]
    );
    assert_eq!(
        lines_starting(s2, "+ service"),
        ["+ service tcp 10.0.0.5:80 scheduler rr"]
    );
    assert_eq!(
        lines_starting(s2, "- dest"),
        ["- dest tcp 10.0.0.1:80 -> 10.0.1.3:80"]
    );
    for edit in [
        "~ service tcp 10.0.0.1:80 scheduler wlc",
        "~ service udp 10.0.0.1:53 flags none",
        "~ service tcp 10.0.0.2:443 persistent 900 netmask 255.255.255.255",
        "~ service fwmark 5 scheduler sed",
        "~ dest tcp 10.0.0.1:80 -> 10.0.1.1:80 weight 5 uthreshold 200",
        "~ dest tcp 10.0.0.1:80 -> 10.0.1.2:80 route",
        "~ dest tcp 10.0.0.6:80 -> 10.0.1.1:80 tunnel gue:6090:-c",
        "~ dest tcp 10.0.0.6:80 -> 10.0.1.2:80 tunnel gre:+c",
        "~ dest tcp 10.0.0.6:80 -> 10.0.1.4:80 tunnel gue:6090:+c",
        "~ lvs_timeouts tcp 600",
    ] {
        assert!(s2.lines().any(|l| l == edit), "missing `{edit}` in:\n{s2}");
    }
    assert_eq!(parse_ipvsadm(ok("s2-list"), 3), expected_list(&plan2, true));
    assert_eq!(
        nonzero_thresholds(&parse_ipvsadm(ok("s2-thresholds"), 3)),
        expected_thresholds(&plan2)
    );
    let mut tunnels = parse_ipvsadm(ok("s2-tunnels"), 4);
    tunnels.remove(FOREIGN_SERVICE);
    assert_eq!(tunnels, expected_tunnels(&plan2));
    assert!(ok("s2-timeout").contains("Timeout (tcp tcpfin udp): 600 120 300"));
    assert_eq!(ok("s2-again"), "");

    // Hand-made changes to owned objects are repaired, and only those.
    ok("hand-edit");
    assert_eq!(
        ok("hand-repair"),
        "~ dest tcp 10.0.0.1:80 -> 10.0.1.1:80 weight 5\n\
         ~ service tcp 10.0.0.5:80 scheduler rr\n\
         + dest tcp 10.0.0.1:80 -> 10.0.1.4:80 masq weight 2\n"
    );

    // `kac plan --live` showed the same repairs before, in plan form.
    let live: kac_schema::plan_diff::PlanDiff =
        serde_json::from_str(ok("hand-live")).expect("kac plan --live JSON");
    let changes: Vec<&kac_schema::plan_diff::Change> = live
        .sites
        .iter()
        .flat_map(|s| &s.hosts)
        .flat_map(|h| &h.changes)
        .collect();
    let mut ops: Vec<&str> = changes
        .iter()
        .flat_map(|c| &c.ops)
        .map(String::as_str)
        .collect();
    ops.sort_unstable();
    let mut repaired: Vec<&str> = ok("hand-repair").lines().collect();
    repaired.sort_unstable();
    assert_eq!(ops, repaired);
    let weight = changes
        .iter()
        .find(|c| c.key == "10.0.1.1:80")
        .and_then(|c| c.fields.iter().find(|f| f.field == "weight"))
        .expect("the weight change of 10.0.1.1:80");
    assert_eq!(
        (weight.old.as_i64(), weight.new.as_i64()),
        (Some(9), Some(5))
    );
    assert!(
        changes.iter().any(|c| c.key == "10.0.0.5:80 TCP"
            && c.fields
                .iter()
                .any(|f| f.field == "scheduler" && f.new == "rr")),
        "{changes:#?}"
    );

    // A rejected service rolls back everything done before it.
    let rb = run.step("rb-apply");
    assert_eq!(rb.rc, 1, "{}{}", rb.stdout, rb.stderr);
    assert!(
        rb.stderr.contains(
            "`+ service tcp 10.0.0.9:80 scheduler twos` failed: No such file or directory: this kernel has no IPVS scheduler `twos`"
        ) && rb.stderr.contains("rolled back")
            && !rb.stderr.contains("rolled back 0 op(s)")
            && rb.stderr.contains("the host is as it was"),
        "{}",
        rb.stderr
    );
    assert_eq!(ok("rb-after"), ok("rb-before"), "IPVS is not as it was");
    assert_eq!(ok("rb-again"), "");

    // Nothing configured: kac's services go, the foreign one stays.
    let empty = ok("empty-apply");
    assert!(
        empty.lines().all(|l| l.starts_with("- service ")),
        "{empty}"
    );
    let left = parse_ipvsadm(ok("empty-list"), 3);
    assert_eq!(left, expected_list(&serde_json::json!({}), true));

    // An existing service the plan wants: refused, then adopted without a change.
    let refused = run.step("adopt-refused");
    assert_eq!(refused.rc, 1);
    assert!(
        refused
            .stderr
            .contains("`service tcp 10.0.0.50:80` exists and is not kac's"),
        "{}",
        refused.stderr
    );
    assert_eq!(ok("adopt"), "= adopt service tcp 10.0.0.50:80\n");
    assert_eq!(ok("adopt-again"), "");

    // lvs_flush: all of IPVS is kac's; what the config does not have goes.
    let flush = ok("flush-apply");
    for l in [
        "- service tcp 10.9.9.9:80",
        "- service tcp 10.0.0.50:80",
        "+ service tcp 10.0.0.60:80 scheduler rr",
    ] {
        assert!(flush.lines().any(|x| x == l), "missing `{l}` in:\n{flush}");
    }
    assert_eq!(
        parse_ipvsadm(ok("flush-list"), 3),
        expected_list(&compile("vm-flush.conf"), false)
    );
    assert_eq!(ok("flush-again"), "");

    // What needs a running process is left to the daemon, and apply says so.
    let daemon = run.step("daemon-parts");
    assert_eq!(daemon.rc, 0, "{}{}", daemon.stdout, daemon.stderr);
    assert_eq!(
        daemon.stdout,
        "+ service tcp 10.2.0.1:80 scheduler rr\n+ dest tcp 10.2.0.1:80 -> 10.2.1.1:80 masq weight 2\n"
    );
    for note in [
        "`vrrp_instance` is not applied by `kac apply`: VRRP instances are the daemon's job",
        "is not applied by `kac apply`: health checkers are the daemon's job",
        "note: `lvs_flush_on_stop` (all) happens when `kac daemon` stops",
    ] {
        assert!(
            daemon.stderr.contains(note),
            "want `{note}` in:\n{}",
            daemon.stderr
        );
    }

    // Services a real keepalived made (and left, killed): refused, then adopted with no
    // change at all, IPVS exactly as keepalived left it; then a change applies normally.
    assert!(
        !ok("ka-running").trim().is_empty(),
        "keepalived did not run"
    );
    ok("ka-gone");
    let ka_plan = compile("vm-keepalived.conf");
    assert_eq!(parse_ipvsadm(ok("ka-list"), 4), expected_tunnels(&ka_plan));
    let left = ok("ka-state");
    let refused = run.step("ka-refused");
    assert_eq!(refused.rc, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("7 object(s) the plan wants exist and are not kac's"),
        "{}",
        refused.stderr
    );
    let adopt = ok("ka-adopt");
    insta::assert_snapshot!("vm_keepalived_adopt_ops", adopt);
    assert!(
        adopt.lines().all(|l| l.starts_with("= adopt service ")),
        "not only adoptions:\n{adopt}"
    );
    assert_eq!(adopt.lines().count(), 7);
    assert_eq!(ok("ka-state-adopted"), left, "the adoption changed IPVS");
    assert_eq!(ok("ka-again"), "");
    let change = ok("ka-change");
    assert_eq!(
        change,
        "~ dest tcp 10.1.0.1:80 -> 10.1.1.2:80 weight 5\n\
         ~ dest tcp 10.1.0.3:80 -> 10.1.1.1:80 tunnel gue:6081:+c\n\
         + dest tcp 10.1.0.1:80 -> 10.1.1.3:80 masq weight 1\n"
    );
    assert_eq!(
        parse_ipvsadm(ok("ka-change-list"), 4),
        expected_tunnels(&compile("vm-keepalived-v2.conf"))
    );
    assert_eq!(ok("ka-change-again"), "");
}
