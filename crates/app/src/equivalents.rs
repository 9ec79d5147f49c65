//! The list of equivalent materials (材料等同清单): which material names are the same document,
//! kept by administrators, so that a joint-approval bundle asks each document once however its
//! members name it. The rules are the domain's (`bundle::check_equivalent_groups`,
//! `bundle::Equivalence`); every plan of a bundle reads the stored list
//! (`case_sync::equivalence`).

use onewindow_domain::access::Operation;
use onewindow_domain::audit::Outcome;
use onewindow_domain::bundle::{check_equivalent_groups, normalise_equivalent_groups};
use onewindow_store::audit as audit_rows;
use onewindow_store::equivalents as equivalent_rows;

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;

impl Service {
    /// The list as stored, group by group. Open to everyone: the bundles it shapes are public,
    /// and an applicant may want to know why two names are asked once.
    pub async fn material_equivalents(&self) -> Result<Vec<Vec<String>>, AppError> {
        Ok(equivalent_rows::load(self.store().readers()).await?)
    }

    /// Replaces the list (administrators), names trimmed; refused with every problem named
    /// (`groups[i]`, `groups[i][j]`) when a group breaks a rule. Audited as a catalogue change.
    /// Cases already filed keep the plan they were filed with; bundles shown and filed from now
    /// on merge by the new list.
    pub async fn save_material_equivalents(
        &self,
        actor: &Actor,
        groups: Vec<Vec<String>>,
    ) -> Result<Vec<Vec<String>>, AppError> {
        self.require(actor, Operation::ManageCatalogue).await?;
        let errors = check_equivalent_groups(&groups);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let groups = normalise_equivalent_groups(groups);
        let actor = actor.clone();
        let now = self.now();
        let saved = groups.clone();
        self.store()
            .write(move |conn| {
                Box::pin(async move {
                    equivalent_rows::save(&mut *conn, &saved, actor.username(), &now.to_rfc3339())
                        .await?;
                    let names: usize = saved.iter().map(Vec::len).sum();
                    audit_rows::append(
                        &mut *conn,
                        actor.entry(
                            now,
                            "catalogue.material_equivalents",
                            "material_equivalents".to_string(),
                            Outcome::Success,
                            format!("{} groups, {names} names", saved.len()),
                        ),
                    )
                    .await?;
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(groups)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;
    use onewindow_domain::access::{Post, Principal, Role};
    use onewindow_domain::calendar::Calendar;

    use super::*;
    use crate::clock::ManualClock;

    struct TempDir(std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn service() -> (Service, TempDir) {
        let dir = TempDir(
            std::env::temp_dir().join(format!("onewindow-equivalents-{}", uuid::Uuid::now_v7())),
        );
        let url = match std::env::var("ONEWINDOW_TEST_POSTGRES") {
            Ok(base) if !base.is_empty() => {
                onewindow_store::create_scratch_postgres(&base, "onewindow_test")
                    .await
                    .expect("PostgreSQL reachable for the test suite")
            }
            _ => onewindow_store::data_dir_url(&dir.0).expect("url"),
        };
        let store = onewindow_store::Store::open(&url).await.expect("store");
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let clock = Arc::new(ManualClock::at_local_morning(day));
        (Service::new(store, Calendar::prc(), clock, "330226"), dir)
    }

    fn actor(username: &str, role: Role) -> Actor {
        let post = if role == Role::Clerk {
            Post::new(role).at_centre("county-hall")
        } else {
            Post::new(role)
        };
        Actor::new(
            Principal {
                user_id: format!("u-{username}"),
                username: username.into(),
                display_name: username.into(),
                identity: None,
                posts: vec![post],
                may_reveal_personal_data: false,
            },
            "test",
        )
    }

    #[tokio::test]
    async fn administrators_keep_the_list_and_nobody_else_may() {
        let (service, _dir) = service().await;
        let admin = actor("admin", Role::Administrator);
        let saved = service
            .save_material_equivalents(
                &admin,
                vec![vec![
                    " 营业执照 ".into(),
                    "营业执照或者其他主体资格证明文件".into(),
                ]],
            )
            .await
            .expect("saved");
        assert_eq!(saved[0][0], "营业执照");
        assert_eq!(service.material_equivalents().await.expect("read"), saved);

        let clerk = actor("clerk", Role::Clerk);
        assert!(matches!(
            service
                .save_material_equivalents(&clerk, vec![])
                .await
                .expect_err("a clerk may not"),
            AppError::Forbidden(_)
        ));
        let Err(AppError::Invalid(errors)) = service
            .save_material_equivalents(&admin, vec![vec!["营业执照".into()]])
            .await
        else {
            panic!("a group of one is refused");
        };
        assert_eq!(errors[0].field, "groups[0]");
        // Refusals change nothing.
        assert_eq!(service.material_equivalents().await.expect("read"), saved);
    }
}
