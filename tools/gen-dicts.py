#!/usr/bin/env python3
"""Generate QuickFIX-format data dictionaries from the FIX Repository.

usage: gen-dicts.py [-H header] fix_repo.zip outdir

Reads the FIX Repository (the "Base" files of FIX.4.0 ... FIX.5.0SP2, as
shipped for instance in the npm package jspurefix as data/fix_repo.zip) and
writes FIX40.xml ... FIX50SP2.xml and FIXT11.xml into outdir, plus the C
header libfixutil/datatags.h listing every (length, data) field pair known
to any version (-H overrides its path).

How the repository is read:
- Fields.xml, Enums.xml, Messages.xml, Components.xml and MsgContents.xml of
  each version.  MsgContents holds the body of every message and component,
  keyed by ComponentID, ordered by Position; Indent gives the nesting: an
  entry followed by deeper-indented entries is a NumInGroup field that
  starts a repeating group (4.0-4.2 express all groups this way, 4.3+ mostly
  through components whose body is such a group).
- StandardHeader/StandardTrailer become <header>/<trailer>, with every
  component inside them expanded in place.
- FIX 4.4 follows QuickFIX's FIX44.xml: the repository's "implicit"
  components (ImplicitBlock, ImplicitBlockRepeating, ...) are expanded in
  place, only named blocks stay components.  FIX 5.0+ keep them all, as
  QuickFIX's FIX50*.xml do.
- FIXT11.xml is assembled from FIX.5.0SP2: header, trailer and the messages
  of category Session, everything expanded in place, and only the fields
  they use.  FIX50*.xml carry empty <header/> and <trailer/> and only the
  application messages.
- The repository's FIX.4.3/Base/Fields.xml is a copy of FIX.4.2's (it even
  says version="FIX.4.2") and lacks about 250 fields 4.3 uses.  FIX.4.3's
  fields are therefore rebuilt from FIX.4.4's Fields.xml: every field added
  in 4.3 or earlier, with the name and type it had before 4.4 when the 4.4
  description says so ("Prior to FIX 4.4 this field was named X / was of
  type Y").
  Where the 4.2 and 4.4 names of a tag differ, the 4.2 name is kept unless
  only the 4.4 name occurs in FIX.4.3's MsgContents/Enums texts, and fields
  new in 4.3 follow the renames the 4.3 texts confirm (LegSettlType ->
  LegSettlmntTyp as SettlType -> SettlmntTyp).
  Fields 4.4 dropped come from the 4.2 copy, and the three the repository
  defines nowhere (449, 450, 465) from a small table (EXTRA_43).
- In 4.0 and 4.1 the datatype "char" means a string; a field is CHAR when
  FIX.4.2 types the same tag char or Boolean, STRING otherwise.

Output is deterministic: the same zip gives byte-identical files.
"""

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET
import zipfile

# (repository dir, output file, major, minor, servicepack, mode)
VERSIONS = [
    ("FIX.4.0", "FIX40.xml", 4, 0, 0, "fix4"),
    ("FIX.4.1", "FIX41.xml", 4, 1, 0, "fix4"),
    ("FIX.4.2", "FIX42.xml", 4, 2, 0, "fix4"),
    ("FIX.4.3", "FIX43.xml", 4, 3, 0, "fix4"),
    ("FIX.4.4", "FIX44.xml", 4, 4, 0, "fix4"),
    ("FIX.5.0", "FIX50.xml", 5, 0, 0, "fix5"),
    ("FIX.5.0SP1", "FIX50SP1.xml", 5, 0, 1, "fix5"),
    ("FIX.5.0SP2", "FIX50SP2.xml", 5, 0, 2, "fix5"),
]
FIXT_SOURCE = "FIX.5.0SP2"

# Repository datatype -> QuickFIX type.
TYPES = {
    "int": "INT", "Length": "LENGTH", "NumInGroup": "NUMINGROUP",
    "SeqNum": "SEQNUM", "TagNum": "TAGNUM", "DayOfMonth": "DAYOFMONTH",
    "float": "FLOAT", "Qty": "QTY", "Price": "PRICE",
    "PriceOffset": "PRICEOFFSET", "Amt": "AMT", "Percentage": "PERCENTAGE",
    "char": "CHAR", "Boolean": "BOOLEAN", "String": "STRING",
    "MultipleValueString": "MULTIPLEVALUESTRING",
    "MultipleStringValue": "MULTIPLESTRINGVALUE",
    "MultipleCharValue": "MULTIPLECHARVALUE",
    "Country": "COUNTRY", "Currency": "CURRENCY", "Exchange": "EXCHANGE",
    "Language": "LANGUAGE", "MonthYear": "MONTHYEAR",
    "UTCTimestamp": "UTCTIMESTAMP", "UTCTimeOnly": "UTCTIMEONLY",
    "UTCDateOnly": "UTCDATEONLY", "UTCDate": "UTCDATE",
    "LocalMktDate": "LOCALMKTDATE", "TZTimeOnly": "TZTIMEONLY",
    "TZTimestamp": "TZTIMESTAMP", "data": "DATA", "XMLData": "XMLDATA",
    # FIX 4.0/4.1 only
    "time": "UTCTIMESTAMP", "date": "DATE",
}
DATA_TYPES = ("data", "XMLData")

