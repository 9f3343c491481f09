//! The tables people take away: the monthly report, the county's month
//! table, the rewards ledger and the case and screening ledgers. Each is
//! defined here once, as columns (a heading and the value of each row), and
//! that one definition is what the web console shows, what its `.xlsx` and
//! CSV downloads hold and what the CLI prints and saves, so a figure reads
//! the same on the page, in Excel and in the terminal.

use sanji_domain::Labelled;
use sanji_domain::case::Assignee;
use sanji_domain::record::{CaseSource, Category};
use sanji_domain::report::{
    DisputeCounts, IncidentCounts, Month, MonthlyReport, PeriodSummary, RewardLine, RewardTotal,
    VisitCounts,
};
use sanji_domain::reporting::ReportingCounts;
use sanji_domain::time::format_cst;

use crate::NodeError;
use crate::views::{CaseRow, CountyReport, ScreeningRow};

/// One cell: text, or a count that a spreadsheet can add up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Count(i64),
    /// Nothing to show (a township that filed nothing has no figures, not zeros).
    Blank,
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Text(t) => f.write_str(t),
            Cell::Count(n) => write!(f, "{n}"),
            Cell::Blank => Ok(()),
        }
    }
}

fn text(value: impl ToString) -> Cell {
    Cell::Text(value.to_string())
}

fn count(n: impl Into<i64>) -> Cell {
    Cell::Count(n.into())
}

fn yes(flag: bool) -> Cell {
    text(if flag { "是" } else { "" })
}

/// A column: its heading, the heading it sits under (a two-row header on
/// the page), and how a row's value is read.
pub struct Column<T> {
    pub group: Option<&'static str>,
    pub heading: String,
    value: Box<dyn Fn(&T) -> Cell + Send + Sync>,
}

impl<T: 'static> Column<T> {
    fn new(heading: impl Into<String>, value: impl Fn(&T) -> Cell + Send + Sync + 'static) -> Self {
        Column {
            group: None,
            heading: heading.into(),
            value: Box::new(value),
        }
    }

    fn under(mut self, group: &'static str) -> Self {
        self.group = Some(group);
        self
    }

    /// The same column over something that may hold a `T`; blank without one.
    fn lift<U: 'static>(self, get: fn(&U) -> Option<&T>) -> Column<U> {
        let value = self.value;
        Column {
            group: self.group,
            heading: self.heading,
            value: Box::new(move |u| get(u).map_or(Cell::Blank, &value)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub group: Option<&'static str>,
    pub text: String,
}

/// A heading of the top row of [`Table::header_rows`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopHeading<'a> {
    pub text: &'a str,
    pub span: usize,
    /// A group's heading, over the headings of its columns.
    pub grouped: bool,
}

