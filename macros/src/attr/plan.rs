//! Checks the attribute's options against the function and turns them into a [`Plan`]: the
//! name template is split and its placeholders matched to arguments, literal names and levels
//! are validated as the runtime would. Mirrors the runtime's rules; never generates code.

use proc_macro2::Span;
use syn::{Expr, Ident, LitStr, ReturnType, Type};

use super::args::{Args, Field, Flag};
use super::item::Function;
use crate::errors::Errors;

/// What to generate.
pub(crate) struct Plan {
    pub(crate) name: Name,
    /// A `LevelFilter` variant.
    pub(crate) level: Option<Ident>,
    pub(crate) propagate: Option<bool>,
    pub(crate) handlers: Vec<Expr>,
    pub(crate) bind: Option<Ident>,
    pub(crate) registry: Option<Expr>,
    /// A `LevelFilter` variant: the flight recorder's level.
    pub(crate) record_below: Option<Ident>,
    pub(crate) summary: bool,
    /// `err`: a `Level` variant, spanned on the option.
    pub(crate) err: Option<Ident>,
    /// `ret`: a `Level` variant, spanned on the option.
    pub(crate) ret: Option<Ident>,
    /// `fields(...)`.
    pub(crate) fields: Vec<Field>,
    /// `slow` and `stuck`, in nanoseconds.
    pub(crate) slow: Option<u64>,
    pub(crate) stuck: Option<u64>,
}

impl Plan {
    /// Whether the scope needs to know how the function ended.
    pub(crate) fn wants_outcome(&self) -> bool {
        self.record_below.is_some() || self.summary
    }

    /// Whether the expansion must look at the return value at all.
    pub(crate) fn looks_at_return(&self) -> bool {
        self.wants_outcome() || self.err.is_some() || self.ret.is_some()
    }

    /// Whether the name template or a `fields(..)` value reads the argument `arg`: both are
    /// evaluated when the function is called, so for an `async fn` the argument may be used
    /// nowhere in the future's body. A field's expression is searched for the identifier
    /// anywhere in it (`%user.name`, `attempt + 1`); a false match only silences a lint.
    pub(crate) fn reads_at_call(&self, arg: &Ident) -> bool {
        fn mentions(tokens: proc_macro2::TokenStream, arg: &Ident) -> bool {
            tokens.into_iter().any(|t| match t {
                proc_macro2::TokenTree::Ident(i) => i == *arg,
                proc_macro2::TokenTree::Group(g) => mentions(g.stream(), arg),
                _ => false,
            })
        }
        self.template_args().any(|a| a == arg)
            || self
                .fields
                .iter()
                .any(|f| mentions(quote::ToTokens::to_token_stream(&f.value), arg))
    }

    /// The arguments the name template reads.
    pub(crate) fn template_args(&self) -> impl Iterator<Item = &Ident> {
        let parts = match &self.name {
            Name::Template(parts) => parts.as_slice(),
            _ => &[],
        };
        parts.iter().filter_map(|p| match p {
            Part::Arg(a) => Some(a),
            Part::Lit(_) => None,
        })
    }
}

/// The scope's name.
pub(crate) enum Name {
    /// `module_path!()` + the fn name.
    Bare(String),
    /// A string with no placeholder (already validated).
    Literal(LitStr),
    /// Literal parts and arguments.
    Template(Vec<Part>),
}

pub(crate) enum Part {
    Lit(String),
    /// An argument, spanned on the template string (so type errors point there).
    Arg(Ident),
}

