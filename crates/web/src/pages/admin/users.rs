//! Accounts, their posts and the personal-data grant; a password reset by the administrator.
//!
//! Posts are chosen with pickers (a role, and the department or the centre the role works in),
//! one row per post, as plain form fields: `post{i}_role`, `post{i}_department`,
//! `post{i}_centre`. A row without a role is empty and ignored, so every form carries one empty
//! row to add a post without JavaScript; the "add" and "remove" buttons send the form back to be
//! drawn again with one row more or less, nothing saved (`static/app.js` does the same in the
//! browser when it can). Whether the posts make sense is the domain's question
//! (`Post::check_all`, asked by the service); its answers are shown beside their rows.

use std::collections::BTreeMap;

use super::*;

/// The most post rows a form is read for: far more than one person holds, few enough that a
/// forged form cannot make the page draw thousands of pickers.
const MAX_POST_ROWS: usize = 32;

/// One post row as the form sent it: codes as chosen, possibly empty.
#[derive(Debug, Clone, Default)]
pub(super) struct PostRow {
    pub(super) role: String,
    pub(super) department: String,
    pub(super) centre: String,
    /// What is wrong with this row, in the page's language.
    pub(super) errors: Vec<String>,
}

impl PostRow {
    fn of(post: &Post) -> Self {
        Self {
            role: post.role.as_str().to_string(),
            department: post.department.clone().unwrap_or_default(),
            centre: post.centre.clone().unwrap_or_default(),
            errors: Vec::new(),
        }
    }

    fn is_blank(&self) -> bool {
        self.role.trim().is_empty()
    }
}

/// The post rows of a submitted form, and what its add or remove button asked for.
#[derive(Debug, Clone, Default)]
pub(super) struct PostRows {
    pub(super) rows: Vec<PostRow>,
    /// How many empty rows to draw after the filled ones (one, or more after "add").
    pub(super) blanks: usize,
    /// The add or the remove button was pressed: draw the form again, save nothing.
    pub(super) editing: bool,
    /// More rows were sent than are read.
    pub(super) too_many: bool,
}

impl PostRows {
    /// Reads `post{i}_{role,department,centre}` in the order of `i`, drops the row whose remove
    /// button was pressed and the empty ones, and adds an empty one if asked.
    fn read(pairs: &[(String, String)]) -> Self {
        let mut by_index: BTreeMap<usize, PostRow> = BTreeMap::new();
        let mut too_many = false;
        let mut remove = None;
        let mut add = false;
        for (key, value) in pairs {
            if key == "remove" {
                remove = value.trim().parse::<usize>().ok();
                continue;
            }
            if key == "add" {
                add = true;
                continue;
            }
            let Some((index, field)) = key
                .strip_prefix("post")
                .and_then(|rest| rest.split_once('_'))
                .and_then(|(n, field)| n.parse::<usize>().ok().map(|n| (n, field)))
            else {
                continue;
            };
            if !by_index.contains_key(&index) && by_index.len() >= MAX_POST_ROWS {
                too_many = true;
                continue;
            }
            let row = by_index.entry(index).or_default();
            let value = value.trim().to_string();
            match field {
                "role" => row.role = value,
                "department" => row.department = value,
                "centre" => row.centre = value,
                _ => {}
            }
        }
        if let Some(i) = remove {
            by_index.remove(&i);
        }
        let sent_blanks = by_index.values().filter(|r| r.is_blank()).count();
        let rows: Vec<PostRow> = by_index.into_values().filter(|r| !r.is_blank()).collect();
        // The form draws one empty row after the filled ones; "add" asks for one more than
        // were sent.
        let blanks = if add { sent_blanks.max(1) + 1 } else { 1 };
        Self {
            rows,
            blanks: blanks.min(MAX_POST_ROWS),
            editing: add || remove.is_some(),
            too_many,
        }
    }

    /// The posts of the filled rows, row by row (`posts[i]` is row `i`), or `None` when a role
    /// is not one of the list's (a forged form), with the row's error set.
    fn posts(&mut self, t: &Messages) -> Option<Vec<Post>> {
        let mut posts = Vec::new();
        let mut ok = true;
        for (i, row) in self.rows.iter_mut().enumerate() {
            if row.is_blank() {
                continue;
            }
            match Role::parse(&row.role) {
                Some(role) => posts.push(Post {
                    role,
                    department: Some(row.department.clone()).filter(|d| !d.is_empty()),
                    centre: Some(row.centre.clone()).filter(|c| !c.is_empty()),
                }),
                None => {
                    row.errors.push(row_message(
                        t,
                        i,
                        t.get("admin-post-error-role").to_string(),
                    ));
                    ok = false;
                }
            }
        }
        ok.then_some(posts)
    }
}

