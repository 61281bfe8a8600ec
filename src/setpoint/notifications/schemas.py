from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[AnyHttpUrl, Field(max_length=2000)]
    secret: Annotated[str, Field(min_length=16, max_length=200)]
    events: Annotated[list[str], Field(max_length=20)] = Field(
        default_factory=list, description="Event names to receive; empty means all."
    )


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    active: bool
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime


class DeliveryOut(BaseModel):
    id: uuid.UUID
    notification_id: uuid.UUID
    status: str
    attempts: int
    next_attempt_at: float | None
    last_error: str | None
    delivered_at: datetime | None


class NotificationOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID | None
    planned_session_id: uuid.UUID | None
    schedule_id: uuid.UUID | None
    type: str
    payload: dict[str, Any]
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    limit: int
    offset: int
