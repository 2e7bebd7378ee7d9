//! `kac daemon` on the real kernel, in network namespaces the tests create, with git
//! repositories and directories the tests create: revisions applied, broken revisions
//! refused with their diagnostics while the host keeps its state, drift put back, restarts
//! (also after kill -9) that change nothing, signatures, ancestry, operator controls,
//! metrics. What a user would check is checked: `ip addr` in the namespace, `kac status`,
//! `kac ctl`, the metrics page, the log.
//!
//! Root only; otherwise every test prints `skipped: <reason>` (a failure under
//! `KAC_REQUIRE_PRIVILEGED=1`).

use std::path::Path;
use std::time::Duration;

use kac_tests::daemon::{Daemon, Repo, addresses, wait_addresses};
use kac_tests::{OracleNamespace, kac_bin, privileges, run_with_timeout};
use serde_json::Value;

/// A namespace for `test`, or `None` (skip printed) without privileges.
fn namespace(test: &str) -> Option<OracleNamespace> {
    if let Some(reason) = privileges::skip_reason() {
        privileges::skip(test, &reason);
        return None;
    }
    if privileges::find_program("git").is_none() {
        privileges::skip(test, "`git` not found");
        return None;
    }
    Some(OracleNamespace::create().unwrap_or_else(|e| panic!("cannot create a namespace: {e}")))
}

/// A keepalived.conf with these static addresses on eth0.
fn conf(addrs: &[&str]) -> String {
    let mut s = String::from("global_defs {\n  router_id lb1\n}\nstatic_ipaddress {\n");
    for a in addrs {
        s.push_str(&format!("  {a} dev eth0\n"));
    }
    s.push_str("}\n");
    s
}

/// A test's work directory holding a git repository the daemon reads and its state directory.
struct GitSite {
    work: tempfile::TempDir,
    repo: Repo,
    url: String,
    state: String,
}

impl GitSite {
    fn new() -> GitSite {
        let work = tempfile::tempdir().expect("tempdir");
        let repo = Repo::init(&work.path().join("repo"));
        let url = repo.url();
        let state = work.path().join("state").to_string_lossy().into_owned();
        GitSite {
            work,
            repo,
            url,
            state,
        }
    }

    fn dir(&self) -> &Path {
        self.work.path()
    }

    /// `--source URL --poll POLL --state-dir STATE`, then `extra`.
    fn args<'a>(&'a self, poll: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec![
            "--source",
            self.url.as_str(),
            "--poll",
            poll,
            "--state-dir",
            self.state.as_str(),
        ];
        a.extend_from_slice(extra);
        a
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| &v[*k])
}

fn applied_is(st: &Value, rev: &str) -> bool {
    s(st, &["applied", "revision"]) == rev
}

fn seen_outcome_is(st: &Value, rev: &str, outcome: &str) -> bool {
    s(st, &["seen", "revision"]) == rev && s(st, &["seen", "outcome"]) == outcome
}

