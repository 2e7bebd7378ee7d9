//! `kac apply`: converge this host to the compiled plan (the reconciler does the work; this
//! module wires the plan, the state directory and the netlink backend together and prints).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use kac_reconciler::apply::{ApplyOptions, apply};
use kac_reconciler::desired::Desired;
use kac_reconciler::journal::StateDir;
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
            "note: {} VRRP instance(s) (VIPs, virtual routes and rules, VMAC links) are not applied by `kac apply`; the daemon runs VRRP",
            plan.vrrp_instances.len()
        );
    }
    let state = match StateDir::lock(&args.state_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let mut kernel = match NetlinkKernel::new() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: cannot talk to the kernel: {e}");
            return ExitCode::from(1);
        }
    };
    let opts = ApplyOptions {
        dry_run: args.dry_run,
        adopt: args.adopt,
        ..ApplyOptions::default()
    };
    match apply(&mut kernel, &desired, &state, opts) {
        Ok(report) => {
            let mut o = std::io::stdout().lock();
            for a in &report.adopted {
                let _ = writeln!(o, "= adopt {a}");
            }
            for op in &report.ops {
                let _ = writeln!(o, "{op}");
            }
            let n = report.ops.len();
            let what = if args.dry_run {
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
            let adopted = if report.adopted.is_empty() {
                String::new()
            } else {
                format!(", {} object(s) adopted", report.adopted.len())
            };
            eprintln!("kac apply: host `{}`: {what}{adopted}", plan.host);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
