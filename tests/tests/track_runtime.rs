//! The trackers and notify queues (`kac_reconciler::track`, `kac_reconciler::notify`) against
//! real scripts, files, processes and links the tests create: the changes they report, in
//! order, and what they do to an instance's effective priority.
//!
//! The link test needs root (a network namespace) and skips without it, failing instead when
//! `KAC_REQUIRE_PRIVILEGED=1`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use kac_reconciler::notify::{Event, Notifier, NotifyOptions, NotifyScripts, State, Subject};
use kac_reconciler::script::{RunAs, Script};
use kac_reconciler::track::file::FileTracker;
use kac_reconciler::track::process::{ParamMatch, ProcessMatch, ProcessTracker, Quorum};
use kac_reconciler::track::script::ScriptTracker;
use kac_reconciler::track::{Change, Kind, States, TrackRef, TrackValue, effective_priority};
use kac_tests::privileges;
use tokio::sync::mpsc;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The next change, or a failure after `limit`.
async fn next(rx: &mut mpsc::Receiver<Change>, limit: Duration) -> Change {
    tokio::time::timeout(limit, rx.recv())
        .await
        .expect("a change in time")
        .expect("the tracker is running")
}

#[test]
fn a_vrrp_script_tracker_follows_its_script_with_rise_and_fall() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    std::fs::write(&state, "ok").expect("state");
    let script = dir.path().join("chk.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ntest \"$(cat {})\" = ok\n", state.display()),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let tracker = ScriptTracker {
        name: "chk".into(),
        script: Script::new(vec![script.display().to_string()], RunAs::current())
            .with_timeout(Duration::from_secs(2)),
        interval: Duration::from_millis(100),
        rise: 2,
        fall: 3,
        init_fail: false,
    };
    rt().block_on(async {
        let (tx, mut rx) = mpsc::channel(16);
        let task = tracker.spawn(tx);
        let limit = Duration::from_secs(5);
        let c = next(&mut rx, limit).await;
        assert_eq!(
            (c.kind, c.name.as_str(), c.value),
            (Kind::Script, "chk", TrackValue::Pending)
        );
        // The first success decides at once.
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::Up(true));
        // Failing: down after three failures (about 300 ms), not before.
        std::fs::write(&state, "bad").expect("state");
        let t = std::time::Instant::now();
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::Up(false));
        assert!(
            t.elapsed() >= Duration::from_millis(200),
            "{:?}",
            t.elapsed()
        );
        std::fs::write(&state, "ok").expect("state");
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::Up(true));
        task.abort();
    });
}

#[test]
fn a_script_that_times_out_is_failing() {
    let tracker = ScriptTracker {
        name: "slow".into(),
        script: Script::new(vec!["/bin/sleep".into(), "5".into()], RunAs::current())
            .with_timeout(Duration::from_millis(200)),
        interval: Duration::from_millis(100),
        rise: 1,
        fall: 1,
        init_fail: false,
    };
    rt().block_on(async {
        let (tx, mut rx) = mpsc::channel(16);
        let task = tracker.spawn(tx);
        assert_eq!(
            next(&mut rx, Duration::from_secs(2)).await.value,
            TrackValue::Pending
        );
        assert_eq!(
            next(&mut rx, Duration::from_secs(5)).await.value,
            TrackValue::Up(false)
        );
        task.abort();
    });
}

#[test]
fn a_track_file_tracker_sees_writes_replacements_and_deletion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("prio");
    std::fs::write(&file, "10\n").expect("write");
    let mut tracker = FileTracker::new("f", &file);
    // Long enough that the events, not the re-reads, are what the test sees.
    tracker.reread = Duration::from_secs(60);
    rt().block_on(async {
        let (tx, mut rx) = mpsc::channel(16);
        let task = tracker.spawn(tx);
        let limit = Duration::from_secs(3);
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::File(10));
        std::fs::write(&file, "-20").expect("write");
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::File(-20));
        // An editor's save: write elsewhere, rename over.
        let tmp = dir.path().join("prio.tmp");
        std::fs::write(&tmp, "0x10").expect("write");
        std::fs::rename(&tmp, &file).expect("rename");
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::File(16));
        // Non-numeric content reads as 0; so does a deleted file.
        std::fs::write(&file, "garbage").expect("write");
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::File(0));
        std::fs::write(&file, "7").expect("write");
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::File(7));
        std::fs::remove_file(&file).expect("rm");
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::File(0));
        task.abort();
    });
}

