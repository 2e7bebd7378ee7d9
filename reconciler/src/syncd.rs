//! The kernel's IPVS connection synchronisation daemon (`lvs_sync_daemon`) as a kernel object.
//!
//! The kernel runs at most one master (sends connection state) and one backup (receives it)
//! daemon per network namespace; each is started with its settings and stopped by its state,
//! never edited (a change is a stop and a start). Settings left unset take the kernel's
//! defaults when the daemon starts, and the kernel reports the values it chose, so an observed
//! daemon [`SyncDaemon::satisfies`] a wanted one when every setting the plan gives matches
//! (maxlen as the kernel clamps it).

use std::fmt;
use std::net::IpAddr;

use kac_schema::plan::PlanSyncDaemon;
use serde::{Deserialize, Serialize};

/// Whether a sync daemon sends (master) or receives (backup).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncState {
    /// Sends the connection table (`IP_VS_STATE_MASTER`).
    Master,
    /// Receives it (`IP_VS_STATE_BACKUP`).
    Backup,
}

impl SyncState {
    /// The kernel's value (`IP_VS_STATE_*`).
    pub fn kernel_value(self) -> u32 {
        match self {
            SyncState::Master => 1,
            SyncState::Backup => 2,
        }
    }

    /// The state of a kernel value.
    pub fn from_kernel(v: u32) -> Option<SyncState> {
        match v {
            1 => Some(SyncState::Master),
            2 => Some(SyncState::Backup),
            _ => None,
        }
    }

    /// `master` or `backup`.
    pub fn name(self) -> &'static str {
        match self {
            SyncState::Master => "master",
            SyncState::Backup => "backup",
        }
    }
}

/// One sync daemon: wanted (options unset take the kernel's defaults) or observed (all set).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SyncDaemon {
    /// Master or backup.
    pub state: SyncState,
    /// The multicast interface.
    pub interface: String,
    /// The sync id (0..255).
    pub sync_id: u8,
    /// Maximum sync message payload (bytes).
    pub maxlen: Option<u16>,
    /// UDP port.
    pub port: Option<u16>,
    /// Multicast TTL.
    pub ttl: Option<u8>,
    /// Multicast group.
    pub group: Option<IpAddr>,
}

/// UDP and IP header bytes the kernel takes off 65535 for the largest maxlen.
fn headers(group: Option<IpAddr>) -> u16 {
    if group.is_some_and(|g| g.is_ipv6()) {
        40 + 8
    } else {
        20 + 8
    }
}

impl SyncDaemon {
    /// The daemon `plan` asks for in `state`.
    pub fn from_plan(plan: &PlanSyncDaemon, state: SyncState) -> SyncDaemon {
        SyncDaemon {
            state,
            interface: plan.interface.clone(),
            sync_id: plan.sync_id,
            maxlen: plan.maxlen,
            port: plan.port,
            ttl: plan.ttl,
            group: plan.group,
        }
    }

    /// The maxlen the kernel makes of a wanted one: a backup's is at least 1024, and neither
    /// exceeds 65535 less the headers.
    fn kernel_maxlen(&self, want: u16) -> u16 {
        let min = match self.state {
            SyncState::Backup => 1024,
            SyncState::Master => 1,
        };
        want.clamp(min, u16::MAX - headers(self.group))
    }

    /// Whether this running daemon (`self`, as observed) is the wanted one: same state,
    /// interface and sync id, and every option `want` sets.
    pub fn satisfies(&self, want: &SyncDaemon) -> bool {
        fn opt<T: PartialEq>(want: Option<T>, have: Option<T>) -> bool {
            want.is_none() || want == have
        }
        self.state == want.state
            && self.interface == want.interface
            && self.sync_id == want.sync_id
            && opt(want.maxlen.map(|m| want.kernel_maxlen(m)), self.maxlen)
            && opt(want.port, self.port)
            && opt(want.ttl, self.ttl)
            && opt(want.group, self.group)
    }
}

/// `sync-daemon master eth1 syncid 51 maxlen 1472 port 8848 ttl 1 group 224.0.0.81` (the
/// options that are set), like `ipvsadm --start-daemon`.
impl fmt::Display for SyncDaemon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sync-daemon {} {} syncid {}",
            self.state.name(),
            self.interface,
            self.sync_id
        )?;
        if let Some(m) = self.maxlen {
            write!(f, " maxlen {m}")?;
        }
        if let Some(p) = self.port {
            write!(f, " port {p}")?;
        }
        if let Some(t) = self.ttl {
            write!(f, " ttl {t}")?;
        }
        if let Some(g) = self.group {
            write!(f, " group {g}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> PlanSyncDaemon {
        PlanSyncDaemon {
            interface: "eth1".into(),
            instance: "VI_1".into(),
            sync_id: 51,
            maxlen: Some(500),
            port: None,
            ttl: Some(2),
            group: None,
        }
    }

    fn running(state: SyncState, maxlen: u16) -> SyncDaemon {
        SyncDaemon {
            state,
            interface: "eth1".into(),
            sync_id: 51,
            maxlen: Some(maxlen),
            port: Some(8848),
            ttl: Some(2),
            group: Some("224.0.0.81".parse().expect("address")),
        }
    }

    #[test]
    fn kernel_defaults_and_clamped_maxlen_satisfy_the_plan() {
        let master = SyncDaemon::from_plan(&plan(), SyncState::Master);
        assert!(running(SyncState::Master, 500).satisfies(&master));
        assert!(!running(SyncState::Master, 1472).satisfies(&master));
        // A backup's maxlen is at least 1024.
        let backup = SyncDaemon::from_plan(&plan(), SyncState::Backup);
        assert!(running(SyncState::Backup, 1024).satisfies(&backup));
        assert!(!running(SyncState::Master, 1024).satisfies(&backup));
        let mut other_id = running(SyncState::Master, 500);
        other_id.sync_id = 9;
        assert!(!other_id.satisfies(&master));
    }

    #[test]
    fn prints_like_ipvsadm() {
        let d = SyncDaemon::from_plan(&plan(), SyncState::Backup);
        assert_eq!(
            d.to_string(),
            "sync-daemon backup eth1 syncid 51 maxlen 500 ttl 2"
        );
    }
}
