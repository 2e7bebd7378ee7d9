//! Real servers and virtual servers as health sees them, keepalived's rules (check/
//! ipwrapper.c), pure:
//!
//! * a real server is alive when every one of its checkers passes (keepalived's failed
//!   checker list); one failing checker takes it out;
//! * a virtual server has the quorum while the weights of its alive real servers add up to
//!   `quorum + hysteresis` once gained, and loses it below `quorum - hysteresis` (or at 0);
//!   `quorum_up`/`quorum_down` run on those changes;
//! * while the quorum is lost, a configured `sorry_server` is in IPVS and the alive real
//!   servers are out; otherwise the sorry server is out (at weight 0 with
//!   `sorry_server_inhibit`);
//! * a real server that is not alive is out of IPVS, or at weight 0 with
//!   `inhibit_on_failure`; an alive one has its configured weight, or the weight its checker
//!   set (MISC_CHECK `misc_dynamic`).
//!
//! [`Pool::overlay`] writes that into a [`Desired`], so health goes through the one
//! diff/apply path like everything else.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use kac_schema::plan::{MachineValue, PlanRealServer, PlanVirtualServer, PlanVsKey};

use crate::desired::Desired;
use crate::model::{DestAttrs, ServiceKey};

/// A command to run because health changed (`notify_up`, `notify_down`, `quorum_up`,
/// `quorum_down`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What happened (`real server 10.1.0.7:80 of tcp 10.0.0.1:80 is down`).
    pub what: String,
    /// The command (argv).
    pub argv: Vec<String>,
    /// Who it runs as (the plan's symbolic user, resolved when it runs).
    pub user: MachineValue,
}

/// A real server's change of health.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The virtual server.
    pub virtual_server: String,
    /// The real server.
    pub real_server: String,
    /// Up (alive) or down.
    pub up: bool,
    /// The virtual server's plan key.
    pub key: PlanVsKey,
    /// The real server's position in its virtual server (plan order).
    pub member: usize,
    /// The real server's address.
    pub addr: IpAddr,
    /// The real server's port.
    pub port: u16,
    /// Real servers of the virtual server alive after the change.
    pub servers_up: u32,
    /// Real servers of the virtual server.
    pub servers_total: u32,
}

/// A virtual server gained or lost its quorum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumFlip {
    /// The virtual server's plan key.
    pub key: PlanVsKey,
    /// Whether it has the quorum now.
    pub up: bool,
    /// `quorum`.
    pub quorum: u32,
    /// `hysteresis`.
    pub hysteresis: u32,
    /// The weight of its alive real servers.
    pub weight: u64,
    /// Real servers of the virtual server alive after the change.
    pub servers_up: u32,
    /// Real servers of the virtual server.
    pub servers_total: u32,
}

/// What settling a virtual server's health produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Commands to run.
    pub notices: Vec<Notice>,
    /// Real servers that changed.
    pub transitions: Vec<Transition>,
    /// Virtual servers whose quorum changed.
    pub quorum: Vec<QuorumFlip>,
    /// Whether the desired IPVS state changed.
    pub changed: bool,
}

impl Effects {
    /// Adds `other`.
    pub fn merge(&mut self, other: Effects) {
        self.notices.extend(other.notices);
        self.transitions.extend(other.transitions);
        self.quorum.extend(other.quorum);
        self.changed |= other.changed;
    }
}

/// The sorry server of a virtual server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sorry {
    /// Its address and port (port 0 on fwmark services).
    pub addr: SocketAddr,
    /// Its IPVS attributes (the virtual server's forwarding method, weight 1).
    pub attrs: DestAttrs,
    /// `sorry_server_inhibit`: kept at weight 0 while unused.
    pub inhibit: bool,
}

/// A real server of a virtual server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Address.
    pub addr: IpAddr,
    /// Port.
    pub port: u16,
    /// Configured weight.
    pub weight: u32,
    /// `inhibit_on_failure`.
    pub inhibit: bool,
    /// Its checks (engine ids); none: always alive.
    pub checks: Vec<usize>,
    /// Alive (every check passes), as last settled.
    pub alive: bool,
    /// Its weight now (configured, or set by a checker).
    pub weight_now: u32,
    /// `notify_up`.
    pub notify_up: Option<Vec<String>>,
    /// `notify_down`.
    pub notify_down: Option<Vec<String>>,
    /// Who `notify_up` and `notify_down` run as, by keyword.
    pub script_users: BTreeMap<String, MachineValue>,
}

impl Member {
    /// A member for a plan real server (alive until settled).
    pub fn of(rs: &PlanRealServer) -> Member {
        Member {
            addr: rs.addr,
            port: rs.port,
            weight: rs.weight,
            inhibit: rs.inhibit_on_failure,
            checks: Vec::new(),
            alive: true,
            weight_now: rs.weight,
            notify_up: rs.notify_up.clone(),
            notify_down: rs.notify_down.clone(),
            script_users: rs.script_users.clone(),
        }
    }

