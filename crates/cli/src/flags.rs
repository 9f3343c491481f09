//! Bad input told as the flag the user typed. The domain names the fields
//! of a record (`screened_on`, `parties[1].name`, `payload.data.place`);
//! a clerk typed `--date`, the second `--party`, `--place`. Each command
//! that builds a record has one table from its fields to its flags.

use sanji_domain::FieldError;
use sanji_node::NodeError;

/// A record's field paths (the first segment, or a whole dotted path) and the flag each comes from.
pub struct Flags(pub &'static [(&'static str, &'static str)]);

pub const SCREENING: Flags = Flags(&[
    ("screened_on", "--date"),
    ("date", "--date"),
    ("screener", "--screener"),
    ("category", "--category"),
    ("parties", "--party"),
    ("people_involved", "--people"),
    ("people", "--people"),
    ("risk", "--risk"),
    ("description", "--description"),
    ("measures", "--measures"),
    ("author", "--by"),
    ("village", "--village"),
    ("line", "--line"),
]);

pub const ZERO_REPORT: Flags = Flags(&[
    ("round_on", "--date"),
    ("date", "--date"),
    ("screener", "--screener"),
    ("note", "--note"),
    ("author", "--by"),
]);

pub const VISIT: Flags = Flags(&[
    ("visited_on", "--date"),
    ("date", "--date"),
    ("channel", "--channel"),
    ("visitor.name", "--visitor"),
    ("visitor.contact", "--contact"),
    ("visitor", "--visitor"),
    ("people_count", "--people"),
    ("people", "--people"),
    ("category", "--category"),
    ("summary", "--summary"),
    ("receiver", "--receiver"),
    ("answer", "--answer"),
    ("author", "--by"),
]);

pub const STATION_CASE: Flags = Flags(&[
    ("registered_on", "--date"),
    ("date", "--date"),
    ("source", "--source"),
    ("category", "--category"),
    ("parties", "--party"),
    ("people_involved", "--people"),
    ("people", "--people"),
    ("claim", "--claim"),
    ("first_receiver", "--first-receiver"),
    ("first_unit", "--first-unit"),
    ("author", "--by"),
]);

pub const HUB_CASE: Flags = Flags(&[
    ("place", "--place"),
    ("registered_on", "--date"),
    ("date", "--date"),
    ("source", "--source"),
    ("category", "--category"),
    ("parties", "--party"),
    ("people_involved", "--people"),
    ("people", "--people"),
    ("claim", "--claim"),
    ("first_unit", "--first-unit"),
]);

pub const INCIDENT: Flags = Flags(&[
    ("kind", "--kind"),
    ("place", "--place"),
    ("occurred_on", "--date"),
    ("date", "--date"),
    ("parties", "--party"),
    ("people_involved", "--people"),
    ("people", "--people"),
    ("cause", "--cause"),
    ("handling", "--handling"),
    ("cases", "--case"),
    ("screenings", "--screening"),
]);

pub const MEETING: Flags = Flags(&[
    ("kind", "--kind"),
    ("held_on", "--date"),
    ("date", "--date"),
    ("chair", "--chair"),
    ("attendees", "--attendee"),
    ("decisions", "--decisions"),
    ("screenings", "--screening"),
    ("cases", "--case"),
    ("responsibilities", "--duty"),
    ("duties", "--duty"),
]);

pub const CAMPAIGN: Flags = Flags(&[
    ("topic", "--topic"),
    ("from", "--from"),
    ("to", "--to"),
    ("categories", "--category"),
    ("note", "--note"),
]);

pub const HOTSPOT: Flags = Flags(&[
    ("found_on", "--date"),
    ("area", "--area"),
    ("village", "--village"),
    ("problem", "--problem"),
    ("measures", "--measures"),
    ("unit", "--unit"),
    ("person", "--person"),
    ("deadline", "--until"),
    ("status", "--status"),
    ("result", "--result"),
]);

pub const CONTROL: Flags = Flags(&[
    ("unit", "--unit"),
    ("person", "--person"),
    ("measures", "--measures"),
    ("time_limit", "--until"),
    ("status", "--status"),
    ("note", "--note"),
]);

pub const HAND_DOWN: Flags = Flags(&[
    ("township", "--township"),
    ("place", "--place"),
    ("category", "--category"),
    ("parties", "--party"),
    ("people_involved", "--people"),
    ("people", "--people"),
    ("claim", "--claim"),
    ("first_receiver", "--receiver"),
    ("note", "--note"),
    ("deadline", "--deadline"),
]);

pub const MONTH: Flags = Flags(&[("month", "--month")]);
pub const PERIOD: Flags = Flags(&[("period", "--period")]);

impl Flags {
    /// Runs what builds and stores a record, its bad fields told as flags.
    pub fn on<T>(&self, build: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
        build().map_err(|e| self.explain(e))
    }

    /// `err` with a bad field told as its flag; any other error unchanged.
    pub fn explain(&self, err: anyhow::Error) -> anyhow::Error {
        let field = match err.downcast_ref::<FieldError>() {
            Some(f) => f.clone(),
            None => match err.downcast_ref::<NodeError>() {
                Some(NodeError::Invalid(f)) => f.clone(),
                _ => return err,
            },
        };
        anyhow::anyhow!(self.message(&field))
    }

    /// [`Flags::on`] for work that waits on a server.
    pub async fn on_async<T>(
        &self,
        build: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        build.await.map_err(|e| self.explain(e))
    }

    fn message(&self, error: &FieldError) -> String {
        if error.field.is_empty() {
            return error.rule.clone();
        }
        let path = error
            .field
            .strip_prefix("payload.data.")
            .unwrap_or(&error.field);
        match self.flag(path) {
            Some(flag) => format!("{flag}:{}", error.rule),
            None => error.to_string(),
        }
    }

    /// `--party` for `parties`, `第 2 个 --party` for `parties[1].name`.
    fn flag(&self, path: &str) -> Option<String> {
        if let Some((_, flag)) = self.0.iter().find(|(field, _)| *field == path) {
            return Some((*flag).to_owned());
        }
        let head_end = path.find(['.', '[']).unwrap_or(path.len());
        let (head, rest) = path.split_at(head_end);
        let (_, flag) = self.0.iter().find(|(field, _)| *field == head)?;
        let index = rest
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .and_then(|(n, _)| n.parse::<usize>().ok());
        Some(match index {
            Some(i) => format!("第 {} 个 {flag}", i + 1),
            None => (*flag).to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_told_as_the_flags_typed() {
        let cases = [
            (&SCREENING, "screened_on", "--date:r"),
            (&SCREENING, "payload.data.people_involved", "--people:r"),
            (&SCREENING, "parties[1].name", "第 2 个 --party:r"),
            (&VISIT, "visitor.contact", "--contact:r"),
            (&HUB_CASE, "payload.data.place", "--place:r"),
            (&SCREENING, "entity", "字段 entity: r"),
        ];
        for (flags, field, want) in cases {
            assert_eq!(flags.message(&FieldError::new(field, "r")), want, "{field}");
        }
        assert_eq!(HUB_CASE.message(&FieldError::new("", "别的")), "别的");
    }
}
