//! The electronic monitor (电子监察): a sweep gives every running clock its light and raises one
//! alert per change of light, into the inbox of the department responsible and of the
//! supervisors, and through the outbox to whatever notifies people (e-mail, a broker).

use chrono::{Datelike, Duration, NaiveDate};
use onewindow_domain::access::{self, CaseScope, Role};
use onewindow_domain::clock::Timeliness;
use onewindow_domain::monitor::{Light, LightRule};
use onewindow_store::Store;
use onewindow_store::monitor::{self as monitor_rows, Alert, ClockRow, ClockToCheck};
use serde::Serialize;

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::{Page, Service};

/// Under this name the store keeps what the lights were computed with (see
/// [`Service::rule_fingerprint`]).
const RULE_STATE: &str = "light_rule";

/// Cases a sweep reads, and writes in one transaction, at a time: a first sweep over a hundred
/// thousand clocks must neither hold them all in memory nor hold the single writer (and every
/// other write waiting behind it) for seconds.
const PAGE: usize = 5_000;

/// What one sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SweepReport {
    /// Cases looked at: those written since the last sweep and those whose light can change by
    /// today; every other clock keeps its light.
    pub checked: usize,
    /// Alerts raised (changes of light).
    pub alerts: usize,
    /// Lights removed because their clock stopped for good (decided, closed).
    pub cleared: usize,
}

/// A lit clock as the monitor page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct LitClock {
    #[serde(flatten)]
    pub clock: ClockRow,
    pub light: Light,
    /// Working days left, or minus the working days overdue (an order, not the test of overdue:
    /// see `timeliness`); absent while the clock is stopped.
    pub days_left: Option<i64>,
    /// Where the clock stands today; absent while the clock is stopped.
    pub timeliness: Option<Timeliness>,
    /// The due day is counted on the provisional calendar (预计).
    pub provisional: bool,
}

/// The monitor of a scope: the lit clocks, most urgent first, and the counts per light.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorOverview {
    pub red: Vec<LitClock>,
    pub yellow: Vec<LitClock>,
    /// Open clocks (running or stopped) that are neither red nor yellow.
    pub green: i64,
}

/// An alert in someone's inbox.
#[derive(Debug, Clone, Serialize)]
pub struct InboxEntry {
    #[serde(flatten)]
    pub alert: Alert,
    pub read: bool,
}

/// The clocks whose alerts reach `who`: supervisors all; reviewers and approvers their
/// departments; clerks their centres. Others have no inbox.
fn monitor_scope(who: &access::Principal) -> Result<CaseScope, AppError> {
    if who.is_system() || who.has_role(Role::Supervisor) {
        return Ok(CaseScope {
            all: true,
            ..CaseScope::default()
        });
    }
    let scope = access::case_scope(who);
    let staff = [Role::Clerk, Role::Reviewer, Role::Approver]
        .iter()
        .any(|r| who.has_role(*r));
    if !staff || (scope.departments.is_empty() && scope.centres.is_empty()) {
        return Err(AppError::Forbidden(
            "the monitor is for supervisors and the staff of a department or centre".into(),
        ));
    }
    Ok(CaseScope {
        departments: scope.departments,
        centres: scope.centres,
        ..CaseScope::default()
    })
}

impl Service {
    pub(crate) fn light_rule(&self) -> LightRule {
        LightRule::default()
    }

    fn light_of(
        &self,
        clock: &ClockRow,
        today: NaiveDate,
    ) -> Result<Option<(Light, Timeliness)>, AppError> {
        let (Some(due), Some(limit)) = (clock.due_on, clock.limit_days) else {
            return Ok(None);
        };
        let standing = Timeliness::on(&self.calendar(), due, today)?;
        Ok(Some((self.light_rule().light(limit, standing), standing)))
    }

    /// The day from which a clock that shows `light` today must be looked at again: the day it
    /// turns yellow (green), red (yellow), or none (red: only a change of the case can change
    /// it). Never before tomorrow; tomorrow when the calendar cannot tell (a year not loaded).
    fn next_check(&self, clock: &ClockRow, light: Light, today: NaiveDate) -> Option<NaiveDate> {
        let (Some(due), Some(limit)) = (clock.due_on, clock.limit_days) else {
            return None;
        };
        let tomorrow = today.succ_opt()?;
        let day = match light {
            Light::Green => yellow_on(&self.calendar(), due, self.light_rule().yellow_from(limit)),
            // Red from the first calendar day after the due day, working day or not.
            Light::Yellow => Ok(due.succ_opt().unwrap_or(tomorrow)),
            Light::Red => return None,
        };
        Some(day.unwrap_or(tomorrow).max(tomorrow))
    }

