//! What a hub accepts on Push, driven with a raw replication client: an acked
//! batch sent again is harmless; another village's ledger, a broken hash
//! chain, a gap, equivocation and malformed records are each refused whole,
//! with the reason (and the field) in the status message.

use sanji_domain::{Digest, EventBody, Origin};
use sanji_proto as proto;
use sanji_tests::{
    Cluster, assert_chain, batch, heads, ledger, push, record_samples, station_today, village,
};
use tonic::Code as Status;

/// The hub's head for `origin` (0 when it holds nothing of it).
fn hub_head(cluster: &Cluster, origin: &Origin) -> u64 {
    cluster
        .hub_store()
        .head(origin)
        .unwrap()
        .map_or(0, |h| h.seq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_batch_pushed_twice_is_stored_once() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = cluster.open_station(&v);
    let events = record_samples(&station, 0, 30);
    let mut client = cluster.hub_client(&v).await;

    assert_eq!(heads(&mut client, &ledger(&v), 30).await, 0);
    let the_batch = batch(1, &events);

    let first = push(&mut client, vec![the_batch.clone()]).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].batch_no, 1);
    assert_eq!((first[0].stored, first[0].duplicates), (30, 0));
    assert_eq!(first[0].acked.as_ref().map(|a| a.seq), Some(30));
    // Let the hub derive its outbox from what arrived, then count everything it holds.
    cluster.forward().await;
    let count = cluster.hub_store().event_count().unwrap();
    let outbox_head = cluster
        .hub_store()
        .head(&Origin::outbox(sanji_tests::township()))
        .unwrap();

    let second = push(&mut client, vec![the_batch]).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!((second[0].stored, second[0].duplicates), (0, 30));
    assert_eq!(second[0].acked.as_ref().map(|a| a.seq), Some(30));

    // Nothing new: not at the hub, nor in what it derives for the county.
    cluster.forward().await;
    assert_eq!(cluster.hub_store().event_count().unwrap(), count);
    assert_eq!(
        cluster
            .hub_store()
            .head(&Origin::outbox(sanji_tests::township()))
            .unwrap(),
        outbox_head
    );
    assert_eq!(assert_chain(cluster.hub_store(), &ledger(&v)), events);
    assert_eq!(heads(&mut client, &ledger(&v), 30).await, 30);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_cannot_push_another_villages_ledger() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let (mine, theirs) = (village(1), village(2));
    let other = cluster.open_station(&theirs);
    let forged = record_samples(&other, 0, 5);
    let mut client = cluster.hub_client(&mine).await;

    let status = push(&mut client, vec![batch(1, &forged)])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Status::PermissionDenied, "{status:?}");
    assert!(status.message().contains("events[0].origin"), "{status:?}");
    assert!(status.message().contains(theirs.as_str()), "{status:?}");

    // Nor may it ask about another ledger.
    let status = client
        .heads(proto::HeadsRequest {
            local_heads: vec![sanji_proto::convert::origin_seq(&ledger(&theirs), 5)],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Status::PermissionDenied, "{status:?}");

    assert_eq!(hub_head(&cluster, &ledger(&theirs)), 0);
    assert_eq!(hub_head(&cluster, &ledger(&mine)), 0);
    assert!(cluster.hub_holds_no_village_ledger());
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_chain_a_gap_and_equivocation_are_each_refused_whole() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = cluster.open_station(&v);
    let events = record_samples(&station, 0, 4);
    let origin = ledger(&v);
    let mut client = cluster.hub_client(&v).await;

    // 1. prev_hash tampered on the wire, nothing recomputed: the hash no longer matches.
    let mut tampered = batch(1, &events[..2]);
    tampered.events[1].prev_hash[0] ^= 0xff;
    let status = push(&mut client, vec![tampered]).await.unwrap_err();
    assert_eq!(status.code(), Status::InvalidArgument, "{status:?}");
    assert!(status.message().contains("events[1].hash"), "{status:?}");
    assert_eq!(
        hub_head(&cluster, &origin),
        0,
        "seq 1 of the batch was not stored"
    );

    // 2. Correctly hashed, but prev_hash does not point at seq 1: the chain is broken.
    let mut rehashed = events[1].clone();
    rehashed.prev_hash = Digest([0xab; 32]);
    let status = push(&mut client, vec![batch(1, &[events[0].clone(), rehashed])])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Status::InvalidArgument, "{status:?}");
    assert!(status.message().contains("哈希链断裂"), "{status:?}");
    assert!(status.message().contains("第 2 号"), "{status:?}");
    assert_eq!(
        hub_head(&cluster, &origin),
        0,
        "seq 1 of the batch was not stored"
    );

    // The hub now holds seq 1.
    let acks = push(&mut client, vec![batch(1, &events[..1])])
        .await
        .unwrap();
    assert_eq!(acks[0].acked.as_ref().map(|a| a.seq), Some(1));

    // 3. A gap: seq 3 while the hub holds 1.
    let status = push(&mut client, vec![batch(2, &events[2..3])])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Status::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains("应为第 2 号") && status.message().contains("第 3 号"),
        "{status:?}"
    );
    assert_eq!(hub_head(&cluster, &origin), 1);

    // 4. Equivocation: another body at the acked seq 1, re-hashed so it is
    //    self-consistent, followed by a seq 2 chained to it.
    let mut other = events[0].clone();
    let EventBody::ScreeningRecorded(s) = &mut other.body else {
        panic!("sample 0 is a screening");
    };
    s.description = "同一条记录,事后改成了另一种说法".into();
    let mut next = events[1].clone();
    next.prev_hash = other.hash();
    let status = push(&mut client, vec![batch(3, &[other, next])])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Status::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("第 1 号") && status.message().contains("内容不同"),
        "{status:?}"
    );
    assert_eq!(
        hub_head(&cluster, &origin),
        1,
        "seq 2 of the batch was not stored"
    );
    assert_eq!(
        cluster.hub_store().get(&origin, 1).unwrap().as_ref(),
        Some(&events[0])
    );

    // The rejection is surfaced to the hub's operator.
    let peers = sanji_node::views::peers(cluster.hub_store()).unwrap();
    let row = peers
        .iter()
        .find(|p| p.code == v.as_str())
        .expect("the station is listed");
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.contains("内容不同")),
        "{row:?}"
    );

    // The honest ledger still goes through, and the error clears.
    let report = station.sync(1).await.unwrap();
    assert_eq!((report.push.acked, report.push.stored), (4, 3));
    assert_eq!(assert_chain(cluster.hub_store(), &origin), events);
    let peers = sanji_node::views::peers(cluster.hub_store()).unwrap();
    assert_eq!(
        peers
            .iter()
            .find(|p| p.code == v.as_str())
            .unwrap()
            .last_error,
        None
    );
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_naming_the_field_and_nothing_is_stored() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = cluster.open_station(&v);
    // Samples 0 and 7: a screening and a visit.
    let screening = record_samples(&station, 0, 1).remove(0);
    let visit = record_samples(&station, 7, 1).remove(0);
    assert_eq!(screening.body.kind(), "screening_recorded");
    assert_eq!(visit.body.kind(), "visit_recorded");
    let origin = ledger(&v);
    let mut client = cluster.hub_client(&v).await;
    let good = sanji_proto::convert::event_to_wire(&screening);

    // Each bad event follows a good one in the same batch.
    let visit_with = |change: &dyn Fn(&mut sanji_domain::record::Visit)| {
        let mut e = visit.clone();
        let EventBody::VisitRecorded(v) = &mut e.body else {
            unreachable!()
        };
        change(v);
        sanji_proto::convert::event_to_wire(&e)
    };
    let screening_with = |change: &dyn Fn(&mut sanji_domain::record::Screening)| {
        let mut e = screening.clone();
        e.seq = 2;
        e.prev_hash = screening.hash();
        e.id = uuid::Uuid::now_v7();
        let EventBody::ScreeningRecorded(s) = &mut e.body else {
            unreachable!()
        };
        change(s);
        sanji_proto::convert::event_to_wire(&e)
    };
    let tomorrow = station_today(&station).succ_opt().unwrap();

    let mut unknown_category = sanji_proto::convert::event_to_wire(&visit);
    let payload = String::from_utf8(unknown_category.payload.clone()).unwrap();
    let category = format!("\"category\":\"{}\"", {
        let EventBody::VisitRecorded(v) = &visit.body else {
            unreachable!()
        };
        sanji_domain::Labelled::id(v.category)
    });
    assert!(payload.contains(&category), "{payload}");
    unknown_category.payload = payload
        .replace(&category, "\"category\":\"witchcraft\"")
        .into_bytes();

    let mut short_id = sanji_proto::convert::event_to_wire(&visit);
    short_id.id = vec![1, 2, 3];

    let cases: Vec<(&str, proto::Event, &str)> = vec![
        (
            "unknown category",
            unknown_category,
            "events[1].payload.data.category",
        ),
        (
            "future date",
            screening_with(&|s| s.screened_on = tomorrow),
            "events[1].payload.data.screened_on",
        ),
        (
            "oversized text",
            screening_with(&|s| s.description = "纠纷".repeat(1001)),
            "events[1].payload.data.description",
        ),
        (
            "empty description",
            screening_with(&|s| s.description = "  ".into()),
            "events[1].payload.data.description",
        ),
        (
            "empty summary",
            visit_with(&|v| v.summary = String::new()),
            "events[1].payload.data.summary",
        ),
        ("3-byte id", short_id, "events[1].id"),
    ];
    for (what, bad, field) in cases {
        let status = push(
            &mut client,
            vec![proto::PushBatch {
                batch_no: 1,
                events: vec![good.clone(), bad],
            }],
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Status::InvalidArgument, "{what}: {status:?}");
        assert!(status.message().contains(field), "{what}: {status:?}");
        assert_eq!(hub_head(&cluster, &origin), 0, "{what}: nothing stored");
    }

    // 1001 events in one batch: refused before anything is decoded, naming the limit.
    let status = push(
        &mut client,
        vec![proto::PushBatch {
            batch_no: 1,
            events: vec![good.clone(); proto::MAX_BATCH_EVENTS + 1],
        }],
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Status::InvalidArgument, "{status:?}");
    assert!(status.message().contains("events"), "{status:?}");
    assert!(status.message().contains("1001"), "{status:?}");
    assert!(
        status
            .message()
            .contains(&proto::MAX_BATCH_EVENTS.to_string()),
        "{status:?}"
    );
    assert_eq!(hub_head(&cluster, &origin), 0);

    // An empty batch is refused too.
    let status = push(
        &mut client,
        vec![proto::PushBatch {
            batch_no: 1,
            events: vec![],
        }],
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Status::InvalidArgument, "{status:?}");
    assert_eq!(hub_head(&cluster, &origin), 0);

    // The station's genuine ledger is accepted afterwards.
    let report = station.sync(1).await.unwrap();
    assert_eq!((report.push.acked, report.push.stored), (2, 2));
    let _ = assert_chain(cluster.hub_store(), &origin);
    cluster.shutdown().await;
}
