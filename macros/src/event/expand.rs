//! Code generation for the logging macros (`scoped_log!`, `trace!` .. `error!`) from the
//! checked [`LogCall`]. Generated code names only `::scoped_logger::__private::…` and `::core`;
//! its locals are `__scoped_logger_*` idents with mixed-site hygiene, and nothing the user wrote
//! after the level is evaluated unless the level is enabled.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::parse::{LevelSpec, LogCall, Sigil};

fn private() -> TokenStream {
    quote!(::scoped_logger::__private)
}

/// A generated local: not nameable from the user's code.
fn hidden(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

// input:  info!(job = id, user = %name; "done in {ms} ms")
// output: {
//             static CALLSITE: Callsite = Callsite::new(Location { module_path!(), file!(), line!() });
//             let lvl = Level::Info;
//             if max_allows(lvl) {                       // one relaxed load + compare
//                 if let Some(l) = CALLSITE.logger_if_enabled(lvl) {  // current scope, else module
//                     Emit::emit(&l, lvl, format_args!("done in {ms} ms"),
//                            &[("job", ToValue::to_value(&(id))), ("user", display(&(name)))],
//                            Some(CALLSITE.location()));
//                 }
//             }
//         }
//
// input:  scoped_log!(logger: &jobs, error, "failed: {err}")
// output: { static LOCATION ..; let lvl = Level::Error;
//           if max_allows(lvl) { match &*(&jobs) { l => { let l: &Logger = l;
//               if l.enabled(lvl) { Emit::emit(l, ..) } } } } }
//
// Nothing the user wrote after the level (logger, key-values, format arguments) is evaluated
// unless the level is enabled. A value is borrowed in parentheses, `&(a + b)`, `&(n as u64)`:
// pasted after a bare `&`, an operator or a cast would apply to the borrow instead.
pub(crate) fn expand(call: LogCall) -> TokenStream {
    let p = private();
    let lvl = hidden("__scoped_logger_lvl");
    let logger = hidden("__scoped_logger_logger");
    let level = match &call.level {
        LevelSpec::Variant(v) => quote!(#p::Level::#v),
        LevelSpec::Expr(e) => quote_spanned!(e.span()=> #e),
    };
    let kvs: Vec<TokenStream> = call
        .key_values
        .iter()
        .map(|kv| {
            let key = &kv.key;
            let value = &kv.value;
            let v = match kv.sigil {
                Sigil::Value => quote_spanned!(value.span()=> #p::ToValue::to_value(&(#value))),
                Sigil::Display => quote_spanned!(value.span()=> #p::display(&(#value))),
                Sigil::Debug => quote_spanned!(value.span()=> #p::debug(&(#value))),
            };
            quote!((#key, #v))
        })
        .collect();
    let format = &call.format;
    let location = quote! {
        #p::Location::new(::core::module_path!(), ::core::file!(), ::core::line!())
    };
    let emit = |target: TokenStream, site: TokenStream| {
        quote! {
            #p::Emit::emit(
                #target,
                #lvl,
                ::core::format_args!(#format),
                &[#(#kvs),*],
                ::core::option::Option::Some(#site),
            );
        }
    };
    match &call.logger {
        None => {
            let emit = emit(
                quote!(&#logger),
                quote!(__SCOPED_LOGGER_CALLSITE.location()),
            );
            quote! {{
                static __SCOPED_LOGGER_CALLSITE: #p::Callsite = #p::Callsite::new(#location);
                let #lvl: #p::Level = #level;
                if #p::max_allows(#lvl) {
                    if let ::core::option::Option::Some(#logger) =
                        __SCOPED_LOGGER_CALLSITE.logger_if_enabled(#lvl)
                    {
                        #emit
                    }
                }
            }}
        }
        Some(expr) => {
            let emit = emit(quote!(#logger), quote!(&__SCOPED_LOGGER_LOCATION));
            // `&*` works for `&Logger` and, through `Deref`, `&ScopedLogger`. Not spanned on the
            // user's expression: lints about the `&*` are ours, not theirs.
            let target = quote!(&*(#expr));
            quote! {{
                static __SCOPED_LOGGER_LOCATION: #p::Location = #location;
                let #lvl: #p::Level = #level;
                if #p::max_allows(#lvl) {
                    match #target {
                        #logger => {
                            let #logger: &#p::Logger = #logger;
                            if #logger.enabled(#lvl) {
                                #emit
                            }
                        }
                    }
                }
            }}
        }
    }
}
