//! What a sync round can run into, said so a village clerk knows what to do.
//!
//! A status either comes from a sanji parent (it carries [`STATUS_TAG`]) and
//! is the parent's verdict, or tonic made it up itself because the connection
//! failed; then the cause is found by walking the error's `source()` chain
//! for the IO, TLS and HTTP/2 errors underneath, never by reading its text.

use std::error::Error as StdError;
use std::io;

use sanji_domain::{Code, FieldError};
use sanji_store::StoreError;

/// Metadata key on every status a sanji parent returns.
pub const STATUS_TAG: &str = "sanji-status";

/// Marks `status` as said by this sanji node, not made up by the transport.
pub fn tagged(mut status: tonic::Status) -> tonic::Status {
    status
        .metadata_mut()
        .insert(STATUS_TAG, tonic::metadata::MetadataValue::from_static("1"));
    status
}

/// Whether a sanji parent sent `status` (see [`tagged`]).
pub fn from_a_parent(status: &tonic::Status) -> bool {
    status.metadata().get(STATUS_TAG).is_some()
}

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
    #[error("上级 {parent} 拒绝了同步({}):{message}", code_label(*code))]
    Rejected {
        parent: Code,
        code: tonic::Code,
        message: String,
    },
    #[error("上级 {parent} 发来的数据不合规:{problem}")]
    BadReply { parent: Code, problem: FieldError },
    /// The parent ended the push as finished while some of our records were still unconfirmed.
    #[error(
        "上级 {parent} 结束了推送,但本机的 {local} 条记录只确认了 {acked} 条:没有任何记录丢失,未确认的仍在本机,请再同步一次"
    )]
    Unacked {
        parent: Code,
        acked: u64,
        local: u64,
    },
    /// The person running the sync stopped it.
    #[error(
        "同步已中断:上级已确认本机 {acked} 条记录,还有 {} 条未确认。已确认的不会丢失,未确认的仍完好保存在本机,再次同步会从断点继续",
        local.saturating_sub(*acked)
    )]
    Stopped { acked: u64, local: u64 },
    #[error("本地数据库出错:{0}")]
    Store(#[from] StoreError),
    #[error("同步配置有误:{0}")]
    Config(String),
    /// A background task of the round failed (a panic): a defect of sanji, not of the data or the setup.
    #[error(
        "同步程序内部出错({0}):本机数据未受影响,请再同步一次;若反复出现,请把这条信息报给技术支持"
    )]
    Internal(String),
    /// A file our own ledger names is not held here whole, so it cannot be uploaded.
    #[error(
        "本机记录的附件「{title}」({name})文件内容不完整,无法上传,同步停在它之前:请联系镇中心总台处理"
    )]
    FileMissing { title: String, name: String },
    /// The parent sent a file that is not the one the case names.
    #[error("上级 {parent} 发来的附件文件有误:{problem}")]
    BadFile { parent: Code, problem: String },
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
            SyncError::Unreachable { .. }
            | SyncError::Interrupted { .. }
            | SyncError::Unacked { .. } => true,
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

    /// `first_call`: the round's first call on a new connection, which is
    /// where a parent refusing our certificate in the TLS layer shows (under
    /// TLS 1.3 our side of the handshake completes before the parent judges it).
    pub(crate) fn from_status(
        parent: &Code,
        addr: &str,
        status: tonic::Status,
        first_call: bool,
    ) -> SyncError {
        if from_a_parent(&status) {
            return SyncError::Rejected {
                parent: parent.clone(),
                code: status.code(),
                message: status.message().to_owned(),
            };
        }
        tracing::debug!(?status, "status made by the transport");
        let cause = Cause::of(StdError::source(&status));
        if let Some(limit) = message_limit(&status) {
            return SyncError::Rejected {
                parent: parent.clone(),
                code: status.code(),
                message: limit,
            };
        }
        // A call that could not even (re)connect never reached the parent.
        if first_call || cause.connecting() {
            return SyncError::Unreachable {
                parent: parent.clone(),
                addr: addr.to_owned(),
                reason: cause.explain(first_call),
            };
        }
        SyncError::Interrupted {
            parent: parent.clone(),
            addr: addr.to_owned(),
            reason: cause.explain(false),
        }
    }
}

/// A gRPC status code in the clerk's words (tonic's own `Display` is English).
pub fn code_label(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "成功",
        Code::Cancelled => "已取消",
        Code::Unknown => "未知错误",
        Code::InvalidArgument => "数据不合规",
        Code::DeadlineExceeded => "超时",
        Code::NotFound => "找不到",
        Code::AlreadyExists => "已存在",
        Code::PermissionDenied => "无权限",
        Code::ResourceExhausted => "繁忙或超限",
        Code::FailedPrecondition => "条件不满足",
        Code::Aborted => "已中止",
        Code::OutOfRange => "超出范围",
        Code::Unimplemented => "不支持",
        Code::Internal => "上级内部错误",
        Code::Unavailable => "暂不可用",
        Code::DataLoss => "数据丢失",
        Code::Unauthenticated => "身份未认证",
    }
}

/// tonic refuses a message above the size limit itself, on either side,
/// with OUT_OF_RANGE; no cause is attached: the code, and that no parent
/// said it, are what tell.
fn message_limit(status: &tonic::Status) -> Option<String> {
    (status.code() == tonic::Code::OutOfRange).then(|| {
        format!(
            "一条消息超过了每条 {} 字节的上限,未发送也未存储:请升级 sanji 后再同步,数据仍在本机",
            sanji_proto::MAX_MESSAGE_BYTES
        )
    })
}

