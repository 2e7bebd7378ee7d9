//! Site manifests (`kac.kdl`/`kac.yaml`) as a user meets them through `kac lint` and
//! `kac compile`: fixtures under fixtures/sites/, see docs/site.md.

use std::path::Path;
use std::process::{Command, Output};

use kac_tests::{kac_bin, workspace_root};

fn kac(args: &[&str]) -> Output {
    kac_in(&workspace_root(), args)
}

fn kac_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(kac_bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kac")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `kac lint --format json` of `path`: exit code and the diagnostics.
fn lint_json(path: &str) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = kac(&["lint", path, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("lint {path}: not one JSON document ({e}): {}", stderr(&out)));
    assert_eq!(v["version"], 1);
    let list = v["diagnostics"].as_array().cloned().unwrap_or_default();
    (out.status.code(), list)
}

fn plan(path: &str, extra: &[&str]) -> Vec<u8> {
    let mut args = vec!["compile", path];
    args.extend_from_slice(extra);
    let out = kac(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "compile {path} {extra:?}: {}",
        stderr(&out)
    );
    out.stdout
}

#[test]
fn valid_kdl_and_yaml_sites_lint_clean_per_host() {
    for site in ["fixtures/sites/kdl-site", "fixtures/sites/yaml-site"] {
        let out = kac(&["lint", site]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{site}: {err}");
        assert!(
            err.contains("2 host(s) in 1 site(s), 0 finding(s)"),
            "{site}: {err}"
        );
    }
}

#[test]
fn yaml_site_compiles_to_the_same_plans_as_the_kdl_site() {
    for host in ["lb1", "lb2"] {
        let kdl = plan("fixtures/sites/kdl-site", &["--host", host]);
        let yaml = plan("fixtures/sites/yaml-site", &["--host", host]);
        assert_eq!(
            kdl, yaml,
            "plans of {host} differ between the KDL and YAML sites"
        );
        let p: serde_json::Value = serde_json::from_slice(&kdl).expect("plan is JSON");
        assert_eq!(p["host"], host);
        // lb2 has no config-id in the manifest: it defaults to the host name.
        assert_eq!(p["config_id"], host);
    }
    let lb1: serde_json::Value =
        serde_json::from_slice(&plan("fixtures/sites/kdl-site", &["--host", "lb1"])).expect("json");
    assert_eq!(lb1["vrrp_instances"]["VI_WEB"]["priority"], 150);
    let lb2: serde_json::Value =
        serde_json::from_slice(&plan("fixtures/sites/yaml-site", &["--host", "lb2"]))
            .expect("json");
    assert_eq!(lb2["vrrp_instances"]["VI_WEB"]["priority"], 100);
    // The examples: the same site in both manifest forms and all three config formats.
    for host in ["lb1", "lb2"] {
        let conf = plan("examples/two-lbs", &["--host", host]);
        assert_eq!(
            conf,
            plan("examples/two-lbs-yaml", &["--host", host]),
            "examples: plans of {host} differ (YAML)"
        );
        assert_eq!(
            conf,
            plan("examples/two-lbs-kdl", &["--host", host]),
            "examples: plans of {host} differ (KDL)"
        );
    }
}

#[test]
fn examples_lint_clean_through_their_manifests() {
    let out = kac(&["lint", "examples/"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("6 host(s) in 3 site(s), 0 finding(s)"),
        "{err}"
    );
}

#[test]
fn path_map_resolves_absolute_includes() {
    // One host: no --host needed.
    let p: serde_json::Value =
        serde_json::from_slice(&plan("fixtures/sites/path-map", &[])).expect("plan is JSON");
    assert_eq!(p["host"], "lb1");
    let vs = p["virtual_servers"].as_array().expect("virtual servers");
    assert!(
        vs.iter()
            .any(|s| s["key"]["addr"]["addr"] == "192.0.2.10" && s["key"]["addr"]["port"] == 80),
        "the virtual server of /etc/keepalived/services/web.conf is missing: {vs:?}"
    );
    let (code, diags) = lint_json("fixtures/sites/path-map");
    assert_eq!(code, Some(0), "{diags:?}");

    // The same site without its path map: the absolute include finds nothing.
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = workspace_root().join("fixtures/sites/path-map");
    std::fs::create_dir_all(tmp.path().join("lb/services")).expect("mkdir");
    for f in ["lb/keepalived.conf", "lb/services/web.conf"] {
        std::fs::copy(src.join(f), tmp.path().join(f)).expect("copy");
    }
    std::fs::write(
        tmp.path().join("kac.kdl"),
        "host \"lb1\" config=\"lb/keepalived.conf\"\n",
    )
    .expect("write");
    let out = kac_in(tmp.path(), &["lint", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["diagnostics"]
            .as_array()
            .expect("list")
            .iter()
            .any(|d| d["code"] == "kac::conf::include-not-found" && d["host"] == "lb1"),
        "{v}"
    );
}

#[test]
fn missing_interface_is_found_per_host_from_the_manifest() {
    let (code, diags) = lint_json("fixtures/sites/missing-interface");
    assert_eq!(code, Some(1), "{diags:?}");
    // lb1 lists only eth0; lb2 lists eth0 and eth1; lb3 lists none (not checked).
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    // keepalived's missing-interface check, given the manifest's interfaces, under the
    // rule's name.
    assert_eq!(d["code"], "unknown-interface");
    assert_eq!(d["host"], "lb1");
    assert_eq!(
        d["location"]["file"],
        "fixtures/sites/shared/keepalived.conf"
    );
    assert_eq!(d["location"]["line"], 22);
    assert!(
        d["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("lb1") && n.contains("eth0")),
        "{d}"
    );
    let out = kac(&["lint", "fixtures/sites/missing-interface"]);
    let err = stderr(&out);
    assert!(err.contains("[lb1] unknown-interface"), "{err}");
    assert!(!err.contains("[lb2]") && !err.contains("[lb3]"), "{err}");
    assert!(
        err.contains("3 host(s) in 1 site(s), 1 finding(s)"),
        "{err}"
    );
}

#[test]
fn a_path_inside_a_site_lints_the_whole_site_once() {
    let out = kac(&[
        "lint",
        "fixtures/sites/missing-interface/kac.kdl",
        "fixtures/sites/missing-interface",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let hosts: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["host"].as_str())
        .collect();
    assert_eq!(hosts, vec!["lb1"]);
    // -i selects the hosts with that config id.
    let (code, diags) = lint_json("fixtures/sites/missing-interface");
    assert_eq!((code, diags.len()), (Some(1), 1));
    let out = kac(&["lint", "fixtures/sites/missing-interface", "-i", "lb2"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("1 host(s) in 1 site(s), 0 finding(s)"),
        "{err}"
    );
}

/// Every class of manifest error: (case, code, line of the primary label; 0 = no label).
const ERROR_CASES: &[(&str, &str, u64)] = &[
    ("err-unknown-field-kdl", "kac::site::unknown-field", 3),
    ("err-unknown-field-yaml", "kac::site::unknown-field", 7),
    ("err-missing-value-kdl", "kac::site::missing-value", 3),
    ("err-missing-value-yaml", "kac::site::missing-value", 5),
    ("err-duplicate-host-kdl", "kac::site::duplicate-host", 4),
    ("err-duplicate-host-yaml", "kac::site::duplicate-host", 5),
    (
        "err-duplicate-config-id-kdl",
        "kac::site::duplicate-config-id",
        4,
    ),
    (
        "err-duplicate-config-id-yaml",
        "kac::site::duplicate-config-id",
        7,
    ),
    ("err-config-not-found-kdl", "kac::site::config-not-found", 3),
    (
        "err-config-not-found-yaml",
        "kac::site::config-not-found",
        6,
    ),
    ("err-invalid-cidr-kdl", "kac::site::invalid-cidr", 4),
    ("err-invalid-cidr-yaml", "kac::site::invalid-cidr", 7),
    (
        "err-duplicate-interface-kdl",
        "kac::site::duplicate-interface",
        5,
    ),
    (
        "err-duplicate-interface-yaml",
        "kac::site::duplicate-interface",
        8,
    ),
    ("err-syntax-kdl", "kac::site::syntax", 3),
    ("err-syntax-yaml", "kac::site::syntax", 5),
    ("err-invalid-value-yaml", "kac::site::invalid-value", 3),
    ("err-duplicate-kdl", "kac::site::duplicate", 3),
    ("err-no-hosts-kdl", "kac::site::no-hosts", 1),
    ("err-two-manifests", "kac::site::two-manifests", 0),
];

#[test]
fn manifest_errors_have_stable_codes_and_point_at_their_line() {
    for (case, code, line) in ERROR_CASES {
        let path = format!("fixtures/sites/{case}");
        let (exit, diags) = lint_json(&path);
        assert_eq!(exit, Some(1), "{case}: {diags:?}");
        let codes: Vec<&str> = diags.iter().filter_map(|d| d["code"].as_str()).collect();
        assert_eq!(codes, vec![*code], "{case}");
        let d = &diags[0];
        assert_eq!(d["host"], serde_json::Value::Null, "{case}");
        if *line == 0 {
            continue;
        }
        let manifest = if case.ends_with("-yaml") {
            "kac.yaml"
        } else {
            "kac.kdl"
        };
        assert_eq!(
            d["location"]["file"],
            format!("{path}/{manifest}"),
            "{case}"
        );
        assert_eq!(d["location"]["line"], *line, "{case}: {d}");
        let primary = d["labels"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["primary"] == true))
            .unwrap_or_else(|| panic!("{case}: no primary label: {d}"));
        assert_eq!(primary["line"], *line, "{case}");
    }
    // Every error case directory is in the table.
    let mut dirs: Vec<String> = std::fs::read_dir(workspace_root().join("fixtures/sites"))
        .expect("fixtures/sites")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("err-"))
        .collect();
    dirs.sort();
    let mut table: Vec<String> = ERROR_CASES.iter().map(|c| c.0.to_string()).collect();
    table.sort();
    assert_eq!(dirs, table);
}

#[test]
fn manifest_errors_render_with_the_manifest_text_and_suggestions() {
    let out = kac(&["lint", "fixtures/sites/err-unknown-field-kdl"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("kac::site::unknown-field"), "{err}");
    assert!(
        err.contains("fixtures/sites/err-unknown-field-kdl/kac.kdl:3:"),
        "{err}"
    );
    assert!(
        err.contains("confg-id=\"lb2\""),
        "the snippet shows the manifest: {err}"
    );
    assert!(err.contains("did you mean `config-id`?"), "{err}");
    let out = kac(&["lint", "fixtures/sites/err-unknown-field-yaml"]);
    assert!(
        stderr(&out).contains("did you mean `interfaces`?"),
        "{}",
        stderr(&out)
    );
    // Duplicates point at both places.
    let (_, diags) = lint_json("fixtures/sites/err-duplicate-host-kdl");
    let lines: Vec<u64> = diags[0]["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .filter_map(|l| l["line"].as_u64())
        .collect();
    assert_eq!(lines, vec![4, 2]);
    // The valid hosts of a manifest with errors are still linted.
    let out = kac(&["lint", "fixtures/sites/err-config-not-found-kdl"]);
    assert!(
        stderr(&out).contains("1 host(s) in 1 site(s), 1 finding(s)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn compile_picks_the_host_from_the_manifest() {
    let lb2: serde_json::Value =
        serde_json::from_slice(&plan("fixtures/sites/kdl-site", &["-i", "lb2"])).expect("json");
    assert_eq!(lb2["host"], "lb2");
    // A host's config file stands for the hosts that run it.
    let lb1: serde_json::Value = serde_json::from_slice(&plan(
        "fixtures/sites/kdl-site/lb/keepalived.conf",
        &["--host", "lb1"],
    ))
    .expect("json");
    assert_eq!(lb1["host"], "lb1");

    let out = kac(&["compile", "fixtures/sites/kdl-site", "--host", "lb9"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no host `lb9`") && err.contains("lb1") && err.contains("lb2"),
        "{err}"
    );

    let out = kac(&["compile", "fixtures/sites/yaml-site"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("--host") && err.contains("-i ID"), "{err}");
    assert!(out.stdout.is_empty());

    let out = kac(&[
        "compile",
        "fixtures/sites/kdl-site",
        "--host",
        "lb1",
        "-i",
        "lb2",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // A manifest with errors gives no plan.
    let out = kac(&[
        "compile",
        "fixtures/sites/err-config-not-found-kdl",
        "--host",
        "lb1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("kac::site::config-not-found"));
    assert!(out.stdout.is_empty());
}

#[test]
fn without_a_manifest_config_ids_are_the_hosts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        workspace_root().join("fixtures/sites/shared/keepalived.conf"),
        tmp.path().join("keepalived.conf"),
    )
    .expect("copy");
    let p: serde_json::Value = serde_json::from_slice(
        &kac_in(tmp.path(), &["compile", "keepalived.conf", "-i", "lb2"]).stdout,
    )
    .expect("plan");
    assert_eq!(p["host"], "lb2");
    assert_eq!(p["config_id"], "lb2");
    let out = kac_in(tmp.path(), &["compile", "keepalived.conf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-i ID"));
    // lint: each config id is a host; interfaces are not checked without a manifest.
    let out = kac_in(tmp.path(), &["lint", "."]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("1 configuration(s), 0 finding(s)"), "{err}");
}