/// The convergence story of one source: apply, refuse a broken revision (the host keeps its
/// state, status has the diagnostics), recover, repair drift within a second, restart with
/// zero ops, kill -9 and restart with zero ops. `change` makes a new revision and returns
/// its id.
fn convergence_story(
    ns: &OracleNamespace,
    work: &Path,
    args: &[&str],
    change: &mut dyn FnMut(&str) -> String,
) {
    let first = change(&conf(&["10.0.0.5/24"]));
    let mut d = Daemon::start(ns, work, args);
    d.wait_status("first revision applied", |st| applied_is(st, &first));
    wait_addresses(ns, "eth0", &["10.0.0.5/24"]);

    let second = change(&conf(&["10.0.0.6/24", "10.0.0.7/24"]));
    d.wait_status("second revision applied", |st| applied_is(st, &second));
    wait_addresses(ns, "eth0", &["10.0.0.6/24", "10.0.0.7/24"]);

    // A broken revision: nothing changes, status says why and where.
    let broken = change(&format!("{}bogus_keyword 1\n", conf(&["10.0.0.8/24"])));
    let st = d.wait_status("broken revision reported", |st| {
        seen_outcome_is(st, &broken, "invalid")
    });
    assert!(applied_is(&st, &second), "{st:#}");
    let err = s(&st, &["last_error"]);
    assert_eq!(err["stage"], "compile", "{st:#}");
    assert_eq!(err["revision"], broken.as_str());
    let diag = err["diagnostics"]
        .as_array()
        .and_then(|ds| {
            ds.iter()
                .find(|d| d["code"] == "kac::conf::unknown-keyword")
        })
        .unwrap_or_else(|| panic!("no unknown-keyword diagnostic: {st:#}"));
    assert_eq!(diag["file"], "keepalived.conf", "{diag:#}");
    assert_eq!(diag["line"], 7, "{diag:#}");
    assert!(
        diag["rendered"]
            .as_str()
            .is_some_and(|r| r.contains("bogus_keyword")),
        "{diag:#}"
    );
    assert!(
        d.status_text().contains("unknown keyword `bogus_keyword`"),
        "{}",
        d.status_text()
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut now = addresses(ns, "eth0");
    now.sort();
    assert_eq!(
        now,
        ["10.0.0.6/24", "10.0.0.7/24"],
        "the broken revision changed the host"
    );

    let fixed = change(&conf(&["10.0.0.6/24", "10.0.0.8/24"]));
    let st = d.wait_status("fixed revision applied", |st| applied_is(st, &fixed));
    assert!(st["last_error"].is_null(), "{st:#}");
    wait_addresses(ns, "eth0", &["10.0.0.6/24", "10.0.0.8/24"]);

    // Drift: an owned address deleted by hand is put back within a second, and logged.
    let del = ns
        .command("ip")
        .args(["addr", "del", "10.0.0.8/24", "dev", "eth0"])
        .status();
    assert!(del.is_ok_and(|s| s.success()));
    let took = wait_addresses(ns, "eth0", &["10.0.0.6/24", "10.0.0.8/24"]);
    assert!(took < Duration::from_secs(1), "repair took {took:?}");
    let st = d.wait_status("drift counted", |st| {
        st["counters"]["drift_repairs"].as_u64() >= Some(1)
    });
    assert_eq!(st["last_ops"]["reason"], "drift", "{st:#}");
    assert!(
        d.log_text()
            .contains("drift repaired: + addr 10.0.0.8/24 dev eth0")
    );

    // SIGTERM: a clean stop that leaves the static state in place.
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0, "{}", d.log_text());
    wait_addresses(ns, "eth0", &["10.0.0.6/24", "10.0.0.8/24"]);
    assert!(
        !work.join("kac.sock").exists(),
        "the control socket is left"
    );

    // Restart: the same revision, zero ops.
    let d2 = Daemon::start(ns, work, args);
    let st = d2.wait_status("restart applied the same revision", |st| {
        applied_is(st, &fixed) && seen_outcome_is(st, &fixed, "applied")
    });
    assert_eq!(
        st["counters"]["ops_applied"],
        0,
        "{st:#}\n{}",
        d2.log_text()
    );
    assert!(st["last_ops"].is_null(), "{st:#}");
    let mut d2 = d2;
    // kill -9 and restart: zero ops again, nothing removed and re-added.
    d2.kill9();
    let d3 = Daemon::start(ns, work, args);
    let st = d3.wait_status("restart after kill -9", |st| {
        applied_is(st, &fixed) && seen_outcome_is(st, &fixed, "applied")
    });
    assert_eq!(
        st["counters"]["ops_applied"],
        0,
        "{st:#}\n{}",
        d3.log_text()
    );
    wait_addresses(ns, "eth0", &["10.0.0.6/24", "10.0.0.8/24"]);
}

#[test]
fn git_source_converges_keeps_the_last_good_state_and_repairs_drift() {
    let Some(ns) = namespace("git_source_converges_keeps_the_last_good_state_and_repairs_drift")
    else {
        return;
    };
    let site = GitSite::new();
    let mut n = 0;
    convergence_story(&ns, site.dir(), &site.args("200ms", &[]), &mut |text| {
        n += 1;
        site.repo
            .commit(&[("keepalived.conf", text)], &format!("change {n}"), &[])
    });
}

#[test]
fn path_source_converges_keeps_the_last_good_state_and_repairs_drift() {
    let Some(ns) = namespace("path_source_converges_keeps_the_last_good_state_and_repairs_drift")
    else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let site = work.path().join("site");
    std::fs::create_dir_all(&site).expect("mkdir");
    let state = work.path().join("state");
    let args = [
        "--source",
        site.to_str().expect("utf-8"),
        "--state-dir",
        state.to_str().expect("utf-8"),
    ];
    convergence_story(&ns, work.path(), &args, &mut |text| {
        // As editors save: a new file renamed over the old one.
        let tmp = site.join(".keepalived.conf.swp");
        std::fs::write(&tmp, text).expect("write");
        std::fs::rename(&tmp, site.join("keepalived.conf")).expect("rename");
        kac_reconciler::daemon::source::path::tree_digest(&site).expect("digest")
    });
}

