//! Terminal output: Chinese tables for people, JSON for programs.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use sanji_domain::record::RiskLevel;
use sanji_domain::time::format_cst;
use sanji_domain::{DailySummary, Labelled};
use sanji_node::station::StationStatus;
use sanji_node::views::{CaseRow, PeerRow, ScreeningRow, TownshipRow, VisitRow};
use sanji_sync::SyncReport;
use serde::Serialize;

pub fn json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("output serialises")
    );
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    t
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

fn when(ms: Option<u64>) -> String {
    match ms {
        Some(ms) if ms > 0 => format_cst(ms),
        _ => "—".to_owned(),
    }
}

fn yes(flag: bool) -> &'static str {
    if flag { "是" } else { "" }
}

fn print(title: &str, count: usize, t: Table) {
    println!("{title}(共 {count} 条)");
    if count > 0 {
        println!("{t}");
    }
}

pub fn screenings(rows: &[ScreeningRow]) {
    let mut t = table(&[
        "排查日期",
        "村",
        "类别",
        "风险",
        "易激化",
        "群体性",
        "人数",
        "当事人",
        "基本情况",
        "上报县级",
    ]);
    for r in rows {
        t.add_row(vec![
            r.screened_on.to_string(),
            r.village.to_string(),
            r.category.label().to_owned(),
            r.risk.label().to_owned(),
            yes(r.may_escalate).to_owned(),
            yes(r.mass_incident_risk).to_owned(),
            r.people_involved.to_string(),
            clip(&r.parties.join("、"), 12),
            clip(&r.description, 24),
            when(r.reported_at_ms),
        ]);
    }
    print("不安定因素排查登记", rows.len(), t);
}

pub fn visits(rows: &[VisitRow]) {
    let mut t = table(&[
        "日期",
        "接访地",
        "方式",
        "来访人",
        "人数",
        "类别",
        "反映问题",
        "接访人",
        "当场答复",
    ]);
    for r in rows {
        t.add_row(vec![
            r.visited_on.to_string(),
            r.received_at.to_string(),
            r.channel.label().to_owned(),
            r.visitor.clone(),
            r.people_count.to_string(),
            r.category.label().to_owned(),
            clip(&r.summary, 20),
            r.receiver.clone(),
            clip(r.answer.as_deref().unwrap_or(""), 16),
        ]);
    }
    print("接访记录", rows.len(), t);
}

pub fn cases(rows: &[CaseRow]) {
    let mut t = table(&[
        "登记日期",
        "发生地",
        "来源",
        "类别",
        "当事人",
        "诉求",
        "首问首接",
        "疑难",
        "状态",
    ]);
    for r in rows {
        t.add_row(vec![
            r.registered_on.to_string(),
            r.place.to_string(),
            r.source.label().to_owned(),
            r.category.label().to_owned(),
            clip(&r.parties.join("、"), 12),
            clip(&r.claim, 20),
            format!("{}({})", r.first_receiver, r.first_unit),
            yes(r.complex).to_owned(),
            "已登记".to_owned(),
        ]);
    }
    print("案件受理登记", rows.len(), t);
}

pub fn stations(rows: &[PeerRow]) {
    let mut t = table(&[
        "下级节点",
        "最后联系",
        "最后推送",
        "最后拉取",
        "已确认",
        "待同步",
        "最近错误",
    ]);
    for r in rows {
        t.add_row(vec![
            r.code.clone(),
            when(Some(r.last_contact_ms)),
            when(r.last_push_ms),
            when(r.last_pull_ms),
            r.acked.to_string(),
            r.pending.to_string(),
            clip(r.last_error.as_deref().unwrap_or(""), 30),
        ]);
    }
    print("下级节点同步情况", rows.len(), t);
}

pub fn summaries(rows: &[DailySummary]) {
    let mut t = table(&[
        "日期",
        "村",
        "排查数",
        "一般",
        "较大",
        "重大",
        "群体性风险",
        "版本",
    ]);
    for r in rows {
        t.add_row(vec![
            r.date.to_string(),
            r.village.to_string(),
            r.records.to_string(),
            r.count_by_risk(RiskLevel::General).to_string(),
            r.count_by_risk(RiskLevel::Major).to_string(),
            r.count_by_risk(RiskLevel::Severe).to_string(),
            r.mass_incident_risk.to_string(),
            r.revision.to_string(),
        ]);
    }
    print("每日排查汇总", rows.len(), t);
}

pub fn townships(rows: &[TownshipRow]) {
    let mut t = table(&[
        "乡镇",
        "最后联系",
        "待同步",
        "村数",
        "汇总天数",
        "排查数",
        "重大",
        "群体性风险",
        "重大排查全文",
    ]);
    for r in rows {
        t.add_row(vec![
            r.code.clone(),
            when(r.link.as_ref().map(|l| l.last_contact_ms)),
            r.link
                .as_ref()
                .map_or("—".into(), |l| l.pending.to_string()),
            r.villages.to_string(),
            r.summary_days.to_string(),
            r.screenings.to_string(),
            r.severe_risk.to_string(),
            r.mass_incident_risk.to_string(),
            r.severe_reports.to_string(),
        ]);
    }
    print("各乡镇", rows.len(), t);
}

pub fn station_status(s: &StationStatus) {
    println!(
        "村工作站 {}(上级镇中心 {},地址 {})",
        s.code, s.parent, s.parent_addr
    );
    println!(
        "  本站记录:{} 条(排查 {}、接访 {}、案件 {})",
        s.events_recorded, s.screenings, s.visits, s.cases
    );
    println!(
        "  镇中心已确认:{} 条;待同步:{} 条",
        s.acked_by_hub, s.pending
    );
    println!("  从镇中心收到:{} 条", s.received_from_hub);
    match &s.last_sync {
        None => println!("  尚未同步过"),
        Some(l) => {
            println!("  上次尝试同步:{}", when(Some(l.attempted_ms)));
            println!("  上次成功同步:{}", when(l.succeeded_ms));
            if let Some(e) = &l.error {
                println!("  上次同步失败:{e}");
            }
        }
    }
}

pub fn sync_report(r: &SyncReport) {
    println!(
        "同步完成:推送 {} 条(镇中心新存 {} 条,重复 {} 条),拉取 {} 条(新存 {} 条)。",
        r.push.sent, r.push.stored, r.push.duplicates, r.pull.received, r.pull.stored
    );
    if r.all_acked() {
        println!("本站 {} 条记录已全部由镇中心确认保存。", r.push.local_head);
    } else {
        println!(
            "镇中心确认到第 {} 条,本站共 {} 条:请稍后再同步。",
            r.push.acked, r.push.local_head
        );
    }
}

pub fn upstream(status: Option<&sanji_node::forward::UpstreamStatus>) {
    let Some(s) = status else {
        println!("尚未向县综治办上报过(未配置 parent_addr,或服务刚启动)");
        return;
    };
    println!(
        "上报台账共 {} 条,县综治办已确认 {} 条",
        s.outbox_head, s.acked_by_county
    );
    println!("  上次尝试:{}", when(Some(s.last_attempt_ms)));
    println!("  上次成功:{}", when(s.last_success_ms));
    if let Some(e) = &s.last_error {
        println!("  上次失败:{e}");
    }
}
