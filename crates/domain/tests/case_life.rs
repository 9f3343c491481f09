//! A case's life (扇形工作流程) as a state machine: every status against
//! every step, every step against every role, the assignee's rules, the one
//! extension, reopening, 首问首接 and 一案一档 — and the same rules when the
//! fold meets the steps as events, in any order.

mod common;

use std::collections::BTreeSet;

use common::*;
use sanji_domain::case::{
    ActorRole, AftermathKind, Assignee, CaseFile, CaseStatus, CaseStep, Outcome, Refusal, StepKind,
    roles_for,
};
use sanji_domain::deadline::add_days;
use sanji_domain::event::SignOff;
use sanji_domain::{Entity, EntityState, Event, EventBody, Hlc, Labelled, Origin, fold};

// ------------------------------------------------------------ the fixtures

/// How [`drive_to`] gets there.
#[derive(Debug, Clone, Copy, Default)]
struct Route {
    /// Assign to a member unit (司法所) rather than the case's village.
    unit: bool,
    /// The follow-up finds the dispute flared up again.
    recurred: bool,
}

const UNIT: &str = "司法所";

/// A case driven from Registered to `status` by real steps, dated from
/// 2026-11-20 (registration) a day apart. Assigned by the director (approved
/// at once) except for AwaitingApproval, where the operator assigns.
fn drive_to(status: CaseStatus, route: Route) -> Life {
    use ActorRole::*;
    use CaseStatus as S;
    let mut life = Life::register(case());
    if status == S::Registered {
        return life;
    }
    if status == S::NotAccepted {
        life.step(Operator, TOWNSHIP, "2026-11-21", not_accept());
        return life;
    }
    life.step(Operator, TOWNSHIP, "2026-11-21", accept("2027-01-20"));
    if status == S::Accepted {
        return life;
    }
    let assignment = if route.unit {
        assign_unit(UNIT, "2026-12-20")
    } else {
        assign_village(VILLAGE, "2026-12-20")
    };
    if status == S::AwaitingApproval {
        life.step(Operator, TOWNSHIP, "2026-11-22", assignment);
        return life;
    }
    life.step(Director, TOWNSHIP, "2026-11-22", assignment);
    if status == S::Assigned {
        return life;
    }
    let (assignee, at) = if route.unit {
        (UnitStaff, TOWNSHIP)
    } else {
        (VillageStaff, VILLAGE)
    };
    life.step(assignee, at, "2026-11-23", progress());
    if status == S::InMediation {
        return life;
    }
    life.step(assignee, at, "2026-11-24", resolve(Outcome::Agreement));
    if status == S::Resolved {
        return life;
    }
    life.step(assignee, at, "2026-11-25", feedback());
    if status == S::FeedbackGiven {
        return life;
    }
    let visit = follow_up(route.recurred, !route.recurred, false, false);
    life.step(Operator, TOWNSHIP, "2026-11-26", visit);
    if status == S::FollowedUp {
        return life;
    }
    life.step(Operator, TOWNSHIP, "2026-11-27", archive());
    assert_eq!(status, S::Archived, "every status is reachable");
    life
}

/// A well-formed step of `kind` that fits `file` where it is allowed at all.
fn sample(kind: StepKind, file: &CaseFile) -> CaseStep {
    match kind {
        StepKind::Accept => accept("2027-01-20"),
        StepKind::NotAccept => not_accept(),
        StepKind::Assign => assign_village(OTHER_VILLAGE, "2026-12-25"),
        StepKind::Approve => CaseStep::Approve,
        StepKind::Progress => progress(),
        StepKind::Resolve => resolve(Outcome::Agreement),
        StepKind::Feedback => feedback(),
        StepKind::FollowUp => follow_up_clean(),
        StepKind::Archive => archive(),
        StepKind::Urge => urge(),
        StepKind::Supervise => supervise(),
        StepKind::Extend => {
            let from = file.deadline.unwrap_or(date("2026-12-20"));
            extend(10, &add_days(from, 10).to_string())
        }
        StepKind::Escalate => escalate(),
        StepKind::Reopen => reopen("2027-01-30"),
        StepKind::Aftermath => aftermath(AftermathKind::Petition, "2026-11-30"),
        StepKind::Received => CaseStep::Received {
            accept_by: date("2026-12-10"),
        },
        StepKind::Assist => assist(ASSISTING),
        StepKind::AssistReport => CaseStep::AssistReport {
            unit: ASSISTING.into(),
            note: "已到场核实情况".into(),
        },
        StepKind::Acknowledge => CaseStep::Acknowledge {
            note: "已收到交办单".into(),
        },
        StepKind::Attach => attach("调解协议书"),
    }
}

/// The signed agreement, as a step names it.
fn attach(title: &str) -> CaseStep {
    CaseStep::Attach {
        attachment: sanji_domain::attachment::Attachment {
            title: title.into(),
            name: "协议书.pdf".into(),
            sha256: sanji_domain::attachment::content_hash(title.as_bytes()),
            size: 2_400_000,
        },
    }
}

/// The unit assisting the lead in a joint case (联合调处).
const ASSISTING: &str = "派出所";

fn assist(unit: &str) -> CaseStep {
    CaseStep::Assist {
        unit: unit.into(),
        person: "周警官".into(),
        task: "核实双方说法,维护调解现场秩序".into(),
    }
}

fn labels(kinds: &[StepKind]) -> String {
    if kinds.is_empty() {
        return "无".to_owned();
    }
    kinds
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join("、")
}

/// A refusal says what the case is now and what could be done instead.
fn assert_explains(refusal: &Refusal, file: &CaseFile, what: &str) {
    let text = refusal.to_string();
    assert_eq!(refusal.status, file.status, "{what}");
    assert_eq!(refusal.allowed, file.allowed_steps(), "{what}");
    let state = format!("案件当前状态:{}", file.status.label());
    let allowed = format!("此时可以:{}", labels(&file.allowed_steps()));
    assert!(text.contains(&state), "{what}: {text:?} lacks {state:?}");
    assert!(
        text.contains(&allowed),
        "{what}: {text:?} lacks {allowed:?}"
    );
}

fn set(kinds: &[StepKind]) -> BTreeSet<StepKind> {
    kinds.iter().copied().collect()
}

// ------------------------------------------------------ status × step kind

