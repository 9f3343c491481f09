//! Valid wire events of every kind, then changed: a byte of the payload, an
//! envelope field, the hash, the order of the payload's keys or of the batch.
//! Each change has one exact outcome: refused, naming the field, or (for the
//! batch order) every event kept as it is and in the order sent.

// The domain's own fixtures: one valid event of every kind, from fixed inputs.
#[path = "../../domain/tests/common/mod.rs"]
mod common;

use proptest::prelude::*;
use prost::Message;
use sanji_domain::{EventBody, FieldError};
use sanji_proto as proto;
use sanji_proto::convert::{event_from_wire, event_to_wire, events_from_wire};

const KINDS: usize = 11;

fn wire_of_kind(kind: usize) -> proto::Event {
    event_to_wire(&common::one_event_of_each_kind()[kind])
}

fn hash_mismatch() -> FieldError {
    FieldError::new(
        "hash",
        "与事件内容不符:事件在传输或存储中被改动(摘要的计算见 docs/PROTOCOL.md)",
    )
}

/// A change to one envelope field that still decodes: refused by the rules
/// when the changed event breaks one (judged first, naming the field), else
/// only the hash can tell.
#[derive(Debug, Clone)]
enum Envelope {
    Id([u8; 16]),
    Origin(&'static str),
    Seq(u64),
    Wall(u64),
    Counter(u32),
    Author(String),
    Entity([u8; 16]),
    PrevHash([u8; 32]),
}

fn envelope_change() -> impl Strategy<Value = Envelope> {
    prop_oneof![
        any::<[u8; 16]>().prop_map(Envelope::Id),
        prop::sample::select(vec![
            "360123100201",
            "360123100202",
            "360123100",
            "360123100/outbox",
            "360123101/outbox",
            "360123",
        ])
        .prop_map(Envelope::Origin),
        any::<u64>().prop_map(Envelope::Seq),
        any::<u64>().prop_map(Envelope::Wall),
        any::<u32>().prop_map(Envelope::Counter),
        "\\PC{0,20}".prop_map(Envelope::Author),
        any::<[u8; 16]>().prop_map(Envelope::Entity),
        any::<[u8; 32]>().prop_map(Envelope::PrevHash),
    ]
}

impl Envelope {
    /// What the receiver must say of event `kind` so changed.
    fn refusal(&self, kind: usize) -> FieldError {
        let mut event = common::one_event_of_each_kind()[kind].clone();
        match self {
            Envelope::Id(b) => event.id = uuid::Uuid::from_bytes(*b),
            Envelope::Origin(o) => event.origin = sanji_domain::Origin::parse(o).unwrap(),
            Envelope::Seq(n) => event.seq = *n,
            Envelope::Wall(n) => event.hlc.wall_ms = *n,
            Envelope::Counter(n) => event.hlc.counter = *n,
            Envelope::Author(a) => event.author = a.clone(),
            Envelope::Entity(b) => event.entity = uuid::Uuid::from_bytes(*b),
            Envelope::PrevHash(b) => event.prev_hash = sanji_domain::Digest(*b),
        }
        event.validate().err().unwrap_or_else(hash_mismatch)
    }

