//! The county's daily summaries: complete, correctly counted, consistent.

mod common;

use common::*;
use sanji_domain::DailySummary;
use sanji_domain::labels::Labelled;
use sanji_domain::record::{Category, RiskLevel, Screening};
use sanji_domain::summary::CellCount;

fn s(category: Category, risk: RiskLevel, mass: bool) -> Screening {
    Screening {
        category,
        risk,
        mass_incident_risk: mass,
        ..screening()
    }
}

/// Seven screenings of one village-day, counted by hand below.
fn fixture() -> Vec<Screening> {
    use Category::*;
    use RiskLevel::*;
    vec![
        s(Land, General, false),
        s(Land, General, true),
        s(Land, General, false),
        s(Land, Severe, false),
        s(Labour, Major, true),
        s(Labour, Major, false),
        s(Other, General, false),
    ]
}

fn computed() -> DailySummary {
    DailySummary::compute(&code(VILLAGE), date("2026-11-25"), &fixture(), 2)
}

#[test]
fn an_empty_day_has_every_cell_at_zero() {
    let summary = DailySummary::compute(&code(VILLAGE), date("2026-11-25"), &[], 1);
    assert_eq!(summary.cells.len(), 24);
    assert_eq!(Category::ALL.len() * RiskLevel::ALL.len(), 24);
    assert!(summary.cells.iter().all(|c| c.count == 0));
    assert_eq!(summary.records, 0);
    assert_eq!(summary.mass_incident_risk, 0);
    assert_eq!(summary.revision, 1);
    assert_eq!(summary.validate(), Ok(()));
}

#[test]
fn cells_come_in_declaration_order() {
    let summary = computed();
    let mut i = 0;
    for &category in Category::ALL {
        for &risk in RiskLevel::ALL {
            let cell = &summary.cells[i];
            assert_eq!((cell.category, cell.risk), (category, risk), "cells[{i}]");
            i += 1;
        }
    }
    assert_eq!(
        (summary.cells[0].category, summary.cells[0].risk),
        (Category::Land, RiskLevel::General)
    );
    assert_eq!(
        (summary.cells[23].category, summary.cells[23].risk),
        (Category::Other, RiskLevel::Severe)
    );
}

#[test]
fn counts_match_a_hand_count() {
    use Category::*;
    use RiskLevel::*;
    let summary = computed();
    assert_eq!(summary.village, code(VILLAGE));
    assert_eq!(summary.date, date("2026-11-25"));
    assert_eq!(summary.revision, 2);
    assert_eq!(summary.records, 7);
    assert_eq!(summary.mass_incident_risk, 2);
    let expected = [
        ((Land, General), 3),
        ((Land, Severe), 1),
        ((Labour, Major), 2),
        ((Other, General), 1),
    ];
    for &category in Category::ALL {
        for &risk in RiskLevel::ALL {
            let want = expected
                .iter()
                .find(|(k, _)| *k == (category, risk))
                .map_or(0, |(_, n)| *n);
            assert_eq!(summary.count(category, risk), want, "{category:?} {risk:?}");
        }
    }
    assert_eq!(summary.count_by_risk(General), 4);
    assert_eq!(summary.count_by_risk(Major), 2);
    assert_eq!(summary.count_by_risk(Severe), 1);
    assert_eq!(summary.validate(), Ok(()));
}

#[test]
fn the_input_order_does_not_matter() {
    let mut reversed = fixture();
    reversed.reverse();
    let a = computed();
    let b = DailySummary::compute(&code(VILLAGE), date("2026-11-25"), &reversed, 2);
    assert_eq!(a, b);
}

