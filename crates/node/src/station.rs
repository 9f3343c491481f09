//! A village station's work: record screenings, visits and cases into the
//! local ledger (offline), show them, and sync with the township hub.

use std::time::Duration;

use sanji_domain::record::{CaseRegistration, Screening, Visit, ZeroReport};
use sanji_domain::{Code, Event, EventBody, Origin};
use sanji_pki::CertFiles;
use sanji_store::{Draft, Store};
use sanji_sync::{Backoff, Clock, SyncError, SyncReport, Upstream};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::NodeError;
use crate::config::{NodeConfig, Role};

const SYNC_META: &str = "sync";

/// The outcome of the last sync attempt, kept so `status` tells the truth
/// about sync health even when the hub is far away.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSync {
    pub attempted_ms: u64,
    pub succeeded_ms: Option<u64>,
    /// The hub's durable mark for our ledger, as of the last success.
    pub acked: u64,
    pub error: Option<String>,
    /// The attempt was stopped by the person running it, not by a fault.
    #[serde(default)]
    pub interrupted: bool,
    /// What the last round that succeeded brought from the hub, in words
    /// ([`sanji_domain::arrived::describe`]); empty when it brought nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrived: Vec<String>,
    /// The latest news from the hub, newest first, whichever round brought
    /// it (the background's or the clerk's): at most [`RECENT_KEPT`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<Arrival>,
}

/// How many lines of news a station keeps to show.
pub const RECENT_KEPT: usize = 30;

/// A line of news from the hub and when it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    pub at_ms: u64,
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationStatus {
    pub code: Code,
    pub parent: Code,
    pub parent_addr: String,
    pub events_recorded: u64,
    pub acked_by_hub: u64,
    /// Local events the hub has not confirmed yet.
    pub pending: u64,
    pub screenings: usize,
    pub visits: usize,
    pub cases: usize,
    pub received_from_hub: u64,
    pub last_sync: Option<LastSync>,
}

/// What an export holds: the station's own records, people's names among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSummary {
    pub events: u64,
    pub screenings: u64,
    pub visits: u64,
    pub cases: u64,
    pub sealed: bool,
}

pub struct Station {
    config: NodeConfig,
    store: Store,
    clock: Clock,
}

impl Station {
    pub fn open(config: NodeConfig) -> Result<Station, NodeError> {
        Station::open_waiting(config, sanji_store::LOCK_WAIT)
    }

    /// [`Station::open`], waiting up to `lock_wait` for another process using
    /// the data folder (a sync) to finish; past that, `StoreError::InUse`.
    pub fn open_waiting(config: NodeConfig, lock_wait: Duration) -> Result<Station, NodeError> {
        Station::open_unlocking(config, None, lock_wait)
    }

    /// [`Station::open_waiting`] with the key material brought by the caller
    /// (a passphrase typed to the running service) instead of the one the
    /// configuration names (`None`: the configuration's).
    pub fn open_unlocking(
        config: NodeConfig,
        unlock: Option<sanji_store::Unlock>,
        lock_wait: Duration,
    ) -> Result<Station, NodeError> {
        if config.role != Role::Station {
            return Err(NodeError::Config(format!(
                "配置的角色是 {},不是村工作站",
                config.role.label()
            )));
        }
        config.check()?;
        // The key first: a node-key station missing it is told about the key.
        let options = match unlock {
            Some(unlock) => sanji_store::StoreOptions {
                cache_bytes: config.cache_mb << 20,
                unlock,
            },
            None => config.store_options()?,
        };
        check_certificate(&config)?;
        let store = Store::open_waiting(&config.data_dir, &config.code, options, lock_wait)?;
        let clock = Clock::skewed(config.clock_offset_ms);
        Ok(Station {
            config,
            store,
            clock,
        })
    }

    /// Opens a station sealed with a passphrase, with the passphrase typed
    /// (the running service being unlocked); a wrong one is refused.
    pub fn open_with_passphrase(
        config: NodeConfig,
        passphrase: &str,
    ) -> Result<Station, NodeError> {
        let unlock = sanji_store::Unlock::passphrase(passphrase);
        Station::open_unlocking(config, Some(unlock), sanji_store::LOCK_WAIT)
    }

