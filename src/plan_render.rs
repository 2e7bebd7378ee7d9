//! Rendering a [`PlanDiff`] for people: text for a terminal (grouped per site and host,
//! coloured only when asked) and Markdown for a pull request comment. The JSON form is the
//! document itself.

use std::fmt::Write as _;

use kac_compiler::review::keys::seconds_us;
use kac_schema::plan_diff::{
    Action, Change, FieldChange, Hazard, HostDiff, HostStatus, ObjectKind, ObjectRef, PlanDiff,
    Revision, Side, SiteDiff,
};

/// What a kind of object is called in prose.
fn kind_name(k: ObjectKind) -> &'static str {
    match k {
        ObjectKind::Global => "global settings",
        ObjectKind::StaticAddress => "static address",
        ObjectKind::StaticRoute => "static route",
        ObjectKind::StaticRule => "static rule",
        ObjectKind::VrrpScript => "VRRP script",
        ObjectKind::TrackFile => "track file",
        ObjectKind::VrrpSyncGroup => "sync group",
        ObjectKind::VrrpInstance => "VRRP instance",
        ObjectKind::Vip => "VIP",
        ObjectKind::ExcludedVip => "excluded VIP",
        ObjectKind::VirtualRoute => "virtual route",
        ObjectKind::VirtualRule => "virtual rule",
        ObjectKind::VirtualServer => "virtual server",
        ObjectKind::RealServer => "real server",
        ObjectKind::Checker => "checker",
        ObjectKind::Link => "link",
    }
}

fn object_text(o: &ObjectRef) -> String {
    if o.object == ObjectKind::Global {
        return kind_name(o.object).to_string();
    }
    format!("{} {}", kind_name(o.object), o.key)
}

