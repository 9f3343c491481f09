//! 站点: each child's sync health as this node last saw it (the village
//! stations at a hub, the township hubs at the county).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use sanji_domain::Level;
use sanji_domain::time::format_cst;
use sanji_node::ops::Query;
use sanji_node::views::{PeerRow, SILENT_AFTER_MS};

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new().route("/stations", get(stations))
}

pub struct Station {
    pub code: String,
    pub last_contact: String,
    pub last_push: String,
    pub last_pull: String,
    pub acked: u64,
    pub pending: u64,
    pub last_error: String,
    /// Set when silent more than three days: what to show instead of nothing.
    pub silent: Option<String>,
}

#[derive(Template)]
#[template(path = "stations.html")]
struct StationsPage {
    frame: Frame,
    children: &'static str,
    silent_days: u64,
    silent: usize,
    stations: Vec<Station>,
}

fn when(ms: Option<u64>) -> String {
    ms.filter(|ms| *ms > 0).map(format_cst).unwrap_or_default()
}

async fn stations(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let now = console.operations().now_ms();
    let peers: Vec<PeerRow> = query(&console, Query::Stations).await?;
    let names = super::names(&console).await?;
    let stations: Vec<Station> = peers
        .into_iter()
        .map(|p| Station {
            silent: p.is_silent(now).then(|| {
                if p.last_contact_ms == 0 {
                    "从未联系".to_owned()
                } else {
                    format!(
                        "已 {} 天未联系",
                        now.saturating_sub(p.last_contact_ms) / 86_400_000
                    )
                }
            }),
            last_contact: when(Some(p.last_contact_ms)),
            last_push: when(p.last_push_ms),
            last_pull: when(p.last_pull_ms),
            acked: p.acked,
            pending: p.pending,
            last_error: p.last_error.unwrap_or_default(),
            code: match sanji_domain::Code::parse(&p.code) {
                Ok(code) => names.place_label(&code),
                Err(_) => p.code,
            },
        })
        .collect();
    page(StationsPage {
        frame: Frame::of(&console, &person, "stations"),
        children: if console.operations().node().level() == Level::County {
            "各乡镇中心"
        } else {
            "各村工作站"
        },
        silent_days: SILENT_AFTER_MS / 86_400_000,
        silent: stations.iter().filter(|s| s.silent.is_some()).count(),
        stations,
    })
}
