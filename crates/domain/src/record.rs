//! The ledgers' records (台账): screening, visit and case registration, with
//! the rules each field must obey. Validation reports the first broken rule
//! as a [`FieldError`] naming the field.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::code::{Code, Level};
use crate::error::FieldError;
use crate::labels::{Labelled, labelled_enum};

labelled_enum! {
    /// 纠纷类别 of the screening form.
    Category {
        Land = "land", "土地山林水利";
        FamilyNeighbour = "family_neighbour", "婚姻家庭邻里";
        Labour = "labour", "劳资";
        Expropriation = "expropriation", "征地拆迁";
        Environment = "environment", "环境污染";
        Medical = "medical", "医疗";
        LawRelated = "law_related", "涉法涉诉";
        Other = "other", "其他";
    }
}

labelled_enum! {
    /// 风险等级.
    RiskLevel {
        General = "general", "一般";
        Major = "major", "较大";
        Severe = "severe", "重大";
    }
}

labelled_enum! {
    /// How a visit reached us (来访/来信/来电).
    VisitChannel {
        InPerson = "in_person", "来访";
        Letter = "letter", "来信";
        Phone = "phone", "来电";
    }
}

labelled_enum! {
    /// 案件来源.
    CaseSource {
        Visit = "visit", "来访";
        Letter = "letter", "来信";
        Phone = "phone", "来电";
        Screening = "screening", "排查转案";
        HandedDown = "handed_down", "上级交办";
        Online = "online", "网上";
    }
}

labelled_enum! {
    /// What actually happened (not a risk foreseen at a screening).
    IncidentKind {
        MassIncident = "mass_incident", "群体性事件";
        CriminalConversion = "criminal_conversion", "民转刑案件";
    }
}

/// A 群体性事件 or a 民转刑 case that happened: its own ledger entry,
/// recorded by the township center, linked to the screenings and cases it
/// grew out of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    pub kind: IncidentKind,
    /// Where: a village of the township, or the township itself.
    pub place: Code,
    pub occurred_on: NaiveDate,
    pub people_involved: u32,
    pub parties: Vec<Party>,
    /// 起因.
    pub cause: String,
    /// 处置情况.
    pub handling: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screenings: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<Uuid>,
}

