//! Offline-first end to end: a station works with the hub down, nothing is
//! lost, and once the hub is there everything reaches it exactly once and the
//! county gets exactly what it must (severe screenings in full, complete
//! summaries). A hub restart between pushes keeps every acked event.

use std::collections::BTreeSet;

use sanji_domain::case::CaseStep;
use sanji_domain::record::{Category, RiskLevel};
use sanji_domain::{Event, EventBody, Labelled, Origin};
use sanji_node::{NodeError, views};
use sanji_proto as proto;
use sanji_sync::SyncError;
use sanji_tests::{
    Cluster, Tally, assert_chain, batch, held, ledger, push, record_samples,
    record_samples_batched, township, village,
};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_made_while_the_hub_is_down_reach_the_hub_once_and_the_county_as_required() {
    sanji_sync::tls::install_crypto();
    let mut cluster = Cluster::start_with_hub_down().await;
    let v = village(1);
    let mut station = cluster.open_station(&v);

    let created = record_samples(&station, 0, 200);
    let tally = Tally::of(&created);
    assert!(
        !tally.severe.is_empty() && tally.severe.len() < tally.screenings.len(),
        "the samples mix severe and ordinary screenings"
    );

    // The hub is down: the sync fails cleanly and says the local data is safe.
    let err = station.sync(1).await.unwrap_err();
    match &err {
        NodeError::Sync(SyncError::Unreachable { parent, addr, .. }) => {
            assert_eq!(*parent, township());
            assert_eq!(*addr, cluster.hub_addr().to_string());
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("本地数据未受影响"), "{message}");
    let last = station
        .last_sync()
        .unwrap()
        .expect("the failed attempt is recorded");
    assert_eq!(last.succeeded_ms, None);
    assert!(
        last.error
            .as_deref()
            .is_some_and(|e| e.contains("无法连接"))
    );

    // Nothing lost locally.
    let status = station.status().unwrap();
    assert_eq!(status.events_recorded, 200);
    assert_eq!(status.pending, 200);
    let local = assert_chain(station.store(), &ledger(&v));
    assert_eq!(local, created);
    let local_screenings: BTreeSet<Uuid> = views::screenings(station.store(), "")
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(local_screenings, tally.screenings);
    assert_eq!(
        views::visits(station.store(), "").unwrap().len(),
        tally.visits.len()
    );
    assert_eq!(
        views::cases(station.store(), "").unwrap().len(),
        tally.cases.len()
    );

    // The hub comes up; one sync round delivers everything.
    cluster.start_hub().await;
    cluster.follow_hub(&mut station);
    let report = station
        .sync(1)
        .await
        .expect("sync succeeds once the hub is up");
    assert_eq!(report.push.local_head, 200);
    assert_eq!(report.push.acked, 200);
    assert_eq!(report.push.sent, 200);
    assert_eq!(report.push.stored, 200);
    assert_eq!(report.push.duplicates, 0);
    assert!(report.all_acked());
    assert_eq!(station.status().unwrap().pending, 0);

    let hub = cluster.hub_store();
    let vv = hub.version_vector().unwrap();
    assert_eq!(vv.get(&ledger(&v)), Some(&200));
    let at_hub = assert_chain(hub, &ledger(&v));
    assert_eq!(
        at_hub, created,
        "the hub holds exactly the station's events"
    );
    let hub_screenings: BTreeSet<Uuid> = views::screenings(hub, v.as_str())
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(hub_screenings, tally.screenings);
    assert_eq!(
        views::visits(hub, v.as_str()).unwrap().len(),
        tally.visits.len()
    );
    assert_eq!(
        views::cases(hub, v.as_str()).unwrap().len(),
        tally.cases.len()
    );

    // The hub forwards: the county holds exactly the severe screenings…
    let upstream = cluster.forward().await;
    assert_eq!(upstream.last_error, None);
    assert_eq!(upstream.acked_by_county, upstream.outbox_head);
    let county = cluster.county_store();
    let severe = views::screenings(county, "").unwrap();
    let severe_ids: BTreeSet<Uuid> = severe.iter().map(|r| r.id).collect();
    assert_eq!(severe_ids, tally.severe);
    for row in &severe {
        assert!(
            row.risk == RiskLevel::Severe || row.mass_incident_risk,
            "{row:?}"
        );
        assert!(row.reported_at_ms.is_some(), "{row:?}");
        assert_eq!(row.village, v);
    }
    // …and no personal details of records that never left the township.
    assert!(views::visits(county, "").unwrap().is_empty());
    assert!(views::cases(county, "").unwrap().is_empty());

    // …and complete summaries whose cells add up to what was created.
    let summaries = views::summaries(county, "").unwrap();
    let days: BTreeSet<_> = tally.cells.keys().map(|(_, day, _, _)| *day).collect();
    assert_eq!(summaries.len(), days.len(), "one summary per village-day");
    let mut zero_cells = 0;
    for s in &summaries {
        assert_eq!(s.village, v);
        assert_eq!(s.cells.len(), Category::ALL.len() * RiskLevel::ALL.len());
        for cell in &s.cells {
            let want = tally
                .cells
                .get(&(v.clone(), s.date, cell.category, cell.risk))
                .copied()
                .unwrap_or(0);
            assert_eq!(
                cell.count, want,
                "{} {:?} {:?}",
                s.date, cell.category, cell.risk
            );
            zero_cells += usize::from(cell.count == 0);
        }
    }
    assert!(zero_cells > 0, "zero cells are sent explicitly");
    let total: u32 = summaries.iter().map(|s| s.records).sum();
    assert_eq!(total as usize, tally.screenings.len());
    let mass: u32 = summaries.iter().map(|s| s.mass_incident_risk).sum();
    assert_eq!(mass, tally.mass_incident);
    for category in Category::ALL {
        for risk in RiskLevel::ALL {
            let sum: u32 = summaries.iter().map(|s| s.count(*category, *risk)).sum();
            let want: u32 = tally
                .cells
                .iter()
                .filter(|((_, _, c, r), _)| c == category && r == risk)
                .map(|(_, n)| n)
                .sum();
            assert_eq!(sum, want, "{category:?} × {risk:?}");
        }
    }

    // Forwarding again changes nothing at the county.
    cluster.forward().await;
    assert_eq!(
        views::screenings(county, "").unwrap().len(),
        tally.severe.len()
    );
    assert_eq!(views::summaries(county, "").unwrap(), summaries);

    drop(station);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_restarted_between_two_pushes_keeps_every_acked_event() {
    sanji_sync::tls::install_crypto();
    let mut cluster = Cluster::start().await;
    let v = village(1);
    let mut station = cluster.open_station(&v);

    let first = record_samples(&station, 0, 100);
    let report = station.sync(1).await.unwrap();
    assert_eq!((report.push.acked, report.push.stored), (100, 100));

    cluster.restart_hub().await;
    assert_eq!(
        cluster
            .hub_store()
            .head(&ledger(&v))
            .unwrap()
            .map(|h| h.seq),
        Some(100),
        "acked events survive the restart"
    );

    let second = record_samples(&station, 100, 100);
    cluster.follow_hub(&mut station);
    let report = station.sync(1).await.unwrap();
    assert_eq!(report.push.local_head, 200);
    assert_eq!(report.push.acked, 200);
    assert_eq!(
        report.push.sent, 100,
        "only what was not acked is sent again"
    );
    assert_eq!(report.push.stored, 100);
    assert_eq!(report.push.duplicates, 0);

    let hub = cluster.hub_store();
    let at_hub = assert_chain(hub, &ledger(&v));
    let all: Vec<_> = first.iter().chain(&second).cloned().collect();
    assert_eq!(at_hub, all);
    let tally = Tally::of(&all);
    assert_eq!(
        views::screenings(hub, v.as_str()).unwrap().len(),
        tally.screenings.len(),
        "no record twice"
    );

    // The forwarding cursor survived too: each severe screening reaches the county once.
    cluster.forward().await;
    let county = cluster.county_store();
    let severe: Vec<Uuid> = views::screenings(county, "")
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        severe.iter().copied().collect::<BTreeSet<_>>(),
        tally.severe
    );
    assert_eq!(severe.len(), tally.severe.len());
    let outbox = assert_chain(hub, &Origin::outbox(township()));
    let reports = outbox
        .iter()
        .filter(|e| e.body.kind() == "severe_screening_reported")
        .count();
    assert_eq!(
        reports,
        tally.severe.len(),
        "one report per severe screening"
    );
    assert_eq!(
        assert_chain(county, &Origin::outbox(township())),
        outbox,
        "the county holds the hub's outbox exactly"
    );

    drop(station);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_first_sync_resumes_from_the_last_ack_and_pulls_only_its_scope_in_batches() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let (v, neighbour) = (village(1), village(2));
    let station = cluster.open_station(&v);
    let created = record_samples_batched(&station, 0, 2000);
    let tally = Tally::of(&created);
    assert!(
        tally.severe.len() > 500,
        "more severe reports than one pull batch"
    );
    let other = cluster.open_station(&neighbour);
    let theirs = Tally::of(&record_samples(&other, 0, 20));
    assert!(!theirs.severe.is_empty());
    other.sync(1).await.unwrap();

    // An earlier, interrupted sync got the first 500 acked.
    let mut client = cluster.hub_client(&v).await;
    let acks = push(&mut client, vec![batch(1, &created[..500])])
        .await
        .unwrap();
    assert_eq!(acks[0].acked.as_ref().map(|a| a.seq), Some(500));

    // The next round resumes there instead of starting from zero.
    let report = station.sync(1).await.unwrap();
    assert_eq!(report.push.local_head, 2000);
    assert_eq!(report.push.acked, 2000);
    assert_eq!(report.push.sent, 1500);
    assert_eq!(report.push.stored, 1500);
    assert_eq!(report.push.duplicates, 0);
    assert_eq!(assert_chain(cluster.hub_store(), &ledger(&v)), created);

    // Pulling the station's scope in batches of 100: the hub's reports of this
    // village's severe screenings, none of the neighbour's, and the hub's
    // receipt of each of this village's cases (its acceptance deadline, fixed
    // by the pass just run), then `complete`.
    cluster.forward().await;
    let mut batches = client
        .pull(proto::PullRequest {
            scope: v.to_string(),
            version_vector: sanji_proto::convert::vector_to_wire(
                &[(ledger(&v), 2000)].into_iter().collect(),
            ),
            batch_limit: 100,
        })
        .await
        .unwrap()
        .into_inner();
    let mut pulled = Vec::new();
    let mut sizes = Vec::new();
    while let Some(b) = batches.message().await.unwrap() {
        sizes.push((b.events.len(), b.complete));
        pulled.extend(sanji_proto::convert::events_from_wire(&b.events).unwrap());
        if b.complete {
            break;
        }
    }
    let expected = tally.severe.len() + tally.cases.len();
    let full = expected / 100;
    assert_eq!(sizes.len(), full + 1, "{sizes:?}");
    assert!(
        sizes[..full]
            .iter()
            .all(|&(n, complete)| n == 100 && !complete),
        "{sizes:?}"
    );
    assert_eq!(sizes[full], (expected % 100, true), "{sizes:?}");
    let outbox = Origin::outbox(township());
    let hub_ledger = Origin::node(township());
    let (reports, receipts): (Vec<&Event>, Vec<&Event>) =
        pulled.iter().partition(|e| e.origin == outbox);
    assert!(reports.windows(2).all(|w| w[0].seq < w[1].seq));
    let about: BTreeSet<Uuid> = reports.iter().map(|e| e.entity).collect();
    assert_eq!(
        about, tally.severe,
        "exactly this village's severe screenings"
    );
    assert!(receipts.iter().all(|e| e.origin == hub_ledger
        && matches!(
            &e.body,
            EventBody::CaseStepped(a) if matches!(a.step, CaseStep::Received { .. })
        )));
    let received: BTreeSet<Uuid> = receipts.iter().map(|e| e.entity).collect();
    assert_eq!(received, tally.cases, "exactly this village's cases");

    // The station's own pull stores the same, and a second round finds nothing new.
    let report = station.sync(1).await.unwrap();
    assert_eq!(report.push.sent, 0);
    let at_station: BTreeSet<Uuid> = held(station.store(), &outbox)
        .iter()
        .map(|e| e.entity)
        .collect();
    assert_eq!(at_station, tally.severe);
    let again = station.sync(1).await.unwrap();
    assert_eq!((again.push.sent, again.pull.received), (0, 0));

    drop((station, other));
    cluster.shutdown().await;
}

/// A guard against a sync that never returns; not a synchronisation.
async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(30), f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within 30 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reinstalled_station_is_told_why_its_ledger_is_refused() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = cluster.open_station(&v);
    let original = record_samples(&station, 0, 5);
    station.sync(1).await.unwrap();
    drop(station);

    // The laptop is wiped and the clerk starts again: a different ledger
    // under the same code, longer than the hub's copy and many batches long.
    std::fs::remove_dir_all(cluster.station_dir(&v)).unwrap();
    let station = cluster.open_station(&v);
    record_samples_batched(&station, 100, 2600);
    let err = within("the refused sync", station.sync(1))
        .await
        .unwrap_err();
    match &err {
        NodeError::Sync(SyncError::Rejected { code, message, .. }) => {
            assert_eq!(*code, tonic::Code::InvalidArgument);
            assert!(
                message.contains("哈希链断裂") && message.contains("第 6 号"),
                "{message}"
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(assert_chain(cluster.hub_store(), &ledger(&v)), original);
    let last = station.last_sync().unwrap().unwrap();
    assert!(
        last.error
            .as_deref()
            .is_some_and(|e| e.contains("哈希链断裂"))
    );
    drop(station);

    // Wiped again, with fewer records than the hub already acked.
    std::fs::remove_dir_all(cluster.station_dir(&v)).unwrap();
    let station = cluster.open_station(&v);
    record_samples(&station, 200, 3);
    let err = within("the refused sync", station.sync(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            NodeError::Sync(SyncError::ParentAhead {
                acked: 5,
                local: 3,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("联系镇中心"), "{err}");
    assert_eq!(assert_chain(cluster.hub_store(), &ledger(&v)), original);

    drop(station);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_at_every_text_limit_sync_in_batches_that_fit_a_message() {
    use sanji_domain::record::{Party, limits};
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = cluster.open_station(&v);
    let today = sanji_tests::station_today(&station);

    // Four-byte characters (𠮷, a rare form of 吉 found in surnames) at every
    // length limit: ~38 KB an event, so 460 of them exceed one gRPC message.
    // Half are severe: the hub's full copies of those exceed one batch's
    // bytes too, on the way to the county and back to the station.
    let long = |n: usize| "𠮷".repeat(n);
    let bodies = (0..460)
        .map(|i| {
            let mut s = sanji_tests::screening(i, &v, today);
            s.mass_incident_risk = i.is_multiple_of(2);
            s.risk = sanji_domain::record::RiskLevel::General;
            s.screener = long(limits::NAME);
            s.description = long(limits::TEXT);
            s.measures = long(limits::TEXT);
            s.parties = (0..limits::PARTIES)
                .map(|_| Party {
                    name: long(limits::NAME),
                    contact: Some(long(limits::CONTACT)),
                })
                .collect();
            sanji_domain::EventBody::ScreeningRecorded(s)
        })
        .collect();
    let created = station.record_many(None, bodies).unwrap();
    let wire_bytes: usize = created
        .iter()
        .map(|e| sanji_proto::convert::event_to_wire(e).payload.len())
        .sum();
    assert!(wire_bytes > proto::MAX_MESSAGE_BYTES, "{wire_bytes} bytes");
    let tally = Tally::of(&created);
    assert_eq!(tally.severe.len(), 230);
    let copies: usize = created
        .iter()
        .filter(|e| tally.severe.contains(&e.entity))
        .map(|e| sanji_proto::convert::event_to_wire(e).payload.len())
        .sum();
    assert!(copies > sanji_sync::BATCH_BYTES, "{copies} bytes");

    let report = within("the sync", station.sync(1)).await.unwrap();
    assert_eq!((report.push.acked, report.push.stored), (460, 460));
    assert_eq!(assert_chain(cluster.hub_store(), &ledger(&v)), created);

    cluster.forward().await;
    let at_county: BTreeSet<Uuid> = views::screenings(cluster.county_store(), "")
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(at_county, tally.severe);
    within("the sync", station.sync(1)).await.unwrap();
    assert_eq!(
        held(station.store(), &Origin::outbox(township())).len(),
        tally.severe.len()
    );

    drop(station);
    cluster.shutdown().await;
}

/// The station's status tells what the hub really holds: a round the hub
/// refused half-way (its second batch carries stamps a month ahead, made
/// after its clock jumped a month forward) still moved the hub's durable
/// mark, and the status says so rather than repeating the last whole round.
#[tokio::test]
async fn a_round_refused_half_way_still_reports_what_the_hub_acknowledged() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = cluster.open_station(&v);
    record_samples_batched(&station, 0, 500);
    drop(station);
    let mut config = cluster.station_config(&v);
    config.clock_offset_ms = 30 * sanji_tests::DAY_MS;
    let station = cluster.open_station_with(config);
    let today = sanji_tests::station_today(&station);
    let month_ahead = station.clock().now_ms();
    let drafts = (500..510)
        .map(|i| sanji_store::Draft {
            author: "李明".into(),
            entity: Uuid::now_v7(),
            body: sanji_tests::sample_body(i, &v, today),
        })
        .collect();
    station
        .store()
        .append_local(&ledger(&v), month_ahead, drafts)
        .unwrap();
    assert_eq!(station.status().unwrap().acked_by_hub, 0);

    let refused = station.sync(1).await.unwrap_err().to_string();
    assert!(refused.contains("校准"), "{refused}");
    let held = cluster.hub_store().head(&ledger(&v)).unwrap().unwrap().seq;
    assert_eq!(
        held, 500,
        "the first batch was stored, the second refused whole"
    );
    let status = station.status().unwrap();
    assert_eq!(status.acked_by_hub, 500, "{status:?}");
    assert_eq!(status.pending, 10, "{status:?}");
    drop(station);
    cluster.shutdown().await;
}

/// The station's own ledger stops being readable under it (the disk loses
/// the data file's content) after the round has begun. The push reads
/// nothing more and ends its stream cleanly; the round must still fail, as
/// the store's error, and the hub must hold nothing the station did not send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_that_cannot_be_read_during_a_push_fails_the_round() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = cluster.open_station(&v);
    record_samples_batched(&station, 0, 1_000);
    drop(station);
    // Reopened, so the events are read from the file, not from sled's cache;
    // the head, which the round reads first, is read now, while it can be.
    let station = cluster.open_station(&v);
    let head = station.store().head(&ledger(&v)).unwrap().unwrap().seq;
    assert_eq!(head, 1_000);
    let db = station.store().path().join("db");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(0)
        .unwrap();

    let link = sanji_sync::Link::connect(&station.upstream().unwrap())
        .await
        .expect("the hub is up");
    let failed = link
        .push(station.store(), &ledger(&v))
        .await
        .expect_err("a push that could not read its ledger is not a success");
    assert!(matches!(failed, SyncError::Store(_)), "{failed:?}");
    let held = cluster
        .hub_store()
        .head(&ledger(&v))
        .unwrap()
        .map_or(0, |h| h.seq);
    assert!(held < head, "the hub holds {held} of {head}");

    // Through the station, the round fails the same way, not as a success.
    match station.sync(1).await {
        Err(NodeError::Sync(SyncError::Store(_)) | NodeError::Store(_)) => {}
        other => panic!("expected the store's error, got {other:?}"),
    }
    drop((station, link));
    cluster.shutdown().await;
}
