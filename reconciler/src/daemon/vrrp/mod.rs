//! The VRRP engine inside the daemon: the pure [`Machine`]s of [`crate::vrrp`] with sockets
//! ([`net`]) and the loop's timer around them.
//!
//! The daemon loop owns one [`Engine`]. Adverts arrive as [`Event::Vrrp`], deadlines fire as
//! the loop's VRRP timer, and the engine answers each with the machines' actions: adverts
//! and gratuitous ARP bursts go out at once; a change of mastership changes the engine's
//! [`Layer`] (the virtual addresses, routes and rules of the instances that are master),
//! which the loop adds to the plan's desired state and applies through the kernel worker,
//! like any other change (so virtual addresses are in the ownership journal: a restart after
//! `kill -9` removes those of instances that are no longer master, and drift repair puts back
//! a virtual address deleted by hand).
//!
//! Sync groups (`vrrp_sync_group`) are a small layer here: a member's transition moves the
//! other members (master, backup, fault) with it.
//!
//! Tracking ([`crate::track`]): the trackers a plan needs run as tasks ([`Trackers`]); their
//! changes come back as [`Event::Track`], and each instance's effective priority and FAULT
//! ([`track::effective_priority`], keepalived's weights) are fed to its machine. The
//! instance's own interface is checked here (present, up, with an address to advertise
//! from). An instance waits in INIT until its tracked objects have reported. Notify scripts
//! ([`crate::notify`]) are queued on each transition, never waited for.

pub mod net;
pub mod nft;
pub mod params;
mod states;
pub mod vmac;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use kac_schema::plan::{Plan, PlanAddress, PlanGlobal, PlanRoute, PlanRule, PlanVrrpInstance};
use kac_schema::status::VrrpInstanceStatus;
use tokio::sync::mpsc;

use super::event::Event;
use super::metrics::{Metrics, VrrpMetric};
use crate::alert::AlertEvent;
use crate::alert::event::{GroupChange, PriorityChange, VrrpState as AlertState};
use crate::model::MacvlanLink;
use crate::notify::{self, Notifier, NotifyOptions, NotifyScripts, Subject};
use crate::syncd::{SyncDaemon, SyncState};
use crate::track::{self, Change, States, Trackers};
use crate::vrrp::codec::{self, Advert, Auth};
use crate::vrrp::machine::{Action, Config, GarpTimings, Input, Machine, State};
use net::{Interface, Net, Received};

/// What the instances that are master want in the kernel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layer {
    /// Virtual addresses (`virtual_ipaddress` and `virtual_ipaddress_excluded`).
    pub addresses: Vec<PlanAddress>,
    /// `virtual_routes`.
    pub routes: Vec<PlanRoute>,
    /// `virtual_rules`.
    pub rules: Vec<PlanRule>,
    /// The VMAC links of every instance with `use_vmac` (in every state).
    pub links: Vec<MacvlanLink>,
    /// The IPVS connection sync daemon (`lvs_sync_daemon`): master while its instance is
    /// master, backup in every other state but stopped (keepalived: backup at start-up, on
    /// leaving master for BACKUP or FAULT; none once stopped).
    pub sync_daemon: Option<SyncDaemon>,
}

/// What of a plan the engine refuses to run (kac does not carry it out), one message each.
pub fn refusals(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for (name, i) in &plan.vrrp_instances {
        if let Some(a) = &i.auth
            && a.auth_type != "PASS"
        {
            out.push(format!(
                "vrrp_instance {name}: `auth_type {}` (IPsec AH authentication) is not supported by kac; use `auth_type PASS` or no authentication",
                a.auth_type
            ));
        }
        if i.vips.iter().chain(&i.excluded_vips).any(|a| a.use_vmac) {
            out.push(format!(
                "vrrp_instance {name}: `use_vmac` on a virtual address is not carried out by kac yet (use the instance's `use_vmac`)"
            ));
        }
        if i.use_vmac.is_some() && i.interface.is_none() {
            out.push(format!(
                "vrrp_instance {name}: `use_vmac` needs the instance's `interface`"
            ));
        }
        if let Err(e) = vmac::link(i) {
            out.push(format!("vrrp_instance {name}: {e}"));
        }
        if i.interface.is_none() && i.unicast_peers.is_empty() {
            out.push(format!(
                "vrrp_instance {name}: no `interface` and no `unicast_peer`"
            ));
        }
    }
    out
}

/// The source address of an instance's adverts that its configuration names:
/// `unicast_src_ip` (unicast) or `mcast_src_ip`.
fn configured_src(p: &PlanVrrpInstance) -> Option<IpAddr> {
    if p.unicast_peers.is_empty() {
        p.mcast_src_ip
    } else {
        p.unicast_src_ip.or(p.mcast_src_ip)
    }
}

/// One running instance.
#[derive(Debug)]
struct Instance {
    plan: PlanVrrpInstance,
    machine: Machine,
    /// Why the instance is in FAULT on its own account (its interface missing, down or
    /// without an address to advertise from; `track_src_ip`; `unicast_fault_no_peer`).
    iface_fault: Option<String>,
    /// What the machine was last told: FAULT and effective priority.
    tracking: Option<(bool, u8)>,
    /// Its notify scripts.
    notify: NotifyScripts,
    status: VrrpInstanceStatus,
    /// A reload removed it from the configuration (its stop is notified as keepalived
    /// notifies a deleted instance: `notify_deleted`).
    deleted: bool,
}

