//! Parsing the arguments of `#[scoped_logger(...)]` into [`Args`]: syntax only. What the values
//! mean (is the level a level, does the template name an argument) is checked in `plan.rs`.
//!
//! Every option goes through one helper, [`option`], which parses its value, stores it once and
//! reports a repeat on the repeat's own span. A bad option is reported and skipped up to the next
//! `,`: the others still take effect (so `bind = log` still binds), and one build shows every
//! mistake. Adding an option is a keyword, a [`Spec`], a field and one arm.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{Parse, ParseStream, Parser};
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
    syn::custom_keyword!(err);
    syn::custom_keyword!(ret);
    syn::custom_keyword!(fields);
    syn::custom_keyword!(slow);
    syn::custom_keyword!(stuck);
}

/// The valid options, for error messages.
pub(crate) const VALID_OPTIONS: &str = "the valid options are a name string first \
    (`#[scoped_logger(\"jobs.{id}\")]`), then `name = \"...\"`, `level = \"debug\"`, \
    `propagate = false`, `handler = expr` (repeatable), `bind = ident`, `registry = expr`, \
    `record_below = \"debug\"`, `summary = true`, `err` (or `err = \"warn\"`), `ret` (or \
    `ret = \"debug\"`), `fields(key = value, key = %value, key = ?value, arg)`, \
    `slow = \"500ms\"` and `stuck = \"30s\"`";

/// `err` / `err = "warn"`: the option's keyword (for spans) and its level, if written.
pub(crate) struct Flag {
    pub(crate) key: Ident,
    pub(crate) level: Option<LitStr>,
}

/// How a field's value is taken: `k = v` ([`ToValue`]), `k = %v` (`Display`), `k = ?v` (`Debug`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sigil {
    Value,
    Display,
    Debug,
}

/// One entry of `fields(...)`: `key = value`, `key = %value`, `key = ?value`, or a bare `arg`
/// (the argument of that name, as `arg = arg`).
pub(crate) struct Field {
    pub(crate) key: Ident,
    pub(crate) sigil: Sigil,
    pub(crate) value: Expr,
}

impl Parse for Field {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.call(Ident::parse_any)?;
        if !input.peek(Token![=]) {
            let value = syn::parse_quote!(#key);
            return Ok(Field {
                key,
                sigil: Sigil::Value,
                value,
            });
        }
        input.parse::<Token![=]>()?;
        let sigil = if input.peek(Token![%]) {
            input.parse::<Token![%]>()?;
            Sigil::Display
        } else if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            Sigil::Debug
        } else {
            Sigil::Value
        };
        Ok(Field {
            key,
            sigil,
            value: input.parse()?,
        })
    }
}

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
    pub(crate) err: Option<Flag>,
    pub(crate) ret: Option<Flag>,
    /// `fields(...)`, and the keyword for a repeat's error.
    pub(crate) fields: Vec<Field>,
    fields_key: Option<Ident>,
    pub(crate) slow: Option<LitStr>,
    pub(crate) stuck: Option<LitStr>,
}

/// How one `key = value` option is written and explained.
struct Spec {
    key: &'static str,
    /// A correct use, for "write ..." in messages.
    example: &'static str,
    /// What the value must be, said when it is not.
    wrong: &'static str,
    /// A bare `key` (no `= value`) is allowed.
    bare: bool,
}

const NAME: Spec = Spec {
    key: "name",
    example: "name = \"jobs.{id}\"",
    wrong: "`name` takes a string literal, a name template over the function's arguments: \
            write `name = \"jobs.{id}\"`",
    bare: false,
};
const LEVEL: Spec = Spec {
    key: "level",
    example: "level = \"debug\"",
    wrong: "`level` takes a string literal: write `level = \"debug\"` (one of \"off\", \
            \"error\", \"warn\", \"info\", \"debug\", \"trace\")",
    bare: false,
};
const PROPAGATE: Spec = Spec {
    key: "propagate",
    example: "propagate = false",
    wrong: "`propagate` takes `true` or `false`: write `propagate = false`",
    bare: false,
};
const RECORD_BELOW: Spec = Spec {
    key: "record_below",
    example: "record_below = \"debug\"",
    wrong: "`record_below` takes a level string, the most verbose level the flight recorder \
            keeps: write `record_below = \"debug\"`",
    bare: false,
};
const SUMMARY: Spec = Spec {
    key: "summary",
    example: "summary = true",
    wrong: "`summary` takes `true` or `false`: write `summary = true`",
    bare: false,
};
const HANDLER: Spec = Spec {
    key: "handler",
    example: "handler = StderrHandler::new()",
    wrong: "`handler` takes an expression giving a handler or a `Result` of one: write \
            `handler = StderrHandler::new()`",
    bare: false,
};
const BIND: Spec = Spec {
    key: "bind",
    example: "bind = log",
    wrong: "`bind` takes a plain identifier, the name the scope's handle gets in the body: \
            write `bind = log` to use `log: &ScopedLogger` in the function",
    bare: false,
};
const REGISTRY: Spec = Spec {
    key: "registry",
    example: "registry = &MY_REGISTRY",
    wrong: "`registry` takes an expression giving a `&Registry`: write `registry = &MY_REGISTRY`",
    bare: false,
};
const ERR: Spec = Spec {
    key: "err",
    example: "err = \"warn\"",
    wrong: "`err` takes an optional level string: write `err` (logged at ERROR) or \
            `err = \"warn\"`",
    bare: true,
};
const RET: Spec = Spec {
    key: "ret",
    example: "ret = \"debug\"",
    wrong: "`ret` takes an optional level string: write `ret` (logged at INFO) or \
            `ret = \"debug\"`",
    bare: true,
};

