//! Events: the immutable facts every node replicates. An entity's state is a
//! fold of its events; an origin's events form a hash chain.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::case::{self, ActorRole, CaseAction, CaseFile};
use crate::code::{Code, CodeError, Level};
use crate::error::FieldError;
use crate::hlc::Hlc;
use crate::imported::{ImportedCase, ImportedScreening};
use crate::meeting::Meeting;
use crate::record::{
    self, CaseRegistration, Incident, Screening, StabilityControl, Visit, ZeroReport,
};
use crate::report::MonthlyReport;
use crate::summary::DailySummary;
use crate::time::cst_date;

/// Where events are written: a node's own ledger, or a hub's outbox towards
/// the county. The outbox is a ledger of its own so that what the county may
/// see forms a gapless, verifiable chain without the township's private events.
#[derive(
    Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct Origin {
    node: Code,
    outbox: bool,
}

const OUTBOX_SUFFIX: &str = "/outbox";

impl Origin {
    pub fn node(code: Code) -> Origin {
        Origin {
            node: code,
            outbox: false,
        }
    }

    /// A township hub's ledger of what it forwards to the county.
    pub fn outbox(township: Code) -> Origin {
        Origin {
            node: township,
            outbox: true,
        }
    }

    pub fn code(&self) -> &Code {
        &self.node
    }

    pub fn is_outbox(&self) -> bool {
        self.outbox
    }

    pub fn parse(text: &str) -> Result<Origin, CodeError> {
        match text.strip_suffix(OUTBOX_SUFFIX) {
            Some(code) => {
                let code = Code::parse(code)?;
                if code.level() != Level::Township {
                    return Err(CodeError::OutboxNotTownship {
                        text: text.to_owned(),
                    });
                }
                Ok(Origin::outbox(code))
            }
            None => Ok(Origin::node(Code::parse(text)?)),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.node.as_str())?;
        if self.outbox {
            f.write_str(OUTBOX_SUFFIX)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({self})")
    }
}

impl FromStr for Origin {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Origin::parse(s)
    }
}

impl TryFrom<String> for Origin {
    type Error = CodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Origin::parse(&value)
    }
}

impl From<Origin> for String {
    fn from(origin: Origin) -> String {
        origin.to_string()
    }
}

/// A SHA-256 digest of an event.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The `prev_hash` of an origin's first event.
    pub const GENESIS: Digest = Digest([0; 32]);

    pub fn from_slice(field: &str, bytes: &[u8]) -> Result<Digest, FieldError> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| {
            FieldError::new(
                field,
                format!("须为 32 字节的 SHA-256 摘要,而不是 {} 字节", bytes.len()),
            )
        })?;
        Ok(Digest(array))
    }

    pub fn short(&self) -> String {
        hex::encode(&self.0[..6])
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.short())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Points at one event.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct EventRef {
    pub origin: Origin,
    pub seq: u64,
}

impl fmt::Display for EventRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.origin, self.seq)
    }
}

