//! Key-values: the values a record carries ([`Value`], borrowed for the call; [`OwnedValue`],
//! kept), how a type becomes one ([`ToValue`]), errors kept as values ([`OwnedError`]), and the
//! iterator over a record's pairs ([`KeyValues`]).

pub(crate) mod error;
pub(crate) mod fields;

pub use crate::record::{KeyValues, OwnedValue, ToValue, Value};
pub use error::OwnedError;
