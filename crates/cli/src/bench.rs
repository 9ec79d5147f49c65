//! `onewindow bench`: complete cases driven through the HTTP API by concurrent clients.
//!
//! Without `--url` it starts its own server (this same binary, `demo --cases 0`) on a fresh
//! data directory or on `--database`, so the figures include durable commits and the server's
//! peak RSS can be read from /proc.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Error, bail};
use clap::Args;
use serde_json::{Value, json};

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
}

struct Server {
    child: Option<tokio::process::Child>,
    pid: Option<u32>,
    url: String,
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
    Ok(Server {
        child: Some(child),
        pid,
        url,
        _dir: Some(dir),
    })
}

/// Finds an immediate-or-short item with few materials, to keep each case's path complete.
async fn pick_item(
    client: &reqwest::Client,
    url: &str,
    wanted: Option<&str>,
) -> Result<(String, Vec<String>), Error> {
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
    Ok((code, materials))
}

struct Tally {
    latencies_us: Vec<u64>,
    transitions: u64,
    cases: u64,
    errors: u64,
}

async fn one_client(
    client: reqwest::Client,
    url: Arc<str>,
    item: Arc<(String, Vec<String>)>,
    client_no: usize,
    cases: usize,
) -> Tally {
    let mut tally = Tally {
        latencies_us: Vec::with_capacity(cases * 8),
        transitions: 0,
        cases: 0,
        errors: 0,
    };
    let clerk = format!("bench-clerk-{client_no}");
    let approver = format!("bench-approver-{client_no}");
    for n in 0..cases {
        let body = json!({
            "item_code": item.0,
            "applicant": {"kind": "person", "name": "压测申请人", "id_number": "11010519491231002X"},
            "channel": "online",
            "centre": "county-hall",
            "materials": item.1,
        });
        let started = Instant::now();
        let created = client
            .post(format!("{url}/api/v1/cases"))
            .header("x-actor", &clerk)
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
        let Ok(created) = created else {
            tally.errors += 1;
            continue;
        };
        if created.status() != reqwest::StatusCode::CREATED {
            tally.errors += 1;
            continue;
        }
        let Ok(case) = created.json::<Value>().await else {
            tally.errors += 1;
            continue;
        };
        tally.transitions += 1;
        let Some(id) = case["id"].as_str().map(str::to_string) else {
            tally.errors += 1;
            continue;
        };
        let mut version = case["version"].as_u64().unwrap_or(1);
        let steps: [(&str, &str, Value); 6] = [
            ("accept", clerk.as_str(), json!({})),
            ("start-review", approver.as_str(), json!({})),
            (
                "decide",
                approver.as_str(),
                json!({"approve": true, "reason": "符合条件"}),
            ),
            ("issue-result", clerk.as_str(), json!({})),
            (
                "deliver",
                clerk.as_str(),
                json!({"delivery": {"method": "online"}}),
            ),
            ("close", clerk.as_str(), json!({})),
        ];
        let mut complete = true;
        for (action, actor, body) in steps {
            let started = Instant::now();
            let answer = client
                .post(format!("{url}/api/v1/cases/{id}/{action}"))
                .header("x-actor", actor)
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
                _ => {
                    tally.errors += 1;
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
    let url: Arc<str> = Arc::from(server.url.as_str());
    eprintln!(
        "bench: {} clients × {} cases of item {} against {}",
        args.clients, args.cases_per_client, item.0, server.url
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..args.clients {
        tasks.push(tokio::spawn(one_client(
            client.clone(),
            url.clone(),
            item.clone(),
            n,
            args.cases_per_client,
        )));
    }
    let mut latencies = Vec::new();
    let (mut transitions, mut cases, mut errors) = (0, 0, 0);
    for t in tasks {
        let tally = t.await?;
        latencies.extend(tally.latencies_us);
        transitions += tally.transitions;
        cases += tally.cases;
        errors += tally.errors;
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
        bail!("{errors} request(s) failed");
    }
    Ok(())
}
