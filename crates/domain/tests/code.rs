//! Administrative division codes and origins: parsing, tiers, the hierarchy.

use sanji_domain::{Code, Level, Origin};

fn code(text: &str) -> Code {
    Code::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn codes_parse_to_their_level_and_parent() {
    for (text, level, parent) in [
        ("360123", Level::County, None),
        ("110101", Level::County, None),
        ("100001", Level::County, None),
        ("360123100", Level::Township, Some("360123")),
        ("360123001", Level::Township, Some("360123")),
        ("360123999", Level::Township, Some("360123")),
        ("360123100201", Level::Village, Some("360123100")),
        ("360123100001", Level::Village, Some("360123100")),
        ("360123101999", Level::Village, Some("360123101")),
        ("999999999999", Level::Village, Some("999999999")),
    ] {
        let c = code(text);
        assert_eq!(c.as_str(), text);
        assert_eq!(c.to_string(), text);
        assert_eq!(c.level(), level, "{text}");
        assert_eq!(c.level().digits(), text.len(), "{text}");
        assert_eq!(c.parent().as_ref().map(Code::as_str), parent, "{text}");
        assert_eq!(text.parse::<Code>().unwrap(), c);
    }
}

#[test]
fn bad_codes_are_refused_with_the_reason() {
    for (text, needle) in [
        ("", "0 位"),
        ("3", "1 位"),
        ("36012", "5 位"),
        ("3601231", "7 位"),
        ("3601231002", "10 位"),
        ("36012310020", "11 位"),
        ("3601231002011", "13 位"),
        ("36012a", "只能由数字"),
        ("-36012", "只能由数字"),
        ("+36012", "只能由数字"),
        ("360 23", "只能由数字"),
        ("３６０１２３", "18 位"),     // full-width digits are 3 bytes each
        ("三六〇一", "只能由数字"),    // 12 bytes
        ("3601231002١", "只能由数字"), // an Arabic-Indic digit is 2 bytes: 12 bytes
        ("000000", "县段"),
        ("001234", "县段"),
        ("360000", "县段"),
        ("360000100", "县段"),
        ("360123000", "乡镇段"),
        ("360123000201", "乡镇段"),
        ("360123100000", "村段"),
    ] {
        let err = Code::parse(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{text:?}: {err}");
    }
}

#[test]
fn a_multibyte_code_of_the_right_byte_length_is_refused_not_a_panic() {
    // Six bytes, but two characters: must be "not digits", never a slice panic.
    for text in ["中文", "中abc", "ab中c"] {
        assert!(Code::parse(text).is_err(), "{text}");
    }
}

#[test]
fn the_hierarchy_is_the_prefix() {
    let c = code;
    // (child, ancestor, is_under, is_child_of)
    for (child, ancestor, under, child_of) in [
        ("360123100", "360123", true, true),
        ("360123100201", "360123100", true, true),
        ("360123100201", "360123", true, false),
        ("360123101201", "360123100", false, false),
        ("360123100201", "360123101", false, false),
        ("360124100", "360123", false, false),
        ("360123100201", "360123100201", false, false),
        ("360123100", "360123100", false, false),
        ("360123", "360123", false, false),
        ("360123", "360123100", false, false),
        ("360123100", "360123100201", false, false),
        ("360123", "360123100201", false, false),
        // A digit-prefix that is not a tier boundary cannot arise: lengths are 6/9/12.
        ("360123100201", "360123", true, false),
    ] {
        assert_eq!(
            c(child).is_under(&c(ancestor)),
            under,
            "{child} is_under {ancestor}"
        );
        assert_eq!(
            c(child).is_child_of(&c(ancestor)),
            child_of,
            "{child} is_child_of {ancestor}"
        );
    }
}

#[test]
fn parse_level_insists_on_the_tier_and_names_the_field() {
    for (text, want, ok) in [
        ("360123100201", Level::Village, true),
        ("360123100", Level::Township, true),
        ("360123", Level::County, true),
        ("360123100", Level::Village, false),
        ("360123", Level::Village, false),
        ("360123100201", Level::Township, false),
        ("360123100201", Level::County, false),
    ] {
        match Code::parse_level("place", text, want) {
            Ok(c) => {
                assert!(ok, "{text} accepted as {want:?}");
                assert_eq!(c.level(), want);
            }
            Err(e) => {
                assert!(!ok, "{text} refused as {want:?}: {e}");
                assert_eq!(e.field, "place");
                assert!(e.rule.contains(want.label()), "{}", e.rule);
                assert!(
                    e.rule.contains(&format!("{} 位", want.digits())),
                    "{}",
                    e.rule
                );
            }
        }
    }
    let err = Code::parse_level("place", "36012", Level::County).unwrap_err();
    assert_eq!(err.field, "place");
    assert!(err.rule.contains("5 位"), "{}", err.rule);
}

#[test]
fn codes_serialise_as_strings_and_are_checked_on_the_way_in() {
    let c = code("360123100201");
    assert_eq!(serde_json::to_string(&c).unwrap(), "\"360123100201\"");
    assert_eq!(serde_json::from_str::<Code>("\"360123100201\"").unwrap(), c);
    for bad in ["\"360123000\"", "\"36012\"", "360123", "null"] {
        assert!(serde_json::from_str::<Code>(bad).is_err(), "{bad}");
    }
}

#[test]
fn origins_round_trip_through_text() {
    for (text, node, outbox) in [
        ("360123100201", "360123100201", false),
        ("360123100", "360123100", false),
        ("360123", "360123", false),
        ("360123100/outbox", "360123100", true),
    ] {
        let o = Origin::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(o.code().as_str(), node, "{text}");
        assert_eq!(o.is_outbox(), outbox, "{text}");
        assert_eq!(o.to_string(), text);
        assert_eq!(text.parse::<Origin>().unwrap(), o);
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<Origin>(&json).unwrap(), o);
    }
    assert_eq!(
        Origin::outbox(code("360123100")),
        Origin::parse("360123100/outbox").unwrap()
    );
    assert_ne!(
        Origin::outbox(code("360123100")),
        Origin::node(code("360123100"))
    );
}

#[test]
fn origins_refuse_anything_else() {
    for bad in [
        "360123100/other",
        "360123100/",
        "360123100/outbox/outbox",
        "360123100/OUTBOX",
        "360123100/outbox ",
        " 360123100",
        "/outbox",
        "outbox",
        "",
        "36012/outbox",
        "360123000/outbox",
    ] {
        assert!(Origin::parse(bad).is_err(), "{bad:?} accepted");
        assert!(
            serde_json::from_str::<Origin>(&format!("\"{bad}\"")).is_err(),
            "{bad:?} accepted through serde"
        );
    }
}

#[test]
fn only_a_township_has_an_outbox() {
    assert!(Origin::parse("360123100/outbox").is_ok());
    for text in ["360123100201/outbox", "360123/outbox"] {
        let err = Origin::parse(text).unwrap_err().to_string();
        assert!(err.contains("只有乡镇"), "{text}: {err}");
    }
}
