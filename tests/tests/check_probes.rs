//! Health-check probes against real servers the tests start on loopback (HTTP, HTTPS with a
//! self-signed ECDSA certificate, SMTP, UDP, dnsmasq, scripts, tracked files) and, as root,
//! inside network namespaces they create (ping, fwmark). Each checker is written as keepalived
//! configuration, compiled to a plan, turned into a probe by `ProbeSpec::from_plan`, and its
//! outcome and reason are asserted up and down.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kac_reconciler::check::probe::{Outcome, ProbeConfigError, ProbeSpec, probe};
use kac_tests::privileges;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UdpSocket};

/// The plan of `conf` (keepalived.conf text).
fn plan_of(conf: &str) -> kac_schema::plan::Plan {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keepalived.conf");
    std::fs::write(&path, conf).expect("write conf");
    let compiled = kac_compiler::compile_conf(
        &path,
        "keepalived.conf",
        "h",
        &kac_compiler::Options::default(),
    );
    match compiled.plan {
        Some(p) => p,
        None => panic!("does not compile: {:#?}", compiled.parsed.diagnostics),
    }
}

#[test]
fn sorry_server_lvs_method_and_rs_init_notifies_reach_the_plan() {
    let conf = |extra: &str| {
        format!(
            "global_defs {{\n rs_init_notifies\n}}\nvirtual_server 10.0.0.1 80 {{\n lb_kind DR\n protocol TCP\n sorry_server 10.9.9.9 80\n {extra}\n real_server 10.1.0.1 80 {{\n }}\n}}\n"
        )
    };
    let p = plan_of(&conf("sorry_server_lvs_method TUN type gue port 6080 csum"));
    assert!(p.global.rs_init_notifies);
    let vs = &p.virtual_servers[0];
    assert_eq!(vs.sorry_server_lvs_method.as_deref(), Some("TUN"));
    let t = vs.sorry_server_tunnel.as_ref().expect("tunnel");
    assert_eq!(
        (t.kind.as_str(), t.port, t.checksum.as_str()),
        ("gue", Some(6080), "csum")
    );
    let p = plan_of(&conf("sorry_server_lvs_method NAT"));
    assert_eq!(
        p.virtual_servers[0].sorry_server_lvs_method.as_deref(),
        Some("NAT")
    );
    assert_eq!(p.virtual_servers[0].sorry_server_tunnel, None);
    let p = plan_of(&conf("").replace(" rs_init_notifies\n", ""));
    assert!(!p.global.rs_init_notifies);
    assert_eq!(p.virtual_servers[0].sorry_server_lvs_method, None);
}

/// `ProbeSpec::from_plan` of every checker of `conf` (keepalived.conf text), in plan order.
fn spec_results(conf: &str) -> Vec<Result<ProbeSpec, ProbeConfigError>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keepalived.conf");
    std::fs::write(&path, conf).expect("write conf");
    let compiled = kac_compiler::compile_conf(
        &path,
        "keepalived.conf",
        "h",
        &kac_compiler::Options::default(),
    );
    let Some(plan) = compiled.plan else {
        panic!(
            "config does not compile: {:#?}",
            compiled.parsed.diagnostics
        );
    };
    let mut out = Vec::new();
    for vs in &plan.virtual_servers {
        for rs in &vs.real_servers {
            for c in &rs.checkers {
                out.push(ProbeSpec::from_plan(c, rs, vs));
            }
        }
    }
    out
}

/// The probes of every checker of `conf`, in plan order.
fn specs(conf: &str) -> Vec<ProbeSpec> {
    spec_results(conf)
        .into_iter()
        .map(|r| r.expect("probe spec"))
        .collect()
}

/// A virtual server on 127.0.0.1:`port` with one real server carrying `checker`.
fn vs_with(port: u16, checker: &str) -> String {
    format!(
        "virtual_server 127.0.0.1 {port} {{\n  protocol TCP\n  real_server 127.0.0.1 {port} {{\n    weight 10\n    {checker}\n  }}\n}}\n"
    )
}

/// The single probe of a one-checker config.
fn one(conf: &str) -> ProbeSpec {
    let mut s = specs(conf);
    assert_eq!(s.len(), 1, "one checker expected");
    s.remove(0)
}

