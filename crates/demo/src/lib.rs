//! sanji-demo: `sanji demo`, a whole county on loopback — fresh PKI, county
//! 360123, township hub 360123100, villages 201/202/203 — filled with sample
//! records, one village offline for a while, synced, and checked tier by tier.
//!
//! Owns: the demo scenario ([`run`], [`Demo`], [`DemoReport`]) and the
//! realistic sample records ([`samples`]) that the demo, the bench and the
//! crash drills record. It drives the real nodes only through sanji-node's
//! public API (servers, stations, the console, the views), as the CLI would;
//! a later web console will be started from here too.
//!
//! Must not depend on: sled or the store's internals, clap or any terminal
//! formatting (the CLI prints the report), and nothing a production node
//! runs may depend on this crate: a hub links sanji-node, never the demo.

pub mod samples;

use std::path::{Path, PathBuf};

use sanji_domain::case::{ActorRole, AftermathKind, MediationKind, Outcome, StepKind};
use sanji_domain::event::HandDown;
use sanji_domain::record::RiskLevel;
use sanji_domain::report::{Month, MonthlyReport};
use sanji_domain::time::cst_date;
use sanji_domain::{Code, EventBody, Labelled, Level, Origin};
use sanji_node::config::{NodeConfig, Role};
use sanji_node::ops::{self, Action, CaseCommand};
use sanji_node::server::{self, RunningNode};
use sanji_node::{NodeError, Station, reports, views};
use sanji_pki::PersonRole;
use serde::Serialize;

pub const COUNTY: &str = "360123";
pub const TOWNSHIP: &str = "360123100";
pub const VILLAGES: &[(&str, &str, &str)] = &[
    ("360123100201", "东山村", "李红梅"),
    ("360123100202", "西岭村", "张建军"),
    ("360123100203", "南塘村", "王秀英"),
];
/// The township's member units in its directory (名录).
pub const UNITS: &[&str] = &["司法所", "派出所", "法庭", "劳动保障所"];
/// The county's townships in its directory: the demo's hub, and a neighbour.
pub const TOWNSHIPS: &[(&str, &str)] = &[(TOWNSHIP, "石门镇"), (QUIET_TOWNSHIP, QUIET_NAME)];
/// The village that starts the demo offline.
pub const OFFLINE_VILLAGE: &str = "360123100203";
/// The county's quiet township: its hub files a 零报告 for the month, on
/// the word of its one village, whose round found nothing.
pub const QUIET_TOWNSHIP: &str = "360123101";
pub const QUIET_NAME: &str = "桥头镇";
pub const QUIET_VILLAGE: (&str, &str, &str) = ("360123101201", "桥头村", "刘桂兰");

#[derive(Debug, Clone, Serialize)]
pub struct DemoStation {
    pub code: String,
    pub name: String,
    pub events_created: u64,
    pub acked_by_hub: u64,
    pub pending: u64,
    pub screenings: usize,
    /// The clear error the offline village got before it came online.
    pub offline_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub dir: String,
    pub county_addr: String,
    pub hub_addr: String,
    pub stations: Vec<DemoStation>,
    pub events_created: u64,
    pub events_at_hub: u64,
    pub screenings_created: u64,
    pub severe_created: u64,
    pub severe_at_county: u64,
    pub screenings_in_county_summaries: u64,
    pub summaries_at_county: u64,
    pub outbox_events: u64,
    pub outbox_acked_by_county: u64,
    /// Cases that reached the end of their life (归档) at the hub, even if
    /// they were reopened since.
    pub cases_archived: u64,
    /// Archived cases reopened after a recurrence found on the archived file.
    pub reopened_after_archive: u64,
    /// Urges and supervision notices that reached a station.
    pub urges_delivered: u64,
    /// Offline edits kept but not applied, surfaced to the operator.
    pub conflicts: u64,
    /// Every case number the hub gave (on acceptance), in order.
    pub case_numbers: Vec<String>,
    /// The county's monthly table for this month: one row per township.
    pub county_report: Vec<MonthlyReport>,
    /// 接访 (来访 batches, 来信, 来电) the county's table counts for the hub.
    pub visits_in_report: u64,
    /// 重大 and 群体性 screenings the county's table flags as passed on
    /// later than the 24-hour rule allows.
    pub late_severe_flagged: u64,
    /// 零报告 the quiet township's hub holds from its villages.
    pub zero_reports: u64,
    /// 群体性事件 and 民转刑 cases the county's table counts for the hub.
    pub incidents: u64,
    /// Meetings in the hub's 会议记录簿 whose responsibilities show on the
    /// records they were assigned for.
    pub meetings: u64,
    /// Entries in this quarter's 重点地区及突出问题排查整治登记簿.
    pub hotspots: u64,
    /// Screenings the demo's 专项排查 counted.
    pub campaign_screenings: u64,
    /// Screenings the township center's own screeners recorded (分区分线).
    pub center_screenings: u64,
    /// The half-year's 自查评分 total as the county received it, in points.
    pub assessment_at_county: Option<String>,
    /// Cases at the hub handled jointly: a lead and assisting units (联合调处).
    pub joint_cases: u64,
    /// Screenings under a 稳控 responsibility, as their village's station holds them.
    pub screenings_controlled: u64,
    /// 受理登记 in the hub's 阶段汇总 of the whole year (at least the month's).
    pub year_summary_received: u64,
    /// Visits and cases numbered in the hub's 受理事项总登记簿 this year.
    pub register_numbered: u64,
    /// 交办、督办、销案通知书 the hub numbered this year, and how many of
    /// those asking for a receipt were signed for.
    pub notices_issued: u64,
    pub notices_signed: u64,
    /// Cases given their 一案一档 archive number this year.
    pub archive_numbered: u64,
    /// Files on the hub's case files (附件) it holds whole, uploaded by a
    /// village station with its sync.
    pub attachments_at_hub: u64,
    /// The quiet township's hub.
    pub quiet_hub_addr: String,
    pub converged: bool,
    /// What did not converge, if anything, in words.
    pub problems: Vec<String>,
    /// Where the web consoles are served.
    pub consoles: DemoConsoles,
    /// One account per role, with its password, for trying the consoles.
    pub accounts: Vec<DemoAccount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoConsoles {
    pub hub: String,
    pub county: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub role: ActorRole,
    pub role_label: &'static str,
    pub name: String,
    pub login: String,
    pub password: String,
    /// The console URL the account signs in to.
    pub console: String,
}

/// The demo's people at the consoles: (node, name, login, role, unit).
const DEMO_ACCOUNTS: &[(&str, &str, &str, ActorRole, Option<&str>)] = &[
    (TOWNSHIP, "赵敏", "zhaomin", ActorRole::Operator, None),
    (TOWNSHIP, "陈志远", "chenzhiyuan", ActorRole::Director, None),
    (
        TOWNSHIP,
        "孙立",
        "sunli",
        ActorRole::UnitStaff,
        Some("司法所"),
    ),
    (COUNTY, "周明", "zhouming", ActorRole::County, None),
];
/// Every demo account's password (a demo's, printed on screen; real
/// accounts get a one-time password and choose their own).
pub const DEMO_PASSWORD: &str = "sanji-2026";

/// Creates the demo's console accounts, each with the demo password.
fn demo_accounts(
    county: &RunningNode,
    hub: &RunningNode,
    consoles: &DemoConsoles,
) -> Result<Vec<DemoAccount>, NodeError> {
    let mut made = Vec::new();
    for (node, name, login, role, unit) in DEMO_ACCOUNTS {
        let (store, console) = if *node == COUNTY {
            (&county.store, &consoles.county)
        } else {
            (&hub.store, &consoles.hub)
        };
        let accounts = sanji_node::accounts::Accounts::new(store.clone());
        let now = store.clock()?.wall_ms;
        let (_, once) = accounts.add(name, Some(login), *role, *unit, now, "演示")?;
        accounts.change_password(login, &once, DEMO_PASSWORD, now, "演示")?;
        made.push(DemoAccount {
            role: *role,
            role_label: role.label(),
            name: (*name).to_owned(),
            login: (*login).to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            console: console.clone(),
        });
    }
    Ok(made)
}

pub struct Demo {
    pub dir: PathBuf,
    pub county: RunningNode,
    pub hub: RunningNode,
    /// The quiet township's hub and its village (`None` once let go, as
    /// [`Demo::stations`] may be cleared).
    pub quiet_hub: RunningNode,
    pub quiet_station: Option<Station>,
    /// The county's and the hub's web consoles.
    pub consoles: Vec<sanji_web::RunningConsole>,
    pub stations: Vec<Station>,
    pub report: DemoReport,
    operator: PathBuf,
}

impl Demo {
    pub async fn stop(self) -> Result<(), NodeError> {
        drop(self.stations);
        drop(self.quiet_station);
        for console in self.consoles {
            console.stop().await;
        }
        self.quiet_hub.stop().await?;
        self.hub.stop().await?;
        self.county.stop().await
    }

