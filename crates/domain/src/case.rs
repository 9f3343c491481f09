//! The case's life (扇形工作流程: 登记、分流、调处、督办、催办、反馈) as a state
//! machine over steps. Every step names the role that took it; a step that
//! the state or the role does not allow is refused with the state and the
//! steps that are allowed, both when an operator tries it and when the fold
//! meets it (then it is kept as a conflict).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::code::{Code, Level};
use crate::error::FieldError;
use crate::hlc::Hlc;
use crate::labels::{Labelled, labelled_enum};
use crate::record::{self, CaseRegistration};

labelled_enum! {
    /// Who acts. People's roles come from their certificates; `System` is the
    /// hub's own deadline tracker, `County` the county office.
    ActorRole {
        Operator = "operator", "总台";
        Director = "director", "中心主任";
        UnitStaff = "unit_staff", "单位工作人员";
        VillageStaff = "village_staff", "村工作人员";
        County = "county", "县综治办";
        System = "system", "系统";
    }
}

labelled_enum! {
    MediationKind {
        People = "people", "人民调解";
        Administrative = "administrative", "行政调解";
        Judicial = "judicial", "司法调解";
    }
}

labelled_enum! {
    /// How a case ended.
    Outcome {
        Agreement = "agreement", "调解成功";
        Litigation = "litigation", "未调成,引导诉讼";
        Withdrawn = "withdrawn", "当事人撤回";
    }
}

labelled_enum! {
    /// What was found after a case's follow-up (回访), when the case may
    /// already be archived: the 50-yuan deduction and the 越级上访 figure
    /// depend on it.
    AftermathKind {
        Petition = "petition", "办结后又上访";
        SkipLevel = "skip_level", "越级上访";
        Recurrence = "recurrence", "矛盾反复";
    }
}

labelled_enum! {
    CaseStatus {
        Registered = "registered", "待受理";
        NotAccepted = "not_accepted", "不予受理";
        Accepted = "accepted", "已受理待分流";
        AwaitingApproval = "awaiting_approval", "分流待审批";
        Assigned = "assigned", "已交办";
        InMediation = "in_mediation", "调处中";
        Resolved = "resolved", "已办结待反馈";
        FeedbackGiven = "feedback_given", "已反馈待回访";
        FollowedUp = "followed_up", "已回访待归档";
        Archived = "archived", "已归档";
    }
}

labelled_enum! {
    StepKind {
        Accept = "accept", "受理";
        NotAccept = "not_accept", "不予受理";
        Assign = "assign", "分流交办";
        Approve = "approve", "审批分流";
        Progress = "progress", "记录调处进展";
        Resolve = "resolve", "办结";
        Feedback = "feedback", "反馈当事人";
        FollowUp = "follow_up", "回访";
        Archive = "archive", "归档";
        Urge = "urge", "催办";
        Supervise = "supervise", "督办";
        Extend = "extend", "延期";
        Escalate = "escalate", "上报县级";
        Reopen = "reopen", "重新办理";
        Aftermath = "aftermath", "登记回访后的上访或反复";
        Assist = "assist", "增加协办单位";
        AssistReport = "assist_report", "协办情况";
        Acknowledge = "acknowledge", "签收通知书";
        Attach = "attach", "上传附件";
        Received = "received", "收到登记";
    }
}

impl CaseStatus {
    /// Not yet ended: deadlines run, urges apply.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseStatus::Registered
                | CaseStatus::Accepted
                | CaseStatus::AwaitingApproval
                | CaseStatus::Assigned
                | CaseStatus::InMediation
        )
    }
}

/// Whom a case is handed to: a member unit of the township, or a village station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Assignee {
    Unit { name: String },
    Village { code: Code },
}

impl Assignee {
    pub fn label(&self) -> String {
        match self {
            Assignee::Unit { name } => name.clone(),
            Assignee::Village { code } => format!("{code} 村工作站"),
        }
    }

    pub fn village(&self) -> Option<&Code> {
        match self {
            Assignee::Village { code } => Some(code),
            Assignee::Unit { .. } => None,
        }
    }
}

