//! Snapshots of diagnostics exactly as a user sees them: `kac check` stderr (miette's
//! graphical report, no colour) for representative rejected cases, one per error class.

use std::process::Command;

use kac_tests::{fixtures_dir, kac_bin};

const CASES: &[&str] = &[
    "err-unknown-keyword-instance",
    "err-vrid-out-of-range",
    "err-missing-param-priority",
    "err-vrid-conflict",
    "err-instance-duplicate-name",
    "err-vs-no-protocol",
    "err-rs-duplicate",
    "err-track-script-before-definition",
    "err-script-security-missing",
    "err-route-no-dev",
    "err-vip-family-mismatch",
    "lex-include-error-location",
    "lex-missing-close-brace-eof",
    "lex-extra-close-brace",
    "lex-unterminated-quote",
    "lex-seq-bad-definition",
];

#[test]
fn rendered_check_output() {
    for case in CASES {
        let dir = fixtures_dir().join(case);
        assert!(dir.is_dir(), "missing fixture {case}");
        let out = Command::new(kac_bin())
            .args([
                "check",
                "keepalived.conf",
                "-i",
                "lb1",
                "--interfaces",
                "lo,eth0,eth1,eth2,eth3",
            ])
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("run kac");
        assert_eq!(out.status.code(), Some(1), "{case} should be rejected");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        insta::assert_snapshot!(*case, stderr);
    }
}
