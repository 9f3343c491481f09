//! The directory of names (名录): a hub's villages (12-digit code and name,
//! 360123100201 东山村) and member units (司法所、派出所 …), the county's
//! townships. Kept in the node's own store as bookkeeping, edited by the
//! director (at a hub), the county office (at the county) or the
//! administrator, and read wherever a person sees a code: pages show the
//! name, and what people send cases to is checked against it.
//!
//! An entry is never deleted, only taken out of use (停用): old cases still
//! name the village or unit they went to, and its name still shows.

use sanji_domain::case::Assignee;
use sanji_domain::{Code, FieldError, Level};
use sanji_store::Store;
use serde::{Deserialize, Serialize};

use crate::NodeError;

const DIRECTORY: &str = "directory";

/// A named division: a village of the hub, a township of the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub code: Code,
    pub name: String,
}

impl Place {
    /// `东山村(360123100201)`: the name first, the code where it helps.
    pub fn label(&self) -> String {
        format!("{}({})", self.name, self.code)
    }
}

/// One entry as stored: its name, whether it may be chosen now, and who
/// last changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub in_use: bool,
    pub by: String,
    pub at_ms: u64,
}

/// The whole directory of a node, in code (or name) order. The lists hold
/// the entries in use; `retired` those taken out of use, for their names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub villages: Vec<Place>,
    pub units: Vec<String>,
    pub townships: Vec<Place>,
    #[serde(default)]
    pub retired: Vec<Place>,
    #[serde(default)]
    pub retired_units: Vec<String>,
}

impl Listing {
    /// The name the directory gives `code` (in use or retired).
    pub fn name_of(&self, code: &Code) -> Option<&str> {
        self.villages
            .iter()
            .chain(&self.townships)
            .chain(&self.retired)
            .find(|p| &p.code == code)
            .map(|p| p.name.as_str())
    }

    /// `东山村(360123100201)` when the directory names the code, else the code.
    pub fn place_label(&self, code: &Code) -> String {
        match self.name_of(code) {
            Some(name) => format!("{name}({code})"),
            None => code.to_string(),
        }
    }

    /// Who works a case, by name: a unit as it is, a village by its name.
    pub fn assignee_label(&self, assignee: &Assignee) -> String {
        match assignee {
            Assignee::Unit { name } => name.clone(),
            Assignee::Village { code } => match self.name_of(code) {
                // 东山村 → 东山村工作站; a name without 村 gets it added.
                Some(name) if name.ends_with('村') => format!("{name}工作站({code})"),
                Some(name) => format!("{name}村工作站({code})"),
                None => assignee.label(),
            },
        }
    }

    /// An assignee as a case list row carries it (its label, and its
    /// village if it is one), by name.
    pub fn assignee_row_label(&self, label: Option<&str>, village: Option<&Code>) -> String {
        match village {
            Some(code) => self.assignee_label(&Assignee::Village { code: code.clone() }),
            None => label.unwrap_or_default().to_owned(),
        }
    }

    /// Refuses an assignment to a village or unit this hub's directory does
    /// not hold in use, naming the input and what may be chosen instead.
    pub fn check_assignee(&self, assignee: &Assignee) -> Result<(), NodeError> {
        if self.villages.is_empty() && self.units.is_empty() {
            return Err(NodeError::Refused(
                "本镇名录中还没有登记村和成员单位,无法分流;请中心主任先在「名录」中登记".into(),
            ));
        }
        let (unit, village) = match assignee {
            Assignee::Unit { name } => (Some(name.trim()), None),
            Assignee::Village { code } => (None, Some(code)),
        };
        if let Some(code) = village
            && !self.villages.iter().any(|p| &p.code == code)
        {
            let why = if self.retired.iter().any(|p| &p.code == code) {
                format!("{} 已在本镇名录中停用", self.place_label(code))
            } else {
                format!("村代码 {code} 不在本镇名录中")
            };
            return Err(FieldError::new(
                "village",
                format!("{why};可分流的村:{}", choices(&self.villages)),
            )
            .into());
        }
        match unit {
            Some(unit) => self.check_unit(unit, "可分流的成员单位"),
            None => Ok(()),
        }
    }

