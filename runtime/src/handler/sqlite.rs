//! [`SqliteHandler`]: records as rows of an SQLite table (the schema and the sharing rules are
//! documented on the type, where users read them).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::format::display_name;
use crate::handler::Handler;
use crate::handler::queue::{DropCause, QueueOptions, Setup, Sink, Worker};
use crate::kv::{OwnedValue, Value};
use crate::level::Level;
use crate::record::{OwnedRecord, Record};

/// The default table name ([`SqliteBuilder::table`]).
const DEFAULT_TABLE: &str = "logs";
/// The default busy timeout ([`SqliteBuilder::busy_timeout`]): how long a write waits for another
/// connection's lock.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opening an SQLite log database failed: says which path and what step.
#[derive(Debug)]
#[cfg(feature = "sqlite")] // as the module is: on the item, the facade's docs show the badge
pub struct SqliteError {
    path: PathBuf,
    doing: &'static str,
    source: Box<dyn std::error::Error + Send + Sync>,
    kind: io::ErrorKind,
}

impl SqliteError {
    fn new(
        path: &Path,
        doing: &'static str,
        kind: io::ErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        SqliteError {
            path: path.to_path_buf(),
            doing,
            source: source.into(),
            kind,
        }
    }

    fn sqlite(path: &Path, doing: &'static str, err: rusqlite::Error) -> Self {
        let kind = match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                io::ErrorKind::WouldBlock
            }
            Some(rusqlite::ErrorCode::PermissionDenied | rusqlite::ErrorCode::ReadOnly) => {
                io::ErrorKind::PermissionDenied
            }
            Some(rusqlite::ErrorCode::CannotOpen) => io::ErrorKind::NotFound,
            _ => io::ErrorKind::Other,
        };
        SqliteError::new(path, doing, kind, err)
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The closest `io::ErrorKind` (e.g. `NotFound` for a missing folder).
    pub fn kind(&self) -> io::ErrorKind {
        self.kind
    }
}

impl fmt::Display for SqliteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SQLite log database {}: {} failed: {}",
            self.path.display(),
            self.doing,
            self.source
        )
    }
}

impl std::error::Error for SqliteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

impl From<SqliteError> for io::Error {
    fn from(e: SqliteError) -> io::Error {
        io::Error::new(e.kind, e)
    }
}

/// Builder for a [`SqliteHandler`]; see [`SqliteHandler::builder`].
#[derive(Debug, Clone)]
#[cfg(feature = "sqlite")] // as the module is: on the item, the facade's docs show the badge
pub struct SqliteBuilder {
    path: PathBuf,
    table: String,
    busy_timeout: Duration,
    queue: QueueOptions,
}

impl SqliteBuilder {
    /// Writes into the table `name` instead of `logs`: letters, digits and `_`, not starting
    /// with a digit (checked by [`open`](Self::open)).
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = name.into();
        self
    }

    /// How long a write waits for another connection's lock before it fails (default 5 s).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The queue's settings: records and bytes held, what a log call does when it is full (by
    /// default, waits while the database takes batches and drops once it has taken none for a
    /// stall window), and how long `flush()` and `close()` wait for the writer (1 s; a close that
    /// times out leaves the writer to finish in the background, unless the process exits
    /// first). See [`QueueOptions`].
    pub fn queue(mut self, queue: QueueOptions) -> Self {
        self.queue = queue;
        self
    }

    /// Opens (creating when missing) the database and the table, and starts the writer thread.
    pub fn open(self) -> Result<SqliteHandler, SqliteError> {
        let path = self.path;
        if !valid_table_name(&self.table) {
            return Err(SqliteError::new(
                &path,
                "checking the table name",
                io::ErrorKind::InvalidInput,
                format!(
                    "`{}` is not a valid table name (use letters, digits and `_`, not starting with a digit)",
                    self.table
                ),
            ));
        }
        let conn = open_connection(&path, &self.table, self.busy_timeout)?;
        let sink = SqliteSink::new(conn, &path, &self.table, self.busy_timeout);
        let lost = sink.lost_total.clone();
        let mut setup = Setup::new("scoped-logger-sqlite", self.queue);
        setup.description = Some(format!("SQLite handler {}", path.display()));
        let worker = Worker::start(sink, setup)
            .map_err(|e| SqliteError::new(&path, "starting the writer thread", e.kind(), e))?;
        Ok(SqliteHandler { worker, path, lost })
    }
}

