//! Records imported from a township's old ledgers: what an imported case
//! becomes, that its figures land in the months it happened in (never the
//! month it was imported), its rules, and that only the hub writes one.

mod common;

use common::*;
use sanji_domain::case::{ActorRole, CaseAction, CaseStatus, CaseStep, Outcome};
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::fold::EntityState;
use sanji_domain::imported::{ImportedCase, ImportedScreening};
use sanji_domain::report::{CaseRef, Month, monthly_report};
use sanji_domain::{Event, EventBody, Hlc, fold};

fn old_case(number: &str, status: CaseStatus) -> ImportedCase {
    let closed = !status.is_open();
    ImportedCase {
        registration: sanji_domain::record::CaseRegistration {
            registered_on: date("2025-03-02"),
            ..case()
        },
        case_number: number.into(),
        ledger_status: status,
        closed_on: closed.then(|| date("2025-04-10")),
        outcome: (closed && status != CaseStatus::NotAccepted).then_some(Outcome::Agreement),
        resolve_deadline: (!closed).then(|| date("2026-12-26")),
        source: "2025年案件台账.xlsx 第 3 行".into(),
    }
}

fn import_event(seq: u64, imported: ImportedCase) -> Event {
    let entity = ImportedCase::entity_id(&code(TOWNSHIP), &imported.case_number);
    event(
        township_origin(),
        seq,
        Hlc::new(NOW_MS, 0),
        entity,
        EventBody::CaseImported(Box::new(imported)),
    )
}

fn folded_case(events: &[Event]) -> Box<sanji_domain::case::CaseFile> {
    match fold(events).expect("an entity").state {
        EntityState::Case(file) => file,
        other => panic!("not a case: {other:?}"),
    }
}

#[test]
fn a_closed_case_keeps_its_number_dates_and_outcome() {
    let e = import_event(1, old_case("东山-2025-011", CaseStatus::Archived));
    e.validate().expect("valid");
    let file = folded_case(&[e]);
    assert_eq!(file.status, CaseStatus::Archived);
    assert_eq!(file.case_number.as_deref(), Some("东山-2025-011"));
    assert_eq!(file.registration.registered_on, date("2025-03-02"));
    let resolution = file.resolution.as_ref().expect("resolved");
    assert_eq!(resolution.on, date("2025-04-10"));
    assert_eq!(resolution.outcome, Outcome::Agreement);
    assert_eq!(file.deadline, None);
    let note = file.imported.as_ref().expect("marked imported");
    assert_eq!(note.ledger_status, CaseStatus::Archived);
    // Done, but for what is found after it (a later petition, a recurrence)
    // and the papers of the old file, scanned.
    assert_eq!(
        file.allowed_steps(),
        [
            sanji_domain::case::StepKind::Aftermath,
            sanji_domain::case::StepKind::Attach
        ],
        "an archived case is done"
    );
}

#[test]
fn an_open_case_starts_at_the_hub_accepted_with_a_fresh_deadline() {
    let file = folded_case(&[import_event(
        1,
        old_case("2025-020", CaseStatus::InMediation),
    )]);
    assert_eq!(file.status, CaseStatus::Accepted);
    assert_eq!(file.deadline, Some(date("2026-12-26")));
    assert_eq!(file.resolution, None);
    assert_eq!(
        file.imported.as_ref().map(|i| i.ledger_status),
        Some(CaseStatus::InMediation)
    );
    // Its life goes on like any accepted case's.
    let assign = CaseStep::Assign {
        assignee: sanji_domain::case::Assignee::Unit {
            name: "司法所".into(),
        },
        person: "周强".into(),
        deadline: date("2026-12-20"),
    };
    file.check(ActorRole::Operator, &assign, &code(TOWNSHIP))
        .expect("an imported open case can be assigned");
}

#[test]
fn imported_cases_count_in_the_months_they_happened_not_the_month_of_import() {
    let closed = import_event(1, old_case("2025-011", CaseStatus::Archived));
    let open = import_event(2, old_case("2025-012", CaseStatus::Assigned));
    let refused = import_event(3, old_case("2025-013", CaseStatus::NotAccepted));
    let files: Vec<_> = [closed, open, refused]
        .iter()
        .map(|e| (e.entity, folded_case(std::slice::from_ref(e))))
        .collect();
    let refs: Vec<CaseRef<'_>> = files
        .iter()
        .map(|(id, f)| CaseRef { id: *id, file: f })
        .collect();
    let policy = DeadlinePolicy::default();
    let report = |m: &str| {
        monthly_report(
            &code(TOWNSHIP),
            Month::parse(m).unwrap(),
            &refs,
            &[],
            &policy,
            today(),
            1,
        )
    };
    // The month of the import (NOW_MS is in 2026-11): nothing received,
    // accepted or resolved; only the one still open is open.
    let now = report("2026-11");
    assert_eq!(
        (now.received, now.accepted, now.resolved),
        (0, 0, 0),
        "{now:?}"
    );
    assert_eq!(now.open, 1);
    assert_eq!(now.overdue, 0, "an imported open case is not overdue");
    // The month they were registered in.
    let march = report("2025-03");
    assert_eq!(march.received, 3);
    assert_eq!(march.open, 3);
    // The month the closed ones ended in.
    let april = report("2025-04");
    assert_eq!((april.resolved, april.mediated), (1, 1));
    assert_eq!(
        april.open, 1,
        "the refused and the archived case closed in April"
    );
}

