// Checks: a template placeholder that names no argument is an error on the string that lists
// the arguments; `{self}`, a format spec and an unclosed brace are errors too.
#![allow(unused_variables)] // the functions are kept unchanged next to the errors
use scoped_logger::scoped_logger;

#[scoped_logger("jobs.{idd}")]
fn typo(id: u32, user: &str) {}

#[scoped_logger("jobs.{id}")]
fn no_args() {}

struct Worker;

impl Worker {
    #[scoped_logger("workers.{self}")]
    fn run(&self, n: u32) {}
}

#[scoped_logger("jobs.{id:?}")]
fn spec(id: u32) {}

#[scoped_logger("jobs.{id")]
fn unclosed(id: u32) {}

fn main() {}
