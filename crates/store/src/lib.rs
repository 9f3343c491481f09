//! sanji-store: a node's durable event log, version vector and entity projections.
//!
//! Owns: the data folder; events keyed by (origin, seq); the id, entity and
//! scope indexes; per-origin heads with the hash of the head event; the
//! persisted hybrid clock; small namespaced bookkeeping. Every write is one
//! atomic sled batch made durable (`flush`, then `fsync` of any new sled blob
//! file and of `<data>/db`) before the call returns, so an acknowledged event
//! survives a crash. The key layout is documented in `keys.rs`.
//!
//! This is the only crate that names sled; sled stays behind this interface
//! (events are stored as JSON of `sanji_domain::Event` under a format version,
//! so the encoding can change later with a migration).
//!
//! Must not depend on: tonic, the network, the wire protocol (`sanji-proto`)
//! or async runtimes. Callers pass `now` in.
//!
//! Concurrency: one `Mutex` serialises writers (validate, then write, under
//! the lock); readers take no lock of ours and see each batch all or nothing
//! per lookup.

mod attachments;
pub mod bare;
mod durable;
mod error;
mod keys;
mod seal;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use sanji_domain::fold::fold_key;
use sanji_domain::index::{self, CaseCard, IndexName, TermRange};
use sanji_domain::scope::audience;
use sanji_domain::{
    Code, Digest, Entity, Event, EventBody, EventRef, FieldError, Hlc, HybridClock, Origin,
    VersionVector, fold,
};
use tracing::{debug, error, info, warn};
use uuid::Uuid;

pub use attachments::HeldFile;
pub use error::{EngineError, StoreError, WriteFault};
pub use seal::{SealError, Unlock, is_sealed_export, open_export, seal_export};

/// The on-disk format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// sled's page cache size in bytes (sled's own default of 1 GiB is too much for a laptop).
    pub cache_bytes: u64,
    /// What opens an encrypted store; a new store is created encrypted unless this is `Plain`.
    pub unlock: Unlock,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_bytes: 64 * 1024 * 1024,
            unlock: Unlock::Plain,
        }
    }
}

/// The highest event held of one origin, with that event's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: Digest,
}

/// A local event before the store numbers, stamps and chains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub author: String,
    pub entity: Uuid,
    pub body: EventBody,
}

/// A bookkeeping entry (as [`Store::meta_put`] writes) that must be durable
/// exactly when some events are: see [`Store::append_local_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaPut {
    pub namespace: String,
    pub key: String,
    pub value: Vec<u8>,
}

impl MetaPut {
    pub fn new(namespace: &str, key: impl Into<String>, value: impl Into<Vec<u8>>) -> MetaPut {
        MetaPut {
            namespace: namespace.to_owned(),
            key: key.into(),
            value: value.into(),
        }
    }
}

/// What one `apply` (or `append_local`) changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Events written by this call, in the order received.
    pub new: Vec<EventRef>,
    /// Events already held, byte for byte.
    pub duplicates: usize,
    /// For every origin present in the batch, the head seq after the call.
    pub heads: BTreeMap<Origin, u64>,
    /// Entities refolded because they received new events, ascending.
    pub touched_entities: Vec<Uuid>,
}

/// How received events must relate to what is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyMode {
    /// Pushed by the origin itself: all events of ONE origin, contiguous from
    /// head+1 (events at or below the head must be byte-identical to what is
    /// stored: they count as duplicates; different content = equivocation),
    /// prev_hash must equal the hash of the previous event (stored head or
    /// previous in batch).
    Chain,
    /// Pulled from a parent: any origins, gaps allowed (filtered by scope);
    /// dedup identical; same (origin,seq) or same id with other content =
    /// equivocation; head = max seq seen per origin. Hash links are checked
    /// wherever both neighbours are held.
    Scoped,
}

/// A node's store. Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    path: PathBuf,
    node: Code,
    /// `<path>/db`, for the `fsync` that sled's `flush` does not do on Linux.
    db_file: File,
    /// The data key of an encrypted store; `None` for a plain one. Set once at open.
    sealer: std::sync::OnceLock<seal::Sealer>,
    /// Files under `<path>/blobs` already made durable (sled writes large pages there without `fsync`).
    synced_blobs: Mutex<HashSet<OsString>>,
    writer: Mutex<()>,
    /// Serialises the read-then-write of a file's pieces (`attachments.rs`).
    attachments: Mutex<()>,
    /// Set by the first failed write; from then on every call is refused (see `write_failed`).
    failed: OnceLock<(WriteFault, String)>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .field("node", &self.inner.node)
            .finish()
    }
}

impl Store {
    /// Creates the folder if needed; a new folder records format version 1 and `node` (the owner's code string).
    /// An existing folder with another format version -> UnknownFormat; another node -> WrongNode. Opening a
    /// folder that sled cannot read -> a clear error naming the path.
    pub fn open(path: &Path, node: &Code, opts: StoreOptions) -> Result<Store, StoreError> {
        Store::open_waiting(path, node, opts, LOCK_WAIT)
    }

    /// [`Store::open`], waiting up to `lock_wait` while another handle (another
    /// process, or one of ours just dropped) holds the folder; past that,
    /// [`StoreError::InUse`].
    pub fn open_waiting(
        path: &Path,
        node: &Code,
        opts: StoreOptions,
        lock_wait: std::time::Duration,
    ) -> Result<Store, StoreError> {
        let io_error = |source| unwritable_or(path, source);
        std::fs::create_dir_all(path).map_err(io_error)?;
        // Never scatter sled's files among someone else's: a folder with content must already be a store.
        // (`lost+found` is what a freshly formatted partition holds at its root.)
        if !path.join("conf").exists() {
            for entry in std::fs::read_dir(path).map_err(io_error)? {
                if entry.map_err(io_error)?.file_name() != "lost+found" {
                    return Err(StoreError::NotAStore {
                        path: path.to_owned(),
                    });
                }
            }
        }
        let config = sled::Config::new()
            .path(path)
            .cache_capacity(opts.cache_bytes)
            // Every write batch is flushed and fsynced before it returns, so
            // sled's periodic background flusher (a thread per store) adds
            // nothing but wake-ups.
            .flush_every_ms(None);
        let db = open_when_unlocked(path, &config, lock_wait)?;
        let db_path = path.join("db");
        let db_file = durable::open_for_sync(&db_path).map_err(|source| StoreError::Io {
            path: db_path,
            source,
        })?;
        let store = Store {
            inner: Arc::new(Inner {
                db,
                path: path.to_owned(),
                node: node.clone(),
                db_file,
                sealer: std::sync::OnceLock::new(),
                synced_blobs: Mutex::new(HashSet::new()),
                writer: Mutex::new(()),
                attachments: Mutex::new(()),
                failed: OnceLock::new(),
            }),
        };
        // sled may finish recovering its log (zero-filling the last segment) lazily, so a
        // full or read-only disk can first show on the reads that follow the open.
        store
            .check_or_init(&opts.unlock)
            .and_then(|()| store.index_kinds())
            .and_then(|()| store.refold())
            .and_then(|()| store.index_terms())
            .map_err(|e| store.in_write(e))?;
        let events = store.event_count().map_err(|e| store.in_write(e))?;
        info!(path = %path.display(), node = %node, events, sealed = store.is_sealed(), "数据目录已打开");
        Ok(store)
    }

