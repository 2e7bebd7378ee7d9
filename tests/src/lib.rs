//! Test support for kac-tests.
//!
//! * [`workspace_root`], [`fixtures_dir`]: where things are.
//! * [`kac_bin`]: the `kac` binary under test (tests in this package cannot use
//!   `CARGO_BIN_EXE_kac`, because the binary belongs to another package).
//! * [`check_cases`]: the `fixtures/check/` cases, with keepalived's recorded verdicts.
//! * [`run_with_timeout`]: run a command, capture its output, kill it when it hangs.
//! * [`privileges`] and [`OracleNamespace`]: run the real `keepalived -t` in a throw-away network
//!   namespace, exactly like `tests/oracle/record.sh` does (the apply suite reuses it).
//! * [`vm`]: boot the QEMU guest with IPVS (`tests/vm/run-vm.sh`) and split its console into
//!   named steps.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

/// The workspace root (the parent of this package's directory).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `fixtures/check/` in the workspace.
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("fixtures").join("check")
}

/// The cargo target directory: `CARGO_TARGET_DIR` (or `CARGO_BUILD_TARGET_DIR`) when set, a relative
/// value taken relative to the workspace root; otherwise `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    let root = workspace_root();
    for var in ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"] {
        if let Some(dir) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            let dir = PathBuf::from(dir);
            return if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            };
        }
    }
    root.join("target")
}

/// The path of the `kac` binary to test, built on demand.
///
/// * `KAC_BIN=/path/to/kac` in the environment: that binary is used as is (e.g. a release build).
/// * Otherwise `<target>/debug/kac` (see [`target_dir`]). If it is missing, or older than any file
///   of the packages it is built from (`Cargo.toml`, `Cargo.lock`, `src/`, `schema/`,
///   `compiler/`, `lint-rules/`, `reconciler/`), `cargo build -p kac --bin kac` is run once per test
///   process (guarded by a [`OnceLock`], so parallel tests share one build).
///
/// # Panics
/// When the build fails or the binary is still missing afterwards: a test without its binary
/// cannot say anything useful.
pub fn kac_bin() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(find_or_build_kac) {
        Ok(path) => path.clone(),
        Err(msg) => panic!("{msg}"),
    }
}

fn find_or_build_kac() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("KAC_BIN").filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("KAC_BIN={} is not a file", bin.display()))
        };
    }
    let bin = target_dir()
        .join("debug")
        .join(format!("kac{}", std::env::consts::EXE_SUFFIX));
    let built_at = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
    let root = workspace_root();
    let sources = [
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "schema",
        "compiler",
        "lint-rules",
        "reconciler",
    ];
    let newest_source = sources
        .iter()
        .filter_map(|s| newest_mtime(&root.join(s)))
        .max();
    let fresh = match (built_at, newest_source) {
        (Some(built), Some(source)) => built >= source,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if fresh {
        return Ok(bin);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    eprintln!("kac-tests: building kac (`cargo build -p kac --bin kac`) ...");
    let status = Command::new(&cargo)
        .args(["build", "-p", "kac", "--bin", "kac"])
        .arg("--target-dir")
        .arg(target_dir())
        .current_dir(&root)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", cargo.to_string_lossy()))?;
    if !status.success() {
        return Err(format!("`cargo build -p kac --bin kac` failed ({status})"));
    }
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "`cargo build -p kac --bin kac` did not produce {}",
            bin.display()
        ))
    }
}

/// The newest modification time of a file, or of any file below a directory (skipping `target`
/// and hidden directories).
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    let mut newest = None;
    for entry in std::fs::read_dir(path).ok()?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "target" || name.starts_with('.') {
            continue;
        }
        newest = newest.max(newest_mtime(&entry.path()));
    }
    newest
}

/// What `keepalived -t` did with a case: its exit status and its stderr, line by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeepalivedRecord {
    /// Exit status (128 + N when killed by signal N, as a shell reports it).
    pub exit: i32,
    /// stderr lines, without line terminators.
    pub stderr: Vec<String>,
}

impl KeepalivedRecord {
    /// keepalived "accepts" a configuration iff it exits 0 and prints nothing on stderr.
    pub fn accepts(&self) -> bool {
        self.exit == 0 && self.stderr.is_empty()
    }
}

/// The contents of a case's `case.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseFile {
    /// One line: what the case tests.
    pub description: String,
    /// The config id passed with `-i`.
    pub config_id: String,
    /// keepalived's recorded behaviour (`null` until `tests/oracle/record.sh` ran).
    pub keepalived: Option<KeepalivedRecord>,
    /// `null`, or why kac deliberately disagrees with keepalived's verdict.
    pub kac_differs: Option<String>,
}

/// One directory of `fixtures/check/`.
#[derive(Debug, Clone)]
pub struct CheckCase {
    /// The directory name, e.g. `err-vrid-out-of-range`.
    pub name: String,
    /// The case directory (the cwd for keepalived and kac).
    pub dir: PathBuf,
    /// The parsed `case.json`.
    pub case: CaseFile,
}

impl CheckCase {
    /// The entry file, `keepalived.conf`.
    pub fn conf(&self) -> PathBuf {
        self.dir.join("keepalived.conf")
    }
}

