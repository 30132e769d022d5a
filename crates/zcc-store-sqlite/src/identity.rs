//! Whether the database file this process has open is still the file at its path.
//!
//! An open SQLite connection keeps working on its file after the file is unlinked (or after
//! another file is moved over its path): every commit succeeds, is made durable on an inode no
//! path names, and is gone for good when the process exits. So the writer compares the
//! device and inode of the files it opened (the database, its `-wal` and `-shm`) with a
//! `stat` of their paths before and after each commit, and refuses to acknowledge while they
//! differ (crate docs, "A vanished database").
//!
//! "Restored" means that the paths name the open files again: the files were moved away and
//! moved back, or linked back from another name. A copy is another file: the process must be
//! restarted on it.
//!
//! [`check_space`] is the other half of readiness: whether the file system the database is on
//! can take a write (not read-only, not full).

use std::path::{Path, PathBuf};

/// A file's identity: device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

#[cfg(unix)]
fn file_id(path: &Path) -> std::io::Result<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path)?;
    Ok(FileId {
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// Elsewhere a file has no identity to compare: the check always passes.
#[cfg(not(unix))]
fn file_id(path: &Path) -> std::io::Result<FileId> {
    std::fs::metadata(path).map(|_| FileId { dev: 0, ino: 0 })
}

/// The identities of the database's files as this process opened them.
pub(crate) struct FileIdentity {
    files: Vec<(PathBuf, Option<FileId>)>,
}

impl FileIdentity {
    /// Record the database file at `path` and, where they exist yet, its `-wal` and `-shm`.
    pub(crate) fn capture(path: &Path) -> FileIdentity {
        let mut files = vec![path.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            files.push(PathBuf::from(name));
        }
        FileIdentity {
            files: files
                .into_iter()
                .map(|p| {
                    let id = file_id(&p).ok();
                    (p, id)
                })
                .collect(),
        }
    }

    /// `Ok` while every path names the file opened; otherwise which path does not, and how.
    /// A file that did not exist at capture is recorded when it first appears.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        for (path, recorded) in &mut self.files {
            match (file_id(path), *recorded) {
                (Ok(now), Some(then)) if now == then => {}
                (Ok(now), None) => *recorded = Some(now),
                (Ok(_), Some(_)) => {
                    return Err(format!(
                        "{} has been replaced by another file",
                        path.display()
                    ));
                }
                (Err(e), Some(_)) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(format!("{} has been deleted", path.display()));
                }
                (Err(e), Some(_)) => {
                    return Err(format!("{} cannot be examined: {e}", path.display()));
                }
                (Err(_), None) => {}
            }
        }
        Ok(())
    }
}

/// Below this many bytes available on the database's file system, `/readyz` says the
/// database cannot take a write: one group commit of 1000 events of about 1 KiB adds a few MiB
/// to the WAL, and SQLite answers `SQLITE_FULL` when a commit does not fit.
pub(crate) const MIN_FREE_BYTES: u64 = 8 * 1024 * 1024;

/// `Ok` while the file system holding `path` is writable and has at least
/// [`MIN_FREE_BYTES`] available; otherwise what is wrong. One `statvfs` call.
#[cfg(unix)]
pub(crate) fn check_space(path: &Path) -> Result<(), String> {
    use rustix::fs::StatVfsMountFlags;
    let st = rustix::fs::statvfs(path).map_err(|e| {
        format!(
            "the file system of {} cannot be examined: {e}",
            path.display()
        )
    })?;
    if st.f_flag.contains(StatVfsMountFlags::RDONLY) {
        return Err(format!(
            "the file system of {} is mounted read-only",
            path.display()
        ));
    }
    let available = st.f_bavail.saturating_mul(st.f_frsize);
    if available < MIN_FREE_BYTES {
        return Err(format!(
            "the file system of {} is full: {available} bytes available, under the {} MiB a \
             commit may need",
            path.display(),
            MIN_FREE_BYTES / (1024 * 1024)
        ));
    }
    Ok(())
}

/// Elsewhere the write probe alone tells.
#[cfg(not(unix))]
pub(crate) fn check_space(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn deleted_replaced_and_restored() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        std::fs::write(&db, b"a").unwrap();
        let mut id = FileIdentity::capture(&db);
        assert_eq!(id.check(), Ok(()));

        let aside = dir.path().join("aside");
        std::fs::rename(&db, &aside).unwrap();
        assert!(id.check().unwrap_err().contains("has been deleted"));
        std::fs::write(&db, b"a").unwrap();
        assert!(id.check().unwrap_err().contains("replaced"));
        std::fs::rename(&aside, &db).unwrap();
        assert_eq!(id.check(), Ok(()), "moved back: the same file");

        // A -wal that appears later is recorded then, and checked from then on.
        let wal = dir.path().join("x.db-wal");
        std::fs::write(&wal, b"w").unwrap();
        assert_eq!(id.check(), Ok(()));
        std::fs::remove_file(&wal).unwrap();
        assert!(
            id.check()
                .unwrap_err()
                .contains("x.db-wal has been deleted")
        );
    }
}