    /// `10.1.0.7:80`.
    pub fn label(&self) -> String {
        SocketAddr::new(self.addr, self.port).to_string()
    }
}

/// A check's state as a pool reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckView {
    /// Passes.
    pub up: bool,
    /// The weight it sets, if any.
    pub weight: Option<u32>,
}

/// A virtual server as health sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    /// Its plan key.
    pub key: PlanVsKey,
    /// `tcp 10.0.0.1:80`, `fwmark 1`, `group web TCP`.
    pub label: String,
    /// The IPVS services it stands for (several for a group).
    pub services: Vec<ServiceKey>,
    /// `quorum`.
    pub quorum: u32,
    /// `hysteresis`.
    pub hysteresis: u32,
    /// `quorum_up`.
    pub quorum_up_cmd: Option<Vec<String>>,
    /// `quorum_down`.
    pub quorum_down_cmd: Option<Vec<String>>,
    /// The sorry server.
    pub sorry: Option<Sorry>,
    /// `omega`: notify_down and quorum_down run when it is removed.
    pub omega: bool,
    /// `ha_suspend`: its checks pause while its address is not on the host.
    pub ha_suspend: bool,
    /// Real servers.
    pub members: Vec<Member>,
    /// Whether it has the quorum.
    pub quorum_state: bool,
    /// Who `quorum_up` and `quorum_down` run as, by keyword.
    pub script_users: BTreeMap<String, MachineValue>,
}

/// The user of script `keyword` in `users` (a plan's `script_users`): keepalived's default
/// script user when the plan does not say (a plan from before the field existed).
pub fn script_user(users: &BTreeMap<String, MachineValue>, keyword: &str) -> MachineValue {
    users
        .get(keyword)
        .cloned()
        .unwrap_or(MachineValue::DefaultScriptUser)
}

/// The label status and logs use for a virtual server.
pub fn vs_label(key: &PlanVsKey) -> String {
    match key {
        PlanVsKey::Addr {
            addr,
            port,
            protocol,
        } => format!(
            "{} {}",
            protocol.to_ascii_lowercase(),
            SocketAddr::new(*addr, *port)
        ),
        PlanVsKey::Fwmark { fwmark, family } => {
            if family == "inet6" {
                format!("fwmark {fwmark} inet6")
            } else {
                format!("fwmark {fwmark}")
            }
        }
        PlanVsKey::Group { group, protocol } => {
            format!("group {group} {}", protocol.to_ascii_lowercase())
        }
    }
}

/// Parses the plan's `sorry_server` (`ADDR:PORT`, `[V6]:PORT` or `ADDR`).
fn sorry_addr(text: &str, default_port: u16) -> Option<SocketAddr> {
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Some(sa);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, default_port));
    }
    let (a, p) = text.rsplit_once(':')?;
    Some(SocketAddr::new(a.parse().ok()?, p.parse().ok()?))
}

impl Pool {
    /// The pool of a plan virtual server (members alive, quorum up, until settled);
    /// `None` when the plan virtual server has no IPVS form (`Desired::from_plan` reports
    /// that).
    pub fn of(vs: &PlanVirtualServer) -> Option<Pool> {
        let services: Vec<ServiceKey> = crate::desired::services(vs)
            .ok()?
            .into_iter()
            .map(|s| s.key)
            .collect();
        let vs_port = match &vs.key {
            PlanVsKey::Addr { port, .. } => *port,
            _ => 0,
        };
        let sorry = vs.sorry_server.as_deref().and_then(|text| {
            let addr = sorry_addr(text, vs_port)?;
            let rs = PlanRealServer {
                addr: addr.ip(),
                port: addr.port(),
                weight: 1,
                lb_kind: vs
                    .sorry_server_lvs_method
                    .clone()
                    .unwrap_or_else(|| vs.lb_kind.clone())
                    .into(),
                tunnel: vs.sorry_server_tunnel.clone(),
                inhibit_on_failure: false,
                uthreshold: 0,
                lthreshold: 0,
                notify_up: None,
                notify_down: None,
                checkers: Vec::new(),
                smtp_alert: None,
                script_users: Default::default(),
            };
            let (addr, attrs) = crate::desired::dest(&rs).ok()?;
            Some(Sorry {
                addr,
                attrs,
                inhibit: vs.sorry_server_inhibit,
            })
        });
        Some(Pool {
            key: vs.key.clone(),
            label: vs_label(&vs.key),
            services,
            quorum: vs.quorum,
            hysteresis: vs.hysteresis,
            quorum_up_cmd: vs.quorum_up.clone(),
            quorum_down_cmd: vs.quorum_down.clone(),
            sorry,
            omega: vs.omega,
            ha_suspend: vs.ha_suspend,
            members: vs.real_servers.iter().map(Member::of).collect(),
            quorum_state: true,
            script_users: vs.script_users.clone(),
        })
    }

