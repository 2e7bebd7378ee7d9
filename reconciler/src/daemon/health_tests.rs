//! The daemon loop with health checking, end to end on this machine: real TCP listeners on
//! loopback flipped down and up, the real TCP probe, a path source, and the recording fake
//! kernel (this machine's kernel has no IPVS; tests/tests/daemon_vm.rs runs the same story
//! against real IPVS in the QEMU guest). What is asserted is the IPVS state the backend
//! received, and `kac status`.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kac_schema::plan::Plan;
use kac_schema::status::Status;

use super::alerts::TrapTarget;
use super::control::{ControlRequest, request};
use super::source::{SourceOptions, SourceSpec};
use super::{CompileOutcome, DaemonConfig, HostSelection, engine};
use crate::alert::ber::{self, Value};
use crate::check::tests::{plan, tcp, vs};
use crate::kernel::fake::FakeKernel;
use crate::kernel::{Kernel, KernelError};
use crate::observed::Observed;
use crate::op::Op;

/// The fake kernel, shared with the test.
struct Shared(Arc<Mutex<FakeKernel>>);

impl Kernel for Shared {
    fn observe(&mut self, ipvs: bool) -> Result<Observed, KernelError> {
        self.0.lock().expect("kernel").observe(ipvs)
    }
    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), KernelError>> {
        self.0.lock().expect("kernel").apply(ops)
    }
    fn sync_daemons(&mut self) -> Result<Option<Vec<crate::syncd::SyncDaemon>>, KernelError> {
        self.0.lock().expect("kernel").sync_daemons()
    }
}

/// A listener on a loopback port that accepts until stopped.
struct Listener {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    fn start(addr: SocketAddr) -> (Listener, u16) {
        let l = TcpListener::bind(addr).expect("bind");
        let port = l.local_addr().expect("addr").port();
        l.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                while let Ok((c, _)) = l.accept() {
                    drop(c);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        (
            Listener {
                stop,
                thread: Some(thread),
            },
            port,
        )
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::new("127.0.0.1".parse().expect("ip"), port)
}

/// A virtual server 10.0.0.1:80 with real servers on loopback `ports` (weight = index + 1),
/// TCP checks every 200ms, no retry.
fn health_plan(ports: &[u16]) -> Plan {
    let real_servers = ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut c = tcp("127.0.0.1", *p);
            c.delay_loop_us = 200_000;
            c.delay_before_retry_us = 200_000;
            c.connect_timeout_us = 500_000;
            c.retry = 0;
            let mut r = crate::check::tests::rs("127.0.0.1", i as u32 + 1, vec![c]);
            r.port = *p;
            r
        })
        .collect();
    plan(vec![vs("10.0.0.1", real_servers)])
}

