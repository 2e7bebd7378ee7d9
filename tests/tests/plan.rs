//! `kac plan` on real git repositories built by the test in temporary directories.
//!
//! Data-driven: each `fixtures/plan/<case>/` holds `from/` (the first commit's tree) and `to/`
//! (the second commit's tree, or with a `mode` file saying `worktree`, the uncommitted working
//! tree), `args` (the command line after `kac plan`) and `exit` (the expected exit code). The
//! text, Markdown and JSON outputs are snapshotted together (`plan__<case>.snap`).
//! Commits use a fixed author and date, so commit ids (and the snapshots) are stable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kac_tests::git::{commit, init};
use kac_tests::{kac_bin, workspace_root};

/// Copies the tree `from` into `to` (which exists).
fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("fixture directory") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// Replaces the working tree of `repo` (everything but `.git`) with `tree`.
fn replace_worktree(repo: &Path, tree: &Path) {
    for e in std::fs::read_dir(repo).expect("repo") {
        let e = e.expect("entry");
        if e.file_name() == ".git" {
            continue;
        }
        if e.path().is_dir() {
            std::fs::remove_dir_all(e.path()).expect("rm -r");
        } else {
            std::fs::remove_file(e.path()).expect("rm");
        }
    }
    copy_tree(tree, repo);
}

/// A new repository in a temporary directory with `tree` committed (`git add -A`).
fn repo_with(tree: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    copy_tree(tree, dir.path());
    commit(dir.path(), "first");
    dir
}

fn kac_plan(repo: &Path, args: &[&str]) -> Output {
    Command::new(kac_bin())
        .arg("plan")
        .args(args)
        .current_dir(repo)
        .env("NO_COLOR", "1")
        .output()
        .expect("kac runs")
}

/// Output with the temporary directory's path replaced by `[repo]`.
fn redact(s: &[u8], repo: &Path) -> String {
    let s = String::from_utf8_lossy(s).into_owned();
    let real = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
    s.replace(&real.to_string_lossy().into_owned(), "[repo]")
        .replace(&repo.to_string_lossy().into_owned(), "[repo]")
}

fn cases() -> Vec<PathBuf> {
    let dir = workspace_root().join("fixtures").join("plan");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/plan")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("from").is_dir())
        .collect();
    v.sort();
    v
}

#[test]
fn plan_fixtures() {
    let cases = cases();
    assert!(cases.len() >= 7, "fixtures/plan has its cases");
    for case in cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let read = |f: &str| std::fs::read_to_string(case.join(f)).unwrap_or_default();
        let args: Vec<String> = read("args").split_whitespace().map(String::from).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let want: i32 = read("exit")
            .trim()
            .parse()
            .expect("exit file holds a number");
        let repo = repo_with(&case.join("from"));
        replace_worktree(repo.path(), &case.join("to"));
        if read("mode").trim() != "worktree" {
            commit(repo.path(), "second");
        }
        let mut snap = String::new();
        for format in ["text", "markdown", "json"] {
            let mut a = args.clone();
            a.extend(["--format", format]);
            let out = kac_plan(repo.path(), &a);
            assert_eq!(
                out.status.code(),
                Some(want),
                "{name} --format {format}: exit code; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            snap.push_str(&format!("===== --format {format} (exit {want})\n"));
            snap.push_str(&redact(&out.stdout, repo.path()));
            if format == "text" && !out.stderr.is_empty() {
                snap.push_str("----- stderr\n");
                snap.push_str(&redact(&out.stderr, repo.path()));
            }
            if format == "json" {
                let v: serde_json::Value =
                    serde_json::from_slice(&out.stdout).expect("kac plan --format json is JSON");
                assert_eq!(v["version"], 1, "{name}: versioned JSON");
                let doc: kac_schema::plan_diff::PlanDiff =
                    serde_json::from_value(v).expect("the JSON is a PlanDiff");
                if args.contains(&"--detailed-exitcode") {
                    assert_eq!(doc.has_changes(), want == 3, "{name}: changes present");
                }
            }
        }
        insta::assert_snapshot!(format!("plan-{name}"), snap);
    }
}

/// A small committed site for the exit-code tests.
fn two_lbs_repo() -> tempfile::TempDir {
    repo_with(&workspace_root().join("examples").join("two-lbs"))
}

