//! The VRRP engine's sockets: one raw IP protocol 112 socket per family that receives every
//! advert (with its interface, destination and TTL / hop limit) and sends ours with an
//! explicit source address and interface; a packet socket per interface for gratuitous ARP;
//! one raw ICMPv6 socket for unsolicited neighbour advertisements. Plus the interfaces'
//! indexes, MAC addresses, state and primary addresses, read with `getifaddrs`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use nix::libc;
use nix::net::if_::InterfaceFlags;
use nix::sys::socket::{
    self, ControlMessage, ControlMessageOwned, LinkAddr, MsgFlags, SockaddrIn, SockaddrIn6,
    SockaddrStorage, sockopt,
};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
use tokio::sync::mpsc;

use crate::daemon::event::Event;
use crate::vrrp::codec::{self, TTL};
use crate::vrrp::garp;

/// An advert as received, before it is matched to an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The interface it arrived on.
    pub ifindex: u32,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// TTL / hop limit.
    pub ttl: u8,
    /// The VRRP message.
    pub payload: Vec<u8>,
}

/// One interface as the engine needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interface {
    /// Index.
    pub index: u32,
    /// MAC address.
    pub mac: [u8; 6],
    /// Up and running (carrier).
    pub running: bool,
    /// The first IPv4 address (the primary).
    pub primary_v4: Option<Ipv4Addr>,
    /// The first IPv6 link-local address.
    pub link_local: Option<Ipv6Addr>,
    /// Every address on it, both families (`track_src_ip`).
    pub addresses: Vec<IpAddr>,
    /// The link (to bind a packet socket to).
    link: Option<LinkAddr>,
}

/// The host's interfaces by name.
pub fn interfaces() -> BTreeMap<String, Interface> {
    let mut out: BTreeMap<String, Interface> = BTreeMap::new();
    let Ok(list) = nix::ifaddrs::getifaddrs() else {
        return out;
    };
    for a in list {
        let e = out.entry(a.interface_name.clone()).or_default();
        if a.flags.contains(InterfaceFlags::IFF_UP) && a.flags.contains(InterfaceFlags::IFF_RUNNING)
        {
            e.running = true;
        }
        let Some(addr) = a.address else { continue };
        if let Some(l) = addr.as_link_addr() {
            e.index = l.ifindex() as u32;
            if let Some(mac) = l.addr() {
                e.mac = mac;
            }
            e.link = Some(*l);
        } else if let Some(v4) = addr.as_sockaddr_in() {
            if e.primary_v4.is_none() {
                e.primary_v4 = Some(v4.ip());
            }
            e.addresses.push(IpAddr::V4(v4.ip()));
        } else if let Some(v6) = addr.as_sockaddr_in6() {
            let ip = v6.ip();
            if e.link_local.is_none() && ip.is_unicast_link_local() {
                e.link_local = Some(ip);
            }
            e.addresses.push(IpAddr::V6(ip));
        }
    }
    out
}

/// Every address on the host's interfaces (for `ha_suspend`: a virtual server's checks run
/// while its address is local).
pub fn host_addresses() -> BTreeSet<IpAddr> {
    let Ok(list) = nix::ifaddrs::getifaddrs() else {
        return BTreeSet::new();
    };
    list.filter_map(|a| {
        let addr = a.address?;
        if let Some(v4) = addr.as_sockaddr_in() {
            Some(IpAddr::V4(v4.ip()))
        } else {
            addr.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
        }
    })
    .collect()
}

/// Why a socket could not be opened or used.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {err}")]
pub struct NetError {
    what: String,
    err: std::io::Error,
}

fn ctx<T>(what: impl Into<String>, r: std::io::Result<T>) -> Result<T, NetError> {
    r.map_err(|err| NetError {
        what: what.into(),
        err,
    })
}

fn nix_ctx<T>(what: impl Into<String>, r: nix::Result<T>) -> Result<T, NetError> {
    ctx(what, r.map_err(std::io::Error::from))
}

