//! `track_interface`: link up/down of the tracked interfaces.
//!
//! keepalived counts an interface as up when it is administratively up and running
//! (`IFF_UP` and `IFF_RUNNING`, keepalived 2.2 `IF_FLAGS_UP`); a deleted interface is down.
//! [`LinkTracker`] turns link observations into [`Change`]s (the daemon can feed it from the
//! rtnetlink link events it already parses); [`watch_links`] is a ready subscription: a
//! thread with its own rtnetlink socket (RTNLGRP_LINK), an initial dump, then every link
//! notification, in the network namespace of the thread that calls it.

use std::collections::{BTreeMap, BTreeSet};

use netlink_packet_core::NetlinkMessage;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use tokio::sync::mpsc;

use super::{Change, Kind, TrackValue};
use crate::kernel::KernelError;
use crate::kernel::netlink::socket::NlSocket;

/// Whether link `flags` count as up for keepalived (`IFF_UP` and `IFF_RUNNING`).
pub fn link_is_up(flags: LinkFlags) -> bool {
    flags.contains(LinkFlags::Up) && flags.contains(LinkFlags::Running)
}

/// The up/down state of the tracked interfaces, turning observations into changes.
#[derive(Clone, Debug, Default)]
pub struct LinkTracker {
    names: BTreeSet<String>,
    last: BTreeMap<String, bool>,
}

impl LinkTracker {
    /// Tracks these interfaces (others are ignored).
    pub fn new<I: IntoIterator<Item = String>>(names: I) -> LinkTracker {
        LinkTracker {
            names: names.into_iter().collect(),
            last: BTreeMap::new(),
        }
    }

    /// The interface `name` is `up` (or down) now; returns the change when it is tracked and
    /// its state differs from the last one seen (the first observation is a change).
    pub fn observe(&mut self, name: &str, up: bool) -> Option<Change> {
        if !self.names.contains(name) || self.last.get(name) == Some(&up) {
            return None;
        }
        self.last.insert(name.to_string(), up);
        Some(Change {
            kind: Kind::Interface,
            name: name.to_string(),
            value: TrackValue::Up(up),
        })
    }

    /// The interface `name` was deleted: down.
    pub fn removed(&mut self, name: &str) -> Option<Change> {
        self.observe(name, false)
    }

    /// Changes for tracked interfaces that a full dump (`present`: every link seen) lacks:
    /// they are down.
    pub fn missing_from(&mut self, present: &BTreeSet<String>) -> Vec<Change> {
        let absent: Vec<String> = self
            .names
            .iter()
            .filter(|n| !present.contains(*n))
            .cloned()
            .collect();
        absent.iter().filter_map(|n| self.removed(n)).collect()
    }

    /// Feeds one rtnetlink link message (`RTM_NEWLINK` / `RTM_DELLINK`).
    pub fn message(&mut self, msg: &RouteNetlinkMessage) -> Option<Change> {
        match msg {
            RouteNetlinkMessage::NewLink(l) => {
                let name = link_name(l)?;
                self.observe(&name, link_is_up(l.header.flags))
            }
            RouteNetlinkMessage::DelLink(l) => self.removed(&link_name(l)?),
            _ => None,
        }
    }
}

fn link_name(l: &LinkMessage) -> Option<String> {
    l.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.clone()),
        _ => None,
    })
}

/// `RTNLGRP_LINK`.
const RTNLGRP_LINK: u32 = 1;

