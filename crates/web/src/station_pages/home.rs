//! The station's home page, and the passphrase prompt in its place while
//! the store is sealed.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sanji_node::NodeError;
use serde::Deserialize;

use super::screenings::{ThisWeek, Urgent};
use super::{Clerk, Ledgers, StationFrame, StationPageError, page};
use crate::station::StationHost;
use sanji_domain::reporting::Standing;

pub(super) fn routes() -> Router<StationHost> {
    Router::new()
        .route("/", get(home))
        .route("/unlock", post(unlock))
}

#[derive(Template)]
#[template(path = "station/home.html")]
struct Home {
    frame: StationFrame,
    today: String,
    /// The passphrase was not accepted.
    error: Option<String>,
    /// 本周排查, and why a zero report was refused, if it was.
    week: Option<ThisWeek>,
    zero_error: Option<String>,
    zero_saved: bool,
    /// 重大 and 群体性 screenings the hub does not hold yet: shown until it does.
    urgent: Vec<Urgent>,
    hours: u32,
}

#[derive(Deserialize, Default)]
struct Shown {
    zero: Option<String>,
}

async fn home(
    State(host): State<StationHost>,
    clerk: Clerk,
    Query(shown): Query<Shown>,
) -> Result<Response, StationPageError> {
    render(&host, &clerk, None, shown.zero.is_some()).await
}

/// What the home page was posted and refused.
pub(super) enum Refused {
    Unlock(String),
    ZeroReport(String),
}

pub(super) async fn home_page(
    host: &StationHost,
    clerk: &Clerk,
    refused: Option<Refused>,
) -> Result<Response, StationPageError> {
    render(host, clerk, refused, false).await
}

async fn render(
    host: &StationHost,
    clerk: &Clerk,
    refused: Option<Refused>,
    zero_saved: bool,
) -> Result<Response, StationPageError> {
    let frame = StationFrame::of(host, clerk, "home").await?;
    let mut urgent = Vec::new();
    let mut week = None;
    if frame.status.is_some() {
        let ledgers = Ledgers::read(host, true, false, false).await?;
        for row in &ledgers.screenings {
            if let Some(u) = Urgent::of(host, row, &frame).await?
                && !u.arrived
            {
                urgent.push(u);
            }
        }
        week = Some(ThisWeek::of(&ledgers, host.today()));
    }
    let (error, zero_error) = match refused {
        Some(Refused::Unlock(e)) => (Some(e), None),
        Some(Refused::ZeroReport(e)) => (None, Some(e)),
        None => (None, None),
    };
    page(Home {
        frame,
        today: host.today().to_string(),
        error,
        week,
        zero_error,
        zero_saved,
        urgent,
        hours: host.config().policy.severe_report_hours,
    })
}

async fn unlock(
    State(host): State<StationHost>,
    clerk: Clerk,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, StationPageError> {
    clerk.check_csrf(posted.remove("csrf").as_deref())?;
    let passphrase = posted.remove("passphrase").unwrap_or_default();
    match host.unlock(&passphrase).await {
        Ok(()) => Ok(Redirect::to("/").into_response()),
        Err(e @ NodeError::Internal(_)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "网页上输入的口令未能解锁本站数据");
            home_page(&host, &clerk, Some(Refused::Unlock(e.to_string())))
                .await
                .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response())
        }
    }
}
