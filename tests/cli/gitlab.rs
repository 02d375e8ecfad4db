//! Posting to GitLab end to end: the real binary, with its real client (reqwest), against
//! the fake GitLab of `gitlab_fake`, with the predefined variables of a merge request,
//! branch, tag or scheduled pipeline from `fixtures/gitlab/*.env`.

use crate::gitlab_fake::{BOT, FakeGitLab, Fault, JOB_TOKEN, TOKEN};
use crate::job::{Job, MR, SERVER};

#[test]
fn a_merge_request_gets_one_note_with_uploaded_charts_updated_in_place() {
    let job = Job::gitlab().start();
    let first = job.report(&["--openmetrics", "../metrics.txt"]);
    assert_eq!(first.code(), 0, "{}", first.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1, "{}", job.transcript());
    let (id, body) = &ours[0];
    assert!(body.contains("| acc") && body.contains("0.86"), "{body}");
    assert!(
        body.trim_end().ends_with(&format!(
            "<!-- mlci:report id=default head={} -->",
            job.head
        )),
        "{body}"
    );
    // The chart was uploaded, and the note links it absolutely through the project URL.
    let uploads = job.fake.uploads();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    let (secret, name, _, part_type) = &uploads[0];
    assert!(name.ends_with(".png"), "{name}");
    assert_eq!(part_type, "image/png");
    assert!(
        body.contains(&format!("({SERVER}/group/model/uploads/{secret}/{name})")),
        "{body}"
    );
    // The metrics report for GitLab's widget.
    let openmetrics = std::fs::read_to_string(job.repo.temp().join("metrics.txt")).unwrap();
    assert_eq!(
        openmetrics,
        "acc{file=\"dvclive/metrics.json\"} 0.86\nloss{file=\"dvclive/metrics.json\"} 0.4\n# EOF\n"
    );
    let first_requests = job.transcript();

    // A second run (a new push): the same note, edited.
    let second = job.report(&["--images", "none"]);
    assert_eq!(second.code(), 0, "{}", second.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].0, *id);
    assert!(!ours[0].1.contains("/uploads/"), "{}", ours[0].1);
    job.fake.assert_valid();
    let all = job.transcript();
    insta::assert_snapshot!(format!(
        "--- first run\n{first_requests}--- second run\n{}",
        &all[first_requests.len()..]
    ));
}

#[test]
fn our_note_is_found_on_the_third_page_past_quotes_and_system_notes() {
    let job = Job::gitlab().start();
    for i in 0..230 {
        job.fake.note(MR, "reviewer", &format!("note {i}"), false);
        if i % 50 == 0 {
            job.fake.note(
                MR,
                "ghost",
                "added 1 commit\n<!-- mlci:report id=default -->",
                true,
            );
        }
    }
    let quote = "> old numbers\n> <!-- mlci:report id=default head=abc -->\n";
    job.fake.note(MR, "reviewer", quote, false);
    let impostor = "<!-- mlci:report id=default head=abc -->";
    job.fake.note(MR, "someone", impostor, false);
    let ours = job.fake.note(
        MR,
        BOT,
        "old\n<!-- mlci:report id=default head=abc -->\n",
        false,
    );
    let run = job.report(&["--images", "none"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let notes = job.fake.notes(MR);
    assert_eq!(notes.len(), 238, "nothing created");
    let mine = job.ours();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].0, ours);
    assert!(mine[0].1.contains("| acc"));
    assert!(notes.iter().any(|n| n.2 == quote) && notes.iter().any(|n| n.2 == impostor));
    let transcript = job.transcript();
    assert!(
        transcript.contains("page=3 -> 200"),
        "three pages read: {transcript}"
    );
    job.fake.assert_valid();
}

#[test]
fn a_job_token_alone_stops_with_how_to_make_an_access_token() {
    let job = Job::gitlab().start();
    let run = job.run(
        &["report", "--out", "../report"],
        &job.env("merge_request", &[]),
    );
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains("CI_JOB_TOKEN")
            && stderr.contains("project access token")
            && stderr.contains("GITLAB_TOKEN"),
        "{stderr}"
    );
    assert_eq!(job.fake.transcript(), "", "nothing sent");
    assert!(
        job.repo.temp().join("report/report.md").is_file(),
        "the local copy is there"
    );
}

