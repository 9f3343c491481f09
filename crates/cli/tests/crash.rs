//! kill -9 drills: real `sanji` processes killed at random moments, real
//! certificates, real sled folders in a temporary directory.
//!
//! - The hub (`sanji hub serve`) killed while a station pushes: every batch
//!   it acked before the kill is in its store afterwards, and after the
//!   station resumes the hub holds exactly the station's ledger.
//! - The station (`sanji station sync`) killed mid-sync, pushing or pulling
//!   (the hub's reports of its severe screenings), recording more between
//!   syncs: its own ledger is untouched by every kill, the hub holds a chained
//!   prefix of it, and a last sync ends with the hub holding exactly that
//!   ledger and the station exactly what the hub addresses to it.
//! - The county (`sanji county serve`) killed while the hub forwards: the
//!   county keeps a chained prefix of the hub's outbox through every kill, and
//!   ends with exactly the hub's outbox and every severe screening.
//!
//! `SANJI_CRASH_ROUNDS` (default 3) and `SANJI_CRASH_EVENTS` (default 3,000)
//! scale every drill; the long variant is
//! `SANJI_CRASH_ROUNDS=20 SANJI_CRASH_EVENTS=20000 cargo test -p sanji-cli --test crash -- --nocapture --test-threads=1`.
//! Kill moments come from a seeded generator: each drill prints its seed, and
//! `SANJI_CRASH_SEED=<seed>` replays the same moments.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sanji_demo::samples;
use sanji_domain::case::ActorRole;
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::fold::EntityState;
use sanji_domain::report::{Month, MonthlyReport};
use sanji_domain::time::cst_date;
use sanji_domain::{Code, Digest, Event, EventBody, EventRef, Origin, VersionVector};
use sanji_node::forward::UpstreamStatus;
use sanji_node::ops::{self, Action, Actor, CaseCommand};
use sanji_node::{NodeConfig, Role, Station};
use sanji_store::{Store, StoreOptions, Unlock};

mod common;

use common::{HUB, VILLAGE, code, push_recording_acks};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Random kill moments from a seed: `SANJI_CRASH_SEED`, or the clock.
struct Moments(u64);

impl Moments {
    fn new(drill: &str) -> Moments {
        let seed = std::env::var("SANJI_CRASH_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos() as u64
            });
        eprintln!("{drill}: seed {seed} (replay with SANJI_CRASH_SEED={seed})");
        Moments(seed)
    }

    /// A moment in `[from_ms, from_ms + span_ms)` (splitmix64).
    fn next(&mut self, from_ms: u64, span_ms: u64) -> Duration {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Duration::from_millis(from_ms + z % span_ms.max(1))
    }
}

/// A loopback port for a server that is killed and started again on it.
/// Taken below the kernel's ephemeral range and never twice in this process:
/// a port from `bind(0)` may be handed to another test's `bind(0)` or to an
/// outgoing connection while its server is down, and then it cannot restart.
fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let (from, span) = (ephemeral_from.saturating_sub(10_000).max(1_024), 10_000);
    let start = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(n < span, "no free port");
        let port = u16::try_from(from + start.wrapping_add(n) % span).unwrap();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Runs `sanji` to completion.
fn sanji(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sanji"))
        .args(args)
        .current_dir(dir)
        .env("SANJI_LOG", "error")
        .env_remove("SANJI_CONFIG")
        .env_remove("SANJI_AS")
        .output()
        .expect("sanji runs")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON value")
}

