//! Parsing the arguments of `#[scoped_logger(...)]` into [`Args`]: syntax only. What the values
//! mean (is the level a level, does the template name an argument) is checked in `valid.rs`.
//!
//! A bad option is reported and skipped up to the next `,`, so one build shows every mistake.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, LitBool, LitStr, Token};

use crate::errors::Errors;

mod kw {
    syn::custom_keyword!(name);
    syn::custom_keyword!(level);
    syn::custom_keyword!(propagate);
    syn::custom_keyword!(handler);
    syn::custom_keyword!(bind);
    syn::custom_keyword!(registry);
    syn::custom_keyword!(record_below);
    syn::custom_keyword!(summary);
}

/// The valid options, for error messages.
pub(crate) const VALID_OPTIONS: &str = "the valid options are a name string first \
    (`#[scoped_logger(\"jobs.{id}\")]`), then `name = \"...\"`, `level = \"debug\"`, \
    `propagate = false`, `handler = expr` (repeatable), `bind = ident`, `registry = expr`, \
    `record_below = \"debug\"` and `summary = true`";

/// The options as written, each set at most once (`handler` may repeat).
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    pub(crate) level: Option<LitStr>,
    pub(crate) propagate: Option<LitBool>,
    pub(crate) handlers: Vec<Expr>,
    pub(crate) bind: Option<Ident>,
    pub(crate) registry: Option<Expr>,
    pub(crate) record_below: Option<LitStr>,
    pub(crate) summary: Option<LitBool>,
}

/// Parses the attribute's arguments. Every mistake goes to `errors` and the option is left
/// out, so validation still checks the others.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let parser = |input: ParseStream<'_>| {
        let mut args = Args::default();
        let mut first = true;
        while !input.is_empty() {
            if let Err(e) = parse_one(input, &mut args, errors, first) {
                // Something syn could not make sense of: report it, skip this option.
                errors.push(e);
                skip_to_comma(input);
            }
            first = false;
            if input.is_empty() {
                break;
            }
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            } else {
                let rest = skip_to_comma(input);
                errors.push(syn::Error::new_spanned(
                    rest,
                    "expected `,` between two options of `#[scoped_logger]`; \
                     write `#[scoped_logger(name = \"jobs.{id}\", level = \"debug\")]`",
                ));
                if input.peek(Token![,]) {
                    input.parse::<Token![,]>()?;
                }
            }
        }
        Ok(args)
    };
    parser.parse2(tokens).unwrap_or_else(|e| {
        errors.push(e);
        Args::default()
    })
}

