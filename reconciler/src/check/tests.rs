//! The engine with a fake clock and a scripted prober: each endpoint answers what the test
//! says, attempts run exactly when the engine schedules them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use kac_schema::plan::{Plan, PlanChecker, PlanRealServer, PlanVirtualServer, PlanVsKey};

use super::drain::Drains;
use super::engine::{CheckEngine, CheckSpec};
use super::health::Effects;
use super::schedule::Attempt;
use crate::desired::Desired;
use crate::model::ServiceKey;
use crate::names::Names;

/// A check of an endpoint; identical endpoints are identical checks.
#[derive(Clone, Debug)]
struct Scripted {
    endpoint: SocketAddr,
}

impl CheckSpec for Scripted {
    type Key = SocketAddr;
    fn from_plan(
        c: &PlanChecker,
        _: &PlanRealServer,
        _: &PlanVirtualServer,
    ) -> Result<Self, String> {
        if c.kind == "BFD_CHECK" {
            return Err("not supported".into());
        }
        Ok(Scripted {
            endpoint: SocketAddr::new(c.connect_ip, c.connect_port),
        })
    }
    fn dedupe_key(&self) -> SocketAddr {
        self.endpoint
    }
}

/// A plan with nothing in it (tests fill in what they need).
pub(crate) fn empty_plan() -> Plan {
    serde_json::from_value(serde_json::json!({
        "plan_version": 1, "host": "t", "config_id": null,
        "global": {
            "router_id": "host_name", "script_user": "default_script_user",
            "enable_script_security": false,
            "email": {"to": [], "from": null, "smtp_server": null, "helo_name": null,
                      "connect_timeout_s": 30},
            "vrrp_version": 2, "vrrp_mcast_group4": "224.0.0.18",
            "vrrp_mcast_group6": "ff02::12", "vrrp_strict": false,
            "garp": {"master_delay_s": 5, "master_repeat": 5, "master_refresh_s": 0,
                     "master_refresh_repeat": 1, "interval_us": 0, "gna_interval_us": 0},
            "lvs_timeouts": {"tcp": null, "tcpfin": null, "udp": null},
            "lvs_flush": false, "lvs_flush_on_stop": "none", "dynamic_interfaces": false
        },
        "static_addresses": [], "static_routes": [], "static_rules": [],
        "vrrp_scripts": {}, "track_files": {}, "vrrp_sync_groups": {},
        "vrrp_instances": {}, "virtual_servers": []
    }))
    .expect("plan")
}

const S: u64 = 1_000_000;

/// A TCP_CHECK on `port` of `addr`: delay_loop 5s, retry 1, delay_before_retry 1s, no
/// warmup.
pub(crate) fn tcp(addr: &str, port: u16) -> PlanChecker {
    PlanChecker {
        kind: "TCP_CHECK".into(),
        connect_ip: addr.parse().expect("ip"),
        connect_port: port,
        bindto: None,
        delay_loop_us: 5 * S,
        connect_timeout_us: 2 * S,
        retry: 1,
        delay_before_retry_us: S,
        warmup_us: 0,
        alpha: false,
        log_all_failures: false,
        bind_port: None,
        bind_if: None,
        fwmark: None,
        argv: None,
        params: BTreeMap::new(),
    }
}

pub(crate) fn rs(addr: &str, weight: u32, checkers: Vec<PlanChecker>) -> PlanRealServer {
    PlanRealServer {
        addr: addr.parse().expect("ip"),
        port: 80,
        weight,
        lb_kind: "NAT".into(),
        tunnel: None,
        inhibit_on_failure: false,
        uthreshold: 0,
        lthreshold: 0,
        notify_up: None,
        notify_down: None,
        checkers,
        smtp_alert: None,
        script_users: BTreeMap::new(),
    }
}

/// A real server checked on its own address, port 80.
pub(crate) fn checked(addr: &str, weight: u32) -> PlanRealServer {
    rs(addr, weight, vec![tcp(addr, 80)])
}

