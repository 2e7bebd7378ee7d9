//! The semantic diff of one host's two plans: objects matched by their stable keys, each
//! added, removed or changed (with the fields that differ), VIPs that change instance shown as
//! moves, removed real servers as drained then removed; and the hazards one host shows on its
//! own (VIP moves, VRIDs swapped or reused, real servers removed without draining, services
//! left without real servers).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use kac_schema::plan::{
    Plan, PlanAddress, PlanChecker, PlanRealServer, PlanVirtualServer, PlanVrrpInstance,
};
use kac_schema::plan_diff::{
    Action, Change, FieldChange, Hazard, HazardKind, ObjectKind, ObjectRef,
};
use serde::Serialize;

use super::keys;

/// The changes between a host's `from` and `to` plans, and the hazards they carry.
#[derive(Debug, Default)]
pub struct HostReview {
    /// The changes, parents before their children.
    pub changes: Vec<Change>,
    /// Hazards of this host alone.
    pub hazards: Vec<Hazard>,
    /// Instances whose VRID change is already reported as swapped or reused.
    pub vrid_flagged: BTreeSet<String>,
}

/// Diffs one host's plans (`host` names it in hazards).
pub fn review(host: &str, from: &Plan, to: &Plan) -> HostReview {
    let mut r = Review {
        host,
        out: HostReview::default(),
        drain: to.global.real_server_drain.clone(),
    };
    r.global(from, to);
    r.keyed(
        ObjectKind::StaticAddress,
        &[],
        keyed_list(&from.static_addresses, |a| (a.dev.clone(), a.addr)),
        keyed_list(&to.static_addresses, |a| (a.dev.clone(), a.addr)),
        |_, a| keys::static_address(a),
        keys::address_summary,
    );
    r.keyed(
        ObjectKind::StaticRoute,
        &[],
        keyed_list(&from.static_routes, keys::route),
        keyed_list(&to.static_routes, keys::route),
        |k, _| k.clone(),
        keys::route_summary,
    );
    r.keyed(
        ObjectKind::StaticRule,
        &[],
        keyed_list(&from.static_rules, keys::rule),
        keyed_list(&to.static_rules, keys::rule),
        |k, _| k.clone(),
        keys::rule_summary,
    );
    r.keyed(
        ObjectKind::VrrpScript,
        &[],
        from.vrrp_scripts
            .iter()
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        to.vrrp_scripts
            .iter()
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        |k, _| k.clone(),
        |s| s.script.join(" "),
    );
    r.keyed(
        ObjectKind::TrackFile,
        &[],
        from.track_files
            .iter()
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        to.track_files.iter().map(|(k, v)| (k.clone(), v)).collect(),
        |k, _| k.clone(),
        |t| t.file.clone(),
    );
    r.keyed(
        ObjectKind::VrrpSyncGroup,
        &[],
        from.vrrp_sync_groups
            .iter()
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        to.vrrp_sync_groups
            .iter()
            .map(|(k, v)| (k.clone(), v))
            .collect(),
        |k, _| k.clone(),
        |g| g.members.join(", "),
    );
    r.instances(from, to);
    r.vrids(from, to);
    r.virtual_servers(from, to);
    r.out
}

/// Items of a list by key (the first item wins when a key repeats).
fn keyed_list<T, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> BTreeMap<K, &T> {
    let mut m = BTreeMap::new();
    for i in items {
        m.entry(key(i)).or_insert(i);
    }
    m
}

