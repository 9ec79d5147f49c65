//! `onewindow generate`: fills a store with years of cases for measuring at scale.

use std::time::Instant;

use anyhow::Error;
use clap::Args;
use onewindow_app::demo::cases::Generated;

use crate::StoreArgs;

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// How many cases to add (Ninghai receives about 500,000 a year).
    #[arg(long, default_value_t = 10_000)]
    cases: usize,
    /// Over how many years up to today the cases are received.
    #[arg(long, default_value_t = 1)]
    years: u32,
    /// The generator's seed: the same seed and store give the same cases.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Loads the demo catalogue and hall if the store has none, then adds the cases.
pub(crate) async fn run(store: &StoreArgs, args: GenerateArgs) -> Result<(), Error> {
    let service = crate::open(store).await?;
    // The demo loads its hall before any case: a case's window is recorded when it is written.
    if service.seed_demo(0).await?.is_some() {
        eprintln!("loaded the Ninghai demo catalogue");
    }
    let started = Instant::now();
    let step = (args.cases / 20).max(1);
    let next = std::sync::atomic::AtomicUsize::new(step);
    let progress = |done: Generated| {
        if done.cases >= next.load(std::sync::atomic::Ordering::Relaxed) {
            next.store(done.cases + step, std::sync::atomic::Ordering::Relaxed);
            eprintln!(
                "  {} cases, {} events, {:.0} s",
                done.cases,
                done.events,
                started.elapsed().as_secs_f64()
            );
        }
    };
    let done = service
        .generate_history(args.cases, args.years, args.seed, &progress)
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "generated {} cases with {} events over {} year(s) in {:.1} s ({:.0} cases/s)",
        done.cases,
        done.events,
        args.years,
        seconds,
        done.cases as f64 / seconds.max(0.001)
    );
    if store.database.is_none() {
        let mut bytes = 0;
        for name in ["onewindow.db", "onewindow.db-wal"] {
            bytes += std::fs::metadata(store.data.join(name)).map_or(0, |m| m.len());
        }
        println!(
            "store {}: {:.2} GB",
            store.data.display(),
            bytes as f64 / 1e9
        );
    }
    Ok(())
}
