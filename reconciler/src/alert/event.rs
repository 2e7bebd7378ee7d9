//! What an alert is about: the runtime's events that keepalived reports by e-mail, SNMP
//! trap and notify FIFO, in one closed type the channels (mail.rs, trap.rs, fifo.rs) format
//! each in their own way.

/// A VRRP instance's or sync group's state, named as keepalived names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VrrpState {
    /// Not started yet.
    Init,
    /// Listening to a master.
    Backup,
    /// Holding the virtual addresses.
    Master,
    /// A tracked object failed.
    Fault,
    /// Stopped (shutdown).
    Stop,
}

impl VrrpState {
    /// keepalived's word (`MASTER`, `BACKUP`, `FAULT`, `STOP`, `INIT`).
    pub fn name(self) -> &'static str {
        match self {
            VrrpState::Init => "INIT",
            VrrpState::Backup => "BACKUP",
            VrrpState::Master => "MASTER",
            VrrpState::Fault => "FAULT",
            VrrpState::Stop => "STOP",
        }
    }

    /// The KEEPALIVED-MIB `VrrpState` number (init 0, backup 1, master 2, fault 3,
    /// shutdown 5).
    pub fn mib_value(self) -> i64 {
        match self {
            VrrpState::Init => 0,
            VrrpState::Backup => 1,
            VrrpState::Master => 2,
            VrrpState::Fault => 3,
            VrrpState::Stop => 5,
        }
    }
}

/// A VRRP instance changed state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceChange {
    /// The instance's name (`VI_1`).
    pub name: String,
    /// The state it left.
    pub from: VrrpState,
    /// The state it entered.
    pub to: VrrpState,
    /// Its effective priority now.
    pub priority: u8,
    /// The state it was configured to start in (`state`; KEEPALIVED-MIB
    /// `vrrpInstanceInitialState`).
    pub initial: VrrpState,
    /// Its row in KEEPALIVED-MIB's instance table: 1-based position among the plan's
    /// instances (sorted by name).
    pub index: u32,
    /// Its virtual router id.
    pub vrid: u8,
    /// The interface index it runs on (the VRRP-MIB row index).
    pub ifindex: u32,
    /// The primary address it advertises from, when it becomes master (VRRP-MIB
    /// `vrrpOperMasterIpAddr`).
    pub master_address: Option<std::net::Ipv4Addr>,
}

/// A VRRP instance's effective priority changed (`notify_priority_changes`; FIFOs only, as
/// keepalived).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityChange {
    /// The instance's name.
    pub name: String,
    /// Whether it is master (`MASTER_PRIORITY`; else `BACKUP_PRIORITY`).
    pub master: bool,
    /// Its effective priority now.
    pub priority: u8,
}

/// A sync group changed state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupChange {
    /// The group's name.
    pub name: String,
    /// The state it left.
    pub from: VrrpState,
    /// The state it entered.
    pub to: VrrpState,
    /// Its row in KEEPALIVED-MIB's sync group table: 1-based position among the plan's
    /// groups (sorted by name).
    pub index: u32,
}

/// What a virtual server is defined from (KEEPALIVED-MIB `virtualServerType` and the
/// columns that go with it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VsIdentity {
    /// An address and port (`virtualServerAddrType`, `virtualServerAddress`,
    /// `virtualServerPort`).
    Addr {
        /// The address.
        addr: std::net::IpAddr,
        /// The port.
        port: u16,
    },
    /// A firewall mark (`virtualServerFwMark`).
    Fwmark(u32),
    /// A `virtual_server_group` (`virtualServerNameOfGroup`).
    Group(String),
}

/// A real server's health changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealServerChange {
    /// The virtual server, as keepalived prints it (`[10.0.0.1]:tcp:80`).
    pub virtual_server: String,
    /// The virtual server's row in KEEPALIVED-MIB: 1-based position among the plan's
    /// virtual servers.
    pub vs_index: u32,
    /// The real server's row within its virtual server (1-based).
    pub rs_index: u32,
    /// The real server's address.
    pub address: std::net::IpAddr,
    /// The real server's port.
    pub port: u16,
    /// The virtual server's protocol (`tcp`, `udp`, `sctp`; `None` for a fwmark service).
    pub protocol: Option<String>,
    /// Up (alive) or down.
    pub up: bool,
    /// Why it went down, when it did (`connection error`).
    pub reason: Option<String>,
    /// Real servers of the virtual server now up.
    pub servers_up: u32,
    /// Real servers of the virtual server.
    pub servers_total: u32,
    /// What the virtual server is defined from.
    pub identity: VsIdentity,
}

