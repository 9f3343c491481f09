//! Operator actions on cases and screenings: the one layer the CLI, the hub's
//! console RPC and (later) a web console all call. Each action is checked
//! against the case's state and the actor's role before anything is written,
//! then written as one event authored by the named person.

use chrono::NaiveDate;
use sanji_domain::case::{
    ActorRole, CONVERT_ROLES, CaseAction, CaseFile, CaseStep, SIGN_OFF_ROLES, VISIT_ROLES,
    check_role,
};
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::event::{Conversion, HandDown, SignOff};
use sanji_domain::fold::EntityState;
use sanji_domain::record::{CaseRegistration, Visit};
use sanji_domain::time::cst_date;
use sanji_domain::{Code, Event, EventBody, FieldError, Labelled, Level, Origin};
use sanji_pki::{Identity, PersonRole};
use sanji_store::{Draft, MetaPut, Store};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::NodeError;

/// A person acting, as their certificate says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    pub role: ActorRole,
    pub code: Code,
}

impl Actor {
    /// People act under their own certificate; the county office acts under
    /// the county node's certificate.
    pub fn from_identity(identity: &Identity) -> Result<Actor, NodeError> {
        match identity {
            Identity::Person { code, role, name } => Ok(Actor {
                name: name.clone(),
                role: match role {
                    PersonRole::Operator => ActorRole::Operator,
                    PersonRole::Director => ActorRole::Director,
                    PersonRole::UnitStaff => ActorRole::UnitStaff,
                    PersonRole::VillageStaff => ActorRole::VillageStaff,
                },
                code: code.clone(),
            }),
            Identity::Node(code) if code.level() == Level::County => Ok(Actor {
                name: "县综治办".to_owned(),
                role: ActorRole::County,
                code: code.clone(),
            }),
            Identity::Node(code) => Err(NodeError::Refused(format!(
                "{code} 是节点证书;办理案件须使用本人的个人证书(sanji pki issue person),以便记录经办人"
            ))),
        }
    }

    pub fn label(&self) -> String {
        format!("{}({})", self.name, self.role.label())
    }
}

pub use sanji_domain::command::CaseCommand;

const CASE_NUMBERS: &str = "case-numbers";

/// A case's short name before it has a number: the last 8 hex digits of its
/// id. (UUIDv7 ids begin with the time, so their prefixes collide within a
/// minute; their ends are random.)
pub fn short_id(id: Uuid) -> String {
    let hex = id.simple().to_string();
    hex[hex.len() - 8..].to_owned()
}