fn down_reason(o: Outcome) -> String {
    match o {
        Outcome::Down { reason } => reason,
        other => panic!("expected down, got {other:?}"),
    }
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// `md5sum` of `data`: the digest computed by another program than kac.
fn md5sum(data: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("body");
    std::fs::write(&f, data).expect("write");
    let out = Command::new("md5sum").arg(&f).output().expect("md5sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

/// Requests seen by a test server.
type Seen = Arc<Mutex<Vec<String>>>;

/// What the test web server answers for a path: status and body (`None`: never answer).
fn route(path: &str) -> Option<(u16, &'static [u8])> {
    match path {
        "/ok" => Some((200, b"hello from kac's test server\n")),
        "/fail" => Some((500, b"broken\n")),
        "/moved" => Some((301, b"")),
        "/slow" => None,
        // Content-Length shorter than the body: the digest covers Content-Length bytes.
        "/short" => Some((200, b"hello world\n")),
        _ => Some((404, b"not found\n")),
    }
}

/// Serves one HTTP exchange on `stream` (plain or TLS) per [`route`], closing after it.
async fn serve_http<S>(stream: S, seen: Seen)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        request.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    seen.lock().expect("lock").push(request.clone());
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let Some((status, body)) = route(&path) else {
        tokio::time::sleep(Duration::from_secs(30)).await;
        return;
    };
    let mut stream = reader.into_inner();
    let length = if path == "/short" { 5 } else { body.len() };
    let head =
        format!("HTTP/1.0 {status} X\r\nContent-Length: {length}\r\nServer: kac-test\r\n\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// A web server on 127.0.0.1 (port, requests seen).
async fn http_server() -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen: Seen = Seen::default();
    let s = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_http(stream, s.clone()));
        }
    });
    (port, seen)
}

/// A TLS web server with a fresh self-signed ECDSA certificate (port, requests, SNI names).
async fn https_server() -> (u16, Seen, Seen) {
    let (port, seen, sni, _) = https_server_of(rustls::ALL_VERSIONS).await;
    (port, seen, sni)
}

/// [`https_server`] speaking only `versions`; also records what each connection negotiated
/// (`TLSv1_3 TLS13_AES_128_GCM_SHA256 X25519`).
async fn https_server_of(
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> (u16, Seen, Seen, Seen) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(vec!["www.kac.test".to_string()]).expect("cert");
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(ck.signing_key.serialize_der()).expect("key");
    let config = rustls::ServerConfig::builder_with_protocol_versions(versions)
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (seen, sni, negotiated): (Seen, Seen, Seen) = Default::default();
    let (s, n, g) = (seen.clone(), sni.clone(), negotiated.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, s, n, g) = (acceptor.clone(), s.clone(), n.clone(), g.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let conn = tls.get_ref().1;
                let name = conn.server_name().unwrap_or("-").to_string();
                n.lock().expect("lock").push(name);
                g.lock().expect("lock").push(format!(
                    "{:?} {:?} {:?}",
                    conn.protocol_version(),
                    conn.negotiated_cipher_suite().map(|c| c.suite()),
                    conn.negotiated_key_exchange_group().map(|k| k.name()),
                ));
                serve_http(tls, s).await;
            });
        }
    });
    (port, seen, sni, negotiated)
}

#[tokio::test]
async fn tcp_check_is_up_when_accepted_and_down_when_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { while listener.accept().await.is_ok() {} });
    assert_eq!(
        probe(&one(&vs_with(port, "TCP_CHECK { connect_timeout 2 }"))).await,
        Outcome::Up
    );
    let closed = closed_port();
    let spec = one(&vs_with(closed, "TCP_CHECK { connect_timeout 2 }"));
    assert_eq!(
        down_reason(probe(&spec).await),
        "connect: connection refused"
    );
}

#[tokio::test]
async fn http_get_checks_status_digest_virtualhost_and_timeout() {
    let (port, seen) = http_server().await;
    let (_, body) = route("/ok").expect("route");
    let digest = md5sum(body);
    let checker = |urls: &str, extra: &str| {
        vs_with(
            port,
            &format!("HTTP_GET {{\n {urls}\n connect_timeout 1\n {extra}\n }}"),
        )
    };

    let up = one(&checker(
        &format!(
            "url {{\n path /ok\n digest {digest}\n }}\n url {{\n path /moved\n status_code 301-302\n }}"
        ),
        "virtualhost www.kac.test\n http_protocol 1.1",
    ));
    assert_eq!(probe(&up).await, Outcome::Up);
    let requests = seen.lock().expect("lock").clone();
    assert_eq!(requests.len(), 2, "one request per url");
    assert!(
        requests[0].starts_with("GET /ok HTTP/1.1\r\n"),
        "{:?}",
        requests[0]
    );
    assert!(
        requests[0].contains("Host: www.kac.test\r\n"),
        "{:?}",
        requests[0]
    );
    assert!(requests[0].contains("Connection: close\r\n"));
    assert!(requests[0].contains("User-Agent: KeepAliveClient\r\n"));

    let wrong_status = one(&checker(
        "url {\n path /ok\n }\n url {\n path /fail\n }",
        "",
    ));
    assert_eq!(
        down_reason(probe(&wrong_status).await),
        "url /fail: status 500 not in 200-299"
    );
    let last = seen
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .unwrap_or_default();
    assert!(last.starts_with("GET /fail HTTP/1.0\r\n"), "{last:?}");
    assert!(
        last.contains(&format!("Host: 127.0.0.1:{port}\r\n")),
        "{last:?}"
    );

    let wrong_digest = one(&checker(
        "url {\n path /ok\n digest 00000000000000000000000000000000\n }",
        "",
    ));
    assert_eq!(
        down_reason(probe(&wrong_digest).await),
        format!(
            "url /ok: digest {digest} differs from the expected 00000000000000000000000000000000"
        )
    );

    let slow = one(&checker("url {\n path /slow\n }", ""));
    assert_eq!(
        down_reason(probe(&slow).await),
        "url /slow: timeout after 1s"
    );

    let closed = closed_port();
    let refused = one(&vs_with(
        closed,
        "HTTP_GET { url {\n path /ok\n }\n connect_timeout 1\n }",
    ));
    assert_eq!(
        down_reason(probe(&refused).await),
        "url /ok: connect: connection refused"
    );
}

