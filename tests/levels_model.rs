//! Model-based property test of how a level is resolved (issue 30): random sequences of
//! directives (`Registry::configure`), levels set in code (`set_level`, `clear_level`, scopes
//! with and without a level of their own), removals and scope ends, checked after every step
//! against a plain model of the rule:
//!
//! * the deepest named directive covering a name decides, whatever code set at or below it;
//! * else the nearest level set in code at or above the name (a live scope's own level first,
//!   then `set_level`'s) decides;
//! * else the root's level (the bare directive or the root's `set_level`, the later).

use std::collections::BTreeMap;

use proptest::prelude::*;
use scoped_logger::{Level, LevelFilter, Registry, ScopedLogger};

const NAMES: [&str; 6] = ["a", "a.b", "a.b.c", "a.d", "e", "e.f"];

#[derive(Clone, Debug)]
enum Op {
    Configure(Option<LevelFilter>, Vec<(usize, LevelFilter)>),
    SetLevel(usize, LevelFilter),
    SetRootLevel(LevelFilter),
    ClearLevel(usize),
    Remove(usize),
    Enter(usize, Option<LevelFilter>),
    Exit(usize),
}

fn level_filter() -> impl Strategy<Value = LevelFilter> {
    use LevelFilter::*;
    proptest::sample::select(&[Off, Error, Warn, Info, Debug, Trace][..])
}

fn op() -> impl Strategy<Value = Op> {
    let n = 0..NAMES.len();
    prop_oneof![
        2 => (
            proptest::option::of(level_filter()),
            proptest::collection::vec((n.clone(), level_filter()), 0..3)
        )
            .prop_map(|(bare, named)| Op::Configure(bare, named)),
        3 => (n.clone(), level_filter()).prop_map(|(i, l)| Op::SetLevel(i, l)),
        1 => level_filter().prop_map(Op::SetRootLevel),
        1 => n.clone().prop_map(Op::ClearLevel),
        1 => n.clone().prop_map(Op::Remove),
        3 => (n, proptest::option::of(level_filter())).prop_map(|(i, l)| Op::Enter(i, l)),
        2 => (0..6usize).prop_map(Op::Exit),
    ]
}

/// One name's state in the model.
#[derive(Default, Clone, Debug)]
struct Entry {
    persistent: bool,
    /// `set_level`'s level.
    configured: Option<LevelFilter>,
    /// Live scopes, and the level of the scope that started their period.
    scopes: usize,
    period_level: Option<LevelFilter>,
}

impl Entry {
    fn is_logger(&self) -> bool {
        self.persistent || self.scopes > 0
    }
    fn code_level(&self) -> Option<LevelFilter> {
        if !self.is_logger() {
            return None;
        }
        match self.period_level {
            Some(l) if self.scopes > 0 => Some(l),
            _ => self.configured,
        }
    }
}

#[derive(Debug)]
struct Model {
    root: LevelFilter,
    directives: BTreeMap<&'static str, LevelFilter>,
    entries: BTreeMap<&'static str, Entry>,
}

fn ancestors_and_self(name: &str) -> impl Iterator<Item = &str> {
    let mut cur = Some(name);
    std::iter::from_fn(move || {
        let this = cur?;
        cur = this.rfind('.').map(|i| &this[..i]);
        Some(this)
    })
}

impl Model {
    fn effective(&self, name: &str) -> LevelFilter {
        if let Some(d) = ancestors_and_self(name).find_map(|n| self.directives.get(n)) {
            return *d;
        }
        ancestors_and_self(name)
            .find_map(|n| self.entries.get(n).and_then(Entry::code_level))
            .unwrap_or(self.root)
    }

    fn own_level(&self, name: &str) -> Option<LevelFilter> {
        if let Some(d) = self.directives.get(name) {
            return Some(*d);
        }
        if ancestors_and_self(name).any(|n| self.directives.contains_key(n)) {
            return None;
        }
        self.entries.get(name).and_then(Entry::code_level)
    }

