//! Posting to GitHub end to end: the real binary, with its real client (octocrab over
//! hyper), against the fake GitHub of `github_fake`, which checks every request against
//! GitHub's OpenAPI description.

use std::time::Duration;

use serde_json::json;

use crate::github_fake::{BOT, Fault, TOKEN};
use crate::job::{Job, PR, event};
use crate::support::Run;

#[test]
fn a_pull_request_gets_one_comment_updated_in_place_on_every_push() {
    let mut job = Job::github().start();
    let first = job.report(&[]);
    assert_eq!(first.code(), 0, "{}", first.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1, "one comment: {ours:?}");
    let (id, body) = &ours[0];
    assert!(body.contains("| acc"), "the metrics table: {body}");
    assert!(
        body.trim_end().ends_with(&format!(
            "<!-- mlci:report id=default head={} -->",
            job.head
        )),
        "the marker is the last line and names the head, not the merge commit: {body}"
    );
    // Charts are committed to refs/mlci/pr-7 and linked by commit, so they render on GitHub.
    let refs = job.fake.refs();
    let charts = refs.get("refs/mlci/pr-7").expect("the charts' ref").clone();
    let files = job.fake.commit_files(&charts);
    assert!(
        files.iter().any(|f| f.ends_with(".png")),
        "PNG charts: {files:?}"
    );
    assert!(
        body.contains(&format!(
            "https://github.com/owner/repo/blob/{charts}/{}?raw=true",
            files[0]
        )),
        "the comment links the hosted chart: {body}"
    );
    assert!(!body.contains("](plots/"), "no relative links left: {body}");
    // The job summary has the report; the outputs name the comment.
    let summary = std::fs::read_to_string(job.summary_path()).unwrap();
    assert!(summary.contains("| acc"), "{summary}");
    let outputs = job.outputs();
    assert_eq!(
        outputs["comment-url"],
        format!("https://github.com/owner/repo/pull/7#issuecomment-{id}"),
        "{outputs:?}"
    );
    assert_eq!(outputs["regressions"], "0", "{outputs:?}");
    assert!(outputs.contains_key("changed"), "{outputs:?}");
    assert!(job.repo.temp().join("report/report.md").is_file());
    let first_requests = job.transcript();

    // A new push: the same comment, updated; the charts' ref moves on with the old commit
    // as parent, so the first report's links still resolve.
    job.push(0.9);
    let second = job.report(&[]);
    assert_eq!(second.code(), 0, "{}", second.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1, "still one comment: {ours:?}");
    assert_eq!(ours[0].0, *id, "updated in place");
    assert!(ours[0].1.contains(&format!("head={}", job.head)));
    assert!(ours[0].1.contains("0.9"), "{}", ours[0].1);
    let moved = job.fake.refs()["refs/mlci/pr-7"].clone();
    assert_ne!(moved, charts);
    assert_eq!(job.fake.commit_parents(&moved), vec![charts]);
    job.fake.assert_valid();
    let all = job.transcript();
    insta::assert_snapshot!(format!(
        "--- first run\n{first_requests}--- second run\n{}",
        &all[first_requests.len()..]
    ));
}

