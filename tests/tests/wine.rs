//! The Windows station, for real: `sanji.exe` cross-built for
//! `x86_64-pc-windows-gnu` and run under Wine against a Linux hub on
//! loopback over mTLS. Init with a passphrase-sealed store, a screening with
//! Chinese text (王𠮷: a character outside the Basic Multilingual Plane,
//! a surrogate pair in Windows' UTF-16), a sync, and the hub holds it.
//!
//! Needs `wine` and `mingw-w64` (`apt-get install -y wine mingw-w64`) and
//! `rustup target add x86_64-pc-windows-gnu`; it fails, never skips,
//! without them. The exe is built with the `wine` profile (no debug info)
//! into `target/windows/`, its own target folder: a nested cargo must not
//! wait on the lock of the `cargo test` that runs this. Set
//! `SANJI_WINDOWS_EXE` to use an exe built elsewhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sanji_domain::EventBody;
use sanji_tests::{Cluster, held, ledger, village};

const INSTALL: &str =
    "apt-get install -y wine mingw-w64 && rustup target add x86_64-pc-windows-gnu";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_owned()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn require(tool: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{tool} is missing: the Wine round trip needs it. Install with: {INSTALL}"
    );
}

/// Builds (or finds) the Windows `sanji.exe`.
fn windows_sanji() -> PathBuf {
    if let Some(exe) = std::env::var_os("SANJI_WINDOWS_EXE") {
        return exe.into();
    }
    let target = target_dir().join("windows");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "build",
            "--locked",
            "--profile",
            "wine",
            "--target",
            "x86_64-pc-windows-gnu",
            "-p",
            "sanji-cli",
            "--bin",
            "sanji",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_INCREMENTAL", "0")
        .status()
        .expect("cargo runs");
    assert!(
        built.success(),
        "the Windows build failed (a missing target or linker? {INSTALL})"
    );
    target.join("x86_64-pc-windows-gnu/wine/sanji.exe")
}

/// A Wine prefix with the ProcessPrng shim, made by `.ci/wine-prefix`.
fn wine_prefix() -> PathBuf {
    let prefix = target_dir().join("wine-prefix");
    let made = Command::new(workspace_root().join(".ci/wine-prefix"))
        .arg(&prefix)
        .status()
        .expect(".ci/wine-prefix runs");
    assert!(
        made.success(),
        "could not set up the Wine prefix ({INSTALL})"
    );
    prefix
}

/// A Linux path as the Windows program names it (Wine's `Z:` drive).
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

struct Wine {
    exe: PathBuf,
    prefix: PathBuf,
    dir: PathBuf,
}

impl Wine {
    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.dir)
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // Wine turns the arguments into UTF-16 through the locale.
            .env("LC_ALL", "C.UTF-8")
            .env("SANJI_LOG", "error")
            .env_remove("SANJI_CONFIG");
        cmd
    }

    fn sanji(&self, args: &[&str]) -> Output {
        let out = self
            .command(Path::new("wine"))
            .arg(&self.exe)
            .args(args)
            .env("SANJI_PASSPHRASE", "村里的口令")
            .stdin(Stdio::null())
            .output()
            .expect("wine runs");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "wine sanji.exe {args:?} failed: {said}"
        );
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_windows_station_under_wine_records_chinese_text_sealed_and_syncs_with_a_linux_hub() {
    require("wine");
    require("x86_64-w64-mingw32-gcc");
    let exe = windows_sanji();
    let prefix = wine_prefix();
    let cluster = Cluster::start().await;
    let village = village(7);
    cluster.ensure_cert(&village);
    let dir = cluster.dir.path().join("windows-station");
    std::fs::create_dir_all(&dir).unwrap();
    let wine = Wine {
        exe,
        prefix,
        dir: dir.clone(),
    };
    // One wineserver for the whole test, holding none of our pipes, so
    // each command's output ends when the command does. One already
    // running for this prefix (it refuses to start a second) serves as well.
    let _ = wine
        .command(Path::new("wineserver"))
        .arg("--persistent=60")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("wineserver runs");

    let config = windows_path(&dir.join("station.toml"));
    let data = dir.join("data");
    let init = wine.sanji(&[
        "station",
        "init",
        "--config",
        &config,
        "--code",
        village.as_str(),
        "--hub",
        &cluster.hub_addr().to_string(),
        "--data",
        &windows_path(&data),
        "--certs",
        &windows_path(&cluster.ca_dir()),
        "--by",
        "李红梅",
        "--encryption",
        "passphrase",
    ]);
    let said = String::from_utf8(init.stdout).expect("UTF-8 output");
    assert!(said.contains("已初始化村工作站"), "{said}");
    assert!(said.contains("用口令加密"), "{said}");

    let description = "王𠮷与邻居因宅基地边界争执,已到现场丈量";
    let recorded = wine.sanji(&[
        "station",
        "--config",
        &config,
        "screening",
        "add",
        "--party",
        "王𠮷",
        "--risk",
        "major",
        "--category",
        "land",
        "--people",
        "2",
        "--description",
        description,
    ]);
    let said = String::from_utf8(recorded.stdout).expect("UTF-8 output");
    assert!(said.contains("已保存排查登记"), "{said}");

    // Sealed: the person's name is nowhere in the data folder's files.
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows("王𠮷".len()).any(|w| w == "王𠮷".as_bytes()),
                "{} holds the name in the clear",
                path.display()
            );
        }
    }

    let synced = wine.sanji(&["station", "--config", &config, "sync"]);
    let said = String::from_utf8(synced.stdout).expect("UTF-8 output");
    assert!(said.contains("同步"), "{said}");

    let events = held(cluster.hub_store(), &ledger(&village));
    assert_eq!(events.len(), 1, "the hub holds the station's record");
    match &events[0].body {
        EventBody::ScreeningRecorded(s) => {
            assert_eq!(s.parties[0].name, "王𠮷");
            assert_eq!(s.description, description);
            assert_eq!(s.screener, "李红梅");
        }
        other => panic!("not a screening: {other:?}"),
    }
    let status = wine.sanji(&["station", "--config", &config, "status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["pending"], 0, "{status}");

    let _ = wine.command(Path::new("wineserver")).arg("--kill").status();
    cluster.shutdown().await;
}