/// Every case directory under `fixtures/check/` (sorted by name). A directory without a
/// `case.json`, or with one that does not parse, is an error naming it.
pub fn check_cases() -> Result<Vec<CheckCase>, String> {
    let dir = fixtures_dir();
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let json = path.join("case.json");
        match std::fs::read_to_string(&json) {
            Err(e) => errors.push(format!("{name}: cannot read case.json: {e}")),
            Ok(text) => match serde_json::from_str::<CaseFile>(&text) {
                Ok(case) => cases.push(CheckCase {
                    name,
                    dir: path,
                    case,
                }),
                Err(e) => errors.push(format!("{name}: bad case.json: {e}")),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cases)
}

/// The captured result of [`run_with_timeout`].
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The exit status.
    pub status: ExitStatus,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
    /// True when the process was killed because it ran out of time.
    pub timed_out: bool,
}

impl RunOutput {
    /// The exit code as a shell reports it: the code, or 128 + N when killed by signal N.
    pub fn shell_code(&self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        match (self.status.code(), self.status.signal()) {
            (Some(code), _) => code,
            (None, Some(sig)) => 128 + sig,
            (None, None) => -1,
        }
    }

    /// stderr split into lines (no terminators).
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lines().map(str::to_owned).collect()
    }
}

/// Run `cmd` with stdin closed and stdout/stderr captured; kill it after `limit`.
pub fn run_with_timeout(cmd: &mut Command, limit: Duration) -> std::io::Result<RunOutput> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok(RunOutput {
        status,
        stdout,
        stderr,
        timed_out,
    })
}

/// Whether the privileged (root, network namespace, real keepalived) tests can run here.
pub mod privileges {
    use std::io::Write;
    use std::path::PathBuf;

    /// The effective uid is 0 (read from `/proc/self/status`).
    pub fn is_root() -> bool {
        let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
            return false;
        };
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
            .unwrap_or(false)
    }

    /// Find an executable in `PATH`, then in the sbin directories (root's tools live there and
    /// `PATH` under cargo may lack them).
    pub fn find_program(name: &str) -> Option<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    }

    /// Why the privileged tests must be skipped here, or `None` when they can run: needs root,
    /// `ip` and `keepalived`.
    pub fn skip_reason() -> Option<String> {
        if !is_root() {
            return Some("not running as root (needs ip netns)".to_owned());
        }
        if find_program("ip").is_none() {
            return Some("`ip` (iproute2) not found".to_owned());
        }
        if find_program("keepalived").is_none() {
            return Some("`keepalived` not found".to_owned());
        }
        None
    }

    /// Handle a skip: print `skipped: <reason>`, or panic when `KAC_REQUIRE_PRIVILEGED=1` says
    /// that skipping is not allowed (CI runners that are supposed to have root).
    pub fn skip(test: &str, reason: &str) {
        if std::env::var("KAC_REQUIRE_PRIVILEGED").is_ok_and(|v| v == "1") {
            panic!("{test}: cannot run ({reason}) but KAC_REQUIRE_PRIVILEGED=1");
        }
        // Written to the real stderr (not through `eprintln!`, which the test harness captures),
        // so the skip shows up in an ordinary `cargo test` run.
        let _ = writeln!(std::io::stderr(), "{test}: skipped: {reason}");
    }
}

/// A throw-away network namespace in which `eth0`..`eth3` (veth pairs, peers `ethN-peer`, both
/// ends inside the namespace) and `lo` exist and are up — the same setup as
/// `tests/oracle/record.sh`. The namespace is deleted on drop, also when a test panics.
/// Nothing in the host namespace is touched.
#[derive(Debug)]
pub struct OracleNamespace {
    name: String,
    ip: PathBuf,
}

