//! Accounts, their posts and the personal-data grant.

use super::*;

#[derive(Template)]
#[template(path = "admin/users.html")]
pub(super) struct UsersPage {
    pub(super) chrome: Chrome,
    pub(super) users: Vec<UserView>,
    pub(super) roles: Vec<Choice>,
    pub(super) errors: FieldErrors,
    /// What was typed into the creation form, shown again with its errors.
    pub(super) draft: NewUserForm,
    pub(super) notice: Option<String>,
}

impl UsersPage {
    pub(super) fn posts_text(&self, posts: &[Post]) -> String {
        Post::specs(posts)
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct NewUserForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) username: String,
    #[serde(default)]
    pub(super) display_name: String,
    #[serde(default)]
    pub(super) password: String,
    #[serde(default)]
    pub(super) identity: String,
    #[serde(default)]
    pub(super) posts: String,
    #[serde(default)]
    pub(super) may_reveal: Option<String>,
}

pub(super) async fn users_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &onewindow_app::Actor,
    errors: FieldErrors,
    draft: NewUserForm,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let users = match service.users(actor).await {
        Ok(u) => u,
        Err(e) => return ctx.app_error(e),
    };
    let t = ctx.chrome.t;
    let page = UsersPage {
        chrome: ctx.chrome.clone(),
        users,
        roles: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str(),
                label: ctx.chrome.role_label(r).to_string(),
            })
            .collect(),
        errors,
        draft: NewUserForm {
            password: String::new(),
            ..draft
        },
        notice,
    };
    let _ = t;
    (status, render(&page)).into_response()
}

pub(super) async fn users(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
) -> PageResult {
    let actor = session.actor;
    Ok(users_page(
        &service,
        &ctx,
        &actor,
        FieldErrors::default(),
        NewUserForm::default(),
        None,
        StatusCode::OK,
    )
    .await)
}

pub(super) async fn create_user(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<NewUserForm>,
) -> PageResult {
    let actor = session.actor;
    let t = ctx.chrome.t;
    let posts = match Post::parse_specs(&form.posts) {
        Ok(p) => p,
        Err(bad) => {
            let errors = FieldErrors::from(
                t,
                &[FieldError::new(
                    "posts",
                    t.fill1("admin-error-post", "post", &bad),
                )],
                &["posts"],
            );
            return Ok(users_page(
                &service,
                &ctx,
                &actor,
                errors,
                form,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await);
        }
    };
    let result = service
        .create_user(
            &actor,
            NewUser {
                username: form.username.clone(),
                display_name: form.display_name.clone(),
                password: form.password.clone(),
                identity: Some(form.identity.clone()).filter(|s| !s.trim().is_empty()),
                phone: None,
                posts,
                may_reveal_personal_data: form.may_reveal.is_some(),
            },
        )
        .await;
    Ok(match result {
        Ok(user) => {
            let notice = Some(t.fill1("admin-user-created", "name", &user.username));
            users_page(
                &service,
                &ctx,
                &actor,
                FieldErrors::default(),
                NewUserForm::default(),
                notice,
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Invalid(errors)) => {
            let errors = FieldErrors::from(t, &errors, USER_FIELDS);
            users_page(
                &service,
                &ctx,
                &actor,
                errors,
                form,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(reason)) => {
            let errors = FieldErrors::from(t, &[FieldError::new("username", reason)], USER_FIELDS);
            users_page(
                &service,
                &ctx,
                &actor,
                errors,
                form,
                None,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

pub(super) const USER_FIELDS: &[&str] =
    &["username", "display_name", "password", "identity", "posts"];

pub(super) async fn user_change(
    service: Service,
    Admin { ctx, session, .. }: Admin,
    username: String,
    csrf: String,
    change: impl AsyncFnOnce(&Service, &onewindow_app::Actor) -> Result<UserView, AppError>,
) -> PageResult {
    let actor = session.actor;
    ctx.check_csrf(&csrf)?;
    let t = ctx.chrome.t;
    Ok(match change(&service, &actor).await {
        Ok(_) => see_other("/admin/users"),
        Err(AppError::Invalid(errors)) => {
            let messages: Vec<String> = errors.iter().map(|e| field_message(t, e)).collect();
            let notice = Some(format!("{username}: {}", messages.join("; ")));
            users_page(
                &service,
                &ctx,
                &actor,
                FieldErrors::default(),
                NewUserForm::default(),
                notice,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    })
}

pub(super) async fn disable_user(
    State(service): State<Service>,
    admin: Admin,
    Path(username): Path<String>,
    Form(form): Form<crate::pages::TokenOnlyForm>,
) -> PageResult {
    let name = username.clone();
    user_change(
        service,
        admin,
        username,
        form.csrf_token,
        async move |s, a| s.set_user_disabled(a, &name, true).await,
    )
    .await
}

pub(super) async fn enable_user(
    State(service): State<Service>,
    admin: Admin,
    Path(username): Path<String>,
    Form(form): Form<crate::pages::TokenOnlyForm>,
) -> PageResult {
    let name = username.clone();
    user_change(
        service,
        admin,
        username,
        form.csrf_token,
        async move |s, a| s.set_user_disabled(a, &name, false).await,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct PostsForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) posts: String,
    #[serde(default)]
    pub(super) may_reveal: Option<String>,
}

pub(super) async fn set_posts(
    State(service): State<Service>,
    admin: Admin,
    Path(username): Path<String>,
    Form(form): Form<PostsForm>,
) -> PageResult {
    let name = username.clone();
    let parsed = Post::parse_specs(&form.posts);
    let may_reveal = form.may_reveal.is_some();
    user_change(
        service,
        admin,
        username,
        form.csrf_token,
        async move |s, a| {
            let posts =
                parsed.map_err(|bad| AppError::invalid("posts", format!("unknown post {bad}")))?;
            s.set_user_posts(a, &name, posts, may_reveal).await
        },
    )
    .await
}
