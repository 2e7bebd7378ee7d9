//! `kac daemon`: the reconciler of one host (kac_reconciler::daemon does the work). This
//! module parses the options, sets up logging, and hands the daemon its compile function:
//! choose the host in a revision's files as `kac apply` does, compile it, refuse what the
//! runtime does not carry out, and render every diagnostic for the logs and `kac status`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use kac_reconciler::daemon::control::DEFAULT_CONTROL;
use kac_reconciler::daemon::source::{SourceOptions, SourceSpec};
use kac_reconciler::daemon::{CompileOutcome, DaemonConfig, HostSelection, Revision};
use kac_schema::status::StatusDiagnostic;
use kac_schema::{Diagnostic, SourceMap};

use crate::host_compile::{self, HostPlan, Report};
use crate::not_carried_out::{self, Runtime};
use crate::render;

/// Log output format.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The options of `kac daemon`.
#[derive(Args, Debug)]
pub struct DaemonArgs {
    /// Where revisions come from: a directory or file (watched), or `git+file:///PATH` (a
    /// git repository, fetched every `--poll` and on SIGHUP).
    #[arg(long)]
    source: String,
    /// git: the branch, tag, `refs/…` name or commit to follow (default: the remote's HEAD).
    #[arg(long = "ref")]
    git_ref: Option<String>,
    /// What to compile inside the source: a site directory, a directory with
    /// `keepalived.conf`, or a file (relative to the source).
    #[arg(long)]
    subdir: Option<PathBuf>,
    /// The host to converge, from the site manifest (as for `kac apply`).
    #[arg(long)]
    host: Option<String>,
    /// Config id for `@id` lines (as for `kac apply`).
    #[arg(short = 'i', long = "config-id")]
    config_id: Option<String>,
    /// git: how often to fetch (`1s`, `30s`, `5m`).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    poll: Duration,
    /// How often everything, IPVS included, is re-checked against the plan (addresses,
    /// routes, rules and links are also re-checked on every rtnetlink notification).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    check_interval: Duration,
    /// How long a real server removed from the configuration is drained (weight 0, then
    /// removed); `0s` removes it at once, as keepalived does. Default: the plan's
    /// `real_server_drain` (30s).
    #[arg(long, value_parser = parse_duration)]
    drain_period: Option<Duration>,
    /// The state directory: ownership journal, lock, last good state, git mirror, snapshots.
    #[arg(long, default_value = kac_reconciler::journal::DEFAULT_STATE_DIR)]
    state_dir: PathBuf,
    /// The control socket (`kac status`, `kac ctl`).
    #[arg(long, default_value = DEFAULT_CONTROL)]
    control: PathBuf,
    /// Serve Prometheus metrics on this loopback address (`127.0.0.1:9469`).
    #[arg(long)]
    metrics: Option<SocketAddr>,
    /// Take over existing objects the plan wants (moving a host from keepalived to kac).
    #[arg(long)]
    adopt: bool,
    /// git: only apply commits signed (SSH signatures) by a key of this file, in git's
    /// allowed-signers format; unsigned and untrusted revisions are refused and reported.
    #[arg(long)]
    allowed_signers: Option<PathBuf>,
    /// git: accept a revision that does not descend from the applied one (a force-push back
    /// in time); refused by default.
    #[arg(long)]
    allow_non_descendant: bool,
    /// Where SNMPv2c traps go when the configuration has `enable_traps` (keepalived leaves
    /// this to snmpd.conf's `trap2sink`; kac sends the traps itself): `ADDRESS:PORT`.
    #[arg(long, default_value = kac_reconciler::daemon::alerts::DEFAULT_TRAP_SINK)]
    trap_sink: SocketAddr,
    /// The SNMPv2c community of the traps.
    #[arg(long, default_value = "public")]
    trap_community: String,
    /// Log format (stderr; the level comes from `KAC_LOG`, default `info`).
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("`{s}`: {e}"))?;
    if d < Duration::from_millis(100) {
        return Err(format!("`{s}` is too short (at least 100ms)"));
    }
    Ok(d)
}

