"""How strong a chosen secret is: a small, explainable estimate of the guesses it takes.

Secrets the node issues are 256-bit random strings and never pass through here. A secret an
operator *chooses* (one a DMS already has configured in the national SDK) is whatever a person
typed once, and is only as good as the guesses it takes to find it. Without shipping a dictionary,
the estimate below charges each part of a secret what an attacker's dictionary-and-rules search
would pay for it:

- a run of letters written as words are (lower case, capitalized, all capitals) is a word: it
  costs what its letters would, but at most `WORD_BITS` (about a million words with their
  variants), so `internationalization` is one guess among a million, not 20 random letters; a
  run whose case changes inside it (`RzHSYmJe`) is random letters;
- a digit or symbol costs what a random one would (3.3 and 5 bits), and a letter outside words
  4.7 (5.7 in a mixed-case run), but a character that goes on repeating the two before it or
  going on in their sequence (the third `a` of `aaa`, the `3` and `4` of `1234`) costs one bit;
- a secret made of one block repeated (`passwordpassword`, `Pa55w0rd!Pa55w0rd!`) costs its block
  and a few bits for the repetition.

A secret is strong enough when it is `MIN_LENGTH` characters or more, has no spaces around it and
is estimated at `MIN_BITS` or more. This refuses the weak secrets people choose (a word, a word
repeated, a word with a year, a keyboard run) and accepts random tokens of the usual forms (hex,
base64, UUIDs) from 16 characters on; it cannot know every weak secret, which is why the node
throttles failed authentication too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_LENGTH = 16
MIN_BITS = 64.0
WORD_BITS = 20.0
"""A run of letters costs at most this much: a dictionary of ~10^6 words and their variants."""
LETTER_BITS = math.log2(26)
MIXED_CASE_LETTER_BITS = math.log2(52)
DIGIT_BITS = math.log2(10)
SYMBOL_BITS = 5.0
"""About 33 printable symbols (non-ASCII characters other than letters and digits alike)."""
PREDICTABLE_BITS = 1.0
"""A character going on with a repetition or a sequence of the two before it."""


@dataclass(frozen=True, slots=True)
class Strength:
    """What the check found: the estimate and, when too weak, why, in a sentence."""

    bits: float
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def strength(secret: str) -> Strength:
    """The estimate of `secret` and the first rule it breaks (None when it breaks none)."""
    bits = estimated_bits(secret)
    if secret != secret.strip():
        return Strength(bits, "it starts or ends with a space")
    if len(secret) < MIN_LENGTH:
        return Strength(bits, f"it is {len(secret)} characters long, fewer than {MIN_LENGTH}")
    if bits < MIN_BITS:
        return Strength(
            bits,
            f"it is too easy to guess (about {bits:.0f} bits, at least {MIN_BITS:.0f} are "
            "needed): words, repeated parts and sequences count little; mix upper- and "
            "lower-case letters, digits and symbols at random, or let the node issue the secret",
        )
    return Strength(bits, None)


def estimated_bits(secret: str) -> float:
    """log2 of the guesses a dictionary-and-rules search needs, as estimated above."""
    if not secret:
        return 0.0
    block = _repeated_block(secret)
    repeats = len(secret) // len(block)
    extra = math.log2(repeats) if repeats > 1 else 0.0
    return _block_bits(block) + extra


def _repeated_block(text: str) -> str:
    """The shortest block that `text` is a whole repetition of (`text` itself when none)."""
    period = (text + text).find(text, 1)
    return text[:period] if period < len(text) and len(text) % period == 0 else text


def _block_bits(text: str) -> float:
    total = 0.0
    run: list[tuple[str, bool]] = []  # the letters in hand, each with whether it was predictable
    for at, char in enumerate(text):
        predictable = at >= 2 and _continues(text[at - 2], text[at - 1], char)
        if char.isalpha():
            run.append((char, predictable))
        else:
            total += _letters_bits(run)
            run = []
            if predictable:
                total += PREDICTABLE_BITS
            else:
                total += DIGIT_BITS if char.isdigit() else SYMBOL_BITS
    return total + _letters_bits(run)


def _letters_bits(run: list[tuple[str, bool]]) -> float:
    """A run of letters: a word (at most `WORD_BITS`) when written as words are (lower case,
    capitalized or all capitals); random letters when the case changes inside it (`RzHSYmJe`)."""
    if not run:
        return 0.0
    random_case = any(c.isupper() for c, _ in run[1:]) and any(c.islower() for c, _ in run)
    each = MIXED_CASE_LETTER_BITS if random_case else LETTER_BITS
    bits = sum(PREDICTABLE_BITS if predictable else each for _, predictable in run)
    return bits if random_case else min(bits, WORD_BITS)


def _continues(first: str, second: str, char: str) -> bool:
    """`char` goes on with what `first` and `second` did: the same character again (`aaa`,
    `111`) or the next one in the same direction (`abc`, `987`)."""
    if not (first.isdigit() == second.isdigit() == char.isdigit()):
        return False
    step = ord(second.lower()) - ord(first.lower())
    return abs(step) <= 1 and ord(char.lower()) - ord(second.lower()) == step
