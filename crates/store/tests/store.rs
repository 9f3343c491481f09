//! The store against real sled folders in temporary directories.

use std::path::Path;

use chrono::NaiveDate;
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening, Visit, VisitChannel,
};
use sanji_domain::{
    Code, DailySummary, Digest, Entity, EntityState, Event, EventBody, Hlc, Origin,
    SevereScreeningReport, VersionVector,
};
use sanji_store::{ApplyMode, Draft, Store, StoreError, StoreOptions};
use tempfile::TempDir;
use uuid::Uuid;

/// 2026-11-26 11:59:59 CST.
const NOW: u64 = 1_795_708_799_999 - 12 * 3600 * 1000;
const MINUTE: u64 = 60_000;

const VILLAGE: &str = "360123100201";
const VILLAGE_2: &str = "360123100202";
const TOWNSHIP: &str = "360123100";
const COUNTY: &str = "360123";

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

fn ledger(text: &str) -> Origin {
    Origin::node(code(text))
}

fn outbox() -> Origin {
    Origin::outbox(code(TOWNSHIP))
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn open(dir: &Path, node: &str) -> Store {
    Store::open(dir, &code(node), StoreOptions::default()).unwrap()
}

fn fresh(node: &str) -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), node);
    (dir, store)
}

fn screening_record(village: &str, description: &str, risk: RiskLevel) -> Screening {
    Screening {
        village: code(village),
        screened_on: day(),
        screener: "李明".into(),
        category: Category::Land,
        parties: vec![
            Party {
                name: "王五".into(),
                contact: Some("13800000000".into()),
            },
            Party {
                name: "赵六".into(),
                contact: None,
            },
        ],
        people_involved: 3,
        risk,
        may_escalate: risk != RiskLevel::General,
        mass_incident_risk: false,
        description: description.into(),
        measures: "已约双方到村委会调解".into(),
        line: None,
    }
}

/// A valid screening draft for a new entity.
fn screening(village: &str, description: &str) -> Draft {
    screening_on(village, Uuid::now_v7(), description, RiskLevel::General)
}

fn screening_on(village: &str, entity: Uuid, description: &str, risk: RiskLevel) -> Draft {
    Draft {
        author: "李明".into(),
        entity,
        body: EventBody::ScreeningRecorded(screening_record(village, description, risk)),
    }
}

fn visit(received_at: &str, entity: Uuid) -> Draft {
    Draft {
        author: "张华".into(),
        entity,
        body: EventBody::VisitRecorded(Visit {
            received_at: code(received_at),
            visited_on: day(),
            channel: VisitChannel::InPerson,
            visitor: Party {
                name: "刘七".into(),
                contact: None,
            },
            people_count: 1,
            category: Category::Labour,
            summary: "反映工资拖欠".into(),
            receiver: "张华".into(),
            answer: None,
        }),
    }
}

fn case(place: &str, entity: Uuid) -> Draft {
    Draft {
        author: "陈静".into(),
        entity,
        body: EventBody::CaseRegistered(CaseRegistration {
            place: code(place),
            registered_on: day(),
            source: CaseSource::Visit,
            category: Category::Labour,
            parties: vec![Party {
                name: "刘七".into(),
                contact: None,
            }],
            people_involved: 1,
            claim: "要求结清工资".into(),
            first_receiver: "陈静".into(),
            first_unit: "镇综治中心".into(),
            complex: false,
            from_record: None,
        }),
    }
}

fn descriptions(n: usize) -> Vec<Draft> {
    (1..=n)
        .map(|i| screening(VILLAGE, &format!("第 {i} 起地界纠纷")))
        .collect()
}

/// Everything a failed call must leave untouched.
#[derive(Debug, PartialEq)]
struct Snapshot {
    vv: VersionVector,
    count: u64,
    clock: Hlc,
    entities: Vec<Entity>,
}

fn snapshot(store: &Store) -> Snapshot {
    Snapshot {
        vv: store.version_vector().unwrap(),
        count: store.event_count().unwrap(),
        clock: store.clock().unwrap(),
        entities: store.entities().unwrap(),
    }
}

fn seqs(events: &[Event]) -> Vec<(String, u64)> {
    events
        .iter()
        .map(|e| (e.origin.to_string(), e.seq))
        .collect()
}

#[test]
fn store_is_a_cheap_shared_handle() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Store>();
    assert_eq!(StoreOptions::default().cache_bytes, 64 * 1024 * 1024);
}

