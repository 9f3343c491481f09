//! Offline-first end to end: a station works with the hub down, nothing is
//! lost, and once the hub is there everything reaches it exactly once and the
//! county gets exactly what it must (severe screenings in full, complete
//! summaries). A hub restart between pushes keeps every acked event.

use std::collections::BTreeSet;

use sanji_domain::record::{Category, RiskLevel};
use sanji_domain::{Labelled, Origin};
use sanji_node::{NodeError, views};
use sanji_sync::SyncError;
use sanji_tests::{Cluster, Tally, assert_chain, ledger, record_samples, township, village};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_made_while_the_hub_is_down_reach_the_hub_once_and_the_county_as_required() {
    sanji_sync::tls::install_crypto();
    let mut cluster = Cluster::start_with_hub_down().await;
    let v = village(1);
    let station = cluster.open_station(&v);

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
    let station = cluster.follow_hub(station);
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
    let station = cluster.open_station(&v);

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
    let station = cluster.follow_hub(station);
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
