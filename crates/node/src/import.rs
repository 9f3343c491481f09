//! 导入: a township's old case or screening ledger, from an Excel workbook
//! (`.xlsx`) or a CSV file, checked whole and written whole. Every bad row
//! is named (its row number as Excel shows it, the column's heading, the
//! reason in Chinese) and nothing is written unless every row is good; a
//! good file becomes one durable batch of `case_imported` or
//! `screening_imported` events in the hub's own ledger (what an imported
//! case becomes is `sanji_domain::imported`'s to say).
//!
//! The columns are the headings of the ledgers' downloads (`export.rs`)
//! where the field is the same, so a ledger saved from sanji reads back.
//! Row rules are the domain's (`ImportedCase::validate`,
//! `ImportedScreening::validate`); this module only reads cells into
//! records and says which column a domain field is.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use sanji_domain::case::{CaseStatus, IMPORT_ROLES, Outcome, check_role};
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::fold::{EntityKind, EntityState};
use sanji_domain::imported::{ImportedCase, ImportedScreening};
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening, limits,
};
use sanji_domain::time::cst_date;
use sanji_domain::{Code, EventBody, FieldError, Labelled, Level, Origin};
use sanji_store::{Draft, Store};
use serde::{Deserialize, Serialize};

use crate::NodeError;
use crate::directory::{Directory, Listing};
use crate::export::{Cell, Table};
use crate::ops::Actor;

/// The largest file taken (an Excel ledger of some thousands of rows is
/// well below it).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// The most rows one file may hold, so one import is one batch of bounded size.
pub const MAX_ROWS: usize = 5000;

/// Which ledger a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Cases,
    Screenings,
}

impl LedgerKind {
    pub const ALL: [LedgerKind; 2] = [LedgerKind::Cases, LedgerKind::Screenings];

    pub fn id(self) -> &'static str {
        match self {
            LedgerKind::Cases => "cases",
            LedgerKind::Screenings => "screenings",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LedgerKind::Cases => "案件台账",
            LedgerKind::Screenings => "排查台账",
        }
    }

    pub fn parse(text: &str) -> Result<LedgerKind, FieldError> {
        LedgerKind::ALL
            .into_iter()
            .find(|k| k.id() == text.trim() || k.label() == text.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "kind",
                    format!("台账种类 {text:?} 不对:应为 cases(案件台账)或 screenings(排查台账)"),
                )
            })
    }

    /// The columns of this ledger's file, in the template's order.
    pub fn columns(self) -> &'static [ImportColumn] {
        match self {
            LedgerKind::Cases => CASE_COLUMNS,
            LedgerKind::Screenings => SCREENING_COLUMNS,
        }
    }
}

/// One column of an import file: its heading, whether it must be filled,
/// what it accepts (for the template and the docs), and the domain field
/// it fills (a dotted path, as `FieldError` names it).
#[derive(Debug)]
pub struct ImportColumn {
    pub heading: &'static str,
    pub required: bool,
    pub accepts: &'static str,
    pub field: &'static str,
    /// A filled-in value for the template's example row.
    pub example: &'static str,
}

const fn column(
    heading: &'static str,
    required: bool,
    field: &'static str,
    accepts: &'static str,
    example: &'static str,
) -> ImportColumn {
    ImportColumn {
        heading,
        required,
        accepts,
        field,
        example,
    }
}

const DATE: &str = "日期:2026-11-03、2026/11/3 或 Excel 日期格式的单元格";
const PARTIES: &str = "姓名或单位名称,多人用顿号(、)、逗号或分号隔开";
const FLAG: &str = "「是」或留空(也可写「否」)";

