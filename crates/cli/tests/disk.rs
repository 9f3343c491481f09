//! A data folder that cannot be written: a clear error, the previous data intact.
//!
//! The real `sanji` binary runs against a real sled folder with a fault put on
//! it from outside, in the child process only (tests run as root, so `chmod`
//! alone stops nothing):
//!
//! - **full**: `RLIMIT_FSIZE` at the `db` file's current size, `SIGXFSZ`
//!   ignored, so a write past it fails with `EFBIG` exactly as one on a full
//!   disk fails with `ENOSPC` (the store treats both as 磁盘已满). Needs no
//!   privilege.
//! - **no permission**: the folder made read-only with `chmod`, and the child
//!   started without `CAP_DAC_OVERRIDE` (dropped from its bounding set, so
//!   root's exec does not regain it). Root needs `CAP_SETPCAP` for that, which
//!   root has even in a default Docker container; a normal user needs nothing.
//! - **read-only file system**: a read-only bind mount in a private mount
//!   namespace of the child (`EROFS`). Needs `CAP_SYS_ADMIN`. `.ci/run` (as
//!   root) sets `SANJI_REQUIRE_ROOT_DRILLS=1`, and there the test fails if it
//!   cannot put the fault on; a developer's run without the capability passes
//!   and prints a line that the drill was not run, and why.
//!
//! After each fault the folder must open with every earlier record intact,
//! hash-chained, with no half-written record, and the command that failed
//! must then succeed.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use sanji_demo::samples;
use sanji_domain::time::cst_date;
use sanji_domain::{Digest, Event, EventBody, Origin};
use sanji_node::{NodeConfig, Role, Station};
use sanji_store::{Store, StoreOptions, Unlock};

mod common;

use common::{HUB, VILLAGE, code, push_recording_acks};

/// What is done to the child process before it runs `sanji`.
#[derive(Clone)]
enum Fault {
    None,
    /// Files may not grow past this many bytes; `SIGXFSZ` is ignored, so the write fails with `EFBIG`.
    FileSize(u64),
    /// Root without `CAP_DAC_OVERRIDE`: file permissions apply to it like to anyone.
    NoDacOverride,
    /// This folder is mounted read-only in a private mount namespace.
    ReadOnlyMount(PathBuf),
}

