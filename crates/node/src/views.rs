//! What operators see: read views over a node's store, as plain rows that
//! serialise to JSON. The console RPC, the CLI and (later) a web console all
//! show these same rows, so a figure means the same thing everywhere.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sanji_domain::case::CaseStatus;
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::fold::{Conflict, EntityState};
use sanji_domain::index::{self, IndexName, TermRange};
use sanji_domain::record::{Category, RiskLevel, VisitChannel};
use sanji_domain::report::{CaseRef, Month, MonthlyReport, Period, PeriodSummary, RewardTotal};
use sanji_domain::time::cst_date;
use sanji_domain::{Code, DailySummary, Entity, Labelled, Level, Origin};
use sanji_store::Store;
use sanji_sync::PeerStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{NodeError, reports};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningRow {
    pub id: Uuid,
    pub village: Code,
    pub screened_on: NaiveDate,
    pub category: Category,
    pub risk: RiskLevel,
    pub may_escalate: bool,
    pub mass_incident_risk: bool,
    pub people_involved: u32,
    pub parties: Vec<String>,
    pub description: String,
    pub measures: String,
    pub screener: String,
    /// 分线: the trade or field, for a screening of the center's own screeners.
    #[serde(default)]
    pub line: Option<String>,
    /// Recorded by the township center's own screeners (分区分线), not the village's station.
    #[serde(default)]
    pub by_center: bool,
    /// When the village recorded it (Unix ms), if this node holds the village's record.
    pub recorded_at_ms: Option<u64>,
    /// When the hub forwarded it to the county, if it did.
    pub reported_at_ms: Option<u64>,
    pub conflicts: usize,
    /// The director's signature (签字): who, and when (Unix ms).
    #[serde(default)]
    pub signed_off_by: Option<String>,
    #[serde(default)]
    pub signed_off_at_ms: Option<u64>,
    /// The director's note with the signature (the one-screening view only).
    #[serde(default)]
    pub sign_off_note: Option<String>,
    /// The case it was turned into, if it was.
    #[serde(default)]
    pub converted_to: Option<Uuid>,
    /// Its 稳控 responsibility, and who set it last.
    #[serde(default)]
    pub control: Option<sanji_domain::record::StabilityControl>,
    #[serde(default)]
    pub control_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRow {
    pub id: Uuid,
    pub received_at: Code,
    pub visited_on: NaiveDate,
    pub channel: VisitChannel,
    pub visitor: String,
    pub people_count: u32,
    pub category: Category,
    pub summary: String,
    pub receiver: String,
    pub answer: Option<String>,
    pub recorded_at_ms: u64,
    /// The case registered from it (the case names the visit as its `from_record`).
    #[serde(default)]
    pub became_case: Option<Uuid>,
}

/// One case as a list shows it: the card the store keeps for every case.
pub use sanji_domain::index::CaseCard as CaseRow;

/// A child node as its parent sees it (a station at the hub, a hub at the county).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerRow {
    pub code: String,
    pub last_contact_ms: u64,
    pub last_push_ms: Option<u64>,
    pub last_pull_ms: Option<u64>,
    pub acked: u64,
    pub pending: u64,
    pub last_error: Option<String>,
}

/// A child silent longer than this is marked on the console.
pub const SILENT_AFTER_MS: u64 = 3 * 86_400_000;

impl PeerRow {
    /// Not heard from for more than three days (or never).
    pub fn is_silent(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.last_contact_ms) > SILENT_AFTER_MS
    }
}

/// One township at the county: its link and what its summaries add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TownshipRow {
    pub code: String,
    pub link: Option<PeerRow>,
    pub villages: usize,
    pub summary_days: usize,
    pub screenings: u64,
    pub severe_risk: u64,
    pub mass_incident_risk: u64,
    pub severe_reports: usize,
}

/// The views a console serves, by name.
pub const VIEWS: &[&str] = &[
    "screenings",
    "visits",
    "cases",
    "stations",
    "summaries",
    "severe",
    "townships",
];

/// What views need beyond the store: the township's policy and today.
#[derive(Debug, Clone, Copy)]
pub struct ViewContext {
    pub policy: DeadlinePolicy,
    pub now_ms: u64,
}

/// Answers one view as JSON. `params` may hold `village` (a code prefix
/// filter), `case`, `period` (2026-11, 2026-Q4, 2026) or `month` (2026-11).
pub fn query(
    store: &Store,
    view: &str,
    params: &BTreeMap<String, String>,
    ctx: &ViewContext,
) -> Result<serde_json::Value, NodeError> {
    let prefix = params.get("village").map(String::as_str).unwrap_or("");
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| NodeError::Invalid(sanji_domain::FieldError::new(name, "缺少此参数")))
    };
    let today = cst_date(ctx.now_ms);
    let json = match view {
        "screenings" => to_json(screenings(store, prefix)?),
        "visits" => to_json(visits(store, prefix)?),
        "cases" => to_json(cases(store, prefix)?),
        "case" => to_json(crate::ops::find_case(store, param("case")?)?),
        "due" => to_json(crate::tracker::open_cases(store, &ctx.policy, today)?),
        "conflicts" => to_json(conflicts(store)?),
        "rewards" => to_json(rewards(store, Period::parse(param("period")?)?)?),
        "report" => to_json(report(store, Month::parse(param("month")?)?, ctx)?),
        "reports" => to_json(county_reports(store, Month::parse(param("month")?)?)?),
        "stations" => to_json(peers(store)?),
        "summaries" => to_json(summaries(store, prefix)?),
        "severe" => to_json(severe(store, prefix, None)?),
        "townships" => to_json(townships(store)?),
        "upstream" => to_json(crate::forward::upstream_status(store)?),
        other => {
            return Err(NodeError::Invalid(sanji_domain::FieldError::new(
                "view",
                format!("未知视图 {other:?};可选:{}", VIEWS.join("、")),
            )));
        }
    };
    Ok(json)
}