/// One step of a case's life; the payload of a `case_step` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseStep {
    Accept {
        case_number: String,
        resolve_deadline: NaiveDate,
    },
    NotAccept {
        reason: String,
    },
    Assign {
        assignee: Assignee,
        person: String,
        deadline: NaiveDate,
    },
    Approve,
    Progress {
        kind: MediationKind,
        note: String,
    },
    Resolve {
        outcome: Outcome,
        kind: Option<MediationKind>,
        summary: String,
    },
    Feedback {
        note: String,
    },
    FollowUp {
        recurred: bool,
        satisfied: bool,
        petitioned: bool,
        skip_level: bool,
        note: String,
    },
    Archive {
        note: String,
    },
    /// `about`: the deadline the notice concerns (named by the tracker: a
    /// file received before acceptance deadlines were stored has none).
    Urge {
        note: String,
        automatic: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<NaiveDate>,
    },
    Supervise {
        note: String,
        automatic: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<NaiveDate>,
    },
    Extend {
        days: u32,
        reason: String,
        new_deadline: NaiveDate,
    },
    Escalate {
        reason: String,
    },
    Reopen {
        reason: String,
        deadline: NaiveDate,
    },
    /// A petition, a skip-level petition or a recurrence found after the
    /// follow-up, on the day it happened, by whom and where it was taken.
    Aftermath {
        kind: AftermathKind,
        on: NaiveDate,
        who: String,
        #[serde(default)]
        taken_to: String,
        #[serde(default)]
        note: String,
    },
    /// The township has the registration: its acceptance deadline, fixed
    /// now under the policy in force, so a later policy change moves no
    /// running deadline and rewrites no month already reported.
    Received {
        accept_by: NaiveDate,
    },
    /// 联合调处: an assisting unit (协办) joins the lead (主办) with its own task.
    Assist {
        unit: String,
        person: String,
        task: String,
    },
    /// What an assisting unit did on its task.
    AssistReport {
        unit: String,
        note: String,
    },
    /// The handling side signs for the 交办 and 督办 notices sent to it
    /// since its last receipt (签收, the notice's 回执).
    Acknowledge {
        #[serde(default)]
        note: String,
    },
    /// A file joins the case file (一案一档): the signed 调解协议书, a photo.
    Attach {
        attachment: crate::attachment::Attachment,
    },
}

/// A step with the role of the person who took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseAction {
    pub role: ActorRole,
    pub step: CaseStep,
}

impl CaseStep {
    pub fn kind(&self) -> StepKind {
        match self {
            CaseStep::Accept { .. } => StepKind::Accept,
            CaseStep::NotAccept { .. } => StepKind::NotAccept,
            CaseStep::Assign { .. } => StepKind::Assign,
            CaseStep::Approve => StepKind::Approve,
            CaseStep::Progress { .. } => StepKind::Progress,
            CaseStep::Resolve { .. } => StepKind::Resolve,
            CaseStep::Feedback { .. } => StepKind::Feedback,
            CaseStep::FollowUp { .. } => StepKind::FollowUp,
            CaseStep::Archive { .. } => StepKind::Archive,
            CaseStep::Urge { .. } => StepKind::Urge,
            CaseStep::Supervise { .. } => StepKind::Supervise,
            CaseStep::Extend { .. } => StepKind::Extend,
            CaseStep::Escalate { .. } => StepKind::Escalate,
            CaseStep::Reopen { .. } => StepKind::Reopen,
            CaseStep::Aftermath { .. } => StepKind::Aftermath,
            CaseStep::Received { .. } => StepKind::Received,
            CaseStep::Assist { .. } => StepKind::Assist,
            CaseStep::AssistReport { .. } => StepKind::AssistReport,
            CaseStep::Acknowledge { .. } => StepKind::Acknowledge,
            CaseStep::Attach { .. } => StepKind::Attach,
        }
    }

    /// Field rules of the step on its own (text lengths, numbers).
    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            CaseStep::Accept { case_number, .. } => record::name("case_number", case_number),
            CaseStep::NotAccept { reason } => record::text("reason", reason, 1),
            CaseStep::Assign {
                assignee, person, ..
            } => {
                if let Assignee::Unit { name } = assignee {
                    record::name("assignee.name", name)?;
                }
                if let Assignee::Village { code } = assignee {
                    Code::parse_level("assignee.code", code.as_str(), Level::Village)?;
                }
                record::name("person", person)
            }
            CaseStep::Approve | CaseStep::Received { .. } => Ok(()),
            CaseStep::Attach { attachment } => attachment.validate(),
            CaseStep::Assist { unit, person, task } => {
                record::name("unit", unit)?;
                record::name("person", person)?;
                record::text("task", task, 1)
            }
            CaseStep::AssistReport { unit, note } => {
                record::name("unit", unit)?;
                record::text("note", note, 1)
            }
            CaseStep::Progress { note, .. } | CaseStep::Feedback { note } => {
                record::text("note", note, 1)
            }
            CaseStep::Resolve { summary, .. } => record::text("summary", summary, 1),
            CaseStep::FollowUp { note, .. }
            | CaseStep::Archive { note }
            | CaseStep::Acknowledge { note } => record::text("note", note, 0),
            CaseStep::Urge { note, .. } | CaseStep::Supervise { note, .. } => {
                record::text("note", note, 1)
            }
            CaseStep::Extend { days, reason, .. } => {
                if *days == 0 || *days > 90 {
                    return Err(FieldError::new(
                        "days",
                        format!("延期天数须在 1 到 90 之间,而不是 {days}"),
                    ));
                }
                record::text("reason", reason, 1)
            }
            CaseStep::Escalate { reason } | CaseStep::Reopen { reason, .. } => {
                record::text("reason", reason, 1)
            }
            CaseStep::Aftermath {
                kind,
                who,
                taken_to,
                note,
                ..
            } => {
                record::name("who", who)?;
                // A petition went somewhere: the county's 信访局, the city's ….
                let needed = usize::from(*kind != AftermathKind::Recurrence);
                record::text("taken_to", taken_to, needed)?;
                record::text("note", note, 0)
            }
        }
    }
}

