//! The rules, one per file.

mod dropped_address_suffix;
mod extra_words;
mod long_line;
mod master_without_priority;

use crate::Rule;

/// All rules, sorted by name.
pub static ALL: &[Rule] = &[
    Rule {
        name: dropped_address_suffix::NAME,
        level: dropped_address_suffix::LEVEL,
        doc: dropped_address_suffix::DOC,
        check: dropped_address_suffix::check,
    },
    Rule {
        name: extra_words::NAME,
        level: extra_words::LEVEL,
        doc: extra_words::DOC,
        check: extra_words::check,
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
];
