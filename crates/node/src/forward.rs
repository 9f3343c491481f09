//! The hub's duty to the county (及时向上级报告): for every village ledger it
//! holds, derive the county's view into the hub's outbox — a complete daily
//! summary per village and day, and every severe screening in full — then
//! push the outbox upward on the same protocol as everything else.
//!
//! Derivation is driven by a durable cursor per ledger, moved in the same
//! atomic batch as the outbox events derived from what it passed, so a crash
//! at any point repeats work rather than losing or doubling it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::event::{CaseReport, SignOff};
use sanji_domain::fold::{EntityState, Provenance};
use sanji_domain::record::Screening;
use sanji_domain::report::{Month, MonthlyReport};
use sanji_domain::time::cst_date;
use sanji_domain::{Code, DailySummary, EventBody, Origin, SevereScreeningReport};
use sanji_store::{Draft, MetaPut, Store};
use sanji_sync::{Backoff, Clock, Link, Upstream};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tracing::{info, warn};
use uuid::Uuid;

use crate::{NodeError, reports};

const CURSOR: &str = "forward-cursor";
const BY_DAY: &str = "forward-by-day";
const REVISION: &str = "forward-revision";
pub const UPSTREAM: &str = "upstream";
const SCAN: usize = 1000;

/// Derives outbox events for everything new in the ledgers this hub holds
/// (its villages', its own, the county's hand-downs). Returns how many
/// outbox events were written.
/// With `monthly` false (a pass woken by a station's push) the monthly
/// report, which reads every case file, is only marked stale; a `monthly`
/// pass (the periodic one, or an explicit [`Forwarder::once`]) refiles it.
///
/// Every mark that says "this is in the outbox" (the per-ledger cursor, a
/// summary's revision, a case's reported copy, the month's filed report) is
/// written in the same atomic batch as the outbox events it speaks for: a
/// crash keeps both or neither, so nothing is marked sent that was not.
pub fn derive(
    store: &Store,
    policy: &DeadlinePolicy,
    now_ms: u64,
    monthly: bool,
) -> Result<usize, NodeError> {
    let me = store.node().clone();
    let outbox = Origin::outbox(me.clone());
    let sources: Vec<Origin> = store
        .version_vector()?
        .into_keys()
        .filter(|o| !o.is_outbox())
        .collect();
    let mut written = 0;
    let mut ledger_changed = false;
    for source in sources {
        loop {
            let cursor = read_u64(store, CURSOR, &source.to_string())?;
            let events = store.events_after(&source, cursor, SCAN)?;
            let Some(last) = events.last() else { break };
            let last_seq = last.seq;
            ledger_changed = true;
            let mut days: BTreeSet<(Code, NaiveDate)> = BTreeSet::new();
            let mut touched_cases: BTreeSet<Uuid> = BTreeSet::new();
            let mut drafts = Vec::new();
            let mut indexed = Vec::new();
            for event in &events {
                match &event.body {
                    EventBody::ScreeningRecorded(s) if s.village.is_child_of(&me) => {
                        indexed.push((
                            day_key(&s.village, s.screened_on, &event.entity.to_string()),
                            screening_bytes(s),
                        ));
                        days.insert((s.village.clone(), s.screened_on));
                        let state = match store.entity(event.entity)?.map(|e| e.state) {
                            Some(EntityState::Screening(st)) => Some(st),
                            _ => None,
                        };
                        let already = state.as_ref().is_some_and(|st| st.reported.is_some());
                        if s.is_severe() && !already {
                            drafts.push(Draft {
                                author: event.author.clone(),
                                entity: event.entity,
                                body: EventBody::SevereScreeningReported(SevereScreeningReport {
                                    screening: s.clone(),
                                    source: event.event_ref(),
                                    recorded_at: event.hlc,
                                }),
                            });
                            // Signed before it was reported: the signature follows it up.
                            if let Some(signed) = state.and_then(|st| st.signed_off) {
                                drafts.extend(signature_copy(store, event.entity, &signed)?);
                            }
                        }
                    }
                    // The director's signature on a severe screening the
                    // county already holds. (One signed before the report is
                    // copied with the report, above; a copy made twice by a
                    // race folds as nothing new.)
                    EventBody::ScreeningSignedOff(_) if source == Origin::node(me.clone()) => {
                        if let Some(EntityState::Screening(st)) =
                            store.entity(event.entity)?.map(|e| e.state)
                            && st.reported.is_some()
                            && let Some(signed) =
                                st.signed_off.filter(|p| p.event == event.event_ref())
                        {
                            drafts.extend(signature_copy(store, event.entity, &signed)?);
                        }
                    }
                    EventBody::CaseRegistered(_)
                    | EventBody::CaseStepped(_)
                    | EventBody::CaseHandedDown(_) => {
                        touched_cases.insert(event.entity);
                    }
                    _ => {}
                }
            }
            // The summaries below recount from this index. Writing it ahead
            // of the batch is harmless: entries are keyed by screening, and
            // the cursor has not moved.
            store.meta_put_many(BY_DAY, &indexed)?;
            let mut marks = Vec::new();
            for (code, date) in days {
                drafts.push(summary_draft(store, &code, date, &mut marks)?);
            }
            drafts.extend(case_reports(store, &touched_cases, &mut marks)?);
            marks.push(MetaPut::new(
                CURSOR,
                source.to_string(),
                last_seq.to_be_bytes(),
            ));
            marks.push(MetaPut::new(MONTHLY, STALE, *b"1"));
            let reports_cases = drafts
                .iter()
                .any(|d| matches!(d.body, EventBody::CaseReported(_)));
            written += drafts.len();
            store.append_local_with(&outbox, now_ms, drafts, marks)?;
            if reports_cases {
                crash_point("case-report");
            }
            if events.len() < SCAN {
                break;
            }
        }
    }
    let stale = ledger_changed || store.meta_get(MONTHLY, STALE)?.as_deref() == Some(b"1");
    if stale && monthly {
        let mut marks = vec![MetaPut::new(MONTHLY, STALE, *b"0")];
        let drafts = monthly_reports(store, policy, now_ms, &mut marks)?;
        let filed = !drafts.is_empty();
        written += drafts.len();
        store.append_local_with(&outbox, now_ms, drafts, marks)?;
        if filed {
            crash_point("monthly-report");
        }
    }
    if written > 0 {
        info!(node = %me, written, "outbox derived");
    }
    Ok(written)
}

