//! The store's query index (`q` terms) and case cards (`w`) follow every
//! refold, and a store made without them is indexed when it is opened.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use sanji_domain::case::{ActorRole, CaseAction, CaseStatus, CaseStep};
use sanji_domain::index::{self, CaseCard, IndexName, TermRange};
use sanji_domain::record::{CaseRegistration, CaseSource, Category, Party};
use sanji_domain::{Code, EventBody, Origin};
use sanji_store::{Draft, Store, StoreOptions, Unlock};
use uuid::Uuid;

/// 2026-11-26 noon CST.
const NOW: u64 = 1_795_665_600_000;
const DAY: u64 = 86_400_000;
const TOWNSHIP: &str = "360123100";
const VILLAGE: &str = "360123100201";
const PARTY: &str = "欧阳秀英";
const CLAIM: &str = "要求欧阳秀英的邻居拆除越界围墙";

fn code(text: &str) -> Code {
    Code::parse(text).unwrap()
}

fn hub() -> Origin {
    Origin::node(code(TOWNSHIP))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn register(entity: Uuid, on: NaiveDate) -> Draft {
    Draft {
        author: "陈静".into(),
        entity,
        body: EventBody::CaseRegistered(CaseRegistration {
            place: code(VILLAGE),
            registered_on: on,
            source: CaseSource::Visit,
            category: Category::Land,
            parties: vec![Party {
                name: PARTY.into(),
                contact: None,
            }],
            people_involved: 1,
            claim: CLAIM.into(),
            first_receiver: "陈静".into(),
            first_unit: "镇综治中心".into(),
            complex: false,
            from_record: None,
        }),
    }
}

fn step(entity: Uuid, role: ActorRole, step: CaseStep) -> Draft {
    Draft {
        author: "陈静".into(),
        entity,
        body: EventBody::CaseStepped(CaseAction { role, step }),
    }
}

fn accept(entity: Uuid, number: &str) -> Draft {
    step(
        entity,
        ActorRole::Operator,
        CaseStep::Accept {
            case_number: number.into(),
            resolve_deadline: date(2026, 12, 30),
        },
    )
}

fn open(dir: &Path, unlock: Unlock) -> Store {
    Store::open_waiting(
        dir,
        &code(TOWNSHIP),
        StoreOptions {
            unlock,
            ..StoreOptions::default()
        },
        std::time::Duration::from_secs(10),
    )
    .unwrap()
}

/// The terms each entity's state carries, by the domain's rule.
fn expected_terms(store: &Store) -> BTreeSet<(u8, String, Uuid)> {
    store
        .entities()
        .unwrap()
        .iter()
        .flat_map(|e| {
            index::terms(&e.state)
                .into_iter()
                .map(move |t| (t.name.byte(), t.value, e.id))
        })
        .collect()
}

/// The `q` keys really on disk (the store must be closed).
fn terms_on_disk(dir: &Path) -> BTreeSet<(u8, String, Uuid)> {
    let db = sanji_store::open_raw(dir).unwrap();
    db.scan_prefix(b"q")
        .keys()
        .map(|k| {
            let k = k.unwrap();
            let (value, id) = k[2..].split_at(k.len() - 2 - 17);
            assert_eq!(id[0], 0, "a separator before the id: {k:?}");
            (
                k[1],
                String::from_utf8(value.to_vec()).expect("index values are text"),
                Uuid::from_slice(&id[1..]).unwrap(),
            )
        })
        .collect()
}

fn open_ids(store: &Store) -> BTreeSet<Uuid> {
    index::open_status_ranges()
        .flat_map(|r| store.ids_where(IndexName::CaseStatus, &r).unwrap())
        .collect()
}

fn cards_match_files(store: &Store) {
    for e in store.entities().unwrap() {
        assert_eq!(store.case_card(e.id).unwrap(), CaseCard::of(&e), "{}", e.id);
    }
}

#[test]
fn the_index_follows_each_refold_and_a_conflict_leaves_it_as_the_state_is() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Unlock::Plain);
    let (closing, staying) = (Uuid::now_v7(), Uuid::now_v7());
    store
        .append_local(
            &hub(),
            NOW,
            vec![
                register(closing, date(2026, 10, 20)),
                register(staying, date(2026, 11, 26)),
            ],
        )
        .unwrap();
    assert_eq!(open_ids(&store), BTreeSet::from([closing, staying]));
    assert_eq!(
        store
            .ids_where(
                IndexName::CaseStatus,
                &index::status_range(CaseStatus::Registered)
            )
            .unwrap()
            .len(),
        2
    );

    // One is accepted (numbered), the other refused: it leaves the open index.
    store
        .append_local(
            &hub(),
            NOW + DAY,
            vec![
                accept(staying, "360123100-2026-0007"),
                step(
                    closing,
                    ActorRole::Operator,
                    CaseStep::NotAccept {
                        reason: "不属于受理范围".into(),
                    },
                ),
            ],
        )
        .unwrap();
    assert_eq!(open_ids(&store), BTreeSet::from([staying]));
    assert_eq!(
        store
            .ids_where(
                IndexName::CaseStatus,
                &index::status_range(CaseStatus::Registered)
            )
            .unwrap(),
        Vec::<Uuid>::new()
    );
    assert_eq!(
        store
            .ids_where(IndexName::CaseNumberTail, &TermRange::Exact("0007".into()))
            .unwrap(),
        [staying]
    );
    // October (registration) and November (the refusal) both hold the refused case.
    for month in ["2026-10", "2026-11"] {
        assert!(
            store
                .ids_where(IndexName::CaseMonth, &TermRange::Exact(month.into()))
                .unwrap()
                .contains(&closing),
            "{month}"
        );
    }

    // A step the state does not allow is a conflict: the file, its terms and its card stay.
    let before = store.entity(closing).unwrap().unwrap();
    store
        .append_local(
            &hub(),
            NOW + 2 * DAY,
            vec![
                accept(closing, "360123100-2026-0008"),
                step(
                    staying,
                    ActorRole::Operator,
                    CaseStep::Escalate {
                        reason: "涉及多个村".into(),
                    },
                ),
            ],
        )
        .unwrap();
    let after = store.entity(closing).unwrap().unwrap();
    assert_eq!(after.state, before.state);
    assert_eq!(after.conflicts.len(), 1);
    assert_eq!(
        store
            .ids_where(IndexName::CaseNumberTail, &TermRange::Exact("0008".into()))
            .unwrap(),
        Vec::<Uuid>::new()
    );
    assert_eq!(
        store
            .ids_where(IndexName::CaseEscalated, &TermRange::Prefix(String::new()))
            .unwrap(),
        [staying]
    );
    assert_eq!(store.case_card(closing).unwrap().unwrap().conflicts, 1);
    cards_match_files(&store);
    let expected = expected_terms(&store);
    drop(store);
    assert_eq!(terms_on_disk(dir.path()), expected);
}

