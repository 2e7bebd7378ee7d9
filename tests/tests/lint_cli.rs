//! `kac lint` as a user runs it on real files in temporary directories: inline suppressions,
//! the site manifest's `lint` settings (KDL and YAML), `--verbose`, `--fix` (byte for byte),
//! baselines across line shifts, and the JSON, SARIF (validated against the SARIF 2.1.0 schema)
//! and GitHub outputs, with findings that span two hosts.

use std::path::Path;
use std::process::{Command, Output};

use kac_tests::{kac_bin, workspace_root};

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

/// `kac lint ARGS --format json` in `dir`: exit code and diagnostics.
fn lint_json(dir: &Path, args: &[&str]) -> (Option<i32>, Vec<serde_json::Value>) {
    let mut all = vec!["lint"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let out = kac_in(dir, &all);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&out)));
    (
        out.status.code(),
        v["diagnostics"].as_array().cloned().unwrap_or_default(),
    )
}

fn codes(list: &[serde_json::Value]) -> Vec<(String, String, u64)> {
    list.iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["host"].as_str().unwrap_or("").to_string(),
                d["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

/// A two-host site (lb1 and lb2 share keepalived.conf); lb1 lists its interfaces.
fn two_host_site(manifest_lint: &str, conf: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "kac.kdl",
        &format!(
            "site \"t\"\nhost \"lb1\" config=\"keepalived.conf\" {{\n    interface \"eth0\" {{ subnet \"192.0.2.0/24\" }}\n}}\nhost \"lb2\" config=\"keepalived.conf\"\n{manifest_lint}"
        ),
    );
    write(tmp.path(), "keepalived.conf", conf);
    tmp
}

const SHARED: &str = "vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    @lb1 virtual_router_id 51
    @lb2 virtual_router_id 52
    @lb1 priority 150
    @lb2 priority 100
    virtual_ipaddress {
        192.0.2.10/24
    }
}
";

#[test]
fn suppressions_on_the_line_and_before_it() {
    let conf = "vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100 200  # kac: allow(extra-words)
    # kac: allow(extra-words) -- the next statement
    advert_int 1 1
    nopreempt 1
    virtual_ipaddress {
        192.0.2.10/24
    }
}
";
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "keepalived.conf", conf);
    let (code, list) = lint_json(tmp.path(), &["keepalived.conf"]);
    // Lines 5 and 7 are suppressed; line 8 is not.
    assert_eq!(codes(&list), vec![("extra-words".into(), String::new(), 8)]);
    assert_eq!(code, Some(0));
    // A code prefix works too, and an unused one is reported.
    let conf2 = conf.replace(
        "nopreempt 1",
        "nopreempt 1  # kac: allow(kac::conf, extra-words)",
    );
    write(tmp.path(), "keepalived.conf", &conf2);
    let (_, list) = lint_json(tmp.path(), &["keepalived.conf"]);
    assert_eq!(
        codes(&list),
        vec![("unused-suppression".into(), String::new(), 8)],
        "{list:#?}"
    );
    assert!(
        list[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`kac::conf`")),
        "{list:#?}"
    );
}

#[test]
fn a_suppression_in_a_shared_file_counts_for_every_host() {
    // The allow is used by lb2 (the only host reading that line): not unused for lb1.
    let conf = SHARED.replace(
        "@lb2 priority 100",
        "@lb2 priority 100 7  # kac: allow(extra-words)",
    );
    let tmp = two_host_site("", &conf);
    let (_, list) = lint_json(tmp.path(), &["."]);
    assert_eq!(
        codes(&list),
        vec![("peer-vrid-mismatch".into(), "lb2".into(), 5)],
        "{list:#?}"
    );
}

