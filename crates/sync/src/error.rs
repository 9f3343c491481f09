//! What a sync round can run into, said so a village clerk knows what to do.

use sanji_domain::{Code, FieldError};
use sanji_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("无法连接上级 {parent}({addr}):{reason}。本地数据未受影响,联网后再运行同步即可")]
    Unreachable {
        parent: Code,
        addr: String,
        reason: String,
    },
    /// The connection broke in the middle of a round: the network, not the parent, ended it.
    #[error(
        "与上级 {parent}({addr})的连接在同步中断开:{reason}。已确认的记录不会丢失,下次同步从断点继续"
    )]
    Interrupted {
        parent: Code,
        addr: String,
        reason: String,
    },
    #[error("上级 {parent} 拒绝了同步({code}):{message}")]
    Rejected {
        parent: Code,
        code: tonic::Code,
        message: String,
    },
    #[error("上级 {parent} 发来的数据不合规:{problem}")]
    BadReply { parent: Code, problem: FieldError },
    #[error("本地数据库出错:{0}")]
    Store(#[from] StoreError),
    #[error("同步配置有误:{0}")]
    Config(String),
    #[error(
        "上级已确认 {ledger} 的 {acked} 条记录,而本机只有 {local} 条:本机数据可能是换了电脑或从旧备份恢复的。请勿在本机继续登记,联系镇中心总台处理"
    )]
    ParentAhead {
        ledger: String,
        acked: u64,
        local: u64,
    },
}

impl SyncError {
    /// Worth trying again later: the network, not the data, was the problem.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } | SyncError::Interrupted { .. } => true,
            SyncError::Rejected { code, .. } => matches!(
                code,
                tonic::Code::Unavailable
                    | tonic::Code::DeadlineExceeded
                    | tonic::Code::ResourceExhausted
                    | tonic::Code::Aborted
                    | tonic::Code::Unknown
                    | tonic::Code::Internal
                    | tonic::Code::Cancelled
            ),
            _ => false,
        }
    }

    pub(crate) fn from_status(parent: &Code, addr: &str, status: tonic::Status) -> SyncError {
        // A refused connection surfaces as Unavailable with a transport source.
        if status.code() == tonic::Code::Unavailable && status.message().contains("transport") {
            return SyncError::Unreachable {
                parent: parent.clone(),
                addr: addr.to_owned(),
                reason: describe_transport(&status),
            };
        }
        if broke_mid_call(&status) {
            return SyncError::Interrupted {
                parent: parent.clone(),
                addr: addr.to_owned(),
                reason: describe_transport(&status),
            };
        }
        SyncError::Rejected {
            parent: parent.clone(),
            code: status.code(),
            message: status.message().to_owned(),
        }
    }
}

/// A status tonic made up itself because the connection failed mid-call (a
/// cut, a reset, a failed reconnect, a keepalive unanswered), as opposed to
/// one the parent sent. Every status a sanji parent sends speaks Chinese
/// first; tonic's and hyper's own are English only.
fn broke_mid_call(status: &tonic::Status) -> bool {
    let from_the_library = !status
        .message()
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    from_the_library
        && matches!(
            status.code(),
            tonic::Code::Unknown
                | tonic::Code::Internal
                | tonic::Code::Unavailable
                | tonic::Code::Cancelled
        )
}

/// A parent at its connection limit closes a new connection at once, before
/// the TLS handshake ends: the child sees the end of the stream, or a reset
/// if its ClientHello was still unread.
const CLOSED_IN_HANDSHAKE: &str = "上级在加密握手时关闭了连接(上级连接数已满或繁忙,稍后再试)";

fn describe_transport(status: &tonic::Status) -> String {
    explain_transport(
        status.message().to_owned(),
        std::error::Error::source(status),
        false,
    )
}

/// A transport failure (`text` and its chain of causes) in the operator's
/// words. `connecting`: it happened while the connection was being made, so a
/// reset is the parent closing it in the handshake, not a broken network mid-sync.
pub(crate) fn explain_transport(
    mut text: String,
    mut source: Option<&(dyn std::error::Error + 'static)>,
    connecting: bool,
) -> String {
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    if text.contains("Connection refused") {
        "连接被拒绝(上级服务未运行或地址有误)".to_owned()
    } else if text.contains("timed out")
        || text.contains("Timeout")
        || text.contains("handshake timeout")
    {
        "连接超时".to_owned()
    } else if text.contains("tls handshake eof")
        || (connecting && text.contains("Connection reset by peer"))
    {
        CLOSED_IN_HANDSHAKE.to_owned()
    } else {
        text
    }
}
