//! The alert events of the engine's instances and sync groups: one transition
//! ([`Engine::instance_change`]), and the states they are in now
//! ([`Engine::current_states`], for `fifo_write_vrrp_states_on_reload`).

use std::net::IpAddr;

use super::{Engine, alert_state};
use crate::alert::AlertEvent;
use crate::alert::event::{GroupChange, InstanceChange, VrrpState as AlertState};
use crate::vrrp::machine::State;

impl Engine {
    /// The alert event of instance `name` going from `from` to `to` (its priority, row,
    /// interface and master address as they are now); `None` for an unknown instance.
    pub(super) fn instance_change(
        &self,
        name: &str,
        from: State,
        to: State,
    ) -> Option<InstanceChange> {
        let inst = self.instances.get(name)?;
        let ifindex = inst
            .plan
            .interface
            .as_ref()
            .and_then(|i| self.ifaces.get(i))
            .map_or(0, |i| i.index);
        let index = self
            .instances
            .keys()
            .position(|n| n == name)
            .map_or(0, |p| p as u32 + 1);
        Some(InstanceChange {
            name: name.to_string(),
            from: alert_state(from),
            to: alert_state(to),
            priority: inst.machine.priority(),
            initial: if inst.plan.state == "MASTER" {
                AlertState::Master
            } else {
                AlertState::Backup
            },
            index,
            vrid: inst.plan.vrid,
            ifindex,
            master_address: match inst.machine.primary() {
                IpAddr::V4(a) if !a.is_unspecified() => Some(a),
                _ => None,
            },
        })
    }

    /// The state every sync group and instance is in now, as events from that state into
    /// itself: the groups that have entered a state first, then the instances that have
    /// left INIT (keepalived writes no INIT line), each in name order.
    pub fn current_states(&self) -> Vec<AlertEvent> {
        let groups = self
            .group_notify
            .iter()
            .enumerate()
            .filter_map(|(i, (name, (_, last)))| {
                let s = alert_state((*last)?);
                Some(AlertEvent::Group(GroupChange {
                    name: name.clone(),
                    from: s,
                    to: s,
                    index: i as u32 + 1,
                }))
            });
        let instances = self.instances.iter().filter_map(|(name, inst)| {
            let s = inst.machine.state();
            if s == State::Init {
                return None;
            }
            self.instance_change(name, s, s).map(AlertEvent::Instance)
        });
        groups.chain(instances).collect()
    }
}