/// Checks `args` against `f`; what is wrong goes to `errors`, and the plan keeps what is right
/// (a bad name becomes the bare attribute's name, a bad level no level), so the function is
/// still expanded with every option that was fine.
pub(crate) fn validate(args: Args, f: &Function, errors: &mut Errors) -> Plan {
    let name = match args.name {
        None => Some(Name::Bare(f.name().unraw_string())),
        Some(s) => errors.take(template(&s, f)),
    };
    let err = args
        .err
        .and_then(|flag| errors.take(returned(&flag, "err", "Error", f)));
    let ret = args
        .ret
        .and_then(|flag| errors.take(returned(&flag, "ret", "Info", f)));
    let level = args.level.and_then(|s| errors.take(level_variant(&s)));
    let record_below = args
        .record_below
        .and_then(|s| errors.take(level_variant(&s)));
    let slow = args.slow.and_then(|s| errors.take(duration(&s, "slow")));
    let stuck = args.stuck.and_then(|s| errors.take(duration(&s, "stuck")));
    Plan {
        fields: args.fields,
        slow,
        stuck,
        record_below,
        summary: args.summary.is_some_and(|b| b.value),
        name: name.unwrap_or_else(|| Name::Bare(f.name().unraw_string())),
        err,
        ret,
        level,
        propagate: args.propagate.map(|b| b.value),
        handlers: args.handlers,
        bind: args.bind,
        registry: args.registry,
    }
}

trait Unraw {
    fn unraw_string(&self) -> String;
}

impl Unraw for Ident {
    fn unraw_string(&self) -> String {
        use syn::ext::IdentExt;
        self.unraw().to_string()
    }
}

/// A duration literal (`"500ms"`, `"30s"`, `"1m 30s"`), in nanoseconds; zero is refused.
fn duration(lit: &LitStr, option: &str) -> syn::Result<u64> {
    let text = lit.value();
    let wrong = |why: &str| {
        syn::Error::new_spanned(
            lit,
            format!(
                "`{option} = {text:?}`: {why}; write a duration such as `{option} = \"500ms\"` or \
                 `\"30s\"` (units: ns, us, ms, s, m, h)"
            ),
        )
    };
    let mut total: u128 = 0;
    let mut any = false;
    for part in text.split_whitespace() {
        let digits = part
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(part.len());
        let (num, unit) = part.split_at(digits);
        let n: u128 = num.parse().map_err(|_| wrong("no number"))?;
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" | "min" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(wrong("the number has no unit")),
            _ => return Err(wrong("unknown unit")),
        };
        total += n * scale;
        any = true;
    }
    if !any {
        return Err(wrong("empty"));
    }
    match u64::try_from(total) {
        Ok(0) => Err(wrong("a zero threshold would fire for every task")),
        Ok(ns) => Ok(ns),
        Err(_) => Err(wrong("too long")),
    }
}

/// The same names and aliases as `LevelFilter::from_str`.
fn level_variant(lit: &LitStr) -> syn::Result<Ident> {
    let text = lit.value();
    let t = text.trim();
    let variant = crate::levels::filter_variant(t);
    match variant {
        Some(v) => Ok(Ident::new(v, lit.span())),
        None => Err(syn::Error::new_spanned(
            lit,
            format!(
                "`{text}` is not a level; write one of \"off\", \"error\", \"warn\", \"info\", \
                 \"debug\", \"trace\" (case-insensitive; \"warning\" and \"critical\" also work)"
            ),
        )),
    }
}

/// `err` / `ret`: the level of the record (`default` when none is written), checked against
/// the return type where the signature tells enough: `ret` on a function returning `()` is an
/// error here, `err` on one that returns no `Result` is a type error in the expansion (a type
/// alias may name a `Result`).
fn returned(flag: &Flag, option: &str, default: &str, f: &Function) -> syn::Result<Ident> {
    let level = match &flag.level {
        None => Ident::new(default, flag.key.span()),
        Some(lit) => {
            let variant = level_variant(lit)?;
            if variant == "Off" {
                return Err(syn::Error::new_spanned(
                    lit,
                    format!(
                        "`{option}` logs a record, so its level cannot be \"off\"; remove \
                         `{option}` or write one of \"error\", \"warn\", \"info\", \"debug\", \
                         \"trace\""
                    ),
                ));
            }
            // Spanned on the option: a type error about it points there.
            Ident::new(&variant.to_string(), flag.key.span())
        }
    };
    let output = match &f.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some(&**ty),
    };
    let unit = match output {
        None => true,
        Some(Type::Tuple(t)) => t.elems.is_empty(),
        Some(_) => false,
    };
    if option == "ret" && unit {
        return Err(syn::Error::new_spanned(
            &flag.key,
            format!(
                "`ret` logs the value a function returns, and `{}` returns `()`; remove `ret` \
                 (or use `summary = true` to log how the function ended)",
                f.name()
            ),
        ));
    }
    if option == "err" && unit {
        return Err(syn::Error::new_spanned(
            &flag.key,
            format!(
                "`err` logs the error a function returns, and `{}` returns `()`, not a \
                 `Result`; remove `err` or make the function return `Result<_, E>`",
                f.name()
            ),
        ));
    }
    if output.is_some_and(super::expand::mentions_impl_trait) {
        return Err(syn::Error::new_spanned(
            &flag.key,
            format!(
                "`{option}` needs to name the function's return type, and `{}` returns an \
                 `impl Trait`; remove `{option}`, or return a type that can be named",
                f.name()
            ),
        ));
    }
    Ok(level)
}

