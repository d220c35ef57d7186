//! What the handlers that pack each record on the caller's thread for a queue
//! [`Worker`](crate::handler::queue::Worker) share (syslog, journald, OTLP): their `Handler` methods
//! around the queue, and their builders' queue settings, written once. A caller of these never
//! waits but as the queue's policy says, and a close never waits past its deadline.

/// For a handler struct with the fields `worker: Worker<S>` (whose items are `Vec<u8>`),
/// `errors: Arc<ErrorReporter>`, `control: Arc<Control>` (what cuts the worker's waits short
/// at close) and `what: String` (where the records go), and a method
/// `fn pack(&self, record: &Record<'_>) -> Vec<u8>`: its `dropped`, `queued` and
/// `destination` methods, its `Handler` impl, and a `Drop` that stops the worker's waiting.
macro_rules! queued_handler {
    ($ty:ident) => {
        impl $ty {
            /// Records dropped so far: refused by a full queue, or not taken by the other end
            /// (each counted once).
            pub fn dropped(&self) -> u64 {
                self.worker.dropped()
            }

            /// Records waiting to be sent now.
            pub fn queued(&self) -> usize {
                self.worker.queued()
            }

            /// Where the records go, as error reports name it.
            pub fn destination(&self) -> &str {
                &self.what
            }
        }

        impl $crate::handler::Handler for $ty {
            fn handle(&self, record: &$crate::record::Record<'_>) {
                if self.worker.would_drop() {
                    // Full, and the policy says drop now: do not pack a record only to throw it
                    // away.
                    self.worker.count_dropped();
                    return;
                }
                let packed = self.pack(record);
                let len = packed.len();
                self.worker.send(packed, len);
            }

            fn flush(&self) {
                self.worker.flush_by(self.worker.default_deadline());
            }

            fn flush_by(&self, deadline: std::time::Instant) -> bool {
                self.worker.flush_by(deadline)
            }

            fn close(&self) {
                // Not `default_deadline`: once told to close, the worker stops waiting for the
                // other end, so a flush that gave up on it does not mean closing will.
                $crate::handler::Handler::close_by(
                    self,
                    std::time::Instant::now() + self.worker.flush_timeout(),
                );
            }

            fn close_by(&self, deadline: std::time::Instant) -> bool {
                self.control.close();
                let done = self.worker.close_by(deadline);
                self.errors.summarize();
                self.worker.errors().summarize();
                done
            }

            fn target(&self) -> Option<String> {
                Some(self.what.clone())
            }

            fn take_error(&self) -> Option<std::io::Error> {
                self.errors.take().or_else(|| self.worker.take_error())
            }

            fn dropped(&self) -> u64 {
                self.worker.dropped()
            }
        }

        impl Drop for $ty {
            fn drop(&mut self) {
                // The worker's own drop then closes it with its deadline; it must not wait for
                // the other end.
                self.control.close();
            }
        }
    };
}

/// For a builder with the field `queue: QueueOptions`: its `queue` setter.
macro_rules! queue_setter {
    () => {
        /// The queue's settings: capacity in records and bytes (how long an outage or a slow
        /// reader the queue absorbs before records are dropped), the
        /// [`Policy`](crate::handler::queue::Policy) a full queue follows, and how long
        /// `flush()` and `close()` wait for the worker; see
        /// [`QueueOptions`](crate::handler::queue::QueueOptions).
        pub fn queue(mut self, queue: $crate::handler::queue::QueueOptions) -> Self {
            self.queue = queue;
            self
        }
    };
}

pub(crate) use {queue_setter, queued_handler};
