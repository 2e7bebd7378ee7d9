//! `kac status` and `kac ctl`: the operator's side of the daemon's control socket.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use kac_reconciler::daemon::control::{self, ControlReply, ControlRequest, DEFAULT_CONTROL};
use kac_schema::status::Status;

/// How long to wait for the daemon.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Output format of `kac status`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum StatusFormat {
    /// For people.
    Text,
    /// The versioned status document (docs/daemon.md, schema/status.schema.json).
    Json,
}

/// The options of `kac status`.
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The daemon's control socket.
    #[arg(long, default_value = DEFAULT_CONTROL)]
    control: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: StatusFormat,
}

/// The options of `kac ctl`.
#[derive(Args, Debug)]
pub struct CtlArgs {
    /// The daemon's control socket.
    #[arg(long, default_value = DEFAULT_CONTROL)]
    control: PathBuf,
    /// What to do.
    #[command(subcommand)]
    action: CtlAction,
}

/// An operator's control.
#[derive(Subcommand, Debug)]
pub enum CtlAction {
    /// Stop applying anything (new revisions, drift repairs) until `resume`.
    Suspend,
    /// Apply again (the newest revision, and repair drift).
    Resume,
    /// Read the source now and re-check the whole kernel state (IPVS included).
    Sync,
    /// Converge to REV and stay there (default: the applied revision).
    Pin {
        /// A commit, branch or tag of a git source (or a path source's current digest).
        rev: Option<String>,
    },
    /// Follow the source again.
    Unpin,
    /// Observe-only mode: compute and report changes (`kac status`), never apply them.
    Observe {
        /// `on` or `off`.
        #[arg(value_enum)]
        state: OnOff,
    },
}

/// On or off.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
}

/// `kac status`: exit 0 when the daemon answered (its state may still show an error), 1
/// when it cannot be reached.
pub fn status(args: &StatusArgs) -> ExitCode {
    let reply = match control::request(&args.control, &ControlRequest::Status, TIMEOUT) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let Some(status) = reply.status.filter(|_| reply.ok) else {
        eprintln!("error: {}", reply.message);
        return ExitCode::from(1);
    };
    match args.format {
        StatusFormat::Json => match serde_json::to_string_pretty(&status) {
            Ok(s) => crate::out(&s),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        },
        StatusFormat::Text => crate::out(text(&status).trim_end()),
    }
    ExitCode::SUCCESS
}

