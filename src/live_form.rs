//! The reconciler's ops in plan form (`kac plan --live`): each [`Op`] of the live diff becomes
//! a [`Change`] of the object it touches, keyed like `kac plan` keys plan objects, with the op
//! itself in [`Change::ops`] as `kac apply` prints it.
//!
//! An address whose attributes change is removed and added again by the kernel (two ops): it
//! is one `changed` address here, with both ops. The changes are ordered like a plan diff's
//! (global settings, addresses, routes, rules, links, virtual servers each followed by its
//! real servers), not in the order the ops run.

use std::net::SocketAddr;

use kac_compiler::review::host::{changed, field_changes};
use kac_compiler::review::keys::endpoint;
use kac_reconciler::model::{
    Address, AddressKey, DestAttrs, IpvsTimeouts, MetricValue, ROUTE_METRICS, Route, RouteKey,
    Rule, Service, ServiceAttrs, ServiceKey, fwd, ifa, netmask_text, protocol_name, rtn, scope,
    svc_flag_names, svc_flags,
};
use kac_reconciler::op::Op;
use kac_schema::plan_diff::{Action, Change, FieldChange, ObjectKind, ObjectRef};
use serde::Serialize;

/// The changes `ops` make, in plan order.
pub fn changes(ops: &[Op]) -> Vec<Change> {
    let mut out: Vec<Change> = Vec::new();
    // An address removed and added again (its attributes change) is one change.
    let mut readded: Vec<(&AddressKey, &Address, &Op)> = Vec::new();
    for op in ops {
        if let Op::DelAddress(a) = op
            && ops
                .iter()
                .any(|o| matches!(o, Op::AddAddress(b) if b.key == a.key))
        {
            readded.push((&a.key, a, op));
            continue;
        }
        if let Op::AddAddress(b) = op
            && let Some((_, old, del)) = readded.iter().find(|(k, _, _)| **k == b.key)
        {
            let mut c = changed(
                ObjectKind::StaticAddress,
                address_key(&b.key),
                Vec::new(),
                field_changes(&address_view(old), &address_view(b), &[]),
            );
            c.ops = vec![del.to_string(), op.to_string()];
            out.push(c);
            continue;
        }
        out.push(change(op));
    }
    out.sort_by_key(order);
    out
}

/// Where a change goes in a plan diff: its top-level object, then itself.
fn order(c: &Change) -> (ObjectKind, String, bool, String) {
    match c.within.first() {
        Some(parent) => (parent.object, parent.key.clone(), true, c.key.clone()),
        None => (c.object, c.key.clone(), false, String::new()),
    }
}

/// One op as a change.
fn change(op: &Op) -> Change {
    let mut c = match op {
        Op::AddLink(l) => added(ObjectKind::Link, l.name.clone(), Vec::new(), l.to_string()),
        Op::DelLink(l) => removed(ObjectKind::Link, l.name.clone(), Vec::new(), l.to_string()),
        Op::AddAddress(a) => added(
            ObjectKind::StaticAddress,
            address_key(&a.key),
            Vec::new(),
            strip(&a.to_string(), "addr "),
        ),
        Op::DelAddress(a) => removed(
            ObjectKind::StaticAddress,
            address_key(&a.key),
            Vec::new(),
            strip(&a.to_string(), "addr "),
        ),
        Op::AddRoute(r) => added(
            ObjectKind::StaticRoute,
            route_key(&r.key),
            Vec::new(),
            strip(&r.to_string(), "route "),
        ),
        Op::DelRoute(r) => removed(
            ObjectKind::StaticRoute,
            route_key(&r.key),
            Vec::new(),
            strip(&r.to_string(), "route "),
        ),
        Op::ReplaceRoute { from, to } => changed(
            ObjectKind::StaticRoute,
            route_key(&to.key),
            Vec::new(),
            field_changes(&route_view(from), &route_view(to), &[]),
        ),
        Op::AddRule(r) => added(
            ObjectKind::StaticRule,
            rule_key(r),
            Vec::new(),
            strip(&r.to_string(), "rule "),
        ),
        Op::DelRule(r) => removed(
            ObjectKind::StaticRule,
            rule_key(r),
            Vec::new(),
            strip(&r.to_string(), "rule "),
        ),
        Op::AddService(s) => added(
            ObjectKind::VirtualServer,
            service_key(&s.key),
            Vec::new(),
            service_summary(s),
        ),
        Op::DelService(s) => {
            let n = s.dests.len();
            removed(
                ObjectKind::VirtualServer,
                service_key(&s.key),
                Vec::new(),
                format!(
                    "{}, {n} real server{} with it",
                    service_summary(s),
                    if n == 1 { "" } else { "s" }
                ),
            )
        }
        Op::EditService { key, from, to } => changed(
            ObjectKind::VirtualServer,
            service_key(key),
            Vec::new(),
            field_changes(&service_view(key, from), &service_view(key, to), &[]),
        ),
        Op::AddDest {
            service,
            dest,
            attrs,
        } => added(
            ObjectKind::RealServer,
            dest_key(*dest),
            within(service),
            format!("weight {}", attrs.weight),
        ),
        Op::DelDest {
            service,
            dest,
            attrs,
        } => removed(
            ObjectKind::RealServer,
            dest_key(*dest),
            within(service),
            format!("weight {}", attrs.weight),
        ),
        Op::EditDest {
            service,
            dest,
            from,
            to,
        } => changed(
            ObjectKind::RealServer,
            dest_key(*dest),
            within(service),
            field_changes(&dest_view(from), &dest_view(to), &[]),
        ),
        Op::StartSyncDaemon(d) => added(
            ObjectKind::Global,
            "lvs_sync_daemon".into(),
            Vec::new(),
            d.to_string(),
        ),
        Op::StopSyncDaemon(d) => removed(
            ObjectKind::Global,
            "lvs_sync_daemon".into(),
            Vec::new(),
            d.to_string(),
        ),
        Op::SetTimeouts { from, to } => changed(
            ObjectKind::Global,
            "global",
            Vec::new(),
            timeout_changes(from, to),
        ),
    };
    c.ops = vec![op.to_string()];
    c
}

