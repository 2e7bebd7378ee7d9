//! `HTTP_GET` and `SSL_GET`: fetch each `url` and check its status code and the MD5 digest of
//! its body, as keepalived's check_http.c does.
//!
//! keepalived's request, kept byte for byte in spirit: `GET PATH HTTP/1.0` (1.1 with
//! `http_protocol 1.1`), `User-Agent: KeepAliveClient`, `Connection: close` for `1.0C` and
//! `1.1`, and `Host:` the virtual host or `IP:PORT` (`[IP]:PORT` for IPv6). The response is
//! read to the end of the connection; the status line gives the code; the digest is the MD5
//! of the bytes after the header, at most `Content-Length` of them (not de-chunked, as
//! keepalived). Every url must pass; the first failure is the reason.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use md5::{Digest, Md5};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::socket::{connect_tcp, io_reason};
use super::tls::ClientIdentity;
use super::{Endpoint, Outcome, fmt_duration};

/// The largest response header accepted (keepalived's buffer is 4 KiB; kac is lenient).
const MAX_HEADER: usize = 64 * 1024;

/// `http_protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpProtocol {
    /// `1.0` (the default): HTTP/1.0, no Connection header.
    Http10,
    /// `1.0C`: HTTP/1.0 with `Connection: close`.
    Http10Close,
    /// `1.1`: HTTP/1.1 with `Connection: close`.
    Http11,
}

impl HttpProtocol {
    /// From the keyword's value.
    pub fn parse(s: &str) -> Option<HttpProtocol> {
        match s {
            "1.0" => Some(HttpProtocol::Http10),
            "1.0C" | "1.0c" => Some(HttpProtocol::Http10Close),
            "1.1" => Some(HttpProtocol::Http11),
            _ => None,
        }
    }
}

/// One `url { … }` block, ready to send.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UrlSpec {
    /// `path`.
    pub path: String,
    /// `status_code` ranges (inclusive); 200-299 by default.
    pub status: Vec<(u16, u16)>,
    /// `digest`: the expected MD5 of the body.
    pub digest: Option<[u8; 16]>,
    /// The `virtualhost` in force for this url (url, checker, virtual server), if any.
    pub virtualhost: Option<String>,
}

impl UrlSpec {
    /// Whether `code` is in one of the ranges.
    pub fn status_ok(&self, code: u16) -> bool {
        self.status.iter().any(|&(a, b)| (a..=b).contains(&code))
    }

    /// `200-299` or `200,301-302`: the ranges as written in reasons.
    pub fn status_text(&self) -> String {
        let parts: Vec<String> = self
            .status
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        parts.join(",")
    }
}

/// TLS settings of `SSL_GET`.
#[derive(Clone, Debug)]
pub struct TlsSpec {
    /// `enable_sni`: send the virtual host as SNI.
    pub sni: bool,
    /// The client certificate of the `SSL` block.
    pub identity: Option<ClientIdentity>,
    /// The shared rustls configuration for that identity.
    pub config: Arc<ClientConfig>,
}

impl PartialEq for TlsSpec {
    fn eq(&self, other: &Self) -> bool {
        self.sni == other.sni && self.identity == other.identity
    }
}

impl Eq for TlsSpec {}

impl std::hash::Hash for TlsSpec {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.sni.hash(state);
        self.identity.hash(state);
    }
}

/// An `HTTP_GET` (no TLS) or `SSL_GET` checker.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HttpSpec {
    /// The url blocks, checked in order.
    pub urls: Vec<UrlSpec>,
    /// `http_protocol`.
    pub protocol: HttpProtocol,
    /// `SSL_GET`'s TLS settings.
    pub tls: Option<TlsSpec>,
}

/// What one GET returned.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The status code of the status line (0 if it has none).
    pub status: u16,
    /// The response header, status line included, up to and including the blank line.
    pub header: Vec<u8>,
    /// MD5 of the body as keepalived computes it.
    pub digest: [u8; 16],
    /// Body bytes received (all of them, even past `Content-Length`).
    pub body_len: u64,
    /// The `Content-Length` header, if any.
    pub content_length: Option<u64>,
}