    /// Moves an encrypted data folder from the key material it was made with
    /// (`old`) to what `config` now names: after a certificate is renewed with
    /// a new key, or to change the passphrase. The records are not rewritten.
    pub fn rekey(config: &NodeConfig, old: sanji_store::Unlock) -> Result<(), NodeError> {
        check_certificate(config)?;
        let new = config.unlock()?;
        let store = Store::open(
            &config.data_dir,
            &config.code,
            sanji_store::StoreOptions {
                cache_bytes: config.cache_mb << 20,
                unlock: old,
            },
        )?;
        store.rekey(&new)?;
        Ok(())
    }

    /// Points this station at another hub address (a laptop that moved
    /// networks); the configuration file is not changed.
    pub fn set_parent_addr(&mut self, addr: &str) {
        self.config.parent_addr = Some(addr.to_owned());
    }

    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn code(&self) -> &Code {
        &self.config.code
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Today in China Standard Time, by this station's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        sanji_domain::time::cst_date(self.clock.now_ms())
    }

    fn ledger(&self) -> Origin {
        Origin::node(self.config.code.clone())
    }

    fn author(&self, by: Option<&str>) -> Result<String, NodeError> {
        by.map(str::to_owned)
            .or_else(|| self.config.default_author.clone())
            .ok_or_else(|| {
                NodeError::Invalid(sanji_domain::FieldError::new(
                    "author",
                    "须写明经办人姓名(或在本站配置中设置 default_author)",
                ))
            })
    }

    fn record(&self, by: Option<&str>, entity: Uuid, body: EventBody) -> Result<Event, NodeError> {
        let draft = Draft {
            author: self.author(by)?,
            entity,
            body,
        };
        let mut events =
            self.store
                .append_local(&self.ledger(), self.clock.now_ms(), vec![draft])?;
        Ok(events.remove(0))
    }

    /// Records a screening; its village is this station, whatever was filled in.
    pub fn record_screening(
        &self,
        by: Option<&str>,
        mut screening: Screening,
    ) -> Result<Event, NodeError> {
        screening.village = self.config.code.clone();
        screening.validate(self.today())?;
        self.record(by, Uuid::now_v7(), EventBody::ScreeningRecorded(screening))
    }

    /// Records that this week's screening round found nothing (零报告).
    /// Refused where the week already holds this village's screenings (it
    /// was not a quiet week) or a zero report (it is already said).
    pub fn record_zero_report(
        &self,
        by: Option<&str>,
        mut report: ZeroReport,
    ) -> Result<Event, NodeError> {
        use sanji_domain::index::{IndexName, TermRange};
        report.village = self.config.code.clone();
        report.validate(self.today())?;
        let (monday, sunday) = sanji_domain::reporting::week_of(report.round_on);
        let week = TermRange::days(monday, sunday);
        let days = format!("{monday} 至 {sunday}");
        let screenings = self.store.ids_where(IndexName::ScreeningDay, &week)?.len();
        if screenings > 0 {
            return Err(NodeError::Invalid(sanji_domain::FieldError::new(
                "round_on",
                format!(
                    "本周({days})本村已登记 {screenings} 条排查,不是零报告;没有新情况就不用再报"
                ),
            )));
        }
        if let Some(earlier) = crate::reports::zero_reports_between(&self.store, monday, sunday)?
            .into_iter()
            .find(|z| z.village == report.village)
        {
            return Err(NodeError::Invalid(sanji_domain::FieldError::new(
                "round_on",
                format!(
                    "本周({days})已于 {} 报过零报告,不用重复报",
                    earlier.round_on
                ),
            )));
        }
        self.record(by, Uuid::now_v7(), EventBody::ZeroReported(report))
    }

