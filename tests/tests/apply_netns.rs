//! `kac apply` on the real kernel, in network namespaces the tests create (root; each test has
//! its own namespace with `eth0`..`eth3` veth pairs, deleted on drop even when the test fails).
//! The configurations are `fixtures/apply/*.conf`; what a user would check is checked with
//! iproute2 (`ip addr`, `ip route`, `ip rule`) inside the namespace.
//!
//! Without root every test here prints `skipped: <reason>` (and fails under
//! `KAC_REQUIRE_PRIVILEGED=1`), except `unsupported_plans_are_refused_before_touching_anything`,
//! which needs no privileges.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kac_tests::{
    OracleNamespace, RunOutput, kac_bin, privileges, run_with_timeout, workspace_root,
};

const LIMIT: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("fixtures/apply").join(name)
}

/// A namespace for `test`, or `None` (skip printed) without privileges.
fn namespace(test: &str) -> Option<OracleNamespace> {
    if let Some(reason) = privileges::skip_reason() {
        privileges::skip(test, &reason);
        return None;
    }
    let ns = OracleNamespace::create().unwrap_or_else(|e| panic!("cannot create a namespace: {e}"));
    // IPv6 duplicate address detection changes addresses and local routes for seconds after
    // each change; turn it off in the test namespace, so that "before" and "after" compare.
    let mut cmd = ns.command("sh");
    cmd.args([
        "-c",
        "for f in /proc/sys/net/ipv6/conf/*/accept_dad; do echo 0 > $f; done",
    ]);
    assert_eq!(run(cmd).shell_code(), 0, "cannot turn DAD off");
    // The kernel gives each interface its IPv6 link-local address (and local route) once it
    // sees the carrier, asynchronously: wait for all eight.
    let deadline = Instant::now() + Duration::from_secs(20);
    let settled = |ns: &OracleNamespace| {
        let local = ip(ns, &["-6", "route", "show", "table", "local"]);
        ip(ns, &["-6", "-o", "addr", "show", "scope", "link"])
            .lines()
            .count()
            == 8
            && local
                .lines()
                .filter(|l| l.starts_with("local fe80::"))
                .count()
                == 8
    };
    while !settled(&ns) {
        assert!(
            Instant::now() < deadline,
            "link-local addresses never settled"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(ns)
}

fn run(mut cmd: Command) -> RunOutput {
    let out = run_with_timeout(&mut cmd, LIMIT).expect("runs");
    assert!(!out.timed_out, "timed out: {cmd:?}");
    out
}

/// `kac apply CONF --state-dir STATE ARGS…` inside the namespace.
fn apply(ns: &OracleNamespace, conf: &str, state: &Path, args: &[&str]) -> RunOutput {
    let mut cmd = ns.command(kac_bin());
    cmd.arg("apply")
        .arg(fixture(conf))
        .arg("--state-dir")
        .arg(state)
        .args(args);
    run(cmd)
}

fn ok(out: &RunOutput) -> &str {
    assert_eq!(
        out.shell_code(),
        0,
        "kac apply failed:\nstdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    &out.stdout
}

/// `ip ARGS…` in the namespace.
fn ip(ns: &OracleNamespace, args: &[&str]) -> String {
    let mut cmd = ns.command("ip");
    cmd.args(args);
    let out = run(cmd);
    assert_eq!(out.shell_code(), 0, "ip {args:?}: {}", out.stderr);
    out.stdout
}

/// Everything of the kinds kac manages, as iproute2 shows it: addresses, IPv4 and IPv6 routes
/// of every table, IPv4 and IPv6 rules. Lines are sorted (the kernel's listing order of
/// addresses is not state) and IPv6 duplicate-address-detection progress is dropped.
fn kernel_state(ns: &OracleNamespace) -> String {
    let mut all = Vec::new();
    for args in [
        &["-o", "addr", "show"][..],
        &["-4", "route", "show", "table", "all"],
        &["-6", "route", "show", "table", "all"],
        &["-4", "rule", "show"],
        &["-6", "rule", "show"],
    ] {
        let mut lines: Vec<String> = ip(ns, args)
            .lines()
            .map(|l| l.replace(" tentative", "").trim_end().to_string())
            .collect();
        lines.sort();
        all.push(format!("# ip {}\n{}", args.join(" "), lines.join("\n")));
    }
    all.join("\n")
}

fn assert_contains_all(text: &str, expected: &[&str]) {
    let missing: Vec<&&str> = expected.iter().filter(|e| !text.contains(**e)).collect();
    assert!(missing.is_empty(), "missing {missing:#?} in:\n{text}");
}

/// What `fixtures/apply/static.conf` asks for, as `ip` shows it.
const STATIC_CONF_STATE: &[&str] = &[
    "inet 10.0.0.5/24 scope global eth0",
    "inet 10.0.0.6/24 scope global secondary eth0:web",
    "inet 10.0.0.7/24 brd 10.0.0.255 scope global secondary eth0",
    "inet 192.0.2.1/32 scope host eth0",
    "inet 10.1.1.1 peer 10.1.1.2/32 scope global eth1",
    "inet 172.16.0.1/24 scope global noprefixroute eth1",
    "inet6 2001:db8::5/64 scope global nodad",
    "inet6 2001:db8::99/128 scope global nodad deprecated",
    "inet6 2001:db8:2::5/64 scope global \\",
    "10.9.0.0/16 via 10.0.0.1 dev eth0 proto 75",
    "10.8.0.0/16 dev eth0 table 100 proto 75 metric 5 mtu 1400 advmss 1360",
    "10.5.0.0/16 via 10.0.0.1 dev eth0 proto 75 src 10.0.0.5",
    "10.6.0.0/16 proto 75",
    "nexthop via 10.0.0.1 dev eth0 weight 2",
    "nexthop via 10.0.0.2 dev eth0 weight 1",
    "blackhole 10.7.0.0/16 proto 75",
    "unreachable 10.4.0.0/16 table 200 proto 75",
    "prohibit 10.3.0.0/16 proto 75",
    "2001:db8:1::/48 via 2001:db8::1 dev eth0 proto 75 metric 1024 pref medium",
    "2001:db8:3::/48 dev eth0 proto 75 metric 100 pref high",
    "100:\tfrom 10.0.0.0/8 lookup 100 proto 75",
    "101:\tfrom all to 192.0.2.0/24 fwmark 0x5 lookup 100 proto 75",
    "102:\tfrom 10.2.0.0/16 blackhole proto 75",
    "103:\tfrom 2001:db8::/32 lookup 100 proto 75",
];

#[test]
fn apply_converges_and_a_second_apply_changes_nothing() {
    let Some(ns) = namespace("apply_converges_and_a_second_apply_changes_nothing") else {
        return;
    };
    let state = tempfile::tempdir().expect("tempdir");
    let first = apply(&ns, "static.conf", state.path(), &[]);
    insta::assert_snapshot!("apply_static_conf_ops", ok(&first));
    assert_contains_all(&kernel_state(&ns), STATIC_CONF_STATE);
    assert!(
        first.stderr.contains("22 change(s) made"),
        "{}",
        first.stderr
    );

    let second = apply(&ns, "static.conf", state.path(), &[]);
    assert_eq!(ok(&second), "", "a second apply must change nothing");
    assert!(second.stderr.contains("nothing to do"), "{}", second.stderr);
}

#[test]
fn dry_run_prints_the_ops_and_changes_nothing() {
    let Some(ns) = namespace("dry_run_prints_the_ops_and_changes_nothing") else {
        return;
    };
    let state = tempfile::tempdir().expect("tempdir");
    let before = kernel_state(&ns);
    let dry = apply(&ns, "static.conf", state.path(), &["--dry-run"]);
    assert!(
        dry.stderr.contains("dry run, nothing changed"),
        "{}",
        dry.stderr
    );
    assert_eq!(kernel_state(&ns), before, "--dry-run changed the kernel");
    assert!(
        std::fs::read_dir(state.path())
            .expect("dir")
            .next()
            .is_none(),
        "--dry-run wrote to the state directory"
    );
    let real = apply(&ns, "static.conf", state.path(), &[]);
    assert_eq!(
        ok(&dry),
        ok(&real),
        "--dry-run printed other ops than apply made"
    );
}

#[test]
fn a_changed_config_changes_only_the_difference_editing_in_place() {
    let Some(ns) = namespace("a_changed_config_changes_only_the_difference_editing_in_place")
    else {
        return;
    };
    let state = tempfile::tempdir().expect("tempdir");
    ok(&apply(&ns, "static.conf", state.path(), &[]));
    let v2 = apply(&ns, "static-v2.conf", state.path(), &[]);
    insta::assert_snapshot!("apply_static_v2_after_static_ops", ok(&v2));
    let after = kernel_state(&ns);
    assert_contains_all(
        &after,
        &[
            "inet 10.0.0.6/24 scope global secondary eth0:api",
            "inet 10.0.0.8/24 scope global secondary eth0",
            "10.9.0.0/16 via 10.0.0.2 dev eth0 proto 75",
            "10.8.0.0/16 dev eth0 table 100 proto 75 metric 5 mtu 1300 advmss 1360",
            "104:\tfrom 10.3.0.0/16 lookup 200 proto 75",
        ],
    );
    for gone in ["10.0.0.7/24", "prohibit 10.3.0.0/16", "102:\t", "eth0:web"] {
        assert!(!after.contains(gone), "`{gone}` is still there:\n{after}");
    }
    assert_eq!(ok(&apply(&ns, "static-v2.conf", state.path(), &[])), "");
    // Back to nothing: everything kac made goes.
    let empty = apply(&ns, "empty.conf", state.path(), &[]);
    assert!(
        ok(&empty).lines().all(|l| l.starts_with("- ")),
        "{}",
        empty.stdout
    );
    let left = kernel_state(&ns);
    assert!(
        !left.contains("proto 75"),
        "kac's routes or rules left:\n{left}"
    );
    assert!(!left.contains("10.0.0."), "kac's addresses left:\n{left}");
}

#[test]
fn hand_made_changes_to_owned_objects_are_repaired_and_foreign_objects_left_alone() {
    let Some(ns) =
        namespace("hand_made_changes_to_owned_objects_are_repaired_and_foreign_objects_left_alone")
    else {
        return;
    };
    let state = tempfile::tempdir().expect("tempdir");
    ok(&apply(&ns, "static.conf", state.path(), &[]));
    // By hand: an owned address deleted, an owned route changed, foreign objects added.
    ip(&ns, &["addr", "del", "10.0.0.6/24", "dev", "eth0"]);
    ip(
        &ns,
        &[
            "route",
            "change",
            "10.9.0.0/16",
            "via",
            "10.0.0.2",
            "dev",
            "eth0",
            "proto",
            "75",
        ],
    );
    ip(&ns, &["addr", "add", "10.0.0.99/24", "dev", "eth0"]);
    ip(
        &ns,
        &[
            "route",
            "add",
            "10.50.0.0/16",
            "via",
            "10.0.0.1",
            "table",
            "100",
        ],
    );
    ip(
        &ns,
        &[
            "rule",
            "add",
            "from",
            "10.60.0.0/16",
            "lookup",
            "100",
            "pref",
            "500",
        ],
    );
    let repair = apply(&ns, "static.conf", state.path(), &[]);
    assert_eq!(
        ok(&repair),
        "~ route 10.9.0.0/16 via 10.0.0.1 dev eth0\n+ addr 10.0.0.6/24 dev eth0 label eth0:web\n"
    );
    let after = kernel_state(&ns);
    assert_contains_all(&after, STATIC_CONF_STATE);
    // Foreign objects survive, also when kac removes everything it owns.
    ok(&apply(&ns, "empty.conf", state.path(), &[]));
    let left = kernel_state(&ns);
    assert_contains_all(
        &left,
        &[
            "inet 10.0.0.99/24 scope global eth0",
            "10.50.0.0/16 via 10.0.0.1 dev eth0 table 100",
            "500:\tfrom 10.60.0.0/16 lookup 100",
        ],
    );
}

#[test]
fn existing_objects_are_conflicts_unless_adopted() {
    let Some(ns) = namespace("existing_objects_are_conflicts_unless_adopted") else {
        return;
    };
    let state = tempfile::tempdir().expect("tempdir");
    ip(&ns, &["addr", "add", "10.0.0.5/24", "dev", "eth0"]);
    ip(
        &ns,
        &[
            "route",
            "add",
            "10.9.0.0/16",
            "via",
            "10.0.0.1",
            "dev",
            "eth0",
        ],
    );
    let before = kernel_state(&ns);
    let refused = apply(&ns, "static.conf", state.path(), &[]);
    assert_eq!(refused.shell_code(), 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("2 object(s) the plan wants exist and are not kac's")
            && refused
                .stderr
                .contains("`addr 10.0.0.5/24 dev eth0` exists")
            && refused
                .stderr
                .contains("`route 10.9.0.0/16 via 10.0.0.1 dev eth0 proto 3` exists")
            && refused.stderr.contains("--adopt"),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stdout, "");
    assert_eq!(
        kernel_state(&ns),
        before,
        "a refused apply changed the kernel"
    );

    let adopted = apply(&ns, "static.conf", state.path(), &["--adopt"]);
    let out = ok(&adopted);
    assert!(
        out.starts_with("= adopt addr 10.0.0.5/24 dev eth0\n= adopt route 10.9.0.0/16\n"),
        "{out}"
    );
    // The route is taken over in place (its protocol becomes kac's), never deleted.
    assert!(
        out.contains("~ route 10.9.0.0/16 via 10.0.0.1 dev eth0\n"),
        "{out}"
    );
    assert!(!out.lines().any(|l| l.starts_with("- ")), "{out}");
    assert_contains_all(&kernel_state(&ns), STATIC_CONF_STATE);
    // Adopted objects are kac's now: the empty config removes them.
    let empty = apply(&ns, "empty.conf", state.path(), &[]);
    assert!(
        ok(&empty).contains("- addr 10.0.0.5/24 dev eth0\n"),
        "{}",
        empty.stdout
    );
}

/// Compares the whole kernel state before and after an apply the kernel rejects half-way.
fn assert_rolled_back(test: &str, conf: &str, failing_op: &str, reason: &str) {
    let Some(ns) = namespace(test) else {
        return;
    };
    let state = tempfile::tempdir().expect("tempdir");
    ok(&apply(&ns, "static-v2.conf", state.path(), &[]));
    let journal = std::fs::read_to_string(state.path().join("journal.json")).expect("journal");
    let before = kernel_state(&ns);
    let failed = apply(&ns, conf, state.path(), &[]);
    assert_eq!(failed.shell_code(), 1, "{}{}", failed.stdout, failed.stderr);
    let expected = format!("error: `{failing_op}` failed: {reason}; rolled back ");
    assert!(
        failed.stderr.contains(&expected),
        "want `{expected}` in:\n{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("the host is as it was"),
        "{}",
        failed.stderr
    );
    // Something had been done before the failure, and was undone.
    assert!(
        !failed.stderr.contains("rolled back 0 op(s)"),
        "{}",
        failed.stderr
    );
    assert_eq!(kernel_state(&ns), before, "the host is not as it was");
    assert_eq!(
        std::fs::read_to_string(state.path().join("journal.json")).expect("journal"),
        journal,
        "the journal is not as it was"
    );
    assert_eq!(ok(&apply(&ns, "static-v2.conf", state.path(), &[])), "");
}

#[test]
fn a_bad_gateway_rolls_back_everything_already_done() {
    assert_rolled_back(
        "a_bad_gateway_rolls_back_everything_already_done",
        "bad-gateway.conf",
        "+ route 10.20.0.0/16 via 198.51.100.1 dev eth0",
        "Nexthop has invalid gateway (Network is unreachable)",
    );
}

#[test]
fn a_missing_interface_rolls_back_everything_already_done() {
    assert_rolled_back(
        "a_missing_interface_rolls_back_everything_already_done",
        "missing-interface.conf",
        "+ addr 10.30.0.1/24 dev eth9",
        "interface `eth9` does not exist",
    );
}

#[test]
fn a_held_lock_refuses_to_apply() {
    let Some(ns) = namespace("a_held_lock_refuses_to_apply") else {
        return;
    };
    let state = tempfile::tempdir().expect("tempdir");
    let lock = std::fs::File::create(state.path().join("lock")).expect("lock file");
    lock.try_lock().expect("take the lock");
    let before = kernel_state(&ns);
    let refused = apply(&ns, "static.conf", state.path(), &[]);
    assert_eq!(refused.shell_code(), 1);
    assert!(
        refused.stderr.contains("is locked by another kac process"),
        "{}",
        refused.stderr
    );
    assert_eq!(kernel_state(&ns), before);
    drop(lock);
    ok(&apply(&ns, "static.conf", state.path(), &[]));
}

/// Runs Debian's keepalived with `conf` in the namespace until `ready` shows in the kernel
/// state, then kills every process of the namespace with SIGKILL, so that keepalived cannot
/// clean up: its addresses, routes and rules stay, as after a crash or a hard stop.
fn leave_keepalived_state(ns: &OracleNamespace, conf: &Path, ready: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let keepalived = privileges::find_program("keepalived").expect("keepalived");
    let mut cmd = ns.command(keepalived);
    cmd.args(["-n", "-l", "-D", "-f"])
        .arg(conf)
        .arg("-p")
        .arg(dir.path().join("keepalived.pid"))
        .arg("-r")
        .arg(dir.path().join("vrrp.pid"))
        .arg("-c")
        .arg(dir.path().join("checkers.pid"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("start keepalived");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut up = false;
    while !up && Instant::now() < deadline {
        up = kernel_state(ns).contains(ready);
        std::thread::sleep(Duration::from_millis(100));
    }
    kill_everything_in(ns);
    let _ = child.wait();
    assert!(up, "keepalived did not set up `{ready}`");
}

/// Stops, then kills, every process in the namespace: keepalived's children clean up when
/// their parent dies (a signal they would handle if they were running), and a process left
/// behind would keep the namespace alive after the test.
fn kill_everything_in(ns: &OracleNamespace) {
    let ip_bin = privileges::find_program("ip").expect("ip");
    let pids = run({
        let mut c = Command::new(ip_bin);
        c.args(["netns", "pids", ns.name()]);
        c
    })
    .stdout;
    let pids: Vec<&str> = pids.split_whitespace().collect();
    if pids.is_empty() {
        return;
    }
    for signal in ["-STOP", "-KILL"] {
        let status = Command::new("kill").arg(signal).args(&pids).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} {pids:?}");
    }
}

#[test]
fn adopts_the_state_a_killed_keepalived_left_without_disruption() {
    let Some(ns) = namespace("adopts_the_state_a_killed_keepalived_left_without_disruption") else {
        return;
    };
    let conf = fixture("keepalived-static.conf");
    leave_keepalived_state(
        &ns,
        &conf,
        "101:\tfrom all to 192.0.2.0/24 lookup 100 proto keepalived",
    );
    let left = kernel_state(&ns);
    assert_contains_all(
        &left,
        &[
            "inet 10.0.0.6/24 scope global secondary eth0:web",
            "10.9.0.0/16 via 10.0.0.1 dev eth0 proto keepalived",
            "inet6 2001:db8::99/128 scope global nodad deprecated",
        ],
    );
    let state = tempfile::tempdir().expect("tempdir");
    let refused = apply(&ns, "keepalived-static.conf", state.path(), &[]);
    assert_eq!(refused.shell_code(), 1, "{}", refused.stderr);

    let adopt = apply(&ns, "keepalived-static.conf", state.path(), &["--adopt"]);
    let out = ok(&adopt);
    insta::assert_snapshot!("adopt_keepalived_state_ops", out);
    // Zero disruptive ops: nothing removed, nothing added; routes change protocol in place.
    for line in out.lines() {
        assert!(
            line.starts_with("= adopt ") || line.starts_with("~ route "),
            "disruptive op `{line}` in:\n{out}"
        );
    }
    let after = kernel_state(&ns);
    // Every address keepalived made is still the same address.
    for l in left.lines().filter(|l| l.contains(" inet")) {
        assert!(
            after.contains(l),
            "address line changed: `{l}`\nafter:\n{after}"
        );
    }
    assert!(
        after.contains("10.9.0.0/16 via 10.0.0.1 dev eth0 proto 75"),
        "{after}"
    );
    assert_eq!(
        ok(&apply(&ns, "keepalived-static.conf", state.path(), &[])),
        ""
    );
}

/// The backend also handles keepalived's VMAC links (macvlan), which the VRRP engine will use:
/// created on a parent with the VRRP MAC, addressed, observed, removed.
#[test]
fn the_netlink_backend_creates_and_removes_vmac_links() {
    use kac_reconciler::kernel::Kernel;
    use kac_reconciler::kernel::netlink::NetlinkKernel;
    use kac_reconciler::model::{Address, AddressKey, MacvlanLink};
    use kac_reconciler::op::Op;

    let Some(ns) = namespace("the_netlink_backend_creates_and_removes_vmac_links") else {
        return;
    };
    let name = ns.name().to_string();
    let vmac = MacvlanLink::vmac("vrrp.51", "eth0", 51, false);
    let addr = Address {
        key: AddressKey {
            dev: "vrrp.51".into(),
            addr: "10.0.0.51".parse().expect("address"),
            prefix_len: 24,
        },
        peer: None,
        broadcast: None,
        label: None,
        scope: 0,
        flags: 0,
    };
    // netlink in the test namespace: only a dedicated thread enters it (setns affects the
    // calling thread only), so the test process stays where it is.
    let in_ns = |ops: Vec<Op>| {
        let name = name.clone();
        std::thread::spawn(move || {
            let f = std::fs::File::open(format!("/run/netns/{name}")).expect("netns file");
            nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let mut k = NetlinkKernel::new().expect("netlink");
            let results = k.apply(&ops);
            let observed = k.observe(false).expect("observe");
            (results, observed)
        })
        .join()
        .expect("thread")
    };
    let (results, observed) = in_ns(vec![
        Op::AddLink(vmac.clone()),
        Op::AddAddress(addr.clone()),
    ]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(results.len(), 2);
    let link = observed.links.get("vrrp.51").expect("vrrp.51 observed");
    assert_eq!(link.macvlan.as_ref(), Some(&vmac));
    assert!(observed.addresses.contains_key(&addr.key));
    let shown = ip(&ns, &["-d", "link", "show", "vrrp.51"]);
    assert!(shown.contains("link/ether 00:00:5e:00:01:33"), "{shown}");
    assert!(shown.contains("macvlan mode private"), "{shown}");
    assert!(shown.contains("vrrp.51@eth0"), "{shown}");
    let (results, observed) = in_ns(vec![Op::DelLink(vmac)]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(!observed.links.contains_key("vrrp.51"));
    assert!(!observed.addresses.contains_key(&addr.key));
}

/// Plan items kac cannot apply are refused before the kernel or the state directory is
/// touched (no privileges needed).
#[test]
fn unsupported_plans_are_refused_before_touching_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        "static_routes {\n  10.9.0.0/16 via 10.0.0.1 dev eth0 realms 5\n  10.8.0.0/16 dev eth0 table nosuchtable\n}\n",
    )
    .expect("write");
    let state = dir.path().join("state");
    let out = run({
        let mut c = Command::new(kac_bin());
        c.arg("apply").arg(&conf).arg("--state-dir").arg(&state);
        c
    });
    assert_eq!(out.shell_code(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("route option `realms` is not supported by kac yet")
            && out.stderr.contains("unknown routing table `nosuchtable`"),
        "{}",
        out.stderr
    );
    assert!(!state.exists(), "the state directory was created");
}

/// `kac_reconciler::live_diff_of_plan` (what `kac plan --live` will show) computes, without a
/// lock and without changing anything, the ops `kac apply --dry-run` prints.
#[test]
fn the_live_diff_of_a_plan_is_what_dry_run_prints() {
    let Some(ns) = namespace("the_live_diff_of_a_plan_is_what_dry_run_prints") else {
        return;
    };
    let state = tempfile::tempdir().expect("tempdir");
    ok(&apply(&ns, "static.conf", state.path(), &[]));
    ip(&ns, &["addr", "add", "10.0.0.5/24", "dev", "eth1"]);
    let before = kernel_state(&ns);
    let conf = fixture("static-v2.conf");
    let compiled = kac_compiler::compile_conf(
        &conf,
        &conf.to_string_lossy(),
        "static-v2",
        &kac_compiler::Options::default(),
    );
    let plan = compiled.plan.expect("static-v2.conf compiles");
    let name = ns.name().to_string();
    let dir = state.path().to_path_buf();
    let diff = std::thread::spawn(move || {
        let f = std::fs::File::open(format!("/run/netns/{name}")).expect("netns file");
        nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        kac_reconciler::live_diff_of_plan(&plan, &dir, false).expect("live diff")
    })
    .join()
    .expect("thread");
    let live: String = diff.ops.iter().map(|o| format!("{o}\n")).collect();
    assert!(diff.conflicts.is_empty() && diff.adopted.is_empty());
    assert_eq!(
        kernel_state(&ns),
        before,
        "the live diff changed the kernel"
    );
    let dry = apply(&ns, "static-v2.conf", state.path(), &["--dry-run"]);
    assert_eq!(live, ok(&dry));
    assert!(
        live.contains("~ route 10.9.0.0/16 via 10.0.0.2 dev eth0\n"),
        "{live}"
    );
}