#[test]
fn a_store_without_the_index_or_with_an_older_one_is_indexed_once_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Unlock::Plain);
    let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
    store
        .append_local(
            &hub(),
            NOW,
            ids.iter()
                .map(|&id| register(id, date(2026, 11, 20)))
                .collect(),
        )
        .unwrap();
    store
        .append_local(
            &hub(),
            NOW + DAY,
            vec![accept(ids[0], "360123100-2026-0001")],
        )
        .unwrap();
    let expected = expected_terms(&store);
    assert!(expected.len() > 20, "{expected:?}");
    drop(store);

    for marker in [None, Some(&b"0"[..])] {
        {
            // As a store from before the index (no marker), or from an older index version
            // (its terms may be wrong: one here is stale, one missing).
            let db = sanji_store::open_raw(dir.path()).unwrap();
            let stale: Vec<_> = db
                .scan_prefix(b"q")
                .keys()
                .chain(db.scan_prefix(b"w").keys())
                .map(Result::unwrap)
                .collect();
            for key in stale {
                db.remove(key).unwrap();
            }
            match marker {
                None => db.remove(b"mterms").map(drop).unwrap(),
                Some(old) => {
                    db.insert(b"mterms", old).unwrap();
                    let mut bogus = b"qsarchived\0".to_vec();
                    bogus.extend_from_slice(ids[1].as_bytes());
                    db.insert(bogus, &[]).unwrap();
                }
            }
            db.flush().unwrap();
        }
        assert_ne!(terms_on_disk(dir.path()), expected);
        let store = open(dir.path(), Unlock::Plain);
        assert_eq!(open_ids(&store), ids.iter().copied().collect());
        cards_match_files(&store);
        drop(store);
        assert_eq!(terms_on_disk(dir.path()), expected, "{marker:?}");
    }
}

