//! The files of one side of `kac plan`: a git revision read straight from the object database
//! (no checkout), or the working tree including uncommitted files. Both are
//! [`FileOpener`]s, so the compiler resolves includes, globs and site manifests inside them.
//!
//! Both present the repository at its working directory's path, so paths (and the names in
//! diagnostics) are the same on both sides. Neither reaches outside the repository: a path
//! there is not found (absolute includes need the site manifest's path map).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use kac_compiler::conf::include::glob_real;
use kac_compiler::conf::preproc::{EntryKind, FileBytes, FileOpener, RealFs};

/// Why a revision cannot be read.
#[derive(Debug)]
pub struct RevError(pub String);

/// What a tree entry is.
#[derive(Debug, Clone, Copy)]
enum Node {
    Blob { oid: git2::Oid, executable: bool },
    Link { oid: git2::Oid },
    Dir,
    Other,
}

/// A commit's tree, served from the object database.
pub struct GitTree {
    root: PathBuf,
    repo: Mutex<git2::Repository>,
    /// Repository-relative path -> entry (directories included).
    nodes: HashMap<PathBuf, Node>,
    /// Repository-relative directory -> its names, sorted.
    dirs: BTreeMap<PathBuf, Vec<String>>,
    /// Blobs read so far.
    blobs: Mutex<HashMap<git2::Oid, FileBytes>>,
    /// The commit id.
    pub commit: String,
}

/// At most this many symbolic links are followed for one path (like the kernel's 40).
const MAX_LINKS: usize = 40;

impl GitTree {
    /// The tree of revision `rev` (anything `git rev-parse` takes) of the repository at
    /// `repo_path`, presented at `root`.
    pub fn open(repo_path: &Path, rev: &str, root: &Path) -> Result<GitTree, RevError> {
        // Objects are read, never written: skip re-hashing every object read (a quarter of
        // the time on large configurations); git itself does not verify on read either.
        git2::opts::strict_hash_verification(false);
        let repo = git2::Repository::open(repo_path)
            .map_err(|e| RevError(format!("cannot open the repository: {}", e.message())))?;
        let (commit, tree_id) = {
            let commit = repo
                .revparse_single(rev)
                .and_then(|o| o.peel_to_commit())
                .map_err(|e| RevError(format!("unknown revision `{rev}`: {}", e.message())))?;
            (commit.id(), commit.tree_id())
        };
        let tree = repo
            .find_tree(tree_id)
            .map_err(|e| RevError(format!("cannot read the tree of `{rev}`: {}", e.message())))?;
        let mut nodes = HashMap::new();
        let mut dirs: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
        dirs.insert(PathBuf::new(), Vec::new());
        nodes.insert(PathBuf::new(), Node::Dir);
        tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
            let Ok(name) = entry.name() else {
                return git2::TreeWalkResult::Skip;
            };
            let dir = PathBuf::from(parent);
            let path = dir.join(name);
            let node = match entry.filemode() {
                0o040000 => Node::Dir,
                0o100755 => Node::Blob {
                    oid: entry.id(),
                    executable: true,
                },
                0o100644 | 0o100664 => Node::Blob {
                    oid: entry.id(),
                    executable: false,
                },
                0o120000 => Node::Link { oid: entry.id() },
                _ => Node::Other,
            };
            if matches!(node, Node::Dir) {
                dirs.entry(path.clone()).or_default();
            }
            dirs.entry(dir).or_default().push(name.to_string());
            nodes.insert(path, node);
            git2::TreeWalkResult::Ok
        })
        .map_err(|e| RevError(format!("cannot read the tree of `{rev}`: {}", e.message())))?;
        for names in dirs.values_mut() {
            names.sort();
        }
        drop(tree);
        let commit = commit.to_string();
        Ok(GitTree {
            root: root.to_path_buf(),
            repo: Mutex::new(repo),
            nodes,
            dirs,
            blobs: Mutex::new(HashMap::new()),
            commit,
        })
    }

    /// Whether `path` is a directory above the repository (on the way down to it).
    fn above_root(&self, path: &Path) -> bool {
        path.is_absolute() && path != self.root && self.root.starts_with(path)
    }

    /// The content of a blob, read once (site discovery, config ids and the compiler all
    /// read the entry config).
    fn blob(&self, oid: git2::Oid) -> std::io::Result<FileBytes> {
        let poisoned = || std::io::Error::other("the repository lock is poisoned");
        if let Some(b) = self.blobs.lock().map_err(|_| poisoned())?.get(&oid) {
            return Ok(b.clone());
        }
        let content = {
            let repo = self.repo.lock().map_err(|_| poisoned())?;
            read_blob(&repo, oid)?
        };
        self.blobs
            .lock()
            .map_err(|_| poisoned())?
            .insert(oid, content.clone());
        Ok(content)
    }

    /// The repository-relative path `path` names, symbolic links followed; `None` outside
    /// the repository or when a link is broken or loops.
    fn resolve(&self, path: &Path) -> Option<PathBuf> {
        let mut todo = if path.is_absolute() {
            path.strip_prefix(&self.root).ok()?.to_path_buf()
        } else {
            path.to_path_buf()
        };
        let mut hops = 0;
        'restart: loop {
            let mut current = PathBuf::new();
            let comps: Vec<Component> = todo.components().collect();
            for (i, c) in comps.iter().enumerate() {
                match c {
                    Component::Normal(n) => {
                        current.push(n);
                        if let Some(Node::Link { oid }) = self.nodes.get(&current) {
                            hops += 1;
                            if hops > MAX_LINKS {
                                return None;
                            }
                            let target = self.blob(*oid).ok()?;
                            let target = PathBuf::from(String::from_utf8_lossy(&target).as_ref());
                            current.pop();
                            let rest: PathBuf = comps[i + 1..].iter().collect();
                            let next = if target.is_absolute() {
                                target.strip_prefix(&self.root).ok()?.to_path_buf()
                            } else {
                                current.join(target)
                            };
                            todo = next.join(rest);
                            continue 'restart;
                        }
                    }
                    Component::ParentDir => {
                        if !current.pop() {
                            return None;
                        }
                    }
                    Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
                }
            }
            return Some(current);
        }
    }
}

