//! [`NonBlocking`], the handler that formats lines on the caller's thread and hands them to the
//! queue engine ([`handler::queue`](crate::handler::queue), whose docs say what happens when the
//! output is not read, at exit, and under each policy).

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::format::{Format, TextFormat, with_formatted};
use crate::handler::{ErrorReporter, Handler};
use crate::level::Level;
use crate::record::Record;

use super::queue::{Options, Policy, QueueSettings, Sink, Worker};

// ---- the line handler -------------------------------------------------------------------------

/// Writes batches of formatted lines to a `Write`, in chunks of up to [`CHUNK`] bytes.
struct LineSink {
    writer: Box<dyn Write + Send>,
    format: Arc<dyn Format>,
    target: Arc<str>,
    thread_name: Arc<str>,
    buf: Vec<u8>,
}

/// `write_all` for an output that may be in non-blocking mode. Stderr shares its open file with
/// the parent process, which may have set `O_NONBLOCK` on it; a full pipe then answers
/// `WouldBlock` instead of blocking. That is the "nobody reads stderr" case, so the writer
/// thread waits (polling, as a generic `Write` offers no readiness to wait on) exactly as it
/// would in a blocking `write`, and goes on from where it stopped: no line is cut, and the
/// callers meanwhile drop and count as usual.
fn write_all_waiting(writer: &mut (dyn Write + Send), mut buf: &[u8]) -> io::Result<()> {
    let mut pause = WouldBlockPause::default();
    while !buf.is_empty() {
        match writer.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                buf = &buf[n..];
                pause = WouldBlockPause::default();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => pause.wait(),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The writer thread's wait between `WouldBlock`s: 1 ms, doubling up to 50 ms.
#[derive(Default)]
struct WouldBlockPause(u32);

impl WouldBlockPause {
    fn wait(&mut self) {
        let ms = 1u64 << self.0.min(6);
        std::thread::sleep(Duration::from_millis(ms.min(50)));
        self.0 += 1;
    }
}

/// Lines are gathered into writes of about this size: few syscalls, bounded extra memory.
const CHUNK: usize = 64 * 1024;

impl Sink for LineSink {
    type Item = Vec<u8>;

    fn write_batch(&mut self, batch: &mut Vec<Vec<u8>>) -> io::Result<()> {
        self.buf.clear();
        for line in batch.iter() {
            if !self.buf.is_empty() && self.buf.len() + line.len() > CHUNK {
                write_all_waiting(&mut *self.writer, &self.buf)?;
                self.buf.clear();
            }
            if line.len() >= CHUNK {
                write_all_waiting(&mut *self.writer, line)?;
            } else {
                self.buf.extend_from_slice(line);
            }
        }
        if !self.buf.is_empty() {
            write_all_waiting(&mut *self.writer, &self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut pause = WouldBlockPause::default();
        loop {
            match self.writer.flush() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => pause.wait(),
                other => return other,
            }
        }
    }

    fn report_dropped(&mut self, count: u64) -> io::Result<()> {
        let args = format_args!(
            "{count} records dropped while {} was not being read",
            self.target
        );
        let record = Record::builder(Level::Warn, crate::handler::last_resort::OWN_LOGGER, args)
            .thread_name(Some(&self.thread_name))
            .build();
        let mut line = Vec::new();
        self.format.format(&record, &mut line);
        write_all_waiting(&mut *self.writer, &line)
    }

    fn close(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// A [`Handler`] over any `Write + Send + 'static` that never blocks its callers (under the
/// default [`Policy::Drop`]): each record is formatted on the caller's thread into one line and
/// queued for a background [`Worker`] that writes it. See [`handler::queue`](crate::handler::queue) for what
/// happens when the output is not read, and for the policies.
///
/// The worker thread starts with the first record (so the builder methods are free to call).
/// Lines from several threads never interleave, and each thread's records keep their order.
///
/// ```
/// use scoped_logger::{Handler, Registry, Level};
/// use scoped_logger::handler::NonBlocking;
/// use scoped_logger::handler::queue::Policy;
/// use std::time::{Duration, Instant};
///
/// let file = tempfile::tempfile()?;
/// let handler = std::sync::Arc::new(
///     NonBlocking::new(file)
///         .capacity(10_000)
///         .policy(Policy::Drop)
///         .target_name("the log file"),
/// );
/// let reg = Registry::new();
/// reg.root().add_shared_handler(handler.clone());
/// reg.root().log(Level::Warn, format_args!("disk at {}%", 91));
/// assert!(handler.flush_by(Instant::now() + Duration::from_secs(5)));
/// assert_eq!(handler.dropped(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct NonBlocking {
    options: Options,
    format: Arc<dyn Format>,
    target: Arc<str>,
    writer: Mutex<Option<Box<dyn Write + Send>>>,
    /// The worker, once the first record started it (or a closed one, which refuses and counts
    /// every record, when it could not be started or the handler was closed first).
    worker: OnceLock<Worker<LineSink>>,
    /// Reports the failure to start the worker (sink errors go to the worker's own reporter).
    start_errors: ErrorReporter,
}

impl fmt::Debug for NonBlocking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlocking")
            .field("target", &self.target)
            .field("options", &self.options)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl NonBlocking {
    /// A handler writing text lines to `writer` from a background thread.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        NonBlocking {
            options: Options::default(),
            format: Arc::new(TextFormat),
            target: Arc::from("the output"),
            writer: Mutex::new(Some(Box::new(writer))),
            worker: OnceLock::new(),
            start_errors: ErrorReporter::new("non-blocking handler"),
        }
    }

    /// The queue's settings at once: a [`QueueOptions`](super::queue::QueueOptions) (capacity in records and bytes, policy,
    /// flush timeout; the four setters below set one each), or a whole [`Options`].
    pub fn queue(mut self, settings: impl QueueSettings) -> Self {
        self.options = settings.apply_to(self.options);
        self
    }

    /// Most records held at once (queued or being written); see [`Options::capacity`].
    pub fn capacity(mut self, records: usize) -> Self {
        self.options = self.options.capacity(records);
        self
    }

    /// Most bytes of formatted lines held at once; see [`Options::capacity_bytes`]. A single
    /// line longer than this is dropped and counted.
    pub fn capacity_bytes(mut self, bytes: usize) -> Self {
        self.options = self.options.capacity_bytes(bytes);
        self
    }

    /// What a caller does when the queue is full; see [`Policy`].
    pub fn policy(mut self, policy: Policy) -> Self {
        self.options = self.options.policy(policy);
        self
    }

    /// How long `flush()` and `close()` wait for the writer (default 1 s).
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.flush_timeout(timeout);
        self
    }

    /// The line format (default [`TextFormat`]); the dropped-records report uses it too.
    pub fn format(mut self, format: impl Format + 'static) -> Self {
        self.format = Arc::new(format);
        self
    }

    /// The same, with a format already shared.
    pub fn shared_format(mut self, format: Arc<dyn Format>) -> Self {
        self.format = format;
        self
    }

    /// What the dropped-records report calls the output: "N records dropped while `name` was not
    /// being read" (default `the output`). Error reports use it too.
    pub fn target_name(mut self, name: impl Into<String>) -> Self {
        let name: String = name.into();
        self.start_errors = ErrorReporter::new(format!("non-blocking handler for {name}"));
        self.target = Arc::from(name);
        self
    }

    /// The worker thread's name (default `scoped-logger-writer`).
    pub fn thread_name(mut self, name: impl Into<String>) -> Self {
        self.options = self.options.thread_name(name);
        self
    }

    /// The options the worker runs (or will run) with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Records dropped so far (full queue, oversized line, closed worker).
    pub fn dropped(&self) -> u64 {
        self.started().map_or(0, Worker::dropped)
    }

    /// Records held now (queued or being written).
    pub fn queued(&self) -> usize {
        self.started().map_or(0, Worker::queued)
    }

    /// Bytes held now; never more than the byte capacity.
    pub fn queued_bytes(&self) -> usize {
        self.started().map_or(0, Worker::queued_bytes)
    }

    /// Closes the worker, waiting until `deadline`: everything queued is written and the writer
    /// flushed. Returns `false` when the writer was still busy at the deadline.
    pub fn close_by(&self, deadline: Instant) -> bool {
        // A worker never started never will be (this waits for a start in progress).
        let worker = self.worker.get_or_init(|| Worker::closed(&self.options));
        self.writer.lock().take();
        worker.close_by(deadline)
    }

    fn started(&self) -> Option<&Worker<LineSink>> {
        self.worker.get()
    }

    #[inline]
    fn worker(&self) -> &Worker<LineSink> {
        match self.worker.get() {
            Some(w) => w,
            None => self.start(),
        }
    }

    #[cold]
    fn start(&self) -> &Worker<LineSink> {
        let mut failed = None;
        let worker = self.worker.get_or_init(|| {
            let Some(writer) = self.writer.lock().take() else {
                return Worker::closed(&self.options);
            };
            let sink = LineSink {
                writer,
                format: self.format.clone(),
                target: self.target.clone(),
                thread_name: Arc::from(self.options.thread_name.as_str()),
                buf: Vec::new(),
            };
            let mut options = self.options.clone();
            if options.description.is_none() {
                options.description = Some(format!("non-blocking handler for {}", self.target));
            }
            Worker::spawn(sink, options).unwrap_or_else(|e| {
                failed = Some(e);
                Worker::closed(&self.options)
            })
        });
        // Reported after the cell is set: the report may come back here (last-resort handler).
        if let Some(e) = failed {
            self.start_errors.report("starting its writer thread", e);
        }
        worker
    }
}

impl Handler for NonBlocking {
    fn dropped(&self) -> u64 {
        Self::dropped(self)
    }

    fn handle(&self, record: &Record<'_>) {
        let worker = self.worker();
        if worker.would_drop() {
            // Full under Policy::Drop: do not format a line only to throw it away.
            worker.count_dropped();
            return;
        }
        with_formatted(&*self.format, record, |line| {
            worker.send(line.to_vec(), line.len());
        });
    }

    fn flush(&self) {
        if let Some(w) = self.started() {
            w.flush_by(w.default_deadline());
        }
    }

    fn close(&self) {
        let deadline = match self.started() {
            Some(w) => w.default_deadline(),
            None => Instant::now(),
        };
        Handler::close_by(self, deadline);
    }

    fn close_by(&self, deadline: Instant) -> bool {
        let done = NonBlocking::close_by(self, deadline);
        if let Some(w) = self.started() {
            w.errors().summarize();
        }
        done
    }

    fn target(&self) -> Option<String> {
        Some(self.target.to_string())
    }

    fn flush_by(&self, deadline: Instant) -> bool {
        self.started().is_none_or(|w| w.flush_by(deadline))
    }

    fn take_error(&self) -> Option<io::Error> {
        self.start_errors
            .take()
            .or_else(|| self.started().and_then(Worker::take_error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_after_a_close_before_the_first_are_counted_by_the_queue() {
        let handler = NonBlocking::new(io::sink());
        assert!(NonBlocking::close_by(&handler, Instant::now()));
        let record = Record::builder(Level::Warn, "t", format_args!("late")).build();
        handler.handle(&record);
        handler.handle(&record);
        assert_eq!(handler.dropped(), 2);
        assert_eq!(handler.queued(), 0);
        assert!(
            handler.flush_by(Instant::now()),
            "nothing held, nothing to wait for"
        );
    }
}
