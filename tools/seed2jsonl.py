#!/usr/bin/python3
"""Convert the 2024 seed report into one submission per respondent.

The seed report (text extracted from the published PDF of the 令和6年度 round,
``shared/seed/000_e942c625663d308d.txt``) is the only record we have of the
2024 answers.  This tool turns the parts of it that are per-respondent into
one JSON submission per respondent of ``roster.csv``, in roster order, written
as JSON Lines (``data/r6/responses.jsonl``)::

    {"survey":"shoman-jiritsu-r6","respondent":"010006","base_revision":0,
     "note":"...","answers":{"holders":2203,"consult":"yes",...}}

What is converted:

* section 2, the per-respondent matrix: ``holders`` and the ten ○/×/-
  columns (``consult`` ... ``other_support``);
* section 3-3, the supporter's contractor and the reason it was chosen;
* sections 5-9, the case listings of the five optional programs
  (背景, 対象者, 支援内容, 委託先, 財源).

Everything else (3-1, 3-2, 4) is published only as percentages, so those
answers stay missing.  The questionnaire (``survey.csv`` + ``choices.csv``,
XLSForm) is read, not hard-coded: answers are emitted in survey order, option
values are checked against the choice lists, constraints are checked, and an
answer to a question that is not relevant (its own ``relevant`` or that of its
group evaluates false) is left out.  Every value the seed gives that does not
make it into the output is listed in a report on stderr, together with the
cross-checks between the seed's own tables and the self-checks against the
published implementation rates.

Usage::

    python3 tools/seed2jsonl.py [--seed PATH] [--survey-dir DIR] [--out PATH]
                                [--check]

``--check`` regenerates the output in memory and compares it with the file at
``--out``: exit status 1 (naming the first differing line) if they differ.
Exit status 2 is a usage error; 3 means the seed could not be converted or a
self-check failed (nothing is written then).
Standard library only; runs with Debian's /usr/bin/python3 (3.11).
"""

import argparse
import csv
import json
import os
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SEED = REPO.parent / "shared" / "seed" / "000_e942c625663d308d.txt"
DEFAULT_SURVEY_DIR = REPO / "data" / "r6"
DEFAULT_OUT = DEFAULT_SURVEY_DIR / "responses.jsonl"

NOTE = "令和6年度 取組事例集（seed report）から転記"
BASE_REVISION = 0

# Section 2: the matrix columns after "#" and "自治体名", in seed order.
MATRIX_COLUMNS = [
    ("受給者証保有者数", "holders"),
    ("相談支援事業", "consult"),
    ("自立支援員の配置", "supporter"),
    ("自立支援員の外部委託", "supporter_outsourced"),
    ("実態把握事業", "fact_finding"),
    ("実態把握事業の外部委託", "fact_finding_outsourced"),
    ("療養生活支援事業", "care_support"),
    ("相互交流支援事業", "peer_exchange"),
    ("就職支援事業", "employment"),
    ("介護者支援事業", "carer_support"),
    ("その他の自立支援事業", "other_support"),
]
MARKS = {"○": "yes", "×": "no", "-": None}
MATRIX_TITLE = "2. 各自治体の事業実施状況："

# Section 3-3: the contractor listing.
CONTRACTOR_HEADER = ["自治体名", "外部委託先", "委託先選定理由"]
CONTRACTOR_QUESTIONS = ["supporter_contractor", "supporter_contractor_reason"]

# Sections 5-9: program label (also the survey label) -> question prefix.
PROGRAMS = [
    ("療養生活支援事業", "care_support"),
    ("相互交流支援事業", "peer_exchange"),
    ("就職支援事業", "employment"),
    ("介護者支援事業", "carer_support"),
    ("その他の自立支援事業", "other_support"),
]
PROGRAM_NUMBER = {prefix: str(number)
                  for number, (_, prefix) in enumerate(PROGRAMS, 5)}
DETAIL_ROWS = {
    "背景": "background",
    "対象者": "target",
    "支援内容": "content",
    "委託先": "contractor",
    "財源": "funding",
}

# Section 1-5: implementation rate table, label -> question.
RATE_LABELS = {
    "相談支援事業": "consult",
    "自立支援員による支援": "supporter",
    "実態把握事業": "fact_finding",
    "療養生活支援事業": "care_support",
    "相互交流支援事業": "peer_exchange",
    "就職支援事業": "employment",
    "介護者支援事業": "carer_support",
    "その他の自立支援事業": "other_support",
}

