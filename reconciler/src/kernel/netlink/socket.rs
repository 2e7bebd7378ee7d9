//! A synchronous netlink socket that pipelines requests: up to [`WINDOW`] requests go out in
//! one `sendmsg` (the kernel processes them in order within the call, acknowledging each),
//! then the acknowledgements are collected and matched to their requests by sequence number.
//! Every request asks for an acknowledgement, so every success and every error is known and
//! mapped back to its request; the kernel's extended-ack message (`NETLINK_EXT_ACK`) becomes
//! part of the error.
//!
//! The window is bounded so that the acknowledgements of one window always fit in the
//! socket's receive buffer (a lost acknowledgement would leave a request's outcome unknown).

use std::fmt::Debug;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NetlinkDeserializable,
    NetlinkMessage, NetlinkSerializable,
};
use netlink_sys::{Socket, SocketAddr};

use crate::kernel::KernelError;

/// Requests in flight at once.
pub const WINDOW: usize = 64;
/// Bytes of requests per `sendmsg` at most.
const WINDOW_BYTES: usize = 60 * 1024;
/// Receive buffer (one read).
const RECV_BYTES: usize = 256 * 1024;
/// `NLM_F_DUMP_INTR`: the dump changed while it was read.
const NLM_F_DUMP_INTR: u16 = 0x10;
/// In an `NLMSG_ERROR`: the request was not echoed back (`NETLINK_CAP_ACK`).
const NLM_F_CAPPED: u16 = 0x100;
/// In an `NLMSG_ERROR`: extended-ack attributes follow.
const NLM_F_ACK_TLVS: u16 = 0x200;
/// `NLMSGERR_ATTR_MSG`.
const NLMSGERR_ATTR_MSG: u16 = 1;

/// One message of a received buffer.
struct Raw<'a> {
    ty: u16,
    flags: u16,
    seq: u32,
    /// Header and payload.
    whole: &'a [u8],
    payload: &'a [u8],
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    b.get(i..i + 2)
        .map_or(0, |s| u16::from_ne_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    b.get(i..i + 4)
        .map_or(0, |s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

/// Splits a datagram into netlink messages.
fn messages(buf: &[u8]) -> Result<Vec<Raw<'_>>, KernelError> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 16 <= buf.len() {
        let len = u32_at(buf, off) as usize;
        if len < 16 || off + len > buf.len() {
            return Err(KernelError::Io(format!(
                "malformed netlink message (length {len})"
            )));
        }
        let whole = &buf[off..off + len];
        out.push(Raw {
            ty: u16_at(whole, 4),
            flags: u16_at(whole, 6),
            seq: u32_at(whole, 8),
            whole,
            payload: &whole[16..],
        });
        off += (len + 3) & !3;
    }
    Ok(out)
}

/// The errno (positive; 0 for an acknowledgement) and extended-ack message of an
/// `NLMSG_ERROR`.
fn error_of(m: &Raw<'_>) -> (i32, Option<String>) {
    let p = m.payload;
    let code = u32_at(p, 0) as i32;
    if code == 0 {
        return (0, None);
    }
    let mut msg = None;
    if m.flags & NLM_F_ACK_TLVS != 0 {
        let echoed = if m.flags & NLM_F_CAPPED != 0 {
            16
        } else {
            (u32_at(p, 4) as usize + 3) & !3
        };
        let mut off = 4 + echoed;
        while off + 4 <= p.len() {
            let len = u16_at(p, off) as usize;
            let ty = u16_at(p, off + 2) & 0x3fff;
            if len < 4 || off + len > p.len() {
                break;
            }
            if ty == NLMSGERR_ATTR_MSG {
                let v = &p[off + 4..off + len];
                let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
                msg = Some(String::from_utf8_lossy(&v[..end]).into_owned());
            }
            off += (len + 3) & !3;
        }
    }
    (-code, msg)
}

/// A netlink socket of one protocol, connected to the kernel.
pub struct NlSocket {
    sock: Socket,
    seq: u32,
    rx: Vec<u8>,
    tx: Vec<u8>,
}

