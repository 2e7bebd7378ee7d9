//! VMAC interfaces (`use_vmac`), as keepalived makes them: a macvlan link in private mode
//! over the instance's interface, named `vrrp.VRID` unless named, with the virtual router
//! MAC 00:00:5e:00:01:VRID (00:00:5e:00:02:VRID for IPv6), up in every state. The virtual
//! addresses without `dev` live on it (the compiler puts them there), its gratuitous ARPs
//! and adverts leave from it with the virtual MAC (adverts from the base interface with
//! `vmac_xmit_base`), their IP source being the base interface's address.
//!
//! The link itself is part of the engine's [`super::Layer`], so the kernel worker creates
//! it, records it in the ownership journal (a restart adopts it, a stop removes it) and puts
//! it back if deleted by hand. What keepalived also sets is done here once the link exists
//! ([`Sysctls`]): on the base interface `arp_ignore=1` and `arp_filter=1` (restored when the
//! engine stops), on the VMAC `arp_ignore=1`, `accept_local=1`, `rp_filter=0`, and IPv6
//! disabled (unless IPv6 excluded addresses live on it) — for IPv4 instances; an IPv6
//! instance's VMAC gets nothing of that but the base interface's link-local address
//! (`nodad`, deprecated), and no address of its own (`addrgenmode none` when it is made).

use std::collections::BTreeMap;
use std::net::Ipv6Addr;

use kac_schema::plan::{PlanAddress, PlanVrrpInstance};

use crate::model::MacvlanLink;

/// The VMAC link an instance wants (`None` without `use_vmac`), or why its MAC is invalid.
pub fn link(p: &PlanVrrpInstance) -> Result<Option<MacvlanLink>, String> {
    let (Some(name), Some(parent)) = (&p.use_vmac, &p.interface) else {
        return Ok(None);
    };
    let mut l = MacvlanLink::vmac(name, parent, p.vrid, p.family == "inet6");
    if let Some(m) = &p.vmac_mac {
        l.mac = parse_mac(m).ok_or_else(|| format!("`use_vmac {name} {m}`: not a MAC address"))?;
    }
    Ok(Some(l))
}

/// `aa:bb:cc:dd:ee:ff` as bytes.
fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut n = 0;
    for part in s.split(':') {
        if n == 6 || part.is_empty() || part.len() > 2 {
            return None;
        }
        out[n] = u8::from_str_radix(part, 16).ok()?;
        n += 1;
    }
    (n == 6).then_some(out)
}

/// The link-local address an IPv6 instance's VMAC carries: its base interface's.
pub fn link_local(vmac: &str, base_link_local: Ipv6Addr) -> PlanAddress {
    PlanAddress {
        dev: vmac.to_string(),
        addr: base_link_local.into(),
        prefix_len: 64,
        scope: "link".into(),
        broadcast: None,
        label: None,
        peer: None,
        flags: vec!["nodad".into()],
        use_vmac: false,
        // Deprecated, as keepalived adds it: never chosen as a source by the kernel.
        preferred_lft_s: Some(0),
        track: true,
        track_group: None,
    }
}

/// The interface parameters set for VMACs, with the base interfaces' values from before.
#[derive(Debug, Default)]
pub struct Sysctls {
    /// (base interface, key) → the value found there before kac changed it.
    saved: BTreeMap<(String, &'static str), String>,
    /// VMACs already prepared, by name, with the interface index they had.
    prepared: BTreeMap<String, u32>,
}

const BASE_KEYS: [&str; 2] = ["arp_ignore", "arp_filter"];

fn path(family: &str, dev: &str, key: &str) -> String {
    format!("/proc/sys/net/{family}/conf/{dev}/{key}")
}

fn write(family: &str, dev: &str, key: &str, value: &str) {
    if let Err(e) = std::fs::write(path(family, dev, key), value) {
        tracing::warn!("cannot set net.{family}.conf.{dev}.{key}={value}: {e}");
    }
}

impl Sysctls {
    /// Sets what keepalived sets for the VMAC `vmac` (index `index`) over `base`, once per
    /// link (a link made again gets a new index, and is set again): for an IPv4 instance
    /// only (`inet6`: nothing); `v6_addrs`: IPv6 addresses live on it (IPv6 stays on).
    pub fn prepare(&mut self, vmac: &str, index: u32, base: &str, inet6: bool, v6_addrs: bool) {
        if self.prepared.get(vmac) == Some(&index) {
            return;
        }
        self.prepared.insert(vmac.to_string(), index);
        if inet6 {
            return;
        }
        for key in BASE_KEYS {
            if let std::collections::btree_map::Entry::Vacant(slot) =
                self.saved.entry((base.to_string(), key))
            {
                match std::fs::read_to_string(path("ipv4", base, key)) {
                    Ok(v) => {
                        slot.insert(v.trim().to_string());
                    }
                    Err(e) => tracing::warn!("cannot read net.ipv4.conf.{base}.{key}: {e}"),
                }
            }
            write("ipv4", base, key, "1");
        }
        write("ipv4", vmac, "arp_ignore", "1");
        write("ipv4", vmac, "accept_local", "1");
        write("ipv4", vmac, "rp_filter", "0");
        if !v6_addrs {
            write("ipv6", vmac, "disable_ipv6", "1");
        }
    }

    /// Forgets VMACs no instance wants any more.
    pub fn retain(&mut self, wanted: &[&str]) {
        self.prepared.retain(|n, _| wanted.contains(&n.as_str()));
    }

    /// Puts the base interfaces' values back (the engine stops).
    pub fn restore(&mut self) {
        for ((base, key), v) in std::mem::take(&mut self.saved) {
            write("ipv4", &base, key, &v);
        }
        self.prepared.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_parse_strictly() {
        assert_eq!(parse_mac("00:00:5e:00:01:0a"), Some([0, 0, 0x5e, 0, 1, 10]));
        assert_eq!(parse_mac("0:0:5e:0:1:a"), Some([0, 0, 0x5e, 0, 1, 10]));
        for bad in [
            "",
            "00:00:5e:00:01",
            "00:00:5e:00:01:0a:0b",
            "zz:00:5e:00:01:0a",
            "000:0:0:0:0:0",
        ] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
    }
}
