//! The working-day calendar (工作日历): Monday to Friday, minus statutory holidays, plus the
//! make-up working days (调休) the State Council announces, plus a county's own closures.
//!
//! Every statutory and promised time limit is counted in working days, so a wrong calendar
//! silently moves every deadline. The calendar therefore answers exactly for the years whose
//! State Council notice it holds, and returns [`CalendarError::YearNotCovered`] for years far
//! away instead of falling back to the weekend rule. An administrator loads the next year when
//! its notice is published (usually in November, sometimes later) with
//! [`Calendar::with_year_json`].
//!
//! The one year after the last notice is different: a county cannot stop accepting in December
//! because next year's notice is late, and deadlines of cases accepted then reach into January.
//! That year is answered on a provisional basis (暂按): weekends off plus the statutory holidays
//! the national regulation fixes ([`crate::holidays`]), without the make-up working days only
//! the notice can announce. Every date that depends on it is marked ([`Calendar::is_provisional`]),
//! and loading the notice recomputes them.
//!
//! The national data is `data/holidays-cn.json` at the repository root (from NateScarlet/holiday-cn,
//! MIT; `data/README.md` describes it and the county override format). It is embedded at build
//! time because this crate performs no I/O and a deployment must not depend on a data file lying
//! next to the binary.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use crate::holidays;

const PRC_DATA_JSON: &str = include_str!("../../../data/holidays-cn.json");

/// Parsed once per process: deadline code may ask for the national calendar often, and building
/// the tables walks every day of every covered year.
static PRC: LazyLock<Calendar> = LazyLock::new(|| {
    Calendar::from_data_json(PRC_DATA_JSON)
        .expect("data/holidays-cn.json is ours, embedded at build time and checked by the tests")
});

/// Bounds on a notice's year, so that a typo such as `20266` is reported instead of building a
/// table of millions of days. No real notice falls outside them.
const MIN_YEAR: i32 = 1949;
const MAX_YEAR: i32 = 2999;

/// A date the calendar cannot answer for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "the working-day calendar has no data for the year {year}; load that year's holiday notice first"
    )]
    YearNotCovered { year: i32 },
}

/// Calendar data (a holiday notice, the embedded table or a county override file) that cannot be
/// used. Nothing is half-applied: the builder that returns it gives no calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarDataError {
    /// Holds serde's message (with line and column) rather than the error itself, so that the
    /// error stays comparable and cloneable like the rest of the domain's errors.
    #[error("the {document} is not valid JSON of the expected shape: {message}")]
    Json {
        document: &'static str,
        message: String,
    },
    #[error("{location}: {value:?} is not a date written YYYY-MM-DD ({reason})")]
    BadDate {
        location: String,
        value: String,
        reason: String,
    },
    #[error("year {year} is outside the years a holiday notice can cover ({MIN_YEAR}–{MAX_YEAR})")]
    YearOutOfRange { year: i32 },
    #[error(
        "the holiday notice for {year} lists no days: the State Council has probably not announced {year} yet, so the year cannot be covered"
    )]
    EmptyYear { year: i32 },
    #[error("the holiday notice for {year} is given more than once")]
    DuplicateYear { year: i32 },
    #[error(
        "the holiday notice for {year} lists {date}, which is neither in {year} nor in the year before"
    )]
    DateOutsideNoticeYear { year: i32, date: NaiveDate },
    #[error("{location}: {date} is listed twice, once as an off day and once as a working day")]
    ConflictingDay { location: String, date: NaiveDate },
    #[error("{location}: {date} is listed twice")]
    DuplicateDay { location: String, date: NaiveDate },
    #[error(
        "{location}: {date} is a {weekday}, so it cannot be a make-up working day (\"isOffDay\": false is only for a Saturday or Sunday)"
    )]
    WeekdayMadeWorking {
        location: String,
        date: NaiveDate,
        weekday: Weekday,
    },
    #[error(
        "{location}: {date} is neither in {year} nor in the last week of {previous} (a notice rearranges at most the days before New Year's Day)",
        previous = year - 1
    )]
    DateOutsideNoticeWeek {
        location: String,
        year: i32,
        date: NaiveDate,
    },
    #[error(
        "the notice is for {year}, but the next notice this calendar can take is {expected}'s ({held}); a notice of a year already held replaces it"
    )]
    WrongYear {
        year: i32,
        expected: i32,
        held: String,
    },
    #[error(
        "{location}: {date} is in {year}, which the calendar does not cover; load the holiday notice for {year} first"
    )]
    DateNotCovered {
        location: String,
        date: NaiveDate,
        year: i32,
    },
}

/// A day a notice or a county lists, overriding the weekend rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListedDay {
    name: String,
    is_off_day: bool,
}

/// A run of consecutive covered years with tables that make every question O(1).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    first_year: i32,
    last_year: i32,
    /// `num_days_from_ce` of 1 January of `first_year`: a date's index into `prefix` is one
    /// subtraction away.
    first_day: i32,
    /// `prefix[i]` is the number of working days among the span's first `i` days, so a count over
    /// any interval is one subtraction.
    prefix: Vec<u32>,
    /// The span's working days in order, so "the k-th working day" is one index.
    working_days: Vec<NaiveDate>,
}

impl Span {
    fn build(
        first_year: i32,
        last_year: i32,
        effective: &BTreeMap<NaiveDate, bool>,
    ) -> Result<Span, CalendarDataError> {
        let (start, _) = year_bounds(first_year)?;
        let (_, end) = year_bounds(last_year)?;
        let mut prefix = Vec::with_capacity(366 * (last_year - first_year + 1) as usize + 1);
        let mut working_days = Vec::with_capacity(252 * (last_year - first_year + 1) as usize);
        prefix.push(0);
        for date in start.iter_days().take_while(|d| *d <= end) {
            let is_working = match effective.get(&date) {
                Some(&is_off_day) => !is_off_day,
                None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
            };
            if is_working {
                working_days.push(date);
            }
            prefix.push(working_days.len() as u32);
        }
        Ok(Span {
            first_year,
            last_year,
            first_day: start.num_days_from_ce(),
            prefix,
            working_days,
        })
    }
}

/// A working-day calendar over the years it covers.
#[derive(Clone, PartialEq, Eq)]
pub struct Calendar {
    /// National notices by notice year, kept apart rather than merged so that reloading a year
    /// replaces exactly what that notice said, and so that a day listed by two notices goes to
    /// the later notice (the 2019 notice made 2018-12-29 a working day).
    notices: BTreeMap<i32, BTreeMap<NaiveDate, ListedDay>>,
    /// County closures and extra working days. They win over the national notices whatever the
    /// order of loading: a typhoon closes the hall even on a make-up working day.
    county: BTreeMap<NaiveDate, ListedDay>,
    /// Whether the year after the last notice is answered on the regulation alone.
    provisional_next_year: bool,
    /// That year and its statutory days off, derived by `rebuild` (`None` when switched off, when
    /// no notice is held, or past [`holidays::LAST_YEAR`]).
    provisional: Option<(i32, BTreeMap<NaiveDate, ListedDay>)>,
    /// Derived from the maps by `rebuild`; every change to them must rebuild.
    spans: Vec<Span>,
}

impl fmt::Debug for Calendar {
    /// Leaves out the tables: thousands of numbers would bury the years and closures that matter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("covered_years", &self.notices.keys().collect::<Vec<_>>())
            .field("provisional_year", &self.provisional_year())
            .field("county", &self.county)
            .finish_non_exhaustive()
    }
}

impl Calendar {
    /// The national calendar (2015–2026) from the embedded holiday-cn data, with 2027 answered
    /// provisionally until its notice is loaded.
    pub fn prc() -> Calendar {
        PRC.clone()
    }