#[tokio::test]
async fn ssl_get_checks_over_tls_with_sni_and_without_verifying_the_certificate() {
    let (port, seen, sni) = https_server().await;
    let (_, body) = route("/ok").expect("route");
    let digest = md5sum(body);
    let conf = vs_with(
        port,
        &format!(
            "SSL_GET {{\n url {{\n path /ok\n digest {digest}\n }}\n virtualhost www.kac.test\n enable_sni\n connect_timeout 2\n }}"
        ),
    );
    assert_eq!(probe(&one(&conf)).await, Outcome::Up);
    assert_eq!(sni.lock().expect("lock").as_slice(), ["www.kac.test"]);
    assert!(seen.lock().expect("lock")[0].starts_with("GET /ok HTTP/1.0\r\n"));

    // Without enable_sni no name is sent (an IP address is not a server name).
    let no_sni = vs_with(
        port,
        "SSL_GET {\n url {\n path /fail\n }\n connect_timeout 2\n }",
    );
    assert_eq!(
        down_reason(probe(&one(&no_sni)).await),
        "url /fail: status 500 not in 200-299"
    );
    assert_eq!(
        sni.lock().expect("lock").last().map(String::as_str),
        Some("-")
    );

    // SSL_GET against a plain HTTP server: the handshake fails.
    let (plain, _) = http_server().await;
    let conf = vs_with(
        plain,
        "SSL_GET {\n url {\n path /ok\n }\n connect_timeout 2\n }",
    );
    let reason = down_reason(probe(&one(&conf)).await);
    assert!(reason.starts_with("url /ok: tls handshake: "), "{reason}");
}

#[tokio::test]
async fn ssl_get_offers_sha256_suites_first_and_sends_its_request_over_tls_1_2_too() {
    // TLS 1.3: AES-128-GCM with SHA-256 (the CPU's SHA instructions) and X25519, the group
    // of the one key share the client sends.
    let (port, seen, _, negotiated) = https_server_of(rustls::ALL_VERSIONS).await;
    let conf = vs_with(
        port,
        "SSL_GET {\n url {\n path /ok\n }\n connect_timeout 2\n }",
    );
    assert_eq!(probe(&one(&conf)).await, Outcome::Up);
    assert_eq!(
        negotiated.lock().expect("lock").as_slice(),
        ["Some(TLSv1_3) Some(TLS13_AES_128_GCM_SHA256) Some(X25519)"]
    );
    assert!(seen.lock().expect("lock")[0].starts_with("GET /ok HTTP/1.0\r\n"));

    // A TLS 1.2 server: the request, handed to rustls before the handshake, goes once the
    // handshake is done, and the status is read as over TLS 1.3.
    let (port, seen, _, negotiated) = https_server_of(&[&rustls::version::TLS12]).await;
    let conf = vs_with(
        port,
        "SSL_GET {\n url {\n path /fail\n }\n connect_timeout 2\n }",
    );
    assert_eq!(
        down_reason(probe(&one(&conf)).await),
        "url /fail: status 500 not in 200-299"
    );
    assert_eq!(
        negotiated.lock().expect("lock").as_slice(),
        ["Some(TLSv1_2) Some(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) Some(X25519)"]
    );
    assert!(seen.lock().expect("lock")[0].starts_with("GET /fail HTTP/1.0\r\n"));
}

