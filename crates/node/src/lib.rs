//! sanji-node: the three roles at runtime and the operator layer.
//!
//! Owns: node configuration, the station's record-and-sync operations, the
//! hub and county servers (replication + console + health + reflection), the
//! hub's forwarding to the county, the read views operators see, and the
//! local demo county. The CLI (and a future web console) call this layer;
//! nothing here prints.
//!
//! Must not depend on: sled directly, clap or any terminal formatting.

pub mod accounts;
pub mod config;
pub mod connections;
pub mod console;
pub mod demo;
mod error;
pub mod forward;
pub mod ops;
pub mod samples;
pub mod server;
pub mod station;
pub mod tracker;
pub mod views;

pub use config::{NodeConfig, Role};
pub use error::NodeError;
pub use station::Station;