/// `ssh-keygen -t ed25519` into `path` (no passphrase); returns the public key line.
fn ssh_key(path: &Path) -> String {
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "kac-test", "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(path.with_extension("pub")).expect("public key")
}

#[test]
fn only_revisions_signed_by_an_allowed_signer_are_applied() {
    let Some(ns) = namespace("only_revisions_signed_by_an_allowed_signer_are_applied") else {
        return;
    };
    if privileges::find_program("ssh-keygen").is_none() {
        privileges::skip(
            "only_revisions_signed_by_an_allowed_signer_are_applied",
            "`ssh-keygen` (openssh-client) not found",
        );
        return;
    }
    let site = GitSite::new();
    let work = &site.work;
    let trusted = work.path().join("trusted");
    let untrusted = work.path().join("untrusted");
    let trusted_pub = ssh_key(&trusted);
    ssh_key(&untrusted);
    let signers = work.path().join("allowed_signers");
    std::fs::write(&signers, format!("ops@example.invalid {trusted_pub}")).expect("write");
    let sign = |key: &Path| {
        vec![
            "-c".to_string(),
            "gpg.format=ssh".to_string(),
            "-c".to_string(),
            format!("user.signingkey={}", key.display()),
        ]
    };
    let trusted_args = sign(&trusted);
    let untrusted_args = sign(&untrusted);
    let commit_signed = |repo: &Repo, text: &str, msg: &str, args: &[String]| {
        std::fs::write(repo.dir.join("keepalived.conf"), text).expect("write");
        repo.git(&["add", "-A"]);
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["commit", "-q", "-S", "-m", msg]);
        repo.git(&a);
        repo.git(&["rev-parse", "HEAD"])
    };

    let repo = &site.repo;
    let good = commit_signed(repo, &conf(&["10.0.0.5/24"]), "signed", &trusted_args);
    let d = Daemon::start(
        &ns,
        work.path(),
        &site.args(
            "200ms",
            &["--allowed-signers", signers.to_str().expect("utf-8")],
        ),
    );
    let st = d.wait_status("signed revision applied", |st| applied_is(st, &good));
    assert_eq!(st["source"]["verify_signatures"], true);
    wait_addresses(&ns, "eth0", &["10.0.0.5/24"]);

    let unsigned = repo.commit(
        &[("keepalived.conf", &conf(&["10.0.0.6/24"]))],
        "unsigned",
        &[],
    );
    let st = d.wait_status("unsigned revision refused", |st| {
        seen_outcome_is(st, &unsigned, "refused")
    });
    assert!(
        st["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("the commit is not signed")),
        "{st:#}"
    );
    assert!(applied_is(&st, &good));

    let stranger = commit_signed(repo, &conf(&["10.0.0.7/24"]), "stranger", &untrusted_args);
    let st = d.wait_status("untrusted revision refused", |st| {
        seen_outcome_is(st, &stranger, "refused")
    });
    assert!(
        st["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not in the allowed signers")),
        "{st:#}"
    );
    wait_addresses(&ns, "eth0", &["10.0.0.5/24"]);

    let again = commit_signed(repo, &conf(&["10.0.0.8/24"]), "signed again", &trusted_args);
    d.wait_status("signed revision applied", |st| applied_is(st, &again));
    wait_addresses(&ns, "eth0", &["10.0.0.8/24"]);
}

