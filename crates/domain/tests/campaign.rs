//! 专项排查: a campaign's field rules, and its count against a hand-made
//! ledger — only screenings of its days and kinds, village by village,
//! with 零报告 and 未报送 told apart.

mod common;

use common::*;
use sanji_domain::campaign::{Campaign, tally};
use sanji_domain::record::{Category, RiskLevel, Screening, ZeroReport};
use sanji_domain::reporting::{ReportingCounts, Standing};

fn before_the_festival() -> Campaign {
    Campaign {
        topic: "春节前矛盾纠纷专项排查".into(),
        from: date("2026-11-20"),
        to: date("2026-11-26"),
        categories: vec![Category::Land, Category::Labour],
        note: "逐户走访,重点排查山林界址和欠薪".into(),
    }
}

fn screened(village: &str, on: &str, category: Category, severe: bool) -> Screening {
    Screening {
        village: code(village),
        screened_on: date(on),
        category,
        risk: if severe {
            RiskLevel::Severe
        } else {
            RiskLevel::General
        },
        ..screening()
    }
}

#[test]
fn a_campaign_runs_forwards_for_at_most_a_year_and_names_each_kind_once() {
    let c = before_the_festival();
    assert_eq!(c.validate(today()), Ok(()));
    let broken = |change: fn(&mut Campaign)| {
        let mut c = before_the_festival();
        change(&mut c);
        c.validate(today()).expect_err(&format!("{c:?}"))
    };
    assert_eq!(broken(|c| c.topic.clear()).field, "topic");
    let backwards = broken(|c| c.to = date("2026-11-19"));
    assert_eq!(
        (backwards.field.as_str(), backwards.rule.as_str()),
        ("to", "结束日期 2026-11-19 早于开始日期 2026-11-20")
    );
    assert_eq!(broken(|c| c.to = date("2027-11-21")).field, "to");
    let far = broken(|c| {
        c.from = date("2028-01-01");
        c.to = date("2028-01-10");
    });
    assert_eq!(far.field, "from");
    let twice = broken(|c| c.categories.push(Category::Land));
    assert_eq!(twice.rule, "排查重点「土地山林水利」写了两次");
    // Declared ahead of its start: allowed.
    let mut ahead = before_the_festival();
    ahead.from = date("2027-01-20");
    ahead.to = date("2027-02-10");
    assert_eq!(ahead.validate(today()), Ok(()));
    assert_eq!(ahead.phase(today()), "未开始");
    assert_eq!(c.phase(today()), "进行中");
    assert_eq!(c.phase(date("2026-11-27")), "已结束");
}

#[test]
fn it_counts_its_kinds_in_its_days_village_by_village() {
    let c = before_the_festival();
    let third = "360123100203";
    let ledger = [
        screened(VILLAGE, "2026-11-21", Category::Land, true),
        screened(VILLAGE, "2026-11-26", Category::Labour, false),
        // Not counted: another kind, a day before, a day after.
        screened(VILLAGE, "2026-11-22", Category::FamilyNeighbour, false),
        screened(VILLAGE, "2026-11-19", Category::Land, false),
        screened(OTHER_VILLAGE, "2026-11-27", Category::Land, false),
    ];
    let zero = [
        ZeroReport {
            village: code(OTHER_VILLAGE),
            round_on: date("2026-11-23"),
            screener: "李会计".into(),
            note: String::new(),
        },
        // A zero report beside counted screenings changes nothing.
        ZeroReport {
            village: code(VILLAGE),
            round_on: date("2026-11-24"),
            screener: "李明".into(),
            note: String::new(),
        },
    ];
    let villages = [code(VILLAGE), code(OTHER_VILLAGE), code(third)];
    let t = tally(&c, &villages, &ledger, &zero);
    assert_eq!((t.screenings, t.severe, t.people_involved), (2, 1, 4));
    assert_eq!(
        t.by_category,
        vec![(Category::Land, 1), (Category::Labour, 1)]
    );
    let rows: Vec<(u32, u32, Standing)> = t
        .villages
        .iter()
        .map(|v| (v.screenings, v.severe, v.standing))
        .collect();
    assert_eq!(
        rows,
        vec![
            (2, 1, Standing::Reported { screenings: 2 }),
            (0, 0, Standing::Zero { reports: 1 }),
            (0, 0, Standing::Missing),
        ]
    );
    assert_eq!(
        t.reporting,
        ReportingCounts {
            villages: 3,
            reported: 1,
            zero: 1,
            missing: 1
        }
    );
    // Every kind, when none is named: the family quarrel counts too.
    let every = Campaign {
        categories: Vec::new(),
        ..before_the_festival()
    };
    assert_eq!(tally(&every, &villages, &ledger, &zero).screenings, 3);
}
