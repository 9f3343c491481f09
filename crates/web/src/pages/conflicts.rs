//! 冲突: every event kept but not applied (an offline step that met a record
//! already moved on), with what collided and where the record stands now.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use sanji_domain::time::format_cst;
use sanji_node::ops::Query;
use sanji_node::views::ConflictRow;

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new().route("/conflicts", get(conflicts))
}

pub struct Line {
    pub at: String,
    pub record: String,
    pub href: Option<String>,
    pub attempted: String,
    pub author: String,
    pub from: String,
    pub reason: String,
    pub standing: String,
}

#[derive(Template)]
#[template(path = "conflicts.html")]
struct ConflictsPage {
    frame: Frame,
    lines: Vec<Line>,
}

async fn conflicts(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let rows: Vec<ConflictRow> = query(&console, Query::Conflicts).await?;
    let lines = rows
        .into_iter()
        .rev()
        .map(|r| Line {
            at: format_cst(r.conflict.hlc.wall_ms),
            href: match r.kind.as_str() {
                "case" => Some(format!("/cases/{}", r.entity)),
                "screening" => Some(format!("/screenings/{}", r.entity)),
                "visit" => Some(format!("/visits#v-{}", r.entity)),
                _ => None,
            },
            record: r.record,
            attempted: r.attempted,
            author: r.conflict.author,
            from: r.conflict.event.origin.to_string(),
            reason: r.conflict.reason,
            standing: r.standing,
        })
        .collect();
    page(ConflictsPage {
        frame: Frame::of(&console, &person, "conflicts"),
        lines,
    })
}
