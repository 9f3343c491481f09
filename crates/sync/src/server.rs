//! The parent's half of replication, the same for a hub serving stations and
//! a county serving hubs. A batch is judged whole: decoded, authorised,
//! validated, chained, stored atomically and made durable, then acked.

use std::sync::Arc;

use sanji_domain::{Code, Level, Origin};
use sanji_pki::Identity;
use sanji_proto as proto;
use sanji_proto::convert;
use sanji_store::{ApplyMode, Store, StoreError};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, info, info_span, warn};

use crate::clock::Clock;
use crate::error::tagged;
use crate::peers::PeerStatus;
use crate::{BATCH_EVENTS, tls};

mod attachments;

/// How far ahead of our clock a sender's stamps may be and still move our
/// clock. Village laptops drift by days; beyond a week the clock is wrong:
/// a sender whose clock is that far ahead now is refused, and stamps that far
/// ahead made before its clock was fixed are kept but never adopted, which
/// would drag every later stamp of ours into the future with them.
pub const MAX_CLOCK_AHEAD_MS: u64 = 7 * 86_400_000;

#[derive(Clone)]
pub struct ReplicationService {
    store: Store,
    clock: Clock,
    /// Woken after every stored push, so derived work (the hub's forwarding)
    /// runs promptly without polling.
    pushed: Arc<Notify>,
    gate: tls::Gate,
    limits: Limits,
    /// Streams open per child, against `limits.streams_per_peer`.
    open: Arc<std::sync::Mutex<std::collections::HashMap<Code, usize>>>,
    /// Batches being decoded and written at once. The store takes one writer
    /// at a time anyway; without this bound a county morning (hundreds of
    /// stations pushing together) parks a blocking thread and a decoded batch
    /// per station in the hub's memory while they queue for the writer lock.
    writers: Arc<Semaphore>,
    /// Pull scans running at once, for the same reason.
    readers: Arc<Semaphore>,
    /// Push streams being read off the network, decoded and written at once.
    /// More than `writers`, so a station on a slow link sending its batch
    /// does not hold up the others; few enough that a morning's hundreds of
    /// pushes wait in their own laptops rather than in the hub's memory.
    receivers: Arc<Semaphore>,
}

/// Batches decoded and written concurrently: one writing, one being prepared.
const CONCURRENT_WRITES: usize = 2;
/// Pull scans concurrently; reads do not block each other, but each holds a thread and a batch.
const CONCURRENT_READS: usize = 8;
/// Push streams being received at once; the others wait their turn before
/// the hub reads a byte of them.
const CONCURRENT_RECEIVES: usize = 32;
/// The server's HTTP/2 flow-control windows: what one connection may have
/// in flight that the hub has not asked for. hyper's default is 1 MiB each;
/// at 500 connections that alone would be half a gigabyte of buffers.
pub const SERVER_WINDOW_BYTES: u32 = 64 * 1024;

/// What one child may hold open at once, and how long a push may sit silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub streams_per_peer: usize,
    pub idle: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            streams_per_peer: 4,
            idle: std::time::Duration::from_secs(60),
        }
    }
}

/// One open stream of a child; counted down when the stream's task ends.
struct OpenStream {
    open: Arc<std::sync::Mutex<std::collections::HashMap<Code, usize>>>,
    child: Code,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.child) {
            *n = n.saturating_sub(1);
        }
    }
}

impl ReplicationService {
    pub fn new(store: Store, clock: Clock) -> ReplicationService {
        ReplicationService {
            store,
            clock,
            pushed: Arc::new(Notify::new()),
            gate: tls::Gate::default(),
            limits: Limits::default(),
            open: Arc::default(),
            writers: Arc::new(Semaphore::new(CONCURRENT_WRITES)),
            readers: Arc::new(Semaphore::new(CONCURRENT_READS)),
            receivers: Arc::new(Semaphore::new(CONCURRENT_RECEIVES)),
        }
    }

    pub fn with_limits(mut self, limits: Limits) -> ReplicationService {
        self.limits = limits;
        self
    }

