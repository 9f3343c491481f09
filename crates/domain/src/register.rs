//! The 受理事项总登记簿: one serial register of everything a township
//! received — visits (来访、来信、来电) and cases — numbered in the order the
//! township received them. The numbers are the township's own ledger
//! entries (`register_numbered`), each given once and never again: a record
//! that reaches the hub late from an offline village takes the next number,
//! so the numbers on a printed register, or quoted on a notice, never change.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::code::Code;
use crate::error::FieldError;

/// Names a township's register of one year: every numbering of that year
/// folds into one entity.
const REGISTER_NAMESPACE: Uuid = Uuid::from_u128(0x5a4e6a69_0003_4000_8000_000000000003);

/// At most this many records are numbered by one entry.
pub const MAX_NUMBERED_AT_ONCE: usize = 5_000;

/// Numbers given to records the township received in `year`: `records[0]`
/// gets `first`, the next `first + 1`, and so on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterNumbers {
    pub township: Code,
    pub year: i32,
    pub first: u32,
    pub records: Vec<Uuid>,
}

impl RegisterNumbers {
    pub fn entity_id(township: &Code, year: i32) -> Uuid {
        Uuid::new_v5(&REGISTER_NAMESPACE, format!("{township}/{year}").as_bytes())
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        if self.first == 0 {
            return Err(FieldError::new("first", "登记编号从 1 开始"));
        }
        if self.records.is_empty() || self.records.len() > MAX_NUMBERED_AT_ONCE {
            return Err(FieldError::new(
                "records",
                format!("一次编号 1 至 {MAX_NUMBERED_AT_ONCE} 条记录"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = self.records.iter().find(|id| !seen.insert(**id)) {
            return Err(FieldError::new(
                "records",
                format!("记录 {twice} 在同一次编号中出现两次"),
            ));
        }
        Ok(())
    }
}

/// A township's register of one year, as folded: the record at index `i`
/// holds number `i + 1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterBook {
    pub township: Code,
    pub year: i32,
    pub records: Vec<Uuid>,
}

impl RegisterBook {
    /// The book with `numbers` added, when they continue it: the next number,
    /// and no record numbered twice. Otherwise why not, in words.
    pub fn continued(mut self, numbers: &RegisterNumbers) -> Result<RegisterBook, String> {
        let next = self.records.len() as u32 + 1;
        if numbers.first != next {
            return Err(format!(
                "登记编号应从第 {next} 号接续,而这次编号从第 {} 号开始",
                numbers.first
            ));
        }
        if let Some(again) = numbers.records.iter().find(|id| self.records.contains(id)) {
            return Err(format!("记录 {again} 已有登记编号"));
        }
        self.records.extend(numbers.records.iter().copied());
        Ok(self)
    }

    pub fn serial_of(&self, record: Uuid) -> Option<u32> {
        self.records
            .iter()
            .position(|r| *r == record)
            .map(|i| i as u32 + 1)
    }
}

/// `2026-0007`, as the register and the notices print a number.
pub fn serial_label(year: i32, serial: u32) -> String {
    format!("{year}-{serial:04}")
}