/// A virtual server gained or lost its quorum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumChange {
    /// The virtual server, as keepalived prints it (`[10.0.0.1]:tcp:80`).
    pub virtual_server: String,
    /// Whether it has the quorum now.
    pub up: bool,
    /// `quorum`.
    pub quorum: u32,
    /// `hysteresis`.
    pub hysteresis: u32,
    /// The weight of its alive real servers.
    pub weight: u64,
    /// The virtual server's row in KEEPALIVED-MIB: 1-based position among the plan's
    /// virtual servers.
    pub vs_index: u32,
    /// The virtual server's protocol (`tcp`, `udp`, `sctp`; `None` for a fwmark service).
    pub protocol: Option<String>,
    /// What the virtual server is defined from.
    pub identity: VsIdentity,
    /// Real servers of the virtual server now up.
    pub servers_up: u32,
    /// Real servers of the virtual server.
    pub servers_total: u32,
}

/// What an operational alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationalKind {
    /// A revision was refused (compile errors, signature, history).
    RefusedRevision,
    /// Applying a revision failed.
    FailedApply,
    /// A failed apply was rolled back.
    Rollback,
}

impl OperationalKind {
    /// The KAC-MIB `kacOperationalKind` number (docs/KAC-MIB.txt): refused 1,
    /// failedApply 2, rollback 3.
    pub fn mib_value(self) -> i64 {
        match self {
            OperationalKind::RefusedRevision => 1,
            OperationalKind::FailedApply => 2,
            OperationalKind::Rollback => 3,
        }
    }

    /// The kind's word in the trap and the logs (`refused`, `failed-apply`, `rollback`).
    pub fn word(self) -> &'static str {
        match self {
            OperationalKind::RefusedRevision => "refused",
            OperationalKind::FailedApply => "failed-apply",
            OperationalKind::Rollback => "rollback",
        }
    }

    /// A short title (`Revision refused`).
    pub fn title(self) -> &'static str {
        match self {
            OperationalKind::RefusedRevision => "Revision refused",
            OperationalKind::FailedApply => "Apply failed",
            OperationalKind::Rollback => "Rolled back",
        }
    }
}

/// Something the daemon did that operators want to hear about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operational {
    /// What happened.
    pub kind: OperationalKind,
    /// The revision concerned.
    pub revision: String,
    /// The details (diagnostics, the failing op).
    pub detail: String,
}

/// One event to alert on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlertEvent {
    /// A VRRP instance changed state.
    Instance(InstanceChange),
    /// A sync group changed state.
    Group(GroupChange),
    /// A VRRP instance's priority changed (written to notify FIFOs only).
    Priority(PriorityChange),
    /// A real server went up or down.
    RealServer(RealServerChange),
    /// A virtual server gained or lost its quorum.
    Quorum(QuorumChange),
    /// A refused revision, a failed apply, a rollback.
    Operational(Operational),
}

impl AlertEvent {
    /// The kind, for metrics and status (`vrrp`, `group`, `real_server`, `operational`).
    pub fn kind(&self) -> AlertKind {
        match self {
            AlertEvent::Instance(_) | AlertEvent::Priority(_) => AlertKind::Vrrp,
            AlertEvent::Group(_) => AlertKind::Group,
            AlertEvent::RealServer(_) => AlertKind::RealServer,
            AlertEvent::Quorum(_) => AlertKind::Quorum,
            AlertEvent::Operational(_) => AlertKind::Operational,
        }
    }
}

/// The kinds of alert, for counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// VRRP instance transitions.
    Vrrp,
    /// Sync group transitions.
    Group,
    /// Real server up/down.
    RealServer,
    /// Virtual server quorum gained/lost.
    Quorum,
    /// Refused revisions, failed applies, rollbacks.
    Operational,
}

impl AlertKind {
    /// The metrics label.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::Vrrp => "vrrp",
            AlertKind::Group => "group",
            AlertKind::RealServer => "real_server",
            AlertKind::Quorum => "quorum",
            AlertKind::Operational => "operational",
        }
    }
}
