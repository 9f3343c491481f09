//! 自查评分 at the hub and the county: the facts the ledgers prove for a
//! period (each with its evidence in words), the sheet scored from them and
//! from the center's hand scores, filed to the county through the outbox,
//! and the county's table of every township's filed sheet.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sanji_domain::assessment::{AssessmentSheet, Evidence, Fact, HandScore, score};
use sanji_domain::case::{ActorRole, check_role};
use sanji_domain::fold::EntityState;
use sanji_domain::meeting::MeetingKind;
use sanji_domain::report::{Month, MonthlyReport, Period, Span};
use sanji_domain::time::cst_date;
use sanji_domain::{Code, Event, EventBody, Labelled, Level, Origin};
use sanji_store::{Draft, Store};
use serde::{Deserialize, Serialize};

use crate::NodeError;
use crate::ops::Actor;
use crate::views::ViewContext;

/// Who files the township's self-assessment with the county: the director.
pub const FILE_ROLES: &[ActorRole] = &[ActorRole::Director];

/// The name the documents give the unit that mediates most disputes.
const JUDICIAL_OFFICE: &str = "司法所";

fn evidence(holds: bool, words: String) -> Evidence {
    Evidence { holds, words }
}

/// Every fact over `period` (to today, for a running one).
pub fn facts(
    store: &Store,
    period: Period,
    ctx: &ViewContext,
) -> Result<BTreeMap<Fact, Evidence>, NodeError> {
    let today = cst_date(ctx.now_ms);
    let (from, to) = (period.first_day(), period.last_day().min(today));
    let mut out = BTreeMap::new();
    let figures = crate::views::summary(store, period, ctx)?.figures;

    let workload = crate::views::workload(store, period)?;
    let all: u32 = workload.iter().map(|w| w.resolved).sum();
    let judicial = workload.iter().find(|w| w.unit == JUDICIAL_OFFICE);
    let (done, share) = judicial.map_or((0, None), |w| (w.resolved, w.share_percent));
    out.insert(
        Fact::JudicialShare,
        match share {
            Some(p) => evidence(
                p >= 50,
                format!("司法所办结 {done} 件,占各单位办结 {all} 件的 {p}%"),
            ),
            None => evidence(false, "期内没有成员单位办结的案件".into()),
        },
    );

    let names = crate::directory::Directory::new(store.clone()).listing()?;
    let peers = crate::views::peers(store)?;
    let silent: Vec<&str> = names
        .villages
        .iter()
        .filter(|v| !peers.iter().any(|p| p.code == v.code.as_str()))
        .map(|v| v.name.as_str())
        .collect();
    out.insert(
        Fact::StationsEverywhere,
        evidence(
            !names.villages.is_empty() && silent.is_empty(),
            if silent.is_empty() {
                format!("名录中 {} 个村都有工作站与镇中心同步", names.villages.len())
            } else {
                format!(
                    "名录中 {} 个村,{} 个没有工作站同步过:{}",
                    names.villages.len(),
                    silent.len(),
                    silent.join("、")
                )
            },
        ),
    );

    let ledger = crate::reports::ledger_for_months(store, Month::of(from), Month::of(to), true)?;
    let resolved: Vec<_> = ledger
        .cases
        .iter()
        .filter_map(|(_, f)| f.resolution.as_ref())
        .filter(|r| from <= r.on && r.on <= to)
        .collect();
    let late = resolved.iter().filter(|r| r.late).count();
    out.insert(
        Fact::DeadlinesKept,
        evidence(
            late == 0,
            format!("期内办结 {} 件,超期办结 {late} 件", resolved.len()),
        ),
    );

    let mut received = 0;
    for year in from.year()..=to.year() {
        received += crate::register::register(store, year)?
            .rows
            .iter()
            .filter(|r| r.serial.is_some() && from <= r.received_on && r.received_on <= to)
            .count();
    }
    let mut notices = 0;
    for year in from.year()..=to.year() {
        for book in crate::notices::NOTICE_BOOKS {
            notices += crate::notices::notices(store, year, book)?
                .notices
                .iter()
                .filter(|n| from <= n.issued_on && n.issued_on <= to)
                .count();
        }
    }
    let quarters = quarters_in(from, to);
    let mut hotspots_found = Vec::new();
    for q in &quarters {
        hotspots_found.push((
            q.label(),
            crate::hotspots::hotspots(store, *q, today)?.found,
        ));
    }
    let hotspots: usize = hotspots_found.iter().map(|(_, n)| n).sum();
    let meetings = crate::meetings::book(store, today)?;
    let held: Vec<(MeetingKind, NaiveDate)> = meetings
        .meetings
        .iter()
        .filter(|m| from <= m.held_on && m.held_on <= to)
        .map(|m| (m.kind, m.held_on))
        .collect();
    let months = months_in(from, to);
    let filed: Vec<Month> = months
        .iter()
        .copied()
        .filter(|m| {
            let id = MonthlyReport::entity_id(store.node(), *m);
            matches!(
                store.entity(id).ok().flatten().map(|e| e.state),
                Some(EntityState::MonthlyReport(_))
            )
        })
        .collect();
    let ledgers = [
        ("总登记簿", received),
        ("通知书", notices),
        ("重点地区登记簿", hotspots),
        ("会议记录簿", held.len()),
        ("月报表", filed.len()),
    ];
    out.insert(
        Fact::FiveLedgers,
        evidence(
            ledgers.iter().all(|(_, n)| *n > 0),
            ledgers
                .iter()
                .map(|(name, n)| format!("{name} {n}"))
                .collect::<Vec<_>>()
                .join(","),
        ),
    );

    let archived: Vec<_> = ledger
        .cases
        .iter()
        .filter(|(_, f)| f.archived_on.is_some_and(|d| from <= d && d <= to))
        .collect();
    let mut unnumbered = 0;
    for (id, file) in &archived {
        let registered = file.registration.registered_on.year();
        if crate::register::archive_number(store, *id, registered, to.year().max(registered))?
            .is_none()
        {
            unnumbered += 1;
        }
    }
    out.insert(
        Fact::CaseArchives,
        evidence(
            unnumbered == 0,
            format!(
                "期内归档 {} 件,{}",
                archived.len(),
                if unnumbered == 0 {
                    "都有档案号".to_owned()
                } else {
                    format!("{unnumbered} 件还没有档案号")
                }
            ),
        ),
    );

    let missing: Vec<String> = months
        .iter()
        .filter(|m| !filed.contains(m))
        .map(|m| format!("{} 月", m.month))
        .collect();
    out.insert(
        Fact::MonthlyReports,
        evidence(
            missing.is_empty(),
            if missing.is_empty() {
                format!("{} 个月的月报表都已报送", months.len())
            } else {
                format!("{} 未报送月报表", missing.join("、"))
            },
        ),
    );

    let empty: Vec<&str> = hotspots_found
        .iter()
        .filter(|(_, n)| *n == 0)
        .map(|(label, _)| label.as_str())
        .collect();
    out.insert(
        Fact::QuarterlyHotspots,
        evidence(
            empty.is_empty(),
            if empty.is_empty() {
                hotspots_found
                    .iter()
                    .map(|(label, n)| format!("{label}登记 {n} 处"))
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                format!("{} 没有登记重点地区排查", empty.join("、"))
            },
        ),
    );

    // The fixed monthly meetings whose day has come in the period.
    let mut due = 0;
    let mut missed = Vec::new();
    for month in &months {
        for kind in [MeetingKind::DisputeScreening, MeetingKind::StabilityWork] {
            let Some(day) = kind.monthly_day() else {
                continue;
            };
            let Some(date) = NaiveDate::from_ymd_opt(month.year, month.month, day) else {
                continue;
            };
            if date > to {
                continue;
            }
            due += 1;
            let recorded = held
                .iter()
                .any(|(k, on)| *k == kind && Month::of(*on) == *month);
            if !recorded {
                missed.push(format!("{} 月{}", month.month, kind.label()));
            }
        }
    }
    out.insert(
        Fact::Meetings,
        evidence(
            missed.is_empty(),
            if missed.is_empty() {
                format!("应开例会 {due} 次,都有会议记录")
            } else {
                format!("应开例会 {due} 次,缺记录:{}", missed.join("、"))
            },
        ),
    );

    out.insert(
        Fact::MediationSuccess,
        match figures.mediation_success_permille {
            Some(p) => evidence(
                p >= 900,
                format!("调解 {} 件,成功率 {}.{}%", figures.mediated, p / 10, p % 10),
            ),
            None => evidence(false, "期内没有调解办结的案件".into()),
        },
    );
    let mass = figures.incidents.map_or(0, |i| i.mass_incidents);
    out.insert(
        Fact::NoMassIncident,
        evidence(mass == 0, format!("期内登记群体性事件 {mass} 起")),
    );
    out.insert(
        Fact::NoSkipLevel,
        evidence(
            figures.skip_level_petitions == 0,
            format!("期内越级上访 {} 起", figures.skip_level_petitions),
        ),
    );
    Ok(out)
}

