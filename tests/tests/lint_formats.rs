//! Lint rules run identically on the three formats: every lint fixture
//! (`fixtures/lint/<rule>/`, `fixtures/site-lint/<rule>/`) converted to KDL and to YAML has the
//! findings it has as keepalived.conf: the same rules, as often, on the same hosts, and on the
//! same marked lines (the `expect:` comments travel with their statements, so the k-th marked
//! line of a converted file is the k-th marked line of the original).

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
