//! 月报表 (the township's month, or at the county every township's row),
//! the township's 阶段汇总 (half a month to a year), 奖惩, their A4 print views, and the `.xlsx`/CSV downloads of these and of
//! the ledgers. Every table comes from `sanji_node::export`, the one place
//! its columns are defined.

use askama::Template;
use axum::Router;
use axum::extract::{Query as UrlQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use sanji_domain::case::{REPORT_ROLES, check_role};
use sanji_domain::report::{Month, MonthlyReport, Period, PeriodSummary, RewardTotal, rules};
use sanji_domain::time::cst_date;
use sanji_domain::{FieldError, Level};
use sanji_node::NodeError;
use sanji_node::export::{self, Cell, Table};
use sanji_node::ops::Query;
use sanji_node::views::{CountyReport, ScreeningRow};
use serde::Deserialize;

use crate::session::Person;
use crate::{Console, PageError};

use super::{Frame, page, query};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .route("/report", get(report))
        .route("/report/print", get(report_print))
        .route("/summary", get(summary))
        .route("/summary/print", get(summary_print))
        .route("/rewards", get(rewards))
        .route("/rewards/print", get(rewards_print))
        .route("/screenings/export", get(screenings_export))
        .route("/reporting", get(reporting))
}

/// The township's figures are for the center's staff and the county only.
fn check_reader(person: &Person, what: &str) -> Result<(), PageError> {
    check_role(what, REPORT_ROLES, person.account.role).map_err(PageError::Forbidden)
}

