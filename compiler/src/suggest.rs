//! "did you mean" suggestions.

/// The candidate closest to `word` by edit distance, if close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.len() / 3).clamp(1, 4);
    if word.len() > 64 {
        return None;
    }
    candidates
        .filter(|c| c.len().abs_diff(word.len()) <= limit)
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Where a keyword that is unknown in one block belongs, for common misplacements.
pub fn block_of(word: &str) -> Option<&'static str> {
    Some(match word {
        "router_id"
        | "notification_email"
        | "smtp_server"
        | "script_user"
        | "enable_script_security"
        | "vrrp_strict"
        | "vrrp_version"
        | "lvs_timeouts" => "`global_defs`",
        "net_namespace" | "instance" | "use_pid_dir" | "child_wait_time" => {
            "the top level (outside `global_defs`)"
        }
        "virtual_router_id" | "priority" | "advert_int" | "virtual_ipaddress" | "unicast_peer" => {
            "`vrrp_instance`"
        }
        "lb_algo" | "lb_kind" | "real_server" | "delay_loop" | "persistence_timeout" => {
            "`virtual_server`"
        }
        "TCP_CHECK" | "HTTP_GET" | "SSL_GET" | "MISC_CHECK" => "`real_server`",
        _ => return None,
    })
}

/// Edit distance between two strings.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_typos_only() {
        let kws = ["priority", "interface", "state"];
        assert_eq!(closest("priorty", kws.iter().copied()), Some("priority"));
        assert_eq!(closest("zzzzzzzz", kws.iter().copied()), None);
    }
}
