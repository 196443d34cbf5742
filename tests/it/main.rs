//! The one integration-test binary: every suite is a module here, sharing `common::TestEnv`.

mod common;

mod cli;
mod key;
