//! "Nothing accepted silently": the keywords a configuration uses, judged by what the runtime
//! carries out ([`kac_reconciler::support`]), as diagnostics naming each keyword where it is
//! first written.
//!
//! * `kac daemon` carries out VRRP instances (its VRRP engine) and refuses a revision that
//!   uses anything not carried out (VRRP tracking, notify scripts, VMAC, health checkers and
//!   their semantics until they exist, and what kac never does: BFD, SNMP, DBus, SMTP alerts,
//!   notify FIFOs, link beat, …);
//! * `kac apply` owns static addresses, routes and rules and IPVS (real servers at their
//!   configured weights): it leaves VRRP and health checking to the daemon with a warning
//!   naming each keyword, and refuses what kac never carries out, like the daemon;
//! * keywords without effect (for a stated reason) are reported as advice.

use kac_compiler::KeywordUse;
use kac_reconciler::support::{Support, support};
use kac_schema::{Diagnostic, Severity};

/// Which command judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Runtime {
    /// `kac apply`.
    Apply,
    /// `kac daemon`.
    Daemon,
}

/// Diagnostic codes.
pub(crate) const NOT_CARRIED_OUT: &str = "kac::runtime::not-carried-out";
/// `kac apply` leaves it to the daemon.
pub(crate) const LEFT_TO_DAEMON: &str = "kac::apply::left-to-daemon";
/// Accepted, without effect.
pub(crate) const NO_EFFECT: &str = "kac::runtime::no-effect";

/// The diagnostics of `keywords` for `runtime`, in keyword order.
pub(crate) fn diagnostics(keywords: &[KeywordUse], runtime: Runtime) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for k in keywords {
        let kw = k.keyword;
        let (code, severity, message, help) = match support(k.block, kw) {
            Some(Support::Done | Support::Inside) => continue,
            Some(Support::Daemon(_)) if runtime == Runtime::Daemon => continue,
            Some(Support::Daemon(what)) => {
                // Health checking's keywords live in virtual servers and their checkers.
                let checking = matches!(
                    k.block,
                    "virtual_server" | "virtual_server_group" | "real_server"
                ) || k.block.ends_with("_CHECK")
                    || k.block.ends_with("_GET");
                let weights = if checking {
                    "; real servers are applied at their configured weights"
                } else {
                    ""
                };
                (
                    LEFT_TO_DAEMON,
                    Severity::Warning,
                    format!("`{kw}` is not applied by `kac apply`: {what} are the daemon's job{weights}"),
                    "run `kac daemon` on this host to carry them out (docs/daemon.md)".to_string(),
                )
            }
            Some(Support::NoEffect(why)) => (
                NO_EFFECT,
                Severity::Advice,
                format!("`{kw}` has no effect with kac"),
                why.to_string(),
            ),
            Some(Support::Vrrp(what) | Support::Checker(what)) if runtime == Runtime::Apply => {
                let weights = if matches!(support(k.block, kw), Some(Support::Checker(_))) {
                    "; real servers are applied at their configured weights"
                } else {
                    ""
                };
                (
                    LEFT_TO_DAEMON,
                    Severity::Warning,
                    format!("`{kw}` is not applied by `kac apply`: {what} are the daemon's job{weights}"),
                    "`kac daemon` does not carry them out yet either (docs/daemon.md)".to_string(),
                )
            }
            Some(Support::Vrrp(what) | Support::Checker(what)) => (
                NOT_CARRIED_OUT,
                Severity::Error,
                format!("`{kw}` is not carried out by `kac daemon` yet: {what} are not implemented"),
                "remove it, or keep this host on keepalived until kac carries it out (docs/daemon.md)"
                    .to_string(),
            ),
            Some(Support::Refused(why)) => (
                NOT_CARRIED_OUT,
                Severity::Error,
                format!("`{kw}` is not carried out by kac"),
                format!("{why}; remove it (docs/daemon.md lists what kac carries out)"),
            ),
            None => (
                NOT_CARRIED_OUT,
                Severity::Error,
                format!("`{kw}` in `{}` is not known to kac's runtime", k.block),
                "report this: every keyword should be carried out or refused".to_string(),
            ),
        };
        let label = if k.count > 1 {
            format!("written here and {} more time(s)", k.count - 1)
        } else {
            "written here".to_string()
        };
        out.push(
            Diagnostic::new(code, severity, message)
                .with_primary(k.first, label)
                .with_help(help),
        );
    }
    out
}