#[test]
fn validate_refuses_inconsistent_summaries() {
    type Row = (
        &'static str,
        fn(&mut DailySummary),
        &'static str,
        &'static str,
    );
    let rows: &[Row] = &[
        (
            "a missing cell",
            |s| {
                s.cells.pop();
            },
            "cells",
            "24",
        ),
        (
            "a zero cell dropped",
            |s| {
                s.cells.remove(5);
            },
            "cells",
            "23",
        ),
        (
            "an extra cell",
            |s| {
                s.cells.push(CellCount {
                    category: Category::Other,
                    risk: RiskLevel::Severe,
                    count: 0,
                })
            },
            "cells",
            "25",
        ),
        ("no cells at all", |s| s.cells.clear(), "cells", "含 0"),
        (
            "two cells swapped",
            |s| s.cells.swap(3, 4),
            "cells[3]",
            "顺序",
        ),
        (
            "the last two swapped",
            |s| s.cells.swap(22, 23),
            "cells[22]",
            "顺序",
        ),
        (
            "a cell duplicated in place of another",
            |s| s.cells[1] = s.cells[0].clone(),
            "cells[1]",
            "顺序",
        ),
        (
            "records one too many",
            |s| s.records += 1,
            "records",
            "不符",
        ),
        ("records one too few", |s| s.records -= 1, "records", "不符"),
        (
            "a cell raised",
            |s| s.cells[7].count += 1,
            "records",
            "不符",
        ),
        (
            "more mass incidents than records",
            |s| s.mass_incident_risk = 8,
            "mass_incident_risk",
            "多于",
        ),
        (
            "village is a township",
            |s| s.village = code(TOWNSHIP),
            "village",
            "村级",
        ),
    ];
    let valid = computed();
    assert_eq!(valid.validate(), Ok(()));
    for (what, mutate, field, needle) in rows {
        let mut summary = valid.clone();
        mutate(&mut summary);
        let err = summary.validate().expect_err(what);
        assert_eq!(err.field, *field, "{what}: {err:?}");
        assert!(err.rule.contains(needle), "{what}: {err:?}");
    }
    // Mass incidents equal to records is fine.
    let mut all_mass = valid.clone();
    all_mass.mass_incident_risk = all_mass.records;
    assert_eq!(all_mass.validate(), Ok(()));
}

#[test]
fn counts_that_overflow_when_summed_are_refused() {
    let mut summary = DailySummary::compute(&code(VILLAGE), date("2026-11-25"), &[], 1);
    summary.cells[0].count = u32::MAX;
    summary.cells[1].count = 1;
    // Wrapping, the cells would sum to 0 and agree with `records`.
    let err = summary.validate().unwrap_err();
    assert_eq!(err.field, "records");
    summary.records = u32::MAX;
    summary.cells[1].count = 0;
    assert_eq!(summary.validate(), Ok(()));
}

#[test]
fn entity_ids_are_stable_and_distinct_per_village_day() {
    let id = DailySummary::entity_id(&code(VILLAGE), date("2026-11-25"));
    assert_eq!(
        id,
        DailySummary::entity_id(&code(VILLAGE), date("2026-11-25"))
    );
    assert_eq!(id.get_version_num(), 5);
    // Stored and compared across nodes and releases: it must never change.
    assert_eq!(id.to_string(), GOLDEN_ID);
    let mut ids = vec![id];
    for (village, day) in [
        (VILLAGE, "2026-11-26"),
        (VILLAGE, "2026-11-24"),
        (VILLAGE, "2025-11-25"),
        (OTHER_VILLAGE, "2026-11-25"),
        (FOREIGN_VILLAGE, "2026-11-25"),
        (OTHER_VILLAGE, "2026-11-26"),
    ] {
        let other = DailySummary::entity_id(&code(village), date(day));
        assert!(!ids.contains(&other), "{village} {day} collides");
        ids.push(other);
    }
    // A revision does not change the entity.
    let r1 = DailySummary::compute(&code(VILLAGE), date("2026-11-25"), &[], 1);
    let r9 = DailySummary::compute(&code(VILLAGE), date("2026-11-25"), &fixture(), 9);
    assert_eq!(
        DailySummary::entity_id(&r1.village, r1.date),
        DailySummary::entity_id(&r9.village, r9.date)
    );
}

const GOLDEN_ID: &str = "92df6954-6f2f-52c0-bf90-0b7e3c179053";
