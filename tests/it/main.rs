//! The one integration-test binary: every suite is a module here, sharing `common::TestEnv`.

mod common;

mod allowed_providers;
mod claude_rules;
mod cli;
mod deb;
mod doctor;
mod e2e;
mod env;
mod exec;
mod export;
mod generated;
mod init;
mod init_from;
mod install;
mod jwt;
mod key;
mod keyring;
mod managed_ns;
mod oidc;
mod profile;
mod sec_files;
mod sec_process_config;
mod sec_secrets;
mod sec_servers;
mod sec_settings_files;
mod settings;
mod start;
mod vault_identity;
