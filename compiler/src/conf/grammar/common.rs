//! Helpers shared by the keyword tables.

use kac_schema::Diagnostic;
use kac_schema::config::{Script, Spanned, Tracked};

use crate::codes;
use crate::conf::parser::{Line, Parser};
use crate::conf::words::split_script_words;

/// `Kw { name, act: Act::Leaf(f) }`.
macro_rules! leaf {
    ($name:literal, $f:expr) => {
        $crate::conf::parser::Kw {
            name: $name,
            act: $crate::conf::parser::Act::Leaf($f),
        }
    };
}
/// `Kw { name, act: Act::Block(f) }`.
macro_rules! block {
    ($name:literal, $f:expr) => {
        $crate::conf::parser::Kw {
            name: $name,
            act: $crate::conf::parser::Act::Block($f),
        }
    };
}
/// `Kw { name, act: Act::Values(f) }`.
macro_rules! values {
    ($name:literal, $f:expr) => {
        $crate::conf::parser::Kw {
            name: $name,
            act: $crate::conf::parser::Act::Values($f),
        }
    };
}
/// `Kw { name, act: Act::Generic(&[args]) }`.
macro_rules! generic {
    ($name:literal $(, $a:expr)*) => {
        $crate::conf::parser::Kw { name: $name, act: $crate::conf::parser::Act::Generic(&[$($a),*]) }
    };
}
pub(crate) use {block, generic, leaf, values};

/// A script keyword: the command line (split like keepalived), then optional USER [GROUP].
pub fn script(p: &mut Parser<'_>, line: &Line, from: usize) -> Option<Script> {
    p.req(line, from)?;
    let words = match split_script_words(line.raw_from(from)) {
        Ok(w) => w,
        Err(_) => {
            p.report(
                Diagnostic::error(
                    codes::UNTERMINATED_QUOTE,
                    format!("`{}` has an unterminated quote", line.keyword()),
                )
                .with_primary(line.span_from(from), "quote never closed")
                .with_help("close the quote around the command line"),
            );
            return None;
        }
    };
    let Some(cmd) = words.first() else {
        p.req(line, line.len());
        return None;
    };
    let argv = match split_script_words(cmd) {
        Ok(a) if !a.is_empty() => a,
        _ => vec![cmd.clone()],
    };
    if !argv[0].starts_with('/') {
        // keepalived resolves it (through PATH, or against its working directory) and says
        // nothing when it finds it: kac-only advice (lint rule `relative-script-path`).
        p.report(
            Diagnostic::new(
                codes::WARNING,
                kac_schema::Severity::Advice,
                format!("script `{}` is not an absolute path", argv[0]),
            )
            .with_primary(line.span(from), "relative path")
            .with_help(
                "keepalived searches PATH for it and checks its security; write the full path",
            ),
        );
    }
    if words.len() > 3 {
        p.extra(line, from + 3);
    }
    p.script_spans.push((line.line_span(), words.len() > 1));
    Some(Script {
        argv,
        user: words.get(1).cloned(),
        group: words.get(2).cloned(),
        span: line.line_span(),
    })
}

/// Stores a notify-like script, reporting a second occurrence.
pub fn set_once(p: &mut Parser<'_>, slot: &mut Option<Script>, line: &Line) {
    let s = script(p, line, 1);
    if slot.is_some() {
        p.warn(
            codes::DUPLICATE,
            format!("`{}` already specified", line.keyword()),
            line.span(0),
            "second occurrence",
        )
        .help = Some("keep one; keepalived replaces the first".into());
    }
    if s.is_some() {
        *slot = s;
    }
}

/// A boolean keyword (bare = true) stored into `slot`.
pub fn bool_kw(p: &mut Parser<'_>, slot: &mut Option<bool>, line: &Line) {
    if let Some(b) = p.boolean(line, 1) {
        *slot = Some(b);
    }
    p.extra(line, 2);
}

/// Which registry a tracked name is looked up in.
#[derive(Clone, Copy)]
pub enum TrackKind {
    /// `track_interface`.
    Interface,
    /// `track_script` (vrrp_script defined earlier).
    Script,
    /// `track_file` (track_file defined earlier).
    File,
    /// `track_process` (vrrp_track_process defined earlier).
    Process,
    /// `track_bfd` (bfd_instance defined earlier).
    Bfd,
}

