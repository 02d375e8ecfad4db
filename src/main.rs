//! The `mlci` binary: parse the command line, read the environment, run, map the outcome to
//! an exit code. Everything else is in the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = mlci::cli::Cli::parse(); // usage errors exit with 2
    mlci::logger::init(cli.verbose, cli.quiet);
    let ci = mlci::ci::CiContext::from_env();
    match mlci::run(cli, &ci) {
        Ok(outcome) => outcome.finish(),
        Err(error) => {
            mlci::print_error(&error);
            ExitCode::from(2)
        }
    }
}
