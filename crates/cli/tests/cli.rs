//! The `sanji` binary as people use it: the README's main command, and bad
//! input typed at a village laptop answered with the field and the rule,
//! leaving nothing stored.

use std::path::Path;
use std::process::{Command, Output};

fn sanji(dir: &Path, args: &[&str]) -> Output {
    sanji_with(dir, args, Some("sanji-2026"))
}

/// `sanji` as a script runs it, with `passphrase` (the demo people's, by
/// default) for the person named by `--as`.
fn sanji_with(dir: &Path, args: &[&str], passphrase: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sanji"));
    command.env_remove("SANJI_AS_PASSPHRASE");
    if let Some(passphrase) = passphrase {
        command.env("SANJI_AS_PASSPHRASE", passphrase);
    }
    command
        .args(args)
        .current_dir(dir)
        // What a clerk sees: no log settings of the developer's.
        .env_remove("SANJI_LOG")
        .env_remove("RUST_LOG")
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
    assert_eq!(rows.len(), 2, "one row per township: {rows:#?}");
    assert_eq!(rows[0]["township"], "360123100");
    assert!(rows[0]["resolved"].as_u64().unwrap() >= 1);
    // The quiet township files zeros, on its village's zero report.
    assert_eq!(rows[1]["township"], "360123101");
    assert_eq!(rows[1]["received"], 0);
    assert_eq!(rows[1]["screenings"], 0);
    assert_eq!(rows[1]["reporting"]["zero"], 1);
    assert!(report["zero_reports"].as_u64().unwrap() >= 1);
    assert!(report["late_severe_flagged"].as_u64().unwrap() >= 1);
    assert!(report["visits_in_report"].as_u64().unwrap() >= 1);
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
            "--people",
            "1 到 100000",
        ),
        (
            vec![
                "--category",
                "land",
                "--people",
                "0",
                "--description",
                "界址纠纷",
            ],
            "--people",
            "1 到 100000",
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
            "--category",
            "land",
        ),
        (
            vec!["--category", "land", "--people", "2", "--description", "  "],
            "--description",
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
            "--date",
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
            "--date",
            "YYYY-MM-DD",
        ),
        (
            vec![
                "--category",
                "land",
                "--people",
                "2",
                "--description",
                "界址纠纷",
                "--party",
                " ",
            ],
            "第 2 个 --party",
            "不能为空",
        ),
    ] {
        let out = add(&extra);
        assert!(!out.status.success(), "{extra:?} was accepted");
        let message = stderr(&out);
        assert!(
            message.starts_with(&format!("错误:{field}:")) && message.contains(rule),
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
        stderr(&out).contains("--description") && stderr(&out).contains("过长"),
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
    // Two attempts: the retry is logged, but a clerk sees only the one Chinese error.
    let sync = sanji(d, &["station", "sync", "--attempts", "2"]);
    assert!(!sync.status.success());
    // What the clerk reads: the line saying a sync is starting, then one
    // Chinese error; no log lines.
    let said = stderr(&sync);
    let lines: Vec<&str> = said.trim_end().lines().collect();
    assert!(
        lines.len() == 2 && lines[0].starts_with("正在与镇中心"),
        "{said}"
    );
    let message = lines[1];
    assert!(
        message.starts_with("错误:")
            && message.contains("无法连接上级")
            && message.contains("本地数据未受影响"),
        "{message}"
    );
    // Asked for, the log shows, without colour codes in a file or pipe.
    let verbose = sanji(d, &["station", "sync", "--attempts", "2", "--verbose"]);
    let log = stderr(&verbose);
    assert!(log.contains("WARN") && log.contains("retrying"), "{log}");
    assert!(
        !log.contains('\x1b'),
        "colour codes in a redirected log: {log}"
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

    /// The operator's certificate, in the folder of the demo's people (a
    /// person's own machine), never among the hub's certificates.
    fn operator(&self) -> String {
        let people = self.dir.path().join("demo/people");
        let certs = self.dir.path().join("demo/certs");
        let is_person = |n: &String| n.contains("-operator-") && !n.ends_with("-key.pem");
        let names = |dir: &Path| -> Vec<String> {
            std::fs::read_dir(dir)
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        };
        assert!(
            !names(&certs).iter().any(is_person),
            "no person's file among the hub's"
        );
        let name = names(&people).into_iter().find(is_person).unwrap();
        people.join(name).display().to_string()
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

    // Picking the operator's file is not enough: her passphrase is asked for.
    let accept = [
        "hub", "case", "accept", "--config", &hub, "--as", &op, "--json", "--case", short,
    ];
    let unasked = sanji_with(d, &accept, None);
    assert!(!unasked.status.success());
    assert!(
        stderr(&unasked).contains("须由本人输入口令"),
        "{}",
        stderr(&unasked)
    );
    let guessed = sanji_with(d, &accept, Some("guessed-wrong"));
    assert!(!guessed.status.success());
    assert!(
        stderr(&guessed).contains("口令不对"),
        "{}",
        stderr(&guessed)
    );
    let accepted = json(&sanji(d, &accept));
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
    assert_eq!(file["id"], id.as_str(), "one object, the id a field of it");
    assert_eq!(file["registration"]["first_receiver"], "赵敏");
    assert_eq!(file["status"], "awaiting_approval");

    // 上传附件 from the command line: the file by its path; one missing is
    // named by its flag, and nothing is written.
    let scan = d.join("来信扫描件.pdf");
    std::fs::write(&scan, b"%PDF-1.4 \xe6\x9d\xa5\xe4\xbf\xa1").unwrap();
    let attach = |path: &str| {
        sanji(
            d,
            &[
                "hub",
                "case",
                "attach",
                "--config",
                &hub,
                "--as",
                &op,
                "--json",
                "--case",
                &number,
                "--title",
                "来信扫描件",
                "--file",
                path,
            ],
        )
    };
    let missing = attach("不存在.pdf");
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).starts_with("错误:参数 --file:无法读取文件"),
        "{}",
        stderr(&missing)
    );
    let attached = attach(scan.to_str().unwrap());
    assert!(attached.status.success(), "{}", stderr(&attached));
    let file = json(&sanji(
        d,
        &[
            "hub", "case", "show", "--config", &hub, "--json", "--case", &number,
        ],
    ));
    assert_eq!(
        file["attachments"][0]["attachment"]["name"],
        "来信扫描件.pdf"
    );
    assert_eq!(
        file["attachments"][0]["attachment"]["sha256"],
        sanji_domain::attachment::content_hash(&std::fs::read(&scan).unwrap()).as_str()
    );

    let due = json(&sanji(d, &["hub", "due", "--config", &hub, "--json"]));
    assert!(
        due.as_array()
            .unwrap()
            .iter()
            .any(|r| r["case_number"] == number.as_str())
    );

    let month = file["accepted_on"].as_str().unwrap()[..7].to_owned();
    // A month mistyped is named by its flag, once.
    let bad = sanji(
        d,
        &["hub", "report", "--config", &hub, "--month", "2026-13"],
    );
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).starts_with("错误:--month:") && !stderr(&bad).contains("字段"),
        "{}",
        stderr(&bad)
    );
    // So is a place outside the township, refused by the running hub.
    let outside = sanji(
        d,
        &[
            "hub",
            "case",
            "register",
            "--config",
            &hub,
            "--as",
            &op,
            "--category",
            "land",
            "--party",
            "周大山",
            "--claim",
            "调处",
            "--place",
            "360123200201",
        ],
    );
    assert!(!outside.status.success());
    assert!(
        stderr(&outside).starts_with("错误:--place:") && !stderr(&outside).contains("payload"),
        "{}",
        stderr(&outside)
    );
    let report = json(&sanji(
        d,
        &[
            "county", "report", "--config", &county, "--json", "--month", &month,
        ],
    ));
    // The demo's two townships: the busy one, and the quiet one's 零报告.
    assert_eq!(report["rows"].as_array().unwrap().len(), 2);
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
        text.starts_with("\u{feff}单位,月份,报送情况,受理登记") && text.contains("\n合计,"),
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

