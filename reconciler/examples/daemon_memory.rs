//! The daemon's memory on this machine, without IPVS: the real daemon loop
//! (`daemon::run_with_kernel`), its real compile step (a `kac daemon-compile` child, as
//! `kac daemon` runs it), a path source, and an in-memory kernel that keeps what it was told
//! (this machine's kernel has no IPVS; benches/daemon_bench.py measures the real thing in the
//! QEMU guest). Prints the process's RSS and peak RSS after the first apply, after a
//! `kac status`, and after a second revision (one real server's weight changed), with the
//! in-memory kernel's own share, which a real kernel does not charge to the daemon.
//!
//!   KAC_BIN=target/release/kac daemon_memory CONF
//!
//! A measurement harness for working on the daemon's memory, not a test.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kac_reconciler::daemon::source::{SourceOptions, SourceSpec};
use kac_reconciler::daemon::{
    CompileFn, CompileOutcome, DaemonConfig, HostSelection, Revision, run_with_kernel,
};
use kac_reconciler::kernel::{Kernel, KernelError};
use kac_reconciler::model::{DestAttrs, Service, ServiceAttrs, ServiceKey};
use kac_reconciler::observed::{IpvsState, Link, Observed};
use kac_reconciler::op::Op;

/// The kac binary's allocator (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// IPVS as the in-memory kernel keeps it: two sorted vectors reserved up front, so that its
/// own memory is small, known, and not interleaved with the daemon's (a real kernel's state
/// is not in the daemon's heap at all).
struct MemKernel {
    services: Vec<(ServiceKey, ServiceAttrs)>,
    dests: Vec<((ServiceKey, SocketAddr), DestAttrs)>,
}

impl MemKernel {
    fn with_capacity(services: usize, dests: usize) -> MemKernel {
        MemKernel {
            services: Vec::with_capacity(services),
            dests: Vec::with_capacity(dests),
        }
    }

    /// Bytes its state takes.
    fn bytes(&self) -> usize {
        self.services.capacity() * std::mem::size_of::<(ServiceKey, ServiceAttrs)>()
            + self.dests.capacity() * std::mem::size_of::<((ServiceKey, SocketAddr), DestAttrs)>()
    }

    fn service(&mut self, key: &ServiceKey) -> Result<usize, KernelError> {
        self.services
            .binary_search_by(|(k, _)| k.cmp(key))
            .map_err(|_| fail(2))
    }
}

fn fail(errno: i32) -> KernelError {
    KernelError::rejected(errno, None)
}

impl Kernel for MemKernel {
    /// The bench runs no connection sync daemon: IPVS is there, with none running.
    fn sync_daemons(
        &mut self,
    ) -> Result<Option<Vec<kac_reconciler::syncd::SyncDaemon>>, KernelError> {
        Ok(Some(Vec::new()))
    }
    fn observe(&mut self, ipvs: bool) -> Result<Observed, KernelError> {
        let mut o = Observed::default();
        o.links.insert(
            "lo".into(),
            Link {
                index: 1,
                kind: None,
                macvlan: None,
                vrf_table: None,
            },
        );
        if ipvs {
            let mut services: BTreeMap<ServiceKey, Service> = self
                .services
                .iter()
                .map(|(k, attrs)| {
                    let s = Service {
                        key: *k,
                        attrs: attrs.clone(),
                        dests: BTreeMap::new(),
                    };
                    (*k, s)
                })
                .collect();
            for ((k, d), a) in &self.dests {
                if let Some(s) = services.get_mut(k) {
                    s.dests.insert(*d, a.clone());
                }
            }
            o.ipvs = Some(IpvsState {
                services,
                timeouts: Default::default(),
            });
        }
        Ok(o)
    }

    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), KernelError>> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            let r = match op {
                Op::AddService(s) => match self.services.binary_search_by(|(k, _)| k.cmp(&s.key)) {
                    Ok(_) => Err(fail(17)),
                    Err(i) => {
                        self.services.insert(i, (s.key, s.attrs.clone()));
                        Ok(())
                    }
                },
                Op::EditService { key, to, .. } => self.service(key).map(|i| {
                    self.services[i].1 = (**to).clone();
                }),
                Op::DelService(s) => self.service(&s.key).map(|i| {
                    self.services.remove(i);
                    self.dests.retain(|((k, _), _)| *k != s.key);
                }),
                Op::AddDest {
                    service,
                    dest,
                    attrs,
                }
                | Op::EditDest {
                    service,
                    dest,
                    to: attrs,
                    ..
                } => self.service(service).map(|_| {
                    let key = (*service, *dest);
                    match self.dests.binary_search_by(|(k, _)| k.cmp(&key)) {
                        Ok(i) => self.dests[i].1 = attrs.clone(),
                        Err(i) => self.dests.insert(i, (key, attrs.clone())),
                    }
                }),
                Op::DelDest { service, dest, .. } => {
                    let key = (*service, *dest);
                    match self.dests.binary_search_by(|(k, _)| k.cmp(&key)) {
                        Ok(i) => {
                            self.dests.remove(i);
                            Ok(())
                        }
                        Err(_) => Err(fail(2)),
                    }
                }
                Op::SetTimeouts { .. } => Ok(()),
                other => {
                    eprintln!("daemon_memory: the in-memory kernel does not do `{other}`");
                    Err(fail(95))
                }
            };
            out.push(r);
        }
        out
    }
}