pub(crate) fn vs(vip: &str, real_servers: Vec<PlanRealServer>) -> PlanVirtualServer {
    PlanVirtualServer {
        key: PlanVsKey::Addr {
            addr: vip.parse().expect("ip"),
            port: 80,
            protocol: "TCP".into(),
        },
        group_members: Vec::new(),
        scheduler: "wlc".into(),
        sched_flags: Vec::new(),
        lb_kind: "NAT".into(),
        persistence_timeout_s: None,
        persistence_granularity: None,
        persistence_engine: None,
        quorum: 1,
        hysteresis: 0,
        alpha: false,
        omega: false,
        sorry_server: None,
        ha_suspend: false,
        quorum_up: None,
        quorum_down: None,
        sorry_server_inhibit: false,
        real_servers,
        smtp_alert: None,
        script_users: BTreeMap::new(),
        sorry_server_lvs_method: None,
        sorry_server_tunnel: None,
    }
}

pub(crate) fn plan(vss: Vec<PlanVirtualServer>) -> Plan {
    let mut p = empty_plan();
    p.virtual_servers = vss;
    p
}

pub(crate) fn svc(vip: &str) -> ServiceKey {
    ServiceKey::Addr {
        protocol: 6,
        addr: vip.parse().expect("ip"),
        port: 80,
    }
}

/// The engine, a fake clock, and what each endpoint answers (up unless told).
struct Sim {
    engine: CheckEngine<Scripted>,
    plan: Plan,
    t0: Instant,
    now: Instant,
    down: BTreeSet<SocketAddr>,
    weights: BTreeMap<SocketAddr, u32>,
    /// Every attempt: (seconds since start, endpoint).
    attempts: Vec<(f64, SocketAddr)>,
    effects: Effects,
}

impl Sim {
    fn new(p: Plan) -> Sim {
        let t0 = Instant::now();
        let mut engine = CheckEngine::new();
        engine.seed(7);
        let effects = engine.load(&p, t0).expect("load");
        Sim {
            engine,
            plan: p,
            t0,
            now: t0,
            down: BTreeSet::new(),
            weights: BTreeMap::new(),
            attempts: Vec::new(),
            effects,
        }
    }

    fn reload(&mut self, p: Plan) {
        let fx = self.engine.load(&p, self.now).expect("load");
        self.effects.merge(fx);
        self.plan = p;
    }

    fn set(&mut self, addr: &str, up: bool) {
        let a = SocketAddr::new(addr.parse().expect("ip"), 80);
        if up {
            self.down.remove(&a);
        } else {
            self.down.insert(a);
        }
    }

    /// Runs every attempt due until `secs` after the start (attempts take no time).
    fn run_until(&mut self, secs: f64) {
        let end = self.t0 + Duration::from_secs_f64(secs);
        while let Some(at) = self.engine.next_due() {
            if at > end {
                break;
            }
            self.now = self.now.max(at);
            for d in self.engine.due(self.now) {
                let ep = d.spec.endpoint;
                self.attempts.push(((self.now - self.t0).as_secs_f64(), ep));
                let attempt = if self.down.contains(&ep) {
                    Attempt::Fail("connection refused".into())
                } else {
                    Attempt::Pass(self.weights.get(&ep).copied())
                };
                let fx = self
                    .engine
                    .record(d.uid, attempt, Duration::from_millis(1), self.now);
                self.effects.merge(fx);
            }
        }
        self.now = self.now.max(end);
    }

    /// The IPVS state that would be applied: the plan's, with health written in.
    fn desired(&self) -> Desired {
        let mut d = Desired::from_plan(&self.plan, &Names::default()).expect("desired");
        self.engine.overlay(&mut d);
        d
    }

