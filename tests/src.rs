//! The end-to-end fixture: a whole county on loopback, built from the real
//! components only.
//!
//! [`Cluster`] makes a temporary folder with the county CA (360123) and node
//! certificates, starts the county and the township hub (360123100) in this
//! process on `127.0.0.1:0` with sled stores in that folder, and opens village
//! stations (360123100201, …) whose hub address is the hub's. Nothing is
//! mocked: every test talks gRPC over mutual TLS to real servers.
//!
//! Synchronisation is never by sleeping: a station's sync round and the hub's
//! forwarding (`Forwarder::once`) are awaited.
//!
//! Also here: realistic sample records ([`sample_body`], [`record_samples`]),
//! raw replication and console clients with a chosen certificate, small
//! readers over a store ([`ledger`], [`assert_chain`]), and a fault-injecting
//! TCP proxy to put between a station and the hub ([`proxy::FaultProxy`]).

pub mod proxy;

/// The web console as a browser sees it over raw HTTP.
#[path = "desk.rs"]
pub mod desk;

/// The clerk's pages on a station service, over raw HTTP.
#[path = "station_desk.rs"]
pub mod station_desk;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{Days, NaiveDate};
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening, Visit, VisitChannel,
};
use sanji_domain::{Code, Digest, Event, EventBody, Labelled, Origin};
use sanji_node::server::RunningNode;
use sanji_node::{NodeConfig, Role, Station};
use sanji_pki::CertFiles;
use sanji_proto as proto;
use sanji_proto::console_client::ConsoleClient;
use sanji_proto::replication_client::ReplicationClient;
use sanji_store::Store;
use tempfile::TempDir;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

pub const COUNTY: &str = "360123";
pub const TOWNSHIP: &str = "360123100";

pub const DAY_MS: i64 = 24 * 3600 * 1000;

pub fn code(text: &str) -> Code {
    Code::parse(text).expect("a valid code")
}

pub fn county() -> Code {
    code(COUNTY)
}

pub fn township() -> Code {
    code(TOWNSHIP)
}

/// The `n`-th village of the township, from 1: 360123100201, 360123100202, …
pub fn village(n: usize) -> Code {
    assert!((1..=799).contains(&n), "village number {n} out of range");
    code(&format!("{TOWNSHIP}{}", 200 + n))
}

/// A node's own ledger.
pub fn ledger(code: &Code) -> Origin {
    Origin::node(code.clone())
}

/// A county, its township hub, and the village stations tests open.
pub struct Cluster {
    /// Everything on disk: `ca/` (the CA and every certificate), `county/`, `hub/`, `stations/<code>/`.
    pub dir: TempDir,
    county: Option<RunningNode>,
    hub: Option<RunningNode>,
    /// Where the hub serves, or will serve when it is down.
    hub_addr: SocketAddr,
    /// The hub's clock offset, applied when it (re)starts.
    hub_clock_offset_ms: i64,
}

impl Cluster {
    /// The county, then the hub forwarding to it.
    pub async fn start() -> Cluster {
        let mut cluster = Cluster::start_with_hub_down().await;
        cluster.start_hub().await;
        cluster
    }

    /// The county only. The hub's address is a port that was free a moment
    /// ago and has nothing listening on it; [`Cluster::start_hub`] binds it.
    pub async fn start_with_hub_down() -> Cluster {
        sanji_sync::tls::install_crypto();
        let dir = tempfile::tempdir().expect("a temp folder");
        let ca = dir.path().join("ca");
        sanji_pki::init_ca(&ca, &county()).expect("CA created");
        for node in [county(), township()] {
            sanji_pki::issue_node(&ca, &node, &ca, &[]).expect("node certificate issued");
        }
        let mut config = NodeConfig::new(
            Role::County,
            county(),
            dir.path().join("county"),
            ca.clone(),
        );
        config.listen = Some("127.0.0.1:0".into());
        let county = start_node(config, "127.0.0.1:0").await;
        let hub_addr = closed_port();
        Cluster {
            dir,
            county: Some(county),
            hub: None,
            hub_addr,
            hub_clock_offset_ms: 0,
        }
    }

    /// The folder holding `ca.pem`, its key and every certificate issued.
    pub fn ca_dir(&self) -> PathBuf {
        self.dir.path().join("ca")
    }

    pub fn hub_addr(&self) -> SocketAddr {
        self.hub_addr
    }

    /// The running county.
    pub fn county(&self) -> &RunningNode {
        self.county.as_ref().expect("the county is running")
    }