# Self-check figures (GUIDE.md section 1, and the seed's 1-5, 3-2 and 4).
EXPECTED_RATES = {
    "consult": 97, "supporter": 98, "fact_finding": 64, "care_support": 12,
    "peer_exchange": 53, "employment": 15, "carer_support": 11,
    "other_support": 30,
}
EXPECTED_CONDITIONAL = {
    # question: (yes count, parent question, parent yes count)
    "supporter_outsourced": (50, "supporter", 134),
    "fact_finding_outsourced": (12, "fact_finding", 88),
}

# 財源 phrases found in the seed, each mapped deliberately to an option of
# the `funding` list.  A cell is read as a sequence of these phrases separated
# by whitespace and bullets; a cell that does not decompose is left out.
FUNDING_PHRASES = {
    "小慢児童等自立支援事業費 国庫負担金を活用": "national_subsidy",
    "小慢児童等自立支援事業費国庫負担金を活用": "national_subsidy",
    "国庫負担金を活用": "national_subsidy",
    "自治体における単独事業にて実施": "local_budget",
    "予算を使わずに事業を実施している": "no_budget",
    "予算を使わずに事業を実施": "no_budget",
    "予算を使わずに実施": "no_budget",
}
FUNDING_SEPARATORS = " \t\u3000•・"

# Rendering artifacts: HTML tags of the PDF's list markup.  Only the tag and
# the whitespace around it are replaced (by one space); never any word.
HTML_TAG = re.compile(r"\s*</?(?:p|ul|ol|li)(?:\s[^<>]*)?>\s*")
EMPTY_TEXT = ("", "-")


class SeedError(Exception):
    """The seed or the questionnaire cannot be converted as expected."""


# ---------------------------------------------------------------------------
# Questionnaire (XLSForm sheets)


class Question:
    """One answerable row of survey.csv, with its group conditions."""

    def __init__(self, row, group_relevant):
        parts = row["type"].split()
        self.type = parts[0]
        self.list_name = parts[1] if len(parts) > 1 else None
        self.name = row["name"]
        self.label = row["label"]
        self.required = row.get("required", "") == "yes"
        constraint = row.get("constraint", "")
        self.constraint = Expression(constraint) if constraint else None
        # All conditions that must hold: enclosing groups', then its own.
        self.relevant = [Expression(c)
                         for c in group_relevant + [row["relevant"]] if c]

    def is_relevant(self, answers):
        return all(e.evaluate(answers) for e in self.relevant)


class Questionnaire:
    """survey.csv + choices.csv + settings.csv of one survey round."""

    def __init__(self, directory):
        directory = Path(directory)
        self.form_id = read_csv(directory / "settings.csv")[0]["form_id"]
        self.choices, self.choice_labels = {}, {}
        for row in read_csv(directory / "choices.csv"):
            self.choices.setdefault(row["list_name"], []).append(row["name"])
            self.choice_labels.setdefault(row["list_name"], []).append(
                row["label"])
        self.questions = []
        groups = []
        for row in read_csv(directory / "survey.csv"):
            kind = row["type"].strip()
            if kind == "begin_group":
                groups.append(row["relevant"])
            elif kind == "end_group":
                groups.pop()
            elif kind:
                self.questions.append(Question(row, list(groups)))
        self.by_name = {q.name: q for q in self.questions}
        self.roster = read_csv(directory / "roster.csv")

    def question(self, name):
        if name not in self.by_name:
            raise SeedError(f"question {name!r} is not in survey.csv")
        return self.by_name[name]


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------------------
# XLSForm expressions (the subset described in GUIDE.md section 2)

TOKEN = re.compile(r"""\s*(?:
    (?P<ref>\$\{[A-Za-z_][A-Za-z0-9_]*\})
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<int>\d+)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<punct>[(),.])
  | (?P<name>[A-Za-z][A-Za-z0-9_-]*)
)""", re.VERBOSE)