/// The county CA and node certificates, made by `sanji pki`.
fn pki(d: &Path, codes: &[&str]) -> PathBuf {
    assert!(
        sanji(d, &["pki", "init", "--county", "360123", "--dir", "ca"])
            .status
            .success()
    );
    for c in codes {
        let out = sanji(
            d,
            &[
                "pki", "issue", "node", "--code", c, "--ca-dir", "ca", "--out", "certs",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    d.join("certs")
}

/// Starts `sanji <role> serve` and waits for the line it prints once serving.
fn serve(role: &str, config: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sanji"))
        .args([role, "serve", "--config"])
        .arg(config)
        .env("SANJI_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut said = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        if line.contains("提供服务") {
            std::thread::spawn(move || lines.for_each(drop));
            return child;
        }
        said.push(line);
    }
    panic!(
        "{role} did not start ({}): {}",
        child.wait().unwrap(),
        said.join("\n")
    );
}

/// SIGKILL: no shutdown, no flush.
fn kill_9(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// SIGTERM, as systemd stops a server; it must finish its work and exit 0.
fn stop(mut child: Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the server did not stop cleanly: {status}"
    );
}

/// Polls `done` (a real observable) every 100 ms until it holds or `limit` passes.
fn poll(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until nothing holds the file lock of the store in `dir`. After the
/// last handle of a sled database is dropped, sled's I/O thread may hold the
/// file a few milliseconds more, and a `sanji` process started on the folder
/// then would find it locked.
fn unlocked(dir: &Path) {
    let db = dir.join("db");
    poll(
        "sled lets go of its file lock",
        Duration::from_secs(10),
        || {
            let file = std::fs::File::open(&db).unwrap();
            fs2::FileExt::try_lock_exclusive(&file).is_ok()
        },
    );
}

/// Drops this process's handle on a store, for a `sanji` process to open it.
fn close(store: Store) {
    let dir = store.path().to_owned();
    drop(store);
    unlocked(&dir);
}

/// Opens a node's store; a village's is sealed under its node key, in `certs/` beside it.
fn open(dir: &Path, node: &str) -> Store {
    let node = code(node);
    let unlock = if node.level() == sanji_domain::Level::Village {
        let key = dir.with_file_name("certs").join(format!("{node}-key.pem"));
        Unlock::node_key(&std::fs::read(key).unwrap())
    } else {
        Unlock::Plain
    };
    let options = StoreOptions {
        unlock,
        ..StoreOptions::default()
    };
    Store::open(dir, &node, options).unwrap()
}

/// Every event of `origin` the store holds, checked to be a chain from seq 1
/// with no gap and no event twice.
fn chain(store: &Store, origin: &Origin, what: &str) -> Vec<Event> {
    let events = store.events_after(origin, 0, usize::MAX).unwrap();
    let head = store.head(origin).unwrap().map_or(0, |h| h.seq);
    assert_eq!(events.len() as u64, head, "{what}: a gap or a duplicate");
    let mut prev = Digest::GENESIS;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "{what}: seq {} out of place", e.seq);
        assert_eq!(e.prev_hash, prev, "{what}: chain broken at seq {}", e.seq);
        prev = e.hash();
    }
    events
}

/// The events a station pulled: everything it holds that is not its own ledger.
fn pulled(store: &Store, own: &Origin) -> Vec<Event> {
    let mut events = Vec::new();
    for origin in store.version_vector().unwrap().into_keys() {
        if &origin != own {
            events.extend(store.events_after(&origin, 0, usize::MAX).unwrap());
        }
    }
    events
}

/// Screenings for `village`, numbered from `from`; the sample templates mix
/// general, major and severe risks.
fn screenings(village: &Code, from: usize, n: usize, station: &Station) -> Vec<EventBody> {
    let today = cst_date(station.clock().now_ms());
    (from..from + n)
        .map(|i| EventBody::ScreeningRecorded(samples::screening(village, i, today, 0, "李红梅")))
        .collect()
}

/// Records `n` screenings at the station, 500 to a batch.
fn record(station: &Station, from: usize, n: usize) {
    let village = station.code().clone();
    let mut made = 0;
    while made < n {
        let k = (n - made).min(500);
        station
            .record_many(None, screenings(&village, from + made, k, station))
            .unwrap();
        made += k;
    }
}

/// The ledger refs of the severe screenings among `events`.
fn severe_refs(events: &[Event]) -> BTreeSet<EventRef> {
    events
        .iter()
        .filter(|e| matches!(&e.body, EventBody::ScreeningRecorded(s) if s.is_severe()))
        .map(Event::event_ref)
        .collect()
}

/// The village events the severe-screening reports among `events` point at,
/// each counted once: a report repeated would show as fewer refs than reports.
fn reported_refs(events: &[Event]) -> (usize, BTreeSet<EventRef>) {
    let reports: Vec<EventRef> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::SevereScreeningReported(r) => Some(r.source.clone()),
            _ => None,
        })
        .collect();
    (reports.len(), reports.into_iter().collect())
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
    for c in [HUB, VILLAGE] {
        sanji_pki::issue_node(&ca, &code(c), &certs, &[]).unwrap();
    }
    let addr = format!("127.0.0.1:{}", free_port());
    let mut hub_config = NodeConfig::new(Role::Hub, code(HUB), d.join("hub"), certs.clone());
    hub_config.listen = Some(addr.clone());
    let hub_toml = d.join("hub.toml");
    hub_config.save(&hub_toml).unwrap();

    let village = code(VILLAGE);
    let mut config = NodeConfig::new(
        Role::Station,
        village.clone(),
        d.join("station"),
        certs.clone(),
    );
    config.parent_addr = Some(addr.clone());
    config.default_author = Some("李红梅".into());
    let station = Station::open(config).unwrap();
    record(&station, 0, total as usize);
    let ledger = Origin::node(village.clone());
    let station_certs = sanji_pki::CertFiles::load(&certs, village.as_str()).unwrap();

    let mut moments = Moments::new("hub killed mid-push");
    for round in 0..rounds {
        let mut child = serve("hub", &hub_toml);
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
        tokio::time::sleep(moments.next(20, 400)).await;
        kill_9(&mut child);
        let acked = pushing.await.unwrap();
        let held = open(&d.join("hub"), HUB);
        let head = held.head(&ledger).unwrap().map_or(0, |h| h.seq);
        eprintln!("round {round}: acked {acked} before kill -9, {head} held after");
        assert!(
            head >= acked,
            "round {round}: the hub acked {acked} but holds {head} after kill -9"
        );
        chain(&held, &ledger, &format!("round {round}"));
        close(held);
    }

    // The station resumes; the hub ends with exactly its ledger.
    let mut child = serve("hub", &hub_toml);
    let report = station.sync(3).await.expect("the station resumes");
    assert!(report.all_acked());
    kill_9(&mut child);
    let held = open(&d.join("hub"), HUB);
    let events = chain(&held, &ledger, "the hub at the end");
    assert_eq!(events.len() as u64, total);
    let mine = station
        .store()
        .events_after(&ledger, 0, usize::MAX)
        .unwrap();
    assert_eq!(events, mine, "the hub holds exactly the station's ledger");
}

