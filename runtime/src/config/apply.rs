//! Applying a configuration to a registry and re-applying it (a reload): [`Applied`] remembers
//! what a configuration attached and set, so the next one can keep, swap or reset it. Applying
//! must never leave the tree half-changed: every handler is opened before anything is set.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;

use super::Config;
use super::error::ConfigFileError;
use super::schema::HandlerConfig;
use crate::gate::DEFAULT_ROOT_LEVEL;
use crate::handler::handler_trait::{Handler, HandlerId};
use crate::tree::{Logger, Origin, Registry};

impl Config {
    /// `apply`, keeping from `previous` every handler whose name and settings did not change,
    /// and its attachments to the same loggers: those are neither opened again nor attached
    /// twice. What `previous` set and this configuration no longer says is reset (see
    /// [`Applied::reset_unsaid`]).
    pub(super) fn apply_reusing(
        &self,
        registry: &Registry,
        previous: Option<&Applied>,
    ) -> Result<Applied, ConfigFileError> {
        self.check()?;
        let mut built: BTreeMap<String, (HandlerConfig, Arc<dyn Handler>)> = BTreeMap::new();
        let mut reused = BTreeMap::new();
        for (id, h) in &self.handlers {
            // Only a handler the previous configuration still has attached is open: one it
            // defined but attached nowhere was closed when it replaced its own predecessor.
            let same = previous
                .filter(|p| p.attached.iter().any(|a| a.handler_name == *id))
                .and_then(|p| p.handlers.get(id))
                .filter(|(spec, _)| spec == h.get_ref());
            let handler = match same {
                Some((_, handler)) => {
                    reused.insert(id.as_str(), ());
                    handler.clone()
                }
                None => h.get_ref().build().map_err(|msg| {
                    self.error_at(
                        h.span(),
                        format!("handlers.{id}"),
                        format!("cannot open the {} handler: {msg}", h.get_ref().kind()),
                    )
                })?,
            };
            built.insert(id.clone(), (h.get_ref().clone(), handler));
        }
        let mut attached = Vec::new();
        let mut set_levels = Vec::new();
        let mut directives = Vec::new();
        let mut set_propagates = Vec::new();
        for (name, l) in &self.loggers {
            let logger = if name == "root" {
                registry.root()
            } else {
                registry
                    .try_logger(name)
                    .map_err(|e| self.error_at(0..0, format!("loggers.{name}"), e.to_string()))?
            };
            if let Some(level) = &l.level {
                let key = canonical(name);
                if key.is_empty() {
                    logger.set_level(*level.get_ref());
                } else {
                    directives.push((key.clone(), *level.get_ref()));
                }
                set_levels.push(key);
            }
            if let Some(p) = l.propagate {
                logger.set_propagate(p);
                set_propagates.push(canonical(name));
            }
            for h in &l.handlers {
                let handler = h.get_ref().as_str();
                let kept = reused
                    .contains_key(handler)
                    .then(|| {
                        previous?.attached.iter().find(|a| {
                            a.logger_name == *name
                                && a.handler_name == handler
                                && a.logger.is_live()
                        })
                    })
                    .flatten();
                let id = match kept {
                    Some(a) => a.id,
                    None => logger.add_shared_handler(built[handler].1.clone()),
                };
                attached.push(Attachment {
                    logger_name: name.clone(),
                    handler_name: handler.to_owned(),
                    logger: logger.clone(),
                    id,
                });
            }
        }
        // The file's levels are the operator's directives: its whole set replaces the previous
        // file's in one step (a level it no longer says goes with it).
        registry
            .inner
            .shared()
            .replace_directives(Origin::File, directives);
        if let Some(previous) = previous {
            previous.reset_unsaid(&set_levels, &set_propagates);
        }
        Ok(Applied {
            registry: registry.clone(),
            handlers: built,
            attached,
            set_levels,
            set_propagates,
        })
    }
}

/// The name a `[loggers.NAME]` table means, as the tree writes it (`""` for the root), so that
/// `"jobs::db"` in one file and `"jobs.db"` in the next are the same logger.
fn canonical(name: &str) -> String {
    if name == "root" {
        return String::new();
    }
    crate::name::normalize(name).map_or_else(|_| name.to_owned(), |n| n.into_owned())
}

/// The handlers a configuration attached. Dropping it leaves them attached; [`Applied::replace`]
/// swaps them for a new configuration's, [`Applied::detach`] removes them.
#[must_use = "keep it to replace or detach this configuration's handlers later"]
pub struct Applied {
    registry: Registry,
    /// Each handler by name, with the settings it was built from.
    handlers: BTreeMap<String, (HandlerConfig, Arc<dyn Handler>)>,
    attached: Vec<Attachment>,
    /// The loggers (canonical names) whose level this configuration set.
    set_levels: Vec<String>,
    /// Likewise for propagate.
    set_propagates: Vec<String>,
}

