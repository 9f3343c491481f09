//! 专项排查 at the hub: declaring a campaign (or correcting it), the list of
//! campaigns with what each found, and one campaign's count village by
//! village, with the screenings it counted.

use chrono::NaiveDate;
use sanji_domain::campaign::{Campaign, CampaignTally, tally};
use sanji_domain::case::{VISIT_ROLES, check_role};
use sanji_domain::fold::{EntityKind, EntityState};
use sanji_domain::index::{IndexName, TermRange};
use sanji_domain::record::{Screening, ZeroReport};
use sanji_domain::time::cst_date;
use sanji_domain::{Event, EventBody, Level, Origin};
use sanji_store::{Draft, Store};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::NodeError;
use crate::ops::Actor;

/// Declares a campaign, or (`entry` given) corrects one; only at a
/// township, by the center's staff.
pub fn declare_campaign(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    entry: Option<Uuid>,
    campaign: Campaign,
    now_ms: u64,
) -> Result<Event, NodeError> {
    check_role("专项排查", VISIT_ROLES, actor.role).map_err(NodeError::Refused)?;
    if store.node().level() != Level::Township {
        return Err(NodeError::Refused("专项排查由乡镇中心部署".into()));
    }
    campaign.validate(cst_date(now_ms))?;
    let entity = match entry {
        None => Uuid::now_v7(),
        Some(id) => match store.entity(id)?.map(|e| e.state) {
            Some(EntityState::Campaign(_)) => id,
            _ => return Err(NodeError::NotFound(format!("专项排查 {id}"))),
        },
    };
    let draft = Draft {
        author: actor.name.clone(),
        entity,
        body: EventBody::CampaignDeclared(campaign),
    };
    Ok(store.append_local(ledger, now_ms, vec![draft])?.remove(0))
}

/// A screening the campaign counted, as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedScreening {
    pub id: Uuid,
    pub record: Screening,
}

/// One campaign with its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignView {
    pub id: Uuid,
    pub record: Campaign,
    /// 未开始, 进行中, 已结束.
    pub phase: String,
    pub declared_by: String,
    pub declared_on: NaiveDate,
    pub tally: CampaignTally,
    /// Each village's name from the 名录, in the tally's order.
    pub village_names: Vec<String>,
    pub counted: Vec<CountedScreening>,
}

fn view_of(
    store: &Store,
    id: Uuid,
    state: sanji_domain::fold::CampaignState,
    today: NaiveDate,
) -> Result<CampaignView, NodeError> {
    let c = &state.record;
    let days = TermRange::days(c.from, c.to);
    let me = store.node();
    let mut counted = Vec::new();
    for e in store.entities_where(IndexName::ScreeningDay, &days)? {
        if let EntityState::Screening(s) = e.state
            && s.record.village.is_under(me)
            && c.counts(&s.record)
        {
            counted.push(CountedScreening {
                id: e.id,
                record: s.record,
            });
        }
    }
    counted.sort_by(|a, b| {
        (a.record.screened_on, &a.record.village).cmp(&(b.record.screened_on, &b.record.village))
    });
    let zero: Vec<ZeroReport> = store
        .entities_where(IndexName::ZeroReportDay, &days)?
        .into_iter()
        .filter_map(|e| match e.state {
            EntityState::ZeroReport(z) => Some(z.record),
            _ => None,
        })
        .collect();
    let names = crate::directory::Directory::new(store.clone()).listing()?;
    let villages: Vec<_> = names.villages.iter().map(|p| p.code.clone()).collect();
    let tally = tally(c, &villages, counted.iter().map(|s| &s.record), &zero);
    Ok(CampaignView {
        id,
        phase: c.phase(today).to_owned(),
        declared_by: state.recorded.author.clone(),
        declared_on: cst_date(state.recorded.hlc.wall_ms),
        village_names: names.villages.iter().map(|p| p.name.clone()).collect(),
        tally,
        counted,
        record: state.record,
    })
}

/// One campaign, counted on `today`.
pub fn campaign(store: &Store, id: Uuid, today: NaiveDate) -> Result<CampaignView, NodeError> {
    match store.entity(id)?.map(|e| e.state) {
        Some(EntityState::Campaign(state)) => view_of(store, id, state, today),
        _ => Err(NodeError::NotFound(format!("专项排查 {id}"))),
    }
}

/// Every campaign, the latest first, each counted on `today`.
pub fn campaigns(store: &Store, today: NaiveDate) -> Result<Vec<CampaignView>, NodeError> {
    let mut out = Vec::new();
    for e in store.entities_of(EntityKind::Campaign)? {
        if let EntityState::Campaign(state) = e.state {
            out.push(view_of(store, e.id, state, today)?);
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse((c.record.from, c.id)));
    Ok(out)
}
