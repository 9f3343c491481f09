//! 同步: the clerk's button starts a round; the page follows it (a bar of
//! what the hub has confirmed, reloading itself each second while the round
//! runs, no script), then says how it ended and what arrived, in words.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};

use super::{Clerk, StationFrame, StationPageError, minute, page};
use crate::station::StationHost;

pub(super) fn routes() -> Router<StationHost> {
    Router::new().route("/sync", get(show).post(start))
}

#[derive(Template)]
#[template(path = "station/sync.html")]
struct SyncPage {
    frame: StationFrame,
    running: bool,
    acked: u64,
    recorded: u64,
    /// How the last attempt ended, in a sentence.
    outcome: String,
    failed: bool,
    /// What the last successful round brought (empty: nothing new).
    arrived: Vec<String>,
    nothing_new: &'static str,
    /// The latest news, newest first: (when, line).
    recent: Vec<(String, String)>,
}

async fn show(State(host): State<StationHost>, clerk: Clerk) -> Result<Response, StationPageError> {
    let running = host.is_syncing();
    let frame = StationFrame::of(&host, &clerk, "sync").await?;
    let (acked, recorded, last) = frame.status.as_ref().map_or((0, 0, None), |s| {
        (s.acked_by_hub, s.events_recorded, s.last_sync.clone())
    });
    let (outcome, failed) = match &last {
        None => ("本站还没有与镇中心同步过".to_owned(), false),
        Some(l) => match (&l.error, l.interrupted) {
            (None, _) => (
                format!(
                    "{} 同步成功:本站 {recorded} 条记录,镇中心已确认 {acked} 条",
                    minute(l.succeeded_ms.unwrap_or(l.attempted_ms))
                ),
                false,
            ),
            (Some(e), true) => (
                format!(
                    "{} 的同步被中断:{e}。已确认的记录不会丢失,其余的下次同步时补上",
                    minute(l.attempted_ms)
                ),
                true,
            ),
            (Some(e), false) => (
                format!(
                    "{} 同步未成功:{e}。本站会自动重试,记录都保存在本机",
                    minute(l.attempted_ms)
                ),
                true,
            ),
        },
    };
    page(SyncPage {
        frame,
        running,
        acked,
        recorded,
        outcome,
        failed,
        arrived: last.as_ref().map(|l| l.arrived.clone()).unwrap_or_default(),
        nothing_new: sanji_domain::arrived::NOTHING_NEW,
        recent: last
            .map(|l| l.recent)
            .unwrap_or_default()
            .into_iter()
            .map(|a| (minute(a.at_ms), a.line))
            .collect(),
    })
}

async fn start(
    State(host): State<StationHost>,
    clerk: Clerk,
    Form(posted): Form<HashMap<String, String>>,
) -> Result<Response, StationPageError> {
    clerk.check_csrf(posted.get("csrf").map(String::as_str))?;
    host.station().await?;
    host.start_sync();
    Ok(Redirect::to("/sync").into_response())
}
