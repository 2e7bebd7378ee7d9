//! `kac plan --conf-diff`: a unified diff of one host's canonical keepalived.conf between the
//! two sides (see [`crate::doc::host_conf`] for the canonical text).

use std::time::Duration;

/// How long a diff of two very different large texts may search for the smallest diff before
/// it settles for a larger one (still correct).
const DIFF_TIMEOUT: Duration = Duration::from_secs(5);

/// The unified diff (3 lines of context) from `old` to `new`, headed `--- old_name` and
/// `+++ new_name`; empty when the texts are equal.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff_and_changes_are_unified_hunks() {
        assert_eq!(unified("a\nb\n", "a\nb\n", "x", "y"), "");
        let d = unified("a\nb\nc\n", "a\nB\nc\n", "lb1 @ HEAD", "lb1 @ working tree");
        assert_eq!(
            d,
            "--- lb1 @ HEAD\n+++ lb1 @ working tree\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }
}
