//! Properties over generated input: whatever bytes arrive, decoding answers
//! without panicking; whatever order events arrive in, the fold agrees;
//! validation draws its lines exactly where the limits say.

mod common;

use common::*;
use proptest::prelude::*;
use sanji_domain::case::ActorRole;
use sanji_domain::record::limits;
use sanji_domain::{Event, EventBody, Hlc, fold};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any bytes at all: an error naming a field, never a panic.
    #[test]
    fn any_payload_bytes_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = EventBody::decode(&bytes) {
            prop_assert!(e.field.starts_with("payload"), "{e}");
        }
    }

    /// A real payload with one byte changed is either refused or still the
    /// exact canonical encoding of what it decodes to: two nodes can never
    /// hash one event two ways.
    #[test]
    fn a_corrupted_payload_is_refused_or_canonical(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = screening_event().body.encode();
        let i = index.index(bytes.len());
        bytes[i] = byte;
        if let Ok(body) = EventBody::decode(&bytes) {
            prop_assert_eq!(body.encode(), bytes);
        }
    }

    /// The people count is valid exactly within 1..=limits::PEOPLE.
    #[test]
    fn people_counts_are_checked_at_the_limits(people in any::<u32>()) {
        let mut s = screening();
        s.people_involved = people;
        let valid = s.validate(date("2026-11-26")).is_ok();
        prop_assert_eq!(valid, (1..=limits::PEOPLE).contains(&people));
    }

    /// Free text is valid exactly when it has a visible character and at most
    /// limits::TEXT characters, whatever the characters are.
    #[test]
    fn text_lengths_are_counted_in_characters(n in 0usize..2100, c in prop::sample::select(vec!['纠', 'a', '𠀀', ' '])) {
        let mut s = screening();
        s.description = std::iter::repeat_n(c, n).collect();
        let valid = s.validate(date("2026-11-26")).is_ok();
        prop_assert_eq!(valid, c != ' ' && (1..=limits::TEXT).contains(&n));
    }

    /// A case's whole history folds to the same file in any arrival order.
    #[test]
    fn the_fold_is_the_same_in_any_order(order in Just((0..8usize).collect::<Vec<_>>()).prop_shuffle()) {
        let history = case_history();
        let expected = fold(history.iter());
        let shuffled: Vec<&Event> = order.iter().map(|&i| &history[i]).collect();
        prop_assert_eq!(fold(shuffled), expected);
    }
}

/// Registration at the hub, then a case's life across hub and village, with
/// increasing stamps: eight events of three origins.
fn case_history() -> Vec<Event> {
    let registered = case_event();
    let id = registered.entity;
    let hub = township_origin();
    let village = village_origin();
    let at = |minutes: u64| Hlc::new(NOW_MS + minutes * 60_000, 0);
    vec![
        registered,
        step_event(
            hub.clone(),
            2,
            at(1),
            id,
            ActorRole::Operator,
            accept("2027-01-25"),
        ),
        step_event(
            hub.clone(),
            3,
            at(2),
            id,
            ActorRole::Director,
            assign_village(VILLAGE, "2027-01-25"),
        ),
        step_event(
            village.clone(),
            1,
            at(3),
            id,
            ActorRole::VillageStaff,
            progress(),
        ),
        step_event(
            village.clone(),
            2,
            at(4),
            id,
            ActorRole::VillageStaff,
            resolve(sanji_domain::case::Outcome::Agreement),
        ),
        step_event(hub.clone(), 4, at(5), id, ActorRole::Operator, feedback()),
        step_event(
            hub.clone(),
            5,
            at(6),
            id,
            ActorRole::Operator,
            follow_up(false, true, false, false),
        ),
        // A village step after the case is resolved: kept as a conflict, whatever the order.
        step_event(village, 3, at(7), id, ActorRole::VillageStaff, progress()),
    ]
}

#[test]
fn the_generated_history_is_a_real_life() {
    let entity = fold(case_history().iter()).expect("a case");
    assert_eq!(entity.events, 8);
    assert_eq!(entity.conflicts.len(), 1, "{:?}", entity.conflicts);
    match entity.state {
        sanji_domain::EntityState::Case(file) => {
            assert_eq!(file.status, sanji_domain::case::CaseStatus::FollowedUp)
        }
        other => panic!("{other:?}"),
    }
}
