//! 自查评分: the township center's self-assessment against the provincial
//! 达标考核细则, section by section. Every item the ledgers can prove is
//! scored from them, with the evidence beside it (mediation success, the
//! 司法所's share, deadlines kept, the five ledgers in use, reports filed,
//! meetings held, no mass incident, no skip-level petition); the rest is
//! scored by hand with a note. A filed sheet (`assessment_filed`) goes to
//! the county, which reads each township's.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::code::Code;
use crate::error::FieldError;
use crate::record::text;
use crate::report::Period;

/// Names a township's sheet of one period.
const ASSESSMENT_NAMESPACE: Uuid = Uuid::from_u128(0x5a4e6a69_0004_4000_8000_000000000004);

/// How an item is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// From the ledgers: full points when the fact holds, none otherwise.
    Ledger(Fact),
    /// By the center's own judgment, with a note.
    Hand,
}

/// The facts the ledgers prove, each one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fact {
    JudicialShare,
    StationsEverywhere,
    DeadlinesKept,
    FiveLedgers,
    CaseArchives,
    MonthlyReports,
    QuarterlyHotspots,
    Meetings,
    MediationSuccess,
    NoMassIncident,
    NoSkipLevel,
}

/// One item of the sheet: its section, what it asks, its points (in
/// tenths, so 9.5 is 95) and how it is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub id: &'static str,
    pub section: &'static str,
    pub text: &'static str,
    pub tenths: u32,
    pub proof: Proof,
}

const fn hand(id: &'static str, section: &'static str, text: &'static str, tenths: u32) -> Item {
    Item {
        id,
        section,
        text,
        tenths,
        proof: Proof::Hand,
    }
}

const fn ledger(
    id: &'static str,
    section: &'static str,
    text: &'static str,
    tenths: u32,
    fact: Fact,
) -> Item {
    Item {
        id,
        section,
        text,
        tenths,
        proof: Proof::Ledger(fact),
    }
}

/// The 考核细则's items as the township documents report against them,
/// 100 points in all. The split of a section's points between what the
/// ledgers prove and what is judged by hand is this table's reading.
pub const ITEMS: &[Item] = &[
    hand(
        "leadership",
        "(一)领导重视",
        "综治委、中心机构健全,领导分工明确,人员到位",
        70,
    ),
    hand(
        "premises",
        "(二)硬件配置",
        "标牌、功能区(受理大厅、调解室、联席会议室、集中办公室、档案室)和办公设备齐全",
        130,
    ),
    ledger(
        "judicial_share",
        "(三)资源整合",
        "司法所在调处的案件中调解 50% 以上",
        40,
        Fact::JudicialShare,
    ),
    ledger(
        "stations",
        "(三)资源整合",
        "下辖村(居)全部建立综治信访维稳工作站",
        20,
        Fact::StationsEverywhere,
    ),
    hand(
        "joint_office",
        "(三)资源整合",
        "综治办、信访办、司法所集中办公,专项工作联合办理",
        40,
    ),
    ledger(
        "deadlines",
        "(四)工作流程",
        "严格按照调处期限调处(没有超期办结的案件)",
        30,
        Fact::DeadlinesKept,
    ),
    hand(
        "reception",
        "(四)工作流程",
        "受理总台专人值班,按扇形工作流程调处",
        20,
    ),
    hand(
        "rules",
        "(五)制度建设",
        "工作、会议、人员管理制度健全并公示上墙",
        70,
    ),
    ledger(
        "ledgers",
        "(六)工作台账",
        "启用五本台账:总登记簿、交办督办销案通知书、重点地区登记簿、会议记录簿、月报表",
        50,
        Fact::FiveLedgers,
    ),
    ledger(
        "archives",
        "(六)工作台账",
        "矛盾纠纷调处一案一档,归档的案件都有档案号",
        30,
        Fact::CaseArchives,
    ),
    ledger(
        "monthly",
        "(七)“六联”机制",
        "矛盾联调:每月排查并按时报送排查月报表",
        30,
        Fact::MonthlyReports,
    ),
    ledger(
        "hotspots",
        "(七)“六联”机制",
        "问题联治:每季度排查社会治安突出问题和重点区域并登记",
        30,
        Fact::QuarterlyHotspots,
    ),
    hand(
        "six_joint",
        "(七)“六联”机制",
        "治安联防、工作联动、平安联创、流动人口联管",
        40,
    ),
    ledger(
        "meetings",
        "(八)领导责任制和监督考核",
        "每月例会(排查例会、工作例会)有会议记录",
        20,
        Fact::Meetings,
    ),
    hand(
        "leaders",
        "(八)领导责任制和监督考核",
        "领导到中心接访办公,考评、考勤、工作日志齐全",
        40,
    ),
    hand(
        "training",
        "(九)人员培训管理",
        "工作人员参加业务培训,会用电脑操作台账",
        40,
    ),
    hand("funding", "(十)经费保障", "专项资金和日常运作经费到位", 70),
    hand(
        "publicity",
        "(十一)宣传工作",
        "宣传方案、宣传资料和橱窗,按月报送工作经验",
        50,
    ),
    ledger(
        "success",
        "(十二)“六提高、六减少”成效",
        "矛盾纠纷调解成功率达 90% 以上",
        50,
        Fact::MediationSuccess,
    ),
    ledger(
        "no_mass",
        "(十二)“六提高、六减少”成效",
        "本辖区未发生群体性事件",
        50,
        Fact::NoMassIncident,
    ),
    ledger(
        "no_skip",
        "(十二)“六提高、六减少”成效",
        "未发生越级上访",
        40,
        Fact::NoSkipLevel,
    ),
    hand(
        "public_order",
        "(十二)“六提高、六减少”成效",
        "刑事发案、黄赌毒、网吧、邪教等方面的成效",
        40,
    ),
];