/// A table ready to be shown or written: a title, the headings, the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    /// How many leading columns name the row (单位, 月份 …) rather than give a figure.
    pub key_columns: usize,
    pub headings: Vec<Heading>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    fn of<'a, T: 'a>(
        title: String,
        key_columns: usize,
        columns: &[Column<T>],
        items: impl IntoIterator<Item = &'a T>,
    ) -> Table {
        Table {
            title,
            key_columns,
            headings: columns
                .iter()
                .map(|c| Heading {
                    group: c.group,
                    text: c.heading.clone(),
                })
                .collect(),
            rows: items
                .into_iter()
                .map(|item| columns.iter().map(|c| (c.value)(item)).collect())
                .collect(),
        }
    }

    pub fn heading_texts(&self) -> Vec<&str> {
        self.headings.iter().map(|h| h.text.as_str()).collect()
    }

    /// The headings as a page draws them in two rows: on top the groups
    /// (each with the number of columns it spans) and the columns with no
    /// group (which span both rows); below, the headings under a group.
    pub fn header_rows(&self) -> (Vec<TopHeading<'_>>, Vec<&str>) {
        let mut top: Vec<TopHeading<'_>> = Vec::new();
        let mut under = Vec::new();
        for h in &self.headings {
            match (h.group, top.last_mut()) {
                (Some(g), Some(last)) if last.grouped && last.text == g => last.span += 1,
                (Some(g), _) => top.push(TopHeading {
                    text: g,
                    span: 1,
                    grouped: true,
                }),
                (None, _) => top.push(TopHeading {
                    text: &h.text,
                    span: 1,
                    grouped: false,
                }),
            }
            if h.group.is_some() {
                under.push(h.text.as_str());
            }
        }
        (top, under)
    }

    /// CSV as Excel on a Chinese Windows opens it: UTF-8 with a byte-order
    /// mark (without one Excel reads the file as GBK and shows garbage).
    pub fn to_csv(&self) -> Result<Vec<u8>, NodeError> {
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        let fail = |e: csv::Error| NodeError::Internal(format!("无法生成 CSV:{e}"));
        w.write_record(self.heading_texts()).map_err(fail)?;
        for row in &self.rows {
            w.write_record(row.iter().map(Cell::to_string))
                .map_err(fail)?;
        }
        w.into_inner()
            .map_err(|e| NodeError::Internal(format!("无法生成 CSV:{e}")))
    }

    /// An Excel workbook with one sheet: the headings in the first row,
    /// counts as numbers, laid out to print on A4.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, NodeError> {
        use rust_xlsxwriter::{DocProperties, Format, FormatBorder, Workbook};
        let fail =
            |e: rust_xlsxwriter::XlsxError| NodeError::Internal(format!("无法生成 Excel 文件:{e}"));
        let mut book = Workbook::new();
        book.set_properties(&DocProperties::new().set_title(&self.title));
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&self.title)).map_err(fail)?;
        let head = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_border(FormatBorder::Thin);
        let body = Format::new().set_border(FormatBorder::Thin);
        for (col, h) in self.headings.iter().enumerate() {
            let col = col as u16;
            sheet
                .write_string_with_format(0, col, &h.text, &head)
                .map_err(fail)?;
            let widest = std::iter::once(h.text.as_str())
                .chain(self.rows.iter().filter_map(|r| match &r[col as usize] {
                    Cell::Text(t) => Some(t.as_str()),
                    _ => None,
                }))
                .map(display_width)
                .max()
                .unwrap_or(4);
            sheet
                .set_column_width(col, (widest as f64 + 2.0).clamp(6.0, 40.0))
                .map_err(fail)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (col, cell) in row.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Text(t) => sheet.write_string_with_format(r, col, t, &body),
                    Cell::Count(n) => sheet.write_number_with_format(r, col, *n as f64, &body),
                    Cell::Blank => sheet.write_blank(r, col, &body),
                }
                .map_err(fail)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        sheet.set_paper_size(9); // A4
        if self.headings.len() > 8 {
            sheet.set_landscape();
        }
        sheet.set_print_fit_to_pages(1, 0);
        sheet.set_repeat_rows(0, 0).map_err(fail)?;
        book.save_to_buffer().map_err(fail)
    }
}

/// Excel allows 31 characters in a sheet's name and none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

/// Columns in Excel's units: a CJK character is about two.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// What the download of a table is called, e.g. `月报表-360123100-2026-11.xlsx`.
pub fn file_name(stem: &str, extension: &str) -> String {
    format!(
        "{}.{extension}",
        stem.chars()
            .map(|c| if "\\/:*?\"<>|".contains(c) { '-' } else { c })
            .collect::<String>()
    )
}

