//! The village station as an app on the clerk's laptop. `sanji station open`
//! starts the station service in the background when none runs and opens
//! the clerk's pages in the browser, signed in; `stop` ends the service;
//! `install` puts the station on a Windows laptop from the package made by
//! `deploy/windows/package.sh` (program, certificates, config, and the
//! Start-menu, desktop and log-on shortcuts), and `uninstall` takes the
//! shortcuts away and stops the service, keeping every record.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use sanji_node::NodeConfig;
use sanji_node::station_api::{StationReply, StationRequest};
use sanji_web::station_client::StationClient;

/// The file of install settings in the package, beside `sanji.exe`.
pub const PACKAGE_SETTINGS: &str = "station.toml";

use sanji_web::station::SHORTCUT_NAME;
/// The log-on shortcut, which keeps the station syncing in the background.
fn background_shortcut_name() -> String {
    format!("{SHORTCUT_NAME}(后台同步)")
}

/// Where an installed station lives: `%ProgramData%\sanji` on Windows, as
/// Windows programs keep what every user of the computer shares.
pub fn default_home() -> Option<PathBuf> {
    cfg!(windows).then(|| {
        std::env::var_os("ProgramData")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
            .join("sanji")
    })
}

/// The config `sanji station install` wrote, used on Windows when a command
/// names none: the clerk never needs `--config`.
pub fn installed_config() -> Option<PathBuf> {
    default_home()
        .map(|home| home.join("station.toml"))
        .filter(|path| path.exists())
}

