//! The worker's end: sends the queued entries to journald and tells it, at the gap, how many
//! were lost. It never retries an entry journald refused (a datagram socket keeps no
//! connection to wait for): such an entry is counted, once.

use std::io;
use std::sync::Arc;

use crate::handler::ErrorReporter;
use crate::handler::last_resort::with_drop_report;
use crate::handler::queue::{DropCause, Sink};

use super::encode::Encoder;
use super::socket::JournalSocket;

pub(super) struct JournaldSink {
    pub(super) socket: JournalSocket,
    pub(super) encoder: Arc<Encoder>,
    pub(super) errors: Arc<ErrorReporter>,
    pub(super) what: String,
    /// Entries journald refused, not yet counted by the queue.
    pub(super) lost: u64,
    /// Drops (the queue's and ours) not yet told to the journal.
    pub(super) unreported: u64,
}

impl JournaldSink {
    /// Sends the "N records dropped" entry; keeps the count when journald refuses it too.
    fn send_report(&mut self) {
        let n = self.unreported;
        let mut entry = Vec::with_capacity(256);
        with_drop_report(
            n,
            None,
            format_args!("{n} records dropped on their way to journald"),
            |record| self.encoder.encode(record, &mut entry, &mut String::new()),
        );
        if self.socket.send(&entry).is_ok() {
            self.unreported = 0;
        }
    }
}

impl Sink for JournaldSink {
    type Item = Vec<u8>;

    fn write_batch(&mut self, batch: &mut Vec<Vec<u8>>) -> io::Result<()> {
        for entry in batch.iter() {
            if self.unreported > 0 {
                self.send_report();
            }
            if let Err(e) = self.socket.send(entry) {
                self.lost += 1;
                self.unreported += 1;
                self.errors.report(&format!("sending to {}", self.what), e);
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Drops after the last entry have none to ride on: tell them now.
        if self.unreported > 0 {
            self.send_report();
        }
        Ok(())
    }

    fn report_dropped(&mut self, count: u64, _cause: DropCause) -> io::Result<()> {
        self.unreported += count;
        Ok(())
    }

    fn take_lost(&mut self) -> u64 {
        std::mem::take(&mut self.lost)
    }
}
