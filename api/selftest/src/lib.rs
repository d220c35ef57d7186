//! Each item below is a kind of public API change that `api/snapshot.py` must turn into a changed
//! line; `expected.txt` holds the lines. Edit both together.

mod private {
    /// Reached only through the re-export at the root: the snapshot names it by that path.
    pub struct Moved;

    /// A trait with an associated type and a bound on it.
    pub trait Source {
        /// What it yields.
        type Item: Send + 'static;
        /// The next one.
        fn next(&mut self) -> Option<Self::Item>;
    }
}

pub use private::{Moved, Source};

/// Variants with payloads: a change of a field's type or name must show.
#[non_exhaustive]
pub enum Shape {
    /// Tuple payload.
    Circle(f64),
    /// Struct payload, itself non-exhaustive.
    #[non_exhaustive]
    Rect {
        /// Width.
        w: u32,
        /// Height.
        h: u32,
    },
    /// None.
    Empty,
}

/// Bounds and where-clauses must show; the parameter type by its public path.
pub fn run<F, T>(f: F, _m: &Moved) -> Result<T, String>
where
    F: FnOnce() -> T + Send,
{
    Ok(f())
}

/// Synthetic `impl Trait` parameters show in the parameter's type only.
pub fn take(_s: impl Source<Item = u8>) {}

/// A public field and a hidden one; a derived trait impl.
#[derive(Default)]
pub struct Config {
    /// Shown.
    pub level: Option<u8>,
    size: usize,
}

impl Config {
    /// A method, const.
    pub const fn new() -> Config {
        Config {
            level: None,
            size: 0,
        }
    }

    /// Deprecated methods are marked.
    #[deprecated(note = "use `new`")]
    pub fn make() -> Config {
        Config::new().with_size()
    }

    fn with_size(mut self) -> Config {
        self.size += 1;
        self
    }
}

/// Deprecated aliases are marked.
#[deprecated(note = "renamed to `Config`")]
pub type Settings = Config;

#[doc(hidden)]
pub mod __private {
    /// Left out: the door for generated code.
    pub fn hidden() {}
}
