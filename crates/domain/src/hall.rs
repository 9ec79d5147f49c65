//! The hall and its network: where a centre stands in the three-level network, which items it
//! may accept, and the queue (取号叫号) — who is called next, what the board says, and the visit a
//! served ticket records. Pure rules; the store decides atomically which ticket a call takes.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalogue::Level;
use crate::identifiers::ResidentIdNumber;

/// The kind of a window (窗口类型): a comprehensive window (综合受理窗口) takes any business, a
/// departmental window (部门窗口) its departments' items, an independent window (独立窗口) its
/// departments' items in a queue of their own (e.g. the entry and exit office).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    Comprehensive,
    Departmental,
    Independent,
}

impl WindowKind {
    pub const ALL: [WindowKind; 3] = [
        WindowKind::Comprehensive,
        WindowKind::Departmental,
        WindowKind::Independent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::Comprehensive => "comprehensive",
            WindowKind::Departmental => "departmental",
            WindowKind::Independent => "independent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a window can serve: its kind and, unless comprehensive, its departments and (when the
/// county narrows it further) its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSkills {
    pub kind: WindowKind,
    pub departments: Vec<String>,
}

impl WindowSkills {
    /// True when the window may call a ticket of `business` (empty: general business, which only a
    /// comprehensive window serves; otherwise a department code, which a comprehensive window —
    /// the reform's "one window accepts everything" — also serves).
    pub fn serves(&self, business: &str) -> bool {
        match self.kind {
            WindowKind::Comprehensive => true,
            WindowKind::Departmental | WindowKind::Independent => {
                !business.is_empty() && self.departments.iter().any(|d| d == business)
            }
        }
    }

    /// The businesses a call from this window may take, for the store's query; `None` for all.
    pub fn businesses(&self) -> Option<&[String]> {
        match self.kind {
            WindowKind::Comprehensive => None,
            _ => Some(&self.departments),
        }
    }
}

/// A centre accepts an item only where the catalogue pushed it down (下沉): its level is one of
/// the item's levels. The case is reviewed and decided by the item's department at the county
/// whatever the level that accepted it (村收件、县审批).
pub fn accepts_at(item_levels: &[Level], centre_level: Level) -> bool {
    item_levels.contains(&centre_level)
}

/// The level a centre's parent must have: a village point hangs under a township's centre, a
/// township's centre under a county centre, a county centre (a sub-centre) under a county centre
/// or nothing.
pub fn parent_level_fits(level: Level, parent: Option<Level>) -> bool {
    matches!(
        (level, parent),
        (Level::County, None | Some(Level::County))
            | (Level::Township, Some(Level::County))
            | (Level::Village, Some(Level::Township))
    )
}

/// The hours a centre takes tickets on a working day (办公时间).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

impl OpeningHours {
    /// The county hall's hours when a centre names none.
    pub fn standard() -> Self {
        Self {
            opens: NaiveTime::from_hms_opt(8, 30, 0).unwrap_or(NaiveTime::MIN),
            closes: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }

    /// Parses `HH:MM`–`HH:MM`; the opening before the closing.
    pub fn parse(opens: &str, closes: &str) -> Result<Self, &'static str> {
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M");
        let (Ok(opens), Ok(closes)) = (time(opens), time(closes)) else {
            return Err("write the hours as HH:MM, e.g. 08:30 and 17:00");
        };
        if opens >= closes {
            return Err("the centre must open before it closes");
        }
        Ok(Self { opens, closes })
    }

    /// True at `time` of a working day.
    pub fn is_open_at(&self, working_day: bool, time: NaiveTime) -> bool {
        working_day && self.opens <= time && time < self.closes
    }
}

/// How a ticket was taken (取号方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketSource {
    /// The hall's self-service terminal (自助取号机).
    Kiosk,
    /// The applicant's phone (手机取号).
    Phone,
    /// An appointment booked online, checked in at the hall (预约取号).
    Appointment,
}

