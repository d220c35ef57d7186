// Checks: independent mistakes in one attribute are all reported in one build.
#![allow(unused_variables)] // the functions are kept unchanged next to the errors
use scoped_logger::scoped_logger;

#[scoped_logger("jobs..{idd}", level = "loud", colour = "red", propagate = "no")]
fn everything_wrong(id: u32) {}

fn main() {
    everything_wrong(1);
}
