//! Stable diagnostic codes of the keepalived.conf front end.
//!
//! Codes are part of the CLI contract (JSON/SARIF output, `--select`, baselines): add freely,
//! never rename.

/// A keyword keepalived does not know in this block.
pub const UNKNOWN_KEYWORD: &str = "kac::conf::unknown-keyword";
/// A keyword is missing a required argument (keepalived exits 2).
pub const MISSING_PARAMETER: &str = "kac::conf::missing-parameter";
/// A word that should be a number is not one.
pub const INVALID_NUMBER: &str = "kac::conf::invalid-number";
/// A number outside the keyword's range.
pub const OUT_OF_RANGE: &str = "kac::conf::out-of-range";
/// A value that is not one of the accepted words.
pub const INVALID_VALUE: &str = "kac::conf::invalid-value";
/// An invalid IP address or prefix.
pub const INVALID_ADDRESS: &str = "kac::conf::invalid-address";
/// `{` missing at the start of a block.
pub const MISSING_BRACE: &str = "kac::conf::missing-open-brace";
/// `{` where no block starts.
pub const UNEXPECTED_BRACE: &str = "kac::conf::unexpected-open-brace";
/// `}` with no block to close.
pub const EXTRA_CLOSE_BRACE: &str = "kac::conf::extra-close-brace";
/// End of input with blocks still open.
pub const UNCLOSED_BLOCK: &str = "kac::conf::unclosed-block";
/// A `"` that is never closed.
pub const UNTERMINATED_QUOTE: &str = "kac::conf::unterminated-quote";
/// An include that names a file that does not exist or cannot be read.
pub const INCLUDE_NOT_FOUND: &str = "kac::conf::include-not-found";
/// A file that includes itself, directly or not.
pub const INCLUDE_CYCLE: &str = "kac::conf::include-cycle";
/// The configuration file cannot be read.
pub const UNREADABLE_FILE: &str = "kac::conf::unreadable-file";
/// An invalid `~SEQ`/`~LST`.
pub const INVALID_SEQUENCE: &str = "kac::conf::invalid-sequence";
/// A definition whose expansion never ends.
pub const RECURSIVE_DEFINITION: &str = "kac::conf::recursive-definition";
/// A deprecated keyword (keepalived reports it; the replacement is named in help).
pub const DEPRECATED: &str = "kac::conf::deprecated";
/// A block or item defined twice where keepalived refuses the second.
pub const DUPLICATE: &str = "kac::conf::duplicate";
/// A name that refers to something not defined (at that point).
pub const UNDEFINED_REFERENCE: &str = "kac::conf::undefined-reference";
/// A block without the name keepalived requires.
pub const MISSING_NAME: &str = "kac::conf::missing-name";
/// A required setting is missing.
pub const MISSING_SETTING: &str = "kac::conf::missing-setting";
/// Settings that contradict each other; keepalived corrects one of them.
pub const CONFLICT: &str = "kac::conf::conflict";
/// A value keepalived accepts with a correction (rounded, truncated, defaulted).
pub const CORRECTED_VALUE: &str = "kac::conf::corrected-value";
/// An interface that does not exist on the machine (`kac check` only).
pub const MISSING_INTERFACE: &str = "kac::conf::missing-interface";
/// Two VRRP instances share a VRID on one interface and family.
pub const VRID_CONFLICT: &str = "kac::conf::vrid-conflict";
/// An address of the wrong family for its context.
pub const FAMILY_MISMATCH: &str = "kac::conf::family-mismatch";
/// Scripts are configured without `enable_script_security`.
pub const SCRIPT_SECURITY: &str = "kac::conf::script-security";
/// A problem keepalived reports as a plain warning.
pub const WARNING: &str = "kac::conf::warning";
/// A feature this keepalived build (Debian's) does not support.
pub const UNSUPPORTED: &str = "kac::conf::unsupported";
/// More problems than kac keeps; the rest are counted.
pub const TOO_MANY_PROBLEMS: &str = "kac::conf::too-many-problems";