#[test]
fn history_rewritten_backwards_is_refused_unless_pinned_or_allowed() {
    let Some(ns) = namespace("history_rewritten_backwards_is_refused_unless_pinned_or_allowed")
    else {
        return;
    };
    let site = GitSite::new();
    let (repo, work) = (&site.repo, &site.work);
    let args = site.args("200ms", &[]);
    let a = repo.commit(&[("keepalived.conf", &conf(&["10.0.0.5/24"]))], "a", &[]);
    let mut d = Daemon::start(&ns, work.path(), &args);
    d.wait_status("a applied", |st| applied_is(st, &a));
    let b = repo.commit(&[("keepalived.conf", &conf(&["10.0.0.6/24"]))], "b", &[]);
    d.wait_status("b applied", |st| applied_is(st, &b));

    // The branch goes back to a (a force-push back in time).
    repo.git(&["reset", "-q", "--hard", &a]);
    let st = d.wait_status("a refused", |st| seen_outcome_is(st, &a, "refused"));
    assert!(
        st["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not descend from the applied revision")),
        "{st:#}"
    );
    wait_addresses(&ns, "eth0", &["10.0.0.6/24"]);

    // The operator pins a: applied, and held there while the branch moves on.
    let (code, msg) = d.ctl(&["pin", &a[..10]]);
    assert_eq!(code, 0, "{msg}");
    assert!(msg.contains(&format!("pinned to {a}")), "{msg}");
    let st = d.wait_status("pinned a applied", |st| applied_is(st, &a));
    assert_eq!(st["mode"]["pinned"], a.as_str());
    wait_addresses(&ns, "eth0", &["10.0.0.5/24"]);
    let c = repo.commit(&[("keepalived.conf", &conf(&["10.0.0.7/24"]))], "c", &[]);
    d.wait_status("c held", |st| seen_outcome_is(st, &c, "held"));
    wait_addresses(&ns, "eth0", &["10.0.0.5/24"]);
    let (code, msg) = d.ctl(&["pin", "no-such-revision"]);
    assert_eq!(code, 1);
    assert!(msg.contains("no-such-revision"), "{msg}");
    // Unpinned: the newest revision (c descends from a).
    assert_eq!(d.ctl(&["unpin"]).0, 0);
    d.wait_status("c applied", |st| applied_is(st, &c));
    wait_addresses(&ns, "eth0", &["10.0.0.7/24"]);
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0);

    // With --allow-non-descendant, an unrelated history is accepted.
    repo.git(&["checkout", "-q", "--orphan", "other"]);
    let other = repo.commit(
        &[("keepalived.conf", &conf(&["10.0.0.9/24"]))],
        "other",
        &[],
    );
    repo.git(&["branch", "-q", "-f", "main", &other]);
    repo.git(&["checkout", "-q", "main"]);
    let mut allowed = args.to_vec();
    allowed.push("--allow-non-descendant");
    let d = Daemon::start(&ns, work.path(), &allowed);
    d.wait_status("unrelated history applied", |st| applied_is(st, &other));
    wait_addresses(&ns, "eth0", &["10.0.0.9/24"]);
}

#[test]
fn operator_controls_suspend_observe_and_sync() {
    let Some(ns) = namespace("operator_controls_suspend_observe_and_sync") else {
        return;
    };
    let site = GitSite::new();
    let (repo, work) = (&site.repo, &site.work);
    // A long poll: only `kac ctl sync` and SIGHUP fetch.
    let args = site.args("1h", &[]);
    let a = repo.commit(&[("keepalived.conf", &conf(&["10.0.0.5/24"]))], "a", &[]);
    let mut d = Daemon::start(&ns, work.path(), &args);
    d.wait_status("a applied", |st| applied_is(st, &a));
    let sock = std::fs::metadata(&d.control).expect("control socket");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(sock.permissions().mode() & 0o777, 0o600);

    // sync fetches now.
    let b = repo.commit(&[("keepalived.conf", &conf(&["10.0.0.6/24"]))], "b", &[]);
    assert_eq!(d.ctl(&["sync"]).0, 0);
    d.wait_status("b applied after sync", |st| applied_is(st, &b));

    // Suspended: a new revision is held, drift is not repaired.
    let (code, msg) = d.ctl(&["suspend"]);
    assert_eq!(code, 0, "{msg}");
    let c = repo.commit(&[("keepalived.conf", &conf(&["10.0.0.7/24"]))], "c", &[]);
    d.signal("-HUP");
    let st = d.wait_status("c held", |st| seen_outcome_is(st, &c, "held"));
    assert_eq!(st["mode"]["reconciling"], false);
    assert!(
        ns.command("ip")
            .args(["addr", "del", "10.0.0.6/24", "dev", "eth0"])
            .status()
            .is_ok_and(|s| s.success())
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        addresses(&ns, "eth0").is_empty(),
        "repaired while suspended"
    );
    assert!(d.status_text().contains("SUSPENDED"));

    // Resumed: c is applied.
    assert_eq!(d.ctl(&["resume"]).0, 0);
    d.wait_status("c applied", |st| applied_is(st, &c));
    wait_addresses(&ns, "eth0", &["10.0.0.7/24"]);

    // Observe-only: the diff is shown, nothing applied; off applies it.
    assert_eq!(d.ctl(&["observe", "on"]).0, 0);
    let e = repo.commit(&[("keepalived.conf", &conf(&["10.0.0.8/24"]))], "e", &[]);
    assert_eq!(d.ctl(&["sync"]).0, 0);
    let st = d.wait_status("e observed", |st| seen_outcome_is(st, &e, "observed"));
    let pending: Vec<&str> = st["pending_ops"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        pending,
        ["+ addr 10.0.0.8/24 dev eth0", "- addr 10.0.0.7/24 dev eth0"],
        "{st:#}"
    );
    assert!(applied_is(&st, &c));
    wait_addresses(&ns, "eth0", &["10.0.0.7/24"]);
    // The controls survive a restart.
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0);
    let mut d = Daemon::start(&ns, work.path(), &args);
    let st = d.wait_up();
    assert_eq!(st["mode"]["observe_only"], true, "{st:#}");
    assert_eq!(d.ctl(&["observe", "off"]).0, 0);
    d.wait_status("e applied", |st| applied_is(st, &e));
    wait_addresses(&ns, "eth0", &["10.0.0.8/24"]);

    // One daemon per state directory, and `kac apply` waits its turn.
    let second = Daemon::start(&ns, &work.path().join("second"), &args);
    let mut second = second;
    assert_eq!(second.wait_exit(), 1);
    assert!(
        second
            .log_text()
            .contains("is locked by another kac process"),
        "{}",
        second.log_text()
    );
    std::fs::write(work.path().join("one.conf"), conf(&["10.0.0.9/24"])).expect("write");
    let mut apply = ns.command(kac_bin());
    apply
        .arg("apply")
        .arg(work.path().join("one.conf"))
        .arg("--state-dir")
        .arg(&site.state);
    let out = run_with_timeout(&mut apply, Duration::from_secs(60)).expect("apply");
    assert_eq!(out.shell_code(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("is locked by another kac process"),
        "{}",
        out.stderr
    );
    d.signal("-TERM");
    assert_eq!(d.wait_exit(), 0);
}