    pub fn county_addr(&self) -> SocketAddr {
        self.county().addr
    }

    /// The running hub; panics when it is down.
    pub fn hub(&self) -> &RunningNode {
        self.hub.as_ref().expect("the hub is running")
    }

    /// True while the hub holds nothing of any village (only its own outbox):
    /// what a refused push must leave behind.
    pub fn hub_holds_no_village_ledger(&self) -> bool {
        self.hub_store()
            .version_vector()
            .unwrap()
            .keys()
            .all(|o| o.is_outbox())
    }

    pub fn hub_store(&self) -> &Store {
        &self.hub().store
    }

    pub fn county_store(&self) -> &Store {
        &self.county().store
    }

    pub fn hub_config(&self) -> NodeConfig {
        let mut config = NodeConfig::new(
            Role::Hub,
            township(),
            self.dir.path().join("hub"),
            self.ca_dir(),
        );
        config.listen = Some(self.hub_addr.to_string());
        config.parent_addr = Some(self.county_addr().to_string());
        config.clock_offset_ms = self.hub_clock_offset_ms;
        config
    }

    /// Starts the hub on its address and data folder (new or kept from
    /// before). Should the address have been taken meanwhile, the hub gets a
    /// new port: see [`Cluster::follow_hub`].
    pub async fn start_hub(&mut self) {
        self.start_hub_with(|_| {}).await;
    }

    /// Starts the hub as [`Cluster::start_hub`] does, with `change` made to
    /// its configuration first (its limits, say).
    pub async fn start_hub_with(&mut self, change: impl FnOnce(&mut NodeConfig)) {
        assert!(self.hub.is_none(), "the hub is already running");
        let mut config = self.hub_config();
        change(&mut config);
        let incoming = sanji_node::server::bind(&self.hub_addr.to_string())
            .or_else(|_| sanji_node::server::bind("127.0.0.1:0"))
            .expect("a port for the hub");
        let store = reopen_store(&config).await;
        seed_directory(&store);
        let hub = sanji_node::server::start_with(config, store, incoming)
            .await
            .expect("hub starts");
        self.hub_addr = hub.addr;
        self.hub = Some(hub);
    }

    /// Stops the hub cleanly (its store closes; the data folder stays).
    pub async fn stop_hub(&mut self) {
        let hub = self.hub.take().expect("the hub is running");
        hub.stop().await.expect("hub stops cleanly");
    }

    /// Stops the hub and starts it again on the same data folder.
    pub async fn restart_hub(&mut self) {
        self.stop_hub().await;
        self.start_hub().await;
    }

    /// Stops the hub and starts it again on the same data folder, its clock
    /// now `offset_ms` off the system clock (negative: behind), as after an
    /// NTP correction or a restored snapshot.
    pub async fn restart_hub_with_clock(&mut self, offset_ms: i64) {
        self.stop_hub().await;
        self.hub_clock_offset_ms = offset_ms;
        self.start_hub().await;
    }

    /// The hub derives its outbox and pushes it to the county, now.
    pub async fn forward(&self) -> sanji_node::forward::UpstreamStatus {
        self.hub()
            .forwarder
            .as_ref()
            .expect("a hub has a forwarder")
            .once()
            .await
            .expect("forwarding to the county succeeds")
            .expect("the hub has a county configured")
    }

    /// A township `silent` that reaches the county (it asks for its outbox's
    /// mark, so the county knows it) and files nothing.
    pub async fn township_that_files_nothing(&self, silent: &Code) {
        let channel = self
            .channel(&self.certs(silent), &county(), self.county_addr())
            .await
            .expect("the silent township connects");
        heads(
            &mut raw_replication(channel),
            &Origin::outbox(silent.clone()),
            0,
        )
        .await;
    }

    /// Issues a node certificate into the CA folder unless it exists.
    pub fn ensure_cert(&self, node: &Code) {
        let ca = self.ca_dir();
        if !ca.join(format!("{node}.pem")).exists() {
            sanji_pki::issue_node(&ca, node, &ca, &[]).expect("node certificate issued");
        }
    }

    pub fn certs(&self, node: &Code) -> CertFiles {
        self.ensure_cert(node);
        CertFiles::load(&self.ca_dir(), node.as_str()).expect("certificate files load")
    }

    pub fn station_dir(&self, village: &Code) -> PathBuf {
        self.dir.path().join("stations").join(village.as_str())
    }

