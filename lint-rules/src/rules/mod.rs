//! The rules, one per file.

mod advert_int_mismatch_in_sync_group;
mod all_real_servers_weight_zero;
mod connect_timeout_not_below_delay_loop;
mod dropped_address_suffix;
mod duplicate_vip;
mod duplicate_virtual_server;
mod duplicate_vrrp_script;
mod extra_words;
mod fwmark_persistence_without_granularity;
mod long_line;
mod master_without_priority;
mod plaintext_auth_pass;
mod real_server_weight_zero;
mod retries_exceed_delay_loop;
mod sorry_server_is_real_server;
mod undefined_virtual_server_group;
mod unused_vrrp_script;
mod vip_without_prefix;
mod vrrp_script_without_weight_or_fall;

use crate::Rule;

/// All rules, sorted by name.
pub static ALL: &[Rule] = &[
    Rule {
        name: advert_int_mismatch_in_sync_group::NAME,
        level: advert_int_mismatch_in_sync_group::LEVEL,
        doc: advert_int_mismatch_in_sync_group::DOC,
        check: advert_int_mismatch_in_sync_group::check,
    },
    Rule {
        name: all_real_servers_weight_zero::NAME,
        level: all_real_servers_weight_zero::LEVEL,
        doc: all_real_servers_weight_zero::DOC,
        check: all_real_servers_weight_zero::check,
    },
    Rule {
        name: connect_timeout_not_below_delay_loop::NAME,
        level: connect_timeout_not_below_delay_loop::LEVEL,
        doc: connect_timeout_not_below_delay_loop::DOC,
        check: connect_timeout_not_below_delay_loop::check,
    },
    Rule {
        name: dropped_address_suffix::NAME,
        level: dropped_address_suffix::LEVEL,
        doc: dropped_address_suffix::DOC,
        check: dropped_address_suffix::check,
    },
    Rule {
        name: duplicate_vip::NAME,
        level: duplicate_vip::LEVEL,
        doc: duplicate_vip::DOC,
        check: duplicate_vip::check,
    },
    Rule {
        name: duplicate_virtual_server::NAME,
        level: duplicate_virtual_server::LEVEL,
        doc: duplicate_virtual_server::DOC,
        check: duplicate_virtual_server::check,
    },
    Rule {
        name: duplicate_vrrp_script::NAME,
        level: duplicate_vrrp_script::LEVEL,
        doc: duplicate_vrrp_script::DOC,
        check: duplicate_vrrp_script::check,
    },
    Rule {
        name: extra_words::NAME,
        level: extra_words::LEVEL,
        doc: extra_words::DOC,
        check: extra_words::check,
    },
    Rule {
        name: fwmark_persistence_without_granularity::NAME,
        level: fwmark_persistence_without_granularity::LEVEL,
        doc: fwmark_persistence_without_granularity::DOC,
        check: fwmark_persistence_without_granularity::check,
    },
    Rule {
        name: long_line::NAME,
        level: long_line::LEVEL,
        doc: long_line::DOC,
        check: long_line::check,
    },
    Rule {
        name: master_without_priority::NAME,
        level: master_without_priority::LEVEL,
        doc: master_without_priority::DOC,
        check: master_without_priority::check,
    },
    Rule {
        name: plaintext_auth_pass::NAME,
        level: plaintext_auth_pass::LEVEL,
        doc: plaintext_auth_pass::DOC,
        check: plaintext_auth_pass::check,
    },
    Rule {
        name: real_server_weight_zero::NAME,
        level: real_server_weight_zero::LEVEL,
        doc: real_server_weight_zero::DOC,
        check: real_server_weight_zero::check,
    },
    Rule {
        name: retries_exceed_delay_loop::NAME,
        level: retries_exceed_delay_loop::LEVEL,
        doc: retries_exceed_delay_loop::DOC,
        check: retries_exceed_delay_loop::check,
    },
    Rule {
        name: sorry_server_is_real_server::NAME,
        level: sorry_server_is_real_server::LEVEL,
        doc: sorry_server_is_real_server::DOC,
        check: sorry_server_is_real_server::check,
    },
    Rule {
        name: undefined_virtual_server_group::NAME,
        level: undefined_virtual_server_group::LEVEL,
        doc: undefined_virtual_server_group::DOC,
        check: undefined_virtual_server_group::check,
    },
    Rule {
        name: unused_vrrp_script::NAME,
        level: unused_vrrp_script::LEVEL,
        doc: unused_vrrp_script::DOC,
        check: unused_vrrp_script::check,
    },
    Rule {
        name: vip_without_prefix::NAME,
        level: vip_without_prefix::LEVEL,
        doc: vip_without_prefix::DOC,
        check: vip_without_prefix::check,
    },
    Rule {
        name: vrrp_script_without_weight_or_fall::NAME,
        level: vrrp_script_without_weight_or_fall::LEVEL,
        doc: vrrp_script_without_weight_or_fall::DOC,
        check: vrrp_script_without_weight_or_fall::check,
    },
];
