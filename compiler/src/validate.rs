//! The validation keepalived does after parsing: per virtual server as each block closes
//! (so large configurations need not be kept), and over the whole configuration at the end.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use kac_schema::config::{Config, Protocol, VirtualServer, VrrpInstance, VrrpState, VsAddress};
use kac_schema::{Diagnostic, Span};

use crate::codes;
use crate::conf::parser::Parser;

/// Checks of one virtual server, as keepalived's `validate_check_config()` does them.
pub fn virtual_server(p: &mut Parser<'_>, vs: &mut VirtualServer) {
    let at = vs.address.span;
    // Formatted only when a message needs it.
    let name = VsLabel(vs.address.value.clone(), effective_protocol(vs));
    if vs.scheduler.is_none() {
        p.report(
            Diagnostic::warning(
                codes::MISSING_SETTING,
                format!("virtual server {name}: no scheduler set"),
            )
            .with_primary(at, "no `lb_algo`")
            .with_help(
                "keepalived uses `wlc`; write `lb_algo wlc` (or the scheduler you want) to say so",
            ),
        );
    }
    if vs.lb_kind.is_none() {
        p.report(
            Diagnostic::warning(
                codes::MISSING_SETTING,
                format!("virtual server {name}: no forwarding method set"),
            )
            .with_primary(at, "no `lb_kind`")
            .with_help("keepalived uses NAT; write `lb_kind NAT`, `DR` or `TUN`"),
        );
    }
    let is_fwmark = matches!(vs.address.value, VsAddress::Fwmark(_));
    let is_group = matches!(vs.address.value, VsAddress::Group(_));
    // A group's protocol check needs the group, which may come later: see `config`.
    if !is_fwmark && !is_group && vs.protocol.is_none() {
        p.report(
            Diagnostic::warning(codes::MISSING_SETTING, format!("virtual server {name}: no protocol set"))
                .with_primary(at, "no `protocol`")
                .with_help("keepalived defaults to UDP, which is rarely intended: write `protocol TCP` (or UDP/SCTP)"),
        );
    }
    if let VsAddress::Addr { port: 0, .. } = vs.address.value
        && vs.persistence_timeout.is_none()
    {
        p.report(
            Diagnostic::warning(
                codes::CONFLICT,
                format!("virtual server {name}: zero port is only valid for persistent services"),
            )
            .with_primary(at, "no port")
            .with_help("add the port, or `persistence_timeout` (keepalived sets 360 s)"),
        );
        vs.persistence_timeout = Some(360);
    }
    if is_fwmark && vs.ha_suspend {
        p.report(
            Diagnostic::warning(
                codes::CONFLICT,
                format!("virtual server {name}: `ha_suspend` is not valid with fwmark"),
            )
            .with_primary(at, "fwmark service"),
        );
        vs.ha_suspend = false;
    }
    let vs_method = vs
        .lb_kind
        .as_ref()
        .map_or("NAT", |k| k.value.method.as_str())
        .to_string();
    if let (Some((_, Some(sp))), VsAddress::Addr { port, .. }) =
        (vs.sorry_server, &vs.address.value)
        && vs_method != "NAT"
        && sp != *port
    {
        p.report(
            Diagnostic::warning(
                codes::CONFLICT,
                format!(
                    "virtual server {name}: sorry server port {sp} differs from the service port"
                ),
            )
            .with_primary(at, format!("{vs_method} cannot change the port"))
            .with_help(format!(
                "use port {port} for the sorry server, or `lb_kind NAT`; keepalived resets it"
            )),
        );
    }
    let vs_port = match vs.address.value {
        VsAddress::Addr { port, .. } => Some(port),
        _ => None,
    };
    let vs_family = match &vs.address.value {
        VsAddress::Addr { addr, .. } => Some(addr.is_ipv4()),
        _ => vs.ip_family.map(|f| f == kac_schema::config::Family::Inet),
    };
    // Real servers are few per service: a linear scan beats hashing until they are many.
    let many = vs.real_servers.len() > 32;
    let mut seen: HashSet<(IpAddr, Option<u16>)> = HashSet::new();
    let mut kept: Vec<(IpAddr, Option<u16>)> = Vec::with_capacity(vs.real_servers.len());
    vs.real_servers.retain_mut(|rs| {
        // A `&'static str` (the method is one of three) so `rs` stays free to change.
        let method: &'static str = match rs
            .lb_kind
            .as_ref()
            .map_or(vs_method.as_str(), |k| k.method.as_str())
        {
            "DR" => "DR",
            "TUN" => "TUN",
            _ => "NAT",
        };
        if let Some(v4) = vs_family
            && rs.addr.is_ipv4() != v4
            && method != "TUN"
        {
            p.report(
                Diagnostic::warning(
                    codes::FAMILY_MISMATCH,
                    format!(
                        "virtual server {name}: real server {} has a different address family",
                        rs.addr
                    ),
                )
                .with_primary(rs.span, "address family differs from the virtual server")
                .with_help(
                    "only TUN can forward between families; keepalived drops this real server",
                ),
            );
            return false;
        }
        if is_fwmark {
            if rs.port.is_some_and(|p| p != 0) {
                p.report(
                    Diagnostic::warning(codes::CONFLICT, format!("virtual server {name}: real server {} has a port", rs.addr))
                        .with_primary(rs.span, "port on a fwmark service")
                        .with_help("remove the port: fwmark services keep the packet's port; keepalived clears it"),
                );
                rs.port = None;
            }
        } else if let Some(vp) = vs_port {
            match rs.port {
                None => rs.port = Some(vp),
                Some(rp) if rp != vp && method != "NAT" && vp != 0 => {
                    p.report(
                        Diagnostic::warning(codes::CONFLICT, format!("virtual server {name}: real server {}:{rp} port differs with {method}", rs.addr))
                            .with_primary(rs.span, format!("{method} cannot change the port"))
                            .with_help(format!("use port {vp} or `lb_kind NAT`; keepalived uses {vp}")),
                    );
                    rs.port = Some(vp);
                }
                _ => {}
            }
        }
        let duplicate = if many {
            !seen.insert((rs.addr, rs.port))
        } else {
            kept.contains(&(rs.addr, rs.port))
        };
        if duplicate {
            p.report(
                Diagnostic::warning(
                    codes::DUPLICATE,
                    format!(
                        "virtual server {name}: real server {} is duplicated",
                        fmt_rs(&rs.addr, rs.port)
                    ),
                )
                .with_primary(rs.span, "second definition")
                .with_help("remove one; keepalived removes the second"),
            );
            return false;
        }
        kept.push((rs.addr, rs.port));
        true
    });
    if vs.real_servers.is_empty() && vs.sorry_server.is_none() {
        p.report(
            Diagnostic::warning(
                codes::MISSING_SETTING,
                format!("virtual server {name} has no real servers"),
            )
            .with_primary(at, "no `real_server`")
            .with_help("add real servers or a sorry_server"),
        );
    }
    let total: u64 = vs
        .real_servers
        .iter()
        .map(|r| u64::from(r.weight.or(vs.weight).unwrap_or(1)))
        .sum();
    // keepalived first lowers the quorum to the total weight, then compares the hysteresis
    // with that quorum (1 when none is set).
    let mut quorum = u64::from(vs.quorum.unwrap_or(1));
    if let Some(q) = vs.quorum
        && u64::from(q) > total
        && total > 0
    {
        p.report(
            Diagnostic::warning(
                codes::CORRECTED_VALUE,
                format!(
                    "virtual server {name}: quorum {q} is more than the sum of weights {total}"
                ),
            )
            .with_primary(at, "quorum can never be reached")
            .with_help("lower the quorum; keepalived caps it"),
        );
        quorum = total;
    }
    if let Some(h) = vs.hysteresis
        && u64::from(h) >= quorum
    {
        p.report(
            Diagnostic::warning(
                codes::CONFLICT,
                format!("virtual server {name}: hysteresis {h} must be less than quorum {quorum}"),
            )
            .with_primary(at, "hysteresis too large")
            .with_help(format!(
                "lower the hysteresis below the quorum; keepalived sets it to {}",
                quorum.saturating_sub(1)
            )),
        );
    }
}

