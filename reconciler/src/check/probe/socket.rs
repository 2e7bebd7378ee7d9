//! The sockets of every probe, with keepalived's common connection keywords applied:
//! `bindto` and `bind_port` (bind before connecting), `bind_if` (SO_BINDTODEVICE) and
//! `fwmark` (SO_MARK).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpStream, UdpSocket};

use super::Endpoint;

/// A non-blocking socket of `ty` for `endpoint`'s address family, with the source options set
/// and bound when a source address or port is configured.
fn source_socket(
    endpoint: &Endpoint,
    ty: Type,
    protocol: Option<Protocol>,
    always_bind: bool,
) -> io::Result<Socket> {
    let domain = Domain::for_address(endpoint.connect);
    let socket = Socket::new(domain, ty.nonblocking().cloexec(), protocol)?;
    if let Some(dev) = &endpoint.bind_if {
        socket.bind_device(Some(dev.as_bytes()))?;
    }
    if let Some(mark) = endpoint.fwmark {
        socket.set_mark(mark)?;
    }
    if endpoint.bindto.is_some() || endpoint.bind_port.is_some() || always_bind {
        let ip = endpoint.bindto.unwrap_or(match endpoint.connect {
            SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        });
        if endpoint.bind_port.is_some() {
            // Successive checks reuse the same source port while the old connection is in
            // TIME_WAIT.
            socket.set_reuse_address(true)?;
        }
        socket.bind(&SocketAddr::new(ip, endpoint.bind_port.unwrap_or(0)).into())?;
    }
    Ok(socket)
}

/// A TCP connection to `endpoint.connect` (the caller bounds the wait).
pub async fn connect_tcp(endpoint: &Endpoint) -> io::Result<TcpStream> {
    let socket = source_socket(endpoint, Type::STREAM, Some(Protocol::TCP), false)?;
    let socket = tokio::net::TcpSocket::from_std_stream(socket.into());
    socket.connect(endpoint.connect).await
}

/// A UDP socket connected to `endpoint.connect`.
pub async fn connect_udp(endpoint: &Endpoint) -> io::Result<UdpSocket> {
    let socket = source_socket(endpoint, Type::DGRAM, Some(Protocol::UDP), true)?;
    let socket = UdpSocket::from_std(socket.into())?;
    socket.connect(endpoint.connect).await?;
    Ok(socket)
}

/// A human reason for an I/O error: the OS message without the "(os error N)" suffix.
pub fn io_reason(context: &str, e: &io::Error) -> String {
    let msg = e.to_string();
    let msg = match msg.find(" (os error") {
        Some(i) => &msg[..i],
        None => &msg,
    };
    format!("{context}: {}", msg.to_lowercase())
}

/// An ICMP socket connected to `endpoint.connect`: an unprivileged datagram "ping" socket
/// when the kernel allows it (`net.ipv4.ping_group_range`), else a raw socket (root). The
/// flag is true for a raw socket (IPv4 raw sockets receive the IP header, and see every
/// echo reply, so replies must be matched by identifier).
pub async fn connect_icmp(endpoint: &Endpoint) -> io::Result<(UdpSocket, bool)> {
    let protocol = match endpoint.connect {
        SocketAddr::V4(_) => Protocol::ICMPV4,
        SocketAddr::V6(_) => Protocol::ICMPV6,
    };
    let (socket, raw) = match source_socket(endpoint, Type::DGRAM, Some(protocol), false) {
        Ok(s) => (s, false),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::PermissionDenied | io::ErrorKind::InvalidInput
            ) || e.raw_os_error() == Some(13)
                || e.raw_os_error() == Some(1) =>
        {
            (
                source_socket(endpoint, Type::RAW, Some(protocol), false)?,
                true,
            )
        }
        Err(e) => return Err(e),
    };
    let socket = UdpSocket::from_std(socket.into())?;
    socket.connect(endpoint.connect).await?;
    Ok((socket, raw))
}
