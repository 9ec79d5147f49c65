//! Assessment (绩效考核): a configurable scoring scheme that turns a unit's performance in a period
//! — a department, a centre, a member of staff — into points, and ranks the units.
//!
//! Points are kept in hundredths (integers) so that a published ranking never depends on floating
//! point. A part without data (no satisfaction ratings yet) is left out and the other weights are
//! scaled up to the same total, so a unit is neither rewarded nor punished for a missing survey.

use serde::{Deserialize, Serialize};

use crate::figures::Ratio;

/// How points are given (考核细则). Weights are points out of `total`; penalties are deducted
/// per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoringScheme {
    /// Points for deciding on time (按期办结率 × weight).
    pub on_time_weight: u32,
    /// Points for keeping to at most one visit (最多跑一次实现率 × weight).
    pub at_most_once_weight: u32,
    /// Points for satisfaction (满意率 × weight), from return visits and ratings.
    pub satisfaction_weight: u32,
    /// Points deducted per fault responsibility record (过错责任).
    pub fault_penalty: u32,
    /// Points deducted per substantiated complaint (有效投诉).
    pub complaint_penalty: u32,
}

impl Default for ScoringScheme {
    fn default() -> Self {
        Self {
            on_time_weight: 60,
            at_most_once_weight: 20,
            satisfaction_weight: 20,
            fault_penalty: 5,
            complaint_penalty: 2,
        }
    }
}

impl ScoringScheme {
    pub fn total(&self) -> u32 {
        self.on_time_weight + self.at_most_once_weight + self.satisfaction_weight
    }
}

/// What a unit did in a period.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Performance {
    pub completed: u64,
    pub on_time: u64,
    pub at_most_once: u64,
    /// Satisfied answers of all answers, when there are any.
    pub satisfaction: Option<Ratio>,
    pub faults: u32,
    pub complaints: u32,
}

/// A unit's points, in hundredths, and how they were made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Score {
    pub points_centi: i64,
    pub on_time_centi: i64,
    pub at_most_once_centi: i64,
    pub satisfaction_centi: i64,
    pub deductions_centi: i64,
}