fn fmt_rs(a: &IpAddr, port: Option<u16>) -> String {
    match (a, port) {
        (IpAddr::V6(a), Some(p)) => format!("[{a}]:{p}"),
        (a, Some(p)) => format!("{a}:{p}"),
        (a, None) => a.to_string(),
    }
}

/// A virtual server's name for messages, formatted only when displayed.
struct VsLabel(VsAddress, Protocol);

impl std::fmt::Display for VsLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let proto = self.1.as_str();
        match &self.0 {
            VsAddress::Addr { addr, port } => write!(f, "{}/{proto}", fmt_rs(addr, Some(*port))),
            VsAddress::Fwmark(m) => write!(f, "fwmark {m}"),
            VsAddress::Group(g) => write!(f, "group {g}"),
        }
    }
}

/// A readable name of a virtual server for messages.
pub fn describe_vs(vs: &VirtualServer) -> String {
    VsLabel(vs.address.value.clone(), effective_protocol(vs)).to_string()
}

/// Whole-configuration checks (VRRP completion, VRID conflicts, sync groups, scripts).
pub fn config(p: &mut Parser<'_>, cfg: &mut Config) {
    let g = &cfg.global;
    let strict = g.vrrp_strict;
    let default_version = g.vrrp_version.unwrap_or(2);
    let script_weights: HashMap<String, i32> = cfg
        .vrrp_scripts
        .iter()
        .rev()
        .map(|s| (s.name.value.clone(), s.weight.map_or(0, |w| w.0)))
        .collect();
    let file_weights: HashMap<String, i32> = cfg
        .track_files
        .iter()
        .map(|t| (t.name.value.clone(), t.weight.map_or(1, |w| w.0)))
        .collect();
    for inst in &mut cfg.vrrp_instances {
        instance(
            p,
            inst,
            strict,
            default_version,
            &script_weights,
            &file_weights,
        );
    }
    vrid_conflicts(p, cfg);
    group_protocols(p, cfg);
    sync_groups(p, cfg);
    track_groups(p, cfg);
    sync_daemon(p, cfg);
    scripts(p, cfg);
    if !cfg.static_addresses.is_empty() {
        let dflt = cfg
            .global
            .default_interface
            .clone()
            .unwrap_or_else(|| "eth0".into());
        let missing = p.interfaces.as_ref().is_some_and(|l| !l.contains(&dflt))
            && !cfg.global.dynamic_interfaces;
        if missing && let Some(a) = cfg.static_addresses.iter().find(|a| a.dev.is_none()) {
            p.report(
                Diagnostic::error(
                    codes::MISSING_INTERFACE,
                    format!("default interface `{dflt}` does not exist"),
                )
                .with_primary(a.span, "static address without `dev`")
                .with_help("add `dev IF` to the address, or set `default_interface`"),
            );
        }
    }
}