/// An event kept but not applied, shown to the operator with its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRow {
    pub entity: Uuid,
    pub record: String,
    pub conflict: Conflict,
    /// What kind of record it is: `case`, `screening`, `visit` or `summary`.
    #[serde(default)]
    pub kind: String,
    /// What the kept event tried to do, in words (a case step's name, 排查签字 …).
    #[serde(default)]
    pub attempted: String,
    /// The state the record stands in now, in words.
    #[serde(default)]
    pub standing: String,
}

pub fn conflicts(store: &Store) -> Result<Vec<ConflictRow>, NodeError> {
    let mut rows = Vec::new();
    for e in store.entities()? {
        if e.conflicts.is_empty() {
            continue;
        }
        let (kind, record, standing) = match &e.state {
            EntityState::Case(f) => (
                "case",
                format!(
                    "案件 {}",
                    f.case_number
                        .clone()
                        .unwrap_or_else(|| crate::ops::short_id(e.id))
                ),
                f.status.label().to_owned(),
            ),
            EntityState::Screening(s) => (
                "screening",
                format!("排查 {} {}", s.record.village, s.record.screened_on),
                match (&s.signed_off, s.converted_to) {
                    (Some(p), Some(_)) => format!("{} 已签字,已转为案件", p.author),
                    (Some(p), None) => format!("{} 已签字", p.author),
                    (None, Some(_)) => "未签字,已转为案件".to_owned(),
                    (None, None) => "未签字".to_owned(),
                },
            ),
            EntityState::Visit(v) => (
                "visit",
                "接访".to_owned(),
                if v.record.answer.is_some() {
                    "已当场答复".to_owned()
                } else {
                    "已登记".to_owned()
                },
            ),
            EntityState::Incident(i) => (
                "incident",
                format!("{} {}", i.record.kind.label(), i.record.occurred_on),
                "已登记".to_owned(),
            ),
            EntityState::Meeting(m) => (
                "meeting",
                format!("{} {}", m.record.kind.label(), m.record.held_on),
                "已记录".to_owned(),
            ),
            EntityState::ZeroReport(z) => (
                "zero_report",
                format!("零报告 {} {}", z.record.village, z.record.round_on),
                "已登记".to_owned(),
            ),
            EntityState::Summary(_) | EntityState::MonthlyReport(_) => {
                ("summary", "汇总".to_owned(), String::new())
            }
            EntityState::Assessment(a) => (
                "summary",
                format!("{} 自查评分", a.period),
                format!("第 {} 次上报", a.revision),
            ),
            EntityState::Campaign(c) => (
                "campaign",
                format!("专项排查 {}", c.record.topic),
                c.record.label(),
            ),
            EntityState::Hotspot(h) => (
                "hotspot",
                format!("重点地区 {}", h.record.area),
                h.record.status.label().to_owned(),
            ),
            EntityState::Register(b) => (
                "register",
                format!("{} 年{}", b.year, b.book.label()),
                format!("已编 {} 号", b.records.len()),
            ),
        };
        for c in &e.conflicts {
            let attempted = store
                .get(&c.event.origin, c.event.seq)?
                .map(|event| attempted(&event.body))
                .unwrap_or_default();
            rows.push(ConflictRow {
                entity: e.id,
                record: record.clone(),
                conflict: c.clone(),
                kind: kind.to_owned(),
                attempted,
                standing: standing.clone(),
            });
        }
    }
    rows.sort_by_key(|r| r.conflict.hlc);
    Ok(rows)
}

/// What an event tried to do, in a person's words.
fn attempted(body: &sanji_domain::EventBody) -> String {
    use sanji_domain::EventBody as B;
    match body {
        B::CaseStepped(a) => a.step.kind().label().to_owned(),
        B::ScreeningSignedOff(_) => "排查签字".to_owned(),
        B::ScreeningConverted(_) => "排查转案".to_owned(),
        B::ScreeningRecorded(_) => "排查登记".to_owned(),
        B::VisitRecorded(_) => "接访登记".to_owned(),
        B::CaseRegistered(_) => "案件登记".to_owned(),
        B::CaseHandedDown(_) => "县级交办".to_owned(),
        B::SevereScreeningReported(_) => "重大排查上报".to_owned(),
        B::CaseReported(_) => "案件上报".to_owned(),
        B::ScreeningSummary(_) | B::MonthlyReportFiled(_) => "汇总上报".to_owned(),
        B::CaseImported(_) => "导入案件".to_owned(),
        B::ScreeningImported(_) => "导入排查".to_owned(),
        B::ZeroReported(_) => "零报告".to_owned(),
        B::IncidentRecorded(_) => "事件登记".to_owned(),
        B::MeetingRecorded(_) => "会议记录".to_owned(),
        B::ScreeningControlled(_) => "稳控责任".to_owned(),
        B::RegisterNumbered(n) => format!("{}编号", n.book.label()),
        B::HotspotRecorded(_) => "重点地区排查整治登记".to_owned(),
        B::CampaignDeclared(_) => "部署专项排查".to_owned(),
        B::AssessmentFiled(_) => "上报自查评分".to_owned(),
    }
}