    /// The demo's 总台 operator's certificate, for `--as` (its key opens
    /// with [`DEMO_PASSWORD`]).
    pub fn operator_certificate(&self) -> &Path {
        &self.operator
    }

    pub fn config_path(&self, code: &str) -> PathBuf {
        config_path(&self.dir, code)
    }
}

fn config_path(dir: &Path, code: &str) -> PathBuf {
    dir.join("config").join(format!("{code}.toml"))
}

fn code(text: &str) -> Code {
    Code::parse(text).expect("demo codes are valid")
}

/// Runs the scenario in `dir` (which should be empty) and leaves the county
/// and hub serving on loopback.
pub async fn run(dir: &Path) -> Result<Demo, NodeError> {
    // Configuration files name absolute folders, so they work from anywhere.
    let dir = &std::path::absolute(dir).map_err(|e| NodeError::io(dir, e))?;
    let ca_dir = dir.join("ca");
    let certs = dir.join("certs");
    let data = dir.join("data");
    sanji_pki::init_ca(&ca_dir, &code(COUNTY))?;
    for c in [COUNTY, TOWNSHIP, QUIET_TOWNSHIP, QUIET_VILLAGE.0]
        .into_iter()
        .chain(VILLAGES.iter().map(|v| v.0))
    {
        sanji_pki::issue_node(&ca_dir, &code(c), &certs, &[])?;
    }

    let mut county_cfg =
        NodeConfig::new(Role::County, code(COUNTY), data.join(COUNTY), certs.clone());
    let county_incoming = server::bind("127.0.0.1:0")?;
    let county_addr = county_incoming
        .local_addr()
        .map_err(|e| NodeError::Serve(e.to_string()))?
        .to_string();
    county_cfg.listen = Some(county_addr.clone());
    county_cfg.console_addr = Some("127.0.0.1:0".into());
    county_cfg.console_plain_http = true;
    county_cfg.save(&config_path(dir, COUNTY))?;
    let county_store = server::open_store(&county_cfg)?;
    let county = server::start_with(county_cfg, county_store, county_incoming).await?;

    let (hub, hub_addr) = start_hub(dir, TOWNSHIP, &county_addr, true).await?;

    let mut stations = Vec::new();
    let mut late_month = None;
    for (village, _, clerk) in VILLAGES {
        let mut cfg = NodeConfig::new(
            Role::Station,
            code(village),
            data.join(village),
            certs.clone(),
        );
        cfg.parent_addr = Some(hub_addr.clone());
        cfg.default_author = Some((*clerk).to_owned());
        cfg.save(&config_path(dir, village))?;
        if *village == OFFLINE_VILLAGE {
            late_month = Some(record_before_the_network_went(&cfg, clerk)?);
        }
        stations.push(Station::open(cfg)?);
    }

    // A morning's screening in every village.
    for (station, (_, _, clerk)) in stations.iter().zip(VILLAGES) {
        let today = cst_date(station.clock().now_ms());
        station.record_many(None, samples::village_day(station.code(), today, 6, clerk))?;
    }

    // The offline village tries first: no network, a clear error, nothing lost.
    let mut offline_error = None;
    for station in stations
        .iter_mut()
        .filter(|s| s.code().as_str() == OFFLINE_VILLAGE)
    {
        station.set_parent_addr(&closed_port()?);
        if let Err(e) = station.sync(1).await {
            offline_error = Some(e.to_string());
        }
        let today = cst_date(station.clock().now_ms());
        let clerk = station.config().default_author.clone().unwrap_or_default();
        let more = (6..9).map(|n| {
            EventBody::ScreeningRecorded(samples::screening(station.code(), n, today, 0, &clerk))
        });
        station.record_many(None, more.collect())?;
        station.set_parent_addr(&hub_addr);
    }
    for station in stations
        .iter()
        .filter(|s| s.code().as_str() != OFFLINE_VILLAGE)
    {
        station.sync(3).await?;
    }
    // ...and comes online later.
    for station in stations
        .iter()
        .filter(|s| s.code().as_str() == OFFLINE_VILLAGE)
    {
        station.sync(3).await?;
    }
    if let Some(forwarder) = &hub.forwarder {
        forwarder.once().await?;
    }

    let (quiet_hub, quiet_station) = quiet_township(dir, &county_addr).await?;

    seed_directory(&county, &hub).await?;
    let people = issue_people(&ca_dir, &dir.join("people"))?;
    case_story(&county, &hub, &mut stations, &people).await?;

    let mut report = check(
        dir,
        &county,
        &hub,
        &quiet_hub,
        &stations,
        offline_error,
        late_month,
    )?;
    let county_console = console_of(&county).await?;
    let hub_console = console_of(&hub).await?;
    report.consoles = DemoConsoles {
        hub: hub_console.url.clone(),
        county: county_console.url.clone(),
    };
    report.accounts = demo_accounts(&county, &hub, &report.consoles)?;
    Ok(Demo {
        dir: dir.to_owned(),
        county,
        hub,
        quiet_hub,
        quiet_station: Some(quiet_station),
        consoles: vec![hub_console, county_console],
        stations,
        report,
        operator: people.operator_file,
    })
}

/// Starts the hub of `township` under the county at `county_addr`, with
/// its web console on loopback when `console` is set.
async fn start_hub(
    dir: &Path,
    township: &str,
    county_addr: &str,
    console: bool,
) -> Result<(RunningNode, String), NodeError> {
    let mut cfg = NodeConfig::new(
        Role::Hub,
        code(township),
        dir.join("data").join(township),
        dir.join("certs"),
    );
    let incoming = server::bind("127.0.0.1:0")?;
    let addr = incoming
        .local_addr()
        .map_err(|e| NodeError::Serve(e.to_string()))?
        .to_string();
    cfg.listen = Some(addr.clone());
    cfg.parent_addr = Some(county_addr.to_owned());
    if console {
        cfg.console_addr = Some("127.0.0.1:0".into());
        cfg.console_plain_http = true;
    }
    cfg.save(&config_path(dir, township))?;
    let store = server::open_store(&cfg)?;
    Ok((server::start_with(cfg, store, incoming).await?, addr))
}

/// The quiet township: its one village screens, finds nothing and says so
/// with a 零报告; the hub files its month with zeros, so the county tells
/// it apart from a township that filed nothing.
async fn quiet_township(
    dir: &Path,
    county_addr: &str,
) -> Result<(RunningNode, Station), NodeError> {
    let (hub, hub_addr) = start_hub(dir, QUIET_TOWNSHIP, county_addr, false).await?;
    let (village, name, clerk) = QUIET_VILLAGE;
    let edit = sanji_node::directory::DirectoryEdit::Village {
        code: village.into(),
        name: name.into(),
    };
    hub.operations
        .admin(ops::Admin::EditDirectory { edit }, "演示")
        .await?;
    let mut cfg = NodeConfig::new(
        Role::Station,
        code(village),
        dir.join("data").join(village),
        dir.join("certs"),
    );
    cfg.parent_addr = Some(hub_addr);
    cfg.default_author = Some(clerk.to_owned());
    cfg.save(&config_path(dir, village))?;
    let station = Station::open(cfg)?;
    let today = cst_date(station.clock().now_ms());
    station.record_zero_report(
        None,
        sanji_domain::record::ZeroReport {
            village: station.code().clone(),
            round_on: today,
            screener: clerk.to_owned(),
            note: "已逐组走访,未发现矛盾纠纷和不安定因素".into(),
        },
    )?;
    station.sync(3).await?;
    if let Some(forwarder) = &hub.forwarder {
        forwarder.once().await?;
    }
    Ok((hub, station))
}

/// The directory of names an administrator would set up first: the hub's
/// villages and member units, the county's townships.
async fn seed_directory(county: &RunningNode, hub: &RunningNode) -> Result<(), NodeError> {
    use sanji_node::directory::DirectoryEdit;
    let villages = VILLAGES
        .iter()
        .map(|(code, name, _)| DirectoryEdit::Village {
            code: (*code).into(),
            name: (*name).into(),
        });
    let units = UNITS
        .iter()
        .map(|u| DirectoryEdit::Unit { name: (*u).into() });
    for edit in villages.chain(units) {
        hub.operations
            .admin(ops::Admin::EditDirectory { edit }, "演示")
            .await?;
    }
    for (code, name) in TOWNSHIPS {
        let edit = DirectoryEdit::Township {
            code: (*code).into(),
            name: (*name).into(),
        };
        county
            .operations
            .admin(ops::Admin::EditDirectory { edit }, "演示")
            .await?;
    }
    Ok(())
}

async fn console_of(node: &RunningNode) -> Result<sanji_web::RunningConsole, NodeError> {
    sanji_web::start_for(node)
        .await
        .map_err(|e| NodeError::Serve(e.to_string()))?
        .ok_or_else(|| NodeError::Config("演示配置缺少网页工作台地址".into()))
}

/// The township's people with their certificates, kept in their own folder
/// (never the hub's) under the demo's passphrase, as a person's own machine would.
struct People {
    operator: sanji_pki::CertFiles,
    director: sanji_pki::CertFiles,
    operator_file: PathBuf,
}

fn issue_people(ca_dir: &Path, folder: &Path) -> Result<People, NodeError> {
    let township = code(TOWNSHIP);
    let issue = |role, name| -> Result<(sanji_pki::CertFiles, PathBuf), NodeError> {
        let (stem, _) =
            sanji_pki::issue_person(ca_dir, &township, role, name, folder, DEMO_PASSWORD)?;
        let file = folder.join(format!("{stem}.pem"));
        Ok((
            sanji_pki::CertFiles::load_person(&file, DEMO_PASSWORD)?,
            file,
        ))
    };
    let (operator, operator_file) = issue(PersonRole::Operator, "赵敏")?;
    let (director, _) = issue(PersonRole::Director, "陈志远")?;
    Ok(People {
        operator,
        director,
        operator_file,
    })
}

async fn act(
    hub: &RunningNode,
    person: &sanji_pki::CertFiles,
    action: Action,
) -> Result<ops::ActOutcome, NodeError> {
    sanji_node::console::act_remote(&hub.config, Some(person), &action).await
}

fn step(case: &str, command: CaseCommand) -> Action {
    Action::CaseStep {
        case: case.to_owned(),
        command,
    }
}

fn village_case(station: &Station) -> Result<String, NodeError> {
    views::cases(station.store(), "")?
        .into_iter()
        .find(|c| c.place == *station.code())
        .map(|c| c.id.to_string())
        .ok_or_else(|| NodeError::NotFound(format!("{} 登记的案件", station.code())))
}

/// A case's whole life across the tiers, an urge that reaches a station, a
/// supervision notice, a conflict between offline edits, an escalation and
/// a hand-down from the county — all through the real console and sync.
async fn case_story(
    county: &RunningNode,
    hub: &RunningNode,
    stations: &mut [Station],
    people: &People,
) -> Result<(), NodeError> {
    let forwarder = hub
        .forwarder
        .clone()
        .ok_or_else(|| NodeError::Config("镇中心没有上报通道".into()))?;
    let (op, dir) = (&people.operator, &people.director);
    let today = cst_date(hub.store.clock()?.wall_ms.max(1));

    // 西岭村's boundary case: accepted, assigned back to the village, approved.
    let west = village_case(&stations[1])?;
    let back_to_west = CaseCommand::Assign {
        unit: None,
        village: Some(stations[1].code().clone()),
        person: "张建军".into(),
        deadline: None,
    };
    act(hub, op, step(&west, CaseCommand::Accept)).await?;
    act(hub, op, step(&west, back_to_west.clone())).await?;
    act(hub, dir, step(&west, CaseCommand::Approve)).await?;

    // 东山村's case goes to the village with a deadline of today: it is due.
    let east = village_case(&stations[0])?;
    act(hub, op, step(&east, CaseCommand::Accept)).await?;
    act(
        hub,
        dir,
        step(
            &east,
            CaseCommand::Assign {
                unit: None,
                village: Some(stations[0].code().clone()),
                person: "李红梅".into(),
                deadline: Some(today),
            },
        ),
    )
    .await?;

    // A walk-in registered at the centre three weeks late: past its acceptance deadline.
    let mut late = samples::case(&code(OFFLINE_VILLAGE), today, "赵敏");
    late.registered_on = today
        .checked_sub_days(chrono::Days::new(21))
        .unwrap_or(today);
    late.first_unit = "镇综治信访维稳中心".into();
    late.category = sanji_domain::record::Category::Land;
    late.claim = "要求重新划定山林承包界址,退还被占用的二亩林地。".into();
    late.complex = true;
    late.parties = vec![
        sanji_domain::record::Party {
            name: "何长青".into(),
            contact: Some("138****3306".into()),
        },
        sanji_domain::record::Party {
            name: "南塘村第三村民小组".into(),
            contact: None,
        },
    ];
    late.people_involved = 14;
    let walk_in = act(hub, op, Action::RegisterCase { registration: late }).await?;
    forwarder.once().await?; // the tracker urges and supervises

    for station in stations.iter() {
        station.sync(3).await?;
    }

    // 西岭村 mediates offline and reports the result on its next sync.
    stations[1].case_step(
        None,
        &west,
        CaseCommand::Progress {
            kind: MediationKind::People,
            note: "村调委会组织双方到现场丈量,对照老契约重新确认界址。".into(),
        },
    )?;
    stations[1].case_step(
        None,
        &west,
        CaseCommand::Resolve {
            outcome: Outcome::Agreement,
            kind: Some(MediationKind::People),
            summary: "达成调解协议,越界猪圈已拆除,双方在界址图上签字确认。".into(),
        },
    )?;
    stations[1].sync(3).await?;
    act(
        hub,
        op,
        step(
            &west,
            CaseCommand::Feedback {
                note: "已当面告知吴春生办理结果。".into(),
            },
        ),
    )
    .await?;
    act(
        hub,
        op,
        step(
            &west,
            CaseCommand::FollowUp {
                recurred: false,
                satisfied: true,
                petitioned: false,
                skip_level: false,
                note: "回访:界址清楚,双方相安无事。".into(),
            },
        ),
    )
    .await?;
    act(
        hub,
        op,
        step(
            &west,
            CaseCommand::Archive {
                note: "一案一档归档".into(),
            },
        ),
    )
    .await?;

    // Archived, then the dispute flares up again: the recurrence is recorded
    // on the archived file, the case reopened and handed back to the village,
    // which settles it again offline.
    act(
        hub,
        op,
        step(
            &west,
            CaseCommand::Aftermath {
                kind: AftermathKind::Recurrence,
                on: None,
                who: "吴春生".into(),
                taken_to: String::new(),
                note: "邻居又在界址内堆放柴草,双方再起争执。".into(),
            },
        ),
    )
    .await?;
    act(
        hub,
        op,
        step(
            &west,
            CaseCommand::Reopen {
                reason: "归档后矛盾反复,重新调处。".into(),
            },
        ),
    )
    .await?;
    act(hub, dir, step(&west, back_to_west.clone())).await?;
    stations[1].sync(3).await?;
    stations[1].case_step(
        None,
        &west,
        CaseCommand::Resolve {
            outcome: Outcome::Agreement,
            kind: Some(MediationKind::People),
            summary: "再次调解,柴草已清走,双方重申按界址图各自管理。".into(),
        },
    )?;
    // The signed agreement goes onto the file at the village.
    let agreement = sanji_node::attachments::take_in(
        stations[1].store(),
        &sanji_node::attachments::FileUpload {
            name: "人民调解协议书.txt".into(),
            bytes: samples::agreement(today).into_bytes(),
        },
    )?;
    stations[1].case_step(
        None,
        &west,
        CaseCommand::Attach {
            title: "调解协议书".into(),
            file: agreement,
        },
    )?;
    stations[1].sync(3).await?;

    // Two offline edits of 东山村's case: the director moves it to the judicial
    // office while the village, not yet knowing, records progress.
    act(
        hub,
        dir,
        step(
            &east,
            CaseCommand::Assign {
                unit: Some("司法所".into()),
                village: None,
                person: "孙立".into(),
                deadline: None,
            },
        ),
    )
    .await?;
    stations[0].case_step(
        None,
        &east,
        CaseCommand::Progress {
            kind: MediationKind::People,
            note: "已约双方周五到村委会调解。".into(),
        },
    )?;
    stations[0].sync(3).await?;
    // 联合调处: the police station assists the judicial office, with its own task.
    act(
        hub,
        dir,
        step(
            &east,
            CaseCommand::Assist {
                unit: "派出所".into(),
                person: "陈警官".into(),
                task: "核实双方冲突经过,调解时维护现场秩序".into(),
            },
        ),
    )
    .await?;
    // The 司法所's paper 回执 for its 交办通知书 comes back to the center.
    act(
        hub,
        op,
        step(
            &east,
            CaseCommand::Acknowledge {
                note: "司法所孙立交回纸质回执".into(),
            },
        ),
    )
    .await?;
    act(
        hub,
        op,
        step(
            &east,
            CaseCommand::AssistReport {
                unit: "派出所".into(),
                note: "已向双方及邻居了解冲突经过,无人受伤。".into(),
            },
        ),
    )
    .await?;

    // The late walk-in goes up to the county; the county hands one down.
    act(
        hub,
        dir,
        step(
            &walk_in.entity.to_string(),
            CaseCommand::Escalate {
                reason: "涉及多户林权,已超期未受理,请县里协调林业部门。".into(),
            },
        ),
    )
    .await?;
    let hand_down = HandDown {
        township: code(TOWNSHIP),
        registration: sanji_domain::record::CaseRegistration {
            place: code(TOWNSHIP),
            registered_on: today,
            source: sanji_domain::record::CaseSource::HandedDown,
            category: sanji_domain::record::Category::Expropriation,
            parties: vec![sanji_domain::record::Party {
                name: "钱国栋".into(),
                contact: None,
            }],
            people_involved: 4,
            claim: "反映集镇改造拆迁安置房分配不公,要求复核。".into(),
            first_receiver: "县综治办 周强".into(),
            first_unit: "县综治办".into(),
            complex: false,
            from_record: None,
        },
        note: "请镇中心十五日内受理并反馈。".into(),
        // Sooner than the township's own 60 days: the county's runs.
        deadline: today.checked_add_days(chrono::Days::new(30)),
    };
    let county_actor = ops::Actor {
        name: "县综治办".into(),
        role: ActorRole::County,
        code: code(COUNTY),
    };
    let sent = county
        .operations
        .act(&county_actor, Action::HandDown { hand_down })
        .await?;
    forwarder.once().await?; // forwards the escalation, pulls the hand-down
    act(hub, op, step(&sent.entity.to_string(), CaseCommand::Accept)).await?;

    // The offline village's 重大 screening with a mass-incident risk came
    // true: villagers gathered at the township. Recorded as what happened,
    // linked to the screening that foresaw it.
    let foreseen = views::screenings(&hub.store, OFFLINE_VILLAGE)?
        .into_iter()
        .find(|s| s.mass_incident_risk)
        .map(|s| s.id);
    let incident = sanji_domain::record::Incident {
        kind: sanji_domain::record::IncidentKind::MassIncident,
        place: code(OFFLINE_VILLAGE),
        occurred_on: today,
        people_involved: 23,
        parties: vec![sanji_domain::record::Party {
            name: "何长青".into(),
            contact: None,
        }],
        cause: "山林界址争议久拖未决,部分村民聚集到镇政府门前。".into(),
        handling: "镇中心主任到场接待,派出所维持秩序,当场约定三日内组织林业站现场勘界,人员已劝返。"
            .into(),
        screenings: foreseen.into_iter().collect(),
        cases: Vec::new(),
    };
    act(
        hub,
        op,
        Action::RecordIncident {
            incident,
            case_refs: Vec::new(),
        },
    )
    .await?;

    // The 25th's 矛盾纠纷排查例会 reviews the screening and the hand-down,
    // and makes the 司法所 responsible for mediating the case.
    let held_on = today;
    let meeting = sanji_domain::meeting::Meeting {
        kind: sanji_domain::meeting::MeetingKind::DisputeScreening,
        held_on,
        chair: "王建国".into(),
        attendees: vec![
            "刘芳".into(),
            "司法所 孙立".into(),
            "派出所 陈警官".into(),
        ],
        screenings: foreseen.into_iter().collect(),
        cases: Vec::new(),
        decisions: "逐村研判本月排查出的纠纷。山林界址争议已引发聚集,由林业站会同村委会三日内现场勘界;县里交办的案件由司法所牵头调解,限期办结。".into(),
        responsibilities: Vec::new(),
    };
    act(
        hub,
        op,
        Action::RecordMeeting {
            meeting,
            case_refs: Vec::new(),
            duties: vec![sanji_node::meetings::DutyDraft {
                subject: sent.entity.to_string(),
                unit: "司法所".into(),
                person: "孙立".into(),
                task: "约双方当事人到联合调解室调解".into(),
                deadline: held_on + chrono::Days::new(10),
            }],
        },
    )
    .await?;
    // The screening that foresaw the gathering is kept stable by the police
    // station until the boundary is surveyed; its village sees who and how.
    if let Some(screening) = foreseen {
        act(
            hub,
            op,
            Action::ControlScreening {
                screening,
                control: sanji_domain::record::StabilityControl {
                    unit: "派出所".into(),
                    person: "陈警官".into(),
                    measures: "包案民警每周走访何长青等人,勘界前不得强行砍伐争议林木。".into(),
                    time_limit: held_on + chrono::Days::new(15),
                    status: sanji_domain::record::ControlStatus::Controlling,
                    note: String::new(),
                },
            },
        )
        .await?;
    }
    // The quarter's public-order round: the market street is a hotspot the
    // police station and the market office rectify within the month.
    act(
        hub,
        op,
        Action::RecordHotspot {
            entry: None,
            hotspot: sanji_domain::hotspot::Hotspot {
                found_on: held_on,
                area: "集镇农贸市场周边".into(),
                village: Some(stations[0].code().clone()),
                problem: "摊贩占道经营,夜间酗酒滋事多发。".into(),
                measures: "派出所加强夜间巡逻,市场监管所划定摊位、清理占道。".into(),
                unit: "派出所".into(),
                person: "陈警官".into(),
                deadline: held_on + chrono::Days::new(30),
                status: sanji_domain::hotspot::RectifyStatus::Rectifying,
                result: String::new(),
            },
        },
    )
    .await?;
    // 分区分线: the center's own screener covering construction sites.
    act(
        hub,
        op,
        Action::RecordScreening {
            screening: sanji_domain::record::Screening {
                village: stations[0].code().clone(),
                screened_on: held_on,
                screener: "刘芳".into(),
                category: sanji_domain::record::Category::Labour,
                parties: vec![sanji_domain::record::Party {
                    name: "包工头陈某".into(),
                    contact: None,
                }],
                people_involved: 12,
                risk: sanji_domain::record::RiskLevel::Major,
                may_escalate: true,
                mass_incident_risk: false,
                description: "村民自建房工地拖欠 12 名务工人员工资,年底前须结清。".into(),
                measures: "已约劳动保障所到工地核实工资单。".into(),
                line: Some("建筑工地".into()),
            },
        },
    )
    .await?;
    // A 专项排查 over this fortnight: every screening of its days counts.
    act(
        hub,
        op,
        Action::DeclareCampaign {
            entry: None,
            campaign: sanji_domain::campaign::Campaign {
                topic: "年末矛盾纠纷专项排查".into(),
                from: held_on - chrono::Days::new(7),
                to: held_on + chrono::Days::new(7),
                categories: Vec::new(),
                note: "各村逐户走访,排查结果(含零报告)按周报镇中心。".into(),
            },
        },
    )
    .await?;
    // The director files the half-year's 自查评分: the ledgers score what
    // they prove, the director the rest.
    let hand = |item: &str, tenths: u32, note: &str| sanji_domain::assessment::HandScore {
        item: item.into(),
        tenths,
        note: note.into(),
    };
    act(
        hub,
        dir,
        Action::FileAssessment {
            period: demo_half(held_on).to_string(),
            hand: vec![
                hand("leadership", 70, "综治委、中心机构健全,分工明确"),
                hand("premises", 125, "功能区和办公设备齐全"),
                hand("joint_office", 40, "综治办、信访办、司法所集中办公"),
                hand("rules", 70, "制度健全并公示上墙"),
                hand("funding", 70, "经费到位"),
            ],
            bonus_tenths: 0,
            bonus_note: String::new(),
        },
    )
    .await?;
    forwarder.once().await?; // reports the accepted hand-down and the month
    for station in stations.iter() {
        station.sync(3).await?;
    }
    Ok(())
}

/// The offline village's laptop, the day before: its clock (as the clock
/// of a laptop that has been offline since yesterday would be, seen from
/// now) 30 hours back, it records a 重大 screening with a mass-incident risk
/// that will reach the township only when the village comes online. Returns
/// the month it was screened in.
fn record_before_the_network_went(config: &NodeConfig, clerk: &str) -> Result<Month, NodeError> {
    let mut yesterday = config.clone();
    yesterday.clock_offset_ms = -30 * 3_600_000;
    let station = Station::open(yesterday)?;
    let day = cst_date(station.clock().now_ms());
    let mut screening = samples::screening(station.code(), 0, day, 0, clerk);
    screening.risk = RiskLevel::Severe;
    screening.mass_incident_risk = true;
    station.record_screening(None, screening)?;
    Ok(Month::of(day))
}

/// A loopback port nothing listens on: what an unplugged network looks like.
fn closed_port() -> Result<String, NodeError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| NodeError::Serve(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| NodeError::Serve(e.to_string()))?;
    drop(listener);
    Ok(addr.to_string())
}

