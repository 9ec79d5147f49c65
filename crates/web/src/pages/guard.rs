//! Who may open a page and whether a form is really the visitor's, as extractors: a handler
//! that takes `Member<Administrators>` runs only for an administrator (others get the login page
//! or the refusal page), and one that takes `CsrfForm<T>` only for a form that carries the
//! session's CSRF token.

use std::marker::PhantomData;

use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use onewindow_app::Service;
use onewindow_app::accounts::Authenticated;
use onewindow_domain::access::Role;
use serde::de::DeserializeOwned;

use super::PageCtx;
use super::page_error::PageError;

/// The roles a page is for.
pub trait Roles {
    const ROLES: &'static [Role];
}

/// The county's administrators (catalogue, hall, accounts, calendar).
pub struct Administrators;

impl Roles for Administrators {
    const ROLES: &'static [Role] = &[Role::Administrator];
}

/// A logged-in visitor holding one of `R`'s roles, with the page's context.
pub struct Member<R> {
    pub ctx: PageCtx,
    pub session: Authenticated,
    roles: PhantomData<R>,
}

impl<R: Roles> FromRequestParts<Service> for Member<R> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, service: &Service) -> Result<Self, PageError> {
        let ctx = PageCtx::from_request_parts(parts, service).await?;
        let session = ctx.require_role(R::ROLES)?.clone();
        Ok(Member {
            ctx,
            session,
            roles: PhantomData,
        })
    }
}

/// An administrator's page.
pub type Admin = Member<Administrators>;

/// A form that says which CSRF token it carries.
pub trait CarriesCsrf {
    fn csrf_token(&self) -> &str;
}

/// A posted form whose CSRF token is the session's; any other is refused with the refusal page.
pub struct CsrfForm<T>(pub T);

impl<T> FromRequest<Service> for CsrfForm<T>
where
    T: DeserializeOwned + CarriesCsrf + Send,
{
    type Rejection = PageError;

    async fn from_request(request: Request, service: &Service) -> Result<Self, PageError> {
        let (mut parts, body) = request.into_parts();
        let ctx = PageCtx::from_request_parts(&mut parts, service).await?;
        let request = Request::from_parts(parts, body);
        let Form(form) = Form::<T>::from_request(request, service)
            .await
            .map_err(|rejection| PageError::from(rejection.into_response()))?;
        ctx.check_csrf(form.csrf_token())?;
        Ok(CsrfForm(form))
    }
}