impl Fault {
    fn apply(&self, command: &mut Command) {
        match self.clone() {
            Fault::None => {}
            Fault::FileSize(bytes) => unsafe {
                // SAFETY: only async-signal-safe calls between fork and exec.
                command.pre_exec(move || {
                    if libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR {
                        return Err(std::io::Error::last_os_error());
                    }
                    let limit = libc::rlimit {
                        rlim_cur: bytes,
                        rlim_max: bytes,
                    };
                    if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            },
            Fault::NoDacOverride => unsafe {
                // SAFETY: only async-signal-safe calls between fork and exec.
                command.pre_exec(|| {
                    if libc::geteuid() != 0 {
                        return Ok(()); // permissions already apply
                    }
                    if libc::prctl(libc::PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    // Nor may it come back through the inheritable or ambient sets.
                    if libc::prctl(
                        libc::PR_CAP_AMBIENT,
                        libc::PR_CAP_AMBIENT_CLEAR_ALL,
                        0,
                        0,
                        0,
                    ) != 0
                    {
                        return Err(std::io::Error::last_os_error());
                    }
                    let mut header = CapHeader {
                        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
                        pid: 0,
                    };
                    let mut data = [CapData::default(); 2];
                    if libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    for d in &mut data {
                        d.inheritable = 0;
                    }
                    if libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            },
            Fault::ReadOnlyMount(folder) => {
                let folder = std::ffi::CString::new(folder.as_os_str().as_encoded_bytes()).unwrap();
                unsafe {
                    // SAFETY: only async-signal-safe calls between fork and exec.
                    command.pre_exec(move || {
                        let null = std::ptr::null();
                        if libc::unshare(libc::CLONE_NEWNS) != 0
                            || libc::mount(
                                c"none".as_ptr(),
                                c"/".as_ptr(),
                                null,
                                libc::MS_REC | libc::MS_PRIVATE,
                                null as *const libc::c_void,
                            ) != 0
                            || libc::mount(
                                folder.as_ptr(),
                                folder.as_ptr(),
                                null,
                                libc::MS_BIND,
                                null as *const libc::c_void,
                            ) != 0
                            || libc::mount(
                                folder.as_ptr(),
                                folder.as_ptr(),
                                null,
                                libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
                                null as *const libc::c_void,
                            ) != 0
                        {
                            return Err(std::io::Error::last_os_error());
                        }
                        Ok(())
                    });
                }
            }
        }
    }

    /// Why a spawn with this fault failed, for the panic message.
    fn needs(&self) -> &'static str {
        match self {
            Fault::NoDacOverride => {
                "dropping CAP_DAC_OVERRIDE from the child's bounding set needs CAP_SETPCAP when running as root"
            }
            Fault::ReadOnlyMount(_) => {
                "a read-only bind mount in a private mount namespace needs CAP_SYS_ADMIN (e.g. `docker run --privileged` or `--cap-add SYS_ADMIN`)"
            }
            _ => "",
        }
    }
}

/// `linux/capability.h` (not in the libc crate).
const CAP_DAC_OVERRIDE: libc::c_ulong = 1;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

fn sanji(dir: &Path, fault: &Fault, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sanji"));
    command
        .args(args)
        .current_dir(dir)
        // The default logging, as a clerk has it: only sanji's own message may show.
        .env_remove("SANJI_LOG")
        .env_remove("RUST_LOG")
        .env_remove("SANJI_CONFIG")
        .env_remove("SANJI_AS");
    fault.apply(&mut command);
    match command.output() {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run sanji with the fault put on it: {e}. This test cannot prove anything here: {}",
            fault.needs()
        ),
    }
}

/// Whether `fault` can be put on a child here. Where it cannot, a drill that
/// needs it is not run: said on the terminal (past the test harness's
/// capture), or, under `SANJI_REQUIRE_ROOT_DRILLS=1` (`.ci/run`), a failure.
fn can_put(fault: &Fault, test: &str) -> bool {
    let mut probe = Command::new(env!("CARGO_BIN_EXE_sanji"));
    probe.arg("--version").stdout(Stdio::null());
    fault.apply(&mut probe);
    let why = match probe.status() {
        Ok(status) if status.success() => return true,
        Ok(status) => format!("the probe exited with {status}"),
        Err(e) => e.to_string(),
    };
    if std::env::var_os("SANJI_REQUIRE_ROOT_DRILLS").is_some_and(|v| v == "1") {
        panic!(
            "{test}: SANJI_REQUIRE_ROOT_DRILLS=1, but the fault cannot be put on here ({why}): {}",
            fault.needs()
        );
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "NOT RUN: {test}: {}; here: {why}. `.ci/run` runs it as root (SANJI_REQUIRE_ROOT_DRILLS=1).",
        fault.needs()
    );
    false
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A village station set up with the CLI, its data in `<dir>/data`.
fn station(dir: &Path) -> PathBuf {
    let ok = |out: Output| assert!(out.status.success(), "{}", stderr(&out));
    ok(sanji(
        dir,
        &Fault::None,
        &["pki", "init", "--county", "360123", "--dir", "ca"],
    ));
    ok(sanji(
        dir,
        &Fault::None,
        &[
            "pki", "issue", "node", "--code", VILLAGE, "--ca-dir", "ca", "--out", "certs",
        ],
    ));
    ok(sanji(
        dir,
        &Fault::None,
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
        ],
    ));
    dir.join("data")
}

/// `sanji station screening add --json` with the longest description and measures allowed, so a few
/// records fill a sled segment.
fn add_args(n: usize) -> Vec<String> {
    let long = format!("{n:04}{}", "纠".repeat(1990));
    [
        "station",
        "screening",
        "add",
        "--json",
        "--party",
        "刘长发",
        "--risk",
        "general",
        "--category",
        "land",
        "--people",
        "2",
        "--description",
        &long,
        "--measures",
        &long,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Runs `add`; on success returns the new event's id.
fn add(dir: &Path, fault: &Fault, args: &[String]) -> Result<String, Output> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = sanji(dir, fault, &args);
    if !out.status.success() {
        return Err(out);
    }
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    Ok(reply["event_id"].as_str().unwrap().to_owned())
}

/// The village ledger as stored, checked whole: seq 1..n without a gap, every event linked to its
/// predecessor's hash, the head and the event counter agreeing, and every event's entity folded.
fn ledger(data: &Path) -> Vec<Event> {
    // The station's folder is sealed under its node key, beside it in `certs/`.
    let key_file = data
        .with_file_name("certs")
        .join(format!("{VILLAGE}-key.pem"));
    let options = StoreOptions {
        unlock: Unlock::node_key(&std::fs::read(key_file).unwrap()),
        ..StoreOptions::default()
    };
    let store = Store::open(data, &code(VILLAGE), options)
        .expect("the folder opens once the fault is gone");
    let origin = Origin::node(code(VILLAGE));
    let events = store.events_after(&origin, 0, usize::MAX).unwrap();
    assert_chained(&events);
    let head = store.head(&origin).unwrap().map_or(0, |h| h.seq);
    assert_eq!(head, events.len() as u64, "head and events disagree");
    if let Some(last) = events.last() {
        assert_eq!(store.head(&origin).unwrap().unwrap().hash, last.hash());
    }
    assert_eq!(
        store.event_count().unwrap(),
        events.len() as u64,
        "the event counter disagrees with the events held: a half-written batch"
    );
    for e in &events {
        assert!(
            store.entity(e.entity).unwrap().is_some(),
            "event {} has no folded entity: a half-written batch",
            e.seq
        );
        assert_eq!(store.get_by_id(e.id).unwrap().as_ref(), Some(e));
    }
    events
}

fn assert_chained(events: &[Event]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "a gap or a duplicate at {i}");
        let prev = if i == 0 {
            Digest::GENESIS
        } else {
            events[i - 1].hash()
        };
        assert_eq!(e.prev_hash, prev, "the hash chain breaks at seq {}", e.seq);
    }
}

fn ids(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.id.to_string()).collect()
}

/// The failed command's message: the folder, the cause, and no panic.
fn assert_clear_error(out: &Output, data: &Path, cause: &str) {
    let message = stderr(out);
    assert!(
        message.starts_with("错误:数据目录 ")
            && message.contains(&data.display().to_string())
            && message.contains("无法写入")
            && message.contains(cause)
            && message.contains("此前已保存的数据不受影响")
            && !message.contains("panicked"),
        "want a clear message naming {} and {cause}, got: {message}",
        data.display()
    );
}

/// Puts `mode` on the folder and everything in it.
fn chmod_tree(path: &Path, dir_mode: u32, file_mode: u32) {
    let mode = if path.is_dir() { dir_mode } else { file_mode };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            chmod_tree(&entry.unwrap().path(), dir_mode, file_mode);
        }
    }
}