# Repository message names QuickFIX spells differently (FIX 4.0-4.3).
MSG_NAMES = {"OrderSingle": "NewOrderSingle", "OrderList": "NewOrderList"}

# Component types kept as <component> in FIX 4.x; the others are expanded.
FIX4_KEPT = ("Block", "BlockRepeating")

HEADER = "StandardHeader"
TRAILER = "StandardTrailer"


class GenError(Exception):
    pass


WARNED = set()


def warn(msg):
    if msg not in WARNED:
        WARNED.add(msg)
        print("gen-dicts: warning: %s" % msg, file=sys.stderr)


def vkey(v):
    """Order key of a repository version string such as FIX.4.3 or FIX.5.0SP1."""
    m = re.match(r"FIX\.(\d+)\.(\d+)(?:SP(\d+))?$", v or "")
    if not m:
        return (99, 0, 0)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def text(e, tag):
    t = e.findtext(tag)
    return t.strip() if t is not None else None


class Repo:
    def __init__(self, zf):
        self.zf = zf
        self.names = zf.namelist()

    def load(self, version, what):
        suffix = "%s/Base/%s.xml" % (version, what)
        hits = sorted(n for n in self.names if n.endswith(suffix)
                      and (n == suffix or n.endswith("/" + suffix)))
        if not hits:
            raise GenError("%s not in the zip" % suffix)
        return ET.fromstring(self.zf.read(hits[0]))


class Field:
    def __init__(self, tag, name, rtype, assoc=None):
        self.tag = tag
        self.name = name
        self.rtype = rtype      # repository datatype
        self.qtype = None       # QuickFIX type
        self.assoc = assoc      # AssociatedDataTag
        self.values = []        # [(enum, description)]
        self.added = None       # repository version that added it
        self.desc = ""


class Node:
    """One MsgContents entry: a field (tag) or a component (name)."""

    def __init__(self, tag, comp, reqd):
        self.tag = tag
        self.comp = comp
        self.reqd = reqd
        self.children = []      # group members when tag is a NumInGroup


def read_fields(repo, version):
    fields = {}
    for e in repo.load(version, "Fields"):
        tag = int(text(e, "Tag"))
        assoc = text(e, "AssociatedDataTag")
        fields[tag] = Field(tag, text(e, "Name"), text(e, "Type"),
                            int(assoc) if assoc else None)
        fields[tag].added = e.get("added")
        fields[tag].desc = text(e, "Description") or ""
    return fields


# FIX 4.3 fields that FIX 4.4 dropped and the repository defines nowhere,
# from the FIX 4.3 specification (their enums are in FIX.4.3/Base/Enums.xml).
EXTRA_43 = [
    (449, "TotalVolumeTradedDate", "UTCDate"),
    (450, "TotalVolumeTradedTime", "UTCTimeOnly"),
    (465, "QuantityType", "int"),
]


