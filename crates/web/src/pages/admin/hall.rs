//! Centres, windows and departments.

use super::*;

#[derive(Template)]
#[template(path = "admin/hall.html")]
pub(super) struct HallPage {
    pub(super) chrome: Chrome,
    pub(super) centres: Vec<Centre>,
    pub(super) windows: Vec<Window>,
    pub(super) departments: Vec<Department>,
    pub(super) errors: FieldErrors,
    /// Which form the errors belong to.
    pub(super) failed_form: &'static str,
}

impl HallPage {
    /// A centre's name, not its code.
    fn centre_name(&self, code: &str) -> String {
        crate::pages::case_view::centre_name(self.chrome.t, &self.centres, code)
    }

    /// The names of a window's departments, listed.
    fn department_names(&self, codes: &[String]) -> String {
        let separator = if self.chrome.t.lang() == crate::i18n::Lang::ZhCn {
            "、"
        } else {
            ", "
        };
        codes
            .iter()
            .map(|c| crate::pages::case_view::department_name(self.chrome.t, &self.departments, c))
            .collect::<Vec<_>>()
            .join(separator)
    }
}

pub(super) async fn hall_page(
    service: &Service,
    ctx: &PageCtx,
    errors: FieldErrors,
    failed_form: &'static str,
    status: StatusCode,
) -> Response {
    let page = HallPage {
        chrome: ctx.chrome.clone(),
        centres: service.centres().await.unwrap_or_default(),
        windows: service.windows().await.unwrap_or_default(),
        departments: service.departments().await.unwrap_or_default(),
        errors,
        failed_form,
    };
    (status, render(&page)).into_response()
}

pub(super) async fn hall(State(service): State<Service>, Admin { ctx, .. }: Admin) -> PageResult {
    Ok(hall_page(&service, &ctx, FieldErrors::default(), "", StatusCode::OK).await)
}

#[derive(Debug, Deserialize)]
pub(super) struct CentreForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) code: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) name_en: String,
    #[serde(default)]
    pub(super) address: String,
    #[serde(default)]
    pub(super) phone: String,
}

pub(super) async fn save_centre(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<CentreForm>,
) -> PageResult {
    let actor = session.actor;
    let centre = Centre {
        code: form.code.trim().to_string(),
        name: form.name.trim().to_string(),
        name_en: form.name_en.trim().to_string(),
        address: form.address.trim().to_string(),
        phone: form.phone.trim().to_string(),
    };
    Ok(hall_result(
        &service,
        &ctx,
        service.save_centre(&actor, centre).await,
        "centre",
    )
    .await)
}

#[derive(Debug, Deserialize)]
pub(super) struct WindowForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) centre: String,
    #[serde(default)]
    pub(super) code: String,
    #[serde(default)]
    pub(super) name: String,
    /// Department codes separated by spaces or commas.
    #[serde(default)]
    pub(super) departments: String,
}

pub(super) async fn save_window(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<WindowForm>,
) -> PageResult {
    let actor = session.actor;
    let window = Window {
        centre: form.centre.trim().to_string(),
        code: form.code.trim().to_string(),
        name: form.name.trim().to_string(),
        departments: form
            .departments
            .split([',', ' ', '，'])
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(String::from)
            .collect(),
    };
    Ok(hall_result(
        &service,
        &ctx,
        service.save_window(&actor, window).await,
        "window",
    )
    .await)
}

#[derive(Debug, Deserialize)]
pub(super) struct DepartmentForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    #[serde(default)]
    pub(super) code: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) name_en: String,
}

pub(super) async fn save_department(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<DepartmentForm>,
) -> PageResult {
    let actor = session.actor;
    let department = Department {
        code: form.code.trim().to_string(),
        name: form.name.trim().to_string(),
        name_en: form.name_en.trim().to_string(),
    };
    Ok(hall_result(
        &service,
        &ctx,
        service.save_department(&actor, department).await,
        "department",
    )
    .await)
}

pub(super) async fn hall_result(
    service: &Service,
    ctx: &PageCtx,
    result: Result<(), AppError>,
    form: &'static str,
) -> Response {
    match result {
        Ok(()) => see_other("/admin/hall?saved=1"),
        Err(AppError::Invalid(errors)) => {
            let errors = FieldErrors::from(
                ctx.chrome.t,
                &errors,
                &["code", "name", "centre", "departments"],
            );
            hall_page(service, ctx, errors, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => ctx.app_error(e),
    }
}
