//! One VRRP instance's state machine (RFC 3768 §6.4, RFC 5798 §6.4, with keepalived's
//! choices), pure: inputs in, [`Action`]s out, no IO and no clock reads (every input comes
//! with `now`; [`Machine::next_deadline`] says when to feed [`Input::Timer`]).
//!
//! keepalived's choices kept here: a master that hears a lower-priority advert answers with an
//! advert of its own (unless `lower_prio_no_advert`) and a gratuitous ARP burst of
//! `garp_lower_prio_repeat` packets, repeated after `garp_lower_prio_delay` (no new burst
//! before that delay has passed), a master that yields to a higher priority first sends one
//! advert with `higher_prio_send_advert`, a master
//! going to FAULT sends a priority-0 advert, `preempt_delay` counts from the instance's entry
//! into BACKUP at start-up or from FAULT, and VRRPv3 backups learn the master's advert
//! interval. An instance configured `state MASTER` below priority 255 starts as a backup
//! like any other: the election decides (only the address owner starts as master).

use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The address owner's priority.
pub const OWNER: u8 = 255;

/// An instance's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Not started.
    Init,
    /// Listening to a master.
    Backup,
    /// Holding the virtual addresses and advertising.
    Master,
    /// A tracked object failed: no adverts, no addresses.
    Fault,
    /// Stopped (shutdown).
    Stopped,
}

impl State {
    /// keepalived's name (`MASTER`, `BACKUP`, `FAULT`, `INIT`, `STOP`).
    pub fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stopped => "STOP",
        }
    }
}

/// Gratuitous ARP / unsolicited NA timings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GarpTimings {
    /// Delay after becoming master before the second burst (zero: no second burst); also the
    /// least time between bursts answering lower-priority adverts.
    pub master_delay: Duration,
    /// Packets per burst.
    pub master_repeat: u32,
    /// Refresh period while master (zero: off).
    pub master_refresh: Duration,
    /// Packets per refresh.
    pub master_refresh_repeat: u32,
    /// Delay before the second burst answering a lower-priority advert (zero: none); also
    /// the least time between such bursts.
    pub lower_prio_delay: Duration,
    /// Packets per burst answering a lower-priority advert (zero: no burst).
    pub lower_prio_repeat: u32,
}

/// What a machine is configured with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// 2 or 3.
    pub version: u8,
    /// The configured priority (1..=255).
    pub priority: u8,
    /// The advertisement interval (v2: whole seconds; v3: whole centiseconds).
    pub advert_int: Duration,
    /// Preemption (`nopreempt` clears it).
    pub preempt: bool,
    /// `preempt_delay`.
    pub preempt_delay: Duration,
    /// Adverts missed before the master is declared down (keepalived's `down_timer_adverts`,
    /// 3 by the RFCs).
    pub down_timer_adverts: u32,
    /// Gratuitous ARP timings.
    pub garp: GarpTimings,
    /// A master does not answer a lower-priority advert with an advert of its own
    /// (`lower_prio_no_advert`, the RFCs' behaviour).
    pub lower_prio_no_advert: bool,
    /// A master yielding to a higher-priority advert sends one advert first
    /// (`higher_prio_send_advert`).
    pub higher_prio_send_advert: bool,
}

/// An input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Start the instance (from [`State::Init`]).
    Start,
    /// Start the instance as master (from [`State::Init`]): the host already holds its
    /// virtual addresses, as after keepalived was master here (`kac daemon --adopt`). It
    /// advertises at once; a higher-priority master heard afterwards makes it a backup.
    Resume,
    /// A deadline passed ([`Machine::next_deadline`]).
    Timer,
    /// A valid advertisement for this instance arrived (VRID, authentication, version and
    /// addresses already checked).
    Advert {
        /// The sender's primary address (IP source).
        from: IpAddr,
        /// Its priority.
        priority: u8,
        /// Its advert interval in wire units (v2 s, v3 cs).
        interval: u16,
    },
    /// The tracked objects' verdict: FAULT or not, and the effective priority.
    Tracking {
        /// A tracked object with weight 0 failed.
        fault: bool,
        /// The effective priority (1..=255).
        priority: u8,
    },
    /// The sync group moves this member to a state (`Master`, `Backup` or `Fault`), or
    /// releases a fault it imposed (`Backup` while in a group fault).
    Sync(State),
    /// Stop (SIGTERM, or the instance left the configuration).
    Shutdown,
}

