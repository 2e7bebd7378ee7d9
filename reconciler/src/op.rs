//! [`Op`]: the reconciler's unit of change, as data. Each op is exactly one kernel request, carries
//! what is needed to undo it ([`Op::inverse`]), and prints like iproute2/ipvsadm:
//!
//! ```text
//! + addr 10.0.0.5/24 dev eth0
//! ~ route 10.9.0.0/16 via 10.0.0.1 dev eth0 mtu 1400
//! - rule pref 100 from 10.0.0.0/8 lookup 100
//! + service tcp 10.0.0.1:80 scheduler wrr
//! ~ dest tcp 10.0.0.1:80 -> 10.1.0.7:80 weight 0
//! ```
//!
//! `+` adds, `~` changes in place, `-` removes.

use std::fmt;
use std::net::SocketAddr;

use crate::model::*;
use crate::syncd::SyncDaemon;

/// One change to the kernel.
///
/// Routes, rules and service attributes are boxed: they are large and rare, and every op is
/// as large as the largest variant (a first apply of a large plan holds hundreds of thousands
/// of destination ops).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Create a macvlan link (set up).
    AddLink(MacvlanLink),
    /// Delete a link.
    DelLink(MacvlanLink),
    /// Add an address.
    AddAddress(Address),
    /// Delete an address.
    DelAddress(Address),
    /// Add a route.
    AddRoute(Box<Route>),
    /// Replace a route in place (same key).
    ReplaceRoute {
        /// Before.
        from: Box<Route>,
        /// After.
        to: Box<Route>,
    },
    /// Delete a route.
    DelRoute(Box<Route>),
    /// Add a rule.
    AddRule(Box<Rule>),
    /// Delete a rule.
    DelRule(Box<Rule>),
    /// Add an IPVS service (without its destinations: each is an [`Op::AddDest`]).
    AddService(Service),
    /// Edit an IPVS service's attributes in place.
    EditService {
        /// The service.
        key: ServiceKey,
        /// Before.
        from: Box<ServiceAttrs>,
        /// After.
        to: Box<ServiceAttrs>,
    },
    /// Delete an IPVS service (the kernel deletes its destinations; they are kept here so
    /// that the op can be undone).
    DelService(Service),
    /// Add a destination to a service.
    AddDest {
        /// The service.
        service: ServiceKey,
        /// Address and port.
        dest: SocketAddr,
        /// Attributes.
        attrs: DestAttrs,
    },
    /// Edit a destination in place.
    EditDest {
        /// The service.
        service: ServiceKey,
        /// Address and port.
        dest: SocketAddr,
        /// Before.
        from: DestAttrs,
        /// After.
        to: DestAttrs,
    },
    /// Delete a destination.
    DelDest {
        /// The service.
        service: ServiceKey,
        /// Address and port.
        dest: SocketAddr,
        /// Attributes (to undo).
        attrs: DestAttrs,
    },
    /// Start an IPVS connection sync daemon.
    StartSyncDaemon(SyncDaemon),
    /// Stop the IPVS connection sync daemon of a state (kept whole to undo).
    StopSyncDaemon(SyncDaemon),
    /// Set the IPVS connection timeouts.
    SetTimeouts {
        /// Before (all known).
        from: IpvsTimeouts,
        /// After (`None` = unchanged).
        to: IpvsTimeouts,
    },
}

/// Which kernel interface an op goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// rtnetlink: links, addresses, routes, rules.
    Route,
    /// IPVS generic netlink.
    Ipvs,
}

impl Op {
    /// The kernel interface of this op.
    pub fn channel(&self) -> Channel {
        match self {
            Op::AddLink(_)
            | Op::DelLink(_)
            | Op::AddAddress(_)
            | Op::DelAddress(_)
            | Op::AddRoute(_)
            | Op::ReplaceRoute { .. }
            | Op::DelRoute(_)
            | Op::AddRule(_)
            | Op::DelRule(_) => Channel::Route,
            _ => Channel::Ipvs,
        }
    }