/// A table as a download: `format` is `xlsx` or `csv`.
pub(super) fn download(table: &Table, stem: &str, format: &str) -> Result<Response, PageError> {
    let (bytes, content_type) = match format {
        "xlsx" => (
            table.to_xlsx()?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "csv" => (table.to_csv()?, "text/csv; charset=utf-8"),
        other => {
            return Err(NodeError::Invalid(FieldError::new(
                "format",
                format!("下载格式 {other:?} 不对,只能是 xlsx(Excel)或 csv"),
            ))
            .into());
        }
    };
    let name = export::file_name(stem, format);
    // Browsers take the UTF-8 name; the plain one is for anything older.
    let plain: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let disposition = format!(
        "attachment; filename=\"sanji{plain}.{format}\"; filename*=UTF-8''{}",
        percent_encode(&name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// RFC 5987's encoding of a header parameter: everything but unreserved bytes as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One block of the report's figures, drawn as rows of a two-column sheet:
/// a group's title beside its headings, or a figure standing alone.
pub struct Section {
    pub title: String,
    pub rows: Vec<(String, String)>,
    pub single: bool,
}

/// A one-row table turned on its side, in two halves that sit side by side
/// (at 1366×768 and on A4 portrait alike).
fn figure_halves(table: &Table) -> Vec<Vec<Section>> {
    let Some(row) = table.rows.first() else {
        return Vec::new();
    };
    let mut sections: Vec<Section> = Vec::new();
    for (heading, cell) in table.headings.iter().zip(row).skip(table.key_columns) {
        let line = (heading.text.clone(), cell.to_string());
        match (heading.group, sections.last_mut()) {
            (Some(g), Some(last)) if !last.single && last.title == g => last.rows.push(line),
            (Some(g), _) => sections.push(Section {
                title: g.to_owned(),
                rows: vec![line],
                single: false,
            }),
            (None, _) => sections.push(Section {
                title: heading.text.clone(),
                rows: vec![line],
                single: true,
            }),
        }
    }
    let total: usize = sections.iter().map(|s| s.rows.len()).sum();
    let mut left = Vec::new();
    let mut taken = 0;
    let mut rest = sections.into_iter().peekable();
    while let Some(s) = rest.next_if(|s| taken + s.rows.len() / 2 < total.div_ceil(2)) {
        taken += s.rows.len();
        left.push(s);
    }
    vec![left, rest.collect()]
}

pub struct TopHeading {
    pub text: String,
    pub colspan: usize,
    pub rowspan: usize,
}

pub struct WideCell {
    pub text: String,
    pub num: bool,
}

pub struct WideRow {
    pub cells: Vec<WideCell>,
    /// `total`, `unfiled`, `zero`, `subtotal` or empty.
    pub tone: &'static str,
}

/// A table drawn as it is: a row per row, the groups over their headings.
pub struct Wide {
    pub top: Vec<TopHeading>,
    pub under: Vec<String>,
    pub rows: Vec<WideRow>,
}

pub(super) fn wide(table: &Table, tone: impl Fn(&[Cell]) -> &'static str) -> Wide {
    let (top, under) = table.header_rows();
    let two_rows = !under.is_empty();
    Wide {
        top: top
            .into_iter()
            .map(|t| TopHeading {
                text: t.text.to_owned(),
                colspan: t.span,
                rowspan: if !t.grouped && two_rows { 2 } else { 1 },
            })
            .collect(),
        under: under.into_iter().map(str::to_owned).collect(),
        rows: table
            .rows
            .iter()
            .map(|row| WideRow {
                tone: tone(row),
                cells: row
                    .iter()
                    .map(|c| WideCell {
                        num: !matches!(c, Cell::Text(_)),
                        text: c.to_string(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// What a month's report is at this node: the township's own, or the
/// county's table of every township.
enum MonthSheet {
    Township(Box<MonthlyReport>),
    County(Box<CountyReport>),
}

impl MonthSheet {
    async fn of(console: &Console, month: Month) -> Result<MonthSheet, PageError> {
        let month = month.to_string();
        Ok(if console.operations().node().level() == Level::County {
            MonthSheet::County(Box::new(query(console, Query::Reports { month }).await?))
        } else {
            MonthSheet::Township(query(console, Query::Report { month }).await?)
        })
    }

    fn table(&self) -> Table {
        match self {
            MonthSheet::Township(r) => export::report_table(r),
            MonthSheet::County(c) => export::county_table(c),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            MonthSheet::Township(_) => "综治信访维稳中心主要工作数据月报表",
            MonthSheet::County(_) => "各乡镇综治信访维稳中心主要工作数据月报表",
        }
    }

    /// The sheet as a page draws it: on its side for one township, as rows
    /// for the county.
    fn drawn(&self, table: &Table) -> (Vec<Vec<Section>>, Option<Wide>) {
        match self {
            MonthSheet::Township(_) => (figure_halves(table), None),
            MonthSheet::County(_) => (
                Vec::new(),
                Some(wide(table, |row| match (&row[0], &row[2]) {
                    (Cell::Text(unit), _) if unit == "合计" => "total",
                    (_, Cell::Text(standing)) if standing == export::UNFILED => "unfiled",
                    (_, Cell::Text(standing)) if standing.starts_with(export::ZERO_REPORT) => {
                        "zero"
                    }
                    _ => "",
                })),
            ),
        }
    }
}

#[derive(Deserialize, Default)]
struct Asked {
    month: Option<String>,
    period: Option<String>,
    format: Option<String>,
}

/// The period asked for, or `fallback` (this month) when none was; a bad
/// one is shown next to its field on a page, and refused for a download.
fn asked_or<T>(
    text: Option<&str>,
    parse: fn(&str) -> Result<T, FieldError>,
    fallback: T,
    downloading: bool,
) -> Result<(T, Option<String>), PageError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok((fallback, None)),
        Some(text) => match parse(text) {
            Ok(value) => Ok((value, None)),
            Err(e) if downloading => Err(NodeError::Invalid(e).into()),
            Err(e) => Ok((fallback, Some(e.rule))),
        },
    }
}

fn this_month(console: &Console) -> Month {
    Month::of(cst_date(console.operations().now_ms()))
}

fn previous(month: Month) -> Month {
    Month::of(
        month
            .first_day()
            .pred_opt()
            .expect("not the first day ever"),
    )
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    frame: Frame,
    heading: &'static str,
    month: String,
    month_error: Option<String>,
    prev: String,
    next: Option<String>,
    as_of: String,
    figures: Vec<Vec<Section>>,
    wide: Option<Wide>,
}

async fn report(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<Asked>,
) -> Result<Response, PageError> {
    check_reader(&person, "查看月报表")?;
    let now = this_month(&console);
    let (month, month_error) = asked_or(
        asked.month.as_deref(),
        Month::parse,
        now,
        asked.format.is_some(),
    )?;
    let sheet = MonthSheet::of(&console, month).await?;
    let table = sheet.table();
    if let Some(format) = &asked.format {
        let stem = format!("月报表-{}-{month}", console.operations().node());
        return download(&table, &stem, format);
    }
    let (figures, wide) = sheet.drawn(&table);
    let today = cst_date(console.operations().now_ms());
    let status = if month_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = page(ReportPage {
        frame: Frame::of(&console, &person, "report"),
        heading: sheet.title(),
        month: month.to_string(),
        month_error,
        prev: previous(month).to_string(),
        next: (month < now).then(|| month.next().to_string()),
        as_of: if month == now {
            format!("本月至今,截至 {today}")
        } else {
            String::new()
        },
        figures,
        wide,
    })?;
    Ok((status, body).into_response())
}

#[derive(Template)]
#[template(path = "reporting.html")]
struct ReportingPage {
    frame: Frame,
    month: String,
    month_error: Option<String>,
    prev: String,
    next: Option<String>,
    /// Each week's heading (`11-02–11-08`).
    weeks: Vec<String>,
    rows: Vec<ReportingRow>,
    counts: String,
    missing: u32,
}

pub struct ReportingRow {
    pub village: String,
    /// Each week's, then the month's: (css class, words).
    pub cells: Vec<(&'static str, String)>,
}

/// 报送情况: every village of the hub, week by week, with screenings, a
/// 零报告 or nothing; the month's figure beside them is what the monthly
/// report counts.
async fn reporting(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<Asked>,
) -> Result<Response, PageError> {
    check_reader(&person, "查看报送情况")?;
    if console.operations().node().level() == Level::County {
        return Err(NodeError::NotFound(
            "县级没有各村的报送表:各乡镇的村级报送情况在月报表的「村级报送」一栏".into(),
        )
        .into());
    }
    let now = this_month(&console);
    let (month, month_error) = asked_or(asked.month.as_deref(), Month::parse, now, false)?;
    let table: sanji_node::reports::ReportingTable = query(
        &console,
        Query::Reporting {
            month: month.to_string(),
        },
    )
    .await?;
    let names = super::names(&console).await?;
    let cell = |s: &sanji_domain::reporting::Standing| (s.id(), s.label());
    let rows = table
        .villages
        .iter()
        .zip(&table.month_standing)
        .map(|(row, month)| ReportingRow {
            village: names.place_label(&row.village),
            cells: row.periods.iter().chain([month]).map(cell).collect(),
        })
        .collect();
    let status = if month_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = page(ReportingPage {
        frame: Frame::of(&console, &person, "stations"),
        month: month.to_string(),
        month_error,
        prev: previous(month).to_string(),
        next: (month < now).then(|| month.next().to_string()),
        weeks: table
            .weeks
            .iter()
            .map(|(from, to)| {
                if from == to {
                    from.format("%m-%d").to_string()
                } else {
                    format!("{}–{}", from.format("%m-%d"), to.format("%m-%d"))
                }
            })
            .collect(),
        rows,
        counts: table.counts.label(),
        missing: table.counts.missing,
    })?;
    Ok((status, body).into_response())
}

/// A sheet for A4: who files it (填报单位, 填报人, 日期), the table, and room
/// for the seal.
#[derive(Template)]
#[template(path = "print.html")]
pub(super) struct PrintPage {
    pub(super) kind: &'static str,
    pub(super) title: &'static str,
    pub(super) period: String,
    pub(super) unit: String,
    pub(super) person: String,
    pub(super) date: String,
    pub(super) landscape: bool,
    pub(super) back: String,
    pub(super) figures: Vec<Vec<Section>>,
    pub(super) wide: Option<Wide>,
}

impl PrintPage {
    pub(super) fn new(
        console: &Console,
        person: &Person,
        kind: &'static str,
        title: &'static str,
    ) -> Self {
        let frame = Frame::of(console, person, "");
        PrintPage {
            kind,
            title,
            period: String::new(),
            unit: format!("{}({})", frame.node_title, frame.node),
            person: person.account.name.clone(),
            date: cst_date(console.operations().now_ms())
                .format("%Y 年 %-m 月 %-d 日")
                .to_string(),
            landscape: false,
            back: String::new(),
            figures: Vec::new(),
            wide: None,
        }
    }
}

fn month_label(month: Month) -> String {
    format!("{} 年 {} 月", month.year, month.month)
}

async fn report_print(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<Asked>,
) -> Result<Response, PageError> {
    check_reader(&person, "打印月报表")?;
    let (month, _) = asked_or(
        asked.month.as_deref(),
        Month::parse,
        this_month(&console),
        true,
    )?;
    let sheet = MonthSheet::of(&console, month).await?;
    let table = sheet.table();
    let (figures, wide) = sheet.drawn(&table);
    page(PrintPage {
        period: month_label(month),
        landscape: wide.is_some(),
        back: format!("/report?month={month}"),
        figures,
        wide,
        ..PrintPage::new(&console, &person, "report", sheet.title())
    })
}

/// The 阶段汇总 a township can ask for: this and the last period of each
/// kind, most asked first.
fn summary_choices(today: NaiveDate) -> Vec<(String, String)> {
    let of = |kind: Period| kind.same_kind_at(today);
    let half_month = of(Period::HalfMonth {
        year: 0,
        month: 1,
        half: 1,
    });
    let quarter = of(Period::Quarter {
        year: 0,
        quarter: 1,
    });
    let half_year = of(Period::HalfYear { year: 0, half: 1 });
    let year = of(Period::Year { year: 0 });
    [
        (half_month, "本半月"),
        (half_month.previous(), "上个半月"),
        (quarter, "本季度"),
        (quarter.previous(), "上季度"),
        (half_year, "本半年"),
        (half_year.previous(), "上个半年"),
        (year, "本年"),
        (year.previous(), "上年"),
    ]
    .into_iter()
    .map(|(p, words)| (p.to_string(), format!("{words}({})", p.label())))
    .collect()
}

#[derive(Template)]
#[template(path = "summary.html")]
struct SummaryPage {
    frame: Frame,
    period: String,
    label: String,
    period_error: Option<String>,
    as_of: String,
    choices: Vec<(String, String)>,
    /// Whether `period` is one of `choices` (else it is offered as well).
    listed: bool,
    prev: String,
    next: Option<String>,
    figures: Vec<Vec<Section>>,
    wide: Option<Wide>,
}

/// The period asked for a summary (this half-month by default) and its sheet.
async fn summary_sheet(
    console: &Console,
    person: &Person,
    asked: &Asked,
    downloading: bool,
) -> Result<(PeriodSummary, Option<String>, Table), PageError> {
    check_reader(person, "查看阶段汇总")?;
    if console.operations().node().level() == Level::County {
        return Err(PageError::NotFound(
            "阶段汇总由乡镇中心编制;县里请看各乡镇的月报表".into(),
        ));
    }
    let today = cst_date(console.operations().now_ms());
    let (period, error) = asked_or(
        asked.period.as_deref(),
        Period::parse,
        summary_choices(today)
            .first()
            .and_then(|(p, _)| Period::parse(p).ok())
            .expect("the choices parse"),
        downloading,
    )?;
    let summary: PeriodSummary = query(
        console,
        Query::Summary {
            period: period.to_string(),
        },
    )
    .await?;
    let table = export::summary_table(&summary);
    Ok((summary, error, table))
}

async fn summary(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<Asked>,
) -> Result<Response, PageError> {
    let (summary, period_error, table) =
        summary_sheet(&console, &person, &asked, asked.format.is_some()).await?;
    let period = summary.period;
    if let Some(format) = &asked.format {
        let stem = format!("阶段汇总-{}-{period}", console.operations().node());
        return download(&table, &stem, format);
    }
    let today = cst_date(console.operations().now_ms());
    let choices = summary_choices(today);
    let status = if period_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = page(SummaryPage {
        frame: Frame::of(&console, &person, "report"),
        period: period.to_string(),
        label: period.label(),
        period_error,
        as_of: if summary.to < period.range().1 {
            format!("本期至今,截至 {}", summary.to)
        } else {
            format!("{} 至 {}", summary.from, summary.to)
        },
        listed: choices.iter().any(|(p, _)| *p == period.to_string()),
        choices,
        prev: period.previous().to_string(),
        next: (period.range().1 < today).then(|| period.next().to_string()),
        figures: figure_halves(&table),
        wide: None,
    })?;
    Ok((status, body).into_response())
}

async fn summary_print(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<Asked>,
) -> Result<Response, PageError> {
    let (summary, _, table) = summary_sheet(&console, &person, &asked, true).await?;
    page(PrintPage {
        period: format!(
            "{}({} 至 {})",
            summary.period.label(),
            summary.from,
            summary.to
        ),
        back: format!("/summary?period={}", summary.period),
        figures: figure_halves(&table),
        ..PrintPage::new(
            &console,
            &person,
            "summary",
            "综治信访维稳中心主要工作数据阶段汇总",
        )
    })
}

#[derive(Template)]
#[template(path = "rewards.html")]
struct RewardsPage {
    frame: Frame,
    period: String,
    period_error: Option<String>,
    choices: Vec<(String, String)>,
    total: i64,
    rules: String,
    /// Always empty: the ledger is drawn as rows only.
    figures: Vec<Vec<Section>>,
    wide: Option<Wide>,
    /// 各单位办案情况 over the same period.
    workload: Option<Wide>,
}

/// The rewards ledger for the period asked (this month by default).
async fn rewards_sheet(
    console: &Console,
    asked: &Asked,
    downloading: bool,
) -> Result<(Period, Option<String>, Vec<RewardTotal>, Table), PageError> {
    let now = this_month(console);
    let (period, error) = asked_or(
        asked.period.as_deref(),
        Period::parse,
        Period::Month {
            year: now.year,
            month: now.month,
        },
        downloading,
    )?;
    let totals: Vec<RewardTotal> = query(
        console,
        Query::Rewards {
            period: period.to_string(),
        },
    )
    .await?;
    let table = export::rewards_table(&period.to_string(), &totals);
    Ok((period, error, totals, table))
}

fn rewards_wide(table: &Table) -> Option<Wide> {
    (!table.rows.is_empty()).then(|| {
        wide(table, |row| match &row[3] {
            Cell::Text(t) if t == "小计" => "subtotal",
            _ => "",
        })
    })
}

async fn rewards(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<Asked>,
) -> Result<Response, PageError> {
    check_reader(&person, "查看奖惩台账")?;
    let (period, period_error, totals, table) =
        rewards_sheet(&console, &asked, asked.format.is_some()).await?;
    if let Some(format) = &asked.format {
        let stem = format!("奖惩台账-{}-{period}", console.operations().node());
        return download(&table, &stem, format);
    }
    let lines: Vec<sanji_domain::report::UnitWorkload> = query(
        &console,
        Query::Workload {
            period: period.to_string(),
        },
    )
    .await?;
    let workload = (!lines.is_empty())
        .then(|| wide(&export::workload_table(&period.to_string(), &lines), |_| ""));
    let now = this_month(&console);
    let quarter = (now.month - 1) / 3 + 1;
    let status = if period_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = page(RewardsPage {
        frame: Frame::of(&console, &person, "rewards"),
        period: period.to_string(),
        period_error,
        choices: vec![
            (now.to_string(), "本月".to_owned()),
            (previous(now).to_string(), "上月".to_owned()),
            (format!("{}-Q{quarter}", now.year), "本季度".to_owned()),
            (now.year.to_string(), "本年".to_owned()),
        ],
        total: totals.iter().map(|t| t.amount).sum(),
        rules: format!(
            "疑难案件调处成功、回访无反复无上访奖 {} 元;一般案件奖 {} 元;调解不力引发上访扣 {} 元。",
            rules::COMPLEX_RESOLVED,
            rules::ORDINARY_RESOLVED,
            -rules::PETITION_AFTER
        ),
        figures: Vec::new(),
        wide: rewards_wide(&table),
        workload,
    })?;
    Ok((status, body).into_response())
}

async fn rewards_print(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<Asked>,
) -> Result<Response, PageError> {
    check_reader(&person, "打印奖惩台账")?;
    let (period, _, _, table) = rewards_sheet(&console, &asked, true).await?;
    page(PrintPage {
        period: period.label(),
        back: format!("/rewards?period={period}"),
        wide: rewards_wide(&table),
        ..PrintPage::new(&console, &person, "rewards", "奖惩台账")
    })
}

#[derive(Deserialize)]
struct ScreeningsAsked {
    village: Option<String>,
    format: Option<String>,
}

/// The screening ledger as a download, filtered as `views::screenings` filters
/// (by village: a code prefix).
async fn screenings_export(
    State(console): State<Console>,
    person: Person,
    UrlQuery(asked): UrlQuery<ScreeningsAsked>,
) -> Result<Response, PageError> {
    check_reader(&person, "导出排查台账")?;
    let village = asked
        .village
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let rows: Vec<ScreeningRow> = query(
        &console,
        Query::Screenings {
            village: village.clone(),
        },
    )
    .await?;
    let node = console.operations().node().to_string();
    let place = village.unwrap_or(node);
    let table = export::screenings_table(format!("排查台账 {place}"), &rows);
    let today = cst_date(console.operations().now_ms());
    download(
        &table,
        &format!("排查台账-{place}-{}", today.format("%Y%m%d")),
        asked.format.as_deref().unwrap_or("xlsx"),
    )
}
