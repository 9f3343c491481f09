//! Who may pull what: the audience of an entity, below the hub that holds it.
//! A station receives the entities addressed to its village; the county
//! receives nothing by pull that the hub has not put in its outbox.

use std::collections::BTreeSet;

use crate::code::{Code, Level};
use crate::fold::{Entity, EntityState};

/// The codes (other than the holder itself) whose pulls include every event of `entity`.
pub fn audience(entity: &Entity) -> BTreeSet<Code> {
    let mut codes = BTreeSet::new();
    let mut village = |code: &Code| {
        if code.level() == Level::Village {
            codes.insert(code.clone());
        }
    };
    match &entity.state {
        EntityState::Screening(s) => village(&s.record.village),
        EntityState::Visit(v) => village(&v.record.received_at),
        EntityState::ZeroReport(z) => village(&z.record.village),
        EntityState::Incident(i) => village(&i.record.place),
        EntityState::Case(c) => {
            village(&c.registration.place);
            c.assigned_village()
                .into_iter()
                .chain(&c.past_villages)
                .for_each(&mut village);
            // The township holding the case pulls the county's steps on it.
            let township = match c.registration.place.level() {
                Level::Village => c.registration.place.parent(),
                _ => Some(c.registration.place.clone()),
            };
            codes.extend(township.into_iter().chain(c.handed_down_to.clone()));
        }
        // Minutes stay at the township; what they assign shows on the records.
        EntityState::Summary(_)
        | EntityState::MonthlyReport(_)
        | EntityState::Meeting(_)
        | EntityState::Register(_)
        | EntityState::Hotspot(_)
        | EntityState::Campaign(_)
        | EntityState::Assessment(_) => {}
    }
    codes
}
