//! 导入: a township's old case or screening ledger from Excel or CSV. The
//! page offers a template of each ledger; an uploaded file is checked
//! whole (a dry run of `Operations::import`) and shown as it will be
//! stored, every bad row marked at its column; the file is held on the
//! server for the person who sent it, and 确认导入 imports it again for
//! real, so what is written is checked at that moment, not at the preview.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sanji_node::NodeError;
use sanji_node::import::{self, ImportReport, ImportRequest, LedgerKind, MAX_FILE_BYTES};
use serde::Deserialize;

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, page};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/import", get(start))
        .route("/import/template", get(template))
        .route(
            "/import/preview",
            // A file somewhat over the limit is read and refused in words;
            // one far over it has its connection cut.
            post(preview).layer(DefaultBodyLimit::max(4 * MAX_FILE_BYTES)),
        )
        .route("/import/confirm", post(confirm))
}

/// A file previewed and waiting for 确认导入, one per person.
#[derive(Clone)]
pub(crate) struct Held {
    token: String,
    kind: LedgerKind,
    file_name: String,
    bytes: Vec<u8>,
}

impl Held {
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

pub struct Ledger {
    pub id: &'static str,
    pub label: &'static str,
    pub columns: Vec<ColumnDoc>,
}

pub struct ColumnDoc {
    pub heading: &'static str,
    pub required: bool,
    pub accepts: &'static str,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    frame: Frame,
    ledgers: Vec<Ledger>,
    max_mb: usize,
    chosen: &'static str,
    error: Option<String>,
    report: Option<ImportReport>,
    /// The held file's token, when the preview is good and may be confirmed.
    confirm: Option<String>,
    done: Option<String>,
}

fn ledgers() -> Vec<Ledger> {
    LedgerKind::ALL
        .into_iter()
        .map(|kind| Ledger {
            id: kind.id(),
            label: kind.label(),
            columns: kind
                .columns()
                .iter()
                .map(|c| ColumnDoc {
                    heading: c.heading,
                    required: c.required,
                    accepts: c.accepts,
                })
                .collect(),
        })
        .collect()
}

/// What the page shows besides the ledgers: the answer to what was sent.
struct Shown {
    status: StatusCode,
    chosen: LedgerKind,
    error: Option<String>,
    report: Option<ImportReport>,
    confirm: Option<String>,
    done: Option<String>,
}

impl Shown {
    fn new(status: StatusCode, chosen: LedgerKind) -> Shown {
        Shown {
            status,
            chosen,
            error: None,
            report: None,
            confirm: None,
            done: None,
        }
    }

    fn error(status: StatusCode, chosen: LedgerKind, why: impl Into<String>) -> Shown {
        Shown {
            error: Some(why.into()),
            ..Shown::new(status, chosen)
        }
    }
}

fn import_page(console: &Console, person: &Person, shown: Shown) -> Result<Response, PageError> {
    let body = page(ImportPage {
        frame: Frame::of(console, person, "import"),
        ledgers: ledgers(),
        max_mb: MAX_FILE_BYTES / 1024 / 1024,
        chosen: shown.chosen.id(),
        error: shown.error,
        report: shown.report,
        confirm: shown.confirm,
        done: shown.done,
    })?;
    Ok((shown.status, body).into_response())
}

fn allowed(console: &Console, person: &Person) -> Result<(), PageError> {
    Ok(import::may_import(
        &person.account.actor(),
        console.operations().node(),
    )?)
}

async fn start(State(console): State<Console>, person: Person) -> Result<Response, PageError> {
    allowed(&console, &person)?;
    import_page(
        &console,
        &person,
        Shown::new(StatusCode::OK, LedgerKind::Cases),
    )
}

#[derive(Deserialize)]
struct TemplateQuery {
    kind: String,
    format: String,
}

async fn template(
    State(console): State<Console>,
    person: Person,
    UrlQuery(q): UrlQuery<TemplateQuery>,
) -> Result<Response, PageError> {
    allowed(&console, &person)?;
    let kind = LedgerKind::parse(&q.kind).map_err(NodeError::Invalid)?;
    let table = import::template(kind);
    super::reports::download(&table, &format!("{}导入模板", kind.label()), &q.format)
}

async fn preview(
    State(console): State<Console>,
    person: Person,
    form: Multipart,
) -> Result<Response, PageError> {
    allowed(&console, &person)?;
    let too_large = format!(
        "文件过大,最多 {} MB;请分成几个文件导入",
        MAX_FILE_BYTES / 1024 / 1024
    );
    let upload = match super::forms::read_upload(form, MAX_FILE_BYTES, too_large).await {
        Ok(upload) => upload,
        // The token was in the part that could not be read: nothing is
        // done, only said.
        Err(why) => {
            return import_page(
                &console,
                &person,
                Shown::error(StatusCode::PAYLOAD_TOO_LARGE, LedgerKind::Cases, why),
            );
        }
    };
    person.check_csrf(upload.fields.get("csrf").map(String::as_str))?;
    let kind = LedgerKind::parse(upload.fields.get("kind").map_or("", String::as_str))
        .map_err(NodeError::Invalid)?;
    if upload.file_name.is_empty() && upload.bytes.is_empty() {
        return import_page(
            &console,
            &person,
            Shown::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                kind,
                "请先选择要导入的文件(.xlsx 或 .csv)",
            ),
        );
    }
    let request = ImportRequest {
        kind,
        file_name: upload.file_name.clone(),
        bytes: upload.bytes,
        dry_run: true,
    };
    let held_bytes = request.bytes.clone();
    let report = console
        .operations()
        .import(&person.account.actor(), request)
        .await?;
    let confirm = report.is_good().then(|| {
        let held = Held {
            token: crate::session::token(),
            kind,
            file_name: upload.file_name,
            bytes: held_bytes,
        };
        let token = held.token.clone();
        console.hold_import(&person.account.login, held);
        token
    });
    let status = if report.is_good() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    import_page(
        &console,
        &person,
        Shown {
            report: Some(report),
            confirm,
            ..Shown::new(status, kind)
        },
    )
}

async fn confirm(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    allowed(&console, &person)?;
    let token = posted.remove("token").unwrap_or_default();
    let Some(held) = console.take_import(&person.account.login, &token) else {
        return import_page(
            &console,
            &person,
            Shown::error(
                StatusCode::CONFLICT,
                LedgerKind::Cases,
                "没有待确认的文件(可能已经导入,或已上传了另一个文件);请重新上传",
            ),
        );
    };
    let kind = held.kind;
    let report = console
        .operations()
        .import(
            &person.account.actor(),
            ImportRequest {
                kind,
                file_name: held.file_name,
                bytes: held.bytes,
                dry_run: false,
            },
        )
        .await?;
    let (status, done) = if report.is_good() {
        (StatusCode::OK, Some(report.summary()))
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, None)
    };
    import_page(
        &console,
        &person,
        Shown {
            report: Some(report),
            done,
            ..Shown::new(status, kind)
        },
    )
}