/// Subscribes to link notifications (in the calling thread's network namespace), reports
/// the current state of every tracked interface, then every change, on `tx`, from a thread of
/// its own; the thread ends when `tx` is closed (at the next link notification).
pub fn watch_links(
    names: impl IntoIterator<Item = String>,
    tx: mpsc::Sender<Change>,
) -> Result<std::thread::JoinHandle<()>, KernelError> {
    let mut tracker = LinkTracker::new(names);
    let io = |e: std::io::Error| KernelError::Io(format!("link notifications: {e}"));
    let mut events = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_ROUTE).map_err(io)?;
    events.bind_auto().map_err(io)?;
    events.add_membership(RTNLGRP_LINK).map_err(io)?;
    let _ = events.set_rx_buf_sz(1 << 20);
    // Subscribed first, dumped second: no change falls between the two.
    let mut sock = NlSocket::open(netlink_sys::protocols::NETLINK_ROUTE)?;
    let links = sock.dump(NetlinkMessage::from(RouteNetlinkMessage::GetLink(
        LinkMessage::default(),
    )))?;
    let mut initial = Vec::new();
    let mut present = BTreeSet::new();
    for m in &links {
        if let RouteNetlinkMessage::NewLink(l) = m
            && let Some(n) = link_name(l)
        {
            present.insert(n);
        }
        initial.extend(tracker.message(m));
    }
    initial.extend(tracker.missing_from(&present));
    std::thread::Builder::new()
        .name("kac-track-links".into())
        .spawn(move || {
            for c in initial {
                if tx.blocking_send(c).is_err() {
                    return;
                }
            }
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = match events.recv(&mut &mut buf[..], 0) {
                    Ok(n) => n,
                    Err(e) if e.raw_os_error() == Some(105) => {
                        // ENOBUFS: notifications lost; re-read every link.
                        let Ok(links) = sock.dump(NetlinkMessage::from(
                            RouteNetlinkMessage::GetLink(LinkMessage::default()),
                        )) else {
                            continue;
                        };
                        let mut present = BTreeSet::new();
                        let mut changes = Vec::new();
                        for m in &links {
                            if let RouteNetlinkMessage::NewLink(l) = m
                                && let Some(n) = link_name(l)
                            {
                                present.insert(n);
                            }
                            changes.extend(tracker.message(m));
                        }
                        changes.extend(tracker.missing_from(&present));
                        for c in changes {
                            if tx.blocking_send(c).is_err() {
                                return;
                            }
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!("track_interface: link notifications stopped: {e}");
                        return;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let mut off = 0;
                while off + 16 <= n {
                    let len =
                        u32::from_ne_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]])
                            as usize;
                    if len < 16 || off + len > n {
                        break;
                    }
                    if let Ok(msg) =
                        NetlinkMessage::<RouteNetlinkMessage>::deserialize(&buf[off..off + len])
                        && let netlink_packet_core::NetlinkPayload::InnerMessage(inner) =
                            msg.payload
                        && let Some(c) = tracker.message(&inner)
                        && tx.blocking_send(c).is_err()
                    {
                        return;
                    }
                    off += (len + 3) & !3;
                }
            }
        })
        .map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(name: &str, flags: LinkFlags) -> LinkMessage {
        let mut l = LinkMessage::default();
        l.header.flags = flags;
        l.attributes.push(LinkAttribute::IfName(name.into()));
        l
    }

    #[test]
    fn up_needs_both_up_and_running() {
        assert!(link_is_up(LinkFlags::Up | LinkFlags::Running));
        assert!(!link_is_up(LinkFlags::Up));
        assert!(!link_is_up(LinkFlags::Running));
        assert!(!link_is_up(LinkFlags::empty()));
    }

    #[test]
    fn only_tracked_links_and_only_changes_are_reported() {
        let mut t = LinkTracker::new(["eth0".to_string()]);
        let up = RouteNetlinkMessage::NewLink(link("eth0", LinkFlags::Up | LinkFlags::Running));
        let c = t.message(&up).expect("first observation");
        assert_eq!(c.value, TrackValue::Up(true));
        assert_eq!(t.message(&up), None);
        let other = RouteNetlinkMessage::NewLink(link("eth1", LinkFlags::empty()));
        assert_eq!(t.message(&other), None);
        let down = RouteNetlinkMessage::NewLink(link("eth0", LinkFlags::Up));
        assert_eq!(
            t.message(&down).map(|c| c.value),
            Some(TrackValue::Up(false))
        );
        let gone = RouteNetlinkMessage::DelLink(link("eth0", LinkFlags::empty()));
        assert_eq!(t.message(&gone), None, "already down");
    }

    #[test]
    fn tracked_links_missing_from_a_dump_are_down() {
        let mut t = LinkTracker::new(["eth0".to_string(), "eth9".to_string()]);
        t.observe("eth0", true);
        let present: BTreeSet<String> = ["eth0".to_string()].into();
        let changes = t.missing_from(&present);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].name, "eth9");
        assert_eq!(changes[0].value, TrackValue::Up(false));
    }
}
