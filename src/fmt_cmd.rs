//! `kac fmt [--check] PATH…`: every configuration file in its canonical form
//! (docs/formats.md): keepalived.conf, KDL and YAML, each in its own format.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kac_compiler::doc::Format;
use kac_compiler::doc::convert::{format_file, is_config};

/// Runs `kac fmt`.
pub fn run(paths: Vec<PathBuf>, check: bool) -> ExitCode {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    let mut files = Vec::new();
    for p in &paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut files),
            Ok(_) => files.push(p.clone()),
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", p.display());
                return ExitCode::from(2);
            }
        }
    }
    let mut failed = false;
    let mut changed = 0;
    for f in &files {
        let (original, formatted, conversion) = match format_file(f) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
                continue;
            }
        };
        if conversion.failed() {
            crate::convert_cmd::report(&conversion);
            eprintln!("error: `{}` cannot be formatted", f.display());
            failed = true;
            continue;
        }
        if original == formatted {
            continue;
        }
        changed += 1;
        if check {
            println!("would reformat {}", f.display());
        } else if let Err(e) = std::fs::write(f, &formatted) {
            eprintln!("error: cannot write `{}`: {e}", f.display());
            failed = true;
        } else {
            println!("formatted {}", f.display());
        }
    }
    if check && changed > 0 {
        eprintln!("{changed} file(s) would be reformatted");
    }
    if failed || (check && changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Configuration files under `dir`: `*.conf`, and KDL/YAML files that are kac configurations
/// (not site manifests, not other YAML); hidden entries and `target` skipped.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
            continue;
        }
        if kac_schema::site::MANIFEST_FILE_NAMES.contains(&name.as_str()) {
            continue;
        }
        match Format::of(&p) {
            Format::Conf if name.ends_with(".conf") => out.push(p),
            Format::Kdl | Format::Yaml => {
                if std::fs::read_to_string(&p).is_ok_and(|t| is_config(&t, Format::of(&p))) {
                    out.push(p);
                }
            }
            Format::Conf => {}
        }
    }
}
