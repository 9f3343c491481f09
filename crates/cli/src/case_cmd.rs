//! Case steps as command-line arguments, shared by the hub's and the
//! station's `case` commands (each role may take the steps its people may).

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use sanji_domain::case::{MediationKind, Outcome};
use sanji_domain::{Code, FieldError, Labelled, Level};
use sanji_node::ops::CaseCommand;

#[derive(Args, Clone)]
pub struct CaseRef {
    /// 案件编号(如 360123100-2026-0001),或案件 ID(表格中显示的末 8 位即可)
    #[arg(long)]
    pub case: String,
}

#[derive(Subcommand, Clone)]
pub enum StepArgs {
    /// 受理(自动编号,办结期限按本镇时限)
    Accept(CaseRef),
    /// 不予受理
    Reject {
        #[command(flatten)]
        case: CaseRef,
        /// 不予受理的理由
        #[arg(long)]
        reason: String,
    },
    /// 分流交办给成员单位或村工作站(总台提出,中心主任审批;主任直接交办即生效)
    Assign {
        #[command(flatten)]
        case: CaseRef,
        /// 承办的成员单位(如 司法所、派出所)
        #[arg(long, conflicts_with = "village")]
        unit: Option<String>,
        /// 承办的村工作站代码(12 位)
        #[arg(long)]
        village: Option<String>,
        /// 承办人姓名
        #[arg(long)]
        person: String,
        /// 办结期限(YYYY-MM-DD,默认按受理时定的期限)
        #[arg(long)]
        deadline: Option<String>,
    },
    /// 审批分流(中心主任)
    Approve(CaseRef),
    /// 记录调处进展
    Progress {
        #[command(flatten)]
        case: CaseRef,
        /// people(人民调解) administrative(行政调解) judicial(司法调解)
        #[arg(long, default_value = "people")]
        kind: String,
        #[arg(long)]
        note: String,
    },
    /// 办结
    Resolve {
        #[command(flatten)]
        case: CaseRef,
        /// agreement(调解成功) litigation(未调成,引导诉讼) withdrawn(当事人撤回)
        #[arg(long)]
        outcome: String,
        /// 调解方式
        #[arg(long)]
        kind: Option<String>,
        /// 办理结果
        #[arg(long)]
        summary: String,
    },
    /// 向当事人反馈
    Feedback {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        note: String,
    },
    /// 回访
    FollowUp {
        #[command(flatten)]
        case: CaseRef,
        /// 矛盾出现反复
        #[arg(long)]
        recurred: bool,
        /// 当事人满意
        #[arg(long)]
        satisfied: bool,
        /// 办结后当事人又上访
        #[arg(long)]
        petitioned: bool,
        /// 越级上访
        #[arg(long)]
        skip_level: bool,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 归档
    Archive {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 催办
    Urge {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        note: String,
    },
    /// 督办
    Supervise {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        note: String,
    },
    /// 延期(一次,中心主任批准)
    Extend {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        reason: String,
    },
    /// 上报县级
    Escalate {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        reason: String,
    },
    /// 矛盾反复,重新办理
    Reopen {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        reason: String,
    },
}

fn parse<T: Labelled>(field: &str, text: &str) -> Result<T, FieldError> {
    T::parse_for(field, text)
}

fn date(field: &str, text: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, format!("日期 {text:?} 格式不对,应为 YYYY-MM-DD")))
}

impl StepArgs {
    /// The case named and the command to take on it.
    pub fn into_command(self) -> Result<(String, CaseCommand)> {
        Ok(match self {
            StepArgs::Accept(c) => (c.case, CaseCommand::Accept),
            StepArgs::Reject { case, reason } => (case.case, CaseCommand::NotAccept { reason }),
            StepArgs::Assign {
                case,
                unit,
                village,
                person,
                deadline,
            } => {
                let village = village
                    .map(|v| Code::parse_level("village", &v, Level::Village))
                    .transpose()?;
                let deadline = deadline.map(|d| date("deadline", &d)).transpose()?;
                (
                    case.case,
                    CaseCommand::Assign {
                        unit,
                        village,
                        person,
                        deadline,
                    },
                )
            }
            StepArgs::Approve(c) => (c.case, CaseCommand::Approve),
            StepArgs::Progress { case, kind, note } => (
                case.case,
                CaseCommand::Progress {
                    kind: parse::<MediationKind>("kind", &kind)?,
                    note,
                },
            ),
            StepArgs::Resolve {
                case,
                outcome,
                kind,
                summary,
            } => (
                case.case,
                CaseCommand::Resolve {
                    outcome: parse::<Outcome>("outcome", &outcome)?,
                    kind: kind
                        .map(|k| parse::<MediationKind>("kind", &k))
                        .transpose()?,
                    summary,
                },
            ),
            StepArgs::Feedback { case, note } => (case.case, CaseCommand::Feedback { note }),
            StepArgs::FollowUp {
                case,
                recurred,
                satisfied,
                petitioned,
                skip_level,
                note,
            } => (
                case.case,
                CaseCommand::FollowUp {
                    recurred,
                    satisfied,
                    petitioned,
                    skip_level,
                    note,
                },
            ),
            StepArgs::Archive { case, note } => (case.case, CaseCommand::Archive { note }),
            StepArgs::Urge { case, note } => (case.case, CaseCommand::Urge { note }),
            StepArgs::Supervise { case, note } => (case.case, CaseCommand::Supervise { note }),
            StepArgs::Extend { case, days, reason } => {
                (case.case, CaseCommand::Extend { days, reason })
            }
            StepArgs::Escalate { case, reason } => (case.case, CaseCommand::Escalate { reason }),
            StepArgs::Reopen { case, reason } => (case.case, CaseCommand::Reopen { reason }),
        })
    }
}