#[test]
fn keywords_kac_does_not_carry_out_are_refused_naming_them() {
    let Some(ns) = namespace("keywords_kac_does_not_carry_out_are_refused_naming_them") else {
        return;
    };
    let site = GitSite::new();
    let (repo, work) = (&site.repo, &site.work);
    let a = repo.commit(&[("keepalived.conf", &conf(&["10.0.0.5/24"]))], "a", &[]);
    let d = Daemon::start(
        &ns,
        work.path(),
        &site.args("200ms", &["--log-format", "json"]),
    );
    d.wait_status("a applied", |st| applied_is(st, &a));
    let vrrp = format!(
        "{}vrrp_instance VI_1 {{\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  use_ipvlan\n  virtual_ipaddress {{\n    10.0.0.50/24\n  }}\n}}\nbfd_instance b1 {{\n  neighbor_ip 10.0.0.9\n}}\n",
        conf(&["10.0.0.6/24"])
    );
    let b = repo.commit(&[("keepalived.conf", &vrrp)], "vrrp", &[]);
    let st = d.wait_status("b invalid", |st| seen_outcome_is(st, &b, "invalid"));
    let diags = st["last_error"]["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let find = |kw: &str| {
        diags
            .iter()
            .find(|d| {
                d["code"] == "kac::runtime::not-carried-out"
                    && d["message"].as_str().is_some_and(|m| m.contains(kw))
            })
            .unwrap_or_else(|| panic!("`{kw}` not refused: {st:#}"))
            .clone()
    };
    // VRRP instances are the VRRP engine's; ipvlan is not carried out yet.
    let v = find("`use_ipvlan`");
    assert_eq!(
        (v["file"].as_str(), v["line"].as_u64()),
        (Some("keepalived.conf"), Some(11))
    );
    let bfd = find("`bfd_instance`");
    assert_eq!(bfd["line"], 16);
    wait_addresses(&ns, "eth0", &["10.0.0.5/24"]);
    // The log is JSON lines.
    let log = d.log_text();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is not applied"))),
        "{log}"
    );
}

