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
use sanji_domain::{FieldError, Labelled};
use sanji_node::NodeError;
use sanji_node::directory::{Listing, Place};
use sanji_node::station::StationStatus;
use sanji_node::station_api::{StationReply, StationRequest};
use sanji_node::views::{CaseRow, ScreeningRow, VisitRow, ZeroReportRow};

use crate::pages::forms::{Field, mark};
use crate::session::token;
use crate::station::StationHost;

mod cases;
mod home;
mod print;
mod screenings;
mod sync;
mod visits;

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
        let clerk = jar.get(STATION_COOKIE)
            .and_then(|c| host.browsers().csrf_of(c.value()))
            .map(|csrf| Clerk { csrf })
            .ok_or_else(|| {
                (
                    StatusCode::UNAUTHORIZED,
                    Html(crate::pages::error_page(
                        StatusCode::UNAUTHORIZED,
                        &format!(
                            "请从「开始」菜单或桌面上的「{}」打开本页(或在本机运行 sanji station open):本页只对本机打开它的人开放",
                            crate::station::SHORTCUT_NAME
                        ),
                    )),
                )
                    .into_response()
            })?;
        // While the store waits for its passphrase, every page but the
        // prompt sends the clerk to the prompt.
        if host.is_locked().await && !matches!(parts.uri.path(), "/" | "/unlock") {
            return Err(Redirect::to("/").into_response());
        }
        Ok(clerk)
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

/// A refused form, `template`, answered 422 (or 403 for a refusal of who asked).
pub(crate) fn refused_page(
    status: StatusCode,
    template: impl Template,
) -> Result<Response, StationPageError> {
    Ok((status, Html(template.render()?)).into_response())
}

/// Why a record was not stored, as its form shows it: a field the domain
/// named (beside that field, 422), a refusal (above the form, 403); any
/// other failure is the page's own error.
pub(crate) fn rejection(error: NodeError) -> Result<(StatusCode, FieldError), StationPageError> {
    match error {
        NodeError::Invalid(e) => Ok((StatusCode::UNPROCESSABLE_ENTITY, e)),
        NodeError::Refused(why) | NodeError::Forbidden(why) => {
            Ok((StatusCode::FORBIDDEN, FieldError::new("", why)))
        }
        other => Err(other.into()),
    }
}

/// What a record form says around its fields.
pub(crate) struct FormText {
    pub title: &'static str,
    /// Its `data-page`.
    pub page_id: &'static str,
    pub action: String,
    pub intro: String,
    pub button: &'static str,
    pub back: &'static str,
}

/// A record form of the station's pages: its fields, the error the domain
/// gave (beside its field, else above the form), and the names of the
/// station's records offered to the name fields.
#[derive(Template)]
#[template(path = "station/form.html")]
pub(crate) struct RecordForm {
    pub frame: StationFrame,
    pub text: FormText,
    pub fields: Vec<Field>,
    pub error: Option<String>,
    pub people: Vec<String>,
}

impl RecordForm {
    pub(crate) async fn of(
        host: &StationHost,
        frame: StationFrame,
        text: FormText,
        mut fields: Vec<Field>,
        error: Option<FieldError>,
    ) -> Result<RecordForm, StationPageError> {
        for f in fields
            .iter_mut()
            .filter(|f| ["party", "others"].contains(&f.name))
        {
            f.list = "people";
        }
        let error = mark(&mut fields, error);
        Ok(RecordForm {
            people: Ledgers::read(host, true, true, true).await?.people(),
            frame,
            text,
            fields,
            error,
        })
    }
}

/// Stores what a form posted, as `request` (the station's checks run
/// there), and goes to the record's page, `saved_at(entity)`; refused, the
/// form again (`form_again`) with the error and what was typed.
pub(crate) async fn store_record(
    host: &StationHost,
    request: Result<StationRequest, FieldError>,
    saved_at: impl FnOnce(uuid::Uuid) -> String,
    form_again: impl AsyncFnOnce(FieldError) -> Result<RecordForm, StationPageError>,
) -> Result<Response, StationPageError> {
    let stored = match request {
        Ok(request) => host.handle(request).await,
        Err(e) => Err(NodeError::Invalid(e)),
    };
    match stored {
        Ok(StationReply::Recorded { event }) => {
            Ok(Redirect::to(&saved_at(event.entity)).into_response())
        }
        Ok(other) => Err(unexpected(&other)),
        Err(e) => {
            let (status, e) = rejection(e)?;
            refused_page(status, form_again(e).await?)
        }
    }
}

/// What the station holds, each list only when asked for.
pub(crate) struct Ledgers {
    pub screenings: Vec<ScreeningRow>,
    pub visits: Vec<VisitRow>,
    pub cases: Vec<CaseRow>,
    /// Read with the screenings: the rounds that found nothing.
    pub zero_reports: Vec<ZeroReportRow>,
}

impl Ledgers {
    pub(crate) async fn read(
        host: &StationHost,
        screenings: bool,
        visits: bool,
        cases: bool,
    ) -> Result<Ledgers, StationPageError> {
        let request = StationRequest::List {
            screenings,
            visits,
            cases,
            zero_reports: screenings,
        };
        match host.handle(request).await? {
            StationReply::Lists {
                screenings,
                visits,
                cases,
                zero_reports,
            } => Ok(Ledgers {
                screenings,
                visits,
                cases,
                zero_reports,
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// Everyone named in the station's records, once each: what a name
    /// field offers as the clerk types (the page's `<datalist id="people">`).
    pub(crate) fn people(&self) -> Vec<String> {
        let names: std::collections::BTreeSet<&str> = self
            .screenings
            .iter()
            .flat_map(|s| s.parties.iter())
            .chain(self.visits.iter().map(|v| &v.visitor))
            .chain(self.cases.iter().flat_map(|c| c.parties.iter()))
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .collect();
        names.into_iter().map(str::to_owned).collect()
    }
}

/// The names a station page gives codes: its own village is 本村 (a
/// station keeps no directory; the township's names stay at the hub).
pub(crate) fn names(host: &StationHost) -> Listing {
    Listing {
        villages: vec![Place {
            code: host.config().code.clone(),
            name: "本村".into(),
        }],
        ..Listing::default()
    }
}

/// Whether `text` (the search box) is found in any of `fields`; an empty
/// search finds everything.
pub(crate) fn found_in<'a>(text: &str, fields: impl IntoIterator<Item = &'a str>) -> bool {
    let text = text.trim();
    text.is_empty() || fields.into_iter().any(|f| f.contains(text))
}

/// A drop-down filter's value, if it names one of `T`'s values.
pub(crate) fn chosen<T: Labelled>(id: &Option<String>) -> Option<T> {
    T::ALL
        .iter()
        .copied()
        .find(|v| Some(v.id()) == id.as_deref())
}

/// `T`'s values as a filter's choices, with the one chosen.
pub(crate) fn filter_choices<T: Labelled>() -> Vec<(&'static str, &'static str)> {
    T::ALL.iter().map(|v| (v.id(), v.label())).collect()
}

/// Every page of the station, for [`StationHost::router`].
pub fn router() -> Router<StationHost> {
    Router::new()
        .route("/open", get(open))
        .merge(home::routes())
        .merge(sync::routes())
        .merge(screenings::routes())
        .merge(visits::routes())
        .merge(cases::routes())
        .merge(print::routes())
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
                    &format!(
                        "这个打开本站网页的链接已用过或已过期(一分钟内有效,只能用一次):请从「开始」菜单或桌面上的「{}」重新打开",
                        crate::station::SHORTCUT_NAME
                    ),
                )),
            )
                .into_response()
        }
    }
}
