//! The logging macros (`scoped_log!`, `trace!` .. `error!`): `parse.rs` reads the call,
//! `expand.rs` writes the code. A parse error is the whole output.

use proc_macro2::TokenStream;

mod expand;
mod parse;

pub(crate) use parse::FixedLevel;

/// One logging macro call: parse, then expand.
pub(crate) fn expand(input: TokenStream, fixed: Option<FixedLevel>) -> TokenStream {
    match parse::parse(input, fixed) {
        Ok(call) => expand::expand(call),
        Err(e) => e.into_compile_error(),
    }
}
