//! What the handlers that pack each record on the caller's thread for a queue
//! [`Worker`](crate::handler::queue::Worker) share (journald, OTLP): their `Handler` methods
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
                    // Full under Policy::Drop: do not pack a record only to throw it away.
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

/// For a builder with the field `options: Options`: its `queue`, `capacity`, `policy` and
/// `flush_timeout` setters.
macro_rules! queue_setters {
    () => {
        /// The queue's settings at once: a
        /// [`QueueOptions`](crate::handler::queue::QueueOptions) (capacity in records and
        /// bytes, policy, flush timeout) or a whole [`Options`](crate::handler::queue::Options).
        pub fn queue(mut self, settings: impl $crate::handler::queue::QueueSettings) -> Self {
            self.options = settings.apply_to(self.options);
            self
        }

        /// Most records held at once (default 16 384): how long an outage or a slow reader
        /// the queue absorbs before records are dropped.
        pub fn capacity(mut self, records: usize) -> Self {
            self.options = self.options.capacity(records);
            self
        }

        /// What a caller does when the queue is full (default
        /// [`Policy::Drop`](crate::handler::queue::Policy::Drop): never wait).
        pub fn policy(mut self, policy: $crate::handler::queue::Policy) -> Self {
            self.options = self.options.policy(policy);
            self
        }

        /// How long `flush()` and `close()` wait for the worker (default 1 s).
        pub fn flush_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.options = self.options.flush_timeout(timeout);
            self
        }
    };
}

pub(crate) use {queue_setters, queued_handler};