impl OracleNamespace {
    /// The interfaces that exist inside the namespace and that fixtures may use.
    pub const INTERFACES: [&'static str; 5] = ["eth0", "eth1", "eth2", "eth3", "lo"];

    /// Create the namespace (`kac-oracle-<pid>-<n>`) and its interfaces. Needs root.
    pub fn create() -> Result<Self, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let ip = privileges::find_program("ip").ok_or("`ip` not found")?;
        let name = format!(
            "kac-oracle-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let ip_cmd = ip.clone();
        let run = |args: &[&str]| -> Result<(), String> {
            let out = Command::new(&ip_cmd)
                .args(args)
                .output()
                .map_err(|e| format!("cannot run ip: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "`ip {}` failed: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        run(&["netns", "add", &name])?;
        // From here on the guard owns the namespace: an error below still deletes it.
        let ns = Self { name, ip };
        let n = ns.name.as_str();
        run(&["-n", n, "link", "set", "lo", "up"])?;
        for i in 0..4 {
            let (dev, peer) = (format!("eth{i}"), format!("eth{i}-peer"));
            run(&[
                "-n", n, "link", "add", &dev, "type", "veth", "peer", "name", &peer,
            ])?;
            run(&["-n", n, "link", "set", &dev, "up"])?;
            run(&["-n", n, "link", "set", &peer, "up"])?;
        }
        Ok(ns)
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that runs `program args…` inside the namespace (`ip netns exec NAME …`).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(&self.ip);
        cmd.args(["netns", "exec", &self.name]).arg(program);
        cmd
    }

    /// Run `keepalived -t -f keepalived.conf -i ID` in the namespace with the case directory as
    /// cwd, like `tests/oracle/record.sh`.
    pub fn keepalived_check(&self, case: &CheckCase) -> Result<KeepalivedRecord, String> {
        let keepalived = privileges::find_program("keepalived").ok_or("`keepalived` not found")?;
        let mut cmd = self.command(keepalived);
        cmd.args(["-t", "-f", "keepalived.conf", "-i", &case.case.config_id])
            .current_dir(&case.dir);
        let out = run_with_timeout(&mut cmd, Duration::from_secs(60))
            .map_err(|e| format!("cannot run keepalived: {e}"))?;
        if out.timed_out {
            return Err("keepalived -t did not finish within 60 s".to_owned());
        }
        Ok(KeepalivedRecord {
            exit: out.shell_code(),
            stderr: out.stderr_lines(),
        })
    }
}

impl Drop for OracleNamespace {
    fn drop(&mut self) {
        let deleted = Command::new(&self.ip)
            .args(["netns", "del", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !deleted.is_ok_and(|s| s.success()) {
            eprintln!("warning: could not delete network namespace {}", self.name);
        }
    }
}

/// The QEMU guest with IPVS (`tests/vm/run-vm.sh`): Debian's kernel, busybox, ipvsadm, the
/// `kac` under test. A test hands it a directory of files and a script of named steps; one boot
/// runs them all (a boot costs seconds under software emulation).
pub mod vm {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::time::Duration;

    use super::{privileges, run_with_timeout, workspace_root};

    /// Why the VM suite cannot run here, or `None`.
    pub fn skip_reason() -> Option<String> {
        if !privileges::is_root() {
            return Some("not running as root (QEMU guest with IPVS)".into());
        }
        for p in [
            "qemu-system-x86_64",
            "busybox",
            "ipvsadm",
            "cpio",
            "depmod",
            "modprobe",
            "objcopy",
            "ip",
            "keepalived",
        ] {
            if privileges::find_program(p).is_none() {
                return Some(format!("`{p}` not found"));
            }
        }
        let modroot = std::env::var("KAC_VM_MODROOT").unwrap_or_else(|_| "/".into());
        let has_kernel = std::fs::read_dir(Path::new(&modroot).join("boot"))
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("vmlinuz-"))
            })
            .unwrap_or(false);
        if !has_kernel {
            return Some(format!(
                "no kernel in {modroot}/boot (install linux-image-amd64 or set KAC_VM_MODROOT)"
            ));
        }
        None
    }

    /// The harness script.
    pub fn harness() -> PathBuf {
        workspace_root().join("tests/vm/run-vm.sh")
    }

    /// What one step printed.
    #[derive(Debug, Clone, Default)]
    pub struct Step {
        /// Exit status.
        pub rc: i32,
        /// Standard output.
        pub stdout: String,
        /// Standard error.
        pub stderr: String,
    }

    /// A finished guest run.
    #[derive(Debug)]
    pub struct Run {
        /// The whole console.
        pub console: String,
        /// The steps by name.
        pub steps: BTreeMap<String, Step>,
    }

    impl Run {
        /// A step's output (panics, with the console, when the step did not run).
        pub fn step(&self, name: &str) -> &Step {
            self.steps
                .get(name)
                .unwrap_or_else(|| panic!("step `{name}` did not run; console:\n{}", self.console))
        }
    }

    /// The shell prelude of every guest script: `step NAME CMD…` runs CMD and prints its exit
    /// status, stdout and stderr between markers.
    pub const PRELUDE: &str = r#"
step() {
  name=$1; shift
  "$@" >/tmp/step.out 2>/tmp/step.err
  rc=$?
  echo "==KAC-STEP $name rc=$rc"
  cat /tmp/step.out
  echo "==KAC-STDERR $name"
  cat /tmp/step.err
  echo "==KAC-END $name"
}
"#;

    /// Splits a console into steps.
    pub fn parse_steps(console: &str) -> BTreeMap<String, Step> {
        let mut steps = BTreeMap::new();
        let mut current: Option<(String, Step, bool)> = None;
        for line in console.lines() {
            if let Some(rest) = line.strip_prefix("==KAC-STEP ") {
                let (name, rc) = rest.rsplit_once(" rc=").unwrap_or((rest, "-1"));
                let step = Step {
                    rc: rc.trim().parse().unwrap_or(-1),
                    ..Step::default()
                };
                current = Some((name.to_string(), step, false));
            } else if line.starts_with("==KAC-STDERR ") {
                if let Some(c) = current.as_mut() {
                    c.2 = true;
                }
            } else if line.starts_with("==KAC-END ") {
                if let Some((name, step, _)) = current.take() {
                    steps.insert(name, step);
                }
            } else if let Some((_, step, in_err)) = current.as_mut() {
                let s = if *in_err {
                    &mut step.stderr
                } else {
                    &mut step.stdout
                };
                s.push_str(line);
                s.push('\n');
            }
        }
        steps
    }

    /// What a guest carries besides busybox, ipvsadm, kac and the IPVS modules.
    #[derive(Debug, Clone, Default)]
    pub struct Extras<'a> {
        /// Host programs copied to `/usr/local/bin` with their libraries (busybox's shell runs
        /// its own applet of the same name first: call them by path, `/usr/local/bin/ip`).
        pub programs: &'a [&'a str],
        /// Kernel modules loaded at boot.
        pub modules: &'a [&'a str],
    }

