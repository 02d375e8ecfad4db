//! The sticky report, the same on every forge: one comment per report id in a conversation,
//! found by the marker on its last line and its author, updated in place, never duplicated.
//!
//! A forge provides a [`Conversation`] (list, create, update, delete); [`upsert`] does the
//! rest: the stale-run guard, the look-before-retry after an ambiguous create, and the
//! convergence of racing runs.

use crate::publish::http::ApiError;
use crate::sha::Sha;

/// A comment as mlci needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The forge's id.
    pub id: u64,
    /// The markdown.
    pub body: String,
    /// The author's login.
    pub login: String,
    /// Where people see it.
    pub url: String,
}

/// The comments of one pull request, merge request, issue or commit.
pub trait Conversation {
    /// Every comment, all pages, in any order.
    fn comments(&self) -> Result<Vec<Comment>, ApiError>;
    /// Creates a comment. An error for which [`ApiError::is_ambiguous`] holds may have
    /// created it anyway.
    fn create(&self, body: &str) -> Result<Comment, ApiError>;
    /// Replaces a comment's body.
    fn update(&self, id: u64, body: &str) -> Result<Comment, ApiError>;
    /// Deletes a comment; one already gone is not an error.
    fn delete(&self, id: u64) -> Result<(), ApiError>;
    /// Whether comments here can be edited and deleted (GitLab's commit comments cannot).
    fn editable(&self) -> bool {
        true
    }
}

/// What happened to the sticky comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// A new comment.
    Created(Comment),
    /// Our comment, updated in place.
    Updated(Comment),
    /// Left alone: it reports a newer commit than this run.
    Skipped {
        /// The comment that stays.
        comment: Comment,
        /// The newer commit it reports.
        newer_head: Sha,
    },
    /// Left alone: the forge cannot edit comments here, and ours is there already.
    Kept(Comment),
}

impl Posted {
    /// The comment's URL.
    pub fn url(&self) -> &str {
        match self {
            Posted::Created(c)
            | Posted::Updated(c)
            | Posted::Kept(c)
            | Posted::Skipped { comment: c, .. } => &c.url,
        }
    }
}

/// The identity of our report: its marker id, and (when known) the login that posts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `--id`.
    pub id: String,
    /// The token's login (`github-actions[bot]` for a workflow's `GITHUB_TOKEN`); `None`
    /// when it cannot be known, then only the marker decides.
    pub login: Option<String>,
}

/// Creates or updates the sticky report.
///
/// - Finds our comments: the marker with our id is the body's last line (a quote of it is
///   `> <!-- ...`, so quoting a report does not make one), by our login when known.
/// - If the oldest of ours reports a newer commit than `head` (`is_newer(their_head)`),
///   leaves it and says so.
/// - Else updates it, or creates one. A create whose outcome is unknown (a timeout, a 5xx)
///   is followed by a fresh listing, never by a blind retry.
/// - After creating, lists again: if two runs raced, the oldest comment wins, gets this
///   run's body if it is not newer, and the others are deleted.
pub fn upsert(
    conversation: &dyn Conversation,
    body: &str,
    identity: &Identity,
    head: Option<&Sha>,
    is_newer: &dyn Fn(&Sha) -> bool,
) -> Result<Posted, ApiError> {
    let ours = |comments: Vec<Comment>| -> Vec<Comment> {
        let mut ours: Vec<Comment> = comments
            .into_iter()
            .filter(|c| is_ours(c, identity))
            .collect();
        ours.sort_by_key(|c| c.id);
        ours
    };
    let editable = conversation.editable();
    // Whose comments are ours is known only by login: without one, nothing existing is
    // touched before our own create tells us who we are.
    let existing = if identity.login.is_some() {
        ours(conversation.comments()?)
    } else {
        log::warn!(
            "the token's login is unknown, so mlci posts its report first and then keeps the oldest of its own; pass --author LOGIN (the action's `author` input) to update the report in place"
        );
        Vec::new()
    };
    if let Some(oldest) = existing.first() {
        if let Some(posted) = guard(oldest, head, is_newer) {
            return Ok(posted);
        }
        if !editable {
            return Ok(Posted::Kept(oldest.clone()));
        }
        let updated = conversation.update(oldest.id, body)?;
        for duplicate in &existing[1..] {
            conversation.delete(duplicate.id)?;
        }
        return Ok(Posted::Updated(updated));
    }
    let created = match conversation.create(body) {
        Ok(comment) => comment,
        Err(error) if error.is_ambiguous() && identity.login.is_some() => {
            log::warn!("{error}; looking for the comment before trying again");
            match ours(conversation.comments()?).into_iter().next() {
                Some(comment) => comment,
                None => conversation.create(body)?,
            }
        }
        Err(error) => return Err(error),
    };
    if !editable {
        return Ok(Posted::Created(created));
    }
    // The forge says who posted: that is our identity from now on. When the assumed login
    // was wrong (a personal token where the workflow token was expected), the comments it
    // missed are found now, and the convergence below keeps one.
    let actual = Identity {
        id: identity.id.clone(),
        login: Some(created.login.clone()).filter(|l| !l.is_empty()),
    };
    if let (Some(assumed), Some(real)) = (&identity.login, &actual.login)
        && !assumed.eq_ignore_ascii_case(real)
    {
        log::warn!(
            "the token posts as `{real}`, not `{assumed}`: pass --author {real} (the action's `author` input) so mlci finds its comment without creating one first"
        );
    }
    // Two runs may have created at once: converge on the oldest.
    let mut now: Vec<Comment> = conversation
        .comments()?
        .into_iter()
        .filter(|c| is_ours(c, &actual))
        .collect();
    now.sort_by_key(|c| c.id);
    match now.first() {
        Some(oldest) if oldest.id != created.id => {
            conversation.delete(created.id)?;
            if let Some(skipped) = guard(oldest, head, is_newer) {
                return Ok(skipped);
            }
            let updated = conversation.update(oldest.id, body)?;
            Ok(Posted::Updated(updated))
        }
        _ => {
            for duplicate in now.iter().filter(|c| c.id != created.id) {
                conversation.delete(duplicate.id)?;
            }
            Ok(Posted::Created(created))
        }
    }
}

