//! Bridges from the other logging facades: records made with `log` or `tracing` macros (by the
//! libraries a program depends on) enter the tree here.
//!
//! Both route the same way: to the current scope when the calling thread has one (so a
//! library's records inside a task land in that task's handlers, with the library's target kept
//! as the `target` key-value), else to the logger named by the record's target (`::` becomes `.`).

#[cfg(feature = "log")]
#[cfg_attr(docsrs, doc(cfg(feature = "log")))]
pub mod log;
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub mod tracing;

#[cfg(any(feature = "log", feature = "tracing"))]
mod route {
    use std::cell::RefCell;

    use crate::kv::fields::FieldSet;
    use crate::level::Level;
    use crate::tree::{Current, Logger, NAMED, Registry, current_context, current_if_enabled};

    /// A record's target, and whether its text is known to be `'static` (then its address
    /// alone names it in the per-thread cache, with no comparison of the text).
    #[derive(Clone, Copy)]
    pub(crate) struct Target<'a> {
        pub(crate) text: &'a str,
        pub(crate) fixed: bool,
    }

    impl<'a> Target<'a> {
        /// A target of unknown lifetime.
        pub(crate) fn new(text: &'a str) -> Target<'a> {
            Target { text, fixed: false }
        }
    }

    impl Target<'static> {
        /// A `'static` target (a `tracing` callsite's, a module path).
        pub(crate) fn fixed(text: &'static str) -> Target<'static> {
            Target { text, fixed: true }
        }
    }

    /// Where a record goes, for [`route`]'s callback.
    pub(crate) struct Route<'a> {
        /// The current scope's logger, else the logger named by the target.
        pub(crate) logger: &'a Logger,
        /// The current frame's fields.
        pub(crate) fields: Option<&'a FieldSet>,
        /// Whether `logger` is the current scope's.
        pub(crate) scoped: bool,
        /// What the directives allow for the record: its target's (see `Record::verdict`).
        pub(crate) verdict: u8,
    }

    /// Calls `f` with where a record of `target` at `level` goes, if it is to be made: the
    /// current scope when the thread has one, else the logger named by the target in the global
    /// registry, if it lets the level through. Inside a scope, a named directive covering the
    /// target (`ureq=debug`, `hyper=warn`) decides instead of the scope's level, both ways: the
    /// operator's word.
    ///
    /// Outside any scope this is a thread-local look-up and a level check: a `log::debug!`
    /// raised past `log::max_level` by a verbose scope on another thread is rejected without
    /// touching the registry.
    #[inline]
    pub(crate) fn route<R>(
        target: Target<'_>,
        level: Level,
        f: impl FnOnce(Route<'_>) -> R,
    ) -> Option<R> {
        match current_if_enabled(level) {
            Current::None => with_target(target, |logger| {
                logger.enabled(level).then(|| {
                    f(Route {
                        logger,
                        fields: None,
                        scoped: false,
                        verdict: logger.node.verdict(),
                    })
                })
            }),
            scoped => in_scope(target.text, level, scoped, f),
        }
    }

    /// [`route`] inside a scope (kept out of line: the way outside any scope stays short).
    #[inline(never)]
    fn in_scope<R>(
        target: &str,
        level: Level,
        scoped: Current,
        f: impl FnOnce(Route<'_>) -> R,
    ) -> Option<R> {
        let inner = &Registry::global().inner;
        let directive = inner.directive_for(target);
        let (logger, fields) = match (scoped, directive) {
            (_, Some(d)) if !d.allows(level) => return None,
            (Current::Enabled(logger, fields), _) => (logger, fields),
            (Current::Disabled, Some(_)) => {
                let ctx = current_context()?;
                (ctx.logger, ctx.fields)
            }
            _ => return None,
        };
        let verdict = match directive {
            Some(d) => d as u8 | NAMED,
            None => inner.verdict_for(""),
        };
        Some(f(Route {
            logger: &logger,
            fields: fields.as_deref(),
            scoped: true,
            verdict,
        }))
    }

    /// Whether a record of `target` at `level` would be made; see [`route`].
    #[inline]
    pub(crate) fn enabled(target: &str, level: Level) -> bool {
        route(Target::new(target), level, |_| ()).is_some()
    }

    struct Cached {
        target: Box<str>,
        /// The address of the text it was found with, and whether that text is `'static`.
        addr: usize,
        fixed: bool,
        logger: Logger,
    }

    const SLOTS: usize = 16;

    thread_local! {
        /// The loggers of the targets this thread logged to lately, by the target's address.
        static TARGETS: RefCell<[Option<Cached>; SLOTS]> = const { RefCell::new([const { None }; SLOTS]) };
    }

    /// Calls `f` with the global registry's logger for `target` (made if missing, as Python's
    /// `getLogger` would), from this thread's cache when it is there and still live. `f` runs
    /// with the cache borrowed for reading: a handler that logs through a bridge meanwhile
    /// finds it, and only misses are not remembered.
    #[inline]
    fn with_target<R>(target: Target<'_>, f: impl FnOnce(&Logger) -> R) -> R {
        // Targets are mostly `&'static str`s (module paths): the address picks the slot. A
        // `'static` text found at the address a `'static` text was cached with is that text
        // (static memory is never reused); any other is compared.
        let text = target.text;
        let addr = text.as_ptr() as usize;
        let slot = ((addr >> 3) ^ text.len()) % SLOTS;
        let mut f = Some(f);
        let hit = TARGETS.try_with(|cache| {
            let cache = cache.try_borrow().ok()?;
            match &cache[slot] {
                Some(c)
                    if c.addr == addr
                        && c.target.len() == text.len()
                        && ((c.fixed && target.fixed) || &*c.target == text)
                        && c.logger.is_live() =>
                {
                    Some((f.take().expect("called once"))(&c.logger))
                }
                _ => None,
            }
        });
        if let Ok(Some(out)) = hit {
            return out;
        }
        let reg = Registry::global();
        let logger = reg
            .get(text)
            .or_else(|| reg.try_logger(text).ok())
            .unwrap_or_else(|| reg.root());
        let _ = TARGETS.try_with(|cache| {
            if let Ok(mut cache) = cache.try_borrow_mut() {
                cache[slot] = Some(Cached {
                    target: text.into(),
                    addr,
                    fixed: target.fixed,
                    logger: logger.clone(),
                });
            }
        });
        (f.take().expect("not called yet"))(&logger)
    }
}

#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) use route::{Target, enabled, route};
