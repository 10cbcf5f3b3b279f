"""Haven's Reddit adapter: polls subreddits, hands posts and comments to Haven, acts as a moderator.

See docs/plugins.md, section "Reddit".
"""

from haven_reddit.plugin import RedditPlugin, create

__all__ = ["RedditPlugin", "create"]