/// Runs the daemon until SIGTERM; exit 1 when it cannot start.
pub fn run(args: DaemonArgs) -> ExitCode {
    init_logging(args.log_format);
    let spec = match SourceSpec::parse(&args.source) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(addr) = &args.metrics
        && let Err(e) = kac_reconciler::daemon::metrics::check_address(addr)
    {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let host_label = args
        .host
        .clone()
        .or_else(|| args.config_id.clone())
        .unwrap_or_else(crate::machine::default_config_id);
    let config = DaemonConfig {
        source: SourceOptions {
            spec,
            location: args.source.clone(),
            git_ref: args.git_ref,
            subdir: args.subdir,
            poll: args.poll,
            debounce: Duration::from_millis(50),
            allowed_signers: args.allowed_signers,
            allow_non_descendant: args.allow_non_descendant,
            state_dir: args.state_dir.clone(),
        },
        selection: HostSelection {
            host: args.host,
            config_id: args.config_id,
        },
        host_label,
        state_dir: args.state_dir,
        control: args.control,
        metrics: args.metrics,
        adopt: args.adopt,
        full_check: args.check_interval,
        drift_delay: Duration::from_millis(20),
        drain_period: args.drain_period,
        traps: kac_reconciler::daemon::alerts::TrapTarget {
            addr: args.trap_sink,
            community: args.trap_community,
        },
    };
    match kac_reconciler::daemon::run(config, Arc::new(compile_in_child)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("KAC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => builder.with_ansi(crate::color_on_stderr()).init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The options of the hidden `kac daemon-compile`: the daemon's compile function, run in a
/// child process.
#[derive(Args, Debug)]
pub struct CompileArgs {
    /// What to compile.
    #[arg(long)]
    entry: PathBuf,
    /// The revision's root (file names are shown relative to it).
    #[arg(long)]
    tree: PathBuf,
    /// `--host` of the daemon.
    #[arg(long)]
    host: Option<String>,
    /// `-i` of the daemon.
    #[arg(long)]
    config_id: Option<String>,
}

/// `kac daemon-compile`: prints the [`CompileOutcome`] as one JSON document.
pub fn compile_command(args: CompileArgs) -> ExitCode {
    let rev = Revision {
        id: String::new(),
        summary: None,
        tree: args.tree,
        entry: args.entry,
    };
    let selection = HostSelection {
        host: args.host,
        config_id: args.config_id,
    };
    let outcome = compile_revision(&rev, &selection);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match serde_json::to_writer(&mut out, &outcome) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// The daemon's compile function: [`compile_revision`] in a child process (`kac
/// daemon-compile`), so that the memory compiling a large configuration takes goes back to
/// the system when it is done (the daemon keeps only the plan) and a crash of the compiler
/// is an error of that revision, not of the daemon.
fn compile_in_child(rev: &Revision, selection: &HostSelection) -> CompileOutcome {
    let failed = |message: String| CompileOutcome {
        plan: None,
        diagnostics: vec![StatusDiagnostic {
            code: "kac::daemon::compiler-failed".into(),
            severity: "error".into(),
            rendered: format!("error: {message}"),
            message,
            ..StatusDiagnostic::default()
        }],
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return failed(format!("cannot find the kac executable: {e}")),
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("daemon-compile")
        .arg("--entry")
        .arg(&rev.entry)
        .arg("--tree")
        .arg(&rev.tree);
    if let Some(h) = &selection.host {
        cmd.arg("--host").arg(h);
    }
    if let Some(i) = &selection.config_id {
        cmd.arg("--config-id").arg(i);
    }
    let mut child = match cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot run the compiler process: {e}")),
    };
    // stderr is read beside stdout, so that neither pipe fills and stalls the child.
    let stderr = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = std::io::Read::read_to_end(&mut e, &mut text);
            text
        })
    });
    // The plan is read from the pipe as it comes: a large plan's JSON text is never held
    // beside the plan it becomes (the daemon's peak memory).
    let parsed = child.stdout.take().map(|out| {
        let mut reader = std::io::BufReader::with_capacity(1 << 16, out);
        let parsed = serde_json::from_reader::<_, CompileOutcome>(&mut reader);
        // Whatever is left (after nonsense) is drained, so that the child can end.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
        parsed
    });
    let status = child.wait();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            return failed(format!(
                "the compiler process failed ({s}): {}",
                String::from_utf8_lossy(&stderr).trim()
            ));
        }
        Err(e) => return failed(format!("cannot run the compiler process: {e}")),
    }
    match parsed {
        Some(Ok(outcome)) => outcome,
        Some(Err(e)) => failed(format!("the compiler process answered nonsense: {e}")),
        None => failed("the compiler process answered nothing".into()),
    }
}

/// Compiles the host's plan in `rev`, or says why there is none.
fn compile_revision(rev: &Revision, selection: &HostSelection) -> CompileOutcome {
    let entry = entry_of(&rev.entry);
    let mut collect = Collect {
        tree: rev.tree.clone(),
        out: Vec::new(),
    };
    let mut got: Option<HostPlan> = None;
    host_compile::compile_with(
        &entry,
        selection.config_id.clone(),
        selection.host.clone(),
        &mut collect,
        &mut |hp| {
            got = Some(hp);
            ExitCode::SUCCESS
        },
    );
    let mut diagnostics = collect.out;
    let Some(hp) = got else {
        return CompileOutcome {
            plan: None,
            diagnostics,
        };
    };
    let refused = not_carried_out::diagnostics(&hp.keywords_used, Runtime::Daemon);
    let mut texts = render::Texts::new(&hp.sources);
    diagnostics.extend(
        refused
            .iter()
            .map(|d| status_diagnostic(d, &mut texts, &rev.tree)),
    );
    let ok = !diagnostics.iter().any(|d| d.severity == "error");
    CompileOutcome {
        plan: ok.then_some(hp.plan),
        diagnostics,
    }
}

