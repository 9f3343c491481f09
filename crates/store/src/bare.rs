//! The storage engine with nothing of ours on top, for `sanji bench`: the
//! physical limit the store is measured against. Lives here because this is
//! the only crate that names the engine.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::StoreError;

/// Writes `records` (key, value) into a fresh engine tree at `dir`, `batch`
/// at a time, each batch one atomic write made durable (flush and fsync, as
/// the store makes its own); how long the writes took.
pub fn durable_batches(
    dir: &Path,
    records: &[(Vec<u8>, Vec<u8>)],
    batch: usize,
) -> Result<Duration, StoreError> {
    let io = |e: std::io::Error| StoreError::Io {
        path: dir.to_owned(),
        source: e,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let db = sled::Config::new().path(dir).flush_every_ms(None).open()?;
    let file = std::fs::File::open(dir.join("db")).map_err(io)?;
    let started = Instant::now();
    for chunk in records.chunks(batch.max(1)) {
        let mut writes = sled::Batch::default();
        for (key, value) in chunk {
            writes.insert(key.as_slice(), value.as_slice());
        }
        db.apply_batch(writes)?;
        db.flush()?;
        file.sync_all().map_err(io)?;
    }
    Ok(started.elapsed())
}

/// Bytes the engine's files take in `dir`, all of them.
pub fn disk_bytes(dir: &Path) -> Result<u64, StoreError> {
    fn walk(dir: &Path) -> std::io::Result<u64> {
        let mut total = 0;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            total += if meta.is_dir() {
                walk(&entry.path())?
            } else {
                meta.len()
            };
        }
        Ok(total)
    }
    walk(dir).map_err(|e| StoreError::Io {
        path: dir.to_owned(),
        source: e,
    })
}
