//! The case workflow end to end (扇形工作流程: 登记、分流、调处、督办、催办、反馈),
//! through the real console RPC with person certificates, real sync between
//! a village station and the township hub, and the hub's real forwarding to
//! the county. County and hub serve on loopback with mutual TLS and sled
//! stores in a temporary folder; time moves only through a node's
//! configured clock offset, and the tracker/forwarder runs when a test says
//! so (`Forwarder::once`), never after a sleep.
//!
//! Self-contained on purpose: the shared fixture (`sanji_tests`) is being
//! reworked elsewhere.

use std::path::PathBuf;

use sanji_pki::CertFiles;

use chrono::{Datelike, NaiveDate};
use sanji_domain::case::{
    ActorRole, Assignee, CaseFile, CaseStatus, MediationKind, Outcome, StepKind,
};
use sanji_domain::deadline::DeadlineStanding;
use sanji_domain::event::HandDown;
use sanji_domain::fold::{EntityState, ScreeningState};
use sanji_domain::record::{CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening};
use sanji_domain::report::Month;
use sanji_domain::time::cst_date;
use sanji_domain::{Code, Event, Labelled, Origin};
use sanji_node::ops::{ActOutcome, Action, CaseCommand};
use sanji_node::server::RunningNode;
use sanji_node::tracker::{SYSTEM_AUTHOR, Tracked};
use sanji_node::views::{self, ViewContext};
use sanji_node::{NodeConfig, NodeError, Role, Station};
use sanji_pki::PersonRole;
use sanji_store::Store;
use sanji_sync::Clock;
use tempfile::TempDir;
use uuid::Uuid;

const COUNTY: &str = "360123";
const TOWNSHIP: &str = "360123100";
const OTHER_TOWNSHIP: &str = "360123101";
const V201: &str = "360123100201";
const DAY_MS: i64 = 24 * 3600 * 1000;

fn code(text: &str) -> Code {
    Code::parse(text).expect("a valid code")
}

// ---------------------------------------------------------------------------
// Fixture: a county CA, the county (optional) and the hub serving on
// loopback, the township's operator and director, stations on demand.

struct World {
    dir: TempDir,
    county: Option<RunningNode>,
    hub: Option<RunningNode>,
    /// The township's people, their certificates opened with their passphrases.
    operator: CertFiles,
    director: CertFiles,
}

/// Starts a hub or county on a fresh loopback port; its configuration
/// names the port it really listens on, so the console client finds it.
async fn serve(mut config: NodeConfig) -> RunningNode {
    let incoming = sanji_node::server::bind("127.0.0.1:0").expect("a loopback port");
    config.listen = Some(incoming.local_addr().expect("bound").to_string());
    let store = sanji_node::server::open_store(&config).expect("store opens");
    // Every hub and county here has the shared fixture's directory of names.
    sanji_tests::seed_directory(&store);
    sanji_node::server::start_with(config, store, incoming)
        .await
        .expect("node starts")
}

impl World {
    async fn start(with_county: bool) -> World {
        sanji_sync::tls::install_crypto();
        let dir = tempfile::tempdir().expect("a temp folder");
        let (ca, certs) = (dir.path().join("ca"), dir.path().join("certs"));
        sanji_pki::init_ca(&ca, &code(COUNTY)).expect("CA created");
        for node in [COUNTY, TOWNSHIP] {
            sanji_pki::issue_node(&ca, &code(node), &certs, &[]).expect("node certificate");
        }
        let people = dir.path().join("people");
        let operator =
            sanji_tests::issue_person(&ca, &code(TOWNSHIP), PersonRole::Operator, "赵敏", &people);
        let director = sanji_tests::issue_person(
            &ca,
            &code(TOWNSHIP),
            PersonRole::Director,
            "陈志远",
            &people,
        );
        let county = if with_county {
            let config = NodeConfig::new(
                Role::County,
                code(COUNTY),
                dir.path().join("county"),
                certs.clone(),
            );
            Some(serve(config).await)
        } else {
            None
        };
        let mut world = World {
            dir,
            county,
            hub: None,
            operator,
            director,
        };
        world.start_hub(0).await;
        world
    }

    fn ca_dir(&self) -> PathBuf {
        self.dir.path().join("ca")
    }

    fn certs_dir(&self) -> PathBuf {
        self.dir.path().join("certs")
    }

    fn hub(&self) -> &RunningNode {
        self.hub.as_ref().expect("the hub is running")
    }

    fn county(&self) -> &RunningNode {
        self.county.as_ref().expect("this world has a county")
    }

    /// Starts the hub on its data folder with its clock `offset_ms` ahead.
    async fn start_hub(&mut self, offset_ms: i64) {
        assert!(self.hub.is_none(), "the hub is already running");
        let mut config = NodeConfig::new(
            Role::Hub,
            code(TOWNSHIP),
            self.dir.path().join("hub"),
            self.certs_dir(),
        );
        config.parent_addr = self.county.as_ref().map(|c| c.addr.to_string());
        config.clock_offset_ms = offset_ms;
        self.hub = Some(serve(config).await);
    }

