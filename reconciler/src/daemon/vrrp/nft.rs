//! The firewall rules of `no_accept` (and of strict mode, which implies it below priority
//! 255), programmed over nf_tables netlink (`NETLINK_NETFILTER` batches; no `nft` program).
//!
//! RFC 5798 says a master not in accept mode must not accept packets addressed to its
//! virtual addresses (unless it owns them). keepalived does this with a `keepalived` table:
//! chains hooked on input and output at priority filter - 1 that drop packets to, and from,
//! the virtual addresses of such masters. kac keeps its own tables, `ip kac` and `ip6 kac`,
//! with the same two chains (`in`: `ip daddr VIP drop`, `out`: `ip saddr VIP drop`, one rule
//! per address; on IPv6 neighbour solicitations and advertisements still pass, or the
//! address could not be resolved). The whole table is rewritten in one atomic batch when
//! the set of addresses changes, and deleted when no master needs it (and when the engine
//! stops).

use std::collections::BTreeSet;
use std::net::IpAddr;

use netlink_sys::{Socket, protocols::NETLINK_NETFILTER};

/// The table kac's rules live in (one per family).
pub const TABLE: &str = "kac";

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
const NFNL_MSG_BATCH_END: u16 = 0x11;
const NFT_MSG_NEWTABLE: u16 = 0;
const NFT_MSG_DELTABLE: u16 = 2;
const NFT_MSG_NEWCHAIN: u16 = 3;
const NFT_MSG_NEWRULE: u16 = 6;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_CREATE: u16 = 0x400;
const NLM_F_APPEND: u16 = 0x800;
const NLA_F_NESTED: u16 = 0x8000;
const NFPROTO_IPV4: u8 = 2;
const NFPROTO_IPV6: u8 = 10;
const NF_INET_LOCAL_IN: u32 = 1;
const NF_INET_LOCAL_OUT: u32 = 3;
const NF_DROP: u32 = 0;
const NF_ACCEPT: u32 = 1;
const PRIORITY: i32 = -1;
const NFT_PAYLOAD_NETWORK_HEADER: u32 = 1;
const NFT_PAYLOAD_TRANSPORT_HEADER: u32 = 2;
const NFT_REG_VERDICT: u32 = 0;
const NFT_REG_1: u32 = 1;
const NFT_CMP_EQ: u32 = 0;
const NFT_META_L4PROTO: u32 = 16;
const IPPROTO_ICMPV6: u8 = 58;
const ND_NEIGHBOR_SOLICIT: u8 = 135;
const ND_NEIGHBOR_ADVERT: u8 = 136;

/// Why the rules could not be written.
#[derive(Debug, thiserror::Error)]
#[error("nf_tables: {0}")]
pub struct NftError(String);

/// A netlink attribute writer.
#[derive(Default)]
struct Attrs(Vec<u8>);

impl Attrs {
    fn raw(&mut self, kind: u16, data: &[u8]) -> &mut Self {
        let len = 4 + data.len();
        self.0.extend_from_slice(&(len as u16).to_ne_bytes());
        self.0.extend_from_slice(&kind.to_ne_bytes());
        self.0.extend_from_slice(data);
        while !self.0.len().is_multiple_of(4) {
            self.0.push(0);
        }
        self
    }
    fn string(&mut self, kind: u16, s: &str) -> &mut Self {
        let mut d = s.as_bytes().to_vec();
        d.push(0);
        self.raw(kind, &d)
    }
    fn be32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.raw(kind, &v.to_be_bytes())
    }
    fn nested(&mut self, kind: u16, f: impl FnOnce(&mut Attrs)) -> &mut Self {
        let mut inner = Attrs::default();
        f(&mut inner);
        self.raw(kind | NLA_F_NESTED, &inner.0)
    }
}

/// One expression of a rule (`NFTA_LIST_ELEM`).
fn expr(list: &mut Attrs, name: &str, data: impl FnOnce(&mut Attrs)) {
    list.nested(1, |e| {
        e.string(1, name).nested(2, data);
    });
}

fn load_payload(list: &mut Attrs, base: u32, offset: u32, len: u32) {
    expr(list, "payload", |d| {
        d.be32(1, NFT_REG_1)
            .be32(2, base)
            .be32(3, offset)
            .be32(4, len);
    });
}

fn cmp_eq(list: &mut Attrs, value: &[u8]) {
    expr(list, "cmp", |d| {
        d.be32(1, NFT_REG_1).be32(2, NFT_CMP_EQ).nested(3, |v| {
            v.raw(1, value);
        });
    });
}

