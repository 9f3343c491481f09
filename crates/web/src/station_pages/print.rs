//! Each record as its paper form (登记表), for the village's own files: the
//! 不安定因素排查登记表, the 接访记录 and the 案件受理登记表, on one A4
//! page without the navigation or the sync bar.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use sanji_domain::Labelled;
use sanji_domain::time::format_cst;
use uuid::Uuid;

use super::cases::the_case;
use super::screenings::the_screening;
use super::visits::the_visit;
use super::{Clerk, StationPageError, names, page};
use crate::pages::screenings::{line_of, signed};
use crate::station::StationHost;

pub(super) fn routes() -> Router<StationHost> {
    Router::new()
        .route("/screenings/{id}/print", get(screening))
        .route("/visits/{id}/print", get(visit))
        .route("/cases/{id}/print", get(case))
}

/// One box of the form: its heading and what was written in it.
pub struct Cell {
    pub label: &'static str,
    pub value: String,
    /// The columns its value spans: 1 beside another box, 3 across the form.
    pub span: u8,
    /// A box for a paragraph (情况, 诉求), given room as on paper.
    pub tall: bool,
}

fn pair(a: (&'static str, String), b: (&'static str, String)) -> Vec<Cell> {
    vec![cell(a.0, a.1, 1, false), cell(b.0, b.1, 1, false)]
}

fn across(label: &'static str, value: String) -> Vec<Cell> {
    vec![cell(label, value, 3, false)]
}

fn paragraph(label: &'static str, value: String) -> Vec<Cell> {
    vec![cell(label, value, 3, true)]
}

fn cell(label: &'static str, value: String, span: u8, tall: bool) -> Cell {
    Cell {
        label,
        value,
        span,
        tall,
    }
}

fn yes_no(flag: bool) -> String {
    if flag { "是" } else { "否" }.into()
}

#[derive(Template)]
#[template(path = "station/print.html")]
struct PrintPage {
    kind: &'static str,
    title: &'static str,
    unit: String,
    number: String,
    date: String,
    back: String,
    rows: Vec<Vec<Cell>>,
    /// The case's file (一案一档): time, who, step, what.
    history: Vec<(String, String, &'static str, String)>,
    signatures: Vec<&'static str>,
}

fn unit(host: &StationHost) -> String {
    format!("村综治信访维稳工作站({})", host.config().code)
}

async fn screening(
    State(host): State<StationHost>,
    _clerk: Clerk,
    Path(id): Path<Uuid>,
) -> Result<Response, StationPageError> {
    let row = the_screening(&host, id).await?;
    let line = line_of(&row, &names(&host));
    page(PrintPage {
        kind: "screening",
        title: "不安定因素排查登记表",
        unit: unit(&host),
        number: String::new(),
        date: line.screened_on.clone(),
        back: format!("/screenings/{id}"),
        rows: vec![
            pair(
                ("排查日期", line.screened_on.clone()),
                ("排查人", line.screener.clone()),
            ),
            pair(
                ("纠纷类别", line.category.into()),
                ("风险等级", line.risk.into()),
            ),
            pair(
                ("当事人", line.parties.clone()),
                ("涉及人数", row.people_involved.to_string()),
            ),
            pair(
                ("是否易激化", yes_no(row.may_escalate)),
                ("群体性事件风险", yes_no(row.mass_incident_risk)),
            ),
            paragraph("基本情况", row.description.clone()),
            paragraph("已采取的措施", row.measures.clone()),
            across("中心主任签字", signed(&row)),
        ],
        history: Vec::new(),
        signatures: vec!["排查人(签字)", "工作站负责人(签字)"],
    })
}

async fn visit(
    State(host): State<StationHost>,
    _clerk: Clerk,
    Path(id): Path<Uuid>,
) -> Result<Response, StationPageError> {
    let row = the_visit(&host, id).await?;
    page(PrintPage {
        kind: "visit",
        title: "综治信访维稳工作站接访记录",
        unit: unit(&host),
        number: String::new(),
        date: row.visited_on.to_string(),
        back: format!("/visits/{id}"),
        rows: vec![
            pair(
                ("接访日期", row.visited_on.to_string()),
                ("方式", row.channel.to_string()),
            ),
            pair(
                ("来访人", row.visitor.clone()),
                ("人数", row.people_count.to_string()),
            ),
            pair(
                ("类别", row.category.to_string()),
                ("接待人", row.receiver.clone()),
            ),
            paragraph("反映的问题", row.summary.clone()),
            paragraph(
                "当场答复",
                row.answer
                    .clone()
                    .unwrap_or_else(|| "未当场答复,登记为案件办理".into()),
            ),
        ],
        history: Vec::new(),
        signatures: vec!["接待人(签字)", "来访人(签字)"],
    })
}

async fn case(
    State(host): State<StationHost>,
    _clerk: Clerk,
    Path(id): Path<String>,
) -> Result<Response, StationPageError> {
    let view = the_case(&host, &id).await?;
    let names = names(&host);
    let file = &view.file;
    let registration = &file.registration;
    let parties = registration
        .parties
        .iter()
        .map(|p| match &p.contact {
            Some(contact) => format!("{}({contact})", p.name),
            None => p.name.clone(),
        })
        .collect::<Vec<_>>()
        .join("、");
    let mut rows = vec![
        pair(
            ("登记日期", registration.registered_on.to_string()),
            ("来源", registration.source.to_string()),
        ),
        pair(
            ("纠纷类别", registration.category.to_string()),
            ("发生地", names.place_label(&registration.place)),
        ),
        pair(
            ("当事人", parties),
            ("涉及人数", registration.people_involved.to_string()),
        ),
        paragraph("诉求", registration.claim.clone()),
        pair(
            ("首问首接人", registration.first_receiver.clone()),
            ("首接单位", registration.first_unit.clone()),
        ),
        pair(
            ("疑难案件", yes_no(registration.complex)),
            ("目前状态", file.status.to_string()),
        ),
    ];
    if let Some(a) = &file.assignment {
        rows.push(pair(
            ("承办", names.assignee_label(&a.assignee)),
            ("办理期限", a.deadline.to_string()),
        ));
    }
    if let Some(r) = &file.resolution {
        rows.push(paragraph(
            "调处结果",
            format!("{}:{}({},{})", r.outcome, r.summary, r.on, r.by),
        ));
    }
    page(PrintPage {
        kind: "case",
        title: "案件受理登记表",
        unit: unit(&host),
        number: file.case_number.clone().unwrap_or_default(),
        date: registration.registered_on.to_string(),
        back: format!("/cases/{}", view.id),
        rows,
        history: file
            .file
            .iter()
            .map(|e| {
                (
                    format_cst(e.at.wall_ms),
                    format!("{}({})", e.by, e.role),
                    e.step.label(),
                    e.text.clone(),
                )
            })
            .collect(),
        signatures: vec!["首问首接人(签字)", "中心主任审批(签字)"],
    })
}
