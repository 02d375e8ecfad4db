//! Base resolution: default branch, merge-base, shallow clones, `--base-dir`.
