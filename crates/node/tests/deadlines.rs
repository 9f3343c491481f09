//! A running deadline stays where it was fixed: the township's tracker
//! fixes a registration's acceptance deadline when the registration arrives,
//! under the policy then in force, and a later change of policy moves
//! neither that deadline nor the months already reported. Real sled store.

use sanji_domain::case::{CaseFile, CaseStep};
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::fold::EntityState;
use sanji_domain::record::{CaseRegistration, CaseSource, Category, Party};
use sanji_domain::report::Month;
use sanji_domain::{Code, EventBody, Origin};
use sanji_node::tracker;
use sanji_node::views::{self, ViewContext};
use sanji_store::{ApplyMode, Draft, Store, StoreOptions};
use uuid::Uuid;

const TOWNSHIP: &str = "360123100";
const VILLAGE: &str = "360123100201";
const DAY_MS: u64 = 86_400_000;
/// 2026-11-20 09:00 CST.
const REGISTERED_MS: u64 = 1_795_136_400_000;

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

fn file(store: &Store, id: Uuid) -> CaseFile {
    match store.entity(id).unwrap().expect("the case").state {
        EntityState::Case(file) => *file,
        other => panic!("not a case: {other:?}"),
    }
}

#[test]
fn a_policy_change_moves_no_received_deadline_and_rewrites_no_month() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Store::open(dir.path(), &code(TOWNSHIP), StoreOptions::default()).unwrap();
    let village_dir = tempfile::tempdir().unwrap();
    let village = Store::open(village_dir.path(), &code(VILLAGE), StoreOptions::default()).unwrap();
    let registration = CaseRegistration {
        place: code(VILLAGE),
        registered_on: sanji_domain::time::cst_date(REGISTERED_MS),
        source: CaseSource::Visit,
        category: Category::Land,
        parties: vec![Party {
            name: "王五".into(),
            contact: None,
        }],
        people_involved: 2,
        claim: "山林界址纠纷".into(),
        first_receiver: "李明".into(),
        first_unit: "东山村工作站".into(),
        complex: false,
        from_record: None,
    };
    let id = Uuid::now_v7();
    let written = village
        .append_local(
            &Origin::node(code(VILLAGE)),
            REGISTERED_MS,
            vec![Draft {
                author: "李明".into(),
                entity: id,
                body: EventBody::CaseRegistered(registration),
            }],
        )
        .unwrap();
    hub.apply(written, ApplyMode::Chain).unwrap();
    assert_eq!(file(&hub, id).deadline, None, "arrived, not yet received");

    // The tracker's pass a day later receives it under the 15-day rule.
    let fifteen = DeadlinePolicy::default();
    assert_eq!(fifteen.accept_days, 15);
    let pass = tracker::sweep(&hub, &fifteen, REGISTERED_MS + DAY_MS).unwrap();
    assert!(
        pass.iter().any(|e| matches!(
            &e.body,
            EventBody::CaseStepped(a) if a.step == CaseStep::Received {
                accept_by: "2026-12-05".parse().unwrap()
            }
        )),
        "{pass:?}"
    );
    let received = file(&hub, id);
    assert_eq!(received.deadline, Some("2026-12-05".parse().unwrap()));

    // The township shortens the rule to 7 days afterwards.
    let seven = DeadlinePolicy {
        accept_days: 7,
        ..fifteen
    };
    seven.validate().unwrap();
    assert_eq!(
        tracker::running_deadline(&received, &seven),
        Some("2026-12-05".parse().unwrap()),
        "the running deadline stays where it was fixed"
    );
    let november = Month::of("2026-11-01".parse().unwrap());
    let as_of_end = ViewContext {
        policy: seven,
        now_ms: REGISTERED_MS + 11 * DAY_MS,
    };
    let report = views::report(&hub, november, &as_of_end).unwrap();
    assert_eq!(
        report.overdue, 0,
        "under the new rule it would be overdue on 11-27; its month says it was not"
    );
    // Nor does a later pass fix it again, or urge it as overdue.
    let later = tracker::sweep(&hub, &seven, REGISTERED_MS + 10 * DAY_MS).unwrap();
    assert!(
        later.iter().all(|e| !matches!(
            &e.body,
            EventBody::CaseStepped(a) if matches!(
                a.step,
                CaseStep::Received { .. } | CaseStep::Supervise { .. }
            )
        )),
        "{later:?}"
    );
}
