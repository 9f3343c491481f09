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
pub use client::{Link, PullReport, PushReport, SyncReport, Upstream, sync_with_retry};
pub use clock::Clock;
pub use error::SyncError;
pub use peers::PeerStatus;
pub use server::ReplicationService;

/// Events per push or pull batch: large enough to amortise one fsync, small
/// enough to stay far below the message limit.
pub const BATCH_EVENTS: usize = 500;

/// Un-acked push batches allowed in flight.
pub const PUSH_WINDOW: usize = 4;