/// An SMTP responder: greets with a multi-line 220, answers HELO with `helo_reply`, records
/// the lines it receives.
async fn smtp_server(helo_reply: &'static str) -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Seen::default();
    let s = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let s = s.clone();
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                let _ = stream
                    .get_mut()
                    .write_all(b"220-mail.kac.test ESMTP\r\n220 ready\r\n")
                    .await;
                let mut line = String::new();
                while stream.read_line(&mut line).await.is_ok_and(|n| n > 0) {
                    s.lock().expect("lock").push(line.trim_end().to_string());
                    let reply = if line.starts_with("HELO") {
                        helo_reply
                    } else {
                        "221 bye\r\n"
                    };
                    let _ = stream.get_mut().write_all(reply.as_bytes()).await;
                    line.clear();
                }
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn smtp_check_greets_with_helo_name_and_fails_on_a_refused_helo() {
    let (port, seen) = smtp_server("250 mail.kac.test\r\n").await;
    let conf = vs_with(
        port,
        "SMTP_CHECK { helo_name probe.kac.test\n connect_timeout 2 }",
    );
    assert_eq!(probe(&one(&conf)).await, Outcome::Up);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        seen.lock().expect("lock").as_slice(),
        ["HELO probe.kac.test", "QUIT"]
    );

    let (bad, _) = smtp_server("550 go away\r\n").await;
    let conf = vs_with(bad, "SMTP_CHECK { connect_timeout 2 }");
    assert_eq!(
        down_reason(probe(&one(&conf)).await),
        "HELO reply 550, expected 250: `550 go away`"
    );
}

#[tokio::test]
async fn udp_check_payload_reply_and_icmp_errors() {
    // An echo server that prefixes "OK".
    let echo = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let echo_port = echo.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = echo.recv_from(&mut buf).await {
            let mut reply = b"OK".to_vec();
            reply.extend_from_slice(&buf[..n]);
            let _ = echo.send_to(&reply, from).await;
        }
    });
    // A server that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();

    let udp = |port: u16, body: &str| {
        format!(
            "virtual_server 127.0.0.1 {port} {{\n  protocol UDP\n  real_server 127.0.0.1 {port} {{\n    UDP_CHECK {{\n {body}\n connect_timeout 1\n }}\n  }}\n}}\n"
        )
    };
    let up = one(&udp(
        echo_port,
        "payload 6b6163\n require_reply 4f4bxx\n min_reply_length 5\n max_reply_length 5",
    ));
    assert_eq!(probe(&up).await, Outcome::Up);
    let mismatch = one(&udp(echo_port, "payload 6b6163\n require_reply 4f4c"));
    assert_eq!(
        down_reason(probe(&mismatch).await),
        "reply differs from require_reply at byte 1"
    );
    let too_long = one(&udp(
        echo_port,
        "payload 6b6163\n require_reply 4f4b\n max_reply_length 4",
    ));
    assert_eq!(
        down_reason(probe(&too_long).await),
        "reply of 5 bytes, outside 0..=4"
    );
    // Silence is success unless a reply is required (keepalived).
    assert_eq!(
        probe(&one(&udp(silent_port, "payload 00"))).await,
        Outcome::Up
    );
    assert_eq!(
        down_reason(probe(&one(&udp(silent_port, "payload 00\n require_reply"))).await),
        "no reply within 1s"
    );
    // A closed port answers with ICMP port unreachable.
    let closed = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        s.local_addr().expect("addr").port()
    };
    assert_eq!(
        down_reason(probe(&one(&udp(closed, "payload 00"))).await),
        "reply: connection refused"
    );
}

/// dnsmasq (Debian's) on 127.0.0.1:`port`, authoritative for kac.test: `up.kac.test` has an
/// A record, other names are NXDOMAIN. Killed on drop.
struct Dnsmasq(std::process::Child);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn dnsmasq(port: u16) -> Option<Dnsmasq> {
    let program = privileges::find_program("dnsmasq")?;
    let child = Command::new(program)
        .args([
            "--keep-in-foreground",
            "--no-resolv",
            "--no-hosts",
            "--conf-file=/dev/null",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--user=root",
            "--pid-file=",
            &format!("--port={port}"),
            "--local=/kac.test/",
            "--address=/up.kac.test/192.0.2.10",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    Some(Dnsmasq(child))
}

#[tokio::test]
async fn dns_check_against_dnsmasq() {
    let port = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        s.local_addr().expect("addr").port()
    };
    let Some(_server) = dnsmasq(port) else {
        privileges::skip(
            "dns_check_against_dnsmasq",
            "dnsmasq not found (scripts/test.sh installs dnsmasq-base)",
        );
        return;
    };
    let dns = |body: &str| {
        format!(
            "virtual_server 127.0.0.1 {port} {{\n  protocol UDP\n  real_server 127.0.0.1 {port} {{\n    DNS_CHECK {{\n {body}\n connect_timeout 2\n }}\n  }}\n}}\n"
        )
    };
    let up = one(&dns("type A\n name up.kac.test"));
    // dnsmasq takes a moment to bind.
    let mut outcome = probe(&up).await;
    for _ in 0..20 {
        if outcome.is_up() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        outcome = probe(&up).await;
    }
    assert_eq!(outcome, Outcome::Up);
    assert_eq!(
        down_reason(probe(&one(&dns("type A\n name nope.kac.test"))).await),
        "rcode 3 (NXDOMAIN)"
    );
    let closed = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        s.local_addr().expect("addr").port()
    };
    let conf = format!(
        "virtual_server 127.0.0.1 {closed} {{\n protocol UDP\n real_server 127.0.0.1 {closed} {{\n DNS_CHECK {{ name up.kac.test\n connect_timeout 1 }}\n }}\n}}\n"
    );
    assert_eq!(
        down_reason(probe(&one(&conf)).await),
        "read reply: connection refused"
    );
}

