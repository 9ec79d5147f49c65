//! `onewindow bench`: complete cases driven through the HTTP API by concurrent clients.
//!
//! Without `--url` it starts its own server (this same binary, `demo --cases 0`) on a fresh
//! data directory or on `--bench-database`, so the figures include durable commits and the
//! server's peak RSS can be read from /proc. It then creates the three accounts it drives cases
//! with, through the service on the same store as any administrator at the command line would: a
//! window clerk at the centre it files at, and a reviewer and an approver of the item's
//! department. Each logs in over HTTP once; every request carries its bearer token. Against
//! `--url` the accounts must exist already and are named with `--clerk`, `--reviewer` and
//! `--approver`.
//!
//! `onewindow bench --pages` measures the pages instead (issue 4: under 200 KB, server render
//! under 50 ms p99 on the demo data). Its own server is `demo --cases 3000` (`--demo-cases`); it
//! logs the demo accounts in through the login form (the `ow_session` cookie), finds a real
//! item, case and catalogue code by reading each list page once, then N clients (default 8)
//! each request every page `--rounds` times. It reports per page the requests, p50, p99 and max
//! of the full request latency on loopback (which bounds the render time from above) and the
//! weight of its HTML, plus the shared stylesheet and script once. Any answer but 200 is an error.
//!
//! `onewindow bench --sweep N` times the deadline monitor's sweep (issue 6: under 100 ms with
//! 100,000 open clocks) in this process, without a server: see [`sweep`].
//!
//! `onewindow bench --reads` times the case list and one case by number on an existing store
//! (issue 19), in this process: see [`reads`].
//!
//! `onewindow bench --statistics` times the dashboard of whole months on an existing store
//! (issue 6: under 300 ms with five million cases), in this process: see [`statistics`].
//!
//! `onewindow bench --messages N` times messages to applicants from the outbox to an SMS gateway
//! (issue 17), in this process: see [`messages`].
//!
//! `onewindow bench --queue N` times the hall's queue with the county hall's 65 windows calling
//! at once (issue 16: at least 1,000 calls a second, p99 under 20 ms, and the display board's
//! update latency), in this process: see [`queue`].

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Error, bail};
use chrono::NaiveDate;
use clap::Args;
use onewindow_app::accounts::{NewUser, generate_password};
use onewindow_app::{Actor, AppError, Service};
use onewindow_domain::access::{Post, Role};
use serde_json::{Value, json};

use crate::StoreArgs;

/// The service centre the bench files its cases at.
const CENTRE: &str = "county-hall";

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A running server to drive; when absent, the bench starts its own.
    #[arg(long)]
    url: Option<String>,
    /// The PID of the server given by --url, to report its peak RSS.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The database the bench's own server uses (default: a fresh SQLite data directory).
    #[arg(long = "bench-database")]
    bench_database: Option<String>,
    /// Concurrent clients [default: 32; with --pages 8].
    #[arg(long)]
    clients: Option<usize>,
    /// Complete cases per client.
    #[arg(long, default_value_t = 100)]
    cases_per_client: usize,
    /// Catalogue item to apply for (must be an item whose demanded materials the bench names).
    #[arg(long)]
    item: Option<String>,
    /// With --url: the window clerk (at county-hall) who files, accepts, delivers and closes,
    /// as USER:PASSWORD.
    #[arg(long, env = "ONEWINDOW_BENCH_CLERK", hide_env_values = true)]
    clerk: Option<String>,
    /// With --url: a reviewer of the item's department, who starts the review and issues the
    /// result, as USER:PASSWORD.
    #[arg(long, env = "ONEWINDOW_BENCH_REVIEWER", hide_env_values = true)]
    reviewer: Option<String>,
    /// With --url: an approver of the item's department, who decides, as USER:PASSWORD.
    #[arg(long, env = "ONEWINDOW_BENCH_APPROVER", hide_env_values = true)]
    approver: Option<String>,
    /// Measure the pages (render time and weight) instead of case throughput; logs in with the
    /// demo accounts, so a --url server must be a demo.
    #[arg(long, conflicts_with_all = ["cases_per_client", "item"])]
    pages: bool,
    /// With --pages: rounds per client; each round requests every page once.
    #[arg(long, default_value_t = 200, requires = "pages")]
    rounds: usize,
    /// With --pages: the demo cases the bench's own server generates.
    #[arg(long, default_value_t = 3000, requires = "pages")]
    demo_cases: usize,
    /// Time the deadline monitor's sweep over this many open clocks instead (issue 6: under
    /// 100 ms with 100,000), on a fresh store of its own (or on an empty --bench-database).
    #[arg(long, value_name = "CLOCKS", conflicts_with_all = ["pages", "url", "cases_per_client", "item", "clients"])]
    sweep: Option<usize>,
    /// With --sweep: the steady-state sweeps to take the median of, and the next working days
    /// swept one after another.
    #[arg(long, default_value_t = 5, requires = "sweep")]
    sweep_runs: usize,
    /// With --sweep: the day of the first sweep (a working day; the clocks fall due over the 60
    /// working days after it, which the calendar must cover).
    #[arg(long, default_value = "2026-09-01", requires = "sweep")]
    sweep_today: chrono::NaiveDate,
    /// Time the dashboard of whole months (figures, daily series, ranking; issue 6: under 300 ms with
    /// five million cases) on the existing store given by --data or --database, in this process
    /// without a server: see [`statistics`].
    #[arg(long, conflicts_with_all = ["pages", "url", "sweep", "cases_per_client", "item", "clients"])]
    statistics: bool,
    /// Time the case list (first page and next pages by cursor, filtered by department, state
    /// and overdue) and one case by number (issue 19: on five million cases p50 ≤ 5 ms, p99 ≤
    /// 20 ms; by number p50 ≤ 1 ms) on the existing store given by --data or --database, in this
    /// process without a server: see [`reads`].
    #[arg(long, conflicts_with_all = ["pages", "url", "sweep", "statistics", "messages", "queue", "cases_per_client", "item", "clients"])]
    reads: bool,
    /// With --reads: timed runs of each list.
    #[arg(long, default_value_t = 50, requires = "reads")]
    reads_runs: usize,
    /// With --reads: the department of the department filters.
    #[arg(long, default_value = "SCJGJ", requires = "reads")]
    reads_department: String,
    /// With --statistics: how many months, the last full months before today.
    #[arg(long, default_value_t = 12, requires = "statistics")]
    statistics_months: u32,
    /// With --statistics: start with the month of this day instead (then the months after it),
    /// e.g. on a store still being generated.
    #[arg(long, requires = "statistics")]
    statistics_first_month: Option<NaiveDate>,
    /// With --statistics: timed calls per month and filter.
    #[arg(long, default_value_t = 5, requires = "statistics")]
    statistics_runs: usize,
    /// With --statistics: also time, once per month, the way the figures were computed before
    /// the summary rows (every case body of the period decoded).
    #[arg(long, requires = "statistics")]
    statistics_bodies: bool,
    /// Time messages to applicants from the outbox to an SMS gateway (issue 17: at least 2,000
    /// a second on SQLite): this many events, in this process, on a fresh store of its own (or
    /// an empty --bench-database).
    #[arg(long, value_name = "EVENTS", conflicts_with_all = ["pages", "url", "sweep", "statistics", "cases_per_client", "item", "clients"])]
    messages: Option<usize>,
    /// With --messages: the events go through this NATS server's JetStream (nats://host:port).
    #[arg(long, requires = "messages")]
    bench_nats: Option<String>,
    /// Time the hall's queue (issue 16: at least 1,000 calls a second with p99 under 20 ms): the
    /// county hall's 65 windows call this many tickets at once, in this process, on a fresh
    /// store of its own (or an empty --bench-database): see [`queue`].
    #[arg(long, value_name = "TICKETS", conflicts_with_all = ["pages", "url", "sweep", "statistics", "messages", "cases_per_client", "item", "clients"])]
    queue: Option<usize>,
    /// With --queue: the kiosks that take the tickets at once before the windows call.
    #[arg(long, default_value_t = 4, requires = "queue")]
    queue_kiosks: usize,
    /// With --queue: the tickets for general business (A, called by the comprehensive windows
    /// only), in percent; the rest are departments' business (B).
    #[arg(long, default_value_t = 70, requires = "queue", value_parser = clap::value_parser!(u8).range(0..=100))]
    queue_general: u8,
    /// With --queue: offer this many calls a second in all, each window calling on its own
    /// schedule (every windows/RATE seconds), until the first window finds nobody it serves
    /// waiting; then the rest are called as fast as the windows can. Without it every window
    /// calls again as soon as it has ended its ticket (the queue's capacity).
    #[arg(long, value_name = "CALLS_PER_SECOND", requires = "queue")]
    queue_rate: Option<f64>,
    /// With --queue: the day the service's clock reads (from 09:00 China time; a working day).
    #[arg(long, default_value = "2026-12-07", requires = "queue")]
    queue_day: NaiveDate,
}