fn months_in(from: NaiveDate, to: NaiveDate) -> Vec<Month> {
    let mut months = Vec::new();
    let mut m = Month::of(from);
    while m.first_day() <= to {
        months.push(m);
        m = m.next();
    }
    months
}

fn quarters_in(from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let mut quarters = Vec::new();
    let mut q = Period::Quarter {
        year: 2000,
        quarter: 1,
    }
    .same_kind_at(from);
    while q.first_day() <= to {
        quarters.push(q);
        q = q.next();
    }
    quarters
}

/// The sheet of `period` as the ledgers and `hand` score it now.
pub fn draft(
    store: &Store,
    period: Period,
    ctx: &ViewContext,
    hand: &[HandScore],
    bonus: (u32, String),
) -> Result<AssessmentSheet, NodeError> {
    let facts = facts(store, period, ctx)?;
    Ok(score(
        store.node().clone(),
        &period,
        |fact| facts[&fact].clone(),
        hand,
        bonus,
    )?)
}

/// The sheet of `period` this township (or, at the county, `township`) filed last.
pub fn filed(
    store: &Store,
    township: &Code,
    period: &Period,
) -> Result<Option<AssessmentSheet>, NodeError> {
    let id = AssessmentSheet::entity_id(township, period);
    Ok(match store.entity(id)?.map(|e| e.state) {
        Some(EntityState::Assessment(sheet)) => Some(sheet),
        _ => None,
    })
}