/// What happened. Serialised adjacently tagged (`{"kind":..,"data":..}`);
/// that JSON is the event's payload on the wire and in the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum EventBody {
    ScreeningRecorded(Screening),
    VisitRecorded(Visit),
    CaseRegistered(CaseRegistration),
    /// A hub's per-village, per-day screening counts; a later revision supersedes earlier ones.
    ScreeningSummary(DailySummary),
    /// A severe screening forwarded in full to the county, with where it came from.
    SevereScreeningReported(SevereScreeningReport),
    /// A step of a case's life, taken by a named person in a role.
    CaseStepped(CaseAction),
    /// The county hands a case down to a township (交办).
    CaseHandedDown(HandDown),
    /// A hub's copy of a case the county must see (escalated or handed down);
    /// a later revision supersedes earlier ones.
    CaseReported(Box<CaseReport>),
    /// The director signs a screening off (签字).
    ScreeningSignedOff(SignOff),
    /// A screening became a case; the case's registration names the screening.
    ScreeningConverted(Conversion),
    /// A township's monthly report, forwarded to the county.
    MonthlyReportFiled(MonthlyReport),
    /// A case from the township's old ledger, brought in by the hub (导入).
    CaseImported(Box<ImportedCase>),
    /// A screening from the township's old ledger, brought in by the hub.
    ScreeningImported(ImportedScreening),
    /// A village's screening round found nothing (零报告).
    ZeroReported(ZeroReport),
    /// A 群体性事件 or 民转刑 case that happened, recorded by the township.
    IncidentRecorded(Incident),
    /// A meeting's minutes (会议记录), recorded by the township.
    MeetingRecorded(Meeting),
    /// A screening's 稳控 responsibility, set or updated by the township.
    ScreeningControlled(StabilityControl),
    /// Numbers in the township's 受理事项总登记簿, given to what it received.
    RegisterNumbered(crate::register::RegisterNumbers),
    /// An entry of the 重点地区及突出问题排查整治登记簿, recorded or updated
    /// by the township; the latest recording stands.
    HotspotRecorded(crate::hotspot::Hotspot),
    /// A 专项排查 the township declared (or corrected: the latest stands).
    CampaignDeclared(crate::campaign::Campaign),
    /// A township's 自查评分 of a half-year or year, filed with the county;
    /// a later revision supersedes earlier ones.
    AssessmentFiled(crate::assessment::AssessmentSheet),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandDown {
    pub township: Code,
    pub registration: CaseRegistration,
    pub note: String,
    /// The county's 办结期限: once the township accepts the case, its
    /// resolution is due by this day or the township's own deadline,
    /// whichever comes first. None: the township's deadline alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseReport {
    pub file: CaseFile,
    pub revision: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOff {
    pub role: ActorRole,
    pub note: String,
    /// On the hub's outbox copy for the county: when the director signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<Hlc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Conversion {
    pub role: ActorRole,
    pub case: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SevereScreeningReport {
    pub screening: Screening,
    pub source: EventRef,
    /// When the village recorded it, so the county can check the 24-hour rule.
    pub recorded_at: Hlc,
}

impl EventBody {
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::ScreeningRecorded(_) => "screening_recorded",
            EventBody::VisitRecorded(_) => "visit_recorded",
            EventBody::CaseRegistered(_) => "case_registered",
            EventBody::ScreeningSummary(_) => "screening_summary",
            EventBody::SevereScreeningReported(_) => "severe_screening_reported",
            EventBody::CaseStepped(_) => "case_stepped",
            EventBody::CaseHandedDown(_) => "case_handed_down",
            EventBody::CaseReported(_) => "case_reported",
            EventBody::ScreeningSignedOff(_) => "screening_signed_off",
            EventBody::ScreeningConverted(_) => "screening_converted",
            EventBody::MonthlyReportFiled(_) => "monthly_report_filed",
            EventBody::CaseImported(_) => "case_imported",
            EventBody::ScreeningImported(_) => "screening_imported",
            EventBody::ZeroReported(_) => "zero_reported",
            EventBody::IncidentRecorded(_) => "incident_recorded",
            EventBody::MeetingRecorded(_) => "meeting_recorded",
            EventBody::ScreeningControlled(_) => "screening_controlled",
            EventBody::RegisterNumbered(_) => "register_numbered",
            EventBody::HotspotRecorded(_) => "hotspot_recorded",
            EventBody::CampaignDeclared(_) => "campaign_declared",
            EventBody::AssessmentFiled(_) => "assessment_filed",
        }
    }

    /// The files this event names, whose bytes a parent must hold before it
    /// takes the event in (see `sanji_sync`): a case's attachment, and a
    /// hub's copy of a case for the county with the files on it.
    pub fn attachments(&self) -> Vec<&crate::attachment::Attachment> {
        match self {
            EventBody::CaseStepped(CaseAction {
                step: crate::case::CaseStep::Attach { attachment },
                ..
            }) => vec![attachment],
            EventBody::CaseReported(report) => report
                .file
                .attachments
                .iter()
                .map(|a| &a.attachment)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The canonical payload bytes under the current rule ([`HashRule::CURRENT`]).
    pub fn encode(&self) -> Vec<u8> {
        self.encode_under(HashRule::CURRENT)
    }

    /// The canonical payload bytes under `rule`: RFC 8785 (JCS) for
    /// [`HashRule::V2`]; for [`HashRule::V1`], serde_json's compact output
    /// in the order the fields are declared here.
    pub fn encode_under(&self, rule: HashRule) -> Vec<u8> {
        match rule {
            HashRule::V1 => serde_json::to_vec(self).expect("event bodies serialise to JSON"),
            // RFC 8785 for what bodies hold: serde_json's `Value` keeps object
            // members sorted by their bytes, which is JCS's UTF-16 order for the
            // ASCII names every field and tag has; bodies hold integers and
            // strings only, which serde_json writes as JCS does. Three times
            // faster than a general canonicalizer; the published vectors and
            // schema are checked against one (crates/proto/tests/vectors.rs).
            HashRule::V2 => serde_json::to_vec(
                &serde_json::to_value(self).expect("event bodies serialise to JSON"),
            )
            .expect("JSON values serialise"),
        }
    }

    /// [`EventBody::decode_under`] the current rule.
    pub fn decode(bytes: &[u8]) -> Result<EventBody, FieldError> {
        EventBody::decode_under(bytes, HashRule::CURRENT)
    }

    /// Decodes payload bytes, insisting they are exactly the canonical
    /// encoding under `rule`, so two nodes can never hash one event two ways.
    pub fn decode_under(bytes: &[u8], rule: HashRule) -> Result<EventBody, FieldError> {
        let tag_first;
        let typed = match rule {
            HashRule::V1 => bytes,
            HashRule::V2 => {
                tag_first = EventBody::tag_first(bytes)?;
                tag_first.as_slice()
            }
        };
        let mut de = serde_json::Deserializer::from_slice(typed);
        let body: EventBody = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "payload".to_owned()
            } else {
                format!("payload.{path}")
            };
            FieldError::new(field, format!("无法解析:{}", e.inner()))
        })?;
        if body.encode_under(rule) != bytes {
            return Err(FieldError::new(
                "payload",
                match rule {
                    HashRule::V1 => "不是规范编码(字段顺序或空白与规范不同)",
                    HashRule::V2 => {
                        "不是 RFC 8785(JCS)规范编码:键须按 UTF-16 码元排序,无空白,数字与字符串按 JCS 书写"
                    }
                },
            ));
        }
        Ok(body)
    }

    /// The same payload with `kind` ahead of `data`. JCS sorts `data`
    /// first, and serde reads an adjacently tagged enum whose content comes
    /// before its tag only as an opaque buffer, so an error deep in the
    /// record would be told as "payload" instead of its field's path.
    fn tag_first(bytes: &[u8]) -> Result<Vec<u8>, FieldError> {
        #[derive(Deserialize)]
        struct Parts {
            kind: Option<serde_json::Value>,
            data: Option<serde_json::Value>,
        }
        #[derive(Serialize)]
        struct TagFirst<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            kind: &'a Option<serde_json::Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            data: &'a Option<serde_json::Value>,
        }
        // Bytes after the object are left to the canonical comparison.
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parts = Parts::deserialize(&mut de)
            .map_err(|e| FieldError::new("payload", format!("无法解析:{e}")))?;
        Ok(serde_json::to_vec(&TagFirst {
            kind: &parts.kind,
            data: &parts.data,
        })
        .expect("JSON values serialise"))
    }

    /// Which origins may write this kind of event.
    fn check_origin(&self, origin: &Origin) -> Result<(), FieldError> {
        let allowed = match self {
            // A village's station, or the township center's own screeners (分区分线).
            EventBody::ScreeningRecorded(_) => {
                !origin.is_outbox() && origin.code().level() != Level::County
            }
            EventBody::ZeroReported(_) => {
                !origin.is_outbox() && origin.code().level() == Level::Village
            }
            EventBody::VisitRecorded(_) | EventBody::CaseRegistered(_) => {
                !origin.is_outbox() && origin.code().level() != Level::County
            }
            // Only a township hub forwards to the county.
            EventBody::ScreeningSummary(_)
            | EventBody::SevereScreeningReported(_)
            | EventBody::CaseReported(_)
            | EventBody::MonthlyReportFiled(_)
            | EventBody::AssessmentFiled(_) => {
                origin.is_outbox() && origin.code().level() == Level::Township
            }
            EventBody::CaseStepped(action) => {
                !origin.is_outbox() && origin.code().level() == case::role_level(action.role)
            }
            EventBody::CaseHandedDown(_) => {
                !origin.is_outbox() && origin.code().level() == Level::County
            }
            // The outbox carries a copy of a severe screening's signature to the county.
            EventBody::ScreeningSignedOff(_) => origin.code().level() == Level::Township,
            // Old ledgers are the township's: only its hub imports them.
            EventBody::ScreeningConverted(_)
            | EventBody::IncidentRecorded(_)
            | EventBody::MeetingRecorded(_)
            | EventBody::ScreeningControlled(_)
            | EventBody::RegisterNumbered(_)
            | EventBody::HotspotRecorded(_)
            | EventBody::CampaignDeclared(_)
            | EventBody::CaseImported(_)
            | EventBody::ScreeningImported(_) => {
                !origin.is_outbox() && origin.code().level() == Level::Township
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(FieldError::new(
                "origin",
                format!("{origin} 不能产生 {} 类事件", self.kind()),
            ))
        }
    }
}

