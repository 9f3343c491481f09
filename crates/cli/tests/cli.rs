//! The `sanji` binary as people use it: the README's main command, and bad
//! input typed at a village laptop answered with the field and the rule,
//! leaving nothing stored.

use std::path::Path;
use std::process::{Command, Output};

fn sanji(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sanji"))
        .args(args)
        .current_dir(dir)
        .env("SANJI_LOG", "error")
        .env_remove("SANJI_CONFIG")
        .env_remove("SANJI_AS")
        .output()
        .expect("sanji runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "stderr: {}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn the_demo_converges_across_all_three_tiers() {
    let dir = tempfile::tempdir().unwrap();
    let out = sanji(dir.path(), &["demo", "--once", "--json", "--dir", "demo"]);
    let report = json(&out);
    assert_eq!(report["converged"], true, "{report:#}");
    assert_eq!(report["stations"].as_array().unwrap().len(), 3);
    assert_eq!(report["events_created"], report["events_at_hub"]);
    assert_eq!(report["severe_created"], report["severe_at_county"]);
    assert!(report["severe_at_county"].as_u64().unwrap() > 0);
    assert!(report["cases_archived"].as_u64().unwrap() >= 1);
    assert!(report["urges_delivered"].as_u64().unwrap() >= 1);
    assert!(report["conflicts"].as_u64().unwrap() >= 1);
    let rows = report["county_report"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "one row per township");
    assert_eq!(rows[0]["township"], "360123100");
    assert!(rows[0]["resolved"].as_u64().unwrap() >= 1);
}

#[test]
fn bad_input_at_a_village_station_names_the_field_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        sanji(d, &["pki", "init", "--county", "360123", "--dir", "ca"])
            .status
            .success()
    );
    let issued = sanji(
        d,
        &[
            "pki",
            "issue",
            "node",
            "--code",
            "360123100201",
            "--ca-dir",
            "ca",
            "--out",
            "certs",
        ],
    );
    assert!(issued.status.success(), "{}", stderr(&issued));

    let short = sanji(
        d,
        &[
            "station",
            "init",
            "--code",
            "36012310020",
            "--hub",
            "127.0.0.1:9",
            "--data",
            "data",
            "--certs",
            "certs",
        ],
    );
    assert!(!short.status.success());
    assert!(
        stderr(&short).contains("code") && stderr(&short).contains("11 位"),
        "{}",
        stderr(&short)
    );

    let init = sanji(
        d,
        &[
            "station",
            "init",
            "--code",
            "360123100201",
            "--hub",
            "127.0.0.1:9",
            "--data",
            "data",
            "--certs",
            "certs",
            "--by",
            "李红梅",
        ],
    );
    assert!(init.status.success(), "{}", stderr(&init));

    let add = |extra: &[&str]| {
        let mut args = vec![
            "station",
            "screening",
            "add",
            "--party",
            "刘长发",
            "--risk",
            "general",
        ];
        args.extend_from_slice(extra);
        sanji(d, &args)
    };
    for (extra, field, rule) in [
        (
            vec![
                "--category",
                "land",
                "--people",
                "-3",
                "--description",
                "界址纠纷",
            ],
            "people",
            "正整数",
        ),
        (
            vec![
                "--category",
                "weather",
                "--people",
                "2",
                "--description",
                "界址纠纷",
            ],
            "category",
            "land",
        ),
        (
            vec!["--category", "land", "--people", "2", "--description", "  "],
            "description",
            "不能为空",
        ),
        (
            vec![
                "--category",
                "land",
                "--people",
                "2",
                "--description",
                "界址纠纷",
                "--date",
                "2099-01-01",
            ],
            "screened_on",
            "将来",
        ),
        (
            vec![
                "--category",
                "land",
                "--people",
                "2",
                "--description",
                "界址纠纷",
                "--date",
                "2026/11/01",
            ],
            "date",
            "YYYY-MM-DD",
        ),
    ] {
        let out = add(&extra);
        assert!(!out.status.success(), "{extra:?} was accepted");
        let message = stderr(&out);
        assert!(
            message.contains(field) && message.contains(rule),
            "{extra:?}: {message}"
        );
    }
    let long = "纠".repeat(2001);
    let out = add(&[
        "--category",
        "land",
        "--people",
        "2",
        "--description",
        &long,
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("description") && stderr(&out).contains("过长"),
        "{}",
        stderr(&out)
    );

    let status = json(&sanji(d, &["station", "status", "--json"]));
    assert_eq!(
        status["events_recorded"], 0,
        "nothing of the bad input was stored"
    );

    // A good record, then a sync with the hub unreachable: a clear error, the record kept.
    let good = add(&[
        "--category",
        "land",
        "--people",
        "2",
        "--description",
        "宅基地界址纠纷",
    ]);
    assert!(good.status.success(), "{}", stderr(&good));
    let sync = sanji(d, &["station", "sync", "--attempts", "1"]);
    assert!(!sync.status.success());
    assert!(
        stderr(&sync).contains("无法连接上级") && stderr(&sync).contains("本地数据未受影响"),
        "{}",
        stderr(&sync)
    );
    let status = json(&sanji(d, &["station", "status", "--json"]));
    assert_eq!(status["events_recorded"], 1);
    assert_eq!(status["pending"], 1);
    assert!(
        status["last_sync"]["error"]
            .as_str()
            .unwrap()
            .contains("无法连接上级")
    );
}
