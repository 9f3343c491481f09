//! kill -9 drills: the hub is a real `sanji hub serve` process, killed at a
//! random moment while a station pushes. Every batch the hub acked before
//! the kill must be in its store afterwards, and after the station resumes
//! the hub holds exactly the station's ledger: nothing missing, nothing twice.
//!
//! `SANJI_CRASH_ROUNDS` (default 3) and `SANJI_CRASH_EVENTS` (default 3,000)
//! scale it; the long variant is `SANJI_CRASH_ROUNDS=20 SANJI_CRASH_EVENTS=20000`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sanji_domain::time::cst_date;
use sanji_domain::{Code, EventBody, Origin};
use sanji_node::{NodeConfig, Role, Station, samples};
use sanji_proto as proto;
use sanji_proto::convert;
use sanji_store::{Store, StoreOptions};
use tokio_stream::wrappers::ReceiverStream;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

/// Starts the hub process and waits for the line it prints once serving.
fn start_hub(config: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sanji"))
        .args(["hub", "serve", "--config"])
        .arg(config)
        .env("SANJI_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    assert!(
        lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("提供服务")),
        "the hub did not start"
    );
    std::thread::spawn(move || lines.for_each(drop));
    child
}

/// Pushes the station's ledger from the hub's head in batches of 250,
/// recording every ack; returns the highest ack seen (the push may break).
async fn push_recording_acks(
    addr: &str,
    certs: &sanji_pki::CertFiles,
    station: &Store,
    ledger: &Origin,
) -> u64 {
    let Ok(endpoint) = tonic::transport::Endpoint::from_shared(format!("https://{addr}")) else {
        return 0;
    };
    let endpoint = endpoint
        .tls_config(sanji_sync::tls::client_config(certs, &code("360123100")))
        .unwrap();
    let Ok(channel) = endpoint.connect().await else {
        return 0;
    };
    let mut client = proto::replication_client::ReplicationClient::new(channel);
    let Ok(heads) = client
        .heads(proto::HeadsRequest {
            local_heads: vec![convert::origin_seq(ledger, 0)],
        })
        .await
    else {
        return 0;
    };
    let mut acked = heads.into_inner().acked.first().map_or(0, |h| h.seq);
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let Ok(response) = client.push(ReceiverStream::new(rx)).await else {
        return acked;
    };
    let mut acks = response.into_inner();
    let mut next = acked;
    loop {
        let events = station.events_after(ledger, next, 250).unwrap();
        let Some(last) = events.last() else { break };
        next = last.seq;
        let batch = proto::PushBatch {
            batch_no: next,
            events: events.iter().map(convert::event_to_wire).collect(),
        };
        if tx.send(batch).await.is_err() {
            break;
        }
        match acks.message().await {
            Ok(Some(ack)) => acked = ack.acked.map_or(acked, |a| a.seq),
            _ => break,
        }
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_killed_mid_push_keeps_every_acked_event_and_stores_nothing_twice() {
    sanji_sync::tls::install_crypto();
    let rounds = env_or("SANJI_CRASH_ROUNDS", 3);
    let total = env_or("SANJI_CRASH_EVENTS", 3_000);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ca, certs) = (d.join("ca"), d.join("certs"));
    sanji_pki::init_ca(&ca, &code("360123")).unwrap();
    for c in ["360123100", "360123100201"] {
        sanji_pki::issue_node(&ca, &code(c), &certs, &[]).unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut hub = NodeConfig::new(Role::Hub, code("360123100"), d.join("hub"), certs.clone());
    hub.listen = Some(addr.clone());
    let hub_toml = d.join("hub.toml");
    hub.save(&hub_toml).unwrap();

    let village = code("360123100201");
    let mut config = NodeConfig::new(
        Role::Station,
        village.clone(),
        d.join("station"),
        certs.clone(),
    );
    config.parent_addr = Some(addr.clone());
    config.default_author = Some("李红梅".into());
    let station = Station::open(config).unwrap();
    let today = cst_date(station.clock().now_ms());
    let mut made = 0;
    while made < total {
        let n = (total - made).min(500) as usize;
        let bodies = (0..n)
            .map(|i| {
                EventBody::ScreeningRecorded(samples::screening(
                    &village,
                    made as usize + i,
                    today,
                    0,
                    "李红梅",
                ))
            })
            .collect();
        station.record_many(None, bodies).unwrap();
        made += n as u64;
    }
    let ledger = Origin::node(village.clone());
    let station_certs = sanji_pki::CertFiles::load(&certs, village.as_str()).unwrap();

    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for round in 0..rounds {
        let mut child = start_hub(&hub_toml);
        let pushing = {
            let (addr, certs, store, ledger) = (
                addr.clone(),
                station_certs.clone(),
                station.store().clone(),
                ledger.clone(),
            );
            tokio::spawn(async move { push_recording_acks(&addr, &certs, &store, &ledger).await })
        };
        // A random moment in the push: the point of the drill, not a wait for anything.
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        tokio::time::sleep(Duration::from_millis(20 + (seed >> 33) % 400)).await;
        child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        child.wait().unwrap();
        let acked = pushing.await.unwrap();
        let held =
            Store::open(&d.join("hub"), &code("360123100"), StoreOptions::default()).unwrap();
        let head = held.head(&ledger).unwrap().map_or(0, |h| h.seq);
        eprintln!("round {round}: acked {acked} before kill -9, {head} held after");
        assert!(
            head >= acked,
            "round {round}: the hub acked {acked} but holds {head} after kill -9"
        );
        let events = held.events_after(&ledger, 0, usize::MAX).unwrap();
        assert_eq!(
            events.len() as u64,
            head,
            "round {round}: a gap or a duplicate"
        );
        assert!(
            events
                .windows(2)
                .all(|w| w[1].prev_hash == w[0].hash() && w[1].seq == w[0].seq + 1)
        );
    }

    // The station resumes; the hub ends with exactly its ledger.
    let mut child = start_hub(&hub_toml);
    let report = station.sync(3).await.expect("the station resumes");
    assert!(report.all_acked());
    child.kill().unwrap();
    child.wait().unwrap();
    let held = Store::open(&d.join("hub"), &code("360123100"), StoreOptions::default()).unwrap();
    let events = held.events_after(&ledger, 0, usize::MAX).unwrap();
    assert_eq!(events.len() as u64, total);
    let mine = station
        .store()
        .events_after(&ledger, 0, usize::MAX)
        .unwrap();
    assert_eq!(events, mine, "the hub holds exactly the station's ledger");
}
