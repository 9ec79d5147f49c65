//! The onewindow binary: serve, demo, catalogue, calendar, report, bench.

mod bench;
mod generate;
mod monthly;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Error};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use onewindow_app::catalogue_io::{self, Format, ImportError};
use onewindow_app::jobs::{self, JobIntervals};
use onewindow_app::nats::{EventBus, NatsConfig};
use onewindow_app::{Service, SystemClock};
use onewindow_domain::calendar::Calendar;
use onewindow_store::Store;

/// onewindow — one window, at most one visit (最多跑一次).
#[derive(Debug, Parser)]
#[command(name = "onewindow", version, about)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// Data directory of the embedded store (SQLite file, county calendar overrides).
    #[arg(
        long,
        global = true,
        env = "ONEWINDOW_DATA",
        default_value = "onewindow-data"
    )]
    data: PathBuf,
    /// A database URL instead of the data directory, e.g. postgres://user@127.0.0.1/onewindow.
    #[arg(long, global = true, env = "ONEWINDOW_DATABASE_URL")]
    database: Option<String>,
    /// The county's calendar overrides (closures, extra years); default DATA/calendar-overrides.json.
    #[arg(long, global = true, env = "ONEWINDOW_CALENDAR_OVERRIDES")]
    calendar_overrides: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API on a store.
    Serve(ServeArgs),
    /// Load the Ninghai demo profile once (catalogue and cases), then serve.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// How many demo cases to generate into an empty store.
        #[arg(long, default_value_t = 3000)]
        cases: usize,
        /// Run as on this day (YYYY-MM-DD): the clock starts at 09:00 China time that day and
        /// runs on, for a training environment or a demonstration fixed to a working day (the
        /// demo cases are generated over the days before it).
        #[arg(long, value_name = "DATE")]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Fill a store with years of generated cases (the demo catalogue and hall if it has none).
    Generate(generate::GenerateArgs),
    /// Import or export the catalogue.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Working-day calendar arithmetic.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Reports from the stored records.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Drive complete cases through a running server's API and measure it.
    Bench(bench::BenchArgs),
    /// Manage accounts (as the administrator at the server's command line).
    #[command(subcommand)]
    User(users::UserCommand),
    /// Service centres, which window clerks' posts name (as the administrator).
    #[command(subcommand)]
    Centre(users::CentreCommand),
    /// Check and anchor the audit trail.
    #[command(subcommand)]
    Audit(users::AuditCommand),
    /// Electronic licences: check a licence PDF offline, publish and rotate signing keys.
    #[command(subcommand)]
    Licence(LicenceCommand),
    /// Couriers that report on parcels through the signed webhook (快递送达).
    #[command(subcommand)]
    Courier(CourierCommand),
}

#[derive(Debug, Subcommand)]
enum CourierCommand {
    /// Set up a courier: prints the shared secret its webhook signs reports with (HMAC-SHA256 of
    /// "<timestamp>.<body>"), shown this once. Reports go to POST
    /// /api/v1/couriers/CODE/reports.
    Add {
        /// Lower-case letters, digits or -, e.g. ems.
        code: String,
        /// The name the window sees, e.g. 中国邮政EMS.
        name: String,
    },
    /// List the couriers set up (without their secrets).
    List,
}

