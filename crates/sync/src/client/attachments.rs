//! The child's half of moving the files named on cases: before a batch
//! that names a file is pushed, the file is uploaded (from what the parent
//! already holds of it); after a pull, the files named on the cases in our
//! scope that we do not hold are fetched.

use sanji_domain::Event;
use sanji_domain::attachment::{Attachment, CHUNK_BYTES};
use sanji_proto as proto;
use sanji_proto::replication_client::ReplicationClient;
use sanji_store::{Store, StoreError};
use tonic::transport::Channel;
use tracing::info;

use crate::SyncError;

/// Where the files go, and how the parent's statuses are told.
pub(super) struct FileLink<'a> {
    pub client: ReplicationClient<Channel>,
    pub store: &'a Store,
    pub status: &'a (dyn Fn(tonic::Status) -> SyncError + Send + Sync),
}

impl FileLink<'_> {
    /// Uploads every file `events` name that the parent does not hold whole;
    /// how many were sent.
    pub async fn upload_named(&mut self, events: &[Event]) -> Result<u64, SyncError> {
        let mut files: Vec<&Attachment> =
            events.iter().flat_map(|e| e.body.attachments()).collect();
        files.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        files.dedup_by(|a, b| a.sha256 == b.sha256);
        if files.is_empty() {
            return Ok(0);
        }
        let mut sent = 0;
        for asked in files.chunks(proto::MAX_ATTACHMENTS_ASKED) {
            let held = self
                .client
                .attachments_held(proto::AttachmentsHeldRequest {
                    sha256: asked.iter().map(|a| a.sha256.clone()).collect(),
                })
                .await
                .map_err(self.status)?
                .into_inner()
                .held;
            for (file, held) in asked.iter().zip(held) {
                if held.complete {
                    continue;
                }
                self.upload(file, held.received).await?;
                sent += 1;
            }
        }
        Ok(sent)
    }

    async fn upload(&mut self, file: &Attachment, from: u64) -> Result<(), SyncError> {
        let missing = || SyncError::FileMissing {
            title: file.title.clone(),
            name: file.name.clone(),
        };
        if !self.store.holds_attachment(&file.file())? {
            return Err(missing());
        }
        // The parent holds whole pieces; a partial one is sent again.
        let mut at = from - from % CHUNK_BYTES as u64;
        let mut pieces = Vec::new();
        while at < file.size {
            let data = self
                .store
                .attachment_piece(&file.sha256, at)?
                .ok_or_else(missing)?;
            let len = data.len() as u64;
            pieces.push(proto::AttachmentPiece {
                sha256: file.sha256.clone(),
                size: file.size,
                offset: at,
                data,
            });
            at += len;
        }
        let held = self
            .client
            .put_attachment(tokio_stream::iter(pieces))
            .await
            .map_err(self.status)?
            .into_inner();
        info!(
            sha256 = file.sha256,
            size = file.size,
            complete = held.complete,
            "file uploaded"
        );
        Ok(())
    }

    /// Fetches the files named on our cases that we do not hold whole; how
    /// many came.
    pub async fn fetch_wanted(&mut self, parent: &sanji_domain::Code) -> Result<u64, SyncError> {
        let store = self.store.clone();
        let wanted = tokio::task::spawn_blocking(move || store.attachments_wanted())
            .await
            .map_err(super::internal)??;
        let mut fetched = 0;
        for sha256 in wanted {
            let from = self
                .store
                .attachment_held(&sha256)?
                .map_or(0, |h| h.received);
            let mut pieces = self
                .client
                .get_attachment(proto::GetAttachmentRequest {
                    sha256: sha256.clone(),
                    offset: from,
                })
                .await
                .map_err(self.status)?
                .into_inner();
            while let Some(piece) = pieces.message().await.map_err(self.status)? {
                if piece.sha256 != sha256 {
                    return Err(SyncError::BadFile {
                        parent: parent.clone(),
                        problem: format!("要的是文件 {sha256},发来的是 {}", piece.sha256),
                    });
                }
                let store = self.store.clone();
                tokio::task::spawn_blocking(move || {
                    store.put_attachment_piece(&piece.sha256, piece.size, piece.offset, &piece.data)
                })
                .await
                .map_err(super::internal)?
                .map_err(|e| match e {
                    StoreError::Attachment(problem) => SyncError::BadFile {
                        parent: parent.clone(),
                        problem,
                    },
                    other => SyncError::Store(other),
                })?;
            }
            if self
                .store
                .attachment_held(&sha256)?
                .is_some_and(|h| h.complete)
            {
                fetched += 1;
            }
        }
        Ok(fetched)
    }
}
