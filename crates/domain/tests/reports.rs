//! The monthly report (全镇综治信访维稳中心主要工作数据月报表) and the
//! rewards ledger (奖惩制度), checked field by field against figures worked
//! out by hand from a month of cases driven through their real steps.

mod common;

use chrono::NaiveDate;
use common::*;
use sanji_domain::Labelled;
use sanji_domain::case::{ActorRole, Assignee, CaseFile, CaseStep, Outcome};
use sanji_domain::deadline::DeadlinePolicy;
use sanji_domain::record::{
    CaseRegistration, CaseSource, Category, RiskLevel, Screening, Visit, VisitChannel,
};
use sanji_domain::report::{
    CaseRef, CategoryCount, DisputeCounts, Month, MonthlyReport, Period, PeriodSummary, RewardLine,
    RewardTotal, SevereTiming, SourceCount, VisitCounts, late_severe, monthly_report, rewards,
    visit_counts,
};
use uuid::Uuid;

const V201: &str = VILLAGE;
const V202: &str = OTHER_VILLAGE;

fn registration(
    place: &str,
    registered_on: &str,
    source: CaseSource,
    category: Category,
    complex: bool,
) -> CaseRegistration {
    CaseRegistration {
        place: code(place),
        registered_on: date(registered_on),
        source,
        category,
        complex,
        ..case()
    }
}

fn accept_no(n: u32, resolve_deadline: &str) -> CaseStep {
    CaseStep::Accept {
        case_number: format!("综治〔2026〕第 {n:04} 号"),
        resolve_deadline: date(resolve_deadline),
    }
}

fn number(n: u32) -> Option<String> {
    Some(format!("综治〔2026〕第 {n:04} 号"))
}

fn case_id(n: u32) -> Uuid {
    v7(NOW_MS, 0x1000 + u64::from(n))
}

fn unit(name: &str) -> Assignee {
    Assignee::Unit { name: name.into() }
}

fn village(c: &str) -> Assignee {
    Assignee::Village { code: code(c) }
}

/// The month of cases the figures below are worked out from. Township
/// 360123100 (villages 201 and 202); C10 belongs to the neighbouring
/// township 360123101. Dates are 2026.
fn cases() -> Vec<(u32, Life)> {
    use ActorRole::*;
    use CaseSource as Src;
    use Category as Cat;
    let t = TOWNSHIP;
    let mut out = Vec::new();

    // C1 来访/劳资 at 201, complex (疑难). Accepted 11-03, assigned to 201 with
    // deadline 11-20, resolved by agreement 11-10 (in time), followed up 11-15
    // with nothing wrong, archived.
    let mut c = Life::register(registration(
        V201,
        "2026-11-02",
        Src::Visit,
        Cat::Labour,
        true,
    ));
    c.step(Operator, t, "2026-11-03", accept_no(1, "2027-01-02"))
        .step(
            Director,
            t,
            "2026-11-03",
            assign_village(V201, "2026-11-20"),
        )
        .step(VillageStaff, V201, "2026-11-05", progress())
        .step(
            VillageStaff,
            V201,
            "2026-11-10",
            resolve(Outcome::Agreement),
        )
        .step(VillageStaff, V201, "2026-11-11", feedback())
        .step(Operator, t, "2026-11-15", follow_up_clean())
        .step(Operator, t, "2026-11-16", archive());
    out.push((1, c));

    // C2 来信/土地 at 202. Assigned to 司法所 with deadline 11-12, resolved
    // 11-14 (late) by guiding the parties to court; the follow-up 11-20
    // finds a skip-level petition (越级上访).
    let mut c = Life::register(registration(
        V202,
        "2026-11-04",
        Src::Letter,
        Cat::Land,
        false,
    ));
    c.step(Operator, t, "2026-11-05", accept_no(2, "2027-01-04"))
        .step(
            Director,
            t,
            "2026-11-05",
            assign_unit("司法所", "2026-11-12"),
        )
        .step(UnitStaff, t, "2026-11-14", resolve(Outcome::Litigation))
        .step(UnitStaff, t, "2026-11-15", feedback())
        .step(
            Operator,
            t,
            "2026-11-20",
            follow_up(false, false, true, true),
        );
    out.push((2, c));

    // C3 来电/婚姻家庭 at 201: not accepted 11-07.
    let mut c = Life::register(registration(
        V201,
        "2026-11-06",
        Src::Phone,
        Cat::FamilyNeighbour,
        false,
    ));
    c.step(Operator, t, "2026-11-07", not_accept());
    out.push((3, c));

    // C4 排查转案/征地拆迁 at 201, complex, registered in October. Assigned
    // to 201 with deadline 11-25, in mediation since 11-01, escalated to the
    // county 11-10, still open at the end of November.
    let mut c = Life::register(registration(
        V201,
        "2026-10-20",
        Src::Screening,
        Cat::Expropriation,
        true,
    ));
    c.step(Operator, t, "2026-10-21", accept_no(4, "2026-12-20"))
        .step(
            Director,
            t,
            "2026-10-22",
            assign_village(V201, "2026-11-25"),
        )
        .step(VillageStaff, V201, "2026-11-01", progress())
        .step(Operator, t, "2026-11-10", escalate());
    out.push((4, c));

    // C5 网上/其他, at the township itself. The operator assigns it to 派出所
    // (deadline 11-28), the director approves; resolved by agreement 11-12,
    // but the follow-up 11-25 finds the party petitioned.
    let mut c = Life::register(registration(
        TOWNSHIP,
        "2026-11-08",
        Src::Online,
        Cat::Other,
        false,
    ));
    c.step(Operator, t, "2026-11-08", accept_no(5, "2027-01-07"))
        .step(
            Operator,
            t,
            "2026-11-08",
            assign_unit("派出所", "2026-11-28"),
        )
        .step(Director, t, "2026-11-09", CaseStep::Approve)
        .step(UnitStaff, t, "2026-11-10", progress())
        .step(UnitStaff, t, "2026-11-12", resolve(Outcome::Agreement))
        .step(UnitStaff, t, "2026-11-13", feedback())
        .step(
            Operator,
            t,
            "2026-11-25",
            follow_up(false, false, true, false),
        );
    out.push((5, c));

    // C6 上级交办/涉法涉诉 at 202: assigned to 202 (deadline 11-29), resolved
    // by agreement 11-18, followed up only on 12-02.
    let mut c = Life::register(registration(
        V202,
        "2026-11-10",
        Src::HandedDown,
        Cat::LawRelated,
        false,
    ));
    c.step(Operator, t, "2026-11-12", accept_no(6, "2027-01-11"))
        .step(
            Director,
            t,
            "2026-11-12",
            assign_village(V202, "2026-11-29"),
        )
        .step(
            VillageStaff,
            V202,
            "2026-11-18",
            resolve(Outcome::Agreement),
        )
        .step(VillageStaff, V202, "2026-11-19", feedback())
        .step(Operator, t, "2026-12-02", follow_up_clean());
    out.push((6, c));

    // C7 来访/劳资 at 201, complex, registered 11-25, not yet decided
    // (acceptance deadline 11-25 + 15 = 12-10).
    let c = Life::register(registration(
        V201,
        "2026-11-25",
        Src::Visit,
        Cat::Labour,
        true,
    ));
    out.push((7, c));

    // C8 来信/医疗 at 202, registered 10-10 and never decided: its acceptance
    // deadline (10-10 + 15 = 10-25) passed long ago.
    let c = Life::register(registration(
        V202,
        "2026-10-10",
        Src::Letter,
        Cat::Medical,
        false,
    ));
    out.push((8, c));

    // C9 来电/环境污染 at 201: withdrawn 11-20; followed up 11-22, all well.
    let mut c = Life::register(registration(
        V201,
        "2026-11-15",
        Src::Phone,
        Cat::Environment,
        false,
    ));
    c.step(Operator, t, "2026-11-15", accept_no(9, "2027-01-14"))
        .step(
            Director,
            t,
            "2026-11-15",
            assign_village(V201, "2026-12-15"),
        )
        .step(
            VillageStaff,
            V201,
            "2026-11-20",
            resolve(Outcome::Withdrawn),
        )
        .step(VillageStaff, V201, "2026-11-21", feedback())
        .step(Operator, t, "2026-11-22", follow_up_clean());
    out.push((9, c));

    // C10 来访/劳资 in the neighbouring township: escalated and resolved by
    // agreement in November. None of it is 360123100's.
    let o = OTHER_TOWNSHIP;
    let mut c = Life::register(registration(
        FOREIGN_VILLAGE,
        "2026-11-05",
        Src::Visit,
        Cat::Labour,
        false,
    ));
    c.step(Operator, o, "2026-11-06", accept_no(10, "2027-01-05"))
        .step(
            Director,
            o,
            "2026-11-06",
            assign_village(FOREIGN_VILLAGE, "2026-11-30"),
        )
        .step(Operator, o, "2026-11-07", escalate())
        .step(
            VillageStaff,
            FOREIGN_VILLAGE,
            "2026-11-09",
            resolve(Outcome::Agreement),
        );
    out.push((10, c));

    // C11 网上/土地 at 201: registered 11-20, resolved only on 12-03, so
    // open at the end of November (deadline 12-10: not overdue then).
    let mut c = Life::register(registration(
        V201,
        "2026-11-20",
        Src::Online,
        Cat::Land,
        false,
    ));
    c.step(Operator, t, "2026-11-21", accept_no(11, "2027-01-20"))
        .step(
            Director,
            t,
            "2026-11-21",
            assign_village(V201, "2026-12-10"),
        )
        .step(
            VillageStaff,
            V201,
            "2026-12-03",
            resolve(Outcome::Agreement),
        );
    out.push((11, c));

    // C12 来电/婚姻家庭 at 202, registered in October: resolved by agreement
    // on its deadline day 11-27 (in time), followed up 11-29, all well.
    let mut c = Life::register(registration(
        V202,
        "2026-10-28",
        Src::Phone,
        Cat::FamilyNeighbour,
        false,
    ));
    c.step(Operator, t, "2026-10-29", accept_no(12, "2026-12-28"))
        .step(
            Director,
            t,
            "2026-10-29",
            assign_village(V202, "2026-11-27"),
        )
        .step(
            VillageStaff,
            V202,
            "2026-11-27",
            resolve(Outcome::Agreement),
        )
        .step(VillageStaff, V202, "2026-11-28", feedback())
        .step(Operator, t, "2026-11-29", follow_up_clean());
    out.push((12, c));

    out
}

