//! The shape table (kac-schema's `keywords.shapes`) and the keyword tables of the
//! keepalived.conf front end name the same keywords in the same blocks, with the same kinds.

use kac_schema::doc::shape::{Kind, shapes};

use crate::conf::grammar::{global, lvs, vrrp};
use crate::conf::parser::{Act, Kw};

/// Each keyword of `table` (and the tables it includes) with its kind: "block", "values",
/// "leaf" or "flag" (a generic setting without arguments).
fn kinds<T>(table: &'static [Kw<T>], out: &mut Vec<(&'static str, &'static str)>) {
    for k in table {
        let kind = match &k.act {
            Act::Include(inner) => {
                kinds(inner, out);
                continue;
            }
            Act::Deprecated(_, inner) | Act::Silent(inner) => act_kind(inner),
            act => act_kind(act),
        };
        out.push((k.name, kind));
    }
}

fn act_kind<T>(act: &Act<T>) -> &'static str {
    match act {
        Act::Block(_) => "block",
        Act::Values(_) => "values",
        Act::Generic([]) => "flag",
        Act::Deprecated(_, inner) | Act::Silent(inner) => act_kind(inner),
        _ => "leaf",
    }
}

fn compare<T>(id: &str, table: &'static [Kw<T>], problems: &mut Vec<String>) {
    let s = shapes();
    let Some(block) = s.block(id) else {
        problems.push(format!("no block `{id}` in the shape table"));
        return;
    };
    let mut table_kws = Vec::new();
    kinds(table, &mut table_kws);
    let shape_kws = s.keywords(block);
    for (name, kind) in &table_kws {
        let Some(k) = shape_kws.iter().find(|k| k.name == *name) else {
            problems.push(format!("{id}: `{name}` has no shape"));
            continue;
        };
        let ok = match (&k.kind, *kind) {
            (Kind::Block(_), "block") | (Kind::Values(_), "values") => true,
            // A named value block (`virtual_server_group NAME { … }`) has a block handler.
            (Kind::Values(_), "block") => !k.args.params.is_empty(),
            (Kind::Leaf | Kind::Script, "leaf") => true,
            (Kind::Flag, "flag" | "leaf") => true,
            _ => false,
        };
        if !ok {
            problems.push(format!(
                "{id}: `{name}` is a {kind} but its shape says {:?}",
                k.kind
            ));
        }
    }
    for k in shape_kws {
        if !table_kws.iter().any(|(n, _)| *n == k.name) {
            problems.push(format!(
                "{id}: shape `{}` is no keyword of this block",
                k.name
            ));
        }
    }
}

#[test]
fn shapes_match_the_keyword_tables() {
    assert!(shapes().errors.is_empty(), "{:#?}", shapes().errors);
    let mut p = Vec::new();
    compare("top", global::TOP, &mut p);
    compare("global_defs", global::GLOBAL_DEFS, &mut p);
    compare("vrrp_instance", vrrp::VRRP_INSTANCE, &mut p);
    compare("authentication", vrrp::AUTHENTICATION, &mut p);
    compare("vrrp_script", vrrp::VRRP_SCRIPT, &mut p);
    compare("track_file", vrrp::TRACK_FILE, &mut p);
    compare("vrrp_track_process", vrrp::TRACK_PROCESS, &mut p);
    compare("vrrp_sync_group", vrrp::SYNC_GROUP, &mut p);
    compare("track_group", vrrp::TRACK_GROUP, &mut p);
    compare("garp_group", vrrp::GARP_GROUP, &mut p);
    compare("bfd_instance", lvs::BFD, &mut p);
    compare("SSL", lvs::SSL, &mut p);
    compare("virtual_server", lvs::VIRTUAL_SERVER, &mut p);
    compare("real_server", lvs::REAL_SERVER, &mut p);
    compare("timing", lvs::TIMING_CHECK, &mut p);
    compare("checker", lvs::COMMON_CHECK, &mut p);
    compare("HTTP_GET", lvs::HTTP_CHECK, &mut p);
    compare("url", lvs::URL, &mut p);
    compare("SMTP_CHECK", lvs::SMTP_CHECK, &mut p);
    compare("DNS_CHECK", lvs::DNS_CHECK, &mut p);
    compare("MISC_CHECK", lvs::MISC_CHECK, &mut p);
    compare("UDP_CHECK", lvs::UDP_CHECK, &mut p);
    compare("FILE_CHECK", lvs::FILE_CHECK, &mut p);
    compare("BFD_CHECK", lvs::BFD_CHECK, &mut p);
    assert!(
        p.is_empty(),
        "shape table and keyword tables disagree:\n{}",
        p.join("\n")
    );
}

/// The keywords whose handlers read their arguments with `common::script` or
/// `split_script_words` (grep the grammar for them).
const SCRIPT_KEYWORDS: &[&str] = &[
    "startup_script",
    "shutdown_script",
    "notify_fifo_script",
    "vrrp_notify_fifo_script",
    "lvs_notify_fifo_script",
    "script",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify_master_rx_lower_pri",
    "notify_deleted",
    "notify",
    "quorum_up",
    "quorum_down",
    "notify_up",
    "notify_down",
    "misc_path",
    "regex",
];

#[test]
fn script_shapes_are_the_script_keywords() {
    // A keyword read with keepalived's script tokenizer keeps quotes and escapes in its
    // command line: its shape must say so, or KDL/YAML values would be quoted the wrong way.
    let s = shapes();
    for b in &s.blocks {
        for k in &b.keywords {
            let script_name = SCRIPT_KEYWORDS.contains(&k.name.as_str());
            assert_eq!(
                k.kind == Kind::Script,
                script_name,
                "{}: `{}` shape {:?}",
                b.id,
                k.name,
                k.kind
            );
        }
    }
}