    /// A station's configuration: its own data folder, the hub's current address.
    pub fn station_config(&self, village: &Code) -> NodeConfig {
        self.ensure_cert(village);
        let mut config = NodeConfig::new(
            Role::Station,
            village.clone(),
            self.station_dir(village),
            self.ca_dir(),
        );
        config.parent_addr = Some(self.hub_addr.to_string());
        config.default_author = Some("李明".into());
        config
    }

    pub fn open_station(&self, village: &Code) -> Station {
        Station::open(self.station_config(village)).expect("station opens")
    }

    pub fn open_station_with(&self, config: NodeConfig) -> Station {
        Station::open(config).expect("station opens")
    }

    /// Points a station at the hub's current address (it moves only if
    /// its port was taken while it was down).
    pub fn follow_hub(&self, station: &mut Station) {
        station.set_parent_addr(&self.hub_addr.to_string());
    }

    /// A TLS channel to `addr` presenting `certs`, expecting the server to be `server`.
    pub async fn channel(
        &self,
        certs: &CertFiles,
        server: &Code,
        addr: SocketAddr,
    ) -> Result<Channel, tonic::transport::Error> {
        sanji_sync::tls::endpoint(&addr.to_string(), certs, server)
            .expect("a valid address and TLS configuration")
            .connect()
            .await
    }

    /// A raw replication client to the hub, as `who`.
    pub async fn hub_client(&self, who: &Code) -> ReplicationClient<Channel> {
        let channel = self
            .channel(&self.certs(who), &township(), self.hub_addr)
            .await
            .expect("TLS connection to the hub");
        raw_replication(channel)
    }

    /// The hub's operator console, as `who`.
    pub async fn hub_console(&self, who: &Code) -> ConsoleClient<Channel> {
        let channel = self
            .channel(&self.certs(who), &township(), self.hub_addr)
            .await
            .expect("TLS connection to the hub");
        ConsoleClient::new(channel)
    }

    /// Stops both servers cleanly; the folder goes when the cluster is dropped.
    pub async fn shutdown(mut self) {
        if self.hub.is_some() {
            self.stop_hub().await;
        }
        if let Some(county) = self.county.take() {
            county.stop().await.expect("county stops cleanly");
        }
    }
}

/// A test that fails half-way still stops its servers before the runtime
/// goes: stores dropped while tokio tears down after heavy writes can leave
/// sled 0.34's flush-on-drop waiting forever (seen with a hub mid-forward),
/// which would turn a failed assertion into a hung suite.
impl Drop for Cluster {
    fn drop(&mut self) {
        let nodes: Vec<RunningNode> = self
            .hub
            .take()
            .into_iter()
            .chain(self.county.take())
            .collect();
        if nodes.is_empty() {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            return;
        }
        tokio::task::block_in_place(|| {
            handle.block_on(async {
                for node in nodes {
                    let _ = node.stop().await;
                }
            })
        });
    }
}

/// Opens a node's store, waiting (at most 5 s) while the file lock of a
/// just-stopped instance is still held: after the last handle of a sled
/// database is dropped, sled's I/O thread may hold the file for a few more
/// milliseconds (seen once in ~150 restarts under load).
async fn reopen_store(config: &NodeConfig) -> Store {
    // `Store::open` waits for the previous handle's lock itself.
    sanji_node::server::open_store(config)
        .unwrap_or_else(|e| panic!("store {} does not open: {e}", config.data_dir.display()))
}

async fn start_node(config: NodeConfig, listen: &str) -> RunningNode {
    let incoming = sanji_node::server::bind(listen).expect("a port");
    let store = sanji_node::server::open_store(&config).expect("store opens");
    seed_directory(&store);
    sanji_node::server::start_with(config, store, incoming)
        .await
        .expect("node starts")
}

/// The names of the township's villages 201, 202, … in the fixture's directory.
pub const VILLAGE_NAMES: &[&str] = &[
    "东山村",
    "西岭村",
    "南塘村",
    "北坪村",
    "石桥村",
    "枫林村",
    "茶园村",
    "河口村",
    "杨柳村",
    "上坊村",
];
/// The township's member units in the fixture's directory.
pub const UNITS: &[&str] = &["司法所", "派出所", "法庭", "劳动保障所"];
/// The county's townships in the fixture's directory.
pub const TOWNSHIPS: &[(&str, &str)] = &[("360123100", "石门镇"), ("360123101", "桥头镇")];

