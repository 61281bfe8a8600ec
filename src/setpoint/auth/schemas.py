from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from setpoint.auth.model import Role


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=8, max_length=1024)]
    role: Role
    coach_email: Annotated[str, Field(max_length=320)] | None = None


class UserOut(BaseModel):
    id: UUID
    email: str
    role: Role
    created_at: datetime


class MeOut(BaseModel):
    id: UUID
    email: str
    role: Role
    coach_ids: list[UUID]
    athlete_ids: list[UUID]
