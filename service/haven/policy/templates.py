"""Reply templates and crisis lines, rendered for the post's locale."""

from __future__ import annotations

from dataclasses import dataclass

from haven.policy.schema import CrisisLine


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

    def lines_for(self, locale: str | None) -> list[CrisisLine]:
        _, region = locale_parts(locale)
        if region and region in self.crisis_lines:
            return self.crisis_lines[region]
        return self.crisis_lines.get("default", [])

    def render(self, name: str, locale: str | None, *, guideline: str, community: str) -> str:
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
