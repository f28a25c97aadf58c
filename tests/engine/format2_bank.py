"""A small format-2 bank using every format-2 field, for tests that must not
depend on the content of the bank in ``questions/``."""

from __future__ import annotations

import shutil
from pathlib import Path

from assessment.config import DEFAULT_BANK_DIR

_MANIFEST2 = """\
format_version: 2
id: mini
version: '2.0'
title: {en: Mini bank}
languages: [en, ru]
modules: [main.yaml]
catalogues:
  references: references.yaml
  frameworks: frameworks.yaml
  recommendations: recommendations.yaml
rights:
- {id: privacy, label: {en: Privacy}, anchors: ICCPR art. 17}
- {id: movement, label: {en: Movement}, anchors: ICCPR art. 12}
- {id: expression, label: {en: Expression}, anchors: ICCPR art. 19}
steps:
- id: necessity
  label: {en: Necessity}
  description: {en: A pressing need.}
  references: [ref-a]
  strict_when: {question: m.functions, includes: live_fr}
- id: proportionality
  label: {en: Proportionality}
  description: {en: Fair balance.}
  references: [ref-a]
  weighs_residual: true
  burden_on_state: false
roles:
  status: m.status
  programme_types: m.functions
  engagement: m.engagement
absolute:
- id: opinion
  label: {en: Freedom of opinion}
  when: {question: m.opinions, equals: 'yes'}
  references: [ref-a]
cumulative:
  when: {question: m.linked, equals: 'yes'}
  rights: [privacy, movement]
  likelihood: 1
"""

_MODULE2 = """\
format_version: 2
bank: mini
bank_version: '2.0'
module: {id: main, title: {en: Main}}
sections:
- id: s.one
  title: {en: One}
  questions:
  - id: m.status
    type: single_choice
    text: {en: 'Status?'}
    allow_unknown: false
    options:
    - {value: planned, label: {en: Planned}}
    - {value: running, label: {en: Running}}
    rights: [privacy]
    references: [ref-a]
  - id: m.functions
    type: multiple_choice
    text: {en: 'Functions?'}
    options:
    - {value: recording, label: {en: Recording}, rights: []}
    - {value: live_fr, label: {en: Live face recognition}, rights: [privacy, expression]}
    - {value: anpr, label: {en: Number plates}}
    not_applicable: true
    rights: [privacy]
    references: [ref-a]
  - id: m.linked
    type: yes_no_unknown
    text: {en: 'Linked?'}
    option_rights: {'no': []}
    rights: [privacy]
    references: [ref-a]
  - id: m.opinions
    type: yes_no_unknown
    text: {en: 'Opinions?'}
    not_applicable: true
    rights: [expression]
    references: [ref-a]
  - id: m.authorisation
    type: single_choice
    text: {en: 'Who authorises each use?'}
    not_applicable: true
    options:
    - {value: court, label: {en: A court}}
    - {value: no_one, label: {en: No one}}
    rights: [privacy]
    references: [ref-a]
    step: necessity
    weight: decisive
    verdicts: {court: met, no_one: not_met}
    practice: design
    planned_text: {en: 'Who will authorise each use?'}
  - id: m.other_uses
    type: yes_no_unknown
    text: {en: 'Has it been used for other purposes?'}
    rights: [privacy]
    references: [ref-a]
    step: proportionality
    verdicts: {'yes': not_met, 'no': met}
    practice: gap
  - id: m.depends_on_gap
    type: scale4
    text: {en: 'How often?'}
    show_if: {question: m.other_uses, equals: 'yes'}
    not_applicable: true
    option_rights: {1: []}
    rights: [privacy]
    references: [ref-a]
  - id: m.engagement
    type: group
    text: {en: Engagement}
    required: false
    rights: [privacy]
    references: [ref-a]
    step: proportionality
    verdicts: {rows: met, empty: not_met}
    fields:
    - {id: who, type: short_text, text: {en: Who}}
"""

_CATALOGUES2 = {
    "references.yaml": """\
format_version: 2
bank: mini
references:
- {id: ref-a, citation: A citation, provision: {en: art. 1}}
""",
    "frameworks.yaml": """\
format_version: 2
bank: mini
frameworks:
- id: fw
  title: {en: A framework}
  elements:
  - {id: one, label: {en: One}}
""",
    "recommendations.yaml": """\
format_version: 2
bank: mini
recommendations:
- id: rec.one
  when: {question: m.linked, equals: 'yes'}
  priority: 1
  rights: [privacy]
  references: [ref-a]
  text: {en: Keep the systems apart.}
""",
}


def write_mini_bank(target: Path) -> Path:
    """Write the mini bank into the new directory ``target`` and return it."""
    target.mkdir()
    shutil.copytree(DEFAULT_BANK_DIR / "schema", target / "schema")
    (target / "bank.yaml").write_text(_MANIFEST2, encoding="utf-8")
    (target / "main.yaml").write_text(_MODULE2, encoding="utf-8")
    for name, text in _CATALOGUES2.items():
        (target / name).write_text(text, encoding="utf-8")
    return target