#[test]
fn a_sealed_stores_index_holds_no_personal_text_and_its_cards_are_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(
        dir.path(),
        Unlock::node_key(b"-----BEGIN PRIVATE KEY-----\nhub key\n-----END PRIVATE KEY-----\n"),
    );
    assert!(store.is_sealed());
    let case = Uuid::now_v7();
    store
        .append_local(&hub(), NOW, vec![register(case, date(2026, 11, 25))])
        .unwrap();
    store
        .append_local(&hub(), NOW + DAY, vec![accept(case, "360123100-2026-0003")])
        .unwrap();
    let card = store.case_card(case).unwrap().unwrap();
    assert_eq!(card.parties, [PARTY]);
    assert_eq!(card.claim, CLAIM);
    drop(store);

    let terms = terms_on_disk(dir.path());
    assert!(!terms.is_empty());
    for (name, value, _) in &terms {
        assert!(
            value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/'),
            "index {} holds {value:?}: only codes, dates, statuses and numbers",
            *name as char
        );
    }
    let db = sanji_store::open_raw(dir.path()).unwrap();
    for item in db.scan_prefix(b"w") {
        let (_, value) = item.unwrap();
        assert!(
            !value.windows(PARTY.len()).any(|w| w == PARTY.as_bytes()),
            "a card in the clear"
        );
    }
}

/// A store whose projections were folded by an older release (here: a case
/// shown as still registered after its acceptance, and no fold version
/// marked) is refolded from its events when opened, its indexes following,
/// so it shows what a node of this release shows for the same events.
#[test]
fn projections_folded_by_an_older_release_are_refolded_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Unlock::Plain);
    let case = Uuid::now_v7();
    store
        .append_local(&hub(), NOW, vec![register(case, date(2026, 11, 20))])
        .unwrap();
    let registered = store.entity(case).unwrap().unwrap();
    store
        .append_local(&hub(), NOW + DAY, vec![accept(case, "360123100-2026-0001")])
        .unwrap();
    let accepted = store.entity(case).unwrap().unwrap();
    let expected = expected_terms(&store);
    drop(store);
    {
        let db = sanji_store::open_raw(dir.path()).unwrap();
        let mut key = b"n".to_vec();
        key.extend_from_slice(case.as_bytes());
        db.insert(key, serde_json::to_vec(&registered).unwrap())
            .unwrap();
        db.remove(b"mfold").unwrap();
        db.flush().unwrap();
    }
    let store = open(dir.path(), Unlock::Plain);
    assert_eq!(store.entity(case).unwrap().unwrap(), accepted);
    let open_cases = store
        .ids_where(
            IndexName::CaseStatus,
            &TermRange::Exact(sanji_domain::Labelled::id(CaseStatus::Accepted).to_owned()),
        )
        .unwrap();
    assert_eq!(open_cases, [case]);
    drop(store);
    assert_eq!(terms_on_disk(dir.path()), expected);
}