impl TicketSource {
    pub const ALL: [TicketSource; 3] = [
        TicketSource::Kiosk,
        TicketSource::Phone,
        TicketSource::Appointment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketSource::Kiosk => "kiosk",
            TicketSource::Phone => "phone",
            TicketSource::Appointment => "appointment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a ticket stands (号票状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Waiting,
    Called,
    Served,
    NoShow,
}

impl TicketState {
    pub const ALL: [TicketState; 4] = [
        TicketState::Waiting,
        TicketState::Called,
        TicketState::Served,
        TicketState::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Waiting => "waiting",
            TicketState::Called => "called",
            TicketState::Served => "served",
            TicketState::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The age from which the hall calls an applicant first (老年人优先).
pub const ELDERLY_AGE: u32 = 70;

/// The priority of a ticket in the call order: 1 for appointments and the elderly, 0 for the
/// rest. An identity number that does not parse gives no priority (the check-in refuses it).
pub fn ticket_priority(source: TicketSource, id_number: Option<&str>, today: NaiveDate) -> u8 {
    let elderly = id_number
        .and_then(|n| ResidentIdNumber::parse(n).ok())
        .and_then(|id| today.years_since(id.birth_date()))
        .is_some_and(|age| age >= ELDERLY_AGE);
    u8::from(source == TicketSource::Appointment || elderly)
}

/// The letter a ticket's number starts with: A for general business at a comprehensive window,
/// B for a department's business, Y for an appointment (the board and the voice say it).
pub fn ticket_prefix(source: TicketSource, business: &str) -> char {
    match (source, business.is_empty()) {
        (TicketSource::Appointment, _) => 'Y',
        (_, true) => 'A',
        (_, false) => 'B',
    }
}

/// The ticket's number as printed and called, e.g. `A007`.
pub fn ticket_number(prefix: char, serial: i64) -> String {
    format!("{prefix}{serial:03}")
}

/// The key of the call order: priority first, then who came first. The store orders by the same
/// columns; this is the rule its query follows, tested here.
pub fn call_order_key(priority: u8, issued_at: DateTime<Utc>, number: &str) -> (i16, i64, String) {
    (
        -i16::from(priority),
        issued_at.timestamp_micros(),
        number.to_string(),
    )
}

/// A waiting ticket as the call order sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub id: String,
    pub number: String,
    pub business: String,
    pub priority: u8,
    pub issued_at: DateTime<Utc>,
}

/// The ticket a window calls next among `waiting`: the first in the call order that its skills
/// serve.
pub fn next_ticket<'a>(waiting: &'a [Waiting], skills: &WindowSkills) -> Option<&'a Waiting> {
    waiting
        .iter()
        .filter(|t| skills.serves(&t.business))
        .min_by_key(|t| call_order_key(t.priority, t.issued_at, &t.number))
}

/// How many tickets wait before `mine` for the same business: those the call order puts first.
/// Another business's tickets may be called by the same comprehensive windows, so this is what
/// the applicant's own line looks like, not a promise of minutes.
pub fn waiting_ahead(waiting: &[Waiting], mine: &Waiting) -> usize {
    let key = call_order_key(mine.priority, mine.issued_at, &mine.number);
    waiting
        .iter()
        .filter(|t| t.id != mine.id && t.business == mine.business)
        .filter(|t| call_order_key(t.priority, t.issued_at, &t.number) < key)
        .count()
}

/// A ticket's times, as the hall's statistics read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTimes {
    /// The window that called it; empty while it waits.
    pub window: String,
    pub issued_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub state: TicketState,
}

/// Waiting and serving times of a group of tickets (排队时长、办理时长): by window, by hour of
/// the day, by day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueTimes {
    /// The window's code, the hour (`09`) or the day (`2026-12-07`).
    pub key: String,
    pub tickets: u32,
    pub served: u32,
    pub no_show: u32,
    /// From taking the ticket to its first call, over the tickets called; in minutes.
    pub mean_wait_minutes: Option<f64>,
    pub longest_wait_minutes: Option<f64>,
    /// From the call to the end, over the tickets served; in minutes.
    pub mean_service_minutes: Option<f64>,
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_seconds().max(0) as f64) / 60.0
}

fn one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The times of `tickets` grouped by `key` (a ticket whose key is `None` is left out), in the
/// order of the keys.
pub fn queue_times<F>(tickets: &[TicketTimes], key: F) -> Vec<QueueTimes>
where
    F: Fn(&TicketTimes) -> Option<String>,
{
    let mut groups: std::collections::BTreeMap<String, Vec<&TicketTimes>> = Default::default();
    for ticket in tickets {
        if let Some(k) = key(ticket) {
            groups.entry(k).or_default().push(ticket);
        }
    }
    groups
        .into_iter()
        .map(|(key, group)| {
            let waits: Vec<f64> = group
                .iter()
                .filter_map(|t| t.called_at.map(|c| minutes(t.issued_at, c)))
                .collect();
            let services: Vec<f64> = group
                .iter()
                .filter(|t| t.state == TicketState::Served)
                .filter_map(|t| Some(minutes(t.called_at?, t.finished_at?)))
                .collect();
            let mean = |xs: &[f64]| {
                (!xs.is_empty()).then(|| one_decimal(xs.iter().sum::<f64>() / xs.len() as f64))
            };
            QueueTimes {
                key,
                tickets: group.len() as u32,
                served: group
                    .iter()
                    .filter(|t| t.state == TicketState::Served)
                    .count() as u32,
                no_show: group
                    .iter()
                    .filter(|t| t.state == TicketState::NoShow)
                    .count() as u32,
                mean_wait_minutes: mean(&waits),
                longest_wait_minutes: waits.iter().copied().reduce(f64::max).map(one_decimal),
                mean_service_minutes: mean(&services),
            }
        })
        .collect()
}

