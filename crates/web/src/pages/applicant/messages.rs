//! The applicant's inbox (站内信, `/my/messages`): every message about their cases, newest
//! first, whatever also went by SMS or e-mail; and their choices of how they are told.

use super::*;
use onewindow_app::messages::InboxMessage;
use onewindow_domain::notice::Preferences;

/// One message as the page shows it.
pub(super) struct MessageRow {
    id: String,
    subject: String,
    body: String,
    at: String,
    case_href: String,
    read: bool,
}

#[derive(Template)]
#[template(path = "applicant/messages.html")]
pub(super) struct MessagesPage {
    chrome: Chrome,
    rows: Vec<MessageRow>,
    unread: String,
    next: Option<String>,
    paged: bool,
    sms: bool,
    email: bool,
    language: String,
    /// The choices' refusal, next to the form.
    error: Option<String>,
    saved: bool,
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct InboxQuery {
    cursor: Option<String>,
    #[serde(default)]
    done: String,
}

fn row(m: InboxMessage) -> impl FnOnce(&Messages) -> MessageRow {
    move |t| MessageRow {
        at: t.time(&m.created_at),
        case_href: format!("/my/cases/{}", encode_query_value(&m.case_id)),
        id: m.id,
        subject: m.subject,
        body: m.body,
        read: m.read,
    }
}

async fn page(
    service: &Service,
    ctx: &PageCtx,
    session: &Authenticated,
    cursor: Option<String>,
    chosen: Option<(Preferences, Option<String>)>,
) -> Result<MessagesPage, Response> {
    let t = ctx.chrome.t;
    let paged = cursor.is_some();
    let found = service
        .my_messages(&session.actor, cursor, Some(PAGE_SIZE))
        .await
        .map_err(|e| ctx.app_error(e))?;
    let unread = service
        .unread_messages(&session.actor)
        .await
        .map_err(|e| ctx.app_error(e))?;
    let (preferences, error) = match chosen {
        Some(c) => c,
        None => (
            service
                .message_preferences(&session.actor)
                .await
                .map_err(|e| ctx.app_error(e))?,
            None,
        ),
    };
    Ok(MessagesPage {
        chrome: ctx.chrome.clone(),
        rows: found.items.into_iter().map(|m| row(m)(t)).collect(),
        unread: unread.to_string(),
        next: found
            .next_cursor
            .map(|c| format!("/my/messages?cursor={}", encode_query_value(&c))),
        paged,
        sms: preferences.sms,
        email: preferences.email,
        language: preferences.language,
        error,
        saved: false,
    })
}

pub(super) async fn inbox(
    State(service): State<Service>,
    ctx: PageCtx,
    Query(q): Query<InboxQuery>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    let mut page = page(&service, &ctx, session, q.cursor, None).await?;
    page.saved = q.done == "saved";
    Ok(render(&page))
}

pub(super) async fn mark_read(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    let form = case_view::FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    match service.mark_message_read(&session.actor, &id).await {
        Ok(()) => Ok(see_other(&format!(
            "/my/messages#m-{}",
            encode_query_value(&id)
        ))),
        Err(e) => Ok(ctx.app_error(e)),
    }
}

pub(super) async fn save_preferences(
    State(service): State<Service>,
    ctx: PageCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = ctx.require_role(PUBLIC_ROLES)?;
    let form = case_view::FormFields(pairs);
    ctx.check_csrf(form.value("csrf_token"))?;
    let chosen = Preferences {
        sms: form.value("sms") == "on",
        email: form.value("email") == "on",
        language: form.value("language").to_string(),
    };
    match service
        .set_message_preferences(&session.actor, chosen.clone())
        .await
    {
        Ok(_) => Ok(see_other("/my/messages?done=saved#preferences")),
        Err(AppError::Invalid(errors)) => {
            let message = errors
                .iter()
                .map(|e| e.reason.clone())
                .collect::<Vec<_>>()
                .join("; ");
            let text = ctx
                .chrome
                .t
                .fill1("messages-preferences-invalid", "reason", &message);
            let page = page(&service, &ctx, session, None, Some((chosen, Some(text)))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}
