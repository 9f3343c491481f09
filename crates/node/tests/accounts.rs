//! Console accounts in a real store: one-time passwords, Argon2id, the
//! lockout after five wrong passwords, and the sign-in record.

use sanji_domain::Code;
use sanji_domain::case::ActorRole;
use sanji_node::accounts::{Accounts, AuditKind, LOCKOUT_MS, LoginError};
use sanji_store::{Store, StoreOptions};

const HUB: &str = "360123100";
const NOW: u64 = 1_764_000_000_000;
const ADDRESS: &str = "192.168.1.23";

/// A hub's accounts, its directory holding the member unit 司法所 (a unit
/// staff account's unit must be one the directory holds).
fn accounts(dir: &std::path::Path) -> Accounts {
    let store = Store::open(dir, &Code::parse(HUB).unwrap(), StoreOptions::default()).unwrap();
    sanji_node::directory::Directory::new(store.clone())
        .edit(
            sanji_node::directory::DirectoryEdit::Unit {
                name: "司法所".into(),
            },
            NOW,
            "admin",
        )
        .unwrap();
    Accounts::new(store)
}

#[test]
fn a_new_account_signs_in_once_with_its_one_time_password_then_chooses_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = accounts(dir.path());
    let (account, password) = accounts
        .add("刘芳", None, ActorRole::Operator, None, NOW, "admin")
        .unwrap();
    assert_eq!(account.login, "刘芳");
    assert!(account.must_change_password);
    assert_eq!(password.len(), 12);
    // The password is kept only as an Argon2id hash.
    let stored = serde_json::to_string(&accounts.get("刘芳").unwrap().unwrap()).unwrap();
    assert!(
        !stored.contains(&password) && stored.contains("$argon2id$"),
        "{stored}"
    );

    let signed_in = accounts.sign_in("刘芳", &password, NOW, ADDRESS).unwrap();
    assert_eq!(signed_in.actor().role, ActorRole::Operator);
    assert_eq!(signed_in.actor().code.as_str(), HUB);

    let short = accounts
        .change_password("刘芳", &password, "short", NOW, ADDRESS)
        .unwrap_err();
    assert!(short.to_string().contains("至少 8 个字符"), "{short}");
    let changed = accounts
        .change_password("刘芳", &password, "dongshan-2026", NOW, ADDRESS)
        .unwrap();
    assert!(!changed.must_change_password);
    assert_eq!(
        accounts
            .sign_in("刘芳", &password, NOW, ADDRESS)
            .unwrap_err(),
        LoginError::Wrong
    );
    accounts
        .sign_in("刘芳", "dongshan-2026", NOW, ADDRESS)
        .unwrap();
}

#[test]
fn five_wrong_passwords_lock_the_account_even_against_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = accounts(dir.path());
    let (_, password) = accounts
        .add("王主任", None, ActorRole::Director, None, NOW, "admin")
        .unwrap();
    for attempt in 1..5 {
        assert_eq!(
            accounts.sign_in("王主任", "guess", NOW + attempt, ADDRESS),
            Err(LoginError::Wrong),
            "attempt {attempt}"
        );
    }
    assert_eq!(
        accounts.sign_in("王主任", "guess", NOW + 5, ADDRESS),
        Err(LoginError::Locked { minutes: 15 })
    );
    // The sixth try, with the right password, is refused all the same.
    let refused = accounts
        .sign_in("王主任", &password, NOW + 6, ADDRESS)
        .unwrap_err();
    assert!(matches!(refused, LoginError::Locked { .. }));
    assert!(refused.to_string().contains("锁定"), "{refused}");
    // Fifteen minutes later it opens again.
    accounts
        .sign_in("王主任", &password, NOW + 5 + LOCKOUT_MS, ADDRESS)
        .unwrap();

    let record = accounts.audit().unwrap();
    let kinds: Vec<AuditKind> = record.iter().map(|e| e.what).collect();
    assert_eq!(kinds.iter().filter(|k| **k == AuditKind::Failed).count(), 6);
    assert_eq!(kinds.iter().filter(|k| **k == AuditKind::Locked).count(), 1);
    assert_eq!(kinds.last(), Some(&AuditKind::Login));
    assert!(record.iter().skip(1).all(|e| e.address == ADDRESS));
    assert!(record.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
}

#[test]
fn unknown_logins_and_disabled_accounts_are_refused_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = accounts(dir.path());
    assert_eq!(
        accounts.sign_in("nobody", "x", NOW, ADDRESS),
        Err(LoginError::Wrong)
    );
    let (_, password) = accounts
        .add(
            "孙立",
            Some("sunli"),
            ActorRole::UnitStaff,
            Some("司法所"),
            NOW,
            "admin",
        )
        .unwrap();
    accounts.set_disabled("sunli", true, NOW, "王主任").unwrap();
    assert_eq!(
        accounts.sign_in("sunli", &password, NOW, ADDRESS),
        Err(LoginError::Disabled)
    );
    let reset = accounts.reset("sunli", NOW, "王主任").unwrap();
    accounts
        .set_disabled("sunli", false, NOW, "王主任")
        .unwrap();
    assert_eq!(
        accounts.sign_in("sunli", &password, NOW, ADDRESS),
        Err(LoginError::Wrong),
        "a reset replaces the old password"
    );
    let account = accounts.sign_in("sunli", &reset, NOW, ADDRESS).unwrap();
    assert!(account.must_change_password);
    assert_eq!(account.unit.as_deref(), Some("司法所"));
    assert!(
        accounts
            .audit()
            .unwrap()
            .iter()
            .any(|e| e.login == "nobody" && e.what == AuditKind::Failed)
    );
}

#[test]
fn accounts_are_checked_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = accounts(dir.path());
    let cases: &[(&str, ActorRole, Option<&str>, &str)] = &[
        ("孙立", ActorRole::UnitStaff, None, "unit"),
        ("刘芳", ActorRole::Operator, Some("司法所"), "unit"),
        ("县里", ActorRole::County, None, "role"),
        ("", ActorRole::Operator, None, "name"),
    ];
    for (name, role, unit, field) in cases {
        match accounts.add(name, None, *role, *unit, NOW, "admin") {
            Err(sanji_node::NodeError::Invalid(e)) => assert_eq!(e.field, *field, "{e}"),
            other => panic!("{name} {role:?}: {other:?}"),
        }
    }
    assert!(accounts.all().unwrap().is_empty(), "nothing half-written");
    accounts
        .add("刘芳", None, ActorRole::Operator, None, NOW, "admin")
        .unwrap();
    match accounts.add("刘芳", None, ActorRole::Director, None, NOW, "admin") {
        Err(sanji_node::NodeError::Invalid(e)) => assert!(e.rule.contains("已被使用"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(accounts.all().unwrap().len(), 1);
}