/// 受理登记 onwards: every figure of the month, in the order of the paper
/// report (全镇综治信访维稳中心主要工作数据月报表).
fn report_figures() -> Vec<Column<MonthlyReport>> {
    let mut columns = vec![Column::new("受理登记", |r: &MonthlyReport| {
        count(r.received)
    })];
    for &source in CaseSource::ALL {
        columns.push(
            Column::new(source.label(), move |r: &MonthlyReport| {
                count(
                    r.received_by_source
                        .iter()
                        .find(|c| c.source == source)
                        .map_or(0, |c| c.count),
                )
            })
            .under("按来源"),
        );
    }
    for &category in Category::ALL {
        columns.push(
            Column::new(category.label(), move |r: &MonthlyReport| {
                count(
                    r.received_by_category
                        .iter()
                        .find(|c| c.category == category)
                        .map_or(0, |c| c.count),
                )
            })
            .under("按类别"),
        );
    }
    let figure = |heading: &str, value: fn(&MonthlyReport) -> u32| {
        Column::new(heading, move |r: &MonthlyReport| count(value(r)))
    };
    columns.extend([
        figure("受理", |r| r.accepted).under("办理情况"),
        figure("不予受理", |r| r.not_accepted).under("办理情况"),
        figure("办结", |r| r.resolved).under("办理情况"),
        figure("调解成功", |r| r.mediated).under("办理情况"),
        Column::new("调解成功率", |r: &MonthlyReport| {
            text(r.mediation_success_label())
        })
        .under("办理情况"),
        figure("超期", |r| r.overdue).under("办理情况"),
        figure("在办", |r| r.open).under("办理情况"),
        figure("上报县级", |r| r.escalated).under("办理情况"),
        figure("排查数", |r| r.screenings).under("排查与稳控"),
        figure("重大排查", |r| r.severe_screenings).under("排查与稳控"),
        // Blank, not zero, in a report filed before the rule was counted.
        Column::new("超时上报", |r: &MonthlyReport| {
            r.late_severe.map_or(Cell::Blank, count)
        })
        .under("排查与稳控"),
        // A risk foreseen at a screening; what happened is under 事件.
        figure("群体性风险", |r| r.mass_incidents).under("排查与稳控"),
        figure("越级上访", |r| r.skip_level_petitions).under("排查与稳控"),
    ]);
    // Blank, not zero, in a report filed before visits were counted.
    let visits = |heading: &str, value: fn(&VisitCounts) -> u32| {
        Column::new(heading, move |r: &MonthlyReport| {
            r.visits.as_ref().map_or(Cell::Blank, |v| count(value(v)))
        })
        .under("接访")
    };
    columns.extend([
        visits("来访批次", |v| v.visit_batches),
        visits("来访人次", |v| v.visit_people),
        visits("来信件数", |v| v.letters),
        visits("来电次数", |v| v.calls),
        visits("当场答复", |v| v.answered_on_spot),
        visits("转为案件", |v| v.became_cases),
    ]);
    // Blank, not zero, in a report filed before these were counted.
    let disputes = |heading: &str, group: &'static str, value: fn(&DisputeCounts) -> u32| {
        Column::new(heading, move |r: &MonthlyReport| {
            r.disputes.as_ref().map_or(Cell::Blank, |d| count(value(d)))
        })
        .under(group)
    };
    columns.extend([
        disputes("回访数", "回访", |d| d.followed_up),
        disputes("满意数", "回访", |d| d.satisfied),
        Column::new("满意率", |r: &MonthlyReport| {
            r.disputes
                .as_ref()
                .map_or(Cell::Blank, |d| text(d.satisfaction_label()))
        })
        .under("回访"),
        disputes("重大疑难受理", "重大疑难纠纷", |d| {
            d.major_received
        }),
        disputes("重大疑难办结", "重大疑难纠纷", |d| {
            d.major_resolved
        }),
        disputes("重大疑难化解", "重大疑难纠纷", |d| {
            d.major_mediated
        }),
        disputes("重大疑难在办", "重大疑难纠纷", |d| d.major_open),
        figure("统计案件数", |r| r.cases_covered),
    ]);
    // Blank, not zero, in a report filed before villages' reporting was counted.
    let villages = |heading: &str, value: fn(&ReportingCounts) -> u32| {
        Column::new(heading, move |r: &MonthlyReport| {
            r.reporting
                .as_ref()
                .map_or(Cell::Blank, |c| count(value(c)))
        })
        .under("村级报送")
    };
    // Blank, not zero, in a report filed before incidents were counted.
    let incidents = |heading: &str, value: fn(&IncidentCounts) -> u32| {
        Column::new(heading, move |r: &MonthlyReport| {
            r.incidents
                .as_ref()
                .map_or(Cell::Blank, |i| count(value(i)))
        })
        .under("事件")
    };
    columns.extend([
        incidents("群体性事件", |i| i.mass_incidents),
        incidents("参与人数", |i| i.mass_incident_people),
        incidents("民转刑", |i| i.criminal_conversions),
    ]);
    columns.extend([
        villages("有排查", |c| c.reported),
        villages("零报告", |c| c.zero),
        villages("未报送", |c| c.missing),
    ]);
    columns
}

