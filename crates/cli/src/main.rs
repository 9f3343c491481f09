//! The `sanji` command: thin parsing and printing over sanji-node's operator
//! layer. Chinese for people, English identifiers for flags and JSON.

#[cfg(feature = "bench")]
mod bench_cmd;
mod case_cmd;
mod clap_zh;
mod demo_cmd;
mod directory_cmd;
mod flags;
mod passphrase;
mod pki_cmd;
mod read_cmd;
mod render;
mod station_app;
mod station_cmd;
mod user_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "sanji",
    version,
    about = "三级联动:村工作站、镇综治信访维稳中心、县综治办的台账登记与同步",
    long_about = "三级联动(sanji):村工作站离线登记排查、接访、案件,联网后经 mTLS gRPC 同步到镇中心;\n镇中心把每日汇总和重大排查上报县综治办。\n\n快速体验:sanji demo"
)]
struct Cli {
    /// 显示运行细节(调试用;也可用环境变量 SANJI_LOG 或 RUST_LOG 指定,如 SANJI_LOG=debug)
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 证书:创建县级 CA,为节点和人员签发证书
    #[command(subcommand)]
    Pki(pki_cmd::PkiCommand),
    /// 村工作站:登记、查看、同步
    Station(station_cmd::StationArgs),
    /// 镇中心:运行服务,查看各村上报的台账
    Hub(read_cmd::HubArgs),
    /// 县综治办:运行服务,查看各镇汇总与重大排查
    County(read_cmd::CountyArgs),
    /// 在本机启动完整的县—镇—村演示
    Demo(demo_cmd::DemoArgs),
    /// 性能测量:吞吐、延迟、内存(回环 mTLS,真实落盘)
    #[cfg(feature = "bench")]
    Bench(bench_cmd::BenchArgs),
}

/// The config a command reads when none is named.
pub const DEFAULT_CONFIG: &str = "sanji.toml";

/// Options shared by every role's commands.
#[derive(Args, Clone)]
pub struct Common {
    /// 配置文件路径
    #[arg(
        long,
        global = true,
        env = "SANJI_CONFIG",
        default_value = DEFAULT_CONFIG
    )]
    pub config: PathBuf,
    /// 以 JSON 输出(供程序读取)
    #[arg(long, global = true)]
    pub json: bool,
}

/// A clerk sees sanji's own Chinese messages and nothing else; a server's
/// log says what it serves. Libraries' own log lines (sled's, in English)
/// appear only when asked for: `--verbose`, `SANJI_LOG` or `RUST_LOG`.
/// A serving station also writes its log to `log_dir`, a file a day, where
/// the clerk (or whoever helps them) can find it.
fn init_logging(serving: bool, verbose: bool, log_dir: Option<PathBuf>) {
    use std::io::IsTerminal;
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default = match (serving, verbose) {
        (_, true) => "debug,h2=info,hyper=info,hyper_util=info,rustls=info,tower=info,reqwest=info",
        (true, false) => "info,sled=off",
        (false, false) => "off",
    };
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("SANJI_LOG")
            .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default))
    };
    let terminal = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes belong on a terminal, not in a redirected log file.
        .with_ansi(
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .with_filter(filter());
    let file = log_dir.and_then(|dir| {
        let appender = std::fs::create_dir_all(&dir)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                tracing_appender::rolling::Builder::new()
                    .rotation(tracing_appender::rolling::Rotation::DAILY)
                    .filename_prefix("station")
                    .filename_suffix("log")
                    .max_log_files(30)
                    .build(&dir)
                    .map_err(|e| e.to_string())
            });
        match appender {
            Ok(appender) => Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(appender)
                    .with_ansi(false)
                    .with_filter(filter()),
            ),
            Err(e) => {
                eprintln!(
                    "警告:无法在 {} 写日志文件({e}),日志只显示在本窗口",
                    dir.display()
                );
                None
            }
        }
    });
    let _ = tracing_subscriber::registry()
        .with(terminal)
        .with(file)
        .try_init();
}