#[test]
fn manifest_levels_and_selection_in_both_forms() {
    let kdl = "lint {\n    level \"peer-vrid-mismatch\" \"warning\"\n    ignore \"vip-without-prefix\"\n}\n";
    let tmp = two_host_site(kdl, &SHARED.replace("192.0.2.10/24", "192.0.2.10"));
    let (code, list) = lint_json(tmp.path(), &["."]);
    assert_eq!(
        codes(&list),
        vec![("peer-vrid-mismatch".into(), "lb2".into(), 5)]
    );
    assert_eq!(list[0]["severity"], "warning");
    assert_eq!(code, Some(0), "a warning does not fail");
    let (code, _) = lint_json(tmp.path(), &[".", "--deny-warnings"]);
    assert_eq!(code, Some(1));
    // --select replaces the manifest's selection (vip-without-prefix runs again).
    let (_, list) = lint_json(tmp.path(), &[".", "--select", "vip-without-prefix"]);
    assert_eq!(list.len(), 2, "{list:#?}");

    // The same in YAML, with a misspelt rule name.
    std::fs::remove_file(tmp.path().join("kac.kdl")).expect("rm");
    write(
        tmp.path(),
        "kac.yaml",
        "hosts:\n  - name: lb1\n    config: keepalived.conf\n  - name: lb2\n    config: keepalived.conf\nlint:\n  levels:\n    peer-vrid-mismatch: warning\n  ignore: [vip-without-prefix, peer-vrid-mismatsh]\n",
    );
    let (code, list) = lint_json(tmp.path(), &["."]);
    let got = codes(&list);
    assert_eq!(
        got,
        vec![
            ("kac::site::unknown-rule".into(), String::new(), 9),
            ("peer-vrid-mismatch".into(), "lb2".into(), 5),
        ],
        "{list:#?}"
    );
    assert!(
        list[0]["help"]
            .as_str()
            .is_some_and(|h| h.contains("peer-vrid-mismatch")),
        "{list:#?}"
    );
    assert_eq!(code, Some(1), "an unknown rule name is an error");
}

#[test]
fn verbose_says_why_network_rules_did_not_run() {
    let tmp = two_host_site("", SHARED);
    let out = kac_in(tmp.path(), &["lint", ".", "--verbose"]);
    let err = stderr(&out);
    assert!(
        err.contains(
            "[lb2]: rule `vip-outside-subnet` did not run: the site manifest lists no subnets"
        ),
        "{err}"
    );
    assert!(
        err.contains("[lb2]: rule `unknown-interface` did not run"),
        "{err}"
    );
    assert!(!err.contains("[lb1]: rule `vip-outside-subnet`"), "{err}");
    let single = tmp.path().join("keepalived.conf");
    let out = kac_in(
        &workspace_root(),
        &["lint", &single.to_string_lossy(), "--verbose", "-i", "lb1"],
    );
    // A file inside a site is linted with its site; outside one, network rules never run.
    assert!(stderr(&out).contains("[lb1]"), "{}", stderr(&out));
    let other = tempfile::tempdir().expect("tempdir");
    write(other.path(), "keepalived.conf", SHARED);
    let out = kac_in(other.path(), &["lint", "keepalived.conf", "--verbose"]);
    assert!(
        stderr(&out).contains("`keepalived.conf`: rule `unknown-interface` did not run: the site manifest lists no interfaces"),
        "{}",
        stderr(&out)
    );
}

const FIXABLE: &str = "! deprecated keywords and a long password
global_defs {
    router_id lb1   # keep this comment
\tlvs_flush_onstop\t# and this one, with its tab
    vrrp_rlimit_rtime   10000
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    authentication {
        auth_type PASS
        auth_pass verylongpassword  # trailing
    }
    virtual_ipaddress {
        192.0.2.10/24
    }
    virtual_routes {
        198.51.100.0/24 gw 192.0.2.1 dev eth0
    }
    advert_int 1   # kac: allow(extra-words)
    linkbeat_use_polling
}
";

const FIXED: &str = "! deprecated keywords and a long password
global_defs {
    router_id lb1   # keep this comment
\tlvs_flush_on_stop\t# and this one, with its tab
    vrrp_rlimit_rttime   10000
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    authentication {
        auth_type PASS
        auth_pass verylong  # trailing
    }
    virtual_ipaddress {
        192.0.2.10/24
    }
    virtual_routes {
        198.51.100.0/24 via 192.0.2.1 dev eth0
    }
    advert_int 1
    linkbeat_use_polling
}
";

