//! `sanji hub directory …` / `sanji county directory …`: the administrator
//! at the server keeps the directory of names (名录) through the running
//! node, under the node's own certificate, as `user` does for accounts.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use sanji_node::directory::{DirectoryEdit, Listing};
use sanji_node::ops::{Admin, Query};
use sanji_node::{NodeConfig, console};

use crate::render;

#[derive(Subcommand)]
pub enum HubDirectory {
    /// 本镇的村:登记(或改名)、停用
    #[command(subcommand)]
    Village(PlaceCommand),
    /// 本镇的成员单位(司法所、派出所……):登记、停用
    #[command(subcommand)]
    Unit(UnitCommand),
    /// 列出名录
    List,
}

#[derive(Subcommand)]
pub enum CountyDirectory {
    /// 本县的乡镇:登记(或改名)、停用
    #[command(subcommand)]
    Township(PlaceCommand),
    /// 列出名录
    List,
}

#[derive(Subcommand)]
pub enum PlaceCommand {
    /// 登记(代码已登记则改名并恢复使用)
    Add {
        /// 行政区划代码(村 12 位,乡镇 9 位)
        #[arg(long)]
        code: String,
        /// 名称,如 东山村
        #[arg(long)]
        name: String,
    },
    /// 停用(已有案件仍显示其名称,但不能再分流或交办到此)
    Retire {
        /// 要停用的行政区划代码
        #[arg(long)]
        code: String,
    },
}

#[derive(Subcommand)]
pub enum UnitCommand {
    /// 登记成员单位(已停用的则恢复使用)
    Add {
        /// 单位名称,如 司法所
        #[arg(long)]
        name: String,
    },
    /// 停用成员单位
    Retire {
        /// 要停用的单位名称
        #[arg(long)]
        name: String,
    },
}

fn place_edit(command: PlaceCommand, township: bool) -> DirectoryEdit {
    match command {
        PlaceCommand::Add { code, name } if township => DirectoryEdit::Township { code, name },
        PlaceCommand::Add { code, name } => DirectoryEdit::Village { code, name },
        PlaceCommand::Retire { code } => DirectoryEdit::RetirePlace { code },
    }
}

pub async fn run_hub(config: &NodeConfig, command: HubDirectory, json: bool) -> Result<ExitCode> {
    let edit = match command {
        HubDirectory::Village(c) => place_edit(c, false),
        HubDirectory::Unit(UnitCommand::Add { name }) => DirectoryEdit::Unit { name },
        HubDirectory::Unit(UnitCommand::Retire { name }) => DirectoryEdit::RetireUnit { name },
        HubDirectory::List => return list(config, json).await,
    };
    edit_and_show(config, edit, json).await
}

pub async fn run_county(
    config: &NodeConfig,
    command: CountyDirectory,
    json: bool,
) -> Result<ExitCode> {
    match command {
        CountyDirectory::Township(c) => edit_and_show(config, place_edit(c, true), json).await,
        CountyDirectory::List => list(config, json).await,
    }
}

async fn edit_and_show(config: &NodeConfig, edit: DirectoryEdit, json: bool) -> Result<ExitCode> {
    let outcome = console::admin_remote(config, &Admin::EditDirectory { edit }).await?;
    show(&outcome.directory.unwrap_or_default(), json);
    Ok(ExitCode::SUCCESS)
}

async fn list(config: &NodeConfig, json: bool) -> Result<ExitCode> {
    let value = console::query_remote(config, &Query::Directory).await?;
    show(&serde_json::from_value(value)?, json);
    Ok(ExitCode::SUCCESS)
}

fn show(listing: &Listing, json: bool) {
    if json {
        render::json(listing);
    } else {
        render::directory(listing);
    }
}
