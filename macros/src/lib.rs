//! Procedural macros of scoped-logger. Use them through the `scoped-logger` crate.
#![forbid(unsafe_code)]
use proc_macro::TokenStream;

/// Placeholder (the scopes work replaces it).
#[proc_macro_attribute]
pub fn scoped_logger(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
/// Placeholder.
#[proc_macro]
pub fn scoped_log(_i: TokenStream) -> TokenStream {
    TokenStream::new()
}
/// Placeholder.
#[proc_macro]
pub fn trace(_i: TokenStream) -> TokenStream {
    TokenStream::new()
}
/// Placeholder.
#[proc_macro]
pub fn debug(_i: TokenStream) -> TokenStream {
    TokenStream::new()
}
/// Placeholder.
#[proc_macro]
pub fn info(_i: TokenStream) -> TokenStream {
    TokenStream::new()
}
/// Placeholder.
#[proc_macro]
pub fn warn(_i: TokenStream) -> TokenStream {
    TokenStream::new()
}
/// Placeholder.
#[proc_macro]
pub fn error(_i: TokenStream) -> TokenStream {
    TokenStream::new()
}
