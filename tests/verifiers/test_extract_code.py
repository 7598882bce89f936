"""Code answers: fenced blocks, bare code, choosing the block, and the grouping key."""

from __future__ import annotations

import pytest
from cascade.verifiers.extract_code import code_key, extract_code
from cascade.verifiers.extract_fences import fenced_blocks
from hypothesis import given
from hypothesis import strategies as st

FUNC = "def add(a, b):\n    return a + b"


def test_fenced_blocks() -> None:
    text = "x\n```python\nA\n```\ny\n~~~\nB\n~~~\n[PYTHON]\nC\n[/PYTHON]\n```js\nD"
    blocks = fenced_blocks(text)
    assert [(b.lang, b.body, b.closed) for b in blocks] == [
        ("python", "A\n", True),
        ("", "B\n", True),
        ("python", "C\n", True),
        ("js", "D", False),
    ]
    assert text[blocks[0].start : blocks[0].end] == "```python\nA\n```"


def test_first_block_defining_the_entry_point_wins() -> None:
    text = (
        f"```python\ndef helper():\n    return 1\n```\n```python\n{FUNC}\n```\n"
        "```python\nprint(add(1, 2))\n```"
    )
    assert extract_code(text, "add") == FUNC
    assert extract_code(text) == "def helper():\n    return 1"


def test_definition_beats_usage_example() -> None:
    text = f"Usage:\n```\n>>> add(1, 2)\n3\n```\n```\nprint(add(1, 2))\n```\n```\n{FUNC}\n```"
    assert extract_code(text) == FUNC


# llama-2-70b-chat's answer to mbpp.dev.387 (routerbench-mbpp-dev), shortened: the function's
# docstring holds a doctest, and a usage line follows in a second block.
DOCTESTED = (
    " Sure! Here's a function that should do what you're asking for:\n```\n"
    "def consecutive_pairs(lst):\n"
    '    """\n    Returns a list of all pairs of consecutive items in the given list.\n\n'
    "    Example:\n    >>> consecutive_pairs([1, 2, 3, 4, 5])\n"
    '    [[1, 2], [2, 3], [3, 4], [4, 5]]\n    """\n'
    "    return [(lst[i], lst[i+1]) for i in range(len(lst) - 1)]\n```\n"
    "Here's an example usage of the function:\n```\n"
    "print(consecutive_pairs([1, 2, 3, 4, 5]))  # Output: [[1, 2], [2, 3], [3, 4], [4, 5]]\n"
    "```\nI hope this helps!"
)


def test_code_whose_docstring_has_doctests_is_still_code() -> None:
    code = extract_code(DOCTESTED)
    assert code is not None and code.startswith("def consecutive_pairs(lst):")
    assert code.endswith("for i in range(len(lst) - 1)]")
    assert extract_code(DOCTESTED, "consecutive_pairs") == code


def test_only_blocks_starting_with_a_prompt_are_sessions() -> None:
    session = "```python\n\n>>> import os\n>>> add(1, 2)\n3\n```\n"
    assert extract_code(session) is None
    assert extract_code(session + f"```python\n{FUNC}\n```") == FUNC


def test_other_languages_are_not_python_code() -> None:
    assert extract_code("```cpp\nint main() { return 0; }\n```") is None
    assert extract_code("```js\nfunction f() {}\n```\n```python\nx = 1\n```") == "x = 1"


def test_bare_code_and_prose_after_it() -> None:
    assert extract_code(FUNC + "\n") == FUNC
    text = f"Here it is:\n\n{FUNC}\n\nTest cases:\nprint(add(1, 2))\n# 3\n\nHope it helps!"
    assert extract_code(text) == FUNC


@pytest.mark.parametrize("text", ["", "Sure, I can help with that.", "Hello", "I do"])
def test_no_code(text: str) -> None:
    assert extract_code(text) is None


def test_unclosed_fence_keeps_its_code() -> None:
    assert extract_code(f"Sure:\n```python\n{FUNC}\n") == FUNC


def test_code_key_ignores_docstrings_comments_and_layout() -> None:
    documented = (
        'def add(a, b):\n    """Add two numbers."""\n    # the sum\n\n    return (a + b)  # done\n'
    )
    assert code_key(documented) == code_key(FUNC)
    assert code_key("    " + FUNC.replace("\n", "\n    ")) == code_key(FUNC)


def test_code_key_keeps_names_and_logic() -> None:
    assert code_key(FUNC) != code_key(FUNC.replace("a + b", "b + a"))
    assert code_key(FUNC) != code_key("def add(x, y):\n    return x + y")


def test_docstring_only_body_still_has_a_key() -> None:
    assert code_key('def f():\n    """Only a docstring."""\n') == code_key("def f():\n    pass")


def test_invalid_code_has_no_key() -> None:
    assert code_key("def add(a, b) return a + b") is None


@given(
    st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00"),
        max_size=30,
    )
)
def test_comments_never_change_the_key(comment: str) -> None:
    commented = f"# {comment}\ndef add(a, b):  # {comment}\n    return a + b\n"
    assert code_key(commented) == code_key(FUNC)