/// An action for the runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send an advertisement with this priority.
    SendAdvert {
        /// Priority to advertise (0 on stop or fault).
        priority: u8,
    },
    /// The state changed: the runtime adds or removes the virtual addresses, routes and
    /// rules (they follow mastership) and runs the notify scripts.
    Transition {
        /// Old state.
        from: State,
        /// New state.
        to: State,
    },
    /// Send a burst of gratuitous ARPs / unsolicited NAs for the virtual addresses.
    Garp {
        /// Packets per address.
        repeat: u32,
    },
}

/// The state machine of one instance.
#[derive(Clone, Debug)]
pub struct Machine {
    cfg: Config,
    state: State,
    /// The effective priority (tracking applied).
    priority: u8,
    /// Own tracking says FAULT.
    fault_own: bool,
    /// The sync group imposes FAULT.
    fault_sync: bool,
    /// Our primary address (the source of our adverts): ties on priority go to the higher.
    primary: IpAddr,
    /// The master's advertisement interval (v3 learns it).
    master_adver_int: Duration,
    /// The advert timer (master) or master-down timer (backup).
    timer: Option<Instant>,
    /// The next gratuitous ARP burst (second burst, then refresh).
    garp_timer: Option<(Instant, u32)>,
    /// Lower-priority adverts are answered by a GARP burst no sooner than this.
    lower_prio_garp_after: Option<Instant>,
    /// The second burst answering a lower-priority advert.
    lower_prio_garp_timer: Option<Instant>,
    /// Preemption is held off until then.
    preempt_after: Option<Instant>,
    /// The master's address as last heard (backup), or ours (master).
    master: Option<IpAddr>,
    /// A backup whose master-down timer ran out but whose sync group holds it back.
    wants_master: bool,
    /// `vrrp_startup_delay`: the end of the start-up delay ([`Machine::delay_start`]).
    start_hold: Option<Instant>,
}

impl Machine {
    /// A machine in [`State::Init`]; feed it [`Input::Start`].
    pub fn new(cfg: Config, primary: IpAddr) -> Machine {
        Machine {
            priority: cfg.priority,
            master_adver_int: cfg.advert_int,
            cfg,
            state: State::Init,
            fault_own: false,
            fault_sync: false,
            primary,
            timer: None,
            garp_timer: None,
            lower_prio_garp_after: None,
            lower_prio_garp_timer: None,
            preempt_after: None,
            master: None,
            wants_master: false,
            start_hold: None,
        }
    }

    /// keepalived's `vrrp_startup_delay`: until `until` the instance is a backup whatever its
    /// priority; an address owner may become master at `until`, any other instance no sooner
    /// than `until` plus its master-down interval (keepalived 2.2 starts every instance as a
    /// backup and starts its master-down timer at the end of the delay). Adverts are heard
    /// meanwhile as usual. Call it before [`Input::Start`].
    pub fn delay_start(&mut self, until: Instant) {
        self.start_hold = Some(until);
    }

    /// While the start-up delay holds this backup, the earliest it may become master.
    fn held_until(&self, now: Instant) -> Option<Instant> {
        let hold = self.start_hold?;
        let until = if self.priority == OWNER {
            hold
        } else {
            hold + self.master_down_interval()
        };
        (now < until).then_some(until)
    }

    /// Whether this backup's master-down timer ran out (it would be master, were it not for
    /// its sync group).
    pub fn wants_master(&self) -> bool {
        self.wants_master
    }

    /// Whether the next [`Input::Timer`] at `now` makes this backup master.
    pub fn master_due(&self, now: Instant) -> bool {
        self.state == State::Backup
            && self.timer.is_some_and(|t| t <= now)
            && self.held_until(now).is_none()
    }

