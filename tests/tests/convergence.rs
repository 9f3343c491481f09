//! Many stations at once, and stations whose clocks are wrong: the hub ends
//! up with every station's ledger exactly, the county's figures add up, and
//! hybrid clocks keep causal order whatever the laptops' clocks say.

use std::collections::BTreeSet;

use sanji_domain::{EventBody, Origin};
use sanji_node::views;
use sanji_tests::{
    Cluster, DAY_MS, Tally, assert_chain, held, ledger, record_samples, station_today, township,
    village,
};
use tokio::task::JoinSet;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_stations_syncing_at_once_converge() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let mut created = Vec::new();
    let mut syncs = JoinSet::new();
    for n in 1..=10 {
        let station = cluster.open_station(&village(n));
        let events = record_samples(&station, n * 1000, 50);
        created.push((village(n), events));
        syncs.spawn(async move {
            let report = station.sync(1).await;
            (station, report)
        });
    }
    let mut stations = Vec::new();
    while let Some(joined) = syncs.join_next().await {
        let (station, report) = joined.expect("sync task ran");
        let report = report.unwrap_or_else(|e| panic!("{}: {e}", station.code()));
        assert_eq!((report.push.acked, report.push.stored), (50, 50));
        stations.push(station);
    }

    let hub = cluster.hub_store();
    let vv = hub.version_vector().unwrap();
    for (v, events) in &created {
        assert_eq!(vv.get(&ledger(v)), Some(&50), "{v}");
        assert_eq!(&assert_chain(hub, &ledger(v)), events, "{v}");
        let tally = Tally::of(events);
        let ids: BTreeSet<Uuid> = views::screenings(hub, v.as_str())
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, tally.screenings, "{v}");
    }
    let villages = vv
        .keys()
        .filter(|o| !o.is_outbox() && o.code().is_child_of(&township()))
        .count();
    assert_eq!(villages, 10, "nothing but the ten ledgers");

    cluster.forward().await;
    let county = cluster.county_store();
    let all = Tally::of(created.iter().flat_map(|(_, events)| events));
    let summaries = views::summaries(county, "").unwrap();
    for (v, events) in &created {
        let mine = Tally::of(events);
        let records: u32 = summaries
            .iter()
            .filter(|s| s.village == *v)
            .map(|s| s.records)
            .sum();
        assert_eq!(records as usize, mine.screenings.len(), "{v}");
        for s in summaries.iter().filter(|s| s.village == *v) {
            for cell in &s.cells {
                let want = mine
                    .cells
                    .get(&(v.clone(), s.date, cell.category, cell.risk))
                    .copied()
                    .unwrap_or(0);
                assert_eq!(cell.count, want, "{v} {} {:?}", s.date, cell);
            }
        }
    }
    let severe: BTreeSet<Uuid> = views::screenings(county, "")
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(severe, all.severe);

    // The county's one row for the township adds up the same.
    let townships = views::townships(county).unwrap();
    assert_eq!(townships.len(), 1, "{townships:?}");
    let row = &townships[0];
    assert_eq!(row.code, township().as_str());
    assert_eq!(row.villages, 10);
    assert_eq!(row.screenings as usize, all.screenings.len());
    assert_eq!(row.mass_incident_risk, u64::from(all.mass_incident));
    assert_eq!(row.severe_reports, all.severe.len());
    assert_eq!(
        row.link.as_ref().map(|l| (l.acked, l.pending)),
        Some((
            held(cluster.hub_store(), &Origin::outbox(township())).len() as u64,
            0
        ))
    );

    drop(stations);
    cluster.shutdown().await;
}