#[test]
fn a_full_disk_at_a_station_refuses_the_record_with_a_clear_error_and_keeps_every_earlier_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = station(d);
    let mut saved: Vec<String> = (0..3)
        .map(|n| add(d, &Fault::None, &add_args(n)).expect("records while there is room"))
        .collect();
    // sled zero-fills the rest of its last log segment when it opens; let that happen now, so that
    // under the limit the open succeeds and it is the record's own write that runs out of room.
    assert!(
        sanji(d, &Fault::None, &["station", "status"])
            .status
            .success()
    );
    let before = ledger(&data);
    assert_eq!(ids(&before), saved);

    // Records until the disk is full: the rest of the current segment holds a few, the next does not fit.
    let full = Fault::FileSize(std::fs::metadata(data.join("db")).unwrap().len());
    let mut refused = None;
    for n in 3..200 {
        let args = add_args(n);
        match add(d, &full, &args) {
            Ok(id) => saved.push(id),
            Err(out) => {
                refused = Some((args, out));
                break;
            }
        }
    }
    let (args, out) = refused.expect("the file-size limit never stopped a write");
    assert_clear_error(&out, &data, "磁盘已满");
    // Still full: refused again the same way, or, if sled found room in a
    // segment it recovered on opening, saved whole; never half of it.
    match add(d, &full, &args) {
        Err(out) => assert_clear_error(&out, &data, "磁盘已满"),
        Ok(id) => saved.push(id),
    }

    // Room again: every record that was reported saved is there, nothing else.
    let after = ledger(&data);
    assert_eq!(ids(&after), saved, "exactly the records reported saved");
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "earlier records unchanged"
    );
    let id = add(d, &Fault::None, &args).expect("the same command succeeds once there is room");
    saved.push(id);
    assert_eq!(ids(&ledger(&data)), saved);
}

