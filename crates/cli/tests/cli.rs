//! End-to-end tests of the `onewindow` binary: each test runs the real executable as a child
//! process on a fresh store of its own and looks only at exit codes, standard output, standard
//! error, the files it writes and, where it serves, what it answers over HTTP.
//!
//! By default a store is a fresh temporary data directory (`--data DIR`, an SQLite file), removed
//! afterwards. With `ONEWINDOW_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres` the
//! store tests (catalogue round trip, refused imports, demo report, accounts, the audit chain)
//! run against PostgreSQL instead, each on a fresh scratch database passed as `--database URL`.
//!
//! The audit-chain test is the one place that goes behind the binary's back: it edits the
//! store's tables directly, as someone with write access to the database would, and checks that
//! `onewindow audit verify` names the record that was tampered with.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use onewindow_domain::audit::{AuditEntry, AuditRecord, Outcome, link, record_hash};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_onewindow");

/// A temporary directory removed when the test ends, whether it passed or not.
use onewindow_testkit::TempDir;

/// A scratch PostgreSQL database, dropped when the test ends.
struct ScratchDatabase {
    base: String,
    url: String,
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        use sqlx::Connection as _;
        let Some((_, name)) = self.url.rsplit_once('/') else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            sqlx::any::install_default_drivers();
            if let Ok(mut conn) = sqlx::AnyConnection::connect(&self.base).await {
                // The name is ours (prefix and UUID), so it needs no quoting.
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
        });
    }
}

/// One test's store: its own data directory and, under PostgreSQL, its own scratch database.
struct TestStore {
    dir: TempDir,
    database: Option<ScratchDatabase>,
}

impl TestStore {
    /// A fresh SQLite data directory, whatever the environment says.
    fn sqlite(label: &str) -> Self {
        Self {
            dir: TempDir::new(label),
            database: None,
        }
    }

    /// A fresh store on the backend the environment asks for (see the module comment).
    fn fresh(label: &str) -> Self {
        let mut store = Self::sqlite(label);
        if let Ok(base) = std::env::var("ONEWINDOW_TEST_POSTGRES")
            && !base.is_empty()
        {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to create the scratch database");
            let url = runtime
                .block_on(onewindow_store::create_scratch_postgres(
                    &base,
                    "onewindow_cli",
                ))
                .expect("PostgreSQL reachable at ONEWINDOW_TEST_POSTGRES");
            store.database = Some(ScratchDatabase { base, url });
        }
        store
    }

    /// `onewindow --data DIR [--database URL] ARGS…`, isolated from the caller's environment.
    /// The data directory is passed even with a database URL, so that nothing (calendar
    /// overrides) is picked up from the working directory.
    fn command(&self, args: &[&str]) -> Command {
        self.command_of(BIN, args)
    }

    /// `command` with another build of the binary.
    fn command_of(&self, binary: &str, args: &[&str]) -> Command {
        let mut command = bare_command_of(binary, args);
        command.arg("--data").arg(self.dir.path());
        if let Some(database) = &self.database {
            command.arg("--database").arg(&database.url);
        }
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        command.output().expect("run the onewindow binary")
    }