#[test]
fn local_events_form_a_hash_chain_that_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let origin = ledger(VILLAGE);
    let mut written = Vec::new();
    {
        let store = open(dir.path(), VILLAGE);
        assert_eq!(store.node(), &code(VILLAGE));
        assert_eq!(store.path(), dir.path());
        written.extend(store.append_local(&origin, NOW, descriptions(3)).unwrap());
        written.extend(
            store
                .append_local(&origin, NOW + MINUTE, descriptions(2))
                .unwrap(),
        );
    }
    assert_eq!(
        written.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(written[0].prev_hash, Digest::GENESIS);
    for pair in written.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash(), "seq {}", pair[1].seq);
        assert!(pair[1].hlc > pair[0].hlc);
    }
    for e in &written {
        assert_eq!(e.id.get_version_num(), 7);
        e.validate().unwrap();
    }

    let store = open(dir.path(), VILLAGE);
    for e in &written {
        assert_eq!(store.get(&origin, e.seq).unwrap().as_ref(), Some(e));
        assert_eq!(store.get_by_id(e.id).unwrap().as_ref(), Some(e));
        assert_eq!(store.entity_events(e.entity).unwrap(), vec![e.clone()]);
        let entity = store.entity(e.entity).unwrap().unwrap();
        let EntityState::Screening(state) = &entity.state else {
            panic!("{entity:?}")
        };
        assert_eq!(state.recorded.as_ref().unwrap().event, e.event_ref());
    }
    assert_eq!(store.get(&origin, 6).unwrap(), None);
    assert_eq!(store.get_by_id(Uuid::now_v7()).unwrap(), None);
    let head = store.head(&origin).unwrap().unwrap();
    assert_eq!((head.seq, head.hash), (5, written[4].hash()));
    assert_eq!(store.head(&ledger(VILLAGE_2)).unwrap(), None);
    assert_eq!(
        store.version_vector().unwrap(),
        VersionVector::from([(origin.clone(), 5)])
    );
    assert_eq!(store.event_count().unwrap(), 5);
    assert_eq!(store.entities().unwrap().len(), 5);

    assert_eq!(store.events_after(&origin, 0, 100).unwrap(), written);
    assert_eq!(store.events_after(&origin, 2, 2).unwrap(), written[2..4]);
    assert_eq!(store.events_after(&origin, 5, 10).unwrap(), []);
    assert_eq!(store.events_after(&origin, 0, 0).unwrap(), []);
    assert_eq!(store.events_after(&ledger(VILLAGE_2), 0, 10).unwrap(), []);

    // The chain continues after a reopen.
    let more = store
        .append_local(&origin, NOW + 2 * MINUTE, descriptions(1))
        .unwrap();
    assert_eq!((more[0].seq, more[0].prev_hash), (6, written[4].hash()));
}

#[test]
fn the_clock_persists_and_never_steps_back() {
    let dir = tempfile::tempdir().unwrap();
    let origin = ledger(VILLAGE);
    let (first, second) = {
        let store = open(dir.path(), VILLAGE);
        assert_eq!(store.clock().unwrap(), Hlc::ZERO);
        let a = store
            .append_local(&origin, NOW, descriptions(1))
            .unwrap()
            .remove(0);
        let b = store
            .append_local(&origin, NOW, descriptions(1))
            .unwrap()
            .remove(0);
        (a.hlc, b.hlc)
    };
    assert_eq!(first, Hlc::new(NOW, 0));
    assert_eq!(second, Hlc::new(NOW, 1));

    let store = open(dir.path(), VILLAGE);
    assert_eq!(store.clock().unwrap(), second);
    // The machine's clock stepped back a minute: stamps still move forward.
    let stepped_back = store
        .append_local(&origin, NOW - MINUTE, descriptions(2))
        .unwrap();
    assert_eq!(stepped_back[0].hlc, Hlc::new(NOW, 2));
    assert_eq!(stepped_back[1].hlc, Hlc::new(NOW, 3));
    assert_eq!(store.clock().unwrap(), Hlc::new(NOW, 3));
    let later = store
        .append_local(&origin, NOW + MINUTE, descriptions(1))
        .unwrap();
    assert_eq!(later[0].hlc, Hlc::new(NOW + MINUTE, 0));
}