pub fn rewards(store: &Store, period: Period) -> Result<Vec<RewardTotal>, NodeError> {
    over_cases(store, period, |refs| {
        sanji_domain::report::rewards(refs, period)
    })
}

/// `compute` over the case files the months of `period` can draw on.
fn over_cases<T>(
    store: &Store,
    period: Period,
    compute: impl FnOnce(&[CaseRef<'_>]) -> T,
) -> Result<T, NodeError> {
    let (from, to) = period.range();
    let cases = reports::ledger_for_months(store, Month::of(from), Month::of(to), false)?.cases;
    let refs: Vec<CaseRef<'_>> = cases
        .iter()
        .map(|(id, f)| CaseRef { id: *id, file: f })
        .collect();
    Ok(compute(&refs))
}

/// Each unit's cases led and assisted, and resolved by mediation kind, over `period`.
pub fn workload(
    store: &Store,
    period: Period,
) -> Result<Vec<sanji_domain::report::UnitWorkload>, NodeError> {
    over_cases(store, period, |refs| {
        sanji_domain::report::unit_workload(refs, period)
    })
}

/// The township's report for `month`, computed now from the ledger.
pub fn report(store: &Store, month: Month, ctx: &ViewContext) -> Result<MonthlyReport, NodeError> {
    let ledger = reports::ledger_for_months(store, month, month, true)?;
    reports::township_report(store, &ledger, month, &ctx.policy, ctx.now_ms)
}

/// The township's 阶段汇总 for `period` (half a month to a year): the
/// monthly report's figures over its days.
pub fn summary(
    store: &Store,
    period: Period,
    ctx: &ViewContext,
) -> Result<PeriodSummary, NodeError> {
    let (from, to) = period.range();
    let ledger = reports::ledger_for_months(store, Month::of(from), Month::of(to), true)?;
    let figures = reports::township_report(store, &ledger, period, &ctx.policy, ctx.now_ms)?;
    Ok(PeriodSummary::of(period, figures, cst_date(ctx.now_ms)))
}

/// The county's monthly table: one row per township that filed, and the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountyReport {
    pub month: Month,
    pub rows: Vec<MonthlyReport>,
    pub total: MonthlyReport,
    /// Townships the county knows (a link, an outbox) that filed nothing for
    /// the month: shown as 未报送, never left out.
    #[serde(default)]
    pub unfiled: Vec<Code>,
}

pub fn county_reports(store: &Store, month: Month) -> Result<CountyReport, NodeError> {
    let mut rows: Vec<MonthlyReport> = store
        .entities_where(IndexName::ReportMonth, &TermRange::Exact(month.to_string()))?
        .into_iter()
        .filter_map(|e| match e.state {
            EntityState::MonthlyReport(r) if r.month == month => Some(r),
            _ => None,
        })
        .collect();
    rows.sort_by(|a, b| a.township.cmp(&b.township));
    let total = MonthlyReport::total(store.node(), month, &rows);
    let unfiled = known_townships(store)?
        .into_iter()
        .filter(|t| !rows.iter().any(|r| r.township == *t))
        .collect();
    Ok(CountyReport {
        month,
        rows,
        total,
        unfiled,
    })
}

/// The townships a county knows from its directory (in use), their links
/// and outboxes, without reading any record.
pub fn known_townships(store: &Store) -> Result<Vec<Code>, NodeError> {
    let listed = crate::directory::Directory::new(store.clone()).listing()?;
    let mut codes: Vec<Code> = peers(store)?
        .into_iter()
        .filter_map(|l| Code::parse(&l.code).ok())
        .chain(listed.townships.into_iter().map(|p| p.code))
        .chain(
            store
                .version_vector()?
                .keys()
                .filter(|o| o.is_outbox())
                .map(|o| o.code().clone()),
        )
        .filter(|c| c.level() == Level::Township)
        .collect();
    codes.sort();
    codes.dedup();
    Ok(codes)
}

fn to_json<T: Serialize>(rows: T) -> serde_json::Value {
    serde_json::to_value(rows).expect("view rows serialise")
}

fn matches(code: &Code, prefix: &str) -> bool {
    code.as_str().starts_with(prefix)
}

fn sorted_entities(
    store: &Store,
    kind: sanji_domain::fold::EntityKind,
) -> Result<Vec<Entity>, NodeError> {
    let mut all = store.entities_of(kind)?;
    all.sort_by_key(|e| e.last_hlc);
    Ok(all)
}

pub fn screenings(store: &Store, prefix: &str) -> Result<Vec<ScreeningRow>, NodeError> {
    Ok(
        sorted_entities(store, sanji_domain::fold::EntityKind::Screening)?
            .into_iter()
            .filter_map(|e| match &e.state {
                EntityState::Screening(s) if matches(&s.record.village, prefix) => screening_row(e),
                _ => None,
            })
            .collect(),
    )
}

/// One screening, with the director's note when it is signed.
pub fn screening(store: &Store, id: Uuid) -> Result<ScreeningRow, NodeError> {
    let entity = store.entity(id)?;
    let signed = match entity.as_ref().map(|e| &e.state) {
        Some(EntityState::Screening(s)) => s.signed_off.clone(),
        _ => None,
    };
    let mut row = entity
        .and_then(screening_row)
        .ok_or_else(|| NodeError::NotFound(format!("排查 {id}")))?;
    if let Some(signed) = signed {
        row.sign_off_note = match store.get(&signed.event.origin, signed.event.seq)? {
            Some(sanji_domain::Event {
                body: sanji_domain::EventBody::ScreeningSignedOff(sign),
                ..
            }) => Some(sign.note),
            _ => None,
        };
    }
    Ok(row)
}

fn screening_row(e: Entity) -> Option<ScreeningRow> {
    match e.state {
        EntityState::Screening(s) => {
            let r = s.record;
            let by_center = s
                .recorded
                .as_ref()
                .is_some_and(|p| p.event.origin.code().level() == sanji_domain::Level::Township);
            Some(ScreeningRow {
                line: r.line,
                by_center,
                id: e.id,
                village: r.village,
                screened_on: r.screened_on,
                category: r.category,
                risk: r.risk,
                may_escalate: r.may_escalate,
                mass_incident_risk: r.mass_incident_risk,
                people_involved: r.people_involved,
                parties: r.parties.into_iter().map(|p| p.name).collect(),
                description: r.description,
                measures: r.measures,
                screener: r.screener,
                recorded_at_ms: Some(s.village_recorded_at.wall_ms),
                reported_at_ms: s.reported.map(|p| p.hlc.wall_ms),
                conflicts: e.conflicts.len(),
                signed_off_at_ms: s.signed_off.as_ref().map(|p| p.hlc.wall_ms),
                signed_off_by: s.signed_off.map(|p| p.author),
                sign_off_note: None,
                converted_to: s.converted_to,
                control_by: s.control.as_ref().map(|c| c.1.author.clone()),
                control: s.control.map(|c| c.0),
            })
        }
        _ => None,
    }
}

/// What people call a linked record: a case by its number (its short id
/// before it has one), a screening by its day and parties.
pub fn linked_name(store: &Store, id: Uuid) -> Result<String, NodeError> {
    Ok(match store.entity(id)?.map(|e| e.state) {
        Some(EntityState::Case(file)) => {
            file.case_number.unwrap_or_else(|| crate::ops::short_id(id))
        }
        Some(EntityState::Screening(s)) => format!(
            "{} {}",
            s.record.screened_on,
            s.record
                .parties
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("、")
        ),
        _ => crate::ops::short_id(id),
    })
}

/// A 群体性事件 or 民转刑 case as the list shows it, with its links by
/// what people call them (a case's number, a screening's day and parties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRow {
    pub id: Uuid,
    #[serde(flatten)]
    pub record: sanji_domain::record::Incident,
    pub author: String,
    pub recorded_at_ms: u64,
    /// (case id, its number or short id) of each linked case.
    pub case_links: Vec<(Uuid, String)>,
    /// (screening id, `2026-12-01 王某`) of each linked screening.
    pub screening_links: Vec<(Uuid, String)>,
}