/// Finds a case by its number (`360123100-2026-0007`, or `0007` / `7` when
/// one year's number is meant and unique), its id, or a unique start or end
/// of its id (at least 6 hex digits, as [`short_id`] shows).
pub fn find_case(store: &Store, text: &str) -> Result<(Uuid, Box<CaseFile>), NodeError> {
    let text = text.trim();
    if let Ok(id) = Uuid::parse_str(text) {
        return match store.entity(id)?.map(|e| e.state) {
            Some(EntityState::Case(file)) => Ok((id, file)),
            _ => Err(NodeError::NotFound(format!("案件 {text}"))),
        };
    }
    let wanted = text.to_lowercase();
    // `0007` or `7`: the case's number within its year.
    let short_number = (text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{:04}", text.parse::<u32>().unwrap_or(0)));
    use sanji_domain::index::{IndexName, TermRange};
    let mut candidates = store.ids_where(
        IndexName::CaseNumber,
        &TermRange::Exact(sanji_domain::index::number_key(text)),
    )?;
    if let Some(tail) = &short_number {
        candidates
            .extend(store.ids_where(IndexName::CaseNumberTail, &TermRange::Exact(tail.clone()))?);
    }
    if text.len() >= 6 {
        // The start or end of an id: the kind index's keys hold every case's id.
        candidates.extend(
            store
                .ids_of(sanji_domain::fold::EntityKind::Case)?
                .into_iter()
                .filter(|id| {
                    let hex = id.simple().to_string();
                    hex.starts_with(&wanted) || hex.ends_with(&wanted)
                }),
        );
    }
    candidates.sort();
    candidates.dedup();
    let mut found: Vec<(Uuid, Box<CaseFile>)> = Vec::new();
    for id in candidates {
        if let Some(EntityState::Case(file)) = store.entity(id)?.map(|e| e.state) {
            found.push((id, file));
        }
    }
    match found.len() {
        0 => Err(NodeError::NotFound(format!(
            "案件 {text}(可用案件编号,如 360123100-2026-0001 或 0001,或案件 ID 的末 8 位)"
        ))),
        1 => Ok(found.into_iter().next().expect("one")),
        n => Err(NodeError::Invalid(FieldError::new(
            "case",
            format!("{text:?} 对应 {n} 件案件,请写得更完整"),
        ))),
    }
}

/// The next case number of the year at this hub, not yet taken.
fn peek_case_number(store: &Store, today: NaiveDate) -> Result<String, NodeError> {
    use chrono::Datelike;
    let year = today.year();
    let next = last_issued(store, year)? + 1;
    Ok(format!("{}-{year}-{next:04}", store.node()))
}

/// The last case number this hub issued (or an import brought in) in `year`.
fn last_issued(store: &Store, year: i32) -> Result<u64, NodeError> {
    Ok(store
        .meta_get(CASE_NUMBERS, &year.to_string())?
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

/// The bookkeeping that marks `number` as taken, written in the same batch
/// as the acceptance that takes it: a crash can neither skip a number nor
/// hand one out twice.
fn case_number_taken(number: &str) -> MetaPut {
    let mut parts = number.rsplitn(3, '-');
    let seq: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let year = parts.next().unwrap_or("0");
    MetaPut::new(CASE_NUMBERS, year, seq.to_be_bytes())
}

/// The bookkeeping that keeps this hub from handing out again a number an
/// import brought in: for each year, the highest imported number of this
/// hub's own form (`360123100-2026-0007`) above the last one issued.
pub(crate) fn case_numbers_imported(
    store: &Store,
    numbers: &[String],
) -> Result<Vec<MetaPut>, NodeError> {
    let prefix = format!("{}-", store.node());
    let mut highest: std::collections::BTreeMap<i32, u64> = Default::default();
    for number in numbers {
        let Some(rest) = number.trim().strip_prefix(&prefix) else {
            continue;
        };
        let Some((year, seq)) = rest.split_once('-') else {
            continue;
        };
        if let (Ok(year), Ok(seq)) = (year.parse::<i32>(), seq.parse::<u64>()) {
            let top = highest.entry(year).or_default();
            *top = (*top).max(seq);
        }
    }
    let mut marks = Vec::new();
    for (year, seq) in highest {
        if seq > last_issued(store, year)? {
            marks.push(MetaPut::new(
                CASE_NUMBERS,
                year.to_string(),
                seq.to_be_bytes(),
            ));
        }
    }
    Ok(marks)
}

/// Takes one step on a case, from `ledger` (this node's own), as `actor`.
/// Callers serialise steps on one node (the hub holds a lock) so case
/// numbers are never handed out twice.
pub fn case_step(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    case: &str,
    command: CaseCommand,
    policy: &DeadlinePolicy,
    now_ms: u64,
) -> Result<Event, NodeError> {
    let (id, file) = find_case(store, case)?;
    let today = cst_date(now_ms);
    let mut number = Ok(String::new());
    let step = command.into_step(&file, policy, today, || {
        number = peek_case_number(store, today);
        number.as_ref().cloned().unwrap_or_default()
    })?;
    number?;
    step.validate()?;
    file.check(actor.role, &step, ledger.code())
        .map_err(NodeError::StepRefused)?;
    // The case names only a file that is here whole, so what is pushed up
    // can carry it (`crate::attachments::take_in` comes first).
    if let CaseStep::Attach { attachment } = &step
        && !store.holds_attachment(&attachment.file())?
    {
        return Err(FieldError::new(
            "file",
            format!("文件 {} 尚未上传到本节点,请重新选择文件", attachment.name),
        )
        .into());
    }
    // A hub sends cases only to the villages and units its directory holds.
    if let CaseStep::Assign { assignee, .. } = &step
        && ledger.code().level() == Level::Township
    {
        crate::directory::Directory::new(store.clone())
            .listing()?
            .check_assignee(assignee)?;
    }
    if let CaseStep::Assist { unit, .. } = &step
        && ledger.code().level() == Level::Township
    {
        crate::directory::Directory::new(store.clone())
            .listing()?
            .check_unit(unit, "可协办的成员单位")?;
    }
    let taken = match &step {
        CaseStep::Accept { case_number, .. } => vec![case_number_taken(case_number)],
        _ => Vec::new(),
    };
    let body = EventBody::CaseStepped(CaseAction {
        role: actor.role,
        step,
    });
    let mut events = store.append_local_with(
        ledger,
        now_ms,
        vec![Draft {
            author: actor.name.clone(),
            entity: id,
            body,
        }],
        taken,
    )?;
    Ok(events.remove(0))
}

/// Registers a case received at this node (a walk-in at the township's
/// window, or a village station's own registration).
pub fn register_case(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    registration: CaseRegistration,
    now_ms: u64,
) -> Result<Event, NodeError> {
    registration.validate(cst_date(now_ms))?;
    if let Some(visit) = registration.from_record {
        already_a_case(store, visit)?;
    }
    let draft = Draft {
        author: actor.name.clone(),
        entity: Uuid::now_v7(),
        body: EventBody::CaseRegistered(registration),
    };
    Ok(store.append_local(ledger, now_ms, vec![draft])?.remove(0))
}

/// A visit becomes one case at most: refused when a case already names it.
fn already_a_case(store: &Store, visit: Uuid) -> Result<(), NodeError> {
    if !matches!(
        store.entity(visit)?.map(|e| e.state),
        Some(EntityState::Visit(_))
    ) {
        return Ok(());
    }
    let mut became = None;
    store.for_each_entity(|e| {
        if let EntityState::Case(file) = &e.state
            && file.registration.from_record == Some(visit)
        {
            became = Some(file.case_number.clone().unwrap_or_else(|| short_id(e.id)));
        }
        Ok(())
    })?;
    match became {
        Some(case) => Err(NodeError::Refused(format!(
            "这条接访已登记为案件 {case},不能再登记一次"
        ))),
        None => Ok(()),
    }
}

/// Registers a visit received at this node's own window (a village's visits
/// are recorded at its station). Who may: the roles that register cases.
pub fn record_visit(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    visit: Visit,
    now_ms: u64,
) -> Result<Event, NodeError> {
    check_role("接访登记", VISIT_ROLES, actor.role).map_err(NodeError::Refused)?;
    if visit.received_at != *store.node() {
        return Err(NodeError::Invalid(FieldError::new(
            "received_at",
            format!(
                "接访登记记的是在本中心({})接待的来访,村里的来访由村工作站登记",
                store.node()
            ),
        )));
    }
    visit.validate(cst_date(now_ms))?;
    let draft = Draft {
        author: actor.name.clone(),
        entity: Uuid::now_v7(),
        body: EventBody::VisitRecorded(visit),
    };
    Ok(store.append_local(ledger, now_ms, vec![draft])?.remove(0))
}

/// Records a 群体性事件 or 民转刑 case at this township, its links checked:
/// each case named must be found here, each screening must be one.
pub fn record_incident(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    mut incident: sanji_domain::record::Incident,
    case_refs: &[String],
    now_ms: u64,
) -> Result<Event, NodeError> {
    check_role("事件登记", VISIT_ROLES, actor.role).map_err(NodeError::Refused)?;
    let me = store.node();
    if incident.place != *me && !incident.place.is_under(me) {
        return Err(NodeError::Invalid(FieldError::new(
            "place",
            format!("{} 不在本镇({me})辖区内", incident.place),
        )));
    }
    for text in case_refs.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        let (id, _) = find_case(store, text).map_err(|e| match e {
            NodeError::NotFound(_) => NodeError::Invalid(FieldError::new(
                "cases",
                format!("没有找到案件 {text}:请填写案件编号(如 0001)"),
            )),
            other => other,
        })?;
        if !incident.cases.contains(&id) {
            incident.cases.push(id);
        }
    }
    for &screening in &incident.screenings {
        if !matches!(
            store.entity(screening)?.map(|e| e.state),
            Some(EntityState::Screening(_))
        ) {
            return Err(NodeError::Invalid(FieldError::new(
                "screenings",
                format!("没有找到排查记录 {}", short_id(screening)),
            )));
        }
    }
    incident.validate(cst_date(now_ms))?;
    let draft = Draft {
        author: actor.name.clone(),
        entity: Uuid::now_v7(),
        body: EventBody::IncidentRecorded(incident),
    };
    Ok(store.append_local(ledger, now_ms, vec![draft])?.remove(0))
}

/// The director signs a screening off.
pub fn sign_off(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    screening: Uuid,
    note: String,
    now_ms: u64,
) -> Result<Event, NodeError> {
    check_role("排查签字", SIGN_OFF_ROLES, actor.role).map_err(NodeError::Refused)?;
    match store.entity(screening)?.map(|e| e.state) {
        Some(EntityState::Screening(s)) if s.signed_off.is_some() => {
            Err(NodeError::Refused("这条排查已经签过字".into()))
        }
        Some(EntityState::Screening(_)) => {
            let body = EventBody::ScreeningSignedOff(SignOff {
                role: actor.role,
                note,
                signed_at: None,
            });
            Ok(store
                .append_local(
                    ledger,
                    now_ms,
                    vec![Draft {
                        author: actor.name.clone(),
                        entity: screening,
                        body,
                    }],
                )?
                .remove(0))
        }
        _ => Err(NodeError::NotFound(format!("排查 {screening}"))),
    }
}

/// Records a screening made by the township center's own screeners (分区分线:
/// each covers villages and a trade or field), on the hub's own ledger: a
/// village of the directory (the screener, unless named, is who records
/// it), written there by the forwarder's rules like a
/// station's (its summary, a severe one reported to the county).
pub fn record_center_screening(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    mut screening: sanji_domain::record::Screening,
    now_ms: u64,
) -> Result<Event, NodeError> {
    check_role("镇中心排查登记", VISIT_ROLES, actor.role).map_err(NodeError::Refused)?;
    if screening.screener.trim().is_empty() {
        screening.screener = actor.name.clone();
    }
    if store.node().level() != Level::Township {
        return Err(NodeError::Refused("只有乡镇中心登记本镇的排查".into()));
    }
    screening.validate(cst_date(now_ms))?;
    let listing = crate::directory::Directory::new(store.clone()).listing()?;
    if !listing.villages.iter().any(|p| p.code == screening.village) {
        return Err(NodeError::Invalid(FieldError::new(
            "village",
            format!("村代码 {} 不在本镇名录中", screening.village),
        )));
    }
    let draft = Draft {
        author: actor.name.clone(),
        entity: Uuid::now_v7(),
        body: EventBody::ScreeningRecorded(screening),
    };
    Ok(store.append_local(ledger, now_ms, vec![draft])?.remove(0))
}

/// Sets or updates a screening's 稳控 responsibility: a screening of this
/// township not turned into a case, a responsible unit of the directory, a
/// time limit not before the screening.
pub fn control_screening(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    screening: Uuid,
    control: sanji_domain::record::StabilityControl,
    now_ms: u64,
) -> Result<Event, NodeError> {
    check_role("稳控责任", VISIT_ROLES, actor.role).map_err(NodeError::Refused)?;
    let Some(EntityState::Screening(s)) = store.entity(screening)?.map(|e| e.state) else {
        return Err(NodeError::NotFound(format!("排查 {screening}")));
    };
    if s.converted_to.is_some() {
        return Err(NodeError::Refused(
            "这条排查已转为案件,稳控和化解由案件办理".into(),
        ));
    }
    control.validate(s.record.screened_on)?;
    crate::directory::Directory::new(store.clone())
        .listing()?
        .check_responsible(&control.unit)?;
    let draft = Draft {
        author: actor.name.clone(),
        entity: screening,
        body: EventBody::ScreeningControlled(control),
    };
    Ok(store.append_local(ledger, now_ms, vec![draft])?.remove(0))
}

/// Turns a screening into a case: the case names the screening and the
/// screening names the case, written together.
pub fn convert_screening(
    store: &Store,
    ledger: &Origin,
    actor: &Actor,
    screening: Uuid,
    claim: String,
    now_ms: u64,
) -> Result<(Uuid, Vec<Event>), NodeError> {
    check_role("排查转案", CONVERT_ROLES, actor.role).map_err(NodeError::Refused)?;
    let s = match store.entity(screening)?.map(|e| e.state) {
        Some(EntityState::Screening(s)) if s.converted_to.is_some() => {
            return Err(NodeError::Refused(format!(
                "这条排查已转为案件 {}",
                s.converted_to.unwrap_or_default()
            )));
        }
        Some(EntityState::Screening(s)) => s,
        _ => return Err(NodeError::NotFound(format!("排查 {screening}"))),
    };
    let case = Uuid::now_v7();
    let registration = CaseRegistration {
        place: s.record.village.clone(),
        registered_on: cst_date(now_ms),
        source: sanji_domain::record::CaseSource::Screening,
        category: s.record.category,
        parties: s.record.parties.clone(),
        people_involved: s.record.people_involved,
        claim,
        first_receiver: s.record.screener.clone(),
        first_unit: format!("{} 村工作站", s.record.village),
        complex: s.record.risk == sanji_domain::record::RiskLevel::Severe,
        from_record: Some(screening),
    };
    registration.validate(cst_date(now_ms))?;
    let drafts = vec![
        Draft {
            author: actor.name.clone(),
            entity: case,
            body: EventBody::CaseRegistered(registration),
        },
        Draft {
            author: actor.name.clone(),
            entity: screening,
            body: EventBody::ScreeningConverted(Conversion {
                role: actor.role,
                case,
            }),
        },
    ];
    Ok((case, store.append_local(ledger, now_ms, drafts)?))
}

/// Who hands cases down to a township.
pub const HAND_DOWN_ROLES: &[ActorRole] = &[ActorRole::County];

/// The county hands a case down to a township.
pub fn hand_down(
    store: &Store,
    actor: &Actor,
    hand_down: HandDown,
    now_ms: u64,
) -> Result<Event, NodeError> {
    check_role("交办案件", HAND_DOWN_ROLES, actor.role).map_err(NodeError::Refused)?;
    crate::directory::Directory::new(store.clone())
        .listing()?
        .check_township(&hand_down.township)?;
    // The registration's own fields, named as a form names them.
    hand_down.registration.validate(cst_date(now_ms))?;
    sanji_domain::record::text("note", &hand_down.note, 1)?;
    let ledger = Origin::node(store.node().clone());
    let draft = Draft {
        author: actor.name.clone(),
        entity: Uuid::now_v7(),
        body: EventBody::CaseHandedDown(hand_down),
    };
    Ok(store.append_local(&ledger, now_ms, vec![draft])?.remove(0))
}

/// Everything an operator can do through the console, as one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    CaseStep {
        case: String,
        command: CaseCommand,
    },
    RegisterCase {
        registration: CaseRegistration,
    },
    SignOff {
        screening: Uuid,
        #[serde(default)]
        note: String,
    },
    Convert {
        screening: Uuid,
        claim: String,
    },
    HandDown {
        hand_down: HandDown,
    },
    /// 接访登记 at the center's own window (来访/来信/来电), answered on the
    /// spot or not.
    RecordVisit {
        visit: Visit,
    },
    /// 群体性事件 or 民转刑: what happened, linked to its cases (`case_refs`:
    /// numbers, `0001` or ids, as people type them) and screenings.
    RecordIncident {
        incident: sanji_domain::record::Incident,
        #[serde(default)]
        case_refs: Vec<String>,
    },
    /// A screening's 稳控 responsibility, set or updated.
    ControlScreening {
        screening: Uuid,
        control: sanji_domain::record::StabilityControl,
    },
    /// A meeting's minutes: the cases reviewed as people name them
    /// (`case_refs`), and each responsibility assigned (`duties`).
    RecordMeeting {
        meeting: sanji_domain::meeting::Meeting,
        #[serde(default)]
        case_refs: Vec<String>,
        #[serde(default)]
        duties: Vec<crate::meetings::DutyDraft>,
    },
    /// 自查评分 of a half-year or year, scored now and filed with the county.
    FileAssessment {
        period: String,
        #[serde(default)]
        hand: Vec<sanji_domain::assessment::HandScore>,
        #[serde(default)]
        bonus_tenths: u32,
        #[serde(default)]
        bonus_note: String,
    },
    /// A screening by the center's own screeners (分区分线).
    RecordScreening {
        screening: sanji_domain::record::Screening,
    },
    /// A 专项排查: declared, or (`entry`) corrected.
    DeclareCampaign {
        #[serde(default)]
        entry: Option<Uuid>,
        campaign: sanji_domain::campaign::Campaign,
    },
    /// An entry of the 重点地区排查整治登记簿: new, or (`entry`) its update.
    RecordHotspot {
        #[serde(default)]
        entry: Option<Uuid>,
        hotspot: sanji_domain::hotspot::Hotspot,
    },
}