fn write_plan(dir: &Path, p: &Plan) {
    let tmp = dir.join(".plan.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(p).expect("json")).expect("write");
    std::fs::rename(&tmp, dir.join("plan.json")).expect("rename");
}

/// Port -> weight of the real servers IPVS has now.
fn dests(k: &Arc<Mutex<FakeKernel>>) -> BTreeMap<u16, i32> {
    let k = k.lock().expect("kernel");
    k.state
        .ipvs
        .as_ref()
        .and_then(|i| i.services.values().next())
        .map(|s| s.dests.iter().map(|(a, d)| (a.port(), d.weight)).collect())
        .unwrap_or_default()
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn status(control: &Path) -> Status {
    request(control, &ControlRequest::Status, Duration::from_secs(5))
        .expect("status")
        .status
        .expect("a status")
}

/// Runs the daemon loop on its own thread: a path source at `src`, the recording kernel, the
/// real TCP prober. Returns the kernel and the control socket.
fn start_daemon(dir: &Path, src: &Path) -> (Arc<Mutex<FakeKernel>>, std::path::PathBuf) {
    start_daemon_with(dir, src, TrapTarget::default())
}

/// [`start_daemon`] with the traps sent to `traps`.
fn start_daemon_with(
    dir: &Path,
    src: &Path,
    traps: TrapTarget,
) -> (Arc<Mutex<FakeKernel>>, std::path::PathBuf) {
    let kernel = Arc::new(Mutex::new(FakeKernel::with_links(&["lo"])));
    let control = dir.join("control.sock");
    let cfg = DaemonConfig {
        source: SourceOptions {
            spec: SourceSpec::Path(src.to_path_buf()),
            location: src.display().to_string(),
            git_ref: None,
            subdir: None,
            poll: Duration::from_secs(30),
            debounce: Duration::from_millis(50),
            allowed_signers: None,
            allow_non_descendant: false,
            state_dir: dir.join("state"),
        },
        selection: HostSelection::default(),
        host_label: "t".into(),
        state_dir: dir.join("state"),
        control: control.clone(),
        metrics: None,
        adopt: false,
        full_check: Duration::from_secs(60),
        drift_delay: Duration::from_millis(20),
        drain_period: Some(Duration::from_secs(1)),
        traps,
    };
    let compile: super::CompileFn = Arc::new(|rev, _| {
        let text = std::fs::read(rev.tree.join("plan.json")).unwrap_or_default();
        CompileOutcome {
            plan: serde_json::from_slice(&text).ok(),
            diagnostics: Vec::new(),
        }
    });
    let shared = Shared(kernel.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let health: engine::HealthSpawn = Box::new(|events, metrics| {
            crate::check::driver::spawn(crate::check::net::NetProber, events, metrics)
        });
        let r = rt.block_on(engine::run(cfg, compile, Box::new(shared), health));
        r.expect("daemon");
    });

    (kernel, control)
}

#[test]
fn health_drives_ipvs_through_the_daemon_loop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    std::fs::create_dir(&src).expect("src");
    let (a, pa) = Listener::start(loopback(0));
    let (b, pb) = Listener::start(loopback(0));
    write_plan(&src, &health_plan(&[pa, pb]));
    let (kernel, control) = start_daemon(dir.path(), &src);

    let both = BTreeMap::from([(pa, 1), (pb, 2)]);
    wait_for("both real servers", Duration::from_secs(10), || {
        dests(&kernel) == both
    });

    // b's listener goes away: b leaves IPVS; status says why.
    b.stop();
    wait_for("b out", Duration::from_secs(5), || {
        dests(&kernel) == BTreeMap::from([(pa, 1)])
    });
    let st = status(&control);
    let row = st
        .health
        .iter()
        .find(|h| h.real_server == loopback(pb).to_string())
        .expect("b's row");
    assert_eq!((row.state.as_str(), row.ipvs.as_str()), ("down", "removed"));
    assert!(row.checkers[0].failures >= 1);
    assert!(
        row.checkers[0]
            .last_failure
            .as_deref()
            .is_some_and(|f| f.contains("refused")),
        "{row:?}"
    );
    assert_eq!(
        st.last_ops.as_ref().map(|o| o.reason.as_str()),
        Some("health")
    );

    // Back on the same port: back in IPVS at its weight.
    let (b, _) = Listener::start(loopback(pb));
    wait_for("b back", Duration::from_secs(5), || dests(&kernel) == both);

    // Both fail at once: one apply removes both (the results are batched).
    a.stop();
    b.stop();
    wait_for("both out", Duration::from_secs(5), || {
        dests(&kernel).is_empty()
    });
    let st = status(&control);
    let last = st.last_ops.expect("ops");
    assert_eq!(last.reason, "health");
    // Results ending within the batch window (50 ms) are one apply; the two checks' phases
    // differ by their jitter, so on a loaded machine the two removals may be two applies.
    assert!(
        (1..=2).contains(&last.ops.len()) && last.ops.iter().all(|o| o.starts_with("- dest")),
        "{:?}",
        last.ops
    );

    // a comes back, b stays down. A revision adds c; the next removes it: c had traffic, so
    // it drains at weight 0 for 1s, then goes.
    let (_a, _) = Listener::start(loopback(pa));
    let (c, pc) = Listener::start(loopback(0));
    write_plan(&src, &health_plan(&[pa, pb, pc]));
    wait_for("a and c in", Duration::from_secs(10), || {
        dests(&kernel) == BTreeMap::from([(pa, 1), (pc, 3)])
    });
    write_plan(&src, &health_plan(&[pa, pb]));
    wait_for("c drained", Duration::from_secs(10), || {
        dests(&kernel) == BTreeMap::from([(pa, 1), (pc, 0)])
    });
    let st = status(&control);
    assert_eq!(st.draining.len(), 1, "{:?}", st.draining);
    assert_eq!(st.draining[0].real_server, loopback(pc).to_string());
    wait_for("c removed after its drain", Duration::from_secs(5), || {
        dests(&kernel) == BTreeMap::from([(pa, 1)])
    });
    assert!(status(&control).draining.is_empty());
    c.stop();
    // Every op on a's destination: added once, never removed while it passed.
    let log = kernel.lock().expect("kernel").log.clone();
    let a_ops: Vec<&String> = log
        .iter()
        .filter(|l| l.contains(&loopback(pa).to_string()))
        .collect();
    assert!(
        a_ops.iter().filter(|l| l.starts_with("+ dest")).count() == 2
            && a_ops.iter().filter(|l| l.starts_with("- dest")).count() == 1,
        "{a_ops:#?}"
    );

    // A revision whose apply fails (d's destination is rejected): it is rolled back, and
    // health goes back to the applied plan's checks, read back from last-good.json (the loop
    // does not keep the plan).
    let (_d, pd) = Listener::start(loopback(0));
    kernel.lock().expect("kernel").reject = vec![loopback(pd).to_string()];
    write_plan(&src, &health_plan(&[pa, pb, pd]));
    wait_for("the failed revision", Duration::from_secs(10), || {
        status(&control)
            .last_error
            .is_some_and(|e| e.stage == "apply")
    });
    let st = status(&control);
    let rows: Vec<String> = st.health.iter().map(|h| h.real_server.clone()).collect();
    assert!(!rows.contains(&loopback(pd).to_string()), "{rows:?}");
    assert!(rows.contains(&loopback(pa).to_string()), "{rows:?}");
    assert_eq!(dests(&kernel), BTreeMap::from([(pa, 1)]));
    // The next revision removes the whole virtual server: its service stays with a (the one
    // real server it has in IPVS) at weight 0 for the drain period, then goes.
    write_plan(&src, &plan(Vec::new()));
    wait_for(
        "the virtual server drained",
        Duration::from_secs(10),
        || dests(&kernel) == BTreeMap::from([(pa, 0)]),
    );
    let st = status(&control);
    assert_eq!(st.draining.len(), 1, "{:?}", st.draining);
    assert_eq!(st.draining[0].service, "tcp 10.0.0.1:80");
    wait_for(
        "the virtual server removed after its drain",
        Duration::from_secs(5),
        || service_count(&kernel) == 0,
    );
    assert!(status(&control).draining.is_empty());
}