    /// Whether the op removes something (traffic using it is disrupted).
    pub fn is_removal(&self) -> bool {
        matches!(
            self,
            Op::DelLink(_)
                | Op::DelAddress(_)
                | Op::DelRoute(_)
                | Op::DelRule(_)
                | Op::DelService(_)
                | Op::DelDest { .. }
                | Op::StopSyncDaemon(_)
        )
    }

    /// The ops that undo this one, in order.
    pub fn inverse(&self) -> Vec<Op> {
        match self {
            Op::AddLink(l) => vec![Op::DelLink(l.clone())],
            Op::DelLink(l) => vec![Op::AddLink(l.clone())],
            Op::AddAddress(a) => vec![Op::DelAddress(a.clone())],
            Op::DelAddress(a) => vec![Op::AddAddress(a.clone())],
            Op::AddRoute(r) => vec![Op::DelRoute(r.clone())],
            Op::DelRoute(r) => vec![Op::AddRoute(r.clone())],
            Op::ReplaceRoute { from, to } => vec![Op::ReplaceRoute {
                from: to.clone(),
                to: from.clone(),
            }],
            Op::AddRule(r) => vec![Op::DelRule(r.clone())],
            Op::DelRule(r) => vec![Op::AddRule(r.clone())],
            Op::AddService(s) => vec![Op::DelService(Service {
                dests: Default::default(),
                ..s.clone()
            })],
            Op::DelService(s) => {
                let mut v = vec![Op::AddService(s.clone())];
                v.extend(s.dests.iter().map(|(d, a)| Op::AddDest {
                    service: s.key,
                    dest: *d,
                    attrs: a.clone(),
                }));
                v
            }
            Op::EditService { key, from, to } => vec![Op::EditService {
                key: *key,
                from: to.clone(),
                to: from.clone(),
            }],
            Op::AddDest {
                service,
                dest,
                attrs,
            } => vec![Op::DelDest {
                service: *service,
                dest: *dest,
                attrs: attrs.clone(),
            }],
            Op::DelDest {
                service,
                dest,
                attrs,
            } => vec![Op::AddDest {
                service: *service,
                dest: *dest,
                attrs: attrs.clone(),
            }],
            Op::EditDest {
                service,
                dest,
                from,
                to,
            } => vec![Op::EditDest {
                service: *service,
                dest: *dest,
                from: to.clone(),
                to: from.clone(),
            }],
            Op::StartSyncDaemon(d) => vec![Op::StopSyncDaemon(d.clone())],
            Op::StopSyncDaemon(d) => vec![Op::StartSyncDaemon(d.clone())],
            Op::SetTimeouts { from, to } => vec![Op::SetTimeouts {
                from: IpvsTimeouts {
                    tcp: to.tcp.or(from.tcp),
                    tcp_fin: to.tcp_fin.or(from.tcp_fin),
                    udp: to.udp.or(from.udp),
                },
                to: *from,
            }],
        }
    }
}

fn service_attrs(f: &mut fmt::Formatter<'_>, key: &ServiceKey, a: &ServiceAttrs) -> fmt::Result {
    write!(f, " scheduler {}", a.scheduler)?;
    let flags = svc_flag_names(a.flags, &a.scheduler);
    if !flags.is_empty() {
        write!(f, " flags {}", flags.join(","))?;
    }
    if a.flags & svc_flags::PERSISTENT != 0 {
        write!(f, " persistent {}", a.timeout)?;
        let full = if key.is_v6() { 128 } else { u32::MAX };
        if a.netmask != full {
            write!(f, " netmask {}", netmask_text(key, a.netmask))?;
        }
    }
    if let Some(pe) = &a.pe_name {
        write!(f, " pe {pe}")?;
    }
    Ok(())
}

