//! `kac apply`: converge this host to the compiled plan (the reconciler does the work; this
//! module wires the plan, the state directory and the netlink backend together and prints).
//!
//! Policy (docs/daemon.md, "What kac carries out"): apply owns static addresses, routes and
//! rules and IPVS (real servers at their configured weights). VRRP and health checking are
//! left to the daemon, with a warning naming each keyword; what kac never carries out is
//! refused, and nothing is applied.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::host_compile::HostPlan;
use crate::not_carried_out::{self, Runtime};
use kac_reconciler::apply::{ApplyError, ApplyOptions, Report, apply, live_diff};
use kac_reconciler::desired::Desired;
use kac_reconciler::journal::{StateDir, read_journal};
use kac_reconciler::kernel::netlink::NetlinkKernel;
use kac_reconciler::names::Names;
use kac_schema::Severity;

/// The options of `kac apply` besides the host selection.
pub struct ApplyArgs {
    /// Print the ops only.
    pub dry_run: bool,
    /// The state directory.
    pub state_dir: PathBuf,
    /// Take over existing objects.
    pub adopt: bool,
}

/// Applies the host's plan to this host; prints the ops (stdout) and a summary (stderr).
pub fn run(hp: &HostPlan, args: &ApplyArgs) -> ExitCode {
    let plan = &hp.plan;
    if !report_keywords(hp) {
        eprintln!("error: nothing applied: the configuration uses keywords kac does not carry out");
        return ExitCode::from(1);
    }
    let desired = match Desired::from_plan(plan, &Names::from_host()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    if plan.global.lvs_flush_on_stop != "none" {
        eprintln!(
            "note: `lvs_flush_on_stop` ({}) happens when `kac daemon` stops; `kac apply` leaves IPVS as it made it",
            plan.global.lvs_flush_on_stop
        );
    }
    let mut kernel = match NetlinkKernel::new() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: cannot talk to the kernel: {e}");
            return ExitCode::from(1);
        }
    };
    let result = if args.dry_run {
        dry_run(&mut kernel, &desired, args)
    } else {
        match StateDir::lock(&args.state_dir) {
            Ok(state) => {
                let opts = ApplyOptions {
                    adopt: args.adopt,
                    ..ApplyOptions::default()
                };
                apply(&mut kernel, &desired, &state, opts).map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        }
    };
    match result {
        Ok(report) => {
            print_report(&report);
            eprintln!(
                "kac apply: host `{}`: {}",
                plan.host,
                summary(&report, args.dry_run)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Prints what apply does not carry out (errors and warnings as diagnostics, keywords
/// without effect as one note each); `false` when something is refused.
fn report_keywords(hp: &HostPlan) -> bool {
    let diags = not_carried_out::diagnostics(&hp.keywords_used, Runtime::Apply);
    let shown: Vec<(Option<String>, kac_schema::Diagnostic)> = diags
        .iter()
        .filter(|d| d.severity != Severity::Advice)
        .cloned()
        .map(|d| (None, d))
        .collect();
    crate::emit(&shown, &hp.sources, crate::DiagFormat::Text);
    let mut texts = crate::render::Texts::new(&hp.sources);
    for d in diags.iter().filter(|d| d.severity == Severity::Advice) {
        let at = d.primary_span().map_or_else(String::new, |s| {
            let (line, _) = texts.line_col(s);
            format!(" ({}:{line})", texts.name(s))
        });
        eprintln!(
            "note: {}{at}: {}",
            d.message,
            d.help.as_deref().unwrap_or_default()
        );
    }
    !diags.iter().any(|d| d.severity == Severity::Error)
}

/// The ops an apply would make: no lock taken, nothing written (a daemon may be running).
fn dry_run(
    kernel: &mut NetlinkKernel,
    desired: &Desired,
    args: &ApplyArgs,
) -> Result<Report, String> {
    let journal = read_journal(&args.state_dir).map_err(|e| e.to_string())?;
    let diff = live_diff(kernel, desired, &journal, args.adopt).map_err(|e| e.to_string())?;
    if !diff.conflicts.is_empty() {
        return Err(ApplyError::Conflicts(diff.conflicts).to_string());
    }
    Ok(Report {
        ops: diff.ops,
        adopted: diff.adopted,
        repairs: 0,
    })
}

fn print_report(report: &Report) {
    let mut o = std::io::stdout().lock();
    for a in &report.adopted {
        let _ = writeln!(o, "= adopt {a}");
    }
    for op in &report.ops {
        let _ = writeln!(o, "{op}");
    }
}

fn summary(report: &Report, dry_run: bool) -> String {
    let n = report.ops.len();
    let what = if dry_run {
        format!("{n} change(s) would be made (dry run, nothing changed)")
    } else if n == 0 && report.adopted.is_empty() {
        "nothing to do".to_string()
    } else if report.repairs > 0 {
        format!(
            "{n} change(s) made ({} found by re-reading the kernel)",
            report.repairs
        )
    } else {
        format!("{n} change(s) made")
    };
    if report.adopted.is_empty() {
        what
    } else {
        format!("{what}, {} object(s) adopted", report.adopted.len())
    }
}