/// Records as rows of an SQLite table, written by a background thread that owns
/// the connection, in one transaction per batch. The caller never waits on the database: records
/// go through a bounded queue, and when it is full they are dropped and counted (by default).
///
/// # Schema
///
/// The table (named `logs` unless [`SqliteBuilder::table`] says otherwise) is created when missing:
///
/// ```sql
/// CREATE TABLE IF NOT EXISTS logs (
///     id      INTEGER PRIMARY KEY,
///     time    TEXT NOT NULL,  -- RFC 3339, UTC, milliseconds: 2026-11-24T19:03:58.123Z
///     level   TEXT NOT NULL,  -- ERROR, WARN, INFO, DEBUG or TRACE
///     logger  TEXT NOT NULL,  -- the logger's dotted name; the root is "root"
///     message TEXT NOT NULL,
///     kv      TEXT,           -- the key-values as a JSON object; NULL when there are none
///     thread  TEXT,           -- the logging thread's name, or its id (`7`) when it has none
///     module  TEXT,           -- module path of the call site, when known
///     file    TEXT,           -- source file of the call site, when known
///     line    INTEGER         -- line of the call site, when known
/// )
/// ```
///
/// Rows come back in logging order with:
///
/// ```sql
/// SELECT time, level, logger, message, kv, thread, module, file, line FROM logs ORDER BY id
/// ```
///
/// and key-values with SQLite's JSON functions, e.g.
/// `SELECT message FROM logs WHERE json_extract(kv, '$.job') = 42`.
///
/// # Sharing a database
///
/// The database is put in WAL mode (`journal_mode=WAL`, `synchronous=NORMAL`: a power cut may
/// lose the last transactions, never corrupt the file) and every connection waits up to a busy
/// timeout (default 5 s) for another writer, so several handlers, in one process (per-task
/// handlers on a shared file) or in several, can write the same file. When records are dropped
/// because the database did not keep up, a `WARN` row of the logger `scoped_logger` says how many.
///
/// A batch the database refuses (still locked after the busy timeout, disk full) is rolled back
/// whole: none of it is written twice. Its records are counted as lost in
/// [`SqliteHandler::dropped`], the error is reported once, and the next batch that goes in
/// starts with a `WARN` row saying how many were lost.
///
/// # Deleted, replaced, linked
///
/// On Unix, a database deleted while open (`rm logs.db*`) or moved away would take every later
/// record with it into a file nobody can see. Before a batch (once per batch under load, and
/// again after an idle spell) and after each commit, the handler compares the file its path
/// names (device and inode) with the one it opened. When they differ it closes the old
/// connection (without checkpointing, so that the `-wal` and `-shm` files now at the path are
/// left alone), creates the database and the table again at the path, and says so once through
/// the error reporter and in a `WARN` row of the new file (`lost` = records at risk). A batch
/// committed between the last check and the deletion may have gone with the old file: it is
/// counted in [`SqliteHandler::dropped`], and [`Handler::close_by`] then returns `false` (as it
/// does after a refused batch).
///
/// [`SqliteHandler::open`] refuses a path that is a symbolic link, with an error naming it:
/// a link planted in a shared folder would otherwise have the handler create or fill a file
/// of the planter's choosing (SQLite's `SQLITE_OPEN_NOFOLLOW`).
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// use scoped_logger::{Registry, Level, SqliteHandler};
/// let path = dir.path().join("logs.db");
/// let reg = Registry::new();
/// reg.root().add_handler(SqliteHandler::open(&path)?);
/// reg.root().log(Level::Warn, format_args!("low disk"));
/// reg.shutdown(std::time::Duration::from_secs(5)); // commits and closes the connection
///
/// let db = rusqlite::Connection::open(&path).unwrap();
/// let message: String = db
///     .query_row("SELECT message FROM logs WHERE level = 'WARN'", [], |r| r.get(0))
///     .unwrap();
/// assert_eq!(message, "low disk");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "sqlite")] // as the module is: on the item, the facade's docs show the badge
pub struct SqliteHandler {
    worker: Worker<SqliteSink>,
    path: PathBuf,
    /// Records lost after the queue took them (the sink's share of `dropped`).
    lost: Arc<AtomicU64>,
}

