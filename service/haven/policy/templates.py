"""Reply templates and crisis lines, rendered for the post's locale."""

from __future__ import annotations

from dataclasses import dataclass, field

from haven.policy.schema import CrisisLine

# Rendered texts kept (name, locale, guideline, community -> text): a few hundred KiB at most.
_RENDERED_KEPT = 1024


def locale_parts(locale: str | None) -> tuple[str | None, str | None]:
    """('en', 'GB') from 'en-GB' or 'en_GB'; a bare region such as 'GB' is read as a region."""
    if not locale:
        return None, None
    parts = locale.replace("_", "-").split("-")
    if len(parts) == 1:
        return (None, parts[0].upper()) if parts[0].isupper() else (parts[0].lower(), None)
    return parts[0].lower(), parts[-1].upper()


@dataclass(frozen=True)
class Templates:
    by_name: dict[str, dict[str, str]]
    crisis_lines: dict[str, list[CrisisLine]]
    # What render answered so far: a post that matches renders the same few texts as the
    # posts before it, and rendering them again cost a dense post half of its actions' time.
    _rendered: dict[tuple[str, str | None, str, str], str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def lines_for(self, locale: str | None) -> list[CrisisLine]:
        _, region = locale_parts(locale)
        if region and region in self.crisis_lines:
            return self.crisis_lines[region]
        return self.crisis_lines.get("default", [])

    def render(self, name: str, locale: str | None, *, guideline: str, community: str) -> str:
        key = (name, locale, guideline, community)
        text = self._rendered.get(key)
        if text is None:
            if len(self._rendered) >= _RENDERED_KEPT:
                self._rendered.clear()
            text = self._rendered[key] = self._render(name, locale, guideline=guideline, community=community)
        return text

    def _render(self, name: str, locale: str | None, *, guideline: str, community: str) -> str:
        variants = self.by_name[name]
        language, region = locale_parts(locale)
        text = (
            variants.get(f"{language}-{region}")
            or (variants.get(language) if language else None)
            or variants["default"]
        )
        lines = "\n".join(
            f"- {line.name}: {line.contact}" + (f" ({line.hours})" if line.hours else "")
            for line in self.lines_for(locale)
        )
        # Plain replacement, not str.format: template prose may contain braces.
        return text.replace("{crisis_lines}", lines).replace("{guideline}", guideline).replace("{community}", community)