/// A township's monthly report, one row: 单位, 月份 and every figure.
pub fn report_table(report: &MonthlyReport) -> Table {
    let mut columns = vec![
        Column::new("单位", |r: &MonthlyReport| text(&r.township)),
        Column::new("月份", |r: &MonthlyReport| text(r.month)),
    ];
    columns.extend(report_figures());
    Table::of(
        format!("月报表 {} {}", report.township, report.month),
        2,
        &columns,
        [report],
    )
}

/// A 阶段汇总 as a table: the month's columns, headed by its period.
pub fn summary_table(summary: &PeriodSummary) -> Table {
    let label = summary.period.label();
    let mut columns = vec![
        Column::new("单位", |r: &MonthlyReport| text(&r.township)),
        Column::new("期间", move |_: &MonthlyReport| text(&label)),
    ];
    columns.extend(report_figures());
    Table::of(
        format!("阶段汇总 {} {}", summary.figures.township, summary.period),
        2,
        &columns,
        [&summary.figures],
    )
}

/// One line of the county's month table: a township (or the total) and
/// its report, if it filed one.
pub struct CountyLine {
    pub unit: String,
    pub month: Month,
    pub standing: String,
    pub report: Option<MonthlyReport>,
}

/// 未报送, as the county's month table says of a township that filed nothing.
pub const UNFILED: &str = "未报送";
/// 零报告, as it says of a township that filed a report of zeros.
pub const ZERO_REPORT: &str = "零报告";

/// The county's month table: every township it knows, those that filed
/// nothing as 未报送 with blank figures (never zeros, never left out), and
/// the total of those that filed.
pub fn county_lines(table: &CountyReport) -> Vec<CountyLine> {
    let mut lines: Vec<CountyLine> = table
        .rows
        .iter()
        .map(|r| CountyLine {
            unit: r.township.to_string(),
            month: table.month,
            standing: if r.is_zero() {
                format!("{ZERO_REPORT}(第 {} 版)", r.revision)
            } else {
                format!("已报送(第 {} 版)", r.revision)
            },
            report: Some(r.clone()),
        })
        .chain(table.unfiled.iter().map(|code| CountyLine {
            unit: code.to_string(),
            month: table.month,
            standing: UNFILED.to_owned(),
            report: None,
        }))
        .collect();
    lines.sort_by(|a, b| a.unit.cmp(&b.unit));
    lines.push(CountyLine {
        unit: "合计".to_owned(),
        month: table.month,
        standing: {
            let zero = table.rows.iter().filter(|r| r.is_zero()).count();
            let of_them = if zero > 0 {
                format!("(其中 {zero} 个{ZERO_REPORT})")
            } else {
                String::new()
            };
            format!(
                "{} 个乡镇已报送{of_them},{} 个未报送",
                table.rows.len(),
                table.unfiled.len()
            )
        },
        report: Some(table.total.clone()),
    });
    lines
}

pub fn county_table(table: &CountyReport) -> Table {
    let mut columns = vec![
        Column::new("单位", |l: &CountyLine| text(&l.unit)),
        Column::new("月份", |l: &CountyLine| text(l.month)),
        Column::new("报送情况", |l: &CountyLine| text(&l.standing)),
    ];
    columns.extend(
        report_figures()
            .into_iter()
            .map(|c| c.lift(|l: &CountyLine| l.report.as_ref())),
    );
    Table::of(
        format!("各乡镇月报表 {}", table.month),
        3,
        &columns,
        &county_lines(table),
    )
}

/// One line of the rewards ledger: a case's reward or deduction, or a
/// handler's subtotal (no `line`).
struct RewardEntry {
    handler: Assignee,
    amount: i64,
    line: Option<RewardLine>,
}

