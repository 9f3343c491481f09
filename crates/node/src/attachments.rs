//! Files on cases (附件) at the operator layer: taking in a file a person
//! chose, before the step that names it, and handing a case's file to
//! whoever may see the case. The console, the station's pages and the CLI
//! all come through here.

use serde::{Deserialize, Serialize};

use sanji_domain::attachment::{Attachment, FileRef};
use sanji_store::{Store, StoreError};

use crate::NodeError;
use crate::ops::find_case;

/// A file as a person chose it, on its way in: over the console RPC and
/// the station's service its bytes travel as base64 (a 10 MB file stays
/// under the 16 MiB message limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUpload {
    pub name: String,
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

/// Keeps `upload` here, ready to be named on a case by the step
/// 上传附件; a file held already is the same file.
pub fn take_in(store: &Store, upload: &FileUpload) -> Result<FileRef, NodeError> {
    store
        .put_attachment(&upload.name, &upload.bytes)
        .map_err(|e| match e {
            StoreError::Invalid(mut field) => {
                field.field = "file".into();
                NodeError::Invalid(field)
            }
            other => other.into(),
        })
}

/// The file `sha256` on case `case` (its id or number), with its bytes.
pub fn case_file(
    store: &Store,
    case: &str,
    sha256: &str,
) -> Result<(Attachment, Vec<u8>), NodeError> {
    let (_, file) = find_case(store, case)?;
    let attachment = file
        .attachments
        .iter()
        .map(|a| a.attachment.clone())
        .find(|a| a.sha256 == sha256)
        .ok_or_else(|| NodeError::NotFound(format!("本案的附件 {sha256}")))?;
    let bytes = store.attachment_bytes(sha256)?.ok_or_else(|| {
        NodeError::NotFound(format!(
            "附件「{}」的文件内容(它还没有传到本节点:上传它的一方同步后即可查看)",
            attachment.title
        ))
    })?;
    Ok((attachment, bytes))
}

pub(crate) mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
