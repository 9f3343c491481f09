//! sanji-domain: the rules of 综治信访维稳 work as pure data and functions.
//!
//! Owns: administrative codes, the ledgers' records and their validation,
//! events and their hash chain, the hybrid logical clock, the fold from
//! events to entity state, the county's daily summaries, CST calendar rules.
//!
//! Must not depend on: any IO (files, network, the system clock, randomness),
//! async runtimes, storage or wire formats. Callers pass `now` in.

pub mod arrived;
pub mod assessment;
pub mod attachment;
pub mod campaign;
pub mod case;
pub mod code;
pub mod command;
pub mod deadline;
pub mod error;
pub mod event;
pub mod fold;
pub mod hlc;
pub mod hotspot;
pub mod imported;
pub mod index;
pub mod labels;
pub mod meeting;
pub mod record;
pub mod register;
pub mod report;
pub mod reporting;
pub mod scope;
pub mod summary;
pub mod time;

pub use code::{Code, CodeError, Level};
pub use error::FieldError;
pub use event::{
    Digest, Event, EventBody, EventRef, HashRule, Origin, SevereScreeningReport, VersionVector,
};
pub use fold::{Entity, EntityState, fold};
pub use hlc::{Hlc, HybridClock};
pub use labels::Labelled;
pub use summary::DailySummary;
