//! A small stderr logger for the `log` facade: `warning: ...`, plain info lines with `-v`,
//! `debug: ...` with `-vv`. stdout stays for data.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Logger;

static LOGGER: Logger = Logger;

/// Installs the logger; `-q` keeps errors only, `-v` adds info, `-vv` debug.
pub fn init(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::Error,
        (false, 0) => LevelFilter::Warn,
        (false, 1) => LevelFilter::Info,
        (false, _) => LevelFilter::Debug,
    };
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level() && metadata.target().starts_with("mlci")
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let prefix = match record.level() {
            Level::Error => "error: ",
            Level::Warn => "warning: ",
            Level::Info => "",
            Level::Debug | Level::Trace => "debug: ",
        };
        // Messages carry text from inputs (file names, keys): one line each, and inert in a
        // CI log, whatever they hold.
        let message = crate::render::escape::log_line(&record.args().to_string());
        eprintln!("{prefix}{message}");
    }

    fn flush(&self) {}
}