/// The VRRP engine.
pub struct Engine {
    events: mpsc::Sender<Event>,
    metrics: Metrics,
    net: Option<Net>,
    global: Option<PlanGlobal>,
    instances: BTreeMap<String, Instance>,
    /// Sync groups: instance → the other members.
    groups: BTreeMap<String, Vec<String>>,
    ifaces: BTreeMap<String, Interface>,
    /// Instance → its sync group's name.
    group_of: BTreeMap<String, String>,
    /// Sync groups' notify scripts and the state they last notified.
    group_notify: BTreeMap<String, (NotifyScripts, Option<State>)>,
    trackers: Option<Trackers>,
    states: States,
    notifier: Notifier,
    /// What VMAC interfaces need set (and the base interfaces' values to put back).
    sysctls: vmac::Sysctls,
    /// The nf_tables rules of masters without `accept`.
    firewall: nft::Firewall,
    /// `promote_secondaries` and `disable_local_igmp` (the values to put back).
    params: params::Params,
    /// Transitions to alert on, taken by the loop ([`Engine::take_alerts`]).
    alerts: Vec<AlertEvent>,
    /// `--adopt`: an instance whose virtual addresses are all on the host when it starts
    /// starts as master (the host was master under keepalived).
    adopt: bool,
    /// Whether a plan was configured yet (the first one is the daemon's start; later ones are
    /// reloads).
    started: bool,
    /// `vrrp_startup_delay`: its end, set when the daemon starts ([`Machine::delay_start`]).
    start_hold: Option<Instant>,
    /// `interface_up_down_delays`: the interface states acted upon.
    debounce: track::debounce::Debounce,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("instances", &self.instances.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn notify_state(s: State) -> Option<notify::State> {
    match s {
        State::Master => Some(notify::State::Master),
        State::Backup => Some(notify::State::Backup),
        State::Fault => Some(notify::State::Fault),
        State::Stopped => Some(notify::State::Stop),
        State::Init => None,
    }
}

/// keepalived's state word for a machine state, as the alerts carry it.
fn alert_state(s: State) -> AlertState {
    match s {
        State::Init => AlertState::Init,
        State::Backup => AlertState::Backup,
        State::Master => AlertState::Master,
        State::Fault => AlertState::Fault,
        State::Stopped => AlertState::Stop,
    }
}

fn now_text() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

fn state_value(s: State) -> i64 {
    match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
        State::Stopped => 4,
    }
}

/// What makes two configurations of an instance the same router (a change restarts it).
fn identity(p: &PlanVrrpInstance) -> impl PartialEq + '_ {
    (
        &p.interface,
        p.vrid,
        &p.family,
        p.version,
        &p.unicast_src_ip,
        &p.unicast_peers,
        &p.mcast_src_ip,
        (&p.use_vmac, p.vmac_xmit_base, &p.vmac_mac),
        &p.tuning.mcast_dst_ip,
    )
}

fn machine_config(p: &PlanVrrpInstance) -> Config {
    let t = &p.tuning;
    Config {
        version: p.version,
        priority: p.priority,
        advert_int: Duration::from_micros(p.advert_int_us),
        preempt: p.preempt,
        preempt_delay: Duration::from_micros(p.preempt_delay_us),
        down_timer_adverts: t.down_timer_adverts,
        garp: GarpTimings {
            master_delay: Duration::from_secs(u64::from(t.garp_master_delay_s)),
            master_repeat: t.garp_master_repeat,
            master_refresh: Duration::from_secs(u64::from(t.garp_master_refresh_s)),
            master_refresh_repeat: t.garp_master_refresh_repeat,
            lower_prio_delay: Duration::from_secs(u64::from(t.garp_lower_prio_delay_s)),
            lower_prio_repeat: t.garp_lower_prio_repeat,
        },
        lower_prio_no_advert: t.lower_prio_no_advert,
        higher_prio_send_advert: t.higher_prio_send_advert,
    }
}

impl Engine {
    /// An engine with no instances (sockets are opened with the first instance).
    pub fn new(events: mpsc::Sender<Event>, metrics: Metrics) -> Engine {
        Engine {
            events,
            metrics,
            net: None,
            global: None,
            instances: BTreeMap::new(),
            groups: BTreeMap::new(),
            ifaces: BTreeMap::new(),
            group_of: BTreeMap::new(),
            group_notify: BTreeMap::new(),
            trackers: None,
            states: States::default(),
            notifier: Notifier::new(NotifyOptions::default()),
            sysctls: vmac::Sysctls::default(),
            firewall: nft::Firewall::default(),
            params: params::Params::default(),
            alerts: Vec::new(),
            adopt: false,
            started: false,
            start_hold: None,
            debounce: track::debounce::Debounce::default(),
        }
    }

    /// The instance and sync group transitions since the last call, oldest first.
    pub fn take_alerts(&mut self) -> Vec<AlertEvent> {
        std::mem::take(&mut self.alerts)
    }

    /// With `adopt` (`kac daemon --adopt`), an instance whose virtual addresses are all on
    /// the host when it starts starts as master instead of waiting a master-down interval as
    /// a backup, so a host moving from keepalived to kac keeps advertising without a gap.
    pub fn set_adopt(&mut self, adopt: bool) {
        self.adopt = adopt;
    }

    /// The notify queues (to wait for the `notify_stop` runs when the daemon stops).
    pub fn notifier(&self) -> Notifier {
        self.notifier.clone()
    }

