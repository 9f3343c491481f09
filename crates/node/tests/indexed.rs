//! Every query answered through the store's indexes gives exactly what a
//! pass over every record gives, on a varied ledger: a year and a half of a
//! township's cases in every state (some refused, some open past their
//! deadlines, escalated, urged, resolved late, followed up with petitions,
//! with conflicts), screenings of three villages, severe ones reported, and
//! the outbox's summaries and monthly reports. Real sled stores; the village
//! ledgers reach the hub as a push would bring them.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use sanji_domain::case::{ActorRole, Assignee, CaseAction, CaseStatus, CaseStep, Outcome};
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::fold::{EntityKind, EntityState};
use sanji_domain::index::CaseCard;
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening, Visit, VisitChannel,
};
use sanji_domain::report::{CaseRef, Month, MonthlyReport, Period, monthly_report, rewards};
use sanji_domain::{Code, DailySummary, EventBody, Labelled, Origin, SevereScreeningReport};
use sanji_node::reports;
use sanji_node::tracker::{self, Tracked};
use sanji_node::views::{self, CaseFilter, CaseSort, ViewContext};
use sanji_store::{ApplyMode, Draft, Store, StoreOptions};
use uuid::Uuid;

const TOWNSHIP: &str = "360123100";
const VILLAGES: [&str; 3] = ["360123100201", "360123100202", "360123100203"];
const PARTIES: [&str; 5] = ["王五", "赵六", "刘七", "欧阳秀英", "陈大山"];
const DAY_MS: u64 = 86_400_000;
/// 2025-06-01 09:00 CST.
const START_MS: u64 = 1_748_739_600_000;
const DAYS: u64 = 540;

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

/// A small deterministic generator: the ledger is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn on(ms: u64) -> NaiveDate {
    sanji_domain::time::cst_date(ms)
}

struct World {
    _dirs: Vec<tempfile::TempDir>,
    hub: Store,
    today: NaiveDate,
    now_ms: u64,
}

fn open(node: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &code(node), StoreOptions::default()).unwrap();
    (dir, store)
}

/// What a case does next, on which day.
struct Plan {
    id: Uuid,
    next_day: u64,
    stage: u32,
    /// Stops after this stage: cases are left in every state.
    last_stage: u32,
    village: Code,
}

