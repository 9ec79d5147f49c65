//! What every page about a case shows the same way: the labels of states, actions, events and
//! suspension kinds, the deadline light, the facts of a case, its materials with their files,
//! its history, the answer to a refused form, and the streaming of a handed-in file.
//!
//! The window's and the department's pages use these; so may the applicant's. The words are in
//! `i18n/<lang>/window.ftl` under `window-status-…`, `window-event-…`, `window-action-…` and the
//! like. No rule lives here: what may be done is `allowed_actions` of the service.

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use onewindow_app::files::CaseFile;
use onewindow_app::service::CaseDetail;
use onewindow_app::{AppError, Service};
use onewindow_domain::case::{
    Action, ApplicantKind, Case, CaseEvent, Channel, DeliveryMethod, Status,
};
use onewindow_domain::catalogue::{Department, MaterialForm, PublishedItem};
use onewindow_domain::circulation::{Task, TaskAction, TaskEvent, TaskStatus};
use onewindow_domain::clock::SuspensionKind;
use onewindow_domain::clock::Timeliness;

use crate::i18n::{Lang, Messages};
use crate::pages::{PageCtx, encode_query_value};

mod facts;
mod files;
mod forms;
mod history;
mod materials;
mod names;
mod reading;
mod tasks;
#[cfg(test)]
mod tests;

pub use facts::*;
pub use files::*;
pub use forms::*;
pub use history::*;
pub use materials::*;
pub use names::*;
pub use reading::*;
pub use tasks::*;

// ---- labels ---------------------------------------------------------------------------------

/// The message key of a state's name.
pub fn status_key(status: Status) -> &'static str {
    match status {
        Status::Submitted => "window-status-submitted",
        Status::PreReview => "window-status-pre_review",
        Status::SupplementRequested => "window-status-supplement_requested",
        Status::Accepted => "window-status-accepted",
        Status::Rejected => "window-status-rejected",
        Status::InReview => "window-status-in_review",
        Status::Suspended => "window-status-suspended",
        Status::Approved => "window-status-approved",
        Status::Denied => "window-status-denied",
        Status::ResultIssued => "window-status-result_issued",
        Status::Delivered => "window-status-delivered",
        Status::Closed => "window-status-closed",
        Status::Withdrawn => "window-status-withdrawn",
    }
}

/// The message key of an action's name (a button's words).
pub fn action_key(action: Action) -> &'static str {
    match action {
        Action::StartPreReview => "window-action-start-pre-review",
        Action::RequestSupplement => "window-action-request-supplement",
        Action::ProvideSupplement => "window-action-provide-supplement",
        Action::Accept => "window-action-accept",
        Action::Reject => "window-action-reject",
        Action::StartReview => "window-action-start-review",
        Action::Suspend => "window-action-suspend",
        Action::Resume => "window-action-resume",
        Action::Extend => "window-action-extend",
        Action::Propose => "window-action-propose",
        Action::Decide => "window-action-decide",
        Action::IssueResult => "window-action-issue-result",
        Action::Deliver => "window-action-deliver",
        Action::Close => "window-action-close",
        Action::RecordVisit => "window-action-record-visit",
        Action::CheckCommitment => "tolerance-check-send",
        Action::Withdraw => "withdraw-action",
    }
}

/// The message key of why a clock stops.
pub fn suspension_key(kind: SuspensionKind) -> &'static str {
    match kind {
        SuspensionKind::Supplement => "window-suspension-supplement",
        SuspensionKind::Hearing => "window-suspension-hearing",
        SuspensionKind::Inspection => "window-suspension-inspection",
        SuspensionKind::Testing => "window-suspension-testing",
        SuspensionKind::ExpertReview => "window-suspension-expert_review",
        SuspensionKind::PublicNotice => "window-suspension-public_notice",
    }
}

/// The name of a suspension kind in URLs and forms.
pub fn suspension_name(kind: SuspensionKind) -> &'static str {
    match kind {
        SuspensionKind::Supplement => "supplement",
        SuspensionKind::Hearing => "hearing",
        SuspensionKind::Inspection => "inspection",
        SuspensionKind::Testing => "testing",
        SuspensionKind::ExpertReview => "expert_review",
        SuspensionKind::PublicNotice => "public_notice",
    }
}