    /// Stops the hub and starts it again on the same data, its clock now
    /// `offset_ms` ahead; stations must follow it to its new port.
    async fn restart_hub(&mut self, offset_ms: i64) {
        let hub = self.hub.take().expect("the hub is running");
        hub.stop().await.expect("hub stops cleanly");
        self.start_hub(offset_ms).await;
    }

    fn hub_addr(&self) -> String {
        self.hub().addr.to_string()
    }

    fn hub_store(&self) -> &Store {
        &self.hub().store
    }

    fn hub_now_ms(&self) -> u64 {
        Clock::skewed(self.hub().config.clock_offset_ms).now_ms()
    }

    /// The hub's calendar day (CST), by its own clock.
    fn hub_today(&self) -> NaiveDate {
        cst_date(self.hub_now_ms())
    }

    /// A station for `village`, its node certificate issued on first use,
    /// pointed at the hub.
    fn station(&self, village: &str) -> Station {
        let certs = self.certs_dir();
        if !certs.join(format!("{village}.pem")).exists() {
            sanji_pki::issue_node(&self.ca_dir(), &code(village), &certs, &[])
                .expect("station certificate");
        }
        let mut config = NodeConfig::new(
            Role::Station,
            code(village),
            self.dir.path().join("stations").join(village),
            certs,
        );
        config.parent_addr = Some(self.hub_addr());
        config.default_author = Some("李红梅".into());
        Station::open(config).expect("station opens")
    }

    /// An action at the hub's console, under the certificate `stem`
    /// (`None`: the hub's own node certificate).
    async fn act_as(
        &self,
        stem: Option<&CertFiles>,
        action: Action,
    ) -> Result<ActOutcome, NodeError> {
        sanji_node::console::act_remote(&self.hub().config, stem, &action).await
    }

    async fn act(&self, stem: &CertFiles, action: Action) -> Result<ActOutcome, NodeError> {
        self.act_as(Some(stem), action).await
    }

    async fn step(
        &self,
        stem: &CertFiles,
        case: Uuid,
        command: CaseCommand,
    ) -> Result<ActOutcome, NodeError> {
        self.act(
            stem,
            Action::CaseStep {
                case: case.to_string(),
                command,
            },
        )
        .await
    }

    /// Registers a case at the centre's window (总台).
    async fn register_at_hub(&self, registration: CaseRegistration) -> Uuid {
        self.act(&self.operator, Action::RegisterCase { registration })
            .await
            .expect("the operator registers a case")
            .entity
    }

    /// The tracker and forwarder, once, now.
    async fn once(&self) -> Option<sanji_node::forward::UpstreamStatus> {
        self.hub()
            .forwarder
            .as_ref()
            .expect("a hub has a forwarder")
            .once()
            .await
            .expect("the tracker and forwarder run")
    }

    async fn shutdown(mut self) {
        if let Some(hub) = self.hub.take() {
            hub.stop().await.expect("hub stops cleanly");
        }
        if let Some(county) = self.county.take() {
            county.stop().await.expect("county stops cleanly");
        }
    }
}

/// A loopback address nothing listens on: an unplugged village network.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").to_string()
}

fn station_today(station: &Station) -> NaiveDate {
    cst_date(station.clock().now_ms())
}

fn registration(place: &str, on: NaiveDate, party: &str, claim: &str) -> CaseRegistration {
    CaseRegistration {
        place: code(place),
        registered_on: on,
        source: CaseSource::Visit,
        category: Category::FamilyNeighbour,
        parties: vec![
            Party {
                name: party.to_owned(),
                contact: Some("139****2231".into()),
            },
            Party {
                name: "邻居郑大海".into(),
                contact: None,
            },
        ],
        people_involved: 2,
        claim: claim.to_owned(),
        first_receiver: "李红梅".into(),
        first_unit: "东山村工作站".into(),
        complex: false,
        from_record: None,
    }
}

fn case_file(store: &Store, id: Uuid) -> CaseFile {
    match store.entity(id).expect("store readable").map(|e| e.state) {
        Some(EntityState::Case(file)) => *file,
        other => panic!("{} holds no case {id}: {other:?}", store.node()),
    }
}

fn screening_state(store: &Store, id: Uuid) -> ScreeningState {
    match store.entity(id).expect("store readable").map(|e| e.state) {
        Some(EntityState::Screening(s)) => s,
        other => panic!("{} holds no screening {id}: {other:?}", store.node()),
    }
}

fn head(store: &Store, origin: &Origin) -> u64 {
    sanji_tests::written_by_people(store, origin)
}

fn hub_ledger() -> Origin {
    Origin::node(code(TOWNSHIP))
}

fn village_at(village: &str) -> Assignee {
    Assignee::Village {
        code: code(village),
    }
}