    pub fn record_visit(&self, by: Option<&str>, mut visit: Visit) -> Result<Event, NodeError> {
        visit.received_at = self.config.code.clone();
        visit.validate(self.today())?;
        self.record(by, Uuid::now_v7(), EventBody::VisitRecorded(visit))
    }

    pub fn register_case(
        &self,
        by: Option<&str>,
        case: CaseRegistration,
    ) -> Result<Event, NodeError> {
        case.validate(self.today())?;
        self.record(by, Uuid::now_v7(), EventBody::CaseRegistered(case))
    }

    /// Several records at once, atomically: all stored or none.
    pub fn record_many(
        &self,
        by: Option<&str>,
        bodies: Vec<EventBody>,
    ) -> Result<Vec<Event>, NodeError> {
        let author = self.author(by)?;
        let drafts = bodies
            .into_iter()
            .map(|body| Draft {
                author: author.clone(),
                entity: Uuid::now_v7(),
                body,
            })
            .collect();
        Ok(self
            .store
            .append_local(&self.ledger(), self.clock.now_ms(), drafts)?)
    }

    /// Takes a step on a case assigned to this village (progress, result,
    /// feedback, follow-up), offline; it reaches the hub on the next sync.
    pub fn case_step(
        &self,
        by: Option<&str>,
        case: &str,
        command: crate::ops::CaseCommand,
    ) -> Result<Event, NodeError> {
        let actor = crate::ops::Actor {
            name: self.author(by)?,
            role: sanji_domain::case::ActorRole::VillageStaff,
            code: self.config.code.clone(),
        };
        crate::ops::case_step(
            &self.store,
            &self.ledger(),
            &actor,
            case,
            command,
            &self.config.policy,
            self.clock.now_ms(),
        )
    }

    pub fn upstream(&self) -> Result<Upstream, NodeError> {
        let certs = CertFiles::load(&self.config.certs_dir, &self.config.cert_name())?;
        let parent = self
            .config
            .parent()
            .ok_or_else(|| NodeError::Config("村代码没有上级".into()))?;
        let addr = self
            .config
            .parent_addr
            .clone()
            .ok_or_else(|| NodeError::Config("未配置 parent_addr".into()))?;
        Ok(Upstream {
            addr,
            parent,
            certs,
            clock: self.clock,
        })
    }

    /// One sync round (push, then pull), retrying transient failures.
    /// The outcome is recorded either way, for `status`.
    pub async fn sync(&self, attempts: u32) -> Result<SyncReport, NodeError> {
        self.sync_unless(attempts, std::future::pending()).await
    }

    /// [`Station::sync`], stopped where it is when `interrupt` resolves (the
    /// clerk pressing Ctrl-C): what the hub acked stays acked, the rest stays
    /// here for the next sync, and the attempt is recorded as interrupted.
    pub async fn sync_unless(
        &self,
        attempts: u32,
        interrupt: impl std::future::Future<Output = ()>,
    ) -> Result<SyncReport, NodeError> {
        let upstream = self.upstream()?;
        let backoff = Backoff {
            initial: Duration::from_millis(300),
            max: Duration::from_secs(5),
        };
        let started = self.clock.now_ms();
        let ledger = self.ledger();
        let before = self.store.version_vector()?;
        let round = sanji_sync::sync_with_retry(
            &upstream,
            &self.store,
            &ledger,
            &self.config.code,
            backoff,
            attempts,
        );
        let (result, interrupted) = tokio::select! {
            result = round => (result, false),
            () = interrupt => {
                let status = self.status()?;
                let stopped = SyncError::Stopped {
                    acked: status.acked_by_hub,
                    local: status.events_recorded,
                };
                (Err(stopped), true)
            }
        };
        let mut last = self.last_sync()?.unwrap_or_default();
        last.attempted_ms = started;
        last.interrupted = interrupted;
        match &result {
            Ok(report) => {
                last.succeeded_ms = Some(self.clock.now_ms());
                last.acked = report.push.acked;
                last.error = None;
                last.arrived = self.arrived_since(&before)?;
                let now = self.clock.now_ms();
                let mut recent: Vec<Arrival> = last
                    .arrived
                    .iter()
                    .rev()
                    .map(|line| Arrival {
                        at_ms: now,
                        line: line.clone(),
                    })
                    .collect();
                recent.append(&mut last.recent);
                recent.truncate(RECENT_KEPT);
                last.recent = recent;
            }
            Err(e) => last.error = Some(e.to_string()),
        }
        let bytes = serde_json::to_vec(&last).expect("sync record serialises");
        // A round that failed says why, even when its outcome cannot be noted.
        match (self.store.meta_put(SYNC_META, "last", &bytes), result) {
            (Err(e), Ok(_)) => Err(e.into()),
            (Err(e), Err(failed)) => {
                tracing::warn!(error = %e, "could not note the failed sync");
                Err(failed.into())
            }
            (Ok(()), result) => result.map_err(NodeError::from),
        }
    }

