//! The demo's couriers, so that the window can post results (快递送达). Their secrets are random
//! and not shown: a real courier is set up with `onewindow courier add`, which prints its secret.

use crate::actor::Actor;
use crate::error::AppError;
use crate::service::Service;

/// The couriers the county posts with.
const DEMO_COURIERS: [(&str, &str); 2] = [("ems", "中国邮政EMS"), ("sf", "顺丰速运")];

impl Service {
    /// Sets up the demo couriers that are not set up yet; the number added.
    pub async fn seed_demo_couriers(&self) -> Result<usize, AppError> {
        let have = self.couriers().await?;
        let mut added = 0;
        for (code, name) in DEMO_COURIERS {
            if have.iter().any(|c| c.code == code) {
                continue;
            }
            self.add_courier(&Actor::command_line("demo"), code, name)
                .await?;
            added += 1;
        }
        Ok(added)
    }
}