/// Every incident this node holds, the latest first.
pub fn incidents(store: &Store) -> Result<Vec<IncidentRow>, NodeError> {
    let mut rows = Vec::new();
    for e in store.entities_of(sanji_domain::fold::EntityKind::Incident)? {
        let EntityState::Incident(i) = e.state else {
            continue;
        };
        let case_links = i
            .record
            .cases
            .iter()
            .map(|&id| Ok((id, linked_name(store, id)?)))
            .collect::<Result<_, NodeError>>()?;
        let screening_links = i
            .record
            .screenings
            .iter()
            .map(|&id| Ok((id, linked_name(store, id)?)))
            .collect::<Result<_, NodeError>>()?;
        rows.push(IncidentRow {
            id: e.id,
            author: i.recorded.author,
            recorded_at_ms: i.recorded.hlc.wall_ms,
            record: i.record,
            case_links,
            screening_links,
        });
    }
    rows.sort_by_key(|r| std::cmp::Reverse((r.record.occurred_on, r.recorded_at_ms)));
    Ok(rows)
}

/// A village's 零报告 as a list shows it: the day of the round and the week
/// it answers for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZeroReportRow {
    pub id: Uuid,
    pub village: Code,
    pub round_on: NaiveDate,
    pub week: (NaiveDate, NaiveDate),
    pub screener: String,
    pub note: String,
    pub author: String,
    pub recorded_at_ms: u64,
}