    /// The virtual address `ha_suspend` watches (address-keyed virtual servers only).
    pub fn address(&self) -> Option<IpAddr> {
        match &self.key {
            PlanVsKey::Addr { addr, .. } => Some(*addr),
            _ => None,
        }
    }

    /// The sum of the weights of the alive real servers.
    pub fn alive_weight(&self) -> u64 {
        self.members
            .iter()
            .filter(|m| m.alive)
            .map(|m| u64::from(m.weight_now))
            .sum()
    }

    /// Whether the sorry server serves instead of the real servers.
    pub fn sorry_active(&self) -> bool {
        self.sorry.is_some() && !self.quorum_state
    }

    /// Sets each member's alive flag and weight from its checks without running anything,
    /// and the quorum from them (a new virtual server, or a new real server on reload).
    pub fn initialise(&mut self, check: impl Fn(usize) -> CheckView, fresh: &[bool]) {
        for (i, m) in self.members.iter_mut().enumerate() {
            if fresh.get(i).copied().unwrap_or(true) {
                let (alive, w) = member_state(m, &check);
                m.alive = alive;
                m.weight_now = w;
            }
        }
    }

    /// Sets the quorum state from the weights, without running anything.
    pub fn initialise_quorum(&mut self) {
        let sum = self.alive_weight();
        self.quorum_state = sum > 0 && sum >= u64::from(self.quorum);
    }

    /// Re-reads every member's checks and the quorum, and returns what changed.
    pub fn settle(&mut self, check: impl Fn(usize) -> CheckView) -> Effects {
        let mut fx = Effects::default();
        let sorry_before = self.sorry_active();
        for (i, m) in self.members.iter_mut().enumerate() {
            let (alive, w) = member_state(m, &check);
            if alive != m.alive {
                m.alive = alive;
                fx.changed = true;
                fx.transitions.push(Transition {
                    virtual_server: self.label.clone(),
                    real_server: m.label(),
                    up: alive,
                    key: self.key.clone(),
                    member: i,
                    addr: m.addr,
                    port: m.port,
                    servers_up: 0,
                    servers_total: 0,
                });
                let (word, cmd, keyword) = if alive {
                    ("up", &m.notify_up, "notify_up")
                } else {
                    ("down", &m.notify_down, "notify_down")
                };
                tracing::info!(
                    virtual_server = %self.label,
                    real_server = %m.label(),
                    "real server is {word}{}",
                    if !alive && m.inhibit { " (inhibited: weight 0)" } else { "" }
                );
                if let Some(argv) = cmd {
                    fx.notices.push(Notice {
                        what: format!("real server {} of {} is {word}", m.label(), self.label),
                        argv: argv.clone(),
                        user: script_user(&m.script_users, keyword),
                    });
                }
            }
            if w != m.weight_now {
                m.weight_now = w;
                fx.changed = true;
            }
        }
        let up = self.members.iter().filter(|m| m.alive).count() as u32;
        let total = self.members.len() as u32;
        for t in &mut fx.transitions {
            (t.servers_up, t.servers_total) = (up, total);
        }
        let sum = self.alive_weight();
        let quorum_before = self.quorum_state;
        let up_at = u64::from(self.quorum) + u64::from(self.hysteresis);
        let down_below = u64::from(self.quorum.saturating_sub(self.hysteresis));
        if !self.quorum_state && sum >= up_at && sum > 0 {
            self.quorum_state = true;
            tracing::info!(virtual_server = %self.label, weight = sum, "gained quorum");
            if let Some(argv) = &self.quorum_up_cmd {
                fx.notices.push(Notice {
                    what: format!("{} gained its quorum", self.label),
                    argv: argv.clone(),
                    user: script_user(&self.script_users, "quorum_up"),
                });
            }
        } else if self.quorum_state && (sum == 0 || sum < down_below) {
            self.quorum_state = false;
            tracing::warn!(virtual_server = %self.label, weight = sum, "lost quorum");
            if let Some(argv) = &self.quorum_down_cmd {
                fx.notices.push(Notice {
                    what: format!("{} lost its quorum", self.label),
                    argv: argv.clone(),
                    user: script_user(&self.script_users, "quorum_down"),
                });
            }
        }
        if self.quorum_state != quorum_before {
            fx.quorum.push(QuorumFlip {
                key: self.key.clone(),
                up: self.quorum_state,
                quorum: self.quorum,
                hysteresis: self.hysteresis,
                weight: sum,
                servers_up: up,
                servers_total: total,
            });
        }
        if self.sorry_active() != sorry_before {
            fx.changed = true;
            if let Some(s) = &self.sorry {
                tracing::warn!(
                    virtual_server = %self.label,
                    sorry_server = %s.addr,
                    "sorry server {}",
                    if self.sorry_active() { "in" } else { "out" }
                );
            }
        }
        fx
    }

