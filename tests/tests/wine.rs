//! The Windows station, for real: `sanji.exe` cross-built for
//! `x86_64-pc-windows-gnu` and run under Wine against a Linux hub on
//! loopback over mTLS. Init with a passphrase-sealed store, a screening with
//! Chinese text (王𠮷: a character outside the Basic Multilingual Plane,
//! a surrogate pair in Windows' UTF-16), a sync, and the hub holds it.
//! Then the package a county IT person hands out (`deploy/windows/package.sh`):
//! `install.cmd` puts it under `%ProgramData%\sanji` with its Start-menu,
//! desktop and log-on shortcuts and starts the service; `sanji.exe station
//! open --print-url`, with no `--config`, lets a browser into the clerk's
//! pages; a record typed at the command line goes to the running service and
//! reaches the hub; `uninstall.cmd` stops the service and removes the
//! shortcuts, and every record stays.
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
            // Shortcuts stay in the prefix: no menu entries on this machine.
            .env("WINEDLLOVERRIDES", "winemenubuilder.exe=d")
            // Wine turns the arguments into UTF-16 through the locale.
            .env("LC_ALL", "C.UTF-8")
            .env("SANJI_LOG", "error")
            .env_remove("SANJI_CONFIG");
        cmd
    }

    /// Runs `wine program args` with its output in files, not pipes: a
    /// service it starts in the background outlives it and would hold a
    /// pipe open. Returns what it printed; panics unless it succeeded.
    fn detaching(&self, program: &str, args: &[&str]) -> String {
        let said = self.dir.join("said.txt");
        let file = std::fs::File::create(&said).unwrap();
        let status = self
            .command(Path::new("wine"))
            .arg(program)
            .args(args)
            .env("SANJI_NO_PAUSE", "1")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .status()
            .expect("wine runs");
        let said = std::fs::read_to_string(&said).unwrap();
        assert!(status.success(), "wine {program} {args:?} failed: {said}");
        said
    }

    /// A Windows path under the prefix's C: drive, as a Linux path.
    fn c_drive(&self, windows: &str) -> PathBuf {
        let rest = windows
            .strip_prefix("C:\\")
            .unwrap_or_else(|| panic!("not on C: {windows}"));
        rest.split('\\')
            .fold(self.prefix.join("drive_c"), |path, part| path.join(part))
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

    the_package_installs_opens_syncs_and_uninstalls(&wine, &cluster).await;

    let _ = wine.command(Path::new("wineserver")).arg("--kill").status();
    cluster.shutdown().await;
}

