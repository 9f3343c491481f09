//! sanji-node: the three roles at runtime and the operator layer.
//!
//! Owns: node configuration, the station's record-and-sync operations, the
//! hub and county servers (replication + console + health + reflection), the
//! hub's forwarding to the county and the read views operators see. The CLI
//! (and a future web console) call this layer; nothing here prints. The demo
//! county and its sample records are sanji-demo's, outside what a hub links.
//!
//! Must not depend on: sled directly, clap or any terminal formatting.

pub mod accounts;
pub mod assessment;
pub mod attachments;
pub mod campaigns;
pub mod config;
pub mod connections;
pub mod console;
pub mod directory;
mod error;
pub mod export;
pub mod forward;
pub mod hotspots;
pub mod import;
pub mod meetings;
pub mod notices;
pub mod ops;
pub mod register;
pub mod reports;
pub mod server;
pub mod station;
pub mod station_api;
pub mod tracker;
pub mod views;

pub use config::{NodeConfig, Role};
pub use error::{NodeError, io_reason};
pub use station::Station;