/// The changed attributes of a service, in their new values.
fn service_changes(
    f: &mut fmt::Formatter<'_>,
    key: &ServiceKey,
    from: &ServiceAttrs,
    to: &ServiceAttrs,
) -> fmt::Result {
    if from.scheduler != to.scheduler {
        write!(f, " scheduler {}", to.scheduler)?;
    }
    let mask = !svc_flags::PERSISTENT;
    if from.flags & mask != to.flags & mask {
        let flags = svc_flag_names(to.flags, &to.scheduler);
        let text = if flags.is_empty() {
            "none".to_string()
        } else {
            flags.join(",")
        };
        write!(f, " flags {text}")?;
    }
    let persistent = to.flags & svc_flags::PERSISTENT != 0;
    if from.flags & svc_flags::PERSISTENT != to.flags & svc_flags::PERSISTENT
        || from.timeout != to.timeout
    {
        if persistent {
            write!(f, " persistent {}", to.timeout)?;
        } else {
            f.write_str(" persistent off")?;
        }
    }
    if from.netmask != to.netmask {
        write!(f, " netmask {}", netmask_text(key, to.netmask))?;
    }
    if from.pe_name != to.pe_name {
        write!(f, " pe {}", to.pe_name.as_deref().unwrap_or("none"))?;
    }
    Ok(())
}

/// The tunnel of a tunnelled destination as `ipvsadm -Ln --tun-info` shows it (` ipip`,
/// ` gue:6080:+c`); nothing for other methods.
fn tunnel_text(a: &DestAttrs) -> String {
    if a.fwd & 7 == fwd::TUNNEL {
        format!(" {}", tun::text(a.tun_type, a.tun_port, a.tun_flags))
    } else {
        String::new()
    }
}

fn dest_attrs(f: &mut fmt::Formatter<'_>, a: &DestAttrs) -> fmt::Result {
    write!(
        f,
        " {}{} weight {}",
        fwd::name(a.fwd),
        tunnel_text(a),
        a.weight
    )?;
    if a.u_threshold != 0 {
        write!(f, " uthreshold {}", a.u_threshold)?;
    }
    if a.l_threshold != 0 {
        write!(f, " lthreshold {}", a.l_threshold)?;
    }
    Ok(())
}

fn dest_changes(f: &mut fmt::Formatter<'_>, from: &DestAttrs, to: &DestAttrs) -> fmt::Result {
    if from.fwd != to.fwd
        || (from.tun_type, from.tun_port, from.tun_flags)
            != (to.tun_type, to.tun_port, to.tun_flags)
    {
        write!(f, " {}{}", fwd::name(to.fwd), tunnel_text(to))?;
    }
    if from.weight != to.weight {
        write!(f, " weight {}", to.weight)?;
    }
    if from.u_threshold != to.u_threshold {
        write!(f, " uthreshold {}", to.u_threshold)?;
    }
    if from.l_threshold != to.l_threshold {
        write!(f, " lthreshold {}", to.l_threshold)?;
    }
    Ok(())
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::AddLink(l) => write!(f, "+ {l}"),
            Op::DelLink(l) => write!(f, "- {l}"),
            Op::AddAddress(a) => write!(f, "+ {a}"),
            Op::DelAddress(a) => write!(f, "- {a}"),
            Op::AddRoute(r) => write!(f, "+ {r}"),
            Op::ReplaceRoute { to, .. } => write!(f, "~ {to}"),
            Op::DelRoute(r) => write!(f, "- {r}"),
            Op::AddRule(r) => write!(f, "+ {r}"),
            Op::DelRule(r) => write!(f, "- {r}"),
            Op::AddService(s) => {
                write!(f, "+ service {}", s.key)?;
                service_attrs(f, &s.key, &s.attrs)
            }
            Op::EditService { key, from, to } => {
                write!(f, "~ service {key}")?;
                service_changes(f, key, from, to)
            }
            Op::DelService(s) => write!(f, "- service {}", s.key),
            Op::AddDest {
                service,
                dest,
                attrs,
            } => {
                write!(f, "+ dest {service} -> {dest}")?;
                dest_attrs(f, attrs)
            }
            Op::EditDest {
                service,
                dest,
                from,
                to,
            } => {
                write!(f, "~ dest {service} -> {dest}")?;
                dest_changes(f, from, to)
            }
            Op::DelDest { service, dest, .. } => write!(f, "- dest {service} -> {dest}"),
            Op::StartSyncDaemon(d) => write!(f, "+ {d}"),
            Op::StopSyncDaemon(d) => write!(f, "- {d}"),
            Op::SetTimeouts { to, .. } => write!(f, "~ {to}"),
        }
    }
}
