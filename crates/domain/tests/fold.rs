//! The fold: every node holding the same events shows the same state,
//! whatever order they arrived in; nothing that does not fit is dropped.

mod common;

use common::*;
use sanji_domain::case::CaseStatus;
use sanji_domain::fold::{Conflict, EntityState, Provenance, ScreeningState};
use sanji_domain::record::Screening;
use sanji_domain::scope::audience;
use sanji_domain::{Code, DailySummary, Entity, Event, EventBody, Hlc, fold};

/// Every ordering of `items`: each item first, then every ordering of the rest.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first.clone());
            out.push(tail);
        }
    }
    out
}

#[test]
fn the_permutation_helper_yields_every_ordering_once() {
    let mut all = permutations(&[1, 2, 3, 4]);
    assert_eq!(all.len(), 24);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 24);
}

/// Folds every permutation and insists they all agree; returns the one result.
fn fold_every_order(events: &[Event]) -> Entity {
    let orders = permutations(events);
    let first = fold(&orders[0]).expect("the events establish an entity");
    for order in &orders[1..] {
        let other = fold(order).expect("the events establish an entity");
        assert_eq!(
            other,
            first,
            "order {:?} folds differently",
            order.iter().map(Event::event_ref).collect::<Vec<_>>()
        );
    }
    first
}

fn provenance(event: &Event) -> Provenance {
    Provenance {
        event: event.event_ref(),
        hlc: event.hlc,
        author: event.author.clone(),
    }
}

/// A second registration of the same screening, two hours later, by someone else.
fn second_recording() -> Event {
    let mut e = event(
        village_origin(),
        5,
        Hlc::new(NOW_MS + 2 * HOUR_MS, 0),
        screening_entity(),
        EventBody::ScreeningRecorded(Screening {
            description: "另一人重复登记了同一事项".into(),
            ..severe_screening()
        }),
    );
    e.author = "王强".into();
    e
}

#[test]
fn a_screening_and_its_report_fold_the_same_in_every_order() {
    let recorded = severe_screening_event();
    let reported = severe_report_event();
    let second = second_recording();
    let events = [
        recorded.clone(),
        reported.clone(),
        second.clone(),
        reported.clone(), // arrived twice
        recorded.clone(), // arrived twice
    ];
    let entity = fold_every_order(&events);
    assert_eq!(
        entity,
        Entity {
            id: screening_entity(),
            state: EntityState::Screening(ScreeningState {
                record: severe_screening(),
                recorded: Some(provenance(&recorded)),
                reported: Some(provenance(&reported)),
                signed_off: None,
                control: None,
                converted_to: None,
                village_recorded_at: recorded.hlc,
                imported: None,
            }),
            conflicts: vec![Conflict {
                event: second.event_ref(),
                author: "王强".into(),
                hlc: second.hlc,
                reason: entity.conflicts[0].reason.clone(),
            }],
            events: 3,
            last_hlc: second.hlc,
        }
    );
}

#[test]
fn duplicates_are_counted_once() {
    let e = severe_screening_event();
    let entity = fold([&e, &e.clone(), &e.clone()]).unwrap();
    assert_eq!(entity.events, 1);
    assert!(entity.conflicts.is_empty(), "{:?}", entity.conflicts);
}

