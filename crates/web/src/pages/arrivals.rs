//! 新到: the screenings, visits and cases that reached this node since the
//! person last looked, by village. Looking is what marks them seen (kept
//! per account in the node's store).

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use sanji_domain::time::format_cst;
use sanji_domain::{Labelled, Level};
use sanji_node::NodeError;
use sanji_node::views::{ArrivalKind, ArrivalRow};

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, page};

pub(super) fn routes() -> Router<Console> {
    Router::new().route("/arrivals", get(arrivals))
}

pub struct Arrival {
    pub href: String,
    pub kind: &'static str,
    pub on: String,
    pub category: &'static str,
    pub parties: String,
    pub text: String,
    pub recorded: String,
    pub tone: &'static str,
}

/// The arrivals from one ledger (a village, the county, a township).
pub struct Group {
    pub from: String,
    pub counts: String,
    pub items: Vec<Arrival>,
}

#[derive(Template)]
#[template(path = "arrivals.html")]
struct ArrivalsPage {
    frame: Frame,
    first_look: bool,
    total: usize,
    groups: Vec<Group>,
}

fn item(row: &ArrivalRow) -> Arrival {
    Arrival {
        href: match row.kind {
            ArrivalKind::Screening => format!("/screenings/{}", row.entity),
            ArrivalKind::Visit => format!("/visits#v-{}", row.entity),
            ArrivalKind::Case => format!("/cases/{}", row.entity),
        },
        kind: row.kind.label(),
        on: row.on.to_string(),
        category: row.category.label(),
        parties: row.parties.join("、"),
        text: row.text.chars().take(80).collect(),
        recorded: format_cst(row.recorded_at_ms),
        tone: if row.severe { "severe" } else { "" },
    }
}

async fn arrivals(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let (accounts, login) = (console.accounts().clone(), person.account.login.clone());
    let rows = tokio::task::spawn_blocking(move || accounts.arrivals_since_last_look(&login))
        .await
        .map_err(|e| NodeError::Internal(format!("读取新到记录时内部任务失败:{e}")))??;
    let first_look = rows.is_none();
    let rows = rows.unwrap_or_default();
    let mut by_from: BTreeMap<String, Vec<&ArrivalRow>> = BTreeMap::new();
    for row in &rows {
        let from = match row.from.level() {
            Level::Village => format!("{} 村工作站", row.from),
            Level::Township => format!("{} 镇中心", row.from),
            Level::County => format!("县综治办({})", row.from),
        };
        by_from.entry(from).or_default().push(row);
    }
    let groups = by_from
        .into_iter()
        .map(|(from, rows)| {
            let count = |kind| rows.iter().filter(|r| r.kind == kind).count();
            let counts = [
                ArrivalKind::Screening,
                ArrivalKind::Visit,
                ArrivalKind::Case,
            ]
            .into_iter()
            .map(|k| (k.label(), count(k)))
            .filter(|(_, n)| *n > 0)
            .map(|(label, n)| format!("{label} {n}"))
            .collect::<Vec<_>>()
            .join(",");
            Group {
                from,
                counts,
                items: rows.into_iter().map(item).collect(),
            }
        })
        .collect();
    page(ArrivalsPage {
        frame: Frame::of(&console, &person, "arrivals"),
        first_look,
        total: rows.len(),
        groups,
    })
}
