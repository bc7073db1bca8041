"""Lenient readers for Bold's PHP-flavoured JSON, with the Rust SDK's rules
(`guest-sdk/src/lenient.rs`):

- an object may arrive as `{...}`, `[]` (PHP's empty array) or `null`: the
  latter two are empty (`obj`);
- a string-keyed map may also arrive as a non-empty list, whose keys become
  `"0"`, `"1"`, ... (`map_`);
- a list may be `null` (empty) or a PHP associative array (an object whose
  values are the entries), and its empty entries (`[]`, `{}`, `null`) are
  skipped: `line_items: [[]]` is no line items (`seq`);
- integers (money in cents, quantities) may arrive as numbers, numeric
  strings (`"1500"`, `" 15 "`, `"1500.0"`) or `null` (`int_`, `opt_int`);
- text may arrive as a string, a number or a boolean (`text`, `opt_text`);
- booleans may arrive as `true`/`false`, `0`/`1` or strings such as
  `"yes"`, `"0"`, `""` (`opt_flag`);
- ids arrive as numbers or strings and keep their form (`Id`).

Every reader takes the decoded JSON value (what `json.loads` gives) and the
path of the value, used in the `LenientError` it raises for a value of the
wrong shape: `customer.shipping: expected an object (or [] or null for an
empty one), got string "x"`.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

T = TypeVar("T")

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1


class LenientError(ValueError):
    """A value of the wrong shape; the message starts with its path."""


def describe(value: Any) -> str:
    """A short description of a JSON value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{'true' if value else 'false'}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"number `{value!r}`"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        return f"string {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _fail(path: str, expected: str, value: Any) -> LenientError:
    return LenientError(f"{path}: expected {expected}, got {describe(value)}")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (list, dict)) and not value)


def obj(value: Any, path: str = "value") -> Dict[str, Any]:
    """An object; `[]` and `null` are an empty one."""
    if type(value) is dict or isinstance(value, dict):
        return value
    if value is None or (isinstance(value, list) and not value):
        return {}
    raise _fail(path, "an object (or [] or null for an empty one)", value)


def map_(value: Any, path: str = "value") -> Dict[str, Any]:
    """A string-keyed map: an object, `[]`/`null` (empty), or a non-empty
    PHP list (keys `"0"`, `"1"`, ...)."""
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    raise _fail(path, "an object (or [] or null for an empty one)", value)


def seq(
    value: Any,
    path: str = "value",
    entry: Optional[Callable[[Any, str], T]] = None,
) -> List[Any]:
    """A list whose empty entries (`[]`, `{}`, `null`) are skipped; `null`
    is an empty list and an object (PHP associative array) gives its values
    in order. `entry(value, path)` decodes each remaining entry."""
    if value is None:
        return []
    if isinstance(value, list):
        items = list(enumerate(value))
    elif isinstance(value, dict):
        items = list(value.items())
    else:
        raise _fail(path, "a list", value)
    out = []
    for key, item in items:
        if _is_empty(item):
            continue
        out.append(entry(item, f"{path}[{key}]") if entry else item)
    return out


def _float_to_int(v: float) -> Optional[int]:
    if math.isfinite(v) and v == int(v) and -(2.0**63) <= v < 2.0**63:
        return int(v)
    return None


def opt_int(value: Any, path: str = "value") -> Optional[int]:
    """An integer from a number, a numeric string (`""` is `None`) or
    `null`; a fraction, a boolean or anything else is an error."""
    if type(value) is int and I64_MIN <= value <= I64_MAX:
        return value
    expected = "an integer (number or numeric string) or null"
    if value is None:
        return None
    if isinstance(value, bool):
        raise _fail(path, expected, value)
    if isinstance(value, int):
        if I64_MIN <= value <= I64_MAX:
            return value
        raise _fail(path, expected, value)
    if isinstance(value, float):
        n = _float_to_int(value)
        if n is None:
            raise _fail(path, expected, value)
        return n
    if isinstance(value, str):
        t = value.strip()
        if not t:
            return None
        if "_" in t or not t.isascii():
            raise _fail(path, expected, value)
        try:
            n = int(t, 10)
            if I64_MIN <= n <= I64_MAX:
                return n
        except ValueError:
            pass
        try:
            f = float(t)
        except ValueError:
            raise _fail(path, expected, value) from None
        n = _float_to_int(f)
        if n is None:
            raise _fail(path, expected, value)
        return n
    raise _fail(path, expected, value)


