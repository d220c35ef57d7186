#!/usr/bin/env python3
"""The public API of a crate as sorted lines of text, from rustdoc's JSON output.

    RUSTC_BOOTSTRAP=1 cargo rustdoc -p scoped-logger-runtime --all-features -- \
        -Z unstable-options --output-format json
    python3 api/snapshot.py target/doc/scoped_logger_runtime.json > api/scoped-logger-runtime.txt

Every public path (items, re-exports, modules), every public function and method with its
signature and bounds, enum variants with their fields, public fields, traits with their
associated items, trait implementations, `#[non_exhaustive]` and `#[deprecated]`: one line
each, sorted, so that a change to the API shows as a diff of lines. Types are named by their
public path (or, for other crates' types, the canonical one), never as the source spells them,
so that moving code between private modules changes no line. It also fails when one item can be
reached at two public paths (one path per item). `.ci/run` regenerates the files and fails
when they differ from the committed ones: a change to the public API is made on purpose, by
committing the new snapshot with it. Hidden items (`#[doc(hidden)]`, the `__private` door for
generated code) are left out: they are not part of the API.

rustdoc's JSON is unstable, which is why it needs RUSTC_BOOTSTRAP on a stable toolchain; the
format version is checked below, and a new one fails loudly instead of producing a wrong diff.
"""
import json
import sys

FORMAT_VERSIONS = {57}


# Item id -> the path a signature names it by: its public path when it has one (filled in by
# main's first pass), else the canonical path rustdoc records (std's and other crates' types).
# Never the path the source happened to spell, so a refactor inside the crate changes nothing.
NAMES = {}


# The prelude's types, written as everyone writes them.
PRELUDE = {
    "core::option::Option": "Option",
    "core::result::Result": "Result",
    "alloc::string::String": "String",
    "alloc::vec::Vec": "Vec",
    "alloc::boxed::Box": "Box",
}


def named(v):
    name = NAMES.get(v.get("id"), v["path"])
    return PRELUDE.get(name, name)


def ty(t):
    """A type, written as Rust would (close enough to diff)."""
    if t is None:
        return "()"
    (kind, v), = t.items()
    if kind == "resolved_path":
        return named(v) + args(v.get("args"))
    if kind == "primitive":
        return v
    if kind == "generic":
        return v
    if kind == "borrowed_ref":
        lt = (v.get("lifetime") or "") + " " if v.get("lifetime") else ""
        mut = "mut " if v.get("is_mutable") else ""
        return f"&{lt}{mut}{ty(v['type'])}"
    if kind == "raw_pointer":
        return ("*mut " if v.get("is_mutable") else "*const ") + ty(v["type"])
    if kind == "tuple":
        return "(" + ", ".join(ty(x) for x in v) + ")"
    if kind == "slice":
        return "[" + ty(v) + "]"
    if kind == "array":
        return f"[{ty(v['type'])}; {v['len']}]"
    if kind == "impl_trait":
        return "impl " + bounds(v)
    if kind == "dyn_trait":
        names = [hrtb(n.get("generic_params")) + named(n["trait"]) + args(n["trait"].get("args"))
                 for n in v.get("traits", [])]
        if v.get("lifetime"):
            names.append(v["lifetime"])
        return "dyn " + " + ".join(names)
    if kind == "qualified_path":
        tr = v.get("trait")
        as_trait = f" as {named(tr)}{args(tr.get('args'))}" if tr else ""
        return f"<{ty(v['self_type'])}{as_trait}>::{v['name']}"
    if kind == "function_pointer":
        sig = v["sig"]
        return "fn(" + ", ".join(ty(x[1]) for x in sig["inputs"]) + ") -> " + ty(sig.get("output"))
    return kind


def hrtb(params):
    names = [p["name"] for p in params or []]
    return "for<" + ", ".join(names) + "> " if names else ""


def bounds(bs):
    """`Trait<..> + 'a + ..`, as a bound list is written."""
    out = []
    for b in bs or []:
        if "trait_bound" in b:
            tb = b["trait_bound"]
            modifier = {"maybe": "?", "maybe_const": "~const "}.get(tb.get("modifier"), "")
            tr = tb["trait"]
            out.append(modifier + hrtb(tb.get("generic_params")) + named(tr) + args(tr.get("args")))
        elif "outlives" in b:
            out.append(b["outlives"])
        elif "use" in b:
            out.append("use<" + ", ".join(str(x) for x in b["use"]) + ">")
    return " + ".join(out)