/// Lowercase hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    let mut s = String::with_capacity(digest.len() * 2);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The request keepalived sends for `url` to `connect`.
pub fn request(url: &UrlSpec, protocol: HttpProtocol, connect: SocketAddr) -> String {
    let host = match &url.virtualhost {
        Some(v) => v.clone(),
        None => match connect {
            SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        },
    };
    let (minor, close) = match protocol {
        HttpProtocol::Http10 => (0, ""),
        HttpProtocol::Http10Close => (0, "Connection: close\r\n"),
        HttpProtocol::Http11 => (1, "Connection: close\r\n"),
    };
    format!(
        "GET {} HTTP/1.{minor}\r\nUser-Agent: KeepAliveClient\r\n{close}Host: {host}\r\n\r\n",
        url.path
    )
}

/// One GET of `url`: connect, (TLS, with the url's virtual host as SNI when `enable_sni`),
/// send, read to the end. Errors are reasons.
pub async fn fetch(
    endpoint: &Endpoint,
    tls: Option<&TlsSpec>,
    url: &UrlSpec,
    protocol: HttpProtocol,
) -> Result<Fetched, String> {
    let sni = match tls {
        Some(t) if t.sni => url.virtualhost.as_deref(),
        _ => None,
    };
    fetch_with_sni(endpoint, tls, url, sni, protocol).await
}

/// [`fetch`] with the SNI name given (`None`: no SNI), as `kac genhash --sni` needs.
pub async fn fetch_with_sni(
    endpoint: &Endpoint,
    tls: Option<&TlsSpec>,
    url: &UrlSpec,
    sni: Option<&str>,
    protocol: HttpProtocol,
) -> Result<Fetched, String> {
    let stream = connect_tcp(endpoint)
        .await
        .map_err(|e| io_reason("connect", &e))?;
    let req = request(url, protocol, endpoint.connect);
    match tls {
        None => exchange(stream, req.as_bytes()).await,
        Some(tls) => {
            let name = match sni {
                Some(v) => ServerName::try_from(v.to_string())
                    .map_err(|_| format!("SNI: `{v}` is not a valid server name"))?,
                // An IP address as the name: rustls sends no SNI.
                None => ServerName::IpAddress(endpoint.connect.ip().into()),
            };
            let connector = tokio_rustls::TlsConnector::from(Arc::clone(&tls.config));
            // The request is handed to rustls before the handshake: it keeps it and sends it
            // as the first application data, in the same write as the client's Finished (one
            // packet and one system call less per check; not TLS early data).
            let mut queued = Ok(());
            let stream = connector
                .connect_with(name, stream, |c| {
                    queued = c.writer().write_all(req.as_bytes());
                })
                .await
                .map_err(|e| io_reason("tls handshake", &e))?;
            queued.map_err(|e| io_reason("send request", &e))?;
            exchange(stream, b"").await
        }
    }
}

/// Sends `req` (nothing when it is empty: already sent) and reads the response to the end of
/// the stream.
async fn exchange<S>(mut stream: S, req: &[u8]) -> Result<Fetched, String>
where
    S: AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if !req.is_empty() {
        stream
            .write_all(req)
            .await
            .map_err(|e| io_reason("send request", &e))?;
        stream
            .flush()
            .await
            .map_err(|e| io_reason("send request", &e))?;
    }
    // Filled by `read_buf` (no zeroing of the whole buffer per check).
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut header: Vec<u8> = Vec::new();
    let mut in_body = false;
    let mut md5 = Md5::new();
    let mut body_len: u64 = 0;
    let mut content_length: Option<u64> = None;
    loop {
        buf.clear();
        let n = match stream.read_buf(&mut buf).await {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: keepalived reads that as the end.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(io_reason("read response", &e)),
        };
        if n == 0 {
            break;
        }
        let mut chunk = &buf[..n];
        if !in_body {
            let start = header.len().saturating_sub(3);
            header.extend_from_slice(chunk);
            let Some(end) = find_header_end(&header, start) else {
                if header.len() > MAX_HEADER {
                    return Err(format!(
                        "response header longer than {} KiB",
                        MAX_HEADER / 1024
                    ));
                }
                continue;
            };
            in_body = true;
            let body_start = chunk.len() - (header.len() - end);
            header.truncate(end);
            content_length = content_length_of(&header);
            chunk = &chunk[body_start..];
        }
        let take = match content_length {
            Some(cl) => chunk
                .len()
                .min(usize::try_from(cl.saturating_sub(body_len)).unwrap_or(usize::MAX)),
            None => chunk.len(),
        };
        md5.update(&chunk[..take]);
        body_len += chunk.len() as u64;
    }
    if !in_body {
        return Err("no HTTP response (connection closed before the end of the header)".into());
    }
    Ok(Fetched {
        status: status_of(&header),
        header,
        digest: md5.finalize().into(),
        body_len,
        content_length,
    })
}

