//! Unit tests of the review on plans compiled from keepalived.conf text in memory.

use kac_schema::plan::Plan;
use kac_schema::plan_diff::{Action, HazardKind, HostStatus, ObjectKind};

use super::{HostInput, HostSide, SiteInput, review_site};
use crate::conf::preproc::InMemory;

fn plan(text: &str, id: &str) -> Plan {
    let mem = InMemory::new("/mem/k.conf", text);
    let opts = crate::Options {
        config_id: Some(id.into()),
        ..Default::default()
    };
    let c = crate::compile_conf_with(
        &mem,
        std::path::Path::new("/mem/k.conf"),
        "k.conf",
        id,
        &opts,
    );
    let errors: Vec<_> = c
        .parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == kac_schema::Severity::Error)
        .map(|d| d.message.clone())
        .collect();
    c.plan
        .unwrap_or_else(|| panic!("test config compiles: {errors:?}"))
}

const VS: &str = "virtual_server 192.0.2.1 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.0.0.1 80 {
        weight 1
    }
    real_server 10.0.0.2 80 {
        weight 1
    }
}
";

fn one_host(from: Plan, to: Plan) -> kac_schema::plan_diff::SiteDiff {
    review_site(&SiteInput {
        site: ".".into(),
        hosts: vec![HostInput {
            name: "lb1".into(),
            from: HostSide::Plan(Box::new(from)),
            to: HostSide::Plan(Box::new(to)),
        }],
        errors: Vec::new(),
    })
}

#[test]
fn a_weight_change_is_a_change_not_remove_and_add() {
    let from = plan(VS, "lb1");
    let to = plan(&VS.replacen("weight 1", "weight 5", 1), "lb1");
    let d = one_host(from, to);
    let h = &d.hosts[0];
    assert_eq!(h.status, HostStatus::Changed);
    assert_eq!(h.changes.len(), 1, "{:#?}", h.changes);
    let c = &h.changes[0];
    assert_eq!(
        (c.object, c.action, c.key.as_str()),
        (ObjectKind::RealServer, Action::Changed, "10.0.0.1:80")
    );
    assert_eq!(c.within[0].key, "192.0.2.1:80 TCP");
    assert_eq!(c.fields[0].field, "weight");
    assert_eq!(
        (c.fields[0].old.as_u64(), c.fields[0].new.as_u64()),
        (Some(1), Some(5))
    );
}

#[test]
fn a_removed_real_server_is_drained_unless_draining_is_off() {
    let from = plan(VS, "lb1");
    let without = VS.replace(
        "    real_server 10.0.0.2 80 {\n        weight 1\n    }\n",
        "",
    );
    let to = plan(&without, "lb1");
    let d = one_host(from.clone(), to.clone());
    let c = &d.hosts[0].changes[0];
    assert_eq!(c.action, Action::DrainedThenRemoved);
    assert_eq!(c.drain_s, Some(kac_schema::plan::DEFAULT_DRAIN_PERIOD_S));
    assert!(d.hosts[0].hazards.is_empty());

    let mut off = to;
    off.global.real_server_drain.enabled = false;
    let d = one_host(from, off);
    let h = &d.hosts[0];
    let removed = h
        .changes
        .iter()
        .find(|c| c.object == ObjectKind::RealServer)
        .expect("the real server change");
    assert_eq!(removed.action, Action::Removed);
    assert_eq!(
        h.hazards.iter().map(|z| z.kind).collect::<Vec<_>>(),
        vec![HazardKind::RealServerRemovedWithoutDrain]
    );
    // Turning draining off is itself a change of the global settings.
    assert!(h.changes.iter().any(|c| {
        c.object == ObjectKind::Global
            && c.fields
                .iter()
                .any(|f| f.field == "real_server_drain.enabled")
    }));
}

#[test]
fn removing_every_real_server_is_a_hazard() {
    let from = plan(VS, "lb1");
    let empty =
        "virtual_server 192.0.2.1 80 {\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n}\n";
    let d = one_host(from, plan(empty, "lb1"));
    let kinds: Vec<HazardKind> = d.hosts[0].hazards.iter().map(|z| z.kind).collect();
    assert_eq!(kinds, vec![HazardKind::AllRealServersRemoved]);
    assert!(d.hosts[0].hazards[0].reason.contains("connections fail"));
}

