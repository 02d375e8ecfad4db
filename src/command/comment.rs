//! `mlci comment FILE.md`: the user's markdown, byte for byte, with its local images hosted
//! and the marker appended, as the sticky report.

use std::path::Path;

use crate::ci::{CiContext, Event};
use crate::cli::CommentArgs;
use crate::command::Outcome;
use crate::config::{destination, validate_id};
use crate::fail;
use crate::git::Repo;
use crate::inputs::Directory;
use crate::inputs::markdown::{ImageLink, image_links};
use crate::inputs::{self, FileSource as _, paths};
use crate::publish::Thread;
use crate::publish::deliver::{self, Comment};
use crate::publish::forge;
use crate::render::plots::Asset;

/// `mlci comment`.
pub fn comment(args: CommentArgs, dir: &Path, ci: &CiContext) -> anyhow::Result<Outcome> {
    let CommentArgs {
        file,
        id,
        target,
        images,
        mut post,
    } = args;
    let id = validate_id(&id)?;
    let issue = match target.as_str() {
        "pr" => None,
        "commit" => {
            if post.commit.is_none() {
                post.commit = ci
                    .github
                    .as_ref()
                    .and_then(|g| g.sha.clone())
                    .or_else(|| ci.gitlab.as_ref().and_then(|g| g.commit_sha.clone()));
            }
            post.pr = None;
            None
        }
        other => match other.strip_prefix("issue/").map(str::parse::<u64>) {
            Some(Ok(n)) => Some(n),
            _ => {
                return Err(fail(
                    format!("unknown --target `{other}`"),
                    "use pr, commit or issue/N",
                ));
            }
        },
    };
    let file = dir.join(&file);
    let markdown = std::fs::read_to_string(&file).map_err(|error| {
        fail(
            format!("cannot read `{}`: {error}", file.display()),
            "pass a markdown file",
        )
    })?;
    let mut destination = destination::resolve(ci, &post)?.ok_or_else(|| {
        fail(
            "nothing to comment on: not in GitHub Actions or GitLab CI, and no --repo",
            "pass --repo OWNER/NAME with --pr N, --commit SHA or --target issue/N",
        )
    })?;
    if let Some(n) = issue {
        destination.thread = Thread::Issue(n);
    } else if let Event::Push { .. } = destination.event
        && let Some(reason) = destination.event.nothing_to_report()
    {
        // A deleted branch or tag has no commit to comment on. (A closed pull request
        // still takes a comment someone chose to post.)
        log::warn!("{reason}");
        return Ok(Outcome::default());
    }
    let file_dir = file
        .parent()
        .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
    let links = image_links(&markdown);
    let assets = local_images(&links, &file_dir, ci);
    let url = deliver::comment(&Comment {
        markdown,
        file,
        links,
        assets,
        id,
        hosting: destination::hosting(images, &post, &destination)?,
        destination,
        network: forge::network(post.network_timeout, post.network_deadline),
        repo: Repo::discover(dir, ci.trusted_workspace.clone()).ok(),
    })?;
    Ok(Outcome {
        stdout: format!("{url}\n"),
        gate_failed: false,
    })
}

/// The local images the file links, read from its repository (or, outside one, its
/// folder): a link that leaves it, names `.git` or passes through a symlink out of it is
/// left alone with a warning; remote URLs and missing files are left alone.
fn local_images(links: &[ImageLink], file_dir: &Path, ci: &CiContext) -> Vec<Asset> {
    let root = Repo::discover(file_dir, ci.trusted_workspace.clone())
        .map(|r| r.root().to_path_buf())
        .unwrap_or_else(|_| file_dir.to_path_buf());
    let from_root = match (root.canonicalize(), file_dir.canonicalize()) {
        (Ok(root), Ok(dir)) => paths::relative_within(
            &root.to_string_lossy(),
            &dir.to_string_lossy(),
            paths::CASE_INSENSITIVE_FS,
        ),
        _ => None,
    };
    let Some(from_root) = from_root else {
        return Vec::new();
    };
    let source = Directory::new(root, "the markdown file's repository".into());
    let mut urls: Vec<&str> = links
        .iter()
        .map(|link| link.url.as_str())
        .filter(|url| !url.contains("://") && !url.starts_with('/') && !url.starts_with('#'))
        .filter(|url| inputs::plots::is_image(url))
        .collect();
    urls.sort_unstable();
    urls.dedup();
    urls.into_iter()
        .filter_map(|url| {
            let path = paths::join(&from_root, url);
            match source.read(&path, inputs::DEFAULT_MAX_FILE_SIZE) {
                Ok(Some(bytes)) => Some(Asset {
                    path: url.to_owned(),
                    bytes,
                }),
                Ok(None) => None,
                Err(error) => {
                    log::warn!("not hosting the image `{url}`: {error}");
                    None
                }
            }
        })
        .collect()
}