#[derive(Debug, Subcommand)]
enum LicenceCommand {
    /// Check a licence PDF offline against the published public keys: its signature, its key,
    /// its issuer. Exit 0 when genuine, 1 when not. The licence's state (revoked, expired…) is
    /// asked online: GET /api/v1/licences/verify.
    Verify {
        /// The PDF to check.
        file: PathBuf,
        /// The published public keys (the JSON of GET /api/v1/licences/keys or of `onewindow
        /// licence keys`); without it, the keys of the store of --data / --database.
        #[arg(long)]
        keys: Option<PathBuf>,
    },
    /// Print the published public keys as JSON (for `licence verify --keys`).
    Keys,
    /// Retire this node's current signing keys (of one issuing authority's credit code, or of
    /// all): the next licence is signed with a new key; the old public keys keep verifying.
    RotateKey {
        #[arg(long)]
        issuer: Option<String>,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ONEWINDOW_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Mark the session cookie Secure (set this when TLS ends in a proxy in front of onewindow
    /// that does not send X-Forwarded-Proto).
    #[arg(long, env = "ONEWINDOW_SECURE_COOKIES")]
    secure_cookies: bool,
    /// An SMTP relay to mail alerts through, smtp://host[:port] (plain SMTP, for a relay inside
    /// the government network); without it alerts stay in the inbox.
    #[arg(long, env = "ONEWINDOW_SMTP")]
    smtp: Option<String>,
    /// The sender of alert mail.
    #[arg(
        long,
        env = "ONEWINDOW_MAIL_FROM",
        default_value = "onewindow@localhost"
    )]
    mail_from: String,
    /// A NATS server with JetStream, nats://host:port (plain TCP): events go through its stream
    /// and alerts are mailed by one node of many; without it, events stay in this process.
    #[arg(long, env = "ONEWINDOW_NATS")]
    nats: Option<String>,
    /// The JetStream stream of the events (created if missing).
    #[arg(long, env = "ONEWINDOW_NATS_STREAM", default_value = "ONEWINDOW")]
    nats_stream: String,
    /// The first token of the events' subjects: topic alert.raised is PREFIX.alert.raised.
    #[arg(long, env = "ONEWINDOW_NATS_PREFIX", default_value = "onewindow")]
    nats_prefix: String,
    /// The address the public reaches onewindow at, for the links in messages to applicants
    /// (e.g. https://zwfw.example.gov.cn); http://ADDR by default.
    #[arg(long, env = "ONEWINDOW_PUBLIC_URL")]
    public_url: Option<String>,
    /// The county's SMS gateway, http://host[:port]/path (see docs/operations.md for what it
    /// receives); without it SMS are written to the log (last four digits of the number only).
    #[arg(long, env = "ONEWINDOW_SMS_GATEWAY", requires = "sms_key")]
    sms_gateway: Option<String>,
    /// The key the SMS gateway checks the signature of each request with.
    #[arg(long, env = "ONEWINDOW_SMS_KEY", hide_env_values = true)]
    sms_key: Option<String>,
    /// The signature put before every SMS (registered with the gateway).
    #[arg(long, env = "ONEWINDOW_SMS_SIGNATURE", default_value = onewindow_app::messages::DEFAULT_SIGNATURE)]
    sms_signature: String,
    /// A directory with the county's own message templates, zh-CN.ftl and en.ftl (the built-in
    /// ones as a model); checked at start.
    #[arg(long, env = "ONEWINDOW_MESSAGE_TEMPLATES")]
    message_templates: Option<PathBuf>,
    /// Minutes a ticket may wait in the hall before its supervisor is alerted.
    #[arg(long, env = "ONEWINDOW_QUEUE_WAIT_ALERT_MINUTES", default_value_t = onewindow_app::queue_report::DEFAULT_WAIT_ALERT_MINUTES)]
    queue_wait_alert_minutes: u32,
    #[command(flatten)]
    files: FileArgs,
}

/// Where the uploaded files of `serve` and `demo` are kept; the other commands read or write
/// none.
#[derive(Debug, Args)]
struct FileArgs {
    /// Keep uploaded files in an S3-compatible bucket, s3://BUCKET[/PREFIX], instead of
    /// DATA/files (keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "ONEWINDOW_FILES", value_name = "s3://BUCKET[/PREFIX]")]
    files: Option<String>,
    /// The S3-compatible server of --files, http://HOST[:PORT] (MinIO, Ceph; plain HTTP inside
    /// the network).
    #[arg(long, env = "ONEWINDOW_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// The region signed into S3 requests.
    #[arg(long, env = "ONEWINDOW_S3_REGION", default_value = onewindow_app::s3::DEFAULT_REGION)]
    s3_region: String,
}

