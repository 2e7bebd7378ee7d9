//! Who a script runs as: the plan's symbolic user ([`MachineValue`]) resolved on this machine.

use kac_schema::plan::MachineValue;
use nix::unistd::{Gid, Group, Uid, User};

/// keepalived's default script user, used when it exists.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// The user and group a script runs as (numeric, resolved).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RunAs {
    /// User id.
    pub uid: u32,
    /// Group id (the only group: supplementary groups are dropped, as keepalived does).
    pub gid: u32,
}

/// Why a script user cannot be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// No such user in the system's user database.
    #[error("script user `{0}` does not exist")]
    NoSuchUser(String),
    /// No such group.
    #[error("script group `{0}` does not exist")]
    NoSuchGroup(String),
    /// The default user is missing while `enable_script_security` is on: keepalived refuses
    /// to fall back to root then (`Unable to set default user keepalived_script for script`).
    #[error(
        "the default script user `keepalived_script` does not exist and `enable_script_security` forbids falling back to root"
    )]
    NoDefaultUser,
    /// The user database could not be read.
    #[error("cannot look up script user `{name}`: {reason}")]
    Lookup {
        /// The name looked up.
        name: String,
        /// The system's error.
        reason: String,
    },
}

impl RunAs {
    /// root:root.
    pub const ROOT: RunAs = RunAs { uid: 0, gid: 0 };

    /// Whether this runs with root's user or group (keepalived then requires the script's
    /// path to be safe, see [`super::security`]).
    pub fn is_privileged(self) -> bool {
        self.uid == 0 || self.gid == 0
    }

    /// Resolves a user name and an optional group name (the user's primary group without one).
    pub fn from_names(user: &str, group: Option<&str>) -> Result<RunAs, UserError> {
        let u = User::from_name(user)
            .map_err(|e| UserError::Lookup {
                name: user.to_string(),
                reason: e.desc().to_string(),
            })?
            .ok_or_else(|| UserError::NoSuchUser(user.to_string()))?;
        let gid = match group {
            None => u.gid,
            Some(g) => {
                Group::from_name(g)
                    .map_err(|e| UserError::Lookup {
                        name: g.to_string(),
                        reason: e.desc().to_string(),
                    })?
                    .ok_or_else(|| UserError::NoSuchGroup(g.to_string()))?
                    .gid
            }
        };
        Ok(RunAs {
            uid: u.uid.as_raw(),
            gid: gid.as_raw(),
        })
    }

    /// Resolves the plan's script user: `Set("user")` or `Set("user:group")` (how the plan
    /// writes `script_user USER GROUP` and a script's own `USER [GROUP]`), or
    /// `DefaultScriptUser`: `keepalived_script` if it exists, else the daemon's own user
    /// (root) — unless `script_security` is on, where keepalived refuses the fallback.
    pub fn resolve(user: &MachineValue, script_security: bool) -> Result<RunAs, UserError> {
        match user {
            MachineValue::Set(spec) => {
                let (u, g) = split_user_group(spec);
                RunAs::from_names(u, g)
            }
            MachineValue::DefaultScriptUser | MachineValue::HostName => {
                match RunAs::from_names(DEFAULT_SCRIPT_USER, None) {
                    Ok(r) => Ok(r),
                    Err(UserError::NoSuchUser(_)) if script_security => {
                        Err(UserError::NoDefaultUser)
                    }
                    Err(UserError::NoSuchUser(_)) => Ok(RunAs::current()),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// The user and group this process runs as.
    pub fn current() -> RunAs {
        RunAs {
            uid: Uid::effective().as_raw(),
            gid: Gid::effective().as_raw(),
        }
    }
}

/// Splits the plan's `user[:group]`.
pub fn split_user_group(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once(':') {
        Some((u, g)) if !g.is_empty() => (u, Some(g)),
        Some((u, _)) => (u, None),
        None => (spec, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_resolves_by_name_and_with_a_group() {
        assert_eq!(RunAs::from_names("root", None), Ok(RunAs::ROOT));
        assert_eq!(RunAs::from_names("root", Some("root")), Ok(RunAs::ROOT));
        assert_eq!(
            RunAs::resolve(&MachineValue::Set("root:root".into()), true),
            Ok(RunAs::ROOT)
        );
    }

    #[test]
    fn nobody_gets_its_own_ids() {
        // Debian's nobody is 65534:65534 (nogroup).
        let r = RunAs::from_names("nobody", None).expect("nobody exists");
        assert_eq!(r.uid, 65534);
        assert!(!r.is_privileged());
    }

    #[test]
    fn unknown_names_are_errors() {
        assert_eq!(
            RunAs::from_names("kac-no-such-user", None),
            Err(UserError::NoSuchUser("kac-no-such-user".into()))
        );
        assert_eq!(
            RunAs::from_names("root", Some("kac-no-such-group")),
            Err(UserError::NoSuchGroup("kac-no-such-group".into()))
        );
    }

    #[test]
    fn the_default_user_falls_back_to_ourselves_unless_security_is_on() {
        if User::from_name(DEFAULT_SCRIPT_USER)
            .ok()
            .flatten()
            .is_some()
        {
            return; // this machine has keepalived_script: nothing to fall back from
        }
        assert_eq!(
            RunAs::resolve(&MachineValue::DefaultScriptUser, false),
            Ok(RunAs::current())
        );
        assert_eq!(
            RunAs::resolve(&MachineValue::DefaultScriptUser, true),
            Err(UserError::NoDefaultUser)
        );
    }

    #[test]
    fn user_group_split() {
        assert_eq!(split_user_group("a"), ("a", None));
        assert_eq!(split_user_group("a:b"), ("a", Some("b")));
        assert_eq!(split_user_group("a:"), ("a", None));
    }
}
