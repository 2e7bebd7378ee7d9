//! `SMTP_CHECK`: read the `220` greeting, send `HELO helo_name`, expect `250`, then `QUIT`
//! (keepalived's check_smtp.c).

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::socket::{connect_tcp, io_reason};
use super::{Endpoint, Outcome};

/// The longest reply line accepted.
const MAX_LINE: usize = 4096;

/// One SMTP check of `endpoint` greeting as `helo_name`.
pub async fn check(endpoint: &Endpoint, helo_name: &str) -> Outcome {
    match exchange(endpoint, helo_name).await {
        Ok(()) => Outcome::Up,
        Err(reason) => Outcome::down(reason),
    }
}

async fn exchange(endpoint: &Endpoint, helo_name: &str) -> Result<(), String> {
    let stream = connect_tcp(endpoint)
        .await
        .map_err(|e| io_reason("connect", &e))?;
    let mut stream = BufReader::new(stream);
    expect(&mut stream, 220, "greeting").await?;
    send(&mut stream, &format!("HELO {helo_name}\r\n")).await?;
    expect(&mut stream, 250, "HELO").await?;
    // keepalived sends QUIT and closes without waiting for 221.
    let _ = send(&mut stream, "QUIT\r\n").await;
    Ok(())
}

async fn send(stream: &mut BufReader<TcpStream>, line: &str) -> Result<(), String> {
    stream
        .get_mut()
        .write_all(line.as_bytes())
        .await
        .map_err(|e| io_reason("send", &e))
}

/// Reads one reply (continuation lines `NNN-…` up to the last `NNN …`) and checks its code.
async fn expect(stream: &mut BufReader<TcpStream>, want: u16, what: &str) -> Result<(), String> {
    let mut line = String::new();
    loop {
        line.clear();
        let n = stream
            .read_line(&mut line)
            .await
            .map_err(|e| io_reason(&format!("read {what} reply"), &e))?;
        if n == 0 {
            return Err(format!("connection closed before the {what} reply"));
        }
        if line.len() > MAX_LINE {
            return Err(format!("{what} reply line too long"));
        }
        let text = line.trim_end();
        let code: Option<u16> = text.get(..3).and_then(|c| c.parse().ok());
        let Some(code) = code else {
            return Err(format!("{what} reply is not SMTP: `{text}`"));
        };
        if text.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        if code != want {
            return Err(format!("{what} reply {code}, expected {want}: `{text}`"));
        }
        return Ok(());
    }
}