const CASE_COLUMNS: &[ImportColumn] = &[
    column(
        "案件编号",
        true,
        "case_number",
        "原台账的案件编号,全镇不重复",
        "360123100-2025-0031",
    ),
    column(
        "登记日期",
        true,
        "registration.registered_on",
        DATE,
        "2025-03-02",
    ),
    column(
        "发生地",
        true,
        "registration.place",
        "名录中的村名或 12 位村代码;本镇的事写 9 位乡镇代码或「本镇」",
        "东山村",
    ),
    column(
        "来源",
        true,
        "registration.source",
        "来访、来信、来电、排查转案、上级交办、网上",
        "来访",
    ),
    column(
        "类别",
        true,
        "registration.category",
        "土地山林水利、婚姻家庭邻里、劳资、征地拆迁、环境污染、医疗、涉法涉诉、其他",
        "劳资",
    ),
    column(
        "当事人",
        true,
        "registration.parties",
        PARTIES,
        "赵某、某建筑公司",
    ),
    column(
        "涉及人数",
        true,
        "registration.people_involved",
        "1 到 100000 的整数",
        "12",
    ),
    column(
        "诉求",
        true,
        "registration.claim",
        "文字,最多 2000 字",
        "要求支付拖欠的工资",
    ),
    column(
        "首问首接人",
        true,
        "registration.first_receiver",
        "姓名",
        "陈芳",
    ),
    column(
        "首接单位",
        true,
        "registration.first_unit",
        "单位名称",
        "镇综治信访维稳中心",
    ),
    column("疑难", false, "registration.complex", FLAG, ""),
    column(
        "状态",
        true,
        "ledger_status",
        "待受理、不予受理、已受理待分流、分流待审批、已交办、调处中、已办结待反馈、已反馈待回访、已回访待归档、已归档;前五种为在办,导入后为「已受理待分流」",
        "已归档",
    ),
    column(
        "办结日期",
        false,
        "closed_on",
        "办结(或决定不予受理)的日期;已办结、不予受理的案件必填,在办案件留空",
        "2025-04-10",
    ),
    column(
        "办结结果",
        false,
        "outcome",
        "调解成功、未调成,引导诉讼、当事人撤回;已办结的案件必填",
        "调解成功",
    ),
];

const SCREENING_COLUMNS: &[ImportColumn] = &[
    column(
        "排查日期",
        true,
        "screening.screened_on",
        DATE,
        "2025-06-18",
    ),
    column(
        "村",
        true,
        "screening.village",
        "名录中的村名或 12 位村代码",
        "东山村",
    ),
    column(
        "类别",
        true,
        "screening.category",
        "土地山林水利、婚姻家庭邻里、劳资、征地拆迁、环境污染、医疗、涉法涉诉、其他",
        "土地山林水利",
    ),
    column(
        "风险等级",
        true,
        "screening.risk",
        "一般、较大、重大",
        "一般",
    ),
    column("易激化", false, "screening.may_escalate", FLAG, ""),
    column("群体性", false, "screening.mass_incident_risk", FLAG, ""),
    column(
        "涉及人数",
        true,
        "screening.people_involved",
        "1 到 100000 的整数",
        "2",
    ),
    column("当事人", true, "screening.parties", PARTIES, "王某、张某"),
    column(
        "基本情况",
        true,
        "screening.description",
        "文字,最多 2000 字",
        "两户因宅基地边界发生争执",
    ),
    column(
        "化解措施",
        false,
        "screening.measures",
        "文字,最多 2000 字",
        "已上门调解",
    ),
    column("排查人", true, "screening.screener", "姓名", "李明"),
];

/// The blank form of a ledger: the headings and one example row, as a
/// [`Table`] so it downloads as `.xlsx` or CSV like every other table.
pub fn template(kind: LedgerKind) -> Table {
    let columns = kind.columns();
    Table {
        title: format!("{}导入模板", kind.label()),
        key_columns: 1,
        headings: columns
            .iter()
            .map(|c| crate::export::Heading {
                group: None,
                text: c.heading.to_owned(),
            })
            .collect(),
        rows: vec![
            columns
                .iter()
                .map(|c| Cell::Text(c.example.to_owned()))
                .collect(),
        ],
    }
}

/// A file to import, as a person sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRequest {
    pub kind: LedgerKind,
    /// The file's name, for the records' source and the messages.
    pub file_name: String,
    #[serde(with = "hex_bytes")]
    pub bytes: Vec<u8>,
    /// Check and show, write nothing.
    pub dry_run: bool,
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

/// One thing wrong: where (row as Excel numbers it, the column's heading;
/// both empty for the file as a whole) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub row: u32,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, self.column.as_str()) {
            (0, "") => f.write_str(&self.reason),
            (0, column) => write!(f, "「{column}」列:{}", self.reason),
            (row, "") => write!(f, "第 {row} 行:{}", self.reason),
            (row, column) => write!(f, "第 {row} 行「{column}」:{}", self.reason),
        }
    }
}

/// A cell of the preview: the value as it will be stored, or what was
/// typed with why it cannot be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewCell {
    pub text: String,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub row: u32,
    pub cells: Vec<PreviewCell>,
    /// A problem of the row as a whole (already imported, a duplicate).
    pub problem: Option<String>,
}