fn refs(cases: &[(u32, Life)]) -> Vec<CaseRef<'_>> {
    cases
        .iter()
        .map(|(n, life)| CaseRef {
            id: case_id(*n),
            file: &life.file,
        })
        .collect()
}

fn screened(village: &str, on: &str, risk: RiskLevel, mass: bool) -> Screening {
    Screening {
        village: code(village),
        screened_on: date(on),
        risk,
        mass_incident_risk: mass,
        ..screening()
    }
}

/// S1–S4 are the township's November screenings; S5 is October's; S6 is
/// the neighbouring township's.
fn screenings() -> Vec<Screening> {
    vec![
        screened(V201, "2026-11-05", RiskLevel::General, false),
        screened(V201, "2026-11-12", RiskLevel::Severe, false),
        screened(V202, "2026-11-18", RiskLevel::Major, true),
        screened(V202, "2026-11-28", RiskLevel::Severe, true),
        screened(V201, "2026-10-30", RiskLevel::General, false),
        screened(FOREIGN_VILLAGE, "2026-11-10", RiskLevel::Severe, true),
    ]
}

fn month(text: &str) -> Month {
    Month::parse(text).unwrap()
}

fn report_for(township: &str, m: &str, as_of: &str) -> MonthlyReport {
    let cases = cases();
    let screenings = screenings();
    let screening_refs: Vec<&Screening> = screenings.iter().collect();
    monthly_report(
        &code(township),
        month(m),
        &refs(&cases),
        &screening_refs,
        &DeadlinePolicy::default(),
        date(as_of),
        2,
    )
}

fn summary_for(period: &str, as_of: &str) -> PeriodSummary {
    let cases = cases();
    let screenings = screenings();
    let screening_refs: Vec<&Screening> = screenings.iter().collect();
    let period = Period::parse(period).unwrap();
    let figures = monthly_report(
        &code(TOWNSHIP),
        period,
        &refs(&cases),
        &screening_refs,
        &DeadlinePolicy::default(),
        date(as_of),
        0,
    );
    PeriodSummary::of(period, figures, date(as_of))
}

fn by_source(counts: [u32; 6]) -> Vec<SourceCount> {
    use CaseSource::*;
    [Visit, Letter, Phone, Screening, HandedDown, Online]
        .into_iter()
        .zip(counts)
        .map(|(source, count)| SourceCount { source, count })
        .collect()
}

fn by_category(counts: [u32; 8]) -> Vec<CategoryCount> {
    use Category::*;
    [
        Land,
        FamilyNeighbour,
        Labour,
        Expropriation,
        Environment,
        Medical,
        LawRelated,
        Other,
    ]
    .into_iter()
    .zip(counts)
    .map(|(category, count)| CategoryCount { category, count })
    .collect()
}

// ------------------------------------------------------------ the month