    /// Whether any instance runs.
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// Runs the instances of `plan`: new ones start (as backup, or master for the address
    /// owner), ones whose router identity (interface, VRID, family, version, unicast/multicast
    /// addresses) is unchanged keep their state and timers, removed ones stop (a master sends
    /// a priority-0 advert). Trackers start or stop as the plan needs them. Returns whether
    /// the [`Layer`] changed, and what cannot be carried out (tracked objects or notify
    /// scripts whose user cannot be resolved, …: logged and reported by the caller).
    pub fn configure(&mut self, plan: &Plan, now: Instant) -> Result<(bool, Vec<String>), String> {
        let before = self.layer();
        let mut problems = Vec::new();
        if !plan.vrrp_instances.is_empty() && self.net.is_none() {
            self.net = Some(Net::open(self.events.clone()).map_err(|e| e.to_string())?);
        }
        self.ifaces = net::interfaces();
        self.global = Some(plan.global.clone());
        self.debounce.set_delays(
            plan.global
                .interface_delays
                .iter()
                .map(|(n, d)| {
                    let us = Duration::from_micros;
                    (n.clone(), (us(d.down_us), us(d.up_us)))
                })
                .collect(),
        );
        if !self.started {
            // keepalived applies `vrrp_startup_delay` when it starts, not on reloads.
            self.started = true;
            let delay = Duration::from_micros(plan.global.vrrp_startup_delay_us);
            if !delay.is_zero() {
                tracing::info!("delaying the VRRP instances' start-up by {delay:?}");
                self.start_hold = Some(now + delay);
            }
        }
        if self.trackers.is_none() && !plan.vrrp_instances.is_empty() {
            let (tx, mut rx) = mpsc::channel::<Change>(256);
            let events = self.events.clone();
            tokio::spawn(async move {
                while let Some(c) = rx.recv().await {
                    if events.send(Event::Track(Box::new(c))).await.is_err() {
                        return;
                    }
                }
            });
            self.trackers = Some(Trackers::new(tx));
        }
        if let Some(t) = self.trackers.as_mut() {
            problems.extend(t.update(plan).into_iter().map(|e| e.to_string()));
        }
        // Tracked interfaces start from what the host has now (the link watcher's first
        // report follows), so an instance does not pass through FAULT at start-up.
        for inst in plan.vrrp_instances.values() {
            let tracked = inst.track_interfaces.iter().map(|t| &t.name);
            for name in tracked.chain(inst.track_static.iter().map(|t| &t.interface)) {
                let seen = self.ifaces.get(name).is_some_and(|i| i.running);
                let Some(up) = self.debounce.observe(name, seen, now) else {
                    continue;
                };
                if self.states.get(track::Kind::Interface, name) != track::TrackValue::Up(up) {
                    self.states.apply(Change {
                        kind: track::Kind::Interface,
                        name: name.clone(),
                        value: track::TrackValue::Up(up),
                    });
                }
            }
        }
        let script_user = &plan.global.script_user;
        let security = plan.global.enable_script_security;
        let removed: Vec<String> = self
            .instances
            .keys()
            .filter(|n| {
                plan.vrrp_instances
                    .get(*n)
                    .is_none_or(|p| identity(p) != identity(&self.instances[*n].plan))
            })
            .cloned()
            .collect();
        for name in removed {
            if !plan.vrrp_instances.contains_key(&name)
                && let Some(inst) = self.instances.get_mut(&name)
            {
                inst.deleted = true;
            }
            self.input(&name, Input::Shutdown, now);
            self.instances.remove(&name);
            self.metrics.vrrp_removed(&name);
            tracing::info!("({name}) removed");
        }
        self.groups.clear();
        self.group_of.clear();
        let mut group_notify = BTreeMap::new();
        for (gname, g) in &plan.vrrp_sync_groups {
            for m in &g.members {
                let others = g.members.iter().filter(|o| *o != m).cloned().collect();
                self.groups.insert(m.clone(), others);
                self.group_of.insert(m.clone(), gname.clone());
            }
            let scripts = NotifyScripts::from_plan(&g.notify, script_user, security, None)
                .unwrap_or_else(|e| {
                    problems.push(format!("vrrp_sync_group {gname}: {e}"));
                    NotifyScripts::default()
                });
            let last = self.group_notify.get(gname).and_then(|(_, s)| *s);
            group_notify.insert(gname.clone(), (scripts, last));
        }
        self.group_notify = group_notify;
        let mut started = Vec::new();
        for (name, p) in &plan.vrrp_instances {
            let cfg = machine_config(p);
            let scripts = NotifyScripts::from_plan(&p.notify, script_user, security, None)
                .unwrap_or_else(|e| {
                    problems.push(format!("vrrp_instance {name}: {e}"));
                    NotifyScripts::default()
                });
            match self.instances.get_mut(name) {
                Some(inst) => {
                    inst.notify = scripts;
                    if inst.plan != *p {
                        tracing::info!("({name}) configuration changed; state kept");
                        inst.machine.reconfigure(cfg);
                        inst.plan = p.clone();
                        inst.status.base_priority = p.priority;
                    }
                }
                None => {
                    let primary = self.primary(p).unwrap_or(if p.family == "inet6" {
                        IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
                    } else {
                        IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
                    });
                    let mut machine = Machine::new(cfg, primary);
                    if let Some(hold) = self.start_hold.filter(|h| now < *h) {
                        machine.delay_start(hold);
                    }
                    let inst = Instance {
                        plan: p.clone(),
                        machine,
                        iface_fault: None,
                        tracking: None,
                        notify: scripts,
                        deleted: false,
                        status: VrrpInstanceStatus {
                            name: name.clone(),
                            state: State::Init.name().into(),
                            priority: p.priority,
                            base_priority: p.priority,
                            vrid: p.vrid,
                            interface: p.interface.clone(),
                            ..VrrpInstanceStatus::default()
                        },
                    };
                    self.instances.insert(name.clone(), inst);
                    started.push(name.clone());
                }
            }
            self.join(name);
        }
        for name in &started {
            self.check_interface(name, now);
        }
        self.prepare_vmacs();
        self.params.configure(params::wanted(plan));
        let names: Vec<String> = self.instances.keys().cloned().collect();
        for name in &names {
            // A kept instance's `track_src_ip` may have changed.
            if !started.contains(name) {
                self.check_interface(name, now);
            }
            self.evaluate(name, now);
        }
        self.sync_firewall();
        for p in &problems {
            tracing::error!("{p}");
        }
        Ok((self.layer() != before, problems))
    }

    /// A tracker reported. Returns whether the [`Layer`] changed.
    pub fn tracked(&mut self, mut change: Change, now: Instant) -> bool {
        if change.kind == track::Kind::Interface
            && let track::TrackValue::Up(seen) = change.value
        {
            // `interface_up_down_delays`: acted upon after the delay (see `timers`).
            match self.debounce.observe(&change.name, seen, now) {
                Some(up) => change.value = track::TrackValue::Up(up),
                None => return false,
            }
        }
        if !self.states.apply(change) {
            return false;
        }
        let before = self.layer();
        let names: Vec<String> = self.instances.keys().cloned().collect();
        for name in &names {
            self.evaluate(name, now);
        }
        self.layer() != before
    }

    /// Feeds an instance its effective priority and FAULT (tracked objects and its own
    /// interface) when they changed, and starts it once every tracked object has reported.
    fn evaluate(&mut self, name: &str, now: Instant) {
        let Some(inst) = self.instances.get(name) else {
            return;
        };
        let refs = track::instance_refs(&inst.plan, &self.states, false);
        let eff = track::effective_priority(inst.plan.priority, &refs);
        let now_tracking = (eff.fault || inst.iface_fault.is_some(), eff.priority);
        let waiting = eff.pending && inst.machine.state() == State::Init;
        let last = inst.tracking;
        // `notify_priority_changes`: a new effective priority is a notify FIFO line.
        let priority_line = (inst.plan.tuning.notify_priority_changes
            && last.is_some_and(|(_, p)| p != now_tracking.1))
        .then(|| PriorityChange {
            name: name.to_string(),
            master: inst.machine.state() == State::Master,
            priority: now_tracking.1,
        });
        let mut reasons = Vec::new();
        reasons.extend(inst.iface_fault.clone());
        reasons.extend(track::fault_reasons(&inst.plan, &self.states));
        if inst.status.fault_reasons != reasons {
            for r in reasons
                .iter()
                .filter(|r| !inst.status.fault_reasons.contains(r))
            {
                tracing::warn!("({name}) fault: {r}");
            }
            if let Some(i) = self.instances.get_mut(name) {
                i.status.fault_reasons = reasons;
            }
        }
        if last != Some(now_tracking) {
            if let Some(line) = priority_line {
                self.alerts.push(AlertEvent::Priority(line));
            }
            if let Some(i) = self.instances.get_mut(name) {
                i.tracking = Some(now_tracking);
            }
            let (fault, priority) = now_tracking;
            self.input(name, Input::Tracking { fault, priority }, now);
        }
        if waiting {
            return;
        }
        let Some(inst) = self.instances.get(name) else {
            return;
        };
        if inst.machine.state() == State::Init {
            let held = self.adopt && !inst.plan.vips.is_empty() && {
                let host = net::host_addresses();
                inst.plan.vips.iter().all(|a| host.contains(&a.addr))
            };
            if held {
                tracing::info!(
                    "({name}) its virtual addresses are on the host: starting as master"
                );
            }
            self.input(name, if held { Input::Resume } else { Input::Start }, now);
        }
    }

