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

/// The demo left serving, and an operator working it from another terminal.
struct ServingDemo {
    child: std::process::Child,
    dir: tempfile::TempDir,
    /// What the demo printed before it began to wait for Ctrl-C.
    printed: Vec<String>,
}

impl ServingDemo {
    /// Starts `sanji demo` and waits until it prints that it is serving.
    fn start() -> ServingDemo {
        use std::io::{BufRead, BufReader};
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sanji"))
            .args(["demo", "--dir", "demo"])
            .current_dir(dir.path())
            .env("SANJI_LOG", "error")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // The last line the demo prints before it waits for Ctrl-C.
        let mut printed = Vec::new();
        for line in lines.by_ref().map_while(Result::ok) {
            let serving = line.contains("按 Ctrl-C 停止");
            printed.push(line);
            if serving {
                break;
            }
        }
        assert!(
            printed.last().is_some_and(|l| l.contains("按 Ctrl-C 停止")),
            "the demo ended before serving"
        );
        // Keep draining so the demo never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServingDemo {
            child,
            dir,
            printed,
        }
    }

    fn path(&self, rel: &str) -> String {
        self.dir.path().join("demo").join(rel).display().to_string()
    }

    fn operator(&self) -> String {
        std::fs::read_dir(self.dir.path().join("demo/certs"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .find(|n| n.contains("-operator-") && !n.ends_with("-key.pem"))
            .unwrap()
            .trim_end_matches(".pem")
            .to_owned()
    }
}

impl Drop for ServingDemo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn operators_work_cases_from_the_command_line_against_running_servers() {
    let demo = ServingDemo::start();
    let d = demo.dir.path();
    let hub = demo.path("config/360123100.toml");
    let county = demo.path("config/360123.toml");
    let op = demo.operator();

    let registered = json(&sanji(
        d,
        &[
            "hub",
            "case",
            "register",
            "--config",
            &hub,
            "--as",
            &op,
            "--json",
            "--category",
            "land",
            "--party",
            "周大山",
            "--people",
            "3",
            "--claim",
            "要求调处山林界址",
            "--place",
            "360123100202",
        ],
    ));
    assert_eq!(registered["status"], "registered");
    let id = registered["entity"].as_str().unwrap().to_owned();
    let short = &id.replace('-', "")[24..];

    let accepted = json(&sanji(
        d,
        &[
            "hub", "case", "accept", "--config", &hub, "--as", &op, "--json", "--case", short,
        ],
    ));
    assert_eq!(accepted["status"], "accepted");
    let number = accepted["case_number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("360123100-"), "{number}");

    // The operator may not approve; the refusal names the rule and the state.
    let assigned = sanji(
        d,
        &[
            "hub",
            "case",
            "assign",
            "--config",
            &hub,
            "--as",
            &op,
            "--case",
            &number,
            "--unit",
            "司法所",
            "--person",
            "孙立",
        ],
    );
    assert!(assigned.status.success(), "{}", stderr(&assigned));
    let approve = sanji(
        d,
        &[
            "hub", "case", "approve", "--config", &hub, "--as", &op, "--case", &number,
        ],
    );
    assert!(!approve.status.success());
    assert!(
        stderr(&approve).contains("中心主任") && stderr(&approve).contains("分流待审批"),
        "{}",
        stderr(&approve)
    );

    // 首问首接: the person at the window stays the first receiver.
    let file = json(&sanji(
        d,
        &[
            "hub", "case", "show", "--config", &hub, "--json", "--case", &number,
        ],
    ));
    assert!(file["id"].is_string(), "a case file names its id: {file}");
    assert_eq!(file["registration"]["first_receiver"], "赵敏");
    assert_eq!(file["status"], "awaiting_approval");

    let due = json(&sanji(d, &["hub", "due", "--config", &hub, "--json"]));
    assert!(
        due.as_array()
            .unwrap()
            .iter()
            .any(|r| r["case_number"] == number.as_str())
    );

    let month = file["accepted_on"].as_str().unwrap()[..7].to_owned();
    let report = json(&sanji(
        d,
        &[
            "county", "report", "--config", &county, "--json", "--month", &month,
        ],
    ));
    assert_eq!(report["rows"].as_array().unwrap().len(), 1);
    let csv = d.join("report.csv");
    let out = sanji(
        d,
        &[
            "county",
            "report",
            "--config",
            &county,
            "--month",
            &month,
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("单位,月份,受理登记") && text.contains("\n合计,"),
        "{text}"
    );
}

/// The administrator at the server creates console accounts through the
/// running hub: a one-time password printed once, the account listed,
/// mistakes refused in Chinese, a reset issuing a new password.
#[test]
fn the_administrator_manages_console_accounts_on_a_running_hub() {
    let demo = ServingDemo::start();
    let d = demo.dir.path();
    let hub = demo.path("config/360123100.toml");
    let added = json(&sanji(
        d,
        &[
            "hub", "user", "add", "--config", &hub, "--json", "--name", "刘芳", "--role", "总台",
        ],
    ));
    let password = added["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 12);
    assert_eq!(added["accounts"][0]["role"], "operator");
    assert_eq!(added["accounts"][0]["must_change_password"], true);
    assert!(!added.to_string().contains("argon2"), "{added}");

    let refused = Command::new(env!("CARGO_BIN_EXE_sanji"))
        .args([
            "hub",
            "user",
            "add",
            "--config",
            &hub,
            "--name",
            "孙立",
            "--role",
            "unit_staff",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("所属单位"),
        "{}",
        stderr(&refused)
    );

    let reset = json(&sanji(
        d,
        &[
            "hub", "user", "reset", "--config", &hub, "--json", "--login", "刘芳",
        ],
    ));
    assert_ne!(reset["one_time_password"].as_str().unwrap(), password);
    let list = sanji(d, &["hub", "user", "list", "--config", &hub]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("刘芳") && text.contains("待首次登录改密码"),
        "{text}"
    );
}

#[test]
fn every_command_the_demo_suggests_runs_as_printed() {
    let demo = ServingDemo::start();
    let suggested: Vec<&str> = demo
        .printed
        .iter()
        .filter_map(|l| l.trim_start().strip_prefix("sanji "))
        .collect();
    for wanted in ["hub case show ", "hub case urge ", "station sync "] {
        assert!(
            suggested.iter().any(|c| c.starts_with(wanted)),
            "the demo suggests `sanji {wanted}…`: {suggested:#?}"
        );
    }
    for command in suggested {
        // As a shell would split it: the demo's paths have no spaces.
        let args: Vec<&str> = command.split_whitespace().collect();
        let out = sanji(demo.dir.path(), &args);
        assert!(
            out.status.success(),
            "`sanji {command}` failed: {}",
            stderr(&out)
        );
    }
}

#[test]
fn the_demo_reports_every_case_number_the_hub_gave() {
    let dir = tempfile::tempdir().unwrap();
    let out = sanji(dir.path(), &["demo", "--once", "--json", "--dir", "demo"]);
    let report = json(&out);
    let listed: Vec<String> = serde_json::from_value(report["case_numbers"].clone()).unwrap();
    let hub = sanji_store::Store::open(
        &dir.path().join("demo/data/360123100"),
        &sanji_domain::Code::parse("360123100").unwrap(),
        sanji_store::StoreOptions::default(),
    )
    .unwrap();
    let mut given: Vec<String> = sanji_node::views::cases(&hub, "")
        .unwrap()
        .into_iter()
        .filter_map(|c| c.case_number)
        .collect();
    given.sort();
    assert!(given.len() >= 3, "the demo's hub numbered {given:?}");
    assert_eq!(
        listed, given,
        "case_numbers lists every number the hub gave"
    );
}
