//! `kac genhash URL`: the digest an `HTTP_GET`/`SSL_GET` `url { digest … }` expects, fetched
//! exactly as the checker fetches it (keepalived's `genhash`).

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use kac_reconciler::check::probe::http::{self, HttpProtocol, TlsSpec, UrlSpec};
use kac_reconciler::check::probe::{Endpoint, tls};

/// The options of `kac genhash`.
#[derive(Args, Debug)]
pub struct GenhashArgs {
    /// `http://HOST[:PORT]/PATH` or `https://…` (HTTPS is fetched as SSL_GET does, without
    /// verifying the certificate). HOST is an address or a name resolved once.
    url: String,
    /// Also print the request, the response header and the body length.
    #[arg(short, long)]
    verbose: bool,
    /// The `Host:` header (the checker's `virtualhost`); default `IP:PORT`.
    #[arg(long)]
    virtualhost: Option<String>,
    /// Send SNI (the checker's `enable_sni`): NAME, else the virtual host, else the URL's host
    /// name.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    sni: Option<String>,
    /// `http_protocol`: 1.0, 1.0C or 1.1.
    #[arg(long, default_value = "1.0")]
    http_protocol: String,
    /// Give up after this long (connect and whole response).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

/// A parsed `http(s)://host[:port]/path`.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    tls: bool,
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Target, String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else {
        return Err(format!("`{url}`: expected http://… or https://…"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let default_port = if tls { 443 } else { 80 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("`{url}`: unclosed `[`"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| format!("`{url}`: bad port `{p}`"))?,
            None if after.is_empty() => default_port,
            None => return Err(format!("`{url}`: unexpected `{after}` after the address")),
        };
        (h.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse().map_err(|_| format!("`{url}`: bad port `{p}`"))?,
            ),
            None => (authority.to_string(), default_port),
        }
    };
    if host.is_empty() {
        return Err(format!("`{url}`: no host"));
    }
    Ok(Target {
        tls,
        host,
        port,
        path: path.to_string(),
    })
}

/// Runs `kac genhash`. Exit 0: the digest is printed; 1: the fetch failed; 2: bad arguments.
pub fn run(args: &GenhashArgs) -> ExitCode {
    let target = match parse_url(&args.url) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(protocol) = HttpProtocol::parse(&args.http_protocol) else {
        eprintln!(
            "error: --http-protocol `{}`: expected 1.0, 1.0C or 1.1",
            args.http_protocol
        );
        return ExitCode::from(2);
    };
    let addr: SocketAddr = match (target.host.as_str(), target.port).to_socket_addrs() {
        Ok(mut a) => match a.next() {
            Some(a) => a,
            None => {
                eprintln!("error: `{}` has no address", target.host);
                return ExitCode::from(1);
            }
        },
        Err(e) => {
            eprintln!("error: cannot resolve `{}`: {e}", target.host);
            return ExitCode::from(1);
        }
    };
    let sni_name = args.sni.as_ref().map(|n| {
        if !n.is_empty() {
            n.clone()
        } else {
            args.virtualhost
                .clone()
                .unwrap_or_else(|| target.host.clone())
        }
    });
    let url = UrlSpec {
        path: target.path.clone(),
        status: vec![(200, 299)],
        digest: None,
        virtualhost: args.virtualhost.clone(),
    };
    let tls = if target.tls {
        match tls::client_config(None) {
            Ok(config) => Some(TlsSpec {
                sni: sni_name.is_some(),
                identity: None,
                config,
            }),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        None
    };
    let endpoint = Endpoint {
        connect: addr,
        bindto: None,
        bind_port: None,
        bind_if: None,
        fwmark: None,
    };
    if args.verbose {
        println!("-- request to {addr} --");
        print!("{}", http::request(&url, protocol, addr));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let fetched = runtime.block_on(async {
        tokio::time::timeout(
            args.timeout,
            http::fetch_with_sni(&endpoint, tls.as_ref(), &url, sni_name.as_deref(), protocol),
        )
        .await
    });
    let fetched = match fetched {
        Err(_) => {
            eprintln!("error: {}: timeout after {:?}", args.url, args.timeout);
            return ExitCode::from(1);
        }
        Ok(Err(reason)) => {
            eprintln!("error: {}: {reason}", args.url);
            return ExitCode::from(1);
        }
        Ok(Ok(f)) => f,
    };
    if args.verbose {
        println!("-- response header --");
        print!("{}", String::from_utf8_lossy(&fetched.header));
        let cl = fetched
            .content_length
            .map_or(String::new(), |c| format!(", Content-Length {c}"));
        println!("-- body: {} bytes{cl} --", fetched.body_len);
    }
    if !(200..=299).contains(&fetched.status) {
        eprintln!(
            "note: status {} (a url's default status_code is 200-299)",
            fetched.status
        );
    }
    println!("{}", http::hex(&fetched.digest));
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let t = parse_url("https://[2001:db8::1]:8443/a?b").expect("url");
        assert_eq!(
            t,
            Target {
                tls: true,
                host: "2001:db8::1".into(),
                port: 8443,
                path: "/a?b".into()
            }
        );
        let t = parse_url("http://127.0.0.1").expect("url");
        assert_eq!((t.port, t.path.as_str()), (80, "/"));
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("http://h:port/").is_err());
    }
}