/// The engine's sockets.
#[derive(Debug)]
pub struct Net {
    v4: Arc<Socket>,
    v6: Option<Arc<Socket>>,
    icmp6: Option<Socket>,
    joined: BTreeSet<(bool, u32, IpAddr)>,
    packet: BTreeMap<u32, Arc<OwnedFd>>,
}

impl Net {
    /// Opens the sockets and starts the receiving tasks (their adverts come to the loop as
    /// [`Event::Vrrp`]). Needs `CAP_NET_RAW`.
    pub fn open(events: mpsc::Sender<Event>) -> Result<Net, NetError> {
        let v4 = ctx(
            "cannot open a raw IPv4 socket for VRRP (protocol 112)",
            Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(112))),
        )?;
        ctx("IP_HDRINCL", v4.set_header_included_v4(true))?;
        ctx("IP_MULTICAST_LOOP", v4.set_multicast_loop_v4(false))?;
        nix_ctx(
            "IP_PKTINFO",
            socket::setsockopt(&v4, sockopt::Ipv4PacketInfo, &true),
        )?;
        let v4 = Arc::new(v4);
        spawn_receiver(v4.clone(), false, events.clone())?;
        // IPv6 may be disabled on the host: VRRP over IPv6 is then unavailable.
        let v6 = match open_v6() {
            Ok(s) => {
                let s = Arc::new(s);
                spawn_receiver(s.clone(), true, events)?;
                Some(s)
            }
            Err(e) => {
                tracing::warn!("VRRP over IPv6 unavailable: {e}");
                None
            }
        };
        let icmp6 = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))
            .and_then(|s| {
                s.set_multicast_hops_v6(255)?;
                s.set_unicast_hops_v6(255)?;
                s.set_nonblocking(true)?;
                Ok(s)
            })
            .ok();
        Ok(Net {
            v4,
            v6,
            icmp6,
            joined: BTreeSet::new(),
            packet: BTreeMap::new(),
        })
    }

    /// Joins `group` on interface `ifindex` (once).
    pub fn join(&mut self, group: IpAddr, ifindex: u32) -> Result<(), NetError> {
        let key = (group.is_ipv6(), ifindex, group);
        if self.joined.contains(&key) {
            return Ok(());
        }
        match group {
            IpAddr::V4(g) => ctx(
                format!("cannot join {g} on interface {ifindex}"),
                self.v4
                    .join_multicast_v4_n(&g, &InterfaceIndexOrAddress::Index(ifindex)),
            )?,
            IpAddr::V6(g) => {
                let s = self.v6.as_ref().ok_or_else(|| NetError {
                    what: "VRRP over IPv6".into(),
                    err: std::io::Error::other("IPv6 is unavailable"),
                })?;
                ctx(
                    format!("cannot join {g} on interface {ifindex}"),
                    s.join_multicast_v6(&g, ifindex),
                )?;
            }
        }
        self.joined.insert(key);
        Ok(())
    }

    /// Sends one VRRP message from `src` to `dst` out of `ifindex`, with TTL / hop limit
    /// `ttl`.
    pub fn send(
        &self,
        msg: &[u8],
        src: IpAddr,
        dst: IpAddr,
        ifindex: u32,
        ttl: u8,
    ) -> Result<(), NetError> {
        match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let header = codec::ipv4_header(s, d, ttl, msg.len());
                let iov = [IoSlice::new(&header), IoSlice::new(msg)];
                let info = libc::in_pktinfo {
                    ipi_ifindex: ifindex as i32,
                    ipi_spec_dst: libc::in_addr {
                        s_addr: u32::from(s).to_be(),
                    },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                let cmsg = [ControlMessage::Ipv4PacketInfo(&info)];
                let to = SockaddrIn::from(SocketAddrV4::new(d, 0));
                let cmsgs: &[ControlMessage] = if ifindex == 0 { &[] } else { &cmsg };
                nix_ctx(
                    format!("cannot send a VRRP advert from {s} to {d}"),
                    socket::sendmsg(
                        self.v4.as_raw_fd(),
                        &iov,
                        cmsgs,
                        MsgFlags::empty(),
                        Some(&to),
                    ),
                )?;
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let sock = self.v6.as_ref().ok_or_else(|| NetError {
                    what: "VRRP over IPv6".into(),
                    err: std::io::Error::other("IPv6 is unavailable"),
                })?;
                send_v6(sock, msg, s, d, ifindex, ttl)?;
            }
            _ => {
                return Err(NetError {
                    what: format!("advert from {src} to {dst}"),
                    err: std::io::Error::other("mixed address families"),
                });
            }
        }
        Ok(())
    }

    /// Sends `repeat` gratuitous ARPs (IPv4) or unsolicited NAs (IPv6) for each of `addrs`
    /// from interface `iface`, `interval_v4` / `interval_v6` apart (in the background).
    pub fn garp(
        &mut self,
        iface: &Interface,
        mac: [u8; 6],
        addrs: &[IpAddr],
        repeat: u32,
        interval_v4: std::time::Duration,
        interval_v6: std::time::Duration,
    ) {
        let v4: Vec<Vec<u8>> = addrs
            .iter()
            .filter_map(|a| match a {
                IpAddr::V4(a) => Some(garp::arp_frame(mac, *a)),
                IpAddr::V6(_) => None,
            })
            .collect();
        let v6: Vec<Vec<u8>> = addrs
            .iter()
            .filter_map(|a| match a {
                IpAddr::V6(a) => Some(garp::na_message(mac, *a)),
                IpAddr::V4(_) => None,
            })
            .collect();
        if !v4.is_empty()
            && let Some(fd) = self.packet_socket(iface)
        {
            tokio::spawn(async move {
                for i in 0..repeat.max(1) {
                    if i > 0 && !interval_v4.is_zero() {
                        tokio::time::sleep(interval_v4).await;
                    }
                    for f in &v4 {
                        if let Err(e) = nix::unistd::write(&*fd, f) {
                            tracing::debug!("gratuitous ARP not sent: {e}");
                        }
                    }
                }
            });
        }
        if !v6.is_empty()
            && let (Some(s), Some(src)) = (&self.icmp6, iface.link_local)
            && let Ok(s) = s.try_clone()
        {
            let ifindex = iface.index;
            tokio::spawn(async move {
                for i in 0..repeat.max(1) {
                    if i > 0 && !interval_v6.is_zero() {
                        tokio::time::sleep(interval_v6).await;
                    }
                    for m in &v6 {
                        if let Err(e) = send_v6(&s, m, src, garp::ALL_NODES, ifindex, TTL) {
                            tracing::debug!("unsolicited NA not sent: {e}");
                        }
                    }
                }
            });
        }
    }

    fn packet_socket(&mut self, iface: &Interface) -> Option<Arc<OwnedFd>> {
        if let Some(fd) = self.packet.get(&iface.index) {
            return Some(fd.clone());
        }
        let link = iface.link?;
        let fd = socket::socket(
            socket::AddressFamily::Packet,
            socket::SockType::Raw,
            socket::SockFlag::SOCK_CLOEXEC | socket::SockFlag::SOCK_NONBLOCK,
            None,
        )
        .and_then(|fd| socket::bind(fd.as_raw_fd(), &link).map(|()| fd));
        match fd {
            Ok(fd) => {
                let fd = Arc::new(fd);
                self.packet.insert(iface.index, fd.clone());
                Some(fd)
            }
            Err(e) => {
                tracing::warn!("cannot open a packet socket for gratuitous ARP: {e}");
                None
            }
        }
    }

    /// Forgets packet sockets of interfaces that are gone (their index may be reused).
    pub fn forget_interfaces(&mut self, live: &BTreeMap<String, Interface>) {
        let idx: BTreeSet<u32> = live.values().map(|i| i.index).collect();
        self.packet.retain(|k, _| idx.contains(k));
        self.joined.retain(|(_, k, _)| idx.contains(k));
    }
}

