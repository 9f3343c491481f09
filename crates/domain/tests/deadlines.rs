//! Deadlines (案件限时结报制度): the per-township policy and its defaults,
//! calendar-day arithmetic across month ends, year ends and leap days, where
//! a deadline stands on a given day, and the CST midnight that decides
//! whether a case was resolved in time.

mod common;

use chrono::{DateTime, NaiveDate};
use common::*;
use sanji_domain::case::{ActorRole, CaseStatus, Outcome};
use sanji_domain::deadline::{DeadlinePolicy, DeadlineStanding, add_days};
use sanji_domain::time::cst_date;
use sanji_domain::{Entity, EntityState, Event, EventBody, Hlc, fold};

/// Unix milliseconds of an RFC 3339 instant.
fn instant(text: &str) -> u64 {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("instant {text}: {e}"))
        .timestamp_millis() as u64
}

// ------------------------------------------------------------ the policy

#[test]
fn the_default_policy_is_the_regulations() {
    let p = DeadlinePolicy::default();
    // 15 days to decide acceptance, 60 to resolve, one extension of at most
    // 30, a severe screening at the county within 24 hours, urged 3 days ahead.
    assert_eq!(p.accept_days, 15);
    assert_eq!(p.resolve_days, 60);
    assert_eq!(p.extension_max_days, 30);
    assert_eq!(p.severe_report_hours, 24);
    assert_eq!(p.urge_days_before, 3);
    assert_eq!(p.validate(), Ok(()));
}

