//! The hybrid logical clock: strictly increasing stamps, causality across
//! nodes whose clocks disagree, and the (wall, counter) order.

use sanji_domain::{Hlc, HybridClock};

const DAY_MS: u64 = 24 * 3600 * 1000;
/// 2027-01-15T00:00:00Z.
const HUB_NOW: u64 = 1_800_000_000_000;

#[test]
fn stamps_are_strictly_increasing_when_the_clock_steps_back() {
    let mut clock = HybridClock::default();
    let readings = [
        1_000, 1_000, 999, 500, 1_001, 1_001, 0, 5_000, 4_999, 4_999, 5_001,
    ];
    let stamps: Vec<Hlc> = readings.iter().map(|&ms| clock.tick(ms)).collect();
    for pair in stamps.windows(2) {
        assert!(pair[0] < pair[1], "{:?} then {:?}", pair[0], pair[1]);
    }
    assert_eq!(
        stamps,
        [
            Hlc::new(1_000, 0),
            Hlc::new(1_000, 1),
            Hlc::new(1_000, 2),
            Hlc::new(1_000, 3),
            Hlc::new(1_001, 0),
            Hlc::new(1_001, 1),
            Hlc::new(1_001, 2),
            Hlc::new(5_000, 0),
            Hlc::new(5_000, 1),
            Hlc::new(5_000, 2),
            Hlc::new(5_001, 0),
        ]
    );
    assert_eq!(clock.last(), Hlc::new(5_001, 0));
}

#[test]
fn a_clock_resumes_after_its_persisted_last_stamp() {
    // After a restart with the system clock set back an hour.
    let mut clock = HybridClock::starting_at(Hlc::new(HUB_NOW, 7));
    assert_eq!(clock.tick(HUB_NOW - 3_600_000), Hlc::new(HUB_NOW, 8));
}

#[test]
fn observing_a_future_stamp_moves_the_clock_forward() {
    let mut clock = HybridClock::starting_at(Hlc::new(1_000, 0));
    clock.observe(Hlc::new(9_000, 3));
    assert_eq!(clock.last(), Hlc::new(9_000, 3));
    // Physical time still behind: the next stamp follows the observed one.
    assert_eq!(clock.tick(2_000), Hlc::new(9_000, 4));
    // Physical time catches up: wall time again.
    assert_eq!(clock.tick(9_001), Hlc::new(9_001, 0));
}

#[test]
fn observing_a_past_or_equal_stamp_changes_nothing() {
    let mut clock = HybridClock::starting_at(Hlc::new(10, 5));
    for seen in [Hlc::new(5, 99), Hlc::new(10, 4), Hlc::new(10, 5), Hlc::ZERO] {
        clock.observe(seen);
        assert_eq!(clock.last(), Hlc::new(10, 5), "after {seen:?}");
    }
    clock.observe(Hlc::new(10, 6));
    assert_eq!(clock.last(), Hlc::new(10, 6));
}

#[test]
fn a_station_three_days_behind_replies_after_the_hub() {
    let hub_stamp = Hlc::new(HUB_NOW, 4);
    let mut station = HybridClock::starting_at(Hlc::new(HUB_NOW - 3 * DAY_MS - 10, 0));
    // Its own events before the pull carry its own (slow) time.
    let before = station.tick(HUB_NOW - 3 * DAY_MS);
    assert!(before < hub_stamp);
    station.observe(hub_stamp);
    let reply = station.tick(HUB_NOW - 3 * DAY_MS + 1_000);
    assert!(reply > hub_stamp, "{reply:?} must follow {hub_stamp:?}");
    let next = station.tick(HUB_NOW - 3 * DAY_MS + 2_000);
    assert!(next > reply);
}

#[test]
fn stamps_order_by_wall_then_counter() {
    let ordered = [
        Hlc::ZERO,
        Hlc::new(0, 1),
        Hlc::new(0, u32::MAX),
        Hlc::new(1, 0),
        Hlc::new(1, 1),
        Hlc::new(2, 0),
        Hlc::new(HUB_NOW, 0),
        Hlc::new(HUB_NOW, 1),
        Hlc::new(u64::MAX, 0),
    ];
    for (i, a) in ordered.iter().enumerate() {
        for (j, b) in ordered.iter().enumerate() {
            assert_eq!(a.cmp(b), i.cmp(&j), "{a:?} vs {b:?}");
        }
    }
    let mut shuffled = ordered;
    shuffled.reverse();
    shuffled.swap(1, 4);
    shuffled.sort();
    assert_eq!(shuffled, ordered);
}

#[test]
fn stamps_display_in_beijing_time() {
    // 2026-11-26T16:00:00Z is midnight of the 27th in Beijing.
    assert_eq!(
        Hlc::new(1_795_708_800_000, 3).to_string(),
        "2026-11-27 00:00#3"
    );
}
