//! A lost village laptop: its records at rest are encrypted under the station's
//! key material, through the real `sanji` binary.

use std::path::Path;
use std::process::{Command, Output};

const VILLAGE: &str = "360123100201";
const PARTY: &str = "欧阳秀英";

fn sanji(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sanji"))
        .args(args)
        .current_dir(dir)
        .env("SANJI_LOG", "error")
        .env_remove("SANJI_CONFIG")
        .env_remove("SANJI_PASSPHRASE")
        .envs(env.iter().copied())
        .output()
        .expect("sanji runs")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: Output) -> String {
    assert!(
        !out.status.success(),
        "should have failed; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn contains(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        if path.is_dir() {
            contains(&path, needle)
        } else {
            std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
        }
    })
}

fn issue(d: &Path) {
    ok(sanji(
        d,
        &[
            "pki", "issue", "node", "--code", VILLAGE, "--ca-dir", "ca", "--out", "certs",
        ],
        &[],
    ));
}

/// A county CA and this village's node certificate in a fresh folder.
fn with_certificate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(sanji(
        dir.path(),
        &["pki", "init", "--county", "360123", "--dir", "ca"],
        &[],
    ));
    issue(dir.path());
    dir
}

fn init(d: &Path, encryption: &str, env: &[(&str, &str)]) -> Output {
    sanji(
        d,
        &[
            "station",
            "init",
            "--code",
            VILLAGE,
            "--hub",
            "127.0.0.1:9",
            "--data",
            "data",
            "--certs",
            "certs",
            "--by",
            "李红梅",
            "--encryption",
            encryption,
        ],
        env,
    )
}

fn add_screening(d: &Path, env: &[(&str, &str)]) -> Output {
    sanji(
        d,
        &[
            "station",
            "screening",
            "add",
            "--party",
            PARTY,
            "--risk",
            "general",
            "--category",
            "land",
            "--people",
            "2",
            "--description",
            "宅基地边界争执",
            "--measures",
            "已约双方调解",
        ],
        env,
    )
}

fn listed(d: &Path, env: &[(&str, &str)]) -> usize {
    let out = ok(sanji(d, &["station", "--json", "list", "screenings"], env));
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let text = value.to_string();
    assert!(text.contains(PARTY), "{text}");
    value["screenings"]
        .as_array()
        .or_else(|| value.as_array())
        .map_or(0, Vec::len)
}

#[test]
fn a_station_store_opens_only_with_its_node_key_and_moves_to_a_renewed_key() {
    let dir = with_certificate();
    let d = dir.path();
    let said = ok(init(d, "node_key", &[]));
    assert!(said.contains("用本站私钥加密"), "{said}");
    ok(add_screening(d, &[]));
    assert_eq!(listed(d, &[]), 1);
    assert!(
        !contains(&d.join("data"), PARTY.as_bytes()),
        "the party's name is on disk in the clear"
    );

    // The laptop's data folder without its key: refused, naming the key file.
    let key = d.join(format!("certs/{VILLAGE}-key.pem"));
    let old_key = d.join("old-key.pem");
    std::fs::rename(&key, &old_key).unwrap();
    let why = refused(sanji(d, &["station", "list"], &[]));
    assert!(why.contains("私钥") && why.contains("-key.pem"), "{why}");

    // The certificate is renewed with a new key: the old data stays locked
    // until the station is rekeyed from the old key file, then everything reads.
    std::fs::remove_file(d.join(format!("certs/{VILLAGE}.pem"))).unwrap();
    issue(d);
    let why = refused(sanji(d, &["station", "list"], &[]));
    assert!(why.contains("密钥不对"), "{why}");
    let wrong = refused(sanji(
        d,
        &["station", "rekey", "--old-key", key.to_str().unwrap()],
        &[],
    ));
    assert!(wrong.contains("密钥不对"), "{wrong}");
    let said = ok(sanji(
        d,
        &["station", "rekey", "--old-key", old_key.to_str().unwrap()],
        &[],
    ));
    assert!(said.contains("已换钥"), "{said}");
    assert_eq!(listed(d, &[]), 1);
    ok(add_screening(d, &[]));
    assert_eq!(listed(d, &[]), 2);
}

#[test]
fn a_passphrase_station_needs_its_passphrase_for_every_command() {
    let dir = with_certificate();
    let d = dir.path();
    let phrase = [("SANJI_PASSPHRASE", "山前村冬季排查")];

    let why = refused(init(d, "passphrase", &[]));
    assert!(why.contains("SANJI_PASSPHRASE"), "{why}");
    assert!(
        !d.join("sanji.toml").exists() && !d.join("data").exists(),
        "a refused init leaves no half-made station"
    );
    ok(init(d, "passphrase", &phrase));
    ok(add_screening(d, &phrase));

    let why = refused(add_screening(d, &[]));
    assert!(why.contains("SANJI_PASSPHRASE"), "{why}");
    let why = refused(add_screening(d, &[("SANJI_PASSPHRASE", "猜的")]));
    assert!(why.contains("密钥不对") && why.contains("口令"), "{why}");
    assert_eq!(listed(d, &phrase), 1);
    assert!(!contains(&d.join("data"), PARTY.as_bytes()));

    let unknown = refused(sanji(
        d,
        &[
            "station",
            "--config",
            "other.toml",
            "init",
            "--code",
            VILLAGE,
            "--hub",
            "127.0.0.1:9",
            "--data",
            "other",
            "--certs",
            "certs",
            "--encryption",
            "rot13",
        ],
        &[],
    ));
    assert!(
        unknown.contains("encryption") && unknown.contains("rot13"),
        "{unknown}"
    );
}
