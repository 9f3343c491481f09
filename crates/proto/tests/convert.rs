//! Wire ↔ domain: a round trip keeps every field, and every way a wire event
//! can be wrong is refused with the field named.

use sanji_domain::record::{Category, Party, RiskLevel, Screening};
use sanji_domain::time::cst_date;
use sanji_domain::{
    Code, DailySummary, Digest, Event, EventBody, EventRef, Hlc, Origin, SevereScreeningReport,
    VersionVector,
};
use sanji_proto as proto;
use sanji_proto::convert::{
    event_from_wire, event_to_wire, events_from_wire, origin, origin_seq, vector_from_wire,
    vector_to_wire,
};
use uuid::Uuid;

const VILLAGE: &str = "360123100201";
const TOWNSHIP: &str = "360123100";
/// 2026-11-26T02:00:00Z, 10:00 in Beijing.
const NOW_MS: u64 = 1_795_658_400_000;
const DAY_MS: u64 = 24 * 3_600_000;

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

fn v7(ms: u64, salt: u8) -> Uuid {
    uuid::Builder::from_unix_timestamp_millis(ms, &[salt; 10]).into_uuid()
}

fn screening(risk: RiskLevel) -> Screening {
    Screening {
        village: code(VILLAGE),
        screened_on: cst_date(NOW_MS - DAY_MS),
        screener: "李明".into(),
        category: Category::Land,
        parties: vec![
            Party {
                name: "王某".into(),
                contact: Some("13800000000".into()),
            },
            Party {
                name: "张某".into(),
                contact: None,
            },
        ],
        people_involved: 2,
        risk,
        may_escalate: false,
        mass_incident_risk: false,
        description: "两户因宅基地边界发生争执".into(),
        measures: "已上门调解".into(),
        line: None,
    }
}

fn screening_event(seq: u64) -> Event {
    Event {
        hash_rule: sanji_domain::HashRule::CURRENT,
        id: v7(NOW_MS, seq as u8),
        origin: Origin::node(code(VILLAGE)),
        seq,
        hlc: Hlc::new(NOW_MS, 0),
        author: "李明".into(),
        entity: v7(NOW_MS, 0xE5),
        body: EventBody::ScreeningRecorded(screening(RiskLevel::General)),
        prev_hash: if seq == 1 {
            Digest::GENESIS
        } else {
            Digest([seq as u8; 32])
        },
    }
}

fn report_event() -> Event {
    Event {
        hash_rule: sanji_domain::HashRule::CURRENT,
        id: v7(NOW_MS + 1_000, 1),
        origin: Origin::outbox(code(TOWNSHIP)),
        seq: 1,
        hlc: Hlc::new(NOW_MS + 1_000, 2),
        author: "中心总台".into(),
        entity: v7(NOW_MS, 0xE5),
        body: EventBody::SevereScreeningReported(SevereScreeningReport {
            screening: screening(RiskLevel::Severe),
            source: EventRef {
                origin: Origin::node(code(VILLAGE)),
                seq: 3,
            },
            recorded_at: Hlc::new(NOW_MS, 0),
        }),
        prev_hash: Digest::GENESIS,
    }
}

fn summary_event() -> Event {
    let village = code(VILLAGE);
    let date = cst_date(NOW_MS - DAY_MS);
    let records = [screening(RiskLevel::General), screening(RiskLevel::Major)];
    Event {
        hash_rule: sanji_domain::HashRule::CURRENT,
        id: v7(NOW_MS + 2_000, 2),
        origin: Origin::outbox(code(TOWNSHIP)),
        seq: 2,
        hlc: Hlc::new(NOW_MS + 2_000, 0),
        author: "中心总台".into(),
        entity: DailySummary::entity_id(&village, date),
        body: EventBody::ScreeningSummary(DailySummary::compute(&village, date, &records, 1)),
        prev_hash: Digest([0x42; 32]),
    }
}

/// A change to a wire event.
type Mutation = fn(&mut proto::Event);

fn err_of(wire: &proto::Event) -> sanji_domain::FieldError {
    match event_from_wire(wire) {
        Ok(e) => panic!("accepted {e:?}"),
        Err(e) => e,
    }
}

#[test]
fn events_round_trip_through_the_wire() {
    for event in [
        screening_event(1),
        screening_event(9),
        report_event(),
        summary_event(),
    ] {
        assert_eq!(event.validate(), Ok(()), "fixture {:?}", event.event_ref());
        let wire = event_to_wire(&event);
        assert_eq!(wire.id, event.id.as_bytes());
        assert_eq!(wire.origin, event.origin.to_string());
        assert_eq!(wire.seq, event.seq);
        assert_eq!(wire.hlc_wall_ms, event.hlc.wall_ms);
        assert_eq!(wire.hlc_counter, event.hlc.counter);
        assert_eq!(wire.author, event.author);
        assert_eq!(wire.entity, event.entity.as_bytes());
        assert_eq!(wire.payload, event.body.encode());
        assert_eq!(wire.prev_hash, event.prev_hash.0);
        assert_eq!(wire.hash, event.hash().0);
        let back = event_from_wire(&wire).unwrap();
        assert_eq!(back, event);
        assert_eq!(event_to_wire(&back), wire);
    }
    assert_eq!(event_to_wire(&report_event()).origin, "360123100/outbox");
}