/// A kernel shared with `main`, which reads its size.
struct Shared(Arc<Mutex<MemKernel>>);

impl Kernel for Shared {
    fn sync_daemons(
        &mut self,
    ) -> Result<Option<Vec<kac_reconciler::syncd::SyncDaemon>>, KernelError> {
        self.0.lock().map_err(|_| fail(5))?.sync_daemons()
    }
    fn observe(&mut self, ipvs: bool) -> Result<Observed, KernelError> {
        self.0.lock().map_err(|_| fail(5))?.observe(ipvs)
    }
    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), KernelError>> {
        match self.0.lock() {
            Ok(mut k) => k.apply(ops),
            Err(_) => vec![Err(fail(5))],
        }
    }
}

/// (VmRSS, VmHWM) in MiB.
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resident MiB of the main heap (`[heap]`), of anonymous mappings (other threads' malloc
/// arenas, large allocations) and of the rest (the binary, libraries).
fn smaps() -> (f64, f64, f64) {
    let text = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
    let (mut heap, mut anon, mut other) = (0.0, 0.0, 0.0);
    let mut kind = 2;
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            let name = line.split_whitespace().nth(5);
            kind = match name {
                Some("[heap]") => 0,
                None => 1,
                _ => 2,
            };
        } else if let Some(v) = line.strip_prefix("Rss:") {
            let kb: f64 = v
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0.0);
            match kind {
                0 => heap += kb / 1024.0,
                1 => anon += kb / 1024.0,
                _ => other += kb / 1024.0,
            }
        }
    }
    (heap, anon, other)
}

fn report(what: &str, kernel: &Arc<Mutex<MemKernel>>) {
    let (heap, anon, other) = smaps();
    println!("  {what}: [heap] {heap:.1} MiB, anonymous {anon:.1} MiB, files {other:.1} MiB");
    let (r, h) = rss();
    let k = kernel.lock().map(|k| k.bytes()).unwrap_or(0) as f64 / 1048576.0;
    println!(
        "{what}: RSS {r:.1} MiB, peak {h:.1} MiB (in-memory kernel ~{k:.1} MiB of it: RSS without it ~{:.1} MiB)",
        r - k
    );
}