    /// Counts a new stream of `child`, or refuses it past the limit.
    fn admit(&self, child: &Code) -> Result<OpenStream, Status> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(child.clone()).or_insert(0);
        if *n >= self.limits.streams_per_peer {
            return Err(Status::resource_exhausted(format!(
                "{child} 已有 {} 个同步流在进行,每个节点最多 {} 个:请等前面的同步结束再试",
                *n, self.limits.streams_per_peer
            )));
        }
        *n += 1;
        Ok(OpenStream {
            open: self.open.clone(),
            child: child.clone(),
        })
    }

    /// Refuses the certificates the county revoked (see [`tls::Gate`]).
    pub fn with_gate(mut self, gate: tls::Gate) -> ReplicationService {
        self.gate = gate;
        self
    }

    pub fn pushed(&self) -> Arc<Notify> {
        self.pushed.clone()
    }

    pub fn into_server(self) -> proto::replication_server::ReplicationServer<ReplicationService> {
        proto::replication_server::ReplicationServer::new(self)
            .max_decoding_message_size(proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(proto::MAX_MESSAGE_BYTES)
    }

    fn me(&self) -> &Code {
        self.store.node()
    }

    /// Only a direct child of this node may sync with it.
    fn child<T>(&self, request: &Request<T>) -> Result<Code, Status> {
        match self.gate.identity(request)? {
            Identity::Node(code) if code.is_child_of(self.me()) => Ok(code),
            Identity::Node(code) => Err(Status::permission_denied(format!(
                "节点 {code} 不是 {} 的直接下级,无权与之同步",
                self.me()
            ))),
            other => Err(Status::permission_denied(format!(
                "{} 是人员证书;同步须使用节点证书",
                other.display_name()
            ))),
        }
    }

    /// The one ledger a child may push: a station its own, a hub its outbox.
    fn ledger_of(child: &Code) -> Origin {
        match child.level() {
            Level::Township => Origin::outbox(child.clone()),
            _ => Origin::node(child.clone()),
        }
    }

    fn acked(&self, origin: &Origin) -> Result<u64, Status> {
        Ok(self
            .store
            .head(origin)
            .map_err(internal)?
            .map_or(0, |h| h.seq))
    }
}

type Acks = ReceiverStream<Result<proto::PushAck, Status>>;
type Batches = ReceiverStream<Result<proto::PullBatch, Status>>;
type Pieces = ReceiverStream<Result<proto::AttachmentPiece, Status>>;

/// Every status this service returns is [`tagged`] as a sanji parent's, so a
/// child tells them from the ones its transport makes up.
#[tonic::async_trait]
impl proto::replication_server::Replication for ReplicationService {
    async fn heads(
        &self,
        request: Request<proto::HeadsRequest>,
    ) -> Result<Response<proto::HeadsReply>, Status> {
        self.answer_heads(request).await.map_err(tagged)
    }

    type PushStream = Acks;

    async fn push(
        &self,
        request: Request<Streaming<proto::PushBatch>>,
    ) -> Result<Response<Acks>, Status> {
        self.answer_push(request).await.map_err(tagged)
    }

    type PullStream = Batches;

    async fn pull(
        &self,
        request: Request<proto::PullRequest>,
    ) -> Result<Response<Batches>, Status> {
        self.answer_pull(request).await.map_err(tagged)
    }

    async fn attachments_held(
        &self,
        request: Request<proto::AttachmentsHeldRequest>,
    ) -> Result<Response<proto::AttachmentsHeldReply>, Status> {
        self.answer_attachments_held(request).await.map_err(tagged)
    }

    async fn put_attachment(
        &self,
        request: Request<Streaming<proto::AttachmentPiece>>,
    ) -> Result<Response<proto::AttachmentHeld>, Status> {
        self.answer_put_attachment(request).await.map_err(tagged)
    }

    type GetAttachmentStream = Pieces;

    async fn get_attachment(
        &self,
        request: Request<proto::GetAttachmentRequest>,
    ) -> Result<Response<Pieces>, Status> {
        self.answer_get_attachment(request).await.map_err(tagged)
    }
}

