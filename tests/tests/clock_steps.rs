//! A hub whose clock steps back (an NTP correction after running fast, a
//! replaced CMOS battery, a virtual machine restored from a snapshot) and
//! restarts on the same data. Its hybrid clock is persisted, so what it
//! writes afterwards is still stamped after everything it wrote or received
//! before: a case's later step stays the later one, at the hub and at the
//! station that pulls it. (Stations with wrong clocks: `convergence.rs`.)

use sanji_domain::case::{ActorRole, CaseFile, CaseStatus, MediationKind, StepKind};
use sanji_domain::fold::EntityState;
use sanji_domain::{Event, EventBody, Hlc, Origin};
use sanji_node::ops::{ActOutcome, Action, CaseCommand};
use sanji_pki::CertFiles;
use sanji_pki::PersonRole;
use sanji_store::Store;
use sanji_sync::Clock;
use sanji_tests::{
    Cluster, DAY_MS, held, ledger, record_samples, station_today, township, village,
};
use uuid::Uuid;

const HOUR_MS: i64 = 3600 * 1000;

/// The township's operator and director, their certificates beside the hub's.
fn people(cluster: &Cluster) -> (CertFiles, CertFiles) {
    let (ca, folder) = (cluster.ca_dir(), cluster.dir.path().join("people"));
    let operator =
        sanji_tests::issue_person(&ca, &township(), PersonRole::Operator, "赵敏", &folder);
    let director =
        sanji_tests::issue_person(&ca, &township(), PersonRole::Director, "陈志远", &folder);
    (operator, director)
}

/// A step at the hub's console, as the person `stem`.
async fn step(cluster: &Cluster, stem: &CertFiles, case: Uuid, command: CaseCommand) -> ActOutcome {
    let mut config = cluster.hub().config.clone();
    config.listen = Some(cluster.hub_addr().to_string());
    let action = Action::CaseStep {
        case: case.to_string(),
        command,
    };
    sanji_node::console::act_remote(&config, Some(stem), &action)
        .await
        .unwrap_or_else(|e| panic!("the hub takes the step: {e}"))
}

/// Every event the hub authored (its own ledger and its outbox).
fn hub_authored(store: &Store) -> Vec<Event> {
    let mut events = held(store, &ledger(&township()));
    events.extend(held(store, &Origin::outbox(township())));
    events
}

fn case_file(store: &Store, id: Uuid) -> (CaseFile, usize) {
    match store.entity(id).expect("store readable") {
        Some(entity) => match entity.state {
            EntityState::Case(file) => (*file, entity.conflicts.len()),
            other => panic!("{} holds no case {id}: {other:?}", store.node()),
        },
        None => panic!("{} holds no case {id}", store.node()),
    }
}

