//! `mlci report` end to end.