impl fmt::Debug for SqliteHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteHandler")
            .field("path", &self.path)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl SqliteHandler {
    /// Opens `path` with the defaults: table `logs`, 5 s busy timeout, a dropping queue.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteHandler, SqliteError> {
        Self::builder(path).open()
    }

    /// Starts configuring a handler on `path`.
    pub fn builder(path: impl AsRef<Path>) -> SqliteBuilder {
        SqliteBuilder {
            path: path.as_ref().to_path_buf(),
            table: DEFAULT_TABLE.to_owned(),
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            queue: QueueOptions::default(),
        }
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many records were lost: dropped because the queue was full, in a batch the
    /// database refused, or committed into a database file deleted under the handler (see the
    /// type's docs).
    pub fn dropped(&self) -> u64 {
        // The queue counts both: its own refusals and the batches the sink lost.
        self.worker.dropped()
    }
}

impl Handler for SqliteHandler {
    fn dropped(&self) -> u64 {
        Self::dropped(self)
    }

    fn handle(&self, record: &Record<'_>) {
        if self.worker.would_drop() {
            // Full, and the policy would not wait: do not copy a record only to throw it away.
            self.worker.count_dropped();
            return;
        }
        let row = to_row(record);
        let bytes = row_bytes(&row);
        self.worker.send(row, bytes);
    }

    fn flush(&self) {
        self.worker.flush_by(self.worker.default_deadline());
    }

    fn flush_by(&self, deadline: Instant) -> bool {
        self.worker.flush_by(deadline)
    }

    fn close(&self) {
        self.close_by(self.worker.default_deadline());
    }

    fn target(&self) -> Option<String> {
        Some(self.path.display().to_string())
    }

    fn close_by(&self, deadline: Instant) -> bool {
        let done = self.worker.close_by(deadline);
        if !done {
            // The writer goes on in the background and closes the connection when it is done;
            // what it still holds is lost only if the process exits first.
            self.worker.errors().report(
                "closing",
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} records were still being written at the close deadline",
                        self.worker.queued()
                    ),
                ),
            );
        }
        self.worker.errors().summarize();
        // Records the database lost (refused batches, a deleted file) were left unwritten too.
        done && self.lost.load(Ordering::Relaxed) == 0
    }

    fn take_error(&self) -> Option<io::Error> {
        self.worker.take_error()
    }
}

/// An owned copy of `record`, made on the caller's thread. Unlike [`Record::to_owned`], a
/// `Display` impl that fails does not panic: the text written so far is kept, with a marker.
fn to_row(record: &Record<'_>) -> OwnedRecord {
    OwnedRecord {
        level: record.level(),
        logger: record.logger().to_owned(),
        message: lossy_string(*record.args()),
        key_values: record
            .key_values()
            .map(|(k, v)| {
                let v = match v {
                    Value::Display(_) | Value::Debug(_) => {
                        OwnedValue::Str(lossy_string(format_args!("{v}")))
                    }
                    other => other.to_owned_value(),
                };
                ((*k).to_owned(), v)
            })
            .collect(),
        time: record.time(),
        // A pool's workers are usually unnamed: an empty column could not tell their rows
        // apart. The id is the one the text formats' `{thread}` writes for such a thread, so a
        // row and a stderr line of one record agree; made here, on the logging thread.
        thread_name: Some(
            record
                .thread_name()
                .map_or_else(unnamed_thread_id, str::to_owned),
        ),
        module_path: record.module_path().map(str::to_owned),
        file: record.file().map(str::to_owned),
        line: record.line(),
        replayed: record.is_replayed(),
    }
}