def tokenize(text):
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SeedError(f"cannot parse expression {text!r} at {pos}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class Expression:
    """A parsed relevance or constraint expression, evaluated on answers."""

    def __init__(self, text):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.tree = self.parse_or()
        if self.pos != len(self.tokens):
            raise SeedError(f"trailing input in expression {text!r}")

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value=None):
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise SeedError(f"expected {value!r} in expression {self.text!r}")
        self.pos += 1
        return token

    def parse_or(self):
        node = self.parse_and()
        while self.peek() == ("name", "or"):
            self.take()
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self):
        node = self.parse_comparison()
        while self.peek() == ("name", "and"):
            self.take()
            node = ("and", node, self.parse_comparison())
        return node

    def parse_comparison(self):
        node = self.parse_primary()
        token = self.peek()
        if token and token[0] == "op":
            self.take()
            node = ("cmp", token[1], node, self.parse_primary())
        return node

    def parse_primary(self):
        kind, value = self.take()
        if kind == "ref":
            return ("ref", value[2:-1])
        if kind == "str":
            return ("lit", value[1:-1])
        if kind == "int":
            return ("lit", int(value))
        if (kind, value) == ("punct", "."):
            return ("self",)
        if (kind, value) == ("punct", "("):
            node = self.parse_or()
            self.take(")")
            return node
        if kind == "name":
            self.take("(")
            args = [self.parse_or()]
            while self.peek() == ("punct", ","):
                self.take()
                args.append(self.parse_or())
            self.take(")")
            return ("call", value, args)
        raise SeedError(f"unexpected {value!r} in expression {self.text!r}")

    def evaluate(self, answers, current=None):
        return bool(self.eval_node(self.tree, answers, current))

    def eval_node(self, node, answers, current):
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "ref":
            return answers.get(node[1])
        if kind == "self":
            return current
        if kind == "and":
            return (self.eval_node(node[1], answers, current)
                    and self.eval_node(node[2], answers, current))
        if kind == "or":
            return (self.eval_node(node[1], answers, current)
                    or self.eval_node(node[2], answers, current))
        if kind == "cmp":
            left = self.eval_node(node[2], answers, current)
            right = self.eval_node(node[3], answers, current)
            return compare(node[1], left, right)
        args = [self.eval_node(a, answers, current) for a in node[2]]
        if node[1] == "not" and len(args) == 1:
            return not args[0]
        if node[1] == "selected" and len(args) == 2:
            return args[1] in as_list(args[0])
        if node[1] == "count-selected" and len(args) == 1:
            return len(as_list(args[0]))
        raise SeedError(f"unknown function {node[1]!r} in {self.text!r}")


def as_list(value):
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return str(value).split()


def compare(op, left, right):
    """XLSForm comparison; an unanswered question compares as ''."""
    if op in ("=", "!="):
        def text(v):
            if v is None:
                return ""
            return " ".join(v) if isinstance(v, list) else str(v)
        equal = text(left) == text(right)
        return equal if op == "=" else not equal
    try:
        a, b = int(left), int(right)
    except (TypeError, ValueError):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


# ---------------------------------------------------------------------------
# Report collected while converting


class Report:
    """Discrepancies and decisions, printed to stderr at the end."""

    def __init__(self):
        self.sections = []

    def section(self, title, lines):
        self.sections.append((title, list(lines)))

    def write(self, stream):
        for title, lines in self.sections:
            print(f"== {title}", file=stream)
            for line in lines or ["(none)"]:
                print(f"  {line}", file=stream)


# ---------------------------------------------------------------------------
# Seed parsing


class Roster:
    """Exact name matching of seed names to roster rows."""

    def __init__(self, rows):
        self.rows = rows
        self.names = {row["code"]: row["name"] for row in rows}
        self.by_name = {}
        for row in rows:
            self.by_name.setdefault(row["name"], []).append(row)

    def code(self, name, where):
        matches = self.by_name.get(name.strip(), [])
        if len(matches) != 1:
            raise SeedError(f"{where}: seed name {name!r} matches "
                            f"{len(matches)} roster rows (need exactly 1)")
        return matches[0]["code"]

    def name(self, code):
        return self.names[code]


def clean_cell(text):
    """Remove HTML list markup and trim; return (text, tags found)."""
    cleaned, count = HTML_TAG.subn(" ", text)
    return cleaned.strip(), count > 0


def parse_rates(lines):
    """Section 1-5: {question: percent} from the implementation-rate table."""
    start = lines.index("1-5. アンケート調査結果の概要")
    end = next(i for i, line in enumerate(lines)
               if line.startswith(MATRIX_TITLE))
    rates = {}
    for line in lines[start:end]:
        fields = line.split("\t")
        if len(fields) >= 2 and re.fullmatch(r"\d+%", fields[-1]):
            question = RATE_LABELS.get(fields[-2])
            if question is None:
                raise SeedError(f"1-5: unknown program {fields[-2]!r}")
            rates[question] = int(fields[-1][:-1])
    if set(rates) != set(RATE_LABELS.values()):
        raise SeedError("1-5: implementation-rate table incomplete")
    return rates


