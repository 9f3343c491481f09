//! Events on their own: the rules every event must satisfy whoever sends it,
//! the canonical payload encoding, and the tamper-evident hash.

mod common;

use common::*;
use sanji_domain::record::{Category, RiskLevel, Screening};
use sanji_domain::summary::CellCount;
use sanji_domain::{
    DailySummary, Digest, Event, EventBody, EventRef, FieldError, HashRule, Hlc, Origin,
};
use uuid::Uuid;

// ---------------------------------------------------------------- validate

fn body_mut<T>(event: &mut Event, f: impl FnOnce(&mut EventBody) -> Option<&mut T>) -> &mut T {
    f(&mut event.body).expect("the fixture has the expected kind")
}

fn screening_of(body: &mut EventBody) -> Option<&mut Screening> {
    match body {
        EventBody::ScreeningRecorded(s) => Some(s),
        EventBody::SevereScreeningReported(r) => Some(&mut r.screening),
        _ => None,
    }
}

fn visit_of(body: &mut EventBody) -> Option<&mut sanji_domain::record::Visit> {
    match body {
        EventBody::VisitRecorded(v) => Some(v),
        _ => None,
    }
}

fn case_of(body: &mut EventBody) -> Option<&mut sanji_domain::record::CaseRegistration> {
    match body {
        EventBody::CaseRegistered(c) => Some(c),
        _ => None,
    }
}

fn summary_of(body: &mut EventBody) -> Option<&mut DailySummary> {
    match body {
        EventBody::ScreeningSummary(s) => Some(s),
        _ => None,
    }
}

#[test]
fn realistic_events_are_valid() {
    for (what, event) in [
        ("screening", screening_event()),
        ("severe screening", severe_screening_event()),
        ("severe report", severe_report_event()),
        ("summary", summary_event(1, Hlc::new(NOW_MS, 0), 1)),
        ("visit at a village", visit_event()),
        ("case at the township", case_event()),
    ] {
        assert_eq!(event.validate(), Ok(()), "{what}");
    }
}

