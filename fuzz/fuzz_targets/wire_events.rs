//! Any bytes as a push batch: decoding and the one conversion into domain
//! events must answer with an error or valid events, never panic, and every
//! event they accept must re-encode to exactly what arrived.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use sanji_proto as proto;
use sanji_proto::convert;

fuzz_target!(|bytes: &[u8]| {
    let Ok(batch) = proto::PushBatch::decode(bytes) else { return };
    for wire in &batch.events {
        if let Ok(event) = convert::event_from_wire(wire) {
            assert!(event.validate().is_ok());
            assert_eq!(&convert::event_to_wire(&event), wire, "an accepted event re-encodes unchanged");
        }
    }
    if let Ok(body) = sanji_domain::EventBody::decode(bytes) {
        assert_eq!(body.encode(), bytes, "only canonical payloads decode");
    }
});