/// 奖惩台账 for `period`: each case's reward or deduction under its unit or
/// village, then that handler's 小计.
pub fn rewards_table(period: &str, totals: &[RewardTotal]) -> Table {
    let entries: Vec<RewardEntry> = totals
        .iter()
        .flat_map(|t| {
            t.lines
                .iter()
                .map(|l| RewardEntry {
                    handler: t.handler.clone(),
                    amount: l.amount,
                    line: Some(l.clone()),
                })
                .chain([RewardEntry {
                    handler: t.handler.clone(),
                    amount: t.amount,
                    line: None,
                }])
        })
        .collect();
    let of_line = |value: fn(&RewardLine) -> Cell| {
        move |e: &RewardEntry| e.line.as_ref().map_or(Cell::Blank, value)
    };
    let columns: Vec<Column<RewardEntry>> = vec![
        Column::new("承办单位/村", |e: &RewardEntry| {
            text(e.handler.label())
        }),
        Column::new(
            "案件编号",
            of_line(|l| text(l.case_number.clone().unwrap_or_default())),
        ),
        Column::new("日期", of_line(|l| text(l.on))),
        Column::new("事由", |e: &RewardEntry| match &e.line {
            Some(l) => text(&l.reason),
            None => text("小计"),
        }),
        Column::new("金额(元)", |e: &RewardEntry| count(e.amount)),
    ];
    Table::of(format!("奖惩台账 {period}"), 1, &columns, &entries)
}

/// 案件台账: every case as a row, texts in full.
pub fn cases_table(title: String, rows: &[CaseRow]) -> Table {
    let columns: Vec<Column<CaseRow>> = vec![
        Column::new("案件编号", |c: &CaseRow| {
            text(
                c.case_number
                    .clone()
                    .unwrap_or_else(|| format!("(未编号 {})", crate::ops::short_id(c.id))),
            )
        }),
        Column::new("登记日期", |c: &CaseRow| text(c.registered_on)),
        Column::new("发生地", |c: &CaseRow| text(&c.place)),
        Column::new("来源", |c: &CaseRow| text(c.source.label())),
        Column::new("类别", |c: &CaseRow| text(c.category.label())),
        Column::new("当事人", |c: &CaseRow| text(c.parties.join("、"))),
        Column::new("涉及人数", |c: &CaseRow| count(c.people_involved)),
        Column::new("诉求", |c: &CaseRow| text(&c.claim)),
        Column::new("首问首接人", |c: &CaseRow| text(&c.first_receiver)),
        Column::new("首接单位", |c: &CaseRow| text(&c.first_unit)),
        Column::new("疑难", |c: &CaseRow| yes(c.complex)),
        Column::new("状态", |c: &CaseRow| text(c.status.label())),
        Column::new("承办", |c: &CaseRow| {
            text(c.assignee.clone().unwrap_or_default())
        }),
        Column::new("承办人", |c: &CaseRow| {
            text(c.person.clone().unwrap_or_default())
        }),
        Column::new("期限", |c: &CaseRow| {
            text(c.deadline.map(|d| d.to_string()).unwrap_or_default())
        }),
        Column::new("催办", |c: &CaseRow| count(c.urges as i64)),
        Column::new("督办", |c: &CaseRow| count(c.supervisions as i64)),
        Column::new("上报县级", |c: &CaseRow| yes(c.escalated)),
    ];
    Table::of(title, 1, &columns, rows)
}