def parse_matrix(lines, roster):
    """Section 2: [(code, page type, {question: value or mark})]."""
    header = ["#", "自治体名"] + [label for label, _ in MATRIX_COLUMNS]
    rows, kind, in_table = [], None, False
    for number, line in enumerate(lines, 1):
        if line.startswith(MATRIX_TITLE):
            kind = re.sub(r"（\d+/\d+）$", "", line[len(MATRIX_TITLE):])
        elif line.startswith("#\t"):
            if line.split("\t") != header:
                raise SeedError(f"line {number}: unexpected matrix header")
            in_table = True
        elif in_table and re.match(r"\d+\t", line):
            fields = [f.strip() for f in line.split("\t")]
            if len(fields) != len(header):
                raise SeedError(f"line {number}: {len(fields)} matrix fields")
            if int(fields[0]) != len(rows) + 1:
                raise SeedError(f"line {number}: matrix row #{fields[0]} "
                                f"out of sequence")
            code = roster.code(fields[1], f"line {number} (section 2)")
            values = {}
            holders = fields[2]
            if not re.fullmatch(r"\d{1,3}(,\d{3})*|\d+", holders):
                raise SeedError(f"line {number}: holders {holders!r}")
            values["holders"] = int(holders.replace(",", ""))
            for (label, question), mark in zip(MATRIX_COLUMNS[1:], fields[3:]):
                if mark not in MARKS:
                    raise SeedError(f"line {number}: {label} mark {mark!r}")
                values[question] = mark
            rows.append((code, kind, values))
        elif in_table and not line.strip():
            in_table = False
    return rows


def parse_contractors(lines, roster):
    """Section 3-3: [(code, contractor, reason, line number)] in seed order."""
    rows, in_table = [], False
    for number, line in enumerate(lines, 1):
        if line.split("\t") == CONTRACTOR_HEADER:
            in_table = True
        elif in_table and line.strip():
            fields = line.split("\t")
            if len(fields) != len(CONTRACTOR_HEADER):
                raise SeedError(f"line {number}: {len(fields)} fields in 3-3")
            code = roster.code(fields[0], f"line {number} (section 3-3)")
            rows.append((code, fields[1], fields[2], number))
        else:
            in_table = False
    return rows


def parse_program_lists(lines, roster):
    """Sections 5-9's ＜実施自治体＞ lists: {prefix: [codes]} in seed order."""
    labels = dict(PROGRAMS)
    lists = {}
    for index, line in enumerate(lines):
        m = re.fullmatch(r"(.+?) ＜実施自治体＞", line.strip())
        if not m:
            continue
        prefix = labels.get(m.group(1))
        if prefix is None or prefix in lists:
            raise SeedError(f"line {index + 1}: unexpected program list")
        names, i = [], index + 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        while i < len(lines) and lines[i].startswith("- "):
            name = lines[i][2:].strip().lstrip("・").strip()
            names.append(roster.code(name, f"line {i + 1} (＜実施自治体＞)"))
            i += 1
        if not names:
            raise SeedError(f"line {index + 1}: empty ＜実施自治体＞ list")
        lists[prefix] = names
    return lists


def program_tables(lines):
    """Sections 5-9's case tables.

    Yields (prefix, line number of the header, [column headers],
    {row key: [raw cells]}) for each page "N. <program>（i/n）".  Checks that
    every program's pages 1..n are all present.
    """
    labels = dict(PROGRAMS)
    pages = {}
    i = 0
    while i < len(lines):
        m = re.fullmatch(r"[5-9]\. (.+?)（(\d+)/(\d+)）", lines[i].strip())
        i += 1
        if not m:
            continue
        prefix = labels.get(m.group(1))
        if prefix is None:
            raise SeedError(f"line {i}: unknown program {m.group(1)!r}")
        pages.setdefault(prefix, set()).add((int(m.group(2)), int(m.group(3))))
        while i < len(lines) and not lines[i].startswith("\t"):
            i += 1
        if i == len(lines):
            raise SeedError(f"{prefix}: page without a table at the end")
        header_line, columns = i + 1, lines[i].split("\t")[1:]
        rows = {}
        i += 1
        while i < len(lines) and lines[i].strip():
            fields = lines[i].split("\t")
            key = DETAIL_ROWS.get(fields[0].strip())
            if key is None or key in rows:
                raise SeedError(f"line {i + 1}: unexpected row {fields[0]!r}")
            if len(fields) != len(columns) + 1:
                raise SeedError(f"line {i + 1}: {len(fields) - 1} cells for "
                                f"{len(columns)} columns")
            rows[key] = fields[1:]
            i += 1
        yield prefix, header_line, columns, rows
    for prefix, seen in pages.items():
        count = {n for _, n in seen}
        if len(count) != 1 or {p for p, _ in seen} != set(
                range(1, count.pop() + 1)):
            raise SeedError(f"{prefix}: case pages incomplete: {sorted(seen)}")