/// Which roles may take a step at all, before the case's own state is asked.
pub fn roles_for(kind: StepKind) -> &'static [ActorRole] {
    use ActorRole::*;
    match kind {
        StepKind::Accept | StepKind::NotAccept | StepKind::Assign | StepKind::Archive => {
            &[Operator, Director]
        }
        StepKind::Escalate | StepKind::Reopen | StepKind::Aftermath => &[Operator, Director],
        StepKind::Approve | StepKind::Extend => &[Director],
        StepKind::Progress | StepKind::Resolve | StepKind::Feedback => {
            &[Operator, Director, UnitStaff, VillageStaff]
        }
        StepKind::FollowUp => &[Operator, Director, UnitStaff, VillageStaff],
        StepKind::Urge | StepKind::Supervise => &[Operator, Director, County, System],
        StepKind::Received => &[System],
        StepKind::Assist => &[Operator, Director],
        StepKind::AssistReport => &[Operator, Director, UnitStaff],
        // The center records a paper 回执 that came back; the unit or the
        // village signs in the console or at its station.
        StepKind::Acknowledge => &[Operator, Director, UnitStaff, VillageStaff],
        // Whoever works the case files its papers; the county reads them.
        StepKind::Attach => &[Operator, Director, UnitStaff, VillageStaff],
    }
}

impl StepKind {
    /// Taken by the system alone (the deadline tracker), never offered to a person.
    pub fn is_automatic(self) -> bool {
        roles_for(self) == [ActorRole::System]
    }

    /// The steps a person may take (on some case, in some role): what the
    /// CLI and the console offer.
    pub fn taken_by_people() -> impl Iterator<Item = StepKind> {
        StepKind::ALL.iter().copied().filter(|k| !k.is_automatic())
    }
}

/// Who may sign a screening off (签字).
pub const SIGN_OFF_ROLES: &[ActorRole] = &[ActorRole::Director];
/// Who may turn a screening into a case (排查转案).
pub const CONVERT_ROLES: &[ActorRole] = &[ActorRole::Operator, ActorRole::Director];
/// Who may read the township's figures as a whole: the monthly report, the
/// rewards ledger, the screening ledger. Member-unit staff see only the
/// cases assigned to their unit, so no township-wide total is theirs.
pub const REPORT_ROLES: &[ActorRole] =
    &[ActorRole::Operator, ActorRole::Director, ActorRole::County];

/// Who imports the township's old ledgers (导入): the center's own staff,
/// never member units, villages or the county.
pub const IMPORT_ROLES: &[ActorRole] = &[ActorRole::Operator, ActorRole::Director];

/// Who registers visits at the township center's window (接访登记).
pub const VISIT_ROLES: &[ActorRole] = &[ActorRole::Operator, ActorRole::Director];

/// Whether `role` is one of the roles `allowed` to do `what`; if not, the
/// sentence that says who may.
pub fn check_role(what: &str, allowed: &[ActorRole], role: ActorRole) -> Result<(), String> {
    if allowed.contains(&role) {
        return Ok(());
    }
    let who: Vec<&str> = allowed.iter().map(|r| r.label()).collect();
    Err(format!(
        "「{what}」须由{}进行,{}无权办理",
        who.join("或"),
        role.label()
    ))
}

/// Which origin tier a role writes from; checked on every event.
pub fn role_level(role: ActorRole) -> Level {
    match role {
        ActorRole::VillageStaff => Level::Village,
        ActorRole::County => Level::County,
        _ => Level::Township,
    }
}