#[test]
fn a_track_file_in_a_missing_directory_is_re_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sub = dir.path().join("later");
    let file = sub.join("prio");
    let mut tracker = FileTracker::new("f", &file);
    tracker.reread = Duration::from_millis(100);
    rt().block_on(async {
        let (tx, mut rx) = mpsc::channel(16);
        let task = tracker.spawn(tx);
        assert_eq!(
            next(&mut rx, Duration::from_secs(2)).await.value,
            TrackValue::File(0)
        );
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::write(&file, "5").expect("write");
        assert_eq!(
            next(&mut rx, Duration::from_secs(3)).await.value,
            TrackValue::File(5)
        );
        task.abort();
    });
}

/// A shell sleeping, with a marker argument nobody else uses (`; :` keeps the shell from
/// replacing itself by `sleep`).
fn sleeper(marker: &str) -> Child {
    Command::new("/bin/sh")
        .args(["-c", "sleep 30; :", marker])
        .spawn()
        .expect("spawn sh")
}

#[test]
fn a_process_tracker_counts_matching_processes_against_the_quorum() {
    let marker = format!("kac-track-{}", std::process::id());
    let tracker = ProcessTracker {
        name: "sleepers".into(),
        matcher: ProcessMatch {
            program: "/bin/sh".into(),
            params: vec!["-c".into(), "sleep 30; :".into(), marker.clone()],
            param_match: ParamMatch::Exact,
            full_command: true,
        },
        quorum: Quorum::new(2, 3, Duration::ZERO, Duration::from_millis(300)),
        scan: Duration::from_millis(100),
    };
    rt().block_on(async {
        let (tx, mut rx) = mpsc::channel(16);
        let task = tracker.spawn(tx);
        let limit = Duration::from_secs(3);
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::Up(false));
        let mut kids: Vec<Child> = vec![sleeper(&marker)];
        // A shell with other arguments does not count.
        let mut other = Command::new("/bin/sh")
            .args(["-c", "sleep 31; :", &marker])
            .spawn()
            .expect("spawn");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            rx.try_recv().is_err(),
            "one matching process is below the quorum"
        );
        kids.push(sleeper(&marker));
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::Up(true));
        kids.push(sleeper(&marker));
        kids.push(sleeper(&marker));
        let c = next(&mut rx, limit).await;
        assert_eq!(c.value, TrackValue::Up(false), "four is above quorum_max");
        for k in kids.iter_mut().take(2) {
            let _ = k.kill();
            let _ = k.wait();
        }
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::Up(true));
        // Down to one: reported only after the terminate delay.
        let t = std::time::Instant::now();
        let _ = kids[2].kill();
        let _ = kids[2].wait();
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::Up(false));
        assert!(
            t.elapsed() >= Duration::from_millis(250),
            "{:?}",
            t.elapsed()
        );
        for k in kids.iter_mut().chain(std::iter::once(&mut other)) {
            let _ = k.kill();
            let _ = k.wait();
        }
        task.abort();
    });
}