    /// Runs a command that must succeed and returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "onewindow {args:?} failed with {}\nstdout: {}\nstderr: {}",
            output.status,
            stdout(&output),
            stderr(&output)
        );
        stdout(&output)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Runs a command with `input` on its standard input (for `--password-stdin`).
    fn run_input(&self, args: &[&str], input: &str) -> Output {
        let mut command = self.command(args);
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("run the onewindow binary");
        child
            .stdin
            .take()
            .expect("a pipe to standard input")
            .write_all(input.as_bytes())
            .expect("write to standard input");
        child
            .wait_with_output()
            .expect("wait for the onewindow binary")
    }

    /// Like [`TestStore::ok`], with `input` on standard input.
    fn ok_input(&self, args: &[&str], input: &str) -> String {
        let output = self.run_input(args, input);
        assert!(
            output.status.success(),
            "onewindow {args:?} failed with {}\nstdout: {}\nstderr: {}",
            output.status,
            stdout(&output),
            stderr(&output)
        );
        stdout(&output)
    }

    /// The URL of the store's database, to reach behind the binary's back.
    fn database_url(&self) -> String {
        match &self.database {
            Some(database) => database.url.clone(),
            None => onewindow_store::data_dir_url(self.dir.path()).expect("the SQLite URL"),
        }
    }

    /// A copy of this store (no process may have it open): the SQLite files, or a PostgreSQL
    /// database made from this one as its template.
    fn copy(&self, label: &str) -> TestStore {
        let copy = Self::sqlite(label);
        for entry in std::fs::read_dir(self.dir.path()).expect("list the data directory") {
            let entry = entry.expect("a directory entry");
            let name = entry.file_name();
            if name.to_string_lossy().starts_with("onewindow.db") {
                std::fs::copy(entry.path(), copy.dir.join(&name.to_string_lossy()))
                    .expect("copy the SQLite store");
            }
        }
        let database = self.database.as_ref().map(|original| {
            let (_, original_name) = original.url.rsplit_once('/').expect("a database name");
            let (head, _) = original.base.rsplit_once('/').expect("a database name");
            let name = format!("onewindow_cli_{}", uuid::Uuid::now_v7().simple());
            // The template must have no sessions; the binary's may take a moment to end.
            let sql = format!("CREATE DATABASE {name} TEMPLATE {original_name}");
            let create = || {
                let sql = sql.clone();
                on_database(&original.base, async move |conn| {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            };
            let mut attempts = 0;
            while let Err(e) = create() {
                attempts += 1;
                assert!(attempts < 50, "cannot copy {original_name}: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
            ScratchDatabase {
                base: original.base.clone(),
                url: format!("{head}/{name}"),
            }
        });
        TestStore { database, ..copy }
    }

    /// Runs `job` on a connection to the store's database.
    fn with_database<T>(
        &self,
        job: impl AsyncFnOnce(&mut sqlx::AnyConnection) -> Result<T, sqlx::Error>,
    ) -> T {
        on_database(&self.database_url(), job).expect("SQL on the store")
    }
}

/// Runs `job` on a fresh connection to the database at `url`.
fn on_database<T>(
    url: &str,
    job: impl AsyncFnOnce(&mut sqlx::AnyConnection) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    use sqlx::Connection as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for SQL");
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        let outcome = job(&mut conn).await;
        // Closing waits for SQLite's worker to fold the WAL back and delete it; a dropped
        // connection does that later, behind the back of a test that copies the files.
        conn.close().await?;
        outcome
    })
}

/// The binary with the given arguments and none of the `ONEWINDOW_*` settings of the caller.
fn bare_command(args: &[&str]) -> Command {
    bare_command_of(BIN, args)
}

/// `bare_command` of another build of the binary (the release build of the crash test).
fn bare_command_of(binary: &str, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command
        .args(args)
        .env_remove("ONEWINDOW_DATA")
        .env_remove("ONEWINDOW_DATABASE_URL")
        .env_remove("ONEWINDOW_CALENDAR_OVERRIDES")
        .env_remove("ONEWINDOW_ADDR")
        .env_remove("ONEWINDOW_NATS")
        .env_remove("ONEWINDOW_NATS_STREAM")
        .env_remove("ONEWINDOW_NATS_PREFIX")
        .env_remove("ONEWINDOW_FILES")
        .env_remove("ONEWINDOW_S3_ENDPOINT")
        .env_remove("ONEWINDOW_S3_REGION")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn write_file(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write a test input file");
}

fn read_file(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read a file the binary wrote")
}

// -------------------------------------------------------------------------------------------
// 1. Calendar

fn deadline(dir: &TempDir, start: &str, days: &str) -> Output {
    bare_command(&["calendar", "deadline", start, days])
        .arg("--data")
        .arg(dir.path())
        .output()
        .expect("run the onewindow binary")
}

/// The off days and make-up working days of `data/holidays-cn.json`.
fn holiday_data() -> (Vec<String>, Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/holidays-cn.json");
    let data: Value = serde_json::from_str(&read_file(&path)).expect("holiday data is JSON");
    let mut off = Vec::new();
    let mut make_up = Vec::new();
    for year in data["years"].as_array().expect("a list of years") {
        for day in year["days"].as_array().expect("a list of days") {
            let date = day["date"].as_str().expect("a date").to_string();
            if day["isOffDay"].as_bool().expect("isOffDay") {
                off.push(date);
            } else {
                make_up.push(date);
            }
        }
    }
    (off, make_up)
}

/// An independent working-day count from the raw holiday data, to check the binary against.
fn reference_deadline(
    (off, make_up): &(Vec<String>, Vec<String>),
    start: chrono::NaiveDate,
    days: u32,
) -> chrono::NaiveDate {
    use chrono::Datelike as _;
    let mut date = start;
    let mut left = days;
    while left > 0 {
        date = date.succ_opt().expect("a next day");
        let text = date.format("%Y-%m-%d").to_string();
        let weekend = date.weekday().number_from_monday() > 5;
        let working = if off.contains(&text) {
            false
        } else {
            !weekend || make_up.contains(&text)
        };
        if working {
            left -= 1;
        }
    }
    date
}

#[test]
fn calendar_deadline_follows_the_holiday_notices() {
    let dir = TempDir::new("calendar");

    // What the expected dates rest on, as data/holidays-cn.json records it.
    let data = holiday_data();
    let (off, make_up) = &data;
    for day in 1..=7 {
        let date = format!("2026-10-{day:02}");
        assert!(off.contains(&date), "{date} is a National Day off day");
    }
    assert!(
        make_up.contains(&"2026-02-14".to_string()),
        "Saturday 14 February 2026 is a make-up working day"
    );
    for day in 15..=23 {
        let date = format!("2026-02-{day:02}");
        assert!(off.contains(&date), "{date} is a Spring Festival off day");
    }

    for (start, days, expected) in [
        ("2026-09-30", "1", "2026-10-08"),
        ("2026-02-13", "2", "2026-02-24"),
    ] {
        let output = deadline(&dir, start, days);
        assert!(
            output.status.success(),
            "deadline {start} {days}: {}",
            stderr(&output)
        );
        assert_eq!(
            stdout(&output).trim(),
            expected,
            "deadline {start} + {days}"
        );
    }

    // Every start around Mid-Autumn and National Day 2026 agrees with a count from the raw data.
    let first = chrono::NaiveDate::from_ymd_opt(2026, 9, 14).expect("a valid date");
    for offset in 0..30 {
        let start = first + chrono::Days::new(offset);
        for days in [1u32, 4] {
            let start_text = start.format("%Y-%m-%d").to_string();
            let output = deadline(&dir, &start_text, &days.to_string());
            assert!(output.status.success(), "{}", stderr(&output));
            assert_eq!(
                stdout(&output).trim(),
                reference_deadline(&data, start, days)
                    .format("%Y-%m-%d")
                    .to_string(),
                "deadline {start_text} + {days}"
            );
        }
    }

    // The year after the last notice (2027) is answered on the statutory holidays and says so;
    // a year beyond it is an error, never a guess, also when only the answer falls into it.
    let output = deadline(&dir, "2026-12-31", "1");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("2027-01-04 (provisional: 2027"),
        "New Year's Day is off, and the answer is marked: {}",
        stdout(&output)
    );
    for start in ["2028-03-01", "2027-12-31"] {
        let output = deadline(&dir, start, "1");
        assert!(!output.status.success(), "{start} + 1 must fail");
        assert!(stdout(&output).trim().is_empty(), "no date printed");
        let message = stderr(&output);
        assert!(
            message.contains("2028"),
            "the message names the year 2028: {message}"
        );
    }

    // Dates that are not dates are refused by the argument parser (usage error, exit code 2).
    for start in ["2026-02-30", "30/09/2026", "tomorrow"] {
        let output = deadline(&dir, start, "1");
        assert_eq!(output.status.code(), Some(2), "{start} is a usage error");
        let message = stderr(&output);
        assert!(
            message.contains("invalid value") && message.contains(start),
            "the message names the bad value {start}: {message}"
        );
    }
    let output = deadline(&dir, "2026-09-30", "-1");
    assert_eq!(output.status.code(), Some(2), "a negative count is refused");
}

// -------------------------------------------------------------------------------------------
// 2. Catalogue import and export

fn departments() -> Value {
    json!([
        {"code": "GA", "name": "公安局", "name_en": "Public Security"},
        {"code": "SCJG", "name": "市场监督管理局", "name_en": "Market Supervision"}
    ])
}

/// A small catalogue that exercises every column, including text the CSV has to quote.
fn catalogue() -> Value {
    json!({
        "departments": departments(),
        "items": [
            {
                "code": "330226-GA-001",
                "name": "普通护照签发",
                "kind": "licence",
                "department": "GA",
                "legal_basis": "《中华人民共和国护照法》第四条, \"第五条\"\n第二款",
                "statutory_days": 15,
                "promised_days": 7,
                "visits_required": 1,
                "run_mode": "window_express",
                "levels": ["county"],
                "hall": {"allowed": true, "in_hall": true, "authorised": true},
                "materials": [
                    {
                        "key": "M01", "name": "居民身份证", "form": "original", "copies": 1,
                        "source": "applicant", "category": "ordinary", "required": true
                    },
                    {
                        "key": "M02", "name": "户口簿", "form": "copy", "copies": 2,
                        "source": "government", "category": "certificate", "required": false,
                        "sample": "见样表, 第 2 页",
                        "cancelled": {"date": "2017-03-01", "reason": "部门间共享, 不再提交"}
                    }
                ],
                "intermediary_services": [],
                "fee": {"charged": true, "description": "工本费 120 元/本"},
                "result_licence_type": "护照"
            },
            {
                "code": "330226-SCJG-001",
                "name": "食品经营许可（新办）",
                "kind": "licence",
                "department": "SCJG",
                "legal_basis": "《中华人民共和国食品安全法》第三十五条",
                "statutory_days": 20,
                "promised_days": 5,
                "visits_required": 1,
                "run_mode": "online_prereview",
                "levels": ["county", "township"],
                "hall": {"allowed": true, "in_hall": true, "authorised": false},
                "materials": [
                    {
                        "key": "M01", "name": "食品经营许可申请书", "form": "original",
                        "copies": 1, "source": "applicant", "category": "ordinary",
                        "required": true
                    },
                    {
                        "key": "M02", "name": "其他法律法规规定的材料", "form": "copy",
                        "copies": 1, "source": "applicant", "category": "catch_all",
                        "required": true,
                        "cancelled": {"date": "2018-06-30", "reason": "兜底条款清理"}
                    }
                ],
                "intermediary_services": [
                    {
                        "name": "经营场所检测", "working_days": 10,
                        "cancelled": {"date": "2017-09-01", "reason": "改为告知承诺"}
                    },
                    {"name": "设计审查", "working_days": 5}
                ],
                "fee": {"charged": false, "description": ""},
                "result_licence_type": "食品经营许可证"
            },
            {
                "code": "330226-SCJG-002",
                "name": "个体工商户注销登记",
                "kind": "filing",
                "department": "SCJG",
                "legal_basis": "",
                "statutory_days": 0,
                "promised_days": 0,
                "visits_required": 0,
                "run_mode": "online_online",
                "levels": ["county", "township", "village"],
                "hall": {"allowed": false, "in_hall": false, "authorised": false},
                "materials": [],
                "intermediary_services": [],
                "fee": {"charged": false, "description": ""}
            }
        ]
    })
}

fn items_by_code(doc: &Value) -> Vec<Value> {
    let mut items = doc["items"].as_array().expect("a list of items").clone();
    items.sort_by(|a, b| a["code"].as_str().cmp(&b["code"].as_str()));
    items
}

fn import_line(new: usize, unchanged: usize, departments: usize) -> String {
    format!(
        "imported {new} new item version(s), {unchanged} unchanged, {departments} department(s)"
    )
}

#[test]
fn catalogue_round_trip_through_json_and_csv() {
    let a = TestStore::fresh("roundtrip-a");
    let b = TestStore::fresh("roundtrip-b");
    let input = a.file("catalogue.json");
    let original = catalogue();
    write_file(
        &input,
        &serde_json::to_string_pretty(&original).expect("serialise the test catalogue"),
    );

    // Store A: import the JSON (format guessed from the name), export it both ways.
    assert_eq!(
        a.ok(&["catalogue", "import", path_arg(&input)]).trim(),
        import_line(3, 0, 2)
    );
    let a_json = a.file("A.json");
    let a_csv = a.file("A.csv");
    a.ok(&[
        "catalogue",
        "export",
        "--format",
        "json",
        "--out",
        path_arg(&a_json),
    ]);
    a.ok(&[
        "catalogue",
        "export",
        "--format",
        "csv",
        "--out",
        path_arg(&a_csv),
    ]);
    let exported_json = read_file(&a_json);
    let exported: Value = serde_json::from_str(&exported_json).expect("the export is JSON");
    assert_eq!(
        exported["departments"],
        departments(),
        "departments by code"
    );
    assert_eq!(
        items_by_code(&exported),
        items_by_code(&original),
        "the JSON export holds exactly the imported items"
    );
    assert_eq!(
        a.ok(&["catalogue", "export"]),
        exported_json,
        "--out writes what standard output shows (JSON by default)"
    );
    let exported_csv = read_file(&a_csv);
    assert!(
        exported_csv.starts_with("code,name,kind,department,"),
        "a CSV header: {exported_csv}"
    );

    // Store B: departments from a JSON without items, then the items from the CSV alone.
    let b_departments = b.file("departments.json");
    write_file(
        &b_departments,
        &json!({"departments": departments(), "items": []}).to_string(),
    );
    assert_eq!(
        b.ok(&["catalogue", "import", path_arg(&b_departments)])
            .trim(),
        import_line(0, 0, 2)
    );
    let csv_copy = b.file("from-a.data");
    write_file(&csv_copy, &exported_csv);
    assert_eq!(
        b.ok(&[
            "catalogue",
            "import",
            "--format",
            "csv",
            path_arg(&csv_copy)
        ])
        .trim(),
        import_line(3, 0, 0)
    );
    let b_json = b.file("B.json");
    let b_csv = b.file("B.csv");
    b.ok(&[
        "catalogue",
        "export",
        "--format",
        "json",
        "--out",
        path_arg(&b_json),
    ]);
    b.ok(&[
        "catalogue",
        "export",
        "--format",
        "csv",
        "--out",
        path_arg(&b_csv),
    ]);
    assert_eq!(read_file(&b_json), exported_json, "JSON exports of A and B");
    assert_eq!(read_file(&b_csv), exported_csv, "CSV exports of A and B");

    // Importing an export again changes nothing, in either format and either store.
    for (store, file, departments) in [
        (&a, &a_json, 2),
        (&a, &a_csv, 0),
        (&b, &a_json, 2),
        (&b, &b_csv, 0),
    ] {
        assert_eq!(
            store.ok(&["catalogue", "import", path_arg(file)]).trim(),
            import_line(0, 3, departments),
            "re-import of {}",
            file.display()
        );
    }
    assert_eq!(read_file(&a_json), exported_json);
    assert_eq!(a.ok(&["catalogue", "export"]), exported_json);
    assert_eq!(b.ok(&["catalogue", "export"]), exported_json);

    // Changing one item makes exactly one new version.
    let mut changed = original.clone();
    changed["items"][1]["promised_days"] = json!(3);
    let changed_file = a.file("changed.json");
    write_file(&changed_file, &changed.to_string());
    assert_eq!(
        a.ok(&["catalogue", "import", path_arg(&changed_file)])
            .trim(),
        import_line(1, 2, 2)
    );

    // A file whose name says no format needs --format.
    let output = a.run(&["catalogue", "import", path_arg(&csv_copy)]);
    assert!(!output.status.success(), "no format, no import");
    assert!(
        stderr(&output).contains("--format"),
        "the message says to give --format: {}",
        stderr(&output)
    );
}

// -------------------------------------------------------------------------------------------
// 3. Refused imports

const CSV_HEADER: &str = "code,name,kind,department,legal_basis,statutory_days,promised_days,\
visits_required,run_mode,levels,hall_allowed,in_hall,authorised,fee_charged,fee_description,\
result_licence_type,materials,intermediary_services";

/// Asserts that an import of `file` is refused with exit code 65 (EX_DATAERR), that standard error holds
/// every expected `row N: field:` line and no other row line, and that the catalogue is the
/// same afterwards.
fn assert_refused(store: &TestStore, file: &Path, expected: &[&str]) {
    // A store that does not exist yet has nothing to export (export refuses a missing store).
    let before = store.run(&["catalogue", "export"]);
    let before = if before.status.success() {
        stdout(&before)
    } else {
        assert!(
            stderr(&before).contains("there is no store"),
            "export explains a missing store: {}",
            stderr(&before)
        );
        serde_json::to_string_pretty(&json!({"departments": [], "items": []})).expect("json")
    };
    let output = store.run(&["catalogue", "import", path_arg(file)]);
    let message = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(65),
        "a file with bad rows exits with 65; stderr: {message}"
    );
    assert!(
        stdout(&output).trim().is_empty(),
        "nothing reported as imported"
    );
    assert!(
        message.contains("bad row(s); nothing was imported"),
        "says that nothing was imported: {message}"
    );
    let rows: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("row "))
        .collect();
    for prefix in expected {
        assert!(
            rows.iter().any(|r| r.starts_with(prefix)),
            "stderr names {prefix:?}: {message}"
        );
    }
    assert_eq!(rows.len(), expected.len(), "only the bad rows: {message}");
    assert_eq!(
        store.ok(&["catalogue", "export"]),
        before,
        "nothing was imported"
    );
}

