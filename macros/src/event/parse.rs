//! Parsing the logging macros (`scoped_log!`, `trace!` .. `error!`) into a [`LogCall`]:
//! `[logger: EXPR,] LEVEL, [key = value, ...;] "format", args...` (no `LEVEL` in the fixed-level
//! macros). The format string and its arguments are kept as written, for `format_args!` to check.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, LitStr, Token};

use crate::errors::Errors;
use crate::levels::LEVELS;

mod kw {
    syn::custom_keyword!(logger);
}

/// The level of `trace!` .. `error!`.
#[derive(Clone, Copy)]
pub(crate) enum FixedLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl FixedLevel {
    pub(crate) fn variant(self) -> &'static str {
        LEVELS[self as usize].1
    }
}

/// The level of a `scoped_log!`.
pub(crate) enum LevelSpec {
    /// A `Level` variant, spanned on what the user wrote.
    Variant(Ident),
    /// An expression of type `Level`.
    Expr(Expr),
}

/// `k = v`, `k = %v`, `k = ?v`.
pub(crate) enum Sigil {
    Value,
    Display,
    Debug,
}

pub(crate) struct KeyValue {
    pub(crate) key: LitStr,
    pub(crate) sigil: Sigil,
    pub(crate) value: Expr,
}

/// One logging macro call.
pub(crate) struct LogCall {
    pub(crate) logger: Option<Expr>,
    pub(crate) level: LevelSpec,
    pub(crate) key_values: Vec<KeyValue>,
    /// `"format", args...` as written.
    pub(crate) format: TokenStream,
}

/// The macro's name, for messages.
fn macro_name(fixed: Option<FixedLevel>) -> &'static str {
    match fixed {
        None => "scoped_log!",
        Some(FixedLevel::Error) => "error!",
        Some(FixedLevel::Warn) => "warn!",
        Some(FixedLevel::Info) => "info!",
        Some(FixedLevel::Debug) => "debug!",
        Some(FixedLevel::Trace) => "trace!",
    }
}

pub(crate) fn parse(tokens: TokenStream, fixed: Option<FixedLevel>) -> syn::Result<LogCall> {
    let mut errors = Errors::default();
    let parsed = (|input: ParseStream<'_>| call(input, fixed, &mut errors)).parse2(tokens);
    // Read on every path (a collection dropped unread is a bug this crate panics on): what
    // stopped the parse comes after what was found before it.
    match parsed {
        Ok(call) => errors.finish(call),
        Err(e) => {
            errors.push(e);
            Err(errors.finish(()).expect_err("an error was just pushed"))
        }
    }
}

/// One call; a mistake that leaves nothing to go on is returned, others go to `errors`.
fn call(
    input: ParseStream<'_>,
    fixed: Option<FixedLevel>,
    errors: &mut Errors,
) -> syn::Result<LogCall> {
    let name = macro_name(fixed);
    {
        let logger = if input.peek(kw::logger) && input.peek2(Token![:]) && !input.peek2(Token![::])
        {
            input.parse::<kw::logger>()?;
            input.parse::<Token![:]>()?;
            let e: Expr = input.parse()?;
            comma_after(input, name, "the logger")?;
            Some(e)
        } else {
            None
        };
        let level = match fixed {
            Some(f) => LevelSpec::Variant(Ident::new(f.variant(), Span::call_site())),
            None => {
                let level = level(input, errors)?;
                comma_after(input, name, "the level")?;
                level
            }
        };
        let rest: TokenStream = input.parse()?;
        let (kv_tokens, format) = split_at_semicolon(rest);
        let mut key_values = Vec::new();
        if let Some(kv_tokens) = kv_tokens {
            match key_values_parser.parse2(kv_tokens) {
                Ok(kvs) => key_values = kvs,
                Err(e) => errors.push(e),
            }
        }
        if format.is_empty() {
            errors.push(syn::Error::new(
                input.span(),
                format!(
                    "`{name}` needs a message: write a format string and its arguments, \
                     e.g. `{name}({}\"user {{}} logged in\", user)`",
                    if fixed.is_none() { "info, " } else { "" }
                ),
            ));
        }
        Ok(LogCall {
            logger,
            level,
            key_values,
            format,
        })
    }
}

fn comma_after(input: ParseStream<'_>, name: &str, what: &str) -> syn::Result<()> {
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
        Ok(())
    } else {
        Err(syn::Error::new(
            input.span(),
            format!(
                "expected `,` after {what} in `{name}`; write e.g. \
                 `scoped_log!(logger: &jobs, info, \"started\")`"
            ),
        ))
    }
}

