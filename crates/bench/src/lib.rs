//! sanji-bench: what `sanji bench` measures, on loopback, with real mTLS,
//! real durable sled stores and the one replication engine — never a mock.
//! Figures are printed, never asserted: targets are compared and reported.
//!
//! Must not depend on: the CLI. Nothing here is used by a running node.

mod lab;
mod scenarios;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

pub use scenarios::SCENARIOS;

#[derive(Debug, Clone)]
pub struct Options {
    /// Scratch space; every scenario makes its own folders inside.
    pub dir: PathBuf,
    /// The `sanji` binary, for scenarios that run the hub as its own process.
    pub exe: PathBuf,
    /// Run only this scenario (`raw`, `backlog`, `incremental`, `fanin`, `morning`, `cold_start`, `county_report`).
    pub scenario: Option<String>,
    /// Scale event counts down (e.g. for a smoke test).
    pub events: Option<u64>,
    /// Scale station counts down.
    pub stations: Option<u64>,
    /// How many townships the county of `pages` holds (30 by default).
    pub townships: Option<u64>,
}

/// One figure against its target.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub figure: String,
    pub value: f64,
    pub target: String,
    pub met: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Every figure measured, by name.
    #[serde(flatten)]
    pub figures: BTreeMap<String, f64>,
    /// The scale each scenario ran at, so figures are read with their sizes.
    pub sizes: BTreeMap<String, u64>,
    pub targets: Vec<Check>,
}

impl Report {
    fn figure(&mut self, name: &str, value: f64) {
        tracing::info!(name, value, "figure");
        self.figures.insert(name.to_owned(), value);
    }

    fn size(&mut self, name: &str, value: u64) {
        self.sizes.insert(name.to_owned(), value);
    }

    /// Compares the figures with the targets of the issue that set them.
    fn check_targets(&mut self) {
        let f = |name: &str| self.figures.get(name).copied();
        let mut checks = Vec::new();
        let mut at_least = |figure: &str, value: Option<f64>, min: f64, target: &str| {
            if let Some(v) = value {
                checks.push(Check {
                    figure: figure.into(),
                    value: v,
                    target: target.into(),
                    met: v >= min,
                });
            }
        };
        at_least(
            "ratio_backlog_to_raw",
            f("ratio_backlog_to_raw"),
            0.5,
            ">= 0.5",
        );
        let fanin = f("fanin_20x1000_events_per_s")
            .zip(f("raw_store_events_per_s"))
            .map(|(a, b)| a / b);
        at_least("fanin_to_raw", fanin, 0.5, ">= 0.5 of raw");
        at_least(
            "ratio_backlog_to_raw_sled",
            f("ratio_backlog_to_raw_sled"),
            0.5,
            ">= 0.5 of a bare sled tree",
        );
        let mut at_most = |figure: &str, value: Option<f64>, max: f64, target: &str| {
            if let Some(v) = value {
                checks.push(Check {
                    figure: figure.into(),
                    value: v,
                    target: target.into(),
                    met: v <= max,
                });
            }
        };
        at_most(
            "station_record_p50_ms",
            f("station_record_p50_ms"),
            5.0,
            "<= 5 ms",
        );
        at_most(
            "disk_to_encoded_ratio",
            f("disk_to_encoded_ratio"),
            2.0,
            "<= 2",
        );
        at_most(
            "incremental_100_p50_ms",
            f("incremental_100_p50_ms"),
            3.0,
            "<= 3 ms",
        );
        at_most(
            "incremental_cost_ratio_100k_vs_1k",
            f("incremental_cost_ratio_100k_vs_1k"),
            1.5,
            "<= 1.5",
        );
        at_most(
            "county_morning_500x200_errors",
            f("county_morning_500x200_errors"),
            0.0,
            "= 0",
        );
        at_most("hub_peak_rss_mb", f("hub_peak_rss_mb"), 150.0, "<= 150 MB");
        at_most(
            "hub_cold_start_1m_ms",
            f("hub_cold_start_1m_ms"),
            2000.0,
            "<= 2000 ms",
        );
        for page in [
            "hub_todo_p95_ms",
            "hub_case_search_p95_ms",
            "hub_case_file_p95_ms",
            "hub_month_report_p95_ms",
        ] {
            at_most(page, f(page), 100.0, "<= 100 ms");
        }
        at_most(
            "county_month_table_p95_ms",
            f("county_month_table_p95_ms"),
            200.0,
            "<= 200 ms",
        );
        at_most(
            "county_report_30_townships_ms",
            f("county_report_30_townships_ms"),
            50.0,
            "<= 50 ms",
        );
        self.targets = checks;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("未知场景 {0:?};可选:{list}", list = SCENARIOS.join("、"))]
    UnknownScenario(String),
    #[error("{0}")]
    Node(#[from] sanji_node::NodeError),
    #[error("{0}")]
    Store(#[from] sanji_store::StoreError),
    #[error("{0}")]
    Sync(#[from] sanji_sync::SyncError),
    #[error("{0}")]
    Pki(#[from] sanji_pki::PkiError),
    #[error("{0}")]
    Other(String),
}

/// Runs the chosen scenarios (all by default) and compares with the targets.
pub async fn run(opts: &Options) -> Result<Report, BenchError> {
    if let Some(name) = &opts.scenario
        && !SCENARIOS.contains(&name.as_str())
    {
        return Err(BenchError::UnknownScenario(name.clone()));
    }
    sanji_sync::tls::install_crypto();
    let mut report = Report::default();
    for name in SCENARIOS {
        if opts.scenario.as_deref().is_some_and(|s| s != *name) {
            continue;
        }
        tracing::info!(scenario = name, "running");
        scenarios::run(name, opts, &mut report).await?;
    }
    if let (Some(backlog), Some(raw)) = (
        report.figures.get("backlog_events_per_s"),
        report.figures.get("raw_store_events_per_s"),
    ) {
        let ratio = backlog / raw;
        report.figure("ratio_backlog_to_raw", ratio);
    }
    if let (Some(backlog), Some(engine)) = (
        report.figures.get("backlog_events_per_s"),
        report.figures.get("raw_sled_events_per_s"),
    ) {
        let ratio = backlog / engine;
        report.figure("ratio_backlog_to_raw_sled", ratio);
    }
    report.check_targets();
    Ok(report)
}