/// The zero reports of villages under `prefix`, the latest round first.
pub fn zero_reports(store: &Store, prefix: &str) -> Result<Vec<ZeroReportRow>, NodeError> {
    let mut rows: Vec<ZeroReportRow> = store
        .entities_of(sanji_domain::fold::EntityKind::ZeroReport)?
        .into_iter()
        .filter_map(|e| match e.state {
            EntityState::ZeroReport(z) if matches(&z.record.village, prefix) => {
                Some(ZeroReportRow {
                    id: e.id,
                    week: sanji_domain::reporting::week_of(z.record.round_on),
                    village: z.record.village,
                    round_on: z.record.round_on,
                    screener: z.record.screener,
                    note: z.record.note,
                    author: z.recorded.author,
                    recorded_at_ms: z.recorded.hlc.wall_ms,
                })
            }
            _ => None,
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse((r.round_on, r.recorded_at_ms)));
    Ok(rows)
}

pub fn visits(store: &Store, prefix: &str) -> Result<Vec<VisitRow>, NodeError> {
    let became: BTreeMap<Uuid, Uuid> = store
        .entities_of(sanji_domain::fold::EntityKind::Case)?
        .iter()
        .filter_map(|e| match &e.state {
            EntityState::Case(c) => c.registration.from_record.map(|from| (from, e.id)),
            _ => None,
        })
        .collect();
    Ok(
        sorted_entities(store, sanji_domain::fold::EntityKind::Visit)?
            .into_iter()
            .filter_map(|e| match e.state {
                EntityState::Visit(v) if matches(&v.record.received_at, prefix) => {
                    let r = v.record;
                    Some(VisitRow {
                        id: e.id,
                        received_at: r.received_at,
                        visited_on: r.visited_on,
                        channel: r.channel,
                        visitor: r.visitor.name,
                        people_count: r.people_count,
                        category: r.category,
                        summary: r.summary,
                        receiver: r.receiver,
                        answer: r.answer,
                        recorded_at_ms: v.recorded.hlc.wall_ms,
                        became_case: became.get(&e.id).copied(),
                    })
                }
                _ => None,
            })
            .collect(),
    )
}

/// Every case under the code prefix `prefix`, least recently changed first.
pub fn cases(store: &Store, prefix: &str) -> Result<Vec<CaseRow>, NodeError> {
    let mut rows = if prefix.is_empty() {
        store.case_cards()?
    } else {
        store.case_cards_where(IndexName::CasePlace, &TermRange::Prefix(prefix.to_owned()))?
    };
    rows.retain(|c| matches(&c.place, prefix));
    rows.sort_by_key(|c| (c.changed_at, c.id));
    Ok(rows)
}

/// The cases still open, least recently changed first: what the to-do list
/// draws on besides the deadlines.
pub fn open_cases(store: &Store) -> Result<Vec<CaseRow>, NodeError> {
    let mut rows = Vec::new();
    for range in index::open_status_ranges() {
        rows.extend(store.case_cards_where(IndexName::CaseStatus, &range)?);
    }
    rows.sort_by_key(|c| (c.changed_at, c.id));
    Ok(rows)
}

/// The cases escalated to the county (上报县级), least recently changed first.
pub fn escalated_cases(store: &Store) -> Result<Vec<CaseRow>, NodeError> {
    let mut rows =
        store.case_cards_where(IndexName::CaseEscalated, &TermRange::Prefix(String::new()))?;
    rows.sort_by_key(|c| (c.changed_at, c.id));
    Ok(rows)
}

/// The screenings under `prefix` that were reported to the county (重大 or
/// 群体性), in the order [`screenings`] lists them.
pub fn severe(
    store: &Store,
    prefix: &str,
    since: Option<chrono::NaiveDate>,
) -> Result<Vec<ScreeningRow>, NodeError> {
    let range = match since {
        // Days are indexed as text (2026-12-03): the range ends at the last
        // four-digit year, which sorts after every real day.
        Some(day) => TermRange::Between(day.to_string(), "9999-12-31".to_owned()),
        None => TermRange::Prefix(String::new()),
    };
    let mut all = store.entities_where(IndexName::ScreeningReported, &range)?;
    all.sort_by_key(|e| (e.last_hlc, e.id));
    Ok(all
        .into_iter()
        .filter_map(|e| match &e.state {
            EntityState::Screening(s)
                if matches(&s.record.village, prefix) && s.reported.is_some() =>
            {
                screening_row(e)
            }
            _ => None,
        })
        .collect())
}

/// How a case search orders what it finds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseSort {
    /// Most recently changed first (the case list's order).
    #[default]
    Changed,
    /// Most recently registered first.
    Registered,
    /// The nearest running deadline first; cases without one last.
    Deadline,
}