    /// A calendar that covers no year, so that every question about it is an error.
    pub fn empty() -> Calendar {
        Calendar {
            notices: BTreeMap::new(),
            county: BTreeMap::new(),
            provisional_next_year: false,
            provisional: None,
            spans: Vec::new(),
        }
    }

    /// A calendar from a file in the format of `data/holidays-cn.json`
    /// (`{"years": [<holiday-cn year object>, …]}`), for a deployment that keeps its own copy.
    /// The year after the last one in the file is answered provisionally.
    pub fn from_data_json(json: &str) -> Result<Calendar, CalendarDataError> {
        let file: DataFile = parse_json("calendar data file", json)?;
        let mut calendar = Calendar::empty();
        calendar.provisional_next_year = true;
        for notice in file.years {
            let (year, days) = parse_notice(notice)?;
            if calendar.notices.insert(year, days).is_some() {
                return Err(CalendarDataError::DuplicateYear { year });
            }
        }
        calendar.rebuild()?;
        Ok(calendar)
    }

    /// A calendar built directly from dates, mainly for tests: `years` are covered even with no
    /// listed day, and every listed date must fall in one of them. No year is provisional
    /// unless [`Calendar::with_provisional_next_year`] says so.
    pub fn from_parts(
        years: impl IntoIterator<Item = i32>,
        off_days: impl IntoIterator<Item = NaiveDate>,
        make_up_working_days: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Calendar, CalendarDataError> {
        let mut calendar = Calendar::empty();
        for year in years {
            year_bounds(year)?;
            calendar.notices.entry(year).or_default();
        }
        let listed = off_days
            .into_iter()
            .map(|date| (date, true))
            .chain(make_up_working_days.into_iter().map(|date| (date, false)));
        for (date, is_off_day) in listed {
            let location = || "Calendar::from_parts".to_owned();
            let year = date.year();
            let Some(days) = calendar.notices.get_mut(&year) else {
                return Err(CalendarDataError::DateNotCovered {
                    location: location(),
                    date,
                    year,
                });
            };
            let day = ListedDay {
                name: String::new(),
                is_off_day,
            };
            insert_listed(days, date, day, location)?;
        }
        calendar.rebuild()?;
        Ok(calendar)
    }

    /// Adds (or replaces) one year from its holiday-cn file
    /// (`{"year": Y, "days": [{"name", "date", "isOffDay"}]}`), the way an administrator loads
    /// the next year once the State Council has announced it. A file with no days is refused:
    /// holiday-cn publishes an empty file before the announcement, and accepting it would
    /// cover the year with the bare weekend rule.
    pub fn with_year_json(mut self, json: &str) -> Result<Calendar, CalendarDataError> {
        let notice: NoticeFile = parse_json("holiday notice file", json)?;
        let (year, days) = parse_notice(notice)?;
        self.notices.insert(year, days);
        self.rebuild()?;
        Ok(self)
    }

    /// Loads a year's State Council notice the way an administrator does once it is published
    /// (`onewindow calendar load`, the calendar page): in the holiday-cn format, for the
    /// provisional year (the one after the last notice) or to replace a year already held. It is
    /// stricter than [`Calendar::with_year_json`]: a day listed twice, a weekday marked as a
    /// make-up working day, or a day of the year before other than its last week is refused,
    /// with the line of the file. Returns the calendar with the notice and the notice's year;
    /// on any error nothing is loaded.
    pub fn with_notice(mut self, json: &str) -> Result<(Calendar, i32), CalendarDataError> {
        // One year's file, or the shipped data file's shape holding that one year.
        let notice: NoticeFile = if json.contains("\"years\"") {
            let mut file: DataFile = parse_json("holiday notice file", json)?;
            if file.years.len() != 1 {
                return Err(CalendarDataError::Json {
                    document: "holiday notice file",
                    message: format!(
                        "a notice is one year, this file holds {} (load them one at a time)",
                        file.years.len()
                    ),
                });
            }
            file.years.remove(0)
        } else {
            parse_json("holiday notice file", json)?
        };
        let year = notice.year;
        year_bounds(year)?;
        let expected = self
            .notices
            .keys()
            .next_back()
            .map_or(year, |last| last + 1);
        if year != expected && !self.notices.contains_key(&year) {
            let held = match (self.notices.keys().next(), self.notices.keys().next_back()) {
                (Some(first), Some(last)) => format!("it holds {first}–{last}"),
                _ => "it holds none".to_owned(),
            };
            return Err(CalendarDataError::WrongYear {
                year,
                expected,
                held,
            });
        }
        let lines = date_lines(json);
        for (i, day) in notice.days.iter().enumerate() {
            let location = || match lines.get(i) {
                Some(line) => format!("holiday notice for {year}, line {line} (days[{i}])"),
                None => format!("holiday notice for {year}, days[{i}]"),
            };
            let date = parse_date(&day.date, location)?;
            if notice.days[..i]
                .iter()
                .any(|earlier| earlier.date == day.date)
            {
                return Err(CalendarDataError::DuplicateDay {
                    location: location(),
                    date,
                });
            }
            if date.year() != year
                && first_day_a_notice_reaches(year).is_none_or(|first| date < first)
            {
                return Err(CalendarDataError::DateOutsideNoticeWeek {
                    location: location(),
                    year,
                    date,
                });
            }
            let weekday = date.weekday();
            if !day.is_off_day && !matches!(weekday, Weekday::Sat | Weekday::Sun) {
                return Err(CalendarDataError::WeekdayMadeWorking {
                    location: location(),
                    date,
                    weekday,
                });
            }
        }
        let (year, days) = parse_notice(notice)?;
        self.notices.insert(year, days);
        self.rebuild()?;
        Ok((self, year))
    }

    /// Applies a county override file (format in `data/README.md`): first its `years` (holiday-cn
    /// objects, as [`Calendar::with_year_json`]), then its `closures` and `workingDays`, which
    /// win over the national notices. An override must fall in a covered year, because one that
    /// cannot take effect is almost surely a mistyped date.
    pub fn with_overrides(mut self, json: &str) -> Result<Calendar, CalendarDataError> {
        let file: OverrideFile = parse_json("county override file", json)?;
        let mut seen_years = Vec::new();
        for notice in file.years {
            let (year, days) = parse_notice(notice)?;
            if seen_years.contains(&year) {
                return Err(CalendarDataError::DuplicateYear { year });
            }
            seen_years.push(year);
            self.notices.insert(year, days);
        }
        let mut county = BTreeMap::new();
        let lists = [
            ("closures", file.closures, true),
            ("workingDays", file.working_days, false),
        ];
        for (field, list, is_off_day) in lists {
            for (i, day) in list.into_iter().enumerate() {
                let location = || format!("county override file, {field}[{i}]");
                let date = parse_date(&day.date, location)?;
                let year = date.year();
                if !self.notices.contains_key(&year) {
                    return Err(CalendarDataError::DateNotCovered {
                        location: location(),
                        date,
                        year,
                    });
                }
                let listed = ListedDay {
                    name: day.name,
                    is_off_day,
                };
                insert_listed(&mut county, date, listed, location)?;
            }
        }
        self.county.extend(county);
        self.rebuild()?;
        Ok(self)
    }

    /// The same calendar with (or without) the year after its last notice answered on the
    /// regulation alone.
    pub fn with_provisional_next_year(mut self, on: bool) -> Result<Calendar, CalendarDataError> {
        self.provisional_next_year = on;
        self.rebuild()?;
        Ok(self)
    }

    /// The years whose notice is held, in increasing order, for an administrator to see which
    /// year to load next. The provisional year is not among them.
    pub fn covered_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.notices.keys().copied()
    }

