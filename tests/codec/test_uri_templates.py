"""REST request-URI templates match as the plain regex of each template would.

compile_template makes a label possessive where what follows it could never be part of it (a
"/" after a segment label, the end after a greedy one), so that a failed match does not retry
every shorter label. That must change no match: for every REST operation's template of every
service, paths made from its own literals, odd characters and separators get the same groups
(or the same refusal) from the compiled regex and from the same regex without possessive
quantifiers.
"""

from __future__ import annotations

import random
import re

from pocketcloud.protocol import specs
from pocketcloud.protocol.uri import compile_template

PIECES = ["", "a", "bench", "put-1k", "x%2Fy", "2015-03-31", "//", "/", "a/b", "é", " ", "a.b", "{x}", ":b",
          ".json", "\n", "?", "%"]
PATHS_PER_TEMPLATE = 120


def _templates() -> list[str]:
    services = specs.index()["services"]
    return sorted({uri for info in services.values() for (_, uri, _, _) in info["operations"].values()})


def test_possessive_labels_match_as_the_plain_regex():
    rnd = random.Random(20261127)
    templates = _templates()
    assert len(templates) > 300
    possessive = 0
    differences = []
    for template in templates:
        compiled = compile_template(template).regex
        plain = re.compile(compiled.pattern.replace("[^/]++", "[^/]+").replace(".++", ".+"), re.S)
        possessive += plain.pattern != compiled.pattern
        path = template.partition("?")[0]
        labels = re.findall(r"\{[^}]+\}", path)
        literals = [part for part in re.split(r"\{[^}]+\}|/", path) if part]
        for _ in range(PATHS_PER_TEMPLATE):
            candidate = path
            for label in labels:
                filling = "".join(rnd.choice(PIECES + literals) for _ in range(rnd.randint(0, 3)))
                candidate = candidate.replace(label, filling, 1)
            if rnd.random() < 0.2:
                candidate += rnd.choice(["/", "//", "x", "\n"])
            want, got = plain.match(candidate), compiled.match(candidate)
            if (want is None) != (got is None) or (want is not None and want.groups() != got.groups()):
                differences.append((template, candidate))
    assert possessive > 250  # nearly every template has a label that can be possessive
    assert differences == []


def test_a_label_followed_by_other_text_stays_backtracking():
    # "{Id}.json" must give the label back its ".json" tail: not possessive.
    assert compile_template("/things/{Id}.json").regex.match("/things/a.b.json").groups() == ("a.b",)
    assert compile_template("/{Bucket}/{Key+}").regex.match("/b/k/x/").groups() == ("b", "k/x/")
    assert compile_template("/{Bucket}").regex.match("/b/").groups() == ("b",)
    assert compile_template("/{Bucket}").regex.match("/b/c") is None
