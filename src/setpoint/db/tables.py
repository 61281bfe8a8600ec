"""Every area's tables on one metadata: what migrations and the schema check compare against."""

from setpoint.auth.keys import ServerKey
from setpoint.auth.tables import AccessToken, CoachLink, User
from setpoint.db.base import Base
from setpoint.exports.tables import DeviceConnection, ExportWithdrawal, OAuthState, PlanExport
from setpoint.heartrate.tables import AthleteProfile, HeartRateSample
from setpoint.notifications.tables import Notification, Webhook, WebhookDelivery
from setpoint.plans.tables import PlannedSession, WeeklyPlan
from setpoint.schedules.tables import Schedule, ScheduleFire
from setpoint.sessions.tables import IdempotencyKey, SessionDraft, SessionEvent, SessionRow
from setpoint.strength.tables import ExerciseRecord, ExerciseSet, ProgressRow
from setpoint.workouts.tables import WorkoutRow

__all__ = [
    "AccessToken",
    "AthleteProfile",
    "Base",
    "CoachLink",
    "DeviceConnection",
    "ExerciseRecord",
    "ExerciseSet",
    "ExportWithdrawal",
    "HeartRateSample",
    "IdempotencyKey",
    "Notification",
    "OAuthState",
    "PlanExport",
    "PlannedSession",
    "ProgressRow",
    "Schedule",
    "ScheduleFire",
    "ServerKey",
    "SessionDraft",
    "SessionEvent",
    "SessionRow",
    "User",
    "Webhook",
    "WebhookDelivery",
    "WeeklyPlan",
    "WorkoutRow",
]