/// The mistakes clap finds itself (a word for a number, a missing flag, an
/// unknown command) are told in Chinese, naming the flag and what it takes.
#[test]
fn command_line_mistakes_are_told_in_chinese_with_what_the_flag_takes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let screening = |extra: &[&str]| {
        let mut args = vec![
            "station",
            "screening",
            "add",
            "--risk",
            "general",
            "--party",
            "刘长发",
        ];
        args.extend_from_slice(extra);
        sanji(d, &args)
    };
    let english = [
        "error:",
        "invalid digit",
        "Usage:",
        "required arguments",
        "For more information",
    ];
    let cases: Vec<(Output, Vec<&str>)> = vec![
        (
            screening(&[
                "--category",
                "land",
                "--people",
                "十二",
                "--description",
                "x",
            ]),
            vec!["--people", "十二", "整数", "涉及人数"],
        ),
        (
            screening(&["--people", "2", "--description", "x"]),
            vec![
                "缺少必填项 --category",
                "land(土地山林水利)",
                "中文名称",
                "用法:",
            ],
        ),
        (
            sanji(d, &["station", "frob"]),
            vec!["不认识的命令", "frob", "screening", "sanji station --help"],
        ),
        (
            screening(&["--categry", "land"]),
            vec!["不认识的选项 --categry", "--category"],
        ),
    ];
    for (out, want) in cases {
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{message}");
        assert!(message.starts_with("错误:"), "{message}");
        for w in want {
            assert!(message.contains(w), "want {w:?} in: {message}");
        }
        for e in english {
            assert!(!message.contains(e), "clap's English {e:?} in: {message}");
        }
    }
    let help = sanji(d, &["station", "visit", "add", "--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for w in [
        "用法:",
        "选项:",
        "显示帮助",
        "in_person(来访)",
        "--people",
        "默认 1",
    ] {
        assert!(text.contains(w), "want {w:?} in: {text}");
    }
    for e in ["Usage:", "Options:", "Print help", "[default:"] {
        assert!(!text.contains(e), "clap's English {e:?} in: {text}");
    }
}