#[test]
fn a_chain_push_arrives_in_batches_and_resending_changes_nothing() {
    let (_v, station) = fresh(VILLAGE);
    let origin = ledger(VILLAGE);
    let events = station.append_local(&origin, NOW, descriptions(5)).unwrap();

    let (_h, hub) = fresh(TOWNSHIP);
    let applied = hub.apply(events[..3].to_vec(), ApplyMode::Chain).unwrap();
    assert_eq!(
        applied.new,
        events[..3].iter().map(Event::event_ref).collect::<Vec<_>>()
    );
    assert_eq!(applied.duplicates, 0);
    assert_eq!(applied.heads, [(origin.clone(), 3)].into());
    let mut touched: Vec<Uuid> = events[..3].iter().map(|e| e.entity).collect();
    touched.sort();
    assert_eq!(applied.touched_entities, touched);

    let applied = hub.apply(events[3..].to_vec(), ApplyMode::Chain).unwrap();
    assert_eq!(applied.new.len(), 2);
    assert_eq!(applied.heads, [(origin.clone(), 5)].into());
    assert_eq!(hub.events_after(&origin, 0, 100).unwrap(), events);
    assert_eq!(hub.head(&origin).unwrap(), station.head(&origin).unwrap());
    // The hub's clock took in what it received.
    assert_eq!(hub.clock().unwrap(), events[4].hlc);

    let before = snapshot(&hub);
    let again = hub.apply(events.clone(), ApplyMode::Chain).unwrap();
    assert_eq!((again.new.len(), again.duplicates), (0, 5));
    assert_eq!(again.heads, [(origin.clone(), 5)].into());
    assert!(again.touched_entities.is_empty());
    assert_eq!(snapshot(&hub), before);

    // A resend that overlaps the head and carries one new event.
    let next = station
        .append_local(&origin, NOW + MINUTE, descriptions(1))
        .unwrap();
    let mut overlap = events[3..].to_vec();
    overlap.extend(next.clone());
    let applied = hub.apply(overlap, ApplyMode::Chain).unwrap();
    assert_eq!(
        (applied.new, applied.duplicates),
        (vec![next[0].event_ref()], 2)
    );
    assert_eq!(hub.event_count().unwrap(), 6);
    assert_eq!(
        hub.entity(next[0].entity).unwrap(),
        station.entity(next[0].entity).unwrap()
    );
}

#[test]
fn a_bad_chain_push_is_refused_whole() {
    let (_v, station) = fresh(VILLAGE);
    let origin = ledger(VILLAGE);
    let events = station.append_local(&origin, NOW, descriptions(6)).unwrap();
    let (_h, hub) = fresh(TOWNSHIP);
    hub.apply(events[..3].to_vec(), ApplyMode::Chain).unwrap();
    let before = snapshot(&hub);
    let nothing_written = |hub: &Store| {
        assert_eq!(snapshot(hub), before);
        for e in &events[3..] {
            assert_eq!(hub.get(&origin, e.seq).unwrap(), None);
            assert_eq!(hub.get_by_id(e.id).unwrap(), None);
            assert_eq!(hub.entity(e.entity).unwrap(), None);
        }
    };

    // Starts above head+1.
    let err = hub
        .apply(events[4..].to_vec(), ApplyMode::Chain)
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Gap { origin: o, expected: 4, got: 5 } if *o == origin),
        "{err:?}"
    );
    assert!(err.to_string().contains("应为第 4 号"), "{err}");
    nothing_written(&hub);

    // A hole inside the batch.
    let holed = vec![events[3].clone(), events[5].clone()];
    let err = hub.apply(holed, ApplyMode::Chain).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Gap {
                expected: 5,
                got: 6,
                ..
            }
        ),
        "{err:?}"
    );
    nothing_written(&hub);

    // A tampered prev_hash on the 5th event: the valid 4th must not be written either.
    let mut tampered = events[3..].to_vec();
    tampered[1].prev_hash = Digest([7; 32]);
    let err = hub.apply(tampered, ApplyMode::Chain).unwrap_err();
    assert!(
        matches!(&err, StoreError::BrokenChain { origin: o, seq: 5 } if *o == origin),
        "{err:?}"
    );
    nothing_written(&hub);

    // An altered 3rd event (already held) sent again with the genuine 4th.
    let mut rewritten = events[2..].to_vec();
    rewritten[0].author = "王二".into();
    let err = hub.apply(rewritten, ApplyMode::Chain).unwrap_err();
    assert!(
        matches!(&err, StoreError::Equivocation { origin: o, seq: 3 } if *o == origin),
        "{err:?}"
    );
    assert!(err.to_string().contains("内容不同"), "{err}");
    nothing_written(&hub);

    // A fresh event whose id is already used by another event.
    let mut reused = events[3].clone();
    reused.id = events[0].id;
    let err = hub.apply(vec![reused], ApplyMode::Chain).unwrap_err();
    assert!(
        matches!(err, StoreError::Equivocation { seq: 4, .. }),
        "{err:?}"
    );
    nothing_written(&hub);

    // Two origins in one push.
    let (_o, other) = fresh(VILLAGE_2);
    let foreign = other
        .append_local(
            &ledger(VILLAGE_2),
            NOW,
            vec![screening(VILLAGE_2, "邻村纠纷")],
        )
        .unwrap();
    let mixed = vec![events[3].clone(), foreign[0].clone()];
    let err = hub.apply(mixed, ApplyMode::Chain).unwrap_err();
    assert!(
        matches!(&err, StoreError::MixedOrigins { expected, found } if *expected == origin && *found == ledger(VILLAGE_2)),
        "{err:?}"
    );
    nothing_written(&hub);

    // Sequence 0 never exists.
    let mut zero = events[0].clone();
    zero.seq = 0;
    assert!(matches!(
        hub.apply(vec![zero], ApplyMode::Scoped),
        Err(StoreError::Invalid(_))
    ));
    nothing_written(&hub);

    // The genuine batch still goes in afterwards.
    let applied = hub.apply(events[3..].to_vec(), ApplyMode::Chain).unwrap();
    assert_eq!(applied.new.len(), 3);
    assert_eq!(hub.events_after(&origin, 0, 10).unwrap(), events);
}