type EventRow = (&'static str, Event, &'static str, &'static str);

fn check_events(rows: Vec<EventRow>) {
    let mut failures = Vec::new();
    for (what, event, field, needle) in rows {
        match event.validate() {
            Ok(()) => failures.push(format!("{what}: accepted, expected an error on {field}")),
            Err(e) if e.field != field || !e.rule.contains(needle) => failures.push(format!(
                "{what}: got {e:?}, expected field {field:?} with rule containing {needle:?}"
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn with(mut event: Event, f: impl FnOnce(&mut Event)) -> Event {
    f(&mut event);
    event
}

#[test]
fn the_envelope_rules_name_their_field() {
    check_events(vec![
        (
            "UUIDv5 id",
            with(screening_event(), |e| {
                e.id = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"x")
            }),
            "id",
            "UUIDv7",
        ),
        (
            "UUIDv4-shaped id",
            with(screening_event(), |e| {
                e.id = uuid::Builder::from_random_bytes([7; 16]).into_uuid()
            }),
            "id",
            "UUIDv7",
        ),
        (
            "nil id",
            with(screening_event(), |e| e.id = Uuid::nil()),
            "id",
            "UUIDv7",
        ),
        (
            "seq 0",
            with(screening_event(), |e| e.seq = 0),
            "seq",
            "从 1 开始",
        ),
        (
            "seq 1 chained to something",
            with(screening_event(), |e| {
                e.seq = 1;
                e.prev_hash = Digest([1; 32]);
            }),
            "prev_hash",
            "全 0",
        ),
        (
            "hlc wall 0",
            with(screening_event(), |e| e.hlc = Hlc::new(0, 5)),
            "hlc",
            "不能为 0",
        ),
        (
            "author empty",
            with(screening_event(), |e| e.author = String::new()),
            "author",
            "不能为空",
        ),
        (
            "author blank",
            with(screening_event(), |e| e.author = "  ".into()),
            "author",
            "不能为空",
        ),
        (
            "author too long",
            with(screening_event(), |e| e.author = chinese(51)),
            "author",
            "过长",
        ),
        (
            "author with a control character",
            with(screening_event(), |e| e.author = "李\u{8}明".into()),
            "author",
            "控制字符",
        ),
        (
            "nil entity",
            with(screening_event(), |e| e.entity = Uuid::nil()),
            "entity",
            "空 UUID",
        ),
    ]);
}

#[test]
fn a_later_seq_may_carry_any_prev_hash_and_seq_1_genesis_is_fine() {
    let genesis = with(screening_event(), |e| {
        e.seq = 1;
        e.prev_hash = Digest::GENESIS;
    });
    assert_eq!(genesis.validate(), Ok(()));
    // Chain continuity is the store's job (it knows the previous event).
    let chained = with(screening_event(), |e| e.prev_hash = Digest([0xAB; 32]));
    assert_eq!(chained.validate(), Ok(()));
}

#[test]
fn origins_may_write_only_their_own_kinds() {
    let other_village = Origin::node(code(OTHER_VILLAGE));
    check_events(vec![
        (
            "screening from another village than its own",
            with(screening_event(), |e| e.origin = other_village.clone()),
            "payload.data.village",
            "与事件来源",
        ),
        (
            "screening from the county",
            with(screening_event(), |e| e.origin = Origin::node(code(COUNTY))),
            "origin",
            "screening_recorded",
        ),
        (
            "the center's own screening of another township's village",
            with(screening_event(), |e| {
                e.origin = Origin::node(code(OTHER_TOWNSHIP));
            }),
            "payload.data.village",
            "不在 360123101 辖区内",
        ),
        (
            "screening from the outbox",
            with(screening_event(), |e| e.origin = outbox_origin()),
            "origin",
            "screening_recorded",
        ),
        (
            "screening from the county",
            with(screening_event(), |e| e.origin = Origin::node(code(COUNTY))),
            "origin",
            "screening_recorded",
        ),
        (
            "summary from the township's own ledger",
            with(summary_event(2, Hlc::new(NOW_MS, 0), 1), |e| {
                e.origin = township_origin()
            }),
            "origin",
            "screening_summary",
        ),
        (
            "summary from a village",
            with(summary_event(2, Hlc::new(NOW_MS, 0), 1), |e| {
                e.origin = village_origin()
            }),
            "origin",
            "screening_summary",
        ),
        (
            "summary from a county's outbox",
            with(summary_event(2, Hlc::new(NOW_MS, 0), 1), |e| {
                e.origin = Origin::outbox(code(COUNTY))
            }),
            "origin",
            "screening_summary",
        ),
        (
            "summary from another township's outbox",
            with(summary_event(2, Hlc::new(NOW_MS, 0), 1), |e| {
                e.origin = Origin::outbox(code(OTHER_TOWNSHIP))
            }),
            "payload.data.village",
            "辖区",
        ),
        (
            "severe report from the township's own ledger",
            with(severe_report_event(), |e| e.origin = township_origin()),
            "origin",
            "severe_screening_reported",
        ),
        (
            "severe report from a county's outbox",
            with(severe_report_event(), |e| {
                e.origin = Origin::outbox(code(COUNTY))
            }),
            "origin",
            "severe_screening_reported",
        ),
        (
            "visit from the county",
            with(visit_event(), |e| e.origin = Origin::node(code(COUNTY))),
            "origin",
            "visit_recorded",
        ),
        (
            "visit from an outbox",
            with(visit_event(), |e| e.origin = outbox_origin()),
            "origin",
            "visit_recorded",
        ),
        (
            "visit received elsewhere than its origin",
            with(visit_event(), |e| e.origin = township_origin()),
            "payload.data.received_at",
            "与事件来源",
        ),
        (
            "case from the county",
            with(case_event(), |e| e.origin = Origin::node(code(COUNTY))),
            "origin",
            "case_registered",
        ),
        (
            "case at a place outside the registering village",
            with(case_event(), |e| {
                e.origin = Origin::node(code(OTHER_VILLAGE))
            }),
            "payload.data.place",
            "辖区",
        ),
        (
            "case at a place outside the registering township",
            with(case_event(), |e| {
                e.origin = Origin::node(code(OTHER_TOWNSHIP))
            }),
            "payload.data.place",
            "辖区",
        ),
    ]);
}

#[test]
fn origins_in_their_rights_are_accepted() {
    let visit_at_township = with(visit_event(), |e| {
        e.origin = township_origin();
        body_mut(e, visit_of).received_at = code(TOWNSHIP);
    });
    let case_at_village_by_village = with(case_event(), |e| e.origin = village_origin());
    let case_at_township_by_township = with(case_event(), |e| {
        body_mut(e, case_of).place = code(TOWNSHIP);
    });
    for (what, event) in [
        ("visit at the township", visit_at_township),
        ("case by its village", case_at_village_by_village),
        ("case at the township itself", case_at_township_by_township),
    ] {
        assert_eq!(event.validate(), Ok(()), "{what}");
    }
}

#[test]
fn payload_rules_are_reported_under_payload_data() {
    check_events(vec![
        (
            "screening without a screener",
            with(screening_event(), |e| {
                body_mut(e, screening_of).screener = String::new()
            }),
            "payload.data.screener",
            "不能为空",
        ),
        (
            "screening party without a name",
            with(screening_event(), |e| {
                body_mut(e, screening_of).parties[1].name = " ".into()
            }),
            "payload.data.parties[1].name",
            "不能为空",
        ),
        (
            "screening naming a township as its village",
            with(screening_event(), |e| {
                e.origin = Origin::node(code(TOWNSHIP));
                body_mut(e, screening_of).village = code(TOWNSHIP);
            }),
            "payload.data.village",
            "村级代码",
        ),
        (
            "severe report with no people involved",
            with(severe_report_event(), |e| {
                body_mut(e, screening_of).people_involved = 0
            }),
            "payload.data.screening.people_involved",
            "1 到",
        ),
        (
            "summary whose records do not add up",
            with(summary_event(2, Hlc::new(NOW_MS, 0), 1), |e| {
                body_mut(e, summary_of).records += 1
            }),
            "payload.data.records",
            "不符",
        ),
    ]);
}

#[test]
fn forwarding_rules_are_checked() {
    let mut ordinary = severe_report_event();
    if let EventBody::SevereScreeningReported(r) = &mut ordinary.body {
        r.screening.risk = RiskLevel::Major;
        r.screening.mass_incident_risk = false;
    }
    let mut foreign = severe_report_event();
    if let EventBody::SevereScreeningReported(r) = &mut foreign.body {
        r.screening.village = code(FOREIGN_VILLAGE);
        r.source.origin = Origin::node(code(FOREIGN_VILLAGE));
    }
    let mut wrong_source = severe_report_event();
    if let EventBody::SevereScreeningReported(r) = &mut wrong_source.body {
        r.source = EventRef {
            origin: Origin::node(code(OTHER_VILLAGE)),
            seq: 3,
        };
    }
    let mut from_outbox_source = severe_report_event();
    if let EventBody::SevereScreeningReported(r) = &mut from_outbox_source.body {
        r.source.origin = outbox_origin();
    }
    let mut foreign_summary = summary_event(2, Hlc::new(NOW_MS, 0), 1);
    if let EventBody::ScreeningSummary(s) = &mut foreign_summary.body {
        s.village = code(FOREIGN_VILLAGE);
    }
    foreign_summary.entity = DailySummary::entity_id(&code(FOREIGN_VILLAGE), date("2026-11-25"));
    check_events(vec![
        (
            "severe report of an ordinary screening",
            ordinary,
            "payload.data.screening.risk",
            "重大",
        ),
        (
            "severe report of another township's village",
            foreign,
            "payload.data.screening.village",
            "辖区",
        ),
        (
            "severe report citing another village's ledger",
            wrong_source,
            "payload.data.source",
            "该村",
        ),
        (
            "severe report citing the outbox as its source",
            from_outbox_source,
            "payload.data.source",
            "该村",
        ),
        (
            "summary of another township's village",
            foreign_summary,
            "payload.data.village",
            "辖区",
        ),
        (
            "summary under a random entity id",
            with(summary_event(2, Hlc::new(NOW_MS, 0), 1), |e| {
                e.entity = v7(NOW_MS, 99)
            }),
            "entity",
            "村代码和日期",
        ),
        (
            "summary under the id of another day",
            with(summary_event(2, Hlc::new(NOW_MS, 0), 1), |e| {
                e.entity = DailySummary::entity_id(&code(VILLAGE), date("2026-11-26"))
            }),
            "entity",
            "村代码和日期",
        ),
        (
            "summary under the id of another village",
            with(summary_event(2, Hlc::new(NOW_MS, 0), 1), |e| {
                e.entity = DailySummary::entity_id(&code(OTHER_VILLAGE), date("2026-11-25"))
            }),
            "entity",
            "村代码和日期",
        ),
    ]);
}

#[test]
fn mass_incident_risk_alone_makes_a_screening_reportable() {
    let event = with(severe_report_event(), |e| {
        let s = body_mut(e, screening_of);
        s.risk = RiskLevel::General;
        s.mass_incident_risk = true;
    });
    assert_eq!(event.validate(), Ok(()));
}

/// 2026-11-26T16:00:00Z, midnight between the 26th and 27th in Beijing.
const CST_MIDNIGHT_27: u64 = 1_795_708_800_000;

fn screening_dated(day: &str, wall_ms: u64) -> Event {
    with(screening_event(), |e| {
        e.hlc = Hlc::new(wall_ms, 0);
        e.id = v7(wall_ms, 1);
        body_mut(e, screening_of).screened_on = date(day);
    })
}

#[test]
fn record_dates_are_judged_by_the_events_own_cst_day() {
    // 16:30Z is 00:30 on the 27th in Beijing: a screening of the 27th is today's.
    let after_midnight = screening_dated("2026-11-27", CST_MIDNIGHT_27 + 30 * 60 * 1000);
    assert_eq!(after_midnight.validate(), Ok(()));
    // 15:30Z is still 23:30 on the 26th: the 27th is tomorrow.
    let before_midnight = screening_dated("2026-11-27", CST_MIDNIGHT_27 - 30 * 60 * 1000);
    let err = before_midnight.validate().unwrap_err();
    assert_eq!(err.field, "payload.data.screened_on");
    assert!(err.rule.contains("将来"), "{}", err.rule);
    // The exact boundary.
    assert_eq!(
        screening_dated("2026-11-27", CST_MIDNIGHT_27).validate(),
        Ok(())
    );
    assert!(
        screening_dated("2026-11-27", CST_MIDNIGHT_27 - 1)
            .validate()
            .is_err()
    );
}

#[test]
fn a_station_with_a_slow_clock_is_judged_by_its_own_calendar() {
    // The station's clock says 2026-11-20; a screening of the 21st is then "in the future",
    // however late it reaches the hub.
    let slow = screening_dated("2026-11-21", CST_MIDNIGHT_27 - 6 * DAY_MS - HOUR_MS);
    assert_eq!(
        slow.validate().unwrap_err().field,
        "payload.data.screened_on"
    );
    let visit_tomorrow = with(visit_event(), |e| {
        body_mut(e, visit_of).visited_on = date("2026-11-27");
    });
    assert_eq!(
        visit_tomorrow.validate().unwrap_err().field,
        "payload.data.visited_on"
    );
    let case_tomorrow = with(case_event(), |e| {
        body_mut(e, case_of).registered_on = date("2026-11-27");
    });
    assert_eq!(
        case_tomorrow.validate().unwrap_err().field,
        "payload.data.registered_on"
    );
}

#[test]
fn a_severe_report_is_judged_by_the_day_the_village_recorded_it() {
    // Recorded just after midnight of the 27th, forwarded a day later: valid.
    let mut ok = severe_report_event();
    ok.hlc = Hlc::new(CST_MIDNIGHT_27 + DAY_MS, 0);
    ok.id = v7(ok.hlc.wall_ms, 7);
    if let EventBody::SevereScreeningReported(r) = &mut ok.body {
        r.screening.screened_on = date("2026-11-27");
        r.recorded_at = Hlc::new(CST_MIDNIGHT_27 + 1, 0);
    }
    assert_eq!(ok.validate(), Ok(()));
    // The village stamped it on the 26th: a screening of the 27th is in the future.
    let mut early = ok.clone();
    if let EventBody::SevereScreeningReported(r) = &mut early.body {
        r.recorded_at = Hlc::new(CST_MIDNIGHT_27 - 1, 0);
    }
    let err = early.validate().unwrap_err();
    assert_eq!(err.field, "payload.data.screening.screened_on");
}

// ------------------------------------------------------------------ decode

fn screening_payload_under(rule: HashRule) -> String {
    String::from_utf8(EventBody::ScreeningRecorded(screening()).encode_under(rule)).unwrap()
}

/// The first rule's payload: its encoding rules are kept for the events made under it.
fn screening_payload() -> String {
    screening_payload_under(HashRule::V1)
}

fn decode_err_under(payload: &str, rule: HashRule) -> FieldError {
    match EventBody::decode_under(payload.as_bytes(), rule) {
        Ok(body) => panic!("decoded {payload}\n  as {body:?}"),
        Err(e) => e,
    }
}

fn decode_err(payload: &str) -> FieldError {
    decode_err_under(payload, HashRule::V1)
}

#[test]
fn the_canonical_payload_is_adjacently_tagged_json() {
    let payload = screening_payload();
    assert!(
        payload.starts_with(r#"{"kind":"screening_recorded","data":{"village":"360123100201","#),
        "{payload}"
    );
    assert!(payload.contains(r#""category":"land""#), "{payload}");
    assert!(payload.contains(r#""people_involved":2"#), "{payload}");
    // Under the current rule the same JSON, keys sorted (RFC 8785).
    let current = screening_payload_under(HashRule::CURRENT);
    assert!(
        current.starts_with(r#"{"data":{"category":"land","description":"#),
        "{current}"
    );
    assert!(current.ends_with(r#""village":"360123100201"},"kind":"screening_recorded"}"#));
}

#[test]
fn every_kind_round_trips_through_its_canonical_bytes() {
    for event in [
        screening_event(),
        severe_report_event(),
        summary_event(1, Hlc::new(NOW_MS, 0), 3),
        visit_event(),
        case_event(),
        with(visit_event(), |e| {
            if let EventBody::VisitRecorded(v) = &mut e.body {
                v.answer = None;
                v.visitor.contact = None;
            }
        }),
        with(case_event(), |e| {
            if let EventBody::CaseRegistered(c) = &mut e.body {
                c.complex = true;
                c.from_record = Some(screening_entity());
            }
        }),
    ] {
        for rule in [HashRule::V1, HashRule::V2] {
            let bytes = event.body.encode_under(rule);
            let decoded = EventBody::decode_under(&bytes, rule)
                .unwrap_or_else(|e| panic!("{}: {e}", event.body.kind()));
            assert_eq!(decoded, event.body);
            assert_eq!(decoded.encode_under(rule), bytes);
            assert_eq!(decoded.kind(), event.body.kind());
            let text = String::from_utf8(bytes).unwrap();
            let (start, end) = match rule {
                HashRule::V1 => (
                    format!(r#"{{"kind":"{}","data":"#, event.body.kind()),
                    "}".into(),
                ),
                HashRule::V2 => (
                    r#"{"data":"#.into(),
                    format!(r#","kind":"{}"}}"#, event.body.kind()),
                ),
            };
            assert!(text.starts_with(&start) && text.ends_with(&end), "{text}");
        }
    }
}

#[test]
fn unknown_kinds_and_values_name_the_field() {
    for rule in [HashRule::V1, HashRule::V2] {
        unknown_values_name_the_field_under(rule);
    }
}

fn unknown_values_name_the_field_under(rule: HashRule) {
    let payload = screening_payload_under(rule);
    for (what, bad, field, needle) in [
        (
            "unknown kind",
            r#"{"kind":"weather_report","data":{}}"#.to_owned(),
            "payload.kind",
            "weather_report",
        ),
        (
            "unknown category",
            payload.replace(r#""category":"land""#, r#""category":"weather""#),
            "payload.data.category",
            "weather",
        ),
        (
            "unknown risk",
            payload.replace(r#""risk":"general""#, r#""risk":"一般""#),
            "payload.data.risk",
            "一般",
        ),
        (
            "negative people",
            payload.replace(r#""people_involved":2"#, r#""people_involved":-3"#),
            "payload.data.people_involved",
            "-3",
        ),
        (
            "people beyond u32",
            payload.replace(r#""people_involved":2"#, r#""people_involved":4294967296"#),
            "payload.data.people_involved",
            "4294967296",
        ),
        (
            "people as a string",
            payload.replace(r#""people_involved":2"#, r#""people_involved":"2""#),
            "payload.data.people_involved",
            "u32",
        ),
        (
            "unknown field in the record",
            payload.replace(r#""measures":"#, r#""extra":1,"measures":"#),
            "payload.data.extra",
            "extra",
        ),
        (
            "unknown field in a party",
            payload.replace(r#""name":"张某""#, r#""name":"张某","age":30"#),
            "payload.data.parties[1].age",
            "age",
        ),
        (
            "missing field",
            payload.replace(r#""screener":"李明","#, ""),
            "payload.data",
            "screener",
        ),
        (
            "bad code",
            payload.replace(r#""village":"360123100201""#, r#""village":"360123000201""#),
            "payload.data.village",
            "乡镇段",
        ),
        (
            "impossible date",
            payload.replace(
                r#""screened_on":"2026-11-25""#,
                r#""screened_on":"2026-02-30""#,
            ),
            "payload.data.screened_on",
            "无法解析",
        ),
        (
            "missing kind",
            r#"{"data":{}}"#.to_owned(),
            "payload",
            "kind",
        ),
        ("not JSON", "weather".to_owned(), "payload", "无法解析"),
        ("empty", String::new(), "payload", "无法解析"),
    ] {
        let err = decode_err_under(&bad, rule);
        assert_eq!(err.field, field, "{rule:?} {what}: {err:?}");
        assert!(err.rule.contains(needle), "{rule:?} {what}: {err:?}");
    }
}

#[test]
fn only_the_jcs_encoding_is_accepted_under_the_current_rule() {
    let payload = screening_payload_under(HashRule::V2);
    let first_rule = screening_payload_under(HashRule::V1);
    let value: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let unsorted = payload.replace(
        r#""mass_incident_risk":false,"may_escalate":false"#,
        r#""may_escalate":false,"mass_incident_risk":false"#,
    );
    assert_ne!(unsorted, payload);
    for (what, bad) in [
        ("space after every colon", payload.replace("\":", "\": ")),
        ("trailing newline", format!("{payload}\n")),
        ("leading space", format!(" {payload}")),
        ("kind before data, as the first rule writes it", first_rule),
        ("pretty printed", pretty),
        ("two keys out of order", unsorted),
        (
            "unknown top-level field",
            payload.replacen('{', r#"{"x":1,"#, 1),
        ),
        ("escaped Chinese", payload.replace("李明", "\\u674e\\u660e")),
        ("trailing garbage", format!("{payload}{{}}")),
    ] {
        let err = decode_err_under(&bad, HashRule::V2);
        assert_eq!(err.field, "payload", "{what}: {err:?}");
        assert!(err.rule.contains("RFC 8785"), "{what}: {err:?}");
    }
}

#[test]
fn only_the_canonical_encoding_is_accepted() {
    let payload = screening_payload();
    let value: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let sorted_keys = serde_json::to_string(&value).unwrap(); // "data" before "kind", keys sorted
    assert_ne!(
        sorted_keys, payload,
        "the fixture must actually be reordered"
    );
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let data_reordered = payload.replace(
        r#""may_escalate":false,"mass_incident_risk":false"#,
        r#""mass_incident_risk":false,"may_escalate":false"#,
    );
    assert_ne!(data_reordered, payload);
    for (what, bad) in [
        ("space after every colon", payload.replace("\":", "\": ")),
        ("trailing newline", format!("{payload}\n")),
        ("leading space", format!(" {payload}")),
        ("keys sorted, data before kind", sorted_keys),
        ("pretty printed", pretty),
        ("two fields of the record swapped", data_reordered),
        (
            "unknown top-level field",
            payload.replacen('{', r#"{"x":1,"#, 1),
        ),
        ("escaped Chinese", payload.replace("李明", "\\u674e\\u660e")),
        ("trailing garbage", format!("{payload}{{}}")),
    ] {
        // Each of these parses to the very same body; only the bytes differ.
        let err = decode_err(&bad);
        assert_eq!(err.field, "payload", "{what}: {err:?}");
        assert!(err.rule.contains("规范"), "{what}: {err:?}");
    }
}

// -------------------------------------------------------------------- hash

#[test]
fn the_hash_covers_every_field() {
    let base = screening_event();
    let mutations: Vec<(&str, Event)> = vec![
        ("id", with(base.clone(), |e| e.id = v7(NOW_MS, 4242))),
        (
            "origin code",
            with(base.clone(), |e| {
                e.origin = Origin::node(code(OTHER_VILLAGE))
            }),
        ),
        (
            "origin outbox",
            with(base.clone(), |e| e.origin = Origin::outbox(code(VILLAGE))),
        ),
        ("seq", with(base.clone(), |e| e.seq += 1)),
        ("hlc wall", with(base.clone(), |e| e.hlc.wall_ms += 1)),
        ("hlc counter", with(base.clone(), |e| e.hlc.counter += 1)),
        ("author", with(base.clone(), |e| e.author = "李 明".into())),
        (
            "entity",
            with(base.clone(), |e| e.entity = v7(NOW_MS, 0xE6)),
        ),
        (
            "body: one count",
            with(base.clone(), |e| {
                body_mut(e, screening_of).people_involved += 1
            }),
        ),
        (
            "body: one flag",
            with(base.clone(), |e| {
                body_mut(e, screening_of).may_escalate = true
            }),
        ),
        (
            "body: category",
            with(base.clone(), |e| {
                body_mut(e, screening_of).category = Category::Other
            }),
        ),
        (
            "body: kind",
            with(base.clone(), |e| {
                e.body = EventBody::SevereScreeningReported(sanji_domain::SevereScreeningReport {
                    screening: screening(),
                    source: EventRef {
                        origin: village_origin(),
                        seq: 1,
                    },
                    recorded_at: Hlc::new(NOW_MS, 0),
                })
            }),
        ),
        ("prev_hash", with(base.clone(), |e| e.prev_hash.0[31] ^= 1)),
        (
            "prev_hash genesis",
            with(base.clone(), |e| e.prev_hash = Digest::GENESIS),
        ),
    ];
    let base_hash = base.hash();
    assert_eq!(base_hash, base.clone().hash(), "equal events hash equally");
    assert_eq!(
        base_hash,
        screening_event().hash(),
        "rebuilt events hash equally"
    );
    let mut seen = vec![("base", base_hash)];
    for (what, mutated) in &mutations {
        let h = mutated.hash();
        if let Some((other, _)) = seen.iter().find(|(_, s)| *s == h) {
            panic!("changing {what} gives the same hash as {other}");
        }
        seen.push((*what, h));
    }
}

#[test]
fn the_hash_separates_fields_rather_than_concatenating_them() {
    // Moving a character from the author into the origin must not collide.
    let a = with(screening_event(), |e| e.author = "1李明".into());
    let b = with(screening_event(), |e| e.author = "李明1".into());
    assert_ne!(a.hash(), b.hash());
    // The counter and wall are separate fields, not a sum.
    let c = with(screening_event(), |e| e.hlc = Hlc::new(NOW_MS + 1, 0));
    let d = with(screening_event(), |e| e.hlc = Hlc::new(NOW_MS, 1));
    assert_ne!(c.hash(), d.hash());
}

#[test]
fn the_hash_is_a_stable_format() {
    // Hashes are stored and compared across nodes and versions: if this value
    // changes, every existing ledger stops verifying. Add a HashRule instead.
    let event = Event {
        hash_rule: sanji_domain::HashRule::V1,
        id: Uuid::from_u128(0x019a_bcde_f012_7000_8000_0000_0000_0001),
        origin: Origin::parse("360123100201").unwrap(),
        seq: 1,
        hlc: Hlc::new(NOW_MS, 0),
        author: "李明".into(),
        entity: Uuid::from_u128(0x019a_bcde_f012_7000_8000_0000_0000_0002),
        body: EventBody::ScreeningRecorded(screening()),
        prev_hash: Digest::GENESIS,
    };
    assert_eq!(event.validate(), Ok(()));
    assert_eq!(event.hash().to_string(), GOLDEN_HASH);
    // The same event under the second rule: its own tag, its payload in RFC 8785.
    let v2 = Event {
        hash_rule: sanji_domain::HashRule::V2,
        ..event
    };
    let payload = String::from_utf8(v2.payload()).unwrap();
    assert!(
        payload.starts_with(r#"{"data":{"category":"land","description":"#),
        "{payload}"
    );
    assert!(
        payload.ends_with(r#""kind":"screening_recorded"}"#),
        "{payload}"
    );
    assert_eq!(v2.hash().to_string(), GOLDEN_HASH_V2);
}

const GOLDEN_HASH_V2: &str = "1a2381ad3aa1b4931e5fee99c46470ab863109a26399891b5000010fe2b4b3df";

const GOLDEN_HASH: &str = "f77fc5526e4e56a5af3d5cc4269b5ea85ff81666375e5d706de54159f91c8b48";

/// One hash per kind, from [`one_event_of_each_kind`]: a change to any
/// kind's canonical encoding breaks every ledger that holds one.
const GOLDEN_HASHES: [(&str, &str); 11] = [
    (
        "screening_recorded",
        "08c9986626335af4b3a17f40fc37ae4abef2708c8d0ca31b096436cd23bbccd9",
    ),
    (
        "visit_recorded",
        "93de2153d8335b40e2f2da7744899095404b872489e4cc427877481d9d6596e5",
    ),
    (
        "case_registered",
        "0907cc137a3a85717d5c3e87718163b7cd364fff707e7bb3f86ae8604877b2c5",
    ),
    (
        "screening_summary",
        "765627c813c99d80a1899b0d58d85ca0dcbd02e118115505eb62bd54e7725638",
    ),
    (
        "severe_screening_reported",
        "961f9a13b2b6a1319d2940612f5ed311960e18222a2f498f3e83d6e3ecb816b0",
    ),
    (
        "case_stepped",
        "b1acd668c34618e74265e1c5599f19f2b43ea60179ac43e670f763cb162bd8bc",
    ),
    (
        "case_handed_down",
        "b35c93311941858ff3ef4c424429be68940e17b2c28771edf78a59a574756e30",
    ),
    (
        "case_reported",
        "d0abea37d2820309e72de865df1be69ec1274fb7714b94d199433fc808e39691",
    ),
    (
        "screening_signed_off",
        "324cb819b0d8aaf2d7bbfe2f665be168f9ef56555bcb20893eaeaf4842d4f161",
    ),
    (
        "screening_converted",
        "0c890e4e01d8f25b52836bc5f3b9c879bd1a30c1d4001e2e4654d5cbc978912a",
    ),
    (
        "monthly_report_filed",
        "af2b654cdb6e405214239e51ec1a8487a9812b0a631ba72a756d0c496dcd4ded",
    ),
];

#[test]
fn every_kind_hashes_to_its_golden_value() {
    let events = one_event_of_each_kind();
    let kinds: Vec<&str> = events.iter().map(|e| e.body.kind()).collect();
    let expected_kinds: Vec<&str> = GOLDEN_HASHES.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, expected_kinds, "one fixture per kind, in order");
    let mut failures = Vec::new();
    for (event, (kind, golden)) in events.iter().zip(GOLDEN_HASHES) {
        if let Err(e) = event.validate() {
            failures.push(format!("{kind}: the fixture is invalid: {e}"));
        }
        let hash = event.hash().to_string();
        if hash != golden {
            failures.push(format!("(\"{kind}\", \"{hash}\"),"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn digests_parse_from_exactly_32_bytes() {
    let d = Digest::from_slice("prev_hash", &[9; 32]).unwrap();
    assert_eq!(d, Digest([9; 32]));
    assert_eq!(d.to_string(), "09".repeat(32));
    assert_eq!(d.short(), "090909090909");
    for len in [0, 31, 33, 64] {
        let err = Digest::from_slice("prev_hash", &vec![0; len]).unwrap_err();
        assert_eq!(err.field, "prev_hash");
        assert!(err.rule.contains(&format!("{len} 字节")), "{err:?}");
    }
}

#[test]
fn events_serialise_through_serde_and_back() {
    for event in [screening_event(), severe_report_event(), case_event()] {
        let json = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event);
        assert_eq!(back.hash(), event.hash());
    }
}

#[test]
fn event_ref_names_origin_and_seq() {
    let r = severe_report_event().event_ref();
    assert_eq!(r.origin, outbox_origin());
    assert_eq!(r.seq, 7);
    assert_eq!(r.to_string(), "360123100/outbox#7");
}

#[test]
fn an_overflowing_summary_is_refused_not_a_panic() {
    // Counts from the wire are untrusted: their sum must not overflow into
    // agreeing with `records` (release) or panic the receiver (debug).
    let mut event = summary_event(2, Hlc::new(NOW_MS, 0), 1);
    if let EventBody::ScreeningSummary(s) = &mut event.body {
        s.cells[0] = CellCount {
            category: Category::Land,
            risk: RiskLevel::General,
            count: u32::MAX,
        };
        s.cells[1].count = 1;
        for c in &mut s.cells[2..] {
            c.count = 0;
        }
        s.records = 0;
        s.mass_incident_risk = 0;
    }
    let err = event.validate().unwrap_err();
    assert_eq!(err.field, "payload.data.records");
}

#[test]
fn an_absurd_stamp_is_judged_not_a_panic() {
    // hlc_wall_ms comes straight off the wire.
    for wall in [u64::MAX, i64::MAX as u64, i64::MAX as u64 + 1] {
        let mut event = screening_event();
        event.hlc = Hlc::new(wall, 0);
        // Valid on its own: judged by its own calendar, a screening of 2026 is
        // not in the future. Refusing a clock that far ahead is the parent's job.
        assert_eq!(event.validate(), Ok(()), "{wall}");
        assert_eq!(event.hlc.to_string(), "+262142-12-31 23:59#0", "{wall}");
    }
}

fn zero_report_event(round_on: &str) -> Event {
    event(
        village_origin(),
        5,
        Hlc::new(NOW_MS, 3),
        v7(NOW_MS, 0x2E50),
        EventBody::ZeroReported(sanji_domain::record::ZeroReport {
            village: code(VILLAGE),
            round_on: round_on.parse().unwrap(),
            screener: "李红梅".into(),
            note: String::new(),
        }),
    )
}

#[test]
fn a_zero_report_is_its_villages_own_and_names_a_day_that_has_come() {
    let today = sanji_domain::time::cst_date(NOW_MS).to_string();
    assert_eq!(zero_report_event(&today).validate(), Ok(()));
    let tomorrow = (sanji_domain::time::cst_date(NOW_MS) + chrono::Days::new(1)).to_string();
    check_events(vec![
        (
            "a zero report for a day to come",
            zero_report_event(&tomorrow),
            "payload.data.round_on",
            "将来",
        ),
        (
            "a zero report from another village's ledger",
            with(zero_report_event(&today), |e| {
                e.origin = Origin::node(code(OTHER_VILLAGE))
            }),
            "payload.data.village",
            "与事件来源",
        ),
        (
            "a zero report from the township",
            with(zero_report_event(&today), |e| e.origin = township_origin()),
            "origin",
            "zero_reported",
        ),
        (
            "a zero report from the outbox",
            with(zero_report_event(&today), |e| e.origin = outbox_origin()),
            "origin",
            "zero_reported",
        ),
    ]);
}

#[test]
fn an_incident_is_the_townships_to_record_within_its_own_area() {
    let incident = |place: &str| {
        event(
            township_origin(),
            2,
            Hlc::new(NOW_MS, 4),
            v7(NOW_MS, 0x1C1D),
            EventBody::IncidentRecorded(sanji_domain::record::Incident {
                kind: sanji_domain::record::IncidentKind::MassIncident,
                place: code(place),
                occurred_on: sanji_domain::time::cst_date(NOW_MS),
                people_involved: 23,
                parties: vec![sanji_domain::record::Party {
                    name: "何长青".into(),
                    contact: None,
                }],
                cause: "界址争议".into(),
                handling: "已劝返".into(),
                screenings: Vec::new(),
                cases: Vec::new(),
            }),
        )
    };
    assert_eq!(incident(VILLAGE).validate(), Ok(()));
    assert_eq!(incident(TOWNSHIP).validate(), Ok(()));
    check_events(vec![
        (
            "an incident in another township",
            incident("360123101201"),
            "payload.data.place",
            "辖区",
        ),
        (
            "an incident from a village's ledger",
            with(incident(VILLAGE), |e| e.origin = village_origin()),
            "origin",
            "incident_recorded",
        ),
        (
            "an incident from the outbox",
            with(incident(VILLAGE), |e| e.origin = outbox_origin()),
            "origin",
            "incident_recorded",
        ),
    ]);
}

/// 分区分线: the township center's own screeners record screenings of its
/// villages, each naming the trade or field it covers; a severe one goes
/// to the county with the township's ledger as its source.
#[test]
fn the_center_records_its_own_screenings_of_its_villages() {
    let mut own = screening_event();
    own.origin = township_origin();
    if let EventBody::ScreeningRecorded(s) = &mut own.body {
        s.line = Some("建筑工地".into());
    }
    assert_eq!(own.validate(), Ok(()));
    let text = String::from_utf8(own.body.encode()).unwrap();
    assert!(text.contains("\"line\":\"建筑工地\""), "{text}");
    // A village's screening carries no `line`: it encodes as before.
    let village = String::from_utf8(screening_event().body.encode()).unwrap();
    assert!(!village.contains("line"), "{village}");
    if let EventBody::ScreeningRecorded(s) = &mut own.body {
        s.line = Some("建筑\n工地".into());
    }
    assert_eq!(own.validate().unwrap_err().field, "payload.data.line");

    let mut report = severe_report_event();
    if let EventBody::SevereScreeningReported(r) = &mut report.body {
        r.source.origin = township_origin();
    }
    assert_eq!(report.validate(), Ok(()));
    if let EventBody::SevereScreeningReported(r) = &mut report.body {
        r.source.origin = Origin::node(code(OTHER_VILLAGE));
    }
    assert_eq!(report.validate().unwrap_err().field, "payload.data.source");
}

/// The current rule's payload is RFC 8785 as a general implementation writes
/// it, for every kind and for text with quotes, backslashes, control
/// characters and characters beyond the BMP.
#[test]
fn the_current_payload_is_what_a_general_jcs_implementation_writes() {
    let mut events = one_event_of_each_kind();
    events.push(with(screening_event(), |e| {
        if let EventBody::ScreeningRecorded(s) = &mut e.body {
            s.description = "\"引号\" \\ 反斜杠 \u{1}\u{1f}\t\n\r / <> \u{7f} é 𠮷 \u{2028}".into();
        }
    }));
    for event in events {
        assert_eq!(
            String::from_utf8(event.body.encode_under(HashRule::V2)).unwrap(),
            serde_json_canonicalizer::to_string(&event.body).unwrap(),
            "{}",
            event.body.kind()
        );
    }
}