#[test]
fn import_with_bad_rows_reports_every_row_and_imports_nothing() {
    let store = TestStore::fresh("bad-import");

    // Into an empty store: a good row 2, a bad kind on row 3, a bad number on row 4 (and a bad
    // flag beside it), a bad level and a bad materials list on row 5.
    let bad_csv = store.file("bad.csv");
    write_file(
        &bad_csv,
        &format!(
            "{CSV_HEADER}\n\
             330226-GA-002,护照加注,licence,GA,,15,7,1,window_express,county,true,true,true,false,,,[],[]\n\
             330226-GA-003,港澳通行证,permit,GA,,15,7,1,window_express,county,true,true,true,false,,,[],[]\n\
             330226-GA-004,台湾通行证,licence,GA,,twenty,7,1,window_express,county,true,maybe,false,false,,,[],[]\n\
             330226-GA-005,出入境记录查询,public_service,GA,,0,0,0,immediate,city,true,true,true,false,,,{{,[]\n"
        ),
    );
    assert_refused(
        &store,
        &bad_csv,
        &[
            "row 3: kind:",
            "row 4: statutory_days:",
            "row 4: in_hall:",
            "row 5: levels:",
            "row 5: materials:",
        ],
    );
    let empty: Value =
        serde_json::from_str(&store.ok(&["catalogue", "export"])).expect("the export is JSON");
    assert_eq!(empty["items"], json!([]), "no item at all in the store");
    assert_eq!(empty["departments"], json!([]), "no department either");

    // Into a loaded store: a bad file that would also change an existing item leaves it alone.
    let input = store.file("catalogue.json");
    write_file(&input, &catalogue().to_string());
    store.ok(&["catalogue", "import", path_arg(&input)]);
    let changing_csv = store.file("changing.csv");
    write_file(
        &changing_csv,
        &format!(
            "{CSV_HEADER}\n\
             330226-GA-001,普通护照签发（改）,licence,GA,,15,3,0,window_express,county,true,true,true,false,,,[],[]\n\
             330226-GA-003,港澳通行证,permit,GA,,15,7,1,window_express,county,true,true,true,false,,,[],[]\n\
             330226-GA-004,台湾通行证,licence,GA,,-1,7,1,window_express,county,true,true,true,false,,,[],[]\n"
        ),
    );
    assert_refused(
        &store,
        &changing_csv,
        &["row 3: kind:", "row 4: statutory_days:"],
    );

    // JSON items breaking the item rules: positions count from 1.
    let mut invalid = catalogue();
    invalid["items"][1]["promised_days"] = json!(30);
    invalid["items"][2]["name"] = json!("  ");
    let invalid_file = store.file("invalid.json");
    write_file(&invalid_file, &invalid.to_string());
    assert_refused(
        &store,
        &invalid_file,
        &["row 2: promised_days:", "row 3: name:"],
    );

    // Rows that are only bad against the store: an unknown department, a repeated code.
    let mut unknown = json!({"items": catalogue()["items"].clone()});
    unknown["items"][0]["department"] = json!("ZJJ");
    unknown["items"][2]["code"] = json!("330226-SCJG-001");
    let unknown_file = store.file("unknown.json");
    write_file(&unknown_file, &unknown.to_string());
    assert_refused(
        &store,
        &unknown_file,
        &["row 1: department:", "row 3: code:"],
    );

    // A file that is not a catalogue at all is an error too, not a partial import.
    let garbage = store.file("garbage.json");
    write_file(&garbage, "{\"items\": [");
    let before = store.ok(&["catalogue", "export"]);
    let output = store.run(&["catalogue", "import", path_arg(&garbage)]);
    assert!(!output.status.success(), "unreadable JSON is refused");
    assert!(
        stderr(&output).contains("not valid JSON"),
        "{}",
        stderr(&output)
    );
    assert_eq!(store.ok(&["catalogue", "export"]), before);
}

// -------------------------------------------------------------------------------------------
// 4. The demo profile and the catalogue report

/// A child process killed when dropped, so that a failing test leaves no server behind.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// `GET /health` over a raw connection; true once the server answers 200 "ok".
fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut response = String::new();
    if stream.read_to_string(&mut response).is_err() {
        return false;
    }
    response.starts_with("HTTP/1.1 200") && response.trim_end().ends_with("ok")
}

/// How a server command ended up: serving on its address, or exited before it answered.
enum Started {
    Serving(Server, SocketAddr),
    Exited(std::process::ExitStatus, String),
}

/// Runs `onewindow ARGS… --addr 127.0.0.1:PORT` on the store until it answers `/health` or
/// exits, whichever comes first.
fn start(store: &TestStore, args: &[&str]) -> Started {
    start_of(store, BIN, args)
}

/// `start` with another build of the binary.
fn start_of(store: &TestStore, binary: &str, args: &[&str]) -> Started {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}")
        .parse()
        .expect("a socket address");
    let log = store.file(&format!("server-{port}.log"));
    let log_file = std::fs::File::create(&log).expect("create the server log");
    let mut command = store.command_of(binary, args);
    command
        .arg("--addr")
        .arg(addr.to_string())
        .stdout(log_file.try_clone().expect("share the server log"))
        .stderr(log_file);
    let mut server = Server {
        child: command.spawn().expect("start the onewindow server"),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(status) = server.child.try_wait().expect("poll the server process") {
            let log = server.log();
            return Started::Exited(status, log);
        }
        if healthy(addr) {
            return Started::Serving(server, addr);
        }
        assert!(
            Instant::now() < deadline,
            "onewindow {args:?} did not serve within 300 s:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts a server that must serve.
fn serve(store: &TestStore, args: &[&str]) -> (Server, SocketAddr) {
    match start(store, args) {
        Started::Serving(server, addr) => (server, addr),
        Started::Exited(status, log) => {
            panic!("onewindow {args:?} exited with {status} before serving:\n{log}")
        }
    }
}

/// Runs `onewindow demo` on the store until it serves, which it does only after seeding.
fn seed_demo(store: &TestStore) -> String {
    let (server, _) = serve(store, &["demo", "--cases", "20"]);
    let log = server.log();
    drop(server);
    log
}

fn figure(figures: &Value, path: &[&str]) -> (u64, u64, String) {
    let mut value = figures;
    for key in path {
        value = &value[*key];
    }
    let ratio = &value["ratio"];
    (
        ratio["numerator"].as_u64().expect("a numerator"),
        ratio["denominator"].as_u64().expect("a denominator"),
        value["percent_2dp"]
            .as_str()
            .expect("a percentage")
            .to_string(),
    )
}

#[test]
fn report_catalogue_reproduces_the_seed_figures_on_the_demo_profile() {
    let store = TestStore::fresh("demo-report");
    let log = seed_demo(&store);
    assert!(
        log.contains("loaded the Ninghai demo profile"),
        "the demo seeded the empty store:\n{log}"
    );

    // The joint-approval bundles of the seed, with materials and visits before and after.
    let bundles: Value =
        serde_json::from_str(&store.ok(&["report", "bundles", "--format", "json"]))
            .expect("the bundle report is JSON");
    let bundles = bundles.as_array().expect("one line per bundle");
    assert_eq!(
        bundles.len(),
        19,
        "the homestay, the home sale, sixteen industries and the joint completion acceptance"
    );
    let homestay = bundles
        .iter()
        .find(|b| b["code"] == "LB-MINSU")
        .expect("the homestay bundle");
    assert_eq!(homestay["lead_department"], "GAJ");
    assert_eq!(homestay["members"], 5);
    assert_eq!(homestay["departments_before"], 5);
    assert_eq!(homestay["visits_after"], 1);
    assert!(
        homestay["materials_after"].as_u64() < homestay["materials_before"].as_u64(),
        "{homestay}"
    );
    let table = store.ok(&["report", "catalogue"]);
    assert!(
        table.contains("LB-MINSU") && table.contains("开办民宿"),
        "{table}"
    );

    let report = store.ok(&["report", "catalogue", "--format", "json"]);
    let figures: Value = serde_json::from_str(&report).expect("the report is JSON");
    assert_eq!(
        figures["total_items"],
        json!(1016),
        "items in the catalogue"
    );

    let expected: [(&[&str], u64, u64, &str); 6] = [
        (&["in_hall"], 1000, 1000, "100.00"),
        (&["authorised"], 987, 1000, "98.70"),
        (&["at_most_once"], 864, 1016, "85.04"),
        (&["intermediary_services_cancelled"], 29, 158, "18.35"),
        (&["certificate_materials_cancelled"], 77, 159, "48.43"),
        (&["catch_all_clauses_cancelled"], 32, 55, "58.18"),
    ];
    for (path, numerator, denominator, percent) in expected {
        assert_eq!(
            figure(&figures, path),
            (numerator, denominator, percent.to_string()),
            "{path:?}"
        );
    }

    let modes = figures["by_run_mode"].as_array().expect("run mode figures");
    let expected_modes = [
        ("immediate", 151, "17.48"),
        ("window_express", 346, "40.05"),
        ("online_prereview", 354, "40.97"),
        ("online_express", 6, "0.69"),
        ("online_online", 7, "0.81"),
    ];
    assert_eq!(modes.len(), expected_modes.len(), "five run modes");
    for (mode, (name, count, percent)) in modes.iter().zip(expected_modes) {
        assert_eq!(mode["run_mode"], json!(name), "run modes in table order");
        assert_eq!(
            figure(mode, &["figure"]),
            (count, 864, percent.to_string()),
            "run mode {name}"
        );
    }

    let speed_up = &figures["promised_speed_up"];
    assert_eq!(
        speed_up["figure"]["percent_2dp"],
        json!("87.47"),
        "promised speed-up: {speed_up}"
    );
    let promised = speed_up["promised_days"].as_u64().expect("Σ promised");
    let statutory = speed_up["statutory_days"].as_u64().expect("Σ statutory");
    assert_eq!(
        figure(speed_up, &["figure"]).0,
        statutory - promised,
        "saved days = Σ statutory − Σ promised"
    );

    let table = store.ok(&["report", "catalogue", "--format", "table"]);
    for needle in ["1016", "85.04", "87.47", "987 / 1000", "864 / 1016"] {
        assert!(table.contains(needle), "the table shows {needle}:\n{table}");
    }
    assert_eq!(
        store.ok(&["report", "catalogue"]),
        table,
        "table is the default"
    );
}

// -------------------------------------------------------------------------------------------
// 5. Bad store URL

#[test]
fn an_unsupported_database_url_is_refused_clearly() {
    let store = TestStore::sqlite("bad-url");
    let output = bare_command(&["--database", "ftp://x", "report", "catalogue"])
        .arg("--data")
        .arg(store.dir.path())
        .output()
        .expect("run the onewindow binary");
    let message = stderr(&output);
    assert!(!output.status.success(), "ftp:// is no store");
    assert!(stdout(&output).trim().is_empty(), "no report printed");
    assert!(message.contains("ftp://x"), "names the URL: {message}");
    assert!(
        message.to_lowercase().contains("unsupported"),
        "says the URL is unsupported: {message}"
    );
}

// -------------------------------------------------------------------------------------------
// 6. Accounts at the command line

/// A small HTTP client for one served store.
struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
}

impl Http {
    fn new(addr: SocketAddr) -> Self {
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for HTTP"),
            client: reqwest::Client::new(),
            base: format!("http://{addr}/api/v1"),
        }
    }

    /// Sends a request and returns the status and the JSON body (null when there is none).
    fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.runtime.block_on(async {
            let mut request = self.client.request(method, format!("{}{path}", self.base));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("an HTTP answer");
            let status = response.status().as_u16();
            let text = response.text().await.expect("an HTTP body");
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }

    fn login(&self, username: &str, password: &str) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
    }

    /// Logs in, which must succeed, and returns the bearer token.
    fn token(&self, username: &str, password: &str) -> String {
        let (status, body) = self.login(username, password);
        assert_eq!(status, 200, "{username} logs in: {body}");
        body["token"].as_str().expect("a token").to_string()
    }

    /// The status of `GET /auth/me` with a token.
    fn me(&self, token: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, "/auth/me", Some(token), None)
    }
}