def split_names(cell, roster, where):
    """A column header: one roster name, or several joined by '、'."""
    name = cell.strip()
    if name in roster.by_name or "、" not in name:
        return [roster.code(name, where)], False
    return [roster.code(part, where) for part in name.split("、")], True


def parse_programs(lines, roster):
    """Sections 5-9.

    Returns ({prefix: [codes of the ＜実施自治体＞ list]},
             {prefix: [(code, {row key: raw cell}, header line number)]},
             [report lines on column headers naming several respondents]).
    """
    lists = parse_program_lists(lines, roster)
    details, joined = {prefix: [] for _, prefix in PROGRAMS}, []
    for prefix, number, columns, rows in program_tables(lines):
        where = f"line {number} (section {PROGRAM_NUMBER[prefix]})"
        for index, header in enumerate(columns):
            codes, was_joined = split_names(header, roster, where)
            if was_joined:
                joined.append(f"{where}: column {header.strip()!r} applied "
                              f"to each of its {len(codes)} respondents")
            cells = {key: values[index] for key, values in rows.items()}
            details[prefix] += [(code, cells, number) for code in codes]
    missing = [label for label, prefix in PROGRAMS
               if prefix not in lists or not details[prefix]]
    if missing:
        raise SeedError(f"program sections not found: {missing}")
    return lists, details, joined


def parse_funding(text):
    """A 財源 cell -> list of option names, or None if it does not decompose."""
    found, pos = [], 0
    phrases = sorted(FUNDING_PHRASES, key=len, reverse=True)
    while pos < len(text):
        if text[pos] in FUNDING_SEPARATORS:
            pos += 1
            continue
        phrase = next((p for p in phrases if text.startswith(p, pos)), None)
        if phrase is None:
            return None
        found.append(FUNDING_PHRASES[phrase])
        pos += len(phrase)
    return found or None


# ---------------------------------------------------------------------------
# Conversion


def names_of(codes, roster):
    return "、".join(roster.name(c) for c in codes)