#[test]
fn a_second_recording_is_a_conflict_with_a_reason_not_dropped() {
    let first = screening_event();
    let second = with_body(
        event(
            village_origin(),
            4,
            Hlc::new(NOW_MS + 1, 0),
            screening_entity(),
            EventBody::ScreeningRecorded(screening()),
        ),
        |s| s.people_involved = 9,
    );
    let entity = fold([&second, &first]).unwrap();
    assert_eq!(entity.events, 2, "the conflicting event is still counted");
    match &entity.state {
        EntityState::Screening(s) => {
            assert_eq!(s.record, screening(), "the first recording stands");
            assert_eq!(s.recorded, Some(provenance(&first)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(entity.conflicts.len(), 1);
    let conflict = &entity.conflicts[0];
    assert_eq!(conflict.event, second.event_ref());
    assert_eq!(conflict.hlc, second.hlc);
    assert_eq!(conflict.author, second.author);
    assert!(
        conflict.reason.contains("screening_recorded"),
        "{}",
        conflict.reason
    );
    assert!(conflict.reason.contains("重复"), "{}", conflict.reason);
}

fn with_body(mut e: Event, f: impl FnOnce(&mut Screening)) -> Event {
    match &mut e.body {
        EventBody::ScreeningRecorded(s) => f(s),
        EventBody::SevereScreeningReported(r) => f(&mut r.screening),
        other => panic!("{other:?}"),
    }
    e
}

#[test]
fn a_report_stamped_before_the_recording_still_yields_both() {
    // The hub's clock ran ahead of the village's: the report sorts first.
    let recorded = severe_screening_event();
    let mut reported = severe_report_event();
    reported.hlc = Hlc::new(recorded.hlc.wall_ms - HOUR_MS, 0);
    let entity = fold_every_order(&[recorded.clone(), reported.clone()]);
    assert!(entity.conflicts.is_empty(), "{:?}", entity.conflicts);
    assert_eq!(
        entity.state,
        EntityState::Screening(ScreeningState {
            record: severe_screening(),
            recorded: Some(provenance(&recorded)),
            reported: Some(provenance(&reported)),
            signed_off: None,
            control: None,
            converted_to: None,
            village_recorded_at: recorded.hlc,
            imported: None,
        })
    );
    assert_eq!(entity.last_hlc, recorded.hlc);
}

#[test]
fn the_county_sees_a_reported_screening_without_the_village_event() {
    let reported = severe_report_event();
    let entity = fold([&reported]).unwrap();
    assert_eq!(
        entity.state,
        EntityState::Screening(ScreeningState {
            record: severe_screening(),
            recorded: None,
            reported: Some(provenance(&reported)),
            signed_off: None,
            control: None,
            converted_to: None,
            village_recorded_at: severe_screening_event().hlc,
            imported: None,
        })
    );
}

#[test]
fn a_second_report_is_a_conflict() {
    let first = severe_report_event();
    let mut again = severe_report_event();
    again.seq = 8;
    again.hlc = Hlc::new(first.hlc.wall_ms + 1, 0);
    let entity = fold_every_order(&[severe_screening_event(), first.clone(), again.clone()]);
    assert_eq!(entity.conflicts.len(), 1);
    assert_eq!(entity.conflicts[0].event, again.event_ref());
    assert!(
        entity.conflicts[0]
            .reason
            .contains("severe_screening_reported")
    );
}

fn summary_of(revision: u32, screenings: &[Screening]) -> DailySummary {
    DailySummary::compute(&code(VILLAGE), date("2026-11-25"), screenings, revision)
}

fn summary_at(seq: u64, hlc: Hlc, summary: DailySummary) -> Event {
    event(
        outbox_origin(),
        seq,
        hlc,
        summary_entity(),
        EventBody::ScreeningSummary(summary),
    )
}

#[test]
fn summary_revisions_fold_to_the_highest_in_every_order() {
    // Revision 3 lowers a figure: a screening was corrected to another category.
    let r1 = summary_of(1, &[screening()]);
    let r2 = summary_of(2, &[screening(), severe_screening()]);
    let r3 = summary_of(3, &[severe_screening()]);
    let events = [
        summary_at(4, Hlc::new(NOW_MS, 0), r1),
        summary_at(5, Hlc::new(NOW_MS + HOUR_MS, 0), r2.clone()),
        summary_at(6, Hlc::new(NOW_MS + 2 * HOUR_MS, 0), r3.clone()),
        summary_at(5, Hlc::new(NOW_MS + HOUR_MS, 0), r2), // duplicate
    ];
    let entity = fold_every_order(&events);
    assert_eq!(entity.state, EntityState::Summary(r3));
    assert_eq!(entity.id, summary_entity());
    assert_eq!(entity.events, 3);
    assert!(entity.conflicts.is_empty());
    assert_eq!(entity.last_hlc, Hlc::new(NOW_MS + 2 * HOUR_MS, 0));
}

#[test]
fn an_older_revision_arriving_after_a_newer_one_changes_nothing() {
    let r2 = summary_of(2, &[screening(), severe_screening()]);
    let r3 = summary_of(3, &[severe_screening()]);
    // The older revision carries the later stamp (it was re-sent after a restore).
    let newer = summary_at(6, Hlc::new(NOW_MS, 0), r3.clone());
    let older_late = summary_at(7, Hlc::new(NOW_MS + HOUR_MS, 0), r2);
    let entity = fold_every_order(&[newer, older_late]);
    assert_eq!(entity.state, EntityState::Summary(r3));
    assert!(
        entity.conflicts.is_empty(),
        "a stale revision is not a conflict"
    );
    assert_eq!(entity.events, 2);
}

#[test]
fn equal_revisions_resolve_by_stamp_in_every_order() {
    let a = summary_of(2, &[screening()]);
    let b = summary_of(2, &[severe_screening()]);
    let entity = fold_every_order(&[
        summary_at(6, Hlc::new(NOW_MS, 0), a),
        summary_at(7, Hlc::new(NOW_MS, 1), b.clone()),
    ]);
    assert_eq!(entity.state, EntityState::Summary(b));
}

#[test]
fn equal_stamps_are_ordered_by_origin_then_seq() {
    // Two recordings of one entity with the same HLC: whichever sorts first
    // stands, the other is the conflict, in every arrival order.
    let hlc = Hlc::new(NOW_MS, 0);
    let recording = |origin: &str, seq: u64| {
        event(
            sanji_domain::Origin::node(code(origin)),
            seq,
            hlc,
            screening_entity(),
            EventBody::ScreeningRecorded(Screening {
                village: code(origin),
                ..screening()
            }),
        )
    };
    let (a, b) = (recording(VILLAGE, 9), recording(OTHER_VILLAGE, 1));
    let entity = fold_every_order(&[b.clone(), a.clone()]);
    assert_eq!(
        entity.conflicts[0].event,
        b.event_ref(),
        "by origin before seq"
    );
    let (c, d) = (recording(VILLAGE, 4), recording(VILLAGE, 5));
    let entity = fold_every_order(&[d.clone(), c.clone()]);
    assert_eq!(entity.conflicts[0].event, d.event_ref(), "then by seq");
    // And the HLC comes before both: a later stamp loses even from the smaller origin.
    let mut late = recording(VILLAGE, 1);
    late.hlc = Hlc::new(NOW_MS, 1);
    let entity = fold_every_order(&[late.clone(), b.clone()]);
    assert_eq!(entity.conflicts[0].event, late.event_ref(), "HLC first");
}

#[test]
fn events_of_the_wrong_type_for_the_entity_are_conflicts() {
    let first_visit = visit_event();
    let mut case_on_visit = case_event();
    case_on_visit.entity = first_visit.entity;
    case_on_visit.hlc = Hlc::new(first_visit.hlc.wall_ms + 1, 0);
    let mut second_visit = visit_event();
    second_visit.seq += 1;
    second_visit.hlc = Hlc::new(first_visit.hlc.wall_ms + 2, 0);
    let entity = fold_every_order(&[
        first_visit.clone(),
        case_on_visit.clone(),
        second_visit.clone(),
    ]);
    match &entity.state {
        EntityState::Visit(v) => {
            assert_eq!(v.record, visit());
            assert_eq!(v.recorded, provenance(&first_visit));
        }
        other => panic!("{other:?}"),
    }
    let refs: Vec<_> = entity.conflicts.iter().map(|c| c.event.clone()).collect();
    assert_eq!(refs, [case_on_visit.event_ref(), second_visit.event_ref()]);
    assert!(entity.conflicts[0].reason.contains("case_registered"));
    assert!(entity.conflicts[1].reason.contains("visit_recorded"));
}

#[test]
fn a_case_folds_to_registered() {
    let e = case_event();
    let entity = fold([&e]).unwrap();
    match entity.state {
        EntityState::Case(c) => {
            assert_eq!(c.registration, case());
            assert_eq!(c.status, CaseStatus::Registered);
            assert_eq!(c.registered_by, e.author);
            assert_eq!(c.registered_at, e.hlc);
            assert!(c.authoritative);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nothing_folds_to_nothing() {
    assert_eq!(fold(std::iter::empty::<&Event>()), None);
}

#[test]
fn the_audience_is_the_village_a_record_belongs_to() {
    let village: Vec<Code> = vec![code(VILLAGE)];
    let audience_of =
        |e: &Event| -> Vec<Code> { audience(&fold([e]).unwrap()).into_iter().collect() };
    assert_eq!(audience_of(&screening_event()), village);
    assert_eq!(audience_of(&visit_event()), village);
    // A case also reaches its township, which pulls the county's steps on it.
    assert_eq!(
        audience_of(&case_event()),
        vec![code(TOWNSHIP), code(VILLAGE)]
    );
    assert_eq!(audience_of(&summary_event(1, Hlc::new(NOW_MS, 0), 1)), []);
    let mut township_case = case_event();
    if let EventBody::CaseRegistered(c) = &mut township_case.body {
        c.place = code(TOWNSHIP);
    }
    assert_eq!(audience_of(&township_case), vec![code(TOWNSHIP)]);
}
