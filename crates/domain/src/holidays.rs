//! The statutory holidays (法定节假日) fixed by the national regulation 《全国年节及纪念日放假办法》,
//! for the year after the last State Council notice: a county cannot stop accepting cases in
//! December because the notice of next year is not out yet, so that one year is answered on the
//! regulation alone and marked provisional (see [`crate::calendar`]).
//!
//! What the regulation fixes, and so what is known years ahead:
//! - New Year's Day 1 January; Qingming 1 day (the solar term); Labour Day; the Dragon Boat
//!   Festival (5th of the 5th lunar month) and the Mid-Autumn Festival (15th of the 8th) 1 day
//!   each; National Day 1–3 October; the Spring Festival from the 1st of the 1st lunar month.
//! - The 2024 revision (in force from 2025) gave the Spring Festival's eve and 2 May: Spring
//!   Festival 4 days from the eve, Labour Day 1–2 May. Before (2014–2024): Spring Festival the
//!   1st to the 3rd, Labour Day 1 May.
//! - A holiday of all citizens that falls on a Saturday or Sunday is given back on a working day
//!   (补假, art. 6); in practice also a day on which two festivals coincide (Mid-Autumn on
//!   National Day, 2017, 2020, 2023). The day given back is the first weekday after the festival
//!   that is not already off.
//!
//! What it does not fix, and so what the provisional year cannot know: the make-up working days
//! (调休) each notice announces to join holidays into longer breaks. They are not guessed.
//! Measured against the real notices of 2015–2026, the provisional rule gets 10 to 16 days a
//! year wrong, about half of them make-up Saturdays and Sundays (the tests in `calendar` keep
//! the exact counts).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// One day off under the regulation, with the festival it belongs to (for a screen to say why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatutoryDay {
    pub date: NaiveDate,
    pub name: &'static str,
}

/// The first year the table (and the 2013 revision of the regulation) covers.
pub const FIRST_YEAR: i32 = 2014;
/// The last year the lunar table covers; later years have no provisional answer.
pub const LAST_YEAR: i32 = 2050;

/// Lunar festivals by Gregorian year: the Spring Festival's 1st day, the Dragon Boat Festival and
/// the Mid-Autumn Festival, as (month, day). From the Purple Mountain Observatory's tables
/// (checked here against the notices of 2015–2026, and the rest against the `lunardate` tables).
/// (month, day) of a Gregorian date.
type MonthDay = (u32, u32);

/// Year, the Spring Festival's 1st day, the Dragon Boat Festival, the Mid-Autumn Festival.
type LunarRow = (i32, MonthDay, MonthDay, MonthDay);

const LUNAR: [LunarRow; 37] = [
    (2014, (1, 31), (6, 2), (9, 8)),
    (2015, (2, 19), (6, 20), (9, 27)),
    (2016, (2, 8), (6, 9), (9, 15)),
    (2017, (1, 28), (5, 30), (10, 4)),
    (2018, (2, 16), (6, 18), (9, 24)),
    (2019, (2, 5), (6, 7), (9, 13)),
    (2020, (1, 25), (6, 25), (10, 1)),
    (2021, (2, 12), (6, 14), (9, 21)),
    (2022, (2, 1), (6, 3), (9, 10)),
    (2023, (1, 22), (6, 22), (9, 29)),
    (2024, (2, 10), (6, 10), (9, 17)),
    (2025, (1, 29), (5, 31), (10, 6)),
    (2026, (2, 17), (6, 19), (9, 25)),
    (2027, (2, 6), (6, 9), (9, 15)),
    (2028, (1, 26), (5, 28), (10, 3)),
    (2029, (2, 13), (6, 16), (9, 22)),
    (2030, (2, 3), (6, 5), (9, 12)),
    (2031, (1, 23), (6, 24), (10, 1)),
    (2032, (2, 11), (6, 12), (9, 19)),
    (2033, (1, 31), (6, 1), (9, 8)),
    (2034, (2, 19), (6, 20), (9, 27)),
    (2035, (2, 8), (6, 10), (9, 16)),
    (2036, (1, 28), (5, 30), (10, 4)),
    (2037, (2, 15), (6, 18), (9, 24)),
    (2038, (2, 4), (6, 7), (9, 13)),
    (2039, (1, 24), (5, 27), (10, 2)),
    (2040, (2, 12), (6, 14), (9, 20)),
    (2041, (2, 1), (6, 3), (9, 10)),
    (2042, (1, 22), (6, 22), (9, 28)),
    (2043, (2, 10), (6, 11), (9, 17)),
    (2044, (1, 30), (5, 31), (10, 5)),
    (2045, (2, 17), (6, 19), (9, 25)),
    (2046, (2, 6), (6, 8), (9, 15)),
    (2047, (1, 26), (5, 29), (10, 4)),
    (2048, (2, 14), (6, 15), (9, 22)),
    (2049, (2, 2), (6, 4), (9, 11)),
    (2050, (1, 23), (6, 23), (9, 30)),
];