fn assign_village(village: &str, person: &str, deadline: Option<NaiveDate>) -> CaseCommand {
    CaseCommand::Assign {
        unit: None,
        village: Some(code(village)),
        person: person.into(),
        deadline,
    }
}

/// A refusal as its sentence; a case step's refusal arrives typed, with the
/// case's status and the steps allowed now.
fn refused(result: Result<ActOutcome, NodeError>, what: &str) -> String {
    match result {
        Err(NodeError::StepRefused(refusal)) => {
            assert!(
                !refusal.reason.is_empty() && refusal.to_string().contains(refusal.status.label()),
                "{what}: {refusal:?}"
            );
            refusal.to_string()
        }
        Err(NodeError::Refused(reason)) => reason,
        other => panic!("{what}: expected a refusal, got {other:?}"),
    }
}

/// The console's permission check answers PERMISSION_DENIED, which the
/// client reports as the person not being allowed here.
fn denied(result: Result<ActOutcome, NodeError>, what: &str) -> String {
    match result {
        Err(NodeError::Forbidden(message)) => message,
        other => panic!("{what}: expected PERMISSION_DENIED, got {other:?}"),
    }
}

/// Every event a store holds, as JSON text.
fn all_event_text(store: &Store) -> String {
    let mut text = String::new();
    for origin in store.version_vector().expect("vector readable").into_keys() {
        for event in store
            .events_after(&origin, 0, usize::MAX)
            .expect("events readable")
        {
            text.push_str(&serde_json::to_string(&event).expect("events serialise"));
            text.push('\n');
        }
    }
    text
}

// ---------------------------------------------------------------------------
// 1. A village case's whole life.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_village_case_lives_its_whole_life_across_the_tiers() {
    let world = World::start(true).await;
    let (op, dir) = (world.operator.clone(), world.director.clone());
    let mut station = world.station(V201);
    let today = station_today(&station);

    // 登记 at the village, synced.
    let registered = station
        .register_case(
            None,
            registration(
                V201,
                today,
                "吴春生",
                "邻居扩建猪圈占用本户宅基地约三平方米,要求拆除恢复原状。",
            ),
        )
        .expect("the station registers a case");
    let case = registered.entity;
    station.sync(1).await.expect("the station syncs");
    assert_eq!(
        case_file(world.hub_store(), case).status,
        CaseStatus::Registered
    );

    // 受理 by the operator: the township's first case number of the year.
    let accepted = world
        .step(&op, case, CaseCommand::Accept)
        .await
        .expect("the operator accepts");
    assert_eq!(
        accepted.case_number.as_deref(),
        Some(format!("{TOWNSHIP}-{}-0001", world.hub_today().year()).as_str())
    );
    assert_eq!(accepted.status, Some(CaseStatus::Accepted));

    // 分流 back to the village by the operator waits for the director.
    let assigned = world
        .step(&op, case, assign_village(V201, "李红梅", None))
        .await
        .expect("the operator assigns");
    assert_eq!(assigned.status.map(|s| s.label()), Some("分流待审批"));
    let approved = world
        .step(&dir, case, CaseCommand::Approve)
        .await
        .expect("the director approves");
    assert_eq!(approved.status, Some(CaseStatus::Assigned));

    // The station pulls its assignment.
    station.sync(1).await.expect("the station pulls");
    let at_village = case_file(station.store(), case);
    assert_eq!(at_village.status, CaseStatus::Assigned);
    let assignment = at_village.assignment.expect("assigned");
    assert_eq!(assignment.assignee, village_at(V201));
    assert_eq!(assignment.approved_by.as_deref(), Some("陈志远"));
    assert_eq!(at_village.case_number, accepted.case_number);

    // 调处 offline: the network is gone while the village mediates.
    let hub_addr = world.hub_addr();
    station.set_parent_addr(&closed_port());
    station
        .case_step(
            None,
            &case.to_string(),
            CaseCommand::Progress {
                kind: MediationKind::People,
                note: "村调委会组织双方到现场丈量,对照老契约重新确认界址。".into(),
            },
        )
        .expect("progress recorded offline");
    station
        .case_step(
            None,
            &case.to_string(),
            CaseCommand::Resolve {
                outcome: Outcome::Agreement,
                kind: Some(MediationKind::People),
                summary: "达成调解协议,越界猪圈已拆除,双方在界址图上签字确认。".into(),
            },
        )
        .expect("resolution recorded offline");
    assert!(
        station.sync(1).await.is_err(),
        "no hub is reachable while offline"
    );
    assert_eq!(
        case_file(station.store(), case).status,
        CaseStatus::Resolved
    );
    assert_eq!(
        case_file(world.hub_store(), case).status,
        CaseStatus::Assigned,
        "nothing reached the hub while the village was offline"
    );

    // Back online: the result reaches the hub.
    station.set_parent_addr(&hub_addr);
    station.sync(1).await.expect("the station syncs again");
    let at_hub = case_file(world.hub_store(), case);
    assert_eq!(at_hub.status, CaseStatus::Resolved);
    let resolution = at_hub.resolution.expect("resolved");
    assert_eq!(resolution.outcome, Outcome::Agreement);
    assert_eq!(resolution.kind, Some(MediationKind::People));
    assert_eq!(resolution.handler, Some(village_at(V201)));
    assert!(!resolution.late);

    // 反馈, 回访, 归档 at the hub.
    world
        .step(
            &op,
            case,
            CaseCommand::Feedback {
                note: "已当面告知吴春生办理结果。".into(),
            },
        )
        .await
        .expect("feedback");
    world
        .step(
            &op,
            case,
            CaseCommand::FollowUp {
                recurred: false,
                satisfied: true,
                petitioned: false,
                skip_level: false,
                note: "回访:界址清楚,双方相安无事。".into(),
            },
        )
        .await
        .expect("follow-up");
    let archived = world
        .step(
            &op,
            case,
            CaseCommand::Archive {
                note: "一案一档归档".into(),
            },
        )
        .await
        .expect("archive");
    assert_eq!(archived.status, Some(CaseStatus::Archived));

    // The village sees its case archived.
    station.sync(1).await.expect("the station pulls");
    let at_village = case_file(station.store(), case);
    assert_eq!(at_village.status.label(), "已归档");
    assert_eq!(at_village, case_file(world.hub_store(), case));
    let steps: Vec<StepKind> = at_village.file.iter().map(|e| e.step).collect();
    assert_eq!(
        steps,
        [
            StepKind::Accept,
            StepKind::Assign,
            StepKind::Approve,
            StepKind::Progress,
            StepKind::Resolve,
            StepKind::Feedback,
            StepKind::FollowUp,
            StepKind::Archive,
        ]
    );

    // The month's report reaches the county and matches the hub's ledger.
    let status = world.once().await.expect("the hub has a county");
    assert_eq!(status.last_error, None);
    assert_eq!(status.acked_by_county, status.outbox_head);
    let month = Month::of(world.hub_today());
    let at_county = views::county_reports(&world.county().store, month).expect("county reports");
    let rows: Vec<_> = at_county
        .rows
        .iter()
        .filter(|r| r.township == code(TOWNSHIP))
        .collect();
    assert_eq!(rows.len(), 1, "one row for the township: {at_county:?}");
    let row = rows[0];
    assert_eq!(row.received, 1, "one case was registered");
    assert_eq!(row.accepted, 1);
    assert_eq!(row.resolved, 1);
    assert_eq!(row.mediated, 1);
    assert_eq!(row.mediation_success_permille, Some(1000));
    assert_eq!(row.open, 0);
    assert_eq!(row.overdue, 0);
    let ctx = ViewContext {
        policy: world.hub().config.policy,
        now_ms: world.hub_now_ms(),
    };
    let mut at_hub = views::report(world.hub_store(), month, &ctx).expect("hub report");
    at_hub.revision = row.revision;
    assert_eq!(*row, at_hub, "the county's row is the hub's ledger");

    drop(station);
    world.shutdown().await;
}

