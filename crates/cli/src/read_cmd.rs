use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use sanji_node::{NodeConfig, Role, console, server, views};
use serde::de::DeserializeOwned;

use crate::{Common, render};

#[derive(Args)]
pub struct HubArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: HubCommand,
}

#[derive(Subcommand)]
pub enum HubCommand {
    /// 运行镇中心服务(接收各村同步,向县上报),Ctrl-C 停止
    Serve,
    /// 各村上报的排查登记
    Screenings(Filter),
    /// 各村的接访记录
    Visits(Filter),
    /// 各村登记的案件
    Cases(Filter),
    /// 各村工作站:最后同步时间、已确认与待同步数
    Stations,
    /// 本镇向县综治办上报的链路状态
    Link,
}

#[derive(Args)]
pub struct Filter {
    /// 只看某村(区划代码或其前缀)
    #[arg(long)]
    village: Option<String>,
}

#[derive(Args)]
pub struct CountyArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: CountyCommand,
}

#[derive(Subcommand)]
pub enum CountyCommand {
    /// 运行县综治办服务(接收各镇上报),Ctrl-C 停止
    Serve,
    /// 各镇:链路状态与汇总合计
    Townships,
    /// 各村每日排查汇总(按类别与风险)
    Summaries(Filter),
    /// 上报县级的重大/群体性排查
    Severe(Filter),
}

pub async fn run_hub(args: HubArgs) -> Result<ExitCode> {
    let config = load(&args.common, Role::Hub)?;
    let json = args.common.json;
    match args.command {
        HubCommand::Serve => serve(config).await,
        HubCommand::Screenings(f) => {
            show::<views::ScreeningRow>(&config, "screenings", f, json, render::screenings).await
        }
        HubCommand::Visits(f) => {
            show::<views::VisitRow>(&config, "visits", f, json, render::visits).await
        }
        HubCommand::Cases(f) => {
            show::<views::CaseRow>(&config, "cases", f, json, render::cases).await
        }
        HubCommand::Link => {
            let value = console::query_remote(&config, "upstream", BTreeMap::new()).await?;
            if json {
                render::json(&value);
            } else {
                let status: Option<sanji_node::forward::UpstreamStatus> =
                    serde_json::from_value(value)?;
                render::upstream(status.as_ref());
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Stations => {
            show::<views::PeerRow>(
                &config,
                "stations",
                Filter { village: None },
                json,
                render::stations,
            )
            .await
        }
    }
}

pub async fn run_county(args: CountyArgs) -> Result<ExitCode> {
    let config = load(&args.common, Role::County)?;
    let json = args.common.json;
    match args.command {
        CountyCommand::Serve => serve(config).await,
        CountyCommand::Townships => {
            show::<views::TownshipRow>(
                &config,
                "townships",
                Filter { village: None },
                json,
                render::townships,
            )
            .await
        }
        CountyCommand::Summaries(f) => {
            show::<sanji_domain::DailySummary>(&config, "summaries", f, json, render::summaries)
                .await
        }
        CountyCommand::Severe(f) => {
            show::<views::ScreeningRow>(&config, "severe", f, json, render::screenings).await
        }
    }
}

fn load(common: &Common, role: Role) -> Result<NodeConfig> {
    let config = NodeConfig::load(&common.config)?;
    if config.role != role {
        bail!(
            "配置文件 {} 属于{}({}),不是{}",
            common.config.display(),
            config.role.label(),
            config.code,
            role.label()
        );
    }
    Ok(config)
}

async fn serve(config: NodeConfig) -> Result<ExitCode> {
    let listen = config.listen.clone().unwrap_or_default();
    let mut node = server::start(config, &listen).await?;
    eprintln!(
        "{} {} 正在 {} 提供服务(mTLS)。按 Ctrl-C 停止。",
        node.config.role.label(),
        node.config.code,
        node.addr
    );
    tokio::select! {
        result = node.wait() => { result?; }
        _ = crate::shutdown_signal() => {
            eprintln!("正在停止……");
            node.stop().await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn show<T: DeserializeOwned>(
    config: &NodeConfig,
    view: &str,
    filter: Filter,
    json: bool,
    table: fn(&[T]),
) -> Result<ExitCode> {
    let mut params = BTreeMap::new();
    if let Some(village) = filter.village {
        params.insert("village".to_owned(), village);
    }
    let value = console::query_remote(config, view, params).await?;
    if json {
        render::json(&value);
    } else {
        let rows: Vec<T> = serde_json::from_value(value)?;
        table(&rows);
    }
    Ok(ExitCode::SUCCESS)
}