def args(a):
    if not a:
        return ""
    if "angle_bracketed" in a:
        parts = []
        for g in a["angle_bracketed"]["args"]:
            (k, val), = g.items()
            if k == "type":
                parts.append(ty(val))
            elif k == "lifetime":
                parts.append(val)
            elif k == "const":
                parts.append(str(val.get("expr", "_")))
        for c in a["angle_bracketed"].get("constraints", []):
            binding = c.get("binding") or {}
            if "equality" in binding:
                (kind, term), = binding["equality"].items()
                parts.append(f"{c['name']} = " + (ty(term) if kind == "type" else str(term.get("expr", "_"))))
            elif "constraint" in binding:
                parts.append(f"{c['name']}: " + bounds(binding["constraint"]))
            else:
                parts.append(c["name"])
        return "<" + ", ".join(parts) + ">" if parts else ""
    if "parenthesized" in a:
        p = a["parenthesized"]
        return "(" + ", ".join(ty(x) for x in p["inputs"]) + ") -> " + ty(p.get("output"))
    return ""


def generics(g):
    """`<'a, T: Bound = Default, const N: usize>` and ` where ..`, synthetic `impl Trait`
    parameters left out (they show in the parameter's type)."""
    params = []
    for p in g["params"]:
        (kind, v), = p["kind"].items()
        if kind == "lifetime":
            outlives = v.get("outlives") or []
            params.append(p["name"] + (": " + " + ".join(outlives) if outlives else ""))
        elif kind == "type":
            if v.get("is_synthetic"):
                continue
            b = bounds(v.get("bounds"))
            default = f" = {ty(v['default'])}" if v.get("default") else ""
            params.append(p["name"] + (f": {b}" if b else "") + default)
        elif kind == "const":
            params.append(f"const {p['name']}: {ty(v['type'])}")
    preds = []
    for w in g.get("where_predicates", []):
        (kind, v), = w.items()
        if kind == "bound_predicate":
            preds.append(hrtb(v.get("generic_params")) + f"{ty(v['type'])}: {bounds(v['bounds'])}")
        elif kind == "lifetime_predicate":
            preds.append(f"{v['lifetime']}: " + " + ".join(v.get("outlives", [])))
        elif kind == "eq_predicate":
            preds.append(f"{ty(v['lhs'])} == {v['rhs']}")
    return ("<" + ", ".join(params) + ">" if params else ""), (" where " + ", ".join(preds) if preds else "")


def sig(name, f, keyword="fn "):
    """`const async fn name<..>(..) -> T where ..`; `keyword=""` for methods' lines."""
    s = f["sig"]
    def param(n, t):
        if n == "self":
            return {"Self": "self", "&Self": "&self", "&mut Self": "&mut self"}.get(ty(t), f"self: {ty(t)}")
        return f"{n}: {ty(t)}"

    ins = ", ".join(param(n, t) for n, t in s["inputs"])
    out = s.get("output")
    g, where = generics(f["generics"])
    header = f["header"]
    quals = ("const " if header.get("is_const") else "") + ("async " if header.get("is_async") else "")
    return f"{quals}{keyword}{name}{g}({ins})" + (f" -> {ty(out)}" if out else "") + where


def marks(it):
    """` #[non_exhaustive]` and ` #[deprecated]`, as the item carries them."""
    m = ""
    if any("non_exhaustive" in str(a) for a in it.get("attrs", [])):
        m += " #[non_exhaustive]"
    if it.get("deprecation"):
        m += " #[deprecated]"
    return m


