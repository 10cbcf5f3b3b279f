"""The moderators' loop: escalations acknowledged or re-sent, the review queue, alerts, commands."""