/// Gives a hub or the county the directory of names every test runs with
/// (a hub: villages 201–210 and four member units; the county: two
/// townships), unless it holds one already (a restarted node keeps its own).
pub fn seed_directory(store: &Store) {
    use sanji_node::directory::{Directory, DirectoryEdit, Listing};
    let directory = Directory::new(store.clone());
    if directory.listing().expect("the directory reads") != Listing::default() {
        return;
    }
    let edits: Vec<DirectoryEdit> = match store.node().level() {
        sanji_domain::Level::County => TOWNSHIPS
            .iter()
            .map(|(code, name)| DirectoryEdit::Township {
                code: (*code).into(),
                name: (*name).into(),
            })
            .collect(),
        sanji_domain::Level::Township => VILLAGE_NAMES
            .iter()
            .enumerate()
            .map(|(i, name)| DirectoryEdit::Village {
                code: village(i + 1).to_string(),
                name: (*name).into(),
            })
            .chain(
                UNITS
                    .iter()
                    .map(|u| DirectoryEdit::Unit { name: (*u).into() }),
            )
            .collect(),
        sanji_domain::Level::Village => Vec::new(),
    };
    for edit in edits {
        directory
            .edit(edit, 0, "测试名录")
            .expect("the fixture's directory entry is valid");
    }
}

/// A loopback address nothing listens on (bound, then released).
/// The passphrase the people of these tests put on their keys.
pub const PERSON_PASSPHRASE: &str = "本人的口令-2026";

/// Issues a person's certificate into `folder` (their own machine, never the
/// node's certificate folder) and opens it with their passphrase, as `--as` does.
pub fn issue_person(
    ca_dir: &std::path::Path,
    code: &Code,
    role: sanji_pki::PersonRole,
    name: &str,
    folder: &std::path::Path,
) -> CertFiles {
    let (stem, _) = sanji_pki::issue_person(ca_dir, code, role, name, folder, PERSON_PASSPHRASE)
        .expect("a person certificate");
    CertFiles::load_person(&folder.join(stem), PERSON_PASSPHRASE)
        .expect("the person's passphrase opens their key")
}

pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

pub fn raw_replication(channel: Channel) -> ReplicationClient<Channel> {
    ReplicationClient::new(channel)
        .max_decoding_message_size(proto::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(proto::MAX_MESSAGE_BYTES)
}

/// A client speaking plain HTTP/2 (no TLS) to `addr`: the connection or the first RPC fails.
pub async fn plaintext_channel(addr: SocketAddr) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect()
        .await
}

/// Pushes `batches` in one stream and collects the acks until the stream
/// ends; the first error status ends it.
pub async fn push(
    client: &mut ReplicationClient<Channel>,
    batches: Vec<proto::PushBatch>,
) -> Result<Vec<proto::PushAck>, tonic::Status> {
    let mut acks = client.push(tokio_stream::iter(batches)).await?.into_inner();
    let mut out = Vec::new();
    while let Some(ack) = acks.message().await? {
        out.push(ack);
    }
    Ok(out)
}

/// One batch of domain events, encoded for the wire.
pub fn batch(batch_no: u64, events: &[Event]) -> proto::PushBatch {
    proto::PushBatch {
        batch_no,
        events: events
            .iter()
            .map(sanji_proto::convert::event_to_wire)
            .collect(),
    }
}

/// The hub's durable mark for `origin`, asked over the wire.
pub async fn heads(client: &mut ReplicationClient<Channel>, origin: &Origin, local: u64) -> u64 {
    let reply = client
        .heads(proto::HeadsRequest {
            local_heads: vec![sanji_proto::convert::origin_seq(origin, local)],
        })
        .await
        .expect("heads answered")
        .into_inner();
    reply
        .acked
        .iter()
        .find(|h| h.origin == origin.to_string())
        .map_or(0, |h| h.seq)
}

// ---------------------------------------------------------------------------
// Sample records

const NAMES: &[&str] = &[
    "王建国",
    "李秀英",
    "张伟",
    "刘芳",
    "陈志强",
    "杨丽",
    "赵国庆",
    "黄小红",
    "周德明",
    "吴桂兰",
    "徐海涛",
    "孙玉梅",
];

const MATTERS: &[&str] = &[
    "宅基地边界",
    "承包地流转款",
    "山林界址",
    "灌溉用水",
    "赡养老人",
    "拖欠工资",
    "征地补偿款",
    "养殖场异味",
    "医疗费用分担",
    "判决执行",
];

