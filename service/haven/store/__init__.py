"""Storage: decisions, reviews, webhook subscriptions and deliveries, API keys."""

from haven.store.records import (
    EVENT_TYPES,
    SCOPES,
    ApiKey,
    DecisionPage,
    Delivery,
    NewDelivery,
    PurgeCounts,
    Review,
    StoredDecision,
    Subscription,
)
from haven.store.repository import Store
from haven.store.sql import SqlStore, make_engine

__all__ = [
    "EVENT_TYPES",
    "SCOPES",
    "ApiKey",
    "DecisionPage",
    "Delivery",
    "NewDelivery",
    "PurgeCounts",
    "Review",
    "SqlStore",
    "Store",
    "StoredDecision",
    "Subscription",
    "make_engine",
]