impl std::fmt::Debug for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applied")
            .field("handlers", &self.handlers.keys().collect::<Vec<_>>())
            .field("attached", &self.attached)
            .finish()
    }
}

/// One handler attached to one logger by a configuration.
#[derive(Debug)]
struct Attachment {
    logger_name: String,
    handler_name: String,
    logger: Logger,
    id: HandlerId,
}

impl Applied {
    /// Applies `config` and then detaches (flushing and closing) this one's handlers. If the new
    /// one fails to open, nothing changes and the error is returned.
    ///
    /// A handler whose name and settings did not change is kept as it is, attached where it
    /// still is: it is not opened again, and its records are neither lost nor written twice.
    /// Changed or new handlers are attached before the old ones are detached, so no record is
    /// lost in the swap; one logged during it may reach both the old and the new handler.
    ///
    /// The levels of a configuration are the operator's directives: they override levels set
    /// in code (live scopes included) for the logger and everything below it, and `config`'s
    /// levels replace this one's as a whole, in one step. A level that `config` no longer says
    /// goes (the logger gets its level from code again; the root goes back to `warn`), and so
    /// does a propagate flag (it propagates again; a live scope's own flag wins until it ends).
    pub fn replace(self, config: &Config) -> Result<Applied, (Applied, ConfigFileError)> {
        match config.apply_reusing(&self.registry, Some(&self)) {
            Ok(new) => {
                // What the new configuration kept stays attached.
                for a in self.attached {
                    if !new.attached.iter().any(|n| n.id == a.id) {
                        a.logger.remove_handler(a.id);
                    }
                }
                Ok(new)
            }
            Err(e) => Err((self, e)),
        }
    }

    /// Gives back what this configuration set and the next one (which set `levels` and
    /// `propagates`) no longer says: such a logger's configured level is cleared (it inherits
    /// again; the root goes back to [`DEFAULT_ROOT_LEVEL`](crate::registry::DEFAULT_ROOT_LEVEL)) and its
    /// propagate flag is `true` again. These are configured values, so a live scope with a level
    /// or a propagate flag of its own keeps it until it ends, as it does for any other change.
    fn reset_unsaid(&self, levels: &[String], propagates: &[String]) {
        let logger = |name: &str| {
            if name.is_empty() {
                Some(self.registry.root())
            } else {
                self.registry.get(name)
            }
        };
        // Only the root's: the other levels were directives, replaced as a set by the new file.
        if self.set_levels.iter().any(|n| n.is_empty()) && !levels.iter().any(|n| n.is_empty()) {
            self.registry.root().set_level(DEFAULT_ROOT_LEVEL);
        }
        for name in self
            .set_propagates
            .iter()
            .filter(|n| !propagates.contains(n))
        {
            if let Some(l) = logger(name) {
                l.set_propagate(true);
            }
        }
    }

    /// Removes every handler this configuration attached (each closed when its last holder goes).
    pub fn detach(self) {
        for a in self.attached {
            a.logger.remove_handler(a.id);
        }
    }
}

static FROM_FILE: Mutex<Option<Applied>> = parking_lot::const_mutex(None);

/// Reads `path` and applies it to the global registry. Called again (say on SIGHUP), it reloads:
/// the new handlers are attached before the previous file's are detached, flushed and closed, so
/// no record is lost; handlers whose settings did not change are kept as they are (see
/// [`Applied::replace`]). If the new file is invalid, the previous configuration stays.
///
/// To reload when the file changes, without a signal, use [`watch`](super::watch), which shares
/// this function's previous configuration: the two can be used together.
pub fn init_from_file(path: impl AsRef<Path>) -> Result<(), ConfigFileError> {
    apply_global(&Config::from_file(path)?)
}

/// Applies `config` to the global registry in place of the one applied before by
/// [`init_from_file`] or a global [`watch`](super::watch), if any; on error that one stays.
pub(super) fn apply_global(config: &Config) -> Result<(), ConfigFileError> {
    let mut slot = FROM_FILE.lock();
    let applied = match slot.take() {
        Some(previous) => match previous.replace(config) {
            Ok(new) => new,
            Err((previous, e)) => {
                *slot = Some(previous);
                return Err(e);
            }
        },
        None => config.apply(Registry::global())?,
    };
    *slot = Some(applied);
    Ok(())
}