#[test]
fn the_fixture_is_what_the_comments_say() {
    use sanji_domain::case::CaseStatus::*;
    let cases = cases();
    let status: Vec<_> = cases.iter().map(|(_, l)| l.file.status).collect();
    assert_eq!(
        status,
        [
            Archived,
            FollowedUp,
            NotAccepted,
            InMediation,
            FollowedUp,
            FollowedUp,
            Registered,
            Registered,
            FollowedUp,
            Resolved,
            Resolved,
            FollowedUp
        ]
    );
    let late: Vec<u32> = cases
        .iter()
        .filter(|(_, l)| l.file.resolution.as_ref().is_some_and(|r| r.late))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        late,
        [2],
        "only C2 was resolved late (C12 on its deadline day)"
    );
}

#[test]
fn novembers_report_matches_the_hand_count() {
    // November 2026 for 360123100, made on 12-05 so the month is complete
    // ("month end" = 11-30). C10 is another township's: 11 files are ours.
    let r = report_for(TOWNSHIP, "2026-11", "2026-12-05");
    assert_eq!(r.township, code(TOWNSHIP));
    assert_eq!(r.month, month("2026-11"));
    assert_eq!(r.revision, 2);
    assert_eq!(r.cases_covered, 11, "C1–C9, C11, C12");

    // Registered in November: C1 C2 C3 C5 C6 C7 C9 C11 (C4, C8, C12 were
    // October's).
    assert_eq!(r.received, 8);
    // 来访 C1 C7; 来信 C2; 来电 C3 C9; 排查转案 none (C4 was October's);
    // 上级交办 C6; 网上 C5 C11.
    assert_eq!(r.received_by_source, by_source([2, 1, 2, 0, 1, 2]));
    // 土地 C2 C11; 婚姻家庭 C3; 劳资 C1 C7; 征地 0; 环境 C9; 医疗 0 (C8 was
    // October's); 涉法涉诉 C6; 其他 C5.
    assert_eq!(
        r.received_by_category,
        by_category([2, 1, 2, 0, 1, 0, 1, 1])
    );

    // Acceptance decided in November: C1 11-03, C2 11-05, C5 11-08, C6 11-12,
    // C9 11-15, C11 11-21 (C4, C12 were accepted in October); C3 refused.
    assert_eq!(r.accepted, 6);
    assert_eq!(r.not_accepted, 1);

    // Resolved in November: C1 (agreement), C2 (litigation), C5 (agreement),
    // C6 (agreement), C9 (withdrawn), C12 (agreement); C11 only in December.
    // Mediated: C1 C5 C6 C12 = 4 of 6 = 666‰ (rounded down).
    assert_eq!(r.resolved, 6);
    assert_eq!(r.mediated, 4);
    assert_eq!(r.mediation_success_permille, Some(666));
    assert_eq!(r.mediation_success_label(), "66.6%");

    // Open at 11-30: C4 (in mediation), C7 and C8 (undecided), C11 (resolved
    // only 12-03) = 4.
    assert_eq!(r.open, 4);
    // Overdue: open past the deadline at 11-30 — C4 (11-25), C8 (acceptance
    // deadline 10-25); C7's is 12-10, C11's 12-10 — plus resolved late this
    // month — C2 (11-14 after 11-12) = 3.
    assert_eq!(r.overdue, 3);

    assert_eq!(r.escalated, 1, "C4, 11-10 (C10 is not ours)");
    // S1–S4: severe = 重大 or 群体性 = S2 S3 S4; mass incident = S3 S4.
    assert_eq!(r.screenings, 4);
    assert_eq!(r.severe_screenings, 3);
    assert_eq!(r.mass_incidents, 2);
    assert_eq!(r.skip_level_petitions, 1, "C2's follow-up 11-20");
    assert_eq!(r.validate(), Ok(()));
}

#[test]
fn octobers_report_tells_octobers_story() {
    // October, made on 12-05: month end is 10-31.
    let r = report_for(TOWNSHIP, "2026-10", "2026-12-05");
    // Registered in October: C4 (排查转案/征地), C8 (来信/医疗), C12 (来电/婚姻家庭).
    assert_eq!(r.received, 3);
    assert_eq!(r.received_by_source, by_source([0, 1, 1, 1, 0, 0]));
    assert_eq!(
        r.received_by_category,
        by_category([0, 1, 0, 1, 0, 1, 0, 0])
    );
    // Accepted in October: C4 10-21, C12 10-29.
    assert_eq!(r.accepted, 2);
    assert_eq!(r.not_accepted, 0);
    // Nothing resolved in October: no rate, not 0%.
    assert_eq!(r.resolved, 0);
    assert_eq!(r.mediated, 0);
    assert_eq!(r.mediation_success_permille, None);
    assert_eq!(r.mediation_success_label(), "—");
    // Open at 10-31: C4, C8, and C12 (resolved only 11-27) = 3. Overdue then:
    // C8 alone (10-25); C4's deadline was 11-25, C12's 11-27.
    assert_eq!(r.open, 3);
    assert_eq!(r.overdue, 1);
    assert_eq!(r.escalated, 0);
    // S5 alone, an ordinary one.
    assert_eq!(r.screenings, 1);
    assert_eq!(r.severe_screenings, 0);
    assert_eq!(r.mass_incidents, 0);
    assert_eq!(r.skip_level_petitions, 0);
    // Computed from C4, C8 and C12 alone: the others began in November and
    // count in no October figure.
    assert_eq!(r.cases_covered, 3);
    assert_eq!(r.validate(), Ok(()));
}

#[test]
fn the_neighbouring_townships_report_has_only_its_own() {
    let r = report_for(OTHER_TOWNSHIP, "2026-11", "2026-12-05");
    // C10: 来访/劳资, accepted 11-06, escalated 11-07, resolved by agreement
    // 11-09 (deadline 11-30); S6 severe with mass-incident risk.
    assert_eq!(r.cases_covered, 1);
    assert_eq!(r.received, 1);
    assert_eq!(r.received_by_source, by_source([1, 0, 0, 0, 0, 0]));
    assert_eq!(
        r.received_by_category,
        by_category([0, 0, 1, 0, 0, 0, 0, 0])
    );
    assert_eq!((r.accepted, r.not_accepted), (1, 0));
    assert_eq!((r.resolved, r.mediated), (1, 1));
    assert_eq!(r.mediation_success_permille, Some(1000));
    assert_eq!(r.mediation_success_label(), "100.0%");
    assert_eq!((r.open, r.overdue, r.escalated), (0, 0, 1));
    assert_eq!(
        (r.screenings, r.severe_screenings, r.mass_incidents),
        (1, 1, 1)
    );
    assert_eq!(r.skip_level_petitions, 0);
}