/// A dated note on the case's file (一案一档).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileEntry {
    pub at: Hlc,
    pub by: String,
    pub role: ActorRole,
    pub step: StepKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Assignment {
    pub assignee: Assignee,
    pub person: String,
    pub deadline: NaiveDate,
    pub assigned_by: String,
    /// Director's approval; steps of the assignee wait for it.
    pub approved_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Resolution {
    pub outcome: Outcome,
    pub kind: Option<MediationKind>,
    pub summary: String,
    pub on: NaiveDate,
    pub by: String,
    /// Who was handling the case when it was resolved: the unit rewarded or fined.
    pub handler: Option<Assignee>,
    /// Resolved after the deadline then running.
    pub late: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FollowUpRecord {
    pub on: NaiveDate,
    pub by: String,
    pub recurred: bool,
    pub satisfied: bool,
    pub petitioned: bool,
    pub skip_level: bool,
    pub note: String,
}

/// A petition or recurrence found after the follow-up ([`CaseStep::Aftermath`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AftermathRecord {
    pub kind: AftermathKind,
    pub on: NaiveDate,
    pub who: String,
    pub taken_to: String,
    pub note: String,
    /// Who recorded it.
    pub by: String,
    /// How many follow-ups the case had when it was recorded: a recurrence
    /// reopens the case only until the next follow-up answers it.
    pub after_follow_ups: usize,
}

impl AftermathRecord {
    pub fn is_petition(&self) -> bool {
        self.kind != AftermathKind::Recurrence
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Notice {
    pub on: NaiveDate,
    pub at: Hlc,
    pub by: String,
    pub role: ActorRole,
    pub note: String,
    pub automatic: bool,
    /// The deadline it was about.
    pub deadline: Option<NaiveDate>,
}

/// A file on the case, with who attached it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttachedFile {
    pub attachment: crate::attachment::Attachment,
    pub on: NaiveDate,
    pub by: String,
    pub role: ActorRole,
}

/// 协办: a unit assisting the lead, its task and what it reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssistingUnit {
    pub unit: String,
    pub person: String,
    pub task: String,
    pub since: NaiveDate,
    pub by: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<AssistNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssistNote {
    pub on: NaiveDate,
    pub by: String,
    pub note: String,
}

/// Everything the case file says now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseFile {
    pub registration: CaseRegistration,
    pub registered_by: String,
    pub registered_at: Hlc,
    pub status: CaseStatus,
    pub case_number: Option<String>,
    pub accepted_on: Option<NaiveDate>,
    pub not_accepted_reason: Option<String>,
    pub assignment: Option<Assignment>,
    /// Every village the case was ever assigned to: they keep receiving its
    /// events, so a village it was taken from learns it was taken.
    pub past_villages: Vec<Code>,
    /// The deadline now running: acceptance, then resolution.
    pub deadline: Option<NaiveDate>,
    pub extended: Option<(u32, String)>,
    pub resolution: Option<Resolution>,
    pub follow_ups: Vec<FollowUpRecord>,
    /// Petitions and recurrences found after a follow-up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aftermath: Vec<AftermathRecord>,
    pub urges: Vec<Notice>,
    pub supervisions: Vec<Notice>,
    pub escalated: Option<Notice>,
    pub handed_down_by: Option<String>,
    /// The township the county handed it down to.
    pub handed_down_to: Option<Code>,
    /// The county leader's instruction (批示) that came with the hand-down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_down_note: Option<String>,
    /// The county's 办结期限 for a case it handed down, if it set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_down_deadline: Option<NaiveDate>,
    pub reopened: u32,
    pub archived_on: Option<NaiveDate>,
    /// 协办 units beside the lead (主办, the assignment). Left out when
    /// empty, so a file reported before joint handling hashes as it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assisting: Vec<AssistingUnit>,
    /// Files on the case (调解协议书, photos), in the order attached. Left
    /// out when empty, so a file reported before attachments hashes as it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachedFile>,
    pub file: Vec<FileEntry>,
    /// Built from the case's own events (at the hub, a station). False where
    /// it is only a copy reported by the hub (at the county): copies are
    /// replaced by later copies, authoritative files never are.
    pub authoritative: bool,
    /// The revision of the last copy taken in.
    pub report_revision: u32,
    /// Brought in from an old ledger rather than received here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<crate::imported::ImportNote>,
}

/// Why a step was refused, with what would be allowed instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Refusal {
    pub reason: String,
    pub status: CaseStatus,
    pub allowed: Vec<StepKind>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let allowed: Vec<&str> = self.allowed.iter().map(|k| k.label()).collect();
        write!(
            f,
            "{}(案件当前状态:{};此时可以:{})",
            self.reason,
            self.status.label(),
            if allowed.is_empty() {
                "无".to_owned()
            } else {
                allowed.join("、")
            }
        )
    }
}