fn added(object: ObjectKind, key: String, within: Vec<ObjectRef>, summary: String) -> Change {
    Change {
        summary: Some(summary),
        ..Change::new(object, key, within, Action::Added)
    }
}

fn removed(object: ObjectKind, key: String, within: Vec<ObjectRef>, summary: String) -> Change {
    Change {
        summary: Some(summary),
        ..Change::new(object, key, within, Action::Removed)
    }
}

fn strip(s: &str, prefix: &str) -> String {
    s.strip_prefix(prefix).unwrap_or(s).to_string()
}

/// `ADDRESS dev DEV`, as a plan's static address is keyed.
fn address_key(k: &AddressKey) -> String {
    format!("{} dev {}", k.addr, k.dev)
}

/// A route's destination, then source, table and metric when set (as a plan's route key,
/// with the kernel's numbers: the prefix length always, the table by number).
fn route_key(k: &RouteKey) -> String {
    let mut s = k.dst.to_string();
    if let Some(from) = k.from {
        s.push_str(&format!(" from {from}"));
    }
    if k.table != 254 {
        s.push_str(&format!(" table {}", k.table));
    }
    if k.metric != 0 {
        s.push_str(&format!(" metric {}", k.metric));
    }
    s
}

/// `FAMILY pref N`, then the `from` and `to` selectors when set (as a plan's rule key).
fn rule_key(r: &Rule) -> String {
    let family = if r.v6 { "inet6" } else { "inet" };
    let mut s = format!("{family} pref {}", r.priority);
    if let Some(from) = &r.src {
        s.push_str(&format!(" from {from}"));
    }
    if let Some(to) = &r.dst {
        s.push_str(&format!(" to {to}"));
    }
    s
}

/// `ADDRESS:PORT PROTOCOL` or `fwmark N FAMILY`, as a plan's virtual server is keyed.
fn service_key(k: &ServiceKey) -> String {
    match *k {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => format!(
            "{} {}",
            endpoint(addr, port),
            protocol_name(protocol).to_ascii_uppercase()
        ),
        ServiceKey::Fwmark { mark, v6 } => {
            format!("fwmark {mark} {}", if v6 { "inet6" } else { "inet" })
        }
    }
}

fn service_summary(s: &Service) -> String {
    format!("scheduler {}", s.attrs.scheduler)
}

fn within(service: &ServiceKey) -> Vec<ObjectRef> {
    vec![ObjectRef {
        object: ObjectKind::VirtualServer,
        key: service_key(service),
    }]
}

/// `ADDRESS:PORT`, as a plan's real server is keyed.
fn dest_key(d: SocketAddr) -> String {
    endpoint(d.ip(), d.port())
}

