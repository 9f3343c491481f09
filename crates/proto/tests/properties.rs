//! Whatever bytes arrive as a push batch: protobuf decoding and the one
//! conversion into domain events answer with an error or valid events,
//! never a panic, and never an event whose hash does not match its content.

use proptest::prelude::*;
use prost::Message;
use sanji_proto as proto;
use sanji_proto::convert;

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_as_a_push_batch_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(batch) = proto::PushBatch::decode(bytes.as_slice())
            && let Ok(events) = convert::events_from_wire(&batch.events)
        {
            for (wire, event) in batch.events.iter().zip(&events) {
                prop_assert_eq!(wire.hash.clone(), event.hash().0.to_vec());
            }
        }
    }

    /// Random field values in an otherwise well-formed event.
    #[test]
    fn random_event_fields_are_refused_or_consistent(
        id in proptest::collection::vec(any::<u8>(), 0..20),
        origin in "[0-9/a-z]{0,20}",
        seq in any::<u64>(),
        wall in any::<u64>(),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        prev in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let wire = proto::Event {
            id,
            origin,
            seq,
            hlc_wall_ms: wall,
            hlc_counter: 0,
            author: "测试".into(),
            entity: vec![1; 16],
            payload,
            prev_hash: prev,
            hash: vec![0; 32],
        };
        if let Ok(event) = convert::event_from_wire(&wire) {
            prop_assert_eq!(convert::event_to_wire(&event), wire);
        }
    }
}
