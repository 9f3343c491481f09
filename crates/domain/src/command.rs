//! What a person asks for when they move a case on (受理、分流、办结……), and
//! the one description of what each step asks them to fill in. The CLI's
//! `case` subcommands and the web console's step forms are both built from
//! [`StepKind::inputs`], and both turn what was typed into a [`CaseCommand`]
//! with [`CaseCommand::from_inputs`], so a step has one name, one set of
//! fields and one set of messages wherever it is taken.
//!
//! A command becomes the [`CaseStep`] the case file records with
//! [`CaseCommand::into_step`], which fills in what the system decides (the
//! case number, the policy's deadlines) and refuses what the policy forbids.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::{AftermathKind, Assignee, CaseFile, CaseStep, MediationKind, Outcome, StepKind};
use crate::code::{Code, Level};
use crate::deadline::{DeadlinePolicy, add_days};
use crate::error::FieldError;
use crate::labels::Labelled;

/// A request to move a case on, as people phrase it. Serialised with the
/// step's identifier as `step` (`{"step":"assign","village":…}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseCommand {
    Accept,
    NotAccept {
        reason: String,
    },
    Assign {
        #[serde(default)]
        unit: Option<String>,
        #[serde(default)]
        village: Option<Code>,
        person: String,
        /// Defaults to the case's resolution deadline.
        #[serde(default)]
        deadline: Option<NaiveDate>,
    },
    Approve,
    Progress {
        kind: MediationKind,
        note: String,
    },
    Resolve {
        outcome: Outcome,
        #[serde(default)]
        kind: Option<MediationKind>,
        summary: String,
    },
    Feedback {
        note: String,
    },
    FollowUp {
        #[serde(default)]
        recurred: bool,
        #[serde(default)]
        satisfied: bool,
        #[serde(default)]
        petitioned: bool,
        #[serde(default)]
        skip_level: bool,
        #[serde(default)]
        note: String,
    },
    Archive {
        #[serde(default)]
        note: String,
    },
    Urge {
        note: String,
    },
    Supervise {
        note: String,
    },
    Extend {
        days: u32,
        reason: String,
    },
    Escalate {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    Assist {
        unit: String,
        person: String,
        task: String,
    },
    AssistReport {
        unit: String,
        note: String,
    },
    Acknowledge {
        #[serde(default)]
        note: String,
    },
    Attach {
        title: String,
        file: crate::attachment::FileRef,
    },
    Aftermath {
        kind: AftermathKind,
        /// The day it happened; today if not given.
        #[serde(default)]
        on: Option<NaiveDate>,
        who: String,
        #[serde(default)]
        taken_to: String,
        #[serde(default)]
        note: String,
    },
}

/// What kind of value an input takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// One line of text.
    Text,
    /// A paragraph.
    LongText,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A whole number of days.
    Days,
    /// Yes or no; absent means no.
    Flag,
    /// A village of this township, by its 12-digit code.
    Village,
    /// One of a closed vocabulary.
    Choice(Vocabulary),
    /// A file the person chooses; the edge that takes its bytes in hands
    /// it on as [`crate::attachment::FileRef::token`].
    File,
}

/// The closed vocabularies a step can ask to choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    MediationKind,
    Outcome,
    Aftermath,
}

impl Vocabulary {
    /// (identifier, Chinese label) of every value, in order.
    pub fn choices(self) -> Vec<(&'static str, &'static str)> {
        fn all<T: Labelled>() -> Vec<(&'static str, &'static str)> {
            T::ALL.iter().map(|v| (v.id(), v.label())).collect()
        }
        match self {
            Vocabulary::MediationKind => all::<MediationKind>(),
            Vocabulary::Outcome => all::<Outcome>(),
            Vocabulary::Aftermath => all::<AftermathKind>(),
        }
    }
}

/// One thing a step asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepInput {
    /// The field's identifier: the command's JSON field, a form field's name;
    /// the CLI's flag is the same with `-` for `_`.
    pub name: &'static str,
    /// The Chinese label shown next to it.
    pub label: &'static str,
    pub kind: InputKind,
    pub required: bool,
    /// What the person should know when filling it in, if anything.
    pub hint: &'static str,
}

const fn input(name: &'static str, label: &'static str, kind: InputKind) -> StepInput {
    StepInput {
        name,
        label,
        kind,
        required: true,
        hint: "",
    }
}

const fn optional(name: &'static str, label: &'static str, kind: InputKind) -> StepInput {
    StepInput {
        name,
        label,
        kind,
        required: false,
        hint: "",
    }
}