#[test]
fn as_of_bounds_month_end_for_the_running_month() {
    use ActorRole::*;
    // A: accepted 11-03, assigned with deadline 11-20, in mediation.
    // B: registered 11-20, undecided (acceptance deadline 11-20 + 15 = 12-05).
    let mut a = Life::register(registration(
        V201,
        "2026-11-02",
        CaseSource::Visit,
        Category::Labour,
        false,
    ));
    a.step(Operator, TOWNSHIP, "2026-11-03", accept_no(1, "2027-01-02"))
        .step(
            Director,
            TOWNSHIP,
            "2026-11-03",
            assign_village(V201, "2026-11-20"),
        )
        .step(VillageStaff, V201, "2026-11-05", progress());
    let b = Life::register(registration(
        V202,
        "2026-11-20",
        CaseSource::Phone,
        Category::Land,
        false,
    ));
    let lives = [(1, a), (2, b)];
    let report = |m: &str, as_of: &str| {
        let r = monthly_report(
            &code(TOWNSHIP),
            month(m),
            &refs(&lives),
            &[],
            &DeadlinePolicy::default(),
            date(as_of),
            0,
        );
        (r.open, r.overdue)
    };
    // On 11-19 B is not registered yet and A's deadline is tomorrow.
    assert_eq!(report("2026-11", "2026-11-19"), (1, 0));
    // On 11-20, A's deadline day: due, not overdue.
    assert_eq!(report("2026-11", "2026-11-20"), (2, 0));
    // From 11-21 A is overdue.
    assert_eq!(report("2026-11", "2026-11-21"), (2, 1));
    // Once November is over, its end (11-30) is the bound.
    assert_eq!(report("2026-11", "2026-12-05"), (2, 1));
    assert_eq!(report("2026-11", "2027-06-01"), (2, 1));
    // December so far: on 12-05, B's acceptance deadline day, only A is overdue;
    // on 12-06 both are.
    assert_eq!(report("2026-12", "2026-12-05"), (2, 1));
    assert_eq!(report("2026-12", "2026-12-06"), (2, 2));
}

#[test]
fn the_county_total_sums_rows_and_recomputes_the_rate() {
    let ours = report_for(TOWNSHIP, "2026-11", "2026-12-05");
    let theirs = report_for(OTHER_TOWNSHIP, "2026-11", "2026-12-05");
    let county = code(COUNTY);
    let total = MonthlyReport::total(&county, month("2026-11"), &[ours.clone(), theirs.clone()]);
    assert_eq!(total.township, county);
    assert_eq!(total.month, month("2026-11"));
    assert_eq!(total.received, 9);
    assert_eq!(total.received_by_source, by_source([3, 1, 2, 0, 1, 2]));
    assert_eq!(
        total.received_by_category,
        by_category([2, 1, 3, 0, 1, 0, 1, 1])
    );
    assert_eq!((total.accepted, total.not_accepted), (7, 1));
    // 4 + 1 mediated of 6 + 1 resolved = 5/7 = 714‰; the average of the rows'
    // rates, (666 + 1000) / 2 = 833, would be wrong.
    assert_eq!((total.resolved, total.mediated), (7, 5));
    assert_eq!(total.mediation_success_permille, Some(714));
    assert_eq!(total.mediation_success_label(), "71.4%");
    assert_eq!((total.open, total.overdue, total.escalated), (4, 3, 2));
    assert_eq!(
        (
            total.screenings,
            total.severe_screenings,
            total.mass_incidents
        ),
        (5, 4, 3)
    );
    assert_eq!(total.skip_level_petitions, 1);
    assert_eq!(total.cases_covered, 12);
    assert_eq!(total.revision, 0);
    assert_eq!(total.validate(), Ok(()));

    // 2 of 2 and 0 of 1: 2/3 = 666‰, not the 500 an average would give.
    let row = |resolved, mediated| MonthlyReport {
        resolved,
        mediated,
        mediation_success_permille: Some(mediated * 1000 / resolved),
        ..ours.clone()
    };
    let total = MonthlyReport::total(&county, month("2026-11"), &[row(2, 2), row(1, 0)]);
    assert_eq!(total.mediation_success_permille, Some(666));

    let empty = MonthlyReport::total(&county, month("2026-11"), &[]);
    assert_eq!(empty.received, 0);
    assert_eq!(empty.mediation_success_permille, None);
    assert_eq!(empty.received_by_source.len(), CaseSource::ALL.len());
    assert_eq!(empty.received_by_category.len(), Category::ALL.len());
    assert_eq!(empty.validate(), Ok(()));
}

#[test]
fn an_inconsistent_report_is_refused() {
    let good = report_for(TOWNSHIP, "2026-11", "2026-12-05");
    let field = |r: MonthlyReport| r.validate().map_err(|e| e.field);
    assert_eq!(field(good.clone()), Ok(()));
    assert_eq!(
        field(MonthlyReport {
            received: good.received + 1,
            ..good.clone()
        }),
        Err("received".into())
    );
    let mut short = good.clone();
    short.received_by_source[0].count -= 1;
    assert_eq!(field(short), Err("received".into()));
    let mut missing = good.clone();
    missing.received_by_source.pop();
    assert_eq!(field(missing), Err("received_by_source".into()));
    let mut missing = good.clone();
    missing.received_by_category.pop();
    assert_eq!(field(missing), Err("received_by_category".into()));
    assert_eq!(
        field(MonthlyReport {
            mediated: good.resolved + 1,
            ..good.clone()
        }),
        Err("mediated".into())
    );
}

#[test]
fn a_reports_entity_is_its_township_and_month() {
    let t = code(TOWNSHIP);
    let a = MonthlyReport::entity_id(&t, month("2026-11"));
    assert_eq!(a, MonthlyReport::entity_id(&t, month("2026-11")));
    assert_ne!(a, MonthlyReport::entity_id(&t, month("2026-12")));
    assert_ne!(
        a,
        MonthlyReport::entity_id(&code(OTHER_TOWNSHIP), month("2026-11"))
    );
}

// ------------------------------------------------------------ rewards

fn line(n: u32, on: &str, amount: i64, reason: &str) -> RewardLine {
    RewardLine {
        case_id: case_id(n),
        case_number: number(n),
        on: date(on),
        amount,
        reason: reason.into(),
    }
}

const COMPLEX: &str = "疑难案件调处成功,回访无反复、无上访";
const ORDINARY: &str = "一般案件调处成功,回访无反复、无上访";
const PETITION: &str = "调解不力引发上访";

fn total(handler: Assignee, lines: Vec<RewardLine>) -> RewardTotal {
    RewardTotal {
        amount: lines.iter().map(|l| l.amount).sum(),
        handler,
        lines,
    }
}

fn rewards_for(period: &str) -> Vec<RewardTotal> {
    let cases = cases();
    rewards(&refs(&cases), Period::parse(period).unwrap())
}

