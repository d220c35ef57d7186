//! Alone in its binary: nothing has made a registry when this test starts, so the gate is what
//! it is before the global registry exists. `error!` must still get through (to the
//! last-resort handler), as `fn main() { error!("x") }` needs.

use scoped_logger::{Level, MemoryHandler, Registry};

#[test]
fn an_error_before_anything_made_the_global_registry_is_not_gated_away() {
    assert!(scoped_logger::__private::max_allows(Level::Error));
    assert!(scoped_logger::__private::max_allows(Level::Warn));
    assert!(!scoped_logger::__private::max_allows(Level::Info));
    // And the record made then reaches the global tree.
    let mem = MemoryHandler::new();
    Registry::global().root().add_handler(mem.clone());
    scoped_logger::error!("first words");
    assert_eq!(mem.messages(), ["first words"]);
}
