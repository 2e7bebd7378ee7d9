//! The real kernel backend: rtnetlink for links, addresses, routes and rules, generic netlink
//! for IPVS (connected on first use), both through the pipelined [`socket::NlSocket`].

pub mod rtnl;
pub mod socket;

use std::collections::BTreeMap;

use super::{Kernel, KernelError};
use crate::ipvs::client::IpvsClient;
use crate::observed::{IpvsState, Observed};
use crate::op::{Channel, Op};

const NETLINK_ROUTE: isize = 0;

/// The netlink backend, working in the network namespace of the calling thread.
pub struct NetlinkKernel {
    route: socket::NlSocket,
    ipvs: Option<IpvsClient>,
    links: BTreeMap<String, u32>,
}

impl NetlinkKernel {
    /// Opens the rtnetlink socket (IPVS is connected when first needed).
    pub fn new() -> Result<NetlinkKernel, KernelError> {
        Ok(NetlinkKernel {
            route: socket::NlSocket::open(NETLINK_ROUTE)?,
            ipvs: None,
            links: BTreeMap::new(),
        })
    }

    fn ipvs(&mut self) -> Result<&mut IpvsClient, KernelError> {
        if self.ipvs.is_none() {
            self.ipvs = Some(IpvsClient::connect()?);
        }
        self.ipvs
            .as_mut()
            .ok_or_else(|| KernelError::NoIpvs("not connected".into()))
    }

    fn refresh_links(&mut self) -> Result<BTreeMap<String, crate::observed::Link>, KernelError> {
        let links = rtnl::links(&mut self.route)?;
        self.links = links.iter().map(|(n, l)| (n.clone(), l.index)).collect();
        Ok(links)
    }
}

fn is_link_op(op: &Op) -> bool {
    matches!(op, Op::AddLink(_) | Op::DelLink(_))
}

/// Turns on `net.ipv4.conf.<dev>.promote_secondaries` for the interfaces of the IPv4 address
/// removals in `ops` (so removing a primary address does not take its secondaries along, as
/// keepalived does for its VIPs); returns the interfaces to turn it off on again.
fn promote_secondaries(ops: &[Op]) -> Vec<String> {
    let mut changed = Vec::new();
    for op in ops {
        if let Op::DelAddress(a) = op
            && a.key.addr.is_ipv4()
            && !changed.contains(&a.key.dev)
        {
            let path = format!("/proc/sys/net/ipv4/conf/{}/promote_secondaries", a.key.dev);
            if std::fs::read_to_string(&path).is_ok_and(|v| v.trim() == "0")
                && std::fs::write(&path, "1").is_ok()
            {
                changed.push(a.key.dev.clone());
            }
        }
    }
    changed
}

/// IPVS answers ENOENT when a service names a scheduler or persistence engine the kernel
/// cannot load; say so.
fn explain_missing_modules(ops: &[Op], results: &mut [Result<(), KernelError>]) {
    const ENOENT: i32 = 2;
    for (op, r) in ops.iter().zip(results.iter_mut()) {
        let attrs = match op {
            Op::AddService(s) => &s.attrs,
            Op::EditService { to, .. } => to,
            _ => continue,
        };
        if let Err(KernelError::Rejected {
            errno: ENOENT,
            reason,
        }) = r
        {
            let pe = attrs
                .pe_name
                .as_ref()
                .map_or(String::new(), |p| format!(" or persistence engine `{p}`"));
            *reason = format!(
                "{reason}: this kernel has no IPVS scheduler `{}`{pe} (module ip_vs_{} missing?)",
                attrs.scheduler, attrs.scheduler
            );
        }
    }
}

fn restore_promote_secondaries(devs: &[String]) {
    for dev in devs {
        let path = format!("/proc/sys/net/ipv4/conf/{dev}/promote_secondaries");
        let _ = std::fs::write(path, "0");
    }
}

impl NetlinkKernel {
    /// Sets the links `run` made up, with no IPv6 address of their own from their MAC
    /// (`addrgenmode none`, as keepalived's VMACs: an IPv6 instance's VMAC gets its base
    /// interface's link-local address instead). They were made down so that this comes
    /// first; where IPv6 is missing only the `up` is sent.
    fn links_up(&mut self, run: &[Op]) -> Result<(), KernelError> {
        let v6 = std::path::Path::new("/proc/sys/net/ipv6").exists();
        for op in run {
            let Op::AddLink(l) = op else { continue };
            let Some(&index) = self.links.get(&l.name) else {
                continue;
            };
            if v6
                && let Some(Err(e)) = self
                    .route
                    .requests(1, |_| Ok(rtnl::link_up(index, true)))
                    .pop()
            {
                tracing::warn!("{}: addrgenmode none: {e}", l.name);
            }
            if let Some(Err(e)) = self
                .route
                .requests(1, |_| Ok(rtnl::link_up(index, false)))
                .pop()
            {
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Kernel for NetlinkKernel {
    fn observe(&mut self, ipvs: bool) -> Result<Observed, KernelError> {
        let links = self.refresh_links()?;
        let names: BTreeMap<u32, String> =
            links.iter().map(|(n, l)| (l.index, n.clone())).collect();
        let addresses = rtnl::addresses(&mut self.route, &names)?;
        let routes = rtnl::routes(&mut self.route, &names)?;
        let rules = rtnl::rules(&mut self.route)?;
        let ipvs = if ipvs {
            match self.ipvs() {
                Ok(c) => Some(IpvsState {
                    services: c.services()?,
                    timeouts: c.timeouts()?,
                }),
                Err(KernelError::NoIpvs(_)) => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        Ok(Observed {
            links,
            addresses,
            routes,
            rules,
            ipvs,
        })
    }

    /// Runs of consecutive ops of one channel are pipelined; a link op ends its run (the
    /// interface indexes are re-read before the next one).
    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), KernelError>> {
        let mut out = Vec::with_capacity(ops.len());
        if let Err(e) = self.refresh_links() {
            out.push(Err(e));
            return out;
        }
        let mut i = 0;
        while i < ops.len() {
            let channel = ops[i].channel();
            let mut j = i + 1;
            while j < ops.len() && ops[j].channel() == channel && !is_link_op(&ops[j - 1]) {
                j += 1;
            }
            let run = &ops[i..j];
            let results = match channel {
                Channel::Route => {
                    let promoted = promote_secondaries(run);
                    let links = &self.links;
                    let r = self
                        .route
                        .requests(run.len(), |k| rtnl::encode(&run[k], links));
                    restore_promote_secondaries(&promoted);
                    r
                }
                Channel::Ipvs => match self.ipvs() {
                    Ok(c) => {
                        let mut r = c.apply(run);
                        explain_missing_modules(run, &mut r);
                        r
                    }
                    Err(e) => vec![Err(e)],
                },
            };
            let complete = results.len() == run.len() && results.iter().all(Result::is_ok);
            out.extend(results);
            if !complete {
                break;
            }
            if run.iter().any(is_link_op)
                && let Err(e) = self.refresh_links()
            {
                out.push(Err(e));
                break;
            }
            if let Err(e) = self.links_up(run) {
                // The link exists (its op is done) but is down: verification repairs it.
                tracing::warn!("{e}");
            }
            i = j;
        }
        out
    }
}