/// The binary's compile step (src/daemon_cmd.rs): `kac daemon-compile` in a child, its JSON
/// read from the pipe as it comes.
fn compile_fn(kac: PathBuf) -> CompileFn {
    Arc::new(move |rev: &Revision, _sel: &HostSelection| {
        let child = Command::new(&kac)
            .arg("daemon-compile")
            .arg("--entry")
            .arg(&rev.entry)
            .arg("--tree")
            .arg(&rev.tree)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn();
        let Ok(mut child) = child else {
            return CompileOutcome::default();
        };
        let t = Instant::now();
        let outcome = child
            .stdout
            .take()
            .map(|o| {
                let mut r = std::io::BufReader::with_capacity(1 << 16, o);
                let parsed = serde_json::from_reader(&mut r);
                let _ = std::io::copy(&mut r, &mut std::io::sink());
                parsed.unwrap_or_default()
            })
            .unwrap_or_default();
        let _ = child.wait();
        println!("compile + read: {:.1} s", t.elapsed().as_secs_f64());
        outcome
    })
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("daemon_memory: timed out waiting for {what}");
    std::process::exit(1);
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn main() {
    let Some(conf) = std::env::args().nth(1) else {
        eprintln!("usage: KAC_BIN=target/release/kac daemon_memory CONF");
        std::process::exit(2);
    };
    let kac = PathBuf::from(std::env::var("KAC_BIN").unwrap_or("target/release/kac".into()));
    let work = std::env::temp_dir().join(format!("kac-daemon-memory-{}", std::process::id()));
    let src = work.join("src");
    std::fs::create_dir_all(&src).expect("work directory");
    let text = std::fs::read_to_string(&conf).expect("the configuration");
    std::fs::write(src.join("keepalived.conf"), &text).expect("copy");
    let state = work.join("state");
    let control = work.join("kac.sock");
    let cfg = DaemonConfig {
        source: SourceOptions {
            spec: SourceSpec::Path(src.clone()),
            location: src.display().to_string(),
            git_ref: None,
            subdir: None,
            poll: Duration::from_secs(30),
            debounce: Duration::from_millis(100),
            allowed_signers: None,
            allow_non_descendant: false,
            state_dir: state.clone(),
        },
        selection: HostSelection::default(),
        host_label: "bench".into(),
        state_dir: state.clone(),
        control: control.clone(),
        metrics: None,
        adopt: false,
        full_check: Duration::from_secs(3600),
        drift_delay: Duration::from_millis(200),
        drain_period: Some(Duration::ZERO),
        traps: Default::default(),
    };
    let kernel = Arc::new(Mutex::new(MemKernel::with_capacity(
        text.matches("virtual_server ").count(),
        text.matches("real_server ").count(),
    )));
    let shared = Shared(kernel.clone());
    let compile = compile_fn(kac.clone());
    println!(
        "sizes: Op {} B, Service {} B, DestAttrs {} B, plan real server {} B, health member {} B",
        std::mem::size_of::<Op>(),
        std::mem::size_of::<Service>(),
        std::mem::size_of::<DestAttrs>(),
        std::mem::size_of::<kac_schema::plan::PlanRealServer>(),
        std::mem::size_of::<kac_reconciler::check::health::Member>(),
    );
    report("start", &kernel);
    let t0 = Instant::now();
    std::thread::spawn(move || {
        if let Err(e) = run_with_kernel(cfg, compile, Box::new(shared)) {
            eprintln!("daemon_memory: the daemon failed: {e}");
            std::process::exit(1);
        }
    });
    let last_good = state.join("last-good.json");
    wait_until("the first apply", Duration::from_secs(1800), || {
        last_good.exists()
    });
    println!("first apply took {:.1} s", t0.elapsed().as_secs_f64());
    std::thread::sleep(Duration::from_secs(2));
    report("after the first apply", &kernel);
    let status = || {
        let _ = Command::new(&kac)
            .args(["status", "--format", "json", "--control"])
            .arg(&control)
            .stdout(std::process::Stdio::null())
            .status();
    };
    status();
    std::thread::sleep(Duration::from_secs(1));
    report("after `kac status`", &kernel);

    // A second revision: the first real server's weight changes.
    let before = modified(&last_good);
    let changed = text.replacen("weight 1\n", "weight 2\n", 1);
    let tmp = src.join(".save.tmp");
    std::fs::write(&tmp, changed).expect("write");
    std::fs::rename(&tmp, src.join("keepalived.conf")).expect("rename");
    let t1 = Instant::now();
    wait_until("the second apply", Duration::from_secs(1800), || {
        modified(&last_good) != before
    });
    println!("second apply took {:.1} s", t1.elapsed().as_secs_f64());
    std::thread::sleep(Duration::from_secs(2));
    report("after a second revision", &kernel);
    status();
    std::thread::sleep(Duration::from_secs(1));
    report("after `kac status`", &kernel);
    let _ = std::fs::remove_dir_all(&work);
}