/// Splits a name template into parts and checks it.
fn template(lit: &LitStr, f: &Function) -> syn::Result<Name> {
    let text = lit.value();
    let args = f.arg_names();
    let mut parts: Vec<Part> = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    let mut errors = Errors::default();
    while let Some((_, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                literal.push('}');
            }
            '}' => errors.push(syn::Error::new_spanned(
                lit,
                "this name template has a `}` without a matching `{`; write `}}` for a literal \
                 brace",
            )),
            '{' => {
                let mut inner = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    inner.push(c);
                }
                if !closed {
                    errors.push(syn::Error::new_spanned(
                        lit,
                        "this name template has a `{` that is never closed; write `{arg}` to \
                         interpolate an argument, or `{{` for a literal brace",
                    ));
                    break;
                }
                match placeholder(&inner, lit, &args, f) {
                    Ok(ident) => {
                        if !literal.is_empty() {
                            parts.push(Part::Lit(std::mem::take(&mut literal)));
                        }
                        parts.push(Part::Arg(ident));
                    }
                    Err(e) => errors.push(e),
                }
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Lit(literal));
    }
    errors.finish(())?;
    check_shape(&parts, lit)?;
    match parts.as_slice() {
        [] => Ok(Name::Literal(LitStr::new("", lit.span()))),
        [Part::Lit(s)] => Ok(Name::Literal(LitStr::new(s, lit.span()))),
        _ => Ok(Name::Template(parts)),
    }
}

fn placeholder(inner: &str, lit: &LitStr, args: &[&Ident], f: &Function) -> syn::Result<Ident> {
    let listed = if args.is_empty() {
        format!(
            "`{}` has no argument bound to a plain identifier to interpolate",
            f.name()
        )
    } else {
        let names: Vec<String> = args.iter().map(|a| format!("`{{{a}}}`")).collect();
        format!("the arguments it can name are {}", names.join(", "))
    };
    if let Some(arg) = args.iter().find(|a| a.unraw_string() == inner) {
        // Resolved like the argument itself (its hygiene: a template and a parameter may come
        // from different macro_rules contexts), reported at the template string.
        let mut ident = (*arg).clone();
        ident.set_span(arg.span().located_at(lit.span()));
        return Ok(ident);
    }
    let msg = if inner.is_empty() {
        format!("`{{}}` in a name template must name an argument: write `{{id}}`; {listed}")
    } else if let Some((arg, _)) = inner.split_once(':') {
        format!(
            "`{{{inner}}}`: a name template interpolates arguments with `Display` only and takes \
             no format spec; write `{{{arg}}}`"
        )
    } else if inner == "self" && f.has_receiver() {
        format!(
            "`{{self}}` cannot be interpolated in a name template; give the method an argument \
             to interpolate instead ({listed})"
        )
    } else {
        format!(
            "`{{{inner}}}` in the name template names no argument of `{}`; {listed} (write \
             `{{{{` and `}}}}` for literal braces)",
            f.name()
        )
    };
    Err(syn::Error::new_spanned(lit, msg))
}

