//! The clerk's pages on the village station service (`sanji station
//! serve`): the same stylesheet, form fields and field errors as the
//! township console, over the station's own request layer
//! ([`sanji_node::station_api`]) instead of the hub's operator layer.
//!
//! Who gets in: a browser opened through a one-time ticket
//! (`sanji station open`, the Start-menu shortcut), which only a program
//! that can read the data folder's `serve.json` can ask for. The ticket is
//! exchanged for an `HttpOnly; SameSite=Strict` session cookie, and every
//! form that changes anything carries the session's CSRF token back.

use std::collections::HashMap;
use std::sync::Mutex;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use sanji_node::NodeError;
use sanji_node::station::StationStatus;
use sanji_node::station_api::{StationReply, StationRequest};

use crate::session::token;
use crate::station::StationHost;

mod home;
mod sync;

pub const STATION_COOKIE: &str = "sanji_station";
/// How long a ticket from `sanji station open` may wait to be used.
const TICKET_MS: u64 = 60_000;

/// Tickets not yet used, and the browsers signed in with one.
#[derive(Default)]
pub struct BrowserSessions {
    tickets: Mutex<HashMap<String, u64>>,
    /// Session id → its CSRF token. They last as long as the service runs:
    /// the page is the clerk's own, on the clerk's own computer.
    open: Mutex<HashMap<String, String>>,
}

impl BrowserSessions {
    /// A ticket good for one use within a minute.
    pub fn mint(&self, now_ms: u64) -> String {
        let ticket = token();
        let mut tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        tickets.retain(|_, expires| *expires > now_ms);
        tickets.insert(ticket.clone(), now_ms + TICKET_MS);
        ticket
    }

    /// A new session for the browser that brought `ticket`, if it is live;
    /// the ticket is spent either way.
    fn redeem(&self, ticket: &str, now_ms: u64) -> Option<String> {
        let expires = self
            .tickets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(ticket)?;
        (expires > now_ms).then(|| {
            let id = token();
            self.open
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id.clone(), token());
            id
        })
    }

    fn csrf_of(&self, session: &str) -> Option<String> {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(session)
            .cloned()
    }
}

/// The browser of the clerk, signed in through a ticket. A handler taking
/// a `Clerk` is never reached without one.
pub struct Clerk {
    pub csrf: String,
}

impl Clerk {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), StationPageError> {
        match sent {
            Some(token)
                if crate::session::constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) =>
            {
                Ok(())
            }
            _ => Err(StationPageError::Csrf),
        }
    }
}

impl FromRequestParts<StationHost> for Clerk {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        host: &StationHost,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        jar.get(STATION_COOKIE)
            .and_then(|c| host.browsers().csrf_of(c.value()))
            .map(|csrf| Clerk { csrf })
            .ok_or_else(|| {
                (
                    StatusCode::UNAUTHORIZED,
                    Html(crate::pages::error_page(
                        StatusCode::UNAUTHORIZED,
                        "请从「开始」菜单的「sanji 村工作站」打开本页(或在本机运行 sanji station open):本页只对本机打开它的人开放",
                    )),
                )
                    .into_response()
            })
    }
}

/// Why a station page could not be shown, as a page the clerk can read.
#[derive(Debug, thiserror::Error)]
pub enum StationPageError {
    #[error("表单已过期或不是从本站的页面提交的,请返回刷新页面后重新填写")]
    Csrf,
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("页面无法生成:{0}")]
    Render(#[from] askama::Error),
}

impl IntoResponse for StationPageError {
    fn into_response(self) -> Response {
        let status = match &self {
            StationPageError::Csrf => StatusCode::FORBIDDEN,
            StationPageError::Node(NodeError::NotFound(_)) => StatusCode::NOT_FOUND,
            StationPageError::Node(NodeError::Invalid(_)) => StatusCode::BAD_REQUEST,
            StationPageError::Node(NodeError::Refused(_) | NodeError::StepRefused(_)) => {
                StatusCode::CONFLICT
            }
            StationPageError::Node(_) | StationPageError::Render(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "本站网页出错");
        }
        (
            status,
            Html(crate::pages::error_page(status, &self.to_string())),
        )
            .into_response()
    }
}

