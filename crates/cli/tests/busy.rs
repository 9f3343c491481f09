//! A data folder another `sanji` process is using, and a sync stopped with
//! Ctrl-C, as the clerk meets them: the real binary, a real second holder of
//! the folder's lock, a real SIGINT. Every wait is on a line the process
//! prints or on the process ending, never on time passing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};

use sanji_node::{NodeConfig, Role, Station};

mod common;

use common::{HUB, code};

/// What a raw lock error from sled or the OS looks like; the clerk must see none of it.
const RAW_LOCK_TEXT: [&str; 4] = [
    "could not acquire lock",
    "Resource temporarily unavailable",
    "WouldBlock",
    "os error",
];

fn sanji_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sanji"));
    cmd.args(args)
        .current_dir(dir)
        .env("SANJI_LOG", "error")
        .env_remove("SANJI_CONFIG")
        .env_remove("SANJI_AS")
        .env_remove("SANJI_LOCK_WAIT_SECS");
    cmd
}

fn sanji(dir: &Path, args: &[&str]) -> Output {
    sanji_cmd(dir, args).output().expect("sanji runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

/// Starts `args` with stderr piped, and reads it until a line containing
/// `said`; returns the child, that line and the rest of its stderr.
// The child is the caller's to wait for; a panic here ends the test anyway.
#[allow(clippy::zombie_processes)]
fn spawn_until(dir: &Path, args: &[&str], said: &str) -> (Child, String, BufReader<ChildStderr>) {
    let mut child = sanji_cmd(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            panic!(
                "{args:?} ended ({}) without saying {said:?}: {seen}",
                child.wait().unwrap()
            );
        }
        if line.contains(said) {
            return (child, line, lines);
        }
        seen.push_str(&line);
    }
}

/// Starts `sanji hub serve` on `hub.toml` (listening on port 0) and returns
/// it with the address it serves on, read from the line it prints.
fn serve_hub(d: &Path) -> (Child, String) {
    let mut hub = NodeConfig::new(Role::Hub, code(HUB), d.join("hub"), d.join("certs"));
    hub.listen = Some("127.0.0.1:0".into());
    hub.save(&d.join("hub.toml")).unwrap();
    let (child, line, mut rest) =
        spawn_until(d, &["hub", "serve", "--config", "hub.toml"], "提供服务");
    std::thread::spawn(move || std::io::copy(&mut rest, &mut std::io::sink()));
    let addr = line
        .split_once("正在 ")
        .and_then(|(_, tail)| tail.split_once(' '))
        .map(|(addr, _)| addr.to_owned())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, addr)
}

/// The child's exit status and everything it printed on stderr after `rest`.
fn finish(
    mut child: Child,
    mut rest: BufReader<ChildStderr>,
) -> (std::process::ExitStatus, String) {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut rest, &mut text).unwrap();
    (child.wait().unwrap(), text)
}

fn setup(d: &Path, hub_addr: &str) -> PathBuf {
    common::setup_station(d, hub_addr, &[], &[])
}

const ADD: [&str; 15] = [
    "station",
    "--config",
    "station.toml",
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
    "宅基地边界纠纷",
];

fn recorded(d: &Path) -> u64 {
    let out = ok(sanji(
        d,
        &["station", "--config", "station.toml", "status", "--json"],
    ));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    status["events_recorded"].as_u64().unwrap()
}

#[test]
fn a_record_typed_during_a_sync_waits_for_it_and_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = setup(d, "127.0.0.1:9");
    // Another process's sync, as far as the lock is concerned: this test holds the folder.
    let held = Station::open(NodeConfig::load(&config).unwrap()).unwrap();

    let (child, _, rest) = spawn_until(d, &ADD, "正被另一个 sanji 进程使用");
    drop(held);
    let (status, said) = finish(child, rest);
    assert!(status.success(), "{said}");
    assert_eq!(recorded(d), 1, "the record typed meanwhile is saved");
}

