//! 自查评分: the sheet's items add up to 100; ledger items score from their
//! evidence alone, hand items as given within their points; the filed
//! sheet is the township's outbox entry and a later revision supersedes.

mod common;

use common::*;
use sanji_domain::assessment::{
    AssessmentSheet, Evidence, Fact, HandScore, ITEMS, Proof, parse_points, points, score,
};
use sanji_domain::report::Period;
use sanji_domain::{EntityState, EventBody, Hlc, fold};

fn half() -> Period {
    Period::parse("2026-H2").unwrap()
}

fn evidence(fact: Fact) -> Evidence {
    // Everything holds but the 司法所's share.
    Evidence {
        holds: fact != Fact::JudicialShare,
        words: format!("{fact:?}"),
    }
}

fn given(item: &str, tenths: u32) -> HandScore {
    HandScore {
        item: item.into(),
        tenths,
        note: "自评依据".into(),
    }
}

#[test]
fn ledger_items_score_from_evidence_and_hand_items_as_given() {
    assert_eq!(ITEMS.iter().map(|i| i.tenths).sum::<u32>(), 1000);
    let sheet = score(
        code(TOWNSHIP),
        &half(),
        evidence,
        &[given("leadership", 70), given("premises", 125)],
        (20, "中心面积超出标准 50% 以上".into()),
    )
    .unwrap();
    let ledger: u32 = ITEMS
        .iter()
        .filter(|i| matches!(i.proof, Proof::Ledger(f) if f != Fact::JudicialShare))
        .map(|i| i.tenths)
        .sum();
    assert_eq!(sheet.total_tenths, ledger + 70 + 125 + 20);
    let share = sheet
        .items
        .iter()
        .find(|i| i.item == "judicial_share")
        .unwrap();
    assert_eq!(
        (share.tenths, share.proven, share.note.as_str()),
        (0, true, "JudicialShare")
    );
    let premises = sheet.items.iter().find(|i| i.item == "premises").unwrap();
    assert_eq!((premises.tenths, premises.proven), (125, false));
    assert_eq!(sheet.validate(), Ok(()));
    assert_eq!(points(sheet.total_tenths), "56.5");
    assert_eq!(sheet.grade(), "不合格");

    let refused = |hand: &[HandScore], bonus: (u32, &str)| {
        score(
            code(TOWNSHIP),
            &half(),
            evidence,
            hand,
            (bonus.0, bonus.1.into()),
        )
        .unwrap_err()
    };
    assert_eq!(
        refused(&[given("leadership", 80)], (0, "")).rule,
        "「综治委、中心机构健全,领导分工明确,人员到位」最多 7 分,填了 8 分"
    );
    assert!(
        refused(&[given("success", 50)], (0, ""))
            .rule
            .contains("按台账计分")
    );
    assert!(
        refused(&[given("nothing", 1)], (0, ""))
            .rule
            .contains("没有评分项目")
    );
    assert_eq!(refused(&[], (20, "")).field, "bonus_note");
    assert_eq!(refused(&[], (60, "超标")).field, "bonus_tenths");

    assert_eq!(parse_points("x", "9.5"), Ok(95));
    assert_eq!(parse_points("x", "12"), Ok(120));
    assert_eq!(parse_points("x", "9.25").unwrap_err().field, "x");
    assert_eq!(parse_points("x", "九").unwrap_err().field, "x");
}

#[test]
fn a_filed_sheet_is_the_townships_outbox_entry_and_the_last_revision_stands() {
    let mut sheet = score(code(TOWNSHIP), &half(), evidence, &[], (0, String::new())).unwrap();
    let entity = AssessmentSheet::entity_id(&code(TOWNSHIP), &half());
    let filing = |seq: u64, sheet: &AssessmentSheet| {
        event(
            outbox_origin(),
            seq,
            Hlc::new(NOW_MS + seq, 0),
            entity,
            EventBody::AssessmentFiled(sheet.clone()),
        )
    };
    sheet.revision = 1;
    let first = filing(1, &sheet);
    assert_eq!(first.validate(), Ok(()));
    let mut second_sheet = sheet.clone();
    second_sheet.revision = 2;
    second_sheet.items[0].tenths = 60;
    second_sheet.total_tenths += 60;
    let second = filing(2, &second_sheet);
    assert_eq!(second.validate(), Ok(()));
    let EntityState::Assessment(folded) = fold([&second, &first]).unwrap().state else {
        panic!()
    };
    assert_eq!(folded.revision, 2);

    // From the township's own ledger, or with a total that does not add up: refused.
    let mut own = first.clone();
    own.origin = township_origin();
    assert_eq!(own.validate().unwrap_err().field, "origin");
    let mut wrong = sheet.clone();
    wrong.total_tenths += 10;
    assert_eq!(
        filing(1, &wrong).validate().unwrap_err().field,
        "payload.data.total_tenths"
    );
    let mut elsewhere = first.clone();
    elsewhere.entity = AssessmentSheet::entity_id(&code(TOWNSHIP), &Period::parse("2026").unwrap());
    assert_eq!(elsewhere.validate().unwrap_err().field, "entity");
}
