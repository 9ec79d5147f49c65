//! `onewindow bench --reads`: the case list and one case by number on an existing store (issue
//! 19: on five million cases, a filtered list's first page and the next pages by cursor p50 ≤ 5
//! ms and p99 ≤ 20 ms; one case by number p50 ≤ 1 ms), in this process, through the service as
//! a supervisor (who sees every case), as the API's `GET /cases` and `GET /cases/{id}` call it.

use std::time::Instant;

use anyhow::Error;
use onewindow_app::Service;
use onewindow_app::service::CaseQuery;

use super::statistics::supervisor;
use super::{BenchArgs, percentile};
use crate::StoreArgs;

/// The list's filters the bench times, as the monitor and the department's lists use them.
fn filters(department: &str) -> Vec<(String, CaseQuery)> {
    let by = |statuses: &[&str], department: Option<&str>, overdue: bool| CaseQuery {
        statuses: statuses.iter().map(|s| s.to_string()).collect(),
        department: department.map(str::to_string),
        overdue,
        limit: Some(PAGE),
        ..CaseQuery::default()
    };
    vec![
        ("county".into(), by(&[], None, false)),
        (
            format!("department {department}"),
            by(&[], Some(department), false),
        ),
        ("state in_review".into(), by(&["in_review"], None, false)),
        (
            format!("department {department}, state in_review"),
            by(&["in_review"], Some(department), false),
        ),
        ("overdue".into(), by(&[], None, true)),
        (
            format!("department {department}, overdue"),
            by(&[], Some(department), true),
        ),
        ("state closed".into(), by(&["closed"], None, false)),
        (
            "states rejected, denied, withdrawn".into(),
            by(&["rejected", "denied", "withdrawn"], None, false),
        ),
        (
            format!("department {department}, states rejected, denied, withdrawn"),
            by(
                &["rejected", "denied", "withdrawn"],
                Some(department),
                false,
            ),
        ),
    ]
}

/// Rows per page, the API's default.
const PAGE: u32 = 50;
/// Pages followed by cursor after the first.
const NEXT_PAGES: usize = 9;

fn report(label: &str, micros: &mut [u64], rows: usize) {
    micros.sort_unstable();
    println!(
        "{label:<44} {:>6} calls  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({rows} rows)",
        micros.len(),
        percentile(micros, 50.0),
        percentile(micros, 99.0),
        micros.last().copied().unwrap_or(0) as f64 / 1000.0,
    );
}

pub(super) async fn run(args: &BenchArgs, store: &StoreArgs) -> Result<(), Error> {
    let service: Service = crate::open_existing(store).await?;
    let actor = supervisor();
    let department = args.reads_department.as_str();
    println!(
        "bench --reads: {:?}, {} runs of each list (first page and {NEXT_PAGES} next pages of {PAGE}), today {}",
        service.store().backend(),
        args.reads_runs,
        service.today()
    );
    let mut numbers: Vec<String> = Vec::new();
    let mut all_pages: Vec<u64> = Vec::new();
    for (label, query) in filters(department) {
        let mut first = Vec::with_capacity(args.reads_runs);
        let mut next = Vec::with_capacity(args.reads_runs * NEXT_PAGES);
        let mut rows = 0;
        for run in 0..args.reads_runs {
            let started = Instant::now();
            let mut page = service.cases(&actor, query.clone()).await?;
            first.push(started.elapsed().as_micros() as u64);
            for fetched in 0..=NEXT_PAGES {
                if run == 0 {
                    rows += page.items.len();
                    numbers.extend(page.items.iter().map(|c| c.number.clone()));
                }
                if fetched == NEXT_PAGES {
                    break;
                }
                let Some(cursor) = page.next_cursor.take() else {
                    break;
                };
                let started = Instant::now();
                page = service
                    .cases(
                        &actor,
                        CaseQuery {
                            cursor: Some(cursor),
                            ..query.clone()
                        },
                    )
                    .await?;
                next.push(started.elapsed().as_micros() as u64);
            }
        }
        all_pages.extend(&first);
        all_pages.extend(&next);
        report(&format!("{label}: first page"), &mut first, rows);
        report(&format!("{label}: next pages"), &mut next, rows);
    }
    report("every page", &mut all_pages, 0);
    numbers.sort_unstable();
    numbers.dedup();
    if numbers.is_empty() {
        println!("no cases: nothing to read by number");
        return Ok(());
    }
    let mut by_number = Vec::with_capacity(args.reads_runs * 10);
    // Spread over the numbers the lists showed: old and new cases, all states.
    let step = (numbers.len() / (args.reads_runs * 10).max(1)).max(1);
    for number in numbers
        .iter()
        .step_by(step)
        .cycle()
        .take(args.reads_runs * 10)
    {
        let started = Instant::now();
        service.case(&actor, number).await?;
        by_number.push(started.elapsed().as_micros() as u64);
    }
    report(
        "one case by number (with its history)",
        &mut by_number,
        numbers.len(),
    );
    Ok(())
}
