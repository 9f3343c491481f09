//! 自查评分: at the hub, the self-assessment of a half-year or a year —
//! what the ledgers prove scored with its evidence, the rest scored by the
//! director with a note, filed to the county; at the county, each
//! township's filed sheet.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sanji_domain::assessment::{AssessmentSheet, HandScore, ITEMS, Proof, parse_points, points};
use sanji_domain::report::Period;
use sanji_domain::time::{cst_date, format_cst};
use sanji_domain::{Code, FieldError, Level};
use sanji_node::assessment::{AssessmentView, FILE_ROLES};
use sanji_node::ops::{Action, Query};

use crate::session::Person;
use crate::{Console, PageError};

use super::forms::{form_status, posted_text, take_form_action};
use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/assessment", get(sheet).post(file))
        .route("/assessments", get(county_table))
        .route("/assessments/{township}", get(township_sheet))
}

/// The half-years and years a sheet may be asked for: this one and the last of each.
fn periods(console: &Console) -> Vec<(String, String)> {
    let today = cst_date(console.operations().now_ms());
    let half = Period::HalfYear {
        year: 2000,
        half: 1,
    }
    .same_kind_at(today);
    let year = Period::Year { year: 2000 }.same_kind_at(today);
    [half, half.previous(), year, year.previous()]
        .iter()
        .map(|p| (p.to_string(), p.label()))
        .collect()
}

fn period_asked(console: &Console, asked: &HashMap<String, String>) -> String {
    match asked.get("period").map(|p| p.trim()) {
        None | Some("") => periods(console).remove(0).0,
        Some(p) => p.to_owned(),
    }
}

/// One line of the sheet as the page draws it.
pub struct Line {
    pub id: &'static str,
    pub section: String,
    /// The section's first line carries its name.
    pub first_of_section: bool,
    pub text: String,
    pub max: String,
    pub score: String,
    pub proven: bool,
    /// Met (ledger items): the evidence is shown green, else red.
    pub met: bool,
    pub note: String,
    /// What the form shows in the score box (hand items).
    pub typed: String,
}

