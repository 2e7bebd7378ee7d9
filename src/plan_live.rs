//! `kac plan --live`: this host's plan (the working tree's, or `--to`'s) against the running
//! host. The reconciler's live diff (what `kac apply --dry-run` prints: the same diff, the same
//! ownership journal) shown in plan form (live_form.rs), with plan's outputs and exit codes
//! (docs/plan.md).

use std::path::PathBuf;
use std::process::ExitCode;

use kac_compiler::review::{self, HostSide};
use kac_reconciler::diff::Conflict;
use kac_schema::plan::Plan;
use kac_schema::plan_diff::{
    HostDiff, HostStatus, ObjectKind, ObjectRef, PlanDiagnostic, Revision, Side, SideErrors,
    SiteDiff,
};

use crate::plan_cmd::{self, Args, FoundHost, FoundSite};

/// Code of an object the plan wants that exists and is not kac's.
const CONFLICT: &str = "kac::live::conflict";

/// Runs `kac plan --live`.
pub fn run(args: &Args) -> ExitCode {
    let place = match plan_cmd::locate(args, args.to.is_some()) {
        Ok(p) => p,
        Err(msg) => return usage(&msg),
    };
    let (fs, to_rev) = match plan_cmd::open_new_side(&place, args) {
        Ok(s) => s,
        Err(msg) => return usage(&msg),
    };
    let sites = plan_cmd::discover(fs.as_ref(), &place.scope, &place.root);
    for (key, s) in &sites {
        for r in &s.rendered {
            eprintln!("[{key}] {r}");
        }
    }
    let (site, host) = match choose_host(&sites, args) {
        Ok(found) => found,
        Err(msg) => {
            if sites.values().any(|s| !s.errors.is_empty()) {
                eprintln!("error: {msg}");
                return ExitCode::from(1);
            }
            return usage(&msg);
        }
    };
    let (side, shown) = plan_cmd::compile_host(fs.as_ref(), host, &place.root, None);
    let mut h = HostDiff {
        host: host.name.clone(),
        status: HostStatus::Unchanged,
        changes: Vec::new(),
        hazards: Vec::new(),
        errors: Vec::new(),
        conf_diff: None,
    };
    match side {
        HostSide::Plan(plan) => {
            let state_dir = args
                .state_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(kac_reconciler::journal::DEFAULT_STATE_DIR));
            note_vrrp(&plan);
            match kac_reconciler::live_diff_of_plan(&plan, &state_dir, false) {
                Ok(diff) if diff.conflicts.is_empty() => {
                    h.changes = crate::live_form::changes(&diff.ops);
                    if !h.changes.is_empty() {
                        h.status = HostStatus::Changed;
                    }
                }
                Ok(diff) => {
                    h.status = HostStatus::Failed;
                    h.errors.push(SideErrors {
                        side: Side::From,
                        diagnostics: diff.conflicts.iter().map(conflict).collect(),
                    });
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            }
        }
        HostSide::Failed(diags) => {
            h.status = HostStatus::Failed;
            h.hazards.push(review::compile_failed_hazard(
                ObjectRef {
                    object: ObjectKind::Global,
                    key: h.host.clone(),
                },
                vec![h.host.clone()],
                Side::To,
                &format!("the configuration of host {}", h.host),
            ));
            h.errors.push(SideErrors {
                side: Side::To,
                diagnostics: diags,
            });
        }
        HostSide::Absent => {}
    }
    let shown: Vec<String> = shown
        .into_iter()
        .map(|r| format!("[{} --to] {r}", h.host))
        .collect();
    let from = Revision {
        rev: "live".into(),
        commit: None,
    };
    let diff = review::finish(
        from,
        to_rev,
        vec![SiteDiff {
            site,
            hosts: vec![h],
            hazards: Vec::new(),
            errors: Vec::new(),
        }],
    );
    plan_cmd::print(&diff, args.format, &shown);
    plan_cmd::exit_code(&diff, args)
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// The host `--host`, `-i` or this machine's name selects among the sites found, with its
/// site's key.
fn choose_host<'a>(
    sites: &'a std::collections::BTreeMap<String, FoundSite>,
    args: &Args,
) -> Result<(String, &'a FoundHost), String> {
    let all: Vec<(&String, &FoundHost)> = sites
        .iter()
        .flat_map(|(k, s)| s.hosts.iter().map(move |h| (k, h)))
        .collect();
    let list = || {
        all.iter()
            .map(|(site, h)| match &h.opts.config_id {
                Some(id) => format!("{} (-i {id}, site {site})", h.name),
                None => format!("{} (site {site})", h.name),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let by_name = |n: &str| -> Vec<(&String, &FoundHost)> {
        all.iter().filter(|(_, h)| h.name == n).copied().collect()
    };
    let by_id = |id: &str| -> Vec<(&String, &FoundHost)> {
        all.iter()
            .filter(|(_, h)| h.opts.config_id.as_deref() == Some(id))
            .copied()
            .collect()
    };
    // `what` names the selection: `host `lb1``, `config id `lb1``.
    let one = |found: Vec<(&'a String, &'a FoundHost)>, what: String| match found.as_slice() {
        [(site, h)] => Ok(((*site).clone(), *h)),
        [] => Err(format!("no {what} here; hosts: {}", list())),
        several => Err(format!(
            "{what} is ambiguous: {}; choose a site with `--repo`",
            several
                .iter()
                .map(|(s, h)| format!("{} in site {s}", h.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    };
    if all.is_empty() {
        return Err("no host found (no site manifest and no keepalived.conf here)".into());
    }
    match (&args.host, &args.config_id) {
        (Some(name), None) => one(by_name(name), format!("host `{name}`")),
        (Some(name), Some(id)) => {
            let found = by_name(name)
                .into_iter()
                .filter(|(_, h)| h.opts.config_id.as_deref() == Some(id.as_str()))
                .collect();
            one(found, format!("host `{name}` with config id `{id}`"))
        }
        (None, Some(id)) => one(by_id(id), format!("host with config id `{id}`")),
        (None, None) => {
            let me = crate::machine::default_config_id();
            let named = by_name(&me);
            if !named.is_empty() {
                return one(named, format!("host `{me}`"));
            }
            let with_id = by_id(&me);
            if !with_id.is_empty() {
                return one(with_id, format!("host with config id `{me}`"));
            }
            if let [(site, h)] = all.as_slice() {
                return Ok(((*site).clone(), *h));
            }
            Err(format!(
                "this machine (`{me}`) is no host here, and there are several: choose one with `--host H` or `-i ID`; hosts: {}",
                list()
            ))
        }
    }
}

/// VRRP is not compared: say so, as `kac apply` does.
fn note_vrrp(plan: &Plan) {
    if !plan.vrrp_instances.is_empty() {
        eprintln!(
            "note: {} VRRP instance(s) (VIPs, virtual routes and rules, VMAC links) are not compared: they are the VRRP engine's (`kac daemon`), not `kac apply`'s",
            plan.vrrp_instances.len()
        );
    }
}

/// An object in the way, as a diagnostic of the running host.
fn conflict(c: &Conflict) -> PlanDiagnostic {
    PlanDiagnostic {
        severity: "error".into(),
        code: CONFLICT.into(),
        message: c.reason.clone(),
        file: None,
        line: None,
        column: None,
        help: Some(
            "kac changes only what it owns; remove the object, or take it over with `kac apply --adopt`"
                .into(),
        ),
        rendered: format!("error: {}\n", c.reason),
    }
}
