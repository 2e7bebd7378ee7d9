//! The rtnetlink monitor: a netlink socket subscribed to the kernel's notifications of link,
//! address, route and rule changes (IPv4 and IPv6), on its own thread. Every notification
//! (or a lost burst: ENOBUFS) is one [`Event::KernelChanged`]; the loop debounces them into
//! a drift check, which diffs the owned objects against the plan and puts back what someone
//! changed. The notifications say nothing about ownership; the diff does. IPVS has no
//! notifications and is re-checked on a timer instead.
//!
//! The monitor's channel holds one message: a change already pending covers the next ones.

use tokio::sync::mpsc;

/// rtnetlink multicast groups (`RTNLGRP_*`, linux/rtnetlink.h).
const GROUPS: [u32; 7] = [
    1,  // RTNLGRP_LINK
    5,  // RTNLGRP_IPV4_IFADDR
    7,  // RTNLGRP_IPV4_ROUTE
    8,  // RTNLGRP_IPV4_RULE
    9,  // RTNLGRP_IPV6_IFADDR
    11, // RTNLGRP_IPV6_ROUTE
    19, // RTNLGRP_IPV6_RULE
];

/// Subscribes (in the calling thread's network namespace) and starts the monitor thread;
/// changes arrive on the returned channel (the loop turns them into
/// [`super::event::Event::KernelChanged`]).
pub fn spawn() -> std::io::Result<mpsc::Receiver<()>> {
    let (events, rx) = mpsc::channel(1);
    let mut socket = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_ROUTE)?;
    socket.bind_auto()?;
    for g in GROUPS {
        socket.add_membership(g)?;
    }
    let _ = socket.set_rx_buf_sz(1 << 20);
    std::thread::Builder::new()
        .name("kac-rtnl-monitor".into())
        .spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let got = socket.recv(&mut &mut buf[..], 0);
                if let Err(e) = &got
                    && e.raw_os_error() != Some(105)
                {
                    // ENOBUFS (105) means notifications were lost: still a change.
                    tracing::warn!(
                        "rtnetlink monitor: {e}; drift is found by the full checks only"
                    );
                    return;
                }
                // A full channel already holds a pending change.
                match events.try_send(()) {
                    Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
                    Err(mpsc::error::TrySendError::Closed(_)) => return,
                }
            }
        })?;
    Ok(rx)
}
