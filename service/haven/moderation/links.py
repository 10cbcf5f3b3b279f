"""Where a moderator reviews or acknowledges a decision: the links every alert carries."""

from __future__ import annotations

from haven.config import ModerationSettings


def decision_links(settings: ModerationSettings, decision_id: str) -> dict[str, str]:
    """API routes (POST with a `review`-scoped key) and the console page of one decision."""
    return {
        "decision": settings.link(f"/v1/decisions/{decision_id}"),
        "review": settings.link(f"/v1/decisions/{decision_id}/review"),
        "acknowledge": settings.link(f"/v1/decisions/{decision_id}/acknowledge"),
        "console": settings.link(f"/console/#decision/{decision_id}"),
    }