fn lines_of(sheet: &AssessmentSheet, posted: Option<&HashMap<String, String>>) -> Vec<Line> {
    let mut last = String::new();
    sheet
        .items
        .iter()
        .zip(ITEMS)
        .map(|(s, item)| {
            let first = s.section != last;
            last = s.section.clone();
            let typed = posted
                .and_then(|p| p.get(item.id).cloned())
                .unwrap_or_else(|| {
                    if s.proven {
                        String::new()
                    } else {
                        points(s.tenths)
                    }
                });
            let note = match (posted, s.proven) {
                (Some(p), false) => p
                    .get(&format!("{}_note", item.id))
                    .cloned()
                    .unwrap_or_default(),
                _ => s.note.clone(),
            };
            Line {
                id: item.id,
                section: s.section.clone(),
                first_of_section: first,
                text: s.text.clone(),
                max: points(s.max_tenths),
                score: points(s.tenths),
                proven: s.proven,
                met: s.tenths == s.max_tenths,
                note,
                typed,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "assessment.html")]
struct SheetPage {
    frame: Frame,
    periods: Vec<(String, String)>,
    period: String,
    label: String,
    lines: Vec<Line>,
    total: String,
    grade: &'static str,
    bonus: String,
    bonus_note: String,
    /// 已于 … 上报(第 N 次), when filed.
    filed: Option<String>,
    may_file: bool,
    error: Option<String>,
    done: bool,
}

async fn render(
    console: &Console,
    person: &Person,
    period: String,
    posted: Option<&HashMap<String, String>>,
    error: Option<FieldError>,
    done: bool,
) -> Result<Response, PageError> {
    person.account.sees_ledgers()?;
    if console.operations().node().level() != Level::Township {
        return Err(PageError::NotFound(
            "自查评分由乡镇中心填报;县里在「各镇自查评分」查看".into(),
        ));
    }
    let view: AssessmentView = query(
        console,
        Query::Assessment {
            period: period.clone(),
        },
    )
    .await?;
    let parsed = Period::parse(&period).map_err(sanji_node::NodeError::from)?;
    let sheet = &view.now;
    let body = page(SheetPage {
        frame: Frame::of(console, person, "report"),
        periods: periods(console),
        label: parsed.label(),
        lines: lines_of(sheet, posted),
        total: points(sheet.total_tenths),
        grade: sheet.grade(),
        bonus: posted
            .map(|p| posted_text(p, "bonus").to_owned())
            .unwrap_or_else(|| {
                if sheet.bonus_tenths > 0 {
                    points(sheet.bonus_tenths)
                } else {
                    String::new()
                }
            }),
        bonus_note: posted
            .map(|p| posted_text(p, "bonus_note").to_owned())
            .unwrap_or_else(|| sheet.bonus_note.clone()),
        filed: view.filed.as_ref().map(|f| {
            format!(
                "已上报县里(第 {} 次),上报时得分 {} 分",
                f.revision,
                points(f.total_tenths)
            )
        }),
        may_file: FILE_ROLES.contains(&person.account.role),
        error: error.as_ref().map(|e| e.rule.clone()),
        done,
        period,
    })?;
    Ok((form_status(&error), body).into_response())
}

async fn sheet(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let period = period_asked(&console, &asked);
    render(
        &console,
        &person,
        period,
        None,
        None,
        asked.contains_key("done"),
    )
    .await
}

/// The hand scores as posted: a blank score is no score.
fn hand_of(posted: &HashMap<String, String>) -> Result<(Vec<HandScore>, u32, String), FieldError> {
    let mut hand = Vec::new();
    for item in ITEMS.iter().filter(|i| i.proof == Proof::Hand) {
        let typed = posted_text(posted, item.id);
        if typed.is_empty() {
            continue;
        }
        hand.push(HandScore {
            item: item.id.to_owned(),
            tenths: parse_points(item.id, typed)?,
            note: posted_text(posted, &format!("{}_note", item.id)).to_owned(),
        });
    }
    let bonus = match posted_text(posted, "bonus") {
        "" => 0,
        typed => parse_points("bonus", typed)?,
    };
    Ok((hand, bonus, posted_text(posted, "bonus_note").to_owned()))
}

async fn file(
    State(console): State<Console>,
    person: Person,
    Form(mut posted): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    person.check_csrf(posted.remove("csrf").as_deref())?;
    person.account.sees_ledgers()?;
    let period = posted_text(&posted, "period").to_owned();
    let action = hand_of(&posted).map(|(hand, bonus_tenths, bonus_note)| Action::FileAssessment {
        period: period.clone(),
        hand,
        bonus_tenths,
        bonus_note,
    });
    take_form_action(
        &console,
        &person,
        action,
        |_| format!("/assessment?period={period}&done=1"),
        async |e| {
            render(
                &console,
                &person,
                period.clone(),
                Some(&posted),
                Some(e),
                false,
            )
            .await
        },
    )
    .await
}

/// (township code, its name, the filed sheet's total, grade and revision).
type TownshipLine = (String, String, Option<(String, &'static str, u32)>);

#[derive(Template)]
#[template(path = "assessments.html")]
struct CountyPage {
    frame: Frame,
    periods: Vec<(String, String)>,
    period: String,
    rows: Vec<TownshipLine>,
}

fn county_only(console: &Console, person: &Person) -> Result<(), PageError> {
    person.account.sees_ledgers()?;
    if console.operations().node().level() != Level::County {
        return Err(PageError::NotFound("各镇自查评分在县里查看".into()));
    }
    Ok(())
}

async fn county_table(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    county_only(&console, &person)?;
    let period = period_asked(&console, &asked);
    let sheets: Vec<(Code, Option<AssessmentSheet>)> = query(
        &console,
        Query::Assessments {
            period: period.clone(),
        },
    )
    .await?;
    let names = super::names(&console).await?;
    page(CountyPage {
        frame: Frame::of(&console, &person, "county-report"),
        periods: periods(&console),
        rows: sheets
            .into_iter()
            .map(|(code, sheet)| {
                (
                    code.to_string(),
                    names.place_label(&code),
                    sheet.map(|s| (points(s.total_tenths), s.grade(), s.revision)),
                )
            })
            .collect(),
        period,
    })
}

#[derive(Template)]
#[template(path = "assessment_filed.html")]
struct FiledPage {
    frame: Frame,
    township: String,
    label: String,
    period: String,
    lines: Vec<Line>,
    total: String,
    grade: &'static str,
    bonus: String,
    bonus_note: String,
    revision: u32,
    filed_at: String,
}

async fn township_sheet(
    State(console): State<Console>,
    person: Person,
    Path(township): Path<String>,
    UrlQuery(asked): UrlQuery<HashMap<String, String>>,
) -> Result<Response, PageError> {
    county_only(&console, &person)?;
    let period = period_asked(&console, &asked);
    let code =
        Code::parse(&township).map_err(|_| PageError::NotFound(format!("乡镇 {township}")))?;
    let (sheet, at_ms): (AssessmentSheet, u64) = query(
        &console,
        Query::TownshipAssessment {
            township: code.to_string(),
            period: period.clone(),
        },
    )
    .await?;
    let names = super::names(&console).await?;
    let parsed = Period::parse(&period).map_err(sanji_node::NodeError::from)?;
    page(FiledPage {
        frame: Frame::of(&console, &person, "county-report"),
        township: names.place_label(&code),
        label: parsed.label(),
        lines: lines_of(&sheet, None),
        total: points(sheet.total_tenths),
        grade: sheet.grade(),
        bonus: points(sheet.bonus_tenths),
        bonus_note: sheet.bonus_note.clone(),
        revision: sheet.revision,
        filed_at: format_cst(at_ms),
        period,
    })
}
