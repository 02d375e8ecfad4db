//! `mlci action`: what the GitHub Action runs. The action's inputs arrive as `INPUT_*`
//! variables (hyphens kept: `INPUT_WORKING-DIRECTORY`), which `ci` reads once; here they
//! become the `mlci report` command line they stand for, parsed by clap like any other, so
//! an input is validated exactly as its flag is.

use std::collections::BTreeMap;

use crate::fail;

/// The inputs `action.yml` declares, with the flag each one sets.
pub const INPUTS: &[(&str, &str)] = &[
    ("token", "--token"),
    ("base", "--base"),
    ("targets", "--targets"),
    ("id", "--id"),
    ("title", "--title"),
    ("images", "--images"),
    ("check", "--check"),
    ("config", "--config"),
    ("working-directory", "--directory"),
    ("dry-run", "--dry-run"),
    ("out", "--out"),
    ("author", "--author"),
    ("fail-on", "--fail-on"),
    ("rules", "--rule"),
    ("alpha", "--alpha"),
];

/// The `mlci report` command line the inputs stand for, parsed.
pub fn cli(inputs: &BTreeMap<String, String>) -> anyhow::Result<crate::cli::Cli> {
    <crate::cli::Cli as clap::Parser>::try_parse_from(argv(inputs)?).map_err(|error| {
        fail(
            format!(
                "invalid action input: {}",
                error.render().to_string().trim()
            ),
            "check the `with:` values of the mlci step against action.yml",
        )
    })
}

/// The `mlci report` arguments the inputs stand for (program name first).
pub fn argv(inputs: &BTreeMap<String, String>) -> anyhow::Result<Vec<String>> {
    let mut argv = vec!["mlci".to_owned(), "report".to_owned()];
    for (input, flag) in INPUTS {
        let Some(value) = inputs
            .get(*input)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        match *input {
            "check" | "dry-run" => {
                if boolean(input, value)? {
                    argv.push((*flag).to_owned());
                }
            }
            "rules" => {
                // One rule per line.
                for rule in value.lines().map(str::trim).filter(|r| !r.is_empty()) {
                    argv.push(format!("{flag}={rule}"));
                }
            }
            "targets" => {
                // One per line or comma-separated, as YAML block scalars make it natural.
                let targets: Vec<&str> = value
                    .split(['\n', ','])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect();
                argv.push(format!("{flag}={}", targets.join(",")));
            }
            _ => argv.push(format!("{flag}={value}")),
        }
    }
    Ok(argv)
}

/// `true` or `false`, as YAML 1.2 writes them.
fn boolean(input: &str, value: &str) -> anyhow::Result<bool> {
    match value {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        other => Err(fail(
            format!("input `{input}` must be true or false, got `{other}`"),
            format!("write `{input}: true` or `{input}: false` under `with:`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn inputs_become_report_flags() {
        let argv = argv(&inputs(&[
            ("token", "ghs_x"),
            ("targets", "eval/metrics.json\nruns/*.json, other.json\n"),
            ("check", "true"),
            ("dry-run", "false"),
            ("working-directory", "models/a"),
            ("base", ""),
            ("id", "model-a"),
        ]))
        .unwrap();
        assert_eq!(
            argv,
            [
                "mlci",
                "report",
                "--token=ghs_x",
                "--targets=eval/metrics.json,runs/*.json,other.json",
                "--id=model-a",
                "--check",
                "--directory=models/a",
            ]
        );
    }

    #[test]
    fn a_bad_boolean_says_what_to_write() {
        let error = argv(&inputs(&[("check", "yes")])).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("input `check` must be true or false")
        );
    }

    /// action.yml declares exactly these inputs and the outputs mlci writes, and the README
    /// lists every input.
    #[test]
    fn action_yml_and_the_readme_agree_with_the_code() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("action.yml")).unwrap();
        let action: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let mut declared: Vec<&str> = action["inputs"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut known: Vec<&str> = INPUTS.iter().map(|(input, _)| *input).collect();
        declared.sort_unstable();
        known.sort_unstable();
        assert_eq!(declared, known);
        let mut outputs: Vec<&str> = action["outputs"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        outputs.sort_unstable();
        assert_eq!(
            outputs,
            ["changed", "comment-url", "regressions", "report-path"]
        );
        assert_eq!(action["runs"]["args"], serde_json::json!(["action"]));
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        for input in known {
            assert!(
                readme.contains(&format!("| `{input}` |")),
                "the README's table of action inputs lacks `{input}`"
            );
        }
    }

    #[test]
    fn every_input_parses_as_its_flag() {
        use clap::Parser as _;
        let all: BTreeMap<String, String> = INPUTS
            .iter()
            .map(|(input, _)| {
                let value = match *input {
                    "check" | "dry-run" => "true",
                    "images" => "mermaid",
                    "fail-on" => "regression",
                    "alpha" => "0.01",
                    "rules" => "acc min=0.9\nloss direction=lower",
                    _ => "x",
                };
                ((*input).to_owned(), value.to_owned())
            })
            .collect();
        let cli = crate::cli::Cli::try_parse_from(argv(&all).unwrap()).unwrap();
        assert!(matches!(cli.command, crate::cli::Command::Report(_)));
    }
}
