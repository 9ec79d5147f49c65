//! `onewindow report monthly`: the monthly inspection report of a month as an HTML file and a PDF
//! (Chinese text with an embedded subset of a CJK font) in a directory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Error};
use clap::Args;
use onewindow_app::Actor;
use onewindow_app::monthly_report::{self, Month};
use onewindow_domain::access::{Post, Principal, Role};
use onewindow_web::i18n::Lang;
use onewindow_web::pages::monitor::{monthly_html, monthly_pdf};

use crate::{StoreArgs, open_existing};

/// Exit code when the PDF has no font to use (sysexits' EX_CONFIG): a set-up problem.
const EXIT_NO_FONT: u8 = 78;

#[derive(Debug, Args)]
pub(crate) struct MonthlyArgs {
    /// The month, YYYY-MM (e.g. 2026-10).
    #[arg(long)]
    month: String,
    /// The directory to write monthly-YYYY-MM.html and monthly-YYYY-MM.pdf into (made if missing).
    #[arg(long)]
    out: PathBuf,
    /// A font file with Chinese glyphs for the PDF (.ttc, .otf or .ttf); default: Noto Sans CJK
    /// from Debian's fonts-noto-cjk.
    #[arg(long, env = monthly_report::FONT_ENV)]
    font: Option<PathBuf>,
    /// The language of the report: zh-CN (default) or en.
    #[arg(long, default_value = "zh-CN")]
    lang: String,
}

/// The command line reads reports as a supervisor: whoever can run the binary against the store
/// already holds its records (as `user` and `audit` act as an administrator).
fn reader() -> Actor {
    let operator = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "operator".into());
    let name = format!("cli:{operator}");
    Actor::new(
        Principal {
            user_id: name.clone(),
            username: name.clone(),
            display_name: name,
            identity: None,
            posts: vec![Post::new(Role::Supervisor)],
            may_reveal_personal_data: false,
        },
        "cli",
    )
}

pub(crate) async fn run(store: &StoreArgs, args: MonthlyArgs) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let month = Month::parse(&args.month).ok_or_else(|| {
        Error::msg(format!(
            "--month {:?}: write the month as 2026-10",
            args.month
        ))
    })?;
    let lang = Lang::parse(&args.lang)
        .ok_or_else(|| Error::msg(format!("--lang {:?}: zh-CN or en", args.lang)))?;
    // The font first: a machine without one learns it before any work is done.
    let font = match monthly_report::load_font(args.font.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_NO_FONT));
        }
    };
    let font_loaded = started.elapsed();
    let service = open_existing(store).await?;
    let report = service
        .monthly_report(&reader(), month)
        .await
        .context(format!("the report of {month}"))?;
    let gathered = started.elapsed();
    let html = monthly_html(&report, lang)?;
    let pdf = tokio::task::spawn_blocking(move || monthly_pdf(&report, lang, &font))
        .await
        .context("the PDF task")??;
    std::fs::create_dir_all(&args.out).context(format!("cannot make {}", args.out.display()))?;
    let html_path = args.out.join(format!("monthly-{month}.html"));
    let pdf_path = args.out.join(format!("monthly-{month}.pdf"));
    std::fs::write(&html_path, &html).context(format!("cannot write {}", html_path.display()))?;
    std::fs::write(&pdf_path, &pdf).context(format!("cannot write {}", pdf_path.display()))?;
    println!("{}", html_path.display());
    println!("{}", pdf_path.display());
    eprintln!(
        "the monthly report of {month}: {} KB HTML, {} KB PDF; font {:.2} s, figures {:.2} s, \
         rendering {:.2} s, in all {:.2} s",
        html.len() / 1024,
        pdf.len() / 1024,
        font_loaded.as_secs_f64(),
        (gathered - font_loaded).as_secs_f64(),
        (started.elapsed() - gathered).as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
