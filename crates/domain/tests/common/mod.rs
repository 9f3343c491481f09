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
        line: None,
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
/// some other digest otherwise. Of the first hash rule, whose golden hashes
/// (`tests/event.rs`) are fixed for ever; `vectors.rs` makes them under the current one.
pub fn event(origin: Origin, seq: u64, hlc: Hlc, entity: Uuid, body: EventBody) -> Event {
    Event {
        hash_rule: sanji_domain::HashRule::V1,
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

// ------------------------------------------------------------- case life

use sanji_domain::case::{
    ActorRole, Assignee, CaseAction, CaseFile, CaseStep, MediationKind, Outcome, Refusal,
    StepContext,
};

/// The instant `hour`:00 China Standard Time on `day`, in Unix milliseconds.
pub fn cst_ms(day: NaiveDate, hour: u32) -> u64 {
    let local = day.and_hms_opt(hour, 0, 0).expect("a valid hour");
    (local.and_utc().timestamp_millis() - 8 * HOUR_MS as i64) as u64
}

/// The person who acts in each role in the fixtures.
pub fn author_of(role: ActorRole) -> &'static str {
    match role {
        ActorRole::Operator => "王总台",
        ActorRole::Director => "刘主任",
        ActorRole::UnitStaff => "司法所张某",
        ActorRole::VillageStaff => "陈芳",
        ActorRole::County => "县综治办李某",
        ActorRole::System => "系统",
    }
}

/// The origin each role writes from in the fixtures: the village for its
/// staff, the county for the county, the township hub for everyone else.
pub fn origin_of(role: ActorRole) -> Code {
    match role {
        ActorRole::VillageStaff => code(VILLAGE),
        ActorRole::County => code(COUNTY),
        _ => code(TOWNSHIP),
    }
}

pub fn accept(resolve_deadline: &str) -> CaseStep {
    CaseStep::Accept {
        case_number: "综治〔2026〕第 0001 号".into(),
        resolve_deadline: date(resolve_deadline),
    }
}

pub fn not_accept() -> CaseStep {
    CaseStep::NotAccept {
        reason: "属于法院已生效判决事项,不属受理范围".into(),
    }
}

pub fn assign_village(village: &str, deadline: &str) -> CaseStep {
    CaseStep::Assign {
        assignee: Assignee::Village {
            code: code(village),
        },
        person: "陈芳".into(),
        deadline: date(deadline),
    }
}

pub fn assign_unit(unit: &str, deadline: &str) -> CaseStep {
    CaseStep::Assign {
        assignee: Assignee::Unit { name: unit.into() },
        person: "张某".into(),
        deadline: date(deadline),
    }
}

pub fn progress() -> CaseStep {
    CaseStep::Progress {
        kind: MediationKind::People,
        note: "召集双方当面调解,初步达成意向".into(),
    }
}

pub fn resolve(outcome: Outcome) -> CaseStep {
    CaseStep::Resolve {
        outcome,
        kind: Some(MediationKind::People),
        summary: "双方签订调解协议".into(),
    }
}

pub fn feedback() -> CaseStep {
    CaseStep::Feedback {
        note: "已电话告知当事人调处结果".into(),
    }
}

pub fn follow_up(recurred: bool, satisfied: bool, petitioned: bool, skip_level: bool) -> CaseStep {
    CaseStep::FollowUp {
        recurred,
        satisfied,
        petitioned,
        skip_level,
        note: "上门回访".into(),
    }
}

/// A follow-up that finds nothing wrong.
pub fn follow_up_clean() -> CaseStep {
    follow_up(false, true, false, false)
}

pub fn archive() -> CaseStep {
    CaseStep::Archive {
        note: "材料齐全".into(),
    }
}

pub fn urge() -> CaseStep {
    CaseStep::Urge {
        note: "请抓紧办理".into(),
        automatic: false,
        about: None,
    }
}

pub fn supervise() -> CaseStep {
    CaseStep::Supervise {
        note: "列入督办".into(),
        automatic: false,
        about: None,
    }
}

pub fn extend(days: u32, new_deadline: &str) -> CaseStep {
    CaseStep::Extend {
        days,
        reason: "需等待土地部门测量结果".into(),
        new_deadline: date(new_deadline),
    }
}

pub fn escalate() -> CaseStep {
    CaseStep::Escalate {
        reason: "涉及多个乡镇,需县级协调".into(),
    }
}

/// A petition (or recurrence) found on `on`, after the follow-up.
pub fn aftermath(kind: sanji_domain::case::AftermathKind, on: &str) -> CaseStep {
    CaseStep::Aftermath {
        kind,
        on: date(on),
        who: "吴春生".into(),
        taken_to: if kind == sanji_domain::case::AftermathKind::Recurrence {
            String::new()
        } else {
            "县信访局".into()
        },
        note: String::new(),
    }
}

pub fn reopen(deadline: &str) -> CaseStep {
    CaseStep::Reopen {
        reason: "回访发现矛盾反复".into(),
        deadline: date(deadline),
    }
}

/// A case file driven through real steps, each stamped at 10:00 CST (plus a
/// counter, so stamps strictly increase) on the day it is taken.
#[derive(Debug, Clone)]
pub struct Life {
    pub file: CaseFile,
    counter: u32,
}

impl Life {
    /// Registered by its first receiver on its registration day, with no
    /// acceptance deadline on the file (as the fold builds it).
    pub fn register(registration: CaseRegistration) -> Life {
        let at = Hlc::new(cst_ms(registration.registered_on, 9), 0);
        let by = registration.first_receiver.clone();
        Life {
            file: CaseFile::new(registration, &by, at, None),
            counter: 0,
        }
    }

    /// Takes `step` as `role` from `origin` on `day` (CST), by the role's fixture author.
    pub fn try_step(
        &mut self,
        role: ActorRole,
        origin: &str,
        day: &str,
        step: CaseStep,
    ) -> Result<(), Refusal> {
        self.counter += 1;
        let origin = code(origin);
        let on = date(day);
        let ctx = StepContext {
            author: author_of(role),
            origin: &origin,
            at: Hlc::new(cst_ms(on, 10), self.counter),
            on,
        };
        self.file.apply(role, &step, &ctx)
    }

    /// Like [`Life::try_step`], insisting the step is allowed.
    pub fn step(&mut self, role: ActorRole, origin: &str, day: &str, step: CaseStep) -> &mut Life {
        let kind = step.kind();
        if let Err(refusal) = self.try_step(role, origin, day, step) {
            panic!("{kind:?} by {role:?} from {origin} on {day} refused: {refusal}");
        }
        self
    }
}

/// A `case_step` event by the role's fixture author.
pub fn step_event(
    origin: Origin,
    seq: u64,
    hlc: Hlc,
    entity: Uuid,
    role: ActorRole,
    step: CaseStep,
) -> Event {
    Event {
        author: author_of(role).into(),
        ..event(
            origin,
            seq,
            hlc,
            entity,
            EventBody::CaseStepped(CaseAction { role, step }),
        )
    }
}

/// One valid event of every kind, from fixed inputs, each from an origin
/// allowed to write it.
pub fn one_event_of_each_kind() -> Vec<Event> {
    use sanji_domain::case::{ActorRole, CaseFile};
    use sanji_domain::deadline::DeadlinePolicy;
    use sanji_domain::event::{CaseReport, Conversion, HandDown, SignOff};
    use sanji_domain::record::CaseSource;
    use sanji_domain::report::{Month, monthly_report};

    let case_id = case_event().entity;
    let mut accepted = Life::register(case());
    accepted.step(
        ActorRole::Operator,
        TOWNSHIP,
        "2026-11-21",
        accept("2027-01-25"),
    );
    let file: CaseFile = accepted.file;
    let handed_down = sanji_domain::record::CaseRegistration {
        source: CaseSource::HandedDown,
        place: code(OTHER_VILLAGE),
        ..case()
    };
    let november = Month::parse("2026-11").unwrap();
    let mut month_report = monthly_report(
        &code(TOWNSHIP),
        november,
        &[],
        &[&screening(), &severe_screening()],
        &DeadlinePolicy::default(),
        today(),
        1,
    );
    // The report as first filed, before its optional figures (回访 and
    // 重大疑难, counted later) existed: its golden hash must not move, since
    // reports filed then are held with that hash.
    month_report.disputes = None;
    let hub = township_origin();
    let at = |n: u32| Hlc::new(NOW_MS + HOUR_MS, n);
    vec![
        screening_event(),
        visit_event(),
        case_event(),
        summary_event(2, Hlc::new(NOW_MS, 0), 1),
        severe_report_event(),
        step_event(
            hub.clone(),
            2,
            at(1),
            case_id,
            ActorRole::Operator,
            accept("2027-01-25"),
        ),
        Event {
            author: author_of(ActorRole::County).into(),
            ..event(
                Origin::node(code(COUNTY)),
                1,
                at(2),
                v7(NOW_MS, 0x7D),
                EventBody::CaseHandedDown(HandDown {
                    township: code(TOWNSHIP),
                    registration: handed_down,
                    note: "请核实后依法处理".into(),
                    deadline: None,
                }),
            )
        },
        event(
            outbox_origin(),
            8,
            at(3),
            case_id,
            EventBody::CaseReported(Box::new(CaseReport { file, revision: 1 })),
        ),
        Event {
            author: author_of(ActorRole::Director).into(),
            ..event(
                hub.clone(),
                3,
                at(4),
                screening_entity(),
                EventBody::ScreeningSignedOff(SignOff {
                    role: ActorRole::Director,
                    note: "已阅".into(),
                    signed_at: None,
                }),
            )
        },
        event(
            hub,
            4,
            at(5),
            screening_entity(),
            EventBody::ScreeningConverted(Conversion {
                role: ActorRole::Operator,
                case: v7(NOW_MS, 0xC0),
            }),
        ),
        event(
            outbox_origin(),
            9,
            at(6),
            sanji_domain::report::MonthlyReport::entity_id(&code(TOWNSHIP), november),
            EventBody::MonthlyReportFiled(month_report),
        ),
    ]
}