#[test]
fn novembers_rewards_match_the_hand_count() {
    // Dated by the follow-up that settles them:
    //  C1 complex, agreement, clean follow-up 11-15 → 201 +100
    //  C2 litigation, petition found 11-20       → 司法所 −50
    //  C5 agreement, but petition found 11-25    → 派出所 −50
    //  C6 clean follow-up only on 12-02          → nothing in November
    //  C9 withdrawn (no mediation), clean 11-22  → nothing
    //  C10, C11 never followed up                → nothing
    //  C12 ordinary, agreement, clean 11-29      → 202 +50
    // Ordered by the handler's label: the villages' codes, then 司 (U+53F8)
    // before 派 (U+6D3E).
    assert_eq!(
        rewards_for("2026-11"),
        [
            total(village(V201), vec![line(1, "2026-11-15", 100, COMPLEX)]),
            total(village(V202), vec![line(12, "2026-11-29", 50, ORDINARY)]),
            total(unit("司法所"), vec![line(2, "2026-11-20", -50, PETITION)]),
            total(unit("派出所"), vec![line(5, "2026-11-25", -50, PETITION)]),
        ]
    );
}

#[test]
fn a_follow_up_outside_the_period_counts_in_its_own() {
    // December: only C6's follow-up (12-02) → 202 +50.
    assert_eq!(
        rewards_for("2026-12"),
        [total(
            village(V202),
            vec![line(6, "2026-12-02", 50, ORDINARY)]
        )]
    );
    // The fourth quarter and the year hold both months: 202 has C6 and C12
    // (lines in the order of the cases given) = +100.
    let q4 = vec![
        total(village(V201), vec![line(1, "2026-11-15", 100, COMPLEX)]),
        total(
            village(V202),
            vec![
                line(6, "2026-12-02", 50, ORDINARY),
                line(12, "2026-11-29", 50, ORDINARY),
            ],
        ),
        total(unit("司法所"), vec![line(2, "2026-11-20", -50, PETITION)]),
        total(unit("派出所"), vec![line(5, "2026-11-25", -50, PETITION)]),
    ];
    assert_eq!(rewards_for("2026-Q4"), q4);
    assert_eq!(rewards_for("2026"), q4);
    assert_eq!(q4.iter().map(|t| t.amount).sum::<i64>(), 100);
    // Nothing was settled in October, the third quarter or 2027.
    assert_eq!(rewards_for("2026-10"), []);
    assert_eq!(rewards_for("2026-Q3"), []);
    assert_eq!(rewards_for("2027"), []);
}

#[test]
fn a_recurrence_earns_nothing_and_a_petition_deducts_whatever_the_outcome() {
    use ActorRole::*;
    let resolved = |outcome: Outcome, visit: CaseStep, complex: bool| {
        let mut c = Life::register(registration(
            V201,
            "2026-11-02",
            CaseSource::Visit,
            Category::Labour,
            complex,
        ));
        c.step(Operator, TOWNSHIP, "2026-11-03", accept_no(1, "2027-01-02"))
            .step(
                Director,
                TOWNSHIP,
                "2026-11-03",
                assign_village(V201, "2026-11-20"),
            )
            .step(VillageStaff, V201, "2026-11-10", resolve(outcome))
            .step(VillageStaff, V201, "2026-11-11", feedback())
            .step(Operator, TOWNSHIP, "2026-11-15", visit);
        c
    };
    let amount = |life: Life| {
        let lives = [(1, life)];
        rewards(&refs(&lives), Period::parse("2026-11").unwrap())
            .iter()
            .map(|t| t.amount)
            .sum::<i64>()
    };
    let recurred = || follow_up(true, false, false, false);
    let petitioned = || follow_up(false, false, true, false);
    assert_eq!(
        amount(resolved(Outcome::Agreement, follow_up_clean(), true)),
        100
    );
    assert_eq!(
        amount(resolved(Outcome::Agreement, follow_up_clean(), false)),
        50
    );
    assert_eq!(amount(resolved(Outcome::Agreement, recurred(), true)), 0);
    assert_eq!(
        amount(resolved(Outcome::Agreement, petitioned(), true)),
        -50
    );
    assert_eq!(
        amount(resolved(Outcome::Agreement, petitioned(), false)),
        -50
    );
    assert_eq!(
        amount(resolved(Outcome::Litigation, petitioned(), false)),
        -50
    );
    assert_eq!(
        amount(resolved(Outcome::Withdrawn, petitioned(), false)),
        -50
    );
    assert_eq!(
        amount(resolved(Outcome::Litigation, follow_up_clean(), false)),
        0
    );
    assert_eq!(
        amount(resolved(Outcome::Withdrawn, follow_up_clean(), true)),
        0
    );
}

// ------------------------------------------------------------ periods

#[test]
fn periods_parse_as_month_quarter_or_year() {
    let range = |p: &Period| {
        let (from, to) = p.range();
        (from.to_string(), to.to_string())
    };
    let q4 = Period::parse("2026-Q4").unwrap();
    assert_eq!(
        q4,
        Period::Quarter {
            year: 2026,
            quarter: 4
        }
    );
    assert_eq!(range(&q4), ("2026-10-01".into(), "2026-12-31".into()));
    let q1 = Period::parse("2028-Q1").unwrap();
    assert_eq!(range(&q1), ("2028-01-01".into(), "2028-03-31".into()));
    let year = Period::parse("2026").unwrap();
    assert_eq!(year, Period::Year { year: 2026 });
    assert_eq!(range(&year), ("2026-01-01".into(), "2026-12-31".into()));
    let m = Period::parse("2026-11").unwrap();
    assert_eq!(
        m,
        Period::Month {
            year: 2026,
            month: 11
        }
    );
    assert_eq!(range(&m), ("2026-11-01".into(), "2026-11-30".into()));
    let feb = Period::parse("2028-02").unwrap();
    assert_eq!(range(&feb), ("2028-02-01".into(), "2028-02-29".into()));
    for text in ["2026-Q4", "2026", "2026-11", "2028-02"] {
        assert_eq!(Period::parse(text).unwrap().to_string(), text);
    }
    let d = |s: &str| -> NaiveDate { date(s) };
    assert!(q4.contains(d("2026-10-01")) && q4.contains(d("2026-12-31")));
    assert!(!q4.contains(d("2026-09-30")) && !q4.contains(d("2027-01-01")));
}