impl Incident {
    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        if self.place.level() == Level::County {
            return Err(FieldError::new("place", "须为村或乡镇代码"));
        }
        date("occurred_on", self.occurred_on, today)?;
        people("people_involved", self.people_involved)?;
        parties("parties", &self.parties, 1)?;
        text("cause", &self.cause, 1)?;
        text("handling", &self.handling, 1)?;
        for (field, links) in [("screenings", &self.screenings), ("cases", &self.cases)] {
            if links.len() > limits::PARTIES {
                return Err(FieldError::new(
                    field,
                    format!(
                        "关联记录过多:{} 条,最多 {} 条",
                        links.len(),
                        limits::PARTIES
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Limits on free text, in characters (not bytes: Chinese is 3 bytes a character).
pub mod limits {
    pub const NAME: usize = 50;
    pub const CONTACT: usize = 50;
    pub const TEXT: usize = 2000;
    pub const PARTIES: usize = 50;
    pub const PEOPLE: u32 = 100_000;
    /// Records dated before this are typing mistakes, not history.
    pub const EARLIEST_YEAR: i32 = 2000;
}

/// 当事人: a person or party named in a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// 不安定因素排查登记.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    pub village: Code,
    pub screened_on: NaiveDate,
    pub screener: String,
    pub category: Category,
    pub parties: Vec<Party>,
    pub people_involved: u32,
    pub risk: RiskLevel,
    pub may_escalate: bool,
    pub mass_incident_risk: bool,
    pub description: String,
    #[serde(default)]
    pub measures: String,
    /// 分线: the trade or field a township center's screener covers
    /// (建筑工地, 学校周边, 企业劳资), for the center's own screenings;
    /// left out of a village's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

impl Screening {
    /// 重大, or any risk of a mass incident: must reach the county promptly.
    pub fn is_severe(&self) -> bool {
        self.risk == RiskLevel::Severe || self.mass_incident_risk
    }

    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        level("village", &self.village, Level::Village)?;
        date("screened_on", self.screened_on, today)?;
        name("screener", &self.screener)?;
        parties("parties", &self.parties, 1)?;
        people("people_involved", self.people_involved)?;
        text("description", &self.description, 1)?;
        text("measures", &self.measures, 0)?;
        if let Some(line) = &self.line {
            name("line", line)?;
        }
        Ok(())
    }
}

labelled_enum! {
    /// What the unit responsible says of a screening it keeps stable.
    ControlStatus {
        Controlling = "controlling", "稳控中";
        Resolved = "resolved", "已化解";
    }
}

/// 稳控责任: who keeps a screening that is not a case from flaring up, how,
/// by when, and how it stands. Set (and updated) by the township; the
/// village sees it on its screening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StabilityControl {
    /// 责任单位: a member unit, or the village itself.
    pub unit: String,
    /// 责任人.
    pub person: String,
    /// 稳控措施.
    pub measures: String,
    /// 化解时限.
    pub time_limit: NaiveDate,
    pub status: ControlStatus,
    #[serde(default)]
    pub note: String,
}

impl StabilityControl {
    /// `screened_on`: the screening's day, before which no time limit falls.
    pub fn validate(&self, screened_on: NaiveDate) -> Result<(), FieldError> {
        name("unit", &self.unit)?;
        name("person", &self.person)?;
        text("measures", &self.measures, 1)?;
        if self.time_limit < screened_on {
            return Err(FieldError::new(
                "time_limit",
                format!(
                    "化解时限 {} 早于排查日期 {screened_on},请核对",
                    self.time_limit
                ),
            ));
        }
        text("note", &self.note, 0)
    }
}

labelled_enum! {
    /// A screening's follow-through as the ledgers show it (稳控情况).
    ControlStanding {
        Unassigned = "unassigned", "未落实稳控责任";
        Controlling = "controlling", "稳控中";
        Overdue = "overdue", "稳控逾期";
        Resolved = "resolved", "已化解";
        Converted = "converted", "转为案件";
    }
}

/// How a screening stands on `today`: turned into a case, else what its
/// 稳控 responsibility says, overdue once its time limit has passed unsettled.
pub fn control_standing(
    control: Option<&StabilityControl>,
    converted: bool,
    today: NaiveDate,
) -> ControlStanding {
    match control {
        _ if converted => ControlStanding::Converted,
        None => ControlStanding::Unassigned,
        Some(c) if c.status == ControlStatus::Resolved => ControlStanding::Resolved,
        Some(c) if today > c.time_limit => ControlStanding::Overdue,
        Some(_) => ControlStanding::Controlling,
    }
}

/// 零报告: a screening round that found nothing to register (本轮排查无
///矛盾纠纷和不安定因素), so the township can tell a quiet village from one
/// that did not screen. It answers for the week of `round_on` (Monday to
/// Sunday, CST): the documents hold a 矛盾纠纷大排查 every week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZeroReport {
    pub village: Code,
    pub round_on: NaiveDate,
    pub screener: String,
    #[serde(default)]
    pub note: String,
}

impl ZeroReport {
    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        level("village", &self.village, Level::Village)?;
        date("round_on", self.round_on, today)?;
        name("screener", &self.screener)?;
        text("note", &self.note, 0)?;
        Ok(())
    }
}

/// 接访记录.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    /// Where the visit was received: a village station or the township center.
    pub received_at: Code,
    pub visited_on: NaiveDate,
    pub channel: VisitChannel,
    pub visitor: Party,
    pub people_count: u32,
    pub category: Category,
    pub summary: String,
    pub receiver: String,
    /// 当场答复: the answer given on the spot, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

impl Visit {
    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        if self.received_at.level() == Level::County {
            return Err(FieldError::new("received_at", "须为村或乡镇代码"));
        }
        date("visited_on", self.visited_on, today)?;
        party(&self.visitor).map_err(|e| e.within("visitor"))?;
        people("people_count", self.people_count)?;
        text("summary", &self.summary, 1)?;
        name("receiver", &self.receiver)?;
        if let Some(answer) = &self.answer {
            text("answer", answer, 1)?;
        }
        Ok(())
    }
}

/// 案件受理登记: the first page of 一案一档.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseRegistration {
    /// The village (or township) where the dispute arises.
    pub place: Code,
    pub registered_on: NaiveDate,
    pub source: CaseSource,
    pub category: Category,
    pub parties: Vec<Party>,
    pub people_involved: u32,
    /// 诉求.
    pub claim: String,
    /// 首问首接: the person who first received the matter, on the record to the end.
    pub first_receiver: String,
    /// The unit (or station) of the first receiver.
    pub first_unit: String,
    /// 疑难: a complex case, rewarded differently.
    #[serde(default)]
    pub complex: bool,
    /// The screening or visit this case was turned from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_record: Option<Uuid>,
}