/// Where and when a step is being taken.
#[derive(Debug, Clone)]
pub struct StepContext<'a> {
    pub author: &'a str,
    pub origin: &'a Code,
    pub at: Hlc,
    pub on: NaiveDate,
}

impl CaseFile {
    pub fn new(
        registration: CaseRegistration,
        by: &str,
        at: Hlc,
        accept_deadline: Option<NaiveDate>,
    ) -> CaseFile {
        CaseFile {
            registration,
            registered_by: by.to_owned(),
            registered_at: at,
            status: CaseStatus::Registered,
            case_number: None,
            accepted_on: None,
            not_accepted_reason: None,
            assignment: None,
            past_villages: Vec::new(),
            deadline: accept_deadline,
            extended: None,
            resolution: None,
            follow_ups: Vec::new(),
            aftermath: Vec::new(),
            urges: Vec::new(),
            supervisions: Vec::new(),
            escalated: None,
            handed_down_by: None,
            handed_down_to: None,
            handed_down_note: None,
            handed_down_deadline: None,
            reopened: 0,
            archived_on: None,
            assisting: Vec::new(),
            attachments: Vec::new(),
            file: Vec::new(),
            authoritative: true,
            report_revision: 0,
            imported: None,
        }
    }

    /// The steps the case's state allows now, whoever asks.
    pub fn allowed_steps(&self) -> Vec<StepKind> {
        use StepKind::*;
        let mut steps = match self.status {
            CaseStatus::Registered => vec![Accept, NotAccept],
            CaseStatus::NotAccepted => vec![Archive],
            CaseStatus::Accepted => vec![Assign],
            CaseStatus::AwaitingApproval => vec![Approve, Assign],
            CaseStatus::Assigned | CaseStatus::InMediation => {
                let mut steps = vec![Progress, Resolve, Assign, Assist];
                if !self.assisting.is_empty() {
                    steps.push(AssistReport);
                }
                if self.unacknowledged_notices() > 0 {
                    steps.push(Acknowledge);
                }
                steps
            }
            CaseStatus::Resolved => vec![Feedback],
            CaseStatus::FeedbackGiven => vec![FollowUp],
            CaseStatus::FollowedUp => vec![Archive],
            CaseStatus::Archived => vec![],
        };
        if self.status.is_open() {
            steps.extend([Urge, Supervise]);
            if self.escalated.is_none() {
                steps.push(Escalate);
            }
        }
        if matches!(self.status, CaseStatus::Assigned | CaseStatus::InMediation)
            && self.extended.is_none()
        {
            steps.push(Extend);
        }
        if matches!(self.status, CaseStatus::FollowedUp | CaseStatus::Archived) {
            steps.push(Aftermath);
            if self.recurred() {
                steps.push(Reopen);
            }
        }
        // Papers join the file at any stage, the archived file too (the
        // signed agreement often comes back after the case is closed).
        steps.push(Attach);
        steps
    }

    /// How many 交办 and 督办 notices the side handling the case now was
    /// sent since it last signed for them (签收): from its assignment on.
    pub fn unacknowledged_notices(&self) -> usize {
        let mut count = 0;
        for entry in self.file.iter().rev() {
            match entry.step {
                StepKind::Acknowledge => break,
                StepKind::Supervise => count += 1,
                StepKind::Assign => return count + 1,
                _ => {}
            }
        }
        count
    }

    /// The receipt (签收) of a notice issued at `issued`: the first the
    /// handling side signed after it, unless the case was assigned anew
    /// before anyone signed (the notice's addressee no longer handles it).
    pub fn receipt_after(&self, issued: Hlc) -> Option<&FileEntry> {
        self.file
            .iter()
            .filter(|e| e.at > issued)
            .find(|e| matches!(e.step, StepKind::Acknowledge | StepKind::Assign))
            .filter(|e| e.step == StepKind::Acknowledge)
    }

    /// The member unit leading the case (主办), if a unit does.
    pub fn lead_unit(&self) -> Option<&str> {
        match self.assignment.as_ref().map(|a| &a.assignee) {
            Some(Assignee::Unit { name }) => Some(name.as_str()),
            _ => None,
        }
    }

    /// 联合调处: handled by a lead and at least one assisting unit.
    pub fn is_joint(&self) -> bool {
        !self.assisting.is_empty()
    }

    /// The steps the deadline tracker takes by itself now, never offered
    /// to a person: fixing the acceptance deadline of a registration the
    /// township has just received.
    pub fn automatic_steps(&self) -> Vec<StepKind> {
        if self.status == CaseStatus::Registered && self.deadline.is_none() {
            vec![StepKind::Received]
        } else {
            Vec::new()
        }
    }