#[test]
fn halves_of_months_and_years_parse_and_step() {
    let range = |text: &str| {
        let (from, to) = Period::parse(text).unwrap().range();
        (from.to_string(), to.to_string())
    };
    assert_eq!(
        range("2026-11-H1"),
        ("2026-11-01".into(), "2026-11-15".into())
    );
    assert_eq!(
        range("2026-11-H2"),
        ("2026-11-16".into(), "2026-11-30".into())
    );
    assert_eq!(
        range("2028-02-H2"),
        ("2028-02-16".into(), "2028-02-29".into())
    );
    assert_eq!(range("2026-H1"), ("2026-01-01".into(), "2026-06-30".into()));
    assert_eq!(range("2026-H2"), ("2026-07-01".into(), "2026-12-31".into()));
    for text in ["2026-11-H1", "2026-11-H2", "2026-H1", "2026-H2"] {
        assert_eq!(Period::parse(text).unwrap().to_string(), text);
    }
    let p = |text: &str| Period::parse(text).unwrap();
    let steps = |text: &str| (p(text).previous().to_string(), p(text).next().to_string());
    assert_eq!(
        steps("2026-11-H1"),
        ("2026-10-H2".into(), "2026-11-H2".into())
    );
    assert_eq!(
        steps("2026-12-H2"),
        ("2026-12-H1".into(), "2027-01-H1".into())
    );
    assert_eq!(steps("2026-Q1"), ("2025-Q4".into(), "2026-Q2".into()));
    assert_eq!(steps("2026-H1"), ("2025-H2".into(), "2026-H2".into()));
    assert_eq!(steps("2026-01"), ("2025-12".into(), "2026-02".into()));
    assert_eq!(steps("2026"), ("2025".into(), "2027".into()));
    assert_eq!(p("2026-11-H2").label(), "2026 年 11 月下半月");
    assert_eq!(p("2026-Q4").label(), "2026 年第 4 季度");
    assert_eq!(p("2026-H1").label(), "2026 年上半年");
    assert_eq!(
        p("2026-Q1").same_kind_at(date("2026-11-16")).to_string(),
        "2026-Q4"
    );
    assert_eq!(
        p("2026-01-H1").same_kind_at(date("2026-11-16")).to_string(),
        "2026-11-H2"
    );
    for bad in [
        "2026-11-H3",
        "2026-11-H0",
        "2026-H",
        "2026-13-H1",
        "2026-H12",
        "26-H1",
    ] {
        let err = Period::parse(bad).expect_err(bad);
        assert_eq!(err.field, "period", "{bad:?}");
        assert!(err.rule.contains("2026-11-H1"), "{bad:?}: {err}");
    }
}

#[test]
fn novembers_halves_match_the_hand_count_and_add_up_to_the_month() {
    // Made on 12-05: both halves are complete.
    let first = summary_for("2026-11-H1", "2026-12-05");
    assert_eq!(
        (first.from, first.to),
        (date("2026-11-01"), date("2026-11-15"))
    );
    let f = &first.figures;
    // Registered 11-01..15: C1 C2 C3 C5 C6 C9 (C7 and C11 came later).
    assert_eq!(f.received, 6);
    // Accepted C1 C2 C5 C6 C9; C3 refused 11-07.
    assert_eq!((f.accepted, f.not_accepted), (5, 1));
    // Resolved C1 (agreement) C2 (litigation) C5 (agreement).
    assert_eq!((f.resolved, f.mediated), (3, 2));
    // Open on 11-15: C4, C6 (resolved 11-18), C8, C9 (11-20), C12 (11-27).
    assert_eq!(f.open, 5);
    // Past the deadline on 11-15: C8 (acceptance by 10-25); resolved late
    // in the half: C2.
    assert_eq!(f.overdue, 2);
    assert_eq!(f.escalated, 1, "C4, 11-10");
    // S1 (一般) and S2 (重大).
    assert_eq!(
        (f.screenings, f.severe_screenings, f.mass_incidents),
        (2, 1, 0)
    );
    assert_eq!(f.skip_level_petitions, 0, "C2's follow-up is on 11-20");
    // C1–C6, C8, C9, C12: registered, stepped or open in the half.
    assert_eq!(f.cases_covered, 9);
    assert_eq!(f.validate(), Ok(()));

    let second = summary_for("2026-11-H2", "2026-12-05").figures;
    assert_eq!(second.received, 2, "C7, C11");
    assert_eq!((second.accepted, second.not_accepted), (1, 0));
    // C6 (agreement), C9 (withdrawn), C12 (agreement).
    assert_eq!((second.resolved, second.mediated), (3, 2));
    // Its end is the month's: the same open and overdue as November's.
    let november = report_for(TOWNSHIP, "2026-11", "2026-12-05");
    assert_eq!(second.open, november.open);
    assert_eq!(second.overdue, 2, "C4 and C8 open past their deadlines");
    assert_eq!(second.skip_level_petitions, 1);
    for (half, whole) in [
        (f.received + second.received, november.received),
        (f.accepted + second.accepted, november.accepted),
        (f.resolved + second.resolved, november.resolved),
        (f.mediated + second.mediated, november.mediated),
        (f.screenings + second.screenings, november.screenings),
        (
            f.severe_screenings + second.severe_screenings,
            november.severe_screenings,
        ),
    ] {
        assert_eq!(half, whole);
    }
}

#[test]
fn a_running_quarters_summary_adds_its_months_and_ends_today() {
    let q4 = summary_for("2026-Q4", "2026-12-05");
    assert_eq!((q4.from, q4.to), (date("2026-10-01"), date("2026-12-05")));
    assert_eq!(q4.figures.month, month("2026-12"), "the month it ends in");
    let months: Vec<MonthlyReport> = ["2026-10", "2026-11", "2026-12"]
        .iter()
        .map(|m| report_for(TOWNSHIP, m, "2026-12-05"))
        .collect();
    let sum = |figure: fn(&MonthlyReport) -> u32| months.iter().map(figure).sum::<u32>();
    let q = &q4.figures;
    assert_eq!(q.received, sum(|r| r.received));
    assert_eq!(q.accepted, sum(|r| r.accepted));
    assert_eq!(q.not_accepted, sum(|r| r.not_accepted));
    assert_eq!(q.resolved, sum(|r| r.resolved));
    assert_eq!(q.mediated, sum(|r| r.mediated));
    assert_eq!(q.escalated, sum(|r| r.escalated));
    assert_eq!(q.screenings, sum(|r| r.screenings));
    assert_eq!(q.skip_level_petitions, sum(|r| r.skip_level_petitions));
    // Figures at the end are today's, as December's so far.
    assert_eq!(q.open, months[2].open);
    // Every one of the township's eleven files counts somewhere in the quarter.
    assert_eq!(q.cases_covered, 11);
    assert_eq!(q.validate(), Ok(()));
}

#[test]
fn bad_periods_name_the_field() {
    for text in [
        "2026-Q5",
        "2026-Q0",
        "26-11",
        "2026-13",
        "2026-00",
        "2026-1",
        "26-Q4",
        "2026-Q",
        "2026-Q44",
        "Q4",
        "",
        "26",
        "abcd",
        "1999",
        "+202",
        "2026-+1",
        "2026-Q+4",
        // Would name a year with no calendar date, and panic on range().
        "300000-Q1",
        "2147483647-Q4",
    ] {
        let err = Period::parse(text).expect_err(text);
        assert_eq!(err.field, "period", "{text:?}");
        assert!(err.rule.contains("2026-Q4"), "{text:?}: {err}");
    }
}

