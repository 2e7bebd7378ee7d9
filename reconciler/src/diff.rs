//! The pure diff: desired state, observed state and ownership journal in, ordered [`Op`]s out.
//!
//! # Ownership
//! kac changes only what it owns: what the journal lists, plus routes and rules that carry
//! [`KAC_PROTOCOL`] (so a lost journal does not strand them), plus every IPVS service when the
//! plan sets `lvs_flush`. An object the plan wants that exists but is not kac's is a
//! [`Conflict`], unless `adopt` is set: then it is taken over (recorded as owned, and edited in
//! place where its attributes differ). Objects that are neither wanted nor owned are foreign
//! and never touched.
//!
//! # Order (part of the contract)
//! 1. **removals that conflict with an addition**: the old copy of an address whose
//!    attributes change (the kernel cannot edit an address in place), an IPv6 address with
//!    another prefix length (the same kernel object), a link recreated under the same name;
//! 2. **edits in place**: `lvs_timeouts`, services, destinations, route replaces;
//! 3. **additions**: links, addresses, routes, rules, services each followed by its
//!    destinations, then destinations of existing services;
//! 4. **the remaining removals**, make-before-break: destinations, services, rules, routes,
//!    addresses, links;
//! 5. **the IPVS connection sync daemon**: stops, then starts (a switch from backup to master
//!    stops the backup first, as keepalived does).
//!
//! The sync daemons are kac's while the desired state has one (the kernel runs one per state;
//! the one of the other state, whoever started it, is stopped, as keepalived does), and
//! otherwise those the journal lists.
//!
//! So a removal always precedes an addition that conflicts with it (same key or same address),
//! and nothing else is broken before its replacement exists. (Removing a primary IPv4 address
//! would take its secondaries along; the netlink backend turns on `promote_secondaries` on the
//! interface for the removal, as keepalived does.)

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::desired::Desired;
use crate::journal::Journal;
use crate::model::*;
use crate::observed::Observed;
use crate::op::Op;

/// An object whose ownership the diff decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owned {
    /// An address.
    Address(AddressKey),
    /// A route.
    Route(RouteKey),
    /// A rule (as [`Rule::key`]).
    Rule(Rule),
    /// A link.
    Link(String),
    /// An IPVS service.
    Service(ServiceKey),
}

impl fmt::Display for Owned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owned::Address(k) => write!(f, "{k}"),
            Owned::Route(k) => write!(f, "{k}"),
            Owned::Rule(r) => write!(f, "{r}"),
            Owned::Link(n) => write!(f, "link {n}"),
            Owned::Service(k) => write!(f, "service {k}"),
        }
    }
}

/// An object the plan wants that exists and is not kac's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The object.
    pub object: Owned,
    /// What is in the way.
    pub reason: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// The result of [`diff`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diff {
    /// The ops, in order.
    pub ops: Vec<Op>,
    /// Existing objects taken over (`adopt`); no kernel change.
    pub adopted: Vec<Owned>,
    /// Objects in the way (empty when `adopt`).
    pub conflicts: Vec<Conflict>,
    /// Ownership once the ops are applied.
    pub journal: Journal,
}

impl Diff {
    /// Whether nothing would change (no op, nothing adopted).
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.adopted.is_empty()
    }
}

/// The ops of each phase (see the module documentation).
#[derive(Default)]
struct Phases {
    early_removals: Vec<Op>,
    edits: Vec<Op>,
    add_links: Vec<Op>,
    add_addresses: Vec<Op>,
    add_routes: Vec<Op>,
    add_rules: Vec<Op>,
    add_services: Vec<Op>,
    add_dests: Vec<Op>,
    del_dests: Vec<Op>,
    del_services: Vec<Op>,
    del_rules: Vec<Op>,
    del_routes: Vec<Op>,
    del_addresses: Vec<Op>,
    del_links: Vec<Op>,
    stop_sync_daemons: Vec<Op>,
    start_sync_daemons: Vec<Op>,
}