/// How many IPVS services the kernel has.
fn service_count(k: &Arc<Mutex<FakeKernel>>) -> usize {
    let k = k.lock().expect("kernel");
    k.state.ipvs.as_ref().map_or(0, |i| i.services.len())
}

#[test]
fn health_changes_are_written_to_the_lvs_notify_fifo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    std::fs::create_dir(&src).expect("src");
    let (a, pa) = Listener::start(loopback(0));
    let (b, pb) = Listener::start(loopback(0));
    let copy = dir.path().join("fifo.txt");
    let mut p = health_plan(&[pa, pb]);
    // The FIFO script gets the FIFO's path appended to its argv (here `$0`).
    p.global.alerts.lvs_notify_fifo = Some(kac_schema::plan::PlanFifo {
        path: dir.path().join("lvs.fifo").display().to_string(),
        owner: None,
        script: Some(vec![
            "/bin/sh".into(),
            "-c".into(),
            format!("exec cat \"$0\" >> {}", copy.display()),
        ]),
        script_user: None,
    });
    // And the traps, to a UDP socket of the test.
    p.global.alerts.enable_traps = true;
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    sink.set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let traps = TrapTarget {
        addr: sink.local_addr().expect("addr"),
        community: "kac".into(),
    };
    write_plan(&src, &p);
    let (kernel, control) = start_daemon_with(dir.path(), &src, traps);
    wait_for("both real servers", Duration::from_secs(10), || {
        dests(&kernel).len() == 2
    });
    a.stop();
    b.stop();
    let rs = |port: u16| format!("RS [127.0.0.1]:{port} [10.0.0.1]:tcp:80 DOWN\n");
    let want = [rs(pa), rs(pb), "VS [10.0.0.1]:tcp:80 DOWN\n".to_string()];
    wait_for("the FIFO lines", Duration::from_secs(10), || {
        let text = std::fs::read_to_string(&copy).unwrap_or_default();
        want.iter().all(|w| text.contains(w.as_str()))
    });
    // The quorum line comes after the real servers' lines of the same change.
    let text = std::fs::read_to_string(&copy).unwrap_or_default();
    assert!(text.ends_with(&want[2]), "{text}");
    let st = status(&control);
    let fifo = st
        .alerts
        .channels
        .iter()
        .find(|c| c.channel == "fifo")
        .expect("fifo channel");
    assert!(
        fifo.configured && fifo.sent >= 3 && fifo.failed == 0,
        "{fifo:?}"
    );
    let email = st.alerts.channels.iter().find(|c| c.channel == "email");
    assert!(
        email.is_some_and(|e| !e.configured && e.sent == 0),
        "{email:?}"
    );
    // The quorum's trap: KEEPALIVED-MIB virtualServerQuorumStateChange with
    // virtualServerQuorumStatus.1 = notMet(2) and no real server up.
    let quorum = quorum_trap(&sink);
    for (what, want) in [
        (
            "snmpTrapOID",
            varbind(
                &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0],
                &Value::Oid(ka(&[3, 5, 0, 2])),
            ),
        ),
        (
            "virtualServerQuorumStatus",
            varbind(&ka(&[3, 3, 1, 23, 1]), &Value::Integer(2)),
        ),
        (
            "virtualServerRealServersUp",
            varbind(&ka(&[3, 3, 1, 21, 1]), &Value::Gauge(0)),
        ),
        (
            "virtualServerRealServersTotal",
            varbind(&ka(&[3, 3, 1, 20, 1]), &Value::Gauge(2)),
        ),
        (
            "virtualServerPort",
            varbind(&ka(&[3, 3, 1, 7, 1]), &Value::Gauge(80)),
        ),
    ] {
        assert!(
            quorum.windows(want.len()).any(|w| w == want),
            "{what} not in the trap {quorum:02x?}"
        );
    }
}

fn ka(arcs: &[u32]) -> Vec<u32> {
    crate::alert::trap::KEEPALIVED_MIB
        .iter()
        .chain(arcs)
        .copied()
        .collect()
}

/// The BER of one variable binding.
fn varbind(oid: &[u32], v: &Value) -> Vec<u8> {
    let mut b = Vec::new();
    ber::value(&mut b, &Value::Oid(oid.to_vec()));
    ber::value(&mut b, v);
    let mut out = Vec::new();
    ber::tlv(&mut out, 0x30, &b);
    out
}

/// The first datagram received on `sink` carrying virtualServerQuorumStateChange.
fn quorum_trap(sink: &std::net::UdpSocket) -> Vec<u8> {
    let want = varbind(
        &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0],
        &Value::Oid(ka(&[3, 5, 0, 2])),
    );
    let end = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 2048];
    while Instant::now() < end {
        if let Ok(n) = sink.recv(&mut buf) {
            let d = &buf[..n];
            if d.windows(want.len()).any(|w| w == want) {
                return d.to_vec();
            }
        }
    }
    panic!("no virtualServerQuorumStateChange trap received");
}
