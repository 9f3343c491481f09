use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening, Visit, VisitChannel,
};
use sanji_domain::time::cst_date;
use sanji_domain::{Code, Event, FieldError, Labelled, Level};
use sanji_node::config::Encryption;
use sanji_node::{NodeConfig, NodeError, Role, Station, views};
use sanji_sync::SyncError;

use crate::{Common, render};

#[derive(Args)]
pub struct StationArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: StationCommand,
}

#[derive(Subcommand)]
enum StationCommand {
    /// 初始化本村工作站:写出配置文件,建立本地数据库
    Init {
        /// 本村区划代码(12 位)
        #[arg(long)]
        code: String,
        /// 镇中心地址(主机:端口)
        #[arg(long)]
        hub: String,
        /// 本地数据目录
        #[arg(long)]
        data: PathBuf,
        /// 证书目录(含 ca.pem 与本站证书)
        #[arg(long)]
        certs: PathBuf,
        /// 默认经办人姓名
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
        /// 存放原口令的环境变量名
        #[arg(long)]
        old_passphrase_env: Option<String>,
    },
    /// 不安定因素排查登记
    #[command(subcommand)]
    Screening(AddScreening),
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
    /// 导出本站登记的全部记录(每行一个事件的 JSON),例如证书吊销、换电脑时交镇中心处理
    Export {
        /// 导出文件
        #[arg(long)]
        out: PathBuf,
    },
    /// 与镇中心同步一轮(先推送,后拉取)
    Sync {
        /// 网络不通时的尝试次数
        #[arg(long, default_value_t = 3)]
        attempts: u32,
    },
}