#[test]
fn tracked_states_drive_the_effective_priority() {
    // The wiring a VRRP instance uses: changes into `States`, references into priority.
    let mut states = States::default();
    let refs = |s: &States| {
        vec![
            TrackRef {
                weight: -30,
                reverse: false,
                value: s.get(Kind::Script, "chk"),
            },
            TrackRef {
                weight: 2,
                reverse: false,
                value: s.get(Kind::File, "f"),
            },
            TrackRef {
                weight: 0,
                reverse: false,
                value: s.get(Kind::Interface, "eth0"),
            },
        ]
    };
    let e = effective_priority(100, &refs(&states));
    assert!(e.fault, "eth0 not seen up yet");
    for c in [
        Change {
            kind: Kind::Interface,
            name: "eth0".into(),
            value: TrackValue::Up(true),
        },
        Change {
            kind: Kind::Script,
            name: "chk".into(),
            value: TrackValue::Up(false),
        },
        Change {
            kind: Kind::File,
            name: "f".into(),
            value: TrackValue::File(5),
        },
    ] {
        states.apply(c);
    }
    let e = effective_priority(100, &refs(&states));
    assert_eq!((e.priority, e.fault, e.pending), (80, false, false));
}

fn write_logger(path: &Path, log: &Path, delay: &str) {
    std::fs::write(
        path,
        format!(
            "#!/bin/sh\nsleep {delay}\necho \"$*\" >> {}\n",
            log.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn notify_scripts_get_keepalived_arguments_in_order_without_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("log");
    let slow = dir.path().join("notify.sh");
    write_logger(&slow, &log, "0.2");
    let master_log = dir.path().join("master.log");
    let master = dir.path().join("master.sh");
    write_logger(&master, &master_log, "0");
    let me = RunAs::current();
    let scripts = NotifyScripts {
        master: Some(Script::new(
            vec![master.display().to_string(), "m".into()],
            me,
        )),
        any: Some(Script::new(
            vec![slow.display().to_string(), "x".into()],
            me,
        )),
        ..NotifyScripts::default()
    };
    rt().block_on(async {
        let notifier = Notifier::new(NotifyOptions::default());
        let vi = Subject::Instance {
            name: "VI_1".into(),
            priority: 150,
        };
        let t = std::time::Instant::now();
        for state in [State::Backup, State::Master, State::Fault, State::Stop] {
            notifier.notify(&scripts, &vi, Event::Entered(state));
        }
        notifier.notify(
            &scripts,
            &Subject::Group { name: "G".into() },
            Event::Entered(State::Master),
        );
        assert!(
            t.elapsed() < Duration::from_millis(100),
            "notify returns at once"
        );
        tokio::time::timeout(Duration::from_secs(10), notifier.idle())
            .await
            .expect("all runs finish");
        assert_eq!(notifier.dropped(), 0);
    });
    let got = std::fs::read_to_string(&log).expect("log");
    assert_eq!(
        got.lines().collect::<Vec<_>>(),
        [
            "x INSTANCE VI_1 BACKUP 150",
            "x INSTANCE VI_1 MASTER 150",
            "x INSTANCE VI_1 FAULT 150",
            "x INSTANCE VI_1 STOP 150",
            "x GROUP G MASTER 0",
        ]
    );
    let got = std::fs::read_to_string(&master_log).expect("master log");
    assert_eq!(got.lines().collect::<Vec<_>>(), ["m", "m"]);
}

#[test]
fn a_full_notify_queue_drops_the_oldest_waiting_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("log");
    let slow = dir.path().join("notify.sh");
    write_logger(&slow, &log, "0.3");
    let scripts = NotifyScripts {
        any: Some(Script::new(
            vec![slow.display().to_string()],
            RunAs::current(),
        )),
        ..NotifyScripts::default()
    };
    rt().block_on(async {
        let notifier = Notifier::new(NotifyOptions {
            queue: 2,
            timeout: None,
        });
        let vi = Subject::Instance {
            name: "VI".into(),
            priority: 100,
        };
        notifier.notify(&scripts, &vi, Event::Entered(State::Backup));
        // Let the first run start, then queue four more into a queue of two.
        tokio::time::sleep(Duration::from_millis(100)).await;
        for s in [State::Master, State::Fault, State::Backup, State::Master] {
            notifier.notify(&scripts, &vi, Event::Entered(s));
        }
        tokio::time::timeout(Duration::from_secs(10), notifier.idle())
            .await
            .expect("all runs finish");
        assert_eq!(notifier.dropped(), 2);
    });
    let got = std::fs::read_to_string(&log).expect("log");
    assert_eq!(
        got.lines().collect::<Vec<_>>(),
        [
            "INSTANCE VI BACKUP 100",
            "INSTANCE VI BACKUP 100",
            "INSTANCE VI MASTER 100",
        ],
        "the newest states got through"
    );
}

#[test]
fn link_changes_reach_the_interface_tracker() {
    if !privileges::is_root() || privileges::find_program("ip").is_none() {
        privileges::skip(
            "link_changes_reach_the_interface_tracker",
            "needs root and iproute2 (a network namespace)",
        );
        return;
    }
    let ns = format!("kac-track-{}", std::process::id());
    let ip = |args: &[&str]| {
        let st = Command::new("ip").args(args).status().expect("ip");
        assert!(st.success(), "ip {args:?}");
    };
    ip(&["netns", "add", &ns]);
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }
    let _cleanup = Cleanup(ns.clone());
    let inns = |args: &[&str]| {
        let mut v = vec!["-n", ns.as_str()];
        v.extend_from_slice(args);
        ip(&v);
    };
    inns(&[
        "link", "add", "trk0", "type", "veth", "peer", "name", "trk1",
    ]);
    let (tx, mut rx) = mpsc::channel(16);
    // The watch is created inside the namespace, from a thread that entered it.
    let ns_path = format!("/run/netns/{ns}");
    let handle = std::thread::spawn(move || {
        let f = std::fs::File::open(&ns_path).expect("netns file");
        nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        kac_reconciler::track::interface::watch_links(["trk0".to_string()], tx)
            .expect("watch links")
    });
    let _thread = handle.join().expect("watch thread");
    rt().block_on(async {
        let limit = Duration::from_secs(3);
        let c = next(&mut rx, limit).await;
        assert_eq!((c.name.as_str(), c.value), ("trk0", TrackValue::Up(false)));
        inns(&["link", "set", "trk0", "up"]);
        inns(&["link", "set", "trk1", "up"]);
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::Up(true));
        inns(&["link", "set", "trk1", "down"]);
        assert_eq!(
            next(&mut rx, limit).await.value,
            TrackValue::Up(false),
            "no carrier"
        );
        inns(&["link", "set", "trk1", "up"]);
        assert_eq!(next(&mut rx, limit).await.value, TrackValue::Up(true));
        inns(&["link", "del", "trk0"]);
        assert_eq!(
            next(&mut rx, limit).await.value,
            TrackValue::Up(false),
            "deleted"
        );
    });
}