    /// Writes every event of this station's own ledger to `out`, one JSON
    /// object a line, in order: what a revoked or replaced laptop hands over.
    /// The file holds parties' names, so it is readable by its owner only
    /// (mode 0600), never replaces an existing file, and with `seal` is
    /// encrypted under that passphrase ([`sanji_store::seal_export`]).
    /// Written to a temporary file first, so a failed export leaves nothing half-written.
    pub fn export(
        &self,
        out: &std::path::Path,
        seal: Option<&str>,
    ) -> Result<ExportSummary, NodeError> {
        if out.exists() {
            return Err(already_there(out));
        }
        let mut lines = Vec::new();
        let mut summary = ExportSummary {
            events: 0,
            screenings: 0,
            visits: 0,
            cases: 0,
            sealed: seal.is_some(),
        };
        let mut after = 0;
        loop {
            let events = self.store.events_after(&self.ledger(), after, 1000)?;
            let Some(last) = events.last() else { break };
            after = last.seq;
            for event in &events {
                serde_json::to_writer(&mut lines, event)
                    .map_err(|e| NodeError::Serve(e.to_string()))?;
                lines.push(b'\n');
                summary.events += 1;
                match event.body {
                    EventBody::ScreeningRecorded(_) => summary.screenings += 1,
                    EventBody::VisitRecorded(_) => summary.visits += 1,
                    EventBody::CaseRegistered(_) => summary.cases += 1,
                    _ => {}
                }
            }
        }
        let bytes = match seal {
            None => lines,
            Some(passphrase) => sanji_store::seal_export(passphrase, &lines)
                .map_err(|e| NodeError::Config(format!("无法加密导出文件:{e}")))?,
        };
        write_new_private(out, &bytes)?;
        Ok(summary)
    }

    /// What the hub's events stored since `before` tell, in words.
    fn arrived_since(
        &self,
        before: &sanji_domain::VersionVector,
    ) -> Result<Vec<String>, NodeError> {
        let own = self.ledger();
        let mut events = Vec::new();
        for (origin, head) in self.store.version_vector()? {
            if origin == own {
                continue;
            }
            let from = before.get(&origin).copied().unwrap_or(0);
            if head > from {
                events.extend(
                    self.store
                        .events_after(&origin, from, (head - from) as usize)?,
                );
            }
        }
        events.sort_by_key(|e| e.hlc);
        let label = |event: &Event| match self.store.entity(event.entity) {
            Ok(Some(sanji_domain::Entity {
                state: sanji_domain::EntityState::Case(file),
                ..
            })) => file.case_number.clone().unwrap_or_else(|| {
                let who = file
                    .registration
                    .parties
                    .first()
                    .map_or("", |p| p.name.as_str());
                format!("({who},{} 登记)", file.registration.registered_on)
            }),
            _ => String::from("(本村的案件)"),
        };
        let mut lines = sanji_domain::arrived::describe(&events, &self.config.code, label);
        // A record the round touched that now holds a step which did not
        // take effect: the clerk hears of it here, not only in the file.
        let mut touched: Vec<&Event> = Vec::new();
        for event in &events {
            if !touched.iter().any(|t| t.entity == event.entity) {
                touched.push(event);
            }
        }
        for event in touched {
            if let Some(entity) = self.store.entity(event.entity)?
                && !entity.conflicts.is_empty()
            {
                let record = match &entity.state {
                    sanji_domain::EntityState::Case(_) => format!("案件 {}", label(event)),
                    _ => "本村的一条记录".to_owned(),
                };
                lines.extend(sanji_domain::arrived::conflict_lines(
                    &record,
                    &entity.conflicts,
                ));
            }
        }
        Ok(lines)
    }