/// `lvs_sync_daemon` must name an existing VRRP instance: keepalived checks that only at a
/// real start-up (not under `-t`) and then runs no sync daemon, so this is advice.
fn sync_daemon(p: &mut Parser<'_>, cfg: &Config) {
    use kac_schema::config::SettingValue;
    let Some(s) = &cfg.global.lvs_sync_daemon else {
        return;
    };
    let named = s
        .values
        .get(1..)
        .unwrap_or_default()
        .chunks(2)
        .find_map(|pair| match pair {
            [SettingValue::Word(o), SettingValue::Word(v)] if o == "inst" => Some(v.clone()),
            _ => None,
        });
    let (message, label, help) = match named {
        Some(n) if cfg.vrrp_instances.iter().any(|i| i.name.value == n) => return,
        Some(n) => (
            format!("lvs_sync_daemon names vrrp_instance {n}, which does not exist"),
            "no such vrrp_instance".to_string(),
            "keepalived then runs no sync daemon (it clears the setting at start-up); name an existing instance with `inst VI`",
        ),
        None => (
            "lvs_sync_daemon names no vrrp_instance".to_string(),
            "no `inst VI`".to_string(),
            "the sync daemon follows an instance's state (master/backup); add `inst VI`",
        ),
    };
    p.report(
        Diagnostic::new(
            codes::UNDEFINED_REFERENCE,
            kac_schema::Severity::Advice,
            message,
        )
        .with_primary(s.span, label)
        .with_help(help),
    );
}