/// What to compile for a revision's entry: a directory that is no site is compiled through its
/// `keepalived.conf`.
fn entry_of(entry: &Path) -> PathBuf {
    if entry.is_dir() && matches!(kac_compiler::site::find_manifest(entry), Ok(None)) {
        let conf = entry.join("keepalived.conf");
        if conf.is_file() {
            return conf;
        }
    }
    entry.to_path_buf()
}

/// Collects the problems of choosing and compiling, rendered.
struct Collect {
    tree: PathBuf,
    out: Vec<StatusDiagnostic>,
}

impl Report for Collect {
    fn diagnostics(&mut self, diags: &[Diagnostic], sources: &SourceMap) {
        let mut texts = render::Texts::new(sources);
        for d in diags {
            self.out.push(status_diagnostic(d, &mut texts, &self.tree));
        }
    }

    fn fail(&mut self, code: u8, message: String) -> ExitCode {
        let message = message.replace(&format!("{}/", self.tree.display()), "");
        // The reasons without diagnostics of their own (a host that is not in the site, a
        // file that is missing) become one.
        if !(code == 1 && self.out.iter().any(|d| d.severity == "error")) {
            self.out.push(StatusDiagnostic {
                code: "kac::daemon::no-plan".into(),
                severity: "error".into(),
                rendered: format!("error: {message}"),
                message,
                ..StatusDiagnostic::default()
            });
        }
        ExitCode::from(code)
    }
}

/// A diagnostic as `kac status` shows it, with file names relative to the revision's tree.
fn status_diagnostic(d: &Diagnostic, texts: &mut render::Texts, tree: &Path) -> StatusDiagnostic {
    let prefix = format!("{}/", tree.display());
    let rendered = render::Human::new(false)
        .render(d, texts)
        .replace(&prefix, "");
    let (file, line, column) = match d.primary_span() {
        Some(s) => {
            let (l, c) = texts.line_col(s);
            let name = texts.name(s);
            (
                Some(name.strip_prefix(&prefix).unwrap_or(&name).to_string()),
                Some(l),
                Some(c),
            )
        }
        None => (None, None, None),
    };
    StatusDiagnostic {
        code: d.code.to_string(),
        severity: d.severity.as_str().into(),
        message: d.message.clone(),
        file,
        line,
        column,
        help: d.help.as_deref().map(String::from),
        rendered,
    }
}

/// Severity of the worst diagnostic, for tests of the compile function.
#[cfg(test)]
fn worst(ds: &[StatusDiagnostic]) -> Option<kac_schema::Severity> {
    use kac_schema::Severity;
    ds.iter()
        .map(|d| match d.severity.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            _ => Severity::Advice,
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kac_schema::Severity;

    fn rev(dir: &Path) -> Revision {
        Revision {
            id: "test".into(),
            summary: None,
            tree: dir.to_path_buf(),
            entry: dir.to_path_buf(),
        }
    }

    #[test]
    fn refuses_what_the_runtime_does_not_carry_out_naming_the_keyword_and_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("keepalived.conf"),
            "global_defs {\n  router_id lb1\n  enable_dbus\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  use_ipvlan\n  virtual_ipaddress {\n    10.0.0.5/24\n  }\n}\n",
        )
        .expect("write");
        let out = compile_revision(&rev(dir.path()), &HostSelection::default());
        assert!(out.plan.is_none());
        assert_eq!(worst(&out.diagnostics), Some(Severity::Error));
        let dbus = out
            .diagnostics
            .iter()
            .find(|d| d.message.contains("`enable_dbus`"))
            .expect("enable_dbus refused");
        assert_eq!(
            (dbus.file.as_deref(), dbus.line),
            (Some("keepalived.conf"), Some(3))
        );
        assert!(
            out.diagnostics.iter().any(|d| d
                .message
                .contains("`use_ipvlan` is not carried out by `kac daemon` yet")
                && d.line == Some(9)),
            "{:#?}",
            out.diagnostics
        );
        assert!(!dbus.rendered.contains(&dir.path().display().to_string()));
    }

    #[test]
    fn a_static_configuration_compiles_with_advice_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("keepalived.conf"),
            "global_defs {\n  router_id lb1\n}\nstatic_ipaddress {\n  10.0.0.5/24 dev eth0\n}\n",
        )
        .expect("write");
        let out = compile_revision(&rev(dir.path()), &HostSelection::default());
        assert!(out.plan.is_some(), "{:#?}", out.diagnostics);
        // `router_id` names the host in the daemon's alerts: nothing to say about it.
        assert_eq!(worst(&out.diagnostics), None, "{:#?}", out.diagnostics);
    }
}