const fn hinted(mut i: StepInput, hint: &'static str) -> StepInput {
    i.hint = hint;
    i
}

impl StepKind {
    /// What a person fills in to take this step (the case itself aside).
    pub fn inputs(self) -> &'static [StepInput] {
        use InputKind::*;
        match self {
            StepKind::Accept | StepKind::Approve | StepKind::Received => const { &[] },
            StepKind::NotAccept => const { &[input("reason", "不予受理的理由", LongText)] },
            StepKind::Assign => {
                const {
                    &[
                        hinted(
                            optional("unit", "承办的成员单位", Text),
                            "如 司法所、派出所;与承办村二选一",
                        ),
                        hinted(
                            optional("village", "承办的村工作站", Village),
                            "与成员单位二选一",
                        ),
                        input("person", "承办人姓名", Text),
                        hinted(
                            optional("deadline", "办结期限", Date),
                            "默认按受理时定的办结期限",
                        ),
                    ]
                }
            }
            StepKind::Progress => {
                const {
                    &[
                        hinted(
                            input("kind", "调解方式", Choice(Vocabulary::MediationKind)),
                            "默认人民调解",
                        ),
                        input("note", "调处进展", LongText),
                    ]
                }
            }
            StepKind::Resolve => {
                const {
                    &[
                        input("outcome", "办理结果", Choice(Vocabulary::Outcome)),
                        optional("kind", "调解方式", Choice(Vocabulary::MediationKind)),
                        input("summary", "办结情况", LongText),
                    ]
                }
            }
            StepKind::Feedback => const { &[input("note", "向当事人反馈的内容", LongText)] },
            StepKind::FollowUp => {
                const {
                    &[
                        optional("recurred", "矛盾出现反复", Flag),
                        optional("satisfied", "当事人满意", Flag),
                        optional("petitioned", "办结后当事人又上访", Flag),
                        optional("skip_level", "越级上访", Flag),
                        optional("note", "回访情况", LongText),
                    ]
                }
            }
            StepKind::Archive => const { &[optional("note", "归档说明", LongText)] },
            StepKind::Urge => const { &[input("note", "催办意见", LongText)] },
            StepKind::Supervise => const { &[input("note", "督办意见", LongText)] },
            StepKind::Extend => {
                const {
                    &[
                        hinted(input("days", "延期天数", Days), "只能延期一次"),
                        input("reason", "延期理由", LongText),
                    ]
                }
            }
            StepKind::Escalate => const { &[input("reason", "上报理由", LongText)] },
            StepKind::Reopen => const { &[input("reason", "重新办理的原因", LongText)] },
            StepKind::Assist => {
                const {
                    &[
                        hinted(input("unit", "协办的成员单位", Text), "与主办单位联合调处"),
                        input("person", "协办人姓名", Text),
                        input("task", "协办任务", LongText),
                    ]
                }
            }
            StepKind::AssistReport => {
                const {
                    &[
                        input("unit", "协办单位", Text),
                        input("note", "协办情况", LongText),
                    ]
                }
            }
            StepKind::Acknowledge => {
                const {
                    &[hinted(
                        optional("note", "签收说明", LongText),
                        "签收本案尚未签收的交办、督办通知书",
                    )]
                }
            }
            StepKind::Attach => {
                const {
                    &[
                        hinted(
                            input("title", "附件名称", Text),
                            "如 调解协议书、现场照片、来信扫描件",
                        ),
                        hinted(input("file", "文件", File), "每个文件不超过 10 MB"),
                    ]
                }
            }
            StepKind::Aftermath => {
                const {
                    &[
                        input("kind", "情况", Choice(Vocabulary::Aftermath)),
                        hinted(optional("on", "发生日期", Date), "默认今天"),
                        input("who", "上访人或当事人", Text),
                        hinted(
                            optional("taken_to", "上访到", Text),
                            "如 县信访局;上访的须填写",
                        ),
                        optional("note", "情况说明", LongText),
                    ]
                }
            }
        }
    }

    /// The input a step names `name`, if it has one.
    pub fn input(self, name: &str) -> Option<&'static StepInput> {
        self.inputs().iter().find(|i| i.name == name)
    }
}