fn instance(
    p: &mut Parser<'_>,
    inst: &mut VrrpInstance,
    strict_global: bool,
    default_version: u8,
    script_weights: &HashMap<String, i32>,
    file_weights: &HashMap<String, i32>,
) {
    let name = inst.name.value.clone();
    let at = inst.name.span;
    let strict = inst.strict_mode.unwrap_or(strict_global);
    if inst.vrid.is_none() {
        p.report(
            Diagnostic::error(codes::MISSING_SETTING, format!("({name}) the virtual router id must be set"))
                .with_primary(at, "no `virtual_router_id`")
                .with_help("add `virtual_router_id N` (1..255), the same on every peer; keepalived's VRRP process refuses to start"),
        );
    }
    let unicast = !inst.unicast_peers.is_empty();
    if inst.interface.is_none() && !(unicast && inst.unicast_src_ip.is_some()) {
        p.report(
            Diagnostic::error(codes::MISSING_SETTING, format!("({name}) no interface set"))
                .with_primary(at, "no `interface`")
                .with_help("add `interface IF` (required unless unicast with `unicast_src_ip`)"),
        );
    }
    let v6 = inst
        .vips
        .first()
        .map(|a| a.addr.addr.is_ipv6())
        .unwrap_or(inst.native_ipv6);
    let version = if v6 {
        3
    } else {
        inst.version.unwrap_or(default_version)
    };
    if let Some(first) = inst.vips.first().map(|a| a.addr.addr.is_ipv6()) {
        let bad: Vec<Span> = inst
            .vips
            .iter()
            .filter(|a| a.addr.addr.is_ipv6() != first)
            .map(|a| a.span)
            .collect();
        for s in bad {
            p.report(
                Diagnostic::warning(
                    codes::FAMILY_MISMATCH,
                    format!("({name}) address family must match the VRRP instance"),
                )
                .with_primary(s, "other family than the first virtual address")
                .with_help(
                    "move it to `virtual_ipaddress_excluded`, or to an instance of its own family",
                ),
            );
        }
        inst.vips.retain(|a| a.addr.addr.is_ipv6() == first);
    }
    if inst.vips.is_empty() {
        let fatal = version == 3 || v6 || strict;
        let d = Diagnostic::new(
            codes::MISSING_SETTING,
            if fatal {
                kac_schema::Severity::Error
            } else {
                kac_schema::Severity::Warning
            },
            format!("({name}) no VIP specified"),
        )
        .with_primary(at, "no `virtual_ipaddress`")
        .with_help("add at least one virtual address");
        p.report(d);
    }
    for peer in &inst.unicast_peers {
        if peer.addr.value.is_ipv6() != v6 {
            p.report(
                Diagnostic::warning(
                    codes::FAMILY_MISMATCH,
                    format!(
                        "({name}) unicast peer {} is of the other address family",
                        peer.addr.value
                    ),
                )
                .with_primary(peer.addr.span, "family differs from the instance"),
            );
        }
    }
    // `unicast_fault_no_peer`: no fallback to multicast (the instance stays in FAULT), and
    // keepalived says nothing.
    if !unicast
        && !inst
            .other
            .iter()
            .any(|o| o.keyword == "unicast_fault_no_peer")
    {
        let uni = inst.unicast_src_ip.as_ref().map(|u| u.span).or_else(|| {
            inst.other
                .iter()
                .find(|o| {
                    matches!(
                        o.keyword.as_str(),
                        "unicast_ttl" | "check_unicast_src" | "old_unicast_checksum"
                    )
                })
                .map(|o| o.span)
        });
        if let Some(s) = uni {
            p.report(
                Diagnostic::warning(codes::DEPRECATED, format!("({name}) a unicast keyword is set but there are no unicast peers"))
                    .with_primary(s, "unicast setting without `unicast_peer`")
                    .with_help("add `unicast_peer { … }`, or remove the unicast settings (keepalived falls back to multicast)"),
            );
        }
    }
    if inst.other.iter().any(|o| o.keyword == "use_vmac_addr")
        && let Some(a) = inst
            .vips
            .iter()
            .chain(&inst.excluded_vips)
            .find(|a| a.flags.iter().any(|f| f == "use_vmac"))
    {
        p.report(
            Diagnostic::warning(
                codes::CONFLICT,
                format!("({name}) `use_vmac_addr` and a virtual address with `use_vmac`"),
            )
            .with_primary(a.span, "`use_vmac` on this address")
            .with_help("use one of them"),
        );
    }
    if strict && unicast {
        p.report(
            Diagnostic::new(
                codes::CONFLICT,
                kac_schema::Severity::Advice,
                format!("({name}) unicast peers are not allowed in strict mode"),
            )
            .with_primary(at, "strict mode with unicast_peer")
            .with_help("remove `vrrp_strict`/`strict_mode` or the unicast peers"),
        );
    }
    if let Some(adv) = &inst.advert_int {
        let us = adv.value;
        if version == 2 && us % 1_000_000 != 0 {
            p.report(
                Diagnostic::warning(codes::CORRECTED_VALUE, format!("({name}) VRRPv2 advertisement interval must be an integer"))
                    .with_primary(adv.span, "not a whole number of seconds")
                    .with_help("use whole seconds with VRRPv2, or `version 3` for centisecond intervals; keepalived rounds it"),
            );
        } else if version == 3 && (us % 10_000 != 0 || us >= 40_960_000) {
            p.report(
                Diagnostic::warning(codes::CORRECTED_VALUE, format!("({name}) VRRPv3 advertisement interval must be a multiple of 10 ms below 40.96 s"))
                    .with_primary(adv.span, "not representable in VRRPv3"),
            );
        }
    }
    let priority = inst.priority.as_ref().map(|p| p.value);
    let master = inst
        .state
        .as_ref()
        .is_some_and(|s| s.value == VrrpState::Master);
    let owner = priority == Some(255) || (master && priority.is_none());
    if let Some(a) = &inst.authentication {
        let ignored = if version == 3 {
            Some("authentication is not supported with VRRPv3")
        } else if strict {
            Some("authentication is not allowed in strict mode")
        } else if a.value.auth_pass.as_deref().unwrap_or("").is_empty()
            && a.value.auth_type.is_some()
        {
            Some("authentication without a password is ignored")
        } else if v6 && a.value.auth_type.as_deref() == Some("AH") {
            Some("AH authentication is not supported with IPv6")
        } else {
            None
        };
        if let Some(why) = ignored {
            p.report(
                Diagnostic::warning(codes::CONFLICT, format!("({name}) {why}"))
                    .with_primary(a.span, "ignored"),
            );
        }
    }
    if let Some(pd) = &inst.preempt_delay {
        let conflict = if inst.nopreempt.as_ref().is_some_and(|n| n.value) {
            Some("`preempt_delay` is ignored with `nopreempt`")
        } else if master {
            Some("`preempt_delay` is incompatible with initial state MASTER")
        } else if strict {
            Some("`preempt_delay` is not allowed in strict mode")
        } else {
            None
        };
        if let Some(why) = conflict {
            p.report(
                Diagnostic::warning(codes::CONFLICT, format!("({name}) {why}"))
                    .with_primary(pd.span, "ignored"),
            );
        }
    }
    if strict && master && priority.is_some_and(|p| p != 255) {
        p.report(
            Diagnostic::warning(
                codes::CONFLICT,
                format!("({name}) state MASTER with priority below 255 in strict mode"),
            )
            .with_primary(at, "strict mode requires the owner to be MASTER")
            .with_help("keepalived starts it as BACKUP"),
        );
    }
    if owner {
        if let Some(n) = &inst.nopreempt
            && n.value
        {
            p.report(
                Diagnostic::warning(
                    codes::CONFLICT,
                    format!("({name}) `nopreempt` is ignored for the address owner (priority 255)"),
                )
                .with_primary(n.span, "ignored"),
            );
        }
        let t = &inst.tracking;
        let weighted = t
            .interfaces
            .iter()
            .filter(|tr| tr.weight.is_some_and(|w| w != 0))
            .chain(t.scripts.iter().filter(|tr| {
                tr.weight
                    .or(script_weights.get(&tr.name.value).copied())
                    .is_some_and(|w| w != 0)
            }))
            .chain(t.files.iter().filter(|tr| {
                tr.weight
                    .or(file_weights.get(&tr.name.value).copied())
                    .is_some_and(|w| w != 0)
            }))
            .chain(
                t.processes
                    .iter()
                    .chain(&t.bfds)
                    .filter(|tr| tr.weight.is_some_and(|w| w != 0)),
            );
        for tr in weighted {
            {
                p.report(
                    Diagnostic::warning(
                        codes::CONFLICT,
                        format!("({name}) weighted tracking is ignored for the address owner"),
                    )
                    .with_primary(tr.name.span, "weight ignored for priority 255")
                    .with_help(
                        "an owner cannot change priority; remove the weight or lower the priority",
                    ),
                );
            }
        }
    }
}

