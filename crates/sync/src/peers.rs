//! Sync health per child, as the parent saw it: last contact, what it holds
//! that we have not acked, and the last error with a reason a person can act on.

use serde::{Deserialize, Serialize};

use sanji_domain::Code;
use sanji_store::{Store, StoreError};

const NAMESPACE: &str = "peers";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerStatus {
    pub code: String,
    pub last_contact_ms: u64,
    pub last_push_ms: Option<u64>,
    pub last_pull_ms: Option<u64>,
    /// The child's own head, as it reported it.
    pub reported_head: u64,
    /// Our durable high-water mark for the child's ledger.
    pub acked: u64,
    pub last_error: Option<String>,
    pub last_error_ms: Option<u64>,
}

impl PeerStatus {
    /// Events the child holds that we have not stored yet.
    pub fn pending(&self) -> u64 {
        self.reported_head.saturating_sub(self.acked)
    }

    pub fn load(store: &Store, code: &Code) -> Result<PeerStatus, StoreError> {
        Ok(match store.meta_get(NAMESPACE, code.as_str())? {
            Some(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
            None => PeerStatus {
                code: code.to_string(),
                ..PeerStatus::default()
            },
        })
    }

    pub fn all(store: &Store) -> Result<Vec<PeerStatus>, StoreError> {
        Ok(store
            .meta_scan(NAMESPACE)?
            .into_iter()
            .filter_map(|(_, bytes)| serde_json::from_slice(&bytes).ok())
            .collect())
    }

    /// Loads, changes and saves one child's status. Bookkeeping only: a
    /// failure here is logged, never allowed to fail a sync, and it rides on
    /// the next durable write rather than paying an fsync of its own.
    pub fn update(store: &Store, code: &Code, now_ms: u64, change: impl FnOnce(&mut PeerStatus)) {
        let result = PeerStatus::load(store, code).and_then(|mut status| {
            status.code = code.to_string();
            status.last_contact_ms = now_ms;
            change(&mut status);
            let bytes = serde_json::to_vec(&status).expect("peer status serialises");
            store.meta_put_unsynced(NAMESPACE, code.as_str(), &bytes)
        });
        if let Err(e) = result {
            tracing::warn!(peer = %code, error = %e, "could not record peer status");
        }
    }
}
