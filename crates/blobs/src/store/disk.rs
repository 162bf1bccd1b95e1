//! [`DiskBlobStore`]: blobs as files `ROOT/ab/cd/<sha>` (two levels of 256 shards, so that no
//! directory grows past a few thousand entries before a county has millions of photos).
//!
//! A blob is written to `ROOT/tmp/<sha>.<pid>.<n>`, fsynced, renamed onto its name (atomic on
//! POSIX), and its directory fsynced: after a crash a blob is whole or absent, and a left-over
//! temporary file is removed the next time the store is opened. Two concurrent `put`s of one name
//! each write their own temporary file; the second rename replaces identical bytes.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::BlobStore;
use crate::error::StoreError;
use crate::sha::Sha256Hex;

/// Temporary files older than this are removed when the store is opened (younger ones may belong
/// to another process writing into the same directory right now).
const STALE_TMP: Duration = Duration::from_secs(3600);

/// Blobs in a directory on the local disk. Cheap to clone (one shared inner part).
#[derive(Debug, Clone)]
pub struct DiskBlobStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    tmp: PathBuf,
    /// Makes temporary names unique within the process.
    counter: AtomicU64,
}

impl DiskBlobStore {
    /// Opens (creating it if needed) the store in `root`, and removes stale temporary files.
    pub fn open(root: impl Into<PathBuf>) -> Result<DiskBlobStore, StoreError> {
        let root = root.into();
        let tmp = root.join("tmp");
        fs::create_dir_all(&tmp)?;
        let now = SystemTime::now();
        for entry in fs::read_dir(&tmp)? {
            let entry = entry?;
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > STALE_TMP);
            if old {
                // Another process may have removed it meanwhile: not an error.
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(DiskBlobStore {
            inner: Arc::new(Inner {
                root,
                tmp,
                counter: AtomicU64::new(0),
            }),
        })
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Where the blob named `sha` lives (whether or not it exists).
    pub fn path_of(&self, sha: &Sha256Hex) -> PathBuf {
        self.inner.path_of(sha)
    }

    /// The names of all stored blobs, sorted (walks every shard: for tests and maintenance).
    pub fn list(&self) -> Result<Vec<Sha256Hex>, StoreError> {
        let root = self.root();
        let mut out = Vec::new();
        for a in read_dir_names(root)? {
            if a.len() != 2 {
                continue; // `tmp`
            }
            for b in read_dir_names(&root.join(&a))? {
                for name in read_dir_names(&root.join(&a).join(&b))? {
                    if let Ok(sha) = Sha256Hex::parse(&name) {
                        out.push(sha);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

impl Inner {
    fn path_of(&self, sha: &Sha256Hex) -> PathBuf {
        let s = sha.as_str();
        self.root.join(&s[0..2]).join(&s[2..4]).join(s)
    }

    fn put(&self, sha: &Sha256Hex, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path_of(sha);
        if path.exists() {
            return Ok(());
        }
        let dir = path
            .parent()
            .ok_or_else(|| StoreError::Config("blob path without a directory".to_owned()))?;
        fs::create_dir_all(dir)?;
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self.tmp.join(format!("{sha}.{}.{n}", std::process::id()));
        let written = (|| -> io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &path)?;
            // The rename is durable once the directory is.
            File::open(dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(written?)
    }
}

fn read_dir_names(dir: &Path) -> Result<Vec<String>, StoreError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    Ok(names)
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Io(io::Error::other(e)))?
}

/// `Ok(None)` for a missing file.
fn not_found_is_none<T>(r: io::Result<T>) -> Result<Option<T>, StoreError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[async_trait::async_trait]
impl BlobStore for DiskBlobStore {
    async fn put(&self, sha: &Sha256Hex, bytes: Bytes) -> Result<(), StoreError> {
        let inner = self.inner.clone();
        let sha = sha.clone();
        blocking(move || inner.put(&sha, &bytes)).await
    }

    async fn get(&self, sha: &Sha256Hex) -> Result<Option<Bytes>, StoreError> {
        let path = self.path_of(sha);
        blocking(move || not_found_is_none(fs::read(path)).map(|v| v.map(Bytes::from))).await
    }

    async fn len(&self, sha: &Sha256Hex) -> Result<Option<u64>, StoreError> {
        let path = self.path_of(sha);
        blocking(move || not_found_is_none(fs::metadata(path)).map(|m| m.map(|m| m.len()))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_is_idempotent_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DiskBlobStore::open(dir.path()).expect("open");
        let bytes = Bytes::from_static(b"not checked here");
        let sha = Sha256Hex::of(&bytes);
        assert!(!store.exists(&sha).await.expect("exists"));
        assert_eq!(store.get(&sha).await.expect("get"), None);
        for _ in 0..3 {
            store.put(&sha, bytes.clone()).await.expect("put");
        }
        assert_eq!(store.get(&sha).await.expect("get"), Some(bytes.clone()));
        assert_eq!(store.len(&sha).await.expect("len"), Some(16));
        assert_eq!(store.list().expect("list"), vec![sha.clone()]);
        let s = sha.as_str();
        assert!(dir.path().join(&s[..2]).join(&s[2..4]).join(s).is_file());
        assert_eq!(
            fs::read_dir(dir.path().join("tmp")).expect("tmp").count(),
            0
        );
    }

    #[tokio::test]
    async fn stale_temporary_files_are_removed_on_open_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tmp = dir.path().join("tmp");
        fs::create_dir_all(&tmp).expect("mkdir");
        let old = tmp.join("old.part");
        let new = tmp.join("new.part");
        fs::write(&old, b"half").expect("write");
        fs::write(&new, b"half").expect("write");
        let past = SystemTime::now() - 2 * STALE_TMP;
        File::options()
            .write(true)
            .open(&old)
            .and_then(|f| f.set_modified(past))
            .expect("age the file");
        let store = DiskBlobStore::open(dir.path()).expect("open");
        assert!(!old.exists());
        assert!(new.exists());
        assert!(store.list().expect("list").is_empty());
    }
}
