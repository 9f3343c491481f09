//! The published test vectors (`proto/sanji/v1/vectors.json`): one event of
//! every kind, its wire fields, its canonical payload, the exact bytes its
//! hash covers and the hash. Each is checked as an outside implementation
//! would check itself — the payload against a general RFC 8785 library, the
//! hash input rebuilt from the fields as docs/PROTOCOL.md describes it, the
//! hash with a plain SHA-256 — and then accepted by our own decoder, so the
//! file, the document and the code cannot drift apart.

use sanji_proto as proto;
use sanji_proto::convert::event_from_wire;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

const VECTORS: &str = include_str!("../../../proto/sanji/v1/vectors.json");

/// Every kind of event there is (`EventBody::kind`).
const KINDS: [&str; 21] = [
    "assessment_filed",
    "campaign_declared",
    "case_handed_down",
    "case_imported",
    "case_registered",
    "case_reported",
    "case_stepped",
    "hotspot_recorded",
    "incident_recorded",
    "meeting_recorded",
    "monthly_report_filed",
    "register_numbered",
    "screening_controlled",
    "screening_converted",
    "screening_imported",
    "screening_recorded",
    "screening_signed_off",
    "screening_summary",
    "severe_screening_reported",
    "visit_recorded",
    "zero_reported",
];

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is text"))
}

fn number(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} is a number"))
}

fn bytes(v: &Value, field: &str) -> Vec<u8> {
    hex::decode(text(v, field)).unwrap_or_else(|e| panic!("{field}: {e}"))
}

/// The hash input as docs/PROTOCOL.md tells it, from the wire fields alone.
fn hash_input_from_the_document(w: &proto::Event) -> Vec<u8> {
    let mut out = Vec::new();
    let mut field = |b: &[u8]| {
        out.extend_from_slice(&(b.len() as u64).to_be_bytes());
        out.extend_from_slice(b);
    };
    field(b"sanji.event.v2");
    field(&w.id);
    field(w.origin.as_bytes());
    field(&w.seq.to_be_bytes());
    field(&w.hlc_wall_ms.to_be_bytes());
    field(&w.hlc_counter.to_be_bytes());
    field(w.author.as_bytes());
    field(&w.entity);
    field(&w.payload);
    field(&w.prev_hash);
    out
}

#[test]
fn every_published_vector_checks_out_and_every_kind_has_one() {
    let file: Value = serde_json::from_str(VECTORS).expect("the vectors are JSON");
    assert_eq!(file["hash_rule"], "sanji.event.v2");
    let vectors = file["vectors"].as_array().expect("a list of vectors");
    let mut kinds = Vec::new();
    for v in vectors {
        let label = text(v, "kind");
        let wire = proto::Event {
            id: bytes(v, "id"),
            origin: text(v, "origin").to_owned(),
            seq: number(v, "seq"),
            hlc_wall_ms: number(v, "hlc_wall_ms"),
            hlc_counter: number(v, "hlc_counter") as u32,
            author: text(v, "author").to_owned(),
            entity: bytes(v, "entity"),
            payload: text(v, "payload").as_bytes().to_vec(),
            prev_hash: bytes(v, "prev_hash"),
            hash: bytes(v, "hash"),
            hash_version: number(v, "hash_version") as u32,
        };
        assert_eq!(wire.hash_version, 2, "{label}");
        // The payload is RFC 8785 of its own JSON value, by a library that
        // knows nothing of sanji.
        let value: Value = serde_json::from_slice(&wire.payload).unwrap();
        assert_eq!(
            serde_json_canonicalizer::to_vec(&value).unwrap(),
            wire.payload,
            "{label}: the payload is canonical"
        );
        let kind = value["kind"].as_str().expect("the payload names its kind");
        assert!(label.starts_with(kind), "{label} is a {kind}");
        let input = hash_input_from_the_document(&wire);
        assert_eq!(hex::encode(&input), text(v, "hash_input"), "{label}");
        assert_eq!(Sha256::digest(&input).as_slice(), wire.hash, "{label}");
        // And our own decoder takes it, rules and hash alike.
        let event = event_from_wire(&wire).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(event.body.kind(), kind);
        assert_eq!(event.hash_input(), input, "{label}");
        kinds.push(kind.to_owned());
    }
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds, KINDS, "one vector of every kind");
}

/// The published JSON Schema of event payloads, generated from the domain's
/// own types: the committed file is what the types say today
/// (`SANJI_UPDATE_SCHEMA=1` rewrites it), and every vector's payload is
/// valid against it, so the schema describes what is really sent.
#[test]
fn the_published_schema_is_the_types_and_every_vector_meets_it() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../proto/sanji/v1/event-payload.schema.json"
    );
    let generated =
        schemars::SchemaGenerator::default().into_root_schema_for::<sanji_domain::EventBody>();
    let mut generated = serde_json::to_value(&generated).unwrap();
    generated["title"] = "sanji.v1 event payload".into();
    generated["description"] =
        "The JSON of an Event's payload ({\"kind\", \"data\"}), before RFC 8785 canonicalization. Generated from sanji-domain's types; docs/PROTOCOL.md.".into();
    let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    if std::env::var_os("SANJI_UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let published = std::fs::read_to_string(path).expect("the schema is published");
    assert!(
        published == text,
        "proto/sanji/v1/event-payload.schema.json is not what the types say: run the test with SANJI_UPDATE_SCHEMA=1 and commit it"
    );
    let validator = jsonschema::validator_for(&generated).expect("a valid JSON Schema");
    let file: Value = serde_json::from_str(VECTORS).unwrap();
    for v in file["vectors"].as_array().unwrap() {
        let payload: Value = serde_json::from_str(text_of(v)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&payload)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", v["kind"]);
    }
    // Every member name a payload can have is ASCII, which the encoder's
    // JCS ordering relies on (EventBody::encode_under).
    fn names(schema: &Value, out: &mut Vec<String>) {
        match schema {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    out.extend(properties.keys().cloned());
                }
                map.values().for_each(|v| names(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| names(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    names(&generated, &mut all);
    assert!(all.len() > 100, "{all:?}");
    assert!(all.iter().all(|n| n.is_ascii()), "{all:?}");
    // And what the schema forbids, the receiver refuses: an unknown field.
    let mut extra: Value = serde_json::from_str(text_of(&file["vectors"][0])).unwrap();
    extra["data"]["unknown"] = 1.into();
    assert!(!validator.is_valid(&extra));
}

fn text_of(v: &Value) -> &str {
    v["payload"].as_str().unwrap()
}