/// The fields of `old` and `new` (as the plan serializes them) that differ, nested objects
/// flattened to dotted names; the top-level fields in `skip` are compared elsewhere.
pub fn field_changes<T: Serialize>(old: &T, new: &T, skip: &[&str]) -> Vec<FieldChange> {
    let (Ok(old), Ok(new)) = (serde_json::to_value(old), serde_json::to_value(new)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    compare_values("", &old, &new, skip, &mut out);
    // Secrets are compared, never shown.
    for f in &mut out {
        for v in [&mut f.old, &mut f.new] {
            match v {
                serde_json::Value::String(p) if f.field.ends_with("auth.pass") => {
                    *p = keys::secret_text(p);
                }
                serde_json::Value::Object(_) => {
                    let mut wrapped = serde_json::json!({ "auth": v.clone() });
                    if f.field.ends_with("auth") {
                        keys::hide_secrets(&mut wrapped);
                        *v = wrapped["auth"].take();
                    } else {
                        keys::hide_secrets(v);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn compare_values(
    prefix: &str,
    old: &serde_json::Value,
    new: &serde_json::Value,
    skip: &[&str],
    out: &mut Vec<FieldChange>,
) {
    use serde_json::Value;
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            // Keep the plan's field order where there is one.
            let mut ordered: Vec<&String> = a.keys().filter(|k| names.contains(k)).collect();
            ordered.extend(b.keys().filter(|k| !a.contains_key(*k)));
            for k in ordered {
                if prefix.is_empty() && skip.contains(&k.as_str()) {
                    continue;
                }
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                let null = Value::Null;
                compare_values(
                    &name,
                    a.get(k).unwrap_or(&null),
                    b.get(k).unwrap_or(&null),
                    &[],
                    out,
                );
            }
        }
        (a, b) if a != b => out.push(FieldChange {
            field: prefix.to_string(),
            old: a.clone(),
            new: b.clone(),
        }),
        _ => {}
    }
}

struct Review<'a> {
    host: &'a str,
    out: HostReview,
    drain: kac_schema::plan::PlanDrain,
}

fn obj(object: ObjectKind, key: impl Into<String>) -> ObjectRef {
    ObjectRef {
        object,
        key: key.into(),
    }
}

impl Review<'_> {
    fn push(&mut self, c: Change) {
        self.out.changes.push(c);
    }

    fn hazard(&mut self, kind: HazardKind, object: ObjectRef, reason: String) {
        self.out.hazards.push(Hazard {
            kind,
            object,
            hosts: vec![self.host.to_string()],
            reason,
        });
    }

    fn global(&mut self, from: &Plan, to: &Plan) {
        if from.global == to.global && from.config_id == to.config_id {
            return;
        }
        let mut fields = field_changes(&from.global, &to.global, &[]);
        if from.config_id != to.config_id {
            fields.insert(
                0,
                FieldChange {
                    field: "config_id".into(),
                    old: from.config_id.clone().into(),
                    new: to.config_id.clone().into(),
                },
            );
        }
        self.push(changed(ObjectKind::Global, "global", Vec::new(), fields));
    }

    /// Added, removed and changed objects of one kind, matched by key (`key` names one for
    /// the diff, from its map key and itself).
    fn keyed<K: Ord, T: Serialize + PartialEq>(
        &mut self,
        kind: ObjectKind,
        within: &[ObjectRef],
        from: BTreeMap<K, &T>,
        to: BTreeMap<K, &T>,
        key: impl Fn(&K, &T) -> String,
        summary: impl Fn(&T) -> String,
    ) {
        for (k, old, new) in merge(&from, &to) {
            match (old, new) {
                (Some(o), None) => self.push(added_or_removed(
                    kind,
                    key(k, o),
                    within,
                    Action::Removed,
                    summary(o),
                    *o,
                )),
                (None, Some(n)) => self.push(added_or_removed(
                    kind,
                    key(k, n),
                    within,
                    Action::Added,
                    summary(n),
                    *n,
                )),
                (Some(o), Some(n)) if o != n => self.push(changed(
                    kind,
                    key(k, n),
                    within.to_vec(),
                    field_changes(*o, *n, &[]),
                )),
                _ => {}
            }
        }
    }

    fn instances(&mut self, from: &Plan, to: &Plan) {
        // VIPs that leave one instance and join another on this host are moves.
        let moves = vip_moves(from, to);
        for (name, old, new) in merge(&from.vrrp_instances, &to.vrrp_instances) {
            let me = obj(ObjectKind::VrrpInstance, name.clone());
            match (old, new) {
                (Some(o), None) => {
                    self.push(added_or_removed(
                        ObjectKind::VrrpInstance,
                        name.clone(),
                        &[],
                        Action::Removed,
                        keys::instance_summary(o),
                        o,
                    ));
                }
                (None, Some(n)) => {
                    self.push(added_or_removed(
                        ObjectKind::VrrpInstance,
                        name.clone(),
                        &[],
                        Action::Added,
                        keys::instance_summary(n),
                        n,
                    ));
                    // Still show the VIPs that moved here from another instance.
                    self.moved_vips(&moves, name, n, &me);
                }
                (Some(o), Some(n)) => {
                    if o == n {
                        continue;
                    }
                    let fields = field_changes(o, n, &["vips", "excluded_vips", "routes", "rules"]);
                    if !fields.is_empty() {
                        self.push(changed(
                            ObjectKind::VrrpInstance,
                            name.clone(),
                            Vec::new(),
                            fields,
                        ));
                    }
                    self.instance_vips(&moves, name, o, n, &me);
                    let within = [me.clone()];
                    self.keyed(
                        ObjectKind::ExcludedVip,
                        &within,
                        keyed_list(&o.excluded_vips, |a| a.addr),
                        keyed_list(&n.excluded_vips, |a| a.addr),
                        |k, _| k.to_string(),
                        keys::address_summary,
                    );
                    self.keyed(
                        ObjectKind::VirtualRoute,
                        &within,
                        keyed_list(&o.routes, keys::route),
                        keyed_list(&n.routes, keys::route),
                        |k, _| k.clone(),
                        keys::route_summary,
                    );
                    self.keyed(
                        ObjectKind::VirtualRule,
                        &within,
                        keyed_list(&o.rules, keys::rule),
                        keyed_list(&n.rules, keys::rule),
                        |k, _| k.clone(),
                        keys::rule_summary,
                    );
                }
                (None, None) => {}
            }
        }
    }

    /// The VIPs of an instance present on both sides: moves out are left to the instance they
    /// move to; the rest are added, removed or changed.
    fn instance_vips(
        &mut self,
        moves: &BTreeMap<IpAddr, (String, String)>,
        name: &str,
        o: &PlanVrrpInstance,
        n: &PlanVrrpInstance,
        me: &ObjectRef,
    ) {
        let old = keyed_list(&o.vips, |a| a.addr);
        let new = keyed_list(&n.vips, |a| a.addr);
        for (addr, a, b) in merge(&old, &new) {
            match (a, b) {
                (Some(a), None) => {
                    if moves.get(addr).is_some_and(|(src, _)| src == name) {
                        continue;
                    }
                    self.push(added_or_removed(
                        ObjectKind::Vip,
                        addr.to_string(),
                        std::slice::from_ref(me),
                        Action::Removed,
                        keys::address_summary(a),
                        *a,
                    ));
                }
                (None, Some(b)) => {
                    if moves.get(addr).is_some_and(|(_, dst)| dst == name) {
                        self.moved_vip(moves, addr, b, me);
                        continue;
                    }
                    self.push(added_or_removed(
                        ObjectKind::Vip,
                        addr.to_string(),
                        std::slice::from_ref(me),
                        Action::Added,
                        keys::address_summary(b),
                        *b,
                    ));
                }
                (Some(a), Some(b)) if a != b => self.push(changed(
                    ObjectKind::Vip,
                    addr.to_string(),
                    vec![me.clone()],
                    field_changes(*a, *b, &[]),
                )),
                _ => {}
            }
        }
    }

    /// The VIPs of a new instance that moved there from another instance.
    fn moved_vips(
        &mut self,
        moves: &BTreeMap<IpAddr, (String, String)>,
        name: &str,
        n: &PlanVrrpInstance,
        me: &ObjectRef,
    ) {
        for v in &n.vips {
            if moves.get(&v.addr).is_some_and(|(_, dst)| dst == name) {
                self.moved_vip(moves, &v.addr, v, me);
            }
        }
    }

    fn moved_vip(
        &mut self,
        moves: &BTreeMap<IpAddr, (String, String)>,
        addr: &IpAddr,
        new: &PlanAddress,
        me: &ObjectRef,
    ) {
        let Some((src, dst)) = moves.get(addr) else {
            return;
        };
        self.push(Change {
            object: ObjectKind::Vip,
            key: addr.to_string(),
            within: vec![me.clone()],
            action: Action::Moved,
            fields: Vec::new(),
            moved_from: Some(vec![obj(ObjectKind::VrrpInstance, src.clone())]),
            drain_s: None,
            summary: Some(keys::address_summary(new)),
            value: None,
            ops: Vec::new(),
        });
        self.hazard(
            HazardKind::VipMoved,
            obj(ObjectKind::Vip, addr.to_string()),
            format!(
                "VIP {addr} moves from instance {src} to {dst}: keepalived applies this safely \
                 only in two reloads (first remove it from {src}, then add it to {dst}); in one \
                 reload the address can end up on no instance"
            ),
        );
    }

    /// VRIDs exchanged between two instances, or taken over by another instance.
    fn vrids(&mut self, from: &Plan, to: &Plan) {
        // (interface, family, vrid) -> instance name, per side.
        let slot = |i: &PlanVrrpInstance| (i.interface.clone(), i.family.clone(), i.vrid);
        let old: BTreeMap<_, &String> = from
            .vrrp_instances
            .iter()
            .map(|(n, i)| (slot(i), n))
            .collect();
        let mut swapped = BTreeSet::new();
        for (name, n) in &to.vrrp_instances {
            let Some(o) = from.vrrp_instances.get(name) else {
                continue;
            };
            if o.vrid == n.vrid {
                continue;
            }
            // Who had this VRID before?
            let Some(prev) = old.get(&slot(n)).copied() else {
                continue;
            };
            if prev == name {
                continue;
            }
            let prev_new = to.vrrp_instances.get(prev);
            let is_swap = prev_new.is_some_and(|p| p.vrid == o.vrid && slot(p).0 == slot(o).0);
            if is_swap {
                let pair = if name < prev {
                    (name.clone(), prev.clone())
                } else {
                    (prev.clone(), name.clone())
                };
                self.out.vrid_flagged.insert(name.clone());
                if !swapped.insert(pair.clone()) {
                    continue;
                }
                let (a, b) = pair;
                let (va, vb) = if &a == name {
                    (o.vrid, n.vrid)
                } else {
                    (n.vrid, o.vrid)
                };
                self.hazard(
                    HazardKind::VridSwapped,
                    obj(ObjectKind::VrrpInstance, a.clone()),
                    format!(
                        "instances {a} and {b} exchange VRIDs ({a}: {va} -> {vb}, {b}: {vb} -> \
                         {va}): while the hosts reload one after another, an updated host and a \
                         peer not yet updated take each other's instance for their own (wrong \
                         VIPs, two masters); move one instance to a free VRID first, in a \
                         separate change"
                    ),
                );
            } else {
                self.out.vrid_flagged.insert(name.clone());
                let whence = if prev_new.is_some() {
                    "now uses another VRID"
                } else {
                    "is removed"
                };
                self.hazard(
                    HazardKind::VridReused,
                    obj(ObjectKind::VrrpInstance, name.clone()),
                    format!(
                        "instance {name} takes VRID {} that belonged to instance {prev}, which \
                         {whence}: a peer not yet updated still runs {prev} with VRID {} and \
                         takes {name}'s adverts for its own (wrong VIPs, two masters); use a VRID \
                         no instance used in the previous revision",
                        n.vrid, n.vrid
                    ),
                );
            }
        }
        // A new instance taking the VRID of an instance that is removed or renumbered.
        for (name, n) in &to.vrrp_instances {
            if from.vrrp_instances.contains_key(name) {
                continue;
            }
            let Some(prev) = old.get(&slot(n)).copied() else {
                continue;
            };
            let prev_still = to
                .vrrp_instances
                .get(prev)
                .is_some_and(|p| slot(p) == slot(n));
            if prev_still {
                continue; // two instances with one VRID: keepalived rejects the config
            }
            self.out.vrid_flagged.insert(name.clone());
            self.hazard(
                HazardKind::VridReused,
                obj(ObjectKind::VrrpInstance, name.clone()),
                format!(
                    "new instance {name} takes VRID {} that belonged to instance {prev}: a peer \
                     not yet updated still runs {prev} with that VRID and takes {name}'s adverts \
                     for its own (wrong VIPs, two masters); use a VRID no instance used in the \
                     previous revision",
                    n.vrid
                ),
            );
        }
    }

    fn virtual_servers(&mut self, from: &Plan, to: &Plan) {
        let old = keyed_list(&from.virtual_servers, |v| v.key.clone());
        let new = keyed_list(&to.virtual_servers, |v| v.key.clone());
        for (_, o, n) in merge(&old, &new) {
            match (o, n) {
                (Some(o), None) => self.removed_virtual_server(o),
                (None, Some(n)) => self.push(added_or_removed(
                    ObjectKind::VirtualServer,
                    keys::virtual_server(&n.key),
                    &[],
                    Action::Added,
                    keys::virtual_server_summary(n),
                    *n,
                )),
                (Some(o), Some(n)) if o != n => self.virtual_server(o, n),
                _ => {}
            }
        }
    }

    fn virtual_server(&mut self, o: &PlanVirtualServer, n: &PlanVirtualServer) {
        let key = keys::virtual_server(&n.key);
        let me = obj(ObjectKind::VirtualServer, key.clone());
        let fields = field_changes(o, n, &["key", "real_servers"]);
        if !fields.is_empty() {
            self.push(changed(
                ObjectKind::VirtualServer,
                key.clone(),
                Vec::new(),
                fields,
            ));
        }
        let old = keyed_list(&o.real_servers, |r| (r.addr, r.port));
        let new = keyed_list(&n.real_servers, |r| (r.addr, r.port));
        let within = vec![me.clone()];
        for (_, a, b) in merge(&old, &new) {
            match (a, b) {
                (Some(a), None) => self.removed_real_server(a, &within),
                (None, Some(b)) => self.push(added_or_removed(
                    ObjectKind::RealServer,
                    keys::real_server(b),
                    &within,
                    Action::Added,
                    keys::real_server_summary(b),
                    *b,
                )),
                (Some(a), Some(b)) if a != b => self.real_server(a, b, &within),
                _ => {}
            }
        }
        if !o.real_servers.is_empty() && n.real_servers.is_empty() {
            let whither = n.sorry_server.as_ref().map_or_else(
                || "its connections fail".to_string(),
                |s| format!("new connections go to the sorry server {s}"),
            );
            self.hazard(
                HazardKind::AllRealServersRemoved,
                me,
                format!(
                    "virtual server {key} keeps none of its {} real server(s): {whither}; remove \
                     the virtual server too if that is intended",
                    o.real_servers.len()
                ),
            );
        }
    }

    /// A removed virtual server: kept with its real servers at weight 0 for the drain period
    /// when draining is on and one of them takes traffic (weight above 0), as the daemon does;
    /// removed at once otherwise.
    fn removed_virtual_server(&mut self, o: &PlanVirtualServer) {
        let mut change = added_or_removed(
            ObjectKind::VirtualServer,
            keys::virtual_server(&o.key),
            &[],
            Action::Removed,
            keys::virtual_server_summary(o),
            o,
        );
        if self.drain.enabled && o.real_servers.iter().any(|r| r.weight > 0) {
            change.action = Action::DrainedThenRemoved;
            change.drain_s = Some(self.drain.period_s);
        }
        self.push(change);
    }

    fn removed_real_server(&mut self, r: &PlanRealServer, within: &[ObjectRef]) {
        let key = keys::real_server(r);
        if self.drain.enabled {
            self.push(Change {
                object: ObjectKind::RealServer,
                key,
                within: within.to_vec(),
                action: Action::DrainedThenRemoved,
                fields: Vec::new(),
                moved_from: None,
                drain_s: Some(self.drain.period_s),
                summary: Some(keys::real_server_summary(r)),
                value: shown_value(r),
                ops: Vec::new(),
            });
        } else {
            self.push(added_or_removed(
                ObjectKind::RealServer,
                key.clone(),
                within,
                Action::Removed,
                keys::real_server_summary(r),
                r,
            ));
            let vs = within.last().map_or("?", |w| w.key.as_str());
            self.hazard(
                HazardKind::RealServerRemovedWithoutDrain,
                obj(ObjectKind::RealServer, key.clone()),
                format!(
                    "real server {key} of virtual server {vs} is removed while draining is \
                     turned off: its established connections are cut; turn draining on, or set \
                     its weight to 0 in one change and remove it in a later one"
                ),
            );
        }
    }

    fn real_server(&mut self, a: &PlanRealServer, b: &PlanRealServer, within: &[ObjectRef]) {
        let key = keys::real_server(b);
        let fields = field_changes(a, b, &["addr", "port", "checkers"]);
        if !fields.is_empty() {
            self.push(changed(
                ObjectKind::RealServer,
                key.clone(),
                within.to_vec(),
                fields,
            ));
        }
        let mut inner = within.to_vec();
        inner.push(obj(ObjectKind::RealServer, key));
        self.keyed(
            ObjectKind::Checker,
            &inner,
            numbered_checkers(&a.checkers),
            numbered_checkers(&b.checkers),
            |k, _| k.clone(),
            keys::checker_summary,
        );
    }
}

/// Checkers by `KIND ADDRESS:PORT`, repeats numbered `#2`, `#3`, … in order.
fn numbered_checkers(list: &[PlanChecker]) -> BTreeMap<String, &PlanChecker> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for c in list {
        let base = keys::checker(c);
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let key = if *n == 1 {
            base
        } else {
            format!("{base} #{n}")
        };
        out.insert(key, c);
    }
    out
}

/// Keys of both maps in order, with the value on each side.
fn merge<'m, K: Ord, A, B>(
    a: &'m BTreeMap<K, A>,
    b: &'m BTreeMap<K, B>,
) -> Vec<(&'m K, Option<&'m A>, Option<&'m B>)> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let mut ia = a.iter().peekable();
    let mut ib = b.iter().peekable();
    loop {
        match (ia.peek(), ib.peek()) {
            (Some((ka, _)), Some((kb, _))) => match ka.cmp(kb) {
                std::cmp::Ordering::Less => {
                    let (k, v) = ia.next().expect("peeked");
                    out.push((k, Some(v), None));
                }
                std::cmp::Ordering::Greater => {
                    let (k, v) = ib.next().expect("peeked");
                    out.push((k, None, Some(v)));
                }
                std::cmp::Ordering::Equal => {
                    let (k, va) = ia.next().expect("peeked");
                    let (_, vb) = ib.next().expect("peeked");
                    out.push((k, Some(va), Some(vb)));
                }
            },
            (Some(_), None) => {
                let (k, v) = ia.next().expect("peeked");
                out.push((k, Some(v), None));
            }
            (None, Some(_)) => {
                let (k, v) = ib.next().expect("peeked");
                out.push((k, None, Some(v)));
            }
            (None, None) => break,
        }
    }
    out
}

/// VIP address -> (instance it leaves, instance it joins), for addresses that are on exactly
/// one instance on each side and change instance.
fn vip_moves(from: &Plan, to: &Plan) -> BTreeMap<IpAddr, (String, String)> {
    let owners = |p: &Plan| {
        let mut m: BTreeMap<IpAddr, Vec<String>> = BTreeMap::new();
        for (name, i) in &p.vrrp_instances {
            for v in &i.vips {
                m.entry(v.addr).or_default().push(name.clone());
            }
        }
        m
    };
    let old = owners(from);
    let new = owners(to);
    let mut moves = BTreeMap::new();
    for (addr, was) in &old {
        if let (Some(now), [src]) = (new.get(addr), was.as_slice())
            && let [dst] = now.as_slice()
            && src != dst
        {
            moves.insert(*addr, (src.clone(), dst.clone()));
        }
    }
    moves
}

/// A `changed` change of `object` `key` within `within`, with the fields that differ.
pub fn changed(
    object: ObjectKind,
    key: impl Into<String>,
    within: Vec<ObjectRef>,
    fields: Vec<FieldChange>,
) -> Change {
    Change {
        fields,
        ..Change::new(object, key, within, Action::Changed)
    }
}

fn added_or_removed<T: Serialize + ?Sized>(
    object: ObjectKind,
    key: String,
    within: &[ObjectRef],
    action: Action,
    summary: String,
    value: &T,
) -> Change {
    Change {
        object,
        key,
        within: within.to_vec(),
        action,
        fields: Vec::new(),
        moved_from: None,
        drain_s: None,
        summary: (!summary.is_empty()).then_some(summary),
        value: shown_value(value),
        ops: Vec::new(),
    }
}

/// An object as the plan serializes it, secrets hidden.
fn shown_value<T: Serialize + ?Sized>(value: &T) -> Option<serde_json::Value> {
    let mut v = serde_json::to_value(value).ok()?;
    keys::hide_secrets(&mut v);
    Some(v)
}
