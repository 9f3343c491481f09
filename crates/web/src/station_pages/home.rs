//! The station's home page, and the passphrase prompt in its place while
//! the store is sealed.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sanji_node::NodeError;

use super::screenings::Urgent;
use super::{Clerk, Ledgers, StationFrame, StationPageError, page};
use crate::station::StationHost;

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
    error: Option<String>,
    /// 重大 and 群体性 screenings the hub does not hold yet: shown until it does.
    urgent: Vec<Urgent>,
    hours: u32,
}

async fn home(State(host): State<StationHost>, clerk: Clerk) -> Result<Response, StationPageError> {
    home_page(&host, &clerk, None).await
}

async fn home_page(
    host: &StationHost,
    clerk: &Clerk,
    error: Option<String>,
) -> Result<Response, StationPageError> {
    let frame = StationFrame::of(host, clerk, "home").await?;
    let mut urgent = Vec::new();
    if frame.status.is_some() {
        for row in Ledgers::read(host, true, false, false).await?.screenings {
            if let Some(u) = Urgent::of(host, &row, &frame).await?
                && !u.arrived
            {
                urgent.push(u);
            }
        }
    }
    page(Home {
        frame,
        today: host.today().to_string(),
        error,
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
            home_page(&host, &clerk, Some(e.to_string()))
                .await
                .map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response())
        }
    }
}
