//! The scenarios of `sanji bench`, each measured the way it happens in
//! production: durable acks, mTLS, the same engine.

use std::time::{Duration, Instant};

use sanji_domain::report::{Month, MonthlyReport, monthly_report};
use sanji_domain::time::cst_date;
use sanji_domain::{Digest, Event, EventBody, Hlc, Origin};
use sanji_store::{ApplyMode, Draft};
use sanji_sync::{Clock, Link};
use uuid::Uuid;

use crate::lab::{self, HubProcess, Lab, Ledger, code, village};
use crate::{BenchError, Options, Report};

pub const SCENARIOS: &[&str] = &[
    "raw",
    "backlog",
    "incremental",
    "fanin",
    "morning",
    "cold_start",
    "county_report",
    "pages",
];

pub async fn run(name: &str, opts: &Options, report: &mut Report) -> Result<(), BenchError> {
    let dir = opts.dir.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| BenchError::Other(e.to_string()))?;
    let lab = Lab::new(&dir)?;
    let events = |default: u64| opts.events.unwrap_or(default).max(1);
    let stations = |default: u64| opts.stations.unwrap_or(default).clamp(1, 998);
    match name {
        "raw" => raw(&lab, events(50_000), report),
        "backlog" => backlog(&lab, events(50_000), report).await,
        "incremental" => incremental(&lab, events(100_000), report).await,
        "fanin" => fanin(&lab, stations(20), events(1_000), report).await,
        "morning" => morning(&lab, &opts.exe, stations(500), events(200), report).await,
        "cold_start" => cold_start(&lab, &opts.exe, events(1_000_000), report).await,
        "county_report" => county_report(&lab, stations(30), report),
        "pages" => {
            let townships = opts.townships.unwrap_or(30).clamp(1, 899);
            pages(&lab, stations(30), events(5), report).await?;
            county_pages(&lab, townships, stations(30), events(5), report).await
        }
        _ => Err(BenchError::UnknownScenario(name.to_owned())),
    }
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Records the p50 and p95 of `runs` as `<name>_p50_ms` and `<name>_p95_ms`.
fn timed(report: &mut Report, name: &str, runs: Vec<Duration>) {
    let mut ms: Vec<f64> = runs.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    report.figure(&format!("{name}_p50_ms"), percentile(&ms, 0.5));
    report.figure(&format!("{name}_p95_ms"), percentile(&ms, 0.95));
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    if sorted_ms.is_empty() {
        return 0.0;
    }
    let i = ((sorted_ms.len() - 1) as f64 * p).round() as usize;
    sorted_ms[i]
}

/// The physical limit: the same batches, the same durable apply, no network.
fn raw(lab: &Lab, n: u64, report: &mut Report) -> Result<(), BenchError> {
    let store = lab.store("raw-hub", &code(lab::TOWNSHIP), 64)?;
    let mut ledger = Ledger::new(&village(0));
    let batches: Vec<Vec<Event>> = {
        let mut left = n;
        let mut out = Vec::new();
        while left > 0 {
            let k = left.min(sanji_sync::BATCH_EVENTS as u64) as usize;
            out.push(ledger.next(k));
            left -= k as u64;
        }
        out
    };
    // The same encoded events, one key each, into a bare engine tree: the
    // limit of the engine the design mandates, with nothing of ours on top.
    let records: Vec<(Vec<u8>, Vec<u8>)> = batches
        .iter()
        .flatten()
        .map(|e| {
            let mut key = e.origin.to_string().into_bytes();
            key.push(0);
            key.extend_from_slice(&e.seq.to_be_bytes());
            (key, serde_json::to_vec(e).expect("events serialise"))
        })
        .collect();
    let encoded: u64 = records.iter().map(|(_, v)| v.len() as u64).sum();
    let started = Instant::now();
    for batch in batches {
        store.apply(batch, ApplyMode::Chain)?;
    }
    report.figure("raw_store_events_per_s", per_second(n, started.elapsed()));
    report.size("raw_events", n);
    let bare_dir = store.path().with_file_name("raw-sled");
    let took = sanji_store::bare::durable_batches(&bare_dir, &records, sanji_sync::BATCH_EVENTS)?;
    report.figure("raw_sled_events_per_s", per_second(n, took));
    report.figure("encoded_bytes_per_event", encoded as f64 / n as f64);
    let held = sanji_store::bare::disk_bytes(store.path())?;
    report.figure("disk_bytes_per_event", held as f64 / n as f64);
    report.figure(
        "disk_to_encoded_ratio",
        held as f64 / (encoded as f64).max(1.0),
    );
    record_one(lab, report)
}

