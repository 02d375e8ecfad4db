//! From settings to the verdict policy: `[[metric]]` tables and `--rule` flags become
//! rules, `[[data]]` tables become data checks, and `fail_on`, `alpha` and `repeats` come
//! along.

use crate::cli::FailOnArg;
use crate::config::settings::{ConfigError, DataSetting, MetricSetting, Settings};
use crate::inputs::glob::Glob;
use crate::model::Direction;
use crate::verdict::{DataRule, FailOn, MetricPattern, Policy, Rule, Tolerance};

impl From<FailOnArg> for FailOn {
    fn from(arg: FailOnArg) -> FailOn {
        match arg {
            FailOnArg::Regression => FailOn::Regression,
            FailOnArg::Change => FailOn::Change,
            FailOnArg::Never => FailOn::Never,
        }
    }
}

impl Settings {
    /// The verdict policy: `--rule` flags and the `[[metric]]` rules (flags first, so an
    /// exact `--rule` wins over the file's), `repeats`, `alpha`, and `fail_on` (flag, else
    /// file, else `regression` when anything is configured, else `never`).
    pub fn policy_with(
        &self,
        rules: &[String],
        fail_on: Option<FailOnArg>,
        alpha: Option<f64>,
    ) -> Result<Policy, ConfigError> {
        let flags = rules
            .iter()
            .map(|text| MetricSetting::parse_rule(text))
            .collect::<Result<Vec<_>, _>>()?;
        self.policy(&flags, fail_on.map(FailOn::from), alpha)
    }

    /// The verdict policy from these settings and the rules of flags.
    pub fn policy(
        &self,
        rules: &[MetricSetting],
        fail_on: Option<FailOn>,
        alpha: Option<f64>,
    ) -> Result<Policy, ConfigError> {
        let rules = rules
            .iter()
            .chain(&self.metric)
            .map(MetricSetting::rule)
            .collect::<Result<Vec<Rule>, _>>()?;
        let configured = !rules.is_empty() || !self.data.is_empty();
        let fail_on = match fail_on.or(self.fail_on) {
            Some(fail_on) => fail_on,
            None if configured => FailOn::Regression,
            None => FailOn::Never,
        };
        let alpha = alpha.or(self.alpha).unwrap_or(0.05);
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(ConfigError::Value {
                key: "alpha",
                problem: format!("is between 0 and 1, not {alpha}"),
            });
        }
        let data = self
            .data
            .iter()
            .map(DataSetting::rule)
            .collect::<Result<Vec<DataRule>, _>>()?;
        Ok(Policy {
            rules,
            data,
            repeats: self.repeats.iter().map(|g| Glob::path(g)).collect(),
            fail_on,
            alpha,
        })
    }
}

impl MetricSetting {
    /// Parses a `--rule`: `NAME key=value ...` with the keys of `[[metric]]`; `required`
    /// and `finite` may stand alone (`--rule 'test.loss direction=lower max_regression=2% finite'`).
    pub fn parse_rule(text: &str) -> Result<MetricSetting, ConfigError> {
        let error = |key: &str, problem: String| ConfigError::Rule {
            rule: format!("--rule `{text}`"),
            key: key.to_owned(),
            problem,
        };
        let mut words = text.split_whitespace();
        let name = words
            .next()
            .ok_or_else(|| error("NAME", "comes first: write `NAME key=value ...`".into()))?;
        let mut setting = MetricSetting {
            name: name.to_owned(),
            ..MetricSetting::default()
        };
        for word in words {
            let (key, value) = word.split_once('=').unwrap_or((word, "true"));
            let number = || {
                value
                    .parse::<f64>()
                    .map_err(|_| error(key, format!("needs a number, not `{value}`")))
            };
            let boolean = || match value {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(error(key, format!("is true or false, not `{value}`"))),
            };
            match key {
                "direction" => {
                    setting.direction = Some(match value {
                        "higher" => Direction::Higher,
                        "lower" => Direction::Lower,
                        _ => {
                            return Err(error(
                                key,
                                format!("is `higher` or `lower`, not `{value}`"),
                            ));
                        }
                    });
                }
                "min" => setting.min = Some(number()?),
                "max" => setting.max = Some(number()?),
                "max_regression" => {
                    setting.max_regression = Some(match value.parse::<f64>() {
                        Ok(n) => toml::Value::Float(n),
                        Err(_) => toml::Value::String(value.to_owned()),
                    });
                }
                "required" => setting.required = Some(boolean()?),
                "finite" => setting.finite = Some(boolean()?),
                other => {
                    return Err(error(
                        other,
                        "is not a key of a rule (direction, min, max, max_regression, required, finite)"
                            .into(),
                    ));
                }
            }
        }
        Ok(setting)
    }

