//! 专项排查 end to end: the center declares a campaign (topic, period, the
//! kinds it looks for) through the form, refused at its field when its
//! dates are wrong; the screenings the villages' stations make in its
//! period, of those kinds, are counted village by village, a village that
//! found nothing and said so counts as 零报告 and one that said nothing as
//! 未报送; correcting the campaign recounts it; its page, print and download
//! agree; only the center's ledger readers see it.

use reqwest::StatusCode;
use sanji_domain::record::Category;
use sanji_domain::time::cst_date;
use sanji_node::campaigns::CampaignView;
use sanji_node::ops::Query;
use sanji_tests::desk::{Desk, hidden, location, text};
use sanji_tests::{screening, village};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_counts_its_villages_screenings_of_its_kinds_in_its_days() {
    let desk = Desk::start().await;
    let today = cst_date(desk.cluster.hub().operations.now_ms());
    let yesterday = today.pred_opt().unwrap();

    // 东山村 screens a land dispute and a family quarrel; 西岭村 found nothing
    // and says so; the others say nothing.
    let east = desk.cluster.open_station(&village(1));
    let mut land = screening(0, &village(1), today);
    land.category = Category::Land;
    east.record_screening(None, land).unwrap();
    let mut family = screening(1, &village(1), today);
    family.category = Category::FamilyNeighbour;
    east.record_screening(None, family).unwrap();
    let mut old = screening(2, &village(1), yesterday);
    old.category = Category::Land;
    east.record_screening(None, old).unwrap();
    east.sync(3).await.unwrap();
    let west = desk.cluster.open_station(&village(2));
    west.record_zero_report(
        None,
        sanji_domain::record::ZeroReport {
            village: village(2),
            round_on: today,
            screener: "李会计".into(),
            note: String::new(),
        },
    )
    .unwrap();
    west.sync(3).await.unwrap();

    let operator = desk.signed_in("刘芳").await;
    let form = desk.page(&operator, "/campaigns/new").await;
    let csrf = hidden(&form, "csrf");
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = vec![("csrf", csrf.clone())];
        form.extend(fields);
        operator.post(desk.url(&path)).form(&form).send()
    };
    let fields = |from: &str, to: &str, land_only: bool| {
        let mut f = vec![
            ("topic", "山林土地纠纷专项排查".to_owned()),
            ("from", from.to_owned()),
            ("to", to.to_owned()),
            ("note", "各村逐户走访,三日内报镇中心".to_owned()),
        ];
        if land_only {
            f.push(("land", "true".to_owned()));
        }
        f
    };
    let (t, y) = (today.to_string(), yesterday.to_string());

    // Ends before it starts: refused at the field, nothing declared.
    let refused = post("/campaigns".into(), fields(&t, &y, true))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(refused).await.contains("结束日期"), "the field named");
    let none: Vec<CampaignView> = desk.view(Query::Campaigns).await;
    assert!(none.is_empty());

    let declared = post("/campaigns".into(), fields(&t, &t, true))
        .await
        .unwrap();
    assert_eq!(declared.status(), StatusCode::SEE_OTHER);
    let at = location(&declared);
    let id: uuid::Uuid = at
        .trim_start_matches("/campaigns/")
        .trim_end_matches("?done=1")
        .parse()
        .unwrap();
    let view: CampaignView = desk.view(Query::Campaign { campaign: id }).await;
    assert_eq!(
        view.tally.screenings, 1,
        "today's land dispute only: {view:#?}"
    );
    assert_eq!(view.tally.by_category, vec![(Category::Land, 1)]);
    let standing = |view: &CampaignView, name: &str| {
        let i = view.village_names.iter().position(|n| n == name).unwrap();
        view.tally.villages[i].standing.label()
    };
    assert_eq!(standing(&view, "东山村"), "排查 1 条");
    assert_eq!(standing(&view, "西岭村"), "零报告");
    let villages = view.village_names.len() as u32;
    assert_eq!(view.tally.reporting.villages, villages);
    assert_eq!(view.tally.reporting.missing, villages - 2);

    // Corrected to every kind since yesterday: recounted.
    let corrected = post(format!("/campaigns/{id}"), fields(&y, &t, false))
        .await
        .unwrap();
    assert_eq!(corrected.status(), StatusCode::SEE_OTHER);
    let view: CampaignView = desk.view(Query::Campaign { campaign: id }).await;
    assert_eq!(view.tally.screenings, 3);
    assert_eq!(standing(&view, "东山村"), "排查 3 条");
    assert_eq!(view.declared_by, "刘芳");

    // Its page, the list, print and download agree.
    let page = desk.page(&operator, &format!("/campaigns/{id}")).await;
    assert!(
        page.contains("共排查 <b>3</b> 条") && page.contains("零报告") && page.contains("未报送"),
        "{page}"
    );
    let list = desk.page(&operator, "/campaigns").await;
    assert!(
        list.contains("山林土地纠纷专项排查") && list.contains("各类矛盾纠纷"),
        "{list}"
    );
    let edit = desk.page(&operator, &format!("/campaigns/{id}/edit")).await;
    assert!(edit.contains("山林土地纠纷专项排查"), "{edit}");
    let print = desk
        .page(&operator, &format!("/campaigns/{id}/print"))
        .await;
    assert!(
        print.contains("专项排查情况统计表") && print.contains("排查 3 条"),
        "{print}"
    );
    let response = operator
        .get(desk.url(&format!("/campaigns/{id}?format=csv")))
        .send()
        .await
        .unwrap();
    let csv = text(response).await;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("村,排查条数"), "{csv}");
    assert_eq!(lines.len() as u32, villages + 1, "{csv}");
    let screenings = desk.page(&operator, "/screenings").await;
    assert!(screenings.contains("href=\"/campaigns\""));

    desk.assert_center_only("/campaigns").await;
    desk.stop().await;
}
