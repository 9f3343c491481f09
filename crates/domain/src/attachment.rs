//! Attachments of a case file (一案一档的附件): the signed 调解协议书, photos of
//! the site, a scanned letter. A case's event names a file by the SHA-256 of
//! its bytes, its size and its name; the bytes themselves travel beside the
//! events, in chunks (`sanji_store`'s attachment store, the replication
//! protocol's `PutAttachment`/`GetAttachment`). Named by content, a file
//! is the same file wherever it is held, and one that was altered on the way
//! is told apart from the one the case names.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::FieldError;
use crate::record;

/// The largest file a case may carry: a phone photo or a scanned agreement
/// of a few pages, not a video.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The piece a file travels and is stored in: well under the 16 MiB message
/// limit, and small enough that an interrupted upload on a slow village
/// link resumes without sending much twice.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// A file named on a case, by the hash of its bytes.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// What the file is, in the clerk's words: 调解协议书, 现场照片.
    pub title: String,
    /// The file's name as it was chosen (`协议书.pdf`), for downloading it.
    pub name: String,
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    pub sha256: String,
    pub size: u64,
}

/// A file's bytes as they were taken in: what names it on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// The hash that names `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `text` is a content hash as [`content_hash`] writes it.
pub fn check_hash(field: &str, text: &str) -> Result<(), FieldError> {
    if text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("{text:?} 不是文件的 SHA-256 摘要(64 位小写十六进制)"),
        ))
    }
}

/// A file's size, said as people read it: `3.2 MB`, `512 KB`.
pub fn size_label(size: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if size >= MB {
        format!("{:.1} MB", size as f64 / MB as f64)
    } else {
        format!("{} KB", size.div_ceil(1024).max(1))
    }
}

impl FileRef {
    /// The reference of `bytes` chosen as `name`; refuses an empty file, one
    /// over [`MAX_BYTES`] and a name that is no file name.
    pub fn of(name: &str, bytes: &[u8]) -> Result<FileRef, FieldError> {
        let file = FileRef {
            name: file_name(name),
            sha256: content_hash(bytes),
            size: bytes.len() as u64,
        };
        file.validate("file")?;
        Ok(file)
    }

    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        record::name(&format!("{field}.name"), &self.name)?;
        if self.name.contains(['/', '\\']) {
            return Err(FieldError::new(
                format!("{field}.name"),
                format!("{:?} 不是文件名:不能含 / 或 \\", self.name),
            ));
        }
        check_hash(&format!("{field}.sha256"), &self.sha256)?;
        if self.size == 0 {
            return Err(FieldError::new(
                format!("{field}.size"),
                format!("文件 {} 是空的", self.name),
            ));
        }
        if self.size > MAX_BYTES {
            return Err(FieldError::new(
                format!("{field}.size"),
                format!(
                    "文件 {} 有 {},超过每个附件 {} 的上限:请压缩或分成几个文件",
                    self.name,
                    size_label(self.size),
                    size_label(MAX_BYTES)
                ),
            ));
        }
        Ok(())
    }

    /// How an edge that took the bytes in hands the file to
    /// [`crate::command::CaseCommand::from_inputs`]: never typed by a person.
    pub fn token(&self) -> String {
        format!("{}:{}:{}", self.sha256, self.size, self.name)
    }

    pub fn parse_token(field: &str, text: &str) -> Result<FileRef, FieldError> {
        let mut parts = text.splitn(3, ':');
        let (Some(sha256), Some(size), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(FieldError::new(field, "请选择要上传的文件"));
        };
        let file = FileRef {
            name: name.to_owned(),
            sha256: sha256.to_owned(),
            size: size
                .parse()
                .map_err(|_| FieldError::new(field, "请选择要上传的文件"))?,
        };
        file.validate(field)?;
        Ok(file)
    }
}

impl Attachment {
    pub fn validate(&self) -> Result<(), FieldError> {
        record::name("attachment.title", &self.title)?;
        self.file().validate("attachment")
    }

    pub fn file(&self) -> FileRef {
        FileRef {
            name: self.name.clone(),
            sha256: self.sha256.clone(),
            size: self.size,
        }
    }
}

/// The last part of a path as a browser or a shell gives it
/// (`C:\Users\clerk\协议书.pdf` → `协议书.pdf`).
pub fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_named_by_its_bytes() {
        let file = FileRef::of(r"C:\Users\李\调解协议书.pdf", b"abc").unwrap();
        assert_eq!(file.name, "调解协议书.pdf");
        assert_eq!(
            file.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(FileRef::parse_token("file", &file.token()).unwrap(), file);
    }

    #[test]
    fn empty_and_oversized_files_are_refused_in_words() {
        assert!(FileRef::of("a.jpg", b"").unwrap_err().rule.contains("空"));
        let big = FileRef {
            name: "录像.mp4".into(),
            sha256: content_hash(b"x"),
            size: MAX_BYTES + 1,
        };
        let e = big.validate("file").unwrap_err();
        assert_eq!(e.field, "file.size");
        assert!(e.rule.contains("10.0 MB"), "{}", e.rule);
        assert!(check_hash("h", "ABC").is_err());
        assert_eq!(size_label(1), "1 KB");
        assert_eq!(size_label(3 * 1024 * 1024 + 200_000), "3.2 MB");
    }
}