/// What an action wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActOutcome {
    pub entity: Uuid,
    pub event_id: Uuid,
    pub seq: u64,
    pub case_number: Option<String>,
    /// The case file's status after the step, for cases.
    pub status: Option<sanji_domain::case::CaseStatus>,
    pub summary: String,
}

/// The wire's (action name, JSON parameters) pair, for the actions of the
/// console RPC: [`Action`] for people, [`Admin`] for the administrator.
pub trait WireAction: Serialize + serde::de::DeserializeOwned {
    /// Splits into the wire's (action, parameters) pair.
    fn to_wire(&self) -> (String, String) {
        let mut value = serde_json::to_value(self).expect("actions serialise");
        let name = value
            .as_object_mut()
            .and_then(|o| o.remove("action"))
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        (name, value.to_string())
    }

    fn from_wire(action: &str, json: &str) -> Result<Self, FieldError> {
        let mut value: serde_json::Value =
            serde_json::from_str(if json.trim().is_empty() { "{}" } else { json })
                .map_err(|e| FieldError::new("json", format!("不是有效的 JSON:{e}")))?;
        let object = value
            .as_object_mut()
            .ok_or_else(|| FieldError::new("json", "须为 JSON 对象"))?;
        object.insert(
            "action".into(),
            serde_json::Value::String(action.to_owned()),
        );
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            FieldError::new(
                if path == "." {
                    "action".to_owned()
                } else {
                    path
                },
                e.inner().to_string(),
            )
        })
    }
}