def fields_43(repo):
    """Rebuild FIX.4.3's fields (see the top of the file)."""
    f42 = read_fields(repo, "FIX.4.3")     # really FIX.4.2's
    f44 = read_fields(repo, "FIX.4.4")
    # text written for 4.3, to tell which name 4.3 used
    words = {}
    for what in ("MsgContents", "Enums"):
        for w in re.findall(r"\w+", " ".join(repo.load("FIX.4.3", what)
                                             .itertext())):
            words[w] = words.get(w, 0) + 1
    out = {}
    for tag, f in f42.items():
        if tag not in f44:      # in 4.2 and 4.3, gone in 4.4
            out[tag] = f
    for tag, name, rtype in EXTRA_43:
        out[tag] = Field(tag, name, rtype)
    renamed = []                # (4.4 name, 4.3 name)
    for tag in sorted(f44):
        f = f44[tag]
        if vkey(f.added) > vkey("FIX.4.3"):
            continue
        m = re.search(r"[Pp]rior to FIX 4\.4,? this field was named "
                      r"[\"']?(\w+)", f.desc)
        old = f42.get(tag)
        if m:
            f.name = m.group(1)
        elif old and old.name != f.name:
            # renamed in 4.3 or in 4.4: keep the 4.2 name unless only the
            # 4.4 name occurs in the 4.3 texts
            if not (words.get(f.name) and not words.get(old.name)):
                if words.get(old.name):
                    renamed.append((f.name, old.name))
                f.name = old.name
        m = re.search(r"[Pp]rior to FIX 4\.4,? (?:this )?field was of "
                      r"type [\"']?(\w+)", f.desc)
        if m and m.group(1) in TYPES:
            f.rtype = m.group(1)
        out[tag] = f
    # fields new in 4.3 follow the renames found above
    # (LegSettlType -> LegSettlmntTyp as SettlType -> SettlmntTyp)
    for tag in sorted(out):
        f = out[tag]
        if f.added != "FIX.4.3" or tag in f42:
            continue
        for new, old in renamed:
            if f.name.endswith(new) and f.name != new:
                f.name = f.name[:-len(new)] + old
                break
    return out


def enum_name(sym):
    s = re.sub(r"[^A-Za-z0-9]+", "_", sym)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z])([0-9])", r"\1_\2", s)
    return re.sub(r"_+", "_", s).strip("_").upper()


def read_enums(repo, version, fields):
    rows = []
    for i, e in enumerate(repo.load(version, "Enums")):
        tag = int(text(e, "Tag"))
        sort = text(e, "Sort")
        rows.append((tag, int(sort) if sort and sort.isdigit() else 0, i, e))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    for tag, _, _, e in rows:
        f = fields.get(tag)
        if f is None:
            continue
        val = text(e, "Value")
        if val is None or any(v == val for v, _ in f.values):
            continue
        desc = enum_name(text(e, "SymbolicName") or text(e, "Description")
                         or val)
        f.values.append((val, desc))


class Version:
    def __init__(self, repo, version, mode):
        self.version = version
        self.mode = mode
        if version == "FIX.4.3":
            self.fields = fields_43(repo)
        else:
            self.fields = read_fields(repo, version)
        read_enums(repo, version, self.fields)
        self.set_types(repo)
        self.byname = {f.name: f for f in self.fields.values()}

        self.comp_type = {}
        self.comp_order = []
        cid_name = {}
        for e in repo.load(version, "Components"):
            name = text(e, "Name")
            self.comp_type[name] = text(e, "ComponentType")
            self.comp_order.append(name)
            cid_name[text(e, "ComponentID")] = name
        self.messages = []
        self.msg_cat = {}
        for e in repo.load(version, "Messages"):
            name = text(e, "Name")
            self.messages.append((name, text(e, "MsgType")))
            self.msg_cat[name] = text(e, "CategoryID")
            cid_name[text(e, "ComponentID")] = name

        rows = {}
        for i, e in enumerate(repo.load(version, "MsgContents")):
            cid = text(e, "ComponentID")
            if cid not in cid_name:
                raise GenError("%s: MsgContents for unknown ComponentID %s"
                               % (version, cid))
            rows.setdefault(cid_name[cid], []).append(
                (float(text(e, "Position")), i, int(text(e, "Indent")),
                 text(e, "TagText"), text(e, "Reqd") == "1"))
        self.body = {}
        for name, r in rows.items():
            r.sort(key=lambda x: (x[0], x[1]))
            self.body[name] = self.build(name, r)
        for name in self.comp_order:
            self.body.setdefault(name, [])

    def set_types(self, repo):
        old = self.version in ("FIX.4.0", "FIX.4.1")
        f42 = read_fields(repo, "FIX.4.2") if old else {}
        for f in self.fields.values():
            if f.rtype not in TYPES:
                raise GenError("%s: field %d %s: unknown type %s"
                               % (self.version, f.tag, f.name, f.rtype))
            f.qtype = TYPES[f.rtype]
            if old and f.rtype == "char":
                g = f42.get(f.tag)
                f.qtype = ("CHAR" if g and g.rtype in ("char", "Boolean")
                           else "STRING")

    def build(self, owner, rows):
        """Turn the (Indent, TagText, Reqd) list into a tree of Nodes."""
        top = []
        stack = [(-1, None)]    # (indent, node whose children we fill)
        last = None
        for _, _, indent, tagtext, reqd in rows:
            if tagtext.isdigit():
                node = Node(int(tagtext), None, reqd)
                if node.tag not in self.fields:
                    raise GenError("%s: %s uses undefined field %s"
                                   % (self.version, owner, tagtext))
            else:
                node = Node(None, tagtext, reqd)
            if indent > stack[-1][0] + 1:
                # deeper than the open level: the previous entry starts a group
                if last is None or last.tag is None or indent != stack[-1][0] + 2:
                    raise GenError("%s: %s: bad indent at %s"
                                   % (self.version, owner, tagtext))
                stack.append((indent - 1, last))
            while indent <= stack[-1][0]:
                stack.pop()
            (stack[-1][1].children if stack[-1][1] else top).append(node)
            last = node
        return top