/// Crash drills (`crates/cli/tests/crash.rs`): built with the `drill`
/// feature, a process whose `SANJI_DRILL_CRASH` names `point` kills itself
/// with SIGKILL there, right after the write that marks those reports as
/// filed. Without the feature (every real build) this is nothing.
#[cfg(feature = "drill")]
fn crash_point(point: &str) {
    if std::env::var("SANJI_DRILL_CRASH").is_ok_and(|p| p == point) {
        tracing::error!(point, "SANJI_DRILL_CRASH: kill -9 at this point");
        // SAFETY: raise only sends a signal to this process; SIGKILL cannot
        // be caught, so nothing runs after it.
        unsafe {
            libc::raise(libc::SIGKILL);
        }
    }
}

#[cfg(not(feature = "drill"))]
fn crash_point(_point: &str) {}

const CASE_REPORTED: &str = "forward-case";
const MONTHLY: &str = "forward-monthly";
/// Marks the monthly report as behind the ledger (a key no month can have).
const STALE: &str = "stale";

/// A fresh copy of every escalated or handed-down case that changed since
/// its last copy: the county sees these cases, and only these, in full.
/// The marks of the copies go to `marks`, for the batch that writes them.
fn case_reports(
    store: &Store,
    touched: &BTreeSet<Uuid>,
    marks: &mut Vec<MetaPut>,
) -> Result<Vec<Draft>, NodeError> {
    let mut drafts = Vec::new();
    for id in touched {
        let Some(entity) = store.entity(*id)? else {
            continue;
        };
        let EntityState::Case(file) = entity.state else {
            continue;
        };
        if !file.authoritative || (file.escalated.is_none() && file.handed_down_to.is_none()) {
            continue;
        }
        let key = id.to_string();
        let (reported_events, revision) = match store.meta_get(CASE_REPORTED, &key)? {
            Some(b) if b.len() == 8 => (
                u32::from_be_bytes(b[..4].try_into().expect("4 bytes")),
                u32::from_be_bytes(b[4..].try_into().expect("4 bytes")),
            ),
            _ => (0, 0),
        };
        if reported_events == entity.events {
            continue;
        }
        let revision = revision + 1;
        let mut record = entity.events.to_be_bytes().to_vec();
        record.extend(revision.to_be_bytes());
        marks.push(MetaPut::new(CASE_REPORTED, key, record));
        drafts.push(Draft {
            author: "系统上报".into(),
            entity: *id,
            body: EventBody::CaseReported(Box::new(CaseReport {
                file: *file,
                revision,
            })),
        });
    }
    Ok(drafts)
}

