//! Every command a configuration makes keepalived run, for the script rules.

use kac_schema::Span;
use kac_schema::config::{CheckerKind, Config, Notify, Script, VirtualServer};

/// A command keepalived runs, and what runs it.
pub(crate) struct Command<'a> {
    /// What runs it, for messages (`notify_master of vrrp_instance VI_1`).
    pub what: String,
    /// The program (the first word of the command line).
    pub program: &'a str,
    /// Where the command is written.
    pub span: Span,
}

fn command<'a>(what: String, s: &'a Script) -> Option<Command<'a>> {
    Some(Command {
        what,
        program: s.argv.first()?,
        span: s.span,
    })
}

fn notify<'a>(n: &'a Notify, owner: &str, out: &mut Vec<Command<'a>>) {
    let all = [
        ("notify_master", &n.master),
        ("notify_backup", &n.backup),
        ("notify_fault", &n.fault),
        ("notify_stop", &n.stop),
        ("notify_master_rx_lower_pri", &n.master_rx_lower_pri),
        ("notify_deleted", &n.deleted),
        ("notify", &n.any),
    ];
    for (kw, s) in all {
        if let Some(c) = s
            .as_ref()
            .and_then(|s| command(format!("{kw} of {owner}"), s))
        {
            out.push(c);
        }
    }
}

/// The commands of a configuration outside its virtual servers, in file order per kind.
pub(crate) fn of_config(cfg: &Config) -> Vec<Command<'_>> {
    let mut out = Vec::new();
    for s in &cfg.global.other {
        if s.keyword.ends_with("_script")
            && let Some(program) = s.args.first()
        {
            out.push(Command {
                what: format!("`{}`", s.keyword),
                program,
                span: s.span,
            });
        }
    }
    for v in &cfg.vrrp_scripts {
        if let Some(c) = v
            .script
            .as_ref()
            .and_then(|s| command(format!("vrrp_script {}", v.name.value), s))
        {
            out.push(c);
        }
    }
    for i in &cfg.vrrp_instances {
        notify(
            &i.notify,
            &format!("vrrp_instance {}", i.name.value),
            &mut out,
        );
    }
    for g in &cfg.sync_groups {
        notify(
            &g.notify,
            &format!("vrrp_sync_group {}", g.name.value),
            &mut out,
        );
    }
    out
}

/// The commands of one virtual server: quorum scripts, real server notifications, MISC_CHECK.
pub(crate) fn of_virtual_server(vs: &VirtualServer) -> Vec<Command<'_>> {
    let mut out = Vec::new();
    for (kw, s) in [
        ("quorum_up", &vs.quorum_up),
        ("quorum_down", &vs.quorum_down),
    ] {
        if let Some(c) = s.as_ref().and_then(|s| command(kw.to_string(), s)) {
            out.push(c);
        }
    }
    for rs in &vs.real_servers {
        for (kw, s) in [
            ("notify_up", &rs.notify_up),
            ("notify_down", &rs.notify_down),
        ] {
            if let Some(c) = s
                .as_deref()
                .and_then(|s| command(format!("{kw} of real server {}", rs.addr), s))
            {
                out.push(c);
            }
        }
        for ch in &rs.checkers {
            if let CheckerKind::Misc { path: Some(s), .. } = &ch.kind
                && let Some(c) = command(format!("MISC_CHECK of real server {}", rs.addr), s)
            {
                // `misc_path "</path"` tests whether a file can be opened: nothing runs.
                if !c.program.starts_with('<') {
                    out.push(c);
                }
            }
        }
    }
    out
}