    /// True when the year's notice is held (not when it is only provisional).
    pub fn covers_year(&self, year: i32) -> bool {
        self.notices.contains_key(&year)
    }

    /// The year answered on the regulation alone, if any: the one after the last notice.
    pub fn provisional_year(&self) -> Option<i32> {
        self.provisional.as_ref().map(|(year, _)| *year)
    }

    /// True when a date computed to fall on `date` may still move when the next notice is loaded:
    /// every day of the provisional year, and the last week of the year before it, which a
    /// notice may rearrange for New Year's Day (the 2019 notice made 29 December 2018 a working
    /// day and 30–31 December days off).
    pub fn is_provisional(&self, date: NaiveDate) -> bool {
        let Some(year) = self.provisional_year() else {
            return false;
        };
        first_day_a_notice_reaches(year).is_some_and(|first| date >= first) && date.year() <= year
    }

    /// The days off of the provisional year under the regulation, with their festivals.
    pub fn provisional_days_off(&self) -> Vec<(NaiveDate, &str)> {
        self.provisional
            .iter()
            .flat_map(|(_, days)| days.iter().map(|(d, day)| (*d, day.name.as_str())))
            .collect()
    }

    /// The name of the holiday, make-up day or county closure that decides `date` (e.g. "春节"),
    /// so that a screen can say why a deadline moved; `None` for an ordinary day.
    pub fn day_name(&self, date: NaiveDate) -> Option<&str> {
        let listed = self
            .county
            .get(&date)
            .or_else(|| self.notices.values().rev().find_map(|days| days.get(&date)))
            .or_else(|| {
                self.provisional
                    .as_ref()
                    .and_then(|(_, days)| days.get(&date))
            })?;
        Some(listed.name.as_str()).filter(|name| !name.is_empty())
    }

    /// True when `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let (span, i) = self.locate(date)?;
        Ok(span.prefix[i + 1] > span.prefix[i])
    }

    /// The date of the `n`th working day after `start` (day 1 is the first working day after
    /// `start`); `n = 0` gives `start` itself.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let (span, i) = self.locate(start)?;
        if n == 0 {
            return Ok(start);
        }
        // The target is the span's k-th working day (1-based), counting those up to `start`.
        let k = u64::from(span.prefix[i + 1]) + u64::from(n);
        usize::try_from(k - 1)
            .ok()
            .and_then(|index| span.working_days.get(index))
            .copied()
            .ok_or(CalendarError::YearNotCovered {
                year: span.last_year + 1,
            })
    }

    /// The number of working days in `(from, to]`; 0 when `to <= from`.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let (from_span, i) = self.locate(from)?;
        let (to_span, j) = self.locate(to)?;
        if to <= from {
            return Ok(0);
        }
        if from_span.first_year != to_span.first_year {
            // Spans are maximal runs, so the year after `from`'s span is a gap in between.
            return Err(CalendarError::YearNotCovered {
                year: from_span.last_year + 1,
            });
        }
        Ok(from_span.prefix[j + 1] - from_span.prefix[i + 1])
    }

    /// The span covering `date` and the date's index in it.
    fn locate(&self, date: NaiveDate) -> Result<(&Span, usize), CalendarError> {
        let year = date.year();
        let after = self.spans.partition_point(|span| span.last_year < year);
        match self.spans.get(after) {
            Some(span) if span.first_year <= year => {
                // Non-negative: `date` is on or after 1 January of the span's first year.
                Ok((span, (date.num_days_from_ce() - span.first_day) as usize))
            }
            _ => Err(CalendarError::YearNotCovered { year }),
        }
    }

    fn rebuild(&mut self) -> Result<(), CalendarDataError> {
        self.provisional = match self.notices.keys().next_back() {
            Some(last) if self.provisional_next_year => {
                let year = last + 1;
                holidays::statutory_days_off(year).map(|days| {
                    let days = days
                        .into_iter()
                        .map(|s| {
                            let day = ListedDay {
                                name: s.name.to_owned(),
                                is_off_day: true,
                            };
                            (s.date, day)
                        })
                        .collect();
                    (year, days)
                })
            }
            _ => None,
        };
        // The provisional year first, notices by increasing year, so that a later notice
        // overwrites an earlier one's listing of the same day; the county last, so that it wins
        // over all.
        let mut effective = BTreeMap::new();
        if let Some((_, days)) = &self.provisional {
            effective.extend(days.iter().map(|(date, day)| (*date, day.is_off_day)));
        }
        for days in self.notices.values() {
            effective.extend(days.iter().map(|(date, day)| (*date, day.is_off_day)));
        }
        effective.extend(
            self.county
                .iter()
                .map(|(date, day)| (*date, day.is_off_day)),
        );

        let mut spans = Vec::new();
        let provisional_year = self.provisional_year();
        let mut years = self
            .notices
            .keys()
            .copied()
            .chain(provisional_year)
            .peekable();
        while let Some(first_year) = years.next() {
            let mut last_year = first_year;
            while years.next_if_eq(&(last_year + 1)).is_some() {
                last_year += 1;
            }
            spans.push(Span::build(first_year, last_year, &effective)?);
        }
        self.spans = spans;
        Ok(())
    }
}

/// The first day the State Council's notice of `year` may rearrange: 25 December of the year
/// before, since a notice can move the days around New Year's Day (the 2019 notice made
/// 29 December 2018 a working day and 30–31 December days off).
pub fn first_day_a_notice_reaches(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year - 1, 12, 25)
}

/// `data/holidays-cn.json`. Other keys (`source`, `licence`) are documentation.
#[derive(Deserialize)]
struct DataFile {
    years: Vec<NoticeFile>,
}

/// One holiday-cn year file. Its other keys (`$schema`, `$id`, `papers`) are ignored so that
/// the upstream files load unchanged.
#[derive(Deserialize)]
struct NoticeFile {
    year: i32,
    days: Vec<NoticeDay>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoticeDay {
    name: String,
    date: String,
    is_off_day: bool,
}

/// Unknown keys are refused: a misspelt `closure` would otherwise silently close nothing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OverrideFile {
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default)]
    years: Vec<NoticeFile>,
    #[serde(default)]
    closures: Vec<OverrideDay>,
    #[serde(default)]
    working_days: Vec<OverrideDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideDay {
    date: String,
    name: String,
}

/// The line (1-based) of each `"date"` key in a notice file, in order: `days[i]`'s date is the
/// i-th, so an error can name the line an administrator has to fix.
fn date_lines(json: &str) -> Vec<usize> {
    json.lines()
        .enumerate()
        .flat_map(|(i, line)| std::iter::repeat_n(i + 1, line.matches("\"date\"").count()))
        .collect()
}

fn parse_json<'a, T: Deserialize<'a>>(
    document: &'static str,
    json: &'a str,
) -> Result<T, CalendarDataError> {
    serde_json::from_str(json).map_err(|error| CalendarDataError::Json {
        document,
        message: error.to_string(),
    })
}

/// Strict about the form, because the whole point of the data is exact dates.
fn parse_date(value: &str, location: impl Fn() -> String) -> Result<NaiveDate, CalendarDataError> {
    let bad = |reason: String| CalendarDataError::BadDate {
        location: location(),
        value: value.to_owned(),
        reason,
    };
    if value.len() != 10 {
        return Err(bad("expected 10 characters".to_owned()));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|error| bad(error.to_string()))
}

fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate), CalendarDataError> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(CalendarDataError::YearOutOfRange { year });
    }
    match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(first), Some(last)) => Ok((first, last)),
        _ => Err(CalendarDataError::YearOutOfRange { year }),
    }
}

