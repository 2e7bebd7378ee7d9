//! Facts about the machine `kac check` runs on (the compiler never asks the machine itself).

/// keepalived's default config id: the host name up to the first dot.
pub fn default_config_id() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim().split('.').next().unwrap_or("").to_string()
}

/// The network interfaces of this network namespace.
pub fn interfaces() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/sys/class/net")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Whether a user exists in /etc/passwd.
pub fn user_exists(name: &str) -> bool {
    std::fs::read_to_string("/etc/passwd")
        .map(|t| t.lines().any(|l| l.split(':').next() == Some(name)))
        .unwrap_or(false)
}

/// Whether `path` is an executable file (scripts keepalived would run). A bare name is looked
/// up in `PATH`, as keepalived does; a relative path is taken from the working directory.
pub fn executable_exists(path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let is_exe = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if path.contains('/') {
        return is_exe(std::path::Path::new(path));
    }
    let dirs = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&dirs).any(|d| is_exe(&d.join(path)))
}

/// Why `program`, run as `user` (`user[:group]`; `None`: keepalived's default user), is
/// unsafe under `enable_script_security` on this machine (keepalived's rules,
/// `kac_reconciler::script::security`), or `None` when it is safe or cannot be judged (a
/// user that does not exist is reported elsewhere).
pub fn script_insecure(program: &str, user: Option<&str>) -> Option<String> {
    use kac_reconciler::script::{RunAs, security};
    use kac_schema::plan::MachineValue;
    let user = user.map_or(MachineValue::DefaultScriptUser, |u| {
        MachineValue::Set(u.into())
    });
    let run_as = RunAs::resolve(&user, false).ok()?;
    match security::check(program, run_as, true) {
        Err(security::Refusal::Insecure { insecure, .. }) => Some(insecure.to_string()),
        _ => None,
    }
}

/// The VRF devices among the interfaces (`DEVTYPE=vrf` in sysfs).
pub fn vrfs() -> Vec<String> {
    interfaces()
        .into_iter()
        .filter(|n| {
            std::fs::read_to_string(format!("/sys/class/net/{n}/uevent"))
                .is_ok_and(|u| u.lines().any(|l| l == "DEVTYPE=vrf"))
        })
        .collect()
}