pub fn channel_key(channel: Channel) -> &'static str {
    match channel {
        Channel::Window => "window-channel-window",
        Channel::Online => "window-channel-online",
        Channel::Mobile => "window-channel-mobile",
        Channel::Township => "window-channel-township",
        Channel::Village => "window-channel-village",
        Channel::Agent => "window-channel-agent",
    }
}

fn material_form_key(form: MaterialForm) -> &'static str {
    match form {
        MaterialForm::Original => "window-material-form-original",
        MaterialForm::Copy => "window-material-form-copy",
        MaterialForm::Electronic => "window-material-form-electronic",
    }
}

fn event_key(event: &CaseEvent) -> &'static str {
    match event {
        CaseEvent::Submitted { .. } => "window-event-submitted",
        CaseEvent::PreReviewStarted => "window-event-pre_review_started",
        CaseEvent::SupplementRequested { .. } => "window-event-supplement_requested",
        CaseEvent::SupplementProvided { .. } => "window-event-supplement_provided",
        CaseEvent::Accepted { deemed: true, .. } => "window-event-deemed_accepted",
        CaseEvent::Accepted { .. } => "window-event-accepted",
        CaseEvent::Rejected { .. } => "window-event-rejected",
        CaseEvent::ReviewStarted => "window-event-review_started",
        CaseEvent::Suspended { .. } => "window-event-suspended",
        CaseEvent::Resumed => "window-event-resumed",
        CaseEvent::Extended { .. } => "window-event-extended",
        CaseEvent::Proposed { approve: true, .. } => "window-event-proposed_approval",
        CaseEvent::Proposed { .. } => "window-event-proposed_refusal",
        CaseEvent::Decided { approved: true, .. } => "window-event-approved",
        CaseEvent::Decided { .. } => "window-event-denied",
        CaseEvent::ResultIssued { .. } => "window-event-result_issued",
        CaseEvent::Delivered { .. } => "window-event-delivered",
        CaseEvent::Closed => "window-event-closed",
        CaseEvent::VisitRecorded { .. } => "window-event-visit_recorded",
        CaseEvent::DeadlineRecomputed { .. } => "window-event-deadline_recomputed",
        CaseEvent::PromiseReminded { .. } => "tolerance-event-promise_reminded",
        CaseEvent::PromiseBroken { .. } => "tolerance-event-promise_broken",
        CaseEvent::CommitmentChecked { truthful: true, .. } => "tolerance-event-commitment_true",
        CaseEvent::CommitmentChecked { .. } => "tolerance-event-commitment_false",
        CaseEvent::DecisionRevoked { .. } => "tolerance-event-decision_revoked",
        CaseEvent::Withdrawn { .. } => "withdraw-event",
        CaseEvent::Task { event, .. } => match event {
            TaskEvent::Claimed => "window-event-task_claimed",
            TaskEvent::Transferred { .. } => "window-event-task_transferred",
            TaskEvent::Countersigned { .. } => "window-event-task_countersigned",
            TaskEvent::SupplementRequested { .. } => "window-event-task_supplement_requested",
            TaskEvent::Suspended { .. } => "window-event-task_suspended",
            TaskEvent::Resumed => "window-event-task_resumed",
            TaskEvent::SentBack { .. } => "window-event-task_sent_back",
            TaskEvent::Resubmitted { .. } => "window-event-task_resubmitted",
            TaskEvent::Decided { approved: true, .. } => "window-event-task_approved",
            TaskEvent::Decided { .. } => "window-event-task_denied",
        },
    }
}

/// The words of `key` for the count `n` (`{ $n }`), in the `<key>-one` form when `n` is 1 and
/// the language has one ("1 working day").
pub fn count(t: &Messages, key: &str, n: i64) -> String {
    let one = format!("{key}-one");
    let key = if n == 1 && t.has(&one) {
        one.as_str()
    } else {
        key
    };
    t.fill1(key, "n", n.to_string())
}

