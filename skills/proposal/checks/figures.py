"""Typed figures in text (SPEC §4 grounding): money, percentages, counts, multipliers and dates.

How text is read:
- ISO dates (2026-11-16) are dates, compared whole.
- Digits glued to letters belong to an identifier, not a quantity: Q3, P2, ACC-00001, u-00001-001.
- Money is a number next to a currency: a code before or after it ("USD 12,000", "33,240 USD"), a symbol
  ("$12,000", "€9k") or a currency word ("fifty thousand dollars"). Thousands separators are ignored and k/m
  scale: "$12k" is USD 12000. "18.8" is 18.8 exactly (no rounding).
- A percentage is a number followed by "%", "percent" or "per cent".
- A multiplier is "3x", "3×", or a word: double, twice, triple, quadruple (and their -d/-ing forms).
- Number words count too: "twelve", "a dozen", "fifty thousand", "twenty-five", "two hundred and fifty".
  "one" on its own is a pronoun far more often than a quantity ("no one", "one of"), so it counts only in a
  compound ("one hundred", "twenty-one") or before a currency or percent; "half" and ordinals never count.
- Every other number is a count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Literal, NamedTuple

from skills.evidence import Result
from skills.proposal.schema import Figures

FigureKind = Literal["money", "percent", "count", "multiplier", "date"]

CURRENCY_CODES = frozenset(
    [
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "CAD",
        "AUD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "NZD",
        "SGD",
        "HKD",
        "INR",
        "BRL",
        "MXN",
        "ZAR",
        "CNY",
        "PLN",
        "CZK",
        "ILS",
        "AED",
    ]
)
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP"}
UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
MULTIPLIER_WORDS = {
    "double": 2, "doubled": 2, "doubles": 2, "doubling": 2, "twice": 2,
    "triple": 3, "tripled": 3, "triples": 3, "tripling": 3, "thrice": 3,
    "quadruple": 4, "quadrupled": 4, "quadrupling": 4,
}  # fmt: skip
PERCENT_WORDS = ("percent", "per cent")
_SCALE_SUFFIX = {"k": Decimal(1000), "m": Decimal(1_000_000)}

_TOKEN = re.compile(
    r"(?P<date>(?<!\d)\d{4}-\d{2}-\d{2}(?!\d))"
    r"|(?P<ident>(?<!\w)[A-Za-z_]+\d\w*(?:[-./]\w+)*|(?<!\w)[A-Za-z_]\w*(?:[-./]\w+)*[-./]\w*\d\w*(?:[-./]\w+)*)"
    r"|(?P<num>(?<![\w.])(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?)"
    r"(?P<suffix>\s?%|\s?per\s?cent\b|[kKmM](?![A-Za-z])|\s?[x×](?![A-Za-z]))?"
    r"|(?P<sym>[$€£¥])"
    r"|(?P<word>[A-Za-z]+(?:-[A-Za-z]+)*)"
)


class Figure(Result):
    """One figure found in text, with its span so a violation can point at it."""

    kind: FigureKind
    text: str
    start: int
    end: int
    value: Decimal | None = None  # None for dates (compared by their text)
    currency: str | None = None


class _Raw(NamedTuple):
    """One token of the text: internal to the scan, so a plain tuple (a proposal's checks read tens of
    thousands of tokens; a validated model per token was most of a build_proposal's CPU)."""

    kind: Literal["date", "ident", "num", "sym", "word"]
    text: str
    start: int
    end: int
    suffix: str = ""


def _raw(text: str) -> list[_Raw]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup  # the last group closed: a number's suffix, when it has one
        if kind == "suffix":
            out.append(_Raw("num", m.group(), m.start(), m.end(), m.group("suffix")))
        else:
            out.append(_Raw(kind, m.group(), m.start(), m.end()))  # type: ignore[arg-type]
    return out


def _close(text: str, left: _Raw, right: _Raw, gap: int = 1) -> bool:
    between = text[left.end : right.start]
    return len(between) <= gap and not between.strip()


def _number(raw: _Raw) -> Decimal:
    digits = raw.text[: len(raw.text) - len(raw.suffix)] if raw.suffix else raw.text
    value = Decimal(digits.replace(",", ""))
    suffix = raw.suffix.strip().lower()
    return value * _SCALE_SUFFIX.get(suffix, Decimal(1))


def _word_parts(word: str) -> list[str]:
    return word.lower().split("-")


@lru_cache(maxsize=4096)
def _is_number_word(word: str) -> bool:
    parts = _word_parts(word)
    return all(p in UNITS or p in SCALES or p == "dozen" for p in parts)


def _words_value(words: list[str]) -> Decimal:
    """ "fifty thousand" → 50000, "two hundred and fifty" → 250, "a dozen" → 12, "twenty-five" → 25."""
    total, current = 0, 0
    for word in words:
        for part in _word_parts(word):
            if part in UNITS:
                current += UNITS[part]
            elif part == "dozen":
                current = (current or 1) * 12
            elif part == "hundred":
                current = (current or 1) * 100
            else:
                total += (current or 1) * SCALES[part]
                current = 0
    return Decimal(total + current)


def _currency_after(text: str, raws: list[_Raw], i: int, codes: frozenset[str]) -> str | None:
    if i < len(raws) and _close(text, raws[i - 1], raws[i]) and raws[i].kind == "word":
        word = raws[i].text
        if word in codes:
            return word
        return CURRENCY_WORDS.get(word.lower())
    return None


def _percent_after(text: str, raws: list[_Raw], i: int) -> int:
    """How many word tokens from position i spell "percent" / "per cent" (0 when none)."""
    if i >= len(raws) or raws[i].kind != "word" or not _close(text, raws[i - 1], raws[i]):
        return 0
    if raws[i].text.lower() == "percent":
        return 1
    if raws[i].text.lower() == "per" and i + 1 < len(raws) and raws[i + 1].text.lower() == "cent":
        return 2
    return 0


def _figure(text: str, start: int, end: int, value: Decimal, kind: FigureKind, currency: str | None) -> Figure:
    """A parsed figure; one with a currency is money, whatever it looked like alone."""
    return Figure(
        kind="money" if currency else kind,
        text=text[start:end],
        start=start,
        end=end,
        value=value,
        currency=currency,
    )


def figures(text: str, currency_codes: frozenset[str] = CURRENCY_CODES) -> Iterator[Figure]:
    """Every figure in `text`, in order, by the rules in this module's docstring."""
    return iter(_figures(text, currency_codes))


@lru_cache(maxsize=16_384)
def _figures(text: str, currency_codes: frozenset[str]) -> tuple[Figure, ...]:
    """Remembered per text: one proposal's checks read the same evidence and script texts ~400 times
    (the allowed figures, grounding, leaks, value claims), and a server drafts for many accounts."""
    return tuple(_scan(text, currency_codes))


def _scan(text: str, currency_codes: frozenset[str]) -> Iterator[Figure]:
    raws, i = _raw(text), 0
    while i < len(raws):
        r = raws[i]
        if r.kind == "date":
            yield Figure(kind="date", text=r.text, start=r.start, end=r.end)
            i += 1
            continue
        prefix: str | None = None
        if (
            r.kind == "sym"
            and i + 1 < len(raws)
            and raws[i + 1].kind in ("num", "word")
            and _close(text, r, raws[i + 1])
        ):
            prefix, i = CURRENCY_SYMBOLS[r.text], i + 1
        elif (
            r.kind == "word"
            and r.text in currency_codes
            and i + 1 < len(raws)
            and _close(text, r, raws[i + 1])
            and (raws[i + 1].kind == "num" or _is_number_word(raws[i + 1].text))
        ):
            prefix, i = r.text, i + 1
        start = r.start
        r = raws[i]
        if r.kind == "num":
            value, end, j = _number(r), r.end, i + 1
            suffix = r.suffix.strip().lower()
            kind: FigureKind = "count"
            if suffix == "%" or suffix.replace(" ", "") == "percent":
                kind = "percent"
            elif suffix in ("x", "×"):
                kind = "multiplier"
            if prefix is None and kind == "count" and j < len(raws) and raws[j].kind == "word":
                word = raws[j].text.lower()
                if word in SCALES and _close(text, r, raws[j]):  # "12 thousand"
                    value, end, j = value * SCALES[word], raws[j].end, j + 1
            currency = prefix
            if currency is None and kind == "count":
                currency = _currency_after(text, raws, j, currency_codes)
                if currency:
                    end, j = raws[j].end, j + 1
            yield _figure(text, start, end, value, kind, currency)
            i = j
            continue
        if r.kind == "word":
            lower = r.text.lower()
            if lower in MULTIPLIER_WORDS and prefix is None:
                yield Figure(
                    kind="multiplier", text=r.text, start=r.start, end=r.end, value=Decimal(MULTIPLIER_WORDS[lower])
                )
                i += 1
                continue
            article = i > 0 and raws[i - 1].text.lower() == "a" and _close(text, raws[i - 1], r)
            if _is_number_word(r.text):
                words, j = [r.text], i + 1
                while j < len(raws) and raws[j].kind == "word" and _close(text, raws[j - 1], raws[j], gap=5):
                    nxt = raws[j].text.lower()
                    if _is_number_word(nxt):
                        words.append(raws[j].text)
                    elif nxt == "and" and j + 1 < len(raws) and _is_number_word(raws[j + 1].text):
                        pass
                    else:
                        break
                    j += 1
                if lower in SCALES or lower == "dozen":
                    if not article and len(words) == 1 and lower != "dozen":
                        i += 1  # "hundreds", "thousand" alone: not a figure
                        continue
                    start = raws[i - 1].start if article and prefix is None else start
                value = _words_value(words)
                end = raws[j - 1].end
                currency, kind = prefix, "count"
                if currency is None:
                    currency = _currency_after(text, raws, j, currency_codes)
                    if currency:
                        end, j = raws[j].end, j + 1
                    else:
                        skip = _percent_after(text, raws, j)
                        if skip > 0:
                            kind, end, j = "percent", raws[j + skip - 1].end, j + skip
                if words == ["one"] and not currency and kind == "count":
                    i += 1
                    continue
                yield _figure(text, start, end, value, kind, currency)
                i = j
                continue
        i += 1


@lru_cache(maxsize=16_384)
def figure_set(text: str, currency_codes: frozenset[str] = CURRENCY_CODES) -> Figures:
    found = _figures(text, currency_codes)
    return Figures(
        money=frozenset((f.currency or "", f.value) for f in found if f.kind == "money" and f.value is not None),
        percents=frozenset(f.value for f in found if f.kind == "percent" and f.value is not None),
        counts=frozenset(f.value for f in found if f.kind == "count" and f.value is not None),
        multipliers=frozenset(f.value for f in found if f.kind == "multiplier" and f.value is not None),
        dates=frozenset(f.text for f in found if f.kind == "date"),
    )