def main(path):
    d = json.load(open(path))
    if d["format_version"] not in FORMAT_VERSIONS:
        sys.exit(f"rustdoc JSON format {d['format_version']}: teach api/snapshot.py this version")
    idx = d["index"]
    for pid, p in d["paths"].items():
        NAMES[int(pid)] = "::".join(p["path"])
    paths = {}  # item id -> the public paths it is reachable at

    def reach(item_id, full):
        paths.setdefault(item_id, set()).add(full)

    def hidden(it):
        return any("hidden" in str(a) for a in it.get("attrs", []))

    lines = set()

    def walk(mid, prefix, walked, emit):
        """Every public item under module `mid`, as `emit(item, kind, inner, path)`."""
        for i in idx[str(mid)]["inner"]["module"]["items"]:
            it = idx.get(str(i))
            if it is None or hidden(it) or it.get("visibility") != "public":
                continue
            (kind, v), = it["inner"].items()
            if kind == "use":
                target = idx.get(str(v.get("id")))
                if v["name"] == "__private" or (target and hidden(target)):
                    continue
                full = f"{prefix}::{v['name']}"
                if v["is_glob"]:
                    lines.add(f"use {full}::* = {NAMES.get(v.get('id'), v['source'])}")
                elif not target or target.get("crate_id") != 0:
                    # Another crate's item: named by its canonical path, not as the source spells it.
                    lines.add(f"use {full} = {NAMES.get(v.get('id'), v['source'])}")
                else:
                    # A local item re-exported from a private module is described where it is seen.
                    (tkind, tv), = target["inner"].items()
                    reach(target["id"], full)
                    if tkind == "module":
                        lines.add(f"mod {full}")
                        if target["id"] not in walked:
                            walked.add(target["id"])
                            walk(target["id"], full, walked, emit)
                    else:
                        emit(target, tkind, tv, full)
                continue
            full = f"{prefix}::{it['name']}"
            reach(it["id"], full)
            if kind == "module":
                lines.add(f"mod {full}")
                if i not in walked:
                    walked.add(i)
                    walk(i, full, walked, emit)
            else:
                emit(it, kind, v, full)

    def field_ty(fid):
        return ty(idx[str(fid)]["inner"]["struct_field"])

    seen_types = set()

    def item(it, kind, v, full):
        ne = marks(it)
        if kind == "function":
            lines.add(f"{sig(full, v)}{ne}")
        elif kind in ("struct", "enum", "union", "trait"):
            g, where = generics(v["generics"])
            lines.add(f"{kind} {full}{g}{where}{ne}")
            if kind == "struct":
                sk = v["kind"]
                if "plain" in sk:
                    for fid in sk["plain"]["fields"]:
                        f = idx[str(fid)]
                        if f.get("visibility") == "public":
                            lines.add(f"field {full}.{f['name']}: {field_ty(fid)}{marks(f)}")
                elif "tuple" in sk:
                    for n, fid in enumerate(sk["tuple"]):
                        if fid is not None and idx[str(fid)].get("visibility") == "public":
                            lines.add(f"field {full}.{n}: {field_ty(fid)}")
            if kind == "enum":
                for vid in v["variants"]:
                    var = idx[str(vid)]
                    vk = var["inner"]["variant"]["kind"]
                    payload = ""
                    if isinstance(vk, dict) and "tuple" in vk:
                        payload = "(" + ", ".join("_" if f is None else field_ty(f) for f in vk["tuple"]) + ")"
                    elif isinstance(vk, dict) and "struct" in vk:
                        fields = [f"{idx[str(f)]['name']}: {field_ty(f)}" for f in vk["struct"]["fields"]]
                        if vk["struct"].get("has_stripped_fields"):
                            fields.append("..")
                        payload = " { " + ", ".join(fields) + " }"
                    lines.add(f"variant {full}::{var['name']}{payload}{marks(var)}")
            if kind == "trait":
                for mid in v["items"]:
                    m = idx[str(mid)]
                    if "function" in m["inner"]:
                        lines.add("trait-fn " + sig(f"{full}::{m['name']}", m["inner"]["function"], "") + marks(m))
                    elif "assoc_type" in m["inner"]:
                        at = m["inner"]["assoc_type"]
                        b = bounds(at.get("bounds"))
                        default = f" = {ty(at['type'])}" if at.get("type") else ""
                        lines.add(f"trait-type {full}::{m['name']}" + (f": {b}" if b else "") + default)
                    elif "assoc_const" in m["inner"]:
                        lines.add(f"trait-const {full}::{m['name']}: {ty(m['inner']['assoc_const']['type'])}")
            if kind != "trait" and it["id"] not in seen_types:
                seen_types.add(it["id"])
                for imp in v.get("impls", []):
                    impl = idx[str(imp)]["inner"]["impl"]
                    if impl.get("is_synthetic") or impl.get("blanket_impl"):
                        continue
                    if impl.get("trait"):
                        tr = impl["trait"]
                        g, where = generics(impl["generics"])
                        neg = "!" if impl.get("is_negative") else ""
                        lines.add(f"impl{g} {neg}{named(tr)}{args(tr.get('args'))} for {ty(impl['for'])}{where}")
                        continue
                    for mid in impl["items"]:
                        m = idx[str(mid)]
                        if m.get("visibility") != "public" or hidden(m):
                            continue
                        if "function" in m["inner"]:
                            lines.add("method " + sig(f"{full}::{m['name']}", m["inner"]["function"], "") + marks(m))
                        elif "assoc_const" in m["inner"]:
                            lines.add(f"const {full}::{m['name']}: {ty(m['inner']['assoc_const']['type'])}")
        elif kind in ("constant", "static"):
            lines.add(f"{kind} {full}: {ty(v['type'])}{ne}")
        elif kind == "type_alias":
            g, where = generics(v["generics"])
            lines.add(f"type {full}{g} = {ty(v['type'])}{where}{ne}")
        elif kind in ("macro", "proc_macro"):
            lines.add(f"macro {full}{ne}")
        else:
            lines.add(f"{kind} {full}{ne}")

    root = d["index"][str(d["root"])]
    # First pass: where each item is public, so that signatures name types by that path.
    walk(d["root"], root["name"], set(), lambda it, kind, v, full: None)
    for item_id, ps in paths.items():
        NAMES[item_id] = min(ps, key=lambda p: (p.count("::"), p))
    lines.clear()
    walk(d["root"], root["name"], set(), item)
    for line in sorted(lines):
        print(line)
    # One path per item: a name a user can write two ways is two names to document, and a
    # re-export that goes stale without anyone noticing.
    twice = sorted(sorted(p) for p in paths.values() if len(p) > 1)
    if twice:
        for p in twice:
            print("item reachable at more than one path: " + ", ".join(p), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1])
