"""Vietnam's 34 provinces (after the July 2025 merger), from the vietnam-provinces package."""

from __future__ import annotations

from functools import lru_cache

from vietnam_provinces import Province


@lru_cache(maxsize=1)
def province_choices() -> list[tuple[int, str]]:
    return sorted(
        ((int(p.code.value), p.name) for p in Province.iter_all()), key=lambda item: item[1]
    )


def province_name(code: int | None) -> str:
    if code is None:
        return ""
    return dict(province_choices()).get(code, str(code))