    fn check_or_init(&self, unlock: &Unlock) -> Result<(), StoreError> {
        let db = &self.inner.db;
        let path = &self.inner.path;
        let sealing = |source| StoreError::Seal {
            path: path.clone(),
            source,
        };
        match db.get(keys::meta(keys::META_FORMAT))? {
            None if db.is_empty() => {
                let mut batch = sled::Batch::default();
                batch.insert(
                    keys::meta(keys::META_FORMAT),
                    FORMAT_VERSION.to_string().as_bytes(),
                );
                batch.insert(
                    keys::meta(keys::META_NODE),
                    self.inner.node.as_str().as_bytes(),
                );
                batch.insert(keys::meta(keys::META_KINDS), b"1");
                batch.insert(
                    keys::meta(keys::META_TERMS),
                    index::INDEX_VERSION.to_string().as_bytes(),
                );
                batch.insert(
                    keys::meta(keys::META_FOLD),
                    sanji_domain::fold::FOLD_VERSION.to_string().as_bytes(),
                );
                if let Some((sealer, record)) = seal::create(unlock).map_err(sealing)? {
                    batch.insert(keys::meta(keys::META_SEAL), seal::encode_record(&record));
                    let _ = self.inner.sealer.set(sealer);
                }
                self.commit(batch)?;
                // Make the new files' directory entries durable too.
                durable::sync_dir(path).map_err(|e| self.write_failed(path, e.into()))?;
                info!(path = %path.display(), node = %self.inner.node, "新建数据目录,格式版本 {FORMAT_VERSION}");
            }
            None => {
                return Err(StoreError::UnknownFormat {
                    path: path.clone(),
                    found: "(无版本标记)".to_owned(),
                    supported: FORMAT_VERSION,
                });
            }
            Some(found) if found.as_ref() != FORMAT_VERSION.to_string().as_bytes() => {
                return Err(StoreError::UnknownFormat {
                    path: path.clone(),
                    found: String::from_utf8_lossy(&found).into_owned(),
                    supported: FORMAT_VERSION,
                });
            }
            Some(_) => {}
        }
        let stored = db.get(keys::meta(keys::META_NODE))?.ok_or_else(|| {
            StoreError::Corrupt(format!("数据目录 {} 缺少节点代码", path.display()))
        })?;
        if stored.as_ref() != self.inner.node.as_str().as_bytes() {
            return Err(StoreError::WrongNode {
                path: path.clone(),
                stored: String::from_utf8_lossy(&stored).into_owned(),
                requested: self.inner.node.to_string(),
            });
        }
        if self.inner.sealer.get().is_none() {
            match db.get(keys::meta(keys::META_SEAL))? {
                Some(bytes) => {
                    let record = seal::decode_record(&bytes).map_err(sealing)?;
                    let sealer = seal::open(&record, unlock).map_err(sealing)?;
                    let _ = self.inner.sealer.set(sealer);
                }
                None if !unlock.is_plain() => {
                    return Err(sealing(SealError::NotSealed(unlock.describe())));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Wraps this encrypted store's data key under new material; the old
    /// material stops opening it. The records themselves are not rewritten.
    pub fn rekey(&self, new: &Unlock) -> Result<(), StoreError> {
        let sealing = |source| StoreError::Seal {
            path: self.inner.path.clone(),
            source,
        };
        let sealer = self
            .inner
            .sealer
            .get()
            .ok_or_else(|| sealing(SealError::NotSealed(new.describe())))?;
        let record = seal::rewrap(sealer, new).map_err(sealing)?;
        let _writer = self.lock();
        let mut batch = sled::Batch::default();
        batch.insert(keys::meta(keys::META_SEAL), seal::encode_record(&record));
        self.commit(batch)?;
        info!(path = %self.inner.path.display(), by = new.describe(), "数据密钥已改由新的密钥材料保护");
        Ok(())
    }

    /// Whether records at rest are encrypted.
    pub fn is_sealed(&self) -> bool {
        self.inner.sealer.get().is_some()
    }

    /// The bytes to store under `key`: encrypted in a sealed store.
    fn seal(&self, key: &[u8], plain: Vec<u8>) -> Vec<u8> {
        match self.inner.sealer.get() {
            Some(sealer) => sealer.seal(key, &plain),
            None => plain,
        }
    }

    /// The plaintext of what is stored under `key`.
    fn unseal<'a>(
        &self,
        key: &[u8],
        stored: &'a [u8],
    ) -> Result<std::borrow::Cow<'a, [u8]>, StoreError> {
        match self.inner.sealer.get() {
            None => Ok(std::borrow::Cow::Borrowed(stored)),
            Some(sealer) => sealer
                .open(key, stored)
                .map(std::borrow::Cow::Owned)
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "加密的记录 {key:?} 无法解开:它被改动过,或被挪到了别的位置"
                    ))
                }),
        }
    }

    fn decode_event(&self, key: &[u8], stored: &[u8]) -> Result<Event, StoreError> {
        let bytes = self.unseal(key, stored)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("事件 {key:?} 无法解析:{e}")))
    }

    fn decode_entity(&self, key: &[u8], stored: &[u8]) -> Result<Entity, StoreError> {
        let bytes = self.unseal(key, stored)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("实体 {key:?} 无法解析:{e}")))
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn node(&self) -> &Code {
        &self.inner.node
    }

    /// For each origin held, the highest seq held.
    pub fn version_vector(&self) -> Result<VersionVector, StoreError> {
        self.halted()?;
        let mut vv = VersionVector::new();
        for item in self.inner.db.scan_prefix([keys::HEAD]) {
            let (key, value) = item?;
            let origin = keys::parse_origin(&key[1..])?;
            let (seq, _) = keys::parse_head_value(&value)?;
            vv.insert(origin, seq);
        }
        Ok(vv)
    }

    pub fn head(&self, origin: &Origin) -> Result<Option<Head>, StoreError> {
        self.halted()?;
        match self.inner.db.get(keys::head(origin))? {
            None => Ok(None),
            Some(value) => {
                let (seq, hash) = keys::parse_head_value(&value)?;
                Ok(Some(Head { seq, hash }))
            }
        }
    }

    pub fn get(&self, origin: &Origin, seq: u64) -> Result<Option<Event>, StoreError> {
        self.halted()?;
        let key = keys::event(origin, seq);
        self.inner
            .db
            .get(&key)?
            .map(|bytes| self.decode_event(&key, &bytes))
            .transpose()
    }

    pub fn get_by_id(&self, id: Uuid) -> Result<Option<Event>, StoreError> {
        self.halted()?;
        let Some(reference) = self.inner.db.get(keys::id(id))? else {
            return Ok(None);
        };
        self.event_at_ref(&reference).map(Some)
    }

    /// Loads the event an index entry (`origin 0x00 seq`) points at; it must exist.
    fn event_at_ref(&self, reference: &[u8]) -> Result<Event, StoreError> {
        let key = keys::event_from_ref_bytes(reference);
        let bytes =
            self.inner.db.get(&key)?.ok_or_else(|| {
                StoreError::Corrupt(format!("索引指向的事件不存在:{reference:?}"))
            })?;
        self.decode_event(&key, &bytes)
    }

    /// Events of `origin` with seq > after, ascending, at most `limit`.
    pub fn events_after(
        &self,
        origin: &Origin,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.halted()?;
        if limit == 0 || after == u64::MAX {
            return Ok(Vec::new());
        }
        let range = keys::event(origin, after + 1)..=keys::event(origin, u64::MAX);
        self.inner
            .db
            .range(range)
            .take(limit)
            .map(|item| {
                let (key, bytes) = item?;
                self.decode_event(&key, &bytes)
            })
            .collect()
    }

    /// Events in `scope`'s audience index with seq above `vv[origin]` (0 if absent), ordered by (origin, seq),
    /// at most `limit`. Cost follows the number of events returned plus the number of origins in the scope,
    /// not the total held: per origin, one seek finds the origin and one seeks straight to vv+1.
    pub fn scope_after(
        &self,
        scope: &Code,
        vv: &VersionVector,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.halted()?;
        let db = &self.inner.db;
        let base = keys::scope_prefix(scope);
        let mut out = Vec::new();
        // Where the next origin's keys may start.
        let mut from = base.clone();
        while out.len() < limit {
            let Some(item) = db.range(from.as_slice()..).next() else {
                break;
            };
            let (key, _) = item?;
            if !key.starts_with(&base) {
                break;
            }
            let (origin_bytes, first_seq) = keys::split_ref(&key[base.len()..])?;
            let origin = keys::parse_origin(origin_bytes)?;
            let mut origin_prefix = base.clone();
            origin_prefix.extend_from_slice(origin_bytes);
            origin_prefix.push(keys::SEP);
            // Every key of a later origin sorts at or after `origin_prefix` with its separator raised to 0x01:
            // origin texts are digits and '/', all above 0x01.
            let mut next_origin = origin_prefix.clone();
            *next_origin.last_mut().expect("non-empty") = keys::SEP + 1;

            let after = vv.get(&origin).copied().unwrap_or(0);
            if after < u64::MAX {
                let start = if first_seq > after {
                    key.to_vec()
                } else {
                    let mut k = origin_prefix.clone();
                    k.extend_from_slice(&(after + 1).to_be_bytes());
                    k
                };
                for item in db.range(start..next_origin.clone()).take(limit - out.len()) {
                    let (key, _) = item?;
                    out.push(self.event_at_ref(&key[base.len()..])?);
                }
            }
            from = next_origin;
        }
        Ok(out)
    }

    /// Writes events authored on this node: for each draft, seq = head+1, prev_hash = previous hash,
    /// id = Uuid::now_v7(), hlc = the store's persisted HybridClock .tick(now_ms). Every event is checked with
    /// Event::validate() BEFORE anything is written; one invalid draft -> Err(Invalid) and nothing is written.
    /// `origin` must be this node's ledger or outbox. Atomic + durable. Returns the events.
    pub fn append_local(
        &self,
        origin: &Origin,
        now_ms: u64,
        drafts: Vec<Draft>,
    ) -> Result<Vec<Event>, StoreError> {
        self.append_local_with(origin, now_ms, drafts, Vec::new())
    }

    /// [`Store::append_local`], with bookkeeping written in the same atomic,
    /// durable batch: a mark that says "these events are written" (a cursor,
    /// a report's revision) can then never outlive a crash without them, nor
    /// they without it. With no drafts, only the bookkeeping is written.
    pub fn append_local_with(
        &self,
        origin: &Origin,
        now_ms: u64,
        drafts: Vec<Draft>,
        bookkeeping: Vec<MetaPut>,
    ) -> Result<Vec<Event>, StoreError> {
        self.append_local_unmapped(origin, now_ms, drafts, bookkeeping)
            .map_err(|e| self.in_write(e))
    }

    fn append_local_unmapped(
        &self,
        origin: &Origin,
        now_ms: u64,
        drafts: Vec<Draft>,
        bookkeeping: Vec<MetaPut>,
    ) -> Result<Vec<Event>, StoreError> {
        if origin.code() != &self.inner.node {
            return Err(StoreError::Invalid(FieldError::new(
                "origin",
                format!(
                    "{origin} 不是本节点 {} 的台账,不能在这里写入",
                    self.inner.node
                ),
            )));
        }
        let mut marks = Vec::with_capacity(bookkeeping.len());
        for MetaPut {
            namespace,
            key,
            value,
        } in bookkeeping
        {
            check_namespace(&namespace)?;
            let key = keys::user_meta(&namespace, &key);
            let value = self.seal(&key, value);
            marks.push((key, value));
        }
        if drafts.is_empty() {
            if marks.is_empty() {
                return Ok(Vec::new());
            }
            let mut batch = sled::Batch::default();
            for (key, value) in marks {
                batch.insert(key, value);
            }
            let _writer = self.lock();
            self.commit(batch)?;
            return Ok(Vec::new());
        }
        let _writer = self.lock();
        let mut clock = HybridClock::starting_at(self.clock()?);
        let (mut seq, mut prev_hash) = match self.head(origin)? {
            Some(head) => (head.seq, head.hash),
            None => (0, Digest::GENESIS),
        };
        let mut events = Vec::with_capacity(drafts.len());
        for (index, draft) in drafts.into_iter().enumerate() {
            seq += 1;
            let event = Event {
                id: Uuid::now_v7(),
                origin: origin.clone(),
                seq,
                hlc: clock.tick(now_ms),
                author: draft.author,
                entity: draft.entity,
                body: draft.body,
                prev_hash,
                hash_rule: sanji_domain::HashRule::CURRENT,
            };
            if let Err(e) = event.validate() {
                warn!(%origin, draft = index, kind = event.body.kind(), error = %e, "本地事件不合规,整批未写入");
                return Err(StoreError::Invalid(e));
            }
            prev_hash = event.hash();
            events.push(event);
        }
        self.write_locked(events.clone(), ApplyMode::Chain, clock, u64::MAX, marks)?;
        Ok(events)
    }

    /// Applies received events atomically and durably (all or nothing), per `mode`. Does NOT call
    /// Event::validate (the caller did). Observes every new event's hlc into the persisted clock. Refolds each
    /// touched entity from ALL its events and stores the projection; indexes every event of the entity under
    /// each code of its audience (when the audience gains a code, the entity's earlier events are indexed for it
    /// too; when it loses one, they are taken out).
    pub fn apply(&self, events: Vec<Event>, mode: ApplyMode) -> Result<Applied, StoreError> {
        self.apply_adopting_until(events, mode, u64::MAX)
    }

    /// Like [`Store::apply`], but a stamp whose wall time is beyond
    /// `adopt_until_ms` is stored without being observed into this node's
    /// clock: a parent keeps a child's records stamped by a clock that ran
    /// fast, without stamping its own events that far ahead afterwards.
    pub fn apply_adopting_until(
        &self,
        events: Vec<Event>,
        mode: ApplyMode,
        adopt_until_ms: u64,
    ) -> Result<Applied, StoreError> {
        if events.is_empty() {
            return Ok(Applied::default());
        }
        let _writer = self.lock();
        let written = self.clock().and_then(|last| {
            self.write_locked(
                events,
                mode,
                HybridClock::starting_at(last),
                adopt_until_ms,
                Vec::new(),
            )
        });
        written.map_err(|e| self.in_write(e))
    }

    /// sled may write its log while a write batch is being prepared (it
    /// consolidates pages on reads too), so a full or read-only disk can
    /// surface from any step of a write: it is the same failure as the batch's own.
    fn in_write(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::Engine(EngineError(sled::Error::Io(io)))
                if WriteFault::of(&io) != WriteFault::Other =>
            {
                self.write_failed(&self.inner.path, sled::Error::Io(io))
            }
            other => other,
        }
    }

    pub fn entity(&self, id: Uuid) -> Result<Option<Entity>, StoreError> {
        self.halted()?;
        let key = keys::entity(id);
        self.inner
            .db
            .get(&key)?
            .map(|bytes| self.decode_entity(&key, &bytes))
            .transpose()
    }

    /// Visits every entity projection in turn, holding one at a time: for
    /// passes over a hub's whole ledger that keep only a few (the open cases).
    pub fn for_each_entity(
        &self,
        mut visit: impl FnMut(Entity) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.halted()?;
        for item in self.inner.db.scan_prefix([keys::ENTITY]) {
            let (key, bytes) = item?;
            visit(self.decode_entity(&key, &bytes)?)?;
        }
        Ok(())
    }

    /// Visits every entity of one kind, holding one at a time: a page of
    /// cases costs the cases, not the county's years of daily summaries.
    pub fn for_each_entity_of(
        &self,
        kind: sanji_domain::fold::EntityKind,
        mut visit: impl FnMut(Entity) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.halted()?;
        for item in self.inner.db.scan_prefix(keys::kind_prefix(kind)) {
            let (index, _) = item?;
            let id = Uuid::from_slice(&index[2..])
                .map_err(|e| StoreError::Corrupt(format!("类别索引 {index:?} 无法解析:{e}")))?;
            let key = keys::entity(id);
            match self.inner.db.get(&key)? {
                Some(bytes) => visit(self.decode_entity(&key, &bytes)?)?,
                None => {
                    return Err(StoreError::Corrupt(format!(
                        "类别索引指向不存在的实体 {id}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Every entity of one kind.
    pub fn entities_of(
        &self,
        kind: sanji_domain::fold::EntityKind,
    ) -> Result<Vec<Entity>, StoreError> {
        let mut all = Vec::new();
        self.for_each_entity_of(kind, |e| {
            all.push(e);
            Ok(())
        })?;
        Ok(all)
    }

    /// A store whose projections were folded under another
    /// [`sanji_domain::fold::FOLD_VERSION`] (or none: a store made before
    /// the version was kept) has every entity refolded from its events once,
    /// its kind, scope and query indexes following, and the version marked.
    fn refold(&self) -> Result<(), StoreError> {
        let db = &self.inner.db;
        let current = sanji_domain::fold::FOLD_VERSION.to_string();
        if db
            .get(keys::meta(keys::META_FOLD))?
            .is_some_and(|v| v.as_ref() == current.as_bytes())
        {
            return Ok(());
        }
        let ids: Vec<Uuid> = db
            .scan_prefix([keys::ENTITY])
            .keys()
            .map(|key| {
                let key = key?;
                Uuid::from_slice(&key[1..])
                    .map_err(|_| StoreError::Corrupt(format!("实体键格式不对:{key:?}")))
            })
            .collect::<Result<_, StoreError>>()?;
        const CHUNK: usize = 5_000;
        let mut changed = 0u64;
        for chunk in ids.chunks(CHUNK) {
            let mut batch = sled::Batch::default();
            for &id in chunk {
                let before = self.entity(id)?;
                let events = self.entity_events(id)?;
                let after = fold(events.iter());
                if after == before {
                    continue;
                }
                changed += 1;
                let audience_before = before.as_ref().map(audience).unwrap_or_default();
                let audience_after = after.as_ref().map(audience).unwrap_or_default();
                for code in audience_after.difference(&audience_before) {
                    for e in &events {
                        batch.insert(keys::scope_event(code, &e.origin, e.seq), &[]);
                    }
                }
                for code in audience_before.difference(&audience_after) {
                    for e in &events {
                        batch.remove(keys::scope_event(code, &e.origin, e.seq));
                    }
                }
                self.put_projection(&mut batch, id, before.as_ref(), after);
            }
            self.commit(batch)?;
        }
        let mut batch = sled::Batch::default();
        batch.insert(keys::meta(keys::META_FOLD), current.as_bytes());
        self.commit(batch)?;
        info!(path = %self.inner.path.display(), entities = ids.len(), changed, "已按当前版本重新归并现有记录");
        Ok(())
    }

    /// A store made before the kind index: index every entity once, in
    /// one durable batch, and mark it done.
    fn index_kinds(&self) -> Result<(), StoreError> {
        let db = &self.inner.db;
        if db.get(keys::meta(keys::META_KINDS))?.is_some() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        let mut indexed = 0u64;
        for item in db.scan_prefix([keys::ENTITY]) {
            let (key, bytes) = item?;
            let entity = self.decode_entity(&key, &bytes)?;
            batch.insert(keys::kind(entity.state.kind(), entity.id), &[]);
            indexed += 1;
        }
        batch.insert(keys::meta(keys::META_KINDS), b"1");
        self.commit(batch)?;
        if indexed > 0 {
            info!(path = %self.inner.path.display(), indexed, "已为现有记录建立类别索引");
        }
        Ok(())
    }

    /// All entity projections (callers filter by state type).
    pub fn entities(&self) -> Result<Vec<Entity>, StoreError> {
        self.halted()?;
        self.inner
            .db
            .scan_prefix([keys::ENTITY])
            .map(|item| {
                let (key, bytes) = item?;
                self.decode_entity(&key, &bytes)
            })
            .collect()
    }

    /// All events of one entity in fold order: (hlc, origin, seq).
    pub fn entity_events(&self, id: Uuid) -> Result<Vec<Event>, StoreError> {
        self.halted()?;
        let mut events = self
            .inner
            .db
            .scan_prefix(keys::entity_events_prefix(id))
            .map(|item| {
                let (key, _) = item?;
                if key.len() < keys::ENTITY_EVENT_HEAD {
                    return Err(StoreError::Corrupt(format!("实体索引键过短:{key:?}")));
                }
                self.event_at_ref(&key[keys::ENTITY_EVENT_HEAD..])
            })
            .collect::<Result<Vec<_>, _>>()?;
        // The key order already is the fold order; sorting again costs nothing and states the contract.
        events.sort_by(|a, b| fold_key(a).cmp(&fold_key(b)));
        Ok(events)
    }

    /// The last stamp the persisted hybrid clock issued or observed.
    pub fn clock(&self) -> Result<Hlc, StoreError> {
        self.halted()?;
        match self.inner.db.get(keys::meta(keys::META_CLOCK))? {
            None => Ok(Hlc::ZERO),
            Some(bytes) => keys::parse_clock_value(&bytes),
        }
    }

    /// Small durable bookkeeping outside the event log (peer status, summary revisions): namespaced key/value.
    /// `namespace` must not contain NUL.
    pub fn meta_put(&self, namespace: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        check_namespace(namespace)?;
        self.halted()?;
        let key = keys::user_meta(namespace, key);
        let value = self.seal(&key, value.to_vec());
        self.inner
            .db
            .insert(key, value)
            .map_err(|e| self.write_failed(&self.inner.path, e))?;
        self.durable()
    }

    /// Bookkeeping that may be lost in a crash (last contact times): written
    /// now, made durable by the next durable write, never paying an fsync.
    pub fn meta_put_unsynced(
        &self,
        namespace: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), StoreError> {
        check_namespace(namespace)?;
        self.halted()?;
        let key = keys::user_meta(namespace, key);
        let value = self.seal(&key, value.to_vec());
        self.inner
            .db
            .insert(key, value)
            .map_err(|e| self.write_failed(&self.inner.path, e))?;
        Ok(())
    }

    /// Several entries of one namespace in one atomic, durable write.
    pub fn meta_put_many(
        &self,
        namespace: &str,
        entries: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        check_namespace(namespace)?;
        if entries.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for (key, value) in entries {
            let key = keys::user_meta(namespace, key);
            let value = self.seal(&key, value.clone());
            batch.insert(key, value);
        }
        self.commit(batch)
    }

    pub fn meta_get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.halted()?;
        check_namespace(namespace)?;
        let key = keys::user_meta(namespace, key);
        self.inner
            .db
            .get(&key)?
            .map(|v| Ok(self.unseal(&key, &v)?.into_owned()))
            .transpose()
    }

    /// Every (key, value) of one namespace, in key byte order.
    pub fn meta_scan(&self, namespace: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.meta_scan_prefix(namespace, "")
    }

    /// The entries of one namespace whose key starts with `key_prefix`; cost
    /// follows what is returned, not the namespace's size.
    pub fn meta_scan_prefix(
        &self,
        namespace: &str,
        key_prefix: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.halted()?;
        check_namespace(namespace)?;
        let prefix = keys::user_meta_prefix(namespace);
        let mut wanted = prefix.clone();
        wanted.extend_from_slice(key_prefix.as_bytes());
        self.inner
            .db
            .scan_prefix(&wanted)
            .map(|item| {
                let (key, value) = item?;
                let name = std::str::from_utf8(&key[prefix.len()..])
                    .map_err(|_| StoreError::Corrupt(format!("记录 {namespace} 的键不是 UTF-8")))?;
                Ok((name.to_owned(), self.unseal(&key, &value)?.into_owned()))
            })
            .collect()
    }

    /// How many events are held, from a counter kept in each write batch.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        self.halted()?;
        match self.inner.db.get(keys::meta(keys::META_COUNT))? {
            None => Ok(0),
            Some(bytes) => keys::parse_u64("事件计数", &bytes),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The guard protects no data of its own (everything is in sled), so a panic elsewhere leaves nothing torn.
        self.inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// `flush` writes sled's buffers; the `fsync`s make the device keep them: sled itself only calls
    /// `sync_file_range` on its log and never syncs the blob files it writes for large pages. Blobs are
    /// synced first, so a durable log never points at a blob that is not.
    fn durable(&self) -> Result<(), StoreError> {
        let path = &self.inner.path;
        self.inner
            .db
            .flush()
            .map_err(|e| self.write_failed(path, e))?;
        let blobs = path.join("blobs");
        self.sync_blobs(&blobs)
            .map_err(|e| self.write_failed(&blobs, e.into()))?;
        self.inner
            .db_file
            .sync_all()
            .map_err(|e| self.write_failed(&path.join("db"), e.into()))
    }

    /// One atomic sled batch, made durable.
    fn commit(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.halted()?;
        self.inner
            .db
            .apply_batch(batch)
            .map_err(|e| self.write_failed(&self.inner.path, e))?;
        self.durable()
    }

    /// A write, flush or fsync failed (`file` is what was being written). What sled 0.34.7 does then: its
    /// background log writer gets the IO error (ENOSPC, EFBIG, EROFS, EIO...), records it as sled's "global
    /// error" and returns it from this and every later flush; nothing panics and nothing of the batch is
    /// on disk past the last complete log message, so the folder reopens intact (recovery drops a torn
    /// tail). But sled's in-memory tree keeps the batch that never reached the disk, and reads are served
    /// from there. So from now on this store refuses every call, reads included (`halted`), until the
    /// process restarts and sled recovers from what is on disk: a hub never acks, serves or forwards
    /// anything that is not durable. A running service must be restarted once the fault is fixed.
    fn write_failed(&self, file: &Path, e: sled::Error) -> StoreError {
        let (fault, detail) = match &e {
            // sled re-wraps the OS error as a custom one whose text is its `Debug`: say the kind instead.
            sled::Error::Io(io)
                if io.raw_os_error().is_none() && WriteFault::of(io) != WriteFault::Other =>
            {
                (WriteFault::of(io), io.kind().to_string())
            }
            sled::Error::Io(io) => (WriteFault::of(io), io.to_string()),
            other => (WriteFault::Other, other.to_string()),
        };
        let detail = if file == self.inner.path {
            detail
        } else {
            format!("{}:{detail}", file.display())
        };
        error!(path = %self.inner.path.display(), %fault, %detail, "数据目录写入失败,本进程不再读写该目录,需重启");
        let _ = self.inner.failed.set((fault, detail.clone()));
        StoreError::Unwritable {
            path: self.inner.path.clone(),
            fault,
            detail,
            halted: false,
        }
    }

    /// Refuses every call once a write has failed (see `write_failed`).
    fn halted(&self) -> Result<(), StoreError> {
        match self.inner.failed.get() {
            None => Ok(()),
            Some((fault, detail)) => Err(StoreError::Unwritable {
                path: self.inner.path.clone(),
                fault: *fault,
                detail: detail.clone(),
                halted: true,
            }),
        }
    }

    /// Syncs every blob file not synced before (sled writes a blob once and never changes it), then their
    /// folder. Costs one `readdir` when there is nothing new.
    fn sync_blobs(&self, dir: &Path) -> io::Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut synced = self
            .inner
            .synced_blobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut present = HashSet::with_capacity(synced.len());
        let mut new = 0usize;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if !synced.contains(&name) {
                match durable::open_for_sync(&entry.path()) {
                    Ok(file) => file.sync_all()?,
                    // Collected by sled since the listing.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                }
                new += 1;
            }
            present.insert(name);
        }
        if new > 0 {
            durable::sync_dir(dir)?;
            debug!(new, "已同步 sled 的大页文件");
        }
        *synced = present;
        Ok(())
    }

    /// The one write path of `apply` and `append_local`; the caller holds the writer lock.
    fn write_locked(
        &self,
        events: Vec<Event>,
        mode: ApplyMode,
        mut clock: HybridClock,
        adopt_until_ms: u64,
        bookkeeping: Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Result<Applied, StoreError> {
        let is_new = self.check(&events, mode)?;
        let fresh: Vec<&Event> = events
            .iter()
            .zip(&is_new)
            .filter(|(_, new)| **new)
            .map(|(e, _)| e)
            .collect();
        let duplicates = events.len() - fresh.len();

        let mut heads: BTreeMap<Origin, u64> = BTreeMap::new();
        for e in &events {
            if !heads.contains_key(&e.origin) {
                heads.insert(e.origin.clone(), self.head(&e.origin)?.map_or(0, |h| h.seq));
            }
        }
        if fresh.is_empty() {
            debug_assert!(
                bookkeeping.is_empty(),
                "bookkeeping rides only on new events"
            );
            debug!(duplicates, "整批均已持有,无需写入");
            return Ok(Applied {
                new: Vec::new(),
                duplicates,
                heads,
                touched_entities: Vec::new(),
            });
        }

        let mut batch = sled::Batch::default();
        let mut raised: BTreeMap<&Origin, &Event> = BTreeMap::new();
        for e in &fresh {
            let head = heads
                .get_mut(&e.origin)
                .expect("every origin of the batch has a head entry");
            if e.seq > *head {
                *head = e.seq;
                raised.insert(&e.origin, e);
            }
            let json = serde_json::to_vec(e).expect("events serialise to JSON");
            let key = keys::event(&e.origin, e.seq);
            let value = self.seal(&key, json);
            batch.insert(key, value);
            batch.insert(keys::id(e.id), keys::reference(&e.origin, e.seq));
            if e.hlc.wall_ms <= adopt_until_ms {
                clock.observe(e.hlc);
            }
        }
        for (origin, e) in &raised {
            batch.insert(keys::head(origin), keys::head_value(e.seq, &e.hash()));
        }
        let touched_entities = self.project(&mut batch, &fresh)?;
        let count = self.event_count()? + fresh.len() as u64;
        batch.insert(keys::meta(keys::META_COUNT), &count.to_be_bytes());
        batch.insert(
            keys::meta(keys::META_CLOCK),
            keys::clock_value(clock.last()),
        );
        for (key, value) in bookkeeping {
            batch.insert(key, value);
        }

        self.commit(batch)?;
        debug!(
            new = fresh.len(),
            duplicates,
            entities = touched_entities.len(),
            ?mode,
            "写入一批事件"
        );
        Ok(Applied {
            new: fresh.iter().map(|e| e.event_ref()).collect(),
            duplicates,
            heads,
            touched_entities,
        })
    }

    /// Decides, for each event, new (true) or duplicate (false), or rejects the whole batch.
    fn check(&self, events: &[Event], mode: ApplyMode) -> Result<Vec<bool>, StoreError> {
        if let Some(e) = events.iter().find(|e| e.seq == 0) {
            return Err(StoreError::Invalid(FieldError::new(
                "seq",
                format!("{} 的事件序号从 1 开始,收到 0", e.origin),
            )));
        }
        if mode == ApplyMode::Chain {
            self.check_chain_shape(events)?;
        }
        let hashes: Vec<Digest> = events.iter().map(Event::hash).collect();
        let mut by_ref: HashMap<(&Origin, u64), usize> = HashMap::with_capacity(events.len());
        let mut by_id: HashMap<Uuid, usize> = HashMap::with_capacity(events.len());
        let mut is_new = vec![false; events.len()];
        // Nothing above an origin's head is held: only events at or below it
        // need reading back (to tell a duplicate from an equivocation).
        let mut heads: HashMap<&Origin, u64> = HashMap::new();
        for (i, e) in events.iter().enumerate() {
            if let Some(&j) = by_ref.get(&(&e.origin, e.seq)) {
                if events[j] == *e {
                    continue;
                }
                return Err(equivocation(e, "同一批中同号事件内容不同"));
            }
            if by_id.contains_key(&e.id) {
                return Err(equivocation(e, "同一批中两个不同的事件使用了同一编号"));
            }
            by_ref.insert((&e.origin, e.seq), i);
            by_id.insert(e.id, i);
            let head = match heads.get(&e.origin) {
                Some(&seq) => seq,
                None => {
                    let seq = self.head(&e.origin)?.map_or(0, |h| h.seq);
                    heads.insert(&e.origin, seq);
                    seq
                }
            };
            let stored = if e.seq > head {
                None
            } else {
                self.get(&e.origin, e.seq)?
            };
            match stored {
                Some(stored) if stored == *e => {}
                Some(_) => return Err(equivocation(e, "与已保存的同号事件内容不同")),
                None => {
                    if self.inner.db.get(keys::id(e.id))?.is_some() {
                        return Err(equivocation(e, "事件编号已被另一个事件使用"));
                    }
                    is_new[i] = true;
                }
            }
        }

        // Hash links, wherever the neighbour is known (in the batch or held).
        let mut held: HashMap<&Origin, u64> = HashMap::new();
        for (i, e) in events.iter().enumerate().filter(|(i, _)| is_new[*i]) {
            let expected_prev = if e.seq == 1 {
                Some(Digest::GENESIS)
            } else if let Some(&j) = by_ref.get(&(&e.origin, e.seq - 1)) {
                Some(hashes[j])
            } else {
                self.get(&e.origin, e.seq - 1)?.map(|p| p.hash())
            };
            if expected_prev.is_some_and(|h| h != e.prev_hash) {
                return Err(broken(e, "前序摘要与上一个事件的摘要不符"));
            }
            // A held successor must point at this event (it fills a hole below the head).
            let head = match held.get(&e.origin) {
                Some(&seq) => seq,
                None => {
                    let seq = self.head(&e.origin)?.map_or(0, |h| h.seq);
                    held.insert(&e.origin, seq);
                    seq
                }
            };
            let successor_is_new = by_ref
                .get(&(&e.origin, e.seq + 1))
                .is_some_and(|&j| is_new[j]);
            if e.seq < head
                && !successor_is_new
                && let Some(next) = self.get(&e.origin, e.seq + 1)?
                && next.prev_hash != hashes[i]
            {
                return Err(broken(e, "已保存的下一个事件并不指向它"));
            }
        }
        Ok(is_new)
    }

    /// Chain mode: one origin, contiguous, starting no later than head+1.
    fn check_chain_shape(&self, events: &[Event]) -> Result<(), StoreError> {
        let Some(first) = events.first() else {
            return Ok(());
        };
        if let Some(other) = events.iter().find(|e| e.origin != first.origin) {
            warn!(expected = %first.origin, found = %other.origin, "推送批次混有多个来源,整批拒收");
            return Err(StoreError::MixedOrigins {
                expected: first.origin.clone(),
                found: other.origin.clone(),
            });
        }
        let head = self.head(&first.origin)?.map_or(0, |h| h.seq);
        let expected = head.saturating_add(1);
        if first.seq > expected {
            warn!(origin = %first.origin, expected, got = first.seq, "推送批次不连续,整批拒收");
            return Err(StoreError::Gap {
                origin: first.origin.clone(),
                expected,
                got: first.seq,
            });
        }
        for pair in events.windows(2) {
            let expected = pair[0].seq.saturating_add(1);
            if pair[1].seq != expected {
                warn!(origin = %first.origin, expected, got = pair[1].seq, "推送批次不连续,整批拒收");
                return Err(StoreError::Gap {
                    origin: first.origin.clone(),
                    expected,
                    got: pair[1].seq,
                });
            }
        }
        Ok(())
    }

    /// Refolds every entity that receives new events and rewrites its projection, entity index and scope index
    /// into `batch`. Returns the touched entities, ascending.
    fn project(&self, batch: &mut sled::Batch, fresh: &[&Event]) -> Result<Vec<Uuid>, StoreError> {
        let mut by_entity: BTreeMap<Uuid, Vec<&Event>> = BTreeMap::new();
        for e in fresh {
            by_entity.entry(e.entity).or_default().push(e);
        }
        for (&entity, new_events) in &by_entity {
            let held = self.entity_events(entity)?;
            let before = self.entity(entity)?;
            let all: Vec<&Event> = held.iter().chain(new_events.iter().copied()).collect();
            let after = fold(all.iter().copied());

            for e in new_events {
                batch.insert(keys::entity_event(entity, e.hlc, &e.origin, e.seq), &[]);
            }
            let audience_before = before.as_ref().map(audience).unwrap_or_default();
            let audience_after = after.as_ref().map(audience).unwrap_or_default();
            for code in &audience_after {
                // A code the entity already had: only the new events are missing from its index.
                let events: &[&Event] = if audience_before.contains(code) {
                    new_events
                } else {
                    &all
                };
                for e in events {
                    batch.insert(keys::scope_event(code, &e.origin, e.seq), &[]);
                }
            }
            for code in audience_before.difference(&audience_after) {
                debug!(%entity, %code, "实体的可见范围缩小,撤出索引");
                for e in &held {
                    batch.remove(keys::scope_event(code, &e.origin, e.seq));
                }
            }
            self.put_projection(batch, entity, before.as_ref(), after);
        }
        Ok(by_entity.into_keys().collect())
    }

    /// Writes into `batch` an entity's new projection (or its removal) with
    /// its kind index, terms and case card, replacing `before`'s.
    fn put_projection(
        &self,
        batch: &mut sled::Batch,
        entity: Uuid,
        before: Option<&Entity>,
        after: Option<Entity>,
    ) {
        if let Some(before) = before {
            batch.remove(keys::kind(before.state.kind(), entity));
        }
        self.reindex(batch, entity, before, after.as_ref());
        match after {
            Some(projection) => {
                batch.insert(keys::kind(projection.state.kind(), entity), &[]);
                let json = serde_json::to_vec(&projection).expect("entities serialise to JSON");
                let key = keys::entity(entity);
                let value = self.seal(&key, json);
                batch.insert(key, value);
            }
            None => batch.remove(keys::entity(entity)),
        }
    }
}

impl Store {
    /// Writes into `batch` the index terms and case card of an entity that goes from `before` to `after`:
    /// terms only the old state had are removed, terms only the new one has are added.
    fn reindex(
        &self,
        batch: &mut sled::Batch,
        entity: Uuid,
        before: Option<&Entity>,
        after: Option<&Entity>,
    ) {
        let old = before.map(|e| index::terms(&e.state)).unwrap_or_default();
        let new = after.map(|e| index::terms(&e.state)).unwrap_or_default();
        for gone in old.difference(&new) {
            batch.remove(keys::term(gone, entity));
        }
        for added in new.difference(&old) {
            batch.insert(keys::term(added, entity), &[]);
        }
        let key = keys::case_card(entity);
        match after.and_then(CaseCard::of) {
            Some(card) => {
                let json = serde_json::to_vec(&card).expect("cards serialise to JSON");
                let value = self.seal(&key, json);
                batch.insert(key, value);
            }
            None => batch.remove(key),
        }
    }

    /// A store whose index terms and case cards were built under another
    /// [`index::INDEX_VERSION`] (or none: a store made before them) gets them
    /// rebuilt once from its projections, and the version marked.
    fn index_terms(&self) -> Result<(), StoreError> {
        let db = &self.inner.db;
        let current = index::INDEX_VERSION.to_string();
        if db
            .get(keys::meta(keys::META_TERMS))?
            .is_some_and(|v| v.as_ref() == current.as_bytes())
        {
            return Ok(());
        }
        // Batches of bounded size: a county's five years are over a million records.
        const CHUNK: usize = 20_000;
        let mut batch = sled::Batch::default();
        let mut in_batch = 0usize;
        for prefix in [keys::TERM, keys::CASE_CARD] {
            for item in db.scan_prefix([prefix]) {
                let (key, _) = item?;
                batch.remove(key);
                in_batch += 1;
                if in_batch == CHUNK {
                    self.commit(std::mem::take(&mut batch))?;
                    in_batch = 0;
                }
            }
        }
        self.commit(std::mem::take(&mut batch))?;
        in_batch = 0;
        let mut indexed = 0u64;
        for item in db.scan_prefix([keys::ENTITY]) {
            let (key, bytes) = item?;
            let entity = self.decode_entity(&key, &bytes)?;
            self.reindex(&mut batch, entity.id, None, Some(&entity));
            indexed += 1;
            in_batch += 1;
            if in_batch == CHUNK {
                self.commit(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
        batch.insert(keys::meta(keys::META_TERMS), current.as_bytes());
        self.commit(batch)?;
        if indexed > 0 {
            info!(path = %self.inner.path.display(), indexed, "已为现有记录建立查询索引");
        }
        Ok(())
    }

    /// The entities with a term of index `name` in `range`, each once, in
    /// the index's order (by value, then id). Reads only the keys in the
    /// range and the projections they name.
    pub fn entities_where(
        &self,
        name: IndexName,
        range: &TermRange,
    ) -> Result<Vec<Entity>, StoreError> {
        self.ids_where(name, range)?
            .into_iter()
            .map(|id| {
                self.entity(id)?
                    .ok_or_else(|| StoreError::Corrupt(format!("查询索引指向不存在的实体 {id}")))
            })
            .collect()
    }

    /// The ids of [`Store::entities_where`], from the keys alone.
    pub fn ids_where(&self, name: IndexName, range: &TermRange) -> Result<Vec<Uuid>, StoreError> {
        self.halted()?;
        let (start, end) = keys::term_range(name, range);
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        for item in self.inner.db.range(start..end) {
            let (key, _) = item?;
            let id = keys::term_entity(&key)?;
            if seen.insert(id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// A case's card, as the case lists show it.
    pub fn case_card(&self, id: Uuid) -> Result<Option<CaseCard>, StoreError> {
        self.halted()?;
        let key = keys::case_card(id);
        self.inner
            .db
            .get(&key)?
            .map(|bytes| self.decode_card(&key, &bytes))
            .transpose()
    }

    /// The cards of the cases with a term of `name` in `range`.
    pub fn case_cards_where(
        &self,
        name: IndexName,
        range: &TermRange,
    ) -> Result<Vec<CaseCard>, StoreError> {
        self.ids_where(name, range)?
            .into_iter()
            .map(|id| {
                self.case_card(id)?
                    .ok_or_else(|| StoreError::Corrupt(format!("查询索引指向不存在的案件 {id}")))
            })
            .collect()
    }

    /// Every case's card, in id order: a case search reads these, never the
    /// whole case files.
    pub fn case_cards(&self) -> Result<Vec<CaseCard>, StoreError> {
        self.halted()?;
        self.inner
            .db
            .scan_prefix([keys::CASE_CARD])
            .map(|item| {
                let (key, bytes) = item?;
                self.decode_card(&key, &bytes)
            })
            .collect()
    }

    /// The ids of every entity of one kind, from the kind index's keys alone.
    pub fn ids_of(&self, kind: sanji_domain::fold::EntityKind) -> Result<Vec<Uuid>, StoreError> {
        self.halted()?;
        self.inner
            .db
            .scan_prefix(keys::kind_prefix(kind))
            .map(|item| {
                let (index, _) = item?;
                Uuid::from_slice(&index[2..])
                    .map_err(|e| StoreError::Corrupt(format!("类别索引 {index:?} 无法解析:{e}")))
            })
            .collect()
    }

    fn decode_card(&self, key: &[u8], stored: &[u8]) -> Result<CaseCard, StoreError> {
        let bytes = self.unseal(key, stored)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("案件卡片 {key:?} 无法解析:{e}")))
    }
}

fn equivocation(e: &Event, why: &str) -> StoreError {
    warn!(origin = %e.origin, seq = e.seq, id = %e.id, "同号异文:{why},整批拒收");
    StoreError::Equivocation {
        origin: e.origin.clone(),
        seq: e.seq,
    }
}

fn broken(e: &Event, why: &str) -> StoreError {
    warn!(origin = %e.origin, seq = e.seq, id = %e.id, "哈希链断裂:{why},整批拒收");
    StoreError::BrokenChain {
        origin: e.origin.clone(),
        seq: e.seq,
    }
}

/// A failed file-system call while opening: a write fault (read-only, full, no permission) says so, any
/// other stays an IO error.
fn unwritable_or(path: &Path, e: io::Error) -> StoreError {
    match WriteFault::of(&e) {
        WriteFault::Other => StoreError::Io {
            path: path.to_owned(),
            source: e,
        },
        fault => StoreError::Unwritable {
            path: path.to_owned(),
            fault,
            detail: e.to_string(),
            halted: false,
        },
    }
}

/// How long [`Store::open`] waits for another handle to let go of the folder.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The folder's bare sled tree, for tools and tests that look beneath the
/// store (an index rebuilt, keys as they are on disk). Waits as
/// [`Store::open`] does: a store just dropped lets go of the folder a moment
/// later, on sled's own threads.
pub fn open_raw(path: &Path) -> Result<sled::Db, StoreError> {
    // Without sled's background flusher, whose thread would hold the lock
    // for a moment after this handle, too, is dropped.
    let config = sled::Config::new().path(path).flush_every_ms(None);
    open_when_unlocked(path, &config, LOCK_WAIT)
}

/// Opens sled, waiting up to `wait` while the folder's file lock is held:
/// sled's threads let go of it a moment after the last handle is dropped, and
/// another process may be using the folder for a while (a sync). sled reports
/// a held lock only as text inside `ErrorKind::Other`, so after a failed open
/// the lock itself is asked whether it is held.
fn open_when_unlocked(
    path: &Path,
    config: &sled::Config,
    wait: std::time::Duration,
) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(2);
    let mut retried = false;
    loop {
        let failure = match config.open() {
            Ok(db) => return Ok(db),
            Err(e) => e,
        };
        if !lock_held(path)? {
            // The holder may have let go between sled's try and ours (or our
            // probe was what another opener met): one more try tells.
            if !retried {
                retried = true;
                continue;
            }
            return Err(match failure {
                // sled opens `db` read-write and, on open, zero-fills the rest of the log's last
                // segment: a read-only or full folder fails here, before anything is read.
                sled::Error::Io(e) => unwritable_or(path, e),
                source => StoreError::Open {
                    path: path.to_owned(),
                    source: EngineError(source),
                },
            });
        }
        retried = false;
        let waited = started.elapsed();
        if waited >= wait {
            return Err(StoreError::InUse {
                path: path.to_owned(),
                waited_secs: waited.as_secs(),
            });
        }
        debug!(error = %failure, "数据目录正被占用,等待");
        // Polling, because the holder may be another process: nothing in
        // this one can tell us when it lets go.
        std::thread::sleep(pause.min(wait - waited));
        pause = (pause * 2).min(std::time::Duration::from_millis(100));
    }
}

/// Whether some handle holds the exclusive lock sled takes on the folder's
/// `db` file (a folder without one is not held by anyone yet).
fn lock_held(path: &Path) -> Result<bool, StoreError> {
    let db = path.join("db");
    let file = match File::open(&db) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(unwritable_or(path, e)),
    };
    match fs2::FileExt::try_lock_exclusive(&file) {
        // Closing `file` releases the probe's own lock at once.
        Ok(()) => Ok(false),
        Err(e) if durable::lock_contended(&e) => Ok(true),
        Err(e) => Err(unwritable_or(path, e)),
    }
}

fn check_namespace(namespace: &str) -> Result<(), StoreError> {
    if namespace.contains('\0') {
        return Err(StoreError::Invalid(FieldError::new(
            "namespace",
            "不能含 NUL 字符",
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sled writes pages larger than a quarter segment to `<path>/blobs` without syncing them; every
    /// durable write must have synced all of them.
    #[test]
    fn large_pages_in_blob_files_are_synced_too() {
        use sanji_domain::record::{Category, Party, RiskLevel, Screening};
        let dir = tempfile::tempdir().unwrap();
        let node = Code::parse("360123100201").unwrap();
        let store = Store::open(dir.path(), &node, StoreOptions::default()).unwrap();
        let long = "纠纷".repeat(1000);
        let draft = || Draft {
            author: "李明".into(),
            entity: Uuid::now_v7(),
            body: EventBody::ScreeningRecorded(Screening {
                village: node.clone(),
                screened_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
                screener: "李明".into(),
                category: Category::Land,
                parties: vec![Party {
                    name: "王五".into(),
                    contact: None,
                }],
                people_involved: 2,
                risk: RiskLevel::General,
                may_escalate: false,
                mass_incident_risk: false,
                description: long.clone(),
                measures: long.clone(),
                line: None,
            }),
        };
        for _ in 0..10 {
            store
                .append_local(
                    &Origin::node(node.clone()),
                    1_795_650_000_000,
                    (0..40).map(|_| draft()).collect(),
                )
                .unwrap();
        }
        let on_disk: HashSet<OsString> = std::fs::read_dir(dir.path().join("blobs"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            !on_disk.is_empty(),
            "large events should have produced blob files"
        );
        let synced = store.inner.synced_blobs.lock().unwrap().clone();
        assert!(
            on_disk.is_subset(&synced),
            "unsynced blobs: {:?}",
            on_disk.difference(&synced).collect::<Vec<_>>()
        );
        assert_eq!(store.event_count().unwrap(), 400);
    }

    /// What `write_failed` leaves behind: every later call, reads included, is refused with the first
    /// fault until the folder is opened again. (The fault itself is injected for real in
    /// `crates/cli/tests/disk.rs`.)
    #[test]
    fn after_a_failed_write_every_call_is_refused_until_the_folder_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let node = Code::parse("360123100201").unwrap();
        let store = Store::open(dir.path(), &node, StoreOptions::default()).unwrap();
        let full = io::Error::from(io::ErrorKind::StorageFull);
        let first = store.write_failed(dir.path(), full.into());
        assert!(
            matches!(
                &first,
                StoreError::Unwritable {
                    fault: WriteFault::Full,
                    halted: false,
                    ..
                }
            ),
            "{first:?}"
        );
        let origin = Origin::node(node.clone());
        for refused in [
            store.head(&origin).map(drop),
            store.events_after(&origin, 0, 10).map(drop),
            store.meta_put("x", "y", b"z"),
            store.clock().map(drop),
            store.event_count().map(drop),
        ] {
            let err = refused.err();
            assert!(
                matches!(
                    &err,
                    Some(StoreError::Unwritable {
                        fault: WriteFault::Full,
                        halted: true,
                        ..
                    })
                ),
                "{err:?}"
            );
        }
        let message = store.head(&origin).unwrap_err().to_string();
        assert!(
            message.contains("磁盘已满") && message.contains("停止使用"),
            "{message}"
        );
        drop(store);
        let store = Store::open(dir.path(), &node, StoreOptions::default()).unwrap();
        assert_eq!(store.event_count().unwrap(), 0);
    }

    #[test]
    fn write_faults_are_told_apart() {
        use io::ErrorKind::*;
        for (kind, fault) in [
            (StorageFull, WriteFault::Full),
            (FileTooLarge, WriteFault::Full),
            (QuotaExceeded, WriteFault::Full),
            (ReadOnlyFilesystem, WriteFault::ReadOnly),
            (PermissionDenied, WriteFault::Permission),
            (Other, WriteFault::Other),
        ] {
            assert_eq!(WriteFault::of(&io::Error::from(kind)), fault, "{kind:?}");
        }
        for (errno, fault) in [
            (28, WriteFault::Full),
            (27, WriteFault::Full),
            (30, WriteFault::ReadOnly),
            (13, WriteFault::Permission),
            (5, WriteFault::Other),
        ] {
            assert_eq!(
                WriteFault::of(&io::Error::from_raw_os_error(errno)),
                fault,
                "errno {errno}"
            );
        }
    }

    #[test]
    fn a_folder_of_another_format_version_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let node = Code::parse("360123100201").unwrap();
        let store = Store::open(dir.path(), &node, StoreOptions::default()).unwrap();
        store
            .inner
            .db
            .insert(keys::meta(keys::META_FORMAT), b"99")
            .unwrap();
        store.durable().unwrap();
        drop(store);

        let err = Store::open(dir.path(), &node, StoreOptions::default()).unwrap_err();
        assert!(
            matches!(&err, StoreError::UnknownFormat { found, supported: 1, path } if found == "99" && path == dir.path()),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.starts_with("数据目录 "), "{message}");
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
        assert!(
            message.contains("格式版本为 99") && message.contains("只支持版本 1"),
            "{message}"
        );
    }
}