fn script(dir: &Path, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p.to_string_lossy().into_owned()
}

#[tokio::test]
async fn misc_check_runs_scripts_with_dynamic_weights_and_timeouts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flag = dir.path().join("flag");
    let check = script(dir.path(), "check.sh", "test -e \"$1\"");
    let weight = script(dir.path(), "weight.sh", "exit 7");
    let hang = script(dir.path(), "hang.sh", "exec sleep 10");
    let misc = |body: String| {
        format!(
            "global_defs {{\n enable_script_security\n script_user root\n}}\n{}",
            vs_with(80, &format!("MISC_CHECK {{\n {body}\n }}"))
        )
    };

    let spec = one(&misc(format!("misc_path \"{check} {}\"", flag.display())));
    assert_eq!(down_reason(probe(&spec).await), "exit status 1");
    std::fs::write(&flag, "").expect("flag");
    assert_eq!(probe(&spec).await, Outcome::Up);

    let dynamic = one(&misc(format!("misc_path {weight}\n misc_dynamic")));
    assert_eq!(probe(&dynamic).await, Outcome::UpWithWeight(5));
    let fixed = one(&misc(format!("misc_path {weight}")));
    assert_eq!(down_reason(probe(&fixed).await), "exit status 7");

    let slow = one(&misc(format!("misc_path {hang}\n misc_timeout 1")));
    assert_eq!(down_reason(probe(&slow).await), "timeout after 1s, killed");

    // `user` switches the script's user (root only).
    if privileges::is_root() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let whoami = script(dir.path(), "whoami.sh", "test \"$(id -un)\" = nobody");
        let as_nobody = one(&misc(format!("misc_path {whoami}\n user nobody")));
        assert_eq!(probe(&as_nobody).await, Outcome::Up);
        let as_root = one(&misc(format!("misc_path {whoami}")));
        assert_eq!(down_reason(probe(&as_root).await), "exit status 1");
    }
}

/// Whether process `pid` is gone (or a zombie nobody has reaped yet).
fn process_gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// `body` (checker lines) as a `MISC_CHECK` of a virtual server, under
/// `enable_script_security` with scripts run as root.
fn secured_misc(body: &str) -> String {
    format!(
        "global_defs {{\n enable_script_security\n script_user root\n}}\n{}",
        vs_with(80, &format!("MISC_CHECK {{\n {body}\n }}"))
    )
}

#[tokio::test]
async fn misc_check_kills_the_scripts_whole_process_group_at_misc_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("child.pid");
    // A child in the background outlives its parent unless its process group is killed.
    let hang = script(
        dir.path(),
        "hang.sh",
        &format!("sleep 30 &\necho $! > {}\nexec sleep 30", pidfile.display()),
    );
    let spec = one(&secured_misc(&format!("misc_path {hang}\n misc_timeout 1")));
    let started = std::time::Instant::now();
    assert_eq!(down_reason(probe(&spec).await), "timeout after 1s, killed");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let child = std::fs::read_to_string(&pidfile).expect("the script wrote its child's pid");
    let child = child.trim();
    let mut gone = process_gone(child);
    for _ in 0..50 {
        if gone {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        gone = process_gone(child);
    }
    assert!(
        gone,
        "the script's background child {child} survived the timeout"
    );
}

#[tokio::test]
async fn misc_check_refuses_an_unsafe_script_under_enable_script_security() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let ran = dir.path().join("ran");
    let check = script(dir.path(), "check.sh", &format!("touch {}", ran.display()));
    // Writable by everyone: anyone could change what root runs.
    std::fs::set_permissions(&check, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let reason = down_reason(probe(&one(&secured_misc(&format!("misc_path {check}")))).await);
    assert!(
        reason.starts_with(&format!("not run: script `{check}` is ")),
        "{reason}"
    );
    assert!(!ran.exists(), "the unsafe script ran");
}

