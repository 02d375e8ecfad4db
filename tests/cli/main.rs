//! The one integration-test binary: runs `mlci` end to end on real temporary git repositories.