#[test]
fn months_parse_strictly() {
    let m = Month::parse("2026-11").unwrap();
    assert_eq!(
        m,
        Month {
            year: 2026,
            month: 11
        }
    );
    assert_eq!(m.to_string(), "2026-11");
    assert_eq!(m.first_day(), date("2026-11-01"));
    assert_eq!(m.last_day(), date("2026-11-30"));
    assert_eq!(month("2026-12").next(), month("2027-01"));
    assert_eq!(month("2026-12").last_day(), date("2026-12-31"));
    assert_eq!(month("2028-02").last_day(), date("2028-02-29"));
    assert_eq!(month("2027-02").last_day(), date("2027-02-28"));
    assert!(m.contains(date("2026-11-30")) && !m.contains(date("2026-12-01")));
    for text in [
        "2026-1",
        "2026-13",
        "abcd-ef",
        "2026-00",
        "1999-12",
        "2026/11",
        "202611",
        "2026-11-01",
        "2026-+1",
        "+202-11",
        " 2026-11",
    ] {
        let err = Month::parse(text).expect_err(text);
        assert_eq!(err.field, "month", "{text:?}");
    }
    // Months travel as their text and are checked on the way in.
    assert_eq!(serde_json::to_string(&m).unwrap(), "\"2026-11\"");
    assert_eq!(serde_json::from_str::<Month>("\"2026-11\"").unwrap(), m);
    assert!(serde_json::from_str::<Month>("\"2026-13\"").is_err());
}

/// 接访 of November, worked out by hand: at 201, two visits of 3 and 1
/// people (one answered on the spot, the other registered as a case), a
/// letter answered on the spot and a call; at the township's window one
/// visit of 5; at a village of another township, and in October, none count.
#[test]
fn novembers_follow_ups_and_major_disputes_match_the_hand_count() {
    // Followed up in November: C1 (11-15), C2 (11-20, a skip-level
    // petition), C5 (11-25, a petition), C9 (11-22), C12 (11-29); C6's is on
    // 12-02. The people were satisfied at C1, C9 and C12: 3 of 5, 60.0%.
    // 重大疑难 (complex): C1, C4, C7. Received in November: C1 (11-02) and C7
    // (11-25); C4 came in October. Resolved: C1, by agreement. Open at the
    // month's end: C4 (in mediation, escalated) and C7 (not yet decided).
    let report = report_for(TOWNSHIP, "2026-11", "2026-12-05");
    let disputes = report.disputes.expect("counted in a report made now");
    assert_eq!(
        disputes,
        DisputeCounts {
            followed_up: 5,
            satisfied: 3,
            major_received: 2,
            major_resolved: 1,
            major_mediated: 1,
            major_open: 2,
        }
    );
    assert_eq!(disputes.satisfaction_label(), "60.0%");
    report.validate().expect("consistent");

    // October: nothing followed up, no rate rather than 0%; C4 received.
    let october = report_for(TOWNSHIP, "2026-10", "2026-12-05")
        .disputes
        .unwrap();
    assert_eq!((october.followed_up, october.major_received), (0, 1));
    assert_eq!(october.satisfaction_label(), "—");

    // The county's total adds the counted rows; a row filed before these
    // were counted adds nothing, and a total of such rows counts nothing.
    let county = code("360123");
    let mut before = report_for(OTHER_TOWNSHIP, "2026-11", "2026-12-05");
    before.disputes = None;
    let total = MonthlyReport::total(&county, month("2026-11"), &[report.clone(), before.clone()]);
    assert_eq!(total.disputes, Some(disputes));
    assert_eq!(
        MonthlyReport::total(&county, month("2026-11"), &[before]).disputes,
        None
    );

    // Figures that cannot be true are refused, naming the figure.
    for (broken, field) in [
        (
            DisputeCounts {
                satisfied: 6,
                ..disputes
            },
            "disputes.satisfied",
        ),
        (
            DisputeCounts {
                major_mediated: 2,
                ..disputes
            },
            "disputes.major_mediated",
        ),
        (
            DisputeCounts {
                major_open: report.open + 1,
                ..disputes
            },
            "disputes.major_open",
        ),
    ] {
        let mut wrong = report.clone();
        wrong.disputes = Some(broken);
        assert_eq!(wrong.validate().unwrap_err().field, field);
    }
}

#[test]
fn severe_screenings_that_missed_the_24_hour_rule_are_counted_in_their_month() {
    const HOUR: u64 = 3_600_000;
    let now = 1_795_000_000_000; // 2026-11-18 19:06 CST
    let timing =
        |village: &str, on: &str, recorded_hours_ago: u64, passed_on_after: Option<u64>| {
            let recorded_at_ms = now - recorded_hours_ago * HOUR;
            SevereTiming {
                village: code(village),
                screened_on: date(on),
                recorded_at_ms,
                passed_on_ms: passed_on_after.map(|h| recorded_at_ms + h * HOUR),
            }
        };
    let timings = [
        timing(V201, "2026-11-10", 200, Some(30)), // passed on 6 hours late
        timing(V202, "2026-11-12", 150, Some(2)),  // in time
        timing(V201, "2026-11-17", 30, None),      // not passed on, 6 hours past
        timing(V202, "2026-11-18", 3, None),       // not passed on, 21 hours left
        timing(FOREIGN_VILLAGE, "2026-11-11", 190, Some(40)), // another township's
        timing(V201, "2026-10-30", 500, Some(48)), // October's
    ];
    let policy = DeadlinePolicy::default();
    assert_eq!(
        late_severe(&code(TOWNSHIP), month("2026-11"), &timings, &policy, now),
        2
    );
    assert_eq!(
        late_severe(&code(TOWNSHIP), month("2026-10"), &timings, &policy, now),
        1
    );
    let generous = DeadlinePolicy {
        severe_report_hours: 48,
        ..policy
    };
    assert_eq!(
        late_severe(&code(TOWNSHIP), month("2026-11"), &timings, &generous, now),
        0,
        "the township's own hours"
    );

    // A report that says more were late than were severe is refused.
    let mut report = report_for(TOWNSHIP, "2026-11", "2026-12-05");
    report.late_severe = Some(report.severe_screenings + 1);
    assert_eq!(report.validate().unwrap_err().field, "late_severe");
}