/// A group virtual server needs a protocol when its group has addresses (not only fwmarks).
fn group_protocols(p: &mut Parser<'_>, cfg: &Config) {
    for vs in &cfg.virtual_servers {
        let VsAddress::Group(name) = &vs.address.value else {
            continue;
        };
        if vs.protocol.is_some() {
            continue;
        }
        let has_addresses = cfg
            .vs_groups
            .iter()
            .filter(|g| &g.name.value == name)
            .any(|g| {
                g.entries
                    .iter()
                    .any(|e| matches!(e, kac_schema::config::VsGroupEntry::Range { .. }))
            });
        if has_addresses {
            p.report(
                Diagnostic::warning(codes::MISSING_SETTING, format!("virtual server {}: no protocol set", describe_vs(vs)))
                    .with_primary(vs.address.span, "no `protocol`")
                    .with_help("keepalived defaults to UDP, which is rarely intended: write `protocol TCP` (or UDP/SCTP)"),
            );
        }
    }
}

fn vrid_conflicts(p: &mut Parser<'_>, cfg: &Config) {
    // (vrid, v6, interface) for multicast; (vrid, v6, src, peer) for unicast.
    let mut mcast: HashMap<(u8, bool, String), &str> = HashMap::new();
    let mut ucast: HashMap<(u8, bool, IpAddr, IpAddr), &str> = HashMap::new();
    for inst in &cfg.vrrp_instances {
        let Some(vrid) = inst.vrid.as_ref().map(|v| v.value) else {
            continue;
        };
        let v6 = inst
            .vips
            .first()
            .map(|a| a.addr.addr.is_ipv6())
            .unwrap_or(inst.native_ipv6);
        let fam = if v6 { "IPv6" } else { "IPv4" };
        let name = inst.name.value.as_str();
        if inst.unicast_peers.is_empty() {
            let Some(ifname) = inst.interface.as_ref().map(|i| i.value.clone()) else {
                continue;
            };
            if let Some(other) = mcast.insert((vrid, v6, ifname.clone()), name) {
                p.report(
                    Diagnostic::error(codes::VRID_CONFLICT, format!("{other} and {name} both use VRID {vrid} with {fam} on interface {ifname}"))
                        .with_primary(inst.vrid.as_ref().map_or(inst.name.span, |v| v.span), "same VRID")
                        .with_help("give each instance on one interface and family its own virtual_router_id"),
                );
            }
        } else if let Some(src) = inst.unicast_src_ip.as_ref().map(|s| s.value) {
            for peer in &inst.unicast_peers {
                if let Some(other) = ucast.insert((vrid, v6, src, peer.addr.value), name) {
                    p.report(
                        Diagnostic::error(codes::VRID_CONFLICT, format!("{other} and {name} both use VRID {vrid} with {fam} from {src} to peer {}", peer.addr.value))
                            .with_primary(inst.vrid.as_ref().map_or(inst.name.span, |v| v.span), "same VRID")
                            .with_help("give each instance its own virtual_router_id"),
                    );
                    break;
                }
            }
        }
    }
}

