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
    # The master of the server's keys (checkpoint signatures, the encryption of webhook secrets
    # and provider tokens); when unset, keys are made once and kept in the database.
    secret_key: SecretStr | None = None
    run_workers: bool = True  # `serve` also runs the background workers (embedded mode)
    worker_poll_s: float = Field(default=5.0, gt=0)
    speed: float = Field(default=1.0, ge=1.0, le=1000.0)  # session time × real time (demos only)
    hr_write_every_s: float = Field(default=2.0, gt=0)  # heart-rate samples are written in batches
    schedule_horizon_days: float = Field(default=7.0, ge=0)  # schedules plan fires this far ahead
    schedule_misfire_grace_s: float = Field(default=3600.0, ge=0)  # a missed fire this old fires

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    metrics_token: SecretStr | None = None
    webhook_allow_private: bool = False  # webhooks may call loopback/private addresses (demos)

    log_level: str = "info"
    log_format: Literal["auto", "json", "console"] = "auto"

    # --- device providers (Garmin, Wahoo) -------------------------------------------------
    # The OAuth redirect URI is `{public_url}/api/devices/{provider}/callback`. A provider
    # without a client id is not configured (not offered to users). The URL defaults are the
    # real endpoints; point them at `setpoint fake-provider` for tests and demos.
    public_url: str = "http://127.0.0.1:8000"
    garmin_client_id: str | None = None
    garmin_client_secret: SecretStr | None = None
    garmin_authorize_url: str = "https://connect.garmin.com/oauth2Confirm"
    garmin_token_url: str = "https://diauth.garmin.com/di-oauth2-service/oauth/token"
    garmin_api_url: str = "https://apis.garmin.com"
    wahoo_client_id: str | None = None
    wahoo_client_secret: SecretStr | None = None
    wahoo_authorize_url: str = "https://api.wahooligan.com/oauth/authorize"
    wahoo_token_url: str = "https://api.wahooligan.com/oauth/token"
    wahoo_api_url: str = "https://api.wahooligan.com"
    # Client-side request quotas: the providers' published evaluation/sandbox limits,
    # their production limits, or none (benchmarks against the fake provider).
    provider_quotas: Literal["evaluation", "production", "off"] = "evaluation"
    # --- end of device providers -----------------------------------------------------------


@lru_cache
def get_settings() -> Settings:
    return Settings()
