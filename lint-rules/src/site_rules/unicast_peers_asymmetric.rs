//! Peers of a unicast VRRP instance that do not list each other.

use kac_schema::Diagnostic;
use kac_schema::config::VrrpInstance;

use crate::HostConfig;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Error;
/// Rule name.
pub const NAME: &str = "unicast-peers-asymmetric";
/// Documentation.
pub const DOC: &str = "## What it does
Finds VRRP instances with the same name on different hosts of a site (peers) where one host
sends advertisements by unicast (`unicast_peer`) and another by multicast (no `unicast_peer`),
or where a host's `unicast_peer` list lacks another peer's `unicast_src_ip`. A peer without
`unicast_src_ip` (keepalived then uses the interface's address, which the configuration does
not say) is not looked for in the others' lists.

## Why is this bad
A unicast instance sends its advertisements only to the addresses in its `unicast_peer` list,
and (with `check_unicast_src`) accepts only theirs. A peer that is missing from the list, or
listens for multicast, never hears the advertisements, decides the MASTER is gone and becomes
MASTER too: both hosts hold the virtual addresses. keepalived only ever sees one host, so
`keepalived -t` cannot notice.

## Example
```
vrrp_instance VI_1 {
    @lb1 unicast_src_ip 192.0.2.1
    @lb2 unicast_src_ip 192.0.2.2
    unicast_peer {
        @lb2 192.0.2.1
    }
}
```

## Use instead
```
vrrp_instance VI_1 {
    @lb1 unicast_src_ip 192.0.2.1
    @lb2 unicast_src_ip 192.0.2.2
    unicast_peer {
        @lb1 192.0.2.2
        @lb2 192.0.2.1
    }
}
```

## References
keepalived.conf(5), `unicast_src_ip`, `unicast_peer`, `check_unicast_src`";

fn peers_span(i: &VrrpInstance) -> kac_schema::Span {
    i.unicast_peers.first().map_or(i.name.span, |p| p.addr.span)
}

/// Reports unicast/multicast mixes and peer lists that miss a peer's source address.
pub fn check(hosts: &[HostConfig<'_>], out: &mut Vec<(usize, Diagnostic)>) {
    for (name, peers) in super::peer_groups(hosts) {
        let unicast: Vec<_> = peers
            .iter()
            .filter(|(_, i)| !i.unicast_peers.is_empty())
            .collect();
        let Some((u, ui)) = unicast.first() else {
            continue;
        };
        for (h, i) in &peers {
            if !i.unicast_peers.is_empty() {
                continue;
            }
            let (uhost, host) = (hosts[*u].host, hosts[*h].host);
            out.push((
                *h,
                Diagnostic::new(
                    NAME,
                    LEVEL,
                    format!("({name}) unicast on {uhost} but multicast on {host}"),
                )
                .with_primary(
                    i.name.span,
                    format!("no unicast_peer here; {uhost} has some"),
                )
                .with_secondary(peers_span(ui), format!("unicast peers on {uhost}"))
                .with_help("give every host of the instance a unicast_peer list, or none"),
            ));
        }
        for (a, ai) in &unicast {
            for (b, bi) in &peers {
                if a == b || bi.unicast_peers.is_empty() {
                    continue;
                }
                let Some(src) = &bi.unicast_src_ip else {
                    continue;
                };
                if ai.unicast_peers.iter().any(|p| p.addr.value == src.value) {
                    continue;
                }
                let (ahost, bhost) = (hosts[*a].host, hosts[*b].host);
                out.push((
                    *a,
                    Diagnostic::new(
                        NAME,
                        LEVEL,
                        format!(
                            "({name}) the unicast_peer list on {ahost} lacks {bhost} ({})",
                            src.value
                        ),
                    )
                    .with_primary(peers_span(ai), format!("{} is missing here", src.value))
                    .with_secondary(src.span, format!("unicast_src_ip of {bhost}"))
                    .with_help(format!(
                        "add {} to the unicast_peer list of {ahost} (every host lists every other)",
                        src.value
                    )),
                ));
            }
        }
    }
}