#[derive(Subcommand)]
enum AddScreening {
    /// 新增一条排查登记
    Add {
        /// 类别:land(土地山林水利) family_neighbour(婚姻家庭邻里) labour(劳资) expropriation(征地拆迁) environment(环境污染) medical(医疗) law_related(涉法涉诉) other(其他)
        #[arg(long)]
        category: String,
        /// 风险等级:general(一般) major(较大) severe(重大)
        #[arg(long)]
        risk: String,
        /// 当事人姓名(可多次)
        #[arg(long = "party", required = true)]
        parties: Vec<String>,
        /// 涉及人数
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
        /// 排查日期(YYYY-MM-DD,默认今天)
        #[arg(long)]
        date: Option<String>,
        /// 排查人(默认同经办人)
        #[arg(long)]
        screener: Option<String>,
        /// 经办人
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
enum AddVisit {
    /// 新增一条接访记录
    Add {
        /// in_person(来访) / letter(来信) / phone(来电)
        #[arg(long, default_value = "in_person")]
        channel: String,
        /// 来访人姓名
        #[arg(long)]
        visitor: String,
        /// 联系方式
        #[arg(long)]
        contact: Option<String>,
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        people: i64,
        #[arg(long)]
        category: String,
        /// 反映的问题
        #[arg(long)]
        summary: String,
        /// 当场答复内容
        #[arg(long)]
        answer: Option<String>,
        #[arg(long)]
        date: Option<String>,
        /// 接访人(默认同经办人)
        #[arg(long)]
        receiver: Option<String>,
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
        /// visit(来访) letter(来信) phone(来电) screening(排查转案) handed_down(上级交办) online(网上)
        #[arg(long, default_value = "visit")]
        source: String,
        #[arg(long)]
        category: String,
        #[arg(long = "party", required = true)]
        parties: Vec<String>,
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        people: i64,
        /// 诉求
        #[arg(long)]
        claim: String,
        /// 首问首接人(默认同经办人)
        #[arg(long)]
        first_receiver: Option<String>,
        /// 首接单位(默认本村工作站)
        #[arg(long)]
        first_unit: Option<String>,
        /// 疑难案件
        #[arg(long)]
        complex: bool,
        #[arg(long)]
        date: Option<String>,
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
        _ => {}
    }
    let config = NodeConfig::load(&common.config)?;
    let station = open_waiting_for_others(config)?;
    let today = cst_date(station.clock().now_ms());
    match args.command {
        StationCommand::Init { .. } | StationCommand::Rekey { .. } => {
            unreachable!("handled above")
        }
        StationCommand::Screening(AddScreening::Add {
            category,
            risk,
            parties,
            people,
            description,
            measures,
            may_escalate,
            mass_incident,
            date,
            screener,
            by,
        }) => {
            let screener = screener
                .or_else(|| by.clone())
                .or_else(|| station.config().default_author.clone());
            let screening = Screening {
                village: station.code().clone(),
                screened_on: date_or_today("date", date.as_deref(), today)?,
                screener: screener.unwrap_or_default(),
                category: Category::parse_for("category", &category)?,
                parties: party_list(parties),
                people_involved: people_count("people", people)?,
                risk: RiskLevel::parse_for("risk", &risk)?,
                may_escalate,
                mass_incident_risk: mass_incident,
                description,
                measures,
            };
            screening.validate(today)?;
            let event = station.record_screening(by.as_deref(), screening)?;
            recorded(&common, "排查登记", &event)
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
            let receiver = receiver
                .or_else(|| by.clone())
                .or_else(|| station.config().default_author.clone());
            let visit = Visit {
                received_at: station.code().clone(),
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
            visit.validate(today)?;
            let event = station.record_visit(by.as_deref(), visit)?;
            recorded(&common, "接访记录", &event)
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
            let receiver = first_receiver
                .or_else(|| by.clone())
                .or_else(|| station.config().default_author.clone());
            let case = CaseRegistration {
                place: station.code().clone(),
                registered_on: date_or_today("date", date.as_deref(), today)?,
                source: CaseSource::parse_for("source", &source)?,
                category: Category::parse_for("category", &category)?,
                parties: party_list(parties),
                people_involved: people_count("people", people)?,
                claim,
                first_receiver: receiver.unwrap_or_default(),
                first_unit: first_unit.unwrap_or_else(|| format!("{} 村工作站", station.code())),
                complex,
                from_record: None,
            };
            case.validate(today)?;
            let event = station.register_case(by.as_deref(), case)?;
            recorded(&common, "案件受理登记", &event)
        }
        StationCommand::Case(AddCase::Show(c)) => {
            let (id, file) = sanji_node::ops::find_case(station.store(), &c.case)?;
            if common.json {
                render::json(&file);
            } else {
                render::case_file(id, &file);
            }
            Ok(ExitCode::SUCCESS)
        }
        StationCommand::Case(AddCase::Step(step)) => {
            let (case, command) = step.into_command()?;
            let event = station.case_step(None, &case, command)?;
            recorded(&common, "案件办理记录", &event)
        }
        StationCommand::List { what } => {
            let store = station.store();
            let what = what.as_deref().unwrap_or("all");
            let show = |name: &str| what == "all" || what == name;
            if !["all", "screenings", "visits", "cases"].contains(&what) {
                anyhow::bail!(
                    "未知的台账 {what:?};可选:screenings(排查)、visits(接访)、cases(案件)"
                );
            }
            let screenings = if show("screenings") {
                views::screenings(store, "")?
            } else {
                vec![]
            };
            let visits = if show("visits") {
                views::visits(store, "")?
            } else {
                vec![]
            };
            let cases = if show("cases") {
                views::cases(store, "")?
            } else {
                vec![]
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
        StationCommand::Export { out } => {
            let count = station.export(&out)?;
            if common.json {
                render::json(&serde_json::json!({ "out": out, "events": count }));
            } else {
                println!("已导出本站 {count} 条记录到 {}", out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        StationCommand::Status => {
            let status = station.status()?;
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
                station
                    .config()
                    .parent()
                    .map_or_else(String::new, |p| p.to_string()),
                station.config().parent_addr.as_deref().unwrap_or("")
            );
            match station.sync_unless(attempts, interrupt).await {
                Ok(report) => {
                    if common.json {
                        render::json(
                            &serde_json::json!({ "ok": true, "all_acked": report.all_acked(), "report": report }),
                        );
                    } else {
                        render::sync_report(&report);
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

/// Opens the station, waiting for a sync (or any other `sanji` process on the
/// same data folder) to finish, so a record typed meanwhile is saved after it
/// rather than refused; the clerk is told what it waits for.
fn open_waiting_for_others(config: NodeConfig) -> Result<Station> {
    use sanji_store::StoreError;
    match Station::open_waiting(config.clone(), std::time::Duration::ZERO) {
        Err(NodeError::Store(StoreError::InUse { path, .. })) => {
            let secs = std::env::var("SANJI_LOCK_WAIT_SECS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(LOCK_WAIT_SECS);
            eprintln!(
                "数据目录 {} 正被另一个 sanji 进程使用(可能正在同步),等它结束后继续(最多等 {secs} 秒)……",
                path.display()
            );
            Ok(Station::open_waiting(
                config,
                std::time::Duration::from_secs(secs),
            )?)
        }
        other => Ok(other?),
    }
}

fn init(
    common: &Common,
    code: &str,
    hub: String,
    data: PathBuf,
    certs: PathBuf,
    by: Option<String>,
    encryption: &str,
) -> Result<ExitCode> {
    let code = Code::parse_level("code", code, Level::Village)?;
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
    sanji_pki::CertFiles::load(&config.certs_dir, &config.cert_name()).with_context(|| {
        format!("本站证书不可用;请先运行 sanji pki issue node --code {code} ...")
    })?;
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

fn party_list(names: Vec<String>) -> Vec<Party> {
    names
        .into_iter()
        .map(|name| Party {
            name,
            contact: None,
        })
        .collect()
}

fn people_count(field: &str, value: i64) -> Result<u32, FieldError> {
    u32::try_from(value)
        .map_err(|_| FieldError::new(field, format!("人数须为正整数,而不是 {value}")))
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

fn recorded(common: &Common, what: &str, event: &Event) -> Result<ExitCode> {
    if common.json {
        render::json(&serde_json::json!({
            "id": event.entity,
            "event_id": event.id,
            "origin": event.origin,
            "seq": event.seq,
        }));
    } else {
        println!(
            "已保存{what}(编号 {},本站第 {} 条记录)。联网后运行 sanji station sync 上报镇中心。",
            event.entity, event.seq
        );
    }
    Ok(ExitCode::SUCCESS)
}