#[test]
fn every_chart_is_drawn_once_per_post() {
    let job = Job::github().start();
    // A post writes the local copy, hosts the charts, fills the job summary and fits the
    // comment: all of them from one drawing.
    let run = job.report(&["-vv"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let stderr = run.stderr();
    let draws: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("debug: drew "))
        .collect();
    let charts = job.fake.refs()["refs/mlci/pr-7"].clone();
    let hosted = job
        .fake
        .commit_files(&charts)
        .iter()
        .filter(|f| f.ends_with(".png"))
        .count();
    assert!(hosted > 0);
    assert_eq!(draws, [format!("debug: drew {hosted} charts")], "{stderr}");
    job.fake.assert_valid();
}

#[test]
fn our_comment_is_found_past_the_first_page_and_quotes_of_it_are_left_alone() {
    let job = Job::github().start();
    for i in 0..250 {
        job.fake.comment(PR, "reviewer", &format!("comment {i}"));
    }
    // A reviewer quoting an old report: the marker is there, but quoted and not theirs.
    let quoted = "> see this\n> <!-- mlci:report id=default head=abc -->\n";
    job.fake.comment(PR, "reviewer", quoted);
    // The same marker text by someone else, unquoted, is not ours either.
    let impostor = "<!-- mlci:report id=default head=abc -->\n";
    job.fake.comment(PR, "someone", impostor);
    for i in 0..10 {
        job.fake.comment(PR, "reviewer", &format!("later {i}"));
    }
    // Ours, at position 263: on the third page of 100.
    let old_report = "old report\n<!-- mlci:report id=default head=abc -->\n";
    let ours = job.fake.comment(PR, BOT, old_report);

    let run = job.report(&[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let comments = job.fake.comments(PR);
    assert_eq!(comments.len(), 263, "nothing created");
    assert!(comments.iter().any(|(_, _, b)| b == quoted));
    assert!(comments.iter().any(|(_, _, b)| b == impostor));
    let mine: Vec<_> = comments.iter().filter(|(_, a, _)| a == BOT).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].0, ours);
    assert!(mine[0].2.contains("| acc"));
    let transcript = job.transcript();
    for page in [
        "per_page=100 ",
        "per_page=100&page=2 ",
        "per_page=100&page=3 ",
    ] {
        assert!(
            transcript.contains(&format!("GET /issues/7/comments?{page}")),
            "pages followed: {transcript}"
        );
    }
    job.fake.assert_valid();
}

#[test]
fn two_runs_posting_at_once_leave_one_comment() {
    let job = Job::github().start();
    // The fake holds the first create until the second is in flight, however long the second
    // run takes to get there on a busy machine; no request may time out meanwhile.
    job.fake.race(2);
    let env = job.pull_request_env(false);
    let limits = ["--network-timeout", "900", "--network-deadline", "1200"];
    let (runs, raced): (Vec<Run>, bool) = std::thread::scope(|scope| {
        let handles: Vec<_> = ["../a", "../b"]
            .into_iter()
            .map(|out| {
                let env = env.clone();
                let job = &job;
                let mut args = vec!["report", "--out", out];
                args.extend(limits);
                scope.spawn(move || job.run(&args, &env))
            })
            .collect();
        // A run that ended has created or never will; the limit is only a safeguard.
        let ended = || handles.iter().any(|h| h.is_finished());
        let raced = job.fake.await_race(Duration::from_secs(600), ended);
        let runs = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (runs, raced)
    });
    assert!(
        raced,
        "the two creates were never in flight at once: {}",
        job.transcript()
    );
    for run in &runs {
        assert_eq!(run.code(), 0, "{}", run.stderr());
    }
    let transcript = job.transcript();
    assert_eq!(
        transcript.matches("POST /issues/7/comments -> 201").count(),
        2,
        "both runs created one, at the same moment: {transcript}"
    );
    let ours = job.ours();
    assert_eq!(ours.len(), 1, "converged on one: {ours:?}\n{transcript}");
    assert!(ours[0].1.contains("| acc"));
    job.fake.assert_valid();
}

#[test]
fn server_errors_and_rate_limits_are_retried_without_a_duplicate() {
    let job = Job::github().start();
    job.fake
        .fault("GET", "/issues/7/comments", Fault::Status(502));
    job.fake.fault(
        "POST",
        "/git/blobs",
        Fault::SecondaryRateLimit { retry_after: 1 },
    );
    job.fake.fault(
        "POST",
        "/git/trees",
        Fault::PrimaryRateLimit { reset_in: 1 },
    );
    // A 500 on the create: GitHub may have made the comment, so the client looks first.
    job.fake
        .fault("POST", "/issues/7/comments", Fault::Status(500));
    let run = job.report(&[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(job.ours().len(), 1);
    let transcript = job.transcript();
    assert!(transcript.contains("GET /issues/7/comments?per_page=100 -> 502"));
    assert!(transcript.contains("POST /git/blobs -> 403"));
    assert!(transcript.contains("POST /git/trees -> 429"));
    assert!(transcript.contains("POST /issues/7/comments -> 500"));
    assert!(
        run.stderr().contains("retrying in"),
        "the retry is logged: {}",
        run.stderr()
    );
    job.fake.assert_valid();
}

#[test]
fn a_create_that_times_out_is_looked_for_before_it_is_sent_again() {
    let job = Job::github().start();
    // GitHub makes the comment but answers too late.
    job.fake.fault(
        "POST",
        "/issues/7/comments",
        Fault::SlowAnswer(Duration::from_secs(3)),
    );
    let run = job.report(&["--network-timeout", "1"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1, "no duplicate: {ours:?}");
    let transcript = job.transcript();
    assert_eq!(
        transcript.matches("POST /issues/7/comments").count(),
        1,
        "never sent twice: {transcript}"
    );
    job.fake.assert_valid();
}

#[test]
fn a_fork_pull_request_reports_in_the_job_summary_and_sends_nothing() {
    let job = Job::github().start();
    *job.fake.read_only.lock().unwrap() = true;
    let run = job.run(
        &["report", "--out", "../report"],
        &job.pull_request_env(true),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(job.fake.seen().is_empty(), "{}", job.transcript());
    let summary = std::fs::read_to_string(job.summary_path()).unwrap();
    assert!(summary.contains("| acc"), "{summary}");
    assert!(
        summary.contains("```mermaid"),
        "charts inline, as nothing can be hosted: {summary}"
    );
    assert!(
        run.stderr().contains("workflow_run"),
        "says how to comment: {}",
        run.stderr()
    );
}

#[test]
fn a_token_that_cannot_write_fails_with_the_permission_to_grant() {
    let job = Job::github().start();
    *job.fake.read_only.lock().unwrap() = true;
    let run = job.report(&[]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains("contents: write"),
        "the charts fall back to mermaid with a hint: {stderr}"
    );
    assert!(
        stderr.contains("pull-requests: write") && stderr.contains("hint:"),
        "{stderr}"
    );
    assert!(job.fake.comments(PR).is_empty());
    // The job summary was written before the comment was tried.
    assert!(
        std::fs::read_to_string(job.summary_path())
            .unwrap()
            .contains("| acc")
    );
    job.fake.assert_valid();
}

#[test]
fn a_report_over_the_comment_limit_is_fitted_under_it() {
    let job = Job::github().start();
    let many = |value: f64| {
        let fields: Vec<String> = (0..4000)
            .map(|i| {
                format!(
                    "\"a_rather_long_metric_name_number_{i:05}\": {}",
                    value + f64::from(i) / 1e4
                )
            })
            .collect();
        format!("{{{}}}", fields.join(", "))
    };
    job.repo.git(&["checkout", "-q", "main"]);
    job.repo.write("dvclive/metrics.json", many(0.1));
    job.repo.commit("many metrics");
    job.repo.git(&["checkout", "-q", "feature"]);
    job.repo
        .git(&["merge", "-q", "--no-edit", "-X", "theirs", "main"]);
    job.repo.write("dvclive/metrics.json", many(0.2));
    let head = job.repo.commit("change them all");
    job.fake.pull(PR, &head);
    let job = Job { head, ..job };
    let run = job.report(&[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1);
    let chars = ours[0].1.chars().count();
    assert!(chars <= 65_536, "{chars} characters");
    assert!(chars > 10_000, "as much as fits is kept: {chars}");
    assert!(
        ours[0].1.contains("actions/runs/42"),
        "points to the full report in the job summary"
    );
    assert!(run.stderr().contains("longer than a comment can be"));
    let summary = std::fs::read_to_string(job.summary_path()).unwrap();
    assert!(summary.len() > ours[0].1.len(), "the job summary has more");
    job.fake.assert_valid();
}

#[test]
fn github_enterprise_server_is_reached_under_its_api_prefix() {
    let job = Job::github().prefix("/api/v3").start();
    let run = job.report(&[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(job.ours().len(), 1);
    assert!(!job.fake.seen().is_empty());
    job.fake.assert_valid();
}

#[test]
fn a_push_comments_on_the_pushed_commit_against_the_one_before() {
    let job = Job::github().start();
    let env = job.env(
        "push",
        &event("push", &[("BEFORE", &job.base), ("AFTER", &job.head)]),
    );
    let run = job.run(&["report", "--out", "../report", "--images", "none"], &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let comments = job.fake.commit_comments(&job.head);
    assert_eq!(comments.len(), 1, "{}", job.transcript());
    let body = &comments[0].2;
    assert!(
        body.contains(&job.base[..7]),
        "the base is `before`: {body}"
    );
    assert!(body.contains("0.81") && body.contains("0.85"), "{body}");
    assert!(job.fake.comments(PR).is_empty());
    job.fake.assert_valid();
}

#[test]
fn a_check_run_carries_the_report_on_the_head_commit() {
    let job = Job::github().start();
    let run = job.report(&["--check", "--images", "mermaid"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let runs = job.fake.check_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["head_sha"], json!(job.head));
    assert_eq!(runs[0]["conclusion"], json!("neutral"));
    assert!(
        runs[0]["output"]["summary"]
            .as_str()
            .unwrap()
            .contains("| acc")
    );
    assert!(job.fake.refs().is_empty(), "mermaid hosts nothing");
    job.fake.assert_valid();
}

#[test]
fn a_fork_run_collects_and_a_workflow_run_job_publishes_unless_the_head_moved() {
    let job = Job::github().start();
    // The pull_request job of a fork: read-only, so it collects.
    let collect = job.run(
        &["report", "--collect", "../bundle"],
        &job.pull_request_env(true),
    );
    assert_eq!(collect.code(), 0, "{}", collect.stderr());
    assert!(job.fake.seen().is_empty());
    // The workflow_run job: the base repository's token, run from the default branch. The
    // run that made the bundle is a fork's: the event and the API list no pull request.
    job.fake
        .pull_from(PR, &job.head, Some("someone/repo"), "feature");
    let run_json = json!({
        "id": 99,
        "head_sha": job.head,
        "head_branch": "feature",
        "head_repository": { "full_name": "someone/repo" },
        "pull_requests": [],
        "event": "pull_request",
    });
    job.fake.run(99, run_json.clone());
    let bundle = job.repo.temp().join("bundle");
    let publish_env = job.env("workflow_run", &json!({ "workflow_run": run_json }));
    let bundle_arg = bundle.display().to_string();
    let run = job.run(&["publish", &bundle_arg], &publish_env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1, "{}", job.transcript());
    assert!(ours[0].1.contains(&format!("head={}", job.head)));
    assert!(ours[0].1.contains("0.85"));

    // The pull request moved on: an older bundle is not published over a newer report.
    job.fake
        .pull_from(PR, &"f".repeat(40), Some("someone/repo"), "feature");
    let before = ours[0].1.clone();
    let run = job.run(&["publish", &bundle_arg], &publish_env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("has moved on"), "{}", run.stderr());
    assert_eq!(job.ours()[0].1, before);
    job.fake.assert_valid();
}

#[test]
fn mlci_comment_posts_a_markdown_file_with_its_images_as_the_sticky_report() {
    let job = Job::github().start();
    let png = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/golden/curves_loss.tsv.png"),
    )
    .unwrap();
    job.repo.write("notes/chart.png", &png);
    job.repo.write(
        "notes/summary.md",
        "## Eval notes\n\n![chart](chart.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    );
    let env = job.pull_request_env(false);
    let run = job.run(&["comment", "notes/summary.md", "--id", "notes"], &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1);
    let body = &ours[0].1;
    assert!(body.starts_with("## Eval notes\n"), "{body}");
    assert!(body.contains("?raw=true)"), "the image is hosted: {body}");
    assert!(body.trim_end().ends_with("-->") && body.contains("id=notes"));
    assert_eq!(
        run.stdout().trim(),
        format!(
            "https://github.com/owner/repo/pull/7#issuecomment-{}",
            ours[0].0
        )
    );
    // A second report id does not touch the first.
    let report = job.report(&["--images", "none"]);
    assert_eq!(report.code(), 0, "{}", report.stderr());
    assert_eq!(job.ours().len(), 2);
    job.fake.assert_valid();
}

#[test]
fn a_run_for_an_older_commit_leaves_the_newer_report_alone() {
    let mut job = Job::github().start();
    let older = job.head.clone();
    job.push(0.9);
    let newer_run = job.report(&["--images", "none"]);
    assert_eq!(newer_run.code(), 0, "{}", newer_run.stderr());
    let newer_body = job.ours()[0].1.clone();
    // The older commit's run finishes last (a slow runner, a re-run).
    let stale = Job { head: older, ..job };
    let run = stale.report(&["--images", "none"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("a newer commit"),
        "says why: {}",
        run.stderr()
    );
    let ours = stale.ours();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].1, newer_body, "the newer report stays");
    assert!(
        !stale.transcript().contains("PATCH"),
        "{}",
        stale.transcript()
    );
    stale.fake.assert_valid();
}

#[test]
fn a_checkout_without_the_pull_requests_head_is_called_out() {
    let job = Job::github().start();
    // pull_request_target checks out the base branch unless the workflow says otherwise.
    job.repo.git(&["checkout", "-q", "main"]);
    let payload = event(
        "pull_request",
        &[
            ("HEAD", &job.head),
            ("BASE", &job.base),
            ("AUTHOR", "owner"),
            ("HEAD_REPO", "owner/repo"),
            ("FORK", "false"),
        ],
    );
    let env = job.env("pull_request_target", &payload);
    // The head is read from its commit, whatever the checkout: the report is the head's.
    let run = job.run(&["report", "--out", "../report", "--images", "none"], &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1, "{}", job.transcript());
    assert!(
        ours[0].1.contains("0.85"),
        "the head's numbers: {}",
        ours[0].1
    );
    // A pull_request run whose checkout lacks the head (a stale re-run) is called out.
    let env = job.env("pull_request", &payload);
    let run = job.run(&["report", "--out", "../report", "--images", "none"], &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("does not contain the pull request's head"),
        "{}",
        run.stderr()
    );
    // The checkout of a `pull_request` run (a merge commit of the head) is fine.
    job.repo.git(&["checkout", "-q", "--detach", "main"]);
    job.repo
        .git(&["merge", "-q", "--no-ff", "--no-edit", "feature"]);
    let run = job.report(&["--images", "none"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        !run.stderr().contains("does not contain"),
        "{}",
        run.stderr()
    );
    job.fake.assert_valid();
}

#[test]
fn the_action_runs_report_with_its_inputs() {
    let job = Job::github().start();
    let mut env: Vec<(String, String)> = job
        .pull_request_env(false)
        .into_iter()
        .filter(|(k, _)| k != "GITHUB_TOKEN")
        .collect();
    let root = job.repo.root().display().to_string();
    for (input, value) in [
        ("TOKEN", TOKEN),
        ("ID", "model-a"),
        ("CHECK", "true"),
        ("IMAGES", "mermaid"),
        ("TARGETS", "dvclive/metrics.json\n"),
        ("WORKING-DIRECTORY", "."),
        ("AUTHOR", BOT),
        ("DRY-RUN", "false"),
        ("OUT", "../action-report"),
    ] {
        env.push((format!("INPUT_{input}"), value.to_owned()));
    }
    env.push(("GITHUB_WORKSPACE".into(), root));
    let run = job.run(&["action"], &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1);
    assert!(ours[0].1.contains("id=model-a"), "{}", ours[0].1);
    assert!(ours[0].1.contains("```mermaid"), "{}", ours[0].1);
    assert_eq!(job.fake.check_runs().len(), 1);
    assert!(job.repo.temp().join("action-report/report.md").is_file());
    let outputs = job.outputs();
    assert!(
        outputs["comment-url"].starts_with("https://github.com/owner/repo/pull/7#issuecomment-"),
        "{outputs:?}"
    );
    // A bad input is an error that names it.
    env.push(("INPUT_CHECK".into(), "yes".into()));
    let bad = job.run(&["action"], &env);
    assert_eq!(bad.code(), 2);
    assert!(
        bad.stderr().contains("input `check` must be true or false"),
        "{}",
        bad.stderr()
    );
    job.fake.assert_valid();
}

#[test]
fn a_failed_gate_still_posts_then_fails_the_check_and_the_step() {
    let job = Job::github().start();
    let run = job.report(&["--check", "--images", "none", "--rule", "acc min=0.9"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(
        ours.len(),
        1,
        "the report is posted before the gate fails the step"
    );
    assert!(ours[0].1.contains("**Gate failed**"), "{}", ours[0].1);
    let runs = job.fake.check_runs();
    assert_eq!(runs[0]["conclusion"], json!("failure"));
    assert!(
        runs[0]["output"]["title"]
            .as_str()
            .unwrap()
            .starts_with("gate failed")
    );
    assert!(
        run.stderr()
            .contains("::error title=mlci gate::dvclive/metrics.json acc: 🔴 failed check (0.81 → 0.85; below min 0.9)"),
        "{}",
        run.stderr()
    );
    assert_eq!(job.outputs()["regressions"], "1");
    // A passing gate: success.
    let pass = job.report(&["--check", "--images", "none", "--rule", "acc min=0.8"]);
    assert_eq!(pass.code(), 0, "{}", pass.stderr());
    assert_eq!(job.fake.check_runs()[1]["conclusion"], json!("success"));
    job.fake.assert_valid();
}
