//! Administrative division codes (统计用区划代码): the names of every node.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The tier a code names, read off its length.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 县: 6 digits.
    County,
    /// 乡镇: 9 digits.
    Township,
    /// 村: 12 digits.
    Village,
}

impl Level {
    pub fn digits(self) -> usize {
        match self {
            Level::County => 6,
            Level::Township => 9,
            Level::Village => 12,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::County => "县",
            Level::Township => "乡镇",
            Level::Village => "村",
        }
    }
}

/// A checked administrative division code: 6, 9 or 12 ASCII digits whose
/// every segment is non-zero, so `360123000` (a township part of zeros) is refused.
#[derive(
    Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

impl Code {
    pub fn parse(text: &str) -> Result<Code, CodeError> {
        let level = match text.len() {
            6 => Level::County,
            9 => Level::Township,
            12 => Level::Village,
            n => {
                return Err(CodeError::Length {
                    text: text.into(),
                    len: n,
                });
            }
        };
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits { text: text.into() });
        }
        if &text[0..2] == "00" || &text[2..6] == "0000" {
            return Err(CodeError::ZeroSegment {
                text: text.into(),
                segment: "县",
            });
        }
        if level >= Level::Township && &text[6..9] == "000" {
            return Err(CodeError::ZeroSegment {
                text: text.into(),
                segment: "乡镇",
            });
        }
        if level == Level::Village && &text[9..12] == "000" {
            return Err(CodeError::ZeroSegment {
                text: text.into(),
                segment: "村",
            });
        }
        Ok(Code(text.to_owned()))
    }

    /// Parses and insists on one tier, naming `field` in the error.
    pub fn parse_level(field: &str, text: &str, level: Level) -> Result<Code, FieldError> {
        let code = Code::parse(text).map_err(|e| FieldError::new(field, e.to_string()))?;
        if code.level() != level {
            return Err(FieldError::new(
                field,
                format!(
                    "须为{}级代码({} 位数字),而 {text} 是{}级代码",
                    level.label(),
                    level.digits(),
                    code.level().label()
                ),
            ));
        }
        Ok(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        match self.0.len() {
            6 => Level::County,
            9 => Level::Township,
            _ => Level::Village,
        }
    }

    /// The code one tier up, or `None` for a county.
    pub fn parent(&self) -> Option<Code> {
        match self.level() {
            Level::County => None,
            Level::Township => Some(Code(self.0[..6].to_owned())),
            Level::Village => Some(Code(self.0[..9].to_owned())),
        }
    }

    /// True when `self` lies strictly below `ancestor` (by prefix).
    pub fn is_under(&self, ancestor: &Code) -> bool {
        self.0.len() > ancestor.0.len() && self.0.starts_with(&ancestor.0)
    }

    /// True when `self` is exactly one tier below `parent`.
    pub fn is_child_of(&self, parent: &Code) -> bool {
        self.parent().as_ref() == Some(parent)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({})", self.0)
    }
}

impl FromStr for Code {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::parse(s)
    }
}

impl TryFrom<String> for Code {
    type Error = CodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Code::parse(&value)
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("区划代码 {text:?} 有 {len} 位;须为 6 位(县)、9 位(乡镇)或 12 位(村)")]
    Length { text: String, len: usize },
    #[error("区划代码 {text:?} 只能由数字组成")]
    NotDigits { text: String },
    #[error("区划代码 {text:?} 的{segment}段全为 0,不是有效代码")]
    ZeroSegment { text: String, segment: &'static str },
    #[error("{text:?}:只有乡镇(9 位代码)才有上报县级的出站台账")]
    OutboxNotTownship { text: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_parents_follow_the_prefix() {
        let village = Code::parse("360123100201").unwrap();
        assert_eq!(village.level(), Level::Village);
        let township = village.parent().unwrap();
        assert_eq!(township.as_str(), "360123100");
        assert_eq!(township.parent().unwrap().as_str(), "360123");
        assert_eq!(township.parent().unwrap().parent(), None);
        assert!(village.is_child_of(&township));
        assert!(village.is_under(&township.parent().unwrap()));
        assert!(!village.is_child_of(&township.parent().unwrap()));
        assert!(!township.is_under(&township));
        let other = Code::parse("360123101").unwrap();
        assert!(!village.is_under(&other));
    }

    #[test]
    fn bad_codes_are_refused_with_the_reason() {
        for (text, needle) in [
            ("36012", "5 位"),
            ("3601231002011", "13 位"),
            ("", "0 位"),
            ("36012310020a", "只能由数字"),
            ("360123 00201", "只能由数字"),
            ("000000", "县段"),
            ("360000", "县段"),
            ("360123000", "乡镇段"),
            ("360123100000", "村段"),
        ] {
            let err = Code::parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn level_is_enforced_per_field() {
        let err = Code::parse_level("village", "360123100", Level::Village).unwrap_err();
        assert_eq!(err.field, "village");
        assert!(err.rule.contains("村级"), "{}", err.rule);
        assert!(Code::parse_level("village", "360123100201", Level::Village).is_ok());
    }

    #[test]
    fn serde_checks_codes() {
        let ok: Code = serde_json::from_str("\"360123\"").unwrap();
        assert_eq!(ok.as_str(), "360123");
        assert!(serde_json::from_str::<Code>("\"36012\"").is_err());
    }
}
