//! Wire ↔ domain, in one place. Decoding checks the shape (lengths, codes,
//! canonical payload under the event's hash rule), then the rules of the
//! ledgers (`Event::validate`), then the claimed hash, and names the field
//! that is wrong, so nothing invalid leaves this module as a domain event.

use sanji_domain::{Digest, Event, EventBody, FieldError, HashRule, Hlc, Origin, VersionVector};
use uuid::Uuid;

use crate as proto;

pub fn event_to_wire(event: &Event) -> proto::Event {
    let payload = event.payload();
    proto::Event {
        id: event.id.as_bytes().to_vec(),
        origin: event.origin.to_string(),
        seq: event.seq,
        hlc_wall_ms: event.hlc.wall_ms,
        hlc_counter: event.hlc.counter,
        author: event.author.clone(),
        entity: event.entity.as_bytes().to_vec(),
        hash: event.hash_with_payload(&payload).0.to_vec(),
        payload,
        prev_hash: event.prev_hash.0.to_vec(),
        hash_version: event.hash_rule.wire(),
    }
}

/// Decodes and validates one wire event. The error's field is prefixed with
/// the event's position so a rejected batch says which event was wrong.
pub fn event_from_wire(wire: &proto::Event) -> Result<Event, FieldError> {
    let hash_rule = HashRule::from_wire("hash_version", wire.hash_version)?;
    let event = Event {
        id: uuid("id", &wire.id)?,
        origin: origin("origin", &wire.origin)?,
        seq: wire.seq,
        hlc: Hlc::new(wire.hlc_wall_ms, wire.hlc_counter),
        author: wire.author.clone(),
        entity: uuid("entity", &wire.entity)?,
        body: EventBody::decode_under(&wire.payload, hash_rule)?,
        prev_hash: Digest::from_slice("prev_hash", &wire.prev_hash)?,
        hash_rule,
    };
    let claimed = Digest::from_slice("hash", &wire.hash)?;
    // The rules first: an implementer building events from the documents
    // learns which field is wrong before whether the hash agrees.
    event.validate()?;
    // The payload was checked to be exactly the canonical bytes: hashed as received.
    if event.hash_with_payload(&wire.payload) != claimed {
        return Err(FieldError::new(
            "hash",
            "与事件内容不符:事件在传输或存储中被改动(摘要的计算见 docs/PROTOCOL.md)",
        ));
    }
    Ok(event)
}

pub fn events_from_wire(wire: &[proto::Event]) -> Result<Vec<Event>, FieldError> {
    wire.iter()
        .enumerate()
        .map(|(i, w)| event_from_wire(w).map_err(|e| e.within(&format!("events[{i}]"))))
        .collect()
}

pub fn origin(field: &str, text: &str) -> Result<Origin, FieldError> {
    Origin::parse(text).map_err(|e| FieldError::new(field, e.to_string()))
}

fn uuid(field: &str, bytes: &[u8]) -> Result<Uuid, FieldError> {
    Uuid::from_slice(bytes).map_err(|_| {
        FieldError::new(
            field,
            format!("须为 16 字节的 UUID,而不是 {} 字节", bytes.len()),
        )
    })
}

pub fn origin_seq(origin: &Origin, seq: u64) -> proto::OriginSeq {
    proto::OriginSeq {
        origin: origin.to_string(),
        seq,
    }
}

pub fn vector_to_wire(vv: &VersionVector) -> Vec<proto::OriginSeq> {
    vv.iter().map(|(o, s)| origin_seq(o, *s)).collect()
}

pub fn vector_from_wire(
    field: &str,
    wire: &[proto::OriginSeq],
) -> Result<VersionVector, FieldError> {
    let mut vv = VersionVector::new();
    for (i, entry) in wire.iter().enumerate() {
        let o = origin(&format!("{field}[{i}].origin"), &entry.origin)?;
        if vv.insert(o, entry.seq).is_some() {
            return Err(FieldError::new(
                format!("{field}[{i}].origin"),
                "同一来源出现了两次",
            ));
        }
    }
    Ok(vv)
}