/// A village with one severe and one ordinary screening, the hub that received them and
/// forwarded a report and two summary revisions through its outbox.
struct Township {
    village: Vec<Event>,
    outbox: Vec<Event>,
    severe: Uuid,
    summary: Uuid,
    _dirs: Vec<TempDir>,
}

fn township() -> Township {
    let (vd, station) = fresh(VILLAGE);
    let severe = Uuid::now_v7();
    let village = station
        .append_local(
            &ledger(VILLAGE),
            NOW,
            vec![
                screening_on(
                    VILLAGE,
                    severe,
                    "征地补偿分歧,扬言集体上访",
                    RiskLevel::Severe,
                ),
                screening(VILLAGE, "宅基地边界争议"),
            ],
        )
        .unwrap();
    let (hd, hub) = fresh(TOWNSHIP);
    hub.apply(village.clone(), ApplyMode::Chain).unwrap();

    let EventBody::ScreeningRecorded(record) = &village[0].body else {
        unreachable!()
    };
    let report = Draft {
        author: "陈静".into(),
        entity: severe,
        body: EventBody::SevereScreeningReported(SevereScreeningReport {
            screening: record.clone(),
            source: village[0].event_ref(),
            recorded_at: village[0].hlc,
        }),
    };
    let records: Vec<Screening> = village
        .iter()
        .map(|e| match &e.body {
            EventBody::ScreeningRecorded(s) => s.clone(),
            _ => unreachable!(),
        })
        .collect();
    let summary_of = |revision: u32, upto: usize| Draft {
        author: "陈静".into(),
        entity: DailySummary::entity_id(&code(VILLAGE), day()),
        body: EventBody::ScreeningSummary(DailySummary::compute(
            &code(VILLAGE),
            day(),
            &records[..upto],
            revision,
        )),
    };
    let outbox = hub
        .append_local(
            &outbox(),
            NOW + MINUTE,
            vec![report, summary_of(1, 1), summary_of(2, 2)],
        )
        .unwrap();
    Township {
        village,
        outbox,
        severe,
        summary: DailySummary::entity_id(&code(VILLAGE), day()),
        _dirs: vec![vd, hd],
    }
}

#[test]
fn a_scoped_pull_accepts_gaps_and_fills_them_later() {
    let t = township();
    let (_c, county) = fresh(COUNTY);
    let applied = county
        .apply(
            vec![t.outbox[0].clone(), t.outbox[2].clone()],
            ApplyMode::Scoped,
        )
        .unwrap();
    assert_eq!(applied.new.len(), 2);
    assert_eq!(applied.heads, [(outbox(), 3)].into());
    assert_eq!(
        county.version_vector().unwrap(),
        VersionVector::from([(outbox(), 3)])
    );
    assert_eq!(
        county.head(&outbox()).unwrap().unwrap().hash,
        t.outbox[2].hash()
    );
    let Some(Entity {
        state: EntityState::Summary(summary),
        ..
    }) = county.entity(t.summary).unwrap()
    else {
        panic!("no summary")
    };
    assert_eq!((summary.revision, summary.records), (2, 2));
    let Some(Entity {
        state: EntityState::Screening(severe),
        ..
    }) = county.entity(t.severe).unwrap()
    else {
        panic!("no severe screening")
    };
    assert!(severe.recorded.is_none() && severe.reported.is_some());

    // Tampered fillers are refused: wrong link backwards, or content the held successor does not point at.
    let before = snapshot(&county);
    let mut wrong_prev = t.outbox[1].clone();
    wrong_prev.prev_hash = Digest([1; 32]);
    let err = county
        .apply(vec![wrong_prev], ApplyMode::Scoped)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::BrokenChain { seq: 2, .. }),
        "{err:?}"
    );
    let mut wrong_content = t.outbox[1].clone();
    wrong_content.author = "冒名者".into();
    let err = county
        .apply(vec![wrong_content], ApplyMode::Scoped)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::BrokenChain { seq: 2, .. }),
        "{err:?}"
    );
    // The same id under another (origin, seq).
    let mut moved = t.outbox[0].clone();
    moved.seq = 9;
    let err = county.apply(vec![moved], ApplyMode::Scoped).unwrap_err();
    assert!(
        matches!(err, StoreError::Equivocation { seq: 9, .. }),
        "{err:?}"
    );
    // Two versions of one event in one batch.
    let mut twin = t.outbox[1].clone();
    twin.author = "另一人".into();
    let err = county
        .apply(vec![t.outbox[1].clone(), twin], ApplyMode::Scoped)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Equivocation { seq: 2, .. }),
        "{err:?}"
    );
    assert_eq!(snapshot(&county), before);

    // The genuine filler goes in; a lower revision arriving late changes nothing.
    let applied = county.apply(t.outbox.clone(), ApplyMode::Scoped).unwrap();
    assert_eq!(
        (applied.new, applied.duplicates),
        (vec![t.outbox[1].event_ref()], 2)
    );
    assert_eq!(county.event_count().unwrap(), 3);
    assert_eq!(county.events_after(&outbox(), 0, 10).unwrap(), t.outbox);
    let Some(Entity {
        state: EntityState::Summary(summary),
        events,
        ..
    }) = county.entity(t.summary).unwrap()
    else {
        panic!("no summary")
    };
    assert_eq!((summary.revision, events), (2, 2));

    // Duplicates in one scoped batch are harmless.
    let again = county
        .apply(
            [t.outbox.clone(), t.outbox.clone()].concat(),
            ApplyMode::Scoped,
        )
        .unwrap();
    assert_eq!((again.new.len(), again.duplicates), (0, 6));
}

