use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening, Visit, VisitChannel,
    ZeroReport,
};
use sanji_domain::time::cst_date;
use sanji_domain::{Code, FieldError, Labelled, Level};
use sanji_node::config::Encryption;
use sanji_node::station_api::{StationReply, StationRequest};
use sanji_node::{NodeConfig, NodeError, Role, Station};
use sanji_sync::SyncError;
use sanji_web::station_client::StationClient;

use crate::flags;
use crate::{Common, clap_zh, render};

#[derive(Args)]
pub struct StationArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: StationCommand,
}

impl StationArgs {
    /// `sanji station serve`, which logs like a server.
    pub fn serves(&self) -> bool {
        matches!(self.command, StationCommand::Serve { .. })
    }

    pub fn config(&self) -> &std::path::Path {
        &self.common.config
    }

    /// On Windows a command that names no config uses the one `sanji
    /// station install` wrote, so the clerk never types `--config`.
    pub fn use_installed_config(&mut self) {
        let unnamed = self.common.config == std::path::Path::new(crate::DEFAULT_CONFIG)
            && !self.common.config.exists();
        if unnamed && let Some(installed) = crate::station_app::installed_config() {
            self.common.config = installed;
        }
    }
}

#[derive(Subcommand)]
enum StationCommand {
    /// 初始化本村工作站:写出配置文件,建立本地数据库
    Init {
        /// 本村区划代码(12 位数字,须与证书目录中本站证书的代码一致)
        #[arg(long)]
        code: String,
        /// 镇中心地址(主机:端口,如 192.168.1.10:7100)
        #[arg(long)]
        hub: String,
        /// 本地数据目录(不存在则新建;Windows 上默认为 %ProgramData%\sanji\<本村代码>)
        #[arg(long)]
        data: Option<PathBuf>,
        /// 证书目录(含 ca.pem、<代码>.pem 与 <代码>-key.pem)
        #[arg(long)]
        certs: PathBuf,
        /// 默认经办人姓名(登记时不写 --by 即用此人)
        #[arg(long)]
        by: Option<String>,
        /// 本地数据加密方式:node_key(用本站私钥,默认) passphrase(用口令,取自环境变量 SANJI_PASSPHRASE) none(不加密)
        #[arg(long, default_value = "node_key")]
        encryption: String,
    },
    /// 换钥:证书换发(私钥变了)或改口令后,让本地数据改由配置中的新密钥材料保护
    Rekey {
        /// 原来的本站私钥文件(证书换发前的 <代码>-key.pem)
        #[arg(long, conflicts_with = "old_passphrase_env")]
        old_key: Option<PathBuf>,
        /// 存放原口令的环境变量名(如 OLD_PASSPHRASE)
        #[arg(long)]
        old_passphrase_env: Option<String>,
    },
    /// 不安定因素排查登记
    #[command(subcommand)]
    Screening(AddScreening),
    /// 零报告:本周排查没有发现矛盾纠纷和不安定因素时报一次,镇中心就知道本村排查过了
    #[command(subcommand, name = "zero-report")]
    ZeroReport(AddZeroReport),
    /// 接访记录
    #[command(subcommand)]
    Visit(AddVisit),
    /// 案件受理登记
    #[command(subcommand)]
    Case(AddCase),
    /// 查看本地台账
    List {
        /// screenings(排查) / visits(接访) / cases(案件);不填则全部
        what: Option<String>,
    },
    /// 本站状态:记录数、待同步数、上次同步
    Status,
    /// 导出本站登记的全部记录(每行一个事件的 JSON,含当事人姓名等个人信息),例如证书吊销、换电脑时交镇中心处理
    Export {
        /// 导出文件(不覆盖已有文件;只有本人可读)
        #[arg(long)]
        out: PathBuf,
        /// 加密导出:存放口令的环境变量名(如 EXPORT_PASSPHRASE);接收方用 sanji station open-export 和同一口令打开
        #[arg(long)]
        seal_passphrase_env: Option<String>,
    },
    /// 打开加密的导出文件(sanji station export --seal-passphrase-env 所写),写出明文
    OpenExport {
        /// 加密的导出文件
        #[arg(long = "in")]
        input: PathBuf,
        /// 明文输出文件(不覆盖已有文件;只有本人可读)
        #[arg(long)]
        out: PathBuf,
        /// 存放口令的环境变量名(导出时用的同一口令)
        #[arg(long)]
        passphrase_env: String,
    },
    /// 运行本站服务:独占数据目录,联网时在后台自动同步,本机的登记、查看、同步命令都交给它办理(按 Ctrl-C 停止)
    Serve {
        /// 本站服务地址,只能是本机回环地址(默认取配置中的 listen,再默认 127.0.0.1:7181)
        #[arg(long)]
        listen: Option<String>,
    },
    /// 打开本站页面:本站服务没有运行就先在后台启动它,再在浏览器中打开(开始菜单的快捷方式运行的就是这个命令)
    Open {
        /// 不打开浏览器,只打印一分钟内有效的登录地址
        #[arg(long)]
        print_url: bool,
        /// 只在后台启动本站服务,不打开浏览器(开机登录时的快捷方式用)
        #[arg(long, conflicts_with = "print_url")]
        background: bool,
    },
    /// 停止正在运行的本站服务(已登记的记录都保留,下次打开继续同步)
    Stop,
    /// 在这台电脑上安装村工作站(Windows 安装包的 install.cmd 运行的就是这个命令;已安装时换成本安装包的程序,配置和记录不变)
    Install(crate::station_app::InstallArgs),
    /// 卸载:停止本站服务,删除快捷方式;程序、配置和全部记录留在原处
    Uninstall,
    /// 解锁用口令加密的本站数据:把口令交给正在运行的本站服务(输入时不显示)
    Unlock,
    /// 与镇中心同步一轮(先推送,后拉取)
    Sync {
        /// 网络不通时最多尝试几次
        #[arg(long, default_value_t = 3)]
        attempts: u32,
    },
}