class Converter:
    """Collects the answers of every respondent and what was left out."""

    NO_VALUE = "no value in the seed (empty or '-')"
    NOT_IN_FORM = "not in the questionnaire"
    NO_FUNDING = "財源 text fits no funding option"
    NOT_RELEVANT = "not relevant (the seed gives a value anyway)"

    def __init__(self, seed_path, survey_dir):
        self.form = Questionnaire(survey_dir)
        self.roster = Roster(self.form.roster)
        if len(self.roster.rows) != len({r["code"] for r in self.roster.rows}):
            raise SeedError("roster.csv has duplicate codes")
        self.lines = Path(seed_path).read_text(encoding="utf-8").split("\n")
        self.report = Report()
        self.answers = {row["code"]: {} for row in self.roster.rows}
        self.source = {}  # (code, question) -> where the value came from
        self.left_out = {}  # reason -> {question: [(code, where, value)]}
        self.tag_cells = 0
        self.funding_tag_cells = 0
        self.funding_seen = {}  # cleaned 財源 text -> [count, options]

    def run(self):
        """Return (output lines, self-checks passed)."""
        self.load_matrix()
        self.load_contractors()
        self.load_programs()
        self.apply_relevance()
        self.report_left_out()
        self.report_unanswered()
        ok = self_checks(self.answers, parse_rates(self.lines), self.report)
        return [self.record(row["code"]) for row in self.roster.rows], ok

    def record(self, code):
        return json.dumps({
            "survey": self.form.form_id,
            "respondent": code,
            "base_revision": BASE_REVISION,
            "note": NOTE,
            "answers": self.answers[code],
        }, ensure_ascii=False, separators=(",", ":"))

    def put(self, code, question, value, where):
        self.form.question(question)
        if question in self.answers[code]:
            raise SeedError(f"{where}: second value for {question} of "
                            f"{self.roster.name(code)}")
        self.answers[code][question] = value
        self.source[(code, question)] = where

    def leave_out(self, reason, question, code, where, value):
        self.left_out.setdefault(reason, {}).setdefault(question, []).append(
            (code, where, value))

    def put_text(self, code, question, raw, where):
        """A free-text cell: tags removed, '-' and empty cells left out."""
        text, changed = clean_cell(raw)
        if text in EMPTY_TEXT:
            self.leave_out(self.NO_VALUE, question, code, where, text)
            return
        self.tag_cells += changed
        self.put(code, question, text, where)

    def put_funding(self, code, question, raw, where):
        """A 財源 cell: mapped to options of the `funding` list."""
        text, changed = clean_cell(raw)
        if text in EMPTY_TEXT:
            self.leave_out(self.NO_VALUE, question, code, where, text)
            return
        self.funding_tag_cells += changed
        options = parse_funding(text)
        self.funding_seen.setdefault(text, [0, options])[0] += 1
        if options is None:
            self.leave_out(self.NO_FUNDING, question, code, where, text)
            return
        order = self.form.choices["funding"]
        self.put(code, question, sorted(set(options), key=order.index), where)

    def yes(self, question):
        """Codes answering yes to `question`, in roster order."""
        return [c for c, a in self.answers.items() if a.get(question) == "yes"]

    # Section 2 -------------------------------------------------------------

    def load_matrix(self):
        matrix = parse_matrix(self.lines, self.roster)
        seen = {code for code, _, _ in matrix}
        if len(seen) != len(matrix):
            raise SeedError("section 2 lists a respondent twice")
        types = {r["code"]: r["type"] for r in self.roster.rows}
        notes = []
        for code, kind, values in matrix:
            for question, value in values.items():
                if question == "holders":
                    self.put(code, question, value, "section 2")
                elif MARKS[value] is not None:
                    self.put(code, question, MARKS[value],
                             f"section 2 ({value})")
            if kind != types[code]:
                notes.append(f"{self.roster.name(code)}: section 2 page "
                             f"{kind}, roster {types[code]}")
        absent = [r["name"] for r in self.roster.rows if r["code"] not in seen]
        if absent:
            raise SeedError(f"respondents missing from section 2: {absent}")
        self.report.section("section 2: matrix", [
            f"{len(matrix)} rows matched to roster.csv by exact name, in the "
            f"seed's numbering 1-{len(matrix)}; none missing"] + notes)

    # Section 3-3 -----------------------------------------------------------

    def load_contractors(self):
        rows = parse_contractors(self.lines, self.roster)
        listed = [code for code, _, _, _ in rows]
        if len(set(listed)) != len(listed):
            raise SeedError("section 3-3 lists a respondent twice")
        outsourced = [c for c in self.yes("supporter_outsourced")
                      if c in self.yes("supporter")]
        notes = [f"supporter_outsourced ○ (with supporter ○) in section 2: "
                 f"{len(outsourced)}, listed in 3-3: {len(listed)}"]
        missing = [c for c in outsourced if c not in listed]
        extra = [c for c in listed if c not in outsourced]
        if missing:
            notes.append("  outsourced but not listed in 3-3: "
                         + names_of(missing, self.roster))
        if extra:
            notes.append("  listed in 3-3 but not outsourced in section 2: "
                         + names_of(extra, self.roster))
        self.report.section("section 3-3 cross-checked with section 2", notes)
        for code, contractor, reason, number in rows:
            where = f"section 3-3 (line {number})"
            for question, raw in zip(CONTRACTOR_QUESTIONS,
                                     (contractor, reason)):
                self.put_text(code, question, raw, where)

    # Sections 5-9 ----------------------------------------------------------

    def load_programs(self):
        lists, details, joined = parse_programs(self.lines, self.roster)
        notes = []
        for label, prefix in PROGRAMS:
            notes += self.cross_check(label, prefix, lists[prefix],
                                      [code for code, _, _ in details[prefix]])
            for code, cells, number in details[prefix]:
                where = (f"section {PROGRAM_NUMBER[prefix]} "
                         f"(table at line {number})")
                for key, raw in cells.items():
                    question = f"{prefix}_{key}"
                    if question not in self.form.by_name:
                        text, _ = clean_cell(raw)
                        self.leave_out(self.NOT_IN_FORM, question, code,
                                       f"{where}, {label} {key}", text)
                    elif key == "funding":
                        self.put_funding(code, question, raw, where)
                    else:
                        self.put_text(code, question, raw, where)
        self.report.section("sections 5-9: ＜実施自治体＞ lists, section 2 "
                            "and case details cross-checked", notes)
        self.report.section("column headers naming several respondents "
                            "(decision: the column's cells are given to each)",
                            joined)
        self.report_funding()
        self.report.section(
            "HTML tag markup removed (each tag with the whitespace around it "
            "replaced by one space; no words changed)", [
                f"{self.tag_cells} text cells (3-3 and 5-9) changed",
                f"{self.funding_tag_cells} 財源 cells changed before mapping"])

    def cross_check(self, label, prefix, listed, detailed):
        """Section 2's ○ against the ＜実施自治体＞ list and the case columns."""
        for what, codes in (("＜実施自治体＞ list", listed),
                            ("case details", detailed)):
            if len(set(codes)) != len(codes):
                raise SeedError(f"{label}: {what} names a respondent twice")
        yes = self.yes(prefix)
        notes = [f"{label} ({prefix}): section 2 ○ {len(yes)}, "
                 f"＜実施自治体＞ {len(listed)}, case details {len(detailed)}"]
        for text, codes in (
                ("○ in section 2 but not in the ＜実施自治体＞ list",
                 [c for c in yes if c not in listed]),
                ("in the ＜実施自治体＞ list but not ○ in section 2",
                 [c for c in listed if c not in yes]),
                (f"○ in section 2 but no case details ({prefix}_* stay "
                 f"missing)", [c for c in yes if c not in detailed]),
                ("case details but not ○ in section 2",
                 [c for c in detailed if c not in yes])):
            if codes:
                notes.append(f"  {text}: {names_of(codes, self.roster)}")
        return notes

    def report_funding(self):
        labels = dict(zip(self.form.choices["funding"],
                          self.form.choice_labels["funding"]))
        lines = []
        for text, (count, options) in self.funding_seen.items():
            if options is None:
                target = "LEFT OUT (fits no option)"
            else:
                target = " + ".join(f"{o} ({labels[o]})"
                                    for o in dict.fromkeys(options))
            lines.append(f"{text!r} x{count} -> {target}")
        self.report.section("distinct 財源 texts and their mapping", lines)

    # Questionnaire rules ---------------------------------------------------

    def apply_relevance(self):
        """Drop answers to questions that are not relevant; check values."""
        for code, given in self.answers.items():
            kept = {}
            for q in self.form.questions:
                if q.name not in given:
                    continue
                if q.is_relevant(kept):
                    kept[q.name] = given[q.name]
                else:
                    self.leave_out(self.NOT_RELEVANT, q.name, code,
                                   self.source[(code, q.name)], given[q.name])
            self.answers[code] = kept
            check_values(self.form, code, kept, self.roster)

    def report_left_out(self):
        """Per reason and question: each respondent, or a count and list."""
        for reason, questions in self.left_out.items():
            total = sum(len(items) for items in questions.values())
            lines = []
            for name, items in questions.items():
                head = f"{name}: {len(items)}"
                if reason == self.NOT_RELEVANT:
                    q = self.form.by_name[name]
                    head = (f"{name} ({q.label}), relevant only if "
                            + " and ".join(e.text for e in q.relevant)
                            + f": {len(items)}")
                if len(items) <= 3:
                    lines.append(head)
                    lines += [f"  {self.roster.name(c)} ({c}): {where} "
                              f"gives {value!r}" for c, where, value in items]
                else:
                    values = ", ".join(sorted({repr(v) for _, _, v in items}))
                    codes = [code for code, _, _ in items]
                    lines.append(f"{head} (seed gives {values}): "
                                 + names_of(codes, self.roster))
            self.report.section(f"answers left out: {reason}: {total}", lines)

    def report_unanswered(self):
        counts = {}
        for given in self.answers.values():
            for q in self.form.questions:
                if (q.required and q.name not in given
                        and q.is_relevant(given)):
                    counts[q.name] = counts.get(q.name, 0) + 1
        self.report.section(
            "relevant required questions left unanswered (3-1, 3-2, 4 and "
            "3-3's contractor kind are not in the seed)",
            [f"{name}: {n}" for name, n in counts.items()])