impl WireAction for Action {}
impl WireAction for Admin {}

/// What the administrator of a node (whoever holds the node's own key, on
/// the server) may do: manage people's console accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Admin {
    AddAccount {
        name: String,
        #[serde(default)]
        login: Option<String>,
        role: ActorRole,
        #[serde(default)]
        unit: Option<String>,
    },
    ResetAccount {
        login: String,
    },
    SetAccountDisabled {
        login: String,
        disabled: bool,
    },
    ListAccounts,
    /// A change to the directory of names (名录); the outcome lists it all.
    EditDirectory {
        edit: crate::directory::DirectoryEdit,
    },
}

/// An account as people see it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub login: String,
    pub name: String,
    pub role: ActorRole,
    pub unit: Option<String>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub locked: bool,
}

/// What an administrator's action did: the accounts it touched (all of them
/// for a listing) and, for a new account or a reset, the one-time password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOutcome {
    pub accounts: Vec<AccountRow>,
    pub one_time_password: Option<String>,
    /// The directory after a change to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<crate::directory::Listing>,
}

/// Performs one action on this node's own ledger, as `actor`. Callers hold
/// [`Operations`]' step lock.
fn perform(
    store: &Store,
    actor: &Actor,
    action: Action,
    policy: &DeadlinePolicy,
    now_ms: u64,
) -> Result<ActOutcome, NodeError> {
    let ledger = Origin::node(store.node().clone());
    acts_here(actor, store.node())?;
    let (event, summary) = match action {
        Action::CaseStep { case, command } => {
            let event = case_step(store, &ledger, actor, &case, command, policy, now_ms)?;
            let kind = match &event.body {
                EventBody::CaseStepped(a) => a.step.kind().label(),
                _ => "",
            };
            (event, format!("已{kind}"))
        }
        Action::RegisterCase { mut registration } => {
            // 首问首接: whoever registers it at the window is its first receiver.
            if registration.first_receiver.trim().is_empty() {
                registration.first_receiver = actor.name.clone();
            }
            (
                register_case(store, &ledger, actor, registration, now_ms)?,
                "已登记案件".into(),
            )
        }
        Action::SignOff { screening, note } => (
            sign_off(store, &ledger, actor, screening, note, now_ms)?,
            "已签字".into(),
        ),
        Action::Convert { screening, claim } => {
            let (_, events) = convert_screening(store, &ledger, actor, screening, claim, now_ms)?;
            (
                events.into_iter().next().expect("the case comes first"),
                "已转为案件".into(),
            )
        }
        Action::HandDown { hand_down: h } => (hand_down(store, actor, h, now_ms)?, "已交办".into()),
        Action::RecordVisit { mut visit } => {
            // Whoever registers it at the window received it.
            if visit.receiver.trim().is_empty() {
                visit.receiver = actor.name.clone();
            }
            let summary = if visit.answer.is_some() {
                "已登记接访并当场答复"
            } else {
                "已登记接访"
            };
            (
                record_visit(store, &ledger, actor, visit, now_ms)?,
                summary.into(),
            )
        }
        Action::ControlScreening { screening, control } => {
            let summary = format!("稳控责任已落实:{}", control.status.label());
            (
                control_screening(store, &ledger, actor, screening, control, now_ms)?,
                summary,
            )
        }
        Action::RecordMeeting {
            meeting,
            case_refs,
            duties,
        } => {
            let summary = format!("已记录{}", meeting.kind.label());
            (
                crate::meetings::record_meeting(
                    store, &ledger, actor, meeting, &case_refs, duties, now_ms,
                )?,
                summary,
            )
        }
        Action::FileAssessment {
            period,
            hand,
            bonus_tenths,
            bonus_note,
        } => {
            let period = sanji_domain::report::Period::parse(&period)?;
            let ctx = crate::views::ViewContext {
                policy: *policy,
                now_ms,
            };
            let event = crate::assessment::file(
                store,
                actor,
                period,
                &ctx,
                &hand,
                (bonus_tenths, bonus_note),
            )?;
            let summary = match &event.body {
                EventBody::AssessmentFiled(s) => format!(
                    "已上报自查评分,{} 分",
                    sanji_domain::assessment::points(s.total_tenths)
                ),
                _ => String::new(),
            };
            (event, summary)
        }
        Action::RecordScreening { screening } => (
            record_center_screening(store, &ledger, actor, screening, now_ms)?,
            "已登记排查".to_owned(),
        ),
        Action::DeclareCampaign { entry, campaign } => {
            let summary = format!(
                "已{}专项排查「{}」",
                if entry.is_some() { "修改" } else { "部署" },
                campaign.topic
            );
            (
                crate::campaigns::declare_campaign(store, &ledger, actor, entry, campaign, now_ms)?,
                summary,
            )
        }
        Action::RecordHotspot { entry, hotspot } => {
            let summary = format!(
                "已{}重点地区「{}」:{}",
                if entry.is_some() { "更新" } else { "登记" },
                hotspot.area,
                hotspot.status.label()
            );
            (
                crate::hotspots::record_hotspot(store, &ledger, actor, entry, hotspot, now_ms)?,
                summary,
            )
        }
        Action::RecordIncident {
            incident,
            case_refs,
        } => {
            let summary = format!("已登记{}", incident.kind.label());
            (
                record_incident(store, &ledger, actor, incident, &case_refs, now_ms)?,
                summary,
            )
        }
    };
    let file = match store.entity(event.entity)?.map(|e| e.state) {
        Some(EntityState::Case(file)) => Some(file),
        _ => None,
    };
    Ok(ActOutcome {
        entity: event.entity,
        event_id: event.id,
        seq: event.seq,
        case_number: file.as_ref().and_then(|f| f.case_number.clone()),
        status: file.as_ref().map(|f| f.status),
        summary,
    })
}

