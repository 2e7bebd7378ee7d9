//! Benchmark driver of health checking (run by benches/check_bench.py inside a network
//! namespace it creates): loads a plan's checks into the daemon's check machinery (the engine,
//! the driver and the probes, on one current-thread runtime as in `kac daemon`), answers every
//! change of health the way the daemon's loop does (the desired IPVS state with health written
//! in), and after `SECONDS` prints what ran as JSON. The kernel side is left out: this
//! machine's kernel has no IPVS.
//!
//! With `WARMUP` (seconds), it also reports the window from `WARMUP` to the end: the checks
//! that ended in it and the process's own CPU time over it (user + system, every thread, from
//! getrusage), so the caller gets kac's CPU per check without counting start-up.
//!
//! Usage: check_bench PLAN.json SECONDS [WARMUP]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kac_reconciler::check::driver::{self, HealthControl};
use kac_reconciler::check::net::NetProber;
use kac_reconciler::daemon::event::Event;
use kac_reconciler::daemon::metrics::Metrics;
use kac_reconciler::desired::Desired;
use kac_reconciler::names::Names;
use kac_schema::plan::Plan;

/// The kac binary's allocator (src/main.rs): the daemon's checks run on it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// This process's CPU time so far (user + system, all threads), in seconds.
fn cpu_seconds() -> f64 {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_SELF).map_or(0.0, |u| {
        let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
        t(u.user_time()) + t(u.system_time())
    })
}

/// The value of the metric line starting with `name` (e.g. `kac_check_duration_seconds_count `).
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

/// Checks ended, CPU seconds and wall time at one instant.
#[derive(Clone, Copy)]
struct Mark {
    attempts: f64,
    cpu_s: f64,
    at: Instant,
}

impl Mark {
    fn now(metrics: &Metrics) -> Mark {
        let attempts = metric(&metrics.encode(), "kac_check_duration_seconds_count ");
        Mark {
            attempts,
            cpu_s: cpu_seconds(),
            at: Instant::now(),
        }
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(secs)) = (args.get(1), args.get(2).and_then(|s| s.parse::<f64>().ok()))
    else {
        eprintln!("usage: check_bench PLAN.json SECONDS [WARMUP]");
        return std::process::ExitCode::from(2);
    };
    let warmup = match args.get(3).map(|w| w.parse::<f64>()) {
        None => None,
        Some(Ok(w)) if w >= 0.0 && w < secs => Some(w),
        Some(_) => {
            eprintln!("check_bench: WARMUP must be a number of seconds below SECONDS");
            return std::process::ExitCode::from(2);
        }
    };
    let plan: Plan = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot read the plan {path}: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let fd_limit = driver::raise_fd_limit();
    let desired = match Desired::from_plan(&plan, &Names::from_host()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(1);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let metrics = Metrics::new();
    let report = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Event>(256);
        let health: Arc<dyn HealthControl> = driver::spawn(NetProber, tx, metrics.clone());
        if let Err(e) = health.load(&plan) {
            return Err(e.join("; "));
        }
        let start = Instant::now();
        let end = start + Duration::from_secs_f64(secs);
        let mut warm_at = warmup.map(|w| start + Duration::from_secs_f64(w));
        let mut warm_mark = None;
        let mut changes = 0u64;
        loop {
            tokio::select! {
                Some(_) = rx.recv() => {
                    let mut d = desired.clone();
                    health.overlay(&mut d);
                    changes += 1;
                }
                () = tokio::time::sleep_until(warm_at.unwrap_or(end).into()), if warm_at.is_some() => {
                    warm_at = None;
                    warm_mark = Some(Mark::now(&metrics));
                }
                () = tokio::time::sleep_until(end.into()) => break,
            }
        }
        let window = warm_mark.map(|m0| (m0, Mark::now(&metrics)));
        Ok((health.status(), changes, window))
    });
    let (status, changes, window) = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(1);
        }
    };
    let text = metrics.encode();
    let up = status.iter().filter(|h| h.state == "up").count();
    // One failure reason, to tell why checks fail when some do.
    let failure = status
        .iter()
        .flat_map(|h| &h.checkers)
        .find_map(|c| c.last_failure.clone());
    let mut out = serde_json::json!({
        "real_servers": status.len(),
        "up": up,
        "attempts": metric(&text, "kac_check_duration_seconds_count "),
        "latency_sum_s": metric(&text, "kac_check_duration_seconds_sum "),
        "health_events": changes,
        "fd_limit": match &fd_limit { Ok(n) => serde_json::json!(n), Err(e) => serde_json::json!(e) },
        "a_failure": failure,
    });
    if let Some((m0, m1)) = window {
        out["window_s"] = serde_json::json!(m1.at.duration_since(m0.at).as_secs_f64());
        out["window_attempts"] = serde_json::json!(m1.attempts - m0.attempts);
        out["window_cpu_s"] = serde_json::json!(m1.cpu_s - m0.cpu_s);
    }
    println!("{out}");
    std::process::ExitCode::SUCCESS
}