/// The messages [`count`] is used with; each has a `-one` form too.
pub const COUNTED: [&str; 11] = [
    "window-waited-days",
    "window-waited-hours",
    "window-waited-calendar-days",
    "window-days-left",
    "window-days-overdue",
    "window-days-left-stopped",
    "window-used-days",
    "window-working-days",
    "window-visit-count",
    "window-visits",
    "window-queue-notice-left",
];

/// How long a case has waited, in one unit: whole hours on the day it came in ("不到 1 小时",
/// "2 小时"), working days once a working day has passed ("3 个工作日"), never minutes or calendar
/// days beside them, nor two units in one figure. A case received on a day off that has waited a
/// day or more with no working day since is "不到 1 个工作日". Calendar days only when the
/// calendar does not cover the dates (`working_days` is `None`), which the holiday notice of a
/// new year ends.
pub fn waited(t: &Messages, minutes: i64, working_days: Option<u32>) -> String {
    const DAY: i64 = 24 * 60;
    match working_days {
        Some(days) if days > 0 => count(t, "window-waited-days", i64::from(days)),
        Some(_) if minutes >= DAY => t.get("window-waited-under-day").to_string(),
        _ if minutes < 60 => t.get("window-waited-under-hour").to_string(),
        _ if minutes < DAY => count(t, "window-waited-hours", minutes / 60),
        _ => count(t, "window-waited-calendar-days", minutes / DAY),
    }
}

// ---- the deadline light -----------------------------------------------------------------------

/// The colour of a case's clock by the monitor's rule (`onewindow_domain::monitor::LightRule`:
/// yellow in the last 20% of the limit or the last two working days, whichever is longer; red
/// when overdue), grey while the clock is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    Green,
    Yellow,
    Red,
    Grey,
}

impl Light {
    /// The light of a case on the clock; `None` for a case that is not on one.
    pub fn of(
        status: Status,
        timeliness: Option<Timeliness>,
        limit_days: Option<u32>,
    ) -> Option<Light> {
        if status == Status::Suspended {
            return Some(Light::Grey);
        }
        if !status.is_on_clock() {
            return None;
        }
        let rule = onewindow_domain::monitor::LightRule::default();
        timeliness.map(
            |standing| match rule.light(limit_days.unwrap_or(0), standing) {
                onewindow_domain::monitor::Light::Red => Light::Red,
                onewindow_domain::monitor::Light::Yellow => Light::Yellow,
                onewindow_domain::monitor::Light::Green => Light::Green,
            },
        )
    }

    /// The stylesheet class (`light <class>`).
    pub fn class(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
            Light::Grey => "grey",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Light::Green => "window-light-green",
            Light::Yellow => "window-light-yellow",
            Light::Red => "window-light-red",
            Light::Grey => "window-light-grey",
        }
    }
}

/// "3 working days left", "due today", "2 working days overdue", "overdue by 2 days (less than
/// one working day)", "clock stopped".
pub fn days_left_text(t: &Messages, status: Status, timeliness: Option<Timeliness>) -> String {
    match (status, timeliness) {
        (Status::Suspended, Some(Timeliness::OnTime { working_days_left })) => {
            return count(t, "window-days-left-stopped", i64::from(working_days_left));
        }
        (Status::Suspended, None) => return t.get("window-clock-stopped").to_string(),
        _ => {}
    }
    match timeliness {
        Some(standing) => timeliness_text(t, standing),
        None => "—".to_string(),
    }
}

/// Where a clock stands, in words: the same for the window, the desk, the monitor and the
/// applicant.
pub fn timeliness_text(t: &Messages, standing: Timeliness) -> String {
    match standing {
        Timeliness::Overdue {
            working_days_overdue: 0,
            days_overdue,
        } => t.fill1(
            "window-days-overdue-calendar",
            "days",
            days_overdue.to_string(),
        ),
        Timeliness::Overdue {
            working_days_overdue,
            ..
        } => count(t, "window-days-overdue", i64::from(working_days_overdue)),
        Timeliness::OnTime {
            working_days_left: 0,
        } => t.get("window-days-last").to_string(),
        Timeliness::OnTime { working_days_left } => {
            count(t, "window-days-left", i64::from(working_days_left))
        }
    }
}