struct Server {
    child: Option<tokio::process::Child>,
    pid: Option<u32>,
    url: String,
    /// The store of the bench's own server (none with --url).
    store: Option<StoreArgs>,
    _dir: Option<TempDir>,
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts the bench's own server with `demo_cases` demo cases (or names the --url one).
async fn start_server(args: &BenchArgs, demo_cases: usize) -> Result<Server, Error> {
    if let Some(url) = &args.url {
        return Ok(Server {
            child: None,
            pid: args.server_pid,
            url: url.trim_end_matches('/').to_string(),
            store: None,
            _dir: None,
        });
    }
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?.port()
    };
    let dir = TempDir(
        std::env::temp_dir().join(format!("onewindow-bench-{}-{port}", std::process::id())),
    );
    let exe = std::env::current_exe()?;
    let mut command = tokio::process::Command::new(exe);
    command
        .arg("demo")
        .arg("--cases")
        .arg(demo_cases.to_string())
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data")
        .arg(&dir.0)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(db) = &args.bench_database {
        command.arg("--database").arg(db);
    }
    let child = command.spawn().context("cannot start the bench server")?;
    let pid = child.id();
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{url}/health")).send().await
            && r.status().is_success()
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the bench server did not answer within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let store = StoreArgs {
        data: dir.0.clone(),
        database: args.bench_database.clone(),
        calendar_overrides: None,
    };
    Ok(Server {
        child: Some(child),
        pid,
        url,
        store: Some(store),
        _dir: Some(dir),
    })
}

/// One account the bench acts as.
struct Account {
    username: String,
    password: String,
}

impl Account {
    fn parse(flag: &str, value: Option<&String>) -> Result<Self, Error> {
        let value = value.with_context(|| {
            format!("against --url, name the account with --{flag} USER:PASSWORD")
        })?;
        let (username, password) = value
            .split_once(':')
            .with_context(|| format!("--{flag} is USER:PASSWORD"))?;
        Ok(Self {
            username: username.to_string(),
            password: password.to_string(),
        })
    }
}

/// The bearer tokens of the three accounts that take a case through.
struct Crew {
    clerk: String,
    reviewer: String,
    approver: String,
}

/// Creates (or, on a store that has them from an earlier run, resets) the bench's accounts.
async fn create_account(
    service: &Service,
    username: &str,
    display_name: &str,
    post: Post,
) -> Result<Account, Error> {
    let actor = Actor::command_line("bench");
    let password = generate_password()?;
    let created = service
        .create_user(
            &actor,
            NewUser {
                username: username.to_string(),
                display_name: display_name.to_string(),
                password: password.clone(),
                posts: vec![post.clone()],
                ..NewUser::default()
            },
        )
        .await;
    match created {
        Ok(_) => {}
        Err(AppError::Conflict(_)) => {
            service
                .set_user_posts(&actor, username, vec![post], false)
                .await?;
            service.set_user_disabled(&actor, username, false).await?;
            service
                .reset_password(&actor, username, password.clone())
                .await?;
        }
        Err(e) => return Err(e).context(format!("cannot create the bench account {username}")),
    }
    Ok(Account {
        username: username.to_string(),
        password,
    })
}