#[test]
fn a_data_folder_without_write_permission_refuses_the_record_even_for_root_and_stays_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = station(d);
    let mut saved: Vec<String> = (0..3)
        .map(|n| add(d, &Fault::None, &add_args(n)).unwrap())
        .collect();
    let before = ledger(&data);

    chmod_tree(&data, 0o555, 0o444);
    let args = add_args(3);
    let out = add(d, &Fault::NoDacOverride, &args).expect_err("a read-only folder was written");
    assert_clear_error(&out, &data, "没有写入权限");
    chmod_tree(&data, 0o755, 0o644);

    assert_eq!(ledger(&data), before);
    saved.push(add(d, &Fault::None, &args).expect("the same command succeeds once writable"));
    assert_eq!(ids(&ledger(&data)), saved);
}

#[test]
fn a_data_folder_on_a_read_only_file_system_refuses_the_record_and_stays_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = station(d);
    let mut saved: Vec<String> = (0..3)
        .map(|n| add(d, &Fault::None, &add_args(n)).unwrap())
        .collect();
    let before = ledger(&data);

    let args = add_args(3);
    let read_only = Fault::ReadOnlyMount(data.clone());
    if !can_put(
        &read_only,
        "a_data_folder_on_a_read_only_file_system_refuses_the_record_and_stays_intact",
    ) {
        return;
    }
    let out = add(d, &read_only, &args).expect_err("a read-only mount was written");
    assert_clear_error(&out, &data, "只读");

    assert_eq!(ledger(&data), before);
    saved.push(add(d, &Fault::None, &args).expect("the same command succeeds once writable"));
    assert_eq!(ids(&ledger(&data)), saved);
}