/// A clerk records one screening at a station: one append, made durable
/// before it returns (the station's store sealed, as in production).
fn record_one(lab: &Lab, report: &mut Report) -> Result<(), BenchError> {
    let v = village(0);
    let station = lab.station_store("record-station", &v, 64)?;
    let origin = Origin::node(v.clone());
    let mut runs = Vec::with_capacity(200);
    for i in 0..200 {
        let now = Clock::system().now_ms();
        let screening = sanji_demo::samples::screening(&v, i, cst_date(now), 0, "测试员");
        let draft = Draft {
            author: "测试员".into(),
            entity: Uuid::now_v7(),
            body: EventBody::ScreeningRecorded(screening),
        };
        let started = Instant::now();
        station.append_local(&origin, now, vec![draft])?;
        runs.push(started.elapsed());
    }
    let mut ms: Vec<f64> = runs.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    report.figure("station_record_p50_ms", percentile(&ms, 0.5));
    report.figure("station_record_p99_ms", percentile(&ms, 0.99));
    Ok(())
}

/// One station pushes a backlog to an in-process hub over mTLS.
async fn backlog(lab: &Lab, n: u64, report: &mut Report) -> Result<(), BenchError> {
    let hub = lab.hub("backlog-hub").await?;
    let v = village(0);
    let station = lab.station_store("backlog-station", &v, 64)?;
    let mut ledger = Ledger::new(&v);
    ledger.fill(&station, n)?;
    let link = Link::connect(&lab.upstream(&v, &hub.addr.to_string())?).await?;
    let started = Instant::now();
    let pushed = link.push(&station, &ledger.origin).await?;
    let elapsed = started.elapsed();
    if pushed.acked != n {
        return Err(BenchError::Other(format!(
            "只确认了 {} / {n}",
            pushed.acked
        )));
    }
    report.figure("backlog_events_per_s", per_second(n, elapsed));
    report.size("backlog_events", n);
    hub.stop().await?;
    Ok(())
}

/// p50/p99 of "add 100, sync" for an up-to-date station holding `held`
/// events, and how that cost grows from 1,000 held to `held`.
async fn incremental(lab: &Lab, held: u64, report: &mut Report) -> Result<(), BenchError> {
    let hub = lab.hub("incremental-hub").await?;
    let addr = hub.addr.to_string();
    let small = held.min(1_000);
    let mut p50 = Vec::new();
    for (i, size) in [small, held].into_iter().enumerate() {
        let v = village(i);
        let station = lab.station_store(&format!("incremental-{size}"), &v, 64)?;
        let mut ledger = Ledger::new(&v);
        ledger.fill(&station, size)?;
        let link = Link::connect(&lab.upstream(&v, &addr)?).await?;
        link.sync(&station, &ledger.origin, &v).await?;
        let mut times = Vec::new();
        for round in 0..40 {
            let today = cst_date(Clock::system().now_ms());
            let drafts = (0..100)
                .map(|k| Draft {
                    author: "测试员".into(),
                    entity: Uuid::now_v7(),
                    body: EventBody::ScreeningRecorded(sanji_demo::samples::screening(
                        &v,
                        k,
                        today,
                        0,
                        "测试员",
                    )),
                })
                .collect();
            station.append_local(&ledger.origin, Clock::system().now_ms(), drafts)?;
            let started = Instant::now();
            let sync = link.sync(&station, &ledger.origin, &v).await?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            if !sync.all_acked() {
                return Err(BenchError::Other("增量同步未全部确认".into()));
            }
            if round >= 5 {
                times.push(ms);
            }
        }
        times.sort_by(f64::total_cmp);
        if size == held {
            report.figure("incremental_100_p50_ms", percentile(&times, 0.5));
            report.figure("incremental_100_p99_ms", percentile(&times, 0.99));
        }
        p50.push(percentile(&times, 0.5));
    }
    report.figure(
        "incremental_cost_ratio_100k_vs_1k",
        p50[1] / p50[0].max(1e-9),
    );
    report.size("incremental_held_small", small);
    report.size("incremental_held_large", held);
    hub.stop().await?;
    Ok(())
}