impl PreviewRow {
    pub fn is_good(&self) -> bool {
        self.problem.is_none() && self.cells.iter().all(|c| c.problem.is_none())
    }
}

/// What an import found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub kind: LedgerKind,
    pub file_name: String,
    /// The preview's columns: the file's, and for cases 导入后状态.
    pub headings: Vec<String>,
    pub rows: Vec<PreviewRow>,
    /// Every problem, the file's first, then row by row.
    pub problems: Vec<RowProblem>,
    /// Records written: 0 on a dry run or when anything is wrong.
    pub written: usize,
    pub dry_run: bool,
}

impl ImportReport {
    pub fn is_good(&self) -> bool {
        self.problems.is_empty()
    }

    /// One sentence for the person: what was (or would be) written, or why not.
    pub fn summary(&self) -> String {
        let what = match self.kind {
            LedgerKind::Cases => "件案件",
            LedgerKind::Screenings => "条排查",
        };
        let bad_rows: HashSet<u32> = self
            .problems
            .iter()
            .filter(|p| p.row > 0)
            .map(|p| p.row)
            .collect();
        if !self.is_good() {
            return format!(
                "「{}」有 {} 处问题{},未导入任何记录;请改正后重新上传",
                self.file_name,
                self.problems.len(),
                if bad_rows.is_empty() {
                    String::new()
                } else {
                    format!("(涉及 {} 行)", bad_rows.len())
                }
            );
        }
        if self.dry_run {
            format!(
                "「{}」检查无误:共 {} {what}可以导入,尚未写入",
                self.file_name,
                self.rows.len()
            )
        } else {
            format!("已从「{}」导入 {} {what}", self.file_name, self.written)
        }
    }
}