    /// The last follow-up found the dispute back, or a recurrence was found
    /// since it.
    pub fn recurred(&self) -> bool {
        self.follow_ups.last().is_some_and(|f| f.recurred)
            || self.aftermath.iter().any(|a| {
                a.kind == AftermathKind::Recurrence && a.after_follow_ups == self.follow_ups.len()
            })
    }

    /// The first petition after the case was handled: at its follow-up, or
    /// found later. (Date and whether it went over the township's head.)
    pub fn first_petition(&self) -> Option<(NaiveDate, bool)> {
        self.follow_ups
            .iter()
            .filter(|u| u.petitioned)
            .map(|u| (u.on, u.skip_level))
            .chain(
                self.aftermath
                    .iter()
                    .filter(|a| a.is_petition())
                    .map(|a| (a.on, a.kind == AftermathKind::SkipLevel)),
            )
            .min_by_key(|(on, _)| *on)
    }

    /// Keeps the village the case is leaving in its audience, so its
    /// station learns the case was taken away.
    fn remember_village(&mut self) {
        if let Some(previous) = self.assigned_village().cloned()
            && !self.past_villages.contains(&previous)
        {
            self.past_villages.push(previous);
        }
    }

    /// The village whose station works the case now, if any.
    pub fn assigned_village(&self) -> Option<&Code> {
        self.assignment.as_ref().and_then(|a| a.assignee.village())
    }

    fn refuse(&self, reason: impl Into<String>) -> Refusal {
        Refusal {
            reason: reason.into(),
            status: self.status,
            allowed: self.allowed_steps(),
        }
    }

    /// The steps `role` acting from `origin` may take now, as far as can be
    /// told before the step's inputs are typed: what a form offers.
    pub fn steps_for(&self, role: ActorRole, origin: &Code) -> Vec<StepKind> {
        self.allowed_steps()
            .into_iter()
            .filter(|kind| self.check_kind(role, *kind, origin).is_ok())
            .collect()
    }

    /// Whether `role` acting from `origin` may take `step` now.
    pub fn check(&self, role: ActorRole, step: &CaseStep, origin: &Code) -> Result<(), Refusal> {
        self.check_kind(role, step.kind(), origin)?;
        match step {
            CaseStep::Extend {
                new_deadline, days, ..
            } => {
                let current = self
                    .deadline
                    .ok_or_else(|| self.refuse("案件没有正在计算的期限"))?;
                if *new_deadline != crate::deadline::add_days(current, *days) {
                    return Err(self.refuse(format!("新期限应为 {current} 加 {days} 天")));
                }
            }
            CaseStep::Assign {
                assignee: Assignee::Village { code },
                ..
            } if !code.is_under(origin) && role != ActorRole::County => {
                return Err(self.refuse(format!("{code} 不在 {origin} 辖区内")));
            }
            CaseStep::Assist { unit, .. } => {
                let unit = unit.trim();
                if self.lead_unit() == Some(unit) {
                    return Err(self.refuse(format!("{unit} 已是本案的主办单位")));
                }
                if self.assisting.iter().any(|a| a.unit == unit) {
                    return Err(self.refuse(format!("{unit} 已是本案的协办单位")));
                }
            }
            CaseStep::AssistReport { unit, .. }
                if !self.assisting.iter().any(|a| a.unit == unit.trim()) =>
            {
                let units: Vec<&str> = self.assisting.iter().map(|a| a.unit.as_str()).collect();
                return Err(self.refuse(format!(
                    "{} 不是本案的协办单位;协办单位:{}",
                    unit.trim(),
                    units.join("、")
                )));
            }
            _ => {}
        }
        Ok(())
    }

