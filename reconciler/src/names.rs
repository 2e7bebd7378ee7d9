//! Names iproute2 (and keepalived) accept for routing tables and route protocols:
//! built-in ones plus the host's `/etc/iproute2/rt_tables`, `rt_tables.d/*.conf`, `rt_protos`
//! and `rt_protos.d/*.conf` (and the same under `/usr/share/iproute2`, where newer iproute2
//! keeps its defaults).

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::KAC_PROTOCOL;

/// Name tables for routing tables and route protocols.
#[derive(Clone, Debug)]
pub struct Names {
    /// Table names to numbers.
    pub tables: BTreeMap<String, u32>,
    /// Protocol names to numbers.
    pub protocols: BTreeMap<String, u8>,
}

impl Default for Names {
    /// The built-in names only (no files read).
    fn default() -> Self {
        let tables = [
            ("unspec", 0),
            ("default", 253),
            ("main", 254),
            ("local", 255),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
        let protocols = [
            ("unspec", 0),
            ("redirect", 1),
            ("kernel", 2),
            ("boot", 3),
            ("static", 4),
            ("gated", 8),
            ("ra", 9),
            ("mrt", 10),
            ("zebra", 11),
            ("bird", 12),
            ("dnrouted", 13),
            ("xorp", 14),
            ("ntk", 15),
            ("dhcp", 16),
            ("keepalived", 18),
            ("babel", 42),
            ("openr", 99),
            ("bgp", 186),
            ("isis", 187),
            ("ospf", 188),
            ("rip", 189),
            ("eigrp", 192),
            ("kac", KAC_PROTOCOL),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
        Names { tables, protocols }
    }
}

impl Names {
    /// The built-in names plus those of the host's iproute2 configuration files.
    pub fn from_host() -> Self {
        let mut names = Names::default();
        for dir in ["/usr/share/iproute2", "/usr/lib/iproute2", "/etc/iproute2"] {
            let dir = Path::new(dir);
            for (file, sub) in [("rt_tables", "rt_tables.d"), ("rt_protos", "rt_protos.d")] {
                let mut files = vec![dir.join(file)];
                if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
                    let mut extra: Vec<_> = entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
                        .collect();
                    extra.sort();
                    files.extend(extra);
                }
                for f in files {
                    if let Ok(text) = std::fs::read_to_string(&f) {
                        if file == "rt_tables" {
                            read_table(&text, &mut names.tables);
                        } else {
                            let mut p = BTreeMap::new();
                            read_table(&text, &mut p);
                            for (n, v) in p {
                                if let Ok(v) = u8::try_from(v) {
                                    names.protocols.insert(n, v);
                                }
                            }
                        }
                    }
                }
            }
        }
        names
    }

    /// A routing table: a number or a known name.
    pub fn table(&self, s: &str) -> Option<u32> {
        s.parse().ok().or_else(|| self.tables.get(s).copied())
    }

    /// A route protocol: a number or a known name.
    pub fn protocol(&self, s: &str) -> Option<u8> {
        s.parse().ok().or_else(|| self.protocols.get(s).copied())
    }
}

/// Reads `NUMBER NAME` lines (`#` comments) into `into`.
fn read_table(text: &str, into: &mut BTreeMap<String, u32>) {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut w = line.split_whitespace();
        if let (Some(num), Some(name)) = (w.next(), w.next()) {
            let num = num
                .strip_prefix("0x")
                .map_or_else(|| num.parse().ok(), |h| u32::from_str_radix(h, 16).ok());
            if let Some(n) = num {
                into.insert(name.to_string(), n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_names_and_comments() {
        let mut t = BTreeMap::new();
        read_table("# c\n100 web # x\n0x10 hex\nbad\n", &mut t);
        assert_eq!(t.get("web"), Some(&100));
        assert_eq!(t.get("hex"), Some(&16));
        assert_eq!(t.len(), 2);
        let n = Names::default();
        assert_eq!(n.table("main"), Some(254));
        assert_eq!(n.table("7"), Some(7));
        assert_eq!(n.table("nosuch"), None);
        assert_eq!(n.protocol("keepalived"), Some(18));
        assert_eq!(n.protocol("kac"), Some(KAC_PROTOCOL));
    }
}