fn build() -> World {
    let policy = DeadlinePolicy::default();
    let mut rng = Rng(7);
    let (hub_dir, hub) = open(TOWNSHIP);
    let mut dirs = vec![hub_dir];
    let villages: Vec<(Code, Store)> = VILLAGES
        .iter()
        .map(|v| {
            let (dir, store) = open(v);
            dirs.push(dir);
            (code(v), store)
        })
        .collect();
    let hub_ledger = Origin::node(code(TOWNSHIP));
    let outbox = Origin::outbox(code(TOWNSHIP));
    let mut plans: Vec<Plan> = Vec::new();
    let mut numbers: BTreeMap<i32, u32> = BTreeMap::new();
    let mut by_day: BTreeMap<(Code, NaiveDate), Vec<Screening>> = BTreeMap::new();
    let mut filed: BTreeMap<Month, u32> = BTreeMap::new();
    let step = |id: Uuid, role: ActorRole, step: CaseStep| Draft {
        author: "陈静".into(),
        entity: id,
        body: EventBody::CaseStepped(CaseAction { role, step }),
    };
    for d in 0..DAYS {
        let now = START_MS + d * DAY_MS;
        let today = on(now);
        // The villages' screenings, pushed to the hub; severe ones reported by the outbox.
        let mut outgoing = Vec::new();
        // Recorded by the village's clerk and pushed to the hub at once.
        let recorded_at_village = |store: &Store, village: &Code, now: u64, body: EventBody| {
            let written = store
                .append_local(
                    &Origin::node(village.clone()),
                    now,
                    vec![Draft {
                        author: "李明".into(),
                        entity: Uuid::now_v7(),
                        body,
                    }],
                )
                .unwrap();
            hub.apply(written.clone(), ApplyMode::Chain).unwrap();
            written
        };
        for (village, store) in &villages {
            // A visit now and then, some answered on the spot: the month's
            // report counts them from the visit index.
            if rng.chance(15) {
                let channel = VisitChannel::ALL[rng.below(3) as usize];
                let visit = Visit {
                    received_at: village.clone(),
                    visited_on: today,
                    channel,
                    visitor: Party {
                        name: PARTIES[rng.below(5) as usize].into(),
                        contact: None,
                    },
                    people_count: 1 + rng.below(4) as u32,
                    category: Category::ALL[rng.below(Category::ALL.len() as u64) as usize],
                    summary: "反映邻里纠纷".into(),
                    receiver: "李明".into(),
                    answer: rng.chance(50).then(|| "已当场解释政策".into()),
                };
                recorded_at_village(store, village, now, EventBody::VisitRecorded(visit));
            }
            if !rng.chance(40) {
                continue;
            }
            let risk = match rng.below(10) {
                0 => RiskLevel::Severe,
                1 | 2 => RiskLevel::Major,
                _ => RiskLevel::General,
            };
            let screening = Screening {
                village: village.clone(),
                screened_on: today - Days::new(rng.below(2)),
                screener: "李明".into(),
                category: Category::ALL[rng.below(Category::ALL.len() as u64) as usize],
                parties: vec![Party {
                    name: PARTIES[rng.below(5) as usize].into(),
                    contact: None,
                }],
                people_involved: 1 + rng.below(30) as u32,
                risk,
                may_escalate: risk != RiskLevel::General,
                mass_incident_risk: rng.chance(5),
                description: "地界纠纷".into(),
                measures: "已约双方调解".into(),
                line: None,
            };
            let written = recorded_at_village(
                store,
                village,
                now,
                EventBody::ScreeningRecorded(screening.clone()),
            );
            let event = &written[0];
            by_day
                .entry((village.clone(), screening.screened_on))
                .or_default()
                .push(screening.clone());
            let day_screenings = &by_day[&(village.clone(), screening.screened_on)];
            outgoing.push(Draft {
                author: "系统汇总".into(),
                entity: DailySummary::entity_id(village, screening.screened_on),
                body: EventBody::ScreeningSummary(DailySummary::compute(
                    village,
                    screening.screened_on,
                    day_screenings.iter(),
                    day_screenings.len() as u32,
                )),
            });
            if screening.is_severe() {
                outgoing.push(Draft {
                    author: "系统汇总".into(),
                    entity: event.entity,
                    body: EventBody::SevereScreeningReported(SevereScreeningReport {
                        screening,
                        source: event.event_ref(),
                        recorded_at: event.hlc,
                    }),
                });
            }
        }

        // New cases at the hub's window, and the next step of cases under way.
        let mut drafts = Vec::new();
        for _ in 0..rng.below(3) {
            let id = Uuid::now_v7();
            let village = code(VILLAGES[rng.below(3) as usize]);
            drafts.push(Draft {
                author: "陈静".into(),
                entity: id,
                body: EventBody::CaseRegistered(CaseRegistration {
                    place: village.clone(),
                    registered_on: today - Days::new(rng.below(3)),
                    source: CaseSource::ALL[rng.below(CaseSource::ALL.len() as u64) as usize],
                    category: Category::ALL[rng.below(Category::ALL.len() as u64) as usize],
                    parties: vec![Party {
                        name: PARTIES[rng.below(5) as usize].into(),
                        contact: None,
                    }],
                    people_involved: 1,
                    claim: format!("诉求 {d}"),
                    first_receiver: "陈静".into(),
                    first_unit: "镇综治中心".into(),
                    complex: rng.chance(20),
                    from_record: None,
                }),
            });
            plans.push(Plan {
                id,
                next_day: d + 1 + rng.below(20),
                stage: 0,
                last_stage: rng.below(9) as u32,
                village,
            });
        }
        for plan in plans.iter_mut().filter(|p| p.next_day == d) {
            let id = plan.id;
            let deadline = policy.resolve_deadline(today);
            let body = match plan.stage {
                0 if rng.chance(10) => step(
                    id,
                    ActorRole::Operator,
                    CaseStep::NotAccept {
                        reason: "不属于受理范围".into(),
                    },
                ),
                0 => {
                    let year = today.format("%Y").to_string().parse().unwrap();
                    let n = numbers.entry(year).or_default();
                    *n += 1;
                    step(
                        id,
                        ActorRole::Operator,
                        CaseStep::Accept {
                            case_number: format!("{TOWNSHIP}-{year}-{n:04}"),
                            resolve_deadline: deadline,
                        },
                    )
                }
                1 => step(
                    id,
                    ActorRole::Operator,
                    CaseStep::Assign {
                        assignee: if rng.chance(50) {
                            Assignee::Village {
                                code: plan.village.clone(),
                            }
                        } else {
                            Assignee::Unit {
                                name: ["司法所", "派出所"][rng.below(2) as usize].into(),
                            }
                        },
                        person: "张华".into(),
                        deadline,
                    },
                ),
                2 => step(id, ActorRole::Director, CaseStep::Approve),
                3 if rng.chance(30) => step(
                    id,
                    ActorRole::Operator,
                    CaseStep::Escalate {
                        reason: "涉及多个村".into(),
                    },
                ),
                3 => step(
                    id,
                    ActorRole::Operator,
                    CaseStep::Urge {
                        note: "请抓紧办理".into(),
                        automatic: false,
                        about: None,
                    },
                ),
                4 => step(
                    id,
                    ActorRole::Operator,
                    CaseStep::Resolve {
                        outcome: [Outcome::Agreement, Outcome::Litigation, Outcome::Withdrawn]
                            [rng.below(3) as usize],
                        kind: None,
                        summary: "已调处".into(),
                    },
                ),
                5 => step(
                    id,
                    ActorRole::Operator,
                    CaseStep::Feedback {
                        note: "已反馈".into(),
                    },
                ),
                6 => step(
                    id,
                    ActorRole::Operator,
                    CaseStep::FollowUp {
                        recurred: rng.chance(10),
                        satisfied: rng.chance(80),
                        petitioned: rng.chance(15),
                        skip_level: rng.chance(10),
                        note: String::new(),
                    },
                ),
                7 => step(
                    id,
                    ActorRole::Operator,
                    CaseStep::Archive {
                        note: String::new(),
                    },
                ),
                // A step the file does not allow: kept as a conflict.
                _ => step(id, ActorRole::Director, CaseStep::Approve),
            };
            drafts.push(body);
            plan.stage += 1;
            plan.next_day = if plan.stage > plan.last_stage {
                u64::MAX
            } else {
                d + 1 + rng.below(if plan.stage == 4 { 90 } else { 15 })
            };
        }
        if !drafts.is_empty() {
            hub.append_local(&hub_ledger, now, drafts).unwrap();
        }

        // The outbox files this month's report now and then, as the forwarder would.
        if d % 10 == 0 {
            let month = Month::of(today);
            let ledger = reports::ledger_for_reports(&hub, None).unwrap();
            let refs: Vec<CaseRef<'_>> = ledger
                .cases
                .iter()
                .map(|(id, file)| CaseRef { id: *id, file })
                .collect();
            let screening_refs: Vec<&Screening> = ledger.screenings.iter().collect();
            let revision = filed.entry(month).or_default();
            *revision += 1;
            let report = monthly_report(
                &code(TOWNSHIP),
                month,
                &refs,
                &screening_refs,
                &policy,
                today,
                *revision,
            );
            outgoing.push(Draft {
                author: "系统汇总".into(),
                entity: MonthlyReport::entity_id(&code(TOWNSHIP), month),
                body: EventBody::MonthlyReportFiled(report),
            });
        }
        if !outgoing.is_empty() {
            hub.append_local(&outbox, now, outgoing).unwrap();
        }
    }
    let now_ms = START_MS + DAYS * DAY_MS;
    World {
        _dirs: dirs,
        hub,
        today: on(now_ms),
        now_ms,
    }
}

