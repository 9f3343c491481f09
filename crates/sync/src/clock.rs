//! The physical clock a node reads. An offset exists so tests and drills can
//! run a node whose clock is wrong, as village laptops' often are.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    /// Added to the system clock, in milliseconds (negative: behind).
    pub offset_ms: i64,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { offset_ms: 0 }
    }

    pub fn skewed(offset_ms: i64) -> Clock {
        Clock { offset_ms }
    }

    pub fn now_ms(&self) -> u64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        (system + self.offset_ms).max(1) as u64
    }
}