#[test]
fn the_fold_is_the_same_whatever_order_events_arrive() {
    let t = township();
    // The neighbouring village registered the same dispute a minute earlier: the fold keeps the
    // earliest registration and lists the village's own as a conflict.
    let (_w, other) = fresh(VILLAGE_2);
    let conflicting = other
        .append_local(
            &ledger(VILLAGE_2),
            NOW - MINUTE,
            vec![screening_on(
                VILLAGE_2,
                t.severe,
                "邻村也登记了这起纠纷",
                RiskLevel::Major,
            )],
        )
        .unwrap();
    let mut all: Vec<Event> = t.village.iter().chain(&t.outbox).cloned().collect();
    all.extend(conflicting.clone());

    let (_a, a) = fresh(COUNTY);
    a.apply(all.clone(), ApplyMode::Scoped).unwrap();

    let (_b, b) = fresh(COUNTY);
    let mut reversed = all.clone();
    reversed.reverse();
    for e in reversed {
        b.apply(vec![e], ApplyMode::Scoped).unwrap();
    }

    let (_c, c) = fresh(COUNTY);
    c.apply(vec![all[4].clone(), all[5].clone()], ApplyMode::Scoped)
        .unwrap();
    c.apply(vec![all[2].clone(), all[0].clone()], ApplyMode::Scoped)
        .unwrap();
    c.apply(vec![all[3].clone(), all[1].clone()], ApplyMode::Scoped)
        .unwrap();

    let expected = a.entities().unwrap();
    assert_eq!(expected.len(), 3, "{expected:#?}");
    for store in [&b, &c] {
        assert_eq!(store.entities().unwrap(), expected);
        assert_eq!(store.version_vector().unwrap(), a.version_vector().unwrap());
        for entity in &expected {
            assert_eq!(
                store.entity_events(entity.id).unwrap(),
                a.entity_events(entity.id).unwrap()
            );
        }
    }

    let severe = a.entity(t.severe).unwrap().unwrap();
    let EntityState::Screening(state) = &severe.state else {
        panic!("{severe:?}")
    };
    // The neighbour's registration is earliest, so it holds; the village's own is the conflict.
    assert_eq!(
        state.recorded.as_ref().unwrap().event,
        conflicting[0].event_ref()
    );
    assert_eq!(
        state.reported.as_ref().unwrap().event,
        t.outbox[0].event_ref()
    );
    assert_eq!(severe.conflicts.len(), 1);
    assert_eq!(severe.conflicts[0].event, t.village[0].event_ref());
    assert_eq!(severe.events, 3);
    let order = a.entity_events(t.severe).unwrap();
    assert_eq!(
        order.iter().map(Event::event_ref).collect::<Vec<_>>(),
        [
            conflicting[0].event_ref(),
            t.village[0].event_ref(),
            t.outbox[0].event_ref()
        ]
    );
}

