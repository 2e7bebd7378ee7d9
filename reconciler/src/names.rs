//! Names iproute2 (and keepalived) accept for routing tables, route protocols, realms and DS
//! fields: built-in ones plus the host's `/etc/iproute2/rt_tables`, `rt_protos`, `rt_realms`,
//! `rt_dsfield` and their `*.d/*.conf` (and the same under `/usr/share/iproute2`, where newer
//! iproute2 keeps its defaults).

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::KAC_PROTOCOL;

/// Name tables for routing tables, route protocols, realms and DS fields.
#[derive(Clone, Debug)]
pub struct Names {
    /// Table names to numbers.
    pub tables: BTreeMap<String, u32>,
    /// Protocol names to numbers.
    pub protocols: BTreeMap<String, u8>,
    /// Realm names to numbers (`rt_realms`).
    pub realms: BTreeMap<String, u32>,
    /// DS field (TOS) names to numbers (`rt_dsfield`).
    pub dsfields: BTreeMap<String, u32>,
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
        let realms = [("cosmos".to_string(), 0)].into_iter().collect();
        Names {
            tables,
            protocols,
            realms,
            dsfields: BTreeMap::new(),
        }
    }
}

impl Names {
    /// The built-in names plus those of the host's iproute2 configuration files.
    pub fn from_host() -> Self {
        let mut names = Names::default();
        for dir in ["/usr/share/iproute2", "/usr/lib/iproute2", "/etc/iproute2"] {
            let dir = Path::new(dir);
            for (file, sub) in [
                ("rt_tables", "rt_tables.d"),
                ("rt_protos", "rt_protos.d"),
                ("rt_realms", "rt_realms.d"),
                ("rt_dsfield", "rt_dsfield.d"),
            ] {
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
                        } else if file == "rt_realms" {
                            read_table(&text, &mut names.realms);
                        } else if file == "rt_dsfield" {
                            read_table(&text, &mut names.dsfields);
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

    /// Route realms `[FROM/]TO` (numbers, decimal or hex, or known names) as `RTA_FLOW`:
    /// FROM << 16 | TO.
    pub fn realms(&self, s: &str) -> Option<u32> {
        let one = |r: &str| {
            number(r)
                .or_else(|| self.realms.get(r).copied())
                .filter(|v| *v <= 0xffff)
        };
        match s.split_once('/') {
            Some((from, to)) => Some((one(from)? << 16) | one(to)?),
            None => one(s),
        }
    }

    /// A DS field (TOS) value: a number (decimal or hex) or a known name.
    pub fn dsfield(&self, s: &str) -> Option<u8> {
        number(s)
            .or_else(|| self.dsfields.get(s).copied())
            .and_then(|v| u8::try_from(v).ok())
    }
}

/// A decimal or `0x` hexadecimal number.
fn number(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
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
        assert_eq!(n.realms("3/4"), Some((3 << 16) | 4));
        assert_eq!(n.realms("0x10"), Some(16));
        assert_eq!(n.realms("cosmos/7"), Some(7));
        assert_eq!(n.realms("nosuch"), None);
        assert_eq!(n.dsfield("0x10"), Some(16));
    }
}
