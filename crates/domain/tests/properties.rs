//! Properties over generated input: whatever bytes arrive, decoding answers
//! without panicking; whatever order, ties and duplicates events arrive in,
//! the fold keeps its contract;
//! validation draws its lines exactly where the limits say.

mod common;

use common::*;
use proptest::prelude::*;
use sanji_domain::case::{ActorRole, CaseFile, StepContext};
use sanji_domain::record::limits;
use sanji_domain::time::cst_date;
use sanji_domain::{EntityState, Event, EventBody, Hlc, fold};

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

    /// Any subset of a case's history, with some of its events arriving
    /// twice, in any arrival order, and with stamps that tie across origins,
    /// folds to what replaying that subset's distinct events one by one in
    /// (HLC, origin, seq) order gives.
    #[test]
    fn any_subset_with_ties_and_duplicates_folds_as_replayed_in_stamp_order(
        hub_minutes in prop::sample::subsequence((0..8u64).collect::<Vec<_>>(), 5),
        village_minutes in prop::sample::subsequence((0..8u64).collect::<Vec<_>>(), 3),
        kept in prop::collection::vec(any::<bool>(), 8),
        twice in prop::collection::vec(0..8usize, 0..4),
        arrival in Just((0..12usize).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let history = case_history_stamped(&hub_minutes, &village_minutes);
        let subset: Vec<&Event> = history.iter().zip(&kept).filter(|(_, k)| **k).map(|(e, _)| e).collect();
        let mut received: Vec<&Event> = subset.clone();
        received.extend(twice.iter().filter_map(|&i| subset.get(i).copied()));
        let arrived: Vec<&Event> = arrival.iter().filter_map(|&i| received.get(i).copied()).collect();
        prop_assert_eq!(arrived.len(), received.len());

        let folded = fold(arrived).map(|e| match e.state {
            EntityState::Case(file) => (*file, e.conflicts.len(), e.events),
            other => panic!("a case history folds to a case: {other:?}"),
        });
        prop_assert_eq!(folded, replay(&subset));
    }
}

/// The fold's contract written out step by step: distinct events in
/// (HLC, origin, seq) order, each step taken on the file or kept as a conflict.
fn replay(events: &[&Event]) -> Option<(CaseFile, usize, u32)> {
    let mut ordered: Vec<&Event> = events.to_vec();
    ordered.sort_by_key(|e| (e.hlc, e.origin.clone(), e.seq));
    let mut file: Option<CaseFile> = None;
    let mut conflicts = 0;
    for e in &ordered {
        match (&mut file, &e.body) {
            (None, EventBody::CaseRegistered(r)) => {
                file = Some(CaseFile::new(r.clone(), &e.author, e.hlc, None));
            }
            (Some(f), EventBody::CaseStepped(action)) => {
                let ctx = StepContext {
                    author: &e.author,
                    origin: e.origin.code(),
                    at: e.hlc,
                    on: cst_date(e.hlc.wall_ms),
                };
                match f.apply(action.role, &action.step, &ctx) {
                    Ok(()) => f.authoritative = true,
                    Err(_) => conflicts += 1,
                }
            }
            _ => conflicts += 1,
        }
    }
    Some((file?, conflicts, ordered.len() as u32))
}

/// At one stamp, the hub and the village both resolve the case: whatever
/// order they arrive in, the township's ledger (`360123100` sorts before
/// `360123100201`) goes first, and the village's is kept as a conflict.
#[test]
fn tied_stamps_from_two_origins_are_ordered_by_origin_whatever_arrives_first() {
    use sanji_domain::case::Outcome;
    let history = case_history_stamped(&[0, 1, 2, 5, 6], &[3, 4, 7]);
    let id = history[0].entity;
    let tie = Hlc::new(NOW_MS + 10 * 60_000, 0);
    let by_hub = step_event(
        township_origin(),
        6,
        tie,
        id,
        ActorRole::Operator,
        resolve(Outcome::Agreement),
    );
    let by_village = step_event(
        village_origin(),
        4,
        tie,
        id,
        ActorRole::VillageStaff,
        resolve(Outcome::Withdrawn),
    );
    // Registration, acceptance and assignment only: the case waits to be resolved.
    let base: Vec<&Event> = history[..3].iter().collect();
    for pair in [[&by_hub, &by_village], [&by_village, &by_hub]] {
        let events = base.iter().copied().chain(pair);
        let entity = fold(events).expect("a case");
        let EntityState::Case(file) = entity.state else {
            panic!("a case")
        };
        let resolution = file.resolution.expect("resolved");
        assert_eq!(
            resolution.outcome,
            Outcome::Agreement,
            "the hub's resolution stands"
        );
        assert_eq!(entity.conflicts.len(), 1, "{:?}", entity.conflicts);
        assert_eq!(entity.conflicts[0].event, by_village.event_ref());
    }
}

/// The same event received twice is one event: it is counted once and is
/// not a conflict with itself.
#[test]
fn an_event_received_twice_folds_once() {
    let history = case_history();
    let once = fold(history.iter()).expect("a case");
    let twice = fold(history.iter().chain(history.iter())).expect("a case");
    assert_eq!(twice, once);
    assert_eq!(twice.events, 8);
}

/// Registration at the hub, then a case's life across hub and village, with
/// increasing stamps: eight events of three origins.
fn case_history() -> Vec<Event> {
    case_history_stamped(&[0, 1, 2, 5, 6], &[3, 4, 7])
}

/// [`case_history`] with the hub's five events and the village's three
/// stamped at the given minutes (each origin's in increasing order).
fn case_history_stamped(hub_minutes: &[u64], village_minutes: &[u64]) -> Vec<Event> {
    let hub_at = |i: usize| Hlc::new(NOW_MS + hub_minutes[i] * 60_000, 0);
    let village_at = |i: usize| Hlc::new(NOW_MS + village_minutes[i] * 60_000, 0);
    let registered = Event {
        hlc: hub_at(0),
        ..case_event()
    };
    let id = registered.entity;
    let hub = township_origin();
    let village = village_origin();
    vec![
        registered,
        step_event(
            hub.clone(),
            2,
            hub_at(1),
            id,
            ActorRole::Operator,
            accept("2027-01-25"),
        ),
        step_event(
            hub.clone(),
            3,
            hub_at(2),
            id,
            ActorRole::Director,
            assign_village(VILLAGE, "2027-01-25"),
        ),
        step_event(
            village.clone(),
            1,
            village_at(0),
            id,
            ActorRole::VillageStaff,
            progress(),
        ),
        step_event(
            village.clone(),
            2,
            village_at(1),
            id,
            ActorRole::VillageStaff,
            resolve(sanji_domain::case::Outcome::Agreement),
        ),
        step_event(
            hub.clone(),
            4,
            hub_at(3),
            id,
            ActorRole::Operator,
            feedback(),
        ),
        step_event(
            hub.clone(),
            5,
            hub_at(4),
            id,
            ActorRole::Operator,
            follow_up(false, true, false, false),
        ),
        // A village step after the case is resolved: kept as a conflict, whatever the order.
        step_event(
            village,
            3,
            village_at(2),
            id,
            ActorRole::VillageStaff,
            progress(),
        ),
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