fn parse_notice(
    notice: NoticeFile,
) -> Result<(i32, BTreeMap<NaiveDate, ListedDay>), CalendarDataError> {
    let year = notice.year;
    year_bounds(year)?;
    if notice.days.is_empty() {
        return Err(CalendarDataError::EmptyYear { year });
    }
    let mut days = BTreeMap::new();
    for (i, day) in notice.days.into_iter().enumerate() {
        let location = || format!("holiday notice for {year}, days[{i}]");
        let date = parse_date(&day.date, location)?;
        // holiday-cn files the days of a notice under the notice's year, so late-December days
        // of the year before can appear (2019.json starts with 2018-12-29).
        if !(year - 1..=year).contains(&date.year()) {
            return Err(CalendarDataError::DateOutsideNoticeYear { year, date });
        }
        let listed = ListedDay {
            name: day.name,
            is_off_day: day.is_off_day,
        };
        insert_listed(&mut days, date, listed, location)?;
    }
    Ok((year, days))
}

/// Repeats that agree are accepted (a notice may list a day under two festival names); repeats
/// that disagree are an error rather than a silent choice.
fn insert_listed(
    days: &mut BTreeMap<NaiveDate, ListedDay>,
    date: NaiveDate,
    day: ListedDay,
    location: impl Fn() -> String,
) -> Result<(), CalendarDataError> {
    match days.entry(date) {
        Entry::Vacant(entry) => {
            entry.insert(day);
            Ok(())
        }
        Entry::Occupied(entry) if entry.get().is_off_day == day.is_off_day => Ok(()),
        Entry::Occupied(_) => Err(CalendarDataError::ConflictingDay {
            location: location(),
            date,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::Config as ProptestConfig;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test dates are valid")
    }

    fn prc() -> Calendar {
        Calendar::prc()
    }

    /// Each case: `n` working days after `start` is `due`, and `(start, due]` holds `n` of them.
    fn assert_deadlines(calendar: &Calendar, cases: &[(&str, u32, &str)]) {
        for &(start, n, due) in cases {
            assert_eq!(
                calendar.add_working_days(d(start), n),
                Ok(d(due)),
                "{n} working days after {start}"
            );
            assert_eq!(
                calendar.working_days_between(d(start), d(due)),
                Ok(n),
                "working days in ({start}, {due}]"
            );
        }
    }

    fn assert_days(calendar: &Calendar, dates: &[&str], working: bool) {
        for date in dates {
            assert_eq!(
                calendar.is_working_day(d(date)),
                Ok(working),
                "{date} working?"
            );
        }
    }

    // ---- the embedded data ----

    #[test]
    fn embedded_data_parses_and_covers_2015_to_2026_only() {
        let calendar = Calendar::from_data_json(PRC_DATA_JSON).expect("embedded data parses");
        assert_eq!(
            calendar.covered_years().collect::<Vec<_>>(),
            (2015..=2026).collect::<Vec<_>>()
        );
        assert_eq!(calendar, Calendar::prc());
        assert!(!calendar.covers_year(2014));
        assert!(!calendar.covers_year(2027));
    }

    /// An oracle that reads the embedded JSON with no shared code: listed days by the latest
    /// notice, otherwise the weekend rule.
    fn naive_prc_days() -> BTreeMap<NaiveDate, bool> {
        let value: serde_json::Value =
            serde_json::from_str(PRC_DATA_JSON).expect("embedded data is JSON");
        let mut listed = BTreeMap::new();
        for year in value["years"].as_array().expect("years") {
            for day in year["days"].as_array().expect("days") {
                let date = d(day["date"].as_str().expect("date"));
                listed.insert(date, day["isOffDay"].as_bool().expect("isOffDay"));
            }
        }
        listed
    }

    fn naive_working(listed: &BTreeMap<NaiveDate, bool>, date: NaiveDate) -> bool {
        match listed.get(&date) {
            Some(off) => !off,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    #[test]
    fn every_day_2015_to_2026_matches_the_raw_data() {
        let calendar = prc();
        let listed = naive_prc_days();
        let mut count = 0;
        for date in d("2015-01-01")
            .iter_days()
            .take_while(|x| *x <= d("2026-12-31"))
        {
            let working = naive_working(&listed, date);
            assert_eq!(calendar.is_working_day(date), Ok(working), "{date}");
            count += u32::from(working);
        }
        assert_eq!(
            calendar.working_days_between(d("2014-12-31"), d("2026-12-31")),
            Err(CalendarError::YearNotCovered { year: 2014 })
        );
        let after_first = u32::from(naive_working(&listed, d("2015-01-01")));
        assert_eq!(
            calendar.working_days_between(d("2015-01-01"), d("2026-12-31")),
            Ok(count - after_first)
        );
    }

    #[test]
    fn late_december_days_of_the_next_notice_apply() {
        let calendar = prc();
        // From 2019.json: 2018-12-29 (Saturday) is a make-up day, 12-31 (Monday) is off.
        assert_days(&calendar, &["2018-12-29"], true);
        assert_days(
            &calendar,
            &["2018-12-30", "2018-12-31", "2019-01-01"],
            false,
        );
        assert_deadlines(
            &calendar,
            &[
                ("2018-12-28", 1, "2018-12-29"),
                ("2018-12-28", 2, "2019-01-02"),
            ],
        );
        // From 2023.json: 2022-12-31 and 2023-01-02 are off.
        assert_days(&calendar, &["2022-12-31", "2023-01-02"], false);
        assert_eq!(calendar.day_name(d("2018-12-29")), Some("元旦"));
    }

    // ---- Spring Festival and National Day of every covered year ----

    #[test]
    fn year_2015() {
        let c = prc();
        assert_days(&c, &["2015-02-15", "2015-02-28", "2015-10-10"], true);
        assert_days(
            &c,
            &["2015-02-18", "2015-02-24", "2015-10-01", "2015-10-07"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2015-02-17", 1, "2015-02-25"),
                ("2015-02-13", 1, "2015-02-15"),
                ("2015-02-13", 3, "2015-02-17"),
                ("2015-09-30", 1, "2015-10-08"),
                ("2015-09-30", 3, "2015-10-10"),
            ],
        );
    }

    #[test]
    fn year_2016() {
        let c = prc();
        assert_days(
            &c,
            &["2016-02-06", "2016-02-14", "2016-10-08", "2016-10-09"],
            true,
        );
        assert_days(
            &c,
            &["2016-02-08", "2016-02-12", "2016-10-03", "2016-10-07"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2016-02-05", 1, "2016-02-06"),
                ("2016-02-05", 2, "2016-02-14"),
                ("2016-02-05", 3, "2016-02-15"),
                ("2016-09-30", 1, "2016-10-08"),
                ("2016-09-30", 3, "2016-10-10"),
            ],
        );
    }

    #[test]
    fn year_2017() {
        let c = prc();
        assert_days(&c, &["2017-01-22", "2017-02-04", "2017-09-30"], true);
        assert_days(
            &c,
            &["2017-01-27", "2017-02-02", "2017-10-02", "2017-10-06"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2017-01-26", 1, "2017-02-03"),
                ("2017-01-26", 2, "2017-02-04"),
                ("2017-09-29", 1, "2017-09-30"),
                ("2017-09-29", 2, "2017-10-09"),
            ],
        );
    }

    #[test]
    fn year_2018() {
        let c = prc();
        assert_days(
            &c,
            &["2018-02-11", "2018-02-24", "2018-09-29", "2018-09-30"],
            true,
        );
        assert_days(
            &c,
            &["2018-02-15", "2018-02-21", "2018-10-01", "2018-10-05"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2018-02-14", 1, "2018-02-22"),
                ("2018-02-14", 3, "2018-02-24"),
                ("2018-09-28", 2, "2018-09-30"),
                ("2018-09-28", 3, "2018-10-08"),
            ],
        );
    }

    #[test]
    fn year_2019() {
        let c = prc();
        assert_days(
            &c,
            &["2019-02-02", "2019-02-03", "2019-09-29", "2019-10-12"],
            true,
        );
        assert_days(
            &c,
            &["2019-02-04", "2019-02-08", "2019-10-01", "2019-10-07"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2019-02-01", 2, "2019-02-03"),
                ("2019-02-01", 3, "2019-02-11"),
                ("2019-09-30", 1, "2019-10-08"),
                ("2019-09-30", 5, "2019-10-12"),
            ],
        );
    }

    #[test]
    fn year_2020() {
        let c = prc();
        // The Spring Festival was extended to 2 February (epidemic); 3 February is listed as a
        // working day.
        assert_days(
            &c,
            &["2020-01-19", "2020-02-03", "2020-09-27", "2020-10-10"],
            true,
        );
        assert_days(
            &c,
            &["2020-01-24", "2020-01-31", "2020-10-01", "2020-10-08"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2020-01-23", 1, "2020-02-03"),
                ("2020-09-30", 1, "2020-10-09"),
                ("2020-09-30", 2, "2020-10-10"),
                ("2020-09-30", 3, "2020-10-12"),
            ],
        );
    }

    #[test]
    fn year_2021() {
        let c = prc();
        assert_days(
            &c,
            &["2021-02-07", "2021-02-20", "2021-09-26", "2021-10-09"],
            true,
        );
        assert_days(
            &c,
            &["2021-02-11", "2021-02-17", "2021-10-01", "2021-10-07"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2021-02-10", 1, "2021-02-18"),
                ("2021-02-10", 3, "2021-02-20"),
                ("2021-09-30", 1, "2021-10-08"),
                ("2021-09-30", 2, "2021-10-09"),
                ("2021-09-30", 3, "2021-10-11"),
            ],
        );
    }

    #[test]
    fn year_2022() {
        let c = prc();
        assert_days(
            &c,
            &["2022-01-29", "2022-01-30", "2022-10-08", "2022-10-09"],
            true,
        );
        assert_days(
            &c,
            &["2022-01-31", "2022-02-04", "2022-10-03", "2022-10-07"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2022-01-28", 2, "2022-01-30"),
                ("2022-01-28", 3, "2022-02-07"),
                ("2022-09-30", 1, "2022-10-08"),
                ("2022-09-30", 3, "2022-10-10"),
            ],
        );
    }

    #[test]
    fn year_2023() {
        let c = prc();
        assert_days(
            &c,
            &["2023-01-28", "2023-01-29", "2023-10-07", "2023-10-08"],
            true,
        );
        assert_days(
            &c,
            &["2023-01-23", "2023-01-27", "2023-09-29", "2023-10-06"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2023-01-20", 1, "2023-01-28"),
                ("2023-01-20", 3, "2023-01-30"),
                ("2023-09-28", 1, "2023-10-07"),
                ("2023-09-28", 3, "2023-10-09"),
            ],
        );
    }

    #[test]
    fn year_2024() {
        let c = prc();
        // New Year's Eve (2024-02-09, a Friday) was an ordinary working day.
        assert_days(
            &c,
            &[
                "2024-02-04",
                "2024-02-09",
                "2024-02-18",
                "2024-09-29",
                "2024-10-12",
            ],
            true,
        );
        assert_days(
            &c,
            &["2024-02-12", "2024-02-16", "2024-10-01", "2024-10-07"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2024-02-09", 1, "2024-02-18"),
                ("2024-02-09", 2, "2024-02-19"),
                ("2024-09-30", 1, "2024-10-08"),
                ("2024-09-30", 5, "2024-10-12"),
            ],
        );
    }

    #[test]
    fn year_2025() {
        let c = prc();
        assert_days(
            &c,
            &["2025-01-26", "2025-02-08", "2025-09-28", "2025-10-11"],
            true,
        );
        assert_days(
            &c,
            &["2025-01-28", "2025-02-04", "2025-10-01", "2025-10-08"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2025-01-27", 1, "2025-02-05"),
                ("2025-01-27", 4, "2025-02-08"),
                ("2025-09-30", 1, "2025-10-09"),
                ("2025-09-30", 3, "2025-10-11"),
            ],
        );
    }

    #[test]
    fn year_2026() {
        let c = prc();
        assert_days(
            &c,
            &[
                "2026-01-04",
                "2026-02-14",
                "2026-02-28",
                "2026-09-20",
                "2026-10-10",
            ],
            true,
        );
        assert_days(
            &c,
            &["2026-02-16", "2026-02-23", "2026-10-01", "2026-10-07"],
            false,
        );
        assert_deadlines(
            &c,
            &[
                ("2026-02-13", 1, "2026-02-14"),
                ("2026-02-13", 2, "2026-02-24"),
                ("2026-02-13", 6, "2026-02-28"),
                ("2026-02-13", 7, "2026-03-02"),
                ("2026-09-30", 1, "2026-10-08"),
                ("2026-09-30", 3, "2026-10-10"),
            ],
        );
        assert_eq!(c.day_name(d("2026-02-14")), Some("春节"));
        assert_eq!(c.day_name(d("2026-03-02")), None);
    }

    // ---- coverage ----

    #[test]
    fn a_2027_date_is_not_covered_without_the_provisional_year() {
        let c = prc().with_provisional_next_year(false).expect("rebuilt");
        let not_covered = Some(CalendarError::YearNotCovered { year: 2027 });
        assert_eq!(c.is_working_day(d("2027-03-01")).err(), not_covered);
        assert_eq!(c.add_working_days(d("2027-03-01"), 0).err(), not_covered);
        assert_eq!(c.add_working_days(d("2026-12-30"), 2).err(), not_covered);
        assert_eq!(c.add_working_days(d("2026-12-30"), 1), Ok(d("2026-12-31")));
        let (december, january) = (d("2026-12-01"), d("2027-01-05"));
        assert_eq!(c.working_days_between(december, january).err(), not_covered);
        assert_eq!(c.working_days_between(january, december).err(), not_covered);
        assert_eq!(
            CalendarError::YearNotCovered { year: 2027 }.to_string(),
            "the working-day calendar has no data for the year 2027; load that year's holiday notice first"
        );
        assert_eq!(
            c.is_working_day(d("2014-12-31")),
            Err(CalendarError::YearNotCovered { year: 2014 })
        );
    }

    #[test]
    fn the_empty_2027_file_is_refused() {
        let upstream_2027 = r#"{"$schema": "https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/schema.json",
            "year": 2027, "papers": [], "days": []}"#;
        let error = prc()
            .with_year_json(upstream_2027)
            .expect_err("an empty notice covers nothing");
        assert_eq!(error, CalendarDataError::EmptyYear { year: 2027 });
        assert!(error.to_string().contains("not announced 2027"), "{error}");
    }

    /// A made-up 2027 notice: the real one was not published when this was written.
    const FIXTURE_2027: &str = r#"{"year": 2027, "papers": [], "days": [
        {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
        {"name": "测试调休", "date": "2027-01-09", "isOffDay": false}]}"#;

    #[test]
    fn loading_a_2027_notice_covers_2027() {
        let c = prc()
            .with_year_json(FIXTURE_2027)
            .expect("fixture is valid");
        assert_eq!(c.covered_years().last(), Some(2027));
        assert_days(&c, &["2027-01-01", "2027-01-02"], false);
        assert_days(&c, &["2027-01-04", "2027-01-09"], true);
        // Across the new year, with the tables joined into one span.
        assert_deadlines(
            &c,
            &[
                ("2026-12-31", 1, "2027-01-04"),
                ("2026-12-30", 2, "2027-01-04"),
            ],
        );
        assert_eq!(
            c.working_days_between(d("2015-01-01"), d("2027-01-04"))
                .map(|n| n > 2900),
            Ok(true)
        );
        // 2028 is now the provisional year; 2029 is refused.
        assert_eq!(c.provisional_year(), Some(2028));
        assert_eq!(
            c.is_working_day(d("2029-01-03")),
            Err(CalendarError::YearNotCovered { year: 2029 })
        );
    }

    #[test]
    fn a_gap_year_is_not_covered_in_between() {
        let c = prc()
            .with_year_json(&FIXTURE_2027.replace("2027", "2028"))
            .expect("valid");
        assert_eq!(
            c.covered_years().filter(|y| *y > 2025).collect::<Vec<_>>(),
            vec![2026, 2028]
        );
        assert_eq!(
            c.working_days_between(d("2026-12-01"), d("2028-01-10")),
            Err(CalendarError::YearNotCovered { year: 2027 })
        );
        assert_eq!(
            c.add_working_days(d("2026-12-01"), 100),
            Err(CalendarError::YearNotCovered { year: 2027 })
        );
        assert_eq!(c.add_working_days(d("2028-01-07"), 1), Ok(d("2028-01-09")));
    }

    #[test]
    fn reloading_a_year_replaces_its_notice() {
        let replacement =
            r#"{"year": 2026, "days": [{"name": "更正", "date": "2026-02-16", "isOffDay": true}]}"#;
        let c = prc().with_year_json(replacement).expect("valid");
        assert_days(&c, &["2026-02-14"], false); // the old make-up Saturday is gone
        assert_days(&c, &["2026-02-17"], true);
        assert_days(&c, &["2026-02-16"], false);
        assert_days(&c, &["2025-10-08"], false); // other years untouched
    }

    #[test]
    fn a_later_notice_wins_over_an_earlier_one_whatever_the_loading_order() {
        let notice_2015 =
            r#"{"year": 2015, "days": [{"name": "A", "date": "2015-12-31", "isOffDay": true}]}"#;
        let notice_2016 =
            r#"{"year": 2016, "days": [{"name": "B", "date": "2015-12-31", "isOffDay": false}]}"#;
        let one = Calendar::empty()
            .with_year_json(notice_2015)
            .and_then(|c| c.with_year_json(notice_2016));
        let other = Calendar::empty()
            .with_year_json(notice_2016)
            .and_then(|c| c.with_year_json(notice_2015));
        let (one, other) = (one.expect("valid"), other.expect("valid"));
        assert_eq!(one, other);
        assert_eq!(one.is_working_day(d("2015-12-31")), Ok(true));
        assert_eq!(one.day_name(d("2015-12-31")), Some("B"));
    }

    // ---- county overrides ----

    #[test]
    fn a_typhoon_closure_moves_deadlines() {
        let overrides = r#"{
            "description": "宁海县 typhoon closures",
            "closures": [
                {"date": "2026-09-15", "name": "台风停止办公"},
                {"date": "2026-09-20", "name": "台风停止办公"}
            ],
            "workingDays": [{"date": "2026-09-19", "name": "周六加班受理"}]
        }"#;
        let national = prc();
        let county = national
            .clone()
            .with_overrides(overrides)
            .expect("valid overrides");
        assert_days(&national, &["2026-09-15", "2026-09-20"], true);
        assert_days(&national, &["2026-09-19"], false);
        // The closure wins even over a national make-up day (09-20).
        assert_days(&county, &["2026-09-15", "2026-09-20"], false);
        assert_days(&county, &["2026-09-19"], true);
        assert_deadlines(
            &national,
            &[
                ("2026-09-14", 1, "2026-09-15"),
                ("2026-09-14", 5, "2026-09-20"),
            ],
        );
        assert_deadlines(
            &county,
            &[
                ("2026-09-14", 1, "2026-09-16"),
                ("2026-09-14", 4, "2026-09-19"),
                ("2026-09-14", 5, "2026-09-21"),
            ],
        );
        assert_eq!(county.day_name(d("2026-09-15")), Some("台风停止办公"));
        // A notice loaded afterwards does not undo the county's closure.
        let reloaded = county.with_year_json(
            r#"{"year": 2026, "days": [{"name": "x", "date": "2026-09-20", "isOffDay": false}]}"#,
        );
        assert_days(&reloaded.expect("valid"), &["2026-09-20"], false);
    }

    #[test]
    fn overrides_can_bring_a_year() {
        let overrides = format!(
            r#"{{"years": [{FIXTURE_2027}], "closures": [{{"date": "2027-01-05", "name": "台风停止办公"}}]}}"#
        );
        let c = prc().with_overrides(&overrides).expect("valid overrides");
        assert!(c.covers_year(2027));
        assert_deadlines(
            &c,
            &[
                ("2026-12-31", 1, "2027-01-04"),
                ("2026-12-31", 2, "2027-01-06"),
            ],
        );
        assert_eq!(Calendar::prc().with_overrides("{}"), Ok(prc()));
    }

    #[test]
    fn bad_override_files_are_refused_with_a_reason() {
        let refuse = |json: &str| prc().with_overrides(json).expect_err("must be refused");

        let error = refuse(r#"{"closures": [{"date": "2026-02-30", "name": "x"}]}"#);
        assert!(
            matches!(&error, CalendarDataError::BadDate { location, value, .. }
            if location == "county override file, closures[0]" && value == "2026-02-30"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "county override file, closures[0]: \"2026-02-30\" is not a date written YYYY-MM-DD \
             (input is out of range)"
        );

        let error = refuse(r#"{"workingDays": [{"date": "2026/09/19", "name": "x"}]}"#);
        assert!(
            matches!(&error, CalendarDataError::BadDate { location, .. } if location == "county override file, workingDays[0]")
        );

        let error = refuse(r#"{"closure": [{"date": "2026-09-15", "name": "x"}]}"#);
        assert!(
            matches!(&error, CalendarDataError::Json { document: "county override file", message } if message.contains("unknown field `closure`")),
            "{error:?}"
        );

        let error = refuse(r#"{"closures": [{"date": "2026-09-15"}]}"#);
        assert!(
            error.to_string().contains("missing field `name`"),
            "{error}"
        );

        let error = refuse("{");
        assert!(error.to_string().contains("line 1"), "{error}");

        let error = refuse(r#"{"closures": [{"date": "2030-09-15", "name": "x"}]}"#);
        assert_eq!(
            error,
            CalendarDataError::DateNotCovered {
                location: "county override file, closures[0]".to_owned(),
                date: d("2030-09-15"),
                year: 2030
            }
        );

        let error = refuse(
            r#"{"closures": [{"date": "2026-09-19", "name": "x"}], "workingDays": [{"date": "2026-09-19", "name": "y"}]}"#,
        );
        assert!(
            matches!(error, CalendarDataError::ConflictingDay { date, .. } if date == d("2026-09-19"))
        );

        let error = refuse(&format!(r#"{{"years": [{FIXTURE_2027}, {FIXTURE_2027}]}}"#));
        assert_eq!(error, CalendarDataError::DuplicateYear { year: 2027 });
    }

    #[test]
    fn bad_notices_are_refused_with_a_reason() {
        let refuse = |json: &str| {
            Calendar::empty()
                .with_year_json(json)
                .expect_err("must be refused")
        };
        assert_eq!(
            refuse(
                r#"{"year": 2027, "days": [{"name": "x", "date": "2025-12-31", "isOffDay": true}]}"#
            ),
            CalendarDataError::DateOutsideNoticeYear {
                year: 2027,
                date: d("2025-12-31")
            }
        );
        assert_eq!(
            refuse(
                r#"{"year": 20266, "days": [{"name": "x", "date": "2026-12-31", "isOffDay": true}]}"#
            ),
            CalendarDataError::YearOutOfRange { year: 20266 }
        );
        let conflicting = r#"{"year": 2027, "days": [{"name": "x", "date": "2027-01-01", "isOffDay": true},
            {"name": "y", "date": "2027-01-01", "isOffDay": false}]}"#;
        assert!(
            matches!(refuse(conflicting), CalendarDataError::ConflictingDay { location, .. } if location == "holiday notice for 2027, days[1]")
        );
        let error = refuse(r#"{"year": 2027, "days": [{"name": "x", "date": "2027-01-01"}]}"#);
        assert!(
            matches!(&error, CalendarDataError::Json { document: "holiday notice file", message } if message.contains("isOffDay")),
            "{error:?}"
        );
        let error = Calendar::from_data_json(r#"{"years": [{"year": 2027, "days": []}]}"#)
            .expect_err("refused");
        assert_eq!(error, CalendarDataError::EmptyYear { year: 2027 });
    }

    #[test]
    fn from_parts_builds_a_small_calendar() {
        let c = Calendar::from_parts([2030], [d("2030-01-01")], [d("2030-01-05")]).expect("valid");
        assert_days(&c, &["2030-01-01", "2030-01-06"], false);
        assert_days(&c, &["2030-01-02", "2030-01-05"], true);
        assert_eq!(c.day_name(d("2030-01-01")), None);
        assert!(matches!(
            Calendar::from_parts([2030], [d("2031-01-01")], []),
            Err(CalendarDataError::DateNotCovered { year: 2031, .. })
        ));
        assert_eq!(
            Calendar::empty().is_working_day(d("2030-01-01")),
            Err(CalendarError::YearNotCovered { year: 2030 })
        );
    }

    // ---- the provisional year ----

    #[test]
    fn the_year_after_the_last_notice_is_answered_provisionally() {
        let c = prc();
        assert_eq!(c.provisional_year(), Some(2027));
        assert!(!c.covers_year(2027));
        // Statutory days off: New Year's Day (Friday), the Spring Festival's eve and the days
        // given back for its weekend, National Day's.
        assert_days(
            &c,
            &[
                "2027-01-01",
                "2027-02-05",
                "2027-02-08",
                "2027-02-10",
                "2027-10-04",
            ],
            false,
        );
        // Ordinary weekdays, and no make-up day is guessed: Saturdays stay off.
        assert_days(&c, &["2027-01-04", "2027-02-11", "2027-10-06"], true);
        assert_days(&c, &["2027-02-20", "2027-09-25"], false);
        assert_eq!(c.day_name(d("2027-02-09")), Some("春节"));
        // Across the turn of the year, a deadline is now answered.
        assert_deadlines(
            &c,
            &[
                ("2026-12-30", 1, "2026-12-31"),
                ("2026-12-30", 2, "2027-01-04"),
                ("2026-12-01", 45, "2027-02-03"),
            ],
        );
        // The year after stays refused.
        assert_eq!(
            c.add_working_days(d("2027-12-01"), 45),
            Err(CalendarError::YearNotCovered { year: 2028 })
        );
        assert_eq!(
            c.is_working_day(d("2028-01-03")),
            Err(CalendarError::YearNotCovered { year: 2028 })
        );
    }

    #[test]
    fn provisional_dates_are_marked_from_the_last_week_of_the_last_notice_year() {
        let c = prc();
        assert!(!c.is_provisional(d("2026-12-24")));
        assert!(c.is_provisional(d("2026-12-25")));
        assert!(c.is_provisional(d("2027-06-30")));
        assert!(c.is_provisional(d("2027-12-31")));
        assert!(!c.is_provisional(d("2026-06-30")));
        // Without the provisional year nothing is provisional, and 2027 is refused as before.
        let strict = prc().with_provisional_next_year(false).expect("rebuilt");
        assert!(!strict.is_provisional(d("2027-01-04")));
        assert_eq!(
            strict.is_working_day(d("2027-01-04")),
            Err(CalendarError::YearNotCovered { year: 2027 })
        );
        // A calendar built from parts has none unless asked.
        let parts = Calendar::from_parts([2030], [], []).expect("a bare year");
        assert_eq!(parts.provisional_year(), None);
        let asked = parts.with_provisional_next_year(true).expect("rebuilt");
        assert_eq!(asked.provisional_year(), Some(2031));
    }

    #[test]
    fn loading_the_notice_ends_the_provisional_year_and_starts_the_next() {
        let (c, year) = prc().with_notice(FIXTURE_2027).expect("a valid notice");
        assert_eq!(year, 2027);
        assert!(c.covers_year(2027));
        assert_eq!(c.provisional_year(), Some(2028));
        assert!(!c.is_provisional(d("2027-06-30")));
        assert!(c.is_provisional(d("2027-12-27")));
        assert!(c.is_provisional(d("2028-03-01")));
    }

    /// Working days the provisional rule gets wrong in each year, against the real notice of
    /// that year: the make-up days it cannot know, and the extra days off a notice joins to a
    /// holiday. The counts are reported in docs/operations.md; a change to the rule that makes
    /// any year worse fails here.
    #[test]
    fn the_provisional_rule_against_the_real_notices_of_2015_to_2026() {
        let real = prc();
        let mut report = Vec::new();
        let mut given_off_but_working = Vec::new();
        for year in 2015..=2026 {
            let provisional = Calendar::from_parts([year - 1], [], [])
                .and_then(|c| c.with_provisional_next_year(true))
                .expect("a provisional year");
            assert_eq!(provisional.provisional_year(), Some(year));
            let (mut make_up_missed, mut days_off_missed) = (0, 0);
            for date in d(&format!("{year}-01-01"))
                .iter_days()
                .take_while(|x| x.year() == year)
            {
                let guess = provisional.is_working_day(date).expect("provisional year");
                let truth = real.is_working_day(date).expect("covered year");
                match (guess, truth) {
                    (false, true) if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) => {
                        make_up_missed += 1
                    }
                    (false, true) => given_off_but_working.push(date),
                    (true, false) => days_off_missed += 1,
                    _ => {}
                }
            }
            report.push((year, make_up_missed, days_off_missed));
        }
        assert_eq!(
            report,
            vec![
                (2015, 5, 7),
                (2016, 6, 6),
                (2017, 5, 5),
                (2018, 7, 7),
                (2019, 6, 6),
                (2020, 6, 8),
                (2021, 7, 7),
                (2022, 7, 7),
                (2023, 7, 7),
                (2024, 8, 8),
                (2025, 5, 5),
                (2026, 6, 6),
            ]
        );
        // Only one statutory day off the rule gives was a working day in fact: 2015's Mid-Autumn
        // fell on a Sunday and the State Council gave no day back.
        assert_eq!(given_off_but_working, vec![d("2015-09-28")]);
    }

    #[test]
    fn a_notice_in_the_shape_of_the_shipped_data_file_loads_too() {
        let wrapped = format!(r#"{{"source": "x", "years": [{FIXTURE_2027}]}}"#);
        let (c, year) = prc()
            .with_notice(&wrapped)
            .expect("one year in the data file's shape");
        assert_eq!(year, 2027);
        assert!(c.covers_year(2027));
        let two = format!(r#"{{"years": [{FIXTURE_2027}, {FIXTURE_2027}]}}"#);
        let error = prc().with_notice(&two).expect_err("two years at once");
        assert!(error.to_string().contains("this file holds 2"), "{error}");
    }

    #[test]
    fn a_notice_is_loaded_only_for_the_next_year_or_a_year_held() {
        let notice = |year: i32| {
            format!(
                r#"{{"year": {year}, "days": [{{"name": "元旦", "date": "{year}-01-01", "isOffDay": true}}]}}"#
            )
        };
        let error = prc().with_notice(&notice(2029)).expect_err("a gap");
        assert_eq!(
            error.to_string(),
            "the notice is for 2029, but the next notice this calendar can take is 2027's (it holds 2015–2026); a notice of a year already held replaces it"
        );
        // A corrected notice replaces a year held.
        let (c, _) = prc().with_notice(&notice(2026)).expect("a replacement");
        assert!(c.is_working_day(d("2026-02-17")).expect("covered"));
        assert!(c.with_notice(&notice(2027)).is_ok());
    }

    #[test]
    fn a_bad_notice_is_refused_with_its_line_and_nothing_is_loaded() {
        let refuse = |json: &str| prc().with_notice(json).expect_err("must be refused");
        let twice = "{\n  \"year\": 2027,\n  \"days\": [\n    {\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true},\n    {\"name\": \"元旦\", \"date\": \"2027-01-01\", \"isOffDay\": true}\n  ]\n}";
        assert_eq!(
            refuse(twice).to_string(),
            "holiday notice for 2027, line 5 (days[1]): 2027-01-01 is listed twice"
        );
        let weekday = "{\"year\": 2027, \"days\": [\n{\"name\": \"春节\", \"date\": \"2027-02-11\", \"isOffDay\": false}]}";
        assert_eq!(
            refuse(weekday).to_string(),
            "holiday notice for 2027, line 2 (days[0]): 2027-02-11 is a Thu, so it cannot be a make-up working day (\"isOffDay\": false is only for a Saturday or Sunday)"
        );
        let early =
            r#"{"year": 2027, "days": [{"name": "元旦", "date": "2026-12-20", "isOffDay": true}]}"#;
        assert!(matches!(
            refuse(early),
            CalendarDataError::DateOutsideNoticeWeek { year: 2027, .. }
        ));
        let malformed =
            "{\"year\": 2027,\n \"days\": [{\"name\": \"元旦\", \"date\": \"2027-01-01\"}]}";
        let error = refuse(malformed).to_string();
        assert!(
            error.contains("isOffDay") && error.contains("line 2"),
            "{error}"
        );
        let bad_date = "{\"year\": 2027, \"days\": [\n\n{\"name\": \"x\", \"date\": \"2027-02-30\", \"isOffDay\": true}]}";
        assert!(
            refuse(bad_date)
                .to_string()
                .starts_with("holiday notice for 2027, line 3 (days[0])"),
            "{}",
            refuse(bad_date)
        );
        assert_eq!(
            refuse(r#"{"year": 2027, "days": []}"#),
            CalendarDataError::EmptyYear { year: 2027 }
        );
    }

    // ---- properties ----

    const FIRST: &str = "2015-01-01";
    const DAYS_2015_TO_2026: i64 = 4383;

    fn prc_date() -> impl Strategy<Value = NaiveDate> {
        (0..DAYS_2015_TO_2026).prop_map(|offset| d(FIRST) + chrono::Duration::days(offset))
    }

    fn config() -> ProptestConfig {
        // No regression files: this module must not write next to the sources.
        ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn add_then_count_gives_back_n(start in prc_date(), n in 0u32..400) {
            let c = Calendar::prc();
            match c.add_working_days(start, n) {
                Ok(due) => {
                    prop_assert_eq!(c.working_days_between(start, due), Ok(n));
                    prop_assert!(due >= start);
                    if n > 0 {
                        prop_assert_eq!(c.is_working_day(due), Ok(true));
                        // No working day is skipped: the day before `due` is still short of n.
                        prop_assert_eq!(c.working_days_between(start, due - chrono::Duration::days(1)), Ok(n - 1));
                    }
                }
                Err(error) => {
                    // 2027 is provisional: only 2028 is refused.
                    prop_assert_eq!(error, CalendarError::YearNotCovered { year: 2028 });
                    let left = c.working_days_between(start, d("2027-12-31"));
                    prop_assert!(matches!(left, Ok(left) if left < n));
                }
            }
        }

        #[test]
        fn add_is_monotonic(a in prc_date(), b in prc_date(), n in 0u32..200) {
            let c = Calendar::prc();
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            if let (Ok(x), Ok(y)) = (c.add_working_days(early, n), c.add_working_days(late, n)) {
                prop_assert!(x <= y);
            }
            if let (Ok(x), Ok(y)) = (c.add_working_days(early, n), c.add_working_days(early, n + 1)) {
                prop_assert!(x < y);
            }
        }

        #[test]
        fn between_is_additive(a in prc_date(), b in prc_date(), m in prc_date()) {
            let c = Calendar::prc();
            let mut v = [a, b, m];
            v.sort();
            let [a, m, b] = v;
            let whole = c.working_days_between(a, b).expect("covered");
            let parts = c.working_days_between(a, m).expect("covered") + c.working_days_between(m, b).expect("covered");
            prop_assert_eq!(whole, parts);
            prop_assert_eq!(c.working_days_between(b, a), Ok(0));
            let next = a + chrono::Duration::days(1);
            if next.year() <= 2026 {
                prop_assert_eq!(c.working_days_between(a, next), c.is_working_day(next).map(u32::from));
            }
        }

        /// Random calendars with gap years, against day-by-day loops.
        #[test]
        fn tables_agree_with_day_by_day_loops(
            covered in proptest::collection::vec(any::<bool>(), 6),
            off in proptest::collection::vec(0i64..6 * 366, 0..80),
            make_up in proptest::collection::vec(0i64..6 * 366, 0..40),
            from in 0i64..6 * 366,
            to in 0i64..6 * 366,
            n in 0u32..1200,
        ) {
            let base = d("2040-01-01");
            let years: Vec<i32> = (0..6).filter(|i| covered[*i as usize]).map(|i| 2040 + i).collect();
            let is_covered = |date: NaiveDate| years.contains(&date.year());
            let to_date = |offset: &i64| base + chrono::Duration::days(*offset);
            let off: Vec<NaiveDate> = off.iter().map(to_date).filter(|x| is_covered(*x)).collect();
            let make_up: Vec<NaiveDate> =
                make_up.iter().map(to_date).filter(|x| is_covered(*x) && !off.contains(x)).collect();
            let c = Calendar::from_parts(years.iter().copied(), off.iter().copied(), make_up.iter().copied())
                .expect("valid parts");
            let working = |date: NaiveDate| {
                if off.contains(&date) { false }
                else if make_up.contains(&date) { true }
                else { !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) }
            };
            let check = |date: NaiveDate| if is_covered(date) { Ok(()) } else { Err(CalendarError::YearNotCovered { year: date.year() }) };
            let naive_add = |start: NaiveDate, n: u32| -> Result<NaiveDate, CalendarError> {
                check(start)?;
                let (mut date, mut left) = (start, n);
                while left > 0 {
                    date += chrono::Duration::days(1);
                    check(date)?;
                    left -= u32::from(working(date));
                }
                Ok(date)
            };
            let naive_between = |from: NaiveDate, to: NaiveDate| -> Result<u32, CalendarError> {
                check(from)?;
                check(to)?;
                let mut count = 0;
                for date in from.iter_days().skip(1).take_while(|x| *x <= to) {
                    check(date)?;
                    count += u32::from(working(date));
                }
                Ok(count)
            };
            let (from, to) = (to_date(&from), to_date(&to));
            prop_assert_eq!(c.is_working_day(from), check(from).map(|()| working(from)));
            prop_assert_eq!(c.add_working_days(from, n), naive_add(from, n));
            prop_assert_eq!(c.working_days_between(from, to), naive_between(from, to));
        }
    }
}