/// `Some(Skipped)` when `existing` reports a commit newer than `head`.
fn guard(
    existing: &Comment,
    head: Option<&Sha>,
    is_newer: &dyn Fn(&Sha) -> bool,
) -> Option<Posted> {
    let theirs = marker_head(&existing.body)?;
    let ours = head?;
    (theirs != *ours && is_newer(&theirs)).then(|| Posted::Skipped {
        comment: existing.clone(),
        newer_head: theirs,
    })
}

/// Whether a comment is one of our reports with this id: our marker, and our login. With
/// no login known, nothing is ours (anyone can end a comment with our marker).
pub fn is_ours(comment: &Comment, identity: &Identity) -> bool {
    let by_us = identity
        .login
        .as_deref()
        .is_some_and(|login| comment.login.eq_ignore_ascii_case(login));
    by_us && marker_id(&comment.body).as_deref() == Some(identity.id.as_str())
}

/// The fields of the marker on the last line of a body.
fn marker_fields(body: &str) -> Option<Vec<(&str, &str)>> {
    let last = body.lines().rev().find(|l| !l.trim().is_empty())?.trim();
    let inner = last
        .strip_prefix("<!-- mlci:report ")?
        .strip_suffix("-->")?;
    Some(
        inner
            .split_whitespace()
            .filter_map(|f| f.split_once('='))
            .collect(),
    )
}

/// The report id in a body's marker.
pub fn marker_id(body: &str) -> Option<String> {
    marker_fields(body)?
        .into_iter()
        .find(|(k, _)| *k == "id")
        .map(|(_, v)| v.to_owned())
}