/// An address's attributes, named as iproute2 names them.
fn address_view(a: &Address) -> serde_json::Value {
    let flags: Vec<&str> = ifa::NAMES
        .iter()
        .filter(|(bit, _)| a.flags & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    serde_json::json!({
        "peer": a.peer,
        "broadcast": a.broadcast,
        "label": a.label,
        "scope": scope::name(a.scope),
        "flags": flags,
    })
}

/// A route's attributes (everything but its key), named as iproute2 names them.
fn route_view(r: &Route) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    let kind = rtn::NAMES.get(usize::from(r.kind)).copied().unwrap_or("?");
    m.insert("type".into(), kind.into());
    m.insert("via".into(), json(&r.gateway));
    m.insert("dev".into(), json(&r.dev));
    m.insert("src".into(), json(&r.prefsrc));
    m.insert("scope".into(), scope::name(r.scope).into());
    m.insert("proto".into(), r.protocol.into());
    m.insert("onlink".into(), r.onlink.into());
    let hops: Vec<String> = r
        .nexthops
        .iter()
        .map(|h| {
            let mut s = String::new();
            if let Some(g) = h.gateway {
                s.push_str(&format!("via {g} "));
            }
            if let Some(d) = &h.dev {
                s.push_str(&format!("dev {d} "));
            }
            s.push_str(&format!("weight {}", h.weight));
            if h.onlink {
                s.push_str(" onlink");
            }
            s
        })
        .collect();
    m.insert("nexthops".into(), json(&hops));
    for (n, v) in &r.metrics {
        let name = ROUTE_METRICS
            .iter()
            .find(|(k, _)| k == n)
            .map_or_else(|| format!("metric{n}"), |(_, name)| (*name).to_string());
        let v = match v {
            MetricValue::Number(x) => serde_json::Value::from(*x),
            MetricValue::Name(x) => serde_json::Value::from(x.clone()),
        };
        m.insert(name, v);
    }
    m.insert("pref".into(), json(&r.pref));
    serde_json::Value::Object(m)
}

/// A service's attributes, named as the plan names a virtual server's.
fn service_view(key: &ServiceKey, a: &ServiceAttrs) -> serde_json::Value {
    let persistent = a.flags & svc_flags::PERSISTENT != 0;
    serde_json::json!({
        "scheduler": a.scheduler,
        "sched_flags": svc_flag_names(a.flags, &a.scheduler),
        "persistence_timeout_s": persistent.then_some(a.timeout),
        "persistence_granularity": persistent.then(|| netmask_text(key, a.netmask)),
        "persistence_engine": a.pe_name,
    })
}

/// A destination's attributes, named as the plan names a real server's.
fn dest_view(d: &DestAttrs) -> serde_json::Value {
    let lb_kind = match d.fwd & 7 {
        fwd::MASQ => "NAT".to_string(),
        fwd::DROUTE => "DR".to_string(),
        fwd::TUNNEL => "TUN".to_string(),
        other => fwd::name(other).to_string(),
    };
    serde_json::json!({
        "weight": d.weight,
        "lb_kind": lb_kind,
        "uthreshold": d.u_threshold,
        "lthreshold": d.l_threshold,
    })
}

/// The IPVS timeouts that change, named as the plan names them (`lvs_timeouts.tcp`).
fn timeout_changes(from: &IpvsTimeouts, to: &IpvsTimeouts) -> Vec<FieldChange> {
    [
        ("tcp", from.tcp, to.tcp),
        ("tcpfin", from.tcp_fin, to.tcp_fin),
        ("udp", from.udp, to.udp),
    ]
    .into_iter()
    .filter_map(|(name, old, new)| {
        let new = new?;
        (old != Some(new)).then(|| FieldChange {
            field: format!("lvs_timeouts.{name}"),
            old: json(&old),
            new: json(&new),
        })
    })
    .collect()
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(a: &str, len: u8, label: Option<&str>) -> Address {
        Address {
            key: AddressKey {
                dev: "eth0".into(),
                addr: a.parse().expect("address"),
                prefix_len: len,
            },
            peer: None,
            broadcast: None,
            label: label.map(String::from),
            scope: scope::UNIVERSE,
            flags: 0,
            preferred_lft: None,
        }
    }

    #[test]
    fn an_address_removed_and_added_again_is_one_change_and_children_follow_parents() {
        let svc = ServiceKey::Addr {
            protocol: 6,
            addr: "192.0.2.1".parse().expect("address"),
            port: 80,
        };
        let attrs = |weight| DestAttrs {
            fwd: 0,
            weight,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0,
        };
        let ops = vec![
            Op::DelAddress(addr("10.0.0.6", 24, Some("eth0:web"))),
            Op::EditDest {
                service: svc,
                dest: "10.1.0.7:80".parse().expect("endpoint"),
                from: attrs(1),
                to: attrs(5),
            },
            Op::AddAddress(addr("10.0.0.6", 24, Some("eth0:api"))),
            Op::AddService(Service {
                key: svc,
                attrs: ServiceAttrs {
                    scheduler: "wrr".into(),
                    flags: 0,
                    timeout: 0,
                    netmask: u32::MAX,
                    pe_name: None,
                },
                dests: Default::default(),
            }),
        ];
        let c = changes(&ops);
        let lines: Vec<String> = c
            .iter()
            .map(|c| format!("{:?} {:?} {}", c.action, c.object, c.key))
            .collect();
        assert_eq!(
            lines,
            [
                "Changed StaticAddress 10.0.0.6 dev eth0",
                "Added VirtualServer 192.0.2.1:80 TCP",
                "Changed RealServer 10.1.0.7:80",
            ]
        );
        assert_eq!(c[0].fields[0].field, "label");
        assert_eq!(c[0].ops.len(), 2);
        assert_eq!(c[2].fields[0].field, "weight");
        assert_eq!(c[2].ops, [ops[1].to_string()]);
    }
}