/// `sanji hub serve` with `fault`; returns once it serves, with a thread collecting its log.
fn start_hub(config: &Path, fault: &Fault) -> (Child, std::thread::JoinHandle<Vec<String>>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sanji"));
    command
        .args(["hub", "serve", "--config"])
        .arg(config)
        // The default logging of a server: sanji's own lines, not sled's.
        .env_remove("SANJI_LOG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    fault.apply(&mut command);
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        let serving = line.contains("提供服务");
        log.push(line);
        if serving {
            return (
                child,
                std::thread::spawn(move || {
                    log.extend(lines.map_while(Result::ok));
                    log
                }),
            );
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the hub did not start: {log:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_whose_disk_fills_during_a_push_acks_only_what_it_stored_and_the_station_completes_later()
 {
    sanji_sync::tls::install_crypto();
    const TOTAL: u64 = 3_000;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ca, certs) = (d.join("ca"), d.join("certs"));
    sanji_pki::init_ca(&ca, &code("360123")).unwrap();
    for c in [HUB, VILLAGE] {
        sanji_pki::issue_node(&ca, &code(c), &certs, &[]).unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let hub_data = d.join("hub");
    let mut hub = NodeConfig::new(Role::Hub, code(HUB), hub_data.clone(), certs.clone());
    hub.listen = Some(addr.clone());
    let hub_toml = d.join("hub.toml");
    hub.save(&hub_toml).unwrap();

    let village = code(VILLAGE);
    let mut config = NodeConfig::new(
        Role::Station,
        village.clone(),
        d.join("station"),
        certs.clone(),
    );
    config.parent_addr = Some(addr.clone());
    config.default_author = Some("李红梅".into());
    let station = Station::open(config).unwrap();
    let today = cst_date(station.clock().now_ms());
    for start in (0..TOTAL as usize).step_by(500) {
        let bodies = (start..start + 500)
            .map(|n| {
                EventBody::ScreeningRecorded(samples::screening(&village, n, today, 0, "李红梅"))
            })
            .collect();
        station.record_many(None, bodies).unwrap();
    }
    let ledger = Origin::node(village.clone());
    let mine = station
        .store()
        .events_after(&ledger, 0, usize::MAX)
        .unwrap();
    let station_certs = sanji_pki::CertFiles::load(&certs, VILLAGE).unwrap();

    // The hub's folder exists, and its files may grow by 2 MiB: room for the first batch of 250 events
    // (sled writes about that much for it), not for the rest.
    // (Opened twice: the second open zero-fills the rest of sled's first segment, as the hub's own will.)
    for _ in 0..2 {
        drop(Store::open(&hub_data, &code(HUB), StoreOptions::default()).unwrap());
    }
    let room = std::fs::metadata(hub_data.join("db")).unwrap().len() + 2 * 1024 * 1024;
    let (mut child, log) = start_hub(&hub_toml, &Fault::FileSize(room));

    let acked = push_recording_acks(&addr, &station_certs, station.store(), &ledger).await;
    assert!(
        0 < acked && acked < TOTAL,
        "the hub acked {acked} of {TOTAL} events: want some before its disk filled, not all"
    );
    // The station's own sync: refused with the reason, nothing acked, its records kept.
    let err = station
        .sync(1)
        .await
        .expect_err("a hub with a full disk acked a sync")
        .to_string();
    assert!(
        err.contains(&hub_data.display().to_string())
            && err.contains("无法写入")
            && err.contains("磁盘已满"),
        "want the hub's reason, got: {err}"
    );
    assert_eq!(
        station
            .store()
            .events_after(&ledger, 0, usize::MAX)
            .unwrap(),
        mine
    );
    // The hub did not die of it: it stays up, refusing every call until restarted.
    assert!(
        child.try_wait().unwrap().is_none(),
        "the hub process exited"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let log = log.join().unwrap();
    assert!(
        log.iter().any(|l| l.contains("数据目录写入失败")),
        "the hub did not log the write failure: {log:#?}"
    );
    assert!(!log.iter().any(|l| l.contains("panicked")), "{log:#?}");
    assert!(
        !log.iter().any(|l| l.contains("sled")),
        "the storage engine's own English lines in the hub's log: {log:#?}"
    );

    // Restarted with room: a chained prefix of the station's ledger, holding everything it acked.
    {
        let held = Store::open(&hub_data, &code(HUB), StoreOptions::default())
            .expect("the hub's folder opens after the disk filled");
        let events = held.events_after(&ledger, 0, usize::MAX).unwrap();
        eprintln!(
            "the hub acked {acked} of {TOTAL} before its disk filled, holds {}",
            events.len()
        );
        assert!(
            events.len() as u64 >= acked,
            "acked {acked}, holds {}",
            events.len()
        );
        assert_chained(&events);
        assert_eq!(&events[..], &mine[..events.len()]);
        assert_eq!(
            held.head(&ledger).unwrap().map_or(0, |h| h.seq),
            events.len() as u64
        );
    }
    let (mut child, _log) = start_hub(&hub_toml, &Fault::None);
    let report = station
        .sync(3)
        .await
        .expect("the station completes its sync");
    assert!(report.all_acked());
    child.kill().unwrap();
    child.wait().unwrap();
    let held = Store::open(&hub_data, &code(HUB), StoreOptions::default()).unwrap();
    assert_eq!(
        held.events_after(&ledger, 0, usize::MAX).unwrap(),
        mine,
        "the hub ends with exactly the station's ledger"
    );
}
