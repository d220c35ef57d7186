//! The annotated item: which function it is, whether it is `async`, and which arguments a name
//! template may interpolate. Anything that is not a function with a body is an error here.
//!
//! Nothing here changes the function; `expand.rs` rewrites it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, Ident, Item, ItemFn, Pat};

/// A function `#[scoped_logger]` can go on.
pub(crate) struct Function {
    pub(crate) item: ItemFn,
}

impl Function {
    pub(crate) fn is_async(&self) -> bool {
        self.item.sig.asyncness.is_some()
    }

    pub(crate) fn name(&self) -> &Ident {
        &self.item.sig.ident
    }

    /// The arguments a name template may interpolate: those bound by a plain identifier.
    pub(crate) fn arg_names(&self) -> Vec<&Ident> {
        self.item
            .sig
            .inputs
            .iter()
            .filter_map(|arg| match arg {
                FnArg::Typed(t) => match &*t.pat {
                    Pat::Ident(p) if p.subpat.is_none() => Some(&p.ident),
                    _ => None,
                },
                FnArg::Receiver(_) => None,
            })
            .collect()
    }

    pub(crate) fn has_receiver(&self) -> bool {
        self.item.sig.receiver().is_some()
    }
}

const ONLY_FNS: &str = "`#[scoped_logger]` goes on a function with a body (a free fn, a method \
    or an `async fn`), whose body becomes the logger scope";

/// Parses the annotated item; anything but a non-`const` fn with a body is an error on its
/// keyword and name.
pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Function> {
    let item: Item = match syn::parse2(tokens.clone()) {
        Ok(item) => item,
        Err(_) => {
            return Err(syn::Error::new_spanned(
                tokens,
                format!("{ONLY_FNS}; this is not a function"),
            ));
        }
    };
    let (what, span): (&str, TokenStream) = match item {
        Item::Fn(item) => {
            if let Some(c) = &item.sig.constness {
                let ident = &item.sig.ident;
                return Err(syn::Error::new_spanned(
                    quote!(#c fn #ident),
                    format!(
                        "`#[scoped_logger]` cannot go on a `const fn`: entering a scope happens at \
                         run time; remove `const` from `{ident}`"
                    ),
                ));
            }
            return Ok(Function { item });
        }
        Item::Const(i) => ("a `const` item", spanned(&i.const_token, &i.ident)),
        Item::Static(i) => ("a `static` item", spanned(&i.static_token, &i.ident)),
        Item::Struct(i) => ("a struct", spanned(&i.struct_token, &i.ident)),
        Item::Enum(i) => ("an enum", spanned(&i.enum_token, &i.ident)),
        Item::Union(i) => ("a union", spanned(&i.union_token, &i.ident)),
        Item::Trait(i) => ("a trait", spanned(&i.trait_token, &i.ident)),
        Item::Impl(i) => {
            let token = i.impl_token;
            (
                "an impl block (put it on each method instead)",
                quote!(#token),
            )
        }
        Item::Mod(i) => ("a module", spanned(&i.mod_token, &i.ident)),
        Item::Type(i) => ("a type alias", spanned(&i.type_token, &i.ident)),
        Item::Use(i) => ("a `use` item", quote!(#i)),
        Item::Verbatim(v) => ("an item without a function body", v),
        other => ("this item", quote!(#other)),
    };
    Err(syn::Error::new_spanned(
        span,
        format!("{ONLY_FNS}; it cannot go on {what}"),
    ))
}

fn spanned(keyword: &impl quote::ToTokens, ident: &Ident) -> TokenStream {
    quote!(#keyword #ident)
}
