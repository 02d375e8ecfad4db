//! The one integration-test binary: runs `mlci` end to end on real temporary git
//! repositories (and, for publishing, against local fakes of the forges).

#![expect(
    unreachable_pub,
    reason = "helpers in `support` are `pub` for the modules of this one binary"
)]

mod dvc_compat;
mod events;
mod fake_http;
mod field;
mod github;
mod github_fake;
mod gitlab;
mod gitlab_fake;
mod job;
mod plots;
mod readers;
mod report;
mod revisions;
mod stacks;
mod support;
mod trust;
