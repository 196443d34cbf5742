//! Claude Code's settings as ccgw sees them: the layer files (`layers`), the pure merge of
//! ccgw's keys into a document and out again (`merge`, with its text edit `text`), the undo
//! records (`undo`), the write service every command that changes a settings file goes
//! through (`write`), the one answer to "what in the layers defeats this plan" (`audit`), and
//! the managed-settings document as an MDM rollout ships it (`export`).
//!
//! Data flows one way: a plan (`crate::plan`) comes in; documents, diffs, findings go out to
//! the commands that render them.

pub mod audit;
pub mod export;
pub mod layers;
pub mod merge;
pub mod text;
pub mod undo;
pub mod write;
