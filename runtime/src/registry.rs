//! What the [`Registry`](crate::Registry) reports and refuses: its statistics, the error of a
//! level directive it could not parse, and the root's default level.

pub use crate::gate::DEFAULT_ROOT_LEVEL;
pub use crate::tree::{DirectiveError, KindStats, Stats};