/// The calling thread's id as a number (`ThreadId` has no stable accessor for it: its `Debug`
/// form is `ThreadId(7)`).
fn unnamed_thread_id() -> String {
    let debug = format!("{:?}", std::thread::current().id());
    debug.chars().filter(char::is_ascii_digit).collect()
}

fn lossy_string(args: fmt::Arguments<'_>) -> String {
    let mut out = String::new();
    if fmt::write(&mut out, args).is_err() {
        out.push_str("<formatting failed>");
    }
    out
}

/// What a queued record costs, for the queue's byte limit.
fn row_bytes(row: &OwnedRecord) -> usize {
    let strings = [
        Some(&row.logger),
        Some(&row.message),
        row.thread_name.as_ref(),
        row.module_path.as_ref(),
        row.file.as_ref(),
    ];
    let kv: usize = row
        .key_values
        .iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    OwnedValue::Str(s) => s.len(),
                    _ => 8,
                }
        })
        .sum();
    std::mem::size_of::<OwnedRecord>()
        + strings.iter().flatten().map(|s| s.len()).sum::<usize>()
        + kv
}

fn valid_table_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The `CREATE TABLE` statement of the documented schema.
fn create_table_sql(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (
    id      INTEGER PRIMARY KEY,
    time    TEXT NOT NULL,
    level   TEXT NOT NULL,
    logger  TEXT NOT NULL,
    message TEXT NOT NULL,
    kv      TEXT,
    thread  TEXT,
    module  TEXT,
    file    TEXT,
    line    INTEGER
)"
    )
}

fn open_connection(
    path: &Path,
    table: &str,
    busy_timeout: Duration,
) -> Result<Connection, SqliteError> {
    // SQLite says only "unable to open database file": name the missing folder ourselves.
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        return Err(SqliteError::new(
            path,
            "opening",
            io::ErrorKind::NotFound,
            format!("the folder {} does not exist", parent.display()),
        ));
    }
    // A link planted where the database goes (say in a shared folder) would have the handler
    // create or write another file, wherever the link points: refuse it. The check gives the
    // clear error; SQLite's no-follow flag closes the gap between the check and the open.
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(symlink_refused(path));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| {
        if e.extended_code() == Some(SQLITE_CANTOPEN_SYMLINK) {
            symlink_refused(path)
        } else {
            SqliteError::sqlite(path, "opening", e)
        }
    })?;
    conn.busy_timeout(busy_timeout)
        .map_err(|e| SqliteError::sqlite(path, "setting the busy timeout", e))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|e| SqliteError::sqlite(path, "switching to WAL mode", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(SqliteError::new(
            path,
            "switching to WAL mode",
            io::ErrorKind::Unsupported,
            format!("the database stayed in `{mode}` journal mode"),
        ));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| SqliteError::sqlite(path, "setting synchronous=NORMAL", e))?;
    conn.execute_batch(&create_table_sql(table))
        .map_err(|e| SqliteError::sqlite(path, "creating the table", e))?;
    Ok(conn)
}

/// SQLite's extended result code for a path refused under `SQLITE_OPEN_NOFOLLOW`.
const SQLITE_CANTOPEN_SYMLINK: i32 = 14 | (6 << 8);

trait ExtendedCode {
    fn extended_code(&self) -> Option<i32>;
}

impl ExtendedCode for rusqlite::Error {
    fn extended_code(&self) -> Option<i32> {
        match self {
            rusqlite::Error::SqliteFailure(e, _) => Some(e.extended_code),
            _ => None,
        }
    }
}

fn symlink_refused(path: &Path) -> SqliteError {
    SqliteError::new(
        path,
        "opening",
        io::ErrorKind::PermissionDenied,
        format!(
            "refusing {}: it is a symbolic link (another user may have planted it); \
             give the path of the database itself",
            path.display()
        ),
    )
}

