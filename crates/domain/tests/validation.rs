//! The ledgers' field rules: a valid fixture per record, then one bad value
//! per row, each of which must be reported on exactly its field.

mod common;

use common::*;
use sanji_domain::FieldError;
use sanji_domain::record::{CaseRegistration, Screening, Visit};

/// A row: what is wrong, how to break the fixture, which field must be named,
/// and a piece of the rule the user is shown.
type Row<T> = (&'static str, fn(&mut T), &'static str, &'static str);

/// A row that must stay valid: what it is, how to change the fixture.
type Accept<T> = (&'static str, fn(&mut T));

fn check_rows<T: Clone>(
    valid: T,
    validate: impl Fn(&T) -> Result<(), FieldError>,
    rows: &[Row<T>],
) {
    validate(&valid).expect("the fixture itself is valid");
    let mut failures = Vec::new();
    for (what, mutate, field, needle) in rows {
        let mut record = valid.clone();
        mutate(&mut record);
        match validate(&record) {
            Ok(()) => failures.push(format!("{what}: accepted, expected an error on {field}")),
            Err(e) if e.field != *field || !e.rule.contains(needle) => failures.push(format!(
                "{what}: got {e:?}, expected field {field:?} with rule containing {needle:?}"
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn check_accepted<T: Clone>(
    valid: T,
    validate: impl Fn(&T) -> Result<(), FieldError>,
    rows: &[Accept<T>],
) {
    for (what, mutate) in rows {
        let mut record = valid.clone();
        mutate(&mut record);
        if let Err(e) = validate(&record) {
            panic!("{what}: rejected with {e:?}");
        }
    }
}

const EMPTY: &str = "不能为空";
const TOO_LONG: &str = "过长";
const CONTROL: &str = "控制字符";
const FUTURE: &str = "将来";
const TOO_OLD: &str = "早于 2000 年";
const PEOPLE: &str = "1 到 100000";

fn many_parties(n: usize) -> Vec<sanji_domain::record::Party> {
    (0..n).map(|i| party(&format!("当事人{i}"), None)).collect()
}

#[test]
fn screening_rules_name_every_field() {
    let rows: &[Row<Screening>] = &[
        (
            "village is a township code",
            |s| s.village = code(TOWNSHIP),
            "village",
            "村级",
        ),
        (
            "village is a county code",
            |s| s.village = code(COUNTY),
            "village",
            "村级",
        ),
        (
            "dated tomorrow",
            |s| s.screened_on = date("2026-11-27"),
            "screened_on",
            FUTURE,
        ),
        (
            "dated next year",
            |s| s.screened_on = date("2027-01-01"),
            "screened_on",
            FUTURE,
        ),
        (
            "dated 1999",
            |s| s.screened_on = date("1999-12-31"),
            "screened_on",
            TOO_OLD,
        ),
        (
            "dated 1970",
            |s| s.screened_on = date("1970-01-01"),
            "screened_on",
            TOO_OLD,
        ),
        (
            "screener empty",
            |s| s.screener = String::new(),
            "screener",
            EMPTY,
        ),
        (
            "screener blank",
            |s| s.screener = " \u{3000}\t ".into(),
            "screener",
            EMPTY,
        ),
        (
            "screener 51 chars",
            |s| s.screener = chinese(51),
            "screener",
            TOO_LONG,
        ),
        (
            "screener with BEL",
            |s| s.screener = "李\u{7}明".into(),
            "screener",
            CONTROL,
        ),
        (
            "screener with NUL",
            |s| s.screener = "李明\0".into(),
            "screener",
            CONTROL,
        ),
        ("no parties", |s| s.parties.clear(), "parties", "至少"),
        (
            "51 parties",
            |s| s.parties = many_parties(51),
            "parties",
            "过多",
        ),
        (
            "party name empty",
            |s| s.parties[1].name = String::new(),
            "parties[1].name",
            EMPTY,
        ),
        (
            "party name blank",
            |s| s.parties[0].name = "  ".into(),
            "parties[0].name",
            EMPTY,
        ),
        (
            "party name long",
            |s| s.parties[0].name = chinese(51),
            "parties[0].name",
            TOO_LONG,
        ),
        (
            "party name ESC",
            |s| s.parties[1].name = "\u{1b}[2J".into(),
            "parties[1].name",
            CONTROL,
        ),
        (
            "last of 50 parties bad",
            |s| {
                s.parties = many_parties(50);
                s.parties[49].name = String::new();
            },
            "parties[49].name",
            EMPTY,
        ),
        (
            "party contact long",
            |s| s.parties[0].contact = Some("1".repeat(51)),
            "parties[0].contact",
            TOO_LONG,
        ),
        (
            "party contact empty",
            |s| s.parties[1].contact = Some(" ".into()),
            "parties[1].contact",
            EMPTY,
        ),
        (
            "party contact DEL",
            |s| s.parties[0].contact = Some("138\u{7f}".into()),
            "parties[0].contact",
            CONTROL,
        ),
        (
            "nobody involved",
            |s| s.people_involved = 0,
            "people_involved",
            PEOPLE,
        ),
        (
            "100001 involved",
            |s| s.people_involved = 100_001,
            "people_involved",
            PEOPLE,
        ),
        (
            "u32::MAX involved",
            |s| s.people_involved = u32::MAX,
            "people_involved",
            PEOPLE,
        ),
        (
            "description empty",
            |s| s.description = String::new(),
            "description",
            EMPTY,
        ),
        (
            "description blank",
            |s| s.description = "\n\t \r\n".into(),
            "description",
            EMPTY,
        ),
        (
            "description 2001",
            |s| s.description = chinese(2001),
            "description",
            TOO_LONG,
        ),
        (
            "description C1",
            |s| s.description = "争执\u{85}".into(),
            "description",
            CONTROL,
        ),
        (
            "measures 2001",
            |s| s.measures = chinese(2001),
            "measures",
            TOO_LONG,
        ),
        (
            "measures with NUL",
            |s| s.measures = "调解\0".into(),
            "measures",
            CONTROL,
        ),
    ];
    check_rows(screening(), |s| s.validate(today()), rows);
}

#[test]
fn screening_accepts_values_at_the_limits() {
    let rows: &[Accept<Screening>] = &[
        ("dated today", |s| s.screened_on = date("2026-11-26")),
        ("dated 2000-01-01", |s| s.screened_on = date("2000-01-01")),
        ("screener 50 chars", |s| s.screener = chinese(50)),
        ("one party", |s| s.parties.truncate(1)),
        ("50 parties", |s| s.parties = many_parties(50)),
        ("contact 50 chars", |s| {
            s.parties[0].contact = Some("1".repeat(50))
        }),
        ("one person", |s| s.people_involved = 1),
        ("100000 people", |s| s.people_involved = 100_000),
        ("description 2000", |s| s.description = chinese(2000)),
        ("line breaks and tabs", |s| {
            s.description = "一\r\n二\t三".into()
        }),
        ("no measures yet", |s| s.measures = String::new()),
        ("measures 2000", |s| s.measures = chinese(2000)),
    ];
    check_accepted(screening(), |s| s.validate(today()), rows);
}

#[test]
fn visit_rules_name_every_field() {
    let rows: &[Row<Visit>] = &[
        (
            "received at the county",
            |v| v.received_at = code(COUNTY),
            "received_at",
            "村或乡镇",
        ),
        (
            "dated tomorrow",
            |v| v.visited_on = date("2026-11-27"),
            "visited_on",
            FUTURE,
        ),
        (
            "dated 1999",
            |v| v.visited_on = date("1999-06-01"),
            "visited_on",
            TOO_OLD,
        ),
        (
            "visitor name empty",
            |v| v.visitor.name = String::new(),
            "visitor.name",
            EMPTY,
        ),
        (
            "visitor name blank",
            |v| v.visitor.name = "\u{3000}".into(),
            "visitor.name",
            EMPTY,
        ),
        (
            "visitor name long",
            |v| v.visitor.name = chinese(51),
            "visitor.name",
            TOO_LONG,
        ),
        (
            "visitor name NUL",
            |v| v.visitor.name = "赵\0".into(),
            "visitor.name",
            CONTROL,
        ),
        (
            "visitor contact long",
            |v| v.visitor.contact = Some(chinese(51)),
            "visitor.contact",
            TOO_LONG,
        ),
        (
            "visitor contact empty",
            |v| v.visitor.contact = Some(String::new()),
            "visitor.contact",
            EMPTY,
        ),
        (
            "nobody came",
            |v| v.people_count = 0,
            "people_count",
            PEOPLE,
        ),
        (
            "100001 came",
            |v| v.people_count = 100_001,
            "people_count",
            PEOPLE,
        ),
        (
            "summary empty",
            |v| v.summary = String::new(),
            "summary",
            EMPTY,
        ),
        (
            "summary blank",
            |v| v.summary = "   ".into(),
            "summary",
            EMPTY,
        ),
        (
            "summary 2001",
            |v| v.summary = chinese(2001),
            "summary",
            TOO_LONG,
        ),
        (
            "summary BEL",
            |v| v.summary = "拖欠\u{7}".into(),
            "summary",
            CONTROL,
        ),
        (
            "receiver empty",
            |v| v.receiver = String::new(),
            "receiver",
            EMPTY,
        ),
        (
            "receiver long",
            |v| v.receiver = chinese(51),
            "receiver",
            TOO_LONG,
        ),
        (
            "receiver ESC",
            |v| v.receiver = "陈\u{1b}芳".into(),
            "receiver",
            CONTROL,
        ),
        (
            "answer empty",
            |v| v.answer = Some(String::new()),
            "answer",
            EMPTY,
        ),
        (
            "answer blank",
            |v| v.answer = Some(" \n".into()),
            "answer",
            EMPTY,
        ),
        (
            "answer 2001",
            |v| v.answer = Some(chinese(2001)),
            "answer",
            TOO_LONG,
        ),
        (
            "answer NUL",
            |v| v.answer = Some("已答复\0".into()),
            "answer",
            CONTROL,
        ),
    ];
    check_rows(visit(), |v| v.validate(today()), rows);
}

#[test]
fn visit_accepts_values_at_the_limits() {
    let rows: &[Accept<Visit>] = &[
        ("received at the township center", |v| {
            v.received_at = code(TOWNSHIP)
        }),
        ("dated 2000-01-01", |v| v.visited_on = date("2000-01-01")),
        ("no contact", |v| v.visitor.contact = None),
        ("not answered on the spot", |v| v.answer = None),
        ("100000 came", |v| v.people_count = 100_000),
        ("summary 2000", |v| v.summary = chinese(2000)),
        ("receiver 50", |v| v.receiver = chinese(50)),
    ];
    check_accepted(visit(), |v| v.validate(today()), rows);
}

#[test]
fn case_rules_name_every_field() {
    let rows: &[Row<CaseRegistration>] = &[
        (
            "place is the county",
            |c| c.place = code(COUNTY),
            "place",
            "村或乡镇",
        ),
        (
            "dated tomorrow",
            |c| c.registered_on = date("2026-11-27"),
            "registered_on",
            FUTURE,
        ),
        (
            "dated 1999",
            |c| c.registered_on = date("1999-12-31"),
            "registered_on",
            TOO_OLD,
        ),
        ("no parties", |c| c.parties.clear(), "parties", "至少"),
        (
            "51 parties",
            |c| c.parties = many_parties(51),
            "parties",
            "过多",
        ),
        (
            "party name empty",
            |c| c.parties[1].name = String::new(),
            "parties[1].name",
            EMPTY,
        ),
        (
            "party name long",
            |c| c.parties[0].name = chinese(51),
            "parties[0].name",
            TOO_LONG,
        ),
        (
            "party name NUL",
            |c| c.parties[0].name = "赵\0".into(),
            "parties[0].name",
            CONTROL,
        ),
        (
            "party contact long",
            |c| c.parties[1].contact = Some(chinese(51)),
            "parties[1].contact",
            TOO_LONG,
        ),
        (
            "party contact empty",
            |c| c.parties[0].contact = Some(String::new()),
            "parties[0].contact",
            EMPTY,
        ),
        (
            "nobody involved",
            |c| c.people_involved = 0,
            "people_involved",
            PEOPLE,
        ),
        (
            "100001 involved",
            |c| c.people_involved = 100_001,
            "people_involved",
            PEOPLE,
        ),
        ("claim empty", |c| c.claim = String::new(), "claim", EMPTY),
        (
            "claim blank",
            |c| c.claim = "\u{3000}\u{3000}".into(),
            "claim",
            EMPTY,
        ),
        ("claim 2001", |c| c.claim = chinese(2001), "claim", TOO_LONG),
        (
            "claim BEL",
            |c| c.claim = "工资\u{7}".into(),
            "claim",
            CONTROL,
        ),
        (
            "first receiver empty",
            |c| c.first_receiver = String::new(),
            "first_receiver",
            EMPTY,
        ),
        (
            "first receiver long",
            |c| c.first_receiver = chinese(51),
            "first_receiver",
            TOO_LONG,
        ),
        (
            "first receiver NUL",
            |c| c.first_receiver = "\0".into(),
            "first_receiver",
            CONTROL,
        ),
        (
            "first unit empty",
            |c| c.first_unit = " ".into(),
            "first_unit",
            EMPTY,
        ),
        (
            "first unit long",
            |c| c.first_unit = chinese(51),
            "first_unit",
            TOO_LONG,
        ),
        (
            "first unit ESC",
            |c| c.first_unit = "司法所\u{1b}".into(),
            "first_unit",
            CONTROL,
        ),
    ];
    check_rows(case(), |c| c.validate(today()), rows);
}

#[test]
fn case_accepts_values_at_the_limits() {
    let rows: &[Accept<CaseRegistration>] = &[
        ("place is the township", |c| c.place = code(TOWNSHIP)),
        ("registered today", |c| c.registered_on = date("2026-11-26")),
        ("50 parties", |c| c.parties = many_parties(50)),
        ("claim 2000", |c| c.claim = chinese(2000)),
        ("unit 50", |c| c.first_unit = chinese(50)),
    ];
    check_accepted(case(), |c| c.validate(today()), rows);
}

#[test]
fn the_future_is_relative_to_the_day_passed_in() {
    let s = Screening {
        screened_on: date("2026-11-27"),
        ..screening()
    };
    assert_eq!(s.validate(today()).unwrap_err().field, "screened_on");
    assert_eq!(s.validate(date("2026-11-27")), Ok(()));
}

#[test]
fn the_first_broken_rule_is_reported_in_declaration_order() {
    // Several fields broken at once: the report names the first in form order,
    // so the user fixes the form top to bottom.
    let s = Screening {
        village: code(TOWNSHIP),
        screener: String::new(),
        people_involved: 0,
        ..screening()
    };
    assert_eq!(s.validate(today()).unwrap_err().field, "village");
}

#[test]
fn severity_follows_risk_or_mass_incident() {
    use sanji_domain::record::RiskLevel;
    for (risk, mass, severe) in [
        (RiskLevel::General, false, false),
        (RiskLevel::Major, false, false),
        (RiskLevel::Severe, false, true),
        (RiskLevel::General, true, true),
        (RiskLevel::Major, true, true),
    ] {
        let s = Screening {
            risk,
            mass_incident_risk: mass,
            ..screening()
        };
        assert_eq!(s.is_severe(), severe, "{risk:?} mass={mass}");
    }
}

#[test]
fn labelled_values_parse_by_id_or_label_and_list_the_choices() {
    use sanji_domain::record::{Category, RiskLevel, parse_labelled};
    assert_eq!(
        parse_labelled::<Category>("category", "land"),
        Ok(Category::Land)
    );
    assert_eq!(
        parse_labelled::<Category>("category", " 征地拆迁 "),
        Ok(Category::Expropriation)
    );
    assert_eq!(
        parse_labelled::<RiskLevel>("risk", "重大"),
        Ok(RiskLevel::Severe)
    );
    let err = parse_labelled::<RiskLevel>("risk", "严重").unwrap_err();
    assert_eq!(err.field, "risk");
    for allowed in ["general(一般)", "major(较大)", "severe(重大)"] {
        assert!(err.rule.contains(allowed), "{}", err.rule);
    }
}

#[test]
fn names_stay_on_one_line() {
    for bad in ["张\n三", "张\t三", "李\r四"] {
        let err = sanji_domain::record::name("screener", bad).unwrap_err();
        assert_eq!(err.field, "screener");
        assert!(err.rule.contains("一行"), "{bad:?}: {}", err.rule);
    }
    assert!(sanji_domain::record::text("description", "第一行\n第二行", 1).is_ok());
}