    fn join(&mut self, name: &str) {
        let Some(inst) = self.instances.get(name) else {
            return;
        };
        let p = &inst.plan;
        if !p.unicast_peers.is_empty() || p.tuning.fault_no_peer {
            return;
        }
        let Some(ifindex) = self.advert_ifindex(p) else {
            return;
        };
        let group = self.group(p);
        if let Some(net) = self.net.as_mut()
            && let Err(e) = net.join(group, ifindex)
        {
            tracing::error!("({name}) {e}");
        }
    }

    /// The interface adverts leave from and arrive on: the VMAC interface once it exists
    /// (unless `vmac_xmit_base`), else the instance's interface.
    fn advert_ifindex(&self, p: &PlanVrrpInstance) -> Option<u32> {
        let vmac = p
            .use_vmac
            .as_ref()
            .filter(|_| !p.vmac_xmit_base)
            .and_then(|v| self.ifaces.get(v));
        vmac.or_else(|| self.ifaces.get(p.interface.as_deref()?))
            .map(|i| i.index)
    }

    /// Sets what VMAC interfaces need once they exist ([`vmac::Sysctls`]).
    fn prepare_vmacs(&mut self) {
        let mut wanted = Vec::new();
        for i in self.instances.values() {
            let (Some(v), Some(base)) = (&i.plan.use_vmac, &i.plan.interface) else {
                continue;
            };
            wanted.push(v.as_str());
            if let Some(iface) = self.ifaces.get(v) {
                let v6_addrs = i
                    .plan
                    .vips
                    .iter()
                    .chain(&i.plan.excluded_vips)
                    .any(|a| a.dev == *v && a.addr.is_ipv6());
                let inet6 = i.plan.family == "inet6";
                self.sysctls.prepare(v, iface.index, base, inet6, v6_addrs);
            }
        }
        self.sysctls.retain(&wanted);
    }

    /// The instance's multicast group: its `mcast_dst_ip`, else the global group.
    fn group(&self, p: &PlanVrrpInstance) -> IpAddr {
        if let Some(g) = p.tuning.mcast_dst_ip {
            return g;
        }
        let g = self.global.as_ref();
        if p.family == "inet6" {
            g.map_or(IpAddr::V6(codec::GROUP_V6), |g| g.vrrp_mcast_group6)
        } else {
            g.map_or(IpAddr::V4(codec::GROUP_V4), |g| g.vrrp_mcast_group4)
        }
    }

    /// The address the instance's adverts come from.
    fn primary(&self, p: &PlanVrrpInstance) -> Option<IpAddr> {
        let v6 = p.family == "inet6";
        let explicit = configured_src(p);
        if explicit.is_some() {
            return explicit;
        }
        let iface = self.ifaces.get(p.interface.as_deref()?)?;
        if v6 {
            iface.link_local.map(IpAddr::V6)
        } else {
            iface.primary_v4.map(IpAddr::V4)
        }
    }

    /// Re-reads the interfaces (rtnetlink said something changed): an instance whose
    /// interface disappeared, went down or lost its address goes to FAULT, and back.
    /// Returns whether the [`Layer`] changed.
    pub fn interfaces_changed(&mut self, now: Instant) -> bool {
        if self.instances.is_empty() {
            return false;
        }
        let before = self.layer();
        self.ifaces = net::interfaces();
        if let Some(net) = self.net.as_mut() {
            net.forget_interfaces(&self.ifaces);
        }
        let own: Vec<String> = self
            .instances
            .values()
            .filter_map(|i| i.plan.interface.clone())
            .collect();
        for name in own {
            let seen = self.ifaces.get(&name).is_some_and(|i| i.running);
            self.debounce.observe(&name, seen, now);
        }
        self.prepare_vmacs();
        self.params.apply();
        let names: Vec<String> = self.instances.keys().cloned().collect();
        for name in names {
            self.join(&name);
            self.check_interface(&name, now);
            self.evaluate(&name, now);
        }
        self.layer() != before
    }

    /// Records whether the instance's own interface lets it run (present, up, with an
    /// address to advertise from); [`Engine::evaluate`] tells the machine.
    fn check_interface(&mut self, name: &str, _now: Instant) {
        let primary = match self.instances.get(name) {
            Some(inst) => self.primary(&inst.plan),
            None => return,
        };
        let Some(inst) = self.instances.get_mut(name) else {
            return;
        };
        // `dont_track_primary`: the interface going down is not a fault (an address to
        // advertise from is still needed).
        // Up or down as `interface_up_down_delays` lets it be acted upon.
        let iface_ok = match &inst.plan.interface {
            Some(i) => self.ifaces.get(i).is_some_and(|x| {
                self.debounce.acted(i).unwrap_or(x.running) || inst.plan.tuning.dont_track_primary
            }),
            None => true,
        };
        // `track_src_ip`: the configured source address must be on the instance's interface
        // (or its VMAC; on the host without an interface).
        let src_missing = inst.plan.tuning.track_src_ip
            && configured_src(&inst.plan).is_some_and(|a| {
                let mut devs = inst.plan.interface.iter().chain(&inst.plan.use_vmac);
                if inst.plan.interface.is_some() {
                    !devs.any(|d| self.ifaces.get(d).is_some_and(|i| i.addresses.contains(&a)))
                } else {
                    !self.ifaces.values().any(|i| i.addresses.contains(&a))
                }
            });
        let no_peer = inst.plan.tuning.fault_no_peer;
        if let Some(p) = primary
            && p != inst.machine.primary()
        {
            inst.machine.set_primary(p);
        }
        let fault = if no_peer {
            Some("no unicast peers (`unicast_fault_no_peer`)".to_string())
        } else if src_missing {
            Some(format!(
                "source address {} is missing (`track_src_ip`)",
                configured_src(&inst.plan).map_or_else(String::new, |a| a.to_string())
            ))
        } else if !iface_ok || primary.is_none() {
            Some(format!(
                "interface {}: missing, down or without an address to advertise from",
                inst.plan.interface.as_deref().unwrap_or("-")
            ))
        } else {
            None
        };
        if let Some(why) = &fault
            && inst.iface_fault.as_ref() != Some(why)
        {
            tracing::warn!("({name}) {why}: FAULT");
        }
        inst.iface_fault = fault;
    }

