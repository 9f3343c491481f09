//! The county's home page (今日概览): what the county office looks at first —
//! which townships have not filed their monthly report, hand-downs running
//! late, severe screenings of the last week, cases townships escalated and
//! open, townships whose link has gone quiet. The township's 今日待办 is
//! about its own case work; the county's is about its townships.

use askama::Template;
use axum::response::Response;
use sanji_domain::case::CaseStatus;
use sanji_domain::deadline::DeadlineStanding;
use sanji_domain::report::Month;
use sanji_domain::time::{cst_date, format_cst};
use sanji_node::ops::Query;
use sanji_node::views::{CaseRow, CountyReport, HandDownRow, PeerRow, ScreeningRow};

use crate::session::Person;
use crate::{Console, PageError};

use super::county::{
    EscalatedLine, HandDownLine, SevereLine, escalated_line, hand_down_line, severe_line,
};
use super::{Frame, names, page, query};

/// How far back the home page lists severe screenings.
const SEVERE_DAYS: u64 = 7;

/// One month's filing at the county.
pub struct Filing {
    pub month: String,
    pub href: String,
    pub filed: usize,
    pub townships: usize,
    pub unfiled: Vec<String>,
    /// Red when last month's report is still missing.
    pub tone: &'static str,
}

pub struct QuietTownship {
    pub name: String,
    pub last_contact: String,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "county_home.html")]
struct CountyHomePage {
    frame: Frame,
    today: String,
    filings: Vec<Filing>,
    late: Vec<HandDownLine>,
    unaccepted: Vec<HandDownLine>,
    severe: Vec<SevereLine>,
    severe_days: u64,
    severe_empty: String,
    escalated: Vec<EscalatedLine>,
    quiet: Vec<QuietTownship>,
}

pub(super) async fn county_home(console: &Console, person: &Person) -> Result<Response, PageError> {
    let now = console.operations().now_ms();
    let today = cst_date(now);
    let names = names(console).await?;

    let this_month = Month::of(today);
    let last_month = Month::of(this_month.first_day() - chrono::Days::new(1));
    let mut filings = Vec::new();
    for (month, late_if_missing) in [(last_month, true), (this_month, false)] {
        let report: CountyReport = query(
            console,
            Query::Reports {
                month: month.to_string(),
            },
        )
        .await?;
        filings.push(Filing {
            month: month.to_string(),
            href: format!("/report?month={month}"),
            filed: report.rows.len(),
            townships: report.rows.len() + report.unfiled.len(),
            unfiled: report
                .unfiled
                .iter()
                .map(|t| names.place_label(t))
                .collect(),
            tone: if late_if_missing && !report.unfiled.is_empty() {
                "overdue"
            } else {
                ""
            },
        });
    }

    let hand_downs: Vec<HandDownRow> = query(console, Query::HandDowns).await?;
    let (mut late, mut unaccepted) = (Vec::new(), Vec::new());
    for h in hand_downs.into_iter().filter(|h| h.status.is_open()) {
        let running_late = matches!(
            h.standing,
            Some(DeadlineStanding::Overdue { .. } | DeadlineStanding::DueSoon { .. })
        );
        let waiting = h.status == CaseStatus::Registered;
        if running_late {
            late.push(hand_down_line(&names, h, false));
        } else if waiting {
            unaccepted.push(hand_down_line(&names, h, false));
        }
    }

    let since = today - chrono::Days::new(SEVERE_DAYS);
    let severe_rows: Vec<ScreeningRow> = query(
        console,
        Query::Severe {
            village: None,
            since: Some(since.to_string()),
        },
    )
    .await?;
    let severe = severe_rows
        .into_iter()
        .rev()
        .map(|s| {
            let ops = console.operations();
            severe_line(&names, s, ops.policy(), ops.now_ms())
        })
        .collect();

    let cases: Vec<CaseRow> = query(console, Query::Escalated).await?;
    let escalated = cases
        .into_iter()
        .rev()
        .filter(|c| c.status.is_open())
        .map(|c| escalated_line(&names, c))
        .collect();

    let links: Vec<PeerRow> = query(console, Query::Stations).await?;
    let quiet = links
        .into_iter()
        .filter(|p| p.is_silent(now))
        .map(|p| QuietTownship {
            name: sanji_domain::Code::parse(&p.code)
                .map(|c| names.place_label(&c))
                .unwrap_or(p.code),
            last_contact: if p.last_contact_ms == 0 {
                "从未联系".into()
            } else {
                format_cst(p.last_contact_ms)
            },
            last_error: p.last_error.unwrap_or_default(),
        })
        .collect();

    page(CountyHomePage {
        frame: Frame::of(console, person, "today"),
        today: today.to_string(),
        filings,
        late,
        unaccepted,
        severe,
        severe_days: SEVERE_DAYS,
        severe_empty: format!("近 {SEVERE_DAYS} 日没有上报的重大排查。"),
        escalated,
        quiet,
    })
}