# --- output -----------------------------------------------------------------

def esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def attrs(pairs):
    return "".join(' %s="%s"' % (k, esc(str(v))) for k, v in pairs)


class Writer:
    def __init__(self, ver, expand):
        self.v = ver
        self.expand = expand    # component name -> bool: expand in place
        self.out = []
        self.used_fields = set()
        self.used_comps = set()

    def line(self, depth, s):
        self.out.append(" " * depth + s)

    def items(self, nodes, depth, reqd_ok, path, expand_all=False):
        seen = set()
        self._items(nodes, depth, reqd_ok, path, expand_all, seen)

    def _items(self, nodes, depth, reqd_ok, path, expand_all, seen):
        yn = lambda r: "Y" if r and reqd_ok else "N"
        for n in nodes:
            if n.tag is not None:
                f = self.v.fields[n.tag]
                if n.tag in seen:
                    # a repository error (FIX.4.3 RegistrationInstructions
                    # lists OwnershipType twice): keep the first
                    warn("%s: %s: field %s twice, second dropped"
                         % (self.v.version, path[0], f.name))
                    continue
                seen.add(n.tag)
                self.used_fields.add(n.tag)
                if not n.children:
                    self.line(depth, "<field%s/>"
                              % attrs([("name", f.name), ("required", yn(n.reqd))]))
                    continue
                if (vkey(self.v.version) >= vkey("FIX.4.3")
                        and f.rtype != "NumInGroup"):
                    warn("%s: %s: group %s has type %s"
                         % (self.v.version, path[0], f.name, f.rtype))
                self.line(depth, "<group%s>"
                          % attrs([("name", f.name), ("required", yn(n.reqd))]))
                self._items(n.children, depth + 1, True, path, expand_all,
                            set())
                self.line(depth, "</group>")
                continue
            name = n.comp
            if name not in self.v.comp_type:
                raise GenError("%s: %s: unknown component %s"
                               % (self.v.version, path[0], name))
            if name in path:
                raise GenError("%s: component %s contains itself"
                               % (self.v.version, name))
            if expand_all or self.expand(name):
                self._items(self.v.body[name], depth, reqd_ok and n.reqd,
                            path + (name,), expand_all, seen)
            else:
                self.used_comps.add(name)
                self.line(depth, "<component%s/>"
                          % attrs([("name", name), ("required", yn(n.reqd))]))

    def section(self, tag, nodes, path):
        if not nodes:
            self.line(1, "<%s/>" % tag)
            return
        self.line(1, "<%s>" % tag)
        self.items(nodes, 2, True, path, expand_all=True)
        self.line(1, "</%s>" % tag)

    def strip(self, name):
        """Body of a message without its header and trailer."""
        return [n for n in self.v.body.get(name, [])
                if n.comp not in (HEADER, TRAILER)]

    def write(self, fixtype, major, minor, sp, messages, header, components,
              all_fields):
        self.line(0, "<fix%s>" % attrs([("type", fixtype), ("major", major),
                                        ("minor", minor),
                                        ("servicepack", sp)]))
        self.section("header", self.v.body[HEADER] if header else [],
                     (HEADER,))
        self.line(1, "<messages>")
        for name, mtype in messages:
            cat = "admin" if self.v.msg_cat[name] == "Session" else "app"
            self.line(2, "<message%s>" % attrs([
                ("name", MSG_NAMES.get(name, name)), ("msgtype", mtype),
                ("msgcat", cat)]))
            self.items(self.strip(name), 3, True, (name,))
            self.line(2, "</message>")
        self.line(1, "</messages>")
        self.section("trailer", self.v.body[TRAILER] if header else [],
                     (TRAILER,))
        comps = [c for c in self.v.comp_order if components(c)]
        if comps:
            self.line(1, "<components>")
            for c in comps:
                self.line(2, "<component%s>" % attrs([("name", c)]))
                self.items(self.v.body[c], 3, True, (c,))
                self.line(2, "</component>")
            self.line(1, "</components>")
        else:
            self.line(1, "<components/>")
        missing = self.used_comps - set(comps)
        if missing:
            raise GenError("%s: components used but not written: %s"
                           % (self.v.version, " ".join(sorted(missing))))
        tags = sorted(self.v.fields) if all_fields else sorted(self.used_fields)
        self.line(1, "<fields>")
        for t in tags:
            f = self.v.fields[t]
            a = attrs([("number", t), ("name", f.name), ("type", f.qtype)])
            if not f.values:
                self.line(2, "<field%s/>" % a)
                continue
            self.line(2, "<field%s>" % a)
            for val, desc in f.values:
                self.line(3, "<value%s/>" % attrs([("enum", val),
                                                   ("description", desc)]))
            self.line(2, "</field>")
        self.line(1, "</fields>")
        self.line(0, "</fix>")
        return "\n".join(self.out) + "\n"