/// A county CA and the certificates named, in `d/ca` and `d/certs`.
fn issue(d: &Path, codes: &[&str]) {
    let ok = |out: Output| assert!(out.status.success(), "{}", stderr(&out));
    ok(sanji(
        d,
        &["pki", "init", "--county", "360123", "--dir", "ca"],
    ));
    for c in codes {
        ok(sanji(
            d,
            &[
                "pki", "issue", "node", "--code", c, "--ca-dir", "ca", "--out", "certs",
            ],
        ));
    }
}

fn init(d: &Path, code: &str) -> Output {
    sanji(
        d,
        &[
            "station",
            "init",
            "--code",
            code,
            "--hub",
            "127.0.0.1:9",
            "--data",
            "data",
            "--certs",
            "certs",
            "--by",
            "李红梅",
        ],
    )
}

fn rename_cert(certs: &Path, from: &str, to: &str) {
    for suffix in [".pem", "-key.pem"] {
        std::fs::rename(
            certs.join(format!("{from}{suffix}")),
            certs.join(format!("{to}{suffix}")),
        )
        .unwrap();
    }
}

#[test]
fn a_station_with_another_villages_certificate_is_refused_at_init_and_at_every_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    issue(d, &["360123100201", "360123100202"]);
    let certs = d.join("certs");

    // A typo in --code: the folder holds 201's and 202's, so the clerk is asked to check the code.
    let typo = init(d, "360123100203");
    assert!(!typo.status.success());
    let message = stderr(&typo);
    assert!(
        message.contains("360123100203")
            && message.contains("360123100201")
            && message.contains("360123100202")
            && message.contains("--code")
            && !message.contains("pki issue"),
        "{message}"
    );

    // Village 201's certificate renamed into village 204's place.
    std::fs::remove_file(certs.join("360123100202.pem")).unwrap();
    std::fs::remove_file(certs.join("360123100202-key.pem")).unwrap();
    rename_cert(&certs, "360123100201", "360123100204");
    let renamed = init(d, "360123100204");
    assert!(
        !renamed.status.success(),
        "initialised with 201's certificate"
    );
    let message = stderr(&renamed);
    assert!(
        message.contains("360123100204.pem")
            && message.contains("属于 360123100201")
            && message.contains("--code 360123100201"),
        "{message}"
    );
    assert!(!d.join("sanji.toml").exists() && !d.join("data").exists());

    // Set up rightly, then the certificate swapped for another village's: no command opens it.
    rename_cert(&certs, "360123100204", "360123100201");
    let ok = init(d, "360123100201");
    assert!(ok.status.success(), "{}", stderr(&ok));
    let ok = sanji(
        d,
        &[
            "pki",
            "issue",
            "node",
            "--code",
            "360123100205",
            "--ca-dir",
            "ca",
            "--out",
            "other",
        ],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    for suffix in [".pem", "-key.pem"] {
        std::fs::copy(
            d.join("other").join(format!("360123100205{suffix}")),
            certs.join(format!("360123100201{suffix}")),
        )
        .unwrap();
    }
    for args in [
        vec!["station", "status"],
        vec![
            "station",
            "screening",
            "add",
            "--category",
            "land",
            "--risk",
            "general",
            "--party",
            "刘长发",
            "--people",
            "2",
            "--description",
            "界址纠纷",
        ],
    ] {
        let out = sanji(d, &args);
        assert!(!out.status.success(), "{args:?} ran with 205's certificate");
        assert!(
            stderr(&out).contains("属于 360123100205")
                && stderr(&out).contains("不是本站 360123100201"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn an_export_is_readable_by_its_owner_only_never_overwrites_and_can_be_sealed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    issue(d, &["360123100201"]);
    assert!(init(d, "360123100201").status.success());
    let add = sanji(
        d,
        &[
            "station",
            "screening",
            "add",
            "--category",
            "land",
            "--risk",
            "general",
            "--party",
            "刘长发",
            "--people",
            "2",
            "--description",
            "宅基地界址纠纷",
        ],
    );
    assert!(add.status.success(), "{}", stderr(&add));

    let out = sanji(d, &["station", "export", "--out", "export.jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("1 条记录") && said.contains("个人信息"),
        "{said}"
    );
    let plain = d.join("export.jsonl");
    let mode = std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(text.contains("刘长发"));

    std::fs::write(d.join("taken.jsonl"), "别的文件").unwrap();
    let again = sanji(d, &["station", "export", "--out", "taken.jsonl"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("已存在"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(d.join("taken.jsonl")).unwrap(),
        "别的文件"
    );

    let sealed = |args: &[&str], passphrase: &str| {
        Command::new(env!("CARGO_BIN_EXE_sanji"))
            .args(args)
            .current_dir(d)
            .env_remove("SANJI_LOG")
            .env_remove("SANJI_CONFIG")
            .env("HANDOVER", passphrase)
            .output()
            .unwrap()
    };
    let out = sealed(
        &[
            "station",
            "export",
            "--out",
            "export.sealed",
            "--seal-passphrase-env",
            "HANDOVER",
        ],
        "交接口令",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(d.join("export.sealed")).unwrap();
    assert!(
        !bytes.windows(9).any(|w| w == "刘长发".as_bytes()),
        "names in the clear"
    );
    let open = [
        "station",
        "open-export",
        "--in",
        "export.sealed",
        "--out",
        "opened.jsonl",
        "--passphrase-env",
        "HANDOVER",
    ];
    let wrong = sealed(&open, "错的");
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("口令不对"), "{}", stderr(&wrong));
    let opened = sealed(&open, "交接口令");
    assert!(opened.status.success(), "{}", stderr(&opened));
    assert_eq!(
        std::fs::read_to_string(d.join("opened.jsonl")).unwrap(),
        text
    );
    let mode = std::fs::metadata(d.join("opened.jsonl"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}

#[test]
fn pki_issue_tells_scripts_the_file_names_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    issue(d, &[]);
    let person = json(&sanji(
        d,
        &[
            "pki",
            "issue",
            "person",
            "--code",
            "360123100",
            "--role",
            "总台",
            "--name",
            "赵敏",
            "--ca-dir",
            "ca",
            "--out",
            "people",
            // The helper gives scripts' passphrase in this variable.
            "--passphrase-env",
            "SANJI_AS_PASSPHRASE",
            "--json",
        ],
    ));
    let name = person["name"].as_str().unwrap();
    assert!(
        d.join("people").join(format!("{name}.pem")).exists(),
        "{person:#}"
    );
    assert_eq!(person["role"], "operator");
    let node = json(&sanji(
        d,
        &[
            "pki",
            "issue",
            "node",
            "--code",
            "360123100",
            "--ca-dir",
            "ca",
            "--out",
            "hub",
            "--json",
        ],
    ));
    assert_eq!(node["name"], "360123100");
    assert_eq!(node["files"].as_array().unwrap().len(), 3);
}

#[test]
fn the_administrator_keeps_the_directory_of_names_from_the_command_line() {
    let demo = ServingDemo::start();
    let d = demo.dir.path();
    let hub = demo.path("config/360123100.toml");
    let county = demo.path("config/360123.toml");

    let listed = json(&sanji(
        d,
        &["hub", "directory", "list", "--config", &hub, "--json"],
    ));
    assert_eq!(listed["villages"][0]["name"], "东山村", "{listed}");
    let added = json(&sanji(
        d,
        &[
            "hub",
            "directory",
            "village",
            "add",
            "--config",
            &hub,
            "--json",
            "--code",
            "360123100204",
            "--name",
            "北坪村",
        ],
    ));
    assert!(
        added["villages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["code"] == "360123100204" && v["name"] == "北坪村"),
        "{added}"
    );
    // A village of another township is refused, in Chinese, and not kept.
    let refused = sanji(
        d,
        &[
            "hub",
            "directory",
            "village",
            "add",
            "--config",
            &hub,
            "--code",
            "360123101204",
            "--name",
            "外村",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("360123101204 不是 360123100 下辖的村"),
        "{}",
        stderr(&refused)
    );
    let units = sanji(
        d,
        &[
            "hub",
            "directory",
            "unit",
            "retire",
            "--config",
            &hub,
            "--name",
            "法庭",
        ],
    );
    assert!(units.status.success(), "{}", stderr(&units));
    assert!(String::from_utf8_lossy(&units.stdout).contains("已停用"));
    let townships = json(&sanji(
        d,
        &["county", "directory", "list", "--config", &county, "--json"],
    ));
    assert_eq!(townships["townships"][0]["name"], "石门镇", "{townships}");
}

#[test]
fn an_old_ledger_is_imported_from_the_command_line_with_the_pages_messages() {
    let demo = ServingDemo::start();
    let d = demo.dir.path();
    let hub = demo.path("config/360123100.toml");
    let op = demo.operator();
    let header = "排查日期,村,类别,风险等级,易激化,群体性,涉及人数,当事人,基本情况,化解措施,排查人";
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        format!("{header}\n2025/6/18,无此村,土地山林水利,一般,,,2,王某,界址纠纷,,李明\n"),
    )
    .unwrap();
    let import = |file: &Path, dry: bool| {
        let file = file.display().to_string();
        let mut args = vec![
            "hub",
            "import",
            "--config",
            &hub,
            "--as",
            &op,
            "--kind",
            "screenings",
            "--file",
            &file,
        ];
        if dry {
            args.push("--dry-run");
        }
        sanji(d, &args)
    };
    let out = import(&bad, false);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("第 2 行「村」:名录中没有叫「无此村」的村"),
        "{said}"
    );
    assert!(said.contains("「bad.csv」有 1 处问题"), "{said}");

    let good = d.join("good.csv");
    std::fs::write(
        &good,
        format!("{header}\n2025/6/18,东山村,土地山林水利,一般,,,2,王某,界址纠纷,,李明\n"),
    )
    .unwrap();
    let out = import(&good, true);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}{}", stderr(&out));
    assert!(
        said.contains("「good.csv」检查无误:共 1 条排查可以导入"),
        "{said}"
    );
    let out = import(&good, false);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}{}", stderr(&out));
    assert!(said.contains("已从「good.csv」导入 1 条排查"), "{said}");
    let out = import(&good, false);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("第 2 行:这条记录已经导入过"));
}

/// The township's books from the command line, against the running hub:
/// a 专项排查 declared and counted, a hotspot recorded (and one refused by
/// its flag), the notices the demo's case work issued.
#[test]
fn the_township_books_are_kept_from_the_command_line() {
    let demo = ServingDemo::start();
    let d = demo.dir.path();
    let hub = demo.path("config/360123100.toml");
    let op = demo.operator();
    let today = sanji_domain::time::cst_date(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64,
    );
    let soon = (today + chrono::Days::new(10)).to_string();

    let declared = json(&sanji(
        d,
        &[
            "hub",
            "campaign",
            "add",
            "--config",
            &hub,
            "--as",
            &op,
            "--json",
            "--topic",
            "春节前矛盾纠纷专项排查",
            "--to",
            &soon,
            "--category",
            "land",
            "--category",
            "劳资",
        ],
    ));
    let entry = declared["entity"].as_str().unwrap().to_owned();
    let list = json(&sanji(d, &["hub", "campaigns", "--config", &hub, "--json"]));
    assert_eq!(list[0]["record"]["topic"], "春节前矛盾纠纷专项排查");
    assert_eq!(
        list[0]["record"]["categories"],
        serde_json::json!(["land", "labour"])
    );
    let shown = json(&sanji(
        d,
        &[
            "hub", "campaign", "show", "--config", &hub, "--json", "--entry", &entry,
        ],
    ));
    assert!(!shown["tally"]["villages"].as_array().unwrap().is_empty());
    let backwards = sanji(
        d,
        &[
            "hub",
            "campaign",
            "add",
            "--config",
            &hub,
            "--as",
            &op,
            "--topic",
            "专项",
            "--from",
            &soon,
            "--to",
            &today.to_string(),
        ],
    );
    assert!(!backwards.status.success());
    assert!(
        stderr(&backwards).starts_with("错误:--to:"),
        "{}",
        stderr(&backwards)
    );

    let hotspot = |unit: &str| {
        sanji(
            d,
            &[
                "hub",
                "hotspot",
                "add",
                "--config",
                &hub,
                "--as",
                &op,
                "--json",
                "--area",
                "镇中心小学周边",
                "--problem",
                "上下学时段交通拥堵",
                "--measures",
                "设护学岗",
                "--unit",
                unit,
                "--person",
                "陈警官",
                "--until",
                &soon,
            ],
        )
    };
    let refused = hotspot("林业站");
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).starts_with("错误:--unit:") && stderr(&refused).contains("林业站"),
        "{}",
        stderr(&refused)
    );
    assert!(hotspot("派出所").status.success());
    let book = json(&sanji(d, &["hub", "hotspots", "--config", &hub, "--json"]));
    let areas: Vec<&str> = book["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record"]["area"].as_str().unwrap())
        .collect();
    assert!(areas.contains(&"镇中心小学周边"), "{areas:?}");

    // The center's own screener (分区分线), by village and trade.
    let screened = json(&sanji(
        d,
        &[
            "hub",
            "screening",
            "add",
            "--config",
            &hub,
            "--as",
            &op,
            "--json",
            "--village",
            "360123100201",
            "--line",
            "学校周边",
            "--category",
            "other",
            "--risk",
            "general",
            "--party",
            "张三",
            "--people",
            "2",
            "--description",
            "校门口摊贩与家长争执",
        ],
    ));
    let screening = screened["entity"].as_str().unwrap().to_owned();
    let listed = json(&sanji(
        d,
        &["hub", "screenings", "--config", &hub, "--json"],
    ));
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == screening.as_str())
        .expect("listed");
    assert_eq!(
        (row["line"].as_str(), row["by_center"].as_bool()),
        (Some("学校周边"), Some(true))
    );
    let outside = sanji(
        d,
        &[
            "hub",
            "screening",
            "add",
            "--config",
            &hub,
            "--as",
            &op,
            "--village",
            "360123100",
            "--category",
            "other",
            "--risk",
            "general",
            "--party",
            "张三",
            "--people",
            "2",
            "--description",
            "x",
        ],
    );
    assert!(
        stderr(&outside).starts_with("错误:--village:"),
        "{}",
        stderr(&outside)
    );

    let dispatched = json(&sanji(
        d,
        &[
            "hub", "notices", "--config", &hub, "--json", "--book", "交办",
        ],
    ));
    assert!(
        dispatched["notices"][0]["serial"]
            .as_str()
            .unwrap()
            .starts_with("交〔"),
        "{dispatched}"
    );
    // A year travels to the hub as asked (it once went missing on the way).
    let year = chrono::Datelike::year(&today).to_string();
    let register = json(&sanji(
        d,
        &[
            "hub", "register", "--config", &hub, "--json", "--year", &year,
        ],
    ));
    assert_eq!(register["year"].to_string(), year);
    assert!(!register["rows"].as_array().unwrap().is_empty());
    // The self-assessment as the ledgers score it now, and as filed.
    let half = format!(
        "{}-H{}",
        chrono::Datelike::year(&today),
        if chrono::Datelike::month(&today) <= 6 {
            1
        } else {
            2
        }
    );
    let sheet = json(&sanji(
        d,
        &[
            "hub",
            "assessment",
            "--config",
            &hub,
            "--json",
            "--period",
            &half,
        ],
    ));
    assert_eq!(
        sheet["now"]["items"].as_array().unwrap().len(),
        sanji_domain::assessment::ITEMS.len()
    );
    // The demo's director filed it once.
    assert_eq!(sheet["filed"]["revision"], 1);
    assert_eq!(sheet["filed"]["township"], "360123100");
    let unknown = sanji(
        d,
        &["hub", "notices", "--config", &hub, "--book", "letters"],
    );
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("通知书种类"),
        "{}",
        stderr(&unknown)
    );
}