/// Where a serving station writes its log: `logs` in its data folder.
pub fn station_log_dir(config: &sanji_node::NodeConfig) -> PathBuf {
    config.data_dir.join("logs")
}

/// Resolves on Ctrl-C or SIGTERM (systemd's stop), so servers stop cleanly either way.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// A server's threads each get a glibc malloc arena by default (up to 8 per
/// core), and each arena keeps what it freed: after a county morning the hub
/// held 60% more resident memory than its live heap. Two arenas cost nothing
/// measurable in throughput here (docs/PERFORMANCE.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: called at start-up before any other thread exists; mallopt
    // only adjusts allocator parameters.
    let done = unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
    if done != 1 {
        tracing::warn!("mallopt(M_ARENA_MAX) 未生效");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> ExitCode {
    let mut command = clap_zh::localize(Cli::command());
    let matches = clap_zh::matches(&mut command);
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => clap_zh::exit(&e, &command),
    };
    if let Command::Station(args) = &mut cli.command {
        args.use_installed_config();
    }
    let serving = matches!(
        &cli.command,
        Command::Hub(read_cmd::HubArgs {
            command: read_cmd::HubCommand::Serve,
            ..
        }) | Command::County(read_cmd::CountyArgs {
            command: read_cmd::CountyCommand::Serve,
            ..
        })
    );
    // A station's config names its data folder, where its log goes.
    let station_log = match &cli.command {
        Command::Station(args) if args.serves() => sanji_node::NodeConfig::load(args.config())
            .ok()
            .map(|config| station_log_dir(&config)),
        _ => None,
    };
    let serving = serving || station_log.is_some();
    init_logging(serving, cli.verbose, station_log);
    if serving {
        limit_malloc_arenas();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("错误:无法启动运行时:{e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Pki(cmd) => pki_cmd::run(cmd),
            Command::Station(args) => station_cmd::run(args).await,
            Command::Hub(args) => read_cmd::run_hub(args).await,
            Command::County(args) => read_cmd::run_county(args).await,
            Command::Demo(args) => demo_cmd::run(args).await,
            #[cfg(feature = "bench")]
            Command::Bench(args) => bench_cmd::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            // Each cause after the one before, joined as Chinese text is.
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("错误:{}", chain.join(":"));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chinese(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// Every command and flag says in Chinese what it is and what it takes;
    /// clap's own English headings and help lines never show.
    #[test]
    fn every_command_and_flag_has_a_chinese_help_text() {
        let mut missing = vec![];
        let mut english = vec![];
        fn walk(
            cmd: &mut clap::Command,
            path: String,
            missing: &mut Vec<String>,
            english: &mut Vec<String>,
        ) {
            let help = cmd.render_help().to_string();
            for word in [
                "Usage:",
                "Options:",
                "Commands:",
                "Arguments:",
                "Print help",
                "[default:",
                "[env:",
            ] {
                if help.contains(word) {
                    english.push(format!("{path}: {word}"));
                }
            }
            if !cmd.get_about().is_some_and(|a| chinese(&a.to_string())) && !path.is_empty() {
                missing.push(format!("{path} (about)"));
            }
            for arg in cmd.get_arguments() {
                if !arg.get_help().is_some_and(|h| chinese(&h.to_string())) {
                    missing.push(format!("{path} --{}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands_mut() {
                let sub_name = sub.get_name().to_owned();
                if sub_name == "help" {
                    continue;
                }
                walk(sub, format!("{path} {sub_name}"), missing, english);
            }
        }
        let mut cmd = clap_zh::localize(Cli::command());
        walk(&mut cmd, String::new(), &mut missing, &mut english);
        assert!(missing.is_empty(), "no Chinese help: {missing:#?}");
        assert!(english.is_empty(), "clap's English shows: {english:#?}");
    }
}