/// Asserts that a command failed with `code` and that its standard error says every needle.
fn assert_fails(output: &Output, code: i32, needles: &[&str]) {
    let message = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code {code}; stdout: {}\nstderr: {message}",
        stdout(output)
    );
    for needle in needles {
        assert!(
            message.contains(needle),
            "stderr says {needle:?}: {message}"
        );
    }
}

/// The password a `user add` or `user reset-password` printed, which it prints exactly once.
fn printed_password(output: &str) -> String {
    let lines: Vec<&str> = output
        .lines()
        .filter(|l| l.starts_with("password: "))
        .collect();
    assert_eq!(lines.len(), 1, "one password line: {output}");
    let password = lines[0].trim_start_matches("password: ").trim().to_string();
    assert!(password.len() >= 10, "a long password: {password:?}");
    assert_eq!(
        output.matches(&password).count(),
        1,
        "the password is printed once: {output}"
    );
    password
}

const ROOT_PASSWORD: &str = "correct-horse-battery-2026";

#[test]
fn serve_with_a_file_store_it_cannot_use_stops_at_start_and_says_why() {
    let store = TestStore::fresh("bad-files");
    // The flags, the environment, and what the message must say.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 4] = [
        (
            &["--files", "/srv/files"],
            &[],
            "--files /srv/files: not an s3:// URL",
        ),
        (
            &["--files", "s3://county-files"],
            &[("AWS_ACCESS_KEY_ID", "k"), ("AWS_SECRET_ACCESS_KEY", "s")],
            "needs an endpoint",
        ),
        (
            &[
                "--files",
                "s3://county-files",
                "--s3-endpoint",
                "http://127.0.0.1:9",
            ],
            &[],
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ),
        // Nothing listens on the discard port: the bucket and the endpoint are named.
        (
            &[
                "--files",
                "s3://county-files",
                "--s3-endpoint",
                "http://127.0.0.1:9",
            ],
            &[("AWS_ACCESS_KEY_ID", "k"), ("AWS_SECRET_ACCESS_KEY", "s")],
            "cannot reach bucket county-files at http://127.0.0.1:9",
        ),
    ];
    for (flags, env, expected) in cases {
        let mut args = vec!["serve"];
        args.extend_from_slice(flags);
        let mut command = store.command(&args);
        command
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN");
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("run the onewindow binary");
        let log = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {log}");
        assert!(log.contains(expected), "{args:?}: {log}");
        assert!(!log.contains("panicked"), "{args:?}: {log}");
    }
}

#[test]
fn serve_needs_an_administrator_created_at_the_command_line() {
    let store = TestStore::fresh("no-admin");

    // A new store: no default password, no serving.
    let Started::Exited(status, log) = start(&store, &["serve"]) else {
        panic!("serve on a store without accounts must not start");
    };
    assert_eq!(status.code(), Some(78), "EX_CONFIG: {log}");
    assert!(
        log.contains("no administrator")
            && log.contains("onewindow user add")
            && log.contains("--role admin"),
        "the message says how to create the administrator: {log}"
    );

    // Other accounts do not count.
    store.ok(&["centre", "add", "county-hall", "宁海县行政服务中心"]);
    let out = store.ok(&[
        "user",
        "add",
        "--username",
        "zhang.min",
        "--role",
        "clerk",
        "--centre",
        "county-hall",
    ]);
    printed_password(&out);
    let Started::Exited(status, _) = start(&store, &["serve"]) else {
        panic!("a clerk is no administrator");
    };
    assert_eq!(status.code(), Some(78));

    // The administrator with a password from standard input: nothing is printed but the account.
    let out = store.ok_input(
        &[
            "user",
            "add",
            "--username",
            "root",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &format!("{ROOT_PASSWORD}\n"),
    );
    assert_eq!(out.trim(), "created root (administrator)");
    let (mut server, addr) = serve(&store, &["serve"]);
    // The node started itself again with at most two allocator arenas, as the same process.
    if cfg!(all(target_os = "linux", target_env = "gnu"))
        && std::env::var_os("MALLOC_ARENA_MAX").is_none()
    {
        let environment = std::fs::read(format!("/proc/{}/environ", server.child.id()))
            .expect("the server's environment");
        assert!(
            environment
                .split(|b| *b == 0)
                .any(|entry| entry == b"MALLOC_ARENA_MAX=2"),
            "serve runs with MALLOC_ARENA_MAX=2"
        );
    }
    let http = Http::new(addr);
    let token = http.token("root", ROOT_PASSWORD);
    let (status, me) = http.me(&token);
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["roles"], json!(["administrator"]));
    server.kill();

    // A disabled administrator is none either.
    store.ok(&["user", "disable", "root"]);
    let Started::Exited(status, _) = start(&store, &["serve"]) else {
        panic!("the only administrator is disabled");
    };
    assert_eq!(status.code(), Some(78));
    store.ok(&["user", "enable", "root"]);
    let (server, _) = serve(&store, &["serve"]);
    drop(server);
}