#[test]
fn visits_are_counted_by_channel_answered_on_the_spot_and_turned_into_cases() {
    let at = |place: &str, on: &str, channel: VisitChannel, people: u32, answered: bool| Visit {
        received_at: code(place),
        visited_on: date(on),
        channel,
        people_count: people,
        answer: answered.then(|| "已当场答复".into()),
        ..visit()
    };
    let turned = Uuid::from_u128(2);
    let visits = [
        (
            Uuid::from_u128(1),
            at(V201, "2026-11-03", VisitChannel::InPerson, 3, true),
        ),
        (
            turned,
            at(V201, "2026-11-10", VisitChannel::InPerson, 1, false),
        ),
        (
            Uuid::from_u128(3),
            at(V201, "2026-11-11", VisitChannel::Letter, 1, true),
        ),
        (
            Uuid::from_u128(4),
            at(V201, "2026-11-30", VisitChannel::Phone, 1, false),
        ),
        (
            Uuid::from_u128(5),
            at(TOWNSHIP, "2026-11-12", VisitChannel::InPerson, 5, false),
        ),
        (
            Uuid::from_u128(6),
            at(
                "360123101201",
                "2026-11-12",
                VisitChannel::InPerson,
                2,
                true,
            ),
        ),
        (
            Uuid::from_u128(7),
            at(V201, "2026-10-31", VisitChannel::InPerson, 2, true),
        ),
    ];
    let refs: Vec<(Uuid, &Visit)> = visits.iter().map(|(id, v)| (*id, v)).collect();
    let from_visit = CaseFile::new(
        CaseRegistration {
            from_record: Some(turned),
            ..case()
        },
        "陈芳",
        sanji_domain::Hlc::new(0, 0),
        None,
    );
    let cases = [CaseRef {
        id: Uuid::from_u128(9),
        file: &from_visit,
    }];
    let counts = visit_counts(&code(TOWNSHIP), month("2026-11"), &refs, &cases);
    assert_eq!(
        counts,
        VisitCounts {
            visit_batches: 3,
            visit_people: 9,
            letters: 1,
            calls: 1,
            answered_on_spot: 2,
            became_cases: 1,
        }
    );
    // The county's total adds them up; a row filed before visits were
    // counted adds nothing and is not taken for zeros.
    let mut counted = report_for(TOWNSHIP, "2026-11", "2026-12-05");
    counted.visits = Some(counts);
    assert_eq!(counted.validate(), Ok(()));
    let mut before = counted.clone();
    before.visits = None;
    let county = code(COUNTY);
    let total = MonthlyReport::total(
        &county,
        month("2026-11"),
        &[counted.clone(), counted.clone(), before.clone()],
    );
    assert_eq!(
        total.visits.map(|v| (v.visit_batches, v.visit_people)),
        Some((6, 18))
    );
    assert_eq!(
        MonthlyReport::total(&county, month("2026-11"), &[before]).visits,
        None
    );
    // A report that says more were answered than received is refused.
    let mut wrong = counted;
    wrong.visits = Some(VisitCounts {
        answered_on_spot: 6,
        ..counts
    });
    assert_eq!(
        wrong.validate().map_err(|e| e.field),
        Err("visits.answered_on_spot".into())
    );
}

/// A case settled in November (rewarded then), archived, and found in
/// December to have gone to the county over the township's head: the
/// deduction falls in December, the reward stays in November, and
/// December's 越级上访 counts it.
#[test]
fn a_petition_found_after_archiving_deducts_in_its_own_month_and_counts_as_skip_level() {
    use ActorRole::*;
    use sanji_domain::case::AftermathKind;
    let mut c = Life::register(registration(
        V201,
        "2026-11-02",
        CaseSource::Visit,
        Category::Labour,
        false,
    ));
    c.step(Operator, TOWNSHIP, "2026-11-03", accept_no(1, "2027-01-02"))
        .step(
            Director,
            TOWNSHIP,
            "2026-11-03",
            assign_village(V201, "2026-11-20"),
        )
        .step(
            VillageStaff,
            V201,
            "2026-11-10",
            resolve(Outcome::Agreement),
        )
        .step(VillageStaff, V201, "2026-11-11", feedback())
        .step(Operator, TOWNSHIP, "2026-11-15", follow_up_clean())
        .step(Operator, TOWNSHIP, "2026-11-16", archive())
        .step(
            Operator,
            TOWNSHIP,
            "2026-12-03",
            aftermath(AftermathKind::SkipLevel, "2026-12-02"),
        );
    assert_eq!(c.file.status, sanji_domain::case::CaseStatus::Archived);
    let lives = [(1, c)];
    let amounts = |period: &str| -> Vec<i64> {
        rewards(&refs(&lives), Period::parse(period).unwrap())
            .iter()
            .flat_map(|t| t.lines.iter().map(|l| l.amount))
            .collect()
    };
    assert_eq!(amounts("2026-11"), [50], "November's reward stands");
    assert_eq!(amounts("2026-12"), [-50], "December's deduction");
    assert_eq!(amounts("2026"), [-50, 50]);

    let report = |m: &str, as_of: &str| {
        monthly_report(
            &code(TOWNSHIP),
            month(m),
            &refs(&lives),
            &[],
            &DeadlinePolicy::default(),
            NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap(),
            0,
        )
    };
    let december = report("2026-12", "2026-12-03");
    assert_eq!(december.skip_level_petitions, 1);
    assert_eq!(
        december.cases_covered, 1,
        "the archived case counts in December"
    );
    assert_eq!(report("2026-11", "2026-11-30").skip_level_petitions, 0);
}

/// What happened is counted from the incident ledger, by the month it
/// happened in and the township it happened in: people of mass incidents
/// summed, 民转刑 apart.
#[test]
fn incidents_are_counted_in_the_month_and_township_they_happened_in() {
    use sanji_domain::record::{Incident, IncidentKind, Party};
    use sanji_domain::report::{IncidentCounts, incident_counts};
    let incident = |kind, place: &str, on: &str, people| Incident {
        kind,
        place: code(place),
        occurred_on: NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap(),
        people_involved: people,
        parties: vec![Party {
            name: "何长青".into(),
            contact: None,
        }],
        cause: "界址争议".into(),
        handling: "已劝返".into(),
        screenings: Vec::new(),
        cases: Vec::new(),
    };
    let ledger = [
        incident(IncidentKind::MassIncident, V201, "2026-11-03", 23),
        incident(IncidentKind::MassIncident, TOWNSHIP, "2026-11-30", 40),
        incident(IncidentKind::CriminalConversion, V201, "2026-11-12", 2),
        // October's, and the neighbour township's: not November's here.
        incident(IncidentKind::MassIncident, V201, "2026-10-31", 9),
        incident(IncidentKind::MassIncident, "360123101201", "2026-11-05", 7),
    ];
    assert_eq!(
        incident_counts(&code(TOWNSHIP), month("2026-11"), &ledger),
        IncidentCounts {
            mass_incidents: 2,
            mass_incident_people: 63,
            criminal_conversions: 1
        }
    );
    // A report with one is not a zero report.
    let mut report = report_for(TOWNSHIP, "2026-12", "2026-12-31");
    report.incidents = Some(incident_counts(&code(TOWNSHIP), month("2026-12"), &ledger));
    assert!(report.incidents == Some(IncidentCounts::default()));
    report.incidents = Some(IncidentCounts {
        criminal_conversions: 1,
        ..IncidentCounts::default()
    });
    assert!(!report.is_zero());
}