const VRRP: &str = "vrrp_instance A {
    state BACKUP
    interface eth0
    virtual_router_id 1
    @lb1 priority 150
    @lb2 priority 100
    virtual_ipaddress {
        192.0.2.1/24
    }
}
vrrp_instance B {
    state BACKUP
    interface eth0
    virtual_router_id 2
    @lb1 priority 150
    @lb2 priority 100
    virtual_ipaddress {
        192.0.2.2/24
    }
}
";

fn two_hosts(from: &str, to: &str) -> kac_schema::plan_diff::SiteDiff {
    review_site(&SiteInput {
        site: ".".into(),
        hosts: ["lb1", "lb2"]
            .into_iter()
            .map(|h| HostInput {
                name: h.into(),
                from: HostSide::Plan(Box::new(plan(from, h))),
                to: HostSide::Plan(Box::new(plan(to, h))),
            })
            .collect(),
        errors: Vec::new(),
    })
}

fn site_kinds(d: &kac_schema::plan_diff::SiteDiff) -> Vec<HazardKind> {
    d.hazards.iter().map(|z| z.kind).collect()
}

#[test]
fn a_vrid_taken_from_a_removed_instance_is_reused() {
    let to = VRRP
        .replace("virtual_router_id 2", "virtual_router_id 3")
        .replace(
            "vrrp_instance A {\n    state BACKUP\n    interface eth0\n    virtual_router_id 1",
            "vrrp_instance C {\n    state BACKUP\n    interface eth0\n    virtual_router_id 1",
        );
    let d = two_hosts(VRRP, &to);
    let host: Vec<HazardKind> = d.hosts[0].hazards.iter().map(|z| z.kind).collect();
    assert!(host.contains(&HazardKind::VridReused), "{host:?}");
    // B's own VRID change (2 -> 3) must reach every peer at once.
    assert!(site_kinds(&d).contains(&HazardKind::PeersMustChangeTogether));
}

#[test]
fn a_vrid_changed_on_one_host_only_makes_two_masters() {
    let to = VRRP.replace(
        "virtual_router_id 2",
        "@lb1 virtual_router_id 2\n    @lb2 virtual_router_id 9",
    );
    let d = two_hosts(VRRP, &to);
    assert_eq!(site_kinds(&d), vec![HazardKind::TwoMasters]);
    assert!(
        d.hazards[0].reason.contains("VRID: lb1 2, lb2 9"),
        "{}",
        d.hazards[0].reason
    );
}

#[test]
fn a_priority_change_that_keeps_the_master_is_no_hazard() {
    let to = VRRP.replacen("@lb1 priority 150", "@lb1 priority 120", 1);
    let d = two_hosts(VRRP, &to);
    assert!(site_kinds(&d).is_empty(), "{:?}", d.hazards);
    let to = VRRP.replacen("@lb1 priority 150", "@lb1 priority 100", 1);
    let d = two_hosts(VRRP, &to);
    assert_eq!(site_kinds(&d), vec![HazardKind::MasterChanges]);
    assert!(
        d.hazards[0].reason.contains("lb1 or lb2 (a tie"),
        "{}",
        d.hazards[0].reason
    );
}

#[test]
fn moving_a_vip_is_a_move_with_a_hazard() {
    let to = VRRP.replace("        192.0.2.2/24\n", "").replace(
        "        192.0.2.1/24\n",
        "        192.0.2.1/24\n        192.0.2.2/24\n",
    );
    let d = two_hosts(VRRP, &to);
    let h = &d.hosts[0];
    let moved: Vec<_> = h
        .changes
        .iter()
        .filter(|c| c.action == Action::Moved)
        .collect();
    assert_eq!(moved.len(), 1, "{:#?}", h.changes);
    assert_eq!(moved[0].key, "192.0.2.2");
    assert_eq!(moved[0].within[0].key, "A");
    assert_eq!(
        moved[0].moved_from.as_ref().map(|m| m[0].key.as_str()),
        Some("B")
    );
    assert_eq!(
        h.hazards.iter().map(|z| z.kind).collect::<Vec<_>>(),
        vec![HazardKind::VipMoved]
    );
}