/// "第 2 个岗位：…": a row's error names the row, counted as the page shows them.
fn row_message(t: &Messages, index: usize, reason: String) -> String {
    t.fill(
        "admin-post-row-error",
        &[("n", &(index + 1).to_string()), ("reason", &reason)],
    )
}

/// What the domain said about posts (`Post::check_all`, the service's own checks), in the page's
/// language. The reasons are the service's English words; each known one has its message, and
/// the role of the post it is about is named in the page's language.
fn post_reason(chrome: &Chrome, e: &FieldError, post: Option<&Post>) -> String {
    let t = chrome.t;
    let r = e.reason.as_str();
    let role = post.map(|p| chrome.role_label(&p.role)).unwrap_or_default();
    let with_role = |key: &str| t.fill1(key, "role", role);
    if r.starts_with("give at least one post") {
        t.get("admin-post-error-none").to_string()
    } else if r.ends_with("needs a department") {
        with_role("admin-post-error-needs-department")
    } else if r.ends_with("needs a service centre") {
        with_role("admin-post-error-needs-centre")
    } else if r.ends_with("belongs to no department or centre") {
        with_role("admin-post-error-public")
    } else if r.ends_with("takes no department") {
        with_role("admin-post-error-no-department")
    } else if r.ends_with("takes no service centre") {
        with_role("admin-post-error-no-centre")
    } else if r.starts_with("no department with code") {
        t.get("admin-error-unknown-department").to_string()
    } else if r.starts_with("no service centre") {
        t.get("admin-error-unknown-centre").to_string()
    } else if r.ends_with("is given twice") {
        t.get("admin-post-error-twice").to_string()
    } else if r.starts_with("an administrator sees no cases") {
        t.get("admin-post-error-admin-cases").to_string()
    } else if r.starts_with("you cannot take the administrator post") {
        t.get("admin-post-error-own-admin").to_string()
    } else if r.starts_with("an applicant post needs") {
        t.get("admin-post-error-applicant-identity").to_string()
    } else {
        field_message(t, e)
    }
}

/// Puts the errors about posts beside their rows (`posts[i]…` is row `i`) or above the rows
/// (`posts`); returns the general one and the errors of other fields.
fn place_post_errors(
    chrome: &Chrome,
    rows: &mut PostRows,
    posts: &[Post],
    errors: Vec<FieldError>,
) -> (Option<String>, Vec<FieldError>) {
    let mut general: Vec<String> = Vec::new();
    let mut others = Vec::new();
    for e in errors {
        if e.field == "posts" {
            general.push(post_reason(chrome, &e, None));
            continue;
        }
        let index = e
            .field
            .strip_prefix("posts[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        match index {
            Some(i) if i < rows.rows.len() => {
                let reason = post_reason(chrome, &e, posts.get(i));
                rows.rows[i].errors.push(row_message(chrome.t, i, reason));
            }
            Some(_) => general.push(post_reason(chrome, &e, None)),
            None => others.push(e),
        }
    }
    ((!general.is_empty()).then(|| general.join(" ")), others)
}

/// An option of a picker.
#[derive(Debug, Clone)]
pub(super) struct PickOption {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
    /// For a role: which second picker it takes (`department`, `centre` or empty), for the
    /// script that shows only that one.
    pub(super) takes: &'static str,
}

/// One row of pickers as the page draws it.
#[derive(Debug, Clone)]
pub(super) struct PickerRow {
    /// The row's index in the field names.
    pub(super) index: usize,
    /// The row's number as people count (1, 2, …).
    pub(super) number: usize,
    pub(super) roles: Vec<PickOption>,
    pub(super) departments: Vec<PickOption>,
    pub(super) centres: Vec<PickOption>,
    /// The row's errors, joined.
    pub(super) error: Option<String>,
}

/// The post pickers of a form: the filled rows and one empty row.
#[derive(Debug, Clone)]
pub(super) struct PostPicker {
    /// Keeps the ids of two forms on one page apart.
    pub(super) prefix: String,
    pub(super) rows: Vec<PickerRow>,
    /// An error about the posts as a whole (none given; an administrator with a case post).
    pub(super) error: Option<String>,
}

/// The departments and centres the pickers offer.
pub(super) struct Places {
    pub(super) departments: Vec<Department>,
    pub(super) centres: Vec<Centre>,
}