    /// What `rs_init_notifies` runs for the members marked in `fresh` (all when it is empty):
    /// `notify_up` of each that starts alive, `notify_down` of each that starts failed.
    pub fn initial_notices(&self, fresh: &[bool]) -> Vec<Notice> {
        let mut v = Vec::new();
        for (i, m) in self.members.iter().enumerate() {
            if !fresh.get(i).copied().unwrap_or(true) {
                continue;
            }
            let (word, cmd, keyword) = if m.alive {
                ("up", &m.notify_up, "notify_up")
            } else {
                ("down", &m.notify_down, "notify_down")
            };
            if let Some(argv) = cmd {
                v.push(Notice {
                    what: format!(
                        "real server {} of {} starts {word} (rs_init_notifies)",
                        m.label(),
                        self.label
                    ),
                    argv: argv.clone(),
                    user: script_user(&m.script_users, keyword),
                });
            }
        }
        v
    }

    /// What removing this virtual server (or, with `only`, these members) runs under
    /// `omega`: notify_down of each alive real server, and quorum_down if it had the quorum.
    pub fn omega_notices(&self, only: Option<&[usize]>) -> Vec<Notice> {
        if !self.omega {
            return Vec::new();
        }
        let mut v = Vec::new();
        for (i, m) in self.members.iter().enumerate() {
            if only.is_some_and(|o| !o.contains(&i)) || !m.alive {
                continue;
            }
            if let Some(argv) = &m.notify_down {
                v.push(Notice {
                    what: format!("real server {} of {} is removed", m.label(), self.label),
                    argv: argv.clone(),
                    user: script_user(&m.script_users, "notify_down"),
                });
            }
        }
        if only.is_none()
            && self.quorum_state
            && let Some(argv) = &self.quorum_down_cmd
        {
            v.push(Notice {
                what: format!("{} is removed", self.label),
                argv: argv.clone(),
                user: script_user(&self.script_users, "quorum_down"),
            });
        }
        v
    }

    /// What IPVS has of member `m` now: `pool`, `inhibited`, `removed` or `sorry`.
    pub fn ipvs_word(&self, m: &Member) -> &'static str {
        match (m.alive, self.sorry_active(), m.inhibit) {
            (true, false, _) => "pool",
            (true, true, true) | (false, _, true) => "inhibited",
            (true, true, false) => "sorry",
            (false, _, false) => "removed",
        }
    }

    /// Writes this virtual server's health into `desired` (whose services come from the
    /// same plan): failed real servers out (or at weight 0 with `inhibit_on_failure`), alive
    /// ones at their weight now, the sorry server in while the quorum is lost.
    pub fn overlay(&self, desired: &mut Desired) {
        let sorry = self.sorry_active();
        for key in &self.services {
            let Some(svc) = desired.services.get_mut(key) else {
                continue;
            };
            let fwmark = matches!(key, ServiceKey::Fwmark { .. });
            for m in &self.members {
                let port = if fwmark { 0 } else { m.port };
                let addr = SocketAddr::new(m.addr, port);
                let Some(d) = svc.dests.get_mut(&addr) else {
                    continue;
                };
                if m.alive && !sorry {
                    d.weight = i32::try_from(m.weight_now).unwrap_or(i32::MAX);
                } else if m.inhibit {
                    d.weight = 0;
                } else {
                    svc.dests.remove(&addr);
                }
            }
            if let Some(s) = &self.sorry {
                let addr = if fwmark {
                    SocketAddr::new(s.addr.ip(), 0)
                } else {
                    s.addr
                };
                if sorry {
                    svc.dests.insert(addr, s.attrs.clone());
                } else if s.inhibit {
                    let mut a = s.attrs.clone();
                    a.weight = 0;
                    svc.dests.insert(addr, a);
                }
            }
        }
    }
}

/// A member's alive flag and weight from its checks: alive when all pass; the weight is the
/// one a check sets (the last that sets one), else the configured one.
fn member_state(m: &Member, check: &impl Fn(usize) -> CheckView) -> (bool, u32) {
    let mut alive = true;
    let mut w = m.weight;
    for &c in &m.checks {
        let v = check(c);
        alive &= v.up;
        if let Some(dw) = v.weight {
            w = dw;
        }
    }
    (alive, w)
}