fn parse_one(
    input: ParseStream<'_>,
    args: &mut Args,
    errors: &mut Errors,
    first: bool,
) -> syn::Result<()> {
    let lookahead = input.lookahead1();
    if lookahead.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        if !first {
            errors.push(syn::Error::new_spanned(
                &lit,
                "a positional name must be the first argument of `#[scoped_logger]`; \
                 move it first or write `name = \"...\"`",
            ));
        }
        let tokens = lit.to_token_stream();
        set_once(&mut args.name, "name", tokens, lit, errors);
    } else if lookahead.peek(kw::name) {
        let key = input.parse::<kw::name>()?;
        let Some((tokens, value)) = value_of(input, key, "name = \"jobs.{id}\"", errors) else {
            return Ok(());
        };
        match syn::parse2::<LitStr>(value.clone()) {
            Ok(lit) => set_once(&mut args.name, "name", tokens, lit, errors),
            Err(_) => errors.push(syn::Error::new_spanned(
                value,
                "`name` takes a string literal, a name template over the function's arguments: \
                 write `name = \"jobs.{id}\"`",
            )),
        }
    } else if lookahead.peek(kw::level) {
        let key = input.parse::<kw::level>()?;
        let Some((tokens, value)) = value_of(input, key, "level = \"debug\"", errors) else {
            return Ok(());
        };
        match syn::parse2::<LitStr>(value.clone()) {
            Ok(lit) => set_once(&mut args.level, "level", tokens, lit, errors),
            Err(_) => errors.push(syn::Error::new_spanned(
                value,
                "`level` takes a string literal: write `level = \"debug\"` (one of \"off\", \
                 \"error\", \"warn\", \"info\", \"debug\", \"trace\")",
            )),
        }
    } else if lookahead.peek(kw::propagate) {
        let key = input.parse::<kw::propagate>()?;
        let Some((tokens, value)) = value_of(input, key, "propagate = false", errors) else {
            return Ok(());
        };
        match syn::parse2::<LitBool>(value.clone()) {
            Ok(lit) => set_once(&mut args.propagate, "propagate", tokens, lit, errors),
            Err(_) => errors.push(syn::Error::new_spanned(
                value,
                "`propagate` takes `true` or `false`: write `propagate = false`",
            )),
        }
    } else if lookahead.peek(kw::record_below) {
        let key = input.parse::<kw::record_below>()?;
        let Some((tokens, value)) = value_of(input, key, "record_below = \"debug\"", errors) else {
            return Ok(());
        };
        match syn::parse2::<LitStr>(value.clone()) {
            Ok(lit) => set_once(&mut args.record_below, "record_below", tokens, lit, errors),
            Err(_) => errors.push(syn::Error::new_spanned(
                value,
                "`record_below` takes a level string, the most verbose level the flight \
                 recorder keeps: write `record_below = \"debug\"`",
            )),
        }
    } else if lookahead.peek(kw::summary) {
        let key = input.parse::<kw::summary>()?;
        let Some((tokens, value)) = value_of(input, key, "summary = true", errors) else {
            return Ok(());
        };
        match syn::parse2::<LitBool>(value.clone()) {
            Ok(lit) => set_once(&mut args.summary, "summary", tokens, lit, errors),
            Err(_) => errors.push(syn::Error::new_spanned(
                value,
                "`summary` takes `true` or `false`: write `summary = true`",
            )),
        }
    } else if lookahead.peek(kw::handler) {
        input.parse::<kw::handler>()?;
        equals(input, "handler = StderrHandler::new()")?;
        args.handlers.push(input.parse()?);
    } else if lookahead.peek(kw::bind) {
        let key = input.parse::<kw::bind>()?;
        let Some((tokens, value)) = value_of(input, key, "bind = log", errors) else {
            return Ok(());
        };
        match syn::parse2::<Ident>(value.clone()) {
            Ok(ident) => set_once(&mut args.bind, "bind", tokens, ident, errors),
            Err(_) => errors.push(syn::Error::new_spanned(
                value,
                "`bind` takes a plain identifier, the name the scope's handle gets in the body: \
                 write `bind = log` to use `log: &ScopedLogger` in the function",
            )),
        }
    } else if lookahead.peek(kw::registry) {
        let key = input.parse::<kw::registry>()?;
        equals(input, "registry = &MY_REGISTRY")?;
        let expr: Expr = input.parse()?;
        let tokens = quote!(#key = #expr);
        set_once(&mut args.registry, "registry", tokens, expr, errors);
    } else if input.peek(Ident::peek_any) {
        let key = input.call(Ident::parse_any)?;
        skip_to_comma(input);
        errors.push(syn::Error::new_spanned(
            &key,
            format!("unknown option `{key}` for `#[scoped_logger]`; {VALID_OPTIONS}"),
        ));
    } else {
        // `lookahead.error()` would only say "expected one of ..."; say what to write.
        let _ = lookahead;
        return Err(syn::Error::new(
            input.span(),
            format!("expected an option of `#[scoped_logger]` here; {VALID_OPTIONS}"),
        ));
    }
    Ok(())
}

/// Parses `= value` up to the next top-level `,` and returns (`key = value`, `value`);
/// reports a missing `=` or value.
fn value_of(
    input: ParseStream<'_>,
    key: impl ToTokens,
    example: &str,
    errors: &mut Errors,
) -> Option<(TokenStream, TokenStream)> {
    let Ok(eq) = input.parse::<Token![=]>() else {
        let rest = skip_to_comma(input);
        errors.push(syn::Error::new_spanned(
            quote!(#key #rest),
            format!("this option needs a value: write `{example}`"),
        ));
        return None;
    };
    let value = skip_to_comma(input);
    if value.is_empty() {
        errors.push(syn::Error::new_spanned(
            quote!(#key #eq),
            format!("this option needs a value: write `{example}`"),
        ));
        return None;
    }
    Some((quote!(#key #eq #value), value))
}

fn equals(input: ParseStream<'_>, example: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        Ok(())
    } else {
        Err(syn::Error::new(
            input.span(),
            format!("expected `=` and a value: write `{example}`"),
        ))
    }
}

/// The one place options are stored: a second occurrence is an error on its own span.
fn set_once<T>(
    slot: &mut Option<T>,
    key: &str,
    tokens: TokenStream,
    value: T,
    errors: &mut Errors,
) {
    if slot.is_some() {
        let what = if key == "name" {
            "the scope's name is given twice (a name string and `name = ...` count as the same \
             option); keep one of them"
                .to_owned()
        } else {
            format!("`{key}` is given twice; keep one of them (only `handler` may be repeated)")
        };
        errors.push(syn::Error::new_spanned(tokens, what));
    } else {
        *slot = Some(value);
    }
}

/// Consumes token trees up to (not including) the next top-level `,` and returns them.
fn skip_to_comma(input: ParseStream<'_>) -> TokenStream {
    input
        .step(|cursor| {
            let mut rest = *cursor;
            let mut out = TokenStream::new();
            while let Some((tt, next)) = rest.token_tree() {
                if let TokenTree::Punct(p) = &tt
                    && p.as_char() == ','
                {
                    break;
                }
                out.extend([tt]);
                rest = next;
            }
            Ok((out, rest))
        })
        .unwrap_or_default()
}