#[test]
fn a_station_command_that_waited_long_enough_says_the_folder_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = setup(d, "127.0.0.1:9");
    let _held = Station::open(NodeConfig::load(&config).unwrap()).unwrap();

    let out = sanji_cmd(d, &ADD)
        .env("SANJI_LOCK_WAIT_SECS", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = stderr(&out);
    let folder = d.join("station").display().to_string();
    assert!(text.contains(&folder), "names the folder: {text}");
    assert!(text.contains("可能正在同步"), "{text}");
    assert!(text.contains("请等它结束后再试"), "says what to do: {text}");
    assert_eq!(
        text.matches("正被另一个 sanji 进程使用(已等待").count(),
        1,
        "said once: {text}"
    );
    for raw in RAW_LOCK_TEXT {
        assert!(!text.contains(raw), "{raw:?} in {text}");
    }
}

#[test]
fn a_second_hub_on_the_same_folder_says_the_folder_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "127.0.0.1:9");
    let (mut first, _) = serve_hub(d);

    let out = sanji(d, &["hub", "serve", "--config", "hub.toml"]);
    let _ = first.kill();
    let _ = first.wait();
    assert!(!out.status.success());
    let text = stderr(&out);
    assert!(
        text.contains(&d.join("hub").display().to_string()),
        "{text}"
    );
    assert_eq!(
        text.matches("正被另一个 sanji 进程使用").count(),
        1,
        "said once: {text}"
    );
    for raw in RAW_LOCK_TEXT {
        assert!(!text.contains(raw), "{raw:?} in {text}");
    }
}

fn status_json(d: &Path) -> serde_json::Value {
    let out = ok(sanji(
        d,
        &["station", "--config", "station.toml", "status", "--json"],
    ));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn point_at(config: &Path, addr: &str) {
    let mut c = NodeConfig::load(config).unwrap();
    c.parent_addr = Some(addr.to_owned());
    c.save(config).unwrap();
}

#[test]
fn ctrl_c_during_a_sync_says_what_was_acked_and_status_shows_it_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = setup(d, "127.0.0.1:9");
    let (mut served, hub_addr) = serve_hub(d);
    point_at(&config, &hub_addr);

    let station = ["station", "--config", "station.toml"];
    for _ in 0..3 {
        ok(sanji(d, &ADD));
    }
    ok(sanji(d, &[&station[..], &["sync"]].concat()));
    for _ in 0..2 {
        ok(sanji(d, &ADD));
    }

    // A hub address where the connection opens and then nothing answers:
    // the sync is under way, and stays so, until the clerk presses Ctrl-C.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    point_at(&config, &black_hole.local_addr().unwrap().to_string());
    let (child, _, rest) = spawn_until(
        d,
        &[&station[..], &["sync"]].concat(),
        "按 Ctrl-C 可随时中断",
    );
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let (exit, said) = finish(child, rest);
    assert_eq!(exit.code(), Some(130), "{said}");
    assert!(said.contains("同步已中断"), "{said}");
    assert!(
        said.contains("已确认本机 3 条记录"),
        "says what was acked: {said}"
    );
    assert!(said.contains("还有 2 条未确认"), "{said}");
    assert!(said.contains("不会丢失"), "says nothing is lost: {said}");

    let status = status_json(d);
    assert_eq!(status["events_recorded"], 5);
    assert_eq!(status["pending"], 2);
    assert_eq!(status["last_sync"]["interrupted"], true, "{status}");
    let error = status["last_sync"]["error"].as_str().unwrap();
    assert!(error.contains("同步已中断"), "{error}");
    let shown = ok(sanji(d, &[&station[..], &["status"]].concat()));
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("同步已中断"),
        "{}",
        String::from_utf8_lossy(&shown.stdout)
    );

    // Nothing was lost: the next sync sends the other two.
    drop(black_hole);
    point_at(&config, &hub_addr);
    ok(sanji(d, &[&station[..], &["sync"]].concat()));
    let status = status_json(d);
    assert_eq!(
        (status["acked_by_hub"].as_u64(), status["pending"].as_u64()),
        (Some(5), Some(0))
    );
    assert_eq!(status["last_sync"]["interrupted"], false);
    let _ = served.kill();
    let _ = served.wait();
}