const SLOW: Spec = Spec {
    key: "slow",
    example: "slow = \"500ms\"",
    wrong: "`slow` takes a duration string: write `slow = \"500ms\"` (units: ns, us, ms, s, m, h)",
    bare: false,
};
const STUCK: Spec = Spec {
    key: "stuck",
    example: "stuck = \"30s\"",
    wrong: "`stuck` takes a duration string: write `stuck = \"30s\"` (units: ns, us, ms, s, m, h)",
    bare: false,
};

/// `fields(...)`: a parenthesized, comma-separated list of [`Field`]s, given once.
fn fields_option(input: ParseStream<'_>, args: &mut Args, errors: &mut Errors) -> syn::Result<()> {
    let k = input.parse::<kw::fields>()?;
    let key = Ident::new("fields", k.span);
    if !input.peek(syn::token::Paren) {
        let rest = skip_to_comma(input);
        errors.push(syn::Error::new_spanned(
            quote!(#key #rest),
            "`fields` takes a list in parentheses: write `fields(user = %user.name, attempt = 1, id)`",
        ));
        return Ok(());
    }
    let content;
    syn::parenthesized!(content in input);
    let list = match content.parse_terminated(Field::parse, Token![,]) {
        Ok(list) => list,
        Err(e) => {
            errors.push(syn::Error::new(
                e.span(),
                format!(
                    "{e}; each field is `key = value`, `key = %value` (Display), `key = ?value` \
                     (Debug) or the name of an argument"
                ),
            ));
            return Ok(());
        }
    };
    if args.fields_key.is_some() {
        errors.push(syn::Error::new_spanned(
            &key,
            "`fields` is given twice; put every field in one `fields(...)`",
        ));
        return Ok(());
    }
    let mut seen: Vec<String> = Vec::new();
    for f in list {
        let name = f.key.unraw().to_string();
        if seen.contains(&name) {
            errors.push(syn::Error::new_spanned(
                &f.key,
                format!("the field `{name}` is given twice; keep one of them"),
            ));
            continue;
        }
        seen.push(name);
        args.fields.push(f);
    }
    args.fields_key = Some(key);
    Ok(())
}

/// A value an option takes.
trait OptionValue: Sized {
    /// Parses the value after `=` (`eq`), or makes the bare key's value (no `eq`).
    fn parse_value(key: &Ident, eq: bool, input: ParseStream<'_>) -> syn::Result<Self>;
}

macro_rules! plain_value {
    ($($t:ty),*) => {$(
        impl OptionValue for $t {
            fn parse_value(_: &Ident, _: bool, input: ParseStream<'_>) -> syn::Result<Self> {
                <$t as Parse>::parse(input)
            }
        }
    )*};
}
plain_value!(LitStr, LitBool, Ident, Expr);

impl OptionValue for Flag {
    fn parse_value(key: &Ident, eq: bool, input: ParseStream<'_>) -> syn::Result<Self> {
        let level = if eq { Some(input.parse()?) } else { None };
        Ok(Flag {
            key: key.clone(),
            level,
        })
    }
}

impl ToTokens for Flag {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.key.to_tokens(tokens);
        self.level.to_tokens(tokens);
    }
}

/// Where an option's value goes: set once, or (for `handler`) pushed.
trait Slot<T> {
    /// Stores `value`; `false` when it was set already.
    fn store(&mut self, value: T) -> bool;
}

impl<T> Slot<T> for Option<T> {
    fn store(&mut self, value: T) -> bool {
        if self.is_some() {
            return false;
        }
        *self = Some(value);
        true
    }
}

impl<T> Slot<T> for Vec<T> {
    fn store(&mut self, value: T) -> bool {
        self.push(value);
        true
    }
}

/// The one helper every `key = value` option goes through: parses the value up to the next `,`,
/// stores it in `slot` once, and reports a missing or malformed value or a repeat (on the
/// repeat's span). A bad value is skipped; nothing else is affected.
fn option<T: OptionValue + ToTokens>(
    input: ParseStream<'_>,
    key: Ident,
    slot: &mut impl Slot<T>,
    spec: &Spec,
    errors: &mut Errors,
) {
    let eq: Option<Token![=]> = input.parse().ok();
    let at_end = input.is_empty() || input.peek(Token![,]);
    let value = match (&eq, at_end) {
        (None, true) if spec.bare => T::parse_value(&key, false, input).ok(),
        (Some(_), false) => {
            let fork = input.fork();
            match T::parse_value(&key, true, &fork) {
                Ok(v) if fork.is_empty() || fork.peek(Token![,]) => {
                    input.advance_to(&fork);
                    Some(v)
                }
                _ => {
                    let value = skip_to_comma(input);
                    errors.push(syn::Error::new_spanned(value, spec.wrong));
                    return;
                }
            }
        }
        _ => None,
    };
    let Some(value) = value else {
        let rest = skip_to_comma(input);
        errors.push(syn::Error::new_spanned(
            quote!(#key #eq #rest),
            format!("this option needs a value: write `{}`", spec.example),
        ));
        return;
    };
    let written = quote!(#eq #value);
    if !slot.store(value) {
        let msg = if spec.key == "name" {
            "the scope's name is given twice (a name string and `name = ...` count as the same \
             option); keep one of them"
                .to_owned()
        } else {
            format!(
                "`{}` is given twice; keep one of them (only `handler` may be repeated)",
                spec.key
            )
        };
        errors.push(syn::Error::new_spanned(quote!(#key #written), msg));
    }
}

/// Parses the attribute's arguments. Every mistake goes to `errors` and the option is left
/// out, so validation still checks the others and expansion still uses them.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let parser = |input: ParseStream<'_>| {
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
            if !input.peek(Token![,]) {
                let rest = skip_to_comma(input);
                errors.push(syn::Error::new_spanned(
                    rest,
                    "expected `,` between two options of `#[scoped_logger]`; \
                     write `#[scoped_logger(name = \"jobs.{id}\", level = \"debug\")]`",
                ));
            }
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(())
    };
    if let Err(e) = parser.parse2(tokens) {
        errors.push(e);
    }
    args
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
        if args.name.is_some() {
            errors.push(syn::Error::new_spanned(
                &lit,
                "the scope's name is given twice (a name string and `name = ...` count as the \
                 same option); keep one of them",
            ));
        }
        args.name.get_or_insert(lit);
        return Ok(());
    }
    macro_rules! arm {
        ($kw:ident, $slot:expr, $spec:expr) => {{
            let k = input.parse::<kw::$kw>()?;
            option(
                input,
                Ident::new(stringify!($kw), k.span),
                $slot,
                &$spec,
                errors,
            );
        }};
    }
    if lookahead.peek(kw::name) {
        arm!(name, &mut args.name, NAME);
    } else if lookahead.peek(kw::level) {
        arm!(level, &mut args.level, LEVEL);
    } else if lookahead.peek(kw::propagate) {
        arm!(propagate, &mut args.propagate, PROPAGATE);
    } else if lookahead.peek(kw::record_below) {
        arm!(record_below, &mut args.record_below, RECORD_BELOW);
    } else if lookahead.peek(kw::summary) {
        arm!(summary, &mut args.summary, SUMMARY);
    } else if lookahead.peek(kw::handler) {
        arm!(handler, &mut args.handlers, HANDLER);
    } else if lookahead.peek(kw::bind) {
        arm!(bind, &mut args.bind, BIND);
    } else if lookahead.peek(kw::registry) {
        arm!(registry, &mut args.registry, REGISTRY);
    } else if lookahead.peek(kw::err) {
        arm!(err, &mut args.err, ERR);
    } else if lookahead.peek(kw::ret) {
        arm!(ret, &mut args.ret, RET);
    } else if lookahead.peek(kw::slow) {
        arm!(slow, &mut args.slow, SLOW);
    } else if lookahead.peek(kw::stuck) {
        arm!(stuck, &mut args.stuck, STUCK);
    } else if lookahead.peek(kw::fields) {
        fields_option(input, args, errors)?;
    } else if input.peek(Ident::peek_any) {
        let key = input.call(Ident::parse_any)?;
        skip_to_comma(input);
        errors.push(syn::Error::new_spanned(
            &key,
            format!("unknown option `{key}` for `#[scoped_logger]`; {VALID_OPTIONS}"),
        ));
    } else {
        // `lookahead.error()` would only say "expected one of ..."; say what to write.
        return Err(syn::Error::new(
            input.span(),
            format!("expected an option of `#[scoped_logger]` here; {VALID_OPTIONS}"),
        ));
    }
    Ok(())
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