    pub fn last_sync(&self) -> Result<Option<LastSync>, NodeError> {
        Ok(self
            .store
            .meta_get(SYNC_META, "last")?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    pub fn status(&self) -> Result<StationStatus, NodeError> {
        let vv = self.store.version_vector()?;
        let recorded = vv.get(&self.ledger()).copied().unwrap_or(0);
        let last = self.last_sync()?;
        // What the hub said it holds, even if the round it said so in failed later.
        let acked = match sanji_sync::parent_acked(&self.store, &self.ledger())? {
            Some(acked) => acked,
            None => last.as_ref().map_or(0, |l| l.acked),
        };
        let entities = self.store.entities()?;
        let count = |f: fn(&sanji_domain::EntityState) -> bool| {
            entities.iter().filter(|e| f(&e.state)).count()
        };
        Ok(StationStatus {
            code: self.config.code.clone(),
            parent: self.config.parent().expect("a village has a township"),
            parent_addr: self.config.parent_addr.clone().unwrap_or_default(),
            events_recorded: recorded,
            acked_by_hub: acked,
            pending: recorded.saturating_sub(acked),
            screenings: count(|s| matches!(s, sanji_domain::EntityState::Screening(_))),
            visits: count(|s| matches!(s, sanji_domain::EntityState::Visit(_))),
            cases: count(|s| matches!(s, sanji_domain::EntityState::Case(_))),
            received_from_hub: self.store.event_count()?.saturating_sub(recorded),
            last_sync: last,
        })
    }
}

fn already_there(path: &std::path::Path) -> NodeError {
    NodeError::Config(format!(
        "{} 已存在,不覆盖:请换一个文件名,或先移走它",
        path.display()
    ))
}

/// Writes `bytes` as a new file at `path` that only its owner may read (it
/// holds people's names), never replacing one there, and whole or not at
/// all: a temporary file first, synced, then linked into place.
pub fn write_new_private(path: &std::path::Path, bytes: &[u8]) -> Result<(), NodeError> {
    use std::io::Write;
    let temp = path.with_extension("partial");
    // A leftover of an earlier failed write is ours to replace.
    let _ = std::fs::remove_file(&temp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temp).map_err(|e| NodeError::io(&temp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| NodeError::io(&temp, e))?;
    drop(file);
    // A hard link never replaces what is there; a file system without
    // links (a FAT USB stick) gets a rename after a check.
    let placed = match std::fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(already_there(path)),
        Err(_) if path.exists() => Err(already_there(path)),
        Err(_) => std::fs::rename(&temp, path).map_err(|e| NodeError::io(path, e)),
    };
    let _ = std::fs::remove_file(&temp);
    placed
}

/// The station's certificate must speak for the station configured: a
/// folder holding another village's certificate would record for days and
/// fail only at the first sync, under the other village's name.
fn check_certificate(config: &NodeConfig) -> Result<(), NodeError> {
    let certs = CertFiles::load(&config.certs_dir, &config.cert_name())?;
    let path = config.certs_dir.join(format!("{}.pem", config.cert_name()));
    match certs.identity()? {
        sanji_pki::Identity::Node(code) if code == config.code => Ok(()),
        other => Err(NodeError::Config(format!(
            "证书 {} 属于 {},不是本站 {} 的:请换上本站 {} 的证书,或核对配置中的村代码(code)",
            path.display(),
            other.display_name(),
            config.code,
            config.code
        ))),
    }
}
