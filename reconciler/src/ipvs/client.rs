//! An IPVS client over generic netlink: resolve the family, dump services and destinations,
//! read timeouts, and encode the IPVS [`Op`]s (new/edit/delete service and destination, set
//! timeouts) for the pipelined socket.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use netlink_packet_core::NetlinkMessage;
use netlink_packet_generic::GenlMessage;
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};

use super::msg::{DaemonAttr, DestAttr, IpvsAttr, IpvsMessage, SvcAttr, cmd};
use crate::kernel::KernelError;
use crate::kernel::netlink::socket::NlSocket;
use crate::model::*;
use crate::op::Op;
use crate::syncd::{SyncDaemon, SyncState};

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const NETLINK_GENERIC: isize = 16;
const ENOENT: i32 = 2;

type Msg = NetlinkMessage<GenlMessage<IpvsMessage>>;

/// A connection to the kernel's IPVS.
pub struct IpvsClient {
    sock: NlSocket,
    family: u16,
}

fn af(v6: bool) -> u16 {
    if v6 { AF_INET6 } else { AF_INET }
}

fn inet_addr(a: IpAddr) -> [u8; 16] {
    let mut b = [0u8; 16];
    match a {
        IpAddr::V4(x) => b[..4].copy_from_slice(&x.octets()),
        IpAddr::V6(x) => b = x.octets(),
    }
    b
}

fn from_inet(b: &[u8; 16], af: u16) -> IpAddr {
    if af == AF_INET6 {
        IpAddr::V6(Ipv6Addr::from(*b))
    } else {
        IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    }
}

/// The attributes naming a service.
fn key_attrs(k: &ServiceKey) -> Vec<SvcAttr> {
    match *k {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => vec![
            SvcAttr::Af(af(addr.is_ipv6())),
            SvcAttr::Protocol(protocol),
            SvcAttr::Addr(inet_addr(addr)),
            SvcAttr::Port(port),
        ],
        ServiceKey::Fwmark { mark, v6 } => vec![SvcAttr::Af(af(v6)), SvcAttr::Fwmark(mark)],
    }
}

fn netmask_bytes(k: &ServiceKey, m: u32) -> [u8; 4] {
    if k.is_v6() {
        m.to_ne_bytes()
    } else {
        m.to_be_bytes()
    }
}

fn service_attrs(k: &ServiceKey, a: &ServiceAttrs) -> Vec<SvcAttr> {
    let mut v = key_attrs(k);
    v.push(SvcAttr::SchedName(a.scheduler.clone()));
    v.push(SvcAttr::Flags(a.flags, u32::MAX));
    v.push(SvcAttr::Timeout(a.timeout));
    v.push(SvcAttr::Netmask(netmask_bytes(k, a.netmask)));
    if let Some(pe) = &a.pe_name {
        v.push(SvcAttr::PeName(pe.clone()));
    }
    v
}

fn dest_attrs(d: &SocketAddr, a: Option<&DestAttrs>) -> Vec<DestAttr> {
    let mut v = vec![
        DestAttr::Addr(inet_addr(d.ip())),
        DestAttr::Port(d.port()),
        DestAttr::AddrFamily(af(d.is_ipv6())),
    ];
    if let Some(a) = a {
        v.push(DestAttr::FwdMethod(a.fwd));
        v.push(DestAttr::Weight(a.weight as u32));
        v.push(DestAttr::UThresh(a.u_threshold));
        v.push(DestAttr::LThresh(a.l_threshold));
        if a.fwd == fwd::TUNNEL {
            v.push(DestAttr::TunType(a.tun_type));
            v.push(DestAttr::TunPort(a.tun_port));
            v.push(DestAttr::TunFlags(a.tun_flags));
        }
    }
    v
}

fn decode_service(attrs: &[SvcAttr]) -> Option<Service> {
    let (mut family, mut protocol, mut addr, mut port, mut mark) = (AF_INET, 0, [0u8; 16], 0, 0);
    let mut a = ServiceAttrs {
        scheduler: String::new(),
        flags: 0,
        timeout: 0,
        netmask: 0,
        pe_name: None,
    };
    let mut netmask = [0u8; 4];
    for x in attrs {
        match x {
            SvcAttr::Af(v) => family = *v,
            SvcAttr::Protocol(v) => protocol = *v,
            SvcAttr::Addr(v) => addr = *v,
            SvcAttr::Port(v) => port = *v,
            SvcAttr::Fwmark(v) => mark = *v,
            SvcAttr::SchedName(s) => a.scheduler = s.clone(),
            SvcAttr::Flags(f, _) => a.flags = f & svc_flags::MANAGED,
            SvcAttr::Timeout(t) => a.timeout = *t,
            SvcAttr::Netmask(m) => netmask = *m,
            SvcAttr::PeName(p) => a.pe_name = Some(p.clone()).filter(|p| !p.is_empty()),
            SvcAttr::Other(_) => {}
        }
    }
    let key = if mark != 0 {
        ServiceKey::Fwmark {
            mark,
            v6: family == AF_INET6,
        }
    } else {
        ServiceKey::Addr {
            protocol,
            addr: from_inet(&addr, family),
            port,
        }
    };
    a.netmask = if key.is_v6() {
        u32::from_ne_bytes(netmask)
    } else {
        u32::from_be_bytes(netmask)
    };
    Some(Service {
        key,
        attrs: a,
        dests: BTreeMap::new(),
    })
}

