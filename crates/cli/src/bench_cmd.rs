use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::render;

#[derive(Args)]
pub struct BenchArgs {
    /// 只跑一个场景:raw backlog incremental fanin morning cold_start county_report
    #[arg(long)]
    scenario: Option<String>,
    /// 缩小事件数(冒烟测试用)
    #[arg(long)]
    events: Option<u64>,
    /// 缩小站点数
    #[arg(long)]
    stations: Option<u64>,
    /// pages 场景中县里的乡镇数(默认 30)
    #[arg(long)]
    townships: Option<u64>,
    /// 以一个 JSON 对象输出
    #[arg(long)]
    json: bool,
    /// 临时数据目录(默认新建,跑完删除)
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub async fn run(args: BenchArgs) -> Result<ExitCode> {
    let temp = tempfile::Builder::new().prefix("sanji-bench-").tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let opts = sanji_bench::Options {
        dir,
        exe: std::env::var_os("SANJI_BENCH_EXE")
            .map(Into::into)
            .map_or_else(std::env::current_exe, Ok)?,
        scenario: args.scenario,
        events: args.events,
        stations: args.stations,
        townships: args.townships,
    };
    if !args.json {
        eprintln!("正在测量(回环地址、mTLS、落盘确认)……");
    }
    let report = sanji_bench::run(&opts).await?;
    if args.json {
        render::json(&report);
    } else {
        for (name, value) in &report.figures {
            println!("{name:<40} {value:>14.2}");
        }
        if !report.sizes.is_empty() {
            println!("\n规模:");
            for (name, value) in &report.sizes {
                println!("  {name:<38} {value:>14}");
            }
        }
        println!("\n目标:");
        for c in &report.targets {
            println!(
                "  {} {:<38} {:>12.2}  {}",
                if c.met { "✔" } else { "✘" },
                c.figure,
                c.value,
                c.target
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
