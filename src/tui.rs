//! The full-screen front end.

use crate::settings::Settings;

pub async fn run(settings: Settings) -> i32 {
    crate::line::run(settings).await
}