/// People act only at the node their certificate (or account) belongs to.
pub fn acts_here(actor: &Actor, node: &Code) -> Result<(), NodeError> {
    if actor.code == *node {
        return Ok(());
    }
    Err(NodeError::Forbidden(format!(
        "{} 属于 {},不能在 {node} 办理",
        actor.label(),
        actor.code
    )))
}

/// Who may read this node's views: its own node certificate, or a person of
/// this node.
pub fn reads_here(identity: &Identity, node: &Code) -> Result<(), NodeError> {
    let code = match identity {
        Identity::Node(code) | Identity::Person { code, .. } => code,
    };
    if code == node {
        return Ok(());
    }
    Err(NodeError::Forbidden(format!(
        "只有 {node} 本单位的人员可以查看本节点的台账"
    )))
}

/// A read view, by what it shows. The console RPC carries it as JSON
/// (`{"view":"cases","village":"360123100201"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "view", rename_all = "snake_case", deny_unknown_fields)]
pub enum Query {
    /// `village`: a code prefix, for every view that takes one.
    Screenings {
        #[serde(default)]
        village: Option<String>,
    },
    Screening {
        screening: Uuid,
    },
    Visits {
        #[serde(default)]
        village: Option<String>,
    },
    Cases {
        #[serde(default)]
        village: Option<String>,
    },
    Case {
        case: String,
    },
    /// A case search with filters, sorted and paged here (`CaseHits`).
    CaseSearch {
        #[serde(default)]
        filter: crate::views::CaseFilter,
    },
    /// The cases still open (the to-do list's approvals and notices).
    OpenCases,
    /// The cases escalated to the county.
    Escalated,
    Due,
    Conflicts,
    Rewards {
        period: String,
    },
    /// 各单位办案情况: cases led and assisted per unit over a period.
    Workload {
        period: String,
    },
    Report {
        month: String,
    },
    /// 阶段汇总: the report's figures over half a month, a quarter, half a
    /// year or a year.
    Summary {
        period: String,
    },
    /// 受理事项总登记簿 of a year.
    Register {
        year: i32,
    },
    /// 交办、督办 or 销案通知书 of a year: `book` is `dispatch`,
    /// `supervision` or `closing` (or 交办、督办、销案).
    Notices {
        year: i32,
        book: String,
    },
    /// One notice, by its step's event id.
    Notice {
        event: Uuid,
    },
    /// A case's 总登记簿 number, archive number and notices.
    CaseNumbers {
        case: Uuid,
    },
    /// 自查评分 of a period at the hub: as scored now, and as last filed.
    Assessment {
        period: String,
    },
    /// At the county: each township with its filed 自查评分 of a period.
    Assessments {
        period: String,
    },
    /// At the county: one township's filed sheet, with when it was filed (ms).
    TownshipAssessment {
        township: String,
        period: String,
    },
    /// Every 专项排查 with its count.
    Campaigns,
    /// One 专项排查, counted village by village.
    Campaign {
        campaign: Uuid,
    },
    /// 重点地区及突出问题排查整治登记簿 of a quarter (`2026-Q4`).
    Hotspots {
        quarter: String,
    },
    /// One entry of it, with since when it stands rectified.
    Hotspot {
        entry: Uuid,
    },
    Reports {
        month: String,
    },
    /// 报送情况: each village's screenings, 零报告 or silence, week by week.
    Reporting {
        month: String,
    },
    Stations,
    Summaries {
        #[serde(default)]
        village: Option<String>,
    },
    Severe {
        #[serde(default)]
        village: Option<String>,
        /// Only those screened on or after this day (YYYY-MM-DD).
        #[serde(default)]
        since: Option<String>,
    },
    Townships,
    /// 群体性事件 and 民转刑 cases, the latest first.
    Incidents,
    /// The 会议记录簿 and the fixed meetings due without minutes.
    Meetings,
    /// The responsibilities meetings assigned for one screening or case.
    Duties {
        subject: Uuid,
    },
    Upstream,
    /// The directory of names (名录): villages and units, or townships.
    Directory,
    /// The county's hand-downs with their standing.
    HandDowns,
}