#[derive(Debug, Subcommand)]
enum CatalogueCommand {
    /// Import items (and departments) from a JSON or CSV file; all or nothing.
    Import {
        file: PathBuf,
        /// json or csv; guessed from the file name when absent.
        #[arg(long)]
        format: Option<FileFormat>,
    },
    /// Export the current catalogue.
    Export {
        #[arg(long, default_value = "json")]
        format: FileFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FileFormat {
    Json,
    Csv,
}

impl From<FileFormat> for Format {
    fn from(f: FileFormat) -> Self {
        match f {
            FileFormat::Json => Format::Json,
            FileFormat::Csv => Format::Csv,
        }
    }
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// Print the date of the Nth working day after START (day 1 is the first working day after it).
    Deadline { start: NaiveDate, working_days: u32 },
    /// Load the State Council's holiday notice of a year (the holiday-cn JSON format, as in
    /// data/holidays-cn.json): the year after the last one held, or a correction of a year held.
    /// Deadlines counted provisionally are recomputed and the moves recorded; audited.
    Load { file: PathBuf },
    /// The years held, the provisional year and its statutory days off, the notices loaded.
    Show,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// The catalogue figures of the reform, from the stored items.
    Catalogue {
        #[arg(long, default_value = "table")]
        format: ReportFormat,
    },
    /// The monthly inspection report of a month: DIR/monthly-YYYY-MM.html and .pdf.
    Monthly(monthly::MonthlyArgs),
    /// Joint-approval bundles: materials, departments and visits before and after.
    Bundles {
        #[arg(long, default_value = "table")]
        format: ReportFormat,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormat {
    Table,
    Json,
}

/// Exit code of a refused import file (sysexits' EX_DATAERR), distinct from clap's usage error 2.
const EXIT_BAD_DATA: u8 = 65;
/// Exit code of `serve` on a store without an administrator (sysexits' EX_CONFIG).
const EXIT_NO_ADMINISTRATOR: u8 = 78;

/// The allocator arenas a node runs with. glibc gives every thread that allocates an arena of its
/// own (up to eight per core) and each keeps what was freed in it: 4–10 MiB of a node's 66–74 MiB
/// on the demo under the page bench (issue 19; docs/benchmarks.md). With two, the bench's page
/// throughput stayed within its run-to-run spread.
const MALLOC_ARENAS: &str = "2";

/// `serve` and `demo` start again with `MALLOC_ARENA_MAX` set (the same process: `exec` keeps the
/// PID, the arguments and the open files), as glibc reads it only when a process starts. The
/// image is this process's own (`/proc/self/exe`, not a path a new version may have replaced).
/// An operator's own setting in the environment is kept.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn with_bounded_arenas(cli: &Cli) {
    use std::os::unix::process::CommandExt;
    if !matches!(cli.command, Command::Serve(_) | Command::Demo { .. })
        || std::env::var_os("MALLOC_ARENA_MAX").is_some()
    {
        return;
    }
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| "onewindow".into());
    let error = std::process::Command::new("/proc/self/exe")
        .arg0(arg0)
        .args(args)
        .env("MALLOC_ARENA_MAX", MALLOC_ARENAS)
        .exec();
    // `exec` returns only when it failed; the node then runs with glibc's default arenas.
    eprintln!("warning: cannot start again with MALLOC_ARENA_MAX={MALLOC_ARENAS}: {error}");
}

/// Other C libraries and allocators do not read `MALLOC_ARENA_MAX`.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn with_bounded_arenas(_: &Cli) {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    with_bounded_arenas(&cli);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                // async-nats reports every reconnect attempt at info; the outbox dispatcher
                // already warns (once a minute) while NATS is away.
                tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn,async_nats=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The national calendar, the notices loaded into the store, then the county's overrides (which
/// may close days of a year only a loaded notice covers).
fn calendar(
    args: &StoreArgs,
    notices: &[onewindow_store::calendar::StoredNotice],
) -> Result<Calendar, Error> {
    let path = args
        .calendar_overrides
        .clone()
        .unwrap_or_else(|| args.data.join("calendar-overrides.json"));
    let mut calendar = Calendar::prc();
    for notice in notices {
        calendar = calendar
            .with_year_json(&notice.body)
            .context(format!("the stored holiday notice for {}", notice.year))?;
    }
    if args.calendar_overrides.is_none() && !path.exists() {
        return Ok(calendar);
    }
    let text = std::fs::read_to_string(&path).context(format!("cannot read {}", path.display()))?;
    calendar
        .with_overrides(&text)
        .context(format!("calendar overrides {}", path.display()))
}

/// Opens a store that must already exist: a mistyped `--data` should not report an empty county.
pub(crate) async fn open_existing(args: &StoreArgs) -> Result<Service, Error> {
    if args.database.is_none() && !args.data.join("onewindow.db").exists() {
        anyhow::bail!(
            "there is no store in {} (start one with `onewindow demo` or `onewindow serve`, or pass --data / --database)",
            args.data.display()
        );
    }
    open(args).await
}

pub(crate) async fn open(args: &StoreArgs) -> Result<Service, Error> {
    open_with(args, None, Arc::new(SystemClock)).await
}

/// Opens the store with the file store of `serve`/`demo` (DATA/files when `None`).
async fn open_with(
    args: &StoreArgs,
    files: Option<&FileArgs>,
    clock: Arc<dyn onewindow_app::Clock>,
) -> Result<Service, Error> {
    let url = match &args.database {
        Some(url) => url.clone(),
        None => onewindow_store::data_dir_url(&args.data)?,
    };
    let store = Store::open(&url)
        .await
        .context(format!("cannot open the store at {url}"))?;
    let files = file_store(args, files).await?;
    let notices = onewindow_store::calendar::notices(store.readers()).await?;
    let calendar = calendar(args, &notices)?;
    // The notices are in the calendar already; a serving node compares them with the store's at
    // every sweep tick (Service::sync_calendar).
    Ok(Service::new(store, calendar, clock, "330226")
        .with_file_store(files)
        .with_licence_keys(&args.data.join("licence-keys"))?)
}

/// Uploaded materials live beside the database in DATA/files, or in an S3-compatible bucket that
/// several nodes share (checked here, so a wrong bucket stops the command before it serves).
async fn file_store(
    args: &StoreArgs,
    files: Option<&FileArgs>,
) -> Result<Arc<dyn object_store::ObjectStore>, Error> {
    let Some((files, url)) = files.and_then(|f| Some((f, f.files.as_ref()?))) else {
        return Ok(onewindow_app::files::local_file_store(
            &args.data.join("files"),
        )?);
    };
    let config = onewindow_app::s3::S3Config::new(
        url,
        files.s3_endpoint.as_deref(),
        Some(&files.s3_region),
        std::env::var("AWS_ACCESS_KEY_ID").ok(),
        std::env::var("AWS_SECRET_ACCESS_KEY").ok(),
        std::env::var("AWS_SESSION_TOKEN").ok(),
    )?;
    let files = onewindow_app::s3::open(&config).await?;
    tracing::info!(files = %config.location, endpoint = %config.endpoint, "uploaded files go to the S3-compatible store");
    Ok(files)
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Calendar(CalendarCommand::Deadline {
            start,
            working_days,
        }) => {
            // With the notices loaded into the store, when there is one.
            let calendar =
                if cli.store.database.is_some() || cli.store.data.join("onewindow.db").exists() {
                    open(&cli.store).await?.calendar().as_ref().clone()
                } else {
                    calendar(&cli.store, &[])?
                };
            let deadline = calendar.add_working_days(start, working_days)?;
            if calendar.is_provisional(deadline) {
                println!(
                    "{deadline} (provisional: {} is counted on the statutory holidays until its notice is loaded)",
                    calendar
                        .provisional_year()
                        .unwrap_or(chrono::Datelike::year(&deadline))
                );
            } else {
                println!("{deadline}");
            }
        }
        Command::Calendar(CalendarCommand::Load { file }) => {
            let text = std::fs::read_to_string(&file)
                .context(format!("cannot read {}", file.display()))?;
            let service = open(&cli.store).await?;
            match service.load_holiday_notice(&users::operator(), &text).await {
                Ok(loaded) => {
                    println!(
                        "loaded the holiday notice for {}: {} case(s) checked, {} deadline(s) moved, {} of them earlier (their staff are alerted)",
                        loaded.year,
                        loaded.cases_checked,
                        loaded.deadlines_moved,
                        loaded.moved_earlier
                    );
                    if let Some(year) = loaded.provisional_year {
                        println!("{year} is now counted provisionally until its notice is loaded");
                    }
                }
                Err(onewindow_app::error::AppError::Invalid(problems)) => {
                    for problem in problems {
                        eprintln!("{}: {}", file.display(), problem.reason);
                    }
                    eprintln!("nothing was loaded");
                    return Ok(ExitCode::from(EXIT_BAD_DATA));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Calendar(CalendarCommand::Show) => {
            let service = open(&cli.store).await?;
            let overview = service.calendar_overview(&users::operator()).await?;
            let years = &overview.covered_years;
            match (years.first(), years.last()) {
                (Some(first), Some(last)) => println!("holiday notices held: {first}–{last}"),
                _ => println!("holiday notices held: none"),
            }
            for notice in &overview.loaded {
                println!(
                    "  {} loaded {} by {}",
                    notice.year,
                    notice.loaded_at.format("%Y-%m-%d %H:%M UTC"),
                    notice.loaded_by
                );
            }
            match overview.provisional_year {
                Some(year) => {
                    println!(
                        "provisional year: {year} (weekends and the statutory holidays below; make-up working days unknown until the notice)"
                    );
                    for (day, name) in &overview.provisional_days_off {
                        println!("  {day} {} {name}", day.format("%a"));
                    }
                }
                None => println!("provisional year: none"),
            }
        }
        Command::Serve(serve) => {
            let service = open_with(&cli.store, Some(&serve.files), Arc::new(SystemClock)).await?;
            if !service.has_administrator().await? {
                eprintln!(
                    "error: this store has no administrator account, and onewindow has no default password.\n\
                     Create one first, e.g.:\n    onewindow user add --username admin --name 管理员 --role admin\n\
                     (it prints a generated password once; --password-stdin reads one instead), then serve again."
                );
                return Ok(ExitCode::from(EXIT_NO_ADMINISTRATOR));
            }
            serve_until_stopped(service, &serve).await?;
        }
        Command::Demo {
            serve,
            cases,
            as_of,
        } => {
            let clock: Arc<dyn onewindow_app::Clock> = match as_of {
                Some(day) => {
                    eprintln!(
                        "running as on {day} (the clock starts at 09:00 China time that day)"
                    );
                    Arc::new(onewindow_app::ShiftedClock::from_morning_of(day))
                }
                None => Arc::new(SystemClock),
            };
            let service = open_with(&cli.store, Some(&serve.files), clock).await?;
            if let Some(loaded) = service.seed_demo(cases).await? {
                eprintln!(
                    "loaded the Ninghai demo profile: {} catalogue items in {} departments and {} cases",
                    loaded.items, loaded.departments, loaded.cases
                );
            } else {
                eprintln!("the store already holds a catalogue; serving it as it is");
            }
            service.seed_demo_accounts().await?;
            let bundles = service.seed_demo_bundles().await?;
            if bundles > 0 {
                eprintln!("published {bundles} joint-approval bundles (onewindow report bundles)");
            }
            seed_demo_region(&service).await?;
            // After the region: the zone's project leaves out the assessments the zone has done.
            let projects = service.seed_demo_projects().await?;
            if projects > 0 {
                eprintln!("registered {projects} investment projects the demo agent follows");
            }
            let firms = service.seed_demo_market().await?;
            if firms > 0 {
                eprintln!(
                    "registered {firms} intermediary firms in the online market (网上中介超市)"
                );
            }
            service.seed_demo_couriers().await?;
            let visits = service.seed_demo_evaluation().await?;
            if visits > 0 {
                eprintln!(
                    "recorded {visits} return visits, ratings and complaints (好差评, 99.6 % satisfied)"
                );
            }
            let licences = service.seed_demo_licences().await?;
            if licences > 0 {
                eprintln!(
                    "issued {licences} electronic licences to the demo applicants (我的证照)"
                );
            }
            users::print_demo_accounts()?;
            serve_until_stopped(service, &serve).await?;
        }
        Command::Catalogue(CatalogueCommand::Import { file, format }) => {
            let format = match format {
                Some(f) => f.into(),
                None => Format::from_path(&file).ok_or_else(|| {
                    Error::msg("say --format json or --format csv (the file name does not tell)")
                })?,
            };
            let text = std::fs::read_to_string(&file)
                .context(format!("cannot read {}", file.display()))?;
            let service = open(&cli.store).await?;
            let result = match catalogue_io::parse(format, &text) {
                Ok(doc) => service.import_catalogue(&users::operator(), doc).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(summary) => println!(
                    "imported {} new item version(s), {} unchanged, {} department(s)",
                    summary.new_versions, summary.unchanged, summary.departments
                ),
                Err(ImportError::BadRows(problems)) => {
                    eprintln!(
                        "{}; nothing was imported:",
                        catalogue_io::count_problems(&problems)
                    );
                    for problem in problems {
                        eprintln!("  {problem}");
                    }
                    return Ok(ExitCode::from(EXIT_BAD_DATA));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Catalogue(CatalogueCommand::Export { format, out }) => {
            let service = open_existing(&cli.store).await?;
            let doc = service.export_catalogue().await?;
            let text = catalogue_io::render(format.into(), &doc)?;
            match out {
                Some(path) => std::fs::write(&path, text)
                    .context(format!("cannot write {}", path.display()))?,
                None => print!("{text}"),
            }
        }
        Command::Report(ReportCommand::Catalogue { format }) => {
            let service = open_existing(&cli.store).await?;
            let figures = service.catalogue_figures().await?;
            match format {
                ReportFormat::Table => {
                    print!("{}", figures.to_table());
                    let bundles = service.bundle_report().await?;
                    if !bundles.is_empty() {
                        println!("\njoint-approval bundles (联办事项):");
                        print!("{}", bundle_table(&bundles));
                    }
                }
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&figures)?),
            }
        }
        Command::Report(ReportCommand::Bundles { format }) => {
            let service = open_existing(&cli.store).await?;
            let lines = service.bundle_report().await?;
            match format {
                ReportFormat::Table => print!("{}", bundle_table(&lines)),
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&lines)?),
            }
        }
        Command::Licence(LicenceCommand::Verify { file, keys }) => {
            let bytes = std::fs::read(&file).context(format!("cannot read {}", file.display()))?;
            let keys: Vec<onewindow_store::licences::PublicKeyRow> = match keys {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .context(format!("cannot read {}", path.display()))?;
                    serde_json::from_str(&text).context(format!(
                        "{} is not a list of licence public keys",
                        path.display()
                    ))?
                }
                None => {
                    open_existing(&cli.store)
                        .await?
                        .licence_public_keys()
                        .await?
                }
            };
            return Ok(match onewindow_app::licences::check_pdf(&bytes, &keys) {
                Ok(check) => {
                    println!(
                        "genuine: licence {} signed by issuing authority {} with key {}{}",
                        check.identifier,
                        check.issuer_code,
                        check.key_id,
                        if check.key_retired {
                            " (a retired key; it still verifies what it signed)"
                        } else {
                            ""
                        }
                    );
                    println!(
                        "its state today (valid, changed, revoked, expired, cancelled) is answered online: GET /api/v1/licences/verify?id={}",
                        check.identifier
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("NOT GENUINE: {}: {e}", file.display());
                    ExitCode::FAILURE
                }
            });
        }
        Command::Licence(LicenceCommand::Keys) => {
            let service = open_existing(&cli.store).await?;
            let keys = service.licence_public_keys().await?;
            println!("{}", serde_json::to_string_pretty(&keys)?);
        }
        Command::Licence(LicenceCommand::RotateKey { issuer }) => {
            let service = open_existing(&cli.store).await?;
            let retired = service
                .rotate_licence_keys(
                    &onewindow_app::Actor::command_line("licence"),
                    issuer.as_deref(),
                )
                .await?;
            if retired.is_empty() {
                println!(
                    "no current key to retire on this node (a new one is made at the next licence)"
                );
            }
            for id in retired {
                println!("retired key {id}; it still verifies what it signed");
            }
        }
        Command::Courier(CourierCommand::Add { code, name }) => {
            let service = open_existing(&cli.store).await?;
            let secret = service
                .add_courier(&onewindow_app::Actor::command_line("courier"), &code, &name)
                .await?;
            println!("courier {code} set up; its webhook secret (shown once):");
            println!("{secret}");
        }
        Command::Courier(CourierCommand::List) => {
            let service = open_existing(&cli.store).await?;
            for courier in service.couriers().await? {
                println!("{}\t{}", courier.code, courier.name);
            }
        }
        Command::Report(ReportCommand::Monthly(args)) => {
            return monthly::run(&cli.store, args).await;
        }
        Command::Generate(args) => generate::run(&cli.store, args).await?,
        Command::Bench(args) => bench::run(args, &cli.store).await?,
        Command::User(command) => return users::run_user(&cli.store, command).await,
        Command::Audit(command) => return users::run_audit(&cli.store, command).await,
        Command::Centre(command) => return users::run_centre(&cli.store, command).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// The bundle report as a plain table, one line per bundle and a total.
fn bundle_table(lines: &[onewindow_app::bundles::BundleReportLine]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "bundle            lead    members  materials before→after  departments before→after  visits before→after  name\n",
    );
    let (mut mb, mut ma, mut vb, mut va) = (0, 0, 0, 0);
    for l in lines {
        let f = &l.figures;
        let _ = writeln!(
            out,
            "{:<17} {:<7} {:>7}  {:>10} → {:<10}  {:>13} → {:<10}  {:>8} → {:<9}  {}",
            l.code,
            l.lead_department,
            l.members,
            f.materials_before,
            f.materials_after,
            f.departments_before,
            f.departments_after,
            f.visits_before,
            f.visits_after,
            l.name
        );
        mb += f.materials_before;
        ma += f.materials_after;
        vb += f.visits_before;
        va += f.visits_after;
    }
    let _ = writeln!(
        out,
        "{} bundles: materials {mb} → {ma}, visits in person {vb} → {va}",
        lines.len()
    );
    out
}

async fn serve_until_stopped(service: Service, serve: &ServeArgs) -> Result<(), Error> {
    let addr = &serve.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .context(format!("cannot listen on {addr}"))?;
    // Items published by an older version carry an older search index (no pinyin); bring them
    // up to date before the first search.
    let reindexed = service.reindex_catalogue_search().await?;
    if reindexed > 0 {
        eprintln!("re-indexed the search text of {reindexed} catalogue items");
    }
    let service = match &serve.smtp {
        Some(url) => {
            let mail = onewindow_app::mail::MailConfig::parse(url, &serve.mail_from)
                .map_err(Error::msg)?;
            eprintln!("alerts are mailed through {}:{}", mail.host, mail.port);
            service.with_mail(mail)
        }
        None => service,
    };
    if serve.sms_gateway.is_some() && serve.public_url.is_none() {
        return Err(Error::msg(
            "with --sms-gateway, say --public-url: the address applicants reach onewindow at goes into their SMS",
        ));
    }
    let public_url = serve
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let sms = match (&serve.sms_gateway, &serve.sms_key) {
        (Some(url), Some(key)) => {
            let gateway =
                onewindow_app::messages::SmsGateway::http(url, key).map_err(Error::msg)?;
            eprintln!("SMS to applicants go through {url}");
            gateway
        }
        _ => onewindow_app::messages::SmsGateway::Logging,
    };
    let messaging = onewindow_app::messages::MessagingConfig::new(
        &public_url,
        &serve.sms_signature,
        sms,
        serve.message_templates.as_deref(),
    )
    .map_err(|e| Error::msg(format!("the message templates cannot be used: {e}")))?;
    let service = service
        .with_messaging(messaging)
        .with_queue_wait_alert(serve.queue_wait_alert_minutes);
    let bus = match &serve.nats {
        Some(url) => {
            let config = NatsConfig {
                stream: serve.nats_stream.clone(),
                subject_prefix: serve.nats_prefix.clone(),
                ..NatsConfig::new(url.clone())
            };
            let bus = EventBus::connect(config).await?;
            if bus.is_connected() {
                eprintln!(
                    "events go through NATS JetStream at {url} (stream {}, subjects {}.>)",
                    serve.nats_stream, serve.nats_prefix
                );
            } else {
                eprintln!(
                    "warning: NATS at {url} is not reachable yet; events wait in the outbox until it is"
                );
            }
            Some(bus)
        }
        None => None,
    };
    let jobs = jobs::spawn(service.clone(), JobIntervals::default(), bus);
    eprintln!("onewindow is serving on http://{addr} (API under /api/v1, Ctrl-C stops)");
    let config = onewindow_web::WebConfig {
        secure_cookies: serve.secure_cookies,
    };
    let app = onewindow_web::app_with(service, config)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the server failed")?;
    for job in jobs {
        job.abort();
    }
    Ok(())
}

/// The demo's assessed region (区域评估): the Ninghai economic development zone has done the
/// environmental, soil-and-water, energy and geological-hazard assessments once for every
/// project in it, so their steps leave the plans of its projects. Recorded again on each start
/// (the same row).
async fn seed_demo_region(service: &Service) -> Result<(), Error> {
    use onewindow_app::projects::Region;
    use onewindow_domain::project::Assessment;
    let region = Region {
        code: "ninghai-economic-development-zone".into(),
        name: "宁海经济开发区".into(),
        assessments: [
            Assessment::EnvironmentalImpact,
            Assessment::SoilAndWater,
            Assessment::Energy,
            Assessment::GeologicalHazard,
        ]
        .into_iter()
        .collect(),
    };
    service.save_region(&users::operator(), region).await?;
    Ok(())
}