impl CaseCommand {
    pub fn kind(&self) -> StepKind {
        match self {
            CaseCommand::Accept => StepKind::Accept,
            CaseCommand::NotAccept { .. } => StepKind::NotAccept,
            CaseCommand::Assign { .. } => StepKind::Assign,
            CaseCommand::Approve => StepKind::Approve,
            CaseCommand::Progress { .. } => StepKind::Progress,
            CaseCommand::Resolve { .. } => StepKind::Resolve,
            CaseCommand::Feedback { .. } => StepKind::Feedback,
            CaseCommand::FollowUp { .. } => StepKind::FollowUp,
            CaseCommand::Archive { .. } => StepKind::Archive,
            CaseCommand::Urge { .. } => StepKind::Urge,
            CaseCommand::Supervise { .. } => StepKind::Supervise,
            CaseCommand::Extend { .. } => StepKind::Extend,
            CaseCommand::Escalate { .. } => StepKind::Escalate,
            CaseCommand::Reopen { .. } => StepKind::Reopen,
            CaseCommand::Aftermath { .. } => StepKind::Aftermath,
            CaseCommand::Assist { .. } => StepKind::Assist,
            CaseCommand::AssistReport { .. } => StepKind::AssistReport,
            CaseCommand::Acknowledge { .. } => StepKind::Acknowledge,
            CaseCommand::Attach { .. } => StepKind::Attach,
        }
    }

    /// A command from what a person typed: `(input name, text)` pairs, as a
    /// form posts them or flags carry them. Empty text counts as not given;
    /// a flag is given by `true`, `on`, `yes` or `是`. Errors name the input.
    pub fn from_inputs<'a>(
        kind: StepKind,
        given: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<CaseCommand, FieldError> {
        let mut object = serde_json::Map::new();
        object.insert("step".into(), kind.id().into());
        for (name, text) in given {
            let input = kind.input(name).ok_or_else(|| {
                FieldError::new(name, format!("「{}」不需要填写此项", kind.label()))
            })?;
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let value = match input.kind {
                InputKind::Text | InputKind::LongText => text.into(),
                InputKind::Date => {
                    crate::time::parse_date(name, text)?;
                    text.into()
                }
                InputKind::Days => text
                    .parse::<u32>()
                    .map_err(|_| FieldError::new(name, format!("{text:?} 不是天数,请填写正整数")))?
                    .into(),
                InputKind::Flag => match text {
                    "true" | "on" | "yes" | "1" | "是" => true.into(),
                    "false" | "off" | "no" | "0" | "否" => false.into(),
                    _ => {
                        return Err(FieldError::new(name, format!("{text:?} 应为 是 或 否")));
                    }
                },
                InputKind::Village => Code::parse_level(name, text, Level::Village)?
                    .as_str()
                    .into(),
                InputKind::File => {
                    serde_json::to_value(crate::attachment::FileRef::parse_token(name, text)?)
                        .expect("a file reference is plain data")
                }
                InputKind::Choice(vocabulary) => vocabulary
                    .choices()
                    .iter()
                    .find(|(id, label)| *id == text || *label == text)
                    .map(|(id, _)| (*id).into())
                    .ok_or_else(|| {
                        let allowed: Vec<String> = vocabulary
                            .choices()
                            .iter()
                            .map(|(id, label)| format!("{id}({label})"))
                            .collect();
                        FieldError::new(
                            name,
                            format!("未知取值 {text:?};可选:{}", allowed.join("、")),
                        )
                    })?,
            };
            object.insert(name.to_owned(), value);
        }
        if kind == StepKind::Progress && !object.contains_key("kind") {
            object.insert("kind".into(), MediationKind::People.id().into());
        }
        for required in kind.inputs().iter().filter(|i| i.required) {
            if !object.contains_key(required.name) {
                return Err(FieldError::new(
                    required.name,
                    format!("请填写「{}」", required.label),
                ));
            }
        }
        serde_path_to_error::deserialize(serde_json::Value::Object(object))
            .map_err(|e| FieldError::new(e.path().to_string(), format!("无法识别:{}", e.inner())))
    }