/// 不安定因素排查登记台账: every screening as a row, texts in full.
pub fn screenings_table(title: String, rows: &[ScreeningRow]) -> Table {
    let columns: Vec<Column<ScreeningRow>> = vec![
        Column::new("排查日期", |s: &ScreeningRow| text(s.screened_on)),
        Column::new("村", |s: &ScreeningRow| text(&s.village)),
        Column::new("类别", |s: &ScreeningRow| text(s.category.label())),
        Column::new("风险等级", |s: &ScreeningRow| text(s.risk.label())),
        Column::new("易激化", |s: &ScreeningRow| yes(s.may_escalate)),
        Column::new("群体性", |s: &ScreeningRow| yes(s.mass_incident_risk)),
        Column::new("涉及人数", |s: &ScreeningRow| count(s.people_involved)),
        Column::new("当事人", |s: &ScreeningRow| text(s.parties.join("、"))),
        Column::new("基本情况", |s: &ScreeningRow| text(&s.description)),
        Column::new("化解措施", |s: &ScreeningRow| text(&s.measures)),
        Column::new("排查人", |s: &ScreeningRow| text(&s.screener)),
        Column::new("上报县级", |s: &ScreeningRow| {
            text(s.reported_at_ms.map(format_cst).unwrap_or_default())
        }),
    ];
    Table::of(title, 1, &columns, rows)
}

/// 会议记录簿: a meeting per row, what it reviewed and each responsibility
/// it assigned with its standing today.
/// The 受理事项总登记簿 as a table, in number order.
pub fn register_table(register: &crate::register::Register) -> Table {
    use crate::register::RegisterRow;
    let columns: Vec<Column<RegisterRow>> = vec![
        Column::new("登记编号", |r: &RegisterRow| {
            text(r.serial.as_deref().unwrap_or("待编号"))
        }),
        Column::new("受理日期", |r: &RegisterRow| text(r.received_on)),
        Column::new("受理地点", |r: &RegisterRow| text(&r.place)),
        Column::new("来源", |r: &RegisterRow| text(&r.channel)),
        Column::new("来访人或当事人", |r: &RegisterRow| text(&r.people)),
        Column::new("人数", |r: &RegisterRow| count(r.people_count)),
        Column::new("类别", |r: &RegisterRow| text(&r.category)),
        Column::new("反映事项", |r: &RegisterRow| text(&r.matter)),
        Column::new("登记人", |r: &RegisterRow| text(&r.receiver)),
        Column::new("办理情况", |r: &RegisterRow| text(&r.handling)),
    ];
    Table::of(
        format!("受理事项总登记簿 {} 年", register.year),
        1,
        &columns,
        &register.rows,
    )
}

pub fn meetings_table(title: String, rows: &[crate::meetings::MeetingRow]) -> Table {
    use crate::meetings::MeetingRow;
    let columns: Vec<Column<MeetingRow>> = vec![
        Column::new("日期", |m: &MeetingRow| text(m.held_on)),
        Column::new("会议", |m: &MeetingRow| text(m.kind.label())),
        Column::new("主持人", |m: &MeetingRow| text(&m.chair)),
        Column::new("参会人员", |m: &MeetingRow| {
            text(m.attendees.join("、"))
        }),
        Column::new("研判事项", |m: &MeetingRow| {
            let named: Vec<String> = m
                .reviewed
                .iter()
                .map(|l| format!("{} {}", linked_kind(&l.kind), l.name))
                .collect();
            text(named.join(";"))
        }),
        Column::new("议定事项", |m: &MeetingRow| text(&m.decisions)),
        Column::new("责任落实", |m: &MeetingRow| {
            let duties: Vec<String> = m
                .duties
                .iter()
                .map(|d| {
                    format!(
                        "{} {}:{}({},{} 前,{})",
                        d.unit,
                        d.person,
                        d.task,
                        d.subject.name,
                        d.deadline,
                        d.follow.label()
                    )
                })
                .collect();
            text(duties.join(";"))
        }),
        Column::new("记录人", |m: &MeetingRow| text(&m.author)),
    ];
    Table::of(title, 1, &columns, rows)
}

/// `案件` or `排查`, for a [`crate::meetings::Linked`]'s kind.
pub fn linked_kind(kind: &str) -> &'static str {
    match kind {
        "case" => "案件",
        "screening" => "排查",
        _ => "记录",
    }
}

