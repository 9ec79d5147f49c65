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

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Error, bail};
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
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
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

async fn start_server(args: &BenchArgs) -> Result<Server, Error> {
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
        .arg("0")
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
        let Ok(case) = created.json::<Value>().await else {
            tally.failed("submit: the answer is not JSON".into());
            continue;
        };
        tally.transitions += 1;
        let Some(id) = case["id"].as_str().map(str::to_string) else {
            tally.failed("submit: the answer holds no case id".into());
            continue;
        };
        let mut version = case["version"].as_u64().unwrap_or(1);
        // The clerk who accepts never decides (受审分离): the department's approver does.
        let steps: [(&str, &str, Value); 6] = [
            ("accept", clerk.as_str(), json!({})),
            ("start-review", reviewer.as_str(), json!({})),
            (
                "decide",
                approver.as_str(),
                json!({"approve": true, "reason": "符合条件"}),
            ),
            ("issue-result", reviewer.as_str(), json!({})),
            (
                "deliver",
                clerk.as_str(),
                json!({"delivery": {"method": "online"}}),
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
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["version"].as_u64())
                        .unwrap_or(version + 1);
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

pub async fn run(args: BenchArgs) -> Result<(), Error> {
    if args.clients == 0 || args.cases_per_client == 0 {
        bail!("--clients and --cases-per-client must be at least 1");
    }
    let mut server = start_server(&args).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
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
        args.clients,
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
    for n in 0..args.clients {
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
    println!("clients            {}", args.clients);
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
