//! `kac`: keepalived-as-code. The one composition root: parses the command line, asks the
//! machine what `check` needs to know, and hands everything to the libraries.

mod apply_cmd;
mod baseline;
mod convert_cmd;
mod daemon_cmd;
mod file_window;
mod findings;
mod fix;
mod fmt_cmd;
mod genhash_cmd;
mod git_source;
mod host_compile;
mod lint;
mod live_form;
mod machine;
mod not_carried_out;
mod plan_cmd;
mod plan_live;
mod plan_render;
mod render;
mod site;
mod status_cmd;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kac_compiler::Options;
use kac_schema::Diagnostic;

/// keepalived-as-code: lint, check and compile keepalived configuration.
#[derive(Parser)]
#[command(name = "kac", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Output format of diagnostics.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum DiagFormat {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum PlanFormat {
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum SchemaKind {
    Plan,
    Site,
    Config,
    Status,
}

#[derive(Subcommand)]
enum Cmd {
    /// keepalived-compatible validity verdict for one keepalived.conf (like `keepalived -t`).
    ///
    /// Exit 0: keepalived would accept it; 1: it would not; 2: unreadable input.
    Check {
        /// The keepalived.conf to check.
        file: PathBuf,
        /// Config id for `@id` lines (default: this machine's host name up to the first dot).
        #[arg(short = 'i', long = "config-id")]
        config_id: Option<String>,
        /// Interfaces to assume instead of this machine's (comma-separated).
        #[arg(long, value_delimiter = ',')]
        interfaces: Option<Vec<String>>,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value = "text")]
        format: DiagFormat,
    },
    /// Print the normalized plan of one host.
    ///
    /// Inside a site (a directory with `kac.kdl`/`kac.yaml`, see docs/site.md) PATH is the
    /// site's directory, its manifest or a host's config, and the host comes from the
    /// manifest: `--host H`, or the host with config id `-i ID`, or the only host. Outside a
    /// site PATH is a keepalived.conf and `-i` selects the `@id` lines.
    /// Exit 0: plan printed; 1: the configuration or manifest has errors; 2: usage error
    /// (unknown host, several hosts and no `--host`).
    Compile {
        /// A keepalived.conf, or a site directory / manifest.
        path: PathBuf,
        /// Config id for `@id` lines (required outside a site when the configuration uses
        /// several; inside a site it selects the host with that config id).
        #[arg(short = 'i', long = "config-id")]
        config_id: Option<String>,
        /// The host to compile, from the site manifest (outside a site: the host name recorded
        /// in the plan; default: the config id, else the file name).
        #[arg(long)]
        host: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: PlanFormat,
    },
    /// Compile every configuration found and run the lint rules.
    ///
    /// A PATH inside a site (the nearest directory, walking up, with a manifest `kac.kdl` or
    /// `kac.yaml`; see docs/site.md) lints exactly the manifest's hosts, each with its config
    /// id, path map and interfaces; findings carry the host name. Outside a site a PATH is a
    /// file or a directory; in a directory every root config (a `*.conf` no other file
    /// includes; hidden files skipped) is linted for each config id it uses, and each
    /// subdirectory with a manifest is a site. The site rules (`kac explain`) then compare
    /// the hosts of each site: a manifest's hosts, or the config ids of one root config.
    /// Exit 1 on any error-level finding (or warning, with --deny-warnings), manifest problems
    /// included.
    Lint {
        /// Files or directories (default: the current directory).
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: DiagFormat,
        /// Warnings also fail.
        #[arg(long)]
        deny_warnings: bool,
        /// Only these rules/codes (comma-separated).
        #[arg(long, value_delimiter = ',')]
        select: Option<Vec<String>>,
        /// Not these rules/codes (comma-separated).
        #[arg(long, value_delimiter = ',')]
        ignore: Option<Vec<String>>,
        /// Lint only this config id (in a site: the hosts with this config id).
        #[arg(short = 'i', long = "config-id")]
        config_id: Option<String>,
        /// Also say which rules did not run for a host, and why (missing manifest data).
        #[arg(short, long)]
        verbose: bool,
        /// Apply the safe fixes of the findings to the files, report what changed, and lint
        /// again (only the fixed bytes change; comments and spacing stay).
        #[arg(long)]
        fix: bool,
        /// With `--fix`: also apply fixes that change behaviour.
        #[arg(long, requires = "fix")]
        unsafe_fixes: bool,
        /// Report only findings this baseline (from `--write-baseline`) does not accept.
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Write the current findings to FILE as a baseline and exit 0.
        #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
        write_baseline: Option<PathBuf>,
        /// Text output: show every finding with its source snippet (by default, past 10
        /// findings of one rule the rest are shown on one line each).
        #[arg(long)]
        all_snippets: bool,
        /// Text output: list every finding (by default, past 100 findings of one rule the
        /// rest are counted and summed up per rule at the end).
        #[arg(long)]
        all_findings: bool,
    },
    /// Show what a change does to each host: the semantic diff of the plans between two
    /// revisions, with hazards (docs/plan.md).
    ///
    /// Every host of the site(s) at or under `--repo` (found as `kac lint` finds them: a site
    /// manifest, else the root configs and their config ids) is compiled at both revisions;
    /// revisions are read from git's object database, nothing is checked out. Objects are
    /// matched by stable keys; hazards (VRID swaps, master changes, two masters, VIP moves,
    /// real servers removed without draining, …) come with their reason. `--conf-diff` adds
    /// a unified diff of each host's canonical keepalived.conf.
    ///
    /// With `--live`, the plan of this host (the working tree's, or `--to`'s) is compared
    /// with the running host instead: the changes `kac apply --dry-run` would make, in plan
    /// form. The host is `--host H`, or the one with config id `-i ID`, else the one named
    /// like this machine (host name up to the first dot; also as a config id), else the only
    /// host; ownership comes from `--state-dir`'s journal.
    ///
    /// Exit codes: 0 no change (or changes without --detailed-exitcode); 1 error: a side does
    /// not compile (its diagnostics are shown), a hazard with --deny-hazards, or with --live
    /// an object in the way or a kernel that cannot be read; 2 usage error (not a git
    /// repository, unknown revision, unknown host); 3 changes present, with
    /// --detailed-exitcode (terraform's 2, moved because 2 is a usage error here). Hazards
    /// alone never change the exit code without --deny-hazards.
    Plan {
        /// A directory in the git repository: the sites at or under it are planned.
        #[arg(long, default_value = ".")]
        repo: PathBuf,
        /// The old revision (default: HEAD).
        #[arg(long, conflicts_with = "live")]
        from: Option<String>,
        /// The new revision (default: the working tree, uncommitted and untracked files
        /// included).
        #[arg(long)]
        to: Option<String>,
        /// Show only this host (the hazards across hosts still see its peers); with --live,
        /// the host to compare with this machine.
        #[arg(long)]
        host: Option<String>,
        /// With --live: the host with this config id.
        #[arg(short = 'i', long = "config-id", requires = "live")]
        config_id: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: plan_cmd::Format,
        /// Exit 3 when anything changes.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Exit 1 when there is any hazard.
        #[arg(long)]
        deny_hazards: bool,
        /// Compare with the running host (its addresses, routes, rules and IPVS services)
        /// instead of --from.
        #[arg(long)]
        live: bool,
        /// With --live: the state directory holding kac's ownership journal (default
        /// /var/lib/kac).
        #[arg(long, requires = "live")]
        state_dir: Option<PathBuf>,
        /// Add a unified diff of each host's canonical keepalived.conf (host conditions
        /// resolved, includes inlined, comments dropped).
        #[arg(long, conflicts_with = "live")]
        conf_diff: bool,
    },
    /// Converge this host's static addresses, routes, rules and IPVS services to the plan.
    ///
    /// PATH and the host are chosen as for `kac compile`. Prints one line per change (`+` add,
    /// `~` change in place, `-` remove; `= adopt` for objects taken over); a second run prints
    /// nothing. kac changes only what it owns (recorded in the state directory's journal);
    /// an existing object the plan wants that kac does not own is an error unless `--adopt`.
    /// A change the kernel rejects is rolled back with everything done before it. What needs
    /// a process that keeps running is the daemon's (`kac daemon`), not apply's, and apply
    /// says so: VRRP (VIPs, virtual routes and rules, VMAC links, notify scripts), health
    /// checkers, quorum, sorry servers and draining (apply sets every real server at its
    /// configured weight), and `lvs_flush_on_stop`. Exit 0: converged (or, with --dry-run,
    /// the changes printed); 1: the plan has
    /// errors, an object is in the way, the kernel rejected a change, or the state directory
    /// is locked; 2: usage error.
    Apply {
        /// A keepalived.conf, or a site directory / manifest.
        path: PathBuf,
        /// Config id for `@id` lines (as for `kac compile`).
        #[arg(short = 'i', long = "config-id")]
        config_id: Option<String>,
        /// The host to apply, from the site manifest.
        #[arg(long)]
        host: Option<String>,
        /// Print the changes without making them (takes no lock, writes nothing).
        #[arg(long)]
        dry_run: bool,
        /// The state directory (ownership journal and lock).
        #[arg(long, default_value = kac_reconciler::journal::DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
        /// Take over existing objects the plan wants (moving a host from keepalived to kac).
        #[arg(long)]
        adopt: bool,
    },
    /// The reconciler: converge this host to each new revision of a source, keep it there.
    ///
    /// Revisions come from a directory or file (watched) or a git repository (fetched every
    /// `--poll` and on SIGHUP). Each is compiled for the host (chosen as for `kac apply`),
    /// diffed against the kernel and applied; a revision that does not compile, uses what kac
    /// does not carry out, or fails to apply leaves the last good state applied and is
    /// reported (`kac status`). Owned objects changed by hand are put back. SIGTERM stops it
    /// (static state stays). See docs/daemon.md. Exit 1: it could not start (state directory
    /// locked, control socket in use, source unreadable); 2: usage error.
    Daemon(daemon_cmd::DaemonArgs),
    /// The daemon's compiler process (internal).
    #[command(hide = true)]
    DaemonCompile(daemon_cmd::CompileArgs),
    /// The daemon's state: revisions applied and seen, last error, owned objects, last ops.
    ///
    /// Exit 0: the daemon answered; 1: it cannot be reached.
    Status(status_cmd::StatusArgs),
    /// Control the daemon: suspend, resume, sync, pin, unpin, observe on|off.
    ///
    /// Exit 0: done; 1: refused, or the daemon cannot be reached.
    Ctl(status_cmd::CtlArgs),
    /// Show a lint rule's documentation.
    Explain {
        /// Rule name.
        rule: String,
    },
    /// Convert a configuration to keepalived.conf, KDL or YAML (docs/formats.md).
    ///
    /// Converts the configuration as written, for every host: `@id` lines, definitions,
    /// sequences, includes and comments are kept. Include lines stay as they are (formats
    /// may include each other) unless `--recursive` converts the included files too, placing
    /// them beside OUT as they are beside FILE. Exit 0: converted; 1: something cannot be
    /// carried over (reported, nothing written); 2: usage error or unreadable input.
    Convert {
        /// The configuration file (its format by extension: `.kdl`, `.yaml`/`.yml`, else
        /// keepalived.conf).
        file: PathBuf,
        /// The format to convert to.
        #[arg(long, value_parser = convert_cmd::parse_format)]
        to: kac_compiler::doc::Format,
        /// Write here instead of to stdout.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// Convert the included files too (requires `-o`).
        #[arg(short = 'r', long)]
        recursive: bool,
    },
    /// Rewrite configuration files in their canonical form (idempotent).
    ///
    /// A PATH is a file or a directory (its `*.conf` files and KDL/YAML configurations,
    /// not site manifests). Exit 0: done (or nothing to change); 1: with `--check`, a file
    /// would change (each is named), or a file cannot be read or formatted; 2: usage error.
    Fmt {
        /// Files or directories (default: the current directory).
        paths: Vec<PathBuf>,
        /// Only report the files that would change.
        #[arg(long)]
        check: bool,
    },
    /// Print the digest an HTTP_GET/SSL_GET `url { digest … }` expects for URL.
    ///
    /// The URL is fetched as the checker fetches it (keepalived's request, the MD5 of the
    /// body up to Content-Length). Exit 0: the digest is on stdout; 1: the fetch failed; 2:
    /// bad arguments.
    Genhash(genhash_cmd::GenhashArgs),
    /// Print a JSON Schema.
    Schema {
        /// Which schema.
        #[arg(value_enum)]
        kind: SchemaKind,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Check {
            file,
            config_id,
            interfaces,
            format,
        } => check(&file, config_id, interfaces, format),
        Cmd::Compile {
            path,
            config_id,
            host,
            format,
        } => compile(&path, config_id, host, format),
        Cmd::Apply {
            path,
            config_id,
            host,
            dry_run,
            state_dir,
            adopt,
        } => {
            let opts = apply_cmd::ApplyArgs {
                dry_run,
                state_dir,
                adopt,
            };
            compile_with(&path, config_id, host, &mut |hp| apply_cmd::run(&hp, &opts))
        }
        Cmd::Lint {
            paths,
            format,
            deny_warnings,
            select,
            ignore,
            config_id,
            verbose,
            fix,
            unsafe_fixes,
            baseline,
            write_baseline,
            all_snippets,
            all_findings,
        } => lint::run(&lint::Args {
            paths,
            format,
            deny_warnings,
            select,
            ignore,
            config_id,
            verbose,
            fix,
            unsafe_fixes,
            baseline,
            write_baseline,
            all_snippets,
            all_findings,
        }),
        Cmd::Convert {
            file,
            to,
            output,
            recursive,
        } => convert_cmd::run(&file, to, output.as_deref(), recursive),
        Cmd::Fmt { paths, check } => fmt_cmd::run(paths, check),
        Cmd::Plan {
            repo,
            from,
            to,
            host,
            config_id,
            format,
            detailed_exitcode,
            deny_hazards,
            live,
            state_dir,
            conf_diff,
        } => plan_cmd::run(&plan_cmd::Args {
            repo,
            from,
            to,
            host,
            config_id,
            format,
            detailed_exitcode,
            deny_hazards,
            live,
            state_dir,
            conf_diff,
        }),
        Cmd::Daemon(args) => daemon_cmd::run(args),
        Cmd::DaemonCompile(args) => daemon_cmd::compile_command(args),
        Cmd::Status(args) => status_cmd::status(&args),
        Cmd::Ctl(args) => status_cmd::ctl(&args),
        Cmd::Explain { rule } => match kac_lint_rules::explain(&rule) {
            Some((name, _, doc)) => {
                out(&format!("# {name}\n\n{doc}"));
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: no lint rule named `{rule}`");
                let names = kac_lint_rules::all_names();
                eprintln!("rules: {}", names.join(", "));
                ExitCode::from(2)
            }
        },
        Cmd::Genhash(args) => genhash_cmd::run(&args),
        Cmd::Schema { kind } => match kind {
            SchemaKind::Plan => {
                out(&kac_schema::plan_schema_json());
                ExitCode::SUCCESS
            }
            SchemaKind::Site => {
                out(&kac_schema::site::manifest_schema_json());
                ExitCode::SUCCESS
            }
            SchemaKind::Config => {
                out(&kac_schema::config_schema_json());
                ExitCode::SUCCESS
            }
            SchemaKind::Status => {
                out(&kac_schema::status_schema_json());
                ExitCode::SUCCESS
            }
        },
    }
}

