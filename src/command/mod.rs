//! The commands that are not the report pipeline, as argument glue over the stages:
//! `metrics diff`, `params diff` and `plots diff` (DVC's commands), `comment` (a markdown
//! file of the user's as the sticky report) and `action` (the GitHub Action's inputs as
//! `report` flags).

pub mod action;
pub mod comment;
pub mod dvc;

use std::io::Write as _;
use std::process::ExitCode;

/// What a successful run leaves: data for stdout and whether a gate failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Printed to stdout as is.
    pub stdout: String,
    /// A configured gate failed: exit code 1.
    pub gate_failed: bool,
}

impl Outcome {
    /// Prints the data and returns the exit code (0, or 1 for a failed gate).
    pub fn finish(self) -> ExitCode {
        let mut stdout = std::io::stdout().lock();
        if let Err(error) = stdout
            .write_all(self.stdout.as_bytes())
            .and_then(|()| stdout.flush())
            && error.kind() != std::io::ErrorKind::BrokenPipe
        {
            eprintln!("error: cannot write to stdout: {error}");
            return ExitCode::from(2);
        }
        if self.gate_failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}
