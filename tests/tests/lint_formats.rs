//! Lint rules run identically on the three formats.
//!
//! * Every lint fixture (`fixtures/lint/<rule>/`, `fixtures/site-lint/<rule>/`) converted to
//!   KDL and to YAML has the findings it has as keepalived.conf: the same rules, as often, on
//!   the same hosts, and on the same marked lines (the `expect:` comments travel with their
//!   statements, so the k-th marked line of a converted file is the k-th marked line of the
//!   original).
//! * Inline suppressions in each format (`fixtures/suppressions/{conf,kdl,yaml}`: a file two
//!   hosts share): the findings are exactly the lines marked `expect: RULE`, and they survive
//!   `kac convert` in every direction.
//! * `kac lint --fix` on KDL and YAML files in temporary directories: only the fixed tokens
//!   change, what has no form there is skipped with the reason, a second run fixes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use kac_compiler::doc::{Format, print, read};
use kac_schema::FileId;
use kac_tests::{kac_bin, workspace_root};

/// Fixtures that cannot be converted, with why (checked: they must fail to convert).
const NOT_CONVERTIBLE: &[(&str, &str)] = &[(
    "lint/long-line",
    "a line over keepalived's 1023 bytes has no KDL or YAML form (`kac::convert::not-carried`)",
)];