/// One immutable fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// UUIDv7: unique without coordination.
    pub id: Uuid,
    pub origin: Origin,
    /// Gapless per origin, from 1.
    pub seq: u64,
    pub hlc: Hlc,
    /// The person who did it.
    pub author: String,
    /// The entity this event belongs to (a screening, visit, case, summary).
    pub entity: Uuid,
    pub body: EventBody,
    /// Hash of the origin's event `seq - 1`; [`Digest::GENESIS`] for seq 1.
    pub prev_hash: Digest,
    /// The rule this event's payload bytes and hash follow. Absent at rest
    /// for the first rule, so events stored before there was a second read
    /// back as they were.
    #[serde(default, skip_serializing_if = "HashRule::is_v1")]
    pub hash_rule: HashRule,
}

/// Which rule an event's canonical payload and hash follow. Hashes never
/// change meaning: an event keeps the rule it was made under, and a new rule
/// gets a new tag. docs/PROTOCOL.md gives each byte by byte.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum HashRule {
    /// `sanji.event.v1`: the payload as serde_json writes it, fields in the
    /// order this crate declares them. Only this code knows that order.
    #[default]
    V1,
    /// `sanji.event.v2`: the payload in RFC 8785 JSON Canonicalization
    /// (sorted keys, no whitespace), which libraries in every language write.
    V2,
}