#[test]
fn user_commands_create_list_disable_and_reset_accounts() {
    let store = TestStore::fresh("users");
    // Departments for the reviewer and approver posts.
    let catalogue_file = store.file("catalogue.json");
    write_file(&catalogue_file, &catalogue().to_string());
    store.ok(&["catalogue", "import", path_arg(&catalogue_file)]);
    store.ok_input(
        &[
            "user",
            "add",
            "--username",
            "root",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &format!("{ROOT_PASSWORD}\n"),
    );
    let (_server, addr) = serve(&store, &["serve"]);
    let http = Http::new(addr);

    // A generated password, printed once, that logs in.
    let out = store.ok(&[
        "user",
        "add",
        "--username",
        "li.qiang",
        "--name",
        "李强",
        "--role",
        "reviewer",
        "--department",
        "SCJG",
    ]);
    assert!(
        out.starts_with("created li.qiang (reviewer:SCJG)"),
        "names the account and its post: {out}"
    );
    let reviewer_password = printed_password(&out);
    let token = http.token("li.qiang", &reviewer_password);
    let (status, me) = http.me(&token);
    assert_eq!(status, 200);
    assert_eq!(me["username"], json!("li.qiang"));
    assert_eq!(me["display_name"], json!("李强"));
    assert_eq!(
        me["posts"],
        json!([{"role": "reviewer", "department": "SCJG"}])
    );
    let (status, body) = http.login("li.qiang", "not-the-password");
    assert_eq!(status, 401, "a wrong password: {body}");

    // A clerk's post names a centre the county keeps.
    let refused = store.run(&[
        "user",
        "add",
        "--username",
        "wang.fang",
        "--role",
        "clerk",
        "--centre",
        "county-hall",
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("posts[0].centre: no service centre county-hall"),
        "{}",
        stderr(&refused)
    );
    store.ok(&["centre", "add", "county-hall", "宁海县行政服务中心"]);
    assert!(store.ok(&["centre", "list"]).contains("county-hall"));
    // An administrator reads and acts on no case: no case post goes with it.
    let refused = store.run(&[
        "user",
        "add",
        "--username",
        "root2",
        "--role",
        "admin",
        "--post",
        "supervisor",
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("sees no cases"),
        "{}",
        stderr(&refused)
    );

    // Several posts (一人多岗), and a password from standard input.
    let out = store.ok_input(
        &[
            "user",
            "add",
            "--username",
            "wang.fang",
            "--name",
            "王芳",
            "--role",
            "clerk",
            "--centre",
            "county-hall",
            "--post",
            "approver:GA",
            "--may-reveal-personal-data",
            "--password-stdin",
        ],
        "shenpi-mima-2026\n",
    );
    assert_eq!(
        out.trim(),
        "created wang.fang (clerk@county-hall approver:GA)"
    );
    let (_, me) = http.me(&http.token("wang.fang", "shenpi-mima-2026"));
    assert_eq!(me["roles"], json!(["clerk", "approver"]), "{me}");
    assert_eq!(me["may_reveal_personal_data"], json!(true));

    // The list: every account with its posts, never a password or its hash.
    let list = store.ok(&["user", "list"]);
    for (username, posts, name) in [
        ("root", "administrator", "root"),
        ("li.qiang", "reviewer:SCJG", "李强"),
        ("wang.fang", "clerk@county-hall approver:GA", "王芳"),
    ] {
        let line = list
            .lines()
            .find(|l| l.split_whitespace().next() == Some(username))
            .unwrap_or_else(|| panic!("{username} is listed: {list}"));
        assert!(line.contains("active"), "{line}");
        assert!(line.contains(posts), "{line}");
        assert!(line.trim_end().ends_with(name), "{line}");
    }
    assert_eq!(
        list.lines().count(),
        4,
        "a header and three accounts: {list}"
    );
    for secret in [
        reviewer_password.as_str(),
        "shenpi-mima-2026",
        ROOT_PASSWORD,
        "$argon2",
    ] {
        assert!(!list.contains(secret), "the list shows no secret: {list}");
    }

    // Disabled: its session ends at once and it cannot log in; enabled, it can again.
    let out = store.ok(&["user", "disable", "li.qiang"]);
    assert!(out.contains("disabled li.qiang"), "{out}");
    assert_eq!(http.me(&token).0, 401, "the session of a disabled account");
    let (status, body) = http.login("li.qiang", &reviewer_password);
    assert_eq!(status, 401, "a disabled account cannot log in: {body}");
    let list = store.ok(&["user", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("li.qiang") && l.contains("disabled")),
        "{list}"
    );
    store.ok(&["user", "enable", "li.qiang"]);
    let token = http.token("li.qiang", &reviewer_password);

    // A new password from standard input: the old one and the sessions made with it end.
    let out = store.ok_input(
        &["user", "reset-password", "li.qiang", "--password-stdin"],
        "shencha-xin-2026\n",
    );
    assert!(!out.contains("password:"), "nothing to show: {out}");
    assert_eq!(
        http.me(&token).0,
        401,
        "the session made with the old password"
    );
    let (status, _) = http.login("li.qiang", &reviewer_password);
    assert_eq!(status, 401, "the old password is refused");
    http.token("li.qiang", "shencha-xin-2026");
    // Or a generated one, printed once.
    let out = store.ok(&["user", "reset-password", "wang.fang"]);
    let generated = printed_password(&out);
    assert_eq!(http.login("wang.fang", "shenpi-mima-2026").0, 401);
    http.token("wang.fang", &generated);

    // Refusals name what is wrong, exit non-zero and create nothing.
    let refusals: [(&[&str], &str, &str); 7] = [
        (
            &["--username", "nobody", "--role", "boss"],
            "",
            "unknown role \"boss\"",
        ),
        (
            &["--username", "nobody", "--role", "reviewer"],
            "",
            "a reviewer post needs a department",
        ),
        (
            &["--username", "nobody", "--role", "clerk"],
            "",
            "a clerk post needs a service centre",
        ),
        (
            &[
                "--username",
                "nobody",
                "--role",
                "approver",
                "--department",
                "ZJJ",
            ],
            "",
            "no department with code ZJJ",
        ),
        (
            &[
                "--username",
                "nobody",
                "--role",
                "supervisor",
                "--password-stdin",
            ],
            "short\n",
            "at least 10 characters",
        ),
        (
            &[
                "--username",
                "nobody",
                "--role",
                "supervisor",
                "--password-stdin",
            ],
            "nobody-at-all-2026\n",
            "must not contain the user name",
        ),
        (
            &["--username", "li.qiang", "--role", "supervisor"],
            "",
            "the user name li.qiang is taken",
        ),
    ];
    for (args, input, message) in refusals {
        let mut all = vec!["user", "add"];
        all.extend_from_slice(args);
        let output = store.run_input(&all, input);
        assert!(!output.status.success(), "{args:?} is refused");
        assert!(
            stderr(&output).contains(message),
            "{args:?}: stderr says {message:?}: {}",
            stderr(&output)
        );
        assert!(
            !stdout(&output).contains("password:"),
            "no password printed for a refused account"
        );
    }
    let output = store.run(&["user", "add", "--username", "nobody"]);
    assert_fails(&output, 1, &["--role"]);
    let output = store.run(&["user", "disable", "ghost"]);
    assert!(!output.status.success(), "no account ghost");
    assert!(stderr(&output).contains("ghost"), "{}", stderr(&output));
    let list = store.ok(&["user", "list"]);
    assert!(!list.contains("nobody"), "nothing created: {list}");
    assert_eq!(list.lines().count(), 4, "{list}");
    // Where an account's alerts are mailed.
    let out = store.ok(&["user", "email", "root", "guanli@nh.gov.cn"]);
    assert!(out.contains("mailed to guanli@nh.gov.cn"), "{out}");
    let output = store.run(&["user", "email", "root", "not an address"]);
    assert!(!output.status.success(), "a bad address is refused");
    assert!(stderr(&output).contains("email"), "{}", stderr(&output));
    let out = store.ok(&["user", "email", "root"]);
    assert!(out.contains("no longer mailed"), "{out}");
}

// -------------------------------------------------------------------------------------------
// 7. The audit chain and tampering with it

const AUDIT_COLUMNS: &str =
    "seq, at, actor, role, source, action, target, outcome, detail, prev_hash, hash";

/// The chain as stored, in order.
fn audit_records(store: &TestStore) -> Vec<AuditRecord> {
    use sqlx::Row as _;
    store.with_database(async move |conn| {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?;
        rows.iter()
            .map(|row| {
                let outcome: String = row.try_get("outcome")?;
                Ok(AuditRecord {
                    seq: u64::try_from(row.try_get::<i64, _>("seq")?).expect("a positive seq"),
                    entry: AuditEntry {
                        at: row.try_get("at")?,
                        actor: row.try_get("actor")?,
                        role: row.try_get("role")?,
                        source: row.try_get("source")?,
                        action: row.try_get("action")?,
                        target: row.try_get("target")?,
                        outcome: Outcome::parse(&outcome).expect("a known outcome"),
                        detail: row.try_get("detail")?,
                    },
                    prev_hash: row.try_get("prev_hash")?,
                    hash: row.try_get("hash")?,
                })
            })
            .collect()
    })
}

/// Runs SQL on the store behind the binary's back.
fn execute(store: &TestStore, sql: &str) {
    let sql = sql.to_string();
    store.with_database(async move |conn| {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await?;
        Ok(())
    });
}

/// Writes a record into the chain's table as it is, as a forger with the database would.
async fn insert_record(
    conn: &mut sqlx::AnyConnection,
    record: &AuditRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, role, source, action, target, outcome, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(i64::try_from(record.seq).expect("a small seq"))
    .bind(record.entry.at.as_str())
    .bind(record.entry.actor.as_str())
    .bind(record.entry.role.as_str())
    .bind(record.entry.source.as_str())
    .bind(record.entry.action.as_str())
    .bind(record.entry.target.as_str())
    .bind(record.entry.outcome.as_str())
    .bind(record.entry.detail.as_str())
    .bind(record.prev_hash.as_str())
    .bind(record.hash.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// `audit verify [ARGS…]` on a store that must fail it: exit code 3, and the first line names
/// the record and says what happened to it.
fn assert_broken(store: &TestStore, args: &[&str], seq: u64, says: &str) -> String {
    let mut all = vec!["audit", "verify"];
    all.extend_from_slice(args);
    let output = store.run(&all);
    let out = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(3),
        "audit verify {args:?} exits 3 on a tampered chain\nstdout: {out}\nstderr: {}",
        stderr(&output)
    );
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("audit chain BROKEN at record {seq}: ")),
        "names record {seq}: {out}"
    );
    assert!(first.contains(says), "says {says:?}: {out}");
    out
}

#[test]
fn audit_verify_finds_every_kind_of_tampering() {
    let store = TestStore::fresh("audit");
    // Eight records: six account changes, then (after the head is written down) two more.
    let admin_password = "an-admin-secret-2026";
    store.ok_input(
        &[
            "user",
            "add",
            "--username",
            "root",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &format!("{admin_password}\n"),
    );
    store.ok(&[
        "user",
        "add",
        "--username",
        "zhang.min",
        "--role",
        "return_visit_operator",
    ]);
    store.ok(&[
        "user",
        "add",
        "--username",
        "chen.jing",
        "--role",
        "supervisor",
    ]);
    store.ok(&["user", "add", "--username", "zhou.wei", "--role", "agent"]);
    store.ok(&["user", "disable", "zhou.wei"]);
    store.ok(&["user", "enable", "zhou.wei"]);

    let intact = store.ok(&["audit", "verify"]);
    let head = store.ok(&["audit", "head"]);
    let head = head.trim().to_string();
    let (head_seq, head_hash) = head.split_once(':').expect("audit head is SEQ:HASH");
    assert_eq!(head_seq, "6", "six records: {intact}");
    assert_eq!(head_hash.len(), 64, "a SHA-256 in hex: {head}");
    assert!(head_hash.chars().all(|c| c.is_ascii_hexdigit()), "{head}");
    assert_eq!(
        intact.trim(),
        format!("audit chain intact: 6 records, last hash {head_hash}")
    );

    // The chain grows; the head written down earlier still checks out.
    store.ok_input(
        &["user", "reset-password", "zhou.wei", "--password-stdin"],
        "daiban-mima-2026\n",
    );
    store.ok(&["user", "posts", "zhang.min", "--role", "supervisor"]);
    store.ok(&["audit", "verify", "--expect-head", &head]);
    let anchor = store.ok(&["audit", "head"]).trim().to_string();
    assert!(anchor.starts_with("8:"), "{anchor}");
    store.ok(&["audit", "verify", "--expect-head", &anchor]);
    // A head that does not match, or lies beyond the end, is a broken chain; a malformed one an
    // error.
    let forged_head = format!("6:{}", "ab".repeat(32));
    assert_broken(
        &store,
        &["--expect-head", &forged_head],
        6,
        "differs from the head recorded earlier",
    );
    let beyond = format!("9:{head_hash}");
    assert_broken(
        &store,
        &["--expect-head", &beyond],
        9,
        "shorter than the head recorded earlier",
    );
    let genesis = format!("0:{}", "0".repeat(64));
    store.ok(&["audit", "verify", "--expect-head", &genesis]);
    let not_genesis = format!("0:{}", "ab".repeat(32));
    assert_broken(
        &store,
        &["--expect-head", &not_genesis],
        0,
        "differs from the head recorded earlier",
    );
    assert_fails(
        &store.run(&["audit", "verify", "--expect-head", "six"]),
        1,
        &["SEQ:HASH"],
    );

    // What the records say: who did what to whom, never a password.
    let records = audit_records(&store);
    let actions: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.entry.action.as_str(), r.entry.target.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("user.create", "user:root"),
            ("user.create", "user:zhang.min"),
            ("user.create", "user:chen.jing"),
            ("user.create", "user:zhou.wei"),
            ("user.disable", "user:zhou.wei"),
            ("user.enable", "user:zhou.wei"),
            ("user.reset_password", "user:zhou.wei"),
            ("user.posts", "user:zhang.min"),
        ]
    );
    for r in &records {
        assert!(
            r.entry.actor.starts_with("cli:"),
            "the command line acts: {r:?}"
        );
        assert_eq!(r.entry.source, "cli");
        assert_eq!(r.entry.outcome, Outcome::Success);
        let text = format!("{r:?}");
        assert!(
            !text.contains(admin_password) && !text.contains("daiban-mima-2026"),
            "no password in the trail: {text}"
        );
    }
    let last = records.last().expect("records").clone();
    assert_eq!(anchor, format!("8:{}", last.hash));

    // (i) A field changed in place: the record itself no longer matches its hash.
    let changed = store.copy("audit-changed");
    execute(&changed, "UPDATE audit_log SET detail = 'x' WHERE seq = 3");
    let out = assert_broken(&changed, &[], 3, "audit record 3 was changed");
    assert!(out.contains("records 1 to 2 are intact"), "{out}");
    let changed = store.copy("audit-changed-actor");
    execute(
        &changed,
        "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 5",
    );
    assert_broken(&changed, &[], 5, "audit record 5 was changed");
    let changed = store.copy("audit-changed-first");
    execute(
        &changed,
        "UPDATE audit_log SET outcome = 'denied' WHERE seq = 1",
    );
    let out = assert_broken(&changed, &[], 1, "audit record 1 was changed");
    assert!(out.contains("no record can be trusted"), "{out}");

    // (ii) A record removed from the middle: the next one no longer links.
    let removed = store.copy("audit-removed");
    execute(&removed, "DELETE FROM audit_log WHERE seq = 3");
    let out = assert_broken(&removed, &[], 4, "audit record 4 does not follow record 2");
    assert!(out.contains("records 1 to 2 are intact"), "{out}");

    // (iii) A forged record with a correct hash, after the last, the head left alone.
    let forged = store.copy("audit-forged");
    let forgery = link(
        last.seq,
        &last.hash,
        AuditEntry {
            at: last.entry.at.clone(),
            actor: "root".into(),
            role: "administrator".into(),
            source: "127.0.0.1".into(),
            action: "user.posts".into(),
            target: "user:zhou.wei".into(),
            outcome: Outcome::Success,
            detail: "{\"posts\":[{\"role\":\"supervisor\"}]}".into(),
        },
    );
    assert_eq!(forgery.seq, 9);
    forged.with_database(async move |conn| insert_record(conn, &forgery).await);
    let out = assert_broken(
        &forged,
        &[],
        9,
        "audit record 9 was inserted after the last one written (8)",
    );
    assert!(out.contains("records 1 to 8 are intact"), "{out}");

    // (iv) The last record removed: the head still counts it.
    let truncated = store.copy("audit-truncated");
    execute(&truncated, "DELETE FROM audit_log WHERE seq = 8");
    let out = assert_broken(
        &truncated,
        &[],
        8,
        "the chain ends at record 7 but 8 were written",
    );
    assert!(out.contains("records 1 to 7 are intact"), "{out}");

    // (v) The whole chain rewritten consistently, head included: only the anchor tells.
    let rewritten = store.copy("audit-rewritten");
    let mut chain = records.clone();
    chain[2].entry.detail = "{\"posts\":[{\"role\":\"administrator\"}]}".into();
    let mut prev = chain[1].hash.clone();
    for record in chain.iter_mut().skip(2) {
        record.prev_hash = prev;
        record.hash = record_hash(record.seq, &record.entry, &record.prev_hash);
        prev = record.hash.clone();
    }
    let new_head = prev.clone();
    rewritten.with_database(async move |conn| {
        sqlx::query("DELETE FROM audit_log WHERE seq >= 3")
            .execute(&mut *conn)
            .await?;
        for record in chain.iter().skip(2) {
            insert_record(&mut *conn, record).await?;
        }
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(new_head)
            .execute(&mut *conn)
            .await?;
        Ok(())
    });
    let out = rewritten.ok(&["audit", "verify"]);
    assert!(
        out.starts_with("audit chain intact: 8 records"),
        "a consistent rewrite passes the walk: {out}"
    );
    let rewritten_head = rewritten.ok(&["audit", "head"]).trim().to_string();
    assert!(rewritten_head.starts_with("8:"), "{rewritten_head}");
    assert_ne!(rewritten_head, anchor, "the rewrite moved the head");
    assert_broken(
        &rewritten,
        &["--expect-head", &anchor],
        8,
        "differs from the head recorded earlier (the chain was rewritten)",
    );
    // The head written down before the rewritten record is still intact.
    let early = format!("2:{}", records[1].hash);
    rewritten.ok(&["audit", "verify", "--expect-head", &early]);

    // The original store is untouched by all this.
    store.ok(&["audit", "verify", "--expect-head", &anchor]);
}

// ---- report monthly -------------------------------------------------------------------------

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The month before this one in China (the demo's cases lie in the last four months).
fn last_month() -> String {
    use chrono::Datelike as _;
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let last = today
        .with_day(1)
        .and_then(|d| d.pred_opt())
        .expect("a day before the first");
    format!("{:04}-{:02}", last.year(), last.month())
}

#[test]
fn report_monthly_writes_the_html_and_a_pdf_with_chinese_text() {
    let store = TestStore::fresh("monthly-report");
    seed_demo(&store);
    let month = last_month();
    let out = store.file("reports");
    let font = onewindow_app::monthly_report::locate_font(None);
    if font.is_err() {
        assert!(
            !under_ci(),
            "CI installs fonts-noto-cjk for the PDF report: {font:?}"
        );
        eprintln!("SKIPPED: no CJK font (install fonts-noto-cjk)");
        return;
    }
    let printed = store.ok(&[
        "report",
        "monthly",
        "--month",
        &month,
        "--out",
        path_arg(&out),
    ]);
    let html_path = out.join(format!("monthly-{month}.html"));
    let pdf_path = out.join(format!("monthly-{month}.pdf"));
    assert!(printed.contains(path_arg(&html_path)), "{printed}");
    assert!(printed.contains(path_arg(&pdf_path)), "{printed}");
    let html = read_file(&html_path);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("政务服务效能监察报告"));
    assert!(
        html.contains("<table id=\"report-departments\">"),
        "a ranking"
    );
    assert_eq!(html.matches("<svg").count(), 2, "two charts");
    let pdf = std::fs::read(&pdf_path).expect("the PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    match Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf_path)
        .arg("-")
        .output()
    {
        Ok(extracted) => {
            let text = String::from_utf8_lossy(&extracted.stdout);
            for expected in [
                "政务服务效能监察报告",
                "一、主要指标",
                "三、部门考核排名",
                "按期办结率",
            ] {
                assert!(text.contains(expected), "{expected:?} missing:\n{text}");
            }
        }
        Err(e) => {
            assert!(!under_ci(), "CI installs poppler-utils (pdftotext): {e}");
            eprintln!("SKIPPED the text check: pdftotext is not installed (poppler-utils)");
        }
    }

    // A missing font is a clear error naming what to install, and nothing is written.
    let elsewhere = store.file("no-font");
    let output = store.run(&[
        "report",
        "monthly",
        "--month",
        &month,
        "--out",
        path_arg(&elsewhere),
        "--font",
        "/nonexistent/NotoSansCJK-Regular.ttc",
    ]);
    assert_fails(
        &output,
        78,
        &[
            "/nonexistent/NotoSansCJK-Regular.ttc",
            "fonts-noto-cjk",
            "--font",
        ],
    );
    assert!(!elsewhere.exists());
    let output = store.run(&[
        "report",
        "monthly",
        "--month",
        "2026-13",
        "--out",
        path_arg(&out),
    ]);
    assert_fails(&output, 1, &["2026-10"]);
}

// -------------------------------------------------------------------------------------------
// onewindow generate and bench --statistics (issue 6, part 5)

/// The number a `SELECT COUNT(*) …` answers.
async fn count(conn: &mut sqlx::AnyConnection, sql: &str) -> Result<i64, sqlx::Error> {
    use sqlx::Row as _;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *conn)
        .await?
        .try_get::<i64, _>(0)
}

/// `generate` fills a store with the cases asked for, each with its history and its summary row,
/// and `bench --statistics` on it finds the figures from the summary rows equal to those from the
/// case bodies.
#[test]
fn generate_writes_the_cases_asked_for_and_the_statistics_bench_reads_them() {
    let store = TestStore::fresh("generate");
    let out = store.ok(&["generate", "--cases", "500", "--years", "1", "--seed", "3"]);
    assert!(
        out.contains("generated 500 cases"),
        "the summary line: {out}"
    );
    let (cases, facts, events, windows) = store.with_database(async |conn| {
        Ok((
            count(conn, "SELECT COUNT(*) FROM cases").await?,
            count(conn, "SELECT COUNT(*) FROM case_facts").await?,
            count(conn, "SELECT COUNT(*) FROM case_events").await?,
            count(
                conn,
                "SELECT COUNT(*) FROM case_facts WHERE service_window IS NOT NULL",
            )
            .await?,
        ))
    });
    assert_eq!(cases, 500);
    assert_eq!(facts, 500, "one summary row per case");
    assert!(events > 4 * 500, "whole histories: {events} events");
    assert!(windows > 0, "the county hall's cases have windows");

    // A second run would repeat receipt numbers: refused, nothing written.
    let again = store.run(&["generate", "--cases", "10", "--years", "1"]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already holds cases"),
        "{}",
        stderr(&again)
    );

    let bench = store.ok(&[
        "bench",
        "--statistics",
        "--statistics-months",
        "3",
        "--statistics-runs",
        "1",
        "--statistics-bodies",
    ]);
    assert_eq!(bench.matches("(same figures)").count(), 4, "{bench}");
    assert!(bench.contains("all warm calls"), "{bench}");

    // A store from before the summary rows kept who decided (schema 13) gets them from the
    // case bodies when it is next opened; the rankings read them.
    let decided = store.with_database(async |conn| {
        let decided = count(
            conn,
            "SELECT COUNT(*) FROM case_facts WHERE decided_by IS NOT NULL",
        )
        .await?;
        for sql in [
            "ALTER TABLE case_facts DROP COLUMN decided_by",
            "DELETE FROM schema_migrations WHERE version = 14",
        ] {
            sqlx::query(sql).execute(&mut *conn).await?;
        }
        Ok(decided)
    });
    assert!(decided > 100, "the generated decisions: {decided}");
    store.ok(&[
        "bench",
        "--statistics",
        "--statistics-months",
        "1",
        "--statistics-runs",
        "1",
    ]);
    let (refilled, missing) = store.with_database(async |conn| {
        Ok((
            count(
                conn,
                "SELECT COUNT(*) FROM case_facts WHERE decided_by IS NOT NULL",
            )
            .await?,
            count(
                conn,
                "SELECT COUNT(*) FROM case_facts f JOIN cases c ON c.id = f.case_id \
                 WHERE f.completed_on IS NOT NULL AND f.decided_by IS NULL",
            )
            .await?,
        ))
    });
    assert_eq!((refilled, missing), (decided, 0));
}

// -------------------------------------------------------------------------------------------
// NATS JetStream: serve --nats

/// `serve --nats` (here through `demo`, which shares its flags) publishes what a command writes
/// to the outbox onto its JetStream stream: a case filed over the API arrives as
/// `PREFIX.case.submitted`, its outbox id as `Nats-Msg-Id`. Skipped without a NATS server on
/// 127.0.0.1:4222 unless `ONEWINDOW_NATS_TESTS=required`.
#[test]
fn serve_with_nats_publishes_the_outbox_to_jetstream() {
    let url = "nats://127.0.0.1:4222";
    if TcpStream::connect_timeout(
        &"127.0.0.1:4222".parse().expect("address"),
        Duration::from_secs(2),
    )
    .is_err()
    {
        assert!(
            std::env::var("ONEWINDOW_NATS_TESTS").as_deref() != Ok("required"),
            "NATS is not reachable at {url} and ONEWINDOW_NATS_TESTS=required"
        );
        eprintln!("SKIPPED serve_with_nats_publishes_the_outbox_to_jetstream: no NATS at {url}");
        return;
    }
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let stream = format!("ONEWINDOW_CLI_{tag}");
    let prefix = format!("onewindow-cli-{tag}");
    let config = onewindow_app::nats::NatsConfig {
        stream: stream.clone(),
        subject_prefix: prefix.clone(),
        ..onewindow_app::nats::NatsConfig::new(url)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for NATS");
    let bus = runtime
        .block_on(onewindow_app::nats::EventBus::connect(config))
        .expect("NATS");
    /// Deletes the test's stream however the test ends.
    struct DropStream<'a>(
        &'a tokio::runtime::Runtime,
        &'a onewindow_app::nats::EventBus,
    );
    impl Drop for DropStream<'_> {
        fn drop(&mut self) {
            let _ = self
                .0
                .block_on(self.1.jetstream().delete_stream(&self.1.config().stream));
        }
    }
    let _cleanup = DropStream(&runtime, &bus);

    let store = TestStore::fresh("nats");
    let (server, addr) = serve(
        &store,
        &[
            "demo",
            "--cases",
            "0",
            "--nats",
            url,
            "--nats-stream",
            &stream,
            "--nats-prefix",
            &prefix,
        ],
    );
    assert!(
        server.log().contains("events go through NATS JetStream"),
        "{}",
        server.log()
    );
    let case = file_a_food_licence_case(&Http::new(addr));
    let case_id = case["id"].as_str().expect("a case id").to_string();

    let subject = format!("{prefix}.case.submitted");
    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        let found = runtime.block_on(async {
            let mut js_stream = bus.jetstream().get_stream(&stream).await.ok()?;
            let last = js_stream.info().await.ok()?.state.last_sequence;
            for seq in 1..=last {
                // The demo files its own cases too (its applicants' licences): find ours.
                if let Ok(m) = js_stream.get_raw_message(seq).await
                    && m.subject.as_str() == subject
                    && serde_json::from_slice::<Value>(&m.payload)
                        .is_ok_and(|b| b["id"] == case_id.as_str())
                {
                    return Some(m);
                }
            }
            None
        });
        if let Some(m) = found {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "no {subject} on the stream within 20 s:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let body: Value = serde_json::from_slice(&found.payload).expect("a JSON event");
    assert_eq!(body["id"], case_id.as_str(), "the filed case: {body}");
    assert!(
        found.headers.get("Nats-Msg-Id").is_some(),
        "published with its outbox id"
    );
    drop(server);
}

/// The demo clerk files a food business licence (食品经营许可) application at the county hall;
/// the created case.
fn file_a_food_licence_case(http: &Http) -> serde_json::Value {
    let clerk = http.token("clerk", "chuangkou-2026");
    let (status, items) = http.send(
        reqwest::Method::GET,
        "/catalogue/items?q=%E9%A3%9F%E5%93%81%E7%BB%8F%E8%90%A5%E8%AE%B8%E5%8F%AF",
        None,
        None,
    );
    assert_eq!(status, 200, "{items}");
    let item = items["items"][0]["code"]
        .as_str()
        .expect("an item")
        .to_string();
    let (status, case) = http.send(
        reqwest::Method::POST,
        "/cases",
        Some(&clerk),
        Some(json!({
            "item_code": item,
            "applicant": {"kind": "enterprise", "name": "宁海县跃龙小吃店有限公司",
                          "id_number": "91330226MA2H7K3LXE"},
            "channel": "window",
            "centre": "county-hall",
            "materials": ["M01"],
        })),
    );
    assert_eq!(status, 201, "{case}");
    case
}

/// `demo --as-of` runs the demonstration as on a chosen working day: a case filed now is received
/// that day (and the walkthrough in `.ci/run` does not depend on the date outside).
#[test]
fn demo_as_of_a_day_receives_cases_on_that_day() {
    let store = TestStore::fresh("as-of");
    let (server, addr) = serve(&store, &["demo", "--cases", "0", "--as-of", "2026-03-02"]);
    assert!(
        server.log().contains("running as on 2026-03-02"),
        "{}",
        server.log()
    );
    let case = file_a_food_licence_case(&Http::new(addr));
    assert_eq!(case["received_on"], "2026-03-02", "{case}");

    let refused = store.run(&["demo", "--as-of", "2026-02-30"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("--as-of"), "{}", stderr(&refused));
}

/// `calendar load` takes the State Council's notice of the provisional year into the store:
/// refused with the file's line and nothing loaded when it is bad; when good, the year is held
/// (the deadline calculator and `calendar show` use it) and the next year becomes provisional.
#[test]
fn calendar_load_takes_a_notice_into_the_store_or_refuses_it_with_its_line() {
    let store = TestStore::fresh("calendar-load");
    let bad = store.file("bad-2027.json");
    write_file(
        &bad,
        "{\n  \"year\": 2027,\n  \"days\": [\n    {\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true},\n    {\"name\": \"元旦\", \"date\": \"2027-01-04\", \"isOffDay\": false}\n  ]\n}\n",
    );
    let refused = store.run(&["calendar", "load", path_arg(&bad)]);
    assert_fails(
        &refused,
        65,
        &[
            "line 5 (days[1])",
            "2027-01-04 is a Mon",
            "nothing was loaded",
        ],
    );
    let shown = store.ok(&["calendar", "show"]);
    assert!(shown.contains("holiday notices held: 2015–2026"), "{shown}");
    assert!(shown.contains("provisional year: 2027"), "{shown}");
    assert!(shown.contains("2027-02-05 Fri 春节"), "{shown}");

    let good = store.file("2027.json");
    write_file(
        &good,
        r#"{"year": 2027, "papers": [], "days": [
  {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
  {"name": "元旦", "date": "2027-01-04", "isOffDay": true}
]}"#,
    );
    let loaded = store.ok(&["calendar", "load", path_arg(&good)]);
    assert!(
        loaded
            .contains("loaded the holiday notice for 2027: 0 case(s) checked, 0 deadline(s) moved"),
        "{loaded}"
    );
    assert!(
        loaded.contains("2028 is now counted provisionally"),
        "{loaded}"
    );
    // The stored notice counts: 4 January is off, and the answer is no longer provisional.
    assert_eq!(
        store
            .ok(&["calendar", "deadline", "2026-12-31", "1"])
            .trim(),
        "2027-01-05"
    );
    let shown = store.ok(&["calendar", "show"]);
    assert!(shown.contains("holiday notices held: 2015–2027"), "{shown}");
    assert!(shown.contains("provisional year: 2028"), "{shown}");
    assert!(shown.contains("  2027 loaded "), "{shown}");
    // A notice for a year after the provisional one is refused.
    let far = store.file("2030.json");
    write_file(&far, &read_file(&good).replace("2027", "2030"));
    assert_fails(
        &store.run(&["calendar", "load", path_arg(&far)]),
        65,
        &["the notice is for 2030", "2028's"],
    );
}

/// The demo starts on any day of the covered years and the one after, December included: in
/// late December 2026 its cases in flight have deadlines in January 2027, answered on the
/// provisional year and marked so; in late December 2027 the ones reaching 2028 show no date.
#[test]
fn demo_starts_in_late_december_with_deadlines_in_the_provisional_year() {
    for (label, day) in [("dec-2026", "2026-12-28"), ("dec-2027", "2027-12-28")] {
        let store = TestStore::fresh(label);
        let (server, addr) = serve(&store, &["demo", "--cases", "40", "--as-of", day]);
        let http = Http::new(addr);
        let case = file_a_food_licence_case(&http);
        assert_eq!(case["received_on"], day, "{case}");
        if day == "2026-12-28" {
            let (status, answer) = http.send(
                reqwest::Method::GET,
                "/calendar/deadline?start=2026-12-28&working_days=20",
                None,
                None,
            );
            assert_eq!(status, 200, "{answer}");
            assert_eq!(answer["provisional"], true, "{answer}");
        }
        // The market's demo need has its quote deadline, counted on weekdays where the
        // holiday notice is not out yet.
        let (status, needs) = http.send(reqwest::Method::GET, "/market/needs", None, None);
        assert_eq!(status, 200, "{needs}");
        assert!(needs[0]["quote_deadline"].is_string(), "{needs}");
        drop(server);
    }
}

/// `onewindow licence verify` checks a licence PDF offline: the demo enterprise's licence,
/// downloaded from the demo, is genuine against the published keys (of the store, or of a keys
/// file), and the same PDF with one byte changed is refused with exit code 1.
#[test]
fn licence_verify_accepts_a_downloaded_licence_and_refuses_an_edited_one() {
    let store = TestStore::fresh("licence-verify");
    let (server, addr) = serve(&store, &["demo", "--cases", "0"]);
    let http = Http::new(addr);
    let token = http.token("enterprise", "qiye-demo-2026");
    let (status, licences) = http.send(reqwest::Method::GET, "/licences", Some(&token), None);
    assert_eq!(status, 200, "{licences}");
    let identifier = licences[0]["identifier"]
        .as_str()
        .expect("the demo enterprise holds a licence")
        .to_string();
    let pdf = http.runtime.block_on(async {
        http.client
            .get(format!("{}/licences/{identifier}/pdf", http.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("an answer")
            .bytes()
            .await
            .expect("a body")
            .to_vec()
    });
    assert!(
        pdf.starts_with(b"%PDF-"),
        "a PDF: {:?}",
        &pdf[..pdf.len().min(200)]
    );
    let (_, keys) = http.send(reqwest::Method::GET, "/licences/keys", None, None);
    drop(server);

    let file = store.dir.path().join("licence.pdf");
    std::fs::write(&file, &pdf).expect("written");
    let keys_file = store.dir.path().join("keys.json");
    std::fs::write(&keys_file, keys.to_string()).expect("written");
    let file_arg = file.to_str().expect("a path");
    let out = store.ok(&["licence", "verify", file_arg]);
    assert!(
        out.contains(&format!("genuine: licence {identifier}")),
        "{out}"
    );
    let out = store.ok(&[
        "licence",
        "verify",
        file_arg,
        "--keys",
        keys_file.to_str().expect("a path"),
    ]);
    assert!(out.contains("genuine"), "{out}");

    let mut edited = pdf.clone();
    let at = edited.len() / 3;
    edited[at] ^= 0x01;
    let forged = store.dir.path().join("edited.pdf");
    std::fs::write(&forged, &edited).expect("written");
    let output = store.run(&["licence", "verify", forged.to_str().expect("a path")]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("NOT GENUINE"),
        "{}",
        stderr(&output)
    );
}

// -------------------------------------------------------------------------------------------
// Two nodes on one PostgreSQL store (issue 21)

/// Two real `serve` nodes on one PostgreSQL store with NATS: the same Idempotency-Key, the same
/// login and the same action on a case sent to both at once answer as one node would (never a
/// 500); then node a is killed (SIGKILL) while eight clients file at once, retrying on the other
/// node with the same key, and every filing a client saw acknowledged is there exactly once;
/// then a rolling restart (a back, b killed) the same. Runs on the PostgreSQL pass; SQLite is
/// one node's file.
#[test]
fn two_nodes_race_as_one_and_a_killed_node_loses_no_acknowledged_filing() {
    let store = TestStore::fresh("two-nodes");
    if store.database.is_none() {
        eprintln!("SKIPPED two nodes: they share a PostgreSQL store (ONEWINDOW_TEST_POSTGRES)");
        return;
    }
    let nats = TcpStream::connect_timeout(
        &"127.0.0.1:4222".parse().expect("address"),
        Duration::from_secs(2),
    )
    .is_ok();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let (stream, prefix) = (
        format!("ONEWINDOW_NODES_{tag}"),
        format!("onewindow-nodes-{tag}"),
    );
    let mut args = vec!["--cases", "0"];
    if nats {
        args.extend([
            "--nats",
            "nats://127.0.0.1:4222",
            "--nats-stream",
            &stream,
            "--nats-prefix",
            &prefix,
        ]);
    }
    let demo: Vec<&str> = ["demo"].into_iter().chain(args.iter().copied()).collect();
    let (mut node_a, a) = serve(&store, &demo);
    let plain: Vec<&str> = ["serve"]
        .into_iter()
        .chain(args.iter().skip(2).copied())
        .collect();
    let (node_b, b) = serve(&store, &plain);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client");
    let url = |node: SocketAddr, path: &str| format!("http://{node}/api/v1{path}");
    let login = |node: SocketAddr| {
        let client = client.clone();
        let url = url(node, "/auth/login");
        async move {
            let r = client
                .post(url)
                .json(&json!({"username": "clerk", "password": "chuangkou-2026"}))
                .send()
                .await
                .expect("an answer");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = runtime.block_on(login(a));
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().expect("a token").to_string();
    let items = runtime.block_on(async {
        client
            .get(url(
                a,
                "/catalogue/items?q=%E9%A3%9F%E5%93%81%E7%BB%8F%E8%90%A5%E8%AE%B8%E5%8F%AF",
            ))
            .send()
            .await
            .expect("items")
            .json::<Value>()
            .await
            .expect("json")
    });
    let item = items["items"][0]["code"]
        .as_str()
        .expect("an item")
        .to_string();
    let application = json!({
        "item_code": item,
        "applicant": {"kind": "enterprise", "name": "宁海县跃龙小吃店有限公司",
                      "id_number": "91330226MA2H7K3LXE"},
        "channel": "window",
        "centre": "county-hall",
        "materials": ["M01"],
    });
    let file = |node: SocketAddr, key: String| {
        let client = client.clone();
        let (url, token, body) = (url(node, "/cases"), token.clone(), application.clone());
        async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await?;
            let status = r.status().as_u16();
            let replayed = r.headers().contains_key("idempotent-replayed");
            let body = r.json::<Value>().await.unwrap_or(Value::Null);
            Ok::<_, reqwest::Error>((status, replayed, body))
        }
    };

    // Races: the same key, the same login, the same action with one version.
    for round in 0..20 {
        let key = format!("race-{tag}-{round}");
        let (x, y) =
            runtime.block_on(async { tokio::join!(file(a, key.clone()), file(b, key.clone())) });
        let (x, y) = (x.expect("node a answers"), y.expect("node b answers"));
        assert_eq!((x.0, y.0), (201, 201), "round {round}: {} {}", x.2, y.2);
        assert_eq!(x.2["id"], y.2["id"], "round {round}: one case");
        assert_eq!(
            u8::from(x.1) + u8::from(y.1),
            1,
            "round {round}: one replay"
        );
        let (l, m) = runtime.block_on(async { tokio::join!(login(a), login(b)) });
        assert_eq!((l.0, m.0), (200, 200), "round {round}: {} {}", l.1, m.1);
        let id = x.2["id"].as_str().expect("an id").to_string();
        let version = x.2["version"].as_u64().expect("a version");
        let accept = |node: SocketAddr| {
            let client = client.clone();
            let (url, token) = (
                url(node, &format!("/cases/{id}/start-pre-review")),
                token.clone(),
            );
            async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .header("if-match", format!("\"{version}\""))
                    .json(&json!({}))
                    .send()
                    .await
                    .expect("an answer")
                    .status()
                    .as_u16()
            }
        };
        let (p, q) = runtime.block_on(async { tokio::join!(accept(a), accept(b)) });
        let mut answers = [p, q];
        answers.sort_unstable();
        assert_eq!(
            answers,
            [200, 409],
            "round {round}: one action wins, the other is told"
        );
    }

    // Load: eight clients file at once, each request to either node; a request that fails
    // (the node is gone, or answers 5xx) is sent again to the other node with the same key.
    let run_load = |label: &str, nodes: [SocketAddr; 2], per_client: usize| {
        let futures = (0..8).map(|c| {
            let label = format!("{label}-{tag}-{c}");
            let file = &file;
            async move {
                let mut ledger = Vec::new();
                for n in 0..per_client {
                    let key = format!("{label}-{n}");
                    let first = nodes[(c + n) % 2];
                    let other = nodes[(c + n + 1) % 2];
                    let mut answer = file(first, key.clone()).await;
                    if !matches!(&answer, Ok((status, _, _)) if *status < 500) {
                        answer = file(other, key.clone()).await;
                    }
                    let (status, _, body) = answer.expect("the other node answers");
                    assert_eq!(status, 201, "{key}: {body}");
                    ledger.push((key, body["id"].as_str().expect("an id").to_string()));
                }
                ledger
            }
        });
        runtime
            .block_on(futures::future::join_all(futures))
            .into_iter()
            .flatten()
            .collect::<Vec<(String, String)>>()
    };
    // Every acknowledged filing is there, once: its key on `node` replays the same case.
    let check = |ledger: &[(String, String)], node: SocketAddr| {
        for (key, id) in ledger {
            let (status, replayed, body) = runtime
                .block_on(file(node, key.clone()))
                .expect("the node answers");
            assert_eq!((status, replayed), (201, true), "{key}: {body}");
            assert_eq!(
                body["id"].as_str(),
                Some(id.as_str()),
                "{key}: the same case"
            );
        }
    };

    // Node a is killed (SIGKILL) while the clients file.
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        node_a.kill();
        node_a
    });
    let ledger = run_load("kill", [a, b], 20);
    let node_a = killer.join().expect("the killer thread");
    drop(node_a);
    check(&ledger, b);

    // A rolling restart: node a comes back, then node b is killed while the clients file.
    let (node_a2, a2) = serve(&store, &plain);
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        let mut node_b = node_b;
        node_b.kill();
        node_b
    });
    let ledger2 = run_load("restart", [a2, b], 20);
    drop(killer.join().expect("the killer thread"));
    check(&ledger, a2);
    check(&ledger2, a2);
    drop(node_a2);
    if nats {
        let config = onewindow_app::nats::NatsConfig {
            stream: stream.clone(),
            subject_prefix: prefix.clone(),
            ..onewindow_app::nats::NatsConfig::new("nats://127.0.0.1:4222")
        };
        let _ = runtime.block_on(async {
            let bus = onewindow_app::nats::EventBus::connect(config).await.ok()?;
            bus.jetstream().delete_stream(&stream).await.ok()
        });
    }
}