#[test]
fn scope_after_returns_the_audience_above_the_vector() {
    let (_v1, v1) = fresh(VILLAGE);
    let (_v2, v2) = fresh(VILLAGE_2);
    let (_h, hub) = fresh(TOWNSHIP);
    let mine = v1
        .append_local(&ledger(VILLAGE), NOW, descriptions(4))
        .unwrap();
    let theirs = v2
        .append_local(
            &ledger(VILLAGE_2),
            NOW,
            (0..3)
                .map(|i| screening(VILLAGE_2, &format!("邻村 {i}")))
                .collect(),
        )
        .unwrap();
    hub.apply(mine.clone(), ApplyMode::Chain).unwrap();
    hub.apply(theirs.clone(), ApplyMode::Chain).unwrap();
    // The hub registers a case in village 201 and a visit at its own centre (no village audience).
    let own = hub
        .append_local(
            &ledger(TOWNSHIP),
            NOW + MINUTE,
            vec![
                case(VILLAGE, Uuid::now_v7()),
                visit(TOWNSHIP, Uuid::now_v7()),
            ],
        )
        .unwrap();

    let none = VersionVector::new();
    let everything = hub.scope_after(&code(VILLAGE), &none, 100).unwrap();
    let expected: Vec<Event> = [own[0].clone()]
        .into_iter()
        .chain(mine.iter().cloned())
        .collect();
    assert_eq!(everything, expected);
    assert_eq!(
        hub.scope_after(&code(VILLAGE_2), &none, 100).unwrap(),
        theirs
    );
    assert_eq!(
        hub.scope_after(&code("360123100203"), &none, 100).unwrap(),
        []
    );
    // A case is also in its township's scope (the hub pulls the county's steps on it).
    assert_eq!(
        hub.scope_after(&code(TOWNSHIP), &none, 100).unwrap(),
        [own[0].clone()]
    );

    let vv = VersionVector::from([(ledger(VILLAGE), 2)]);
    assert_eq!(
        seqs(&hub.scope_after(&code(VILLAGE), &vv, 100).unwrap()),
        [
            (TOWNSHIP.into(), 1),
            (VILLAGE.into(), 3),
            (VILLAGE.into(), 4)
        ]
    );
    let vv = VersionVector::from([(ledger(VILLAGE), 2), (ledger(TOWNSHIP), 1)]);
    assert_eq!(
        hub.scope_after(&code(VILLAGE), &vv, 1).unwrap(),
        [mine[2].clone()]
    );
    let vv = VersionVector::from([(ledger(VILLAGE), u64::MAX), (ledger(TOWNSHIP), 7)]);
    assert_eq!(hub.scope_after(&code(VILLAGE), &vv, 100).unwrap(), []);
    assert_eq!(hub.scope_after(&code(VILLAGE), &none, 0).unwrap(), []);
    assert_eq!(
        hub.scope_after(&code(VILLAGE), &none, 3).unwrap(),
        expected[..3]
    );

    // Paging with the vector the puller keeps.
    let mut vv = VersionVector::new();
    let mut pulled = Vec::new();
    loop {
        let page = hub.scope_after(&code(VILLAGE), &vv, 2).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        for e in &page {
            vv.insert(e.origin.clone(), e.seq);
        }
        pulled.extend(page);
    }
    assert_eq!(pulled, expected);
}

#[test]
fn a_change_of_audience_moves_the_entity_between_scopes() {
    // Village 201 records a visit; village 202 had registered a case under the same entity earlier.
    // When the case arrives the fold puts it first, the visit becomes a conflict, and the entity
    // moves from 201's scope to 202's with all its events.
    let entity = Uuid::now_v7();
    let (_v1, v1) = fresh(VILLAGE);
    let (_v2, v2) = fresh(VILLAGE_2);
    let (_h, hub) = fresh(TOWNSHIP);
    let visit = v1
        .append_local(&ledger(VILLAGE), NOW, vec![visit(VILLAGE, entity)])
        .unwrap();
    let case = v2
        .append_local(
            &ledger(VILLAGE_2),
            NOW - 10 * MINUTE,
            vec![case(VILLAGE_2, entity)],
        )
        .unwrap();
    let none = VersionVector::new();

    hub.apply(visit.clone(), ApplyMode::Chain).unwrap();
    assert_eq!(hub.scope_after(&code(VILLAGE), &none, 10).unwrap(), visit);
    assert_eq!(hub.scope_after(&code(VILLAGE_2), &none, 10).unwrap(), []);

    hub.apply(case.clone(), ApplyMode::Chain).unwrap();
    let projection = hub.entity(entity).unwrap().unwrap();
    assert!(
        matches!(projection.state, EntityState::Case(_)),
        "{projection:?}"
    );
    assert_eq!(projection.conflicts.len(), 1);
    assert_eq!(projection.conflicts[0].event, visit[0].event_ref());
    assert_eq!(
        hub.scope_after(&code(VILLAGE_2), &none, 10).unwrap(),
        [visit[0].clone(), case[0].clone()],
        "ordered by origin: 201 before 202"
    );
    assert_eq!(hub.scope_after(&code(VILLAGE), &none, 10).unwrap(), []);
}