#[test]
fn events_survive_protobuf_encoding() {
    use prost::Message;
    let wire = event_to_wire(&report_event());
    let bytes = wire.encode_to_vec();
    let decoded = proto::Event::decode(bytes.as_slice()).unwrap();
    assert_eq!(event_from_wire(&decoded).unwrap(), report_event());
}

#[test]
fn every_flipped_payload_byte_is_caught() {
    let wire = event_to_wire(&screening_event(1));
    for i in 0..wire.payload.len() {
        for bit in [0x01, 0x20, 0x80] {
            let mut bad = wire.clone();
            bad.payload[i] ^= bit;
            let err = err_of(&bad);
            assert!(
                err.field == "hash" || err.field.starts_with("payload"),
                "byte {i} ^ {bit:#x}: {err:?}"
            );
        }
    }
}

#[test]
fn a_payload_change_that_still_parses_is_a_hash_mismatch() {
    let mut wire = event_to_wire(&screening_event(1));
    let text = String::from_utf8(wire.payload.clone()).unwrap();
    let tampered = text.replace(r#""people_involved":2"#, r#""people_involved":3"#);
    assert_ne!(tampered, text);
    wire.payload = tampered.into_bytes();
    let err = err_of(&wire);
    assert_eq!(err.field, "hash");
    assert!(err.rule.contains("改动"), "{}", err.rule);
}

#[test]
fn every_envelope_field_is_covered_by_the_hash() {
    let good = event_to_wire(&screening_event(5));
    let rows: Vec<(&str, Mutation)> = vec![
        ("id", |w| w.id[15] ^= 1),
        ("seq", |w| w.seq += 1),
        ("hlc wall", |w| w.hlc_wall_ms += 1),
        ("hlc counter", |w| w.hlc_counter += 1),
        ("author", |w| w.author = "王强".into()),
        ("entity", |w| w.entity[15] ^= 1),
        ("prev_hash", |w| w.prev_hash[0] ^= 1),
        ("hash", |w| w.hash[31] ^= 1),
    ];
    for (what, mutate) in rows {
        let mut bad = good.clone();
        mutate(&mut bad);
        let err = err_of(&bad);
        assert_eq!(err.field, "hash", "{what}: {err:?}");
    }
    // The rules are judged before the hash, so a sender learns which field
    // breaks them: another origin than the record's village is named so.
    let mut bad = good.clone();
    bad.origin = "360123100202".into();
    assert_eq!(err_of(&bad).field, "payload.data.village");
    // The payload is read under the rule the event names.
    let mut bad = good.clone();
    bad.hash_version = 1;
    let err = err_of(&bad);
    assert_eq!(err.field, "payload", "{err:?}");
    bad.hash_version = 3;
    let err = err_of(&bad);
    assert_eq!(err.field, "hash_version", "{err:?}");
    assert!(err.rule.contains("升级"), "{err:?}");
}

#[test]
fn malformed_fields_are_named() {
    let good = event_to_wire(&screening_event(5));
    let rows: Vec<(&str, Mutation, &str, &str)> = vec![
        ("id too short", |w| w.id.truncate(15), "id", "15 字节"),
        ("id too long", |w| w.id.push(0), "id", "17 字节"),
        ("id missing", |w| w.id.clear(), "id", "0 字节"),
        (
            "entity too short",
            |w| w.entity.truncate(8),
            "entity",
            "8 字节",
        ),
        (
            "bad origin suffix",
            |w| w.origin = "360123100/other".into(),
            "origin",
            "位",
        ),
        (
            "origin not digits",
            |w| w.origin = "36012310020x".into(),
            "origin",
            "数字",
        ),
        ("origin empty", |w| w.origin.clear(), "origin", "0 位"),
        (
            "payload empty",
            |w| w.payload.clear(),
            "payload",
            "无法解析",
        ),
        (
            "payload not JSON",
            |w| w.payload = b"weather".to_vec(),
            "payload",
            "无法解析",
        ),
        (
            "payload of an unknown kind",
            |w| w.payload = br#"{"kind":"weather","data":{}}"#.to_vec(),
            "payload.kind",
            "weather",
        ),
        (
            "payload not canonical",
            |w| w.payload.push(b' '),
            "payload",
            "规范",
        ),
        (
            "prev_hash too short",
            |w| w.prev_hash.truncate(31),
            "prev_hash",
            "31 字节",
        ),
        (
            "prev_hash missing",
            |w| w.prev_hash.clear(),
            "prev_hash",
            "0 字节",
        ),
        ("hash missing", |w| w.hash.clear(), "hash", "0 字节"),
        ("hash too long", |w| w.hash.push(0), "hash", "33 字节"),
    ];
    for (what, mutate, field, needle) in rows {
        let mut bad = good.clone();
        mutate(&mut bad);
        let err = err_of(&bad);
        assert_eq!(err.field, field, "{what}: {err:?}");
        assert!(err.rule.contains(needle), "{what}: {err:?}");
    }
}

#[test]
fn a_well_hashed_event_must_still_obey_the_rules() {
    // The sender hashed it honestly, but the event itself is invalid.
    let mut seq0 = screening_event(5);
    seq0.seq = 0;
    assert_eq!(err_of(&event_to_wire(&seq0)).field, "seq");

    let mut wrong_village = screening_event(5);
    wrong_village.origin = Origin::node(code("360123100202"));
    assert_eq!(
        err_of(&event_to_wire(&wrong_village)).field,
        "payload.data.village"
    );

    let mut future = screening_event(5);
    if let EventBody::ScreeningRecorded(s) = &mut future.body {
        s.screened_on = cst_date(NOW_MS + DAY_MS);
    }
    let err = err_of(&event_to_wire(&future));
    assert_eq!(err.field, "payload.data.screened_on");
    assert!(err.rule.contains("将来"), "{}", err.rule);

    let mut summary_from_village = summary_event();
    summary_from_village.origin = Origin::node(code(VILLAGE));
    assert_eq!(
        err_of(&event_to_wire(&summary_from_village)).field,
        "origin"
    );
}

#[test]
fn a_batch_names_the_position_of_the_bad_event() {
    let good = [screening_event(1), screening_event(2), report_event()];
    let wire: Vec<proto::Event> = good.iter().map(event_to_wire).collect();
    assert_eq!(events_from_wire(&wire).unwrap(), good);
    assert_eq!(events_from_wire(&[]).unwrap(), []);

    let mut bad_id = wire.clone();
    bad_id[1].id.truncate(3);
    let err = events_from_wire(&bad_id).unwrap_err();
    assert_eq!(err.field, "events[1].id");
    assert!(err.rule.contains("3 字节"), "{}", err.rule);

    let mut bad_payload = wire.clone();
    bad_payload[2].payload = br#"{"kind":"weather","data":{}}"#.to_vec();
    assert_eq!(
        events_from_wire(&bad_payload).unwrap_err().field,
        "events[2].payload.kind"
    );

    let mut tampered = wire.clone();
    tampered[0].author = "王强".into();
    tampered[2].seq = 0;
    assert_eq!(
        events_from_wire(&tampered).unwrap_err().field,
        "events[0].hash",
        "the first bad event is reported"
    );

    let mut nested = wire;
    let mut unnamed_party = screening_event(2);
    if let EventBody::ScreeningRecorded(s) = &mut unnamed_party.body {
        s.parties[1].name = String::new();
    }
    nested[1] = event_to_wire(&unnamed_party);
    assert_eq!(
        events_from_wire(&nested).unwrap_err().field,
        "events[1].payload.data.parties[1].name"
    );
}

#[test]
fn version_vectors_round_trip() {
    let vv: VersionVector = [
        (Origin::node(code(VILLAGE)), 12),
        (Origin::node(code(TOWNSHIP)), 3),
        (Origin::outbox(code(TOWNSHIP)), 7), // same code, different ledger
        (Origin::node(code("360123100202")), 0),
    ]
    .into();
    let wire = vector_to_wire(&vv);
    assert_eq!(wire.len(), 4);
    assert_eq!(vector_from_wire("heads", &wire).unwrap(), vv);
    assert_eq!(
        vector_from_wire("heads", &[]).unwrap(),
        VersionVector::new()
    );
    let one = origin_seq(&Origin::outbox(code(TOWNSHIP)), 7);
    assert_eq!(one.origin, "360123100/outbox");
    assert_eq!(one.seq, 7);
}

#[test]
fn version_vectors_refuse_duplicates_and_bad_codes() {
    let entry = |o: &str, seq| proto::OriginSeq {
        origin: o.into(),
        seq,
    };
    let duplicated = [
        entry(VILLAGE, 1),
        entry("360123100/outbox", 2),
        entry(VILLAGE, 5),
    ];
    let err = vector_from_wire("local_heads", &duplicated).unwrap_err();
    assert_eq!(err.field, "local_heads[2].origin");
    assert!(err.rule.contains("两次"), "{}", err.rule);

    // Even with the same seq, a repeated origin is malformed.
    let same = [entry(VILLAGE, 1), entry(VILLAGE, 1)];
    assert_eq!(
        vector_from_wire("acked", &same).unwrap_err().field,
        "acked[1].origin"
    );

    for (bad, needle) in [
        ("36012310020", "11 位"),
        ("360123000201", "乡镇段"),
        ("360123100/other", "位"),
        ("", "0 位"),
    ] {
        let wire = [entry(TOWNSHIP, 1), entry(bad, 1)];
        let err = vector_from_wire("acked", &wire).unwrap_err();
        assert_eq!(err.field, "acked[1].origin", "{bad:?}");
        assert!(err.rule.contains(needle), "{bad:?}: {}", err.rule);
    }
}

#[test]
fn origin_names_its_field() {
    assert_eq!(
        origin("request.origin", "360123100/outbox").unwrap(),
        Origin::outbox(code(TOWNSHIP))
    );
    let err = origin("request.origin", "360123100/other").unwrap_err();
    assert_eq!(err.field, "request.origin");
}