/// What a case search asks for; every field left out matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaseFilter {
    /// The search box: a case number (whole, or its `0001` tail), a party,
    /// words of the claim, a place's code or the start of it, or a village's name.
    pub text: Option<String>,
    /// A case number, whole or its tail within the year (`0007` or `7`).
    pub number: Option<String>,
    /// Part of a party's name.
    pub party: Option<String>,
    /// A code prefix of where the case arose.
    pub village: Option<String>,
    pub category: Option<Category>,
    pub status: Option<CaseStatus>,
    /// Only cases assigned to this assignee (a member unit's name, or `<code> 村工作站`).
    pub assignee: Option<String>,
    /// Registered on or after.
    pub registered_from: Option<NaiveDate>,
    /// Registered on or before.
    pub registered_to: Option<NaiveDate>,
    pub sort: CaseSort,
    /// How many of the found cases to skip (paging).
    pub offset: usize,
    /// At most this many; all of them when absent.
    pub limit: Option<usize>,
}

/// One page of a case search and how many were found in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseHits {
    pub total: usize,
    pub rows: Vec<CaseRow>,
}

/// `0007`, `7` → `0007`: the tail a short case number means.
fn short_number(text: &str) -> Option<String> {
    (!text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{:04}", text.parse::<u32>().unwrap_or(0)))
}

impl CaseFilter {
    /// Whether `card` is one this search finds; `names` gives villages' names to the search box.
    pub fn matches(&self, card: &CaseRow, names: &crate::directory::Listing) -> bool {
        let number = card.case_number.as_deref();
        let text_matches = |q: &str| {
            number.is_some_and(|n| n.ends_with(q) || n == q)
                || card.parties.iter().any(|p| p.contains(q))
                || card.claim.contains(q)
                || card.place.as_str().starts_with(q)
                || names.name_of(&card.place).is_some_and(|n| n.contains(q))
        };
        let number_matches = |wanted: &str| {
            number.is_some_and(|n| {
                n == wanted
                    || short_number(wanted)
                        .is_some_and(|tail| sanji_domain::index::number_tail(n) == Some(&tail))
            })
        };
        self.text
            .as_deref()
            .is_none_or(|q| q.is_empty() || text_matches(q))
            && self.number.as_deref().is_none_or(number_matches)
            && self
                .party
                .as_deref()
                .is_none_or(|p| card.parties.iter().any(|name| name.contains(p)))
            && self
                .village
                .as_deref()
                .is_none_or(|v| matches(&card.place, v))
            && self.category.is_none_or(|c| card.category == c)
            && self.status.is_none_or(|s| card.status == s)
            && self.assignee.as_deref().is_none_or(|a| {
                card.assignee.as_deref() == Some(a) || card.assisting.iter().any(|u| u == a)
            })
            && self.registered_from.is_none_or(|d| card.registered_on >= d)
            && self.registered_to.is_none_or(|d| card.registered_on <= d)
    }

    /// The index that narrows this search most, if any field allows one.
    fn narrowing(&self) -> Option<(IndexName, TermRange)> {
        if let Some(number) = self.number.as_deref() {
            return Some(match short_number(number) {
                Some(tail) => (IndexName::CaseNumberTail, TermRange::Exact(tail)),
                None => (
                    IndexName::CaseNumber,
                    TermRange::Exact(index::number_key(number)),
                ),
            });
        }
        if let Some(status) = self.status {
            return Some((IndexName::CaseStatus, index::status_range(status)));
        }
        if self.registered_from.is_some() || self.registered_to.is_some() {
            // Dates in the index are `YYYY-MM-DD`: these bound every one of them.
            let day = |d: Option<NaiveDate>, or: &str| d.map_or(or.to_owned(), |d| d.to_string());
            let range = TermRange::Between(
                day(self.registered_from, "0000-01-01"),
                day(self.registered_to, "9999-12-31"),
            );
            return Some((IndexName::CaseRegistered, range));
        }
        self.village
            .as_ref()
            .filter(|v| !v.is_empty())
            .map(|v| (IndexName::CasePlace, TermRange::Prefix(v.clone())))
    }

    /// Puts `rows` in this search's order and cuts its page.
    pub fn sort_and_page(&self, mut rows: Vec<CaseRow>) -> CaseHits {
        use std::cmp::Reverse;
        match self.sort {
            CaseSort::Changed => rows.sort_by_key(|c| Reverse((c.changed_at, c.id))),
            CaseSort::Registered => {
                rows.sort_by_key(|c| Reverse((c.registered_on, c.changed_at, c.id)))
            }
            CaseSort::Deadline => rows.sort_by_key(|c| (c.deadline.is_none(), c.deadline, c.id)),
        }
        let total = rows.len();
        let rows = rows
            .into_iter()
            .skip(self.offset)
            .take(self.limit.unwrap_or(usize::MAX))
            .collect();
        CaseHits { total, rows }
    }
}

/// A case search: the cases `filter` finds, in its order, one page of them.
/// Reads the cases' cards (never whole case files), only those under the
/// most selective index the filter names.
pub fn search_cases(store: &Store, filter: &CaseFilter) -> Result<CaseHits, NodeError> {
    let names = crate::directory::Directory::new(store.clone()).listing()?;
    let candidates = match filter.narrowing() {
        Some((name, range)) => store.case_cards_where(name, &range)?,
        None => store.case_cards()?,
    };
    let found = candidates
        .into_iter()
        .filter(|c| filter.matches(c, &names))
        .collect();
    Ok(filter.sort_and_page(found))
}

pub fn summaries(store: &Store, prefix: &str) -> Result<Vec<DailySummary>, NodeError> {
    let mut rows: Vec<DailySummary> = store
        .entities_of(sanji_domain::fold::EntityKind::Summary)?
        .into_iter()
        .filter_map(|e| match e.state {
            EntityState::Summary(s) if matches(&s.village, prefix) => Some(s),
            _ => None,
        })
        .collect();
    rows.sort_by(|a, b| (a.date, &a.village).cmp(&(b.date, &b.village)));
    Ok(rows)
}

pub fn peers(store: &Store) -> Result<Vec<PeerRow>, NodeError> {
    let mut rows: Vec<PeerRow> = PeerStatus::all(store)?
        .into_iter()
        .map(|p| PeerRow {
            pending: p.pending(),
            code: p.code,
            last_contact_ms: p.last_contact_ms,
            last_push_ms: p.last_push_ms,
            last_pull_ms: p.last_pull_ms,
            acked: p.acked,
            last_error: p.last_error,
        })
        .collect();
    // A child that has pushed but never been seen by Heads still shows up.
    for (origin, seq) in store.version_vector()? {
        if origin.code().is_child_of(store.node())
            && !rows.iter().any(|r| r.code == origin.code().as_str())
        {
            rows.push(PeerRow {
                code: origin.code().to_string(),
                last_contact_ms: 0,
                last_push_ms: None,
                last_pull_ms: None,
                acked: seq,
                pending: 0,
                last_error: None,
            });
        }
    }
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(rows)
}

pub fn townships(store: &Store) -> Result<Vec<TownshipRow>, NodeError> {
    let links = peers(store)?;
    let summaries = summaries(store, "")?;
    let severe = screenings(store, "")?;
    let mut codes: Vec<String> = links.iter().map(|l| l.code.clone()).collect();
    for origin in store.version_vector()?.keys().filter(|o| o.is_outbox()) {
        codes.push(origin.code().to_string());
    }
    codes.extend(
        summaries
            .iter()
            .filter_map(|s| s.village.parent().map(|c| c.to_string())),
    );
    codes.sort();
    codes.dedup();
    Ok(codes
        .into_iter()
        .filter(|c| Code::parse(c).is_ok_and(|c| c.level() == Level::Township))
        .map(|code| {
            let mine: Vec<&DailySummary> = summaries
                .iter()
                .filter(|s| s.village.as_str().starts_with(&code))
                .collect();
            let mut villages: Vec<&Code> = mine.iter().map(|s| &s.village).collect();
            villages.sort();
            villages.dedup();
            TownshipRow {
                link: links.iter().find(|l| l.code == code).cloned(),
                villages: villages.len(),
                summary_days: mine.len(),
                screenings: mine.iter().map(|s| u64::from(s.records)).sum(),
                severe_risk: mine
                    .iter()
                    .map(|s| u64::from(s.count_by_risk(RiskLevel::Severe)))
                    .sum(),
                mass_incident_risk: mine.iter().map(|s| u64::from(s.mass_incident_risk)).sum(),
                severe_reports: severe
                    .iter()
                    .filter(|s| s.village.as_str().starts_with(&code))
                    .count(),
                code,
            }
        })
        .collect())
}

/// Events this node holds in the ledgers of `origin`'s kind under `scope`.
pub fn held_from(store: &Store, filter: impl Fn(&Origin) -> bool) -> Result<u64, NodeError> {
    Ok(store
        .version_vector()?
        .iter()
        .filter(|(o, _)| filter(o))
        .map(|(_, s)| *s)
        .sum())
}

/// A case the county handed down, as the county sees it now: its own
/// record until the township's copies arrive, then the township's copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandDownRow {
    pub id: Uuid,
    pub township: Code,
    pub registered_on: NaiveDate,
    pub handed_down_by: String,
    /// The leader's instruction (批示).
    pub note: String,
    pub category: Category,
    pub parties: Vec<String>,
    pub claim: String,
    pub status: CaseStatus,
    pub case_number: Option<String>,
    /// Who at the township decided on acceptance (受理 or 不予受理), and when.
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<u64>,
    pub assignee: Option<String>,
    pub assignee_village: Option<Code>,
    /// The deadline now running: until the township decides, its acceptance
    /// deadline counted from registration under this node's policy (the
    /// township's own policy may differ); after, the township's own.
    pub deadline: Option<NaiveDate>,
    pub standing: Option<sanji_domain::deadline::DeadlineStanding>,
    pub escalated: bool,
}