const TRACKING_CONF: &str = r#"
global_defs {
    enable_script_security
    script_user nobody
}
vrrp_script chk {
    script "/bin/true"
    weight -20
}
vrrp_script own_user {
    script "/bin/true" root root
}
track_file f {
    file /run/kac-prio
    weight 3 reverse
}
vrrp_track_process web {
    process /usr/sbin/nginx -g
    param_match partial
    quorum 2
    delay 1.5
    terminate_delay 2
    weight 10
}
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
    track_script {
        chk weight -30
    }
    track_file {
        f
    }
    sync_group_tracking_weight
    notify "/bin/echo group"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.9.9.9/32
    }
    track_script {
        chk weight 5
        own_user
    }
    track_process {
        web
    }
    notify_master "/bin/echo 'became master'" root root
    notify /bin/echo
    notify_master_rx_lower_pri /bin/true
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 90
    virtual_ipaddress {
        10.9.9.10/32
    }
    track_script {
        chk weight 0
    }
}
"#;

#[test]
fn plans_carry_tracking_as_keepalived_resolves_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(&conf, TRACKING_CONF).expect("conf");
    let compiled = kac_compiler::compile_conf(
        &conf,
        "keepalived.conf",
        "h",
        &kac_compiler::Options::default(),
    );
    let plan = compiled.plan.unwrap_or_else(|| {
        panic!(
            "the configuration compiles: {:?}",
            compiled.parsed.diagnostics
        )
    });
    use kac_schema::plan::{MachineValue, PlanTracked};
    let t = |name: &str, weight: i32, reverse: bool| PlanTracked {
        name: name.into(),
        weight,
        reverse,
    };

    // Definitions.
    let p = &plan.track_processes["web"];
    assert_eq!(p.process, ["/usr/sbin/nginx", "-g"]);
    assert_eq!((p.param_match.as_str(), p.full_command), ("partial", true));
    assert_eq!((p.quorum, p.quorum_max, p.weight), (2, u32::MAX, 10));
    assert_eq!(
        (p.fork_delay_us, p.terminate_delay_us),
        (1_500_000, 2_000_000)
    );
    assert_eq!(
        plan.vrrp_scripts["chk"].user,
        MachineValue::Set("nobody".into())
    );
    assert_eq!(
        plan.vrrp_scripts["own_user"].user,
        MachineValue::Set("root:root".into())
    );

    // Members track the group's objects with the group's weights (sync_group_tracking_weight):
    // the group's weight replaces a weighted reference, an unweighted one stays.
    let vi1 = &plan.vrrp_instances["VI_1"];
    assert_eq!(
        vi1.track_scripts,
        [t("chk", -30, false), t("own_user", 0, false)]
    );
    assert_eq!(vi1.track_files, [t("f", 3, true)]);
    assert_eq!(vi1.track_processes, [t("web", 10, false)]);
    let vi2 = &plan.vrrp_instances["VI_2"];
    assert_eq!(vi2.track_scripts, [t("chk", 0, false)]);
    assert_eq!(vi2.track_files, [t("f", 3, true)]);

    // Notify scripts with their users.
    assert_eq!(
        vi1.notify.master.as_deref(),
        Some(&["/bin/echo".to_string(), "became master".to_string()][..])
    );
    assert_eq!(
        vi1.notify.users["master"],
        MachineValue::Set("root:root".into())
    );
    assert_eq!(vi1.notify.users["any"], MachineValue::Set("nobody".into()));
    assert_eq!(
        vi1.notify.master_rx_lower_pri.as_deref(),
        Some(&["/bin/true".to_string()][..])
    );
    let g = &plan.vrrp_sync_groups["G"];
    assert_eq!(
        g.notify.any.as_deref(),
        Some(&["/bin/echo".to_string(), "group".to_string()][..])
    );

    // The plan's references with live states give the instance's priority.
    let mut states = States::default();
    for (kind, name, value) in [
        (Kind::Interface, "eth0", TrackValue::Up(true)),
        (Kind::Script, "chk", TrackValue::Up(false)),
        (Kind::Script, "own_user", TrackValue::Up(true)),
        (Kind::File, "f", TrackValue::File(4)),
        (Kind::Process, "web", TrackValue::Up(true)),
    ] {
        states.apply(Change {
            kind,
            name: name.into(),
            value,
        });
    }
    let e = effective_priority(
        vi1.priority,
        &kac_reconciler::track::instance_refs(vi1, &states, true),
    );
    // 100 - 30 (chk failing) - 12 (file 4 x 3, reversed) + 10 (web up) = 68
    assert_eq!((e.priority, e.fault, e.pending), (68, false, false));
    // VI_2 tracks chk with weight 0: a failing chk puts it in FAULT.
    let e = effective_priority(
        vi2.priority,
        &kac_reconciler::track::instance_refs(vi2, &states, true),
    );
    assert!(e.fault);
    // The instance's own interface going down faults it (dont_track_primary aside).
    states.apply(Change {
        kind: Kind::Interface,
        name: "eth0".into(),
        value: TrackValue::Up(false),
    });
    let e = effective_priority(
        vi1.priority,
        &kac_reconciler::track::instance_refs(vi1, &states, true),
    );
    assert!(e.fault);
}