fn open_v6() -> Result<Socket, NetError> {
    let s = ctx(
        "cannot open a raw IPv6 socket for VRRP (protocol 112)",
        Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(112))),
    )?;
    ctx("IPV6_MULTICAST_LOOP", s.set_multicast_loop_v6(false))?;
    ctx("IPV6_MULTICAST_HOPS", s.set_multicast_hops_v6(255))?;
    ctx("IPV6_UNICAST_HOPS", s.set_unicast_hops_v6(255))?;
    nix_ctx(
        "IPV6_RECVPKTINFO",
        socket::setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true),
    )?;
    nix_ctx(
        "IPV6_RECVHOPLIMIT",
        socket::setsockopt(&s, sockopt::Ipv6RecvHopLimit, &true),
    )?;
    Ok(s)
}

fn send_v6(
    sock: &Socket,
    msg: &[u8],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    ifindex: u32,
    hops: u8,
) -> Result<(), NetError> {
    let iov = [IoSlice::new(msg)];
    let info = libc::in6_pktinfo {
        ipi6_addr: libc::in6_addr {
            s6_addr: src.octets(),
        },
        ipi6_ifindex: ifindex,
    };
    let hops = libc::c_int::from(hops);
    let cmsg = [
        ControlMessage::Ipv6PacketInfo(&info),
        ControlMessage::Ipv6HopLimit(&hops),
    ];
    let scope = if dst.is_multicast() || dst.is_unicast_link_local() {
        ifindex
    } else {
        0
    };
    let to = SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, scope));
    nix_ctx(
        format!("cannot send from {src} to {dst}"),
        socket::sendmsg(sock.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), Some(&to)),
    )?;
    Ok(())
}

