//! The script runner and keepalived's script security rules (`kac_reconciler::script`),
//! against real scripts the tests write and run: exit codes and signals, no shell, timeouts
//! killing the whole process group, running as another user, refusing unsafe scripts.
//!
//! Tests that need root (another user, root-owned files for the security rules) skip
//! without it, and fail instead when `KAC_REQUIRE_PRIVILEGED=1`.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kac_reconciler::script::security::{self, Refusal, Unsafety};
use kac_reconciler::script::{Outcome, RunAs, Script};
use kac_tests::privileges;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Writes an executable shell script.
fn write_script(path: &Path, body: &str, mode: u32) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn argv(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

fn root_or_skip(test: &str) -> bool {
    if privileges::is_root() {
        return true;
    }
    privileges::skip(
        test,
        "not running as root (needs root-owned files and setuid)",
    );
    false
}

#[test]
fn exit_codes_and_signals_are_reported() {
    let rt = rt();
    let me = RunAs::current();
    let run = |v: &[&str]| rt.block_on(Script::new(argv(v), me).run()).outcome;
    assert_eq!(run(&["/bin/sh", "-c", "exit 0"]), Outcome::Exited(0));
    assert_eq!(run(&["/bin/sh", "-c", "exit 3"]), Outcome::Exited(3));
    assert_eq!(run(&["/bin/sh", "-c", "kill -9 $$"]), Outcome::Signalled(9));
    assert!(matches!(
        run(&["/nonexistent/kac-script"]),
        Outcome::SpawnFailed(_)
    ));
}

#[test]
fn arguments_reach_the_script_verbatim_without_a_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("args");
    let script = dir.path().join("args.sh");
    write_script(
        &script,
        &format!(
            "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > {}",
            out.display()
        ),
        0o755,
    );
    let pwned = dir.path().join("pwned");
    let subst = format!("$(touch {})", pwned.display());
    let tricky = ["a b", subst.as_str(), "x;y", "*", "'q'"];
    let mut v = vec![script.display().to_string()];
    v.extend(tricky.iter().map(|s| (*s).to_string()));
    let run = rt().block_on(Script::new(v, RunAs::current()).run());
    assert_eq!(run.outcome, Outcome::Exited(0));
    let got = std::fs::read_to_string(&out).expect("script wrote its arguments");
    assert_eq!(got.lines().collect::<Vec<_>>(), tricky);
    assert!(!pwned.exists(), "no shell expanded an argument");
}

#[test]
fn the_environment_is_passed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("env");
    let run = rt().block_on(
        Script::new(
            argv(&[
                "/bin/sh",
                "-c",
                &format!("printf %s \"$KAC_TEST_ENV\" > {}", out.display()),
            ]),
            RunAs::current(),
        )
        .with_env("KAC_TEST_ENV", "value 1")
        .run(),
    );
    assert_eq!(run.outcome, Outcome::Exited(0));
    assert_eq!(std::fs::read_to_string(&out).expect("env file"), "value 1");
}

fn alive(pid: i32) -> bool {
    // A killed process may linger as a zombie until its parent reaps it.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        })
        .unwrap_or(false)
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("child.pid");
    let script = dir.path().join("slow.sh");
    // The script starts a background child, ignores SIGTERM, and sleeps.
    write_script(
        &script,
        &format!(
            "sleep 60 &\necho $! > {}\ntrap '' TERM\nsleep 60\n",
            pid_file.display()
        ),
        0o755,
    );
    let mut s = Script::new(vec![script.display().to_string()], RunAs::current())
        .with_timeout(Duration::from_millis(500));
    s.kill_grace = Duration::from_millis(300);
    let started = Instant::now();
    let run = rt().block_on(s.run());
    assert_eq!(run.outcome, Outcome::TimedOut);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let child: i32 = std::fs::read_to_string(&pid_file)
        .expect("the script started its child")
        .trim()
        .parse()
        .expect("pid");
    let deadline = Instant::now() + Duration::from_secs(3);
    while alive(child) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !alive(child),
        "the script's child {child} survived the timeout"
    );
}

#[test]
fn a_running_script_never_blocks_the_runtime() {
    let rt = rt();
    rt.block_on(async {
        let handle = Script::new(argv(&["/bin/sleep", "1"]), RunAs::current()).spawn();
        let t = Instant::now();
        tokio::time::sleep(Duration::from_millis(50)).await;
        // On a single-threaded runtime, this only wakes if the script does not block it.
        assert!(t.elapsed() < Duration::from_millis(500));
        assert!(!handle.is_finished());
        let run = handle.await.expect("join");
        assert_eq!(run.outcome, Outcome::Exited(0));
        assert!(
            run.elapsed >= Duration::from_millis(900),
            "{:?}",
            run.elapsed
        );
    });
}

