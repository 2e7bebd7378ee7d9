//! A `sorry_server` that is also one of the virtual server's real servers.

use kac_schema::Diagnostic;
use kac_schema::config::VirtualServer;

/// Default level.
pub const LEVEL: kac_schema::Severity = kac_schema::Severity::Warning;
/// Rule name.
pub const NAME: &str = "sorry-server-is-real-server";
/// The rule.
pub const RULE: crate::Rule = crate::Rule::virtual_server(NAME, LEVEL, DOC, check);

/// Documentation.
pub const DOC: &str = "## What it does
Finds virtual servers whose `sorry_server` address and port are also one of their `real_server`s.

## Why is this bad
The sorry server takes the traffic when every real server is down. If it is one of the real
servers, it is down too when it is needed, so the service has no fallback at all.

## Example
```
virtual_server 192.0.2.50 80 {
    sorry_server 198.51.100.1 80
    real_server 198.51.100.1 80 {
    }
}
```

## Use instead
```
virtual_server 192.0.2.50 80 {
    sorry_server 198.51.100.9 80
    real_server 198.51.100.1 80 {
    }
}
```

## References
keepalived.conf(5), `sorry_server`, `real_server`";

/// Reports real servers that are also the sorry server.
pub fn check(_: &crate::Facts<'_>, vs: &VirtualServer, out: &mut Vec<Diagnostic>) {
    let Some((addr, port)) = vs.sorry_server else {
        return;
    };
    for rs in &vs.real_servers {
        if rs.addr == addr && rs.port == port {
            out.push(
                Diagnostic::warning(
                    NAME,
                    format!("real server {} is also the sorry server", rs.addr),
                )
                .with_primary(rs.span, "also the sorry_server")
                .with_help("use a sorry server that is not one of the real servers"),
            );
        }
    }
}