    /// Boots the guest with `files` at `/files` (the working directory) and runs `script`
    /// (after [`PRELUDE`]) with the `kac` binary `kac`.
    pub fn run(kac: &Path, files: &Path, script: &str, limit: Duration) -> Result<Run, String> {
        run_with(kac, files, script, limit, &Extras::default())
    }

    /// [`run`], with more programs and modules in the guest.
    pub fn run_with(
        kac: &Path,
        files: &Path,
        script: &str,
        limit: Duration,
        extras: &Extras<'_>,
    ) -> Result<Run, String> {
        let dir = tempfile_dir()?;
        let script_path = dir.join("test.sh");
        std::fs::write(&script_path, format!("{PRELUDE}\n{script}"))
            .map_err(|e| format!("cannot write the guest script: {e}"))?;
        let mut cmd = Command::new("bash");
        cmd.arg(harness())
            .arg("--kac")
            .arg(kac)
            .arg("--files")
            .arg(files)
            .arg("--script")
            .arg(&script_path);
        for p in extras.programs {
            cmd.arg("--bin").arg(p);
        }
        for m in extras.modules {
            cmd.arg("--module").arg(m);
        }
        let out = run_with_timeout(&mut cmd, limit).map_err(|e| format!("cannot run: {e}"))?;
        let _ = std::fs::remove_dir_all(&dir);
        if out.timed_out {
            return Err(format!("the guest did not finish in time:\n{}", out.stdout));
        }
        if !out.stdout.contains("KAC-VM-RESULT") {
            return Err(format!(
                "the guest did not finish:\nstdout:\n{}\nstderr:\n{}",
                out.stdout, out.stderr
            ));
        }
        Ok(Run {
            steps: parse_steps(&out.stdout),
            console: out.stdout,
        })
    }

    fn tempfile_dir() -> Result<PathBuf, String> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let d = std::env::temp_dir().join(format!(
            "kac-vm-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        Ok(d)
    }
}

/// Git repositories made by tests (`kac plan`): a fixed identity and date and no user or system
/// configuration, so commit ids are stable.
pub mod git {
    use std::path::Path;
    use std::process::Command;

    /// Runs `git ARGS…` in `dir`.
    ///
    /// # Panics
    /// When git fails: the test cannot go on without its repository.
    pub fn run(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "kac test")
            .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
            .env("GIT_COMMITTER_NAME", "kac test")
            .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Commits everything in the working tree of `repo` (`git add -A`).
    pub fn commit(repo: &Path, msg: &str) {
        run(repo, &["add", "-A"]);
        run(repo, &["commit", "-q", "--allow-empty", "-m", msg]);
    }

    /// A new repository (branch `main`) in `dir`.
    pub fn init(dir: &Path) {
        run(dir, &["init", "-q", "-b", "main"]);
    }
}

/// `kac daemon` under test: a process in a test's network namespace, git repositories made by
/// the test, and the daemon's status read back through `kac status --format json`.
pub mod daemon {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::Value;

    use super::{OracleNamespace, kac_bin, privileges, run_with_timeout};

    /// How long a test waits for the daemon to show something.
    pub const WAIT: Duration = Duration::from_secs(15);

    /// Replaces `path` (a file in a daemon's source directory) at once. The temporary file is
    /// written beside the source directory: a file in it would be read as part of a revision.
    pub fn write_atomically(path: &Path, text: &str) {
        let outside = path
            .parent()
            .and_then(Path::parent)
            .expect("a source directory");
        let tmp = outside.join("next-revision.tmp");
        std::fs::write(&tmp, text).expect("write");
        std::fs::rename(&tmp, path).expect("rename");
    }

    /// A running `kac daemon`, killed (SIGKILL) on drop if still running.
    #[derive(Debug)]
    pub struct Daemon {
        child: Option<Child>,
        /// The control socket.
        pub control: PathBuf,
        /// The file stderr (the log) goes to.
        pub log: PathBuf,
    }

    impl Daemon {
        /// Starts `kac daemon ARGS… --control <dir>/kac.sock` in `ns`, logging to
        /// `<dir>/daemon-N.log`.
        pub fn start(ns: &OracleNamespace, dir: &Path, args: &[&str]) -> Daemon {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            std::fs::create_dir_all(dir).expect("daemon dir");
            let control = dir.join("kac.sock");
            let log = dir.join(format!("daemon-{}.log", N.fetch_add(1, Ordering::Relaxed)));
            let file = std::fs::File::create(&log).expect("log file");
            let mut cmd = ns.command(kac_bin());
            cmd.arg("daemon")
                .args(args)
                .arg("--control")
                .arg(&control)
                .env("KAC_LOG", "info")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(file);
            let child = cmd.spawn().expect("start kac daemon");
            Daemon {
                child: Some(child),
                control,
                log,
            }
        }