/// What a screening says, as flags: the station's and the center's alike.
#[derive(clap::Args)]
pub struct ScreeningFlags {
    #[arg(long, help = clap_zh::one_of::<Category>("类别"))]
    category: String,
    #[arg(long, help = clap_zh::one_of::<RiskLevel>("风险等级"))]
    risk: String,
    /// 当事人姓名(可多次,每人一个 --party)
    #[arg(long = "party", required = true)]
    parties: Vec<String>,
    /// 涉及人数(1 到 100000 的整数)
    #[arg(long, allow_negative_numbers = true)]
    people: i64,
    /// 基本情况
    #[arg(long)]
    description: String,
    /// 已采取的措施
    #[arg(long, default_value = "")]
    measures: String,
    /// 易激化
    #[arg(long)]
    may_escalate: bool,
    /// 有群体性事件风险
    #[arg(long)]
    mass_incident: bool,
    /// 排查日期(YYYY-MM-DD,不能晚于今天;默认今天)
    #[arg(long)]
    date: Option<String>,
    /// 排查人姓名(默认同经办人)
    #[arg(long)]
    screener: Option<String>,
}

impl ScreeningFlags {
    /// The screening of `village` these flags describe; `screener` when
    /// none was given.
    pub fn screening(
        self,
        village: Code,
        screener: Option<String>,
        line: Option<String>,
        today: NaiveDate,
    ) -> Result<Screening, FieldError> {
        Ok(Screening {
            village,
            screened_on: date_or_today("date", self.date.as_deref(), today)?,
            screener: self.screener.or(screener).unwrap_or_default(),
            category: Category::parse_for("category", &self.category)?,
            parties: party_list(self.parties),
            people_involved: people_count("people", self.people)?,
            risk: RiskLevel::parse_for("risk", &self.risk)?,
            may_escalate: self.may_escalate,
            mass_incident_risk: self.mass_incident,
            description: self.description,
            measures: self.measures,
            line,
        })
    }
}

