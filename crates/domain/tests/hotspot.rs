//! The 社会治安重点地区及突出问题排查整治登记簿's entries: their field rules,
//! how an entry stands on a day, which quarter's book lists it (its own, and
//! later ones while it stays unrectified), and the fold: the latest
//! recording stands, the first says who found it, and the day it was
//! rectified is kept.

mod common;

use common::*;
use sanji_domain::hotspot::{Hotspot, HotspotStanding, RectifyStatus};
use sanji_domain::report::Period;
use sanji_domain::{EntityState, EventBody, Hlc, fold};

fn market() -> Hotspot {
    Hotspot {
        found_on: date("2026-10-12"),
        area: "集镇农贸市场周边".into(),
        village: Some(code(VILLAGE)),
        problem: "摊贩占道经营,夜间酗酒滋事".into(),
        measures: "派出所加强夜间巡逻,市场监管所规范摊位".into(),
        unit: "派出所".into(),
        person: "周警官".into(),
        deadline: date("2026-11-30"),
        status: RectifyStatus::Rectifying,
        result: String::new(),
    }
}

fn quarter(text: &str) -> Period {
    Period::parse(text).unwrap()
}

#[test]
fn an_entry_names_its_area_problem_measures_and_deadline() {
    assert_eq!(market().validate(today()), Ok(()));
    let broken = |change: fn(&mut Hotspot)| {
        let mut h = market();
        change(&mut h);
        h.validate(today()).unwrap_err()
    };
    assert_eq!(broken(|h| h.area = " ".into()).field, "area");
    assert_eq!(broken(|h| h.problem.clear()).field, "problem");
    assert_eq!(broken(|h| h.measures.clear()).field, "measures");
    assert_eq!(broken(|h| h.person.clear()).field, "person");
    assert_eq!(
        broken(|h| h.village = Some(code(TOWNSHIP))).field,
        "village"
    );
    assert_eq!(
        broken(|h| h.found_on = date("2026-11-27")).field,
        "found_on"
    );
    let early = broken(|h| h.deadline = date("2026-10-01"));
    assert_eq!(
        (early.field.as_str(), early.rule.as_str()),
        (
            "deadline",
            "整改时限 2026-10-01 早于排查日期 2026-10-12,请核对"
        )
    );
    let unexplained = broken(|h| h.status = RectifyStatus::Rectified);
    assert_eq!(
        (unexplained.field.as_str(), unexplained.rule.as_str()),
        ("result", "已整改的请填写「整治结果」")
    );
}

#[test]
fn an_entry_stands_overdue_after_its_deadline_until_rectified() {
    let h = market();
    assert_eq!(h.quarter(), quarter("2026-Q4"));
    assert_eq!(h.standing(date("2026-11-30")), HotspotStanding::Rectifying);
    assert_eq!(h.standing(date("2026-12-01")), HotspotStanding::Overdue);
    let done = Hotspot {
        status: RectifyStatus::Rectified,
        result: "摊位划线入市,夜市秩序好转".into(),
        ..market()
    };
    assert_eq!(
        done.standing(date("2026-12-01")),
        HotspotStanding::Rectified
    );

    // Its own quarter lists it; a later one while it stays unrectified,
    // or was rectified only in that quarter; an earlier one never.
    let (q3, q4, q1) = (quarter("2026-Q3"), quarter("2026-Q4"), quarter("2027-Q1"));
    assert!(h.listed_in(&q4, None));
    assert!(!h.listed_in(&q3, None));
    assert!(h.listed_in(&q1, None), "carried over, unrectified");
    assert!(
        h.listed_in(&q1, Some(date("2027-01-05"))),
        "rectified in Q1"
    );
    assert!(
        !h.listed_in(&q1, Some(date("2026-12-20"))),
        "rectified in Q4"
    );
}

#[test]
fn the_latest_recording_stands_and_the_first_says_who_found_it() {
    let entity = v7(NOW_MS, 7);
    let at = |day: u64| Hlc::new(NOW_MS + day * DAY_MS, 0);
    let found = sanji_domain::Event {
        author: "刘芳".into(),
        ..event(
            township_origin(),
            1,
            at(0),
            entity,
            EventBody::HotspotRecorded(market()),
        )
    };
    let rectified = Hotspot {
        status: RectifyStatus::Rectified,
        result: "摊位划线入市".into(),
        ..market()
    };
    let done = sanji_domain::Event {
        author: "王主任".into(),
        ..event(
            township_origin(),
            2,
            at(2),
            entity,
            EventBody::HotspotRecorded(rectified.clone()),
        )
    };
    // Recorded again later (a typo fixed): still rectified since the first day it was.
    let mut fixed = rectified.clone();
    fixed.result = "摊位划线入市,夜市秩序好转".into();
    let again = event(
        township_origin(),
        3,
        at(4),
        entity,
        EventBody::HotspotRecorded(fixed.clone()),
    );
    for e in [&found, &done, &again] {
        assert_eq!(e.validate(), Ok(()));
    }
    for events in [vec![&found, &done, &again], vec![&again, &found, &done]] {
        let entity = fold(events).unwrap();
        let EntityState::Hotspot(h) = entity.state else {
            panic!("{:?}", entity.state)
        };
        assert_eq!(h.record, fixed);
        assert_eq!(h.recorded.author, "刘芳");
        assert_eq!(h.rectified_on, Some(date("2026-11-28")));
        assert!(entity.conflicts.is_empty());
    }
    // Back to work: no longer rectified.
    let reopened = event(
        township_origin(),
        4,
        at(5),
        entity,
        EventBody::HotspotRecorded(market()),
    );
    let EntityState::Hotspot(h) = fold([&found, &done, &again, &reopened]).unwrap().state else {
        panic!()
    };
    assert_eq!(h.rectified_on, None);

    // Only the township records its hotspots, in its own villages.
    let mut from_village = found.clone();
    from_village.origin = village_origin();
    assert_eq!(from_village.validate().unwrap_err().field, "origin");
    let mut foreign = found.clone();
    let mut elsewhere = market();
    elsewhere.village = Some(code(FOREIGN_VILLAGE));
    foreign.body = EventBody::HotspotRecorded(elsewhere);
    assert_eq!(
        foreign.validate().unwrap_err().field,
        "payload.data.village"
    );
}
