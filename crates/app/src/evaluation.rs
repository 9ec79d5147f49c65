//! Evaluation (好差评): the applicant's rating of a case online, by a signed link without a
//! login, or on the window's pad; the rectification a 差评 opens for the department that served,
//! worked by it, appealed to a supervisor and rated by the applicant; the figures; return visits
//! (`visits`) and complaints (`complaints`). The rules are the domain's
//! ([`onewindow_domain::evaluation`]); this is the shell around them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hmac::{KeyInit, Mac};
use onewindow_domain::access::{self, Decision, Operation, RectificationOperation, Role};
use onewindow_domain::audit::Outcome as AuditOutcome;
use onewindow_domain::case::Case;
use onewindow_domain::evaluation::{
    self as evaluation, RatedObject, Rating, RatingChannel, RatingContext, RatingError,
    RatingInput, RatingPolicy, RatingStage, Rectification, RectificationCommand,
    RectificationError, RectificationState,
};
use onewindow_domain::figures::Ratio;
use onewindow_store::evaluation as rows;
use onewindow_store::{Conn, audit as audit_rows, cases as case_rows, enqueue_outbox};
use serde::Serialize;
use sha2::Sha256;

use crate::actor::Actor;
use crate::case_policy::{facts, refusal};
use crate::clock::{CHINA_OFFSET_SECONDS, local_date};
use crate::error::AppError;
use crate::service::Service;

/// A case's ratings and what may still be rated, for its page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseRatings {
    pub ratings: Vec<Rating>,
    /// The stages the reader may rate now online (empty for anyone but the applicant).
    pub open_stages: Vec<RatingStage>,
    /// The rectifications the case's 差评 opened, as the reader may see them.
    pub rectifications: Vec<Rectification>,
}

/// What a rating did: the record, and the rectification a 差评 opened.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rated {
    pub rating: Rating,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rectification: Option<Rectification>,
}

/// A signed rating link (评价链接) for a message: no login, valid until `expires_at`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingLink {
    pub token: String,
    /// The page's path: `/rate/<token>`.
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

/// What the page of a rating link shows: the case by item and number, and what may be rated.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedCase {
    pub case_number: String,
    pub item_name: String,
    pub open_stages: Vec<RatingStage>,
    pub ratings: Vec<Rating>,
}

/// The evaluation figures of a period (好差评统计).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvaluationFigures {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: NaiveDate,
    /// Ratings given in the period that count (an appeal upheld takes one out).
    pub ratings: u64,
    /// 好评率: 满意 and 非常满意 over all ratings.
    pub good_rate: Ratio,
    /// 差评: 不满意 and 非常不满意.
    pub bad: u64,
    /// Rectifications opened in the period.
    pub rectifications_opened: u64,
    /// Of those closed, closed within their limit (整改按时率).
    pub rectified_on_time: Ratio,
    /// Open rectifications past their due day at the end of the period.
    pub rectifications_overdue: u64,
}

/// The figures over ratings and rectifications (pure: the service reads the rows).
pub fn evaluation_figures(
    ratings: &[Rating],
    rectifications: &[Rectification],
    from: NaiveDate,
    to: NaiveDate,
) -> EvaluationFigures {
    let counted: Vec<&Rating> = ratings.iter().filter(|r| r.counts()).collect();
    let good = counted.iter().filter(|r| r.level.is_good()).count() as u64;
    let bad = counted.iter().filter(|r| r.level.is_bad()).count() as u64;
    let opened: Vec<&Rectification> = rectifications
        .iter()
        .filter(|r| from <= r.opened_on && r.opened_on <= to)
        .collect();
    let closed: Vec<&&Rectification> = opened.iter().filter(|r| r.closed_on.is_some()).collect();
    let on_time = closed
        .iter()
        .filter(|r| r.closed_on_time() == Some(true))
        .count() as u64;
    let overdue = rectifications
        .iter()
        .filter(|r| r.opened_on <= to && r.is_overdue(to))
        .count() as u64;
    EvaluationFigures {
        from,
        to,
        ratings: counted.len() as u64,
        good_rate: Ratio::new(good, counted.len() as u64),
        bad,
        rectifications_opened: opened.len() as u64,
        rectified_on_time: Ratio::new(on_time, closed.len() as u64),
        rectifications_overdue: overdue,
    }
}

