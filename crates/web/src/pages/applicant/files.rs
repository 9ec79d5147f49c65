//! An applicant opening one of their files.

use super::*;

/// A file name for `filename*=UTF-8''…` (RFC 5987/8187): every byte outside `attr-char` encoded.
pub(super) fn rfc5987(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One uploaded file, for whoever may read its case (the service decides; others get 404).
pub(super) async fn open_file(
    State(service): State<Service>,
    ctx: PageCtx,
    Path(file_id): Path<String>,
) -> PageResult {
    let session = ctx.require_login()?;
    Ok(
        match service.open_case_file(&session.actor, &file_id).await {
            Ok((file, bytes)) => (
                [
                    (header::CONTENT_TYPE, file.content_type.clone()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("inline; filename*=UTF-8''{}", rfc5987(&file.file_name)),
                    ),
                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => ctx.app_error(e),
        },
    )
}