fn verdict(list: &mut Attrs, code: u32) {
    expr(list, "immediate", |d| {
        d.be32(1, NFT_REG_VERDICT).nested(2, |v| {
            v.nested(2, |c| {
                c.be32(1, code);
            });
        });
    });
}

/// A batch of nf_tables messages.
struct Batch {
    buf: Vec<u8>,
    seq: u32,
    acks: usize,
}

impl Batch {
    fn new(seq: u32) -> Batch {
        let mut b = Batch {
            buf: Vec::new(),
            seq,
            acks: 0,
        };
        b.message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 0, &[]);
        b
    }

    fn message(&mut self, kind: u16, flags: u16, family: u8, attrs: &[u8]) {
        let len = 16 + 4 + attrs.len();
        self.buf.extend_from_slice(&(len as u32).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(&flags.to_ne_bytes());
        self.buf.extend_from_slice(&self.seq.to_ne_bytes());
        self.buf.extend_from_slice(&0u32.to_ne_bytes());
        // nfgenmsg: family, version 0, resource id (the subsystem, for the batch messages).
        self.buf.push(family);
        self.buf.push(0);
        self.buf
            .extend_from_slice(&NFNL_SUBSYS_NFTABLES.to_be_bytes());
        self.buf.extend_from_slice(attrs);
        self.seq += 1;
    }

    fn nft(&mut self, msg: u16, flags: u16, family: u8, attrs: &Attrs) {
        self.message(
            (NFNL_SUBSYS_NFTABLES << 8) | msg,
            NLM_F_REQUEST | NLM_F_ACK | flags,
            family,
            &attrs.0,
        );
        self.acks += 1;
    }

    fn end(mut self) -> (Vec<u8>, usize) {
        self.message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, 0, &[]);
        (self.buf, self.acks)
    }
}

fn table(name: &str) -> Attrs {
    let mut a = Attrs::default();
    a.string(1, name);
    a
}

