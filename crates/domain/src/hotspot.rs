//! The 社会治安重点地区及突出问题排查整治登记簿: each quarter the township
//! screens its public-order hotspots (a market, a school's surroundings, a
//! construction site) and the problems standing out there; each entry names
//! the area, the problem, the measures, the unit and person responsible, the
//! deadline for rectification and, in the end, the result. The township
//! records an entry and updates it as the work goes on; the latest recording
//! stands, the first says who found it and when.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::code::{Code, Level};
use crate::error::FieldError;
use crate::labels::labelled_enum;
use crate::record::{date, name, text};
use crate::report::{Period, Span};

labelled_enum! {
    /// Where the rectification stands, as the township records it.
    RectifyStatus {
        Rectifying = "rectifying", "整治中";
        Rectified = "rectified", "已整改";
    }
}

labelled_enum! {
    /// Where an entry stands on a day: 逾期 once its deadline passed unrectified.
    HotspotStanding {
        Rectifying = "rectifying", "整治中";
        Overdue = "overdue", "逾期未整改";
        Rectified = "rectified", "已整改";
    }
}

/// One entry of the 重点地区排查整治登记簿 (payload of `hotspot_recorded`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hotspot {
    /// The day the screening found it: its quarter is the entry's.
    pub found_on: NaiveDate,
    /// 重点地区: the area as people name it (集镇农贸市场周边).
    pub area: String,
    /// The village it lies in, if it lies in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<Code>,
    /// 突出问题.
    pub problem: String,
    /// 整治措施.
    pub measures: String,
    /// 责任单位, from the directory.
    pub unit: String,
    /// 责任人.
    pub person: String,
    /// 整改时限.
    pub deadline: NaiveDate,
    pub status: RectifyStatus,
    /// 整治结果: what was done, required once rectified.
    #[serde(default)]
    pub result: String,
}

impl Hotspot {
    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldError> {
        date("found_on", self.found_on, today)?;
        text("area", &self.area, 1)?;
        if let Some(village) = &self.village
            && village.level() != Level::Village
        {
            return Err(FieldError::new("village", "须为 12 位村代码"));
        }
        text("problem", &self.problem, 1)?;
        text("measures", &self.measures, 1)?;
        name("unit", &self.unit)?;
        name("person", &self.person)?;
        if self.deadline < self.found_on {
            return Err(FieldError::new(
                "deadline",
                format!(
                    "整改时限 {} 早于排查日期 {},请核对",
                    self.deadline, self.found_on
                ),
            ));
        }
        let needed = usize::from(self.status == RectifyStatus::Rectified);
        text("result", &self.result, needed).map_err(|e| {
            if needed == 1 && self.result.trim().is_empty() {
                FieldError::new("result", "已整改的请填写「整治结果」")
            } else {
                e
            }
        })
    }

    /// The quarter whose round found it.
    pub fn quarter(&self) -> Period {
        Period::Quarter {
            year: 2000,
            quarter: 1,
        }
        .same_kind_at(self.found_on)
    }

    pub fn standing(&self, today: NaiveDate) -> HotspotStanding {
        match self.status {
            RectifyStatus::Rectified => HotspotStanding::Rectified,
            RectifyStatus::Rectifying if today > self.deadline => HotspotStanding::Overdue,
            RectifyStatus::Rectifying => HotspotStanding::Rectifying,
        }
    }

    /// Whether the ledger of `quarter` lists it: found in that quarter, or
    /// found before and still not rectified when that quarter began (结转).
    pub fn listed_in(&self, quarter: &Period, rectified_on: Option<NaiveDate>) -> bool {
        let (first, last) = (quarter.first_day(), quarter.last_day());
        if self.found_on > last {
            return false;
        }
        self.found_on >= first || rectified_on.is_none_or(|on| on >= first)
    }
}
