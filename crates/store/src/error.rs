//! What can go wrong in the store, said first in Chinese for the operator.

use std::path::PathBuf;

use sanji_domain::{FieldError, Origin};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder was written by another version of sanji.
    #[error(
        "数据目录 {} 的格式版本为 {found},本程序只支持版本 {supported}:请用对应版本的 sanji 打开,或先迁移",
        path.display()
    )]
    UnknownFormat {
        path: PathBuf,
        found: String,
        supported: u32,
    },

    /// The folder belongs to another node.
    #[error(
        "数据目录 {} 属于节点 {stored},不能以节点 {requested} 的身份打开:请核对数据目录与节点代码是否对应",
        path.display()
    )]
    WrongNode {
        path: PathBuf,
        stored: String,
        requested: String,
    },

    /// sled could not open the folder (not a sanji data folder, damaged, or in use by another process).
    #[error(
        "无法打开数据目录 {}:{source}(它可能不是 sanji 的数据目录、已损坏,或正被另一个进程使用)",
        path.display()
    )]
    Open {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },

    /// The folder holds other files: refusing to write a store among them.
    #[error(
        "{} 不是 sanji 的数据目录,里面已有别的文件:请指定一个空目录(或尚不存在的目录),或原有的数据目录",
        path.display()
    )]
    NotAStore { path: PathBuf },

    /// A file-system operation on the data folder failed.
    #[error("数据目录 {} 读写失败:{source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The batch does not continue the origin's ledger where we hold it.
    #[error("{origin} 的事件不连续:应为第 {expected} 号,收到的是第 {got} 号")]
    Gap {
        origin: Origin,
        expected: u64,
        got: u64,
    },

    /// The event's `prev_hash` does not match its predecessor (or its stored successor does not match it).
    #[error("{origin} 第 {seq} 号事件与前后事件的摘要对不上:哈希链断裂,账本可能被改动过")]
    BrokenChain { origin: Origin, seq: u64 },

    /// The same (origin, seq), or the same event id, with other content.
    #[error(
        "{origin} 第 {seq} 号事件与已有的同号(或同编号)事件内容不同:同一来源出现两种说法,整批拒收"
    )]
    Equivocation { origin: Origin, seq: u64 },

    /// A chain batch held events of more than one origin.
    #[error("一批推送只能包含一个来源的事件:批中先是 {expected},又出现 {found}")]
    MixedOrigins { expected: Origin, found: Origin },

    /// A local draft (or a received event's sequence number) broke a rule.
    #[error("事件不合规:{0}")]
    Invalid(FieldError),

    /// The store is encrypted and could not be opened with what was given (or is plain and a key was given).
    #[error("数据目录 {}:{source}", path.display())]
    Seal {
        path: PathBuf,
        #[source]
        source: crate::SealError,
    },

    /// The storage engine failed.
    #[error("存储引擎出错:{0}")]
    Sled(#[from] sled::Error),

    /// Stored bytes do not decode.
    #[error("数据目录内容已损坏:{0}")]
    Corrupt(String),
}