/// A ticket still waiting at `now` longer than `limit_minutes` (the hall's supervisor is told).
pub fn waits_too_long(
    state: TicketState,
    issued_at: DateTime<Utc>,
    now: DateTime<Utc>,
    limit_minutes: u32,
) -> bool {
    state == TicketState::Waiting && (now - issued_at).num_minutes() >= i64::from(limit_minutes)
}

/// What the board shows and the hall's speakers say when a ticket is called (叫号语音).
pub fn call_speech(number: &str, window_name: &str) -> (String, String) {
    (
        format!("请 {number} 号到 {window_name} 办理"),
        format!("Number {number}, please go to {window_name}"),
    )
}

/// The purpose a visit recorded from a served ticket carries: the ticket and the window.
pub fn visit_purpose(number: &str, window_name: &str) -> String {
    format!("取号 {number} · {window_name}")
}

/// Why a visit is typed in rather than recorded from a ticket (补录): only these documented
/// exceptions are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitException {
    /// A staff member went to the applicant (上门服务).
    HomeVisit,
    /// The queue system was down that day (系统停用日).
    OfflineDay,
}

impl VisitException {
    pub const ALL: [VisitException; 2] = [VisitException::HomeVisit, VisitException::OfflineDay];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitException::HomeVisit => "home_visit",
            VisitException::OfflineDay => "offline_day",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 1, minute, 0)
            .single()
            .expect("time")
    }

    fn ticket(n: u32, business: &str, priority: u8) -> Waiting {
        Waiting {
            id: format!("t{n}"),
            number: format!("A{n:03}"),
            business: business.into(),
            priority,
            issued_at: at(n),
        }
    }

    fn times(window: &str, issued: u32, called: Option<u32>, done: Option<u32>) -> TicketTimes {
        TicketTimes {
            window: window.into(),
            issued_at: at(issued),
            called_at: called.map(at),
            finished_at: done.map(at),
            state: match (called, done) {
                (None, _) => TicketState::Waiting,
                (Some(_), None) => TicketState::Called,
                (Some(_), Some(_)) => TicketState::Served,
            },
        }
    }

    #[test]
    fn waiting_and_serving_times_by_window() {
        let tickets = [
            times("01", 0, Some(10), Some(25)),
            times("01", 5, Some(25), Some(30)),
            times("02", 6, Some(8), None),
            times("", 7, None, None),
        ];
        let rows = queue_times(&tickets, |t| {
            Some(t.window.clone()).filter(|w| !w.is_empty())
        });
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].key, "01");
        assert_eq!(rows[0].tickets, 2);
        assert_eq!(rows[0].served, 2);
        assert_eq!(rows[0].mean_wait_minutes, Some(15.0));
        assert_eq!(rows[0].longest_wait_minutes, Some(20.0));
        assert_eq!(rows[0].mean_service_minutes, Some(10.0));
        assert_eq!(rows[1].mean_service_minutes, None, "still at the window");
        assert!(waits_too_long(TicketState::Waiting, at(7), at(40), 30));
        assert!(!waits_too_long(TicketState::Waiting, at(7), at(36), 30));
        assert!(!waits_too_long(TicketState::Called, at(0), at(59), 30));
    }

    proptest! {
        /// Every ticket with a key is counted once, and no mean wait exceeds the longest.
        #[test]
        fn times_count_every_ticket_once(
            spec in proptest::collection::vec((0u32..3, 0u32..30, proptest::option::of(0u32..20)), 0..40)
        ) {
            let tickets: Vec<TicketTimes> = spec
                .iter()
                .map(|(w, issued, wait)| times(&format!("0{w}"), *issued, wait.map(|d| issued + d), None))
                .collect();
            let rows = queue_times(&tickets, |t| Some(t.window.clone()));
            prop_assert_eq!(rows.iter().map(|r| r.tickets as usize).sum::<usize>(), tickets.len());
            for row in rows {
                if let (Some(mean), Some(longest)) = (row.mean_wait_minutes, row.longest_wait_minutes) {
                    prop_assert!(mean <= longest + 0.05);
                }
            }
        }
    }

    #[test]
    fn ahead_counts_the_same_business_called_first() {
        let line = [
            ticket(1, "", 0),
            ticket(2, "SCJGJ", 0),
            ticket(3, "", 0),
            ticket(4, "", 1),
        ];
        assert_eq!(
            waiting_ahead(&line, &line[0]),
            1,
            "the priority ticket goes first"
        );
        assert_eq!(waiting_ahead(&line, &line[2]), 2);
        assert_eq!(
            waiting_ahead(&line, &line[1]),
            0,
            "another business is another line"
        );
        assert_eq!(waiting_ahead(&line, &line[3]), 0);
    }

    #[test]
    fn comprehensive_windows_serve_all_and_departmental_their_own() {
        let comprehensive = WindowSkills {
            kind: WindowKind::Comprehensive,
            departments: vec![],
        };
        let market = WindowSkills {
            kind: WindowKind::Departmental,
            departments: vec!["SCJGJ".into()],
        };
        assert!(comprehensive.serves(""));
        assert!(comprehensive.serves("SCJGJ"));
        assert!(market.serves("SCJGJ"));
        assert!(!market.serves(""));
        assert!(!market.serves("GAJ"));
    }

    #[test]
    fn items_are_accepted_only_where_pushed_down() {
        assert!(accepts_at(
            &[Level::County, Level::Township],
            Level::Township
        ));
        assert!(!accepts_at(
            &[Level::County, Level::Township],
            Level::Village
        ));
        assert!(accepts_at(&[Level::County], Level::County));
    }

    #[test]
    fn priority_goes_to_appointments_and_the_elderly() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        // Born 1949-12-31: 76 years old.
        let old = "11010519491231002X";
        assert_eq!(ticket_priority(TicketSource::Kiosk, Some(old), today), 1);
        assert_eq!(ticket_priority(TicketSource::Appointment, None, today), 1);
        assert_eq!(ticket_priority(TicketSource::Kiosk, None, today), 0);
        assert_eq!(
            ticket_priority(TicketSource::Kiosk, Some("bogus"), today),
            0
        );
    }

    #[test]
    fn the_call_takes_priority_then_the_first_come() {
        let market = WindowSkills {
            kind: WindowKind::Departmental,
            departments: vec!["SCJGJ".into()],
        };
        let waiting = vec![
            ticket(1, "", 0),
            ticket(2, "SCJGJ", 0),
            ticket(3, "SCJGJ", 1),
        ];
        assert_eq!(
            next_ticket(&waiting, &market).map(|t| t.id.as_str()),
            Some("t3")
        );
        let comprehensive = WindowSkills {
            kind: WindowKind::Comprehensive,
            departments: vec![],
        };
        assert_eq!(
            next_ticket(&waiting[..2], &comprehensive).map(|t| t.id.as_str()),
            Some("t1")
        );
        let police = WindowSkills {
            kind: WindowKind::Independent,
            departments: vec!["GAJ".into()],
        };
        assert_eq!(next_ticket(&waiting, &police), None);
    }

    #[test]
    fn a_centre_hangs_under_the_level_above() {
        assert!(parent_level_fits(Level::Village, Some(Level::Township)));
        assert!(parent_level_fits(Level::Township, Some(Level::County)));
        assert!(parent_level_fits(Level::County, None));
        assert!(!parent_level_fits(Level::Village, Some(Level::County)));
        assert!(!parent_level_fits(Level::Township, None));
    }

    #[test]
    fn hours_must_open_before_they_close() {
        assert!(OpeningHours::parse("08:30", "17:00").is_ok());
        assert!(OpeningHours::parse("17:00", "08:30").is_err());
        assert!(OpeningHours::parse("8h", "17:00").is_err());
        let hours = OpeningHours::standard();
        let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("time");
        assert!(hours.is_open_at(true, nine));
        assert!(!hours.is_open_at(false, nine));
    }

    proptest! {
        /// Whatever waits, the called ticket is one the window serves, and no ticket it serves
        /// comes before it in the call order.
        #[test]
        fn the_called_ticket_is_the_first_the_window_serves(
            specs in proptest::collection::vec((0u8..3, 0u8..2), 0..30),
            kind in 0usize..3,
        ) {
            let businesses = ["", "SCJGJ", "GAJ"];
            let waiting: Vec<Waiting> = specs
                .iter()
                .enumerate()
                .map(|(i, (b, p))| ticket(i as u32, businesses[*b as usize], *p))
                .collect();
            let skills = WindowSkills {
                kind: WindowKind::ALL[kind],
                departments: vec!["SCJGJ".into()],
            };
            match next_ticket(&waiting, &skills) {
                None => prop_assert!(waiting.iter().all(|t| !skills.serves(&t.business))),
                Some(called) => {
                    prop_assert!(skills.serves(&called.business));
                    let key = call_order_key(called.priority, called.issued_at, &called.number);
                    for t in waiting.iter().filter(|t| skills.serves(&t.business)) {
                        prop_assert!(call_order_key(t.priority, t.issued_at, &t.number) >= key);
                    }
                    if called.priority == 0 {
                        prop_assert!(waiting
                            .iter()
                            .filter(|t| skills.serves(&t.business))
                            .all(|t| t.priority == 0));
                    }
                }
            }
        }
    }
}