/// `kac ctl`: exit 0 when done, 1 when the daemon refused or cannot be reached.
pub fn ctl(args: &CtlArgs) -> ExitCode {
    let req = match &args.action {
        CtlAction::Suspend => ControlRequest::Suspend,
        CtlAction::Resume => ControlRequest::Resume,
        CtlAction::Sync => ControlRequest::Sync,
        CtlAction::Pin { rev } => ControlRequest::Pin {
            revision: rev.clone(),
        },
        CtlAction::Unpin => ControlRequest::Unpin,
        CtlAction::Observe { state } => ControlRequest::Observe {
            on: *state == OnOff::On,
        },
    };
    match control::request(&args.control, &req, TIMEOUT) {
        Ok(ControlReply {
            ok: true, message, ..
        }) => {
            eprintln!("kac ctl: {message}");
            ExitCode::SUCCESS
        }
        Ok(ControlReply { message, .. }) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The status for people.
pub fn text(s: &Status) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "kac daemon for host {} (pid {}), started {}",
        s.host, s.pid, s.started_at
    );
    let src = &s.source;
    let mut line = format!("source:   {} {}", src.kind, src.location);
    if let Some(r) = &src.git_ref {
        let _ = write!(line, " ref {r}");
    }
    if let Some(d) = &src.subdir {
        let _ = write!(line, " subdir {d}");
    }
    if src.verify_signatures {
        line.push_str(", signatures verified");
    }
    if let Some(at) = &src.last_read_at {
        let _ = write!(line, ", read {at}");
    }
    let _ = writeln!(o, "{line}");
    if let Some(e) = &src.read_error {
        let _ = writeln!(o, "          cannot be read: {e}");
    }
    let mut mode = vec![if s.mode.reconciling {
        "reconciling".to_string()
    } else {
        "SUSPENDED".to_string()
    }];
    if s.mode.observe_only {
        mode.push("observe-only".into());
    }
    if let Some(p) = &s.mode.pinned {
        mode.push(format!("pinned to {}", short(p)));
    }
    let _ = writeln!(o, "mode:     {}", mode.join(", "));
    match &s.applied {
        Some(a) => {
            let _ = writeln!(
                o,
                "applied:  {}{} at {}",
                short(&a.revision),
                a.summary
                    .as_deref()
                    .map_or_else(String::new, |t| format!(" \"{t}\"")),
                a.applied_at
            );
        }
        None => {
            let _ = writeln!(o, "applied:  nothing yet");
        }
    }
    if let Some(seen) = &s.seen {
        let _ = writeln!(
            o,
            "seen:     {}{} at {}: {}",
            short(&seen.revision),
            seen.summary
                .as_deref()
                .map_or_else(String::new, |t| format!(" \"{t}\"")),
            seen.seen_at,
            seen.outcome
        );
    }
    let w = &s.owned;
    let _ = writeln!(
        o,
        "owned:    {} address(es), {} route(s), {} rule(s), {} link(s), {} IPVS service(s)",
        w.addresses, w.routes, w.rules, w.links, w.services
    );
    if !s.vrrp.is_empty() {
        let _ = writeln!(o, "vrrp:");
        for i in &s.vrrp {
            let prio = if i.priority == i.base_priority {
                i.priority.to_string()
            } else {
                format!("{} (configured {})", i.priority, i.base_priority)
            };
            let _ = writeln!(
                o,
                "  {} vrid {} on {}: {}, priority {prio}, master {}{}; adverts {} sent, {} received, {} dropped",
                i.name,
                i.vrid,
                i.interface.as_deref().unwrap_or("-"),
                i.state,
                i.master.as_deref().unwrap_or("unknown"),
                i.since
                    .as_deref()
                    .map_or_else(String::new, |t| format!(" since {t}")),
                i.adverts_sent,
                i.adverts_received,
                i.adverts_dropped
            );
            if let Some(d) = &i.last_drop {
                let _ = writeln!(o, "    last dropped advert: {d}");
            }
            for r in &i.fault_reasons {
                let _ = writeln!(o, "    fault: {r}");
            }
        }
    }
    for c in s
        .alerts
        .channels
        .iter()
        .filter(|c| c.configured || c.sent + c.failed + c.dropped > 0)
    {
        let _ = writeln!(
            o,
            "alerts {}: {} sent, {} failed, {} dropped{}",
            c.channel,
            c.sent,
            c.failed,
            c.dropped,
            if c.configured {
                ""
            } else {
                " (no longer configured)"
            }
        );
        if let Some(l) = &c.last_sent {
            let _ = writeln!(o, "  last sent: {l}");
        }
        if let Some(l) = &c.last_failure {
            let _ = writeln!(o, "  last failure: {l}");
        }
    }
    if let Some(d) = &s.sync_daemon {
        let _ = writeln!(
            o,
            "sync:     IPVS connection sync daemon on {} (syncid {}, follows {}): {}{}; {} wanted",
            d.interface,
            d.sync_id,
            d.instance,
            d.running.as_deref().unwrap_or("not running"),
            d.since
                .as_deref()
                .map_or_else(String::new, |t| format!(" since {t}")),
            d.wanted
        );
    }
    if let Some(ops) = &s.last_ops {
        let _ = writeln!(
            o,
            "last ops: {} op(s) ({}, {})",
            ops.ops.len(),
            ops.reason,
            ops.at
        );
        for a in &ops.adopted {
            let _ = writeln!(o, "  = adopt {a}");
        }
        for op in &ops.ops {
            let _ = writeln!(o, "  {op}");
        }
    }
    if !s.pending_ops.is_empty() {
        let _ = writeln!(o, "pending (observe-only, not applied):");
        for op in &s.pending_ops {
            let _ = writeln!(o, "  {op}");
        }
    }
    if let Some(e) = &s.last_error {
        let _ = writeln!(
            o,
            "last error ({}, {}{}):",
            e.stage,
            e.at,
            e.revision
                .as_deref()
                .map_or_else(String::new, |r| format!(", revision {}", short(r)))
        );
        let _ = writeln!(o, "  {}", e.message);
        for d in &e.diagnostics {
            for l in d.rendered.lines() {
                let _ = writeln!(o, "  {l}");
            }
        }
    }
    health_text(&mut o, s);
    let c = &s.counters;
    let _ = writeln!(
        o,
        "counters: {} reconcile(s), {} op(s) applied, {} drift repair(s), {} error(s)",
        c.reconciles, c.ops_applied, c.drift_repairs, c.errors
    );
    o
}

/// Up to this many checked real servers are listed one by one; above it, only those not up.
const HEALTH_ROWS: usize = 50;

/// The health and draining sections of the text status.
fn health_text(o: &mut String, s: &Status) {
    if !s.health.is_empty() {
        let up = s.health.iter().filter(|h| h.state == "up").count();
        let _ = writeln!(
            o,
            "health:   {} real server(s) checked, {up} up, {} not up",
            s.health.len(),
            s.health.len() - up
        );
        let all = s.health.len() <= HEALTH_ROWS;
        for h in s.health.iter().filter(|h| all || h.state != "up") {
            let _ = writeln!(
                o,
                "  {} -> {} {} ({}, weight {})",
                h.virtual_server, h.real_server, h.state, h.ipvs, h.weight
            );
            for c in &h.checkers {
                let mut line = format!("    {}: {}", c.check, c.state);
                if let Some(at) = &c.last_check_at {
                    let _ = write!(line, ", last {at}");
                }
                if let Some(ms) = c.last_latency_ms {
                    let _ = write!(line, " ({ms:.1} ms)");
                }
                if c.failures > 0 {
                    let _ = write!(
                        line,
                        ", {} failure(s) in a row, {} in all",
                        c.consecutive_failures, c.failures
                    );
                }
                if let Some(f) = &c.last_failure {
                    let _ = write!(line, ": {f}");
                }
                let _ = writeln!(o, "{line}");
            }
        }
    }
    for d in &s.draining {
        let _ = writeln!(
            o,
            "draining: {} -> {} at weight 0 until {}",
            d.service, d.real_server, d.until
        );
    }
}
