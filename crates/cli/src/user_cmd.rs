//! `sanji hub user …` / `sanji county user …`: the administrator at the
//! server manages people's console accounts through the running node, under
//! the node's own certificate.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use sanji_domain::Labelled;
use sanji_domain::case::ActorRole;
use sanji_node::ops::{Admin, AdminOutcome};
use sanji_node::{NodeConfig, console};

use crate::render;

#[derive(Subcommand)]
pub enum UserCommand {
    /// 新建账号,打印一次性密码(本人首次登录时须改密码)
    Add {
        /// 姓名
        #[arg(long)]
        name: String,
        /// 角色:operator(总台) director(中心主任) unit_staff(成员单位工作人员);县里为 county(县综治办)。中文亦可
        #[arg(long)]
        role: String,
        /// 所属成员单位(成员单位工作人员必填,如 司法所)
        #[arg(long)]
        unit: Option<String>,
        /// 登录用户名(默认为姓名)
        #[arg(long)]
        login: Option<String>,
    },
    /// 列出全部账号
    List,
    /// 重置密码(打印新的一次性密码,并解除锁定)
    Reset {
        /// 登录用户名
        #[arg(long)]
        login: String,
    },
    /// 停用账号
    Disable {
        /// 登录用户名
        #[arg(long)]
        login: String,
    },
    /// 重新启用账号
    Enable {
        /// 登录用户名
        #[arg(long)]
        login: String,
    },
}

pub async fn run(config: &NodeConfig, command: UserCommand, json: bool) -> Result<ExitCode> {
    let admin = match command {
        UserCommand::Add {
            name,
            role,
            unit,
            login,
        } => Admin::AddAccount {
            name,
            login,
            role: ActorRole::parse_for("--role", &role)?,
            unit,
        },
        UserCommand::List => Admin::ListAccounts,
        UserCommand::Reset { login } => Admin::ResetAccount { login },
        UserCommand::Disable { login } => Admin::SetAccountDisabled {
            login,
            disabled: true,
        },
        UserCommand::Enable { login } => Admin::SetAccountDisabled {
            login,
            disabled: false,
        },
    };
    let outcome: AdminOutcome = console::admin_remote(config, &admin).await?;
    if json {
        render::json(&outcome);
    } else {
        render::accounts(&outcome);
    }
    Ok(ExitCode::SUCCESS)
}