/// Which file a path names (device and inode), to tell when the database was deleted or
/// replaced under the handler. Unix only: elsewhere a file in use cannot be deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity(u64, u64);

impl Identity {
    /// The file at `path` now (a link is not followed: a link is not our database).
    #[cfg(unix)]
    fn of(path: &Path) -> Option<Identity> {
        use std::os::unix::fs::MetadataExt;
        path.symlink_metadata()
            .ok()
            .map(|m| Identity(m.dev(), m.ino()))
    }

    #[cfg(not(unix))]
    fn of(_path: &Path) -> Option<Identity> {
        None
    }
}

/// A check of the path made this recently stands for the check before the next batch: under
/// load, batches follow each other and the path is looked at once per batch.
const RECHECK_AFTER: Duration = Duration::from_millis(10);

/// The writer thread's side: the connection and the insert statement.
struct SqliteSink {
    path: PathBuf,
    table: String,
    busy_timeout: Duration,
    /// The file the connection has open, as its path named it when opened.
    identity: Option<Identity>,
    /// When the path last named that file.
    checked: Instant,
    /// Every record lost after the queue took it (refused batches, batches that went into a
    /// deleted file), for `close_by`'s answer.
    lost_total: Arc<AtomicU64>,
    /// Records that may have gone into the deleted or replaced file, to be told in the new one.
    untold_replaced: Option<u64>,
    conn: Option<Connection>,
    /// Records in batches the database refused, not yet counted by the queue.
    lost: u64,
    /// Refused records, and queue drops whose report row was refused, not yet told in a row.
    untold_refused: u64,
    untold_dropped: u64,
    insert: String,
    /// Scratch buffers reused across rows.
    time: String,
    kv: Vec<u8>,
}

impl SqliteSink {
    fn new(conn: Connection, path: &Path, table: &str, busy_timeout: Duration) -> Self {
        SqliteSink {
            path: path.to_path_buf(),
            table: table.to_owned(),
            busy_timeout,
            identity: Identity::of(path),
            checked: Instant::now(),
            lost_total: Arc::new(AtomicU64::new(0)),
            untold_replaced: None,
            conn: Some(conn),
            lost: 0,
            untold_refused: 0,
            untold_dropped: 0,
            insert: format!(
                "INSERT INTO {table} (time, level, logger, message, kv, thread, module, file, line) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ),
            time: String::new(),
            kv: Vec::new(),
        }
    }

    /// Counts records lost after the queue took them.
    fn lose(&mut self, n: u64) {
        self.lost += n;
        self.lost_total.fetch_add(n, Ordering::Relaxed);
    }

    /// Whether the path still names the file the connection has open. On Unix a database
    /// deleted (`rm logs.db*`) or moved away while open takes every later record with it;
    /// this is what tells.
    fn still_there(&mut self) -> bool {
        let Some(identity) = self.identity else {
            return true;
        };
        let now = Identity::of(&self.path) == Some(identity);
        if now {
            self.checked = Instant::now();
        }
        now
    }

    /// The database was deleted or replaced under us: closes the connection to the old file and
    /// makes the database again at the path. `at_risk` records went into the old file after the
    /// last check found it in place: they may be lost, and are counted. Returns the report for
    /// the error reporter (once per handler, counted after that).
    fn recreate(&mut self, at_risk: u64) -> io::Error {
        if let Some(old) = self.conn.take() {
            // Closing would checkpoint and then delete `<path>-wal` and `-shm` by name, which
            // may now be another database's.
            let _ = old.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            );
            let _ = old.close();
        }
        if at_risk > 0 {
            self.lose(at_risk);
        }
        *self.untold_replaced.get_or_insert(0) += at_risk;
        let what = format!(
            "the database {} was deleted or replaced while open",
            self.path.display()
        );
        match open_connection(&self.path, &self.table, self.busy_timeout) {
            Ok(conn) => {
                self.conn = Some(conn);
                self.identity = Identity::of(&self.path);
                self.checked = Instant::now();
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{what}: created it again ({at_risk} records may have gone with it)"),
                )
            }
            Err(e) => {
                // Tried again before the next batch: the identity no longer matches anything.
                self.identity = Some(Identity(u64::MAX, u64::MAX));
                io::Error::new(
                    e.kind(),
                    format!("{what}, and creating it again failed: {e}"),
                )
            }
        }
    }

    fn conn(&mut self) -> io::Result<&mut Connection> {
        self.conn
            .as_mut()
            .ok_or_else(|| io::Error::other("the database connection was already closed"))
    }

    /// Inserts `rows` in one transaction.
    fn insert_rows<'r>(
        &mut self,
        rows: impl IntoIterator<Item = &'r OwnedRecord>,
    ) -> io::Result<()> {
        let insert = std::mem::take(&mut self.insert);
        let mut time = std::mem::take(&mut self.time);
        let mut kv = std::mem::take(&mut self.kv);
        let result = (|| {
            let conn = self.conn()?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_err("starting a transaction"))?;
            {
                let mut stmt = tx
                    .prepare_cached(&insert)
                    .map_err(sql_err("preparing the insert"))?;
                for row in rows {
                    let mut stamp = Vec::with_capacity(24);
                    crate::format::write_time(row.time, &mut stamp);
                    time.clear();
                    time.push_str(std::str::from_utf8(&stamp).unwrap_or_default());
                    let kv_text = if row.key_values.is_empty() {
                        None
                    } else {
                        kv.clear();
                        serde_json::to_writer(&mut kv, &Kvs(&row.key_values))
                            .map_err(io::Error::other)?;
                        // serde_json writes valid UTF-8.
                        Some(String::from_utf8_lossy(&kv))
                    };
                    stmt.execute(params![
                        time,
                        row.level.as_str(),
                        display_name(&row.logger),
                        row.message,
                        kv_text,
                        row.thread_name,
                        row.module_path,
                        row.file,
                        row.line,
                    ])
                    .map_err(sql_err("inserting a row"))?;
                }
            }
            tx.commit().map_err(sql_err("committing"))
        })();
        self.insert = insert;
        self.time = time;
        self.kv = kv;
        result
    }
}

