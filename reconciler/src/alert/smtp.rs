//! A plain SMTP client, as keepalived speaks it: connect (with `smtp_connect_timeout`),
//! `HELO`, `MAIL FROM`, one `RCPT TO` per recipient, `DATA`, the message, `.`, `QUIT`. No
//! TLS and no authentication (keepalived has neither: it talks to a local relay).

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Why a mail was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// No connection within the timeout.
    #[error("cannot connect to {server}: {reason}")]
    Connect {
        /// host:port.
        server: String,
        /// Why.
        reason: String,
    },
    /// The server answered a step with an unexpected code.
    #[error("SMTP server refused {step}: {reply}")]
    Refused {
        /// The step (`HELO`, `MAIL FROM`, …).
        step: &'static str,
        /// Its reply.
        reply: String,
    },
    /// The connection broke or a step timed out.
    #[error("SMTP {step}: {reason}")]
    Io {
        /// The step.
        step: &'static str,
        /// Why.
        reason: String,
    },
}

/// Where and as whom mail is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Server host name or address.
    pub host: String,
    /// Server port (25 by default).
    pub port: u16,
    /// The name given in `HELO`.
    pub helo: String,
    /// The envelope and header sender.
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
    /// Connect timeout, also the timeout of each reply.
    pub timeout: Duration,
}

/// Sends one message (`data`: headers and body, from [`super::mail::message_data`]) to all
/// recipients in one session.
pub async fn send(settings: &SmtpSettings, data: &str) -> Result<(), SmtpError> {
    let server = format!("{}:{}", settings.host, settings.port);
    let stream = tokio::time::timeout(
        settings.timeout,
        TcpStream::connect((settings.host.as_str(), settings.port)),
    )
    .await
    .map_err(|_| SmtpError::Connect {
        server: server.clone(),
        reason: format!("timed out after {:?}", settings.timeout),
    })?
    .map_err(|e| SmtpError::Connect {
        server: server.clone(),
        reason: e.to_string(),
    })?;
    let mut s = Session {
        io: BufReader::new(stream),
        timeout: settings.timeout,
    };
    s.expect("greeting", 220).await?;
    s.command("HELO", &format!("HELO {}\r\n", settings.helo), 250)
        .await?;
    s.command(
        "MAIL FROM",
        &format!("MAIL FROM:<{}>\r\n", settings.from),
        250,
    )
    .await?;
    for rcpt in &settings.to {
        s.command("RCPT TO", &format!("RCPT TO:<{rcpt}>\r\n"), 250)
            .await?;
    }
    s.command("DATA", "DATA\r\n", 354).await?;
    let mut body = data.to_string();
    if !body.ends_with("\r\n") {
        body.push_str("\r\n");
    }
    body.push_str(".\r\n");
    s.command("message", &body, 250).await?;
    // The mail is accepted; a failing QUIT changes nothing.
    let _ = s.command("QUIT", "QUIT\r\n", 221).await;
    Ok(())
}

struct Session {
    io: BufReader<TcpStream>,
    timeout: Duration,
}

impl Session {
    async fn command(
        &mut self,
        step: &'static str,
        line: &str,
        want: u16,
    ) -> Result<(), SmtpError> {
        let io_err = |e: std::io::Error| SmtpError::Io {
            step,
            reason: e.to_string(),
        };
        tokio::time::timeout(self.timeout, self.io.get_mut().write_all(line.as_bytes()))
            .await
            .map_err(|_| SmtpError::Io {
                step,
                reason: "timed out writing".into(),
            })?
            .map_err(io_err)?;
        self.expect(step, want).await
    }

    /// Reads one reply (multi-line replies: `250-…` lines until `250 …`) and checks its code.
    async fn expect(&mut self, step: &'static str, want: u16) -> Result<(), SmtpError> {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(self.timeout, self.io.read_line(&mut line))
                .await
                .map_err(|_| SmtpError::Io {
                    step,
                    reason: "timed out waiting for the reply".into(),
                })?
                .map_err(|e| SmtpError::Io {
                    step,
                    reason: e.to_string(),
                })?;
            if n == 0 {
                return Err(SmtpError::Io {
                    step,
                    reason: "connection closed".into(),
                });
            }
            reply.push_str(line.trim_end());
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
            reply.push(' ');
        }
        let code: Option<u16> = reply.get(..3).and_then(|c| c.parse().ok());
        if code == Some(want) {
            Ok(())
        } else {
            Err(SmtpError::Refused { step, reply })
        }
    }
}
