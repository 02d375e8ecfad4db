//! Reading several sides at once: the base from git objects while the head comes from the
//! disk (and, later, matrix cells and history commits beside them).

use crate::inputs::{FilePlan, FileSource, SourceError, collect};
use crate::model::Snapshot;

/// Reads what `plan` names at every source, each on its own thread: the base from git
/// objects while the head comes from the disk. The first error wins.
pub fn read_sides<const N: usize>(
    plan: &FilePlan,
    sources: [&dyn FileSource; N],
) -> Result<[Snapshot; N], SourceError> {
    let results = std::thread::scope(|scope| {
        sources
            .map(|source| scope.spawn(move || collect(plan, source)))
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
    });
    let mut error = None;
    let snapshots = results.map(|result| {
        result.unwrap_or_else(|e| {
            error.get_or_insert(e);
            Snapshot::default()
        })
    });
    if let Some(error) = error {
        return Err(error);
    }
    if log::log_enabled!(log::Level::Info) {
        for (source, snapshot) in sources.iter().zip(&snapshots) {
            log_files(&source.describe(), snapshot);
        }
    }
    Ok(snapshots)
}

/// With `-v`: every file read at a revision, and what came of it.
fn log_files(revision: &str, snapshot: &Snapshot) {
    let files = snapshot.files_read();
    if files.is_empty() {
        log::info!("{revision}: no files found to read");
    }
    for file in files {
        let outcome = [&snapshot.metrics, &snapshot.params]
            .into_iter()
            .find_map(|map| map.get(&file))
            .map(|content| match content {
                Ok(_) => "read".to_owned(),
                Err(problem) => problem.to_string(),
            })
            .unwrap_or_else(|| "read".to_owned());
        log::info!("{revision}: {file}: {outcome}");
    }
    for (file, profile) in &snapshot.data {
        match profile {
            Ok(profile) => log::info!("{revision}: {file}: {} rows profiled", profile.rows),
            Err(problem) => log::info!("{revision}: {file}: {problem}"),
        }
    }
}
