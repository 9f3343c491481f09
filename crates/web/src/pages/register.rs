//! 受理事项总登记簿: everything the township received, visits and cases, by
//! the number the hub gave each as it arrived; printed on A4 and downloaded
//! as one table.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query as UrlQuery, State};
use axum::response::Response;
use axum::routing::get;
use chrono::Datelike;
use sanji_domain::Level;
use sanji_domain::time::cst_date;
use sanji_node::NodeError;
use sanji_node::export;
use sanji_node::ops::Query;
use sanji_node::register::{Register, RegisterRow};

use crate::session::Person;
use crate::{Console, PageError};

use super::reports::{PrintPage, download, wide};
use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/register", get(list))
        .route("/register/print", get(print))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    frame: Frame,
    year: i32,
    years: Vec<i32>,
    /// Each row with the page it links to: the case, or the visit in its list.
    lines: Vec<(RegisterRow, String)>,
    waiting: usize,
}

/// The year asked (this year by default) and its register, at a township.
async fn register_of(
    console: &Console,
    person: &Person,
    asked: &HashMap<String, String>,
) -> Result<Register, PageError> {
    person.account.sees_ledgers()?;
    if console.operations().node().level() != Level::Township {
        return Err(PageError::NotFound("受理事项总登记簿由乡镇中心登记".into()));
    }
    let year = asked_year(console, asked)?;
    query(console, Query::Register { year }).await
}

/// The `year` a ledger's address asks for: this year when none is given;
/// a year before 2000 or after this one is refused by name.
pub(super) fn asked_year(
    console: &Console,
    asked: &HashMap<String, String>,
) -> Result<i32, PageError> {
    let this_year = cst_date(console.operations().now_ms()).year();
    match asked.get("year").map(|y| y.trim()) {
        None | Some("") => Ok(this_year),
        Some(text) => match text.parse::<i32>() {
            Ok(y) if (2000..=this_year).contains(&y) => Ok(y),
            _ => Err(NodeError::Invalid(sanji_domain::FieldError::new(
                "year",
                format!("年份 {text:?} 不对:应为 2000 至 {this_year} 之间的四位年份"),
            ))
            .into()),
        },
    }
}

async fn list(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let register = register_of(&console, &person, &asked).await?;
    if let Some(format) = asked.get("format") {
        return download(
            &export::register_table(&register),
            &format!(
                "受理事项总登记簿-{}-{}",
                console.operations().node(),
                register.year
            ),
            format,
        );
    }
    let this_year = cst_date(console.operations().now_ms()).year();
    let waiting = register.rows.iter().filter(|r| r.serial.is_none()).count();
    let year = register.year;
    let lines = register
        .rows
        .into_iter()
        .map(|r| {
            let href = match (r.kind.as_str(), r.case) {
                ("case", _) => format!("/cases/{}", r.id),
                (_, Some(case)) => format!("/cases/{case}"),
                _ => format!("/visits#v-{}", r.id),
            };
            (r, href)
        })
        .collect();
    page(RegisterPage {
        frame: Frame::of(&console, &person, "visits"),
        year,
        years: (this_year - 2..=this_year).rev().collect(),
        waiting,
        lines,
    })
}

async fn print(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let register = register_of(&console, &person, &asked).await?;
    let table = export::register_table(&register);
    page(PrintPage {
        period: format!("{} 年,共 {} 件", register.year, register.rows.len()),
        back: format!("/register?year={}", register.year),
        landscape: true,
        wide: Some(wide(&table, |_| "")),
        ..PrintPage::new(&console, &person, "register", "受理事项总登记簿")
    })
}