/// At the county: the sheet `township` filed for `period`, with when (ms).
pub fn filed_at(
    store: &Store,
    township: &Code,
    period: &Period,
) -> Result<(AssessmentSheet, u64), NodeError> {
    let id = AssessmentSheet::entity_id(township, period);
    match store.entity(id)? {
        Some(e) => match e.state {
            EntityState::Assessment(sheet) => Ok((sheet, e.last_hlc.wall_ms)),
            _ => Err(NodeError::NotFound(format!(
                "{township} {period} 的自查评分"
            ))),
        },
        None => Err(NodeError::NotFound(format!(
            "{township} 还没有上报 {period} 的自查评分"
        ))),
    }
}

/// Scores the sheet now and files it with the county (the outbox carries
/// it), as the next revision of the period's.
pub fn file(
    store: &Store,
    actor: &Actor,
    period: Period,
    ctx: &ViewContext,
    hand: &[HandScore],
    bonus: (u32, String),
) -> Result<Event, NodeError> {
    check_role("上报自查评分", FILE_ROLES, actor.role).map_err(NodeError::Refused)?;
    if store.node().level() != Level::Township {
        return Err(NodeError::Refused("自查评分由乡镇中心上报".into()));
    }
    if !matches!(period, Period::HalfYear { .. } | Period::Year { .. }) {
        return Err(NodeError::Invalid(sanji_domain::FieldError::new(
            "period",
            format!("{period} 不是半年或全年;自查评分按半年(2026-H2)或全年(2026)"),
        )));
    }
    let mut sheet = draft(store, period, ctx, hand, bonus)?;
    sheet.revision = filed(store, store.node(), &period)?.map_or(1, |s| s.revision + 1);
    let draft = Draft {
        author: actor.name.clone(),
        entity: AssessmentSheet::entity_id(store.node(), &period),
        body: EventBody::AssessmentFiled(sheet),
    };
    let outbox = Origin::outbox(store.node().clone());
    Ok(store
        .append_local(&outbox, ctx.now_ms, vec![draft])?
        .remove(0))
}

/// What the hub's page shows: the sheet as scored now (hand scores from
/// the last filed sheet) and the last filed one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentView {
    pub now: AssessmentSheet,
    pub filed: Option<AssessmentSheet>,
}

pub fn view(store: &Store, period: Period, ctx: &ViewContext) -> Result<AssessmentView, NodeError> {
    let filed = filed(store, store.node(), &period)?;
    let (hand, bonus) = match &filed {
        Some(sheet) => (
            sheet
                .items
                .iter()
                .filter(|i| !i.proven)
                .map(|i| HandScore {
                    item: i.item.clone(),
                    tenths: i.tenths,
                    note: i.note.clone(),
                })
                .collect(),
            (sheet.bonus_tenths, sheet.bonus_note.clone()),
        ),
        None => (Vec::new(), (0, String::new())),
    };
    Ok(AssessmentView {
        now: draft(store, period, ctx, &hand, bonus)?,
        filed,
    })
}

/// At the county: every township it knows with the sheet it filed for `period`, if any.
pub fn county_sheets(
    store: &Store,
    period: &Period,
) -> Result<Vec<(Code, Option<AssessmentSheet>)>, NodeError> {
    let townships = crate::views::known_townships(store)?;
    townships
        .into_iter()
        .map(|t| Ok((t.clone(), filed(store, &t, period)?)))
        .collect()
}