impl Phases {
    fn into_ops(self) -> Vec<Op> {
        let parts = [
            self.early_removals,
            self.edits,
            self.add_links,
            self.add_addresses,
            self.add_routes,
            self.add_rules,
            self.add_services,
            self.add_dests,
            self.del_dests,
            self.del_services,
            self.del_rules,
            self.del_routes,
            self.del_addresses,
            self.del_links,
            self.stop_sync_daemons,
            self.start_sync_daemons,
        ];
        // Moved, not cloned: a large plan's first apply has hundreds of thousands of ops.
        let mut ops = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for p in parts {
            ops.extend(p);
        }
        ops
    }
}

struct Ctx<'a> {
    journal: &'a Journal,
    adopt: bool,
    phases: Phases,
    adopted: Vec<Owned>,
    conflicts: Vec<Conflict>,
    after: Journal,
}

impl Ctx<'_> {
    /// Handles a wanted object that exists: `Ok(())` when kac may change it (owned, or now
    /// adopted), else records a conflict.
    fn claim(&mut self, owned: bool, object: Owned, have: &dyn fmt::Display) -> bool {
        if owned {
            return true;
        }
        if self.adopt {
            self.adopted.push(object);
            true
        } else {
            self.conflicts.push(Conflict {
                object,
                reason: format!("`{have}` exists and is not kac's"),
            });
            false
        }
    }
}

/// Computes the ops that take `observed` to `desired`, touching only what kac owns according to
/// `journal` (and, with `adopt`, what it takes over).
pub fn diff(desired: &Desired, observed: &Observed, journal: &Journal, adopt: bool) -> Diff {
    let mut cx = Ctx {
        journal,
        adopt,
        phases: Phases::default(),
        adopted: Vec::new(),
        conflicts: Vec::new(),
        after: Journal::default(),
    };
    links(&mut cx, desired, observed);
    addresses(&mut cx, desired, observed);
    routes(&mut cx, desired, observed);
    rules(&mut cx, desired, observed);
    ipvs(&mut cx, desired, observed);
    sync_daemons(&mut cx, desired, observed);
    Diff {
        ops: cx.phases.into_ops(),
        adopted: cx.adopted,
        conflicts: cx.conflicts,
        journal: cx.after,
    }
}

fn links(cx: &mut Ctx<'_>, desired: &Desired, observed: &Observed) {
    for (name, want) in &desired.links {
        match observed.links.get(name) {
            None => cx.phases.add_links.push(Op::AddLink(want.clone())),
            Some(have) => {
                let owned = cx.journal.links.contains(name);
                let shown = have
                    .macvlan
                    .as_ref()
                    .map_or_else(|| format!("link {name}"), ToString::to_string);
                if !cx.claim(owned, Owned::Link(name.clone()), &shown) {
                    continue;
                }
                if have.macvlan.as_ref() != Some(want) {
                    let old = have.macvlan.clone().unwrap_or_else(|| MacvlanLink {
                        name: name.clone(),
                        parent: String::new(),
                        mac: [0; 6],
                        mode: 0,
                    });
                    cx.phases.early_removals.push(Op::DelLink(old));
                    cx.phases.add_links.push(Op::AddLink(want.clone()));
                }
            }
        }
        cx.after.links.insert(name.clone());
    }
    for name in &cx.journal.links {
        if desired.links.contains_key(name) {
            continue;
        }
        if let Some(have) = observed.links.get(name) {
            let l = have.macvlan.clone().unwrap_or_else(|| MacvlanLink {
                name: name.clone(),
                parent: String::new(),
                mac: [0; 6],
                mode: 0,
            });
            cx.phases.del_links.push(Op::DelLink(l));
        }
    }
}