/// The county's hand-downs, newest first.
pub fn hand_downs(store: &Store, ctx: &ViewContext) -> Result<Vec<HandDownRow>, NodeError> {
    use sanji_domain::case::StepKind;
    use sanji_domain::deadline::DeadlineStanding;
    let today = cst_date(ctx.now_ms);
    let mut rows = Vec::new();
    store.for_each_entity_of(sanji_domain::fold::EntityKind::Case, |e| {
        if let EntityState::Case(file) = e.state
            && let Some(township) = file.handed_down_to.clone()
        {
            let decided = file
                .file
                .iter()
                .find(|f| matches!(f.step, StepKind::Accept | StepKind::NotAccept));
            let deadline = crate::tracker::running_deadline(&file, &ctx.policy);
            rows.push(HandDownRow {
                id: e.id,
                township,
                registered_on: file.registration.registered_on,
                handed_down_by: file.handed_down_by.clone().unwrap_or_default(),
                note: file.handed_down_note.clone().unwrap_or_default(),
                category: file.registration.category,
                parties: file
                    .registration
                    .parties
                    .iter()
                    .map(|p| p.name.clone())
                    .collect(),
                claim: file.registration.claim.clone(),
                status: file.status,
                case_number: file.case_number.clone(),
                decided_by: decided.map(|f| f.by.clone()),
                decided_at_ms: decided.map(|f| f.at.wall_ms),
                assignee: file.assignment.as_ref().map(|a| a.assignee.label()),
                assignee_village: file
                    .assignment
                    .as_ref()
                    .and_then(|a| a.assignee.village().cloned()),
                deadline,
                standing: deadline
                    .map(|d| DeadlineStanding::of(d, today, ctx.policy.urge_days_before)),
                escalated: file.escalated.is_some(),
            });
        }
        Ok(())
    })?;
    rows.sort_by_key(|r| std::cmp::Reverse((r.registered_on, r.id)));
    Ok(rows)
}