/// The day of the Qingming solar term (4 or 5 April in this century): the common 21st-century
/// formula `floor(Y × 0.2422 + 4.81) − floor(Y / 4)` with `Y` the year's last two digits.
fn qingming(year: i32) -> Option<NaiveDate> {
    let y = year.rem_euclid(100);
    // 0.2422 and 4.81 scaled by 10,000 keep the arithmetic exact.
    let day = (y * 2422 + 48_100) / 10_000 - y / 4;
    NaiveDate::from_ymd_opt(year, 4, u32::try_from(day).ok()?)
}

fn date(year: i32, (month, day): MonthDay) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The festivals of `year` in date order, each with its statutory days.
fn festivals(year: i32) -> Option<Vec<(&'static str, Vec<NaiveDate>)>> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return None;
    }
    let (_, spring, dragon_boat, mid_autumn) = LUNAR.iter().find(|row| row.0 == year)?;
    let spring = date(year, *spring)?;
    let revised_2024 = year >= 2025;
    let spring_days = if revised_2024 {
        vec![
            spring - Duration::days(1),
            spring,
            spring + Duration::days(1),
            spring + Duration::days(2),
        ]
    } else {
        vec![
            spring,
            spring + Duration::days(1),
            spring + Duration::days(2),
        ]
    };
    let labour_days = if revised_2024 {
        vec![date(year, (5, 1))?, date(year, (5, 2))?]
    } else {
        vec![date(year, (5, 1))?]
    };
    let mut festivals = vec![
        ("元旦", vec![date(year, (1, 1))?]),
        ("春节", spring_days),
        ("清明节", vec![qingming(year)?]),
        ("劳动节", labour_days),
        ("端午节", vec![date(year, *dragon_boat)?]),
        ("中秋节", vec![date(year, *mid_autumn)?]),
        (
            "国庆节",
            vec![
                date(year, (10, 1))?,
                date(year, (10, 2))?,
                date(year, (10, 3))?,
            ],
        ),
    ];
    festivals.sort_by_key(|(_, days)| days[0]);
    Some(festivals)
}