impl HashRule {
    /// What new events are made under.
    pub const CURRENT: HashRule = HashRule::V2;

    fn tag(self) -> &'static [u8] {
        match self {
            HashRule::V1 => b"sanji.event.v1",
            HashRule::V2 => b"sanji.event.v2",
        }
    }

    pub fn is_v1(&self) -> bool {
        *self == HashRule::V1
    }

    /// The number `Event.hash_version` carries on the wire.
    pub fn wire(self) -> u32 {
        match self {
            HashRule::V1 => 1,
            HashRule::V2 => 2,
        }
    }

    /// From the wire: 0 (a sender that predates the field) and 1 are the
    /// first rule.
    pub fn from_wire(field: &str, n: u32) -> Result<HashRule, FieldError> {
        match n {
            0 | 1 => Ok(HashRule::V1),
            2 => Ok(HashRule::V2),
            other => Err(FieldError::new(
                field,
                format!("未知的摘要规则 {other}:本程序认识 1 和 2,请升级后再同步"),
            )),
        }
    }
}

impl Event {
    pub fn event_ref(&self) -> EventRef {
        EventRef {
            origin: self.origin.clone(),
            seq: self.seq,
        }
    }

    /// The payload's canonical bytes under the event's own rule.
    pub fn payload(&self) -> Vec<u8> {
        self.body.encode_under(self.hash_rule)
    }

