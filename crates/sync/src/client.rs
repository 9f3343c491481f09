//! The child's half of replication: push our own ledger above the parent's
//! durable mark in a window of batches, then pull our scope above our vector.
//! Every step resumes from what was acked, so an interrupted first sync never
//! starts again from zero.

use std::sync::Arc;

use sanji_domain::{Code, Origin};
use sanji_pki::CertFiles;
use sanji_proto as proto;
use sanji_proto::convert;
use sanji_proto::replication_client::ReplicationClient;
use sanji_store::{ApplyMode, Store};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tracing::{Instrument, info, info_span};

use crate::{BATCH_EVENTS, Backoff, Clock, PUSH_WINDOW, SyncError, tls};

mod attachments;
use attachments::FileLink;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReport {
    /// Our head when the round started.
    pub local_head: u64,
    /// The parent's durable mark when the round ended.
    pub acked: u64,
    pub sent: u64,
    pub stored: u64,
    pub duplicates: u64,
    /// Files named by the events sent that the parent did not hold, uploaded first.
    #[serde(default)]
    pub files_sent: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullReport {
    pub received: u64,
    pub stored: u64,
    /// Files named on our cases that came from the parent.
    #[serde(default)]
    pub files_received: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub push: PushReport,
    pub pull: PullReport,
    pub attempts: u32,
}

impl SyncReport {
    /// Every local event that existed at the start is durable at the parent.
    pub fn all_acked(&self) -> bool {
        self.push.acked >= self.push.local_head
    }
}

/// Bookkeeping namespace: per ledger, the parent's durable mark as last heard
/// (from `Heads` or an ack), kept even when the round then fails, so status
/// pages report what the parent really holds rather than the last whole round.
pub const PARENT_ACKED: &str = "parent_acked";

/// The parent's durable mark for `ledger` as last heard, if ever.
pub fn parent_acked(
    store: &Store,
    ledger: &Origin,
) -> Result<Option<u64>, sanji_store::StoreError> {
    Ok(store
        .meta_get(PARENT_ACKED, &ledger.to_string())?
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_be_bytes))
}

/// Remembers a mark the parent reported; a lost write costs nothing (the next
/// `Heads` says it again), so it pays no fsync of its own.
fn note_parent_acked(store: &Store, ledger: &Origin, acked: u64) {
    if let Err(e) = store.meta_put_unsynced(PARENT_ACKED, &ledger.to_string(), &acked.to_be_bytes())
    {
        tracing::warn!(error = %e, "could not note the parent's durable mark");
    }
}

/// Where this node's parent is and how to prove who we are to it.
#[derive(Clone)]
pub struct Upstream {
    pub addr: String,
    pub parent: Code,
    pub certs: CertFiles,
    /// Our physical clock, stated with every push so the parent can tell a
    /// clock that is wrong now from records stamped while it was.
    pub clock: Clock,
}

/// A connection to this node's parent.
#[derive(Clone)]
pub struct Link {
    parent: Code,
    addr: String,
    client: ReplicationClient<Channel>,
    clock: Clock,
}