/// The content of blob `oid`: streamed from a loose object straight into its buffer (large
/// configurations: no second copy of a 36 MB text), else (packed objects) copied out of
/// libgit2's buffer.
fn read_blob(repo: &git2::Repository, oid: git2::Oid) -> std::io::Result<FileBytes> {
    let git_err = |e: git2::Error| std::io::Error::other(e.message().to_string());
    let odb = repo.odb().map_err(git_err)?;
    if let Ok((mut reader, size, git2::ObjectType::Blob)) = odb.reader(oid) {
        let mut buf = vec![0; size];
        if std::io::Read::read_exact(&mut reader, &mut buf).is_ok() {
            return Ok(buf.into());
        }
    }
    let blob = repo.find_blob(oid).map_err(git_err)?;
    Ok(blob.content().to_vec().into())
}

impl FileOpener for GitTree {
    fn open(&self, path: &Path) -> std::io::Result<Box<dyn BufRead>> {
        let not_found = || {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file in this revision",
            )
        };
        let rel = self.resolve(path).ok_or_else(not_found)?;
        match self.nodes.get(&rel) {
            Some(Node::Blob { oid, .. }) => Ok(Box::new(std::io::Cursor::new(self.blob(*oid)?))),
            Some(Node::Dir) => Err(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "is a directory",
            )),
            _ => Err(not_found()),
        }
    }

    fn read(&self, path: &Path) -> std::io::Result<FileBytes> {
        let rel = self.resolve(path).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file in this revision",
            )
        })?;
        match self.nodes.get(&rel) {
            Some(Node::Blob { oid, .. }) => self.blob(*oid),
            _ => {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut self.open(path)?, &mut out)?;
                Ok(out.into())
            }
        }
    }

    fn entry(&self, path: &Path) -> Option<EntryKind> {
        if self.above_root(path) {
            return Some(EntryKind::Dir);
        }
        let rel = self.resolve(path)?;
        Some(match self.nodes.get(&rel)? {
            Node::Blob { executable, .. } => EntryKind::File {
                executable: *executable,
            },
            Node::Dir => EntryKind::Dir,
            Node::Link { .. } | Node::Other => EntryKind::Other,
        })
    }

    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        if self.above_root(dir) {
            // Only the way down to the repository exists above it.
            let below = self.root.strip_prefix(dir).unwrap_or(Path::new(""));
            return Ok(below
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .into_iter()
                .collect());
        }
        let rel = self.resolve(dir).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory")
        })?;
        self.dirs
            .get(&rel)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"))
    }

    fn canonicalize(&self, path: &Path) -> PathBuf {
        self.resolve(path)
            .map_or_else(|| path.to_path_buf(), |rel| self.root.join(rel))
    }
}

/// The working tree (uncommitted and untracked files included), limited to the repository.
pub struct WorkTree {
    root: PathBuf,
}

impl WorkTree {
    /// The working tree whose top is `root` (an absolute, canonical path).
    pub fn new(root: &Path) -> WorkTree {
        WorkTree {
            root: root.to_path_buf(),
        }
    }

    fn inside(&self, path: &Path) -> bool {
        lexical(path).starts_with(&self.root)
    }
}

/// `path` with `.` and `..` taken lexically.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl FileOpener for WorkTree {
    fn open(&self, path: &Path) -> std::io::Result<Box<dyn BufRead>> {
        if !self.inside(path) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "outside the repository",
            ));
        }
        RealFs.open(path)
    }

    fn entry(&self, path: &Path) -> Option<EntryKind> {
        if self.inside(path) {
            RealFs.entry(path)
        } else {
            None
        }
    }

    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        RealFs.list_dir(dir)
    }

    fn canonicalize(&self, path: &Path) -> PathBuf {
        RealFs.canonicalize(path)
    }

    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        glob_real(pattern)
            .into_iter()
            .filter(|p| self.inside(p))
            .collect()
    }
}
