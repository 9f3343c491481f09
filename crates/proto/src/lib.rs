//! sanji-proto: the `sanji.v1` wire types (generated at build time from
//! `proto/` by protox, no system protoc) and [`convert`], the one place where
//! wire types become domain types and back.
//!
//! Callers write `use sanji_proto as proto;` so every wire type reads `proto::X`.
//!
//! Must not depend on: storage, the network runtime beyond tonic's generated
//! stubs, or any role's logic.

#[allow(clippy::all, clippy::pedantic)]
mod generated {
    tonic::include_proto!("sanji.v1");
}

pub mod convert;

pub use generated::*;

/// The encoded `FileDescriptorSet` of `sanji.v1`, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/sanji_descriptor.bin"));

/// Most events one push or pull message may carry.
pub const MAX_BATCH_EVENTS: usize = 1000;

/// Largest message either side decodes: enough for a full batch of events at
/// the text limits, far below what would let one peer exhaust memory.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Most file hashes one `AttachmentsHeld` may ask about.
pub const MAX_ATTACHMENTS_ASKED: usize = 1000;