/// Checks the name the template makes, with each placeholder standing for one clean segment
/// piece: the runtime's rules (no whitespace or control characters, no empty segment, one
/// leading `.` for a relative name, `::` as a separator).
fn check_shape(parts: &[Part], lit: &LitStr) -> syn::Result<()> {
    let mut shape = String::new();
    for p in parts {
        match p {
            Part::Lit(s) => shape.push_str(s),
            Part::Arg(a) => {
                shape.push('{');
                shape.push_str(&a.to_string());
                shape.push('}');
            }
        }
    }
    let rules = "a logger name is dot-separated segments without whitespace or control \
                 characters, and a leading `.` makes it relative to the current scope";
    let bad = |msg: String| Err(syn::Error::new(lit.span(), msg));
    if let Some(c) = shape.chars().find(|c| c.is_whitespace() || c.is_control()) {
        let fixed: String = shape
            .chars()
            .map(|c| {
                if c.is_whitespace() || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        return bad(format!(
            "invalid logger name `{shape}`: {c:?} is not allowed; write `{fixed}`? ({rules})"
        ));
    }
    if shape.is_empty() || shape == "root" {
        return Ok(());
    }
    let norm = shape.replace("::", ".");
    let body = norm.strip_prefix('.').unwrap_or(&norm);
    if body.is_empty() {
        return bad(format!(
            "invalid logger name `{shape}`: a relative name needs a segment after the leading \
             `.`; write e.g. `.db` ({rules})"
        ));
    }
    if body.split('.').any(str::is_empty) {
        let fixed: Vec<&str> = body.split('.').filter(|s| !s.is_empty()).collect();
        let lead = if norm.starts_with('.') { "." } else { "" };
        let fixed = format!("{lead}{}", fixed.join("."));
        return bad(format!(
            "invalid logger name `{shape}`: it has an empty segment; write `{fixed}`? ({rules})"
        ));
    }
    Ok(())
}

/// A span for generated locals: not nameable from the user's code.
pub(crate) fn hidden(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts_of(template_text: &str) -> syn::Result<Vec<String>> {
        let f = crate::attr::item::parse(quote::quote!(
            fn f(id: u32, r#type: &str) {}
        ))
        .unwrap();
        let lit = LitStr::new(template_text, Span::call_site());
        Ok(match template(&lit, &f)? {
            Name::Bare(_) => vec!["<bare>".to_owned()],
            Name::Literal(l) => vec![format!("lit:{}", l.value())],
            Name::Template(parts) => parts
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => format!("lit:{s}"),
                    Part::Arg(a) => format!("arg:{a}"),
                })
                .collect(),
        })
    }

    #[test]
    fn templates_split_into_literals_and_arguments() {
        assert_eq!(parts_of("jobs.{id}").unwrap(), ["lit:jobs.", "arg:id"]);
        assert_eq!(
            parts_of("{{x}}.{id}.{type}").unwrap(),
            ["lit:{x}.", "arg:id", "lit:.", "arg:r#type"]
        );
        assert_eq!(parts_of("a::b").unwrap(), ["lit:a::b"]);
        assert_eq!(parts_of(".db").unwrap(), ["lit:.db"]);
        assert_eq!(parts_of("").unwrap(), ["lit:"]);
    }

    #[test]
    fn templates_are_checked_like_names() {
        for bad in [
            "jobs..x", "jobs.", ".", "a b", "{id}..x", "a::::b", "{nope}", "{id", "}", "{id:?}",
        ] {
            assert!(parts_of(bad).is_err(), "{bad:?} should be rejected");
        }
        for good in ["root", "a:b", "jobs.{id}{id}", ".{id}", "a::{id}"] {
            assert!(parts_of(good).is_ok(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn levels_accept_the_runtime_aliases() {
        let level =
            |s: &str| level_variant(&LitStr::new(s, Span::call_site())).map(|i| i.to_string());
        assert_eq!(level("WARNING").unwrap(), "Warn");
        assert_eq!(level("critical").unwrap(), "Error");
        assert_eq!(level("Off").unwrap(), "Off");
        assert!(level("loud").is_err());
    }
}