/// The operator layer as a service: it owns the node's store, its policy and
/// clock, and the lock that takes case steps one at a time (shared with the
/// deadline tracker, so case numbers are handed out in order and an automatic
/// urge never lands on a case an operator has just closed). The console RPC,
/// the CLI (through it) and the web console all call this, and only this.
#[derive(Clone)]
pub struct Operations {
    store: Store,
    policy: DeadlinePolicy,
    clock: sanji_sync::Clock,
    steps: Arc<tokio::sync::Mutex<()>>,
    /// Woken after an action, so a hub forwards and derives promptly.
    acted: Arc<tokio::sync::Notify>,
}

impl Operations {
    pub fn new(store: Store, policy: DeadlinePolicy, clock: sanji_sync::Clock) -> Operations {
        Operations {
            store,
            policy,
            clock,
            steps: Arc::default(),
            acted: Arc::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn node(&self) -> &Code {
        self.store.node()
    }

    pub fn policy(&self) -> &DeadlinePolicy {
        &self.policy
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Notifies `acted` after every action (a hub's forwarder waits on it).
    pub fn waking(mut self, acted: Arc<tokio::sync::Notify>) -> Operations {
        self.acted = acted;
        self
    }

    /// Takes one action as `actor`, one at a time on this node.
    pub async fn act(&self, actor: &Actor, action: Action) -> Result<ActOutcome, NodeError> {
        let outcome = self
            .one_at_a_time(actor, "办理", move |store, actor, policy, now| {
                perform(store, actor, action, policy, now)
            })
            .await?;
        self.acted.notify_one();
        Ok(outcome)
    }

    /// Keeps a file `actor` chose, ready to be named on a case
    /// ([`crate::attachments::take_in`]).
    pub async fn take_in_file(
        &self,
        actor: &Actor,
        upload: crate::attachments::FileUpload,
    ) -> Result<sanji_domain::attachment::FileRef, NodeError> {
        acts_here(actor, self.node())?;
        let store = self.store().clone();
        tokio::task::spawn_blocking(move || crate::attachments::take_in(&store, &upload))
            .await
            .map_err(|e| NodeError::Internal(e.to_string()))?
    }

    /// Imports an old ledger (导入) as `actor`: checks the whole file and,
    /// unless it is a dry run or any row is wrong, writes every row in one
    /// durable batch. A file with problems is not an error: the report
    /// lists every one and nothing is written.
    pub async fn import(
        &self,
        actor: &Actor,
        request: crate::import::ImportRequest,
    ) -> Result<crate::import::ImportReport, NodeError> {
        let report = self
            .one_at_a_time(actor, "导入", move |store, actor, policy, now| {
                crate::import::import(store, actor, &request, policy, now)
            })
            .await?;
        if report.written > 0 {
            self.acted.notify_one();
        }
        Ok(report)
    }

    /// Runs `job` as `actor` on this node, after any other person's work
    /// here has finished, off the async threads (it fsyncs); `doing` names
    /// the work in the message of a task that failed.
    async fn one_at_a_time<T: Send + 'static>(
        &self,
        actor: &Actor,
        doing: &'static str,
        job: impl FnOnce(&Store, &Actor, &DeadlinePolicy, u64) -> Result<T, NodeError> + Send + 'static,
    ) -> Result<T, NodeError> {
        acts_here(actor, self.node())?;
        let _one_at_a_time = self.steps.lock().await;
        let (store, policy, now, actor) = (
            self.store.clone(),
            self.policy,
            self.clock.now_ms(),
            actor.clone(),
        );
        tokio::task::spawn_blocking(move || job(&store, &actor, &policy, now))
            .await
            .map_err(|e| NodeError::Internal(format!("{doing}时内部任务失败:{e}")))?
    }

    /// The deadline tracker's pass (automatic urges and supervision
    /// notices), between operators' steps.
    pub async fn sweep(&self) -> Result<Vec<Event>, NodeError> {
        let _no_operator_step_meanwhile = self.steps.lock().await;
        let (store, policy, now) = (self.store.clone(), self.policy, self.clock.now_ms());
        tokio::task::spawn_blocking(move || crate::tracker::sweep(&store, &policy, now))
            .await
            .map_err(|e| NodeError::Internal(format!("期限检查时内部任务失败:{e}")))?
    }

    /// An administrator's action on this node's accounts.
    pub async fn admin(&self, admin: Admin, by: &str) -> Result<AdminOutcome, NodeError> {
        let accounts_store = self.store.clone();
        let (accounts, now, by) = (
            crate::accounts::Accounts::new(self.store.clone()),
            self.now_ms(),
            by.to_owned(),
        );
        tokio::task::spawn_blocking(move || {
            let row = |a: crate::accounts::Account| AccountRow {
                locked: a.locked_at(now),
                login: a.login,
                name: a.name,
                role: a.role,
                unit: a.unit,
                must_change_password: a.must_change_password,
                disabled: a.disabled,
            };
            let found = |login: &str| {
                accounts
                    .get(login)?
                    .ok_or_else(|| NodeError::NotFound(format!("账号 {login}")))
            };
            Ok(match admin {
                Admin::AddAccount {
                    name,
                    login,
                    role,
                    unit,
                } => {
                    let (account, password) =
                        accounts.add(&name, login.as_deref(), role, unit.as_deref(), now, &by)?;
                    AdminOutcome {
                        accounts: vec![row(account)],
                        one_time_password: Some(password),
                        directory: None,
                    }
                }
                Admin::ResetAccount { login } => {
                    let password = accounts.reset(&login, now, &by)?;
                    AdminOutcome {
                        accounts: vec![row(found(&login)?)],
                        one_time_password: Some(password),
                        directory: None,
                    }
                }
                Admin::SetAccountDisabled { login, disabled } => AdminOutcome {
                    accounts: vec![row(accounts.set_disabled(&login, disabled, now, &by)?)],
                    one_time_password: None,
                    directory: None,
                },
                Admin::EditDirectory { edit } => AdminOutcome {
                    accounts: Vec::new(),
                    one_time_password: None,
                    directory: Some(
                        crate::directory::Directory::new(accounts_store.clone())
                            .edit(edit, now, &by)?,
                    ),
                },
                Admin::ListAccounts => AdminOutcome {
                    accounts: accounts.all()?.into_iter().map(row).collect(),
                    one_time_password: None,
                    directory: None,
                },
            })
        })
        .await
        .map_err(|e| NodeError::Internal(format!("管理账号时内部任务失败:{e}")))?
    }

    /// A person managing this node's accounts or directory from the console
    /// (the director at a hub, the county office at the county), recorded
    /// as who did it.
    pub async fn manage(&self, actor: &Actor, admin: Admin) -> Result<AdminOutcome, NodeError> {
        acts_here(actor, self.node())?;
        let what = match admin {
            Admin::EditDirectory { .. } => "修改名录",
            _ => "管理账号",
        };
        check_role(what, crate::accounts::MANAGE_ROLES, actor.role)
            .map_err(NodeError::Forbidden)?;
        self.admin(admin, &actor.label()).await
    }

    /// Answers a read view as JSON (for the console RPC).
    pub async fn query(&self, query: Query) -> Result<serde_json::Value, NodeError> {
        let ops = self.clone();
        tokio::task::spawn_blocking(move || ops.query_blocking(query))
            .await
            .map_err(|e| NodeError::Internal(format!("查询时内部任务失败:{e}")))?
    }

    fn query_blocking(&self, query: Query) -> Result<serde_json::Value, NodeError> {
        use crate::views;
        let store = &self.store;
        let prefix = |village: &Option<String>| village.clone().unwrap_or_default();
        let today = cst_date(self.now_ms());
        let ctx = views::ViewContext {
            policy: self.policy,
            now_ms: self.now_ms(),
        };
        fn json<T: Serialize>(rows: T) -> serde_json::Value {
            serde_json::to_value(rows).expect("view rows serialise")
        }
        use sanji_domain::report::{Month, Period};
        Ok(match &query {
            Query::Screenings { village } => json(views::screenings(store, &prefix(village))?),
            Query::Screening { screening } => json(views::screening(store, *screening)?),
            Query::Visits { village } => json(views::visits(store, &prefix(village))?),
            Query::Cases { village } => json(views::cases(store, &prefix(village))?),
            Query::Case { case } => json(CaseView::of(find_case(store, case)?)),
            Query::CaseSearch { filter } => json(views::search_cases(store, filter)?),
            Query::OpenCases => json(views::open_cases(store)?),
            Query::Escalated => json(views::escalated_cases(store)?),
            Query::Due => json(crate::tracker::open_cases(store, &self.policy, today)?),
            Query::Conflicts => json(views::conflicts(store)?),
            Query::Rewards { period } => json(views::rewards(store, Period::parse(period)?)?),
            Query::Workload { period } => json(views::workload(store, Period::parse(period)?)?),
            Query::Report { month } => json(views::report(store, Month::parse(month)?, &ctx)?),
            Query::Summary { period } => json(views::summary(store, Period::parse(period)?, &ctx)?),
            Query::Register { year } => json(crate::register::register(store, *year)?),
            Query::Notices { year, book } => json(crate::notices::notices(
                store,
                *year,
                crate::notices::parse_book(book)?,
            )?),
            Query::Notice { event } => json(crate::notices::notice(store, *event)?),
            Query::CaseNumbers { case } => json(crate::notices::case_numbers(store, *case)?),
            Query::Assessment { period } => json(crate::assessment::view(
                store,
                Period::parse(period)?,
                &ctx,
            )?),
            Query::Assessments { period } => json(crate::assessment::county_sheets(
                store,
                &Period::parse(period)?,
            )?),
            Query::TownshipAssessment { township, period } => json(crate::assessment::filed_at(
                store,
                &sanji_domain::Code::parse(township)
                    .map_err(|e| FieldError::new("township", e.to_string()))?,
                &Period::parse(period)?,
            )?),
            Query::Campaigns => json(crate::campaigns::campaigns(store, today)?),
            Query::Campaign { campaign } => {
                json(crate::campaigns::campaign(store, *campaign, today)?)
            }
            Query::Hotspots { quarter } => json(crate::hotspots::hotspots(
                store,
                Period::parse(quarter)?,
                today,
            )?),
            Query::Hotspot { entry } => json(crate::hotspots::hotspot(store, *entry)?),
            Query::Reports { month } => json(views::county_reports(store, Month::parse(month)?)?),
            Query::Reporting { month } => json(crate::reports::reporting_table(
                store,
                Month::parse(month)?,
                today,
            )?),
            Query::Stations => json(views::peers(store)?),
            Query::Summaries { village } => json(views::summaries(store, &prefix(village))?),
            Query::Severe { village, since } => {
                let since = since
                    .as_deref()
                    .map(|d| sanji_domain::time::parse_date("since", d))
                    .transpose()?;
                json(views::severe(store, &prefix(village), since)?)
            }
            Query::Townships => json(views::townships(store)?),
            Query::Incidents => json(views::incidents(store)?),
            Query::Meetings => json(crate::meetings::book(store, today)?),
            Query::Duties { subject } => json(crate::meetings::duties_for(store, *subject, today)?),
            Query::Upstream => json(crate::forward::upstream_status(store)?),
            Query::Directory => json(crate::directory::Directory::new(store.clone()).listing()?),
            Query::HandDowns => json(views::hand_downs(store, &ctx)?),
        })
    }
}

/// One case file with its id: the one shape a case has, wherever it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseView {
    pub id: Uuid,
    #[serde(flatten)]
    pub file: CaseFile,
}

impl CaseView {
    pub fn of((id, file): (Uuid, Box<CaseFile>)) -> CaseView {
        CaseView { id, file: *file }
    }
}