#[test]
fn fix_rewrites_only_the_fixed_bytes_and_a_second_run_finds_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "keepalived.conf", FIXABLE);
    let out = kac_in(tmp.path(), &["lint", "keepalived.conf", "--fix"]);
    let err = stderr(&out);
    let text = std::fs::read_to_string(tmp.path().join("keepalived.conf")).expect("read");
    assert_eq!(text, FIXED, "{err}");
    for what in [
        "fixed keepalived.conf:4: replace `lvs_flush_onstop` with `lvs_flush_on_stop` [deprecated-keyword]",
        "fixed keepalived.conf:14: keep the 8 characters keepalived uses: `verylong` [auth-pass-too-long]",
        "fixed keepalived.conf:20: replace `gw` with `via` [deprecated-keyword]",
        "fixed keepalived.conf:22: remove the comment [unused-suppression]",
        "kac lint --fix: 5 fix(es) applied",
    ] {
        assert!(err.contains(what), "missing `{what}` in:\n{err}");
    }
    // The unsafe move of linkbeat_use_polling is left, and said so.
    assert!(
        err.contains("`linkbeat_use_polling` is deprecated"),
        "{err}"
    );
    let again = kac_in(tmp.path(), &["lint", "keepalived.conf", "--fix"]);
    assert!(
        stderr(&again).contains("kac lint --fix: 0 fix(es) applied"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keepalived.conf")).expect("read"),
        FIXED
    );
    // With --unsafe-fixes the move happens: the statement goes, the block comes first.
    let out = kac_in(
        tmp.path(),
        &["lint", "keepalived.conf", "--fix", "--unsafe-fixes"],
    );
    let text = std::fs::read_to_string(tmp.path().join("keepalived.conf")).expect("read");
    assert!(
        text.starts_with("linkbeat_interfaces {\n    eth0\n}\n! deprecated"),
        "{text}\n{}",
        stderr(&out)
    );
    assert!(!text.contains("linkbeat_use_polling"), "{text}");
    let (_, list) = lint_json(tmp.path(), &["keepalived.conf"]);
    assert!(
        list.iter().all(|d| d["fix"].is_null()),
        "nothing left to fix: {list:#?}"
    );
}