#[tokio::test]
async fn health_notify_commands_run_as_their_configured_users() {
    use kac_reconciler::check::health::{CheckView, Pool};
    use kac_reconciler::check::notify;
    use kac_schema::plan::MachineValue;
    use std::os::unix::fs::PermissionsExt;
    let test = "health_notify_commands_run_as_their_configured_users";
    if !privileges::is_root() {
        privileges::skip(test, "not running as root (switching users needs root)");
        return;
    }
    // Scripts in a directory only root may change (safe for root under script security),
    // output in one everybody may write to.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out_dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(out_dir.path(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod");
    let out = out_dir.path().join("out");
    let who = script(
        dir.path(),
        "who.sh",
        &format!("echo \"$1 $(id -un)\" >> {}", out.display()),
    );
    let insecure = script(
        dir.path(),
        "insecure.sh",
        &format!("echo insecure >> {}", out.display()),
    );
    std::fs::set_permissions(&insecure, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    // `script_user nobody`; notify_up and quorum_up (unless given) without a user of their
    // own, notify_down and quorum_down as root.
    let conf = |quorum_up: &str| {
        format!(
            "global_defs {{\n script_user nobody\n enable_script_security\n}}\n\
             virtual_server 127.0.0.1 80 {{\n protocol TCP\n quorum_up {quorum_up}\n\
             quorum_down \"{who} quorum-down\" root\n\
             real_server 127.0.0.1 80 {{\n  notify_up \"{who} up\"\n\
             notify_down \"{who} down\" root\n  TCP_CHECK {{\n  }}\n }}\n}}\n"
        )
    };
    let compile = |text: &str| {
        let path = dir.path().join("keepalived.conf");
        std::fs::write(&path, text).expect("write conf");
        kac_compiler::compile_conf(&path, "keepalived.conf", "h", &Default::default())
            .plan
            .expect("compiles")
    };
    // Runs the commands of the real server going down, then up (the pool's own settle and
    // notices, as the daemon's health driver runs them).
    let flip = |plan: &kac_schema::plan::Plan| {
        // Empty, and writable by every user the commands run as.
        std::fs::write(&out, "").expect("write");
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let mut pool = Pool::of(&plan.virtual_servers[0]).expect("pool");
        pool.members[0].checks = vec![0];
        for up in [false, true] {
            let fx = pool.settle(|_| CheckView { up, weight: None });
            for n in &fx.notices {
                notify::run(n, plan.global.enable_script_security);
            }
        }
    };
    // The lines written once `want` arrived (or 10 s passed), and a moment more for a line
    // that should not come; sorted (the commands run concurrently).
    let read_lines = async |want: usize| {
        let lines = || {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            let mut v: Vec<String> = text.lines().map(str::to_string).collect();
            v.sort();
            v
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while lines().len() < want && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        lines()
    };

    let plan = compile(&conf(&format!("\"{who} quorum-up\"")));
    let rs = &plan.virtual_servers[0].real_servers[0];
    assert_eq!(
        rs.script_users["notify_up"],
        MachineValue::Set("nobody".into())
    );
    assert_eq!(
        rs.script_users["notify_down"],
        MachineValue::Set("root".into())
    );
    flip(&plan);
    assert_eq!(
        read_lines(4).await,
        [
            "down root",
            "quorum-down root",
            "quorum-up nobody",
            "up nobody"
        ]
    );

    // An unsafe command run as root is refused (and logged); the others run.
    flip(&compile(&conf(&format!("{insecure} root"))));
    assert_eq!(
        read_lines(3).await,
        ["down root", "quorum-down root", "up nobody"]
    );
}

#[tokio::test]
async fn file_check_reads_the_tracked_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("state");
    let conf = |weight: &str| {
        format!(
            "track_file state {{\n file {}\n weight 0\n}}\n{}",
            file.display(),
            vs_with(
                80,
                &format!("FILE_CHECK {{\n track_file state\n {weight}\n }}")
            )
        )
    };
    let updown = one(&conf(""));
    std::fs::write(&file, "0\n").expect("write");
    assert_eq!(probe(&updown).await, Outcome::Up);
    std::fs::write(&file, "3\n").expect("write");
    assert_eq!(
        down_reason(probe(&updown).await),
        format!("track file {} reads 3", file.display())
    );

    let weighted = one(&conf("weight 2"));
    assert_eq!(probe(&weighted).await, Outcome::UpWithWeight(16));
    let reversed = one(&conf("weight 2 reverse"));
    assert_eq!(probe(&reversed).await, Outcome::UpWithWeight(4));
}

#[test]
fn identical_checks_of_one_endpoint_share_a_dedupe_key() {
    let conf = "virtual_server 127.0.0.1 80 {\n protocol TCP\n real_server 127.0.0.1 80 {\n HTTP_GET { url {\n path /ok\n } }\n }\n}\n\
                virtual_server 127.0.0.2 80 {\n protocol TCP\n real_server 127.0.0.1 80 {\n HTTP_GET { url {\n path /ok\n } }\n }\n}\n\
                virtual_server 127.0.0.3 80 {\n protocol TCP\n real_server 127.0.0.1 80 {\n HTTP_GET { url {\n path /other\n } }\n }\n}\n";
    let s = specs(conf);
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].dedupe_key(), s[1].dedupe_key());
    assert_ne!(s[0].dedupe_key(), s[2].dedupe_key());
}