/// The accounts for the bench's own server, made through the service on its store.
async fn create_accounts(store: &StoreArgs, department: &str) -> Result<[Account; 3], Error> {
    let service = crate::open(store).await?;
    let accounts = [
        create_account(
            &service,
            "bench-clerk",
            "压测 综合窗口",
            Post::new(Role::Clerk).at_centre(CENTRE),
        )
        .await?,
        create_account(
            &service,
            "bench-reviewer",
            "压测 审查",
            Post::new(Role::Reviewer).in_department(department),
        )
        .await?,
        create_account(
            &service,
            "bench-approver",
            "压测 审批",
            Post::new(Role::Approver).in_department(department),
        )
        .await?,
    ];
    service.store().close().await;
    Ok(accounts)
}

async fn login(client: &reqwest::Client, url: &str, account: &Account) -> Result<String, Error> {
    let answer = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"username": account.username, "password": account.password}))
        .send()
        .await?;
    let status = answer.status();
    let body: Value = answer.json().await.unwrap_or_default();
    if !status.is_success() {
        bail!(
            "the bench account {} cannot log in: {status} {}",
            account.username,
            body["detail"].as_str().unwrap_or_default()
        );
    }
    body["token"]
        .as_str()
        .map(str::to_string)
        .context("the login answer holds no token")
}

/// The item the bench applies for.
struct Item {
    code: String,
    department: String,
    /// The keys of the materials it demands.
    materials: Vec<String>,
}

/// Finds an immediate-or-short item with few materials, to keep each case's path complete.
async fn pick_item(
    client: &reqwest::Client,
    url: &str,
    wanted: Option<&str>,
) -> Result<Item, Error> {
    let item: Value = match wanted {
        Some(code) => {
            client
                .get(format!("{url}/api/v1/catalogue/items/{code}"))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?
        }
        None => {
            let page: Value = client
                .get(format!("{url}/api/v1/catalogue/items?limit=1"))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            page["items"][0].clone()
        }
    };
    let code = item["code"]
        .as_str()
        .context("the catalogue is empty")?
        .to_string();
    let department = item["department"]
        .as_str()
        .context("the item names no department")?
        .to_string();
    let materials = item["materials"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter(|m| {
                    m["required"].as_bool() == Some(true)
                        && m.get("cancelled").is_none_or(Value::is_null)
                })
                .filter_map(|m| m["key"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(Item {
        code,
        department,
        materials,
    })
}

struct Tally {
    latencies_us: Vec<u64>,
    transitions: u64,
    cases: u64,
    errors: u64,
    /// What the first failed request answered, to tell a broken bench from a slow server.
    first_error: Option<String>,
}

impl Tally {
    fn failed(&mut self, what: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(what);
        }
    }
}

/// Describes a failed request for the report.
async fn failure(action: &str, answer: Result<reqwest::Response, reqwest::Error>) -> String {
    match answer {
        Ok(r) => {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            format!("{action}: {status} {body}")
        }
        Err(e) => format!("{action}: {e}"),
    }
}

/// What the bench reads of a case in an answer: the client's share of the CPU is part of what
/// the bench measures, so it does not build a whole JSON tree of every answer.
#[derive(serde::Deserialize)]
struct CaseAnswer {
    id: String,
    version: u64,
}

async fn one_client(
    client: reqwest::Client,
    url: Arc<str>,
    item: Arc<Item>,
    crew: Arc<Crew>,
    client_no: usize,
    cases: usize,
) -> Tally {
    let mut tally = Tally {
        latencies_us: Vec::with_capacity(cases * 8),
        transitions: 0,
        cases: 0,
        errors: 0,
        first_error: None,
    };
    let clerk = format!("Bearer {}", crew.clerk);
    let reviewer = format!("Bearer {}", crew.reviewer);
    let approver = format!("Bearer {}", crew.approver);
    for n in 0..cases {
        let body = json!({
            "item_code": item.code,
            "applicant": {"kind": "person", "name": "压测申请人", "id_number": "11010519491231002X"},
            "channel": "online",
            "centre": CENTRE,
            "materials": item.materials,
        });
        let started = Instant::now();
        let created = client
            .post(format!("{url}/api/v1/cases"))
            .header("authorization", &clerk)
            .header(
                "idempotency-key",
                format!("bench-{}-{client_no}-{n}", std::process::id()),
            )
            .json(&body)
            .send()
            .await;
        tally
            .latencies_us
            .push(started.elapsed().as_micros() as u64);
        let created = match created {
            Ok(r) if r.status() == reqwest::StatusCode::CREATED => r,
            other => {
                tally.failed(failure("submit", other).await);
                continue;
            }
        };
        let Ok(case) = created.json::<CaseAnswer>().await else {
            tally.failed("submit: the answer is not a case with an id and a version".into());
            continue;
        };
        tally.transitions += 1;
        let id = case.id;
        let mut version = case.version;
        // The clerk who accepts never decides (受审分离): the department's approver does, on
        // the reviewer's proposal (受理 → 审查 → 决定).
        let steps: [(&str, &str, Value); 7] = [
            ("accept", clerk.as_str(), json!({})),
            ("start-review", reviewer.as_str(), json!({})),
            (
                "propose",
                reviewer.as_str(),
                json!({"approve": true, "opinion": "符合条件，拟同意"}),
            ),
            (
                "decide",
                approver.as_str(),
                json!({"approve": true, "reason": "符合条件"}),
            ),
            ("issue-result", reviewer.as_str(), json!({})),
            (
                "deliver",
                clerk.as_str(),
                json!({"delivery": {"method": "pickup", "collected_by": {"name": "张建国", "id_number": "330226198806150022", "authorised": true, "authorisation": "授权委托书"}}}),
            ),
            ("close", clerk.as_str(), json!({})),
        ];
        let mut complete = true;
        for (action, authorization, body) in steps {
            let started = Instant::now();
            let answer = client
                .post(format!("{url}/api/v1/cases/{id}/{action}"))
                .header("authorization", authorization)
                .header("if-match", format!("\"{version}\""))
                .json(&body)
                .send()
                .await;
            tally
                .latencies_us
                .push(started.elapsed().as_micros() as u64);
            match answer {
                Ok(r) if r.status().is_success() => {
                    tally.transitions += 1;
                    version = r
                        .json::<CaseAnswer>()
                        .await
                        .map_or(version + 1, |c| c.version);
                }
                other => {
                    tally.failed(failure(action, other).await);
                    complete = false;
                    break;
                }
            }
        }
        if complete {
            tally.cases += 1;
        }
    }
    tally
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)] as f64 / 1000.0
}