    /// The step the case file records, with what the system decides filled
    /// in: `next_case_number` is asked for only on acceptance. Refuses a
    /// deadline already past, or later than the policy allows, and an
    /// extension longer than the policy's.
    pub fn into_step(
        self,
        file: &CaseFile,
        policy: &DeadlinePolicy,
        today: NaiveDate,
        next_case_number: impl FnOnce() -> String,
    ) -> Result<CaseStep, FieldError> {
        Ok(match self {
            CaseCommand::Accept => CaseStep::Accept {
                case_number: next_case_number(),
                // The county's deadline for a case it handed down binds the
                // township as its own does: the earlier of the two runs.
                resolve_deadline: file.handed_down_deadline.map_or_else(
                    || policy.resolve_deadline(today),
                    |county| county.min(policy.resolve_deadline(today)),
                ),
            },
            CaseCommand::NotAccept { reason } => CaseStep::NotAccept { reason },
            CaseCommand::Assign {
                unit,
                village,
                person,
                deadline,
            } => {
                let assignee = match (unit, village) {
                    (Some(name), None) => Assignee::Unit { name },
                    (None, Some(code)) => Assignee::Village { code },
                    (Some(_), Some(_)) => {
                        return Err(FieldError::new(
                            "village",
                            "承办方只能有一个:成员单位或村工作站,不能同时填写",
                        ));
                    }
                    (None, None) => {
                        return Err(FieldError::new(
                            "unit",
                            "请指定承办方:一个成员单位或一个村工作站",
                        ));
                    }
                };
                // The deadline running now is what the policy gave the case
                // (at acceptance, an approved extension, a reopening); an
                // assignment may ask for less time, never more.
                let latest = file
                    .deadline
                    .unwrap_or_else(|| policy.resolve_deadline(today));
                let deadline = deadline.unwrap_or(latest);
                if deadline < today {
                    return Err(FieldError::new(
                        "deadline",
                        format!("期限 {deadline} 已经过去"),
                    ));
                }
                if deadline > latest {
                    return Err(FieldError::new(
                        "deadline",
                        format!(
                            "期限 {deadline} 晚于本案按时限应办结的 {latest};需要更多时间请申请延期"
                        ),
                    ));
                }
                CaseStep::Assign {
                    assignee,
                    person,
                    deadline,
                }
            }
            CaseCommand::Approve => CaseStep::Approve,
            CaseCommand::Progress { kind, note } => CaseStep::Progress { kind, note },
            CaseCommand::Resolve {
                outcome,
                kind,
                summary,
            } => CaseStep::Resolve {
                outcome,
                kind,
                summary,
            },
            CaseCommand::Feedback { note } => CaseStep::Feedback { note },
            CaseCommand::FollowUp {
                recurred,
                satisfied,
                petitioned,
                skip_level,
                note,
            } => CaseStep::FollowUp {
                recurred,
                satisfied,
                petitioned,
                skip_level,
                note,
            },
            CaseCommand::Archive { note } => CaseStep::Archive { note },
            CaseCommand::Urge { note } => CaseStep::Urge {
                note,
                automatic: false,
                about: None,
            },
            CaseCommand::Supervise { note } => CaseStep::Supervise {
                note,
                automatic: false,
                about: None,
            },
            CaseCommand::Extend { days, reason } => {
                if days == 0 || days > policy.extension_max_days {
                    return Err(FieldError::new(
                        "days",
                        format!(
                            "延期只能一次,最多 {} 天,而不是 {days} 天",
                            policy.extension_max_days
                        ),
                    ));
                }
                let current = file
                    .deadline
                    .ok_or_else(|| FieldError::new("days", "案件没有正在计算的期限,无需延期"))?;
                CaseStep::Extend {
                    days,
                    reason,
                    new_deadline: add_days(current, days),
                }
            }
            CaseCommand::Escalate { reason } => CaseStep::Escalate { reason },
            CaseCommand::Assist { unit, person, task } => CaseStep::Assist { unit, person, task },
            CaseCommand::AssistReport { unit, note } => CaseStep::AssistReport { unit, note },
            CaseCommand::Acknowledge { note } => CaseStep::Acknowledge { note },
            CaseCommand::Attach { title, file } => CaseStep::Attach {
                attachment: crate::attachment::Attachment {
                    title,
                    name: file.name,
                    sha256: file.sha256,
                    size: file.size,
                },
            },
            CaseCommand::Reopen { reason } => CaseStep::Reopen {
                reason,
                deadline: policy.accept_deadline(today),
            },
            CaseCommand::Aftermath {
                kind,
                on,
                who,
                taken_to,
                note,
            } => {
                let on = on.unwrap_or(today);
                if on > today {
                    return Err(FieldError::new("on", format!("日期 {on} 还没有到")));
                }
                let handled = file.follow_ups.last().map(|u| u.on);
                if let Some(handled) = handled.filter(|h| on < *h) {
                    return Err(FieldError::new(
                        "on",
                        format!("日期 {on} 早于回访日 {handled};回访前的情况请在回访时登记"),
                    ));
                }
                if kind != AftermathKind::Recurrence && taken_to.trim().is_empty() {
                    return Err(FieldError::new(
                        "taken_to",
                        format!("请填写「上访到」:{}到了哪一级、哪个部门", kind.label()),
                    ));
                }
                CaseStep::Aftermath {
                    kind,
                    on,
                    who,
                    taken_to,
                    note,
                }
            }
        })
    }
}