/// A cell as read from the file.
#[derive(Debug, Clone, PartialEq)]
enum Raw {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl Raw {
    fn shown(&self) -> String {
        match self {
            Raw::Empty => String::new(),
            Raw::Text(t) => t.trim().to_owned(),
            Raw::Number(n) if n.fract() == 0.0 => format!("{n:.0}"),
            Raw::Number(n) => n.to_string(),
            Raw::Date(d) => d.to_string(),
        }
    }
}

/// The rows of a file: each with its row number as Excel shows it.
type Grid = Vec<(u32, Vec<Raw>)>;

fn file_problem(reason: impl Into<String>) -> RowProblem {
    RowProblem {
        row: 0,
        column: String::new(),
        reason: reason.into(),
    }
}

/// An `.xlsx` file starts like every ZIP archive.
fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn read_grid(file_name: &str, bytes: &[u8]) -> Result<Grid, RowProblem> {
    if bytes.is_empty() {
        return Err(file_problem("文件是空的"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_problem(format!(
            "文件过大:{:.1} MB,最多 {} MB;请分成几个文件导入",
            bytes.len() as f64 / 1024.0 / 1024.0,
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    if is_xlsx(bytes) {
        return read_xlsx(bytes);
    }
    let lower = file_name.to_lowercase();
    if lower.ends_with(".xls") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(file_problem(
            "这是旧版 Excel 文件(.xls);请在 Excel 中「另存为」Excel 工作簿(.xlsx)或 CSV 后再导入",
        ));
    }
    read_csv(bytes)
}

fn read_xlsx(bytes: &[u8]) -> Result<Grid, RowProblem> {
    use calamine::{Data, Reader, Xlsx};
    let unreadable = |e: calamine::XlsxError| {
        file_problem(format!(
            "无法读取这个 Excel 文件({e});请确认是 .xlsx 格式且没有加密"
        ))
    };
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| file_problem("Excel 文件中没有工作表"))?
        .map_err(unreadable)?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut grid = Vec::new();
    for (i, row) in range.rows().enumerate() {
        // Cells left of the used range are empty, so columns keep their places.
        let mut cells = vec![Raw::Empty; first_col as usize];
        cells.extend(row.iter().map(|cell| match cell {
            Data::Empty => Raw::Empty,
            Data::String(s) => Raw::Text(s.clone()),
            Data::Int(n) => Raw::Number(*n as f64),
            Data::Float(f) => Raw::Number(*f),
            Data::Bool(b) => Raw::Text(if *b { "是" } else { "否" }.to_owned()),
            Data::DateTime(d) => {
                let (y, m, day, ..) = d.to_ymd_hms_milli();
                NaiveDate::from_ymd_opt(y.into(), m.into(), day.into())
                    .map_or(Raw::Text(d.to_string()), Raw::Date)
            }
            Data::DateTimeIso(s) | Data::DurationIso(s) => Raw::Text(s.clone()),
            Data::Error(e) => Raw::Text(format!("#{e}")),
        }));
        grid.push((first_row + i as u32 + 1, cells));
    }
    Ok(grid)
}

/// CSV in UTF-8 (with or without a byte-order mark) or, as Excel on a
/// Chinese Windows saves "CSV (逗号分隔)", GB18030 (GBK's superset).
/// Text that is valid UTF-8 is taken as UTF-8: GBK Chinese text is almost
/// never valid UTF-8, so the test tells the two apart.
fn read_csv(bytes: &[u8]) -> Result<Grid, RowProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => {
            let (text, _, malformed) = encoding_rs::GB18030.decode(bytes);
            if malformed {
                return Err(file_problem(
                    "文件既不是 UTF-8 也不是 GBK 编码的文字;请在 Excel 中另存为「CSV UTF-8」或 .xlsx 后再导入",
                ));
            }
            text.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    for record in reader.records() {
        // Lines counted here, where a record starts: the reader's own
        // count differs with CRLF line ends.
        let line_at = |byte: u64| {
            let bytes = text.as_bytes();
            let mut start = (byte as usize).min(bytes.len());
            // The reader may place a record at the line break before it.
            while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                start += 1;
            }
            bytes[..start].iter().filter(|&&b| b == b'\n').count() as u32 + 1
        };
        let record = record.map_err(|e| {
            let row = e.position().map_or(0, |p| line_at(p.byte()));
            RowProblem {
                row,
                column: String::new(),
                reason: format!("CSV 格式有误({e})"),
            }
        })?;
        let row = record
            .position()
            .map_or(grid.len() as u32 + 1, |p| line_at(p.byte()));
        grid.push((
            row,
            record.iter().map(|c| Raw::Text(c.to_owned())).collect(),
        ));
    }
    Ok(grid)
}

/// The file's heading row and, for each column of the ledger, where it is.
struct Layout {
    header_row: u32,
    at: HashMap<&'static str, usize>,
}

fn layout(kind: LedgerKind, grid: &Grid) -> Result<Layout, Vec<RowProblem>> {
    let blank = |cells: &[Raw]| cells.iter().all(|c| c.shown().is_empty());
    let Some((header_row, header)) = grid.iter().find(|(_, cells)| !blank(cells)) else {
        return Err(vec![file_problem("文件中没有内容")]);
    };
    let texts: Vec<String> = header.iter().map(Raw::shown).collect();
    let mut at = HashMap::new();
    let mut problems = Vec::new();
    for c in kind.columns() {
        let found: Vec<usize> = (0..texts.len())
            .filter(|&i| texts[i] == c.heading)
            .collect();
        match found.as_slice() {
            [i] => {
                at.insert(c.heading, *i);
            }
            [] if c.required => problems.push(RowProblem {
                row: *header_row,
                column: c.heading.to_owned(),
                reason: format!(
                    "缺少必填列「{}」;第一行须为列名,可下载导入模板对照",
                    c.heading
                ),
            }),
            [] => {}
            _ => problems.push(RowProblem {
                row: *header_row,
                column: c.heading.to_owned(),
                reason: "列名重复出现,请只保留一列".into(),
            }),
        }
    }
    if problems.is_empty() {
        Ok(Layout {
            header_row: *header_row,
            at,
        })
    } else {
        Err(problems)
    }
}

/// What a row needs from the node: names of places, today's date.
struct Context<'a> {
    node: &'a Code,
    listing: &'a Listing,
    today: NaiveDate,
    policy: &'a DeadlinePolicy,
    file_name: &'a str,
}

impl Context<'_> {
    /// A village by its name in the directory or its code; for a case
    /// (`township_too`) also this township itself.
    fn place(&self, text: &str, township_too: bool) -> Result<Code, String> {
        let text = text.trim();
        if township_too && (text == "本镇" || text == self.node.as_str()) {
            return Ok(self.node.clone());
        }
        // Old ledgers name villages since taken out of use: their names still count.
        let known = self.listing.villages.iter().chain(&self.listing.retired);
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            let code = Code::parse(text).map_err(|e| e.to_string())?;
            if !code.is_child_of(self.node) {
                return Err(format!("村代码 {code} 不是本镇({})下辖的村", self.node));
            }
            return match known.clone().find(|p| p.code == code) {
                Some(_) => Ok(code),
                None => Err(format!("村代码 {code} 不在本镇名录中;请先在「名录」中登记")),
            };
        }
        let named: Vec<_> = known.filter(|p| p.name == text).collect();
        match named.as_slice() {
            [one] => Ok(one.code.clone()),
            [] => Err(format!(
                "名录中没有叫「{text}」的村;可写村名或 12 位村代码,本镇名录中的村:{}",
                if self.listing.villages.is_empty() {
                    "(尚未登记)".to_owned()
                } else {
                    self.listing
                        .villages
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                }
            )),
            _ => Err(format!("名录中有几个村都叫「{text}」,请写 12 位村代码")),
        }
    }
}