// ---------------------------------------------------------------------------
// 2. Steps the state, the role or the certificate does not allow.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn illegal_steps_are_refused_over_the_console() {
    let world = World::start(false).await;
    let (op, dir) = (world.operator.clone(), world.director.clone());
    let today = world.hub_today();
    let case = world
        .register_at_hub(registration(
            V201,
            today,
            "孙桂芳",
            "要求村里协调解决灌溉用水分配问题。",
        ))
        .await;
    let written = head(world.hub_store(), &hub_ledger());

    // The state: a case only registered cannot be archived.
    let reason = refused(
        world
            .step(
                &op,
                case,
                CaseCommand::Archive {
                    note: String::new(),
                },
            )
            .await,
        "archiving a registered case",
    );
    assert!(reason.contains("归档"), "{reason}");
    assert!(reason.contains("待受理"), "names the state: {reason}");
    assert!(
        reason.contains("此时可以:受理、不予受理"),
        "names the allowed steps: {reason}"
    );
    // ...and carries them typed, so a page can offer exactly those.
    match world
        .step(
            &op,
            case,
            CaseCommand::Archive {
                note: String::new(),
            },
        )
        .await
    {
        Err(NodeError::StepRefused(refusal)) => {
            assert_eq!(refusal.status, sanji_domain::case::CaseStatus::Registered);
            assert!(
                refusal
                    .allowed
                    .starts_with(&[StepKind::Accept, StepKind::NotAccept])
            );
        }
        other => panic!("archiving a registered case: {other:?}"),
    }

    // The role: the operator cannot approve a dispatch.
    world
        .step(&op, case, CaseCommand::Accept)
        .await
        .expect("accept");
    // (Nor dispatch to a village of another township.)
    let reason = refused(
        world
            .step(&op, case, assign_village("360123101201", "刘洋", None))
            .await,
        "assigning outside the township",
    );
    assert!(reason.contains("不在 360123100 辖区内"), "{reason}");
    world
        .step(
            &op,
            case,
            CaseCommand::Assign {
                unit: Some("司法所".into()),
                village: None,
                person: "孙立".into(),
                deadline: None,
            },
        )
        .await
        .expect("assign");
    let written_before_approve = head(world.hub_store(), &hub_ledger());
    assert_eq!(
        written_before_approve,
        written + 2,
        "accept and assign only"
    );
    let reason = refused(
        world.step(&op, case, CaseCommand::Approve).await,
        "an operator approving",
    );
    assert!(reason.contains("中心主任"), "names who may: {reason}");
    assert!(reason.contains("总台无权办理"), "{reason}");
    assert!(reason.contains("分流待审批"), "{reason}");

    // The certificate: a station's node certificate cannot act at all.
    let station = world.station(V201); // issues 360123100201's certificate
    let station_certs = CertFiles::load(&world.certs_dir(), V201).expect("the station's own set");
    let message = denied(
        world
            .act_as(
                Some(&station_certs),
                Action::CaseStep {
                    case: case.to_string(),
                    command: CaseCommand::Approve,
                },
            )
            .await,
        "a station's node certificate acting",
    );
    assert!(message.contains(V201), "{message}");
    assert!(message.contains("个人证书"), "says what to use: {message}");
    // ...nor can the hub's own node certificate: every step names a person.
    denied(
        world
            .act_as(
                None,
                Action::CaseStep {
                    case: case.to_string(),
                    command: CaseCommand::Approve,
                },
            )
            .await,
        "the hub's node certificate acting",
    );

    // A person of another township.
    let stranger = sanji_tests::issue_person(
        &world.ca_dir(),
        &code(OTHER_TOWNSHIP),
        PersonRole::Director,
        "刘洋",
        &world.dir.path().join("people"),
    );
    let message = denied(
        world.step(&stranger, case, CaseCommand::Approve).await,
        "a director of another township",
    );
    assert!(message.contains(OTHER_TOWNSHIP), "{message}");
    assert!(message.contains(TOWNSHIP), "{message}");

    // Nothing refused was written; the case waits for the real director.
    assert_eq!(
        head(world.hub_store(), &hub_ledger()),
        written_before_approve
    );
    assert_eq!(
        case_file(world.hub_store(), case).status,
        CaseStatus::AwaitingApproval
    );
    let approved = world
        .step(&dir, case, CaseCommand::Approve)
        .await
        .expect("the director approves");
    assert_eq!(approved.status, Some(CaseStatus::Assigned));

    drop(station);
    world.shutdown().await;
}