pub async fn run(args: BenchArgs, store: &StoreArgs) -> Result<(), Error> {
    if args.statistics {
        return statistics::run(&args, store).await;
    }
    if args.reads {
        return reads::run(&args, store).await;
    }
    if args.pages {
        return pages::run(args).await;
    }
    if let Some(clocks) = args.sweep {
        return sweep::run(&args, clocks).await;
    }
    if let Some(events) = args.messages {
        return messages::run(&args, events).await;
    }
    if let Some(tickets) = args.queue {
        return queue::run(&args, tickets).await;
    }
    let clients = args.clients.unwrap_or(32);
    if clients == 0 || args.cases_per_client == 0 {
        bail!("--clients and --cases-per-client must be at least 1");
    }
    let mut server = start_server(&args, 0).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let item = Arc::new(pick_item(&client, &server.url, args.item.as_deref()).await?);
    let [clerk, reviewer, approver] = match &server.store {
        Some(store) => create_accounts(store, &item.department).await?,
        None => [
            Account::parse("clerk", args.clerk.as_ref())?,
            Account::parse("reviewer", args.reviewer.as_ref())?,
            Account::parse("approver", args.approver.as_ref())?,
        ],
    };
    let crew = Arc::new(Crew {
        clerk: login(&client, &server.url, &clerk).await?,
        reviewer: login(&client, &server.url, &reviewer).await?,
        approver: login(&client, &server.url, &approver).await?,
    });
    let url: Arc<str> = Arc::from(server.url.as_str());
    eprintln!(
        "bench: {} clients × {} cases of item {} ({}) against {} as {}, {} and {}",
        clients,
        args.cases_per_client,
        item.code,
        item.department,
        server.url,
        clerk.username,
        reviewer.username,
        approver.username
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..clients {
        tasks.push(tokio::spawn(one_client(
            client.clone(),
            url.clone(),
            item.clone(),
            crew.clone(),
            n,
            args.cases_per_client,
        )));
    }
    let mut latencies = Vec::new();
    let (mut transitions, mut cases, mut errors) = (0, 0, 0);
    let mut first_error = None;
    for t in tasks {
        let tally = t.await?;
        latencies.extend(tally.latencies_us);
        transitions += tally.transitions;
        cases += tally.cases;
        errors += tally.errors;
        first_error = first_error.or(tally.first_error);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let rss = server.pid.and_then(peak_rss_kib);
    println!("clients            {clients}");
    println!(
        "complete cases     {cases} ({:.0} cases/s)",
        cases as f64 / elapsed
    );
    println!(
        "transitions        {transitions} ({:.0} transitions/s)",
        transitions as f64 / elapsed
    );
    println!("errors             {errors}");
    println!("latency p50        {:.2} ms", percentile(&latencies, 50.0));
    println!("latency p99        {:.2} ms", percentile(&latencies, 99.0));
    println!("elapsed            {elapsed:.2} s");
    match rss {
        Some(kib) => println!("server peak RSS    {:.1} MiB", kib as f64 / 1024.0),
        None => println!("server peak RSS    unknown (pass --server-pid)"),
    }
    if let Some(child) = server.child.as_mut() {
        let _ = child.kill().await;
    }
    if errors > 0 {
        bail!(
            "{errors} request(s) failed; the first: {}",
            first_error.unwrap_or_default()
        );
    }
    Ok(())
}

/// `onewindow bench --pages`: the weight and the latency of the main pages.
mod pages {
    use std::sync::Arc;
    use std::time::Instant;

    use anyhow::{Context as _, Error, bail};
    use onewindow_app::demo::accounts::demo_accounts;
    use reqwest::StatusCode;
    use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

    use super::{BenchArgs, peak_rss_kib, percentile, start_server};

    /// The limits of issue 4.
    const WEIGHT_LIMIT_BYTES: usize = 200_000;
    const P99_LIMIT_MS: f64 = 50.0;

    /// The demo accounts whose pages are measured, by the part they use.
    const CITIZEN: &str = "citizen";
    const CLERK: &str = "clerk";
    const REVIEWER: &str = "reviewer";
    const ADMIN: &str = "admin";

    /// Who requests a page: nobody (the public portal) or a logged-in demo account.
    #[derive(Clone, Copy)]
    enum As {
        Anyone,
        Citizen,
        Clerk,
        Reviewer,
        Admin,
    }

    /// The `ow_session` cookies of the demo accounts.
    struct Sessions {
        citizen: String,
        clerk: String,
        reviewer: String,
        admin: String,
    }

    impl Sessions {
        fn cookie(&self, who: As) -> Option<&str> {
            match who {
                As::Anyone => None,
                As::Citizen => Some(&self.citizen),
                As::Clerk => Some(&self.clerk),
                As::Reviewer => Some(&self.reviewer),
                As::Admin => Some(&self.admin),
            }
        }
    }

    /// One page the clients request.
    struct Page {
        /// The row of the report: the path with its ids named, e.g. `/window/cases/{number}`.
        label: &'static str,
        path: String,
        who: As,
    }

    /// Percent-encodes a form field (`application/x-www-form-urlencoded`).
    fn form_value(value: &str) -> String {
        let mut out = String::with_capacity(value.len());
        for b in value.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// Logs a demo account in through the page login; returns its `ow_session=…` cookie.
    async fn login(client: &reqwest::Client, url: &str, username: &str) -> Result<String, Error> {
        let account = demo_accounts()?
            .into_iter()
            .find(|a| a.username == username)
            .with_context(|| format!("no demo account {username}"))?;
        let answer = client
            .post(format!("{url}/login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!(
                "username={}&password={}",
                form_value(&account.username),
                form_value(&account.password)
            ))
            .send()
            .await?;
        if answer.status() != StatusCode::SEE_OTHER {
            bail!(
                "the demo account {username} cannot log in through the login form: {} \
                 (against --url, the server must be a demo with the demo accounts)",
                answer.status()
            );
        }
        answer
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|v| v.starts_with("ow_session=") && v.len() > "ow_session=".len())
            .map(str::to_string)
            .with_context(|| {
                let to = answer
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                format!("the login of {username} (to {to}) set no ow_session cookie")
            })
    }

    /// One GET as `cookie`; the status and the body.
    async fn get(
        client: &reqwest::Client,
        url: &str,
        path: &str,
        cookie: Option<&str>,
    ) -> Result<(StatusCode, Vec<u8>), reqwest::Error> {
        let mut request = client.get(format!("{url}{path}"));
        if let Some(c) = cookie {
            request = request.header(COOKIE, c);
        }
        let answer = request.send().await?;
        let status = answer.status();
        let body = answer.bytes().await?;
        Ok((status, body.to_vec()))
    }

    /// Reads a list page once and returns the first link under `prefix` (e.g. `/window/cases/`).
    async fn first_link(
        client: &reqwest::Client,
        url: &str,
        list: &str,
        cookie: Option<&str>,
        prefix: &str,
    ) -> Result<String, Error> {
        let (status, body) = get(client, url, list, cookie).await?;
        if status != StatusCode::OK {
            bail!("{list} answered {status} while looking for a link to {prefix}");
        }
        let html = String::from_utf8_lossy(&body);
        let needle = format!("href=\"{prefix}");
        let at = html
            .find(&needle)
            .with_context(|| format!("{list} links to nothing under {prefix}"))?
            + "href=\"".len();
        let end = html[at..].find('"').context("an unterminated link")?;
        Ok(html[at..at + end].replace("&amp;", "&"))
    }

    /// What one client saw, per page.
    struct Tally {
        latencies_us: Vec<Vec<u64>>,
        /// The largest body of each page, in bytes.
        weights: Vec<usize>,
        errors: u64,
        first_error: Option<String>,
    }

    async fn one_client(
        client: reqwest::Client,
        url: Arc<str>,
        pages: Arc<Vec<Page>>,
        sessions: Arc<Sessions>,
        client_no: usize,
        rounds: usize,
    ) -> Tally {
        let mut tally = Tally {
            latencies_us: pages.iter().map(|_| Vec::with_capacity(rounds)).collect(),
            weights: vec![0; pages.len()],
            errors: 0,
            first_error: None,
        };
        for _ in 0..rounds {
            // Each client starts at another page, so the clients do not all ask for one at once.
            for k in 0..pages.len() {
                let n = (k + client_no) % pages.len();
                let page = &pages[n];
                let started = Instant::now();
                let answer = get(&client, &url, &page.path, sessions.cookie(page.who)).await;
                tally.latencies_us[n].push(started.elapsed().as_micros() as u64);
                match answer {
                    Ok((StatusCode::OK, body)) => {
                        tally.weights[n] = tally.weights[n].max(body.len());
                    }
                    other => {
                        tally.errors += 1;
                        if tally.first_error.is_none() {
                            tally.first_error = Some(match other {
                                Ok((status, _)) => format!("{}: {status}", page.path),
                                Err(e) => format!("{}: {e}", page.path),
                            });
                        }
                    }
                }
            }
        }
        tally
    }

    /// Bytes as the report shows them: `12,345 B (12.1 KiB)`.
    fn bytes(n: usize) -> String {
        let digits = n.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{grouped} B ({:.1} KiB)", n as f64 / 1024.0)
    }

    pub(super) async fn run(args: BenchArgs) -> Result<(), Error> {
        let clients = args.clients.unwrap_or(8);
        if clients == 0 || args.rounds == 0 {
            bail!("--clients and --rounds must be at least 1");
        }
        let mut server = start_server(&args, args.demo_cases).await?;
        let url = server.url.clone();
        // A redirect is an answer to count, not to follow: a page that sends its reader to the
        // login has lost the session.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let sessions = Sessions {
            citizen: login(&client, &url, CITIZEN).await?,
            clerk: login(&client, &url, CLERK).await?,
            reviewer: login(&client, &url, REVIEWER).await?,
            admin: login(&client, &url, ADMIN).await?,
        };
        let item = first_link(&client, &url, "/catalogue", None, "/catalogue/items/").await?;
        let my_case = first_link(
            &client,
            &url,
            "/my/cases",
            Some(&sessions.citizen),
            "/my/cases/",
        )
        .await?;
        let window_case = first_link(
            &client,
            &url,
            "/window",
            Some(&sessions.clerk),
            "/window/cases/",
        )
        .await?;
        let desk_case = first_link(
            &client,
            &url,
            "/desk",
            Some(&sessions.reviewer),
            "/desk/cases/",
        )
        .await?;
        let admin_item = first_link(
            &client,
            &url,
            "/admin/items",
            Some(&sessions.admin),
            "/admin/items/",
        )
        .await?;
        let page = |label: &'static str, path: &str, who: As| Page {
            label,
            path: path.to_string(),
            who,
        };
        let pages = Arc::new(vec![
            page("/", "/", As::Anyone),
            page("/catalogue", "/catalogue", As::Anyone),
            page("/catalogue?q=yyzz", "/catalogue?q=yyzz", As::Anyone),
            page("/catalogue/items/{code}", &item, As::Anyone),
            page("/my/cases", "/my/cases", As::Citizen),
            page("/my/cases/{id}", &my_case, As::Citizen),
            page("/window", "/window", As::Clerk),
            page("/window/cases/{number}", &window_case, As::Clerk),
            page("/desk", "/desk", As::Reviewer),
            page("/desk/cases/{number}", &desk_case, As::Reviewer),
            page("/admin", "/admin", As::Admin),
            page("/admin/items", "/admin/items", As::Admin),
            page("/admin/items/{code}", &admin_item, As::Admin),
        ]);
        let mut shared = Vec::new();
        for asset in ["/static/app.css", "/static/app.js"] {
            let (status, body) = get(&client, &url, asset, None).await?;
            if status != StatusCode::OK {
                bail!("{asset} answered {status}");
            }
            shared.push((asset, body.len()));
        }
        let shared_bytes: usize = shared.iter().map(|(_, n)| n).sum();
        let demo = if args.url.is_some() {
            "the --url server".to_string()
        } else {
            format!("its own demo --cases {}", args.demo_cases)
        };
        eprintln!(
            "bench --pages: {clients} clients × {} rounds × {} pages against {url} ({demo}); \
             anonymous portal, citizen, clerk (county-hall), reviewer (SCJGJ), admin",
            args.rounds,
            pages.len()
        );
        for p in pages.iter() {
            if p.label != p.path {
                eprintln!("  {:<26} is {}", p.label, p.path);
            }
        }
        let url: Arc<str> = Arc::from(url.as_str());
        let sessions = Arc::new(sessions);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for n in 0..clients {
            tasks.push(tokio::spawn(one_client(
                client.clone(),
                url.clone(),
                pages.clone(),
                sessions.clone(),
                n,
                args.rounds,
            )));
        }
        let mut latencies: Vec<Vec<u64>> = pages.iter().map(|_| Vec::new()).collect();
        let mut weights = vec![0; pages.len()];
        let mut errors = 0;
        let mut first_error = None;
        for t in tasks {
            let tally = t.await?;
            for (all, mine) in latencies.iter_mut().zip(tally.latencies_us) {
                all.extend(mine);
            }
            for (all, mine) in weights.iter_mut().zip(tally.weights) {
                *all = (*all).max(mine);
            }
            errors += tally.errors;
            first_error = first_error.or(tally.first_error);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let rss = server.pid.and_then(peak_rss_kib);
        println!(
            "Latency is the full request (send to last byte) over loopback, with client and \
             server on the same machine: it bounds the server's render time from above."
        );
        println!(
            "{:<26} {:>8} {:>22} {:>9} {:>9} {:>9}",
            "page", "requests", "weight (HTML)", "p50 ms", "p99 ms", "max ms"
        );
        let mut all = Vec::new();
        let mut over = Vec::new();
        for ((page, lat), weight) in pages.iter().zip(&mut latencies).zip(&weights) {
            lat.sort_unstable();
            let p99 = percentile(lat, 99.0);
            println!(
                "{:<26} {:>8} {:>22} {:>9.2} {:>9.2} {:>9.2}",
                page.label,
                lat.len(),
                bytes(*weight),
                percentile(lat, 50.0),
                p99,
                lat.last().copied().unwrap_or_default() as f64 / 1000.0
            );
            if p99 > P99_LIMIT_MS {
                over.push(format!("{}: p99 {p99:.2} ms", page.label));
            }
            if weight + shared_bytes > WEIGHT_LIMIT_BYTES {
                over.push(format!(
                    "{}: {} with the stylesheet and script",
                    page.label,
                    bytes(weight + shared_bytes)
                ));
            }
            all.extend_from_slice(lat);
        }
        all.sort_unstable();
        for (asset, n) in &shared {
            println!(
                "{asset:<26} {:>8} {:>22}  (once; shared by every page)",
                1,
                bytes(*n)
            );
        }
        println!(
            "heaviest page with CSS+JS {:>22}",
            bytes(weights.iter().max().copied().unwrap_or_default() + shared_bytes)
        );
        println!(
            "all pages                  {:>8} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.0} pages/s",
            all.len(),
            percentile(&all, 50.0),
            percentile(&all, 99.0),
            all.last().copied().unwrap_or_default() as f64 / 1000.0,
            all.len() as f64 / elapsed
        );
        println!("errors                     {errors}");
        println!("elapsed                    {elapsed:.2} s");
        match rss {
            Some(kib) => println!("server peak RSS            {:.1} MiB", kib as f64 / 1024.0),
            None => println!("server peak RSS            unknown (pass --server-pid)"),
        }
        if over.is_empty() {
            println!("targets (issue 4)          every page under 200 KB and 50 ms p99");
        } else {
            println!("targets (issue 4)          OVER: {}", over.join("; "));
        }
        if let Some(child) = server.child.as_mut() {
            let _ = child.kill().await;
        }
        if errors > 0 {
            bail!(
                "{errors} request(s) failed; the first: {}",
                first_error.unwrap_or_default()
            );
        }
        Ok(())
    }
}

mod messages;
mod queue;
mod reads;

/// `onewindow bench --sweep N`: the deadline monitor's sweep over N open clocks.
///
/// It opens a fresh store (a SQLite data directory in a temporary directory, or the empty
/// database `--bench-database` names) with a service whose clock stands at 09:00 on
/// `--sweep-today`. The catalogue is the demo's 1,016 items in 33 departments, but the demo
/// promises at most 9 working days, so the items that promise a limit get one of 10 to 60
/// working days instead (statutory raised to match): a county with 100,000 open clocks is one
/// whose clocks run for weeks. Then [`Service::generate_open_clocks`] writes N cases through the
/// domain's own commands (92% running and due over the next 60 working days, 3% overdue, 5%
/// suspended, 2% extended), 2,000 per transaction. It then times, in this order:
/// (a) the first sweep, which gives every clock its first light and raises an alert for each
/// one that is not green; (b) `--sweep-runs` sweeps more the same day, which change nothing
/// (median, min, max); (c) one sweep on each of the `--sweep-runs` next working days, each
/// raising the day's changes, each followed by a sweep the same day. Every figure is the full
/// `Service::sweep_lights` call as the background job makes it: reads, the light rule, the
/// writes of lights, alerts and outbox messages, and their durable commit. A sweep the same day
/// that raises an alert fails the bench. On PostgreSQL the bench runs `VACUUM (ANALYZE)` after
/// the first sweep (timed apart), as autovacuum would within a minute of its mass update.
///
/// The day defaults to 1 September 2026: the embedded calendar ends with 2026, and the clocks
/// accepted up to 70 working days before it and due up to 60 after it must fall in its years.
mod sweep {
    use std::sync::Arc;
    use std::time::Instant;

    use anyhow::{Context as _, Error, bail};
    use onewindow_app::clock::{ManualClock, local_morning};
    use onewindow_app::monitor::SweepReport;
    use onewindow_app::{Actor, Service};
    use onewindow_domain::calendar::Calendar;

    use super::{BenchArgs, TempDir};

    /// The promises the bench gives the demo items (working days), in turn.
    const LIMITS: [u32; 8] = [10, 15, 20, 20, 30, 40, 50, 60];

    /// The working days over which the running clocks fall due.
    const SPREAD_DAYS: u32 = 60;

    async fn timed(service: &Service) -> Result<(f64, SweepReport), Error> {
        let started = Instant::now();
        let report = service.sweep_lights().await?;
        Ok((started.elapsed().as_secs_f64() * 1000.0, report))
    }

    fn median(values: &mut [f64]) -> f64 {
        values.sort_by(f64::total_cmp);
        match values.len() {
            0 => 0.0,
            n if n % 2 == 1 => values[n / 2],
            n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
        }
    }

    fn line(what: &str, ms: f64, r: &SweepReport) {
        println!(
            "{what:<34} {ms:>9.1} ms   candidates {:>7}   alerts {:>6}   cleared {:>4}",
            r.checked, r.alerts, r.cleared
        );
    }

    pub(super) async fn run(args: &BenchArgs, clocks: usize) -> Result<(), Error> {
        let runs = args.sweep_runs.max(1);
        let mut dir = None;
        let url = match &args.bench_database {
            Some(url) => url.clone(),
            None => {
                let path = std::env::temp_dir()
                    .join(format!("onewindow-bench-sweep-{}", std::process::id()));
                let url = onewindow_store::data_dir_url(&path)?;
                dir = Some(TempDir(path));
                url
            }
        };
        let store = onewindow_store::Store::open(&url)
            .await
            .context(format!("cannot open the store at {url}"))?;
        let calendar = Calendar::prc();
        let today = args.sweep_today;
        if !calendar.is_working_day(today)? {
            bail!("--sweep-today {today} is not a working day");
        }
        let clock = Arc::new(ManualClock::at_local_morning(today));
        let service = Service::new(store, calendar, clock.clone(), "330226");
        if onewindow_store::cases::any_case(service.store().readers()).await? {
            bail!(
                "the store at {url} already holds cases; --sweep needs an empty one (e.g. \
                 DROP DATABASE and CREATE DATABASE it again)"
            );
        }
        let started = Instant::now();
        let mut doc = onewindow_app::demo::catalogue::ninghai_catalogue()
            .map_err(|e| Error::msg(e.to_string()))?;
        for (turn, item) in doc
            .items
            .iter_mut()
            .filter(|i| i.promised_days > 0)
            .enumerate()
        {
            item.promised_days = LIMITS[turn % LIMITS.len()];
            item.statutory_days = item.statutory_days.max(item.promised_days);
        }
        service
            .import_catalogue(&Actor::command_line("bench"), doc)
            .await
            .map_err(|e| Error::msg(e.to_string()))?;
        let made = service.generate_open_clocks(clocks, SPREAD_DAYS, 1).await?;
        let backend = match service.store().backend() {
            onewindow_store::Backend::Sqlite => "SQLite",
            onewindow_store::Backend::Postgres => "PostgreSQL",
        };
        eprintln!(
            "bench --sweep: {backend}, {clocks} open clocks written in {:.1} s ({} running due \
             within {SPREAD_DAYS} working days, {} overdue, {} suspended; {} extended), today {today}",
            started.elapsed().as_secs_f64(),
            made.running,
            made.overdue,
            made.suspended,
            made.extended,
        );

        let (ms, first) = timed(&service).await?;
        line(&format!("(a) first sweep, {today}"), ms, &first);
        if service.store().backend() == onewindow_store::Backend::Postgres {
            let started = Instant::now();
            onewindow_store::monitor::vacuum_after_mass_update(service.store()).await?;
            println!(
                "{:<34} {:>9.1} ms   (what autovacuum does within a minute)",
                "    VACUUM (ANALYZE)",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }

        let mut steady = Vec::with_capacity(runs);
        let mut last = SweepReport::default();
        for _ in 0..runs {
            let (ms, report) = timed(&service).await?;
            if report.alerts > 0 {
                bail!("a sweep the same day raised {} alerts", report.alerts);
            }
            steady.push(ms);
            last = report;
        }
        let (lo, hi) = (
            steady.iter().copied().fold(f64::INFINITY, f64::min),
            steady.iter().copied().fold(0.0, f64::max),
        );
        line(
            &format!("(b) same day, median of {runs}"),
            median(&mut steady),
            &last,
        );
        println!("{:<34} {lo:>9.1} ms – {hi:.1} ms", "    min – max");

        let mut day = today;
        let mut next_days = Vec::with_capacity(runs);
        let mut after = Vec::with_capacity(runs);
        for _ in 0..runs {
            day = service.calendar().add_working_days(day, 1)?;
            clock.set(local_morning(day));
            let (ms, report) = timed(&service).await?;
            line(&format!("(c) next working day, {day}"), ms, &report);
            next_days.push(ms);
            let (ms, report) = timed(&service).await?;
            if report.alerts > 0 {
                bail!("a second sweep on {day} raised {} alerts", report.alerts);
            }
            line("    then the same day again", ms, &report);
            after.push(ms);
        }
        println!(
            "{:<34} {:>9.1} ms (next working day), {:.1} ms (same day after it)",
            format!("    median over {runs} days"),
            median(&mut next_days),
            median(&mut after)
        );
        service.store().close().await;
        drop(dir);
        Ok(())
    }
}

/// `onewindow bench --statistics`: the dashboard's statistics of whole months on an existing store
/// (fill one with `onewindow generate`).
///
/// For each of the last `--statistics-months` full months before today, and for the month so
/// far, it calls `Service::dashboard` as the dashboard page does (as a supervisor; the figures,
/// the daily series and the ranking of departments, checked once against `Service::statistics`,
/// the API's figures): once cold (the first read of the month), then `--statistics-runs` times each for the whole
/// county and filtered by a department, a centre, a window, a level and a channel. It reports
/// p50, p99 and max over all warm calls, the cold calls apart, and the rows a month reads. With
/// `--statistics-bodies`, it also times once per month the way the figures were computed before
/// the summary rows (decoding every case body that touches the month) and checks that both give
/// the same figures.
mod statistics {
    use chrono::{Datelike as _, Months};
    use onewindow_app::statistics::StatisticsQuery;
    use onewindow_domain::access::Principal;
    use onewindow_domain::statistics::{CaseRecord, period_statistics};
    use onewindow_store::reports::{self, PeriodFilter};

    use super::*;

    /// A supervisor, who sees every case, for the benches that read in process.
    pub(super) fn supervisor() -> Actor {
        Actor::new(
            Principal {
                user_id: "bench".into(),
                username: "bench".into(),
                display_name: "bench".into(),
                identity: None,
                posts: vec![Post::new(Role::Supervisor)],
                may_reveal_personal_data: false,
            },
            "cli",
        )
    }

    fn month_start(d: NaiveDate) -> NaiveDate {
        d.with_day(1).unwrap_or(d)
    }

    pub(super) async fn run(args: &BenchArgs, store: &StoreArgs) -> Result<(), Error> {
        let service = crate::open_existing(store).await?;
        let actor = supervisor();
        let today = service.today();
        let this_month = month_start(today);
        let mut months = Vec::new();
        match args.statistics_first_month {
            Some(first) => {
                for k in 0..args.statistics_months {
                    let from = month_start(first) + Months::new(k);
                    let to = (from + Months::new(1)).pred_opt().unwrap_or(from);
                    months.push((from, to.min(today)));
                }
            }
            None => {
                for k in (1..=args.statistics_months).rev() {
                    let from = this_month - Months::new(k);
                    let to = (from + Months::new(1)).pred_opt().unwrap_or(from);
                    months.push((from, to));
                }
                months.push((this_month, today));
            }
        }
        let window = service
            .windows()
            .await?
            .into_iter()
            .next()
            .map(|w| format!("{}/{}", w.centre, w.code));
        let filters: Vec<(&str, StatisticsQuery)> = vec![
            ("county", StatisticsQuery::default()),
            (
                "department SCJGJ",
                StatisticsQuery {
                    department: Some("SCJGJ".into()),
                    ..Default::default()
                },
            ),
            (
                "centre county-hall",
                StatisticsQuery {
                    centre: Some("county-hall".into()),
                    ..Default::default()
                },
            ),
            (
                "window",
                StatisticsQuery {
                    window: window.clone(),
                    ..Default::default()
                },
            ),
            (
                "level township",
                StatisticsQuery {
                    level: Some("township".into()),
                    ..Default::default()
                },
            ),
            (
                "channel online",
                StatisticsQuery {
                    channel: Some("online".into()),
                    ..Default::default()
                },
            ),
        ];
        println!(
            "bench --statistics: {:?}, {} months up to {today}, {} warm runs per month and filter",
            service.store().backend(),
            months.len(),
            args.statistics_runs
        );
        let mut cold = Vec::new();
        let mut warm: Vec<u64> = Vec::new();
        let mut per_filter: Vec<Vec<u64>> = vec![Vec::new(); filters.len()];
        for (from, to) in &months {
            let query = |q: &StatisticsQuery| StatisticsQuery {
                from: Some(*from),
                to: Some(*to),
                ..q.clone()
            };
            let started = Instant::now();
            let figures = service
                .dashboard(&actor, query(&StatisticsQuery::default()))
                .await?
                .statistics;
            let cold_us = started.elapsed().as_micros() as u64;
            // The API's statistics read the same rows: the figures must agree.
            let api = service
                .statistics(&actor, query(&StatisticsQuery::default()))
                .await?;
            if api != figures {
                bail!(
                    "{from}..{to}: the dashboard and the API disagree: {figures:?} against {api:?}"
                );
            }
            cold.push(cold_us);
            let rows = reports::facts_touching(
                service.store().readers(),
                &PeriodFilter {
                    from: Some(*from),
                    to: Some(*to),
                    ..PeriodFilter::default()
                },
            )
            .await?
            .len();
            let mut line = format!(
                "  {from}..{to}: received {}, completed {}, overdue {}; {rows} summary rows; cold {:.1} ms",
                figures.received,
                figures.completed,
                figures.overdue,
                cold_us as f64 / 1000.0
            );
            for (i, (_, q)) in filters.iter().enumerate() {
                if q.window.is_none() && i == 3 {
                    continue;
                }
                for _ in 0..args.statistics_runs {
                    let started = Instant::now();
                    service.dashboard(&actor, query(q)).await?;
                    let us = started.elapsed().as_micros() as u64;
                    warm.push(us);
                    per_filter[i].push(us);
                }
            }
            if args.statistics_bodies {
                let started = Instant::now();
                let cases = reports::cases_touching(
                    service.store().readers(),
                    &PeriodFilter {
                        from: Some(*from),
                        to: Some(*to),
                        ..PeriodFilter::default()
                    },
                )
                .await?;
                let as_of = (*to).min(today);
                let limits = service.statutory_limits().await?;
                let mut records = Vec::with_capacity(cases.len());
                for case in &cases {
                    records.push(
                        CaseRecord::of(case, &service.calendar(), as_of)?
                            .with_statutory_days(limits.get(&case.item_code).copied()),
                    );
                }
                let old = period_statistics(&records, *from, *to);
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                if old != figures {
                    bail!(
                        "{from}..{to}: the case bodies give other figures: {old:?} against {figures:?}"
                    );
                }
                line.push_str(&format!(
                    "; from {} case bodies {ms:.0} ms (same figures)",
                    cases.len()
                ));
            }
            println!("{line}");
        }
        let ms = |us: f64| us / 1000.0;
        let summary = |values: &mut Vec<u64>| {
            values.sort_unstable();
            // `percentile` takes microseconds and answers milliseconds.
            (
                percentile(values, 50.0),
                percentile(values, 99.0),
                ms(values.last().copied().unwrap_or(0) as f64),
            )
        };
        for (i, (name, _)) in filters.iter().enumerate() {
            if per_filter[i].is_empty() {
                continue;
            }
            let (p50, p99, max) = summary(&mut per_filter[i]);
            println!("  {name:<20} p50 {p50:.1} ms  p99 {p99:.1} ms  max {max:.1} ms");
        }
        let (p50, p99, max) = summary(&mut warm);
        println!(
            "all warm calls ({}): p50 {p50:.1} ms  p99 {p99:.1} ms  max {max:.1} ms",
            warm.len()
        );
        let (p50, p99, max) = summary(&mut cold);
        println!(
            "cold, first call of each month, county ({}): p50 {p50:.1} ms  p99 {p99:.1} ms  max {max:.1} ms",
            cold.len()
        );
        Ok(())
    }
}
