//! `TCP_CHECK`: up when the connection is accepted; it is closed at once, sending nothing
//! (keepalived's check_tcp.c). kac closes it with a reset (SO_LINGER 0), as HAProxy's health
//! checks do: no FIN exchange and no TIME_WAIT socket per check on the checking host.

use super::socket::{connect_tcp, io_reason};
use super::{Endpoint, Outcome};

/// One TCP check of `endpoint`.
pub async fn check(endpoint: &Endpoint) -> Outcome {
    match connect_tcp(endpoint).await {
        Ok(stream) => {
            let _ = stream.set_zero_linger();
            drop(stream);
            Outcome::Up
        }
        Err(e) => Outcome::down(io_reason("connect", &e)),
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    use std::time::Duration;

    use super::super::{Endpoint, Outcome, ProbeKind, ProbeSpec, probe};

    fn endpoint(connect: SocketAddr) -> Endpoint {
        Endpoint {
            connect,
            bindto: None,
            bind_port: None,
            bind_if: None,
            fwmark: None,
        }
    }

    fn spec(endpoint: Endpoint) -> ProbeSpec {
        ProbeSpec::new(endpoint, Duration::from_secs(2), ProbeKind::Tcp)
    }

    #[tokio::test]
    async fn up_when_the_connection_is_accepted_from_the_bound_source() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listen");
        let mut ep = endpoint(listener.local_addr().expect("addr"));
        ep.bindto = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
        let spec = spec(ep);
        let (outcome, accepted) = tokio::join!(probe(&spec), listener.accept());
        assert_eq!(outcome, Outcome::Up);
        let (_, peer) = accepted.expect("accept");
        assert_eq!(peer.ip(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    }

    #[tokio::test]
    async fn down_when_the_port_is_closed() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let outcome = probe(&spec(endpoint(addr))).await;
        assert_eq!(outcome, Outcome::down("connect: connection refused"));
    }

    #[tokio::test]
    async fn down_when_the_interface_does_not_exist() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let mut ep = endpoint(listener.local_addr().expect("addr"));
        ep.bind_if = Some("kac-nosuch0".into());
        match probe(&spec(ep)).await {
            Outcome::Down { reason } => assert!(reason.starts_with("connect: "), "{reason}"),
            other => panic!("expected down, got {other:?}"),
        }
    }

    #[test]
    fn identical_checks_share_a_dedupe_key() {
        let addr: SocketAddr = "192.0.2.1:80".parse().expect("addr");
        let a = spec(endpoint(addr));
        let b = spec(endpoint(addr));
        let mut other = endpoint(addr);
        other.fwmark = Some(1);
        assert_eq!(a.dedupe_key(), b.dedupe_key());
        assert_ne!(a.dedupe_key(), spec(other).dedupe_key());
    }
}
