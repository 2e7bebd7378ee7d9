//! The rules over one host, one per file.

mod front_end;

mod advert_int_mismatch_in_sync_group;
mod all_real_servers_weight_zero;
mod auth_pass_too_long;
mod connect_timeout_not_below_delay_loop;
mod deprecated_keyword;
mod dropped_address_suffix;
mod duplicate_vip;
mod duplicate_virtual_server;
mod duplicate_vrrp_script;
mod extra_words;
mod fwmark_persistence_without_granularity;
mod hysteresis_not_below_quorum;
mod long_line;
mod master_without_priority;
mod plaintext_auth_pass;
mod quorum_exceeds_total_weight;
mod real_server_port_mismatch;
mod real_server_weight_zero;
mod relative_script_path;
mod retries_exceed_delay_loop;
mod script_security_disabled;
mod sorry_server_is_real_server;
mod sync_daemon_without_instance;
mod undefined_virtual_server_group;
mod unicast_peer_is_self;
mod unknown_interface;
pub mod unused_suppression;
mod unused_vrrp_script;
mod vip_outside_subnet;
mod vip_without_prefix;
mod virtual_server_without_protocol;
mod vrrp_script_without_weight_or_fall;
mod world_writable_script;

use crate::Rule;

/// All rules, sorted by name.
pub static ALL: &[Rule] = &[
    advert_int_mismatch_in_sync_group::RULE,
    all_real_servers_weight_zero::RULE,
    auth_pass_too_long::RULE,
    connect_timeout_not_below_delay_loop::RULE,
    deprecated_keyword::RULE,
    dropped_address_suffix::RULE,
    duplicate_vip::RULE,
    duplicate_virtual_server::RULE,
    duplicate_vrrp_script::RULE,
    extra_words::RULE,
    fwmark_persistence_without_granularity::RULE,
    hysteresis_not_below_quorum::RULE,
    long_line::RULE,
    master_without_priority::RULE,
    plaintext_auth_pass::RULE,
    quorum_exceeds_total_weight::RULE,
    real_server_port_mismatch::RULE,
    real_server_weight_zero::RULE,
    relative_script_path::RULE,
    retries_exceed_delay_loop::RULE,
    script_security_disabled::RULE,
    sorry_server_is_real_server::RULE,
    sync_daemon_without_instance::RULE,
    undefined_virtual_server_group::RULE,
    unicast_peer_is_self::RULE,
    unknown_interface::RULE,
    unused_suppression::RULE,
    unused_vrrp_script::RULE,
    vip_outside_subnet::RULE,
    vip_without_prefix::RULE,
    virtual_server_without_protocol::RULE,
    vrrp_script_without_weight_or_fall::RULE,
    world_writable_script::RULE,
];