/// `track_group` members that are not VRRP instances: keepalived ignores them and only logs
/// it (`vrrp instance X specified in track group G doesn't exist - ignoring`): advice.
fn track_groups(p: &mut Parser<'_>, cfg: &Config) {
    let names: HashSet<&str> = cfg
        .vrrp_instances
        .iter()
        .map(|i| i.name.value.as_str())
        .collect();
    for g in &cfg.track_groups {
        for m in g
            .members
            .iter()
            .filter(|m| !names.contains(m.value.as_str()))
        {
            p.report(
                Diagnostic::new(
                    codes::UNDEFINED_REFERENCE,
                    kac_schema::Severity::Advice,
                    format!(
                        "vrrp instance {} specified in track group {} doesn't exist",
                        m.value, g.name.value
                    ),
                )
                .with_primary(m.span, "no such vrrp_instance")
                .with_help("keepalived ignores the name; fix it or remove it"),
            );
        }
    }
}

fn sync_groups(p: &mut Parser<'_>, cfg: &mut Config) {
    let names: HashSet<&str> = cfg
        .vrrp_instances
        .iter()
        .map(|i| i.name.value.as_str())
        .collect();
    let mut member_of: HashMap<String, String> = HashMap::new();
    let mut diags = Vec::new();
    for g in &cfg.sync_groups {
        let gname = &g.name.value;
        if g.members.is_empty() {
            diags.push(
                Diagnostic::warning(
                    codes::MISSING_SETTING,
                    format!("sync group {gname} has no members"),
                )
                .with_primary(g.name.span, "empty group")
                .with_help("add `group { VI_1 VI_2 }`; keepalived removes the group"),
            );
            continue;
        }
        let mut valid = 0;
        for m in &g.members {
            if !names.contains(m.value.as_str()) {
                diags.push(
                    Diagnostic::warning(
                        codes::UNDEFINED_REFERENCE,
                        format!(
                            "sync group {gname}: virtual router {} does not exist",
                            m.value
                        ),
                    )
                    .with_primary(m.span, "no such vrrp_instance"),
                );
                continue;
            }
            if let Some(prev) = member_of.insert(m.value.clone(), gname.clone()) {
                diags.push(
                    Diagnostic::warning(
                        codes::CONFLICT,
                        format!(
                            "virtual router {} cannot be in sync groups {prev} and {gname}",
                            m.value
                        ),
                    )
                    .with_primary(m.span, "already in another sync group"),
                );
                continue;
            }
            valid += 1;
        }
        if valid == 1 {
            diags.push(
                Diagnostic::warning(
                    codes::WARNING,
                    format!("sync group {gname} has only 1 virtual router"),
                )
                .with_primary(g.name.span, "a sync group of one synchronises nothing")
                .with_help("add the other instances that must move together, or remove the group"),
            );
        }
        let owners: Vec<bool> = g
            .members
            .iter()
            .filter_map(|m| cfg.vrrp_instances.iter().find(|i| i.name.value == m.value))
            .map(|i| {
                i.priority.as_ref().map(|p| p.value) == Some(255)
                    || (i.priority.is_none()
                        && i.state
                            .as_ref()
                            .is_some_and(|s| s.value == VrrpState::Master))
            })
            .collect();
        if owners.iter().any(|&o| o) && owners.iter().any(|&o| !o) {
            diags.push(
                Diagnostic::new(
                    codes::CONFLICT,
                    kac_schema::Severity::Advice,
                    format!("sync group {gname} mixes address owners and non-owners"),
                )
                .with_primary(
                    g.name.span,
                    "priority 255 and lower priorities in one group",
                ),
            );
        }
    }
    for d in diags {
        p.report(d);
    }
}