/// Reads one row's cells, column by column, keeping what each will be
/// and every problem found.
struct RowReader<'a> {
    row: u32,
    cells: &'a [Raw],
    layout: &'a Layout,
    shown: BTreeMap<&'static str, PreviewCell>,
}

impl<'a> RowReader<'a> {
    fn raw(&self, heading: &str) -> &Raw {
        self.layout
            .at
            .get(heading)
            .and_then(|&i| self.cells.get(i))
            .unwrap_or(&Raw::Empty)
    }

    fn blank(&self) -> bool {
        self.cells.iter().all(|c| c.shown().is_empty())
    }

    /// Reads `heading` with `parse`, shows the value as `show` says, or
    /// what was typed with the problem.
    fn read<T>(
        &mut self,
        heading: &'static str,
        parse: impl FnOnce(&Raw, &str) -> Result<T, String>,
        show: impl FnOnce(&T) -> String,
    ) -> Option<T> {
        let raw = self.raw(heading).clone();
        let typed = raw.shown();
        match parse(&raw, &typed) {
            Ok(value) => {
                self.shown.insert(
                    heading,
                    PreviewCell {
                        text: show(&value),
                        problem: None,
                    },
                );
                Some(value)
            }
            Err(problem) => {
                self.shown.insert(
                    heading,
                    PreviewCell {
                        text: typed,
                        problem: Some(problem),
                    },
                );
                None
            }
        }
    }

    /// Text as typed; the domain judges it (empty, too long …).
    fn text(&mut self, heading: &'static str) -> Option<String> {
        self.read(heading, |_, typed| Ok(typed.to_owned()), Clone::clone)
    }

    fn date(&mut self, heading: &'static str, required: bool) -> Option<Option<NaiveDate>> {
        self.read(
            heading,
            |raw, typed| match raw {
                Raw::Date(d) => Ok(Some(*d)),
                Raw::Empty if !required => Ok(None),
                Raw::Number(n) if n.fract() == 0.0 && *n > 0.0 => Ok(excel_serial(*n)),
                _ if typed.is_empty() && !required => Ok(None),
                _ => parse_day(typed).map(Some),
            },
            |d| d.map(|d| d.to_string()).unwrap_or_default(),
        )
    }

    fn label<T: Labelled>(&mut self, heading: &'static str) -> Option<T> {
        self.read(
            heading,
            |_, typed| {
                if typed.is_empty() {
                    return Err("不能为空".into());
                }
                T::parse_for(heading, typed).map_err(|e| e.rule)
            },
            |v| v.label().to_owned(),
        )
    }

    fn optional_label<T: Labelled>(&mut self, heading: &'static str) -> Option<Option<T>> {
        self.read(
            heading,
            |_, typed| {
                if typed.is_empty() {
                    return Ok(None);
                }
                T::parse_for(heading, typed).map(Some).map_err(|e| e.rule)
            },
            |v| v.map(|v| v.label().to_owned()).unwrap_or_default(),
        )
    }

    fn count(&mut self, heading: &'static str) -> Option<u32> {
        self.read(
            heading,
            |_, typed| {
                typed
                    .parse::<u32>()
                    .map_err(|_| format!("须为整数(如 3),而不是 {typed:?}"))
            },
            u32::to_string,
        )
    }