// ---------------------------------------------------------------------------
// 3. 催办 and 督办 reach the station.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_case_is_urged_then_supervised_and_the_station_sees_both() {
    let mut world = World::start(false).await;
    let (op, dir) = (world.operator.clone(), world.director.clone());
    let mut station = world.station(V201);
    let today = world.hub_today();
    let case = world
        .register_at_hub(registration(
            V201,
            today,
            "黄小红",
            "反映邻居养殖场异味严重,要求限期整改。",
        ))
        .await;
    world
        .step(&op, case, CaseCommand::Accept)
        .await
        .expect("accept");
    let assigned = world
        .step(&dir, case, assign_village(V201, "李红梅", Some(today)))
        .await
        .expect("the director assigns, due today");
    assert_eq!(assigned.status, Some(CaseStatus::Assigned));

    // Due today: one automatic urge, however often the tracker runs.
    world.once().await;
    world.once().await;
    let at_hub = case_file(world.hub_store(), case);
    assert_eq!(at_hub.urges.len(), 1, "{:?}", at_hub.urges);
    let urge = &at_hub.urges[0];
    assert!(urge.automatic);
    assert_eq!(urge.role, ActorRole::System);
    assert_eq!(urge.by, SYSTEM_AUTHOR);
    assert_eq!(urge.deadline, Some(today));
    assert!(at_hub.supervisions.is_empty());

    // The village receives it on its next sync.
    station.sync(1).await.expect("the station syncs");
    let at_village = case_file(station.store(), case);
    assert_eq!(at_village.urges.len(), 1);
    assert!(at_village.urges[0].automatic);
    assert_eq!(at_village.urges[0], *urge);

    // Two days later by the hub's clock the deadline has passed.
    world.restart_hub(2 * DAY_MS).await;
    station.set_parent_addr(&world.hub_addr());
    world.once().await;
    let at_hub = case_file(world.hub_store(), case);
    assert_eq!(at_hub.supervisions.len(), 1, "{:?}", at_hub.supervisions);
    let notice = at_hub.supervisions[0].clone();
    assert!(notice.automatic);
    assert_eq!(notice.deadline, Some(today));
    assert!(notice.note.contains("督办"), "{}", notice.note);
    assert_eq!(
        at_hub.urges.len(),
        1,
        "no second urge for the same deadline"
    );

    // Idempotent: another run issues nothing more.
    let written = head(world.hub_store(), &hub_ledger());
    world.once().await;
    assert_eq!(head(world.hub_store(), &hub_ledger()), written);
    assert_eq!(case_file(world.hub_store(), case).supervisions.len(), 1);

    // The console's "due" view lists it as overdue.
    let due = sanji_node::console::query_remote(&world.hub().config, &sanji_node::ops::Query::Due)
        .await
        .expect("the due view");
    let due: Vec<Tracked> = serde_json::from_value(due).expect("tracked rows");
    let row = due.iter().find(|t| t.id == case).expect("the case is due");
    assert!(
        matches!(row.standing, DeadlineStanding::Overdue { days_over } if days_over >= 1),
        "{row:?}"
    );
    assert_eq!(row.deadline, today);
    assert_eq!((row.urges, row.supervisions), (1, 1));

    // The village receives the supervision notice.
    station.sync(1).await.expect("the station syncs");
    let at_village = case_file(station.store(), case);
    assert_eq!(at_village.supervisions, vec![notice]);
    assert_eq!(at_village.urges.len(), 1);

    drop(station);
    world.shutdown().await;
}

