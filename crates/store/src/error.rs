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
        source: EngineError,
    },

    /// Another handle holds the folder's lock: another sanji process (a sync, a running hub) is using it.
    #[error(
        "数据目录 {} 正被另一个 sanji 进程使用(已等待 {waited_secs} 秒):可能正在同步,或该目录的服务正在运行。请等它结束后再试;若确认没有别的 sanji 在运行,请检查是否有两份配置指向同一目录",
        path.display()
    )]
    InUse { path: PathBuf, waited_secs: u64 },

    /// The folder holds other files: refusing to write a store among them.
    #[error(
        "{} 不是 sanji 的数据目录,里面已有别的文件:请指定一个空目录(或尚不存在的目录),或原有的数据目录",
        path.display()
    )]
    NotAStore { path: PathBuf },

    /// The data folder cannot be written: the disk is full, the file system is read-only, or we may not write
    /// there. Nothing of the failed write is kept. After a write fails the store refuses every further call
    /// with this error (`halted`) until the process restarts; see `Store::write_failed`.
    #[error(
        "数据目录 {} 无法写入:{fault}({detail})。{}{}",
        path.display(),
        if *halted { "本进程在此前一次写入失败后已停止使用该目录,以免读到或确认未落盘的数据;" } else { "本次操作没有保存任何内容,此前已保存的数据不受影响;" },
        fault.advice()
    )]
    Unwritable {
        path: PathBuf,
        fault: WriteFault,
        /// The operating system's own words, for whoever reads the log.
        detail: String,
        /// True when the fault happened in an earlier call and this one was refused because of it.
        halted: bool,
    },

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
    Engine(#[source] EngineError),

    /// A file's bytes do not fit what names them (out of order, too long,
    /// another hash): nothing of the piece is kept.
    #[error("附件文件有误:{0}")]
    Attachment(String),

    /// Stored bytes do not decode.
    #[error("数据目录内容已损坏:{0}")]
    Corrupt(String),
}

/// Why the data folder could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFault {
    /// ENOSPC, EDQUOT, or EFBIG (a file-size limit).
    Full,
    /// EROFS: mounted read-only, or remounted read-only by the kernel after a disk error.
    ReadOnly,
    /// EACCES / EPERM: the folder or its files may not be written by this user.
    Permission,
    /// Any other IO failure while writing (EIO, ...).
    Other,
}

impl WriteFault {
    /// Classifies an IO error met while writing the data folder.
    pub fn of(e: &std::io::Error) -> WriteFault {
        use std::io::ErrorKind;
        match e.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
                WriteFault::Full
            }
            ErrorKind::ReadOnlyFilesystem => WriteFault::ReadOnly,
            ErrorKind::PermissionDenied => WriteFault::Permission,
            _ => WriteFault::Other,
        }
    }

    /// What the operator should do about it.
    pub fn advice(self) -> &'static str {
        match self {
            WriteFault::Full => {
                "请清理该目录所在磁盘的空间(或放宽配额、文件大小限制)后重试,正在运行的服务需重启"
            }
            WriteFault::ReadOnly => {
                "请检查磁盘是否出错后被系统改为只读、是否以只读方式挂载,修复并重新挂载为可写后重试,正在运行的服务需重启"
            }
            WriteFault::Permission if cfg!(windows) => {
                "请检查该目录及其中文件的安全设置(右键“属性”→“安全”,本账号须有“修改”权限)、是否设为只读,改正后重试,正在运行的服务需重启"
            }
            WriteFault::Permission => {
                "请检查该目录及其中文件的属主和权限(chmod/chown,或 chattr 设的不可变属性),改正后重试,正在运行的服务需重启"
            }
            WriteFault::Other => {
                "请检查磁盘是否损坏(系统日志中的 I/O 错误),排除后重试,正在运行的服务需重启"
            }
        }
    }
}

impl std::fmt::Display for WriteFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WriteFault::Full => "磁盘已满",
            WriteFault::ReadOnly => "文件系统为只读",
            WriteFault::Permission => "没有写入权限",
            WriteFault::Other => "写入出错",
        })
    }
}

/// The storage engine's own failure, kept opaque: nothing above the store
/// names the engine, so it can be replaced behind the store's interface.
#[derive(Debug)]
pub struct EngineError(pub(crate) sled::Error);

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for EngineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> StoreError {
        StoreError::Engine(EngineError(e))
    }
}