#[test]
fn an_invalid_draft_writes_nothing() {
    let (_d, store) = fresh(VILLAGE);
    let origin = ledger(VILLAGE);
    let before = snapshot(&store);
    let drafts = vec![screening(VILLAGE, "有效的一条"), screening(VILLAGE, "   ")];
    let err = store.append_local(&origin, NOW, drafts).unwrap_err();
    let StoreError::Invalid(field) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(field.field, "payload.data.description");
    assert!(err.to_string().contains("不能为空"), "{err}");
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.head(&origin).unwrap(), None);
    assert_eq!(store.clock().unwrap(), Hlc::ZERO);

    // A record dated after the day it is stamped.
    let mut future = screening(VILLAGE, "日期填错");
    if let EventBody::ScreeningRecorded(s) = &mut future.body {
        s.screened_on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    }
    assert!(matches!(
        store.append_local(&origin, NOW, vec![future]),
        Err(StoreError::Invalid(_))
    ));

    // Another node's ledger cannot be written here.
    let err = store
        .append_local(&ledger(VILLAGE_2), NOW, descriptions(1))
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(f) if f.field == "origin"),
        "{err:?}"
    );
    assert_eq!(snapshot(&store), before);

    assert_eq!(store.append_local(&origin, NOW, Vec::new()).unwrap(), []);
    assert_eq!(snapshot(&store), before);
}

#[test]
fn opening_checks_the_node_and_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), VILLAGE));
    let err = Store::open(dir.path(), &code(VILLAGE_2), StoreOptions::default()).unwrap_err();
    assert!(
        matches!(&err, StoreError::WrongNode { stored, requested, .. } if stored == VILLAGE && requested == VILLAGE_2),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(VILLAGE) && message.contains(VILLAGE_2),
        "{message}"
    );
    assert!(
        message.contains(&dir.path().display().to_string()),
        "{message}"
    );
    // The right node still opens it, with a small cache.
    Store::open(
        dir.path(),
        &code(VILLAGE),
        StoreOptions {
            cache_bytes: 1 << 20,
            ..StoreOptions::default()
        },
    )
    .unwrap();

    // A path that is a file.
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"hello").unwrap();
    let err = Store::open(&file, &code(VILLAGE), StoreOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains(&file.display().to_string()),
        "{err}"
    );

    // A folder sled cannot read.
    let garbage = dir.path().join("garbage");
    std::fs::create_dir(&garbage).unwrap();
    std::fs::write(garbage.join("conf"), b"this is not a sled config").unwrap();
    std::fs::write(garbage.join("db"), vec![0xA5; 4096]).unwrap();
    let err = Store::open(&garbage, &code(VILLAGE), StoreOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&garbage.display().to_string()),
        "{err}"
    );

    // A folder that holds someone else's files.
    let documents = dir.path().join("documents");
    std::fs::create_dir(&documents).unwrap();
    std::fs::write(documents.join("报表.xlsx"), b"not ours").unwrap();
    let err = Store::open(&documents, &code(VILLAGE), StoreOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&documents.display().to_string()),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&documents).unwrap().count(),
        1,
        "nothing was added"
    );
    // The root of a freshly formatted partition is fine.
    let partition = dir.path().join("partition");
    std::fs::create_dir_all(partition.join("lost+found")).unwrap();
    drop(open(&partition, VILLAGE));
    drop(open(&partition, VILLAGE));

    // A folder already open elsewhere.
    let held = open(dir.path(), VILLAGE);
    let err = Store::open(dir.path(), &code(VILLAGE), StoreOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
    drop(held);
}

#[test]
fn concurrent_writers_share_one_chain() {
    let (_d, store) = fresh(VILLAGE);
    let origin = ledger(VILLAGE);
    std::thread::scope(|s| {
        for t in 0..4 {
            let store = store.clone();
            let origin = origin.clone();
            s.spawn(move || {
                for i in 0..10 {
                    let draft = screening(VILLAGE, &format!("线程 {t} 第 {i} 条"));
                    store.append_local(&origin, NOW + i, vec![draft]).unwrap();
                }
            });
        }
    });
    let events = store.events_after(&origin, 0, 1000).unwrap();
    assert_eq!(events.len(), 40);
    assert_eq!(store.event_count().unwrap(), 40);
    let mut prev = Digest::GENESIS;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        assert_eq!(e.prev_hash, prev);
        prev = e.hash();
    }
    let mut stamps: Vec<Hlc> = events.iter().map(|e| e.hlc).collect();
    stamps.dedup();
    assert_eq!(stamps.len(), 40, "every stamp is unique");
}

