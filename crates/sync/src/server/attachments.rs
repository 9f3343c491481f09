//! The parent's half of moving the files named on cases: what it holds,
//! taking a file in piece by piece, and serving a file to a child whose
//! scope holds a case that names it.

use sanji_domain::attachment::{CHUNK_BYTES, check_hash};
use sanji_domain::index::{IndexName, TermRange};
use sanji_domain::scope::audience;
use sanji_proto as proto;
use sanji_store::{HeldFile, StoreError};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, info, info_span};

use super::{Pieces, ReplicationService, internal, invalid, task_failed, undecodable};
use crate::error::tagged;

fn held_to_wire(sha256: String, held: Option<HeldFile>) -> proto::AttachmentHeld {
    proto::AttachmentHeld {
        sha256,
        received: held.map_or(0, |h| h.received),
        complete: held.is_some_and(|h| h.complete),
    }
}

/// A piece that does not fit its file is the sender's fault, named so.
fn piece_status(e: StoreError) -> Status {
    match e {
        StoreError::Attachment(_) | StoreError::Invalid(_) => {
            Status::invalid_argument(e.to_string())
        }
        other => internal(other),
    }
}

impl ReplicationService {
    pub(super) async fn answer_attachments_held(
        &self,
        request: Request<proto::AttachmentsHeldRequest>,
    ) -> Result<Response<proto::AttachmentsHeldReply>, Status> {
        self.child(&request)?;
        let asked = request.into_inner().sha256;
        if asked.len() > proto::MAX_ATTACHMENTS_ASKED {
            return Err(Status::invalid_argument(format!(
                "sha256: 一次问了 {} 个文件,最多 {} 个",
                asked.len(),
                proto::MAX_ATTACHMENTS_ASKED
            )));
        }
        let mut held = Vec::with_capacity(asked.len());
        for (i, sha256) in asked.into_iter().enumerate() {
            check_hash(&format!("sha256[{i}]"), &sha256).map_err(invalid)?;
            let found = self.store.attachment_held(&sha256).map_err(internal)?;
            held.push(held_to_wire(sha256, found));
        }
        Ok(Response::new(proto::AttachmentsHeldReply { held }))
    }

    pub(super) async fn answer_put_attachment(
        &self,
        request: Request<Streaming<proto::AttachmentPiece>>,
    ) -> Result<Response<proto::AttachmentHeld>, Status> {
        let child = self.child(&request)?;
        let _stream = self.admit(&child)?;
        let idle = self.limits.idle;
        let mut inbound = request.into_inner();
        let mut last: Option<(String, HeldFile)> = None;
        let span = info_span!("put_attachment", node = %self.me(), peer = %child);
        async {
            loop {
                let next = tokio::time::timeout(idle, inbound.message())
                    .await
                    .map_err(|_| {
                        Status::deadline_exceeded(format!(
                            "上传流空闲超过 {} 秒,已断开;下次同步会从已收到处继续",
                            idle.as_secs_f64()
                        ))
                    })?;
                let piece = match next {
                    Ok(Some(piece)) => piece,
                    Ok(None) => break,
                    Err(status) => return Err(undecodable(status)),
                };
                if let Some((sha256, _)) = &last
                    && *sha256 != piece.sha256
                {
                    return Err(Status::invalid_argument(format!(
                        "sha256: 一次上传只能传一个文件:先是 {sha256},又出现 {}",
                        piece.sha256
                    )));
                }
                let _writer = self
                    .writers
                    .acquire()
                    .await
                    .map_err(|_| Status::unavailable("本节点正在停止"))?;
                let store = self.store.clone();
                let proto::AttachmentPiece {
                    sha256,
                    size,
                    offset,
                    data,
                } = piece;
                let name = sha256.clone();
                let held = tokio::task::spawn_blocking(move || {
                    store.put_attachment_piece(&name, size, offset, &data)
                })
                .await
                .map_err(task_failed)?
                .map_err(piece_status)?;
                last = Some((sha256, held));
            }
            let Some((sha256, held)) = last else {
                return Err(Status::invalid_argument(
                    "AttachmentPiece: 上传流中没有任何内容",
                ));
            };
            info!(
                sha256,
                received = held.received,
                complete = held.complete,
                "file taken in"
            );
            Ok(Response::new(held_to_wire(sha256, Some(held))))
        }
        .instrument(span)
        .await
    }

    pub(super) async fn answer_get_attachment(
        &self,
        request: Request<proto::GetAttachmentRequest>,
    ) -> Result<Response<Pieces>, Status> {
        let child = self.child(&request)?;
        let stream = self.admit(&child)?;
        let proto::GetAttachmentRequest { sha256, offset } = request.into_inner();
        check_hash("sha256", &sha256).map_err(invalid)?;
        // A child may have the files of the cases it may pull, no others.
        let cases = self
            .store
            .ids_where(IndexName::CaseAttachment, &TermRange::Exact(sha256.clone()))
            .map_err(internal)?;
        let mut visible = false;
        for id in cases {
            if let Some(entity) = self.store.entity(id).map_err(internal)?
                && audience(&entity).contains(&child)
            {
                visible = true;
                break;
            }
        }
        if !visible {
            return Err(Status::permission_denied(format!(
                "sha256: 文件 {sha256} 不在 {child} 可以查看的案件中"
            )));
        }
        let held = self
            .store
            .attachment_held(&sha256)
            .map_err(internal)?
            .filter(|h| h.complete)
            .ok_or_else(|| Status::not_found(format!("本节点还没有完整的文件 {sha256}")))?;
        if offset % CHUNK_BYTES as u64 != 0 || offset >= held.size {
            return Err(Status::invalid_argument(format!(
                "offset: {offset} 不是文件 {sha256}(共 {} 字节)中一段的起点",
                held.size
            )));
        }
        let (tx, rx) = mpsc::channel(2);
        let store = self.store.clone();
        let span = info_span!("get_attachment", node = %self.me(), peer = %child);
        tokio::spawn(
            async move {
                let mut at = offset;
                while at < held.size {
                    let (s, name) = (store.clone(), sha256.clone());
                    let piece =
                        tokio::task::spawn_blocking(move || s.attachment_piece(&name, at)).await;
                    let data = match piece {
                        Ok(Ok(Some(data))) => data,
                        Ok(Ok(None)) => {
                            let _ = tx
                                .send(Err(tagged(Status::not_found(format!(
                                    "本节点还没有完整的文件 {sha256}"
                                )))))
                                .await;
                            return;
                        }
                        Ok(Err(e)) => {
                            let _ = tx.send(Err(tagged(internal(e)))).await;
                            return;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(tagged(task_failed(e)))).await;
                            return;
                        }
                    };
                    let len = data.len() as u64;
                    let piece = proto::AttachmentPiece {
                        sha256: sha256.clone(),
                        size: held.size,
                        offset: at,
                        data,
                    };
                    if tx.send(Ok(piece)).await.is_err() {
                        return;
                    }
                    at += len;
                }
                info!(sha256, size = held.size, "file served");
                drop(store);
                drop(stream);
            }
            .instrument(span),
        );
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
