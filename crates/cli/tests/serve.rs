//! `sanji station serve` as the clerk meets it: the real binary serving a
//! real data folder, station commands typed meanwhile, a real hub on
//! loopback over mTLS (behind the fault proxy as a throttled link), and raw
//! HTTP from a program or web page that has no business driving it. Every
//! wait is on a line a process prints, a process ending, or a sync round.

mod common;
#[path = "../../../tests/proxy.rs"]
#[allow(dead_code)]
mod proxy;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};
use std::time::Duration;

use sanji_domain::record::{Category, Party, RiskLevel, Screening};
use sanji_domain::{Code, EventBody, Origin};
use sanji_node::{NodeConfig, Role, Station};

use common::{HUB, VILLAGE};

fn sanji_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sanji"));
    cmd.args(args)
        .current_dir(dir)
        .env("SANJI_LOG", "info,sled=off")
        .env_remove("SANJI_CONFIG")
        .env_remove("SANJI_PASSPHRASE")
        .env_remove("SANJI_LOCK_WAIT_SECS");
    cmd
}

fn sanji(dir: &Path, args: &[&str]) -> Output {
    sanji_cmd(dir, args).output().expect("sanji runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

fn station(args: &[&str]) -> Vec<String> {
    ["station", "--config", "station.toml"]
        .iter()
        .chain(args)
        .map(|s| (*s).to_owned())
        .collect()
}

fn run_station(d: &Path, args: &[&str]) -> Output {
    let args = station(args);
    sanji(d, &args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A station initialised against `hub_addr` (with `encryption`).
fn setup(d: &Path, hub_addr: &str, encryption: &str) -> PathBuf {
    common::setup_station(
        d,
        hub_addr,
        &["--encryption", encryption],
        &[("SANJI_PASSPHRASE", "村里的口令")],
    )
}

/// `sanji station serve` on port 0, up once it says where it serves; its
/// later stderr is collected in the returned buffer.
struct Serving {
    child: Child,
    addr: String,
    said: std::sync::Arc<std::sync::Mutex<String>>,
}

// The child is stopped in `stop` or on drop.
#[allow(clippy::zombie_processes)]
fn serve(d: &Path, extra_env: &[(&str, &str)]) -> Serving {
    let args = station(&["serve", "--listen", "127.0.0.1:0"]);
    let mut cmd = sanji_cmd(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let addr = loop {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            panic!(
                "serve ended ({}) without serving: {seen}",
                child.wait().unwrap()
            );
        }
        seen.push_str(&line);
        if let Some((_, tail)) = line.split_once("正在 http://") {
            break tail.split_once('/').unwrap().0.to_owned();
        }
    };
    let said = std::sync::Arc::new(std::sync::Mutex::new(seen));
    let sink = said.clone();
    std::thread::spawn(move || drain(lines, sink));
    Serving { child, addr, said }
}

fn drain(mut lines: BufReader<ChildStderr>, sink: std::sync::Arc<std::sync::Mutex<String>>) {
    let mut line = String::new();
    while lines.read_line(&mut line).unwrap_or(0) > 0 {
        sink.lock().unwrap().push_str(&line);
        line.clear();
    }
}

impl Serving {
    /// Stops it as Ctrl-C does and waits for it to end.
    fn stop(mut self) -> String {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "serve ended with {status}");
        self.said.lock().unwrap().clone()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screening(n: usize) -> Screening {
    Screening {
        village: Code::parse(VILLAGE).unwrap(),
        screened_on: sanji_domain::time::cst_date(sanji_sync::Clock::default().now_ms()),
        screener: "李红梅".into(),
        category: Category::Land,
        parties: vec![Party {
            name: format!("王𠮷{n}"),
            contact: None,
        }],
        people_involved: 2,
        risk: RiskLevel::General,
        may_escalate: false,
        mass_incident_risk: false,
        description: format!("宅基地边界纠纷,第 {n} 起,双方各执一词,需村委会到现场丈量后调解"),
        measures: "已约定下周二到现场丈量".into(),
        line: None,
    }
}

const ADD: [&str; 12] = [
    "screening",
    "add",
    "--party",
    "刘长发",
    "--risk",
    "general",
    "--category",
    "land",
    "--people",
    "2",
    "--description",
    "宅基地边界纠纷(同步期间登记)",
];

fn status_json(d: &Path) -> serde_json::Value {
    let out = ok(run_station(d, &["status", "--json"]));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The lock case of issue 9: a sync that takes a while (thousands of
/// records through a throttled link) must not refuse, delay or lose what the
/// clerk types meanwhile; all of it reaches the hub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_typed_during_a_long_sync_are_all_stored_and_all_reach_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    let config = setup(&d, "127.0.0.1:9", "node_key");
    let mut hub_config = NodeConfig::new(
        Role::Hub,
        Code::parse(HUB).unwrap(),
        d.join("hub"),
        d.join("certs"),
    );
    hub_config.listen = Some("127.0.0.1:0".into());
    let hub = sanji_node::server::start(hub_config, "127.0.0.1:0")
        .await
        .unwrap();
    let link = proxy::FaultProxy::start(
        hub.addr,
        proxy::Faults {
            cut: 0.0,
            stall: 0.0,
            stall_then_cut: 0.0,
            stall_max: Duration::ZERO,
            delay: 1.0,
            delay_max: Duration::from_millis(40),
            ..proxy::Faults::default()
        },
        proxy::proxy_seed(),
    )
    .await;
    let mut c = NodeConfig::load(&config).unwrap();
    c.parent_addr = Some(link.addr().to_string());
    c.save(&config).unwrap();

    // A backlog of days offline, for the first background sync to carry.
    const BACKLOG: usize = 4000;
    {
        let station = Station::open(NodeConfig::load(&config).unwrap()).unwrap();
        let bodies = (0..BACKLOG)
            .map(|n| EventBody::ScreeningRecorded(screening(n)))
            .collect();
        station.record_many(None, bodies).unwrap();
    }
    let ledger = Origin::node(Code::parse(VILLAGE).unwrap());
    let hub_holds = || hub.store.head(&ledger).unwrap().map_or(0, |h| h.seq);

    let serving = serve(&d, &[]);
    // Typed until a few were typed while the hub held part of the backlog
    // (so a sync was certainly under way), and at least a dozen in all.
    let mut typed = 0usize;
    let mut typed_mid_sync = 0;
    while typed < 12 || typed_mid_sync < 3 {
        assert!(
            typed < 400 && hub_holds() < BACKLOG as u64,
            "the backlog reached the hub before three records could be typed during its sync ({typed_mid_sync} were)"
        );
        let before = hub_holds();
        let d = d.clone();
        let out = tokio::task::spawn_blocking(move || run_station(&d, &ADD))
            .await
            .unwrap();
        let said = text(&out.stdout) + &text(&out.stderr);
        assert!(out.status.success(), "a record typed is refused: {said}");
        assert!(
            said.contains("本站服务在运行"),
            "handed to the service: {said}"
        );
        typed += 1;
        if before > 0 && hub_holds() < BACKLOG as u64 {
            typed_mid_sync += 1;
        }
    }

    // Asked through the running service: a round after the background one.
    let dd = d.clone();
    let out = tokio::task::spawn_blocking(move || run_station(&dd, &["sync"]))
        .await
        .unwrap();
    ok(out);
    let total = (BACKLOG + typed) as u64;
    assert_eq!(hub_holds(), total, "every record reached the hub");
    let dd = d.clone();
    let status = tokio::task::spawn_blocking(move || status_json(&dd))
        .await
        .unwrap();
    assert_eq!(status["events_recorded"], total);
    assert_eq!(status["pending"], 0, "{status}");
    let said = serving.stop();
    assert!(!said.contains("os error"), "{said}");
    assert!(
        !d.join("station").join("serve.json").exists(),
        "a stopped service leaves no address behind"
    );
    hub.stop().await.unwrap();
}

#[test]
fn a_second_serve_on_the_same_folder_is_told_the_service_already_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "127.0.0.1:9", "node_key");
    let first = serve(d, &[]);

    let out = run_station(d, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    let folder = d.join("station").display().to_string();
    assert!(said.contains(&folder), "names the folder: {said}");
    assert!(said.contains("本站服务已在运行"), "{said}");
    assert!(
        said.contains(&format!("http://{}/", first.addr)),
        "names where it runs: {said}"
    );
    assert!(
        said.contains("请先运行 sanji station stop 停止它"),
        "says what to do: {said}"
    );
    assert_eq!(said.matches("错误").count(), 1, "one sentence: {said}");
    for raw in ["os error", "WouldBlock", "could not acquire lock"] {
        assert!(!said.contains(raw), "{raw:?} in {said}");
    }
    first.stop();

    // Stopped, the folder is free for a command of its own and for the next serve.
    ok(run_station(d, ADD.as_slice()));
    let again = serve(d, &[]);
    assert_eq!(status_json(d)["events_recorded"], 1);
    again.stop();
}

/// Stops the service a test started in the background, should it fail
/// before its own `stop`.
struct Stops<'a>(&'a Path);

impl Drop for Stops<'_> {
    fn drop(&mut self) {
        let _ = run_station(self.0, &["stop"]);
    }
}

/// The status code of `GET url` over loopback.
fn get_status(url: &str) -> u16 {
    let rest = url
        .strip_prefix("http://")
        .expect("a plain loopback address");
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn open_starts_the_service_in_the_background_and_stop_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config_path = setup(d, "127.0.0.1:9", "node_key");
    let mut config = NodeConfig::load(&config_path).unwrap();
    config.listen = Some("127.0.0.1:0".into());
    config.save(&config_path).unwrap();
    let _stops = Stops(d);

    // What the Start-menu shortcut runs, with no service running: one starts
    // and the address it prints lets a browser in, once.
    let out = ok(run_station(d, &["open", "--print-url"]));
    let url = text(&out.stdout).trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(get_status(&url), 303, "the ticket lets a browser in");
    assert_eq!(get_status(&url), 401, "and only once");
    let serve_json = d.join("station").join("serve.json");
    assert!(serve_json.exists(), "the service runs on after open ended");

    // Commands go to it; a second open finds it rather than starting another.
    ok(run_station(d, ADD.as_slice()));
    let again = ok(run_station(d, &["open", "--background"]));
    let port = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        text(&again.stdout).contains(&format!("http://{port}/")),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(status_json(d)["events_recorded"], 1);

    let stopped = ok(run_station(d, &["stop"]));
    assert!(text(&stopped.stdout).contains("本站服务已停止"));
    assert!(!serve_json.exists(), "serve.json removed");
    let idle = ok(run_station(d, &["stop"]));
    assert!(text(&idle.stdout).contains("本站服务没有在运行"));
    // The record stays, read from the folder itself now.
    assert_eq!(status_json(d)["events_recorded"], 1);
}

#[test]
fn serve_refuses_an_address_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "127.0.0.1:9", "node_key");
    for addr in ["0.0.0.0:7181", "192.168.1.20:7181", "[::]:7181"] {
        let out = run_station(d, &["serve", "--listen", addr]);
        assert!(!out.status.success(), "{addr} served");
        let said = text(&out.stderr);
        assert!(
            said.contains("本站服务只能在本机回环地址上提供") && said.contains(addr),
            "{said}"
        );
    }
    assert!(!d.join("station").join("serve.json").exists());
}

/// One raw HTTP/1.1 request; the status code and the body.
fn http(addr: &str, head: &str, body: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /api/request HTTP/1.1\r\n{head}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let code = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (code, body)
}

#[test]
fn requests_without_the_secret_or_from_a_foreign_host_or_page_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "127.0.0.1:9", "node_key");
    let serving = serve(d, &[]);
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("station").join("serve.json")).unwrap())
            .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("station").join("serve.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the secret is its owner's only: {mode:o}");
    }
    let token = info["token"].as_str().unwrap();
    let addr = serving.addr.clone();
    let record = serde_json::json!({
        "request": "record_screening",
        "screening": screening(1),
    })
    .to_string();
    let host = format!("Host: {addr}\r\n");
    let bearer = format!("Authorization: Bearer {token}\r\n");
    let wrong = format!("Authorization: Bearer {}\r\n", "0".repeat(token.len()));
    let refused = [
        (host.clone(), 401, "缺少本站服务的密钥"),
        (format!("{host}{wrong}"), 401, "密钥不对"),
        (
            format!(
                "Host: sanji.example.com:{}\r\n{bearer}",
                addr.split(':').nth(1).unwrap()
            ),
            421,
            "只接受发给本机的请求",
        ),
        (
            format!("{host}{bearer}Origin: http://evil.example\r\n"),
            403,
            "不接受来自其他网页",
        ),
        (
            format!("{host}{bearer}Origin: null\r\n"),
            403,
            "不接受来自其他网页",
        ),
    ];
    for (head, code, says) in refused {
        let (got, body) = http(&addr, &head, &record);
        assert_eq!(got, code, "{head}: {body}");
        assert!(body.contains(says), "{head}: {body}");
    }
    assert_eq!(status_json(d)["events_recorded"], 0, "nothing was written");

    // The same request, from the station's own page or program, is served.
    let own = format!("{host}{bearer}Origin: http://{addr}\r\n");
    let (got, body) = http(&addr, &own, &record);
    assert_eq!(got, 200, "{body}");
    assert_eq!(status_json(d)["events_recorded"], 1);
    serving.stop();
}