fn sql_err(doing: &'static str) -> impl Fn(rusqlite::Error) -> io::Error {
    move |e| {
        let kind = match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                io::ErrorKind::WouldBlock
            }
            Some(rusqlite::ErrorCode::DiskFull) => io::ErrorKind::StorageFull,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, format!("{doing}: {e}"))
    }
}

impl Sink for SqliteSink {
    type Item = OwnedRecord;

    fn write_batch(&mut self, batch: &mut Vec<OwnedRecord>) -> io::Result<()> {
        // Deleted or replaced while idle: nothing went into the old file since the last check.
        let mut replaced = None;
        if self.checked.elapsed() >= RECHECK_AFTER && !self.still_there() {
            replaced = Some(self.recreate(0));
        }
        // What earlier refusals lost is told first, in the same transaction as this batch.
        let told: Vec<OwnedRecord> = [
            self.untold_replaced.map(replaced_row),
            (self.untold_dropped > 0).then(|| dropped_row(self.untold_dropped)),
            (self.untold_refused > 0).then(|| refused_row(self.untold_refused)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let result = self.insert_rows(told.iter().chain(batch.iter()));
        if result.is_ok() {
            self.untold_replaced = None;
            self.untold_dropped = 0;
            self.untold_refused = 0;
            // Deleted between the check and the commit: this batch may be in the old file.
            if !self.still_there() {
                replaced = Some(self.recreate(batch.len() as u64));
            }
        } else {
            // Rolled back whole: none of it was written, all of it is counted.
            let n = batch.len() as u64;
            self.lose(n);
            self.untold_refused += n;
        }
        batch.clear();
        // Said once through the error reporter (the worker's), and in a row of the new file.
        match replaced {
            Some(report) => Err(report),
            None => result,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        // Every batch is committed as it is written: nothing is left buffered.
        Ok(())
    }

    fn report_dropped(&mut self, count: u64, _cause: DropCause) -> io::Result<()> {
        let row = dropped_row(count);
        let result = self.insert_rows(std::iter::once(&row));
        if result.is_err() {
            // Already counted by the queue; the row is told with the next batch that goes in.
            self.untold_dropped += count;
        }
        result
    }

    fn close(&mut self) -> io::Result<()> {
        match self.conn.take() {
            Some(conn) => conn.close().map_err(|(_, e)| sql_err("closing")(e)),
            None => Ok(()),
        }
    }

    fn take_lost(&mut self) -> u64 {
        std::mem::take(&mut self.lost)
    }
}

fn dropped_row(count: u64) -> OwnedRecord {
    OwnedRecord {
        level: Level::Warn,
        logger: crate::handler::last_resort::OWN_LOGGER.to_owned(),
        message: format!("{count} records dropped while the database was not keeping up"),
        key_values: Vec::new(),
        time: SystemTime::now(),
        thread_name: crate::thread::with_name(|t| t.map(str::to_owned)),
        module_path: None,
        file: None,
        line: None,
        replayed: false,
    }
}

fn replaced_row(at_risk: u64) -> OwnedRecord {
    OwnedRecord {
        message: format!(
            "the database file was deleted or replaced while open: created it again \
             ({at_risk} records written just before may have gone with the old file)"
        ),
        key_values: vec![("lost".to_owned(), OwnedValue::U64(at_risk))],
        ..dropped_row(at_risk)
    }
}

fn refused_row(count: u64) -> OwnedRecord {
    OwnedRecord {
        message: format!("{count} records lost: the database refused the batches they were in"),
        ..dropped_row(count)
    }
}

struct Kvs<'r>(&'r [(String, OwnedValue)]);
struct Val<'r>(&'r OwnedValue);

impl Serialize for Val<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            OwnedValue::Str(v) => s.serialize_str(v),
            OwnedValue::I64(v) => s.serialize_i64(*v),
            OwnedValue::U64(v) => s.serialize_u64(*v),
            OwnedValue::F64(v) if v.is_finite() => s.serialize_f64(*v),
            OwnedValue::Bool(v) => s.serialize_bool(*v),
            OwnedValue::Null => s.serialize_unit(),
            // NaN and infinities are not JSON numbers.
            other => s.collect_str(other),
        }
    }
}