/// `sanji hub screenings --json` for the village: how many of its severe
/// screenings the running hub has reported to the county (into its outbox).
fn reported_at_hub(d: &Path, hub_toml: &Path) -> usize {
    let rows = json(&sanji(
        d,
        &[
            "hub",
            "screenings",
            "--config",
            hub_toml.to_str().unwrap(),
            "--village",
            VILLAGE,
            "--json",
        ],
    ));
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["reported_at_ms"].is_null())
        .count()
}

#[test]
fn the_station_killed_mid_sync_keeps_its_ledger_and_resumes_push_and_pull() {
    let rounds = env_or("SANJI_CRASH_ROUNDS", 3) as usize;
    let total = env_or("SANJI_CRASH_EVENTS", 3_000) as usize;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let certs = pki(d, &[HUB, VILLAGE]);
    let addr = format!("127.0.0.1:{}", free_port());
    let mut hub_config = NodeConfig::new(Role::Hub, code(HUB), d.join("hub"), certs.clone());
    hub_config.listen = Some(addr.clone());
    let hub_toml = d.join("hub.toml");
    hub_config.save(&hub_toml).unwrap();

    let station_toml = d.join("station.toml");
    let station_dir = d.join("station");
    let init = sanji(
        d,
        &[
            "station",
            "init",
            "--config",
            station_toml.to_str().unwrap(),
            "--code",
            VILLAGE,
            "--hub",
            &addr,
            "--data",
            station_dir.to_str().unwrap(),
            "--certs",
            certs.to_str().unwrap(),
            "--by",
            "李红梅",
        ],
    );
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let ledger = Origin::node(code(VILLAGE));
    // The laptop keeps recording between syncs, so every round has a push and
    // a pull to interrupt: the events come in rounds + 1 parts, one before
    // each kill and a last one before the final sync. They are recorded
    // through the library (fast) while no `sanji` process runs; the syncs are
    // the binary's.
    let part = |i: usize| total * (i + 1) / (rounds + 1) - total * i / (rounds + 1);
    let mut made = 0;
    let mut record_part = |i: usize| {
        let station = Station::open(NodeConfig::load(&station_toml).unwrap()).unwrap();
        record(&station, made, part(i));
        made += part(i);
        let mine = chain(station.store(), &ledger, "the station after recording");
        drop(station);
        unlocked(&station_dir);
        mine
    };
    let station_cmd = |args: &[&str]| {
        let mut all = vec!["station", "--config", station_toml.to_str().unwrap()];
        all.extend_from_slice(args);
        sanji(d, &all)
    };

    let mut moments = Moments::new("station killed mid-sync");
    let mut hub = serve("hub", &hub_toml);
    let started = Instant::now();
    for round in 0..rounds {
        let mine = record_part(round);
        let severe = severe_refs(&mine);
        let mut sync = Command::new(env!("CARGO_BIN_EXE_sanji"))
            .args(["station", "--config"])
            .arg(&station_toml)
            .args(["sync", "--attempts", "1"])
            .env("SANJI_LOG", "sanji_sync=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (pushed, push_done) = std::sync::mpsc::channel();
        let stderr = BufReader::new(sync.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if line.contains("push round done") {
                    let _ = pushed.send(());
                }
            }
        });
        // A random moment in the sync: the point of the drill, not a wait for
        // anything. Every other round aims at the pull: it waits until the
        // station logs that its push is done, then kills it soon after.
        let n = part(round) as u64;
        let (moment, after) = if round % 2 == 1 {
            // Returns at once, and the kill comes after the sync, if the process exits.
            let _ = push_done.recv_timeout(Duration::from_secs(120));
            (moments.next(0, 20 + n / 3), "after the push")
        } else {
            (moments.next(0, 60 + n / 2), "after start")
        };
        std::thread::sleep(moment);
        let finished = sync.try_wait().unwrap();
        kill_9(&mut sync);
        // The hub finishes what it was doing and lets go of its store.
        stop(hub);

        let laptop = open(&station_dir, VILLAGE);
        assert_eq!(
            chain(&laptop, &ledger, &format!("round {round}: the station")),
            mine,
            "round {round}: kill -9 changed the station's own ledger"
        );
        let got = pulled(&laptop, &ledger);
        close(laptop);
        let held = open(&d.join("hub"), HUB);
        let at_hub = chain(&held, &ledger, &format!("round {round}: the hub"));
        assert_eq!(
            at_hub[..],
            mine[..at_hub.len()],
            "round {round}: the hub's copy is not a prefix of the station's ledger"
        );
        for e in &got {
            assert_eq!(
                held.get(&e.origin, e.seq).unwrap().as_ref(),
                Some(e),
                "round {round}: the station holds a pulled event the hub does not"
            );
        }
        let (reports, reported) = reported_refs(&got);
        assert_eq!(
            reports,
            reported.len(),
            "round {round}: a report pulled twice"
        );
        close(held);
        let phase = match finished {
            Some(_) => "after the sync ended",
            None if at_hub.len() < mine.len() => "mid-push",
            None => "in the pull",
        };
        eprintln!(
            "round {round}: kill -9 {} ms {} {phase}: hub holds {}/{}, station pulled {reports}/{} reports",
            moment.as_millis(),
            after,
            at_hub.len(),
            mine.len(),
            severe.len()
        );
        hub = serve("hub", &hub_toml);
    }

    // A last part, and a sync to the end: the hub acknowledges everything.
    let mine = record_part(rounds);
    assert_eq!(mine.len(), total);
    let severe = severe_refs(&mine);
    assert!(!severe.is_empty());
    let out = json(&station_cmd(&["sync", "--json"]));
    assert_eq!(out["all_acked"], true, "{out:#}");
    // The hub reports every severe screening (its forwarder runs after each
    // push); the next sync pulls those reports back to the village.
    poll(
        "the hub reports every severe screening",
        Duration::from_secs(60),
        || reported_at_hub(d, &hub_toml) == severe.len(),
    );
    json(&station_cmd(&["sync", "--json"]));
    let status = json(&station_cmd(&["status", "--json"]));
    assert_eq!(status["events_recorded"], total, "{status:#}");
    assert_eq!(status["acked_by_hub"], total, "{status:#}");
    assert_eq!(status["pending"], 0, "{status:#}");
    assert_eq!(status["received_from_hub"], severe.len(), "{status:#}");
    stop(hub);
    eprintln!(
        "station drill: {rounds} rounds, {total} events, {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let held = open(&d.join("hub"), HUB);
    assert_eq!(
        chain(&held, &ledger, "the hub at the end"),
        mine,
        "the hub holds exactly the station's ledger"
    );
    let laptop = open(&station_dir, VILLAGE);
    assert_eq!(chain(&laptop, &ledger, "the station at the end"), mine);
    let got = pulled(&laptop, &ledger);
    let everything_addressed: VersionVector = [(ledger.clone(), u64::MAX)].into();
    assert_eq!(
        got,
        held.scope_after(&code(VILLAGE), &everything_addressed, usize::MAX)
            .unwrap(),
        "the station holds exactly what the hub addresses to it"
    );
    let (reports, reported) = reported_refs(&got);
    assert_eq!(reports, severe.len(), "one report per severe screening");
    assert_eq!(reported, severe, "each severe screening reported once");
}

