"""Schedules: workouts that recur on a cron expression in the athlete's time zone."""