/// Starts a thread that reads adverts from `sock` (blocking) until the loop is gone.
fn spawn_receiver(
    sock: Arc<Socket>,
    v6: bool,
    events: mpsc::Sender<Event>,
) -> Result<(), NetError> {
    let name = if v6 { "kac-vrrp-rx6" } else { "kac-vrrp-rx4" };
    let spawned = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let mut buf = vec![0u8; 65536];
            loop {
                match read_one(&sock, &mut buf, v6) {
                    Ok(Some(r)) => {
                        if events.blocking_send(Event::Vrrp(Box::new(r))).is_err() {
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        tracing::debug!("VRRP receive: {e}");
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                }
            }
        });
    ctx("cannot start the VRRP receiver", spawned.map(|_| ()))
}

fn read_one(s: &Socket, buf: &mut [u8], v6: bool) -> std::io::Result<Option<Received>> {
    let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int, libc::in_pktinfo);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = socket::recvmsg::<SockaddrStorage>(
        s.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::empty(),
    )
    .map_err(std::io::Error::from)?;
    let len = msg.bytes;
    let mut ifindex = 0u32;
    let mut dst6 = None;
    let mut hops = None;
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            match c {
                ControlMessageOwned::Ipv4PacketInfo(i) => ifindex = i.ipi_ifindex as u32,
                ControlMessageOwned::Ipv6PacketInfo(i) => {
                    ifindex = i.ipi6_ifindex;
                    dst6 = Some(Ipv6Addr::from(i.ipi6_addr.s6_addr));
                }
                ControlMessageOwned::Ipv6HopLimit(h) => hops = u8::try_from(h).ok(),
                _ => {}
            }
        }
    }
    let src6 = msg
        .address
        .as_ref()
        .and_then(|a| a.as_sockaddr_in6().map(|a| a.ip()));
    let data = &buf[..len];
    if v6 {
        let (Some(src), Some(dst), Some(ttl)) = (src6, dst6, hops) else {
            return Ok(None);
        };
        return Ok(Some(Received {
            ifindex,
            src: IpAddr::V6(src),
            dst: IpAddr::V6(dst),
            ttl,
            payload: data.to_vec(),
        }));
    }
    match codec::parse_ipv4(data) {
        Ok(p) => Ok(Some(Received {
            ifindex,
            src: IpAddr::V4(p.src),
            dst: IpAddr::V4(p.dst),
            ttl: p.ttl,
            payload: p.payload.to_vec(),
        })),
        Err(e) => {
            tracing::debug!("VRRP receive: {e}");
            Ok(None)
        }
    }
}