/// `n` stations push `each` events at the same moment.
async fn fanin(lab: &Lab, n: u64, each: u64, report: &mut Report) -> Result<(), BenchError> {
    let hub = lab.hub("fanin-hub").await?;
    let addr = hub.addr.to_string();
    let mut ready = Vec::new();
    for i in 0..n as usize {
        let v = village(i);
        let store = lab.station_store(&format!("fanin-{i}"), &v, 4)?;
        let mut ledger = Ledger::new(&v);
        ledger.fill(&store, each)?;
        let link = Link::connect(&lab.upstream(&v, &addr)?).await?;
        ready.push((store, ledger.origin, link));
    }
    let started = Instant::now();
    let pushes = ready
        .iter()
        .map(|(store, origin, link)| link.push(store, origin));
    let results = futures::future::join_all(pushes).await;
    let elapsed = started.elapsed();
    for r in results {
        r?;
    }
    report.figure("fanin_20x1000_events_per_s", per_second(n * each, elapsed));
    report.size("fanin_stations", n);
    report.size("fanin_events_each", each);
    hub.stop().await?;
    Ok(())
}

/// A county's morning: `n` stations sync `each` events at once against a hub
/// in its own process, whose peak memory is read from /proc.
async fn morning(
    lab: &Lab,
    exe: &std::path::Path,
    n: u64,
    each: u64,
    report: &mut Report,
) -> Result<(), BenchError> {
    let (hub, _) = HubProcess::start(exe, lab, "morning-hub").await?;
    let mut ready = Vec::new();
    for i in 0..n as usize {
        let v = village(i);
        let store = lab.station_store(&format!("morning-{i}"), &v, 1)?;
        let mut ledger = Ledger::new(&v);
        ledger.fill(&store, each)?;
        ready.push((store, ledger.origin, lab.upstream(&v, &hub.addr)?));
    }
    let started = Instant::now();
    let syncs = ready.iter().map(|(store, origin, upstream)| async move {
        let link = Link::connect(upstream).await?;
        link.sync(store, origin, origin.code()).await
    });
    let results = futures::future::join_all(syncs).await;
    let elapsed = started.elapsed();
    let errors = results
        .iter()
        .filter(|r| !matches!(r, Ok(s) if s.all_acked()))
        .count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        tracing::warn!(error = %e, "a station's sync failed");
    }
    report.figure(
        "county_morning_500x200_wall_ms",
        elapsed.as_secs_f64() * 1000.0,
    );
    report.figure("county_morning_500x200_errors", errors as f64);
    report.figure(
        "county_morning_500x200_events_per_s",
        per_second(n * each, elapsed),
    );
    if let Some(rss) = hub.peak_rss_mb() {
        report.figure("hub_peak_rss_mb", rss);
    }
    report.size("morning_stations", n);
    report.size("morning_events_each", each);
    hub.stop();
    Ok(())
}

/// Time from starting the hub process to its first SERVING health answer,
/// with `n` events already in its store.
async fn cold_start(
    lab: &Lab,
    exe: &std::path::Path,
    n: u64,
    report: &mut Report,
) -> Result<(), BenchError> {
    {
        let store = lab.store("cold-hub", &code(lab::TOWNSHIP), 64)?;
        let villages = 100.min(n as usize).max(1);
        let each = n / villages as u64;
        for i in 0..villages {
            let count = if i + 1 == villages {
                n - each * (villages as u64 - 1)
            } else {
                each
            };
            Ledger::new(&village(i)).fill(&store, count)?;
        }
    }
    let (hub, elapsed) = HubProcess::start(exe, lab, "cold-hub").await?;
    report.figure("hub_cold_start_1m_ms", elapsed.as_secs_f64() * 1000.0);
    report.size("cold_start_events", n);
    hub.stop();
    Ok(())
}