// ---------------------------------------------------------------------------
// 4. Concurrent edits of one case.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_offline_edits_of_one_case_surface_as_a_conflict() {
    let world = World::start(false).await;
    let (op, dir) = (world.operator.clone(), world.director.clone());
    let station = world.station(V201);
    let today = station_today(&station);
    let case = station
        .register_case(
            None,
            registration(V201, today, "周德明", "要求子女履行赡养义务。"),
        )
        .expect("registered")
        .entity;
    station.sync(1).await.expect("sync");
    world
        .step(&op, case, CaseCommand::Accept)
        .await
        .expect("accept");
    world
        .step(&dir, case, assign_village(V201, "李红梅", None))
        .await
        .expect("the director assigns to the village");
    station.sync(1).await.expect("the station pulls");
    assert_eq!(
        case_file(station.store(), case)
            .assignment
            .map(|a| a.assignee),
        Some(village_at(V201))
    );

    // The director moves the case to the judicial office...
    let moved = world
        .step(
            &dir,
            case,
            CaseCommand::Assign {
                unit: Some("司法所".into()),
                village: None,
                person: "孙立".into(),
                deadline: None,
            },
        )
        .await
        .expect("the director reassigns");
    assert_eq!(moved.status, Some(CaseStatus::Assigned));
    // ...while the village, not yet knowing, records progress.
    let progress = station
        .case_step(
            None,
            &case.to_string(),
            CaseCommand::Progress {
                kind: MediationKind::People,
                note: "已约双方周五到村委会调解。".into(),
            },
        )
        .expect("the station still holds the old assignment");
    station.sync(1).await.expect("sync");

    // The hub kept the village's event, shows the conflict, and the case
    // stands as the director left it.
    let village_ledger = Origin::node(code(V201));
    let stored: Option<Event> = world
        .hub_store()
        .get(&village_ledger, progress.seq)
        .expect("readable");
    assert_eq!(stored.as_ref(), Some(&progress), "the event is kept");
    assert!(
        world
            .hub_store()
            .version_vector()
            .expect("vector")
            .get(&village_ledger)
            .is_some_and(|&seq| seq >= progress.seq)
    );
    let conflicts = views::conflicts(world.hub_store()).expect("conflicts");
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let conflict = &conflicts[0];
    assert_eq!(conflict.entity, case);
    assert_eq!(conflict.conflict.event, progress.event_ref());
    assert!(
        conflict.conflict.reason.contains("未交办给"),
        "{}",
        conflict.conflict.reason
    );
    let at_hub = case_file(world.hub_store(), case);
    assert_eq!(at_hub.status, CaseStatus::Assigned);
    assert_eq!(
        at_hub.assignment.as_ref().map(|a| a.assignee.clone()),
        Some(Assignee::Unit {
            name: "司法所".into()
        })
    );
    assert!(!at_hub.file.iter().any(|e| e.step == StepKind::Progress));
    assert!(at_hub.past_villages.contains(&code(V201)));

    // The village, having pulled the reassignment, folds to the same state.
    assert_eq!(case_file(station.store(), case), at_hub);
    let at_village = views::conflicts(station.store()).expect("conflicts");
    assert_eq!(
        at_village.iter().map(|c| &c.conflict).collect::<Vec<_>>(),
        vec![&conflict.conflict]
    );
    // And the clerk was told, in the words of the sync that brought it.
    let told = station
        .last_sync()
        .expect("readable")
        .expect("synced")
        .arrived;
    assert!(
        told.iter()
            .any(|line| line.starts_with("冲突:案件") && line.contains("未交办给")),
        "{told:?}"
    );

    drop(station);
    world.shutdown().await;
}

