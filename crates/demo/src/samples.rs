//! Realistic sample records for the demo and for drills: the kinds of
//! disputes a village screening actually turns up, in the words clerks use.

use chrono::{Days, NaiveDate};
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, Party, RiskLevel, Screening, Visit, VisitChannel,
};
use sanji_domain::{Code, EventBody};

struct Template {
    category: Category,
    risk: RiskLevel,
    mass: bool,
    escalate: bool,
    parties: &'static [&'static str],
    people: u32,
    description: &'static str,
    measures: &'static str,
}

const SCREENINGS: &[Template] = &[
    Template {
        category: Category::Land,
        risk: RiskLevel::General,
        mass: false,
        escalate: false,
        parties: &["刘长发", "刘长贵"],
        people: 2,
        description: "兄弟二人因老宅宅基地分界不清发生争执,双方各执一词。",
        measures: "村调委会已上门了解情况,约定下周现场丈量。",
    },
    Template {
        category: Category::FamilyNeighbour,
        risk: RiskLevel::General,
        mass: false,
        escalate: false,
        parties: &["陈桂英", "周建国"],
        people: 2,
        description: "邻里因排水沟堵塞、雨水倒灌院内产生矛盾。",
        measures: "网格员已协调疏通水沟,双方暂无异议。",
    },
    Template {
        category: Category::Labour,
        risk: RiskLevel::Major,
        mass: false,
        escalate: true,
        parties: &["黄志强", "本村建筑队"],
        people: 9,
        description: "九名村民在本村建筑队务工,工程完工后被拖欠工资约四万元。",
        measures: "已联系劳动保障所,督促包工头制定还款计划。",
    },
    Template {
        category: Category::Expropriation,
        risk: RiskLevel::Severe,
        mass: true,
        escalate: true,
        parties: &["王德明", "李秀兰", "赵国庆"],
        people: 37,
        description: "高速连接线征地补偿标准存在分歧,三十余户村民酝酿集体到县上访。",
        measures: "已向镇中心报告,镇村干部分片入户做解释工作。",
    },
    Template {
        category: Category::Environment,
        risk: RiskLevel::Major,
        mass: true,
        escalate: false,
        parties: &["村民代表孙立新", "养殖场业主吴海"],
        people: 21,
        description: "生猪养殖场污水直排河道,下游村民意见很大。",
        measures: "已报镇环保站现场查看,责令限期整改。",
    },
    Template {
        category: Category::Medical,
        risk: RiskLevel::General,
        mass: false,
        escalate: false,
        parties: &["钱美华"],
        people: 1,
        description: "村民对卫生室收费有疑问,要求说明。",
        measures: "村医已当面解释收费依据,当事人表示理解。",
    },
    Template {
        category: Category::LawRelated,
        risk: RiskLevel::Severe,
        mass: false,
        escalate: true,
        parties: &["郑永福"],
        people: 1,
        description: "对一审判决不服,多次扬言到省城上访,情绪激动。",
        measures: "已落实专人稳控,联系司法所提供法律咨询。",
    },
    Template {
        category: Category::Other,
        risk: RiskLevel::General,
        mass: false,
        escalate: false,
        parties: &["冯玉兰", "何大勇"],
        people: 2,
        description: "村道占用晾晒粮食引发口角。",
        measures: "村干部现场劝解,已恢复通行。",
    },
];

/// The `n`-th sample screening of `village`, dated `days_ago` days before `today`.
pub fn screening(
    village: &Code,
    n: usize,
    today: NaiveDate,
    days_ago: u64,
    screener: &str,
) -> Screening {
    // Villages differ in what troubles them: start each at its own template.
    let offset: usize = village.as_str()[9..].parse().unwrap_or(0);
    let t = &SCREENINGS[(n + offset) % SCREENINGS.len()];
    Screening {
        village: village.clone(),
        screened_on: today.checked_sub_days(Days::new(days_ago)).unwrap_or(today),
        screener: screener.to_owned(),
        category: t.category,
        parties: t
            .parties
            .iter()
            .map(|name| Party {
                name: (*name).to_owned(),
                contact: None,
            })
            .collect(),
        people_involved: t.people,
        risk: t.risk,
        may_escalate: t.escalate,
        mass_incident_risk: t.mass,
        description: t.description.to_owned(),
        measures: t.measures.to_owned(),
        line: None,
    }
}

