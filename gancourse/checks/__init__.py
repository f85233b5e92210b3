"""Instant feedback for the notebooks' exercises: one module per notebook (``checks.nb01`` …).

Every check prints one line and returns True/False.  An exercise still holding ``...`` (or a function
whose body is ``...``) counts as *not attempted*: the check prints a hint and the notebook carries on.
"""

from __future__ import annotations

from collections.abc import Callable

PASS, FAIL, TODO = "✅", "❌", "💡"


class NotAttempted(Exception):
    """Raised inside a check when the student's answer is still the placeholder."""


def given(answer):
    """The student's answer, or NotAttempted if it is still ``...``/None."""
    if answer is Ellipsis or answer is None:
        raise NotAttempted
    return answer


def call(fn: Callable, *args, **kwargs):
    """Call the student's function; a body of ``...`` (returns None) or NotImplementedError = not attempted."""
    if fn is Ellipsis or fn is None:
        raise NotAttempted
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise NotAttempted from exc
    if result is None or result is Ellipsis:
        raise NotAttempted
    return result


def run_check(title: str, hint: str, test: Callable[[], str | None]) -> bool:
    """Run ``test``; it returns None when right or a message that says what is wrong.

    Errors in the student's code are reported, not raised, so the notebook keeps running.
    """
    try:
        problem = test()
    except NotAttempted:
        print(f"{TODO} {title}: not attempted yet. Hint: {hint}")
        return False
    except Exception as exc:  # the student's code crashed: show why, keep the notebook going
        print(f"{FAIL} {title}: your code raised {type(exc).__name__}: {exc}. Hint: {hint}")
        return False
    if problem:
        print(f"{FAIL} {title}: {problem} Hint: {hint}")
        return False
    print(f"{PASS} {title}: correct!")
    return True