    fn flag(&mut self, heading: &'static str) -> Option<bool> {
        self.read(
            heading,
            |_, typed| match typed {
                "是" | "√" | "✓" | "Y" | "y" => Ok(true),
                "" | "否" | "N" | "n" => Ok(false),
                other => Err(format!("须为「是」或留空,而不是 {other:?}")),
            },
            |b| if *b { "是" } else { "" }.to_owned(),
        )
    }

    fn parties(&mut self, heading: &'static str) -> Option<Vec<Party>> {
        self.read(
            heading,
            |_, typed| {
                Ok(typed
                    .split(['、', ',', ',', ';', ';', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|name| Party {
                        name: name.to_owned(),
                        contact: None,
                    })
                    .collect())
            },
            |parties: &Vec<Party>| {
                parties
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            },
        )
    }

    fn place(
        &mut self,
        heading: &'static str,
        ctx: &Context<'_>,
        township_too: bool,
    ) -> Option<Code> {
        self.read(
            heading,
            |_, typed| {
                if typed.is_empty() {
                    return Err("不能为空".into());
                }
                ctx.place(typed, township_too)
            },
            |code| ctx.listing.place_label(code),
        )
    }

    /// A rule of the domain broken: marked at the column of its field.
    fn domain_problem(&mut self, kind: LedgerKind, error: FieldError) -> Option<String> {
        let column = kind.columns().iter().find(|c| {
            error.field == c.field
                || error
                    .field
                    .strip_prefix(c.field)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        });
        match column.and_then(|c| self.shown.get_mut(c.heading).map(|cell| (c, cell))) {
            Some((_, cell)) => {
                cell.problem = Some(error.rule);
                None
            }
            None => Some(error.rule),
        }
    }

    fn preview(
        self,
        kind: LedgerKind,
        extra: Option<String>,
        problem: Option<String>,
    ) -> PreviewRow {
        let mut shown = self.shown;
        let mut cells: Vec<PreviewCell> = kind
            .columns()
            .iter()
            .map(|c| {
                shown.remove(c.heading).unwrap_or(PreviewCell {
                    text: String::new(),
                    problem: None,
                })
            })
            .collect();
        if kind == LedgerKind::Cases {
            cells.push(PreviewCell {
                text: extra.unwrap_or_default(),
                problem: None,
            });
        }
        PreviewRow {
            row: self.row,
            cells,
            problem,
        }
    }
}

/// `2026-11-03`, `2026/11/3`, `2026.11.3`, `2026年11月3日`.
fn parse_day(text: &str) -> Result<NaiveDate, String> {
    let normal: String = text
        .trim()
        .trim_end_matches('日')
        .chars()
        .map(|c| {
            if matches!(c, '/' | '.' | '年' | '月') {
                '-'
            } else {
                c
            }
        })
        .collect();
    NaiveDate::parse_from_str(&normal, "%Y-%m-%d")
        .map_err(|_| format!("日期 {text:?} 不对,应为 2026-11-03 或 2026/11/3"))
}

/// A date Excel kept as a plain number (days since 1899-12-30).
fn excel_serial(days: f64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(days as u64))
}

/// A row turned into what will be written, or what is wrong with it.
enum RowOutcome {
    Case(Box<ImportedCase>),
    Screening(ImportedScreening),
}

fn source_of(file_name: &str, row: u32) -> String {
    format!("{file_name} 第 {row} 行")
}

fn read_case(r: &mut RowReader<'_>, ctx: &Context<'_>) -> Option<ImportedCase> {
    let case_number = r.text("案件编号");
    let registered_on = r.date("登记日期", true);
    let place = r.place("发生地", ctx, true);
    let source = r.label::<CaseSource>("来源");
    let category = r.label::<Category>("类别");
    let parties = r.parties("当事人");
    let people = r.count("涉及人数");
    let claim = r.text("诉求");
    let first_receiver = r.text("首问首接人");
    let first_unit = r.text("首接单位");
    let complex = r.flag("疑难");
    let status = r.label::<CaseStatus>("状态");
    let closed_on = r.date("办结日期", false);
    let outcome = r.optional_label::<Outcome>("办结结果");
    let status = status?;
    Some(ImportedCase {
        registration: CaseRegistration {
            place: place?,
            registered_on: registered_on??,
            source: source?,
            category: category?,
            parties: parties?,
            people_involved: people?,
            claim: claim?,
            first_receiver: first_receiver?,
            first_unit: first_unit?,
            complex: complex?,
            from_record: None,
        },
        case_number: case_number?,
        ledger_status: status,
        closed_on: closed_on?,
        outcome: outcome?,
        resolve_deadline: status
            .is_open()
            .then(|| ctx.policy.resolve_deadline(ctx.today)),
        source: source_of(ctx.file_name, r.row),
    })
}