pub fn visit(village: &Code, today: NaiveDate, receiver: &str) -> Visit {
    Visit {
        received_at: village.clone(),
        visited_on: today,
        channel: VisitChannel::InPerson,
        visitor: Party {
            name: "张满仓".into(),
            contact: Some("139****2718".into()),
        },
        people_count: 1,
        category: Category::Land,
        summary: "反映承包地被邻户越界耕种,要求村里出面确权。".into(),
        receiver: receiver.to_owned(),
        answer: Some("已登记,村里三日内组织双方到现场核对承包合同。".into()),
    }
}

struct CaseTemplate {
    category: Category,
    parties: &'static [(&'static str, Option<&'static str>)],
    people: u32,
    claim: &'static str,
}

const CASES: &[CaseTemplate] = &[
    CaseTemplate {
        category: Category::Labour,
        parties: &[("黄志强", Some("137****5521")), ("本村建筑队", None)],
        people: 9,
        claim: "要求结清拖欠的务工工资四万二千元。",
    },
    CaseTemplate {
        category: Category::Land,
        parties: &[("吴春生", Some("135****0917")), ("吴春华", None)],
        people: 2,
        claim: "要求确认老屋宅基地界址,拆除对方越界搭建的猪圈。",
    },
    CaseTemplate {
        category: Category::FamilyNeighbour,
        parties: &[("林小芳", Some("139****6603")), ("郭建平", None)],
        people: 2,
        claim: "离婚后子女抚养费长期未付,要求村里协调按月支付。",
    },
];

/// The sample case registered at `village`; villages get different cases.
pub fn case(village: &Code, today: NaiveDate, receiver: &str) -> CaseRegistration {
    let offset: usize = village.as_str()[9..].parse().unwrap_or(0);
    let t = &CASES[offset % CASES.len()];
    CaseRegistration {
        place: village.clone(),
        registered_on: today,
        source: CaseSource::Visit,
        category: t.category,
        parties: t
            .parties
            .iter()
            .map(|(name, contact)| Party {
                name: (*name).to_owned(),
                contact: contact.map(str::to_owned),
            })
            .collect(),
        people_involved: t.people,
        claim: t.claim.to_owned(),
        first_receiver: receiver.to_owned(),
        first_unit: format!("{village} 村工作站"),
        complex: false,
        from_record: None,
    }
}

/// A day's worth of records for one village: `screenings` screenings spread
/// over the last three days, one visit and one case.
pub fn village_day(
    village: &Code,
    today: NaiveDate,
    screenings: usize,
    clerk: &str,
) -> Vec<EventBody> {
    let mut bodies: Vec<EventBody> = (0..screenings)
        .map(|n| EventBody::ScreeningRecorded(screening(village, n, today, (n % 3) as u64, clerk)))
        .collect();
    bodies.push(EventBody::VisitRecorded(visit(village, today, clerk)));
    bodies.push(EventBody::CaseRegistered(case(village, today, clerk)));
    bodies
}

/// The 人民调解协议书 the village's second settlement ends in, as the
/// file the clerk attaches to the case.
pub fn agreement(today: NaiveDate) -> String {
    format!(
        "人民调解协议书\n\n\
         当事人:吴春生(申请人)、吴春华(被申请人)\n\
         纠纷事实:双方宅基地相邻,被申请人在界址内堆放柴草,双方多次争执。\n\
         经调解,双方自愿达成如下协议:\n\
         一、被申请人于三日内清走界址内柴草,此后不在界址内堆放杂物;\n\
         二、双方按村委会存档的界址图各自管理,互不侵占;\n\
         三、本协议一式三份,双方各执一份,村调委会存档一份。\n\n\
         当事人签字:吴春生  吴春华\n\
         调解员签字:村人民调解委员会\n\
         {today}\n"
    )
}
