use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use sanji_demo as demo;
use sanji_node::views;

use crate::render;

#[derive(Args)]
pub struct DemoArgs {
    /// 跑完一遍就退出(不继续提供服务)
    #[arg(long)]
    once: bool,
    /// 以一个 JSON 对象输出结果
    #[arg(long)]
    json: bool,
    /// 演示数据目录(默认新建临时目录;--once 时用完即删)
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub async fn run(args: DemoArgs) -> Result<ExitCode> {
    let temp;
    let dir = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new().prefix("sanji-demo-").tempdir()?;
            if args.once {
                temp.path().to_owned()
            } else {
                temp.keep()
            }
        }
    };
    if !args.json {
        println!(
            "正在启动演示:县 {} → 镇 {} → 村 201/202/203,数据目录 {}",
            demo::COUNTY,
            demo::TOWNSHIP,
            dir.display()
        );
    }
    let mut demo = demo::run(&dir).await?;
    let converged = demo.report.converged;
    if args.json {
        // One line, so a script reads the first line and the demo serves on.
        println!("{}", serde_json::to_string(&demo.report)?);
        use std::io::Write;
        std::io::stdout().flush()?;
    } else {
        show(&demo)?;
    }
    if args.once {
        demo.stop().await?;
    } else {
        // Let `sanji station ...` in another terminal open the village folders.
        demo.stations.clear();
        demo.quiet_station = None;
        if !args.json {
            where_to_look(&demo)?;
        }
        crate::shutdown_signal().await;
        eprintln!("正在停止……");
        demo.stop().await?;
    }
    Ok(if converged {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn show(demo: &demo::Demo) -> Result<()> {
    let r = &demo.report;
    println!("\n【村工作站】");
    for s in &r.stations {
        println!(
            "  {} {}:登记 {} 条记录(排查 {} 条),镇中心已确认 {} 条,待同步 {} 条",
            s.code, s.name, s.events_created, s.screenings, s.acked_by_hub, s.pending
        );
        if let Some(e) = &s.offline_error {
            println!("    离线时同步:{e}");
        }
    }
    println!(
        "\n【镇中心 {}】收到各村记录 {} 条",
        demo::TOWNSHIP,
        r.events_at_hub
    );
    render::stations(&views::peers(&demo.hub.store)?);
    let severe_at_hub: Vec<_> = views::screenings(&demo.hub.store, "")?
        .into_iter()
        .filter(|s| s.reported_at_ms.is_some())
        .collect();
    println!("已上报县级的重大/群体性排查 {} 条", severe_at_hub.len());

    println!("\n【县综治办 {}】", demo::COUNTY);
    render::townships(&views::townships(&demo.county.store)?);
    println!("重大/群体性排查(全文):");
    render::screenings(&views::screenings(&demo.county.store, "")?);
    println!(
        "每日汇总 {} 份,覆盖排查 {} 条(县里看不到一般排查的当事人信息)",
        r.summaries_at_county, r.screenings_in_county_summaries
    );
    println!("\n【案件】");
    render::cases(&views::cases(&demo.hub.store, "")?);
    if let Some(number) = r.case_numbers.first()
        && let Ok((id, file)) = sanji_node::ops::find_case(&demo.hub.store, number)
    {
        render::case_file(id, &file);
    }
    println!(
        "催办/督办送达村工作站 {} 次;离线修改冲突 {} 处(已保留,待总台处理):",
        r.urges_delivered, r.conflicts
    );
    render::conflicts(&views::conflicts(&demo.hub.store)?);
    println!(
        "\n【{}({})】本月没有矛盾纠纷:{}报了零报告,镇中心收到 {} 份零报告,月报表以零报告报送县里",
        demo::QUIET_NAME,
        demo::QUIET_TOWNSHIP,
        demo::QUIET_VILLAGE.1,
        r.zero_reports
    );
    println!("\n【县综治办月报】");
    let month = sanji_domain::report::Month::of(sanji_domain::time::cst_date(
        demo.hub.store.clock()?.wall_ms,
    ));
    let table = views::county_reports(&demo.county.store, month)?;
    render::export_table(&sanji_node::export::county_table(&table));
    if r.converged {
        println!(
            "\n✔ 三级数据一致:各村 {} 条记录全部到达镇中心,{} 条重大排查全部到达县里。",
            r.events_created, r.severe_at_county
        );
    } else {
        println!("\n✘ 数据不一致:");
        for p in &r.problems {
            println!("  - {p}");
        }
    }
    Ok(())
}

/// Commands to try against the running demo, each one runnable as printed.
fn where_to_look(demo: &demo::Demo) -> Result<()> {
    let hub = demo.config_path(demo::TOWNSHIP);
    let county = demo.config_path(demo::COUNTY);
    let village = demo.config_path(demo::VILLAGES[0].0);
    println!(
        "\n服务仍在运行:县 {}  镇中心 {}",
        demo.report.county_addr, demo.report.hub_addr
    );
    println!("\n网页工作台(用浏览器打开):");
    println!("  镇中心  {}", demo.report.consoles.hub);
    println!("  县综治办 {}", demo.report.consoles.county);
    println!("  演示账号(密码均为 {}):", demo::DEMO_PASSWORD);
    for a in &demo.report.accounts {
        println!(
            "    {:<8} 用户名 {:<12} {}  → {}",
            a.role_label, a.login, a.name, a.console
        );
    }
    println!("\n在另一个终端试试:");
    println!("  sanji hub stations     --config {}", hub.display());
    println!("  sanji hub screenings   --config {}", hub.display());
    println!("  sanji county townships --config {}", county.display());
    println!("  sanji county severe    --config {}", county.display());
    println!(
        "  sanji county report    --config {} --month {}",
        county.display(),
        month_now()
    );
    println!("  sanji hub due          --config {}", hub.display());
    println!("  sanji hub conflicts    --config {}", hub.display());
    println!("  sanji hub reporting    --config {}", hub.display());
    if let Some(number) = demo.report.case_numbers.first() {
        println!(
            "  sanji hub case show    --config {} --case {number}",
            hub.display()
        );
    }
    // Only a case still being handled can be urged.
    let open = views::cases(&demo.hub.store, "")?
        .into_iter()
        .filter(|c| c.status.is_open())
        .find_map(|c| c.case_number);
    if let Some(number) = open {
        println!(
            "  (下一条以总台赵敏的身份办理:--as 是她的个人证书,运行时提示输入她的口令 {})",
            sanji_demo::DEMO_PASSWORD
        );
        println!(
            "  sanji hub case urge    --config {} --as {} --case {number} --note 请加快办理",
            hub.display(),
            demo.operator_certificate().display(),
        );
    }
    println!(
        "  sanji station screening add --config {} --category land --risk severe --party 赵四 --people 3 --description 山林界址纠纷",
        village.display()
    );
    println!("  sanji station sync     --config {}", village.display());
    println!(
        "  sanji station zero-report list --config {}",
        demo.config_path(demo::QUIET_VILLAGE.0).display()
    );
    println!("按 Ctrl-C 停止。");
    Ok(())
}

fn month_now() -> String {
    sanji_domain::report::Month::of(sanji_domain::time::cst_date(
        sanji_sync::Clock::system().now_ms(),
    ))
    .to_string()
}