fn ids(events: &[Event]) -> Vec<Uuid> {
    events.iter().map(|e| e.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_whose_clock_steps_back_stamps_its_later_case_steps_after_its_earlier_ones() {
    sanji_sync::tls::install_crypto();
    let mut cluster = Cluster::start().await;
    let (operator, director) = people(&cluster);
    let v = village(1);
    let mut station = cluster.open_station(&v);
    let registered = station
        .register_case(None, sanji_tests::case(0, &v, station_today(&station)))
        .unwrap();
    let case = registered.entity;

    // Each era: the station records and syncs (the hub writes summaries and
    // severe reports to its outbox), then the hub's people step the case.
    // `eras[k]` is what the hub authored in era k.
    let mut eras: Vec<Vec<Event>> = Vec::new();
    let mut steps: Vec<Uuid> = vec![registered.id];
    let mut seen_before: Vec<Hlc> = Vec::new();
    let plan: [(i64, Vec<(&CertFiles, CaseCommand)>); 3] = [
        (
            0,
            vec![
                (&operator, CaseCommand::Accept),
                (
                    &operator,
                    CaseCommand::Urge {
                        note: "请尽快安排调处".into(),
                    },
                ),
            ],
        ),
        (
            -2 * DAY_MS,
            vec![
                (
                    &operator,
                    CaseCommand::Assign {
                        unit: None,
                        village: Some(v.clone()),
                        person: "张建军".into(),
                        deadline: None,
                    },
                ),
                (&director, CaseCommand::Approve),
            ],
        ),
        (
            -HOUR_MS,
            vec![
                (
                    &operator,
                    CaseCommand::Progress {
                        kind: MediationKind::People,
                        note: "已约双方到村委会面谈".into(),
                    },
                ),
                (
                    &director,
                    CaseCommand::Supervise {
                        note: "请按期办结".into(),
                    },
                ),
            ],
        ),
    ];
    for (era, (offset_ms, commands)) in plan.into_iter().enumerate() {
        if era > 0 {
            seen_before.push(cluster.hub_store().clock().unwrap());
            cluster.restart_hub_with_clock(offset_ms).await;
            cluster.follow_hub(&mut station);
            // Not vacuous: the hub's clock now reads before stamps it already issued.
            let physical = Clock::skewed(cluster.hub().config.clock_offset_ms).now_ms();
            assert!(
                physical < seen_before[era - 1].wall_ms,
                "era {era}: the hub's clock reads {physical}, not before {}",
                seen_before[era - 1]
            );
        }
        record_samples(&station, era * 10, 10);
        station.sync(1).await.expect("the station syncs");
        for (stem, command) in commands {
            steps.push(step(&cluster, stem, case, command).await.event_id);
        }
        cluster.forward().await;
        let all = hub_authored(cluster.hub_store());
        eras.push(
            all.into_iter()
                .filter(|e| !eras.iter().flatten().any(|old| old.id == e.id))
                .collect(),
        );
        assert!(
            eras[era].iter().filter(|e| !e.origin.is_outbox()).count() >= 2
                && eras[era].iter().any(|e| e.origin.is_outbox()),
            "era {era}: the hub wrote its case steps and outbox events"
        );
    }

    // Every stamp of a later era is after every stamp of an earlier one,
    // and after everything the hub held when it restarted.
    for later in 1..eras.len() {
        let first_later = eras[later].iter().map(|e| e.hlc).min().unwrap();
        let last_earlier = eras[..later].iter().flatten().map(|e| e.hlc).max().unwrap();
        assert!(
            first_later > last_earlier,
            "era {later} stamps {first_later} after {last_earlier}"
        );
        assert!(first_later > seen_before[later - 1], "era {later}");
    }
    let store = cluster.hub_store();
    for origin in [ledger(&township()), Origin::outbox(township())] {
        let events = held(store, &origin);
        assert!(
            events.windows(2).all(|w| w[0].hlc < w[1].hlc),
            "{origin}: stamps increase with seq"
        );
    }

    // The fold takes the steps in the order they were taken: the last one is current.
    let (hub_file, conflicts) = case_file(store, case);
    assert_eq!(conflicts, 0, "{hub_file:?}");
    assert_eq!(hub_file.status, CaseStatus::InMediation);
    let kinds: Vec<StepKind> = hub_file.file.iter().map(|f| f.step).collect();
    assert!(
        kinds.ends_with(&[
            StepKind::Accept,
            StepKind::Urge,
            StepKind::Assign,
            StepKind::Approve,
            StepKind::Progress,
            StepKind::Supervise
        ]),
        "{kinds:?}"
    );
    assert!(hub_file.file.windows(2).all(|w| w[0].at < w[1].at));
    assert_eq!(
        ids(&store.entity_events(case).unwrap()),
        steps,
        "the hub folds the case in the order its steps were taken"
    );

    // The station pulls the case's steps and folds them the same way.
    station.sync(1).await.expect("the station pulls");
    let at_station = station.store().entity_events(case).unwrap();
    assert_eq!(ids(&at_station), steps);
    let (station_file, conflicts) = case_file(station.store(), case);
    assert_eq!(conflicts, 0);
    assert_eq!(station_file.status, hub_file.status);
    assert_eq!(station_file.file, hub_file.file);

    // Its next step on the case is stamped after all of them, and is the
    // current one at the hub once pushed.
    let offline = station
        .case_step(
            None,
            &case.to_string(),
            CaseCommand::Progress {
                kind: MediationKind::People,
                note: "双方达成初步意向".into(),
            },
        )
        .unwrap();
    assert!(offline.hlc > eras.iter().flatten().map(|e| e.hlc).max().unwrap());
    station.sync(1).await.expect("the station pushes its step");
    let (hub_file, conflicts) = case_file(cluster.hub_store(), case);
    assert_eq!(conflicts, 0);
    let last = hub_file.file.last().unwrap();
    assert_eq!(
        (last.step, last.role, last.at),
        (StepKind::Progress, ActorRole::VillageStaff, offline.hlc)
    );
    assert!(matches!(offline.body, EventBody::CaseStepped(_)));

    drop(station);
    cluster.shutdown().await;
}
