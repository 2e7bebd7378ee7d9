//! A fast HTTPS test server for benches/check_bench.py `--https` (the Python one could not
//! keep up with 2,000 handshakes per second): a fresh self-signed ECDSA P-256 certificate
//! (rcgen), rustls with the ring provider, and THREADS threads each running its own
//! current-thread tokio runtime and its own listener on ADDR (SO_REUSEPORT, so the kernel
//! spreads connections over them). Every connection is one TLS handshake, one request read up
//! to its blank line and the reply `HTTP/1.0 200 OK` with body `ok`, then closed, as a
//! keepalived SSL_GET expects. By default no session is resumable (no TLS 1.3 tickets, no
//! TLS 1.2 session cache), so every check is a full handshake, the worst case; with `resume`
//! the server issues tickets as common web servers do, and kac's client resumes. Prints
//! `ready` once every listener is bound, then serves until killed.
//!
//! Usage: tls_bench_server ADDR:PORT THREADS [resume]

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The allocator kac uses (the server is test equipment: the cheaper it is, the more of the
/// machine is left to kac).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REPLY: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(addr), Some(threads)) = (
        args.get(1).and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(2).and_then(|t| t.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: tls_bench_server ADDR:PORT THREADS [resume]");
        return std::process::ExitCode::from(2);
    };
    let resume = args.get(3).is_some_and(|a| a == "resume");
    let config = match server_config(resume) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("tls_bench_server: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let handles: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let (config, ready) = (config.clone(), ready_tx.clone());
            std::thread::spawn(move || serve_thread(addr, config, ready))
        })
        .collect();
    drop(ready_tx);
    for r in ready_rx.iter().take(handles.len()) {
        if let Err(e) = r {
            eprintln!("tls_bench_server: {e}");
            return std::process::ExitCode::from(1);
        }
    }
    println!("ready");
    for h in handles {
        let _ = h.join();
    }
    std::process::ExitCode::SUCCESS
}

/// A rustls server configuration with a new self-signed ECDSA P-256 certificate; sessions are
/// resumable only with `resume`.
fn server_config(resume: bool) -> Result<rustls::ServerConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let ck = rcgen::generate_simple_self_signed(vec!["bench.kac.test".to_string()])
        .map_err(|e| format!("certificate: {e}"))?;
    let key = rustls::pki_types::PrivateKeyDer::try_from(ck.signing_key.serialize_der())
        .map_err(|e| format!("key: {e}"))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("protocol versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .map_err(|e| format!("server config: {e}"))?;
    if resume {
        config.ticketer =
            rustls::crypto::ring::Ticketer::new().map_err(|e| format!("ticketer: {e}"))?;
    } else {
        // Full handshakes only: no TLS 1.3 tickets, no TLS 1.2 session cache.
        config.send_tls13_tickets = 0;
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    }
    Ok(config)
}

/// One thread: its own runtime and listener, serving until the process ends.
fn serve_thread(
    addr: SocketAddr,
    config: Arc<rustls::ServerConfig>,
    ready: std::sync::mpsc::Sender<Result<(), String>>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(format!("runtime: {e}")));
            return;
        }
    };
    rt.block_on(async move {
        let listener = match listen(addr) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(format!("listen on {addr}: {e}")));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let mut have = 0;
                while have < buf.len() {
                    match tls.read(&mut buf[have..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => have += n,
                    }
                    if buf[..have].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let _ = tls.write_all(REPLY).await;
                let _ = tls.shutdown().await;
            });
        }
    });
}

/// A listener on `addr` that shares the port with the other threads' (SO_REUSEPORT).
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}
