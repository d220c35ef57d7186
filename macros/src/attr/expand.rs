//! Code generation for `#[scoped_logger]` from the checked [`Plan`]. Generated code names only
//! `::scoped_logger::__private::…`, `::core` and `::std`; its locals are `__scoped_logger_*`
//! idents with mixed-site hygiene, so the user's code can neither see nor shadow them. User
//! tokens keep their spans, so errors point at them.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Pat, ReturnType, Type};

use super::args::Sigil;
use super::item::Function;
use super::plan::{Name, Part, Plan, hidden};

fn private() -> TokenStream {
    quote!(::scoped_logger::__private)
}

/// The hidden locals of one expansion.
struct Locals {
    scope: Ident,
    base: Ident,
    name: Ident,
    joined: Ident,
    creator: Ident,
    handler: Ident,
    error: Ident,
    fields: Ident,
}

impl Locals {
    fn new() -> Locals {
        Locals {
            scope: hidden("__scoped_logger_scope"),
            base: hidden("__scoped_logger_base"),
            name: hidden("__scoped_logger_name"),
            joined: hidden("__scoped_logger_joined"),
            creator: hidden("__scoped_logger_creator"),
            handler: hidden("__scoped_logger_handler"),
            error: hidden("__scoped_logger_error"),
            fields: hidden("__scoped_logger_fields"),
        }
    }
}

