//! Files named on cases (`sanji_domain::attachment`), held by their content
//! hash in pieces of `CHUNK_BYTES`, beside the events and under the same
//! sealing and durability as the store's other bookkeeping. A file arrives
//! whole (taken in here) or piece by piece (a child uploading it, resumable
//! from what is held); it counts as held only once every piece is in and
//! the bytes hash to the name, so a parent that says it holds a file holds
//! exactly the file the case names.

use std::sync::PoisonError;

use serde::{Deserialize, Serialize};

use sanji_domain::attachment::{CHUNK_BYTES, FileRef, MAX_BYTES, check_hash, content_hash};
use sanji_domain::index::{IndexName, TermRange};

use crate::{Store, StoreError};

/// The bookkeeping namespace: `<sha256>` holds a [`HeldFile`], `<sha256>/<piece>` a piece.
const NAMESPACE: &str = "attachments";

/// How much of a file is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldFile {
    pub size: u64,
    /// Bytes held, from the start: an upload resumes here.
    pub received: u64,
    /// Every piece is in and the bytes hash to the file's name.
    pub complete: bool,
}

fn piece_key(sha256: &str, index: u64) -> String {
    format!("{sha256}/{index:05}")
}

impl Store {
    /// How much of the file named `sha256` is held, if any of it is.
    pub fn attachment_held(&self, sha256: &str) -> Result<Option<HeldFile>, StoreError> {
        self.meta_get(NAMESPACE, sha256)?
            .map(|bytes| {
                serde_json::from_slice(&bytes)
                    .map_err(|e| StoreError::Corrupt(format!("附件记录 {sha256}:{e}")))
            })
            .transpose()
    }

    /// Whether the whole of `file` is held, at the size it is named with.
    pub fn holds_attachment(&self, file: &FileRef) -> Result<bool, StoreError> {
        Ok(self
            .attachment_held(&file.sha256)?
            .is_some_and(|held| held.complete && held.size == file.size))
    }

    /// Takes in a whole file, as a person chose it: every piece and its
    /// record in one durable write. A file already held is left as it is.
    pub fn put_attachment(&self, name: &str, bytes: &[u8]) -> Result<FileRef, StoreError> {
        let file = FileRef::of(name, bytes).map_err(StoreError::Invalid)?;
        let _pieces = self
            .inner
            .attachments
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.holds_attachment(&file)? {
            return Ok(file);
        }
        let mut entries: Vec<(String, Vec<u8>)> = bytes
            .chunks(CHUNK_BYTES)
            .enumerate()
            .map(|(i, piece)| (piece_key(&file.sha256, i as u64), piece.to_vec()))
            .collect();
        entries.push((file.sha256.clone(), record(file.size, file.size, true)));
        self.meta_put_many(NAMESPACE, &entries)?;
        Ok(file)
    }

    /// Takes in the piece of the file named `sha256` (of `size` bytes) that
    /// starts at `offset`: pieces come in order, each `CHUNK_BYTES` long but
    /// the last. The last piece is kept only if the whole file hashes to its
    /// name; otherwise everything held of it is let go and the error says so.
    pub fn put_attachment_piece(
        &self,
        sha256: &str,
        size: u64,
        offset: u64,
        piece: &[u8],
    ) -> Result<HeldFile, StoreError> {
        check_hash("sha256", sha256).map_err(StoreError::Invalid)?;
        if size == 0 || size > MAX_BYTES {
            return Err(StoreError::Attachment(format!(
                "文件 {sha256} 声称有 {size} 字节:每个附件须在 1 到 {MAX_BYTES} 字节之间"
            )));
        }
        let _pieces = self
            .inner
            .attachments
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let held = self.attachment_held(sha256)?.unwrap_or(HeldFile {
            size,
            received: 0,
            complete: false,
        });
        if held.size != size {
            return Err(StoreError::Attachment(format!(
                "文件 {sha256} 此前按 {} 字节接收,这次却说有 {size} 字节",
                held.size
            )));
        }
        if held.complete {
            return Ok(held);
        }
        if offset != held.received {
            return Err(StoreError::Attachment(format!(
                "文件 {sha256} 已收到前 {} 字节,下一段应从第 {} 字节开始,而不是第 {offset} 字节",
                held.received, held.received
            )));
        }
        let end = offset + piece.len() as u64;
        let full_piece = piece.len() == CHUNK_BYTES;
        if piece.is_empty() || end > size || (!full_piece && end != size) {
            return Err(StoreError::Attachment(format!(
                "文件 {sha256} 的一段有 {} 字节:除最后一段外每段须为 {CHUNK_BYTES} 字节,且合计不超过 {size} 字节",
                piece.len()
            )));
        }
        let index = offset / CHUNK_BYTES as u64;
        if end < size {
            let now = HeldFile {
                size,
                received: end,
                complete: false,
            };
            self.meta_put_many(
                NAMESPACE,
                &[
                    (piece_key(sha256, index), piece.to_vec()),
                    (sha256.to_owned(), record(size, end, false)),
                ],
            )?;
            return Ok(now);
        }
        // The last piece: the file is held only if it is the file its name says.
        let mut bytes = Vec::with_capacity(size as usize);
        for i in 0..index {
            let earlier = self
                .meta_get(NAMESPACE, &piece_key(sha256, i))?
                .ok_or_else(|| StoreError::Corrupt(format!("附件 {sha256} 缺少第 {i} 段")))?;
            bytes.extend_from_slice(&earlier);
        }
        bytes.extend_from_slice(piece);
        let found = content_hash(&bytes);
        if found != sha256 {
            self.forget_attachment(sha256, index)?;
            return Err(StoreError::Attachment(format!(
                "收到的文件内容的摘要为 {found},与其名称 {sha256} 不符:文件在途中被改动或损坏,已丢弃,请重新上传"
            )));
        }
        self.meta_put_many(
            NAMESPACE,
            &[
                (piece_key(sha256, index), piece.to_vec()),
                (sha256.to_owned(), record(size, size, true)),
            ],
        )?;
        Ok(HeldFile {
            size,
            received: size,
            complete: true,
        })
    }

