//! Snapshot of the diagnostics of every rejected fixture: code, location and message, as a
//! reviewer reads them. A change to any message shows up as a snapshot diff.

use std::fmt::Write;

use kac_compiler::Options;
use kac_tests::fixtures_dir;

#[test]
fn rejected_fixtures_diagnostics() {
    let dir = fixtures_dir();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/check")
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    let mut out = String::new();
    for case in cases {
        let conf = case.join("keepalived.conf");
        let Ok(json) = std::fs::read_to_string(case.join("case.json")) else {
            continue;
        };
        let meta: serde_json::Value = serde_json::from_str(&json).expect("case.json");
        let id = meta["config_id"].as_str().unwrap_or("lb1").to_string();
        let opts = Options {
            config_id: Some(id),
            interfaces: Some(
                ["lo", "eth0", "eth1", "eth2", "eth3"]
                    .map(String::from)
                    .to_vec(),
            ),
            default_script_user_exists: Some(false),
            // As keepalived (and `kac check`) find scripts: bare names through PATH.
            script_exists: Some(|p| {
                if p.contains('/') {
                    std::path::Path::new(p).exists()
                } else {
                    let path = std::env::var_os("PATH").unwrap_or_default();
                    std::env::split_paths(&path).any(|d| d.join(p).exists())
                }
            }),
            drop_virtual_servers: false,
            ..Options::default()
        };
        let parsed = kac_compiler::parse_conf(&conf, "keepalived.conf", &opts);
        let diags: Vec<_> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.fails_check())
            .collect();
        if diags.is_empty() {
            continue;
        }
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(out, "## {name}");
        for d in diags {
            let loc = d.primary_span().map_or(String::from("-"), |s| {
                let file = parsed.sources.get(s.file).map_or("?", |f| f.name.as_str());
                format!("{file}:{}", s.line)
            });
            let _ = writeln!(
                out,
                "{} {} [{}] {}",
                d.severity.as_str(),
                loc,
                d.code,
                d.message
            );
            if let Some(h) = &d.help {
                let _ = writeln!(out, "    help: {h}");
            }
        }
    }
    // Absolute paths depend on where the repository is checked out.
    let root = kac_tests::workspace_root().to_string_lossy().into_owned();
    insta::assert_snapshot!(out.replace(&root, "<workspace>"));
}
