//! Fixtures shared by the domain's integration tests: one township, two of
//! its villages, a neighbouring township, and realistic records and events.
//! Everything is deterministic: no clock, no randomness.

#![allow(dead_code)] // each test file uses its own subset

use chrono::NaiveDate;
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening, Visit, VisitChannel,
};
use sanji_domain::{
    Code, DailySummary, Digest, Event, EventBody, EventRef, Hlc, Origin, SevereScreeningReport,
};
use uuid::Uuid;

pub const COUNTY: &str = "360123";
pub const TOWNSHIP: &str = "360123100";
pub const OTHER_TOWNSHIP: &str = "360123101";
pub const VILLAGE: &str = "360123100201";
pub const OTHER_VILLAGE: &str = "360123100202";
/// A village of the neighbouring township.
pub const FOREIGN_VILLAGE: &str = "360123101201";

/// 2026-11-26T02:00:00Z, 10:00 in Beijing on 2026-11-26.
pub const NOW_MS: u64 = 1_795_658_400_000;
pub const HOUR_MS: u64 = 3_600_000;
pub const DAY_MS: u64 = 24 * HOUR_MS;

pub fn code(text: &str) -> Code {
    Code::parse(text).unwrap_or_else(|e| panic!("fixture code {text}: {e}"))
}

pub fn date(text: &str) -> NaiveDate {
    text.parse()
        .unwrap_or_else(|e| panic!("fixture date {text}: {e}"))
}

/// The CST day of [`NOW_MS`].
pub fn today() -> NaiveDate {
    date("2026-11-26")
}

pub fn village_origin() -> Origin {
    Origin::node(code(VILLAGE))
}

pub fn township_origin() -> Origin {
    Origin::node(code(TOWNSHIP))
}

pub fn outbox_origin() -> Origin {
    Origin::outbox(code(TOWNSHIP))
}

/// `n` Chinese characters (3 bytes each in UTF-8, one character each for the limits).
pub fn chinese(n: usize) -> String {
    "中".repeat(n)
}

/// A UUIDv7 for a given millisecond, distinct per `salt`.
pub fn v7(ms: u64, salt: u64) -> Uuid {
    let mut bytes = [0u8; 10];
    bytes[2..].copy_from_slice(&salt.to_be_bytes());
    uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid()
}

pub fn party(name: &str, contact: Option<&str>) -> Party {
    Party {
        name: name.into(),
        contact: contact.map(Into::into),
    }
}

pub fn screening() -> Screening {
    Screening {
        village: code(VILLAGE),
        screened_on: date("2026-11-25"),
        screener: "李明".into(),
        category: Category::Land,
        parties: vec![party("王某", Some("13800000000")), party("张某", None)],
        people_involved: 2,
        risk: RiskLevel::General,
        may_escalate: false,
        mass_incident_risk: false,
        description: "两户因宅基地边界发生争执,\n双方各执一词".into(),
        measures: "已上门调解,约定下周现场测量".into(),
    }
}

pub fn severe_screening() -> Screening {
    Screening {
        category: Category::Expropriation,
        people_involved: 35,
        risk: RiskLevel::Severe,
        may_escalate: true,
        mass_incident_risk: true,
        description: "征地补偿款分配不均,三十余名村民拟集体到县上访".into(),
        ..screening()
    }
}

pub fn visit() -> Visit {
    Visit {
        received_at: code(VILLAGE),
        visited_on: date("2026-11-26"),
        channel: VisitChannel::InPerson,
        visitor: party("赵某", Some("0791-8888888")),
        people_count: 1,
        category: Category::Labour,
        summary: "反映某工地拖欠工资三个月".into(),
        receiver: "陈芳".into(),
        answer: Some("已告知向劳动保障所申请调解".into()),
    }
}

pub fn case() -> CaseRegistration {
    CaseRegistration {
        place: code(VILLAGE),
        registered_on: date("2026-11-20"),
        source: CaseSource::Visit,
        category: Category::Labour,
        parties: vec![
            party("赵某", Some("0791-8888888")),
            party("某建筑公司", None),
        ],
        people_involved: 12,
        claim: "要求支付拖欠的工资共计 8.6 万元".into(),
        first_receiver: "陈芳".into(),
        first_unit: "村综治信访维稳工作站".into(),
        complex: false,
        from_record: None,
    }
}

pub fn summary(revision: u32) -> DailySummary {
    let records = [screening(), severe_screening()];
    DailySummary::compute(&code(VILLAGE), date("2026-11-25"), &records, revision)
}

pub fn summary_entity() -> Uuid {
    DailySummary::entity_id(&code(VILLAGE), date("2026-11-25"))
}

/// An event with a consistent chain position: genesis `prev_hash` for seq 1,
/// some other digest otherwise.
pub fn event(origin: Origin, seq: u64, hlc: Hlc, entity: Uuid, body: EventBody) -> Event {
    Event {
        id: v7(hlc.wall_ms, seq),
        origin,
        seq,
        hlc,
        author: "李明".into(),
        entity,
        body,
        prev_hash: if seq == 1 {
            Digest::GENESIS
        } else {
            Digest([seq as u8; 32])
        },
    }
}

pub fn screening_entity() -> Uuid {
    v7(NOW_MS, 0xE5)
}

/// The village records a screening.
pub fn screening_event() -> Event {
    event(
        village_origin(),
        3,
        Hlc::new(NOW_MS, 0),
        screening_entity(),
        EventBody::ScreeningRecorded(screening()),
    )
}

/// The village records a severe screening.
pub fn severe_screening_event() -> Event {
    event(
        village_origin(),
        3,
        Hlc::new(NOW_MS, 0),
        screening_entity(),
        EventBody::ScreeningRecorded(severe_screening()),
    )
}

/// The hub forwards [`severe_screening_event`] to the county through its outbox.
pub fn severe_report_event() -> Event {
    let source = severe_screening_event();
    event(
        outbox_origin(),
        7,
        Hlc::new(NOW_MS + HOUR_MS, 0),
        source.entity,
        EventBody::SevereScreeningReported(SevereScreeningReport {
            screening: severe_screening(),
            source: EventRef {
                origin: source.origin.clone(),
                seq: source.seq,
            },
            recorded_at: source.hlc,
        }),
    )
}

pub fn summary_event(seq: u64, hlc: Hlc, revision: u32) -> Event {
    event(
        outbox_origin(),
        seq,
        hlc,
        summary_entity(),
        EventBody::ScreeningSummary(summary(revision)),
    )
}

pub fn visit_event() -> Event {
    event(
        village_origin(),
        4,
        Hlc::new(NOW_MS, 1),
        v7(NOW_MS, 0x515),
        EventBody::VisitRecorded(visit()),
    )
}

pub fn case_event() -> Event {
    event(
        township_origin(),
        1,
        Hlc::new(NOW_MS, 2),
        v7(NOW_MS, 0xCA5E),
        EventBody::CaseRegistered(case()),
    )
}