def int_(value: Any, path: str = "value") -> int:
    """`opt_int`, with `null` and `""` reading as 0."""
    if type(value) is int and I64_MIN <= value <= I64_MAX:
        return value
    n = opt_int(value, path)
    return 0 if n is None else n


def rust_float_text(v: float) -> str:
    """A float as Rust's `f64` displays it: the shortest digits that read
    back as the same number, never in exponent form (`1.0` is `"1"`)."""
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    r = repr(v)
    if "e" not in r and "E" not in r:
        return r[:-2] if r.endswith(".0") else r
    mantissa, exponent = r.lower().split("e")
    sign = "-" if mantissa.startswith("-") else ""
    mantissa = mantissa.lstrip("-")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0") or "0"
    point = len(whole) + int(exponent) - (len(whole + frac) - len((whole + frac).lstrip("0")))
    if point <= 0:
        text = "0." + "0" * (-point) + digits
    elif point >= len(digits):
        text = digits + "0" * (point - len(digits))
    else:
        text = digits[:point] + "." + digits[point:]
    return sign + text


def opt_text(value: Any, path: str = "value") -> Optional[str]:
    """Text from a string, a number or a boolean (`true`/`false`); `null`
    is `None`."""
    if type(value) is str:
        return value
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return rust_float_text(value)
    raise _fail(path, "a string, number, boolean or null", value)


def text(value: Any, path: str = "value") -> str:
    """`opt_text`, with `null` reading as `""`."""
    if type(value) is str:
        return value
    t = opt_text(value, path)
    return "" if t is None else t


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def opt_flag(value: Any, path: str = "value") -> Optional[bool]:
    """A boolean from `true`/`false`, a number (non-zero is true), a string
    (`true`/`1`/`yes`/`on`, `false`/`0`/`no`/`off`, any case; `""` is
    `None`) or `null` (`None`)."""
    expected = 'a boolean (or 0/1, "true"/"false") or null'
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        t = value.strip().lower()
        if not t:
            return None
        if t in _TRUE:
            return True
        if t in _FALSE:
            return False
    raise _fail(path, expected, value)


class Id:
    """An id that Bold sends sometimes as a number and sometimes as a string
    (`public_customer_id`, `platform_variant_id`, ...). It keeps the form it
    arrived in.

    `Id(9153875214378) == 9153875214378`, `Id("9153875214378") ==
    9153875214378` (read as an integer) and `== "9153875214378"` (read as
    text); `str(id)` is the text; `as_int()` the integer, if it is one.
    """

    __slots__ = ("value",)

    def __init__(self, value: Union[int, str]) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(f"an Id is an int or a str, not {type(value).__name__}")
        self.value = value

    @classmethod
    def parse(cls, value: Any, path: str = "value") -> "Id":
        """An id from a JSON number or string (numbers beyond 64 bits and
        fractions are kept as text)."""
        if isinstance(value, bool) or value is None:
            raise _fail(path, "an id (number or string)", value)
        if isinstance(value, int):
            return cls(value if I64_MIN <= value <= I64_MAX else str(value))
        if isinstance(value, float):
            if math.isfinite(value) and value == int(value) and abs(value) < 9.0e15:
                return cls(int(value))
            if math.isfinite(value):
                return cls(rust_float_text(value))
        if isinstance(value, str):
            return cls(value)
        raise _fail(path, "an id (number or string)", value)

    @classmethod
    def parse_opt(cls, value: Any, path: str = "value") -> Optional["Id"]:
        """`parse`, with `null` reading as `None`."""
        return None if value is None else cls.parse(value, path)

    def as_int(self) -> Optional[int]:
        """The id as an integer: the number, or the string parsed as one."""
        if isinstance(self.value, int):
            return self.value
        try:
            n = int(self.value.strip(), 10)
        except ValueError:
            return None
        return n if I64_MIN <= n <= I64_MAX else None

    def as_str(self) -> Optional[str]:
        """The id as it arrived, if it arrived as a string."""
        return self.value if isinstance(self.value, str) else None

    def to_json(self) -> Union[int, str]:
        """The id in the form it arrived in."""
        return self.value

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"Id({self.value!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Id):
            return type(self.value) is type(other.value) and self.value == other.value
        if isinstance(other, bool):
            return False
        if isinstance(other, int):
            return self.as_int() == other
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))
