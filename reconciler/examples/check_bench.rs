//! Benchmark driver of health checking (run by benches/check_bench.py inside a network
//! namespace it creates): loads a plan's checks into the daemon's check machinery (the engine,
//! the driver and the probes, on one current-thread runtime as in `kac daemon`), answers every
//! change of health the way the daemon's loop does (the desired IPVS state with health written
//! in), and after `SECONDS` prints what ran as JSON. The kernel side is left out: this
//! machine's kernel has no IPVS.
//!
//! Usage: check_bench PLAN.json SECONDS

use std::sync::Arc;
use std::time::{Duration, Instant};

use kac_reconciler::check::driver::{self, HealthControl};
use kac_reconciler::check::net::NetProber;
use kac_reconciler::daemon::event::Event;
use kac_reconciler::daemon::metrics::Metrics;
use kac_reconciler::desired::Desired;
use kac_reconciler::names::Names;
use kac_schema::plan::Plan;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(secs)) = (args.get(1), args.get(2).and_then(|s| s.parse::<f64>().ok()))
    else {
        eprintln!("usage: check_bench PLAN.json SECONDS");
        return std::process::ExitCode::from(2);
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
        let end = Instant::now() + Duration::from_secs_f64(secs);
        let mut changes = 0u64;
        loop {
            tokio::select! {
                Some(_) = rx.recv() => {
                    let mut d = desired.clone();
                    health.overlay(&mut d);
                    changes += 1;
                }
                () = tokio::time::sleep_until(end.into()) => break,
            }
        }
        Ok((health.status(), changes))
    });
    let (status, changes) = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(1);
        }
    };
    let text = metrics.encode();
    let metric = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0.0)
    };
    let up = status.iter().filter(|h| h.state == "up").count();
    let out = serde_json::json!({
        "real_servers": status.len(),
        "up": up,
        "attempts": metric("kac_check_duration_seconds_count "),
        "latency_sum_s": metric("kac_check_duration_seconds_sum "),
        "health_events": changes,
        "fd_limit": match &fd_limit { Ok(n) => serde_json::json!(n), Err(e) => serde_json::json!(e) },
    });
    println!("{out}");
    std::process::ExitCode::SUCCESS
}