impl Places {
    async fn load(service: &Service) -> Result<Self, AppError> {
        Ok(Self {
            departments: service.departments().await?,
            centres: service.centres().await?,
        })
    }

    fn department(&self, t: &Messages, code: &str) -> String {
        crate::pages::case_view::department_name(t, &self.departments, code)
    }

    fn centre(&self, t: &Messages, code: &str) -> String {
        crate::pages::case_view::centre_name(t, &self.centres, code)
    }

    /// A post as people read it: "审查人 · 市场监督管理局".
    fn post_label(&self, chrome: &Chrome, post: &Post) -> String {
        let mut label = chrome.role_label(&post.role).to_string();
        if let Some(d) = post.department.as_deref() {
            label.push_str(" · ");
            label.push_str(&self.department(chrome.t, d));
        }
        if let Some(c) = post.centre.as_deref() {
            label.push_str(" · ");
            label.push_str(&self.centre(chrome.t, c));
        }
        label
    }

    fn picker(
        &self,
        chrome: &Chrome,
        prefix: &str,
        rows: &PostRows,
        error: Option<String>,
    ) -> PostPicker {
        let t = chrome.t;
        let blank = PostRow::default();
        let drawn: Vec<&PostRow> = rows
            .rows
            .iter()
            .chain(std::iter::repeat_n(&blank, rows.blanks.max(1)))
            .collect();
        let rows = drawn
            .into_iter()
            .enumerate()
            .map(|(index, row)| PickerRow {
                index,
                number: index + 1,
                roles: Role::ALL
                    .iter()
                    .map(|r| PickOption {
                        value: r.as_str().to_string(),
                        label: chrome.role_label(r).to_string(),
                        selected: Role::parse(&row.role) == Some(*r),
                        takes: if r.needs_department() {
                            "department"
                        } else if r.needs_centre() {
                            "centre"
                        } else {
                            ""
                        },
                    })
                    .collect(),
                departments: self
                    .departments
                    .iter()
                    .map(|d| PickOption {
                        value: d.code.clone(),
                        label: self.department(t, &d.code),
                        selected: d.code == row.department,
                        takes: "",
                    })
                    .collect(),
                centres: self
                    .centres
                    .iter()
                    .map(|c| PickOption {
                        value: c.code.clone(),
                        label: self.centre(t, &c.code),
                        selected: c.code == row.centre,
                        takes: "",
                    })
                    .collect(),
                error: (!row.errors.is_empty()).then(|| row.errors.join(" ")),
            })
            .collect();
        PostPicker {
            prefix: prefix.to_string(),
            rows,
            error,
        }
    }
}

// ---- the list and the creation form ----------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/users.html")]
pub(super) struct UsersPage {
    pub(super) chrome: Chrome,
    pub(super) users: Vec<UserView>,
    pub(super) errors: FieldErrors,
    /// What was typed into the creation form, shown again with its errors.
    pub(super) draft: NewUserForm,
    pub(super) picker: PostPicker,
    pub(super) notice: Option<String>,
    places: Places,
}

impl UsersPage {
    /// An account's posts as people read them, one after the other.
    pub(super) fn posts_text(&self, posts: &[Post]) -> String {
        posts
            .iter()
            .map(|p| self.places.post_label(&self.chrome, p))
            .collect::<Vec<_>>()
            .join(post_separator(&self.chrome))
    }
}

/// Between two posts of one account.
fn post_separator(chrome: &Chrome) -> &'static str {
    match chrome.lang {
        crate::i18n::Lang::En => "; ",
        _ => "；",
    }
}

/// The creation form's fields other than the posts.
#[derive(Debug, Default, Clone)]
pub(super) struct NewUserForm {
    pub(super) username: String,
    pub(super) display_name: String,
    pub(super) identity: String,
    pub(super) may_reveal: bool,
}

impl NewUserForm {
    fn read(form: &HashMap<String, String>) -> Self {
        let text = |k: &str| form.get(k).cloned().unwrap_or_default();
        Self {
            username: text("username"),
            display_name: text("display_name"),
            identity: text("identity"),
            may_reveal: form.contains_key("may_reveal"),
        }
    }
}

/// The creation form as it is drawn again: its fields, its post rows and their errors.
struct NewUserDraft {
    form: NewUserForm,
    rows: PostRows,
    errors: FieldErrors,
    posts_error: Option<String>,
}

impl NewUserDraft {
    fn empty() -> Self {
        Self {
            form: NewUserForm::default(),
            rows: PostRows::default(),
            errors: FieldErrors::default(),
            posts_error: None,
        }
    }
}