fn months(world: &World) -> Vec<Month> {
    let mut month = Month::of(on(START_MS));
    let mut all = Vec::new();
    while month <= Month::of(world.today) {
        all.push(month);
        month = month.next();
    }
    all
}

fn all_cards(store: &Store) -> Vec<CaseCard> {
    store
        .entities_of(EntityKind::Case)
        .unwrap()
        .iter()
        .filter_map(CaseCard::of)
        .collect()
}

/// The report of a month from every case file and every screening held.
fn full_scan_report(store: &Store, month: Month, as_of: NaiveDate) -> MonthlyReport {
    let ledger = reports::ledger_for_reports(store, None).unwrap();
    reports::township_report(
        store,
        &ledger,
        month,
        &DeadlinePolicy::default(),
        noon_ms(as_of),
    )
    .unwrap()
}

/// Noon of `day` in China Standard Time, as Unix ms.
fn noon_ms(day: NaiveDate) -> u64 {
    let noon = day.and_hms_opt(12, 0, 0).unwrap();
    (noon.and_utc().timestamp_millis() - 8 * 3_600_000) as u64
}

#[test]
fn indexed_queries_answer_what_a_pass_over_every_record_answers() {
    let world = build();
    let store = &world.hub;
    let policy = DeadlinePolicy::default();
    let ctx = ViewContext {
        policy,
        now_ms: world.now_ms,
    };
    let cases = store.entities_of(EntityKind::Case).unwrap();
    let statuses: std::collections::BTreeSet<CaseStatus> = cases
        .iter()
        .filter_map(|e| match &e.state {
            EntityState::Case(f) => Some(f.status),
            _ => None,
        })
        .collect();
    assert!(cases.len() > 300, "{}", cases.len());
    assert!(statuses.len() >= 8, "cases in many states: {statuses:?}");
    assert!(
        cases.iter().any(|e| !e.conflicts.is_empty()),
        "some conflicts"
    );

    // Every case's card is its file's card.
    let cards = all_cards(store);
    assert_eq!(store.case_cards().unwrap(), cards);

    // The deadlines (今日待办) and the tracker's sweep read the open cases only.
    let mut due: Vec<Tracked> = Vec::new();
    for e in &cases {
        if let EntityState::Case(file) = &e.state
            && let Some(deadline) = tracker::running_deadline(file, &policy)
        {
            due.push(Tracked {
                id: e.id,
                case_number: file.case_number.clone(),
                status: file.status,
                place: file.registration.place.clone(),
                assignee: file.assignment.as_ref().map(|a| a.assignee.label()),
                deadline,
                standing: sanji_domain::deadline::DeadlineStanding::of(
                    deadline,
                    world.today,
                    policy.urge_days_before,
                ),
                urges: file.urges.len(),
                supervisions: file.supervisions.len(),
            });
        }
    }
    due.sort_by_key(|t| t.deadline);
    assert!(due.len() > 20, "{}", due.len());
    assert_eq!(
        tracker::open_cases(store, &policy, world.today).unwrap(),
        due
    );

    // The month's report, for every month, at its end and mid-month.
    let mut busy = 0;
    for month in months(&world) {
        for as_of in [world.today, month.first_day() + Days::new(14)] {
            let indexed = reports::township_report(
                store,
                &reports::ledger_for_months(store, month, month, true).unwrap(),
                month,
                &policy,
                noon_ms(as_of),
            )
            .unwrap();
            assert_eq!(
                indexed,
                full_scan_report(store, month, as_of),
                "{month} as of {as_of}"
            );
            let visits = indexed.visits.expect("a report made now counts visits");
            if indexed.resolved > 0
                && indexed.open > 0
                && indexed.overdue > 0
                && visits.visit_batches > 0
                && visits.letters + visits.calls > 0
                && visits.answered_on_spot > 0
            {
                busy += 1;
            }
        }
        assert_eq!(
            views::report(store, month, &ctx).unwrap(),
            full_scan_report(store, month, world.today)
        );
    }
    assert!(
        busy > 10,
        "months with resolutions, open and overdue cases: {busy}"
    );

    // Rewards of months, quarters and years.
    let files = reports::ledger_for_reports(store, None).unwrap().cases;
    let refs: Vec<CaseRef<'_>> = files
        .iter()
        .map(|(id, file)| CaseRef { id: *id, file })
        .collect();
    let mut rewarded = 0;
    for period in [
        "2025-07", "2025-12", "2026-03", "2025-Q3", "2026-Q2", "2025", "2026",
    ] {
        let period = Period::parse(period).unwrap();
        let expected = rewards(&refs, period);
        rewarded += expected.len();
        assert_eq!(views::rewards(store, period).unwrap(), expected, "{period}");
    }
    assert!(rewarded > 0);

    // Case searches: the index narrows, the filter decides, the layer sorts and pages.
    let names = sanji_node::directory::Directory::new(store.clone())
        .listing()
        .unwrap();
    let some_number = cards
        .iter()
        .find_map(|c| c.case_number.clone())
        .expect("numbered cases");
    let filters = [
        CaseFilter::default(),
        CaseFilter {
            text: Some("欧阳".into()),
            ..CaseFilter::default()
        },
        CaseFilter {
            text: Some("0003".into()),
            ..CaseFilter::default()
        },
        CaseFilter {
            number: Some("12".into()),
            ..CaseFilter::default()
        },
        CaseFilter {
            number: Some(some_number.clone()),
            ..CaseFilter::default()
        },
        CaseFilter {
            party: Some("王五".into()),
            village: Some(VILLAGES[1].into()),
            sort: CaseSort::Registered,
            ..CaseFilter::default()
        },
        CaseFilter {
            category: Some(Category::Land),
            sort: CaseSort::Deadline,
            ..CaseFilter::default()
        },
        CaseFilter {
            registered_from: Some(NaiveDate::from_ymd_opt(2025, 9, 1).unwrap()),
            registered_to: Some(NaiveDate::from_ymd_opt(2025, 11, 30).unwrap()),
            offset: 5,
            limit: Some(10),
            ..CaseFilter::default()
        },
        CaseFilter {
            registered_to: Some(NaiveDate::from_ymd_opt(2025, 8, 31).unwrap()),
            ..CaseFilter::default()
        },
        CaseFilter {
            assignee: Some("司法所".into()),
            status: Some(CaseStatus::Assigned),
            ..CaseFilter::default()
        },
        CaseFilter {
            village: Some(TOWNSHIP.into()),
            limit: Some(500),
            ..CaseFilter::default()
        },
    ];
    let mut searches: Vec<CaseFilter> = filters.to_vec();
    searches.extend(CaseStatus::ALL.iter().map(|&status| CaseFilter {
        status: Some(status),
        ..CaseFilter::default()
    }));
    for filter in &searches {
        let expected = filter.sort_and_page(
            cards
                .iter()
                .filter(|c| filter.matches(c, &names))
                .cloned()
                .collect(),
        );
        let found = views::search_cases(store, filter).unwrap();
        assert_eq!(found, expected, "{filter:?}");
    }
    assert!(views::search_cases(store, &filters[1]).unwrap().total > 10);

    // A case by its number, its number within the year, or the start of its id.
    for card in cards.iter().step_by(7) {
        let by_id = sanji_node::ops::find_case(store, &card.id.simple().to_string()[24..]).unwrap();
        assert_eq!(by_id.0, card.id);
        let Some(number) = &card.case_number else {
            continue;
        };
        assert_eq!(
            sanji_node::ops::find_case(store, number).unwrap().0,
            card.id
        );
        let tail = number.rsplit('-').next().unwrap();
        let same_tail = cards
            .iter()
            .filter(|c| {
                c.case_number
                    .as_deref()
                    .is_some_and(|n| n.ends_with(&format!("-{tail}")))
            })
            .count();
        let short = tail.trim_start_matches('0');
        match sanji_node::ops::find_case(store, short) {
            Ok((id, _)) => assert_eq!((same_tail, id), (1, card.id), "{short}"),
            Err(e) => assert!(
                same_tail > 1 && e.to_string().contains(&format!("对应 {same_tail} 件")),
                "{short}: {e}"
            ),
        }
    }

    // The lists the to-do and the county's pages show.
    let mut ordered = cards.clone();
    ordered.sort_by_key(|c| (c.changed_at, c.id));
    let open: Vec<CaseCard> = ordered
        .iter()
        .filter(|c| c.status.is_open())
        .cloned()
        .collect();
    assert_eq!(views::open_cases(store).unwrap(), open);
    let escalated: Vec<CaseCard> = ordered.iter().filter(|c| c.escalated).cloned().collect();
    assert!(!escalated.is_empty());
    assert_eq!(views::escalated_cases(store).unwrap(), escalated);
    for prefix in ["", VILLAGES[0]] {
        assert_eq!(
            views::cases(store, prefix).unwrap().len(),
            ordered
                .iter()
                .filter(|c| c.place.as_str().starts_with(prefix))
                .count()
        );
        let severe: Vec<_> = views::screenings(store, prefix)
            .unwrap()
            .into_iter()
            .filter(|s| s.reported_at_ms.is_some())
            .collect();
        assert!(!severe.is_empty());
        assert_eq!(
            views::severe(store, prefix, None).unwrap(),
            severe,
            "{prefix:?}"
        );
    }

    // The county's month table reads that month's filed reports only.
    for month in months(&world) {
        let mut filed: Vec<MonthlyReport> = store
            .entities_of(EntityKind::MonthlyReport)
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.state {
                EntityState::MonthlyReport(r) if r.month == month => Some(r),
                _ => None,
            })
            .collect();
        filed.sort_by(|a, b| a.township.cmp(&b.township));
        assert_eq!(filed.len(), 1, "{month}");
        assert_eq!(views::county_reports(store, month).unwrap().rows, filed);
    }
}
