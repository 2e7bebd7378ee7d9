//! The observed kernel state: what a [`crate::kernel::Kernel`] read from the host, in the
//! same terms as [`crate::desired::Desired`]. It holds everything of the kinds kac manages,
//! foreign objects included; the diff decides what is kac's.

use std::collections::BTreeMap;

use crate::model::*;
use crate::syncd::{SyncDaemon, SyncState};

/// A network interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Interface index.
    pub index: u32,
    /// Link kind (`veth`, `macvlan`, …), if the kernel reports one.
    pub kind: Option<String>,
    /// The macvlan details, for a macvlan link.
    pub macvlan: Option<MacvlanLink>,
    /// The routing table of a VRF device.
    pub vrf_table: Option<u32>,
}

/// The IPVS state of a kernel that has IPVS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpvsState {
    /// Services with their destinations.
    pub services: BTreeMap<ServiceKey, Service>,
    /// Connection timeouts (all three known).
    pub timeouts: IpvsTimeouts,
}

/// Everything kac could manage on a host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Interfaces by name.
    pub links: BTreeMap<String, Link>,
    /// Addresses by key.
    pub addresses: BTreeMap<AddressKey, Address>,
    /// Routes by key (cached/cloned routes excluded).
    pub routes: BTreeMap<RouteKey, Route>,
    /// Rules by [`Rule::key`].
    pub rules: BTreeMap<Rule, Rule>,
    /// IPVS, or `None` when the kernel has no IPVS (or it was not asked for).
    pub ipvs: Option<IpvsState>,
    /// The running IPVS connection sync daemons by state, or `None` when not read (read
    /// only when the desired state or the journal has one; `Kernel::sync_daemons`).
    pub sync_daemons: Option<BTreeMap<SyncState, SyncDaemon>>,
}
