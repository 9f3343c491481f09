//! `sanji demo`: a whole county on loopback — fresh PKI, county 360123,
//! township hub 360123100, villages 201/202/203 — filled with sample records,
//! one village offline for a while, synced, and checked tier by tier.

use std::path::{Path, PathBuf};

use sanji_domain::record::RiskLevel;
use sanji_domain::time::cst_date;
use sanji_domain::{Code, EventBody, Level, Origin};
use serde::Serialize;

use crate::config::{NodeConfig, Role};
use crate::server::{self, RunningNode};
use crate::{NodeError, Station, samples, views};

pub const COUNTY: &str = "360123";
pub const TOWNSHIP: &str = "360123100";
pub const VILLAGES: &[(&str, &str, &str)] = &[
    ("360123100201", "东山村", "李红梅"),
    ("360123100202", "西岭村", "张建军"),
    ("360123100203", "南塘村", "王秀英"),
];
/// The village that starts the demo offline.
pub const OFFLINE_VILLAGE: &str = "360123100203";

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
    pub converged: bool,
    /// What did not converge, if anything, in words.
    pub problems: Vec<String>,
}

pub struct Demo {
    pub dir: PathBuf,
    pub county: RunningNode,
    pub hub: RunningNode,
    pub stations: Vec<Station>,
    pub report: DemoReport,
}

impl Demo {
    pub async fn stop(self) -> Result<(), NodeError> {
        drop(self.stations);
        self.hub.stop().await?;
        self.county.stop().await
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
    let ca_dir = dir.join("ca");
    let certs = dir.join("certs");
    let data = dir.join("data");
    sanji_pki::init_ca(&ca_dir, &code(COUNTY))?;
    for c in [COUNTY, TOWNSHIP]
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
    county_cfg.save(&config_path(dir, COUNTY))?;
    let county_store = server::open_store(&county_cfg)?;
    let county = server::start_with(county_cfg, county_store, county_incoming).await?;

    let mut hub_cfg = NodeConfig::new(
        Role::Hub,
        code(TOWNSHIP),
        data.join(TOWNSHIP),
        certs.clone(),
    );
    let hub_incoming = server::bind("127.0.0.1:0")?;
    let hub_addr = hub_incoming
        .local_addr()
        .map_err(|e| NodeError::Serve(e.to_string()))?
        .to_string();
    hub_cfg.listen = Some(hub_addr.clone());
    hub_cfg.parent_addr = Some(county_addr.clone());
    hub_cfg.save(&config_path(dir, TOWNSHIP))?;
    let hub_store = server::open_store(&hub_cfg)?;
    let hub = server::start_with(hub_cfg, hub_store, hub_incoming).await?;

    let mut stations = Vec::new();
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

    let report = check(dir, &county, &hub, &stations, offline_error)?;
    Ok(Demo {
        dir: dir.to_owned(),
        county,
        hub,
        stations,
        report,
    })
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
    stations: &[Station],
    offline_error: Option<String>,
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
    Ok(DemoReport {
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
    })
}