/// `sanji station open`: the service (started if none runs), then the
/// clerk's pages in the browser.
pub async fn open(
    config_path: &Path,
    config: &NodeConfig,
    print_url: bool,
    background: bool,
) -> Result<ExitCode> {
    let exe = std::env::current_exe().context("找不到 sanji 程序本身的位置")?;
    let client = running_service(&exe, config_path, config).await?;
    if background {
        println!(
            "本村工作站 {} 的本站服务在 http://{}/ 运行,联网时在后台自动同步。",
            config.code,
            client.addr()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let url = client.page_url().await?;
    if print_url {
        println!("{url}");
        return Ok(ExitCode::SUCCESS);
    }
    open_in_browser(&client, &url)?;
    Ok(ExitCode::SUCCESS)
}

/// Opens the one-time address `url` of the clerk's pages in the default
/// browser; says what to do when no browser opens.
fn open_in_browser(client: &StationClient, url: &str) -> Result<()> {
    open::that_detached(url).with_context(|| {
        format!(
            "无法打开浏览器;请在一分钟内把这个地址复制到浏览器中打开:{url}(过后请从开始菜单或桌面上的“{SHORTCUT_NAME}”打开)"
        )
    })?;
    println!(
        "已在浏览器中打开本村工作站的页面(http://{}/)。关掉浏览器不影响后台同步。",
        client.addr()
    );
    Ok(())
}

/// The service serving this station, started with `exe` when none runs.
async fn running_service(
    exe: &Path,
    config_path: &Path,
    config: &NodeConfig,
) -> Result<StationClient> {
    if let Some(client) = StationClient::find(&config.data_dir).await? {
        return Ok(client);
    }
    let config_path = std::path::absolute(config_path)
        .with_context(|| format!("配置文件 {} 无效", config_path.display()))?;
    let logs = crate::station_log_dir(config);
    std::fs::create_dir_all(&logs)
        .with_context(|| format!("无法建立日志目录 {}", logs.display()))?;
    // What the service says before its own log is open (a refusal to
    // start, say) is kept here, to be told if it stops at once.
    let start_log = logs.join("service-start.txt");
    let said = std::fs::File::create(&start_log)
        .with_context(|| format!("无法写 {}", start_log.display()))?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("station")
        .arg("--config")
        .arg(&config_path)
        .arg("serve")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(said);
    detach(&mut command);
    let mut child = command
        .spawn()
        .with_context(|| format!("无法启动本站服务({})", exe.display()))?;
    // The service answers once it has opened the store and written
    // serve.json; a minute covers an old laptop's slow disk.
    for _ in 0..600 {
        if let Some(client) = StationClient::find(&config.data_dir).await? {
            return Ok(client);
        }
        if let Some(status) = child.try_wait().context("无法查看本站服务是否在运行")? {
            let told = std::fs::read_to_string(&start_log).unwrap_or_default();
            anyhow::bail!(
                "本站服务没能启动({status}):{}",
                told.trim().trim_start_matches("错误:")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("本站服务一分钟内没有应答;请查看日志目录 {}", logs.display())
}

/// The service outlives the command that started it: no console window of
/// its own on Windows, and not stopped by a Ctrl-C meant for this command.
fn detach(command: &mut std::process::Command) {
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        command.creation_flags(CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
}

/// `sanji station stop`.
pub async fn stop(config: &NodeConfig) -> Result<ExitCode> {
    let Some(client) = StationClient::find(&config.data_dir).await? else {
        println!("本站服务没有在运行。");
        return Ok(ExitCode::SUCCESS);
    };
    if !client.stop().await? {
        anyhow::bail!(
            "本站服务(http://{}/)半分钟内没有停下;请稍后再试,或重新启动电脑",
            client.addr()
        );
    }
    println!("本站服务已停止;已登记的记录都在数据目录中,下次打开时继续同步。");
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct InstallArgs {
    /// 本村区划代码(12 位数字;不填则取安装包中 station.toml 的 code,再不填则询问)
    #[arg(long)]
    code: Option<String>,
    /// 镇中心地址(主机:端口;不填则取安装包中 station.toml 的 hub,再不填则询问)
    #[arg(long)]
    hub: Option<String>,
    /// 默认经办人姓名(不填则取安装包中 station.toml 的 by)
    #[arg(long)]
    by: Option<String>,
    /// 证书目录(含 ca.pem、<代码>.pem 与 <代码>-key.pem;默认是安装包中的 certs 文件夹)
    #[arg(long)]
    certs: Option<PathBuf>,
    /// 本地数据加密方式:node_key(用本站私钥,默认) passphrase(用口令,在页面上输入) none(不加密)
    #[arg(long)]
    encryption: Option<String>,
    /// 安装目录(Windows 上默认 %ProgramData%\sanji)
    #[arg(long)]
    home: Option<PathBuf>,
    /// 本站服务地址(本机回环地址,默认 127.0.0.1:7181)
    #[arg(long)]
    listen: Option<String>,
    /// 装好后不打开浏览器(只在后台启动本站服务)
    #[arg(long)]
    no_browser: bool,
}

/// The settings a package carries for its village, so whoever installs it
/// types nothing (`deploy/windows/package.sh` writes them).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageSettings {
    code: Option<String>,
    hub: Option<String>,
    by: Option<String>,
    encryption: Option<String>,
    listen: Option<String>,
}

fn package_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("找不到 sanji 程序本身的位置")?;
    Ok(exe.parent().map(Path::to_owned).unwrap_or_default())
}

fn read_package_settings(dir: &Path) -> Result<PackageSettings> {
    let path = dir.join(PACKAGE_SETTINGS);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            toml_settings(&text).with_context(|| format!("安装包中的 {} 有误", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(PackageSettings::default()),
        Err(e) => Err(e).with_context(|| format!("读不出 {}", path.display())),
    }
}

fn toml_settings(text: &str) -> Result<PackageSettings> {
    Ok(toml::from_str(text.trim_start_matches('\u{feff}'))?)
}

/// A value not given is asked for when someone sits at the console.
fn ask(what: &str, flag: &str) -> Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("没有{what}:请用 --{flag} 指明,或写在安装包的 {PACKAGE_SETTINGS} 中");
    }
    print!("请输入{what}:");
    std::io::stdout().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("读不到输入")?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        anyhow::bail!("没有输入{what},安装没有进行");
    }
    Ok(line)
}

/// `sanji station install`: on a new laptop it sets the station up; over an
/// installed station of the same village it replaces the program and the
/// shortcuts and keeps the config and every record (an upgrade).
pub async fn install(args: InstallArgs) -> Result<ExitCode> {
    let package = package_dir()?;
    let settings = read_package_settings(&package)?;
    let home = match args.home.or_else(default_home) {
        Some(home) => home,
        None => {
            anyhow::bail!("须用 --home 指明安装目录(只有 Windows 上有默认的 %ProgramData%\\sanji)")
        }
    };
    std::fs::create_dir_all(&home)
        .with_context(|| format!("无法建立安装目录 {}", home.display()))?;
    let home =
        std::path::absolute(&home).with_context(|| format!("安装目录 {} 无效", home.display()))?;
    let config_path = home.join("station.toml");
    let exe = home.join(if cfg!(windows) { "sanji.exe" } else { "sanji" });

    let code = match args.code.or(settings.code) {
        Some(code) => code,
        None if config_path.exists() => String::new(),
        None => ask("本村区划代码(12 位数字)", "code")?,
    };
    let upgrade = config_path.exists();
    if upgrade {
        let config = NodeConfig::load(&config_path)?;
        if !code.is_empty() && code != config.code.as_str() {
            anyhow::bail!(
                "本机已装有村工作站 {}(配置 {}),不能再装 {code};换村请先运行 uninstall.cmd 并移走 {}",
                config.code,
                config_path.display(),
                home.display()
            );
        }
        // The program file is in use while its service runs.
        if let Some(client) = StationClient::find(&config.data_dir).await? {
            client.stop().await?;
        }
        copy_program(&exe)?;
        println!(
            "已更新本机的村工作站 {}:程序已换为本安装包中的版本,配置和全部记录保持不变。",
            config.code
        );
    } else {
        let hub = match args.hub.or(settings.hub) {
            Some(hub) => hub,
            None => ask("镇中心地址(如 192.168.1.10:7100)", "hub")?,
        };
        let certs = args.certs.unwrap_or_else(|| package.join("certs"));
        let village = sanji_domain::Code::parse_level("code", &code, sanji_domain::Level::Village)?;
        let installed_certs = home.join("certs");
        let listen = args.listen.or(settings.listen);
        if let Some(listen) = &listen {
            sanji_web::station::loopback_addr(listen)?;
        }
        let encryption = args
            .encryption
            .or(settings.encryption)
            .unwrap_or_else(|| "node_key".into());
        copy_certificates(&certs, &installed_certs, &village)?;
        let copied = copy_program(&exe)?;
        let set_up = || -> Result<()> {
            let common = crate::Common {
                config: config_path.clone(),
                json: false,
            };
            crate::station_cmd::init(
                &common,
                &code,
                hub,
                Some(home.join(village.as_str())),
                installed_certs.clone(),
                args.by.or(settings.by),
                &encryption,
            )?;
            if let Some(listen) = listen {
                let mut config = NodeConfig::load(&config_path)?;
                config.listen = Some(listen);
                config.save(&config_path)?;
            }
            Ok(())
        };
        if let Err(e) = set_up() {
            // A failed install leaves nothing of its own behind, so the next
            // try starts clean; a data folder is never removed.
            let _ = std::fs::remove_dir_all(&installed_certs);
            if copied {
                let _ = std::fs::remove_file(&exe);
            }
            let _ = std::fs::remove_file(&config_path);
            return Err(e);
        }
    }
    keep_to_this_account(&home);
    let config = NodeConfig::load(&config_path)?;
    for made in shortcuts::make(&exe, &config_path)? {
        println!("  快捷方式:{}", made.display());
    }
    let client = running_service(&exe, &config_path, &config).await?;
    println!(
        "本站服务已在后台运行(http://{}/),开机登录后自动启动,联网时自动同步。",
        client.addr()
    );
    // Installed either way: a browser that does not open is said, not failed.
    if !args.no_browser
        && let Err(e) = open_in_browser(&client, &client.page_url().await?)
    {
        eprintln!("{e:#}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Copies this program to `to`; `false` when it already runs from there.
fn copy_program(to: &Path) -> Result<bool> {
    let this = std::env::current_exe().context("找不到 sanji 程序本身的位置")?;
    if std::fs::canonicalize(&this).ok() == std::fs::canonicalize(to).ok() {
        return Ok(false);
    }
    std::fs::copy(&this, to).with_context(|| format!("无法把程序复制到 {}", to.display()))?;
    Ok(true)
}

fn copy_certificates(from: &Path, to: &Path, village: &sanji_domain::Code) -> Result<()> {
    let names = [
        "ca.pem".to_owned(),
        format!("{village}.pem"),
        format!("{village}-key.pem"),
    ];
    let missing: Vec<&str> = names
        .iter()
        .filter(|name| !from.join(name).is_file())
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "证书目录 {} 中缺少 {}:请把县里为本村签发的证书放进去(或用 --certs 指明证书所在的文件夹)",
            from.display(),
            missing.join("、")
        );
    }
    std::fs::create_dir_all(to).with_context(|| format!("无法建立证书目录 {}", to.display()))?;
    for name in &names {
        std::fs::copy(from.join(name), to.join(name))
            .with_context(|| format!("无法把 {name} 复制到 {}", to.display()))?;
    }
    Ok(())
}

/// The folder holds the station's private key and the service's secret:
/// on Windows only this account (and the system and administrators) may
/// open it, instead of every user of the laptop as `%ProgramData%` allows.
fn keep_to_this_account(home: &Path) {
    if !cfg!(windows) {
        return;
    }
    let Ok(user) = std::env::var("USERNAME") else {
        eprintln!(
            "警告:不知道当前账号的名字,没能把 {} 限为本账号可用",
            home.display()
        );
        return;
    };
    let restricted = std::process::Command::new("icacls")
        .arg(home)
        .args(["/inheritance:r", "/grant:r"])
        .arg(format!("{user}:(OI)(CI)F"))
        .args([
            "/grant:r",
            "*S-1-5-18:(OI)(CI)F",
            "/grant:r",
            "*S-1-5-32-544:(OI)(CI)F",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !restricted.is_ok_and(|s| s.success()) {
        eprintln!(
            "警告:没能把 {} 限为本账号可用(icacls 失败);这台电脑的其他账号可能读到本站的私钥",
            home.display()
        );
    }
}

/// `sanji station uninstall`: stops the service and takes the shortcuts
/// away; the program, the config and every record stay in the folder.
pub async fn uninstall(config_path: &Path) -> Result<ExitCode> {
    if !config_path.exists() {
        anyhow::bail!(
            "这台电脑上没有找到安装的村工作站(没有配置文件 {})",
            config_path.display()
        );
    }
    let config = NodeConfig::load(config_path)?;
    let pending = match StationClient::find(&config.data_dir).await? {
        Some(client) => {
            let pending = match client.handle(&StationRequest::Status).await {
                Ok(StationReply::Status { status }) => Some(status.pending),
                _ => None,
            };
            client.stop().await?;
            pending
        }
        None => None,
    };
    for removed in shortcuts::remove()? {
        println!("  已删除快捷方式:{}", removed.display());
    }
    let folder = config_path
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| config.data_dir.clone());
    println!("已停止本站服务,删除了快捷方式。");
    println!(
        "本村的全部记录仍保存在 {}(数据目录 {}),没有删除。",
        folder.display(),
        config.data_dir.display()
    );
    match pending {
        Some(0) => println!("镇中心已确认本机的全部记录。"),
        Some(n) => println!(
            "注意:还有 {n} 条记录镇中心尚未确认。请先联网同步,确认后再处理这个文件夹;删除它会永久丢失这些记录。"
        ),
        None => {
            println!("删除这个文件夹前,请先确认镇中心已收到本机的全部记录(sanji station status)。")
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The clerk's way in: a Start-menu and a desktop shortcut that open the
/// pages, and one in the log-on folder that starts the service quietly.
mod shortcuts {
    use std::path::{Path, PathBuf};

    use anyhow::Result;

    use super::{SHORTCUT_NAME, background_shortcut_name};

    struct Shortcut {
        link: PathBuf,
        arguments: String,
        description: &'static str,
    }

    fn planned(config: &Path) -> Result<Vec<Shortcut>> {
        let open = format!("station --config \"{}\" open", config.display());
        let folders = shell::folders()?;
        Ok(vec![
            Shortcut {
                link: folders.programs.join(format!("{SHORTCUT_NAME}.lnk")),
                arguments: open.clone(),
                description: "打开本村工作站的登记页面",
            },
            Shortcut {
                link: folders.desktop.join(format!("{SHORTCUT_NAME}.lnk")),
                arguments: open.clone(),
                description: "打开本村工作站的登记页面",
            },
            Shortcut {
                link: folders
                    .startup
                    .join(format!("{}.lnk", background_shortcut_name())),
                arguments: format!("{open} --background"),
                description: "登录后在后台启动本站服务,联网时自动同步",
            },
        ])
    }

    /// Makes the shortcuts (replacing older ones); says where.
    pub fn make(exe: &Path, config: &Path) -> Result<Vec<PathBuf>> {
        if !cfg!(windows) {
            println!("  (只有 Windows 上建快捷方式;这里请用 sanji station open 打开页面)");
            return Ok(Vec::new());
        }
        let dir = exe.parent().unwrap_or(Path::new("."));
        let mut made = Vec::new();
        for shortcut in planned(config)? {
            shell::link(
                &shortcut.link,
                exe,
                &shortcut.arguments,
                dir,
                shortcut.description,
            )?;
            made.push(shortcut.link);
        }
        Ok(made)
    }

    /// Removes the shortcuts `make` made; says which were there.
    pub fn remove() -> Result<Vec<PathBuf>> {
        if !cfg!(windows) {
            return Ok(Vec::new());
        }
        let mut removed = Vec::new();
        for shortcut in planned(Path::new(""))? {
            if std::fs::remove_file(&shortcut.link).is_ok() {
                removed.push(shortcut.link);
            }
        }
        Ok(removed)
    }

    struct Folders {
        programs: PathBuf,
        desktop: PathBuf,
        startup: PathBuf,
    }

    #[cfg(windows)]
    mod shell {
        use std::path::{Path, PathBuf};

        use anyhow::{Context, Result};
        use windows::Win32::System::Com::{
            CLSCTX_INPROC_SERVER, COINIT_APARTMENTTHREADED, CoCreateInstance, CoInitializeEx,
            CoTaskMemFree, IPersistFile,
        };
        use windows::Win32::UI::Shell::{
            FOLDERID_Desktop, FOLDERID_Programs, FOLDERID_Startup, IShellLinkW, KF_FLAG_CREATE,
            SHGetKnownFolderPath, ShellLink,
        };
        use windows::Win32::UI::WindowsAndMessaging::SW_SHOWMINNOACTIVE;
        use windows::core::{GUID, HSTRING, Interface};

        pub(super) fn folders() -> Result<super::Folders> {
            Ok(super::Folders {
                programs: known_folder(&FOLDERID_Programs).context("找不到开始菜单的程序文件夹")?,
                desktop: known_folder(&FOLDERID_Desktop).context("找不到桌面文件夹")?,
                startup: known_folder(&FOLDERID_Startup).context("找不到开机启动文件夹")?,
            })
        }

        fn known_folder(id: &GUID) -> Result<PathBuf> {
            // SAFETY: the shell hands back a string it allocated, read
            // once here and freed with the allocator it names.
            unsafe {
                let path = SHGetKnownFolderPath(id, KF_FLAG_CREATE, None)?;
                let text = path.to_string();
                CoTaskMemFree(Some(path.0 as *const core::ffi::c_void));
                Ok(PathBuf::from(text?))
            }
        }

        /// A shortcut through the shell's own IShellLinkW, started
        /// minimised (only `sanji station open`'s console would show).
        pub(super) fn link(
            link: &Path,
            target: &Path,
            arguments: &str,
            dir: &Path,
            description: &str,
        ) -> Result<()> {
            let made = || -> windows::core::Result<()> {
                // SAFETY: COM is initialised on this thread before the
                // shell link is made, and every string outlives its call.
                unsafe {
                    let _ = CoInitializeEx(None, COINIT_APARTMENTTHREADED);
                    let shell_link: IShellLinkW =
                        CoCreateInstance(&ShellLink, None, CLSCTX_INPROC_SERVER)?;
                    shell_link.SetPath(&HSTRING::from(target.as_os_str()))?;
                    shell_link.SetArguments(&HSTRING::from(arguments))?;
                    shell_link.SetWorkingDirectory(&HSTRING::from(dir.as_os_str()))?;
                    shell_link.SetDescription(&HSTRING::from(description))?;
                    shell_link.SetShowCmd(SW_SHOWMINNOACTIVE)?;
                    let file: IPersistFile = shell_link.cast()?;
                    file.Save(&HSTRING::from(link.as_os_str()), true)
                }
            };
            made().with_context(|| format!("无法建立快捷方式 {}", link.display()))
        }
    }

    #[cfg(not(windows))]
    mod shell {
        use std::path::Path;

        use anyhow::Result;

        pub(super) fn folders() -> Result<super::Folders> {
            anyhow::bail!("只有 Windows 上有开始菜单")
        }

        pub(super) fn link(_: &Path, _: &Path, _: &str, _: &Path, _: &str) -> Result<()> {
            anyhow::bail!("只有 Windows 上建快捷方式")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packages_settings_are_read_with_or_without_a_byte_order_mark() {
        let settings = toml_settings(
            "\u{feff}code = \"360123100201\"\nhub = \"10.1.2.3:7100\"\nby = \"李红梅\"\n",
        )
        .unwrap();
        assert_eq!(settings.code.as_deref(), Some("360123100201"));
        assert_eq!(settings.hub.as_deref(), Some("10.1.2.3:7100"));
        assert_eq!(settings.by.as_deref(), Some("李红梅"));
        assert!(
            toml_settings("village = \"x\"").is_err(),
            "an unknown key is refused"
        );
    }
}