def convert(seed_path, survey_dir):
    """Return (list of output lines, Report, self-checks passed)."""
    converter = Converter(seed_path, survey_dir)
    lines, ok = converter.run()
    return lines, converter.report, ok


def check_values(form, code, given, roster):
    """Option names, types and constraints; a failure is a converter bug."""
    for q in form.questions:
        if q.name not in given:
            continue
        value = given[q.name]
        where = f"{roster.name(code)} {q.name}"
        if q.type == "integer" and not isinstance(value, int):
            raise SeedError(f"{where}: not an integer: {value!r}")
        if q.type == "text" and not isinstance(value, str):
            raise SeedError(f"{where}: not a text: {value!r}")
        if q.type == "select_one" and value not in form.choices[q.list_name]:
            raise SeedError(f"{where}: not an option: {value!r}")
        if q.type == "select_multiple":
            order = form.choices[q.list_name]
            if (not value or any(v not in order for v in value)
                    or value != sorted(set(value), key=order.index)):
                raise SeedError(f"{where}: bad selection: {value!r}")
        if q.constraint and not q.constraint.evaluate(given, value):
            raise SeedError(f"{where}: violates {q.constraint.text!r}: "
                            f"{value!r}")


def percent(count, total):
    """Round half up from exact integers (34/80 -> 43)."""
    return (200 * count + total) // (2 * total)


