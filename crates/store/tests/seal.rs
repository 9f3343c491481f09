//! Encryption at rest: a village laptop's store opens only with its key material,
//! and nothing of the parties' data is readable in its files.

use std::path::Path;

use chrono::NaiveDate;
use sanji_domain::record::{Category, Party, RiskLevel, Screening};
use sanji_domain::{Code, EntityState, EventBody, Origin};
use sanji_store::{Draft, SealError, Store, StoreError, StoreOptions, Unlock};
use uuid::Uuid;

const VILLAGE: &str = "360123100201";
/// 2026-11-26 noon CST.
const NOW: u64 = 1_795_665_600_000;
/// Names that must never appear in the clear on disk.
const PARTY: &str = "欧阳秀英";
const CONTACT: &str = "13907918888";

fn village() -> Code {
    Code::parse(VILLAGE).unwrap()
}

fn open(dir: &Path, unlock: Unlock) -> Result<Store, StoreError> {
    Store::open(
        dir,
        &village(),
        StoreOptions {
            unlock,
            ..StoreOptions::default()
        },
    )
}

fn node_key() -> Unlock {
    Unlock::node_key(b"-----BEGIN PRIVATE KEY-----\nvillage key\n-----END PRIVATE KEY-----\n")
}

fn screening(n: usize) -> Draft {
    Draft {
        author: "李明".into(),
        entity: Uuid::now_v7(),
        body: EventBody::ScreeningRecorded(Screening {
            village: village(),
            screened_on: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            screener: "李明".into(),
            category: Category::Land,
            parties: vec![Party {
                name: PARTY.into(),
                contact: Some(CONTACT.into()),
            }],
            people_involved: 2,
            risk: RiskLevel::General,
            may_escalate: false,
            mass_incident_risk: false,
            description: format!("第 {n} 宗:{PARTY}与邻居因宅基地边界发生争执"),
            measures: "已约双方到村委会调解".into(),
            line: None,
        }),
    }
}

/// Every file under `dir`, searched byte for byte.
fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_contain(&path, needle)
        } else {
            std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
        }
    })
}

fn fill(store: &Store, n: usize) {
    let origin = Origin::node(village());
    store
        .append_local(&origin, NOW, (0..n).map(screening).collect())
        .unwrap();
    store
        .meta_put("sync", "last", format!("{PARTY} 的记录已同步").as_bytes())
        .unwrap();
}

#[test]
fn a_sealed_store_keeps_no_party_data_in_the_clear_and_reads_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), node_key()).unwrap();
    assert!(store.is_sealed());
    fill(&store, 50);
    let entities = store.entities().unwrap();
    drop(store);

    for needle in [PARTY.as_bytes(), CONTACT.as_bytes(), "宅基地".as_bytes()] {
        assert!(
            !files_contain(dir.path(), needle),
            "{} found in the clear",
            String::from_utf8_lossy(needle)
        );
    }

    let store = open(dir.path(), node_key()).unwrap();
    assert_eq!(store.event_count().unwrap(), 50);
    assert_eq!(store.entities().unwrap(), entities);
    let first = store.get(&Origin::node(village()), 1).unwrap().unwrap();
    assert!(matches!(&first.body, EventBody::ScreeningRecorded(s) if s.parties[0].name == PARTY));
    assert!(
        entities
            .iter()
            .all(|e| matches!(&e.state, EntityState::Screening(_)))
    );
    assert_eq!(
        store.meta_get("sync", "last").unwrap().unwrap(),
        format!("{PARTY} 的记录已同步").as_bytes()
    );
}

/// The control for the test above: the same records in a plain store are readable on disk,
/// so the search would have found them.
#[test]
fn a_plain_store_does_hold_the_same_data_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Unlock::Plain).unwrap();
    assert!(!store.is_sealed());
    fill(&store, 50);
    drop(store);
    assert!(files_contain(dir.path(), PARTY.as_bytes()));
}

#[test]
fn a_sealed_store_refuses_no_key_a_wrong_key_and_the_wrong_kind_naming_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    fill(&open(dir.path(), node_key()).unwrap(), 3);

    let cases = [
        (Unlock::Plain, "请提供"),
        (Unlock::node_key(b"another laptop's key"), "密钥不对"),
        (Unlock::passphrase("猜一个"), "提供的是口令"),
    ];
    for (unlock, says) in cases {
        let err = open(dir.path(), unlock.clone()).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, StoreError::Seal { .. }),
            "{unlock:?}: {err:?}"
        );
        assert!(
            message.contains(&dir.path().display().to_string()) && message.contains(says),
            "{unlock:?}: {message}"
        );
    }
    // Refusals wrote nothing: the right key still opens every record.
    assert_eq!(
        open(dir.path(), node_key()).unwrap().event_count().unwrap(),
        3
    );
}

#[test]
fn a_plain_store_is_not_opened_as_if_it_were_sealed() {
    let dir = tempfile::tempdir().unwrap();
    fill(&open(dir.path(), Unlock::Plain).unwrap(), 1);
    let err = open(dir.path(), node_key()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Seal {
                source: SealError::NotSealed(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        open(dir.path(), Unlock::Plain)
            .unwrap()
            .event_count()
            .unwrap(),
        1
    );
}

#[test]
fn rekeying_moves_the_store_to_new_material_and_the_old_stops_opening_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), node_key()).unwrap();
    fill(&store, 5);
    let renewed = Unlock::node_key(b"the renewed certificate's key");
    store.rekey(&renewed).unwrap();
    drop(store);

    assert!(matches!(
        open(dir.path(), node_key()).unwrap_err(),
        StoreError::Seal {
            source: SealError::WrongKey(_),
            ..
        }
    ));
    let store = open(dir.path(), renewed).unwrap();
    assert_eq!(store.event_count().unwrap(), 5);

    let phrase = Unlock::passphrase("山前村 2026 冬");
    store.rekey(&phrase).unwrap();
    drop(store);
    let store = open(dir.path(), phrase).unwrap();
    let first = store.get(&Origin::node(village()), 1).unwrap().unwrap();
    assert_eq!(first.seq, 1);
}

/// The key layout of `keys.rs`: `e`, origin text, 0x00, seq big-endian.
fn event_key(seq: u64) -> Vec<u8> {
    let mut key = vec![b'e'];
    key.extend_from_slice(VILLAGE.as_bytes());
    key.push(0);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

#[test]
fn a_sealed_record_moved_or_altered_on_disk_is_reported_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), node_key()).unwrap();
    fill(&store, 3);
    drop(store);
    {
        // Behind the store's back: move event 1's sealed value over event 2,
        // and flip one byte of event 3.
        let db = sanji_store::open_raw(dir.path()).unwrap();
        let first = db.get(event_key(1)).unwrap().unwrap();
        db.insert(event_key(2), first).unwrap();
        let mut third = db.get(event_key(3)).unwrap().unwrap().to_vec();
        let middle = third.len() / 2;
        third[middle] ^= 0x40;
        db.insert(event_key(3), third).unwrap();
        db.flush().unwrap();
    }
    let store = open(dir.path(), node_key()).unwrap();
    let origin = Origin::node(village());
    assert_eq!(store.get(&origin, 1).unwrap().unwrap().seq, 1);
    for seq in [2, 3] {
        let err = store.get(&origin, seq).unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt(m) if m.contains("无法解开")),
            "seq {seq}: {err:?}"
        );
    }
}