/// `sanji hub link --json`: the hub's link to the county as the running hub saw it.
fn hub_link(d: &Path, hub_toml: &Path) -> Option<UpstreamStatus> {
    let value = json(&sanji(
        d,
        &[
            "hub",
            "link",
            "--config",
            hub_toml.to_str().unwrap(),
            "--json",
        ],
    ));
    serde_json::from_value(value).unwrap()
}

/// The county's and the hub's configuration files on free loopback ports,
/// the hub forwarding to the county; and the hub's address.
fn county_and_hub(d: &Path, certs: &Path) -> (PathBuf, PathBuf, String) {
    let county_addr = format!("127.0.0.1:{}", free_port());
    let hub_addr = format!("127.0.0.1:{}", free_port());
    let mut county_config = NodeConfig::new(
        Role::County,
        code("360123"),
        d.join("county"),
        certs.to_owned(),
    );
    county_config.listen = Some(county_addr.clone());
    let county_toml = d.join("county.toml");
    county_config.save(&county_toml).unwrap();
    let mut hub_config = NodeConfig::new(Role::Hub, code(HUB), d.join("hub"), certs.to_owned());
    hub_config.listen = Some(hub_addr.clone());
    hub_config.parent_addr = Some(county_addr);
    let hub_toml = d.join("hub.toml");
    hub_config.save(&hub_toml).unwrap();
    (county_toml, hub_toml, hub_addr)
}