/// Runs `f` on a thread inside a fresh network namespace set up by `ip` commands (each a
/// list of arguments), or skips when not root. The namespace goes away with the thread.
fn in_netns<T: Send + 'static>(
    test: &str,
    setup: &[&[&str]],
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    if !privileges::is_root() {
        privileges::skip(test, "not running as root (needs a network namespace)");
        return None;
    }
    let Some(ip) = privileges::find_program("ip") else {
        privileges::skip(test, "`ip` (iproute2) not found");
        return None;
    };
    let setup: Vec<Vec<String>> = setup
        .iter()
        .map(|a| a.iter().map(|s| s.to_string()).collect())
        .collect();
    let handle = std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare netns");
        for args in &setup {
            let st = Command::new(&ip).args(args).status().expect("ip");
            assert!(st.success(), "ip {args:?} failed");
        }
        f()
    });
    Some(handle.join().expect("netns thread"))
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn ping_check_in_a_namespace_ipv4_and_ipv6() {
    let conf = "virtual_server 10.9.9.1 80 {\n protocol TCP\n real_server 127.0.0.1 80 {\n PING_CHECK { connect_timeout 1 }\n }\n real_server 10.9.9.2 80 {\n PING_CHECK { connect_timeout 1 }\n }\n}\n\
                virtual_server fd00::1 80 {\n protocol TCP\n real_server ::1 80 {\n PING_CHECK { connect_timeout 1 }\n }\n}\n";
    let s = specs(conf);
    let result = in_netns(
        "ping_check_in_a_namespace_ipv4_and_ipv6",
        &[
            &["link", "set", "lo", "up"],
            // 10.9.9.2 is on a link whose peer is down: nothing answers.
            &[
                "link", "add", "kac0", "type", "veth", "peer", "name", "kac1",
            ],
            &["addr", "add", "10.9.9.1/24", "dev", "kac0"],
            &["link", "set", "kac0", "up"],
        ],
        move || {
            block_on(async move {
                let mut out = Vec::new();
                for spec in &s {
                    out.push((spec.endpoint().connect, probe(spec).await));
                }
                out
            })
        },
    );
    let Some(result) = result else { return };
    let by_addr = |a: &str| {
        let a: std::net::IpAddr = a.parse().expect("ip");
        result
            .iter()
            .find(|(c, _)| c.ip() == a)
            .map(|(_, o)| o.clone())
            .expect("probed")
    };
    assert_eq!(by_addr("127.0.0.1"), Outcome::Up);
    assert_eq!(by_addr("::1"), Outcome::Up);
    assert_eq!(down_reason(by_addr("10.9.9.2")), "timeout after 1s");
}

#[test]
fn fwmark_marks_the_check_s_packets() {
    // Inside the namespace, marked packets to 127.0.0.1 hit a prohibit route; unmarked ones
    // reach the listener.
    let port = 8080;
    let marked = one(&vs_with(port, "TCP_CHECK { fwmark 7\n connect_timeout 1 }"));
    let plain = one(&vs_with(port, "TCP_CHECK { connect_timeout 1 }"));
    let result = in_netns(
        "fwmark_marks_the_check_s_packets",
        &[
            &["link", "set", "lo", "up"],
            &["rule", "add", "pref", "10", "fwmark", "7", "lookup", "100"],
            &["route", "add", "prohibit", "127.0.0.0/8", "table", "100"],
            &["rule", "del", "pref", "0"],
            &["rule", "add", "pref", "20", "lookup", "local"],
        ],
        move || {
            block_on(async move {
                let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
                    .await
                    .expect("bind");
                tokio::spawn(async move { while listener.accept().await.is_ok() {} });
                (probe(&plain).await, probe(&marked).await)
            })
        },
    );
    let Some((plain, marked)) = result else {
        return;
    };
    assert_eq!(plain, Outcome::Up);
    let reason = down_reason(marked);
    assert!(reason.starts_with("connect: "), "{reason}");
}

#[tokio::test]
async fn a_silent_http_server_reads_as_no_response() {
    // Accepts, reads the request, closes without a byte.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf).await;
        }
    });
    let spec = one(&vs_with(
        port,
        "HTTP_GET { url {\n path /ok\n }\n connect_timeout 2 }",
    ));
    assert_eq!(
        down_reason(probe(&spec).await),
        "url /ok: no HTTP response (connection closed before the end of the header)"
    );
}