def self_checks(answers, seed_rates, report):
    """Compare the converted answers with the published figures."""
    ok, lines = True, []

    def check(condition, text):
        nonlocal ok
        ok = ok and condition
        lines.append(("ok    " if condition else "FAILED ") + text)

    check(seed_rates == EXPECTED_RATES,
          f"seed 1-5 table reads {list(seed_rates.values())}")
    for question, expected in EXPECTED_RATES.items():
        given = [a[question] for a in answers.values() if question in a]
        yes = given.count("yes")
        rate = percent(yes, len(given)) if given else None
        check(rate == expected and len(given) == len(answers),
              f"{question}: yes {yes}/{len(given)} = {rate}% "
              f"(expected {expected}%)")
    for question, expected in EXPECTED_CONDITIONAL.items():
        yes_exp, parent, parent_exp = expected
        parent_yes = sum(a.get(parent) == "yes" for a in answers.values())
        given = [a[question] for a in answers.values() if question in a]
        yes = given.count("yes")
        check(yes == yes_exp and parent_yes == parent_exp
              and len(given) == parent_yes,
              f"{question}: yes {yes} of {parent_yes} with {parent} yes "
              f"({len(given)} answered) = {percent(yes, parent_yes)}% "
              f"(expected {yes_exp}/{parent_exp})")
    holders = [a["holders"] for a in answers.values() if "holders" in a]
    check(len(holders) == len(answers),
          f"holders: total {sum(holders):,} over {len(holders)} respondents")
    report.section("self-checks", lines)
    return ok


# ---------------------------------------------------------------------------
# Command line


def write_atomically(path, text):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def compare_with_file(path, lines):
    """Return None if the file holds exactly these lines, else a message."""
    try:
        committed = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return f"cannot read {path}: {e}"
    old = committed.splitlines(keepends=True)
    new = [line + "\n" for line in lines]
    if old == new:
        return None
    number = next((n for n, (a, b) in enumerate(zip(old, new), 1) if a != b),
                  min(len(old), len(new)) + 1)
    respondent = ""
    if number <= len(new):
        code = json.loads(new[number - 1])["respondent"]
        respondent = f" (respondent {code})"
    return (f"{path}: line {number}{respondent} differs from the regenerated "
            f"output ({len(old)} lines in the file, {len(new)} regenerated)")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Convert the 2024 seed report into responses.jsonl.")
    parser.add_argument("--seed", default=DEFAULT_SEED,
                        help="seed report text (default: %(default)s)")
    parser.add_argument("--survey-dir", default=DEFAULT_SURVEY_DIR,
                        help="XLSForm sheets and roster.csv "
                        "(default: %(default)s)")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help="output JSON Lines (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    out = Path(args.out)

    try:
        lines, report, ok = convert(args.seed, args.survey_dir)
    except (SeedError, OSError) as e:
        print(f"seed2jsonl: error: {e}", file=sys.stderr)
        return 3
    except KeyError as e:
        print(f"seed2jsonl: error: missing column {e} in a CSV sheet",
              file=sys.stderr)
        return 3
    print(f"seed2jsonl: {args.seed} -> {out} ({len(lines)} submissions)",
          file=sys.stderr)
    report.write(sys.stderr)
    if not ok:
        print("seed2jsonl: self-checks FAILED"
              + ("" if args.check else "; nothing written"), file=sys.stderr)
        return 3
    if args.check:
        problem = compare_with_file(out, lines)
        if problem:
            print(f"seed2jsonl: check FAILED: {problem}", file=sys.stderr)
            return 1
        print(f"seed2jsonl: check ok: {out} is up to date", file=sys.stderr)
        return 0
    write_atomically(out, "".join(line + "\n" for line in lines))
    print(f"seed2jsonl: wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
