//! Opening a case's file, and the words beside a provisional due day.

use super::*;

/// A handed-in file, streamed to someone who may read its case (the service decides and audits).
pub async fn file_response(service: &Service, ctx: &PageCtx, file_id: &str) -> Response {
    let Some(session) = ctx.session.as_ref() else {
        return ctx.app_error(AppError::Unauthenticated("log in".into()));
    };
    match service.open_case_file(&session.actor, file_id).await {
        Ok((file, bytes)) => {
            let disposition = format!(
                "inline; filename*=UTF-8''{}",
                encode_query_value(&file.file_name)
            );
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&file.content_type) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            // Materials are personal data: never kept by a shared cache or the browser's disk.
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Err(e) => ctx.app_error(e),
    }
}

/// The words beside a due day counted on the provisional year: the receipt, the window and the
/// applicant say it may move with the State Council's notice.
pub(crate) fn provisional_note(t: &Messages, provisional_year: Option<i32>) -> Option<String> {
    provisional_year.map(|year| t.fill1("applicant-due-provisional", "year", year.to_string()))
}