fn read_screening(r: &mut RowReader<'_>, ctx: &Context<'_>) -> Option<ImportedScreening> {
    let screened_on = r.date("排查日期", true);
    let village = r.place("村", ctx, false);
    let category = r.label::<Category>("类别");
    let risk = r.label::<RiskLevel>("风险等级");
    let may_escalate = r.flag("易激化");
    let mass = r.flag("群体性");
    let people = r.count("涉及人数");
    let parties = r.parties("当事人");
    let description = r.text("基本情况");
    let measures = r.text("化解措施");
    let screener = r.text("排查人");
    Some(ImportedScreening {
        screening: Screening {
            village: village?,
            screened_on: screened_on??,
            screener: screener?,
            category: category?,
            parties: parties?,
            people_involved: people?,
            risk: risk?,
            may_escalate: may_escalate?,
            mass_incident_risk: mass?,
            description: description?,
            measures: measures?,
            line: None,
        },
        source: source_of(ctx.file_name, r.row),
    })
}

/// What an imported open case becomes, for the preview.
fn becomes(case: &ImportedCase) -> String {
    if case.ledger_status.is_open() {
        format!(
            "{}(原为{},办结期限 {})",
            CaseStatus::Accepted.label(),
            case.ledger_status.label(),
            case.resolve_deadline
                .map(|d| d.to_string())
                .unwrap_or_default()
        )
    } else {
        case.ledger_status.label().to_owned()
    }
}

/// The case numbers this hub already holds, and by what.
fn numbers_held(store: &Store) -> Result<HashMap<String, bool>, NodeError> {
    let mut held = HashMap::new();
    store.for_each_entity_of(EntityKind::Case, |e| {
        if let EntityState::Case(file) = e.state
            && let Some(number) = file.case_number
        {
            held.insert(number.trim().to_owned(), file.imported.is_some());
        }
        Ok(())
    })?;
    Ok(held)
}

/// Who may import here: the center's operator or director, at a hub.
pub fn may_import(actor: &Actor, node: &Code) -> Result<(), NodeError> {
    check_role("导入台账", IMPORT_ROLES, actor.role).map_err(NodeError::Forbidden)?;
    if node.level() != Level::Township {
        return Err(NodeError::Forbidden("只有镇中心可以导入本镇的台账".into()));
    }
    Ok(())
}