/// Compares what every tier holds with what it should.
fn check(
    dir: &Path,
    county: &RunningNode,
    hub: &RunningNode,
    quiet_hub: &RunningNode,
    stations: &[Station],
    offline_error: Option<String>,
    late_month: Option<Month>,
) -> Result<DemoReport, NodeError> {
    let mut problems = Vec::new();
    let hub_vv = hub.store.version_vector()?;
    let mut report_stations = Vec::new();
    let (mut created, mut screenings_created, mut severe_created) = (0, 0, 0);
    for (station, (_, name, _)) in stations.iter().zip(VILLAGES) {
        let status = station.status()?;
        let rows = views::screenings(station.store(), "")?;
        created += status.events_recorded;
        screenings_created += rows.len() as u64;
        let severe = rows
            .iter()
            .filter(|r| r.risk == RiskLevel::Severe || r.mass_incident_risk)
            .count() as u64;
        severe_created += severe;
        let at_hub = hub_vv
            .get(&Origin::node(station.code().clone()))
            .copied()
            .unwrap_or(0);
        if at_hub != status.events_recorded {
            problems.push(format!(
                "镇中心持有 {} 的 {at_hub} 条,该站共 {} 条",
                station.code(),
                status.events_recorded
            ));
        }
        report_stations.push(DemoStation {
            code: station.code().to_string(),
            name: (*name).to_owned(),
            events_created: status.events_recorded,
            acked_by_hub: status.acked_by_hub,
            pending: status.pending,
            screenings: rows.len(),
            offline_error: (station.code().as_str() == OFFLINE_VILLAGE)
                .then(|| offline_error.clone())
                .flatten(),
        });
    }
    let events_at_hub = views::held_from(&hub.store, |o| {
        !o.is_outbox() && o.code().level() == Level::Village
    })?;
    let hub_screenings = views::screenings(&hub.store, "")?.len() as u64;
    if hub_screenings != screenings_created {
        problems.push(format!(
            "镇中心有 {hub_screenings} 条排查,各村共登记 {screenings_created} 条"
        ));
    }

    let severe_at_county = views::screenings(&county.store, "")?.len() as u64;
    if severe_at_county != severe_created {
        problems.push(format!(
            "县里收到 {severe_at_county} 条重大/群体性排查,应为 {severe_created} 条"
        ));
    }
    let summaries = views::summaries(&county.store, "")?;
    let counted: u64 = summaries.iter().map(|s| u64::from(s.records)).sum();
    if counted != screenings_created {
        problems.push(format!(
            "县里汇总覆盖 {counted} 条排查,应为 {screenings_created} 条"
        ));
    }
    let outbox = Origin::outbox(code(TOWNSHIP));
    let outbox_events = hub.store.head(&outbox)?.map_or(0, |h| h.seq);
    let outbox_acked = county.store.head(&outbox)?.map_or(0, |h| h.seq);
    if outbox_acked != outbox_events {
        problems.push(format!(
            "县里确认了镇中心上报台账的 {outbox_acked} 条,共 {outbox_events} 条"
        ));
    }
    let hub_files = reports::ledger_for_reports(&hub.store, None)?.cases;
    let archived_at =
        |f: &sanji_domain::case::CaseFile| f.file.iter().position(|e| e.step == StepKind::Archive);
    let cases_archived = hub_files
        .iter()
        .filter(|(_, f)| archived_at(f).is_some())
        .count() as u64;
    if cases_archived == 0 {
        problems.push("没有一件案件走完全流程归档".into());
    }
    let reopened_after_archive = hub_files
        .iter()
        .filter(|(_, f)| {
            archived_at(f).is_some_and(|at| {
                f.file[at..].iter().any(|e| e.step == StepKind::Reopen) && !f.aftermath.is_empty()
            })
        })
        .count() as u64;
    if reopened_after_archive == 0 {
        problems.push("没有一件归档后矛盾反复的案件重新办理".into());
    }
    let mut case_numbers: Vec<String> = hub_files
        .iter()
        .filter_map(|(_, f)| f.case_number.clone())
        .collect();
    case_numbers.sort();
    let mut urges_delivered = 0;
    for station in stations {
        for (_, f) in reports::ledger_for_reports(station.store(), None)?.cases {
            urges_delivered += (f.urges.len() + f.supervisions.len()) as u64;
        }
    }
    if urges_delivered == 0 {
        problems.push("没有催办或督办到达村工作站".into());
    }
    let conflicts = views::conflicts(&hub.store)?.len() as u64;
    let month = Month::of(cst_date(hub.store.clock()?.wall_ms));
    let county_report = views::county_reports(&county.store, month)?.rows;
    let ctx = views::ViewContext {
        policy: hub.config.policy,
        now_ms: hub.store.clock()?.wall_ms,
    };
    let mut hub_report = views::report(&hub.store, month, &ctx)?;
    // The year's 阶段汇总 counts the same way over more days: never less
    // than this month received.
    let year_summary_received = u64::from(
        views::summary(
            &hub.store,
            sanji_domain::report::Period::Year { year: month.year },
            &ctx,
        )?
        .figures
        .received,
    );
    if year_summary_received < u64::from(hub_report.received) || year_summary_received == 0 {
        problems.push("镇中心的全年汇总与本月的月报表对不上".into());
    }
    // Everything the hub received this year has its number in the 总登记簿.
    let register = sanji_node::register::register(&hub.store, month.year)?;
    let register_numbered = register.rows.iter().filter(|r| r.serial.is_some()).count() as u64;
    if register_numbered == 0 || register.rows.iter().any(|r| r.serial.is_none()) {
        problems.push("镇中心的受理事项总登记簿有未编号的记录".into());
    }
    let mut notices_issued = 0;
    let mut notices_signed = 0;
    for book in sanji_node::notices::NOTICE_BOOKS {
        let notices = sanji_node::notices::notices(&hub.store, month.year, book)?;
        notices_issued += notices.notices.len() as u64;
        notices_signed += notices
            .notices
            .iter()
            .filter(|n| matches!(n.receipt, sanji_node::notices::Receipt::Signed { .. }))
            .count() as u64;
    }
    let archive_numbered = sanji_node::register::book(
        &hub.store,
        month.year,
        sanji_domain::register::Book::Archive,
    )?
    .records
    .len() as u64;
    if notices_issued == 0 || notices_signed == 0 || archive_numbered < cases_archived {
        problems.push(format!(
            "镇中心的通知书或档案号不全:通知书 {notices_issued} 份、已签收 {notices_signed} 份,档案号 {archive_numbered} 个,归档案件 {cases_archived} 件"
        ));
    }
    let mut attachments_at_hub = 0;
    for card in hub.store.case_cards()? {
        let Some(sanji_domain::EntityState::Case(file)) =
            hub.store.entity(card.id)?.map(|e| e.state)
        else {
            continue;
        };
        for attached in &file.attachments {
            if hub.store.holds_attachment(&attached.attachment.file())? {
                attachments_at_hub += 1;
            } else {
                problems.push(format!(
                    "镇中心的案件附件「{}」没有完整的文件",
                    attached.attachment.title
                ));
            }
        }
    }
    if attachments_at_hub == 0 {
        problems.push("村工作站上传的调解协议书没有到镇中心".into());
    }
    match county_report
        .iter()
        .find(|r| r.township == hub_report.township)
    {
        Some(at_county) => {
            hub_report.revision = at_county.revision;
            if *at_county != hub_report {
                problems.push("县里的月报与镇中心按台账现算的不一致".into());
            }
        }
        None => problems.push("县里没有收到本镇月报".into()),
    }
    let visits_in_report = county_report
        .iter()
        .filter(|r| r.township == hub_report.township)
        .filter_map(|r| r.visits)
        .map(|v| u64::from(v.visit_batches) + u64::from(v.letters) + u64::from(v.calls))
        .sum();
    if visits_in_report == 0 {
        problems.push("县里的月报没有统计到村里登记的接访".into());
    }
    // The offline village's 重大 screening of yesterday reached the township
    // a day late: the month's report filed at the county says so.
    let mut late_severe_flagged = 0;
    if let Some(late_month) = late_month {
        late_severe_flagged = views::county_reports(&county.store, late_month)?
            .rows
            .iter()
            .filter(|r| r.township == hub_report.township)
            .filter_map(|r| r.late_severe)
            .map(u64::from)
            .sum();
    }
    if late_severe_flagged == 0 {
        problems.push("县里的月报没有标出超过 24 小时才上报的重大排查".into());
    }
    // Every township of the county has a row; the quiet one a 零报告 that
    // says its village reported zero.
    for (township, name) in TOWNSHIPS {
        if !county_report
            .iter()
            .any(|r| r.township.as_str() == *township)
        {
            problems.push(format!("县里的月报表没有{name}({township})的一行"));
        }
    }
    let zero_reports = views::zero_reports(&quiet_hub.store, "")?.len() as u64;
    match county_report
        .iter()
        .find(|r| r.township.as_str() == QUIET_TOWNSHIP)
    {
        Some(quiet) if quiet.is_zero() && quiet.reporting.is_some_and(|c| c.zero > 0) => {}
        Some(_) => problems.push(format!(
            "县里收到的{QUIET_NAME}月报不是村里报了零报告的零报告"
        )),
        None => {}
    }
    if zero_reports == 0 {
        problems.push(format!("{QUIET_NAME}中心没有收到村里的零报告"));
    }
    let incidents = county_report
        .iter()
        .filter(|r| r.township == hub_report.township)
        .filter_map(|r| r.incidents)
        .map(|i| u64::from(i.mass_incidents) + u64::from(i.criminal_conversions))
        .sum();
    if incidents == 0 {
        problems.push("县里的月报没有统计到镇中心登记的群体性事件".into());
    }
    let today = sanji_domain::time::cst_date(hub.operations.now_ms());
    let quarter = sanji_domain::report::Period::Quarter {
        year: 2000,
        quarter: 1,
    }
    .same_kind_at(today);
    let hotspots = sanji_node::hotspots::hotspots(&hub.store, quarter, today)?
        .rows
        .len() as u64;
    if hotspots == 0 {
        problems.push("镇中心的重点地区排查整治登记簿是空的".into());
    }
    let campaign_screenings = sanji_node::campaigns::campaigns(&hub.store, today)?
        .first()
        .map_or(0, |c| u64::from(c.tally.screenings));
    if campaign_screenings == 0 {
        problems.push("专项排查没有计入任何排查".into());
    }
    let center_screenings = sanji_node::views::screenings(&hub.store, "")?
        .iter()
        .filter(|s| s.by_center)
        .count() as u64;
    if center_screenings == 0 {
        problems.push("镇中心自己的排查没有登记上".into());
    }
    let assessment_at_county =
        sanji_node::assessment::filed(&county.store, hub.store.node(), &demo_half(today))?
            .map(|s| sanji_domain::assessment::points(s.total_tenths));
    if assessment_at_county.is_none() {
        problems.push("县里没有收到镇中心上报的自查评分".into());
    }
    let book = sanji_node::meetings::book(&hub.store, today)?;
    let meetings = book
        .meetings
        .iter()
        .filter(|m| {
            m.duties.iter().all(|d| {
                sanji_node::meetings::duties_for(&hub.store, d.subject.id, today)
                    .is_ok_and(|on_record| on_record.iter().any(|r| r.meeting == m.id))
            })
        })
        .count() as u64;
    let mut joint_cases = 0;
    hub.store
        .for_each_entity_of(sanji_domain::fold::EntityKind::Case, |e| {
            if let sanji_domain::EntityState::Case(file) = e.state
                && file.is_joint()
            {
                joint_cases += 1;
            }
            Ok(())
        })?;
    let mut screenings_controlled = 0;
    for station in stations {
        station
            .store()
            .for_each_entity_of(sanji_domain::fold::EntityKind::Screening, |e| {
                if let sanji_domain::EntityState::Screening(s) = e.state
                    && s.control.is_some()
                {
                    screenings_controlled += 1;
                }
                Ok(())
            })?;
    }
    if screenings_controlled == 0 {
        problems.push("村工作站没有收到镇中心落实的稳控责任".into());
    }
    if joint_cases == 0 {
        problems.push("镇中心没有联合调处(主办、协办)的案件".into());
    }
    if meetings == 0 {
        problems.push("镇中心的会议记录簿没有记录,或会上落实的责任没有显示在对应案件上".into());
    }
    Ok(DemoReport {
        zero_reports,
        incidents,
        meetings,
        hotspots,
        campaign_screenings,
        center_screenings,
        assessment_at_county,
        joint_cases,
        screenings_controlled,
        year_summary_received,
        register_numbered,
        notices_issued,
        notices_signed,
        attachments_at_hub,
        archive_numbered,
        reopened_after_archive,
        quiet_hub_addr: quiet_hub.addr.to_string(),
        cases_archived,
        urges_delivered,
        conflicts,
        case_numbers,
        county_report,
        visits_in_report,
        late_severe_flagged,
        dir: dir.display().to_string(),
        county_addr: county.addr.to_string(),
        hub_addr: hub.addr.to_string(),
        stations: report_stations,
        events_created: created,
        events_at_hub,
        screenings_created,
        severe_created,
        severe_at_county,
        screenings_in_county_summaries: counted,
        summaries_at_county: summaries.len() as u64,
        outbox_events,
        outbox_acked_by_county: outbox_acked,
        converged: problems.is_empty(),
        problems,
        consoles: DemoConsoles {
            hub: String::new(),
            county: String::new(),
        },
        accounts: Vec::new(),
    })
}

/// The half-year holding `day`: the period the demo's 自查评分 is for.
fn demo_half(day: chrono::NaiveDate) -> sanji_domain::report::Period {
    sanji_domain::report::Period::HalfYear {
        year: 2000,
        half: 1,
    }
    .same_kind_at(day)
}