#[derive(Subcommand)]
enum AddScreening {
    /// 新增一条排查登记
    Add {
        #[command(flatten)]
        fields: ScreeningFlags,
        /// 经办人姓名(默认取配置中的 default_author)
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
enum AddZeroReport {
    /// 报本周零报告(本周已有排查登记的不能报)
    Add {
        /// 排查日期(YYYY-MM-DD,不能晚于今天;默认今天),零报告管这一天所在的一周(周一到周日)
        #[arg(long)]
        date: Option<String>,
        /// 说明(如:已逐户走访,未发现矛盾纠纷)
        #[arg(long, default_value = "")]
        note: String,
        /// 排查人姓名(默认同经办人,镇中心为登记人)
        #[arg(long)]
        screener: Option<String>,
        /// 经办人姓名(默认取配置中的 default_author)
        #[arg(long)]
        by: Option<String>,
    },
    /// 本站报过的零报告
    List,
}

#[derive(Subcommand)]
enum AddVisit {
    /// 新增一条接访记录
    Add {
        #[arg(long, default_value = "in_person", help = clap_zh::one_of::<VisitChannel>("接访方式"))]
        channel: String,
        /// 来访人姓名
        #[arg(long)]
        visitor: String,
        /// 来访人联系方式(电话等)
        #[arg(long)]
        contact: Option<String>,
        /// 来访人数(1 到 100000 的整数)
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        people: i64,
        #[arg(long, help = clap_zh::one_of::<Category>("类别"))]
        category: String,
        /// 反映的问题
        #[arg(long)]
        summary: String,
        /// 当场答复内容(当场答复了才填)
        #[arg(long)]
        answer: Option<String>,
        /// 接访日期(YYYY-MM-DD,不能晚于今天;默认今天)
        #[arg(long)]
        date: Option<String>,
        /// 接访人姓名(默认同经办人)
        #[arg(long)]
        receiver: Option<String>,
        /// 经办人姓名(默认取配置中的 default_author)
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
enum AddCase {
    /// 查看交办给本村的案件(一案一档)
    Show(crate::case_cmd::CaseRef),
    /// 办理交办给本村的案件:调处进展、办结、反馈、回访(离线可用,下次同步上报)
    #[command(flatten)]
    Step(crate::case_cmd::StepArgs),
    /// 新增一件案件受理登记
    Add {
        #[arg(long, default_value = "visit", help = clap_zh::one_of::<CaseSource>("来源"))]
        source: String,
        #[arg(long, help = clap_zh::one_of::<Category>("类别"))]
        category: String,
        /// 当事人姓名(可多次,每人一个 --party)
        #[arg(long = "party", required = true)]
        parties: Vec<String>,
        /// 涉及人数(1 到 100000 的整数)
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        people: i64,
        /// 诉求
        #[arg(long)]
        claim: String,
        /// 首问首接人姓名(默认同经办人)
        #[arg(long)]
        first_receiver: Option<String>,
        /// 首接单位(默认本村工作站)
        #[arg(long)]
        first_unit: Option<String>,
        /// 疑难案件
        #[arg(long)]
        complex: bool,
        /// 登记日期(YYYY-MM-DD,不能晚于今天;默认今天)
        #[arg(long)]
        date: Option<String>,
        /// 经办人姓名(默认取配置中的 default_author)
        #[arg(long)]
        by: Option<String>,
    },
}

pub async fn run(args: StationArgs) -> Result<ExitCode> {
    let common = args.common;
    match args.command {
        StationCommand::Init {
            code,
            hub,
            data,
            certs,
            by,
            encryption,
        } => return init(&common, &code, hub, data, certs, by, &encryption),
        StationCommand::Rekey {
            old_key,
            old_passphrase_env,
        } => return rekey(&common, old_key, old_passphrase_env),
        StationCommand::OpenExport {
            input,
            out,
            passphrase_env,
        } => return open_export(&common, &input, &out, &passphrase_env),
        StationCommand::Install(install) => return crate::station_app::install(install).await,
        StationCommand::Uninstall => return crate::station_app::uninstall(&common.config).await,
        _ => {}
    }
    let config = NodeConfig::load(&common.config)?;
    match &args.command {
        StationCommand::Serve { listen } => return serve(config, listen.as_deref()).await,
        StationCommand::Open {
            print_url,
            background,
        } => {
            return crate::station_app::open(&common.config, &config, *print_url, *background)
                .await;
        }
        StationCommand::Stop => return crate::station_app::stop(&config).await,
        _ => {}
    }
    let desk = reach(config).await?;
    let config = desk.config().clone();
    let default_author = config.default_author.clone();
    let today = cst_date(sanji_sync::Clock::skewed(config.clock_offset_ms).now_ms());
    match args.command {
        StationCommand::Init { .. }
        | StationCommand::Rekey { .. }
        | StationCommand::OpenExport { .. }
        | StationCommand::Serve { .. }
        | StationCommand::Open { .. }
        | StationCommand::Stop
        | StationCommand::Install(_)
        | StationCommand::Uninstall => {
            unreachable!("handled above")
        }
        StationCommand::Unlock => unlock(&desk).await,
        StationCommand::Screening(AddScreening::Add { fields, by }) => {
            let request = flags::SCREENING.on(|| {
                let screener = by.clone().or_else(|| default_author.clone());
                let screening = fields.screening(config.code.clone(), screener, None, today)?;
                Ok(StationRequest::RecordScreening { by, screening })
            })?;
            let reply = flags::SCREENING
                .on_async(async { Ok(desk.handle(request).await?) })
                .await?;
            recorded(&common, "排查登记", reply, &desk)
        }
        StationCommand::ZeroReport(AddZeroReport::Add {
            date,
            note,
            screener,
            by,
        }) => {
            let request = flags::ZERO_REPORT.on(|| {
                let screener = screener
                    .or_else(|| by.clone())
                    .or_else(|| default_author.clone());
                let zero_report = ZeroReport {
                    village: config.code.clone(),
                    round_on: date_or_today("date", date.as_deref(), today)?,
                    screener: screener.unwrap_or_default(),
                    note,
                };
                Ok(StationRequest::RecordZeroReport { by, zero_report })
            })?;
            let reply = flags::ZERO_REPORT
                .on_async(async { Ok(desk.handle(request).await?) })
                .await?;
            recorded(&common, "零报告", reply, &desk)
        }
        StationCommand::ZeroReport(AddZeroReport::List) => {
            let request = StationRequest::List {
                screenings: false,
                visits: false,
                cases: false,
                zero_reports: true,
            };
            let rows = match desk.handle(request).await? {
                StationReply::Lists { zero_reports, .. } => zero_reports,
                other => return unexpected(&other),
            };
            if common.json {
                render::json(&rows);
            } else {
                render::zero_reports(&rows);
            }
            Ok(ExitCode::SUCCESS)
        }
        StationCommand::Visit(AddVisit::Add {
            channel,
            visitor,
            contact,
            people,
            category,
            summary,
            answer,
            date,
            receiver,
            by,
        }) => {
            let request = flags::VISIT.on(|| {
                let receiver = receiver
                    .or_else(|| by.clone())
                    .or_else(|| default_author.clone());
                let visit = Visit {
                    received_at: config.code.clone(),
                    visited_on: date_or_today("date", date.as_deref(), today)?,
                    channel: VisitChannel::parse_for("channel", &channel)?,
                    visitor: Party {
                        name: visitor,
                        contact,
                    },
                    people_count: people_count("people", people)?,
                    category: Category::parse_for("category", &category)?,
                    summary,
                    receiver: receiver.unwrap_or_default(),
                    answer,
                };
                Ok(StationRequest::RecordVisit { by, visit })
            })?;
            let reply = flags::VISIT
                .on_async(async { Ok(desk.handle(request).await?) })
                .await?;
            recorded(&common, "接访记录", reply, &desk)
        }
        StationCommand::Case(AddCase::Add {
            source,
            category,
            parties,
            people,
            claim,
            first_receiver,
            first_unit,
            complex,
            date,
            by,
        }) => {
            let request = flags::STATION_CASE.on(|| {
                let receiver = first_receiver
                    .or_else(|| by.clone())
                    .or_else(|| default_author.clone());
                let case = CaseRegistration {
                    place: config.code.clone(),
                    registered_on: date_or_today("date", date.as_deref(), today)?,
                    source: CaseSource::parse_for("source", &source)?,
                    category: Category::parse_for("category", &category)?,
                    parties: party_list(parties),
                    people_involved: people_count("people", people)?,
                    claim,
                    first_receiver: receiver.unwrap_or_default(),
                    first_unit: first_unit.unwrap_or_else(|| format!("{} 村工作站", config.code)),
                    complex,
                    from_record: None,
                };
                Ok(StationRequest::RegisterCase { by, case })
            })?;
            let reply = flags::STATION_CASE
                .on_async(async { Ok(desk.handle(request).await?) })
                .await?;
            recorded(&common, "案件受理登记", reply, &desk)
        }
        StationCommand::Case(AddCase::Show(c)) => {
            let case = match desk
                .handle(StationRequest::ShowCase { case: c.case })
                .await?
            {
                StationReply::Case { case } => case,
                other => return unexpected(&other),
            };
            if common.json {
                render::case_json(case.id, &case.file);
            } else {
                render::case_file(case.id, &case.file);
            }
            Ok(ExitCode::SUCCESS)
        }
        StationCommand::Case(AddCase::Step(mut step)) => {
            step.take_in_files(async |upload| {
                match desk.handle(StationRequest::TakeInFile { upload }).await? {
                    StationReply::File { file } => Ok(file),
                    other => anyhow::bail!("内部错误:本站服务的答复不对({other:?})"),
                }
            })
            .await?;
            let (case, command) = step.into_command()?;
            let request = StationRequest::CaseStep {
                by: None,
                case,
                command,
            };
            let reply = desk.handle(request).await?;
            recorded(&common, "案件办理记录", reply, &desk)
        }
        StationCommand::List { what } => {
            let what = what.as_deref().unwrap_or("all");
            let show = |name: &str| what == "all" || what == name;
            if !["all", "screenings", "visits", "cases"].contains(&what) {
                anyhow::bail!(
                    "未知的台账 {what:?};可选:screenings(排查)、visits(接访)、cases(案件)"
                );
            }
            let request = StationRequest::List {
                screenings: show("screenings"),
                visits: show("visits"),
                cases: show("cases"),
                zero_reports: false,
            };
            let (screenings, visits, cases) = match desk.handle(request).await? {
                StationReply::Lists {
                    screenings,
                    visits,
                    cases,
                    ..
                } => (screenings, visits, cases),
                other => return unexpected(&other),
            };
            if common.json {
                render::json(
                    &serde_json::json!({ "screenings": screenings, "visits": visits, "cases": cases }),
                );
            } else {
                if show("screenings") {
                    render::screenings(&screenings);
                }
                if show("visits") {
                    render::visits(&visits);
                }
                if show("cases") {
                    render::cases(&cases);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        StationCommand::Export {
            out,
            seal_passphrase_env,
        } => {
            let seal = seal_passphrase_env
                .as_deref()
                .map(export_passphrase)
                .transpose()?;
            // The service may run in another folder than this command.
            let out = std::path::absolute(&out)
                .with_context(|| format!("导出文件 {} 无效", out.display()))?;
            let request = StationRequest::Export {
                out: out.clone(),
                seal,
            };
            let summary = match desk.handle(request).await? {
                StationReply::Exported { export } => export,
                other => return unexpected(&other),
            };
            if common.json {
                render::json(&serde_json::json!({ "out": out, "export": summary }));
            } else {
                render::exported(&out, &summary);
            }
            Ok(ExitCode::SUCCESS)
        }
        StationCommand::Status => {
            let status = match desk.handle(StationRequest::Status).await? {
                StationReply::Status { status } => status,
                other => return unexpected(&other),
            };
            if common.json {
                render::json(&status);
            } else {
                render::station_status(&status);
            }
            Ok(ExitCode::SUCCESS)
        }
        StationCommand::Sync { attempts } => {
            let interrupt = ctrl_c()?;
            eprintln!(
                "正在与镇中心 {}({})同步……按 Ctrl-C 可随时中断,已确认的记录不会丢失。",
                config.parent().map_or_else(String::new, |p| p.to_string()),
                config.parent_addr.as_deref().unwrap_or("")
            );
            match desk.sync(attempts, interrupt).await {
                Ok(report) => {
                    if common.json {
                        render::json(
                            &serde_json::json!({ "ok": true, "all_acked": report.all_acked(), "report": report }),
                        );
                    } else {
                        render::sync_report(&report);
                        if let Ok(StationReply::Status { status }) =
                            desk.handle(StationRequest::Status).await
                        {
                            render::arrived(&status);
                        }
                    }
                    Ok(if report.all_acked() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    })
                }
                Err(e @ NodeError::Sync(SyncError::Stopped { acked, local })) => {
                    if common.json {
                        render::json(&serde_json::json!({
                            "ok": false, "interrupted": true, "acked": acked, "local": local,
                            "error": e.to_string(),
                        }));
                    }
                    eprintln!("{e}");
                    // 128 + SIGINT, as a shell reports a command stopped by Ctrl-C.
                    Ok(ExitCode::from(130))
                }
                Err(e) => {
                    if common.json {
                        render::json(&serde_json::json!({ "ok": false, "error": e.to_string() }));
                    }
                    Err(anyhow::Error::new(e).context("同步未完成"))
                }
            }
        }
    }
}

/// Where a station command is carried out: by the running station service
/// (`sanji station serve`), which holds the data folder, or, when none runs,
/// by this process on the folder itself. Both answer through
/// [`Station::handle`].
enum Desk {
    Service {
        client: StationClient,
        config: Box<NodeConfig>,
    },
    Local(Box<Station>),
}

impl Desk {
    fn config(&self) -> &NodeConfig {
        match self {
            Desk::Service { config, .. } => config,
            Desk::Local(station) => station.config(),
        }
    }

    async fn handle(&self, request: StationRequest) -> Result<StationReply, NodeError> {
        match self {
            Desk::Service { client, .. } => client.handle(&request).await,
            Desk::Local(station) => station.handle(request),
        }
    }

    /// A sync the service runs goes on if this command is stopped (Ctrl-C
    /// only stops waiting for it); a sync of this process's own stops where it is.
    async fn sync(
        &self,
        attempts: u32,
        interrupt: impl std::future::Future<Output = ()>,
    ) -> Result<sanji_sync::SyncReport, NodeError> {
        match self {
            Desk::Service { client, .. } => tokio::select! {
                synced = client.sync(attempts) => synced,
                () = interrupt => Err(NodeError::Remote(
                    "已停止等待;这一轮同步由本站服务在后台继续,已确认的记录不会丢失,可运行 sanji station status 查看".into(),
                )),
            },
            Desk::Local(station) => station.sync_unless(attempts, interrupt).await,
        }
    }
}

fn unexpected(reply: &StationReply) -> Result<ExitCode> {
    anyhow::bail!("内部错误:本站服务的答复不对({reply:?})")
}

/// Resolves on Ctrl-C. The handler is in place when this returns, so a
/// Ctrl-C from then on stops the sync cleanly instead of killing the process.
fn ctrl_c() -> Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut sigint = signal(SignalKind::interrupt()).context("无法接管 Ctrl-C")?;
        Ok(async move {
            sigint.recv().await;
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// How long a station command waits, by default, for another `sanji` process
/// using the data folder (a sync in progress) before giving up;
/// `SANJI_LOCK_WAIT_SECS` changes it.
const LOCK_WAIT_SECS: u64 = 60;

/// Finds the running station service for this data folder, or else opens
/// the folder here, waiting for another `sanji` process using it (a sync) to
/// finish, so a record typed meanwhile is saved after it rather than
/// refused; the clerk is told what it waits for. A service that starts
/// meanwhile is used as soon as it answers.
async fn reach(config: NodeConfig) -> Result<Desk> {
    use sanji_store::StoreError;
    let wait = std::time::Duration::from_secs(
        std::env::var("SANJI_LOCK_WAIT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(LOCK_WAIT_SECS),
    );
    let started = std::time::Instant::now();
    let mut told = false;
    loop {
        if let Some(client) = StationClient::find(&config.data_dir).await? {
            return Ok(Desk::Service {
                client,
                config: Box::new(config),
            });
        }
        let left = wait.saturating_sub(started.elapsed());
        // Short tries, so a service that starts meanwhile is seen.
        let this_try = left.min(std::time::Duration::from_millis(500));
        let opening = config.clone();
        let opened = tokio::task::spawn_blocking(move || Station::open_waiting(opening, this_try))
            .await
            .context("打开数据目录时内部任务失败")?;
        match opened {
            Err(NodeError::Store(StoreError::InUse { path, .. })) if !left.is_zero() => {
                if !told {
                    told = true;
                    eprintln!(
                        "数据目录 {} 正被另一个 sanji 进程使用(可能正在同步),等它结束后继续(最多等 {} 秒)……",
                        path.display(),
                        wait.as_secs()
                    );
                }
            }
            Err(NodeError::Store(StoreError::InUse { path, .. })) => {
                return Err(NodeError::Store(StoreError::InUse {
                    path,
                    waited_secs: started.elapsed().as_secs(),
                })
                .into());
            }
            other => return Ok(Desk::Local(Box::new(other?))),
        }
    }
}

/// `sanji station serve`: holds the data folder, syncs in the background,
/// and serves the station's commands on a loopback address until Ctrl-C.
async fn serve(config: NodeConfig, listen: Option<&str>) -> Result<ExitCode> {
    use sanji_web::station;
    let addr = station::loopback_addr(
        listen
            .or(config.listen.as_deref())
            .unwrap_or(station::DEFAULT_ADDR),
    )?;
    let claimed = station::claim_folder(&config)?;
    let sealed_without_passphrase = config.encryption() == Encryption::Passphrase
        && std::env::var_os(sanji_node::config::PASSPHRASE_ENV).is_none_or(|v| v.is_empty());
    let opened = if sealed_without_passphrase {
        None
    } else {
        let opening = config.clone();
        Some(
            tokio::task::spawn_blocking(move || Station::open(opening))
                .await
                .context("打开数据目录时内部任务失败")??,
        )
    };
    let running = station::start(config.clone(), opened, addr, claimed).await?;
    eprintln!(
        "本村工作站 {} 的本站服务正在 http://{}/ 提供服务,数据目录 {},日志在 {}。按 Ctrl-C 停止。",
        config.code,
        running.addr,
        config.data_dir.display(),
        crate::station_log_dir(&config).display()
    );
    if sealed_without_passphrase {
        eprintln!(
            "本站数据用口令加密:请在另一个窗口运行 sanji station unlock 输入口令,解锁后开始同步。"
        );
    }
    tokio::select! {
        () = crate::shutdown_signal() => {}
        () = running.host.stop_asked() => {}
    }
    running.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// `sanji station unlock`: the passphrase, typed without echo (or read from
/// `SANJI_PASSPHRASE` or standard input when not a terminal), to the running
/// service.
async fn unlock(desk: &Desk) -> Result<ExitCode> {
    let Desk::Service { client, config } = desk else {
        anyhow::bail!(
            "本站服务没有在运行,无需解锁:先运行 sanji station serve;不用服务时,命令从环境变量 {} 读取口令",
            sanji_node::config::PASSPHRASE_ENV
        );
    };
    let passphrase = match std::env::var(sanji_node::config::PASSPHRASE_ENV) {
        Ok(p) if !p.is_empty() => p,
        _ => {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() {
                rpassword::prompt_password("请输入本站数据的口令:").context("读不到输入的口令")?
            } else {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("读不到输入的口令")?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            }
        }
    };
    client.unlock(&passphrase).await?;
    println!(
        "已解锁本站 {} 的数据(http://{}/),后台同步随即开始。",
        config.code,
        client.addr()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn init(
    common: &Common,
    code: &str,
    hub: String,
    data: Option<PathBuf>,
    certs: PathBuf,
    by: Option<String>,
    encryption: &str,
) -> Result<ExitCode> {
    let code = Code::parse_level("code", code, Level::Village)?;
    let data = match data {
        Some(data) => data,
        None => default_data_dir(&code)?,
    };
    let encryption = match encryption {
        "node_key" => Encryption::NodeKey,
        "passphrase" => Encryption::Passphrase,
        "none" => Encryption::None,
        other => anyhow::bail!(
            "encryption: 不认识 {other:?};可选 node_key(本站私钥) passphrase(口令) none(不加密)"
        ),
    };
    if common.config.exists() {
        anyhow::bail!(
            "配置文件 {} 已存在;如需重新初始化请先移走它",
            common.config.display()
        );
    }
    // Saved absolute, so every later command finds the same ledger.
    let data =
        std::path::absolute(&data).with_context(|| format!("数据目录 {} 无效", data.display()))?;
    let certs = std::path::absolute(&certs)
        .with_context(|| format!("证书目录 {} 无效", certs.display()))?;
    let mut config = NodeConfig::new(Role::Station, code.clone(), data, certs);
    config.parent_addr = Some(hub);
    config.default_author = by;
    config.encryption = Some(encryption);
    certificate_for(&config)?;
    let station = Station::open(config.clone())?;
    drop(station);
    config.save(&common.config)?;
    if common.json {
        render::json(&config);
    } else {
        println!("已初始化村工作站 {code}");
        println!("  配置文件:{}", common.config.display());
        println!("  数据目录:{}", config.data_dir.display());
        println!("  镇中心:  {}", config.parent_addr.as_deref().unwrap_or(""));
        println!("  数据加密:{}", encryption_label(encryption));
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a station keeps its data when `--data` is not given: on Windows,
/// under `%ProgramData%\sanji`, as Windows programs keep data for every
/// user of the computer; elsewhere there is no such convention to follow.
fn default_data_dir(code: &Code) -> Result<PathBuf> {
    match crate::station_app::default_home() {
        Some(home) => Ok(home.join(code.as_str())),
        None => anyhow::bail!("须指明本地数据目录(--data),如 /var/lib/sanji/{code}"),
    }
}

/// The station's certificate is in the folder and is its own; when it is
/// not, says what the folder does hold, so a mistyped code is seen as one.
fn certificate_for(config: &NodeConfig) -> Result<()> {
    let code = &config.code;
    let held: Vec<Code> = sanji_pki::node_certificates(&config.certs_dir)
        .into_iter()
        .map(|(c, _)| c)
        .filter(|c| c != code)
        .collect();
    let path = config.certs_dir.join(format!("{}.pem", config.cert_name()));
    let loaded = sanji_pki::CertFiles::load(&config.certs_dir, &config.cert_name())
        .map_err(anyhow::Error::new)
        .and_then(|files| Ok(files.identity()?));
    match loaded {
        Ok(sanji_pki::Identity::Node(c)) if c == *code => Ok(()),
        Ok(other) => anyhow::bail!(
            "证书 {} 属于 {},不是 {code} 的:不能用别村的证书初始化本站。{}",
            path.display(),
            other.display_name(),
            if held.is_empty() {
                format!("请向县综治办申领 {code} 的证书")
            } else {
                retype_hint(&held)
            }
        ),
        Err(e) if !held.is_empty() => {
            let missing = matches!(
                e.downcast_ref::<sanji_pki::PkiError>(),
                Some(sanji_pki::PkiError::Missing { .. })
            );
            anyhow::bail!(
                "证书目录 {} 中没有 {code} 的证书,但有 {} 的:{}{}",
                config.certs_dir.display(),
                held.iter().map(Code::as_str).collect::<Vec<_>>().join("、"),
                retype_hint(&held),
                if missing {
                    String::new()
                } else {
                    format!("(另:{e})")
                }
            )
        }
        Err(e) => Err(e.context(format!(
            "本站证书不可用:请向县综治办申领 {code} 的证书(县里运行 sanji pki issue node --code {code}),放入 {}",
            config.certs_dir.display()
        ))),
    }
}

fn retype_hint(held: &[Code]) -> String {
    match held {
        [one] => format!("如果本村代码是 {one},请改用 --code {one} 重新运行 init"),
        _ => "请核对 --code 是否输错".to_owned(),
    }
}

fn encryption_label(encryption: Encryption) -> &'static str {
    match encryption {
        Encryption::NodeKey => "用本站私钥加密(数据目录离开本站证书目录即无法打开)",
        Encryption::Passphrase => "用口令加密(每次运行须设置环境变量 SANJI_PASSPHRASE)",
        Encryption::None => "不加密",
    }
}

fn rekey(
    common: &Common,
    old_key: Option<PathBuf>,
    old_passphrase_env: Option<String>,
) -> Result<ExitCode> {
    let config = NodeConfig::load(&common.config)?;
    let old = match (old_key, old_passphrase_env) {
        (Some(path), None) => {
            let key = std::fs::read(&path)
                .with_context(|| format!("读不到原私钥文件 {}", path.display()))?;
            sanji_store::Unlock::node_key(&key)
        }
        (None, Some(var)) => sanji_node::config::passphrase_from_env(&var)?,
        _ => anyhow::bail!(
            "须用 --old-key 指明原私钥文件,或用 --old-passphrase-env 指明存放原口令的环境变量"
        ),
    };
    Station::rekey(&config, old)?;
    if common.json {
        render::json(
            &serde_json::json!({ "data_dir": config.data_dir, "encryption": config.encryption() }),
        );
    } else {
        println!(
            "已换钥:数据目录 {} 现在{}",
            config.data_dir.display(),
            encryption_label(config.encryption())
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The passphrase a sealed export is encrypted under, from the variable named.
fn export_passphrase(var: &str) -> Result<String> {
    match std::env::var(var) {
        Ok(text) if !text.is_empty() => Ok(text),
        _ => anyhow::bail!(
            "加密导出须有口令:请先在环境变量 {var} 中设置口令(并另行告诉接收方),再运行"
        ),
    }
}

fn open_export(
    common: &Common,
    input: &std::path::Path,
    out: &std::path::Path,
    passphrase_env: &str,
) -> Result<ExitCode> {
    let passphrase = export_passphrase(passphrase_env)?;
    let sealed =
        std::fs::read(input).with_context(|| format!("读不到导出文件 {}", input.display()))?;
    if !sanji_store::is_sealed_export(&sealed) {
        anyhow::bail!(
            "{} 不是加密的导出文件(明文导出可直接阅读,无须打开)",
            input.display()
        );
    }
    let plain = match sanji_store::open_export(&passphrase, &sealed) {
        Ok(plain) => plain,
        Err(sanji_store::SealError::WrongKey(_)) => anyhow::bail!(
            "口令不对:环境变量 {passphrase_env} 中的口令打不开 {};请向导出方核对口令",
            input.display()
        ),
        Err(e) => anyhow::bail!("{} 无法打开:{e}", input.display()),
    };
    sanji_node::station::write_new_private(out, &plain)?;
    let lines = plain.iter().filter(|&&b| b == b'\n').count();
    if common.json {
        render::json(&serde_json::json!({ "out": out, "events": lines }));
    } else {
        println!(
            "已打开 {}:{lines} 条记录写入 {}(只有本人可读)。",
            input.display(),
            out.display()
        );
        println!("其中有当事人姓名等个人信息:用完请删除,不要转发或拷到他处。");
    }
    Ok(ExitCode::SUCCESS)
}

fn party_list(names: Vec<String>) -> Vec<Party> {
    names
        .into_iter()
        .map(|name| Party {
            name,
            contact: None,
        })
        .collect()
}

/// A count typed as any integer; one out of `u32` is told with the same rule
/// the record's own validation gives for 0 or too many.
pub fn people_count(field: &str, value: i64) -> Result<u32, FieldError> {
    u32::try_from(value).map_err(|_| {
        FieldError::new(
            field,
            format!(
                "人数须在 1 到 {} 之间,而不是 {value}",
                sanji_domain::record::limits::PEOPLE
            ),
        )
    })
}

fn date_or_today(
    field: &str,
    text: Option<&str>,
    today: NaiveDate,
) -> Result<NaiveDate, FieldError> {
    match text {
        None => Ok(today),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|_| FieldError::new(field, format!("日期 {t:?} 格式不对,应为 YYYY-MM-DD"))),
    }
}

fn recorded(common: &Common, what: &str, reply: StationReply, desk: &Desk) -> Result<ExitCode> {
    let StationReply::Recorded { event } = reply else {
        return unexpected(&reply);
    };
    if common.json {
        render::json(&serde_json::json!({
            "id": event.entity,
            "event_id": event.id,
            "origin": event.origin,
            "seq": event.seq,
        }));
    } else if let Desk::Service { .. } = desk {
        println!(
            "已保存{what}(编号 {},本站第 {} 条记录)。本站服务在运行,联网时会自动上报镇中心。",
            event.entity, event.seq
        );
    } else {
        println!(
            "已保存{what}(编号 {},本站第 {} 条记录)。联网后运行 sanji station sync 上报镇中心。",
            event.entity, event.seq
        );
    }
    Ok(ExitCode::SUCCESS)
}
