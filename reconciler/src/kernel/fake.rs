//! A recording fake kernel for unit tests of the apply logic (never the only test of a
//! feature: the netns and VM suites test the real kernel). It keeps an [`Observed`] state,
//! applies ops to it with the kernel's basic rules (no duplicates, no missing interfaces or
//! objects), records every op, and can be told to reject or silently lose ops.

use super::{Kernel, KernelError};
use crate::model::Service;
use crate::observed::{IpvsState, Observed};
use crate::op::Op;

/// The fake.
#[derive(Debug, Default)]
pub struct FakeKernel {
    /// The kernel state.
    pub state: Observed,
    /// Every op attempted, in order.
    pub log: Vec<String>,
    /// Ops whose text contains one of these are rejected (EINVAL).
    pub reject: Vec<String>,
    /// Ops whose text contains one of these "succeed" without effect, once each.
    pub lose_once: Vec<String>,
    /// The running sync daemons (as the kernel reports them: every option set).
    pub daemons: Vec<crate::syncd::SyncDaemon>,
}

const EEXIST: i32 = 17;
const ENOENT: i32 = 2;
const EINVAL: i32 = 22;
const ESRCH: i32 = 3;

fn err(errno: i32) -> KernelError {
    KernelError::rejected(errno, None)
}

impl FakeKernel {
    /// A fake with IPVS and the given interfaces.
    pub fn with_links(names: &[&str]) -> Self {
        let mut k = FakeKernel::default();
        for (i, n) in names.iter().enumerate() {
            k.state.links.insert(
                (*n).to_string(),
                crate::observed::Link {
                    index: u32::try_from(i).unwrap_or(0) + 1,
                    kind: None,
                    macvlan: None,
                    vrf_table: None,
                },
            );
        }
        k.state.ipvs = Some(IpvsState::default());
        k
    }

    fn one(&mut self, op: &Op) -> Result<(), KernelError> {
        let text = op.to_string();
        self.log.push(text.clone());
        if self.reject.iter().any(|r| text.contains(r.as_str())) {
            return Err(err(EINVAL));
        }
        if let Some(i) = self
            .lose_once
            .iter()
            .position(|r| text.contains(r.as_str()))
        {
            self.lose_once.remove(i);
            return Ok(());
        }
        let s = &mut self.state;
        let dev_ok = |s: &Observed, d: &Option<String>| match d {
            Some(d) if !s.links.contains_key(d) => Err(KernelError::NoInterface(d.clone())),
            _ => Ok(()),
        };
        match op {
            Op::AddLink(l) => {
                if s.links.contains_key(&l.name) {
                    return Err(err(EEXIST));
                }
                let index = u32::try_from(s.links.len()).unwrap_or(0) + 100;
                s.links.insert(
                    l.name.clone(),
                    crate::observed::Link {
                        index,
                        kind: Some("macvlan".into()),
                        macvlan: Some(l.clone()),
                        vrf_table: None,
                    },
                );
            }
            Op::DelLink(l) => {
                s.links.remove(&l.name).ok_or_else(|| err(ENOENT))?;
                s.addresses.retain(|k, _| k.dev != l.name);
            }
            Op::AddAddress(a) => {
                dev_ok(s, &Some(a.key.dev.clone()))?;
                if s.addresses.contains_key(&a.key) {
                    return Err(err(EEXIST));
                }
                s.addresses.insert(a.key.clone(), a.clone());
            }
            Op::DelAddress(a) => {
                s.addresses.remove(&a.key).ok_or_else(|| err(ENOENT))?;
            }
            Op::AddRoute(r) | Op::ReplaceRoute { to: r, .. } => {
                dev_ok(s, &r.dev)?;
                if matches!(op, Op::AddRoute(_)) && s.routes.contains_key(&r.key) {
                    return Err(err(EEXIST));
                }
                s.routes.insert(r.key.clone(), (**r).clone());
            }
            Op::DelRoute(r) => {
                s.routes.remove(&r.key).ok_or_else(|| err(ENOENT))?;
            }
            Op::AddRule(r) => {
                if s.rules.contains_key(&r.key()) {
                    return Err(err(EEXIST));
                }
                s.rules.insert(r.key(), (**r).clone());
            }
            Op::DelRule(r) => {
                s.rules.remove(&r.key()).ok_or_else(|| err(ENOENT))?;
            }
            _ => {
                let ipvs = s
                    .ipvs
                    .as_mut()
                    .ok_or_else(|| KernelError::NoIpvs("fake".into()))?;
                match op {
                    Op::AddService(svc) => {
                        if ipvs.services.contains_key(&svc.key) {
                            return Err(err(EEXIST));
                        }
                        ipvs.services.insert(
                            svc.key,
                            Service {
                                dests: Default::default(),
                                ..svc.clone()
                            },
                        );
                    }
                    Op::EditService { key, to, .. } => {
                        ipvs.services.get_mut(key).ok_or_else(|| err(ENOENT))?.attrs =
                            (**to).clone();
                    }
                    Op::DelService(svc) => {
                        ipvs.services.remove(&svc.key).ok_or_else(|| err(ENOENT))?;
                    }
                    Op::AddDest {
                        service,
                        dest,
                        attrs,
                    } => {
                        let svc = ipvs.services.get_mut(service).ok_or_else(|| err(ENOENT))?;
                        if svc.dests.contains_key(dest) {
                            return Err(err(EEXIST));
                        }
                        svc.dests.insert(*dest, attrs.clone());
                    }
                    Op::EditDest {
                        service, dest, to, ..
                    } => {
                        let svc = ipvs.services.get_mut(service).ok_or_else(|| err(ENOENT))?;
                        *svc.dests.get_mut(dest).ok_or_else(|| err(ENOENT))? = to.clone();
                    }
                    Op::DelDest { service, dest, .. } => {
                        let svc = ipvs.services.get_mut(service).ok_or_else(|| err(ENOENT))?;
                        svc.dests.remove(dest).ok_or_else(|| err(ENOENT))?;
                    }
                    Op::StartSyncDaemon(d) => {
                        if self.daemons.iter().any(|x| x.state == d.state) {
                            return Err(err(EEXIST));
                        }
                        self.daemons.push(d.clone());
                    }
                    Op::StopSyncDaemon(d) => {
                        let at = self.daemons.iter().position(|x| x.state == d.state);
                        self.daemons.remove(at.ok_or_else(|| err(ESRCH))?);
                    }
                    Op::SetTimeouts { to, .. } => {
                        let t = &mut ipvs.timeouts;
                        t.tcp = to.tcp.or(t.tcp);
                        t.tcp_fin = to.tcp_fin.or(t.tcp_fin);
                        t.udp = to.udp.or(t.udp);
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

impl Kernel for FakeKernel {
    fn observe(&mut self, ipvs: bool) -> Result<Observed, KernelError> {
        let mut o = self.state.clone();
        if !ipvs {
            o.ipvs = None;
        }
        Ok(o)
    }

    fn sync_daemons(&mut self) -> Result<Option<Vec<crate::syncd::SyncDaemon>>, KernelError> {
        Ok(self.state.ipvs.is_some().then(|| self.daemons.clone()))
    }

    /// Like the netlink backend with a batch of 4: after a failure, the rest of the batch
    /// still runs, later batches do not.
    fn apply(&mut self, ops: &[Op]) -> Vec<Result<(), KernelError>> {
        let mut out = Vec::new();
        for chunk in ops.chunks(4) {
            let mut failed = false;
            for op in chunk {
                let r = self.one(op);
                failed |= r.is_err();
                out.push(r);
            }
            if failed {
                break;
            }
        }
        out
    }
}