#[test]
fn scripts_run_as_the_configured_user_and_group() {
    if !root_or_skip("scripts_run_as_the_configured_user_and_group") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let out = dir.path().join("ids");
    let nobody = RunAs::from_names("nobody", Some("nogroup")).expect("nobody:nogroup");
    let run = rt().block_on(
        Script::new(
            argv(&[
                "/bin/sh",
                "-c",
                &format!("echo $(id -u) $(id -g) $(id -G) > {}", out.display()),
            ]),
            nobody,
        )
        .run(),
    );
    assert_eq!(run.outcome, Outcome::Exited(0));
    let ids = std::fs::read_to_string(&out).expect("ids written");
    let want = format!("{} {} {}", nobody.uid, nobody.gid, nobody.gid);
    assert_eq!(ids.trim(), want, "no supplementary groups either");
}

/// A root-owned directory tree under a fresh root-owned temporary directory.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        Tree { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn mkdir(&self, rel: &str, mode: u32) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(&p).expect("mkdir");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
        p
    }

    fn script(&self, rel: &str, mode: u32, marker: &Path) -> String {
        let p = self.path(rel);
        write_script(&p, &format!("touch {}", marker.display()), mode);
        p.display().to_string()
    }
}

fn insecure_part(r: Result<security::Checked, Refusal>) -> (PathBuf, Unsafety) {
    match r {
        Err(Refusal::Insecure { insecure, .. }) => (insecure.part, insecure.why),
        other => panic!("expected an insecure refusal, got {other:?}"),
    }
}

fn canonical(p: &str) -> PathBuf {
    std::fs::canonicalize(p).expect("canonical path")
}

#[test]
fn security_refuses_writable_scripts_and_directories_for_root() {
    if !root_or_skip("security_refuses_writable_scripts_and_directories_for_root") {
        return;
    }
    let t = Tree::new();
    let marker = t.path("ran");
    t.mkdir("safe", 0o755);
    t.mkdir("open", 0o777);
    t.mkdir("sticky", 0o1777);
    let ok = t.script("safe/ok.sh", 0o755, &marker);
    let world = t.script("safe/world.sh", 0o757, &marker);
    let in_open = t.script("open/x.sh", 0o755, &marker);
    let in_sticky = t.script("sticky/x.sh", 0o755, &marker);

    let checked =
        security::check(&ok, RunAs::ROOT, true).expect("a root-owned 0755 script is safe");
    assert_eq!(checked.path, canonical(&ok));
    assert_eq!(checked.insecure, None);
    security::check(&in_sticky, RunAs::ROOT, true).expect("a sticky directory may be writable");

    assert_eq!(
        insecure_part(security::check(&world, RunAs::ROOT, true)),
        (canonical(&world), Unsafety::WorldWritable)
    );
    assert_eq!(
        insecure_part(security::check(&in_open, RunAs::ROOT, true)),
        (
            canonical(&t.path("open").display().to_string()),
            Unsafety::WorldWritable
        )
    );

    // Group write: fine for root's group, unsafe for another group.
    let grp = t.script("safe/grp.sh", 0o775, &marker);
    security::check(&grp, RunAs::ROOT, true).expect("group root may write");
    std::os::unix::fs::chown(&grp, None, Some(65534)).expect("chgrp");
    assert_eq!(
        insecure_part(security::check(&grp, RunAs::ROOT, true)),
        (canonical(&grp), Unsafety::GroupWritable { gid: 65534 })
    );
    // Not owned by root.
    let theirs = t.script("safe/theirs.sh", 0o755, &marker);
    std::os::unix::fs::chown(&theirs, Some(65534), None).expect("chown");
    assert_eq!(
        insecure_part(security::check(&theirs, RunAs::ROOT, true)),
        (canonical(&theirs), Unsafety::NotOwnedByRoot { uid: 65534 })
    );

    // A symbolic link from a safe place to a script in an open directory: the target counts.
    let link = t.path("safe/link.sh");
    symlink(&in_open, &link).expect("symlink");
    assert_eq!(
        insecure_part(security::check(
            &link.display().to_string(),
            RunAs::ROOT,
            true
        ))
        .1,
        Unsafety::WorldWritable
    );
    // And a link in an open directory to a safe script is fine: the safe target runs.
    let link2 = t.path("open/link.sh");
    symlink(&ok, &link2).expect("symlink");
    let c = security::check(&link2.display().to_string(), RunAs::ROOT, true).expect("safe target");
    assert_eq!(c.path, canonical(&ok));

    // Without enable_script_security the script is allowed, with the finding attached.
    let c = security::check(&world, RunAs::ROOT, false).expect("allowed without security");
    assert_eq!(c.insecure.map(|i| i.why), Some(Unsafety::WorldWritable));

    // Not executable: refused whatever the security setting.
    let noexec = t.script("safe/noexec.sh", 0o644, &marker);
    assert!(matches!(
        security::check(&noexec, RunAs::ROOT, false),
        Err(Refusal::NotExecutable { .. })
    ));
    assert!(!marker.exists(), "nothing ran");
}