/// A field value for people: durations in seconds, `none` for unset, lists compact.
fn value_text(field: &str, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_u64() {
            Some(us) if field.ends_with("_us") => seconds_us(us),
            Some(s) if field.ends_with("_s") => format!("{s}s"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The field's name without the unit suffix its value now shows.
fn field_text(f: &FieldChange) -> String {
    let unit = matches!(f.old, serde_json::Value::Number(_))
        || matches!(f.new, serde_json::Value::Number(_));
    let name = f.field.as_str();
    let name = if unit {
        name.strip_suffix("_us")
            .or_else(|| name.strip_suffix("_s"))
            .unwrap_or(name)
    } else {
        name
    };
    name.to_string()
}

/// The line for one change (without indentation), and its field lines.
fn change_lines(c: &Change) -> (char, String, Vec<String>) {
    let me = object_text(&ObjectRef {
        object: c.object,
        key: c.key.clone(),
    });
    let with_summary = |s: String| match &c.summary {
        Some(sum) => format!("{s} ({sum})"),
        None => s,
    };
    let fields: Vec<String> = c
        .fields
        .iter()
        .map(|f| {
            format!(
                "{}: {} -> {}",
                field_text(f),
                value_text(&f.field, &f.old),
                value_text(&f.field, &f.new)
            )
        })
        .collect();
    match c.action {
        Action::Added => ('+', with_summary(me), fields),
        Action::Removed => ('-', with_summary(me), fields),
        Action::Changed => ('~', me, fields),
        Action::Moved => {
            let from = c
                .moved_from
                .as_ref()
                .and_then(|m| m.last())
                .map_or_else(|| "?".into(), |o| o.key.clone());
            let to = c
                .within
                .last()
                .map_or_else(|| "?".into(), |o| o.key.clone());
            let line = format!("{me} moves from VRRP instance {from} to {to}");
            ('~', with_summary(line), fields)
        }
        Action::DrainedThenRemoved => {
            // The plan knows its own default; `kac daemon --drain-period` overrides it.
            let period = match c.drain_s {
                Some(s) => format!("the daemon's drain period: {s}s unless --drain-period sets it"),
                None => "the daemon's drain period".to_string(),
            };
            let what = if c.object == ObjectKind::VirtualServer {
                "its real servers at weight 0"
            } else {
                "weight 0"
            };
            (
                '-',
                format!("{me} is drained ({what} for {period}), then removed"),
                fields,
            )
        }
    }
}

/// Lines of one host's changes, nested under their parents (two spaces a level); a parent
/// that is not itself changed gets a `~` header line.
fn host_change_lines(h: &HostDiff) -> Vec<(usize, char, String)> {
    let mut out = Vec::new();
    let mut context: Vec<ObjectRef> = Vec::new();
    for c in &h.changes {
        let common = context
            .iter()
            .zip(&c.within)
            .take_while(|(a, b)| a == b)
            .count();
        for (depth, parent) in c.within.iter().enumerate().skip(common) {
            out.push((depth, '~', object_text(parent)));
        }
        let depth = c.within.len();
        let (sign, line, fields) = change_lines(c);
        out.push((depth, sign, line));
        for f in fields {
            out.push((depth + 2, ' ', f));
        }
        context = c.within.clone();
        if c.action == Action::Changed {
            context.push(ObjectRef {
                object: c.object,
                key: c.key.clone(),
            });
        }
    }
    out
}

fn short(r: &Revision) -> String {
    match &r.commit {
        Some(c) => format!("{} ({})", r.rev, c.get(..7).unwrap_or(c)),
        None => r.rev.clone(),
    }
}

/// Whether the old side is the running host (`kac plan --live`: no commit there).
fn is_live(d: &PlanDiff) -> bool {
    d.from.commit.is_none()
}

fn status_text(h: &HostDiff, live: bool) -> String {
    let n = h.changes.len();
    let changes = format!("{n} change{}", if n == 1 { "" } else { "s" });
    match h.status {
        HostStatus::Unchanged => "no changes".into(),
        HostStatus::Changed => changes,
        HostStatus::Added => format!("new host, {changes}"),
        HostStatus::Removed => "removed (every object of the host goes away)".into(),
        HostStatus::Failed if live && h.errors.iter().all(|e| e.side == Side::From) => {
            "cannot be applied: objects it wants are in the way on this host".into()
        }
        HostStatus::Failed => {
            let sides: Vec<&str> = h
                .errors
                .iter()
                .map(|e| match e.side {
                    Side::From => "--from",
                    Side::To => "--to",
                })
                .collect();
            format!("does not compile at {}", sides.join(" and "))
        }
    }
}

fn summary_text(d: &PlanDiff) -> String {
    let s = &d.summary;
    let unchanged = s.hosts
        - s.hosts_changed
        - s.hosts_added
        - s.hosts_removed
        - d.sites
            .iter()
            .flat_map(|x| &x.hosts)
            .filter(|h| h.status == HostStatus::Failed)
            .count();
    format!(
        "{} host(s): {} changed, {} added, {} removed, {unchanged} unchanged, {} failed; {} change(s), {} hazard(s)",
        s.hosts, s.hosts_changed, s.hosts_added, s.hosts_removed, s.failed, s.changes, s.hazards
    )
}

struct Paint {
    on: bool,
}

impl Paint {
    fn sign(&self, sign: char, s: &str) -> String {
        let code = match sign {
            '+' => "32",
            '-' => "31",
            '~' => "33",
            _ => return s.to_string(),
        };
        self.wrap(code, s)
    }

    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn hazard_line(z: &Hazard) -> String {
    let hosts = if z.hosts.is_empty() {
        String::new()
    } else {
        format!(" [{}]", z.hosts.join(", "))
    };
    format!("{}{hosts}: {}", z.kind.name(), z.reason)
}

/// The human text (`color`: ANSI colours).
pub fn text(d: &PlanDiff, color: bool) -> String {
    let p = Paint { on: color };
    let mut o = String::new();
    let _ = writeln!(o, "kac plan: {} -> {}", short(&d.from), short(&d.to));
    if d.sites.is_empty() {
        let _ = writeln!(o, "\nno site and no keepalived.conf found on either side");
    }
    for s in &d.sites {
        site_text(&mut o, s, &p, is_live(d));
    }
    let _ = write!(o, "\n{}", summary_text(d));
    o
}

fn site_text(o: &mut String, s: &SiteDiff, p: &Paint, live: bool) {
    let _ = writeln!(o, "\n{}", p.wrap("1", &format!("site {}", s.site)));
    for e in &s.errors {
        let side = match e.side {
            Side::From => "--from",
            Side::To => "--to",
        };
        let _ = writeln!(
            o,
            "  {}",
            p.wrap("31", &format!("the site cannot be read at {side}:"))
        );
        for diag in &e.diagnostics {
            let _ = writeln!(o, "    {}: {} [{}]", diag.severity, diag.message, diag.code);
        }
    }
    for h in &s.hosts {
        let _ = writeln!(o, "  host {}: {}", h.host, status_text(h, live));
        for e in &h.errors {
            for diag in &e.diagnostics {
                let at = match (&diag.file, diag.line) {
                    (Some(f), Some(l)) => format!(" at {f}:{l}"),
                    _ => String::new(),
                };
                let _ = writeln!(
                    o,
                    "    {}",
                    p.wrap(
                        "31",
                        &format!("{}: {}{at} [{}]", diag.severity, diag.message, diag.code)
                    )
                );
            }
        }
        for (depth, sign, line) in host_change_lines(h) {
            let indent = "  ".repeat(depth + 2);
            let text = if sign == ' ' {
                line
            } else {
                format!("{sign} {line}")
            };
            let _ = writeln!(o, "{indent}{}", p.sign(sign, &text));
        }
        for z in &h.hazards {
            let _ = writeln!(
                o,
                "    {}",
                p.wrap("1;35", &format!("! hazard {}", hazard_line(z)))
            );
        }
        if let Some(d) = &h.conf_diff {
            conf_diff_text(o, d, p);
        }
    }
    if !s.hazards.is_empty() {
        let _ = writeln!(o, "  hazards across hosts:");
        for z in &s.hazards {
            let _ = writeln!(
                o,
                "    {}",
                p.wrap("1;35", &format!("! {}", hazard_line(z)))
            );
        }
    }
}

/// A host's keepalived.conf diff (`--conf-diff`), indented under the host.
fn conf_diff_text(o: &mut String, diff: &str, p: &Paint) {
    if diff.is_empty() {
        let _ = writeln!(o, "    keepalived.conf: no difference");
        return;
    }
    let _ = writeln!(o, "    keepalived.conf:");
    for line in diff.lines() {
        let code = match line.as_bytes().first() {
            _ if line.starts_with("---") || line.starts_with("+++") => "1",
            Some(b'+') => "32",
            Some(b'-') => "31",
            Some(b'@') => "36",
            _ => "",
        };
        let text = if code.is_empty() {
            line.to_string()
        } else {
            p.wrap(code, line)
        };
        let _ = writeln!(o, "      {}", text.trim_end());
    }
}

/// Markdown for a pull request comment: a summary, the hazards, then one `diff` block per
/// changed host.
pub fn markdown(d: &PlanDiff) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "### kac plan: `{}` → `{}`\n",
        short(&d.from),
        short(&d.to)
    );
    let _ = writeln!(o, "{}\n", summary_text(d));
    let hazards: Vec<(&str, &Hazard)> = d
        .sites
        .iter()
        .flat_map(|s| {
            s.hazards.iter().map(|z| (s.site.as_str(), z)).chain(
                s.hosts
                    .iter()
                    .flat_map(move |h| h.hazards.iter().map(move |z| (s.site.as_str(), z))),
            )
        })
        .collect();
    if !hazards.is_empty() {
        let _ = writeln!(o, "#### ⚠️ Hazards\n");
        for (site, z) in hazards {
            let _ = writeln!(
                o,
                "- **{}** ({site}{}): {}",
                z.kind.name(),
                if z.hosts.is_empty() {
                    String::new()
                } else {
                    format!(": {}", z.hosts.join(", "))
                },
                escape(&z.reason)
            );
        }
        o.push('\n');
    }
    for s in &d.sites {
        for e in &s.errors {
            let _ = writeln!(o, "#### {}: the site cannot be read\n", s.site);
            for diag in &e.diagnostics {
                fence(&mut o, "text", &diag.rendered);
            }
        }
        for h in &s.hosts {
            let _ = writeln!(
                o,
                "#### {} · {}: {}\n",
                s.site,
                h.host,
                status_text(h, is_live(d))
            );
            for e in &h.errors {
                let mut block = String::new();
                for diag in &e.diagnostics {
                    block.push_str(&diag.rendered);
                }
                fence(&mut o, "text", &block);
            }
            if !h.changes.is_empty() {
                let mut block = String::new();
                for (depth, sign, line) in host_change_lines(h) {
                    let indent = "  ".repeat(depth);
                    let _ = writeln!(block, "{sign} {indent}{line}");
                }
                fence(&mut o, "diff", &block);
            }
            match h.conf_diff.as_deref() {
                Some("") => {
                    let _ = writeln!(o, "keepalived.conf of {}: no difference\n", h.host);
                }
                Some(d) => {
                    let _ = writeln!(o, "keepalived.conf of {}:\n", h.host);
                    fence(&mut o, "diff", d);
                }
                None => {}
            }
        }
    }
    o.trim_end().to_string()
}

/// A fenced code block (the fence longer than any backtick run inside).
fn fence(o: &mut String, lang: &str, body: &str) {
    let mut longest = 0;
    let mut run = 0;
    for ch in body.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let ticks = "`".repeat((longest + 1).max(3));
    let _ = writeln!(o, "{ticks}{lang}\n{}\n{ticks}\n", body.trim_end());
}

/// Markdown-escapes prose that may hold `*`, `_`, `<` or `|`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '*' | '_' | '<' | '>' | '|' | '`' | '[' | ']') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