fn rating_error(e: RatingError) -> AppError {
    match e {
        RatingError::Invalid(errors) => AppError::Invalid(errors),
        RatingError::NotNow(message) => AppError::Conflict(message),
        e @ RatingError::AlreadyRated(_) => AppError::Conflict(e.to_string()),
    }
}

fn rectification_error(e: RectificationError) -> AppError {
    match e {
        RectificationError::Invalid(errors) => AppError::Invalid(errors),
        e @ RectificationError::NotNow { .. } => AppError::Conflict(e.to_string()),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn link_mac(key: &str, case_id: &str, expires: i64) -> hmac::Hmac<Sha256> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(format!("rating-link\n{case_id}\n{expires}").as_bytes());
    mac
}

/// The case id a link token names, if its signature is the key's and it has not expired.
fn open_link(key: &str, token: &str, now: DateTime<Utc>) -> Result<String, AppError> {
    let refused = || AppError::not_found("a rating link with this address");
    let mut parts = token.rsplitn(3, '.');
    let (Some(signature), Some(expires), Some(case_id)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(refused());
    };
    let expires: i64 = expires.parse().map_err(|_| refused())?;
    let bytes: Option<Vec<u8>> = (0..signature.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(signature.get(i..i + 2)?, 16).ok())
        .collect();
    let bytes = bytes.ok_or_else(refused)?;
    link_mac(key, case_id, expires)
        .verify_slice(&bytes)
        .map_err(|_| refused())?;
    if now.timestamp() > expires {
        return Err(AppError::Conflict(
            "this rating link has expired; rate the case from its page after signing in".into(),
        ));
    }
    Ok(case_id.to_string())
}

/// The policy and the link key, made on first use (the key random, kept in the store so that
/// every node signs and checks the same links).
async fn settings_in(
    conn: &mut Conn,
    now: DateTime<Utc>,
) -> Result<(RatingPolicy, String), AppError> {
    if let Some((policy, key)) = rows::settings(&mut *conn).await? {
        let policy = serde_json::from_str(&policy)
            .map_err(|e| onewindow_store::StoreError::corrupt("evaluation settings", e))?;
        return Ok((policy, key));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    let policy = RatingPolicy::default();
    let body = serde_json::to_string(&policy)
        .map_err(|e| onewindow_store::StoreError::corrupt("evaluation settings", e))?;
    rows::save_settings(&mut *conn, &body, &hex(&bytes), &now.to_rfc3339()).await?;
    // A racing first write kept its key: read back what stands.
    let (_, key) = rows::settings(&mut *conn)
        .await?
        .ok_or_else(|| AppError::Internal("evaluation settings vanished".into()))?;
    Ok((policy, key))
}

/// A signed rating link of a case, valid for the policy's `link_days` from `now`.
pub(crate) async fn signed_link_in(
    conn: &mut Conn,
    case_id: &str,
    now: DateTime<Utc>,
) -> Result<RatingLink, AppError> {
    let (policy, key) = settings_in(&mut *conn, now).await?;
    let expires_at = now + Duration::days(i64::from(policy.link_days));
    let expires = expires_at.timestamp();
    let signature = hex(&link_mac(&key, case_id, expires).finalize().into_bytes());
    let token = format!("{case_id}.{expires}.{signature}");
    Ok(RatingLink {
        path: format!("/rate/{token}"),
        token,
        expires_at,
    })
}

/// How a rating came in: the channel, what it rates, who gave it.
struct Given {
    channel: RatingChannel,
    object: RatedObject,
    rated_by: String,
}

/// Where and when: the county's division code, its calendar, the time.
type Setting<'a> = (
    &'a str,
    &'a onewindow_domain::calendar::Calendar,
    DateTime<Utc>,
);

/// Records a rating and, for a 差评, opens its rectification, in the caller's transaction.
async fn record(
    conn: &mut Conn,
    actor: &Actor,
    case: &Case,
    input: &RatingInput,
    Given {
        channel,
        object,
        rated_by,
    }: Given,
    (division, calendar, now): Setting<'_>,
) -> Result<Rated, AppError> {
    let (policy, _) = settings_in(&mut *conn, now).await?;
    let earlier = rows::ratings_of_case(&mut *conn, &case.id).await?;
    let today = local_date(now);
    let rating = evaluation::rate(
        case,
        &earlier,
        input,
        &policy,
        RatingContext {
            id: uuid::Uuid::now_v7().to_string(),
            division,
            channel,
            object,
            rated_by,
            now,
            today,
        },
    )
    .map_err(rating_error)?;
    if !rows::insert_rating(&mut *conn, &rating).await? {
        return Err(rating_error(RatingError::AlreadyRated(
            rating.stage.as_str(),
        )));
    }
    let rectification = if rating.level.is_bad() {
        let r = evaluation::open_rectification(
            uuid::Uuid::now_v7().to_string(),
            &rating,
            policy.rectification_working_days,
            today,
            calendar,
        )?;
        rows::insert_rectification(&mut *conn, &r).await?;
        Some(r)
    } else {
        None
    };
    audit_rows::append(
        &mut *conn,
        actor.entry(
            now,
            "evaluation.rate",
            format!("case:{}", case.number),
            AuditOutcome::Success,
            format!(
                "{} {} {}{}",
                rating.channel.as_str(),
                rating.stage.as_str(),
                rating.level.name_zh(),
                if rectification.is_some() {
                    ": rectification opened"
                } else {
                    ""
                }
            ),
        ),
    )
    .await?;
    let message = serde_json::json!({
        "rating_id": rating.id,
        "case_number": rating.case_number,
        "department": rating.department,
        "level": rating.level,
        "bad": rating.level.is_bad(),
        "rectification_id": rectification.as_ref().map(|r| r.id.clone()),
    });
    enqueue_outbox(
        &mut *conn,
        "rating.given",
        &message.to_string(),
        &now.to_rfc3339(),
    )
    .await?;
    Ok(Rated {
        rating,
        rectification,
    })
}

/// The start of a China-time day as an RFC 3339 instant.
fn day_start(d: NaiveDate) -> String {
    (d.and_hms_opt(0, 0, 0).unwrap_or_default()
        - Duration::seconds(i64::from(CHINA_OFFSET_SECONDS)))
    .and_utc()
    .to_rfc3339()
}

impl Service {
    /// The county's rating policy.
    pub async fn evaluation_policy(&self) -> Result<RatingPolicy, AppError> {
        Ok(match rows::settings(self.store().readers()).await? {
            Some((policy, _)) => serde_json::from_str(&policy)
                .map_err(|e| onewindow_store::StoreError::corrupt("evaluation settings", e))?,
            None => RatingPolicy::default(),
        })
    }

    /// Sets the rating policy (how long a stage may be rated, the rectification limit, how long
    /// a link lasts). Administrators.
    pub async fn set_evaluation_policy(
        &self,
        actor: &Actor,
        policy: RatingPolicy,
    ) -> Result<RatingPolicy, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let errors = policy.problems();
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.now();
        let actor = actor.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    let (_, key) = settings_in(&mut *conn, now).await?;
                    let body = serde_json::to_string(&policy).map_err(|e| {
                        onewindow_store::StoreError::corrupt("evaluation settings", e)
                    })?;
                    rows::save_settings(&mut *conn, &body, &key, &now.to_rfc3339()).await?;
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "evaluation.settings",
                            "evaluation",
                            AuditOutcome::Success,
                            body,
                        ),
                    )
                    .await?;
                    Ok(policy)
                })
            })
            .await
    }

    /// A case's ratings (and the rectifications they opened), for whoever may read the case;
    /// the stages the applicant may still rate online.
    pub async fn case_ratings(
        &self,
        actor: &Actor,
        case_ref: &str,
    ) -> Result<CaseRatings, AppError> {
        let detail = self.case(actor, case_ref).await?;
        let case = &detail.case;
        let readers = self.store().readers();
        let ratings = rows::ratings_of_case(readers, &case.id).await?;
        let stored = case_rows::load(readers, &case.id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
        let open_stages = if access::decide_rating(&actor.principal, &facts(&stored)).is_allowed() {
            evaluation::open_stages(
                &stored,
                &ratings,
                &self.evaluation_policy().await?,
                RatingChannel::Online,
                self.today(),
            )
        } else {
            Vec::new()
        };
        // Those its ratings opened and those its return visits did, as the reader may see them.
        let rectifications: Vec<Rectification> = rows::rectifications_of_case(readers, &case.id)
            .await?
            .into_iter()
            .filter(|r| {
                access::decide_rectification(
                    &actor.principal,
                    RectificationOperation::Read,
                    &r.department,
                    &facts(&stored),
                )
                .is_allowed()
            })
            .collect();
        Ok(CaseRatings {
            ratings,
            open_stages,
            rectifications,
        })
    }

    /// The applicant rates their case online (一事一评).
    pub async fn rate_case(
        &self,
        actor: &Actor,
        case_ref: &str,
        input: RatingInput,
    ) -> Result<Rated, AppError> {
        self.rate_signed_in(actor, case_ref, input, access::decide_rating, |_, who| {
            Given {
                channel: RatingChannel::Online,
                object: RatedObject::Platform,
                rated_by: who.principal.user_id.clone(),
            }
        })
        .await
    }

    /// The applicant at the counter rates the window's service on its pad (一次一评): the
    /// signed-in clerk of the case's centre holds the pad; the rating names the window, or the
    /// clerk when no window is given.
    pub async fn rate_at_pad(
        &self,
        actor: &Actor,
        case_ref: &str,
        window: &str,
        input: RatingInput,
    ) -> Result<Rated, AppError> {
        let window = window.trim().to_string();
        self.rate_signed_in(
            actor,
            case_ref,
            input,
            access::decide_rating_pad,
            move |case, who| Given {
                channel: RatingChannel::OnSite,
                object: if window.is_empty() {
                    RatedObject::Staff {
                        username: who.username().to_string(),
                    }
                } else {
                    RatedObject::Window {
                        centre: case.centre.clone(),
                        window,
                    }
                },
                rated_by: format!("pad:{}", who.username()),
            },
        )
        .await
    }

    /// A rating by a signed-in account, in one transaction: the case, the policy `decide`
    /// (refusals audited), how it was `given`, the record and its rectification.
    async fn rate_signed_in(
        &self,
        actor: &Actor,
        case_ref: &str,
        input: RatingInput,
        decide: fn(&access::Principal, &access::CaseFacts<'_>) -> Decision,
        given: impl FnOnce(&Case, &Actor) -> Given + Send + 'static,
    ) -> Result<Rated, AppError> {
        let now = self.now();
        let calendar = self.calendar();
        let division = self.inner.division.clone();
        let owned_actor = actor.clone();
        let owned_ref = case_ref.to_string();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let case = case_rows::load(&mut *conn, &owned_ref)
                        .await?
                        .ok_or_else(|| AppError::not_found(format!("case {owned_ref}")))?;
                    refusal(
                        decide(&owned_actor.principal, &facts(&case)),
                        &case,
                        &owned_ref,
                    )?;
                    let how = given(&case, &owned_actor);
                    record(
                        &mut *conn,
                        &owned_actor,
                        &case,
                        &input,
                        how,
                        (&division, &calendar, now),
                    )
                    .await
                })
            })
            .await;
        self.audit_refusal(actor, "evaluation.rate", case_ref, result)
            .await
    }

    /// The stages the window's pad may take a rating of now (一次一评), for a clerk of the
    /// case's centre.
    pub async fn pad_stages(
        &self,
        actor: &Actor,
        case_ref: &str,
    ) -> Result<Vec<RatingStage>, AppError> {
        let readers = self.store().readers();
        let case = case_rows::load(readers, case_ref)
            .await?
            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
        match access::decide_rating_pad(&actor.principal, &facts(&case)) {
            Decision::Allow => {}
            Decision::Hide => return Err(AppError::not_found(format!("case {case_ref}"))),
            Decision::Refuse(reason) => return Err(AppError::Forbidden(reason)),
        }
        let ratings = rows::ratings_of_case(readers, &case.id).await?;
        Ok(evaluation::open_stages(
            &case,
            &ratings,
            &self.evaluation_policy().await?,
            RatingChannel::OnSite,
            self.today(),
        ))
    }

    /// A signed link that rates the case without a login, for a message to the applicant: the
    /// applicant themselves, or the case's window and department.
    pub async fn rating_link(&self, actor: &Actor, case_ref: &str) -> Result<RatingLink, AppError> {
        let detail = self.case(actor, case_ref).await?;
        let case = case_rows::load(self.store().readers(), &detail.case.id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("case {case_ref}")))?;
        let who = &actor.principal;
        let may = access::decide_rating(who, &facts(&case)).is_allowed()
            || access::decide_rating_pad(who, &facts(&case)).is_allowed()
            || who
                .departments_for(&[Role::Reviewer, Role::Approver])
                .any(|d| d == case.department);
        if !may {
            return Err(AppError::Forbidden(
                "a rating link is made by the applicant, the case's window or its department"
                    .into(),
            ));
        }
        let now = self.now();
        let case_id = case.id.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move { signed_link_in(&mut *conn, &case_id, now).await })
            })
            .await
    }

    /// The case a rating link opens, for its page.
    pub async fn linked_case(&self, token: &str) -> Result<LinkedCase, AppError> {
        let now = self.now();
        let readers = self.store().readers();
        let Some((policy, key)) = rows::settings(readers).await? else {
            return Err(AppError::not_found("a rating link with this address"));
        };
        let policy: RatingPolicy = serde_json::from_str(&policy)
            .map_err(|e| onewindow_store::StoreError::corrupt("evaluation settings", e))?;
        let case_id = open_link(&key, token, now)?;
        let case = case_rows::load(readers, &case_id)
            .await?
            .ok_or_else(|| AppError::not_found("a rating link with this address"))?;
        let ratings = rows::ratings_of_case(readers, &case.id).await?;
        Ok(LinkedCase {
            case_number: case.number.clone(),
            item_name: case.item_name.clone(),
            open_stages: evaluation::open_stages(
                &case,
                &ratings,
                &policy,
                RatingChannel::Online,
                self.today(),
            ),
            ratings,
        })
    }

    /// Rates the case a signed link names, without a login. A forged or altered link finds
    /// nothing; an expired one is refused; refusals are audited.
    pub async fn rate_by_link(
        &self,
        token: &str,
        input: RatingInput,
        source: &str,
    ) -> Result<Rated, AppError> {
        let now = self.now();
        let calendar = self.calendar();
        let division = self.inner.division.clone();
        let actor = Actor::new(
            {
                let mut p = access::Principal::system();
                p.username = "rating-link".into();
                p.display_name = "rating-link".into();
                p
            },
            source,
        );
        let owned_actor = actor.clone();
        let token = token.to_string();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let (_, key) = settings_in(&mut *conn, now).await?;
                    let case_id = open_link(&key, &token, now)?;
                    let case = case_rows::load(&mut *conn, &case_id)
                        .await?
                        .ok_or_else(|| AppError::not_found("a rating link with this address"))?;
                    record(
                        &mut *conn,
                        &owned_actor,
                        &case,
                        &input,
                        Given {
                            channel: RatingChannel::Online,
                            object: RatedObject::Platform,
                            rated_by: "link".into(),
                        },
                        (&division, &calendar, now),
                    )
                    .await
                })
            })
            .await;
        if let Err(e) = &result {
            self.audit_alone(actor.entry(
                now,
                "evaluation.rate",
                "rating-link",
                AuditOutcome::Denied,
                e.to_string(),
            ))
            .await?;
        }
        result
    }

    /// The ratings given from `from` to `to` (China time): a department's staff see their
    /// department's, supervisors all (or one department's).
    pub async fn ratings(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
        department: Option<&str>,
    ) -> Result<Vec<Rating>, AppError> {
        let departments = self.evaluation_scope(actor, department).await?;
        if to < from {
            return Err(AppError::invalid("to", "the period ends before it starts"));
        }
        let until = day_start(to.succ_opt().unwrap_or(to));
        let readers = self.store().readers();
        let mut all = Vec::new();
        match departments {
            None => all = rows::ratings_between(readers, &day_start(from), &until, None).await?,
            Some(list) => {
                for d in list {
                    all.extend(
                        rows::ratings_between(readers, &day_start(from), &until, Some(&d)).await?,
                    );
                }
            }
        }
        Ok(all)
    }

    /// Which departments `actor` may see the evaluation of: `None` for all (a supervisor
    /// without a filter).
    async fn evaluation_scope(
        &self,
        actor: &Actor,
        department: Option<&str>,
    ) -> Result<Option<Vec<String>>, AppError> {
        let who = &actor.principal;
        if who.has_role(Role::Supervisor) {
            return Ok(department.map(|d| vec![d.to_string()]));
        }
        let own: Vec<String> = who
            .departments_for(&[Role::Reviewer, Role::Approver])
            .map(str::to_string)
            .collect();
        if own.is_empty() {
            let reason = "evaluations are read by the departments rated and by supervisors";
            self.audit_denied(actor, "evaluation.read", "evaluation".into(), reason)
                .await?;
            return Err(AppError::Forbidden(reason.into()));
        }
        Ok(Some(match department {
            Some(d) if own.iter().any(|o| o == d) => vec![d.to_string()],
            Some(d) => {
                return Err(AppError::Forbidden(format!(
                    "department {d}'s evaluations are read by its own staff and by supervisors"
                )));
            }
            None => own,
        }))
    }

    /// Rectifications opened since `from` or still open: a department's staff see theirs,
    /// supervisors all.
    pub async fn rectifications(
        &self,
        actor: &Actor,
        from: NaiveDate,
    ) -> Result<Vec<Rectification>, AppError> {
        let readers = self.store().readers();
        let from = from.to_string();
        Ok(match self.evaluation_scope(actor, None).await? {
            None => rows::rectifications(readers, None, &from).await?,
            Some(list) => {
                let mut all = Vec::new();
                for d in list {
                    all.extend(rows::rectifications(readers, Some(&d), &from).await?);
                }
                all
            }
        })
    }

    /// One rectification and the rating that opened it, for its department, supervisors and the
    /// applicant.
    pub async fn rectification(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(Rectification, Option<Rating>), AppError> {
        let readers = self.store().readers();
        let not_found = || AppError::not_found(format!("rectification {id}"));
        let r = rows::rectification(readers, id)
            .await?
            .ok_or_else(not_found)?;
        let case = case_rows::load(readers, &r.case_id)
            .await?
            .ok_or_else(not_found)?;
        if !access::decide_rectification(
            &actor.principal,
            RectificationOperation::Read,
            &r.department,
            &facts(&case),
        )
        .is_allowed()
        {
            return Err(not_found());
        }
        // Opened by a rating, or by a return visit's follow-up (`visit:<id>`): no rating then.
        let rating = rows::rating(readers, &r.rating_id).await?;
        Ok((r, rating))
    }

    /// A step of a rectification, if it is still at `expected_version`. An appeal upheld takes
    /// the rating out of the figures.
    pub async fn rectify(
        &self,
        actor: &Actor,
        id: &str,
        expected_version: u64,
        command: RectificationCommand,
    ) -> Result<Rectification, AppError> {
        let now = self.now();
        let owned_actor = actor.clone();
        let owned_id = id.to_string();
        let result = self
            .store()
            .write(move |conn| {
                Box::pin(async move {
                    let actor = owned_actor;
                    let not_found = || AppError::not_found(format!("rectification {owned_id}"));
                    let r = rows::rectification(&mut *conn, &owned_id)
                        .await?
                        .ok_or_else(not_found)?;
                    let case = case_rows::load(&mut *conn, &r.case_id)
                        .await?
                        .ok_or_else(not_found)?;
                    let op = match command.role() {
                        evaluation::RectifierRole::Department => RectificationOperation::Work,
                        evaluation::RectifierRole::Supervisor => {
                            RectificationOperation::DecideAppeal
                        }
                        evaluation::RectifierRole::Applicant => {
                            RectificationOperation::GiveFeedback
                        }
                    };
                    let decision = access::decide_rectification(
                        &actor.principal,
                        op,
                        &r.department,
                        &facts(&case),
                    );
                    if decision != Decision::Allow {
                        refusal(decision, &case, &case.number)?;
                    }
                    if r.version != expected_version {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: r.version,
                        });
                    }
                    let next = r
                        .apply(command, actor.username(), now, local_date(now))
                        .map_err(rectification_error)?;
                    if !rows::update_rectification(&mut *conn, &next, r.version).await? {
                        return Err(AppError::VersionConflict {
                            expected: expected_version,
                            current: r.version + 1,
                        });
                    }
                    if let Some(evaluation::Outcome::AppealUpheld { reason }) = &next.outcome
                        && next.state == RectificationState::Closed
                        && let Some(mut rating) = rows::rating(&mut *conn, &next.rating_id).await?
                    {
                        rating.excluded = Some(reason.clone());
                        rows::update_rating(&mut *conn, &rating).await?;
                    }
                    let step = next
                        .history
                        .last()
                        .map(|s| serde_json::to_value(&s.command).unwrap_or_default())
                        .unwrap_or_default();
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "evaluation.rectify",
                            format!("case:{}", next.case_number),
                            AuditOutcome::Success,
                            format!("rectification {}: {}", next.id, next.state.as_str()),
                        ),
                    )
                    .await?;
                    let message = serde_json::json!({
                        "rectification_id": next.id,
                        "case_number": next.case_number,
                        "department": next.department,
                        "state": next.state,
                        "step": step,
                    });
                    enqueue_outbox(
                        &mut *conn,
                        "rectification.changed",
                        &message.to_string(),
                        &now.to_rfc3339(),
                    )
                    .await?;
                    Ok(next)
                })
            })
            .await;
        self.audit_refusal_of(
            actor,
            "evaluation.rectify",
            &format!("rectification {id}"),
            result,
        )
        .await
    }

    /// The ratings given and the rectifications opened (or still open) in a period, of one
    /// department or all, read without a reader's scope (for figures a caller is allowed).
    pub(crate) async fn evaluation_records(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        department: Option<&str>,
    ) -> Result<(Vec<Rating>, Vec<Rectification>), AppError> {
        let readers = self.store().readers();
        let ratings = rows::ratings_between(
            readers,
            &day_start(from),
            &day_start(to.succ_opt().unwrap_or(to)),
            department,
        )
        .await?;
        let rectifications = rows::rectifications(readers, department, &from.to_string()).await?;
        Ok((ratings, rectifications))
    }

    /// The ranking of departments, windows or staff by the ratings given in a period (a
    /// department's staff see their own department's ratings, supervisors all).
    pub async fn rating_ranking(
        &self,
        actor: &Actor,
        unit: evaluation::RatingUnit,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<evaluation::RatingRank>, AppError> {
        let ratings = self.ratings(actor, from, to, None).await?;
        Ok(evaluation::rank_ratings(&ratings, unit))
    }

    /// The evaluation figures of a period, of one department or the county: a department's
    /// staff their own, supervisors any.
    pub async fn evaluation_figures(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
        department: Option<&str>,
    ) -> Result<EvaluationFigures, AppError> {
        let ratings = self.ratings(actor, from, to, department).await?;
        let mut rectifications = self.rectifications(actor, from).await?;
        if let Some(d) = department {
            rectifications.retain(|r| r.department == d);
        }
        Ok(evaluation_figures(&ratings, &rectifications, from, to))
    }
}

mod complaints;
mod visits;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_only_its_case_until_it_expires() {
        let now = DateTime::<Utc>::from_timestamp(1_796_342_400, 0).expect("a time");
        let expires = now.timestamp() + 3600;
        let signature = hex(&link_mac("key", "case-1", expires).finalize().into_bytes());
        let token = format!("case-1.{expires}.{signature}");
        assert_eq!(
            open_link("key", &token, now).ok().as_deref(),
            Some("case-1")
        );
        assert!(matches!(
            open_link("other-key", &token, now),
            Err(AppError::NotFound { .. })
        ));
        let forged = format!("case-2.{expires}.{signature}");
        assert!(matches!(
            open_link("key", &forged, now),
            Err(AppError::NotFound { .. })
        ));
        let later = format!("case-1.{}.{signature}", expires + 1);
        assert!(matches!(
            open_link("key", &later, now),
            Err(AppError::NotFound { .. })
        ));
        assert!(matches!(
            open_link("key", &token, now + Duration::hours(2)),
            Err(AppError::Conflict(_))
        ));
        assert!(open_link("key", "nonsense", now).is_err());
    }
}