#[test]
fn fix_in_a_file_shared_by_two_hosts_is_applied_once() {
    let conf = SHARED.replace(
        "interface eth0\n",
        "interface eth0\n    vmac_garp_intvl 5\n",
    );
    let tmp = two_host_site("", &conf);
    let out = kac_in(tmp.path(), &["lint", ".", "--fix"]);
    let text = std::fs::read_to_string(tmp.path().join("keepalived.conf")).expect("read");
    assert_eq!(
        text,
        SHARED.replace("interface eth0\n", "interface eth0\n    garp_extra_if 5\n"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("kac lint --fix: 1 fix(es) applied"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_baseline_hides_known_findings_across_line_shifts() {
    let conf = SHARED.replace("192.0.2.10/24", "192.0.3.10/24");
    let tmp = two_host_site("", &conf);
    let base = tmp.path().join("baseline.json");
    let out = kac_in(
        tmp.path(),
        &["lint", ".", "--write-baseline", "baseline.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wrote 2 finding(s)"),
        "{}",
        stderr(&out)
    );
    let (code, list) = lint_json(tmp.path(), &[".", "--baseline", "baseline.json"]);
    assert_eq!((code, list.len()), (Some(0), 0), "{list:#?}");
    // Unrelated lines added above every finding: still nothing new.
    let shifted = format!("! a comment\n! and another\n{conf}");
    write(tmp.path(), "keepalived.conf", &shifted);
    let (code, list) = lint_json(tmp.path(), &[".", "--baseline", "baseline.json"]);
    assert_eq!((code, list.len()), (Some(0), 0), "{list:#?}");
    // A new finding is reported (and fails: peer-vip-mismatch is a warning, VRID an error).
    let worse = shifted.replace("@lb2 virtual_router_id 52", "@lb2 virtual_router_id 53");
    write(tmp.path(), "keepalived.conf", &worse);
    let (code, list) = lint_json(tmp.path(), &[".", "--baseline", "baseline.json"]);
    assert_eq!(
        codes(&list),
        vec![("peer-vrid-mismatch".into(), "lb2".into(), 7)]
    );
    assert_eq!(code, Some(1));
    // From another directory the same baseline means the same files.
    let out = kac_in(
        &workspace_root(),
        &[
            "lint",
            &tmp.path().to_string_lossy(),
            "--baseline",
            &base.to_string_lossy(),
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(1));
    let bad = kac_in(tmp.path(), &["lint", ".", "--baseline", "kac.kdl"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("is not a kac baseline"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn json_carries_both_hosts_spans_and_the_fix() {
    let conf = SHARED.replace(
        "interface eth0\n",
        "interface eth0\n    vmac_garp_intvl 5\n",
    );
    let tmp = two_host_site("", &conf);
    let (_, list) = lint_json(tmp.path(), &["."]);
    let vrid = list
        .iter()
        .find(|d| d["code"] == "peer-vrid-mismatch")
        .expect("vrid finding");
    let labels = vrid["labels"].as_array().expect("labels");
    assert_eq!(labels.len(), 2, "{vrid:#}");
    assert_eq!(labels[0]["line"], 6);
    assert_eq!(labels[0]["message"], "differs from lb1");
    assert_eq!(labels[1]["line"], 5);
    assert_eq!(labels[1]["message"], "on lb1");
    let dep = list
        .iter()
        .find(|d| d["code"] == "deprecated-keyword")
        .expect("deprecated finding");
    assert_eq!(dep["fix"]["applicability"], "safe");
    assert_eq!(dep["fix"]["edits"][0]["replacement"], "garp_extra_if");
    assert_eq!(dep["fix"]["edits"][0]["line"], 4);
    assert_eq!(dep["fix"]["edits"][0]["column"], 5);
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("fixtures/sarif/sarif-schema-2.1.0.json"))
            .expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let conf = SHARED
        .replace(
            "interface eth0\n",
            "interface eth0\n    vmac_garp_intvl 5\n",
        )
        .replace("192.0.2.10/24", "192.0.3.10/24");
    let tmp = two_host_site("", &conf);
    let out = kac_in(tmp.path(), &["lint", ".", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    let results = log["runs"][0]["results"].as_array().expect("results");
    let by_rule = |r: &str| {
        results
            .iter()
            .find(|x| x["ruleId"] == r)
            .unwrap_or_else(|| panic!("no {r} in {results:#?}"))
    };
    let vrid = by_rule("peer-vrid-mismatch");
    assert_eq!(vrid["level"], "error");
    assert_eq!(vrid["properties"]["host"], "lb2");
    assert_eq!(
        vrid["locations"][0]["physicalLocation"]["region"]["startLine"],
        6
    );
    assert_eq!(
        vrid["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    let dep = by_rule("deprecated-keyword");
    assert_eq!(
        dep["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        "garp_extra_if"
    );
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert!(rules.iter().any(
        |r| r["id"] == "vip-outside-subnet" && r["defaultConfiguration"]["level"] == "warning"
    ));
    // And an empty run is valid too.
    let clean = tempfile::tempdir().expect("tempdir");
    write(
        clean.path(),
        "keepalived.conf",
        "global_defs {\n    router_id a\n}\n",
    );
    let out = kac_in(clean.path(), &["lint", ".", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert!(validator.is_valid(&log), "{log:#}");
}

#[test]
fn github_annotations_name_rule_level_host_and_fix() {
    let conf = SHARED.replace(
        "interface eth0\n",
        "interface eth0\n    vmac_garp_intvl 5\n",
    );
    let tmp = two_host_site("", &conf);
    let out = kac_in(tmp.path(), &["lint", ".", "--format", "github"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.starts_with(
            "::error file=keepalived.conf,line=6,col=28,endLine=6,endColumn=30,title=peer-vrid-mismatch (error)::[lb2] (VI_1) VRID 51 on lb1 but 52 on lb2%0Asee keepalived.conf:5: on lb1"
        )),
        "{text}"
    );
    assert!(
        text.contains("title=deprecated-keyword (warning)")
            && text.contains("fix: replace `vmac_garp_intvl` with `garp_extra_if`"),
        "{text}"
    );
}

#[test]
fn a_cross_host_finding_shows_both_hosts_lines() {
    // Two files: each host's line is shown in its own file.
    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "kac.kdl",
        "host \"lb1\" config=\"lb1.conf\"\nhost \"lb2\" config=\"lb2.conf\"\n",
    );
    let conf = |vrid: u8, prio: u8| {
        format!(
            "vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n    priority {prio}\n    virtual_ipaddress {{\n        192.0.2.10/24\n    }}\n}}\n"
        )
    };
    write(tmp.path(), "lb1.conf", &conf(51, 150));
    write(tmp.path(), "lb2.conf", &conf(52, 100));
    let out = kac_in(tmp.path(), &["lint", "."]);
    insta::assert_snapshot!("cross-host-two-files", stderr(&out));
    // One shared file: both lines in one snippet.
    let tmp = two_host_site("", SHARED);
    let out = kac_in(tmp.path(), &["lint", "."]);
    insta::assert_snapshot!("cross-host-shared-file", stderr(&out));
}

#[test]
fn many_findings_of_a_rule_are_one_line_each_after_ten_in_text_only() {
    // 12 virtual servers whose checkers retry longer than their delay loop, a VRRP instance
    // with a finding of its own (reported after the virtual servers' findings).
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut conf = String::from(
        "vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    virtual_ipaddress {\n        192.0.2.10\n    }\n}\n",
    );
    for i in 1..=12 {
        conf.push_str(&format!(
            "virtual_server 192.0.2.{i} 80 {{\n    delay_loop 6\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server 198.51.100.1 80 {{\n        TCP_CHECK {{\n            retry 3\n            delay_before_retry 3\n        }}\n    }}\n}}\n"
        ));
    }
    write(tmp.path(), "keepalived.conf", &conf);
    let out = kac_in(tmp.path(), &["lint", "keepalived.conf"]);
    let err = stderr(&out);
    let one_line: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(": warning[retries-exceed-delay-loop]: "))
        .collect();
    assert_eq!(one_line.len(), 2, "{err}");
    assert!(
        one_line[0].starts_with("keepalived.conf:136:9: warning[retries-exceed-delay-loop]: retry 3 × delay_before_retry 3s = 9s is longer than delay_loop 6s"),
        "{err}"
    );
    assert_eq!(
        err.matches("  ⚠ retry 3 × delay_before_retry").count(),
        10,
        "{err}"
    );
    // The other findings keep their snippets, after the virtual servers'.
    let vip = err
        .find("has no prefix length")
        .expect("vip-without-prefix");
    assert!(vip > err.find(one_line[1]).expect("line"), "{err}");
    assert!(
        err.contains("kac lint: 1 configuration(s), 13 finding(s); 2 shown on one line each, past 10 of a rule (`--all-snippets` shows every snippet)"),
        "{err}"
    );
    let all = stderr(&kac_in(
        tmp.path(),
        &["lint", "keepalived.conf", "--all-snippets"],
    ));
    assert_eq!(
        all.matches("  ⚠ retry 3 × delay_before_retry").count(),
        12,
        "{all}"
    );
    assert!(all.contains("13 finding(s)\n"), "{all}");
    // The machine formats carry every finding.
    let (code, list) = lint_json(tmp.path(), &["keepalived.conf"]);
    assert_eq!(code, Some(0));
    assert_eq!(list.len(), 13);
    let out = kac_in(
        tmp.path(),
        &["lint", "keepalived.conf", "--format", "sarif"],
    );
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(13));
    let out = kac_in(
        tmp.path(),
        &["lint", "keepalived.conf", "--format", "github"],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 13);
}

#[test]
fn past_a_hundred_findings_of_a_rule_text_counts_the_rest_and_all_findings_lists_them() {
    // 105 virtual servers, each with a checker retrying longer than its delay loop, in a file
    // of well over one read window (positions are read a window at a time).
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut conf = String::new();
    for i in 0..105 {
        conf.push_str(&format!("! {}\n", "padding ".repeat(10)).repeat(200));
        conf.push_str(&format!(
            "virtual_server 192.0.{}.{} 80 {{\n    delay_loop 6\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server 198.51.100.1 80 {{\n        TCP_CHECK {{\n            retry 3\n            delay_before_retry 3\n        }}\n    }}\n}}\n",
            i / 200,
            i % 200 + 1
        ));
    }
    write(tmp.path(), "keepalived.conf", &conf);
    // Where the 101st checker is, counted in the text itself.
    let nth = conf
        .match_indices("        TCP_CHECK {")
        .nth(100)
        .expect("101 checkers")
        .0;
    let line = conf[..nth].matches('\n').count() + 1;
    let out = kac_in(tmp.path(), &["lint", "keepalived.conf"]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    let listed = |text: &str| {
        text.lines()
            .filter(|l| l.contains(": warning[retries-exceed-delay-loop]: retry 3"))
            .count()
    };
    assert_eq!(listed(&err), 90, "{err}");
    assert_eq!(
        err.matches("  ⚠ retry 3 × delay_before_retry").count(),
        10,
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "warning[retries-exceed-delay-loop]: 5 more finding(s) not listed, the first at keepalived.conf:{line}:9 (`kac lint --all-findings` lists every finding"
        )),
        "{err}"
    );
    assert!(
        err.contains("kac lint: 1 configuration(s), 105 finding(s); 90 shown on one line each, past 10 of a rule (`--all-snippets` shows every snippet); 5 not listed, past 100 of a rule (`--all-findings` lists every finding)"),
        "{err}"
    );
    let all = stderr(&kac_in(
        tmp.path(),
        &["lint", "keepalived.conf", "--all-findings"],
    ));
    assert_eq!(listed(&all), 95, "{all}");
    assert!(
        all.contains(&format!(
            "keepalived.conf:{line}:9: warning[retries-exceed-delay-loop]: retry 3"
        )),
        "{all}"
    );
    assert!(!all.contains("not listed"), "{all}");
    assert!(
        all.contains("105 finding(s); 95 shown on one line each"),
        "{all}"
    );
    // The machine formats carry every finding.
    let (_, list) = lint_json(tmp.path(), &["keepalived.conf"]);
    assert_eq!(list.len(), 105);
    assert_eq!(list[100]["location"]["line"], line);
    assert_eq!(list[100]["location"]["column"], 9);
}

#[test]
fn config_ids_written_after_many_virtual_servers_still_make_one_host_each() {
    // `kac lint` starts linting a configuration as one host while it looks for `@id` lines;
    // here the only ones come after 3,000 virtual servers with findings, so the findings
    // of that first pass must never show: every finding belongs to lb1 or lb2.
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut conf = String::new();
    for i in 0..3000 {
        conf.push_str(&format!(
            "virtual_server 10.{}.{}.1 80 {{\n    delay_loop 6\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server 198.51.100.1 80 {{\n        TCP_CHECK {{\n            retry 3\n            delay_before_retry 3\n        }}\n    }}\n}}\n",
            i / 250,
            i % 250
        ));
    }
    // The last one's delay loop depends on the host (both still too short for the retries).
    conf.push_str("virtual_server 10.99.0.1 80 {\n    @lb1 delay_loop 6\n    @lb2 delay_loop 8\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server 198.51.100.1 80 {\n        TCP_CHECK {\n            retry 3\n            delay_before_retry 3\n        }\n    }\n}\n");
    write(tmp.path(), "keepalived.conf", &conf);
    let (code, list) = lint_json(tmp.path(), &["keepalived.conf"]);
    assert_eq!(code, Some(0));
    let hosts: std::collections::BTreeMap<String, usize> =
        codes(&list)
            .into_iter()
            .fold(Default::default(), |mut m, (_, host, _)| {
                *m.entry(host).or_default() += 1;
                m
            });
    let expected: std::collections::BTreeMap<String, usize> =
        [("lb1".to_string(), 3001), ("lb2".to_string(), 3001)].into();
    assert_eq!(hosts, expected);
    // Without `@id` lines, the same file is one host, linted once.
    let plain = conf
        .replace("    @lb1 delay_loop 6\n", "")
        .replace("@lb2 ", "");
    write(tmp.path(), "keepalived.conf", &plain);
    let (_, list) = lint_json(tmp.path(), &["keepalived.conf"]);
    assert_eq!(list.len(), 3001);
    assert!(
        list.iter()
            .all(|d| d.get("host").is_none_or(|h| h.is_null()))
    );
}