/// `info` (a level by name), or an expression of type `Level` (`Level::Info`, `(lvl)`).
fn level(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<LevelSpec> {
    if input.peek(Ident::peek_any) && input.peek2(Token![,]) {
        let ident = input.call(Ident::parse_any)?;
        let text = ident.to_string();
        return Ok(match LEVELS.iter().find(|(name, _)| *name == text) {
            Some((_, variant)) => LevelSpec::Variant(Ident::new(variant, ident.span())),
            None => {
                errors.push(syn::Error::new_spanned(
                    &ident,
                    format!(
                        "unknown level `{text}`; write one of `error`, `warn`, `info`, \
                             `debug`, `trace`, a path such as `Level::Warn`, or a parenthesized \
                             expression of type `Level` such as `({text})`"
                    ),
                ));
                LevelSpec::Variant(Ident::new("Error", ident.span()))
            }
        });
    }
    // A path (`Level::Warn`) is the user's own expression: it is resolved and type-checked as
    // written, so the import it names is used, and a path to something else is an error.
    // Outer parentheses (`(lvl)`, the documented way to pass a variable) are dropped, so the
    // expansion's `let` does not trip `unused_parens` in the user's crate.
    let expr: Expr = input.parse()?;
    Ok(LevelSpec::Expr(match expr {
        Expr::Paren(paren) => *paren.expr,
        other => other,
    }))
}

/// Splits at the first top-level `;`: key-values before it, the format after it.
fn split_at_semicolon(tokens: TokenStream) -> (Option<TokenStream>, TokenStream) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let at = trees
        .iter()
        .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';'));
    match at {
        Some(i) => {
            let after = trees[i + 1..].iter().cloned().collect();
            let before = trees[..i].iter().cloned().collect();
            (Some(before), after)
        }
        None => (None, trees.into_iter().collect()),
    }
}

fn key_values_parser(input: ParseStream<'_>) -> syn::Result<Vec<KeyValue>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        out.push(key_value(input)?);
        if input.is_empty() {
            break;
        }
        if !input.peek(Token![,]) {
            return Err(syn::Error::new(
                input.span(),
                "expected `,` between key-values, or `;` before the message; write \
                 `info!(job = id, user = %name; \"done\")`",
            ));
        }
        input.parse::<Token![,]>()?;
    }
    Ok(out)
}

/// `key = value`, `key = %value`, `key = ?value`, or the shorthands `key`, `%key`, `?key`
/// (the key is the variable's name).
fn key_value(input: ParseStream<'_>) -> syn::Result<KeyValue> {
    let short_sigil = sigil(input)?;
    let lookahead = input.lookahead1();
    let (key, key_ident) = if lookahead.peek(LitStr) {
        (input.parse::<LitStr>()?, None)
    } else if lookahead.peek(Ident::peek_any) {
        let ident = input.call(Ident::parse_any)?;
        (
            LitStr::new(&ident.unraw().to_string(), ident.span()),
            Some(ident),
        )
    } else {
        return Err(syn::Error::new(
            input.span(),
            "expected a key-value: write `key = value`, `key = %value` (Display) or \
             `key = ?value` (Debug), where the key is an identifier or a string literal",
        ));
    };
    if short_sigil.is_some() || !input.peek(Token![=]) {
        let Some(ident) = key_ident else {
            return Err(syn::Error::new_spanned(
                &key,
                "a string key needs a value: write `\"key\" = value`",
            ));
        };
        return Ok(KeyValue {
            key,
            sigil: short_sigil.unwrap_or(Sigil::Value),
            value: syn::parse_quote!(#ident),
        });
    }
    input.parse::<Token![=]>()?;
    let sigil = sigil(input)?.unwrap_or(Sigil::Value);
    let value: Expr = input.parse()?;
    Ok(KeyValue { key, sigil, value })
}

fn sigil(input: ParseStream<'_>) -> syn::Result<Option<Sigil>> {
    Ok(if input.peek(Token![%]) {
        input.parse::<Token![%]>()?;
        Some(Sigil::Display)
    } else if input.peek(Token![?]) {
        input.parse::<Token![?]>()?;
        Some(Sigil::Debug)
    } else {
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn a_call_that_stops_early_is_an_error_not_a_panic() {
        for tokens in [
            quote!(logger: &jobs info, "m"),
            quote!(info "m"),
            quote!(loud, k = ; "m"),
            quote!(),
        ] {
            let e = parse(tokens.clone(), None).err();
            assert!(e.is_some(), "{tokens} should be rejected");
        }
        assert!(parse(quote!(k = 1; "m"), Some(FixedLevel::Info)).is_ok());
    }
}