/// A plan with one instance tracking a script (`interval_s`), a file and a process.
fn reload_conf(script: &Path, file: &Path, interval_s: u32) -> String {
    format!(
        r#"
global_defs {{
    enable_script_security
    script_user root
}}
vrrp_script chk {{
    script "{}"
    interval {interval_s}
    weight 10
}}
vrrp_script unused {{
    script "/bin/false"
}}
track_file f {{
    file {}
}}
vrrp_track_process p {{
    process kac-no-such-process
}}
vrrp_instance VI_1 {{
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {{
        10.9.9.9/32
    }}
    track_script {{
        chk
    }}
    track_file {{
        f
    }}
    track_process {{
        p
    }}
}}
"#,
        script.display(),
        file.display()
    )
}

fn compile(dir: &Path, text: &str) -> kac_schema::plan::Plan {
    let conf = dir.join("keepalived.conf");
    std::fs::write(&conf, text).expect("conf");
    let compiled = kac_compiler::compile_conf(
        &conf,
        "keepalived.conf",
        "h",
        &kac_compiler::Options::default(),
    );
    compiled
        .plan
        .unwrap_or_else(|| panic!("compiles: {:?}", compiled.parsed.diagnostics))
}

/// Changes other than links (the host's own links are whatever they are), received within
/// `limit`.
async fn non_link_changes(rx: &mut mpsc::Receiver<Change>, limit: Duration) -> Vec<Change> {
    let mut got = Vec::new();
    let end = tokio::time::Instant::now() + limit;
    while let Ok(Some(c)) = tokio::time::timeout_at(end, rx.recv()).await {
        if c.kind != Kind::Interface {
            got.push(c);
        }
    }
    got
}

