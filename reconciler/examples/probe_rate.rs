//! Probe throughput and cost: N endpoints each checked once per second by `probe()` on one
//! current-thread runtime (one core at most), against servers in a child process; prints the
//! checks per second achieved, this process's CPU (user + system) as a share of one core, its
//! peak RSS and open descriptors, and check latency. Run inside a network namespace
//! (benches/probe_bench.py does: `unshare -n`, loopback up, descriptor limit raised).
//!
//!   probe_rate tcp|https ENDPOINTS SECONDS
//!   probe_rate serve tcp|https PORT…      (the server side, started by the above)

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kac_reconciler::check::probe::http::{HttpProtocol, HttpSpec, TlsSpec, UrlSpec};
use kac_reconciler::check::probe::{Endpoint, Outcome, ProbeKind, ProbeSpec, probe, tls};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Ports the server listens on (on every address of the namespace's loopback).
const PORTS: u16 = 20;
const FIRST_PORT: u16 = 20000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => serve(&args[2], &args[3..]),
        Some(kind @ ("tcp" | "https")) => {
            let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
            let secs: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10);
            run(kind, n, secs);
        }
        _ => {
            eprintln!("usage: probe_rate tcp|https ENDPOINTS SECONDS");
            std::process::exit(2);
        }
    }
}

/// The i-th endpoint: 127.x.y.z (distinct addresses) on one of the server's ports.
fn endpoint(i: usize) -> SocketAddr {
    let a = i / PORTS as usize + 1;
    let ip = Ipv4Addr::new(127, (a >> 16) as u8, (a >> 8) as u8, a as u8);
    SocketAddr::new(IpAddr::V4(ip), FIRST_PORT + (i % PORTS as usize) as u16)
}

/// (user + system CPU seconds, peak RSS kB, open descriptors, system CPU seconds) of this
/// process.
fn usage() -> (f64, u64, usize, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command; USER_HZ = 100.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    (cpu, hwm, fds, ticks(12) / 100.0)
}

fn spawn_server(kind: &str) -> Child {
    let exe = std::env::current_exe().expect("current exe");
    let ports: Vec<String> = (0..PORTS).map(|p| (FIRST_PORT + p).to_string()).collect();
    let child = Command::new(exe)
        .arg("serve")
        .arg(kind)
        .args(&ports)
        .stdout(Stdio::piped())
        .spawn()
        .expect("server");
    std::thread::sleep(Duration::from_millis(500));
    child
}

fn run(kind: &str, n: usize, secs: u64) {
    let mut server = spawn_server(kind);
    let probe_kind = if kind == "https" {
        ProbeKind::Http(HttpSpec {
            urls: vec![UrlSpec {
                path: "/".into(),
                status: vec![(200, 299)],
                digest: None,
                virtualhost: None,
            }],
            protocol: HttpProtocol::Http10,
            tls: Some(TlsSpec {
                sni: false,
                identity: None,
                config: tls::client_config(None).expect("tls config"),
            }),
        })
    } else {
        ProbeKind::Tcp
    };
    let specs: Vec<ProbeSpec> = (0..n)
        .map(|i| {
            ProbeSpec::new(
                Endpoint {
                    connect: endpoint(i),
                    bindto: None,
                    bind_port: None,
                    bind_if: None,
                    fwmark: None,
                },
                Duration::from_secs(3),
                probe_kind.clone(),
            )
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let up = Arc::new(AtomicU64::new(0));
    let down = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<u32>::new()));
    let first_down = Arc::new(Mutex::new(None::<String>));
    let (cpu, sys, max_fds, done, wall) = rt.block_on(async {
        // Every endpoint once per second, spread over 100 ticks.
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let per_tick = n.div_ceil(100);
        let warmup = 100; // one second
        let total_ticks = warmup + secs as usize * 100;
        let mut next = 0usize;
        let mut start = None;
        let mut max_fds = 0;
        for t in 0..total_ticks {
            tick.tick().await;
            if t == warmup {
                start = Some((
                    Instant::now(),
                    usage().0,
                    usage().3,
                    up.load(Ordering::Relaxed) + down.load(Ordering::Relaxed),
                ));
                latencies.lock().expect("lock").clear();
            }
            if t % 100 == 0 {
                max_fds = max_fds.max(usage().2);
            }
            for _ in 0..per_tick {
                let spec = specs[next % n].clone();
                next += 1;
                let (up, down, lat, fd) = (
                    up.clone(),
                    down.clone(),
                    latencies.clone(),
                    first_down.clone(),
                );
                tokio::spawn(async move {
                    let t0 = Instant::now();
                    let o = probe(&spec).await;
                    let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    match o {
                        Outcome::Down { reason } => {
                            down.fetch_add(1, Ordering::Relaxed);
                            fd.lock().expect("lock").get_or_insert(reason);
                        }
                        _ => {
                            up.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    lat.lock().expect("lock").push(us);
                });
            }
        }
        let (t0, cpu0, sys0, done0) = start.expect("started");
        let wall = t0.elapsed().as_secs_f64();
        let cpu = usage().0 - cpu0;
        let sys = usage().3 - sys0;
        let done = up.load(Ordering::Relaxed) + down.load(Ordering::Relaxed) - done0;
        (cpu, sys, max_fds, done, wall)
    });
    let _ = server.kill();
    let _ = server.wait();
    let mut lat = latencies.lock().expect("lock").clone();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let (_, hwm, _, _) = usage();
    println!(
        "{kind}: {n} endpoints, {:.0} checks/s over {wall:.1}s; CPU {:.1}% of one core ({:.1}% system; {:.1} µs per check); peak RSS {:.1} MB; max open fds {max_fds}; latency p50 {} µs p99 {} µs; up {} down {}{}",
        done as f64 / wall,
        100.0 * cpu / wall,
        100.0 * sys / wall,
        1e6 * cpu / done.max(1) as f64,
        hwm as f64 / 1024.0,
        pct(0.5),
        pct(0.99),
        up.load(Ordering::Relaxed),
        down.load(Ordering::Relaxed),
        first_down
            .lock()
            .expect("lock")
            .as_ref()
            .map_or(String::new(), |r| format!(" (first down: {r})")),
    );
}

fn serve(kind: &str, ports: &[String]) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let acceptor = (kind == "https").then(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let ck = rcgen::generate_simple_self_signed(vec!["bench.kac.test".to_string()])
                .expect("cert");
            let key = rustls::pki_types::PrivateKeyDer::try_from(ck.signing_key.serialize_der())
                .expect("key");
            let mut config = rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(vec![ck.cert.der().clone()], key)
                .expect("server config");
            // Like a web server's session cache: resumed handshakes for returning clients.
            if std::env::var_os("PROBE_RATE_NO_RESUMPTION").is_none() {
                config.session_storage = rustls::server::ServerSessionMemoryCache::new(16 * 1024);
            } else {
                config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            }
            tokio_rustls::TlsAcceptor::from(Arc::new(config))
        });
        for p in ports {
            let port: u16 = p.parse().expect("port");
            let listener = tokio::net::TcpListener::bind(("0.0.0.0", port))
                .await
                .expect("bind");
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let Some(acceptor) = acceptor.clone() else {
                        drop(stream);
                        continue;
                    };
                    tokio::spawn(async move {
                        let Ok(mut tls) = acceptor.accept(stream).await else {
                            return;
                        };
                        let mut buf = [0u8; 1024];
                        let _ = tls.read(&mut buf).await;
                        let _ = tls
                            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
                            .await;
                        let _ = tls.shutdown().await;
                    });
                }
            });
        }
        std::future::pending::<()>().await;
    });
}