/// The head commit in a body's marker.
pub fn marker_head(body: &str) -> Option<Sha> {
    marker_fields(body)?
        .into_iter()
        .find(|(k, _)| *k == "head")
        .and_then(|(_, v)| Sha::parse(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn sha(digit: char) -> Sha {
        Sha::parse(&digit.to_string().repeat(40)).unwrap()
    }

    fn comment(id: u64, login: &str, body: &str) -> Comment {
        Comment {
            id,
            body: body.into(),
            login: login.into(),
            url: format!("u{id}"),
        }
    }

    #[test]
    fn markers_are_read_from_the_last_line_only() {
        let head = "abc123".repeat(7)[..40].to_owned();
        let body = format!("## report\n\n<!-- mlci:report id=model-a head={head} -->\n");
        assert_eq!(marker_id(&body).as_deref(), Some("model-a"));
        assert_eq!(marker_head(&body).as_deref(), Some(head.as_str()));
        // A head that is not a commit name is no head.
        assert_eq!(
            marker_head("<!-- mlci:report id=model-a head=abc123 -->"),
            None
        );
        let quoted = "> ## report\n> <!-- mlci:report id=model-a head=abc123 -->\n\nnice!";
        assert_eq!(marker_id(quoted), None);
        assert_eq!(marker_id("text <!-- mlci:report id=x --> more"), None);
    }

    #[test]
    fn ours_needs_the_id_and_the_login_when_known() {
        let identity = Identity {
            id: "default".into(),
            login: Some("github-actions[bot]".into()),
        };
        let marker = "<!-- mlci:report id=default head=1 -->";
        assert!(is_ours(
            &comment(1, "github-actions[bot]", marker),
            &identity
        ));
        assert!(!is_ours(&comment(2, "mallory", marker), &identity));
        assert!(!is_ours(
            &comment(3, "github-actions[bot]", "<!-- mlci:report id=other -->"),
            &identity
        ));
        let unknown = Identity {
            id: "default".into(),
            login: None,
        };
        assert!(!is_ours(&comment(2, "mallory", marker), &unknown));
    }

    #[test]
    fn an_unknown_login_never_edits_someone_elses_comment() {
        // Mallory's comment ends with our marker; an earlier report of ours is there too.
        let marker =
            "<!-- mlci:report id=default head=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -->";
        let conversation = Editable {
            comments: RefCell::new(vec![
                comment(1, "mallory", &format!("fake\n{marker}\n")),
                comment(2, "me", &format!("old\n{marker}\n")),
            ]),
            real: "me",
        };
        let identity = Identity {
            id: "default".into(),
            login: None,
        };
        let body =
            "new\n<!-- mlci:report id=default head=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb -->\n";
        let posted = upsert(&conversation, body, &identity, Some(&sha('b')), &|_| false).unwrap();
        // Our create told us who we are: the older report of ours got the body, our new
        // comment went away, Mallory's is untouched.
        assert!(
            matches!(posted, Posted::Updated(ref c) if c.id == 2),
            "{posted:?}"
        );
        let left = conversation.comments.borrow();
        assert_eq!(left.len(), 2);
        assert_eq!(left[0].body, format!("fake\n{marker}\n"));
        assert_eq!(left[1].body, body);
    }

    /// An in-memory conversation whose comments cannot be edited.
    struct ReadOnly(RefCell<Vec<Comment>>);

    impl Conversation for ReadOnly {
        fn comments(&self) -> Result<Vec<Comment>, ApiError> {
            Ok(self.0.borrow().clone())
        }
        fn create(&self, body: &str) -> Result<Comment, ApiError> {
            let c = comment(self.0.borrow().len() as u64 + 1, "bot", body);
            self.0.borrow_mut().push(c.clone());
            Ok(c)
        }
        fn update(&self, _: u64, _: &str) -> Result<Comment, ApiError> {
            unreachable!("not editable")
        }
        fn delete(&self, _: u64) -> Result<(), ApiError> {
            unreachable!("not editable")
        }
        fn editable(&self) -> bool {
            false
        }
    }

    /// An in-memory conversation where the token posts as `real`.
    struct Editable {
        comments: RefCell<Vec<Comment>>,
        real: &'static str,
    }

    impl Conversation for Editable {
        fn comments(&self) -> Result<Vec<Comment>, ApiError> {
            Ok(self.comments.borrow().clone())
        }
        fn create(&self, body: &str) -> Result<Comment, ApiError> {
            let id = self
                .comments
                .borrow()
                .iter()
                .map(|c| c.id)
                .max()
                .unwrap_or(0)
                + 1;
            let c = comment(id, self.real, body);
            self.comments.borrow_mut().push(c.clone());
            Ok(c)
        }
        fn update(&self, id: u64, body: &str) -> Result<Comment, ApiError> {
            let mut comments = self.comments.borrow_mut();
            let c = comments.iter_mut().find(|c| c.id == id).unwrap();
            c.body = body.to_owned();
            Ok(c.clone())
        }
        fn delete(&self, id: u64) -> Result<(), ApiError> {
            self.comments.borrow_mut().retain(|c| c.id != id);
            Ok(())
        }
    }

    #[test]
    fn a_wrong_login_heals_itself_into_one_comment() {
        // Ours from an earlier run by `me`, while the run assumes the workflow bot.
        let earlier = comment(
            1,
            "me",
            "old\n<!-- mlci:report id=default head=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -->\n",
        );
        let conversation = Editable {
            comments: RefCell::new(vec![earlier]),
            real: "me",
        };
        let identity = Identity {
            id: "default".into(),
            login: Some("github-actions[bot]".into()),
        };
        let body =
            "new\n<!-- mlci:report id=default head=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb -->\n";
        let posted = upsert(&conversation, body, &identity, Some(&sha('b')), &|_| false).unwrap();
        assert!(
            matches!(posted, Posted::Updated(ref c) if c.id == 1),
            "{posted:?}"
        );
        let left = conversation.comments.borrow();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].body, body);
    }

    #[test]
    fn where_comments_cannot_be_edited_ours_is_kept() {
        let conversation = ReadOnly(RefCell::new(Vec::new()));
        let identity = Identity {
            id: "default".into(),
            login: Some("bot".into()),
        };
        let body = "report\n<!-- mlci:report id=default head=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -->\n";
        let first = upsert(&conversation, body, &identity, Some(&sha('a')), &|_| false).unwrap();
        assert!(matches!(first, Posted::Created(_)));
        let second = upsert(&conversation, body, &identity, Some(&sha('a')), &|_| false).unwrap();
        assert!(matches!(second, Posted::Kept(_)));
        assert_eq!(conversation.0.borrow().len(), 1);
    }
}
