//! Making files and folders durable the way each operating system allows.
//!
//! Windows refuses what Linux accepts here: `FlushFileBuffers` (what
//! `sync_all` calls) needs a handle opened for writing, and a folder cannot be
//! opened like a file at all. NTFS journals its own metadata (a new file's
//! directory entry included), so on Windows there is no folder to sync.

use std::fs::File;
use std::io;
use std::path::Path;

/// Opens an existing file so that `sync_all` may be called on it.
pub(crate) fn open_for_sync(path: &Path) -> io::Result<File> {
    if cfg!(windows) {
        // Write access for `FlushFileBuffers`; never creates or truncates.
        std::fs::OpenOptions::new().write(true).open(path)
    } else {
        File::open(path)
    }
}

/// Makes a folder's entries (files just created in it) durable.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    if cfg!(windows) {
        Ok(())
    } else {
        File::open(path)?.sync_all()
    }
}

/// Whether a failed `try_lock_exclusive` means another handle holds the lock:
/// `WouldBlock` on Unix, `ERROR_LOCK_VIOLATION` on Windows.
pub(crate) fn lock_contended(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
        || e.raw_os_error() == fs2::lock_contended_error().raw_os_error()
}