/// The county's monthly table over `n` townships' filed reports.
fn county_report(lab: &Lab, n: u64, report: &mut Report) -> Result<(), BenchError> {
    let county = lab.store("county", &code(lab::COUNTY), 64)?;
    let now = Clock::system().now_ms();
    let month = Month::of(cst_date(now));
    for t in 0..n {
        let township = code(&format!("{}{:03}", lab::COUNTY, 101 + t));
        let filed = monthly_report(
            &township,
            month,
            &[],
            &[],
            &Default::default(),
            cst_date(now),
            1,
        );
        let event = Event {
            id: Uuid::now_v7(),
            origin: Origin::outbox(township.clone()),
            seq: 1,
            hlc: Hlc::new(now, 0),
            author: "系统汇总".into(),
            entity: MonthlyReport::entity_id(&township, month),
            body: EventBody::MonthlyReportFiled(filed),
            prev_hash: Digest::GENESIS,
            hash_rule: sanji_domain::HashRule::CURRENT,
        };
        county.apply(vec![event], ApplyMode::Chain)?;
    }
    let mut times = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let table = sanji_node::views::county_reports(&county, month)?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if table.rows.len() as u64 != n {
            return Err(BenchError::Other(format!(
                "月报表只有 {} 行,应有 {n} 行",
                table.rows.len()
            )));
        }
    }
    times.sort_by(f64::total_cmp);
    report.figure("county_report_30_townships_ms", percentile(&times, 0.5));
    report.size("county_report_townships", n);
    Ok(())
}

