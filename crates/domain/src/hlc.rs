//! Hybrid logical clocks: wall time where clocks agree, causality where they do not.
//!
//! A station whose clock is days off still stamps its events after everything
//! it has seen, so the fold orders a reply after the message it answers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::{UnixMillis, format_cst};

/// A hybrid logical timestamp, ordered by wall time then counter.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Hlc {
    pub wall_ms: UnixMillis,
    pub counter: u32,
}

impl Hlc {
    pub const ZERO: Hlc = Hlc {
        wall_ms: 0,
        counter: 0,
    };

    pub fn new(wall_ms: UnixMillis, counter: u32) -> Hlc {
        Hlc { wall_ms, counter }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", format_cst(self.wall_ms), self.counter)
    }
}

/// The clock state a node keeps; pure: the caller passes the physical time in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HybridClock {
    last: Hlc,
}

impl HybridClock {
    pub fn starting_at(last: Hlc) -> HybridClock {
        HybridClock { last }
    }

    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A stamp for a local event, strictly after every stamp seen so far,
    /// even when the physical clock stepped back.
    pub fn tick(&mut self, physical_ms: UnixMillis) -> Hlc {
        self.last = if physical_ms > self.last.wall_ms {
            Hlc::new(physical_ms, 0)
        } else {
            Hlc::new(self.last.wall_ms, self.last.counter.saturating_add(1))
        };
        self.last
    }

    /// Takes in a stamp seen on a received event, so later local stamps follow it.
    pub fn observe(&mut self, seen: Hlc) {
        if seen > self.last {
            self.last = seen;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_strictly_increasing_even_when_the_clock_steps_back() {
        let mut clock = HybridClock::default();
        let a = clock.tick(1_000);
        let b = clock.tick(1_000);
        let c = clock.tick(500);
        let d = clock.tick(2_000);
        assert!(a < b && b < c && c < d, "{a:?} {b:?} {c:?} {d:?}");
        assert_eq!(c, Hlc::new(1_000, 2));
        assert_eq!(d, Hlc::new(2_000, 0));
    }

    #[test]
    fn a_slow_clock_stamps_after_what_it_has_seen() {
        let three_days_ms = 3 * 24 * 3600 * 1000;
        let hub_now = 1_800_000_000_000;
        let mut station = HybridClock::default();
        station.observe(Hlc::new(hub_now, 4));
        let reply = station.tick(hub_now - three_days_ms);
        assert!(reply > Hlc::new(hub_now, 4));
    }

    #[test]
    fn observing_an_older_stamp_changes_nothing() {
        let mut clock = HybridClock::starting_at(Hlc::new(10, 0));
        clock.observe(Hlc::new(5, 9));
        assert_eq!(clock.last(), Hlc::new(10, 0));
    }
}