/// A parent at its connection limit closes a new connection at once, before
/// the TLS handshake ends: the child sees the end of the stream, or a reset
/// if its ClientHello was still unread. A parent refusing our certificate may close the connection before its
/// alert is read, which looks the same.
const CLOSED_IN_HANDSHAKE: &str = "上级在加密握手时关闭了连接:可能上级连接数已满或繁忙(稍后再试),也可能上级不认本机的证书(请确认证书目录中是县综治办签发的本站证书)";

/// What lies under a transport failure, found in its chain of causes.
#[derive(Debug, Default)]
pub(crate) struct Cause {
    io: Option<io::ErrorKind>,
    tls: Option<rustls::Error>,
    /// hyper gave up waiting (an HTTP/2 keepalive ping unanswered).
    timeout: bool,
    /// tonic could not connect (or reconnect) to the parent.
    connect: bool,
    /// The peer sent an HTTP/2 GOAWAY or reset the stream.
    h2_reset: bool,
    /// hyper found the connection closed (before or while the call was sent).
    closed: bool,
}

impl Cause {
    pub(crate) fn of(mut source: Option<&(dyn StdError + 'static)>) -> Cause {
        let mut cause = Cause::default();
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<io::Error>() {
                cause.io.get_or_insert(io.kind());
                // An IO error shows its inner error but does not list it as a
                // source: the TLS error sits inside.
                if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    cause.tls.get_or_insert_with(|| tls.clone());
                }
            }
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                cause.tls.get_or_insert_with(|| tls.clone());
            }
            if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
                cause.timeout |= hyper.is_timeout();
                cause.closed |=
                    hyper.is_canceled() || hyper.is_closed() || hyper.is_incomplete_message();
            }
            if let Some(h2) = e.downcast_ref::<h2::Error>() {
                cause.h2_reset |= h2.is_go_away() || h2.is_reset();
                if let Some(kind) = h2.get_io().map(io::Error::kind) {
                    cause.io.get_or_insert(kind);
                }
            }
            cause.connect |= e.is::<tonic::ConnectError>();
            source = e.source();
        }
        cause
    }

    /// The failure happened while (re)connecting, before the parent heard anything.
    fn connecting(&self) -> bool {
        self.connect
            || self.tls.is_some()
            || matches!(
                self.io,
                Some(
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::HostUnreachable
                        | io::ErrorKind::NetworkUnreachable
                        | io::ErrorKind::AddrNotAvailable
                )
            )
    }

    /// In the operator's words. `connecting`: it happened while the
    /// connection was being made, so an end or a reset is the parent closing
    /// it in the handshake, not a broken network mid-sync.
    pub(crate) fn explain(&self, connecting: bool) -> String {
        use io::ErrorKind as K;
        if let Some(tls) = &self.tls {
            return explain_tls(tls);
        }
        match self.io {
            Some(K::ConnectionRefused) => "连接被拒绝(上级服务未运行或地址有误)".to_owned(),
            Some(K::TimedOut) => "连接超时".to_owned(),
            // A TLS error after our side of the handshake (h2 keeps only its
            // text): on a first call, the parent refusing our certificate.
            Some(K::InvalidData) if connecting => {
                "上级不认本机的证书(加密连接被上级拒绝):请确认证书目录中是县综治办签发的本站证书"
                    .to_owned()
            }
            Some(K::InvalidData) => "加密连接出错".to_owned(),
            Some(K::HostUnreachable | K::NetworkUnreachable) => {
                "网络不通(找不到通往上级的路由):请检查本机网络".to_owned()
            }
            Some(K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe)
                if connecting =>
            {
                CLOSED_IN_HANDSHAKE.to_owned()
            }
            Some(K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof) => {
                "连接被对方或网络重置".to_owned()
            }
            _ if self.timeout => "上级长时间没有响应(连接超时)".to_owned(),
            _ if self.closed && connecting => CLOSED_IN_HANDSHAKE.to_owned(),
            _ if self.h2_reset || self.closed => "上级关闭了连接".to_owned(),
            _ => "网络连接出错".to_owned(),
        }
    }
}

/// A failed TLS handshake in the operator's words: which certificate is wrong, and what to do.
fn explain_tls(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match e {
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
            "上级的证书不是本县 CA 签发的(证书目录中的 ca.pem 与上级不是同一个 CA,或地址指向了别的服务器):请核对上级地址和证书目录".to_owned()
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "上级的证书不属于配置中的上级节点(地址可能指向了另一个镇或县的服务器):请核对上级地址".to_owned()
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "上级的证书已过期:请联系上级更换证书".to_owned()
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "上级的证书尚未生效:请检查本机时钟是否准确".to_owned()
        }
        E::InvalidCertificate(C::Revoked) => "上级的证书已被吊销".to_owned(),
        E::InvalidCertificate(_) => "上级的证书无法验证:请核对证书目录中的 ca.pem".to_owned(),
        E::AlertReceived(A::UnknownCA | A::BadCertificate | A::CertificateUnknown) => {
            "上级不认本机的证书(不是本县 CA 签发的):请用县综治办签发的本站证书".to_owned()
        }
        E::AlertReceived(A::CertificateExpired) => {
            "上级说本机证书已过期:请向县综治办申请新证书".to_owned()
        }
        E::AlertReceived(A::CertificateRevoked) => {
            "上级说本机证书已被吊销:请联系镇中心".to_owned()
        }
        E::AlertReceived(A::CertificateRequired) => {
            "上级要求出示本机证书:请检查证书目录中是否有本站的证书和私钥".to_owned()
        }
        _ => "加密握手失败:请核对上级地址和证书目录".to_owned(),
    }
}