fn scripts(p: &mut Parser<'_>, cfg: &Config) {
    if p.script_spans.is_empty() {
        return;
    }
    let mut missing = std::collections::HashSet::new();
    if let Some(exists) = p.script_exists {
        for s in &cfg.vrrp_scripts {
            let Some(sc) = &s.script else { continue };
            let Some(cmd) = sc.argv.first() else { continue };
            if !exists(cmd) {
                missing.insert(s.name.value.clone());
                p.report(
                    Diagnostic::error(codes::MISSING_SETTING, format!("script `{cmd}` of vrrp_script `{}` is not found or not executable", s.name.value))
                        .with_primary(sc.span, "no such executable on this machine")
                        .with_help("install the script (executable) or fix the path; keepalived disables the check"),
                );
            }
        }
    }
    if let Some(insecure) = p
        .script_insecure
        .filter(|_| cfg.global.enable_script_security)
    {
        let global_user = cfg.global.script_user.as_ref().map(|(u, g)| match g {
            Some(g) => format!("{u}:{g}"),
            None => u.clone(),
        });
        for s in &cfg.vrrp_scripts {
            let Some(sc) = &s.script else { continue };
            let Some(cmd) = sc.argv.first() else { continue };
            // keepalived judges every vrrp_script once its VRRP process runs, which it does
            // for a configuration with VRRP instances (checked with keepalived -t).
            if missing.contains(&s.name.value) || cfg.vrrp_instances.is_empty() {
                continue;
            }
            let user = match (&s.user, &sc.user) {
                (Some((u, Some(g))), _) => Some(format!("{u}:{g}")),
                (Some((u, None)), _) => Some(u.clone()),
                (None, Some(u)) => Some(match &sc.group {
                    Some(g) => format!("{u}:{g}"),
                    None => u.clone(),
                }),
                (None, None) => global_user.clone(),
            };
            if let Some(why) = insecure(cmd, user.as_deref()) {
                p.report(
                    Diagnostic::error(
                        codes::SCRIPT_SECURITY,
                        format!("script `{cmd}` of vrrp_script `{}` is insecure: {why}", s.name.value),
                    )
                    .with_primary(sc.span, "keepalived disables this check (`Disabling track script … due to insecure`)")
                    .with_help("a script run as root must be owned by root, and so must every directory on its path, none writable by a non-root group or by everyone (unless a sticky directory)"),
                );
            }
        }
    }
    if !cfg.global.enable_script_security {
        let first = p.script_spans[0].0;
        p.report(
            Diagnostic::error(
                codes::SCRIPT_SECURITY,
                "scripts are configured but script security is not enabled",
            )
            .with_primary(first, "a script")
            .with_help(
                "add `enable_script_security` to global_defs (keepalived -t exits 6 without it)",
            ),
        );
    }
    if cfg.global.script_user.is_none() && p.default_script_user_exists == Some(false) {
        let spans: Vec<Span> = p
            .script_spans
            .iter()
            .filter(|(_, own)| !own)
            .map(|(s, _)| *s)
            .collect();
        for s in spans {
            p.report(
                Diagnostic::error(
                    codes::SCRIPT_SECURITY,
                    "cannot set the default script user `keepalived_script`",
                )
                .with_primary(s, "this script has no user")
                .with_help(
                    "set `script_user USER` in global_defs, or create the user `keepalived_script`",
                ),
            );
        }
    }
}

/// The protocol keepalived uses for a virtual server (UDP when unset).
pub fn effective_protocol(vs: &VirtualServer) -> Protocol {
    vs.protocol.as_ref().map_or(Protocol::Udp, |p| p.value)
}