/// Adds (or keeps) the table, deletes it, and, when `addrs` is not empty, makes it again
/// with its two chains and the rules for `addrs`: one transaction whatever existed before.
fn rewrite(b: &mut Batch, family: u8, addrs: &[IpAddr]) {
    b.nft(NFT_MSG_NEWTABLE, NLM_F_CREATE, family, &table(TABLE));
    b.nft(NFT_MSG_DELTABLE, 0, family, &table(TABLE));
    if addrs.is_empty() {
        return;
    }
    b.nft(NFT_MSG_NEWTABLE, NLM_F_CREATE, family, &table(TABLE));
    for (chain, hook) in [("in", NF_INET_LOCAL_IN), ("out", NF_INET_LOCAL_OUT)] {
        let mut c = Attrs::default();
        c.string(1, TABLE)
            .string(3, chain)
            .nested(4, |h| {
                h.be32(1, hook).raw(2, &PRIORITY.to_be_bytes());
            })
            .be32(5, NF_ACCEPT)
            .string(7, "filter");
        b.nft(NFT_MSG_NEWCHAIN, NLM_F_CREATE, family, &c);
    }
    let v6 = family == NFPROTO_IPV6;
    // IPv4 header: source at 12, destination at 16; IPv6: 8 and 24.
    let (src_off, dst_off, len) = if v6 { (8, 24, 16) } else { (12, 16, 4) };
    let rule = |b: &mut Batch, chain: &str, body: &dyn Fn(&mut Attrs)| {
        let mut r = Attrs::default();
        r.string(1, TABLE).string(2, chain).nested(4, body);
        b.nft(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, family, &r);
    };
    if v6 {
        // Neighbour discovery for the addresses keeps working.
        for t in [ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT] {
            for chain in ["in", "out"] {
                rule(b, chain, &|l| {
                    expr(l, "meta", |d| {
                        d.be32(2, NFT_META_L4PROTO).be32(1, NFT_REG_1);
                    });
                    cmp_eq(l, &[IPPROTO_ICMPV6]);
                    load_payload(l, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
                    cmp_eq(l, &[t]);
                    verdict(l, NF_ACCEPT);
                });
            }
        }
    }
    for a in addrs {
        let bytes = match a {
            IpAddr::V4(x) => x.octets().to_vec(),
            IpAddr::V6(x) => x.octets().to_vec(),
        };
        for (chain, off) in [("in", dst_off), ("out", src_off)] {
            rule(b, chain, &|l| {
                load_payload(l, NFT_PAYLOAD_NETWORK_HEADER, off, len);
                cmp_eq(l, &bytes);
                verdict(l, NF_DROP);
            });
        }
    }
}

/// kac's nf_tables rules: what is installed, and the socket to change it.
#[derive(Debug, Default)]
pub struct Firewall {
    /// The addresses whose traffic is dropped now; `None`: unknown (nothing written yet).
    installed: Option<BTreeSet<IpAddr>>,
    seq: u32,
}

impl Firewall {
    /// Whether rules were written (tables may exist).
    pub fn written(&self) -> bool {
        self.installed.as_ref().is_some_and(|a| !a.is_empty())
    }

    /// Makes the rules drop traffic to and from exactly `addrs` (nothing: the tables go).
    /// Does nothing when that is what was last written.
    pub fn set(&mut self, addrs: BTreeSet<IpAddr>) -> Result<(), NftError> {
        if self.installed.as_ref() == Some(&addrs) {
            return Ok(());
        }
        // Before anything was written, an empty set needs no tables unless an earlier run
        // (killed) left some: they are deleted anyway.
        let v4: Vec<IpAddr> = addrs.iter().filter(|a| a.is_ipv4()).copied().collect();
        let v6: Vec<IpAddr> = addrs.iter().filter(|a| a.is_ipv6()).copied().collect();
        self.seq = self.seq.wrapping_add(1000);
        let mut b = Batch::new(self.seq);
        rewrite(&mut b, NFPROTO_IPV4, &v4);
        rewrite(&mut b, NFPROTO_IPV6, &v6);
        let (buf, acks) = b.end();
        send(&buf, acks)?;
        self.installed = Some(addrs);
        Ok(())
    }
}

fn send(buf: &[u8], acks: usize) -> Result<(), NftError> {
    let err = |what: &str, e: std::io::Error| NftError(format!("{what}: {e}"));
    let mut s = Socket::new(NETLINK_NETFILTER).map_err(|e| err("socket", e))?;
    s.bind_auto().map_err(|e| err("bind", e))?;
    s.set_rx_buf_sz(1 << 20).map_err(|e| err("buffer", e))?;
    let sent = s.send(buf, 0).map_err(|e| err("send", e))?;
    if sent != buf.len() {
        return Err(NftError(format!("sent {sent} of {} bytes", buf.len())));
    }
    let mut got = 0;
    let mut rx = vec![0u8; 1 << 16];
    while got < acks {
        let n = s.recv(&mut &mut rx[..], 0).map_err(|e| err("receive", e))?;
        let mut off = 0;
        while off + 16 <= n {
            let len = u32::from_ne_bytes([rx[off], rx[off + 1], rx[off + 2], rx[off + 3]]) as usize;
            let kind = u16::from_ne_bytes([rx[off + 4], rx[off + 5]]);
            if len < 16 || off + len > n {
                break;
            }
            if kind == NLMSG_ERROR && len >= 20 {
                let code =
                    i32::from_ne_bytes([rx[off + 16], rx[off + 17], rx[off + 18], rx[off + 19]]);
                if code != 0 {
                    return Err(NftError(
                        std::io::Error::from_raw_os_error(-code).to_string(),
                    ));
                }
                got += 1;
            }
            off += (len + 3) & !3;
        }
        if n == 0 {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_padded_and_nested() {
        let mut a = Attrs::default();
        a.string(1, "kac").nested(4, |n| {
            n.be32(1, 1);
        });
        // "kac\0" = 4 bytes + header; nested: header + (header + 4).
        assert_eq!(a.0.len(), 8 + 12);
        assert_eq!(&a.0[4..8], b"kac\0");
        assert_eq!(u16::from_ne_bytes([a.0[10], a.0[11]]), 4 | NLA_F_NESTED);
        assert_eq!(&a.0[16..20], &1u32.to_be_bytes());
    }

    #[test]
    fn a_batch_is_framed_by_begin_and_end() {
        let mut b = Batch::new(7);
        rewrite(&mut b, NFPROTO_IPV4, &[]);
        let (buf, acks) = b.end();
        // begin, new table, delete table, end.
        assert_eq!(acks, 2);
        let kinds: Vec<u16> = {
            let mut v = Vec::new();
            let mut off = 0;
            while off < buf.len() {
                let len = u32::from_ne_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]])
                    as usize;
                v.push(u16::from_ne_bytes([buf[off + 4], buf[off + 5]]));
                off += len;
            }
            v
        };
        assert_eq!(kinds, vec![0x10, 0xa00, 0xa02, 0x11]);
    }
}