#[test]
fn no_change_exits_0_even_with_detailed_exitcode() {
    let repo = two_lbs_repo();
    let out = kac_plan(repo.path(), &["--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("host lb1: no changes"), "{text}");
    assert!(text.contains("host lb2: no changes"), "{text}");
}

#[test]
fn changes_exit_3_only_with_detailed_exitcode_and_hazards_1_only_with_deny() {
    let repo = two_lbs_repo();
    let conf = repo.path().join("keepalived.conf");
    let text = std::fs::read_to_string(&conf).expect("conf");
    // lb1 drops below lb2 on VI_WEB: a change and a master-changes hazard.
    let changed = text.replacen("@lb1 priority 150", "@lb1 priority 90", 1);
    assert_ne!(text, changed);
    std::fs::write(&conf, changed).expect("write");
    assert_eq!(kac_plan(repo.path(), &[]).status.code(), Some(0));
    assert_eq!(
        kac_plan(repo.path(), &["--detailed-exitcode"])
            .status
            .code(),
        Some(3)
    );
    let denied = kac_plan(repo.path(), &["--detailed-exitcode", "--deny-hazards"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&denied.stdout).contains("master-changes"));
    // Committing it: HEAD~1 -> HEAD shows the same, the working tree is clean again.
    commit(repo.path(), "lower lb1");
    assert_eq!(
        kac_plan(
            repo.path(),
            &["--from", "HEAD~1", "--to", "HEAD", "--detailed-exitcode"]
        )
        .status
        .code(),
        Some(3)
    );
    assert_eq!(
        kac_plan(repo.path(), &["--detailed-exitcode"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn host_filter_shows_one_host_and_rejects_unknown_hosts() {
    let repo = two_lbs_repo();
    let out = kac_plan(repo.path(), &["--host", "lb2"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("host lb2"), "{text}");
    assert!(!text.contains("host lb1"), "{text}");
    let out = kac_plan(repo.path(), &["--host", "lb9"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no host `lb9`") && err.contains("lb1, lb2"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let repo = two_lbs_repo();
    let out = kac_plan(repo.path(), &["--from", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown revision `no-such-branch`"));
    let out = kac_plan(repo.path(), &["--to", "0123456789abcdef"]);
    assert_eq!(out.status.code(), Some(2));

    let plain = tempfile::tempdir().expect("tempdir");
    let out = kac_plan(plain.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not in a git repository"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn live_takes_no_old_revision_and_no_conf_diff() {
    let repo = two_lbs_repo();
    for args in [
        &["--live", "--from", "HEAD"][..],
        &["--live", "--conf-diff"],
        &["-i", "lb1"],
        &["--state-dir", "/tmp"],
    ] {
        let out = kac_plan(repo.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: no plan printed");
    }
}

/// `--conf-diff` of a site whose configuration moves from keepalived.conf to KDL files with
/// other names, meaning the same: no difference; one host's `@id` line changed: only that
/// host's text changes.
#[test]
fn conf_diff_is_the_same_across_formats_and_per_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path();
    init(repo);
    copy_tree(&workspace_root().join("examples").join("two-lbs"), repo);
    commit(repo, "keepalived.conf");
    replace_worktree(repo, &workspace_root().join("examples").join("two-lbs-kdl"));
    let out = kac_plan(repo, &["--conf-diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: kac_schema::plan_diff::PlanDiff =
        serde_json::from_slice(&out.stdout).expect("JSON plan diff");
    for h in &doc.sites[0].hosts {
        assert_eq!(h.conf_diff.as_deref(), Some(""), "{}", h.host);
    }
    commit(repo, "KDL");
    let kdl = repo.join("keepalived.kdl");
    let text = std::fs::read_to_string(&kdl).expect("keepalived.kdl");
    std::fs::write(
        &kdl,
        text.replacen("@lb2 router_id LB2", "@lb2 router_id LB2-NEW", 1),
    )
    .expect("write");
    let out = kac_plan(repo, &["--conf-diff", "--format", "json"]);
    let doc: kac_schema::plan_diff::PlanDiff =
        serde_json::from_slice(&out.stdout).expect("JSON plan diff");
    let diff = |host: &str| {
        doc.sites[0]
            .hosts
            .iter()
            .find(|h| h.host == host)
            .and_then(|h| h.conf_diff.clone())
            .expect("a conf diff")
    };
    assert_eq!(diff("lb1"), "");
    assert!(
        diff("lb2").contains("\n-    router_id LB2\n+    router_id LB2-NEW\n"),
        "{}",
        diff("lb2")
    );
    // Without --conf-diff the JSON has no such field.
    let out = kac_plan(repo, &["--format", "json"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("conf_diff"));
}

#[test]
fn repo_option_plans_a_subdirectory_and_reads_commits_without_checkout() {
    // A repository holding the site in a subdirectory; the plan is asked from outside it.
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    let site = dir.path().join("sites").join("edge");
    std::fs::create_dir_all(&site).expect("mkdir");
    copy_tree(&workspace_root().join("examples").join("two-lbs"), &site);
    commit(dir.path(), "first");
    let web = site.join("conf.d").join("web.conf");
    let text = std::fs::read_to_string(&web).expect("web.conf");
    std::fs::write(&web, text.replacen("weight 100", "weight 7", 1)).expect("write");
    commit(dir.path(), "second");
    // The working tree goes back to the first version; commits are still read from git.
    std::fs::write(&web, &text).expect("write");
    let out = Command::new(kac_bin())
        .args(["plan", "--repo"])
        .arg(&site)
        .args(["--from", "HEAD~1", "--to", "HEAD", "--format", "json"])
        .env("NO_COLOR", "1")
        .output()
        .expect("kac runs");
    assert_eq!(out.status.code(), Some(0));
    let doc: kac_schema::plan_diff::PlanDiff =
        serde_json::from_slice(&out.stdout).expect("JSON plan diff");
    assert_eq!(doc.sites.len(), 1);
    assert_eq!(doc.sites[0].site, "sites/edge");
    let lb1 = &doc.sites[0].hosts[0];
    assert_eq!(lb1.host, "lb1");
    let weight = lb1
        .changes
        .iter()
        .flat_map(|c| &c.fields)
        .find(|f| f.field == "weight")
        .expect("a weight change");
    assert_eq!(
        (weight.old.as_u64(), weight.new.as_u64()),
        (Some(100), Some(7))
    );
    // HEAD against the (reverted) working tree is the opposite change.
    let out = kac_plan(&site, &["--format", "json"]);
    let doc: kac_schema::plan_diff::PlanDiff =
        serde_json::from_slice(&out.stdout).expect("JSON plan diff");
    let weight = doc.sites[0].hosts[0]
        .changes
        .iter()
        .flat_map(|c| &c.fields)
        .find(|f| f.field == "weight")
        .expect("a weight change");
    assert_eq!(
        (weight.old.as_u64(), weight.new.as_u64()),
        (Some(7), Some(100))
    );
}

#[test]
fn symbolic_links_in_a_revision_are_followed_like_in_the_working_tree() {
    // conf.d is a link to shared/, and the entry config a link to a file in site/.
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path();
    init(repo);
    let two = workspace_root().join("examples").join("two-lbs");
    std::fs::create_dir_all(repo.join("site")).expect("mkdir");
    std::fs::create_dir_all(repo.join("shared")).expect("mkdir");
    copy_tree(&two.join("conf.d"), &repo.join("shared"));
    std::fs::copy(
        two.join("keepalived.conf"),
        repo.join("site").join("real.conf"),
    )
    .expect("copy");
    std::fs::copy(two.join("kac.kdl"), repo.join("site").join("kac.kdl")).expect("copy");
    std::os::unix::fs::symlink("../shared", repo.join("site").join("conf.d")).expect("symlink");
    std::os::unix::fs::symlink("real.conf", repo.join("site").join("keepalived.conf"))
        .expect("symlink");
    commit(repo, "first");
    // The committed tree and the working tree compile alike: no change.
    let out = kac_plan(repo, &["--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A change behind the link is seen between two commits.
    let web = repo.join("shared").join("web.conf");
    let text = std::fs::read_to_string(&web).expect("web.conf");
    std::fs::write(&web, text.replacen("weight 100", "weight 3", 1)).expect("write");
    commit(repo, "second");
    let out = kac_plan(
        repo,
        &["--from", "HEAD~1", "--to", "HEAD", "--detailed-exitcode"],
    );
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("weight: 100 -> 3"), "{text}");
}

/// `kac plan` lowers virtual servers as their blocks close (`lower_virtual_servers_early`):
/// the plan must be the one `kac compile` builds from the whole model, for every recorded
/// case and config id, and for every plan fixture.
#[test]
fn early_lowering_gives_the_same_plans_and_verdicts() {
    let mut entries: Vec<(PathBuf, Vec<Option<String>>)> = kac_tests::check_cases()
        .expect("fixtures/check")
        .into_iter()
        .map(|c| (c.conf(), vec![None, Some("lb1".into()), Some("lb2".into())]))
        .collect();
    for case in cases() {
        for side in ["from", "to"] {
            for e in std::fs::read_dir(case.join(side)).expect("side").flatten() {
                if e.path().extension().is_some_and(|x| x == "conf") {
                    entries.push((e.path(), vec![Some("lb1".into()), Some("lb2".into())]));
                }
            }
        }
    }
    let mut planned = 0;
    for (conf, ids) in entries {
        for id in ids {
            let opts = kac_compiler::Options {
                config_id: id.clone(),
                ..Default::default()
            };
            let early = kac_compiler::Options {
                lower_virtual_servers_early: true,
                ..opts.clone()
            };
            let shown = conf.to_string_lossy();
            let a = kac_compiler::compile_conf(&conf, &shown, "h", &opts);
            let b = kac_compiler::compile_conf(&conf, &shown, "h", &early);
            assert_eq!(a.plan, b.plan, "{} -i {id:?}", conf.display());
            assert_eq!(
                a.parsed.diagnostics,
                b.parsed.diagnostics,
                "{} -i {id:?}",
                conf.display()
            );
            planned += usize::from(a.plan.is_some_and(|p| !p.virtual_servers.is_empty()));
        }
    }
    assert!(
        planned > 50,
        "enough plans with virtual servers compared: {planned}"
    );
}
