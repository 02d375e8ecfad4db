//! Every event GitHub sends, as GitHub publishes it (`fixtures/github/events/real`), end to
//! end against the fake GitHub, in checkouts made the way `actions/checkout` makes them
//! (shallow, one branch or one ref). Only the payloads' commit fields are rewritten to the
//! temporary repository's commits; everything else (repository names, `default_branch`,
//! numbers, actions) is as published.

use serde_json::{Value, json};

use crate::github_fake::BOT;
use crate::job::{GitHubJob, Job, event};

/// Git's null object name: the `before` of a new ref, the `after` of a deleted one.
const ZEROS: &str = "0000000000000000000000000000000000000000";

/// The commit fields a test may rewrite; nothing else in a published payload changes.
const COMMIT_FIELDS: &[&str] = &[
    "before",
    "after",
    "pull_request.head.sha",
    "pull_request.base.sha",
    "merge_group.base_sha",
    "merge_group.head_sha",
    "workflow_run.head_sha",
];

/// A published payload from `fixtures/github/events/real/{name}.json`, with the commit
/// fields at `commits` (dotted JSON paths) set to this repository's commits.
fn real_event(name: &str, commits: &[(&str, &str)]) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/github/events/real")
        .join(format!("{name}.json"));
    let mut payload: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for (field, sha) in commits {
        assert!(COMMIT_FIELDS.contains(field), "not a commit field: {field}");
        let mut at = &mut payload;
        for key in field.split('.') {
            at = at
                .get_mut(key)
                .unwrap_or_else(|| panic!("{name}.json has no `{field}`"));
        }
        assert!(at.is_string(), "{name}.json: `{field}` is not a string");
        *at = Value::String((*sha).to_owned());
    }
    payload
}

/// The job's environment for `payload`, in the repository the payload names, with
/// `GITHUB_SHA` as the runner sets it for the event.
fn env_for(job: &GitHubJob, event_name: &str, payload: &Value, sha: &str) -> Vec<(String, String)> {
    let repository = payload["repository"]["full_name"].as_str().unwrap();
    let mut env = job.env(event_name, payload);
    set(&mut env, "GITHUB_REPOSITORY", repository);
    set(&mut env, "GITHUB_SHA", sha);
    env
}

fn set(env: &mut Vec<(String, String)>, key: &str, value: &str) {
    env.retain(|(k, _)| k != key);
    env.push((key.to_owned(), value.to_owned()));
}

fn short(sha: &str) -> &str {
    &sha[..7]
}