#[test]
fn metrics_are_served_on_loopback() {
    let Some(ns) = namespace("metrics_are_served_on_loopback") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let site = work.path().join("site");
    std::fs::create_dir_all(&site).expect("mkdir");
    std::fs::write(
        site.join("keepalived.conf"),
        conf(&["10.0.0.5/24", "10.0.0.6/24"]),
    )
    .expect("write");
    let state = work.path().join("state");
    let d = Daemon::start(
        &ns,
        work.path(),
        &[
            "--source",
            site.to_str().expect("utf-8"),
            "--state-dir",
            state.to_str().expect("utf-8"),
            "--metrics",
            "127.0.0.1:9469",
        ],
    );
    let st = d.wait_status("applied", |st| !st["applied"].is_null());
    let rev = st["applied"]["revision"]
        .as_str()
        .expect("revision")
        .to_string();
    assert!(
        ns.command("ip")
            .args(["addr", "del", "10.0.0.6/24", "dev", "eth0"])
            .status()
            .is_ok_and(|s| s.success())
    );
    d.wait_status("drift repaired", |st| {
        st["counters"]["drift_repairs"].as_u64() >= Some(1)
    });
    let mut get = ns.command("bash");
    get.args([
        "-c",
        "exec 3<>/dev/tcp/127.0.0.1/9469; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3",
    ]);
    let page = run_with_timeout(&mut get, Duration::from_secs(30)).expect("GET");
    let text = page.stdout;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    for want in [
        format!("kac_revision_applied_info{{revision=\"{rev}\"}} 1"),
        "kac_ops_applied_total{kind=\"add_address\"} 3".to_string(),
        "kac_drift_repairs_total 1".to_string(),
        "kac_owned_objects{kind=\"address\"} 2".to_string(),
        "kac_reconcile_duration_seconds_count".to_string(),
        "kac_suspended 0".to_string(),
    ] {
        assert!(text.contains(&want), "`{want}` missing:\n{text}");
    }
    // Only loopback addresses are accepted.
    let mut bad = ns.command(kac_bin());
    bad.args([
        "daemon",
        "--source",
        "/nonexistent",
        "--metrics",
        "0.0.0.0:9469",
    ]);
    let out = run_with_timeout(&mut bad, Duration::from_secs(30)).expect("run");
    assert_eq!(out.shell_code(), 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("not a loopback address"),
        "{}",
        out.stderr
    );
}

#[test]
fn git_source_follows_a_ref_in_a_site_subdirectory_for_its_host() {
    let Some(ns) = namespace("git_source_follows_a_ref_in_a_site_subdirectory_for_its_host") else {
        return;
    };
    let site = GitSite::new();
    let (repo, work) = (&site.repo, &site.work);
    let manifest = "site \"pair\"\nhost \"lb1\" config=\"keepalived.conf\" config-id=\"lb1\"\nhost \"lb2\" config=\"keepalived.conf\" config-id=\"lb2\"\n";
    let shared = |n: u8| {
        format!(
            "static_ipaddress {{\n  @lb1 10.0.1.{n}/24 dev eth0\n  @lb2 10.0.2.{n}/24 dev eth0\n}}\n"
        )
    };
    repo.commit(
        &[
            ("site/kac.kdl", manifest),
            ("site/keepalived.conf", &shared(1)),
            ("README", "not a configuration\n"),
        ],
        "main 1",
        &[],
    );
    repo.git(&["branch", "release"]);
    // main moves on; the daemon follows `release`.
    repo.commit(&[("site/keepalived.conf", &shared(9))], "main 2", &[]);
    let release = repo.git(&["rev-parse", "release"]);
    let d = Daemon::start(
        &ns,
        work.path(),
        &site.args(
            "200ms",
            &["--ref", "release", "--subdir", "site", "--host", "lb2"],
        ),
    );
    let st = d.wait_status("release applied", |st| applied_is(st, &release));
    assert_eq!(st["host"], "lb2");
    assert_eq!(st["source"]["git_ref"], "release");
    assert_eq!(st["source"]["subdir"], "site");
    wait_addresses(&ns, "eth0", &["10.0.2.1/24"]);
    repo.git(&["checkout", "-q", "release"]);
    let next = repo.commit(&[("site/keepalived.conf", &shared(2))], "release 2", &[]);
    d.wait_status("release 2 applied", |st| applied_is(st, &next));
    wait_addresses(&ns, "eth0", &["10.0.2.2/24"]);
    // A host the manifest does not name: the revision is not applied, the reason is shown.
    let broken = repo.commit(
        &[(
            "site/kac.kdl",
            "site \"pair\"\nhost \"lb1\" config=\"keepalived.conf\" config-id=\"lb1\"\n",
        )],
        "lb2 removed",
        &[],
    );
    let st = d.wait_status("lb2 missing", |st| seen_outcome_is(st, &broken, "invalid"));
    assert!(
        st["last_error"]["diagnostics"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no host `lb2`")),
        "{st:#}"
    );
    wait_addresses(&ns, "eth0", &["10.0.2.2/24"]);
}
