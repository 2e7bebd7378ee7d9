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
ipvsadm -A -t 10.9.9.9:80 -s rr
ipvsadm -a -t 10.9.9.9:80 -r 10.9.9.10:80 -m -w 1
S="--state-dir /tmp/st"
step s1-apply kac apply vm-services.conf $S
step s1-list ipvsadm -Ln
step s1-thresholds ipvsadm -Ln --thresholds
step s1-timeout ipvsadm -Ln --timeout
step s1-again kac apply vm-services.conf $S
step s2-apply kac apply vm-services-v2.conf $S
step s2-list ipvsadm -Ln
step s2-thresholds ipvsadm -Ln --thresholds
step s2-timeout ipvsadm -Ln --timeout
step s2-again kac apply vm-services-v2.conf $S
step hand-edit sh -c 'ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 9 -x 200 -y 10 && ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.4:80 && ipvsadm -E -t 10.0.0.5:80 -s lc'
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
"#;

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
    let run = vm::run(
        &kac_bin(),
        &workspace_root().join("fixtures/apply"),
        SCRIPT,
        Duration::from_secs(900),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ok = |name: &str| -> &str {
        let st = run.step(name);
        assert_eq!(st.rc, 0, "step {name} failed:\n{}{}", st.stdout, st.stderr);
        &st.stdout
    };
    let plan1 = compile("vm-services.conf");
    let plan2 = compile("vm-services-v2.conf");
    assert_eq!(
        expected_list(&plan1, false).len(),
        19,
        "the fixture's services expand to 19"
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
        "~ lvs_timeouts tcp 600",
    ] {
        assert!(s2.lines().any(|l| l == edit), "missing `{edit}` in:\n{s2}");
    }
    assert_eq!(parse_ipvsadm(ok("s2-list"), 3), expected_list(&plan2, true));
    assert_eq!(
        nonzero_thresholds(&parse_ipvsadm(ok("s2-thresholds"), 3)),
        expected_thresholds(&plan2)
    );
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
}
