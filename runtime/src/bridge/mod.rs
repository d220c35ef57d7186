//! Bridges from the other logging facades: records made with `log` or `tracing` macros (by the
//! libraries a program depends on) enter the tree here.
//!
//! Both route the same way: to the current scope when the calling thread has one (so a
//! library's records inside a task land in that task's handlers, with the library's target kept
//! as the `target` key-value), else to the logger named by the record's target (`::` becomes `.`).

#[cfg(feature = "log")]
pub mod log;
#[cfg(feature = "tracing")]
pub mod tracing;

/// Where a record from another facade goes, and what it carries.
#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) struct Route {
    /// The current scope's logger, else the logger named by the target.
    pub(crate) logger: crate::Logger,
    /// The current frame's fields.
    pub(crate) fields: Option<std::sync::Arc<crate::fields::FieldSet>>,
    /// Whether `logger` is the current scope.
    pub(crate) scoped: bool,
}

/// Where a record from another facade goes: the current scope, else the logger named by its
/// target in the global registry.
#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) fn route(target: &str) -> Route {
    if let Some(frame) = crate::tree::current_context() {
        return Route {
            logger: frame.logger,
            fields: frame.fields,
            scoped: true,
        };
    }
    let reg = crate::Registry::global();
    let logger = reg
        .get(target)
        .or_else(|| reg.try_logger(target).ok())
        .unwrap_or_else(|| reg.root());
    Route {
        logger,
        fields: None,
        scoped: false,
    }
}