#[test]
fn trackers_follow_a_plan_and_survive_reloads_that_do_not_change_them() {
    if !privileges::is_root() {
        privileges::skip(
            "trackers_follow_a_plan_and_survive_reloads_that_do_not_change_them",
            "not running as root (scripts run as root need root-owned files)",
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("chk.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let file = dir.path().join("value");
    std::fs::write(&file, "3").expect("file");
    let plan = compile(dir.path(), &reload_conf(&script, &file, 1));
    rt().block_on(async {
        let (tx, mut rx) = mpsc::channel(64);
        let mut trackers = kac_reconciler::track::Trackers::new(tx);
        assert_eq!(trackers.update(&plan), vec![]);
        let tracked = trackers.tracked();
        assert_eq!(
            tracked,
            [
                (Kind::Script, "chk".to_string()),
                (Kind::File, "f".to_string()),
                (Kind::Process, "p".to_string())
            ],
            "only what an instance tracks runs"
        );
        assert!(trackers.interfaces().contains("eth0"));
        let mut got = non_link_changes(&mut rx, Duration::from_millis(1500)).await;
        got.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        let values: Vec<(Kind, &str, TrackValue)> = got
            .iter()
            .map(|c| (c.kind, c.name.as_str(), c.value))
            .collect();
        assert_eq!(
            values,
            [
                (Kind::Script, "chk", TrackValue::Pending),
                (Kind::Script, "chk", TrackValue::Up(true)),
                (Kind::File, "f", TrackValue::File(3)),
                (Kind::Process, "p", TrackValue::Up(false)),
            ]
        );
        // The same plan again: nothing restarts, nothing is reported again.
        assert_eq!(trackers.update(&plan), vec![]);
        assert_eq!(
            non_link_changes(&mut rx, Duration::from_millis(1500)).await,
            vec![]
        );
        // The script's interval changes: only it restarts (and reports from the start).
        let plan2 = compile(dir.path(), &reload_conf(&script, &file, 2));
        assert_eq!(trackers.update(&plan2), vec![]);
        let got = non_link_changes(&mut rx, Duration::from_millis(1500)).await;
        let values: Vec<(Kind, &str, TrackValue)> = got
            .iter()
            .map(|c| (c.kind, c.name.as_str(), c.value))
            .collect();
        assert_eq!(
            values,
            [
                (Kind::Script, "chk", TrackValue::Pending),
                (Kind::Script, "chk", TrackValue::Up(true)),
            ]
        );
        // A kept file tracker still follows its file.
        std::fs::write(&file, "9").expect("file");
        let got = non_link_changes(&mut rx, Duration::from_secs(2)).await;
        assert_eq!(
            got.iter().map(|c| c.value).collect::<Vec<_>>(),
            [TrackValue::File(9)]
        );
    });
}

/// `track_group` as keepalived resolves it: each instance of a group tracks the interfaces of
/// the static entries naming the group (address `dev`, route `dev`, rule `iif`), not the
/// `no_track` ones and not groups' unknown members; an undefined group is an error, as
/// `keepalived -t` says (`track_group NOPE not found`).
#[test]
fn track_groups_resolve_to_the_static_entries_interfaces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "track_group G {\n  group {\n    VI_1\n    VI_X\n  }\n}\n\
        track_group H {\n  group {\n    VI_2\n  }\n}\n\
        static_ipaddress {\n  10.8.0.1/24 dev eth1 track_group G\n  10.8.0.3/24 dev eth1 track_group G no_track\n  10.8.1.1/24 dev eth3 track_group H\n}\n\
        static_routes {\n  10.7.0.0/16 via 10.8.0.254 dev eth1 table 7 track_group G\n}\n\
        static_rules {\n  from 10.6.0.0/16 table 100 iif eth2 preference 100 track_group G\n}\n\
        global_defs {\n  vrrp_startup_delay 5.5\n}\n\
        vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  priority 100\n  virtual_ipaddress {\n    10.9.9.1\n  }\n}\n\
        vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 6\n  priority 100\n  virtual_ipaddress {\n    10.9.9.2\n  }\n}\n\
        vrrp_instance VI_3 {\n  interface eth0\n  virtual_router_id 7\n  priority 100\n  virtual_ipaddress {\n    10.9.9.3\n  }\n}\n";
    let plan = compile(dir.path(), text);
    use kac_schema::plan::PlanStaticTrack;
    let s = |interface: &str, object: &str, group: &str| PlanStaticTrack {
        interface: interface.into(),
        object: object.into(),
        group: group.into(),
    };
    assert_eq!(
        plan.vrrp_instances["VI_1"].track_static,
        [
            s("eth1", "address 10.8.0.1/24", "G"),
            s("eth1", "route 10.7.0.0/16 table 7", "G"),
            s("eth2", "rule preference 100", "G"),
        ]
    );
    assert_eq!(
        plan.vrrp_instances["VI_2"].track_static,
        [s("eth3", "address 10.8.1.1/24", "H")]
    );
    assert!(plan.vrrp_instances["VI_3"].track_static.is_empty());
    assert_eq!(plan.global.vrrp_startup_delay_us, 5_500_000);
    // Omitted from the JSON when empty, as older plans are.
    let json = serde_json::to_value(&plan).expect("json");
    assert!(json["vrrp_instances"]["VI_3"].get("track_static").is_none());

    let conf = dir.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        text.replace("dev eth3 track_group H", "dev eth3 track_group NOPE"),
    )
    .expect("conf");
    let compiled = kac_compiler::compile_conf(
        &conf,
        "keepalived.conf",
        "h",
        &kac_compiler::Options::default(),
    );
    let messages: Vec<(String, String)> = compiled
        .parsed
        .diagnostics
        .iter()
        .map(|d| (format!("{:?}", d.severity), d.message.clone()))
        .collect();
    assert!(
        messages.contains(&("Error".into(), "track_group NOPE not found".into())),
        "{messages:?}"
    );
    assert!(
        messages.contains(&(
            "Advice".into(),
            "static address has both track_group and no_track set - not tracking".into()
        )),
        "{messages:?}"
    );
    assert!(
        messages.contains(&(
            "Advice".into(),
            "vrrp instance VI_X specified in track group G doesn't exist".into()
        )),
        "{messages:?}"
    );
}