def is_implicit(v, name):
    return v.comp_type.get(name) not in FIX4_KEPT


def gen_fix(v, major, minor, sp):
    if v.mode == "fix4":
        # QuickFIX's FIX44.xml: implicit blocks are expanded in place
        w = Writer(v, lambda c: is_implicit(v, c))
        keep = lambda c: c not in (HEADER, TRAILER) and not is_implicit(v, c)
        return w.write("FIX", major, minor, sp, v.messages, True, keep, True)
    w = Writer(v, lambda c: False)
    msgs = [m for m in v.messages if v.msg_cat[m[0]] != "Session"]
    keep = lambda c: c not in (HEADER, TRAILER)
    return w.write("FIX", major, minor, sp, msgs, False, keep, True)


def gen_fixt(v):
    w = Writer(v, lambda c: True)
    msgs = [m for m in v.messages if v.msg_cat[m[0]] == "Session"]
    return w.write("FIXT", 1, 1, 0, msgs, True, lambda c: False, False)


def datatags(vers):
    pairs = set()
    for v in vers:
        for f in v.fields.values():
            if f.rtype != "Length":
                continue
            d = v.fields.get(f.assoc) if f.assoc else None
            if d is None:
                m = re.match(r"(\w+?)(?:Len|Length)$", f.name)
                d = v.byname.get(m.group(1)) if m else None
            if d is not None and d.rtype in DATA_TYPES:
                pairs.add((f.tag, d.tag))
    lens = {}
    for l, d in sorted(pairs):
        if l in lens:
            raise GenError("length field %d pairs with %d and %d"
                           % (l, lens[l], d))
        lens[l] = d
    items = ["{%d, %d}" % p for p in sorted(pairs)]
    lines = []
    for i in range(0, len(items), 6):
        lines.append("\t" + ", ".join(items[i:i + 6]) + ",")
    return ("/* Generated by tools/gen-dicts.py from the FIX Repository; "
            "do not edit. */\n"
            "static const struct { unsigned len, data; } "
            "fixu_std_datatags[] = {\n" + "\n".join(lines) + "\n};\n")


def write_file(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fp:
        fp.write(data)
    os.replace(tmp, path)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(
        description="Generate QuickFIX-format dictionaries from the FIX "
                    "Repository.")
    ap.add_argument("-H", dest="header",
                    default=os.path.join(root, "libfixutil", "datatags.h"),
                    help="path of the generated C header "
                         "(default: libfixutil/datatags.h)")
    ap.add_argument("zip", help="fix_repo.zip")
    ap.add_argument("outdir", help="output directory for the XML files")
    a = ap.parse_args()
    try:
        with zipfile.ZipFile(a.zip) as zf:
            repo = Repo(zf)
            vers = []
            outputs = []
            for rv, fname, major, minor, sp, mode in VERSIONS:
                v = Version(repo, rv, mode)
                vers.append(v)
                outputs.append((fname, gen_fix(v, major, minor, sp)))
                if rv == FIXT_SOURCE:
                    outputs.append(("FIXT11.xml", gen_fixt(v)))
            header = datatags(vers)
    except (GenError, OSError, zipfile.BadZipFile, ET.ParseError) as e:
        sys.exit("gen-dicts: %s" % e)
    os.makedirs(a.outdir, exist_ok=True)
    for fname, data in outputs:
        write_file(os.path.join(a.outdir, fname), data)
    os.makedirs(os.path.dirname(os.path.abspath(a.header)), exist_ok=True)
    write_file(a.header, header)


if __name__ == "__main__":
    main()