    /// The next deadline of any instance.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.instances
            .values()
            .filter_map(|i| i.machine.next_deadline())
            .chain(self.debounce.next_deadline())
            .min()
    }

    /// Runs the timers due at `now`. Returns whether the [`Layer`] changed.
    pub fn timers(&mut self, now: Instant) -> bool {
        let mut changed = false;
        let acted = self.debounce.due(now);
        if !acted.is_empty() {
            let before = self.layer();
            for (name, up) in acted {
                tracing::info!(
                    "interface {name} {} (after its interface_up_down_delays)",
                    if up { "up" } else { "down" }
                );
                self.states.apply(Change {
                    kind: track::Kind::Interface,
                    name,
                    value: track::TrackValue::Up(up),
                });
            }
            let names: Vec<String> = self.instances.keys().cloned().collect();
            for name in &names {
                self.check_interface(name, now);
                self.evaluate(name, now);
            }
            changed |= self.layer() != before;
        }
        let due: Vec<String> = self
            .instances
            .iter()
            .filter(|(_, i)| i.machine.next_deadline().is_some_and(|d| d <= now))
            .map(|(n, _)| n.clone())
            .collect();
        for name in due {
            if !self.group_ready(&name, now) {
                if let Some(i) = self.instances.get_mut(&name) {
                    i.machine.hold(now);
                }
                continue;
            }
            changed |= self.input(&name, Input::Timer, now);
        }
        changed
    }

    /// Whether a backup whose master-down timer ran out may become master: outside a sync
    /// group always; in one, only when every other member is master or wants to be (none of
    /// them still hears a master).
    fn group_ready(&self, name: &str, now: Instant) -> bool {
        let Some(inst) = self.instances.get(name) else {
            return true;
        };
        if !inst.machine.master_due(now) {
            return true;
        }
        self.groups.get(name).is_none_or(|others| {
            others.iter().all(|o| {
                self.instances.get(o).is_none_or(|m| {
                    let s = m.machine.state();
                    s == State::Master
                        || (s == State::Backup
                            && (m.machine.wants_master() || m.machine.master_due(now)))
                })
            })
        })
    }

    /// Stops every instance (masters send priority-0 adverts). Returns whether the
    /// [`Layer`] changed.
    pub fn shutdown(&mut self, now: Instant) -> bool {
        let names: Vec<String> = self.instances.keys().cloned().collect();
        let mut changed = false;
        for name in names {
            changed |= self.input(&name, Input::Shutdown, now);
        }
        self.sysctls.restore();
        self.params.restore();
        self.sync_firewall();
        changed
    }

    /// Handles a received advert. Returns whether the [`Layer`] changed.
    pub fn received(&mut self, r: &Received, now: Instant) -> bool {
        let Some(&vrid) = r.payload.get(1) else {
            return false;
        };
        let v6 = r.src.is_ipv6();
        let name = self.instances.iter().find_map(|(n, i)| {
            let p = &i.plan;
            if p.vrid != vrid || (p.family == "inet6") != v6 {
                return None;
            }
            let matches = if p.unicast_peers.is_empty() {
                self.advert_ifindex(p) == Some(r.ifindex) && r.dst == self.group(p)
            } else {
                p.unicast_peers.contains(&r.src)
            };
            matches.then(|| n.clone())
        });
        let Some(name) = name else {
            return false;
        };
        let group = {
            let inst = &self.instances[&name];
            self.group(&inst.plan)
        };
        let Some(inst) = self.instances.get_mut(&name) else {
            return false;
        };
        if r.src == inst.machine.primary() {
            return false;
        }
        let verdict = check(&inst.plan, r, group, inst.machine.master());
        match verdict {
            Err(why) => {
                inst.status.adverts_dropped += 1;
                if inst.status.last_drop.as_ref() != Some(&why) {
                    tracing::warn!("({name}) advert from {} dropped: {why}", r.src);
                    inst.status.last_drop = Some(why);
                }
                false
            }
            Ok(a) => {
                inst.status.adverts_received += 1;
                self.metrics.vrrp(&name, VrrpMetric::Received);
                if inst.machine.state() == State::Master
                    && a.priority != 0
                    && a.priority < inst.machine.priority()
                {
                    let subject = Subject::Instance {
                        name: name.clone(),
                        priority: inst.machine.priority(),
                    };
                    self.notifier
                        .notify(&inst.notify, &subject, notify::Event::MasterRxLowerPri);
                }
                self.input(
                    &name,
                    Input::Advert {
                        from: r.src,
                        priority: a.priority,
                        interval: a.interval,
                    },
                    now,
                )
            }
        }
    }

    /// Feeds one input to an instance and carries out its actions, sync group included.
    /// Returns whether the [`Layer`] changed.
    fn input(&mut self, name: &str, input: Input, now: Instant) -> bool {
        let mut queue = vec![(name.to_string(), input)];
        let mut changed = false;
        while let Some((n, input)) = queue.pop() {
            let Some(inst) = self.instances.get_mut(&n) else {
                continue;
            };
            let synced = matches!(input, Input::Sync(_));
            let actions = inst.machine.handle(input, now);
            for a in actions {
                match a {
                    Action::SendAdvert { priority } => self.send_advert(&n, priority),
                    Action::Transition { from, to } => {
                        changed = true;
                        self.transition(&n, from, to);
                        if !synced {
                            for other in self.groups.get(&n).cloned().unwrap_or_default() {
                                let target = match to {
                                    State::Master | State::Fault => to,
                                    State::Backup => State::Backup,
                                    _ => continue,
                                };
                                queue.push((other, Input::Sync(target)));
                            }
                        }
                    }
                    Action::Garp { repeat } => self.garp(&n, repeat),
                }
            }
        }
        if changed {
            self.sync_firewall();
        }
        changed
    }

    /// Drops traffic to and from the virtual addresses of masters that are not in accept
    /// mode (`no_accept`, or strict mode below priority 255), and only theirs ([`nft`]).
    fn sync_firewall(&mut self) {
        let mut wanted = std::collections::BTreeSet::new();
        let mut any = false;
        for i in self.instances.values() {
            if i.plan.accept || i.plan.priority == 255 {
                continue;
            }
            any = true;
            if i.machine.state() == State::Master {
                wanted.extend(
                    i.plan
                        .vips
                        .iter()
                        .chain(&i.plan.excluded_vips)
                        .map(|a| a.addr),
                );
            }
        }
        if !any && !self.firewall.written() {
            return;
        }
        if let Err(e) = self.firewall.set(wanted) {
            tracing::error!("the firewall rules of `no_accept` cannot be written: {e}");
        }
    }

    fn transition(&mut self, name: &str, from: State, to: State) {
        let Some(change) = self.instance_change(name, from, to) else {
            return;
        };
        tracing::info!("({name}) {} -> {}", from.name(), to.name());
        self.alerts.push(AlertEvent::Instance(change));
        let Some(inst) = self.instances.get_mut(name) else {
            return;
        };
        inst.status.state = to.name().into();
        inst.status.transitions += 1;
        inst.status.since = Some(now_text());
        self.metrics.vrrp(name, VrrpMetric::Transition);
        self.metrics.vrrp(
            name,
            VrrpMetric::State(state_value(to), inst.machine.priority()),
        );
        let Some(ns) = notify_state(to) else {
            return;
        };
        let subject = Subject::Instance {
            name: name.to_string(),
            priority: inst.machine.priority(),
        };
        let event = if to == State::Stopped && inst.deleted {
            notify::Event::Removed {
                notify_deleted: inst.plan.notify.notify_deleted,
            }
        } else {
            notify::Event::Entered(ns)
        };
        self.notifier.notify(&inst.notify, &subject, event);
        // A sync group is notified once all its members are in the state.
        let Some(g) = self.group_of.get(name) else {
            return;
        };
        let all = self
            .group_of
            .iter()
            .filter(|(_, og)| *og == g)
            .all(|(m, _)| {
                self.instances
                    .get(m)
                    .is_none_or(|i| i.machine.state() == to)
            });
        let group_index = self
            .group_notify
            .keys()
            .position(|n| n == g)
            .map_or(0, |p| p as u32 + 1);
        if let Some((scripts, last)) = self.group_notify.get_mut(g)
            && all
            && *last != Some(to)
        {
            self.alerts.push(AlertEvent::Group(GroupChange {
                name: g.clone(),
                from: alert_state(last.unwrap_or(State::Init)),
                to: alert_state(to),
                index: group_index,
            }));
            *last = Some(to);
            let subject = Subject::Group { name: g.clone() };
            self.notifier
                .notify(scripts, &subject, notify::Event::Entered(ns));
        }
    }

    fn send_advert(&mut self, name: &str, priority: u8) {
        let Some(inst) = self.instances.get(name) else {
            return;
        };
        let p = &inst.plan;
        let Some(net) = self.net.as_ref() else {
            return;
        };
        let src = inst.machine.primary();
        if src.is_unspecified() {
            return;
        }
        let interval = if p.version == 2 {
            (p.advert_int_us / 1_000_000).clamp(1, 255) as u16
        } else {
            (p.advert_int_us / 10_000).clamp(1, 4095) as u16
        };
        let advert = Advert {
            version: p.version,
            vrid: p.vrid,
            priority,
            interval,
            addresses: advertised(p),
            auth: match &p.auth {
                Some(a) if p.version == 2 && a.auth_type == "PASS" => {
                    Auth::Pass(a.pass.as_bytes().iter().take(8).copied().collect())
                }
                _ => Auth::None,
            },
        };
        let ifindex = self.advert_ifindex(p).unwrap_or(0);
        let dsts: Vec<IpAddr> = if p.unicast_peers.is_empty() {
            vec![self.group(p)]
        } else {
            p.unicast_peers.clone()
        };
        // `old_unicast_checksum`: keepalived 1.3.6's VRRPv3 unicast checksum, whose
        // pseudo-header names the multicast group instead of the peer.
        let old_sum = !p.unicast_peers.is_empty() && p.tuning.old_unicast_checksum == Some(true);
        let group = self.group(p);
        let mut sent = 0;
        for dst in dsts {
            let msg = advert.build(src, if old_sum { group } else { dst });
            // Unicast goes where the routing table says.
            let oif = if p.unicast_peers.is_empty() {
                ifindex
            } else {
                0
            };
            // Multicast adverts always carry 255; unicast ones `unicast_ttl`.
            let ttl = if p.unicast_peers.is_empty() {
                codec::TTL
            } else {
                p.tuning.unicast_ttl
            };
            match net.send(&msg, src, dst, oif, ttl) {
                Ok(()) => sent += 1,
                Err(e) => tracing::debug!("({name}) {e}"),
            }
        }
        if sent > 0
            && let Some(inst) = self.instances.get_mut(name)
        {
            inst.status.adverts_sent += 1;
            self.metrics.vrrp(name, VrrpMetric::Sent);
        }
    }

    fn garp(&mut self, name: &str, repeat: u32) {
        let Some(inst) = self.instances.get(name) else {
            return;
        };
        let p = &inst.plan;
        // The interval of the interface's `garp_group`, else the global one.
        let intervals = |dev: &str| {
            self.global
                .as_ref()
                .map_or((Duration::ZERO, Duration::ZERO), |g| {
                    let (v4, v6) = g
                        .garp_intervals
                        .get(dev)
                        .map_or((g.garp.interval_us, g.garp.gna_interval_us), |i| {
                            (i.interval_us, i.gna_interval_us)
                        });
                    (Duration::from_micros(v4), Duration::from_micros(v6))
                })
        };
        // Per interface: the addresses that live on it.
        let mut by_dev: BTreeMap<&str, Vec<IpAddr>> = BTreeMap::new();
        for a in p.vips.iter().chain(&p.excluded_vips) {
            by_dev.entry(a.dev.as_str()).or_default().push(a.addr);
        }
        for (dev, addrs) in by_dev {
            let Some(iface) = self.ifaces.get(dev).cloned() else {
                continue;
            };
            let (iv4, iv6) = intervals(dev);
            if let Some(net) = self.net.as_mut() {
                net.garp(&iface, iface.mac, &addrs, repeat, iv4, iv6);
            }
        }
    }

    /// The virtual addresses, routes and rules of the instances that are master.
    pub fn layer(&self) -> Layer {
        let mut l = Layer::default();
        for i in self.instances.values() {
            if let Ok(Some(link)) = vmac::link(&i.plan) {
                let base_ll = i
                    .plan
                    .interface
                    .as_ref()
                    .and_then(|b| self.ifaces.get(b))
                    .and_then(|b| b.link_local);
                if i.plan.family == "inet6"
                    && let Some(ll) = base_ll
                {
                    l.addresses.push(vmac::link_local(&link.name, ll));
                }
                l.links.push(link);
            }
            if i.machine.state() == State::Master {
                l.addresses.extend(i.plan.vips.iter().cloned());
                l.addresses.extend(i.plan.excluded_vips.iter().cloned());
                l.routes.extend(i.plan.routes.iter().cloned());
                l.rules.extend(i.plan.rules.iter().cloned());
            }
        }
        if let Some(sd) = self
            .global
            .as_ref()
            .and_then(|g| g.lvs_sync_daemon.as_ref())
            && let Some(i) = self.instances.get(&sd.instance)
        {
            l.sync_daemon = match i.machine.state() {
                State::Master => Some(SyncDaemon::from_plan(sd, SyncState::Master)),
                State::Stopped => None,
                State::Init | State::Backup | State::Fault => {
                    Some(SyncDaemon::from_plan(sd, SyncState::Backup))
                }
            };
        }
        l
    }

    /// Every instance's status.
    pub fn status(&self) -> Vec<VrrpInstanceStatus> {
        self.instances
            .values()
            .map(|i| VrrpInstanceStatus {
                priority: i.machine.priority(),
                master: i.machine.master().map(|m| m.to_string()),
                ..i.status.clone()
            })
            .collect()
    }
}