/// Copies `from` to `to`, every keepalived.conf file (`*.conf`) converted to `format`, and
/// site manifests naming the converted files; `Err` when a file cannot be converted.
fn converted_copy(from: &Path, to: &Path, format: Format) -> Result<(), String> {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read fixture").flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            converted_copy(&p, &to.join(&name), format)?;
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("read");
        match (name.strip_suffix(".conf"), format) {
            (Some(stem), Format::Kdl | Format::Yaml) => {
                let (doc, diags) = read(&text, Format::Conf, FileId(0));
                let (out, more) = print(&doc, format);
                if let Some(d) = diags.iter().chain(&more).next() {
                    return Err(format!("{}: {}", d.code, d.message));
                }
                let file = to.join(format!("{stem}.{}", format.extension()));
                std::fs::write(file, out).expect("write");
            }
            _ if name == "kac.kdl" => {
                let ext = format!(".{}\"", format.extension());
                std::fs::write(to.join(&name), text.replace(".conf\"", &ext)).expect("write");
            }
            _ => {
                std::fs::copy(&p, to.join(&name)).expect("copy");
            }
        }
    }
    // Permissions git does not keep (world-writable-script).
    if let Ok(modes) = std::fs::read_to_string(from.join("modes")) {
        use std::os::unix::fs::PermissionsExt;
        for l in modes.lines().filter(|l| !l.trim().is_empty()) {
            let (path, mode) = l.split_once(' ').expect("modes: PATH MODE");
            let mode = u32::from_str_radix(mode.trim(), 8).expect("octal mode");
            std::fs::set_permissions(to.join(path), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
    }
    Ok(())
}

/// One finding, independent of the format: code, host, file stem, and the index of its line
/// among the lines of its file that carry an `expect:` marker (`None`: an unmarked line).
type Key = (String, String, String, Option<usize>);

/// `kac lint TARGET --format json` in `dir`, as format-independent keys (sorted).
fn findings(dir: &Path, target: &str) -> Vec<Key> {
    let out = Command::new(kac_bin())
        .args(["lint", target, "--format", "json"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kac");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: not JSON ({e}): {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut keys: Vec<Key> = v["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|d| {
            let file = d["location"]["file"].as_str().unwrap_or("");
            let line = d["location"]["line"].as_u64().unwrap_or(0) as usize;
            let marked = std::fs::read_to_string(dir.join(file)).ok().and_then(|t| {
                let lines: Vec<&str> = t.lines().collect();
                let is_marked = |l: &&str| l.contains("expect:");
                let here = lines.get(line.wrapping_sub(1))?;
                is_marked(here).then(|| lines[..line - 1].iter().filter(|l| is_marked(l)).count())
            });
            let stem = Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["host"].as_str().unwrap_or("").to_string(),
                stem,
                marked,
            )
        })
        .collect();
    keys.sort();
    keys
}

/// What to lint in a fixture directory: `(subdirectory, target)`.
fn targets(dir: &Path) -> Vec<(PathBuf, String)> {
    if dir.join("kac.kdl").is_file() || !dir.join("bad.conf").is_file() {
        // A site (manifest, or a shared configuration), and its `good/` variant.
        let mut t = vec![(PathBuf::new(), ".".to_string())];
        if dir.join("good").is_dir() {
            t.push((PathBuf::from("good"), ".".to_string()));
        }
        return t;
    }
    vec![
        (PathBuf::new(), "bad".to_string()),
        (PathBuf::new(), "good".to_string()),
    ]
}

#[test]
fn every_lint_fixture_finds_the_same_in_kdl_and_yaml() {
    let root = workspace_root().join("fixtures");
    let mut dirs: Vec<PathBuf> = ["lint", "site-lint"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).expect("fixtures").flatten())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 40, "{} fixtures", dirs.len());
    let mut problems = Vec::new();
    let mut compared = 0;
    for dir in &dirs {
        let name = dir.strip_prefix(&root).unwrap_or(dir).display().to_string();
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut failed = None;
        for format in [Format::Conf, Format::Kdl, Format::Yaml] {
            if let Err(e) = converted_copy(dir, &tmp.path().join(format.extension()), format) {
                failed = Some(e);
            }
        }
        let exempt = NOT_CONVERTIBLE.iter().any(|(n, _)| *n == name);
        match (failed, exempt) {
            (None, false) => {}
            (Some(_), true) => continue,
            (Some(e), false) => {
                problems.push(format!("{name}: cannot convert: {e}"));
                continue;
            }
            (None, true) => {
                problems.push(format!(
                    "{name}: converts now; remove it from NOT_CONVERTIBLE"
                ));
                continue;
            }
        }
        for (sub, target) in targets(dir) {
            let at = |f: Format| tmp.path().join(f.extension()).join(&sub);
            let target_in = |f: Format| match target.as_str() {
                "." => ".".to_string(),
                stem => format!("{stem}.{}", f.extension()),
            };
            let conf = findings(&at(Format::Conf), &target_in(Format::Conf));
            // Streamed as `kac lint` streams them, the rule's findings are its marked lines.
            if let Some(rule) = dir.file_name().map(|n| n.to_string_lossy().into_owned())
                && target == "bad"
            {
                let text = std::fs::read_to_string(dir.join("bad.conf")).unwrap_or_default();
                let marked = text.matches(&format!("expect: {rule}")).count();
                let mut lines: Vec<Option<usize>> =
                    conf.iter().filter(|k| k.0 == rule).map(|k| k.3).collect();
                lines.dedup();
                if lines.len() != marked || lines.contains(&None) {
                    problems.push(format!(
                        "{name}: `kac lint` finds {rule} on {lines:?}, {marked} marked"
                    ));
                }
            }
            for format in [Format::Kdl, Format::Yaml] {
                let got = findings(&at(format), &target_in(format));
                compared += 1;
                if got != conf {
                    problems.push(format!(
                        "{name} ({}/{target}) in {}:\n  keepalived.conf: {conf:?}\n  {}: {got:?}",
                        sub.display(),
                        format.name(),
                        format.name()
                    ));
                }
            }
        }
    }
    assert!(compared >= 80, "{compared} comparisons");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `kac lint TARGET --format json` in `dir`: (code, file, line) of each finding, without
