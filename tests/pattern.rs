//! The pattern format from the outside: through the macros (module, file and line are the
//! caller's), from the TOML config (`format = { pattern = "..." }`, with a bad placeholder an
//! error naming it and its line), and one record per line whatever it holds.

#[cfg(feature = "config")]
use scoped_logger::config::Config;
use scoped_logger::format::{PatternFormat, TextFormat};
use scoped_logger::{Registry, StreamHandler};

fn shared_stream(format: PatternFormat) -> std::sync::Arc<StreamHandler<Vec<u8>>> {
    std::sync::Arc::new(StreamHandler::new(Vec::new()).format(format))
}

fn text(out: &StreamHandler<Vec<u8>>) -> String {
    out.with_writer(|w| String::from_utf8(w.clone()).unwrap())
}

#[test]
fn the_macros_fill_module_file_line_and_thread() {
    let reg = Registry::new();
    let out = shared_stream(
        PatternFormat::new("{level} {module} {file}:{line} [{thread}] {logger}: {message}{kv}")
            .unwrap(),
    );
    reg.root().add_shared_handler(out.clone());
    let jobs = reg.logger("jobs");
    let line = line!() + 1;
    scoped_logger::warn!(logger: &jobs, id = 7; "disk at {}%", 91);
    let thread = std::thread::current().name().unwrap_or("").to_owned();
    assert_eq!(
        text(&out),
        format!("WARN pattern tests/pattern.rs:{line} [{thread}] jobs: disk at 91% id=7\n")
    );
}

#[cfg(feature = "config")]
#[test]
fn a_config_pattern_shapes_the_file_and_a_bad_one_names_its_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shaped.log");
    let toml = format!(
        r#"
[loggers.root]
level = "info"
handlers = ["shaped"]

[handlers.shaped]
kind = "file"
path = {path:?}
format = {{ pattern = "<{{level}}> {{logger}} | {{message}}{{kv}}" }}
"#,
    );
    let reg = Registry::new();
    let applied = Config::from_toml(&toml).unwrap().apply(&reg).unwrap();
    scoped_logger::info!(logger: &reg.logger("jobs"), user = "a b"; "one\nline");
    applied.detach();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "<INFO> jobs | one\\nline user=\"a b\"\n"
    );

    let bad = toml.replace("{message}", "{msg}");
    let err = Config::from_toml(&bad).unwrap_err();
    // The handler's table (its fields are read as one tagged value, so the span is the table's).
    assert_eq!(err.line(), Some(6), "{err}");
    assert!(err.to_string().contains("`{msg}`"), "{err}");

    let err =
        Config::from_toml(&toml.replace(r#"format = { pattern = "#, r#"format = { patern = "#))
            .unwrap_err();
    assert!(err.to_string().contains("`patern`"), "{err}");
    let err =
        Config::from_toml("[handlers.x]\nkind = \"stderr\"\nformat = \"yaml\"\n").unwrap_err();
    assert!(err.to_string().contains("`yaml`"), "{err}");
}

#[test]
fn the_builder_is_usable_where_a_format_is() {
    let reg = Registry::new();
    let out = shared_stream(TextFormat::builder().pid(true).build());
    reg.root().add_shared_handler(out.clone());
    scoped_logger::error!(logger: &reg.logger("x"), "boom");
    let got = text(&out);
    assert!(
        got.ends_with(&format!(" ERROR [pid {}] x: boom\n", std::process::id())),
        "{got}"
    );
}
