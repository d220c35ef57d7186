// Checks: literal names (and the literal parts of templates) are validated like logger names:
// empty segments, whitespace and a lone `.` are errors that suggest a fix.
#![allow(unused_variables)] // the functions are kept unchanged next to the errors
use scoped_logger::scoped_logger;

#[scoped_logger("jobs..db")]
fn empty_segment() {}

#[scoped_logger("jobs.")]
fn trailing_dot() {}

#[scoped_logger("night run.{id}")]
fn whitespace(id: u32) {}

#[scoped_logger("jobs.{id}..x")]
fn template_empty_segment(id: u32) {}

#[scoped_logger(".")]
fn only_a_dot() {}

fn main() {}
