//! The few BER encodings (X.690) an SNMPv2c trap needs: INTEGER, OCTET STRING, OBJECT
//! IDENTIFIER, IpAddress, TimeTicks, Gauge32, SEQUENCE and the trap PDU's context tag.

/// An SNMP value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// INTEGER / Integer32 / enumerations.
    Integer(i64),
    /// OCTET STRING (DisplayString, InetAddress).
    Octets(Vec<u8>),
    /// OBJECT IDENTIFIER.
    Oid(Vec<u32>),
    /// IpAddress (APPLICATION 0).
    IpAddress([u8; 4]),
    /// Gauge32 / Unsigned32 (APPLICATION 2).
    Gauge(u32),
    /// TimeTicks (APPLICATION 3), hundredths of a second.
    TimeTicks(u32),
}

/// Appends tag, length and contents.
pub fn tlv(out: &mut Vec<u8>, tag: u8, contents: &[u8]) {
    out.push(tag);
    let n = contents.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
}

/// The minimal two's-complement bytes of `v`.
fn integer_bytes(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

/// The minimal unsigned bytes of `v` (a leading zero when the top bit is set).
fn unsigned_bytes(v: u32) -> Vec<u8> {
    integer_bytes(i64::from(v))
}

/// The contents of an OBJECT IDENTIFIER (first two arcs combined, base-128 arcs).
fn oid_bytes(oid: &[u32]) -> Vec<u8> {
    let mut out = Vec::new();
    let (a, b) = (
        oid.first().copied().unwrap_or(0),
        oid.get(1).copied().unwrap_or(0),
    );
    let mut arcs = vec![a * 40 + b];
    arcs.extend(oid.iter().skip(2));
    for arc in arcs {
        let mut chunk = Vec::new();
        let mut v = arc;
        chunk.push((v & 0x7f) as u8);
        v >>= 7;
        while v > 0 {
            chunk.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        chunk.reverse();
        out.extend(chunk);
    }
    out
}

/// Appends the encoding of `value`.
pub fn value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Integer(v) => tlv(out, 0x02, &integer_bytes(*v)),
        Value::Octets(b) => tlv(out, 0x04, b),
        Value::Oid(o) => tlv(out, 0x06, &oid_bytes(o)),
        Value::IpAddress(a) => tlv(out, 0x40, a),
        Value::Gauge(v) => tlv(out, 0x42, &unsigned_bytes(*v)),
        Value::TimeTicks(v) => tlv(out, 0x43, &unsigned_bytes(*v)),
    }
}

/// Parses a dotted OID (`1.3.6.1.2.1.68.0.1`); `None` if it is not one.
pub fn parse_oid(s: &str) -> Option<Vec<u32>> {
    let arcs: Option<Vec<u32>> = s.split('.').map(|a| a.parse().ok()).collect();
    arcs.filter(|a| a.len() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: Value) -> Vec<u8> {
        let mut out = Vec::new();
        value(&mut out, &v);
        out
    }

    /// Encodings from X.690's rules, worked by hand.
    #[test]
    fn known_encodings() {
        assert_eq!(enc(Value::Integer(0)), [0x02, 1, 0]);
        assert_eq!(enc(Value::Integer(127)), [0x02, 1, 0x7f]);
        assert_eq!(enc(Value::Integer(128)), [0x02, 2, 0, 0x80]);
        assert_eq!(enc(Value::Integer(-1)), [0x02, 1, 0xff]);
        assert_eq!(enc(Value::Integer(-129)), [0x02, 2, 0xff, 0x7f]);
        assert_eq!(
            enc(Value::Gauge(u32::MAX)),
            [0x42, 5, 0, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            enc(Value::Oid(vec![1, 3, 6, 1, 4, 1, 9586])),
            [0x06, 7, 0x2b, 6, 1, 4, 1, 0xca, 0x72]
        );
        let mut long = Vec::new();
        tlv(&mut long, 0x04, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
    }
}
