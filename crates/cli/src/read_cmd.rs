use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use sanji_domain::event::HandDown;
use sanji_domain::record::{CaseRegistration, CaseSource, Category, IncidentKind, Party};
use sanji_domain::{Code, FieldError, Labelled, Level};
use sanji_node::ops::{Action, CaseCommand, Query};
use sanji_node::{NodeConfig, Role, console, server, views};
use serde::de::DeserializeOwned;

use crate::{Common, flags, render};

#[derive(Args)]
pub struct HubArgs {
    #[command(flatten)]
    pub common: Common,
    /// 以哪位人员的身份办理:本人的个人证书文件(sanji pki issue person 所发的 .pem,放在本人电脑上);须输入本人口令(脚本用环境变量 SANJI_AS_PASSPHRASE)
    #[arg(long = "as", global = true, env = "SANJI_AS")]
    pub acting_as: Option<String>,
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
    /// 查找案件:按编号、当事人、村、类别、状态、承办、登记日期筛选
    Cases(CaseSearchArgs),
    /// 各村工作站:最后同步时间、已确认与待同步数
    Stations,
    /// 本镇向县综治办上报的链路状态
    Link,
    /// 案件办理:受理、分流、审批、催办、督办、办结、回访、归档……
    #[command(subcommand)]
    Case(HubCase),
    /// 排查签字、排查转案
    #[command(subcommand)]
    Screening(ScreeningAction),
    /// 在办案件的期限:即将到期、已超期
    Due,
    /// 离线修改冲突:保留未生效的操作,供总台处理
    Conflicts,
    /// 奖惩台账(按单位和村)
    Rewards {
        /// 期间:2026-11(月)、2026-Q4(季)或 2026(年)
        #[arg(long)]
        period: String,
    },
    /// 各单位办案情况:主办、协办案件,按调解方式分列的办结
    Workload {
        /// 期间:2026-11(月)、2026-Q4(季)或 2026(年)
        #[arg(long)]
        period: String,
    },
    /// 网页工作台的账号:新建、列出、重置密码、停用
    #[command(subcommand)]
    User(crate::user_cmd::UserCommand),
    /// 名录:本镇的村(代码与名称)和成员单位
    #[command(subcommand)]
    Directory(crate::directory_cmd::HubDirectory),
    /// 导入旧台账(Excel .xlsx 或 CSV):先检查整个文件,有任何一行不对就一条也不写入
    Import {
        /// 台账种类:cases(案件台账)或 screenings(排查台账)
        #[arg(long)]
        kind: String,
        /// 要导入的文件(.xlsx 或 .csv;列名见 docs/IMPORT.md,或网页「导入」下载模板)
        #[arg(long)]
        file: std::path::PathBuf,
        /// 只检查并列出将导入的记录,不写入
        #[arg(long)]
        dry_run: bool,
    },
    /// 报送情况:各村每周是有排查登记、报了零报告,还是未报送
    Reporting {
        /// 月份(YYYY-MM,如 2026-11;默认本月)
        #[arg(long)]
        month: Option<String>,
    },
    /// 群体性事件、民转刑案件:登记(incident add)
    #[command(subcommand)]
    Incident(IncidentAction),
    /// 已登记的群体性事件和民转刑案件
    Incidents,
    /// 会议记录:记录一次例会或联席会议(meeting add)
    #[command(subcommand)]
    Meeting(MeetingAction),
    /// 会议记录簿,以及到期未记录的例会
    Meetings,
    /// 专项排查:部署一次(campaign add)或查看一次的统计(campaign show)
    #[command(subcommand)]
    Campaign(CampaignAction),
    /// 自查评分:本镇半年或全年的评分表(按台账计分的项目带依据;上报在网页上由中心主任进行)
    Assessment {
        /// 期间:2026-H2(下半年)或 2026(全年)
        #[arg(long)]
        period: String,
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// 已部署的专项排查,各带统计
    Campaigns {
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// 重点地区及突出问题排查整治:登记一处(hotspot add)或更新整治情况(hotspot update)
    #[command(subcommand)]
    Hotspot(HotspotAction),
    /// 社会治安重点地区及突出问题排查整治登记簿:本季度(或 --quarter 所指季度)
    Hotspots {
        /// 季度,如 2026-Q4;不填为本季度
        #[arg(long)]
        quarter: Option<String>,
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// 本镇月报表
    Report {
        /// 月份(YYYY-MM,如 2026-11)
        #[arg(long)]
        month: String,
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// 受理事项总登记簿:本年(或 --year 所指年份)收到的接访和案件,按收到的先后编号
    Register {
        /// 年份,如 2026;不填为今年
        #[arg(long)]
        year: Option<i32>,
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// 交办、督办、销案通知书:本年(或 --year 所指年份)发出的通知书,带编号和回执情况
    Notices {
        /// 通知书种类:dispatch(交办,默认)、supervision(督办)、closing(销案)
        #[arg(long, default_value = "dispatch")]
        book: String,
        /// 年份,如 2026;不填为今年
        #[arg(long)]
        year: Option<i32>,
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// 阶段汇总:半月、季度、半年、全年的主要工作数据(与月报表同一算法)
    Summary {
        /// 期间:2026-11-H1(上半月)、2026-11-H2(下半月)、2026-Q4(季度)、2026-H2(下半年)或 2026(全年)
        #[arg(long)]
        period: String,
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum HubCase {
    #[command(flatten)]
    Step(crate::case_cmd::StepArgs),
    /// 查看一案一档
    Show(crate::case_cmd::CaseRef),
    /// 在中心窗口登记一件案件(来访、来信、来电、网上),首问首接人为办理人本人
    Register(RegisterArgs),
}

#[derive(Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    case: CaseFields,
    /// 来源:visit(来访)、letter(来信)、phone(来电)、online(网上);填英文标识或中文名称均可
    #[arg(long, default_value = "visit")]
    source: String,
    /// 首接单位名称
    #[arg(long, default_value = "镇综治信访维稳中心")]
    first_unit: String,
    /// 登记日期(YYYY-MM-DD,不能晚于今天;默认今天)
    #[arg(long)]
    date: Option<String>,
}

/// What every case registration asks for, wherever it is typed in.
#[derive(Args)]
pub struct CaseFields {
    /// 纠纷发生地(本乡镇的 9 位代码或其下村的 12 位代码;默认本乡镇)
    #[arg(long)]
    place: Option<String>,
    #[arg(long, help = crate::clap_zh::one_of::<Category>("类别"))]
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
    /// 疑难案件
    #[arg(long)]
    complex: bool,
}

impl CaseFields {
    /// A registration from these fields; `place` defaults to `township`.
    fn registration(
        self,
        township: &Code,
        registered_on: chrono::NaiveDate,
        source: CaseSource,
        first_receiver: String,
        first_unit: String,
    ) -> Result<CaseRegistration> {
        let place = match &self.place {
            Some(p) => Code::parse(p).map_err(|e| FieldError::new("place", e.to_string()))?,
            None => township.clone(),
        };
        Ok(CaseRegistration {
            place,
            registered_on,
            source,
            category: Category::parse_for("category", &self.category)?,
            parties: self
                .parties
                .into_iter()
                .map(|name| Party {
                    name,
                    contact: None,
                })
                .collect(),
            people_involved: crate::station_cmd::people_count("people", self.people)?,
            claim: self.claim,
            first_receiver,
            first_unit,
            complex: self.complex,
            from_record: None,
        })
    }
}

#[derive(Subcommand)]
pub enum CampaignAction {
    /// 部署一次专项排查:主题、起止日期、排查重点
    Add {
        /// 主题,如「春节前矛盾纠纷专项排查」
        #[arg(long)]
        topic: String,
        /// 开始日期(YYYY-MM-DD;默认今天)
        #[arg(long)]
        from: Option<String>,
        /// 结束日期(YYYY-MM-DD)
        #[arg(long)]
        to: String,
        /// 排查重点(纠纷类别,可多次;不填为各类矛盾纠纷)
        #[arg(long = "category", help = crate::clap_zh::one_of::<Category>("排查重点(可多次;不填为各类)"))]
        categories: Vec<String>,
        /// 工作要求
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 一次专项排查的统计:各村排查条数、零报告和未报送
    Show {
        /// 专项排查编号(UUID,见 sanji hub campaigns)
        #[arg(long)]
        entry: String,
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
}

/// What a hotspot entry says, as flags.
#[derive(clap::Args)]
pub struct HotspotFields {
    /// 排查日期(YYYY-MM-DD,不能晚于今天;默认今天)
    #[arg(long)]
    date: Option<String>,
    /// 重点地区,如「集镇农贸市场周边」
    #[arg(long)]
    area: String,
    /// 所在村(12 位村代码;不在某个村的不填)
    #[arg(long)]
    village: Option<String>,
    /// 突出问题
    #[arg(long)]
    problem: String,
    /// 整治措施
    #[arg(long)]
    measures: String,
    /// 责任单位(本镇名录中的成员单位或村名)
    #[arg(long)]
    unit: String,
    /// 责任人
    #[arg(long)]
    person: String,
    /// 整改时限(YYYY-MM-DD)
    #[arg(long)]
    until: String,
    #[arg(long, default_value = "rectifying", help = crate::clap_zh::one_of::<sanji_domain::hotspot::RectifyStatus>("整治情况"))]
    status: String,
    /// 整治结果(已整改的须填写)
    #[arg(long, default_value = "")]
    result: String,
}

impl HotspotFields {
    fn hotspot(self) -> Result<sanji_domain::hotspot::Hotspot, FieldError> {
        use sanji_domain::time::parse_date;
        Ok(sanji_domain::hotspot::Hotspot {
            found_on: match &self.date {
                Some(d) => parse_date("found_on", d)?,
                None => today(),
            },
            area: self.area,
            village: self
                .village
                .map(|v| Code::parse_level("village", &v, sanji_domain::Level::Village))
                .transpose()?,
            problem: self.problem,
            measures: self.measures,
            unit: self.unit,
            person: self.person,
            deadline: parse_date("deadline", &self.until)?,
            status: sanji_domain::hotspot::RectifyStatus::parse_for("status", &self.status)?,
            result: self.result,
        })
    }
}

#[derive(Subcommand)]
pub enum HotspotAction {
    /// 登记一处社会治安重点地区及其突出问题
    Add {
        #[command(flatten)]
        fields: HotspotFields,
    },
    /// 更新一处已登记的重点地区(整治进展、已整改及整治结果);各项按现在的情况全部填写
    Update {
        /// 登记编号(UUID,见 sanji hub hotspots --json)
        #[arg(long)]
        entry: String,
        #[command(flatten)]
        fields: HotspotFields,
    },
}

#[derive(Subcommand)]
pub enum IncidentAction {
    /// 登记一起已经发生的群体性事件或民转刑案件
    Add {
        #[arg(long, help = crate::clap_zh::one_of::<IncidentKind>("事件类别"))]
        kind: String,
        /// 发生日期(YYYY-MM-DD,不能晚于今天;默认今天)
        #[arg(long)]
        date: Option<String>,
        /// 发生地(本乡镇的 9 位代码或其下村的 12 位代码;默认本乡镇)
        #[arg(long)]
        place: Option<String>,
        /// 当事人或为首人员姓名(可多次,每人一个 --party)
        #[arg(long = "party", required = true)]
        parties: Vec<String>,
        /// 参与人数(1 到 100000 的整数)
        #[arg(long, allow_negative_numbers = true)]
        people: i64,
        /// 起因
        #[arg(long)]
        cause: String,
        /// 处置情况
        #[arg(long)]
        handling: String,
        /// 关联的案件(编号,如 0001;可多次)
        #[arg(long = "case")]
        cases: Vec<String>,
        /// 关联的排查(排查编号 UUID;可多次)
        #[arg(long = "screening")]
        screenings: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum MeetingAction {
    /// 记录一次会议:研判了哪些排查和案件、议定了什么、责任落实到谁
    Add {
        #[arg(long, help = crate::clap_zh::one_of::<sanji_domain::meeting::MeetingKind>("会议类别"))]
        kind: String,
        /// 开会日期(YYYY-MM-DD,不能晚于今天;默认今天)
        #[arg(long)]
        date: Option<String>,
        /// 主持人
        #[arg(long)]
        chair: String,
        /// 参会人员(可多次,每人一个 --attendee)
        #[arg(long = "attendee", required = true)]
        attendees: Vec<String>,
        /// 会议议定事项
        #[arg(long)]
        decisions: String,
        /// 研判的案件(编号,如 0001;可多次)
        #[arg(long = "case")]
        cases: Vec<String>,
        /// 研判的排查(排查编号 UUID;可多次)
        #[arg(long = "screening")]
        screenings: Vec<String>,
        /// 落实的责任:"案件编号或排查编号|责任单位|责任人|工作要求|期限(YYYY-MM-DD)"(可多次)
        #[arg(long = "duty")]
        duties: Vec<String>,
    },
}

/// One `--duty` as typed: `事项|单位|责任人|工作要求|期限`.
fn duty_of(index: usize, text: &str) -> Result<sanji_node::meetings::DutyDraft, FieldError> {
    let field = format!("duties[{index}]");
    let parts: Vec<&str> = text.split(['|', '|']).map(str::trim).collect();
    let [subject, unit, person, task, deadline] = parts[..] else {
        return Err(FieldError::new(
            field,
            format!(
                "应为 5 段,用 | 隔开:事项|责任单位|责任人|工作要求|期限,而不是 {} 段",
                parts.len()
            ),
        ));
    };
    Ok(sanji_node::meetings::DutyDraft {
        subject: subject.to_owned(),
        unit: unit.to_owned(),
        person: person.to_owned(),
        task: task.to_owned(),
        deadline: sanji_domain::time::parse_date("deadline", deadline)
            .map_err(|e| e.within(&field))?,
    })
}

#[derive(Subcommand)]
pub enum ScreeningAction {
    /// 镇中心工作人员按分区分线排查的登记:排查的村(分区)、行业或领域(分线)及排查内容
    Add {
        /// 排查的村(12 位村代码)
        #[arg(long)]
        village: String,
        /// 分线:行业或领域,如「建筑工地」(只按村排查的不填)
        #[arg(long)]
        line: Option<String>,
        #[command(flatten)]
        fields: crate::station_cmd::ScreeningFlags,
    },
    /// 中心主任签字
    SignOff {
        /// 排查编号(UUID,见 sanji hub screenings --json 的 id)
        #[arg(long)]
        screening: String,
        /// 签字意见
        #[arg(long, default_value = "")]
        note: String,
    },
    /// 转为案件
    Convert {
        /// 排查编号(UUID,见 sanji hub screenings --json 的 id)
        #[arg(long)]
        screening: String,
        /// 诉求
        #[arg(long)]
        claim: String,
    },
    /// 落实或更新稳控责任(不转案件的排查)
    Control {
        /// 排查编号(UUID,见 sanji hub screenings --json 的 id)
        #[arg(long)]
        screening: String,
        /// 责任单位(本镇名录中的成员单位或村名)
        #[arg(long)]
        unit: String,
        /// 责任人
        #[arg(long)]
        person: String,
        /// 稳控措施
        #[arg(long)]
        measures: String,
        /// 化解时限(YYYY-MM-DD)
        #[arg(long)]
        until: String,
        #[arg(long, default_value = "controlling", help = crate::clap_zh::one_of::<sanji_domain::record::ControlStatus>("稳控情况"))]
        status: String,
        /// 说明
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Args)]
pub struct CaseSearchArgs {
    /// 同网页的搜索框:案件编号(全号或 0001)、当事人、诉求、村代码或村名
    #[arg(long)]
    q: Option<String>,
    /// 案件编号,全号或年内序号(0007 或 7)
    #[arg(long)]
    number: Option<String>,
    /// 当事人姓名(的一部分)
    #[arg(long)]
    party: Option<String>,
    /// 只看某村(区划代码或其前缀)
    #[arg(long)]
    village: Option<String>,
    /// 类别(代码或中文名,如 land 或 土地山林水利)
    #[arg(long)]
    category: Option<String>,
    /// 状态(代码或中文名,如 accepted 或 已受理待分流)
    #[arg(long)]
    status: Option<String>,
    /// 承办单位或村工作站(如 司法所)
    #[arg(long)]
    assignee: Option<String>,
    /// 登记日期不早于(YYYY-MM-DD)
    #[arg(long)]
    from: Option<String>,
    /// 登记日期不晚于(YYYY-MM-DD)
    #[arg(long)]
    to: Option<String>,
    /// 排序:changed(最近变动在前,默认)、registered(最近登记在前)、deadline(期限最近在前)
    #[arg(long, default_value = "changed")]
    sort: String,
    /// 最多列出多少件
    #[arg(long, default_value_t = 500)]
    limit: usize,
    /// 跳过前多少件(翻页)
    #[arg(long, default_value_t = 0)]
    offset: usize,
}

/// How each search flag is named, for errors about it.
const SEARCH_FLAGS: flags::Flags = flags::Flags(&[
    ("category", "--category"),
    ("status", "--status"),
    ("from", "--from"),
    ("to", "--to"),
    ("sort", "--sort"),
]);

impl CaseSearchArgs {
    fn filter(self) -> Result<views::CaseFilter> {
        use sanji_domain::case::CaseStatus;
        use sanji_domain::time::parse_date;
        SEARCH_FLAGS.on(|| {
            let sort = match self.sort.as_str() {
                "changed" => views::CaseSort::Changed,
                "registered" => views::CaseSort::Registered,
                "deadline" => views::CaseSort::Deadline,
                other => {
                    return Err(FieldError::new(
                        "sort",
                        format!("排序方式 {other:?} 不认识;可选 changed、registered、deadline"),
                    )
                    .into());
                }
            };
            Ok(views::CaseFilter {
                text: self.q,
                number: self.number,
                party: self.party,
                village: self.village,
                category: self
                    .category
                    .map(|c| Category::parse_for("category", &c))
                    .transpose()?,
                status: self
                    .status
                    .map(|s| CaseStatus::parse_for("status", &s))
                    .transpose()?,
                assignee: self.assignee,
                registered_from: self.from.map(|d| parse_date("from", &d)).transpose()?,
                registered_to: self.to.map(|d| parse_date("to", &d)).transpose()?,
                sort,
                offset: self.offset,
                limit: Some(self.limit),
            })
        })
    }
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
    /// 网页工作台的账号:新建、列出、重置密码、停用
    #[command(subcommand)]
    User(crate::user_cmd::UserCommand),
    /// 名录:本县的乡镇(代码与名称)
    #[command(subcommand)]
    Directory(crate::directory_cmd::CountyDirectory),
    /// 各镇:链路状态与汇总合计
    Townships,
    /// 各村每日排查汇总(按类别与风险)
    Summaries(Filter),
    /// 上报县级的重大/群体性排查
    Severe(Filter),
    /// 各乡镇月报表(每镇一行,末行合计)
    Report {
        /// 月份(YYYY-MM,如 2026-11)
        #[arg(long)]
        month: String,
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// 一个乡镇上报的自查评分表
    Assessment {
        /// 乡镇代码(9 位)
        #[arg(long)]
        township: String,
        /// 期间:2026-H2(下半年)或 2026(全年)
        #[arg(long)]
        period: String,
        /// 另存为 CSV 文件(可用 Excel 打开)
        #[arg(long)]
        csv: Option<std::path::PathBuf>,
    },
    /// 上报或交办的案件
    Cases,
    /// 向乡镇交办案件
    Handdown(HanddownArgs),
    /// 督办一件上报或交办的案件
    Supervise {
        #[command(flatten)]
        case: crate::case_cmd::CaseRef,
        /// 督办意见
        #[arg(long)]
        note: String,
    },
}

#[derive(Args)]
pub struct HanddownArgs {
    /// 交办给哪个乡镇(9 位代码)
    #[arg(long)]
    township: String,
    #[command(flatten)]
    case: CaseFields,
    /// 交办意见
    #[arg(long)]
    note: String,
    /// 县里的经办人(首问首接)
    #[arg(long)]
    receiver: String,
    /// 办结期限(YYYY-MM-DD;乡镇受理后以此和乡镇自己的办结时限中较早的为准;不填则按乡镇的时限)
    #[arg(long)]
    deadline: Option<String>,
}

pub async fn run_hub(args: HubArgs) -> Result<ExitCode> {
    let config = load(&args.common, Role::Hub)?;
    let json = args.common.json;
    let person = match args.acting_as.as_deref() {
        Some(file) => Some(crate::passphrase::person(file)?),
        None => None,
    };
    let person = person.as_ref();
    match args.command {
        HubCommand::Case(HubCase::Step(mut step)) => {
            step.take_in_files(async |upload| {
                Ok(console::take_in_file_remote(&config, person, &upload).await?)
            })
            .await?;
            let (case, command) = step.into_command()?;
            act(&config, person, Action::CaseStep { case, command }, json).await
        }
        HubCommand::Case(HubCase::Register(r)) => {
            flags::HUB_CASE
                .on_async(async {
                    let registered_on = match &r.date {
                        Some(d) => {
                            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                                FieldError::new(
                                    "date",
                                    format!("日期 {d:?} 格式不对,应为 YYYY-MM-DD"),
                                )
                            })?
                        }
                        None => today(),
                    };
                    let source = CaseSource::parse_for("source", &r.source)?;
                    // The server names the person at the window as the first receiver.
                    let registration = r.case.registration(
                        &config.code,
                        registered_on,
                        source,
                        String::new(),
                        r.first_unit,
                    )?;
                    act(&config, person, Action::RegisterCase { registration }, json).await
                })
                .await
        }
        HubCommand::Case(HubCase::Show(c)) => {
            let value = console::query_remote(&config, &Query::Case { case: c.case }).await?;
            let case: sanji_node::ops::CaseView = serde_json::from_value(value)?;
            if json {
                render::json(&case);
            } else {
                render::case_file(case.id, &case.file);
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Screening(ScreeningAction::Add {
            village,
            line,
            fields,
        }) => {
            flags::SCREENING
                .on_async(async {
                    let village =
                        Code::parse_level("village", &village, sanji_domain::Level::Village)?;
                    let screening = fields.screening(village, None, line, today())?;
                    act(&config, person, Action::RecordScreening { screening }, json).await
                })
                .await
        }
        HubCommand::Campaign(CampaignAction::Add {
            topic,
            from,
            to,
            categories,
            note,
        }) => {
            flags::CAMPAIGN
                .on_async(async {
                    let campaign = sanji_domain::campaign::Campaign {
                        topic,
                        from: match &from {
                            Some(d) => sanji_domain::time::parse_date("from", d)?,
                            None => today(),
                        },
                        to: sanji_domain::time::parse_date("to", &to)?,
                        categories: categories
                            .iter()
                            .map(|c| Category::parse_for("categories", c))
                            .collect::<Result<_, _>>()?,
                        note,
                    };
                    let action = Action::DeclareCampaign {
                        entry: None,
                        campaign,
                    };
                    act(&config, person, action, json).await
                })
                .await
        }
        HubCommand::Campaign(CampaignAction::Show { entry, csv }) => {
            let campaign = uuid::Uuid::parse_str(entry.trim()).map_err(|_| {
                FieldError::new("entry", format!("专项排查编号 {entry:?} 不是有效的编号"))
            })?;
            let value = console::query_remote(&config, &Query::Campaign { campaign }).await?;
            let view: sanji_node::campaigns::CampaignView = serde_json::from_value(value.clone())?;
            let table = sanji_node::export::campaign_table(&view);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Assessment { period, csv } => {
            flags::PERIOD.on(|| Ok(sanji_domain::report::Period::parse(&period)?))?;
            let value = console::query_remote(&config, &Query::Assessment { period }).await?;
            let view: sanji_node::assessment::AssessmentView =
                serde_json::from_value(value.clone())?;
            let table = sanji_node::export::assessment_table(&view.now);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Campaigns { csv } => {
            let value = console::query_remote(&config, &Query::Campaigns).await?;
            let views: Vec<sanji_node::campaigns::CampaignView> =
                serde_json::from_value(value.clone())?;
            let table = sanji_node::export::campaigns_table(&views);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Hotspot(action) => {
            let (entry, fields) = match action {
                HotspotAction::Add { fields } => (None, fields),
                HotspotAction::Update { entry, fields } => (Some(entry), fields),
            };
            flags::HOTSPOT
                .on_async(async {
                    let entry = entry
                        .map(|e| {
                            uuid::Uuid::parse_str(e.trim()).map_err(|_| {
                                FieldError::new("entry", format!("登记编号 {e:?} 不是有效的编号"))
                            })
                        })
                        .transpose()?;
                    let action = Action::RecordHotspot {
                        entry,
                        hotspot: fields.hotspot()?,
                    };
                    act(&config, person, action, json).await
                })
                .await
        }
        HubCommand::Hotspots { quarter, csv } => {
            let quarter = quarter.unwrap_or_else(|| {
                sanji_domain::report::Period::Quarter {
                    year: 2000,
                    quarter: 1,
                }
                .same_kind_at(today())
                .to_string()
            });
            let value = console::query_remote(&config, &Query::Hotspots { quarter }).await?;
            let book: sanji_node::hotspots::HotspotBook = serde_json::from_value(value.clone())?;
            let table = sanji_node::export::hotspots_table(&book);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Incident(IncidentAction::Add {
            kind,
            date,
            place,
            parties,
            people,
            cause,
            handling,
            cases,
            screenings,
        }) => {
            flags::INCIDENT
                .on_async(async {
                    let occurred_on = match &date {
                        Some(d) => sanji_domain::time::parse_date("date", d)?,
                        None => today(),
                    };
                    let incident = sanji_domain::record::Incident {
                        kind: IncidentKind::parse_for("kind", &kind)?,
                        place: match &place {
                            Some(p) => Code::parse(p)
                                .map_err(|e| FieldError::new("place", e.to_string()))?,
                            None => config.code.clone(),
                        },
                        occurred_on,
                        people_involved: crate::station_cmd::people_count("people", people)?,
                        parties: parties
                            .into_iter()
                            .map(|name| Party {
                                name,
                                contact: None,
                            })
                            .collect(),
                        cause,
                        handling,
                        screenings: screenings
                            .iter()
                            .map(|s| screening_id(s))
                            .collect::<Result<_>>()?,
                        cases: Vec::new(),
                    };
                    let action = Action::RecordIncident {
                        incident,
                        case_refs: cases,
                    };
                    act(&config, person, action, json).await
                })
                .await
        }
        HubCommand::Meeting(MeetingAction::Add {
            kind,
            date,
            chair,
            attendees,
            decisions,
            cases,
            screenings,
            duties,
        }) => {
            flags::MEETING
                .on_async(async {
                    let meeting = sanji_domain::meeting::Meeting {
                        kind: sanji_domain::meeting::MeetingKind::parse_for("kind", &kind)?,
                        held_on: match &date {
                            Some(d) => sanji_domain::time::parse_date("date", d)?,
                            None => today(),
                        },
                        chair,
                        attendees,
                        screenings: screenings
                            .iter()
                            .map(|s| screening_id(s))
                            .collect::<Result<_>>()?,
                        cases: Vec::new(),
                        decisions,
                        responsibilities: Vec::new(),
                    };
                    let duties = duties
                        .iter()
                        .enumerate()
                        .map(|(i, d)| duty_of(i, d))
                        .collect::<Result<_, _>>()?;
                    let action = Action::RecordMeeting {
                        meeting,
                        case_refs: cases,
                        duties,
                    };
                    act(&config, person, action, json).await
                })
                .await
        }
        HubCommand::Meetings => {
            let value = console::query_remote(&config, &Query::Meetings).await?;
            if json {
                render::json(&value);
            } else {
                render::meetings(&serde_json::from_value(value)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Incidents => {
            show::<views::IncidentRow>(&config, Query::Incidents, json, render::incidents).await
        }
        HubCommand::Screening(ScreeningAction::SignOff { screening, note }) => {
            let screening = screening_id(&screening)?;
            act(&config, person, Action::SignOff { screening, note }, json).await
        }
        HubCommand::Screening(ScreeningAction::Control {
            screening,
            unit,
            person: responsible,
            measures,
            until,
            status,
            note,
        }) => {
            flags::CONTROL
                .on_async(async {
                    let screening = screening_id(&screening)?;
                    let control = sanji_domain::record::StabilityControl {
                        unit,
                        person: responsible,
                        measures,
                        time_limit: sanji_domain::time::parse_date("time_limit", &until)?,
                        status: sanji_domain::record::ControlStatus::parse_for("status", &status)?,
                        note,
                    };
                    act(
                        &config,
                        person,
                        Action::ControlScreening { screening, control },
                        json,
                    )
                    .await
                })
                .await
        }
        HubCommand::Screening(ScreeningAction::Convert { screening, claim }) => {
            let screening = screening_id(&screening)?;
            act(&config, person, Action::Convert { screening, claim }, json).await
        }
        HubCommand::Import {
            kind,
            file,
            dry_run,
        } => {
            let kind = sanji_node::import::LedgerKind::parse(&kind)?;
            let bytes = std::fs::read(&file).map_err(|e| sanji_node::NodeError::io(&file, e))?;
            let request = sanji_node::import::ImportRequest {
                kind,
                file_name: file.display().to_string(),
                bytes,
                dry_run,
            };
            let report = console::import_remote(&config, person, &request).await?;
            if json {
                render::json(&report);
            } else {
                render::import_report(&report);
            }
            Ok(if report.is_good() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        HubCommand::Due => {
            show::<sanji_node::tracker::Tracked>(&config, Query::Due, json, render::due).await
        }
        HubCommand::Conflicts => {
            show::<views::ConflictRow>(&config, Query::Conflicts, json, render::conflicts).await
        }
        HubCommand::Rewards { period } => {
            flags::PERIOD.on(|| Ok(sanji_domain::report::Period::parse(&period)?))?;
            let value = console::query_remote(
                &config,
                &Query::Rewards {
                    period: period.clone(),
                },
            )
            .await?;
            if json {
                render::json(&value);
            } else {
                let totals: Vec<sanji_domain::report::RewardTotal> = serde_json::from_value(value)?;
                render::rewards(&period, &totals);
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Workload { period } => {
            flags::PERIOD.on(|| Ok(sanji_domain::report::Period::parse(&period)?))?;
            let value = console::query_remote(
                &config,
                &Query::Workload {
                    period: period.clone(),
                },
            )
            .await?;
            if json {
                render::json(&value);
            } else {
                let lines: Vec<sanji_domain::report::UnitWorkload> = serde_json::from_value(value)?;
                render::export_table(&sanji_node::export::workload_table(&period, &lines));
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Report { month, csv } => {
            flags::MONTH.on(|| Ok(sanji_domain::report::Month::parse(&month)?))?;
            let value = console::query_remote(&config, &Query::Report { month }).await?;
            let report: sanji_domain::report::MonthlyReport =
                serde_json::from_value(value.clone())?;
            let table = sanji_node::export::report_table(&report);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Register { year, csv } => {
            let year = year.unwrap_or_else(|| this_year(&config));
            let value = console::query_remote(&config, &Query::Register { year }).await?;
            let register: sanji_node::register::Register = serde_json::from_value(value.clone())?;
            let table = sanji_node::export::register_table(&register);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Notices { book, year, csv } => {
            let year = year.unwrap_or_else(|| this_year(&config));
            let value = console::query_remote(&config, &Query::Notices { year, book }).await?;
            let notices: sanji_node::notices::NoticeBook = serde_json::from_value(value.clone())?;
            let table = sanji_node::export::notices_table(&notices);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Summary { period, csv } => {
            flags::PERIOD.on(|| Ok(sanji_domain::report::Period::parse(&period)?))?;
            let value = console::query_remote(&config, &Query::Summary { period }).await?;
            let summary: sanji_domain::report::PeriodSummary =
                serde_json::from_value(value.clone())?;
            let table = sanji_node::export::summary_table(&summary);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Reporting { month } => {
            let month = match month {
                Some(m) => flags::MONTH.on(|| Ok(sanji_domain::report::Month::parse(&m)?))?,
                None => sanji_domain::report::Month::of(sanji_domain::time::cst_date(
                    sanji_sync::Clock::skewed(config.clock_offset_ms).now_ms(),
                )),
            };
            let value = console::query_remote(
                &config,
                &Query::Reporting {
                    month: month.to_string(),
                },
            )
            .await?;
            if json {
                render::json(&value);
            } else {
                let table: sanji_node::reports::ReportingTable = serde_json::from_value(value)?;
                let names: sanji_node::directory::Listing = serde_json::from_value(
                    console::query_remote(&config, &Query::Directory).await?,
                )?;
                render::reporting(&table, &names);
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Serve => serve(config).await,
        HubCommand::User(command) => crate::user_cmd::run(&config, command, json).await,
        HubCommand::Directory(command) => {
            crate::directory_cmd::run_hub(&config, command, json).await
        }
        HubCommand::Screenings(f) => {
            show::<views::ScreeningRow>(
                &config,
                Query::Screenings { village: f.village },
                json,
                render::screenings,
            )
            .await
        }
        HubCommand::Visits(f) => {
            show::<views::VisitRow>(
                &config,
                Query::Visits { village: f.village },
                json,
                render::visits,
            )
            .await
        }
        HubCommand::Cases(search) => {
            let filter = search.filter()?;
            let value = console::query_remote(&config, &Query::CaseSearch { filter }).await?;
            if json {
                render::json(&value);
            } else {
                let hits: views::CaseHits = serde_json::from_value(value)?;
                render::cases(&hits.rows);
                if hits.total > hits.rows.len() {
                    println!(
                        "共找到 {} 件,以上列出 {} 件(用 --offset 翻页)",
                        hits.total,
                        hits.rows.len()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        HubCommand::Link => {
            let value = console::query_remote(&config, &Query::Upstream).await?;
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
            show::<views::PeerRow>(&config, Query::Stations, json, render::stations).await
        }
    }
}

pub async fn run_county(args: CountyArgs) -> Result<ExitCode> {
    let config = load(&args.common, Role::County)?;
    let json = args.common.json;
    match args.command {
        CountyCommand::Serve => serve(config).await,
        CountyCommand::User(command) => crate::user_cmd::run(&config, command, json).await,
        CountyCommand::Directory(command) => {
            crate::directory_cmd::run_county(&config, command, json).await
        }
        CountyCommand::Townships => {
            show::<views::TownshipRow>(&config, Query::Townships, json, render::townships).await
        }
        CountyCommand::Summaries(f) => {
            show::<sanji_domain::DailySummary>(
                &config,
                Query::Summaries { village: f.village },
                json,
                render::summaries,
            )
            .await
        }
        CountyCommand::Severe(f) => {
            show::<views::ScreeningRow>(
                &config,
                Query::Severe {
                    village: f.village,
                    since: None,
                },
                json,
                render::screenings,
            )
            .await
        }
        CountyCommand::Cases => {
            show::<views::CaseRow>(&config, Query::Cases { village: None }, json, render::cases)
                .await
        }
        CountyCommand::Assessment {
            township,
            period,
            csv,
        } => {
            flags::PERIOD.on(|| Ok(sanji_domain::report::Period::parse(&period)?))?;
            let value =
                console::query_remote(&config, &Query::TownshipAssessment { township, period })
                    .await?;
            let (sheet, _): (sanji_domain::assessment::AssessmentSheet, u64) =
                serde_json::from_value(value.clone())?;
            let table = sanji_node::export::assessment_table(&sheet);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        CountyCommand::Report { month, csv } => {
            flags::MONTH.on(|| Ok(sanji_domain::report::Month::parse(&month)?))?;
            let value = console::query_remote(&config, &Query::Reports { month }).await?;
            let table: views::CountyReport = serde_json::from_value(value.clone())?;
            let table = sanji_node::export::county_table(&table);
            render::sheet(&value, &table, csv.as_deref(), json)?;
            Ok(ExitCode::SUCCESS)
        }
        CountyCommand::Supervise { case, note } => {
            let command = CaseCommand::Supervise { note };
            act(
                &config,
                None,
                Action::CaseStep {
                    case: case.case,
                    command,
                },
                json,
            )
            .await
        }
        CountyCommand::Handdown(h) => {
            flags::HAND_DOWN
                .on_async(async {
                    let township = Code::parse_level("township", &h.township, Level::Township)?;
                    let registration = h.case.registration(
                        &township,
                        today(),
                        CaseSource::HandedDown,
                        h.receiver,
                        "县综治办".into(),
                    )?;
                    let deadline = h
                        .deadline
                        .as_deref()
                        .map(|d| sanji_domain::time::parse_date("deadline", d))
                        .transpose()?;
                    let hand_down = HandDown {
                        township,
                        registration,
                        note: h.note,
                        deadline,
                    };
                    act(&config, None, Action::HandDown { hand_down }, json).await
                })
                .await
        }
    }
}

fn today() -> chrono::NaiveDate {
    sanji_domain::time::cst_date(sanji_sync::Clock::system().now_ms())
}

fn screening_id(text: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(text).map_err(|_| {
        anyhow::anyhow!("排查编号 {text:?} 不是有效的 UUID(见 sanji hub screenings --json 的 id)")
    })
}

async fn act(
    config: &NodeConfig,
    person: Option<&sanji_pki::CertFiles>,
    action: Action,
    json: bool,
) -> Result<ExitCode> {
    let outcome = console::act_remote(config, person, &action).await?;
    if json {
        render::json(&outcome);
    } else {
        render::outcome(&outcome);
    }
    Ok(ExitCode::SUCCESS)
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
    let console = match sanji_web::start_for(&node).await {
        Ok(console) => console,
        Err(e) => {
            node.stop().await?;
            return Err(e.into());
        }
    };
    if let Some(console) = &console {
        eprintln!("网页工作台:{}", console.url);
    }
    tokio::select! {
        result = node.wait() => { result?; }
        _ = crate::shutdown_signal() => {
            eprintln!("正在停止……");
            if let Some(console) = console {
                console.stop().await;
            }
            node.stop().await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn show<T: DeserializeOwned>(
    config: &NodeConfig,
    query: Query,
    json: bool,
    table: fn(&[T]),
) -> Result<ExitCode> {
    let value = console::query_remote(config, &query).await?;
    if json {
        render::json(&value);
    } else {
        let rows: Vec<T> = serde_json::from_value(value)?;
        table(&rows);
    }
    Ok(ExitCode::SUCCESS)
}

/// This year by the node's clock (its configured offset included).
fn this_year(config: &NodeConfig) -> i32 {
    use chrono::Datelike;
    sanji_domain::time::cst_date(sanji_sync::Clock::skewed(config.clock_offset_ms).now_ms()).year()
}
