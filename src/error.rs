//! The error every stage may raise for a person to act on: what went wrong and what to do
//! about it (`hint:`). Typed errors of their own domain (`GitError`, `ApiError`,
//! `WriteError`, `ConfigError`) carry their hints too; `main` prints them all the same way.

/// An error with the fix to suggest.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// What went wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

/// An error and its hint, as an `anyhow::Error`.
pub(crate) fn fail(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    Failure {
        message: message.into(),
        hint: Some(hint.into()),
    }
    .into()
}