/// The days off of `year` under the regulation, with the days given back (补假), in date order;
/// `None` for a year outside [`FIRST_YEAR`]..=[`LAST_YEAR`]. Days of other years are never
/// returned (a day given back after 31 December would belong to the next notice).
pub fn statutory_days_off(year: i32) -> Option<Vec<StatutoryDay>> {
    let mut off: Vec<StatutoryDay> = Vec::new();
    for (name, days) in festivals(year)? {
        let mut owed = 0;
        for &day in &days {
            if is_weekend(day) || off.iter().any(|o| o.date == day) {
                owed += 1;
            } else {
                off.push(StatutoryDay { date: day, name });
            }
        }
        let mut day = *days.last()?;
        while owed > 0 {
            day = day.succ_opt()?;
            if day.year() != year {
                break;
            }
            if !is_weekend(day) && !off.iter().any(|o| o.date == day) {
                off.push(StatutoryDay { date: day, name });
                owed -= 1;
            }
        }
    }
    off.sort_by_key(|d| d.date);
    Some(off)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a test date")
    }

    #[test]
    fn qingming_of_the_known_years() {
        let known = [
            (2015, 5),
            (2016, 4),
            (2017, 4),
            (2018, 5),
            (2019, 5),
            (2020, 4),
            (2021, 4),
            (2022, 5),
            (2023, 5),
            (2024, 4),
            (2025, 4),
            (2026, 5),
            (2027, 5),
        ];
        for (year, day) in known {
            assert_eq!(qingming(year), Some(d(year, 4, day)), "{year}");
        }
    }

    #[test]
    fn the_table_is_in_order_and_its_dates_exist() {
        assert_eq!(LUNAR.len() as i32, LAST_YEAR - FIRST_YEAR + 1);
        for (i, row) in LUNAR.iter().enumerate() {
            assert_eq!(row.0, FIRST_YEAR + i as i32);
            let spring = date(row.0, row.1).expect("a date");
            // The Spring Festival falls between 21 January and 20 February.
            assert!(
                spring >= d(row.0, 1, 21) && spring <= d(row.0, 2, 20),
                "{row:?}"
            );
            assert!(date(row.0, row.2).is_some() && date(row.0, row.3).is_some());
        }
    }

    #[test]
    fn year_2027_under_the_2024_revision() {
        let days: Vec<(NaiveDate, &str)> = statutory_days_off(2027)
            .expect("covered")
            .into_iter()
            .map(|s| (s.date, s.name))
            .collect();
        assert_eq!(
            days,
            vec![
                // Friday.
                (d(2027, 1, 1), "元旦"),
                // Eve Friday 5 February; Saturday and Sunday are given back on 9 and 10.
                (d(2027, 2, 5), "春节"),
                (d(2027, 2, 8), "春节"),
                (d(2027, 2, 9), "春节"),
                (d(2027, 2, 10), "春节"),
                (d(2027, 4, 5), "清明节"),
                // 1 and 2 May are Saturday and Sunday: given back on Monday 3 and Tuesday 4.
                (d(2027, 5, 3), "劳动节"),
                (d(2027, 5, 4), "劳动节"),
                (d(2027, 6, 9), "端午节"),
                (d(2027, 9, 15), "中秋节"),
                // 2 and 3 October are Saturday and Sunday: given back on 4 and 5.
                (d(2027, 10, 1), "国庆节"),
                (d(2027, 10, 4), "国庆节"),
                (d(2027, 10, 5), "国庆节"),
            ]
        );
    }

    #[test]
    fn before_2025_the_spring_festival_starts_on_its_first_day_and_labour_day_is_one_day() {
        let days = statutory_days_off(2024).expect("covered");
        let spring: Vec<NaiveDate> = days
            .iter()
            .filter(|s| s.name == "春节")
            .map(|s| s.date)
            .collect();
        // 10 February 2024 is a Saturday: 10, 11 (Sunday), 12; two days given back.
        assert_eq!(spring, vec![d(2024, 2, 12), d(2024, 2, 13), d(2024, 2, 14)]);
        let labour: Vec<NaiveDate> = days
            .iter()
            .filter(|s| s.name == "劳动节")
            .map(|s| s.date)
            .collect();
        assert_eq!(labour, vec![d(2024, 5, 1)]);
    }

    #[test]
    fn a_coinciding_festival_is_given_back() {
        // 2020: Mid-Autumn on Thursday 1 October. National Day owes that day and Saturday the
        // 3rd, given back on the first free weekdays after the 3rd: Monday 5 and Tuesday 6.
        let days = statutory_days_off(2020).expect("covered");
        let autumn: Vec<NaiveDate> = days
            .iter()
            .filter(|s| s.name == "中秋节" || s.name == "国庆节")
            .map(|s| s.date)
            .collect();
        assert_eq!(
            autumn,
            vec![
                d(2020, 10, 1),
                d(2020, 10, 2),
                d(2020, 10, 5),
                d(2020, 10, 6)
            ]
        );
    }

    #[test]
    fn years_outside_the_table_have_no_answer() {
        assert_eq!(statutory_days_off(FIRST_YEAR - 1), None);
        assert_eq!(statutory_days_off(LAST_YEAR + 1), None);
        assert!(statutory_days_off(LAST_YEAR).is_some());
    }
}