fn decode_dest(attrs: &[DestAttr], service_af: u16) -> Option<(SocketAddr, DestAttrs)> {
    let (mut family, mut addr, mut port) = (service_af, None, 0);
    let mut a = DestAttrs::default();
    for x in attrs {
        match x {
            DestAttr::Addr(v) => addr = Some(*v),
            DestAttr::Port(p) => port = *p,
            DestAttr::AddrFamily(f) => family = *f,
            DestAttr::FwdMethod(f) => a.fwd = f & 7,
            DestAttr::Weight(w) => a.weight = *w as i32,
            DestAttr::UThresh(t) => a.u_threshold = *t,
            DestAttr::LThresh(t) => a.l_threshold = *t,
            DestAttr::TunType(t) => a.tun_type = *t,
            DestAttr::TunPort(p) => a.tun_port = *p,
            DestAttr::TunFlags(f) => a.tun_flags = *f,
            DestAttr::Other(_) => {}
        }
    }
    Some((SocketAddr::new(from_inet(&addr?, family), port), a))
}

impl IpvsClient {
    /// Opens a generic netlink socket and resolves the IPVS family ([`KernelError::NoIpvs`]
    /// when the kernel has none; asking loads the module where modprobe can).
    pub fn connect() -> Result<IpvsClient, KernelError> {
        let mut sock = NlSocket::open(NETLINK_GENERIC)?;
        let ask = GenlMessage::from_payload(GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName("IPVS".into())],
        });
        let replies = match sock.call(NetlinkMessage::from(ask)) {
            Ok(r) => r,
            Err(KernelError::Rejected { errno: ENOENT, .. }) => {
                return Err(KernelError::NoIpvs("no IPVS generic netlink family".into()));
            }
            Err(e) => return Err(e),
        };
        let family = replies
            .iter()
            .flat_map(|r| r.payload.nlas.iter())
            .find_map(|a| match a {
                GenlCtrlAttrs::FamilyId(id) => Some(*id),
                _ => None,
            })
            .ok_or_else(|| KernelError::NoIpvs("the family has no id".into()))?;
        Ok(IpvsClient { sock, family })
    }

    fn message(&self, cmd: u8, attrs: Vec<IpvsAttr>) -> Msg {
        message(self.family, cmd, attrs)
    }

    /// Every service with its destinations (one dump for the services, one per service for
    /// its destinations, like `ipvsadm -Ln`).
    pub fn services(&mut self) -> Result<BTreeMap<ServiceKey, Service>, KernelError> {
        let list = self.sock.dump(self.message(cmd::GET_SERVICE, vec![]))?;
        let mut out = BTreeMap::new();
        for m in list {
            for a in m.payload.attrs {
                if let IpvsAttr::Service(s) = a
                    && let Some(svc) = decode_service(&s)
                {
                    out.insert(svc.key, svc);
                }
            }
        }
        for svc in out.values_mut() {
            let ask = self.message(cmd::GET_DEST, vec![IpvsAttr::Service(key_attrs(&svc.key))]);
            let service_af = af(svc.key.is_v6());
            for m in self.sock.dump(ask)? {
                for a in m.payload.attrs {
                    if let IpvsAttr::Dest(d) = a
                        && let Some((k, v)) = decode_dest(&d, service_af)
                    {
                        svc.dests.insert(k, v);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The connection timeouts.
    pub fn timeouts(&mut self) -> Result<IpvsTimeouts, KernelError> {
        let replies = self.sock.call(self.message(cmd::GET_CONFIG, vec![]))?;
        let mut t = IpvsTimeouts::default();
        for m in replies {
            for a in m.payload.attrs {
                match a {
                    IpvsAttr::TimeoutTcp(v) => t.tcp = Some(v),
                    IpvsAttr::TimeoutTcpFin(v) => t.tcp_fin = Some(v),
                    IpvsAttr::TimeoutUdp(v) => t.udp = Some(v),
                    _ => {}
                }
            }
        }
        Ok(t)
    }

    /// The running connection sync daemons (`ipvsadm -L --daemon`), as the kernel reports
    /// them (every option set to the value it uses).
    pub fn sync_daemons(&mut self) -> Result<Vec<SyncDaemon>, KernelError> {
        let mut out = Vec::new();
        for m in self.sock.dump(self.message(cmd::GET_DAEMON, vec![]))? {
            for a in m.payload.attrs {
                if let IpvsAttr::Daemon(d) = a
                    && let Some(d) = decode_daemon(&d)
                {
                    out.push(d);
                }
            }
        }
        Ok(out)
    }

    /// Deletes every service (`ipvsadm -C`).
    pub fn flush(&mut self) -> Result<(), KernelError> {
        let m = self.message(cmd::FLUSH, vec![]);
        self.sock
            .requests(1, |_| Ok(m.clone()))
            .pop()
            .unwrap_or(Ok(()))
    }

    /// The request for an IPVS op.
    pub fn encode(&self, op: &Op) -> Result<Msg, KernelError> {
        encode(self.family, op)
    }

    /// Applies IPVS ops, pipelined (see [`NlSocket::requests`]).
    pub fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), KernelError>> {
        let family = self.family;
        self.sock.requests(ops.len(), |i| encode(family, &ops[i]))
    }
}

/// The attributes that start `d` (the options it leaves unset are left to the kernel).
fn daemon_attrs(d: &SyncDaemon) -> Vec<DaemonAttr> {
    let mut v = vec![
        DaemonAttr::State(d.state.kernel_value()),
        DaemonAttr::McastIfn(d.interface.clone()),
        DaemonAttr::SyncId(u32::from(d.sync_id)),
    ];
    v.extend(d.maxlen.map(DaemonAttr::SyncMaxlen));
    v.extend(d.port.map(DaemonAttr::McastPort));
    v.extend(d.ttl.map(DaemonAttr::McastTtl));
    v.extend(d.group.map(|g| match g {
        IpAddr::V4(a) => DaemonAttr::McastGroup(a.octets()),
        IpAddr::V6(a) => DaemonAttr::McastGroup6(a.octets()),
    }));
    v
}

fn decode_daemon(attrs: &[DaemonAttr]) -> Option<SyncDaemon> {
    let mut state = None;
    let mut d = SyncDaemon {
        state: SyncState::Master,
        interface: String::new(),
        sync_id: 0,
        maxlen: None,
        port: None,
        ttl: None,
        group: None,
    };
    for a in attrs {
        match a {
            DaemonAttr::State(s) => state = SyncState::from_kernel(*s),
            DaemonAttr::McastIfn(i) => d.interface = i.clone(),
            DaemonAttr::SyncId(i) => d.sync_id = u8::try_from(*i).unwrap_or(u8::MAX),
            DaemonAttr::SyncMaxlen(m) => d.maxlen = Some(*m),
            DaemonAttr::McastPort(p) => d.port = Some(*p),
            DaemonAttr::McastTtl(t) => d.ttl = Some(*t),
            DaemonAttr::McastGroup(g) => d.group = Some(IpAddr::V4(Ipv4Addr::from(*g))),
            DaemonAttr::McastGroup6(g) => d.group = Some(IpAddr::V6(Ipv6Addr::from(*g))),
            DaemonAttr::Other(_) => {}
        }
    }
    d.state = state?;
    Some(d)
}

fn message(family: u16, cmd: u8, attrs: Vec<IpvsAttr>) -> Msg {
    let mut g = GenlMessage::from_payload(IpvsMessage { cmd, attrs });
    g.set_resolved_family_id(family);
    NetlinkMessage::from(g)
}

/// The request for an IPVS op.
fn encode(family: u16, op: &Op) -> Result<Msg, KernelError> {
    let svc = |k: &ServiceKey| IpvsAttr::Service(key_attrs(k));
    let (c, attrs) = match op {
        Op::AddService(s) => (
            cmd::NEW_SERVICE,
            vec![IpvsAttr::Service(service_attrs(&s.key, &s.attrs))],
        ),
        Op::EditService { key, to, .. } => (
            cmd::SET_SERVICE,
            vec![IpvsAttr::Service(service_attrs(key, to))],
        ),
        Op::DelService(s) => (cmd::DEL_SERVICE, vec![svc(&s.key)]),
        Op::AddDest {
            service,
            dest,
            attrs,
        } => (
            cmd::NEW_DEST,
            vec![svc(service), IpvsAttr::Dest(dest_attrs(dest, Some(attrs)))],
        ),
        Op::EditDest {
            service, dest, to, ..
        } => (
            cmd::SET_DEST,
            vec![svc(service), IpvsAttr::Dest(dest_attrs(dest, Some(to)))],
        ),
        Op::DelDest { service, dest, .. } => (
            cmd::DEL_DEST,
            vec![svc(service), IpvsAttr::Dest(dest_attrs(dest, None))],
        ),
        Op::SetTimeouts { to, .. } => (
            cmd::SET_CONFIG,
            vec![
                IpvsAttr::TimeoutTcp(to.tcp.unwrap_or(0)),
                IpvsAttr::TimeoutTcpFin(to.tcp_fin.unwrap_or(0)),
                IpvsAttr::TimeoutUdp(to.udp.unwrap_or(0)),
            ],
        ),
        Op::StartSyncDaemon(d) => (cmd::NEW_DAEMON, vec![IpvsAttr::Daemon(daemon_attrs(d))]),
        // The kernel stops a daemon by its state alone.
        Op::StopSyncDaemon(d) => (
            cmd::DEL_DAEMON,
            vec![IpvsAttr::Daemon(vec![DaemonAttr::State(
                d.state.kernel_value(),
            )])],
        ),
        _ => return Err(KernelError::Io(format!("`{op}` is not an IPVS op"))),
    };
    Ok(message(family, c, attrs))
}