/// The reads behind the hub's busiest pages on five years of one township:
/// about 3,000 screenings, 1,500 visits and 400 cases a year from `villages`
/// villages, every case but the last few dozen carried to its archive.
/// `years` is `--events` (default 5). Figures are the operator layer's time
/// per page (what the console reads for it; rendering is not included).
async fn pages(
    lab: &Lab,
    villages: u64,
    years: u64,
    report: &mut Report,
) -> Result<(), BenchError> {
    use sanji_domain::case::{ActorRole, Assignee, CaseAction, CaseStep, Outcome};
    use sanji_node::ops::{Operations, Query};
    let hub_code = code(lab::TOWNSHIP);
    let hub = lab.store("pages-hub", &hub_code, 64)?;
    let now = Clock::system().now_ms();
    let today = cst_date(now);
    let per_year = |total: u64| (total / villages.max(1)).max(1) as usize;
    let (screenings, visits, cases) = (per_year(3_000), per_year(1_500), per_year(400));
    let started = Instant::now();
    let mut registered: Vec<(Uuid, sanji_domain::Code, chrono::NaiveDate)> = Vec::new();
    // Village ledgers start well in the past of the hub's, which follows them.
    let base = now - 86_400_000;
    let mut last_clock = base;
    let mut records = 0u64;
    for v in 0..villages as usize {
        let village = village(v);
        let mut ledger = Ledger::of(Origin::node(village.clone()), base + v as u64 * 10_000_000);
        let mut bodies: Vec<(Uuid, EventBody)> = Vec::new();
        for year in 0..years as usize {
            for i in 0..screenings {
                let ago = (year * 365 + i * 365 / screenings) as u64;
                let s = sanji_demo::samples::screening(&village, i, today, ago, "测试员");
                bodies.push((Uuid::now_v7(), EventBody::ScreeningRecorded(s)));
            }
            for i in 0..visits {
                let ago = (year * 365 + i * 365 / visits) as u64;
                let mut visit = sanji_demo::samples::visit(&village, today, "测试员");
                visit.visited_on = today - chrono::Days::new(ago);
                bodies.push((Uuid::now_v7(), EventBody::VisitRecorded(visit)));
            }
            for i in 0..cases {
                let ago = (year * 365 + i * 365 / cases) as u64;
                let on = today - chrono::Days::new(ago);
                let id = Uuid::now_v7();
                bodies.push((
                    id,
                    EventBody::CaseRegistered(sanji_demo::samples::case(&village, on, "测试员")),
                ));
                registered.push((id, village.clone(), on));
            }
        }
        records += bodies.len() as u64;
        for chunk in ledger.next_with(bodies).chunks(1000) {
            hub.apply(chunk.to_vec(), ApplyMode::Chain)?;
        }
        last_clock = last_clock.max(ledger.clock_ms());
    }
    // The hub carries every case older than sixty days through its life.
    let mut hub_ledger = Ledger::of(Origin::node(hub_code.clone()), last_clock);
    let step = |role: ActorRole, step: CaseStep| EventBody::CaseStepped(CaseAction { role, step });
    let mut steps: Vec<(Uuid, EventBody)> = Vec::new();
    let mut number = 0;
    let old = today - chrono::Days::new(60);
    for (id, village, _) in registered.iter().filter(|(_, _, on)| *on < old) {
        number += 1;
        let deadline = today + chrono::Days::new(60);
        let note = |t: &str| t.to_owned();
        for body in [
            step(
                ActorRole::Operator,
                CaseStep::Accept {
                    case_number: format!("{hub_code}-{}-{number:04}", today.format("%Y")),
                    resolve_deadline: deadline,
                },
            ),
            step(
                ActorRole::Director,
                CaseStep::Assign {
                    assignee: Assignee::Village {
                        code: village.clone(),
                    },
                    person: "测试员".into(),
                    deadline,
                },
            ),
            step(
                ActorRole::Operator,
                CaseStep::Resolve {
                    outcome: Outcome::Agreement,
                    kind: None,
                    summary: note("调解成功"),
                },
            ),
            step(
                ActorRole::Operator,
                CaseStep::Feedback {
                    note: note("已反馈"),
                },
            ),
            step(
                ActorRole::Operator,
                CaseStep::FollowUp {
                    recurred: false,
                    satisfied: true,
                    petitioned: false,
                    skip_level: false,
                    note: String::new(),
                },
            ),
            step(
                ActorRole::Operator,
                CaseStep::Archive {
                    note: String::new(),
                },
            ),
        ] {
            steps.push((*id, body));
        }
    }
    records += steps.len() as u64;
    for chunk in hub_ledger.next_with(steps).chunks(1000) {
        hub.apply(chunk.to_vec(), ApplyMode::Chain)?;
    }
    report.figure("pages_fill_s", started.elapsed().as_secs_f64());
    report.size("pages_records", records);
    report.size("pages_cases", registered.len() as u64);

    let operations = Operations::new(hub.clone(), Default::default(), Clock::system());
    let month = Month::of(today).to_string();
    let probe = format!("{:04}", number / 2);
    const RUNS: usize = 20;
    let mut todo = Vec::new();
    let mut search = Vec::new();
    let mut file = Vec::new();
    let mut month_report = Vec::new();
    for _ in 0..RUNS {
        // What `pages/today.rs` asks for.
        let t = Instant::now();
        operations.query(Query::Due).await?;
        operations.query(Query::OpenCases).await?;
        operations.query(Query::Stations).await?;
        todo.push(t.elapsed());
        // What `pages/cases.rs` asks for when a party's name is typed in the search box.
        let t = Instant::now();
        let filter = sanji_node::views::CaseFilter {
            text: Some("吴春生".into()),
            limit: Some(500),
            ..Default::default()
        };
        let hits: sanji_node::views::CaseHits =
            serde_json::from_value(operations.query(Query::CaseSearch { filter }).await?)
                .map_err(|e| BenchError::Other(e.to_string()))?;
        let found = hits.total;
        search.push(t.elapsed());
        if found == 0 {
            return Err(BenchError::Other("案件查询没有找到样例当事人".into()));
        }
        let t = Instant::now();
        operations
            .query(Query::Case {
                case: probe.clone(),
            })
            .await?;
        file.push(t.elapsed());
        let t = Instant::now();
        operations
            .query(Query::Report {
                month: month.clone(),
            })
            .await?;
        month_report.push(t.elapsed());
    }
    timed(report, "hub_todo", todo);
    timed(report, "hub_case_search", search);
    timed(report, "hub_case_file", file);
    timed(report, "hub_month_report", month_report);
    Ok(())
}