    /// `addr weight` of the service's real servers.
    fn dests(&self, vip: &str) -> Vec<String> {
        self.desired()
            .services
            .get(&svc(vip))
            .map(|s| {
                s.dests
                    .iter()
                    .map(|(a, d)| format!("{} {}", a.ip(), d.weight))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.effects.notices)
            .into_iter()
            .map(|n| n.argv.join(" "))
            .collect()
    }

    fn attempts_of(&self, addr: &str) -> Vec<f64> {
        let a = SocketAddr::new(addr.parse().expect("ip"), 80);
        self.attempts
            .iter()
            .filter(|(_, e)| *e == a)
            .map(|(t, _)| *t)
            .collect()
    }
}

#[test]
fn a_real_server_leaves_after_its_retries_fail_and_returns_on_one_pass() {
    let mut sim = Sim::new(plan(vec![vs(
        "10.0.0.1",
        vec![checked("10.1.0.1", 1), checked("10.1.0.2", 1)],
    )]));
    sim.run_until(0.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 1", "10.1.0.2 1"]);
    sim.set("10.1.0.2", false);
    // Attempts at 5s (fails, retry 1 left) and 6s (fails: down).
    sim.run_until(5.5);
    assert_eq!(
        sim.dests("10.0.0.1"),
        ["10.1.0.1 1", "10.1.0.2 1"],
        "one retry left"
    );
    sim.run_until(6.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 1"]);
    assert_eq!(sim.attempts_of("10.1.0.2"), [0.0, 5.0, 6.0]);
    // Down: the next attempt is a delay_loop later (11s); it passes: back in.
    sim.set("10.1.0.2", true);
    sim.run_until(10.9);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 1"]);
    sim.run_until(11.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 1", "10.1.0.2 1"]);
    let st = sim.engine.status();
    let h = st
        .iter()
        .find(|h| h.real_server == "10.1.0.2:80")
        .expect("row");
    assert_eq!((h.state.as_str(), h.ipvs.as_str()), ("up", "pool"));
    assert_eq!(h.checkers[0].failures, 2);
    assert_eq!(h.checkers[0].consecutive_failures, 0);
}

#[test]
fn every_checker_of_a_real_server_must_pass() {
    let mut two = checked("10.1.0.1", 3);
    two.checkers.push(tcp("10.1.0.9", 80));
    let mut sim = Sim::new(plan(vec![vs("10.0.0.1", vec![two])]));
    sim.set("10.1.0.9", false);
    sim.run_until(1.0);
    assert!(
        sim.dests("10.0.0.1").is_empty(),
        "one failed checker takes it out"
    );
    sim.set("10.1.0.9", true);
    sim.run_until(6.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 3"]);
}

#[test]
fn inhibit_on_failure_keeps_a_failed_real_server_at_weight_0() {
    let mut r = checked("10.1.0.1", 4);
    r.inhibit_on_failure = true;
    let mut sim = Sim::new(plan(vec![vs("10.0.0.1", vec![r, checked("10.1.0.2", 1)])]));
    sim.set("10.1.0.1", false);
    sim.run_until(1.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 0", "10.1.0.2 1"]);
    let st = sim.engine.status();
    assert_eq!(st[0].ipvs, "inhibited");
}

#[test]
fn alpha_keeps_a_real_server_out_until_its_first_pass() {
    let mut r = checked("10.1.0.1", 1);
    r.checkers[0].alpha = true;
    r.checkers[0].warmup_us = 4 * S;
    let sim = Sim::new(plan(vec![vs("10.0.0.1", vec![r])]));
    assert!(sim.dests("10.0.0.1").is_empty());
    let mut sim = sim;
    sim.run_until(4.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 1"]);
    let first = sim.attempts_of("10.1.0.1")[0];
    assert!(
        first <= 4.0,
        "the first attempt is within the warmup: {first}"
    );
}

#[test]
fn quorum_with_hysteresis_runs_its_scripts_once_per_change() {
    let mut v = vs(
        "10.0.0.1",
        (1..=4)
            .map(|i| checked(&format!("10.1.0.{i}"), 1))
            .collect(),
    );
    v.quorum = 3;
    v.hysteresis = 1;
    v.quorum_up = Some(vec!["/bin/up".into()]);
    v.quorum_down = Some(vec!["/bin/down".into()]);
    let mut sim = Sim::new(plan(vec![v]));
    sim.run_until(0.0);
    assert_eq!(sim.notices(), Vec::<String>::new());
    // 4 -> 2: still at or above quorum - hysteresis (2).
    sim.set("10.1.0.1", false);
    sim.set("10.1.0.2", false);
    sim.run_until(6.0);
    assert!(sim.engine.pools()[0].quorum_state);
    assert_eq!(sim.notices(), Vec::<String>::new());
    // 1 < 2: lost.
    sim.set("10.1.0.3", false);
    sim.run_until(12.0);
    assert!(!sim.engine.pools()[0].quorum_state);
    assert_eq!(sim.notices(), ["/bin/down"]);
    // Back to 3: below quorum + hysteresis (4), still lost.
    sim.set("10.1.0.1", true);
    sim.set("10.1.0.3", true);
    sim.run_until(18.0);
    assert!(!sim.engine.pools()[0].quorum_state);
    assert_eq!(sim.notices(), Vec::<String>::new());
    sim.set("10.1.0.2", true);
    sim.run_until(24.0);
    assert!(sim.engine.pools()[0].quorum_state);
    assert_eq!(sim.notices(), ["/bin/up"]);
}

#[test]
fn the_sorry_server_replaces_the_real_servers_while_the_quorum_is_lost() {
    let mut v = vs(
        "10.0.0.1",
        vec![checked("10.1.0.1", 2), checked("10.1.0.2", 2)],
    );
    v.quorum = 3;
    v.sorry_server = Some("10.9.9.9:8080".into());
    let mut sim = Sim::new(plan(vec![v.clone()]));
    sim.run_until(0.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 2", "10.1.0.2 2"]);
    sim.set("10.1.0.2", false);
    sim.run_until(6.0);
    // 2 < 3: the alive real server goes out too, the sorry server comes in.
    assert_eq!(sim.dests("10.0.0.1"), ["10.9.9.9 1"]);
    let st = sim.engine.status();
    assert_eq!(st[0].ipvs, "sorry");
    sim.set("10.1.0.2", true);
    sim.run_until(11.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 2", "10.1.0.2 2"]);

    // sorry_server_inhibit: the sorry server stays at weight 0 while unused.
    v.sorry_server_inhibit = true;
    let mut sim = Sim::new(plan(vec![v]));
    sim.run_until(0.0);
    assert_eq!(
        sim.dests("10.0.0.1"),
        ["10.1.0.1 2", "10.1.0.2 2", "10.9.9.9 0"]
    );
    sim.set("10.1.0.1", false);
    sim.set("10.1.0.2", false);
    sim.run_until(6.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.9.9.9 1"]);
}

#[test]
fn the_sorry_server_uses_its_own_forwarding_method_when_configured() {
    use crate::model::{fwd, tun};
    let mut v = vs("10.0.0.1", vec![checked("10.1.0.1", 1)]);
    v.sorry_server = Some("10.9.9.9:80".into());
    v.sorry_server_inhibit = true;
    let sorry_attrs = |v: &PlanVirtualServer| {
        let sim = Sim::new(plan(vec![v.clone()]));
        let d = sim.desired();
        let addr: SocketAddr = "10.9.9.9:80".parse().expect("addr");
        d.services[&svc("10.0.0.1")].dests[&addr].clone()
    };
    // Unset: the virtual server's method (NAT).
    assert_eq!(sorry_attrs(&v).fwd, fwd::MASQ);
    v.sorry_server_lvs_method = Some("DR".into());
    assert_eq!(sorry_attrs(&v).fwd, fwd::DROUTE);
    v.sorry_server_lvs_method = Some("TUN".into());
    v.sorry_server_tunnel = Some(kac_schema::plan::PlanTunnel {
        kind: "gue".into(),
        port: Some(6080),
        checksum: "csum".into(),
    });
    let a = sorry_attrs(&v);
    assert_eq!(
        (a.fwd, a.tun_type, a.tun_port, a.tun_flags),
        (fwd::TUNNEL, tun::GUE, 6080, tun::CSUM)
    );
}

#[test]
fn rs_init_notifies_runs_the_notify_of_each_real_servers_initial_state() {
    let mut up = checked("10.1.0.1", 1);
    up.notify_up = Some(vec!["/bin/up".into(), "a".into()]);
    up.notify_down = Some(vec!["/bin/down".into(), "a".into()]);
    let mut alpha = checked("10.1.0.2", 1);
    alpha.checkers[0].alpha = true;
    alpha.notify_up = Some(vec!["/bin/up".into(), "b".into()]);
    alpha.notify_down = Some(vec!["/bin/down".into(), "b".into()]);
    let mut p = plan(vec![vs("10.0.0.1", vec![up.clone(), alpha.clone()])]);
    // Off (keepalived's default): nothing at start.
    let mut sim = Sim::new(p.clone());
    assert_eq!(sim.notices(), Vec::<String>::new());
    // On: the state each starts in; a reload notifies only real servers it adds.
    p.global.rs_init_notifies = true;
    let mut sim = Sim::new(p.clone());
    assert_eq!(sim.notices(), ["/bin/up a", "/bin/down b"]);
    let mut third = checked("10.1.0.3", 1);
    third.notify_up = Some(vec!["/bin/up".into(), "c".into()]);
    let mut p2 = plan(vec![vs("10.0.0.1", vec![up, alpha, third])]);
    p2.global.rs_init_notifies = true;
    sim.reload(p2);
    assert_eq!(sim.notices(), ["/bin/up c"]);
}

#[test]
fn a_dynamic_weight_sets_the_real_servers_weight() {
    let mut sim = Sim::new(plan(vec![vs("10.0.0.1", vec![checked("10.1.0.1", 1)])]));
    sim.weights
        .insert(SocketAddr::new("10.1.0.1".parse().expect("ip"), 80), 7);
    sim.run_until(0.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 7"]);
}

#[test]
fn notify_scripts_run_on_changes_only() {
    let mut r = checked("10.1.0.1", 1);
    r.notify_up = Some(vec!["/bin/rs-up".into()]);
    r.notify_down = Some(vec!["/bin/rs-down".into(), "x".into()]);
    let mut sim = Sim::new(plan(vec![vs("10.0.0.1", vec![r])]));
    sim.run_until(0.0);
    assert_eq!(
        sim.notices(),
        Vec::<String>::new(),
        "up from the start: no change"
    );
    sim.set("10.1.0.1", false);
    sim.run_until(20.0);
    assert_eq!(sim.notices(), ["/bin/rs-down x"]);
    sim.set("10.1.0.1", true);
    sim.run_until(40.0);
    assert_eq!(sim.notices(), ["/bin/rs-up"]);
}

#[test]
fn identical_checks_in_several_virtual_servers_run_once_and_fan_out() {
    let p = plan(vec![
        vs(
            "10.0.0.1",
            vec![checked("10.1.0.1", 1), checked("10.1.0.2", 1)],
        ),
        vs("10.0.0.2", vec![checked("10.1.0.1", 1)]),
    ]);
    let mut sim = Sim::new(p);
    assert_eq!(sim.engine.check_count(), 2);
    sim.run_until(20.0);
    assert_eq!(sim.attempts_of("10.1.0.1"), [0.0, 5.0, 10.0, 15.0, 20.0]);
    sim.set("10.1.0.1", false);
    sim.run_until(26.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.2 1"]);
    assert!(sim.dests("10.0.0.2").is_empty());
    assert_eq!(
        sim.engine.status().len(),
        3,
        "one row per real server of each virtual server"
    );
}

#[test]
fn a_reload_keeps_each_unchanged_checks_state_and_schedule() {
    let p1 = plan(vec![vs(
        "10.0.0.1",
        vec![checked("10.1.0.1", 1), checked("10.1.0.2", 1)],
    )]);
    let mut sim = Sim::new(p1);
    sim.set("10.1.0.2", false);
    sim.run_until(7.0);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 1"]);
    let before = sim.attempts.len();
    // 10.1.0.2 failed at 0s and 1s (down), retried at 6s and failed again at 7s: next at 12s.
    assert_eq!(sim.attempts_of("10.1.0.2"), [0.0, 1.0, 6.0, 7.0]);
    // A new revision adds a real server with a 3s warmup and changes a weight; the failed
    // server stays out, and kept checks keep their schedule (next at 10s and 12s).
    let mut fresh = checked("10.1.0.3", 1);
    fresh.checkers[0].warmup_us = 3 * S;
    let p2 = plan(vec![vs(
        "10.0.0.1",
        vec![checked("10.1.0.1", 5), checked("10.1.0.2", 1), fresh],
    )]);
    sim.reload(p2);
    assert_eq!(sim.engine.check_count(), 3);
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 5", "10.1.0.3 1"]);
    assert_eq!(sim.attempts.len(), before, "no attempt on reload");
    sim.run_until(9.9);
    assert!(
        sim.attempts_of("10.1.0.1")
            .iter()
            .all(|t| *t != 7.0 && *t < 9.9)
    );
    assert_eq!(sim.attempts_of("10.1.0.1").last(), Some(&5.0));
    sim.run_until(12.0);
    assert_eq!(sim.attempts_of("10.1.0.1").last(), Some(&10.0));
    assert_eq!(sim.attempts_of("10.1.0.2").last(), Some(&12.0));
    let t3 = sim.attempts_of("10.1.0.3")[0];
    assert!((7.0..=10.0).contains(&t3), "warmup from the reload: {t3}");
    assert_eq!(sim.dests("10.0.0.1"), ["10.1.0.1 5", "10.1.0.3 1"]);
}

#[test]
fn omega_runs_notify_down_and_quorum_down_when_a_virtual_server_is_removed() {
    let mut r = checked("10.1.0.1", 1);
    r.notify_down = Some(vec!["/bin/rs-down".into()]);
    let mut v = vs("10.0.0.1", vec![r]);
    v.quorum_down = Some(vec!["/bin/q-down".into()]);
    let mut without = v.clone();
    v.omega = true;
    let mut sim = Sim::new(plan(vec![v]));
    sim.run_until(0.0);
    sim.reload(plan(Vec::new()));
    assert_eq!(sim.notices(), ["/bin/rs-down", "/bin/q-down"]);
    without.real_servers[0].notify_down = Some(vec!["/bin/rs-down".into()]);
    let mut sim = Sim::new(plan(vec![without]));
    sim.run_until(0.0);
    sim.reload(plan(Vec::new()));
    assert_eq!(
        sim.notices(),
        Vec::<String>::new(),
        "no omega: nothing runs"
    );
    assert_eq!(sim.engine.check_count(), 0);
}

#[test]
fn ha_suspend_pauses_checks_while_the_address_is_elsewhere() {
    let mut v = vs("10.0.0.1", vec![checked("10.1.0.1", 1)]);
    v.ha_suspend = true;
    let mut sim = Sim::new(plan(vec![v]));
    sim.engine.set_local_addresses(Some(BTreeSet::new()));
    sim.set("10.1.0.1", false);
    sim.run_until(30.0);
    assert!(sim.attempts.is_empty(), "suspended: {:?}", sim.attempts);
    assert_eq!(sim.engine.status()[0].state, "suspended");
    let vip: IpAddr = "10.0.0.1".parse().expect("ip");
    sim.engine.set_local_addresses(Some([vip].into()));
    sim.run_until(36.0);
    assert!(!sim.attempts.is_empty());
    assert!(sim.dests("10.0.0.1").is_empty());
}

#[test]
fn a_check_kac_cannot_run_refuses_the_plan_and_changes_nothing() {
    let p1 = plan(vec![vs("10.0.0.1", vec![checked("10.1.0.1", 1)])]);
    let mut sim = Sim::new(p1);
    let mut bad = checked("10.1.0.2", 1);
    bad.checkers[0].kind = "BFD_CHECK".into();
    let err = sim
        .engine
        .load(&plan(vec![vs("10.0.0.1", vec![bad])]), sim.now)
        .expect_err("refused");
    assert_eq!(err.len(), 1);
    assert!(err[0].contains("BFD_CHECK"), "{err:?}");
    assert_eq!(sim.engine.check_count(), 1);
}

#[test]
fn a_removed_real_server_is_drained_then_removed() {
    let p1 = plan(vec![vs(
        "10.0.0.1",
        vec![checked("10.1.0.1", 1), checked("10.1.0.2", 3)],
    )]);
    let p2 = plan(vec![vs("10.0.0.1", vec![checked("10.1.0.1", 1)])]);
    let names = Names::default();
    let before = Desired::from_plan(&p1, &names).expect("d1");
    let after = Desired::from_plan(&p2, &names).expect("d2");
    let t0 = Instant::now();
    let mut drains = Drains::new();
    drains.plan_changed(&before, &after, t0, Duration::from_secs(5));
    let mut d = after.clone();
    drains.overlay(&mut d);
    let weights: Vec<(String, i32)> = d.services[&svc("10.0.0.1")]
        .dests
        .iter()
        .map(|(a, x)| (a.ip().to_string(), x.weight))
        .collect();
    assert_eq!(weights, [("10.1.0.1".into(), 1), ("10.1.0.2".into(), 0)]);
    assert_eq!(drains.status().len(), 1);
    assert_eq!(drains.next_deadline(), Some(t0 + Duration::from_secs(5)));
    assert!(!drains.expire(t0 + Duration::from_secs(4)));
    assert!(drains.expire(t0 + Duration::from_secs(5)));
    let mut d = after.clone();
    drains.overlay(&mut d);
    assert_eq!(d, after);

    // Period 0: removed at once. A real server that comes back ends its drain.
    let mut zero = Drains::new();
    zero.plan_changed(&before, &after, t0, Duration::ZERO);
    assert!(zero.is_empty());
    drains.plan_changed(&before, &after, t0, Duration::from_secs(5));
    drains.plan_changed(&after, &before, t0, Duration::from_secs(5));
    assert!(drains.is_empty());
    // A failed (removed, or inhibited at weight 0) real server is not drained.
    let mut failed = before.clone();
    if let Some(s) = failed.services.get_mut(&svc("10.0.0.1")) {
        s.dests.retain(|a, _| a.ip().to_string() != "10.1.0.2");
    }
    drains.plan_changed(&failed, &after, t0, Duration::from_secs(5));
    assert!(drains.is_empty());
}

#[test]
fn a_removed_virtual_server_keeps_its_real_servers_at_weight_0_then_goes() {
    let p1 = plan(vec![
        vs(
            "10.0.0.1",
            vec![checked("10.1.0.1", 1), checked("10.1.0.2", 3)],
        ),
        vs("10.0.0.2", vec![checked("10.1.0.3", 1)]),
    ]);
    let p2 = plan(vec![vs("10.0.0.2", vec![checked("10.1.0.3", 1)])]);
    let names = Names::default();
    let before = Desired::from_plan(&p1, &names).expect("d1");
    let after = Desired::from_plan(&p2, &names).expect("d2");
    let t0 = Instant::now();
    let period = Duration::from_secs(5);
    let mut drains = Drains::new();
    drains.plan_changed(&before, &after, t0, period);
    let mut d = after.clone();
    drains.overlay(&mut d);
    let kept = &d.services[&svc("10.0.0.1")];
    assert_eq!(kept.attrs, before.services[&svc("10.0.0.1")].attrs);
    let weights: Vec<(String, i32)> = kept
        .dests
        .iter()
        .map(|(a, x)| (a.ip().to_string(), x.weight))
        .collect();
    assert_eq!(weights, [("10.1.0.1".into(), 0), ("10.1.0.2".into(), 0)]);
    assert_eq!(
        d.services[&svc("10.0.0.2")],
        after.services[&svc("10.0.0.2")]
    );
    assert_eq!(drains.status().len(), 2);
    // A further revision during the drain (the state applied now includes it) changes nothing.
    let mut again = drains.clone();
    again.plan_changed(&d, &after, t0 + Duration::from_secs(1), period);
    assert_eq!(again, drains);
    assert_eq!(drains.next_deadline(), Some(t0 + period));
    assert!(!drains.expire(t0 + Duration::from_secs(4)));
    assert!(drains.expire(t0 + period));
    assert!(drains.is_empty());
    let mut d = after.clone();
    drains.overlay(&mut d);
    assert_eq!(d, after);

    // Back in the next plan: the drain ends, the plan's service (and weights) rule.
    drains.plan_changed(&before, &after, t0, period);
    drains.plan_changed(&after, &before, t0, period);
    assert!(drains.is_empty());
    // Period 0: removed at once; a service without traffic (every real server failed) too.
    drains.plan_changed(&before, &after, t0, Duration::ZERO);
    assert!(drains.is_empty());
    let mut failed = before.clone();
    if let Some(s) = failed.services.get_mut(&svc("10.0.0.1")) {
        s.dests.clear();
    }
    drains.plan_changed(&failed, &after, t0, period);
    assert!(drains.is_empty());
}

#[test]
fn a_failed_real_server_stays_out_when_only_its_checks_timing_changes() {
    let mut sim = Sim::new(plan(vec![vs("10.0.0.1", vec![checked("10.1.0.1", 1)])]));
    sim.set("10.1.0.1", false);
    sim.run_until(2.0);
    assert!(sim.dests("10.0.0.1").is_empty());
    let mut slower = checked("10.1.0.1", 1);
    slower.checkers[0].delay_loop_us = 10 * S;
    sim.reload(plan(vec![vs("10.0.0.1", vec![slower])]));
    assert_eq!(sim.engine.check_count(), 1);
    assert!(
        sim.dests("10.0.0.1").is_empty(),
        "re-added by a timing change"
    );
    // The next attempt keeps its schedule (6s), then the new delay_loop applies.
    sim.run_until(6.0);
    assert_eq!(sim.attempts_of("10.1.0.1"), [0.0, 1.0, 6.0]);
    sim.run_until(16.0);
    assert_eq!(sim.attempts_of("10.1.0.1"), [0.0, 1.0, 6.0, 7.0]);
}