/// Runs the hub (`running`, or a fresh `sanji hub serve`) until the county
/// has acknowledged its whole outbox and `done` holds, then stops it. A hub
/// may derive more after the county acked (its periodic pass refiles the
/// monthly report): then it is started again and forwards that too.
fn forward_everything(
    d: &Path,
    hub_toml: &Path,
    mut running: Option<Child>,
    done: impl Fn() -> bool,
) {
    let outbox = Origin::outbox(code(HUB));
    for attempt in 0.. {
        let hub = running.take().unwrap_or_else(|| serve("hub", hub_toml));
        poll(
            "the county holds the hub's whole outbox",
            Duration::from_secs(120),
            || {
                done()
                    && hub_link(d, hub_toml).is_some_and(|l| {
                        l.last_error.is_none() && l.acked_by_county == l.outbox_head
                    })
            },
        );
        stop(hub);
        let at_hub = open(&d.join("hub"), HUB);
        let head = at_hub.head(&outbox).unwrap().map_or(0, |h| h.seq);
        let acked = sanji_node::forward::upstream_status(&at_hub)
            .unwrap()
            .map_or(0, |s| s.acked_by_county);
        close(at_hub);
        if head == acked {
            return;
        }
        assert!(
            attempt < 3,
            "the hub keeps deriving: outbox {head}, acked {acked}"
        );
    }
}