    /// The tamper-evident digest over every field, payload in canonical
    /// form: SHA-256 of [`Event::hash_input`].
    pub fn hash(&self) -> Digest {
        self.hash_with_payload(&self.payload())
    }

    /// [`Event::hash`] with the payload's canonical bytes already at hand
    /// (decoded and checked from the wire, or about to be sent).
    pub fn hash_with_payload(&self, payload: &[u8]) -> Digest {
        Digest(Sha256::digest(self.hash_input_with_payload(payload)).into())
    }

    /// The bytes the hash covers: the rule's tag and each field in this
    /// order, each preceded by its length as 8 bytes big-endian — id (16
    /// bytes), origin (UTF-8), seq (8 BE), HLC wall ms (8 BE), HLC counter
    /// (4 BE), author (UTF-8), entity (16), payload (canonical bytes under
    /// the rule), prev_hash (32).
    pub fn hash_input(&self) -> Vec<u8> {
        self.hash_input_with_payload(&self.payload())
    }

    fn hash_input_with_payload(&self, payload: &[u8]) -> Vec<u8> {
        let origin = self.origin.to_string();
        let mut out = Vec::with_capacity(200 + payload.len() + self.author.len());
        let mut field = |bytes: &[u8]| {
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        };
        field(self.hash_rule.tag());
        field(self.id.as_bytes());
        field(origin.as_bytes());
        field(&self.seq.to_be_bytes());
        field(&self.hlc.wall_ms.to_be_bytes());
        field(&self.hlc.counter.to_be_bytes());
        field(self.author.as_bytes());
        field(self.entity.as_bytes());
        field(payload);
        field(&self.prev_hash.0);
        out
    }