impl NlSocket {
    /// Opens a socket of `protocol` (`NETLINK_ROUTE`, `NETLINK_GENERIC`).
    pub fn open(protocol: isize) -> Result<NlSocket, KernelError> {
        let io = |e: std::io::Error| KernelError::Io(format!("cannot open a netlink socket: {e}"));
        let mut sock = Socket::new(protocol).map_err(io)?;
        sock.bind_auto().map_err(io)?;
        sock.connect(&SocketAddr::new(0, 0)).map_err(io)?;
        // Best effort: older kernels lack these; errors then carry no text.
        let _ = sock.set_ext_ack(true);
        let _ = sock.set_cap_ack(true);
        let _ = sock.set_rx_buf_sz(4usize << 20);
        Ok(NlSocket {
            sock,
            seq: 1,
            rx: Vec::with_capacity(RECV_BYTES),
            tx: Vec::with_capacity(WINDOW_BYTES + 4096),
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.seq
    }

    fn recv(&mut self) -> Result<(), KernelError> {
        self.rx.clear();
        let n = self
            .sock
            .recv(&mut self.rx, 0)
            .map_err(|e| KernelError::Io(format!("receive: {e}")))?;
        if n > self.rx.len() {
            return Err(KernelError::Io("netlink message truncated".into()));
        }
        Ok(())
    }

    fn send(&self, buf: &[u8]) -> Result<(), KernelError> {
        self.sock
            .send(buf, 0)
            .map(|_| ())
            .map_err(|e| KernelError::Io(format!("send: {e}")))
    }

    fn encode<T: NetlinkSerializable + Debug>(
        buf: &mut Vec<u8>,
        mut msg: NetlinkMessage<T>,
        flags: u16,
        seq: u32,
    ) {
        msg.header.flags |= flags;
        msg.header.sequence_number = seq;
        msg.finalize();
        let off = buf.len();
        buf.resize(off + ((msg.buffer_len() + 3) & !3), 0);
        msg.serialize(&mut buf[off..]);
    }

    /// Sends `count` requests made by `encode(i)` (`Err`: the request cannot be built, e.g. an
    /// interface is missing) and returns the result of each one attempted. Requests go out in
    /// windows; after a window with a failure no further window is sent.
    pub fn requests<T: NetlinkSerializable + Debug>(
        &mut self,
        count: usize,
        mut encode: impl FnMut(usize) -> Result<NetlinkMessage<T>, KernelError>,
    ) -> Vec<Result<(), KernelError>> {
        let mut results: Vec<Result<(), KernelError>> = Vec::with_capacity(count);
        let mut i = 0;
        while i < count {
            let mut tx = std::mem::take(&mut self.tx);
            tx.clear();
            let first = self.seq.wrapping_add(1);
            let mut n = 0;
            let mut build_error = None;
            while i + n < count && n < WINDOW && tx.len() < WINDOW_BYTES {
                match encode(i + n) {
                    Ok(msg) => {
                        let seq = self.next_seq();
                        Self::encode(&mut tx, msg, NLM_F_REQUEST | NLM_F_ACK, seq);
                        n += 1;
                    }
                    Err(e) => {
                        build_error = Some(e);
                        break;
                    }
                }
            }
            let window = if n > 0 {
                self.exchange(&tx, first, n)
            } else {
                Vec::new()
            };
            self.tx = tx;
            let failed = window.iter().any(Result::is_err);
            results.extend(window);
            i += n;
            if let Some(e) = build_error {
                results.push(Err(e));
                return results;
            }
            if failed {
                return results;
            }
        }
        results
    }

    /// Sends one window and collects the acknowledgements of sequence numbers
    /// `first..first + n`.
    fn exchange(&mut self, tx: &[u8], first: u32, n: usize) -> Vec<Result<(), KernelError>> {
        if let Err(e) = self.send(tx) {
            return (0..n).map(|_| Err(e.clone())).collect();
        }
        let mut got: Vec<Option<Result<(), KernelError>>> = vec![None; n];
        let mut missing = n;
        while missing > 0 {
            if let Err(e) = self.recv() {
                // The outcome of the rest is unknown; report them failed (verification
                // re-reads the kernel anyway).
                for g in got.iter_mut().filter(|g| g.is_none()) {
                    *g = Some(Err(e.clone()));
                }
                break;
            }
            let rx = std::mem::take(&mut self.rx);
            match messages(&rx) {
                Ok(list) => {
                    for m in list.iter().filter(|m| m.ty == NLMSG_ERROR) {
                        let idx = m.seq.wrapping_sub(first) as usize;
                        if let Some(slot) = got.get_mut(idx)
                            && slot.is_none()
                        {
                            let (errno, text) = error_of(m);
                            *slot = Some(if errno == 0 {
                                Ok(())
                            } else {
                                Err(KernelError::rejected(errno, text.as_deref()))
                            });
                            missing -= 1;
                        }
                    }
                }
                Err(e) => {
                    for g in got.iter_mut().filter(|g| g.is_none()) {
                        *g = Some(Err(e.clone()));
                    }
                    missing = 0;
                }
            }
            self.rx = rx;
        }
        got.into_iter()
            .map(|g| g.unwrap_or_else(|| Err(KernelError::Io("no acknowledgement".into()))))
            .collect()
    }

    /// Runs a dump request and returns the messages, retrying when the kernel says the dump
    /// was interrupted by a concurrent change.
    pub fn dump<T: NetlinkSerializable + NetlinkDeserializable + Debug + Clone>(
        &mut self,
        msg: NetlinkMessage<T>,
    ) -> Result<Vec<T>, KernelError> {
        for _ in 0..5 {
            let (list, interrupted) = self.exchange_multi(msg.clone(), NLM_F_DUMP)?;
            if !interrupted {
                return Ok(list);
            }
        }
        Err(KernelError::Io(
            "the dump kept being interrupted by concurrent changes".into(),
        ))
    }

    /// Sends one request and returns its reply messages (up to its acknowledgement).
    pub fn call<T: NetlinkSerializable + NetlinkDeserializable + Debug + Clone>(
        &mut self,
        msg: NetlinkMessage<T>,
    ) -> Result<Vec<T>, KernelError> {
        self.exchange_multi(msg, NLM_F_ACK).map(|(l, _)| l)
    }

    fn exchange_multi<T: NetlinkSerializable + NetlinkDeserializable + Debug>(
        &mut self,
        msg: NetlinkMessage<T>,
        flags: u16,
    ) -> Result<(Vec<T>, bool), KernelError> {
        let seq = self.next_seq();
        let mut tx = std::mem::take(&mut self.tx);
        tx.clear();
        Self::encode(&mut tx, msg, NLM_F_REQUEST | flags, seq);
        let sent = self.send(&tx);
        self.tx = tx;
        sent?;
        let mut out = Vec::new();
        let mut interrupted = false;
        loop {
            self.recv()?;
            let rx = std::mem::take(&mut self.rx);
            let mut done = None;
            for m in messages(&rx)? {
                if m.seq != seq {
                    continue;
                }
                interrupted |= m.flags & NLM_F_DUMP_INTR != 0;
                match m.ty {
                    NLMSG_DONE => {
                        let code = u32_at(m.payload, 0) as i32;
                        done = Some(if code < 0 {
                            Err(KernelError::rejected(-code, None))
                        } else {
                            Ok(())
                        });
                    }
                    NLMSG_ERROR => {
                        let (errno, text) = error_of(&m);
                        done = Some(if errno == 0 {
                            Ok(())
                        } else {
                            Err(KernelError::rejected(errno, text.as_deref()))
                        });
                    }
                    _ => match NetlinkMessage::<T>::deserialize(m.whole) {
                        Ok(parsed) => {
                            if let netlink_packet_core::NetlinkPayload::InnerMessage(inner) =
                                parsed.payload
                            {
                                out.push(inner);
                            }
                        }
                        Err(e) => {
                            self.rx = rx;
                            return Err(KernelError::Io(format!("cannot parse a reply: {e}")));
                        }
                    },
                }
            }
            self.rx = rx;
            if let Some(r) = done {
                return r.map(|()| (out, interrupted));
            }
        }
    }
}