fn name(i: usize) -> String {
    NAMES[i % NAMES.len()].to_owned()
}

fn matter(i: usize) -> &'static str {
    MATTERS[i % MATTERS.len()]
}

/// A 不安定因素排查 entry: category, risk and mass-incident risk vary with `i`,
/// so among any dozen some are 重大 and some 群体性.
pub fn screening(i: usize, village: &Code, on: NaiveDate) -> Screening {
    let category = Category::ALL[(i * 3) % Category::ALL.len()];
    let risk = RiskLevel::ALL[(i / 2) % RiskLevel::ALL.len()];
    let (a, b) = (name(i), name(i + 5));
    Screening {
        village: village.clone(),
        screened_on: on,
        screener: name(i + 3),
        category,
        parties: vec![
            Party {
                name: a.clone(),
                contact: Some(format!("1390791{:04}", i % 10_000)),
            },
            Party {
                name: b.clone(),
                contact: None,
            },
        ],
        people_involved: 2 + (i % 7) as u32 * 3,
        risk,
        may_escalate: i.is_multiple_of(4),
        mass_incident_risk: i % 9 == 4,
        description: format!(
            "{a}与{b}因{}发生纠纷,双方各执一词,情绪较为激动(第{i}条)",
            matter(i)
        ),
        measures: if i.is_multiple_of(3) {
            String::new()
        } else {
            "村调委会已上门了解情况,约定三日内组织双方调解".into()
        },
        line: None,
    }
}

pub fn visit(i: usize, village: &Code, on: NaiveDate) -> Visit {
    Visit {
        received_at: village.clone(),
        visited_on: on,
        channel: VisitChannel::ALL[i % VisitChannel::ALL.len()],
        visitor: Party {
            name: name(i + 1),
            contact: Some(format!("1387912{:04}", i % 10_000)),
        },
        people_count: 1 + (i % 3) as u32,
        category: Category::ALL[i % Category::ALL.len()],
        summary: format!("反映{}问题,要求村里出面协调", matter(i + 2)),
        receiver: name(i + 7),
        answer: i
            .is_multiple_of(2)
            .then(|| "已当场解释相关政策,来访人表示理解".to_owned()),
    }
}

pub fn case(i: usize, village: &Code, on: NaiveDate) -> CaseRegistration {
    CaseRegistration {
        place: village.clone(),
        registered_on: on,
        source: [CaseSource::Visit, CaseSource::Phone, CaseSource::Screening][i % 3],
        category: Category::ALL[(i + 1) % Category::ALL.len()],
        parties: vec![Party {
            name: name(i + 2),
            contact: None,
        }],
        people_involved: 1 + (i % 4) as u32,
        claim: format!("请求解决{}问题", matter(i + 4)),
        first_receiver: name(i + 9),
        first_unit: "村综治信访维稳工作站".into(),
        complex: i.is_multiple_of(5),
        from_record: None,
    }
}

/// The `i`-th sample record: seven in ten are screenings, two visits, one
/// a case; dated today or up to three days before (`today` is the
/// station's own calendar day).
pub fn sample_body(i: usize, village: &Code, today: NaiveDate) -> EventBody {
    let on = today
        .checked_sub_days(Days::new((i % 4) as u64))
        .expect("a valid date");
    match i % 10 {
        7 | 8 => EventBody::VisitRecorded(visit(i, village, on)),
        9 => EventBody::CaseRegistered(case(i, village, on)),
        _ => EventBody::ScreeningRecorded(screening(i, village, on)),
    }
}

/// The station's calendar day (CST), by its own clock.
pub fn station_today(station: &Station) -> NaiveDate {
    sanji_domain::time::cst_date(station.clock().now_ms())
}

/// Records samples `first..first + n` one at a time, as a clerk would.
pub fn record_samples(station: &Station, first: usize, n: usize) -> Vec<Event> {
    let today = station_today(station);
    (first..first + n)
        .map(|i| {
            let event = match sample_body(i, station.code(), today) {
                EventBody::ScreeningRecorded(s) => station.record_screening(None, s),
                EventBody::VisitRecorded(v) => station.record_visit(None, v),
                EventBody::CaseRegistered(c) => station.register_case(None, c),
                other => panic!("not a station record: {}", other.kind()),
            };
            event.expect("a sample record is valid")
        })
        .collect()
}