        /// The log so far.
        pub fn log_text(&self) -> String {
            std::fs::read_to_string(&self.log).unwrap_or_default()
        }

        /// `kac status --format json`, or `None` while the daemon does not answer.
        pub fn status(&self) -> Option<Value> {
            let mut cmd = Command::new(kac_bin());
            cmd.args(["status", "--format", "json", "--control"])
                .arg(&self.control);
            let out = run_with_timeout(&mut cmd, Duration::from_secs(30)).ok()?;
            if out.shell_code() != 0 {
                return None;
            }
            serde_json::from_str(&out.stdout).ok()
        }

        /// `kac status` (text).
        pub fn status_text(&self) -> String {
            let mut cmd = Command::new(kac_bin());
            cmd.args(["status", "--control"]).arg(&self.control);
            run_with_timeout(&mut cmd, Duration::from_secs(30))
                .map(|o| o.stdout)
                .unwrap_or_default()
        }

        /// `kac ctl ARGS…`: exit code and stderr.
        pub fn ctl(&self, args: &[&str]) -> (i32, String) {
            let mut cmd = Command::new(kac_bin());
            cmd.arg("ctl")
                .arg("--control")
                .arg(&self.control)
                .args(args);
            let out = run_with_timeout(&mut cmd, Duration::from_secs(30)).expect("kac ctl");
            (out.shell_code(), out.stderr)
        }