impl Serialize for Kvs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, &Val(v))?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names() {
        assert!(valid_table_name("logs"));
        assert!(valid_table_name("_app_logs2"));
        assert!(!valid_table_name(""));
        assert!(!valid_table_name("2logs"));
        assert!(!valid_table_name("logs; DROP TABLE x"));
        assert!(!valid_table_name("lögs"));
    }

    #[test]
    fn sink_inserts_a_batch_and_the_dropped_report() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = open_connection(&path, "logs", DEFAULT_BUSY_TIMEOUT).unwrap();
        let mut sink = SqliteSink::new(conn, &path, "logs", DEFAULT_BUSY_TIMEOUT);
        let kvs = [
            ("n", crate::kv::Value::F64(f64::NAN)),
            ("s", crate::kv::Value::Str("x")),
        ];
        let rec = Record::builder(Level::Info, "", format_args!("hi"))
            .key_values(&kvs)
            .build()
            .to_owned();
        let mut batch = vec![rec.clone(), rec];
        sink.write_batch(&mut batch).unwrap();
        assert!(batch.is_empty());
        sink.report_dropped(3, DropCause::Overflow).unwrap();
        let conn = sink.conn.as_ref().unwrap();
        let rows: Vec<(String, String, Option<String>)> = conn
            .prepare("SELECT logger, message, kv FROM logs ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0, "root");
        assert_eq!(rows[0].2.as_deref(), Some(r#"{"n":"NaN","s":"x"}"#));
        assert_eq!(
            rows[2],
            (
                "scoped_logger".to_owned(),
                "3 records dropped while the database was not keeping up".to_owned(),
                None
            )
        );
        sink.close().unwrap();
        assert!(sink.write_batch(&mut Vec::new()).is_err());
    }
}
