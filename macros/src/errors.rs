//! Collects independent errors so one build reports them all (serde_derive's `Ctxt` idea).
//! Every error carries its own span; nothing here decides what is an error.
//!
//! A collection must be read before it goes ([`Errors::finish`] or [`Errors::into_compile_error`]):
//! dropping one unread panics, so an error pushed on some path can never be lost silently.

use proc_macro2::TokenStream;

/// Errors met so far, combined into one `syn::Error`.
#[derive(Default)]
pub(crate) struct Errors {
    errors: Option<syn::Error>,
    /// Set by the methods that read the collection; checked on drop.
    read: bool,
}

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }

    /// Merges another result's error into this collection.
    pub(crate) fn take<T>(&mut self, r: syn::Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    /// `Ok(value)` when nothing went wrong, else every error.
    pub(crate) fn finish<T>(mut self, value: T) -> syn::Result<T> {
        self.read = true;
        match self.errors.take() {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }

    /// The errors as `compile_error!` invocations (nothing when there is none).
    pub(crate) fn into_compile_error(mut self) -> TokenStream {
        self.read = true;
        self.errors
            .take()
            .map(syn::Error::into_compile_error)
            .unwrap_or_default()
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        // A bug in this crate, never the user's mistake; not while already unwinding.
        if !self.read && !std::thread::panicking() {
            panic!("scoped-logger-macros: a collection of errors was dropped without being read");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Errors;
    use proc_macro2::Span;

    #[test]
    fn read_collections_drop_quietly() {
        let mut errors = Errors::default();
        errors.push(syn::Error::new(Span::call_site(), "one"));
        errors.push(syn::Error::new(Span::call_site(), "two"));
        let all = errors.finish(()).unwrap_err();
        assert_eq!(all.into_iter().count(), 2);
        assert!(Errors::default().into_compile_error().is_empty());
    }

    #[test]
    #[should_panic(expected = "dropped without being read")]
    fn an_unread_collection_panics_on_drop() {
        let mut errors = Errors::default();
        errors.push(syn::Error::new(Span::call_site(), "lost"));
        drop(errors);
    }
}
