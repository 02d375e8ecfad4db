//! The commands that are not the report pipeline, as argument glue over the stages:
//! `metrics diff`, `params diff` and `plots diff` (DVC's commands), `comment` (a markdown
//! file of the user's as the sticky report) and `action` (the GitHub Action's inputs as
//! `report` flags).

pub mod action;
pub mod comment;
pub mod dvc;
