//! Commands keepalived runs whose file in the repository anyone may change.

use kac_schema::config::VirtualServer;
use kac_schema::{Diagnostic, Severity};

use crate::scripts::{self, Command};

/// Default level.
pub const LEVEL: Severity = Severity::Error;
/// Rule name.
pub const NAME: &str = "world-writable-script";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::config(NAME, LEVEL, DOC, check)
    .and_virtual_server(check_virtual_server)
    .needing(crate::Needs::Repository);

/// Documentation.
pub const DOC: &str = "## What it does
Finds commands keepalived runs (`script`, `notify*`, `misc_path`, `quorum_up`, …) whose program is
a file of the repository (its absolute path on the host mapped into the repository by the site
manifest's path map) that is writable by everyone (mode `o+w`, such as `0777` or `0666`).

Runs only for the hosts of a site whose manifest has a path map: it looks at the repository's
copy of the file, never at the machine kac runs on (`kac lint --verbose` says when it did not
run).

## Why is this bad
keepalived runs these programs as root unless `script_user` says otherwise. A file anyone can
write is a file anyone can turn into a root shell once it is deployed with its mode (most
deployment tools copy the mode). keepalived 2.2.7 checks the installed file when it starts:
with `enable_script_security` it disables the script (`Unsafe permissions found for script`),
and without it, it runs it anyway.

## Example
```
-rwxrwxrwx  lb/notify.sh        (path-map \"/etc/keepalived\" \"lb\")

vrrp_instance VI_1 {
    notify_master /etc/keepalived/notify.sh
}
```

## Use instead
```
-rwxr-xr-x  lb/notify.sh        (chmod o-w lb/notify.sh)
```

## References
keepalived.conf(5), `enable_script_security`; keepalived 2.2.7 `lib/notify.c:
check_script_secure()`";

fn report(facts: &crate::Facts<'_>, c: &Command<'_>, out: &mut Vec<Diagnostic>) {
    let Some(repo) = facts.repo else {
        return;
    };
    if !c.program.starts_with('/') {
        return;
    }
    let Some(file) = repo.file(c.program) else {
        return;
    };
    if file.mode & 0o002 == 0 {
        return;
    }
    out.push(
        Diagnostic::new(
            NAME,
            LEVEL,
            format!(
                "{} runs `{}`, and its file `{}` is writable by everyone (mode {:04o})",
                c.what, c.program, file.shown, file.mode
            ),
        )
        .with_primary(
            c.span,
            "anyone who can write the file runs code as keepalived's user",
        )
        .with_help(format!(
            "remove the write permission: chmod o-w {}",
            file.shown
        )),
    );
}

/// Reports the commands outside virtual servers.
pub fn check(cx: &crate::Context<'_>, out: &mut Vec<Diagnostic>) {
    for c in scripts::of_config(cx.config) {
        report(cx.facts, &c, out);
    }
}

/// Reports the commands of a virtual server.
pub fn check_virtual_server(
    facts: &crate::Facts<'_>,
    vs: &VirtualServer,
    out: &mut Vec<Diagnostic>,
) {
    for c in scripts::of_virtual_server(vs) {
        report(facts, &c, out);
    }
}