fn addresses(cx: &mut Ctx<'_>, desired: &Desired, observed: &Observed) {
    // IPv6 addresses are one kernel object per (interface, address), whatever the prefix.
    let mut v6_by_addr: BTreeMap<(&str, IpAddr), &Address> = BTreeMap::new();
    for a in observed.addresses.values() {
        if a.key.addr.is_ipv6() {
            v6_by_addr.insert((a.key.dev.as_str(), a.key.addr), a);
        }
    }
    let mut removed = std::collections::BTreeSet::new();
    for (k, want) in &desired.addresses {
        match observed.addresses.get(k) {
            None => {
                if let Some(other) = v6_by_addr.get(&(k.dev.as_str(), k.addr))
                    && !desired.addresses.contains_key(&other.key)
                {
                    let owned = cx.journal.addresses.contains(&other.key);
                    if !cx.claim(owned, Owned::Address(k.clone()), other) {
                        continue;
                    }
                    if !owned {
                        cx.phases
                            .early_removals
                            .push(Op::DelAddress((*other).clone()));
                        removed.insert(other.key.clone());
                    }
                }
                cx.phases.add_addresses.push(Op::AddAddress(want.clone()));
            }
            Some(have) => {
                let owned = cx.journal.addresses.contains(k);
                if !cx.claim(owned, Owned::Address(k.clone()), have) {
                    continue;
                }
                if !have.satisfies(want) {
                    // The kernel cannot change an address's peer, broadcast, label, scope or
                    // flags in place.
                    cx.phases.early_removals.push(Op::DelAddress(have.clone()));
                    cx.phases.add_addresses.push(Op::AddAddress(want.clone()));
                }
            }
        }
        cx.after.addresses.insert(k.clone());
    }
    for k in &cx.journal.addresses {
        if desired.addresses.contains_key(k) || removed.contains(k) {
            continue;
        }
        if let Some(have) = observed.addresses.get(k) {
            cx.phases.del_addresses.push(Op::DelAddress(have.clone()));
        }
    }
}

fn routes(cx: &mut Ctx<'_>, desired: &Desired, observed: &Observed) {
    let owned =
        |cx: &Ctx<'_>, r: &Route| cx.journal.routes.contains(&r.key) || r.protocol == KAC_PROTOCOL;
    for (k, want) in &desired.routes {
        match observed.routes.get(k) {
            None => cx
                .phases
                .add_routes
                .push(Op::AddRoute(Box::new(want.clone()))),
            Some(have) => {
                let mine = owned(cx, have);
                if !cx.claim(mine, Owned::Route(k.clone()), have) {
                    continue;
                }
                if !have.satisfies(want) {
                    cx.phases.edits.push(Op::ReplaceRoute {
                        from: Box::new(have.clone()),
                        to: Box::new(want.clone()),
                    });
                }
            }
        }
        cx.after.routes.insert(k.clone());
    }
    for (k, have) in &observed.routes {
        if !desired.routes.contains_key(k) && owned(cx, have) {
            cx.phases
                .del_routes
                .push(Op::DelRoute(Box::new(have.clone())));
        }
    }
}

fn rules(cx: &mut Ctx<'_>, desired: &Desired, observed: &Observed) {
    let owned =
        |cx: &Ctx<'_>, r: &Rule| cx.journal.rules.contains(&r.key()) || r.protocol == KAC_PROTOCOL;
    for (k, want) in &desired.rules {
        match observed.rules.get(k) {
            None => cx
                .phases
                .add_rules
                .push(Op::AddRule(Box::new(want.clone()))),
            // The rest of a rule is its key: only the protocol can differ, and that is not
            // worth breaking the rule for.
            Some(have) => {
                let mine = owned(cx, have);
                if !cx.claim(mine, Owned::Rule(k.clone()), have) {
                    continue;
                }
            }
        }
        cx.after.rules.insert(k.clone());
    }
    for (k, have) in &observed.rules {
        if !desired.rules.contains_key(k) && owned(cx, have) {
            cx.phases
                .del_rules
                .push(Op::DelRule(Box::new(have.clone())));
        }
    }
}