#[test]
fn a_township_sets_only_what_differs_from_the_defaults() {
    let p: DeadlinePolicy = serde_json::from_str("{}").unwrap();
    assert_eq!(p, DeadlinePolicy::default());
    let p: DeadlinePolicy = serde_json::from_str(r#"{"accept_days":7}"#).unwrap();
    assert_eq!(
        p,
        DeadlinePolicy {
            accept_days: 7,
            ..DeadlinePolicy::default()
        }
    );
    assert_eq!(p.accept_deadline(date("2026-11-26")), date("2026-12-03"));
    assert!(serde_json::from_str::<DeadlinePolicy>(r#"{"accept_day":7}"#).is_err());
}

#[test]
fn policy_limits_are_checked_at_their_edges() {
    let with = |f: fn(&mut DeadlinePolicy)| {
        let mut p = DeadlinePolicy::default();
        f(&mut p);
        p.validate().map_err(|e| e.field)
    };
    assert_eq!(with(|p| p.accept_days = 90), Ok(()));
    assert_eq!(with(|p| p.accept_days = 91), Err("accept_days".into()));
    assert_eq!(with(|p| p.accept_days = 0), Err("accept_days".into()));
    assert_eq!(with(|p| p.resolve_days = 365), Ok(()));
    assert_eq!(with(|p| p.resolve_days = 366), Err("resolve_days".into()));
    assert_eq!(
        with(|p| p.extension_max_days = 0),
        Err("extension_max_days".into())
    );
    assert_eq!(
        with(|p| p.extension_max_days = 91),
        Err("extension_max_days".into())
    );
    assert_eq!(with(|p| p.severe_report_hours = 168), Ok(()));
    assert_eq!(
        with(|p| p.severe_report_hours = 169),
        Err("severe_report_hours".into())
    );
    assert_eq!(with(|p| p.urge_days_before = 0), Ok(()));
    assert_eq!(with(|p| p.urge_days_before = 59), Ok(()));
    assert_eq!(
        with(|p| p.urge_days_before = 60),
        Err("urge_days_before".into())
    );
}

// ------------------------------------------------------------ arithmetic

#[test]
fn deadlines_cross_month_ends() {
    let p = DeadlinePolicy::default();
    // Jan 31 + 15: the 15th day after is Feb 15.
    assert_eq!(p.accept_deadline(date("2026-01-31")), date("2026-02-15"));
    // Jan 31 + 60: Feb 28 is +28 (2026 is no leap year), Mar 31 +59, Apr 1 +60.
    assert_eq!(p.resolve_deadline(date("2026-01-31")), date("2026-04-01"));
    // Registered on the 30th of a 30-day month.
    assert_eq!(p.accept_deadline(date("2026-11-30")), date("2026-12-15"));
    assert_eq!(p.accept_deadline(date("2026-04-16")), date("2026-05-01"));
}

#[test]
fn deadlines_cross_year_ends() {
    let p = DeadlinePolicy::default();
    // Dec 20 + 15: Dec 31 is +11, Jan 4 +15.
    assert_eq!(p.accept_deadline(date("2026-12-20")), date("2027-01-04"));
    // Nov 15 + 60: Nov 30 +15, Dec 31 +46, Jan 14 +60.
    assert_eq!(p.resolve_deadline(date("2026-11-15")), date("2027-01-14"));
    assert_eq!(add_days(date("2026-12-31"), 1), date("2027-01-01"));
}

#[test]
fn deadlines_know_leap_years() {
    let p = DeadlinePolicy::default();
    assert_eq!(add_days(date("2028-02-28"), 1), date("2028-02-29"));
    assert_eq!(add_days(date("2028-02-29"), 1), date("2028-03-01"));
    assert_eq!(add_days(date("2027-02-28"), 1), date("2027-03-01"));
    // Century rules: 2000 was a leap year, 2100 will not be.
    assert_eq!(add_days(date("2000-02-28"), 1), date("2000-02-29"));
    assert_eq!(add_days(date("2100-02-28"), 1), date("2100-03-01"));
    // Feb 20 + 15: Feb 29 is +9 in 2028, so Mar 6; Feb 28 +8 in 2027, so Mar 7.
    assert_eq!(p.accept_deadline(date("2028-02-20")), date("2028-03-06"));
    assert_eq!(p.accept_deadline(date("2027-02-20")), date("2027-03-07"));
    // Jan 1 + 60: Jan 31 +30, Feb 29 +59, Mar 1 +60.
    assert_eq!(p.resolve_deadline(date("2028-01-01")), date("2028-03-01"));
    assert_eq!(p.resolve_deadline(date("2027-01-01")), date("2027-03-02"));
}

#[test]
fn adding_days_saturates_rather_than_panicking() {
    assert_eq!(add_days(date("2026-11-26"), 0), date("2026-11-26"));
    assert_eq!(add_days(NaiveDate::MAX, 1), NaiveDate::MAX);
    // u32::MAX days is some eleven million years: past the calendar's end.
    assert_eq!(add_days(date("2026-11-26"), u32::MAX), NaiveDate::MAX);
}

// ------------------------------------------------------------ standing

#[test]
fn a_deadline_is_due_on_its_day_and_overdue_the_day_after() {
    let deadline = date("2026-11-30");
    let on = |day: &str| DeadlineStanding::of(deadline, date(day), 3);
    assert_eq!(on("2026-11-26"), DeadlineStanding::OnTime { days_left: 4 });
    assert_eq!(on("2026-11-27"), DeadlineStanding::DueSoon { days_left: 3 });
    assert_eq!(on("2026-11-29"), DeadlineStanding::DueSoon { days_left: 1 });
    assert_eq!(on("2026-11-30"), DeadlineStanding::DueSoon { days_left: 0 });
    assert_eq!(on("2026-12-01"), DeadlineStanding::Overdue { days_over: 1 });
    assert_eq!(
        on("2026-12-31"),
        DeadlineStanding::Overdue { days_over: 31 }
    );
    assert_eq!(on("2026-11-30").label(), "今日到期");
    assert_eq!(on("2026-11-29").label(), "即将到期(剩 1 天)");
    assert_eq!(on("2026-11-26").label(), "剩 4 天");
    assert_eq!(on("2026-12-01").label(), "已超期 1 天");
}

#[test]
fn standing_counts_calendar_days_across_year_and_leap_ends() {
    let p = DeadlinePolicy::default();
    assert_eq!(
        DeadlineStanding::of(date("2027-01-02"), date("2026-12-30"), p.urge_days_before),
        DeadlineStanding::DueSoon { days_left: 3 }
    );
    assert_eq!(
        DeadlineStanding::of(date("2028-02-29"), date("2028-03-01"), p.urge_days_before),
        DeadlineStanding::Overdue { days_over: 1 }
    );
    assert_eq!(
        DeadlineStanding::of(date("2028-03-01"), date("2028-02-28"), 1),
        DeadlineStanding::OnTime { days_left: 2 }
    );
    // With no urge window the deadline day itself is still "due", not late.
    assert_eq!(
        DeadlineStanding::of(date("2026-11-30"), date("2026-11-30"), 0),
        DeadlineStanding::DueSoon { days_left: 0 }
    );
    assert_eq!(
        DeadlineStanding::of(date("2026-11-30"), date("2026-11-29"), 0),
        DeadlineStanding::OnTime { days_left: 1 }
    );
}

// ------------------------------------------------------------ CST midnight

#[test]
fn the_day_turns_at_beijing_midnight() {
    let before = instant("2026-11-30T15:59:59.999Z");
    let after = instant("2026-11-30T16:00:00.000Z");
    assert_eq!(after - before, 1);
    assert_eq!(cst_date(before), date("2026-11-30"));
    assert_eq!(cst_date(after), date("2026-12-01"));
    // UTC's own midnight is 08:00 in Beijing, the same day.
    assert_eq!(
        cst_date(instant("2026-11-30T00:00:00Z")),
        date("2026-11-30")
    );
    assert_eq!(
        cst_date(instant("2026-11-29T23:59:59Z")),
        date("2026-11-30")
    );
    assert_eq!(cst_ms(date("2026-12-01"), 0), after);
}

/// Registered, accepted and assigned (deadline 2026-11-30) by the hub, then
/// resolved by the village station at `resolved_at`.
fn resolved_at(resolved_at: u64) -> Entity {
    use ActorRole::*;
    let id = v7(NOW_MS, 0xCA5E);
    let hub = township_origin;
    let events: Vec<Event> = vec![
        event(
            hub(),
            1,
            Hlc::new(NOW_MS, 0),
            id,
            EventBody::CaseRegistered(case()),
        ),
        step_event(
            hub(),
            2,
            Hlc::new(NOW_MS + HOUR_MS, 0),
            id,
            Operator,
            accept("2027-01-25"),
        ),
        step_event(
            hub(),
            3,
            Hlc::new(NOW_MS + 2 * HOUR_MS, 0),
            id,
            Director,
            assign_village(VILLAGE, "2026-11-30"),
        ),
        step_event(
            village_origin(),
            1,
            Hlc::new(resolved_at, 0),
            id,
            VillageStaff,
            resolve(Outcome::Agreement),
        ),
    ];
    for e in &events {
        assert_eq!(e.validate(), Ok(()), "{}", e.event_ref());
    }
    // Arrival order does not matter.
    let entity = fold(&events).unwrap();
    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(fold(&reversed).unwrap(), entity);
    entity
}

#[test]
fn resolved_at_the_last_millisecond_of_the_deadline_day_is_in_time() {
    let entity = resolved_at(instant("2026-11-30T15:59:59.999Z"));
    assert!(entity.conflicts.is_empty(), "{:?}", entity.conflicts);
    let EntityState::Case(file) = &entity.state else {
        panic!("{:?}", entity.state)
    };
    assert_eq!(file.status, CaseStatus::Resolved);
    let resolution = file.resolution.as_ref().unwrap();
    assert_eq!(resolution.on, date("2026-11-30"));
    assert!(!resolution.late);
}

#[test]
fn resolved_at_beijing_midnight_after_the_deadline_is_late() {
    let entity = resolved_at(instant("2026-11-30T16:00:00.000Z"));
    assert!(entity.conflicts.is_empty(), "{:?}", entity.conflicts);
    let EntityState::Case(file) = &entity.state else {
        panic!("{:?}", entity.state)
    };
    let resolution = file.resolution.as_ref().unwrap();
    assert_eq!(resolution.on, date("2026-12-01"));
    assert!(resolution.late);
}

#[test]
fn an_extension_is_its_deadline_plus_the_days_across_a_year_end() {
    use ActorRole::*;
    let mut life = Life::register(case());
    life.step(Operator, TOWNSHIP, "2026-11-20", accept("2027-01-19"))
        .step(
            Director,
            TOWNSHIP,
            "2026-11-21",
            assign_village(VILLAGE, "2026-12-20"),
        );
    // Dec 20 + 30 (the default maximum) = Jan 19.
    let policy = DeadlinePolicy::default();
    let new = add_days(date("2026-12-20"), policy.extension_max_days);
    assert_eq!(new, date("2027-01-19"));
    life.step(Director, TOWNSHIP, "2026-12-18", extend(30, "2027-01-19"));
    assert_eq!(life.file.deadline, Some(date("2027-01-19")));
    life.step(
        VillageStaff,
        VILLAGE,
        "2027-01-19",
        resolve(Outcome::Agreement),
    );
    assert!(!life.file.resolution.as_ref().unwrap().late);
}