/// The county's pages on `years` of `townships` townships of `villages`
/// villages each, filled as their forwarders would have filed it: every
/// village's daily summary (zeros included), a severe screening reported
/// now and then, and each month's report. Times the month table
/// (`Query::Reports`) and the severe items (`Query::Severe`), and, for
/// comparison, the month table read the way it was before the query index
/// (every filed report of every month, by kind).
async fn county_pages(
    lab: &Lab,
    townships: u64,
    villages: u64,
    years: u64,
    report: &mut Report,
) -> Result<(), BenchError> {
    use sanji_domain::DailySummary;
    use sanji_node::ops::{Operations, Query};
    let county = lab.store("pages-county", &code(lab::COUNTY), 64)?;
    let now = Clock::system().now_ms();
    let today = cst_date(now);
    let days = years * 365;
    let policy = Default::default();
    let started = Instant::now();
    let (mut summaries, mut severe, mut filed) = (0u64, 0u64, 0u64);
    for t in 0..townships {
        let township = code(&format!("{}{:03}", lab::COUNTY, 101 + t));
        // Stamped today: what is dated is the summaries' days, not the events.
        let mut ledger = Ledger::of(Origin::outbox(township.clone()), now - 3_600_000);
        let mut bodies: Vec<(Uuid, EventBody)> = Vec::new();
        for ago in (0..days).rev() {
            let date = today - chrono::Days::new(ago);
            for v in 0..villages {
                let village = code(&format!("{township}{:03}", 201 + v));
                let screened: Vec<sanji_domain::record::Screening> = (0..(ago + v) % 3)
                    .map(|i| {
                        sanji_demo::samples::screening(&village, i as usize, today, ago, "测试员")
                    })
                    .collect();
                bodies.push((
                    DailySummary::entity_id(&village, date),
                    EventBody::ScreeningSummary(DailySummary::compute(
                        &village,
                        date,
                        screened.iter(),
                        1,
                    )),
                ));
                summaries += 1;
            }
            if (ago + t) % 15 == 0 {
                let village = code(&format!("{township}201"));
                let mut screening =
                    sanji_demo::samples::screening(&village, 0, today, ago, "测试员");
                screening.risk = sanji_domain::record::RiskLevel::Severe;
                bodies.push((
                    Uuid::now_v7(),
                    EventBody::SevereScreeningReported(sanji_domain::SevereScreeningReport {
                        screening,
                        source: sanji_domain::EventRef {
                            origin: Origin::node(village),
                            seq: ago + 1,
                        },
                        recorded_at: Hlc::new(now - 7_200_000, 0),
                    }),
                ));
                severe += 1;
            }
            let month = Month::of(date);
            if date == month.last_day() || ago == 0 {
                bodies.push((
                    MonthlyReport::entity_id(&township, month),
                    EventBody::MonthlyReportFiled(monthly_report(
                        &township,
                        month,
                        &[],
                        &[],
                        &policy,
                        date,
                        1,
                    )),
                ));
                filed += 1;
            }
            if bodies.len() >= 1000 || ago == 0 {
                county.apply(
                    ledger.next_with(std::mem::take(&mut bodies)),
                    ApplyMode::Chain,
                )?;
            }
        }
    }
    report.figure("county_pages_fill_s", started.elapsed().as_secs_f64());
    report.size("county_pages_townships", townships);
    report.size("county_pages_summaries", summaries);
    report.size("county_pages_severe", severe);
    report.size("county_pages_monthly_reports", filed);

    let operations = Operations::new(county.clone(), Default::default(), Clock::system());
    let month = Month::of(today);
    const RUNS: usize = 20;
    let (mut table, mut by_kind, mut severe_items) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        let rows: sanji_node::views::CountyReport = serde_json::from_value(
            operations
                .query(Query::Reports {
                    month: month.to_string(),
                })
                .await?,
        )
        .map_err(|e| BenchError::Other(e.to_string()))?;
        table.push(t.elapsed());
        if rows.rows.len() as u64 != townships {
            return Err(BenchError::Other(format!(
                "月报表只有 {} 行,应有 {townships} 行",
                rows.rows.len()
            )));
        }
        let t = Instant::now();
        let mut reports = 0usize;
        county.for_each_entity_of(sanji_domain::fold::EntityKind::MonthlyReport, |e| {
            if matches!(&e.state, sanji_domain::EntityState::MonthlyReport(r) if r.month == month) {
                reports += 1;
            }
            Ok(())
        })?;
        by_kind.push(t.elapsed());
        if reports as u64 != townships {
            return Err(BenchError::Other(format!("按类别只读到 {reports} 份月报")));
        }
        let t = Instant::now();
        operations
            .query(Query::Severe {
                village: None,
                since: None,
            })
            .await?;
        severe_items.push(t.elapsed());
    }
    timed(report, "county_month_table", table);
    timed(report, "county_month_table_by_kind", by_kind);
    timed(report, "county_severe", severe_items);
    Ok(())
}