/// The most a hand item's bonus (特别加分) may add, in tenths.
pub const MAX_BONUS_TENTHS: u32 = 50;

/// What the ledgers say for one fact over the period: whether it holds, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    pub holds: bool,
    /// In words, with the figures: 司法所调解 6 件,占办结 10 件的 60%.
    pub words: String,
}

/// A hand item's score as the center gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandScore {
    pub item: String,
    pub tenths: u32,
    #[serde(default)]
    pub note: String,
}

/// One line of a scored sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoredItem {
    pub item: String,
    pub section: String,
    pub text: String,
    pub max_tenths: u32,
    pub tenths: u32,
    /// Scored from the ledgers (`true`) or by hand.
    pub proven: bool,
    /// The evidence (ledger items) or the center's note (hand items).
    pub note: String,
}

/// A township's 自查评分 of a period, as scored (and, filed, as the county reads it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentSheet {
    pub township: Code,
    /// `2026-H2`, `2026`.
    pub period: String,
    pub items: Vec<ScoredItem>,
    /// 特别加分 and its reason.
    #[serde(default)]
    pub bonus_tenths: u32,
    #[serde(default)]
    pub bonus_note: String,
    pub total_tenths: u32,
    /// Filed sheets supersede earlier ones of the same period.
    pub revision: u32,
}

impl AssessmentSheet {
    pub fn entity_id(township: &Code, period: &Period) -> Uuid {
        Uuid::new_v5(
            &ASSESSMENT_NAMESPACE,
            format!("{township}/{period}").as_bytes(),
        )
    }