/// Commits `acc` on the checked-out branch of the job's repository.
fn commit_acc(job: &GitHubJob, acc: f64, message: &str) -> String {
    job.repo.write(
        "dvclive/metrics.json",
        format!(r#"{{"acc": {acc}, "loss": 0.48}}"#),
    );
    job.repo.commit(message)
}

/// The only comment on `sha`, ours.
fn commit_comment(job: &GitHubJob, sha: &str) -> String {
    let comments = job.fake.commit_comments(sha);
    assert_eq!(comments.len(), 1, "{}", job.transcript());
    assert_eq!(comments[0].1, BOT);
    comments[0].2.clone()
}

#[test]
fn every_pull_request_action_updates_one_comment_and_a_closed_one_posts_nothing() {
    let job = Job::github().start();
    // `actions/checkout` on a pull request: the test merge commit, one commit deep.
    job.repo.git(&["checkout", "-q", "--detach", "main"]);
    job.repo
        .git(&["merge", "-q", "--no-ff", "--no-edit", "feature"]);
    let merge = job.repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    job.repo.git(&["update-ref", "refs/pull/2/merge", &merge]);
    job.repo.git(&["checkout", "-q", "main"]);
    let clone = job.repo.shallow_fetch("refs/pull/2/merge", "checkout");
    let (base, head) = (job.base.as_str(), job.head.as_str());
    let args = ["report", "--out", "../report", "--images", "none"];
    for name in [
        "pull_request.opened",
        "pull_request.opened.draft",
        "pull_request.opened.with_installation",
        "pull_request.synchronize",
        "pull_request.edited",
        "pull_request.labeled",
        "pull_request.converted_to_draft",
        "pull_request.ready_for_review",
        "pull_request.reopened",
    ] {
        let mut commits = vec![
            ("pull_request.head.sha", head),
            ("pull_request.base.sha", base),
        ];
        if name.ends_with("synchronize") {
            commits.extend([("before", base), ("after", head)]);
        }
        let payload = real_event(name, &commits);
        let run = job.run_in(
            &clone,
            &args,
            &env_for(&job, "pull_request", &payload, &merge),
        );
        assert_eq!(run.code(), 0, "{name}: {}", run.stderr());
        let comments = job.fake.comments(2);
        assert_eq!(comments.len(), 1, "{name}: {}", job.transcript());
        let body = &comments[0].2;
        assert!(
            body.contains(&format!("pull request base ({})", short(base)))
                && body.contains("0.81")
                && body.contains("0.85"),
            "{name}: {body}"
        );
        assert!(
            body.trim_end().ends_with(&format!("head={head} -->")),
            "{name}: {body}"
        );
    }
    let comment = job.fake.comments(2);
    let requests = job.fake.seen().len();
    let closed = real_event(
        "pull_request.closed",
        &[
            ("pull_request.head.sha", head),
            ("pull_request.base.sha", base),
        ],
    );
    let run = job.run_in(
        &clone,
        &args,
        &env_for(&job, "pull_request", &closed, &merge),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("pull request #2 is closed: nothing to report, nothing posted"),
        "{}",
        run.stderr()
    );
    assert_eq!(job.fake.seen().len(), requests, "{}", job.transcript());
    assert_eq!(job.fake.comments(2), comment);
    job.fake.assert_valid();
}

#[test]
fn the_first_push_of_the_default_branch_says_base_and_head_are_one_commit() {
    // GitHub's example: `refs/heads/master` pushed for the first time, `before` all zeros.
    let job = Job::github().start();
    job.repo.git(&["checkout", "-q", "main"]);
    job.repo.git(&["branch", "-m", "main", "master"]);
    let clone = job.repo.shallow_clone("master", "checkout");
    let tip = job.base.clone();
    let payload = real_event("push.new_branch", &[("after", &tip)]);
    assert_eq!(payload["before"], ZEROS);
    let run = job.run_in(
        &clone,
        &["report", "--out", "../report", "--images", "none"],
        &env_for(&job, "push", &payload, &tip),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let body = commit_comment(&job, &tip);
    assert!(
        body.contains(&format!(
            "The base and the head are the same commit ({}): nothing to compare.",
            short(&tip)
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!("merge-base with origin/master ({})", short(&tip))),
        "{body}"
    );
    assert!(
        body.trim_end().ends_with(&format!("head={tip} -->")),
        "{body}"
    );
    job.fake.assert_valid();
}

#[test]
fn the_first_push_of_a_branch_in_a_shallow_clone_is_compared_with_the_merge_base() {
    let job = Job::github().start();
    job.repo.git(&["checkout", "-q", "main"]);
    let payload = event("push", &[("BEFORE", ZEROS), ("AFTER", &job.head)]);
    let env = env_for(&job, "push", &payload, &job.head);
    let args = ["report", "--out", "../report", "--images", "none"];
    // A default checkout: one commit of `feature`, no `origin/main`, no `origin/HEAD`.
    let clone = job.repo.shallow_clone("feature", "checkout");
    let run = job.run_in(&clone, &args, &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(!run.stderr().contains("refspec"), "{}", run.stderr());
    let expected = format!("Base: merge-base with origin/main ({})", short(&job.base));
    let body = commit_comment(&job, &job.head);
    assert!(body.contains(&expected), "{body}");
    assert!(body.contains("0.81") && body.contains("0.85"), "{body}");
    // A single-branch clone whose origin/HEAD names the branch itself: the event's
    // default branch still decides.
    let single = job.repo.shallow_clone("feature", "single");
    job.repo.git_in(
        &single,
        &[
            "symbolic-ref",
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/feature",
        ],
    );
    let run = job.run_in(&single, &args, &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let body = commit_comment(&job, &job.head);
    assert!(body.contains(&expected), "updated in place: {body}");
    job.fake.assert_valid();
}

#[test]
fn a_forced_push_is_compared_with_before_or_when_it_is_gone_with_the_merge_base() {
    // A real forced push of `refs/heads/temp` (default branch `main`).
    let job = Job::github().start();
    job.repo.git(&["branch", "-m", "feature", "temp"]);
    let before = job.head.clone();
    job.repo
        .write("dvclive/metrics.json", r#"{"acc": 0.9, "loss": 0.48}"#);
    job.repo.git(&["add", "-A"]);
    job.repo.git(&[
        "commit",
        "-q",
        "--amend",
        "-m",
        "lower the learning rate, again",
    ]);
    let after = job.repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    job.repo.git(&["checkout", "-q", "main"]);
    let payload = real_event("push.forced", &[("before", &before), ("after", &after)]);
    assert_eq!(payload["forced"], true);
    let env = env_for(&job, "push", &payload, &after);
    let args = ["report", "--out", "../report", "--images", "none"];
    // Origin still has the rewritten commit: the push is compared with it.
    let clone = job.repo.shallow_clone("temp", "checkout");
    let run = job.run_in(&clone, &args, &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let body = commit_comment(&job, &after);
    assert!(
        body.contains(&format!("Base: before the push ({})", short(&before)))
            && body.contains("0.85")
            && body.contains("0.9"),
        "{body}"
    );
    // Origin collected it: the merge-base with the default branch instead, and a warning.
    job.repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    job.repo.git(&["gc", "-q", "--prune=now"]);
    let clone = job.repo.shallow_clone("temp", "checkout-after-gc");
    let run = job.run_in(&clone, &args, &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains(&format!(
            "warning: the commit before the push, {}, is neither in this clone nor at origin",
            &before[..7]
        )),
        "{}",
        run.stderr()
    );
    let body = commit_comment(&job, &after);
    assert!(
        body.contains(&format!(
            "Base: merge-base with origin/main ({})",
            short(&job.base)
        )) && body.contains("0.81"),
        "{body}"
    );
    job.fake.assert_valid();
}

#[test]
fn a_tag_push_is_compared_with_the_merge_base_of_the_default_branch() {
    // GitHub's example: `refs/tags/simple-tag` created (`before` all zeros), default branch
    // `master`; here the tag is on a release branch.
    let job = Job::github().start();
    job.repo.git(&["branch", "-m", "main", "master"]);
    job.repo.git(&["tag", "simple-tag", &job.head]);
    job.repo.git(&["checkout", "-q", "master"]);
    let clone = job.repo.shallow_clone("simple-tag", "checkout");
    let payload = real_event("push.tag_created", &[("after", &job.head)]);
    assert_eq!(payload["before"], ZEROS);
    let run = job.run_in(
        &clone,
        &[
            "report",
            "--out",
            "../report",
            "--images",
            "none",
            "--check",
        ],
        &env_for(&job, "push", &payload, &job.head),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let body = commit_comment(&job, &job.head);
    assert!(
        body.contains(&format!(
            "Base: merge-base with origin/master ({})",
            short(&job.base)
        )) && body.contains("0.81")
            && body.contains("0.85"),
        "{body}"
    );
    assert_eq!(job.fake.check_runs()[0]["head_sha"], json!(job.head));
    job.fake.assert_valid();
}

#[test]
fn deleting_a_tag_or_a_branch_posts_nothing_and_says_so() {
    let job = Job::github().start();
    for (name, reference) in [
        ("push.tag_deleted", "refs/tags/simple-tag"),
        ("push.branch_deleted", "refs/heads/feature"),
    ] {
        let payload = real_event(name, &[("before", &job.head)]);
        assert_eq!(payload["after"], ZEROS);
        let env = env_for(&job, "push", &payload, &job.head);
        let run = job.run(&["report", "--out", "../report"], &env);
        assert_eq!(run.code(), 0, "{name}: {}", run.stderr());
        assert!(
            run.stderr().contains(&format!(
                "the push deleted `{reference}`: nothing to report, nothing posted"
            )),
            "{name}: {}",
            run.stderr()
        );
        job.repo.write("notes.md", "hello\n");
        let comment = job.run(&["comment", "notes.md"], &env);
        assert_eq!(comment.code(), 0, "{name}: {}", comment.stderr());
        assert_eq!(comment.stdout(), "");
    }
    assert!(job.fake.seen().is_empty(), "{}", job.transcript());
    assert!(!job.repo.temp().join("report").exists());
}

#[test]
fn a_merge_group_is_compared_with_its_base_and_reported_on_the_commit_it_tests() {
    // Two pull requests in the queue: the second group is built on the first one's commit,
    // which `main` has not reached yet.
    let job = Job::github().start();
    job.repo.git(&["checkout", "-q", "main"]);
    job.repo.git(&[
        "checkout",
        "-q",
        "-b",
        "gh-readonly-queue/main/pr-103-0123456789abcdef0123456789abcdef01234567",
    ]);
    let first = commit_acc(&job, 0.83, "Merge pull request #103");
    // GitHub's example names this branch and group.
    job.repo.git(&[
        "checkout",
        "-q",
        "-b",
        "gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64",
    ]);
    let second = commit_acc(&job, 0.85, "Merge pull request #104");
    job.repo.git(&["checkout", "-q", "main"]);
    let clone = job.repo.shallow_clone(
        "gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64",
        "checkout",
    );
    let payload = real_event(
        "merge_group.checks_requested",
        &[
            ("merge_group.base_sha", &first),
            ("merge_group.head_sha", &second),
        ],
    );
    let run = job.run_in(
        &clone,
        &[
            "report",
            "--out",
            "../report",
            "--images",
            "none",
            "--check",
        ],
        &env_for(&job, "merge_group", &payload, &second),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let body = commit_comment(&job, &second);
    assert!(
        body.contains(&format!("Base: merge queue base ({})", short(&first)))
            && body.contains("0.83")
            && body.contains("0.85")
            && !body.contains("0.81"),
        "only the second pull request's change: {body}"
    );
    assert!(
        body.trim_end().ends_with(&format!("head={second} -->")),
        "{body}"
    );
    assert_eq!(job.fake.check_runs()[0]["head_sha"], json!(second));
    assert!(
        !job.transcript().contains("/issues/"),
        "no pull request comment: {}",
        job.transcript()
    );
    job.fake.assert_valid();
}

#[test]
fn a_workflow_dispatch_on_the_default_branch_compares_new_results_with_its_commit() {
    // GitHub's example runs on `refs/heads/main`, the default branch.
    let job = Job::github().start();
    job.repo.git(&["checkout", "-q", "main"]);
    let clone = job.repo.shallow_clone("main", "checkout");
    let payload = real_event("workflow_dispatch", &[]);
    let env = env_for(&job, "workflow_dispatch", &payload, &job.base);
    let args = ["report", "--out", "../report", "--images", "none"];
    let run = job.run_in(&clone, &args, &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let body = commit_comment(&job, &job.base);
    assert!(
        body.contains(&format!(
            "The base and the head are the same commit ({}): nothing to compare.",
            short(&job.base)
        )),
        "{body}"
    );
    // The run trains and writes new results: they are compared with the commit.
    std::fs::write(
        clone.join("dvclive/metrics.json"),
        r#"{"acc": 0.9, "loss": 0.52}"#,
    )
    .unwrap();
    let run = job.run_in(&clone, &args, &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let body = commit_comment(&job, &job.base);
    assert!(
        !body.contains("nothing to compare") && body.contains("| acc | 0.81 | 0.9 |"),
        "{body}"
    );
    job.fake.assert_valid();
}

#[test]
fn a_workflow_run_publishes_a_pull_requests_bundle_to_it_and_a_dispatchs_to_its_commit() {
    // GitHub's examples: runs of `octo-org/octo-repo` on `master`, one listing pull request
    // #2, one from a `repository_dispatch`.
    let job = Job::github().start();
    job.repo.git(&["branch", "-m", "main", "master"]);
    let repository = "octo-org/octo-repo";
    // The pull request's run collects (as a fork's would, with a read-only token)...
    let pull = real_event(
        "pull_request.synchronize",
        &[
            ("pull_request.head.sha", &job.head),
            ("pull_request.base.sha", &job.base),
            ("before", &job.base),
            ("after", &job.head),
        ],
    );
    let mut env = env_for(&job, "pull_request", &pull, &job.head);
    set(&mut env, "GITHUB_REPOSITORY", repository);
    let collect = job.run(&["report", "--collect", "../bundle-pr"], &env);
    assert_eq!(collect.code(), 0, "{}", collect.stderr());
    // ...and the workflow_run job publishes to the pull request the run was for.
    let payload = real_event(
        "workflow_run.completed.with_pull_request",
        &[("workflow_run.head_sha", &job.head)],
    );
    let run_id = payload["workflow_run"]["id"].as_u64().unwrap();
    job.fake.run(run_id, payload["workflow_run"].clone());
    job.fake.pull_from(2, &job.head, Some(repository), "master");
    let env = env_for(&job, "workflow_run", &payload, &job.base);
    let bundle = job.repo.temp().join("bundle-pr").display().to_string();
    let published = job.run(&["publish", &bundle], &env);
    assert_eq!(published.code(), 0, "{}", published.stderr());
    let comments = job.fake.comments(2);
    assert_eq!(comments.len(), 1, "{}", job.transcript());
    assert!(
        comments[0].2.contains("0.85") && comments[0].2.contains(&format!("head={}", job.head)),
        "{}",
        comments[0].2
    );

    // A run that was for no pull request (`repository_dispatch` on master, retraining):
    // its bundle goes to its commit, as a push's report would.
    job.repo.git(&["checkout", "-q", "master"]);
    job.repo
        .write("dvclive/metrics.json", r#"{"acc": 0.9, "loss": 0.52}"#);
    let dispatch = json!({
        "action": "retrain",
        "repository": { "full_name": repository, "default_branch": "master" },
    });
    let env = env_for(&job, "repository_dispatch", &dispatch, &job.base);
    let collect = job.run(&["report", "--collect", "../bundle-dispatch"], &env);
    assert_eq!(collect.code(), 0, "{}", collect.stderr());
    let payload = real_event(
        "workflow_run.completed",
        &[("workflow_run.head_sha", &job.base)],
    );
    assert_eq!(payload["workflow_run"]["event"], "repository_dispatch");
    let run_id = payload["workflow_run"]["id"].as_u64().unwrap();
    job.fake.run(run_id, payload["workflow_run"].clone());
    let env = env_for(&job, "workflow_run", &payload, &job.base);
    let bundle = job
        .repo
        .temp()
        .join("bundle-dispatch")
        .display()
        .to_string();
    let published = job.run(&["publish", &bundle], &env);
    assert_eq!(published.code(), 0, "{}", published.stderr());
    let body = commit_comment(&job, &job.base);
    assert!(body.contains("| acc | 0.81 | 0.9 |"), "{body}");
    assert_eq!(job.fake.comments(2).len(), 1);
    // GitHub's odd example: a run of `octo-org/octo-repo` delivered to
    // `Codertocat/Hello-World`. A commit of another repository is not ours to comment on.
    let odd = real_event(
        "workflow_run.completed.from_workflow_dispatch",
        &[("workflow_run.head_sha", &job.base)],
    );
    let odd_repository = odd["repository"]["full_name"].as_str().unwrap();
    assert_ne!(odd_repository, repository);
    let mut odd_env = env_for(&job, "repository_dispatch", &dispatch, &job.base);
    set(&mut odd_env, "GITHUB_REPOSITORY", odd_repository);
    let collect = job.run(&["report", "--collect", "../bundle-odd"], &odd_env);
    assert_eq!(collect.code(), 0, "{}", collect.stderr());
    let odd_id = odd["workflow_run"]["id"].as_u64().unwrap();
    job.fake.run(odd_id, odd["workflow_run"].clone());
    let odd_bundle = job.repo.temp().join("bundle-odd").display().to_string();
    let refused = job.run(
        &["publish", &odd_bundle],
        &env_for(&job, "workflow_run", &odd, &job.base),
    );
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(
        refused.stderr().contains(&format!(
            "refusing to publish the bundle: run {odd_id} ran on {repository}, not on {odd_repository}"
        )),
        "{}",
        refused.stderr()
    );
    // A bundle that names no pull request, from a run that was for one, is refused.
    let mut forged = payload["workflow_run"].clone();
    forged["event"] = json!("pull_request");
    job.fake.run(run_id, forged);
    // (Each environment writes the one event file: this job's payload again.)
    let env = env_for(&job, "workflow_run", &payload, &job.base);
    let refused = job.run(&["publish", &bundle], &env);
    assert_eq!(refused.code(), 2, "{}", refused.stderr());
    assert!(
        refused
            .stderr()
            .contains("refusing to publish the bundle: it names no pull request, and run"),
        "{}",
        refused.stderr()
    );
    job.fake.assert_valid();
}