fn ipvs(cx: &mut Ctx<'_>, desired: &Desired, observed: &Observed) {
    let Some(ipvs) = &observed.ipvs else {
        // No IPVS in the kernel: nothing to change (apply refuses a plan that needs it).
        cx.after.services = cx.journal.services.clone();
        return;
    };
    let take_over = desired.ipvs_take_over;
    let have_t = ipvs.timeouts;
    let want_t = desired.timeouts;
    let differs = |w: Option<u32>, h: Option<u32>| w.is_some() && w != h;
    if differs(want_t.tcp, have_t.tcp)
        || differs(want_t.tcp_fin, have_t.tcp_fin)
        || differs(want_t.udp, have_t.udp)
    {
        cx.phases.edits.push(Op::SetTimeouts {
            from: have_t,
            to: want_t,
        });
    }
    for (k, want) in &desired.services {
        match ipvs.services.get(k) {
            None => {
                cx.phases.add_services.push(Op::AddService(Service {
                    dests: Default::default(),
                    ..want.clone()
                }));
                for (d, a) in &want.dests {
                    cx.phases.add_services.push(Op::AddDest {
                        service: *k,
                        dest: *d,
                        attrs: a.clone(),
                    });
                }
            }
            Some(have) => {
                let owned = take_over || cx.journal.services.contains(k);
                let shown = format!("service {k}");
                if !cx.claim(owned, Owned::Service(*k), &shown) {
                    continue;
                }
                if have.attrs != want.attrs {
                    cx.phases.edits.push(Op::EditService {
                        key: *k,
                        from: Box::new(have.attrs.clone()),
                        to: Box::new(want.attrs.clone()),
                    });
                }
                for (d, a) in &want.dests {
                    match have.dests.get(d) {
                        None => cx.phases.add_dests.push(Op::AddDest {
                            service: *k,
                            dest: *d,
                            attrs: a.clone(),
                        }),
                        Some(h) if h != a => cx.phases.edits.push(Op::EditDest {
                            service: *k,
                            dest: *d,
                            from: h.clone(),
                            to: a.clone(),
                        }),
                        Some(_) => {}
                    }
                }
                for (d, h) in &have.dests {
                    if !want.dests.contains_key(d) {
                        cx.phases.del_dests.push(Op::DelDest {
                            service: *k,
                            dest: *d,
                            attrs: h.clone(),
                        });
                    }
                }
            }
        }
        cx.after.services.insert(*k);
    }
    for (k, have) in &ipvs.services {
        if !desired.services.contains_key(k) && (take_over || cx.journal.services.contains(k)) {
            cx.phases.del_services.push(Op::DelService(have.clone()));
        }
    }
}

