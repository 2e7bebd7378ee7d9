//! Commands keepalived runs that are not written with an absolute path.

use kac_schema::config::VirtualServer;
use kac_schema::{Diagnostic, Severity};

use crate::scripts::{self, Command};

/// Default level.
pub const LEVEL: Severity = Severity::Warning;
/// Rule name.
pub const NAME: &str = "relative-script-path";
/// The rule.
pub const RULE: crate::Rule =
    crate::Rule::config(NAME, LEVEL, DOC, check).and_virtual_server(check_virtual_server);

/// Documentation.
pub const DOC: &str = "## What it does
Finds commands keepalived runs (`script` of a `vrrp_script`, `notify*`, `quorum_up`/`quorum_down`,
`notify_up`/`notify_down`, `misc_path`, `startup_script`, `shutdown_script`, the `*_fifo_script`
keywords) whose program is not an absolute path: a bare name (`check_haproxy.sh`) or a relative
path (`scripts/check.sh`).

## Why is this bad
keepalived 2.2.7 looks a bare name up in the `PATH` it was started with (like a shell), and
resolves a relative path against its working directory. What runs therefore depends on how
keepalived was started (`PATH` of the service manager, the working directory), not on the
configuration, and a writable directory early in `PATH` lets anyone substitute the program that
keepalived runs as root. `keepalived -t` resolves the name the same way on the machine it runs
on and says nothing when it finds a program there.

## Example
```
vrrp_script chk_haproxy {
    script \"check_haproxy.sh\"
}
```

## Use instead
```
vrrp_script chk_haproxy {
    script \"/etc/keepalived/check_haproxy.sh\"
}
```

## References
keepalived.conf(5), `vrrp_script`; keepalived 2.2.7 `lib/notify.c: find_path()` (searches
`PATH` when the name has no `/`)";

fn report(c: &Command<'_>, out: &mut Vec<Diagnostic>) {
    if c.program.starts_with('/') {
        return;
    }
    let how = if c.program.contains('/') {
        "resolved against keepalived's working directory"
    } else {
        "looked up in keepalived's PATH"
    };
    out.push(
        Diagnostic::new(
            NAME,
            LEVEL,
            format!(
                "{} runs `{}`, which is not an absolute path",
                c.what, c.program
            ),
        )
        .with_primary(c.span, how)
        .with_help("write the program's absolute path (`/etc/keepalived/…`, `/usr/bin/…`)"),
    );
}

/// Reports the commands outside virtual servers.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    for c in scripts::of_config(cx.config) {
        report(&c, out);
    }
}

/// Reports the commands of a virtual server.
pub fn check_virtual_server(_: &crate::Facts<'_>, vs: &VirtualServer, out: &mut Vec<Diagnostic>) {
    for c in scripts::of_virtual_server(vs) {
        report(&c, out);
    }
}