// ---------------------------------------------------------------------------
// 5. 上报 and 交办.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalations_go_up_hand_downs_come_down_and_nothing_else_leaves() {
    let world = World::start(true).await;
    let (op, dir) = (world.operator.clone(), world.director.clone());
    let county = world.county();
    let today = world.hub_today();

    let escalated = world
        .register_at_hub(registration(
            V201,
            today,
            "何长青",
            "要求重新划定山林承包界址,退还被占用的二亩林地。",
        ))
        .await;
    let kept = world
        .register_at_hub(registration(
            V201,
            today,
            "欧阳秀兰",
            "要求调解家庭财产分割纠纷。",
        ))
        .await;
    world
        .step(&op, kept, CaseCommand::Accept)
        .await
        .expect("accept");
    world
        .step(
            &dir,
            escalated,
            CaseCommand::Escalate {
                reason: "涉及多户林权,请县里协调林业部门。".into(),
            },
        )
        .await
        .expect("the director escalates");
    world.once().await;

    let rows = views::cases(&county.store, "").expect("county cases");
    let row = rows
        .iter()
        .find(|r| r.id == escalated)
        .expect("the county holds the escalated case");
    assert!(row.escalated);
    assert_eq!(row.parties[0], "何长青");
    assert!(
        !rows.iter().any(|r| r.id == kept),
        "the county holds a case that never left the township"
    );
    let county_text = all_event_text(&county.store);
    assert!(!county_text.contains(&kept.to_string()));
    assert!(
        !county_text.contains("欧阳秀兰"),
        "a party of a township case reached the county"
    );

    // Later steps on the escalated case reach the county's copy; the case
    // kept in the township still does not.
    world
        .step(&op, escalated, CaseCommand::Accept)
        .await
        .expect("the operator accepts the escalated case");
    world
        .step(&dir, kept, assign_village(V201, "李红梅", None))
        .await
        .expect("assign the kept case");
    world.once().await;
    let copy = case_file(&county.store, escalated);
    assert_eq!(copy.status, CaseStatus::Accepted);
    assert!(copy.escalated.is_some());
    assert!(!all_event_text(&county.store).contains("欧阳秀兰"));

    // The county hands a case down, under its own node certificate.
    let hand_down = HandDown {
        township: code(TOWNSHIP),
        registration: CaseRegistration {
            place: code(TOWNSHIP),
            registered_on: today,
            source: CaseSource::HandedDown,
            category: Category::Expropriation,
            parties: vec![Party {
                name: "钱国栋".into(),
                contact: None,
            }],
            people_involved: 4,
            claim: "反映集镇改造拆迁安置房分配不公,要求复核。".into(),
            first_receiver: "周强".into(),
            first_unit: "县综治办".into(),
            complex: false,
            from_record: None,
        },
        note: "请镇中心十五日内受理并反馈。".into(),
        // Sooner than the township's 60 days, so the county's runs.
        deadline: today.checked_add_days(chrono::Days::new(20)),
    };
    let sent =
        sanji_node::console::act_remote(&county.config, None, &Action::HandDown { hand_down })
            .await
            .expect("the county hands down");
    world.once().await;

    let at_hub = views::cases(world.hub_store(), "")
        .expect("hub cases")
        .into_iter()
        .find(|r| r.id == sent.entity)
        .expect("the hub holds the hand-down");
    assert_eq!(at_hub.status.label(), "待受理");
    assert_eq!(at_hub.source.label(), "上级交办");
    let accepted = world
        .step(&op, sent.entity, CaseCommand::Accept)
        .await
        .expect("the operator accepts the hand-down");
    assert_eq!(accepted.status, Some(CaseStatus::Accepted));
    world.once().await;

    let copy = case_file(&county.store, sent.entity);
    assert_eq!(copy.status.label(), "已受理待分流");
    assert_eq!(copy.case_number, accepted.case_number);
    assert_eq!(copy.handed_down_to, Some(code(TOWNSHIP)));
    assert!(!copy.authoritative, "the county's copy is a copy");
    // The county's 办结期限 binds the township as its own would.
    let county_deadline = today.checked_add_days(chrono::Days::new(20));
    assert_eq!(
        case_file(world.hub_store(), sent.entity).deadline,
        county_deadline
    );
    assert_eq!(copy.deadline, county_deadline);
    assert_eq!(copy.handed_down_deadline, county_deadline);

    world.shutdown().await;
}