/// Runs `kac ARGS` off the runtime thread (the test servers keep serving meanwhile).
async fn kac(args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(kac_tests::kac_bin())
            .args(&args)
            .output()
            .expect("run kac")
    })
    .await
    .expect("join")
}

#[tokio::test]
async fn genhash_prints_the_digest_the_checker_expects() {
    let (port, seen) = http_server().await;
    let url = format!("http://127.0.0.1:{port}/ok");
    let out = kac(&["genhash", &url]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, body) = route("/ok").expect("route");
    let digest = md5sum(body);
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{digest}\n"));

    // The digest it prints makes the checker pass.
    let conf = vs_with(
        port,
        &format!("HTTP_GET {{\n url {{\n path /ok\n digest {digest}\n }}\n }}"),
    );
    assert_eq!(probe(&one(&conf)).await, Outcome::Up);

    // Only Content-Length bytes count.
    let short = kac(&["genhash", &format!("http://127.0.0.1:{port}/short")]).await;
    assert_eq!(
        String::from_utf8_lossy(&short.stdout),
        format!("{}\n", md5sum(b"hello"))
    );

    let verbose = kac(&[
        "genhash",
        "--verbose",
        "--virtualhost",
        "www.kac.test",
        &url,
    ])
    .await;
    let text = String::from_utf8_lossy(&verbose.stdout);
    assert!(text.contains("GET /ok HTTP/1.0\r\n"), "{text}");
    assert!(text.contains("Server: kac-test"), "{text}");
    assert!(text.ends_with(&format!("{digest}\n")), "{text}");
    assert!(
        seen.lock()
            .expect("lock")
            .last()
            .is_some_and(|r| r.contains("Host: www.kac.test\r\n"))
    );

    let closed = kac(&["genhash", &format!("http://127.0.0.1:{}/", closed_port())]).await;
    assert_eq!(closed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&closed.stderr).contains("connection refused"));
    let bad = kac(&["genhash", "ftp://127.0.0.1/"]).await;
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test]
async fn genhash_over_tls_sends_sni_when_asked() {
    let (port, _, sni) = https_server().await;
    let url = format!("https://127.0.0.1:{port}/ok");
    let out = kac(&["genhash", "--sni", "www.kac.test", &url]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, body) = route("/ok").expect("route");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", md5sum(body))
    );
    assert_eq!(sni.lock().expect("lock").as_slice(), ["www.kac.test"]);
}

/// keepalived's own genhash (Debian's keepalived package) and kac's send the same request
/// and print the same digest.
#[tokio::test]
async fn genhash_agrees_with_keepalived_s_genhash() {
    let Some(theirs) = privileges::find_program("genhash") else {
        privileges::skip(
            "genhash_agrees_with_keepalived_s_genhash",
            "keepalived's genhash not found",
        );
        return;
    };
    let (port, seen) = http_server().await;
    for (path, proto) in [("/ok", "1.0"), ("/short", "1.1"), ("/ok", "1.0C")] {
        let p = port.to_string();
        let args = [
            "-s",
            "127.0.0.1",
            "-p",
            &p,
            "-u",
            path,
            "-P",
            proto,
            "-V",
            "www.kac.test",
        ];
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let program = theirs.clone();
        let out = tokio::task::spawn_blocking(move || {
            Command::new(program).args(&args).output().expect("genhash")
        })
        .await
        .expect("join");
        let their_digest = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .find(|w| w.len() == 32 && w.chars().all(|c| c.is_ascii_hexdigit()))
            .map(str::to_lowercase)
            .unwrap_or_else(|| panic!("genhash printed no digest: {out:?}"));
        let their_request = seen.lock().expect("lock").last().cloned().expect("request");
        let ours = kac(&[
            "genhash",
            "--http-protocol",
            proto,
            "--virtualhost",
            "www.kac.test",
            &format!("http://127.0.0.1:{port}{path}"),
        ])
        .await;
        let our_request = seen.lock().expect("lock").last().cloned().expect("request");
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout).trim(),
            their_digest,
            "{path} {proto}"
        );
        // Byte for byte, header order included.
        assert_eq!(our_request, their_request, "{path} {proto}");
    }
}

#[test]
fn settings_no_probe_carries_out_are_refused_not_ignored() {
    let conf = vs_with(80, "HTTP_GET {\n url {\n path /\n regex \"ok\"\n }\n }");
    let got = spec_results(&conf);
    assert!(
        matches!(&got[..], [Err(e)] if e.to_string() == "HTTP_GET: bad `regex`: matching the body against a PCRE pattern (`regex`, `regex_no_match`) is not implemented by kac's checker; check the body with `digest`, or remove the regex"),
        "{got:?}"
    );
}