impl CaseRegistration {
    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        if self.place.level() == Level::County {
            return Err(FieldError::new("place", "须为村或乡镇代码"));
        }
        date("registered_on", self.registered_on, today)?;
        parties("parties", &self.parties, 1)?;
        people("people_involved", self.people_involved)?;
        text("claim", &self.claim, 1)?;
        name("first_receiver", &self.first_receiver)?;
        name("first_unit", &self.first_unit)?;
        Ok(())
    }
}

fn level(field: &str, code: &Code, want: Level) -> Result<(), FieldError> {
    Code::parse_level(field, code.as_str(), want).map(|_| ())
}

pub(crate) fn date(field: &str, value: NaiveDate, today: NaiveDate) -> Result<(), FieldError> {
    if value > today {
        return Err(FieldError::new(
            field,
            format!("日期 {value} 晚于登记当天 {today},不能填写将来的日期"),
        ));
    }
    if chrono::Datelike::year(&value) < limits::EARLIEST_YEAR {
        return Err(FieldError::new(
            field,
            format!("日期 {value} 早于 {} 年,请核对", limits::EARLIEST_YEAR),
        ));
    }
    Ok(())
}

/// Free text: trimmed length within `min..=limits::TEXT` characters, no control characters
/// other than line breaks.
pub fn text(field: &str, value: &str, min: usize) -> Result<(), FieldError> {
    bounded(field, value, min, limits::TEXT)
}

/// A name or short label: like text, but on one line.
pub fn name(field: &str, value: &str) -> Result<(), FieldError> {
    bounded(field, value, 1, limits::NAME)?;
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(FieldError::new(
            field,
            format!("须写在一行内,不能含控制字符 U+{:04X}", c as u32),
        ));
    }
    Ok(())
}

fn bounded(field: &str, value: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let chars = value.trim().chars().count();
    if chars < min {
        return Err(FieldError::new(field, "不能为空"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("过长:{} 字,最多 {max} 字", value.chars().count()),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\r' && *c != '\t')
    {
        return Err(FieldError::new(
            field,
            format!("含有不可见控制字符 U+{:04X}", c as u32),
        ));
    }
    Ok(())
}

fn people(field: &str, value: u32) -> Result<(), FieldError> {
    if value == 0 || value > limits::PEOPLE {
        return Err(FieldError::new(
            field,
            format!("人数须在 1 到 {} 之间,而不是 {value}", limits::PEOPLE),
        ));
    }
    Ok(())
}

fn party(value: &Party) -> Result<(), FieldError> {
    name("name", &value.name)?;
    if let Some(contact) = &value.contact {
        bounded("contact", contact, 1, limits::CONTACT)?;
        name("contact", contact)?;
    }
    Ok(())
}

fn parties(field: &str, values: &[Party], min: usize) -> Result<(), FieldError> {
    if values.len() < min {
        return Err(FieldError::new(field, format!("至少填写 {min} 名当事人")));
    }
    if values.len() > limits::PARTIES {
        return Err(FieldError::new(
            field,
            format!("当事人过多:{} 名,最多 {} 名", values.len(), limits::PARTIES),
        ));
    }
    for (i, p) in values.iter().enumerate() {
        party(p).map_err(|e| e.within(&format!("{field}[{i}]")))?;
    }
    Ok(())
}

/// Parses `--category` style input, naming the field on failure.
pub fn parse_labelled<T: Labelled>(field: &str, text: &str) -> Result<T, FieldError> {
    T::parse_for(field, text)
}
