//! What the runtime carries out, keyword by keyword. "Nothing accepted silently": every
//! keyword the compiler accepts is either carried out (by `kac apply` and `kac daemon`), or
//! has no effect for a stated reason, or is refused with a diagnostic naming it (the binary
//! turns a configuration's keywords into those diagnostics; `kac apply` leaves VRRP and
//! health checking to the daemon instead of refusing them). A test checks that every keyword
//! of `fixtures/keywords.tsv` has an entry here.
//!
//! Keywords are named as the parser records them: the keyword of the enclosing block
//! (`top` at the top level) and the keyword itself.

/// What the runtime does with a keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Carried out (static addresses, routes and rules, IPVS services and real servers at
    /// their configured weights, IPVS timeouts and flushes).
    Done,
    /// Accepted without effect, for the reason given.
    NoEffect(&'static str),
    /// Carried out by `kac daemon` (the VRRP engine, health checking); `kac apply` leaves it to
    /// the daemon (real servers at their configured weights).
    Daemon(&'static str),
    /// The VRRP engine's, not carried out yet: `kac daemon` refuses it, `kac apply` leaves it
    /// to the daemon.
    Vrrp(&'static str),
    /// Health checking's, not implemented yet: `kac daemon` refuses it, `kac apply` applies
    /// real servers at their configured weights and leaves it to the daemon.
    Checker(&'static str),
    /// Not carried out by kac at all: refused by `kac daemon` and `kac apply`.
    Refused(&'static str),
    /// Inside a block whose own keyword decides (a `vrrp_instance`, a checker, …).
    Inside,
}

use Support::*;

const PROCESS: Support = NoEffect(
    "it tunes keepalived's own processes; kac's daemon is one process: set its priority, memory locking and limits in its systemd unit",
);
const MAIL: Support = Daemon("alert e-mail settings");
const VRRP_GLOBAL: Support = Daemon("VRRP settings");
const TRACKING: Support =
    Daemon("tracked objects (track_interface, track_script, track_file, track_process)");
const NOTIFY: Support = Daemon("notify scripts");
const PRIORITY_FIFO: Support = Daemon(
    "priority-change lines in notify FIFOs (`INSTANCE \"VI_1\" MASTER_PRIORITY 90`; notify scripts are not called on priority changes, as in keepalived)",
);
const CHECK_SETTING: Support = Daemon("health checking settings");
const HTTP_SETTING: Support = Daemon("the virtual host of HTTP_GET and SSL_GET checkers");
const RELOAD: Support = NoEffect(
    "it is about how keepalived reads and reloads its configuration; kac reads revisions from its source",
);
const SCRIPT_SETTING: Support = Daemon(
    "the user and security rules of scripts (VRRP track and notify scripts, MISC_CHECK, notify_up/notify_down, quorum_up/quorum_down)",
);
const SNMP: Support = Refused(
    "kac has no SNMP agent (no MIB to walk); it sends traps only, with `enable_traps` (docs/alerts.md)",
);
const TRAPS: Support = Daemon("SNMP traps (sent to `kac daemon --trap-sink`)");
const DBUS: Support = Refused("kac has no DBus interface");
const FIFO: Support = Daemon("notify FIFOs");
const SMTP: Support = Daemon("alert e-mails");

/// What the runtime does with `keyword` written in `block` (`None`: unknown to this table,
/// which a test prevents for every keyword the compiler accepts).
pub fn support(block: &str, keyword: &str) -> Option<Support> {
    match block {
        "top" => top(keyword),
        "global_defs" => global(keyword),
        "virtual_server" => virtual_server(keyword),
        "real_server" => real_server(keyword),
        "vrrp_instance" => vrrp_instance(keyword),
        "vrrp_sync_group" => sync_group(keyword),
        "authentication" => Some(Daemon("VRRPv2 authentication (PASS; AH is refused)")),
        _ => Some(Inside),
    }
}

fn top(k: &str) -> Option<Support> {
    Some(match k {
        "global_defs"
        | "static_ipaddress"
        | "static_routes"
        | "static_rules"
        | "virtual_server_group"
        | "virtual_server" => Done,
        "include" | "includer" | "includem" | "includew" | "includeb" | "includea" => Done,
        "net_namespace" | "net_namespace_ipvs" => Refused(
            "kac works in the network namespace it is started in: start it inside the namespace (`ip netns exec NAME kac …`)",
        ),
        "namespace_with_ipsets" => NoEffect("it applies with `net_namespace`, which is refused"),
        "instance" | "use_pid_dir" | "child_wait_time" => PROCESS,
        "linkbeat_use_polling" | "linkbeat_interfaces" => {
            Refused("link beat (MII/ethtool polling) is not implemented")
        }
        "vrrp_instance" => Daemon("VRRP instances"),
        "vrrp_sync_group" => Daemon("VRRP sync groups"),
        "vrrp_script" => Daemon("VRRP track scripts"),
        "vrrp_track_process" => Daemon("process tracking"),
        "track_file" | "vrrp_track_file" => Daemon("track files"),
        "track_group" => Daemon(
            "track groups (the instances of a static address's, route's or rule's `track_group` are in FAULT while its interface is down)",
        ),
        "garp_group" => Daemon(
            "gratuitous ARP groups (each interface named gets the intervals; with `interfaces`, kac paces each interface on its own instead of across the group)",
        ),
        "interface_up_down_delays" => Daemon(
            "interface up/down delays (a tracked or instance interface's change is acted upon after its delay)",
        ),
        "bfd_instance" => Refused("BFD is not implemented"),
        "SSL" => Daemon("the client identity of SSL_GET checkers"),
        _ => return None,
    })
}

fn global(k: &str) -> Option<Support> {
    Some(match k {
        "lvs_timeouts" | "lvs_flush" | "lvs_flush_on_stop" | "lvs_flush_onstop" => Done,
        "dynamic_interfaces" | "default_interface" => Done,
        // It names the host in the daemon's alerts; nothing for `kac apply` to warn about.
        "router_id" => Done,
        "notification_email"
        | "notification_email_from"
        | "smtp_server"
        | "smtp_helo_name"
        | "smtp_connect_timeout"
        | "no_email_faults" => MAIL,
        "no_checker_emails" => NoEffect(
            "kac mails real server up/down changes only, never each checker's own change (what `no_checker_emails` asks for)",
        ),
        "smtp_alert" | "smtp_alert_vrrp" | "smtp_alert_checker" => SMTP,
        "checker_log_all_failures" => NoEffect(
            "kac logs every failed attempt of a checker with the checker's own `log_all_failures`; the global switch is not read",
        ),
        "rs_init_notifies" => Daemon("notify_up/notify_down for each real server's initial state"),
        "process_names"
        | "process_name"
        | "vrrp_process_name"
        | "checker_process_name"
        | "lvs_process_name"
        | "bfd_process_name"
        | "vrrp_priority"
        | "checker_priority"
        | "bfd_priority"
        | "vrrp_no_swap"
        | "checker_no_swap"
        | "bfd_no_swap"
        | "vrrp_rt_priority"
        | "checker_rt_priority"
        | "bfd_rt_priority"
        | "vrrp_cpu_affinity"
        | "checker_cpu_affinity"
        | "bfd_cpu_affinity"
        | "vrrp_rlimit_rttime"
        | "checker_rlimit_rttime"
        | "bfd_rlimit_rttime"
        | "vrrp_rlimit_rtime"
        | "checker_rlimit_rtime"
        | "bfd_rlimit_rtime"
        | "max_auto_priority"
        | "min_auto_priority_delay"
        | "umask"
        | "random_seed" => PROCESS,
        "startup_script"
        | "startup_script_timeout"
        | "shutdown_script"
        | "shutdown_script_timeout" => Refused("start-up and shutdown scripts are not run by kac"),
        "script_user" | "enable_script_security" => SCRIPT_SETTING,
        "notify_fifo"
        | "notify_fifo_script"
        | "vrrp_notify_fifo"
        | "vrrp_notify_fifo_script"
        | "lvs_notify_fifo"
        | "lvs_notify_fifo_script" => FIFO,
        "fifo_write_vrrp_states_on_reload" => Daemon(
            "writing the sync groups' and instances' states to the notify FIFOs when a revision is applied",
        ),
        "enable_traps" => TRAPS,
        "snmp_socket" => NoEffect(
            "it names keepalived's AgentX socket; kac has no SNMP agent and sends its traps to `kac daemon --trap-sink`",
        ),
        "enable_snmp_vrrp"
        | "enable_snmp_keepalived"
        | "enable_snmp_rfc"
        | "enable_snmp_rfcv2"
        | "enable_snmp_rfcv3"
        | "enable_snmp_checker" => SNMP,
        "enable_dbus" | "dbus_service_name" => DBUS,
        "reload_check_config"
        | "reload_time_file"
        | "reload_repeat"
        | "reload_file"
        | "tmp_config_directory"
        | "data_use_instance"
        | "include_check"
        | "config_save_dir" => RELOAD,
        "vrrp_mcast_group4"
        | "vrrp_mcast_group6"
        | "vrrp_version"
        | "vrrp_garp_master_delay"
        | "vrrp_garp_master_repeat"
        | "vrrp_garp_master_refresh"
        | "vrrp_garp_master_refresh_repeat"
        | "vrrp_garp_interval"
        | "vrrp_gna_interval"
        | "vrrp_garp_lower_prio_delay"
        | "vrrp_garp_lower_prio_repeat"
        | "vrrp_min_garp"
        | "vrrp_skip_check_adv_addr"
        | "vrrp_down_timer_adverts"
        | "vrrp_lower_prio_no_advert"
        | "vrrp_higher_prio_send_advert" => VRRP_GLOBAL,
        "vrrp_check_unicast_src" => Daemon(
            "unicast adverts are always checked against `unicast_peer` (kac accepts no others)",
        ),
        "log_unknown_vrids" => NoEffect("kac does not log adverts of VRIDs it does not run"),
        "vrrp_rx_bufs_policy"
        | "vrrp_rx_bufs_multiplier"
        | "vrrp_netlink_cmd_rcv_bufs"
        | "vrrp_netlink_cmd_rcv_bufs_force"
        | "vrrp_netlink_monitor_rcv_bufs"
        | "vrrp_netlink_monitor_rcv_bufs_force"
        | "process_monitor_rcv_bufs"
        | "process_monitor_rcv_bufs_force" => {
            NoEffect("keepalived's socket buffer sizes; kac sizes its own")
        }
        "vrrp_strict" => Daemon(
            "strict mode (`no_accept` below priority 255: nf_tables rules in kac's own `kac` tables)",
        ),
        "vrrp_iptables" | "vrrp_ipsets" | "nftables" | "nftables_priority" | "nftables_ifindex"
        | "nftables_counters" => Vrrp(
            "keepalived's firewall table settings (kac writes its `no_accept` rules in its own `ip kac`/`ip6 kac` tables at priority filter - 1)",
        ),
        "vrrp_garp_extra_if" | "vrrp_vmac_garp_intvl" => Vrrp(
            "periodic gratuitous ARPs on other interfaces than the instance's (`vrrp_garp_extra_if`)",
        ),
        "vrrp_startup_delay" => Daemon(
            "a delay after the daemon starts before VRRP instances may become master (`vrrp_startup_delay`)",
        ),
        "disable_local_igmp" => Daemon(
            "`disable_local_igmp` (net.ipv4.igmp_link_local_mcast_reports=0 while VRRP instances run, restored at stop)",
        ),
        "vmac_prefix" => {
            Daemon("the names of VMAC interfaces (`use_vmac` without a name: PREFIX.VRID)")
        }
        "vmac_addr_prefix" => NoEffect(
            "it names the VMACs of virtual addresses with `use_vmac`, which `kac daemon` refuses",
        ),
        "vrrp_notify_priority_changes" => PRIORITY_FIFO,
        "lvs_netlink_cmd_rcv_bufs"
        | "lvs_netlink_cmd_rcv_bufs_force"
        | "lvs_netlink_monitor_rcv_bufs"
        | "lvs_netlink_monitor_rcv_bufs_force" => {
            NoEffect("keepalived's netlink buffer sizes; kac sizes its own")
        }
        "nftables_ipvs" | "nftables_ipvs_priority" | "nftables_ipvs_start_fwmark" => {
            Refused("kac writes no nftables rules for IPVS")
        }
        "lvs_sync_daemon" => Daemon(
            "IPVS connection sync daemons (master while the named VRRP instance is master, backup otherwise)",
        ),
        _ => return None,
    })
}

fn vrrp_instance(k: &str) -> Option<Support> {
    Some(match k {
        "state"
        | "interface"
        | "virtual_router_id"
        | "priority"
        | "advert_int"
        | "version"
        | "native_ipv6"
        | "authentication"
        | "virtual_ipaddress"
        | "virtual_ipaddress_excluded"
        | "virtual_routes"
        | "virtual_rules"
        | "unicast_src_ip"
        | "unicast_peer"
        | "mcast_src_ip"
        | "nopreempt"
        | "preempt"
        | "preempt_delay"
        | "accept" => Daemon("VRRP instances"),
        "check_unicast_src" => Daemon(
            "unicast adverts are always checked against `unicast_peer` (kac accepts no others)",
        ),
        "kernel_rx_buf_size" => NoEffect("keepalived's socket buffer size; kac sizes its own"),
        "debug" => NoEffect("keepalived's debug level; kac logs with tracing (KAC_LOG)"),
        "track_interface" | "track_script" | "track_file" | "track_process" => TRACKING,
        "track_bfd" => Refused("BFD is not implemented"),
        "notify_master"
        | "notify_backup"
        | "notify_fault"
        | "notify_stop"
        | "notify_master_rx_lower_pri"
        | "notify" => NOTIFY,
        "notify_deleted" => NOTIFY,
        "notify_priority_changes" => PRIORITY_FIFO,
        "smtp_alert" => SMTP,
        "linkbeat_use_polling" => Refused("link beat (MII/ethtool polling) is not implemented"),
        "lvs_sync_daemon_interface" => Daemon(
            "IPVS connection sync daemons (master while this VRRP instance is master, backup otherwise)",
        ),
        "use_vmac" | "vmac_xmit_base" => Daemon("VMAC interfaces"),
        "use_vmac_addr" | "use_ipvlan" | "garp_extra_if" | "vmac_garp_intvl" => Vrrp(
            "`use_vmac_addr`, ipvlan interfaces and extra gratuitous ARPs on VMAC base interfaces",
        ),
        "no_accept" | "strict_mode" => Daemon(
            "`no_accept` and strict mode (nf_tables rules drop traffic to and from a master's virtual addresses)",
        ),
        "garp_master_delay"
        | "garp_master_repeat"
        | "garp_master_refresh"
        | "garp_master_refresh_repeat"
        | "garp_lower_prio_delay"
        | "garp_lower_prio_repeat" => Daemon("gratuitous ARP timings"),
        "unicast_ttl"
        | "mcast_dst_ip"
        | "dont_track_primary"
        | "skip_check_adv_addr"
        | "lower_prio_no_advert"
        | "higher_prio_send_advert"
        | "down_timer_adverts" => Daemon("VRRP instances"),
        "vrf" => Vrrp("`vrf` (VRRP adverts sent and received inside a VRF)"),
        "promote_secondaries" => Daemon(
            "`promote_secondaries` (the interface's promote_secondaries sysctl while the instance runs)",
        ),
        "unicast_fault_no_peer" => {
            Daemon("`unicast_fault_no_peer` (FAULT for a unicast instance without peers)")
        }
        "old_unicast_checksum" => Daemon(
            "`old_unicast_checksum` (keepalived 1.3.6's VRRPv3 unicast checksum; old checksums are accepted unless `never`, kac does not switch to sending them by itself)",
        ),
        "track_src_ip" => Daemon("`track_src_ip` (FAULT while the source address is missing)"),
        _ => return None,
    })
}

fn sync_group(k: &str) -> Option<Support> {
    Some(match k {
        "group" => Daemon("VRRP sync groups"),
        "track_interface"
        | "track_script"
        | "track_file"
        | "track_process"
        | "sync_group_tracking_weight" => TRACKING,
        "track_bfd" => Refused("BFD is not implemented"),
        "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" | "notify" => NOTIFY,
        "notify_priority_changes" => PRIORITY_FIFO,
        "smtp_alert" => SMTP,
        "global_tracking" => TRACKING,
        _ => return None,
    })
}

fn virtual_server(k: &str) -> Option<Support> {
    Some(match k {
        "lb_algo"
        | "lvs_sched"
        | "ops"
        | "flag-1"
        | "flag-2"
        | "flag-3"
        | "sh-port"
        | "sh-fallback"
        | "mh-port"
        | "mh-fallback"
        | "hashed"
        | "lb_kind"
        | "lvs_method"
        | "protocol"
        | "ip_family"
        | "persistence_timeout"
        | "persistence_granularity"
        | "persistence_engine"
        | "weight"
        | "real_server" => Done,
        "quorum" | "hysteresis" | "quorum_up" | "quorum_down" => {
            Daemon("quorum (it depends on real servers' health)")
        }
        "sorry_server" | "sorry_server_inhibit" => {
            Daemon("the sorry server (used while the quorum is lost)")
        }
        "sorry_server_lvs_method" => Daemon("the sorry server's own forwarding method"),
        "ha_suspend" => Daemon(
            "ha_suspend (the checks pause while the virtual address is not on the host, e.g. while its VRRP instance is not master)",
        ),
        "virtualhost" => HTTP_SETTING,
        "alpha" | "omega" | "inhibit_on_failure" | "delay_loop" | "connect_timeout" | "retry"
        | "delay_before_retry" | "warmup" => CHECK_SETTING,
        "smtp_alert" => SMTP,
        "snmp_name" => NoEffect("SNMP is not served by kac"),
        _ => return None,
    })
}

fn real_server(k: &str) -> Option<Support> {
    Some(match k {
        "weight" | "lvs_method" | "uthreshold" | "lthreshold" => Done,
        "notify_up" | "notify_down" => {
            Daemon("notify_up/notify_down scripts (run on health changes)")
        }
        "inhibit_on_failure" | "alpha" | "retry" | "delay_before_retry" | "warmup"
        | "connect_timeout" | "delay_loop" => CHECK_SETTING,
        "virtualhost" => HTTP_SETTING,
        "smtp_alert" => SMTP,
        "snmp_name" => NoEffect("SNMP is not served by kac"),
        "TCP_CHECK" | "PING_CHECK" | "UDP_CHECK" | "HTTP_GET" | "SSL_GET" | "SMTP_CHECK"
        | "DNS_CHECK" | "MISC_CHECK" | "FILE_CHECK" => Daemon("health checkers"),
        "BFD_CHECK" => Refused("BFD is not implemented"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every keyword of `fixtures/keywords.tsv` that the parser reads as a keyword (not the
    /// words of address, route and rule entries) has an entry.
    #[test]
    fn every_keyword_the_compiler_accepts_is_judged() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/keywords.tsv");
        let text = std::fs::read_to_string(path).expect("keywords.tsv");
        let mut missing = Vec::new();
        let mut judged = 0;
        for line in text.lines().skip(1) {
            let mut cols = line.split('\t');
            let (Some(block), Some(keyword)) = (cols.next(), cols.next()) else {
                continue;
            };
            // Entry words and value-block entries are not keywords the parser dispatches.
            if matches!(
                block,
                "ipaddress" | "route" | "rule" | "virtual_server_group"
            ) {
                continue;
            }
            // The parser records an inner block's keywords under the block's own keyword.
            let block = block.rsplit('.').next().unwrap_or(block);
            judged += 1;
            if support(block, keyword).is_none() {
                missing.push(format!("{block} {keyword}"));
            }
        }
        assert!(judged > 300, "only {judged} keywords read");
        assert!(missing.is_empty(), "not judged: {missing:#?}");
    }

    #[test]
    fn blocks_are_judged_by_their_own_keyword() {
        assert_eq!(
            support("top", "vrrp_instance"),
            Some(Daemon("VRRP instances"))
        );
        assert_eq!(
            support("vrrp_instance", "virtual_ipaddress"),
            Some(Daemon("VRRP instances"))
        );
        assert!(matches!(
            support("vrrp_instance", "use_ipvlan"),
            Some(Vrrp(_))
        ));
        assert_eq!(support("vrrp_instance", "no_such_keyword"), None);
        assert_eq!(
            support("real_server", "TCP_CHECK"),
            Some(Daemon("health checkers"))
        );
        assert_eq!(support("TCP_CHECK", "connect_port"), Some(Inside));
        assert_eq!(support("top", "static_ipaddress"), Some(Done));
        assert_eq!(support("global_defs", "no_such_keyword"), None);
    }
}
