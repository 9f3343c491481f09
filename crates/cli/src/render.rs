//! Terminal output: Chinese tables for people, JSON for programs.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use sanji_domain::record::RiskLevel;
use sanji_domain::time::format_cst;
use sanji_domain::{DailySummary, Labelled};
use sanji_node::station::StationStatus;
use sanji_node::views::{
    CaseRow, IncidentRow, PeerRow, ScreeningRow, TownshipRow, VisitRow, ZeroReportRow,
};
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

pub fn incidents(rows: &[IncidentRow]) {
    let mut t = table(&[
        "日期",
        "类别",
        "发生地",
        "人数",
        "当事人",
        "起因",
        "处置情况",
        "关联",
        "登记人",
    ]);
    for r in rows {
        let links: Vec<&str> = r
            .case_links
            .iter()
            .chain(&r.screening_links)
            .map(|(_, name)| name.as_str())
            .collect();
        t.add_row(vec![
            r.record.occurred_on.to_string(),
            r.record.kind.label().to_owned(),
            r.record.place.to_string(),
            r.record.people_involved.to_string(),
            r.record
                .parties
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            clip(&r.record.cause, 20),
            clip(&r.record.handling, 20),
            links.join("、"),
            r.author.clone(),
        ]);
    }
    print("群体性事件、民转刑案件", rows.len(), t);
}

pub fn meetings(book: &sanji_node::meetings::MeetingBook) {
    for due in &book.due {
        println!("提醒:{}", due.words());
    }
    let mut t = table(&[
        "日期",
        "会议",
        "主持人",
        "参会人员",
        "研判事项",
        "议定事项",
        "责任落实",
    ]);
    for m in &book.meetings {
        let reviewed: Vec<String> = m
            .reviewed
            .iter()
            .map(|l| format!("{} {}", sanji_node::export::linked_kind(&l.kind), l.name))
            .collect();
        let duties: Vec<String> = m
            .duties
            .iter()
            .map(|d| {
                format!(
                    "{} {}:{}({} 前,{})",
                    d.unit,
                    d.person,
                    clip(&d.task, 16),
                    d.deadline,
                    d.follow.label()
                )
            })
            .collect();
        t.add_row(vec![
            m.held_on.to_string(),
            m.kind.label().to_owned(),
            m.chair.clone(),
            m.attendees.join("、"),
            reviewed.join("\n"),
            clip(&m.decisions, 30),
            duties.join("\n"),
        ]);
    }
    print("会议记录簿", book.meetings.len(), t);
}

pub fn zero_reports(rows: &[ZeroReportRow]) {
    let mut t = table(&["排查日期", "所管一周", "村", "排查人", "说明"]);
    for r in rows {
        t.add_row(vec![
            r.round_on.to_string(),
            format!("{} 至 {}", r.week.0, r.week.1),
            r.village.to_string(),
            r.screener.clone(),
            clip(&r.note, 30),
        ]);
    }
    print("零报告", rows.len(), t);
}

/// 报送情况: each village in each week of the month.
pub fn reporting(
    sheet: &sanji_node::reports::ReportingTable,
    names: &sanji_node::directory::Listing,
) {
    let mut headings = vec!["村".to_owned()];
    headings.extend(
        sheet
            .weeks
            .iter()
            .map(|(from, to)| format!("{}–{}", from.format("%m-%d"), to.format("%m-%d"))),
    );
    headings.push("本月".to_owned());
    let heading_refs: Vec<&str> = headings.iter().map(String::as_str).collect();
    let mut t = table(&heading_refs);
    for (row, month) in sheet.villages.iter().zip(&sheet.month_standing) {
        let mut cells = vec![names.place_label(&row.village)];
        cells.extend(row.periods.iter().map(|s| s.label()));
        cells.push(month.label());
        t.add_row(cells);
    }
    print(
        &format!("{} 报送情况({})", sheet.month, sheet.counts.label()),
        sheet.villages.len(),
        t,
    );
}

pub fn cases(rows: &[CaseRow]) {
    let mut t = table(&[
        "案件编号",
        "登记日期",
        "发生地",
        "来源",
        "类别",
        "当事人",
        "诉求",
        "首问首接",
        "承办",
        "期限",
        "催/督",
        "状态",
    ]);
    for r in rows {
        t.add_row(vec![
            r.case_number
                .clone()
                .unwrap_or_else(|| format!("({})", sanji_node::ops::short_id(r.id))),
            r.registered_on.to_string(),
            r.place.to_string(),
            r.source.label().to_owned(),
            r.category.label().to_owned(),
            clip(&r.parties.join("、"), 10),
            clip(&r.claim, 16),
            r.first_receiver.clone(),
            r.assignee
                .clone()
                .map(|a| format!("{a} {}", r.person.clone().unwrap_or_default()))
                .unwrap_or_default(),
            r.deadline.map(|d| d.to_string()).unwrap_or_default(),
            format!("{}/{}", r.urges, r.supervisions),
            format!(
                "{}{}{}",
                r.status.label(),
                if r.escalated { "·已上报" } else { "" },
                if r.complex { "·疑难" } else { "" }
            ),
        ]);
    }
    print("案件", rows.len(), t);
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
            match &l.error {
                Some(e) if l.interrupted => println!("  上次同步被中断:{e}"),
                Some(e) => println!("  上次同步失败:{e}"),
                None => {}
            }
        }
    }
    arrived(s);
}

