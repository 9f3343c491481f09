//! The 社会治安重点地区及突出问题排查整治登记簿 at the hub: recording an
//! entry (or its update as the rectification goes on) with its unit and
//! village checked against the directory, and a quarter's book as people
//! read it — what that quarter's round found and what earlier rounds left
//! unrectified (结转), each with how it stands.

use chrono::NaiveDate;
use sanji_domain::case::{VISIT_ROLES, check_role};
use sanji_domain::fold::{EntityKind, EntityState};
use sanji_domain::hotspot::{Hotspot, HotspotStanding};
use sanji_domain::report::{Period, Span};
use sanji_domain::time::cst_date;
use sanji_domain::{Event, EventBody, FieldError, Level, Origin};
use sanji_store::{Draft, Store};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::NodeError;
use crate::ops::Actor;

/// Records a new entry, or (`entry` given) the entry's current state as
/// the rectification goes on; only at a township, by the center's staff.
pub fn record_hotspot(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    entry: Option<Uuid>,
    hotspot: Hotspot,
    now_ms: u64,
) -> Result<Event, NodeError> {
    check_role("重点地区排查整治登记", VISIT_ROLES, actor.role).map_err(NodeError::Refused)?;
    if store.node().level() != Level::Township {
        return Err(NodeError::Refused(
            "重点地区排查整治登记簿由乡镇中心登记".into(),
        ));
    }
    hotspot.validate(cst_date(now_ms))?;
    let listing = crate::directory::Directory::new(store.clone()).listing()?;
    listing.check_responsible(&hotspot.unit)?;
    if let Some(village) = &hotspot.village
        && !listing.villages.iter().any(|p| &p.code == village)
    {
        return Err(NodeError::Invalid(FieldError::new(
            "village",
            format!("村代码 {village} 不在本镇名录中"),
        )));
    }
    let entity = match entry {
        None => Uuid::now_v7(),
        Some(id) => match store.entity(id)?.map(|e| e.state) {
            Some(EntityState::Hotspot(_)) => id,
            _ => return Err(NodeError::NotFound(format!("重点地区登记 {id}"))),
        },
    };
    let draft = Draft {
        author: actor.name.clone(),
        entity,
        body: EventBody::HotspotRecorded(hotspot),
    };
    Ok(store.append_local(ledger, now_ms, vec![draft])?.remove(0))
}

/// One line of the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotspotRow {
    pub id: Uuid,
    pub record: Hotspot,
    /// The village's name from the 名录, when it lies in one.
    pub village_name: Option<String>,
    pub standing: HotspotStanding,
    /// Found by an earlier quarter's round and not rectified when this one began.
    pub carried_over: bool,
    pub recorded_by: String,
    pub recorded_on: NaiveDate,
    /// Who recorded the last update, and when.
    pub updated: Option<(String, NaiveDate)>,
    pub rectified_on: Option<NaiveDate>,
}

/// A quarter's 重点地区及突出问题排查整治登记簿, with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotspotBook {
    /// `2026-Q4`.
    pub quarter: String,
    pub label: String,
    pub rows: Vec<HotspotRow>,
    /// Found this quarter.
    pub found: usize,
    pub carried_over: usize,
    /// Rectified by the quarter's end (or today, for the running quarter).
    pub rectified: usize,
    pub overdue: usize,
}

/// The book of `quarter` as it stands on `today`: its round's entries, then
/// those carried over, each by the day found.
pub fn hotspots(
    store: &Store,
    quarter: Period,
    today: NaiveDate,
) -> Result<HotspotBook, NodeError> {
    if !matches!(quarter, Period::Quarter { .. }) {
        return Err(NodeError::Invalid(FieldError::new(
            "quarter",
            format!("{quarter} 不是季度;请写成 2026-Q4 这样的季度"),
        )));
    }
    let names = crate::directory::Directory::new(store.clone()).listing()?;
    // The quarter's book tells how things stood at its end, or today.
    let as_of = today.min(quarter.last_day());
    let mut rows = Vec::new();
    for e in store.entities_of(EntityKind::Hotspot)? {
        let EntityState::Hotspot(h) = e.state else {
            continue;
        };
        if !h.record.listed_in(&quarter, h.rectified_on) {
            continue;
        }
        let rectified_by_then = h.rectified_on.filter(|on| *on <= as_of);
        let standing = match rectified_by_then {
            Some(_) => HotspotStanding::Rectified,
            None if as_of > h.record.deadline => HotspotStanding::Overdue,
            None => HotspotStanding::Rectifying,
        };
        rows.push(HotspotRow {
            id: e.id,
            village_name: h
                .record
                .village
                .as_ref()
                .and_then(|v| names.name_of(v))
                .map(str::to_owned),
            standing,
            carried_over: h.record.found_on < quarter.first_day(),
            recorded_by: h.recorded.author.clone(),
            recorded_on: cst_date(h.recorded.hlc.wall_ms),
            updated: h
                .updated
                .as_ref()
                .map(|p| (p.author.clone(), cst_date(p.hlc.wall_ms))),
            rectified_on: h.rectified_on,
            record: h.record,
        });
    }
    rows.sort_by_key(|r| (r.carried_over, r.record.found_on, r.recorded_on, r.id));
    let count = |f: &dyn Fn(&HotspotRow) -> bool| rows.iter().filter(|r| f(r)).count();
    Ok(HotspotBook {
        quarter: quarter.to_string(),
        label: quarter.label(),
        found: count(&|r| !r.carried_over),
        carried_over: count(&|r| r.carried_over),
        rectified: count(&|r| r.standing == HotspotStanding::Rectified),
        overdue: count(&|r| r.standing == HotspotStanding::Overdue),
        rows,
    })
}

/// One entry, as its page shows it for updating.
pub fn hotspot(store: &Store, id: Uuid) -> Result<(Hotspot, Option<NaiveDate>), NodeError> {
    match store.entity(id)?.map(|e| e.state) {
        Some(EntityState::Hotspot(h)) => Ok((h.record, h.rectified_on)),
        _ => Err(NodeError::NotFound(format!("重点地区登记 {id}"))),
    }
}
