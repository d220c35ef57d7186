//! This thread as records name it: its name, looked up from `std` once per thread. Everything
//! that puts a thread's name on a record or a report asks here, so it is cached in one place.

use std::cell::OnceCell;

thread_local! {
    static NAME: OnceCell<Option<Box<str>>> = const { OnceCell::new() };
}

/// Calls `f` with the current thread's name, looked up once per thread.
#[inline]
pub(crate) fn with_name<R>(f: impl FnOnce(Option<&str>) -> R) -> R {
    let mut f = Some(f);
    let out = NAME.try_with(|cell| {
        let name = cell.get_or_init(|| std::thread::current().name().map(Box::from));
        (f.take().expect("called once"))(name.as_deref())
    });
    match out {
        Ok(r) => r,
        // During thread-local destruction: no name.
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}