/// The running month's report (and last month's, which late entries can
/// still change), filed again whenever a figure changed. The filed reports
/// go to `marks`, for the batch that writes them.
fn monthly_reports(
    store: &Store,
    policy: &DeadlinePolicy,
    now_ms: u64,
    marks: &mut Vec<MetaPut>,
) -> Result<Vec<Draft>, NodeError> {
    let me = store.node().clone();
    let today = cst_date(now_ms);
    let this = Month::of(today);
    let last = Month::of(this.first_day().pred_opt().unwrap_or(this.first_day()));
    // Screenings from before last month count in no report made here.
    let ledger = reports::ledger_for_months(store, last, this, true)?;
    let mut drafts = Vec::new();
    for month in [last, this] {
        let mut report = reports::township_report(store, &ledger, month, policy, now_ms)?;
        let key = month.to_string();
        let previous: Option<MonthlyReport> = store
            .meta_get(MONTHLY, &key)?
            .and_then(|b| serde_json::from_slice(&b).ok());
        if let Some(previous) = &previous {
            report.revision = previous.revision;
            if *previous == report {
                continue;
            }
        } else if month != this && report.is_zero() {
            // A month this hub first reports after it ended with nothing in
            // it (it was set up since): no report rather than a 零报告 for
            // a month it did not watch. The running month is filed once its
            // ledgers move (a village's 零报告 is enough), zeros and all, so
            // a quiet township is not taken for one that filed nothing.
            continue;
        }
        report.revision = previous.map_or(1, |p| p.revision + 1);
        marks.push(MetaPut::new(
            MONTHLY,
            key,
            serde_json::to_vec(&report).expect("reports serialise"),
        ));
        drafts.push(Draft {
            author: "系统汇总".into(),
            entity: MonthlyReport::entity_id(&me, month),
            body: EventBody::MonthlyReportFiled(report),
        });
    }
    Ok(drafts)
}

/// The outbox's copy of the director's signature on a severe screening, for
/// the county: who signed, the note, and when (the copy itself is stamped
/// later).
fn signature_copy(
    store: &Store,
    screening: Uuid,
    signed: &Provenance,
) -> Result<Option<Draft>, NodeError> {
    let Some(original) = store.get(&signed.event.origin, signed.event.seq)? else {
        return Ok(None);
    };
    let EventBody::ScreeningSignedOff(sign) = original.body else {
        return Ok(None);
    };
    Ok(Some(Draft {
        author: signed.author.clone(),
        entity: screening,
        body: EventBody::ScreeningSignedOff(SignOff {
            signed_at: Some(signed.hlc),
            ..sign
        }),
    }))
}

fn day_key(village: &Code, date: NaiveDate, id: &str) -> String {
    format!("{village}/{date}/{id}")
}

fn screening_bytes(s: &Screening) -> Vec<u8> {
    serde_json::to_vec(s).expect("screenings serialise")
}

/// Recounts one village-day from the index, so the summary is complete and
/// correct however often it is recomputed.
/// Its new revision goes to `marks`, for the batch that writes it.
fn summary_draft(
    store: &Store,
    village: &Code,
    date: NaiveDate,
    marks: &mut Vec<MetaPut>,
) -> Result<Draft, NodeError> {
    let prefix = format!("{village}/{date}/");
    let screenings: Vec<Screening> = store
        .meta_scan_prefix(BY_DAY, &prefix)?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect();
    let key = format!("{village}/{date}");
    let revision = read_u64(store, REVISION, &key)? as u32 + 1;
    let summary = DailySummary::compute(village, date, &screenings, revision);
    marks.push(MetaPut::new(
        REVISION,
        key,
        u64::from(revision).to_be_bytes(),
    ));
    Ok(Draft {
        author: "系统汇总".into(),
        entity: DailySummary::entity_id(village, date),
        body: EventBody::ScreeningSummary(summary),
    })
}

