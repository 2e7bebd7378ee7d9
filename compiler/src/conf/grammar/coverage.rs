//! Every keyword of keepalived 2.2.7 (fixtures/keywords.tsv, verified with `keepalived -t`)
//! is known to kac in the right block.

use std::path::Path;

use crate::conf::parser::{Kw, find_kw};
use crate::conf::preproc::InMemory;
use crate::{Options, parse_conf_with};

use super::{global, lvs, vrrp};

/// Keywords keepalived 2.2.7 (Debian's build) does not accept either: kac must not.
const NOT_IN_THIS_BUILD: &[&str] = &["vrrp_ipsets"];

fn known<T>(table: &'static [Kw<T>], kw: &str) -> bool {
    find_kw(table, kw).is_some()
}

/// Whether an entry option is understood in a value block (no "unknown … option").
fn entry_option_known(block: &str, entry: &str) -> bool {
    let text = format!("{block} {{\n    {entry}\n}}\n");
    let parsed = parse_conf_with(
        &InMemory::new("k.conf", text),
        Path::new("k.conf"),
        "k.conf",
        &Options::default(),
    );
    !parsed
        .diagnostics
        .iter()
        .any(|d| d.message.starts_with("unknown ") && d.message.contains("option"))
}

#[test]
fn every_keepalived_keyword_is_known() {
    let tsv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/keywords.tsv"
    ))
    .expect("fixtures/keywords.tsv");
    let mut missing = Vec::new();
    let mut checked = 0;
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (block, kw) = (cols[0], cols[1]);
        if NOT_IN_THIS_BUILD.contains(&kw) {
            continue;
        }
        let ok = match block {
            "top" if kw.starts_with("include") => continue,
            "top" => known(global::TOP, kw),
            "global_defs" => known(global::GLOBAL_DEFS, kw),
            "vrrp_instance" => known(vrrp::VRRP_INSTANCE, kw),
            "vrrp_instance.authentication" => known(vrrp::AUTHENTICATION, kw),
            "vrrp_script" => known(vrrp::VRRP_SCRIPT, kw),
            "track_file" => known(vrrp::TRACK_FILE, kw),
            "vrrp_track_process" => known(vrrp::TRACK_PROCESS, kw),
            "vrrp_sync_group" => known(vrrp::SYNC_GROUP, kw),
            "track_group" => known(vrrp::TRACK_GROUP, kw),
            "garp_group" => known(vrrp::GARP_GROUP, kw),
            "bfd_instance" => known(lvs::BFD, kw),
            "SSL" => known(lvs::SSL, kw),
            "virtual_server" => known(lvs::VIRTUAL_SERVER, kw),
            "real_server" => known(lvs::REAL_SERVER, kw),
            "checker" => known(lvs::COMMON_CHECK, kw),
            "HTTP_GET" => known(lvs::HTTP_CHECK, kw),
            "HTTP_GET.url" => known(lvs::URL, kw),
            "SMTP_CHECK" => known(lvs::SMTP_CHECK, kw),
            "DNS_CHECK" => known(lvs::DNS_CHECK, kw),
            "MISC_CHECK" => known(lvs::MISC_CHECK, kw),
            "UDP_CHECK" => known(lvs::UDP_CHECK, kw),
            "FILE_CHECK" => known(lvs::FILE_CHECK, kw),
            "BFD_CHECK" => known(lvs::BFD_CHECK, kw),
            // Options with or without an argument: known if either form is understood.
            "ipaddress" if kw == "use_vmac" => ["", " 1"].iter().any(|a| {
                entry_option_known(
                    "vrrp_instance VI {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress",
                    &format!("192.0.2.1/24 {kw}{a}\n }}"),
                )
            }),
            "ipaddress" => ["", " 1"].iter().any(|a| {
                entry_option_known(
                    "static_ipaddress",
                    &format!("192.0.2.1/24 dev eth0 {kw}{a}"),
                )
            }),
            "route" if matches!(kw, "to" | "TYPE") => continue,
            "route" => ["", " 1", " to 1"].iter().any(|a| {
                entry_option_known("static_routes", &format!("10.0.0.0/8 dev eth0 {kw}{a}"))
            }),
            "rule" => ["", " 1"].iter().any(|a| {
                entry_option_known(
                    "static_rules",
                    &format!("from 10.0.0.0/8 table 100 {kw}{a}"),
                )
            }),
            "virtual_server_group" | "block" => continue,
            other => panic!("unknown block `{other}` in keywords.tsv"),
        };
        checked += 1;
        if !ok {
            missing.push(format!("{block} {kw}"));
        }
    }
    assert!(checked > 400, "only {checked} keywords checked");
    assert!(
        missing.is_empty(),
        "keywords keepalived knows but kac does not:\n{}",
        missing.join("\n")
    );
}