    /// An entry stops being a logger: what code set on it goes with it.
    fn retire_if_unused(&mut self, name: &'static str) {
        let e = self.entries.entry(name).or_default();
        if !e.persistent && e.scopes == 0 {
            e.configured = None;
            e.period_level = None;
        }
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let reg = Registry::new();
    let mut model = Model {
        root: LevelFilter::Warn,
        directives: BTreeMap::new(),
        entries: BTreeMap::new(),
    };
    let mut scopes: Vec<(usize, ScopedLogger)> = Vec::new();
    for op in ops {
        match op {
            Op::Configure(bare, named) => {
                let mut text: Vec<String> = bare.iter().map(|l| l.to_string()).collect();
                text.extend(named.iter().map(|(i, l)| format!("{}={l}", NAMES[*i])));
                reg.configure(&text.join(",")).unwrap();
                model.directives.clear();
                for (i, l) in named {
                    model.directives.insert(NAMES[i], l);
                    model.entries.entry(NAMES[i]).or_default().persistent = true;
                }
                if let Some(l) = bare {
                    model.root = l;
                }
            }
            Op::SetLevel(i, l) => {
                reg.logger(NAMES[i]).set_level(l);
                let e = model.entries.entry(NAMES[i]).or_default();
                e.persistent = true;
                e.configured = Some(l);
            }
            Op::SetRootLevel(l) => {
                reg.root().set_level(l);
                model.root = l;
            }
            Op::ClearLevel(i) => {
                if let Some(l) = reg.get(NAMES[i]) {
                    l.clear_level();
                    model.entries.entry(NAMES[i]).or_default().configured = None;
                }
            }
            Op::Remove(i) => {
                let removed = reg.remove(NAMES[i]);
                let e = model.entries.entry(NAMES[i]).or_default();
                prop_assert_eq!(removed, e.persistent, "remove {}", NAMES[i]);
                e.persistent = false;
                model.retire_if_unused(NAMES[i]);
            }
            Op::Enter(i, level) => {
                let mut b = reg.scope(NAMES[i]);
                if let Some(l) = level {
                    b = b.level(l);
                }
                scopes.push((i, b.enter().unwrap()));
                let e = model.entries.entry(NAMES[i]).or_default();
                if e.scopes == 0 {
                    e.period_level = level;
                }
                e.scopes += 1;
            }
            Op::Exit(k) => {
                if scopes.is_empty() {
                    continue;
                }
                let (i, guard) = scopes.remove(k % scopes.len());
                drop(guard);
                let e = model.entries.entry(NAMES[i]).or_default();
                e.scopes -= 1;
                if e.scopes == 0 {
                    e.period_level = None;
                }
                model.retire_if_unused(NAMES[i]);
            }
        }
        prop_assert_eq!(reg.root().effective_level(), model.root);
        for name in NAMES {
            let live = model.entries.get(name).is_some_and(Entry::is_logger);
            prop_assert_eq!(reg.contains(name), live, "{} exists", name);
            if let Some(l) = reg.get(name) {
                let want = model.effective(name);
                prop_assert_eq!(l.effective_level(), want, "effective level of {}", name);
                prop_assert_eq!(l.level(), model.own_level(name), "own level of {}", name);
                prop_assert_eq!(l.enabled(Level::Info), want >= LevelFilter::Info);
            }
        }
        for (i, s) in &scopes {
            prop_assert_eq!(s.effective_level(), model.effective(NAMES[*i]));
        }
        // A name no entry holds inherits by the same rule.
        let probe = reg.logger("a.b.c.probe");
        prop_assert_eq!(probe.effective_level(), model.effective("a.b.c.probe"));
        reg.remove("a.b.c.probe");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn resolution_agrees_with_the_model(ops in proptest::collection::vec(op(), 1..50)) {
        run(ops)?;
    }
}

#[test]
fn the_cases_of_the_issue() {
    let reg = Registry::new();
    let plain = reg
        .scope("plain.1")
        .level(LevelFilter::Debug)
        .enter()
        .unwrap();
    // A bare level is the default, which code sets otherwise below the root.
    reg.configure("warn").unwrap();
    assert_eq!(plain.effective_level(), LevelFilter::Debug);
    // A named directive overrides the scope's level while in force, and only there.
    reg.configure("warn,plain=warn").unwrap();
    assert_eq!(plain.effective_level(), LevelFilter::Warn);
    assert_eq!(reg.logger("other").effective_level(), LevelFilter::Warn);
    reg.configure("warn,plain=off").unwrap();
    assert!(!plain.enabled(Level::Error));
    // The deepest directive decides.
    reg.configure("warn,plain=off,plain.1=info").unwrap();
    assert_eq!(plain.effective_level(), LevelFilter::Info);
    reg.configure("warn").unwrap();
    assert_eq!(plain.effective_level(), LevelFilter::Debug);
}

#[test]
fn a_config_files_levels_are_directives_replaced_as_a_whole_on_reload() {
    use scoped_logger::config::Config;
    let reg = Registry::new();
    let scope = reg
        .scope("jobs.7")
        .level(LevelFilter::Debug)
        .enter()
        .unwrap();
    reg.logger("db").set_level(LevelFilter::Trace);
    let first =
        Config::from_toml("[loggers.jobs]\nlevel = \"info\"\n[loggers.db]\nlevel = \"warn\"\n")
            .unwrap()
            .apply(&reg)
            .unwrap();
    // The file's word wins over the live scope's and over `set_level`'s.
    assert_eq!(scope.effective_level(), LevelFilter::Info);
    assert_eq!(reg.logger("db").effective_level(), LevelFilter::Warn);
    // `configure` replaces its own directives, not the file's.
    reg.configure("warn,other=debug").unwrap();
    assert_eq!(scope.effective_level(), LevelFilter::Info);
    // The reload's set replaces the first file's whole: `db` is the code's again.
    let second = Config::from_toml("[loggers.\"jobs.7\"]\nlevel = \"error\"\n").unwrap();
    let applied = first.replace(&second).map_err(|(_, e)| e).unwrap();
    assert_eq!(scope.effective_level(), LevelFilter::Error);
    assert_eq!(reg.logger("db").effective_level(), LevelFilter::Trace);
    let none = Config::from_toml("").unwrap();
    let _applied = applied.replace(&none).map_err(|(_, e)| e).unwrap();
    assert_eq!(scope.effective_level(), LevelFilter::Debug);
}
