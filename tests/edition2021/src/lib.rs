//! `#[scoped_logger]` used from an edition-2021 crate. The attribute turns an `async fn` into a
//! `fn` returning `impl Future`, and edition 2021 captures lifetimes in `impl Trait` differently
//! from 2024: these are the shapes where that matters (borrowed arguments, elided and named
//! lifetimes in the output, `&self`, `self`, generics, trait methods). That they compile is
//! most of the test; the tests below check that each scope is current while the body runs and
//! gone when the future completes.

use std::fmt::Display;
use std::sync::LazyLock;

use scoped_logger::{current, info, scoped_logger, MemoryHandler, Registry};

/// The registry every fn here logs to.
pub static REG: LazyLock<Registry> = LazyLock::new(Registry::new);

/// Borrowed arguments, one of them interpolated, and a handler made from one.
#[scoped_logger("e21.{id}", registry = &REG, handler = mem.clone())]
pub async fn borrowed(id: &str, data: &[u8], mem: &MemoryHandler) -> (String, usize) {
    info!("{} bytes", data.len());
    (current().name().to_owned(), data.len())
}

/// An output that borrows from an argument (elided lifetime).
#[scoped_logger("e21.first", registry = &REG)]
pub async fn first_word(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}

/// Named lifetimes and a generic `Display` argument in the name.
#[scoped_logger("e21.pick.{label}", registry = &REG)]
pub async fn pick<'a, 'b, T: Display>(label: T, a: &'a str, _b: &'b str) -> &'a str {
    a
}

/// A `Result` returned through `?` with a handler that can fail.
#[scoped_logger("e21.fallible", registry = &REG, handler = open(fail))]
pub async fn fallible(fail: bool) -> Result<String, std::io::Error> {
    Ok(current().name().to_owned())
}

fn open(fail: bool) -> std::io::Result<MemoryHandler> {
    if fail {
        Err(std::io::Error::other("no handler today"))
    } else {
        Ok(MemoryHandler::new())
    }
}

/// Methods taking `&self` and `self`.
pub struct Service {
    /// Interpolated into a scope name.
    pub id: u32,
}

impl Service {
    /// `&self` and a borrowed argument.
    #[scoped_logger("e21.svc.{n}", registry = &REG)]
    pub async fn handle(&self, n: u32, note: &str) -> String {
        format!("{} {} {note}", current().name(), self.id)
    }

    /// `self` by value.
    #[scoped_logger(registry = &REG)]
    pub async fn consume(self) -> String {
        current().name().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn async_fns_in_edition_2021_run_in_their_scopes() {
        let mem = MemoryHandler::new();
        let id = String::from("7");
        let data = vec![1u8, 2, 3];
        assert_eq!(
            block_on(borrowed(&id, &data, &mem)),
            ("e21.7".to_owned(), 3)
        );
        assert_eq!(mem.close_count(), 1);
        REG.root().set_level(scoped_logger::LevelFilter::Info);
        block_on(borrowed(&id, &data, &mem));
        assert_eq!(mem.records()[0].logger, "e21.7");

        let text = String::from("hello world");
        assert_eq!(block_on(first_word(&text)), "hello");
        assert_eq!(block_on(pick(42, "a", "b")), "a");

        assert_eq!(block_on(fallible(false)).unwrap(), "e21.fallible");
        let err = block_on(fallible(true)).unwrap_err();
        assert!(err.to_string().contains("no handler today"), "{err}");

        let svc = Service { id: 9 };
        assert_eq!(block_on(svc.handle(3, "ok")), "e21.svc.3 9 ok");
        assert_eq!(block_on(svc.consume()), "edition2021.consume");
        assert_eq!(REG.node_count(), 0, "every scope ended with its future");
    }
}