#[test]
fn rules_of_an_imported_case_name_their_field() {
    let check = |c: ImportedCase| c.validate(today()).unwrap_err().field;
    assert_eq!(
        check(ImportedCase {
            closed_on: None,
            ..old_case("1", CaseStatus::Archived)
        }),
        "closed_on"
    );
    assert_eq!(
        check(ImportedCase {
            outcome: None,
            ..old_case("1", CaseStatus::Resolved)
        }),
        "outcome"
    );
    assert_eq!(
        check(ImportedCase {
            outcome: Some(Outcome::Withdrawn),
            ..old_case("1", CaseStatus::NotAccepted)
        }),
        "outcome"
    );
    assert_eq!(
        check(ImportedCase {
            closed_on: Some(date("2025-01-01")),
            ..old_case("1", CaseStatus::Archived)
        }),
        "closed_on",
        "closed before it was registered"
    );
    assert_eq!(
        check(ImportedCase {
            closed_on: Some(date("2026-04-10")),
            ..old_case("1", CaseStatus::InMediation)
        }),
        "closed_on",
        "an open case has no end"
    );
    assert_eq!(check(old_case(" ", CaseStatus::Archived)), "case_number");
    let mut bad_party = old_case("1", CaseStatus::Archived);
    bad_party.registration.parties.clear();
    assert_eq!(check(bad_party), "registration.parties");
}

#[test]
fn only_the_hub_imports_and_the_entity_comes_from_the_number() {
    let mut from_village = import_event(1, old_case("1", CaseStatus::Archived));
    from_village.origin = village_origin();
    assert_eq!(from_village.validate().unwrap_err().field, "origin");
    let mut other_entity = import_event(1, old_case("1", CaseStatus::Archived));
    other_entity.entity = v7(NOW_MS, 99);
    assert_eq!(other_entity.validate().unwrap_err().field, "entity");
    // The same number imported twice is one entity: the second is a conflict.
    let first = import_event(1, old_case("1", CaseStatus::Archived));
    let mut again = import_event(2, old_case("1", CaseStatus::Archived));
    again.hlc = Hlc::new(NOW_MS + 1, 0);
    let entity = fold(&[first, again]).unwrap();
    assert_eq!(entity.conflicts.len(), 1);
    // A step after the import folds like any other.
    let step = event(
        township_origin(),
        3,
        Hlc::new(NOW_MS + 2, 0),
        entity.id,
        EventBody::CaseStepped(CaseAction {
            role: ActorRole::Operator,
            step: CaseStep::Archive {
                note: String::new(),
            },
        }),
    );
    step.validate().unwrap();
}

#[test]
fn an_imported_screening_is_the_hubs_and_keyed_by_its_content() {
    let imported = ImportedScreening {
        screening: screening(),
        source: "排查台账.csv 第 2 行".into(),
    };
    let entity = ImportedScreening::entity_id(&code(TOWNSHIP), &imported.screening);
    let e = event(
        township_origin(),
        1,
        Hlc::new(NOW_MS, 0),
        entity,
        EventBody::ScreeningImported(imported.clone()),
    );
    e.validate().expect("valid");
    match fold([&e]).unwrap().state {
        EntityState::Screening(s) => {
            assert_eq!(s.record, screening());
            assert_eq!(s.imported.as_deref(), Some("排查台账.csv 第 2 行"));
        }
        other => panic!("{other:?}"),
    }
    let changed = sanji_domain::record::Screening {
        people_involved: 3,
        ..screening()
    };
    assert_ne!(
        ImportedScreening::entity_id(&code(TOWNSHIP), &changed),
        entity
    );
    let mut foreign = e.clone();
    if let EventBody::ScreeningImported(s) = &mut foreign.body {
        s.screening.village = code(FOREIGN_VILLAGE);
    }
    assert_eq!(
        foreign.validate().unwrap_err().field,
        "payload.data.screening.village"
    );
    let mut at_village = e;
    at_village.origin = village_origin();
    assert_eq!(at_village.validate().unwrap_err().field, "origin");
}
