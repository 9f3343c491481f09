//! Sync through a network that misbehaves: a proxy between the stations and
//! the hub cuts connections after random numbers of bytes (either way), stalls
//! them (then resumes or cuts) and delays chunks, with TLS end to end through
//! it. Every round may fail; what a failed round leaves behind must let a
//! later one finish, and the hub must end with exactly each station's ledger.
//!
//! The proxy's plans come from a seed printed on stderr (`--nocapture`);
//! `SANJI_PROXY_SEED=<seed>` replays them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sanji_domain::{Event, Origin};
use sanji_node::{NodeError, Station, views};
use sanji_sync::SyncError;
use sanji_tests::proxy::{FaultProxy, Faults, ProxyStats, proxy_seed};
use sanji_tests::{
    Cluster, Tally, assert_chain, held, ledger, record_samples_batched, township, village,
};
use tokio::task::JoinSet;
use uuid::Uuid;

/// A whole round takes well under a second here, plus at most 2 ×
/// `stall_max` of the proxy's stalls. The client's own deadline for a silent
/// stream (HTTP/2 keepalive, about 35 s) is longer than this whole test may
/// take, so each round is bounded here too, and one that runs out counts as
/// failed, like a cut.
const ROUND_TIMEOUT: Duration = Duration::from_secs(10);

/// Generous: with the default faults a round completes or makes progress
/// about half the time, so a wave needs a few rounds.
const MAX_ROUNDS: u32 = 100;

/// Records per station; each station records them in three waves and syncs
/// after each, as a clerk would over a day.
const RECORDS: [usize; 4] = [300, 800, 1500, 2400];
const WAVES: usize = 3;

#[derive(Debug, Default, Clone, Copy)]
struct Rounds {
    total: u32,
    failed: u32,
    timed_out: u32,
}

impl std::ops::AddAssign for Rounds {
    fn add_assign(&mut self, other: Rounds) {
        self.total += other.total;
        self.failed += other.failed;
        self.timed_out += other.timed_out;
    }
}

/// Sync rounds through the proxy until one reports every local record acked
/// (a round only reports at all once its pull is complete too). Every
/// failure must be one the product calls transient: a cut or stall is the
/// network, never a reason to give up on the data.
async fn sync_until_acked(station: &Station) -> Rounds {
    let mut rounds = Rounds::default();
    while rounds.total < MAX_ROUNDS {
        rounds.total += 1;
        match tokio::time::timeout(ROUND_TIMEOUT, station.sync(1)).await {
            Ok(Ok(report)) if report.all_acked() => return rounds,
            Ok(Ok(report)) => panic!(
                "{}: a round ended without error but with unacked records: {report:?}",
                station.code()
            ),
            // The hub may say it is busy (streams a cut left open still
            // count for a moment); anything else it "refused" was the
            // network, and the station must not be told the hub refused it.
            Ok(Err(NodeError::Sync(SyncError::Rejected { code, message, .. })))
                if code != tonic::Code::ResourceExhausted =>
            {
                panic!(
                    "{}: round {}: a network fault reported as the hub refusing: {code:?} {message}",
                    station.code(),
                    rounds.total
                )
            }
            Ok(Err(NodeError::Sync(e))) if e.is_transient() => rounds.failed += 1,
            Ok(Err(e)) => panic!(
                "{}: round {} failed with an error that is not retried: {e} ({e:?})",
                station.code(),
                rounds.total
            ),
            Err(_) => {
                rounds.failed += 1;
                rounds.timed_out += 1;
            }
        }
    }
    panic!(
        "{}: not converged after {MAX_ROUNDS} rounds ({rounds:?})",
        station.code()
    );
}