// input:  "jobs.{id}"
// output: { let mut s = String::with_capacity(5 + 16); s.push_str("jobs."); push_arg(&mut s, &id); s }
//
// A bare attribute names the scope `module_path!()` + the fn name; a literal stays a `&str`.
fn name_expr(name: &Name) -> TokenStream {
    let p = private();
    match name {
        Name::Bare(fn_name) => quote! {
            #p::module_fn_name(::core::module_path!(), #fn_name)
        },
        Name::Literal(lit) => lit.to_token_stream(),
        Name::Template(parts) => {
            let s = hidden("__scoped_logger_s");
            let pushes = parts.iter().map(|part| match part {
                Part::Lit(text) => quote!(#s.push_str(#text);),
                // Spanned on the template string: a non-`Display` argument is reported there.
                Part::Arg(arg) => quote_spanned!(arg.span()=> #p::push_arg(&mut #s, &#arg);),
            });
            // The literal parts, and room for short arguments (ids, small numbers): one
            // allocation for most names instead of a few reallocations as it grows.
            let capacity = parts
                .iter()
                .map(|part| match part {
                    Part::Lit(text) => text.len(),
                    Part::Arg(_) => 16,
                })
                .sum::<usize>();
            quote! {{
                let mut #s = ::std::string::String::with_capacity(#capacity);
                #(#pushes)*
                #s
            }}
        }
    }
}

// input:  level = "debug", propagate = false, handler = A, handler = B, registry = &REG
// output: match begin_with(&REG, base, &name, ScopeOptions { level: Some(Debug), .. }) {
//             Begin::Joined(s) => s,
//             Begin::Create(c) => {
//                 let h0 = match IntoHandlerResult::into_handler_result(A) {
//                     Ok(h) => h,
//                     Err(e) => { drop(c); return FromHandlerError::from_handler_error(e); }
//                 };
//                 c.add(boxed(h0));       // owned by the creator at once: closed if B fails
//                 let h1 = ...B...; c.add(boxed(h1));
//                 c.finish()
//             }
//         }
//
// The handler expressions run only in the `Create` arm: a call that joins a live same-name
// scope shares its handlers and evaluates none. A failing one abandons the entry (dropping the
// creator) and returns its error from the function (or the async block) through
// `FromHandlerError`, which the return type selects (a plain handler's error is `Infallible`).
// Without `handler`, the output is `open(&REG, base, &name, ScopeOptions { .. })`: no creator.
fn begin_expr(plan: &Plan, locals: &Locals, base: TokenStream, name: TokenStream) -> TokenStream {
    let p = private();
    let Locals {
        joined,
        creator,
        error,
        handler,
        ..
    } = locals;
    let registry = match &plan.registry {
        Some(expr) => quote_spanned!(expr.span()=> #expr),
        None => quote!(#p::global()),
    };
    let level = match &plan.level {
        Some(variant) => quote!(::core::option::Option::Some(#p::LevelFilter::#variant)),
        None => quote!(::core::option::Option::None),
    };
    let propagate = match plan.propagate {
        Some(b) => quote!(::core::option::Option::Some(#b)),
        None => quote!(::core::option::Option::None),
    };
    let recorder = match &plan.record_below {
        Some(variant) => {
            quote!(::core::option::Option::Some(#p::recorder(#p::LevelFilter::#variant)))
        }
        None => quote!(::core::option::Option::None),
    };
    let summary = plan.summary;
    let nanos = |d: Option<u64>| match d {
        Some(ns) => quote!(::core::option::Option::Some(::core::time::Duration::from_nanos(#ns))),
        None => quote!(::core::option::Option::None),
    };
    let (slow, stuck) = (nanos(plan.slow), nanos(plan.stuck));
    // Hidden, but located at the handler expression: a type error about the handler or its
    // error (our `on_unimplemented` messages) points there, not at the whole attribute.
    let at =
        |name: &str, expr: &syn::Expr| Ident::new(name, Span::mixed_site().located_at(expr.span()));
    let handler_names: Vec<Ident> = plan
        .handlers
        .iter()
        .enumerate()
        .map(|(i, expr)| at(&format!("__scoped_logger_handler{i}"), expr))
        .collect();
    let makes = plan.handlers.iter().zip(&handler_names).map(|(expr, h_i)| {
        let handler = at(&handler.to_string(), expr);
        let error = at(&error.to_string(), expr);
        let into = quote_spanned!(expr.span()=> #p::IntoHandlerResult::into_handler_result);
        // Spanned on the handler expression: "this function cannot return the handler's
        // error" is reported there.
        let raise = quote_spanned! {expr.span()=>
            return #p::FromHandlerError::from_handler_error(#error);
        };
        quote! {
            let #h_i = match #into(#expr) {
                ::core::result::Result::Ok(#handler) => #handler,
                ::core::result::Result::Err(#error) => {
                    ::core::mem::drop(#creator);
                    #raise
                }
            };
            #creator.add(#p::boxed(#h_i));
        }
    });
    let opts = quote! {
        #p::ScopeOptions {
            level: #level,
            propagate: #propagate,
            recorder: #recorder,
            summary: #summary,
            slow: #slow,
            stuck: #stuck,
        }
    };
    let begin = if plan.handlers.is_empty() {
        // Nothing to make: the runtime starts (or joins) the scope in one step.
        quote!(#p::open(#registry, #base, &#name, #opts))
    } else {
        quote! {
            match #p::begin_with(#registry, #base, &#name, #opts) {
                #p::Begin::Joined(#joined) => #joined,
                #p::Begin::Create(mut #creator) => {
                    #(#makes)*
                    #creator.finish()
                }
            }
        }
    };
    if plan.fields.is_empty() {
        return begin;
    }
    let fields = &locals.fields;
    quote!(#p::with_fields(#begin, #fields))
}

// input:  fields(user = %user.name, attempt = 1, id)
// output: let fields = { let mut f = Fields::new(); f.push("user", display(&(user.name)));
//                        f.push("attempt", ToValue::to_value(&(1))); f.push("id", ..(&(id))); f };
//
// Evaluated when the function is called (for an `async fn`, before its future exists), so the
// values are copied while the arguments are still there; the scope gets them when it starts.
fn fields_stmt(plan: &Plan, locals: &Locals) -> TokenStream {
    if plan.fields.is_empty() {
        return TokenStream::new();
    }
    let p = private();
    let f = &locals.fields;
    let pushes = plan.fields.iter().map(|field| {
        let key = syn::ext::IdentExt::unraw(&field.key).to_string();
        let value = &field.value;
        let value = match field.sigil {
            Sigil::Value => quote_spanned!(value.span()=> #p::ToValue::to_value(&(#value))),
            Sigil::Display => quote_spanned!(value.span()=> #p::display(&(#value))),
            Sigil::Debug => quote_spanned!(value.span()=> #p::debug(&(#value))),
        };
        quote!(#f.push(#key, #value);)
    });
    quote! {
        let #f = {
            let mut #f = #p::Fields::new();
            #(#pushes)*
            #f
        };
    }
}

fn bind_stmt(plan: &Plan, scope: &Ident) -> TokenStream {
    let p = private();
    match &plan.bind {
        Some(ident) => quote!(let #ident: &#p::ScopedLogger = &#scope;),
        None => TokenStream::new(),
    }
}

// input:  #[scoped_logger("jobs.{id}", bind = log)]
//         fn run(id: u64) -> Result<(), E> { body }
// output: fn run(id: u64) -> Result<(), E> {
//             let scope = open(global(), capture_base().as_ref(), &name, ..)   // or begin_with
//                 |> make_current;                                            // with handlers
//             let log: &ScopedLogger = &scope;
//             body
//         }
//
// The body (kept as the tokens the user wrote) is not wrapped in a closure unless the return
// value is looked at (see below): the statements go before the original ones, so `return` and
// `?` keep their meaning, and every way out (return, `?`, panic unwinding) drops the guard,
// which is declared first and so dropped after the body's own locals.
pub(crate) fn expand_sync(plan: Plan, f: Function) -> TokenStream {
    let locals = Locals::new();
    let p = private();
    let scope = &locals.scope;
    let name = name_expr(&plan.name);
    let begin = begin_expr(
        &plan,
        &locals,
        quote!(#p::capture_base().as_ref()),
        quote!(#name),
    );
    let bind = bind_stmt(&plan, scope);
    let stmts = &f.body;
    // With `record_below`, `summary`, `err` or `ret` the return value is looked at: the body
    // runs in a closure whose value is kept (tracing-attributes does the same for `err`). A
    // return type with `impl Trait` in it cannot be written on the closure; `err` and `ret` are
    // refused on such a function (`plan.rs`), and the recorder keeps the plain form.
    let nameable = match &f.sig.output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => !mentions_impl_trait(ty),
    };
    let run = if plan.looks_at_return() && nameable {
        let output = match &f.sig.output {
            ReturnType::Default => quote!(()),
            ReturnType::Type(_, ty) => ty.to_token_stream(),
        };
        let ret = hidden("__scoped_logger_ret");
        let look = look_at_return(&plan, scope, &ret, &output);
        // Called through an `FnOnce` bound: inferred as `FnMut`, a closure could not return a
        // borrow of what it captured (`fn get(&mut self) -> &mut T`).
        quote! {
            let #ret = #p::call_once(|| -> #output { #stmts });
            #look
            #ret
        }
    } else {
        stmts.clone()
    };
    let fields = fields_stmt(&plan, &locals);
    let body = f.braced(quote! {
        #fields
        let #scope = #p::make_current(#begin);
        #bind
        #run
    });
    let Function {
        attrs, vis, sig, ..
    } = &f;
    quote! {
        #(#attrs)*
        #vis #sig #body
    }
}

// input:  the return value `ret` of a function with `record_below`, `summary`, `err`, `ret`
// output: if (&ret).is_failure() { scope.fail(); }   // `Result::is_err`; false for other types
//         if let Some(e) = <_ as ReturnsResult>::returned_err(&ret) { log_err(&scope, Level::Error, &SITE, (&&&&Pick(e)).pick()) }
//         log_ret(&scope, Level::Info, &SITE, &ret);                                     // ret
//
// `ReturnsResult` is implemented only for `Result` (its `on_unimplemented` says so, once, at the
// `err` option: the return type is not named there, so no second error points at it).
// The error becomes a value by autoref specialization (`Pick*` in `__private`): an `Error`
// (with its `source()` chain), a pointer to one (`Box<dyn Error + ..>`, anyhow-like types), else
// its `Display`, else its `Debug`.
fn look_at_return(plan: &Plan, scope: &Ident, ret: &Ident, output: &TokenStream) -> TokenStream {
    let p = private();
    let mut out = TokenStream::new();
    if plan.wants_outcome() {
        out.extend(quote! {
            {
                #[allow(unused_imports)]
                use #p::{IsFailureOther as _, IsFailureResult as _};
                if (&#ret).is_failure() {
                    #scope.fail();
                }
            }
        });
    }
    let site = quote! {
        {
            static __SCOPED_LOGGER_SITE: #p::Location = #p::Location::new(::core::module_path!(), ::core::file!(), ::core::line!());
            &__SCOPED_LOGGER_SITE
        }
    };
    // Spanned on the option, hidden locals included: a type error about it ("not a `Result`",
    // "not `Debug`") points at `err` or `ret`, once.
    let at =
        |level: &Ident, name: &str| Ident::new(name, Span::mixed_site().located_at(level.span()));
    if let Some(level) = &plan.err {
        let span = level.span();
        let p = quote_spanned!(span=> ::scoped_logger::__private);
        let (e, ret, scope) = (
            at(level, "__scoped_logger_e"),
            at(level, &ret.to_string()),
            at(level, &scope.to_string()),
        );
        // One context for every token of the call (the hidden `ret`'s): spans of two contexts
        // do not join, and the error would point at the whole attribute as well as at `err`.
        let hidden_at = Span::mixed_site().located_at(span);
        let returned_err = quote_spanned!(hidden_at=> <_ as ::scoped_logger::__private::ReturnsResult>::returned_err(&#ret));
        out.extend(quote_spanned! {span=>
            if let ::core::option::Option::Some(#e) = #returned_err {
                #[allow(unused_imports)]
                use #p::{PickDebug as _, PickDeref as _, PickDisplay as _, PickError as _};
                #p::log_err(&#scope, #p::Level::#level, #site, (&&&&#p::Pick(#e)).pick());
            }
        });
    }
    if let Some(level) = &plan.ret {
        let span = level.span();
        let p = quote_spanned!(span=> ::scoped_logger::__private);
        let (ret, scope) = (at(level, &ret.to_string()), at(level, &scope.to_string()));
        out.extend(quote_spanned! {span=>
            #p::log_ret::<#output>(&#scope, #p::Level::#level, #site, &#ret);
        });
    }
    out
}

// input:  #[scoped_logger(".db.{id}")]
//         async fn query(&self, id: u64, (a, b): (u8, u8)) -> T { body }
// output: fn query(&self, id: u64, arg1: (u8, u8)) -> impl Future<Output = T> {
//             let name = { ..template.. };          // evaluated at call time
//             let base = capture_base();            // relative names resolve against it
//             async move {                          // first poll: enter the scope
//                 let id = id; let arg1 = arg1; let (a, b) = arg1;
//                 let scope = open(global(), base.as_ref(), &name, ..);   // or begin_with
//                 run_in(&scope, async move {
//                     if false { let ret: T = loop {}; return ret; }  // the body's type is T
//                     body
//                 }).await                          // current during each poll
//             }                                     // completed or dropped: scope ends
//         }
//
// Arguments are rebound first in the future, as `async fn` does, so they are moved into it,
// `mut` bindings keep working, and handler expressions can use them. The scope is made current
// only while the body is polled (`run_in`), never across an `.await` of the caller's.
pub(crate) fn expand_async(plan: Plan, f: Function) -> TokenStream {
    let locals = Locals::new();
    let p = private();
    let mut sig = f.sig.clone();
    sig.asyncness = None;

    let mut rebinds = TokenStream::new();
    for (i, arg) in sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(pt) = arg else {
            if let FnArg::Receiver(r) = arg
                && r.reference.is_none()
            {
                // `self` by value is moved into the future even when the body never uses it.
                rebinds.extend(quote!(let _ = &self;));
            }
            continue;
        };
        let attrs = &pt.attrs;
        match &mut *pt.pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                let ident = &pi.ident;
                let mutability = pi.mutability.take();
                // An argument only the name template or `fields(..)` reads was used, at call
                // time (before the future exists); its rebinding in the future is not a sign
                // of a mistake.
                let allow = plan
                    .reads_at_call(ident)
                    .then(|| quote!(#[allow(unused_variables)]));
                rebinds.extend(quote!(#(#attrs)* #allow let #mutability #ident = #ident;));
            }
            pat => {
                let arg_name = Ident::new(&format!("__scoped_logger_arg{i}"), Span::mixed_site());
                rebinds.extend(quote! {
                    #(#attrs)* let #arg_name = #arg_name;
                    #(#attrs)* let #pat = #arg_name;
                });
                *pat = Pat::Verbatim(arg_name.to_token_stream());
            }
        }
    }

    let output = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => ty.to_token_stream(),
    };
    let (arrow, ret_span) = match &sig.output {
        ReturnType::Default => (quote!(->), sig.ident.span()),
        ReturnType::Type(arrow, ty) => (arrow.to_token_stream(), ty.span()),
    };
    // Mixed-site tokens carry this crate's edition (2024), so the `impl Future` captures every
    // lifetime of the arguments, as an `async fn` does, even in an edition 2021 crate.
    let here = Span::mixed_site().located_at(ret_span);
    sig.output = syn::parse_quote_spanned! {here=>
        #arrow impl ::core::future::Future<Output = #output>
    };
    // An async block's output type is inferred from its body, with no expected type; this
    // never-taken `return` of a `T` fixes it up front (tracing-attributes' trick), so the body
    // is checked against `T` as an `async fn` body is: `?` converts into the declared error and
    // the tail coerces (`&String` to `&str`). A `T` with `impl Trait` in it cannot be named.
    let fix_output = match &f.sig.output {
        ReturnType::Type(_, ty) if mentions_impl_trait(ty) => TokenStream::new(),
        _ => {
            let ret = hidden("__scoped_logger_ret");
            quote! {
                #[allow(
                    unreachable_code,
                    clippy::diverging_sub_expression,
                    clippy::empty_loop,
                    clippy::let_unit_value,
                    clippy::needless_return
                )]
                if false {
                    let #ret: #output = loop {};
                    return #ret;
                }
            }
        }
    };

    let Locals {
        scope, base, name, ..
    } = &locals;
    let name_value = name_expr(&plan.name);
    let begin = begin_expr(&plan, &locals, quote!(#base.as_ref()), quote!(#name));
    let bind = bind_stmt(&plan, scope);
    let stmts = &f.body;
    let polled = quote! {
        #p::run_in(&#scope, async move {
            #fix_output
            #stmts
        })
        .await
    };
    // With `record_below` or `summary`: a future dropped before completing is `cancelled`
    // (neither success nor failure); a completed one is looked at like a sync return value
    // (also for `err` and `ret`).
    let (expect, run) = if plan.looks_at_return() {
        let ret = hidden("__scoped_logger_ret");
        let look = if fix_output.is_empty() {
            TokenStream::new()
        } else {
            look_at_return(&plan, scope, &ret, &output)
        };
        let expect = plan
            .wants_outcome()
            .then(|| quote!(#p::expect_completion(&#scope);));
        (
            quote!(#expect),
            quote! {
                let #ret = #polled;
                #look
                #p::completed(&#scope);
                #ret
            },
        )
    } else {
        (TokenStream::new(), polled)
    };
    let fields = fields_stmt(&plan, &locals);
    let body = f.braced(quote! {
        let #name = #name_value;
        let #base = #p::capture_base();
        #fields
        async move {
            #rebinds
            let #scope = #begin;
            #expect
            #bind
            #run
        }
    });
    let Function { attrs, vis, .. } = &f;
    quote! {
        #(#attrs)*
        #vis #sig #body
    }
}

pub(crate) fn mentions_impl_trait(ty: &Type) -> bool {
    fn walk(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == "impl",
            proc_macro2::TokenTree::Group(g) => walk(g.stream()),
            _ => false,
        })
    }
    walk(ty.to_token_stream())
}
