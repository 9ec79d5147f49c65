//! Accounts, their posts and e-mail addresses (administrators).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onewindow_app::Service;
use onewindow_app::accounts::{NewUser, UserView};
use onewindow_domain::access::Post;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiJson;
use crate::extract::Auth;
use crate::problem::Problem;

pub(super) fn routes() -> OpenApiRouter<Service> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
        .routes(routes!(reset_password))
        .routes(routes!(set_posts))
        .routes(routes!(set_email))
}

// ---- accounts ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    username: String,
    display_name: String,
    /// At least 10 characters, not containing the user name.
    password: String,
    /// For applicant accounts: the resident identity number or credit code it stands for.
    identity: Option<String>,
    phone: Option<String>,
    posts: Vec<Post>,
    #[serde(default)]
    may_reveal_personal_data: bool,
}

/// Every account. Administrators only.
#[utoipa::path(get, path = "/users", responses((status = 200, body = [UserView]), (status = 403, body = Problem)))]
async fn list_users(
    State(service): State<Service>,
    Auth(auth): Auth,
) -> Result<Json<Vec<UserView>>, Problem> {
    Ok(Json(service.users(&auth.actor).await?))
}

/// Create an account with its posts (a person may hold several). Administrators only.
#[utoipa::path(post, path = "/users", request_body = NewUserRequest,
    responses((status = 201, body = UserView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(service): State<Service>,
    Auth(auth): Auth,
    ApiJson(body): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    let user = service
        .create_user(
            &auth.actor,
            NewUser {
                username: body.username,
                display_name: body.display_name,
                password: body.password,
                identity: body.identity,
                phone: body.phone,
                posts: body.posts,
                may_reveal_personal_data: body.may_reveal_personal_data,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// One account. Administrators only.
#[utoipa::path(get, path = "/users/{username}", params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn get_user(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(service.user(&auth.actor, &username).await?))
}

/// Disable an account: its sessions and tokens end at once.
#[utoipa::path(post, path = "/users/{username}/disable", params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn disable_user(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .set_user_disabled(&auth.actor, &username, true)
            .await?,
    ))
}

/// Enable a disabled account.
#[utoipa::path(post, path = "/users/{username}/enable", params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn enable_user(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .set_user_disabled(&auth.actor, &username, false)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordRequest {
    password: String,
}

/// Set a new password for an account; its sessions and tokens end.
#[utoipa::path(put, path = "/users/{username}/password", params(("username" = String, Path)),
    request_body = PasswordRequest, responses((status = 200, body = UserView), (status = 422, body = Problem)))]
async fn reset_password(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<PasswordRequest>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .reset_password(&auth.actor, &username, body.password)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostsRequest {
    posts: Vec<Post>,
    #[serde(default)]
    may_reveal_personal_data: bool,
}

/// Replace an account's posts and its personal-data grant (a permission change, audited).
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailRequest {
    /// The address alerts are mailed to; null or absent clears it.
    #[serde(default)]
    email: Option<String>,
}

/// Set the address an account's alerts are mailed to (administrators; audited).
#[utoipa::path(put, path = "/users/{username}/email", params(("username" = String, Path)),
    request_body = EmailRequest, responses((status = 200, body = UserView), (status = 422, body = Problem)))]
pub(crate) async fn set_email(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<EmailRequest>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .set_email(&auth.actor, &username, body.email)
            .await?,
    ))
}

#[utoipa::path(put, path = "/users/{username}/posts", params(("username" = String, Path)),
    request_body = PostsRequest, responses((status = 200, body = UserView), (status = 422, body = Problem)))]
async fn set_posts(
    State(service): State<Service>,
    Auth(auth): Auth,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<PostsRequest>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(
        service
            .set_user_posts(
                &auth.actor,
                &username,
                body.posts,
                body.may_reveal_personal_data,
            )
            .await?,
    ))
}