/// UTF-16LE, as a shortcut stores its strings.
fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn the_package_installs_opens_syncs_and_uninstalls(wine: &Wine, cluster: &Cluster) {
    let village = village(8);
    cluster.ensure_cert(&village);
    let out = wine.dir.join("package");
    let made = Command::new(workspace_root().join("deploy/windows/package.sh"))
        .arg("--exe")
        .arg(&wine.exe)
        .args(["--code", village.as_str()])
        .arg("--hub")
        .arg(cluster.hub_addr().to_string())
        .arg("--certs")
        .arg(cluster.ca_dir())
        .args(["--by", "赵村医"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("package.sh runs");
    assert!(
        made.status.success(),
        "package.sh failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let zip = PathBuf::from(String::from_utf8(made.stdout).unwrap().trim());
    let unpacked = wine.dir.join("unpacked");
    let listed = Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&unpacked)
        .status()
        .expect("unzip is installed (apt-get install -y unzip)");
    assert!(listed.success());
    let package = unpacked.join(format!("sanji-station-{village}"));
    for file in [
        "sanji.exe",
        "install.cmd",
        "uninstall.cmd",
        "README.txt",
        "station.toml",
        "certs/ca.pem",
    ] {
        assert!(package.join(file).is_file(), "the package holds {file}");
    }
    assert!(
        !package.join("certs/ca-key.pem").exists(),
        "never the county CA's own key"
    );
    let guide = std::fs::read_to_string(package.join("README.txt")).unwrap();
    assert!(
        guide.starts_with('\u{feff}') && guide.contains("\r\n"),
        "Notepad's UTF-8"
    );
    assert!(guide.contains("双击 install.cmd"));

    // A laptop the station was never on.
    let home = wine.c_drive("C:\\ProgramData\\sanji");
    let _ = std::fs::remove_dir_all(&home);
    let install = windows_path(&package.join("install.cmd"));
    let said = wine.detaching(
        "cmd",
        &["/c", &install, "--listen", "127.0.0.1:0", "--no-browser"],
    );
    assert!(said.contains("已初始化村工作站"), "{said}");
    assert!(said.contains("本站服务已在后台运行"), "{said}");
    assert!(home.join("sanji.exe").is_file(), "{said}");
    let links: Vec<PathBuf> = said
        .lines()
        .filter_map(|line| line.trim().strip_prefix("快捷方式:"))
        .map(|link| wine.c_drive(link.trim()))
        .collect();
    assert_eq!(links.len(), 3, "Start menu, desktop, log-on: {said}");
    let config = utf16("station --config \"C:\\ProgramData\\sanji\\station.toml\" open");
    for link in &links {
        let bytes = std::fs::read(link).unwrap_or_else(|e| panic!("{}: {e}", link.display()));
        assert!(
            holds(&bytes, &config),
            "{} opens the station",
            link.display()
        );
        assert!(holds(&bytes, &utf16("sanji.exe")), "{}", link.display());
    }
    assert!(
        links
            .iter()
            .any(|l| holds(&std::fs::read(l).unwrap(), &utf16("--background"))),
        "the log-on shortcut starts the service quietly"
    );

    // The Start-menu shortcut's command, with no --config: a browser is let in.
    let installed = "C:\\ProgramData\\sanji\\sanji.exe";
    let said = wine.detaching(installed, &["station", "open", "--print-url"]);
    let url = said.lines().last().unwrap().trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{said}");
    let browser = sanji_tests::desk::browser();
    let entered = browser.get(&url).send().await.expect("the service answers");
    assert_eq!(
        entered.status(),
        reqwest::StatusCode::SEE_OTHER,
        "the ticket lets in"
    );
    let base = url.split("/open").next().unwrap().to_owned();
    let home_page =
        sanji_tests::desk::text(browser.get(format!("{base}/")).send().await.unwrap()).await;
    assert!(home_page.contains("立即同步"), "{home_page}");

    // A record typed at the command line goes to the running service.
    let said = wine.detaching(
        installed,
        &[
            "station",
            "screening",
            "add",
            "--party",
            "王𠮷",
            "--risk",
            "general",
            "--category",
            "family_neighbour",
            "--people",
            "2",
            "--description",
            "两户因排水沟争执",
        ],
    );
    assert!(said.contains("已保存排查登记"), "{said}");
    let list = sanji_tests::desk::text(
        browser
            .get(format!("{base}/screenings"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(list.contains("王𠮷"), "the page lists it: {list}");
    let said = wine.detaching(installed, &["station", "sync"]);
    assert!(said.contains("同步"), "{said}");
    let events = held(cluster.hub_store(), &ledger(&village));
    assert_eq!(events.len(), 1, "the hub holds the laptop's record");

    // Uninstalled: no service, no shortcuts, every record kept.
    let uninstall = windows_path(&package.join("uninstall.cmd"));
    let said = wine.detaching("cmd", &["/c", &uninstall]);
    assert!(said.contains("镇中心已确认本机的全部记录"), "{said}");
    for link in &links {
        assert!(!link.exists(), "{} removed", link.display());
    }
    assert!(
        browser.get(format!("{base}/")).send().await.is_err(),
        "the service has stopped"
    );
    let data = home.join(village.as_str());
    assert!(!data.join("serve.json").exists());
    let said = wine.detaching(installed, &["station", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(said.trim()).unwrap();
    assert_eq!(status["screenings"], 1, "{status}");
    assert_eq!(status["pending"], 0, "{status}");
}