/// repeats (a shared file's finding is reported per host), and how many `unused-suppression`s.
fn located(dir: &Path, target: &str) -> (Vec<(String, String, u64)>, usize) {
    let out = Command::new(kac_bin())
        .args(["lint", target, "--format", "json"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kac");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let list = v["diagnostics"].as_array().cloned().unwrap_or_default();
    let unused = list
        .iter()
        .filter(|d| d["code"] == "unused-suppression")
        .count();
    let mut found: Vec<(String, String, u64)> = list
        .iter()
        .map(|d| {
            let file = d["location"]["file"].as_str().unwrap_or("");
            (
                d["code"].as_str().unwrap_or("").to_string(),
                file.trim_start_matches("./").to_string(),
                d["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    found.sort();
    found.dedup();
    (found, unused)
}

/// The `expect: RULE` markers of the files in `dir`: (rule, file, line), sorted.
fn markers(dir: &Path) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        for (i, l) in text.lines().enumerate() {
            for m in l.split("expect: ").skip(1) {
                let rule: String = m
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                out.push((rule, name.clone(), i as u64 + 1));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn suppressions_in_every_format() {
    for format in ["conf", "kdl", "yaml"] {
        let dir = workspace_root().join("fixtures/suppressions").join(format);
        let (found, unused) = located(&dir, ".");
        assert_eq!(found, markers(&dir), "{format}");
        // Unused on both hosts that read the file, reported once.
        assert_eq!(unused, 1, "{format}");
    }
}

#[test]
fn suppressions_survive_conversion_both_ways() {
    let root = workspace_root().join("fixtures");
    let subjects = [
        root.join("suppressions/conf/keepalived.conf"),
        root.join("lint/unused-suppression/bad.conf"),
    ];
    // keepalived.conf → KDL → YAML → keepalived.conf → YAML → KDL → keepalived.conf.
    let chain = [
        Format::Kdl,
        Format::Yaml,
        Format::Conf,
        Format::Yaml,
        Format::Kdl,
        Format::Conf,
    ];
    for subject in subjects {
        let tmp = tempfile::tempdir().expect("tempdir");
        let first = tmp.path().join("0");
        std::fs::create_dir_all(&first).expect("mkdir");
        std::fs::copy(&subject, first.join("keepalived.conf")).expect("copy");
        let want = findings(&first, ".");
        assert!(want.iter().any(|k| k.0 == "unused-suppression"), "{want:?}");
        let (mut text, mut from) = (
            std::fs::read_to_string(&subject).expect("read"),
            Format::Conf,
        );
        for (n, to) in chain.iter().enumerate() {
            let (doc, diags) = read(&text, from, FileId(0));
            let (out, more) = print(&doc, *to);
            assert!(diags.is_empty() && more.is_empty(), "{diags:?} {more:?}");
            let dir = tmp.path().join((n + 1).to_string());
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(dir.join(format!("keepalived.{}", to.extension())), &out)
                .expect("write");
            let got = findings(&dir, ".");
            assert_eq!(
                got,
                want,
                "{}: {} to {} (step {}):\n{out}",
                subject.display(),
                from.name(),
                to.name(),
                n + 1
            );
            (text, from) = (out, *to);
        }
    }
}

/// Runs `kac lint FILE --fix [--unsafe-fixes]` in `dir`: stderr.
fn fix(dir: &Path, file: &str, unsafe_fixes: bool) -> String {
    let mut args = vec!["lint", file, "--fix"];
    if unsafe_fixes {
        args.push("--unsafe-fixes");
    }
    let out = Command::new(kac_bin())
        .args(&args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kac");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The fix lines of `kac lint --fix`'s stderr.
fn fix_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.starts_with("fixed ")
                || l.starts_with("not fixed ")
                || l.starts_with("kac lint --fix")
        })
        .collect()
}

const KDL_TO_FIX: &str = r#"global_defs {
    router_id lb1
    lvs_flush_onstop   // renamed: comments and spacing stay
    "lvs_process_name" lvs
    lvs_sync_daemon eth1 VI_1 5
}
vrrp_track_file tf {
    file "/run/keepalived/weight"
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    linkbeat_use_polling
    virtual_router_id 51
    priority 100 // kac: allow(extra-words, vip-without-prefix)
    @lb1 vmac_garp_intvl 10
    authentication {
        auth_type PASS
        auth_pass "secret-password"
    }
    virtual_ipaddress {
        "192.0.2.10/24"
    }
    virtual_routes {
        "198.51.100.0/24" gw="192.0.2.1" dev=eth0
        "203.0.113.0/24" via "192.0.2.1" or "192.0.2.2" dev eth0
    }
}
"#;

const KDL_FIXED: &str = r#"global_defs {
    router_id lb1
    lvs_flush_on_stop   // renamed: comments and spacing stay
    checker_process_name lvs
    lvs_sync_daemon eth1 inst VI_1 id 5
}
track_file tf {
    file "/run/keepalived/weight"
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    linkbeat_use_polling
    virtual_router_id 51
    priority 100
    @lb1 garp_extra_if 10
    authentication {
        auth_type PASS
        auth_pass "secret-p"
    }
    virtual_ipaddress {
        "192.0.2.10/24"
    }
    virtual_routes {
        "198.51.100.0/24" via="192.0.2.1" dev=eth0
        "203.0.113.0/24" via "192.0.2.1" or "192.0.2.2" dev eth0
    }
}
"#;

const YAML_TO_FIX: &str = r#"# yaml-language-server: $schema=../schema/config.schema.json
global_defs:
  router_id: lb1
  lvs_flush_onstop:   # renamed: comments and spacing stay
  "@lb1 lvs_process_name": lvs
  lvs_sync_daemon:
    - eth1
    - VI_1
    - 5
vrrp_track_file tf:
  file: /run/keepalived/weight
vrrp_instance VI_1:
  state: BACKUP
  interface: eth0
  virtual_router_id: 51
  priority: 100  # kac: allow(extra-words, vip-without-prefix)
  vmac_garp_intvl: {"@lb1": 10, "@lb2": 20}
  linkbeat_use_polling: true
  authentication:
    auth_type: PASS
    auth_pass: 'secret-password'
  virtual_ipaddress:
    - 192.0.2.10/24
  virtual_routes:
    - {destination: 198.51.100.0/24, gw: 192.0.2.1, dev: eth0}
    - [203.0.113.0/24, via, 192.0.2.1, or, 192.0.2.2, dev, eth0]
"#;

const YAML_FIXED: &str = r#"# yaml-language-server: $schema=../schema/config.schema.json
global_defs:
  router_id: lb1
  lvs_flush_on_stop:   # renamed: comments and spacing stay
  "@lb1 checker_process_name": lvs
  lvs_sync_daemon:
    - eth1
    - inst
    - VI_1
    - id
    - 5
track_file tf:
  file: /run/keepalived/weight
vrrp_instance VI_1:
  state: BACKUP
  interface: eth0
  virtual_router_id: 51
  priority: 100
  garp_extra_if: {"@lb1": 10, "@lb2": 20}
  linkbeat_use_polling: true
  authentication:
    auth_type: PASS
    auth_pass: 'secret-p'
  virtual_ipaddress:
    - 192.0.2.10/24
  virtual_routes:
    - {destination: 198.51.100.0/24, via: 192.0.2.1, dev: eth0}
    - [203.0.113.0/24, via, 192.0.2.1, or, 192.0.2.2, dev, eth0]
"#;

#[test]
fn fix_rewrites_kdl_tokens_only_and_a_second_run_finds_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("keepalived.kdl");
    std::fs::write(&path, KDL_TO_FIX).expect("write");
    let err = fix(tmp.path(), "keepalived.kdl", false);
    assert_eq!(
        fix_lines(&err),
        [
            "fixed keepalived.kdl:3: replace `lvs_flush_onstop` with `lvs_flush_on_stop` [deprecated-keyword]",
            "fixed keepalived.kdl:4: replace `lvs_process_name` with `checker_process_name` [deprecated-keyword]",
            "fixed keepalived.kdl:5: name the instance and the sync id: `inst VI id N` [deprecated-keyword]",
            "fixed keepalived.kdl:7: replace `vrrp_track_file` with `track_file` [deprecated-keyword]",
            "fixed keepalived.kdl:15: remove the comment [unused-suppression]",
            "fixed keepalived.kdl:16: replace `vmac_garp_intvl` with `garp_extra_if` [deprecated-keyword]",
            "fixed keepalived.kdl:19: keep the 8 characters keepalived uses: `secret-p` [auth-pass-too-long]",
            "fixed keepalived.kdl:25: replace `gw` with `via` [deprecated-keyword]",
            "kac lint --fix: 8 fix(es) applied",
        ],
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), KDL_FIXED);
    let again = fix(tmp.path(), "keepalived.kdl", false);
    assert!(
        again.contains("kac lint --fix: 0 fix(es) applied"),
        "{again}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), KDL_FIXED);
    // Unsafe fixes: `or` (two next hops) is written as arguments; `linkbeat_use_polling`
    // moves to a new top-level block, printed in KDL.
    let err = fix(tmp.path(), "keepalived.kdl", true);
    assert!(
        err.contains("fixed keepalived.kdl:26: write the next hops as `nexthop via A nexthop via B` [deprecated-keyword]")
            && err.contains("fixed keepalived.kdl:13: poll `eth0` in a top-level `linkbeat_interfaces` block [deprecated-keyword]"),
        "{err}"
    );
    let fixed = std::fs::read_to_string(&path).expect("read");
    assert!(
        fixed.contains(
            r#""203.0.113.0/24" nexthop via "192.0.2.1" nexthop via "192.0.2.2" dev eth0"#
        ),
        "{fixed}"
    );
    assert!(
        fixed.starts_with("linkbeat_interfaces {\n    eth0\n}\nglobal_defs {\n"),
        "{fixed}"
    );
    assert!(!fixed.contains("linkbeat_use_polling"), "{fixed}");
    let last = fix(tmp.path(), "keepalived.kdl", true);
    assert!(last.contains("kac lint --fix: 0 fix(es) applied"), "{last}");
}

#[test]
fn fix_rewrites_yaml_tokens_only_and_says_what_it_cannot_do() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("keepalived.yaml");
    std::fs::write(&path, YAML_TO_FIX).expect("write");
    let err = fix(tmp.path(), "keepalived.yaml", false);
    assert_eq!(
        fix_lines(&err),
        [
            "fixed keepalived.yaml:4: replace `lvs_flush_onstop` with `lvs_flush_on_stop` [deprecated-keyword]",
            "fixed keepalived.yaml:5: replace `lvs_process_name` with `checker_process_name` [deprecated-keyword]",
            "fixed keepalived.yaml:9: name the instance and the sync id: `inst VI id N` [deprecated-keyword]",
            "fixed keepalived.yaml:10: replace `vrrp_track_file` with `track_file` [deprecated-keyword]",
            "fixed keepalived.yaml:16: remove the comment [unused-suppression]",
            "fixed keepalived.yaml:17: replace `vmac_garp_intvl` with `garp_extra_if` [deprecated-keyword]",
            "fixed keepalived.yaml:21: keep the 8 characters keepalived uses: `secret-p` [auth-pass-too-long]",
            "fixed keepalived.yaml:25: replace `gw` with `via` [deprecated-keyword]",
            "kac lint --fix: 8 fix(es) applied",
        ],
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), YAML_FIXED);
    let again = fix(tmp.path(), "keepalived.yaml", false);
    assert!(
        again.contains("kac lint --fix: 0 fix(es) applied"),
        "{again}"
    );
    // Unsafe fixes: the next hops become list items; moving `linkbeat_use_polling` to a new
    // top-level block is done; nothing is written that does not read back.
    let err = fix(tmp.path(), "keepalived.yaml", true);
    let fixed = std::fs::read_to_string(&path).expect("read");
    assert!(
        fixed.contains(
            "    - [203.0.113.0/24, nexthop, via, 192.0.2.1, nexthop, via, 192.0.2.2, dev, eth0]"
        ),
        "{err}\n{fixed}"
    );
    assert!(
        fixed.starts_with("linkbeat_interfaces:\n  - eth0\n# yaml-language-server"),
        "{fixed}"
    );
    assert!(!fixed.contains("linkbeat_use_polling"), "{fixed}");
    let last = fix(tmp.path(), "keepalived.yaml", true);
    assert!(last.contains("kac lint --fix: 0 fix(es) applied"), "{last}");
}

#[test]
fn fix_in_yaml_skips_what_has_no_yaml_form_with_the_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = "global_defs:\n  router_id: lb1\nvrrp_instance VI_2:\n  state: BACKUP\n  interface: eth0\n  virtual_router_id: 52\n  priority: 100\n  lvs_sync_daemon_interface: eth1\n  virtual_ipaddress: [192.0.2.11/24]\n";
    std::fs::write(tmp.path().join("keepalived.yaml"), text).expect("write");
    let err = fix(tmp.path(), "keepalived.yaml", true);
    assert!(
        err.contains("not fixed keepalived.yaml:8 [deprecated-keyword]: in YAML: the file has a `global_defs` block already: add the statements to it by hand"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keepalived.yaml")).expect("read"),
        text
    );
}
