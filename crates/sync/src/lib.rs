//! sanji-sync: the one replication engine, used on every link (station → hub,
//! hub → county). The server half validates, authorises by certificate code,
//! stores atomically and durably, then acks; the client half pushes its own
//! ledger in windowed batches, pulls its scope, and retries with backoff.
//!
//! Roles differ only by the codes involved: a parent accepts pushes from its
//! direct children and serves each child its own scope.
//!
//! Must not depend on: sled (only through sanji-store), any role's operator
//! logic (sanji-node), the CLI.

pub mod backoff;
pub mod client;
pub mod clock;
pub mod error;
pub mod peers;
pub mod server;
pub mod tls;

pub use backoff::Backoff;
pub use client::{
    Link, PARENT_ACKED, PullReport, PushReport, SyncReport, Upstream, parent_acked, sync_with_retry,
};
pub use clock::Clock;
pub use error::{STATUS_TAG, SyncError};
pub use peers::PeerStatus;
pub use server::{Limits, ReplicationService};

/// Events per push or pull batch: large enough to amortise one fsync, small
/// enough to stay far below the message limit.
pub const BATCH_EVENTS: usize = 500;

/// Request metadata with the sender's physical clock (Unix milliseconds) when
/// it pushed: read only to tell a clock that is wrong now from one that was.
pub const SENDER_CLOCK: &str = "sanji-sender-clock-ms";

/// Un-acked push batches allowed in flight.
pub const PUSH_WINDOW: usize = 4;

/// Most encoded bytes one push or pull batch carries: half the message limit.
/// A record at the text limits written in four-byte characters encodes to
/// about 40 KB, so [`BATCH_EVENTS`] of them would not fit in one message; such
/// a batch ends early instead of failing the round every time.
pub const BATCH_BYTES: usize = sanji_proto::MAX_MESSAGE_BYTES / 2;

/// Encodes `events` for the wire: the longest prefix whose encoding stays
/// within [`BATCH_BYTES`], and never less than one event.
pub(crate) fn wire_batch(events: &[sanji_domain::Event]) -> Vec<sanji_proto::Event> {
    let mut out = Vec::with_capacity(events.len());
    let mut bytes = 0;
    for event in events {
        let wire = sanji_proto::convert::event_to_wire(event);
        bytes += encoded_bound(&wire);
        if !out.is_empty() && bytes > BATCH_BYTES {
            break;
        }
        out.push(wire);
    }
    out
}

/// An upper bound of one event's size inside a batch message: its
/// length-delimited fields, plus 64 bytes for the numbers, tags and lengths.
fn encoded_bound(e: &sanji_proto::Event) -> usize {
    e.id.len()
        + e.origin.len()
        + e.author.len()
        + e.entity.len()
        + e.payload.len()
        + e.prev_hash.len()
        + e.hash.len()
        + 64
}