    /// A fingerprint of what the lights are computed with: the light rule and every day of the
    /// calendar's years (working or not), county closures included. FNV-1a, so it is the same on
    /// every node and every build.
    fn rule_fingerprint(&self) -> String {
        fn eat(hash: &mut u64, bytes: &[u8]) {
            for b in bytes {
                *hash ^= u64::from(*b);
                *hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let rule = self.light_rule();
        eat(&mut hash, &rule.yellow_percent.to_le_bytes());
        eat(&mut hash, &rule.yellow_min_days.to_le_bytes());
        let calendar = &self.calendar();
        for year in calendar.covered_years().chain(calendar.provisional_year()) {
            eat(&mut hash, &year.to_le_bytes());
            let mut day = NaiveDate::from_ymd_opt(year, 1, 1);
            while let Some(d) = day.filter(|d| d.year() == year) {
                eat(
                    &mut hash,
                    &[u8::from(calendar.is_working_day(d).unwrap_or(false))],
                );
                day = d.succ_opt();
            }
        }
        format!("{hash:016x}")
    }

    /// The days stored in `light_check_on` hold for the calendar and the rule they were computed
    /// with. When either changed (a county closure loaded at start, another rule), every running
    /// clock is looked at again, once.
    async fn look_again_after_a_rule_change(&self) -> Result<(), AppError> {
        let fingerprint = self.rule_fingerprint();
        let stored = monitor_rows::state(self.store().readers(), RULE_STATE).await?;
        if stored.as_deref() == Some(fingerprint.as_str()) {
            return Ok(());
        }
        // Without a stored fingerprint (a new store, or one just brought to schema 7), every
        // case on a clock is marked to be looked at already.
        let again = stored.is_some();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    if again {
                        monitor_rows::check_all_running(&mut *conn).await?;
                    }
                    monitor_rows::set_state(&mut *conn, RULE_STATE, &fingerprint).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await
    }

    /// Gives every running clock its light and raises one alert per change. Safe to run at any
    /// time, on any node, after any restart: the last light of each clock is stored, so a light
    /// that did not change raises nothing.
    ///
    /// It reads only the cases whose light may have changed: each case carries the day from
    /// which the sweep must look at it again (`light_check_on`, indexed): the day a green clock
    /// turns yellow, the day a yellow one turns red, or "now" when the case was written (an
    /// extension, a suspension, a resumption, a decision) since. A sweep that finds nothing to
    /// do reads no clock at all, however many run. It reads and writes 5,000 cases at a
    /// time. Each case is written back only if it is still as read (its version and its
    /// `light_check_on`), so a case changed meanwhile, or taken by a sweep on another node, is
    /// left to the next page or the next sweep.
    pub async fn sweep_lights(&self) -> Result<SweepReport, AppError> {
        self.sweep_lights_by(PAGE).await
    }

    /// [`Service::sweep_lights`], `page_size` cases at a time.
    async fn sweep_lights_by(&self, page_size: usize) -> Result<SweepReport, AppError> {
        let page_size = page_size.max(1);
        let today = self.today();
        let now = self.now();
        self.look_again_after_a_rule_change().await?;
        let mut report = SweepReport::default();
        loop {
            let page =
                monitor_rows::clocks_to_check(self.store().readers(), today, page_size).await?;
            let full = page.len() == page_size;
            report.checked += page.len();
            let mut looked = Vec::with_capacity(page.len());
            for checked in page {
                let previous = checked.light.unwrap_or(Light::Green);
                let (light, next, running) = match checked.clock.status.as_str() {
                    "accepted" | "in_review" => match self.light_of(&checked.clock, today)? {
                        Some((light, _)) => {
                            (light, self.next_check(&checked.clock, light, today), true)
                        }
                        None => (previous, None, true),
                    },
                    // A stopped clock keeps its light until it runs again (a write of the case).
                    "suspended" => (previous, None, true),
                    // Stopped for good (decided, closed): its light goes.
                    _ => (Light::Green, None, false),
                };
                looked.push(Looked {
                    checked,
                    light,
                    previous,
                    next,
                    running,
                });
            }
            if looked.is_empty() {
                break;
            }
            // Every case written back leaves the range read (its next day is after today), so
            // the next page starts where this one ended; one that was not (changed meanwhile,
            // or taken by another node) is read again or is gone.
            let written = write_looked(self.store(), looked, now).await?;
            report.alerts += written.alerts;
            report.cleared += written.cleared;
            if !full || written.moved == 0 {
                break;
            }
        }
        // The department tasks of joint cases run on clocks of their own.
        let (alerts, cleared) = self.sweep_task_lights().await?;
        report.alerts += alerts;
        report.cleared += cleared;
        // Projects' steps past their planned end reach their agents (once a day).
        report.alerts += self.sweep_project_stalls().await?;
        // Intermediary contracts turning yellow or red reach the project's agent (once a day).
        report.alerts += self.sweep_contract_lights().await?;
        Ok(report)
    }

    /// The lit clocks of the actor's scope and how many are green.
    pub async fn monitor_overview(&self, actor: &Actor) -> Result<MonitorOverview, AppError> {
        let scope = monitor_scope(&actor.principal)?;
        let readers = self.store().readers();
        let today = self.today();
        let mut red = Vec::new();
        let mut yellow = Vec::new();
        for (clock, light) in monitor_rows::lit_clocks_in(readers, &scope).await? {
            let timeliness = self.light_of(&clock, today)?.map(|(_, standing)| standing);
            let entry = LitClock {
                provisional: crate::calendar::is_provisional(&self.calendar(), clock.due_on),
                clock,
                light,
                days_left: timeliness.map(Timeliness::signed_working_days),
                timeliness,
            };
            match light {
                Light::Red => red.push(entry),
                Light::Yellow => yellow.push(entry),
                Light::Green => {}
            }
        }
        let lit_cases = red.len() + yellow.len();
        // The department tasks of joint cases, for supervisors and their departments.
        let departments = (!scope.all).then_some(scope.departments.as_slice());
        for task in onewindow_store::bundles::lit_task_clocks(readers, departments).await? {
            let Some(light) = task.light else { continue };
            let clock = ClockRow {
                case_id: task.case_id,
                number: task.case_number,
                item_name: task.item_name,
                department: task.department,
                centre: task.centre,
                status: task.status,
                due_on: task.due_on,
                limit_days: task.limit_days,
            };
            let timeliness = self.light_of(&clock, today)?.map(|(_, standing)| standing);
            let entry = LitClock {
                provisional: crate::calendar::is_provisional(&self.calendar(), clock.due_on),
                clock,
                light,
                days_left: timeliness.map(Timeliness::signed_working_days),
                timeliness,
            };
            match light {
                Light::Red => red.push(entry),
                Light::Yellow => yellow.push(entry),
                Light::Green => {}
            }
        }
        red.sort_by_key(|c| c.clock.due_on);
        yellow.sort_by_key(|c| c.clock.due_on);
        let open = monitor_rows::open_clock_count(readers, &scope).await?;
        let green = open - lit_cases as i64;
        Ok(MonitorOverview {
            red,
            yellow,
            green: green.max(0),
        })
    }

    /// The alerts that reach the actor, newest first, with what they have read.
    pub async fn inbox(
        &self,
        actor: &Actor,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<Page<InboxEntry>, AppError> {
        let scope = monitor_scope(&actor.principal)?;
        let limit = i64::from(limit.unwrap_or(50).clamp(1, 200));
        let mut items: Vec<InboxEntry> = monitor_rows::alerts_for(
            self.store().readers(),
            &scope,
            &actor.principal.user_id,
            cursor.as_deref(),
            limit + 1,
        )
        .await?
        .into_iter()
        .map(|(alert, read)| InboxEntry { alert, read })
        .collect();
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|e| e.alert.id.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Marks an alert of the actor's inbox as read (for the actor only).
    pub async fn mark_alert_read(&self, actor: &Actor, alert_id: &str) -> Result<(), AppError> {
        let scope = monitor_scope(&actor.principal)?;
        let alert = monitor_rows::get_alert(self.store().readers(), alert_id)
            .await?
            .filter(|a| {
                scope.all
                    || scope.departments.contains(&a.department)
                    || scope.centres.contains(&a.centre)
            })
            .ok_or_else(|| AppError::not_found(format!("alert {alert_id}")))?;
        let user = actor.principal.user_id.clone();
        let now = self.now();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    monitor_rows::mark_read(&mut *conn, &alert.id, &user, now).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await
    }

    /// Marks several alerts of the actor's inbox as read (for the actor only), all or none, in
    /// one transaction; answers how many were named (each once). An empty list, more than
    /// [`MAX_ALERTS_READ`] or an alert the actor's inbox does not hold is refused, naming the
    /// field (`ids`, `ids[2]`).
    pub async fn mark_alerts_read(&self, actor: &Actor, ids: &[String]) -> Result<usize, AppError> {
        let scope = monitor_scope(&actor.principal)?;
        if ids.is_empty() {
            return Err(AppError::invalid("ids", "name at least one alert"));
        }
        if ids.len() > MAX_ALERTS_READ {
            return Err(AppError::invalid(
                "ids",
                format!("at most {MAX_ALERTS_READ} alerts at once"),
            ));
        }
        let mut wanted: Vec<String> = Vec::with_capacity(ids.len());
        let mut errors = Vec::new();
        let readers = self.store().readers();
        for (i, id) in ids.iter().enumerate() {
            if wanted.contains(id) {
                continue;
            }
            let found = monitor_rows::get_alert(readers, id).await?.filter(|a| {
                scope.all
                    || scope.departments.contains(&a.department)
                    || scope.centres.contains(&a.centre)
            });
            match found {
                Some(alert) => wanted.push(alert.id),
                None => errors.push(onewindow_domain::validation::FieldError::new(
                    format!("ids[{i}]"),
                    format!("no alert {id} in your inbox"),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let user = actor.principal.user_id.clone();
        let now = self.now();
        let count = wanted.len();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    for id in &wanted {
                        monitor_rows::mark_read(&mut *conn, id, &user, now).await?;
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(count)
    }
}

/// The most alerts one call marks read.
pub const MAX_ALERTS_READ: usize = 200;

// ---- data for the sweep benchmark --------------------------------------------------------------

/// What [`Service::generate_open_clocks`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct GeneratedClocks {
    /// Running clocks due today or later (accepted or in review).
    pub running: usize,
    /// Running clocks already past their due date.
    pub overdue: usize,
    /// Stopped clocks (suspended, no due date while stopped).
    pub suspended: usize,
    /// Clocks among the running and overdue ones lengthened by an extension.
    pub extended: usize,
}

/// A small deterministic generator (xorshift64*): the same data on every run.
struct BenchRng(u64);

impl BenchRng {
    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        if n == 0 { 0 } else { r % n }
    }
}

/// The working day `n` working days before `day` (a working day itself): `day` for 0.
fn working_days_before(
    calendar: &onewindow_domain::calendar::Calendar,
    day: NaiveDate,
    n: u32,
) -> Result<NaiveDate, AppError> {
    let mut d = day;
    let mut left = n;
    while left > 0 {
        d = d.pred_opt().unwrap_or(d);
        if calendar.is_working_day(d)? {
            left -= 1;
        }
    }
    Ok(d)
}

impl Service {
    /// Fills the store with `count` open clocks for the sweep benchmark (`onewindow bench
    /// --sweep`), on the items of its catalogue that promise a limit, seen from today: 92% running
    /// with a due date spread evenly over the next `spread_days` working days (0 = due today),
    /// 3% overdue by 1 to 10 working days, 5% stopped (suspended); 2% of the running and overdue
    /// ones extended by 5 working days; half of the running ones in review. Each case is received
    /// and accepted on the day its clock starts, through the domain's own commands (`submit`,
    /// then `decide`/`apply` of pre-review, accept, review, extend, suspend at that date), so every
    /// row is one the product could have written; a clock with `k` working days left is on an
    /// item that promises at least `k` (the longest when none does: then it has fewer left).
    /// Written in batches of 2,000 cases per transaction.
    pub async fn generate_open_clocks(
        &self,
        count: usize,
        spread_days: u32,
        seed: u64,
    ) -> Result<GeneratedClocks, AppError> {
        use onewindow_domain::case::{
            self, Applicant, ApplicantKind, Case, CaseCommand, Channel, Context, NewCase,
        };
        use onewindow_domain::clock::SuspensionKind;
        use onewindow_store::cases::{self as case_rows, StoredEvent};

        let calendar = &self.calendar();
        let today = self.today();
        let mut items = onewindow_store::catalogue::all_items(self.store().readers()).await?;
        items.retain(|p| p.item.promised_days > 0);
        items.sort_by_key(|p| p.item.promised_days);
        let Some(longest) = items.last().map(|p| p.item.promised_days) else {
            return Err(AppError::invalid(
                "catalogue",
                "no item promises a limit: load a catalogue first",
            ));
        };
        let spread = spread_days.max(1);
        let mut rng = BenchRng(seed.max(1));
        let mut made = GeneratedClocks::default();
        let mut serial_by_day = std::collections::HashMap::<NaiveDate, u32>::new();
        let mut batch: Vec<(Case, Vec<StoredEvent>)> = Vec::with_capacity(2000);
        for n in 0..count {
            let roll = rng.below(100);
            let suspended = roll < 5;
            let overdue = (5..8).contains(&roll);
            let extension = if !suspended && rng.below(100) < 2 {
                5
            } else {
                0
            };
            // Working days left on the clock today (negative: overdue).
            let left: i64 = if overdue {
                -1 - rng.below(10) as i64
            } else if suspended {
                1 + rng.below(u64::from(longest)) as i64
            } else {
                rng.below(u64::from(spread)) as i64
            };
            // The items whose limit (with the extension) covers what is left.
            let needed = u32::try_from(left.max(0)).unwrap_or(0);
            let first = items.partition_point(|p| p.item.promised_days + extension < needed);
            let pool = if first < items.len() {
                &items[first..]
            } else {
                &items[items.len() - 1..]
            };
            let item = &pool[rng.below(pool.len() as u64) as usize];
            let limit = item.item.promised_days + extension;
            let used = u32::try_from((i64::from(limit) - left).max(0)).unwrap_or(0);
            let started = working_days_before(calendar, today, used)?;
            let serial = serial_by_day.entry(started).or_insert(0);
            *serial += 1;
            let number = format!("330226{}8{:06}", started.format("%Y%m%d"), serial);
            let clerk = format!("clerk-{:02}", 1 + rng.below(6));
            let reviewer = format!("reviewer-{}", item.item.department.to_lowercase());
            let approver = format!("approver-{}", item.item.department.to_lowercase());
            let at =
                crate::clock::local_morning(started) + Duration::minutes(rng.below(420) as i64);
            let applicant = Applicant {
                kind: ApplicantKind::Person,
                name: format!("压测申请人{n}"),
                id_number: "11010519491231002X".into(),
                phone: None,
            };
            let new = NewCase {
                applicant,
                channel: Channel::Window,
                centre: "county-hall".into(),
                materials: item
                    .item
                    .demanded_materials()
                    .map(|m| m.key.clone())
                    .collect(),
                filed_by: None,
                commitments: Vec::new(),
            };
            let submitted_ctx = Context {
                actor: &clerk,
                now: at,
                today: started,
                calendar,
            };
            let (mut case, first_event) = case::submit(
                uuid::Uuid::now_v7().to_string(),
                number,
                item,
                new,
                &submitted_ctx,
            )?;
            let mut history = vec![StoredEvent {
                seq: 1,
                actor: clerk.clone(),
                at,
                event: first_event,
            }];
            let mut steps: Vec<(&str, CaseCommand, NaiveDate)> = vec![
                (&clerk, CaseCommand::StartPreReview, started),
                (&clerk, CaseCommand::Accept, started),
            ];
            if suspended || rng.below(2) == 0 {
                steps.push((&reviewer, CaseCommand::StartReview, started));
            }
            if extension > 0 {
                steps.push((
                    &approver,
                    CaseCommand::Extend {
                        working_days: extension,
                        reason: "需组织专家论证".into(),
                    },
                    started,
                ));
            }
            if suspended {
                let from =
                    working_days_before(calendar, today, rng.below(u64::from(used) + 1) as u32)?;
                steps.push((
                    &reviewer,
                    CaseCommand::Suspend {
                        kind: SuspensionKind::ExpertReview,
                        reason: "专家评审".into(),
                    },
                    from,
                ));
            }
            for (k, (actor, command, on)) in steps.into_iter().enumerate() {
                let now = crate::clock::local_morning(on).max(at) + Duration::minutes(k as i64 + 1);
                let ctx = Context {
                    actor,
                    now,
                    today: on,
                    calendar,
                };
                for event in case.decide(&command, &ctx)? {
                    case.apply(&event, actor, now, on);
                    history.push(StoredEvent {
                        seq: history.len() as u64 + 1,
                        actor: actor.to_string(),
                        at: now,
                        event,
                    });
                }
            }
            if suspended {
                made.suspended += 1;
            } else if overdue {
                made.overdue += 1;
            } else {
                made.running += 1;
            }
            if extension > 0 {
                made.extended += 1;
            }
            batch.push((case, history));
            if batch.len() == 2000 || n + 1 == count {
                let calendar = std::sync::Arc::new(calendar.clone());
                let rows = std::mem::take(&mut batch);
                self.store()
                    .write(move |conn| {
                        Box::pin(async move {
                            for (case, history) in &rows {
                                // A due day past the years the calendar answers for is stored as unknown (the
                                // list shows a dash) rather than stopping the whole batch.
                                let due = case.due_on(&calendar).ok().flatten();
                                case_rows::insert_with_history(&mut *conn, case, history, due)
                                    .await?;
                            }
                            Ok::<_, AppError>(())
                        })
                    })
                    .await?;
            }
        }
        Ok(made)
    }
}

/// The first day on which a clock due on `due` is no longer green, when it turns yellow with
/// `yellow_from` working days left: the `yellow_from + 1`th working day counting back from
/// `due` (itself included), since from that day on at most `yellow_from` working days remain.
fn yellow_on(
    calendar: &onewindow_domain::calendar::Calendar,
    due: NaiveDate,
    yellow_from: u32,
) -> Result<NaiveDate, onewindow_domain::calendar::CalendarError> {
    let mut day = due;
    let mut seen: u32 = 0;
    loop {
        if calendar.is_working_day(day)? {
            seen += 1;
            if seen > yellow_from {
                return Ok(day);
            }
        }
        match day.pred_opt() {
            Some(before) => day = before,
            None => return Ok(day),
        }
    }
}

/// One case the sweep looked at and what it found.
struct Looked {
    checked: ClockToCheck,
    light: Light,
    previous: Light,
    /// When to look again.
    next: Option<NaiveDate>,
    /// Still on a clock (running or stopped); otherwise its light is cleared without an alert.
    running: bool,
}

/// What [`write_looked`] wrote.
struct Written {
    /// Cases still as read, whose next day to look was stored.
    moved: usize,
    alerts: usize,
    cleared: usize,
}

/// Writes what the sweep found: for each case still as it was read, when to look again, and a
/// change of light with its alert (into the inbox table and the outbox) or the clearing of a
/// light; dozens of cases per statement.
async fn write_looked(
    store: &Store,
    looked: Vec<Looked>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Written, AppError> {
    store
        .write(move |conn| {
            Box::pin(async move {
                let checks: Vec<(&ClockToCheck, Option<NaiveDate>)> =
                    looked.iter().map(|l| (&l.checked, l.next)).collect();
                let moved = monitor_rows::set_checks_on(&mut *conn, &checks).await?;
                let changed: Vec<&Looked> = looked
                    .iter()
                    .filter(|l| l.light != l.previous && moved.contains(&l.checked.clock.case_id))
                    .collect();
                let lights: Vec<(&str, Light)> = changed
                    .iter()
                    .map(|l| (l.checked.clock.case_id.as_str(), l.light))
                    .collect();
                monitor_rows::set_lights(&mut *conn, &lights, now).await?;
                let alerts: Vec<Alert> = changed
                    .iter()
                    .filter(|l| l.running)
                    .map(|l| {
                        let clock = &l.checked.clock;
                        Alert {
                            id: uuid::Uuid::now_v7().to_string(),
                            case_id: clock.case_id.clone(),
                            case_number: clock.number.clone(),
                            item_name: clock.item_name.clone(),
                            department: clock.department.clone(),
                            centre: clock.centre.clone(),
                            light: l.light,
                            previous: l.previous,
                            due_on: clock.due_on,
                            previous_due_on: None,
                            raised_at: now,
                        }
                    })
                    .collect();
                monitor_rows::insert_alerts(&mut *conn, &alerts).await?;
                Ok::<_, AppError>(Written {
                    moved: moved.len(),
                    alerts: alerts.len(),
                    cleared: changed.len() - alerts.len(),
                })
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use onewindow_domain::access::{Post, Principal};
    use onewindow_domain::calendar::Calendar;
    use onewindow_domain::case::{Applicant, ApplicantKind, CaseCommand, Channel};

    use super::*;
    use crate::clock::{ManualClock, local_morning};
    use crate::service::SubmitCase;

    struct TempDir(std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    fn actor(name: &str, post: Post) -> Actor {
        Actor::new(
            Principal {
                user_id: format!("u-{name}"),
                username: name.into(),
                display_name: name.into(),
                identity: None,
                posts: vec![post],
                may_reveal_personal_data: false,
            },
            "test",
        )
    }

    async fn service_at(dir: &std::path::Path, clock: Arc<ManualClock>) -> Service {
        let url = onewindow_store::data_dir_url(dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        Service::new(store, Calendar::prc(), clock, "330226")
    }

    #[tokio::test]
    async fn one_alert_per_change_of_light_and_none_again_after_a_restart() {
        let dir = TempDir(
            std::env::temp_dir().join(format!("onewindow-monitor-{}", uuid::Uuid::now_v7())),
        );
        let clock = Arc::new(ManualClock::at_local_morning(day(11, 2)));
        let service = service_at(&dir.0, clock.clone()).await;
        service.seed_demo(0).await.expect("catalogue");
        let item = onewindow_store::catalogue::all_items(service.store().readers())
            .await
            .expect("items")
            .into_iter()
            .find(|p| p.item.promised_days == 5 && p.item.department == "SCJGJ")
            .expect("a 5-day item of SCJGJ");
        let clerk = actor("clerk", Post::new(Role::Clerk).at_centre("county-hall"));
        let approver = actor("approver", Post::new(Role::Approver).in_department("SCJGJ"));
        let supervisor = actor("supervisor", Post::new(Role::Supervisor));
        let elsewhere = actor("other", Post::new(Role::Reviewer).in_department("GAJ"));
        let submitted = service
            .submit_case(
                &clerk,
                SubmitCase {
                    item_code: item.item.code.clone(),
                    applicant: Applicant {
                        kind: ApplicantKind::Person,
                        name: "王芳".into(),
                        id_number: "11010519491231002X".into(),
                        phone: None,
                    },
                    channel: Channel::Window,
                    centre: "county-hall".into(),
                    materials: item
                        .item
                        .demanded_materials()
                        .map(|m| m.key.clone())
                        .collect(),
                    commitments: Vec::new(),
                },
                None,
            )
            .await
            .expect("filed");
        let id = submitted.case.id.clone();
        let case = service
            .execute(&clerk, &id, 1, CaseCommand::StartPreReview)
            .await
            .expect("pre-review");
        let _accepted = service
            .execute(&clerk, &id, case.version, CaseCommand::Accept)
            .await
            .expect("accepted");
        // Accepted Monday 2 November with 5 working days: due Monday 9 November.
        assert_eq!(
            service.case(&supervisor, &id).await.expect("case").due_on,
            Some(day(11, 9))
        );

        let first = service.sweep_lights().await.expect("sweep");
        assert_eq!(
            (first.checked, first.alerts),
            (1, 0),
            "green raises nothing"
        );

        clock.set(local_morning(day(11, 5))); // Thursday: Friday and Monday left
        let yellow = service.sweep_lights().await.expect("sweep");
        assert_eq!(yellow.alerts, 1);
        assert_eq!(
            service.sweep_lights().await.expect("sweep").alerts,
            0,
            "not repeated"
        );
        // A restart (a new service on the same store) raises nothing either.
        let restarted = service_at(&dir.0, clock.clone()).await;
        assert_eq!(restarted.sweep_lights().await.expect("sweep").alerts, 0);

        clock.set(local_morning(day(11, 10))); // the day after the due day
        assert_eq!(service.sweep_lights().await.expect("sweep").alerts, 1);
        let overview = service
            .monitor_overview(&supervisor)
            .await
            .expect("overview");
        assert_eq!(overview.red.len(), 1);
        assert_eq!(overview.red[0].days_left, Some(-1));

        // The inbox of the supervisors and of the department, not of another department.
        let inbox = service.inbox(&supervisor, None, None).await.expect("inbox");
        let lights: Vec<(Light, Light)> = inbox
            .items
            .iter()
            .map(|e| (e.alert.previous, e.alert.light))
            .collect();
        assert_eq!(
            lights,
            [(Light::Yellow, Light::Red), (Light::Green, Light::Yellow)]
        );
        assert_eq!(
            service
                .inbox(&approver, None, None)
                .await
                .expect("inbox")
                .items
                .len(),
            2
        );
        assert!(
            service
                .inbox(&elsewhere, None, None)
                .await
                .expect("inbox")
                .items
                .is_empty()
        );
        let applicant = actor("citizen", Post::new(Role::Applicant));
        assert!(matches!(
            service.inbox(&applicant, None, None).await,
            Err(AppError::Forbidden(_))
        ));
        let newest = inbox.items[0].alert.id.clone();
        service
            .mark_alert_read(&approver, &newest)
            .await
            .expect("read");
        let read = service.inbox(&approver, None, None).await.expect("inbox");
        assert!(read.items[0].read && !read.items[1].read);
        assert!(
            !service
                .inbox(&supervisor, None, None)
                .await
                .expect("inbox")
                .items[0]
                .read,
            "read is per person"
        );
        assert!(matches!(
            service.mark_alert_read(&elsewhere, &newest).await,
            Err(AppError::NotFound { .. })
        ));

        // In bulk: all or none, each alert named once, fields named when refused.
        let all: Vec<String> = service
            .inbox(&supervisor, None, None)
            .await
            .expect("inbox")
            .items
            .iter()
            .map(|e| e.alert.id.clone())
            .collect();
        assert!(all.len() >= 2);
        let refused = service
            .mark_alerts_read(&supervisor, &[all[0].clone(), "no-such-alert".into()])
            .await;
        match refused {
            Err(AppError::Invalid(errors)) => assert_eq!(errors[0].field, "ids[1]"),
            other => panic!("refused: {other:?}"),
        }
        assert!(
            !service
                .inbox(&supervisor, None, None)
                .await
                .expect("inbox")
                .items[0]
                .read,
            "nothing was marked when one id was wrong"
        );
        match service.mark_alerts_read(&supervisor, &[]).await {
            Err(AppError::Invalid(errors)) => assert_eq!(errors[0].field, "ids"),
            other => panic!("refused: {other:?}"),
        }
        assert!(matches!(
            service.mark_alerts_read(&elsewhere, &all).await,
            Err(AppError::Invalid(_))
        ));
        let mut twice = all.clone();
        twice.push(all[0].clone());
        assert_eq!(
            service
                .mark_alerts_read(&supervisor, &twice)
                .await
                .expect("read"),
            all.len()
        );
        assert!(
            service
                .inbox(&supervisor, None, None)
                .await
                .expect("inbox")
                .items
                .iter()
                .all(|e| e.read)
        );
        assert!(
            !service
                .inbox(&approver, None, None)
                .await
                .expect("inbox")
                .items[1]
                .read,
            "still per person"
        );

        // An extension turns the light back to green: one more alert.
        let case = service.case(&supervisor, &id).await.expect("case").case;
        service
            .execute(
                &approver,
                &id,
                case.version,
                CaseCommand::Extend {
                    working_days: 10,
                    reason: "需现场核查".into(),
                },
            )
            .await
            .expect("extended");
        let back = service.sweep_lights().await.expect("sweep");
        assert_eq!(back.alerts, 1);
        assert!(
            service
                .monitor_overview(&supervisor)
                .await
                .expect("overview")
                .red
                .is_empty()
        );

        // A decided case leaves the monitor.
        clock.set(local_morning(day(11, 20))); // yellow again first
        assert_eq!(service.sweep_lights().await.expect("sweep").alerts, 1);
        let case = service.case(&supervisor, &id).await.expect("case").case;
        let reviewer = actor("reviewer", Post::new(Role::Reviewer).in_department("SCJGJ"));
        let case = service
            .execute(
                &reviewer,
                &id,
                case.version,
                CaseCommand::Propose {
                    approve: true,
                    opinion: "拟同意".into(),
                },
            )
            .await
            .expect("proposed");
        service
            .execute(
                &approver,
                &id,
                case.version,
                CaseCommand::Decide {
                    approve: true,
                    reason: String::new(),
                },
            )
            .await
            .expect("decided");
        let after = service.sweep_lights().await.expect("sweep");
        assert_eq!((after.alerts, after.cleared), (0, 1));
        assert_eq!(
            service
                .monitor_overview(&supervisor)
                .await
                .expect("overview")
                .green,
            0
        );
    }

    /// A service on the store in `dir` with its own calendar.
    async fn service_with(
        dir: &std::path::Path,
        clock: Arc<ManualClock>,
        calendar: Calendar,
    ) -> Service {
        let url = onewindow_store::data_dir_url(dir).expect("url");
        let store = onewindow_store::Store::open(&url).await.expect("store");
        Service::new(store, calendar, clock, "330226")
    }

    /// A service on a fresh store: a scratch PostgreSQL database when ONEWINDOW_TEST_POSTGRES
    /// names a server (as the web suite does), else a SQLite data directory in `dir`.
    async fn service_on_a_fresh_store(dir: &std::path::Path, clock: Arc<ManualClock>) -> Service {
        let url = match std::env::var("ONEWINDOW_TEST_POSTGRES") {
            Ok(base) if !base.is_empty() => {
                onewindow_store::create_scratch_postgres(&base, "onewindow_test")
                    .await
                    .expect("PostgreSQL reachable for the test suite")
            }
            _ => onewindow_store::data_dir_url(dir).expect("url"),
        };
        let store = onewindow_store::Store::open(&url).await.expect("store");
        Service::new(store, Calendar::prc(), clock, "330226")
    }

    fn temp_dir(name: &str) -> TempDir {
        TempDir(std::env::temp_dir().join(format!("onewindow-{name}-{}", uuid::Uuid::now_v7())))
    }

    /// Files a case of a 5-day item of SCJGJ at the window and accepts it today; its id.
    async fn accepted_case(service: &Service) -> String {
        let item = onewindow_store::catalogue::all_items(service.store().readers())
            .await
            .expect("items")
            .into_iter()
            .find(|p| p.item.promised_days == 5 && p.item.department == "SCJGJ")
            .expect("a 5-day item of SCJGJ");
        let clerk = actor("clerk", Post::new(Role::Clerk).at_centre("county-hall"));
        let submitted = service
            .submit_case(
                &clerk,
                SubmitCase {
                    item_code: item.item.code.clone(),
                    applicant: Applicant {
                        kind: ApplicantKind::Person,
                        name: "王芳".into(),
                        id_number: "11010519491231002X".into(),
                        phone: None,
                    },
                    channel: Channel::Window,
                    centre: "county-hall".into(),
                    materials: item
                        .item
                        .demanded_materials()
                        .map(|m| m.key.clone())
                        .collect(),
                    commitments: Vec::new(),
                },
                None,
            )
            .await
            .expect("filed");
        let id = submitted.case.id.clone();
        let case = service
            .execute(&clerk, &id, 1, CaseCommand::StartPreReview)
            .await
            .expect("pre-review");
        service
            .execute(&clerk, &id, case.version, CaseCommand::Accept)
            .await
            .expect("accepted");
        id
    }

    /// Runs a command on a case as staff of its department (reviewer and approver).
    async fn act(service: &Service, id: &str, command: CaseCommand) -> Result<(), AppError> {
        let supervisor = actor("supervisor", Post::new(Role::Supervisor));
        let case = service.case(&supervisor, id).await?.case;
        let staff = Actor::new(
            Principal {
                user_id: "u-staff".into(),
                username: "staff".into(),
                display_name: "staff".into(),
                identity: None,
                posts: vec![
                    Post::new(Role::Reviewer).in_department(&case.department),
                    Post::new(Role::Approver).in_department(&case.department),
                ],
                may_reveal_personal_data: false,
            },
            "test",
        );
        service
            .execute(&staff, id, case.version, command)
            .await
            .map(|_| ())
    }

    #[test]
    fn the_days_a_clock_turns_yellow_and_red_agree_with_the_light_rule() {
        let calendar = Calendar::prc();
        let rule = LightRule::default();
        for limit in [0, 1, 2, 3, 5, 9, 10, 11, 15, 20, 30, 45, 60] {
            let yellow_from = rule.yellow_from(limit);
            let mut due = day(3, 1);
            while due <= day(11, 30) {
                if calendar.is_working_day(due).expect("covered") {
                    let yellow = yellow_on(&calendar, due, yellow_from).expect("covered");
                    let red = due.succ_opt().expect("next day");
                    let mut today = due - Duration::days(100);
                    while today <= due + Duration::days(12) {
                        let expected = if today < yellow {
                            Light::Green
                        } else if today < red {
                            Light::Yellow
                        } else {
                            Light::Red
                        };
                        assert_eq!(
                            rule.light_by_due_date(&calendar, limit, due, today),
                            Ok(expected),
                            "limit {limit}, due {due}, today {today}"
                        );
                        today += Duration::days(1);
                    }
                }
                due += Duration::days(1);
            }
        }
    }

    #[tokio::test]
    async fn a_sweep_reads_only_what_can_change_and_a_resumed_clock_is_watched_again() {
        let dir = temp_dir("monitor-resume");
        let clock = Arc::new(ManualClock::at_local_morning(day(11, 2)));
        let service = service_on_a_fresh_store(&dir.0, clock.clone()).await;
        service.seed_demo(0).await.expect("catalogue");
        // Accepted Monday 2 November with 5 working days: due Monday 9 November, yellow from
        // Thursday 5 November, red from Tuesday 10 November.
        let id = accepted_case(&service).await;
        let sweep = || async { service.sweep_lights().await.expect("sweep") };
        let counts = |r: SweepReport| (r.checked, r.alerts, r.cleared);
        assert_eq!(counts(sweep().await), (1, 0, 0), "the accepted case, green");
        assert_eq!(counts(sweep().await), (0, 0, 0), "nothing can change today");
        clock.set(local_morning(day(11, 4)));
        assert_eq!(counts(sweep().await), (0, 0, 0), "still green: not read");
        clock.set(local_morning(day(11, 5)));
        assert_eq!(counts(sweep().await), (1, 1, 0), "yellow");
        assert_eq!(counts(sweep().await), (0, 0, 0));

        // Stopped on 5 November (the day still counts): the light stays yellow whatever the day.
        act(&service, &id, CaseCommand::StartReview)
            .await
            .expect("review");
        act(
            &service,
            &id,
            CaseCommand::Suspend {
                kind: onewindow_domain::clock::SuspensionKind::Inspection,
                reason: "现场核查".into(),
            },
        )
        .await
        .expect("suspended");
        assert_eq!(counts(sweep().await), (1, 0, 0), "written: read once");
        clock.set(local_morning(day(11, 10)));
        assert_eq!(
            counts(sweep().await),
            (0, 0, 0),
            "a stopped clock does not turn red on its old due date"
        );
        // Resumed on Thursday 12 November: 3 of 5 days used, the new due date is Monday 16
        // November (the suspension took 6, 9, 10, 11 and 12 November).
        clock.set(local_morning(day(11, 12)));
        act(&service, &id, CaseCommand::Resume)
            .await
            .expect("resumed");
        assert_eq!(
            counts(sweep().await),
            (1, 0, 0),
            "2 days left: still yellow"
        );
        let supervisor = actor("supervisor", Post::new(Role::Supervisor));
        let overview = service.monitor_overview(&supervisor).await.expect("view");
        assert_eq!(overview.yellow[0].clock.due_on, Some(day(11, 16)));
        assert_eq!(overview.yellow[0].days_left, Some(2));
        clock.set(local_morning(day(11, 16)));
        assert_eq!(counts(sweep().await), (0, 0, 0), "the due day: yellow");
        clock.set(local_morning(day(11, 17)));
        assert_eq!(
            counts(sweep().await),
            (1, 1, 0),
            "red after the new due date"
        );
        assert_eq!(
            counts(sweep().await),
            (0, 0, 0),
            "red stays red: never read again"
        );
        clock.set(local_morning(day(12, 30)));
        assert_eq!(counts(sweep().await), (0, 0, 0));
    }

    #[tokio::test]
    async fn a_new_calendar_has_every_running_clock_looked_at_again() {
        let dir = temp_dir("monitor-calendar");
        let clock = Arc::new(ManualClock::at_local_morning(day(11, 2)));
        let service = service_at(&dir.0, clock.clone()).await;
        service.seed_demo(0).await.expect("catalogue");
        accepted_case(&service).await; // due Monday 9 November, yellow from 5 November
        clock.set(local_morning(day(11, 4)));
        assert_eq!(service.sweep_lights().await.expect("sweep").alerts, 0);
        // Restarted with a typhoon closure on Friday 6 November: on 4 November only 5 and 9
        // November remain, so the clock is yellow a day earlier than the stored day to look.
        let closure = r#"{"closures": [{"date": "2026-11-06", "name": "台风停止办公"}]}"#;
        let calendar = Calendar::prc()
            .with_overrides(closure)
            .expect("valid overrides");
        let restarted = service_with(&dir.0, clock.clone(), calendar).await;
        let report = restarted.sweep_lights().await.expect("sweep");
        assert_eq!((report.checked, report.alerts), (1, 1));
        assert_eq!(restarted.sweep_lights().await.expect("sweep").checked, 0);
        // Back on the national calendar: looked at again, green again.
        let back = service_at(&dir.0, clock.clone()).await;
        let report = back.sweep_lights().await.expect("sweep");
        assert_eq!((report.checked, report.alerts), (1, 1));
    }

    #[tokio::test]
    async fn the_sweep_agrees_day_by_day_with_lights_computed_from_every_case() {
        use onewindow_domain::case::Status;
        use onewindow_store::cases::{self as case_rows, CaseFilter};

        let dir = temp_dir("monitor-days");
        let start = day(9, 1);
        let clock = Arc::new(ManualClock::at_local_morning(start));
        let service = service_on_a_fresh_store(&dir.0, clock.clone()).await;
        service.seed_demo(0).await.expect("catalogue");
        let made = service
            .generate_open_clocks(240, 9, 7)
            .await
            .expect("clocks");
        assert_eq!(made.running + made.overdue + made.suspended, 240);
        assert!(made.overdue > 0 && made.suspended > 0, "{made:?}");
        let calendar = Calendar::prc();
        let rule = LightRule::default();
        let all = CaseScope {
            all: true,
            ..CaseScope::default()
        };
        let everything = CaseFilter {
            scope: all.clone(),
            limit: 1000,
            ..CaseFilter::default()
        };
        let mut expected: std::collections::HashMap<String, Light> =
            std::collections::HashMap::new();
        let mut roll = 0x9e37_79b9_u64;
        let (mut raised, mut seen) = (0, std::collections::HashSet::new());
        let mut today = start;
        // Six weeks, weekends and the National Day holiday included, with cases extended,
        // suspended, resumed and decided along the way.
        while today <= day(10, 12) {
            clock.set(local_morning(today));
            if today > start {
                for case in case_rows::list(service.store().readers(), &everything)
                    .await
                    .expect("cases")
                {
                    roll = roll.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    let dice = (roll >> 33) % 100;
                    let command = match (case.status, dice) {
                        (Status::Accepted | Status::InReview, 0..=2) => CaseCommand::Extend {
                            working_days: 3,
                            reason: "需现场核查".into(),
                        },
                        (Status::Accepted | Status::InReview, 3..=4) => CaseCommand::Suspend {
                            kind: onewindow_domain::clock::SuspensionKind::Testing,
                            reason: "检验检测".into(),
                        },
                        (Status::Accepted | Status::InReview, 5..=6) if case.awaits_proposal() => {
                            CaseCommand::Propose {
                                approve: true,
                                opinion: "拟同意".into(),
                            }
                        }
                        (Status::Accepted | Status::InReview, 5..=6) => CaseCommand::Decide {
                            approve: true,
                            reason: String::new(),
                        },
                        (Status::Suspended, 0..=29) => CaseCommand::Resume,
                        _ => continue,
                    };
                    // An extension is allowed once; a refusal changes nothing.
                    let _ = act(&service, &case.id, command).await;
                }
            }
            // In pages of 37 cases: a sweep of many pages reads every case once.
            let report = service.sweep_lights_by(37).await.expect("sweep");
            let (mut alerts, mut cleared) = (0, 0);
            for case in case_rows::list(service.store().readers(), &everything)
                .await
                .expect("cases")
            {
                let before = expected.get(&case.id).copied().unwrap_or(Light::Green);
                let (now, on_clock) = match (case.status, &case.clock) {
                    (Status::Accepted | Status::InReview, Some(c)) => (
                        rule.light(
                            c.total_limit(),
                            c.timeliness(&calendar, today).expect("covered"),
                        ),
                        true,
                    ),
                    (Status::Suspended, _) => (before, true),
                    _ => (Light::Green, false),
                };
                if now != before {
                    if on_clock {
                        alerts += 1;
                    } else {
                        cleared += 1;
                    }
                }
                seen.insert(now);
                expected.insert(case.id.clone(), now);
            }
            raised += alerts;
            assert_eq!(
                (report.alerts, report.cleared),
                (alerts, cleared),
                "{today}"
            );
            let stored: std::collections::HashMap<String, Light> =
                monitor_rows::lit_clocks_in(service.store().readers(), &all)
                    .await
                    .expect("lights")
                    .into_iter()
                    .map(|(c, l)| (c.case_id, l))
                    .collect();
            let lit: std::collections::HashMap<String, Light> = expected
                .iter()
                .filter(|(_, l)| **l != Light::Green)
                .map(|(id, l)| (id.clone(), *l))
                .collect();
            assert_eq!(stored, lit, "{today}");
            let again = service.sweep_lights().await.expect("sweep");
            assert_eq!((again.checked, again.alerts), (0, 0), "{today}");
            today += Duration::days(1);
        }
        assert_eq!(seen.len(), 3, "the days saw every light");
        assert!(raised > 240, "{raised} alerts");
    }
}