/// Records samples `first..first + n` in atomic batches of up to 500, for
/// ledgers too long to type in one by one.
pub fn record_samples_batched(station: &Station, first: usize, n: usize) -> Vec<Event> {
    let today = station_today(station);
    let mut events = Vec::with_capacity(n);
    let mut i = first;
    while i < first + n {
        let end = (i + 500).min(first + n);
        let bodies = (i..end)
            .map(|j| sample_body(j, station.code(), today))
            .collect();
        events.extend(
            station
                .record_many(None, bodies)
                .expect("sample records are valid"),
        );
        i = end;
    }
    events
}

/// How many events `origin`'s chain in `store` holds that people's actions
/// wrote: the 总登记簿's numbers, which a hub's forwarder gives on its own
/// between steps, are left out, so "nothing was written" can be checked
/// while the forwarder runs.
pub fn written_by_people(store: &sanji_store::Store, origin: &sanji_domain::Origin) -> u64 {
    let mut count = 0;
    let mut after = 0;
    loop {
        let events = store
            .events_after(origin, after, 1000)
            .expect("ledger readable");
        let Some(last) = events.last() else {
            return count;
        };
        after = last.seq;
        count += events
            .iter()
            .filter(|e| !matches!(e.body, EventBody::RegisterNumbered(_)))
            .count() as u64;
    }
}

/// What a set of recorded events adds up to, for comparing with views.
#[derive(Debug, Default)]
pub struct Tally {
    pub screenings: BTreeSet<Uuid>,
    pub visits: BTreeSet<Uuid>,
    pub cases: BTreeSet<Uuid>,
    /// Screenings that must reach the county (重大 or 群体性).
    pub severe: BTreeSet<Uuid>,
    /// (village, day, category, risk) → how many screenings.
    pub cells: BTreeMap<(Code, NaiveDate, Category, RiskLevel), u32>,
    pub mass_incident: u32,
}

impl Tally {
    pub fn of<'a>(events: impl IntoIterator<Item = &'a Event>) -> Tally {
        let mut tally = Tally::default();
        for e in events {
            match &e.body {
                EventBody::ScreeningRecorded(s) => {
                    tally.screenings.insert(e.entity);
                    if s.is_severe() {
                        tally.severe.insert(e.entity);
                    }
                    tally.mass_incident += u32::from(s.mass_incident_risk);
                    *tally
                        .cells
                        .entry((s.village.clone(), s.screened_on, s.category, s.risk))
                        .or_default() += 1;
                }
                EventBody::VisitRecorded(_) => {
                    tally.visits.insert(e.entity);
                }
                EventBody::CaseRegistered(_) => {
                    tally.cases.insert(e.entity);
                }
                _ => {}
            }
        }
        tally
    }
}

/// Every event of `origin` the store holds, in seq order.
pub fn held(store: &Store, origin: &Origin) -> Vec<Event> {
    store
        .events_after(origin, 0, usize::MAX)
        .expect("events readable")
}

/// The events of `origin` in `store` are exactly 1..=n, each pointing at the
/// hash of the one before.
pub fn assert_chain(store: &Store, origin: &Origin) -> Vec<Event> {
    let events = held(store, origin);
    let mut prev = Digest::GENESIS;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "{origin}: seq gap at position {i}");
        assert_eq!(e.prev_hash, prev, "{origin}: chain broken at seq {}", e.seq);
        prev = e.hash();
    }
    let ids: BTreeSet<Uuid> = events.iter().map(|e| e.id).collect();
    assert_eq!(
        ids.len(),
        events.len(),
        "{origin}: an event id appears twice"
    );
    let head = store.head(origin).expect("head readable");
    assert_eq!(
        head.map(|h| (h.seq, h.hash)),
        events.last().map(|e| (e.seq, e.hash())),
        "{origin}: the head does not match the last event"
    );
    events
}

/// A case a village registers: a neighbours' dispute over a homestead line.
pub fn case_registration(
    place: &Code,
    on: chrono::NaiveDate,
    party: &str,
) -> sanji_domain::record::CaseRegistration {
    use sanji_domain::record::{CaseRegistration, CaseSource, Category, Party};
    CaseRegistration {
        place: place.clone(),
        registered_on: on,
        source: CaseSource::Visit,
        category: Category::FamilyNeighbour,
        parties: vec![Party {
            name: party.to_owned(),
            contact: None,
        }],
        people_involved: 2,
        claim: "邻居扩建猪圈占用本户宅基地约三平方米,要求拆除恢复原状。".into(),
        first_receiver: "李明".into(),
        first_unit: "村工作站".into(),
        complex: false,
        from_record: None,
    }
}
