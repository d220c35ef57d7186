//! Opening the handler a [`HandlerConfig`] describes. Only called while a configuration is
//! applied, before the tree changes: it must never attach anything itself.

use std::sync::Arc;

use super::schema::{FileMode, FormatKind, HandlerConfig, RotateKind};
use crate::format::{Format, JsonFormat, TextFormat};
use crate::handler::handler_trait::{Handler, HandlerExt, NullHandler};
use crate::handler::stderr::StderrHandler;
use crate::handler::stream::StreamHandler;
use crate::level::LevelFilter;

impl FormatKind {
    fn make(&self) -> Box<dyn Format> {
        match self {
            FormatKind::Text => Box::new(TextFormat),
            FormatKind::Json => Box::new(JsonFormat),
            FormatKind::Pattern(p) => Box::new(p.clone()),
        }
    }
}

impl HandlerConfig {
    pub(super) fn build(&self) -> Result<Arc<dyn Handler>, String> {
        fn leveled<H: Handler + 'static>(h: H, level: &Option<LevelFilter>) -> Arc<dyn Handler> {
            match level {
                Some(l) => Arc::new(h.with_level(*l)),
                None => Arc::new(h),
            }
        }
        Ok(match self {
            HandlerConfig::Stderr {
                level,
                format,
                style,
            } => leveled(
                StderrHandler::new().format(format.make()).style(*style),
                level,
            ),
            HandlerConfig::File {
                path,
                mode,
                level,
                format,
            } => leveled(
                {
                    let mut options = crate::handler::file::FileHandler::options();
                    if let Some(FileMode(m)) = mode {
                        options = options.mode(*m);
                    }
                    options.open(path).map_err(|e| e.to_string())?
                }
                .format(format.make()),
                level,
            ),
            HandlerConfig::RotatingFile {
                path,
                max_bytes,
                backups,
                rotate,
                mode,
                local_time,
                max_age,
                compress,
                level,
                format,
            } => {
                let mut b = crate::handler::file::RotatingFileHandler::builder(path)
                    .backups(*backups)
                    .rotate_every(match rotate {
                        RotateKind::Never => crate::handler::Rotation::Never,
                        RotateKind::Hourly => crate::handler::Rotation::Hourly,
                        RotateKind::Daily => crate::handler::Rotation::Daily,
                        RotateKind::Weekly => crate::handler::Rotation::Weekly,
                    })
                    .local_time(*local_time)
                    .format(format.make());
                #[cfg(feature = "compress")]
                {
                    b = b.compress(*compress);
                }
                #[cfg(not(feature = "compress"))]
                if *compress {
                    return Err("`compress = true` needs the crate feature `compress`".into());
                }
                if let Some(m) = max_bytes {
                    b = b.max_bytes(*m);
                }
                if let Some(FileMode(m)) = mode {
                    b = b.mode(*m);
                }
                if let Some(age) = max_age {
                    b = b.max_age(*age);
                }
                leveled(b.open().map_err(|e| e.to_string())?, level)
            }
            #[cfg(feature = "sqlite")]
            HandlerConfig::Sqlite { path, level } => leveled(
                crate::handler::sqlite::SqliteHandler::open(path).map_err(|e| e.to_string())?,
                level,
            ),
            #[cfg(not(feature = "sqlite"))]
            HandlerConfig::Sqlite { .. } => {
                return Err("the `sqlite` handler needs the crate feature `sqlite`".into());
            }
            HandlerConfig::Stream { level, format } => leveled(
                StreamHandler::new(std::io::stdout()).format(format.make()),
                level,
            ),
            HandlerConfig::Null => Arc::new(NullHandler),
            #[cfg(feature = "syslog")]
            HandlerConfig::Syslog {
                address,
                facility,
                app_name,
                level,
            } => leveled(syslog(address, facility, app_name)?, level),
            #[cfg(not(feature = "syslog"))]
            HandlerConfig::Syslog { .. } => {
                return Err("the `syslog` handler needs the crate feature `syslog`".into());
            }
            #[cfg(feature = "otlp")]
            HandlerConfig::Otlp {
                protocol,
                endpoint,
                service_name,
                level,
            } => leveled(otlp(protocol, endpoint, service_name)?, level),
            #[cfg(not(feature = "otlp"))]
            HandlerConfig::Otlp { .. } => {
                return Err("the `otlp` handler needs the crate feature `otlp`".into());
            }
            #[cfg(all(feature = "journald", target_os = "linux"))]
            HandlerConfig::Journald { identifier, level } => {
                let mut builder = crate::handler::journald::JournaldHandler::builder();
                if let Some(id) = identifier {
                    builder = builder.identifier(id.as_str());
                }
                leveled(builder.open().map_err(|e| e.to_string())?, level)
            }
            #[cfg(not(all(feature = "journald", target_os = "linux")))]
            HandlerConfig::Journald { .. } => {
                return Err(
                    "the `journald` handler needs the crate feature `journald`, on Linux".into(),
                );
            }
        })
    }
}

/// Opens the `syslog` handler a configuration describes.
#[cfg(feature = "syslog")]
fn syslog(
    address: &Option<String>,
    facility: &Option<String>,
    app_name: &Option<String>,
) -> Result<crate::handler::syslog::SyslogHandler, String> {
    use crate::handler::syslog::SyslogHandler;
    let (mut builder, address) = match address.as_deref() {
        None => (SyslogHandler::local(), "the local syslog socket"),
        Some(a) => {
            let builder = if let Some(addr) = a.strip_prefix("udp://") {
                SyslogHandler::udp(addr)
            } else if let Some(addr) = a.strip_prefix("tcp://") {
                SyslogHandler::tcp(addr)
            } else if let Some(path) = a.strip_prefix("unix://") {
                SyslogHandler::unix(path)
            } else if a.starts_with('/') {
                SyslogHandler::unix(a)
            } else {
                return Err(format!(
                    "address `{a}` is none of `udp://host:port`, `tcp://host:port` or a socket path"
                ));
            };
            (builder, a)
        }
    };
    if let Some(f) = facility {
        builder = builder.facility(f.parse().map_err(|e| format!("{e}"))?);
    }
    if let Some(name) = app_name {
        builder = builder.app_name(name.as_str());
    }
    builder.open().map_err(|e| format!("{address}: {e}"))
}

/// Opens the `otlp` handler a configuration describes: the `OTEL_*` variables, then what the
/// file sets.
#[cfg(feature = "otlp")]
fn otlp(
    protocol: &Option<String>,
    endpoint: &Option<String>,
    service_name: &Option<String>,
) -> Result<crate::handler::otlp::OtlpHandler, String> {
    let mut builder = crate::handler::otlp::OtlpBuilder::from_env().map_err(|e| e.to_string())?;
    if let Some(p) = protocol {
        builder = builder.protocol(p.parse().map_err(|e: std::io::Error| e.to_string())?);
    }
    if let Some(url) = endpoint {
        builder = builder.endpoint(url.as_str());
    }
    if let Some(name) = service_name {
        builder = builder.service_name(name.as_str());
    }
    builder.open().map_err(|e| e.to_string())
}