/// Checks a whole file and, unless it is a dry run or anything is wrong,
/// writes every row in one durable batch. Callers hold the operator
/// layer's step lock (case numbers are taken here too).
pub fn import(
    store: &Store,
    actor: &Actor,
    request: &ImportRequest,
    policy: &DeadlinePolicy,
    now_ms: u64,
) -> Result<ImportReport, NodeError> {
    check_role("导入台账", IMPORT_ROLES, actor.role).map_err(NodeError::Forbidden)?;
    if store.node().level() != Level::Township {
        return Err(NodeError::Forbidden("只有镇中心可以导入本镇的台账".into()));
    }
    let kind = request.kind;
    let file_name = display_name(&request.file_name);
    let mut report = ImportReport {
        kind,
        file_name: file_name.clone(),
        headings: kind
            .columns()
            .iter()
            .map(|c| c.heading.to_owned())
            .chain((kind == LedgerKind::Cases).then(|| "导入后状态".to_owned()))
            .collect(),
        rows: Vec::new(),
        problems: Vec::new(),
        written: 0,
        dry_run: request.dry_run,
    };
    let grid = match read_grid(&file_name, &request.bytes) {
        Ok(grid) => grid,
        Err(problem) => {
            report.problems.push(problem);
            return Ok(report);
        }
    };
    let layout = match layout(kind, &grid) {
        Ok(layout) => layout,
        Err(problems) => {
            report.problems = problems;
            return Ok(report);
        }
    };
    let listing = Directory::new(store.clone()).listing()?;
    let ctx = Context {
        node: store.node(),
        listing: &listing,
        today: cst_date(now_ms),
        policy,
        file_name: &file_name,
    };
    let held = match kind {
        LedgerKind::Cases => numbers_held(store)?,
        LedgerKind::Screenings => HashMap::new(),
    };
    let mut seen: HashMap<uuid::Uuid, u32> = HashMap::new();
    let mut records = Vec::new();
    for (row, cells) in grid.iter().filter(|(row, _)| *row > layout.header_row) {
        let mut reader = RowReader {
            row: *row,
            cells,
            layout: &layout,
            shown: BTreeMap::new(),
        };
        if reader.blank() {
            continue;
        }
        if report.rows.len() >= MAX_ROWS {
            report.problems.push(RowProblem {
                row: *row,
                column: String::new(),
                reason: format!("一个文件最多 {MAX_ROWS} 行记录;请分成几个文件导入"),
            });
            break;
        }
        let read = match kind {
            LedgerKind::Cases => {
                read_case(&mut reader, &ctx).map(|c| RowOutcome::Case(Box::new(c)))
            }
            LedgerKind::Screenings => read_screening(&mut reader, &ctx).map(RowOutcome::Screening),
        };
        let mut extra = None;
        let mut problem = None;
        if let Some(record) = &read {
            let (valid, entity) = match record {
                RowOutcome::Case(c) => {
                    extra = Some(becomes(c));
                    (
                        c.validate(ctx.today),
                        ImportedCase::entity_id(ctx.node, &c.case_number),
                    )
                }
                RowOutcome::Screening(s) => (
                    s.validate(ctx.today),
                    ImportedScreening::entity_id(ctx.node, &s.screening),
                ),
            };
            if let Err(e) = valid {
                problem = reader.domain_problem(kind, e);
            } else if let Some(first) = seen.get(&entity) {
                problem = Some(format!("与第 {first} 行是同一条记录,重复了"));
            } else if store.entity(entity)?.is_some() {
                problem = Some("这条记录已经导入过,不再重复导入".into());
            } else if let RowOutcome::Case(c) = record
                && let Some(imported) = held.get(c.case_number.trim())
            {
                problem = Some(if *imported {
                    "这条记录已经导入过,不再重复导入".into()
                } else {
                    format!("案件编号 {} 已被本镇的案件使用", c.case_number.trim())
                });
            }
            seen.entry(entity).or_insert(*row);
            records.push((entity, read.expect("checked above")));
        }
        let preview = reader.preview(kind, extra, problem);
        for (heading, cell) in report.headings.iter().zip(&preview.cells) {
            if let Some(reason) = &cell.problem {
                report.problems.push(RowProblem {
                    row: *row,
                    column: heading.clone(),
                    reason: reason.clone(),
                });
            }
        }
        if let Some(reason) = &preview.problem {
            report.problems.push(RowProblem {
                row: *row,
                column: String::new(),
                reason: reason.clone(),
            });
        }
        report.rows.push(preview);
    }
    if report.rows.is_empty() && report.problems.is_empty() {
        report
            .problems
            .push(file_problem("文件中只有列名,没有要导入的记录"));
    }
    if !report.is_good() || request.dry_run {
        return Ok(report);
    }
    let numbers: Vec<String> = records
        .iter()
        .filter_map(|(_, r)| match r {
            RowOutcome::Case(c) => Some(c.case_number.clone()),
            RowOutcome::Screening(_) => None,
        })
        .collect();
    let marks = crate::ops::case_numbers_imported(store, &numbers)?;
    let drafts: Vec<Draft> = records
        .into_iter()
        .map(|(entity, record)| Draft {
            author: actor.name.clone(),
            entity,
            body: match record {
                RowOutcome::Case(c) => EventBody::CaseImported(c),
                RowOutcome::Screening(s) => EventBody::ScreeningImported(s),
            },
        })
        .collect();
    let ledger = Origin::node(store.node().clone());
    report.written = store
        .append_local_with(&ledger, now_ms, drafts, marks)?
        .len();
    tracing::info!(file = %file_name, written = report.written, by = %actor.name, "导入台账");
    Ok(report)
}

/// The file's own name, without the folders a browser or a path put before it.
fn display_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let base: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(limits::NAME)
        .collect();
    if base.is_empty() {
        "上传的文件".to_owned()
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_numbered_as_excel_shows_them() {
        let text = "\u{feff}a,b\r\n1,2\r\n\r\n3,4\r\n";
        let grid = read_csv(text.as_bytes()).unwrap();
        let rows: Vec<u32> = grid.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, [1, 2, 4], "{grid:?}");
    }
}
