//! The footer: the revisions compared and mlci's version, and in a full report the machine
//! the run was made on.

use std::fmt::Write as _;

use super::{ReportContext, plural};
use crate::render::escape;

/// The rule, the revisions and the version; the environment table when `full`.
pub(super) fn footer(out: &mut String, context: &ReportContext<'_>, full: bool) {
    out.push_str("---\n");
    let _ = writeln!(
        out,
        "<sub>Base: {} · Head: {} · mlci {}</sub>\n",
        escape::inline(&context.base.describe()),
        escape::inline(&context.head.describe()),
        env!("CARGO_PKG_VERSION"),
    );
    if let Some(machine) = context.machine.filter(|_| full) {
        out.push_str("<details><summary>Environment</summary>\n\n| | |\n|:--|:--|\n");
        let _ = writeln!(out, "| OS | {} |", escape::inline(&machine.os));
        let cpu = machine.cpu.as_deref().unwrap_or("unknown");
        let _ = writeln!(
            out,
            "| CPU | {} ({}) |",
            escape::inline(cpu),
            plural(machine.cpus, "CPU", "CPUs")
        );
        if let Some(memory) = machine.memory {
            let _ = writeln!(
                out,
                "| Memory | {:.1} GiB |",
                memory as f64 / (1u64 << 30) as f64
            );
        }
        let gpus = if machine.gpus.is_empty() {
            "none detected".to_owned()
        } else {
            machine
                .gpus
                .iter()
                .map(|g| escape::inline(g))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = writeln!(out, "| GPU | {gpus} |");
        out.push_str("\n</details>\n\n");
    }
}
