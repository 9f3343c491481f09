//! The township's numbered books. The 受理事项总登记簿 is one serial
//! register of everything a township received — visits (来访、来信、来电) and
//! cases — numbered in the order the township received them; the 交办、督办、
//! 销案通知书 are numbered as the center issues them, and each case gets its
//! 一案一档 archive number when it is first archived. The numbers are the
//! township's own ledger entries (`register_numbered`), each given once and
//! never again: a record that reaches the hub late from an offline village
//! takes the next number, so the numbers on a printed register, a notice or
//! an archive folder never change.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::code::Code;
use crate::error::FieldError;
use crate::labels::{Labelled, labelled_enum};

labelled_enum! {
    /// Which of the township's numbered books a number is in.
    #[derive(Default)]
    Book {
        /// Visits and cases received (受理事项总登记簿): records are their entity ids.
        #[default]
        Received = "received", "受理事项总登记簿";
        /// 交办通知书: records are the ids of the assigning steps' events.
        Dispatch = "dispatch", "交办通知书";
        /// 督办通知书: the ids of the township's supervising steps' events.
        Supervision = "supervision", "督办通知书";
        /// 销案通知书: the ids of the archiving steps' events.
        Closing = "closing", "销案通知书";
        /// 一案一档 archive numbers: records are the cases' entity ids.
        Archive = "archive", "一案一档档案号";
    }
}

impl Book {
    /// The register was the first book: its numbers carry no `book` field,
    /// so they encode (and hash) as they did before there were others.
    pub fn is_received(&self) -> bool {
        *self == Book::Received
    }

    /// How a number of this book is printed: `2026-0007` in the register,
    /// `交〔2026〕7号` on a notice, `档〔2026〕7号` on an archive folder.
    pub fn serial_label(self, year: i32, serial: u32) -> String {
        let prefix = match self {
            Book::Received => return serial_label(year, serial),
            Book::Dispatch => "交",
            Book::Supervision => "督",
            Book::Closing => "销",
            Book::Archive => "档",
        };
        format!("{prefix}〔{year}〕{serial}号")
    }
}

/// Names a township's register of one year: every numbering of that year
/// folds into one entity.
const REGISTER_NAMESPACE: Uuid = Uuid::from_u128(0x5a4e6a69_0003_4000_8000_000000000003);

/// At most this many records are numbered by one entry.
pub const MAX_NUMBERED_AT_ONCE: usize = 5_000;

/// Numbers given to records the township received in `year`: `records[0]`
/// gets `first`, the next `first + 1`, and so on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterNumbers {
    pub township: Code,
    pub year: i32,
    #[serde(default, skip_serializing_if = "Book::is_received")]
    pub book: Book,
    pub first: u32,
    pub records: Vec<Uuid>,
}

impl RegisterNumbers {
    /// One entity per township, year and book.
    pub fn entity_id(township: &Code, year: i32, book: Book) -> Uuid {
        let name = match book {
            Book::Received => format!("{township}/{year}"),
            other => format!("{township}/{year}/{}", other.id()),
        };
        Uuid::new_v5(&REGISTER_NAMESPACE, name.as_bytes())
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RegisterBook {
    pub township: Code,
    pub year: i32,
    #[serde(default)]
    pub book: Book,
    pub records: Vec<Uuid>,
}

impl RegisterBook {
    /// The book with `numbers` added, when they continue it: the next number,
    /// and no record numbered twice. Otherwise why not, in words.
    pub fn continued(mut self, numbers: &RegisterNumbers) -> Result<RegisterBook, String> {
        if numbers.book != self.book {
            return Err(format!(
                "{}的编号不能记入{}",
                numbers.book.label(),
                self.book.label()
            ));
        }
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

    /// An empty book, before its first number.
    pub fn empty(township: Code, year: i32, book: Book) -> RegisterBook {
        RegisterBook {
            township,
            year,
            book,
            records: Vec::new(),
        }
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
