#!/usr/bin/env python3
"""The public API of a crate as sorted lines of text, from rustdoc's JSON output.

    RUSTC_BOOTSTRAP=1 cargo rustdoc -p scoped-logger-runtime --all-features -- \
        -Z unstable-options --output-format json
    python3 api/snapshot.py target/doc/scoped_logger_runtime.json > api/scoped-logger-runtime.txt

Every public path (items, re-exports, modules), every public method with its signature, enum
variants, public fields, trait implementations and `#[non_exhaustive]`: one line each, sorted,
so that a change to the API shows as a diff of lines. It also fails when one item can be
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


def ty(t):
    """A type, written as Rust would (close enough to diff)."""
    if t is None:
        return "()"
    (kind, v), = t.items()
    if kind == "resolved_path":
        return v["path"] + args(v.get("args"))
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
    if kind in ("impl_trait", "dyn_trait"):
        bounds = v if kind == "impl_trait" else v.get("traits", [])
        names = []
        for b in bounds:
            if "trait_bound" in b:
                tr = b["trait_bound"]["trait"]
                names.append(tr["path"] + args(tr.get("args")))
            elif "poly_trait" in b or "trait" in b:
                tr = b.get("trait") or b["poly_trait"]["trait"]
                names.append(tr["path"] + args(tr.get("args")))
            elif "outlives" in b:
                names.append(b["outlives"])
        if kind == "dyn_trait":
            names = [n["trait"]["path"] + args(n["trait"].get("args")) for n in v.get("traits", [])]
            if v.get("lifetime"):
                names.append(v["lifetime"])
        return ("impl " if kind == "impl_trait" else "dyn ") + " + ".join(names)
    if kind == "qualified_path":
        return f"<{ty(v['self_type'])}>::{v['name']}"
    if kind == "function_pointer":
        sig = v["sig"]
        return "fn(" + ", ".join(ty(x[1]) for x in sig["inputs"]) + ") -> " + ty(sig.get("output"))
    return kind


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
            parts.append(c["name"] + "=..")
        return "<" + ", ".join(parts) + ">" if parts else ""
    if "parenthesized" in a:
        p = a["parenthesized"]
        return "(" + ", ".join(ty(x) for x in p["inputs"]) + ") -> " + ty(p.get("output"))
    return ""


def sig(name, f):
    s = f["sig"]
    def param(n, t):
        if n == "self":
            return {"Self": "self", "&Self": "&self", "&mut Self": "&mut self"}.get(ty(t), f"self: {ty(t)}")
        return f"{n}: {ty(t)}"

    ins = ", ".join(param(n, t) for n, t in s["inputs"])
    out = s.get("output")
    gen = [p["name"] for p in f["generics"]["params"] if "lifetime" not in p["kind"]]
    g = "<" + ", ".join(gen) + ">" if gen else ""
    asyn = "async " if f["header"].get("is_async") else ""
    return f"{asyn}fn {name}{g}({ins})" + (f" -> {ty(out)}" if out else "")


def main(path):
    d = json.load(open(path))
    if d["format_version"] not in FORMAT_VERSIONS:
        sys.exit(f"rustdoc JSON format {d['format_version']}: teach api/snapshot.py this version")
    idx = d["index"]
    lines = set()
    seen_types = set()
    walked = set()
    paths = {}  # item id -> the public paths it is reachable at

    def reach(item_id, full):
        paths.setdefault(item_id, set()).add(full)

    def hidden(it):
        return any("hidden" in str(a) for a in it.get("attrs", []))

    def walk_module(mid, prefix):
        for i in idx[str(mid)]["inner"]["module"]["items"]:
            it = idx.get(str(i))
            if it is None or hidden(it) or it.get("visibility") != "public":
                continue
            (kind, v), = it["inner"].items()
            if kind == "use":
                target = idx.get(str(v.get("id")))
                if v["name"] == "__private" or (target and hidden(target)):
                    continue
                glob = "::*" if v["is_glob"] else ""
                lines.add(f"use {prefix}::{v['name']}{glob} = {v['source']}")
                # A local item re-exported from a private module is described where it is seen.
                if target and target.get("crate_id") == 0 and not v["is_glob"]:
                    (tkind, tv), = target["inner"].items()
                    full = f"{prefix}::{v['name']}"
                    reach(target["id"], full)
                    if tkind == "module":
                        if target["id"] not in walked:
                            walked.add(target["id"])
                            walk_module(target["id"], full)
                    else:
                        item(target, tkind, tv, full)
                continue
            name = it["name"]
            full = f"{prefix}::{name}"
            reach(it["id"], full)
            if kind == "module":
                lines.add(f"mod {full}")
                if i not in walked:
                    walked.add(i)
                    walk_module(i, full)
            else:
                item(it, kind, v, full)

    def item(it, kind, v, full):
        ne = " #[non_exhaustive]" if any("non_exhaustive" in str(a) for a in it.get("attrs", [])) else ""
        if kind == "function":
            lines.add(f"{sig(full, v)}")
        elif kind in ("struct", "enum", "union", "trait"):
            lines.add(f"{kind} {full}{ne}")
            if kind == "struct":
                sk = v["kind"]
                if "plain" in sk:
                    for fid in sk["plain"]["fields"]:
                        f = idx[str(fid)]
                        if f.get("visibility") == "public":
                            lines.add(f"field {full}.{f['name']}: {ty(f['inner']['struct_field'])}")
                elif "tuple" in sk:
                    for n, fid in enumerate(sk["tuple"]):
                        if fid is not None and idx[str(fid)].get("visibility") == "public":
                            lines.add(f"field {full}.{n}: {ty(idx[str(fid)]['inner']['struct_field'])}")
            if kind == "enum":
                for vid in v["variants"]:
                    var = idx[str(vid)]
                    vne = " #[non_exhaustive]" if any("non_exhaustive" in str(a) for a in var.get("attrs", [])) else ""
                    lines.add(f"variant {full}::{var['name']}{vne}")
            if kind == "trait":
                for mid in v["items"]:
                    m = idx[str(mid)]
                    if "function" in m["inner"]:
                        lines.add(f"trait-fn {full}::" + sig(m["name"], m["inner"]["function"]).replace("fn ", "", 1))
            if kind != "trait" and it["id"] not in seen_types:
                seen_types.add(it["id"])
                for imp in v.get("impls", []):
                    impl = idx[str(imp)]["inner"]["impl"]
                    if impl.get("is_synthetic") or impl.get("blanket_impl"):
                        continue
                    if impl.get("trait"):
                        tr = impl["trait"]
                        lines.add(f"impl {tr['path']}{args(tr.get('args'))} for {full}")
                        continue
                    for mid in impl["items"]:
                        m = idx[str(mid)]
                        if m.get("visibility") != "public" or hidden(m):
                            continue
                        if "function" in m["inner"]:
                            lines.add(f"method {full}::" + sig(m["name"], m["inner"]["function"]).replace("fn ", "", 1))
                        elif "assoc_const" in m["inner"]:
                            lines.add(f"const {full}::{m['name']}")
        elif kind in ("constant", "static"):
            lines.add(f"{kind} {full}")
        elif kind == "type_alias":
            lines.add(f"type {full} = {ty(v['type'])}")
        elif kind in ("macro", "proc_macro"):
            lines.add(f"macro {full}")
        else:
            lines.add(f"{kind} {full}")

    root = d["index"][str(d["root"])]
    walk_module(d["root"], root["name"])
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