#[test]
fn security_protects_only_privileged_runs() {
    if !root_or_skip("security_protects_only_privileged_runs") {
        return;
    }
    let t = Tree::new();
    let marker = t.path("ran");
    t.mkdir("open", 0o777);
    let s = t.script("open/x.sh", 0o755, &marker);
    let nobody = RunAs::from_names("nobody", None).expect("nobody");
    security::check(&s, nobody, true).expect("an unprivileged user needs no protection");
    // ... unless the file is set-uid root.
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o4755)).expect("chmod");
    assert_eq!(
        insecure_part(security::check(&s, nobody, true)).1,
        Unsafety::WorldWritable
    );
    // The executable bits are the user's: an owner-only script is not nobody's.
    let own = t.script("own.sh", 0o700, &marker);
    assert!(matches!(
        security::check(&own, nobody, false),
        Err(Refusal::NotExecutable { .. })
    ));
}

#[test]
fn the_runner_refuses_unsafe_scripts_before_running_them() {
    if !root_or_skip("the_runner_refuses_unsafe_scripts_before_running_them") {
        return;
    }
    let t = Tree::new();
    let marker = t.path("ran");
    let world = t.script("world.sh", 0o777, &marker);
    let rt = rt();
    let run = rt.block_on(
        Script::new(vec![world.clone()], RunAs::ROOT)
            .with_security(true)
            .run(),
    );
    assert!(
        matches!(&run.outcome, Outcome::Refused(Refusal::Insecure { .. })),
        "{:?}",
        run.outcome
    );
    assert!(!marker.exists(), "the unsafe script did not run");
    // Security off: keepalived runs it anyway.
    let run = rt.block_on(Script::new(vec![world], RunAs::ROOT).run());
    assert_eq!(run.outcome, Outcome::Exited(0));
    assert!(marker.exists());
    // A bare name is looked up in PATH and runs from there.
    let run = rt.block_on(
        Script::new(argv(&["true"]), RunAs::ROOT)
            .with_security(true)
            .run(),
    );
    assert_eq!(run.outcome, Outcome::Exited(0));
}

/// A configuration tracking `script` as root with `enable_script_security`.
fn tracked_script_conf(script: &str) -> String {
    format!(
        "global_defs {{\n    enable_script_security\n    script_user root\n}}\n\
         vrrp_script chk {{\n    script \"{script} arg\"\n}}\n\
         vrrp_script unused {{\n    script \"{script}\"\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n\
         \x20   virtual_ipaddress {{\n        10.9.9.9/32\n    }}\n    track_script {{\n        chk\n    }}\n}}\n"
    )
}

#[test]
fn check_reports_insecure_track_scripts_as_keepalived_does() {
    if let Some(reason) = privileges::skip_reason() {
        privileges::skip(
            "check_reports_insecure_track_scripts_as_keepalived_does",
            &reason,
        );
        return;
    }
    let ns = kac_tests::OracleNamespace::create().expect("namespace");
    let t = Tree::new();
    let marker = t.path("ran");
    t.mkdir("safe", 0o755);
    t.mkdir("open", 0o777);
    let cases = [
        (t.script("safe/ok.sh", 0o755, &marker), true),
        (t.script("open/x.sh", 0o755, &marker), false),
        (t.script("safe/world.sh", 0o777, &marker), false),
    ];
    let keepalived = privileges::find_program("keepalived").expect("keepalived");
    for (i, (script, safe)) in cases.iter().enumerate() {
        let conf = t.path(&format!("k{i}.conf"));
        std::fs::write(&conf, tracked_script_conf(script)).expect("conf");
        let k = ns
            .command(&keepalived)
            .args(["-t", "-f"])
            .arg(&conf)
            .output()
            .expect("keepalived -t");
        let k_err = String::from_utf8_lossy(&k.stderr);
        assert_eq!(k.status.success(), *safe, "keepalived on {script}: {k_err}");
        if !safe {
            assert!(
                k_err.contains("Disabling track script chk due to insecure"),
                "{k_err}"
            );
            // With VRRP instances, keepalived judges every vrrp_script, tracked or not.
            assert!(
                k_err.contains("Disabling track script unused due to insecure"),
                "{k_err}"
            );
        }
        let kac = Command::new(kac_tests::kac_bin())
            .args(["check", "--interfaces", "eth0,lo"])
            .arg(&conf)
            .env("NO_COLOR", "1")
            .output()
            .expect("kac check");
        let kac_err = String::from_utf8_lossy(&kac.stderr);
        assert_eq!(
            kac.status.success(),
            *safe,
            "kac check on {script}: {kac_err}"
        );
        if !safe {
            assert!(kac_err.contains("kac::conf::script-security"), "{kac_err}");
            assert!(
                kac_err.contains("vrrp_script `chk` is insecure"),
                "{kac_err}"
            );
            assert!(
                kac_err.contains("vrrp_script `unused` is insecure"),
                "{kac_err}"
            );
        }
    }
    assert!(!marker.exists(), "checking runs nothing");
}
