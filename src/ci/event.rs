//! The event that triggered the run, in the terms GitHub and GitLab share: a pull (or
//! merge) request, a push, a merge group, a finished workflow run.

use crate::sha::Sha;

/// The parts of the event payload mlci uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Event {
    /// `pull_request` or `pull_request_target` (GitHub); a merge request pipeline (GitLab).
    PullRequest {
        /// The pull request's number.
        number: u64,
        /// `pull_request.base.sha`.
        base_sha: Option<Sha>,
        /// `pull_request.head.sha` (not `GITHUB_SHA`, the test merge commit).
        head_sha: Option<Sha>,
        /// `pull_request_target`: the job runs with the base repository's token and secrets,
        /// whoever wrote the head.
        target: bool,
        /// The head repository differs from the base one, or is gone (a deleted fork).
        from_fork: bool,
        /// `action: closed` (merged or not): there is nothing left to report on.
        closed: bool,
    },
    /// `push` (GitHub); a branch, tag, scheduled or manual pipeline (GitLab).
    Push {
        /// `before`; none for a new branch or tag (the event's all-zero name), and on GitLab
        /// for schedules and manual runs.
        before: Option<Sha>,
        /// `after`, the pushed tip; none when the push deleted the ref.
        after: Option<Sha>,
        /// `ref`: `refs/heads/NAME` or `refs/tags/NAME` (empty when unknown).
        reference: String,
        /// The push removed the branch or tag (`deleted`, or `after` all zeros).
        deleted: bool,
    },
    /// `merge_group`: the merge queue tests a commit of the target branch with the queued
    /// pull requests merged in.
    MergeGroup {
        /// `merge_group.base_sha`: the commit the group is merged onto.
        base_sha: Option<Sha>,
        /// `merge_group.head_sha`: the commit the queue tests (`GITHUB_SHA`).
        head_sha: Option<Sha>,
    },
    /// `workflow_run`: a run of another workflow finished (the fork recipe's publishing job).
    WorkflowRun(WorkflowRun),
    /// Anything else, or no payload.
    #[default]
    Other,
}

impl Event {
    /// The head commit the event is about: a pull request's head (not its merge commit),
    /// a merge group's, the pushed tip.
    pub fn head_sha(&self) -> Option<&Sha> {
        match self {
            Event::PullRequest { head_sha, .. } | Event::MergeGroup { head_sha, .. } => {
                head_sha.as_ref()
            }
            Event::Push { after, .. } => after.as_ref(),
            _ => None,
        }
    }

    /// Why this event has nothing to report, if it has not: a closed pull request, a push
    /// that deleted its branch or tag.
    pub fn nothing_to_report(&self) -> Option<String> {
        match self {
            Event::PullRequest {
                number,
                closed: true,
                ..
            } => Some(format!(
                "pull request #{number} is closed: nothing to report, nothing posted"
            )),
            Event::Push {
                reference,
                deleted: true,
                ..
            } => Some(format!(
                "the push deleted {}: nothing to report, nothing posted",
                if reference.is_empty() {
                    "its ref".to_owned()
                } else {
                    format!("`{reference}`")
                }
            )),
            _ => None,
        }
    }

    /// The branch a push is for (`refs/heads/NAME`), if it is one.
    pub fn pushed_branch(&self) -> Option<&str> {
        match self {
            Event::Push { reference, .. } => reference.strip_prefix("refs/heads/"),
            _ => None,
        }
    }

    /// Whether the push is of a tag.
    pub fn is_tag_push(&self) -> bool {
        matches!(self, Event::Push { reference, .. } if reference.starts_with("refs/tags/"))
    }

    /// Whether the head's files come from someone the workflow does not trust: a fork's
    /// pull request, or any `pull_request_target` run (its checkout of the head is the
    /// workflow's choice, made with a token that can write).
    pub fn untrusted_head(&self) -> bool {
        matches!(
            self,
            Event::PullRequest { target: true, .. }
                | Event::PullRequest {
                    from_fork: true,
                    ..
                }
        )
    }
}

/// A workflow run, as the event or the API describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowRun {
    /// `id`.
    pub id: u64,
    /// `head_sha`: the commit the run tested.
    pub head_sha: Option<Sha>,
    /// `head_branch`.
    pub head_branch: String,
    /// `head_repository.full_name`.
    pub head_repository: Option<String>,
    /// `pull_requests[].number` (empty for a fork's pull request).
    pub pull_requests: Vec<u64>,
    /// `event`: what triggered the run (`pull_request`, ...).
    pub event: String,
}

impl WorkflowRun {
    /// From a `workflow_run` object (the event's or the API's).
    pub fn from_json(run: &serde_json::Value) -> WorkflowRun {
        let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
        WorkflowRun {
            id: run["id"].as_u64().unwrap_or(0),
            head_sha: sha(&run["head_sha"]),
            head_branch: text(&run["head_branch"]),
            head_repository: run["head_repository"]["full_name"]
                .as_str()
                .map(str::to_owned),
            pull_requests: run["pull_requests"]
                .as_array()
                .map(|prs| prs.iter().filter_map(|p| p["number"].as_u64()).collect())
                .unwrap_or_default(),
            event: text(&run["event"]),
        }
    }
}