    /// Refuses a member unit this hub's directory does not hold in use,
    /// naming it and the units that may be chosen (`choosing` says for what).
    pub fn check_unit(&self, unit: &str, choosing: &str) -> Result<(), NodeError> {
        let unit = unit.trim();
        if self.units.iter().any(|u| u == unit) {
            return Ok(());
        }
        Err(FieldError::new(
            "unit",
            format!(
                "成员单位「{unit}」不在本镇名录中;{choosing}:{}",
                if self.units.is_empty() {
                    "(尚未登记,请中心主任先在「名录」中登记)".to_owned()
                } else {
                    self.units.join("、")
                }
            ),
        )
        .into())
    }

    /// Refuses a unit made responsible for something (a meeting's
    /// responsibility, a screening's 稳控) that is neither a member unit nor
    /// a village of the directory.
    pub fn check_responsible(&self, unit: &str) -> Result<(), NodeError> {
        if self.villages.iter().any(|v| v.name == unit.trim()) {
            return Ok(());
        }
        self.check_unit(unit, "可落实责任的成员单位(或本镇名录中的村名)")
    }

    /// Refuses a hand-down to a township the county's directory does not
    /// hold in use.
    pub fn check_township(&self, township: &Code) -> Result<(), NodeError> {
        if self.townships.is_empty() {
            return Err(NodeError::Refused(
                "本县名录中还没有登记乡镇,无法交办;请先在「名录」中登记本县的乡镇".into(),
            ));
        }
        if !self.townships.iter().any(|p| &p.code == township) {
            return Err(FieldError::new(
                "township",
                format!(
                    "乡镇代码 {township} 不在本县名录中;可交办的乡镇:{}",
                    choices(&self.townships)
                ),
            )
            .into());
        }
        Ok(())
    }
}

/// The order a list of Chinese names is read in: by pinyin, syllable by
/// syllable (法庭 fa-ting, 劳动保障所 lao-…, 派出所 pai-…, 司法所 si-…); a
/// character without pinyin (a letter, a digit) stands for itself.
pub fn pinyin_order(name: &str) -> Vec<String> {
    use pinyin::ToPinyin;
    name.chars()
        .map(|c| match c.to_pinyin() {
            Some(p) => p.plain().to_owned(),
            None => c.to_string(),
        })
        .collect()
}

fn choices(places: &[Place]) -> String {
    if places.is_empty() {
        return "(尚未登记)".to_owned();
    }
    places
        .iter()
        .map(Place::label)
        .collect::<Vec<_>>()
        .join("、")
}

/// A change to the directory, as a person asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DirectoryEdit {
    /// Adds a village of this hub, renames it, or puts it back in use.
    Village { code: String, name: String },
    /// Adds a member unit of this hub, or puts it back in use.
    Unit { name: String },
    /// Adds a township of this county, renames it, or puts it back in use.
    Township { code: String, name: String },
    /// Takes a village or township out of use.
    RetirePlace { code: String },
    /// Takes a member unit out of use.
    RetireUnit { name: String },
}

/// The directory of one node.
#[derive(Clone)]
pub struct Directory {
    store: Store,
}

fn place_key(code: &Code) -> String {
    format!("place/{code}")
}

fn unit_key(name: &str) -> String {
    format!("unit/{name}")
}

fn read_entry(key: &str, bytes: &[u8]) -> Result<Entry, NodeError> {
    serde_json::from_slice(bytes)
        .map_err(|e| NodeError::Internal(format!("名录条目 {key} 无法读取:{e}")))
}

impl Directory {
    pub fn new(store: Store) -> Directory {
        Directory { store }
    }

    fn node(&self) -> &Code {
        self.store.node()
    }

