//! `zcc-ledger import FILE...` (SPEC 3.2): the use case is `zcc_app::import`; this shell shows
//! its progress and prints its summary. Exit status: 0 all appended or duplicate, 1 some
//! rejected, 2 fatal.

use std::process::ExitCode;
use std::sync::Arc;

use indicatif::ProgressBar;
use zcc_app::import::{ImportOptions, ImportProgress, import, total_bytes};
use zcc_store::projection::Backend;

use crate::cli::ImportArgs;
use crate::progress;

/// The two bars of an import: bytes read, then log positions folded.
struct Bars {
    reading: ProgressBar,
    folding: ProgressBar,
}

impl ImportProgress for Bars {
    fn read(&self, n: u64) {
        self.reading.inc(n);
    }

    fn rejected(&self, origin: &str, reason: &str) {
        self.reading.suspend(|| eprintln!("{origin}: {reason}"));
    }

    fn projecting(&self, head: u64) {
        self.reading.finish_and_clear();
        self.folding.set_length(head);
        self.folding.reset();
    }

    fn projected(&self, position: u64) {
        self.folding.set_position(position);
    }
}

pub async fn run(log: Arc<dyn Backend>, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let bars = Arc::new(Bars {
        reading: progress::bytes(Some(total_bytes(&args.files)?), "importing"),
        folding: progress::items(None, "projecting"),
    });
    let options = ImportOptions {
        files: args.files,
        batch_size: args.batch_size,
        project: !args.no_project,
    };
    let summary = import(log, options, bars.clone()).await?;
    bars.reading.finish_and_clear();
    bars.folding.finish_and_clear();
    println!("{summary}");
    Ok(if summary.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