    /// [`CaseFile::check`] without what depends on the step's inputs.
    fn check_kind(&self, role: ActorRole, kind: StepKind, origin: &Code) -> Result<(), Refusal> {
        let assignee_step = matches!(
            kind,
            StepKind::Progress | StepKind::Resolve | StepKind::Feedback | StepKind::Acknowledge
        );
        // Before the state check, which would otherwise only say "not now":
        // an unapproved assignment is exactly why the assignee must wait.
        if assignee_step
            && self
                .assignment
                .as_ref()
                .is_some_and(|a| a.approved_by.is_none())
        {
            return Err(self.refuse("分流尚未经中心主任审批"));
        }
        if !self.allowed_steps().contains(&kind) && !self.automatic_steps().contains(&kind) {
            return Err(self.refuse(format!("此时不能「{}」", kind.label())));
        }
        check_role(kind.label(), roles_for(kind), role).map_err(|why| self.refuse(why))?;
        if assignee_step {
            let assignment = self.assignment.as_ref();
            match (role, assignment.map(|a| &a.assignee)) {
                (ActorRole::VillageStaff, Some(Assignee::Village { code })) if code == origin => {}
                (ActorRole::VillageStaff, _) => {
                    return Err(self.refuse(format!("本案未交办给 {origin} 村工作站")));
                }
                (ActorRole::UnitStaff, Some(Assignee::Unit { .. }))
                | (ActorRole::Operator | ActorRole::Director, _) => {}
                (ActorRole::UnitStaff, _) => return Err(self.refuse("本案未交办给成员单位")),
                _ => {}
            }
        }
        if kind == StepKind::Attach {
            match role {
                ActorRole::VillageStaff
                    if self.registration.place != *origin
                        && self.assigned_village() != Some(origin) =>
                {
                    return Err(self.refuse(format!("本案与 {origin} 村无关,不能由该村上传附件")));
                }
                ActorRole::UnitStaff if self.lead_unit().is_none() && self.assisting.is_empty() => {
                    return Err(self.refuse("本案未交办给成员单位"));
                }
                _ => {}
            }
        }
        if kind == StepKind::FollowUp
            && role == ActorRole::VillageStaff
            && self.registration.place != *origin
            && self.assigned_village() != Some(origin)
        {
            return Err(self.refuse(format!("本案与 {origin} 村无关,不能由该村回访")));
        }
        Ok(())
    }