    pub fn listing(&self) -> Result<Listing, NodeError> {
        let mut listing = Listing::default();
        for (key, bytes) in self.store.meta_scan(DIRECTORY)? {
            let entry = read_entry(&key, &bytes)?;
            if let Some(name) = key.strip_prefix("unit/") {
                let list = if entry.in_use {
                    &mut listing.units
                } else {
                    &mut listing.retired_units
                };
                list.push(name.to_owned());
            } else if let Some(Ok(code)) = key.strip_prefix("place/").map(Code::parse) {
                let list = match (entry.in_use, code.level()) {
                    (false, _) => &mut listing.retired,
                    (true, Level::Township) => &mut listing.townships,
                    (true, _) => &mut listing.villages,
                };
                list.push(Place {
                    code,
                    name: entry.name,
                });
            }
        }
        for units in [&mut listing.units, &mut listing.retired_units] {
            units.sort_by_cached_key(|name| pinyin_order(name));
        }
        Ok(listing)
    }

    /// Makes one change, as `by` (a person's label, or the administrator).
    pub fn edit(&self, edit: DirectoryEdit, now_ms: u64, by: &str) -> Result<Listing, NodeError> {
        let (key, name, in_use) = match edit {
            DirectoryEdit::Village { code, name } => {
                let code = self.own_division(&code, Level::Village)?;
                (place_key(&code), self.unique_name(&code, &name)?, true)
            }
            DirectoryEdit::Township { code, name } => {
                let code = self.own_division(&code, Level::Township)?;
                (place_key(&code), self.unique_name(&code, &name)?, true)
            }
            DirectoryEdit::Unit { name } => {
                if self.node().level() != Level::Township {
                    return Err(NodeError::Refused("成员单位只在镇中心的名录中登记".into()));
                }
                let name = name.trim().to_owned();
                sanji_domain::record::name("name", &name)?;
                (unit_key(&name), name, true)
            }
            DirectoryEdit::RetirePlace { code } => {
                let code =
                    Code::parse(code.trim()).map_err(|e| FieldError::new("code", e.to_string()))?;
                let key = place_key(&code);
                let entry = self
                    .entry(&key)?
                    .ok_or_else(|| NodeError::NotFound(format!("名录中的 {code}")))?;
                (key, entry.name, false)
            }
            DirectoryEdit::RetireUnit { name } => {
                let key = unit_key(name.trim());
                let entry = self.entry(&key)?.ok_or_else(|| {
                    NodeError::NotFound(format!("名录中的成员单位「{}」", name.trim()))
                })?;
                (key, entry.name, false)
            }
        };
        let entry = Entry {
            name,
            in_use,
            by: by.to_owned(),
            at_ms: now_ms,
        };
        let bytes = serde_json::to_vec(&entry).expect("directory entries serialise");
        self.store.meta_put(DIRECTORY, &key, &bytes)?;
        tracing::info!(key, in_use, by, "名录已修改");
        self.listing()
    }

    fn entry(&self, key: &str) -> Result<Option<Entry>, NodeError> {
        self.store
            .meta_get(DIRECTORY, key)?
            .map(|bytes| read_entry(key, &bytes))
            .transpose()
    }

    /// A village of this hub, or a township of this county, from its code.
    fn own_division(&self, text: &str, level: Level) -> Result<Code, NodeError> {
        let node = self.node();
        let (what, parent_level) = match level {
            Level::Village => ("村", Level::Township),
            _ => ("乡镇", Level::County),
        };
        if node.level() != parent_level {
            return Err(NodeError::Refused(match level {
                Level::Village => "村只在镇中心的名录中登记".into(),
                _ => "乡镇只在县综治办的名录中登记".into(),
            }));
        }
        let code = Code::parse_level("code", text.trim(), level)?;
        if !code.is_child_of(node) {
            return Err(FieldError::new(
                "code",
                format!("{code} 不是 {node} 下辖的{what}(代码须以 {node} 开头)"),
            )
            .into());
        }
        Ok(code)
    }

    /// Two places of one directory never share a name: people choose by it.
    fn unique_name(&self, code: &Code, name: &str) -> Result<String, NodeError> {
        let name = name.trim().to_owned();
        sanji_domain::record::name("name", &name)?;
        let listing = self.listing()?;
        if let Some(other) = listing
            .villages
            .iter()
            .chain(&listing.townships)
            .find(|p| p.name == name && &p.code != code)
        {
            return Err(FieldError::new(
                "name",
                format!("名称「{name}」已是 {} 的名称,请换一个", other.code),
            )
            .into());
        }
        Ok(name)
    }
}