/// 各单位办案情况: a unit per row, cases led and assisted, resolutions by kind.
pub fn workload_table(period: &str, lines: &[sanji_domain::report::UnitWorkload]) -> Table {
    use sanji_domain::report::UnitWorkload as W;
    let columns: Vec<Column<W>> = vec![
        Column::new("单位", |w: &W| text(&w.unit)),
        Column::new("主办", |w: &W| count(w.lead)).under("案件"),
        Column::new("协办", |w: &W| count(w.assisting)).under("案件"),
        Column::new("办结", |w: &W| count(w.resolved)).under("主办办结"),
        Column::new("人民调解", |w: &W| count(w.people)).under("主办办结"),
        Column::new("行政调解", |w: &W| count(w.administrative)).under("主办办结"),
        Column::new("司法调解", |w: &W| count(w.judicial)).under("主办办结"),
        Column::new("未注明", |w: &W| count(w.unspecified)).under("主办办结"),
        Column::new("占全镇办结", |w: &W| {
            text(w.share_percent.map(|p| format!("{p}%")).unwrap_or_default())
        }),
    ];
    Table::of(format!("各单位办案情况 {period}"), 1, &columns, lines)
}

/// A year's 交办、督办 or 销案通知书, one line each: the ledger of notices
/// sent and signed for.
pub fn notices_table(book: &crate::notices::NoticeBook) -> Table {
    use crate::notices::Notice;
    let columns: Vec<Column<Notice>> = vec![
        Column::new("通知书编号", |n: &Notice| text(&n.serial)),
        Column::new("发出日期", |n: &Notice| text(n.issued_on)),
        Column::new("案件编号", |n: &Notice| {
            text(n.case_number.as_deref().unwrap_or(""))
        }),
        Column::new("登记编号", |n: &Notice| {
            text(n.register_serial.as_deref().unwrap_or(""))
        }),
        Column::new("当事人", |n: &Notice| text(&n.parties)),
        Column::new("事由", |n: &Notice| text(&n.claim)),
        Column::new("承办单位", |n: &Notice| {
            text(n.addressee.as_deref().unwrap_or(""))
        }),
        Column::new("承办人", |n: &Notice| {
            text(n.person.as_deref().unwrap_or(""))
        }),
        Column::new("期限", |n: &Notice| {
            text(n.deadline.map(|d| d.to_string()).unwrap_or_default())
        }),
        Column::new("意见或结果", |n: &Notice| {
            text(n.outcome.as_deref().unwrap_or(&n.note))
        }),
        Column::new("发出人", |n: &Notice| {
            text(if n.automatic {
                format!("{}(到期自动)", n.issued_by)
            } else {
                n.issued_by.clone()
            })
        }),
        Column::new("回执", |n: &Notice| text(n.receipt.label())),
    ];
    Table::of(
        format!("{} {} 年", book.book.label(), book.year),
        1,
        &columns,
        &book.notices,
    )
}

/// A quarter's 重点地区及突出问题排查整治登记簿, one line per entry.
pub fn hotspots_table(book: &crate::hotspots::HotspotBook) -> Table {
    use crate::hotspots::HotspotRow;
    let columns: Vec<Column<HotspotRow>> = vec![
        Column::new("排查日期", |r: &HotspotRow| {
            text(if r.carried_over {
                format!("{}(结转)", r.record.found_on)
            } else {
                r.record.found_on.to_string()
            })
        }),
        Column::new("重点地区", |r: &HotspotRow| {
            text(match &r.village_name {
                Some(v) => format!("{}({v})", r.record.area),
                None => r.record.area.clone(),
            })
        }),
        Column::new("突出问题", |r: &HotspotRow| text(&r.record.problem)),
        Column::new("整治措施", |r: &HotspotRow| text(&r.record.measures)),
        Column::new("责任单位", |r: &HotspotRow| text(&r.record.unit)),
        Column::new("责任人", |r: &HotspotRow| text(&r.record.person)),
        Column::new("整改时限", |r: &HotspotRow| text(r.record.deadline)),
        Column::new("整治结果", |r: &HotspotRow| {
            text(match r.rectified_on {
                Some(on) if !r.record.result.is_empty() => format!("{}({on})", r.record.result),
                _ => r.record.result.clone(),
            })
        }),
        Column::new("情况", |r: &HotspotRow| text(r.standing.label())),
    ];
    Table::of(
        format!("社会治安重点地区及突出问题排查整治登记簿 {}", book.label),
        1,
        &columns,
        &book.rows,
    )
}