// ---------------------------------------------------------------------------
// 6. 签字 and 排查转案.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenings_are_signed_off_by_the_director_and_converted_once() {
    let world = World::start(false).await;
    let (op, dir) = (world.operator.clone(), world.director.clone());
    let station = world.station(V201);
    let today = station_today(&station);
    let screening = station
        .record_screening(
            None,
            Screening {
                village: code(V201),
                screened_on: today,
                screener: "李红梅".into(),
                category: Category::Land,
                parties: vec![
                    Party {
                        name: "王建国".into(),
                        contact: Some("13907910001".into()),
                    },
                    Party {
                        name: "张伟".into(),
                        contact: None,
                    },
                ],
                people_involved: 5,
                risk: RiskLevel::Major,
                may_escalate: true,
                mass_incident_risk: false,
                description: "两户因承包地流转款分配发生争执,情绪较为激动。".into(),
                measures: "村调委会已上门了解情况。".into(),
                line: None,
            },
        )
        .expect("screening recorded")
        .entity;
    station.sync(1).await.expect("sync");

    let reason = refused(
        world
            .act(
                &op,
                Action::SignOff {
                    screening,
                    note: String::new(),
                },
            )
            .await,
        "an operator signing off",
    );
    assert!(reason.contains("中心主任"), "{reason}");
    assert!(
        screening_state(world.hub_store(), screening)
            .signed_off
            .is_none()
    );
    world
        .act(
            &dir,
            Action::SignOff {
                screening,
                note: "已阅,请村里跟踪。".into(),
            },
        )
        .await
        .expect("the director signs off");
    let signed = screening_state(world.hub_store(), screening)
        .signed_off
        .expect("signed");
    assert_eq!(signed.author, "陈志远");

    let converted = world
        .act(
            &op,
            Action::Convert {
                screening,
                claim: "要求按合同分配承包地流转款。".into(),
            },
        )
        .await
        .expect("the operator converts");
    let case = converted.entity;
    assert_eq!(converted.status, Some(CaseStatus::Registered));
    let file = case_file(world.hub_store(), case);
    assert_eq!(file.registration.from_record, Some(screening));
    assert_eq!(file.registration.source, CaseSource::Screening);
    assert_eq!(file.registration.place, code(V201));
    assert_eq!(
        screening_state(world.hub_store(), screening).converted_to,
        Some(case)
    );

    let written = head(world.hub_store(), &hub_ledger());
    let reason = refused(
        world
            .act(
                &op,
                Action::Convert {
                    screening,
                    claim: "再转一次。".into(),
                },
            )
            .await,
        "converting twice",
    );
    assert!(reason.contains("已转为案件"), "{reason}");
    assert!(reason.contains(&case.to_string()), "{reason}");
    assert_eq!(head(world.hub_store(), &hub_ledger()), written);

    // The village learns both on its next sync.
    station.sync(1).await.expect("sync");
    let at_village = screening_state(station.store(), screening);
    assert!(at_village.signed_off.is_some());
    assert_eq!(at_village.converted_to, Some(case));
    assert_eq!(
        case_file(station.store(), case).registration.from_record,
        Some(screening)
    );

    drop(station);
    world.shutdown().await;
}

// ---------------------------------------------------------------------------
// 7. A hand-down the hub leaves unanswered is tracked like any other case.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_down_left_unaccepted_is_supervised_and_counted_at_the_hub() {
    let world = World::start(true).await;
    let county = world.county();
    let today = world.hub_today();
    // Handed down on a case the county registered 20 days ago: the 15 days
    // to decide acceptance are over.
    let registered_on = today - chrono::Days::new(20);
    let mut late = registration(
        TOWNSHIP,
        registered_on,
        "钱国栋",
        "反映安置房分配不公,要求复核。",
    );
    late.source = CaseSource::HandedDown;
    late.first_unit = "县综治办".into();
    let sent = sanji_node::console::act_remote(
        &county.config,
        None,
        &Action::HandDown {
            hand_down: HandDown {
                township: code(TOWNSHIP),
                registration: late,
                note: "请镇中心十五日内受理并反馈。".into(),
                deadline: None,
            },
        },
    )
    .await
    .expect("the county hands down");
    world.once().await; // pulls the hand-down
    world.once().await; // the tracker sees it
    let policy = world.hub().config.policy;
    let accept_by = policy.accept_deadline(registered_on);
    assert!(accept_by < today);

    let at_hub = case_file(world.hub_store(), sent.entity);
    assert_eq!(at_hub.status, CaseStatus::Registered);
    assert_eq!(
        at_hub.supervisions.len(),
        1,
        "an unaccepted hand-down past its acceptance deadline gets one supervision notice"
    );
    assert_eq!(at_hub.supervisions[0].deadline, Some(accept_by));
    let due = sanji_node::tracker::open_cases(world.hub_store(), &policy, today).expect("due");
    assert!(
        due.iter()
            .any(|t| t.id == sent.entity && matches!(t.standing, DeadlineStanding::Overdue { .. })),
        "the hand-down is listed as overdue: {due:?}"
    );
    let ctx = ViewContext {
        policy,
        now_ms: world.hub_now_ms(),
    };
    let report = views::report(world.hub_store(), Month::of(registered_on), &ctx).expect("report");
    assert_eq!(report.received, 1, "the hand-down is received in its month");
    assert_eq!(
        report
            .received_by_source
            .iter()
            .find(|c| c.source == CaseSource::HandedDown)
            .map(|c| c.count),
        Some(1)
    );

    // The county, which supervises overdue hand-downs, sees the notice.
    world.once().await;
    let copy = case_file(&county.store, sent.entity);
    assert_eq!(copy.supervisions.len(), 1, "{copy:?}");
    assert_eq!(copy.status, CaseStatus::Registered);

    world.shutdown().await;
}