    fn apply(&self, wire: &mut proto::Event) {
        match self {
            Envelope::Id(b) => wire.id = b.to_vec(),
            Envelope::Origin(o) => wire.origin = (*o).to_owned(),
            Envelope::Seq(n) => wire.seq = *n,
            Envelope::Wall(n) => wire.hlc_wall_ms = *n,
            Envelope::Counter(n) => wire.hlc_counter = *n,
            Envelope::Author(a) => wire.author = a.clone(),
            Envelope::Entity(b) => wire.entity = b.to_vec(),
            Envelope::PrevHash(b) => wire.prev_hash = b.to_vec(),
        }
    }
}

#[test]
fn every_kind_crosses_the_wire_unchanged() {
    let events = common::one_event_of_each_kind();
    assert_eq!(events.len(), KINDS);
    for event in &events {
        let wire = event_to_wire(event);
        let bytes = wire.encode_to_vec();
        let decoded = proto::Event::decode(bytes.as_slice()).unwrap();
        assert_eq!(
            event_from_wire(&decoded).as_ref(),
            Ok(event),
            "{}",
            event.body.kind()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// One payload byte changed: refused by the payload decoder with its own
    /// error when the bytes are no longer a canonical body; when they are
    /// (another body, same claimed hash), by the rule the body breaks, else
    /// as a hash mismatch.
    #[test]
    fn a_changed_payload_byte_is_refused(
        kind in 0..KINDS,
        index in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut wire = wire_of_kind(kind);
        let i = index.index(wire.payload.len());
        prop_assume!(wire.payload[i] != byte);
        wire.payload[i] = byte;
        let expected = match EventBody::decode_under(&wire.payload, sanji_domain::HashRule::V1) {
            Err(e) => e,
            // Another body: the rules judge it first, then the hash.
            Ok(body) => {
                let event = sanji_domain::Event {
                    body,
                    ..common::one_event_of_each_kind()[kind].clone()
                };
                event.validate().err().unwrap_or_else(hash_mismatch)
            }
        };
        prop_assert_eq!(event_from_wire(&wire), Err(expected));
    }

    /// One envelope field changed to another well-formed value: the rule it
    /// breaks, or a hash mismatch.
    #[test]
    fn a_changed_envelope_field_is_refused(kind in 0..KINDS, change in envelope_change()) {
        let original = wire_of_kind(kind);
        let mut wire = original.clone();
        change.apply(&mut wire);
        prop_assume!(wire != original);
        prop_assert_eq!(event_from_wire(&wire), Err(change.refusal(kind)));
    }

    /// A claimed hash that is not the event's: a mismatch; one of the wrong
    /// length: refused for its length.
    #[test]
    fn a_changed_hash_is_refused(kind in 0..KINDS, byte in 0..32usize, bit in 0..8u8, len in 0..64usize) {
        let mut wire = wire_of_kind(kind);
        wire.hash[byte] ^= 1 << bit;
        prop_assert_eq!(event_from_wire(&wire), Err(hash_mismatch()));
        prop_assume!(len != 32);
        wire.hash.resize(len, 0);
        let err = event_from_wire(&wire).unwrap_err();
        prop_assert_eq!(err.field, "hash");
        prop_assert!(err.rule.contains(&format!("而不是 {len} 字节")), "{}", err.rule);
    }

    /// The payload's keys in another order parse to the very same body, and
    /// are refused: only the canonical bytes are hashed.
    #[test]
    fn a_payload_with_its_keys_reordered_is_refused(kind in 0..KINDS) {
        let mut wire = wire_of_kind(kind);
        let value: serde_json::Value = serde_json::from_slice(&wire.payload).unwrap();
        wire.payload = serde_json::to_vec(&value).unwrap(); // keys sorted: "data" before "kind"
        let err = event_from_wire(&wire).unwrap_err();
        prop_assert_eq!(err.field, "payload");
        prop_assert!(err.rule.contains("规范"), "{}", err.rule);
    }

    /// A batch of every kind in any order converts to exactly those events in
    /// exactly that order (chain order is the store's to judge); a changed
    /// event anywhere in it is named by its position.
    #[test]
    fn a_batch_in_any_order_keeps_its_order_and_names_a_bad_event(
        order in Just((0..KINDS).collect::<Vec<_>>()).prop_shuffle(),
        bad in 0..KINDS,
    ) {
        let events = common::one_event_of_each_kind();
        let mut batch = proto::PushBatch {
            batch_no: 1,
            events: order.iter().map(|&k| event_to_wire(&events[k])).collect(),
        };
        let batch_bytes = batch.encode_to_vec();
        let received = proto::PushBatch::decode(batch_bytes.as_slice()).unwrap();
        let expected: Vec<_> = order.iter().map(|&k| events[k].clone()).collect();
        prop_assert_eq!(events_from_wire(&received.events), Ok(expected));

        batch.events[bad].author.push('甲');
        let err = events_from_wire(&batch.events).unwrap_err();
        prop_assert_eq!(err, hash_mismatch().within(&format!("events[{bad}]")));
    }

    /// Whatever bytes arrive as a push batch: an error, or events that are
    /// exactly what was sent.
    #[test]
    fn any_bytes_as_a_push_batch_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(batch) = proto::PushBatch::decode(bytes.as_slice())
            && let Ok(events) = events_from_wire(&batch.events)
        {
            let back: Vec<_> = events.iter().map(event_to_wire).collect();
            prop_assert_eq!(back, batch.events);
        }
    }
}