    /// The rule this setting stands for, or what is wrong with it.
    pub fn rule(&self) -> Result<Rule, ConfigError> {
        let max_regression = match &self.max_regression {
            None => None,
            Some(value) => Some(tolerance(value).ok_or_else(|| ConfigError::Rule {
                rule: format!("metric `{}`", self.name),
                key: "max_regression".into(),
                problem: not_an_amount(value),
            })?),
        };
        Ok(Rule {
            pattern: MetricPattern::new(&self.name),
            direction: self.direction,
            min: self.min,
            max: self.max,
            max_regression,
            required: self.required.unwrap_or(false),
            finite: self.finite.unwrap_or(false),
        })
    }
}

impl DataSetting {
    /// The checks this table configures, or what is wrong with it.
    pub fn rule(&self) -> Result<DataRule, ConfigError> {
        let error = |key: &str, problem: String| ConfigError::Data {
            path: self.path.clone(),
            key: key.to_owned(),
            problem,
        };
        let no_missing = match &self.no_missing {
            None | Some(toml::Value::Boolean(false)) => None,
            Some(toml::Value::Boolean(true)) => Some(Vec::new()),
            Some(toml::Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| error("no_missing", "lists column names".into()))
                    })
                    .collect::<Result<Vec<String>, _>>()?,
            ),
            Some(_) => {
                return Err(error("no_missing", "is true or a list of columns".into()));
            }
        };
        let mut range = Vec::new();
        for (column, [low, high]) in self.range.iter().flatten() {
            if low.is_nan() || high.is_nan() || low > high {
                return Err(error(
                    "range",
                    format!("of `{column}`: [{low}, {high}] is empty"),
                ));
            }
            range.push((column.clone(), *low, *high));
        }
        let max_row_change = match &self.max_row_change {
            None => None,
            Some(value) => Some(
                tolerance(value).ok_or_else(|| error("max_row_change", not_an_amount(value)))?,
            ),
        };
        Ok(DataRule {
            path: self.path.clone(),
            no_missing,
            range,
            types_unchanged: self.types_unchanged.unwrap_or(false),
            max_row_change,
        })
    }
}

/// A tolerance: a non-negative number, a numeric string, or a percentage written as `"2%"`.
fn tolerance(value: &toml::Value) -> Option<Tolerance> {
    let tolerance = match value {
        toml::Value::Integer(i) => Tolerance::Absolute(*i as f64),
        toml::Value::Float(f) => Tolerance::Absolute(*f),
        toml::Value::String(text) => match text.trim().strip_suffix('%') {
            Some(pct) => Tolerance::Relative(pct.trim().parse::<f64>().ok()? / 100.0),
            None => Tolerance::Absolute(text.trim().parse::<f64>().ok()?),
        },
        _ => return None,
    };
    match tolerance {
        Tolerance::Absolute(x) | Tolerance::Relative(x) if x.is_finite() && x >= 0.0 => {
            Some(tolerance)
        }
        _ => None,
    }
}

/// Why `value` is not a tolerance.
fn not_an_amount(value: &toml::Value) -> String {
    let shown = match value {
        toml::Value::String(text) => format!("\"{text}\""),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        other => format!("a {}", other.type_str()),
    };
    format!("is a non-negative number or a percentage like \"2%\", not {shown}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_from_the_file_and_from_flags() {
        let settings = Settings::parse(
            ".mlci.toml",
            b"[[metric]]\nname = \"*loss*\"\ndirection = \"lower\"\nmax_regression = \"2%\"\n",
        )
        .unwrap();
        let policy = settings
            .policy_with(
                &["test.roc_auc min=0.9 max_regression=0.01 finite".to_owned()],
                None,
                None,
            )
            .unwrap();
        assert_eq!(
            policy.fail_on,
            FailOn::Regression,
            "rules configured: gate on"
        );
        assert_eq!(policy.rules.len(), 2);
        assert_eq!(policy.rules[0].min, Some(0.9));
        assert!(policy.rules[0].finite);
        assert_eq!(
            policy.rules[0].max_regression,
            Some(Tolerance::Absolute(0.01))
        );
        assert_eq!(
            policy.rules[1].max_regression,
            Some(Tolerance::Relative(0.02))
        );
        assert_eq!(policy.rules[1].direction, Some(Direction::Lower));
        let plain = Settings::default().policy(&[], None, None).unwrap();
        assert_eq!(
            plain.fail_on,
            FailOn::Never,
            "nothing configured: never fails"
        );
        assert!(MetricSetting::parse_rule("x colour=red").is_err());
        assert!(MetricSetting::parse_rule("x min=high").is_err());
        let sideways = MetricSetting::parse_rule("x direction=sideways").unwrap_err();
        assert_eq!(
            sideways.to_string(),
            "--rule `x direction=sideways`: direction is `higher` or `lower`, not `sideways`"
        );
        assert!(Settings::parse(".mlci.toml", b"fail_on = \"sometimes\"\n").is_err());
        let bad = MetricSetting {
            name: "x".into(),
            max_regression: Some(toml::Value::String("-3%".into())),
            ..MetricSetting::default()
        };
        assert_eq!(
            bad.rule().unwrap_err(),
            ConfigError::Rule {
                rule: "metric `x`".into(),
                key: "max_regression".into(),
                problem: "is a non-negative number or a percentage like \"2%\", not \"-3%\"".into()
            }
        );
    }
}
