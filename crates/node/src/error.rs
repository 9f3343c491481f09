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
    #[error("{path}:{}", io_reason(source))]
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
    /// What the running station service answered (`sanji station serve`),
    /// already in words.
    #[error("{0}")]
    Remote(String),
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

/// What went wrong with a file, in words a clerk can act on; the system's
/// own text only for the rare kinds without one.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "文件或目录不存在".into(),
        PermissionDenied => "没有读写权限".into(),
        AlreadyExists => "已经存在".into(),
        StorageFull => "磁盘已满".into(),
        ReadOnlyFilesystem => "所在磁盘只读".into(),
        IsADirectory => "这是一个目录,不是文件".into(),
        NotADirectory => "路径中有一段不是目录".into(),
        InvalidData => "内容不是有效的文字(UTF-8)".into(),
        _ => format!("读写失败({e})"),
    }
}
