//! The annotated item: its attributes, visibility and signature, parsed; its body, kept as raw
//! tokens (tokio-macros' `ItemFn`). A body that does not parse yet, the normal state of code
//! being written, is handed back to the compiler as it is, which reports what is wrong in it;
//! the attribute never calls it "not a function".
//!
//! Nothing here changes the function; `expand.rs` rewrites it.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, FnArg, Ident, Item, Pat, Signature, Token, Visibility};

/// A function `#[scoped_logger]` can go on.
pub(crate) struct Function {
    /// The outer attributes (`#[inline]`, doc comments), kept as written.
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The braces of the body, for their span.
    pub(crate) brace: Group,
    /// The body's inner attributes (`#![allow(..)]`), which must stay first.
    pub(crate) inner_attrs: Vec<Attribute>,
    /// The statements of the body, not parsed.
    pub(crate) body: TokenStream,
}

impl Function {
    pub(crate) fn is_async(&self) -> bool {
        self.sig.asyncness.is_some()
    }

    pub(crate) fn name(&self) -> &Ident {
        &self.sig.ident
    }

    /// The arguments a name template may interpolate: those bound by a plain identifier.
    pub(crate) fn arg_names(&self) -> Vec<&Ident> {
        self.sig
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
        self.sig.receiver().is_some()
    }

    /// `{ #![inner] tokens }` with the original braces' span.
    pub(crate) fn braced(&self, tokens: TokenStream) -> TokenStream {
        let inner = &self.inner_attrs;
        let mut group = Group::new(Delimiter::Brace, quote!(#(#inner)* #tokens));
        group.set_span(self.brace.span());
        group.into_token_stream()
    }
}

const ONLY_FNS: &str = "`#[scoped_logger]` goes on a function with a body (a free fn, a method \
    or an `async fn`), whose body becomes the logger scope";

/// Parses the annotated item. Something that starts like a function is parsed as one up to its
/// body (a signature syn cannot parse is syn's error, as the compiler would say it); anything
/// else is an error on its keyword and name.
pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Function> {
    let parser = |input: ParseStream<'_>| {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if !starts_like_a_fn(input) {
            input.parse::<TokenStream>()?;
            return Ok(None);
        }
        let sig: Signature = input.parse()?;
        if let Some(c) = &sig.constness {
            let ident = &sig.ident;
            return Err(syn::Error::new_spanned(
                quote!(#c fn #ident),
                format!(
                    "`#[scoped_logger]` cannot go on a `const fn`: entering a scope happens at \
                     run time; remove `const` from `{ident}`"
                ),
            ));
        }
        let brace = match input.parse::<TokenTree>() {
            Ok(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => g,
            _ => {
                let ident = &sig.ident;
                return Err(syn::Error::new_spanned(
                    quote!(#sig),
                    format!("{ONLY_FNS}; `{ident}` has no body"),
                ));
            }
        };
        if !input.is_empty() {
            return Err(input.error(format!("{ONLY_FNS}; expected nothing after its body")));
        }
        let (inner_attrs, body) = Parser::parse2(split_inner_attrs, brace.stream())?;
        Ok(Some(Function {
            attrs,
            vis,
            sig,
            brace,
            inner_attrs,
            body,
        }))
    };
    match parser.parse2(tokens.clone())? {
        Some(f) => Ok(f),
        None => Err(not_a_fn(tokens)),
    }
}

/// `fn`, after any of `const`, `async`, `unsafe`, `extern "abi"` (and `safe`): the start of a
/// function, which is then parsed as one whatever follows.
fn starts_like_a_fn(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    loop {
        if fork.peek(Token![fn]) {
            return true;
        }
        let skipped = fork.parse::<Token![const]>().is_ok()
            || fork.parse::<Token![async]>().is_ok()
            || fork.parse::<Token![unsafe]>().is_ok()
            || (fork.peek(Token![extern]) && fork.parse::<syn::Abi>().is_ok());
        if !skipped {
            return false;
        }
    }
}

fn split_inner_attrs(input: ParseStream<'_>) -> syn::Result<(Vec<Attribute>, TokenStream)> {
    let mut inner = Vec::new();
    while input.peek(Token![#]) && input.peek2(Token![!]) {
        let attrs = input.call(Attribute::parse_inner)?;
        inner.extend(attrs);
    }
    Ok((inner, input.parse()?))
}

/// What the item is instead, named on its keyword and name.
fn not_a_fn(tokens: TokenStream) -> syn::Error {
    let item: Item = match syn::parse2(tokens.clone()) {
        Ok(item) => item,
        Err(_) => {
            return syn::Error::new_spanned(tokens, format!("{ONLY_FNS}; this is not a function"));
        }
    };
    let (what, span): (&str, TokenStream) = match item {
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
    syn::Error::new_spanned(span, format!("{ONLY_FNS}; it cannot go on {what}"))
}

fn spanned(keyword: &impl quote::ToTokens, ident: &Ident) -> TokenStream {
    quote!(#keyword #ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_does_not_parse_is_kept_as_written() {
        let f = parse(quote!(
            #[inline]
            pub fn f(id: u32) -> u32 { #![allow(unused)] let x = ; id }
        ))
        .unwrap();
        assert_eq!(f.name(), "f");
        assert_eq!(f.inner_attrs.len(), 1);
        assert_eq!(f.body.to_string(), quote!(let x = ; id).to_string());
    }

    #[test]
    fn a_signature_that_does_not_parse_is_syn_s_error() {
        let e = parse(quote!(fn f(id: ) {})).err().unwrap();
        assert!(!e.to_string().contains("not a function"), "{e}");
    }

    #[test]
    fn other_items_are_named() {
        let e = parse(quote!(
            struct S;
        ))
        .err()
        .unwrap();
        assert!(e.to_string().contains("a struct"), "{e}");
        let e = parse(quote!(
            const X: u8 = 1;
        ))
        .err()
        .unwrap();
        assert!(e.to_string().contains("a `const` item"), "{e}");
        let e = parse(quote!(
            fn f();
        ))
        .err()
        .unwrap();
        assert!(e.to_string().contains("has no body"), "{e}");
    }
}
