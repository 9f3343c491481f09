//! 稳控责任: what it must hold, how a screening stands by it, and that only
//! the township's own ledger sets it.

mod common;

use common::*;
use sanji_domain::EventBody;
use sanji_domain::hlc::Hlc;
use sanji_domain::record::{ControlStanding, ControlStatus, StabilityControl, control_standing};

fn control(status: ControlStatus) -> StabilityControl {
    StabilityControl {
        unit: "司法所".into(),
        person: "孙立".into(),
        measures: "包案盯控".into(),
        time_limit: date("2026-12-10"),
        status,
        note: String::new(),
    }
}

#[test]
fn a_screening_stands_by_its_control_until_it_becomes_a_case() {
    let controlling = control(ControlStatus::Controlling);
    let resolved = control(ControlStatus::Resolved);
    let on =
        |c: Option<&StabilityControl>, converted, day| control_standing(c, converted, date(day));
    assert_eq!(on(None, false, "2026-12-01"), ControlStanding::Unassigned);
    assert_eq!(
        on(Some(&controlling), false, "2026-12-10"),
        ControlStanding::Controlling
    );
    assert_eq!(
        on(Some(&controlling), false, "2026-12-11"),
        ControlStanding::Overdue
    );
    assert_eq!(
        on(Some(&resolved), false, "2026-12-11"),
        ControlStanding::Resolved
    );
    assert_eq!(
        on(Some(&controlling), true, "2026-12-11"),
        ControlStanding::Converted
    );
    assert_eq!(on(None, true, "2026-12-01"), ControlStanding::Converted);
}

#[test]
fn a_control_names_each_missing_field() {
    let screened_on = date("2026-12-01");
    assert_eq!(
        control(ControlStatus::Controlling).validate(screened_on),
        Ok(())
    );
    let early = StabilityControl {
        time_limit: date("2026-11-30"),
        ..control(ControlStatus::Controlling)
    };
    let e = early.validate(screened_on).unwrap_err();
    assert_eq!(e.field, "time_limit");
    assert!(e.rule.contains("早于排查日期"), "{e:?}");
    let nobody = StabilityControl {
        person: String::new(),
        ..control(ControlStatus::Controlling)
    };
    assert_eq!(nobody.validate(screened_on).unwrap_err().field, "person");
}

#[test]
fn only_the_townships_ledger_sets_a_control() {
    let at = |origin| {
        event(
            origin,
            2,
            Hlc::new(NOW_MS, 4),
            screening_entity(),
            EventBody::ScreeningControlled(control(ControlStatus::Controlling)),
        )
    };
    assert_eq!(at(township_origin()).validate(), Ok(()));
    for origin in [village_origin(), outbox_origin()] {
        let e = at(origin)
            .validate()
            .expect_err("not the township's own ledger");
        assert_eq!(e.field, "origin");
        assert!(e.rule.contains("screening_controlled"), "{e:?}");
    }
}
