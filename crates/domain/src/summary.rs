//! The hub's daily roll-up of a village's screenings, the only screening data
//! of ordinary risk the county receives. Complete for its day: every
//! category × risk cell is present, zeros included, so a later revision can
//! lower a figure and the county never keeps a stale number.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::code::{Code, Level};
use crate::error::FieldError;
use crate::labels::Labelled;
use crate::record::{Category, RiskLevel, Screening};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CellCount {
    pub category: Category,
    pub risk: RiskLevel,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DailySummary {
    pub village: Code,
    /// The CST date the screenings were made (`screened_on`).
    pub date: NaiveDate,
    /// Every category × risk pair, in declaration order.
    pub cells: Vec<CellCount>,
    /// How many screenings this summary covers.
    pub records: u32,
    pub mass_incident_risk: u32,
    /// Increases with each recomputation; the highest revision wins.
    pub revision: u32,
}

/// Names summaries so that every revision of one village-day is one entity.
const SUMMARY_NAMESPACE: Uuid = Uuid::from_u128(0x5a4e6a69_0001_4000_8000_000000000001);

impl DailySummary {
    pub fn entity_id(village: &Code, date: NaiveDate) -> Uuid {
        Uuid::new_v5(
            &SUMMARY_NAMESPACE,
            format!("screening-summary/{village}/{date}").as_bytes(),
        )
    }

    /// Counts `screenings` of one village and day into a complete summary.
    pub fn compute<'a>(
        village: &Code,
        date: NaiveDate,
        screenings: impl IntoIterator<Item = &'a Screening>,
        revision: u32,
    ) -> DailySummary {
        let mut cells: Vec<CellCount> = Category::ALL
            .iter()
            .flat_map(|&category| {
                RiskLevel::ALL.iter().map(move |&risk| CellCount {
                    category,
                    risk,
                    count: 0,
                })
            })
            .collect();
        let (mut records, mut mass) = (0, 0);
        for s in screenings {
            debug_assert!(s.village == *village && s.screened_on == date);
            records += 1;
            mass += u32::from(s.mass_incident_risk);
            if let Some(cell) = cells
                .iter_mut()
                .find(|c| c.category == s.category && c.risk == s.risk)
            {
                cell.count += 1;
            }
        }
        DailySummary {
            village: village.clone(),
            date,
            cells,
            records,
            mass_incident_risk: mass,
            revision,
        }
    }

    pub fn count(&self, category: Category, risk: RiskLevel) -> u32 {
        self.cells
            .iter()
            .find(|c| c.category == category && c.risk == risk)
            .map_or(0, |c| c.count)
    }

    pub fn count_by_risk(&self, risk: RiskLevel) -> u32 {
        self.cells
            .iter()
            .filter(|c| c.risk == risk)
            .map(|c| c.count)
            .sum()
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        Code::parse_level("village", self.village.as_str(), Level::Village)?;
        let expected = Category::ALL.len() * RiskLevel::ALL.len();
        if self.cells.len() != expected {
            return Err(FieldError::new(
                "cells",
                format!(
                    "须列出全部 {expected} 个类别×风险格(含 0),而不是 {}",
                    self.cells.len()
                ),
            ));
        }
        for (i, (c, want)) in self
            .cells
            .iter()
            .zip(
                Category::ALL
                    .iter()
                    .flat_map(|&cat| RiskLevel::ALL.iter().map(move |&r| (cat, r))),
            )
            .enumerate()
        {
            if (c.category, c.risk) != want {
                return Err(FieldError::new(
                    format!("cells[{i}]"),
                    "类别×风险格的顺序不对",
                ));
            }
        }
        // Summed wide: untrusted counts must not overflow into agreeing with `records`.
        let total: u64 = self.cells.iter().map(|c| u64::from(c.count)).sum();
        if total != u64::from(self.records) {
            return Err(FieldError::new(
                "records",
                format!("合计 {} 与各格之和 {total} 不符", self.records),
            ));
        }
        if self.mass_incident_risk > self.records {
            return Err(FieldError::new(
                "mass_incident_risk",
                "群体性风险数不能多于记录数",
            ));
        }
        Ok(())
    }
}
