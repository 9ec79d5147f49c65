//! The demo's service centres and the comprehensive windows of the county hall.

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;

/// The demo's service centres and windows.
pub fn demo_centres() -> Vec<crate::admin::Centre> {
    let centre = |code: &str, name: &str, name_en: &str, address: &str| crate::admin::Centre {
        code: code.into(),
        name: name.into(),
        name_en: name_en.into(),
        address: address.into(),
        // The county's government service hotline (12345), which answers for every centre.
        phone: "0574-12345".into(),
    };
    vec![
        centre(
            "county-hall",
            "宁海县行政服务中心",
            "Ninghai County Administrative Service Centre",
            "宁海县跃龙街道气象北路",
        ),
        centre(
            "township-yuelong",
            "跃龙街道便民服务中心",
            "Yuelong Subdistrict Service Centre",
            "宁海县跃龙街道",
        ),
        centre(
            "township-xidian",
            "西店镇便民服务中心",
            "Xidian Town Service Centre",
            "宁海县西店镇",
        ),
        centre(
            "village-qiantong",
            "前童镇村级代办点",
            "Qiantong Village Service Point",
            "宁海县前童镇",
        ),
    ]
}

impl Service {
    /// Loads the demo centres, and ten comprehensive windows at the county hall, into a store
    /// that has no centre yet.
    pub async fn seed_demo_hall(&self) -> Result<(), AppError> {
        if !self.centres().await?.is_empty() {
            return Ok(());
        }
        let actor = Actor::command_line("demo");
        for centre in demo_centres() {
            self.save_centre(&actor, centre).await?;
        }
        for n in 1..=10 {
            self.save_window(
                &actor,
                crate::admin::Window {
                    centre: "county-hall".into(),
                    code: format!("{n:02}"),
                    name: format!("综合受理窗口 {n:02}"),
                    departments: Vec::new(),
                },
            )
            .await?;
        }
        Ok(())
    }
}