/// One entry of a `track_*` block: `NAME [weight W [reverse|noreverse]]`.
pub fn tracked(p: &mut Parser<'_>, line: &Line, kind: TrackKind, owner: &str) -> Option<Tracked> {
    let name = line.w(0).to_string();
    let (defined, what) = match kind {
        TrackKind::Interface => (true, "interface"),
        TrackKind::Script => (p.names.scripts.contains(&name), "script"),
        TrackKind::File => (p.names.track_files.contains(&name), "file"),
        TrackKind::Process => (p.names.processes.contains(&name), "process"),
        TrackKind::Bfd => (p.names.bfds.contains(&name), "bfd"),
    };
    if matches!(kind, TrackKind::Interface) {
        super::ip::check_interface(p, line, 0, &name);
    }
    if !defined {
        let block = match kind {
            TrackKind::Script => "vrrp_script",
            TrackKind::File => "track_file",
            TrackKind::Process => "vrrp_track_process",
            _ => "bfd_instance",
        };
        p.report(
            Diagnostic::error(codes::UNDEFINED_REFERENCE, format!("({owner}) track {what} `{name}` not found"))
                .with_primary(line.span(0), format!("no {block} `{name}` is defined before this line"))
                .with_help(format!("keepalived resolves names in file order: define `{block} {name}` earlier, or fix the name")),
        );
        return None;
    }
    let (lo, hi) = match kind {
        TrackKind::Bfd => (-253, 253),
        _ => (-254, 254),
    };
    let mut t = Tracked {
        name: Spanned::new(name, line.span(0)),
        weight: None,
        reverse: false,
        noreverse: false,
    };
    let mut i = 1;
    while i < line.len() {
        match line.w(i) {
            "weight" => {
                if let Some(w) = p.int(line, i + 1, lo, hi) {
                    if matches!(kind, TrackKind::Interface | TrackKind::Script) && w.abs() == 254 {
                        p.warn(
                            codes::CORRECTED_VALUE,
                            format!("weight {w} is out of range"),
                            line.span(i + 1),
                            "must be -253..253",
                        )
                        .help = Some("keepalived uses ±253".into());
                    }
                    t.weight = Some(w as i32);
                }
                i += 2;
            }
            "reverse" => {
                t.reverse = true;
                i += 1;
            }
            "noreverse" => {
                t.noreverse = true;
                i += 1;
            }
            _ => {
                let w = line.w(i).to_string();
                p.error(
                    codes::INVALID_VALUE,
                    format!("unknown track option `{w}`"),
                    line.span(i),
                    "expected `weight` or `reverse`",
                );
                i += 1;
            }
        }
    }
    Some(t)
}

/// `weight W [reverse|noreverse]` of a script/file/process definition.
pub fn weight_reverse(p: &mut Parser<'_>, line: &Line, lo: i64, hi: i64) -> Option<(i32, bool)> {
    let w = p.int(line, 1, lo, hi)?;
    let rev = match line.word(2) {
        Some("reverse") => true,
        Some("noreverse") | None => false,
        Some(_) => {
            let x = line.w(2).to_string();
            p.error(
                codes::INVALID_VALUE,
                format!("unknown weight option `{x}`"),
                line.span(2),
                "expected `reverse`",
            );
            false
        }
    };
    p.extra(line, 3);
    Some((w as i32, rev))
}

/// A block name: exactly one word after the keyword.
pub fn block_name(p: &mut Parser<'_>, line: &Line) -> Option<Spanned<String>> {
    if line.len() != 2 {
        let kw = line.keyword().to_string();
        p.report(
            Diagnostic::error(codes::MISSING_NAME, format!("`{kw}` must have a name"))
                .with_primary(
                    line.line_span(),
                    if line.len() < 2 {
                        "no name"
                    } else {
                        "more than one word"
                    },
                )
                .with_help(format!("write `{kw} NAME {{`; the whole block is skipped")),
        );
        p.skip_block();
        return None;
    }
    Some(Spanned::new(line.w(1).to_string(), line.span(1)))
}
