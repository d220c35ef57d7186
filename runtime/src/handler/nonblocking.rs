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

use super::queue::{CHUNK, DropCause, QueueOptions, Setup, Sink, StallGroup, Worker};

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

    fn report_dropped(&mut self, count: u64, cause: DropCause) -> io::Result<()> {
        let target = &self.target;
        let args = match cause {
            DropCause::Stalled => {
                format_args!("{count} records dropped while {target} was not being read")
            }
            DropCause::TooLarge => format_args!(
                "{count} records dropped: each was larger than the queue's byte capacity"
            ),
            _ => format_args!("{count} records dropped: {target} could not keep up"),
        };
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

/// A [`Handler`] over any `Write + Send + 'static` that never blocks its callers past a stall
/// window: each record is formatted on the caller's thread into one line and queued for a
/// background [`Worker`] that writes the lines in chunks of up to 64 KiB. A caller that finds
/// the queue full waits while the output takes bytes and drops (counted) once it has taken none
/// for the window (the default [`Policy::BlockUnlessStalled`](super::queue::Policy::BlockUnlessStalled)).
/// See [`handler::queue`](crate::handler::queue) for what happens when the output is not read,
/// and for the other policies.
///
/// The worker thread starts with the first record (so the builder methods are free to call).
/// Lines from several threads never interleave, and each thread's records keep their order.
///
/// ```
/// use scoped_logger::{Handler, Registry, Level};
/// use scoped_logger::handler::NonBlocking;
/// use scoped_logger::handler::queue::{Policy, QueueOptions};
/// use std::time::{Duration, Instant};
///
/// let file = tempfile::tempfile()?;
/// let handler = std::sync::Arc::new(
///     NonBlocking::new(file)
///         .queue(QueueOptions::default().capacity(10_000).policy(Policy::Drop))
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
    queue: QueueOptions,
    thread_name: String,
    group: Option<&'static StallGroup>,
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
            .field("queue", &self.queue)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl NonBlocking {
    /// A handler writing text lines to `writer` from a background thread.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        NonBlocking {
            queue: QueueOptions::default(),
            thread_name: "scoped-logger-writer".to_owned(),
            group: None,
            format: Arc::new(TextFormat),
            target: Arc::from("the output"),
            writer: Mutex::new(Some(Box::new(writer))),
            worker: OnceLock::new(),
            start_errors: ErrorReporter::new("non-blocking handler"),
        }
    }

    /// The queue's settings: how many records and bytes it holds, what a caller does when it is
    /// full (by default, waits while the output moves and drops once it stalls), and how long a
    /// flush waits. See [`QueueOptions`].
    pub fn queue(mut self, queue: QueueOptions) -> Self {
        self.queue = queue;
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
        self.thread_name = name.into();
        self
    }

    /// The queue settings the worker runs (or will run) with.
    pub fn queue_options(&self) -> QueueOptions {
        self.queue
    }

    /// Marks the output as shared with the other handlers of `group` (all of stderr's).
    pub(crate) fn stall_group(mut self, group: &'static StallGroup) -> Self {
        self.group = Some(group);
        self
    }

    /// What the worker is (or will be) started with.
    fn setup(&self) -> Setup {
        let mut setup = Setup::new(self.thread_name.as_str(), self.queue);
        setup.description = Some(format!("non-blocking handler for {}", self.target));
        setup.batch_bytes = CHUNK;
        setup.group = self.group;
        setup
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
        let worker = self.worker.get_or_init(|| Worker::closed(&self.setup()));
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
            let setup = self.setup();
            let Some(writer) = self.writer.lock().take() else {
                return Worker::closed(&setup);
            };
            let sink = LineSink {
                writer,
                format: self.format.clone(),
                target: self.target.clone(),
                thread_name: Arc::from(self.thread_name.as_str()),
                buf: Vec::new(),
            };
            Worker::start(sink, setup.clone()).unwrap_or_else(|e| {
                failed = Some(e);
                Worker::closed(&setup)
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
            // Full, and the policy would not wait: do not format a line only to throw it away.
            worker.count_dropped();
            return;
        }
        with_formatted(&*self.format, record, |line| {
            worker.send_line(line);
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