#[test]
fn server_errors_and_rate_limits_are_retried() {
    let job = Job::gitlab().start();
    job.fake.fault("GET", "/notes", Fault::Status(502));
    job.fake
        .fault("POST", "/uploads", Fault::RateLimit { retry_after: 1 });
    // A 429 on the create: GitLab did not act, so it is sent again.
    job.fake
        .fault("POST", "/notes", Fault::RateLimit { retry_after: 1 });
    let run = job.report(&[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(job.ours().len(), 1);
    let transcript = job.transcript();
    for line in [
        "POST /uploads -> 429",
        "POST /merge_requests/12/notes -> 429",
        "POST /merge_requests/12/notes -> 201",
        "-> 502",
    ] {
        assert!(transcript.contains(line), "{line}: {transcript}");
    }
    job.fake.assert_valid();
}

#[test]
fn a_sub_path_instance_and_a_project_named_by_its_path() {
    let job = Job::gitlab().prefix("/gitlab").start();
    let env = job.env(
        "merge_request",
        &[
            ("GITLAB_TOKEN", TOKEN),
            ("CI_SERVER_URL", "https://host.example/gitlab"),
        ],
    );
    let run = job.run(
        &["report", "--out", "../report", "--repo", "group/model"],
        &env,
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(job.ours().len(), 1, "{}", job.transcript());
    let body = &job.ours()[0].1;
    assert!(
        body.contains("https://host.example/gitlab/group/model/uploads/"),
        "links under the sub-path: {body}"
    );
    assert!(job.fake.url.contains("/gitlab/api/v4"));
    job.fake.assert_valid();
}

#[test]
fn a_branch_pipeline_comments_on_the_commit_once() {
    let job = Job::gitlab().start();
    let env = job.env("branch", &[("GITLAB_TOKEN", TOKEN)]);
    let args = ["report", "--out", "../report", "--images", "none"];
    let run = job.run(&args, &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let comments = job.fake.commit_comments(&job.head);
    assert_eq!(comments.len(), 1, "{}", job.transcript());
    assert_eq!(comments[0].0, BOT);
    assert!(
        comments[0].1.contains(&job.base[..7]),
        "compared with CI_COMMIT_BEFORE_SHA: {}",
        comments[0].1
    );
    assert!(job.fake.notes(MR).is_empty());
    // A retried job: GitLab cannot edit commit comments, and the report is there.
    let again = job.run(&args, &env);
    assert_eq!(again.code(), 0, "{}", again.stderr());
    assert_eq!(job.fake.commit_comments(&job.head).len(), 1);
    assert!(again.stderr().contains("cannot edit"), "{}", again.stderr());
    job.fake.assert_valid();
}

#[test]
fn mlci_comment_posts_a_file_to_the_merge_request() {
    let job = Job::gitlab().start();
    job.repo.write(
        "notes.md",
        "- [x] trained\n- [ ] evaluated on the holdout\n",
    );
    let run = job.run(
        &["comment", "notes.md", "--id", "checklist"],
        &job.merge_request_env(),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1);
    assert!(
        ours[0].1.starts_with(
            "- [x] trained\n- [ ] evaluated on the holdout\n\n<!-- mlci:report id=checklist"
        ),
        "byte for byte: {}",
        ours[0].1
    );
    assert_eq!(
        run.stdout().trim(),
        format!(
            "{SERVER}/group/model/-/merge_requests/12#note_{}",
            ours[0].0
        )
    );
    job.fake.assert_valid();
}

#[test]
fn mlci_comment_uploads_images_typed_by_their_extension_in_any_case() {
    let job = Job::gitlab().start();
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>";
    job.repo.write("notes/ROC.SVG", svg);
    job.repo.write("notes/photo.JPeG", "not really a jpeg");
    job.repo
        .write("notes/summary.md", "![roc](ROC.SVG) ![photo](photo.JPeG)\n");
    let run = job.run(
        &["comment", "notes/summary.md", "--id", "notes"],
        &job.merge_request_env(),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let mut types: Vec<(String, String)> = job
        .fake
        .uploads()
        .into_iter()
        .map(|(_, name, _, part_type)| (name, part_type))
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            ("ROC.SVG".to_owned(), "image/svg+xml".to_owned()),
            ("photo.JPeG".to_owned(), "image/jpeg".to_owned()),
        ]
    );
    let body = &job.ours()[0].1;
    assert!(
        !body.contains("](ROC.SVG)"),
        "linked where it was uploaded: {body}"
    );
    job.fake.assert_valid();
}

#[test]
fn the_fake_refuses_what_gitlab_would_refuse() {
    let fake = FakeGitLab::start("");
    let send = |method: &str, path: &str, headers: &[&str], body: &str| -> u16 {
        let mut headers = headers.to_vec();
        headers.push("user-agent: t");
        crate::fake_http::raw(&fake.url, method, path, &headers, body)
    };
    let token = format!("private-token: {TOKEN}");
    let json = "content-type: application/json";
    let notes = "/api/v4/projects/42/merge_requests/12/notes";
    assert_eq!(
        send("POST", notes, &[&token, json], r#"{"body":"hi"}"#),
        201
    );
    fake.assert_valid();
    let too_long = format!(r#"{{"body":"{}"}}"#, "x".repeat(1_000_001));
    let job = format!("job-token: {JOB_TOKEN}");
    let cases: Vec<(&str, &str, Vec<&str>, &str, &str)> = vec![
        ("POST", notes, vec![json], r#"{"body":"hi"}"#, "401"),
        (
            "POST",
            notes,
            vec![&job, json],
            r#"{"body":"hi"}"#,
            "job token",
        ),
        (
            "POST",
            notes,
            vec![&token],
            r#"{"body":"hi"}"#,
            "Content-Type",
        ),
        (
            "POST",
            notes,
            vec![&token, json],
            r#"{"text":"hi"}"#,
            "body is missing",
        ),
        ("POST", notes, vec![&token, json], &too_long, "too long"),
        (
            "GET",
            "/api/v4/projects/group/model/merge_requests/12/notes",
            vec![&token],
            "",
            "URL-encoded",
        ),
        (
            "GET",
            "/api/v4/projects/42/merge_requests/12/notes?per_page=500",
            vec![&token],
            "",
            "per_page",
        ),
        (
            "POST",
            "/api/v4/projects/42/uploads",
            vec![&token, "content-type: multipart/form-data; boundary=b"],
            "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\nx\r\n--b--\r\n",
            "named `file`",
        ),
    ];
    for (method, path, headers, body, expected) in cases {
        let before = fake.violations().len();
        let status = send(method, path, &headers, body);
        assert!(status >= 400, "{method} {path} was accepted");
        let violations = fake.violations();
        assert_eq!(
            violations.len(),
            before + 1,
            "{method} {path}: {violations:?}"
        );
        assert!(
            violations.last().unwrap().contains(expected),
            "{expected}: {violations:?}"
        );
    }
}

#[test]
fn a_collected_bundle_is_published_to_the_merge_request_unless_it_moved_on() {
    let job = Job::gitlab().start();
    // A fork's pipeline has no token: it collects.
    let collect = job.run(
        &["report", "--collect", "../bundle"],
        &job.env("merge_request", &[]),
    );
    assert_eq!(collect.code(), 0, "{}", collect.stderr());
    let manifest = std::fs::read_to_string(job.repo.temp().join("bundle/manifest.json")).unwrap();
    assert!(manifest.contains("\"forge\": \"gitlab\""), "{manifest}");
    // A trusted pipeline (a downstream one in the parent project) publishes to the merge
    // request its own definition names; the bundle's claim must agree.
    let bundle = job.repo.temp().join("bundle").display().to_string();
    let env = job.env("branch", &[("GITLAB_TOKEN", TOKEN)]);
    let unnamed = job.run(&["publish", &bundle], &env);
    assert_eq!(unnamed.code(), 2, "{}", unnamed.stderr());
    assert!(unnamed.stderr().contains("--mr"), "{}", unnamed.stderr());
    let other = job.run(&["publish", &bundle, "--mr", "13"], &env);
    assert_eq!(other.code(), 2, "{}", other.stderr());
    assert!(
        other.stderr().contains("refusing to publish the bundle"),
        "{}",
        other.stderr()
    );
    assert!(job.ours().is_empty());
    let mr = MR.to_string();
    let run = job.run(&["publish", &bundle, "--mr", &mr], &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1, "{}", job.transcript());
    assert!(ours[0].1.contains(&format!("head={}", job.head)));
    // The merge request moved on: the old bundle is not posted over the newer report.
    job.fake.merge_request(MR, &"e".repeat(40));
    let before = ours[0].1.clone();
    let run = job.run(&["publish", &bundle, "--mr", &mr], &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("moved on"), "{}", run.stderr());
    assert_eq!(job.ours()[0].1, before);
    job.fake.assert_valid();
}

#[test]
fn a_fork_merge_request_without_the_token_keeps_the_report_local_and_passes() {
    let job = Job::gitlab().start();
    let env = job.env(
        "merge_request",
        &[("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "77")],
    );
    let run = job.run(&["report", "--out", "../report"], &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run.stderr().contains("fork"), "{}", run.stderr());
    assert_eq!(job.fake.transcript(), "", "nothing sent");
    assert!(job.repo.temp().join("report/report.md").is_file());
}

#[test]
fn a_failed_gate_posts_the_note_then_fails_the_job() {
    let job = Job::gitlab().start();
    let run = job.report(&["--images", "none", "--rule", "acc min=0.9"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1);
    assert!(ours[0].1.contains("**Gate failed**"), "{}", ours[0].1);
    assert!(
        ours[0].1.contains("🔴 failed check (below min 0.9)"),
        "{}",
        ours[0].1
    );
    assert!(
        !run.stderr().contains("::error"),
        "workflow commands are GitHub's: {}",
        run.stderr()
    );
    job.fake.assert_valid();
}

#[test]
fn the_first_push_of_a_branch_compares_with_the_merge_base_of_ci_default_branch() {
    // The project's default branch is `trunk`; the runner's checkout holds one commit of
    // the branch it builds, and no `origin/HEAD`.
    let job = Job::gitlab().start();
    job.repo.git(&["branch", "-m", "main", "trunk"]);
    job.repo.git(&["checkout", "-q", "trunk"]);
    let clone = job.repo.shallow_clone("feature", "checkout");
    let zeros = "0".repeat(40);
    let env = job.env(
        "branch",
        &[
            ("GITLAB_TOKEN", TOKEN),
            ("CI_COMMIT_BEFORE_SHA", &zeros),
            ("CI_DEFAULT_BRANCH", "trunk"),
        ],
    );
    let run = job.run_in(
        &clone,
        &["report", "--out", "../report", "--images", "none"],
        &env,
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(!run.stderr().contains("refspec"), "{}", run.stderr());
    let comments = job.fake.commit_comments(&job.head);
    assert_eq!(comments.len(), 1, "{}", job.transcript());
    assert!(
        comments[0].1.contains(&format!(
            "Base: merge-base with origin/trunk ({})",
            &job.base[..7]
        )) && comments[0].1.contains("0.81")
            && comments[0].1.contains("0.86"),
        "{}",
        comments[0].1
    );
    job.fake.assert_valid();
}

#[test]
fn tag_and_scheduled_pipelines_with_a_zero_before_sha_compare_with_the_default_branch() {
    let job = Job::gitlab().start();
    job.repo.git(&["tag", "v1.0", &job.head]);
    job.repo.git(&["checkout", "-q", "main"]);
    let args = ["report", "--out", "../report", "--images", "none"];
    // A tag on the feature branch: the merge-base with main.
    let clone = job.repo.shallow_clone("v1.0", "tag-checkout");
    let run = job.run_in(&clone, &args, &job.env("tag", &[("GITLAB_TOKEN", TOKEN)]));
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let comments = job.fake.commit_comments(&job.head);
    assert_eq!(comments.len(), 1, "{}", job.transcript());
    assert!(
        comments[0].1.contains(&format!(
            "Base: merge-base with origin/main ({})",
            &job.base[..7]
        )) && comments[0].1.contains("0.86"),
        "{}",
        comments[0].1
    );
    // A schedule on main: one commit on both sides, said in one line.
    let clone = job.repo.shallow_clone("main", "schedule-checkout");
    let run = job.run_in(
        &clone,
        &args,
        &job.env("schedule", &[("GITLAB_TOKEN", TOKEN)]),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let comments = job.fake.commit_comments(&job.base);
    assert_eq!(comments.len(), 1, "{}", job.transcript());
    assert!(
        comments[0].1.contains(&format!(
            "The base and the head are the same commit ({}): nothing to compare.",
            &job.base[..7]
        )),
        "{}",
        comments[0].1
    );
    job.fake.assert_valid();
}
