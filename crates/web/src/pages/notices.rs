//! 交办、督办、销案通知书: the notices the center issued in a year, each with
//! its number and its receipt (回执), downloadable as one table; and each
//! notice as the A4 sheet that goes to the unit, with the receipt to tear off.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::response::Response;
use axum::routing::get;
use chrono::Datelike;
use sanji_domain::Labelled;
use sanji_domain::register::Book;
use sanji_domain::time::cst_date;
use sanji_node::NodeError;
use sanji_node::export;
use sanji_node::notices::{NOTICE_BOOKS, Notice, NoticeBook, Receipt};
use sanji_node::ops::{CaseView, Query};
use uuid::Uuid;

use crate::session::Person;
use crate::{Console, PageError};

use super::register::asked_year;
use super::reports::download;
use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/notices", get(list))
        .route("/notices/{event}", get(sheet))
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    frame: Frame,
    year: i32,
    years: Vec<i32>,
    book: &'static str,
    title: &'static str,
    /// (identifier, name) of each kind of notice, for the tabs.
    books: Vec<(&'static str, &'static str)>,
    notices: Vec<Notice>,
    waiting_receipt: usize,
}

fn book_asked(asked: &HashMap<String, String>) -> Result<Book, PageError> {
    match asked.get("book").map(|b| b.trim()) {
        None | Some("") => Ok(Book::Dispatch),
        Some(text) => Ok(sanji_node::notices::parse_book(text)?),
    }
}

async fn list(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    let year = asked_year(&console, &asked)?;
    let which = book_asked(&asked)?;
    let book: NoticeBook = query(
        &console,
        Query::Notices {
            year,
            book: which.id().to_owned(),
        },
    )
    .await?;
    if let Some(format) = asked.get("format") {
        return download(
            &export::notices_table(&book),
            &format!("{}-{}-{}", which.label(), console.operations().node(), year),
            format,
        );
    }
    let this_year = cst_date(console.operations().now_ms()).year();
    page(NoticesPage {
        frame: Frame::of(&console, &person, "cases"),
        year,
        years: (this_year - 2..=this_year).rev().collect(),
        book: which.id(),
        title: which.label(),
        books: NOTICE_BOOKS.iter().map(|b| (b.id(), b.label())).collect(),
        waiting_receipt: book
            .notices
            .iter()
            .filter(|n| n.receipt == Receipt::Waiting)
            .count(),
        notices: book.notices,
    })
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticeSheet {
    notice: Notice,
    /// 信访及矛盾纠纷排查调处交办通知书.
    title: String,
    /// What the notice asks of its addressee, in a sentence.
    body: String,
    unit: String,
    date: String,
    back: String,
}

/// The sentence of the notice: what is handed over, pressed or closed.
fn body_of(n: &Notice) -> String {
    let case = n
        .case_number
        .as_deref()
        .map(|c| format!("{c} 号案件"))
        .unwrap_or_else(|| "该案件".to_owned());
    let by = |d: Option<chrono::NaiveDate>| {
        d.map(|d| format!("于 {d} 前"))
            .unwrap_or_else(|| "尽快".to_owned())
    };
    match n.book {
        Book::Dispatch => format!(
            "现将{}反映的{}事项({case})交你单位办理。请按照「谁主管、谁负责」的原则,{}办结,如期反馈调处结果,并移交相关档案。",
            n.parties,
            n.category,
            by(n.deadline)
        ),
        Book::Supervision => format!(
            "你单位承办的{case}尚未办结,现予督办:{}。请抓紧办理,{}将办理情况反馈镇中心。",
            n.note.trim_end_matches(['。', '.']),
            by(n.deadline)
        ),
        _ => format!(
            "{case}已办结{},经回访,现予销案归档{}。",
            n.outcome
                .as_deref()
                .map(|o| format!("({o})"))
                .unwrap_or_default(),
            n.archive_number
                .as_deref()
                .map(|a| format!(",档案号 {a}"))
                .unwrap_or_default()
        ),
    }
}

async fn sheet(
    State(console): State<Console>,
    person: Person,
    Path(event): Path<String>,
) -> Result<Response, PageError> {
    let event = Uuid::parse_str(event.trim())
        .map_err(|_| PageError::NotFound(format!("通知书 {event}")))?;
    let notice: Notice = query(&console, Query::Notice { event }).await?;
    // A unit's staff print the notices of the cases they handle; the
    // center's staff print any.
    if person.account.sees_ledgers().is_err() {
        let view: CaseView = query(
            &console,
            Query::Case {
                case: notice.case.to_string(),
            },
        )
        .await?;
        if !person.account.sees(&view.file) {
            return Err(NodeError::Forbidden("本通知书不是发给本单位的,无权查看".into()).into());
        }
    }
    let frame = Frame::of(&console, &person, "");
    page(NoticeSheet {
        title: format!("信访及矛盾纠纷排查调处{}", notice.book.label()),
        body: body_of(&notice),
        unit: frame.node_title.to_owned(),
        date: notice.issued_on.format("%Y 年 %-m 月 %-d 日").to_string(),
        back: format!("/cases/{}", notice.case),
        notice,
    })
}
