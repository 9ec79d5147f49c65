//! Two nodes on one PostgreSQL store racing on the same key (issue 21, first part): the same
//! `Idempotency-Key` sent to both at the same instant, and the same account logging in on both
//! at once, answer what one node answers — a case and its replay, two logins — never a store
//! error. Runs on the PostgreSQL pass (ONEWINDOW_TEST_POSTGRES); SQLite is one node's file.

use std::sync::Arc;

use chrono::NaiveDate;
use onewindow_app::service::SubmitCase;
use onewindow_app::{Actor, ManualClock, Service};
use onewindow_domain::calendar::Calendar;
use onewindow_domain::case::{Applicant, ApplicantKind, Channel};
use onewindow_store::Store;
use onewindow_testkit::{fresh_store_url, postgres_base};

use crate::licences::FOOD_LICENCE_ITEM;

async fn two_nodes() -> Option<(Service, Service, onewindow_testkit::TempDir)> {
    postgres_base()?;
    let (url, dir) = fresh_store_url("races").await;
    let clock = Arc::new(ManualClock::at_local_morning(
        NaiveDate::from_ymd_opt(2026, 12, 7).expect("a day"),
    ));
    let a = Service::new(
        Store::open(&url).await.expect("node a"),
        Calendar::prc(),
        clock.clone(),
        "330226",
    );
    a.seed_demo_hall().await.expect("hall");
    a.seed_demo(0).await.expect("catalogue");
    a.seed_demo_accounts().await.expect("accounts");
    let b = Service::new(
        Store::open(&url).await.expect("node b"),
        Calendar::prc(),
        clock,
        "330226",
    );
    Some((a, b, dir))
}

fn application() -> SubmitCase {
    SubmitCase {
        item_code: FOOD_LICENCE_ITEM.into(),
        applicant: Applicant {
            kind: ApplicantKind::Enterprise,
            name: "宁海县跃龙小吃有限公司".into(),
            id_number: "91330226MA2DEMH01W".into(),
            phone: None,
        },
        channel: Channel::Online,
        centre: "county-hall".into(),
        materials: vec!["M01".into(), "M02".into(), "M03".into(), "M04".into()],
    }
}

#[tokio::test]
async fn the_same_key_or_login_on_two_nodes_at_once_answers_as_one_node_would() {
    let Some((a, b, _dir)) = two_nodes().await else {
        eprintln!("SKIPPED: races between nodes run on PostgreSQL (ONEWINDOW_TEST_POSTGRES)");
        return;
    };
    let grant = a
        .login("enterprise", "qiye-demo-2026", "test")
        .await
        .expect("login");
    let enterprise = Actor::new(grant.principal, "test");
    for round in 0..20 {
        let key = format!("race-{round}");
        let (x, y) = tokio::join!(
            a.submit_case(&enterprise, application(), Some(key.clone())),
            b.submit_case(&enterprise, application(), Some(key.clone())),
        );
        let (x, y) = (x.expect("node a answers"), y.expect("node b answers"));
        assert_eq!(x.case.id, y.case.id, "round {round}: one case");
        assert_eq!(
            u8::from(x.replayed) + u8::from(y.replayed),
            1,
            "round {round}: one filing and one replay"
        );
    }
    for round in 0..20 {
        let (x, y) = tokio::join!(
            a.login("enterprise", "qiye-demo-2026", "node-a"),
            b.login("enterprise", "qiye-demo-2026", "node-b"),
        );
        assert!(x.is_ok() && y.is_ok(), "round {round}: {x:?} {y:?}");
    }
}