#[test]
fn passwords_are_compared_but_never_shown() {
    let with = |p: &str| {
        VRRP.replacen(
            "    virtual_router_id 1\n",
            &format!("    virtual_router_id 1\n    authentication {{\n        auth_type PASS\n        auth_pass {p}\n    }}\n"),
            1,
        )
    };
    let d = two_hosts(&with("s3cret1"), &with("s3cret2"));
    let json = serde_json::to_string(&d).expect("serializes");
    assert!(!json.contains("s3cret"), "{json}");
    let f = &d.hosts[0].changes[0].fields[0];
    assert_eq!(f.field, "auth.pass");
    assert_ne!(f.old, f.new);
    assert_eq!(site_kinds(&d), vec![HazardKind::PeersMustChangeTogether]);
}

/// Both sides compiled with their virtual servers paired as they come (`kac plan`).
fn paired_plans(from: &str, to: &str, id: &str) -> (Plan, Plan) {
    use super::pairing::VsPairing;
    use kac_schema::plan_diff::Side;
    let pairing = VsPairing::default();
    let compile = |text: &str, side: Side| {
        let mem = InMemory::new("/mem/k.conf", text);
        let opts = crate::Options {
            config_id: Some(id.into()),
            ..Default::default()
        };
        crate::compile_conf_with_sink(
            &mem,
            std::path::Path::new("/mem/k.conf"),
            "k.conf",
            id,
            &opts,
            &mut |vs| pairing.offer(side, vs),
        )
        .plan
        .expect("test config compiles")
    };
    let mut f = compile(from, Side::From);
    let mut t = compile(to, Side::To);
    pairing.complete(Side::From, &mut f);
    pairing.complete(Side::To, &mut t);
    (f, t)
}

#[test]
fn pairing_virtual_servers_gives_the_review_of_the_full_plans() {
    let web = |port: u16, weight: u32| {
        format!(
            "virtual_server 192.0.2.1 {port} {{\n    lb_algo rr\n    protocol TCP\n    \
             real_server 10.0.0.1 80 {{\n        weight {weight}\n        TCP_CHECK {{\n        \
             }}\n    }}\n}}\n"
        )
    };
    let group = "virtual_server_group G {\n    192.0.2.9 80\n}\n\
                 virtual_server group G {\n    protocol TCP\n    \
                 real_server 10.0.0.3 80 {\n        weight 1\n    }\n}\n";
    let cases = [
        // unchanged, changed, removed, added
        (
            [web(80, 1), web(81, 1), web(82, 1)].concat(),
            [web(80, 1), web(81, 5), web(83, 1)].concat(),
        ),
        // a duplicate key: the first one counts on each side
        (
            [web(80, 1), web(80, 7)].concat(),
            [web(80, 1), web(80, 9)].concat(),
        ),
        (
            [web(80, 1), web(80, 7)].concat(),
            [web(80, 7), web(80, 1)].concat(),
        ),
        // group services are not paired but still reviewed
        (
            [group, &web(80, 1)].concat(),
            [group.replace("weight 1", "weight 2").as_str(), &web(80, 1)].concat(),
        ),
        (String::new(), web(80, 1)),
    ];
    for (from, to) in cases {
        let full = one_host(plan(&from, "lb1"), plan(&to, "lb1"));
        let (f, t) = paired_plans(&from, &to, "lb1");
        let kept = f.virtual_servers.len() + t.virtual_servers.len();
        let paired = one_host(f, t);
        assert_eq!(full, paired, "from:\n{from}\nto:\n{to}");
        let total =
            plan(&from, "lb1").virtual_servers.len() + plan(&to, "lb1").virtual_servers.len();
        let changed = paired.hosts[0].changes.len();
        assert!(
            kept <= total && (changed == 0 || kept > 0),
            "{kept} of {total} kept"
        );
    }
    // The unchanged service is not kept.
    let (f, t) = paired_plans(&web(80, 1), &web(80, 1), "lb1");
    assert!(f.virtual_servers.is_empty() && t.virtual_servers.is_empty());
}