#[test]
fn meta_is_namespaced_and_durable() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path(), TOWNSHIP);
        store.meta_put("peer", "360123100201", b"ok").unwrap();
        store.meta_put("peer", "360123100202", b"late").unwrap();
        store.meta_put("peer", "360123100202", b"ok again").unwrap();
        store.meta_put("peers", "x", b"other namespace").unwrap();
        store
            .meta_put("summary", "360123100201/2026-11-25", &7u32.to_be_bytes())
            .unwrap();
        assert!(matches!(
            store.meta_put("bad\0ns", "k", b""),
            Err(StoreError::Invalid(_))
        ));
    }
    let store = open(dir.path(), TOWNSHIP);
    assert_eq!(
        store.meta_get("peer", "360123100202").unwrap().as_deref(),
        Some(&b"ok again"[..])
    );
    assert_eq!(store.meta_get("peer", "missing").unwrap(), None);
    assert_eq!(
        store.meta_scan("peer").unwrap(),
        [
            ("360123100201".to_owned(), b"ok".to_vec()),
            ("360123100202".to_owned(), b"ok again".to_vec())
        ]
    );
    assert_eq!(store.meta_scan("nothing").unwrap(), []);
    assert_eq!(
        store
            .meta_get("summary", "360123100201/2026-11-25")
            .unwrap(),
        Some(7u32.to_be_bytes().to_vec())
    );
    // Bookkeeping is not the event log.
    assert_eq!(store.event_count().unwrap(), 0);
    assert!(store.version_vector().unwrap().is_empty());
}

#[test]
fn a_folder_held_by_another_handle_is_refused_as_in_use_naming_the_folder() {
    let (dir, held) = fresh(VILLAGE);
    let refused = Store::open_waiting(
        dir.path(),
        &code(VILLAGE),
        StoreOptions::default(),
        std::time::Duration::ZERO,
    )
    .unwrap_err();
    assert!(
        matches!(&refused, StoreError::InUse { path, .. } if path == dir.path()),
        "{refused:?}"
    );
    let text = refused.to_string();
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
    assert!(text.contains("正被另一个 sanji 进程使用"), "{text}");
    assert!(text.contains("请等它结束后再试"), "{text}");
    for raw in [
        "could not acquire lock",
        "Resource temporarily",
        "WouldBlock",
    ] {
        assert!(!text.contains(raw), "{text}");
    }
    // Once the holder lets go, the folder opens again (the default wait
    // covers sled's threads letting go a moment after the drop).
    drop(held);
    open(dir.path(), VILLAGE);
}

/// Views read one kind of record at a time through the kind index: it
/// holds exactly the entities of each kind, and a store made before the
/// index existed is indexed when it is opened.
#[test]
fn entities_are_indexed_by_kind_and_an_older_store_is_indexed_on_open() {
    use sanji_domain::fold::EntityKind;
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), VILLAGE);
    let (screening_id, visit_id, case_id) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    store
        .append_local(
            &ledger(VILLAGE),
            NOW,
            vec![
                screening_on(VILLAGE, screening_id, "山林界址", RiskLevel::General),
                visit(VILLAGE, visit_id),
                case(VILLAGE, case_id),
                screening(VILLAGE, "宅基地"),
            ],
        )
        .unwrap();
    let by_kind = |store: &Store| {
        let mut counts = std::collections::BTreeMap::new();
        for kind in [
            EntityKind::Screening,
            EntityKind::Visit,
            EntityKind::Case,
            EntityKind::Summary,
            EntityKind::MonthlyReport,
        ] {
            let of = store.entities_of(kind).unwrap();
            assert!(of.iter().all(|e| e.state.kind() == kind), "{kind:?}");
            counts.insert(kind, of.len());
        }
        counts
    };
    let counts = by_kind(&store);
    assert_eq!(counts[&EntityKind::Screening], 2);
    assert_eq!(counts[&EntityKind::Visit], 1);
    assert_eq!(counts[&EntityKind::Case], 1);
    assert_eq!(
        counts.values().sum::<usize>(),
        store.entities().unwrap().len()
    );
    drop(store);

    // As a store from before the index: no `t` entries, no marker.
    {
        let db = sanji_store::open_raw(dir.path()).unwrap();
        let stale: Vec<_> = db
            .scan_prefix(b"t")
            .keys()
            .map(Result::unwrap)
            .chain(std::iter::once(sled::IVec::from(&b"mkinds"[..])))
            .collect();
        for key in stale {
            db.remove(key).unwrap();
        }
        db.flush().unwrap();
    }
    let store = open_when_released(dir.path());
    assert_eq!(by_kind(&store), counts);
}

/// Opens `dir` once the handle just dropped has let go of its lock.
fn open_when_released(dir: &Path) -> Store {
    Store::open_waiting(
        dir,
        &code(VILLAGE),
        StoreOptions::default(),
        std::time::Duration::from_secs(10),
    )
    .unwrap()
}
