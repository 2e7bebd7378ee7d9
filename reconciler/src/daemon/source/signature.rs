//! Commit signature verification against an allowed-signers file (git's
//! `gpg.ssh.allowedSignersFile` format: `PRINCIPALS [OPTIONS] KEYTYPE KEY`), for SSH
//! signatures (`git -c gpg.format=ssh commit -S`). Verification is OpenSSH's own, as git
//! does it: `ssh-keygen -Y find-principals` names the signer, `ssh-keygen -Y verify` with
//! namespace `git` checks the signature over the commit. OpenPGP and X.509 signatures are
//! refused as unverifiable.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// A verified signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    /// The principal of the allowed-signers file that signed.
    pub principal: String,
}

/// Verifies `commit`'s signature against `allowed_signers`; `Err` says why the commit must
/// be refused (unsigned, not an SSH signature, no allowed signer, bad signature).
pub fn verify(
    repo: &git2::Repository,
    commit: git2::Oid,
    allowed_signers: &Path,
    scratch: &Path,
) -> Result<Signer, String> {
    let (sig, data) = match repo.extract_signature(&commit, None) {
        Ok(x) => x,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            return Err("the commit is not signed".into());
        }
        Err(e) => return Err(format!("cannot read its signature: {}", e.message())),
    };
    let sig_text = String::from_utf8_lossy(&sig);
    if !sig_text
        .trim_start()
        .starts_with("-----BEGIN SSH SIGNATURE-----")
    {
        return Err(
            "the commit has a signature kac cannot verify (only SSH signatures are supported)"
                .into(),
        );
    }
    std::fs::create_dir_all(scratch)
        .map_err(|e| format!("cannot create `{}`: {e}", scratch.display()))?;
    let sig_path = scratch.join(format!("{commit}.sig"));
    std::fs::write(&sig_path, &*sig)
        .map_err(|e| format!("cannot write `{}`: {e}", sig_path.display()))?;
    let result = verify_file(&sig_path, &data, allowed_signers);
    let _ = std::fs::remove_file(&sig_path);
    result
}

fn verify_file(sig_path: &Path, data: &[u8], allowed: &Path) -> Result<Signer, String> {
    let keygen =
        |args: &[&std::ffi::OsStr], input: &[u8]| -> Result<(bool, String, String), String> {
            let mut child = Command::new("ssh-keygen")
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run `ssh-keygen` (openssh-client): {e}"))?;
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(input);
            }
            let out = child
                .wait_with_output()
                .map_err(|e| format!("`ssh-keygen` failed: {e}"))?;
            Ok((
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ))
        };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let (found, principals, err) = keygen(
        &[
            os("-Y"),
            os("find-principals"),
            os("-f"),
            allowed.as_os_str(),
            os("-s"),
            sig_path.as_os_str(),
        ],
        b"",
    )?;
    let principal = principals.lines().next().map(str::trim).unwrap_or("");
    if !found || principal.is_empty() {
        let why = if err.is_empty() {
            String::new()
        } else {
            format!(" ({err})")
        };
        return Err(format!(
            "the commit is signed by a key that is not in the allowed signers `{}`{why}",
            allowed.display()
        ));
    }
    let (ok, _, err) = keygen(
        &[
            os("-Y"),
            os("verify"),
            os("-f"),
            allowed.as_os_str(),
            os("-I"),
            std::ffi::OsStr::new(principal),
            os("-n"),
            os("git"),
            os("-s"),
            sig_path.as_os_str(),
        ],
        data,
    )?;
    if ok {
        Ok(Signer {
            principal: principal.to_string(),
        })
    } else {
        Err(format!(
            "the commit's signature by `{principal}` does not verify ({err})"
        ))
    }
}