    /// The piece of a held file that starts at `offset`, at most `CHUNK_BYTES`.
    pub fn attachment_piece(
        &self,
        sha256: &str,
        offset: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(held) = self.attachment_held(sha256)? else {
            return Ok(None);
        };
        if !held.complete || offset >= held.size {
            return Ok(None);
        }
        let index = offset / CHUNK_BYTES as u64;
        let within = (offset % CHUNK_BYTES as u64) as usize;
        let piece = self
            .meta_get(NAMESPACE, &piece_key(sha256, index))?
            .ok_or_else(|| StoreError::Corrupt(format!("附件 {sha256} 缺少第 {index} 段")))?;
        Ok(Some(piece[within..].to_vec()))
    }

    /// The whole of a held file.
    pub fn attachment_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(held) = self.attachment_held(sha256)? else {
            return Ok(None);
        };
        if !held.complete {
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(held.size as usize);
        while (bytes.len() as u64) < held.size {
            let piece = self
                .attachment_piece(sha256, bytes.len() as u64)?
                .ok_or_else(|| StoreError::Corrupt(format!("附件 {sha256} 不完整")))?;
            bytes.extend_from_slice(&piece);
        }
        Ok(Some(bytes))
    }

    /// The files named on the cases held here that are not held whole: what
    /// a child fetches from its parent after a pull. Reads the index's keys,
    /// one per file named, and each one's record.
    pub fn attachments_wanted(&self) -> Result<Vec<String>, StoreError> {
        self.halted()?;
        let (start, end) =
            crate::keys::term_range(IndexName::CaseAttachment, &TermRange::Prefix(String::new()));
        let mut wanted: Vec<String> = Vec::new();
        for item in self.inner.db.range(start.clone()..end) {
            let (key, _) = item?;
            let value = &key[start.len()..key.len().saturating_sub(17)];
            let sha256 = std::str::from_utf8(value)
                .map_err(|_| StoreError::Corrupt(format!("索引键格式不对:{key:?}")))?;
            if wanted.last().map(String::as_str) == Some(sha256) {
                continue;
            }
            if !self
                .attachment_held(sha256)?
                .is_some_and(|held| held.complete)
            {
                wanted.push(sha256.to_owned());
            }
        }
        wanted.dedup();
        Ok(wanted)
    }

    /// Lets go of the first `pieces` pieces and the record of a file that
    /// turned out not to be the one named.
    fn forget_attachment(&self, sha256: &str, pieces: u64) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for i in 0..pieces {
            batch.remove(crate::keys::user_meta(NAMESPACE, &piece_key(sha256, i)));
        }
        batch.remove(crate::keys::user_meta(NAMESPACE, sha256));
        self.commit(batch)
    }
}

fn record(size: u64, received: u64, complete: bool) -> Vec<u8> {
    serde_json::to_vec(&HeldFile {
        size,
        received,
        complete,
    })
    .expect("plain data serialises")
}
