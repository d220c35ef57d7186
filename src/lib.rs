#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub use scoped_logger_runtime::*;

/// Turns a function's logger into a scope-bound guard; see the crate docs.
pub use scoped_logger_macros::scoped_logger;

/// Logs to the current scope (else the logger named by `module_path!()`), or to `logger: expr`.
pub use scoped_logger_macros::scoped_log;

pub use scoped_logger_macros::{debug, error, info, trace, warn};

#[doc(hidden)]
pub use scoped_logger_runtime::__private;