    /// Holds a backup whose master-down timer ran out (its sync group is not ready: another
    /// member still hears a master): it wants to be master, and waits another master-down
    /// interval (keepalived's sync group rule: a group goes master only when every member
    /// wants to).
    pub fn hold(&mut self, now: Instant) {
        if self.state == State::Backup {
            self.wants_master = true;
            self.timer = Some(now + self.master_down_interval());
        }
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The effective priority.
    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The master's address as last heard (ours when master).
    pub fn master(&self) -> Option<IpAddr> {
        self.master
    }

    /// The address our adverts come from.
    pub fn primary(&self) -> IpAddr {
        self.primary
    }

    /// Changes the address our adverts come from (the interface's address changed).
    pub fn set_primary(&mut self, primary: IpAddr) {
        self.primary = primary;
        if self.state == State::Master {
            self.master = Some(primary);
        }
    }

    /// Takes a new configuration without a transition (a reload that changed timings or
    /// priority); the running timers keep their deadlines.
    pub fn reconfigure(&mut self, cfg: Config) {
        if !self.fault_own && self.priority == self.cfg.priority {
            self.priority = cfg.priority;
        }
        if cfg.version == 2 || self.state != State::Backup {
            self.master_adver_int = cfg.advert_int;
        }
        self.cfg = cfg;
    }

    /// When to feed [`Input::Timer`] next.
    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.timer,
            self.garp_timer.map(|g| g.0),
            self.lower_prio_garp_timer,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Skew time: v2 (256 − priority)/256 s; v3 ((256 − priority) × master interval)/256,
    /// in whole centiseconds as keepalived computes it.
    pub fn skew(&self) -> Duration {
        let p = u64::from(256 - u32::from(self.priority)) as u32;
        if self.cfg.version == 3 {
            let cs = self.master_adver_int.as_millis() as u64 / 10;
            Duration::from_millis((u64::from(p) * cs / 256) * 10)
        } else {
            Duration::from_secs(1) * p / 256
        }
    }

    /// Master down interval: `down_timer_adverts` × master interval + skew.
    pub fn master_down_interval(&self) -> Duration {
        self.master_adver_int * self.cfg.down_timer_adverts.max(1) + self.skew()
    }

    fn interval_of(&self, wire: u16) -> Duration {
        if self.cfg.version == 3 {
            Duration::from_millis(u64::from(wire) * 10)
        } else {
            Duration::from_secs(u64::from(wire))
        }
    }

    fn fault(&self) -> bool {
        self.fault_own || self.fault_sync
    }

    /// Handles one input at `now`.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Start => {
                if self.state == State::Init {
                    self.enter_from_init(now, &mut out);
                }
            }
            Input::Resume => {
                if self.state == State::Init {
                    if self.fault() {
                        self.go(State::Fault, &mut out);
                    } else {
                        self.become_master(now, &mut out);
                    }
                }
            }
            Input::Timer => self.timers(now, &mut out),
            Input::Advert {
                from,
                priority,
                interval,
            } => self.advert(from, priority, interval, now, &mut out),
            Input::Tracking { fault, priority } => {
                self.priority = priority.max(1);
                let was = self.fault();
                self.fault_own = fault;
                self.fault_changed(was, now, &mut out);
            }
            Input::Sync(to) => self.sync(to, now, &mut out),
            Input::Shutdown => {
                if self.state == State::Master {
                    out.push(Action::SendAdvert { priority: 0 });
                }
                if self.state != State::Stopped {
                    self.go(State::Stopped, &mut out);
                }
                self.timer = None;
                self.garp_timer = None;
                self.lower_prio_garp_timer = None;
            }
        }
        out
    }

    fn enter_from_init(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.fault() {
            self.go(State::Fault, out);
        } else if self.priority == OWNER && self.held_until(now).is_none() {
            self.become_master(now, out);
        } else {
            self.become_backup(now, out);
            if let Some(until) = self.held_until(now) {
                self.timer = self.timer.max(Some(until));
            }
            self.preempt_after = Some(now + self.cfg.preempt_delay);
        }
    }

    fn fault_changed(&mut self, was: bool, now: Instant, out: &mut Vec<Action>) {
        let is = self.fault();
        if matches!(self.state, State::Init | State::Stopped) || was == is {
            return;
        }
        if is {
            if self.state == State::Master {
                out.push(Action::SendAdvert { priority: 0 });
            }
            self.timer = None;
            self.garp_timer = None;
            self.lower_prio_garp_timer = None;
            self.go(State::Fault, out);
        } else if self.priority == OWNER {
            self.become_master(now, out);
        } else {
            self.become_backup(now, out);
            self.preempt_after = Some(now + self.cfg.preempt_delay);
        }
    }

    fn sync(&mut self, to: State, now: Instant, out: &mut Vec<Action>) {
        match to {
            State::Fault => {
                let was = self.fault();
                self.fault_sync = true;
                self.fault_changed(was, now, out);
            }
            State::Backup if self.fault_sync => {
                let was = self.fault();
                self.fault_sync = false;
                self.fault_changed(was, now, out);
            }
            State::Backup if self.state == State::Master => self.become_backup(now, out),
            State::Master if self.state == State::Backup => self.become_master(now, out),
            _ => {}
        }
    }

    fn timers(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.timer.is_some_and(|t| t <= now) {
            match self.state {
                State::Backup => match self.held_until(now) {
                    Some(until) => self.timer = Some(until),
                    None => self.become_master(now, out),
                },
                State::Master => {
                    out.push(Action::SendAdvert {
                        priority: self.priority,
                    });
                    self.timer = Some(now + self.cfg.advert_int);
                }
                _ => self.timer = None,
            }
        }
        if let Some((at, repeat)) = self.garp_timer
            && at <= now
        {
            self.garp_timer = None;
            if self.state == State::Master {
                out.push(Action::Garp { repeat });
                let r = self.cfg.garp.master_refresh;
                if !r.is_zero() {
                    self.garp_timer = Some((now + r, self.cfg.garp.master_refresh_repeat.max(1)));
                }
            }
        }
        if self.lower_prio_garp_timer.is_some_and(|t| t <= now) {
            self.lower_prio_garp_timer = None;
            if self.state == State::Master && self.cfg.garp.lower_prio_repeat > 0 {
                out.push(Action::Garp {
                    repeat: self.cfg.garp.lower_prio_repeat,
                });
            }
        }
    }

    fn advert(
        &mut self,
        from: IpAddr,
        priority: u8,
        interval: u16,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        match self.state {
            State::Backup => {
                if priority == 0 {
                    self.timer = Some(now + self.skew());
                    return;
                }
                let preempting = self.cfg.preempt
                    && self.priority != OWNER
                    && self.preempt_after.is_none_or(|t| now >= t);
                let preempting = preempting || self.priority == OWNER;
                if !preempting || priority >= self.priority {
                    if self.cfg.version == 3 && interval > 0 {
                        self.master_adver_int = self.interval_of(interval);
                    }
                    self.wants_master = false;
                    self.master = Some(from);
                    self.timer = Some(now + self.master_down_interval());
                }
            }
            State::Master => {
                if priority == 0 {
                    out.push(Action::SendAdvert {
                        priority: self.priority,
                    });
                    self.timer = Some(now + self.cfg.advert_int);
                } else if priority > self.priority
                    || (priority == self.priority && from > self.primary)
                {
                    if self.cfg.higher_prio_send_advert {
                        out.push(Action::SendAdvert {
                            priority: self.priority,
                        });
                    }
                    if self.cfg.version == 3 && interval > 0 {
                        self.master_adver_int = self.interval_of(interval);
                    }
                    self.become_backup(now, out);
                    self.master = Some(from);
                } else {
                    if !self.cfg.lower_prio_no_advert {
                        out.push(Action::SendAdvert {
                            priority: self.priority,
                        });
                    }
                    let g = self.cfg.garp;
                    if g.lower_prio_repeat > 0
                        && self.lower_prio_garp_after.is_none_or(|t| now >= t)
                    {
                        out.push(Action::Garp {
                            repeat: g.lower_prio_repeat,
                        });
                        self.lower_prio_garp_after = Some(now + g.lower_prio_delay);
                        if !g.lower_prio_delay.is_zero() {
                            self.lower_prio_garp_timer = Some(now + g.lower_prio_delay);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn become_master(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.wants_master = false;
        out.push(Action::SendAdvert {
            priority: self.priority,
        });
        self.go(State::Master, out);
        out.push(Action::Garp {
            repeat: self.cfg.garp.master_repeat.max(1),
        });
        self.master = Some(self.primary);
        self.master_adver_int = self.cfg.advert_int;
        self.timer = Some(now + self.cfg.advert_int);
        let g = &self.cfg.garp;
        self.garp_timer = if !g.master_delay.is_zero() {
            Some((now + g.master_delay, g.master_repeat.max(1)))
        } else if !g.master_refresh.is_zero() {
            Some((now + g.master_refresh, g.master_refresh_repeat.max(1)))
        } else {
            None
        };
        self.lower_prio_garp_after = Some(now + g.master_delay);
        self.lower_prio_garp_timer = None;
    }

    fn become_backup(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.wants_master = false;
        self.go(State::Backup, out);
        self.garp_timer = None;
        self.lower_prio_garp_timer = None;
        if self.master == Some(self.primary) {
            self.master = None;
        }
        self.timer = Some(now + self.master_down_interval());
    }

    fn go(&mut self, to: State, out: &mut Vec<Action>) {
        if self.state != to {
            out.push(Action::Transition {
                from: self.state,
                to,
            });
            self.state = to;
        }
    }
}

#[cfg(test)]
mod tests;