/// What the last successful sync brought from the hub, a line each.
pub fn arrived(s: &StationStatus) {
    let Some(last) = &s.last_sync else { return };
    if last.succeeded_ms.is_none() {
        return;
    }
    if last.arrived.is_empty() {
        println!("  上次成功同步:{}", sanji_domain::arrived::NOTHING_NEW);
        return;
    }
    println!("  上次成功同步带来的消息:");
    for line in &last.arrived {
        println!("    · {line}");
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

pub fn outcome(o: &sanji_node::ops::ActOutcome) {
    let number = o
        .case_number
        .as_deref()
        .map(|n| format!(",案件编号 {n}"))
        .unwrap_or_default();
    let status = o
        .status
        .map(|s| format!(",当前状态:{}", s.label()))
        .unwrap_or_default();
    println!("{}(记录 {}{number}{status})", o.summary, o.entity);
}

/// A case file as JSON, in one shape wherever it is read: the file's fields and its `id`.
/// A case file in its one JSON shape (the operator layer's `CaseView`).
pub fn case_json(id: uuid::Uuid, file: &sanji_domain::case::CaseFile) {
    json(&sanji_node::ops::CaseView {
        id,
        file: file.clone(),
    });
}

pub fn exported(out: &std::path::Path, s: &sanji_node::station::ExportSummary) {
    println!(
        "已导出本站 {} 条记录(排查 {}、接访 {}、案件 {})到 {}。",
        s.events,
        s.screenings,
        s.visits,
        s.cases,
        out.display()
    );
    if s.sealed {
        println!(
            "文件已用口令加密:接收方用 sanji station open-export 和同一口令打开;口令请另行告知,不要与文件放在一起。"
        );
    } else {
        println!(
            "文件未加密,含当事人姓名等个人信息,只有本人可读:请只交给镇中心,用完删除;如须拷贝或传送,请改用 --seal-passphrase-env 加密导出。"
        );
    }
}

pub fn case_file(id: uuid::Uuid, f: &sanji_domain::case::CaseFile) {
    let r = &f.registration;
    println!(
        "一案一档  {}",
        f.case_number.as_deref().unwrap_or("(未受理,尚无编号)")
    );
    println!("  案件 ID:{id}");
    println!(
        "  状态:{}{}",
        f.status.label(),
        f.deadline.map(|d| format!(",期限 {d}")).unwrap_or_default()
    );
    println!(
        "  来源:{}  类别:{}  发生地:{}  涉及 {} 人{}",
        r.source.label(),
        r.category.label(),
        r.place,
        r.people_involved,
        if r.complex { "  疑难" } else { "" }
    );
    println!(
        "  当事人:{}",
        r.parties
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    );
    println!("  诉求:{}", r.claim);
    println!("  首问首接:{}({})", r.first_receiver, r.first_unit);
    if let Some(a) = &f.assignment {
        let approval = a
            .approved_by
            .as_deref()
            .map_or("待中心主任审批".to_owned(), |d| format!("{d} 审批"));
        println!(
            "  承办:{},承办人 {},期限 {}({approval})",
            a.assignee.label(),
            a.person,
            a.deadline
        );
    }
    if let Some(res) = &f.resolution {
        println!(
            "  结果:{}  {}{}",
            res.outcome.label(),
            res.summary,
            if res.late { "(超期办结)" } else { "" }
        );
    }
    if !f.authoritative {
        println!("  (这是镇中心上报的副本,第 {} 版)", f.report_revision);
    }
    println!("  办理经过:");
    for e in &f.file {
        println!(
            "    {}  {}({})  {}",
            format_cst(e.at.wall_ms),
            e.by,
            e.role.label(),
            e.text
        );
    }
}

pub fn due(rows: &[sanji_node::tracker::Tracked]) {
    let mut t = table(&[
        "期限",
        "情况",
        "案件",
        "状态",
        "发生地",
        "承办",
        "催办",
        "督办",
    ]);
    for r in rows {
        t.add_row(vec![
            r.deadline.to_string(),
            r.standing.label(),
            r.case_number
                .clone()
                .unwrap_or_else(|| sanji_node::ops::short_id(r.id)),
            r.status.label().to_owned(),
            r.place.to_string(),
            r.assignee.clone().unwrap_or_default(),
            r.urges.to_string(),
            r.supervisions.to_string(),
        ]);
    }
    print("在办案件期限", rows.len(), t);
    let loads = sanji_node::tracker::by_assignee(rows);
    if !loads.is_empty() {
        let mut t = table(&["承办单位/村", "在办", "即将到期", "已超期"]);
        for load in loads {
            t.add_row(vec![
                load.assignee,
                load.open.to_string(),
                load.due_soon.to_string(),
                load.overdue.to_string(),
            ]);
        }
        println!("按承办方\n{t}");
    }
}

pub fn conflicts(rows: &[sanji_node::views::ConflictRow]) {
    let mut t = table(&["时间", "记录", "操作人", "来源", "未生效的原因"]);
    for r in rows {
        t.add_row(vec![
            format_cst(r.conflict.hlc.wall_ms),
            r.record.clone(),
            r.conflict.author.clone(),
            r.conflict.event.to_string(),
            r.conflict.reason.clone(),
        ]);
    }
    print("冲突(已保留,未生效)", rows.len(), t);
}

pub fn rewards(period: &str, totals: &[sanji_domain::report::RewardTotal]) {
    let mut t = table(&["承办单位/村", "金额(元)", "案件", "日期", "事由"]);
    for total in totals {
        for (i, l) in total.lines.iter().enumerate() {
            t.add_row(vec![
                if i == 0 {
                    total.handler.label()
                } else {
                    String::new()
                },
                if i == 0 {
                    total.amount.to_string()
                } else {
                    String::new()
                },
                format!(
                    "{} {:+}",
                    l.case_number.clone().unwrap_or_default(),
                    l.amount
                ),
                l.on.to_string(),
                l.reason.clone(),
            ]);
        }
    }
    print(&format!("奖惩台账 {period}"), totals.len(), t);
}

/// A table of `sanji_node::export` (the monthly report, the county's month
/// table), as the console's page and downloads show it.
pub fn export_table(table: &sanji_node::export::Table) {
    let mut t = self::table(&table.heading_texts());
    for row in &table.rows {
        t.add_row(row.iter().map(ToString::to_string));
    }
    println!("{}", table.title);
    println!("{t}");
}

/// The same table as CSV (UTF-8 with a byte-order mark, for Excel).
pub fn export_csv(path: &std::path::Path, table: &sanji_node::export::Table) -> anyhow::Result<()> {
    std::fs::write(path, table.to_csv()?)
        .map_err(|e| anyhow::anyhow!("无法写入 {}:{e}", path.display()))
}

/// A report's sheet: saved as CSV when asked, then printed (or its JSON).
pub fn sheet(
    value: &serde_json::Value,
    table: &sanji_node::export::Table,
    csv: Option<&std::path::Path>,
    as_json: bool,
) -> anyhow::Result<()> {
    if let Some(path) = csv {
        export_csv(path, table)?;
    }
    if as_json {
        json(value);
    } else {
        export_table(table);
        if let Some(path) = csv {
            println!("已另存为 {}", path.display());
        }
    }
    Ok(())
}

pub fn directory(listing: &sanji_node::directory::Listing) {
    let mut t = table(&["类别", "代码", "名称", "状态"]);
    let mut count = 0;
    let mut row = |kind: &str, code: String, name: &str, state: &str| {
        count += 1;
        t.add_row(vec![
            kind.to_owned(),
            code,
            name.to_owned(),
            state.to_owned(),
        ]);
    };
    for p in &listing.townships {
        row("乡镇", p.code.to_string(), &p.name, "在用");
    }
    for p in &listing.villages {
        row("村", p.code.to_string(), &p.name, "在用");
    }
    for u in &listing.units {
        row("成员单位", String::new(), u, "在用");
    }
    for p in &listing.retired {
        row("村/乡镇", p.code.to_string(), &p.name, "已停用");
    }
    for u in &listing.retired_units {
        row("成员单位", String::new(), u, "已停用");
    }
    print("名录", count, t);
}

pub fn accounts(outcome: &sanji_node::ops::AdminOutcome) {
    let mut t = table(&["用户名", "姓名", "角色", "所属单位", "状态"]);
    for a in &outcome.accounts {
        let state = if a.disabled {
            "已停用"
        } else if a.locked {
            "已锁定"
        } else if a.must_change_password {
            "待首次登录改密码"
        } else {
            "正常"
        };
        t.add_row(vec![
            a.login.clone(),
            a.name.clone(),
            a.role.label().to_owned(),
            a.unit.clone().unwrap_or_default(),
            state.to_owned(),
        ]);
    }
    print("账号", outcome.accounts.len(), t);
    if let Some(password) = &outcome.one_time_password {
        println!("一次性密码:{password}");
        println!("请当面或电话告知本人;本人首次登录后须设置自己的密码。此密码不会再次显示。");
    }
}

/// What an import found: every problem by row and column, or on a dry run
/// the rows as they will be stored; the summary sentence last.
pub fn import_report(report: &sanji_node::import::ImportReport) {
    if !report.is_good() {
        for problem in &report.problems {
            println!("{problem}");
        }
    } else if report.dry_run {
        let mut header = vec!["行"];
        header.extend(report.headings.iter().map(String::as_str));
        let mut t = table(&header);
        for row in &report.rows {
            let mut cells = vec![row.row.to_string()];
            cells.extend(row.cells.iter().map(|c| clip(&c.text, 20)));
            t.add_row(cells);
        }
        println!("{t}");
    }
    println!("{}", report.summary());
}