/// The addresses an instance advertises: its virtual addresses of its own family (not the
/// excluded ones), as keepalived lists them.
fn advertised(p: &PlanVrrpInstance) -> Vec<IpAddr> {
    let v6 = p.family == "inet6";
    p.vips
        .iter()
        .map(|a| a.addr)
        .filter(|a| a.is_ipv6() == v6)
        .collect()
}

/// keepalived's checks of a received advert for instance `p`: TTL / hop limit 255
/// (multicast), checksum, version, authentication, address list (not for the master last
/// heard, `last_master`, with `skip_check_adv_addr`), and (v2) interval.
fn check(
    p: &PlanVrrpInstance,
    r: &Received,
    group: IpAddr,
    last_master: Option<IpAddr>,
) -> Result<Advert, String> {
    if p.unicast_peers.is_empty() && r.ttl != codec::TTL {
        return Err(format!("TTL/hop limit {} (must be 255)", r.ttl));
    }
    // `old_unicast_checksum never`: the old checksum (over the group) is not accepted.
    let group = if p.tuning.old_unicast_checksum == Some(false) {
        r.dst
    } else {
        group
    };
    let a = Advert::parse(&r.payload, r.src, r.dst, group).map_err(|e| e.to_string())?;
    if a.version != p.version {
        return Err(format!(
            "VRRP version {} (this instance runs version {})",
            a.version, p.version
        ));
    }
    if a.version == 2 {
        let ours = match &p.auth {
            Some(x) if x.auth_type == "PASS" => {
                Auth::Pass(x.pass.as_bytes().iter().take(8).copied().collect())
            }
            Some(_) => Auth::Ah,
            None => Auth::None,
        };
        if a.auth != ours {
            return Err("authentication mismatch".into());
        }
    }
    let skip_addresses = p.tuning.skip_check_adv_addr && last_master == Some(r.src);
    if a.priority != 255 && !skip_addresses {
        let mut theirs = a.addresses.clone();
        theirs.sort();
        theirs.dedup();
        let mut ours = advertised(p);
        ours.sort();
        ours.dedup();
        if theirs != ours {
            return Err(format!(
                "its addresses ({}) are not this instance's virtual addresses",
                theirs
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if a.version == 2 {
        let ours = p.advert_int_us / 1_000_000;
        if u64::from(a.interval) != ours {
            return Err(format!(
                "advert interval {} s (this instance: {ours} s)",
                a.interval
            ));
        }
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kac_schema::plan::PlanAuth;

    fn vip(a: &str) -> PlanAddress {
        PlanAddress {
            dev: "eth0".into(),
            addr: a.parse().expect("address"),
            prefix_len: 24,
            scope: "global".into(),
            broadcast: None,
            label: None,
            peer: None,
            flags: Vec::new(),
            use_vmac: false,
            preferred_lft_s: None,
            track: true,
            track_group: None,
        }
    }

    pub(super) fn instance(version: u8) -> PlanVrrpInstance {
        PlanVrrpInstance {
            state: "BACKUP".into(),
            interface: Some("eth0".into()),
            vrid: 51,
            priority: 100,
            advert_int_us: 1_000_000,
            version,
            family: "inet".into(),
            vips: vec![vip("10.0.0.100")],
            excluded_vips: vec![vip("10.0.0.200")],
            routes: Vec::new(),
            rules: Vec::new(),
            unicast_src_ip: None,
            unicast_peers: Vec::new(),
            mcast_src_ip: None,
            preempt: true,
            preempt_delay_us: 0,
            accept: true,
            strict: false,
            auth: None,
            use_vmac: None,
            track_interfaces: Vec::new(),
            track_scripts: Vec::new(),
            track_files: Vec::new(),
            track_processes: Vec::new(),
            notify: Default::default(),
            sync_group: None,
            vmac_xmit_base: false,
            vmac_mac: None,
            smtp_alert: None,
            tuning: Default::default(),
            track_static: Vec::new(),
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    /// `track_group`: a master whose static address's interface goes down is in FAULT (priority
    /// 0 advert, no mastership), says why, and is master again a master-down interval after the
    /// interface is back (fake clock).
    #[test]
    fn a_track_group_entry_whose_interface_goes_down_faults_its_instances() {
        let mut p = instance(3);
        p.track_static = vec![kac_schema::plan::PlanStaticTrack {
            interface: "dum0".into(),
            object: "address 10.8.0.1/24".into(),
            group: "G".into(),
        }];
        let base = Instant::now();
        let at = |ms: u64| base + Duration::from_millis(ms);
        let mut states = States::default();
        let link = |up: bool| Change {
            kind: track::Kind::Interface,
            name: "dum0".into(),
            value: track::TrackValue::Up(up),
        };
        states.apply(link(true));
        let tracking = |states: &States| {
            let e = track::effective_priority(p.priority, &track::instance_refs(&p, states, false));
            (e.fault, e.priority, track::fault_reasons(&p, states))
        };
        assert_eq!(tracking(&states), (false, 100, vec![]));

        let mut m = Machine::new(machine_config(&p), ip("10.0.0.1"));
        m.handle(Input::Start, at(0));
        let mut now = 0;
        while m.state() != State::Master {
            now = m
                .next_deadline()
                .expect("a backup has a deadline")
                .duration_since(base)
                .as_millis() as u64;
            m.handle(Input::Timer, at(now));
        }
        assert!(
            now <= 3_700,
            "master after the master-down interval, not {now} ms"
        );

        // Someone deletes the address: the daemon puts it back (drift); nothing changes here.
        // The interface goes down: the address cannot be restored.
        states.apply(link(false));
        let (fault, priority, reasons) = tracking(&states);
        assert_eq!(
            reasons,
            vec![
                "track_group G: address 10.8.0.1/24 on dum0: interface down, the entry cannot be restored"
                    .to_string()
            ]
        );
        let a = m.handle(Input::Tracking { fault, priority }, at(now + 10));
        assert!(a.contains(&Action::SendAdvert { priority: 0 }), "{a:?}");
        assert_eq!(m.state(), State::Fault);
        assert_eq!(m.next_deadline(), None, "no adverts while in FAULT");

        // Back up: BACKUP, then master once no master is heard.
        states.apply(link(true));
        let (fault, priority, reasons) = tracking(&states);
        assert!(reasons.is_empty());
        m.handle(Input::Tracking { fault, priority }, at(now + 5_000));
        assert_eq!(m.state(), State::Backup);
        let due = m.next_deadline().expect("master-down timer");
        m.handle(Input::Timer, due);
        assert_eq!(m.state(), State::Master);

        // A `track_interface` of its own with weight 0 reads the same way.
        p.track_interfaces = vec![kac_schema::plan::PlanTracked {
            name: "eth9".into(),
            weight: 0,
            reverse: false,
        }];
        assert_eq!(
            track::fault_reasons(&p, &states),
            vec!["track_interface eth9: down".to_string()]
        );
    }

    fn received(a: &Advert, ttl: u8) -> Received {
        let (src, dst) = (ip("10.0.0.2"), IpAddr::V4(codec::GROUP_V4));
        Received {
            ifindex: 2,
            src,
            dst,
            ttl,
            payload: a.build(src, dst),
        }
    }

    fn advert(version: u8) -> Advert {
        Advert {
            version,
            vrid: 51,
            priority: 150,
            interval: if version == 2 { 1 } else { 100 },
            addresses: vec![ip("10.0.0.100")],
            auth: Auth::None,
        }
    }

    fn drop_reason(p: &PlanVrrpInstance, r: &Received) -> String {
        check(p, r, IpAddr::V4(codec::GROUP_V4), None).expect_err("dropped")
    }

    #[test]
    fn a_matching_advert_passes_and_excluded_addresses_are_not_advertised() {
        let p = instance(3);
        assert_eq!(advertised(&p), vec![ip("10.0.0.100")]);
        assert_eq!(
            check(
                &p,
                &received(&advert(3), 255),
                IpAddr::V4(codec::GROUP_V4),
                None
            ),
            Ok(advert(3))
        );
    }

    #[test]
    fn adverts_are_dropped_as_keepalived_drops_them() {
        let p = instance(3);
        assert!(drop_reason(&p, &received(&advert(3), 64)).contains("TTL"));
        let mut r = received(&advert(3), 255);
        r.payload[7] ^= 1;
        assert_eq!(drop_reason(&p, &r), "bad checksum");
        assert!(drop_reason(&p, &received(&advert(2), 255)).contains("version 2"));
        let mut other = advert(3);
        other.addresses = vec![ip("10.0.0.101")];
        assert!(drop_reason(&p, &received(&other, 255)).contains("10.0.0.101"));
        // The owner's list is not checked.
        other.priority = 255;
        assert!(
            check(
                &p,
                &received(&other, 255),
                IpAddr::V4(codec::GROUP_V4),
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn v2_checks_the_password_and_the_interval() {
        let mut p = instance(2);
        p.auth = Some(PlanAuth {
            auth_type: "PASS".into(),
            pass: "secret".into(),
        });
        assert!(drop_reason(&p, &received(&advert(2), 255)).contains("authentication"));
        let mut a = advert(2);
        a.auth = Auth::Pass(b"secret".to_vec());
        assert!(check(&p, &received(&a, 255), IpAddr::V4(codec::GROUP_V4), None).is_ok());
        a.interval = 2;
        assert!(drop_reason(&p, &received(&a, 255)).contains("interval 2 s"));
        // v3 learns another interval instead of dropping.
        let mut b = advert(3);
        b.interval = 50;
        assert!(
            check(
                &instance(3),
                &received(&b, 255),
                IpAddr::V4(codec::GROUP_V4),
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn skip_check_adv_addr_skips_the_list_of_the_master_last_heard_only() {
        let mut p = instance(3);
        p.tuning.skip_check_adv_addr = true;
        let mut other = advert(3);
        other.addresses = vec![ip("10.0.0.101")];
        let r = received(&other, 255);
        let g = IpAddr::V4(codec::GROUP_V4);
        assert!(check(&p, &r, g, Some(ip("10.0.0.2"))).is_ok());
        assert!(check(&p, &r, g, Some(ip("10.0.0.3"))).is_err());
        assert!(check(&p, &r, g, None).is_err());
        p.tuning.skip_check_adv_addr = false;
        assert!(check(&p, &r, g, Some(ip("10.0.0.2"))).is_err());
    }

    #[test]
    fn unicast_adverts_need_no_ttl_255() {
        let mut p = instance(3);
        p.unicast_peers = vec![ip("10.0.0.2")];
        assert!(
            check(
                &p,
                &received(&advert(3), 64),
                IpAddr::V4(codec::GROUP_V4),
                None
            )
            .is_ok()
        );
    }

    /// A plan with no instances (keepalived's global defaults).
    pub(super) fn empty_plan() -> Plan {
        crate::check::tests::empty_plan()
    }

    /// A unicast v3 advert from 10.0.0.2 to 10.0.0.1 whose checksum is keepalived 1.3.6's
    /// (pseudo-header over the multicast group, not the peer).
    #[test]
    fn old_unicast_checksums_are_accepted_unless_never() {
        let mut p = instance(3);
        p.unicast_peers = vec![ip("10.0.0.2")];
        let group = IpAddr::V4(codec::GROUP_V4);
        let (src, dst) = (ip("10.0.0.2"), ip("10.0.0.1"));
        let old = Received {
            ifindex: 2,
            src,
            dst,
            ttl: 255,
            payload: advert(3).build(src, group),
        };
        let new = Received {
            payload: advert(3).build(src, dst),
            ..old.clone()
        };
        assert_ne!(old.payload, new.payload, "the checksums differ");
        for setting in [None, Some(true)] {
            p.tuning.old_unicast_checksum = setting;
            assert!(check(&p, &old, group, None).is_ok(), "{setting:?}");
            assert!(check(&p, &new, group, None).is_ok(), "{setting:?}");
        }
        p.tuning.old_unicast_checksum = Some(false);
        assert!(check(&p, &new, group, None).is_ok());
        let why = check(&p, &old, group, None).expect_err("`never` drops it");
        assert!(why.contains("checksum"), "{why}");
    }

    #[test]
    fn ah_and_vmac_on_an_address_are_refused_by_name() {
        let mut plan = empty_plan();
        let mut i = instance(2);
        i.auth = Some(PlanAuth {
            auth_type: "AH".into(),
            pass: "x".into(),
        });
        i.use_vmac = Some("vrrp.51".into());
        i.vmac_mac = Some("00:00:5e:00:01".into());
        i.vips[0].use_vmac = true;
        i.accept = false;
        plan.vrrp_instances.insert("VI_1".into(), i);
        let r = refusals(&plan).join("\n");
        assert!(r.contains("`auth_type AH`"), "{r}");
        assert!(r.contains("`use_vmac` on a virtual address"), "{r}");
        assert!(
            r.contains("`use_vmac vrrp.51 00:00:5e:00:01`: not a MAC"),
            "{r}"
        );
        // `no_accept` is carried out (nf_tables rules).
        assert!(!r.contains("accept"), "{r}");
        plan.vrrp_instances.insert("VI_1".into(), instance(3));
        assert!(refusals(&plan).is_empty());
    }
}