fn read_u64(store: &Store, ns: &str, key: &str) -> Result<u64, NodeError> {
    Ok(store
        .meta_get(ns, key)?
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

/// The hub's link to the county, as the hub last saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamStatus {
    pub last_attempt_ms: u64,
    pub last_success_ms: Option<u64>,
    pub outbox_head: u64,
    pub acked_by_county: u64,
    pub last_error: Option<String>,
}

pub fn upstream_status(store: &Store) -> Result<Option<UpstreamStatus>, NodeError> {
    Ok(store
        .meta_get(UPSTREAM, "status")?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Derives and forwards for one hub; one at a time, whoever asks.
pub struct Forwarder {
    store: Store,
    upstream: Option<Upstream>,
    clock: Clock,
    policy: DeadlinePolicy,
    /// Derivation reads a cursor, then writes and moves it: two at once would
    /// both see a severe screening as not yet reported.
    running: tokio::sync::Mutex<()>,
    /// The deadline tracker's urges go through the operator layer, between
    /// operators' steps.
    operations: crate::ops::Operations,
}

impl Forwarder {
    pub fn new(
        store: Store,
        upstream: Option<Upstream>,
        clock: Clock,
        policy: DeadlinePolicy,
        operations: crate::ops::Operations,
    ) -> Forwarder {
        Forwarder {
            store,
            upstream,
            clock,
            policy,
            running: tokio::sync::Mutex::new(()),
            operations,
        }
    }

    /// Issues due urges and supervision notices, derives the outbox from
    /// everything stored so far, numbers what arrived in the 总登记簿, then pushes it to the county and pulls what
    /// the county addressed to us. Returns the link's
    /// status after the attempt (`None` when no county is configured).
    pub async fn once(&self) -> Result<Option<UpstreamStatus>, NodeError> {
        self.pass(true).await
    }

    /// One pass; a full one also runs the deadline tracker and refiles the
    /// monthly report, both of which read every case file.
    async fn pass(&self, full: bool) -> Result<Option<UpstreamStatus>, NodeError> {
        let _one_at_a_time = self.running.lock().await;
        let store = self.store.clone();
        let now = self.clock.now_ms();
        let policy = self.policy;
        if full {
            self.operations.sweep().await?;
        }
        tokio::task::spawn_blocking(move || {
            derive(&store, &policy, now, full)?;
            // What arrived takes its number in the 总登记簿 in this pass.
            crate::register::number_arrivals(&store, now)
        })
        .await
        .map_err(|e| NodeError::Serve(e.to_string()))??;
        match &self.upstream {
            Some(upstream) => push_up(&self.store, upstream, self.clock).await.map(Some),
            None => Ok(None),
        }
    }

    /// Runs until `stop` is notified: again whenever `woken` is (a station
    /// pushed), and at least every `period`; failures back off with jitter.
    pub async fn run(self: Arc<Self>, woken: Arc<Notify>, stop: Arc<Notify>, period: Duration) {
        let backoff = Backoff::default();
        let mut failures = 0u32;
        // A station's push wakes a light pass (derive, forward); the tracker
        // and the monthly report, which read every case file, run once a period.
        let mut last_full: Option<std::time::Instant> = None;
        loop {
            let full = last_full.is_none_or(|t| t.elapsed() >= period);
            let wait = match self.pass(full).await {
                Ok(_) => {
                    failures = 0;
                    if full {
                        last_full = Some(std::time::Instant::now());
                    }
                    period.saturating_sub(last_full.map_or(Duration::ZERO, |t| t.elapsed()))
                }
                Err(e) => {
                    warn!(error = %e, "forwarding to the county failed; will retry");
                    failures = failures.saturating_add(1);
                    backoff.delay(failures - 1).min(period)
                }
            };
            tokio::select! {
                _ = stop.notified() => return,
                _ = woken.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

async fn push_up(
    store: &Store,
    upstream: &Upstream,
    clock: Clock,
) -> Result<UpstreamStatus, NodeError> {
    let me = store.node().clone();
    let outbox = Origin::outbox(me.clone());
    let mut status = upstream_status(store)?.unwrap_or_default();
    status.last_attempt_ms = clock.now_ms();
    status.outbox_head = store.head(&outbox)?.map_or(0, |h| h.seq);
    let result = async {
        let link = Link::connect(upstream).await?;
        link.sync(store, &outbox, &me).await
    }
    .await;
    match &result {
        Ok(report) => {
            status.last_success_ms = Some(clock.now_ms());
            status.acked_by_county = report.push.acked;
            status.last_error = None;
        }
        Err(e) => {
            // An interrupted forward still moved the county's mark; say so.
            if let Some(acked) = sanji_sync::parent_acked(store, &outbox)? {
                status.acked_by_county = acked;
            }
            status.last_error = Some(e.to_string());
        }
    }
    store.meta_put(
        UPSTREAM,
        "status",
        &serde_json::to_vec(&status).expect("status serialises"),
    )?;
    result.map(|_| status).map_err(NodeError::from)
}
