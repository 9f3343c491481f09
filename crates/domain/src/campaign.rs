//! 专项排查: a campaign of screening on one topic over a set period (before
//! a holiday, during a land survey), declared by the township; the
//! screenings its villages and the center make in that period, of the kinds
//! the campaign looks for, are counted together, village by village, with
//! each village's 零报告 or silence, so the campaign's report is computed from
//! the ledgers like every other figure.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::code::Code;
use crate::error::FieldError;
use crate::labels::Labelled;
use crate::record::{Category, Screening, text};
use crate::reporting::{ReportingCounts, Standing};

/// The longest a campaign runs, in days.
pub const MAX_DAYS: i64 = 366;

/// A 专项排查 as the township declares it (payload of `campaign_declared`;
/// a later declaration of the same campaign supersedes the earlier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    /// 专项排查的主题: 春节前矛盾纠纷专项排查.
    pub topic: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 排查重点: the kinds of dispute it looks for; none means every kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
    /// 工作要求.
    #[serde(default)]
    pub note: String,
}

impl Campaign {
    /// A campaign may be declared ahead of its start, up to a year.
    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        text("topic", &self.topic, 1)?;
        if chrono::Datelike::year(&self.from) < crate::record::limits::EARLIEST_YEAR {
            return Err(FieldError::new(
                "from",
                format!("开始日期 {} 太早", self.from),
            ));
        }
        if self.to < self.from {
            return Err(FieldError::new(
                "to",
                format!("结束日期 {} 早于开始日期 {}", self.to, self.from),
            ));
        }
        if (self.to - self.from).num_days() >= MAX_DAYS {
            return Err(FieldError::new(
                "to",
                format!("专项排查最长一年,{} 至 {} 超过了", self.from, self.to),
            ));
        }
        if (self.from - today).num_days() > MAX_DAYS {
            return Err(FieldError::new(
                "from",
                format!("开始日期 {} 在一年以后,请核对", self.from),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = self.categories.iter().find(|c| !seen.insert(**c)) {
            return Err(FieldError::new(
                "categories",
                format!("排查重点「{}」写了两次", twice.label()),
            ));
        }
        text("note", &self.note, 0)
    }

    /// Whether the campaign counts `s`: made in its period, of a kind it looks for.
    pub fn counts(&self, s: &Screening) -> bool {
        self.from <= s.screened_on
            && s.screened_on <= self.to
            && (self.categories.is_empty() || self.categories.contains(&s.category))
    }

    /// 春节前矛盾纠纷专项排查(2027-01-20 至 2027-02-10).
    pub fn label(&self) -> String {
        format!("{}({} 至 {})", self.topic, self.from, self.to)
    }

    /// Before its first day, running, or over, on `today`.
    pub fn phase(&self, today: NaiveDate) -> &'static str {
        if today < self.from {
            "未开始"
        } else if today <= self.to {
            "进行中"
        } else {
            "已结束"
        }
    }
}

/// One village's part in a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CampaignVillage {
    pub village: Code,
    /// Screenings the campaign counts, 重大 or 群体性 among them.
    pub screenings: u32,
    pub severe: u32,
    /// Its standing over the campaign's days (a 零报告 counts when it found nothing).
    pub standing: Standing,
}

/// What a campaign found, counted from the screenings and zero reports of
/// its villages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CampaignTally {
    pub villages: Vec<CampaignVillage>,
    /// Screenings per kind, in the vocabulary's order, kinds with none left out.
    pub by_category: Vec<(Category, u32)>,
    pub screenings: u32,
    pub severe: u32,
    pub people_involved: u32,
    pub reporting: ReportingCounts,
}

/// Counts `campaign` over `villages` (in their order), from every screening
/// and zero report given (those outside the campaign are ignored).
pub fn tally<'a>(
    campaign: &Campaign,
    villages: &[Code],
    screenings: impl IntoIterator<Item = &'a Screening>,
    zero_reports: impl IntoIterator<Item = &'a crate::record::ZeroReport>,
) -> CampaignTally {
    let counted: Vec<&Screening> = screenings
        .into_iter()
        .filter(|s| campaign.counts(s))
        .collect();
    let zero: Vec<&crate::record::ZeroReport> = zero_reports.into_iter().collect();
    let rows: Vec<CampaignVillage> = villages
        .iter()
        .map(|village| {
            let own: Vec<&&Screening> = counted.iter().filter(|s| &s.village == village).collect();
            CampaignVillage {
                village: village.clone(),
                screenings: own.len() as u32,
                severe: own.iter().filter(|s| s.is_severe()).count() as u32,
                standing: Standing::of(
                    own.iter().map(|s| s.screened_on),
                    zero.iter()
                        .filter(|z| &z.village == village)
                        .map(|z| z.round_on),
                    campaign.from,
                    campaign.to,
                ),
            }
        })
        .collect();
    let by_category = Category::ALL
        .iter()
        .map(|c| {
            (
                *c,
                counted.iter().filter(|s| s.category == *c).count() as u32,
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    CampaignTally {
        reporting: ReportingCounts::of(rows.iter().map(|r| r.standing)),
        screenings: counted.len() as u32,
        severe: counted.iter().filter(|s| s.is_severe()).count() as u32,
        people_involved: counted.iter().map(|s| s.people_involved).sum(),
        by_category,
        villages: rows,
    }
}