/// `sanji county severe --json`: how many severe screenings the running county holds.
fn severe_at_county(d: &Path, county_toml: &Path) -> usize {
    json(&sanji(
        d,
        &[
            "county",
            "severe",
            "--config",
            county_toml.to_str().unwrap(),
            "--json",
        ],
    ))
    .as_array()
    .unwrap()
    .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_county_killed_while_the_hub_forwards_ends_with_exactly_the_hubs_outbox() {
    let rounds = env_or("SANJI_CRASH_ROUNDS", 3) as usize;
    let total = env_or("SANJI_CRASH_EVENTS", 3_000) as usize;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let certs = pki(d, &["360123", HUB, VILLAGE]);
    let (county_toml, hub_toml, hub_addr) = county_and_hub(d, &certs);
    let mut config = NodeConfig::new(Role::Station, code(VILLAGE), d.join("station"), certs);
    config.parent_addr = Some(hub_addr);
    config.default_author = Some("李红梅".into());
    let station = std::sync::Arc::new(Station::open(config).unwrap());
    let ledger = Origin::node(code(VILLAGE));
    let outbox = Origin::outbox(code(HUB));

    let mut moments = Moments::new("county killed while the hub forwards");
    let mut county = serve("county", &county_toml);
    let hub = serve("hub", &hub_toml);
    let started = Instant::now();
    // The events come in rounds + 1 parts: one per kill, and a last one
    // recorded once the county is back for good.
    let part = |i: usize| total * (i + 1) / (rounds + 1) - total * i / (rounds + 1);
    let mut made = 0;
    // (head, hash of the head) the county held after each kill.
    let mut held_after_kills: Vec<(u64, Option<Digest>)> = Vec::new();
    for round in 0..rounds {
        record(&station, made, part(round));
        made += part(round);
        // Each batch the hub stores wakes its forwarder: derive the outbox, push it up.
        let syncing = {
            let station = station.clone();
            tokio::spawn(async move { station.sync(3).await })
        };
        let moment = moments.next(50, 100 + part(round) as u64 / 4);
        tokio::time::sleep(moment).await;
        kill_9(&mut county);
        let report = syncing
            .await
            .unwrap()
            .expect("the station syncs whatever the county does");
        assert!(report.all_acked());
        let link = hub_link(d, &hub_toml).unwrap_or_default();

        let at_county = open(&d.join("county"), "360123");
        let events = chain(&at_county, &outbox, &format!("round {round}: the county"));
        close(at_county);
        let head = events.len() as u64;
        assert!(
            head >= link.acked_by_county,
            "round {round}: the county acked {} but holds {head} after kill -9",
            link.acked_by_county
        );
        eprintln!(
            "round {round}: kill -9 at {} ms: county holds {head} outbox events (hub's last forward: {} of {} acked{})",
            moment.as_millis(),
            link.acked_by_county,
            link.outbox_head,
            if link.last_error.is_some() {
                ", then failed"
            } else {
                ""
            }
        );
        held_after_kills.push((head, events.last().map(Event::hash)));
        county = serve("county", &county_toml);
    }
    record(&station, made, part(rounds));
    made += part(rounds);
    assert_eq!(made, total);
    assert!(station.sync(3).await.unwrap().all_acked());
    let mine = chain(station.store(), &ledger, "the station");
    let severe = severe_refs(&mine);
    assert!(!severe.is_empty());
    drop(station);

    // The hub forwards everything; then both stop and their stores are compared.
    forward_everything(d, &hub_toml, Some(hub), || {
        severe_at_county(d, &county_toml) == severe.len()
    });
    stop(county);
    eprintln!(
        "county drill: {rounds} rounds, {total} events, {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let at_hub = open(&d.join("hub"), HUB);
    let theirs = chain(&at_hub, &outbox, "the hub's outbox");
    let at_county = open(&d.join("county"), "360123");
    let got = chain(&at_county, &outbox, "the county's copy");
    assert_eq!(got, theirs, "the county holds exactly the hub's outbox");
    for (round, (head, hash)) in held_after_kills.iter().enumerate() {
        assert_eq!(
            theirs[..*head as usize].last().map(Event::hash),
            *hash,
            "round {round}: what the county held is not a prefix of the hub's outbox"
        );
    }
    let (reports, reported) = reported_refs(&got);
    assert_eq!(reports, severe.len(), "one report per severe screening");
    assert_eq!(reported, severe, "each severe screening reported once");
    eprintln!(
        "the county holds {} outbox events, {reports} severe screenings",
        got.len()
    );
}

/// Writes, into the hub's store while no hub runs, a case registered at the
/// centre and escalated to the county: what the forwarder must copy to the
/// county (`case_reported`) and count in the month's report. Returns the
/// case's id and the month it counts in.
fn escalated_case_at_the_hub(d: &Path) -> (uuid::Uuid, Month) {
    let hub = open(&d.join("hub"), HUB);
    let now = sanji_sync::Clock::system().now_ms();
    let today = cst_date(now);
    let person = |name: &str, role| Actor {
        name: name.into(),
        role,
        code: code(HUB),
    };
    let operations = ops::Operations::new(
        hub.clone(),
        DeadlinePolicy::default(),
        sanji_sync::Clock::system(),
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let registered = runtime
        .block_on(operations.act(
            &person("赵敏", ActorRole::Operator),
            Action::RegisterCase {
                registration: samples::case(&code(VILLAGE), today, "赵敏"),
            },
        ))
        .unwrap();
    runtime
        .block_on(operations.act(
            &person("陈志远", ActorRole::Director),
            Action::CaseStep {
                case: registered.entity.to_string(),
                command: CaseCommand::Escalate {
                    reason: "涉及多户,请县里协调。".into(),
                },
            },
        ))
        .unwrap();
    drop((runtime, operations));
    close(hub);
    (registered.entity, Month::of(today))
}

/// The crash drill at the forwarder's bookkeeping: `sanji hub serve` built
/// with the `drill` feature kills itself with SIGKILL right after the write
/// that marks `point`'s reports as filed (`SANJI_DRILL_CRASH`, see
/// `sanji_node::forward`), on its first pass; restarted, it must still
/// forward them. A mark written before the reports it speaks for (as it
/// once was) loses them for good.
/// Returns the county's copy of the outbox, the case, its month, and the
/// hub's store (in `d`).
fn the_hub_killed_after_marking(d: &Path, point: &str) -> (Vec<Event>, uuid::Uuid, Month, Store) {
    let ca = d.join("ca");
    let certs = d.join("certs");
    sanji_pki::init_ca(&ca, &code("360123")).unwrap();
    for c in ["360123", HUB] {
        sanji_pki::issue_node(&ca, &code(c), &certs, &[]).unwrap();
    }
    let (county_toml, hub_toml, _) = county_and_hub(d, &certs);
    let (case, month) = escalated_case_at_the_hub(d);

    let county = serve("county", &county_toml);
    let mut hub = Command::new(env!("CARGO_BIN_EXE_sanji"))
        .args(["hub", "serve", "--config"])
        .arg(&hub_toml)
        .env("SANJI_LOG", "error")
        .env("SANJI_DRILL_CRASH", point)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    poll(
        &format!("the hub kills itself at {point}"),
        Duration::from_secs(60),
        || hub.try_wait().unwrap().is_some(),
    );
    let status = hub.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL),
        "the hub was to be killed at {point}: {status}"
    );
    unlocked(&d.join("hub"));

    forward_everything(d, &hub_toml, None, || true);
    stop(county);
    let outbox = Origin::outbox(code(HUB));
    let at_hub = open(&d.join("hub"), HUB);
    let theirs = chain(&at_hub, &outbox, "the hub's outbox");
    let at_county = open(&d.join("county"), "360123");
    let got = chain(&at_county, &outbox, "the county's copy");
    close(at_county);
    assert_eq!(got, theirs, "the county holds exactly the hub's outbox");
    (got, case, month, at_hub)
}

#[test]
fn the_hub_killed_right_after_marking_a_case_report_still_reports_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let (at_county, case, _, hub) = the_hub_killed_after_marking(dir.path(), "case-report");
    let Some(EntityState::Case(file)) = hub.entity(case).unwrap().map(|e| e.state) else {
        panic!("the hub holds the case");
    };
    assert!(file.escalated.is_some(), "the case was escalated");
    let copies: Vec<_> = at_county
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::CaseReported(r) if e.entity == case => Some(r),
            _ => None,
        })
        .collect();
    let last = copies
        .last()
        .expect("the county holds a copy of the escalated case");
    assert_eq!(last.file, *file, "the county's copy is the hub's case file");
}

#[test]
fn the_hub_killed_right_after_marking_the_monthly_report_still_files_it() {
    let dir = tempfile::tempdir().unwrap();
    let (at_county, _, month, _) = the_hub_killed_after_marking(dir.path(), "monthly-report");
    let filed: Vec<&MonthlyReport> = at_county
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::MonthlyReportFiled(r) if r.month == month => Some(r),
            _ => None,
        })
        .collect();
    let last = filed
        .last()
        .expect("the county holds the township's report for the month");
    assert_eq!(last.township, code(HUB));
    assert_eq!((last.received, last.escalated), (1, 1), "{last:?}");
}
