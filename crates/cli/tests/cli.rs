//! End-to-end tests of the `onewindow` binary: each test runs the real executable as a child
//! process on a fresh store of its own and looks only at exit codes, standard output, standard
//! error and the files it writes.
//!
//! By default a store is a fresh temporary data directory (`--data DIR`, an SQLite file), removed
//! afterwards. With `ONEWINDOW_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres` the
//! store tests (catalogue round trip, refused imports, demo report) run against PostgreSQL instead,
//! each on a fresh scratch database passed as `--database URL`.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_onewindow");

/// A temporary directory removed when the test ends, whether it passed or not.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "onewindow-cli-{label}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&path).expect("create the temporary directory");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

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
        let mut command = bare_command(args);
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
}

/// The binary with the given arguments and none of the `ONEWINDOW_*` settings of the caller.
fn bare_command(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("ONEWINDOW_DATA")
        .env_remove("ONEWINDOW_DATABASE_URL")
        .env_remove("ONEWINDOW_CALENDAR_OVERRIDES")
        .env_remove("ONEWINDOW_ADDR")
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

    // A year without a holiday notice is an error, never a guess; also when only the answer
    // falls into it.
    for start in ["2027-03-01", "2026-12-31"] {
        let output = deadline(&dir, start, "1");
        assert!(!output.status.success(), "{start} + 1 must fail");
        assert!(stdout(&output).trim().is_empty(), "no date printed");
        let message = stderr(&output);
        assert!(
            message.contains("2027"),
            "the message names the year 2027: {message}"
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

/// Runs `onewindow demo` on the store until it serves, which it does only after seeding.
fn seed_demo(store: &TestStore) -> String {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}")
        .parse()
        .expect("a socket address");
    let log = store.file("demo.log");
    let log_file = std::fs::File::create(&log).expect("create the demo log");
    let mut command = store.command(&["demo", "--cases", "20", "--addr", &addr.to_string()]);
    command
        .stdout(log_file.try_clone().expect("share the demo log"))
        .stderr(log_file);
    let mut server = Server {
        child: command.spawn().expect("start onewindow demo"),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(status) = server.child.try_wait().expect("poll the demo process") {
            panic!(
                "onewindow demo exited with {status} before serving:\n{}",
                server.log()
            );
        }
        if healthy(addr) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "onewindow demo did not serve within 300 s:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
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