/// What reached this node from elsewhere: a screening, a visit or a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalKind {
    Screening,
    Visit,
    Case,
}

impl ArrivalKind {
    pub fn label(self) -> &'static str {
        match self {
            ArrivalKind::Screening => "排查",
            ArrivalKind::Visit => "接访",
            ArrivalKind::Case => "案件",
        }
    }
}

/// One record that arrived, as the arrivals page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrivalRow {
    /// The ledger it came in: a village, the county, a township's outbox.
    pub from: Code,
    pub kind: ArrivalKind,
    pub entity: Uuid,
    /// Its own date (screened, visited, registered).
    pub on: NaiveDate,
    pub category: Category,
    pub parties: Vec<String>,
    pub text: String,
    /// 重大 or with mass-incident risk.
    pub severe: bool,
    /// When it was recorded where it came from (Unix ms).
    pub recorded_at_ms: u64,
}

fn names(parties: &[sanji_domain::record::Party]) -> Vec<String> {
    parties.iter().map(|p| p.name.clone()).collect()
}

/// Records that came into this node from other ledgers above `since` and up
/// to `until` (two version vectors: what was held then and now). This
/// node's own ledger and outbox are not arrivals. The cost follows the
/// events passed, not the store.
pub fn arrivals(
    store: &Store,
    since: &sanji_domain::VersionVector,
    until: &sanji_domain::VersionVector,
) -> Result<Vec<ArrivalRow>, NodeError> {
    use sanji_domain::EventBody as B;
    const SCAN: usize = 1000;
    let me = store.node();
    let mut rows = Vec::new();
    for (origin, &head) in until {
        if origin.code() == me {
            continue;
        }
        let mut after = since.get(origin).copied().unwrap_or(0);
        while after < head {
            let events = store.events_after(origin, after, SCAN)?;
            let Some(last) = events.last() else { break };
            after = last.seq;
            for event in events.iter().filter(|e| e.seq <= head) {
                let (kind, on, category, parties, text, severe) = match &event.body {
                    B::ScreeningRecorded(s) => (
                        ArrivalKind::Screening,
                        s.screened_on,
                        s.category,
                        names(&s.parties),
                        &s.description,
                        s.is_severe(),
                    ),
                    B::SevereScreeningReported(r) => (
                        ArrivalKind::Screening,
                        r.screening.screened_on,
                        r.screening.category,
                        names(&r.screening.parties),
                        &r.screening.description,
                        true,
                    ),
                    B::VisitRecorded(v) => (
                        ArrivalKind::Visit,
                        v.visited_on,
                        v.category,
                        vec![v.visitor.name.clone()],
                        &v.summary,
                        false,
                    ),
                    B::CaseRegistered(c) => (
                        ArrivalKind::Case,
                        c.registered_on,
                        c.category,
                        names(&c.parties),
                        &c.claim,
                        false,
                    ),
                    B::CaseHandedDown(h) => (
                        ArrivalKind::Case,
                        h.registration.registered_on,
                        h.registration.category,
                        names(&h.registration.parties),
                        &h.registration.claim,
                        false,
                    ),
                    // A township's first copy of an escalated case, at the county.
                    B::CaseReported(r) if r.revision <= 1 => (
                        ArrivalKind::Case,
                        r.file.registration.registered_on,
                        r.file.registration.category,
                        names(&r.file.registration.parties),
                        &r.file.registration.claim,
                        false,
                    ),
                    _ => continue,
                };
                rows.push(ArrivalRow {
                    from: origin.code().clone(),
                    kind,
                    entity: event.entity,
                    on,
                    category,
                    parties,
                    text: text.clone(),
                    severe,
                    recorded_at_ms: event.hlc.wall_ms,
                });
            }
            if events.len() < SCAN {
                break;
            }
        }
    }
    Ok(rows)
}