// -------------------------------------------------------------------------------------------
// Killed under load (issue 19)

/// `kill -9` of a node while eight clients file cases and start their pre-review, then a restart
/// on the same store: every filing and every transition a client saw acknowledged is there (its
/// key replays the same case, the case is at least at the acknowledged version), and the audit
/// chain is whole. `.ci/run` runs it against the release binary (`ONEWINDOW_CRASH_BINARY`, three
/// kills at different points of the load); without it, once against the test build.
#[test]
fn a_node_killed_under_load_keeps_every_acknowledged_write() {
    let (binary, cycles) = match std::env::var("ONEWINDOW_CRASH_BINARY") {
        Ok(binary) if !binary.is_empty() => (binary, 3),
        _ => (BIN.to_string(), 1),
    };
    let store = TestStore::fresh("crash");
    let first = match start_of(&store, &binary, &["demo", "--cases", "0"]) {
        Started::Serving(server, addr) => (server, addr),
        Started::Exited(status, log) => panic!("the demo exited with {status}:\n{log}"),
    };
    let mut node = Some(first);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client");
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let application = |item: &str| {
        json!({
            "item_code": item,
            "applicant": {"kind": "enterprise", "name": "宁海县跃龙小吃店有限公司",
                          "id_number": "91330226MA2H7K3LXE"},
            "channel": "window",
            "centre": "county-hall",
            "materials": ["M01"],
        })
    };
    // (key, case id, acknowledged version)
    let mut acknowledged: Vec<(String, String, u64)> = Vec::new();
    let mut interrupted = 0;
    for cycle in 0..cycles {
        let (server, addr) = node.take().expect("a node");
        let base = format!("http://{addr}/api/v1");
        let token = runtime.block_on(async {
            let answer: Value = client
                .post(format!("{base}/auth/login"))
                .json(&json!({"username": "clerk", "password": "chuangkou-2026"}))
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("login JSON");
            answer["token"].as_str().expect("a token").to_string()
        });
        let item = runtime.block_on(async {
            let items: Value = client
                .get(format!(
                    "{base}/catalogue/items?q=%E9%A3%9F%E5%93%81%E7%BB%8F%E8%90%A5%E8%AE%B8%E5%8F%AF"
                ))
                .send()
                .await
                .expect("items")
                .json()
                .await
                .expect("items JSON");
            items["items"][0]["code"]
                .as_str()
                .expect("an item")
                .to_string()
        });
        // Killed once the load is under way, at a different point of it each cycle (counted in
        // acknowledged writes, not in time: a slow machine acknowledges fewer a second).
        let writes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut server = server;
        let killer = {
            let writes = writes.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                while writes.load(std::sync::atomic::Ordering::Relaxed) < 40 * (cycle + 1)
                    && started.elapsed() < Duration::from_secs(120)
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                std::thread::sleep(Duration::from_millis(37 * cycle as u64));
                server.kill();
                server
            })
        };
        let clients = (0..8).map(|c| {
            let (client, base, token, item) =
                (client.clone(), base.clone(), token.clone(), item.clone());
            let writes = writes.clone();
            let label = format!("{tag}-{cycle}-{c}");
            async move {
                let mut ledger = Vec::new();
                // Bounded: the kill ends the load long before.
                for n in 0..5_000 {
                    let key = format!("{label}-{n}");
                    let filed = client
                        .post(format!("{base}/cases"))
                        .bearer_auth(&token)
                        .header("idempotency-key", &key)
                        .json(&application(&item))
                        .send()
                        .await;
                    let Ok(filed) = filed else {
                        return (ledger, true);
                    };
                    if filed.status().as_u16() != 201 {
                        assert!(
                            filed.status().is_server_error(),
                            "{key}: {}",
                            filed.status()
                        );
                        return (ledger, true);
                    }
                    let Ok(case) = filed.json::<Value>().await else {
                        return (ledger, true);
                    };
                    let id = case["id"].as_str().expect("an id").to_string();
                    let version = case["version"].as_u64().expect("a version");
                    ledger.push((key.clone(), id.clone(), version));
                    writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let reviewed = client
                        .post(format!("{base}/cases/{id}/start-pre-review"))
                        .bearer_auth(&token)
                        .header("if-match", format!("\"{version}\""))
                        .json(&json!({}))
                        .send()
                        .await;
                    let Ok(accepted) = reviewed else {
                        return (ledger, true);
                    };
                    if accepted.status().as_u16() != 200 {
                        assert!(
                            accepted.status().is_server_error(),
                            "{key}: start-pre-review {}",
                            accepted.status()
                        );
                        return (ledger, true);
                    }
                    let Ok(case) = accepted.json::<Value>().await else {
                        return (ledger, true);
                    };
                    if let Some(last) = ledger.last_mut() {
                        last.2 = case["version"].as_u64().expect("a version");
                        writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                (ledger, false)
            }
        });
        let results = runtime.block_on(futures::future::join_all(clients));
        drop(killer.join().expect("the killer thread"));
        for (ledger, cut) in results {
            interrupted += usize::from(cut);
            acknowledged.extend(ledger);
        }
        // The restart on the same store, as an operator would after a crash.
        let (server, addr) = match start_of(&store, &binary, &["serve"]) {
            Started::Serving(server, addr) => (server, addr),
            Started::Exited(status, log) => {
                panic!("cycle {cycle}: the restart exited with {status}:\n{log}")
            }
        };
        let base = format!("http://{addr}/api/v1");
        runtime.block_on(async {
            let answer: Value = client
                .post(format!("{base}/auth/login"))
                .json(&json!({"username": "clerk", "password": "chuangkou-2026"}))
                .send()
                .await
                .expect("login after the restart")
                .json()
                .await
                .expect("login JSON");
            let token = answer["token"].as_str().expect("a token");
            for (key, id, version) in &acknowledged {
                let answer = client
                    .get(format!("{base}/cases/{id}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .expect("the case");
                assert_eq!(
                    answer.status().as_u16(),
                    200,
                    "cycle {cycle}: acknowledged case {key} ({id}) is gone"
                );
                let stored: u64 = answer
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim_matches('"').parse().ok())
                    .expect("the case's version in its ETag");
                assert!(
                    stored >= *version,
                    "cycle {cycle}: {key} was acknowledged at version {version}, the store has {stored}"
                );
                // The key replays the same case: nothing acknowledged is filed twice.
                let replay = client
                    .post(format!("{base}/cases"))
                    .bearer_auth(token)
                    .header("idempotency-key", key)
                    .json(&application(&item))
                    .send()
                    .await
                    .expect("the replay");
                assert!(
                    replay.headers().contains_key("idempotent-replayed"),
                    "cycle {cycle}: {key} filed again instead of replaying"
                );
                let replayed: Value = replay.json().await.expect("replay JSON");
                assert_eq!(replayed["id"].as_str(), Some(id.as_str()), "{key}: the same case");
            }
        });
        node = Some((server, addr));
    }
    assert!(
        !acknowledged.is_empty() && interrupted > 0,
        "the load ran ({} acknowledged) and the kill cut it ({interrupted} clients)",
        acknowledged.len()
    );
    // The chain of the audit trail survived every kill.
    drop(node);
    let verified = store.run(&["audit", "verify"]);
    assert!(
        verified.status.success(),
        "audit verify: {}\n{}",
        stdout(&verified),
        stderr(&verified)
    );
    eprintln!(
        "killed {cycles} time(s) under load: {} acknowledged writes all there",
        acknowledged.len()
    );
}