        /// Waits until `what` holds for the status (`WAIT` at most); panics with the last status
        /// and the log otherwise. Returns that status.
        pub fn wait_status(&self, desc: &str, what: impl Fn(&Value) -> bool) -> Value {
            let deadline = Instant::now() + WAIT;
            let mut last = None;
            loop {
                if let Some(s) = self.status() {
                    if what(&s) {
                        return s;
                    }
                    last = Some(s);
                }
                if Instant::now() > deadline {
                    panic!(
                        "timed out waiting for: {desc}\nlast status: {}\nlog:\n{}",
                        last.map(|s| serde_json::to_string_pretty(&s).unwrap_or_default())
                            .unwrap_or_else(|| "none".into()),
                        self.log_text()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }

        /// Waits until the daemon answers.
        pub fn wait_up(&self) -> Value {
            self.wait_status("the daemon answers", |_| true)
        }

        /// The process id.
        pub fn pid(&self) -> u32 {
            self.child.as_ref().map_or(0, Child::id)
        }

        /// Sends `signal` (`-TERM`, `-HUP`, `-KILL`).
        pub fn signal(&self, signal: &str) {
            let status = Command::new("kill")
                .arg(signal)
                .arg(self.pid().to_string())
                .status();
            assert!(status.is_ok_and(|s| s.success()), "kill {signal}");
        }

        /// Waits for the process to end (`WAIT` at most) and returns its exit code (128 + N for
        /// signal N).
        pub fn wait_exit(&mut self) -> i32 {
            use std::os::unix::process::ExitStatusExt;
            let mut child = self.child.take().expect("running");
            let deadline = Instant::now() + WAIT;
            loop {
                if let Ok(Some(st)) = child.try_wait() {
                    return st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0));
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("the daemon did not exit; log:\n{}", self.log_text());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        /// SIGKILL, as a crash would.
        pub fn kill9(&mut self) {
            self.signal("-KILL");
            self.wait_exit();
        }
    }

    impl Drop for Daemon {
        fn drop(&mut self) {
            if let Some(mut c) = self.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    /// A git repository made by a test (no global or system git configuration is read).
    #[derive(Debug)]
    pub struct Repo {
        /// Its working directory.
        pub dir: PathBuf,
    }

    impl Repo {
        /// `git init -b main` in `dir`.
        pub fn init(dir: &Path) -> Repo {
            std::fs::create_dir_all(dir).expect("repo dir");
            let r = Repo {
                dir: dir.to_path_buf(),
            };
            r.git(&["init", "-q", "-b", "main"]);
            r
        }

        /// `git ARGS…` in the repository; panics when it fails. Returns stdout.
        pub fn git(&self, args: &[&str]) -> String {
            let git = privileges::find_program("git").expect("git");
            let out = Command::new(git)
                .args([
                    "-c",
                    "user.name=kac test",
                    "-c",
                    "user.email=test@kac.invalid",
                ])
                .args(args)
                .current_dir(&self.dir)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .expect("git runs");
            assert!(
                out.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        }

        /// Writes `files` (path, content) and commits them with `extra` options (`-S`…);
        /// returns the commit id.
        pub fn commit(&self, files: &[(&str, &str)], message: &str, extra: &[&str]) -> String {
            for (path, content) in files {
                let p = self.dir.join(path);
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent).expect("mkdir");
                }
                std::fs::write(&p, content).expect("write");
            }
            self.git(&["add", "-A"]);
            let mut args = extra.to_vec();
            args.extend(["commit", "-q", "-m", message]);
            self.git(&args);
            self.git(&["rev-parse", "HEAD"])
        }

        /// The `git+file://` URL of the repository.
        pub fn url(&self) -> String {
            format!("git+file://{}", self.dir.display())
        }
    }

    /// The IPv4 addresses of `dev` in `ns`, as `ip -o -4 addr` prints them (`10.0.0.5/24`).
    pub fn addresses(ns: &OracleNamespace, dev: &str) -> Vec<String> {
        let mut cmd = ns.command("ip");
        cmd.args(["-o", "-4", "addr", "show", "dev", dev]);
        let out = run_with_timeout(&mut cmd, Duration::from_secs(30)).expect("ip addr");
        out.stdout
            .lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.iter()
                    .position(|x| *x == "inet")
                    .and_then(|i| w.get(i + 1))
                    .map(|s| (*s).to_string())
            })
            .collect()
    }

    /// Waits until `dev`'s IPv4 addresses in `ns` are exactly `want` (sorted), `WAIT` at most;
    /// returns how long that took.
    pub fn wait_addresses(ns: &OracleNamespace, dev: &str, want: &[&str]) -> Duration {
        let start = Instant::now();
        let mut want: Vec<String> = want.iter().map(|s| (*s).to_string()).collect();
        want.sort();
        loop {
            let mut have = addresses(ns, dev);
            have.sort();
            if have == want {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < WAIT,
                "addresses of {dev}: have {have:?}, want {want:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Polls `ok` every 50 ms for `limit`; its last answer.
pub fn wait_until(limit: std::time::Duration, mut ok: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        if ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    ok()
}

/// Two hosts for VRRP tests: two [`OracleNamespace`]s whose `eth0`s are the two ends of one
/// veth pair (10.9.0.1/24 and 10.9.0.2/24, fd09::1/64 and fd09::2/64, IPv6 duplicate address
/// detection off), and real keepalived as a peer.
pub mod vrrp {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::Value;

    use super::daemon::{Daemon, write_atomically};
    use super::{OracleNamespace, privileges, run_with_timeout};

    fn ip(args: &[&str]) -> Result<(), String> {
        let out = Command::new(privileges::find_program("ip").ok_or("`ip` not found")?)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run ip: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`ip {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Host A (10.9.0.1) and host B (10.9.0.2), linked by `eth0`.
    pub fn linked_pair() -> Result<(OracleNamespace, OracleNamespace), String> {
        let a = OracleNamespace::create()?;
        let b = OracleNamespace::create()?;
        let (na, nb) = (a.name().to_string(), b.name().to_string());
        ip(&["-n", &nb, "link", "del", "eth0"])?;
        ip(&["-n", &na, "link", "set", "eth0-peer", "netns", &nb])?;
        ip(&["-n", &nb, "link", "set", "eth0-peer", "name", "eth0"])?;
        for (ns, n) in [(&a, 1), (&b, 2)] {
            for k in ["all", "default", "eth0"] {
                set_sysctl(ns, &format!("net/ipv6/conf/{k}/accept_dad"), "0")?;
            }
            let name = ns.name().to_string();
            ip(&["-n", &name, "link", "set", "eth0", "down"])?;
            ip(&[
                "-n",
                &name,
                "addr",
                "add",
                &format!("10.9.0.{n}/24"),
                "dev",
                "eth0",
            ])?;
            ip(&[
                "-n",
                &name,
                "addr",
                "add",
                &format!("fd09::{n}/64"),
                "dev",
                "eth0",
                "nodad",
            ])?;
            ip(&["-n", &name, "link", "set", "eth0", "up"])?;
        }
        Ok((a, b))
    }

    /// Writes `value` to `/proc/sys/<key>` inside `ns` (no `sysctl` program needed).
    pub fn set_sysctl(ns: &OracleNamespace, key: &str, value: &str) -> Result<(), String> {
        let out = ns
            .command("sh")
            .args(["-c", &format!("echo {value} > /proc/sys/{key}")])
            .output();
        if out.is_ok_and(|o| o.status.success()) {
            Ok(())
        } else {
            Err(format!("cannot set {key} to {value}"))
        }
    }

    /// The addresses (`10.9.0.100/24`, `fd09::100/64`) on `dev` in `ns`, both families.
    pub fn addresses(ns: &OracleNamespace, dev: &str) -> Vec<String> {
        let mut cmd = ns.command("ip");
        cmd.args(["-o", "addr", "show", "dev", dev]);
        let out = run_with_timeout(&mut cmd, Duration::from_secs(30)).expect("ip addr");
        out.stdout
            .lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.iter()
                    .position(|x| *x == "inet" || *x == "inet6")
                    .and_then(|i| w.get(i + 1))
                    .map(|s| (*s).to_string())
            })
            .collect()
    }

    /// Whether `ns` has `addr` on `eth0`.
    pub fn holds(ns: &OracleNamespace, addr: &str) -> bool {
        addresses(ns, "eth0").iter().any(|a| a == addr)
    }

    /// Waits (`limit` at most) until `ns` holds `addr` or not, as `want` says; returns how
    /// long it took, or panics with `context()`.
    pub fn wait_holds(
        ns: &OracleNamespace,
        addr: &str,
        want: bool,
        limit: Duration,
        context: impl Fn() -> String,
    ) -> Duration {
        let start = Instant::now();
        loop {
            if holds(ns, addr) == want {
                return start.elapsed();
            }
            if start.elapsed() > limit {
                panic!(
                    "{} {addr} after {limit:?}; addresses: {:?}\n{}",
                    if want { "does not hold" } else { "still holds" },
                    addresses(ns, "eth0"),
                    context()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// keepalived (Debian's) running in a namespace with a configuration the test wrote,
    /// logging to a file; every process it started is killed on drop.
    #[derive(Debug)]
    pub struct Keepalived {
        child: Option<Child>,
        ns_name: String,
        /// Its log (stdout and stderr, `-l -D`).
        pub log: PathBuf,
        conf: PathBuf,
        dir: PathBuf,
    }

    impl Keepalived {
        /// Starts `keepalived -n -l -D` with `conf` (written to `<dir>/keepalived.conf`).
        pub fn start(ns: &OracleNamespace, dir: &Path, conf: &str) -> Keepalived {
            std::fs::create_dir_all(dir).expect("keepalived dir");
            let path = dir.join("keepalived.conf");
            std::fs::write(&path, conf).expect("write keepalived.conf");
            let mut k = Keepalived {
                child: None,
                ns_name: ns.name().to_string(),
                log: dir.join("keepalived.log"),
                conf: path,
                dir: dir.to_path_buf(),
            };
            k.spawn(ns);
            k
        }

        fn spawn(&mut self, ns: &OracleNamespace) {
            let bin = privileges::find_program("keepalived").expect("keepalived");
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.log)
                .expect("log");
            let err = log.try_clone().expect("log");
            let d = &self.dir;
            let child = ns
                .command(bin)
                .args(["-n", "-l", "-D", "-P", "-f"])
                .arg(&self.conf)
                .arg("-p")
                .arg(d.join("keepalived.pid"))
                .arg("-r")
                .arg(d.join("vrrp.pid"))
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(err)
                .spawn()
                .expect("start keepalived");
            self.child = Some(child);
        }

        /// Starts it again after [`Keepalived::kill9`] or [`Keepalived::stop`].
        pub fn restart(&mut self, ns: &OracleNamespace) {
            self.spawn(ns);
        }

        /// The log so far.
        pub fn log_text(&self) -> String {
            std::fs::read_to_string(&self.log).unwrap_or_default()
        }

        /// How many times it logged entering `state` (`MASTER`, `BACKUP`).
        pub fn entered(&self, state: &str) -> usize {
            self.log_text()
                .matches(&format!("Entering {state} STATE"))
                .count()
        }

        fn pids(&self) -> Vec<u32> {
            let out = Command::new(privileges::find_program("ip").unwrap_or_else(|| "ip".into()))
                .args(["netns", "pids", &self.ns_name])
                .output();
            let Ok(out) = out else { return Vec::new() };
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .filter(|p: &u32| {
                    std::fs::read_to_string(format!("/proc/{p}/comm"))
                        .is_ok_and(|c| c.trim() == "keepalived")
                })
                .collect()
        }

        fn signal_all(&self, sig: &str) {
            for p in self.pids() {
                let _ = Command::new("kill").arg(sig).arg(p.to_string()).status();
            }
        }

        /// SIGKILL to every keepalived process (parent and VRRP child), as a crash would:
        /// they are all stopped first (the VRRP child gets SIGTERM when its parent dies, and
        /// would send priority-0 adverts).
        pub fn kill9(&mut self) {
            self.signal_all("-STOP");
            self.signal_all("-KILL");
            if let Some(mut c) = self.child.take() {
                let _ = c.wait();
            }
        }

        /// SIGTERM (a graceful stop: priority-0 adverts, addresses removed); waits for it.
        pub fn stop(&mut self) {
            if let Some(mut c) = self.child.take() {
                let _ = Command::new("kill")
                    .arg("-TERM")
                    .arg(c.id().to_string())
                    .status();
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = c.try_wait() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            self.signal_all("-KILL");
        }
    }

    impl Drop for Keepalived {
        fn drop(&mut self) {
            self.kill9();
        }
    }

    /// The two hosts of [`linked_pair`] (A: 10.9.0.1, B: 10.9.0.2) for `test`, or `None`
    /// (skip printed) without privileges.
    pub fn hosts(test: &str) -> Option<(OracleNamespace, OracleNamespace)> {
        if let Some(reason) = privileges::skip_reason() {
            privileges::skip(test, &reason);
            return None;
        }
        Some(linked_pair().unwrap_or_else(|e| panic!("cannot create the namespaces: {e}")))
    }

    /// `kac daemon` on `ns` with a path source holding `text` (in `<work>/src`), state in
    /// `<work>/state`, `extra` arguments; returned once its status answers.
    pub fn start_kac(ns: &OracleNamespace, work: &Path, text: &str, extra: &[&str]) -> Daemon {
        let src = work.join("src");
        std::fs::create_dir_all(&src).expect("source dir");
        write_atomically(&src.join("keepalived.conf"), text);
        let state = work.join("state");
        let mut args = vec![
            "--source",
            src.to_str().expect("utf-8"),
            "--state-dir",
            state.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        let d = Daemon::start(ns, &work.join("kac"), &args);
        d.wait_up();
        d
    }

    /// VRRP instance `name` in a `kac status` JSON (`null` when absent).
    pub fn instance<'a>(st: &'a Value, name: &str) -> &'a Value {
        st["vrrp"]
            .as_array()
            .and_then(|v| v.iter().find(|i| i["name"] == name))
            .unwrap_or(&Value::Null)
    }

    /// Whether instance `name` is in `state` in a `kac status` JSON.
    pub fn state_is(st: &Value, name: &str, state: &str) -> bool {
        instance(st, name)["state"] == state
    }

    /// Both logs, for assertion messages.
    pub fn context(d: &Daemon, k: &Keepalived) -> impl Fn() -> String + use<> {
        let (dl, kl) = (d.log.clone(), k.log.clone());
        move || {
            format!(
                "kac log:\n{}\nkeepalived log:\n{}",
                std::fs::read_to_string(&dl).unwrap_or_default(),
                std::fs::read_to_string(&kl).unwrap_or_default()
            )
        }
    }

    /// Runs `ip ARGS…` inside `ns`; panics if it fails.
    pub fn ip_in(ns: &OracleNamespace, args: &[&str]) {
        let out = ns.command("ip").args(args).output().expect("ip");
        assert!(
            out.status.success(),
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Real receivers of alerts, started by a test on loopback (the machine's, or a namespace's):
/// Debian's python3-aiosmtpd as the SMTP server, Debian's snmptrapd as the trap sink.
pub mod alert_sinks {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    use super::{OracleNamespace, privileges};

    /// A receiver process, killed on drop.
    #[derive(Debug)]
    pub struct Receiver(Child);

    impl Drop for Receiver {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn command(ns: Option<&OracleNamespace>, program: &Path) -> Command {
        match ns {
            Some(ns) => ns.command(program),
            None => Command::new(program),
        }
    }

    pub use crate::wait_until;

    /// aiosmtpd on 127.0.0.1:`port` (in `ns`, or on the machine's loopback), writing each
    /// message as one JSON line (`helo`, `from`, `to`, `data`) to `out`; RCPT to an address
    /// starting with `refused@` gets a 550. `None` when python3-aiosmtpd is not installed.
    pub fn smtp_server(ns: Option<&OracleNamespace>, port: u16, out: &Path) -> Option<Receiver> {
        let python = Path::new("/usr/bin/python3");
        let probe = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .ok()?;
        if !probe.success() {
            return None;
        }
        let script = r#"
import json, sys, time
from aiosmtpd.controller import Controller
port, out, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class Sink:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        with open(out, "a") as f:
            f.write(json.dumps({"helo": session.host_name, "from": envelope.mail_from,
                                "to": envelope.rcpt_tos,
                                "data": envelope.content.decode()}) + "\n")
        return "250 Message accepted"
c = Controller(Sink(), hostname="127.0.0.1", port=port)
c.start()
open(ready, "w").close()
while True:
    time.sleep(3600)
"#;
        let ready = out.with_extension("ready");
        let _ = std::fs::remove_file(&ready);
        let child = command(ns, python)
            .args(["-c", script, &port.to_string()])
            .arg(out)
            .arg(&ready)
            .stdout(Stdio::null())
            .spawn()
            .ok()?;
        let server = Receiver(child);
        wait_until(Duration::from_secs(10), || ready.exists()).then_some(server)
    }

    /// The messages `smtp_server` wrote to `out` so far.
    pub fn mails(out: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(out)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// snmptrapd on 127.0.0.1:`port` (in `ns`, or on the machine's loopback), logging each
    /// trap as one line `TRAP <source>|<variables>` with numeric OIDs to the returned file.
    /// `None` when snmptrapd is not installed.
    pub fn snmptrapd(
        ns: Option<&OracleNamespace>,
        port: u16,
        dir: &Path,
    ) -> Option<(Receiver, PathBuf)> {
        let program = privileges::find_program("snmptrapd")?;
        let conf = dir.join("snmptrapd.conf");
        std::fs::write(&conf, "disableAuthorization yes\n").ok()?;
        let out = dir.join("traps.log");
        let log = std::fs::File::create(&out).ok()?;
        let child = command(ns, &program)
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(&conf)
            .args(["-On", "-n", "-m", "", "-M", "/dev/null"])
            .args(["-F", "TRAP %b|%v\n"])
            .arg(format!("udp:127.0.0.1:{port}"))
            .env("SNMP_PERSISTENT_DIR", dir)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = Receiver(child);
        // It logs its version line once it listens.
        wait_until(Duration::from_secs(10), || {
            std::fs::read_to_string(&out).is_ok_and(|s| s.contains("NET-SNMP version"))
        })
        .then_some((server, out))
    }

    /// The trap lines `snmptrapd` logged so far.
    pub fn traps(log: &Path) -> Vec<String> {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("TRAP "))
            .map(str::to_string)
            .collect()
    }
}