#[test]
fn every_status_allows_exactly_its_steps() {
    use StepKind::*;
    // The life of DESIGN §3, written out by hand: the open statuses (before
    // resolution) may also be urged, supervised and escalated (once); an
    // assigned case may be extended (once); a case whose last follow-up found
    // the dispute recurred may be reopened.
    // Papers join the file at every stage.
    let on_the_way = [Urge, Supervise, Escalate, Attach];
    let with = |base: &[StepKind], extra: &[StepKind]| {
        let mut all = set(base);
        all.extend(extra);
        all
    };
    let recurred = Route {
        recurred: true,
        ..Route::default()
    };
    let mut extended = drive_to(CaseStatus::InMediation, Route::default());
    extended.step(
        ActorRole::Director,
        TOWNSHIP,
        "2026-11-24",
        extend(10, "2026-12-30"),
    );
    let mut escalated = drive_to(CaseStatus::Assigned, Route::default());
    escalated.step(ActorRole::Operator, TOWNSHIP, "2026-11-23", escalate());
    let table: Vec<(&str, Life, BTreeSet<StepKind>)> = vec![
        (
            "registered",
            drive_to(CaseStatus::Registered, Route::default()),
            with(&[Accept, NotAccept], &on_the_way),
        ),
        (
            "not accepted",
            drive_to(CaseStatus::NotAccepted, Route::default()),
            set(&[Archive, Attach]),
        ),
        (
            "accepted",
            drive_to(CaseStatus::Accepted, Route::default()),
            with(&[Assign], &on_the_way),
        ),
        (
            "awaiting approval",
            drive_to(CaseStatus::AwaitingApproval, Route::default()),
            with(&[Approve, Assign], &on_the_way),
        ),
        (
            "assigned",
            drive_to(CaseStatus::Assigned, Route::default()),
            with(
                &[Progress, Resolve, Assign, Assist, Extend, Acknowledge],
                &on_the_way,
            ),
        ),
        (
            "assigned to a unit",
            drive_to(
                CaseStatus::Assigned,
                Route {
                    unit: true,
                    ..Route::default()
                },
            ),
            with(
                &[Progress, Resolve, Assign, Assist, Extend, Acknowledge],
                &on_the_way,
            ),
        ),
        (
            "in mediation",
            drive_to(CaseStatus::InMediation, Route::default()),
            with(
                &[Progress, Resolve, Assign, Assist, Extend, Acknowledge],
                &on_the_way,
            ),
        ),
        (
            "in mediation, extended once",
            extended,
            with(
                &[Progress, Resolve, Assign, Assist, Acknowledge],
                &on_the_way,
            ),
        ),
        (
            "assigned, escalated once",
            escalated,
            set(&[
                Progress,
                Resolve,
                Assign,
                Assist,
                Extend,
                Urge,
                Supervise,
                Acknowledge,
                Attach,
            ]),
        ),
        (
            "resolved",
            drive_to(CaseStatus::Resolved, Route::default()),
            set(&[Feedback, Attach]),
        ),
        (
            "feedback given",
            drive_to(CaseStatus::FeedbackGiven, Route::default()),
            set(&[FollowUp, Attach]),
        ),
        (
            "followed up, settled",
            drive_to(CaseStatus::FollowedUp, Route::default()),
            set(&[Archive, Aftermath, Attach]),
        ),
        (
            "followed up, recurred",
            drive_to(CaseStatus::FollowedUp, recurred),
            set(&[Archive, Aftermath, Reopen, Attach]),
        ),
        (
            "archived, settled",
            drive_to(CaseStatus::Archived, Route::default()),
            set(&[Aftermath, Attach]),
        ),
        (
            "archived, recurred",
            drive_to(CaseStatus::Archived, recurred),
            set(&[Aftermath, Reopen, Attach]),
        ),
    ];
    let covered: BTreeSet<CaseStatus> = table.iter().map(|(_, l, _)| l.file.status).collect();
    assert_eq!(
        covered,
        CaseStatus::ALL.iter().copied().collect(),
        "the table covers every status"
    );

    let mut failures = Vec::new();
    for (what, life, expected) in &table {
        let file = &life.file;
        if set(&file.allowed_steps()) != *expected {
            failures.push(format!(
                "{what}: allowed_steps {:?}, expected {expected:?}",
                file.allowed_steps()
            ));
        }
        for &kind in StepKind::ALL {
            // The director may take every kind of step a person takes
            // (roles_for says so below), so only the state decides here;
            // the tracker's own steps have their test below.
            if kind.is_automatic() {
                continue;
            }
            let step = sample(kind, file);
            let verdict = file.check(ActorRole::Director, &step, &code(TOWNSHIP));
            let legal = expected.contains(&kind);
            match (&verdict, legal) {
                (Ok(()), true) => {}
                (Err(refusal), false) => {
                    let waiting = file.status == CaseStatus::AwaitingApproval
                        && matches!(
                            kind,
                            StepKind::Progress
                                | StepKind::Resolve
                                | StepKind::Feedback
                                | StepKind::Acknowledge
                        );
                    let reason = if waiting {
                        // Says why the assignee must wait, not just "not now".
                        "分流尚未经中心主任审批".to_owned()
                    } else {
                        format!("此时不能「{}」", kind.label())
                    };
                    if refusal.reason != reason {
                        failures.push(format!("{what}/{kind:?}: reason {:?}", refusal.reason));
                    }
                    assert_explains(refusal, file, &format!("{what}/{kind:?}"));
                }
                (verdict, legal) => failures.push(format!(
                    "{what}/{kind:?}: check gave {verdict:?}, expected legal={legal}"
                )),
            }
            // apply agrees with check, and only a taken step goes on the file.
            let mut after = file.clone();
            let ctx_origin = code(TOWNSHIP);
            let ctx = sanji_domain::case::StepContext {
                author: "刘主任",
                origin: &ctx_origin,
                at: Hlc::new(cst_ms(date("2026-11-28"), 10), 0),
                on: date("2026-11-28"),
            };
            let applied = after.apply(ActorRole::Director, &step, &ctx);
            assert_eq!(
                applied, verdict,
                "{what}/{kind:?}: apply and check disagree"
            );
            let grew = after.file.len() - file.file.len();
            assert_eq!(grew, usize::from(legal), "{what}/{kind:?}: file entries");
            if !legal {
                assert_eq!(
                    after, *file,
                    "{what}/{kind:?}: a refused step changes nothing"
                );
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn an_archived_case_refuses_everything_but_what_is_found_after_it_and_says_so() {
    let life = drive_to(CaseStatus::Archived, Route::default());
    let refusal = life
        .file
        .check(ActorRole::Director, &urge(), &code(TOWNSHIP))
        .unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "此时不能「催办」(案件当前状态:已归档;此时可以:登记回访后的上访或反复、上传附件)"
    );
    let refusal = life
        .file
        .check(ActorRole::Operator, &accept("2027-01-20"), &code(TOWNSHIP))
        .unwrap_err();
    assert!(refusal.to_string().contains("案件当前状态:已归档"));
}

#[test]
fn a_registered_case_lists_what_may_be_done() {
    let life = drive_to(CaseStatus::Registered, Route::default());
    let refusal = life
        .file
        .check(
            ActorRole::Operator,
            &assign_village(VILLAGE, "2026-12-20"),
            &code(TOWNSHIP),
        )
        .unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "此时不能「分流交办」(案件当前状态:待受理;此时可以:受理、不予受理、催办、督办、上报县级、上传附件)"
    );
}

// ------------------------------------------------------ step kind × role

/// Who may take each kind of step, by hand from the township's documents:
/// the hub (operator, director) runs the case; only the director approves a
/// dispatch or an extension (经中心主任批准); whoever handles the case records
/// its mediation, result, feedback and follow-up; urges and supervision also
/// come from the county and the hub's deadline tracker.
fn roles_by_hand(kind: StepKind) -> &'static [ActorRole] {
    use ActorRole::*;
    match kind {
        StepKind::Accept
        | StepKind::NotAccept
        | StepKind::Assign
        | StepKind::Archive
        | StepKind::Escalate
        | StepKind::Reopen
        | StepKind::Aftermath => &[Operator, Director],
        StepKind::Approve | StepKind::Extend => &[Director],
        StepKind::Progress | StepKind::Resolve | StepKind::Feedback | StepKind::FollowUp => {
            &[Operator, Director, UnitStaff, VillageStaff]
        }
        StepKind::Urge | StepKind::Supervise => &[Operator, Director, County, System],
        StepKind::Received => &[System],
        // The hub brings in an assisting unit; its staff say what they did.
        StepKind::Assist => &[Operator, Director],
        StepKind::AssistReport => &[Operator, Director, UnitStaff],
        // The notice's 回执: signed by whoever handles the case, or brought
        // back on paper to the center.
        StepKind::Acknowledge => &[Operator, Director, UnitStaff, VillageStaff],
        // Whoever works the case files its papers.
        StepKind::Attach => &[Operator, Director, UnitStaff, VillageStaff],
    }
}

/// A case in which `kind` is allowed, handled by the unit when the unit's
/// staff are the ones asking, by the village otherwise.
fn state_allowing(kind: StepKind, role: ActorRole) -> Life {
    let route = Route {
        unit: role == ActorRole::UnitStaff,
        recurred: kind == StepKind::Reopen,
    };
    let status = match kind {
        StepKind::Accept | StepKind::NotAccept | StepKind::Received => CaseStatus::Registered,
        StepKind::Assign | StepKind::Urge | StepKind::Supervise | StepKind::Escalate => {
            CaseStatus::Accepted
        }
        StepKind::Approve => CaseStatus::AwaitingApproval,
        StepKind::Progress
        | StepKind::Resolve
        | StepKind::Extend
        | StepKind::Assist
        | StepKind::AssistReport
        | StepKind::Acknowledge
        | StepKind::Attach => CaseStatus::Assigned,
        StepKind::Feedback => CaseStatus::Resolved,
        StepKind::FollowUp => CaseStatus::FeedbackGiven,
        StepKind::Archive | StepKind::Reopen | StepKind::Aftermath => CaseStatus::FollowedUp,
    };
    let mut life = drive_to(status, route);
    if kind == StepKind::AssistReport {
        life.step(
            ActorRole::Director,
            TOWNSHIP,
            "2026-11-22",
            assist(ASSISTING),
        );
    }
    assert!(
        life.file.allowed_steps().contains(&kind) || life.file.automatic_steps().contains(&kind),
        "{kind:?}"
    );
    life
}

#[test]
fn roles_for_matches_the_rules() {
    for &kind in StepKind::ALL {
        assert_eq!(
            set_roles(roles_for(kind)),
            set_roles(roles_by_hand(kind)),
            "{kind:?}"
        );
    }
}

fn set_roles(roles: &[ActorRole]) -> BTreeSet<ActorRole> {
    roles.iter().copied().collect()
}

#[test]
fn every_role_is_allowed_exactly_its_steps() {
    let mut failures = Vec::new();
    for &kind in StepKind::ALL {
        for &role in ActorRole::ALL {
            let life = state_allowing(kind, role);
            let file = &life.file;
            let step = sample(kind, file);
            let verdict = file.check(role, &step, &origin_of(role));
            let may = roles_by_hand(kind).contains(&role);
            match (verdict, may) {
                (Ok(()), true) => {}
                (Err(refusal), false) => {
                    let who: Vec<&str> = roles_for(kind).iter().map(|r| r.label()).collect();
                    let reason = format!(
                        "「{}」须由{}进行,{}无权办理",
                        kind.label(),
                        who.join("或"),
                        role.label()
                    );
                    if refusal.reason != reason {
                        failures.push(format!(
                            "{kind:?} by {role:?}: reason {:?}, expected {reason:?}",
                            refusal.reason
                        ));
                    }
                    assert_explains(&refusal, file, &format!("{kind:?} by {role:?}"));
                }
                (verdict, may) => failures.push(format!(
                    "{kind:?} by {role:?}: got {verdict:?}, expected allowed={may}"
                )),
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// What a form offers (`steps_for`) is exactly what `check` then allows:
/// every status, both routes, every role from its own tier, and a
/// village's staff from another village too.
#[test]
fn the_steps_offered_are_the_steps_check_allows() {
    let mut failures = Vec::new();
    for &status in CaseStatus::ALL {
        for unit in [false, true] {
            let life = drive_to(
                status,
                Route {
                    unit,
                    recurred: true,
                },
            );
            let file = &life.file;
            for &role in ActorRole::ALL {
                let mut origins = vec![origin_of(role)];
                if role == ActorRole::VillageStaff {
                    origins.push(code(OTHER_VILLAGE));
                }
                for origin in origins {
                    let offered = file.steps_for(role, &origin);
                    for &kind in &file.allowed_steps() {
                        let allowed = file.check(role, &sample(kind, file), &origin).is_ok();
                        if offered.contains(&kind) != allowed {
                            failures.push(format!(
                                "{status:?} unit={unit} {kind:?} by {role:?} at {origin}: offered={}, check={allowed}",
                                offered.contains(&kind)
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // The assigned village is offered its mediation steps, another is not.
    let mediation = drive_to(CaseStatus::InMediation, Route::default());
    let own = mediation
        .file
        .steps_for(ActorRole::VillageStaff, &code(VILLAGE));
    assert_eq!(
        set(&own),
        set(&[
            StepKind::Progress,
            StepKind::Resolve,
            StepKind::Acknowledge,
            StepKind::Attach
        ])
    );
    let other = mediation
        .file
        .steps_for(ActorRole::VillageStaff, &code(OTHER_VILLAGE));
    assert!(other.is_empty(), "{other:?}");
}

#[test]
fn only_the_director_approves_and_extends() {
    let waiting = drive_to(CaseStatus::AwaitingApproval, Route::default());
    let refusal = waiting
        .file
        .check(ActorRole::Operator, &CaseStep::Approve, &code(TOWNSHIP))
        .unwrap_err();
    assert!(refusal.reason.contains("中心主任"), "{refusal}");
    assert!(refusal.reason.contains("总台无权办理"), "{refusal}");

    let assigned = drive_to(CaseStatus::Assigned, Route::default());
    let refusal = assigned
        .file
        .check(
            ActorRole::Operator,
            &extend(10, "2026-12-30"),
            &code(TOWNSHIP),
        )
        .unwrap_err();
    assert_eq!(refusal.reason, "「延期」须由中心主任进行,总台无权办理");
}

// ------------------------------------------------------ the assignee's rules

#[test]
fn the_assigned_villages_staff_work_the_case() {
    use ActorRole::*;
    let mut life = drive_to(CaseStatus::Assigned, Route::default());
    life.step(VillageStaff, VILLAGE, "2026-11-23", progress());
    life.step(
        VillageStaff,
        VILLAGE,
        "2026-11-24",
        resolve(Outcome::Agreement),
    );
    life.step(VillageStaff, VILLAGE, "2026-11-25", feedback());
    assert_eq!(life.file.status, CaseStatus::FeedbackGiven);
    // The village's own station may also follow its case up.
    life.step(VillageStaff, VILLAGE, "2026-11-26", follow_up_clean());
    assert_eq!(life.file.status, CaseStatus::FollowedUp);
}

#[test]
fn another_villages_staff_are_refused() {
    let mediation = drive_to(CaseStatus::InMediation, Route::default());
    let resolved = drive_to(CaseStatus::Resolved, Route::default());
    for (file, step) in [
        (&mediation.file, progress()),
        (&mediation.file, resolve(Outcome::Agreement)),
        (&resolved.file, feedback()),
    ] {
        let refusal = file
            .check(ActorRole::VillageStaff, &step, &code(OTHER_VILLAGE))
            .unwrap_err();
        assert_eq!(
            refusal.reason,
            format!("本案未交办给 {OTHER_VILLAGE} 村工作站"),
            "{step:?}"
        );
        assert!(refusal.reason.contains("未交办给"));
        assert_explains(&refusal, file, "another village");
    }
    // Nor may a village with nothing to do with the case follow it up.
    let given = drive_to(CaseStatus::FeedbackGiven, Route::default());
    let refusal = given
        .file
        .check(
            ActorRole::VillageStaff,
            &follow_up_clean(),
            &code(OTHER_VILLAGE),
        )
        .unwrap_err();
    assert!(refusal.reason.contains("无关"), "{refusal}");
}

#[test]
fn unit_staff_work_only_cases_assigned_to_a_unit() {
    use ActorRole::*;
    let at_village = drive_to(CaseStatus::InMediation, Route::default());
    let refusal = at_village
        .file
        .check(UnitStaff, &progress(), &code(TOWNSHIP))
        .unwrap_err();
    assert_eq!(refusal.reason, "本案未交办给成员单位");

    let unit = Route {
        unit: true,
        ..Route::default()
    };
    let mut at_unit = drive_to(CaseStatus::Assigned, unit);
    // The village where the dispute arose is not the handler now.
    let refusal = at_unit
        .file
        .check(VillageStaff, &progress(), &code(VILLAGE))
        .unwrap_err();
    assert!(refusal.reason.contains("未交办给"), "{refusal}");
    at_unit.step(UnitStaff, TOWNSHIP, "2026-11-23", progress());
    at_unit.step(
        UnitStaff,
        TOWNSHIP,
        "2026-11-24",
        resolve(Outcome::Litigation),
    );
    at_unit.step(UnitStaff, TOWNSHIP, "2026-11-25", feedback());
    let resolution = at_unit.file.resolution.as_ref().unwrap();
    assert_eq!(
        resolution.handler,
        Some(Assignee::Unit { name: UNIT.into() })
    );
    assert_eq!(resolution.by, author_of(UnitStaff));
}

#[test]
fn nobody_works_an_assignment_before_the_director_approves_it() {
    use ActorRole::*;
    let mut life = drive_to(CaseStatus::AwaitingApproval, Route::default());
    let assignment = life.file.assignment.clone().unwrap();
    assert_eq!(assignment.assigned_by, author_of(Operator));
    assert_eq!(assignment.approved_by, None);
    for role in [Operator, Director, UnitStaff, VillageStaff] {
        for step in [progress(), resolve(Outcome::Agreement), feedback()] {
            let refusal = life.file.check(role, &step, &origin_of(role)).unwrap_err();
            assert_eq!(
                refusal.reason, "分流尚未经中心主任审批",
                "{role:?} {step:?}"
            );
            assert!(
                refusal.to_string().contains("案件当前状态:分流待审批"),
                "{refusal}"
            );
        }
    }
    life.step(Director, TOWNSHIP, "2026-11-23", CaseStep::Approve);
    assert_eq!(life.file.status, CaseStatus::Assigned);
    let assignment = life.file.assignment.clone().unwrap();
    assert_eq!(assignment.approved_by.as_deref(), Some(author_of(Director)));
    assert_eq!(assignment.assigned_by, author_of(Operator));
    life.step(VillageStaff, VILLAGE, "2026-11-24", progress());
}

#[test]
fn an_operators_reassignment_waits_for_approval_again() {
    use ActorRole::*;
    let mut life = drive_to(CaseStatus::InMediation, Route::default());
    life.step(
        Operator,
        TOWNSHIP,
        "2026-11-24",
        assign_village(OTHER_VILLAGE, "2026-12-24"),
    );
    assert_eq!(life.file.status, CaseStatus::AwaitingApproval);
    assert_eq!(life.file.past_villages, [code(VILLAGE)]);
    let refusal = life
        .file
        .check(VillageStaff, &progress(), &code(OTHER_VILLAGE))
        .unwrap_err();
    assert_eq!(refusal.reason, "分流尚未经中心主任审批");
}

#[test]
fn a_directors_assignment_is_approved_at_once() {
    let life = drive_to(CaseStatus::Assigned, Route::default());
    assert_eq!(life.file.status, CaseStatus::Assigned);
    let assignment = life.file.assignment.as_ref().unwrap();
    assert_eq!(assignment.assigned_by, "刘主任");
    assert_eq!(assignment.approved_by.as_deref(), Some("刘主任"));
    assert_eq!(assignment.deadline, date("2026-12-20"));
    assert_eq!(life.file.deadline, Some(date("2026-12-20")));
    assert_eq!(life.file.assigned_village(), Some(&code(VILLAGE)));
}

#[test]
fn a_village_outside_the_township_cannot_be_assigned() {
    let life = drive_to(CaseStatus::Accepted, Route::default());
    let refusal = life
        .file
        .check(
            ActorRole::Director,
            &assign_village(FOREIGN_VILLAGE, "2026-12-20"),
            &code(TOWNSHIP),
        )
        .unwrap_err();
    assert_eq!(
        refusal.reason,
        format!("{FOREIGN_VILLAGE} 不在 {TOWNSHIP} 辖区内")
    );
}

// ------------------------------------------------------ extension

#[test]
fn a_case_is_extended_once_to_exactly_its_deadline_plus_the_days() {
    use ActorRole::*;
    let mut life = drive_to(CaseStatus::InMediation, Route::default());
    assert_eq!(life.file.deadline, Some(date("2026-12-20")));
    // 2026-12-20 + 15 = 2027-01-04: a new deadline other than that is refused.
    for wrong in ["2027-01-03", "2027-01-05", "2026-12-20"] {
        let refusal = life
            .try_step(Director, TOWNSHIP, "2026-11-24", extend(15, wrong))
            .unwrap_err();
        assert_eq!(refusal.reason, "新期限应为 2026-12-20 加 15 天", "{wrong}");
    }
    life.step(Director, TOWNSHIP, "2026-11-24", extend(15, "2027-01-04"));
    assert_eq!(life.file.deadline, Some(date("2027-01-04")));
    assert_eq!(
        life.file.assignment.as_ref().unwrap().deadline,
        date("2027-01-04")
    );
    let (days, reason) = life.file.extended.clone().unwrap();
    assert_eq!(days, 15);
    assert!(!reason.is_empty());
    assert_eq!(life.file.status, CaseStatus::InMediation);

    let refusal = life
        .try_step(Director, TOWNSHIP, "2026-11-25", extend(5, "2027-01-09"))
        .unwrap_err();
    assert_eq!(refusal.reason, "此时不能「延期」");
    assert!(!refusal.allowed.contains(&StepKind::Extend));
    assert_eq!(life.file.deadline, Some(date("2027-01-04")));
}

// ------------------------------------------------------ reopening

#[test]
fn only_a_recurred_case_reopens() {
    for status in [CaseStatus::FollowedUp, CaseStatus::Archived] {
        let settled = drive_to(status, Route::default());
        let refusal = settled
            .file
            .check(ActorRole::Operator, &reopen("2027-01-30"), &code(TOWNSHIP))
            .unwrap_err();
        assert_eq!(refusal.reason, "此时不能「重新办理」", "{status:?}");
    }
    // Not before the follow-up either, however the case went.
    for status in [
        CaseStatus::Accepted,
        CaseStatus::InMediation,
        CaseStatus::Resolved,
        CaseStatus::FeedbackGiven,
    ] {
        let life = drive_to(status, Route::default());
        assert!(
            life.file
                .check(ActorRole::Operator, &reopen("2027-01-30"), &code(TOWNSHIP))
                .is_err(),
            "{status:?}"
        );
    }
}

#[test]
fn reopening_clears_the_handling_and_remembers_the_village() {
    use ActorRole::*;
    let recurred = Route {
        recurred: true,
        ..Route::default()
    };
    for status in [CaseStatus::FollowedUp, CaseStatus::Archived] {
        let mut life = drive_to(status, recurred);
        life.step(Operator, TOWNSHIP, "2026-11-28", reopen("2027-01-30"));
        let file = &life.file;
        assert_eq!(file.status, CaseStatus::Accepted, "{status:?}");
        assert_eq!(file.assignment, None);
        assert_eq!(file.resolution, None);
        assert_eq!(file.archived_on, None);
        assert_eq!(file.extended, None);
        assert_eq!(file.deadline, Some(date("2027-01-30")));
        assert_eq!(file.reopened, 1);
        assert_eq!(file.past_villages, [code(VILLAGE)]);
        // The follow-up that found the recurrence stays on the file.
        assert_eq!(file.follow_ups.len(), 1);
        assert!(file.follow_ups[0].recurred);
        assert_eq!(set(&file.allowed_steps()), {
            use StepKind::*;
            set(&[Assign, Urge, Supervise, Escalate, Attach])
        });
        // Worked again, by another village this time.
        life.step(
            Director,
            TOWNSHIP,
            "2026-11-29",
            assign_village(OTHER_VILLAGE, "2026-12-29"),
        );
        assert_eq!(life.file.past_villages, [code(VILLAGE)]);
        assert_eq!(life.file.assigned_village(), Some(&code(OTHER_VILLAGE)));
        let refusal = life
            .try_step(VillageStaff, VILLAGE, "2026-11-30", progress())
            .unwrap_err();
        assert!(refusal.reason.contains("未交办给"));
    }
}

// ------------------------------------------------------ 首问首接, 一案一档, late

#[test]
fn the_first_receiver_stays_responsible_and_every_step_is_on_the_file() {
    use ActorRole::*;
    let registration = case();
    let mut life = Life::register(registration.clone());
    let registered_by = life.file.registered_by.clone();
    let registered_at = life.file.registered_at;
    let steps: Vec<(ActorRole, &str, &str, CaseStep)> = vec![
        (Operator, TOWNSHIP, "2026-11-20", urge()),
        (Operator, TOWNSHIP, "2026-11-21", accept("2027-01-20")),
        (
            Operator,
            TOWNSHIP,
            "2026-11-22",
            assign_unit(UNIT, "2026-12-10"),
        ),
        (
            Director,
            TOWNSHIP,
            "2026-11-22",
            assign_village(VILLAGE, "2026-12-20"),
        ),
        (VillageStaff, VILLAGE, "2026-11-23", progress()),
        (County, COUNTY, "2026-11-24", supervise()),
        (Director, TOWNSHIP, "2026-11-25", extend(10, "2026-12-30")),
        (Operator, TOWNSHIP, "2026-11-26", escalate()),
        (System, TOWNSHIP, "2026-11-27", urge()),
        (
            Operator,
            TOWNSHIP,
            "2026-11-28",
            assign_village(OTHER_VILLAGE, "2026-12-30"),
        ),
        (Director, TOWNSHIP, "2026-11-28", CaseStep::Approve),
        (VillageStaff, OTHER_VILLAGE, "2026-11-29", progress()),
        (
            VillageStaff,
            OTHER_VILLAGE,
            "2026-12-01",
            resolve(Outcome::Agreement),
        ),
        (VillageStaff, OTHER_VILLAGE, "2026-12-02", feedback()),
        (
            VillageStaff,
            VILLAGE,
            "2026-12-10",
            follow_up(true, false, false, false),
        ),
        (Operator, TOWNSHIP, "2026-12-11", archive()),
        (Director, TOWNSHIP, "2026-12-12", reopen("2027-02-10")),
        (
            Director,
            TOWNSHIP,
            "2026-12-12",
            assign_unit(UNIT, "2027-01-15"),
        ),
        (
            UnitStaff,
            TOWNSHIP,
            "2026-12-20",
            resolve(Outcome::Withdrawn),
        ),
    ];
    for (i, (role, origin, day, step)) in steps.into_iter().enumerate() {
        let kind = step.kind();
        // A step refused on the way (the county may never accept a case)
        // changes neither the file nor its record.
        let before = life.file.clone();
        let refused = life.try_step(County, COUNTY, day, accept("2027-01-20"));
        assert!(refused.is_err(), "before step {i}");
        assert_eq!(life.file, before, "a refused step before step {i}");
        life.step(role, origin, day, step);
        let file = &life.file;
        assert_eq!(file.registration, registration, "after step {i} ({kind:?})");
        assert_eq!(file.registration.first_receiver, "陈芳");
        assert_eq!(file.registration.first_unit, "村综治信访维稳工作站");
        assert_eq!(file.registered_by, registered_by);
        assert_eq!(file.registered_at, registered_at);
        assert_eq!(file.file.len(), i + 1, "one entry per step");
        let entry = file.file.last().unwrap();
        assert_eq!(entry.step, kind);
        assert_eq!(entry.role, role);
        assert_eq!(entry.by, author_of(role));
        assert_eq!(
            crate_cst_date(entry.at.wall_ms),
            date(day),
            "entry {i} dated by its stamp"
        );
        assert!(!entry.text.is_empty());
    }
    let file = &life.file;
    assert_eq!(file.status, CaseStatus::Resolved);
    assert_eq!(file.reopened, 1);
    assert_eq!(file.urges.len(), 2);
    assert_eq!(file.urges[1].role, System);
    assert_eq!(file.supervisions.len(), 1);
    assert_eq!(file.supervisions[0].role, County);
    assert_eq!(file.escalated.as_ref().unwrap().by, author_of(Operator));
    assert_eq!(file.past_villages, [code(VILLAGE), code(OTHER_VILLAGE)]);
    // Entries are in the order taken, stamps increasing.
    assert!(file.file.windows(2).all(|w| w[0].at < w[1].at));
}

fn crate_cst_date(ms: u64) -> chrono::NaiveDate {
    sanji_domain::time::cst_date(ms)
}

#[test]
fn a_resolution_after_the_running_deadline_is_late() {
    use ActorRole::*;
    // Deadline 2026-12-20: resolved that day is on time, the day after late.
    for (day, late) in [
        ("2026-12-19", false),
        ("2026-12-20", false),
        ("2026-12-21", true),
    ] {
        let mut life = drive_to(CaseStatus::InMediation, Route::default());
        life.step(VillageStaff, VILLAGE, day, resolve(Outcome::Agreement));
        let resolution = life.file.resolution.as_ref().unwrap();
        assert_eq!(resolution.late, late, "resolved {day}");
        assert_eq!(resolution.on, date(day));
        assert_eq!(
            resolution.handler,
            Some(Assignee::Village {
                code: code(VILLAGE)
            })
        );
        assert_eq!(life.file.deadline, None, "no deadline runs once resolved");
    }
    // An extension moves the deadline that counts.
    let mut life = drive_to(CaseStatus::InMediation, Route::default());
    life.step(Director, TOWNSHIP, "2026-12-18", extend(10, "2026-12-30"));
    life.step(
        VillageStaff,
        VILLAGE,
        "2026-12-28",
        resolve(Outcome::Agreement),
    );
    assert!(!life.file.resolution.as_ref().unwrap().late);
}

// ------------------------------------------------------ through the fold

fn hub() -> Origin {
    township_origin()
}

fn station() -> Origin {
    village_origin()
}

fn case_entity() -> uuid::Uuid {
    v7(cst_ms(date("2026-11-20"), 9), 0xCA5E)
}

/// Stamps a day apart from 2026-11-20, 10:00 CST.
fn day_stamp(day: u64) -> Hlc {
    Hlc::new(cst_ms(date("2026-11-20"), 10) + day * DAY_MS, 0)
}

/// A case's whole life as the hub and the village station write it.
fn life_events() -> Vec<Event> {
    use ActorRole::*;
    let id = case_entity();
    let registered = event(
        hub(),
        1,
        Hlc::new(cst_ms(date("2026-11-20"), 9), 0),
        id,
        EventBody::CaseRegistered(case()),
    );
    vec![
        registered,
        step_event(hub(), 2, day_stamp(1), id, Operator, accept("2027-01-20")),
        step_event(
            hub(),
            3,
            day_stamp(2),
            id,
            Operator,
            assign_village(VILLAGE, "2026-12-20"),
        ),
        step_event(hub(), 4, day_stamp(3), id, Director, CaseStep::Approve),
        step_event(station(), 1, day_stamp(4), id, VillageStaff, progress()),
        step_event(hub(), 5, day_stamp(5), id, Operator, urge()),
        step_event(
            station(),
            2,
            day_stamp(6),
            id,
            VillageStaff,
            resolve(Outcome::Agreement),
        ),
        step_event(station(), 3, day_stamp(7), id, VillageStaff, feedback()),
        step_event(hub(), 6, day_stamp(8), id, Operator, follow_up_clean()),
        step_event(hub(), 7, day_stamp(9), id, Operator, archive()),
    ]
}

/// A deterministic shuffle (xorshift, Fisher–Yates).
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut out = items.to_vec();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..out.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.swap(i, (x % (i as u64 + 1)) as usize);
    }
    out
}

fn case_of(entity: &Entity) -> &CaseFile {
    match &entity.state {
        EntityState::Case(file) => file,
        other => panic!("not a case: {other:?}"),
    }
}

#[test]
fn the_life_folds_the_same_in_any_order() {
    let events = life_events();
    for event in &events {
        assert_eq!(event.validate(), Ok(()), "{}", event.event_ref());
    }
    let expected = fold(&events).unwrap();
    let file = case_of(&expected);
    assert!(expected.conflicts.is_empty(), "{:?}", expected.conflicts);
    assert_eq!(file.status, CaseStatus::Archived);
    assert_eq!(file.file.len(), events.len() - 1, "one entry per step");
    assert_eq!(file.registration.first_receiver, "陈芳");
    assert_eq!(file.registered_by, "李明");
    let roles: Vec<ActorRole> = file.file.iter().map(|e| e.role).collect();
    use ActorRole::*;
    assert_eq!(
        roles,
        [
            Operator,
            Operator,
            Director,
            VillageStaff,
            Operator,
            VillageStaff,
            VillageStaff,
            Operator,
            Operator
        ]
    );
    assert_eq!(file.file[3].by, "陈芳");
    let resolution = file.resolution.as_ref().unwrap();
    assert_eq!(resolution.on, date("2026-11-26"));
    assert!(!resolution.late);

    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(fold(&reversed).unwrap(), expected, "reversed");
    for seed in 1..=200 {
        let order = shuffled(&events, seed);
        assert_eq!(fold(&order).unwrap(), expected, "shuffle {seed}");
    }
    // A duplicate delivery is counted once.
    let mut doubled = events.clone();
    doubled.extend(shuffled(&events, 7));
    assert_eq!(fold(&doubled).unwrap(), expected);
}

#[test]
fn a_stations_step_after_the_case_was_taken_away_is_a_conflict_kept_with_its_reason() {
    use ActorRole::*;
    let id = case_entity();
    let events = vec![
        event(
            hub(),
            1,
            Hlc::new(cst_ms(date("2026-11-20"), 9), 0),
            id,
            EventBody::CaseRegistered(case()),
        ),
        step_event(hub(), 2, day_stamp(1), id, Operator, accept("2027-01-20")),
        step_event(
            hub(),
            3,
            day_stamp(2),
            id,
            Director,
            assign_village(VILLAGE, "2026-12-20"),
        ),
        step_event(station(), 1, day_stamp(3), id, VillageStaff, progress()),
        // The director hands it to 司法所 while the station is offline ...
        step_event(
            hub(),
            4,
            day_stamp(4),
            id,
            Director,
            assign_unit(UNIT, "2026-12-20"),
        ),
        // ... and the station, not yet knowing, records more progress later.
        step_event(station(), 2, day_stamp(5), id, VillageStaff, progress()),
    ];
    let late = events.last().unwrap().clone();
    let expected = fold(&events).unwrap();
    for seed in 1..=50 {
        assert_eq!(fold(&shuffled(&events, seed)).unwrap(), expected, "{seed}");
    }
    assert_eq!(
        expected.events, 6,
        "the conflicting event is counted, not dropped"
    );
    assert_eq!(expected.conflicts.len(), 1);
    let conflict = &expected.conflicts[0];
    assert_eq!(conflict.event, late.event_ref());
    assert_eq!(conflict.author, "陈芳");
    assert_eq!(conflict.hlc, late.hlc);
    assert!(
        conflict
            .reason
            .contains(&format!("本案未交办给 {VILLAGE} 村工作站")),
        "{}",
        conflict.reason
    );
    assert!(
        conflict.reason.contains("案件当前状态:已交办"),
        "{}",
        conflict.reason
    );
    let file = case_of(&expected);
    assert_eq!(file.status, CaseStatus::Assigned);
    assert_eq!(
        file.assignment.as_ref().unwrap().assignee,
        Assignee::Unit { name: UNIT.into() }
    );
    assert_eq!(file.past_villages, [code(VILLAGE)]);
    // Only the steps that applied are on the file.
    assert_eq!(file.file.len(), 4);
}

#[test]
fn a_step_whose_role_does_not_match_its_origin_tier_is_invalid() {
    use ActorRole::*;
    let id = case_entity();
    let at = Hlc::new(NOW_MS, 0);
    let rows = [
        (township_origin(), VillageStaff, progress(), false),
        (village_origin(), Operator, accept("2027-01-20"), false),
        (village_origin(), Director, CaseStep::Approve, false),
        (village_origin(), UnitStaff, progress(), false),
        (township_origin(), County, supervise(), false),
        (Origin::node(code(COUNTY)), Operator, urge(), false),
        (outbox_origin(), Operator, urge(), false),
        (village_origin(), VillageStaff, progress(), true),
        (township_origin(), Operator, accept("2027-01-20"), true),
        (township_origin(), UnitStaff, progress(), true),
        (township_origin(), System, urge(), true),
        (Origin::node(code(COUNTY)), County, supervise(), true),
    ];
    for (origin, role, step, valid) in rows {
        let what = format!("{role:?} from {origin}");
        let e = step_event(origin, 2, at, id, role, step);
        match e.validate() {
            Ok(()) => assert!(valid, "{what}: accepted"),
            Err(err) => {
                assert!(!valid, "{what}: refused {err}");
                assert_eq!(err.field, "origin", "{what}");
                assert!(err.rule.contains("case_stepped"), "{what}: {err}");
            }
        }
    }
}

#[test]
fn only_the_director_signs_a_screening_off() {
    let sign = |role: ActorRole| {
        event(
            township_origin(),
            2,
            Hlc::new(NOW_MS + HOUR_MS, 0),
            screening_entity(),
            EventBody::ScreeningSignedOff(SignOff {
                role,
                note: "已阅,请司法所跟进".into(),
                signed_at: None,
            }),
        )
    };
    assert_eq!(sign(ActorRole::Director).validate(), Ok(()));
    for role in [
        ActorRole::Operator,
        ActorRole::UnitStaff,
        ActorRole::County,
        ActorRole::System,
        ActorRole::VillageStaff,
    ] {
        let err = sign(role).validate().unwrap_err();
        assert_eq!(err.field, "payload.data.role", "{role:?}");
        assert!(err.rule.contains("中心主任"), "{role:?}: {err}");
        assert!(err.rule.contains(role.label()), "{role:?}: {err}");
    }
}

#[test]
fn the_township_fixes_the_acceptance_deadline_once_on_receipt_and_nobody_else_can() {
    let life = drive_to(CaseStatus::Registered, Route::default());
    let file = &life.file;
    assert_eq!(file.deadline, None, "a registration carries no deadline");
    assert_eq!(file.automatic_steps(), vec![StepKind::Received]);
    assert!(!file.allowed_steps().contains(&StepKind::Received));
    let received = CaseStep::Received {
        accept_by: date("2026-12-05"),
    };
    for &role in ActorRole::ALL {
        let verdict = file.check(role, &received, &origin_of(role));
        if role == ActorRole::System {
            assert_eq!(verdict, Ok(()));
        } else {
            let refusal = verdict.expect_err("only the tracker fixes it");
            assert!(
                !refusal.allowed.contains(&StepKind::Received),
                "never offered to {role:?}"
            );
        }
    }
    let mut life = life;
    life.step(ActorRole::System, TOWNSHIP, "2026-11-20", received.clone());
    assert_eq!(life.file.deadline, Some(date("2026-12-05")));
    assert_eq!(life.file.status, CaseStatus::Registered);
    assert!(
        life.file
            .file
            .last()
            .is_some_and(|e| e.text.contains("受理期限 2026-12-05")),
        "the case file says so"
    );
    assert!(life.file.automatic_steps().is_empty());
    let again = life
        .file
        .check(ActorRole::System, &received, &code(TOWNSHIP))
        .expect_err("fixed once");
    assert_eq!(again.reason, "此时不能「收到登记」");
}

// ------------------------------------------------------ after the follow-up

#[test]
fn a_recurrence_found_after_archiving_lets_the_case_reopen_until_the_next_follow_up() {
    use ActorRole::*;
    let mut life = drive_to(CaseStatus::Archived, Route::default());
    assert!(!life.file.allowed_steps().contains(&StepKind::Reopen));
    life.step(
        Operator,
        TOWNSHIP,
        "2026-12-01",
        aftermath(AftermathKind::Recurrence, "2026-11-30"),
    );
    // Recorded, not acted on: still archived, now reopenable.
    assert_eq!(life.file.status, CaseStatus::Archived);
    assert_eq!(life.file.aftermath.len(), 1);
    assert_eq!(life.file.aftermath[0].by, life.file.file.last().unwrap().by);
    assert!(life.file.recurred());
    assert!(
        life.file
            .file
            .last()
            .unwrap()
            .text
            .contains("2026-11-30 吴春生矛盾反复"),
        "{:?}",
        life.file.file.last()
    );
    life.step(Operator, TOWNSHIP, "2026-12-01", reopen("2027-01-30"));
    assert_eq!(life.file.status, CaseStatus::Accepted);
    // Worked again and followed up clean: the old recurrence reopens nothing more.
    life.step(
        Director,
        TOWNSHIP,
        "2026-12-02",
        assign_village(VILLAGE, "2026-12-29"),
    )
    .step(VillageStaff, VILLAGE, "2026-12-03", progress())
    .step(
        VillageStaff,
        VILLAGE,
        "2026-12-04",
        resolve(Outcome::Agreement),
    )
    .step(VillageStaff, VILLAGE, "2026-12-05", feedback())
    .step(Operator, TOWNSHIP, "2026-12-06", follow_up_clean());
    assert!(!life.file.recurred());
    assert!(!life.file.allowed_steps().contains(&StepKind::Reopen));
}

#[test]
fn an_aftermath_is_refused_before_the_follow_up_and_to_whoever_is_not_the_center() {
    use ActorRole::*;
    let resolved = drive_to(CaseStatus::Resolved, Route::default());
    let refusal = resolved
        .file
        .check(
            Operator,
            &aftermath(AftermathKind::Petition, "2026-11-25"),
            &code(TOWNSHIP),
        )
        .unwrap_err();
    assert!(refusal.to_string().contains("此时不能"), "{refusal}");
    let archived = drive_to(CaseStatus::Archived, Route::default());
    for role in [UnitStaff, VillageStaff, County] {
        assert!(
            archived
                .file
                .check(
                    role,
                    &aftermath(AftermathKind::Petition, "2026-11-30"),
                    &origin_of(role)
                )
                .is_err(),
            "{role:?}"
        );
    }
    // A petition must say where it went.
    let nowhere = CaseStep::Aftermath {
        kind: AftermathKind::Petition,
        on: date("2026-11-30"),
        who: "吴春生".into(),
        taken_to: String::new(),
        note: String::new(),
    };
    assert_eq!(nowhere.validate().unwrap_err().field, "taken_to");
}

// ------------------------------------------------------------ joint handling

#[test]
fn a_joint_case_has_a_lead_and_assisting_units_each_with_its_task() {
    use ActorRole::*;
    let unit = Route {
        unit: true,
        ..Route::default()
    };
    let mut life = drive_to(CaseStatus::Assigned, unit);
    assert!(!life.file.is_joint());
    // The lead cannot assist itself, nor report as an assisting unit.
    let refused = life
        .try_step(Director, TOWNSHIP, "2026-11-22", assist(UNIT))
        .unwrap_err();
    assert!(refused.reason.contains("已是本案的主办单位"), "{refused}");
    let report = |unit: &str| CaseStep::AssistReport {
        unit: unit.into(),
        note: "已到场核实情况".into(),
    };
    assert!(
        life.try_step(UnitStaff, TOWNSHIP, "2026-11-22", report(ASSISTING))
            .is_err(),
        "no assisting unit yet"
    );
    life.step(Director, TOWNSHIP, "2026-11-22", assist(ASSISTING));
    let refused = life
        .try_step(Operator, TOWNSHIP, "2026-11-22", assist(ASSISTING))
        .unwrap_err();
    assert!(refused.reason.contains("已是本案的协办单位"), "{refused}");
    let refused = life
        .try_step(UnitStaff, TOWNSHIP, "2026-11-23", report("法庭"))
        .unwrap_err();
    assert!(
        refused
            .reason
            .contains("法庭 不是本案的协办单位;协办单位:派出所"),
        "{refused}"
    );
    life.step(UnitStaff, TOWNSHIP, "2026-11-23", report(ASSISTING));
    assert!(life.file.is_joint());
    let assisting = &life.file.assisting[0];
    assert_eq!(
        (
            assisting.unit.as_str(),
            assisting.since,
            assisting.reports.len()
        ),
        (ASSISTING, date("2026-11-22"), 1)
    );
    assert_eq!(life.file.lead_unit(), Some(UNIT));

    // The work over November, unit by unit: the lead resolved it by 司法调解.
    life.step(
        UnitStaff,
        TOWNSHIP,
        "2026-11-24",
        CaseStep::Resolve {
            outcome: Outcome::Agreement,
            kind: Some(sanji_domain::case::MediationKind::Judicial),
            summary: "在法庭指导下达成协议".into(),
        },
    );
    let alone = drive_to(CaseStatus::Resolved, Route::default());
    let cases = [
        sanji_domain::report::CaseRef {
            id: v7(NOW_MS, 1),
            file: &life.file,
        },
        sanji_domain::report::CaseRef {
            id: v7(NOW_MS, 2),
            file: &alone.file,
        },
    ];
    let november = sanji_domain::report::Period::Month {
        year: 2026,
        month: 11,
    };
    let lines = sanji_domain::report::unit_workload(&cases, november);
    let summary: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{} 主办{} 协办{} 办结{} 司法调解{} 人民调解{} 占{:?}",
                l.unit, l.lead, l.assisting, l.resolved, l.judicial, l.people, l.share_percent
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            format!("{VILLAGE} 村工作站 主办1 协办0 办结1 司法调解0 人民调解1 占Some(50)"),
            format!("{UNIT} 主办1 协办0 办结1 司法调解1 人民调解0 占Some(50)"),
            format!("{ASSISTING} 主办0 协办1 办结0 司法调解0 人民调解0 占Some(0)"),
        ]
    );
    // December saw none of it.
    let december = sanji_domain::report::Period::Month {
        year: 2026,
        month: 12,
    };
    assert_eq!(sanji_domain::report::unit_workload(&cases, december), []);
}

// ------------------------------------------------------------ 签收 (回执)

/// The handling side signs for the 交办 and 督办 notices it was sent: one
/// receipt covers every notice since the last, a notice after it wants a
/// new one, and only the assignee (or the center, with a paper 回执) signs.
#[test]
fn a_receipt_signs_for_the_notices_sent_since_the_last() {
    use ActorRole::*;
    let ack = || CaseStep::Acknowledge {
        note: "已收到".into(),
    };
    let mut life = drive_to(CaseStatus::Assigned, Route::default());
    assert_eq!(life.file.unacknowledged_notices(), 1, "the 交办通知书");
    let assigned_at = life.file.file.last().unwrap().at;
    assert!(life.file.receipt_after(assigned_at).is_none());

    // Another village's station cannot sign for this one's notice.
    let refused = life
        .try_step(VillageStaff, OTHER_VILLAGE, "2026-11-23", ack())
        .unwrap_err();
    assert!(refused.reason.contains("未交办给"), "{refused}");

    life.step(Director, TOWNSHIP, "2026-11-23", supervise());
    assert_eq!(life.file.unacknowledged_notices(), 2);
    life.step(VillageStaff, VILLAGE, "2026-11-24", ack());
    assert_eq!(life.file.unacknowledged_notices(), 0);
    let receipt = life.file.receipt_after(assigned_at).expect("signed");
    assert_eq!(receipt.role, VillageStaff);
    assert_eq!(receipt.text, "签收交办、督办通知书 2 份:已收到");
    assert!(
        !life.file.allowed_steps().contains(&StepKind::Acknowledge),
        "nothing left to sign for"
    );
    let twice = life
        .try_step(VillageStaff, VILLAGE, "2026-11-24", ack())
        .unwrap_err();
    assert_eq!(twice.reason, "此时不能「签收通知书」");

    // A later 督办 wants its own receipt; the first receipt stays the first.
    life.step(Operator, TOWNSHIP, "2026-11-25", supervise());
    let urged_at = life.file.file.last().unwrap().at;
    assert_eq!(life.file.unacknowledged_notices(), 1);
    assert!(life.file.receipt_after(urged_at).is_none());
    life.step(Operator, TOWNSHIP, "2026-11-26", ack());
    assert_eq!(life.file.receipt_after(urged_at).unwrap().role, Operator);
    assert_eq!(
        life.file.receipt_after(assigned_at).unwrap().role,
        VillageStaff
    );

    // Assigned anew before anyone signed: the old notice stays unsigned, the
    // new one wants its receipt.
    life.step(Director, TOWNSHIP, "2026-11-27", supervise());
    let unsigned_at = life.file.file.last().unwrap().at;
    life.step(
        Director,
        TOWNSHIP,
        "2026-11-27",
        assign_unit(UNIT, "2026-12-20"),
    );
    assert_eq!(life.file.unacknowledged_notices(), 1, "the new 交办 alone");
    life.step(UnitStaff, TOWNSHIP, "2026-11-28", ack());
    assert!(life.file.receipt_after(unsigned_at).is_none());
    let reassigned_at = life.file.file[life.file.file.len() - 2].at;
    assert_eq!(
        life.file.receipt_after(reassigned_at).unwrap().role,
        UnitStaff
    );

    // An operator's assignment waits for the director: nobody signs for it yet.
    let mut waiting = drive_to(CaseStatus::AwaitingApproval, Route::default());
    let refused = waiting
        .try_step(VillageStaff, VILLAGE, "2026-11-23", ack())
        .unwrap_err();
    assert_eq!(refused.reason, "分流尚未经中心主任审批");
}

// ------------------------------------------------------------ attachments

/// The papers of a case (调解协议书, photos) join its file at any stage,
/// from whoever works it, and the archived file too; a village that has
/// nothing to do with the case, or a unit on a case no unit handles, is
/// refused; a file over the limit is refused in words before any state is asked.
#[test]
fn papers_join_the_file_from_whoever_works_the_case() {
    use ActorRole::*;
    let mut archived = drive_to(CaseStatus::Archived, Route::default());
    archived.step(VillageStaff, VILLAGE, "2026-12-01", attach("调解协议书"));
    let file = &archived.file;
    assert_eq!(
        file.status,
        CaseStatus::Archived,
        "attaching changes no status"
    );
    assert_eq!(file.attachments.len(), 1);
    let attached = &file.attachments[0];
    assert_eq!(attached.attachment.title, "调解协议书");
    assert_eq!(attached.on, date("2026-12-01"));
    assert_eq!(attached.role, VillageStaff);
    let entry = file.file.last().unwrap();
    assert_eq!(entry.step, StepKind::Attach);
    assert_eq!(entry.text, "附件「调解协议书」:协议书.pdf(2.3 MB)");

    let refusal = archived
        .try_step(VillageStaff, OTHER_VILLAGE, "2026-12-01", attach("照片"))
        .unwrap_err();
    assert!(refusal.reason.contains("无关"), "{}", refusal.reason);
    let by_village = drive_to(CaseStatus::InMediation, Route::default());
    assert!(
        by_village
            .file
            .check(UnitStaff, &attach("照片"), &code(TOWNSHIP))
            .is_err(),
        "no unit handles this case"
    );
    let by_unit = drive_to(
        CaseStatus::InMediation,
        Route {
            unit: true,
            ..Route::default()
        },
    );
    assert!(
        by_unit
            .file
            .check(UnitStaff, &attach("照片"), &code(TOWNSHIP))
            .is_ok()
    );

    let CaseStep::Attach { mut attachment } = attach("录像") else {
        unreachable!()
    };
    attachment.size = sanji_domain::attachment::MAX_BYTES + 1;
    let too_big = CaseStep::Attach { attachment }.validate().unwrap_err();
    assert_eq!(too_big.field, "attachment.size");
    assert!(too_big.rule.contains("上限"), "{}", too_big.rule);
}