fn sync_daemons(cx: &mut Ctx<'_>, desired: &Desired, observed: &Observed) {
    let Some(running) = &observed.sync_daemons else {
        // Not read (nothing wanted or owned) or no IPVS: ownership unchanged.
        cx.after.sync_daemons = cx.journal.sync_daemons.clone();
        return;
    };
    let want = desired.sync_daemon.as_ref();
    for (state, have) in running {
        let keep = want.is_some_and(|w| have.satisfies(w));
        let ours = want.is_some() || cx.journal.sync_daemons.contains(state);
        if !keep && ours {
            cx.phases
                .stop_sync_daemons
                .push(Op::StopSyncDaemon(have.clone()));
        }
    }
    if let Some(w) = want {
        if !running.get(&w.state).is_some_and(|h| h.satisfies(w)) {
            cx.phases
                .start_sync_daemons
                .push(Op::StartSyncDaemon(w.clone()));
        }
        cx.after.sync_daemons.insert(w.state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::{IpvsState, Link};
    use std::net::{Ipv4Addr, SocketAddr};

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    fn addr(dev: &str, a: IpAddr, len: u8) -> Address {
        Address {
            key: AddressKey {
                dev: dev.into(),
                addr: a,
                prefix_len: len,
            },
            peer: None,
            broadcast: None,
            label: None,
            scope: 0,
            flags: 0,
            preferred_lft: None,
        }
    }

    fn route(dst: IpAddr, len: u8, via: IpAddr, protocol: u8) -> Route {
        Route {
            key: RouteKey {
                table: 254,
                dst: Prefix { addr: dst, len },
                tos: 0,
                metric: 0,
                from: None,
            },
            kind: rtn::UNICAST,
            protocol,
            scope: 0,
            gateway: Some(via),
            dev: None,
            prefsrc: None,
            onlink: false,
            nexthops: vec![],
            metrics: Default::default(),
            locked: 0,
            pref: None,
            realms: None,
            expires: None,
            encap: None,
        }
    }

    fn service(port: u16, dests: &[(IpAddr, i32)]) -> Service {
        Service {
            key: ServiceKey::Addr {
                protocol: 6,
                addr: v4(10, 0, 0, 1),
                port,
            },
            attrs: ServiceAttrs {
                scheduler: "wrr".into(),
                flags: 0,
                timeout: 0,
                netmask: u32::MAX,
                pe_name: None,
            },
            dests: dests
                .iter()
                .map(|(a, w)| {
                    (
                        SocketAddr::new(*a, port),
                        DestAttrs {
                            fwd: fwd::MASQ,
                            weight: *w,
                            u_threshold: 0,
                            l_threshold: 0,
                            ..Default::default()
                        },
                    )
                })
                .collect(),
        }
    }

    fn observed_with(addrs: &[Address]) -> Observed {
        let mut o = Observed::default();
        o.links.insert(
            "eth0".into(),
            Link {
                index: 2,
                kind: None,
                macvlan: None,
                vrf_table: None,
            },
        );
        for a in addrs {
            o.addresses.insert(a.key.clone(), a.clone());
        }
        o.ipvs = Some(IpvsState::default());
        o
    }

    fn lines(d: &Diff) -> Vec<String> {
        d.ops.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn adds_what_is_missing_and_owns_it() {
        let mut want = Desired::default();
        let a = addr("eth0", v4(10, 0, 0, 5), 24);
        want.addresses.insert(a.key.clone(), a.clone());
        let d = diff(&want, &observed_with(&[]), &Journal::default(), false);
        assert_eq!(lines(&d), ["+ addr 10.0.0.5/24 dev eth0"]);
        assert!(d.journal.addresses.contains(&a.key));
        // Applied: nothing left to do.
        let d2 = diff(&want, &observed_with(&[a]), &d.journal, false);
        assert!(d2.is_empty(), "{:?}", d2.ops);
    }

    #[test]
    fn foreign_objects_are_conflicts_or_adopted_and_never_removed() {
        let mut want = Desired::default();
        let a = addr("eth0", v4(10, 0, 0, 5), 24);
        want.addresses.insert(a.key.clone(), a.clone());
        let foreign = addr("eth0", v4(192, 0, 2, 1), 24);
        let o = observed_with(&[a.clone(), foreign]);
        let d = diff(&want, &o, &Journal::default(), false);
        assert!(d.ops.is_empty());
        assert_eq!(d.conflicts.len(), 1);
        assert_eq!(
            d.conflicts[0].to_string(),
            "`addr 10.0.0.5/24 dev eth0` exists and is not kac's"
        );
        let d = diff(&want, &o, &Journal::default(), true);
        assert!(d.ops.is_empty() && d.conflicts.is_empty());
        assert_eq!(d.adopted, vec![Owned::Address(a.key.clone())]);
        // Nothing wanted: the foreign address stays, the owned one goes.
        let d = diff(&Desired::default(), &o, &d.journal, false);
        assert_eq!(lines(&d), ["- addr 10.0.0.5/24 dev eth0"]);
    }

    #[test]
    fn removals_that_conflict_come_first_and_others_last() {
        let mut want = Desired::default();
        let new = Address {
            label: Some("eth0:vip".into()),
            ..addr("eth0", v4(10, 0, 0, 5), 24)
        };
        want.addresses.insert(new.key.clone(), new.clone());
        let r = route(v4(10, 9, 0, 0), 16, v4(10, 0, 0, 1), KAC_PROTOCOL);
        want.routes.insert(r.key.clone(), r.clone());
        let old_route = route(v4(10, 8, 0, 0), 16, v4(10, 0, 0, 1), KAC_PROTOCOL);
        let extra = addr("eth0", v4(10, 0, 0, 6), 24);
        want.addresses.insert(extra.key.clone(), extra);
        let gone = addr("eth0", v4(10, 0, 0, 1), 24);
        let mut o = observed_with(&[addr("eth0", v4(10, 0, 0, 5), 24), gone.clone()]);
        o.routes.insert(old_route.key.clone(), old_route);
        let mut j = Journal::default();
        j.addresses.insert(new.key.clone());
        j.addresses.insert(gone.key);
        let d = diff(&want, &o, &j, false);
        assert_eq!(
            lines(&d),
            [
                "- addr 10.0.0.5/24 dev eth0",
                "+ addr 10.0.0.5/24 dev eth0 label eth0:vip",
                "+ addr 10.0.0.6/24 dev eth0",
                "+ route 10.9.0.0/16 via 10.0.0.1",
                "- route 10.8.0.0/16 via 10.0.0.1",
                "- addr 10.0.0.1/24 dev eth0",
            ]
        );
    }

    #[test]
    fn routes_with_kac_protocol_are_kacs_and_others_are_replaced_in_place_on_adopt() {
        let keepalived = route(v4(10, 9, 0, 0), 16, v4(10, 0, 0, 1), 18);
        let mut o = observed_with(&[]);
        o.routes.insert(keepalived.key.clone(), keepalived.clone());
        let stray = route(v4(10, 7, 0, 0), 16, v4(10, 0, 0, 1), KAC_PROTOCOL);
        o.routes.insert(stray.key.clone(), stray);
        let mut want = Desired::default();
        let mine = route(v4(10, 9, 0, 0), 16, v4(10, 0, 0, 1), KAC_PROTOCOL);
        want.routes.insert(mine.key.clone(), mine);
        let d = diff(&want, &o, &Journal::default(), true);
        assert_eq!(
            lines(&d),
            [
                "~ route 10.9.0.0/16 via 10.0.0.1",
                "- route 10.7.0.0/16 via 10.0.0.1",
            ]
        );
        assert!(!d.ops[0].is_removal());
    }

    #[test]
    fn ipvs_edits_in_place_and_owns_per_service() {
        let mut want = Desired::default();
        let s = service(80, &[(v4(10, 1, 0, 7), 1), (v4(10, 1, 0, 8), 2)]);
        want.services.insert(s.key, s.clone());
        let mut have = service(80, &[(v4(10, 1, 0, 7), 5), (v4(10, 1, 0, 9), 1)]);
        have.attrs.scheduler = "rr".into();
        let foreign = service(443, &[(v4(10, 1, 0, 7), 1)]);
        let mut o = observed_with(&[]);
        let ipvs = o.ipvs.get_or_insert_with(Default::default);
        ipvs.services.insert(have.key, have);
        ipvs.services.insert(foreign.key, foreign.clone());
        let mut j = Journal::default();
        j.services.insert(s.key);
        let d = diff(&want, &o, &j, false);
        assert_eq!(
            lines(&d),
            [
                "~ service tcp 10.0.0.1:80 scheduler wrr",
                "~ dest tcp 10.0.0.1:80 -> 10.1.0.7:80 weight 1",
                "+ dest tcp 10.0.0.1:80 -> 10.1.0.8:80 masq weight 2",
                "- dest tcp 10.0.0.1:80 -> 10.1.0.9:80",
            ]
        );
        // lvs_flush: every service is kac's, the foreign one goes.
        want.ipvs_take_over = true;
        let d = diff(&want, &o, &Journal::default(), false);
        assert!(lines(&d).contains(&"- service tcp 10.0.0.1:443".to_string()));
        assert!(d.conflicts.is_empty());
    }

    #[test]
    fn every_op_has_an_inverse_that_restores() {
        let s = service(80, &[(v4(10, 1, 0, 7), 1)]);
        let del = Op::DelService(s.clone());
        let inv = del.inverse();
        assert_eq!(inv.len(), 2);
        assert!(matches!(&inv[0], Op::AddService(x) if x.key == s.key));
        let edit = Op::SetTimeouts {
            from: IpvsTimeouts {
                tcp: Some(900),
                tcp_fin: Some(120),
                udp: Some(300),
            },
            to: IpvsTimeouts {
                tcp: Some(60),
                ..Default::default()
            },
        };
        let back = edit.inverse();
        assert_eq!(
            back[0].to_string(),
            "~ lvs_timeouts tcp 900 tcpfin 120 udp 300"
        );
    }

    fn syncd(state: crate::syncd::SyncState, id: u8) -> crate::syncd::SyncDaemon {
        crate::syncd::SyncDaemon {
            state,
            interface: "eth1".into(),
            sync_id: id,
            maxlen: None,
            port: None,
            ttl: None,
            group: None,
        }
    }

    /// As the kernel reports a running daemon: every option set.
    fn running(d: &crate::syncd::SyncDaemon) -> crate::syncd::SyncDaemon {
        crate::syncd::SyncDaemon {
            maxlen: Some(1472),
            port: Some(8848),
            ttl: Some(1),
            group: Some(v4(224, 0, 0, 81)),
            ..d.clone()
        }
    }

    #[test]
    fn sync_daemon_switches_backup_to_master_stopping_first() {
        use crate::syncd::SyncState::{Backup, Master};
        let mut want = Desired {
            sync_daemon: Some(syncd(Master, 51)),
            ..Default::default()
        };
        let mut o = observed_with(&[]);
        let backup = running(&syncd(Backup, 51));
        o.sync_daemons = Some([(Backup, backup)].into_iter().collect());
        let mut j = Journal::default();
        j.sync_daemons.insert(Backup);
        let d = diff(&want, &o, &j, false);
        assert_eq!(
            lines(&d),
            [
                "- sync-daemon backup eth1 syncid 51 maxlen 1472 port 8848 ttl 1 group 224.0.0.81",
                "+ sync-daemon master eth1 syncid 51",
            ]
        );
        assert_eq!(d.journal.sync_daemons, [Master].into_iter().collect());
        // Running as wanted (kernel defaults filled in): nothing to do.
        o.sync_daemons = Some(
            [(Master, running(&syncd(Master, 51)))]
                .into_iter()
                .collect(),
        );
        assert!(diff(&want, &o, &d.journal, false).is_empty());
        // Another sync id: restarted.
        want.sync_daemon = Some(syncd(Master, 7));
        assert_eq!(
            lines(&diff(&want, &o, &d.journal, false)),
            [
                "- sync-daemon master eth1 syncid 51 maxlen 1472 port 8848 ttl 1 group 224.0.0.81",
                "+ sync-daemon master eth1 syncid 7",
            ]
        );
    }

    #[test]
    fn sync_daemons_are_stopped_only_when_owned_once_unwanted() {
        use crate::syncd::SyncState::{Backup, Master};
        let mut o = observed_with(&[]);
        o.sync_daemons = Some(
            [
                (Master, running(&syncd(Master, 1))),
                (Backup, running(&syncd(Backup, 1))),
            ]
            .into_iter()
            .collect(),
        );
        let mut j = Journal::default();
        j.sync_daemons.insert(Master);
        let d = diff(&Desired::default(), &o, &j, false);
        assert_eq!(
            lines(&d),
            ["- sync-daemon master eth1 syncid 1 maxlen 1472 port 8848 ttl 1 group 224.0.0.81"]
        );
        assert!(d.journal.sync_daemons.is_empty());
        // Not read: ownership is kept, nothing changes.
        o.sync_daemons = None;
        let d = diff(&Desired::default(), &o, &j, false);
        assert!(d.ops.is_empty());
        assert_eq!(d.journal.sync_daemons, j.sync_daemons);
    }
}
