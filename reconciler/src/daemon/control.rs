//! The control socket: a unix stream socket (default `/run/kac/kac.sock`, mode 0600, owned by
//! the daemon's user, and only root or that user may talk to it, checked by the peer's
//! credentials). One request per connection: a JSON line in, a JSON line out.
//!
//! ```text
//! > {"command":"pin","revision":"3f2a…"}
//! < {"ok":true,"message":"pinned to 3f2a…","status":{…}}
//! ```
//!
//! [`request`] is the blocking client `kac status` and `kac ctl` use.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kac_schema::status::Status;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::event::Event;

/// The default control socket.
pub const DEFAULT_CONTROL: &str = "/run/kac/kac.sock";

/// The longest request accepted.
const MAX_REQUEST: usize = 64 * 1024;

/// An operator's request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum ControlRequest {
    /// The daemon's state.
    Status,
    /// Stop applying anything (new revisions and drift repairs) until `resume`.
    Suspend,
    /// Undo `suspend`.
    Resume,
    /// Read the source now and re-check the whole kernel state (IPVS included).
    Sync,
    /// Converge to this revision and stay there; `None`: the applied one.
    Pin {
        /// A commit (anything git resolves in the fetched history), or a path source's digest.
        revision: Option<String>,
    },
    /// Undo `pin`: converge to the newest revision again.
    Unpin,
    /// Observe-only mode on or off.
    Observe {
        /// On or off.
        on: bool,
    },
}

/// The daemon's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlReply {
    /// Whether the request was carried out.
    pub ok: bool,
    /// What was done, or why not.
    pub message: String,
    /// The state after the request.
    pub status: Option<Status>,
}

/// Why the control socket cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// Another daemon answers on the socket.
    #[error("another kac daemon is listening on `{0}`")]
    InUse(PathBuf),
    /// An IO error.
    #[error("control socket `{path}`: {source}")]
    Io {
        /// The socket path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Binds the control socket at `path` (creating its directory; replacing a stale socket file,
/// never one a live daemon answers on) with mode 0600.
pub fn bind(path: &Path) -> Result<UnixListener, ControlError> {
    let io = |source| ControlError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(ControlError::InUse(path.to_path_buf()));
        }
        std::fs::remove_file(path).map_err(io)?;
    }
    let listener = UnixListener::bind(path).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    Ok(listener)
}

/// Serves requests until the loop goes away: each is handed to the loop as
/// [`Event::Control`] and its reply written back.
pub async fn serve(listener: UnixListener, events: mpsc::Sender<Event>) {
    let me = effective_uid();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: try again a little later.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let events = events.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, events, me).await {
                tracing::debug!("control connection: {e}");
            }
        });
    }
}

async fn connection(
    stream: UnixStream,
    events: mpsc::Sender<Event>,
    me: Option<u32>,
) -> std::io::Result<()> {
    let peer = stream.peer_cred()?.uid();
    let (read, mut write) = stream.into_split();
    let reply = if peer != 0 && Some(peer) != me {
        refusal(format!("permission denied: uid {peer} is not root"))
    } else {
        let mut line = String::new();
        let mut reader = tokio::io::BufReader::new(read).take(MAX_REQUEST as u64);
        reader.read_line(&mut line).await?;
        match serde_json::from_str::<ControlRequest>(line.trim()) {
            Err(e) => refusal(format!("bad request: {e}")),
            Ok(req) => {
                let (tx, rx) = oneshot::channel();
                if events.send(Event::Control(req, tx)).await.is_err() {
                    refusal("the daemon is stopping".into())
                } else {
                    rx.await
                        .unwrap_or_else(|_| refusal("the daemon is stopping".into()))
                }
            }
        }
    };
    let mut text = serde_json::to_vec(&reply).map_err(std::io::Error::other)?;
    text.push(b'\n');
    write.write_all(&text).await?;
    write.shutdown().await
}

fn refusal(message: String) -> ControlReply {
    ControlReply {
        ok: false,
        message,
        status: None,
    }
}

/// The process's effective user id (the owner of `/proc/self`).
fn effective_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// Why a request could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens (no daemon, or another `--control`).
    #[error(
        "cannot reach the kac daemon at `{path}`: {source} (is `kac daemon` running, with this `--control`?)"
    )]
    Connect {
        /// The socket.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The exchange failed.
    #[error("the kac daemon at `{path}` did not answer: {reason}")]
    Exchange {
        /// The socket.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Sends `req` to the daemon at `path` and waits (at most `timeout`) for its reply.
pub fn request(
    path: &Path,
    req: &ControlRequest,
    timeout: Duration,
) -> Result<ControlReply, ClientError> {
    let exchange = |reason: String| ClientError::Exchange {
        path: path.to_path_buf(),
        reason,
    };
    let mut stream =
        std::os::unix::net::UnixStream::connect(path).map_err(|source| ClientError::Connect {
            path: path.to_path_buf(),
            source,
        })?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| exchange(e.to_string()))?;
    let mut text = serde_json::to_vec(req).map_err(|e| exchange(e.to_string()))?;
    text.push(b'\n');
    stream
        .write_all(&text)
        .map_err(|e| exchange(e.to_string()))?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(|e| exchange(e.to_string()))?;
    serde_json::from_str(&line).map_err(|e| exchange(format!("bad reply ({e}): {line}")))
}