/// A station whose clock is `offset_ms` off records, syncs, receives the
/// hub's report of its own severe screening, and records again.
async fn a_skewed_station_keeps_causal_order(offset_ms: i64) {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = station_with_clock_ahead(&cluster, &v, offset_ms);
    let skew = station.clock().now_ms() as i64 - sanji_sync::Clock::system().now_ms() as i64;
    assert!(
        (skew - offset_ms).abs() < 60_000,
        "the station's clock is off by {skew} ms"
    );

    let created = record_samples(&station, 0, 40);
    let tally = Tally::of(&created);
    assert!(!tally.severe.is_empty());
    // Dated by the station's own calendar: for a fast clock, days the hub has not reached.
    let today = station_today(&station);
    assert!(created.iter().any(|e| matches!(&e.body,
        EventBody::ScreeningRecorded(s) if s.screened_on == today)));

    let own = held(station.store(), &ledger(&v));
    assert!(
        own.windows(2).all(|w| w[0].hlc < w[1].hlc),
        "HLC increases strictly in seq order"
    );

    // The hub accepts them: each record is judged by its event's own day.
    let report = station
        .sync(1)
        .await
        .expect("the hub accepts a skewed station");
    assert_eq!((report.push.acked, report.push.stored), (40, 40));
    assert_eq!(assert_chain(cluster.hub_store(), &ledger(&v)), created);

    // The hub reports the severe screenings to the county; the station
    // pulls those reports, which are about its own screenings.
    cluster.forward().await;
    let severe_at_county: BTreeSet<Uuid> = views::screenings(cluster.county_store(), "")
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(severe_at_county, tally.severe);
    // (Some may already have come with the first round's pull, had the
    // hub's own forwarding run by then.)
    station.sync(1).await.unwrap();
    let outbox = Origin::outbox(township());
    let received: Vec<_> = station
        .store()
        .version_vector()
        .unwrap()
        .keys()
        .filter(|o| **o == outbox)
        .flat_map(|o| held(station.store(), o))
        .collect();
    assert_eq!(received.len(), tally.severe.len());
    assert!(received.iter().all(|e| tally.severe.contains(&e.entity)));
    let latest = received.iter().map(|e| e.hlc).max().unwrap();
    for row in views::screenings(station.store(), "").unwrap() {
        assert_eq!(row.reported_at_ms.is_some(), tally.severe.contains(&row.id));
    }

    // What it records next is stamped after what it received, whatever its clock says.
    let next = record_samples(&station, 40, 1).remove(0);
    assert!(
        next.hlc > latest,
        "{:?} is not after {:?}",
        next.hlc,
        latest
    );
    assert!(next.hlc > own.last().unwrap().hlc);
    if offset_ms < 0 {
        assert!(
            station.clock().now_ms() < latest.wall_ms,
            "a slow clock reads earlier than the hub's stamp: the order comes from the HLC"
        );
    }
    let report = station.sync(1).await.unwrap();
    assert_eq!(report.push.acked, 41);

    drop(station);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_three_days_slow_still_orders_its_events() {
    a_skewed_station_keeps_causal_order(-3 * DAY_MS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_three_days_fast_still_orders_its_events() {
    a_skewed_station_keeps_causal_order(3 * DAY_MS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_screening_supersedes_the_countys_summary_for_its_day() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = cluster.open_station(&v);
    let today = station_today(&station);
    let yesterday = today.pred_opt().unwrap();
    let on = |i: usize, day| sanji_tests::screening(i, &v, day);

    station.record_screening(None, on(1, yesterday)).unwrap();
    station.record_screening(None, on(2, yesterday)).unwrap();
    station.record_screening(None, on(3, today)).unwrap();
    station.sync(1).await.unwrap();
    cluster.forward().await;
    let county = cluster.county_store();
    let before = views::summaries(county, "").unwrap();
    let day = |rows: &[sanji_domain::DailySummary], d| {
        rows.iter()
            .find(|s| s.date == d)
            .cloned()
            .unwrap_or_else(|| panic!("no summary for {d}: {rows:?}"))
    };
    assert_eq!(before.len(), 2);
    assert_eq!(day(&before, yesterday).records, 2);

    // A screening of yesterday recorded today: yesterday's figures are redone, not added to.
    let late = on(4, yesterday);
    station.record_screening(None, late.clone()).unwrap();
    station.sync(1).await.unwrap();
    cluster.forward().await;
    let after = views::summaries(county, "").unwrap();
    assert_eq!(after.len(), 2, "still one summary per village-day");
    let (old, new) = (day(&before, yesterday), day(&after, yesterday));
    assert_eq!(new.records, 3);
    assert!(new.revision > old.revision);
    assert_eq!(
        new.count(late.category, late.risk),
        old.count(late.category, late.risk) + 1
    );
    assert_eq!(
        day(&after, today),
        day(&before, today),
        "today's summary is untouched"
    );

    drop(station);
    cluster.shutdown().await;
}

/// A laptop whose clock is decades ahead (a mistyped year) must not drag
/// everyone's hybrid clock with it: whether the hub refuses its events or
/// accepts them without adopting their time, what the hub stamps for other
/// villages afterwards carries today's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_clock_decades_ahead_does_not_drag_the_hub_clock() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let wild = village(1);
    let station = station_with_clock_ahead(&cluster, &wild, 40 * 365 * DAY_MS);
    record_samples(&station, 0, 10);
    if let Err(e) = station.sync(1).await {
        assert!(
            e.to_string().contains("hlc"),
            "a refusal names the field: {e}"
        );
    }
    cluster.forward().await;

    let honest = cluster.open_station(&village(2));
    let tally = Tally::of(&record_samples(&honest, 0, 10));
    honest.sync(1).await.unwrap();
    cluster.forward().await;

    let now = sanji_sync::Clock::system().now_ms();
    let hub_clock = cluster.hub_store().clock().unwrap();
    assert!(
        hub_clock.wall_ms < now + DAY_MS as u64,
        "the hub's clock now reads {}",
        sanji_domain::time::format_cst(hub_clock.wall_ms)
    );
    for row in views::screenings(cluster.county_store(), village(2).as_str()).unwrap() {
        assert!(tally.severe.contains(&row.id));
        let reported = row.reported_at_ms.expect("reported");
        assert!(
            reported < now + DAY_MS as u64,
            "village 2's severe screening is reported at {}",
            sanji_domain::time::format_cst(reported)
        );
    }
    drop((station, honest));
    cluster.shutdown().await;
}

/// A laptop a month fast: while its clock is wrong the hub refuses its push
/// and tells the clerk to fix the clock, the data being safe. The records
/// made meanwhile keep their stamps (they are hashed), and the station's
/// persisted hybrid clock stamps every later record after them; once the
/// clock is right again the hub takes them all, without letting those stamps
/// move its own clock, and its operator sees in the station's sync health
/// that the clock was a month fast. The severe screenings among them still
/// reach the county.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_whose_clock_ran_a_month_ahead_syncs_once_the_clock_is_fixed() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = station_with_clock_ahead(&cluster, &v, 30 * DAY_MS);
    // Samples 4 and 5 are severe: they must reach the county.
    let mut created = record_samples(&station, 0, 6);
    let refused = station.sync(1).await.unwrap_err().to_string();
    assert!(
        refused.contains("events[0].hlc") && refused.contains("校准"),
        "{refused}"
    );
    let peer = sanji_sync::PeerStatus::load(cluster.hub_store(), &v).unwrap();
    assert!(
        peer.last_error
            .as_deref()
            .is_some_and(|e| e.contains("校准")),
        "the operator sees why the station is refused: {peer:?}"
    );
    drop(station);

    // The clerk fixes the clock, as the message says, and carries on.
    let station = cluster.open_station(&v);
    created.extend(record_samples(&station, 6, 1));
    if let Err(e) = station.sync(1).await {
        panic!(
            "the sync after the fix is refused ({e}); the record made after the fix is stamped {}",
            created[6].hlc
        );
    }
    assert_eq!(assert_chain(cluster.hub_store(), &ledger(&v)), created);

    let now = sanji_sync::Clock::system().now_ms();
    let hub_clock = cluster.hub_store().clock().unwrap();
    assert!(
        hub_clock.wall_ms < now + DAY_MS as u64,
        "the hub's clock now reads {}",
        sanji_domain::time::format_cst(hub_clock.wall_ms)
    );
    let peer = sanji_sync::PeerStatus::load(cluster.hub_store(), &v).unwrap();
    let warning = peer.last_error.clone().unwrap_or_default();
    assert!(
        warning.contains("时钟曾快约 30 天") && warning.contains("校准"),
        "the operator sees that the station's clock was wrong: {peer:?}"
    );
    assert_eq!(peer.acked, 7, "{peer:?}");
    let row = views::peers(cluster.hub_store())
        .unwrap()
        .into_iter()
        .find(|r| r.code == v.as_str())
        .expect("the station is listed");
    assert_eq!(row.last_error.as_deref(), Some(warning.as_str()));

    let tally = Tally::of(&created);
    cluster.forward().await;
    let reported: BTreeSet<Uuid> = views::screenings(cluster.county_store(), v.as_str())
        .unwrap()
        .into_iter()
        .filter(|row| row.reported_at_ms.is_some())
        .map(|row| row.id)
        .collect();
    assert_eq!(
        reported, tally.severe,
        "the severe screenings reach the county"
    );
    drop(station);
    cluster.shutdown().await;
}

/// A sender that does not state its clock (an older station) is judged as
/// before: stamps more than a week ahead are refused, nothing of the batch is
/// stored, and the hub's clock stays where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stamps_a_month_ahead_from_a_sender_that_does_not_state_its_clock_are_refused() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    let v = village(1);
    let station = station_with_clock_ahead(&cluster, &v, 30 * DAY_MS);
    let events = record_samples(&station, 0, 3);
    let mut client = cluster.hub_client(&v).await;
    let hub_clock = cluster.hub_store().clock().unwrap();
    let refused = sanji_tests::push(&mut client, vec![sanji_tests::batch(1, &events)])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert!(
        refused.message().starts_with("events[0].hlc") && refused.message().contains("校准"),
        "{refused:?}"
    );
    assert_eq!(cluster.hub_store().head(&ledger(&v)).unwrap(), None);
    assert_eq!(cluster.hub_store().clock().unwrap(), hub_clock);
    drop(station);
    cluster.shutdown().await;
}

/// A station of `village` whose clock runs `offset_ms` fast.
fn station_with_clock_ahead(
    cluster: &Cluster,
    village: &sanji_domain::Code,
    offset_ms: i64,
) -> sanji_node::Station {
    let mut config = cluster.station_config(village);
    config.clock_offset_ms = offset_ms;
    cluster.open_station_with(config)
}