    /// Every rule an event must satisfy on its own, whoever sends it. Record
    /// dates are checked against the day the event was stamped (CST), so a
    /// station with a wrong clock is judged by its own calendar, not ours.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.id.get_version_num() != 7 {
            return Err(FieldError::new("id", "须为 UUIDv7"));
        }
        if self.seq == 0 {
            return Err(FieldError::new("seq", "序号从 1 开始"));
        }
        if self.seq == 1 && self.prev_hash != Digest::GENESIS {
            return Err(FieldError::new(
                "prev_hash",
                "第 1 个事件的前序摘要须为全 0",
            ));
        }
        if self.hlc.wall_ms == 0 {
            return Err(FieldError::new("hlc", "时间戳不能为 0"));
        }
        record::name("author", &self.author)?;
        if self.entity.is_nil() {
            return Err(FieldError::new("entity", "不能为空 UUID"));
        }
        self.body.check_origin(&self.origin)?;
        let today = cst_date(self.hlc.wall_ms);
        match &self.body {
            EventBody::ScreeningRecorded(s) => {
                s.validate(today).map_err(|e| e.within("payload.data"))?;
                match self.origin.code().level() {
                    Level::Village => {
                        same_code("payload.data.village", &s.village, self.origin.code())
                    }
                    _ => under_code("payload.data.village", &s.village, self.origin.code()),
                }
            }
            EventBody::IncidentRecorded(i) => {
                i.validate(today).map_err(|e| e.within("payload.data"))?;
                if i.place != *self.origin.code() && !i.place.is_under(self.origin.code()) {
                    return Err(FieldError::new(
                        "payload.data.place",
                        format!("{} 不在 {} 的辖区内", i.place, self.origin.code()),
                    ));
                }
                Ok(())
            }
            EventBody::MeetingRecorded(m) => {
                m.validate(today).map_err(|e| e.within("payload.data"))
            }
            EventBody::AssessmentFiled(a) => {
                a.validate().map_err(|e| e.within("payload.data"))?;
                same_code("payload.data.township", &a.township, self.origin.code())?;
                let period = crate::report::Period::parse(&a.period)
                    .map_err(|e| FieldError::new("payload.data.period", e.to_string()))?;
                if self.entity
                    != crate::assessment::AssessmentSheet::entity_id(&a.township, &period)
                {
                    return Err(FieldError::new(
                        "entity",
                        "自查评分的实体编号须由乡镇代码和期间导出",
                    ));
                }
                Ok(())
            }
            EventBody::CampaignDeclared(c) => {
                c.validate(today).map_err(|e| e.within("payload.data"))
            }
            EventBody::HotspotRecorded(h) => {
                h.validate(today).map_err(|e| e.within("payload.data"))?;
                match &h.village {
                    Some(v) => under_code("payload.data.village", v, self.origin.code()),
                    None => Ok(()),
                }
            }
            // The event does not carry the screening's day; the time limit
            // is held against it where the responsibility is set.
            EventBody::ScreeningControlled(c) => c
                .validate(chrono::NaiveDate::MIN)
                .map_err(|e| e.within("payload.data")),
            EventBody::ZeroReported(z) => {
                z.validate(today).map_err(|e| e.within("payload.data"))?;
                same_code("payload.data.village", &z.village, self.origin.code())
            }
            EventBody::VisitRecorded(v) => {
                v.validate(today).map_err(|e| e.within("payload.data"))?;
                same_code(
                    "payload.data.received_at",
                    &v.received_at,
                    self.origin.code(),
                )
            }
            EventBody::CaseRegistered(c) => {
                c.validate(today).map_err(|e| e.within("payload.data"))?;
                if c.place != *self.origin.code() && !c.place.is_under(self.origin.code()) {
                    return Err(FieldError::new(
                        "payload.data.place",
                        format!("{} 不在登记单位 {} 的辖区内", c.place, self.origin.code()),
                    ));
                }
                Ok(())
            }
            EventBody::ScreeningSummary(s) => {
                s.validate().map_err(|e| e.within("payload.data"))?;
                under_code("payload.data.village", &s.village, self.origin.code())?;
                if self.entity != DailySummary::entity_id(&s.village, s.date) {
                    return Err(FieldError::new(
                        "entity",
                        "汇总的实体编号须由村代码和日期导出",
                    ));
                }
                Ok(())
            }
            EventBody::SevereScreeningReported(r) => {
                // `recorded_at` is the village's clock and `hlc` the hub's: a
                // village laptop that ran fast may have recorded "after" the
                // hub reported it, and the hub does not adopt a fast clock.
                if r.source.seq == 0 {
                    return Err(FieldError::new("payload.data.source.seq", "序号从 1 开始"));
                }
                r.screening
                    .validate(cst_date(r.recorded_at.wall_ms))
                    .map_err(|e| e.within("payload.data.screening"))?;
                if !r.screening.is_severe() {
                    return Err(FieldError::new(
                        "payload.data.screening.risk",
                        "只有重大或有群体性风险的排查才上报县级",
                    ));
                }
                under_code(
                    "payload.data.screening.village",
                    &r.screening.village,
                    self.origin.code(),
                )?;
                let village = Origin::node(r.screening.village.clone());
                let township = Origin::node(self.origin.code().clone());
                if r.source.origin != village && r.source.origin != township {
                    return Err(FieldError::new(
                        "payload.data.source",
                        "来源须为该村或本乡镇的台账",
                    ));
                }
                Ok(())
            }
            EventBody::CaseStepped(action) => {
                action.step.validate().map_err(|e| e.within("payload.data"))
            }
            EventBody::CaseHandedDown(h) => {
                record::text("payload.data.note", &h.note, 1)?;
                if !h.township.is_child_of(self.origin.code()) {
                    return Err(FieldError::new(
                        "payload.data.township",
                        format!("{} 不是 {} 下辖的乡镇", h.township, self.origin.code()),
                    ));
                }
                h.registration
                    .validate(today)
                    .map_err(|e| e.within("payload.data.registration"))?;
                if h.registration.place != h.township && !h.registration.place.is_under(&h.township)
                {
                    return Err(FieldError::new(
                        "payload.data.registration.place",
                        format!("{} 不在 {} 辖区内", h.registration.place, h.township),
                    ));
                }
                if h.registration.source != crate::record::CaseSource::HandedDown {
                    return Err(FieldError::new(
                        "payload.data.registration.source",
                        "县级交办的案件来源须为「上级交办」",
                    ));
                }
                if h.deadline.is_some_and(|d| d < h.registration.registered_on) {
                    return Err(FieldError::new(
                        "payload.data.deadline",
                        "办结期限不能早于登记日期",
                    ));
                }
                Ok(())
            }
            EventBody::CaseReported(r) => {
                let place = &r.file.registration.place;
                if place != self.origin.code() && !place.is_under(self.origin.code()) {
                    return Err(FieldError::new(
                        "payload.data.file.registration.place",
                        format!("{place} 不在 {} 辖区内", self.origin.code()),
                    ));
                }
                Ok(())
            }
            EventBody::ScreeningSignedOff(s) => {
                case::check_role("排查签字", case::SIGN_OFF_ROLES, s.role)
                    .map_err(|why| FieldError::new("payload.data.role", why))?;
                record::text("payload.data.note", &s.note, 0)
            }
            EventBody::ScreeningConverted(c) => {
                case::check_role("排查转案", case::CONVERT_ROLES, c.role)
                    .map_err(|why| FieldError::new("payload.data.role", why))?;
                if c.case.is_nil() {
                    return Err(FieldError::new("payload.data.case", "不能为空 UUID"));
                }
                Ok(())
            }
            EventBody::CaseImported(c) => {
                c.validate(today).map_err(|e| e.within("payload.data"))?;
                let place = &c.registration.place;
                if place != self.origin.code() && !place.is_under(self.origin.code()) {
                    return Err(FieldError::new(
                        "payload.data.registration.place",
                        format!("{place} 不在导入单位 {} 的辖区内", self.origin.code()),
                    ));
                }
                if self.entity != ImportedCase::entity_id(self.origin.code(), &c.case_number) {
                    return Err(FieldError::new(
                        "entity",
                        "导入案件的实体编号须由乡镇代码和案件编号导出",
                    ));
                }
                Ok(())
            }
            EventBody::ScreeningImported(s) => {
                s.validate(today).map_err(|e| e.within("payload.data"))?;
                under_code(
                    "payload.data.screening.village",
                    &s.screening.village,
                    self.origin.code(),
                )?;
                if self.entity != ImportedScreening::entity_id(self.origin.code(), &s.screening) {
                    return Err(FieldError::new(
                        "entity",
                        "导入排查的实体编号须由乡镇代码和排查内容导出",
                    ));
                }
                Ok(())
            }
            EventBody::MonthlyReportFiled(m) => {
                m.validate().map_err(|e| e.within("payload.data"))?;
                same_code("payload.data.township", &m.township, self.origin.code())?;
                if self.entity != MonthlyReport::entity_id(&m.township, m.month) {
                    return Err(FieldError::new(
                        "entity",
                        "月报的实体编号须由乡镇代码和月份导出",
                    ));
                }
                Ok(())
            }
            EventBody::RegisterNumbered(n) => {
                n.validate().map_err(|e| e.within("payload.data"))?;
                same_code("payload.data.township", &n.township, self.origin.code())?;
                if self.entity
                    != crate::register::RegisterNumbers::entity_id(&n.township, n.year, n.book)
                {
                    return Err(FieldError::new(
                        "entity",
                        "登记簿的实体编号须由乡镇代码、年份和簿册导出",
                    ));
                }
                Ok(())
            }
        }
    }
}

fn same_code(field: &str, value: &Code, origin: &Code) -> Result<(), FieldError> {
    if value != origin {
        return Err(FieldError::new(
            field,
            format!("{value} 与事件来源 {origin} 不符"),
        ));
    }
    Ok(())
}

fn under_code(field: &str, value: &Code, origin: &Code) -> Result<(), FieldError> {
    if !value.is_under(origin) {
        return Err(FieldError::new(
            field,
            format!("{value} 不在 {origin} 辖区内"),
        ));
    }
    Ok(())
}

/// For each origin, the highest seq held. Sync is "send me what is above this".
pub type VersionVector = std::collections::BTreeMap<Origin, u64>;
