//! Centres, windows and departments.

use onewindow_domain::catalogue::Level;
use onewindow_domain::hall::WindowKind;

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
    /// The centre whose points and windows are listed (`?under=`); empty for the county's
    /// centres and the townships'.
    pub(super) under: String,
    /// How many village points each township's centre has.
    pub(super) points: std::collections::HashMap<String, usize>,
}

impl HallPage {
    /// The centres listed: the children of `under` (and itself), or the county's and the
    /// townships' centres.
    fn listed(&self) -> Vec<&Centre> {
        self.centres
            .iter()
            .filter(|c| {
                if self.under.is_empty() {
                    c.level != Level::Village
                } else {
                    c.code == self.under || c.parent == self.under
                }
            })
            .collect()
    }

    /// The windows of the listed centres.
    fn listed_windows(&self) -> Vec<&Window> {
        let listed: Vec<&str> = self.listed().iter().map(|c| c.code.as_str()).collect();
        self.windows
            .iter()
            .filter(|w| listed.contains(&w.centre.as_str()))
            .collect()
    }

    fn points_of(&self, code: &str) -> usize {
        self.points.get(code).copied().unwrap_or(0)
    }

    fn level_name(&self, level: &Level) -> String {
        self.chrome
            .t
            .get(&format!("hall-level-{}", level.as_str()))
            .to_string()
    }

    fn kind_name(&self, kind: &WindowKind) -> String {
        self.chrome
            .t
            .get(&format!("hall-kind-{}", kind.as_str()))
            .to_string()
    }

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
    under: &str,
) -> Response {
    let centres = service.centres().await.unwrap_or_default();
    let mut points = std::collections::HashMap::new();
    for c in centres.iter().filter(|c| c.level == Level::Village) {
        *points.entry(c.parent.clone()).or_insert(0) += 1;
    }
    let page = HallPage {
        chrome: ctx.chrome.clone(),
        under: under.to_string(),
        points,
        centres,
        windows: service.windows().await.unwrap_or_default(),
        departments: service.departments().await.unwrap_or_default(),
        errors,
        failed_form,
    };
    (status, render(&page)).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct HallQuery {
    #[serde(default)]
    pub(super) under: String,
}

pub(super) async fn hall(
    State(service): State<Service>,
    Admin { ctx, .. }: Admin,
    Query(query): Query<HallQuery>,
) -> PageResult {
    Ok(hall_page(
        &service,
        &ctx,
        FieldErrors::default(),
        "",
        StatusCode::OK,
        query.under.trim(),
    )
    .await)
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
    #[serde(default)]
    pub(super) level: String,
    #[serde(default)]
    pub(super) parent: String,
    #[serde(default)]
    pub(super) division: String,
    #[serde(default)]
    pub(super) opens: String,
    #[serde(default)]
    pub(super) closes: String,
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
        level: Level::parse(form.level.trim()).unwrap_or(Level::County),
        parent: form.parent.trim().to_string(),
        division: form.division.trim().to_string(),
        opens: form.opens.trim().to_string(),
        closes: form.closes.trim().to_string(),
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
    #[serde(default)]
    pub(super) kind: String,
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
        kind: WindowKind::parse(form.kind.trim()).unwrap_or(WindowKind::Comprehensive),
        items: Vec::new(),
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

#[derive(Debug, Deserialize)]
pub(super) struct ImportForm {
    #[serde(default)]
    pub(super) csrf_token: String,
    /// The network as JSON (`{"centres": [...], "windows": [...]}`).
    #[serde(default)]
    pub(super) document: String,
    /// Or as two CSV files with header rows: the centres and the windows.
    #[serde(default)]
    pub(super) centres_csv: String,
    #[serde(default)]
    pub(super) windows_csv: String,
}

pub(super) async fn import_hall(
    State(service): State<Service>,
    Admin { ctx, session, .. }: Admin,
    CsrfForm(form): CsrfForm<ImportForm>,
) -> PageResult {
    let parsed = if form.document.trim().is_empty() {
        onewindow_app::hall::HallImport::from_csv(&form.centres_csv, &form.windows_csv)
    } else {
        serde_json::from_str::<onewindow_app::hall::HallImport>(&form.document).map_err(|e| {
            AppError::invalid(
                "document",
                format!("the network file is not the JSON of an export: {e}"),
            )
        })
    };
    let result = match parsed {
        Ok(document) => service
            .import_hall(&session.actor, document)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    Ok(hall_result(&service, &ctx, result, "import").await)
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
                &[
                    "code",
                    "name",
                    "centre",
                    "departments",
                    "parent",
                    "division",
                    "opens",
                    "document",
                    "centres_csv",
                    "windows_csv",
                ],
            );
            hall_page(
                service,
                ctx,
                errors,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
            )
            .await
        }
        Err(e) => ctx.app_error(e),
    }
}