/// A 专项排查's count, one line per village of the 名录.
pub fn campaign_table(view: &crate::campaigns::CampaignView) -> Table {
    type Row = (String, sanji_domain::campaign::CampaignVillage);
    let rows: Vec<Row> = view
        .village_names
        .iter()
        .cloned()
        .zip(view.tally.villages.iter().cloned())
        .collect();
    let columns: Vec<Column<Row>> = vec![
        Column::new("村", |(name, _): &Row| text(name)),
        Column::new("排查条数", |(_, r): &Row| count(r.screenings)),
        Column::new("其中重大或群体性", |(_, r): &Row| count(r.severe)),
        Column::new("报送情况", |(_, r): &Row| text(r.standing.label())),
    ];
    Table::of(
        format!("专项排查情况统计表 {}", view.record.label()),
        1,
        &columns,
        &rows,
    )
}

/// The 专项排查 declared, one line each with what it found.
pub fn campaigns_table(views: &[crate::campaigns::CampaignView]) -> Table {
    use crate::campaigns::CampaignView;
    let columns: Vec<Column<CampaignView>> = vec![
        Column::new("主题", |c: &CampaignView| text(&c.record.topic)),
        Column::new("开始日期", |c: &CampaignView| text(c.record.from)),
        Column::new("结束日期", |c: &CampaignView| text(c.record.to)),
        Column::new("排查重点", |c: &CampaignView| {
            let kinds: Vec<&str> = c.record.categories.iter().map(|k| k.label()).collect();
            text(if kinds.is_empty() {
                "各类矛盾纠纷".to_owned()
            } else {
                kinds.join("、")
            })
        }),
        Column::new("情况", |c: &CampaignView| text(&c.phase)),
        Column::new("排查条数", |c: &CampaignView| count(c.tally.screenings)),
        Column::new("重大或群体性", |c: &CampaignView| {
            count(c.tally.severe)
        }),
        Column::new("各村报送", |c: &CampaignView| {
            text(c.tally.reporting.label())
        }),
        Column::new("编号", |c: &CampaignView| text(c.id)),
    ];
    Table::of("专项排查".to_owned(), 1, &columns, views)
}

/// A 自查评分 sheet, one line per item, the bonus and the total last.
pub fn assessment_table(sheet: &sanji_domain::assessment::AssessmentSheet) -> Table {
    use sanji_domain::assessment::{ScoredItem, points};
    let mut rows = sheet.items.clone();
    rows.push(ScoredItem {
        item: "bonus".into(),
        section: "(十三)特别加分".into(),
        text: String::new(),
        max_tenths: sanji_domain::assessment::MAX_BONUS_TENTHS,
        tenths: sheet.bonus_tenths,
        proven: false,
        note: sheet.bonus_note.clone(),
    });
    rows.push(ScoredItem {
        item: "total".into(),
        section: "合计".into(),
        text: sheet.grade().into(),
        max_tenths: 1000,
        tenths: sheet.total_tenths,
        proven: false,
        note: format!("第 {} 次上报", sheet.revision),
    });
    let columns: Vec<Column<ScoredItem>> = vec![
        Column::new("考核项目", |i: &ScoredItem| text(&i.section)),
        Column::new("评分内容", |i: &ScoredItem| text(&i.text)),
        Column::new("满分", |i: &ScoredItem| text(points(i.max_tenths))),
        Column::new("得分", |i: &ScoredItem| text(points(i.tenths))),
        Column::new("计分", |i: &ScoredItem| {
            text(if i.proven { "按台账" } else { "自评" })
        }),
        Column::new("依据或说明", |i: &ScoredItem| text(&i.note)),
    ];
    Table::of(
        format!(
            "综治信访维稳中心建设自查评分 {} {}",
            sheet.township, sheet.period
        ),
        1,
        &columns,
        &rows,
    )
}