/// `numerator / denominator × weight` in hundredths of a point, rounded half up.
fn share_centi(numerator: u64, denominator: u64, weight_centi: u64) -> i64 {
    let value = (numerator * weight_centi * 2 + denominator)
        .checked_div(denominator * 2)
        .unwrap_or(0);
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The points of one unit. A unit that completed nothing scores only its deductions (negative or
/// zero): it has nothing to be measured on.
pub fn score(scheme: &ScoringScheme, p: &Performance) -> Score {
    let has_satisfaction = p.satisfaction.is_some_and(|r| r.denominator > 0);
    let weights = u64::from(scheme.on_time_weight)
        + u64::from(scheme.at_most_once_weight)
        + if has_satisfaction {
            u64::from(scheme.satisfaction_weight)
        } else {
            0
        };
    let total = u64::from(scheme.total());
    // Each weight scaled so the parts present add up to the scheme's total.
    let scaled = |w: u32| {
        (u64::from(w) * total * 100 * 2 + weights)
            .checked_div(weights * 2)
            .unwrap_or(0)
    };
    let (on_time, once) = if p.completed == 0 {
        (0, 0)
    } else {
        (
            share_centi(p.on_time, p.completed, scaled(scheme.on_time_weight)),
            share_centi(
                p.at_most_once,
                p.completed,
                scaled(scheme.at_most_once_weight),
            ),
        )
    };
    let satisfaction = match p.satisfaction {
        Some(r) if r.denominator > 0 && p.completed > 0 => share_centi(
            r.numerator,
            r.denominator,
            scaled(scheme.satisfaction_weight),
        ),
        _ => 0,
    };
    let deductions = i64::from(p.faults) * i64::from(scheme.fault_penalty) * 100
        + i64::from(p.complaints) * i64::from(scheme.complaint_penalty) * 100;
    Score {
        points_centi: on_time + once + satisfaction - deductions,
        on_time_centi: on_time,
        at_most_once_centi: once,
        satisfaction_centi: satisfaction,
        deductions_centi: deductions,
    }
}

/// A unit in a ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ranked {
    /// 1 for the best; equal points share a rank.
    pub rank: u32,
    pub unit: String,
    pub performance: Performance,
    pub score: Score,
    /// A monthly service star (服务之星) for the best units.
    pub star: bool,
}

/// Ranks units by points, then by more cases completed, then by name; equal points and equal
/// completions share a rank. The `stars` best units with at least one completed case get a star.
pub fn rank(
    scheme: &ScoringScheme,
    units: Vec<(String, Performance)>,
    stars: usize,
) -> Vec<Ranked> {
    let mut scored: Vec<(String, Performance, Score)> = units
        .into_iter()
        .map(|(unit, p)| {
            let s = score(scheme, &p);
            (unit, p, s)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.2.points_centi
            .cmp(&a.2.points_centi)
            .then(b.1.completed.cmp(&a.1.completed))
            .then(a.0.cmp(&b.0))
    });
    let mut out: Vec<Ranked> = Vec::with_capacity(scored.len());
    for (i, (unit, performance, score)) in scored.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev)
                if prev.score.points_centi == score.points_centi
                    && prev.performance.completed == performance.completed =>
            {
                prev.rank
            }
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push(Ranked {
            rank,
            unit,
            star: false,
            performance,
            score,
        });
    }
    let mut given = 0;
    for r in &mut out {
        if given >= stars {
            break;
        }
        if r.performance.completed > 0 && r.score.points_centi > 0 {
            r.star = true;
            given += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn perf(completed: u64, on_time: u64, once: u64) -> Performance {
        Performance {
            completed,
            on_time,
            at_most_once: once,
            ..Performance::default()
        }
    }

    #[test]
    fn without_satisfaction_the_other_parts_carry_its_weight() {
        let scheme = ScoringScheme::default();
        // All on time, all at most once, no survey: the full 100 points.
        assert_eq!(score(&scheme, &perf(10, 10, 10)).points_centi, 10_000);
        // 9 of 10 on time (60 → 75 points scaled), 10 of 10 once (20 → 25): 67.50 + 25.
        assert_eq!(score(&scheme, &perf(10, 9, 10)).points_centi, 9_250);
        let surveyed = Performance {
            satisfaction: Some(Ratio::new(1, 2)),
            ..perf(10, 10, 10)
        };
        // 60 + 20 + half of 20.
        assert_eq!(score(&scheme, &surveyed).points_centi, 9_000);
    }

    #[test]
    fn faults_and_complaints_are_deducted() {
        let scheme = ScoringScheme::default();
        let p = Performance {
            faults: 1,
            complaints: 2,
            ..perf(4, 4, 4)
        };
        let s = score(&scheme, &p);
        assert_eq!(s.deductions_centi, 900);
        assert_eq!(s.points_centi, 9_100);
        assert_eq!(
            score(
                &scheme,
                &Performance {
                    faults: 1,
                    ..Performance::default()
                }
            )
            .points_centi,
            -5_00
        );
    }

    #[test]
    fn ranks_share_ties_and_stars_go_to_the_best_with_work() {
        let scheme = ScoringScheme::default();
        let ranked = rank(
            &scheme,
            vec![
                ("王".into(), perf(10, 9, 10)),
                ("李".into(), perf(10, 10, 10)),
                ("张".into(), perf(10, 9, 10)),
                ("赵".into(), perf(0, 0, 0)),
            ],
            2,
        );
        let order: Vec<(&str, u32, bool)> = ranked
            .iter()
            .map(|r| (r.unit.as_str(), r.rank, r.star))
            .collect();
        assert_eq!(
            order,
            [
                ("李", 1, true),
                ("张", 2, true),
                ("王", 2, false),
                ("赵", 4, false)
            ]
        );
    }

    proptest! {
        #[test]
        fn points_never_exceed_the_total_nor_fall_below_the_deductions(
            completed in 0u64..500, on_time_share in 0u64..=100, once_share in 0u64..=100,
            sat in proptest::option::of((0u64..50, 1u64..50)), faults in 0u32..5, complaints in 0u32..5,
        ) {
            let scheme = ScoringScheme::default();
            let p = Performance {
                completed,
                on_time: completed * on_time_share / 100,
                at_most_once: completed * once_share / 100,
                satisfaction: sat.map(|(n, d)| Ratio::new(n.min(d), d)),
                faults,
                complaints,
            };
            let s = score(&scheme, &p);
            prop_assert!(s.points_centi + s.deductions_centi <= i64::from(scheme.total()) * 100 + 1);
            prop_assert!(s.points_centi >= -s.deductions_centi);
        }
    }
}
