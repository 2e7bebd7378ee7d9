//! `kac apply`: converge this host to the compiled plan (the reconciler does the work; this
//! module wires the plan, the state directory and the netlink backend together and prints).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use kac_reconciler::apply::{ApplyError, ApplyOptions, Report, apply, live_diff};
use kac_reconciler::desired::Desired;
use kac_reconciler::journal::{StateDir, read_journal};
use kac_reconciler::kernel::netlink::NetlinkKernel;
use kac_reconciler::names::Names;
use kac_schema::plan::Plan;

/// The options of `kac apply` besides the host selection.
pub struct ApplyArgs {
    /// Print the ops only.
    pub dry_run: bool,
    /// The state directory.
    pub state_dir: PathBuf,
    /// Take over existing objects.
    pub adopt: bool,
}

/// Applies `plan` to this host; prints the ops (stdout) and a summary (stderr).
pub fn run(plan: &Plan, args: &ApplyArgs) -> ExitCode {
    let desired = match Desired::from_plan(plan, &Names::from_host()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    if !plan.vrrp_instances.is_empty() {
        eprintln!(
            "note: {} VRRP instance(s) (VIPs, virtual routes and rules, VMAC links) are not applied by `kac apply` (VRRP is the job of `kac daemon`, not implemented yet)",
            plan.vrrp_instances.len()
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