#[test]
fn a_sealed_station_serves_locked_until_its_passphrase_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "127.0.0.1:9", "passphrase");
    let serving = serve(d, &[]);

    let out = run_station(d, ADD.as_slice());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("尚未解锁"),
        "{}",
        text(&out.stderr)
    );

    let unlock = |passphrase: &str| {
        let args = station(&["unlock"]);
        let mut child = sanji_cmd(d, &args.iter().map(String::as_str).collect::<Vec<_>>())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{passphrase}").unwrap();
        child.wait_with_output().unwrap()
    };
    let wrong = unlock("不是这个口令");
    assert!(!wrong.status.success());
    assert!(
        text(&wrong.stderr).contains("口令"),
        "{}",
        text(&wrong.stderr)
    );

    ok(unlock("村里的口令"));
    ok(run_station(d, ADD.as_slice()));
    assert_eq!(status_json(d)["events_recorded"], 1);
    let said = serving.stop();
    assert!(
        said.contains("sanji station unlock"),
        "says how to unlock: {said}"
    );
}

#[test]
fn an_install_with_a_bad_setting_leaves_nothing_behind_and_a_good_one_serves() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "127.0.0.1:9", "node_key");
    let home = d.join("installed");
    let install = |encryption: &str| {
        sanji(
            d,
            &[
                "station",
                "install",
                "--home",
                home.to_str().unwrap(),
                "--code",
                VILLAGE,
                "--hub",
                "127.0.0.1:9",
                "--certs",
                "certs",
                "--encryption",
                encryption,
                "--listen",
                "127.0.0.1:0",
                "--no-browser",
            ],
        )
    };

    let refused = install("rot13");
    assert!(!refused.status.success());
    let said = text(&refused.stderr);
    assert!(
        said.contains("encryption") && said.contains("rot13"),
        "{said}"
    );
    for left in ["station.toml", "certs", "sanji"] {
        assert!(!home.join(left).exists(), "{left} left behind: {said}");
    }

    let installed = ok(install("node_key"));
    let said = text(&installed.stdout);
    assert!(said.contains("本站服务已在后台运行"), "{said}");
    let config = home.join("station.toml");
    let config_arg = config.to_str().unwrap();
    let stopped = ok(sanji(d, &["station", "--config", config_arg, "stop"]));
    assert!(text(&stopped.stdout).contains("本站服务已停止"));
    assert!(home.join("sanji").is_file() && home.join("certs/ca.pem").is_file());
}