/// The index just past the `\r\n\r\n` ending the header, searching from `from`.
fn find_header_end(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| from + i + 4)
}

/// The code of an `HTTP/x.y NNN reason` status line (0 when there is none).
fn status_of(header: &[u8]) -> u16 {
    let line = header.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some(v), Some(code)) if v.starts_with("HTTP/") => code.parse().unwrap_or(0),
        _ => 0,
    }
}

/// The `Content-Length` header's value.
fn content_length_of(header: &[u8]) -> Option<u64> {
    String::from_utf8_lossy(header)
        .lines()
        .skip(1)
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
}

/// One check: every url in turn, each bounded by `timeout`.
pub async fn check(endpoint: &Endpoint, spec: &HttpSpec, timeout: Duration) -> Outcome {
    for url in &spec.urls {
        let got = tokio::time::timeout(
            timeout,
            fetch(endpoint, spec.tls.as_ref(), url, spec.protocol),
        )
        .await;
        let fetched = match got {
            Err(_) => {
                return Outcome::down(format!(
                    "url {}: timeout after {}",
                    url.path,
                    fmt_duration(timeout)
                ));
            }
            Ok(Err(reason)) => return Outcome::down(format!("url {}: {reason}", url.path)),
            Ok(Ok(f)) => f,
        };
        if !url.status_ok(fetched.status) {
            return Outcome::down(format!(
                "url {}: status {} not in {}",
                url.path,
                fetched.status,
                url.status_text()
            ));
        }
        if let Some(want) = url.digest
            && want != fetched.digest
        {
            return Outcome::down(format!(
                "url {}: digest {} differs from the expected {}",
                url.path,
                hex(&fetched.digest),
                hex(&want)
            ));
        }
    }
    Outcome::Up
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_keepalived_s() {
        let url = UrlSpec {
            path: "/health".into(),
            status: vec![(200, 299)],
            digest: None,
            virtualhost: None,
        };
        let v4: SocketAddr = "192.0.2.1:8080".parse().expect("addr");
        let v6: SocketAddr = "[2001:db8::1]:80".parse().expect("addr");
        assert_eq!(
            request(&url, HttpProtocol::Http10, v4),
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 192.0.2.1:8080\r\n\r\n"
        );
        assert_eq!(
            request(&url, HttpProtocol::Http11, v6),
            "GET /health HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [2001:db8::1]:80\r\n\r\n"
        );
        let vhost = UrlSpec {
            virtualhost: Some("www.example.test".into()),
            ..url
        };
        assert_eq!(
            request(&vhost, HttpProtocol::Http10Close, v4),
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.test\r\n\r\n"
        );
    }

    #[test]
    fn status_lines_and_lengths_parse() {
        assert_eq!(status_of(b"HTTP/1.1 503 Service Unavailable\r\n\r\n"), 503);
        assert_eq!(status_of(b"garbage\r\n\r\n"), 0);
        assert_eq!(
            content_length_of(b"HTTP/1.0 200 OK\r\ncontent-LENGTH: 12\r\n\r\n"),
            Some(12)
        );
        assert_eq!(find_header_end(b"a\r\n\r\nbody", 0), Some(5));
    }
}