/// Writes a result to stdout; a closed pipe (`kac compile | head`) is not an error.
fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{s}");
}

pub(crate) fn color_on_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn color_on_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Prints diagnostics to stderr (text) or stdout (machine formats).
pub(crate) fn emit(
    findings: &[(Option<String>, Diagnostic)],
    sources: &kac_schema::SourceMap,
    format: DiagFormat,
) {
    let mut rep = findings::Reporter::new(format, None, render::Texts::new(sources));
    for (host, d) in findings {
        rep.finding(host.as_deref(), d);
    }
    rep.finish();
}

fn unreadable(path: &Path) -> Option<ExitCode> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(_) => {
            eprintln!("error: `{}` is not a file", path.display());
            Some(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", path.display());
            Some(ExitCode::from(2))
        }
    }
}

fn check(
    file: &Path,
    config_id: Option<String>,
    interfaces: Option<Vec<String>>,
    format: DiagFormat,
) -> ExitCode {
    if let Some(code) = unreadable(file) {
        return code;
    }
    let opts = Options {
        config_id: Some(config_id.unwrap_or_else(machine::default_config_id)),
        vrfs: Some(if interfaces.is_some() {
            Vec::new()
        } else {
            machine::vrfs()
        }),
        interfaces: Some(interfaces.unwrap_or_else(machine::interfaces)),
        default_script_user_exists: Some(machine::user_exists("keepalived_script")),
        script_exists: Some(machine::executable_exists),
        script_insecure: Some(machine::script_insecure),
        drop_virtual_servers: true,
        ..Options::default()
    };
    let parsed = kac_compiler::parse_conf(file, &file.to_string_lossy(), &opts);
    let findings: Vec<(Option<String>, Diagnostic)> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.fails_check())
        .cloned()
        .map(|d| (None, d))
        .collect();
    emit(&findings, &parsed.sources, format);
    if parsed.fails_check() {
        if format == DiagFormat::Text {
            eprintln!(
                "{}: keepalived would reject this configuration ({} problem(s))",
                file.display(),
                findings.len()
            );
        }
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn compile(
    path: &Path,
    config_id: Option<String>,
    host: Option<String>,
    _format: PlanFormat,
) -> ExitCode {
    compile_with(path, config_id, host, &mut |hp| print_plan(hp.plan))
}

/// Compiles the plan of one host (see `host_compile`), problems on stderr.
fn compile_with(
    path: &Path,
    config_id: Option<String>,
    host: Option<String>,
    sink: host_compile::PlanSink<'_>,
) -> ExitCode {
    host_compile::compile_with(path, config_id, host, &mut host_compile::Stderr, sink)
}

/// Prints a plan as JSON.
fn print_plan(plan: kac_schema::plan::Plan) -> ExitCode {
    match serde_json::to_string_pretty(&plan) {
        Ok(s) => {
            out(&s);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot serialize the plan: {e}");
            ExitCode::from(1)
        }
    }
}