    /// 97.5 分, 优秀: the documents' words for a total.
    pub fn grade(&self) -> &'static str {
        match self.total_tenths {
            900.. => "优秀",
            800..900 => "良好",
            600..800 => "合格",
            _ => "不合格",
        }
    }

    /// A filed sheet as the county takes it: its items are the table's and
    /// add up to its total.
    pub fn validate(&self) -> Result<(), FieldError> {
        Period::parse(&self.period).map_err(|e| FieldError::new("period", e.to_string()))?;
        if self.items.len() != ITEMS.len()
            || self.items.iter().zip(ITEMS).any(|(s, i)| s.item != i.id)
        {
            return Err(FieldError::new("items", "评分项目与考核细则不一致"));
        }
        for (i, (s, item)) in self.items.iter().zip(ITEMS).enumerate() {
            if s.tenths > item.tenths || s.max_tenths != item.tenths {
                return Err(FieldError::new(
                    format!("items[{i}].tenths"),
                    format!("「{}」最多 {} 分", item.text, points(item.tenths)),
                ));
            }
            text(&format!("items[{i}].note"), &s.note, 0)?;
        }
        if self.bonus_tenths > MAX_BONUS_TENTHS {
            return Err(FieldError::new(
                "bonus_tenths",
                format!("特别加分最多 {} 分", points(MAX_BONUS_TENTHS)),
            ));
        }
        text(
            "bonus_note",
            &self.bonus_note,
            usize::from(self.bonus_tenths > 0),
        )?;
        let sum: u32 = self.items.iter().map(|s| s.tenths).sum::<u32>() + self.bonus_tenths;
        if sum != self.total_tenths {
            return Err(FieldError::new("total_tenths", "总分与各项得分之和不符"));
        }
        Ok(())
    }
}

/// `9.5`, `12`: tenths as the sheet prints points.
pub fn points(tenths: u32) -> String {
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// `9.5` or `9` as typed, in tenths; more than one decimal is refused.
pub fn parse_points(field: &str, text: &str) -> Result<u32, FieldError> {
    let text = text.trim();
    let refuse = || FieldError::new(field, format!("{text:?} 不是分数,请填写如 9 或 9.5"));
    let (whole, tenth) = match text.split_once('.') {
        Some((w, t)) if t.len() == 1 => (w, t),
        Some(_) => return Err(refuse()),
        None => (text, "0"),
    };
    let whole: u32 = whole.parse().map_err(|_| refuse())?;
    let tenth: u32 = tenth.parse().map_err(|_| refuse())?;
    whole
        .checked_mul(10)
        .and_then(|w| w.checked_add(tenth))
        .ok_or_else(refuse)
}

/// Scores the sheet: each ledger item from `evidence` (full points when its
/// fact holds), each hand item as given (refused above its points; an item
/// not given scores nothing), the bonus with its reason.
pub fn score(
    township: Code,
    period: &Period,
    evidence: impl Fn(Fact) -> Evidence,
    hand: &[HandScore],
    bonus: (u32, String),
) -> Result<AssessmentSheet, FieldError> {
    for given in hand {
        let Some(item) = ITEMS.iter().find(|i| i.id == given.item) else {
            return Err(FieldError::new(
                given.item.clone(),
                format!("没有评分项目「{}」", given.item),
            ));
        };
        if item.proof != Proof::Hand {
            return Err(FieldError::new(
                given.item.clone(),
                format!("「{}」按台账计分,不能手填", item.text),
            ));
        }
        if given.tenths > item.tenths {
            return Err(FieldError::new(
                given.item.clone(),
                format!(
                    "「{}」最多 {} 分,填了 {} 分",
                    item.text,
                    points(item.tenths),
                    points(given.tenths)
                ),
            ));
        }
    }
    let items: Vec<ScoredItem> = ITEMS
        .iter()
        .map(|item| {
            let (tenths, proven, note) = match item.proof {
                Proof::Ledger(fact) => {
                    let e = evidence(fact);
                    (if e.holds { item.tenths } else { 0 }, true, e.words)
                }
                Proof::Hand => match hand.iter().find(|h| h.item == item.id) {
                    Some(h) => (h.tenths, false, h.note.clone()),
                    None => (0, false, String::new()),
                },
            };
            ScoredItem {
                item: item.id.to_owned(),
                section: item.section.to_owned(),
                text: item.text.to_owned(),
                max_tenths: item.tenths,
                tenths,
                proven,
                note,
            }
        })
        .collect();
    let sheet = AssessmentSheet {
        township,
        period: period.to_string(),
        total_tenths: items.iter().map(|i| i.tenths).sum::<u32>() + bonus.0,
        items,
        bonus_tenths: bonus.0,
        bonus_note: bonus.1,
        revision: 0,
    };
    sheet.validate()?;
    Ok(sheet)
}
