//! What the [`Registry`](crate::Registry) reports and refuses: its statistics, the error of a
//! level directive it could not parse, and the root's default level.

pub use crate::tree::{DEFAULT_ROOT_LEVEL, DirectiveError, KindStats, Stats};
