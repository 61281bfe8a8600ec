"""Settings, read once from the environment (prefix `SETPOINT_`); defaults give embedded mode."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SETPOINT_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./setpoint.db"
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000

    token_ttl_s: int = Field(default=30 * 24 * 3600, ge=60)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    session_stale_after_s: float = Field(default=3600.0, gt=0)
    secret_key: SecretStr | None = None  # signs checkpoints; made and kept in the database if unset
    run_workers: bool = True  # `serve` also runs the background workers (embedded mode)
    worker_poll_s: float = Field(default=5.0, gt=0)
    speed: float = Field(default=1.0, ge=1.0, le=1000.0)  # session time × real time (demos only)
    hr_write_every_s: float = Field(default=2.0, gt=0)  # heart-rate samples are written in batches

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    metrics_token: SecretStr | None = None

    log_level: str = "info"
    log_format: Literal["auto", "json", "console"] = "auto"


@lru_cache
def get_settings() -> Settings:
    return Settings()