impl Link {
    /// Connects now, so an unreachable parent is reported before anything else.
    pub async fn connect(upstream: &Upstream) -> Result<Link, SyncError> {
        let Upstream {
            addr,
            parent,
            certs,
            clock,
        } = upstream;
        let channel = tls::connect(addr, certs, parent).await?;
        let client = ReplicationClient::new(channel)
            .max_decoding_message_size(proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(proto::MAX_MESSAGE_BYTES);
        Ok(Link {
            parent: parent.clone(),
            addr: addr.to_owned(),
            client,
            clock: *clock,
        })
    }

    pub fn parent(&self) -> &Code {
        &self.parent
    }

    fn status(&self, status: tonic::Status) -> SyncError {
        SyncError::from_status(&self.parent, &self.addr, status, false)
    }

    /// Pushes `ledger` (our own events) above the parent's durable mark.
    pub async fn push(&self, store: &Store, ledger: &Origin) -> Result<PushReport, SyncError> {
        let span =
            info_span!("push_round", node = %store.node(), parent = %self.parent, ledger = %ledger);
        self.push_inner(store, ledger).instrument(span).await
    }

    async fn push_inner(&self, store: &Store, ledger: &Origin) -> Result<PushReport, SyncError> {
        let mut client = self.client.clone();
        let local_head = store.head(ledger)?.map_or(0, |h| h.seq);
        let heads = client
            .heads(proto::HeadsRequest {
                local_heads: vec![convert::origin_seq(ledger, local_head)],
            })
            .await
            .map_err(|s| SyncError::from_status(&self.parent, &self.addr, s, true))?
            .into_inner();
        let mut acked = heads
            .acked
            .iter()
            .find(|h| h.origin == ledger.to_string())
            .map_or(0, |h| h.seq);
        note_parent_acked(store, ledger, acked);
        let mut report = PushReport {
            local_head,
            acked,
            ..PushReport::default()
        };
        if acked > local_head {
            return Err(SyncError::ParentAhead {
                ledger: ledger.to_string(),
                acked,
                local: local_head,
            });
        }
        if acked == local_head {
            return Ok(report);
        }

        let window = Arc::new(Semaphore::new(PUSH_WINDOW));
        let (tx, rx) = mpsc::channel(PUSH_WINDOW);
        let producer = {
            let (store, ledger, window) = (store.clone(), ledger.clone(), window.clone());
            let (files_client, parent, addr) =
                (self.client.clone(), self.parent.clone(), self.addr.clone());
            tokio::spawn(async move {
                let status = move |s| SyncError::from_status(&parent, &addr, s, false);
                let mut files = FileLink {
                    client: files_client,
                    store: &store,
                    status: &status,
                };
                let (mut next, mut batch_no, mut sent, mut files_sent) = (acked, 0u64, 0u64, 0u64);
                while next < local_head {
                    // Closed when the round is over: nothing more is read.
                    let Ok(permit) = window.acquire().await else {
                        break;
                    };
                    permit.forget();
                    let (s, l) = (store.clone(), ledger.clone());
                    let events =
                        tokio::task::spawn_blocking(move || s.events_after(&l, next, BATCH_EVENTS))
                            .await
                            .map_err(internal)??;
                    let wire = crate::wire_batch(&events);
                    let Some(last) = events[..wire.len()].last() else {
                        break;
                    };
                    next = last.seq;
                    // The parent takes in an event naming a file only once it holds the file.
                    files_sent += files.upload_named(&events[..wire.len()]).await?;
                    batch_no += 1;
                    sent += wire.len() as u64;
                    let batch = proto::PushBatch {
                        batch_no,
                        events: wire,
                    };
                    if tx.send(batch).await.is_err() {
                        break;
                    }
                }
                Ok::<(u64, u64), SyncError>((sent, files_sent))
            })
        };

        let mut request = tonic::Request::new(ReceiverStream::new(rx));
        request
            .metadata_mut()
            .insert(crate::SENDER_CLOCK, self.clock.now_ms().into());
        let mut acks = client
            .push(request)
            .await
            .map_err(|s| self.status(s))?
            .into_inner();
        let outcome = loop {
            match acks.message().await {
                Ok(Some(ack)) => {
                    acked = ack.acked.map_or(acked, |a| a.seq);
                    note_parent_acked(store, ledger, acked);
                    report.stored += u64::from(ack.stored);
                    report.duplicates += u64::from(ack.duplicates);
                    window.add_permits(1);
                }
                Ok(None) => break Ok(()),
                Err(status) => break Err(self.status(status)),
            }
        };
        window.close();
        if outcome.is_err() {
            // The parent ended the stream: nothing more will be read, so a
            // producer waiting to send must not be waited for.
            producer.abort();
        }
        report.acked = acked;
        let produced = producer.await;
        // The parent's own word comes first; then why we stopped sending (a
        // read of our own ledger failed, which ends the stream cleanly).
        outcome?;
        (report.sent, report.files_sent) = produced.map_err(internal)??;
        if acked < local_head {
            return Err(SyncError::Unacked {
                parent: self.parent.clone(),
                acked,
                local: local_head,
            });
        }
        info!(
            sent = report.sent,
            stored = report.stored,
            acked,
            "push round done"
        );
        Ok(report)
    }

    /// Pulls what the parent holds in `scope` above our version vector.
    pub async fn pull(&self, store: &Store, scope: &Code) -> Result<PullReport, SyncError> {
        let span = info_span!("pull_round", node = %store.node(), parent = %self.parent);
        async {
            let mut client = self.client.clone();
            let vv = store.version_vector()?;
            let request = proto::PullRequest {
                scope: scope.to_string(),
                version_vector: convert::vector_to_wire(&vv),
                batch_limit: 0,
            };
            let mut batches = client
                .pull(request)
                .await
                .map_err(|s| self.status(s))?
                .into_inner();
            let mut report = PullReport::default();
            while let Some(batch) = batches.message().await.map_err(|s| self.status(s))? {
                if !batch.events.is_empty() {
                    report.received += batch.events.len() as u64;
                    let events = convert::events_from_wire(&batch.events).map_err(|e| {
                        SyncError::BadReply {
                            parent: self.parent.clone(),
                            problem: e,
                        }
                    })?;
                    let s = store.clone();
                    let applied =
                        tokio::task::spawn_blocking(move || s.apply(events, ApplyMode::Scoped))
                            .await
                            .map_err(internal)??;
                    report.stored += applied.new.len() as u64;
                }
                if batch.complete {
                    break;
                }
            }
            let status = |s| self.status(s);
            let mut files = FileLink {
                client: client.clone(),
                store,
                status: &status,
            };
            report.files_received = files.fetch_wanted(&self.parent).await?;
            info!(
                received = report.received,
                stored = report.stored,
                files = report.files_received,
                "pull round done"
            );
            Ok(report)
        }
        .instrument(span)
        .await
    }

    /// One round: push, then pull.
    pub async fn sync(
        &self,
        store: &Store,
        ledger: &Origin,
        scope: &Code,
    ) -> Result<SyncReport, SyncError> {
        let push = self.push(store, ledger).await?;
        let pull = self.pull(store, scope).await?;
        Ok(SyncReport {
            push,
            pull,
            attempts: 1,
        })
    }
}

/// Connects and runs one round, retrying transient failures up to `attempts`
/// times with backoff. A rejection (bad data, no permission) is not retried.
pub async fn sync_with_retry(
    upstream: &Upstream,
    store: &Store,
    ledger: &Origin,
    scope: &Code,
    backoff: Backoff,
    attempts: u32,
) -> Result<SyncReport, SyncError> {
    let mut attempt = 0;
    loop {
        let result = match Link::connect(upstream).await {
            Ok(link) => link.sync(store, ledger, scope).await,
            Err(e) => Err(e),
        };
        attempt += 1;
        match result {
            Ok(mut report) => {
                report.attempts = attempt;
                return Ok(report);
            }
            Err(e) if e.is_transient() && attempt < attempts.max(1) => {
                let delay = backoff.delay(attempt - 1);
                tracing::warn!(error = %e, attempt, ?delay, "sync failed; retrying");
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A background task of the round that panicked (or was cancelled).
fn internal(e: tokio::task::JoinError) -> SyncError {
    SyncError::Internal(if e.is_panic() {
        "后台任务异常终止".to_owned()
    } else {
        "后台任务被取消".to_owned()
    })
}