/// What every station page's frame shows: which village, the sync bar.
pub struct StationFrame {
    pub code: String,
    pub clerk: String,
    pub csrf: String,
    pub active: &'static str,
    /// `None` while the store waits for its passphrase.
    pub status: Option<StationStatus>,
}

impl StationFrame {
    pub(crate) async fn of(
        host: &StationHost,
        clerk: &Clerk,
        active: &'static str,
    ) -> Result<StationFrame, StationPageError> {
        let status = if host.is_locked().await {
            None
        } else {
            match host.handle(StationRequest::Status).await? {
                StationReply::Status { status } => Some(*status),
                other => return Err(unexpected(&other)),
            }
        };
        Ok(StationFrame {
            code: host.config().code.to_string(),
            clerk: host.config().default_author.clone().unwrap_or_default(),
            csrf: clerk.csrf.clone(),
            active,
            status,
        })
    }

    /// The bar's words about sync: never contacted, last success, or the
    /// last failure.
    pub fn sync_line(&self) -> String {
        let Some(status) = &self.status else {
            return "本站数据已加密,输入口令后才能使用".into();
        };
        match &status.last_sync {
            None => "尚未与镇中心同步过".into(),
            Some(last) => match (&last.error, last.succeeded_ms) {
                (None, Some(ok)) => format!("已联网 · 上次同步 {}", minute(ok)),
                (Some(_), Some(ok)) if last.interrupted => {
                    format!("上次同步被中断 · 最后成功 {}", minute(ok))
                }
                (Some(_), Some(ok)) => format!("离线 · 最后联系 {}", minute(ok)),
                (Some(_), None) if last.interrupted => "上次同步被中断,尚未成功同步过".into(),
                _ => "离线 · 尚未成功同步过".into(),
            },
        }
    }

    pub fn online(&self) -> bool {
        self.status
            .as_ref()
            .and_then(|s| s.last_sync.as_ref())
            .is_some_and(|l| l.error.is_none() && l.succeeded_ms.is_some())
    }

    pub fn pending(&self) -> u64 {
        self.status.as_ref().map_or(0, |s| s.pending)
    }
}

/// A time as the clerk reads it, to the minute, China Standard Time.
pub(crate) fn minute(ms: u64) -> String {
    sanji_domain::time::format_cst(ms)
}

/// Tickets and today's date follow the computer's own clock.
pub(crate) fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub(crate) fn unexpected(reply: &StationReply) -> StationPageError {
    StationPageError::Node(NodeError::Internal(format!(
        "本站服务的答复不是所问的:{reply:?}"
    )))
}

pub(crate) fn page(template: impl Template) -> Result<Response, StationPageError> {
    Ok(Html(template.render()?).into_response())
}

/// Every page of the station, for [`StationHost::router`].
pub fn router() -> Router<StationHost> {
    Router::new()
        .route("/open", get(open))
        .merge(home::routes())
        .merge(sync::routes())
        .route("/static/app.css", get(crate::pages::stylesheet))
}

#[derive(serde::Deserialize)]
struct Ticket {
    ticket: Option<String>,
}

/// Exchanges a ticket for a session cookie, then shows the home page.
async fn open(State(host): State<StationHost>, Query(ticket): Query<Ticket>) -> Response {
    let now = wall_clock_ms();
    match ticket.ticket.and_then(|t| host.browsers().redeem(&t, now)) {
        Some(session) => {
            let cookie = Cookie::build((STATION_COOKIE, session))
                .http_only(true)
                .same_site(SameSite::Strict)
                .path("/")
                .build();
            (CookieJar::new().add(cookie), Redirect::to("/")).into_response()
        }
        None => {
            tracing::warn!("拒绝了无效或已用过的打开本站网页的凭据");
            (
                StatusCode::UNAUTHORIZED,
                Html(crate::pages::error_page(
                    StatusCode::UNAUTHORIZED,
                    "这个打开本站网页的链接已用过或已过期(一分钟内有效,只能用一次):请从「开始」菜单的「sanji 村工作站」重新打开",
                )),
            )
                .into_response()
        }
    }
}