    /// Takes a step that [`CaseFile::check`] allowed.
    pub fn apply(
        &mut self,
        role: ActorRole,
        step: &CaseStep,
        ctx: &StepContext<'_>,
    ) -> Result<(), Refusal> {
        self.check(role, step, ctx.origin)?;
        let notice = |note: &str, automatic: bool, deadline: Option<NaiveDate>| Notice {
            on: ctx.on,
            at: ctx.at,
            by: ctx.author.to_owned(),
            role,
            note: note.to_owned(),
            automatic,
            deadline,
        };
        let text = match step {
            CaseStep::Accept {
                case_number,
                resolve_deadline,
            } => {
                self.status = CaseStatus::Accepted;
                self.case_number = Some(case_number.clone());
                self.accepted_on = Some(ctx.on);
                self.deadline = Some(*resolve_deadline);
                format!("受理,编号 {case_number},办结期限 {resolve_deadline}")
            }
            CaseStep::NotAccept { reason } => {
                self.status = CaseStatus::NotAccepted;
                self.not_accepted_reason = Some(reason.clone());
                self.deadline = None;
                format!("不予受理:{reason}")
            }
            CaseStep::Assign {
                assignee,
                person,
                deadline,
            } => {
                self.remember_village();
                let approved = (role == ActorRole::Director).then(|| ctx.author.to_owned());
                self.status = if approved.is_some() {
                    CaseStatus::Assigned
                } else {
                    CaseStatus::AwaitingApproval
                };
                self.assignment = Some(Assignment {
                    assignee: assignee.clone(),
                    person: person.clone(),
                    deadline: *deadline,
                    assigned_by: ctx.author.to_owned(),
                    approved_by: approved,
                });
                self.deadline = Some(*deadline);
                format!(
                    "分流交办给{}(承办人 {person}),期限 {deadline}",
                    assignee.label()
                )
            }
            CaseStep::Approve => {
                self.status = CaseStatus::Assigned;
                if let Some(a) = &mut self.assignment {
                    a.approved_by = Some(ctx.author.to_owned());
                }
                "审批同意分流".to_owned()
            }
            CaseStep::Progress { kind, note } => {
                self.status = CaseStatus::InMediation;
                format!("{}:{note}", kind.label())
            }
            CaseStep::Resolve {
                outcome,
                kind,
                summary,
            } => {
                self.status = CaseStatus::Resolved;
                self.resolution = Some(Resolution {
                    outcome: *outcome,
                    kind: *kind,
                    summary: summary.clone(),
                    on: ctx.on,
                    by: ctx.author.to_owned(),
                    handler: self.assignment.as_ref().map(|a| a.assignee.clone()),
                    late: self.deadline.is_some_and(|d| ctx.on > d),
                });
                self.deadline = None;
                format!("办结({}):{summary}", outcome.label())
            }
            CaseStep::Feedback { note } => {
                self.status = CaseStatus::FeedbackGiven;
                format!("已反馈当事人:{note}")
            }
            CaseStep::FollowUp {
                recurred,
                satisfied,
                petitioned,
                skip_level,
                note,
            } => {
                self.status = CaseStatus::FollowedUp;
                self.follow_ups.push(FollowUpRecord {
                    on: ctx.on,
                    by: ctx.author.to_owned(),
                    recurred: *recurred,
                    satisfied: *satisfied,
                    petitioned: *petitioned,
                    skip_level: *skip_level,
                    note: note.clone(),
                });
                format!(
                    "回访:{},{}{}{}",
                    if *recurred {
                        "矛盾反复"
                    } else {
                        "未反复"
                    },
                    if *satisfied {
                        "当事人满意"
                    } else {
                        "当事人不满意"
                    },
                    if *petitioned { ",已上访" } else { "" },
                    if *skip_level { "(越级)" } else { "" }
                )
            }
            CaseStep::Archive { note } => {
                self.status = CaseStatus::Archived;
                self.archived_on = Some(ctx.on);
                format!("归档 {note}")
            }
            CaseStep::Urge {
                note,
                automatic,
                about,
            } => {
                self.urges
                    .push(notice(note, *automatic, about.or(self.deadline)));
                format!("催办:{note}")
            }
            CaseStep::Supervise {
                note,
                automatic,
                about,
            } => {
                self.supervisions
                    .push(notice(note, *automatic, about.or(self.deadline)));
                format!("督办:{note}")
            }
            CaseStep::Extend {
                days,
                reason,
                new_deadline,
            } => {
                self.extended = Some((*days, reason.clone()));
                self.deadline = Some(*new_deadline);
                if let Some(a) = &mut self.assignment {
                    a.deadline = *new_deadline;
                }
                format!("延期 {days} 天至 {new_deadline}:{reason}")
            }
            CaseStep::Assist { unit, person, task } => {
                self.assisting.push(AssistingUnit {
                    unit: unit.trim().to_owned(),
                    person: person.clone(),
                    task: task.clone(),
                    since: ctx.on,
                    by: ctx.author.to_owned(),
                    reports: Vec::new(),
                });
                format!("联合调处,协办单位 {} {}:{task}", unit.trim(), person)
            }
            CaseStep::AssistReport { unit, note } => {
                if let Some(a) = self.assisting.iter_mut().find(|a| a.unit == unit.trim()) {
                    a.reports.push(AssistNote {
                        on: ctx.on,
                        by: ctx.author.to_owned(),
                        note: note.clone(),
                    });
                }
                format!("协办单位 {} 反馈:{note}", unit.trim())
            }
            CaseStep::Escalate { reason } => {
                self.escalated = Some(notice(reason, false, self.deadline));
                format!("上报县级:{reason}")
            }
            CaseStep::Reopen { reason, deadline } => {
                self.status = CaseStatus::Accepted;
                self.reopened += 1;
                self.resolution = None;
                self.archived_on = None;
                self.extended = None;
                self.deadline = Some(*deadline);
                self.remember_village();
                self.assignment = None;
                format!("矛盾反复,重新办理:{reason}")
            }
            CaseStep::Aftermath {
                kind,
                on,
                who,
                taken_to,
                note,
            } => {
                self.aftermath.push(AftermathRecord {
                    kind: *kind,
                    on: *on,
                    who: who.clone(),
                    taken_to: taken_to.clone(),
                    note: note.clone(),
                    by: ctx.author.to_owned(),
                    after_follow_ups: self.follow_ups.len(),
                });
                let place = if taken_to.is_empty() {
                    String::new()
                } else {
                    format!(",到{taken_to}")
                };
                let note = if note.is_empty() {
                    String::new()
                } else {
                    format!(":{note}")
                };
                format!("{on} {who}{place}{}{note}", kind.label())
            }
            CaseStep::Acknowledge { note } => {
                let count = self.unacknowledged_notices();
                let note = if note.is_empty() {
                    String::new()
                } else {
                    format!(":{note}")
                };
                format!("签收交办、督办通知书 {count} 份{note}")
            }
            CaseStep::Attach { attachment } => {
                self.attachments.push(AttachedFile {
                    attachment: attachment.clone(),
                    on: ctx.on,
                    by: ctx.author.to_owned(),
                    role,
                });
                format!(
                    "附件「{}」:{}({})",
                    attachment.title,
                    attachment.name,
                    crate::attachment::size_label(attachment.size)
                )
            }
            CaseStep::Received { accept_by } => {
                self.deadline = Some(*accept_by);
                format!("镇中心收到登记,受理期限 {accept_by}")
            }
        };
        self.file.push(FileEntry {
            at: ctx.at,
            by: ctx.author.to_owned(),
            role,
            step: step.kind(),
            text,
        });
        Ok(())
    }
}
