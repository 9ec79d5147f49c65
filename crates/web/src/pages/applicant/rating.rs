//! The applicant's rating of their own case (好差评) and of how a 差评 was put right: the forms of
//! the case page's rating panel. The form's words and rules are the evaluation pages' and the
//! service's.

use super::*;
use crate::pages::case_view::FormFields;
use crate::pages::evaluation::{place_error, rating_form, rating_input};
use onewindow_domain::evaluation::{Feedback, RatingChannel, RectificationCommand};

pub(super) async fn rate_own_case(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Applicant, Role::Agent])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let t = ctx.chrome.t;
    match service
        .rate_case(&session.actor, &id, rating_input(&form))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/my/cases/{}?done=rated#rating",
            encode_query_value(&id)
        ))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let ratings = service
                .case_ratings(&session.actor, &id)
                .await
                .map_err(|e| ctx.app_error(e))?;
            let mut rating_form = rating_form(
                t,
                format!("/my/cases/{}/rating", encode_query_value(&id)),
                &ratings.open_stages,
                RatingChannel::Online,
                Some(&form),
            );
            let status = if matches!(e, AppError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            place_error(t, &mut rating_form, e);
            case_with_rating_form(&service, &ctx, session, &id, rating_form, status).await
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

pub(super) async fn give_feedback(
    State(service): State<Service>,
    ctx: PageCtx,
    Path((id, rid)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<VersionQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(&[Role::Applicant, Role::Agent])?;
    let form = FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let feedback = match form.value("feedback") {
        "satisfied" => Feedback::Satisfied,
        "basically_satisfied" => Feedback::BasicallySatisfied,
        _ => Feedback::Dissatisfied,
    };
    match service
        .rectify(
            &session.actor,
            &rid,
            q.version,
            RectificationCommand::GiveFeedback { feedback },
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/my/cases/{}?done=feedback#rating",
            encode_query_value(&id)
        ))),
        Err(e) => Ok(ctx.app_error(e)),
    }
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct VersionQuery {
    version: u64,
}
