use std::path::Path;

use sanji_domain::FieldError;
use sanji_pki::PkiError;
use sanji_store::StoreError;
use sanji_sync::SyncError;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("{0}")]
    Config(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("服务出错:{0}")]
    Serve(String),
    #[error("找不到 {0}")]
    NotFound(String),
    /// A step the case's state or the actor's role does not allow, with the
    /// steps that are allowed now.
    #[error("{0}")]
    StepRefused(sanji_domain::case::Refusal),
    /// Something the rules do not allow here (a role, a state), in words.
    #[error("{0}")]
    Refused(String),
    /// The person may not do this at this node at all.
    #[error("{0}")]
    Forbidden(String),
    /// A fault of this program (a task that panicked), not of the input.
    #[error("内部错误:{0}。数据未写入,请重试;如反复出现请联系县里的技术人员")]
    Internal(String),
}

impl From<StoreError> for NodeError {
    fn from(e: StoreError) -> NodeError {
        match e {
            StoreError::Invalid(field) => NodeError::Invalid(field),
            other => NodeError::Store(other),
        }
    }
}

impl NodeError {
    pub fn io(path: &Path, source: std::io::Error) -> NodeError {
        NodeError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
