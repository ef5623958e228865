//! careerbot: answers Health Information Technology career questions from a
//! cited FAQ. One answer engine, no Discord inside it; the CLI and the Discord
//! bot are thin adapters over it. See ARCHITECTURE.md. The command line
//! (`src/main.rs` and its modules) is the binary's, not the library's.

pub mod config;
pub mod corpus;
pub mod discord;
pub mod embed;
pub mod engine;
pub mod eval;
pub mod index;
pub mod knowledge;
pub mod live;
pub mod lookup;
pub mod ops;
pub mod present;
pub mod store;