impl ReplicationService {
    async fn answer_heads(
        &self,
        request: Request<proto::HeadsRequest>,
    ) -> Result<Response<proto::HeadsReply>, Status> {
        let child = self.child(&request)?;
        let ledger = Self::ledger_of(&child);
        let mut acked = Vec::new();
        for (i, entry) in request.get_ref().local_heads.iter().enumerate() {
            let origin = convert::origin(&format!("local_heads[{i}].origin"), &entry.origin)
                .map_err(invalid)?;
            if origin != ledger {
                return Err(Status::permission_denied(format!(
                    "local_heads[{i}].origin: {child} 只能同步自己的台账 {ledger},不能同步 {origin}"
                )));
            }
            let seq = self.acked(&origin)?;
            PeerStatus::update(&self.store, &child, self.clock.now_ms(), |s| {
                s.reported_head = entry.seq;
                s.acked = seq;
            });
            acked.push(convert::origin_seq(&origin, seq));
        }
        Ok(Response::new(proto::HeadsReply { acked }))
    }

    async fn answer_push(
        &self,
        request: Request<Streaming<proto::PushBatch>>,
    ) -> Result<Response<Acks>, Status> {
        let child = self.child(&request)?;
        let stream = self.admit(&child)?;
        let idle = self.limits.idle;
        let ledger = Self::ledger_of(&child);
        let sender_clock = request
            .metadata()
            .get(crate::SENDER_CLOCK)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(crate::PUSH_WINDOW);
        let this = self.clone();
        let span = info_span!("push", node = %this.me(), peer = %child);
        tokio::spawn(
            async move {
                let mut total = 0usize;
                let mut refusal = None;
                // Read only with a receiving slot, held to the end of the
                // stream: a batch not yet read stays in the laptop (the
                // server's HTTP/2 windows are small), and tonic keeps a
                // stream's decode buffer until the stream ends, so a slot per
                // batch would still leave one buffer per waiting station.
                // The wait for a slot is not the peer's idleness; each read is timed.
                let Ok(_receiving) = this.receivers.clone().acquire_owned().await else {
                    return;
                };
                loop {
                    let Ok(next) = tokio::time::timeout(idle, inbound.message()).await else {
                        refusal = Some(Status::deadline_exceeded(format!(
                            "推送流空闲超过 {} 秒,已断开;下次同步会从已确认处继续",
                            idle.as_secs_f64()
                        )));
                        break;
                    };
                    let batch = match next {
                        Ok(Some(batch)) => batch,
                        Ok(None) => break,
                        Err(status) => {
                            // A message that did not decode (too large, not
                            // protobuf) is refused with its reason; a peer
                            // that went away hears nothing, harmlessly.
                            warn!(%status, "push stream broke");
                            refusal = Some(undecodable(status));
                            break;
                        }
                    };
                    match this.store_batch(&child, &ledger, sender_clock, batch).await {
                        Ok(ack) => {
                            total += ack.stored as usize;
                            if tx.send(Ok(ack)).await.is_err() {
                                break;
                            }
                        }
                        Err(status) => {
                            warn!(code = ?status.code(), reason = status.message(), "push batch rejected");
                            let message = status.message().to_owned();
                            PeerStatus::update(&this.store, &child, this.clock.now_ms(), |s| {
                                s.last_error = Some(message);
                                s.last_error_ms = Some(this.clock.now_ms());
                            });
                            refusal = Some(status);
                            break;
                        }
                    }
                }
                info!(stored = total, "push finished");
                // Let go of the store and of the stream's slot before the
                // stream ends: whoever sees the end and then stops this node
                // must find the store closed, and a next push must find the slot free.
                drop(this);
                drop(stream);
                if let Some(status) = refusal {
                    let _ = tx.send(Err(tagged(status))).await;
                }
            }
            .instrument(span),
        );
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn answer_pull(
        &self,
        request: Request<proto::PullRequest>,
    ) -> Result<Response<Batches>, Status> {
        let child = self.child(&request)?;
        let stream = self.admit(&child)?;
        let req = request.into_inner();
        let scope =
            Code::parse(&req.scope).map_err(|e| Status::invalid_argument(format!("scope: {e}")))?;
        if scope != child {
            return Err(Status::permission_denied(format!(
                "scope: {child} 只能拉取自己的范围,不能拉取 {scope}"
            )));
        }
        let mut vv =
            convert::vector_from_wire("version_vector", &req.version_vector).map_err(invalid)?;
        let limit = match req.batch_limit as usize {
            0 => BATCH_EVENTS,
            n => n.min(proto::MAX_BATCH_EVENTS),
        };
        let (tx, rx) = mpsc::channel(2);
        let this = self.clone();
        let span = info_span!("pull", node = %this.me(), peer = %child);
        tokio::spawn(
            async move {
                let mut sent = 0usize;
                // The message that ends the stream (the complete batch or an
                // error) goes out after the store is let go, as in `push`.
                let last = loop {
                    let store = this.store.clone();
                    let (scope_q, vv_q) = (scope.clone(), vv.clone());
                    let Ok(reader) = this.readers.clone().acquire_owned().await else {
                        break Err(Status::unavailable("本节点正在停止"));
                    };
                    let found = tokio::task::spawn_blocking(move || {
                        let _reader = reader;
                        store.scope_after(&scope_q, &vv_q, limit)
                    })
                    .await;
                    let events = match found {
                        Ok(Ok(events)) => events,
                        Ok(Err(e)) => break Err(internal(e)),
                        Err(e) => break Err(task_failed(e)),
                    };
                    // A batch cut short by its size is never the last one.
                    let wire = crate::wire_batch(&events);
                    let complete = wire.len() == events.len() && events.len() < limit;
                    for e in &events[..wire.len()] {
                        let held = vv.entry(e.origin.clone()).or_insert(0);
                        *held = (*held).max(e.seq);
                    }
                    sent += wire.len();
                    let batch = proto::PullBatch {
                        events: wire,
                        complete,
                    };
                    if complete {
                        break Ok(batch);
                    }
                    if tx.send(Ok(batch)).await.is_err() {
                        return;
                    }
                };
                if last.is_ok() {
                    PeerStatus::update(&this.store, &child, this.clock.now_ms(), |s| {
                        s.last_pull_ms = Some(this.clock.now_ms());
                    });
                }
                info!(sent, "pull served");
                drop(this);
                drop(stream);
                let _ = tx.send(last.map_err(tagged)).await;
            }
            .instrument(span),
        );
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

impl ReplicationService {
    async fn store_batch(
        &self,
        child: &Code,
        ledger: &Origin,
        sender_clock: Option<u64>,
        batch: proto::PushBatch,
    ) -> Result<proto::PushAck, Status> {
        let n = batch.events.len();
        if n == 0 {
            return Err(Status::invalid_argument("events: 批次为空"));
        }
        if n > proto::MAX_BATCH_EVENTS {
            return Err(Status::invalid_argument(format!(
                "events: 批次有 {n} 个事件,每批最多 {} 个",
                proto::MAX_BATCH_EVENTS
            )));
        }
        let _writer = self
            .writers
            .acquire()
            .await
            .map_err(|_| Status::unavailable("本节点正在停止"))?;
        let events = convert::events_from_wire(&batch.events).map_err(invalid)?;
        let horizon = self.clock.now_ms().saturating_add(MAX_CLOCK_AHEAD_MS);
        let ahead = events
            .iter()
            .enumerate()
            .find(|(_, e)| e.hlc.wall_ms > horizon);
        // Stamps are hashed and can never change: records made while the
        // sender's clock ran fast are kept once its clock is right again
        // (refusing them would hold them back until our calendar catches
        // up). While its clock is still wrong, or it does not say, the
        // clerk is told to fix it first.
        let sender_clock_right = sender_clock.is_some_and(|c| c <= horizon);
        if let Some((i, e)) = ahead
            && !sender_clock_right
        {
            return Err(Status::invalid_argument(format!(
                "events[{i}].hlc: 时间戳 {} 比本节点时钟快 {} 天以上:请校准发送方电脑的时钟后再同步(数据仍在本机,不会丢失)",
                e.hlc,
                MAX_CLOCK_AHEAD_MS / 86_400_000
            )));
        }
        let clock_warning = ahead.map(|_| {
            let latest = events.iter().map(|e| e.hlc).max().unwrap_or_default();
            let ahead_ms = latest.wall_ms.saturating_sub(self.clock.now_ms());
            let days = ahead_ms.saturating_add(43_200_000) / 86_400_000;
            format!(
                "该节点电脑时钟曾快约 {days} 天:在此期间登记的记录已收下(最晚时间戳 {latest}),其登记时间按该节点的错误时钟记载;本节点时钟未跟随。请确认该节点时钟已校准"
            )
        });
        if let Some((i, e)) = events.iter().enumerate().find(|(_, e)| e.origin != *ledger) {
            return Err(Status::permission_denied(format!(
                "events[{i}].origin: {child} 只能推送自己的台账 {ledger},不能推送 {}",
                e.origin
            )));
        }
        // An ack promises the whole case file, its files too: an event that
        // names a file waits until the file is here.
        for (i, event) in events.iter().enumerate() {
            for attachment in event.body.attachments() {
                if !self
                    .store
                    .holds_attachment(&attachment.file())
                    .map_err(internal)?
                {
                    return Err(Status::failed_precondition(format!(
                        "events[{i}]: 附件「{}」({},{})尚未完整上传到 {}:请先上传该文件(PutAttachment),再推送本批",
                        attachment.title,
                        attachment.name,
                        attachment.sha256,
                        self.me()
                    )));
                }
            }
        }
        let store = self.store.clone();
        let applied = tokio::task::spawn_blocking(move || {
            store.apply_adopting_until(events, ApplyMode::Chain, horizon)
        })
        .await
        .map_err(task_failed)?
        .map_err(store_status)?;
        let acked = applied
            .heads
            .get(ledger)
            .copied()
            .map_or_else(|| self.acked(ledger), Ok)?;
        let now = self.clock.now_ms();
        PeerStatus::update(&self.store, child, now, |s| {
            s.acked = acked;
            s.reported_head = s.reported_head.max(acked);
            s.last_push_ms = Some(now);
            s.last_error_ms = clock_warning
                .as_ref()
                .map_or(s.last_error_ms, |_| Some(now));
            s.last_error = clock_warning;
        });
        if !applied.new.is_empty() {
            self.pushed.notify_one();
        }
        Ok(proto::PushAck {
            batch_no: batch.batch_no,
            acked: Some(convert::origin_seq(ledger, acked)),
            stored: applied.new.len() as u32,
            duplicates: applied.duplicates as u32,
        })
    }
}

/// Why a pushed message could not be read, said so the sender knows what to
/// do. tonic refuses a message above the limit with OUT_OF_RANGE as soon as
/// its length prefix arrives, before reading the rest; the code is kept.
/// Bytes that are not a `PushBatch` (not protobuf, a broken frame, a message
/// cut short) tonic's decoder reports as INTERNAL with no cause attached,
/// while a failed connection always carries its cause: the sender's bytes
/// are at fault, not our storage, so INVALID_ARGUMENT.
fn undecodable(status: Status) -> Status {
    match status.code() {
        tonic::Code::OutOfRange => Status::out_of_range(format!(
            "PushBatch: 推送的消息超过每条 {} 字节的上限,已拒绝,本批未存储:请每批少发一些事件",
            proto::MAX_MESSAGE_BYTES,
        )),
        tonic::Code::Internal if std::error::Error::source(&status).is_none() => {
            Status::invalid_argument(
                "PushBatch: 收到的字节不是合法的 PushBatch 消息(无法按 protobuf 解码),已拒绝,本批未存储:发送方的程序有误",
            )
        }
        _ => status,
    }
}

/// A storage thread of ours that panicked: our fault, the sender keeps its data.
fn task_failed(e: tokio::task::JoinError) -> Status {
    warn!(error = %e, "storage task failed");
    Status::internal("上级处理数据时内部出错,本批未存储:请稍后再同步")
}

fn invalid(e: sanji_domain::FieldError) -> Status {
    Status::invalid_argument(e.to_string())
}

fn internal(e: StoreError) -> Status {
    if let StoreError::Unwritable { .. } = e {
        // Our disk, not the child's data: the child keeps everything and retries later.
        return Status::unavailable(format!("上级暂时无法保存数据:{e}"));
    }
    Status::internal(format!("上级数据库出错:{e}"))
}

/// Chain errors are the sender's fault and name the event; storage errors are ours.
fn store_status(e: StoreError) -> Status {
    match e {
        StoreError::Gap { .. } => Status::failed_precondition(e.to_string()),
        StoreError::BrokenChain { .. }
        | StoreError::Equivocation { .. }
        | StoreError::MixedOrigins { .. } => {
            if matches!(e, StoreError::Equivocation { .. }) {
                warn!(error = %e, "equivocation rejected");
            }
            Status::invalid_argument(e.to_string())
        }
        other => internal(other),
    }
}