struct StationRun {
    station: Station,
    created: Vec<Event>,
    rounds: Rounds,
    proxy: FaultProxy,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stations_syncing_through_a_faulty_network_leave_the_hub_exactly_their_ledgers() {
    sanji_sync::tls::install_crypto();
    let seed = proxy_seed();
    let cluster = Cluster::start().await;
    let faults = Faults::default();

    let mut runs = JoinSet::new();
    for (i, &records) in RECORDS.iter().enumerate() {
        let v = village(i + 1);
        // A proxy per station: its connections come one round at a time, so
        // the n-th connection's plan is the same on replay.
        let proxy =
            FaultProxy::start(cluster.hub_addr(), faults, seed.wrapping_add(i as u64)).await;
        let mut config = cluster.station_config(&v);
        config.parent_addr = Some(proxy.addr().to_string());
        let station = cluster.open_station_with(config);
        runs.spawn(async move {
            let mut created = Vec::new();
            let mut rounds = Rounds::default();
            for wave in 0..WAVES {
                let (first, last) = (records * wave / WAVES, records * (wave + 1) / WAVES);
                created.extend(record_samples_batched(&station, first, last - first));
                rounds += sync_until_acked(&station).await;
            }
            StationRun {
                station,
                created,
                rounds,
                proxy,
            }
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = runs.join_next().await {
        done.push(joined.expect("a station's run completes"));
    }
    done.sort_by_key(|run| run.station.code().clone());

    // The hub holds exactly each ledger: every seq from 1 to the head once,
    // chained, byte for byte what the station recorded, and folded once.
    let hub = cluster.hub_store();
    for run in &done {
        let v = run.station.code();
        assert_eq!(run.station.status().unwrap().pending, 0, "{v}");
        assert_eq!(&assert_chain(hub, &ledger(v)), &run.created, "{v}");
        let screenings: BTreeSet<Uuid> = views::screenings(hub, v.as_str())
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(screenings, Tally::of(&run.created).screenings, "{v}");
    }
    let villages = hub
        .version_vector()
        .unwrap()
        .keys()
        .filter(|o| !o.is_outbox() && o.code() != hub.node())
        .count();
    assert_eq!(villages, RECORDS.len(), "nothing but the stations' ledgers");
    // The hub's own ledger holds nothing yet but the 总登记簿's numbers for
    // the visits and cases that arrived.
    let own = hub
        .events_after(&Origin::node(hub.node().clone()), 0, 10_000)
        .unwrap();
    assert!(
        own.iter()
            .all(|e| matches!(e.body, sanji_domain::EventBody::RegisterNumbered(_))),
        "{own:?}"
    );

    // The hub reports the severe screenings; each station pulls, through
    // the same faults, exactly what the hub holds in its scope.
    cluster.forward().await;
    for run in &mut done {
        run.rounds += sync_until_acked(&run.station).await;
    }
    let outbox = Origin::outbox(township());
    for run in &done {
        let v = run.station.code();
        let mine = ledger(v);
        let pulled: BTreeMap<Origin, Vec<Event>> = run
            .station
            .store()
            .version_vector()
            .unwrap()
            .into_keys()
            .filter(|o| *o != mine)
            .map(|o| (o.clone(), held(run.station.store(), &o)))
            .collect();
        let mut in_scope: BTreeMap<Origin, Vec<Event>> = BTreeMap::new();
        for e in hub.scope_after(v, &BTreeMap::new(), usize::MAX).unwrap() {
            if e.origin != mine {
                in_scope.entry(e.origin.clone()).or_default().push(e);
            }
        }
        assert_eq!(pulled, in_scope, "{v}: what it pulled");
        let severe = Tally::of(&run.created).severe;
        let reported: BTreeSet<Uuid> = pulled
            .get(&outbox)
            .map(|events| events.iter().map(|e| e.entity).collect())
            .unwrap_or_default();
        assert_eq!(reported, severe, "{v}: a report for each severe screening");
    }

    // Not vacuous: the network really failed rounds.
    let mut stats = ProxyStats::default();
    let mut rounds = Rounds::default();
    for run in &done {
        let s = run.proxy.stats();
        eprintln!("{}: {:?}, {:?}", run.station.code(), run.rounds, s);
        stats += s;
        rounds += run.rounds;
    }
    eprintln!("all: {rounds:?}, {stats:?} (seed {seed})");
    assert!(stats.cuts() > 0, "no connection was cut: {stats:?}");
    assert!(rounds.failed > 0, "no round failed: {rounds:?}");

    drop(done);
    cluster.shutdown().await;
}

/// A network that lets the TCP connection up and then swallows everything (a
/// NAT or captive portal dropping packets after the SYN) stalls the TLS
/// handshake, before any HTTP/2 keepalive exists. The round must still end,
/// as unreachable, with the local data untouched: it used to hang forever,
/// and with it the hub's forwarder, which connects to the county the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_handshake_the_network_swallows_ends_the_round_as_unreachable() {
    sanji_sync::tls::install_crypto();
    let cluster = Cluster::start().await;
    // Never accepted: the kernel completes TCP connects into the backlog,
    // and the ClientHello goes nowhere.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let v = village(1);
    let mut config = cluster.station_config(&v);
    config.parent_addr = Some(black_hole.local_addr().unwrap().to_string());
    let station = cluster.open_station_with(config);
    let created = record_samples_batched(&station, 0, 5);

    let bound = sanji_sync::tls::HANDSHAKE_TIMEOUT + Duration::from_secs(15);
    let result = tokio::time::timeout(bound, station.sync(1))
        .await
        .unwrap_or_else(|_| panic!("the round still runs after {bound:?}"));
    match result {
        Err(NodeError::Sync(SyncError::Unreachable { reason, .. })) => {
            assert!(reason.contains("超时"), "{reason}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert_eq!(station.status().unwrap().pending, 5);
    assert_eq!(assert_chain(station.store(), &ledger(&v)), created);
    drop((station, black_hole));
    cluster.shutdown().await;
}