/// What the tests of the window's and the department's pages share: an app on a fresh SQLite
/// store with a two-item catalogue and the staff of two centres and one department, requests
/// with a session cookie, and filing a case.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{HeaderMap, Request, StatusCode, header};
    use chrono::NaiveDate;
    use onewindow_app::accounts::Actor;
    use onewindow_app::catalogue_io::CatalogueDocument;
    use onewindow_app::service::SubmitCase;
    use onewindow_app::{ManualClock, Service};
    use onewindow_domain::access::{Post, Role};

    use onewindow_domain::case::{Applicant, ApplicantKind, Case, CaseCommand, Channel};
    use onewindow_domain::catalogue::{
        Department, Fee, HallStatus, Item, ItemKind, Level, Material, MaterialCategory,
        MaterialForm, MaterialSource, RunMode,
    };

    use tower::ServiceExt;

    use crate::pages::encode_query_value;

    pub use onewindow_testkit::PASSWORD;
    /// A clerk at county-hall, one at a township centre, and SCJG's reviewer and approver.
    pub const CLERK: &str = "clerk";
    pub const TOWNSHIP_CLERK: &str = "yuelong-clerk";
    pub const REVIEWER: &str = "reviewer";
    pub const APPROVER: &str = "approver";
    /// Food licence: three materials, 5 working days.
    pub const FOOD: &str = "SCJG-001";
    /// A quick filing: one material, 1 working day.
    pub const FILING: &str = "SCJG-002";
    /// A long one: two materials, 10 working days.
    pub const PERMIT: &str = "SCJG-003";

    pub use onewindow_testkit::TempDir;

    pub struct TestApp {
        pub service: Service,
        pub router: Router,
        pub clock: Arc<ManualClock>,
        _dir: TempDir,
    }

    /// A logged-in browser: the session cookie and the CSRF token of its forms.
    pub struct Browser {
        pub cookie: String,
        pub csrf: String,
        pub actor: Actor,
    }

    /// An answer: status, headers, body text.
    pub struct Page {
        pub status: StatusCode,
        pub headers: HeaderMap,
        pub body: String,
        pub bytes: Vec<u8>,
    }

    impl Page {
        pub fn location(&self) -> &str {
            self.headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        }
    }

    pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    fn material(key: &str, name: &str) -> Material {
        Material {
            key: key.into(),
            name: name.into(),
            form: MaterialForm::Original,
            copies: 1,
            source: MaterialSource::Applicant,
            licence_type: None,
            category: MaterialCategory::Ordinary,
            required: true,
            sample: None,
            cancelled: None,
            necessity: Default::default(),
        }
    }

    fn catalogue() -> CatalogueDocument {
        let food = Item {
            code: FOOD.into(),
            name: "食品经营许可".into(),
            kind: ItemKind::Licence,
            department: "SCJG".into(),
            legal_basis: "《中华人民共和国食品安全法》".into(),
            statutory_days: 20,
            promised_days: 5,
            visits_required: 1,
            run_mode: RunMode::OnlinePrereview,
            levels: vec![Level::County, Level::Township],
            hall: HallStatus {
                allowed: true,
                in_hall: true,
                authorised: true,
            },
            materials: vec![
                material("M01", "食品经营许可申请书"),
                material("M02", "经营场所平面图"),
                material("M03", "食品安全管理制度"),
            ],
            intermediary_services: vec![],
            fee: Fee::default(),
            result_licence_type: Some("食品经营许可证".into()),
            decision_without_proposal: false,
            licence_valid_years: None,
            commitment_text: None,
            auto_approval: false,
        };
        let mut filing = food.clone();
        filing.code = FILING.into();
        filing.name = "小餐饮店登记".into();
        filing.promised_days = 1;
        filing.materials = vec![material("M01", "登记表")];
        let mut permit = food.clone();
        permit.code = PERMIT.into();
        permit.name = "特种设备使用登记".into();
        permit.promised_days = 10;
        permit.materials = vec![material("M01", "使用登记表"), material("M02", "检验报告")];
        CatalogueDocument {
            departments: vec![Department {
                code: "SCJG".into(),
                name: "市场监督管理局".into(),
                name_en: "Market Supervision".into(),
            }],
            items: vec![food, filing, permit],
        }
    }

    /// The app on a fresh store; the clock stands at Monday 2 November 2026, 09:00.
    pub async fn app() -> TestApp {
        let clerk = |centre: &str| Post::new(Role::Clerk).at_centre(centre);
        let accounts = [
            (CLERK, clerk("county-hall")),
            (TOWNSHIP_CLERK, clerk("township-yuelong")),
            (REVIEWER, Post::new(Role::Reviewer).in_department("SCJG")),
            (APPROVER, Post::new(Role::Approver).in_department("SCJG")),
        ]
        .into_iter()
        .map(|(username, post)| onewindow_testkit::TestAccount {
            display_name: format!("{username} 同志"),
            ..onewindow_testkit::account(username, post)
        })
        .collect();
        let world = onewindow_testkit::Builder::new("case-pages", day(2026, 11, 2))
            .catalogue(catalogue())
            .accounts(accounts)
            .with_files()
            .service()
            .await;
        TestApp {
            router: crate::app(world.service.clone()),
            service: world.service,
            clock: world.clock,
            _dir: world.dir,
        }
    }

    impl TestApp {
        pub fn at(&self, date: NaiveDate) {
            self.clock.set(onewindow_app::clock::local_morning(date));
        }

        pub async fn log_in(&self, username: &str) -> Browser {
            let grant = self
                .service
                .login(username, PASSWORD, "test")
                .await
                .expect("login");
            let session = self
                .service
                .authenticate(&grant.token, "test")
                .await
                .expect("session");
            Browser {
                cookie: format!("{}={}", crate::extract::SESSION_COOKIE, grant.token),
                csrf: grant.csrf_token,
                actor: session.actor,
            }
        }

        async fn send(&self, request: Request<Body>) -> Page {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("an answer");
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = axum::body::to_bytes(response.into_body(), 8 * 1024 * 1024)
                .await
                .expect("a body");
            Page {
                status,
                headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
                bytes: bytes.to_vec(),
            }
        }

        pub async fn get(&self, who: &Browser, path: &str) -> Page {
            self.send(
                Request::get(path)
                    .header(header::COOKIE, &who.cookie)
                    .header(header::HOST, "onewindow.test")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
        }

        /// Sends a form as the browser would: `fields` plus nothing else (add `csrf_token`
        /// and `version` as a page's form does).
        pub async fn post(&self, who: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
            let body = fields
                .iter()
                .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
                .collect::<Vec<_>>()
                .join("&");
            self.send(
                Request::post(path)
                    .header(header::COOKIE, &who.cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await
        }

        /// Files an application at the clerk's centre with `materials` handed in.
        pub async fn file(
            &self,
            clerk: &Browser,
            centre: &str,
            item: &str,
            materials: &[&str],
        ) -> Case {
            self.service
                .submit_case(
                    &clerk.actor,
                    SubmitCase {
                        item_code: item.into(),
                        applicant: Applicant {
                            kind: ApplicantKind::Person,
                            name: "王芳".into(),
                            id_number: "11010519491231002X".into(),
                            phone: Some("13800000000".into()),
                        },
                        channel: Channel::Window,
                        centre: centre.into(),
                        materials: materials.iter().map(|m| m.to_string()).collect(),
                        commitments: Vec::new(),
                    },
                    None,
                )
                .await
                .expect("filed")
                .case
        }

        /// Runs `command` on the case at its current version.
        pub async fn run(&self, who: &Browser, case: &str, command: CaseCommand) -> Case {
            let version = self.case(who, case).await.version;
            self.service
                .execute(&who.actor, case, version, command)
                .await
                .expect("command runs")
        }

        pub async fn case(&self, who: &Browser, case: &str) -> Case {
            self.service
                .case(&who.actor, case)
                .await
                .expect("case")
                .case
        }
    }
}