async fn users_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &onewindow_app::Actor,
    draft: NewUserDraft,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let users = match service.users(actor).await {
        Ok(u) => u,
        Err(e) => return ctx.app_error(e),
    };
    let places = match Places::load(service).await {
        Ok(p) => p,
        Err(e) => return ctx.app_error(e),
    };
    let picker = places.picker(&ctx.chrome, "new-", &draft.rows, draft.posts_error);
    let page = UsersPage {
        chrome: ctx.chrome.clone(),
        users,
        errors: draft.errors,
        draft: draft.form,
        picker,
        notice,
        places,
    };
    (status, render(&page)).into_response()
}

pub(super) async fn users(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
) -> PageResult {
    Ok(users_page(
        &service,
        &ctx,
        &session.actor,
        NewUserDraft::empty(),
        None,
        StatusCode::OK,
    )
    .await)
}

pub(super) const USER_FIELDS: &[&str] = &["username", "display_name", "password", "identity"];

pub(super) async fn create_user(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = session.actor;
    let mut rows = PostRows::read(&pairs);
    let form: HashMap<String, String> = pairs.into_iter().collect();
    ctx.check_csrf(
        form.get("csrf_token")
            .map(String::as_str)
            .unwrap_or_default(),
    )?;
    let t = ctx.chrome.t;
    let fields = NewUserForm::read(&form);
    let redraw = |rows, errors, posts_error, status| {
        let draft = NewUserDraft {
            form: fields.clone(),
            rows,
            errors,
            posts_error,
        };
        users_page(&service, &ctx, &actor, draft, None, status)
    };
    if rows.editing {
        return Ok(redraw(rows, FieldErrors::default(), None, StatusCode::OK).await);
    }
    let too_many = rows
        .too_many
        .then(|| t.fill1("admin-post-error-too-many", "n", MAX_POST_ROWS.to_string()));
    let posts = match (rows.posts(t), too_many) {
        (Some(posts), None) => posts,
        (_, too_many) => {
            return Ok(redraw(
                rows,
                FieldErrors::default(),
                too_many,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await);
        }
    };
    let result = service
        .create_user(
            &actor,
            NewUser {
                username: fields.username.clone(),
                display_name: fields.display_name.clone(),
                password: form.get("password").cloned().unwrap_or_default(),
                identity: Some(fields.identity.clone()).filter(|s| !s.trim().is_empty()),
                phone: None,
                posts: posts.clone(),
                may_reveal_personal_data: fields.may_reveal,
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
                NewUserDraft::empty(),
                notice,
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Invalid(errors)) => {
            let (posts_error, others) = place_post_errors(&ctx.chrome, &mut rows, &posts, errors);
            let errors = FieldErrors::from(t, &others, USER_FIELDS);
            redraw(rows, errors, posts_error, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict(reason)) => {
            let errors = FieldErrors::from(t, &[FieldError::new("username", reason)], USER_FIELDS);
            redraw(rows, errors, None, StatusCode::CONFLICT).await
        }
        Err(e) => ctx.app_error(e),
    })
}

// ---- one account -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/user.html")]
pub(super) struct UserPage {
    pub(super) chrome: Chrome,
    pub(super) user: UserView,
    pub(super) picker: PostPicker,
    /// The personal-data grant as the form shows it (as sent, after a refused form).
    pub(super) may_reveal: bool,
    pub(super) notice: Option<String>,
    /// A password just set by the reset button: shown this once, never stored in clear.
    pub(super) temporary_password: Option<String>,
    places: Places,
}

impl UserPage {
    pub(super) fn posts_text(&self, posts: &[Post]) -> String {
        posts
            .iter()
            .map(|p| self.places.post_label(&self.chrome, p))
            .collect::<Vec<_>>()
            .join(post_separator(&self.chrome))
    }
}

/// What the account page shows besides the account.
#[derive(Default)]
struct UserPageState {
    /// The rows as sent (after a refused or edited form); the account's posts otherwise.
    rows: Option<PostRows>,
    may_reveal: Option<bool>,
    posts_error: Option<String>,
    notice: Option<String>,
    temporary_password: Option<String>,
}

async fn user_page(
    service: &Service,
    ctx: &PageCtx,
    actor: &onewindow_app::Actor,
    username: &str,
    state: UserPageState,
    status: StatusCode,
) -> Response {
    let user = match service.user(actor, username).await {
        Ok(u) => u,
        Err(e) => return ctx.app_error(e),
    };
    let places = match Places::load(service).await {
        Ok(p) => p,
        Err(e) => return ctx.app_error(e),
    };
    let rows = state.rows.unwrap_or_else(|| PostRows {
        rows: user.posts.iter().map(PostRow::of).collect(),
        ..PostRows::default()
    });
    let picker = places.picker(&ctx.chrome, "edit-", &rows, state.posts_error);
    let no_store = state.temporary_password.is_some();
    let page = UserPage {
        chrome: ctx.chrome.clone(),
        may_reveal: state.may_reveal.unwrap_or(user.may_reveal_personal_data),
        user,
        picker,
        notice: state.notice,
        temporary_password: state.temporary_password,
        places,
    };
    let mut response = (status, render(&page)).into_response();
    if no_store {
        // The temporary password must not stay in a cache or the browser's history.
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct UserQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub(super) async fn user(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(username): Path<String>,
    Query(q): Query<UserQuery>,
) -> PageResult {
    let notice = q
        .saved
        .is_some()
        .then(|| ctx.chrome.t.get("admin-posts-saved").to_string());
    let state = UserPageState {
        notice,
        ..UserPageState::default()
    };
    Ok(user_page(
        &service,
        &ctx,
        &session.actor,
        &username,
        state,
        StatusCode::OK,
    )
    .await)
}

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
                NewUserDraft::empty(),
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

/// Saves an account's posts and personal-data grant from the pickers (or draws the form again
/// with a row more or less).
pub(super) async fn set_posts(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(username): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = session.actor;
    let mut rows = PostRows::read(&pairs);
    let form: HashMap<String, String> = pairs.into_iter().collect();
    ctx.check_csrf(
        form.get("csrf_token")
            .map(String::as_str)
            .unwrap_or_default(),
    )?;
    let t = ctx.chrome.t;
    let may_reveal = form.contains_key("may_reveal");
    if rows.editing {
        let state = UserPageState {
            rows: Some(rows),
            may_reveal: Some(may_reveal),
            ..UserPageState::default()
        };
        return Ok(user_page(&service, &ctx, &actor, &username, state, StatusCode::OK).await);
    }
    let too_many = rows
        .too_many
        .then(|| t.fill1("admin-post-error-too-many", "n", MAX_POST_ROWS.to_string()));
    let posts = match (rows.posts(t), too_many) {
        (Some(posts), None) => posts,
        (_, posts_error) => {
            let state = UserPageState {
                rows: Some(rows),
                may_reveal: Some(may_reveal),
                posts_error,
                ..UserPageState::default()
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(user_page(&service, &ctx, &actor, &username, state, status).await);
        }
    };
    match service
        .set_user_posts(&actor, &username, posts.clone(), may_reveal)
        .await
    {
        Ok(user) => Ok(see_other(&format!(
            "/admin/users/{}?saved=1",
            crate::pages::encode_query_value(&user.username)
        ))),
        Err(AppError::Invalid(errors)) => {
            let (general, others) = place_post_errors(&ctx.chrome, &mut rows, &posts, errors);
            let mut messages: Vec<String> = general.into_iter().collect();
            messages.extend(others.iter().map(|e| field_message(t, e)));
            let state = UserPageState {
                rows: Some(rows),
                may_reveal: Some(may_reveal),
                posts_error: (!messages.is_empty()).then(|| messages.join(" ")),
                ..UserPageState::default()
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(user_page(&service, &ctx, &actor, &username, state, status).await)
        }
        Err(e) => Ok(ctx.app_error(e)),
    }
}

/// Gives an account a new random password, ends its sessions and tokens (the service's
/// `reset_password`, audited as `user.reset_password`) and shows the password to the
/// administrator this once, to hand to the person. The same method serves
/// `onewindow user reset-password`.
pub(super) async fn reset_password(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    Path(username): Path<String>,
    Form(form): Form<crate::pages::TokenOnlyForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let actor = session.actor;
    let password = onewindow_app::accounts::generate_password().or_page(&ctx)?;
    let user = service
        .reset_password(&actor, &username, password.clone())
        .await
        .or_page(&ctx)?;
    let state = UserPageState {
        notice: Some(
            ctx.chrome
                .t
                .fill1("admin-password-reset-done", "name", &user.username),
        ),
        temporary_password: Some(password),
        ..UserPageState::default()
    };
    Ok(user_page(
        &service,
        &ctx,
        &actor,
        &user.username,
        state,
        StatusCode::OK,
    )
    .await)
}
