"""Chinese numerals as used in article headings (第…条) and items (（…）)."""

from __future__ import annotations

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DIGIT_CHARS = "零一二三四五六七八九"


def parse_chinese(text: str) -> int:
    """``十一`` → 11, ``二十`` → 20, ``一百零五`` (or ``一百〇五``) → 105 (up to 999). Raises ValueError."""
    text = text.replace("〇", "零")
    if not text:
        raise ValueError("empty numeral")
    total, current, seen_unit = 0, None, False
    for ch in text:
        if ch in _DIGITS:
            if current is not None and current != 0:
                raise ValueError(f"malformed Chinese numeral {text!r}")
            current = _DIGITS[ch]
        elif ch in "十百":
            unit = 10 if ch == "十" else 100
            if total and total % (unit * 10) != total and unit == 100:
                raise ValueError(f"malformed Chinese numeral {text!r}")
            total += (1 if current is None else current) * unit
            current, seen_unit = None, True
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    if current:
        total += current
    if total == 0 and not (text in ("零", "〇")):
        raise ValueError(f"malformed Chinese numeral {text!r}")
    if to_chinese(total) != text and not (seen_unit and text.startswith("一十")):
        # Reject spellings such as 二二 or 十十 that are not how numbers are written.
        raise ValueError(f"malformed Chinese numeral {text!r} (did you mean {to_chinese(total)}?)")
    return total


def to_chinese(number: int) -> str:
    """11 → ``十一``, 20 → ``二十``, 105 → ``一百零五``."""
    if not 0 <= number <= 999:
        raise ValueError(f"{number} is outside the supported range 0-999")
    if number < 10:
        return _DIGIT_CHARS[number]
    if number < 20:
        return "十" + (_DIGIT_CHARS[number - 10] if number > 10 else "")
    if number < 100:
        tens, ones = divmod(number, 10)
        return _DIGIT_CHARS[tens] + "十" + (_DIGIT_CHARS[ones] if ones else "")
    hundreds, rest = divmod(number, 100)
    out = _DIGIT_CHARS[hundreds] + "百"
    if rest == 0:
        return out
    if rest < 10:
        return out + "零" + _DIGIT_CHARS[rest]
    if rest < 20:
        return out + "一" + to_chinese(rest)
    return out + to_chinese(rest)


def cite_number(number: int) -> str:
    """The number as a Chinese citation writes it; past 999, Arabic digits (第1200条)."""
    return to_chinese(number) if 0 <= number <= 999 else str(number)


def parse_number(text: str) -> int:
    """Arabic or Chinese digits."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else parse_chinese(text)