/// Reads the event payload: pull request number, base and head commits, fork or not,
/// closed or not; the commits and ref of a push; a merge group's base and head.
pub fn parse_event(name: &str, payload: &serde_json::Value) -> Event {
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    match name {
        "pull_request" | "pull_request_target" => {
            let pr = &payload["pull_request"];
            let number = pr["number"]
                .as_u64()
                .or_else(|| payload["number"].as_u64())
                .unwrap_or(0);
            let head_repo = pr["head"]["repo"]["full_name"].as_str();
            let base_repo = pr["base"]["repo"]["full_name"]
                .as_str()
                .or_else(|| payload["repository"]["full_name"].as_str());
            Event::PullRequest {
                number,
                base_sha: sha(&pr["base"]["sha"]),
                head_sha: sha(&pr["head"]["sha"]),
                target: name == "pull_request_target",
                // A deleted fork leaves `head.repo` null: its head is still a stranger's.
                from_fork: head_repo.is_none() || head_repo != base_repo,
                closed: payload["action"] == "closed",
            }
        }
        "workflow_run" => Event::WorkflowRun(WorkflowRun::from_json(&payload["workflow_run"])),
        "push" => Event::Push {
            before: sha(&payload["before"]),
            after: sha(&payload["after"]),
            reference: text(&payload["ref"]),
            deleted: payload["deleted"].as_bool().unwrap_or(false)
                || payload["after"].as_str().is_some_and(crate::sha::is_null),
        },
        "merge_group" => Event::MergeGroup {
            base_sha: sha(&payload["merge_group"]["base_sha"]),
            head_sha: sha(&payload["merge_group"]["head_sha"]),
        },
        _ => Event::Other,
    }
}

/// A commit name in a payload: a full one, else none (absent, all zeros, or not a name).
fn sha(value: &serde_json::Value) -> Option<Sha> {
    value.as_str().and_then(Sha::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_request_events_name_the_head_not_the_merge_commit() {
        let payload = serde_json::json!({
            "number": 7,
            "pull_request": {
                "number": 7,
                "base": {"sha": "b".repeat(40)},
                "head": {"sha": "e".repeat(40), "repo": {"full_name": "fork/repo"}}
            },
            "repository": {"full_name": "owner/repo"}
        });
        assert_eq!(
            parse_event("pull_request", &payload),
            Event::PullRequest {
                number: 7,
                base_sha: Sha::parse(&"b".repeat(40)),
                head_sha: Sha::parse(&"e".repeat(40)),
                target: false,
                from_fork: true,
                closed: false,
            }
        );
        assert!(parse_event("pull_request", &payload).untrusted_head());
        // A deleted fork: `head.repo` is null.
        let mut deleted = payload.clone();
        deleted["pull_request"]["head"]["repo"] = serde_json::Value::Null;
        assert!(matches!(
            parse_event("pull_request", &deleted),
            Event::PullRequest {
                from_fork: true,
                ..
            }
        ));
        // pull_request_target from the same repository: still a head the job must not run.
        let mut same = payload.clone();
        same["pull_request"]["head"]["repo"]["full_name"] = "owner/repo".into();
        let target = parse_event("pull_request_target", &same);
        assert!(matches!(
            target,
            Event::PullRequest {
                target: true,
                from_fork: false,
                ..
            }
        ));
        assert!(target.untrusted_head());
        assert!(!parse_event("pull_request", &same).untrusted_head());
        let push = serde_json::json!({"before": "1".repeat(40), "after": "2".repeat(40)});
        assert!(matches!(parse_event("push", &push), Event::Push { .. }));
    }

    #[test]
    fn closed_pull_requests_and_deleted_refs_have_nothing_to_report() {
        let pr = |action: &str| {
            serde_json::json!({
                "action": action,
                "number": 2,
                "pull_request": {"number": 2, "base": {"sha": "b".repeat(40)}, "head": {"sha": "e".repeat(40), "repo": {"full_name": "o/r"}}},
                "repository": {"full_name": "o/r", "default_branch": "master"}
            })
        };
        assert!(
            parse_event("pull_request", &pr("closed"))
                .nothing_to_report()
                .unwrap()
                .contains("#2 is closed")
        );
        for action in ["opened", "synchronize", "reopened", "edited", "labeled"] {
            assert_eq!(
                parse_event("pull_request", &pr(action)).nothing_to_report(),
                None
            );
        }
        assert_eq!(
            crate::ci::parse_default_branch(&pr("opened")).as_deref(),
            Some("master")
        );
        let zeros = "0".repeat(40);
        let deleted = serde_json::json!({"ref": "refs/tags/v1", "before": "1".repeat(40), "after": zeros, "deleted": true});
        let event = parse_event("push", &deleted);
        assert!(event.is_tag_push());
        assert!(
            event
                .nothing_to_report()
                .unwrap()
                .contains("`refs/tags/v1`")
        );
        // `after` all zeros says the same without the flag.
        let unflagged =
            serde_json::json!({"ref": "refs/heads/x", "before": "1".repeat(40), "after": zeros});
        assert!(
            parse_event("push", &unflagged)
                .nothing_to_report()
                .is_some()
        );
        let created = serde_json::json!({"ref": "refs/heads/x", "before": zeros, "after": "2".repeat(40), "created": true});
        let event = parse_event("push", &created);
        assert_eq!(event.nothing_to_report(), None);
        assert_eq!(event.pushed_branch(), Some("x"));
        assert_eq!(
            event,
            Event::Push {
                before: None,
                after: Sha::parse(&"2".repeat(40)),
                reference: "refs/heads/x".into(),
                deleted: false
            }
        );
        let group =
            serde_json::json!({"merge_group": {"base_sha": "b".repeat(40), "head_sha": "short"}});
        assert_eq!(
            parse_event("merge_group", &group),
            Event::MergeGroup {
                base_sha: Sha::parse(&"b".repeat(40)),
                head_sha: None
            }
        );
    }
}
