//! `#[scoped_logger]`: `args.rs` reads the options, `item.rs` the function (its body kept as
//! raw tokens), `plan.rs` checks one against the other, `expand.rs` writes the code.
//!
//! The user's function is never lost: an item that is not a function comes back unchanged with
//! the error, and a bad option is reported while the function is still expanded with every
//! option that was fine (so `bind = log` keeps binding and causes no second error).

use proc_macro2::TokenStream;

use crate::errors::Errors;

mod args;
mod expand;
mod item;
mod plan;

/// The attribute: parse, validate, expand, then the errors met on the way.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = args::parse(args, &mut errors);
    let function = match item::parse(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            errors.push(e);
            let mut out = item;
            out.extend(errors.into_compile_error());
            return out;
        }
    };
    let plan = plan::validate(args, &function, &mut errors);
    let mut out = if function.is_async() {
        expand::expand_async(plan, function)
    } else {
        expand::expand_sync(plan, function)
    };
    out.extend(errors.into_compile_error());
    out
}
