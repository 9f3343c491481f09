//! Closed vocabularies of the ledgers: an English identifier for JSON and
//! flags, a Chinese label for people. Either form parses.

use crate::error::FieldError;

/// A closed set of values with an identifier and a Chinese label each.
pub trait Labelled: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn id(self) -> &'static str;
    fn label(self) -> &'static str;

    /// Parses an identifier or a label; the error lists every allowed value.
    fn parse_for(field: &str, text: &str) -> Result<Self, FieldError> {
        let text = text.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.id() == text || v.label() == text)
            .ok_or_else(|| {
                let allowed: Vec<String> = Self::ALL
                    .iter()
                    .map(|v| format!("{}({})", v.id(), v.label()))
                    .collect();
                FieldError::new(
                    field,
                    format!("未知取值 {text:?};可选:{}", allowed.join("、")),
                )
            })
    }
}

macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $id:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $id)] $variant,)+
        }

        impl $crate::labels::Labelled for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn id(self) -> &'static str {
                match self { $($name::$variant => $id,)+ }
            }
            fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::labels::Labelled::label(*self))
            }
        }
    };
}

pub(crate) use labelled_enum;
